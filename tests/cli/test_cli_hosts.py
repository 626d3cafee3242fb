"""`--hosts MODULE` and `--seed N` of run, repl, test and explain.

Without --hosts a command cannot bind an `extern fn` at all, and every event
calling one is rejected. The module's functions are bound by name and checked
against the declarations as `Engine.bind` checks them; a module that does not
import or a function that does not fit is a usage error (exit 2), not a
traceback.
"""

from __future__ import annotations

import json

import pytest
from cli_support import EXAMPLES, leadflow, leadflow_process, rejected_lines

ASSIGNMENT = EXAMPLES / "assignment"
SCRIPT = ASSIGNMENT / "assignment.flow"

HOSTS = '''
"""The sales system, as a host program would bind it."""
import json

CALLS = []


def team_availability(team: str) -> list:
    CALLS.append(team)
    return [{"rep": "Ines", "open_leads": 7}, {"rep": "Jonas", "open_leads": 3}] if team == "sales-emea" \\
        else [{"rep": "Maya", "open_leads": 1}]


def not_an_extern(x):  # a module may hold other functions: they are left alone
    raise AssertionError("never called")
'''

MISFIT = """
def team_availability(team: int) -> list:
    return []
"""


@pytest.fixture
def hosts(tmp_path):
    path = tmp_path / "sales_hosts.py"
    path.write_text(HOSTS, "utf-8")
    return path


def owners(db) -> dict[str, str | None]:
    return {
        r["properties"]["email"]: r["properties"].get("owner")
        for r in leadflow("export", "--db", db).json_lines()
        if r["type"] == "contact"
    }


def imported(tmp_path):
    db = tmp_path / "crm.db"
    assert leadflow("import", SCRIPT, ASSIGNMENT / "contacts.csv", "--db", db).code == 0
    return db


# ---- run ---------------------------------------------------------------------------------------
def test_run_binds_the_functions_of_a_py_file_to_the_externs(tmp_path, hosts):
    db = imported(tmp_path)
    without = leadflow(
        "run", SCRIPT, "--events", ASSIGNMENT / "events.jsonl", "--db", tmp_path / "other.db", "--no-deliver"
    )
    assert without.code == 3 and len(rejected_lines(without.stderr)) == 3  # the old way: nothing can be bound

    result = leadflow(
        "run", SCRIPT, "--events", ASSIGNMENT / "events.jsonl", "--db", db, "--no-deliver", "--hosts", hosts
    )
    assert result.code == 0, result.text
    assert "3 event(s) applied, 0 already seen, 0 rejected" in result.stdout
    assert "has no host function" not in result.stderr
    got = owners(db)
    assert got["ada@example.com"] == "Jonas"  # emea: the least busy of Ines (7) and Jonas (3)
    assert all(owner is not None for owner in got.values())


def test_run_imports_a_dotted_module_from_the_working_directory(tmp_path, hosts):
    package = tmp_path / "crm_hosts"
    package.mkdir()
    (package / "__init__.py").write_text("", "utf-8")
    (package / "sales.py").write_text(HOSTS, "utf-8")
    db = imported(tmp_path)
    result = leadflow_process(
        "run",
        SCRIPT,
        "--events",
        ASSIGNMENT / "events.jsonl",
        "--db",
        db,
        "--no-deliver",
        "--hosts",
        "crm_hosts.sales",
        cwd=tmp_path,
    )
    assert result.code == 0, result.text
    assert owners(db)["ada@example.com"] == "Jonas"


@pytest.mark.parametrize(
    "module, words",
    [
        ("misfit", "does not match the script: parameter `team` is int, the script passes text"),
        ("broken", "cannot import"),
        ("no_such_module_here", "cannot import no_such_module_here: ModuleNotFoundError"),
        ("missing.py", "no file missing.py"),
    ],
)
def test_a_module_that_does_not_import_or_fit_is_exit_2_and_applies_nothing(tmp_path, module, words):
    (tmp_path / "misfit.py").write_text(MISFIT, "utf-8")
    (tmp_path / "broken.py").write_text("raise RuntimeError('no sales system here')\n", "utf-8")
    db = imported(tmp_path)
    before = leadflow("export", "--db", db).stdout
    spec = str(tmp_path / module) + ".py" if module in ("misfit", "broken") else module
    result = leadflow_process(
        "run", SCRIPT, "--events", ASSIGNMENT / "events.jsonl", "--db", db, "--hosts", spec, cwd=tmp_path
    )
    assert result.code == 2, result.text
    assert "--hosts" in result.stderr and words in result.stderr
    assert "applied" not in result.stdout
    assert leadflow("export", "--db", db).stdout == before
    if module == "misfit":  # refused before the database is opened: a new one is not created
        new = tmp_path / "new.db"
        assert leadflow("run", SCRIPT, "--events", ASSIGNMENT / "events.jsonl", "--db", new, "--hosts", spec).code == 2
        assert not new.exists()


SEEDED = """
object contact { score: number = 0 }
event form_submitted { form: text }
rule "draw" when form_submitted then set score = random_int(1, 1000000000)
"""


def scores(tmp_path, name, *args, env_seed=None) -> list[int]:
    script = tmp_path / "seeded.flow"
    script.write_text(SEEDED, "utf-8")
    events = tmp_path / "events.jsonl"
    events.write_text(
        "".join(
            json.dumps({"event": "form_submitted", "contact": f"c{i}@example.com", "data": {"form": "x"}}) + "\n"
            for i in range(5)
        ),
        "utf-8",
    )
    db = tmp_path / f"{name}.db"
    result = leadflow("run", script, "--events", events, "--db", db, "--no-deliver", *args)
    assert result.code == 0, result.text
    records = sorted(leadflow("export", "--db", db).json_lines(), key=lambda r: r["properties"]["email"])
    return [r["properties"]["score"] for r in records]


def test_run_with_the_same_seed_draws_the_same(tmp_path, monkeypatch):
    first, again = scores(tmp_path, "a", "--seed", "7"), scores(tmp_path, "b", "--seed", "7")
    assert first == again and len(set(first)) == 5
    assert scores(tmp_path, "c", "--seed", "8") != first
    monkeypatch.setenv("LEADFLOW_SEED", "8")
    assert scores(tmp_path, "d", "--seed", "7") == first  # the option wins over the environment


# ---- explain, repl -------------------------------------------------------------------------------
def test_explain_and_repl_take_the_hosts(tmp_path, hosts):
    db = imported(tmp_path)
    explained = leadflow("explain", SCRIPT, "ada@example.com", "--db", db, "--hosts", hosts, "--seed", "3")
    assert explained.code == 0, explained.text
    repl = leadflow("repl", SCRIPT, "--hosts", hosts, "--seed", "3", input='team_availability("sales-us")\n:quit\n')
    assert repl.code == 0, repl.text
    assert "Maya" in repl.stdout


def test_explain_and_repl_refuse_a_misfit_with_exit_2(tmp_path):
    misfit = tmp_path / "misfit.py"
    misfit.write_text(MISFIT, "utf-8")
    db = imported(tmp_path)
    for args in (("explain", SCRIPT, "ada@example.com", "--db", db), ("repl", SCRIPT)):
        result = leadflow(*args, "--hosts", misfit, input=":quit\n")
        assert result.code == 2, result.text
        assert "parameter `team` is int, the script passes text" in result.stderr


# ---- test ---------------------------------------------------------------------------------------------
UNSTUBBED = f'''
script = "{SCRIPT.as_posix()}"
start = 2026-11-23T09:00:00Z

[[test]]
name = "the real host function answers what the test does not stub"
given.records = [{{ email = "ada@example.com", region = "emea", lifecycle = "mql" }}]
steps = [{{ event = "upsert", contact = "ada@example.com", data = {{ lifecycle = "sql" }} }}]

[test.expect]
"ada@example.com".properties = {{ owner = "Jonas" }}
'''


def test_test_binds_hosts_for_what_a_test_does_not_stub(tmp_path, hosts):
    tests = tmp_path / "assignment.test.toml"
    tests.write_text(UNSTUBBED, "utf-8")
    assert leadflow("test", tests).code == 1  # no stub, no host: the test cannot run
    result = leadflow("test", tests, "--hosts", hosts)
    assert result.code == 0, result.text
    misfit = tmp_path / "misfit.py"
    misfit.write_text(MISFIT, "utf-8")
    refused = leadflow("test", tests, "--hosts", misfit)
    assert refused.code == 2, refused.text
    assert "parameter `team` is int, the script passes text" in refused.text


def test_test_seed_is_the_seed_of_the_tests_that_give_none(tmp_path):
    from leadflow import Engine, SimulatedClock
    import datetime as dt

    script = tmp_path / "seeded.flow"
    script.write_text(SEEDED, "utf-8")
    start = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
    with Engine.from_files([script], clock=SimulatedClock(start), seed=42) as engine:
        engine.emit("form_submitted", "ada@example.com", {"form": "x"})
        drawn = engine.record("ada@example.com").properties["score"]
    tests = tmp_path / "seeded.test.toml"
    tests.write_text(
        f"""
script = "seeded.flow"
start = 2026-01-05T09:00:00Z

[[test]]
name = "draws what seed 42 draws"
steps = [{{ event = "form_submitted", contact = "ada@example.com", data = {{ form = "x" }} }}]
expect."ada@example.com".properties = {{ score = {drawn} }}
""",
        "utf-8",
    )
    assert leadflow("test", tests).code == 1  # the default seed, 1, draws another number
    assert leadflow("test", tests, "--seed", "42").code == 0
