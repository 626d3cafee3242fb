"""`leadflow test`: tests of scripts, written as `*.test.toml` files next to them.

spec.py reads a test file and checks it against its script (reader.py and
scope.py do the key-by-key work, expect.py the expectations); runner.py runs
one test in a fresh engine with stubs.py as its host; suite.py finds and runs
files; report.py prints like pytest; coverage.py says what no test reached.
See docs/testing.md.
"""

from leadflow.testing.reader import TestFileError
from leadflow.testing.spec import TestCase, TestFile, load
from leadflow.testing.suite import SuiteResult, discover, run_suite

__all__ = ["SuiteResult", "TestCase", "TestFile", "TestFileError", "discover", "load", "run_suite"]
