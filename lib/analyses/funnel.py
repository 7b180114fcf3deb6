"""Seller funnel: lead-to-deal conversion, time to close, rep performance and rep matching."""

from __future__ import annotations

import itertools
import math
from datetime import datetime, timedelta

import polars as pl

from lib import fmt, quality, stats
from lib.model import Dataset

TOP = 10  # landing pages shown by name; the rest are pooled
MIN_COUNT = 5  # fewer deals than this in a cell: too small to judge
MIN_GAIN = 1.0  # days: a rep routed to closes at least this much faster than all reps
MIN_NAMED = 20  # deals: fewer, and an origin or a rep is not named fastest or slowest
MIN_LEADS = 30  # fewer leads than this in a group: too few to name it best or worst
MIN_DECLARED = 5  # declared revenues: fewer, and their median is not shown (one seller's)
UNKNOWN = "unknown"
NO_ORIGIN = "(no origin)"  # the origin is empty, apart from the source's own "unknown"
OTHER_PAGES = "(other pages)"
FUNNEL_RULES = ("deal_before_contact", "unknown_origin", "orphan_ids")
DEAL_ATTRIBUTES: dict[str, str] = {
    "business_segment": "Business segment",
    "lead_type": "Lead type",
    "behaviour_profile": "Behaviour profile",
    "business_type": "Business type",
}
# rep column -> (deal attribute it is matched on, label)
MATCHES: dict[str, tuple[str, str]] = {
    "sr_id": ("lead_type", "SR x lead type"),
    "sdr_id": ("business_segment", "SDR x business segment"),
}
MISSING_LEADS = (
    "needs marketing-qualified leads (leads table): upload "
    "olist_marketing_qualified_leads_dataset.csv"
)
MISSING_DEALS = "needs closed deals (deals table): upload olist_closed_deals_dataset.csv"


def lead_outcomes(leads: pl.DataFrame, deals: pl.DataFrame) -> pl.DataFrame:
    """Every lead with its outcome.

    One row per lead: lead_id, first_contact_at, month (of first contact), origin (empty or null
    becomes NO_ORIGIN, kept apart from the source's own "unknown"), landing_page, won (bool),
    won_at, days_to_close (calendar days; null when not won or when the deal is dated before the
    first contact, which is impossible).
    Deals whose lead is not in the leads table are left out (a quality finding).
    """
    first_deal = deals.sort("won_at").unique("lead_id", keep="first", maintain_order=True)
    cols = ["lead_id", "first_contact_at"] + [
        c for c in ("origin", "landing_page") if c in leads.columns
    ]
    days = (pl.col("won_at").dt.date() - pl.col("first_contact_at").dt.date()).dt.total_days()
    out = (
        leads.select(cols)
        .join(first_deal.select("lead_id", "won_at"), on="lead_id", how="left")
        .with_columns(
            pl.col("first_contact_at").dt.truncate("1mo").alias("month"),
            pl.col("won_at").is_not_null().alias("won"),
            pl.when(days >= 0).then(days).alias("days_to_close"),
        )
    )
    for c in ("origin", "landing_page"):
        if c not in out.columns:
            out = out.with_columns(pl.lit(None, pl.String).alias(c))
    origin = pl.col("origin").str.strip_chars()
    return out.with_columns(
        pl.when(origin.is_null() | (origin == ""))
        .then(pl.lit(NO_ORIGIN))
        .otherwise(origin)
        .alias("origin")
    ).select(
        "lead_id",
        "first_contact_at",
        "month",
        "origin",
        "landing_page",
        "won",
        "won_at",
        "days_to_close",
    )


# The columns of every conversion table, after its key: _counts() aggregates, _rates() derives.
RATE_COLUMNS = (
    "leads",
    "deals",
    "conversion",
    "conversion_low",
    "conversion_high",
    "median_days_to_close",
)


def _counts() -> list[pl.Expr]:
    """Leads, deals and median days to close of a group of lead outcomes."""
    return [
        pl.len().alias("leads"),
        pl.col("won").sum().cast(pl.Int64).alias("deals"),
        pl.col("days_to_close").median().alias("median_days_to_close"),
    ]


def _rates(frame: pl.DataFrame) -> pl.DataFrame:
    low, high = stats.wilson_exprs("deals", "leads")
    return frame.with_columns(
        (pl.col("deals") / pl.col("leads")).alias("conversion"),
        low.alias("conversion_low"),
        high.alias("conversion_high"),
    )


def overall_conversion(outcomes: pl.DataFrame) -> pl.DataFrame:
    """One row: leads, deals, conversion, conversion_low, conversion_high (Wilson 95%),
    median_days_to_close."""
    return _rates(outcomes.select(_counts())).select(RATE_COLUMNS)


def conversion_by(outcomes: pl.DataFrame, by: str, top: int | None = None) -> pl.DataFrame:
    """Conversion per value of `by` (origin, landing_page, month), most leads first.

    One row per value: <by>, leads, deals, conversion, conversion_low, conversion_high,
    median_days_to_close. With `top`, values beyond the `top` with the most leads are pooled
    into OTHER_PAGES (kept last).
    """
    key = pl.col(by)
    if top is not None:
        counts = outcomes.group_by(by).len().sort(["len", by], descending=[True, False])
        keep = counts.head(top)[by]
        key = pl.when(key.is_in(keep.implode())).then(key).otherwise(pl.lit(OTHER_PAGES))
    table = outcomes.group_by(key.alias(by)).agg(_counts())
    order = [by] if by == "month" else ["_pooled", "leads", by]
    table = table.with_columns((pl.col(by) == OTHER_PAGES).alias("_pooled"))
    if by == "month":
        table = table.sort("month")
    else:
        table = table.sort(order, descending=[False, True, False])
    return _rates(table.drop("_pooled")).select(by, *RATE_COLUMNS)


def lead_cohorts(outcomes: pl.DataFrame) -> pl.DataFrame:
    """Monthly cohorts of leads by first contact: conversion so far and within 30/90 days.

    One row per month: month, leads, deals, conversion, conversion_low, conversion_high,
    median_days_to_close, within_30d, within_90d (shares of the cohort's leads closed within so
    many days), observed_days (days from the cohort's first day to the last deal in the data:
    cohorts observed for less than a typical close time are still filling up), before_deals
    (the month ended before the first deal in the data, where the deals start too late for
    chance: `_late_deals`).
    """
    last = outcomes["won_at"].max()
    before = _before_deals(outcomes)
    days = pl.col("days_to_close")
    table = (
        outcomes.group_by("month")
        .agg(
            *_counts(),
            ((days <= 30).sum() / pl.len()).alias("within_30d"),
            ((days <= 90).sum() / pl.len()).alias("within_90d"),
        )
        .sort("month")
    )
    observed = (
        (pl.lit(last) - pl.col("month")).dt.total_days()
        if last is not None
        else pl.lit(None, pl.Int64)
    )
    return _rates(table).select(
        "month",
        *RATE_COLUMNS,
        "within_30d",
        "within_90d",
        observed.alias("observed_days"),
        before.alias("before_deals"),
    )


def covered(outcomes: pl.DataFrame) -> pl.DataFrame:
    """The lead outcomes whose deals the data can show: without the leads of months before the
    deals file starts (lead_cohorts' before_deals), which would read as lost where their
    earlier deals are only missing from the file. Conversion and days to close count these
    (Olist: 792 deals of the 6,198 leads from Dec 2017, where all leads give 842 of 8,000)."""
    return outcomes.filter(~_before_deals(outcomes))


def in_file(outcomes: pl.DataFrame, judged: pl.DataFrame) -> tuple[str, str]:
    """What the leads and closed deals KPIs of the `covered` leads (`judged`) add: how many
    leads and deals `outcomes` (every lead) hold, when some are left out; else nothing."""
    if judged.height == outcomes.height:
        return "", ""
    return (
        f"of {fmt.count(outcomes.height)} in the file",
        f"of {fmt.count(outcomes['won'].sum())} in the file",
    )


def _before_deals(outcomes: pl.DataFrame) -> pl.Expr:
    """Whether a lead's month of first contact ended before the first deal in the data, where
    the deals start too late for chance (`_late_deals`)."""
    if not _late_deals(outcomes):
        return pl.lit(False)
    return pl.col("month").dt.offset_by("1mo") <= pl.lit(outcomes["won_at"].min())


def _late_deals(outcomes: pl.DataFrame, chance: float = 0.01) -> bool:
    """Whether the deals start too late to be the funnel's own: no lead contacted more than the
    median close time before the first deal closed within that time, where the share of leads
    that do makes such a run less likely than `chance` (Olist's deals start in Dec 2017, six
    months after its leads: an export of deals that begins later, whose earlier closes are
    missing)."""
    first, typical = outcomes["won_at"].min(), outcomes["days_to_close"].median()
    if first is None or typical is None or outcomes.height == 0:
        return False
    quick = (outcomes["days_to_close"] <= typical).sum() / outcomes.height
    early = outcomes.filter(pl.col("first_contact_at") < first - timedelta(days=typical)).height
    return early > 0 and (1 - quick) ** early < chance


def days_to_close_by(outcomes: pl.DataFrame, by: str = "origin") -> pl.DataFrame:
    """Days from first contact to deal, over won deals with a valid date: an "(all)" row first,
    then one row per value of `by` with most deals first.

    Columns: <by>, deals, median_days, p25_days, p75_days, p90_days, mean_days.
    """
    won = outcomes.filter(pl.col("days_to_close").is_not_null())
    d = pl.col("days_to_close")
    stats = [
        pl.len().alias("deals"),
        d.median().alias("median_days"),
        d.quantile(0.25, "linear").alias("p25_days"),
        d.quantile(0.75, "linear").alias("p75_days"),
        d.quantile(0.9, "linear").alias("p90_days"),
        d.mean().alias("mean_days"),
    ]
    total = won.select(pl.lit("(all)").alias(by), *stats)
    groups = won.group_by(by).agg(stats).sort(["deals", by], descending=[True, False])
    return pl.concat([total, groups.select(total.columns)], how="vertical_relaxed")


def closed_deals(outcomes: pl.DataFrame, deals: pl.DataFrame) -> pl.DataFrame:
    """Deals with their lead's origin and days to close.

    One row per deal: the deals columns plus origin, first_contact_at and days_to_close (null
    for deals dated before first contact, whose lead is unknown, or whose lead the `covered`
    leads leave out: of a month before the deals file starts, only its late closes are in the
    file, so its days would read slow. Olist's 50 such deals close in a median 242 days: with
    them, all reps' median read 14.0 days against the covered leads' 13.0).
    """
    won = outcomes.filter(pl.col("won")).with_columns(
        pl.when(~_before_deals(outcomes)).then(pl.col("days_to_close")).alias("days_to_close")
    )
    return deals.join(
        won.select("lead_id", "origin", "first_contact_at", "days_to_close"),
        on="lead_id",
        how="left",
    )


def declared_median() -> pl.Expr:
    """declared_revenue: the median monthly revenue the won sellers declared, among the deals
    that declared one (above 0; most declare none); null where fewer than MIN_DECLARED did
    (Olist's Pet segment read 300,000 from 1 of its 30 deals). A median, not a sum: one
    seller's declared R$ 50M made Olist's SR 4ef15afb… 'R$ 50.2M'."""
    declared = pl.col("declared_monthly_revenue")
    said = declared.filter(declared > 0)
    return pl.when(said.len() >= MIN_DECLARED).then(said.median()).alias("declared_revenue")


def declaring() -> pl.Expr:
    """sellers_declaring: the deals that declared a monthly revenue (above 0), those
    declared_median is of."""
    return (pl.col("declared_monthly_revenue") > 0).sum().alias("sellers_declaring")


def deal_mix(closed: pl.DataFrame, column: str, sales: pl.DataFrame | None = None) -> pl.DataFrame:
    """Closed deals per value of a deal attribute (segment, lead type...), most first.

    One row per value (nulls shown as "unknown"): <column>, deals, share (0..1),
    median_days_to_close, declared_revenue (declared_median), sellers_declaring (declaring);
    with `sales` (from seller_sales) also selling_sellers and sales_revenue (_with_sales).
    """
    value = pl.col(column).fill_null(UNKNOWN)
    value = pl.when(value.str.strip_chars() == "").then(pl.lit(UNKNOWN)).otherwise(value)
    frame, sold = _with_sales(closed, sales)
    return (
        frame.group_by(value.alias(column))
        .agg(
            pl.len().alias("deals"),
            pl.col("days_to_close").median().alias("median_days_to_close"),
            declared_median(),
            declaring(),
            *sold,
        )
        .with_columns((pl.col("deals") / pl.col("deals").sum()).alias("share"))
        .sort(["deals", column], descending=[True, False])
        .select(
            column,
            "deals",
            "share",
            "median_days_to_close",
            "declared_revenue",
            "sellers_declaring",
            *[a.meta.output_name() for a in sold],
        )
    )


def _with_sales(
    deals: pl.DataFrame, sales: pl.DataFrame | None
) -> tuple[pl.DataFrame, list[pl.Expr]]:
    """`deals` with each won seller's sales after the win (`sales`: seller_sales) beside it, and
    what a group of them sold: selling_sellers (deals whose seller sold after the win) and
    sales_revenue (their net revenue after it); `deals` and no sums without `sales`."""
    if sales is None:
        return deals, []
    joined = deals.join(
        sales.select("seller_id", pl.col("revenue").alias("_sales")), on="seller_id", how="left"
    )
    return joined, [
        pl.col("_sales").is_not_null().sum().alias("selling_sellers"),
        pl.col("_sales").sum().alias("sales_revenue"),
    ]


def seller_sales(closed: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """Each won seller's actual marketplace sales after the deal.

    One row per seller_id with lines on or after its won_at: seller_id, orders, revenue (net)
    and days_to_first_sale (calendar days from the win to its first order line after it).
    """
    won = (
        closed.filter(pl.col("seller_id").is_not_null())
        .group_by("seller_id")
        .agg(pl.col("won_at").min())
    )
    return (
        lines.select("seller_id", "order_id", "ordered_at", "revenue")
        .join(won, on="seller_id", how="inner")
        .filter(pl.col("ordered_at") >= pl.col("won_at"))
        .group_by("seller_id")
        .agg(
            pl.col("order_id").n_unique().alias("orders"),
            pl.col("revenue").sum(),
            (pl.col("ordered_at").min().dt.date() - pl.col("won_at").first().dt.date())
            .dt.total_days()
            .alias("days_to_first_sale"),
        )
        .sort("seller_id")
    )


def rep_table(closed: pl.DataFrame, rep: str, sales: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per rep (sdr_id or sr_id): deals won and what they brought, most wins first.

    One row per rep: <rep>, deals, share (of all deals), median_days_to_close, days_low and
    days_high (its distribution-free 95% interval, _median_interval), typical_days (the median
    over every rep's deals, the same on each row), declared_revenue (declared_median),
    sellers_declaring (declaring); with `sales` (from seller_sales) also selling_sellers (won
    sellers with any sale after the win) and sales_revenue (their net revenue after the win).
    """
    frame, sold = _with_sales(closed.filter(pl.col(rep).is_not_null()), sales)
    aggs = [
        pl.len().alias("deals"),
        pl.col("days_to_close").median().alias("median_days_to_close"),
        declared_median(),
        declaring(),
        *sold,
    ]
    reps = _median_interval(frame.group_by(rep).agg(*aggs, *_days_sorted())).with_columns(
        (pl.col("deals") / pl.col("deals").sum()).alias("share"),
        pl.lit(frame["days_to_close"].median(), dtype=pl.Float64).alias("typical_days"),
    )
    return reps.sort(["deals", rep], descending=[True, False]).select(
        rep,
        "deals",
        "share",
        "median_days_to_close",
        "days_low",
        "days_high",
        "typical_days",
        *[a.meta.output_name() for a in aggs[2:]],
    )


def median_rank(n: int, level: float = 0.95) -> int | None:
    """The rank j (1-based) such that the j-th smallest and the j-th largest of n values bound a
    distribution-free interval of their median at `level` or more: the innermost such pair, whose
    chance of straddling the median, P(j <= B <= n - j) with B ~ Binomial(n, 1/2), is at least
    `level`. None when even the smallest and the largest fall short (below 6 values at 95%:
    those of 5 straddle it 93.75% of the time)."""
    tail = (1 - level) / 2
    log_pmf = -n * math.log(2)  # P(B = 0), in logs: 2^-n underflows beyond 1,074 values
    below = math.exp(log_pmf)  # P(B < j)
    if below > tail:
        return None
    j = 1
    while True:
        log_pmf += math.log((n - j + 1) / j)  # P(B = j)
        if below + math.exp(log_pmf) > tail:
            return j
        below += math.exp(log_pmf)
        j += 1


def interval_deals(level: float = 0.95) -> int:
    """The fewest values with an interval of their median at `level` (median_rank): 6 at 95%,
    at which the smallest and the largest bound it; 12 at 1 - 0.05 / 98."""
    return next(n for n in itertools.count(1) if median_rank(n, level) is not None)


# Deals with a time to close a rep needs for a 95% interval of their median; a route, whose
# interval is at the level of all the pairs compared (routing), needs more (_routing_deals).
INTERVAL_DEALS = interval_deals()


def _days_sorted() -> list[pl.Expr]:
    """Aggregations _median_interval reads: _timed (deals with a time to close) and _sorted
    (their days, ascending)."""
    days = pl.col("days_to_close")
    return [
        days.count().alias("_timed"),
        days.drop_nulls().sort().cast(pl.Float64).alias("_sorted"),
    ]


def _median_interval(groups: pl.DataFrame, level: float = 0.95) -> pl.DataFrame:
    """`groups` (aggregated with _days_sorted) with days_low and days_high, the distribution-free
    interval of their median days to close at `level` (95%: order statistics of median_rank;
    null below INTERVAL_DEALS deals with a time to close, more at a higher level), and without
    _timed and _sorted."""
    ranks = {n: median_rank(n, level) for n in groups["_timed"].unique()}
    rank = pl.col("_timed").replace_strict(ranks, return_dtype=pl.Int64)
    return groups.with_columns(
        pl.col("_sorted").list.get(rank - 1, null_on_oob=True).alias("days_low"),
        pl.col("_sorted").list.get(pl.col("_timed") - rank, null_on_oob=True).alias("days_high"),
    ).drop("_sorted")


def _family_bounds(closed: pl.DataFrame, keys: list[str], compared: int) -> pl.DataFrame:
    """Per group of `keys` (a rep, or a rep and a kind of lead) of `closed` deals: _low and
    _high, the distribution-free interval of their median days to close at 1 - 0.05 / compared
    (Bonferroni over the `compared` groups a reading judges at once: with one, their 95%
    interval), null with too few deals for it."""
    frame = closed.filter(pl.col(keys[0]).is_not_null())  # as rep_table and match_table
    if len(keys) > 1:
        frame = frame.with_columns(pl.col(keys[1:]).fill_null(UNKNOWN))
    level = 1 - stats.FAMILY / max(compared, 1)
    bounds = _median_interval(frame.group_by(keys).agg(_days_sorted()), level)
    return bounds.select(
        *keys, pl.col("days_low").alias("_low"), pl.col("days_high").alias("_high")
    )


def match_table(
    closed: pl.DataFrame, rep: str, attribute: str, min_count: int = MIN_COUNT
) -> pl.DataFrame:
    """Rep x attribute cells (e.g. SR x lead type): what each rep wins of each kind and how fast.

    One row per (rep, attribute value) with deals: <rep>, <attribute>, deals, share_of_rep (of
    the rep's wins), median_days_to_close, days_low and days_high (the distribution-free 95%
    interval of that median: the order statistics of `median_rank`; null below INTERVAL_DEALS
    deals with a time to close), typical_days (median over every rep's deals of that value),
    speed (typical_days / median_days_to_close: above 1 is faster than usual; null where the
    rep's median is 0 days, closed the same day, which no ratio measures),
    declared_revenue, sellers_declaring (declaring), enough (at least min_count deals with a
    time to close, those the median is of: smaller cells are too small to judge; a deal dated
    before its first contact has none).
    """
    frame = closed.filter(pl.col(rep).is_not_null()).with_columns(
        pl.col(attribute).fill_null(UNKNOWN)
    )
    typical = frame.group_by(attribute).agg(pl.col("days_to_close").median().alias("typical_days"))
    cells = frame.group_by(rep, attribute).agg(
        pl.len().alias("deals"),
        pl.col("days_to_close").median().alias("median_days_to_close"),
        *_days_sorted(),
        declared_median(),
        declaring(),
    )
    return (
        _median_interval(cells)
        .with_columns((pl.col("deals") / pl.col("deals").sum().over(rep)).alias("share_of_rep"))
        .join(typical, on=attribute, how="left")
        .with_columns(
            pl.when(pl.col("median_days_to_close") > 0)
            .then(pl.col("typical_days") / pl.col("median_days_to_close"))
            .alias("speed"),
            (pl.col("_timed") >= min_count).alias("enough"),
        )
        .sort([rep, "deals", attribute], descending=[False, True, False])
        .select(
            rep,
            attribute,
            "deals",
            "share_of_rep",
            "median_days_to_close",
            "days_low",
            "days_high",
            "typical_days",
            "speed",
            "declared_revenue",
            "sellers_declaring",
            "enough",
        )
    )


# Routing verdicts, in the order the routing table lists them: only ROUTE is a recommendation.
ROUTE = "route: faster beyond chance"
WITHIN_CHANCE = "faster, within chance"
NOT_FASTER = "not a day faster"
ONE_REP = "one rep compared"
CATCH_ALL = "catch-all: no advice"
TOO_FEW = "no rep with enough deals"
VERDICTS = (ROUTE, WITHIN_CHANCE, NOT_FASTER, ONE_REP, CATCH_ALL, TOO_FEW)


def routing(matches: dict[str, pl.DataFrame], closed: pl.DataFrame) -> pl.DataFrame:
    """Which rep to route each lead type (SR) and segment (SDR) to, where the data supports it.

    `matches` maps rep column -> its match_table of the `closed` deals. A route is recommended
    (verdict ROUTE) only where at least two reps have enough deals of that kind (`enough`), the
    kind is one to route (`actionable`: not Unknown, Other...), and the rep is faster beyond
    chance: their median days to close is at least MIN_GAIN below all reps' median
    (typical_days: routing to a rep no faster gains nothing) and their distribution-free
    interval of it lies wholly below typical_days too, at a level that keeps chance from
    routing to any of the m (rep, kind) pairs judged more than 5% of the time (Bonferroni:
    1 - 0.05 / m; m: the pairs with enough deals on kinds that can be routed, both roles
    together, as the table lists them together; order statistics bounded by the binomial, so
    that a wider level needs more deals). The table's days_low..days_high stay each pair's own
    95% interval. The rep routed to is the fastest of those; elsewhere route_to is the fastest
    rep with enough deals, and the verdict says why there is no route (WITHIN_CHANCE: faster,
    but the interval reaches all reps' median, or only its own 95% interval clears it). The
    rep to avoid is the slowest whose interval at that level lies wholly above all reps'
    median, on kinds with two reps or more that can be routed; null elsewhere.

    One row per (rep role, value) with deals, TOO_FEW where no rep has enough of them (its rep
    columns null, reps_judged 0): role, dimension, value, verdict (VERDICTS), route_to, deals,
    median_days, days_low, days_high, typical_days, avoid, avoid_median_days, reps_judged,
    as_fast (other reps as fast and with the same verdict, comma-separated; null when none),
    recommended (verdict is ROUTE), evidence (a sentence).
    """
    gained = pl.col("median_days_to_close") <= pl.col("typical_days") - MIN_GAIN
    advised = (pl.col("reps_judged") >= 2) & actionable("_kind")
    judged_by = {
        rep: table.filter(pl.col("enough") & pl.col("median_days_to_close").is_not_null())
        .with_columns(pl.len().over(MATCHES[rep][0]).alias("reps_judged"))
        .with_columns(pl.col(MATCHES[rep][0]).alias("_kind"))
        for rep, table in matches.items()
    }
    compared = sum(t.filter(advised).height for t in judged_by.values())
    frames = []
    for rep, table in matches.items():
        attribute = MATCHES[rep][0]
        keys = [rep, attribute]
        judged = (
            judged_by[rep]
            .join(_family_bounds(closed, keys, compared), on=keys, how="left")
            .with_columns(
                (gained & (pl.col("_high") < pl.col("typical_days")))
                .fill_null(False)
                .alias("_faster"),
                (pl.col("_low") > pl.col("typical_days")).fill_null(False).alias("_slower"),
            )
        )
        # Where a route is supported, the reps faster beyond chance are the only candidates: a
        # quicker median from too few deals does not outrank them.
        routable = (pl.col("_faster") & advised).any().over(attribute)
        candidates = judged.filter(~routable | pl.col("_faster"))
        order = ["median_days_to_close", "deals", rep]
        best = (
            candidates.sort(order, descending=[False, True, False])
            .group_by(attribute, maintain_order=True)
            .first()
        )
        worst = (
            judged.filter(pl.col("_slower") & advised)
            .sort(order, descending=[True, True, False])
            .group_by(attribute, maintain_order=True)
            .first()
        )
        # Other candidates as fast as the one named (the same median): named, not passed over.
        fastest = best.select(
            attribute, pl.col(rep).alias("_best"), pl.col("median_days_to_close").alias("_days")
        )
        tied = (
            candidates.join(fastest, on=attribute)
            .filter(
                (pl.col("median_days_to_close") == pl.col("_days"))
                & (pl.col(rep) != pl.col("_best"))
            )
            .sort(rep)
            .group_by(pl.col(attribute).alias("value"))
            .agg(pl.col(rep).str.join(", ").alias("as_fast"))
        )
        kinds = table.group_by(pl.col(attribute).alias("value")).agg(pl.col("typical_days").first())
        frames.append(
            kinds.with_columns(
                pl.lit(rep.removesuffix("_id").upper()).alias("role"),
                pl.lit(DEAL_ATTRIBUTES[attribute].lower()).alias("dimension"),
            )
            .join(
                best.select(
                    pl.col(attribute).alias("value"),
                    pl.col(rep).alias("route_to"),
                    "deals",
                    pl.col("median_days_to_close").alias("median_days"),
                    "days_low",
                    "days_high",
                    "reps_judged",
                    "_faster",
                ),
                on="value",
                how="left",
            )
            .join(
                worst.select(
                    pl.col(attribute).alias("value"),
                    pl.col(rep).alias("avoid"),
                    pl.col("median_days_to_close").alias("avoid_median_days"),
                ),
                on="value",
                how="left",
            )
            .join(tied, on="value", how="left")
        )
    columns = {
        "role": pl.String,
        "dimension": pl.String,
        "value": pl.String,
        "verdict": pl.String,
        "route_to": pl.String,
        "deals": pl.UInt32,
        "median_days": pl.Float64,
        "days_low": pl.Float64,
        "days_high": pl.Float64,
        "typical_days": pl.Float64,
        "avoid": pl.String,
        "avoid_median_days": pl.Float64,
        "reps_judged": pl.UInt32,
        "as_fast": pl.String,
        "recommended": pl.Boolean,
        "evidence": pl.String,
    }
    if not frames:
        return pl.DataFrame(schema=columns)
    verdict = (
        pl.when(~actionable("value"))
        .then(pl.lit(CATCH_ALL))
        .when(pl.col("route_to").is_null())
        .then(pl.lit(TOO_FEW))
        .when(pl.col("reps_judged") < 2)
        .then(pl.lit(ONE_REP))
        .when(pl.col("median_days") > pl.col("typical_days") - MIN_GAIN)
        .then(pl.lit(NOT_FASTER))
        .when(pl.col("_faster"))
        .then(pl.lit(ROUTE))
        .otherwise(pl.lit(WITHIN_CHANCE))
    )
    out = pl.concat(frames, how="diagonal_relaxed").with_columns(
        verdict.alias("verdict"), pl.col("reps_judged").fill_null(0)
    )
    days, typical = pl.col("median_days").round(1), pl.col("typical_days").round(1)
    low, high = pl.col("days_low").round(1), pl.col("days_high").round(1)
    said = pl.col("verdict")
    what = "rep and kind pairs"
    routed = pl.format(
        "{} closed {} {} deals in a median {} days, 95% interval {}–{}, wholly below the {} days "
        "of all reps, {}",
        "route_to",
        "deals",
        "value",
        days,
        low,
        high,
        typical,
        pl.lit(f"beyond chance{stats.across(compared, what)}"),
    )
    faster = pl.format(
        "{} closed {} {} deals in a median {} days against {} for all reps",
        "route_to",
        "deals",
        "value",
        days,
        typical,
    )
    evidence = (
        pl.when((said == ROUTE) & pl.col("avoid").is_not_null())
        .then(
            pl.format(
                "{}; slower beyond chance: {} ({} days)",
                routed,
                "avoid",
                pl.col("avoid_median_days").round(1),
            )
        )
        .when(said == ROUTE)
        .then(routed)
        .when((said == WITHIN_CHANCE) & (pl.col("days_high") < pl.col("typical_days")))
        .then(
            pl.format(
                "{}, and the 95% interval of that median ({}–{} days) lies below it, but {}: "
                "faster within chance",
                faster,
                low,
                high,
                pl.lit(stats.expected(compared, what)),
            )
        )
        .when((said == WITHIN_CHANCE) & pl.col("days_high").is_not_null())
        .then(
            pl.format(
                "{}, but the 95% interval of that median ({}–{} days) reaches it: faster within "
                "chance",
                faster,
                low,
                high,
            )
        )
        .when(said == WITHIN_CHANCE)
        .then(
            pl.format(
                "{}, but a 95% interval of a median needs {} deals with a time to close: faster "
                "within chance",
                faster,
                pl.lit(INTERVAL_DEALS),
            )
        )
        .when(said == NOT_FASTER)
        .then(
            pl.format(
                "{}, the fastest rep with enough {} deals ({} deals, median {} days), is not a "
                "day faster than all reps ({} days)",
                "route_to",
                "value",
                "deals",
                days,
                typical,
            )
        )
        .when(said == ONE_REP)
        .then(
            pl.format(
                "only {} has enough {} deals to judge ({} deals in a median {} days vs {} days "
                "for all reps): no other rep to compare with",
                "route_to",
                "value",
                "deals",
                days,
                typical,
            )
        )
        .when((said == CATCH_ALL) & pl.col("route_to").is_not_null())
        .then(
            pl.format(
                "{} is a catch-all, not a kind of lead to route: {} is the fastest on it ({} "
                "deals in a median {} days vs {} days for all reps)",
                "value",
                "route_to",
                "deals",
                days,
                typical,
            )
        )
        .when(said == CATCH_ALL)
        .then(pl.format("{} is a catch-all, not a kind of lead to route", "value"))
        .otherwise(pl.format("no rep has enough {} deals with a time to close to judge", "value"))
    )
    return (
        out.with_columns((said == ROUTE).alias("recommended"), evidence.alias("evidence"))
        .cast(columns)
        .select(list(columns))
        .sort(  # ties by name: the same order on every run
            [pl.col("role"), pl.col("verdict").cast(pl.Enum(VERDICTS)), "deals", "value"],
            descending=[True, False, True, False],
            nulls_last=True,
        )
    )


def funnel_findings(ds: Dataset) -> list[quality.Finding]:
    """The anomaly report's funnel rules (deals won before first contact, unknown origins, deals
    whose lead is not in the leads table) on the leads and deals of `ds`, as lib.quality
    computes them."""
    tables = {t: ds.tables[t] for t in ("leads", "deals") if t in ds.tables}
    sub = Dataset(name=ds.name, source_format=ds.source_format, tables=tables)
    return [f for f in quality.report(sub).findings if f.rule in FUNNEL_RULES]


def notes(ds: Dataset, **_: object) -> list[str]:
    """What the headless tables leave out, said beside them (the CLI: on stderr): the leads of
    months before the deals file starts (coverage_note), as the page and the report say it."""
    if not (ds.has("leads") and ds.has("deals")):
        return []
    note = coverage_note(lead_cohorts(lead_outcomes(ds.tables["leads"], ds.tables["deals"])))
    return [note] if note else []


def headless(ds: Dataset, *, top: int = TOP, min_count: int = MIN_COUNT) -> dict[str, pl.DataFrame]:
    """The Seller funnel page's tables: overall, by_origin, by_landing_page (top N + pooled),
    cohorts, days_to_close (by origin), reps_sdr, reps_sr, sr_by_lead_type, sdr_by_segment,
    routing, and with order lines naming sellers seller_sales (seller_sales). Conversion and
    days to close count the `covered` leads, the cohorts every month, the rep views every deal
    (timed only on the covered leads' deals: closed_deals).
    Raises ValueError naming the missing table."""
    if not ds.has("leads"):
        raise ValueError(MISSING_LEADS)
    if not ds.has("deals"):
        raise ValueError(MISSING_DEALS)
    outcomes = lead_outcomes(ds.tables["leads"], ds.tables["deals"])
    judged = covered(outcomes)
    closed = closed_deals(outcomes, ds.tables["deals"])
    sales = seller_sales(closed, ds.tables["lines"]) if ds.has("lines", "seller_id") else None
    matches = {rep: match_table(closed, rep, MATCHES[rep][0], min_count) for rep in MATCHES}
    sold = {} if sales is None else {"seller_sales": sales}
    return sold | {
        "overall": overall_conversion(judged),
        "by_origin": conversion_by(judged, "origin"),
        "by_landing_page": conversion_by(judged, "landing_page", top),
        "cohorts": lead_cohorts(outcomes),
        "days_to_close": days_to_close_by(judged, "origin"),
        "reps_sdr": rep_table(closed, "sdr_id", sales),
        "reps_sr": rep_table(closed, "sr_id", sales),
        "sr_by_lead_type": matches["sr_id"],
        "sdr_by_segment": matches["sdr_id"],
        "routing": routing(matches, closed),
    }


def name(value: object) -> str:
    """A group or rep as a reading names it: hash ids shortened ('4ef15afb…'), None as '—',
    other values in words as the tables show them ('Online big', fmt.value_words), Markdown
    escaped (names come from the data and must show as themselves)."""
    if value is None or fmt.is_hash(value):
        return fmt.plain(fmt.short_id(value))
    return fmt.named(fmt.value_words(value))


def actionable(column: str) -> pl.Expr:
    """True for a group budget can be moved to or from: not unknown, empty, pooled or "other"
    (a lead whose source is unknown, or a catch-all, is no channel to fund or cut)."""
    value = pl.col(column).cast(pl.String)
    lowered = value.str.to_lowercase()
    return (
        value.is_not_null()
        & ~lowered.is_in([UNKNOWN, NO_ORIGIN, OTHER_PAGES, "other", ""])
        & ~lowered.str.starts_with("other_")
    ).fill_null(False)


def _each(rows: pl.DataFrame, by: str, most: int = 3) -> str:
    """Values of `by` with their conversion: 'A (20.3% of 330 leads), B (19.7% of 883) and 2
    more'."""
    said = [
        f"{name(r[by])} ({fmt.pct(r['conversion'])} of {r['leads']:,}{' leads' if i == 0 else ''})"
        for i, r in enumerate(rows.iter_rows(named=True))
    ]
    return fmt.listed(said, most=most)


def known_origins(outcomes: pl.DataFrame, by: str) -> pl.DataFrame:
    """conversion_by of `by` (every value) over the leads of an origin budget can move to or
    from (`actionable`): what conversion_reading reads a landing page's lift by, apart from
    leads of no known origin (Olist's unknown origin converts 20.3%, on every page)."""
    return conversion_by(outcomes.filter(actionable("origin")), by)


def _lift_of_unknowns(above: pl.DataFrame, known: pl.DataFrame, by: str) -> pl.DataFrame:
    """Those of `above` (values above the average beyond chance) with leads of no known origin
    whose leads of a known origin (`known`: known_origins) do not convert above the known
    origins' average beyond chance, across those values (stats.family of their own exact
    binomial z): their lift may be their leads' origins, not them. With known_leads,
    known_conversion, known_low, known_high, known_average and known_below (below that average
    beyond chance); a value with no lead of a known origin has known_leads 0, the rest null."""
    average = known["deals"].sum() / max(known["leads"].sum(), 1)
    mine = known.select(
        by,
        pl.col("leads").alias("known_leads"),
        pl.col("deals").alias("known_deals"),
        pl.col("conversion").alias("known_conversion"),
        pl.col("conversion_low").alias("known_low"),
        pl.col("conversion_high").alias("known_high"),
    )
    mixed = (
        above.join(mine, on=by, how="left")
        .with_columns(pl.col("known_leads", "known_deals").fill_null(0))
        .filter(pl.col("known_leads") < pl.col("leads"))
        .with_columns(stats.share_z("known_deals", "known_leads", average).alias("_kz"))
    )
    found = stats.family(mixed["_kz"])
    beyond = found.beyond(pl.col("_kz"))
    return mixed.filter(~(beyond & (pl.col("_kz") > 0))).with_columns(
        pl.lit(average).alias("known_average"),
        (beyond & (pl.col("_kz") < 0)).alias("known_below"),
    )


def conversion_reading(
    table: pl.DataFrame,
    by: str,
    overall: float,
    min_leads: int = MIN_LEADS,
    known: pl.DataFrame | None = None,
) -> str:
    """One sentence on the values of `by` that convert above and below the overall rate beyond
    chance across the m compared (m: the values that can be acted on, `actionable`, with at
    least `min_leads` leads; each by the exact binomial tail of its conversion against `overall`,
    stats.family); or that no such value differs clearly, and which one's own 95% interval
    clears the overall rate though, with m compared, chance puts one that far out. An unknown
    or catch-all group that stands out is named only as a gap in the data, never as a place
    for budget. With `known` (known_origins of landing pages), a value above whose leads of a
    known origin do not convert above those leads' average beyond chance (_lift_of_unknowns)
    gets no budget either: its lift may be its leads of no known origin (Olist's b76ef374…,
    551 of whose 768 leads are of unknown origin, keeps its budget: its 212 leads of a known
    origin convert 17.5% against 11.7%, beyond chance)."""
    enough = pl.col("leads") >= min_leads
    judged = table.filter(actionable(by) & enough).with_columns(
        stats.share_z("deals", "leads", overall).alias("_z")
    )
    label = by.replace("_", " ")
    rows = fmt.plural_of(label)
    if table["leads"].sum() == 0:
        return "No leads to compare."
    if judged.height == 0:
        return (
            f"No {label} has {fmt.counted(min_leads, 'lead')} or more yet: too few to tell which "
            "converts better, so there is no evidence to move budget yet."
        )
    found = stats.family(judged["_z"])
    beyond = found.beyond(pl.col("_z"))
    above = judged.filter(beyond & (pl.col("_z") > 0)).sort("conversion", descending=True)
    below = judged.filter(beyond & (pl.col("_z") < 0)).sort("conversion")
    mixed = above[:0] if known is None else _lift_of_unknowns(above, known, by)
    above = above.filter(~pl.col(by).is_in(mixed[by].implode()))
    chance = judged.filter(
        ~beyond & ((pl.col("conversion_low") > overall) | (pl.col("conversion_high") < overall))
    ).sort("leads", descending=True)
    held = f"beyond chance{stats.across(found.compared, rows)}"
    # The average written once, with as many decimals as the intervals read against it need
    # (the audit's "above the 12.8% average ... clear the 12.78% average").
    digits = max(
        (
            stats.interval_digits(r["conversion_low"], r["conversion_high"], overall)
            for r in chance.iter_rows(named=True)
        ),
        default=1,
    )
    average = f"the {fmt.pct(overall, digits)} average"
    parts: list[str] = []
    if above.height == 1:
        r = above.row(0, named=True)
        parts.append(
            f"{name(r[by])} converts {fmt.pct(r['conversion'])} of {r['leads']:,} leads "
            f"(95% interval {fmt.pct(r['conversion_low'])}–{fmt.pct(r['conversion_high'])}), "
            f"clearly above {average}, {held}: put more budget there"
        )
    elif above.height:  # every one above is named: the highest of them is no clear winner
        parts.append(
            f"{_each(above, by)} convert clearly above {average}, {held}: put more budget there"
        )
    for r in mixed.iter_rows(named=True):
        unknown, mine = r["leads"] - r["known_leads"], r["known_leads"]
        lift = f"{name(r[by])} converts {fmt.pct(r['conversion'])} of {r['leads']:,} leads, "
        lift += f"clearly above {average}, {held}, but "
        if mine:
            interval = stats.interval_text(r["known_low"], r["known_high"], r["known_average"])
            side = "below it beyond chance" if r["known_below"] else "not above it beyond chance"
            lift += (
                f"{unknown:,} of them are of no known origin: its "
                f"{fmt.counted(mine, 'lead')} of a known origin "
                f"{fmt.plural(mine, 'converts', 'convert')} {fmt.pct(r['known_conversion'])} "
                f"(95% interval {interval}) against {fmt.pct(r['known_average'])} for all such "
                f"leads, {side}, so its lift may be its leads' origins"
            )
        else:
            lift += "none of them is of a known origin, so its lift may be its leads' origins"
        parts.append(lift + ": record where they come from before funding it")
    if below.height == 1:
        r = below.row(0, named=True)
        parts.append(
            f"{name(r[by])} converts only {fmt.pct(r['conversion'])} of {r['leads']:,} leads, "
            f"clearly below average, {held}: review its targeting before spending more"
        )
    elif below.height:
        parts.append(
            f"{_each(below, by)} convert clearly below average, {held}: review their targeting "
            "before spending more"
        )
    if chance.height:
        own = [
            f"{name(r[by])} "
            f"({stats.interval_text(r['conversion_low'], r['conversion_high'], overall)})"
            for r in chance.iter_rows(named=True)
        ]
        clear = (
            f"the 95% interval of {own[0]} clears"
            if len(own) == 1
            else f"the 95% intervals of {fmt.listed(own, most=3)} clear"
        )
        parts.append(
            f"{'no other' if parts else 'no'} {label} converts clearly better or worse: {clear} "
            f"{average}, but "
            f"{stats.expected_among(found, rows, chance.height)}"
            ", so there is no evidence to move budget yet"
        )
    if not parts:
        parts.append(
            f"No {label} with at least {fmt.counted(min_leads, 'lead')} converts clearly better "
            f"or worse than {average}: every 95% interval overlaps it, so there is no evidence "
            "to move budget yet"
        )
    gaps = table.filter(~actionable(by) & enough & pl.col(by).is_in([UNKNOWN, NO_ORIGIN])).filter(
        (pl.col("conversion_low") > overall) | (pl.col("conversion_high") < overall)
    )
    if gaps.height:
        r = gaps.sort("leads", descending=True).row(0, named=True)
        side = "above" if r["conversion_low"] > overall else "below"
        who = f"with no {label}" if r[by] == NO_ORIGIN else f"of {name(r[by])} {label}"
        parts.append(
            f"leads {who} ({r['leads']:,}) convert {fmt.pct(r['conversion'])}, clearly {side} "
            "average, but that is no channel to fund: record where they come from"
        )
    return "; ".join(parts) + "."


def before_deals(cohorts: pl.DataFrame) -> pl.DataFrame:
    """The lead_cohorts months before the deals file starts (`before_deals`): their deals are
    not in the data, so no reading or chart judges them; none without that column."""
    return cohorts.filter("before_deals") if "before_deals" in cohorts.columns else cohorts[:0]


def coverage_note(cohorts: pl.DataFrame) -> str:
    """What the lead_cohorts months before the deals file starts leave out of conversion and
    days to close (`covered`), and what the deal and rep views still count; empty when no month
    is left out."""
    early = before_deals(cohorts)
    if early.height == 0:
        return ""
    rest = cohorts.filter(~pl.col("before_deals"))
    since = f" from {rest['month'].min():%b %Y}, when the deals start" if rest.height else ""
    deals = early["deals"].sum()
    return (
        f"Conversion and days to close count the {fmt.counted(rest['leads'].sum(), 'lead')} "
        f"first contacted{since}. The {fmt.counted(early['leads'].sum(), 'lead')} of "
        f"{_months(early)} are left out: the deals they closed before the file starts are not "
        "in it, so they would read as lost."
        + (
            f" The deal, rep and matching views count every deal, {deals:,} of them from those "
            "leads, but time none of those: only their late closes are in the file."
            if deals
            else ""
        )
    )


def cohort_reading(
    cohorts: pl.DataFrame, typical_days: float | None, min_leads: int = MIN_LEADS
) -> str:
    """One sentence on the best and weakest monthly cohorts, among months observed long enough
    (twice the typical close time) with at least `min_leads` leads (m: those months); a month
    is named only when its conversion clears the pooled rate of those months beyond chance
    across the m compared (the exact binomial tail, stats.family), every such month after the
    best or the weakest (Olist's May 2018 after Dec 2017, the month the deals file starts in,
    whose weakness may be the file's), and one whose own 95% interval
    clears it though chance puts one that far out among m is said so."""
    if cohorts.height == 0:
        return "No leads to group by month."
    early = before_deals(cohorts)
    cohorts = cohorts.filter(~pl.col("before_deals")) if early.height else cohorts
    wait = typical_days or 0
    mature = cohorts.filter(pl.col("observed_days") >= 2 * wait) if wait else cohorts
    young = cohorts.height - mature.height
    small = mature.filter(pl.col("leads") < min_leads)
    judged = mature.filter(pl.col("leads") >= min_leads)
    missing = (
        f" Months before the first deal in the data ({_months(early)}) are left out: the deals "
        "start months after the leads, so the deals those months closed earlier are not in "
        "the file."
        if early.height
        else ""
    )
    if judged.height < 2:
        return (
            "Too few months have been observed long enough with at least "
            f"{fmt.counted(min_leads, 'lead')} to "
            "compare cohorts." + missing
        )
    rate = judged["deals"].sum() / judged["leads"].sum()
    judged = judged.with_columns(stats.share_z("deals", "leads", rate).alias("_z"))
    found = stats.family(judged["_z"])
    beyond = found.beyond(pl.col("_z"))
    best = judged.filter(beyond & (pl.col("_z") > 0)).sort("conversion", descending=True)
    worst = judged.filter(beyond & (pl.col("_z") < 0)).sort("conversion")
    own = (pl.col("conversion_low") > rate) | (pl.col("conversion_high") < rate)
    chance = judged.filter(~beyond & own).sort((pl.col("_z")).abs(), descending=True)
    parts = []
    # A month converting more (or less) than those named, within chance, is said so.
    ranked = judged.sort("conversion", "leads", descending=True)

    def apart(named: pl.DataFrame, edge: dict) -> str:
        if edge["month"] in named["month"].to_list():
            return ""
        return (
            f" ({edge['month']:%b %Y}'s {fmt.pct(edge['conversion'])} of "
            f"{edge['leads']:,} is within chance)"
        )

    def others(named: pl.DataFrame) -> str:
        """The other months beyond chance on the same side, as the first is said (", and May
        2018, 10.0% of 1,303"; ", Feb ..., Mar ..., and Apr ..." for more)."""
        said = [
            f"{m:%b %Y}, {fmt.pct(c)} of {n:,}"
            for m, c, n in named[1:].select("month", "conversion", "leads").rows()
        ]
        return "".join(f", {s}" for s in said[:-1]) + (f", and {said[-1]}" if said else "")

    if best.height == 1:
        r = best.row(0, named=True)
        parts.append(
            f"the best cohort, {r['month']:%b %Y}, converted {fmt.pct(r['conversion'])} of its "
            f"{r['leads']:,} leads{apart(best, ranked.row(0, named=True))}"
        )
    elif best.height:
        r = best.row(0, named=True)
        parts.append(
            f"the best cohorts, {r['month']:%b %Y}, {fmt.pct(r['conversion'])} of "
            f"{r['leads']:,}{others(best)}{apart(best, ranked.row(0, named=True))}"
        )
    if worst.height:
        r = worst.row(0, named=True)
        # The first month kept where the deals start after the leads: the file may hold only
        # some of its deals (Olist's Dec 2017: 3 deals won that month, then none until 8 Jan).
        start = early.height and r["month"] == cohorts["month"].min()
        parts.append(
            f"the weakest{' cohorts' if worst.height > 1 else ''}, {r['month']:%b %Y}, "
            f"{fmt.pct(r['conversion'])} of {r['leads']:,}"
            + (
                " (the month the deals file starts in: some of its deals may be missing from "
                "the file rather than its leads weak)"
                if start
                else ""
            )
            + others(worst)
            + apart(worst, ranked.row(-1, named=True))
        )
    if parts:
        text = (
            "; ".join(parts) + f", against {fmt.pct(rate)} over the {judged.height} months "
            "compared, beyond chance"
        )
    elif chance.height:
        r = chance.row(0, named=True)
        digits = stats.interval_digits(r["conversion_low"], r["conversion_high"], rate)
        text = (
            f"no month converts clearly better or worse than the {fmt.pct(rate, digits)} of the "
            f"{judged.height} months compared: {r['month']:%b %Y}'s 95% interval "
            f"({stats.interval_text(r['conversion_low'], r['conversion_high'], rate)}) clears "
            f"it, but {stats.expected_among(found, 'months')}"
        )
    else:
        text = (
            f"no month converts clearly better or worse than the {fmt.pct(rate)} of the "
            f"{judged.height} months compared: every 95% interval overlaps it"
        )
    text = text[:1].upper() + text[1:]
    if small.height:
        listed = ", ".join(f"{m:%b %Y} ({n:,})" for m, n in small.select("month", "leads").rows())
        text += f". Months with fewer than {min_leads} leads are too small to judge: {listed}"
    if young:
        last = fmt.plural(young, "month is", f"{young} months are")
        recent = cohorts.filter(pl.col("observed_days") < 2 * wait)
        lower = recent["deals"].sum() < rate * recent["leads"].sum()
        their = fmt.plural(young, "its", "their")
        text += (
            f". The last {last} younger than twice the median close time and "
            f"{fmt.plural(young, 'is', 'are')} still filling up, so "
            + (
                f"do not read {their} lower rate as a decline"
                if lower
                else f"{their} rate can only rise from here"
            )
        )
    return text + "." + missing


def _months(cohorts: pl.DataFrame) -> str:
    """The months of `cohorts` as a span: 'Jun 2017 to Nov 2017', or one month."""
    first, last = cohorts["month"].min(), cohorts["month"].max()
    return f"{first:%b %Y}" if first == last else f"{first:%b %Y} to {last:%b %Y}"


def days_reading(days: pl.DataFrame, outcomes: pl.DataFrame) -> str:
    """One sentence on the typical close time, and the fastest and slowest origins (of
    days_to_close_by over `outcomes`) among the m with MIN_NAMED deals or more that are
    channels: named only beyond chance across them, the distribution-free interval of their
    median days wholly below or above all deals' median at 1 - 0.05 / m, as rep_reading
    judges reps; the slowest then gets its follow-up advice."""
    if days.height == 0 or days["deals"][0] == 0:
        return "No deal has a valid close time."
    by = days.columns[0]
    total = days.row(0, named=True)
    # Nine in ten within the 90th percentile is true however the close times tie ("one in ten
    # takes over" it was not, of ten deals all closed in 14 days).
    text = (
        f"Half of the deals close within {total['median_days']:.0f} days of first contact and "
        f"nine in ten within {total['p90_days']:.0f}"
    )
    if total["deals"] < MIN_NAMED:
        text += f" (from {fmt.counted(total['deals'], 'deal')} only: a rough guide)"
    groups = days.slice(1).filter((pl.col("deals") >= MIN_NAMED) & actionable(by))
    if groups.height < 2:
        return text + "."
    typical = total["median_days"]
    won = outcomes.filter(pl.col("days_to_close").is_not_null())
    own = _family_bounds(won, [by], 1).rename({"_low": "_own_low", "_high": "_own_high"})
    groups = groups.join(_family_bounds(won, [by], groups.height), on=by, how="left").join(
        own, on=by, how="left"
    )
    fast = groups.filter(pl.col("_high") < typical).sort("median_days")
    slow = groups.filter(pl.col("_low") > typical).sort("median_days", descending=True)
    chance = groups.filter(
        ((pl.col("_own_high") < typical) | (pl.col("_own_low") > typical))
        & ~((pl.col("_high") < typical) | (pl.col("_low") > typical)).fill_null(False)
    )
    text += f"; among the {groups.height} origins with {MIN_NAMED} deals or more, "
    held = f"than all deals beyond chance{stats.across(groups.height, 'origins')}"

    def said(row: dict) -> str:
        return f"{name(row[by])} leads (median {fmt.number(row['median_days'])} days)"

    if fast.height and slow.height:
        text += (
            f"{said(fast.row(0, named=True))} close faster and {said(slow.row(0, named=True))} "
            f"slower {held}: follow up {name(slow[by][0])} leads sooner"
        )
    elif slow.height:
        text += f"{said(slow.row(0, named=True))} close slower {held}: follow them up sooner"
    elif fast.height:
        text += f"{said(fast.row(0, named=True))} close faster {held}"
    else:
        text += f"none closes faster or slower {held}"
    if chance.height:
        named = fmt.listed([name(r[by]) for r in chance.iter_rows(named=True)], most=3)
        clear = "its 95% interval clears" if chance.height == 1 else "their 95% intervals clear"
        text += (
            f" ({named}: {clear} all deals' median, but "
            f"{stats.expected(groups.height, 'origins', named=chance.height)})"
        )
    return text + "."


def sales_reading(
    closed: pl.DataFrame, sales: pl.DataFrame, last_order: datetime | None, currency: str = ""
) -> str:
    """How many of the sellers won before the last order line loaded (`last_order`) sold after
    their win in the orders loaded (`sales`: seller_sales), for how much, and how soon the
    median one first appears there: lower bounds where the orders are a part of the
    marketplace's (orders not loaded can only add sales and bring a first sale earlier)."""
    won = (
        closed.filter(pl.col("seller_id").is_not_null())
        .group_by("seller_id")
        .agg(pl.col("won_at").min())
    )
    if won.height == 0:
        return "No closed deal names its seller, so no sale can be traced to a deal."
    if last_order is None:
        return "No order line has a date, so no sale can be traced to a deal."
    judged = won.filter(pl.col("won_at") <= last_order).height
    day = fmt.day(last_order)
    late = won.height - judged
    left = (
        f"; the {fmt.counted(late, 'seller')} won after {day} {fmt.plural(late, 'is', 'are')} "
        "left out"
        if late
        else ""
    )
    if judged == 0:
        return (
            f"Every won seller was won after the last order line loaded ({day}): the orders "
            "cannot show their sales."
        )
    if sales.height == 0:
        return (
            f"None of the {fmt.counted(judged, 'seller')} won before the last order line "
            f"loaded ({day}) sold after the win in the orders loaded{left}: load the orders of "
            "the months after the deals."
        )
    days = sales["days_to_first_sale"].median()
    return (
        f"In the orders loaded, {sales.height:,} of the {fmt.counted(judged, 'seller')} won "
        f"before their last line ({day}) sold after the win ({fmt.pct(sales.height / judged)}), "
        f"{fmt.money(sales['revenue'].sum(), currency)} net in all; the median one first appears "
        f"{fmt.counted(round(days), 'day')} after the win. Orders not loaded can only add sellers "
        f"and sales and bring a first sale earlier{left}."
    )


def mix_reading(mix: pl.DataFrame, column: str) -> str:
    """One sentence on the largest group of closed deals."""
    if mix.height == 0:
        return "No closed deals."
    top = mix.row(0, named=True)
    label = DEAL_ATTRIBUTES.get(column, column).lower()
    tied = mix.filter(pl.col("deals") == top["deals"])
    text = (
        f"{name(top[column])} is the most common {label} among won sellers: "
        f"{fmt.pct(top['share'])} of deals"
        if tied.height == 1
        else f"{fmt.listed([name(v) for v in tied[column]], most=4)} tie as the most common "
        f"{fmt.plural_of(label)} among won sellers: {fmt.pct(top['share'])} of deals each"
    )
    unknown = mix.filter(pl.col(column) == UNKNOWN)
    if unknown.height and top[column] != UNKNOWN:
        text += f"; {fmt.pct(unknown['share'][0])} have no {label} recorded"
    return text + " (closed deals only: these shares say who was won, not who converts best)."


def rep_reading(
    reps: pl.DataFrame, rep: str, min_count: int = MIN_COUNT, *, closed: pl.DataFrame
) -> str:
    """One sentence naming the rep with most wins and the fastest and slowest reps beyond
    chance across the m compared (m: the reps with max(min_count, MIN_NAMED) deals or more):
    the distribution-free interval of their median days (of their `closed` deals) wholly below
    or above every rep's median at 1 - 0.05 / m (Bonferroni, as routing judges a rep on one
    kind of lead; the table's 95% interval with one rep). A rep whose own 95% interval lies
    wholly below or above it, though that is within chance among m, is said so."""
    if reps.height == 0:
        return "No deals name a rep."
    role = rep.removesuffix("_id").upper()
    top = reps.row(0, named=True)
    tied = reps.filter(pl.col("deals") == top["deals"])
    text = (
        f"{role} {name(top[rep])} won the most deals ({top['deals']:,}, "
        f"{fmt.pct(top['share'])} of all)"
        if tied.height == 1
        else f"{role}s {fmt.listed([name(v) for v in tied[rep]], most=4)} tie for the most deals "
        f"({top['deals']:,} each, {fmt.pct(top['share'])} of all each)"
    )
    least = max(min_count, MIN_NAMED)
    judged = reps.filter((pl.col("deals") >= least) & pl.col("median_days_to_close").is_not_null())
    if judged.height < 2:
        return text + "."
    typical = judged["typical_days"][0]
    judged = judged.join(_family_bounds(closed, [rep], judged.height), on=rep, how="left")
    fast = judged.filter(pl.col("_high") < typical).sort("median_days_to_close")
    slow = judged.filter(pl.col("_low") > typical).sort("median_days_to_close", descending=True)
    chance = judged.filter(
        ((pl.col("days_high") < typical) | (pl.col("days_low") > typical))
        & ~((pl.col("_high") < typical) | (pl.col("_low") > typical)).fill_null(False)
    )

    def said(row: dict) -> str:
        return (
            f"{name(row[rep])} (median {fmt.number(row['median_days_to_close'])} days, 95% "
            f"interval {fmt.number(row['days_low'])}–{fmt.number(row['days_high'])})"
        )

    held = f"beyond chance{stats.across(judged.height, 'reps')}"
    by_chance = ""
    if chance.height:
        named = fmt.listed([said(r) for r in chance.iter_rows(named=True)], most=3)
        lies = "lies" if chance.height == 1 else "lie"
        by_chance = (
            f"; {named} {lies} wholly {'below' if chance['days_high'][0] < typical else 'above'} "
            f"it, but {stats.expected(judged.height, 'reps')}"
            if chance.height == 1
            else f"; the 95% intervals of {named} clear it, but "
            f"{stats.expected(judged.height, 'reps', named=chance.height)}"
        )
    among = f"; among reps with {least} deals or more, against {fmt.number(typical)} days for all"

    def each(rows: pl.DataFrame, verb: str) -> str:  # "A (...) closes" or "A and B close"
        named = fmt.listed([said(r) for r in rows.iter_rows(named=True)], most=3)
        return f"{named} {verb}{'s' if rows.height == 1 else ''}"

    # Faster and slower than all reps beyond chance: no "fastest", a faster rep within chance
    # may have a shorter median.
    if fast.height and slow.height:
        return text + (
            f"{among}, {each(fast, 'close')} faster {held} and {each(slow, 'close')} slower: "
            f"ask the fast {fmt.plural(fast.height, 'one', 'ones')} how they work{by_chance}."
        )
    if fast.height:
        return text + (
            f"{among}, {each(fast, 'close')} faster {held}: ask them how they work{by_chance}."
        )
    if slow.height:
        return text + f"{among}, {each(slow, 'close')} slower {held}{by_chance}."
    return text + f"{among}, none closes faster or slower {held}{by_chance}."


def routing_pairs(routes: pl.DataFrame) -> int:
    """How many (rep, kind) pairs `routing` judged at once for its routes: the reps compared
    on each kind that can be routed (two reps or more, `actionable`)."""
    routable = routes.filter((pl.col("reps_judged") >= 2) & actionable("value"))
    return int(routable["reps_judged"].sum())


def routing_note(routes: pl.DataFrame, min_count: int) -> str:
    """What the routing table compares, the rule a route must pass, and how many lead types and
    segments get none, by verdict (rows of `routing`)."""
    pairs = routing_pairs(routes)
    text = (
        f"Per lead type (SR) and business segment (SDR), the rep who closes that kind fastest, "
        f"among reps with at least {fmt.counted(min_count, 'such deal')}, against the median of "
        "all reps. A route is recommended only where it is faster beyond chance: at least two "
        "reps compared, and the rep's interval of median days (distribution-free, from the "
        "order statistics of their deals, by the binomial rule) lies wholly below all reps' "
        "median at a level that keeps chance from naming any of the rep and kind pairs "
        f"compared{f' ({pairs:,} here)' if pairs else ''} more than 1 time in 20 "
        "(Bonferroni: 1 - 0.05 / their number; the table shows each one's 95% interval, which "
        f"needs {INTERVAL_DEALS} deals; a wider one needs more). Unknown and Other get no "
        "advice. It compares reps on deals they won (how fast), not on conversion: lead type and "
        "segment are recorded only on closed deals. The Matching view shows every rep and kind."
    )
    if routes.height == 0:
        return text
    counts = dict(routes.group_by("verdict").len().iter_rows())
    why = {
        WITHIN_CHANCE: "faster only within chance",
        NOT_FASTER: "with no rep a day faster than all reps",
        ONE_REP: "with only one rep to compare",
        CATCH_ALL: "catch-alls",
        TOO_FEW: f"with no rep at {fmt.counted(min_count, 'such deal')}",
    }
    left = [f"{counts[v]:,} {words}" for v, words in why.items() if counts.get(v)]
    routed = counts.get(ROUTE, 0)
    kinds = fmt.counted(routes.height, "lead type or segment", "lead types and segments")
    text += f" Of the {kinds}, {routed:,} {fmt.plural(routed, 'gets a route', 'get a route')}"
    if left:
        none = routes.height - routed
        text += (
            f" and {none:,} {fmt.plural(none, 'gets none', 'get none')}: {fmt.listed(left)} "
            "(the CSV lists them all, with why)"
        )
    return text + "."


def _routing_deals(routes: pl.DataFrame) -> str:
    """How many deals with a time to close a rep needs for an interval at the level a route is
    judged at (1 - 0.05 / the pairs compared), in words: those of 95% would understate it."""
    pairs = routing_pairs(routes)
    if pairs < 2:
        return f" (a rep needs at least {INTERVAL_DEALS} with a time to close for any interval)"
    least = interval_deals(1 - stats.FAMILY / pairs)
    return (
        f" (a rep needs at least {least} with a time to close for an interval at the level of "
        f"{pairs:,} pairs compared, and then all {least} closing faster than all reps' median)"
    )


def routing_reading(routes: pl.DataFrame) -> str:
    """One sentence on the supported route (`recommended` rows of `routing`) with the largest
    gain in days, and how many more there are; where none is supported, that none is, how many
    fastest reps are faster only within chance, and what would tell."""
    judged = routes.filter("recommended")
    if judged.height == 0:
        within = routes.filter(pl.col("verdict") == WITHIN_CHANCE).height
        text = (
            "No route is supported by the data: no rep closes a lead type or segment faster than "
            "all reps beyond chance"
        )
        if within:
            text += (
                f" (in {fmt.counted(within, 'kind')} the fastest rep is faster, but within "
                "chance: the interval of their median days reaches all reps' median, or clears "
                f"it only as one of {routing_pairs(routes):,} rep and kind pairs compared "
                "would by chance)"
            )
        return text + f"; more deals per rep and kind would tell{_routing_deals(routes)}."
    best = (
        judged.with_columns((pl.col("typical_days") - pl.col("median_days")).alias("_gain"))
        .sort(["_gain", "deals", "value"], descending=[True, True, False])
        .row(0, named=True)
    )
    also = (
        f" (or {fmt.listed([name(r) for r in best['as_fast'].split(', ')])}, as fast)"
        if best["as_fast"]
        else ""
    )
    text = (
        f"Route {name(best['value'])} leads to {best['role']} {name(best['route_to'])}{also}: a "
        f"median {fmt.number(best['median_days'])} days to close (95% interval "
        f"{fmt.number(best['days_low'])}–{fmt.number(best['days_high'])}) against "
        f"{fmt.number(best['typical_days'])} for all reps, over "
        f"{fmt.counted(best['deals'], 'deal')}, beyond chance"
        f"{stats.across(routing_pairs(routes), 'rep and kind pairs')}"
    )
    if best["avoid"]:
        text += (
            f"; {name(best['avoid'])} closes them slower than all reps beyond chance "
            f"({fmt.number(best['avoid_median_days'])} days)"
        )
    more = judged.height - 1
    if more:
        text += f". The table lists {fmt.counted(more, 'more supported route')}"
    return text + "."
