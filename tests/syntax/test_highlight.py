"""The Pygments lexer: every keyword of the design, literals, strings with
interpolation, and no error token on any script the project ships."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, Punctuation, String, Whitespace

import leadflow.examples
from leadflow.syntax.highlight import LeadflowLexer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(Path(leadflow.examples.__file__).parent.glob("*/*.flow"))

# Every keyword of LANGUAGE.md, each in a place where it is one.
SAMPLE = """\
object contact { email: email, score: number? = 0, tags: list<text>, owner: contact reverse owned }
event ticket_opened on ticket { channel: text }
list trash "Poubelle"
secret ENRICH_KEY
email followup_1 { subject: "Hi {first_name ?? "there"}" }
const url = "https://example.com"
type stage = enum { open, won }
extern fn team(t: text) -> list<text>
fn commission(d: deal) -> number {
  let base = d.amount * 0.05
  for x in [1] { }
  return if base > 1 then base else 0
}
rule "Name" when form_submitted where event.form == "demo" and not (a or b) then set lifecycle = lead
when created then clear email
when lifecycle changed from lead to mql then increment score by 10
when added to engaged then decrement score by 5
when removed from engaged then remove from engaged
when matching x is known and y is unknown and z in [1] then add to engaged
when every day at 02:00 where last_activity < now() - 2 years then send email followup_1 to "a@b.c"
when at 2026-12-10T09:00 then notify "sales" "x"
when yearly on birthday at 09:00 then create deal { name: "x" } as d
when 3 days before renewal_date at 09:00 then do log(email)
when 1 day after renewal_date then enroll in nurturing
when created then unenroll from nurturing
when created then webhook post "https://x" with {a: 1} headers {b: 2} auth bearer K sign with K timeout 10 seconds as info: {c: text?}
when created then let n = match score { 1 => true else => false }
workflow nurturing for contact {
  enroll when ebook_downloaded
  reenroll never
  goal lifecycle in [sql, customer]
  suppress trash
  window weekdays 09:00-18:00 timezone "Europe/Paris"
  wait 5 days
  wait until 09:00 on weekdays
  wait for form_submitted where event.form == "x" up to 3 days else { stop }
  split random { 25% { stop } 75% { stop } }
  branch on persona { buyer { stop } else { stop } }
  if true { stop } else { stop }
}
bot qualify {
  say "Hi"
  ask "Team size?" choices ["1-10", "11-50"] into team_size
  handoff "sales"
}
"""

KEYWORDS = [
    "object",
    "event",
    "list",
    "secret",
    "email",
    "const",
    "type",
    "extern",
    "fn",
    "rule",
    "workflow",
    "bot",
    "when",
    "if",
    "then",
    "else",
    "where",
    "and",
    "or",
    "not",
    "in",
    "is",
    "match",
    "return",
    "for",
    "created",
    "changed",
    "from",
    "to",
    "added",
    "removed",
    "matching",
    "every",
    "at",
    "on",
    "yearly",
    "before",
    "after",
    "set",
    "clear",
    "increment",
    "decrement",
    "by",
    "add",
    "remove",
    "send",
    "notify",
    "create",
    "as",
    "let",
    "do",
    "enroll",
    "unenroll",
    "webhook",
    "with",
    "headers",
    "auth",
    "bearer",
    "sign",
    "timeout",
    "reverse",
    "reenroll",
    "never",
    "goal",
    "suppress",
    "window",
    "timezone",
    "wait",
    "until",
    "up",
    "split",
    "random",
    "branch",
    "stop",
    "say",
    "ask",
    "choices",
    "into",
    "handoff",
    "weekdays",
]


def tokens(text: str) -> list[tuple[object, str]]:
    return [(kind, value) for kind, value in LeadflowLexer().get_tokens(text) if kind not in Whitespace]


def test_the_sample_has_no_error_token():
    assert [value for kind, value in tokens(SAMPLE) if kind in Error] == []


@pytest.mark.parametrize("word", KEYWORDS)
def test_every_keyword_of_the_design_is_a_keyword_token(word):
    kinds = {kind for kind, value in tokens(SAMPLE) if value == word}
    assert kinds and any(kind in Keyword for kind in kinds), (word, kinds)


def test_soft_keywords_are_names_where_they_are_names():
    found = tokens('object contact { email: email }  when created then let d = split(email, "@")')
    assert found[:6] == [
        (Keyword.Declaration, "object"),
        (Name.Class, "contact"),
        (Punctuation, "{"),
        (Name, "email"),
        (Punctuation, ":"),
        (Keyword.Type, "email"),
    ]
    assert found[-8:] == [
        (Name.Function, "split"),
        (Punctuation, "("),
        (Name, "email"),
        (Punctuation, ","),
        (String.Double, '"'),
        (String.Double, "@"),
        (String.Double, '"'),
        (Punctuation, ")"),
    ]


@pytest.mark.parametrize(
    "text, kind",
    [
        ("2026-12-10T09:00", Number.Date),
        ("2026-12-10T09:00:30+02:00", Number.Date),
        ("2026-12-10T09:00Z", Number.Date),
        ("2026-12-10", Number.Date),
        ("09:00", Number.Date),
        ("1_000", Number.Integer),
        ("3.5", Number.Float),
        ("25%", Number),
    ],
)
def test_literals_are_one_token(text, kind):
    assert tokens(text) == [(kind, text)]


def test_durations_are_numbers():
    assert tokens("now() - 6 weeks") == [
        (Name.Function, "now"),
        (Punctuation, "("),
        (Punctuation, ")"),
        (Operator, "-"),
        (Number, "6"),
        (Number, "weeks"),
    ]


def test_strings_interpolate_expressions_and_escape_braces():
    found = tokens(r'"Hi {first_name ?? "there"}, {{literal}} \" done" # note')
    assert found == [
        (String.Double, '"'),
        (String.Double, "Hi "),
        (String.Interpol, "{"),
        (Name, "first_name"),
        (Operator, "??"),
        (String.Double, '"'),
        (String.Double, "there"),
        (String.Double, '"'),
        (String.Interpol, "}"),
        (String.Double, ", "),
        (String.Escape, "{{"),
        (String.Double, "literal"),
        (String.Escape, "}}"),
        (String.Double, " "),
        (String.Escape, r"\""),
        (String.Double, " done"),
        (String.Double, '"'),
        (Comment.Single, "# note"),
    ]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_no_example_script_has_an_error_token(path):
    assert [value for kind, value in tokens(path.read_text("utf-8")) if kind in Error] == []


def test_no_leadflow_block_of_the_docs_has_an_error_token():
    blocks = [
        block
        for doc in [ROOT / "README.md", *ROOT.glob("docs/*.md")]
        for block in re.findall(r"```leadflow\n(.*?)```", doc.read_text("utf-8"), re.S)
    ]
    assert blocks
    assert [value for block in blocks for kind, value in tokens(block) if kind in Error] == []


def test_pygments_finds_the_lexer_by_name_and_file_name():
    # through the `pygments.lexers` entry point of pyproject.toml: what docs tools use
    assert isinstance(get_lexer_by_name("leadflow"), LeadflowLexer)
    assert isinstance(get_lexer_for_filename("rules.flow"), LeadflowLexer)
