"""`leadflow check`, `--help`, usage errors, and a few end-to-end runs of the
real `python -m leadflow` process (exit codes as a shell sees them).

The exit codes are the CLI's documented contract: 0 ok, 1 script errors,
2 usage, 3 some input rejected, 4 runtime or host failure.
"""

from __future__ import annotations

import json
import re

import pytest
from cli_support import LIFECYCLE, jsonl, leadflow, leadflow_process, rejected_lines

from leadflow.cli import main

BROKEN = """\
object contact {
  score: number = 0
  lifecycle: enum { lead, mql } = lead
}

rule "Misspelt property"
when created
then set scroe = 5

rule "Misspelt member"
when created
then set lifecycle = mqll

rule "Wrong type"
when created
then set score = "high"
"""
# (line, code, the token the span must cover)
BROKEN_ERRORS = [(8, "E202", "scroe"), (12, "E201", "mqll"), (16, "E204", '"high"')]

WARNS_ONLY = """\
object contact {
  score: number = 0
}

rule "Redundant default"
when created
then set score = score ?? 1
"""


@pytest.fixture
def broken(tmp_path):
    path = tmp_path / "broken.flow"
    path.write_text(BROKEN, "utf-8")
    return path


# ---- check ------------------------------------------------------------------------------
def test_check_clean_file():
    result = leadflow("check", LIFECYCLE / "lifecycle.flow")
    assert result.code == 0
    assert "OK" in result.stdout
    assert result.stderr == ""


def test_check_reports_every_error_with_location_and_caret(broken):
    result = leadflow("check", broken)
    assert result.code == 1
    source_lines = BROKEN.splitlines()
    rendered = result.stderr.splitlines()
    for line, code, token in BROKEN_ERRORS:
        heads = [h for h in rendered if h.startswith(f"{broken}:{line}:")]
        assert len(heads) == 1, result.stderr
        column = int(re.match(rf"{re.escape(str(broken))}:{line}:(\d+): error\[{code}\]: ", heads[0])[1])
        # The source line is echoed under the heading, then a caret line under the column.
        echo = rendered.index(f"{line} | {source_lines[line - 1]}", rendered.index(heads[0]))
        caret = re.fullmatch(r" +\| ( *)(\^+)( .*)?", rendered[echo + 1])
        assert caret, rendered[echo + 1]
        assert len(caret[1]) == column - 1
        covered = source_lines[line - 1][column - 1 : column - 1 + len(caret[2])]
        assert token in covered, (covered, token)
    assert "did you mean `score`?" in result.stderr
    assert "did you mean `mql`?" in result.stderr
    assert "3 error(s)" in result.stderr


def test_check_json_lists_every_diagnostic(broken):
    result = leadflow("check", "--format", "json", broken)
    assert result.code == 1
    diagnostics = json.loads(result.stdout)
    assert isinstance(diagnostics, list)
    assert [(d["line"], d["code"]) for d in diagnostics] == [(line, code) for line, code, _ in BROKEN_ERRORS]
    for d in diagnostics:
        assert {"file", "line", "column", "code", "message"} <= d.keys()
        assert d["file"] == str(broken)
        assert d["severity"] == "error"
        assert isinstance(d["column"], int) and d["column"] >= 1
        assert d["message"]


def test_check_text_and_json_agree(broken):
    text = leadflow("check", broken).stderr
    for d in json.loads(leadflow("check", "--format", "json", broken).stdout):
        assert f"{d['file']}:{d['line']}:{d['column']}: error[{d['code']}]: {d['message']}" in text


def test_check_warnings_alone_pass(tmp_path):
    path = tmp_path / "warns.flow"
    path.write_text(WARNS_ONLY, "utf-8")
    result = leadflow("check", path)
    assert result.code == 0
    assert f"{path}:7:" in result.stderr
    assert "warning[W201]" in result.stderr
    assert "0 error(s), 1 warning(s)" in result.stdout
    as_json = leadflow("check", "--format", "json", path)
    assert as_json.code == 0
    assert [(d["code"], d["severity"]) for d in json.loads(as_json.stdout)] == [("W201", "warning")]


def test_check_clean_file_json_is_an_empty_list():
    result = leadflow("check", "--format", "json", LIFECYCLE / "lifecycle.flow")
    assert (result.code, result.stdout.strip()) == (0, "[]")


def test_check_syntax_error(tmp_path):
    path = tmp_path / "syntax.flow"
    path.write_text('object contact {\n  score: number = 0\n\nrule "R" when\n', "utf-8")
    result = leadflow("check", path)
    assert result.code == 1
    assert re.search(rf"^{re.escape(str(path))}:4:1: error\[E1\d\d\]: ", result.stderr, re.MULTILINE)
    assert "^" in result.stderr


def test_check_several_files_are_one_program(tmp_path):
    extra = tmp_path / "extra.flow"
    extra.write_text('rule "Uses lifecycle.flow\'s contact"\nwhen created\nthen set persona = byer\n', "utf-8")
    result = leadflow("check", LIFECYCLE / "lifecycle.flow", extra)
    assert result.code == 1
    assert f"{extra}:3:" in result.stderr
    assert "did you mean `buyer`?" in result.stderr
    assert "2 file(s): 1 error(s)" in result.stderr
    assert f"{LIFECYCLE / 'lifecycle.flow'}:" not in result.stderr


def test_check_missing_file_is_a_usage_error(tmp_path):
    result = leadflow("check", tmp_path / "nope.flow")
    assert result.code == 2
    assert "does not exist" in result.stderr


def test_check_directory_is_a_usage_error(tmp_path):
    assert leadflow("check", tmp_path).code == 2


def test_check_file_that_is_not_utf8_is_a_usage_error(tmp_path):
    path = tmp_path / "latin1.flow"
    path.write_bytes("# café\nobject contact { }\n".encode("latin-1"))
    result = leadflow("check", path)
    assert result.code == 2
    assert "not UTF-8" in result.stderr


def test_check_with_no_files_is_a_usage_error():
    assert leadflow("check").code == 2


# ---- help and usage -----------------------------------------------------------------------
@pytest.mark.parametrize("command", [[], *([name] for name in sorted(main.commands))])
def test_help(command):
    result = leadflow(*command, "--help")
    assert result.code == 0
    assert "Usage:" in result.stdout
    assert leadflow(*command, "-h").code == 0


def test_every_documented_command_exists():
    assert {
        "check",
        "run",
        "import",
        "export",
        "history",
        "outbox",
        "replay",
        "deliver",
        "demo",
        "repl",
        "explain",
    } <= set(main.commands)


def test_version():
    result = leadflow("--version")
    assert result.code == 0
    assert "version" in result.stdout


@pytest.mark.parametrize("args", [["frobnicate"], ["check", "--format", "xml", "x.flow"], ["run", "--bogus"]])
def test_usage_errors(args):
    result = leadflow(*args)
    assert result.code == 2
    assert "Usage:" in result.stderr


# ---- the real process --------------------------------------------------------------------
def test_process_check_errors_exit_1(broken):
    result = leadflow_process("check", broken)
    assert result.code == 1
    assert f"{broken}:8:" in result.stderr
    assert "error[E202]" in result.stderr


def test_process_import_then_run_rejects_two_lines(tmp_path):
    db = tmp_path / "crm.db"
    imported = leadflow_process("import", LIFECYCLE / "lifecycle.flow", LIFECYCLE / "contacts.csv", "--db", db)
    assert imported.code == 0, imported.stderr
    assert "5 row(s) imported, 0 already imported, 0 rejected" in imported.stdout

    result = leadflow_process(
        "run",
        LIFECYCLE / "lifecycle.flow",
        "--events",
        LIFECYCLE / "events.jsonl",
        "--db",
        db,
        "--email",
        tmp_path / "outbox",
    )
    assert result.code == 3
    assert set(rejected_lines(result.stderr)) == {12, 13}
    assert "12 event(s) applied, 0 already seen, 2 rejected" in result.stdout
    assert list((tmp_path / "outbox").glob("*.eml"))


def test_process_events_from_stdin(tmp_path):
    events = jsonl(
        {"event": "upsert", "contact": "ada@example.com", "at": "2020-01-06T09:00:00Z", "data": {"first_name": "Ada"}},
        "not json",
    )
    result = leadflow_process(
        "run", LIFECYCLE / "lifecycle.flow", "--events", "-", "--db", tmp_path / "crm.db", "--no-deliver", input=events
    )
    assert result.code == 3
    assert "1 event(s) applied" in result.stdout
    assert "line 2: rejected: not valid JSON" in result.stderr


def test_process_missing_script_exit_2(tmp_path):
    result = leadflow_process("run", tmp_path / "missing.flow", "--events", LIFECYCLE / "events.jsonl")
    assert result.code == 2
    assert "does not exist" in result.stderr


def test_process_host_failure_exit_4(tmp_path):
    result = leadflow_process(
        "run",
        LIFECYCLE / "lifecycle.flow",
        "--events",
        LIFECYCLE / "events.jsonl",
        "--db",
        tmp_path / "no" / "such" / "dir" / "crm.db",
    )
    assert result.code == 4
    assert result.stderr.startswith("error: ")
