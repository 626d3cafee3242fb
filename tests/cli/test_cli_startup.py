"""`leadflow check` and `leadflow fmt` start fast because they import only what
they need: not the terminal toolkit, the HTTP client, the REPL's or the
language server's libraries, nor the store. Checked in a fresh process, by the
modules it holds at the end (the timing itself is benchmarks/startup.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = (
    "rich",
    "httpx",
    "prompt_toolkit",
    "pygls",
    "lsprotocol",
    "sqlite3",
    "_sqlite3",
    "leadflow.store",
    "leadflow.interpreter.engine",
    "leadflow.effects",
    "email_validator",  # 25 ms of patterns; only an address off the common shape needs it
)
SCRIPT = "object contact { score: number = 0 }\nlist vips\nwhen created then add to vips\n"
PROBE = """
import json, sys
from leadflow.cli import main
try:
    main(sys.argv[1:], prog_name="leadflow")
except SystemExit as done:
    code = done.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def modules_after(*args: str) -> tuple[int, list[str]]:
    # Without `make test`'s coverage of subprocesses: it would count the coverage tool's own imports (sqlite3).
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120, env=env)
    report = json.loads(result.stdout.splitlines()[-1])
    return report["code"], report["modules"]


def heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


@pytest.mark.parametrize("command", [["check"], ["check", "--format", "json"], ["fmt", "--check"], ["fmt", "--diff"]])
def test_check_and_fmt_import_nothing_heavy(command, tmp_path):
    script = tmp_path / "small.flow"
    script.write_text(SCRIPT, "utf-8")
    code, modules = modules_after(*command, str(script))
    assert code in (0, 1)  # fmt --check says the file would change
    assert "leadflow.check.checker" in modules or command[0] == "fmt"
    assert heavy(modules) == []


def test_a_script_with_errors_is_reported_without_them_too(tmp_path):
    script = tmp_path / "broken.flow"
    script.write_text("when created then set scor = 1\n", "utf-8")
    code, modules = modules_after("check", str(script))
    assert code == 1
    assert heavy(modules) == []


def test_the_probe_sees_heavy_imports_when_a_command_makes_them(tmp_path):
    # the same probe on a command that opens the store: the assertion above can fail
    script = tmp_path / "small.flow"
    script.write_text(SCRIPT, "utf-8")
    code, modules = modules_after("run", str(script), "--events", "/dev/null", "--db", ":memory:")
    assert code == 0
    assert "sqlite3" in heavy(modules) and "rich" in {m.split(".")[0] for m in heavy(modules)}


def test_the_embedding_api_imports_the_engine_on_first_use():
    probe = (
        "import sys, leadflow; before = 'leadflow.interpreter.engine' in sys.modules; "
        "leadflow.Engine; print(before, 'leadflow.interpreter.engine' in sys.modules, callable(leadflow.check))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.stdout.split() == ["False", "True", "True"]
