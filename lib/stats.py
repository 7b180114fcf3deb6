"""How sure a share is: the Wilson score interval, one definition for every page that gives a
rate with its interval (funnel conversion, repeat buying after a late order) or acts on one
(a region's late rate)."""

from __future__ import annotations

import math

import polars as pl

Z95 = 1.959963984540054  # the normal quantile of a two-sided 95% interval


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval (low, high) of a share of `successes` in `trials` (95% by
    default); None without trials. Unlike the normal approximation it stays inside 0..1 and is
    honest for small counts and rates near 0."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return max(0.0, centre - half), min(1.0, centre + half)


def wilson_exprs(
    successes: str | pl.Expr, trials: str | pl.Expr, z: float = Z95
) -> tuple[pl.Expr, pl.Expr]:
    """`wilson` per row: the low and high bounds (0..1) of successes / trials, null where
    trials is 0."""
    k = (pl.col(successes) if isinstance(successes, str) else successes).cast(pl.Float64)
    n = (pl.col(trials) if isinstance(trials, str) else trials).cast(pl.Float64)
    p = k / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * (p * (1 - p) / n + z2 / (4 * n * n)).sqrt()
    ok = n > 0
    return pl.when(ok).then((centre - half).clip(0.0, 1.0)), pl.when(ok).then(
        (centre + half).clip(0.0, 1.0)
    )
