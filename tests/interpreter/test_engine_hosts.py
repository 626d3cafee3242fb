"""Host functions: `extern fn` bound with engine.bind, checked against annotations and results."""

from __future__ import annotations

import pytest

from engine_support import CONTACT
from leadflow import HostError, LeadflowRuntimeError

SCRIPT = (
    CONTACT.replace("  first_name: text\n", '  first_name: text\n  owner: text\n  team: text = "sales"\n')
    + """
extern fn team_availability(team: text) -> list<{rep: text, open_leads: number}>
extern fn lookup_company(domain: text) -> text?
extern fn log_to_crm(address: email) -> bool

event form_submitted { form: text }

fn least_busy(reps: list<{rep: text, open_leads: number}>) -> text {
  let best = "nobody"
  let fewest = 0
  for r in reps {
    if best == "nobody" or r.open_leads < fewest {
      best = r.rep
      fewest = r.open_leads
    }
  }
  return best
}

rule "Assign" when form_submitted if owner is unknown and count(team_availability(team)) > 0
then set owner = least_busy(team_availability(team))
rule "Company" when form_submitted then set first_name = lookup_company(split(email ?? "", "@")[1] ?? "") ?? "unknown"
"""
)


def availability(team: str) -> list[dict]:
    return {
        "sales": [{"rep": "ann", "open_leads": 7}, {"rep": "bo", "open_leads": 2}, {"rep": "cy", "open_leads": 5}],
        "emea": [{"rep": "dee", "open_leads": 1}],
        "apac": [],
    }[team]


@pytest.fixture
def engine(engine_for):
    engine = engine_for(SCRIPT)
    engine.bind("team_availability", availability)
    engine.bind("lookup_company", lambda domain: {"acme.com": "Acme"}.get(domain))
    engine.bind("log_to_crm", lambda address: True)
    return engine


def test_lead_assignment_picks_the_least_busy_rep(engine):
    result = engine.emit("form_submitted", "ada@acme.com", {"form": "demo"})
    assert result.fired == ('rule "Assign"', 'rule "Company"')
    props = engine.record("ada@acme.com").properties
    assert props["owner"] == "bo" and props["first_name"] == "Acme"
    engine.emit("upsert", "eve@other.com", {"team": "emea"})
    engine.emit("form_submitted", "eve@other.com", {"form": "demo"})
    props = engine.record("eve@other.com").properties
    assert props["owner"] == "dee" and props["first_name"] == "unknown"


def test_a_host_function_in_a_rule_condition(engine):
    engine.emit("upsert", "kim@example.com", {"team": "apac"})
    result = engine.emit("form_submitted", "kim@example.com", {"form": "demo"})
    assert result.fired == ('rule "Company"',)  # nobody available: "Assign" does not fire
    assert "owner" not in engine.record("kim@example.com").properties
    # once assigned, the owner is kept
    engine.emit("upsert", "kim@example.com", {"team": "sales"})
    engine.emit("form_submitted", "kim@example.com", {"form": "again"})
    engine.emit("upsert", "kim@example.com", {"team": "emea"})
    engine.emit("form_submitted", "kim@example.com", {"form": "third"})
    assert engine.record("kim@example.com").properties["owner"] == "bo"


def test_a_host_function_can_be_used_in_engine_condition(engine):
    predicate = engine.condition('lookup_company("acme.com") == "Acme" and score == 0')
    assert predicate({}) is True
    assert predicate({"score": 1}) is False


def test_host_arguments_and_results_are_the_declared_types(engine):
    seen = []

    def recording(team: str) -> list[dict]:
        seen.append(team)
        return availability(team)

    engine.bind("team_availability", recording)
    engine.emit("form_submitted", "ada@acme.com", {"form": "demo"})
    assert seen == ["sales", "sales"]  # once in the rule's `if`, once in its action


@pytest.mark.parametrize(
    "name, function, words",
    [
        ("team_availability", lambda team, extra: [], "it takes 2 argument(s), the script passes 1"),
        ("team_availability", lambda: [], "it takes 0 argument(s), the script passes 1"),
        ("lookup_company", None, "parameter `domain` is int, the script passes text"),
        ("lookup_company", "returns", "it returns int, the script expects text?"),
        ("log_to_crm", "bool-param", "parameter `address` is bool, the script passes email"),
        ("team_availability", "dict-result", "it returns dict, the script expects list<"),
        ("no_such_function", lambda: None, "the script declares no `extern fn no_such_function`"),
    ],
)
def test_mismatched_annotations_are_a_host_error(engine, name, function, words):
    def int_param(domain: int) -> str:
        return ""

    def int_result(domain: str) -> int:
        return 1

    def bool_param(address: bool) -> bool:
        return True

    def dict_result(team: str) -> dict:
        return {}

    function = {None: int_param, "returns": int_result, "bool-param": bool_param, "dict-result": dict_result}.get(
        function, function
    )
    with pytest.raises(HostError) as caught:
        engine.bind(name, function)
    assert words in caught.value.message


def test_compatible_annotations_are_accepted(engine):

    def optional_result(domain: str) -> str | None:
        return None

    def union_result(domain: str) -> str | None:
        return None

    def any_list(team: str) -> list:
        return []

    engine.bind("lookup_company", optional_result)
    engine.bind("lookup_company", union_result)
    engine.bind("team_availability", any_list)
    engine.bind("log_to_crm", print)  # a builtin without a signature is taken on trust
    assert engine.unbound_externs() == []
    result = engine.emit("form_submitted", "ada@acme.com", {"form": "demo"})
    assert result.fired == ('rule "Company"',)  # the bound functions are the ones called
    assert engine.record("ada@acme.com").properties["first_name"] == "unknown"


def test_an_unbound_extern_is_a_runtime_error_naming_it(engine_for):
    engine = engine_for(SCRIPT)
    assert engine.unbound_externs() == ["team_availability", "lookup_company", "log_to_crm"]
    with pytest.raises(LeadflowRuntimeError) as caught:
        engine.emit("form_submitted", "ada@acme.com", {"form": "demo"})
    error = caught.value
    assert "host function `team_availability` is not bound" in error.message
    assert "engine.bind('team_availability', ...)" in error.message
    assert error.where == 'rule "Assign"'
    assert engine.store.count_records() == 0


@pytest.mark.parametrize(
    "result, words",
    [
        ([{"rep": "ann"}], "the result of `team_availability`[0].open_leads: a value is required"),
        ([{"rep": 1, "open_leads": 2}], "the result of `team_availability`[0].rep: expected text, got a number"),
        ({"rep": "ann"}, "the result of `team_availability`: expected a list, got an object"),
        (None, "the result of `team_availability`: a value is required"),
        (["ann"], "the result of `team_availability`[0]: expected a record, got text"),
    ],
)
def test_a_host_result_of_the_wrong_shape_is_a_runtime_error(engine, result, words):
    engine.bind("team_availability", lambda team: result)
    with pytest.raises(LeadflowRuntimeError) as caught:
        engine.emit("form_submitted", "ada@acme.com", {"form": "demo"})
    error = caught.value
    assert words in error.message
    assert "declared list<{rep: text, open_leads: number}>" in error.message
    assert error.where == 'rule "Assign"' and error.span is not None
    assert engine.store.count_records() == 0


def test_a_host_exception_is_reported_not_raised(engine):
    def broken(team):
        return 1 / 0

    engine.bind("team_availability", broken)
    with pytest.raises(LeadflowRuntimeError) as caught:
        engine.emit("form_submitted", "ada@acme.com", {"form": "demo"})
    assert "host function `team_availability` failed: ZeroDivisionError" in caught.value.message
    assert isinstance(caught.value.__cause__, ZeroDivisionError)
