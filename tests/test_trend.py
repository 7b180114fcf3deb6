"""Growth intervals (lib.trend): how often they leave out the true growth."""

import math

import numpy as np
import polars as pl
import pytest
from scipy.stats import norm
from scipy.stats import t as t_dist

from lib import trend


def _windows(orders: float, sigma: float, runs: int, seed: int) -> pl.DataFrame:
    """`runs` pairs of windows with no change between them: in each, a Poisson number of orders
    (mean `orders`) of lognormal values (log sd `sigma`); each window's revenue and sum of
    squared order values."""
    rng = np.random.default_rng(seed)
    columns = {}
    for name in ("current", "previous"):
        counts = rng.poisson(orders, runs)
        values = rng.lognormal(0.0, sigma, (runs, counts.max()))
        values[np.arange(counts.max())[None, :] >= counts[:, None]] = 0.0
        columns[name] = values.sum(axis=1)
        columns[f"{name}_sq"] = (values * values).sum(axis=1)
    return pl.DataFrame(columns).filter((pl.col("current") > 0) & (pl.col("previous") > 0))


def test_a_growth_interval_from_few_skewed_orders_misses_no_more_than_it_says():
    """20 orders a window of values as skewed as lognormal sigma 1.5, no change in truth: the
    95% interval should leave out zero growth 2.5% of the time on each side. Read with 1.96
    standard errors it did so 6.4% of the time (the spread is estimated from a few large
    orders); with Student's t at the windows' effective orders, under 3.5% (3.2% simulated)."""
    frame = _windows(20, 1.5, 20_000, seed=3)
    low, high, _ = trend.interval_exprs("current", "current_sq", "previous", "previous_sq")
    missed = frame.select((low > 0).mean().alias("above"), (high < 0).mean().alias("below"))
    above, below = missed.row(0)
    assert 0.02 < above < 0.035 and 0.02 < below < 0.035
    # With many orders the t interval is the normal one: 400 orders a window, sigma 0.5.
    many = _windows(400, 0.5, 4_000, seed=4)
    share = (many["current_sq"] / many["current"] ** 2) + (
        many["previous_sq"] / many["previous"] ** 2
    )
    got = many.select(trend.interval_exprs("current", "current_sq", "previous", "previous_sq")[1])
    normal = np.exp(np.log(many["current"] / many["previous"]) + 1.959964 * np.sqrt(share)) - 1
    assert np.allclose(got.to_series().to_numpy(), normal.to_numpy(), rtol=0.0, atol=2e-3)


def _interval(centre: float, se: float, df: float) -> tuple[float, float]:
    """The growth interval lib.trend builds around a log ratio `centre`: +- t se, t Student's
    97.5% point at `df` degrees of freedom."""
    half = t_dist.ppf(0.975, df) * se
    return math.exp(centre - half) - 1, math.exp(centre + half) - 1


def test_clearance_reads_t_at_the_intervals_degrees_of_freedom_as_a_normal_quantile():
    """A log ratio 4 standard errors above the flat band, the interval's width set at 3 degrees
    of freedom: t = 4 leaves a tail of 0.014 (scipy), the normal quantile 2.197 of the same
    tail. Read as a normal interval (the half-width over 1.96), the same ends give 2.46, past
    the 2.241 that Holm's first step needs between two rows: so growth from a few effective
    orders would have been named beyond chance that Student's t does not support."""
    low, high = _interval(math.log(1.02) + 4 * 0.1, 0.1, 3.0)
    exact = norm.isf(t_dist.sf(4.0, 3.0))
    assert exact == pytest.approx(2.197, abs=1e-3)
    assert trend.clearance_of(low, high, df=3.0) == pytest.approx(exact, rel=1e-9)
    assert trend.clearance_of(low, high) == pytest.approx(
        4 * norm.ppf(0.975) / t_dist.ppf(0.975, 3)
    )
    holm_first = norm.isf(0.05 / 2 / 2)  # two rows, two-sided
    assert exact < holm_first < trend.clearance_of(low, high)
    # A fall as far below the band reads the same, negative; the frame form gives the same.
    fall = _interval(math.log(0.98) - 4 * 0.1, 0.1, 3.0)
    frame = pl.DataFrame(
        {"growth_low": [low, fall[0]], "growth_high": [high, fall[1]], "growth_df": [3.0, 3.0]}
    )
    lows, highs, dfs = trend.interval(frame.columns)
    got = frame.select(trend.clearance(lows, highs, dfs))
    assert got.to_series().to_list() == pytest.approx([exact, -exact], rel=1e-9)
    # At 95% alone it is the interval's own verdict: an interval that just touches +2% reads
    # 1.96 at any degrees of freedom.
    for df in (1.0, 3.0, 30.0):
        edge = _interval(math.log(1.02) + t_dist.ppf(0.975, df) * 0.2, 0.2, df)
        assert edge[0] == pytest.approx(0.02)
        assert trend.clearance_of(*edge, df=df) == pytest.approx(norm.ppf(0.975), rel=1e-9)


def test_interval_exprs_give_the_degrees_of_freedom_the_width_was_set_at():
    """Two windows of four equal orders each (4 effective orders, se^2 terms 1/4): Welch's
    degrees of freedom (1/4 + 1/4)^2 / ((1/4)^2 / 3 * 2) = 6, and the interval log(2) +- t(6)
    sqrt(1/2)."""
    frame = pl.DataFrame(
        {"current": [8.0], "current_sq": [16.0], "previous": [4.0], "previous_sq": [4.0]}
    )
    low, high, df = trend.interval_exprs("current", "current_sq", "previous", "previous_sq")
    got = frame.select(low.alias("low"), high.alias("high"), df.alias("df")).row(0)
    half = t_dist.ppf(0.975, 6) * math.sqrt(0.5)
    assert got == pytest.approx((2 * math.exp(-half) - 1, 2 * math.exp(half) - 1, 6.0))
