"""The customer summaries, defined once as lazy narwhals frames (lib/summaries.py)."""

from datetime import date, datetime, timedelta

import polars as pl
import pytest

from lib import measures, summaries

# polars cannot check the sortedness of an as-of join by groups; purchases sorts both sides.
pytestmark = pytest.mark.filterwarnings("ignore:Sortedness of columns cannot be checked")


def _lazy(frame: pl.DataFrame):
    return summaries.lazy(frame.with_row_index(summaries.LINE))


def _collect(frame) -> pl.DataFrame:
    return frame.collect().to_native()


# Every kind of line the rules tell apart: flagged return, negative amount, missing values,
# zero and negative quantity or price, a free line.
EDGE_LINES = pl.DataFrame(
    {
        "revenue": [10.0, -5.0, None, 0.0, 4.0, 3.0, 2.0, 0.0, 1.0],
        "is_return": [False, False, None, False, True, None, False, False, False],
        "quantity": [1.0, 1.0, None, 1.0, 1.0, 0.0, -1.0, 2.0, None],
        "unit_price": [10.0, -5.0, 1.0, 0.0, 4.0, 3.0, 2.0, 0.0, None],
        "item_id": ["a", "a", None, "b", "b", "c", "c", "d", "d"],
    }
)


@pytest.mark.parametrize(
    "columns",
    [
        ("revenue", "is_return", "quantity", "unit_price"),
        ("revenue", "quantity"),
        ("revenue", "is_return"),
        ("revenue", "is_return", "item_id"),
        ("revenue", "item_id"),
        ("revenue",),
    ],
)
def test_sale_and_return_rules_agree_with_the_measures_on_every_kind_of_line(columns):
    lines = EDGE_LINES.select(columns)
    names = list(columns)
    got = _collect(
        summaries.lazy(lines).select(
            summaries.is_return(names).alias("ret"),
            summaries.is_sale(names).alias("sale"),
            summaries.sells(names, free=True).alias("free"),
            summaries.line_units(names).alias("units"),
        )
    )
    want = lines.select(
        measures.is_return(lines.columns).alias("ret"),
        measures.is_sale(lines).alias("sale"),
        measures._sells(lines, free=True).alias("free"),
    )
    assert got.drop("units").to_dict(as_series=False) == want.to_dict(as_series=False)
    # By hand, row by row: the quantity (1 when missing); without quantities a line naming an
    # item is one unit (one returned); an order's total (no item named) tells none; a line at a
    # price of 0 that is no return moves none (rows 4 and 8).
    rows = lines.to_dicts()
    units = []
    for row, returned in zip(rows, got["ret"], strict=True):
        if "quantity" in columns:
            unit = 1.0 if row["quantity"] is None else row["quantity"]
        elif "item_id" in columns:
            unit = -1.0 if returned else 1.0
        else:
            unit = None
        if unit is not None and row.get("unit_price") == 0 and not returned:
            unit = 0.0
        units.append(unit)
    assert got["units"].to_list() == units


def _at(day: int, hour: int = 10) -> datetime:
    return datetime(2024, 1, day, hour)


# Customer a buys item x twice (3 units on day 1; the same line again, an exact duplicate;
# 2 units on day 5), cancels 4 units of x on day 6 (taken from the day-5 purchase: 2 of 2,
# clipped at nothing left) and 1 unit of x on day 2 (from day 1: 1 of 3). Customer b's
# cancellation of y has no earlier purchase. A line without a customer is left out.
NETTING = pl.DataFrame(
    {
        "order_id": ["o1", "o1", "o2", "c1", "c2", "o3", "c3", "o4"],
        "customer_id": ["a", "a", "a", "a", "a", "b", "b", None],
        "ordered_at": [_at(1), _at(1), _at(5), _at(6), _at(2), _at(3), _at(1), _at(4)],
        "item_id": ["x", "x", "x", "x", "x", "y", "y", "x"],
        "quantity": [3.0, 3.0, 2.0, -4.0, -1.0, 1.0, -1.0, 1.0],
        "unit_price": [2.0, 2.0, 2.0, 2.0, 2.0, 5.0, 5.0, 2.0],
        "revenue": [6.0, 6.0, 4.0, -8.0, -2.0, 5.0, -5.0, 2.0],
        "is_return": [False, False, False, True, True, False, True, False],
    }
)


def test_lazy_purchases_drop_duplicates_and_net_cancellations_by_hand():
    got = _collect(summaries.purchases(_lazy(NETTING))).sort("ordered_at")
    # o1: 6 less a third (1 of 3 units) = 4; o2: 4 less all of it (4 of 2, clipped) = 0; o3: 5.
    assert got.select("order_id", "customer_id", "revenue").rows() == [
        ("o1", "a", 4.0),
        ("o3", "b", 5.0),
        ("o2", "a", 0.0),
    ]


def test_cancellations_netted_and_not_by_hand():
    # c1 and c2 (customer a) each net a purchase; c3 (b's y) has none before it.
    assert _collect(summaries.netted(_lazy(NETTING))).rows(named=True) == [
        {"matched": 2, "unmatched": 1, "repeated_returns": 0}
    ]
    netted = measures.customer_purchases(NETTING)
    assert (netted.matched, netted.unmatched) == (2, 1)


def test_lazy_purchases_equal_the_measures_purchases():
    want = measures.customer_purchases(NETTING).lines
    got = _collect(summaries.purchases(_lazy(NETTING)))
    key = ["order_id", "item_id", "ordered_at"]
    assert got.select(want.columns).sort(key).equals(want.sort(key))


def test_purchases_of_first_copies_judged_over_whole_lines_equal_those_of_the_whole_lines():
    """first_copies keeps one of each exact duplicate (o1's line, c2 exported twice) and only
    the columns asked; o3's second line differs from its first by its name alone, so it is no
    duplicate though the kept columns are alike: judged, purchases keep both (o3: 5 + 5)."""
    twice = pl.concat([NETTING, NETTING.filter(pl.col("order_id").is_in(["c2", "o3"]))])
    named = twice.with_columns(
        pl.Series("item_name", ["n"] * (twice.height - 1) + ["another name"])
    )
    whole = _collect(summaries.purchases(_lazy(named)))
    first = summaries.first_copies(_lazy(named), (*measures.PURCHASE_COLUMNS, "is_return"))
    assert "item_name" not in first.collect_schema().names()
    judged = _collect(summaries.purchases(first, judged=True))
    key = ["order_id", "ordered_at"]
    want = [("o1", 4.0), ("o2", 0.0), ("o3", 5.0), ("o3", 5.0)]
    assert whole.sort(key).select("order_id", "revenue").rows() == want
    assert judged.sort(key).select("order_id", "revenue").rows() == want


def test_customer_summary_counts_sale_orders_and_nets_returns_by_hand():
    lines = pl.DataFrame(
        {
            "order_id": ["1", "1", "2", "3", "R", "4", "5"],
            "customer_id": ["a", "a", "a", "a", "a", "b", None],
            "ordered_at": [_at(1, 9), _at(1, 11), _at(3), _at(3, 15), _at(4), _at(2), _at(2)],
            "revenue": [10.0, 5.0, 20.0, 1.0, -7.0, -3.0, 50.0],
            "is_return": [False, False, False, False, True, True, False],
        }
    )
    days = summaries.order_days(_lazy(lines).drop(summaries.LINE))
    got = _collect(summaries.customers(summaries.orders(days))).sort("customer_id")
    assert got.rows() == [
        # a: orders 1, 2, 3 (R is a return), first on day 1 at 9, last on day 3 at 15 (order 3
        # starts then), 10 + 5 + 20 + 1 - 7 = 29, days 1 and 3.
        ("a", _at(1, 9), _at(3, 15), 3, 29.0, 2),
        # b: a return only.
        ("b", None, None, 0, -3.0, 0),
    ]
    before = _collect(summaries.customers(summaries.orders(days, date(2024, 1, 3))))
    assert before.filter(pl.col("customer_id") == "a").row(0) == (
        "a",
        _at(1, 9),
        _at(1, 9),
        1,
        15.0,
        1,
    )


@pytest.mark.parametrize(
    ("every", "number"),
    [
        ("1w", lambda d: ((d - date(1970, 1, 1)).days + 3) // 7),
        ("1mo", lambda d: d.year * 12 + d.month - 1),
        ("1q", lambda d: d.year * 4 + (d.month - 1) // 3),
    ],
)
def test_period_numbers_match_plain_calendar_arithmetic_over_decades(every, number):
    days = [date(1995, 12, 25) + timedelta(days=n) for n in range(0, 40 * 366, 3)]
    got = _collect(
        summaries.lazy(pl.DataFrame({"day": days})).select(summaries.period_number(every))
    )
    assert got.to_series().to_list() == [number(d) for d in days]


def test_weeks_start_on_monday():
    monday, sunday = date(2024, 1, 1), date(2024, 1, 7)
    frame = summaries.lazy(pl.DataFrame({"day": [monday, sunday, sunday + timedelta(days=1)]}))
    weeks = _collect(frame.select(summaries.period_number("1w"))).to_series().to_list()
    assert weeks[0] == weeks[1] == weeks[2] - 1


def test_customer_periods_count_distinct_orders_and_revenue_per_month():
    lines = pl.DataFrame(
        {
            "order_id": ["1", "1", "2", "3", "4"],
            "customer_id": ["a", "a", "a", "a", None],
            "ordered_at": [_at(1), _at(1), _at(31), datetime(2024, 2, 1), _at(5)],
            "revenue": [1.0, 2.0, 4.0, 8.0, 16.0],
        }
    )
    days = summaries.order_days(summaries.lazy(lines))
    got = _collect(summaries.customer_periods(days, "1mo")).sort("period")
    january = 2024 * 12
    assert got.rows() == [("a", january, 2, 7.0), ("a", january + 1, 1, 8.0)]


def test_a_cancellation_line_repeated_exactly_cancels_once_in_both_definitions():
    """c2 (1 unit of x on day 2) exported twice: one cancellation, as a repeated sale is one
    sale. o1 stays at 6 less a third, 4 (the repeat took another third: 2); 2 matched, 1 not."""
    twice = pl.concat([NETTING, NETTING.filter(pl.col("order_id") == "c2")])
    lazy = _collect(summaries.purchases(_lazy(twice)))
    cleaned = measures.customer_purchases(twice)
    for got in (lazy, cleaned.lines):
        assert got.filter(pl.col("order_id") == "o1")["revenue"].to_list() == [4.0]
    assert (cleaned.matched, cleaned.unmatched) == (2, 1)
    assert _collect(summaries.netted(_lazy(twice))).rows() == [(2, 1, 1)]
