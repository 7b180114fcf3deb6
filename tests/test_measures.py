"""The shared measure definitions on tiny hand-checked frames and on the real data sets."""

from datetime import datetime

import pandas as pd
import polars as pl
import pytest

from lib import formats, io, measures, quality
from lib.formats import generic
from lib.model import Dataset, conform
from tests.conftest import shared_file


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2024, 1, day, hour)


def lines_of(rows: list[tuple]) -> pl.DataFrame:
    """Lines from (order_id, customer_id, ordered_at, item_id, quantity, unit_price, is_return)."""
    frame = pl.DataFrame(
        rows,
        schema=["order_id", "customer_id", "ordered_at", "item_id", "quantity", "unit_price"]
        + ["is_return"],
        orient="row",
    ).with_columns((pl.col("quantity") * pl.col("unit_price")).alias("revenue"))
    return conform("lines", frame)


def test_purchases_leave_out_guests_returns_duplicates_and_free_lines_and_count_each():
    raw = lines_of(
        [
            ("1", "a", at(1), "x", 2.0, 3.0, False),
            ("1", "a", at(1), "x", 2.0, 3.0, False),  # exact duplicate
            ("2", None, at(2), "x", 1.0, 5.0, False),  # no customer
            ("C3", "a", at(3), "y", -2.0, 3.0, True),  # cancels nothing a bought before
            ("4", "b", at(4), "x", 0.0, 3.0, False),  # zero quantity
            ("5", "b", at(5), "x", 1.0, 0.0, False),  # zero price
            ("6", "b", at(6), "x", 2.0, 2.0, False),
        ]
    )
    got = measures.customer_purchases(raw)
    assert got.lines["order_id"].to_list() == ["1", "6"]
    assert got.lines["revenue"].to_list() == [6.0, 4.0]
    assert got.dropped.rows() == [
        ("no customer id", 1, 5.0),
        ("cancellation or return", 1, -6.0),
        ("exact duplicate line", 1, 6.0),
        ("zero or negative quantity or unit price", 2, 0.0),
    ]
    assert (got.matched, got.unmatched) == (0, 1)


def test_a_cancellation_nets_out_of_a_priced_purchase_never_a_free_one():
    """Online Retail's 550188 (customer 12457): 8 of an item at 7.65 and 1 free, at the same
    time, the free one last; C550668 takes back 6. The lifetime value models count the free
    line as a purchase, but a cancellation takes money back from the 61.20 paid: 6/8 of it,
    45.90, leaves 15.30, with or without free lines (RFM and Lifetime value alike)."""
    raw = lines_of(
        [
            ("550188", "a", at(1), "x", 8.0, 7.65, False),
            ("550188", "a", at(1), "x", 1.0, 0.0, False),  # free, and later in the file
            ("C550668", "a", at(3), "x", -6.0, 7.65, True),
        ]
    )
    for free in (False, True):
        got = measures.customer_purchases(raw, free=free)
        assert got.lines["revenue"].to_list()[0] == pytest.approx(15.3)
        assert got.matched_revenue == pytest.approx(45.9)
        assert (got.matched, got.unmatched) == (1, 0)
    assert measures.customer_purchases(raw, free=True).lines["revenue"].to_list()[1] == 0.0


def test_a_cancellation_nets_out_of_the_latest_earlier_purchase_of_the_same_item():
    raw = lines_of(
        [
            ("1", "a", at(1), "x", 10.0, 2.0, False),  # 20
            ("2", "a", at(5), "x", 4.0, 2.5, False),  # 10: the latest x before the cancellation
            ("3", "a", at(5), "y", 1.0, 7.0, False),  # another item: untouched
            ("C4", "a", at(6), "x", -1.0, 2.5, True),  # takes back 1 of 4 units of order 2
            ("5", "a", at(9), "x", 3.0, 2.0, False),  # after the cancellation: untouched
        ]
    )
    got = measures.customer_purchases(raw)
    assert got.lines["revenue"].to_list() == [20.0, 7.5, 7.0, 6.0]
    assert (got.matched, got.unmatched, got.matched_revenue) == (1, 0, 2.5)


def test_a_purchase_cancelled_in_full_keeps_its_row_at_zero_and_never_goes_below():
    raw = lines_of(
        [
            ("1", "a", at(1), "x", 3.0, 2.0, False),
            ("C2", "a", at(1, 11), "x", -2.0, 2.0, True),
            ("C3", "a", at(2), "x", -2.0, 2.0, True),  # 4 of 3 units back: the purchase ends at 0
            ("C4", "b", at(2), "x", -1.0, 2.0, True),  # b never bought x
            ("C5", "a", at(2), "z", -1.0, 2.0, True),  # a never bought z
        ]
    )
    got = measures.customer_purchases(raw)
    assert got.lines.select("order_id", "revenue").rows() == [("1", 0.0)]
    assert (got.matched, got.unmatched) == (2, 2)


def test_a_cancellation_takes_back_no_more_than_it_credits():
    """A manual credit of £60 for 1 unit against a manual purchase of 1 unit at £1,867.86 (as
    Online Retail's customer 17940): by quantity it would take all of it back, but it credits
    £60. A cancellation at a higher price than paid still takes back its units' share, and one
    crediting nothing known (no price) its units' share too."""
    raw = lines_of(
        [
            ("1", "a", at(1), "M", 1.0, 1867.86, False),
            ("C2", "a", at(2), "M", -1.0, 60.0, True),  # 60 back: 1,807.86 left
            ("3", "b", at(1), "x", 4.0, 2.0, False),  # 8
            ("C4", "b", at(2), "x", -1.0, 3.0, True),  # 1 of 4 units: 2 back, not its 3
            ("5", "c", at(1), "x", 4.0, 2.0, False),  # 8
            ("C6", "c", at(2), "x", -2.0, None, True),  # no price: 2 of 4 units, 4 back
            ("7", "d", at(1), "x", 2.0, 5.0, False),  # 10
            ("C8", "d", at(2), "x", -1.0, 1.0, True),  # 1 back
            ("C9", "d", at(3), "x", -1.0, 5.0, True),  # 5 back, 4 left
        ]
    )
    got = measures.customer_purchases(raw)
    assert got.lines["revenue"].to_list() == pytest.approx([1807.86, 6.0, 4.0, 4.0])
    assert got.matched_revenue == pytest.approx(60.0 + 2.0 + 4.0 + 6.0)
    assert (got.matched, got.unmatched) == (5, 0)


def test_without_items_a_refund_nets_out_of_the_customers_latest_purchase_by_amount():
    raw = conform(
        "lines",
        pl.DataFrame(
            {
                "order_id": ["1", "2", "3"],
                "customer_id": ["a", "a", "a"],
                "ordered_at": [at(1), at(3), at(4)],
                "revenue": [40.0, 50.0, -20.0],
            }
        ),
    )
    got = measures.customer_purchases(raw)
    assert got.lines["revenue"].to_list() == [40.0, 30.0]
    assert got.matched == 1


def test_real_online_retail_cancellations_net_out_as_an_independent_pandas_match_does():
    path = shared_file("online_retail/online_retail.parquet")
    ds = formats.assemble(io.read_path(path)).dataset
    got = measures.customer_purchases(ds.tables["lines"])

    raw = pd.read_parquet(path)
    raw["InvoiceDate"] = pd.to_datetime(raw["InvoiceDate"])
    raw["Revenue"] = raw["Quantity"] * raw["UnitPrice"]
    known = raw[raw["CustomerID"].notna()]
    cancel = known["InvoiceNo"].astype(str).str.startswith("C")
    bought = known[~cancel].drop_duplicates()
    cancels = known[cancel].drop_duplicates()  # a repeated cancellation line is one, as a sale
    bought = bought[(bought["Quantity"] > 0) & (bought["UnitPrice"] > 0)].copy()
    bought["row"] = range(len(bought))
    pairs = pd.merge_asof(
        cancels.sort_values("InvoiceDate", kind="stable"),
        bought.sort_values("InvoiceDate", kind="stable")[
            ["InvoiceDate", "CustomerID", "StockCode", "row", "Quantity", "Revenue"]
        ],
        on="InvoiceDate",
        by=["CustomerID", "StockCode"],
        direction="backward",
        suffixes=("", "Bought"),
    ).dropna(subset=["row"])
    # Each cancellation takes back its quantity's share, no more than the money it credits.
    by_units = pairs["Quantity"].abs() / pairs["QuantityBought"]
    taken = by_units.where(
        by_units < pairs["Revenue"].abs() / pairs["RevenueBought"],
        pairs["Revenue"].abs() / pairs["RevenueBought"],
    )
    share = (1 - taken.groupby(pairs["row"]).sum()).clip(0, 1)
    net = bought.set_index("row")["Revenue"].copy()
    net.loc[share.index] *= share

    assert got.lines.height == len(bought) == 392_692
    assert got.matched == len(pairs)
    assert got.unmatched == len(cancels) - len(pairs)
    assert (len(pairs), int(cancel.sum()) - len(cancels)) == (7_569, 33)
    assert got.lines["revenue"].sum() == pytest.approx(net.sum())
    # Customer 16446's £168,469.60 order was cancelled 12 minutes later: it is worth nothing.
    big = got.lines.filter(pl.col("customer_id") == "16446")["revenue"].sum()
    assert big == pytest.approx(1.65 + 1.25)
    # Customer 17940's manual £60 credit of quantity 1 (C554535) takes back £60 of the manual
    # £1,867.86 purchase of quantity 1 (549468), not all of it.
    manual = got.lines.filter(pl.col("order_id") == "549468")["revenue"].to_list()
    assert manual == [pytest.approx(1867.86 - 60.0)]


def _olist_like(statuses: list[str]) -> Dataset:
    orders = pl.DataFrame(
        {
            "order_id": [str(i) for i in range(len(statuses))],
            "customer_id": ["a"] * len(statuses),
            "ordered_at": [at(1)] * len(statuses),
            "status": statuses,
        }
    )
    lines = pl.DataFrame(
        {
            "order_id": [str(i) for i in range(len(statuses))] + ["0"],
            "customer_id": ["a"] * (len(statuses) + 1),
            "ordered_at": [at(1)] * (len(statuses) + 1),
            "revenue": [10.0] * (len(statuses) + 1),
        }
    )
    return Dataset(
        "t", "olist", tables={"orders": conform("orders", orders), "lines": conform("lines", lines)}
    )


def test_lines_of_cancelled_and_unavailable_orders_are_set_apart_and_counted():
    ds = measures.split_unsold(_olist_like(["delivered", "canceled", "unavailable", "shipped"]))
    assert ds.tables["lines"]["order_id"].to_list() == ["0", "3", "0"]
    assert ds.extras[measures.UNSOLD_LINES]["order_id"].to_list() == ["1", "2"]
    assert ds.notes[-1].count == 2
    assert (
        "2 lines of 2 cancelled, unavailable, voided, expired, refunded, failed or suspected-fraud"
        " orders" in ds.notes[-1].message
    )
    # Data quality still inspects every line the files hold.
    assert measures.as_recorded(ds).tables["lines"].height == 5


def test_cancellation_invoices_are_returns_and_stay_with_the_sales():
    lines = conform(
        "lines",
        pl.DataFrame(
            {
                "order_id": ["1", "C2"],
                "customer_id": ["a", "a"],
                "ordered_at": [at(1), at(2)],
                "revenue": [10.0, -10.0],
                "is_return": [False, True],
            }
        ),
    )
    orders = conform(
        "orders",
        pl.DataFrame(
            {
                "order_id": ["1", "C2"],
                "customer_id": ["a", "a"],
                "ordered_at": [at(1), at(2)],
                "status": ["invoiced", "cancelled"],
            }
        ),
    )
    ds = Dataset("t", "retail", tables={"lines": lines, "orders": orders})
    assert measures.split_unsold(ds) is ds


def test_the_quality_report_sees_the_lines_set_apart():
    ds = measures.split_unsold(_olist_like(["delivered", "canceled"]))
    profile = next(p for p in quality.report(ds).profiles if p.table == "lines")
    assert profile.rows == 3


def test_a_delivered_order_has_both_dates_and_a_delivered_status_when_there_is_one():
    orders = pl.DataFrame(
        {
            "delivered_at": [at(5), at(5), None, at(5)],
            "estimated_delivery_at": [at(4), at(6), at(6), None],
            "status": ["delivered", "canceled", "delivered", "delivered"],
        }
    )
    got = orders.select(
        measures.delivered(orders).alias("d"), (measures.delivered(orders) & measures.late())
    )
    assert got["d"].to_list() == [True, False, False, False]
    assert got.to_series(1).to_list() == [True, False, False, False]
    no_status = orders.drop("status")
    assert no_status.select(measures.delivered(no_status))["delivered_at"].to_list() == [
        True,
        True,
        False,
        False,
    ]


def test_the_caption_quotes_each_definition_and_the_unsold_rule_only_where_it_applies():
    plain = Dataset("t", "retail")
    text = measures.caption(plain, "order", "revenue")
    assert measures.DEFINITIONS["order"] in text and measures.DEFINITIONS["revenue"] in text
    assert measures.UNSOLD_DEFINITION not in text
    split = measures.split_unsold(_olist_like(["delivered", "canceled"]))
    assert measures.UNSOLD_DEFINITION in measures.caption(split, "order")


def test_the_purchase_caption_says_what_the_purchases_do_with_exact_repeats():
    """A mapped file keeps a repeated row as a second purchase (its lines get line numbers of
    their own); a known format counts it once. The caption says which."""
    rows = [("A1", "c1", "2024-01-05", "x", 2, 5.0), ("A1", "c1", "2024-01-05", "x", 2, 5.0)]
    rows.append(("A2", "c2", "2024-01-06", "y", 1, 3.0))
    frame = pl.DataFrame(
        rows, schema=["Order", "Customer", "Date", "SKU", "Qty", "Price"], orient="row"
    ).cast(pl.String)
    guess = generic.guess_mapping(frame)
    table = io.RawTable("shop.csv", "shop.csv", frame)
    mapped = formats.assemble([table], {"shop.csv": guess}).dataset
    kept = measures.customer_purchases(mapped.tables["lines"]).lines
    assert kept["revenue"].sum() == 10.0 + 10.0 + 3.0  # both rows of A1
    assert measures.MAPPED_PURCHASE in measures.caption(mapped, "purchase")
    retail = formats.assemble_demo("retail").dataset
    text = measures.caption(retail, "purchase")
    assert "exact duplicate lines once" in text and measures.MAPPED_PURCHASE not in text


def test_the_analyses_of_one_data_set_clean_its_lines_once_and_each_takes_its_columns(
    monkeypatch,
):
    raw = lines_of(
        [
            ("1", "a", at(1), "x", 2.0, 3.0, False),
            ("1", "a", at(1), "x", 2.0, 3.0, False),
            ("2", "b", at(2), "y", 1.0, 5.0, False),
            ("C3", "b", at(3), "y", -1.0, 5.0, True),
        ]
    )
    cleanings = []
    first = measures.first_occurrences
    monkeypatch.setattr(measures, "first_occurrences", lambda f: cleanings.append(1) or first(f))
    whole = measures.customer_purchases(raw)
    ids = measures.customer_purchases(raw, ("customer_id", "revenue"))
    assert len(cleanings) == 1
    assert ids.lines.rows() == [("a", 6.0), ("b", 0.0)]
    assert whole.lines.select("customer_id", "revenue").rows() == ids.lines.rows()
    assert (ids.matched, ids.dropped.rows()) == (whole.matched, whole.dropped.rows())
    # Other lines (a copy too) are cleaned anew.
    assert measures.customer_purchases(raw.head(1)).lines["revenue"].to_list() == [6.0]
    last = raw.clone()
    measures.customer_purchases(last, ("customer_id",))
    assert len(cleanings) == 3
    # Lines read once (a share of a big file) are cleaned without being kept, and the lines
    # kept last stay kept: the first copy of invoice 1 (row 0) and invoice 2 (row 2), which the
    # cancellation takes back in full.
    once = raw.clone()
    assert measures.purchase_rows(once).rows() == [(0, 6.0), (2, 0.0)]
    assert len(cleanings) == 4
    measures.customer_purchases(last, ("revenue",))
    assert len(cleanings) == 4
    measures.customer_purchases(once)
    assert len(cleanings) == 5


def test_lines_judged_for_duplicates_keep_the_same_purchases_without_their_names():
    """A big file's share is judged over whole lines, then narrowed (measures.judged_lines):
    two lines alike but for the item's name are no duplicates, and stay apart once the names go.
    Read in three parts, the flag of first occurrences is cut as the other columns are."""
    raw = lines_of(
        [
            ("1", "a", at(1), "x", 2.0, 3.0, False),
            ("1", "a", at(1), "x", 2.0, 3.0, False),  # exact duplicate
            ("1", "a", at(1), "x", 2.0, 3.0, False),  # the same but for its name, below
            # Takes back half of the latest purchase of a's x, the later of two at one time.
            ("C2", "a", at(2), "x", -1.0, 3.0, True),
            ("3", "b", at(3), "y", 1.0, 4.0, False),
        ]
    ).with_columns(pl.Series("item_name", ["mug", "mug", "MUG", "mug", "cup"]))
    parts = pl.concat([raw.slice(0, 2), raw.slice(2, 2), raw.slice(4, 1)], rechunk=False)
    judged = measures.judged_lines(parts)
    assert "item_name" not in judged.columns
    assert judged[measures.FIRST].to_list() == [True, False, True, True, True]
    assert set(judged.n_chunks("all")) == {3}
    # Row 0 (6.0), row 2 (the renamed line, 6.0, half taken back: 3.0) and row 4 (4.0).
    assert measures.purchase_rows(judged).rows() == [(0, 6.0), (2, 3.0), (4, 4.0)]
    assert measures.purchase_rows(judged).equals(measures.purchase_rows(parts))


def test_the_top_ten_percent_is_the_same_count_on_every_page():
    """RFM's customer list and Lifetime value's ranking name the same "top 10%": Online Retail's
    4,338 customers gave 433 on one (rounded down) and 434 on the other."""
    from lib.analyses import clv, rfm

    assert [measures.top_count(n, 0.1) for n in (4338, 4339, 15, 14, 5)] == [434, 434, 2, 1, 1]
    customers = pl.DataFrame({"monetary": [float(m) for m in range(1, 16)]})  # 1..15: 120
    assert "the top 10% (2) bring 24.2% of it" in rfm.customers_reading(customers, "")
    values = pl.DataFrame({"clv": [float(m) for m in range(1, 16)]})
    assert clv.concentration_reading(values).startswith(
        "The top 10% of customers (2) hold 24.2% of the expected value"
    )


def test_top_customers_are_put_first_only_when_they_hold_twice_their_headcount():
    """The top 10% holding 11.4% of the value (the web shop demo's Lifetime value) is no group to
    put first; holding 20% or more is."""
    from lib.analyses import clv, rfm

    assert measures.stands_out(0.2, 1, 10) and not measures.stands_out(0.114, 955, 9554)
    even = [10.0] * 18 + [12.0, 13.0]  # top 2 of 20: 25 of 205, 12.2%
    steep = [1.0] * 18 + [10.0, 20.0]  # top 2 of 20: 30 of 48, 62.5%
    assert clv.concentration_reading(pl.DataFrame({"clv": even}), "GBP") == (
        "The top 10% of customers (2) hold 12.2% of the expected value of £205, less than twice "
        "their 10.0% of the customers: value is spread fairly evenly, so no small group stands "
        "out to look after first."
    )
    # Two customers stand out but are a handful (measures.HANDFUL): a list, not a group.
    assert clv.concentration_reading(pl.DataFrame({"clv": steep}), "GBP").endswith(
        "hold 62.5% of the expected value of £48: look at them one by one."
    )
    assert rfm.customers_reading(pl.DataFrame({"monetary": even}), "GBP") == (
        "20 customers listed, worth £205 of net revenue; the top 10% (2) bring 12.2% of it, less "
        "than twice their share of the customers: no small group stands out."
    )
    assert rfm.customers_reading(pl.DataFrame({"monetary": steep}), "GBP").endswith(
        "the top 10% (2) bring 62.5% of it — look at them one by one."
    )


def test_no_sale_orders_are_those_set_apart_and_those_without_a_line():
    """o1 sold; o2's line was set apart (cancelled); o3 has no line at all; o4 sold too."""
    orders = pl.DataFrame({"order_id": ["o1", "o2", "o3", "o4"]})
    lines = pl.DataFrame({"order_id": ["o1", "o1", "o4"], "revenue": [5.0, 2.0, 3.0]})
    unsold = pl.DataFrame({"order_id": ["o2", "o2"]})
    every = pl.DataFrame({"order_id": ["o1", "o2", "o4"]})
    for table, extras, expected in (
        (orders, {}, {"without items": 2}),  # nothing set apart: o2 has no line either
        (orders, {measures.UNSOLD_LINES: unsold}, {"set apart": 1, "without items": 1}),
        (every, {measures.UNSOLD_LINES: unsold}, {"set apart": 1}),
    ):
        tables = {"orders": table, "lines": lines}
        assert measures.no_sale_orders(Dataset("t", "test", tables=tables, extras=extras)) == (
            expected
        )
    assert measures.no_sale_orders(Dataset("t", "test", tables={"lines": lines})) == {}


def test_says_none_reads_empty_blank_and_the_words_in_any_case_and_nothing_else():
    """Judged once per distinct value (a rerun's cost), each line still gets its own value's
    answer, wherever it repeats, eagerly or after a lazy filter."""
    values = ["a", " ", "", None, "Uncategorized ", "UNCATEGORISED", "b", "a", " ", "Unknown"]
    expected = [False, True, True, True, True, True, False, False, True, False]
    frame = pl.DataFrame({"category": values})
    none = measures.says_none("category", measures.NO_CATEGORY_WORDS)
    assert frame.select(none).to_series().to_list() == expected
    kept = frame.lazy().with_columns(none.alias("none")).filter(pl.col("category").ne_missing("b"))
    assert kept.collect()["none"].to_list() == [
        e for v, e in zip(values, expected, strict=True) if v != "b"
    ]
    assert frame.select(measures.category()).to_series().to_list() == [
        measures.UNCATEGORISED if e else v for v, e in zip(values, expected, strict=True)
    ]
