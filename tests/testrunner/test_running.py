"""What a test does, step by step, and how a failure reads."""

from __future__ import annotations

from testrunner_support import FIXTURES, leadflow_test, write_test

DOWNLOAD = '{ event = "ebook_downloaded", contact = "ada@example.com", data = { ebook = "top-10" } }'
ANSWER = '[[stubs.webhooks]]\nurl = "https://enrich.example.com/*"\nanswer = { company = "Acme", employees = 40 }\n'


def test_the_fixture_tests_pass():
    result = leadflow_test(FIXTURES)
    assert result.code == 0, result.stdout
    assert "nurture.test.toml ......" in result.stdout
    assert " 6 passed in " in result.stdout


def test_a_failed_expectation_shows_what_was_expected_what_happened_and_a_diff(tmp_path):
    body = f"""
[[test]]
name = "the digest comes at once"
steps = [{DOWNLOAD}]
expect."ada@example.com" = {{ emails = ["followup_1", "blog_digest"], properties = {{ lifecycle = "mql" }} }}
"""
    result = leadflow_test(write_test(tmp_path, body, header=ANSWER))
    assert result.code == 1
    out = result.stdout
    assert "case.test.toml F" in out
    assert "case.test.toml::the digest comes at once" in out
    assert "failed at expect: expectations not met" in out
    assert 'expect."ada@example.com".emails: expected 2 emails, got 1' in out
    assert "--- expected\n    +++ actual" in out
    assert '     "followup_1"\n    -"blog_digest"' in out
    assert 'expect."ada@example.com".properties: lifecycle differs' in out
    assert "expected: lifecycle = mql\n    actual:   lifecycle = lead" in out
    assert out.strip().splitlines()[-1].startswith("=") and " 1 failed in " in out


def test_an_expect_step_checks_the_state_at_that_moment_and_stops_the_test(tmp_path):
    body = f"""
[[test]]
name = "the offer is not sent on the first day"
steps = [
  {DOWNLOAD},
  {{ advance = "1 day" }},
  {{ expect = {{ "ada@example.com".emails = ["followup_1", "ebook_2_offer"] }} }},
  {{ advance = "30 days" }},
]
"""
    result = leadflow_test(write_test(tmp_path, body, header=ANSWER))
    assert result.code == 1
    assert "failed at steps[2]: expectations not met" in result.stdout
    assert 'steps[2].expect."ada@example.com".emails: expected 2 emails, got 1' in result.stdout


def test_workflow_expectations_name_the_status_and_the_waiting_step(tmp_path):
    body = f"""
[[test]]
name = "waiting"
steps = [{DOWNLOAD}, {{ advance = "5 days" }}]
expect."ada@example.com".enrolled.nurturing = {{ status = "active", at = "5", runs = 1 }}
"""
    result = leadflow_test(write_test(tmp_path, body, header=ANSWER))
    assert result.code == 1
    assert 'expect."ada@example.com".enrolled.nurturing: the run differs' in result.stdout
    assert "expected: active, at step 5, 1 run(s)\n    actual:   active, at step 7, 1 run(s)" in result.stdout


def test_a_step_path_the_workflow_does_not_have_is_named(tmp_path):
    body = (
        f'[[test]]\nname = "t"\nsteps = [{DOWNLOAD}]\nexpect."ada@example.com".enrolled.nurturing = {{ at = "42" }}\n'
    )
    result = leadflow_test(write_test(tmp_path, body, header=ANSWER))
    assert "workflow nurturing has no step 42; its steps are 1, 2, 3, 4, 4/if1/1, 5, 6, 7, 7/else/1" in result.stdout


def test_a_rejected_event_fails_the_test_unless_the_step_expects_it(tmp_path):
    script = (
        "object contact { score: number = 0 }\nevent scored { points: number }\n"
        'rule "Score" when scored then increment score by 100 / event.points\n'
    )
    body = """
[[test]]
name = "unexpected"
steps = [{ event = "scored", contact = "ada@example.com", data = { points = 0 } }]

[[test]]
name = "expected"
given.records = [{ email = "ada@example.com" }]
steps = [{ event = "scored", contact = "ada@example.com", data = { points = 0 }, rejected = "*division by zero*" }]
expect."ada@example.com".properties = { score = 0 }

[[test]]
name = "expected but applied"
steps = [{ event = "scored", contact = "ada@example.com", data = { points = 4 }, rejected = "*division*" }]
"""
    result = leadflow_test(write_test(tmp_path, body, script=script), "-v")
    assert result.code == 1
    assert "::unexpected FAILED" in result.stdout and "::expected PASSED" in result.stdout
    assert (
        'script.flow:3:50: runtime error in rule "Score": division by zero' in result.stdout
    )  # at `100 / event.points`
    assert "event scored was applied; expected it to be rejected with a message matching '*division*'" in result.stdout


def test_fired_lists_the_rules_an_event_ran_in_order(tmp_path):
    body = """
[[test]]
name = "t"
[[test.steps]]
event = "ebook_downloaded"
contact = "ada@example.com"
data = { ebook = "other" }
fired = ["A download makes a lead", "workflow nurturing"]
"""
    result = leadflow_test(write_test(tmp_path, body))
    assert result.code == 1
    assert "steps[0].fired: the rules that fired differ" in result.stdout
    assert '     rule "A download makes a lead"\n    -workflow nurturing' in result.stdout


def test_a_run_parked_in_error_fails_the_test_unless_expected(tmp_path):
    stub = '[[stubs.webhooks]]\nurl = "https://enrich.example.com/*"\nstatus = 404\n'
    body = f"""
[[test]]
name = "not expected"
steps = [{DOWNLOAD}]

[[test]]
name = "expected"
steps = [{DOWNLOAD}]
expect."ada@example.com".enrolled.nurturing = "error"
"""
    result = leadflow_test(write_test(tmp_path, body, header=stub), "-v")
    assert "::not expected FAILED" in result.stdout and "::expected PASSED" in result.stdout
    assert (
        "failed at expect: workflow nurturing stopped with an error for contact 1 (ada@example.com) "
        "at step 2: webhook failed: HTTP 404 (stub)"
    ) in result.stdout


def test_without_auto_delivery_effects_wait_for_a_deliver_step(tmp_path):
    body = f"""
[[test]]
name = "t"
auto_deliver = false
steps = [
  {DOWNLOAD},
  {{ advance = "1 day" }},
  {{ expect = {{ webhooks = [{{ status = "pending" }}], "ada@example.com".enrolled.nurturing = {{ at = "2" }} }} }},
  {{ deliver = true }},
  {{ expect = {{ webhooks = [{{ status = "sent" }}], "ada@example.com" = {{ properties = {{ company = "Acme" }}, enrolled.nurturing = {{ at = "5" }} }} }} }},
]
"""
    result = leadflow_test(write_test(tmp_path, body, header=ANSWER))
    assert result.code == 0, result.stdout


def test_the_clock_cannot_go_back(tmp_path):
    body = '[[test]]\nname = "t"\nstart = 2026-12-01T00:00:00Z\nsteps = [{ until = 2026-11-01T00:00:00Z }]\n'
    result = leadflow_test(write_test(tmp_path, body))
    assert result.code == 1
    assert "error at steps[0]: `until` goes back in time: the clock is at 2026-12-01T00:00:00+00:00" in result.stdout


def test_history_must_appear_in_order(tmp_path):
    body = f"""
[[test]]
name = "t"
steps = [{DOWNLOAD}]
expect."ada@example.com".history = [{{ added_to = "engaged" }}]
"""
    result = leadflow_test(write_test(tmp_path, body, header=ANSWER))
    assert 'expect."ada@example.com".history: no change { added_to = "engaged" } (in this order)' in result.stdout


def test_event_files_and_csv_imports_with_the_rows_they_reject(tmp_path):
    (tmp_path / "contacts.csv").write_text(
        "email,first_name,employees\nada@example.com,Ada,3\nbob@example.com,Bob,many\n"
    )
    (tmp_path / "events.jsonl").write_text(
        '{"event": "ebook_downloaded", "contact": "ada@example.com", "at": "2026-01-06T09:00:00Z", "data": {"ebook": "top-10"}}\n'
        "\n"
        '{"event": "ebook_downloaded", "contact": "ada@example.com", "data": {}}\n'
        "not json\n"
    )
    body = """
[[test]]
name = "as expected"
steps = [
  { import = "contacts.csv", rejected = { 3 = "*employees*" } },
  { events = "events.jsonl", rejected = { 3 = "*ebook*", 4 = "*" } },
]
expect."ada@example.com" = { properties = { first_name = "Ada", company = "Acme" }, emails = ["followup_1"] }

[[test]]
name = "not as expected"
steps = [{ events = "events.jsonl", rejected = { 2 = "*" } }]
"""
    result = leadflow_test(write_test(tmp_path, body, header=ANSWER), "-v")
    assert "::as expected PASSED" in result.stdout
    assert "line 3 was rejected: event.ebook" not in result.stdout
    assert "failed at steps[0]: line 3 was rejected: " in result.stdout
    assert "line 2 was not rejected" in result.stdout


COUNTER = """
object contact { views: number = 0 }
event page_viewed { url: text }
rule "Count the views" when page_viewed then set views = views + 1
"""


def test_each_event_step_is_an_event_of_its_own_unless_ids_say_otherwise(tmp_path):
    # Two identical steps at the same moment are two page views, as two identical
    # lines of an event file are: a step without `id` is keyed by its position,
    # not by the engine's hash of name, contact, time and data (which made the
    # second a silent duplicate). The same `id` twice is one event.
    view = '{ event = "page_viewed", contact = "ada@example.com", data = { url = "https://example.com" } }'
    same = '{ event = "page_viewed", contact = "ada@example.com", data = { url = "https://example.com" }, id = "v1" }'
    again = '{ event = "page_viewed", contact = "ada@example.com", data = { url = "https://example.com" }, id = "v1", fired = [] }'
    body = f"""
[[test]]
name = "two views"
steps = [{view}, {view}]
expect."ada@example.com".properties.views = 2

[[test]]
name = "one view, sent twice"
steps = [{same}, {again}]
expect."ada@example.com".properties.views = 1
"""
    result = leadflow_test(write_test(tmp_path, body, script=COUNTER), "-v")
    assert result.code == 0, result.stdout
    assert "::two views PASSED" in result.stdout and "::one view, sent twice PASSED" in result.stdout


def test_what_the_top_of_the_file_gives_every_test(tmp_path):
    header = (
        """start = 2026-03-02T10:00:00
timezone = "Europe/Paris"
given.records = [{ email = "ada@example.com", first_name = "Ada", as = "ada" }]
"""
        + ANSWER
    )  # after the plain keys: in TOML, keys below a [[table]] header belong to it
    body = f"""
[[test]]
name = "the shared contact, in a list of this test"
given.lists = {{ trash = ["ada"] }}
steps = [{DOWNLOAD}]
expect.ada = {{ lists = ["trash"], enrolled.nurturing = "not enrolled" }}

[[test]]
name = "the shared contact and clock"
steps = [{DOWNLOAD}]
expect.ada.history = [{{ property = "lifecycle", to = "lead", at = 2026-03-02T09:00:00Z }}]
"""
    result = leadflow_test(write_test(tmp_path, body, header=header))
    assert result.code == 0, result.stdout


def test_times_durations_and_dates_are_written_as_in_toml_or_as_script_literals(tmp_path):
    script = (
        "object contact { quiet_from: time, pause: duration, birthday: date }\n"
        'event ping { }\nrule "Copy" when ping then set pause = 2 days\n'
    )
    body = """
[[test]]
name = "t"
given.records = [{ email = "a@x.io", quiet_from = 22:00:00, pause = "1 day", birthday = 1990-05-17 }]
steps = [{ event = "ping", contact = "A@X.io" }]
expect."a@x.io" = { properties = { quiet_from = 22:00:00, pause = "2 days", birthday = 1990-05-17 } }
expect."A@x.IO".history = [{ property = "pause", from = "1 day", to = "48 hours" }]
"""
    result = leadflow_test(write_test(tmp_path, body, script=script))
    assert result.code == 1  # durations are equal as the language's `==` says: 2 days is not 48 hours
    assert 'expect."A@x.IO".history: no change { property = "pause", from = "1 day", to = "48 hours" }' in result.stdout
    assert 'actual:   [{ property = "pause", from = "1 day", to = "2 days", by = "rule \\"Copy\\"" }]' in result.stdout
    assert "properties" not in result.stdout  # the time, the duration and the date matched
