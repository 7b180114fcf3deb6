"""The Wilson score interval, against scipy and textbook values."""

import polars as pl
import pytest
from scipy.stats import binomtest

from lib import stats


def test_wilson_matches_scipy_and_the_textbook_value():
    assert stats.wilson(1, 10) == pytest.approx((0.0179, 0.4042), abs=5e-5)
    assert stats.wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    for k, n in ((0, 12), (3, 40), (40, 40), (17, 1100)):
        ci = binomtest(k, n).proportion_ci(method="wilson")
        assert stats.wilson(k, n) == pytest.approx((ci.low, ci.high), abs=1e-12)
    assert stats.wilson(0, 0) is None


def test_wilson_per_row_gives_the_same_bounds_and_none_without_trials():
    pairs = ((5, 10), (0, 10), (3, 40), (17, 1100))
    frame = pl.DataFrame({"k": [k for k, _ in pairs] + [0], "n": [n for _, n in pairs] + [0]})
    low, high = stats.wilson_exprs("k", "n")
    rows = frame.select(low.alias("low"), high.alias("high")).rows()
    for row, (k, n) in zip(rows, pairs, strict=False):
        ci = binomtest(k, n).proportion_ci(method="wilson")
        assert row == pytest.approx((ci.low, ci.high), abs=1e-12)
    assert rows[-1] == (None, None)


def test_wilson_ends_are_exactly_zero_and_one():
    """No success of 30 leads: low end 0, not the formula's 1.7e-18 (which read as "clearly
    above" a 0% average); all 77 converting: high end 1, not 0.9999999999999999."""
    assert stats.wilson(0, 30)[0] == 0.0 and stats.wilson(30, 30)[1] == 1.0
    assert stats.wilson(77, 77)[1] == 1.0
    frame = pl.DataFrame({"k": [0, 30, 77], "n": [30, 30, 77]})
    low, high = stats.wilson_exprs("k", "n")
    got = frame.select(low.alias("low"), high.alias("high"))
    assert got["low"][0] == 0.0 and got["high"].to_list()[1:] == [1.0, 1.0]
