"""The A/B/C/D welcome-email split (examples/ab_test): four variants at 25%
each, checked over 10,000 signups, reproducible with the engine's seed."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter

import pytest
from examples_support import START, emails, load, only_run, play, templates

from leadflow import Engine

N = 10_000
SEED = 20261123
VARIANTS = ("a", "b", "c", "d")


def signups(engine: Engine, n: int) -> None:
    """n new readers sign up, one a second (each an unknown email: a new contact)."""
    results = engine.emit_many(
        {
            "event": "newsletter_signup",
            "contact": f"reader{i:05d}@example.com",
            "at": (START + dt.timedelta(seconds=i)).isoformat(),
            "data": {"source": "footer"},
        }
        for i in range(n)
    )
    assert not [r for r in results if isinstance(r, Exception)]


def drawn(engine: Engine) -> list[str]:
    """Each reader's variant, in signup order."""
    return [r.props["variant"] for r in engine.store.records("contact") if r.props["email"].startswith("reader")]


@pytest.fixture(scope="module")
def ten_thousand(tmp_path_factory) -> Engine:
    engine = load("ab_test", tmp_path_factory.mktemp("ab"), seed=SEED)
    signups(engine, N)  # about 10 s of CPU: one event, one enrollment and one run per reader
    return engine


def test_each_variant_gets_a_quarter(ten_thousand):
    counts = Counter(drawn(ten_thousand))
    assert sum(counts.values()) == N and set(counts) == set(VARIANTS)
    # A chi-square goodness-of-fit test of the four counts against 2,500 each,
    # at p = 0.001: it checks the four shares jointly (a per-variant bound would
    # test four correlated hypotheses), and a fair split fails it one seed in a
    # thousand. With 3 degrees of freedom the survival function has a closed
    # form, so no statistics package is needed.
    expected = N / 4
    chi2 = sum((counts[v] - expected) ** 2 / expected for v in VARIANTS)
    p_value = math.erfc(math.sqrt(chi2 / 2)) + math.sqrt(2 * chi2 / math.pi) * math.exp(-chi2 / 2)
    assert p_value > 0.001, (counts, chi2, p_value)


def test_the_variant_and_its_email_agree(ten_thousand):
    assert templates(ten_thousand) == Counter({f"variant_{v}": n for v, n in Counter(drawn(ten_thousand)).items()})
    stats = ten_thousand.stats("email_variants")
    assert (stats["enrolled"], stats["completed"], stats["active"], stats["in_error"]) == (N, N, 0, 0)


def test_draws_are_reproducible_with_the_seed(ten_thousand, tmp_path):
    # A run's draw depends on (seed, run, step) only, so the first 500 readers
    # of a new engine with the same seed draw exactly as the first 500 above.
    first = drawn(ten_thousand)[:500]
    (tmp_path / "same").mkdir()
    (tmp_path / "other").mkdir()
    again = load("ab_test", tmp_path / "same", seed=SEED)
    signups(again, 500)
    assert drawn(again) == first
    other = load("ab_test", tmp_path / "other", seed=SEED + 1)
    signups(other, 500)
    # Independent draws agree a quarter of the time: 125 of 500, standard
    # deviation 9.7; within 4 standard deviations of that unless the seed is ignored.
    agree = sum(x == y for x, y in zip(drawn(other), first, strict=True))
    assert abs(agree - 125) < 4 * math.sqrt(500 * 0.25 * 0.75), agree


def test_the_example_events(tmp_path):
    engine = load("ab_test", tmp_path, seed=SEED)
    play(engine, "ab_test", START.replace(hour=23))
    sent = emails(engine)
    assert len(sent) == 8 and len({to for to, _ in sent}) == 8  # one welcome email each
    for to, template in sent:
        variant = engine.record(to).properties["variant"]
        assert template == f"variant_{variant}"
        _, log = only_run(engine, to, "email_variants")
        split = next(e for e in log if e.kind == "split")  # the draw is in the run log
        assert VARIANTS[split.detail["arm"] - 1] == variant and split.detail["share"] == 25
        assert 25 * (split.detail["arm"] - 1) <= split.detail["draw"] < 25 * split.detail["arm"]
