"""The Wilson score interval, against scipy and textbook values."""

import math
import subprocess
import sys
from statistics import NormalDist

import polars as pl
import pytest
from scipy.stats import binomtest, chi2_contingency, fisher_exact, norm, ttest_1samp

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


def test_critical_is_the_two_sided_normal_quantile_at_five_percent_over_m():
    assert stats.critical(1) == stats.Z95 == pytest.approx(norm.ppf(0.975), abs=1e-12)
    for m in (2, 4, 29, 3000):
        assert stats.critical(m) == pytest.approx(norm.isf(0.05 / (2 * m)), rel=1e-12)


@pytest.mark.parametrize(
    ("p_values", "passed"),
    [
        # Holm by hand: sorted p against 0.05/4, 0.05/3, 0.05/2, 0.05/1; stop at the first miss.
        # 0.010 <= 0.0125, 0.013 <= 0.0167, 0.020 <= 0.025, 0.300 > 0.05: three pass (Bonferroni
        # alone, 0.0125 for every row, would pass one).
        ([0.013, 0.300, 0.010, 0.020], [True, False, True, True]),
        # 0.010 <= 0.0125, then 0.020 > 0.0167: one passes, though 0.03 <= 0.025 fails anyway
        # and 0.04 <= 0.05 would pass on its own step: the step-down stopped before it.
        ([0.040, 0.010, 0.030, 0.020], [False, True, False, False]),
        # The most extreme misses 0.0125: none passes, each under 5% on its own.
        ([0.013, 0.020, 0.030, 0.040], [False, False, False, False]),
        # Every step passes.
        ([0.001, 0.002, 0.003, 0.004], [True, True, True, True]),
    ],
)
def test_family_is_holm_bonferroni_step_down_at_five_percent(p_values, passed):
    signs = (1, -1, 1, -1)  # two-sided: below counts as much as above
    z = [s * norm.isf(p / 2) for s, p in zip(signs, p_values, strict=True)]
    found = stats.family([*z, None, float("nan")])  # rows not compared do not count
    assert found.compared == 4
    assert [found.beyond(v) for v in z] == passed
    frame = pl.DataFrame({"z": [*z, None]})
    assert frame.select(found.beyond(pl.col("z")))["z"].to_list() == [*passed, False]


def test_the_most_extreme_of_m_rows_passes_as_bonferroni_says():
    # Olist's Delivery categories: 29 compared, the most extreme at p = 0.0227 (z = 2.28) is
    # within chance (0.05 / 29 = 0.0017); alone it would pass.
    z = norm.isf(0.0227 / 2)
    assert not stats.family([z, *[0.5] * 28]).beyond(z)
    assert stats.family([z]).beyond(z)
    assert stats.family([norm.isf(0.0016 / 2), *[0.5] * 28]).compared == 29
    assert stats.family([norm.isf(0.0016 / 2), *[0.5] * 28]).beyond(norm.isf(0.0016 / 2))


def _exact_z(k: int, n: int, p: float) -> float:
    """The normal quantile of the exact binomial tail on k's side of n p, summed term by term."""
    pmf = [math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(n + 1)]
    if k > n * p:
        return NormalDist().inv_cdf(1 - sum(pmf[k:]))
    if k < n * p:
        return -NormalDist().inv_cdf(1 - sum(pmf[: k + 1]))
    return 0.0


def test_family_counts_the_rows_beyond_chance_on_their_own():
    found = stats.family([2.4, -2.1, 1.0, None, float("nan"), 1.9])
    assert (found.compared, found.alone) == (4, 2)  # |z| above 1.96: 2.4 and -2.1
    # 2.4 < critical(4) = 2.50: none beyond chance across the 4, 2 on their own.
    assert stats.critical(4) > 2.4
    assert found.differ == 0
    # 3.0 is beyond critical(4) = 2.50, and 2.1 not beyond critical(3) = 2.39: one differs
    # across the 4, and -2.1 clears 1.96 on its own only.
    assert stats.critical(3) > 2.1
    beyond = stats.family([3.0, -2.1, 1.0, 1.9])
    assert (beyond.compared, beyond.differ, beyond.alone) == (4, 1, 1)


def test_expected_reads_the_count_alone_among_the_rows_that_do_not_differ():
    # One of 20 regions differs across them all; of the 19 others, P(at least k of 19) at 1 in
    # 20 each, by hand: 0.067 for 3 (within chance), 0.0027 for 5 (beyond).
    def tail(k: int) -> float:
        return sum(math.comb(19, i) * 0.05**i * 0.95 ** (19 - i) for i in range(k, 20))

    assert tail(3) > 0.025 > tail(5)
    assert stats.expected(20, "regions", 3, 1) == (
        "with 20 regions compared, more than one this far out on their own intervals is within "
        "chance"
    )
    assert stats.expected(20, "regions", 5, 1) == (
        "with 20 regions compared, one this far out is expected by chance, though not as many as "
        "5: some truly do, but which cannot be told beyond chance"
    )
    # Fewer than MANY_ALONE others: the count is not read.
    assert stats.expected(6, "regions", 2, 2).endswith("one this far out is expected by chance")


@pytest.mark.parametrize("alone", [0, 1, 2, 3, 5])
def test_expected_says_when_so_many_rows_clearing_alone_is_beyond_chance(alone):
    # Each of 10 rows clears its mark on its own 1 time in 20 by chance: P(at least k of 10),
    # by hand, is 0.40 for 1, 0.086 for 2 (within chance), 0.0115 for 3 and 6e-5 for 5 (each
    # below the 2.5% of a two-sided 95%).
    tail = sum(math.comb(10, i) * 0.05**i * 0.95 ** (10 - i) for i in range(alone, 11))
    said = stats.expected(10, "categories", alone)
    # Two of ten clearing alone is within chance (0.086), and said so.
    within = (
        "with 10 categories compared, more than one this far out on their own intervals is within "
        "chance"
    )
    assert (said == within) == (alone == 2)
    if alone != 2:
        assert said.startswith(
            "with 10 categories compared, one this far out is expected by chance"
        )
    assert ("though not" in said) == (alone >= 2 and tail < 0.025)
    assert ("though not 3 of the 10" in said) == (alone == 3)
    assert ("though not 5 of the 10: some truly do" in said) == (alone == 5)
    # Among 4 rows, each set against the rest, the count is no binomial one: not read.
    assert stats.expected(4, "regions", 4).endswith("one this far out is expected by chance")


def test_expected_never_says_one_this_far_out_of_several_rows_a_reading_names():
    # Two named by their Wilson intervals where the exact tails count one: P(at least 2 of 20)
    # at 1 in 20 each is 0.26 by hand, within chance.
    assert 1 - 0.95**20 - 20 * 0.05 * 0.95**19 > 0.025
    assert stats.expected(20, "regions", 1, 0, named=2) == (
        "with 20 regions compared, more than one this far out on their own intervals is within "
        "chance"
    )
    # Three of ten named by their Wilson intervals, one by the exact tails: the Wilson count,
    # higher by chance, tells nothing beyond chance; three by the exact tails (P = 0.0115 by
    # hand) do.
    assert stats.expected(10, "categories", 1, named=3) == (
        "with 10 categories compared, more than one this far out on their own intervals is "
        "within chance"
    )
    assert stats.expected(10, "categories", 3, named=3) == (
        "with 10 categories compared, one this far out is expected by chance, though not 3 of "
        "the 10: some truly do, but which cannot be told beyond chance"
    )
    # Among fewer than MANY_ALONE rows the count is not read, and several are not 'one'.
    assert stats.expected(4, "regions", 0, 0, named=2) == (
        "with 4 regions compared, none of these is beyond chance across them all"
    )
    # One named: as before.
    assert stats.expected(20, "regions", 1, 0, named=1) == (
        "with 20 regions compared, one this far out is expected by chance"
    )


def test_share_z_is_the_exact_binomial_tail_as_a_normal_quantile():
    frame = pl.DataFrame({"k": [34, 8, 5, 0, 6, 40, 0], "n": [292, 100, 50, 10, 24, 1000, 0]})
    got = frame.select(stats.share_z("k", "n", 0.08).alias("z"))["z"].to_list()
    for value, (k, n) in zip(got[:6], frame.rows()[:6], strict=True):
        assert value == pytest.approx(_exact_z(k, n, 0.08), rel=1e-9, abs=1e-12), (k, n)
    assert got[1] == 0.0  # 8 of 100 is the share itself
    assert got[6] is None  # no trials, no statistic


def test_share_z_of_a_row_drawn_from_everyone_is_fishers_exact_test_against_the_rest():
    """Audit (real Olist): seller state SP, 270 late of 3,674 among 342 of 5,161 delivered
    orders, 7.3% against the 6.6% it makes up most of, was within chance by the binomial;
    drawn from everyone (hypergeometric) it is Fisher's exact test of SP against the rest (72
    of 1,487, 4.8%), one-sided, far beyond chance. A row of a few is judged about as the
    binomial judges it; a row holding everyone lies at the share."""
    population = (342, 5161)
    share = 342 / 5161
    got = stats.share_z_of(270, 3674, share, population)
    p = fisher_exact([[270, 3674 - 270], [72, 1487 - 72]], alternative="greater").pvalue
    assert got == pytest.approx(-NormalDist().inv_cdf(p), rel=1e-6)
    assert p < 0.001 and stats.share_z_of(270, 3674, share) < 1.96
    below = stats.share_z_of(20, 1000, share, population)
    p_low = fisher_exact([[20, 980], [322, 4161 - 322]], alternative="less").pvalue
    assert below == pytest.approx(NormalDist().inv_cdf(p_low), rel=1e-6) and below < 0
    # 6 late of 24: the two tails agree to a few hundredths of a standard error.
    small = stats.share_z_of(6, 24, share, population)
    assert small == pytest.approx(stats.share_z_of(6, 24, share), abs=0.05)
    frame = pl.DataFrame({"k": [270, 6], "n": [3674, 24]})
    column = frame.select(stats.share_z("k", "n", share, population))[:, 0].to_list()
    assert column == pytest.approx([got, small])
    # Review (helper 167): everyone, or a share of 7 in 25 read in floats, is the share itself.
    assert stats.share_z_of(342, 5161, share, population) == 0.0
    assert stats.share_z_of(7, 25, 7 / 25, (7, 25)) == 0.0
    assert stats.share_z_of(7, 25, 0.28, (28, 100)) == 0.0


def test_the_tail_drawn_from_everyone_needs_no_scipy_stats():
    """scipy.stats takes 0.6 s to import, paid by a page's first visit (the Categories bench's
    first render went from 0.30 s to 0.84 s): the tail is summed with scipy.special alone."""
    script = (
        "import sys\n"
        "from lib import stats\n"
        "stats.share_z_of(270, 3674, 342 / 5161, (342, 5161))\n"
        "print('scipy.stats' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"


def test_count_z_is_the_poisson_upper_tail_as_a_normal_quantile():
    """P(X >= k) for X ~ Poisson(mean), summed by hand: 1 - 2/e for 2 on a mean of 1; 5 on 1.5;
    0 is never above chance, and a count on a mean of 0 is beyond any chance."""
    for k, mean in ((2, 1.0), (5, 1.5), (12, 3.0), (1, 4.0)):
        tail = 1 - sum(math.exp(-mean) * mean**i / math.factorial(i) for i in range(k))
        assert stats.count_z(k, mean) == pytest.approx(NormalDist().inv_cdf(1 - tail), rel=1e-6)
    assert 1 - 2 / math.e == pytest.approx(0.26424, abs=1e-5)
    assert stats.count_z(2, 1.0) == pytest.approx(NormalDist().inv_cdf(2 / math.e), rel=1e-9)
    assert stats.count_z(0, 1.0) == -math.inf
    assert stats.count_z(3, 0.0) == math.inf


def test_shares_z_is_the_pooled_two_proportion_z_whose_square_is_pearsons_chi_square():
    """Olist's MG: 7 of 92 orders from returning customers, against 15 of 112 the quarter before
    (7.6% against 13.4%): z = -1.33 by hand; its square is the 2x2 table's chi-square (no
    continuity correction). Equal shares give 0, a side without orders null."""
    frame = pl.DataFrame(
        {"k1": [7, 3, 5], "n1": [92, 10, 10], "k2": [15, 3, 0], "n2": [112, 10, 0]}
    )
    z = frame.select(stats.shares_z(*(pl.col(c) for c in ("k1", "n1", "k2", "n2"))))[:, 0]
    pooled = 22 / 204
    by_hand = (7 / 92 - 15 / 112) / math.sqrt(pooled * (1 - pooled) * (1 / 92 + 1 / 112))
    assert z[0] == pytest.approx(by_hand) and round(by_hand, 2) == -1.33
    chi2 = chi2_contingency([[7, 85], [15, 97]], correction=False).statistic
    assert z[0] ** 2 == pytest.approx(chi2)
    assert z[1] == 0.0 and z[2] is None


def test_a_few_late_orders_on_few_expected_are_judged_by_the_exact_tail():
    """Olist's AL: 6 late of 24 against the 8% average. By the score statistic 3.07 standard
    errors out (a normal tail of 0.11%), past the 3.02 that 20 regions compared ask; by the
    binomial, a tail of 1.0% (2 late expected, and a binomial's upper tail reaches far): 2.33,
    beyond chance alone, not among 20."""
    score = (6 / 24 - 0.08) / (0.08 * 0.92 / 24) ** 0.5
    assert score == pytest.approx(3.07, abs=0.005) and score > stats.critical(20)
    tail = sum(math.comb(24, i) * 0.08**i * 0.92 ** (24 - i) for i in range(6, 25))
    assert tail == pytest.approx(0.0100, abs=5e-5)
    (z,) = pl.select(stats.share_z(pl.lit(6), pl.lit(24), 0.08)).to_series().to_list()
    assert z == pytest.approx(NormalDist().inv_cdf(1 - tail), rel=1e-9)
    assert stats.family([z]).beyond(z)  # alone: beyond chance at 5%
    assert not stats.family([z] + [0.0] * 19).beyond(z)  # among 20: within chance
    # On many trials the exact tail and the score statistic agree: 120 of 1,000 against 10%.
    (big,) = pl.select(stats.share_z(pl.lit(120), pl.lit(1000), 0.1)).to_series().to_list()
    assert big == pytest.approx((0.12 - 0.1) / (0.1 * 0.9 / 1000) ** 0.5, abs=0.1)


def test_paired_z_is_students_t_of_the_differences_as_a_normal_quantile():
    """Differences 0.1, 0.4, -0.2, 0.3, 0.2: scipy's one-sample t test against 0, its two-sided
    p as a signed normal quantile; every difference 0 is no difference, all alike but not 0 is
    certain, and one alone tells nothing."""
    d = [0.1, 0.4, -0.2, 0.3, 0.2]
    p = ttest_1samp(d, 0.0).pvalue
    assert stats.paired_z(d) == pytest.approx(norm.isf(p / 2), rel=1e-9)
    assert stats.paired_z([-v for v in d]) == pytest.approx(-norm.isf(p / 2), rel=1e-9)
    assert stats.paired_z([0.0, 0.0, 0.0]) == 0.0
    assert stats.paired_z([0.5, 0.5]) == math.inf
    assert math.isnan(stats.paired_z([0.5]))


def test_stratified_z_of_one_stratum_is_the_pearson_statistic_scaled_by_n_minus_1_over_n():
    """Mantel-Haenszel's statistic of one 2x2 table is (N - 1) / N times Pearson's chi-square
    (without continuity correction): 30 of 100 late against 100 of 1,000."""
    chi2 = chi2_contingency([[30, 70], [100, 900]], correction=False)[0]
    expected = math.sqrt(chi2 * 1099 / 1100)
    assert stats.stratified_z([30], [100], [100], [1000]) == pytest.approx(expected)
    # A stratum with one group only carries nothing; one with both groups alike, z 0.
    assert stats.stratified_z([30, 50], [100, 60], [100, 0], [1000, 0]) == pytest.approx(expected)
    assert stats.stratified_z([10, 300], [100, 1000], [100, 0], [1000, 0]) == pytest.approx(0.0)
    assert stats.stratified_z([5], [10], [0], [0]) is None


def test_rank_z_is_spearman_s_correlation_and_its_t_as_a_z():
    """Spearman's rho as scipy gives it (ties at their mean rank), and its t on n - 2 degrees of
    freedom as the normal quantile of the same one-sided tail; NaN without three pairs or
    without spread, infinite where the ranks agree exactly."""
    from scipy.stats import spearmanr
    from scipy.stats import t as student_t

    x = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]
    y = [2.0, 7.0, 1.0, 8.0, 2.0, 8.0, 1.0, 8.0]
    r, z = stats.rank_z(x, y)
    rho = spearmanr(x, y).statistic
    t = rho * math.sqrt(6 / (1 - rho**2))
    assert r == pytest.approx(rho)
    assert z == pytest.approx(math.copysign(norm.isf(student_t.sf(abs(t), 6)), t))
    assert all(math.isnan(v) for v in stats.rank_z([1.0, 2.0], [2.0, 1.0]))
    assert all(math.isnan(v) for v in stats.rank_z([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]))
    assert stats.rank_z([1.0, 2.0, 3.0], [10.0, 20.0, 40.0]) == (1.0, math.inf)
    # The review's: a NaN ranked above every number (r 0.657 for an order agreeing exactly
    # wherever both are numbers); pairs with one are left out, as scipy's nan_policy="omit".
    with_nan = [1.0, 2.0, math.nan, 4.0, 5.0, 6.0]
    assert stats.rank_z(with_nan, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]) == (1.0, math.inf)
