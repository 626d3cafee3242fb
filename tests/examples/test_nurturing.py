"""The ebook nurturing workflow (examples/nurturing): every branch ends in a list,
the goal, suppression, `unenroll when` and the Paris office-hours window."""

from __future__ import annotations

from examples_support import EXAMPLES, at, emails, emails_to, events, lists, load, notifications, only_run, play, taken

from leadflow import Engine, SimulatedClock

END = at("2026-12-31T00:00")


def nurtured(tmp_path) -> Engine:
    engine = load("nurturing", tmp_path)
    play(engine, "nurturing", END)
    return engine


def test_every_contact_ends_in_a_list_or_leaves_for_a_reason(tmp_path):
    engine = nurtured(tmp_path)
    assert lists(engine) == {
        "ada@example.com": ["engaged"],  # downloaded the second ebook
        "grace@example.com": ["nurture_blog"],
        "barbara@example.com": ["nurture_blog"],
        "new.visitor@example.com": ["nurture_blog"],  # created by its download
        "linus@example.com": [],  # became an SQL: left at the goal
        "margaret@example.com": ["trash"],  # unsubscribed: never enrolled
        "alan@example.com": ["trash"],  # unsubscribed on the way: unenrolled
    }
    status = {email: [run.status for run, _ in engine.record(email).runs] for email in lists(engine)}
    assert status == {
        "ada@example.com": ["completed"],
        "grace@example.com": ["completed"],
        "barbara@example.com": ["completed"],
        "new.visitor@example.com": ["completed"],
        "linus@example.com": ["goal"],
        "margaret@example.com": [],
        "alan@example.com": ["unenrolled"],
    }


def test_emails_and_the_sales_notification(tmp_path):
    engine = nurtured(tmp_path)
    assert len(emails(engine)) == 13
    full = ["followup_1", "ebook_2_offer", "blog_digest"]
    assert emails_to(engine, "ada@example.com") == ["followup_1", "ebook_2_offer"]
    assert emails_to(engine, "grace@example.com") == full
    assert emails_to(engine, "barbara@example.com") == full  # her second download did not enroll her again
    assert emails_to(engine, "new.visitor@example.com") == full
    assert emails_to(engine, "linus@example.com") == ["followup_1"]  # then the goal
    assert emails_to(engine, "alan@example.com") == ["followup_1"]  # then unsubscribed
    assert emails_to(engine, "margaret@example.com") == []
    assert notifications(engine) == [("sales", "Ada (Analytical Engines) read both ebooks")]


def test_the_run_log_shows_the_branch_taken(tmp_path):
    engine = nurtured(tmp_path)
    _, ada = only_run(engine, "ada@example.com", "nurturing")
    branch = next(e for e in ada if e.kind == "branch")
    assert branch.step == "5" and branch.detail["to"] == "5/if1/1"
    assert taken(ada)[-4:] == [
        "add to engaged: waiting",
        "add to engaged: step",
        'notify "sales" "{first_name ?? email ?? "A contact"} ({company ?? "no company"}) read both ebooks": step',
        "completed",
    ]
    _, barbara = only_run(engine, "barbara@example.com", "nurturing")
    assert next(e for e in barbara if e.kind == "branch").detail["to"] == "5/else/1"
    assert taken(barbara)[-4:] == [
        "wait 2 days: waiting",
        "send email blog_digest: step",
        "add to nurture_blog: step",
        "completed",
    ]
    _, linus = only_run(engine, "linus@example.com", "nurturing")
    assert linus[-1].kind == "goal"


def test_steps_wait_for_the_paris_office_hours(tmp_path):
    engine = nurtured(tmp_path)
    sent = {(e.payload["to"], e.payload["template"]): e.created_at for e in engine.store.effects() if e.kind == "email"}
    # Ada downloads on Monday 11:00 in Paris: thanked at once; 5 days later is a
    # Saturday, so the offer waits for Monday 09:00 Paris (08:00 UTC).
    assert sent["ada@example.com", "followup_1"] == at("2026-11-23T10:00")
    assert sent["ada@example.com", "ebook_2_offer"] == at("2026-11-30T08:00")
    # Grace downloads on Saturday afternoon: even the thank-you waits for Monday.
    assert sent["grace@example.com", "followup_1"] == at("2026-11-30T08:00")
    _, grace = only_run(engine, "grace@example.com", "nurturing")
    assert grace[1].kind == "waiting" and grace[1].detail["window"] == at("2026-11-30T08:00")


def test_stats(tmp_path):
    stats = nurtured(tmp_path).stats("nurturing")
    assert stats == {
        "workflow": "nurturing",
        "enrolled": 6,
        "active": 0,
        "completed": 4,
        "goal": 1,
        "unenrolled": 1,
        "in_error": 0,
        "goal_rate": 1 / 6,
        "errors_by_step": {},
    }


def test_a_restart_resumes_every_run_where_it_was(tmp_path):
    db = tmp_path / "restarted.db"
    first = load("nurturing", store=str(db), email=str(tmp_path / "outbox"))
    crash = at("2026-12-02T12:00")
    first.emit_many([e for e in events("nurturing") if at(e["at"]) < crash])
    first.advance(crash)
    assert len(first.store.runs(status="active")) == 4  # Ada, Grace, Barbara, the new visitor
    first.store.close()
    script = (EXAMPLES / "nurturing" / "nurturing.flow").read_text()
    second = Engine.from_source(script, "nurturing.flow", store=str(db), clock=SimulatedClock(crash))
    play(second, "nurturing", END)  # the events applied before are skipped as duplicates
    uninterrupted = nurtured(tmp_path)
    assert lists(second) == lists(uninterrupted)
    assert emails(second) == emails(uninterrupted)
    assert second.stats("nurturing") == uninterrupted.stats("nurturing")
