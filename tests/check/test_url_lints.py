"""W405: text interpolated unencoded into the query of a webhook's URL."""

from __future__ import annotations

import leadflow

HEAD = """
object contact { company: text, score: number = 0, stage: enum { lead, customer } = lead, site: url }
event go {}
"""


def warnings(url: str) -> list[tuple[int, int, str]]:
    source = (
        HEAD
        + f"""rule "r" when go then {{
  let q = url_query({{company: company ?? "", n: score}})
  let name = company ?? ""
  webhook get "{url}"
}}
"""
    )
    return [(d.span.line, d.span.column, d.code) for d in leadflow.check(source, "t.flow").warnings]


def test_text_after_the_question_mark_is_reported():
    found = warnings('https://api.example.com/find?email={email ?? ""}&c={company ?? ""}&s={site ?? ""}')
    assert [code for *_, code in found] == ["W405", "W405", "W405"]
    assert [code for *_, code in warnings("https://x.example/?{q}&name={name}")] == ["W405"]


def test_encoded_text_numbers_enums_and_the_path_are_not():
    assert (
        warnings(
            'https://api.example.com/{company ?? ""}/find?email={url_encode(email ?? "")}&n={score}&stage={stage}&{q}'
        )
        == []
    )
    assert warnings('https://api.example.com/find/{email ?? ""}') == []


def test_the_warning_says_what_to_do():
    source = HEAD + 'rule "r" when go then webhook get "https://x.example/?q={company ?? ""}"\n'
    [warning] = leadflow.check(source, "t.flow").warnings
    assert warning.message == "text in a URL's query is not encoded"
    assert "url_encode" in warning.notes[0] and "url_query" in warning.notes[0]
