"""How sure a share is: the Wilson score interval, one definition for every page that gives a
rate with its interval (funnel conversion, repeat buying after a late order) or acts on one
(a region's late rate)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from lib import fmt

Z95 = 1.959963984540054  # the normal quantile of a two-sided 95% interval


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval (low, high) of a share of `successes` in `trials` (95% by
    default); None without trials. Unlike the normal approximation it stays inside 0..1 and is
    honest for small counts and rates near 0. None of `trials` gives 0 as its low end and all of
    them 1 as the high end exactly (the formula leaves 1.7e-18 and 0.9999999999999999, which
    read as "above" a 0% average or "below" a 100% one)."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    low = 0.0 if successes <= 0 else max(0.0, centre - half)
    return low, 1.0 if successes >= trials else min(1.0, centre + half)


def wilson_exprs(
    successes: str | pl.Expr, trials: str | pl.Expr, z: float = Z95
) -> tuple[pl.Expr, pl.Expr]:
    """`wilson` per row: the low and high bounds (0..1) of successes / trials (exactly 0 and 1
    at the ends), null where trials is 0."""
    k = (pl.col(successes) if isinstance(successes, str) else successes).cast(pl.Float64)
    n = (pl.col(trials) if isinstance(trials, str) else trials).cast(pl.Float64)
    p = k / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * (p * (1 - p) / n + z2 / (4 * n * n)).sqrt()
    low = pl.when(k <= 0).then(0.0).otherwise((centre - half).clip(0.0, 1.0))
    high = pl.when(k >= n).then(1.0).otherwise((centre + half).clip(0.0, 1.0))
    return pl.when(n > 0).then(low), pl.when(n > 0).then(high)


@dataclass(frozen=True)
class Extremes:
    """Rows compared by a share: the best and the worst (each every row tied at its shown share,
    in the rows' order, with that share as `_shown`; empty when none stands out), the pooled
    share of all rows, how many rows were compared, and the share every row shows when they
    all read the same ("" otherwise)."""

    best: pl.DataFrame
    worst: pl.DataFrame
    pooled: float
    compared: int
    level: str = ""


def extremes(rows: pl.DataFrame, successes: str, trials: str, *, chance: bool = True) -> Extremes:
    """The rows (two or more, each with trials) whose share, successes / trials, reads highest
    and lowest as fmt.pct writes it: rows that read the same are tied, and kept together. With
    `chance`, a row is best only when its 95% Wilson interval lies above the pooled share of
    all rows, and worst only when it lies below: 2 of 23 against 19% of everyone is chance."""
    pooled = float(rows[successes].sum() / rows[trials].sum())
    rows = rows.with_columns(
        (pl.col(successes) / pl.col(trials))
        .map_elements(fmt.pct, return_dtype=pl.String)
        .alias("_shown")
    )
    ranked = rows.sort(pl.col(successes) / pl.col(trials), descending=True)["_shown"]
    top, bottom = ranked[0], ranked[-1]
    if top == bottom:
        return Extremes(rows[:0], rows[:0], pooled, rows.height, top)
    best = rows.filter(pl.col("_shown") == top)
    worst = rows.filter(pl.col("_shown") == bottom)
    if chance:
        low, high = wilson_exprs(successes, trials)
        best, worst = best.filter(low > pooled), worst.filter(high < pooled)
    return Extremes(best, worst, pooled, rows.height)
