"""The printer: canonical layout, minimal parentheses, string escapes, and
`parse(format_program(parse(src))) == parse(src)` on realistic scripts."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from leadflow.syntax import ast
from leadflow.syntax.parser import parse, parse_expr
from leadflow.syntax.printer import format_action, format_expr, format_program, format_trigger, format_type


def canonical(source: str) -> str:
    return format_program(parse(source))


def expr_text(source: str) -> str:
    return format_expr(parse_expr(source))


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# ---- expressions: precedence -------------------------------------------------------
@pytest.mark.parametrize(
    "source, expected",
    [
        # redundant parentheses go
        ("(a)", "a"),
        ("((a + b))", "a + b"),
        ("(a + b) + c", "a + b + c"),
        ("a + (b * c)", "a + b * c"),
        ("(a * b) % c", "a * b % c"),
        ("(a ?? b) ?? c", "a ?? b ?? c"),  # `??` groups to the left, as the other chains do
        ("(a and b) and c", "a and b and c"),
        ("(a or b) or (c and d)", "a or b or c and d"),
        ("not (not a)", "not not a"),
        ("not (a == b)", "not a == b"),
        ("(a + b) ?? c", "a + b ?? c"),
        ("(a ?? b) == c", "a ?? b == c"),
        ("-(a.b)", "-a.b"),
        ("-(f(x)[0])", "-f(x)[0]"),
        ("(a.b).c", "a.b.c"),
        ("(a == b) and (c in d)", "a == b and c in d"),
        ("if (a or b) then (c + d) else (if e then f else g)", "if a or b then c + d else if e then f else g"),
        ("[(a or b), (if a then b else c)]", "[a or b, if a then b else c]"),
        ("f((a), k: (b + c))", "f(a, k: b + c)"),
        ("x[(a or b)]", "x[a or b]"),
        # needed ones stay: associativity
        ("a - (b - c)", "a - (b - c)"),
        ("a / (b * c)", "a / (b * c)"),
        ("a % (b % c)", "a % (b % c)"),
        ("a ?? (b ?? c)", "a ?? (b ?? c)"),
        ("a or (b or c)", "a or (b or c)"),
        ("a and (b and c)", "a and (b and c)"),
        # needed ones stay: a looser child
        ("(a + b) * c", "(a + b) * c"),
        ("a * (b + c)", "a * (b + c)"),
        ("(a or b) and c", "(a or b) and c"),
        ("(not a) == b", "(not a) == b"),
        ("not a and b", "not a and b"),
        ("(a == b) == c", "(a == b) == c"),
        ("a == (b != c)", "a == (b != c)"),
        ("(a in b) in c", "(a in b) in c"),
        ("(a is known) is unknown", "(a is known) is unknown"),
        ("(a < b) is known", "(a < b) is known"),
        ("(a ?? b) is known", "a ?? b is known"),
        ("(a and b) ?? c", "(a and b) ?? c"),
        ("-(a + b)", "-(a + b)"),
        ("-(-a)", "--a"),
        ("a - -b", "a - -b"),
        ("(-a).b", "(-a).b"),
        ("(a + b).c", "(a + b).c"),
        ("(a + b)[0]", "(a + b)[0]"),
        ("(if a then b else c) + 1", "(if a then b else c) + 1"),
        ("a + (if b then c else d)", "a + (if b then c else d)"),
        ("not (if a then b else c)", "not (if a then b else c)"),
        ("(if a then b else c).d", "(if a then b else c).d"),
        ("(not a) in b", "(not a) in b"),
        ("a not in (b == c)", "a not in (b == c)"),
        # postfix on atoms
        ("[1, 2][0]", "[1, 2][0]"),
        ("{a: 1}.a", "{a: 1}.a"),
        ("match a { 1 => 2 }.b", "match a { 1 => 2 }.b"),
        ("5 days.amount", "5 days.amount"),
        ("(2026-12-10).year", "2026-12-10.year"),
    ],
)
def test_parentheses_are_minimal(source, expected):
    assert expr_text(source) == expected
    assert parse_expr(expected) == parse_expr(source)


@pytest.mark.parametrize(
    "source",
    [
        "if a then b else c",
        "a or b and not c == d ?? e + f * -g.h[i]",
        "x in [1, 2] and y not in z or w is known and v is unknown",
        "match stage { open, won => 1, lost => 2, else => 0 }",
        "f()",
        "f(1, k: 2)",
        "{}",
        "[]",
        '{name: "x", size: 3}',
        "now() - 6 weeks",
    ],
)
def test_canonical_expressions_print_as_written(source):
    assert expr_text(source) == source


# ---- expressions: literals -----------------------------------------------------------
@pytest.mark.parametrize(
    "node, expected",
    [
        (ast.NumberLit(42), "42"),
        (ast.NumberLit(3.5), "3.5"),
        (ast.NumberLit(2.0), "2.0"),
        (ast.NumberLit(0.1), "0.1"),
        (ast.NumberLit(1e20), "100000000000000000000.0"),
        (ast.NumberLit(1e-7), "0.0000001"),
        (ast.NumberLit(-3), "-3"),
        (ast.DurationLit(1, "day"), "1 day"),
        (ast.DurationLit(5, "day"), "5 days"),
        (ast.DurationLit(0, "week"), "0 weeks"),
        (ast.DurationLit(1.5, "hour"), "1.5 hours"),
        (ast.DurationLit(10, "second"), "10 seconds"),
        (ast.DateLit(dt.date(2026, 12, 10)), "2026-12-10"),
        (ast.DateLit(dt.date(99, 1, 2)), "0099-01-02"),
        (ast.DateTimeLit(dt.datetime(2026, 12, 10, 9, 0)), "2026-12-10T09:00"),
        (ast.DateTimeLit(dt.datetime(2026, 12, 10, 9, 0, 30)), "2026-12-10T09:00:30"),
        (ast.DateTimeLit(dt.datetime(2026, 12, 10, 9, 0, tzinfo=dt.UTC)), "2026-12-10T09:00Z"),
        (
            ast.DateTimeLit(dt.datetime(2026, 12, 10, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))),
            "2026-12-10T09:00+05:30",
        ),
        (
            ast.DateTimeLit(dt.datetime(2026, 12, 10, 9, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=-8)))),
            "2026-12-10T09:00:05-08:00",
        ),
        (ast.TimeLit(dt.time(9, 0)), "09:00"),
        (ast.TimeLit(dt.time(23, 59)), "23:59"),
        (ast.BoolLit(True), "true"),
        (ast.BoolLit(False), "false"),
        (ast.NullLit(), "null"),
        (ast.Field(ast.NumberLit(5), "x"), "5.x"),
        (ast.Field(ast.NumberLit(1.5), "x"), "1.5.x"),
        (ast.Binary("-", ast.NumberLit(2026), ast.NumberLit(12)), "2026 - 12"),
    ],
)
def test_literals(node, expected):
    assert format_expr(node) == expected
    if not (isinstance(node, ast.NumberLit) and node.value < 0):  # the parser reads `-3` as a negation
        assert parse_expr(expected) == node


def test_underscores_in_numbers_are_dropped():
    assert expr_text("1_000 + 1_0.5") == "1000 + 10.5"


def test_a_negative_literal_prints_as_a_negation():
    """The parser never builds one, but a host-built AST may hold it."""
    assert parse_expr(format_expr(ast.NumberLit(-3))) == ast.Unary("-", ast.NumberLit(3))
    assert format_expr(ast.Field(ast.NumberLit(-3), "x")) == "(-3).x"
    assert format_expr(ast.Binary("*", ast.NumberLit(2), ast.NumberLit(-3.5))) == "2 * -3.5"


# ---- expressions: strings --------------------------------------------------------------
@pytest.mark.parametrize(
    "parts, expected",
    [
        (("",), '""'),
        (("plain",), '"plain"'),
        (('say "hi"',), r'"say \"hi\""'),
        (("back\\slash",), r'"back\\slash"'),
        (("line\nnext\ttab\rret",), r'"line\nnext\ttab\rret"'),
        (("{braces}",), '"{{braces}}"'),
        (("}{",), '"}}{{"'),
        (("a {{ b",), '"a {{{{ b"'),
        (
            ("New SQL: ", ast.Binary("??", ast.Name("first_name"), ast.Name("email"))),
            '"New SQL: {first_name ?? email}"',
        ),
        ((ast.Name("a"), ast.Name("b")), '"{a}{b}"'),
        ((ast.Name("a"), "{", ast.Name("b"), "}"), '"{a}{{{b}}}"'),
        (
            ("Hi ", ast.Binary("??", ast.Name("first_name"), ast.TextLit(("there",))), "!"),
            '"Hi {first_name ?? "there"}!"',
        ),
        ((ast.Call("f", (ast.TextLit(('a "q" {x}',)),)),), r'"{f("a \"q\" {{x}}")}"'),
        ((ast.Call("f", (ast.TextLit(("x = ", ast.Name("x"))),)),), '"{f("x = {x}")}"'),
        ((ast.IfExpr(ast.Name("a"), ast.NumberLit(1), ast.ListLit((ast.NumberLit(2),))),), '"{if a then 1 else [2]}"'),
    ],
)
def test_strings(parts, expected):
    node = ast.TextLit(parts)
    assert format_expr(node) == expected
    assert parse_expr(expected) == node


@pytest.mark.parametrize(
    "node",
    [
        ast.TextLit((ast.RecordLit(()),)),  # an interpolation cannot hold braces
        ast.TextLit((ast.Match(ast.Name("a"), (), ast.NumberLit(1)),)),
        ast.TextLit((ast.Call("f", (ast.TextLit((ast.TextLit(("deep",)),)),)),)),  # a string two interpolations deep
        ast.NumberLit(float("inf")),
        ast.TimeLit(dt.time(9, 0, 30)),  # TIME has no seconds
        ast.DateTimeLit(dt.datetime(2026, 1, 1, 9, 0, 0, 500)),
        ast.DurationLit(1, "fortnight"),
        ast.Match(ast.Name("a"), (), None),  # a match needs an arm
    ],
)
def test_unprintable_expressions_raise_value_error(node):
    with pytest.raises(ValueError):
        format_expr(node)


def test_record_fields_that_are_not_identifiers_are_quoted():
    node = ast.RecordLit(
        (ast.RecordField("X-Source", ast.TextLit(("leadflow",))), ast.RecordField("if", ast.NumberLit(1)))
    )
    assert format_expr(node) == '{"X-Source": "leadflow", if: 1}'
    assert parse_expr(format_expr(node)) == node


# ---- types -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "source",
    [
        "text",
        "url?",
        "enum { a, b, c }",
        "enum { a }?",
        "list<number>",
        "list<list<text?>>",
        "{}",
        "{rep: text, open_leads: number}",
        "{a: {b: list<enum { x, y }>?}}?",
    ],
)
def test_types(source):
    program = parse(f"type t = {source}")
    assert format_type(program.decls[0].type) == source


def test_a_nullable_type_cannot_be_nullable_again():
    with pytest.raises(ValueError):
        format_type(ast.NullableTypeExpr(ast.NullableTypeExpr(ast.NamedType("text"))))


# ---- triggers ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "source, expected",
    [
        ("form_submitted", "form_submitted"),
        ('form_submitted where event.form == "demo"', 'form_submitted where event.form == "demo"'),
        ("created", "created"),
        ("contact created", "created"),
        ("deal created", "deal created"),
        ("lifecycle changed", "lifecycle changed"),
        ("lifecycle changed from lead", "lifecycle changed from lead"),
        ("lifecycle changed to (sql)", "lifecycle changed to sql"),
        ("deal.stage changed from open to won", "deal.stage changed from open to won"),
        ("added to engaged", "added to engaged"),
        ("removed from engaged", "removed from engaged"),
        ("matching (score > 90)", "matching score > 90"),
    ],
)
def test_triggers(source, expected):
    rule = parse(f"when {source} then clear x").decls[0]
    assert format_trigger(rule.trigger) == expected


# ---- actions -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "source, expected",
    [
        ("set lifecycle = sql", None),
        ("set deal.amount = (amount * 2)", "set deal.amount = amount * 2"),
        ("clear email", None),
        ("clear deal.stage", None),
        ("increment score", None),
        ("increment score by 10", None),
        ("decrement score", None),
        ("decrement score by 5", None),
        ("add to engaged", None),
        ("remove from engaged", None),
        ("send email followup_1", None),
        ("send email followup_1 to contact.email", None),
        ('notify "sales" "New lead {email}"', None),
        ("notify channel message", None),
        ("notify (a) (-b)", None),
        ("notify (a) (not b)", None),
        ("notify (a) ([1])", None),
        ("notify (a) (b).c", "notify a b.c"),
        ('notify "a" (b + c) * d', None),
        ("notify 5 (days)", None),
        ('create deal {name: "New deal for {email}", amount: 0}', None),
        ("create deal {} as d", None),
        ('let domain = split(email, "@")[1]', None),
        ("do log_to_crm(email)", None),
        ("do sync()", None),
        ("enroll in nurturing", None),
        ("unenroll from nurturing", None),
        ('webhook post "https://x.test"', None),
        ('webhook GET "https://x.test"', 'webhook get "https://x.test"'),
        (
            'webhook post "https://api.example.com/enrich" timeout 10 seconds as info: {company: text?}'
            ' sign with K auth bearer K headers {"X-Source": "leadflow"} with {email: email}',
            dedent(
                """
                webhook post "https://api.example.com/enrich"
                  with {email: email}
                  headers {"X-Source": "leadflow"}
                  auth bearer K
                  sign with K
                  timeout 10 seconds
                  as info: {company: text?}
                """
            ).rstrip("\n"),
        ),
        ("if a { }", "if a {}"),
        (
            "if a { set x = 1 }",
            dedent(
                """
                if a {
                  set x = 1
                }
                """
            ).rstrip("\n"),
        ),
        (
            "if a { set x = 1 } else { }",
            dedent(
                """
                if a {
                  set x = 1
                } else {}
                """
            ).rstrip("\n"),
        ),
        (
            "if a { set x = 1 clear y } else if b { } else if c { add to l } else { if d { clear z } else { } }",
            dedent(
                """
                if a {
                  set x = 1
                  clear y
                } else if b {} else if c {
                  add to l
                } else {
                  if d {
                    clear z
                  } else {}
                }
                """
            ).rstrip("\n"),
        ),
    ],
)
def test_actions(source, expected):
    expected = source if expected is None else expected
    rule = parse(f"when x then {{ {source} }}").decls[0]
    (action,) = rule.actions
    assert format_action(action) == expected
    assert parse(f"when x then {{ {expected} }}").decls[0].actions == (action,)


def test_else_if_chains_are_flattened_and_an_else_block_holding_an_if_is_not():
    chain = parse("when x then if a { } else if b { } else { }").decls[0].actions[0]
    nested = parse("when x then if a { } else { if b { } else { } }").decls[0].actions[0]
    assert len(chain.branches) == 2 and len(nested.branches) == 1
    assert "else if" in format_action(chain) and "else if" not in format_action(nested)


@pytest.mark.parametrize(
    "channel, message, expected",
    [
        (ast.Name("a"), ast.Unary("-", ast.Name("b")), "notify (a) (-b)"),
        (ast.TextLit(("s",)), ast.Unary("-", ast.Name("b")), 'notify "s" (-b)'),
        (ast.Name("a"), ast.ListLit(()), "notify (a) ([])"),
        (ast.Name("a"), ast.Unary("not", ast.Name("b")), "notify (a) (not b)"),
        (
            ast.TextLit(("s",)),
            ast.Binary("and", ast.Unary("not", ast.Name("b")), ast.Name("c")),
            'notify "s" (not b and c)',
        ),
        (
            ast.Name("a"),
            ast.Binary("*", ast.Binary("+", ast.Name("b"), ast.Name("c")), ast.Name("d")),
            "notify (a) (b + c) * d",
        ),
        (
            ast.Call("f", ()),
            ast.Binary("*", ast.Binary("+", ast.Name("b"), ast.Name("c")), ast.Name("d")),
            "notify f() (b + c) * d",
        ),
        (ast.NumberLit(5), ast.Name("days"), "notify 5 (days)"),
        (ast.NumberLit(5), ast.Name("b"), "notify 5 (b)"),
        (ast.Name("a"), ast.Name("b"), "notify a b"),
        (ast.Name("v_0"), ast.NullLit(), "notify v_0 null"),  # a name, not a number: no duration
    ],
)
def test_notify_keeps_its_two_expressions_apart(channel, message, expected):
    """Side by side, `a -b` would read as `a - b`, `a (b)` as a call, `5 days` as a duration."""
    action = ast.Notify(channel, message)
    assert format_action(action) == expected
    assert parse(f"when x then {expected}").decls[0].actions == (action,)


def test_match_arms_are_always_separated_by_commas():
    """Without the comma, an arm starting with `-` would continue the previous arm's value."""
    node = ast.Match(
        ast.Name("x"),
        (
            ast.MatchCase((ast.NumberLit(1),), ast.Name("a")),
            ast.MatchCase((ast.Unary("-", ast.NumberLit(1)),), ast.Name("b")),
        ),
        ast.ListLit(()),
    )
    assert format_expr(node) == "match x { 1 => a, -1 => b, else => [] }"
    assert parse_expr(format_expr(node)) == node


def test_unprintable_actions_raise_value_error():
    with pytest.raises(ValueError):
        format_action(ast.Webhook("post", ast.TextLit(("u",)), alias="info"))  # `as` needs a type
    with pytest.raises(ValueError):
        format_action(ast.IfAction((), None))
    with pytest.raises(ValueError):
        format_action(ast.ClearAction(()))


# ---- declarations and rules ------------------------------------------------------------
def test_declarations_have_a_canonical_layout():
    source = """
        object deal { name: text, amount: number = 0
          stage: enum { open, won, lost } = open   contact: contact reverse deals }
        object empty {}
        event form_submitted { form: text, page: url? }
        event ticket_opened on ticket { channel: text }
        event ping
        event pong {}
        event closed on deal
        list trash "Poubelle"
        list plain
        list braces "a {{b}} \\"c\\""
        secret ENRICH_KEY
        email followup_1 { subject: "Your ebook, {first_name ?? "there"}", body: "Hi" }
        const ebook2_url = "https://example.com/ebook-2"
        type stage = enum { open, won, lost }?
        extern fn team_availability(team: text, limit: number?,) -> list<{rep: text, open_leads: number}>
        extern fn nothing() -> bool
        fn pick_variant() -> number = random_int(1, 4)
        fn commission(d: deal) -> number {
          let base = d.amount * 0.05
          for item in d.items { base = base + item.price if item.big { base = base * 2 } }
          if base > 100 { base = 100 } else { }
          return if d.amount > 50000 then base * 1.5 else base
        }
    """
    expected = dedent(
        """
        object deal {
          name: text
          amount: number = 0
          stage: enum { open, won, lost } = open
          contact: contact reverse deals
        }

        object empty {}

        event form_submitted {
          form: text
          page: url?
        }

        event ticket_opened on ticket {
          channel: text
        }

        event ping

        event pong

        event closed on deal

        list trash "Poubelle"

        list plain

        list braces "a {{b}} \\"c\\""

        secret ENRICH_KEY

        email followup_1 {
          subject: "Your ebook, {first_name ?? "there"}"
          body: "Hi"
        }

        const ebook2_url = "https://example.com/ebook-2"

        type stage = enum { open, won, lost }?

        extern fn team_availability(team: text, limit: number?) -> list<{rep: text, open_leads: number}>

        extern fn nothing() -> bool

        fn pick_variant() -> number = random_int(1, 4)

        fn commission(d: deal) -> number {
          let base = d.amount * 0.05
          for item in d.items {
            base = base + item.price
            if item.big {
              base = base * 2
            }
          }
          if base > 100 {
            base = 100
          } else {}
          return if d.amount > 50000 then base * 1.5 else base
        }
        """
    )
    assert canonical(source) == expected
    assert parse(expected) == parse(source)


def test_rules_have_a_canonical_layout():
    source = """
        when form_submitted then set lifecycle = lead
        rule "Qualify" when form_submitted if persona not in [student, competitor] then set lifecycle = mql
        rule "Block" when created then { set a = 1 }
        rule "" when deal created then { }
        when matching score > 90 then { set lifecycle = sql  add to engaged }
        when x then if a { set b = 1 } else { clear b }
        rule "say \\"hi\\" {{x}}" when removed from engaged then webhook post u with {a: 1} timeout 5 seconds
    """
    expected = dedent(
        """
        when form_submitted
        then set lifecycle = lead

        rule "Qualify"
        when form_submitted if persona not in [student, competitor]
        then set lifecycle = mql

        rule "Block"
        when created
        then {
          set a = 1
        }

        rule ""
        when deal created
        then {}

        when matching score > 90
        then {
          set lifecycle = sql
          add to engaged
        }

        when x
        then if a {
          set b = 1
        } else {
          clear b
        }

        rule "say \\"hi\\" {{x}}"
        when removed from engaged
        then webhook post u
          with {a: 1}
          timeout 5 seconds
        """
    )
    assert canonical(source) == expected
    assert parse(expected) == parse(source)


def test_an_entry_named_like_a_unit_after_a_number_gets_a_comma():
    """Without it, `= 5` and `days: number` on the next line would read as `5 days`."""
    source = "object o { a: number = 5, days: number, b: number = 1, c: text }\nemail e { a: 5, week: 1 }"
    expected = dedent(
        """
        object o {
          a: number = 5,
          days: number
          b: number = 1
          c: text
        }

        email e {
          a: 5,
          week: 1
        }
        """
    )
    assert canonical(source) == expected
    assert parse(expected) == parse(source)


def test_a_rule_with_several_actions_prints_a_block_even_when_not_marked_as_one():
    rule = ast.Rule(None, ast.EventTrigger("x"), None, (ast.ClearAction(("a",)), ast.ClearAction(("b",))))
    assert format_program(ast.Program((rule,))) == "when x\nthen {\n  clear a\n  clear b\n}\n"


def test_an_empty_program_prints_as_nothing():
    assert format_program(ast.Program(())) == ""
    assert parse("") == ast.Program(())


# ---- a realistic script ------------------------------------------------------------------
# LANGUAGE.md section 1, every declaration of section 4 and every action of
# section 6 (workflows and bots are not in the grammar yet), plus the forms
# around them: comments, semicolons, commas, odd spacing.
SAMPLE = """
object contact {
  email: email
  first_name: text
  lifecycle: enum { subscriber, lead, mql, sql, opportunity, customer } = subscriber
  persona: enum { student, competitor, partner, buyer, other }
  score: number = 0
  last_activity: datetime
}

event form_submitted { form: text }
list engaged "Engaged leads"

when form_submitted then set lifecycle = lead

rule "Qualify marketing leads"
when form_submitted if persona not in [student, competitor, partner]
then set lifecycle = mql

rule "MQL to SQL"
when matching lifecycle == mql and score > 90 and last_activity > now() - 6 weeks
then {
  set lifecycle = sql
  add to engaged
  notify "sales" "New SQL: {first_name ?? email}"
}

object deal {                      # contact is built in: id, email, created_at, updated_at
  name: text                       # and whatever the script adds to it
  amount: number = 0
  stage: enum { open, won, lost } = open
  contact: contact reverse deals   # association: deal.contact and contact.deals
}
event demo_requested { form: text, page: url? }       # about a contact by default
event ticket_opened on ticket { channel: text }
list trash "Poubelle"                                  # static list, display name
secret ENRICH_KEY                                      # value from the host or LEADFLOW_SECRET_ENRICH_KEY
email followup_1 {
  subject: "Your ebook, {first_name ?? "there"}"
  body: "Hi {first_name ?? "there"}, here is part 2: {const.ebook2_url}"
}
const ebook2_url = "https://example.com/ebook-2"
extern fn team_availability(team: text) -> list<{rep: text, open_leads: number}>
fn pick_variant() -> number = random_int(1, 4)
fn commission(d: deal) -> number {
  let base = d.amount * 0.05
  return if d.amount > 50000 then base * 1.5 else base
}
type stage = enum { open, won, lost }

rule "Every action"
when form_submitted where event.form == "demo" if score >= 10 and email is known
then {
  set lifecycle = sql                 clear email
  increment score by 10               decrement score by 5
  add to engaged                      remove from engaged
  send email followup_1
  send email followup_1 to contact.email;
  notify "sales" "New lead {email}"   # internal notification, host-bound
  create deal { name: "New deal for {email}", amount: 0 }
  create deal { name: "Renewal", amount: amount ?? 0, } as d
  let domain = split(email, "@")[1]
  do log_to_crm(email)                # call a host function for its effect
  enroll in nurturing                 unenroll from nurturing
  webhook post "https://api.example.com/enrich"
    with {email: email} headers {"X-Source": "leadflow"} auth bearer ENRICH_KEY sign with ENRICH_KEY
    timeout 10 seconds as info: {company: text?, employees: number?}
  if score > 100 { set lifecycle = customer }
  else if stage(score) == "warm" { notify "sales" "Warm: {email}" }
  else { increment score }
}

when created then set score = match persona { student, other => 0, buyer => 50, else => 10 }
when deal created then set deal.name = "Deal {deal.id}: {{draft}}"
when lifecycle changed from lead to mql then set last_activity = now()
when deal.stage changed to won then notify "finance" "Won {deal.name} ({deal.amount} EUR)"
when added to engaged then enroll in nurturing
when removed from engaged then unenroll from nurturing
when matching last_activity < 2026-12-10T09:00Z - 2 years and 09:30 > time_of(now()) then clear email
"""


def test_the_sample_round_trips():
    program = parse(SAMPLE)
    assert len(program.decls) == 25
    assert parse(format_program(program)) == program


def test_formatting_is_idempotent():
    once = format_program(parse(SAMPLE))
    assert format_program(parse(once)) == once


def test_the_sample_in_canonical_form():
    text = format_program(parse(SAMPLE))
    assert (
        dedent(
            """
        rule "MQL to SQL"
        when matching lifecycle == mql and score > 90 and last_activity > now() - 6 weeks
        then {
          set lifecycle = sql
          add to engaged
          notify "sales" "New SQL: {first_name ?? email}"
        }
        """
        )
        in text
    )
    assert 'when deal created\nthen set deal.name = "Deal {deal.id}: {{draft}}"\n' in text
    assert "when matching last_activity < 2026-12-10T09:00Z - 2 years and 09:30 > time_of(now())\n" in text
