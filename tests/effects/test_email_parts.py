"""A run killed while writing an email leaves a `.part` file; the next start removes it,
and the message it was writing is written once, when its effect is delivered again."""

from __future__ import annotations

import datetime as dt
import os
import time

from leadflow import Engine, SimulatedClock
from leadflow.effects.email import ABANDONED_PART_AGE

SCRIPT = """
object contact { first_name: text }
event signed_up {}
email welcome { subject: "Hi {first_name ?? "there"}", body: "Welcome." }
rule "Welcome" when signed_up then send email welcome
"""
START = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)


def engine(db, mail) -> Engine:
    return Engine.from_source(SCRIPT, "welcome.flow", store=str(db), email=str(mail), clock=SimulatedClock(START))


def test_a_stale_part_is_removed_and_no_message_is_lost_or_doubled(tmp_path):
    db, mail = tmp_path / "crm.db", tmp_path / "mail"
    first = engine(db, mail)
    for name in ("ada", "grace", "linus"):
        first.emit("signed_up", f"{name}@example.com", {})
    assert first.deliver().sent == 3
    first.emit("signed_up", "margaret@example.com", {})  # queued; the run is "killed" while writing it
    first.close()
    eml = sorted(p.name for p in mail.glob("*.eml"))
    stale, fresh = mail / ".kill1234.part", mail / ".busy5678.part"
    stale.write_bytes(b"From: Leadflow <leadflow@localhost>\nTo: margaret@exa")
    fresh.write_bytes(b"From: another process, still writing")
    old = time.time() - ABANDONED_PART_AGE - 5
    os.utime(stale, (old, old))

    second = engine(db, mail)
    report = second.deliver()
    assert (report.sent, report.retried, report.dead) == (1, 0, 0)
    assert not stale.exists()
    assert fresh.exists()  # young: it may belong to a process writing right now
    now = sorted(p.name for p in mail.glob("*.eml"))
    assert len(now) == 4 and set(eml) < set(now)
    recipients = sorted(
        line for p in mail.glob("*.eml") for line in p.read_text().splitlines() if line.startswith("To: ")
    )
    assert recipients == [f"To: {n}@example.com" for n in ("ada", "grace", "linus", "margaret")]
    assert sorted(p.name for p in mail.iterdir() if p.suffix == ".part") == [fresh.name]
