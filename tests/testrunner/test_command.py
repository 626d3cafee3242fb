"""`leadflow test` as a user runs it: paths, options, output and exit codes."""

from __future__ import annotations

import shutil

from testrunner_support import FIXTURES, leadflow_process, leadflow_test, write_test

PASSING = '[[test]]\nname = "passes"\nexpect.count = { contact = 0 }\n'
FAILING = '[[test]]\nname = "fails"\nexpect.count = { contact = 1 }\n'


def test_exit_0_when_every_test_passes_1_when_one_fails_2_for_a_bad_file(tmp_path):
    good = write_test(tmp_path, PASSING, name="good.test.toml")
    assert leadflow_test(good).code == 0
    failing = write_test(tmp_path, PASSING + FAILING, name="failing.test.toml")
    assert leadflow_test(failing).code == 1
    bad = write_test(tmp_path, '[[test]]\nname = "bad"\nexpekt = {}\n', name="bad.test.toml")
    result = leadflow_test(tmp_path)
    assert result.code == 2  # a bad file outranks failures; the other files still ran
    assert "bad.test.toml" in result.stdout and "failing.test.toml .F" in result.stdout
    assert "good.test.toml ." in result.stdout
    assert result.stdout.strip().splitlines()[-1].strip("= ").startswith("2 passed, 1 failed, 1 error in ")
    assert bad.exists()


def test_verbose_names_every_test_with_its_outcome(tmp_path):
    path = write_test(tmp_path, PASSING + FAILING)
    result = leadflow_test(path, "-v")
    assert f"{path}::passes PASSED\n{path}::fails FAILED\n" in result.stdout


def test_k_selects_tests_by_name_and_x_stops_at_the_first_failure(tmp_path):
    path = write_test(tmp_path, FAILING + PASSING)
    only = leadflow_test(path, "-k", "PASS")
    assert only.code == 0 and " 1 passed in " in only.stdout
    first = leadflow_test(path, "-x")
    assert first.code == 1 and "case.test.toml F\n" in first.stdout and "passed" not in first.stdout
    none = leadflow_test(path, "-k", "nothing like it")
    assert none.code == 2 and "no test name contains 'nothing like it'" in none.stderr


def test_folders_are_searched_for_test_files_but_not_hidden_ones_or_environments(tmp_path):
    for folder in ("a", "a/b", ".hidden", "venv"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        write_test(tmp_path / folder, PASSING)
    result = leadflow_test(tmp_path)
    assert result.code == 0
    assert f"{tmp_path}/a/b/case.test.toml ." in result.stdout and f"{tmp_path}/a/case.test.toml ." in result.stdout
    assert ".hidden" not in result.stdout and "venv" not in result.stdout


def test_a_script_stands_for_the_tests_next_to_it(tmp_path):
    write_test(tmp_path, PASSING, name="script.test.toml")
    result = leadflow_test(tmp_path / "script.flow")
    assert result.code == 0 and "script.test.toml ." in result.stdout
    (tmp_path / "other.flow").write_text("object contact { x: text }\n")
    result = leadflow_test(tmp_path / "other.flow")
    assert result.code == 2
    assert f"other.flow has no tests: write them in {tmp_path}/other.test.toml" in result.stderr


def test_nothing_to_run_is_a_usage_error(tmp_path):
    result = leadflow_test(tmp_path)
    assert result.code == 2
    assert f"no *.test.toml files under {tmp_path}" in result.stderr
    assert leadflow_test(tmp_path / "missing").code == 2


def test_from_a_shell_in_the_folder_of_the_tests(tmp_path):
    shutil.copytree(FIXTURES, tmp_path / "fixtures")
    result = leadflow_process("test", "--coverage", cwd=tmp_path)
    assert result.code == 0, result.text
    assert "fixtures/nurture.test.toml ......" in result.stdout
    assert "fixtures/nurture.flow  100%" in result.stdout
    assert " 6 passed in " in result.stdout
    broken = tmp_path / "fixtures" / "nurture.test.toml"
    broken.write_text(broken.read_text().replace('name = "big companies are listed"', 'nam = "x"'))
    result = leadflow_process("test", "fixtures", cwd=tmp_path)
    assert result.code == 2
    assert 'nurture.test.toml: test "test[1]": nam: unknown key `nam`; did you mean `name`?' in result.stdout
