"""The bundled examples carry their own tests (`*.test.toml`, run by `leadflow test`):
they must pass, so CI checks the examples the way their users would."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

import leadflow.examples
from leadflow.cli import main

EXAMPLES = Path(leadflow.examples.__file__).parent
RULES = ("lifecycle", "enrichment", "deals", "assignment")
WORKFLOWS = ("nurturing", "cleanup", "ab_test", "webinar", "birthday", "ticket_sla")


def test_every_example_has_a_test_file():
    examples = sorted(folder.name for folder in EXAMPLES.iterdir() if any(folder.glob("*.flow")))
    assert examples == sorted(RULES + WORKFLOWS)
    for name in examples:
        assert (EXAMPLES / name / f"{name}.test.toml").is_file(), name


def test_every_example_test_passes_and_reaches_every_rule_step_and_branch():
    result = CliRunner().invoke(main, ["test", str(EXAMPLES), "--coverage"], catch_exceptions=False)
    assert result.exit_code == 0, result.stdout
    assert "failed" not in result.stdout and "error" not in result.stdout
    for name in RULES + WORKFLOWS:
        assert f"{EXAMPLES / name / name}.test.toml ." in result.stdout, name
        line = next(line for line in result.stdout.splitlines() if line.startswith(f"{EXAMPLES / name / name}.flow"))
        assert " 100% " in line, line
    for name in WORKFLOWS:  # the coverage line counts the workflow's steps
        line = next(line for line in result.stdout.splitlines() if line.startswith(f"{EXAMPLES / name / name}.flow"))
        assert " steps reached" in line, line
    unreached = [line for line in result.stdout.splitlines() if line.startswith("    line ")]
    assert not unreached, unreached  # nothing listed as never fired, reached or taken
