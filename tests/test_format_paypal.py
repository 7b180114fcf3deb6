"""PayPal's activity download: recognised with no mapping, payments received are the sales,
refunds taken off the payments they name, every other row counted and left out."""
# ruff: noqa: E501 (export rows are kept verbatim, one a line)

import polars as pl
import pytest

from lib import catalog, formats, io
from lib.measures import UNSOLD_LINES
from tests import apptest

HEADER = '"Date","Time","TimeZone","Name","Type","Status","Currency","Gross","Fee","Net","From Email Address","To Email Address","Transaction ID","Shipping and Handling Amount","Insurance Amount","Sales Tax","Item Title","Item ID","Reference Txn ID","Quantity","Balance","Country","Country Code","Balance Impact"'
ROWS = [
    # P1: 50.00 with 5.00 shipping: 45.00 of items, 2 mugs.
    '"01/05/2024","10:00:00","PST","Ann Lee","Express Checkout Payment","Completed","USD","50.00","-1.95","48.05","ann@example.com","shop@example.com","P1","5.00","0.00","0.00","Mug","MUG","","2","148.05","United States","US","Credit"',
    # P2: 30.00 with 2.00 sales tax: 28.00.
    '"01/13/2024","11:30:00","PST","Bo Kim","Website Payment","Completed","USD","30.00","-1.20","28.80","bo@example.com","shop@example.com","P2","0.00","0.00","2.00","Plate","PLT","","1","176.85","United Kingdom","GB","Credit"',
    # P3: Ann again (her address in capitals), 40.00, 10.00 refunded by R3: 30.00.
    '"01/20/2024","09:15:00","PST","Ann Lee","Mobile Payment","Partially Refunded","USD","40.00","-1.50","38.50"," ANN@Example.com ","shop@example.com","P3","0.00","0.00","0.00","Bowl","BWL","","1","215.35","United States","US","Credit"',
    '"01/22/2024","08:00:00","PST","Ann Lee","Payment Refund","Completed","USD","-10.00","0.00","-10.00","shop@example.com","ann@example.com","R3","","","","Bowl","BWL","P3","","205.35","","US","Debit"',
    # P4: refunded in full by R4: no sale.
    '"01/25/2024","12:00:00","PST","Cy Dow","Website Payment","Refunded","USD","20.00","-0.80","19.20","cy@example.com","shop@example.com","P4","0.00","0.00","0.00","Mug","MUG","","1","224.55","United States","US","Credit"',
    '"01/27/2024","12:00:00","PST","Cy Dow","Payment Refund","Completed","USD","-20.00","0.00","-20.00","shop@example.com","cy@example.com","R4","","","","Mug","MUG","P4","","204.55","","US","Debit"',
    # P5 pending and P6 denied: no money moved.
    '"01/28/2024","13:00:00","PST","Di Roe","Express Checkout Payment","Pending","USD","15.00","0.00","15.00","di@example.com","shop@example.com","P5","0.00","0.00","0.00","Mug","MUG","","1","204.55","United States","US","Memo"',
    '"01/29/2024","14:00:00","PST","Ed Fox","Website Payment","Denied","USD","12.00","0.00","12.00","ed@example.com","shop@example.com","P6","0.00","0.00","0.00","Plate","PLT","","1","204.55","United States","US","Memo"',
    # P7 in EUR, converted into the USD balance by C1 and C2: left out, as are the conversions.
    '"01/30/2024","15:00:00","PST","Fi Ott","Website Payment","Completed","EUR","25.00","-1.10","23.90","fi@example.de","shop@example.com","P7","0.00","0.00","0.00","Bowl","BWL","","1","23.90","Germany","DE","Credit"',
    '"01/30/2024","15:00:01","PST","","General Currency Conversion","Completed","EUR","-23.90","0.00","-23.90","","","C1","","","","","","P7","","0.00","","","Debit"',
    '"01/30/2024","15:00:01","PST","","General Currency Conversion","Completed","USD","25.99","0.00","25.99","","","C2","","","","","","P7","","230.54","","","Credit"',
    # A withdrawal, a payment sent to a supplier, and a refund of a payment made before the file.
    '"02/01/2024","02:00:00","PST","Bank Account","General Withdrawal","Completed","USD","-100.00","0.00","-100.00","shop@example.com","","W1","","","","","","","","130.54","","","Debit"',
    '"02/02/2024","09:00:00","PST","Clay Supply","General Payment","Completed","USD","-60.00","0.00","-60.00","shop@example.com","sales@clay.example","S1","","","","Clay","","","1","70.54","","","Debit"',
    '"02/03/2024","10:00:00","PST","Gus Hay","Payment Refund","Completed","USD","-5.00","0.00","-5.00","shop@example.com","gus@example.com","R0","","","","Mug","MUG","P0","","65.54","","US","Debit"',
    # P8: no e-mail address, no name: revenue, no customer.
    '"02/14/2024","16:45:00","PST","","Express Checkout Payment","Completed","USD","18.00","-0.70","17.30","","shop@example.com","P8","0.00","0.00","0.00","Plate","PLT","","1","82.84","United States","US","Credit"',
]
ACTIVITY = ("\ufeff" + "\n".join([HEADER, *ROWS]) + "\n").encode()


def assembled(data: bytes = ACTIVITY) -> formats.Assembly:
    return formats.assemble(io.read_file("Download.CSV", data))


def note_about(ds, column: str, words: str = ""):
    return next(n for n in ds.notes if n.column == column and words in n.message)


def test_payments_received_are_the_sales_netted_of_refunds_without_shipping_and_tax():
    built = assembled()
    assert built.recognitions[0].kind.label == "PayPal activity download"
    ds = built.dataset
    lines = ds.tables["lines"].sort("order_id")
    # By hand: P1 50 - 5 shipping, P2 30 - 2 tax, P3 40 - 10 refunded, P8 18.
    assert lines["order_id"].to_list() == ["P1", "P2", "P3", "P8"]
    assert lines["revenue"].to_list() == pytest.approx([45.0, 28.0, 30.0, 18.0])
    assert lines["revenue"].sum() == pytest.approx(121.0)
    assert ds.currency == "USD"
    assert ds.extras[UNSOLD_LINES]["order_id"].to_list() == ["P4"]  # refunded in full
    # Items, quantities and prices as the rows give them: 2 mugs at 22.50.
    p1 = lines.row(0, named=True)
    assert (p1["item_id"], p1["item_name"], p1["quantity"], p1["unit_price"]) == (
        "MUG",
        "Mug",
        2.0,
        pytest.approx(22.5),
    )
    # Ann's two payments are one person (her address trimmed, in lower case); P8 has none.
    people = lines.group_by("customer_id").agg(pl.col("order_id").sort())
    assert sorted(people["order_id"].to_list()) == [["P1", "P3"], ["P2"], ["P8"]]
    assert people.filter(pl.col("order_id").list.first() == "P8")["customer_id"][0] is None
    assert not any("@" in v for v in lines["customer_id"].drop_nulls())
    # Dates month first, as a US account writes them (13, 20, 25... only fit that way).
    assert str(lines["ordered_at"][1]) == "2024-01-13 11:30:00"
    assert lines["region"].to_list() == ["US", "GB", "US", "US"]
    orders = ds.tables["orders"].sort("order_id")
    assert orders.filter(pl.col("order_id") == "P1")["freight"][0] == pytest.approx(5.0)
    assert orders.filter(pl.col("order_id") == "P2")["freight"][0] == pytest.approx(2.0)


def test_every_row_that_is_no_sale_is_counted_in_a_note():
    ds = assembled().dataset
    other = note_about(ds, "Type")
    assert other.count == 4
    assert (
        "general currency conversion (2), general payment (1), general withdrawal (1)"
        in other.message
    )
    assert note_about(ds, "Status", "pending").count == 1
    assert note_about(ds, "Status", "denied").count == 1
    assert note_about(ds, "Currency").count == 1  # P7, in EUR
    orphan = note_about(ds, "Reference Txn ID", "not a sale of this file")
    assert orphan.count == 1 and "5.00 USD" in orphan.message
    assert note_about(ds, "Reference Txn ID", "partly refunded").count == 1
    assert "10.00 USD" in note_about(ds, "Reference Txn ID", "partly refunded").message
    assert note_about(ds, "Reference Txn ID", "in full").count == 1
    # Fees of the five payments received in USD: 1.95 + 1.20 + 1.50 + 0.80 + 0.70.
    assert "6.15 USD" in note_about(ds, "Fee").message
    assert note_about(ds, "From Email Address").count == 1
    assert "(PST)" in note_about(ds, "TimeZone").message


def test_the_sales_headless_twin_counts_the_payments_as_orders():
    from lib.analyses import sales

    frames = sales.headless(assembled().dataset)
    kpis = {r["metric"]: r["value"] for r in frames["kpis"].to_dicts()}
    assert kpis["revenue"] == pytest.approx(121.0)
    assert kpis["orders"] == 4


def test_the_export_enables_the_customer_pages_and_the_item_ones_it_has_items_for():
    ds = assembled().dataset
    enabled = {p.key for p in catalog.PAGES if p.enabled(ds)}
    assert {"sales", "rfm", "cohorts", "clusters", "clv", "regions"} <= enabled
    assert "categories" not in enabled  # items but no categories


@pytest.mark.parametrize("page", apptest.ORDER_PAGES)
def test_each_page_its_data_allows_renders_with_no_email_shown(page):
    frame = io.read_file("Download.CSV", ACTIVITY)[0].frame
    at = apptest.files_page({"Download.CSV": frame}, page, "paypal")
    assert not apptest.tables_show(at, "@")
