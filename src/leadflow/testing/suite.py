"""Finding test files, loading them and running their tests: what `leadflow test` does.

A file that cannot be read, or has a mistake in any test, runs none of its
tests and is reported as a bad test file; a file whose script does not check
is reported with the script's diagnostics, its tests as errors. The other
files run all the same.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import attrs

from leadflow.testing import coverage as cov
from leadflow.testing.reader import TestFileError
from leadflow.testing.runner import TestResult, run_test
from leadflow.testing.spec import TestFile, load

PATTERN = "*.test.toml"
SKIPPED_FOLDERS = frozenset({"__pycache__", "node_modules", "site-packages", "venv"})
EXIT_FAILED, EXIT_USAGE = 1, 2


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """The files named, and the `*.test.toml` files under the folders named (not in
    hidden folders or virtual environments), each once, in order."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob(PATTERN) if not _skipped(p.relative_to(path)))
        else:
            found.append(path)
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def _skipped(relative: Path) -> bool:
    return any(part.startswith(".") or part in SKIPPED_FOLDERS for part in relative.parts[:-1])


@attrs.define
class SuiteResult:
    results: list[TestResult] = attrs.field(factory=list)
    bad_files: list[TestFileError] = attrs.field(factory=list)
    broken_scripts: list[TestFile] = attrs.field(factory=list)
    coverage: dict | None = None
    seconds: float = 0.0

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def exit_code(self) -> int:
        if self.bad_files:
            return EXIT_USAGE
        if self.broken_scripts or any(r.outcome != "passed" for r in self.results):
            return EXIT_FAILED
        return 0


def run_suite(
    files: list[Path],
    *,
    keyword: str | None = None,
    coverage: bool = False,
    exitfirst: bool = False,
    on_file: Callable[[TestFile], None] | None = None,
    on_result: Callable[[TestResult], None] | None = None,
    seed: int | None = None,
    hosts: Mapping[str, Callable] | None = None,
) -> SuiteResult:
    """Run the tests of `files`. `seed` is that of the tests that give none; `hosts` are
    functions bound to the `extern fn`s the tests do not stub (`leadflow test --hosts`)."""
    started = time.perf_counter()
    suite = SuiteResult()
    measured = []
    for path in files:
        try:
            test_file = load(path) if seed is None else load(path, default_seed=seed)
        except TestFileError as error:
            suite.bad_files.append(error)
            continue
        except OSError as error:
            suite.bad_files.append(TestFileError(str(path), f"cannot be read: {error.strerror or error}"))
            continue
        if test_file.problems:
            suite.bad_files.extend(test_file.problems)
            continue
        if test_file.script_error is not None:
            suite.broken_scripts.append(test_file)
            continue
        misfits = _misfit_hosts(test_file, hosts)
        if misfits:
            suite.bad_files.extend(misfits)
            continue
        tests = [t for t in test_file.tests if keyword is None or keyword.lower() in t.name.lower()]
        if not tests:
            continue
        if on_file:
            on_file(test_file)
        program = cov.ProgramCoverage(test_file.checked) if coverage else None
        for case in tests:
            result = run_test(test_file, case, program, hosts)
            suite.results.append(result)
            if on_result:
                on_result(result)
            if exitfirst and result.outcome != "passed":
                break
        if program is not None:
            measured.append(program.results())
        if exitfirst and any(r.outcome != "passed" for r in suite.results):
            break
    if coverage:
        suite.coverage = cov.merge(measured)
    suite.seconds = time.perf_counter() - started
    return suite


def _misfit_hosts(test_file: TestFile, hosts: Mapping[str, Callable] | None) -> list[TestFileError]:
    """A host function that does not fit its `extern fn` makes the file's tests unrunnable,
    as `Engine.bind` would say at each test's start: said once, as a bad file."""
    from leadflow.interpreter.hosts import host_mismatch

    problems: list[TestFileError] = []
    if test_file.checked is None:
        return problems
    for name, signature in test_file.checked.externs.items():
        problem = host_mismatch(hosts[name], signature) if hosts and name in hosts else None
        if problem:
            problems.append(
                TestFileError(
                    test_file.path, f"--hosts: the function for `extern fn {name}` does not match the script: {problem}"
                )
            )
    return problems
