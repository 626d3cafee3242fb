"""Host functions stubbed per test, and webhook answers declared by the test."""

from __future__ import annotations

import pytest

from testrunner_support import leadflow_test, write_test

HOSTS = """
object contact { owner: text, score: number = 0 }
event signed_up { team: text }
extern fn pick_rep(team: text) -> text
extern fn bonus(team: text, size: number) -> number

rule "Assign"
when signed_up
then {
  set owner = pick_rep(event.team)
  increment score by bonus(event.team, 3)
}
"""


def signups(*teams: str) -> str:
    return ", ".join(
        f'{{ event = "signed_up", contact = "ada@example.com", data = {{ team = "{t}" }} }}' for t in teams
    )


def run(tmp_path, stubs: str, teams=("sales",), expect: str = "", *args):
    body = f'[[test]]\nname = "t"\n{stubs}\nsteps = [{signups(*teams)}]\n{expect}'
    return leadflow_test(write_test(tmp_path, body, script=HOSTS), *args)


def test_a_fixed_result_and_the_calls_made(tmp_path):
    result = run(
        tmp_path,
        'stubs = { pick_rep = "Maya", bonus = 10 }',
        ("sales", "support"),
        'expect.calls = { pick_rep = [["sales"], ["support"]], bonus = [["sales", 3], ["support", 3]] }\n'
        'expect."ada@example.com".properties = { owner = "Maya", score = 20 }',
    )
    assert result.code == 0, result.stdout


def test_results_in_turn(tmp_path):
    result = run(
        tmp_path,
        'stubs.bonus = 0\nstubs.pick_rep.in_turn = ["Maya", "Jonas"]',
        ("a", "b"),
        'expect."ada@example.com".properties = { owner = "Jonas" }',
    )
    assert result.code == 0, result.stdout


def test_more_calls_than_results_in_turn_is_an_error_in_the_test(tmp_path):
    result = run(tmp_path, 'stubs.bonus = 0\nstubs.pick_rep.in_turn = ["Maya"]', ("a", "b"))
    assert result.code == 1
    assert "case.test.toml E\n" in result.stdout  # E: the test itself is wrong, not the script
    assert "error at steps[1]: `pick_rep` was called 2 times; `in_turn` gives 1 result(s)" in result.stdout
    assert " 1 error in " in result.stdout


def test_results_by_arguments(tmp_path):
    stubs = """stubs.pick_rep = { by_args = { sales = "Maya", support = "Jonas" } }
stubs.bonus = { by_args = { '["sales", 3]' = 5 }, default = 1 }"""
    result = run(
        tmp_path, stubs, ("sales", "support"), 'expect."ada@example.com".properties = { owner = "Jonas", score = 6 }'
    )
    assert result.code == 0, result.stdout


def test_arguments_no_case_lists_are_an_error_in_the_test(tmp_path):
    result = run(tmp_path, 'stubs.bonus = 0\nstubs.pick_rep.by_args = { sales = "Maya" }', ("marketing",))
    assert result.code == 1
    assert (
        "error at steps[0]: `pick_rep` was called with ['marketing'], which `by_args` does not list (add it, or a `default`)"
        in result.stdout
    )


def test_a_stub_that_raises_makes_the_host_function_fail(tmp_path):
    stubs = 'stubs.bonus = 0\nstubs.pick_rep.raises = "CRM down"'
    result = run(tmp_path, stubs)
    assert result.code == 1
    assert "event signed_up was rejected: " in result.stdout
    assert "host function `pick_rep` failed: RuntimeError: CRM down" in result.stdout


def test_a_function_without_a_stub_is_an_error_in_the_test(tmp_path):
    result = run(tmp_path, "stubs.bonus = 0")
    assert result.code == 1
    assert (
        "error at steps[0]: `pick_rep` was called, but the test has no stub for it: add `stubs.pick_rep = ...`"
        in result.stdout
    )


@pytest.mark.parametrize(
    "stubs, message",
    [
        ("stubs.pick_rep = 3", "stubs.pick_rep: expected text, got a number"),
        ('stubs.pick_rep.in_turn = ["Maya", true]', "stubs.pick_rep.in_turn[1]: expected text, got a bool"),
        (
            "stubs.bonus = { by_args = { '[\"sales\"]' = 5 } }",
            'stubs.bonus.by_args."[\\"sales\\"]": a key of `by_args` is the JSON array of the 2 argument(s) (team: text, size: number)',
        ),
        (
            'stubs.bonus = { by_args = { \'["sales", 3]\' = "five" } }',
            'stubs.bonus.by_args."[\\"sales\\", 3]": expected a number, got text',
        ),
        (
            'stubs.pick_rep = { returns = "Maya", raises = "x" }',
            "stubs.pick_rep: give one of returns, in_turn, by_args or raises",
        ),
        ('stubs.pick_rep = { default = "Maya" }', "stubs.pick_rep.default: `default` goes with `by_args`"),
        ("stubs.pick_rep = {}", "stubs.pick_rep: say what `pick_rep` returns: returns, in_turn, by_args or raises"),
        (
            'stubs.pick_reps = "Maya"',
            "stubs.pick_reps: the script has no extern fn `pick_reps`; did you mean `pick_rep`?",
        ),
    ],
)
def test_a_stub_of_the_wrong_type_or_shape_is_reported_with_its_key(tmp_path, stubs, message):
    result = run(tmp_path, stubs)
    assert result.code == 2, result.stdout
    assert f'test "t": {message}' in result.stdout


# ---- webhooks -------------------------------------------------------------------------------------
DOWNLOAD = '{ event = "ebook_downloaded", contact = "ada@example.com", data = { ebook = "top-10" } }'


def nurture(tmp_path, stubs: str, steps: str, expect: str, *args):
    body = f'[[test]]\nname = "t"\n{stubs}\nsteps = [{steps}]\n{expect}'
    return leadflow_test(write_test(tmp_path, body), *args)


def test_the_declared_answer_resumes_the_workflow_with_its_typed_value(tmp_path):
    stubs = 'stubs.webhooks = [{ url = "https://enrich.example.com/v1/person", method = "post", answer = { company = "Globex", employees = 5000 } }]'
    result = nurture(
        tmp_path,
        stubs,
        DOWNLOAD,
        'expect."ada@example.com" = { properties = { company = "Globex" }, '
        'lists = ["big_companies"], enrolled.nurturing = { at = "5" } }',
    )
    assert result.code == 0, result.stdout


def test_a_workflow_waiting_for_an_answer_the_test_does_not_give_is_an_error_in_the_test(tmp_path):
    result = nurture(tmp_path, 'stubs.webhooks = [{ url = "https://other.example.com/*" }]', DOWNLOAD, "")
    assert result.code == 1
    assert (
        "error at steps[0]: a workflow waits for the answer of POST https://enrich.example.com/v1/person, "
        'but the test declares none: add stubs.webhooks = [{ url = "https://enrich.example.com/v1/person", '
        "answer = { ... } }]"
    ) in result.stdout


def test_a_5xx_answer_is_retried_a_minute_later_as_in_production(tmp_path):
    stubs = """stubs.webhooks = [
  { url = "https://enrich.example.com/*", status = 503, times = 1 },
  { url = "https://enrich.example.com/*", answer = { company = "Acme" } },
]"""
    steps = (
        f'{DOWNLOAD}, {{ expect = {{ "ada@example.com" = {{ unknown = ["company"], enrolled.nurturing = {{ at = "2" }} }} }} }}, '
        '{ advance = "1 minute" }'
    )
    result = nurture(
        tmp_path,
        stubs,
        steps,
        'expect."ada@example.com" = { properties = { company = "Acme" }, enrolled.nurturing = { at = "5" } }',
    )
    assert result.code == 0, result.stdout


def test_an_answer_of_the_wrong_type_parks_the_run_as_in_production(tmp_path):
    stubs = 'stubs.webhooks = [{ url = "https://enrich.example.com/*", answer = { company = 42 } }]'
    result = nurture(tmp_path, stubs, DOWNLOAD, "")
    assert result.code == 1
    assert (
        "workflow nurturing stopped with an error for contact 1 (ada@example.com) at step 2: the webhook's answer "
        "does not match its type: the answer `info`.company: expected text, got a number"
    ) in result.stdout
