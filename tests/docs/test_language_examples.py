"""docs/language.md says "every example here passes `leadflow check` unless it
is shown with the diagnostics it produces": each ```leadflow block is checked,
and one followed by a ```text block of `example.flow:...` diagnostics must
produce exactly that output."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadflow.cli import main

LANGUAGE = Path(__file__).resolve().parents[2] / "docs" / "language.md"
BLOCK = re.compile(r"```leadflow\n(.*?)```\n(?:\n```text\n(example\.flow:.*?)```)?", re.S)


def examples() -> list:
    text = LANGUAGE.read_text("utf-8")
    return [pytest.param(m[1], m[2], id=f"line {text.count(chr(10), 0, m.start()) + 1}") for m in BLOCK.finditer(text)]


@pytest.mark.parametrize("source, diagnostics", examples())
def test_example_checks_as_documented(source, diagnostics, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("example.flow").write_text(source, "utf-8")
    result = CliRunner().invoke(main, ["check", "example.flow"], catch_exceptions=False)
    if diagnostics is None:
        assert result.exit_code == 0 and "error" not in result.stderr, result.stderr
    else:
        assert (result.stderr + result.stdout).strip() == diagnostics.strip()  # the summary of warnings is on stdout


def test_every_block_is_found():
    assert len(examples()) == LANGUAGE.read_text("utf-8").count("```leadflow\n")
