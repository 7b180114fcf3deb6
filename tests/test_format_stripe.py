"""Stripe's payments export: recognised with no mapping, charges netted, its traps counted."""
# ruff: noqa: E501 (export rows are kept verbatim, one a line)

import polars as pl
import pytest

from lib import catalog, demo, formats, io
from lib.measures import UNSOLD_LINES
from tests import apptest

CHARGES = b"""id,Created (UTC),Amount,Amount Refunded,Currency,Converted Amount,Converted Amount Refunded,Converted Currency,Fee,Mode,Status,Customer ID,Customer Email,Captured,Card Address Country,Card Issue Country,Disputed Amount,Dispute Status
ch_1,2024-01-05 10:00,100.00,0.00,usd,100.00,0.00,usd,3.20,Live,Paid,cus_A,Ann@Example.com,true,US,US,,
ch_2,2024-01-20 10:00,50.00,20.00,usd,50.00,20.00,usd,1.75,Live,Paid,cus_A2, ann@example.com ,true,,US,,
ch_3,2024-02-01 10:00,40.00,40.00,usd,40.00,40.00,usd,1.46,Live,Refunded,cus_B,bob@example.com,true,FR,FR,,
ch_4,2024-02-02 10:00,25.00,0.00,usd,25.00,0.00,usd,0.00,Live,Failed,cus_C,cy@example.com,false,US,US,,
ch_5,2024-02-03 10:00,10.00,0.00,usd,10.00,0.00,usd,0.59,Test,Paid,cus_T,test@example.com,true,US,US,,
ch_6,2024-02-04 10:00,80.00,0.00,eur,86.40,0.00,usd,2.81,Live,Paid,cus_D,dora@example.com,true,DE,DE,,
ch_7,2024-02-05 10:00,60.00,0.00,usd,60.00,0.00,usd,2.04,Live,Paid,,,true,,US,,
ch_8,2024-02-06 10:00,30.00,0.00,usd,30.00,0.00,usd,0.00,Live,Uncaptured,cus_E,eli@example.com,false,US,US,,
ch_9,2024-02-07 10:00,45.00,0.00,usd,45.00,0.00,usd,1.61,Live,Paid,cus_F,fay@example.com,true,US,US,45.00,lost
"""


def assembled(data: bytes, name: str = "unified_payments.csv") -> formats.Assembly:
    return formats.assemble(io.read_file(name, data))


def note_about(ds, column: str):
    return next(n for n in ds.notes if n.column == column)


def test_charges_are_netted_of_refunds_and_lost_disputes_in_the_settlement_currency():
    built = assembled(CHARGES)
    assert built.recognitions[0].kind.label == "Stripe payments export"
    ds = built.dataset
    lines = ds.tables["lines"]
    # ch_1 100, ch_2 50 - 20, ch_6 86.40 (converted), ch_7 60.
    assert lines["revenue"].sum() == pytest.approx(276.40)
    assert sorted(lines["order_id"]) == ["ch_1", "ch_2", "ch_6", "ch_7"]
    assert ds.currency == "USD"
    # ch_3 was refunded in full, and ch_9's lost dispute took back all of its 45.00: neither is
    # a sale (ch_9 used to stay an order of 0.00 and Fay a customer with a purchase).
    assert ds.extras[UNSOLD_LINES]["order_id"].to_list() == ["ch_3", "ch_9"]
    # Ann's two charges (two Stripe customer ids, one email) are one person; ch_7 is a guest.
    people = lines.group_by("customer_id").agg(pl.len().alias("charges"))
    assert sorted(people["charges"].to_list()) == [1, 1, 2]
    assert people["customer_id"].null_count() == 1
    assert not any("@" in v for v in lines["customer_id"].drop_nulls())
    # The region is the card's billing country, else its issuing country.
    assert lines.filter(pl.col("order_id") == "ch_2")["region"].to_list() == ["US"]


def test_the_sales_headless_twin_reads_charges_without_an_item_ranking():
    from lib.analyses import sales

    frames = sales.headless(assembled(CHARGES).dataset)
    assert "top_items" not in frames  # charges have no items, as the page shows no ranking
    kpis = {r["metric"]: r["value"] for r in frames["kpis"].to_dicts()}
    # The hand-netted 276.40 above over the four charges that are sales: ch_1, ch_2, ch_6 and
    # ch_7. It was 5 with ch_9, whose lost dispute took back the whole 45.00: a charge taken
    # back in full is no sale, as ch_3 refunded in full is none.
    assert kpis["revenue"] == pytest.approx(276.40)
    assert kpis["orders"] == 4


def test_each_trap_is_counted_in_a_note():
    ds = assembled(CHARGES).dataset
    assert note_about(ds, "Mode").count == 1
    assert note_about(ds, "Status").count == 1
    assert note_about(ds, "Captured").count == 1
    assert note_about(ds, "Converted Amount").count == 1  # the EUR charge
    assert note_about(ds, "Dispute Status").count == 1
    assert note_about(ds, "Customer Email").count == 1  # the guest
    refunds = [n for n in ds.notes if n.column == "Amount Refunded"]
    assert [n.count for n in refunds] == [1, 1]  # partly, in full
    assert "20.00 USD" in refunds[0].message
    # Charges are totals paid: the reader is told revenue is not item prices alone.
    assert "includes any shipping and tax" in note_about(ds, "Amount").message
    assert note_about(ds, "Created (UTC)").message.startswith("times are in UTC")
    # One of each: said in the singular ('1 charges were' before).
    assert refunds[1].message.startswith("1 charge was refunded in full: it is no sale")
    assert note_about(ds, "Converted Amount").message.startswith(
        "1 charge in other currencies (EUR) is counted at its Converted Amount"
    )


DISPUTES = b"""id,Created (UTC),Amount,Amount Refunded,Currency,Converted Amount,Converted Amount Refunded,Converted Currency,Fee,Mode,Status,Customer ID,Customer Email,Captured,Card Address Country,Card Issue Country,Disputed Amount,Dispute Status
ch_1,2024-01-05 10:00,100.00,0.00,usd,100.00,0.00,usd,3.20,Live,Paid,cus_A,ann@example.com,true,US,US,,
ch_2,2024-01-06 10:00,40.00,40.00,usd,40.00,40.00,usd,1.46,Live,Refunded,cus_B,bob@example.com,true,US,US,,
ch_3,2024-01-07 10:00,45.00,0.00,usd,45.00,0.00,usd,1.61,Live,Paid,cus_C,cy@example.com,true,US,US,45.00,lost
ch_4,2024-01-08 10:00,60.00,0.00,usd,60.00,0.00,usd,2.04,Live,Paid,cus_D,dee@example.com,true,US,US,20.00,lost
ch_5,2024-01-09 10:00,70.00,0.00,eur,75.67,0.00,usd,2.50,Live,Paid,cus_E,eve@example.com,true,DE,DE,70.00,lost
"""


def test_a_charge_a_lost_dispute_took_back_in_full_is_no_sale_like_one_refunded_in_full():
    ds = assembled(DISPUTES).dataset
    # ch_2 was refunded in full; the disputes of ch_3 (45.00 of 45.00) and ch_5 (70.00 EUR of
    # 70.00 EUR, 75.67 USD converted at the charge's own rate) took back the whole charge: no
    # sales. ch_4's dispute took 20.00 of 60.00: a sale of 40.00.
    assert ds.extras[UNSOLD_LINES]["order_id"].to_list() == ["ch_2", "ch_3", "ch_5"]
    assert sorted(ds.tables["lines"]["order_id"]) == ["ch_1", "ch_4"]
    from lib.analyses import sales

    kpis = {r["metric"]: r["value"] for r in sales.headless(ds)["kpis"].to_dicts()}
    # 100 + (60 - 20) = 140 over 2 orders of 2 customers (Ann, Dee): 70 an order. Before, ch_3
    # and ch_5 were orders of 0.00 and Cy and Eve customers: 4 orders, 4 customers, 35.
    assert kpis["revenue"] == pytest.approx(140.0)
    assert (kpis["orders"], kpis["customers"]) == (2, 2)
    assert kpis["aov"] == pytest.approx(70.0)
    # The refunded-in-full note counts the refund alone; the dispute note says which disputes
    # sold nothing: 45.00 + 20.00 + 75.67 = 140.67 USD taken back.
    refunds = [n for n in ds.notes if n.column == "Amount Refunded"]
    assert [n.count for n in refunds] == [1]
    assert refunds[0].message.startswith("1 charge was refunded in full")
    lost = note_about(ds, "Dispute Status")
    assert lost.count == 3
    assert lost.message == (
        "3 charges lost a dispute (140.67 USD taken back): 2 of them, taken back in full, are "
        "no sales, as a charge refunded in full is none; what the other lost is taken off its "
        "revenue"
    )


def test_a_converted_charge_a_lost_dispute_took_back_in_full_is_no_return_either():
    """Audit: the Stripe demo's charge of 104.70 EUR settled as 113.08 USD, disputed in full and
    lost, kept a revenue of 113.08 - 104.70 x (113.08 / 104.70) = -1.4e-14 USD: a return line,
    so the pages spoke of an order with returns only and a cancellation matching no purchase.
    Taken back in full it is no sale, with nothing to net: as ch_2, refunded in full."""
    assert 113.08 - 104.70 * (113.08 / 104.70) < 0  # the residue, as floats compute it
    data = DISPUTES.splitlines()[:3] + [
        b"ch_6,2024-01-10 10:00,104.70,0.00,eur,113.08,0.00,usd,3.60,Live,Paid,cus_F,"
        b"fay@example.com,true,DE,DE,104.70,lost"
    ]
    ds = assembled(b"\n".join(data) + b"\n").dataset
    assert ds.extras[UNSOLD_LINES]["order_id"].to_list() == ["ch_2", "ch_6"]
    assert ds.tables["lines"]["order_id"].to_list() == ["ch_1"]
    assert (ds.tables["lines"]["revenue"] < 0).sum() == 0


GUESTS = b"""id,Created (UTC),Amount,Amount Refunded,Currency,Status,Customer ID,Customer Email,Disputed Amount,Dispute Status
ch_1,2024-01-05 10:00,100.00,0.00,usd,Paid,cus_A,ann@example.com,,
ch_2,2024-01-06 10:00,60.00,0.00,usd,Paid,,,,
ch_3,2024-01-07 10:00,40.00,40.00,usd,Refunded,,,,
ch_4,2024-01-08 10:00,45.00,0.00,usd,Paid,,,45.00,lost
"""


def test_charges_without_a_customer_are_counted_alike_in_the_note_and_on_data_quality():
    from lib import quality

    ds = assembled(GUESTS).dataset
    # ch_2, ch_3 and ch_4 name nobody. Data quality's 'Lines without a customer' inspects every
    # charge kept, sold or not: 3. The note counts those 3 too (it said 1, the sold ch_2, beside
    # the finding's 3) and says which count for revenue: ch_2 (60.00) alone, as ch_3 was
    # refunded in full and ch_4's lost dispute took back all of it.
    found = next(f for f in quality.report(ds).findings if f.rule == "missing_customer")
    note = note_about(ds, "Customer Email")
    assert found.count == note.count == 3
    assert note.message == (
        "3 charges have neither a customer email nor a customer id: the 1 sold counts for "
        "revenue but for no customer; the 2 others, taken back in full, are no sales"
    )
    assert ds.tables["lines"]["customer_id"].null_count() == 1


def test_without_converted_amounts_other_currencies_are_left_out():
    text = b"id,Created (UTC),Amount,Amount Refunded,Currency,Status,Customer Email\n"
    text += b"ch_1,2024-01-05 10:00,10.00,0.00,usd,Paid,a@x.com\n"
    text += b"ch_2,2024-01-06 10:00,20.00,0.00,usd,Paid,b@x.com\n"
    text += b"ch_3,2024-01-07 10:00,30.00,0.00,eur,Paid,c@x.com\n"
    ds = assembled(text).dataset
    assert ds.tables["lines"]["revenue"].sum() == pytest.approx(30.0)
    assert ds.currency == "USD"
    note = note_about(ds, "Currency")
    assert note.count == 1 and "EUR" in note.message


def test_order_level_charges_enable_the_customer_pages_but_not_the_item_ones():
    ds = assembled(CHARGES).dataset
    enabled = {p.key for p in catalog.PAGES if p.enabled(ds)}
    assert {"sales", "rfm", "cohorts", "clusters", "clv", "regions"} <= enabled
    assert "categories" not in enabled


@pytest.fixture(scope="module")
def sample() -> demo.Demo:
    return demo.demo("stripe", rows=2000, seed=2)


def test_the_generated_export_is_recognised_and_its_planted_traps_are_the_notes(sample):
    built = formats.assemble([io.RawTable(n, n, f) for n, f in sample.files.items()])
    ds = built.dataset
    assert [r.kind.format for r in built.recognitions] == ["stripe"]
    assert sample.files["unified_payments.csv"].columns == list(
        demo.COLUMNS["stripe"]["unified_payments.csv"]
    )
    planted = sample.planted
    assert note_about(ds, "Mode").count == planted["test_charges"]
    assert note_about(ds, "Status").count == planted["failed_charges"]
    assert note_about(ds, "Captured").count == planted["uncaptured_charges"]
    assert note_about(ds, "Converted Amount").count == planted["foreign_charges"]
    assert note_about(ds, "Dispute Status").count == planted["lost_disputes"]
    # Charges without a customer: all those kept, as Data quality counts them, sold or not.
    guests = ds.tables["lines"]["customer_id"].null_count()
    unsold_guests = ds.extras[UNSOLD_LINES]["customer_id"].null_count()
    assert note_about(ds, "Customer Email").count == guests + unsold_guests
    refunds = [n.count for n in ds.notes if n.column == "Amount Refunded"]
    assert refunds == [planted["partly_refunded_charges"], planted["refunded_charges"]]
    # The demo's lost disputes take back the whole charge (Disputed Amount is the Amount), so
    # each is no sale, as a charge refunded in full is none.
    unsold = planted["refunded_charges"] + planted["lost_disputes"]
    assert ds.extras[UNSOLD_LINES].height == unsold
    # The sold charges without a customer: a charge lost in a dispute counted among them.
    assert guests == planted["anonymous_charges"]


@pytest.mark.parametrize("page", apptest.ORDER_PAGES)
def test_each_page_its_data_allows_renders_with_no_email_shown(page, sample):
    assert not apptest.tables_show(apptest.files_page(sample.files, page, "stripe"), "@")


def test_the_sales_heatmap_says_its_hours_are_utc(sample):
    at = apptest.files_page(sample.files, "sales", "stripe")
    assert "Hours are UTC, as the export gives them" in apptest.texts(at)
    # A file with the shop's own clock says nothing of UTC.
    retail = apptest.page("retail", "pages/sales.py")
    assert "Hours are UTC" not in apptest.texts(retail)
