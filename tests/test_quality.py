"""Each anomaly rule on tiny hand-made canonical tables, and the report on real data."""

import gzip
from datetime import date, datetime

import polars as pl
import pytest

from lib import formats, io, quality
from lib.analyses import clv
from lib.formats import generic
from lib.model import Dataset, conform
from tests.conftest import shared_file

TODAY = datetime(2026, 1, 1)


def ds(extras=None, **tables) -> Dataset:
    return Dataset(
        "t",
        "test",
        tables={k: conform(k, pl.DataFrame(v)) for k, v in tables.items()},
        extras=extras or {},
    )


def counts(dataset: Dataset) -> dict[str, int]:
    return quality.report(dataset, today=TODAY).counts()


def lines(**extra) -> dict:
    base = {
        "order_id": ["1", "1", "2", "3", "C4", "5"],
        "customer_id": ["a", "a", None, "b", "b", "c"],
        "ordered_at": [datetime(2024, 1, d) for d in (1, 1, 2, 3, 4, 5)],
        "revenue": [2.0, 2.0, 0.0, 3000.0, -2.0, 4.0],
        "item_id": ["X", "X", "POST", "Y", "X", "bank charges"],
        "quantity": [1.0, 1.0, 1.0, 1000.0, -1.0, 2.0],
        "unit_price": [2.0, 2.0, 0.0, 3.0, 2.0, 2.0],
        "is_return": [False, False, False, False, True, False],
    }
    return base | extra


def test_line_rules_count_exactly_the_offending_lines():
    report = quality.report(ds(lines=lines()), today=TODAY)
    got = report.counts()
    assert {f.share_of for f in report.findings} == {"lines"}  # of the table's rows
    assert got["duplicate_rows"] == 1  # the second line of order 1
    assert got["missing_customer"] == 1
    assert got["non_positive_price"] == 1
    assert got["extreme_quantity"] == 1  # 1000 > max(100, 50 x median 1)
    assert got["cancellations"] == 1
    assert got["non_product_codes"] == 2  # POST and 'bank charges' in any case


def test_cancelled_or_returned_lines_are_the_lines_purchases_net_as_returns():
    """Audit: the finding counted the format's flag alone, where purchases net every line of a
    negative amount too (measures.is_return): Online Retail's two unflagged bad-debt lines
    (A563186, A563187) were netted but not counted."""
    frame = lines(
        order_id=["1", "1", "2", "3", "C4", "A5"],
        # A5: -11 of bad debt, no flag; order 2: a stock adjustment, -1 at price 0 (no return).
        revenue=[2.0, 2.0, 0.0, 3000.0, -2.0, -11.0],
        quantity=[1.0, 1.0, -1.0, 1000.0, -1.0, 1.0],
        unit_price=[2.0, 2.0, 0.0, 3.0, 2.0, -11.0],
    )
    assert counts(ds(lines=frame))["cancellations"] == 2  # C4 and A5


def test_extreme_quantity_threshold_scales_with_the_median():
    # median |quantity| is 10, so the limit is 500: 400 is not extreme, 600 is
    frame = lines(quantity=[10.0, 10.0, 10.0, 400.0, -10.0, 600.0])
    assert counts(ds(lines=frame))["extreme_quantity"] == 1


def test_future_dates_ignore_estimated_delivery():
    orders = {
        "order_id": ["1", "2"],
        "customer_id": ["a", "b"],
        "ordered_at": [datetime(2025, 1, 1), datetime(2027, 1, 1)],
        "estimated_delivery_at": [datetime(2030, 1, 1), datetime(2027, 2, 1)],
    }
    assert counts(ds(orders=orders))["future_dates"] == 1


def test_placeholder_dates_long_before_the_rest_are_an_error():
    """1900-01-01 written for a missing date was flagged nowhere: the Overview read a range of
    45,649 days and Sales began in 1900."""
    days = [datetime(1900, 1, 1), datetime(1970, 1, 1)] + [
        datetime(2024, 1, d) for d in range(1, 9)
    ]
    orders = {
        "order_id": [str(n) for n in range(10)],
        "customer_id": ["a"] * 10,
        "ordered_at": days,
    }
    report = quality.report(ds(orders=orders))
    (found,) = [f for f in report.findings if f.rule == "placeholder_dates"]
    # The median is 2024-01-03 12:00; 20 years before it, 2004: both placeholders are earlier.
    assert found.count == 2 and found.table == "orders"
    assert found.info.severity == "error"
    # Two years of a 1990s export (CDNOW's 1997-1998) are no placeholders.
    nineties = {**orders, "ordered_at": [datetime(1997, 1 + n, 1) for n in range(10)]}
    assert counts(ds(orders=nineties)).get("placeholder_dates", 0) == 0
    # A column of January 1900 only (day numbers read as dates; hostile-upload audit, helper
    # 165) has no later median to stand apart from: every one is flagged, as is 1970's zero.
    excel = {**orders, "ordered_at": [datetime(1900, 1, 1 + n) for n in range(10)]}
    assert counts(ds(orders=excel))["placeholder_dates"] == 10
    zero = {**orders, "ordered_at": [datetime(1970, 1, 1)] * 3 + [datetime(1970, 1, 2)] * 7}
    assert counts(ds(orders=zero))["placeholder_dates"] == 3


def olist_orders() -> dict:
    d = datetime
    return {
        "order_id": ["1", "2", "3", "4", "5"],
        "customer_id": ["a", "b", "c", "d", "e"],
        "ordered_at": [
            d(2018, 1, 10),
            d(2018, 1, 10),
            d(2018, 1, 10),
            d(2018, 1, 10),
            d(2018, 1, 10),
        ],
        "status": ["delivered", "delivered", "delivered", "delivered", "shipped"],
        "shipped_at": [d(2018, 1, 11), None, d(2018, 1, 15), None, d(2018, 1, 11)],
        "delivered_at": [d(2018, 1, 20), d(2018, 1, 9), d(2018, 1, 14), None, None],
        "revenue": [10.0, 20.0, 30.0, 40.0, None],
        "freight": [1.0, 2.0, 3.0, 4.0, None],
    }


def test_olist_delivery_rules():
    got = counts(ds(orders=olist_orders()))
    assert got["delivered_before_purchase"] == 1  # order 2
    assert got["delivered_before_pickup"] == 1  # order 3
    assert got["delivered_without_date"] == 1  # order 4; order 5 is only shipped


def test_a_cancelled_order_with_a_delivery_date_is_a_finding():
    """The real-data audit's: 6 of the Olist subset's cancelled orders carry a delivery date,
    which no rule named. Order 1 cancelled and delivered, order 5 unavailable with no date,
    order 4 delivered with no date (delivered_without_date's, not this rule's)."""
    orders = olist_orders() | {
        "status": ["canceled", "delivered", "delivered", "delivered", "unavailable"]
    }
    found = quality.report(ds(orders=orders), today=TODAY).findings
    (finding,) = [f for f in found if f.rule == "unsold_but_delivered"]
    assert (finding.count, finding.rows["order_id"].to_list()) == (1, ["1"])
    # Its examples lead with the evidence: the status and the date that contradict each other.
    assert quality.example_rows(finding).columns[:2] == ["Status", "Delivered at"]


def test_real_olist_cancelled_orders_with_a_delivery_date_are_counted_from_the_raw_file():
    """Recounted from the subset's orders file in pandas: canceled or unavailable, with a
    customer delivery date."""
    import pandas as pd

    folder = shared_file("olist/subset_cab-g_8135_orders")
    raw = pd.read_csv(folder / "olist_orders_dataset.csv.gz")
    expected = int(
        (
            raw["order_status"].isin(["canceled", "unavailable"])
            & raw["order_delivered_customer_date"].notna()
        ).sum()
    )
    tables = [t for p in sorted(folder.glob("*.csv.gz")) for t in io.read_path(p)]
    report = quality.report(formats.assemble(tables).dataset)
    counted = {f.rule: f.count for f in report.findings}
    assert counted["unsold_but_delivered"] == expected == 6


def test_payment_mismatch_compares_with_items_plus_freight_on_orders_with_both():
    payments = pl.DataFrame({"order_id": ["1", "2", "3", "5"], "paid": [11.0, 22.5, 33.004, 9.0]})
    report = quality.report(ds({"payments": payments}, orders=olist_orders()), today=TODAY)
    [finding] = [f for f in report.findings if f.rule == "payment_mismatch"]
    assert finding.count == 1  # order 2 paid 22.5 for 22; order 3 is within a cent
    assert finding.share == pytest.approx(1 / 3)  # order 5 has no items, order 4 no payment
    # Said beside the share on the page, the report and the CLI (Audit: "Share of table" read
    # 1 of 3 as a share of the 5 orders).
    assert finding.share_of == "orders that have both payments and items"


def test_payment_mismatch_counts_whole_cents_not_float_noise():
    """One cent off is rounding, two cents a mismatch, whatever the float subtraction gives:
    0.30 - 0.29 is 0.010000000000000009 and 11.02 - 11.0 is 0.019999999999999574."""
    orders = {**olist_orders(), "revenue": [0.29, 11.0, 5.0, 40.0, None]}
    orders["freight"] = [0.0, 0.0, 0.0, 4.0, None]
    payments = pl.DataFrame({"order_id": ["1", "2", "3"], "paid": [0.30, 11.02, 4.99]})
    report = quality.report(ds({"payments": payments}, orders=orders), today=TODAY)
    [finding] = [f for f in report.findings if f.rule == "payment_mismatch"]
    assert finding.rows["order_id"].to_list() == ["2"]


def test_funnel_rules():
    leads = {
        "lead_id": ["m1", "m2", "m3", "m4"],
        "first_contact_at": [datetime(2018, 1, d) for d in (1, 5, 5, 5)],
        "origin": ["social", "unknown", None, "Unknown"],
    }
    deals = {"lead_id": ["m1", "m2"], "won_at": [datetime(2017, 12, 31), datetime(2018, 2, 1)]}
    got = counts(ds(leads=leads, deals=deals))
    assert got["unknown_origin"] == 3
    assert got["deal_before_contact"] == 1


def test_thin_months_counts_near_empty_and_empty_months_inside_the_range():
    # Jan: 1 order, Feb: 20, Mar: 0, Apr: 20, May: 20 -> median 20, limit 2: Jan and Mar
    days = [date(2024, 1, 5)] + [date(2024, m, d) for m in (2, 4, 5) for d in range(1, 21)]
    orders = {
        "order_id": [str(i) for i in range(len(days))],
        "customer_id": ["a"] * len(days),
        "ordered_at": [datetime(x.year, x.month, x.day) for x in days],
    }
    report = quality.report(ds(orders=orders), today=TODAY)
    [finding] = [f for f in report.findings if f.rule == "thin_months"]
    assert finding.count == 2
    assert finding.rows["month"].dt.month().to_list() == [1, 3]
    # 2 of the 5 months from January to May, not the 1 order of 61 they hold.
    assert finding.share == pytest.approx(2 / 5)
    assert finding.detail == "share of the months in the range; a typical month has 20 orders"
    assert finding.share_of == "the months in the range"  # not of the orders table
    # One order in January and April, none between: a median of 0.5 read "0 orders".
    two = [datetime(2024, 1, 5), datetime(2024, 4, 5)]
    sparse = {"order_id": ["1", "2"], "customer_id": ["a", "b"], "ordered_at": two}
    [thin] = [
        f
        for f in quality.report(ds(orders=sparse), today=TODAY).findings
        if f.rule == "thin_months"
    ]
    assert thin.detail == "share of the months in the range; a typical month has 0.5 orders"


def test_a_share_too_small_for_two_decimals_never_reads_zero():
    """1 duplicate line in 300,000 (0.0003%) read "0.00%" beside its finding."""
    assert quality.share_text(1 / 300_000) == "<0.01%"
    assert quality.share_text(0.0) == "0.00%" and quality.share_text(0.2493) == "24.93%"
    assert quality.share_text(0.00005) == "0.01%"


def test_empty_days_and_misspelled_parameters_in_events():
    events = {
        "event_id": ["1", "2", "3"],
        "user_id": ["u", "u", "v"],
        "event_at": [datetime(2024, 1, 1), datetime(2024, 1, 4), datetime(2024, 1, 5)],
        "event_name": ["view_item"] * 3,
    }
    params = pl.DataFrame(
        {
            "parameter_name": ["item_id", "referrer", "itme_id", "item_Id", "search_query"],
            "rows": [900, 500, 3, 2, 4],
        }
    )
    report = quality.report(ds({"event_parameters": params}, events=events), today=TODAY)
    got = report.counts()
    assert got["empty_days"] == 2  # 2 and 3 January
    assert got["misspelled_parameter"] == 5  # itme_id and item_Id; search_query is not near
    share_of = {f.rule: f.share_of for f in report.findings}
    assert share_of["empty_days"] == "calendar days in the range"
    assert share_of["misspelled_parameter"] == "the export's parameter rows"
    # The misspelling is the evidence: names as the export writes them, not in words ("Itme id").
    finding = next(f for f in report.findings if f.rule == "misspelled_parameter")
    shown = quality.example_rows(finding)
    assert shown.select("Parameter name", "Probably").rows() == [
        ("itme_id", "item_id"),
        ("item_Id", "item_id"),
    ]


def test_webshop_order_rules():
    orders = {
        "order_id": ["i1", "i2", "i3"],
        "customer_id": ["a", "b", "b"],
        "ordered_at": [datetime(2024, 1, 1), datetime(2024, 1, 2), datetime(2024, 3, 1)],
        "paid_at": [datetime(2023, 12, 31), datetime(2024, 1, 2), None],
    }
    customers = {"customer_id": ["a", "b"], "deleted_at": [None, datetime(2024, 2, 1)]}
    items = {"item_id": ["X", "Y"], "price": [2.0, 3.0]}
    got = counts(ds(orders=orders, customers=customers, items=items, lines=lines()))
    assert got["paid_before_created"] == 1
    assert got["orders_after_deletion"] == 1
    assert got["catalogue_price_mismatch"] == 0  # every X line costs 2.0, Y costs 3.0
    bad = lines(unit_price=[2.0, 2.0, 0.0, 3.5, 2.0, 2.0])
    assert counts(ds(items=items, lines=bad))["catalogue_price_mismatch"] == 1


def test_orphan_ids_name_the_broken_reference():
    orders = {
        "order_id": ["1", "2"],
        "customer_id": ["a", "zz"],
        "ordered_at": [datetime(2024, 1, 1)] * 2,
    }
    customers = {"customer_id": ["a"]}
    report = quality.report(ds(orders=orders, customers=customers), today=TODAY)
    [finding] = [f for f in report.findings if f.rule == "orphan_ids"]
    assert finding.count == 1
    assert finding.detail == "orders.customer_id not in customers"


def test_events_whose_items_the_items_file_does_not_hold_are_a_finding():
    events = {
        "event_id": ["e1", "e2", "e3"],
        "user_id": ["u1", "u1", "u2"],
        "event_at": [datetime(2024, 1, 1)] * 3,
        "event_name": ["view_item"] * 3,
        "item_id": ["x9", "x8", None],  # none of them in items; the null is no reference
    }
    report = quality.report(ds(events=events, items={"item_id": ["i1", "i2"]}), today=TODAY)
    [finding] = [f for f in report.findings if f.rule == "orphan_ids"]
    assert finding.count == 2
    assert finding.detail == "events.item_id not in items"


def test_first_occurrences_marks_repeats_of_earlier_rows_nulls_included():
    frame = pl.DataFrame(
        {
            "a": ["x", "y", "x", None, "x", None, "y"],
            "b": [1.0, 2.0, 1.0, None, 1.0, None, 3.0],
        }
    )
    # rows 2 and 4 repeat row 0; row 5 repeats row 3 (all null); row 6 differs from row 1 in b
    expected = [True, True, False, True, False, False, True]
    assert quality.first_occurrences(frame).to_list() == expected
    assert quality.first_occurrences(frame.head(1)).to_list() == [True]
    assert quality.first_occurrences(frame.head(0)).to_list() == []


def test_profile_counts_rows_nulls_duplicates_and_date_range():
    report = quality.report(ds(lines=lines()), today=TODAY)
    [p] = report.profiles
    assert (p.rows, p.duplicates) == (6, 1)
    assert (p.first, p.last) == (datetime(2024, 1, 1), datetime(2024, 1, 5))
    nulls = dict(p.nulls.select("column", "nulls").rows())
    assert nulls["customer_id"] == 1 and nulls["revenue"] == 0


def test_findings_are_sorted_worst_first():
    report = quality.report(ds(orders=olist_orders(), lines=lines()), today=TODAY)
    severities = [quality.SEVERITY_ORDER[f.info.severity] for f in report.findings]
    assert severities == sorted(severities)


def test_real_online_retail_report_finds_the_published_counts():
    tables = io.read_path(shared_file("online_retail/online_retail.parquet"))
    got = quality.report(formats.assemble(tables).dataset, today=TODAY).counts()
    assert got["duplicate_rows"] == 5_268
    # 9,288 invoices starting with C and 2 lines of negative amount (bad debt, A563186/7).
    assert got["cancellations"] == 9_290
    assert got["missing_customer"] == 135_080
    raw = pl.read_parquet(shared_file("online_retail/online_retail.parquet"))
    assert got["non_positive_price"] == raw.filter(pl.col("UnitPrice") <= 0).height
    assert got["orphan_ids"] == 0


def test_a_tables_date_range_is_its_order_dates_not_a_later_estimated_delivery():
    orders = {
        "order_id": ["1", "2", "3"],
        "customer_id": ["a", "b", "c"],
        "ordered_at": [datetime(2018, 3, 5), datetime(2018, 1, 2), datetime(2018, 2, 9)],
        "delivered_at": [datetime(2018, 3, 20), None, datetime(2018, 2, 20)],
        "estimated_delivery_at": [datetime(2018, 11, 12), datetime(2018, 1, 30), None],
    }
    sellers = {"seller_id": ["s1", "s2"], "region": ["SP", "RJ"]}
    deals = {
        "lead_id": ["l1", "l2"],
        "won_at": [datetime(2018, 6, 1), datetime(2018, 4, 3)],
    }
    report = quality.report(ds(orders=orders, sellers=sellers, deals=deals), today=TODAY)
    got = {p.table: p for p in report.profiles}
    # orders run from the 2 Jan to the 5 Mar order, not to the 12 Nov estimated delivery
    assert (got["orders"].first, got["orders"].last) == (
        datetime(2018, 1, 2),
        datetime(2018, 3, 5),
    )
    assert got["orders"].dated_by == "ordered_at"
    assert (got["deals"].first, got["deals"].last) == (datetime(2018, 4, 3), datetime(2018, 6, 1))
    assert (got["sellers"].first, got["sellers"].last, got["sellers"].dated_by) == (
        None,
        None,
        None,
    )
    shown = quality.profile_frame(report.profiles)
    assert shown.select("table", "dated_by", "from", "to").rows() == [
        ("orders", "Ordered at", "2018-01-02", "2018-03-05"),
        ("sellers", "—", "—", "—"),
        ("deals", "Won at", "2018-04-03", "2018-06-01"),
    ]
    assert shown["exact duplicates"].to_list() == [0, 0, 0]
    # A null share as a finding writes it: 1 of 3 delivery dates is 33.33% (it read 33%, beside
    # findings of two decimals).
    assert shown["columns with nulls"][0] == "Delivered at 33.33%, Estimated delivery at 33.33%"


def test_customers_and_items_are_dated_by_their_creation_when_that_is_all_they_have():
    customers = {
        "customer_id": ["a", "b", "c"],
        "created_at": [datetime(2015, 5, 1), datetime(2014, 12, 20), None],
        "deleted_at": [None, datetime(2016, 1, 1), None],
    }
    [p] = quality.report(ds(customers=customers), today=TODAY).profiles
    assert (p.dated_by, p.first, p.last) == (
        "created_at",
        datetime(2014, 12, 20),
        datetime(2015, 5, 1),
    )
    assert p.span() == ("2014-12-20", "2015-05-01")


def test_example_rows_show_the_evidence_first_in_words_dates_to_the_minute_and_dashes():
    orders = {
        "order_id": ["o1", "o2"],
        "customer_id": ["c1", None],
        "ordered_at": [datetime(2018, 1, 5, 10, 30), datetime(2018, 1, 6)],
        "status": ["delivered", "delivered"],
        "shipped_at": [None, None],
        "delivered_at": [datetime(2018, 1, 4, 9, 15), datetime(2018, 1, 5, 8, 0)],
        "estimated_delivery_at": [datetime(2018, 2, 1), datetime(2018, 2, 1)],
        "review_score": [4.0, None],
    }
    report = quality.report(ds(orders=orders), today=TODAY)
    finding = next(f for f in report.findings if f.rule == "delivered_before_purchase")
    shown = quality.example_rows(finding)
    assert shown.columns[:4] == ["Ordered at", "Delivered at", "Order id", "Customer id"]
    assert shown.row(0)[:4] == ("2018-01-05 10:30", "2018-01-04 09:15", "o1", "c1")
    assert shown.row(1)[3] == "—"
    assert shown["Review score"].to_list() == ["4", "—"]


def test_example_rows_show_codes_and_headers_in_words_and_ids_as_written():
    deals = {
        "lead_id": ["m1_x", "m2"],
        "sdr_id": ["s_1", "s2"],
        "won_at": [datetime(2017, 12, 31), datetime(2018, 2, 1)],
        "business_segment": ["health_beauty", "Car accessories"],
    }
    leads = {
        "lead_id": ["m1_x", "m2"],
        "first_contact_at": [datetime(2018, 1, 1)] * 2,
        "origin": ["social", "paid_search"],
    }
    report = quality.report(ds(leads=leads, deals=deals), today=TODAY)
    finding = next(f for f in report.findings if f.rule == "deal_before_contact")
    shown = quality.example_rows(finding)
    assert "SDR id" in shown.columns and "Business segment" in shown.columns
    assert shown.row(0, named=True)["Business segment"] == "Health beauty"
    assert shown.row(0, named=True)["Lead id"] == "m1_x"  # an id stays as written
    assert shown.row(0, named=True)["SDR id"] == "s_1"


def test_example_rows_show_the_evidence_of_a_payment_mismatch_first_as_money():
    finding = quality.Finding(
        "payment_mismatch",
        "orders",
        1,
        0.01,
        pl.DataFrame(
            {
                "order_id": ["o1"],
                "status": ["delivered"],
                "revenue": [219.8],
                "freight": [29.92],
                "paid": [1300.0],
            }
        ),
        "",
    )
    shown = quality.example_rows(finding, currency="BRL")
    assert shown.columns == ["Paid", "Revenue", "Freight", "Order id", "Status"]
    assert shown.row(0) == ("R$ 1,300.00", "R$ 219.80", "R$ 29.92", "o1", "delivered")


def test_example_rows_of_a_catalogue_price_mismatch_show_both_prices_first_as_money():
    items = {"item_id": ["X", "Y"], "price": [2.0, 3.0]}
    bad = lines(unit_price=[2.0, 2.0, 0.0, 3.5, 2.0, 2.0], line_no=[1, 2, 3, 1071, 5, 6])
    report = quality.report(ds(items=items, lines=bad), today=TODAY)
    [finding] = [f for f in report.findings if f.rule == "catalogue_price_mismatch"]
    shown = quality.example_rows(finding, currency="GBP")
    assert shown.columns[:3] == ["Unit price", "Catalogue price", "Order id"]
    assert shown.row(0)[:2] == ("£3.50", "£3.00")
    # A line number names a line: no thousands separator.
    assert shown["Line no"].to_list() == ["1071"]


def test_a_finding_counts_in_words_that_agree():
    rule = quality.RULES["deal_before_contact"]
    assert (rule.unit, rule.units(1), rule.units(3)) == ("deals", "1 deal", "3 deals")


def test_example_rows_show_months_as_months_and_midnight_dates_without_a_time():
    finding = quality.Finding(
        "thin_months",
        "lines",
        1,
        0.01,
        pl.DataFrame(
            {
                "month": [datetime(2022, 1, 1)],
                "first_day": [datetime(2022, 1, 3)],
                "last_order": [datetime(2022, 1, 30, 17, 5)],
                "orders": [3],
            }
        ),
        "",
    )
    assert quality.example_rows(finding).row(0) == (
        "Jan 2022",
        "2022-01-03",
        "2022-01-30 17:05",
        "3",
    )


# --- duplicates of mapped files, judged on the user's columns -------------------------------------


def _mapped(data: bytes, **fields: str) -> Dataset:
    [table] = io.read_file("orders.csv", data)
    mapping = generic.ColumnMapping(fields)
    return formats.assemble([table], {table.name: mapping}).dataset


def test_duplicates_of_a_mapped_file_are_judged_on_its_columns_not_on_made_up_ids():
    # Rows 2 and 4 repeat rows 1 and 3 exactly. Row 1 and 2 are one made-up order (c1's day), with
    # line numbers 1 and 2; rows 3 and 4 have no customer, so each is an order of its own.
    data = b"""when,who,amount
2024-01-05,c1,10.00
2024-01-05,c1,10.00
2024-01-09,,7.00
2024-01-09,,7.00
2024-01-10,c2,3.00
"""
    dataset = _mapped(data, ordered_at="when", customer_id="who", revenue="amount")
    report = quality.report(dataset, today=TODAY)
    [finding] = [f for f in report.findings if f.rule == "duplicate_rows"]
    assert (finding.table, finding.count) == ("lines", 2)
    assert finding.detail == quality.MAPPED_DUPLICATES
    assert [p.duplicates for p in report.profiles if p.table == "lines"] == [2]


def test_duplicates_of_a_mapped_file_keep_its_real_order_ids_apart():
    # Rows 1 and 2 repeat each other in order A (line numbers 1 and 2, made up); row 3 is the same
    # purchase in another order, so no repeat.
    data = b"""order,when,who,amount
A,2024-01-05,c1,10.00
A,2024-01-05,c1,10.00
B,2024-01-05,c1,10.00
"""
    dataset = _mapped(
        data, order_id="order", ordered_at="when", customer_id="who", revenue="amount"
    )
    assert counts(dataset)["duplicate_rows"] == 1


def test_cdnow_rows_that_repeat_exactly_are_reported_and_still_bought():
    path = shared_file("cdnow/CDNOW_sample.txt.gz")
    # Counted without the app: rows identical in all five fields, each repeat beyond the first
    # occurrence (a row seen three times is two repeats). The "255" is not what the
    # file holds: 21 rows repeat an earlier one, and 40 rows are in a repeated group.
    with gzip.open(path, "rt") as text:
        rows = [line.split() for line in text if line.strip()]
    fields = pl.DataFrame(
        rows, schema=["customer", "index", "date", "cds", "dollars"], orient="row"
    )
    repeats = fields.height - fields.unique().height
    assert (fields.height, repeats, int(fields.is_duplicated().sum())) == (6_919, 21, 40)
    [table] = io.read_path(path)
    mapping = generic.ColumnMapping(
        {
            "customer_id": "column_2",
            "ordered_at": "column_3",
            "quantity": "column_4",
            "revenue": "column_5",
        }
    )
    dataset = formats.assemble([table], {table.name: mapping}).dataset
    report = quality.report(dataset)
    assert report.counts()["duplicate_rows"] == repeats
    # Lifetime value keeps them (the published CDNOW figures count them, see test_clv.py).
    dropped = clv.purchase_lines(dataset.tables["lines"]).dropped
    assert dropped.filter(pl.col("reason") == "exact duplicate line")["lines"].sum() == 0


def test_an_estimated_delivery_before_the_purchase_day_is_impossible():
    d = datetime
    orders = {
        "order_id": ["1", "2", "3", "4"],
        "customer_id": ["a", "b", "c", "d"],
        "ordered_at": [d(2018, 1, 10, 15), d(2018, 1, 10, 15), d(2018, 1, 10, 15), None],
        "status": ["delivered", "delivered", "canceled", "delivered"],
        "delivered_at": [d(2018, 1, 20), d(2018, 1, 20), None, d(2018, 1, 20)],
        # 1: a placeholder from 1900; 2: the purchase day itself at midnight (an estimate is a
        # day: same-day delivery is possible); 3: the day before, on a cancelled order (still
        # impossible); 4: no purchase date to compare with. Impossible: orders 1 and 3, 2 of 4.
        "estimated_delivery_at": [d(1900, 1, 1), d(2018, 1, 10), d(2018, 1, 9), d(1900, 1, 1)],
    }
    report = quality.report(ds(orders=orders), today=TODAY)
    assert report.counts()["estimate_before_purchase"] == 2
    finding = next(f for f in report.findings if f.rule == "estimate_before_purchase")
    assert finding.rows["order_id"].to_list() == ["1", "3"]
    assert finding.share == pytest.approx(0.5)  # 2 of 4 orders
    rule = quality.RULES["estimate_before_purchase"]
    assert (rule.severity, rule.unit) == ("error", "orders")
    shown = quality.example_rows(finding)
    assert shown.columns[:2] == ["Ordered at", "Estimated delivery at"]


def test_delivery_stages_dated_backwards_are_a_warning_with_their_dates_first():
    d = datetime
    orders = {
        "order_id": ["1", "2", "3", "4", "5"],
        "customer_id": ["a", "b", "c", "d", "e"],
        "ordered_at": [d(2018, 1, 10, 15)] * 5,
        # 1: approved before the purchase; 2: handed to the carrier an hour before approval;
        # 3: in order; 4: no approval to compare with; 5: approved, never handed over.
        "approved_at": [d(2018, 1, 10, 14), d(2018, 1, 11), d(2018, 1, 11), None, d(2018, 1, 11)],
        "shipped_at": [d(2018, 1, 12), d(2018, 1, 10, 23), d(2018, 1, 12), d(2018, 1, 9), None],
    }
    report = quality.report(ds(orders=orders), today=TODAY)
    finding = next(f for f in report.findings if f.rule == "stages_backwards")
    assert finding.rows["order_id"].to_list() == ["1", "2"]
    assert finding.share == pytest.approx(0.4)  # 2 of 5 orders
    assert quality.RULES["stages_backwards"].severity == "warning"
    shown = quality.example_rows(finding)
    assert shown.columns[:3] == ["Ordered at", "Approved at", "Shipped at"]


def test_customer_ids_that_differ_only_in_leading_zeros_are_a_warning():
    # 00123 and 123 are one number; 0 and 000 another; 0123A is no number, 456 stands alone.
    customers = {"customer_id": ["00123", "123", "456", "0123A", "0", "000", "9"]}
    report = quality.report(ds(customers=customers), today=TODAY)
    finding = next(f for f in report.findings if f.rule == "zero_padded_ids")
    assert finding.rows["customer_id"].to_list() == ["00123", "123", "0", "000"]
    assert finding.share == pytest.approx(4 / 7)
    assert quality.RULES["zero_padded_ids"].unit == "customers"
    assert counts(ds(customers={"customer_id": ["0123A", "123"]}))["zero_padded_ids"] == 0


def test_the_cancellations_note_counts_a_repeated_cancellation_line_once():
    # C4 exported twice: one cancellation (b bought no X before it); the repeat is said apart.
    repeated = {k: [*v, v[4]] for k, v in lines().items()}
    finding = next(
        f
        for f in quality.report(ds(lines=repeated), today=TODAY).findings
        if f.rule == "cancellations"
    )
    assert finding.count == 2  # both lines are cancellation lines
    assert finding.detail == (
        "0 lines of known customers are netted out of the purchase they reverse (same customer "
        "and item, at or before the cancellation); 1 has no such purchase and is left out of "
        "customer figures; 1 line repeats another exactly and counts once, as a repeated sale "
        "does"
    )


def test_a_folders_checks_say_its_repeated_cancellation_lines():
    # Online Retail's: 8,905 cancellation lines of known customers, 7,569 + 1,303 + 33 repeats.
    checks = {
        "lines": 541_909,
        "missing_customer": 135_080,
        "cancellations": 9_288,
        "matched": 7_569,
        "unmatched": 1_303,
        "repeated_returns": 33,
        "duplicate_rows": 5_268,
    }
    said = quality.checks_note(checks)
    assert (
        "(of known customers, 7,569 netted out of the purchase they reverse, 1,303 matching "
        "none, 33 repeating another)" in said
    )
    assert "repeating" not in quality.checks_note({**checks, "repeated_returns": 0})


def test_the_cancellation_detail_ends_without_a_stop_as_the_page_brackets_it():
    """Audit: the Data quality note ended "...left out of customer figures.).": the page puts
    the detail in brackets and ends the sentence itself."""
    assert quality.cancellation_note(600, 0) == (
        "600 lines of known customers are netted out of the purchase they reverse (same customer "
        "and item, at or before the cancellation); 0 have no such purchase and are left out of "
        "customer figures"
    )
    assert quality.cancellation_note(1, 1, 2).endswith("count once, as a repeated sale does")
