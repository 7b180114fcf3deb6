"""Holm-Bonferroni and growth intervals by hand, for tests that recompute which rows a reading
may name."""

import math
from datetime import datetime

import polars as pl
from scipy.stats import norm
from scipy.stats import t as student


def holm(p_values: list[float], alpha: float = 0.05) -> list[bool]:
    """Which p-values Holm's step-down rejects at a family-wise `alpha`: sorted, the k-th
    smallest (from 0) against alpha / (m - k), stopping at the first that misses."""
    m, passed = len(p_values), [False] * len(p_values)
    for k, i in enumerate(sorted(range(m), key=p_values.__getitem__)):
        if p_values[i] > alpha / (m - k):
            break
        passed[i] = True
    return passed


def growth_z(low: float, high: float, df: float = math.inf) -> float:
    """How far a growth whose 95% interval is low..high (log-symmetric, as lib.trend builds it:
    log ratio +- t se, t Student's 97.5% point at `df` degrees of freedom; inf: normal) clears
    the flat band, above log(1.02) positive, below log(0.98) negative, 0 within: its distance
    in standard errors, a t at `df`, written as the normal quantile of the same tail."""
    lo, hi = math.log1p(low), math.log1p(high)
    centre, se = (lo + hi) / 2, (hi - lo) / (2 * student.ppf(0.975, df))
    if centre > math.log(1.02):
        return norm.isf(student.sf((centre - math.log(1.02)) / se, df))
    if centre < math.log(0.98):
        return -norm.isf(student.sf((math.log(0.98) - centre) / se, df))
    return 0.0


def growing(lows: list[float], highs: list[float], dfs: list[float] | None = None) -> list[bool]:
    """Which of these growth intervals (at these degrees of freedom; None: normal) read growing
    beyond chance across all of them (Holm)."""
    dfs = dfs or [math.inf] * len(lows)
    z = [growth_z(lo, hi, df) for lo, hi, df in zip(lows, highs, dfs, strict=True)]
    passed = holm([2 * norm.sf(abs(v)) for v in z])
    return [p and v > 0 for p, v in zip(passed, z, strict=True)]


def growth_interval(current: list[float], previous: list[float]) -> tuple[float, float]:
    """The 95% interval of sum(current) / sum(previous) - 1 by hand (each a window's order
    values): log ratio +- t se, se^2 = sum(x^2) / sum(x)^2 of each window (1 / its effective
    orders n), t Student's 97.5% point at the Welch-Satterthwaite degrees of freedom
    (a + b)^2 / (a^2 / (n_a - 1) + b^2 / (n_b - 1)), at least 1."""
    sc, sp = sum(current), sum(previous)
    a, b = sum(x * x for x in current) / sc**2, sum(x * x for x in previous) / sp**2
    df = 1.0
    if a < 1 and b < 1:
        df = max(1.0, (a + b) ** 2 / (a * a / (1 / a - 1) + b * b / (1 / b - 1)))
    half, log = student.ppf(0.975, df) * math.sqrt(a + b), math.log(sc / sp)
    return math.exp(log - half) - 1, math.exp(log + half) - 1


def window_prices(
    at: pl.Expr, now: tuple[datetime, datetime], then: tuple[datetime, datetime]
) -> list[pl.Expr]:
    """Aggregations of the lines' price (Olist's items) over the window a growth reads (`now`)
    and the one it compares it with (`then`), each [start, end) of the time `at`: columns now
    and then."""
    return [
        pl.col("price").cast(pl.Float64).filter(at.is_between(*span, "left")).sum().alias(name)
        for name, span in (("now", now), ("then", then))
    ]
