"""The nightly cleanup (examples/cleanup): `every day at 02:00 where ...` moves
contacts inactive for two years to the trash, the night after they cross the line."""

from __future__ import annotations

from examples_support import at, events, lists, load, only_run, play, runs


def test_inactive_contacts_are_trashed_at_night(tmp_path):
    engine = load("cleanup", tmp_path)
    play(engine, "cleanup", at("2026-11-30T00:00"))
    assert lists(engine) == {
        "ada@example.com": ["newsletter"],  # active last week
        "grace@example.com": [],  # trashed the first night, back when she read the blog
        "linus@example.com": ["trash"],  # crossed the two-year line on 25 November
        "margaret@example.com": ["newsletter"],  # a click saved her the day before her line
        "barbara@example.com": ["newsletter"],  # no activity, but created this week
    }
    stats = engine.stats("cleanup")
    assert (stats["enrolled"], stats["completed"], stats["active"]) == (2, 2, 0)


def test_a_contact_crossing_the_line_is_cleaned_the_following_night_not_before(tmp_path):
    # Linus was last seen on 2024-11-25 at 15:00: two years later is 2026-11-25
    # 15:00, after that night's 02:00 run, so he goes at 02:00 on the 26th.
    engine = load("cleanup", tmp_path)
    before_the_line = [e for e in events("cleanup") if at(e["at"]) < at("2026-11-25T02:00")]
    engine.emit_many(before_the_line)
    for night, expected in [
        ("2026-11-24T02:00", ["newsletter"]),
        ("2026-11-25T02:00", ["newsletter"]),
        ("2026-11-26T01:59", ["newsletter"]),
        ("2026-11-26T02:00", ["trash"]),
    ]:
        engine.advance(at(night))
        assert lists(engine)["linus@example.com"] == expected, night
    run, log = only_run(engine, "linus@example.com", "cleanup")
    assert run.enrolled_at == at("2026-11-26T02:00")
    assert [e.kind for e in log] == ["enrolled", "step", "step", "completed"]
    trashed = [h for h in engine.record("linus@example.com").history if h.kind == "list_add" and h.field == "trash"]
    assert [(h.at, h.cause) for h in trashed] == [(at("2026-11-26T02:00"), "workflow cleanup")]


def test_a_returning_contact_leaves_the_trash_and_is_not_cleaned_again(tmp_path):
    engine = load("cleanup", tmp_path)
    play(engine, "cleanup", at("2026-12-31T00:00"))
    assert lists(engine)["grace@example.com"] == []
    assert len(runs(engine, "grace@example.com", "cleanup")) == 1  # active again: not enrolled again
    # Contacts already in the trash are suppressed, not enrolled night after night.
    assert len(runs(engine, "linus@example.com", "cleanup")) == 1
