"""Holm-Bonferroni by hand, for tests that recompute which rows a reading may name."""

import math

from scipy.stats import norm


def holm(p_values: list[float], alpha: float = 0.05) -> list[bool]:
    """Which p-values Holm's step-down rejects at a family-wise `alpha`: sorted, the k-th
    smallest (from 0) against alpha / (m - k), stopping at the first that misses."""
    m, passed = len(p_values), [False] * len(p_values)
    for k, i in enumerate(sorted(range(m), key=p_values.__getitem__)):
        if p_values[i] > alpha / (m - k):
            break
        passed[i] = True
    return passed


def growth_z(low: float, high: float) -> float:
    """How many standard errors a growth whose 95% interval is low..high (log-symmetric, as
    lib.trend builds it) clears the flat band: above log(1.02) positive, below log(0.98)
    negative, 0 within."""
    lo, hi = math.log1p(low), math.log1p(high)
    centre, se = (lo + hi) / 2, (hi - lo) / (2 * norm.ppf(0.975))
    if centre > math.log(1.02):
        return (centre - math.log(1.02)) / se
    if centre < math.log(0.98):
        return (centre - math.log(0.98)) / se
    return 0.0


def growing(lows: list[float], highs: list[float]) -> list[bool]:
    """Which of these growth intervals read growing beyond chance across all of them (Holm)."""
    z = [growth_z(lo, hi) for lo, hi in zip(lows, highs, strict=True)]
    passed = holm([2 * norm.sf(abs(v)) for v in z])
    return [p and v > 0 for p, v in zip(passed, z, strict=True)]
