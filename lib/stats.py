"""How sure a share is: the Wilson score interval, one definition for every page that gives a
rate with its interval (funnel conversion, repeat buying after a late order) or acts on one
(a region's late rate), and the one rule for a reading that picks rows out of many (`family`)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import polars as pl
from numpy.typing import ArrayLike

from lib import fmt

# The chance a reading that compares many rows names any of them by chance alone (two-sided).
FAMILY = 0.05
# How the pages state what "beyond chance" asks of one of many rows compared (`family`).
MANY = (
    "With many compared, some clear their mark on their own 95% interval by chance alone, so "
    "each must clear it by more: far enough that chance names any of them less than 1 time in "
    "20 (Holm's method)."
)


def critical(m: int) -> float:
    """The |z| the most extreme of `m` rows compared must exceed to stand out beyond chance: the
    two-sided normal quantile at FAMILY / m (Bonferroni). critical(1) is Z95."""
    return NormalDist().inv_cdf(1 - FAMILY / (2 * m))


Z95 = critical(1)  # the normal quantile of a two-sided 95% interval, 1.96


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
class Family:
    """Rows a reading compares at once: how many (`compared`) and the |z| a row's statistic must
    exceed to be beyond chance among them (`cutoff`)."""

    compared: int
    cutoff: float
    # Of them, how many lie beyond chance on their own (|z| above Z95) but not across them all,
    # and how many differ beyond chance across them all (those a reading names as differing).
    alone: int = 0
    differ: int = 0

    def beyond(self, z: pl.Expr | float | None) -> pl.Expr | bool:
        """Whether a row's statistic (a column or a figure) is beyond chance in this family."""
        if isinstance(z, pl.Expr):
            return (z.abs() > self.cutoff).fill_null(False)
        return z is not None and abs(z) > self.cutoff


# One comparison alone (two shares, two means): beyond chance outside its own 95% interval.
SINGLE = Family(1, Z95)


def family(z: Iterable[float | None]) -> Family:
    """The family of rows a reading compares, from each row's statistic (a z: signed, how many
    standard errors it lies from what it is compared with; None or NaN for a row not compared).

    Holm–Bonferroni step-down at FAMILY, two-sided: the rows by |z|, most extreme first, each
    beyond chance while its |z| exceeds critical(rows left) and every row before it was, so
    that chance alone names any row of the family at most 5% of the time. Its first step is
    Bonferroni for the most extreme row (critical(m)); one row alone is judged at 95%
    (critical(1)). The rule comes down to a cutoff: beyond chance are
    the rows whose |z| exceeds that of the first row to fall short (Z95 when none does)."""
    ranked = sorted((abs(v) for v in z if v is not None and not math.isnan(v)), reverse=True)
    m = len(ranked)
    for step, value in enumerate(ranked):
        if value <= critical(m - step):
            return Family(m, value, sum(v > Z95 for v in ranked[step:]), step)
    return Family(m, Z95, 0, m)


def share_z(
    successes: str | pl.Expr,
    trials: str | pl.Expr,
    share: float,
    population: tuple[int, int] | None = None,
) -> pl.Expr:
    """Per row, how far successes of trials lie from `share` (a pooled or average share), as the
    normal quantile of the exact binomial tail on their side: z with P(Z > z) = P(X >= k) when
    k / n is above `share`, -z with P(Z > z) = P(X <= k) below it (X ~ Binomial(n, share)); 0
    where they agree, null without trials. Exact, where the score statistic's normal tail is
    not: 6 late of 24 against 8% is 3.07 standard errors out, as likely as 1 in 930 by the
    normal curve, but 1 in 100 by the binomial (about 2 expected, a tail that reaches far),
    which with 20 regions compared is within chance. `family` over it judges each row by an
    exact test.

    `population` (successes, trials of everyone, `share` their ratio): each row is drawn from
    them, X ~ Hypergeometric (Fisher's exact test of the row against the rest), the same as the
    binomial for a row of a few but not for one that holds most of them: Olist's seller state
    SP, 3,674 of 5,161 delivered orders at 7.3% late, was within chance of the 6.6% it makes up
    most of, yet apart beyond chance from the 4.8% of the rest. A row holding everyone lies at
    the share (0)."""

    def exact(pairs: pl.Series) -> pl.Series:
        k, n = (pairs.struct.field(f).to_numpy() for f in ("k", "n"))
        return pl.Series(_exact_z(k, n, share, population), dtype=pl.Float64)

    k = (pl.col(successes) if isinstance(successes, str) else successes).cast(pl.Float64)
    n = (pl.col(trials) if isinstance(trials, str) else trials).cast(pl.Float64)
    z = pl.struct(k.alias("k"), n.alias("n")).map_batches(exact, return_dtype=pl.Float64)
    return pl.when(n > 0).then(z.fill_nan(None))


def shares_z(
    successes: pl.Expr, trials: pl.Expr, before: pl.Expr, before_trials: pl.Expr
) -> pl.Expr:
    """How far the share successes / trials lies from before / before_trials, as the pooled
    two-proportion z statistic: (p1 - p2) / sqrt(p (1 - p) (1 / n1 + 1 / n2)), p the pooled
    share; null without trials on either side, 0 where both shares are the same."""
    n1, n2 = trials.cast(pl.Float64), before_trials.cast(pl.Float64)
    p1, p2 = successes / n1, before / n2
    pooled = (successes + before) / (n1 + n2)
    se = (pooled * (1 - pooled) * (1 / n1 + 1 / n2)).sqrt()
    return (
        pl.when((n1 > 0) & (n2 > 0))
        .then(pl.when(p1 == p2).then(0.0).otherwise((p1 - p2) / se))
        .cast(pl.Float64)
    )


def shares_z_of(
    successes: float, trials: float, before: float, before_trials: float
) -> float | None:
    """`shares_z` of one pair of counts (figures); None without trials on either side."""
    counts = (successes, trials, before, before_trials)
    return pl.select(shares_z(*(pl.lit(float(v)) for v in counts))).item()


def stratified_z(
    successes: ArrayLike, trials: ArrayLike, other: ArrayLike, other_trials: ArrayLike
) -> float | None:
    """How far a group's successes lie above what each stratum's pooled share gives it, over
    strata (one element each): the Mantel-Haenszel statistic (sum(a) - sum(E)) / sqrt(sum(V)),
    E = n1 m / N, V = n1 n0 m (N - m) / (N^2 (N - 1)), with a of n1 the group's, c of n0 the
    other group's, m = a + c, N = n1 + n0. Strata lacking either group carry nothing; None
    when no stratum varies (a comparison of the groups within strata, not across them)."""
    a, n1, c, n0 = (np.asarray(v, dtype=float) for v in (successes, trials, other, other_trials))
    variances = stratum_variances(a, n1, c, n0)
    variance = float(variances.sum())
    if variance <= 0:
        return None
    both = variances > 0
    a, n1, c, n0 = a[both], n1[both], c[both], n0[both]
    m, n = a + c, n1 + n0
    return float((a.sum() - (n1 * m / n).sum()) / math.sqrt(variance))


def stratum_variances(
    successes: ArrayLike, trials: ArrayLike, other: ArrayLike, other_trials: ArrayLike
) -> np.ndarray:
    """Each stratum's V in stratified_z (0 for a stratum lacking either group or with no
    spread): its weight in the statistic, V over their sum."""
    a, n1, c, n0 = (np.asarray(v, dtype=float) for v in (successes, trials, other, other_trials))
    m, n = a + c, n1 + n0
    with np.errstate(all="ignore"):
        v = n1 * n0 * m * (n - m) / (n**2 * (n - 1))
    return np.where((n1 > 0) & (n0 > 0) & (n > 1), np.nan_to_num(v), 0.0)


def drawn_from(share: float, everyone: int) -> tuple[int, int]:
    """share_z's population where only the share of everyone is known: (successes, everyone)."""
    return round(share * everyone), everyone


def share_z_of(
    successes: int, trials: int, share: float, population: tuple[int, int] | None = None
) -> float | None:
    """`share_z` of one row (figures); None without trials."""
    z = float(_exact_z(np.array([successes]), np.array([trials]), share, population)[0])
    return None if math.isnan(z) else z


def count_z(count: int, mean: float) -> float:
    """How far a `count` lies above the `mean` chance gives it, as the normal quantile of the
    Poisson tail: z with P(Z > z) = P(X >= count), X ~ Poisson(mean) (negative when the count
    is not above it). Compared with critical(m) as share_z is; of counts that chance would
    spread less than a Poisson (a hypergeometric draw), a conservative test."""
    from scipy.special import ndtri, pdtrc

    if count <= 0:  # P(X >= 0) = 1
        return -math.inf
    return float(-ndtri(pdtrc(count - 1, mean)))  # a mean of 0 leaves no chance: +inf


def _exact_z(
    successes: np.ndarray,
    trials: np.ndarray,
    share: float,
    population: tuple[int, int] | None = None,
) -> np.ndarray:
    """`share_z` on arrays of counts (NaN without trials)."""
    from scipy.special import bdtr, bdtrc, ndtri

    k, n = (np.rint(np.nan_to_num(v.astype(float))).astype(np.int64) for v in (successes, trials))
    if population is None:
        above, level = k > n * share, k == n * share
        with np.errstate(all="ignore"):
            tail = np.where(above, bdtrc(k - 1, n, share), bdtr(k, n, share))
    else:
        hits, everyone = population
        drawn = np.minimum(n, everyone)  # a row never holds more than everyone
        # Compared in whole numbers (k / n against hits / everyone); a row that is everyone
        # lies at the share itself, nothing drawn from anyone else.
        above, level = k * everyone > drawn * hits, (k * everyone == drawn * hits)
        level |= drawn >= everyone
        tail = np.array(
            [
                _hypergeometric_tail(int(a), int(d), hits, everyone, upper=bool(u))
                for a, d, u in zip(k, drawn, above, strict=True)
            ],
            dtype=float,
        )
    with np.errstate(all="ignore"):
        z = np.where(above, -ndtri(tail), ndtri(tail))
    z = np.where(level, 0.0, z)
    return np.where(n > 0, z, np.nan)


def _hypergeometric_tail(k: int, drawn: int, hits: int, everyone: int, *, upper: bool) -> float:
    """P(X >= k) (`upper`) or P(X <= k), X the hits among `drawn` of `everyone` holding `hits`
    (hypergeometric), summed from the log probabilities (scipy.special's gammaln: scipy.stats,
    which has the distribution, takes 0.6 s to import, paid by a page's first visit)."""
    from scipy.special import gammaln, logsumexp

    low, high = max(0, drawn - (everyone - hits)), min(drawn, hits)
    x = np.arange(k, high + 1) if upper else np.arange(low, k + 1)
    x = x[(x >= low) & (x <= high)]
    if x.size == 0:
        return 0.0

    def log_choose(a: float, b: np.ndarray | float) -> np.ndarray | float:
        return gammaln(a + 1) - gammaln(b + 1) - gammaln(a - b + 1)

    logs = log_choose(hits, x) + log_choose(everyone - hits, drawn - x)
    return float(min(1.0, np.exp(logsumexp(logs) - log_choose(everyone, drawn))))


def mean_z(group: Sequence[ArrayLike], other: Sequence[ArrayLike]) -> np.ndarray:
    """Per row, how far a group's mean lies from another group's, from each group's count, sum
    and sum of squares (`group`, `other`: those three, each an array over rows): Welch's t
    (unequal spreads, Welch-Satterthwaite degrees of freedom) as the normal quantile of the
    same tail, signed (above the other group: positive), so that `family` judges it as it
    judges a z. Student's t keeps a few dozen skewed values (order values) from looking surer
    than they are. NaN where either group has fewer than two values or neither spreads."""
    n, total, squares, n_other, total_other, squares_other = (
        np.asarray(v, dtype=float) for v in (*group, *other)
    )
    with np.errstate(all="ignore"):
        terms = []
        for k, s, q in ((n, total, squares), (n_other, total_other, squares_other)):
            variance = np.maximum(q - s * s / k, 0.0) / (k - 1)
            terms.append(np.where(k >= 2, variance / k, np.nan))
        a, b = terms
        t = (total / n - total_other / n_other) / np.sqrt(a + b)
        df = (a + b) ** 2 / (a * a / (n - 1) + b * b / (n_other - 1))
        z = _t_as_z(t, df)
    return np.where(np.isfinite(t) & (df > 0), z, np.nan)


def rank_z(x: ArrayLike, y: ArrayLike) -> tuple[float, float]:
    """Spearman's rank correlation of `x` and `y` and how far it lies from 0 as a z (its t,
    r sqrt((n - 2) / (1 - r^2)) with n - 2 degrees of freedom, as _t_as_z gives it), over the
    pairs where both are numbers: NaN with fewer than three such pairs or where either has no
    spread; an infinite z where the ranks agree (or disagree) exactly."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    both = np.isfinite(a) & np.isfinite(b)  # a NaN would rank above every number
    a, b = a[both], b[both]
    if a.size < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return math.nan, math.nan
    ranks = [pl.Series(v).rank("average").to_numpy() for v in (a, b)]  # ties: their mean rank
    r = float(np.corrcoef(*ranks)[0, 1])
    if abs(r) >= 1 - 1e-12:  # the ranks agree exactly, up to float rounding
        return math.copysign(1.0, r), math.copysign(math.inf, r)
    return r, float(_t_as_z(r * math.sqrt((a.size - 2) / (1 - r * r)), a.size - 2))


def _t_as_z(t: ArrayLike, df: ArrayLike) -> np.ndarray:
    """Student's t (with `df` degrees of freedom) as the normal quantile of the same tail,
    signed: what mean_z and paired_z give, so that `family` judges them as it judges a z."""
    from scipy.special import ndtri, stdtr

    t = np.asarray(t, dtype=float)
    return -ndtri(stdtr(df, -np.abs(t))) * np.sign(t)


def paired_z(differences: ArrayLike) -> float:
    """How far the mean of paired differences (one model's error less another's, on the same
    customers) lies from 0: Student's t with n - 1 degrees of freedom as the normal quantile of
    the same tail, signed, as mean_z gives it; 0 where every difference is 0, infinite where
    they are all the same other value, NaN with fewer than two."""
    d = np.asarray(differences, dtype=float)
    if d.size < 2:
        return math.nan
    mean, spread = float(d.mean()), float(d.std(ddof=1))
    if spread == 0:
        return math.copysign(math.inf, mean) if mean else 0.0
    return float(_t_as_z(mean / (spread / math.sqrt(d.size)), d.size - 1))


@dataclass(frozen=True)
class Extremes:
    """Rows compared by a share: the best and the worst (each every row tied at its shown share,
    in the rows' order, with that share as `_shown` and its own 95% Wilson interval as `_low`
    and `_high`; empty when none stands out), the pooled share of all rows, how many rows were
    compared, and the share every row shows when they all read the same ("" otherwise).
    `chance_best` and `chance_worst` are the best and worst whose own 95% interval clears the
    pooled share though, with so many rows compared, one that far out is expected by chance
    (empty otherwise): a reading says so rather than name them."""

    best: pl.DataFrame
    worst: pl.DataFrame
    pooled: float
    compared: int
    chance_best: pl.DataFrame
    chance_worst: pl.DataFrame
    level: str = ""
    alone: int = 0  # rows beyond chance on their own only (Family.alone)
    differ: int = 0  # rows beyond chance across them all (Family.differ)
    # The chance of shares this far apart from one common share (homogeneity_p), with `chance`
    together: float | None = None


def extremes(rows: pl.DataFrame, successes: str, trials: str, *, chance: bool = True) -> Extremes:
    """The rows (two or more, each with trials) whose share, successes / trials, reads highest
    and lowest as fmt.pct writes it: rows that read the same are tied, and kept together. With
    `chance`, a row is best only when its share lies above the pooled share of all rows beyond
    chance across all the rows compared (`family` over `share_z`: the most extreme of 29 rows
    must lie 3.13 standard errors out, not the 1.96 of its own 95% interval), and worst only
    when below: 2 of 23 against 19% of everyone is chance."""
    pooled = float(rows[successes].sum() / rows[trials].sum())
    low, high = wilson_exprs(successes, trials)
    rows = rows.with_columns(
        (pl.col(successes) / pl.col(trials))
        .map_elements(fmt.pct, return_dtype=pl.String)
        .alias("_shown"),
        low.alias("_low"),
        high.alias("_high"),
        share_z(successes, trials, pooled).alias("_z"),
    )
    ranked = rows.sort(pl.col(successes) / pl.col(trials), descending=True)["_shown"]
    top, bottom = ranked[0], ranked[-1]
    if top == bottom:
        return Extremes(rows[:0], rows[:0], pooled, rows.height, rows[:0], rows[:0], top)
    best = rows.filter(pl.col("_shown") == top)
    worst = rows.filter(pl.col("_shown") == bottom)
    if not chance:
        return Extremes(best, worst, pooled, rows.height, rows[:0], rows[:0])
    found = family(rows["_z"])
    beyond = found.beyond(pl.col("_z"))
    together = homogeneity_p(rows[successes].to_numpy(), rows[trials].to_numpy())
    return Extremes(
        best.filter(beyond & (pl.col("_z") > 0)),
        worst.filter(beyond & (pl.col("_z") < 0)),
        pooled,
        rows.height,
        chance_best=best.filter(~beyond & (pl.col("_low") > pooled)),
        chance_worst=worst.filter(~beyond & (pl.col("_high") < pooled)),
        alone=found.alone,
        differ=found.differ,
        together=together,
    )


def homogeneity_p(successes: ArrayLike, trials: ArrayLike) -> float | None:
    """The chance that rows' shares (successes of trials, one element each) lie as far apart
    as they do if all came from one common share: Pearson's chi-square test of homogeneity,
    rows - 1 degrees of freedom. None with fewer than two rows, or when every trial or none
    succeeds. Rows can differ together though none stands out alone (Online Retail's month-1
    cohorts: 15.0% to 24.0%, p = 0.038, none beyond chance by Holm)."""
    from scipy.special import chdtrc

    k, n = np.asarray(successes, dtype=float), np.asarray(trials, dtype=float)
    total = n.sum()
    if len(k) < 2 or total <= 0 or k.sum() in (0, total):
        return None
    share = k.sum() / total
    yes, no = n * share, n * (1 - share)
    statistic = float((((k - yes) ** 2) / yes + ((n - k - no) ** 2) / no).sum())
    return float(chdtrc(len(k) - 1, statistic))


def interval_digits(low: float, high: float, share: float) -> int:
    """The decimals (1 to 3) a 95% interval's end nearest the `share` it clears needs to read
    apart from it (19.9% beside 19.8% would seem to touch it): the interval and the share
    beside it are both written with them."""
    near = low if low > share else high
    return next((d for d in (1, 2) if fmt.pct(near, d) != fmt.pct(share, d)), 3)


def interval_text(low: float, high: float, share: float) -> str:
    """'19.85%–28.7%': a 95% interval of a share as a reading quotes it beside the `share` it
    clears, with interval_digits decimals."""
    digits = interval_digits(low, high, share)
    return f"{fmt.pct(low, digits)}–{fmt.pct(high, digits)}"


def by_interval(found: Extremes) -> tuple[int, list[tuple[bool, list[tuple[pl.DataFrame, str]]]]]:
    """The rows of `found` within chance (chance_best, then chance_worst, each when it has
    any), each side's tied rows grouped by their own 95% interval as interval_text writes it
    beside the pooled share, in their order, with whether the side is the best; and the
    decimals the pooled share is written with beside them all (interval_digits, the most any
    needs): rows tied at a shown share may have other counts, so other intervals (3 of 10 and 6
    of 20 are both 30.0%), each said with its own."""
    sides, digits = [], 1
    for cells in (found.chance_best, found.chance_worst):
        groups: dict[str, list[int]] = {}
        for k, end in enumerate(zip(cells["_low"], cells["_high"], strict=True)):
            groups.setdefault(interval_text(*end, found.pooled), []).append(k)
            digits = max(digits, interval_digits(*end, found.pooled))
        if groups:
            grouped = [(cells[rows], text) for text, rows in groups.items()]
            sides.append((cells is found.chance_best, grouped))
    return digits, sides


def intervals_listed(named: list[tuple[str, int, str]]) -> str:
    """'the Jan 2023 cohort (10.8%–60.3%) and the Feb 2023 and Mar 2023 cohorts (14.5%–51.9%
    each)': intervals (by_interval's) after the rows whose own they are, (name, how many rows,
    interval) each."""
    return fmt.listed([f"{name} ({text}{' each' if n > 1 else ''})" for name, n, text in named])


def across(compared: int, rows: str) -> str:
    """' across the 29 categories compared': how a reading says that what it names stands out
    beyond chance among the rows it compared (`rows`, plural); nothing for a row alone."""
    return f" across the {compared:,} {rows} compared" if compared > 1 else ""


# From how many rows compared `expected` reads the count of those beyond chance on their own.
MANY_ALONE = 5


def expected(compared: int, rows: str, alone: int = 0, differ: int = 0, named: int = 1) -> str:
    """'with 29 categories compared, one this far out is expected by chance': why a reading does
    not act on a row whose own 95% interval clears what it is compared with. Of a row alone,
    whose Wilson interval clears it where the exact binomial tail (share_z) does not: 'an
    exact test of its counts puts it within chance'.

    `alone`: how many of the rows compared clear their mark on their own but not across them all
    (Family.alone), `differ` how many do across them all (Family.differ). Where `alone` is
    several, it says whether so many is itself within chance among the rows that do not differ
    (each row clears its mark 1 time in 20 by chance: the exact binomial tail of `alone` of
    them): 'with 12 cohorts compared, more than one this far out on their own intervals is
    within chance' (where 'one this far out' would let a reader take it that the one named is
    the only one; not how many, which may differ from the rows a reading names by their Wilson
    intervals); 5 of 10 categories growing by their own intervals, none across the 10, tell that
    some grew, not which. Only from MANY_ALONE rows: a row set against the rest (a region's
    order value against all others') pushes the others the other way, so that among few rows
    the count is no binomial one.

    `named`: how many rows the reading names as clearing their mark on their own intervals.
    Where it names several, never 'one this far out' (two regions at 5 of 24 late each clear 8%
    by their Wilson intervals where the exact tails count fewer): 'more than one ... is within
    chance' unless `alone`, by the exact tails, is beyond it (the Wilson count, higher by
    chance, says nothing of that), and among few rows 'none of these is beyond chance across
    them all'."""
    if compared <= 1:
        return "an exact test of its counts puts it within chance"
    said = f"with {compared:,} {rows} compared, one this far out is expected by chance"
    others = compared - differ
    if max(alone, named) < 2 or (others < MANY_ALONE and named < 2):
        return said
    if others < MANY_ALONE:
        return f"with {compared:,} {rows} compared, none of these is beyond chance across them all"
    if alone < 2 or (share_z_of(alone, others, FAMILY) or 0) <= Z95:
        return (
            f"with {compared:,} {rows} compared, more than one this far out on their own intervals "
            "is within chance"
        )
    # Beside rows that differ, which a reading may not name (the other side's), no share.
    many = f"as many as {alone}" if differ else f"{alone} of the {compared:,}"
    return f"{said}, though not {many}: some truly do, but which cannot be told beyond chance"


def expected_among(found: Family | Extremes, rows: str, named: int = 1) -> str:
    """`expected` of the `rows` of a family (or of the extremes read from one), `named` of
    which the reading names."""
    return expected(found.compared, rows, found.alone, found.differ, named)
