"""Golden tests for diagnostics, in the manner of starlark-go's testdata.

Each tests/golden/*.flow file holds cases separated by lines that are exactly
`---`. Every case is parsed and checked as a file of its own (`case.flow`).
A line ending in a comment `### "regex"` (one or more quoted regexes) expects,
for each regex, one diagnostic on that line whose text matches it
(`re.search`). The text is `CODE: message`, followed by ` | label` and
` | note: ...` when the diagnostic has them, so a regex can also check a
"did you mean" hint: `### "E201: .leed. is not a member.*did you mean .lead."`.
Warnings take part like errors (`### "W201: ..."`). Every diagnostic must be
expected and every expectation met, so a case without `###` checks cleanly.

Inside the quotes, `\\"` stands for a quote; every other character is part of
the regex as written. The `###` comment is cut from the line before the case
is parsed, so a regex never changes what is parsed (an unclosed string would
otherwise run into it).
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest

import leadflow
from leadflow.diagnostics import Diagnostic, render

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
MARK = "###"
QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


@attrs.frozen
class Case:
    file: str
    index: int
    first_line: int  # where the case starts in its golden file
    source: str  # the case's text, `###` comments cut off
    expected: dict[int, list[str]]  # case line -> regexes


def split_cases(text: str, file: str = "<golden>") -> list[Case]:
    cases: list[Case] = []
    lines: list[str] = []
    expected: dict[int, list[str]] = {}
    first = 1

    def close(next_first: int) -> None:
        nonlocal lines, expected, first
        cases.append(Case(file, len(cases), first, "\n".join(lines) + "\n", expected))
        lines, expected, first = [], {}, next_first

    for number, line in enumerate(text.splitlines(), 1):
        if line == "---":
            close(number + 1)
            continue
        code, mark, comment = line.partition(MARK)
        if mark:
            regexes = [m.replace('\\"', '"') for m in QUOTED.findall(comment)]
            if not regexes:
                raise ValueError(f"{file}:{number}: `###` without a quoted regex")
            expected[len(lines) + 1] = regexes
            line = code.rstrip()
        lines.append(line)
    close(0)
    return cases


def diagnostics_of(source: str) -> list[Diagnostic]:
    try:
        checked = leadflow.check(source, "case.flow")
    except leadflow.ScriptError as error:
        return list(error.diagnostics)
    return list(checked.warnings)


def subject(d: Diagnostic) -> str:
    """What a golden regex is matched against."""
    text = f"{d.code}: {d.message}"
    if d.label:
        text += f" | {d.label}"
    return text + "".join(f" | note: {n}" for n in d.notes)


def mismatches(case: Case, diagnostics: list[Diagnostic]) -> list[str]:
    """Every unexpected diagnostic and every unmet expectation, in words."""
    open_ = {line: list(regexes) for line, regexes in case.expected.items()}
    problems = []
    for d in diagnostics:
        pending = open_.get(d.span.line, [])
        match = next((r for r in pending if re.search(r, subject(d))), None)
        if match is None:
            problems.append(f"unexpected diagnostic on line {d.span.line}: {subject(d)}")
        else:
            pending.remove(match)
    for line, regexes in sorted(open_.items()):
        problems += [f"line {line}: no diagnostic matched {r!r}" for r in regexes]
    return problems


def _all_cases() -> list[Case]:
    return [case for path in sorted(GOLDEN.glob("*.flow")) for case in split_cases(path.read_text("utf-8"), path.name)]


CASES = _all_cases()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.file}-{c.index}" for c in CASES])
def test_golden(case: Case) -> None:
    diagnostics = diagnostics_of(case.source)
    problems = mismatches(case, diagnostics)
    if problems:
        rendered = "\n\n".join(render(d, case.source) for d in diagnostics) or "(no diagnostics)"
        pytest.fail(
            f"{case.file}: case {case.index} starting at line {case.first_line} "
            f"(lines below count from the case's first line):\n  " + "\n  ".join(problems) + "\n\n" + rendered,
            pytrace=False,
        )


# ---- the harness itself ----------------------------------------------------------
def test_golden_files_exist() -> None:
    assert {c.file for c in CASES} >= {
        "syntax.flow",
        "names.flow",
        "enums.flow",
        "nulls.flow",
        "types.flow",
        "decls.flow",
        "valid.flow",
    }


def test_split_cases_keeps_line_numbers_and_cuts_marks() -> None:
    text = 'list a\n---\nlist b\nwhen x then add to c  ### "E210" "E211: \\"c\\""\n'
    first, second = split_cases(text)
    assert (first.first_line, first.expected) == (1, {})
    assert second.first_line == 3
    assert second.source == "list b\nwhen x then add to c\n"
    assert second.expected == {2: ["E210", 'E211: "c"']}


def test_mismatches_reports_unexpected_and_unmet() -> None:
    (case,) = split_cases('list engaged\nwhen created then add to engagd  ### "E212"\n')
    assert mismatches(case, diagnostics_of(case.source)) == [
        "unexpected diagnostic on line 2: E211: unknown list `engagd` | did you mean `engaged`?"
        " | note: declare it: `list engagd`",
        "line 2: no diagnostic matched 'E212'",
    ]


def test_one_regex_meets_one_diagnostic() -> None:
    source = 'list a\nwhen created then {\n  add to b\n  add to b  ### "E211" "E211"\n}\n'
    (case,) = split_cases(source)
    assert mismatches(case, diagnostics_of(case.source)) == [
        "unexpected diagnostic on line 3: E211: unknown list `b` | note: declare it: `list b`",
        "line 4: no diagnostic matched 'E211'",
    ]
