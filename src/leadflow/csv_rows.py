"""The rows of a CSV import, each with the line it starts on, or why it cannot be read.

csv.DictReader takes a row of more cells than the header (the extra ones go
under the key None) or of fewer (the missing ones are None) as it takes any
other, so a shifted or cut row was imported into the wrong properties, or
half; and a cell past csv's field size limit raises `_csv.Error`, which ended
an import with nothing imported. Here such a row is an InputError in its
place, and reading goes on with the next line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from leadflow.errors import InputError

Row = dict[str, str]


def csv_rows(text: str) -> Iterator[tuple[int, Row | InputError]]:
    """(line, row) for each data row of `text`: the row as a dict by the header's names,
    or the error that rejects it. Blank lines are skipped, as csv.DictReader skips them;
    a header that cannot be read raises InputError."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    end = 0  # the last line of the row before
    while True:
        start = end + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # the reader goes on at the next line
            end = reader.line_num
            if header is None:
                raise InputError(f"line {start}: the header row cannot be read: {_reason(error)}") from None
            yield start, InputError(_reason(error))
            continue
        end = reader.line_num
        if not cells:
            continue
        if header is None:
            header = cells
        elif len(cells) != len(header):
            yield start, InputError(f"the row has {len(cells)} cell(s) where the header has {len(header)}")
        else:
            yield start, dict(zip(header, cells, strict=True))


def _reason(error: csv.Error) -> str:
    if "field larger than field limit" in str(error):
        return f"a cell is longer than {csv.field_size_limit():,} characters"
    return f"not valid CSV: {error}"
