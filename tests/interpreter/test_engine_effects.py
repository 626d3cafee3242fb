"""Effects: emails, notifications, webhooks and created records, through the outbox."""

from __future__ import annotations

import email
import email.policy

import pytest

from engine_support import CONTACT
from leadflow.store import SqliteStore

SCRIPT = (
    CONTACT
    + """
object deal { name: text, amount: number = 0, contact: contact reverse deals }
secret CRM_TOKEN
secret SIGNING_KEY
event form_submitted { form: text }
event forget {}
event won { amount: number }

email welcome {
  subject: "Welcome, {first_name ?? "there"}!"
  body: "Hi {first_name ?? "there"}, your score is {score}."
  html: "<p>Hi {first_name ?? "there"} &amp; welcome</p><p>{persona}</p>"
}
email plain { subject: "Plain", body: "No html", from: "Sales <sales@example.com>" }

rule "Welcome" when form_submitted then { send email welcome  send email plain }
rule "Forget" when forget then clear email
rule "Won" when won then {
  create deal { name: "Deal for {email ?? "?"}", amount: event.amount } as d
  set d.amount = event.amount * 2
  set visits = count(deals)
  notify "sales" "won {event.amount} for {first_name ?? email ?? "?"}"
  webhook post "https://crm.example.com/deals" with {email: email, amount: event.amount}
    headers {x_source: "leadflow"} auth bearer CRM_TOKEN sign with SIGNING_KEY timeout 5 seconds
}
"""
)


@pytest.fixture
def engine(engine_for, tmp_path):
    return engine_for(SCRIPT, email=str(tmp_path / "mail"), secrets={"CRM_TOKEN": "tok-123", "SIGNING_KEY": "sig-456"})


def test_send_email_renders_and_escapes_html(engine):
    engine.emit("upsert", "ada@example.com", {"first_name": "<Ada & Co>", "score": 7, "persona": "buyer"})
    engine.emit("form_submitted", "ada@example.com", {"form": "demo"})
    welcome, plain = engine.store.effects()
    assert welcome.kind == "email"
    payload = welcome.payload
    assert payload["to"] == "ada@example.com" and payload["template"] == "welcome" and payload["record_id"] == 1
    assert payload["subject"] == "Welcome, <Ada & Co>!"
    assert payload["text"] == "Hi <Ada & Co>, your score is 7."
    # interpolated values are escaped in html; the template's own markup is not
    assert payload["html"] == "<p>Hi &lt;Ada &amp; Co&gt; &amp; welcome</p><p>buyer</p>"
    assert payload["from"] == "Leadflow <leadflow@localhost>"
    assert plain.payload["html"] is None and plain.payload["from"] == "Sales <sales@example.com>"


def test_html_escaping_does_not_double_escape_nested_text(engine_for):
    engine = engine_for(
        CONTACT
        + """
event hello {}
email e { subject: "s" body: "b" html: "<p>{first_name ?? "friend of {email ?? ""}"}</p>" }
when hello then send email e
"""
    )
    engine.emit("hello", "a&b@example.com")
    assert engine.store.effects()[0].payload["html"] == "<p>friend of a&amp;b@example.com</p>"


def test_a_contact_without_email_gets_a_note_not_an_email(engine):
    engine.emit("upsert", "ada@example.com", {})
    engine.emit("forget", "ada@example.com")
    assert engine.record(1).properties.get("email") is None
    result = engine.emit("form_submitted", {"id": 1}, {"form": "demo"})
    assert result.fired == ('rule "Welcome"',)
    assert result.notes == (
        'rule "Welcome": email welcome not sent: the contact has no email address',
        'rule "Welcome": email plain not sent: the contact has no email address',
    )
    assert engine.store.effects() == []


def test_create_links_the_record_and_the_reverse_association_lists_it(engine):
    engine.emit("upsert", "ada@example.com", {"first_name": "Ada"})
    engine.emit("upsert", "bob@example.com", {})
    engine.emit("won", "ada@example.com", {"amount": 100}, key="w1")
    deal = engine.record(3)
    assert deal.type == "deal"
    assert deal.properties["contact"] == 1 and deal.properties["name"] == "Deal for ada@example.com"
    assert deal.properties["amount"] == 200  # `set d.amount` wrote the created deal, not the contact
    assert "amount" not in engine.record(1).properties
    assert engine.record(1).properties["visits"] == 1
    engine.emit("won", "ada@example.com", {"amount": 5}, key="w2")
    assert engine.record(1).properties["visits"] == 2
    engine.emit("won", "bob@example.com", {"amount": 1}, key="w3")
    assert engine.record("bob@example.com").properties["visits"] == 1
    assert [r.id for r in engine.store.find_all_by("deal", "contact", 1)] == [3, 4]


def test_notify_and_webhook_payloads(engine):
    engine.emit("upsert", "ada@example.com", {"first_name": "Ada"})
    engine.emit("won", "ada@example.com", {"amount": 100})
    effects = {e.kind: e for e in engine.store.effects()}
    assert effects["notify"].payload == {"channel": "sales", "message": "won 100 for Ada", "record_id": 1}
    hook = effects["webhook"].payload
    assert hook["method"] == "POST" and hook["url"] == "https://crm.example.com/deals"
    assert hook["body"] == {"email": "ada@example.com", "amount": 100}
    assert hook["headers"] == {"x_source": "leadflow"}
    assert hook["timeout"] == 5
    # secrets travel by name; their values are looked up only when the webhook is sent
    assert hook["auth_bearer"] == "CRM_TOKEN" and hook["sign_with"] == "SIGNING_KEY"
    stored = repr([e.payload for e in engine.store.effects()])
    assert "tok-123" not in stored and "sig-456" not in stored


def test_effect_keys_are_distinct_and_stable(engine):
    engine.emit("upsert", "ada@example.com", {})
    engine.emit("won", "ada@example.com", {"amount": 1}, key="w")
    keys = [e.key for e in engine.store.effects()]
    assert len(keys) == len(set(keys)) == 2
    assert all(k.startswith("w:") for k in keys)


def test_deliver_writes_eml_files_once(engine, tmp_path):
    engine.emit("upsert", "ada@example.com", {"first_name": "Ada"})
    engine.emit("form_submitted", "ada@example.com", {"form": "demo"})
    report = engine.deliver()
    assert (report.sent, report.retried, report.dead) == (2, 0, 0)
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 2
    messages = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    subjects = sorted(m["Subject"] for m in messages)
    assert subjects == ["Plain", "Welcome, Ada!"]
    welcome = next(m for m in messages if m["Subject"] == "Welcome, Ada!")
    assert welcome["To"] == "ada@example.com" and "leadflow@localhost" in welcome["From"]
    assert welcome.get_body(("plain",)).get_content().strip() == "Hi Ada, your score is 0."
    assert all(e.status == "sent" for e in engine.store.effects())
    again = engine.deliver()
    assert (again.sent, again.retried, again.dead) == (0, 0, 0)
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 2


def test_notifications_go_to_the_host_callback_after_commit(engine_for, tmp_path):
    received = []
    engine = engine_for(
        CONTACT
        + """
event won { amount: number }
when won then notify "sales" "won {event.amount} for {first_name ?? "?"}"
""",
        email=str(tmp_path),
        notify=lambda channel, message, payload: received.append((channel, message, payload["record_id"])),
    )
    engine.emit("upsert", "ada@example.com", {"first_name": "Ada"})
    engine.emit("won", "ada@example.com", {"amount": 3})
    assert received == []  # nothing is performed while the event runs
    engine.deliver()
    assert received == [("sales", "won 3 for Ada", 1)]
    engine.deliver()
    assert len(received) == 1


def test_find_all_by_returns_every_match_in_id_order(tmp_path):
    import datetime as dt

    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with SqliteStore(tmp_path / "s.db") as store:
        a = store.create_record("contact", {"email": "a@x.com"}, at, "test")
        b = store.create_record("contact", {"email": "b@x.com"}, at, "test")
        d1 = store.create_record("deal", {"contact": a.id, "name": "one"}, at, "test")
        store.create_record("deal", {"contact": b.id, "name": "two"}, at, "test")
        d3 = store.create_record("deal", {"contact": a.id, "name": "three"}, at, "test")
        store.create_record("ticket", {"contact": a.id}, at, "test")
        store.create_record("deal", {"name": "orphan"}, at, "test")
        assert [r.id for r in store.find_all_by("deal", "contact", a.id)] == [d1.id, d3.id]
        assert [r.props["name"] for r in store.find_all_by("deal", "contact", a.id)] == ["one", "three"]
        assert store.find_all_by("deal", "contact", 999) == []
        assert [r.props["name"] for r in store.find_all_by("deal", "name", "two")] == ["two"]
        tagged = store.create_record("deal", {"tags": ["x", "y"]}, at, "test")
        assert [r.id for r in store.find_all_by("deal", "tags", ["x", "y"])] == [tagged.id]
        store.update_record(d1.id, {"contact": b.id}, at, "test")
        assert [r.id for r in store.find_all_by("deal", "contact", a.id)] == [d3.id]


def test_reading_through_an_unset_association_gives_null():
    from leadflow import Engine

    engine = Engine.from_source("""
        object contact { first_name: text }
        object deal { name: text, contact: contact reverse deals }
        event opened on deal { }
        list ada_deals
        rule "Deals of Ada" when opened if contact.first_name == "Ada" then set name = "Ada's"
        rule "Orphans" when opened if contact.first_name is unknown then set name = "orphan"
    """)
    engine.emit("upsert", "ada@example.com", {"first_name": "Ada"})
    with engine.store.batch():
        linked = engine.store.create_record("deal", {"contact": 1}, engine.clock.now(), "test")
        orphan = engine.store.create_record("deal", {}, engine.clock.now(), "test")
    engine.emit("opened", {"id": linked.id})
    engine.emit("opened", {"id": orphan.id})
    assert engine.record(linked.id).properties["name"] == "Ada's"
    assert engine.record(orphan.id).properties["name"] == "orphan"


def test_secret_values_come_from_the_environment_unless_the_host_gives_them(monkeypatch):
    from leadflow import Engine

    monkeypatch.setenv("LEADFLOW_SECRET_API_KEY", "from-env")
    monkeypatch.setenv("LEADFLOW_SECRET_OTHER", "from-env-too")
    source = "secret API_KEY\nsecret OTHER\n"
    assert Engine.from_source(source).secrets == {"API_KEY": "from-env", "OTHER": "from-env-too"}
    assert Engine.from_source(source, secrets={"OTHER": "from-host"}).secrets["OTHER"] == "from-host"
    assert "UNDECLARED" not in Engine.from_source(source).secrets
