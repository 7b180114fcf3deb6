"""How sure a revenue growth is: one rule for every reading that calls revenue growing or
shrinking between two windows (Categories, Regions).

Growth is current / previous - 1, each a sum of order values over a window. A window's revenue
is read as a compound Poisson sum: orders arrive at random and each brings its own value, so
its variance is about the sum of the squared order values, and on the log scale

    se^2 = sum(x^2) / sum(x)^2 (current) + the same (previous)

where each term is 1 / the window's "effective orders" (its revenue in equal orders; one order
of half the revenue leaves fewer than four). The 95% interval of growth is
exp(log(current / previous) +- t se) - 1, t Student's 97.5% point at the Welch-Satterthwaite
degrees of freedom of the two windows' effective orders: se is itself estimated from a few
skewed order values, and with 1.96 in its place the interval missed the true growth on each
side far more often than the 2.5% it claims (simulated, orders Poisson, values lognormal, no
change: 20 orders a window, sigma 1, 3.9% of the time on each side with 1.96 and 2.6% with t;
sigma 1.5, 6.4% and 3.2%; 100 orders, sigma 1, 2.9% and 2.7%). Unlike a bootstrap over a window's
orders, it counts the chance in how many orders came too: 23 orders, then 24, of twice the
value (Olist's PE, +114%) are within chance, as a permutation of those 47 orders finds
(one-sided p = 0.06).

A row's own interval clears the flat band (measures.FLAT either way) when `rose` or `fell`.
A reading that compares many rows (every category, every region) calls a row growing or
shrinking only beyond chance across them: `clearance`, how many standard errors the log ratio
lies past log(1.02) or log(0.98) (Student's t at the interval's degrees of freedom, written as
the normal quantile of the same tail), judged by lib.stats.family (alone, exactly `rose` and
`fell`); anything else is within chance, whatever its figure (`spread`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import polars as pl

from lib import fmt, measures, stats

# How the pages state the interval under a growth reading.
RULE = (
    "The interval reads each window's revenue as orders arriving at random, each with its own "
    "value: a few orders, or one large one, give a wide interval."
)


# A table's growth interval: its low and high ends (as growth) and the degrees of freedom of
# the t point that set its width (interval_exprs).
LOW, HIGH, DF = "growth_low", "growth_high", "growth_df"


def interval_exprs(
    current: str, current_sq: str, previous: str, previous_sq: str
) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """The low and high ends (as growth: -0.4 is -40%) of the 95% interval of
    current / previous - 1, from each window's revenue and sum of squared order revenues
    (columns), null where either window's revenue is 0 or less, and its degrees of freedom.
    Its half-width on the log scale is t se (the module's docstring), t at the degrees of
    freedom of `effective_df`. A table keeps the three as LOW, HIGH and DF, for `clearance`."""
    c, p = pl.col(current), pl.col(previous)
    # Each window's se^2 term: 1 / its effective orders.
    share_c, share_p = pl.col(current_sq) / (c * c), pl.col(previous_sq) / (p * p)
    log = (c / p).log()
    df = effective_df(share_c, share_p)
    half = (share_c + share_p).sqrt() * _t_point(df)
    known = (c > 0) & (p > 0)
    return (
        pl.when(known).then((log - half).exp() - 1),
        pl.when(known).then((log + half).exp() - 1),
        pl.when(known).then(df),
    )


def interval(columns: Sequence[str]) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """A table's growth interval as columns (LOW, HIGH, DF); a table without DF (made by hand)
    reads as one of many orders, its interval a normal one (infinite degrees of freedom)."""
    df = pl.col(DF) if DF in columns else pl.lit(math.inf)
    return pl.col(LOW), pl.col(HIGH), df


def effective_df(current: pl.Expr, previous: pl.Expr) -> pl.Expr:
    """Welch-Satterthwaite degrees of freedom of a sum of two variance terms, each
    1 / n of a window of n effective orders: (a + b)^2 / (a^2 / (n_a - 1) + b^2 / (n_b - 1)),
    with a^2 / (n_a - 1) = a^3 / (1 - a); at least 1 (a window of one effective order, or net
    of returns fewer, estimates its spread from nothing)."""
    term = [v.pow(3) / (1 - v) for v in (current, previous)]
    ratio = (current + previous).pow(2) / (term[0] + term[1])
    usable = (current < 1) & (previous < 1) & ratio.is_finite()
    return pl.when(usable).then(ratio.clip(lower_bound=1.0)).otherwise(1.0)


def _t_point(df: pl.Expr) -> pl.Expr:
    """Student's t 97.5% point at `df` degrees of freedom (lib.stats.Z95 as df grows)."""
    from scipy.special import stdtrit  # scipy.stats's t.ppf, without importing scipy.stats (1 s)

    return df.map_batches(
        lambda s: pl.Series(stdtrit(s.to_numpy(), 0.975), dtype=pl.Float64),
        return_dtype=pl.Float64,
    )


def clearance(
    low: pl.Expr,
    high: pl.Expr,
    df: pl.Expr,
    floor: float = -measures.FLAT,
    ceiling: float = measures.FLAT,
) -> pl.Expr:
    """Per row, how far log(1 + growth) lies above log(1 + `ceiling`) (positive) or below
    log(1 + `floor`) (negative), 0 in between, null without an interval, as a normal quantile:
    the statistic lib.stats.family judges growth by, against the flat band by default or
    against another growth (floor = ceiling = the whole data's). Read back from the row's 95%
    interval (`low`, `high`: interval_exprs, log(current / previous) +- t se, so its centre is
    the log ratio and its half-width over t the standard error) at its degrees of freedom
    (`df`: `interval` gives the three): the distance in standard errors is Student's t at `df`,
    written as the normal quantile of the same tail, so that Holm's levels beyond 95% read t's
    own tail too. Alone, beyond lib.stats.Z95 exactly when the interval clears the band (`rose`,
    `fell`)."""
    return (
        pl.struct(low.alias("low"), high.alias("high"), df.cast(pl.Float64).alias("df"))
        .map_batches(
            lambda ends: pl.Series(
                _clearance(
                    *(ends.struct.field(f).to_numpy() for f in ("low", "high", "df")),
                    floor,
                    ceiling,
                )
            ),
            return_dtype=pl.Float64,
        )
        .fill_nan(None)
    )


def clearance_of(
    low: float | None,
    high: float | None,
    floor: float = -measures.FLAT,
    ceiling: float = measures.FLAT,
    df: float | None = None,
) -> float | None:
    """`clearance` of one row's interval (figures; `df` None: a normal interval); None without
    one."""
    if low is None or high is None:
        return None
    ends = (np.array([low]), np.array([high]), np.array([math.inf if df is None else df]))
    return float(_clearance(*ends, floor, ceiling)[0])


def _log_se(low: np.ndarray, high: np.ndarray, df: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The log ratio and its standard error read back from a growth interval (interval_exprs:
    log(current / previous) +- t se) at its degrees of freedom."""
    from scipy.special import stdtrit

    lo, hi = np.log1p(low), np.log1p(high)
    return (lo + hi) / 2, (hi - lo) / (2 * stdtrit(df, 0.975))


def apart_z(
    first: tuple[float, float, float | None], second: tuple[float, float, float | None]
) -> float | None:
    """How far two growth figures lie apart, from their intervals (low, high, degrees of
    freedom, None for a normal one): the difference of their log ratios over the square root of
    their variances summed, a normal z (Welch's, the degrees of freedom read into each standard
    error); None without both intervals."""
    if None in (*first[:2], *second[:2]):
        return None
    (a, sa), (b, sb) = (
        _log_se(np.array([lo]), np.array([hi]), np.array([math.inf if df is None else df]))
        for lo, hi, df in (first, second)
    )
    with np.errstate(all="ignore"):
        z = float(((a - b) / np.sqrt(sa**2 + sb**2))[0])
    return None if math.isnan(z) else z


def _clearance(
    low: np.ndarray, high: np.ndarray, df: np.ndarray, floor: float, ceiling: float
) -> np.ndarray:
    """`clearance` on arrays of interval ends and degrees of freedom (NaN for a missing one)."""
    from scipy.special import ndtri, stdtr

    with np.errstate(all="ignore"):
        log, se = _log_se(low, high, df)
        above, below = log - np.log1p(ceiling), log - np.log1p(floor)
        t = np.where(above > 0, above / se, np.where(below < 0, below / se, 0.0))
        # The normal quantile of t's tail beyond |t| (its own far tail, not 1 minus the near
        # one, which rounds to 1 far out), with t's sign.
        z = np.copysign(-ndtri(stdtr(df, -np.abs(t))), t)
    # Nothing to judge against a growth of -100% or less (a whole that sold nothing since).
    unknown = np.isnan(low) | np.isnan(high) | (min(floor, ceiling) <= -1)
    return np.where(unknown, np.nan, z)


def rose(low: pl.Expr | float | None) -> pl.Expr | bool:
    """Revenue up by its own 95% interval: the low end of its growth interval (a column or a
    figure) above +FLAT (2%), as `clearance` judges one row alone."""
    if isinstance(low, pl.Expr):
        return low > measures.FLAT
    return low is not None and low > measures.FLAT


def fell(high: pl.Expr | float | None) -> pl.Expr | bool:
    """Revenue down by its own 95% interval: the high end of its growth interval (a column or a
    figure) below -FLAT (-2%), as `clearance` judges one row alone."""
    if isinstance(high, pl.Expr):
        return high < -measures.FLAT
    return high is not None and high < -measures.FLAT


def compared(columns: Sequence[str]) -> pl.Expr:
    """The rows a reading judges growth across (lib.stats.family): those with a growth figure,
    from enough orders in each window where the table says which (growth_reliable)."""
    judged = pl.col("growth").is_not_null()
    return judged & pl.col("growth_reliable") if "growth_reliable" in columns else judged


def by_chance(rows: pl.DataFrame, name: str, found: stats.Family, what: str) -> str:
    """'Baby (-74%): its 95% interval clears the flat band (-2% to +2%), but with 12 categories
    compared, one this far out is expected by chance': `rows` (with `name` and growth columns)
    whose own interval clears the flat band though their change is within chance across the
    `found` family's rows (`what`, plural), up to four named, steepest fall first; "" when none."""
    if rows.height == 0:
        return ""
    names = fmt.listed(
        [
            f"{fmt.named(r[name])} ({fmt.change(r['growth'])})"
            for r in rows.sort("growth").iter_rows(named=True)
        ],
        most=4,
    )
    return f"{names}: {chance_words(found, what, rows.height)}"


def chance_words(found: stats.Family, rows: str, named: int = 1) -> str:
    """'its 95% interval clears the flat band (-2% to +2%), but with 12 categories compared, one
    this far out is expected by chance': why a reading comparing the `found` family does not call
    a row growing or shrinking that its own interval would (`rows`, plural; `named`: how many
    it names, 'their 95% intervals clear' for several)."""
    band = f"the flat band ({fmt.change(-measures.FLAT)} to {fmt.change(measures.FLAT)})"
    own = "their 95% intervals clear" if named > 1 else "its 95% interval clears"
    return f"{own} {band}, but {stats.expected_among(found, rows, named)}"


def growth_text(growth: float) -> str:
    """A growth figure as the readings write it: '+39%', and one within FLAT to a tenth
    ('+1.5%', not '+2%' where the action calls it flat)."""
    return fmt.change(growth, 1 if abs(growth) < measures.FLAT else 0)


def spread(growth: float, low: float | None, high: float | None) -> str:
    """'+39% (anywhere from -60% to +378%)': a growth figure with its interval, as a reading
    quotes growth that is within chance (just '+39%' without an interval); a figure within FLAT
    to a tenth ('+1.5%'), so that it does not round to 2%."""
    text = growth_text(growth)
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return text
    return f"{text} (anywhere from {fmt.change(low)} to {fmt.change(high)})"
