"""The scanner that finds strings and comments in text that may not parse
(syntax/scan.py): a table of cases, and properties that hold it to the
grammar's own STRING and COMMENT terminals."""

from __future__ import annotations

import re
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadflow.syntax.scan import Region, Scan, scan

GRAMMAR = resources.files("leadflow.grammar").joinpath("leadflow.lark").read_text("utf-8")
STRING = re.search(r"^STRING: /(.*)/$", GRAMMAR, re.M)[1]
COMMENT = re.search(r"^COMMENT: /(.*)/$", GRAMMAR, re.M)[1]


@pytest.mark.parametrize(
    "text, code, end",
    [
        ("", "", Region.CODE),
        ("f(1, [2])", "f(1, [2])", Region.CODE),
        ('f("a ( b")', "f()", Region.CODE),
        ('"open (', "", Region.TEXT),
        ('"esc \\" (', "", Region.TEXT),
        ('"esc \\\\" (', " (", Region.CODE),
        ('"ends in a backslash \\', "", Region.TEXT),
        ("1 # ) (", "1 ", Region.COMMENT),
        ('f( # it\'s "x"\n)', "f( \n)", Region.CODE),
        ('"Hi {', "", Region.INTERPOLATION),
        ('"Hi {first_name', "", Region.INTERPOLATION),
        ('"Hi {first_name}', "", Region.TEXT),
        ('"Hi {first_name}" + (', " + (", Region.CODE),
        ('"a literal {{ brace" (', " (", Region.CODE),
        ('"a literal {{', "", Region.TEXT),
        ('"{x ?? "(" } (', "", Region.TEXT),  # the `"` after `{x ?? ` opens a string inside the interpolation
        ('"{x ?? "("}" + (', " + (", Region.CODE),
        ('"{x ?? "#"}" + (', " + (", Region.CODE),
        ('"{x ?? "}"}" + (', " + (", Region.CODE),
        ('"{x ?? "\\""}" + (', " + (", Region.CODE),
        ('"{x ?? "not closed', "", Region.TEXT),
        ('"# not a comment" (', " (", Region.CODE),
        ('"{x # nor this}" (', " (", Region.CODE),
    ],
)
def test_code_and_where_the_text_ends(text, code, end):
    assert scan(text) == Scan(code, end)


def test_a_string_is_open_in_its_text_and_in_its_interpolations():
    assert scan('"a').in_string and scan('"a {b').in_string and scan('"a {b ?? "c').in_string
    assert not scan('"a"').in_string and not scan('# "a').in_string


@settings(max_examples=200, deadline=None)
@given(st.from_regex(STRING, fullmatch=True), st.text("abc (){}[]\n\t", max_size=5))
def test_a_string_of_the_grammar_is_no_code_and_every_prefix_of_it_is_inside_it(string, after):
    assert scan(string + after) == Scan(after, Region.CODE)
    assert all(scan(string[:n]).in_string for n in range(1, len(string)))


@given(st.from_regex(COMMENT, fullmatch=True), st.text('abc (){}[]"', max_size=5))
def test_a_comment_of_the_grammar_runs_to_the_end_of_its_line(comment, after):
    assert scan(comment + after).end is Region.COMMENT
    assert scan(comment + "\n(").code == "\n("
