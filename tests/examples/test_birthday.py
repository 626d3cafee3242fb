"""The birthday email (examples/birthday): `yearly on birthday at 09:00`, every
year, with a 29 February birthday greeted on 28 February in other years."""

from __future__ import annotations

from examples_support import at, emails_to, load, play, props, runs


def greeted(engine, email: str) -> list:
    return [e.created_at for e in engine.store.effects() if e.payload["to"] == email]


def test_each_contact_is_greeted_on_its_birthday_every_year(tmp_path):
    engine = load("birthday", tmp_path)
    play(engine, "birthday", at("2028-03-02T00:00"))
    assert greeted(engine, "ada@example.com") == [at("2026-12-10T09:00"), at("2027-12-10T09:00")]
    assert greeted(engine, "linus@example.com") == [at("2026-12-28T09:00"), at("2027-12-28T09:00")]
    # Margaret's birthday arrived by an upsert on 30 November; Alan was created
    # an hour before his birthday's 09:00.
    assert greeted(engine, "margaret@example.com") == [at("2026-12-01T09:00"), at("2027-12-01T09:00")]
    assert greeted(engine, "alan@example.com") == [at("2026-12-05T09:00"), at("2027-12-05T09:00")]
    assert emails_to(engine, "ada@example.com") == ["happy_birthday", "happy_birthday"]
    assert props(engine, "ada@example.com")["birthday_code"] == "BDAY-2027-1"
    assert [run.status for run, _ in runs(engine, "ada@example.com", "birthday")] == ["completed", "completed"]
    stats = engine.stats("birthday")
    assert (stats["enrolled"], stats["completed"], stats["active"]) == (12, 12, 0)


def test_a_29_february_birthday_is_greeted_on_28_february_in_other_years(tmp_path):
    engine = load("birthday", tmp_path)
    play(engine, "birthday", at("2028-03-02T00:00"))
    assert greeted(engine, "grace@example.com") == [at("2027-02-28T09:00"), at("2028-02-29T09:00")]
    assert greeted(engine, "barbara@example.com") == [at("2027-03-01T09:00"), at("2028-03-01T09:00")]  # born 1 March


def test_the_email_carries_the_code(tmp_path):
    engine = load("birthday", tmp_path)
    play(engine, "birthday", at("2026-12-11T00:00"))
    (email,) = [e.payload for e in engine.store.effects() if e.payload["to"] == "ada@example.com"]
    assert email["subject"] == "Happy birthday, Ada!"
    assert "BDAY-2026-1" in email["text"]
