"""`leadflow fmt`: rewrite in place only what changes, `--check`, `--diff`,
folders, standard input, and a file with a syntax error left alone."""

from __future__ import annotations

import os
import shutil

import pytest
from cli_support import EXAMPLES, leadflow, leadflow_process

MESSY = """\
# Lifecycle rules
object contact { first_name: text   # as typed
  score: number = 0 }


when form_submitted then set score = score+1   # one point a form
"""
CANONICAL = """\
# Lifecycle rules
object contact {
  first_name: text  # as typed
  score: number = 0
}

when form_submitted
then set score = score + 1  # one point a form
"""
BROKEN = "# half a rule\nwhen form_submitted then set = 1\n"


@pytest.fixture
def scripts(tmp_path):
    """A folder with a messy script, a canonical one and a broken one."""
    (tmp_path / "messy.flow").write_text(MESSY, "utf-8")
    (tmp_path / "tidy.flow").write_text(CANONICAL, "utf-8")
    (tmp_path / "broken.flow").write_text(BROKEN, "utf-8")
    return tmp_path


def test_fmt_rewrites_only_the_files_that_change(scripts):
    tidy = scripts / "tidy.flow"
    os.utime(tidy, (1_000_000, 1_000_000))
    result = leadflow("fmt", scripts / "messy.flow", tidy)
    assert result.code == 0
    assert result.lines() == [f"reformatted {scripts / 'messy.flow'}"]
    assert "1 file(s) reformatted, 1 unchanged" in result.stderr
    assert (scripts / "messy.flow").read_text("utf-8") == CANONICAL
    assert tidy.stat().st_mtime == 1_000_000  # not written at all


def test_fmt_check_lists_what_would_change_and_changes_nothing(scripts):
    result = leadflow("fmt", "--check", scripts / "messy.flow", scripts / "tidy.flow")
    assert result.code == 1
    assert result.lines() == [f"would reformat {scripts / 'messy.flow'}"]
    assert (scripts / "messy.flow").read_text("utf-8") == MESSY
    assert leadflow("fmt", "--check", scripts / "tidy.flow").code == 0


def test_fmt_diff_prints_a_unified_diff_and_changes_nothing(scripts):
    path = scripts / "messy.flow"
    result = leadflow("fmt", "--diff", path)
    assert result.code == 0
    assert result.stdout.startswith(f"--- {path}\n+++ {path}\n@@ ")
    assert "-object contact { first_name: text   # as typed\n" in result.stdout
    assert "+  first_name: text  # as typed\n" in result.stdout
    assert path.read_text("utf-8") == MESSY
    assert leadflow("fmt", "--diff", "--check", path).code == 1


def test_fmt_diff_applies_with_patch(scripts):
    if shutil.which("patch") is None:
        pytest.skip("`patch` is not installed")
    import subprocess

    diff = leadflow("fmt", "--diff", scripts / "messy.flow").stdout
    subprocess.run(["patch", "-p0", "--quiet"], input=diff, text=True, cwd="/", check=True)
    assert (scripts / "messy.flow").read_text("utf-8") == CANONICAL


def test_a_file_with_a_syntax_error_is_reported_and_left_alone(scripts):
    result = leadflow("fmt", scripts)  # the folder: all three
    assert result.code == 1
    assert f"{scripts / 'broken.flow'}:2:30: error[E100]: unexpected `=`" in result.stderr
    assert "1 file(s) reformatted, 1 unchanged, 1 with errors" in result.stderr
    assert (scripts / "broken.flow").read_text("utf-8") == BROKEN
    assert (scripts / "messy.flow").read_text("utf-8") == CANONICAL


def test_fmt_reads_standard_input_and_writes_standard_output():
    result = leadflow("fmt", "-", input=MESSY)
    assert result.code == 0
    assert result.stdout == CANONICAL
    assert result.stderr == ""


def test_fmt_needs_a_path_that_exists(tmp_path):
    assert leadflow("fmt", tmp_path / "missing.flow").code == 2
    assert leadflow("fmt").code == 2


def test_fmt_from_a_shell_keeps_the_examples_comments(tmp_path):
    copy = tmp_path / "examples"
    shutil.copytree(EXAMPLES, copy)
    scripts = sorted(copy.glob("*/*.flow"))
    before = {
        p: [line.strip() for line in p.read_text("utf-8").split("\n") if line.strip().startswith("#")] for p in scripts
    }
    result = leadflow_process("fmt", copy)
    assert result.code == 0, result.stderr
    assert leadflow_process("fmt", "--check", copy).code == 0
    for path, comments in before.items():
        after = [line.strip() for line in path.read_text("utf-8").split("\n") if line.strip().startswith("#")]
        assert after == comments
