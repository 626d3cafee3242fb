"""A mistake in a test file is reported with the file, the test and the key,
exit code 2, and no traceback; none of that file's tests run."""

from __future__ import annotations

import pytest

from testrunner_support import leadflow_test, write_test

EVENT = '{ event = "ebook_downloaded", contact = "ada@example.com", data = { ebook = "top-10" } }'


@pytest.mark.parametrize(
    "body, message",
    [
        (
            '[[test]]\nname = "t"\nsteps = [{ evnt = "ebook_downloaded" }]',
            'test "t": steps[0].evnt: unknown key `evnt`; did you mean `event`?',
        ),
        ('[[test]]\nname = "t"\nstep = []', 'test "t": step: unknown key `step`; did you mean `steps`?'),
        (
            '[[test]]\nname = "t"\nsteps = [{ event = "ebook_downloded", contact = "ada@example.com" }]',
            'test "t": steps[0].event: the script has no event `ebook_downloded`; did you mean `ebook_downloaded`?',
        ),
        (
            '[[test]]\nname = "t"\nsteps = [{ event = "ebook_downloaded", contact = "ada@example.com", data = { book = "x" } }]',
            'test "t": steps[0].data.book: event `ebook_downloaded` has no field `book` (it has ebook)',
        ),
        (
            '[[test]]\nname = "t"\nsteps = [{ event = "ebook_downloaded", contact = "ada@example.com" }]',
            'test "t": steps[0].data: event `ebook_downloaded` needs ebook',
        ),
        (
            '[[test]]\nname = "t"\nsteps = [{ event = "ebook_downloaded", data = { ebook = "x" } }]',
            'test "t": steps[0]: `contact` is required: the contact\'s email (or an alias)',
        ),
        (
            '[[test]]\nname = "t"\ngiven.records = [{ email = "ada@example.com", lifecycel = "lead" }]',
            'test "t": given.records[0].lifecycel: contact has no property `lifecycel`; did you mean `lifecycle`?',
        ),
        (
            '[[test]]\nname = "t"\ngiven.records = [{ email = "ada@example.com", employees = "many" }]',
            'test "t": given.records[0].employees: expected a number, got text',
        ),
        ('[[test]]\nname = "t"\ngiven.records = [{ email = "not an email" }]', 'test "t": given.records[0].email:'),
        (
            '[[test]]\nname = "t"\ngiven.records = [{ email = "ada@example.com", id = 3 }]',
            'test "t": given.records[0].id: `id` is read-only: the store sets it',
        ),
        (
            '[[test]]\nname = "t"\ngiven.lists = { engaged = ["bob@example.com"] }',
            'test "t": given.lists.engaged[0]: bob@example.com is not among the given records',
        ),
        (
            '[[test]]\nname = "t"\nsteps = [{ advance = "5 dayz" }]',
            'test "t": steps[0].advance: \'5 dayz\' is not a duration like "5 days" or "2 hours"',
        ),
        (
            '[[test]]\nname = "t"\nsteps = [{ advance = "1 day", until = 2026-12-01T00:00:00Z }]',
            'test "t": steps[0]: a step does one thing',
        ),
        (
            '[[test]]\nname = "t"\nsteps = [{ until = "next tuesday" }]',
            "test \"t\": steps[0].until: 'next tuesday' is not a valid datetime",
        ),
        (
            '[[test]]\nname = "t"\nexpect."ada@example.com" = { propertie = {} }',
            'test "t": expect."ada@example.com".propertie: unknown key `propertie`; did you mean `properties`?',
        ),
        (
            '[[test]]\nname = "t"\nexpect."ada@example.com" = { lists = ["engagd"] }',
            'test "t": expect."ada@example.com".lists[0]: the script has no list `engagd`; did you mean `engaged`?',
        ),
        (
            '[[test]]\nname = "t"\nexpect."ada@example.com" = { enrolled = { nurture = "active" } }',
            'test "t": expect."ada@example.com".enrolled.nurture: the script has no workflow `nurture`; did you mean `nurturing`?',
        ),
        (
            '[[test]]\nname = "t"\nexpect."ada@example.com" = { enrolled = { nurturing = "done" } }',
            'test "t": expect."ada@example.com".enrolled.nurturing.status: `done` is not a run status',
        ),
        (
            '[[test]]\nname = "t"\nexpect."ada@example.com" = { emails = ["welcome"] }',
            'test "t": expect."ada@example.com".emails[0].template: the script has no email `welcome`',
        ),
        (
            '[[test]]\nname = "t"\nexpect.bob = { lists = [] }',
            'test "t": expect.bob: `bob` is not an email, an alias given with `as`',
        ),
        (
            '[[test]]\nname = "t"\nexpect."ada@example.com" = { unknown = ["lifecycle"] }',
            'test "t": expect."ada@example.com".unknown[0]: `lifecycle` has a default, so it always has a value',
        ),
        (
            '[[test]]\nname = "t"\nstubs.webhooks = [{ ur = "x" }]',
            'test "t": stubs.webhooks[0].ur: unknown key `ur`; did you mean `url`?',
        ),
        (
            '[[test]]\nname = "t"\nstubs.enrich = 3',
            'test "t": stubs.enrich: the script has no extern fn `enrich` (the script declares none)',
        ),
        ('[[test]]\nname = "t"\n[[test]]\nname = "t"', 'test "t": name: another test has this name'),
        (
            '[[test]]\nname = "t"\nsteps = [{ import = "nowhere.csv" }]',
            'test "t": steps[0].import: no file nowhere.csv next to the test file',
        ),
    ],
)
def test_a_mistake_in_a_test_names_the_file_the_test_and_the_key(tmp_path, body, message):
    path = write_test(tmp_path, body)
    result = leadflow_test(path)
    assert result.code == 2, result.text
    assert f"bad test file: {path}: {message}" in result.stdout, result.stdout


@pytest.mark.parametrize(
    "text, message",
    [
        (
            'script = "script.flow"\n[[test]\nname = "t"',
            "not valid TOML: Expected ']]' at the end of an array declaration (at line 2, column 7)",
        ),
        ('scrip = "script.flow"', "scrip: unknown key `scrip`; did you mean `script`?"),
        ('[[test]]\nname = "t"', 'name the script under test: `script = "rules.flow"` (or `scripts = [...]`)'),
        ('script = "other.flow"\n[[test]]\nname = "t"', "script: no script other.flow next to the test file"),
        ('script = "script.flow"\ntimezone = "Mars/Olympus"', "timezone: unknown time zone 'Mars/Olympus'"),
        ('script = "script.flow"', "no tests: add a [[test]] table"),
        ('script = "script.flow"\nstart = "soon"\n[[test]]\nname = "t"', "start: 'soon' is not a valid datetime"),
    ],
)
def test_a_mistake_at_the_top_of_a_file(tmp_path, text, message):
    (tmp_path / "script.flow").write_text("object contact { first_name: text }\n")
    path = tmp_path / "bad.test.toml"
    path.write_text(text)
    result = leadflow_test(path)
    assert result.code == 2, result.text
    assert f"bad test file: {path}: {message}" in result.stdout, result.stdout


def test_every_test_of_a_file_is_checked_and_none_runs(tmp_path):
    body = (
        f'[[test]]\nname = "fine"\nsteps = [{EVENT}]\n'
        '[[test]]\nname = "one"\nstep = []\n'
        '[[test]]\nname = "two"\nexpect.x = 1\n'
    )
    result = leadflow_test(write_test(tmp_path, body))
    assert result.code == 2
    assert 'test "one": step: unknown key' in result.stdout
    assert 'test "two": expect.x: expected a table of what record "x" holds' in result.stdout
    last = result.stdout.strip().splitlines()[-1]
    assert " 2 errors in " in last and "passed" not in last


def test_a_script_that_does_not_check_shows_its_diagnostics_and_exits_1(tmp_path):
    path = write_test(tmp_path, f'[[test]]\nname = "t"\nsteps = [{EVENT}]', script="object contact { score: numbr }\n")
    result = leadflow_test(path)
    assert result.code == 1
    assert "the script does not check" in result.stdout
    assert "unknown type `numbr`" in result.stdout
