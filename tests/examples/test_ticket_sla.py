"""The ticket SLA (examples/ticket_sla): `workflow sla for ticket`, `branch on`
the service tier, `wait for ticket_answered up to ... else { notify ... }`."""

from __future__ import annotations

from examples_support import at, lists, load, notifications, only_run, play, props, taken

END = at("2026-11-30T00:00")
ADA, GRACE, LINUS, MARGARET, BARBARA = 6, 7, 8, 9, 10  # tickets get ids after the five contacts


def handled(tmp_path, **options):
    engine = load("ticket_sla", tmp_path, **options)
    play(engine, "ticket_sla", END)
    return engine


def test_each_ticket_gets_its_tier_sla(tmp_path):
    engine = handled(tmp_path)
    tickets = {r.id: props(engine, r.id) for r in engine.store.records("ticket")}
    assert {i: (t["tier"], t["queue"], t["sla_hours"], t["status"], t["sla"]) for i, t in tickets.items()} == {
        ADA: ("platinum", "priority", 1, "answered", "met"),  # answered in 40 minutes
        GRACE: ("gold", "general", 4, "answered", "missed"),  # answered after 5.5 hours
        LINUS: ("standard", "general", 24, "answered", "met"),  # answered the next morning
        MARGARET: ("platinum", "priority", 1, "open", "missed"),  # never answered
        BARBARA: ("standard", "general", 24, "closed", "pending"),  # closed by the customer
    }
    assert {i: props(engine, i)["contact"] for i in tickets} == {ADA: 1, GRACE: 2, LINUS: 3, MARGARET: 4, BARBARA: 5}
    assert lists(engine, "ticket") == {ADA: [], GRACE: ["sla_missed"], LINUS: [], MARGARET: ["sla_missed"], BARBARA: []}


def test_support_hears_of_platinum_tickets_and_missed_slas(tmp_path):
    heard = []
    engine = handled(tmp_path, notify=lambda channel, message, payload: heard.append((channel, message)))
    expected = [
        ("support-priority", "Platinum ticket #6 from Analytical Engines: Cannot log in"),
        ("support-priority", "Platinum ticket #9 from Apollo Software: API returns 500"),
        (
            "support",
            "SLA missed: ticket #9 (platinum, 1 h) from margaret@example.com has no answer yet: API returns 500",
        ),
        (
            "support",
            "SLA missed: ticket #7 (gold, 4 h) from grace@example.com has no answer yet: Question about an invoice",
        ),
    ]
    assert notifications(engine) == expected
    missed = [e.created_at for e in engine.store.effects() if e.payload["channel"] == "support"]
    assert missed == [at("2026-11-23T13:00"), at("2026-11-23T14:00")]  # Margaret's opened + 1 h, Grace's + 4 h
    assert engine.deliver().sent == 4
    assert heard == expected  # the host's notify callback receives them at delivery


def test_the_run_log_shows_the_route_and_the_outcome(tmp_path):
    engine = handled(tmp_path)
    run, log = only_run(engine, ADA, "sla")
    assert run.status == "completed"
    assert taken(log) == [
        "enrolled",
        "branch on tier: branch",
        'set queue = "priority": step',
        "set sla_hours = 1: step",
        'notify "support-priority" "Platinum ticket #{id} from {contact.company ?? "a customer"}: '
        '{subject ?? "no subject"}": step',
        "wait for ticket_answered up to hours(sla_hours): waiting",
        "event arrived",
        "set sla = met: step",
        "completed",
    ]
    assert log[1].detail == {"step": "branch on tier", "value": "platinum", "to": "1/arm1/1"}
    run, log = only_run(engine, GRACE, "sla")
    assert run.status == "stopped"
    assert taken(log)[-6:] == [
        "wait for ticket_answered up to hours(sla_hours): waiting",
        "wait for ticket_answered up to hours(sla_hours): timed out",
        "set sla = missed: step",
        "add to sla_missed: step",
        taken(log)[-2],
        "stopped",
    ]
    assert only_run(engine, LINUS, "sla")[1][1].detail["to"] == "1/else/1"  # standard: the else arm


def test_stats(tmp_path):
    assert handled(tmp_path).stats("sla") == {
        "workflow": "sla",
        "enrolled": 5,
        "active": 0,
        "completed": 4,
        "goal": 0,
        "unenrolled": 1,
        "in_error": 0,
        "goal_rate": 0.0,
        "errors_by_step": {},
    }


def test_a_ticket_closed_before_its_deadline_raises_no_alarm(tmp_path):
    engine = handled(tmp_path)
    run, log = only_run(engine, BARBARA, "sla")
    assert run.status == "unenrolled"
    assert all("#10" not in message for _, message in notifications(engine))


def test_a_closed_ticket_leaves_the_workflow_at_once(tmp_path):
    engine = handled(tmp_path)
    _, log = only_run(engine, BARBARA, "sla")
    assert (log[-1].kind, log[-1].at) == ("unenrolled", at("2026-11-23T14:00"))  # the ticket_closed event
