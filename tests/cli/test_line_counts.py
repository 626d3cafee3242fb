"""LineCounts: the ordinal of each line among identical ones, the same whether the
counts are still in memory or have moved to SQLite."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from leadflow.line_counts import LineCounts


@given(st.lists(st.sampled_from("abcdefgh"), max_size=60), st.integers(min_value=1, max_value=6))
def test_counts_are_the_same_on_either_side_of_the_spill(digests, in_memory):
    expected, seen = [], {}
    for digest in digests:
        seen[digest] = seen.get(digest, 0) + 1
        expected.append(seen[digest])
    with LineCounts(in_memory=in_memory) as counts:
        assert [counts.count(d) for d in digests] == expected


def test_past_the_limit_the_counts_leave_memory():
    with LineCounts(in_memory=3) as counts:
        for digest in "abc":
            counts.count(digest)
        assert counts._counts is None  # in SQLite now
        assert [counts.count(d) for d in "abcd"] == [2, 2, 2, 1]
