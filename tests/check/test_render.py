"""How diagnostics are shown: the text layout of LANGUAGE.md section 10, JSON,
every error of a file at once, and carets under the offending part."""

from __future__ import annotations

import json
import textwrap

import pytest

import leadflow
from leadflow.diagnostics import Diagnostic, render, to_json
from leadflow.syntax.span import Span

NURTURE = textwrap.dedent("""\
    object contact {
      email: email
      first_name: text
      lifecycle: enum { subscriber, lead, mql, sql, opportunity, customer } = subscriber
      score: number = 0
    }

    event form_submitted { form: text }
    list engaged "Engaged leads"

    # Leads from the demo form
    rule "Demo leads"
      when form_submitted where event.form == "demo"
      then set lifecycle = leed
    """)


def errors_of(source: str, file: str = "case.flow") -> list[Diagnostic]:
    with pytest.raises(leadflow.ScriptError) as caught:
        leadflow.check(source, file)
    return caught.value.diagnostics


def test_text_rendering_matches_the_design() -> None:
    (diagnostic,) = errors_of(NURTURE, "nurture.flow")
    # The design's sample header says 14:19, but its own caret sits under
    # column 24, where `leed` is: the column is the caret's.
    assert render(diagnostic, NURTURE) == textwrap.dedent("""\
        nurture.flow:14:24: error[E201]: `leed` is not a member of lifecycle's enum
           |
        14 |   then set lifecycle = leed
           |                        ^^^^ did you mean `lead`?
           = note: members are subscriber, lead, mql, sql, opportunity, customer""")


def test_script_error_renders_every_diagnostic_with_its_source() -> None:
    source = "list engaged\nwhen created then add to engagd\nwhen created then add to engagd\n"
    with pytest.raises(leadflow.ScriptError) as caught:
        leadflow.check(source, "lists.flow")
    text = caught.value.render({"lists.flow": source})
    assert text == textwrap.dedent("""\
        lists.flow:2:26: error[E211]: unknown list `engagd`
          |
        2 | when created then add to engagd
          |                          ^^^^^^ did you mean `engaged`?
          = note: declare it: `list engagd`

        lists.flow:3:26: error[E211]: unknown list `engagd`
          |
        3 | when created then add to engagd
          |                          ^^^^^^ did you mean `engaged`?
          = note: declare it: `list engagd`""")


def test_warning_rendering() -> None:
    source = 'object contact { score: number = 0 }\nwhen created if (score ?? 0) > 1 then notify "sales" "x"\n'
    (warning,) = leadflow.check(source, "w.flow").warnings
    assert render(warning, source) == textwrap.dedent("""\
        w.flow:2:18: warning[W201]: `score` is never null, so `??` has no effect
          |
        2 | when created if (score ?? 0) > 1 then notify "sales" "x"
          |                  ^^^^^^^^^^ drop `?? ...`""")


def test_syntax_error_rendering() -> None:
    source = 'event signup {}\nwhen signup if a = 1 then notify "sales" "x"\n'
    (diagnostic,) = errors_of(source)
    assert render(diagnostic, source).splitlines()[:4] == [
        "case.flow:2:18: error[E100]: unexpected `=`",
        "  |",
        '2 | when signup if a = 1 then notify "sales" "x"',
        "  |                  ^ compare with `==`; `=` only assigns",
    ]


def test_rendering_without_the_source_keeps_label_and_notes() -> None:
    diagnostic = Diagnostic(
        "E211", "unknown list `x`", Span.point("gone.flow", 3, 7), "did you mean `y`?", ("declare it",)
    )
    assert render(diagnostic, None) == textwrap.dedent("""\
        gone.flow:3:7: error[E211]: unknown list `x`
          = help: did you mean `y`?
          = note: declare it""")


def test_a_span_over_several_lines_underlines_to_the_end_of_its_first_line() -> None:
    diagnostic = Diagnostic("E204", "bad", Span("f.flow", 1, 5, 3, 2))
    assert render(diagnostic, "abc defg\nx\ny\n").splitlines()[-1] == "  |     ^^^^"


def test_json_output() -> None:
    (diagnostic,) = errors_of(NURTURE, "nurture.flow")
    (entry,) = json.loads(to_json([diagnostic]))
    assert {k: entry[k] for k in ("file", "line", "column", "code", "message")} == {
        "file": "nurture.flow",
        "line": 14,
        "column": 24,
        "code": "E201",
        "message": "`leed` is not a member of lifecycle's enum",
    }
    assert entry["severity"] == "error"
    assert (entry["end_line"], entry["end_column"]) == (14, 28)
    assert entry["label"] == "did you mean `lead`?"
    assert entry["notes"] == ["members are subscriber, lead, mql, sql, opportunity, customer"]


def test_every_error_of_a_file_is_reported_at_once_sorted_by_position() -> None:
    # The checker meets these in another order (defaults before rules, the
    # function last): the report is sorted by position all the same.
    source = textwrap.dedent("""\
        when created then add to engagd
        list engaged
        object contact { lifecycle: enum { subscriber, lead } = leed }
        fn double(x: number) -> number = x * "2"
        """)
    diagnostics = errors_of(source)
    assert [(d.span.line, d.code) for d in diagnostics] == [(1, "E211"), (3, "E201"), (4, "E207")]
    assert json.loads(to_json(diagnostics))[2]["line"] == 4


# ---- carets start under the offending part, not under the action's keyword --------
CARETS = [
    ('object contact { first_name: text }\nwhen created then set frist_name = "x"\n', "frist_name"),
    ("object contact { n: text }\nwhen created then increment n by 1\n", "n by"),
    ("object contact { n: number = 0 }\nwhen created then clear n\n", "n\n"),
    ("list engaged\nwhen created then remove from engagd\n", "engagd"),
    ('list engaged\nwhen added to engagd then notify "a" "b"\n', "engagd"),
    ('email welcome { subject: "a", body: "b" }\nwhen created then send email welcom\n', "welcom"),
    ('object deal { a: text }\nwhen created then create dael { a: "x" }\n', "dael"),
    ('object deal { a: text }\nwhen dael created then notify "a" "b"\n', "dael"),
    ('event signup {}\nwhen signu then notify "a" "b"\n', "signu"),
    ('object contact { score: number = 0 }\nwhen scor changed then notify "a" "b"\n', "scor"),
    ('secret KEY\nwhen created then webhook post "https://a.example" auth bearer KY\n', "KY"),
    ('secret KEY\nwhen created then webhook post "https://a.example" sign with KY\n', "KY"),
    ('secret KEY\nwhen created then webhook fetch "https://a.example"\n', "fetch"),
    ('event e { form: text }\nwhen e where event.from == "x" then notify "a" "b"\n', "from"),
    ("list engaged\nlist engaged\n", "engaged\n"),
    ("event e on tikcet {}\n", "tikcet"),
    ("when created then enroll in nurturing\n", "nurturing"),
]


@pytest.mark.parametrize(("source", "offender"), CARETS, ids=[o.strip() or "x" for _, o in CARETS])
def test_caret_starts_at_the_offending_name(source: str, offender: str) -> None:
    (diagnostic,) = errors_of(source)
    offset = source.rindex(offender)  # the last occurrence is the mistake in every case
    line = source.count("\n", 0, offset) + 1
    column = offset - source.rfind("\n", 0, offset)
    span = diagnostic.span
    assert (span.line, span.column, span.end_column - span.column) == (line, column, len(offender.split()[0]))
