"""Delivery performance: on-time rate, days to deliver, where time is lost, what lateness costs."""

from __future__ import annotations

import polars as pl

from lib import fmt, measures, stats
from lib.analyses import lateness
from lib.model import Dataset

DAY_US = 86_400_000_000  # microseconds in a day: durations are elapsed days of 24 h
SEVERE_DAYS = 7.0  # more than a week late: the customer has usually complained by then
MIN_ORDERS = 20  # fewer delivered orders than this: a seller's late rate is noise
OFFSET_CLIP = 20  # days early/late beyond this are pooled in the review chart
FEW_REVIEWED = 30  # fewer reviewed orders on a day of the review chart: its mean is noise
LOW_REVIEW = 2.0  # 1-2 stars
UNKNOWN = "(unknown)"
NEEDS = "needs delivery dates: upload olist_orders_dataset.csv"

# Map metrics: column -> label. Every one is worse when higher, except orders (volume).
METRICS: dict[str, str] = {
    "late_rate": "Late rate",
    "severe_rate": "More than 7 days late",
    "median_days": "Median days to deliver",
    "orders": "Delivered orders",
}

STAGES: dict[str, str] = {
    "approval_days": "purchase → approval",
    "carrier_days": "approval → handed to carrier",
    "transit_days": "carrier → delivered",
    "days_to_deliver": "purchase → delivered (total)",
}


def _days(end: str, start: str) -> pl.Expr:
    return (pl.col(end) - pl.col(start)).dt.total_microseconds() / DAY_US


def delivery_facts(orders: pl.DataFrame) -> pl.DataFrame:
    """One row per order with its delivery outcome.

    `orders` needs order_id, ordered_at, delivered_at, estimated_delivery_at (status,
    approved_at, shipped_at, review_score optional). Columns: order_id, ordered_at, month,
    status, delivered (measures.delivered: status is delivered, or no status given, a delivery
    date and an estimate exist and the dates are possible), late (measures.late: delivered on a
    day after the estimated one; null when not delivered), impossible (recorded as delivered
    but with impossible dates, measures.impossible_dates: delivered before purchase or carrier
    pickup, or promised for a day before the purchase; not delivered), days_to_deliver,
    approval_days, carrier_days, transit_days (elapsed days; null when not delivered),
    days_vs_estimate (calendar days from the estimated day to the delivery day,
    measures.days_late: negative = early, 0 = on the day; null when not delivered),
    promised_days (estimate minus purchase), review_score.
    """
    cols = orders.columns
    status = pl.col("status") if "status" in cols else pl.lit(None, pl.String)
    delivered = measures.delivered(orders)
    shipped = pl.col("shipped_at") if "shipped_at" in cols else pl.lit(None, pl.Datetime("us"))
    approved = pl.col("approved_at") if "approved_at" in cols else pl.lit(None, pl.Datetime("us"))
    impossible = measures.recorded_delivery(orders) & measures.impossible_dates(orders)
    frame = orders.select(
        "order_id",
        "ordered_at",
        "delivered_at",
        "estimated_delivery_at",
        status.alias("status"),
        approved.alias("approved_at"),
        shipped.alias("shipped_at"),
        (pl.col("review_score") if "review_score" in cols else pl.lit(None, pl.Float64)).alias(
            "review_score"
        ),
        delivered.alias("delivered"),
        impossible.alias("impossible"),
    )
    when_delivered = pl.when(pl.col("delivered"))
    return frame.select(
        "order_id",
        "ordered_at",
        pl.col("ordered_at").dt.truncate("1mo").alias("month"),
        "status",
        "delivered",
        pl.when(pl.col("delivered")).then(measures.late()).alias("late"),
        "impossible",
        when_delivered.then(_days("delivered_at", "ordered_at")).alias("days_to_deliver"),
        when_delivered.then(_days("approved_at", "ordered_at")).alias("approval_days"),
        when_delivered.then(_days("shipped_at", "approved_at")).alias("carrier_days"),
        when_delivered.then(_days("delivered_at", "shipped_at")).alias("transit_days"),
        pl.when(pl.col("delivered")).then(measures.days_late()).alias("days_vs_estimate"),
        _days("estimated_delivery_at", "ordered_at").alias("promised_days"),
        pl.col("review_score").cast(pl.Float64),
    )


def order_keys(ds: Dataset) -> pl.DataFrame:
    """Who and what each order involves: one row per distinct (order_id, seller_id, category).

    Columns order_id, seller_id, category, customer_region, seller_region, route ("same state"
    or "other state"; null when either region is unknown). Unknown values are null.
    """
    lines = ds.tables.get("lines")
    if lines is None or lines.height == 0:
        return pl.DataFrame(
            schema={
                "order_id": pl.String,
                "seller_id": pl.String,
                "category": pl.String,
                "customer_region": pl.String,
                "seller_region": pl.String,
                "route": pl.String,
            }
        )
    null = pl.lit(None, pl.String)
    keys = lines.select(
        "order_id",
        (pl.col("seller_id") if "seller_id" in lines.columns else null).alias("seller_id"),
        (pl.col("category") if "category" in lines.columns else null).alias("category"),
        (pl.col("region") if "region" in lines.columns else null).alias("customer_region"),
        "customer_id",
    ).unique(["order_id", "seller_id", "category"], maintain_order=True)
    if keys["customer_region"].null_count() == keys.height and ds.has("customers", "region"):
        regions = ds.tables["customers"].select("customer_id", pl.col("region").alias("_r"))
        keys = (
            keys.join(regions.unique("customer_id"), on="customer_id", how="left")
            .with_columns(pl.col("_r").alias("customer_region"))
            .drop("_r")
        )
    if ds.has("sellers", "region"):
        sellers = ds.tables["sellers"].select("seller_id", pl.col("region").alias("seller_region"))
        keys = keys.join(sellers.unique("seller_id"), on="seller_id", how="left")
    else:
        keys = keys.with_columns(null.alias("seller_region"))
    route = (
        pl.when(pl.col("customer_region").is_null() | pl.col("seller_region").is_null())
        .then(null)
        .when(pl.col("customer_region") == pl.col("seller_region"))
        .then(pl.lit("same state"))
        .otherwise(pl.lit("other state"))
    )
    return keys.select(
        "order_id",
        "seller_id",
        "category",
        "customer_region",
        "seller_region",
        route.alias("route"),
    )


def _rates() -> list[pl.Expr]:
    """Delivery aggregations over delivered orders (one row each)."""
    d = pl.col("delivered")
    late = pl.col("late").filter(d)
    return [
        d.sum().cast(pl.Int64).alias("orders"),
        late.sum().cast(pl.Int64).alias("late_orders"),
        late.mean().alias("late_rate"),
        (pl.col("days_vs_estimate").filter(d) > SEVERE_DAYS).mean().alias("severe_rate"),
        pl.col("days_to_deliver").median().alias("median_days"),
        pl.col("days_to_deliver").mean().alias("mean_days"),
        pl.col("review_score").filter(d).mean().alias("review"),
        pl.col("review_score").filter(d & pl.col("late")).mean().alias("review_late"),
        pl.col("review_score").filter(d & ~pl.col("late")).mean().alias("review_on_time"),
    ]


KEY_COLUMNS = ("seller_id", "category", "customer_region", "seller_region", "route")


def keyed_facts(facts: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    """The delivered orders' facts on every row of `keys` (order_keys) that names them.

    One row per (order, seller, category) of a delivered order: order_no, the facts
    performance_by needs (delivered, late, days_vs_estimate, days_to_deliver, review_score), the
    key columns (KEY_COLUMNS, nulls as UNKNOWN, a category's as measures.UNCATEGORISED) and
    first_<key> (True on the first row of each (order, key value)). Orders without lines are
    left out.
    """
    delivered = facts.with_row_index("order_no").filter(pl.col("delivered"))
    keyed = delivered.select(
        "order_no",
        "order_id",
        "delivered",
        "late",
        "days_vs_estimate",
        "days_to_deliver",
        "review_score",
    ).join(keys, on="order_id", how="inner")
    groups = [c for c in KEY_COLUMNS if c in keyed.columns]
    # An order counts once per group: flag its first row per key now, once, so that each
    # breakdown is a filter and a group-by instead of a deduplication of a million rows.
    if "category" in groups:  # named as Categories names it
        keyed = keyed.with_columns(measures.category())
    return keyed.with_columns(pl.col(groups).fill_null(UNKNOWN)).with_columns(
        pl.struct("order_no", c).is_first_distinct().alias(f"first_{c}") for c in groups
    )


def with_late_interval(table: pl.DataFrame) -> pl.DataFrame:
    """`table` (orders, late_orders, late_rate per row) with late_low and late_high, the 95%
    Wilson interval of its late rate, right after late_rate: a group of 17 orders with 4 late
    reads 23.5% (9.6%–47.3%), no worse than the average for all it shows."""
    low, high = stats.wilson_exprs("late_orders", "orders")
    rest = [c for c in table.columns if c not in ("late_low", "late_high")]
    at = rest.index("late_rate") + 1
    named = table.with_columns(low.alias("late_low"), high.alias("late_high"))
    return named.select(*rest[:at], "late_low", "late_high", *rest[at:])


def performance_by(keyed: pl.DataFrame, column: str) -> pl.DataFrame:
    """Delivery performance per value of `column` (keyed: keyed_facts).

    An order counts once in every group it belongs to (an order from two sellers counts for
    both). One row per value, ordered by late_rate descending, then orders; columns: column,
    orders (delivered), late_orders, late_rate, late_low and late_high (with_late_interval),
    severe_rate (share more than 7 days late), median_days, mean_days (to deliver), review
    (mean), review_late, review_on_time. Orders with no value are grouped as UNKNOWN.
    """
    return with_late_interval(
        keyed.filter(pl.col(f"first_{column}"))
        .group_by(column)
        .agg(_rates())
        .filter(pl.col("orders") > 0)
        .sort(["late_rate", "orders", column], descending=[True, True, False])
    )


def kpis(facts: pl.DataFrame) -> pl.DataFrame:
    """The headline figures, one row each: kpi, value, unit ("share", "days", "orders",
    "stars"), definition (one line). Never-delivered orders are listed per status."""
    d = facts.filter(pl.col("delivered"))
    late = d.filter(pl.col("late"))
    on_time = d.filter(~pl.col("late"))
    impossible = int(facts["impossible"].sum())

    def low(frame: pl.DataFrame) -> float | None:
        scored = frame["review_score"].drop_nulls()
        return float((scored <= LOW_REVIEW).mean()) if scored.len() else None

    rows: list[tuple[str, float | None, str, str]] = [
        (
            "delivered orders",
            float(d.height),
            "orders",
            "Orders delivered with a date and an estimate, both possible.",
        ),
        (
            "on-time rate",
            float((~d["late"]).mean()) if d.height else None,
            "share",
            "Delivered on or before the estimated day, among delivered orders (calendar days: an "
            "estimate is a day, so a delivery during it is on time).",
        ),
        (
            "late rate",
            float(d["late"].mean()) if d.height else None,
            "share",
            "Delivered on a day after the estimated one, among delivered orders (calendar days: "
            "a delivery during the estimated day is on time).",
        ),
        (
            "median days to deliver",
            d["days_to_deliver"].median(),
            "days",
            "Days (24 h, weekends included) from purchase to delivery, among delivered orders.",
        ),
        (
            "mean days to deliver",
            d["days_to_deliver"].mean(),
            "days",
            "Average days (24 h, weekends included) from purchase to delivery, among delivered "
            "orders.",
        ),
        (
            "mean days late",
            late["days_vs_estimate"].mean(),
            "days",
            "Average calendar days past the estimated day, among late orders.",
        ),
        (
            "more than 7 days late",
            float((d["days_vs_estimate"] > SEVERE_DAYS).mean()) if d.height else None,
            "share",
            "Delivered more than 7 calendar days after the estimated day, among delivered orders.",
        ),
        (
            "impossible dates",
            float(impossible),
            "orders",
            "Recorded as delivered, but delivered before purchase or carrier pickup, or "
            "promised for a day before the purchase: they cannot be judged late or on time, so "
            "every figure leaves them out (see Data quality).",
        ),
        ("review when late", late["review_score"].mean(), "stars", "Mean review of late orders."),
        (
            "review when on time",
            on_time["review_score"].mean(),
            "stars",
            "Mean review of orders delivered on time.",
        ),
        (
            "1-2 stars when late",
            low(late),
            "share",
            "Share of reviewed late orders rated 1 or 2 stars.",
        ),
        (
            "1-2 stars when on time",
            low(on_time),
            "share",
            "Share of reviewed on-time orders rated 1 or 2 stars.",
        ),
    ]
    never = (
        facts.filter(~pl.col("delivered") & ~pl.col("impossible"))
        .group_by(
            # "delivered" here means the status says so but no delivery date was recorded.
            pl.col("status").fill_null(UNKNOWN).replace({"delivered": "delivered without a date"})
        )
        .agg(pl.len().alias("n"))
        .sort(["n", "status"], descending=[True, False])
    )
    for status, n in never.iter_rows():  # one row per status: a handful
        rows.append(
            (
                f"not delivered: {status}",
                float(n),
                "orders",
                f"Orders with status {status} and no usable delivery date.",
            )
        )
    return pl.DataFrame(
        rows,
        schema={"kpi": pl.String, "value": pl.Float64, "unit": pl.String, "definition": pl.String},
        orient="row",
    )


def kpi(table: pl.DataFrame, name: str) -> float | None:
    """One KPI's value from the kpis table (None when absent or unknown)."""
    hit = table.filter(pl.col("kpi") == name)
    return hit["value"][0] if hit.height else None


# The stage table's headers, on the page and in the report.
STAGE_HEADERS = {
    "label": "Stage",
    "orders": "Orders",
    "median_days": "Median days",
    "p90_days": "90th percentile (days)",
    "mean_days": "Mean days",
    "backwards": "Dated backwards (left out)",
}


def stage_durations(facts: pl.DataFrame) -> pl.DataFrame:
    """Days spent in each stage, on delivered orders with possible dates.

    One row per stage (STAGES order): stage, label, orders (with both dates, in order),
    median_days, p90_days (90th percentile), mean_days, backwards (orders whose stage ends
    before it starts, e.g. handed to the carrier before the payment was approved: left out of
    the stage, since its length means nothing). Stages with no dates have orders 0 and null days.
    """
    parts = []
    for column, label in STAGES.items():
        dated = facts[column].drop_nulls()
        values = dated.filter(dated >= 0)
        parts.append(
            {
                "stage": column,
                "label": label,
                "orders": values.len(),
                "backwards": dated.len() - values.len(),
                "median_days": values.median(),
                "p90_days": values.quantile(0.9, "linear") if values.len() else None,
                "mean_days": values.mean(),
            }
        )
    return pl.DataFrame(
        parts,
        schema={
            "stage": pl.String,
            "label": pl.String,
            "orders": pl.Int64,
            "median_days": pl.Float64,
            "p90_days": pl.Float64,
            "mean_days": pl.Float64,
            "backwards": pl.Int64,
        },
    )


def by_month(facts: pl.DataFrame) -> pl.DataFrame:
    """Per purchase month with delivered orders: month, orders, late_orders, late_rate,
    late_low, late_high (with_late_interval), severe_rate, median_days, mean_days, review,
    review_late, review_on_time, median_promised_days (estimate minus purchase) and
    median_slack_days (estimate minus delivery: the cushion the estimate left; negative = the
    typical order was late). By month."""
    d = pl.col("delivered")
    return with_late_interval(
        facts.group_by("month")
        .agg(
            *_rates(),
            pl.col("promised_days").filter(d).median().alias("median_promised_days"),
            (-pl.col("days_vs_estimate")).filter(d).median().alias("median_slack_days"),
        )
        .filter(pl.col("orders") > 0)
        .sort("month")
    )


def seller_table(keyed: pl.DataFrame, overall: float) -> pl.DataFrame:
    """performance_by(seller_id) plus seller_region and excess_late: late orders above what the
    `overall` late rate predicts for that many orders (where fixing one seller helps most)."""
    table = performance_by(keyed, "seller_id")
    regions = keyed.filter(pl.col("first_seller_id")).select("seller_id", "seller_region")
    regions = regions.unique("seller_id")
    return (
        table.join(regions, on="seller_id", how="left")
        .with_columns(measures.excess_late("orders", overall).alias("excess_late"))
        .select(
            "seller_id",
            "seller_region",
            *[c for c in table.columns if c != "seller_id"],
            "excess_late",
        )
    )


def judged(table: pl.DataFrame, column: str, min_orders: int = MIN_ORDERS) -> pl.DataFrame:
    """The rows of `table` (a performance table per `column`) that are known groups with at least
    `min_orders` delivered orders: those whose figures the page may name."""
    return table.filter((pl.col("orders") >= min_orders) & named_group(column))


def named_group(column: str) -> pl.Expr:
    """Whether a row of a performance table is a group with a name: not UNKNOWN, nor the lines
    without a category (measures.UNCATEGORISED, in any case: the pages write categories in
    words), which Categories leaves out of the categories it compares."""
    unnamed = [UNKNOWN, measures.UNCATEGORISED]
    return ~pl.col(column).cast(pl.String).str.to_lowercase().is_in(unnamed)


def worst_sellers(sellers: pl.DataFrame, min_orders: int = MIN_ORDERS) -> pl.DataFrame:
    """The seller_table rows with at least `min_orders` delivered orders, worst late rate first."""
    return judged(sellers, "seller_id", min_orders)


def highest(
    table: pl.DataFrame, metric: str, column: str, min_orders: int = MIN_ORDERS
) -> dict | None:
    """The row of `table` (performance_by on `column`) with the highest `metric` among the known
    groups with at least `min_orders` delivered orders (a late rate of 1 in 4 names no state);
    None when no group has that many."""
    named = judged(table, column, min_orders)
    if named.height == 0:
        return None
    return named.sort([metric, "orders"], descending=True).row(0, named=True)


def reviews_by_lateness(facts: pl.DataFrame) -> pl.DataFrame:
    """Review score against days late or early, on delivered reviewed orders.

    offset_days = calendar days from the estimated day to the delivery day (days_vs_estimate),
    clipped to ±OFFSET_CLIP: 0 is on the estimated day, so offset_days > 0 exactly when the
    order was late.
    One row per offset: offset_days, late, orders, review (mean), low_share (1-2 stars). By offset.
    """
    return (
        facts.filter(pl.col("delivered") & pl.col("review_score").is_not_null())
        .with_columns(
            pl.col("days_vs_estimate")
            .clip(-OFFSET_CLIP, OFFSET_CLIP)
            .cast(pl.Int64)
            .alias("offset_days")
        )
        .group_by("offset_days")
        .agg(
            (pl.col("offset_days").first() > 0).alias("late"),
            pl.len().cast(pl.Int64).alias("orders"),
            pl.col("review_score").mean().alias("review"),
            (pl.col("review_score") <= LOW_REVIEW).mean().alias("low_share"),
        )
        .sort("offset_days")
    )


def reviews_note(reviews: pl.DataFrame) -> str:
    """What the review chart's faint bars are (reviews_by_offset: days with fewer than
    FEW_REVIEWED reviewed orders), when it has any: the marketplace demo's 20 days early rested
    on 2 orders, drawn as every other bar."""
    few = reviews.filter(pl.col("orders") < FEW_REVIEWED)
    if few.height == 0:
        return ""
    return (
        f"Faint bars rest on fewer than {FEW_REVIEWED} reviewed orders "
        f"({fmt.counted(few.height, 'bar')} of {reviews.height}, a bar a day early or late, the "
        f"two ends {OFFSET_CLIP} days or more): their mean review is noise."
    )


def delivery_orders(ds: Dataset) -> pl.DataFrame:
    """The orders table when it has delivery dates, else ValueError saying what to upload."""
    if not ds.has("orders", "delivered_at", "estimated_delivery_at"):
        raise ValueError(NEEDS)
    return ds.tables["orders"]


def headless(
    ds: Dataset,
    *,
    min_orders: int = MIN_ORDERS,
    metric: str = "late_rate",
    follow_months: int = lateness.MONTHS,
) -> dict[str, pl.DataFrame]:
    """The page's tables without the UI (options as the page's controls; `metric` is the map's).

    kpis, stages, by_customer_region and by_seller_region (performance_by plus place, label,
    lat, lon when the region is a known place, sorted by `metric` descending), by_month,
    by_category, sellers (worst_sellers), routes, route_strata (route_strata), reviews
    (reviews_by_lateness); with order lines of known customers, lateness_groups and
    lateness_customers (lib.analyses.lateness, each customer followed for `follow_months`
    months after the first order).
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}")
    from lib.analyses.regions import match_regions  # reference tables only when a map is asked

    facts = delivery_facts(delivery_orders(ds))
    keyed = keyed_facts(facts, order_keys(ds))
    out = {"kpis": kpis(facts), "stages": stage_durations(facts)}
    for side in ("customer_region", "seller_region"):
        table = performance_by(keyed, side)
        places = match_regions(table[side]).places.rename({"region": side})
        out[f"by_{side}"] = table.join(places, on=side, how="left").sort(
            metric, side, descending=[True, False], nulls_last=True
        )
    out["by_month"] = by_month(facts)
    out["by_category"] = performance_by(keyed, "category")
    overall = kpi(out["kpis"], "late rate") or 0.0
    out["sellers"] = worst_sellers(seller_table(keyed, overall), min_orders)
    out["routes"] = performance_by(keyed, "route")
    out["route_strata"] = route_strata(keyed)
    out["reviews"] = reviews_by_lateness(facts)
    if ds.has("lines", "customer_id", "revenue"):
        followed = lateness.follow_lateness(ds, follow_months)
        out["lateness_groups"] = followed.groups
        out["lateness_customers"] = followed.customers
    return out


# Readings: one sentence per view on what to fix first.


def kpi_reading(table: pl.DataFrame) -> str:
    late = kpi(table, "late rate")
    if late is None:
        return "No order has been delivered yet."
    severe = kpi(table, "more than 7 days late")
    rl, ro = kpi(table, "review when late"), kpi(table, "review when on time")
    text = f"{fmt.pct(late)} of delivered orders arrived after the estimated day"
    text += f", {fmt.pct(severe)} more than a week late"
    if rl is not None and ro is not None:
        text += f"; late orders score {rl:.2f} stars against {ro:.2f} on time"
    return text + "."


def nothing_delivered(table: pl.DataFrame) -> str:
    """What the page says, once, when no order was delivered (table: the kpis table): the orders
    by status and that there is nothing to measure."""
    never = table.filter(pl.col("kpi").str.starts_with("not delivered: "))
    total = int(never["value"].sum())
    impossible = int(kpi(table, "impossible dates") or 0)
    statuses = [
        (name.removeprefix("not delivered: "), int(n))
        for name, n in never.select("kpi", "value").iter_rows()
    ]
    if len(statuses) == 1:
        which = f"{fmt.counted(total, 'order')}, all {fmt.named(statuses[0][0])}"
    else:
        which = f"{fmt.counted(total, 'order')}: " + ", ".join(
            f"{fmt.named(status)} {fmt.count(n)}" for status, n in statuses
        )
    text = f"No order was delivered ({which})"
    if impossible:
        text += (
            f", and {fmt.counted(impossible, 'order')} delivered with impossible dates cannot be "
            "judged (see Data quality)"
        )
    return (
        text + ": there is nothing to measure here, no on-time rate, days to deliver, regions, "
        "reviews or repeat orders after a late delivery."
    )


def stage_reading(stages: pl.DataFrame) -> str:
    parts = stages.filter(pl.col("stage") != "days_to_deliver").drop_nulls("median_days")
    if parts.height == 0:
        return "No stage has both of its dates."
    worst = parts.sort("median_days", descending=True).row(0, named=True)
    total = stages.filter(pl.col("stage") == "days_to_deliver")["median_days"][0]
    spread = parts.with_columns((pl.col("p90_days") - pl.col("median_days")).alias("tail")).sort(
        "tail", descending=True
    )
    tail = spread.row(0, named=True)
    # Against the whole delivery's median, not as a share of it: medians do not add up.
    whole = f" (the whole delivery: median {total:.1f} days)" if total else ""
    text = f"Most time is lost in {worst['label']}: median {worst['median_days']:.1f} days{whole}"
    if tail["stage"] == worst["stage"]:
        text += f", and 1 in 10 orders spends over {tail['p90_days']:.1f} days there"
    else:
        text += (
            f"; the longest tail is {tail['label']} (1 in 10 orders over "
            f"{tail['p90_days']:.1f} days)"
        )
    text += ": start there."
    backwards = stages.filter(pl.col("backwards") > 0)
    if backwards.height:
        left = "; ".join(
            f"{fmt.counted(r['backwards'], 'order')} from {r['label']}"
            for r in backwards.iter_rows(named=True)
        )
        text += (
            f" Left out, their dates running backwards: {left} (of delivered orders; Data "
            "quality counts such orders among all orders)."
        )
    return text


def group_reading(
    table: pl.DataFrame,
    column: str,
    what: str,
    overall: float,
    min_orders: int = MIN_ORDERS,
    *,
    narrowed: bool = False,
    delivered: int | None = None,
) -> str:
    """Names the group that adds the most late orders above the `overall` late rate (volume x
    excess rate), among groups whose late rate is above it beyond chance across the m compared
    (m: the groups other than unknown with at least `min_orders` delivered orders; the exact
    tail of each group's late share against `overall`, judged by stats.family); when none is,
    says so of the group that adds the most among those whose own 95% Wilson interval
    clears `overall` (with m compared, one that far out is expected by chance), or else of the
    group that adds the most. The other groups late beyond chance follow, by the late orders
    they add (Olist's BA, 2.1x the average, after RJ, 1.8x but adding more: the Regions page
    puts delivery before marketing in BA alone). Where known groups with fewer orders were
    left out, it says that it judged those with `min_orders` or more: the table above lists
    them all. `narrowed`: `table` holds only those already (worst_sellers), so it says so
    whatever it holds (38 of Olist's 1,234 sellers are judged, not every seller). `delivered`:
    the delivered orders `overall` is the late share of; with it each group's late orders are
    drawn from theirs (stats.share_z's population), so that a group holding most orders is
    judged against the rest: Olist's seller state SP, 7.3% late on 3,674 of 5,161 delivered
    orders, is within chance of the 6.6% it makes up most of, but not of the rest's 4.8%."""
    enough = pl.col("orders") >= min_orders
    population = None if delivered is None else stats.drawn_from(overall, delivered)
    known = table.filter(named_group(column) & enough)
    if known.height == 0:
        return f"No {what} has {min_orders} delivered orders yet."
    rows = fmt.plural_of(what)
    fewer = table.filter(named_group(column) & ~enough).height
    scope = f" with {min_orders}+ delivered orders" if fewer or narrowed else ""
    ranked = (
        with_late_interval(known)
        .with_columns(
            measures.excess_late("orders", overall).alias("_excess"),
            stats.share_z("late_orders", "orders", overall, population).alias("_z"),
        )
        .sort("_excess", descending=True)
    )
    top = ranked.row(0, named=True)
    if top["_excess"] <= 0:
        return f"Every {what}{scope} is late at or below the {fmt.pct(overall)} average rate."
    found = stats.family(ranked["_z"])
    beyond = ranked.filter(found.beyond(pl.col("_z")) & (pl.col("_z") > 0))
    if beyond.height == 0:
        own = ranked.filter(pl.col("late_low") > overall)

        def late(row: dict) -> str:
            return f"{fmt.pct(row['late_rate'])} late on {fmt.counted(row['orders'], 'order')}"

        def interval(row: dict) -> str:
            return f"{fmt.pct(row['late_low'])}–{fmt.pct(row['late_high'])}"

        expected = stats.expected_among(found, rows)
        said = (
            f"No {what}{scope} is late beyond what chance explains: {what} "
            f"{fmt.named(fmt.short_id(top[column]))} adds the most late orders above the "
            f"{fmt.pct(overall)} average, {late(top)}"
        )
        if not own.height:
            return f"{said}, but its 95% interval ({interval(top)}) takes in the average."
        pick = own.row(0, named=True)
        if pick[column] == top[column]:
            return f"{said}: its 95% interval ({interval(top)}) clears the average, but {expected}."
        # The group adding the most is within chance on its own; the one named next clears
        # the average by its own interval, and adds fewer.
        return (
            f"{said}, and its 95% interval ({interval(top)}) takes in the average; of those whose "
            f"interval clears it, {what} {fmt.named(fmt.short_id(pick[column]))} adds the most, "
            f"{late(pick)} (95% interval {interval(pick)}), but {expected}."
        )
    top = beyond.row(0, named=True)
    then = [
        f"{fmt.named(fmt.short_id(row[column]))} ({fmt.pct(row['late_rate'])} late, "
        f"{row['_excess']:.0f} more late orders on {fmt.count(row['orders'])})"
        for row in beyond.slice(1).iter_rows(named=True)
    ]
    # A group holding many of the orders is judged against the rest (`delivered`), said first
    # where their rate reads apart from the overall one: SP's 7.3% (interval 6.5%-8.2%) is
    # beyond chance of the other orders' 4.8%, not of the 6.6% it makes up most of.
    against = f"{fmt.pct(overall)} overall"
    if population is not None and population[1] > top["orders"]:
        others = (population[0] - top["late_orders"]) / (population[1] - top["orders"])
        if fmt.pct(others) != fmt.pct(overall):
            against = f"{fmt.pct(others)} for the other orders ({fmt.pct(overall)} overall)"
    return (
        f"Fix {what} {fmt.named(fmt.short_id(top[column]))} first: "
        f"{fmt.pct(top['late_rate'])} late (95% interval {fmt.pct(top['late_low'])}–"
        f"{fmt.pct(top['late_high'])}) against {against}, beyond chance"
        f"{stats.across(found.compared, rows)}"
        f"{f' (those{scope})' if scope and found.compared > 1 else ''}: "
        f"{top['_excess']:.0f} more late orders than the average rate gives on "
        f"{fmt.count(top['orders'])} orders"
        + (
            f"; also late beyond chance: {rows if len(then) > 1 else what} "
            f"{fmt.listed(then, most=3)}."
            if then
            else "."
        )
    )


def month_reading(months: pl.DataFrame, min_orders: int = MIN_ORDERS) -> str:
    """Names the worst month with enough orders late beyond chance: the highest late rate
    among the months above those months together beyond chance across the m compared (a
    higher rate within chance is said to be so; m: the months with at least
    `min_orders` delivered orders; the exact tail of each month's late share drawn from those
    months' orders, judged by stats.family, as group_reading judges), and whether shorter
    promises or slower deliveries explain it more, from how far each moved from the typical
    month (its median). When its own 95% Wilson interval clears the pooled rate but the family
    does not, says that with m months compared one that far out is expected by chance."""
    enough = months.filter(pl.col("orders") >= min_orders)
    if enough.height == 0:
        return f"No month has {min_orders} delivered orders yet."
    counts = int(enough["late_orders"].sum()), int(enough["orders"].sum())
    pooled = counts[0] / counts[1]
    # Each month's orders drawn from those months' together, as group_reading judges groups.
    z = stats.share_z("late_orders", "orders", pooled, counts)
    enough = enough.with_columns(z.alias("_z"))
    found = stats.family(enough["_z"])
    ranked = enough.sort("late_rate", "orders", descending=True)
    late = ranked.filter((pl.col("_z") > 0) & found.beyond(pl.col("_z")))
    if late.height == 0:
        worst = ranked.row(0, named=True)
        low, high = stats.wilson(worst["late_orders"], worst["orders"]) or (0.0, 1.0)
        why = (
            f"clears the {fmt.pct(pooled)} of all those months, but "
            f"{stats.expected_among(found, 'months')}"
            if low > pooled
            else f"takes in the {fmt.pct(pooled)} of all those months"
        )
        return (
            f"No month is late beyond what chance explains: the worst, {worst['month']:%B %Y}, "
            f"{fmt.pct(worst['late_rate'])} late on {fmt.counted(worst['orders'], 'order')} "
            f"(95% interval {fmt.pct(low)}–{fmt.pct(high)}), {why}."
        )
    worst, top = late.row(0, named=True), ranked.row(0, named=True)
    # A month with a higher rate on fewer orders, within chance, is said so: not the worst.
    higher = (
        f"; {top['month']:%B %Y}'s {fmt.pct(top['late_rate'])} on "
        f"{fmt.counted(top['orders'], 'order')} is within chance"
        if top["month"] != worst["month"]
        else ""
    )
    took, promised = enough["median_days"].median(), enough["median_promised_days"].median()
    slower = worst["median_days"] - took
    shorter = promised - worst["median_promised_days"]
    if shorter >= 0.5 and shorter >= slower:
        fix = "promises were shorter than usual" + (
            ", by more than deliveries slowed" if slower > 0 else ""
        )
        fix += ": add days to the estimate in months like it"
    elif slower >= 0.5:
        fix = "deliveries were slower than usual" + (
            ", by more than promises were cut" if shorter > 0 else ""
        )
        fix += _capacity(enough, worst, pooled)
    else:
        fix = "neither the typical delivery nor the promise moved half a day, so its tail of "
        fix += "long deliveries grew: look at that month's carriers"
    return (
        f"Orders bought in {worst['month']:%B %Y} fared worst ({fmt.pct(worst['late_rate'])} "
        f"late, beyond chance{stats.across(found.compared, 'months')}{higher}): "
        f"its deliveries took a median {worst['median_days']:.1f} days against {took:.1f} in "
        f"the typical month, with {worst['median_promised_days']:.1f} days promised against "
        f"{promised:.1f}: {fix}."
    )


def _capacity(months: pl.DataFrame, worst: dict, pooled: float) -> str:
    """month_reading's advice for a month whose deliveries slowed: book capacity ahead of that
    month only when another year's same month ran late too (above `pooled`, the months'
    rate); a month late once is no season (the audit's: March 2018 read "book carrier capacity
    ahead" with March 2017 1.5% late)."""
    same = months.filter(
        (pl.col("month").dt.month() == worst["month"].month)
        & (pl.col("month").dt.year() != worst["month"].year)
    ).sort("month")
    again = same.filter(pl.col("late_rate") > pooled)
    name = f"{worst['month']:%B}"
    if again.height:
        other = again.row(-1, named=True)
        return (
            f": {other['month']:%B %Y} ran late too ({fmt.pct(other['late_rate'])}), so book "
            f"carrier capacity ahead of {name}"
        )
    if same.height:
        other = same.row(-1, named=True)
        return (
            f", but {other['month']:%B %Y} was {fmt.pct(other['late_rate'])} late: no season to "
            "book ahead for, look at that month's carriers"
        )
    return f": no other {name} in the data tells whether it recurs, look at that month's carriers"


def route_strata(keyed: pl.DataFrame) -> pl.DataFrame:
    """Delivered and late orders per customer state and route (keyed: keyed_facts): the
    routes compared within each customer state (route_reading)."""
    return (
        keyed.filter(pl.col("first_route"))
        .group_by("customer_region", "route")
        .agg(_rates())
        .select("customer_region", "route", "orders", "late_orders")
        .sort("customer_region", "route")
    )


def _within_states(strata: pl.DataFrame) -> tuple[float | None, int, str]:
    """stratified_z of orders crossing states against those within one, per customer state,
    how many states have both, and which one the comparison rests on where one carries over
    half its weight (stats.stratum_variances: 'SP, 63.3% of its weight' on the Olist subset;
    '' otherwise: a state of many orders within it but few across weighs little)."""
    wide = (
        strata.filter(pl.col("route").is_in(["other state", "same state"]))
        .pivot("route", index="customer_region", values=["orders", "late_orders"])
        .fill_null(0)
    )
    if not {"orders_other state", "orders_same state"} <= set(wide.columns):
        return None, 0, ""
    both = wide.filter((pl.col("orders_other state") > 0) & (pl.col("orders_same state") > 0))
    counts = [
        wide[c].to_numpy()
        for c in (
            "late_orders_other state",
            "orders_other state",
            "late_orders_same state",
            "orders_same state",
        )
    ]
    weights = stats.stratum_variances(*counts)
    rests = ""
    if weights.sum() > 0 and 2 * weights.max() > weights.sum():
        state = wide["customer_region"][int(weights.argmax())]
        rests = f"{fmt.plain(state)}, {fmt.pct(weights.max() / weights.sum())} of its weight"
    return stats.stratified_z(*counts), both.height, rests


def route_reading(routes: pl.DataFrame, strata: pl.DataFrame | None = None) -> str:
    """Compares the late rates of orders crossing states and within one (routes:
    performance_by route); orders crossing states late more often beyond chance are compared
    within each customer state too (`strata`: route_strata) before distance is named: the
    Olist subset's 7.5% against 5.1% vanished there (z 0.10), a comparison resting mostly on SP,
    where orders crossing states are late less often (in most other states they are late more
    often, on a few orders each): within chance, not "late whatever the route"."""
    same = routes.filter(pl.col("route") == "same state")
    other = routes.filter(pl.col("route") == "other state")
    if same.height == 0 or other.height == 0:
        return "Routes need both the customer's and the seller's state."
    s, o = same.row(0, named=True), other.row(0, named=True)
    text = (
        f"Orders crossing states take {o['median_days']:.1f} days (median) and are "
        f"{fmt.pct(o['late_rate'])} late, against {s['median_days']:.1f} days and "
        f"{fmt.pct(s['late_rate'])} within a state"
    )
    (o_low, o_high), (s_low, s_high) = (
        stats.wilson(r["late_orders"], r["orders"]) or (0.0, 1.0) for r in (o, s)
    )
    if o_low > s_high:
        text += ": orders crossing states are late more often beyond chance"
        z, states, rests = (None, 0, "") if strata is None else _within_states(strata)
        if z is None:  # no customer state buys both ways: nothing to compare within one
            return text + (
                "; whether the distance or the customer states that buy across states make them "
                "late, this comparison cannot tell."
            )
        within = f"{fmt.counted(states, 'customer state')} with both routes"
        if z is not None and z > stats.Z95:
            return text + (
                f", within each customer state too ({within}): sellers near the customers may "
                "cut lateness."
            )
        resting = f"; the comparison rests mostly on {rests}" if rests else ""
        return text + (
            f", but within chance once compared within each customer state ({within}{resting}), "
            "so distance is not shown to make orders late."
        )
    if s_low > o_high:
        return text + (
            ": orders within a state are late more often beyond chance, so distance is not what "
            "makes orders late here."
        )
    return text + (
        f"; the late rates' 95% intervals ({fmt.pct(o_low)}–{fmt.pct(o_high)} and "
        f"{fmt.pct(s_low)}–{fmt.pct(s_high)}) overlap, so the data cannot tell the routes apart "
        "on lateness."
    )


def review_reading(summary: pl.DataFrame, reviews: pl.DataFrame) -> str:
    """Compares 1-2 star shares of late and on-time orders (summary: the kpis table) and says
    what a late delivery goes with in stars, when the shares differ beyond chance (`reviews`:
    reviews_by_lateness, whose counts give the pooled two-proportion z, stats.shares_z, at
    95%: one comparison)."""
    late_low, on_time_low = (
        kpi(summary, "1-2 stars when late"),
        kpi(summary, "1-2 stars when on time"),
    )
    if late_low is None or on_time_low is None:
        return "Reviews need both late and on-time orders with a score."
    counts = reviews.group_by("late").agg(
        pl.col("orders").sum().alias("n"),
        (pl.col("orders") * pl.col("low_share")).sum().round().alias("k"),
    )
    late, on_time = (
        counts.filter(pl.col("late") == side).row(0, named=True) for side in (True, False)
    )
    z = stats.shares_z_of(late["k"], late["n"], on_time["k"], on_time["n"])
    text = (
        f"{fmt.pct(late_low)} of late orders get 1-2 stars against {fmt.pct(on_time_low)} of "
        "on-time ones"
    )
    if not stats.SINGLE.beyond(z):
        return (
            f"{text}: within chance on {fmt.counted(late['n'], 'reviewed late order')}, so these "
            "reviews show no cost of lateness."
        )
    cost = (kpi(summary, "review when on time") or 0.0) - (kpi(summary, "review when late") or 0.0)
    fewer = "fewer" if cost >= 0 else "more"
    return (
        f"{text}, beyond chance: a late delivery goes with {abs(cost):.2f} {fewer} stars on "
        "average."
    )
