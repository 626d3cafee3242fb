"""`--coverage`: the rules, workflow steps and branches no test reached."""

from __future__ import annotations

from leadflow import Engine
from testrunner_support import FIXTURES, leadflow_test, write_test

RULES = """
object contact { score: number = 0, tier: enum { gold, silver, bronze } = bronze }
event bought { amount: number }
list vip

rule "Purchases score"
when bought
then {
  increment score by event.amount
  if event.amount > 1000 {
    set tier = gold
  } else if event.amount > 100 {
    set tier = silver
  }
}

rule "Nightly VIP"
when every day at 02:00 where score > 5000
then add to vip

rule "Never"
when matching score > 1000000
then set tier = gold

workflow vip_welcome {
  enroll when added to vip
  split random {
    50% { set score = 1 }
    50% { set score = 2 }
  }
  branch on tier {
    gold { wait until 2020-01-01T00:00Z }
    silver { stop }
  }
}
"""

BIG_PURCHASE = """
[[test]]
name = "a big purchase makes a gold VIP by the next night"
seed = 3
steps = [{ event = "bought", contact = "ada@example.com", data = { amount = 6000 } }, { advance = "1 day" }]
expect."ada@example.com" = { properties = { tier = "gold" }, lists = ["vip"], enrolled.vip_welcome = "completed" }
"""


def test_the_report_lists_what_no_test_reached_by_line(tmp_path):
    result = leadflow_test(write_test(tmp_path, BIG_PURCHASE, script=RULES), "--coverage")
    assert result.code == 0, result.stdout
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if " coverage " in line)
    report = "\n".join(lines[start + 1 : -1])
    assert (
        report
        == f"""\
{tmp_path}/script.flow   52%  2/3 rules fired, 4/6 steps reached, 3/8 branches taken
    line 10: rule "Purchases score": the unwritten `else` of `if event.amount > 1000` never taken
    line 12: rule "Purchases score": the `else if event.amount > 100` branch never taken
    line 21: rule "Never" never fired
    line 28: workflow vip_welcome, step 1 `split random`: arm 1 (50%) never taken
    line 28: workflow vip_welcome, step 1/arm1/1 `set score = 1` never reached
    line 31: workflow vip_welcome, step 2 `branch on tier`: the `else` arm never taken
    line 33: workflow vip_welcome, step 2 `branch on tier`: the arm for "silver" never taken
    line 33: workflow vip_welcome, step 2/arm2/1 `stop` never reached
total{" " * (len(str(tmp_path)) + len("/script.flow") - len("total"))}   52%"""
    )


def test_coverage_adds_up_over_the_tests_of_a_script(tmp_path):
    more = (
        BIG_PURCHASE
        + """
[[test]]
name = "small purchases"
steps = [
  { event = "bought", contact = "bob@example.com", data = { amount = 500 } },
  { event = "bought", contact = "bob@example.com", data = { amount = 5 } },
]
"""
    )
    result = leadflow_test(write_test(tmp_path, more, script=RULES), "--coverage")
    assert "2/3 rules fired, 4/6 steps reached, 5/8 branches taken" in result.stdout
    assert "Purchases score" not in result.stdout


def test_the_fixture_reaches_everything_and_one_test_does_not(tmp_path):
    full = leadflow_test(FIXTURES, "--coverage")
    assert "nurture.flow  100%  1/1 rule fired, 12/12 steps reached, 4/4 branches taken" in full.stdout
    one = leadflow_test(FIXTURES, "--coverage", "-k", "goal")
    assert "1/1 rule fired, 5/12 steps reached, 1/4 branches taken" in one.stdout
    assert (
        'line 48: workflow nurturing, step 7 `wait for ebook_downloaded where event.ebook == "part-2" up to 5 days`: '
        "the branch where ebook_downloaded arrives never taken" in one.stdout
    )
    assert (
        'line 44: workflow nurturing, step 7 `wait for ebook_downloaded where event.ebook == "part-2" up to 5 days`: '
        "the timeout branch never taken" in one.stdout
    )
    assert "line 46: workflow nurturing, step 7/else/3 `stop` never reached" in one.stdout


def test_without_coverage_no_report_and_no_probe_in_the_compiled_rules(tmp_path):
    result = leadflow_test(write_test(tmp_path, BIG_PURCHASE, script=RULES))
    assert " coverage " not in result.stdout
    engine = Engine.from_source(RULES, "rules.flow")
    assert engine.actions.probe is None
    assert all(rule.run.__code__.co_freevars == ("compiled",) for rule in engine.rules.all if rule.info.rule.name)
