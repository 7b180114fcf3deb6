"""Repeat business after a late first order: tiny hand-made orders, the marketplace demo's
planted effect, and the real Olist subset, where too few customers come back to tell."""

import dataclasses
from datetime import datetime

import polars as pl
import pytest

from lib import demo, formats, io, stats
from lib.analyses import lateness, movement
from lib.model import Dataset
from tests.conftest import shared_file
from tests.test_formats import OLIST_SUBSET

D = datetime


ORDERS = pl.DataFrame(
    [
        ("o1", "a", D(2024, 1, 1, 10), "delivered", D(2024, 1, 12), D(2024, 1, 10)),  # late
        ("o2", "a", D(2024, 2, 1, 10), "delivered", D(2024, 2, 5), D(2024, 2, 10)),
        ("o3", "b", D(2024, 1, 2, 10), "delivered", D(2024, 1, 5), D(2024, 1, 10)),
        ("o4", "b", D(2024, 3, 2, 10), "delivered", D(2024, 3, 5), D(2024, 3, 10)),
        ("o5", "b", D(2024, 6, 1, 10), "delivered", D(2024, 6, 5), D(2024, 6, 10)),
        ("o6", "c", D(2024, 1, 3, 10), "delivered", D(2024, 1, 5), D(2024, 1, 10)),
        ("o7", "d", D(2024, 1, 4, 10), "delivered", D(2024, 1, 20), D(2024, 1, 15)),  # late
        ("o8", "d", D(2024, 8, 1, 10), "delivered", D(2024, 8, 5), D(2024, 8, 10)),
        ("o9", "e", D(2024, 1, 5, 10), "shipped", None, D(2024, 1, 15)),
        ("o10", "f", D(2024, 12, 1, 10), "delivered", D(2024, 12, 5), D(2024, 12, 10)),
        ("o11", "g", D(2024, 12, 31, 12), "delivered", None, D(2025, 1, 10)),
        # h orders again an hour later, before the first order arrives: that cannot answer to it.
        ("o12", "h", D(2024, 1, 6, 10), "delivered", D(2024, 1, 20), D(2024, 1, 25)),
        ("o13", "h", D(2024, 1, 6, 11), "delivered", D(2024, 1, 21), D(2024, 1, 25)),
    ],
    schema={
        "order_id": pl.String,
        "customer_id": pl.String,
        "ordered_at": pl.Datetime("us"),
        "status": pl.String,
        "delivered_at": pl.Datetime("us"),
        "estimated_delivery_at": pl.Datetime("us"),
    },
    orient="row",
)
REVENUE = {"o2": 30.0, "o4": 20.0, "o5": 10.0, "o8": 50.0}
LINES = ORDERS.select(
    "order_id",
    "customer_id",
    "ordered_at",
    pl.col("order_id")
    .replace_strict(REVENUE, default=5.0, return_dtype=pl.Float64)
    .alias("revenue"),
    pl.lit(False).alias("is_return"),
)
FIRST = lateness.first_orders(movement.purchase_orders(LINES), ORDERS)


def test_each_customer_is_followed_from_the_first_orders_arrival_for_the_chosen_months():
    follow = lateness.customer_follow_ups(FIRST, months=6)
    assert follow.select(
        "customer_id",
        "group",
        "observed",
        "ordered_again",
        "days_to_next",
        "orders_following",
        "revenue_following",
    ).rows() == [
        # o1 arrived 12 Jan 00:00, o2 was placed 1 Feb 10:00: 20 days and 10 hours later.
        ("a", "late", True, True, pytest.approx(20 + 10 / 24), 1, 30.0),
        # o3 arrived 5 Jan; o4 on 2 Mar 10:00 (26 + 29 + 2 days, 10 hours), o5 on 1 Jun, both
        # before 5 Jul.
        ("b", "on time", True, True, pytest.approx(57 + 10 / 24), 2, 30.0),
        ("c", "on time", True, False, None, 0, 0.0),
        ("d", "late", True, False, None, 0, 0.0),  # o8 came after the six months (20 Jul)
        ("e", None, False, None, None, None, None),  # first order not delivered
        ("h", "on time", True, False, None, 0, 0.0),  # o13 came before o12 arrived
        ("f", "on time", False, None, None, None, None),  # the data ends a month later
        ("g", None, False, None, None, None, None),
    ]
    with pytest.raises(ValueError, match="months"):
        lateness.customer_follow_ups(FIRST, months=0)


def test_groups_give_repeat_shares_with_intervals_and_the_customers_behind_them():
    follow = lateness.customer_follow_ups(FIRST, months=6)
    result = lateness.lateness_groups(follow, 6)
    low, high = stats.wilson(1, 2)
    low3, high3 = stats.wilson(1, 3)
    assert result.groups.rows() == [
        ("on time", 3, 1, pytest.approx(1 / 3), low3, high3, pytest.approx(57 + 10 / 24))
        + (30.0, 10.0, 30.0),
        ("late", 2, 1, 0.5, low, high, pytest.approx(20 + 10 / 24), 30.0, 15.0, 30.0),
    ]
    assert (result.not_delivered, result.too_recent) == (2, 1)
    assert lateness.lateness_reading(result, "BRL") == (
        "Of customers whose first order arrived late, 50.0% (95% interval 9.5%–90.5%, 1 of 2 "
        "customers) ordered again within 6 months of its arrival, against 33.3% (95% interval "
        f"{low3:.1%}–{high3:.1%}, 1 of 3 customers) after an on-time first order: an exact "
        "test of the two groups' counts puts the difference within chance, so the data cannot "
        "tell them apart. Too few repeat buyers to compare their time to the next order or what "
        "they spend (1 after a late first order and 1 after a timely first order; at least 30 "
        "each are needed)."
    )
    assert lateness.followed_note(result) == (
        "Each customer is followed for 6 calendar months after the first order arrived, its "
        "delivery setting the group; orders placed before it arrived do not count, as they "
        "cannot answer to it. The interval is a 95% Wilson interval. Left out: 2 customers whose "
        "first order was not delivered (or lacks a delivery date, or has impossible ones) and 1 "
        "whose first order arrived less than 6 months before the data ends."
    )
    one = dataclasses.replace(result, not_delivered=1)
    assert "Left out: 1 customer whose first order was not delivered" in (
        lateness.followed_note(one)
    )
    # Eight months: d's second order counts.
    longer = lateness.lateness_groups(lateness.customer_follow_ups(FIRST, months=8), 8)
    assert longer.groups.filter(pl.col("group") == "late")["repeaters"].item() == 2


def _hand_groups(late: tuple[int, int], on_time: tuple[int, int], months: int = 6):
    """A Lateness of (repeaters, customers) per group, with their Wilson intervals."""
    rows = []
    for group, (k, n) in (("on time", on_time), ("late", late)):
        low, high = stats.wilson(k, n)
        rows.append((group, n, k, k / n, low, high, 10.0, 0.0, 0.0, 0.0))
    columns = ["group", "customers", "repeaters", "repeat_share", "share_low", "share_high"]
    columns += ["median_days_to_next", "revenue_following", "revenue_per_customer"]
    table = pl.DataFrame(rows, schema=[*columns, "revenue_per_repeater"], orient="row")
    return lateness.Lateness(months, table, pl.DataFrame(), 0, 0)


def test_lateness_is_beyond_chance_by_an_exact_test_not_by_intervals_apart():
    """0 of 3 late customers came back against 600 of 1,000: the Wilson intervals (0%-56.1%,
    57.0%-63.0%) are apart, but Fisher's exact test gives p = 0.4^3 = 0.064 (two-sided, as
    scipy sums it): within chance. It read "beyond what chance explains". 0 of 10 is apart by
    the test (p = 0.4^10 = 0.0001)."""
    from scipy.stats import fisher_exact

    assert 0.05 < fisher_exact([[0, 3], [600, 400]]).pvalue < 0.07
    assert stats.wilson(0, 3)[1] < stats.wilson(600, 1000)[0]
    three = lateness.lateness_reading(_hand_groups((0, 3), (600, 1000)))
    assert "puts the difference within chance" in three and "beyond" not in three
    ten = lateness.lateness_reading(_hand_groups((0, 10), (600, 1000)))
    assert "a late first order is followed by fewer repeat orders, beyond what chance " in ten
    # One month reads "1 month", not "1 months".
    empty = _hand_groups((0, 10), (600, 1000), months=1)
    empty = lateness.Lateness(
        1, empty.groups.with_columns(customers=pl.Series([5, 0])), pl.DataFrame(), 0, 0
    )
    assert lateness.lateness_reading(empty).startswith(
        "No customer whose first order arrived late can be followed for 1 month yet"
    )


def test_intervals_read_with_the_decimals_that_keep_them_apart():
    """The marketplace demo at one month: the late group's interval ends at 0.286%, the on-time
    group's starts at 0.311%: '0.0%–0.3%' against '0.3%–0.5%' seemed to touch."""
    text = lateness.lateness_reading(_hand_groups((0, 1340), (155, 38000)))
    high, low = stats.wilson(0, 1340)[1], stats.wilson(155, 38000)[0]
    assert f"{high:.2%}" != f"{low:.2%}"
    assert f"0.00%–{high:.2%}" in text and f"{low:.2%}–" in text


def test_a_group_nobody_can_be_followed_in_is_said_plainly():
    first = lateness.first_orders(movement.purchase_orders(LINES), ORDERS)
    follow = lateness.customer_follow_ups(first, 6).filter(pl.col("group") != "late")
    result = lateness.lateness_groups(follow, 6)
    assert result.groups["customers"].to_list() == [3, 0]
    assert result.groups["repeat_share"].to_list()[1] is None
    assert lateness.lateness_reading(result).startswith(
        "No customer whose first order arrived late can be followed for 6 months yet"
    )


def test_headless_needs_delivery_dates():
    ds = Dataset("tiny", "generic", "BRL", tables={"lines": LINES, "orders": ORDERS})
    out = lateness.headless(ds, months=6)
    assert set(out) == {"groups", "customers"}
    assert out["groups"]["customers"].to_list() == [3, 2]
    bare = Dataset("tiny", "generic", "BRL", tables={"lines": LINES})
    with pytest.raises(ValueError, match="needs delivery dates"):
        lateness.headless(bare)


def _groups(ds: Dataset) -> dict[str, dict]:
    return {r["group"]: r for r in lateness.follow_lateness(ds).groups.iter_rows(named=True)}


def test_the_marketplace_demos_late_first_orders_are_followed_by_fewer_repeat_orders():
    planted = _groups(formats.assemble_demo("marketplace").dataset)
    late, on_time = planted["late"], planted["on time"]
    assert late["customers"] >= 500 and on_time["customers"] >= 5000
    assert late["share_high"] < on_time["share_low"]  # the intervals do not overlap
    assert late["repeat_share"] < on_time["repeat_share"] / 2
    ds = formats.assemble_demo("marketplace").dataset
    result = lateness.follow_lateness(ds)
    follow = result.customers
    last = movement.purchase_orders(ds.tables["lines"])["ordered_at"].max()
    # Followed: delivered, and arrived six months or more before the data's last purchase.
    arrived = follow["arrived_at"]
    assert (
        follow["observed"].to_list()
        == (arrived.is_not_null() & (arrived.dt.offset_by("6mo") <= last)).to_list()
    )
    assert (follow["arrived_at"].is_null() == follow["group"].is_null()).all()
    reading = lateness.lateness_reading(result)
    assert "a late first order is followed by fewer repeat orders" in reading
    # Without the planted effect, lateness makes no difference the intervals can see.
    generated = demo.demo("marketplace", patterns=False)
    plain = formats.assemble([io.RawTable(n, n, f) for n, f in generated.files.items()]).dataset
    unplanted = _groups(plain)
    late, on_time = unplanted["late"], unplanted["on time"]
    assert late["share_low"] <= on_time["share_high"] and on_time["share_low"] <= late["share_high"]


def test_on_the_real_olist_subset_too_few_customers_come_back_to_tell():
    tables = [t for f in OLIST_SUBSET for t in io.read_path(shared_file(f))]
    ds = formats.assemble(tables).dataset
    result = lateness.follow_lateness(ds)
    groups = {r["group"]: r for r in result.groups.iter_rows(named=True)}
    followed = groups["late"]["customers"] + groups["on time"]["customers"]
    assert (
        followed + result.not_delivered + result.too_recent
        == ds.tables["lines"]["customer_id"].n_unique()
    )
    repeaters = groups["late"]["repeaters"] + groups["on time"]["repeaters"]
    assert repeaters / followed < 0.03
    reading = lateness.lateness_reading(result, ds.currency)
    assert "Too few repeat buyers" in reading
    # One repeat buyer after a late first order: the group's later revenue per customer is that
    # buyer's spend over all 133 it follows, a figure of one customer, shown blank as the reading
    # says (its spend counted from the raw files: 189.90 over 133).
    shown = {r["group"]: r for r in lateness.shown_groups(result.groups).iter_rows(named=True)}
    assert (groups["late"]["repeaters"], groups["late"]["customers"]) == (1, 133)
    assert groups["late"]["revenue_per_customer"] == pytest.approx(189.90 / 133)
    assert shown["late"]["revenue_per_customer"] is None
    assert shown["on time"]["revenue_per_customer"] is None  # 20 repeat buyers: under 30 too
    assert shown["late"]["customers"] == 133


def test_the_marketplace_pattern_keeps_persons_their_order_counts_and_states():
    planted, unplanted = demo.demo("marketplace"), demo.demo("marketplace", patterns=False)
    # A person who takes orders over moves them to its address, in the same state.
    moved = ("customer_unique_id", "customer_zip_code_prefix", "customer_city")
    for name, frame in planted.files.items():
        kept = [c for c in frame.columns if c not in moved]
        assert frame.select(kept).equals(unplanted.files[name].select(kept)), name
    counts = [
        g.files["olist_customers_dataset.csv"]
        .group_by("customer_unique_id")
        .len()["len"]
        .sort()
        .to_list()
        for g in (planted, unplanted)
    ]
    assert counts[0] == counts[1]
    states = [
        g.files["olist_customers_dataset.csv"]
        .group_by("customer_unique_id")
        .agg(pl.col("customer_state").n_unique())["customer_state"]
        .max()
        for g in (planted, unplanted)
    ]
    assert states == [1, 1]
    assert planted.truth["late_first_handed_over"] > 0
    assert planted.planted == unplanted.planted


def test_a_customer_is_followed_when_the_data_reaches_the_calendar_months_after_the_arrival():
    # Each order arrives as it is placed. The data ends 28 Feb 2025: six months after 31 Aug
    # 2024 is 28 Feb (the month's end), so that customer is followed; six months after 1 Sep is
    # 1 Mar, which the data does not reach.
    rows = [
        ("x", "a", D(2024, 8, 28, 9)),
        ("y", "b", D(2024, 8, 31, 9)),
        ("z", "c", D(2024, 9, 1, 9)),
        ("w", "d", D(2024, 9, 20, 9)),
        ("v", "e", D(2025, 2, 28, 10)),
    ]
    bought = pl.DataFrame(
        rows,
        schema={"order_id": pl.String, "customer_id": pl.String, "ordered_at": pl.Datetime("us")},
        orient="row",
    ).with_columns(pl.lit(1.0).alias("revenue"))
    orders = bought.select(
        "order_id",
        pl.lit("delivered").alias("status"),
        pl.col("ordered_at"),
        pl.col("ordered_at").alias("delivered_at"),
        (pl.col("ordered_at") + pl.duration(days=3)).alias("estimated_delivery_at"),
    )
    first = lateness.first_orders(bought, orders)
    follow = lateness.customer_follow_ups(first, 6)
    assert follow.select("customer_id", "observed").rows() == [
        ("a", True),
        ("b", True),
        ("c", False),
        ("d", False),
        ("e", False),
    ]
    expected = bought["ordered_at"].dt.offset_by("6mo") <= bought["ordered_at"].max()
    assert follow["observed"].to_list() == expected.to_list()


def test_the_chart_says_the_months_run_from_the_first_orders_arrival():
    from lib.charts import lateness as charts

    groups = lateness.lateness_groups(lateness.customer_follow_ups(FIRST, 6), 6).groups
    spec = str(charts.repeat_share_chart(groups, 6).to_dict())
    assert "Ordered again within 6 months of the first order's arrival (95% interval)" in spec
