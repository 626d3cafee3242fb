"""The formatter: the printer's canonical layout with every comment kept in
its declaration, next to the node it was written by.

Layout cases are pinned exactly; Hypothesis then checks, on generated
programs and on text derived from the grammar with comments sprinkled in,
that formatting keeps the AST, keeps every comment in its declaration, and
changes nothing the second time.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_parser_properties import FAST, BoundedLarkStrategy, exprs, programs

import leadflow.examples
from leadflow.errors import ScriptError
from leadflow.syntax import ast, formatter
from leadflow.syntax.formatter import FormatError, format_source
from leadflow.syntax.parser import Layout, parse, parse_with_comments
from leadflow.syntax.printer import format_expr, format_program
from leadflow.syntax.wrap import WIDTH

EXAMPLES = sorted(Path(leadflow.examples.__file__).parent.glob("*/*.flow"))


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def owners(program: ast.Program, layout: Layout) -> Counter:
    """Each comment's text with the declaration it belongs to: the one it is in,
    or the last one ending on its line, or else the next one; "end" after the last."""
    spans = [((d.span.line, d.span.column), (d.span.end_line, d.span.end_column)) for d in program.decls]
    found: Counter = Counter()
    for comment in layout.comments:
        at = comment.start
        inside = [i for i, (start, end) in enumerate(spans) if start < at < end]
        ending_here = [i for i, (_, end) in enumerate(spans) if end <= at and end[0] == at[0]]
        following = [i for i, (start, _) in enumerate(spans) if start > at]
        owner = (inside or ending_here[-1:] or following or ["end"])[0]
        found[owner, comment.text] += 1
    return found


def check_formatting(source: str) -> str:
    """Format `source` and check the formatter's promises; return the result."""
    program, layout = parse_with_comments(source)
    once = format_source(source)
    again, again_layout = parse_with_comments(once)
    assert again == program, once
    assert owners(again, again_layout) == owners(program, layout), once
    assert format_source(once) == once, once
    return once


# ---- layout of comments ---------------------------------------------------------------
def test_comments_between_declarations_and_at_the_end_of_the_file():
    source = """\


        # Lifecycle rules.
        #   two lines of header


        # about contact
        object contact { first_name: text }
        list engaged  # the engaged ones
        const a = 1



        # trailing notes
        # more notes
    """
    assert check_formatting(dedent(source)) == dedent(
        """
        # Lifecycle rules.
        #   two lines of header

        # about contact
        object contact {
          first_name: text
        }

        list engaged  # the engaged ones

        const a = 1

        # trailing notes
        # more notes
        """
    )


def test_comments_in_declaration_bodies():
    source = """
        object contact {  # built in
          # the name
          first_name: text   # as typed
          score: number = 5,  # five

          # days!
          days: number
          # end of the object
        }
        event seen { url: url  # where
        }
        event e1 {} # no fields
        event e2 { # a field to come
        }
        email welcome {
          # the subject line
          subject: "Hi"
          body: "Hello" # short
        }
        fn f(x: number) -> number {
          let a = x  # a
          # before return
          return a # r
          # end of f
        }
    """
    assert check_formatting(dedent(source)) == dedent(
        """
        object contact {  # built in
          # the name
          first_name: text  # as typed
          score: number = 5,  # five

          # days!
          days: number
          # end of the object
        }

        event seen {
          url: url  # where
        }

        event e1  # no fields

        # a field to come
        event e2

        email welcome {
          # the subject line
          subject: "Hi"
          body: "Hello"  # short
        }

        fn f(x: number) -> number {
          let a = x  # a
          # before return
          return a  # r
          # end of f
        }
        """
    )


NURTURING = """\
workflow nurturing {
  enroll when ebook_downloaded where event.ebook == "top-10-topics"
  reenroll never                    # or: reenroll after 30 days | reenroll when TRIGGER
  goal lifecycle in [sql, customer] # leave as soon as true, checked before every step
  suppress trash                    # members of the list are never enrolled
  window weekdays 09:00-18:00 timezone "Europe/Paris"

  send email followup_1
  wait 5 days
  send email ebook_2_offer
  wait 5 days
  if happened(ebook_downloaded where event.ebook == "build-your-own", since: enrolled_at) {
    add to engaged
  } else {
    wait 2 days
    send email blog_digest
    add to nurture_blog             # every branch ends in a list: no contact is lost
  }
}

workflow cleanup {                  # the "Nettoyage" workflow
  enroll when every day at 02:00 where last_activity < now() - 2 years
  add to trash
  clear email
}
"""


def test_the_workflows_of_the_language_design_keep_their_comments():
    assert check_formatting(NURTURING) == dedent(
        """
        workflow nurturing {
          enroll when ebook_downloaded where event.ebook == "top-10-topics"
          reenroll never  # or: reenroll after 30 days | reenroll when TRIGGER
          goal lifecycle in [sql, customer]  # leave as soon as true, checked before every step
          suppress trash  # members of the list are never enrolled
          window weekdays 09:00-18:00 timezone "Europe/Paris"

          send email followup_1
          wait 5 days
          send email ebook_2_offer
          wait 5 days
          if happened(ebook_downloaded where event.ebook == "build-your-own", since: enrolled_at) {
            add to engaged
          } else {
            wait 2 days
            send email blog_digest
            add to nurture_blog  # every branch ends in a list: no contact is lost
          }
        }

        workflow cleanup {  # the "Nettoyage" workflow
          enroll when every day at 02:00 where last_activity < now() - 2 years

          add to trash
          clear email
        }
        """
    )


def test_comments_in_blocks_stay_in_their_block():
    source = """
        workflow w {
          enroll when created
          send email a
          # a clause written among the steps keeps its comment
          goal score > 10
          if score > 5 {  # high
            add to hot
            # end of then
          }  # closes then
          else {
            # nothing yet
          }
          branch on persona {
            # buyers first
            buyer { stop }  # stop here
            # the others
            else {  # everyone else
              wait 1 day
            }
          }
          split random {
            50% { send email a } # half
            50% {
              # empty for now
            }
          }
          wait for replied up to 3 days else { # no reply
            stop
          }
        }
    """
    assert check_formatting(dedent(source)) == dedent(
        """
        workflow w {
          enroll when created
          # a clause written among the steps keeps its comment
          goal score > 10

          send email a
          if score > 5 {  # high
            add to hot
            # end of then
            # closes then
          } else {
            # nothing yet
          }
          branch on persona {
            # buyers first
            buyer {
              stop
            }  # stop here
            # the others
            else {  # everyone else
              wait 1 day
            }
          }
          split random {
            50% {
              send email a
            }  # half
            50% {
              # empty for now
            }
          }
          wait for replied up to 3 days else {  # no reply
            stop
          }
        }
        """
    )


def test_comments_in_rules_and_webhook_options():
    source = """
        rule "Ask" # the rule's own line
        when created
        then webhook post "https://x" # after the url
          with {a: 1}  # body
          # before the timeout
          timeout 10 seconds # t

        when a then { set b = 1 }  # one-liner
    """
    assert check_formatting(dedent(source)) == dedent(
        """
        # the rule's own line
        rule "Ask"
        when created
        then webhook post "https://x"
          # after the url
          with {a: 1}  # body
          # before the timeout
          timeout 10 seconds  # t

        when a
        then {
          set b = 1
        }  # one-liner
        """
    )


def test_a_comment_inside_a_node_printed_on_one_line_moves_above_it():
    source = """
        rule "Segment"
        when enriched
        then {
          set segment = match employees {
            0 => unknown  # nobody
            else => small
          }  # segment
          set note = "{company # in an interpolation
          }"
        }
    """
    assert check_formatting(dedent(source)) == dedent(
        """
        rule "Segment"
        when enriched
        then {
          # nobody
          set segment = match employees { 0 => unknown, else => small }  # segment
          # in an interpolation
          set note = "{company}"
        }
        """
    )


@pytest.mark.parametrize(
    "source, expected",
    [
        ("", ""),
        ("\n\n", ""),
        ("# only a comment", "# only a comment\n"),
        ("# one\n\n\n# two\n", "# one\n\n# two\n"),
        ("list a   # spaces and tab after \t\r\n", "list a  # spaces and tab after\n"),
        ("list a\r\n# windows\r\nlist b\r\n", "list a\n\n# windows\nlist b\n"),
    ],
)
def test_small_files(source, expected):
    assert check_formatting(source) == expected


def test_a_syntax_error_is_a_script_error():
    with pytest.raises(ScriptError):
        format_source("when x then set = 1 # broken\n")


def test_a_comment_the_printer_drops_stops_formatting(monkeypatch):
    """The safety net: should a comment find no place, nothing is written."""
    monkeypatch.setattr(formatter.CommentPrinter, "anchored", lambda self, node, lines, part=None: lines)
    with pytest.raises(FormatError, match="comment"):
        format_source("# about a\nlist a\n")


# ---- the bundled examples ---------------------------------------------------------------
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_examples_format_keeping_every_comment(path):
    source = path.read_text("utf-8")
    formatted = check_formatting(source)
    assert parse(formatted) == parse(source)
    assert [c.text for c in parse_with_comments(formatted)[1].comments] == [
        c.text for c in parse_with_comments(source)[1].comments
    ]


# ---- properties --------------------------------------------------------------------------
comment_texts = st.text(st.characters(exclude_characters="\n", exclude_categories=("Cs",)), max_size=8).map(
    lambda text: "#" + text
)


@st.composite
def with_comments(draw, sources: st.SearchStrategy) -> str:
    """A source with comments added at random line ends and on lines of their own
    (indented at random), and a few blank lines."""
    lines = draw(sources).split("\n")
    for _ in range(draw(st.integers(0, 8))):
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["end", "own", "blank"]))
        if kind == "end":
            lines[i] += " " * draw(st.integers(0, 3)) + draw(comment_texts)
        elif kind == "own":
            lines.insert(i, " " * draw(st.integers(0, 6)) + draw(comment_texts))
        else:
            lines.insert(i, "")
    return "\n".join(lines)


def check_commented(source: str) -> None:
    try:
        check_formatting(source)
    except ScriptError:  # grammar text the parser rejects, or a comment cutting a string
        assume(False)


@settings(FAST, max_examples=100)
@given(with_comments(programs.map(format_program)))
def test_formatting_generated_programs_with_comments(source):
    check_commented(source)


@settings(FAST, max_examples=60)
@given(with_comments(BoundedLarkStrategy("rule_decl")))
def test_formatting_rules_from_the_grammar_with_comments(source):
    # The grammar strategy puts `# a comment` between any two tokens too.
    check_commented(source)


@settings(FAST, max_examples=60)
@given(with_comments(BoundedLarkStrategy("workflow_decl")))
def test_formatting_workflows_from_the_grammar_with_comments(source):
    check_commented(source)


@settings(FAST, max_examples=40)
@given(with_comments(BoundedLarkStrategy("start")))
def test_formatting_scripts_from_the_grammar_with_comments(source):
    check_commented(source)


# ---- long expressions, wrapped at `and`/`or` -----------------------------------------------
long_names = st.from_regex(r"p_[a-z_]{6,24}", fullmatch=True)
comparisons = st.builds(
    lambda name, op, value: f"{name} {op} {value}",
    long_names,
    st.sampled_from(["==", "!=", "<", ">=", "in"]),
    st.sampled_from(["lead", "42", '"and or"', "now() - 6 weeks", "[a, b]", "null"]),
)


@st.composite
def conditions(draw, operands: st.SearchStrategy, depth: int = 2) -> str:
    """Operands joined by `and`/`or`, some of them parenthesized groups of the same kind."""
    parts = draw(
        st.lists(
            operands if depth == 0 else operands | conditions(operands, depth - 1).map("({})".format),
            min_size=2,
            max_size=6,
        )
    )
    text = parts[0]
    for part in parts[1:]:
        text += f" {draw(st.sampled_from(['and', 'or']))} {part}"
    return text


CONTEXTS = [
    "when e if {} then add to l\n",
    "const c = {}\n",
    "when e then {{\n  if {} {{\n    set x = 1  # one\n  }}\n}}\n",
    "workflow w {{\n  goal {}\n  wait 1 day\n}}\n",
    "object contact {{\n  x: bool = {}  # a default\n}}\n",
]


def check_long(context: str, condition: str) -> str:
    source = context.format(condition)
    try:
        program = parse(source)
    except ScriptError:
        assume(False)
    once = format_source(source)
    assert parse(once) == program, once
    assert format_source(once) == once, once
    return once


@settings(FAST, max_examples=150)
@given(st.sampled_from(CONTEXTS), conditions(comparisons))
def test_long_conditions_wrap_within_the_width(context, condition):
    once = check_long(context, condition)
    code = [line.split("  #")[0] for line in once.splitlines()]
    assert max(map(len, code)) <= WIDTH, once  # every operand is short enough to fit
    if len(condition) > WIDTH:
        assert once.count("\n") > context.format("x").count("\n"), once


@settings(FAST, max_examples=100)
@given(st.sampled_from(CONTEXTS), conditions(exprs(2).map(format_expr) | comparisons, depth=1))
def test_any_long_expression_formats_to_the_same_ast_and_stays_formatted(context, condition):
    check_long(context, condition)


def test_a_readable_multi_line_condition_stays_readable():
    source = dedent("""
        when form_submitted
          if lifecycle == lead
             and score > 50
             and last_activity > now() - 6 weeks
             and (country == "FR" or country == "DE" or country == "NL")
             and event.form != "newsletter and more"
        then add to hot  # mark
        """)
    assert format_source(source) == dedent("""
        when form_submitted if lifecycle == lead
            and score > 50
            and last_activity > now() - 6 weeks
            and (country == "FR" or country == "DE" or country == "NL")
            and event.form != "newsletter and more"
        then add to hot  # mark
        """)
    short = "when form_submitted if lifecycle == lead and score > 50\nthen add to hot\n"
    assert format_source(short) == short  # within the width: one line, as before


def test_or_is_cut_before_and_and_a_long_first_operand_goes_one_step_further():
    first = " and ".join(f"first_{i} == {i}" for i in range(8))
    second = " and ".join(f"second_{i} == {i}" for i in range(3))
    lines = format_source(f"const c = {first} or {second}\n").splitlines()
    assert lines[0] == "const c = first_0 == 0"
    assert lines[1:8] == [f"        and first_{i} == {i}" for i in range(1, 8)]
    assert lines[8] == f"    or {second}"
