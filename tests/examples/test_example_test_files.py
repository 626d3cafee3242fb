"""The bundled examples carry their own tests (`*.test.toml`, run by `leadflow test`):
they must pass, so CI checks the examples the way their users would."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

import leadflow.examples
from leadflow.cli import main

EXAMPLES = Path(leadflow.examples.__file__).parent
WITH_TESTS = ("lifecycle", "enrichment", "deals", "assignment")


def test_every_example_test_passes_and_fires_every_rule():
    result = CliRunner().invoke(main, ["test", str(EXAMPLES), "--coverage"], catch_exceptions=False)
    assert result.exit_code == 0, result.stdout
    assert "failed" not in result.stdout and "error" not in result.stdout
    for name in WITH_TESTS:
        assert f"{EXAMPLES / name / name}.test.toml ." in result.stdout, name
        line = next(line for line in result.stdout.splitlines() if line.startswith(f"{EXAMPLES / name / name}.flow"))
        assert " 100% " in line, line
