"""Churn window on a tiny hand-made shop: gaps, window quantiles and statuses month by month."""

from datetime import date, datetime, timedelta

import polars as pl
import pytest

from lib import formats, io
from lib.analyses import churn
from lib.model import Dataset
from tests.conftest import shared_file


def line(order: str, who: str, day: date, revenue: float = 10.0):
    return (order, who, datetime(day.year, day.month, day.day, 11), revenue, False)


# Purchase days: a 5 Jan, 15 Jan, 1 Mar; b 10 Jan (twice), 9 Feb; c 20 Feb; d 2 Jan, 4 Jan,
# 10 Apr (the data's last day).
SHOP = pl.DataFrame(
    [
        line("1", "a", date(2024, 1, 5)),
        line("2", "a", date(2024, 1, 15)),
        line("3", "a", date(2024, 3, 1)),
        line("4", "b", date(2024, 1, 10)),
        line("5", "b", date(2024, 1, 10)),
        line("6", "b", date(2024, 2, 9)),
        line("7", "c", date(2024, 2, 20)),
        line("8", "d", date(2024, 1, 2)),
        line("9", "d", date(2024, 1, 4)),
        line("10", "d", date(2024, 4, 10)),
        line("C1", "c", date(2024, 3, 5), -10.0),  # a return is no purchase day
    ],
    schema={
        "order_id": pl.String,
        "customer_id": pl.String,
        "ordered_at": pl.Datetime("us"),
        "revenue": pl.Float64,
        "is_return": pl.Boolean,
    },
    orient="row",
)


def test_gaps_are_days_between_consecutive_purchase_days():
    days = churn.purchase_days(SHOP)
    assert days.height == 9  # b's two orders on 10 Jan are one day; c's return is none
    gaps = churn.repeat_gaps(days)
    assert gaps.select("customer_id", "gap_days").rows() == [
        ("a", 10),
        ("a", 46),  # 15 Jan to 1 Mar 2024 (a leap year)
        ("b", 30),
        ("d", 2),
        ("d", 97),
    ]


def test_the_window_is_the_smallest_gap_that_covers_the_share_of_repeat_purchases():
    gaps = churn.repeat_gaps(churn.purchase_days(SHOP))["gap_days"]  # 2, 10, 30, 46, 97
    assert churn.window_days(gaps, 0.5) == 30
    assert churn.window_days(gaps, 0.6) == 30  # three of five within 30 days
    assert churn.window_days(gaps, 0.8) == 46
    assert churn.window_days(gaps, 0.9) == 97
    assert churn.window_days(gaps, 1.0) == 97
    assert churn.window_days(gaps.clear(), 0.9) is None
    with pytest.raises(ValueError, match="quantile"):
        churn.window_days(gaps, 0.0)


def test_windows_and_distribution_count_the_repeat_purchases_behind_them():
    gaps = churn.repeat_gaps(churn.purchase_days(SHOP))
    assert churn.churn_windows(gaps, (0.9, 0.8, 0.9)).rows() == [
        (0.8, 46, 5, 3),
        (0.9, 97, 5, 3),
    ]
    spread = churn.gap_distribution(gaps)
    assert spread["gap_days"].to_list() == [2, 10, 30, 46, 97]
    assert spread["cumulative_share"].to_list() == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])


def test_each_month_counts_new_repeating_waiting_and_lapsed_customers():
    monthly = churn.monthly_status(churn.purchase_days(SHOP), 46)
    # Feb: b again, c new; a last bought 15 Jan (45 days before 29 Feb: waiting), d 4 Jan
    # (56 days: lapsed). Mar: a again; c 40 days (waiting); b 51 and d 87 days (lapsed). Apr,
    # which the data ends on the 10th: d again; a 40 days; b 61 and c 50 days (lapsed).
    assert monthly.rows() == [
        (date(2024, 1, 1), date(2024, 1, 31), 3, 0, 0, 0, 3, False),
        (date(2024, 2, 1), date(2024, 2, 29), 1, 1, 1, 1, 4, False),
        (date(2024, 3, 1), date(2024, 3, 31), 0, 1, 1, 2, 4, False),
        (date(2024, 4, 1), date(2024, 4, 10), 0, 1, 1, 2, 4, True),
    ]
    # A window shorter than a month: a bought on 15 Jan, 16 days before its end, yet counts as
    # new in January, the month she bought in; from February everyone not buying is lapsed.
    short = churn.monthly_status(churn.purchase_days(SHOP), 10)
    assert short.row(0) == (date(2024, 1, 1), date(2024, 1, 31), 3, 0, 0, 0, 3, False)
    assert short.select("waiting", "lapsed").rows()[1:] == [(0, 2), (0, 3), (0, 3)]
    assert churn.monthly_status(churn.purchase_days(SHOP.clear()), 10).height == 0


def test_offered_windows_are_counted_with_the_base_and_others_when_asked():
    days = churn.purchase_days(SHOP)
    base = churn.churn_base(days)
    assert set(base.monthly) == {46, 97}  # 75% and 80% of five gaps: 46 days; 90%, 95%: 97
    offered = churn.churn(base, 0.8)
    assert offered.monthly is base.monthly[46]
    assert offered.monthly.select("waiting", "lapsed").rows() == [(0, 0), (1, 1), (1, 2), (1, 2)]
    # 60% is not offered: its window (30 days) is counted on request, like any other.
    other = churn.churn(base, 0.6)
    assert other.windows.select("quantile", "days").rows() == [(0.6, 30), (0.8, 46), (0.9, 97)]
    assert other.monthly.equals(churn.monthly_status(days, 30))


def test_a_headless_base_counts_only_the_window_asked():
    days = churn.purchase_days(SHOP)
    asked = churn.churn_base(days, (0.9,))
    assert set(asked.monthly) == {97}  # 90% of five gaps: 97 days; not 75% and 80%'s 46
    assert asked.windows["quantile"].to_list() == [0.8, 0.9]
    assert set(churn.churn_base(days, ()).monthly) == set()
    every = churn.churn(churn.churn_base(days), 0.9)
    alone = churn.churn(asked, 0.9)
    assert alone.days == every.days == 97
    assert alone.monthly.equals(every.monthly)
    assert alone.windows.equals(every.windows)


def test_reading_states_the_window_and_says_when_too_few_repeat_purchases_exist():
    result = churn.churn(churn.churn_base(churn.purchase_days(SHOP)), 0.8)
    assert result.days == 46
    assert churn.churn_reading(result) == (
        "80% of repeat purchases came within 46 days of the customer's previous purchase (5 "
        "repeat purchases, on later days, by 3 customers, 75.0% of all customers): too few to "
        "set a churn window (at least 30 repeat purchases by 10 customers are needed), so "
        "'lapsed' below is only a rough guide."
    )
    once = churn.churn(
        churn.churn_base(churn.purchase_days(SHOP.filter(pl.col("order_id") == "1")))
    )
    assert once.days is None
    assert churn.churn_reading(once).startswith("No customer bought on two different days")


def test_a_window_from_one_customers_repeat_purchases_is_only_a_rough_guide():
    """One customer buys on 31 days in a row (30 repeat purchases, every gap 1 day), 9 others
    once: the window read '90% of repeat purchases came within 1 days' as settled, and counted
    9 of 10 customers lapsed. 30 gaps by one customer are that customer's habit."""
    rows = [line(f"a{i}", "a", date(2024, 1, 1) + timedelta(days=i)) for i in range(31)]
    rows += [line(f"b{j}", f"b{j}", date(2024, 1 + j % 3, 5)) for j in range(9)]
    days = churn.purchase_days(pl.DataFrame(rows, schema=SHOP.schema, orient="row"))
    result = churn.churn(churn.churn_base(days), 0.9)
    assert result.days == 1 and churn.rough(result)
    assert churn.churn_reading(result) == (
        "90% of repeat purchases came within 1 day of the customer's previous purchase (30 "
        "repeat purchases, on later days, by 1 customer, 10.0% of all customers): too few to set "
        "a churn window (at least 30 repeat purchases by 10 customers are needed), so 'lapsed' "
        "below is only a rough guide."
    )


def test_reading_says_plainly_when_nearly_every_customer_buys_once():
    """Olist: 6,758 of 6,800 customers bought on one day only, and the window rested on 70 gaps
    of 42 customers, yet the reading counted 3,835 'lapsed' as if a return were due. Here 2 of
    100 customers buy every 7 days from 1 Jan, 16 days each (30 gaps, all of 7 days); the 98
    others buy once, on 2 Jan: 98.0% once, under the 1 in 20 that repeats at the least."""
    repeat = [
        line(f"{who}{n}", who, date(2024, 1, 1) + timedelta(days=7 * n))
        for who in ("r1", "r2")
        for n in range(16)
    ]
    once = [line(f"o{i}", f"c{i}", date(2024, 1, 2)) for i in range(98)]
    days = churn.purchase_days(pl.DataFrame(repeat + once, schema=SHOP.schema, orient="row"))
    result = churn.churn(churn.churn_base(days))
    assert (result.days, churn.rough(result)) == (7, True)
    assert churn.churn_reading(result) == (
        "Nearly every customer bought on one day only: 98 of 100 (98.0%). 90% of "
        "repeat purchases came within 7 days of the customer's previous purchase, but that rests "
        "on 30 repeat purchases by the other 2 customers: it says how soon the few who come back "
        "do, not that the others will. 'Waiting' and 'lapsed' below only say how long customers "
        "have been quiet."
    )
    # One in five buying again is no 'nearly everyone once': the usual reading, no caution.
    more = [line(f"x{i}", f"c{i}", date(2024, 1, 30)) for i in range(20)]
    days = churn.purchase_days(pl.DataFrame(repeat + once + more, schema=SHOP.schema, orient="row"))
    result = churn.churn(churn.churn_base(days))
    assert not churn.rough(result)
    assert "had not bought for longer than that" in churn.churn_reading(result)


OLIST_FILES = ("orders", "order_items", "customers", "order_reviews")


def olist_purchase_days() -> tuple[pl.DataFrame, list]:
    """The Olist subset's distinct purchase days per person, recounted from the raw files
    (customer_unique_id, day as a Date; a purchase is an item of an order neither canceled nor
    unavailable), and the files' tables as the app reads them."""
    folder = shared_file("olist/subset_cab-g_8135_orders")
    paths = {n: folder / f"olist_{n}_dataset.csv.gz" for n in OLIST_FILES}
    raw = {n: pl.read_csv(paths[n], infer_schema=False) for n in OLIST_FILES[:3]}
    sold = raw["orders"].filter(~pl.col("order_status").is_in(["canceled", "unavailable"]))
    days = (
        raw["order_items"]
        .join(sold, on="order_id")
        .join(raw["customers"], on="customer_id")
        .select(
            "customer_unique_id",
            pl.col("order_purchase_timestamp").str.slice(0, 10).str.to_date().alias("day"),
        )
        .unique()
    )
    return days, [t for path in paths.values() for t in io.read_path(path)]


def test_real_olist_reading_says_nearly_every_customer_bought_once():
    """Olist: 6,758 of 6,800 customers bought on one day only (the audit's pandas: 99.4%), yet
    the reading counted customers 'lapsed' as if a return were due."""
    days, tables = olist_purchase_days()
    per = days.group_by("customer_unique_id").len()
    everyone, once = per.height, per.filter(pl.col("len") == 1).height
    assert (once, everyone) == (6758, 6800)
    lines = formats.assemble(tables).dataset.tables["lines"]
    result = churn.churn(churn.churn_base(churn.purchase_days(lines)))
    assert churn.rough(result)
    assert churn.churn_reading(result).startswith(
        f"Nearly every customer bought on one day only: {once:,} of {everyone:,} "
        f"({100 * once / everyone:.1f}%)."
    )


def test_headless_gives_windows_months_and_gaps():
    ds = Dataset("tiny", "generic", "GBP", tables={"lines": SHOP})
    out = churn.headless(ds, quantile=0.5)
    assert set(out) == {"windows", "monthly", "gaps"}
    assert out["windows"]["quantile"].to_list() == [0.5, 0.8, 0.9]
    # With the 30-day window, a (45 days at the end of February) and c (40 at the end of March)
    # are lapsed too.
    assert out["monthly"]["lapsed"].to_list() == [0, 2, 3, 3]


@pytest.mark.parametrize("kind", ["retail", "webshop", "marketplace"])
def test_every_demo_month_accounts_for_every_customer_acquired_by_its_end(kind):
    days = churn.purchase_days(formats.assemble_demo(kind).dataset.tables["lines"])
    result = churn.churn(churn.churn_base(days))
    firsts = days.group_by("customer_id").agg(pl.col("day").min())["day"]
    for row in result.monthly.iter_rows(named=True):
        assert row["customers"] == (firsts <= row["month_end"]).sum()
    assert result.windows["days"].to_list() == sorted(result.windows["days"].to_list())
    assert "lapsed" not in churn.churn_reading(result) or result.days is not None


def test_monthly_counts_match_a_customer_by_customer_count_on_the_retail_demo():
    days = churn.purchase_days(formats.assemble_demo("retail").dataset.tables["lines"])
    window = 45
    monthly = churn.monthly_status(days, window)
    for row in monthly.iter_rows(named=True):
        start, end = row["month"], row["month_end"]
        seen = (
            days.filter(pl.col("day") <= end)
            .group_by("customer_id")
            .agg(
                pl.col("day").min().alias("first"),
                pl.col("day").max().alias("last"),
                (pl.col("day") >= start).any().alias("bought"),
            )
        )
        quiet = seen.filter(~pl.col("bought"))
        late = (pl.lit(end) - pl.col("last")).dt.total_days() > window
        assert (row["new"], row["repeating"], row["waiting"], row["lapsed"]) == (
            seen.filter(pl.col("bought") & (pl.col("first") >= start)).height,
            seen.filter(pl.col("bought") & (pl.col("first") < start)).height,
            quiet.filter(~late).height,
            quiet.filter(late).height,
        ), row
