"""Lateness and what follows: do customers whose first order came late order again?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from lib import fmt, measures, stats
from lib.analyses.movement import purchase_orders
from lib.model import Dataset

MONTHS = 6  # the follow-up after a first order: repeat orders and revenue within it
MIN_REPEATERS = 30  # fewer repeat buyers in a group: their timing and spend are noise
GROUPS = ("on time", "late")
NEEDS = "needs delivery dates: upload olist_orders_dataset.csv"
DAY_US = 86_400_000_000

_CUSTOMER_SCHEMA = {
    "customer_id": pl.String,
    "first_order_id": pl.String,
    "first_at": pl.Datetime("us"),
    "group": pl.String,
    "observed": pl.Boolean,
    "ordered_again": pl.Boolean,
    "days_to_next": pl.Float64,
    "orders_following": pl.Int64,
    "revenue_following": pl.Float64,
}


@dataclass(frozen=True)
class FirstOrders:
    """Each customer's first purchase and the purchases after it, whatever follow-up is chosen
    (a page caches this; customer_follow_ups then reruns in a few milliseconds).

    `customers`: one row per customer with a purchase, by first_at then first_order_id:
    customer_id, first_order_id, first_at, group ("late" or "on time": the first order's
    delivery, measures.delivered and measures.late; null when it was not delivered).
    `later`: one row per later purchase: customer_id, ordered_at, revenue, first_at.
    `last_at`: the data's last purchase (None without purchases).
    """

    customers: pl.DataFrame
    later: pl.DataFrame
    last_at: datetime | None


def first_orders(purchases: pl.DataFrame, orders: pl.DataFrame) -> FirstOrders:
    """FirstOrders from movement.purchase_orders(lines) (the purchases, one row per order: the
    table segment movement and the churn window read too) and the orders table with delivery
    dates."""
    # In time order (ties by order id) a customer's first row is the first purchase.
    ranked = (
        purchases.lazy()
        .select("order_id", "customer_id", "ordered_at", "revenue")
        .sort("ordered_at", "order_id")
        .with_columns(pl.col("customer_id").is_first_distinct().alias("_first"))
    )
    firsts = ranked.filter(pl.col("_first")).select(
        "customer_id",
        pl.col("order_id").alias("first_order_id"),
        pl.col("ordered_at").alias("first_at"),
    )
    delivery = orders.lazy().select(
        pl.col("order_id").alias("first_order_id"),
        pl.when(measures.delivered(orders))
        .then(pl.when(measures.late()).then(pl.lit("late")).otherwise(pl.lit("on time")))
        .alias("group"),
    )
    customers, later = pl.collect_all(
        [
            firsts.join(delivery, on="first_order_id", how="left", maintain_order="left"),
            ranked.filter(~pl.col("_first"))
            .select("customer_id", "ordered_at", "revenue")
            .join(firsts.select("customer_id", "first_at"), on="customer_id"),
        ]
    )
    return FirstOrders(customers, later, purchases["ordered_at"].max())


def customer_follow_ups(first: FirstOrders, months: int = MONTHS) -> pl.DataFrame:
    """What followed each customer's first purchase, within `months` calendar months of it.

    One row per customer of `first.customers`, in its order: customer_id, first_order_id,
    first_at, group, observed (the data runs at least `months` months past the first
    purchase), ordered_again (another purchase within the months), days_to_next (elapsed days to
    the next purchase within them; null otherwise), orders_following and revenue_following (the
    other purchases within them). ordered_again, days_to_next and the following figures are null
    when not observed.
    """
    if months < 1:
        raise ValueError("months must be at least 1")
    if first.last_at is None:
        return pl.DataFrame(schema=_CUSTOMER_SCHEMA)
    span = f"{months}mo"
    following = (
        first.later.lazy()
        .filter(pl.col("ordered_at") < pl.col("first_at").dt.offset_by(span))
        .group_by("customer_id")
        .agg(
            (
                (pl.col("ordered_at").min() - pl.col("first_at").first()).dt.total_microseconds()
                / DAY_US
            ).alias("days_to_next"),
            pl.len().cast(pl.Int64).alias("orders_following"),
            pl.col("revenue").sum().alias("revenue_following"),
        )
    )
    when_seen = pl.when(pl.col("observed"))
    return (
        first.customers.lazy()
        .join(following, on="customer_id", how="left", maintain_order="left")
        .with_columns((pl.int_range(pl.len()) < _followed(first, span)).alias("observed"))
        .with_columns(
            when_seen.then(pl.col("orders_following").is_not_null()).alias("ordered_again"),
            when_seen.then(pl.col("days_to_next")).alias("days_to_next"),
            when_seen.then(pl.col("orders_following").fill_null(0)).alias("orders_following"),
            when_seen.then(pl.col("revenue_following").fill_null(0.0)).alias("revenue_following"),
        )
        .select(list(_CUSTOMER_SCHEMA))
        .cast(_CUSTOMER_SCHEMA)
        .collect()
    )


def _followed(first: FirstOrders, span: str) -> int:
    """How many customers (a prefix: they are in first_at order) the data follows for `span`,
    i.e. whose first_at plus `span` is at most the last purchase. Calendar offsets clamp to a
    month's end, so only first purchases within a week after the last purchase minus `span` need
    the exact offset; those before it are all followed, those after it none."""
    assert first.last_at is not None
    starts = first.customers["first_at"]
    limit = pl.select(pl.lit(first.last_at).dt.offset_by(f"-{span}")).item()
    sure = int(starts.search_sorted(limit, side="right"))
    edge = int(starts.search_sorted(limit + timedelta(days=7), side="right"))
    near = starts.slice(sure, edge - sure).dt.offset_by(span)
    return sure + int((near <= first.last_at).sum())


@dataclass(frozen=True)
class Lateness:
    """Repeat business after a late or on-time first order.

    `groups`: one row per group in GROUPS order (both always present): group, customers
    (observed customers whose first order was delivered in that group), repeaters (of them,
    those who ordered again within `months`), repeat_share (0..1; null without customers),
    share_low and share_high (its 95% Wilson interval), median_days_to_next (among repeaters),
    revenue_following (total), revenue_per_customer (mean over the group's customers, zeros
    included) and revenue_per_repeater.
    `customers`: customer_follow_ups. `not_delivered`: customers whose first order was not
    delivered (no group); `too_recent`: customers with a delivered first order whom the data
    does not follow for `months` months yet.
    """

    months: int
    groups: pl.DataFrame
    customers: pl.DataFrame
    not_delivered: int
    too_recent: int


def lateness_groups(customers: pl.DataFrame, months: int = MONTHS) -> Lateness:
    """The group table of customer_follow_ups (see Lateness)."""
    grouped = customers.filter(pl.col("group").is_not_null())
    seen = grouped.filter(pl.col("observed"))
    per = seen.group_by("group").agg(
        pl.len().cast(pl.Int64).alias("customers"),
        pl.col("ordered_again").sum().cast(pl.Int64).alias("repeaters"),
        pl.col("days_to_next").median().alias("median_days_to_next"),
        pl.col("revenue_following").sum(),
    )
    rows = []
    for group in GROUPS:
        found = per.filter(pl.col("group") == group)
        n, k, median, revenue = found.row(0)[1:] if found.height else (0, 0, None, 0.0)
        interval = stats.wilson(k, n)
        rows.append(
            (
                group,
                n,
                k,
                k / n if n else None,
                interval[0] if interval else None,
                interval[1] if interval else None,
                median,
                float(revenue),
                revenue / n if n else None,
                revenue / k if k else None,
            )
        )
    table = pl.DataFrame(
        rows,
        schema={
            "group": pl.String,
            "customers": pl.Int64,
            "repeaters": pl.Int64,
            "repeat_share": pl.Float64,
            "share_low": pl.Float64,
            "share_high": pl.Float64,
            "median_days_to_next": pl.Float64,
            "revenue_following": pl.Float64,
            "revenue_per_customer": pl.Float64,
            "revenue_per_repeater": pl.Float64,
        },
        orient="row",
    )
    return Lateness(
        months,
        table,
        customers,
        not_delivered=customers.height - grouped.height,
        too_recent=grouped.height - seen.height,
    )


def followed_note(result: Lateness) -> str:
    """Whom the follow-up follows, for how long, and whom it leaves out: the page's caption and
    the report's say it alike."""
    return (
        f"Each customer is followed for {fmt.counted(result.months, 'calendar month')} after the "
        "first order, whose delivery sets the group; the interval is a 95% Wilson interval. Left "
        f"out: {fmt.count(result.not_delivered)} customers whose first order was never delivered "
        f"and {fmt.count(result.too_recent)} whose first order is less than "
        f"{fmt.counted(result.months, 'month')} before the data ends."
    )


def lateness_reading(result: Lateness, currency: str = "") -> str:
    """Sentences on the group table: the two repeat shares with their intervals and customers,
    whether the intervals separate them, and, only when each group has MIN_REPEATERS repeat
    buyers, their time to the next order and spend; otherwise it says plainly that too few
    repeat buyers exist to tell."""
    rows = {r["group"]: r for r in result.groups.iter_rows(named=True)}
    late, on_time = rows["late"], rows["on time"]
    window = f"within {fmt.counted(result.months, 'month')}"
    if not late["customers"] or not on_time["customers"]:
        missing = "late" if not late["customers"] else "on time"
        return (
            f"No customer whose first order arrived {missing} can be followed for "
            f"{result.months} months yet, so lateness cannot be compared with repeat orders."
        )

    def share(row: dict) -> str:
        return (
            f"{fmt.pct(row['repeat_share'])} (95% interval {fmt.pct(row['share_low'])}–"
            f"{fmt.pct(row['share_high'])}, {fmt.count(row['repeaters'])} of "
            f"{fmt.count(row['customers'])} customers)"
        )

    text = (
        f"Of customers whose first order arrived late, {share(late)} ordered again {window}, "
        f"against {share(on_time)} after an on-time first order"
    )
    apart = late["share_high"] < on_time["share_low"] or on_time["share_high"] < late["share_low"]
    if apart:
        fewer = late["repeat_share"] < on_time["repeat_share"]
        text += (
            f": a late first order is followed by {'fewer' if fewer else 'more'} repeat "
            "orders, beyond what chance explains."
        )
    else:
        text += ": the intervals overlap, so the data cannot tell the two groups apart."
    few = [g for g in ("late", "on time") if rows[g]["repeaters"] < MIN_REPEATERS]
    if few:
        who = " and ".join(
            f"{fmt.count(rows[g]['repeaters'])} after a {'late' if g == 'late' else 'timely'} "
            "first order"
            for g in few
        )
        text += (
            f" Too few repeat buyers to compare their time to the next order or what they spend "
            f"({who}; at least {MIN_REPEATERS} each are needed)."
        )
    else:
        text += (
            f" Repeat buyers placed their next order after a median "
            f"{fmt.number(late['median_days_to_next'], 0)} days after a late first order and "
            f"{fmt.number(on_time['median_days_to_next'], 0)} days after an on-time one, and "
            f"spent {fmt.money(late['revenue_per_repeater'], currency)} against "
            f"{fmt.money(on_time['revenue_per_repeater'], currency)} {window}."
        )
    return text


def follow_ups(first: FirstOrders, months: int = MONTHS) -> Lateness:
    """lateness_groups of customer_follow_ups: what a control on `months` recomputes."""
    return lateness_groups(customer_follow_ups(first, months), months)


def follow_lateness(ds: Dataset, months: int = MONTHS) -> Lateness:
    """follow_ups of a data set with lines and orders with delivery dates (ValueError with
    NEEDS otherwise)."""
    if not ds.has("orders", "delivered_at", "estimated_delivery_at") or not ds.has("lines"):
        raise ValueError(f"lateness and repeat orders {NEEDS}")
    return follow_ups(first_orders(purchase_orders(ds.table("lines")), ds.table("orders")), months)


def headless(ds: Dataset, months: int = MONTHS) -> dict[str, pl.DataFrame]:
    """Repeat business after a late versus an on-time first order, each customer followed for
    `months` calendar months. groups: Lateness.groups; customers: customer_follow_ups (for
    export). ValueError without lines or delivery dates."""
    result = follow_lateness(ds, months)
    return {"groups": result.groups, "customers": result.customers}
