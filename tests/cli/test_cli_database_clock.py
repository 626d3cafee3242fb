"""The database's own clock (issue 13, items 14 and 15).

The command line's clock is the latest time applied to the database (an
event's `at`, `--until`, `--start`); it only moves forward, and what has no
time of its own (an import, an event without `at`) happens at it, or at the
wall clock's time while the database has none. So event files dated years
in the past replay with their schedules and waits, and `--clock wall`
reads the wall clock instead.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time

from cli_support import jsonl, leadflow, rejected_lines

UTC = dt.UTC
SCRIPT = """
object contact { score: number = 0, pings: number = 0, followed_up: bool = false }
event ping
event signed_up
rule "Nightly" when every day at 02:00 then increment score
when ping then increment pings
workflow follow_up {
  enroll when signed_up
  wait 3 days
  set followed_up = true
}
"""


def _script(tmp_path):
    path = tmp_path / "clock.flow"
    path.write_text(SCRIPT, "utf-8")
    return path


def _events(tmp_path, *events, name="events.jsonl"):
    path = tmp_path / name
    path.write_text(jsonl(*events), "utf-8")
    return path


def _records(db) -> dict[str, dict]:
    result = leadflow("export", "--db", db)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return {r["properties"]["email"]: r for r in lines}


def _nights(first: dt.date, last: dt.date) -> int:
    return (last - first).days + 1


def _ping(at: str | None, contact: str = "ada@example.com") -> dict:
    event = {"event": "ping", "contact": contact}
    return {**event, "at": at} if at else event


def test_a_file_dated_years_ago_fires_every_nightly_occurrence_up_to_until(tmp_path):
    script, db = _script(tmp_path), tmp_path / "crm.db"
    events = _events(
        tmp_path,
        _ping("2019-03-01T09:00:00Z"),
        _ping("2020-07-14T12:00:00Z"),
        _ping("2021-01-01T00:00:00Z", "grace@example.com"),
    )
    result = leadflow("run", script, "--events", events, "--db", db, "--until", "2021-03-01T00:00")
    assert result.code == 0, result.stderr
    assert "clock at 2021-03-01T00:00:00+00:00" in result.stdout
    records = _records(db)
    assert records["ada@example.com"]["properties"] == {
        "email": "ada@example.com",
        "pings": 2,
        "score": _nights(dt.date(2019, 3, 2), dt.date(2021, 2, 28)),
        "followed_up": False,
    }
    # grace exists from the event at midnight on 1 January 2021: the nights of 1 January to 28 February
    assert records["grace@example.com"]["properties"]["score"] == _nights(dt.date(2021, 1, 1), dt.date(2021, 2, 28))


def test_waits_count_from_the_events_time_and_the_clock_stays_for_the_next_command(tmp_path):
    script, db = _script(tmp_path), tmp_path / "crm.db"
    signed = _events(tmp_path, {"event": "signed_up", "contact": "ada@example.com", "at": "2018-05-02T10:00:00Z"})
    assert leadflow("run", script, "--events", signed, "--db", db).code == 0
    # the next command starts where this one left the clock, not at the wall clock
    later = leadflow(
        "run",
        script,
        "--events",
        _events(tmp_path, _ping(None), name="undated.jsonl"),
        "--db",
        db,
        "--until",
        "2018-05-06T00:00",
    )
    assert later.code == 0, later.stderr
    history = leadflow("history", "ada@example.com", "--db", db, "--format", "json").stdout.splitlines()
    entries = [json.loads(line) for line in history]
    pinged = next(e for e in entries if e.get("field") == "pings")
    assert pinged["at"] == "2018-05-02T10:00:00+00:00"  # the undated event happened at the database's time
    followed = next(e for e in entries if e.get("field") == "followed_up")
    assert followed["at"] == "2018-05-05T10:00:00+00:00"  # three days after the dated signup
    assert _records(db)["ada@example.com"]["properties"]["score"] == 3  # 3, 4 and 5 May


def test_an_import_today_then_last_months_events_fire_last_months_schedules(tmp_path):
    script, db = _script(tmp_path), tmp_path / "crm.db"
    (tmp_path / "contacts.csv").write_text("email\nada@example.com\ngrace@example.com\n", "utf-8")
    imported = leadflow("import", script, tmp_path / "contacts.csv", "--db", db)
    assert imported.code == 0, imported.stderr
    today = dt.datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    start, end = today - dt.timedelta(days=40), today - dt.timedelta(days=30)
    events = _events(tmp_path, _ping(start.isoformat()), _ping((start + dt.timedelta(days=2)).isoformat()))
    result = leadflow("run", script, "--events", events, "--db", db, "--until", end.isoformat())
    assert result.code == 0, result.stderr
    nights = _nights(start.date() + dt.timedelta(days=1), end.date())
    assert {email: r["properties"]["score"] for email, r in _records(db).items()} == {
        "ada@example.com": nights,
        "grace@example.com": nights,
    }


def test_start_moves_the_clock_first_and_only_forward(tmp_path):
    script, db = _script(tmp_path), tmp_path / "crm.db"
    first = _events(tmp_path, _ping(None))
    assert leadflow("run", script, "--events", first, "--db", db, "--start", "2017-01-01T00:00").code == 0
    assert "ada@example.com" in _records(db)
    assert _records(db)["ada@example.com"]["created_at"] == "2017-01-01T00:00:00+00:00"
    again = leadflow(
        "run",
        script,
        "--events",
        _events(tmp_path, name="empty.jsonl"),
        "--db",
        db,
        "--start",
        "2016-01-01T00:00",
        "--until",
        "2017-01-11T00:00",
    )
    assert again.code == 0, again.stderr
    assert "clock at 2017-01-11T00:00:00+00:00" in again.stdout  # --start did not move it back
    assert _records(db)["ada@example.com"]["properties"]["score"] == 10  # 1 to 10 January


def test_clock_wall_reads_the_wall_clock_and_refuses_to_move_it(tmp_path):
    script, db = _script(tmp_path), tmp_path / "crm.db"
    dated = _events(tmp_path, _ping("2019-01-01T00:00:00Z"))
    assert leadflow("run", script, "--events", dated, "--db", db).code == 0
    before = dt.datetime.now(UTC)
    result = leadflow(
        "run",
        script,
        "--events",
        _events(tmp_path, _ping(None, "grace@example.com"), name="u.jsonl"),
        "--db",
        db,
        "--clock",
        "wall",
    )
    assert result.code == 0, result.stderr
    created = dt.datetime.fromisoformat(_records(db)["grace@example.com"]["created_at"])
    assert before <= created <= dt.datetime.now(UTC)
    # the wall-clock command moved the database's clock on to its time
    later = leadflow(
        "run", script, "--events", _events(tmp_path, _ping(None, "linus@example.com"), name="v.jsonl"), "--db", db
    )
    assert dt.datetime.fromisoformat(_records(db)["linus@example.com"]["created_at"]) >= created
    assert later.code == 0
    for option in (["--until", "2030-01-01"], ["--start", "2030-01-01"]):
        refused = leadflow("run", script, "--events", dated, "--db", db, "--clock", "wall", *option)
        assert refused.code == 2
        assert "--clock wall reads the wall clock" in refused.stderr


def test_times_outside_the_clocks_range_are_refused(tmp_path):
    script, db = _script(tmp_path), tmp_path / "crm.db"
    events = _events(tmp_path, _ping("9999-12-31T23:59:59Z"), _ping("2020-01-01T00:00:00Z"))
    result = leadflow("run", script, "--events", events, "--db", db)
    assert result.code == 3
    assert rejected_lines(result.stderr) == {
        1: "at 9999-12-31T23:59:59+00:00 is outside the clock's range (1900-01-01T00:00Z to 2999-12-31T23:59:59Z)"
    }
    assert "1 event(s) applied" in result.stdout
    for option, value in (("--until", "3000-01-01T00:00"), ("--start", "1899-12-31")):
        refused = leadflow("run", script, "--events", events, "--db", db, option, value)
        assert refused.code == 2
        assert "is outside the clock's range (1900-01-01T00:00Z to 2999-12-31T23:59:59Z)" in refused.stderr


def test_an_event_at_the_far_end_completes_at_once_with_one_firing(tmp_path):
    """Was: an event in year 9999 with a daily rule walked every day to it (over 120 s)."""
    script, db = _script(tmp_path), tmp_path / "crm.db"
    assert leadflow("run", script, "--events", _events(tmp_path, _ping("2026-01-01T12:00:00Z")), "--db", db).code == 0
    far = _events(tmp_path, _ping("9999-12-31T23:59:59Z"), _ping("2999-12-31T23:59:59Z"), name="far.jsonl")
    env = {**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "leadflow", "run", str(script), "--events", str(far), "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    elapsed = time.monotonic() - began
    assert elapsed < 15, elapsed  # about 1 s here; the subprocess's start included
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    assert "line 1: rejected: at 9999-12-31T23:59:59+00:00 is outside the clock's range" in done.stderr
    assert (
        'warning: rule "Nightly" (`every day at 02:00`) owed more than 10000 occurrences, from '
        "2026-01-02T02:00:00+00:00 to 2999-12-31T02:00:00+00:00; it fired once, at the last" in done.stderr
    )
    assert "clock at 2999-12-31T23:59:59+00:00" in done.stdout
    assert _records(db)["ada@example.com"]["properties"]["score"] == 1


def test_a_replay_sends_its_webhooks_now_and_resumes_the_run_at_the_databases_time(tmp_path, receiver):
    """Delivery goes on at the wall clock's time while the database replays 2019; the
    answer must wake the run in 2019, or it would wait for the clock to reach today."""
    script = tmp_path / "hook.flow"
    script.write_text(
        SCRIPT
        + f"""
workflow ask {{
  enroll when signed_up
  webhook post "{receiver.url}/hook" with {{email: email ?? ""}} as answer: {{ok: bool, you_sent: text?}}
  set pings = 100
}}
""",
        "utf-8",
    )
    db = tmp_path / "crm.db"
    signed = _events(tmp_path, {"event": "signed_up", "contact": "ada@example.com", "at": "2019-05-02T10:00:00Z"})
    result = leadflow("run", script, "--events", signed, "--db", db, "--allow-private-webhooks")
    assert result.code == 0, result.stderr
    assert len(receiver.received) == 1
    assert "outbox: 1 sent, 0 to retry, 0 dead" in result.stdout
    assert "clock at 2019-05-02T10:00:00+00:00" in result.stdout
    entries = [
        json.loads(line)
        for line in leadflow("history", "ada@example.com", "--db", db, "--format", "json").stdout.splitlines()
    ]
    [answered] = [e for e in entries if e.get("field") == "pings"]
    assert answered["new"] == 100 and answered["at"] == "2019-05-02T10:00:00+00:00"


def test_explain_looks_at_the_database_at_its_own_time(tmp_path):
    script, db = _script(tmp_path), tmp_path / "crm.db"
    events = _events(tmp_path, _ping("2019-03-01T09:00:00Z"))
    assert leadflow("run", script, "--events", events, "--db", db, "--until", "2019-03-04T00:00").code == 0
    explained = leadflow("explain", script, "ada@example.com", "Nightly", "--db", db)
    assert explained.code == 0, explained.stderr
    assert explained.stdout.startswith("contact 1 (ada@example.com), at 2019-03-04T00:00Z")
    assert "(next firing 2019-03-04T02:00Z)" in explained.stdout
