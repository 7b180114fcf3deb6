"""Cohort analyses on tiny hand-checked frames, and on the real Online Retail data."""

import math
import re
import warnings
from dataclasses import replace
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from scipy.stats import binomtest, chi2_contingency, norm

from lib import demo, fmt, formats, io, stats
from lib.analyses import churn, cohorts
from lib.charts import cohorts as cohort_charts
from lib.model import Dataset, conform
from tests.conftest import shared_file


def lines_of(rows: list[tuple]) -> pl.DataFrame:
    """Canonical lines from (customer_id, order_id, ordered_at, revenue, is_return) tuples."""
    frame = pl.DataFrame(
        rows,
        schema=["customer_id", "order_id", "ordered_at", "revenue", "is_return"],
        orient="row",
    )
    return conform("lines", frame)


# Month cohorts: Jan = a, b; Feb = c (two orders in Feb); Mar = d. e has a return only (no
# purchase: no cohort). One line has no customer. The data ends on 20 March: March is partial.
MONTHLY = lines_of(
    [
        ("a", "o1", datetime(2024, 1, 5), 10.0, False),
        ("a", "o2", datetime(2024, 2, 10), 20.0, False),
        ("a", "o2", datetime(2024, 2, 10), 5.0, False),
        ("b", "o3", datetime(2024, 1, 20), 30.0, False),
        ("b", "o4", datetime(2024, 3, 3), 15.0, False),
        ("b", "r1", datetime(2024, 3, 4), -15.0, True),
        ("c", "o5", datetime(2024, 2, 2), 40.0, False),
        ("c", "o6", datetime(2024, 2, 25), 10.0, False),
        ("d", "o7", datetime(2024, 3, 15), 50.0, False),
        (None, "o8", datetime(2024, 3, 20), 99.0, False),
        ("e", "r2", datetime(2024, 2, 1), -5.0, True),
    ]
)


def cells(frame: pl.DataFrame, *columns: str) -> list[tuple]:
    return frame.select("cohort", "period_index", *columns).rows()


def test_monthly_retention_is_exact_and_unobservable_cells_are_null():
    table = cohorts.cohort_retention(MONTHLY, "1mo")
    jan, feb, mar = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)
    assert cells(table, "customers", "active", "retention") == [
        (jan, 0, 2, 2, 1.0),
        (jan, 1, 2, 1, 0.5),
        (jan, 2, 2, 1, 0.5),
        (feb, 0, 1, 1, 1.0),
        (feb, 1, 1, 0, 0.0),  # observed with nobody back: zero, not blank
        (feb, 2, 1, None, None),  # April is beyond the data: unknown
        (mar, 0, 1, 1, 1.0),
        (mar, 1, 1, None, None),
        (mar, 2, 1, None, None),
    ]


def test_cells_of_the_month_the_data_ends_inside_are_flagged_partial():
    table = cohorts.cohort_retention(MONTHLY, "month")
    partial = table.filter("partial").select("cohort", "period_index").rows()
    assert partial == [(date(2024, 1, 1), 2), (date(2024, 2, 1), 1), (date(2024, 3, 1), 0)]


def test_a_month_the_data_reaches_the_last_day_of_is_not_partial():
    ends_on_the_31st = pl.concat(
        [MONTHLY, lines_of([("d", "o9", datetime(2024, 3, 31, 18), 1.0, False)])]
    )
    assert not cohorts.cohort_retention(ends_on_the_31st, "1mo")["partial"].any()


def test_orders_count_distinct_purchase_orders_per_cohort_period():
    table = cohorts.cohort_orders(MONTHLY, "1mo")
    jan, feb = date(2024, 1, 1), date(2024, 2, 1)
    got = cells(table, "orders", "orders_per_customer", "share_of_first")
    assert got[:5] == [
        (jan, 0, 2, 1.0, 1.0),
        (jan, 1, 1, 0.5, 0.5),  # o2 has two lines: one order
        (jan, 2, 1, 0.5, 0.5),  # the return r1 is not an order
        (feb, 0, 2, 2.0, 1.0),
        (feb, 1, 0, 0.0, 0.0),
    ]


def test_revenue_is_net_of_returns_and_leaves_out_lines_without_a_customer():
    table = cohorts.cohort_revenue(MONTHLY, "1mo")
    jan, feb, mar = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)
    assert cells(table, "revenue", "share_of_first") == [
        (jan, 0, 40.0, 1.0),
        (jan, 1, 25.0, 0.625),
        (jan, 2, 0.0, 0.0),  # b's 15 bought and 15 returned in March
        (feb, 0, 50.0, 1.0),
        (feb, 1, 0.0, 0.0),
        (feb, 2, None, None),
        (mar, 0, 50.0, 1.0),  # the 99 without a customer is left out
        (mar, 1, None, None),
        (mar, 2, None, None),
    ]


def test_returns_before_the_first_purchase_are_left_out():
    late_joiner = lines_of(
        [
            ("f", "r0", datetime(2024, 1, 3), -8.0, True),
            ("f", "o1", datetime(2024, 2, 14), 12.0, False),
            ("g", "o2", datetime(2024, 1, 9), 7.0, False),
            ("g", "o3", datetime(2024, 2, 29), 3.0, False),
        ]
    )
    table = cohorts.cohort_revenue(late_joiner, "1mo")
    assert cells(table, "customers", "revenue") == [
        (date(2024, 1, 1), 0, 1, 7.0),
        (date(2024, 1, 1), 1, 1, 3.0),
        (date(2024, 2, 1), 0, 1, 12.0),
        (date(2024, 2, 1), 1, 1, None),
    ]


def test_weekly_cohorts_start_on_monday():
    # Monday 1 Jan 2024 and Sunday 7 Jan fall in one week; the data ends on Monday 15 Jan.
    weekly = lines_of(
        [
            ("a", "o1", datetime(2024, 1, 1, 9), 1.0, False),
            ("a", "o2", datetime(2024, 1, 10), 1.0, False),
            ("b", "o3", datetime(2024, 1, 7, 23), 1.0, False),
            ("b", "o4", datetime(2024, 1, 15), 1.0, False),
            ("c", "o5", datetime(2024, 1, 9), 1.0, False),
        ]
    )
    table = cohorts.cohort_retention(weekly, "1w")
    w1, w2 = date(2024, 1, 1), date(2024, 1, 8)
    # Labelled as every table and reading writes a date: no leading zero.
    labels = cohorts.cohort_table(weekly, "week")["label"].unique(maintain_order=True)
    assert labels.to_list() == ["1 Jan 2024", "8 Jan 2024"]
    assert cells(table, "customers", "active", "retention", "partial") == [
        (w1, 0, 2, 2, 1.0, False),
        (w1, 1, 2, 1, 0.5, False),
        (w1, 2, 2, 1, 0.5, True),
        (w2, 0, 1, 1, 1.0, False),
        (w2, 1, 1, 0, 0.0, True),
        (w2, 2, 1, None, None, False),
    ]


def test_every_grain_at_once_gives_each_grains_table():
    tables = cohorts.cohorts_by_grain(cohorts.purchases(MONTHLY), date(2024, 3, 20))
    assert list(tables) == ["week", "month", "quarter"]
    for name, every in cohorts.GRAINS.items():
        assert_frame_equal(tables[name], cohorts.cohort_table(MONTHLY, every))
    # By quarter: a, b, c and d all first bought in Q1 2024, which the data ends inside.
    assert cells(tables["quarter"], "customers", "active", "partial") == [
        (date(2024, 1, 1), 0, 4, 4, True)
    ]


def test_quarterly_cohorts_and_labels():
    # The data ends on 30 June, the last day of Q2: no partial quarter.
    quarterly = lines_of(
        [
            ("a", "o1", datetime(2023, 11, 15), 1.0, False),
            ("a", "o2", datetime(2024, 2, 1), 1.0, False),
            ("b", "o3", datetime(2023, 12, 31, 22), 1.0, False),
            ("b", "o4", datetime(2024, 6, 30, 23), 1.0, False),
            ("c", "o5", datetime(2024, 3, 31), 1.0, False),
        ]
    )
    table = cohorts.cohort_table(quarterly, "quarter")
    q4, q1 = date(2023, 10, 1), date(2024, 1, 1)
    assert cells(table, "label", "customers", "active", "partial") == [
        (q4, 0, "2023 Q4", 2, 2, False),
        (q4, 1, "2023 Q4", 2, 1, False),
        (q4, 2, "2023 Q4", 2, 1, False),
        (q1, 0, "2024 Q1", 1, 1, False),
        (q1, 1, "2024 Q1", 1, 0, False),
        (q1, 2, "2024 Q1", 1, None, False),
    ]
    retention = cohorts.cohort_retention(quarterly, "1q")["retention"].to_list()
    assert retention == [1.0, 0.5, 0.5, 1.0, 0.0, None]


def test_matrix_shows_absolute_or_relative_values_and_the_last_cohorts():
    table = cohorts.cohort_table(MONTHLY, "1mo")
    absolute = cohorts.cohort_matrix(table, "orders", relative=False)
    assert absolute.filter(pl.col("cohort") == date(2024, 1, 1))["value"].to_list() == [
        2.0,
        1.0,
        1.0,
    ]
    # January is the data's first cohort: it starts with the data.
    assert absolute.group_by("label").agg(pl.col("opening").all()).sort("label").rows() == [
        ("Feb 2024", False),
        ("Jan 2024", True),
        ("Mar 2024", False),
    ]
    last_two = cohorts.cohort_matrix(table, "customers", relative=True, last=2)
    assert not last_two["opening"].any()
    # Feb and Mar reach at most one month further: the empty third column goes.
    assert last_two.select("label", "period_index", "value").rows() == [
        ("Feb 2024", 0, 1.0),
        ("Feb 2024", 1, 0.0),
        ("Mar 2024", 0, 1.0),
        ("Mar 2024", 1, None),
    ]


def hand_matrix(rows: list[tuple]) -> pl.DataFrame:
    """A cohort_matrix of customers from (label, period_index, customers, amount, base, partial)
    tuples: the amount is the customers active in the period, the cell's month is its cohort's
    plus period_index months, and no cohort or month is set aside (opening, early and quiet are
    false: tests set them)."""
    frame = pl.DataFrame(
        rows,
        schema=["label", "period_index", "customers", "amount", "base", "partial"],
        orient="row",
    )
    return (
        frame.with_columns(
            pl.col("label").str.to_date("%b %Y").alias("cohort"),
            pl.col("amount").cast(pl.Float64),
            pl.col("base").cast(pl.Float64),
            (pl.col("amount") / pl.col("base")).alias("share"),
            pl.col("amount").is_not_null().alias("observed"),
            pl.col("amount").alias("active"),
            pl.lit(False).alias("quiet"),
            pl.lit(False).alias("opening"),
            pl.lit(False).alias("early"),
        )
        .with_columns(
            pl.col("share").alias("value"),
            pl.col("cohort").dt.offset_by(pl.format("{}mo", "period_index")).alias("period_start"),
        )
        .with_columns(pl.col("active").sum().over("period_start").alias("period_buyers"))
    )


def test_curve_pools_cohorts_by_size_and_spans_their_middle_half():
    matrix = hand_matrix(
        [
            ("Jan 2024", 0, 10, 10, 10, False),
            ("Jan 2024", 1, 10, 2, 10, False),  # 20%
            ("Feb 2024", 0, 30, 30, 30, False),
            ("Feb 2024", 1, 30, 3, 30, False),  # 10%
            ("Mar 2024", 0, 20, 20, 20, False),
            ("Mar 2024", 1, 20, 8, 20, False),  # 40%
            ("Apr 2024", 0, 40, 40, 40, False),
            ("Apr 2024", 1, 40, 1, 40, True),  # partial: left out
        ]
    )
    curve = cohorts.retention_curve(matrix)
    assert curve["period_index"].to_list() == [0, 1]
    assert curve["cohorts"].to_list() == [4, 3]
    assert curve["customers"].to_list() == [100, 60]  # 10 + 30 + 20 behind month 1
    assert curve["active"].to_list() == [100, 13]
    one = curve.row(1, named=True)
    assert one["mean"] == pytest.approx(13 / 60)
    assert one["q25"] == pytest.approx(0.15)
    assert one["q75"] == pytest.approx(0.30)


def test_the_curve_leaves_out_the_cohorts_the_reading_leaves_out():
    """Online Retail: the month-1 card said 19.9% (Jan-Oct 2011 cohorts) and the heatmap's
    reading a pooled 19.8% (Mar-Oct: Jan and Feb start within the churn window of the data's
    start). The curve now pools what the reading compares: here 30 of 100 (Mar), not 30 + 45
    of 250 with the early Jan and Feb; with every cohort shown early, only the first is left out."""
    rows = [
        ("Jan 2024", 0, 100, 100, 100, False),
        ("Jan 2024", 1, 100, 20, 100, False),
        ("Feb 2024", 0, 50, 50, 50, False),
        ("Feb 2024", 1, 50, 25, 50, False),
        ("Mar 2024", 0, 100, 100, 100, False),
        ("Mar 2024", 1, 100, 30, 100, False),
    ]
    first = pl.col("label") == "Jan 2024"
    early = pl.col("label").is_in(["Jan 2024", "Feb 2024"])
    matrix = hand_matrix(rows).with_columns(first.alias("opening"), early.alias("early"))
    curve = cohorts.retention_curve(matrix)
    assert curve.filter(pl.col("period_index") == 1)["mean"][0] == pytest.approx(30 / 100)
    assert cohorts.curve_left_out(matrix).startswith("the cohorts best and worst leave out")
    every = matrix.with_columns(pl.lit(True).alias("early"))
    curve = cohorts.retention_curve(every)
    assert curve.filter(pl.col("period_index") == 1)["mean"][0] == pytest.approx(55 / 150)
    assert cohorts.curve_left_out(every).startswith("the data's first cohort")
    assert cohorts.curve_left_out(hand_matrix(rows)) == ""


def test_a_pooled_line_above_the_middle_half_of_cohorts_is_said_so():
    """Three small cohorts with no one back and one large one with 30 of 100: month 1 pools
    30 of 130 (23%), above the 75th percentile of 0, 0, 0 and 30% (7.5%). Olist's curve ran
    above its band this way, which looked like a drawing error."""
    matrix = hand_matrix(
        [
            ("Jan 2024", 0, 10, 10, 10, False),
            ("Jan 2024", 1, 10, 0, 10, False),
            ("Feb 2024", 0, 10, 10, 10, False),
            ("Feb 2024", 1, 10, 0, 10, False),
            ("Mar 2024", 0, 10, 10, 10, False),
            ("Mar 2024", 1, 10, 0, 10, False),
            ("Apr 2024", 0, 100, 100, 100, False),
            ("Apr 2024", 1, 100, 30, 100, False),
        ]
    )
    curve = cohorts.retention_curve(matrix)
    one = curve.row(1, named=True)
    assert one["mean"] == pytest.approx(30 / 130) and one["q75"] == pytest.approx(0.075)
    assert cohorts.band_note(curve, "month") == (
        "The line runs above the band in 1 of the 1 month drawn: there the middle half of "
        "cohorts sits lower, and a few cohorts with more back lift the pooled figure."
    )
    # Within the band (the test above's 13 of 60 between 15% and 30%): nothing to say.
    assert cohorts.band_note(curve.with_columns(pl.col("q75") * 4), "month") == ""


def test_reading_names_the_best_and_worst_cohorts_among_large_ones():
    """Month 1 pools 350 of 1,500 (23.3%): Feb's 150 of 500 has a 95% interval of 26.2-34.2%,
    Jan's 200 of 1,000 17.6-22.6%, both clear of it; month 3 pools 230 of 1,500 (15.3%): Jan's
    180 of 1,000 is 15.7-20.5%, Feb's 50 of 500 7.7-12.9% (Wilson, by hand)."""
    matrix = hand_matrix(
        [
            ("Jan 2024", 0, 1000, 1000, 1000, False),
            ("Jan 2024", 1, 1000, 200, 1000, False),
            ("Jan 2024", 3, 1000, 180, 1000, False),
            ("Feb 2024", 0, 500, 500, 500, False),
            ("Feb 2024", 1, 500, 150, 500, False),
            ("Feb 2024", 3, 500, 50, 500, False),
            ("Mar 2024", 0, 5, 5, 5, False),
            ("Mar 2024", 1, 5, 5, 5, False),  # 100%, but 5 customers: too few to be named
            ("Mar 2024", 3, 5, 0, 5, False),
        ]
    )
    assert cohorts.best_worst_reading(matrix, "1mo", "customers") == (
        "In month 1, the Feb 2024 cohort did best (30.0%), the Jan 2024 cohort worst (20.0%), "
        "beyond chance across the 2 cohorts compared; in month 3, the Jan 2024 cohort did best "
        "(18.0%), the Feb 2024 cohort worst (10.0%), beyond chance across the 2 cohorts "
        "compared. Look at what brought the best ones in."
    )


def test_no_cohort_is_best_on_fewer_than_five_customers_coming_back():
    """Olist's Feb 2018 cohort 'did best' in month 3 on net revenue: one customer's R$ 999.99. A
    best cell rests on cohorts.MIN_BACK (5) returning customers or more; a worst needs none."""
    matrix = hand_matrix(
        [
            ("Jan 2024", 0, 400, 400, 400, False),
            ("Jan 2024", 1, 400, 4, 400, False),
            ("Feb 2024", 0, 400, 400, 400, False),
            ("Feb 2024", 1, 400, 2, 400, False),
            ("Mar 2024", 0, 400, 400, 400, False),
            ("Mar 2024", 1, 400, 3, 400, False),
        ]
    )
    # As revenue: Jan's 4 buyers spend 90 of its 1,000 (9.0%), Feb's 2 spend 10, Mar's 3 spend 30.
    revenue = matrix.with_columns(
        pl.when(pl.col("period_index") == 0)
        .then(1000.0)
        .otherwise(
            pl.col("label").replace_strict({"Jan 2024": 90.0, "Feb 2024": 10.0, "Mar 2024": 30.0})
        )
        .alias("amount"),
        pl.lit(1000.0).alias("base"),
    ).with_columns((pl.col("amount") / pl.col("base")).alias("share"))
    # Feb's 1.0% of revenue is the lowest, but its 2 of 400 customers back against 9 of 1,200
    # pooled is chance: no cohort is named (it read "the Feb 2024 cohort did worst (1.0%)").
    assert cohorts.best_worst_reading(revenue, "1mo", "revenue") == (
        "In month 1, none of the 3 cohorts compared stands out beyond chance by customers "
        "coming back."
    )
    five = revenue.with_columns(
        pl.when((pl.col("label") == "Jan 2024") & (pl.col("period_index") == 1))
        .then(5)
        .otherwise("active")
        .alias("active")
    )
    # Revenue is no share of a count: Jan is named best, but its 5 of 400 back (1.25%) against
    # 10 of 1,200 pooled (0.83%) is chance, so the reading gives no advice on it.
    assert cohorts.best_worst_reading(five, "1mo", "revenue") == (
        "In month 1, the Jan 2024 cohort did best (9.0%); by customers coming back the Jan 2024 "
        "cohort does not stand out beyond chance, so the difference may be a few customers' "
        "spending."
    )


def test_reading_says_when_every_best_cohort_comes_back_in_one_month():
    """The web shop demo's Oct 2023 cohort did best in month 1 and Aug 2023's in month 3: both
    come back in Nov 2023, its peak month. Same figures as the test above, moved so that Feb
    (month 1) and Dec (month 3) both land in March."""
    matrix = hand_matrix(
        [
            ("Dec 2023", 0, 1000, 1000, 1000, False),
            ("Dec 2023", 1, 1000, 200, 1000, False),
            ("Dec 2023", 3, 1000, 180, 1000, False),
            ("Feb 2024", 0, 500, 500, 500, False),
            ("Feb 2024", 1, 500, 150, 500, False),
            ("Feb 2024", 3, 500, 50, 500, False),
        ]
    )
    assert cohorts.best_worst_reading(matrix, "1mo", "customers") == (
        "In month 1, the Feb 2024 cohort did best (30.0%), the Dec 2023 cohort worst (20.0%), "
        "beyond chance across the 2 cohorts compared; in month 3, the Dec 2023 cohort did best "
        "(18.0%), the Feb 2024 cohort worst (10.0%), beyond chance across the 2 cohorts compared. "
        "The best ones all come back in Mar 2024: that month's demand may explain them as much "
        "as how the cohorts were won."
    )


def test_reading_leaves_out_the_cohort_that_starts_with_the_data():
    """The data's first cohort holds every customer already buying when the data starts (Online
    Retail's Dec 2010: 37% back in month 1 against 20% for the others): it is no cohort of new
    customers to learn from, so the best and worst leave it out and say so."""
    rows = [
        ("Dec 2023", 0, 100, 100, 100, False),
        ("Dec 2023", 1, 100, 40, 100, False),  # 40%: would be "best"
        ("Jan 2024", 0, 1000, 1000, 1000, False),
        ("Jan 2024", 1, 1000, 200, 1000, False),
        ("Feb 2024", 0, 500, 500, 500, False),
        ("Feb 2024", 1, 500, 150, 500, False),
    ]
    first = pl.col("label") == "Dec 2023"
    matrix = hand_matrix(rows).with_columns(first.alias("opening"), first.alias("early"))
    assert cohorts.best_worst_reading(matrix, "1mo", "customers") == (
        "In month 1, the Feb 2024 cohort did best (30.0%), the Jan 2024 cohort worst (20.0%), "
        "beyond chance across the 2 cohorts compared. "
        "Look "
        "at what brought the best ones in. The Dec 2023 cohort is left out: it starts with the "
        "data, so it also holds customers who bought before, not only new ones."
    )


def test_reading_names_no_cohort_whose_share_is_within_chance_of_the_pooled_one():
    """2 of 23 back (8.7%, 95% interval 2.4-26.8%) and 25 of 130 (19.2%, 13.4-26.9%) against
    27 of 153 pooled (17.6%): neither is named worst or best, and nothing is advised."""
    matrix = hand_matrix(
        [
            ("Aug 2023", 0, 23, 23, 23, False),
            ("Aug 2023", 1, 23, 2, 23, False),
            ("Sep 2023", 0, 130, 130, 130, False),
            ("Sep 2023", 1, 130, 25, 130, False),
        ]
    )
    assert cohorts.best_worst_reading(matrix, "1mo", "customers") == (
        "In month 1, none of the 2 cohorts compared differs from their pooled 17.6% beyond chance."
    )


def test_reading_leaves_out_cells_of_a_month_nobody_bought_in():
    """Online Retail's week of 27 Dec 2010: the shop was closed, so every cohort's share then
    is 0.0%. Here Mar 2024's month 1 is April, when nobody bought: 0 of 200 would be 'worst'
    against 80 of 600 pooled (13.3%), and Jan and Feb (40 of 200, 20.0%, interval 14.9-26.3%)
    'best'. Without April they read alike."""
    matrix = hand_matrix(
        [
            ("Jan 2024", 0, 200, 200, 200, False),
            ("Jan 2024", 1, 200, 40, 200, False),
            ("Feb 2024", 0, 200, 200, 200, False),
            ("Feb 2024", 1, 200, 40, 200, False),
            ("Mar 2024", 0, 200, 200, 200, False),
            ("Mar 2024", 1, 200, 0, 200, False),  # April
        ]
    ).with_columns((pl.col("period_start") == date(2024, 4, 1)).alias("quiet"))
    assert matrix.filter("quiet")["period_buyers"].to_list() == [0]
    assert cohorts.best_worst_reading(matrix, "1mo", "customers") == (
        "In month 1, the 2 cohorts compared all read 20.0%. Cells in Apr 2024 are left out: "
        "nobody bought anything then, so a cohort's share there says more about the calendar "
        "than about the cohort."
    )


def test_matrix_counts_every_cohorts_buyers_per_month_and_marks_a_closed_month_quiet():
    """Buyers per month, by hand: Jan a b c d (4); Feb e f a (3); Mar g a b (3); Apr nobody (0);
    May h a e (3); Jun i b (2). The median month has 3: April, under a quarter of it, is quiet;
    June's 2 is not. The data ends on 30 June: no month is partial."""
    buys = [
        ("a", "Jan 3"), ("b", "Jan 9"), ("c", "Jan 15"), ("d", "Jan 31"),
        ("e", "Feb 2"), ("f", "Feb 20"), ("a", "Feb 21"),
        ("g", "Mar 4"), ("a", "Mar 5"), ("b", "Mar 30"),
        ("h", "May 1"), ("a", "May 2"), ("e", "May 31"),
        ("i", "Jun 1"), ("b", "Jun 30"),
    ]  # fmt: skip
    lines = lines_of(
        [
            (who, f"o{n}", datetime.strptime(f"{day} 2024 10:00", "%b %d %Y %H:%M"), 5.0, False)
            for n, (who, day) in enumerate(buys)
        ]
    )
    table = cohorts.cohort_table(lines, "month")
    every = cohorts.cohort_matrix(table, "customers")
    months = every.filter("observed").select("period_start", "period_buyers", "quiet").unique()
    assert months.sort("period_start").rows() == [
        (date(2024, m, 1), buyers, m == 4)
        for m, buyers in zip(range(1, 7), [4, 3, 3, 0, 3, 2], strict=True)
    ]
    # Buyers count every cohort, whichever are shown: May's cohort (h) alone is no May's 3.
    last_two = cohorts.cohort_matrix(table, "customers", last=2).filter("observed")
    assert last_two.select("label", "period_buyers").rows() == [
        ("May 2024", 3),
        ("May 2024", 2),
        ("Jun 2024", 2),
    ]


def test_early_cohorts_start_within_the_eighty_percent_window_of_the_first_purchase():
    """30 repeat gaps, 20 of 10 days and 10 of 50: the 24th smallest (80%) is 50 days. From a
    first purchase on 5 Jan 2024 a cohort starting before 24 Feb may hold customers who bought
    before the data: January (the data's first) and February; March is new customers only.
    With 29 gaps the window is noise: the data's first cohort alone is early."""
    gaps = pl.DataFrame(
        {"customer_id": [f"c{i}" for i in range(30)], "gap_days": [10] * 20 + [50] * 10}
    )
    windows = churn.churn_windows(gaps)
    assert cohorts.early_until(date(2024, 1, 5), windows) == date(2024, 2, 24)
    assert cohorts.early_until(date(2024, 1, 5), churn.churn_windows(gaps.head(29))) is None
    table = cohorts.cohort_table(MONTHLY, "month")
    early = cohorts.cohort_matrix(table, early_until=date(2024, 2, 24))
    flags = early.group_by("label").agg(pl.col("early").all(), pl.col("opening").all())
    assert flags.sort("label").rows() == [
        ("Feb 2024", True, False),
        ("Jan 2024", True, True),
        ("Mar 2024", False, False),
    ]
    plain = cohorts.cohort_matrix(table).group_by("label").agg(pl.col("early").all())
    assert dict(plain.rows()) == {"Jan 2024": True, "Feb 2024": False, "Mar 2024": False}


def test_reading_leaves_out_every_cohort_that_may_hold_customers_from_before_the_data():
    """Online Retail's week of 6 Dec 2010, its second, 'did best' in week 1: it starts within
    the 70 days that hold 80% of repeat purchases of the data's first, so it holds customers
    who bought before too. Here Dec to Feb are early; of Mar (200 of 1,000) and Apr (150 of
    500), pooled 23.3%, Apr's interval (26.2-34.2%) lies above and Mar's (17.6-22.6%) below,
    by hand. Jan's 30.0% would have tied best."""
    rows = [
        ("Dec 2023", 0, 100, 100, 100, False),
        ("Dec 2023", 1, 100, 40, 100, False),
        ("Jan 2024", 0, 1000, 1000, 1000, False),
        ("Jan 2024", 1, 1000, 300, 1000, False),
        ("Feb 2024", 0, 500, 500, 500, False),
        ("Feb 2024", 1, 500, 100, 500, False),
        ("Mar 2024", 0, 1000, 1000, 1000, False),
        ("Mar 2024", 1, 1000, 200, 1000, False),
        ("Apr 2024", 0, 500, 500, 500, False),
        ("Apr 2024", 1, 500, 150, 500, False),
    ]
    matrix = hand_matrix(rows).with_columns(
        (pl.col("label") == "Dec 2023").alias("opening"),
        pl.col("label").is_in(["Dec 2023", "Jan 2024", "Feb 2024"]).alias("early"),
    )
    assert cohorts.best_worst_reading(matrix, "1mo", "customers") == (
        "In month 1, the Apr 2024 cohort did best (30.0%), the Mar 2024 cohort worst (20.0%), "
        "beyond chance across the 2 cohorts compared. "
        "Look "
        "at what brought the best ones in. The cohorts from Dec 2023 to Feb 2024 are left out: "
        "they start within the 80% churn window (the gap within which 80% of repeat purchases "
        "come) of the data's first purchase, so customers who bought before the data starts may "
        "come back in them and pass for new ones."
    )


def test_reading_says_why_no_two_cohorts_compare_and_what_would_compare_them():
    """MONTHLY ends on 20 March: only January has a full month after its first, and January
    starts with the data. With the slider hiding older cohorts the advice is to show more;
    with every cohort shown, a shorter grain or a longer history."""
    table = cohorts.cohort_table(MONTHLY, "month")
    for last in (1, 2):
        assert cohorts.best_worst_reading(
            cohorts.cohort_matrix(table, last=last), "month", "customers"
        ) == (
            "No cohort shown has a full month after its first yet, so there is nothing to "
            "compare: show more cohorts."
        )
    assert cohorts.best_worst_reading(cohorts.cohort_matrix(table), "month", "customers") == (
        "No cohort has a full month after its first, apart from those left out, so there is "
        "nothing to compare: choose a shorter grain or load a longer history. The Jan 2024 "
        "cohort is left out: it starts with the data, so it also holds customers who bought "
        "before, not only new ones."
    )
    shown = hand_matrix(
        [
            ("Feb 2024", 0, 30, 30, 30, False),
            ("Feb 2024", 1, 30, 6, 30, False),
            ("Mar 2024", 0, 40, 40, 40, False),
            ("Mar 2024", 1, 40, 3, 40, True),
        ]
    )
    assert cohorts.best_worst_reading(shown, "month", "customers") == (
        "Only the Feb 2024 cohort has a full month after its first among those shown, so there is "
        "no other cohort to compare it with: show more cohorts."
    )


def test_colour_scale_of_shares_runs_to_ten_percent_at_least():
    """Olist's heatmap topped at 1.1% (2 of 176 customers): the darkest colour made two buyers
    a pattern. Shares run on a scale to 10% at least; counts keep their own top."""
    matrix = hand_matrix(
        [
            ("Apr 2017", 0, 176, 176, 176, False),
            ("Apr 2017", 1, 176, 2, 176, False),
            ("May 2017", 0, 150, 150, 150, False),
            ("May 2017", 1, 150, 0, 150, False),
        ]
    )
    assert cohort_charts.floored(matrix, relative=True) == pytest.approx(2 / 176)
    spec = cohort_charts.retention_heatmap(matrix, "customers", True, "month").to_dict()
    domains = [
        layer["encoding"]["color"]["scale"]["domain"]
        for layer in spec["layer"]
        if "color" in layer.get("encoding", {}) and "scale" in layer["encoding"]["color"]
    ]
    assert domains == [[0.0, 0.1]]
    counts = matrix.with_columns(pl.col("amount").alias("value"))
    assert cohort_charts.floored(counts, relative=False) is None
    spec = cohort_charts.retention_heatmap(counts, "customers", False, "month").to_dict()
    assert [
        layer["encoding"]["color"]["scale"]["domain"]
        for layer in spec["layer"]
        if "scale" in layer.get("encoding", {}).get("color", {})
    ] == [[0.0, 2.0]]


LABELS = ("Jan 2024", "Feb 2024", "Mar 2024")


def test_reading_names_tied_cohorts_together():
    """Two cohorts at 0 of 200 (0.0%, interval up to 1.9%) tie for worst against 10.0% pooled;
    60 of 200 (24.1-36.7%) did best. As orders, shares are no proportions: no interval, and
    the same ranking."""
    matrix = hand_matrix(
        [
            ("Jan 2024", 0, 200, 200, 200, False),
            ("Jan 2024", 1, 200, 0, 200, False),
            ("Feb 2024", 0, 200, 200, 200, False),
            ("Feb 2024", 1, 200, 0, 200, False),
            ("Mar 2024", 0, 200, 200, 200, False),
            ("Mar 2024", 1, 200, 60, 200, False),
        ]
    )
    named = (
        "In month 1, the Mar 2024 cohort did best (30.0%), the Jan 2024 and Feb 2024 cohorts "
        "tied worst (0.0%)"
    )
    # As customers, beyond chance across the 3 compared (60 of 200 against 10%: z = 9.4).
    assert cohorts.best_worst_reading(matrix, "1mo", "customers") == (
        f"{named}, beyond chance across the 3 cohorts compared. Look at what brought the best "
        "ones in."
    )
    # As orders, no share of a count: advised on because Mar's customers coming back (the same
    # 60 of 200 in hand_matrix) stand out beyond chance too.
    assert cohorts.best_worst_reading(matrix, "1mo", "orders") == (
        f"{named}; the Mar 2024 cohort also has the largest share of customers coming back, beyond "
        "chance across the 3 cohorts compared. Look at what brought the best ones in."
    )
    even = hand_matrix(
        [(label, i, 200, 200 if i == 0 else 60, 200, False) for label in LABELS for i in (0, 1)]
    )
    assert cohorts.best_worst_reading(even, "1mo", "orders") == (
        "In month 1, the 3 cohorts compared all read 30.0%."
    )


def test_a_cohort_is_best_only_beyond_chance_across_every_cohort_compared():
    """Aug 2024: 55 of 200 back (27.5%) against 335 of 1,600 pooled (20.9%): 2.28 standard
    errors out (p = 0.023), past its own 95% interval's 1.96 but not Bonferroni's 2.73 for 8
    cohorts: no best cohort, and the reading says why."""
    labels = [f"{m} 2024" for m in ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug")]
    backs = [40] * 7 + [55]
    matrix = hand_matrix(
        [
            (label, i, 200, 200 if i == 0 else k, 200, False)
            for label, k in zip(labels, backs, strict=True)
            for i in (0, 1)
        ]
    )
    pooled = 335 / 1600
    z = (0.275 - pooled) / math.sqrt(pooled * (1 - pooled) / 200)
    assert 0.05 / 8 < 2 * norm.sf(z) < 0.05
    ci = binomtest(55, 200).proportion_ci(method="wilson")
    assert ci.low > pooled
    assert cohorts.best_worst_reading(matrix, "1mo", "customers") == (
        "In month 1, none of the 8 cohorts compared differs from their pooled 20.9% beyond "
        f"chance (the 95% interval of the Aug 2024 cohort, {ci.low:.1%}–{ci.high:.1%}, clears "
        "their pooled 20.9%, but with 8 cohorts compared, one this far out is expected by chance)."
    )


def six_periods(mean: list[float], cohorts: list[int], customers: list[int]) -> pl.DataFrame:
    """A retention curve of periods 0 to 5 (retention_curve's columns the readings read), each
    period's active customers its mean of its customers."""
    return pl.DataFrame(
        {
            "period_index": list(range(6)),
            "mean": mean,
            "cohorts": cohorts,
            "customers": customers,
            "active": [round(m * n) for m, n in zip(mean, customers, strict=True)],
        }
    )


def test_curve_reading_says_how_fast_the_average_cohort_drops():
    curve = six_periods(
        [1.0, 0.30, 0.28, 0.25, 0.22, 0.20], [6, 5, 4, 3, 3, 2], [600, 500, 400, 300, 300, 200]
    )
    # The far end is period 4, the last one three cohorts reach: (22 - 30) / 3 points a month.
    assert cohorts.curve_reading(curve, "month", "customers") == (
        "On average 30.0% of a cohort's customers buy again 1 month later, 25.0% 3 months later "
        "and 22.0% 4 months later (cohorts pooled by size): after the first month it loses about "
        "2.7 points a month."
    )


def test_an_about_figure_has_no_trailing_zero():
    """Audit: "loses about 0.020 points a month". Of 50 million customers each month,
    (29.92% - 30.00%) / 4 = 0.02 points a month, beyond chance (z = 0.0008 / sqrt(0.2996 x
    0.7004 x 2 / 5e7) = 8.7)."""
    n = 50_000_000
    curve = six_periods([1.0, 0.30, 0.30, 0.30, 0.30, 0.2992], [6, 5, 4, 3, 3, 3], [n] * 6)
    assert cohorts.curve_reading(curve, "month", "customers").endswith(
        "after the first month it loses about 0.02 points a month."
    )


def test_orders_and_revenue_curves_give_the_range_they_run_in_not_a_slope():
    """Audit: Online Retail's weekly revenue read "5.6% 3 weeks later and 4.3% 20 weeks later:
    after the first week it gains about 0.071 points a week", from its two ends, untested
    (revenue is no count of customers), the curve running 2.9% to 11.1% between. Here revenue
    comes back 20% in month 1, 35% in month 2, 15% in month 3 and 25% in month 4 (three cohorts
    reach it; month 5, two, is left out)."""
    curve = six_periods(
        [1.0, 0.20, 0.35, 0.15, 0.25, 0.90], [6, 5, 4, 3, 3, 2], [600, 500, 400, 300, 300, 200]
    )
    reading = cohorts.curve_reading(curve, "month", "revenue")
    assert reading == (
        "On average 20.0% of a cohort's first-period revenue comes back 1 month later, 15.0% 3 "
        "months later and 25.0% 4 months later (cohorts pooled by size): from 1 to 4 months later "
        "it runs between 15.0% (3 months later) and 35.0% (2 months later); with no count of "
        "customers to test it by, no trend is read from it."
    )
    assert "gains" not in reading and "loses" not in reading


def test_a_curve_that_rises_late_names_the_calendar_months_its_far_end_falls_in():
    """Audit: Online Retail's curve rose to 27.6% at month 8, which its three cohorts reach in
    Sep-Nov 2011, the season's peak, without a word. Here four cohorts of 100 (Jan-Apr 2024)
    have 20 back in month 1 and Jan-Mar 40 back in month 3, which they reach in Apr, May and
    Jun 2024: 20.0% of 400, then 40.0% of 300, 10 points a month."""
    rows = []
    for label in ("Jan 2024", "Feb 2024", "Mar 2024", "Apr 2024"):
        back = (100, 20, 30, 40) if label != "Apr 2024" else (100, 20, 30)
        rows += [(label, i, 100, n, 100, False) for i, n in enumerate(back)]
    curve = cohorts.retention_curve(hand_matrix(rows))
    assert curve["last_period"].to_list()[3] == date(2024, 6, 1)
    assert cohorts.curve_reading(curve, "month", "customers") == (
        "On average 20.0% of a cohort's customers buy again 1 month later and 40.0% 3 months "
        "later (cohorts pooled by size): after the first month it gains about 10 points a month. "
        "The cohorts that reach month 3 do so in Apr–Jun 2024: a rise this late can come from "
        "the season of those months rather than from customers growing more loyal."
    )


def test_curve_reading_reads_no_slope_from_a_few_customers_or_within_chance():
    """Month 4 rests on 12 customers of 3 cohorts, none back: it read "0.0% 4 months later ...
    loses about 10 points a month". Without it the far end is month 3: 80 of 300 back against
    150 of 500 in month 1, a pooled z of -1.01 (|z| < 1.96): no loss beyond chance."""
    curve = pl.DataFrame(
        {
            "period_index": [0, 1, 2, 3, 4],
            "mean": [1.0, 0.30, 110 / 400, 80 / 300, 0.0],
            "cohorts": [5, 5, 4, 3, 3],
            "customers": [500, 500, 400, 300, 12],
            "active": [500, 150, 110, 80, 0],
        }
    )
    pooled = 230 / 800
    z = (80 / 300 - 0.30) / math.sqrt(pooled * (1 - pooled) * (1 / 300 + 1 / 500))
    assert -1.1 < z < -0.9
    assert cohorts.curve_reading(curve, "month", "customers") == (
        "On average 30.0% of a cohort's customers buy again 1 month later and 26.7% 3 months "
        "later (cohorts pooled by size): after the first month it moves no further than chance "
        "would (30.0% against 26.7%)."
    )


def test_curve_reading_reads_a_rise_between_the_ends_that_lies_beyond_chance():
    """Audit: a far end within chance of month 1 read "moves no further than chance would"
    though the months between rose beyond it (Online Retail's weeks: 4.6% of 1,332 at week 1,
    8.5% of 686 at week 9, 8.2% of 122 at week 20). By hand: month 2, 200 of 400 against 150
    of 500, pooled 350 / 900, z = 0.2 / sqrt(0.3889 x 0.6111 x (1/400 + 1/500)) = 6.1, beyond
    chance across the 3 months compared (Holm: 2.39); month 4, 20 of 60, z = 0.53. Slope (33.3
    - 30.0) / 3 = 1.1 points a month."""
    curve = pl.DataFrame(
        {
            "period_index": [0, 1, 2, 3, 4],
            "mean": [1.0, 0.30, 0.50, 0.40, 20 / 60],
            "cohorts": [5, 5, 4, 3, 3],
            "customers": [500, 500, 400, 300, 60],
            "active": [500, 150, 200, 120, 20],
            "first_period": [date(2024, m, 1) for m in (1, 2, 3, 4, 5)],
            "last_period": [date(2024, m, 1) for m in (5, 5, 6, 6, 7)],
        }
    )
    assert cohorts.curve_reading(curve, "month", "customers") == (
        "On average 30.0% of a cohort's customers buy again 1 month later, 40.0% 3 months later "
        "and 33.3% 4 months later (cohorts pooled by size): after the first month it gains about "
        "1.1 points a month. The cohorts that reach month 4 do so in May–Jul 2024: a rise this "
        "late can come from the season of those months rather than from customers growing more "
        "loyal."
    )


def test_curve_reading_reads_no_trend_its_ends_contradict():
    """The reviewer's: month 1 30% of 1,000, months 2 to 4 15% of 1,000, month 5 32% of 100.
    By hand, month 2: pooled 450 / 2,000 = 0.225, z = -0.15 / sqrt(0.225 x 0.775 x 2 / 1,000)
    = -8.0, a fall beyond chance; month 5: pooled 332 / 1,100, z = 0.02 / sqrt(0.3018 x 0.6982 x
    1.1 / 100) = 0.42, within chance. It read "gains about 0.5 points a month ... a rise this
    late", where the only changes beyond chance are falls."""
    curve = pl.DataFrame(
        {
            "period_index": [0, 1, 2, 3, 4, 5],
            "mean": [1.0, 0.30, 0.15, 0.15, 0.15, 0.32],
            "cohorts": [6, 6, 5, 4, 3, 3],
            "customers": [1000, 1000, 1000, 1000, 1000, 100],
            "active": [1000, 300, 150, 150, 150, 32],
            "first_period": [date(2024, m, 1) for m in (1, 2, 3, 4, 5, 6)],
            "last_period": [date(2024, m, 1) for m in (6, 6, 6, 6, 6, 7)],
        }
    )
    assert cohorts.curve_reading(curve, "month", "customers") == (
        "On average 30.0% of a cohort's customers buy again 1 month later, 15.0% 3 months later "
        "and 32.0% 5 months later (cohorts pooled by size): after the first month it falls "
        "beyond chance in between, but ends within chance of it (30.0% against 32.0%)."
    )
    # Rises beyond chance in between, ending within chance below: no loss read either.
    rise = curve.with_columns(
        pl.Series("mean", [1.0, 0.30, 0.45, 0.45, 0.45, 0.28]),
        pl.Series("active", [1000, 300, 450, 450, 450, 28]),
    )
    assert cohorts.curve_reading(rise, "month", "customers").endswith(
        "after the first month it rises beyond chance in between, but ends within chance of it "
        "(30.0% against 28.0%)."
    )


def test_curve_reading_calls_one_small_cohort_no_average():
    """The retail demo of before 7 Dec 2026 (its last cohort Aug 2023) with one cohort shown:
    month 1 rests on Aug 2023 alone, 4 of its 23 customers back. Its 95% Wilson interval, by
    hand: p = 4/23 = 0.1739, z^2 = 3.8415, centre (p + z^2/46) / (1 + z^2/23) = 0.2574 / 1.1670
    = 0.2206, half 1.96 / 1.1670 x sqrt(p(1-p)/23 + z^2/2116) = 1.6795 x 0.0898 = 0.1508: 7.0%
    to 37.1%."""
    curve = pl.DataFrame(
        {
            "period_index": [0, 1],
            "mean": [1.0, 4 / 23],
            "cohorts": [1, 1],
            "customers": [23, 23],
            "active": [23, 4],
        }
    )
    assert cohorts.curve_reading(curve, "month", "customers") == (
        "17.4% of a cohort's customers buy again 1 month later. Only 1 cohort of 23 customers "
        "has a full month 1 (4 back, 95% interval 7.0% to 37.1%): too few to call it an average."
    )
    # Three cohorts of 40 customers in all: a few dozen, no average either (orders: no interval).
    three = curve.with_columns(
        pl.Series("cohorts", [3, 3]),
        pl.Series("customers", [40, 40]),
        pl.Series("mean", [1.0, 0.25]),
    )
    assert cohorts.curve_reading(three, "month", "orders") == (
        # It read "25.0% of a cohort's first-period orders are placed again" (audit).
        "25.0% as many orders as in a cohort's first period come 1 month later (cohorts pooled "
        "by size). Only 3 cohorts of 40 customers have a full month 1: too few to call it an "
        "average."
    )


def test_curve_reading_explains_when_no_period_one_is_observed():
    curve = pl.DataFrame({"period_index": [0], "mean": [1.0], "cohorts": [1]})
    assert cohorts.curve_reading(curve, "1q", "revenue") == (
        "No cohort has a full quarter after its first yet, so there is nothing to compare: "
        "choose a shorter grain or load a longer history."
    )


def test_coverage_counts_lines_without_a_customer_and_buying_customers():
    got = cohorts.coverage(MONTHLY)
    assert (got.lines, got.without_customer, got.customers) == (11, 1, 4)


def test_no_purchases_give_an_empty_table_with_the_full_schema():
    returns_only = lines_of([("e", "r2", datetime(2024, 2, 1), -5.0, True)])
    table = cohorts.cohort_table(returns_only)
    assert table.height == 0
    assert "retention" in cohorts.cohort_retention(returns_only).columns
    # The heatmap's cells of no cohort: none, and no warning on the way (the CLI printed one).
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cohorts.cohort_matrix(table).height == 0


def test_headless_gives_the_heatmap_cells_and_the_curve_for_a_demo():
    ds = formats.assemble(
        [io.RawTable(n, n, f) for n, f in demo.demo("webshop").files.items()]
    ).dataset
    frames = cohorts.headless(ds, grain="quarter", metric="revenue", relative=False)
    assert set(frames) == {"cohorts", "retention", "curve", "churn_windows", "churn_monthly"}
    # The page's other controls: the most recent cohorts shown, and the churn window's quantile.
    two = cohorts.headless(ds, grain="quarter", shown=2, churn_quantile=0.75)
    quarters = frames["retention"]["cohort"].unique().sort()
    assert two["retention"]["cohort"].unique().sort().to_list() == quarters[-2:].to_list()
    assert two["churn_windows"]["quantile"].to_list() == [0.75, 0.8, 0.9]
    lines = ds.tables["lines"]
    first = (
        lines.filter(~pl.col("is_return")).group_by("customer_id").agg(pl.col("ordered_at").min())
    )
    sizes = frames["retention"].filter(pl.col("period_index") == 0)["customers"]
    assert sizes.sum() == first.height == frames["cohorts"]["customers"].sum()
    # Every cohort's size, whichever are shown.
    assert two["cohorts"]["customers"].sum() == first.height
    assert two["cohorts"]["cohort"].to_list() == quarters.to_list()
    with pytest.raises(ValueError, match="grain"):
        cohorts.headless(ds, grain="year")


@pytest.fixture(scope="module")
def retail():
    path = shared_file("online_retail/online_retail.parquet")
    return pl.read_parquet(path), formats.assemble(io.read_path(path)).dataset.tables["lines"]


def test_real_december_2010_cohort_month_one_retention(retail):
    raw, lines = retail
    clean = raw.filter(
        pl.col("CustomerID").is_not_null() & ~pl.col("InvoiceNo").str.starts_with("C")
    ).with_columns(
        pl.col("InvoiceDate").str.to_datetime("%Y-%m-%d %H:%M:%S").dt.strftime("%Y-%m").alias("m")
    )
    first = clean.group_by("CustomerID").agg(pl.col("m").min().alias("first"))
    december = first.filter(pl.col("first") == "2010-12")["CustomerID"]
    back = clean.filter((pl.col("m") == "2011-01") & pl.col("CustomerID").is_in(december.implode()))
    expected = back["CustomerID"].n_unique() / december.len()

    table = cohorts.cohort_retention(lines, "1mo")
    cell = table.filter((pl.col("cohort") == date(2010, 12, 1)) & (pl.col("period_index") == 1))
    assert cell["customers"].item() == december.len()
    assert cell["retention"].item() == pytest.approx(expected, abs=1e-12)
    # The data ends on 9 Dec 2011: that month is partly observed, and no cell goes beyond it.
    assert table.filter("partial")["period_index"].to_list() == list(range(12, -1, -1))


def raw_purchase_days(raw: pl.DataFrame) -> pl.DataFrame:
    """Each customer's distinct purchase days in the raw Online Retail file: a customer id, no
    cancellation invoice (C...), quantity and price above 0."""
    return (
        raw.filter(
            pl.col("CustomerID").is_not_null()
            & ~pl.col("InvoiceNo").str.starts_with("C")
            & (pl.col("Quantity") > 0)
            & (pl.col("UnitPrice") > 0)
        )
        .select(
            "CustomerID",
            pl.col("InvoiceDate").str.to_datetime("%Y-%m-%d %H:%M:%S").dt.date().alias("day"),
        )
        .unique()
    )


def test_real_weekly_reading_blames_no_cohort_for_the_closed_christmas_week(retail):
    """Online Retail, by week, every cohort shown: the reading named the week of 6 Dec 2010
    best in week 1 and worst in week 3 (0.0%), that is in the week of 27 Dec 2010, when nobody
    bought anything. That week is quiet (its buyers under a quarter of the median week's, all
    recomputed from the raw file), and 6 Dec 2010, the data's second week, starts within the
    gap holding 80% of repeat purchases of the first purchase: no cohort starting before then
    is named."""
    raw, lines = retail
    days = raw_purchase_days(raw)
    gaps = days.sort("CustomerID", "day").select(
        pl.col("day").diff().over("CustomerID").dt.total_days().drop_nulls()
    )["day"]
    first = days["day"].min()
    until = first + timedelta(days=int(np.quantile(gaps.to_numpy(), 0.8, method="inverted_cdf")))
    base = churn.churn_base(churn.purchase_days(lines))
    assert cohorts.early_until(cohorts.purchases(lines)["day"].min(), base.windows) == until

    weeks = days.with_columns(pl.col("day").dt.truncate("1w").alias("week"))
    every_week = pl.DataFrame(
        {"week": pl.date_range(weeks["week"].min(), weeks["week"].max(), "1w", eager=True)}
    )
    buyers = every_week.join(
        weeks.group_by("week").agg(pl.col("CustomerID").n_unique().alias("buyers")),
        on="week",
        how="left",
    ).with_columns(pl.col("buyers").fill_null(0))
    full = buyers.head(-1)  # the data ends on Friday 9 Dec 2011: its last week is partial
    quiet = full.filter(pl.col("buyers") < 0.25 * full["buyers"].median())["week"]
    assert quiet.to_list() == [date(2010, 12, 27)]

    table = cohorts.cohort_table(lines, "week")
    matrix = cohorts.cohort_matrix(table, "customers", True, 0, until)
    got = matrix.filter("observed").select("period_start", "period_buyers").unique()
    assert got.sort("period_start").rows() == buyers.rows()
    assert matrix.filter("quiet")["period_start"].unique().to_list() == quiet.to_list()

    reading = cohorts.best_worst_reading(matrix, "week", "customers")
    # What the reading compared, then the early cohorts it left out (no best is named: by the
    # cohorts' exact tails, none stands out among 41 and 39).
    compared, said, left_out = reading.partition(" The cohorts of the weeks from")
    left_out = said + left_out
    named = [
        datetime.strptime(d, "%d %b %Y").date() for d in re.findall(r"\d+ \w+ \d{4}", compared)
    ]
    assert named and min(named) >= until
    last_early = table.filter(pl.col("cohort") < until)["label"][-1]
    assert left_out.startswith(
        f" The cohorts of the weeks from {fmt.day(table['cohort'][0])} to {last_early} are left "
        "out: they start within the 80% churn window"
    )


def test_real_reading_with_one_cohort_shown_says_to_show_more(retail):
    """Online Retail by month with the slider at 1: Dec 2011, which the data ends inside, has no
    full month after its first, while older cohorts have (the audit: 10 of them): the advice is
    to show more cohorts, not a shorter grain or a longer history."""
    raw, lines = retail
    months = raw_purchase_days(raw).select(pl.col("day").dt.truncate("1mo")).unique()["day"]
    assert months.max() == date(2011, 12, 1)  # the last cohort's month, which 9 Dec ends inside
    matrix = cohorts.cohort_matrix(cohorts.cohort_table(lines, "month"), last=1)
    assert matrix["label"].unique().to_list() == ["Dec 2011"]
    assert cohorts.best_worst_reading(matrix, "month", "customers") == (
        "No cohort shown has a full month after its first yet, so there is nothing to compare: "
        "show more cohorts."
    )


def test_a_customer_whose_only_line_is_free_is_no_customer_as_on_the_rfm_page():
    free = conform(
        "lines",
        pl.DataFrame(
            {
                "customer_id": ["a", "t"],
                "order_id": ["o1", "o2"],
                "ordered_at": [datetime(2024, 1, 5), datetime(2024, 1, 6)],
                "revenue": [10.0, 0.0],
                "quantity": [1.0, 1.0],
                "unit_price": [10.0, 0.0],
            }
        ),
    )
    table = cohorts.cohort_retention(free, "1mo")
    assert table.select("cohort", "period_index", "customers").rows() == [(date(2024, 1, 1), 0, 1)]
    assert cohorts.coverage(free).customers == 1


def test_headless_without_customer_ids_says_what_the_lines_need():
    """Worded as RFM's is ('cohorts need a lines table with customer_id' named a column only)."""
    lines = pl.DataFrame({"order_id": ["o1"], "ordered_at": [datetime(2024, 1, 1)]})
    with pytest.raises(ValueError, match=r"^Cohorts need a customer id per order line"):
        cohorts.headless(Dataset("no customers", "generic", tables={"lines": lines}))


def test_two_cohorts_tied_within_chance_are_named_together_and_not_one_by_chance():
    """Two cohorts tied at 3 of 10 against 8.5% pooled (as tests/test_events.py's platforms):
    named together, their Wilson intervals clear it, the exact tails do not."""
    from tests.test_events import _tied_by_chance

    found = _tied_by_chance("label")
    assert cohorts._by_chance(found, "month") == (
        " (the 95% intervals of the Jan 2023 and Feb 2023 cohorts (10.8%–60.3% each) clear their "
        "pooled 8.5%, but with 10 cohorts compared, more than one this far out on their own "
        "intervals is within chance)"
    )
    after = cohorts._by_chance(found, "month", after=True)
    assert after.startswith(
        ", and the 95% intervals of the Jan 2023 and Feb 2023 cohorts (10.8%–60.3% each) lie above "
        "their pooled 8.5%, but "
    )


def test_tied_cohorts_of_other_counts_are_each_named_with_their_own_interval():
    """Jan 2023 at 3 of 10 and Feb 2023 at 6 of 20 tie at 30.0%, but their 95% intervals differ
    (Wilson's, by scipy): each is said with its own, beside the 8.8% pooled (73 of 830)."""
    from tests.test_events import _tied_by_chance

    found = _tied_by_chance("label", second=(6, 20))
    jan, feb = (binomtest(k, n).proportion_ci(method="wilson") for k, n in ((3, 10), (6, 20)))
    assert (f"{jan.low:.1%}–{jan.high:.1%}", f"{feb.low:.1%}–{feb.high:.1%}") == (
        "10.8%–60.3%",
        "14.5%–51.9%",
    )
    assert f"{73 / 830:.1%}" == "8.8%"
    assert cohorts._by_chance(found, "month").startswith(
        " (the 95% intervals of the Jan 2023 cohort (10.8%–60.3%) and the Feb 2023 cohort "
        "(14.5%–51.9%) clear their pooled 8.8%, but with 10 cohorts compared"
    )
    assert cohorts._by_chance(found, "month", after=True).startswith(
        ", and the 95% intervals of the Jan 2023 cohort (10.8%–60.3%) and the Feb 2023 cohort "
        "(14.5%–51.9%) lie above their pooled 8.8%, but with 10 cohorts compared"
    )
    # Weekly cohorts' names end in a date: no possessive is put on it.
    weeks = cohorts._by_chance(found, "week", after=True)
    assert weeks.startswith(
        ", and the 95% intervals of the cohort of the week of Jan 2023 (10.8%–60.3%) and the "
        "cohort of the week of Feb 2023 (14.5%–51.9%) lie above"
    )
    # One cohort alone: 'the 95% interval of ..., lies'.
    one = cohorts._by_chance(replace(found, chance_best=found.chance_best[:1]), "week", after=True)
    assert one.startswith(
        ", and the 95% interval of the cohort of the week of Jan 2023, 10.8%–60.3%, lies above "
        "their pooled 8.8%, but"
    )


def test_three_cohorts_tied_at_three_intervals_are_listed_with_commas():
    """3 of 10, 6 of 20 and 9 of 30 tie at 30.0% with three Wilson intervals (scipy): listed
    'A (..), B (..) and C (..)', not chained by 'and'; the pooled share beside them is 90 of
    860 (10.5%)."""
    rows = pl.DataFrame(
        {
            "label": ["Jan 2023", "Feb 2023", "Mar 2023"] + [f"R{i}" for i in range(8)],
            "hits": [3, 6, 9] + [9] * 8,
            "n": [10, 20, 30] + [100] * 8,
        }
    )
    found = stats.extremes(rows, "hits", "n")
    assert found.chance_best["label"].to_list() == ["Jan 2023", "Feb 2023", "Mar 2023"]
    ends = [binomtest(k, n).proportion_ci(method="wilson") for k, n in ((3, 10), (6, 20), (9, 30))]
    jan, feb, mar = (f"{e.low:.1%}–{e.high:.1%}" for e in ends)
    assert cohorts._by_chance(found, "month").startswith(
        f" (the 95% intervals of the Jan 2023 cohort ({jan}), the Feb 2023 cohort ({feb}) and the "
        f"Mar 2023 cohort ({mar}) clear their pooled {90 / 860:.1%}, but"
    )


def test_cohorts_that_differ_together_though_none_stands_out_are_said_so():
    """Audit: Online Retail's month 1 read "none of the 8 cohorts compared differs from their
    pooled 19.8% beyond chance", which reads as alike, where the rates run 15.0% to 24.0% and a
    chi-square test across them gives p = 0.038. Here 28, 30, 32, 40, 44, 48, 50 and 52 of 200
    back: none beyond chance by Holm (the farthest, 52, lies 2.0 standard errors out, short of
    Bonferroni's 2.73), together p = 0.007 by scipy's chi-square; with every cohort at 40,
    p = 1 and nothing more is said."""
    labels = [f"{m} 2024" for m in ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug")]
    backs = [28, 30, 32, 40, 44, 48, 50, 52]
    test = chi2_contingency([[k, 200 - k] for k in backs], correction=False)
    assert 0.005 < test.pvalue < 0.01
    matrix = hand_matrix(
        [
            (label, i, 200, 200 if i == 0 else k, 200, False)
            for label, k in zip(labels, backs, strict=True)
            for i in (0, 1)
        ]
    )
    reading = cohorts.best_worst_reading(matrix, "1mo", "customers")
    assert reading.startswith(
        "In month 1, none of the 8 cohorts compared differs from their pooled 20.2% beyond "
        "chance, though together they differ more than chance would (a chi-square test across "
        f"them all, p = {test.pvalue:.3f}): no single one stands out"
    ), reading


def test_the_slope_compares_the_far_end_with_its_own_cohorts_first_period():
    """Audit: Online Retail's month 6 (3 cohorts, 25.2%) read "gains about 1.1 points a month"
    from the 8 cohorts' 19.8% in month 1, where those 3 had 18.0% back then: 1.4 points a
    month. Here Jan-Mar 2024 have 10 of 100 back in month 1 and 40 in month 3, Apr 50 in month
    1: month 1 pools 80 of 400 (20.0%), but the 3 cohorts that reach month 3 had 10.0%, so
    (40 - 10) / 2 = 15 points a month, not (40 - 20) / 2 = 10."""
    rows = []
    for label in ("Jan 2024", "Feb 2024", "Mar 2024", "Apr 2024"):
        back = (100, 10, 30, 40) if label != "Apr 2024" else (100, 50, 30)
        rows += [(label, i, 100, n, 100, False) for i, n in enumerate(back)]
    curve = cohorts.retention_curve(hand_matrix(rows))
    assert curve["active_at_1"].to_list()[1:] == [80, 80, 30]
    assert cohorts.curve_reading(curve, "month", "customers").startswith(
        "On average 20.0% of a cohort's customers buy again 1 month later and 40.0% 3 months "
        "later (cohorts pooled by size): after the first month it gains about 15 points a month "
        "(10.0% 1 month later for the 3 cohorts that reach month 3)."
    )
