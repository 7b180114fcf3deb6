"""Seller funnel: lead-to-deal conversion, time to close, rep performance and rep matching."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from lib import fmt, quality, stats
from lib.model import Dataset

TOP = 10  # landing pages shown by name; the rest are pooled
MIN_COUNT = 5  # fewer deals than this in a cell: too small to judge
MIN_GAIN = 1.0  # days: a rep routed to closes at least this much faster than all reps
MIN_NAMED = 20  # deals: fewer, and an origin or a rep is not named fastest or slowest
MIN_LEADS = 30  # fewer leads than this in a group: too few to name it best or worst
UNKNOWN = "unknown"
NO_ORIGIN = "(no origin)"  # the origin is empty, apart from the source's own "unknown"
OTHER_PAGES = "(other pages)"
FUNNEL_RULES = ("deal_before_contact", "unknown_origin")
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
    last, first = outcomes["won_at"].max(), outcomes["won_at"].min()
    month_end = pl.col("month").dt.offset_by("1mo")
    before = month_end <= pl.lit(first) if _late_deals(outcomes) else pl.lit(False)
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
    for deals dated before first contact or whose lead is unknown).
    """
    return deals.join(
        outcomes.filter(pl.col("won")).select(
            "lead_id", "origin", "first_contact_at", "days_to_close"
        ),
        on="lead_id",
        how="left",
    )


def declared_median() -> pl.Expr:
    """declared_revenue: the median monthly revenue the won sellers declared, among the deals
    that declared one (above 0; most declare none); null where none did. A median, not a sum:
    one seller's declared R$ 50M made Olist's SR 4ef15afb… 'R$ 50.2M'."""
    declared = pl.col("declared_monthly_revenue")
    return declared.filter(declared > 0).median().alias("declared_revenue")


def deal_mix(closed: pl.DataFrame, column: str) -> pl.DataFrame:
    """Closed deals per value of a deal attribute (segment, lead type...), most first.

    One row per value (nulls shown as "unknown"): <column>, deals, share (0..1),
    median_days_to_close, declared_revenue (declared_median).
    """
    value = pl.col(column).fill_null(UNKNOWN)
    value = pl.when(value.str.strip_chars() == "").then(pl.lit(UNKNOWN)).otherwise(value)
    return (
        closed.group_by(value.alias(column))
        .agg(
            pl.len().alias("deals"),
            pl.col("days_to_close").median().alias("median_days_to_close"),
            declared_median(),
        )
        .with_columns((pl.col("deals") / pl.col("deals").sum()).alias("share"))
        .sort(["deals", column], descending=[True, False])
        .select(column, "deals", "share", "median_days_to_close", "declared_revenue")
    )


def seller_sales(closed: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """Each won seller's actual marketplace sales after the deal.

    One row per seller_id with lines on or after its won_at: seller_id, orders, revenue (net).
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
        .agg(pl.col("order_id").n_unique().alias("orders"), pl.col("revenue").sum())
    )


def rep_table(closed: pl.DataFrame, rep: str, sales: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per rep (sdr_id or sr_id): deals won and what they brought, most wins first.

    One row per rep: <rep>, deals, share (of all deals), median_days_to_close, declared_revenue
    (declared_median), sellers_declaring (deals with a declared revenue above 0);
    with `sales` (from seller_sales) also selling_sellers (won sellers with any sale after the
    win) and sales_revenue (their net revenue after the win).
    """
    frame = closed.filter(pl.col(rep).is_not_null())
    aggs = [
        pl.len().alias("deals"),
        pl.col("days_to_close").median().alias("median_days_to_close"),
        declared_median(),
        (pl.col("declared_monthly_revenue") > 0).sum().alias("sellers_declaring"),
    ]
    if sales is not None:
        frame = frame.join(
            sales.select("seller_id", pl.col("revenue").alias("_sales")), on="seller_id", how="left"
        )
        aggs += [
            pl.col("_sales").is_not_null().sum().alias("selling_sellers"),
            pl.col("_sales").sum().alias("sales_revenue"),
        ]
    return (
        frame.group_by(rep)
        .agg(aggs)
        .with_columns((pl.col("deals") / pl.col("deals").sum()).alias("share"))
        .sort(["deals", rep], descending=[True, False])
        .select(rep, "deals", "share", *[a.meta.output_name() for a in aggs[1:]])
    )


def match_table(
    closed: pl.DataFrame, rep: str, attribute: str, min_count: int = MIN_COUNT
) -> pl.DataFrame:
    """Rep x attribute cells (e.g. SR x lead type): what each rep wins of each kind and how fast.

    One row per (rep, attribute value) with deals: <rep>, <attribute>, deals, share_of_rep (of
    the rep's wins), median_days_to_close, typical_days (median over every rep's deals of that
    value), speed (typical_days / median_days_to_close: above 1 is faster than usual),
    declared_revenue, enough (at least min_count deals with a time to close, those the median
    is of: smaller cells are too small to judge; a deal dated before its first contact has none).
    """
    frame = closed.filter(pl.col(rep).is_not_null()).with_columns(
        pl.col(attribute).fill_null(UNKNOWN)
    )
    typical = frame.group_by(attribute).agg(pl.col("days_to_close").median().alias("typical_days"))
    return (
        frame.group_by(rep, attribute)
        .agg(
            pl.len().alias("deals"),
            pl.col("days_to_close").count().alias("_timed"),
            pl.col("days_to_close").median().alias("median_days_to_close"),
            declared_median(),
        )
        .with_columns((pl.col("deals") / pl.col("deals").sum().over(rep)).alias("share_of_rep"))
        .join(typical, on=attribute, how="left")
        .with_columns(
            (pl.col("typical_days") / pl.col("median_days_to_close")).alias("speed"),
            (pl.col("_timed") >= min_count).alias("enough"),
        )
        .sort([rep, "deals", attribute], descending=[False, True, False])
        .select(
            rep,
            attribute,
            "deals",
            "share_of_rep",
            "median_days_to_close",
            "typical_days",
            "speed",
            "declared_revenue",
            "enough",
        )
    )


def routing(matches: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Which rep to route each lead type (SR) and segment (SDR) to, with the evidence.

    `matches` maps rep column -> its match_table. Among cells with enough deals, the rep who
    closes that kind fastest is the one to route to, and the slowest named as the one to avoid.
    One row per (rep role, value) with at least one judged cell: role, dimension, value,
    route_to, deals, median_days, typical_days, avoid, avoid_median_days, reps_judged, as_fast
    (other reps with the same median, comma-separated; null when none), recommended, evidence
    (a sentence). `recommended` only where the fastest rep with enough deals closes at least
    MIN_GAIN days faster than all reps' median: routing to a rep no faster than the reps as a
    whole gains nothing, even when no other rep has enough deals to compare.
    """
    frames = []
    for rep, table in matches.items():
        attribute = MATCHES[rep][0]
        judged = table.filter(pl.col("enough") & pl.col("median_days_to_close").is_not_null())
        if judged.height == 0:
            continue
        ranked = judged.sort(
            ["median_days_to_close", "deals", rep], descending=[False, True, False]
        )
        best = ranked.group_by(attribute, maintain_order=True).first()
        worst = (
            judged.sort(["median_days_to_close", "deals"], descending=[True, True])
            .group_by(attribute, maintain_order=True)
            .first()
        )
        n = judged.group_by(attribute).len("reps_judged")
        # Other reps as fast as the one routed to (the same median): named, not passed over.
        fastest = best.select(
            attribute, pl.col(rep).alias("_best"), pl.col("median_days_to_close").alias("_days")
        )
        tied = (
            judged.join(fastest, on=attribute)
            .filter(
                (pl.col("median_days_to_close") == pl.col("_days"))
                & (pl.col(rep) != pl.col("_best"))
            )
            .sort(rep)
            .group_by(pl.col(attribute).alias("value"))
            .agg(pl.col(rep).str.join(", ").alias("as_fast"))
        )
        frames.append(
            best.select(
                pl.lit(rep.removesuffix("_id").upper()).alias("role"),
                pl.lit(DEAL_ATTRIBUTES[attribute].lower()).alias("dimension"),
                pl.col(attribute).alias("value"),
                pl.col(rep).alias("route_to"),
                "deals",
                pl.col("median_days_to_close").alias("median_days"),
                "typical_days",
            )
            .join(
                worst.select(
                    pl.col(attribute).alias("value"),
                    pl.col(rep).alias("avoid"),
                    pl.col("median_days_to_close").alias("avoid_median_days"),
                ),
                on="value",
            )
            .join(n.rename({attribute: "value"}), on="value")
            .join(tied, on="value", how="left")
        )
    columns = {
        "role": pl.String,
        "dimension": pl.String,
        "value": pl.String,
        "route_to": pl.String,
        "deals": pl.UInt32,
        "median_days": pl.Float64,
        "typical_days": pl.Float64,
        "avoid": pl.String,
        "avoid_median_days": pl.Float64,
        "reps_judged": pl.UInt32,
        "as_fast": pl.String,
    }
    if not frames:
        return pl.DataFrame(schema={**columns, "recommended": pl.Boolean, "evidence": pl.String})
    out = pl.concat([f.cast(columns).select(list(columns)) for f in frames])
    single = pl.col("reps_judged") < 2
    faster = pl.col("median_days") <= pl.col("typical_days") - MIN_GAIN
    days = pl.col("median_days").round(1)
    typical = pl.col("typical_days").round(1)
    evidence = (
        pl.when(~faster)
        .then(
            pl.format(
                "{}, the fastest rep with enough {} deals ({} deals, median {} days), is not a day "
                "faster than all reps ({} days)",
                "route_to",
                "value",
                "deals",
                days,
                typical,
            )
        )
        .when(single)
        .then(
            pl.format(
                "only {} has enough {} deals to judge: {} deals in a median {} days vs {} days for "
                "all reps",
                "route_to",
                "value",
                "deals",
                days,
                typical,
            )
        )
        .otherwise(
            pl.format(
                "{} closed {} {} deals in a median {} days vs {} days for all reps; slowest: {} "
                "({} days)",
                "route_to",
                "deals",
                "value",
                days,
                typical,
                "avoid",
                pl.col("avoid_median_days").round(1),
            )
        )
    )
    return out.with_columns(
        pl.when(single).then(None).otherwise(pl.col("avoid")).alias("avoid"),
        pl.when(single)
        .then(None)
        .otherwise(pl.col("avoid_median_days"))
        .alias("avoid_median_days"),
        faster.alias("recommended"),
        evidence.alias("evidence"),
    ).sort(  # ties by name: the same order on every run
        ["role", "recommended", "deals", "value"], descending=[True, True, True, False]
    )


def funnel_findings(ds: Dataset) -> list[quality.Finding]:
    """The anomaly report's funnel rules (deals won before first contact, unknown origins) on the
    leads and deals of `ds`, as lib.quality computes them."""
    tables = {t: ds.tables[t] for t in ("leads", "deals") if t in ds.tables}
    sub = Dataset(name=ds.name, source_format=ds.source_format, tables=tables)
    return [f for f in quality.report(sub).findings if f.rule in FUNNEL_RULES]


def headless(ds: Dataset, *, top: int = TOP, min_count: int = MIN_COUNT) -> dict[str, pl.DataFrame]:
    """The Seller funnel page's tables: overall, by_origin, by_landing_page (top N + pooled),
    cohorts, days_to_close (by origin), reps_sdr, reps_sr, sr_by_lead_type, sdr_by_segment,
    routing. Raises ValueError naming the missing table."""
    if not ds.has("leads"):
        raise ValueError(MISSING_LEADS)
    if not ds.has("deals"):
        raise ValueError(MISSING_DEALS)
    outcomes = lead_outcomes(ds.tables["leads"], ds.tables["deals"])
    closed = closed_deals(outcomes, ds.tables["deals"])
    sales = seller_sales(closed, ds.tables["lines"]) if ds.has("lines", "seller_id") else None
    matches = {rep: match_table(closed, rep, MATCHES[rep][0], min_count) for rep in MATCHES}
    return {
        "overall": overall_conversion(outcomes),
        "by_origin": conversion_by(outcomes, "origin"),
        "by_landing_page": conversion_by(outcomes, "landing_page", top),
        "cohorts": lead_cohorts(outcomes),
        "days_to_close": days_to_close_by(outcomes, "origin"),
        "reps_sdr": rep_table(closed, "sdr_id", sales),
        "reps_sr": rep_table(closed, "sr_id", sales),
        "sr_by_lead_type": matches["sr_id"],
        "sdr_by_segment": matches["sdr_id"],
        "routing": routing(matches),
    }


def name(value: object) -> str:
    """A group or rep as a reading names it: hash ids shortened ('4ef15afb…'), None as '—',
    other values in words as the tables show them ('Online big', fmt.value_words), Markdown
    escaped (names come from the data and must show as themselves)."""
    if value is None or fmt.is_hash(value):
        return fmt.plain(fmt.short_id(value))
    return fmt.plain(fmt.value_words(value))


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


def conversion_reading(
    table: pl.DataFrame, by: str, overall: float, min_leads: int = MIN_LEADS
) -> str:
    """One sentence on the best and worst value of `by` that can be acted on (`actionable`),
    has at least `min_leads` leads and whose 95% interval does not overlap the overall rate; or
    that no such value differs clearly. An unknown or catch-all group that stands out is named
    only as a gap in the data, never as a place for budget."""
    enough = pl.col("leads") >= min_leads
    judged = table.filter(actionable(by) & enough)
    label = by.replace("_", " ")
    above = judged.filter(pl.col("conversion_low") > overall).sort("conversion", descending=True)
    below = judged.filter(pl.col("conversion_high") < overall).sort("conversion")
    parts = []
    if above.height == 1:
        r = above.row(0, named=True)
        parts.append(
            f"{name(r[by])} converts {fmt.pct(r['conversion'])} of {r['leads']:,} leads "
            f"(95% interval {fmt.pct(r['conversion_low'])}–{fmt.pct(r['conversion_high'])}), "
            f"clearly above the {fmt.pct(overall)} average: put more budget there"
        )
    elif above.height:  # every one above is named: the highest of them is no clear winner
        parts.append(
            f"{_each(above, by)} convert clearly above the {fmt.pct(overall)} average: put more "
            "budget there"
        )
    if below.height == 1:
        r = below.row(0, named=True)
        parts.append(
            f"{name(r[by])} converts only {fmt.pct(r['conversion'])} of {r['leads']:,} leads, "
            "clearly below average: review its targeting before spending more"
        )
    elif below.height:
        parts.append(
            f"{_each(below, by)} convert clearly below average: review their targeting before "
            "spending more"
        )
    if not parts:
        parts.append(
            f"No {label} with at least {fmt.counted(min_leads, 'lead')} converts clearly better "
            "or worse than the "
            f"{fmt.pct(overall)} average: every 95% interval overlaps it, so there is no evidence "
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


def cohort_reading(
    cohorts: pl.DataFrame, typical_days: float | None, min_leads: int = MIN_LEADS
) -> str:
    """One sentence on the best and weakest monthly cohorts, among months observed long enough
    (twice the typical close time) with at least `min_leads` leads; a month is named only when
    its 95% interval clears the pooled rate of those months."""
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
    best = judged.filter(pl.col("conversion_low") > rate).sort("conversion", descending=True)
    worst = judged.filter(pl.col("conversion_high") < rate).sort("conversion")
    parts = []
    if best.height:
        r = best.row(0, named=True)
        parts.append(
            f"the best cohort, {r['month']:%b %Y}, converted {fmt.pct(r['conversion'])} of its "
            f"{r['leads']:,} leads"
        )
    if worst.height:
        r = worst.row(0, named=True)
        parts.append(
            f"the weakest, {r['month']:%b %Y}, {fmt.pct(r['conversion'])} of {r['leads']:,}"
        )
    if parts:
        text = (
            "; ".join(parts) + f", against {fmt.pct(rate)} over the {judged.height} months compared"
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
        text += (
            f". The last {last} younger than twice the median close time and "
            f"{fmt.plural(young, 'is', 'are')} still filling up, so do not read "
            f"{fmt.plural(young, 'its', 'their')} lower rate as a decline"
        )
    return text + "." + missing


def _months(cohorts: pl.DataFrame) -> str:
    """The months of `cohorts` as a span: 'Jun 2017 to Nov 2017', or one month."""
    first, last = cohorts["month"].min(), cohorts["month"].max()
    return f"{first:%b %Y}" if first == last else f"{first:%b %Y} to {last:%b %Y}"


def days_reading(days: pl.DataFrame) -> str:
    """One sentence on the typical close time and the slowest origin with enough deals."""
    if days.height == 0 or days["deals"][0] == 0:
        return "No deal has a valid close time."
    total = days.row(0, named=True)
    text = (
        f"Half of the deals close within {total['median_days']:.0f} days of first contact and "
        f"one in ten takes over {total['p90_days']:.0f} days"
    )
    groups = days.slice(1).filter((pl.col("deals") >= MIN_NAMED) & actionable(days.columns[0]))
    if groups.height >= 2:
        slow = groups.sort("median_days", descending=True).row(0, named=True)
        fast = groups.sort("median_days").row(0, named=True)
        text += (
            f"; among origins with {MIN_NAMED} deals or more, {name(fast[days.columns[0]])} "
            f"leads close fastest ({fmt.number(fast['median_days'])} days), "
            f"{name(slow[days.columns[0]])} slowest ({fmt.number(slow['median_days'])}): follow "
            f"up {name(slow[days.columns[0]])} leads sooner"
        )
    return text + "."


def mix_reading(mix: pl.DataFrame, column: str) -> str:
    """One sentence on the largest group of closed deals."""
    if mix.height == 0:
        return "No closed deals."
    top = mix.row(0, named=True)
    label = DEAL_ATTRIBUTES.get(column, column).lower()
    text = (
        f"{name(top[column])} is the most common {label} among won sellers: "
        f"{fmt.pct(top['share'])} of deals"
    )
    unknown = mix.filter(pl.col(column) == UNKNOWN)
    if unknown.height and top[column] != UNKNOWN:
        text += f"; {fmt.pct(unknown['share'][0])} have no {label} recorded"
    return text + " (closed deals only: these shares say who was won, not who converts best)."


def rep_reading(reps: pl.DataFrame, rep: str, min_count: int = MIN_COUNT) -> str:
    """One sentence naming the rep with most wins and the fastest rep with enough deals."""
    if reps.height == 0:
        return "No deals name a rep."
    role = rep.removesuffix("_id").upper()
    top = reps.row(0, named=True)
    text = (
        f"{role} {name(top[rep])} won the most deals ({top['deals']:,}, "
        f"{fmt.pct(top['share'])} of all)"
    )
    judged = reps.filter(
        (pl.col("deals") >= max(min_count, MIN_NAMED))
        & pl.col("median_days_to_close").is_not_null()
    )
    if judged.height >= 2:
        fast = judged.sort("median_days_to_close").row(0, named=True)
        slow = judged.sort("median_days_to_close", descending=True).row(0, named=True)
        text += (
            f"; among reps with {max(min_count, MIN_NAMED)} deals or more, {name(fast[rep])} "
            f"closes fastest (median {fmt.number(fast['median_days_to_close'])} days) and "
            f"{name(slow[rep])} slowest ({fmt.number(slow['median_days_to_close'])} days): ask "
            "the fast one how they work"
        )
    return text + "."


def routing_note(routes: pl.DataFrame, min_count: int) -> str:
    """What the routing table compares, and how many lead types and segments it leaves out
    (rows of `routing` that are not recommended)."""
    text = (
        f"Per lead type (SR) and business segment (SDR), the rep who closes that kind fastest, "
        f"among reps with at least {fmt.counted(min_count, 'such deal')}, against the median of "
        "all reps. It "
        "compares reps on deals they won (how fast), not on conversion: lead type and segment are "
        "recorded only on closed deals. The Matching view shows every rep and kind."
    )
    left = routes.filter(~pl.col("recommended")).height
    if left:
        text += (
            f" {left} {'lead types or segments get' if left > 1 else 'lead type or segment gets'}"
            " no recommendation: the fastest rep with enough deals is not a day faster than all "
            "reps (the CSV lists them, with why)."
        )
    return text


def routing_reading(routes: pl.DataFrame) -> str:
    """One sentence on the routing change with the largest gain in days, among the recommended
    rows of `routing` where two reps or more could be compared (else among those where one
    could)."""
    judged = routes.filter("recommended")
    if judged.height == 0:
        return (
            "No lead type or segment has a rep with enough deals who closes faster than the reps "
            "as a whole; lower the minimum deals per cell or wait for more deals."
        )
    best = (
        judged.with_columns((pl.col("typical_days") - pl.col("median_days")).alias("_gain"))
        .sort(pl.col("reps_judged") >= 2, "_gain", descending=True)
        .row(0, named=True)
    )
    also = (
        f" (or {fmt.listed([name(r) for r in best['as_fast'].split(', ')])}, as fast)"
        if best["as_fast"]
        else ""
    )
    slowest = best["avoid"] and best["avoid_median_days"] > best["typical_days"]
    text = (
        f"Route {name(best['value'])} leads to {best['role']} {name(best['route_to'])}{also}: a "
        f"median {fmt.number(best['median_days'])} days to close against "
        f"{fmt.number(best['typical_days'])} for all reps, over "
        f"{fmt.counted(best['deals'], 'deal')}"
        + (
            f"; {name(best['avoid'])} is the slowest on them "
            f"({fmt.number(best['avoid_median_days'])} days)."
            if slowest
            else "."
        )
    )
    if best["deals"] < MIN_COUNT:  # the minimum per cell was lowered below the default
        text += (
            f" From fewer than {MIN_COUNT} deals this is a lead to check, not a rule to route by."
        )
    return text
