"""`leadflow import` of a CSV file with rows it cannot take: a row of more or fewer
cells than the header, a cell past csv's field size limit. Each is rejected with
the line it starts on and a reason; every other row is imported, once."""

from __future__ import annotations

import csv
import io
import re

from cli_support import LIFECYCLE, leadflow
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadflow.csv_rows import csv_rows
from leadflow.errors import InputError

SCRIPT = LIFECYCLE / "lifecycle.flow"


def rejected_rows(stderr: str) -> dict[int, str]:
    """`row N: rejected: reason` messages of `import`, by line number."""
    return {int(m[1]): m[2] for m in re.finditer(r"^row (\d+): rejected: (.*)$", stderr, re.MULTILINE)}


def contacts(db) -> dict[str, dict]:
    return {r["properties"]["email"]: r["properties"] for r in leadflow("export", "--db", db).json_lines()}


def test_ragged_rows_and_a_huge_cell_are_rejected_by_line_and_the_rest_imported(tmp_path):
    lines = ["email,first_name,score"] + [f"c{i}@example.com,N{i},{i}" for i in range(501)]
    lines[101] = "short@example.com,Short"  # line 102: a cell missing
    lines[301] = "long@example.com,Long,3,shifted"  # line 302: a cell too many
    lines[401] = "big@example.com," + "x" * 200_000 + ",1"  # line 402: past the field size limit
    path = tmp_path / "contacts.csv"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    db = tmp_path / "crm.db"

    result = leadflow("import", SCRIPT, path, "--db", db)
    assert result.code == 3, result.text
    rejected = rejected_rows(result.stderr)
    assert sorted(rejected) == [102, 302, 402]
    assert rejected[102] == "the row has 2 cell(s) where the header has 3"
    assert rejected[302] == "the row has 4 cell(s) where the header has 3"
    assert rejected[402] == "a cell is longer than 131,072 characters"
    assert "498 row(s) imported, 0 already imported, 3 rejected" in result.stdout

    imported = contacts(db)
    assert len(imported) == 498
    assert not {"short@example.com", "long@example.com", "big@example.com"} & set(imported)
    assert all(imported[f"c{i}@example.com"]["first_name"] == f"N{i}" for i in range(501) if i not in (100, 300, 400))

    again = leadflow("import", SCRIPT, path, "--db", db)
    assert sorted(rejected_rows(again.stderr)) == [102, 302, 402]
    assert "0 row(s) imported, 498 already imported, 3 rejected" in again.stdout


def test_a_row_is_numbered_by_the_line_it_starts_on(tmp_path):
    """A quoted cell may span lines, and blank lines are skipped: the numbers stay the file's."""
    path = tmp_path / "contacts.csv"
    path.write_text(
        'email,company\n\nada@example.com,"Analytical\nEngines"\nbob@example.com\n\ncarl@example.com,Carl Co\n', "utf-8"
    )
    result = leadflow("import", SCRIPT, path, "--db", tmp_path / "crm.db")
    assert result.code == 3
    assert rejected_rows(result.stderr) == {5: "the row has 1 cell(s) where the header has 2"}
    assert contacts(tmp_path / "crm.db")["ada@example.com"]["company"] == "Analytical\nEngines"


TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\r\x00"), max_size=8)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=st.lists(TEXT, min_size=1, max_size=4, unique=True),
    rows=st.lists(st.lists(TEXT, min_size=0, max_size=5), max_size=8),
)
def test_csv_rows_read_what_the_csv_module_wrote(header, rows):
    """Property: every row written with the header's width comes back as DictReader would
    give it, at the line it starts on; every other row is an InputError in its place."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    starts, line = [], 1 + buffer.getvalue().count("\n")
    for row in rows:
        before = buffer.getvalue().count("\n")
        writer.writerow(row)
        starts.append((line, row))
        line += buffer.getvalue().count("\n") - before
    read = list(csv_rows(buffer.getvalue()))
    expected = [(start, row) for start, row in starts if row]  # an empty row is a blank line: skipped
    assert [start for start, _ in read] == [start for start, _ in expected]
    for (_, got), (_, row) in zip(read, expected, strict=True):
        if len(row) == len(header):
            assert got == dict(zip(header, row, strict=True))
        else:
            assert isinstance(got, InputError) and "cell(s) where the header has" in got.message
