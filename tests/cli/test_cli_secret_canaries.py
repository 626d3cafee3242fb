"""Canary secrets through every example and every command: no piece of a secret's value
(any 8 characters of it, as written or in its JSON and percent spellings) is in any
byte Leadflow writes: the database and its WAL, the .eml files, whatever each command
prints, error texts included.

Three canaries: a plain value, which is sent (to a receiver on 127.0.0.1 that echoes
it back whole and in pieces, into a workflow's variables, a record and an email), and
values with a line break and with non-ASCII characters, which the engine refuses when
it starts, naming the secret and not its value. Each is given both as `--secret` and
in LEADFLOW_SECRET_*.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest
from cli_support import EXAMPLES, leadflow, leadflow_process

from leadflow.effects.secrets import FRAGMENT

CANARIES = {
    "plain": {"ENRICH_KEY": "cnryBearer-5TqX8vLk2RmZ7Jw", "ENRICH_SIGNING_KEY": "cnrySigning-9HwZ3mPd7QsL4Nb"},
    "line break": {
        "ENRICH_KEY": "cnryCrLfBearer-4Jd\r\nX-Evil: 8Kp2WqYt",
        "ENRICH_SIGNING_KEY": "cnryNewline-3Gh7XvRk\n",
    },
    "non-ASCII": {"ENRICH_KEY": "cnryÜnïcödeBearer-6Rt2Lp", "ENRICH_SIGNING_KEY": "cnrySigning2-7Mn4VbQe"},
}
ENV_ONLY = "ENRICH_SIGNING_KEY"  # given through the environment; ENRICH_KEY through --secret
REPL_INPUT = ":new canary@example.com\n:show\n:advance 2 days\n:show\n:quit\n"
EXAMPLE_NAMES = sorted(p.name for p in EXAMPLES.iterdir() if (p / f"{p.name}.flow").exists())

# A workflow that takes the receiver's answer (which echoes the bearer token) into a
# record, the run's variables and an email: every place a secret could travel on to.
ECHO = """
object contact { company: text, note: text }
secret ENRICH_KEY
secret ENRICH_SIGNING_KEY
email echoed { subject: "You sent {company ?? "-"}", body: "{note ?? "-"}" }

workflow echo {
  enroll when created
  webhook post "URL/echo" with {email: email} auth bearer ENRICH_KEY sign with ENRICH_SIGNING_KEY
    as info: {you_sent: text?, cut: text?, tail: text?}
  set company = info.you_sent
  set note = "{info.cut ?? "-"} {info.tail ?? "-"}"
  send email echoed
}
"""


@pytest.fixture
def echo(receiver):
    """cli_support's receiver: it echoes the Authorization header whole and in pieces."""
    return receiver


def authorizations(receiver) -> list[str | None]:
    return [request.headers.get("Authorization") for request in receiver.received]


def fragments(secrets: dict[str, str]) -> set[bytes]:
    found = set()
    for value in secrets.values():
        for spelling in (
            value,
            json.dumps(value)[1:-1],
            json.dumps(value, ensure_ascii=False)[1:-1],
            quote(value, safe=""),
        ):
            found |= {spelling[i : i + FRAGMENT].encode() for i in range(len(spelling) - FRAGMENT + 1)}
    return found


def leaked(data: bytes, secrets: dict[str, str]) -> list[bytes]:
    return sorted(f for f in fragments(secrets) if f in data)


def commands(script: Path, folder: Path, db: Path, mail: Path, secret_args: list[str]) -> list[list]:
    """Every command, in the order a user would run them, on one example."""
    contact = "ada@example.com"
    engine = ["--db", db, "--email", mail, *secret_args, "--allow-private-webhooks"]
    events = folder / "events.jsonl"
    listed = [["check", script], ["fmt", "--check", script], ["graph", script]]
    if (folder / "contacts.csv").exists():
        listed.append(["import", script, folder / "contacts.csv", *engine])
    if events.exists():
        listed.append(["run", script, "--events", events, *engine])
    listed += [
        ["deliver", "--db", db, "--email", mail, *secret_args, "--allow-private-webhooks"],
        *([["run", script, "--events", events, *engine]] if events.exists() else []),  # resumes runs that got answers
        ["outbox", "--db", db],
        ["outbox", "--db", db, "--format", "json"],
        ["replay", "--db", db, "--all-dead"],
        ["export", "--db", db],
        ["history", contact, "--db", db],
        ["history", contact, "--db", db, "--format", "json"],
        ["runs", "--db", db],
        ["runs", "--db", db, "--format", "json"],
        ["stats", "--db", db],
        ["explain", script, contact, "--db", db],
        ["retry", script, "--run", "1", *engine],
        ["repl", script, "--db", db, *secret_args],  # input below: a record, an event, what it did
    ]
    if (EXAMPLES / folder.name).is_dir():  # the example's own tests, on its unchanged copy
        listed.append(["test", EXAMPLES / folder.name])
    return listed


def run_everything(tmp_path: Path, monkeypatch, secrets: dict[str, str], echo_url: str) -> tuple[list, bytes]:
    """Every example (and the echo workflow) through every command; what was printed,
    and every byte of every file written."""
    monkeypatch.chdir(tmp_path)  # anything written to a default path lands here too
    monkeypatch.setenv(f"LEADFLOW_SECRET_{ENV_ONLY}", secrets[ENV_ONLY])
    secret_args = [a for name, value in secrets.items() if name != ENV_ONLY for a in ("--secret", f"{name}={value}")]
    outcomes = []
    for name in [*EXAMPLE_NAMES, "echo"]:
        folder = tmp_path / name
        folder.mkdir()
        if name == "echo":
            script = folder / "echo.flow"
            script.write_text(ECHO.replace("URL", echo_url), "utf-8")
            (folder / "contacts.csv").write_text("email\nada@example.com\ngrace@example.com\n")
            (folder / "events.jsonl").write_text('{"event": "upsert", "contact": "ada@example.com", "data": {}}\n')
        else:
            for source in (EXAMPLES / name).iterdir():
                if source.is_file():
                    (folder / source.name).write_bytes(source.read_bytes())
            script = folder / f"{name}.flow"
            if name == "enrichment":
                script.write_text(script.read_text("utf-8").replace("https://enrich.example.com", echo_url), "utf-8")
        db, mail = folder / "crm.db", folder / "mail"
        for args in commands(script, folder, db, mail, secret_args):
            typed = REPL_INPUT if args[0] == "repl" else None
            outcomes.append((name, args[0], leadflow(*args, input=typed)))
    # and once as a real process, as a shell runs it (its environment holds no secret)
    process_db = tmp_path / "process.db"
    outcomes.append(
        (
            "echo",
            "process",
            leadflow_process(
                "import",
                tmp_path / "echo" / "echo.flow",
                tmp_path / "echo" / "contacts.csv",
                "--db",
                process_db,
                "--email",
                tmp_path / "process-mail",
                "--allow-private-webhooks",
                *(a for name, value in secrets.items() for a in ("--secret", f"{name}={value}")),
            ),
        )
    )
    written = b"".join(p.read_bytes() for p in sorted(tmp_path.rglob("*")) if p.is_file())
    printed = "".join(o.stdout + o.stderr for *_, o in outcomes).encode("utf-8", "surrogateescape")
    return outcomes, written + printed


def test_a_plain_secret_is_sent_and_nothing_written_holds_a_piece_of_it(tmp_path, monkeypatch, echo):
    secrets = CANARIES["plain"]
    outcomes, everything = run_everything(tmp_path, monkeypatch, secrets, echo.url)
    assert leaked(everything, secrets) == []
    # It was really used: the enrichment example and the echo workflow sent it, and got it back.
    assert authorizations(echo) == [f"Bearer {secrets['ENRICH_KEY']}"] * (3 + 2)  # enrichment, echo
    emails = [p.read_text() for p in (tmp_path / "echo" / "mail").glob("*.eml")]
    assert len(emails) == 2 and all("Subject: You sent Bearer ***" in e for e in emails)
    # Every command did its work: `fmt --check` may find an unformatted file, `retry` no run
    # in error, and two examples' event files hold lines that are rejected on purpose.
    allowed = {"fmt": {0, 1}, "retry": {0, 3}, "run": {0, 3}}
    repl = [o for name, cmd, o in outcomes if cmd == "repl"]
    assert len(repl) == len(EXAMPLE_NAMES) + 1 and all("> :show" in o.stdout and "history:" in o.stdout for o in repl)
    failed = [(name, cmd, o.code, o.stderr[-200:]) for name, cmd, o in outcomes if o.code not in allowed.get(cmd, {0})]
    assert failed == []


@pytest.mark.parametrize("kind", ["line break", "non-ASCII"])
def test_an_unusable_secret_stops_the_engine_naming_it_and_leaves_no_piece(tmp_path, monkeypatch, echo, kind):
    secrets = CANARIES[kind]
    outcomes, everything = run_everything(tmp_path, monkeypatch, secrets, echo.url)
    assert leaked(everything, secrets) == []
    assert authorizations(echo) == []
    starts = [(name, o) for name, cmd, o in outcomes if cmd in ("import", "run", "deliver", "retry", "process")]
    assert starts and all(o.code == 4 for _, o in starts)
    assert all("error: secret ENRICH_" in o.stderr and "its value" in o.stderr for _, o in starts)
