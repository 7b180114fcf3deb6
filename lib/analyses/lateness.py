"""Lateness and what follows: do customers whose first order came late order again once it
arrived?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from lib import fmt, measures, stats
from lib.measures import purchase_orders
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
    "arrived_at": pl.Datetime("us"),
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
    customer_id, first_order_id, first_at, arrived_at (the first order's delivery) and group
    ("late" or "on time": measures.delivered and measures.late), both null when the first order
    was not delivered.
    `later`: one row per later purchase: customer_id, ordered_at, revenue, arrived_at.
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
    delivered = measures.delivered(orders)
    delivery = orders.lazy().select(
        pl.col("order_id").alias("first_order_id"),
        pl.when(delivered).then(pl.col("delivered_at")).alias("arrived_at"),
        pl.when(delivered)
        .then(pl.when(measures.late()).then(pl.lit("late")).otherwise(pl.lit("on time")))
        .alias("group"),
    )
    customers = firsts.join(delivery, on="first_order_id", how="left", maintain_order="left")
    customers, later = pl.collect_all(
        [
            customers,
            ranked.filter(~pl.col("_first"))
            .select("customer_id", "ordered_at", "revenue")
            .join(customers.select("customer_id", "arrived_at"), on="customer_id"),
        ]
    )
    return FirstOrders(customers, later, purchases["ordered_at"].max())


def customer_follow_ups(first: FirstOrders, months: int = MONTHS) -> pl.DataFrame:
    """What followed each customer's first order once it arrived, within `months` calendar
    months of its delivery: orders placed before it arrived (the same basket split in two, or
    a second order while waiting) cannot answer to how it was delivered, so they do not count.

    One row per customer of `first.customers`, in its order: customer_id, first_order_id,
    first_at, arrived_at, group, observed (the first order arrived and the data runs at least
    `months` months past its arrival), ordered_again (a purchase after the arrival and within
    the months), days_to_next (elapsed days from the arrival to the next such purchase; null
    otherwise), orders_following and revenue_following (those purchases). ordered_again,
    days_to_next and the following figures are null when not observed.
    """
    if months < 1:
        raise ValueError("months must be at least 1")
    if first.last_at is None:
        return pl.DataFrame(schema=_CUSTOMER_SCHEMA)
    span = f"{months}mo"
    following = (
        first.later.lazy()
        .filter(
            (pl.col("ordered_at") > pl.col("arrived_at"))
            & (pl.col("ordered_at") < pl.col("arrived_at").dt.offset_by(span))
        )
        .group_by("customer_id")
        .agg(
            (
                (pl.col("ordered_at").min() - pl.col("arrived_at").first()).dt.total_microseconds()
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
        .with_columns(
            (pl.col("arrived_at").dt.offset_by(span) <= first.last_at)
            .fill_null(False)
            .alias("observed")
        )
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


# The follow-up table's headers (short: the page's help has the long words), on the page and in
# the report; the group total of revenue_following is in neither (the CSV has it).
FOLLOW_HEADERS = {
    "group": "Customers",
    "customers": "Followed",
    "repeaters": "Ordered again",
    "repeat_share": "Share",
    "share_low": "95% low",
    "share_high": "95% high",
    "median_days_to_next": "Median days to next",
    "revenue_per_customer": "Later revenue per customer",
    "revenue_per_repeater": "Per repeat buyer",
}

# Under the follow-up's table, on the page and in the report.
FEW_NOTE = (
    f"With fewer than {MIN_REPEATERS} repeat buyers in a group, its days to the next order and "
    "its later revenue, per customer and per repeat buyer, are noise and left blank."
)


def shown_groups(groups: pl.DataFrame) -> pl.DataFrame:
    """lateness_groups' table as the page and the report show it (FEW_NOTE): a group's median
    days to the next order and its later revenue per customer and per repeat buyer blank where
    it has fewer than MIN_REPEATERS repeat buyers. The revenue per customer of a group with one
    repeat buyer is that buyer's spend spread over the group: a figure of one customer."""
    few = pl.col("repeaters") < MIN_REPEATERS
    noisy = ("median_days_to_next", "revenue_per_customer", "revenue_per_repeater")
    return groups.with_columns(pl.when(~few).then(pl.col(*noisy)))


def followed_note(result: Lateness) -> str:
    """Whom the follow-up follows, for how long, and whom it leaves out: the page's caption and
    the report's say it alike."""
    return (
        f"Each customer is followed for {fmt.counted(result.months, 'calendar month')} after the "
        "first order arrived, its delivery setting the group; orders placed before it arrived do "
        "not count, as they cannot answer to it. The interval is a 95% Wilson interval. Left "
        f"out: {fmt.counted(result.not_delivered, 'customer')} whose first order was not delivered "
        "(or lacks a delivery date, or has impossible ones) "
        f"and {fmt.count(result.too_recent)} whose first order arrived less than "
        f"{fmt.counted(result.months, 'month')} before the data ends."
    )


def _apart(late: dict, on_time: dict) -> bool:
    """Whether the two groups' repeat shares differ beyond chance: Fisher's exact test of their
    counts, two-sided, at 5% (one comparison). Exact where the intervals are not a test: 0 of 3
    against 600 of 1,000 have intervals apart, yet p = 0.065."""
    from scipy.stats import fisher_exact

    table = [[row["repeaters"], row["customers"] - row["repeaters"]] for row in (late, on_time)]
    return bool(fisher_exact(table).pvalue < stats.FAMILY)


def by_group(result: Lateness) -> dict[str, dict]:
    """The follow-up's group rows by group ("late", "on time")."""
    return {r["group"]: r for r in result.groups.iter_rows(named=True)}


def shares_apart(result: Lateness) -> bool:
    """Whether the late and on-time groups' repeat shares differ beyond chance (_apart); False
    when either group has no customer to follow."""
    rows = by_group(result)
    late, on_time = rows["late"], rows["on time"]
    return bool(late["customers"] and on_time["customers"] and _apart(late, on_time))


def lateness_reading(result: Lateness, currency: str = "") -> str:
    """Sentences on the group table: the two repeat shares with their intervals and customers,
    whether they differ beyond chance (_apart), and, only when each group has MIN_REPEATERS repeat
    buyers, their time to the next order and spend; otherwise it says plainly that too few
    repeat buyers exist to tell."""
    rows = by_group(result)
    late, on_time = rows["late"], rows["on time"]
    window = f"within {fmt.counted(result.months, 'month')} of its arrival"
    if not late["customers"] or not on_time["customers"]:
        missing = "late" if not late["customers"] else "on time"
        return (
            f"No customer whose first order arrived {missing} can be followed for "
            f"{fmt.counted(result.months, 'month')} yet, so lateness cannot be compared with "
            "repeat orders."
        )
    # As many decimals (up to 3) as the intervals' facing ends need to read as they lie.
    lower, upper = sorted((late, on_time), key=lambda r: r["repeat_share"])
    digits = next(
        (d for d in (1, 2) if fmt.pct(lower["share_high"], d) != fmt.pct(upper["share_low"], d)),
        3,
    )

    def share(row: dict) -> str:
        return (
            f"{fmt.pct(row['repeat_share'])} (95% interval {fmt.pct(row['share_low'], digits)}–"
            f"{fmt.pct(row['share_high'], digits)}, {fmt.count(row['repeaters'])} of "
            f"{fmt.count(row['customers'])} customers)"
        )

    text = (
        f"Of customers whose first order arrived late, {share(late)} ordered again {window}, "
        f"against {share(on_time)} after an on-time first order"
    )
    if _apart(late, on_time):
        fewer = late["repeat_share"] < on_time["repeat_share"]
        text += (
            f": a late first order is followed by {'fewer' if fewer else 'more'} repeat "
            "orders, beyond what chance explains (an exact test of the two groups' counts)."
        )
    else:
        text += (
            ": an exact test of the two groups' counts puts the difference within chance, so "
            "the data cannot tell them apart."
        )
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
            f" Repeat buyers placed their next order a median "
            f"{fmt.number(late['median_days_to_next'], 0)} days after a late first order arrived "
            f"and {fmt.number(on_time['median_days_to_next'], 0)} days after an on-time one, and "
            f"spent {fmt.money(late['revenue_per_repeater'], currency)} against "
            f"{fmt.money(on_time['revenue_per_repeater'], currency)} within "
            f"{fmt.counted(result.months, 'month')}."
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
