"""Amazon Seller Central's All Orders report: recognised with no mapping, its traps counted."""

import polars as pl
import pytest

from lib import catalog, demo, formats, io
from lib.measures import UNSOLD_LINES
from tests import apptest

HEADER = (
    "amazon-order-id\tpurchase-date\torder-status\tsales-channel\tproduct-name\tsku\titem-status"
    "\tquantity\tcurrency\titem-price\titem-tax\tshipping-price\tshipping-tax"
    "\titem-promotion-discount\tship-promotion-discount\tship-state\tship-country\n"
)
ROWS = [
    # Two items; the first (2 × 10.00) had a 2.00 promotion.
    '111-0000001-0000001\t2024-01-05T10:00:00+00:00\tShipped\tAmazon.com\tSkillet 12"\tA'
    "\tShipped\t2\tUSD\t20.00\t1.40\t0.00\t0.00\t-2.00\t0.00\tWA\tUS",
    "111-0000001-0000001\t2024-01-05T10:00:00+00:00\tShipped\tAmazon.com\tLid\tB\tShipped\t1"
    "\tUSD\t5.00\t0.35\t0.00\t0.00\t0.00\t0.00\tWA\tUS",
    "111-0000002-0000002\t2024-01-06T11:00:00+00:00\tCancelled\tAmazon.com\tLid\tB\tCancelled"
    "\t0\tUSD\t\t\t\t\t\t\tTX\tUS",
    "111-0000003-0000003\t2024-01-07T12:00:00+00:00\tPending\tAmazon.com\tLid\tB\tUnshipped\t1"
    "\t\t\t\t\t\t\t\tNY\tUS",
    '111-0000004-0000004\t2024-01-08T13:00:00+00:00\tShipped\tAmazon.ca\tSkillet 12"\tA'
    "\tShipped\t1\tCAD\t12.00\t1.56\t0.00\t0.00\t0.00\t0.00\tON\tCA",
    # Shipped by the merchant: shipping 4.99, taken back by a shipping promotion.
    "111-0000005-0000005\t2024-01-09T14:00:00+00:00\tShipped\tAmazon.com\tTrivet\tC\tShipped\t1"
    "\tUSD\t8.00\t0.56\t4.99\t0.00\t0.00\t-4.99\tCO\tUS",
    "111-0000005-0000005\t2024-01-09T14:00:00+00:00\tShipped\tAmazon.com\tMitt\tD\tCancelled\t0"
    "\tUSD\t\t\t\t\t\t\tCO\tUS",
    "S01-0000006-0000006\t2024-01-10T15:00:00+00:00\tShipped\tNon-Amazon\tLid\tB\tShipped\t1"
    "\t\t\t\t\t\t\t\tOH\tUS",
]


def assembled(text: str, name: str = "All Orders Report.txt") -> formats.Assembly:
    tables = io.read_file(name, text.encode())
    return formats.assemble(tables)


def note_about(ds, column: str):
    return next(n for n in ds.notes if n.column == column)


def test_a_tab_separated_report_is_recognised_and_nets_promotions_with_taxes_apart():
    built = assembled(HEADER + "\n".join(ROWS) + "\n")
    assert built.recognitions[0].kind.label == "Amazon Seller Central order report"
    ds = built.dataset
    lines = ds.tables["lines"]
    # Kept: (20.00 - 2.00) + 5.00 of order 1 and 8.00 of order 5; the cancelled order is apart.
    assert lines["revenue"].sum() == pytest.approx(31.0)
    assert sorted(lines["order_id"].unique()) == ["111-0000001-0000001", "111-0000005-0000005"]
    assert lines.filter(pl.col("item_id") == "A")["unit_price"].to_list() == [10.0]
    assert ds.extras[UNSOLD_LINES]["order_id"].to_list() == ["111-0000002-0000002"]
    assert ds.currency == "USD"
    assert set(lines["region"]) == {"US"}
    # One note per trap, with its rows.
    assert note_about(ds, "order-status").count == 1  # pending
    assert note_about(ds, "sales-channel").count == 1  # Multi-Channel Fulfilment
    assert note_about(ds, "purchase-date").message.startswith("times are in UTC")
    # A cancelled item of a shipped order: the row is out, the order (its Trivet) still counts.
    items = note_about(ds, "item-status")
    assert items.count == 1 and "(1 row, of 1 order)" in items.message
    assert items.message.endswith("; the order still counts with its other items")
    currency = note_about(ds, "currency")
    assert currency.count == 1 and "CAD" in currency.message
    shipping = note_about(ds, "shipping-price").message
    # Shipping 4.99 less its 4.99 promotion; taxes 1.40 + 0.35 + 0.56 (the cancelled order's none).
    assert "shipping (0.00 USD" in shipping and "taxes (2.31 USD)" in shipping
    assert ds.tables["orders"].filter(pl.col("order_id") == "111-0000005-0000005")[
        "freight"
    ].to_list() == [0.0]


def test_without_buyers_the_customer_pages_are_off_and_a_note_says_why():
    ds = assembled(HEADER + "\n".join(ROWS) + "\n").dataset
    assert "customers" not in ds.tables
    enabled = {p.key for p in catalog.PAGES if p.enabled(ds)}
    assert {"sales", "regions"} <= enabled
    assert not enabled & {"rfm", "cohorts", "clusters", "clv", "categories"}
    assert "names no buyer" in note_about(ds, "buyer-email").message


def test_cancelled_items_leave_out_their_rows_not_their_orders():
    def row(order: str, sku: str, status: str, price: str) -> str:
        return (
            f"{order}\t2024-01-05T10:00:00+00:00\t{status}\tAmazon.com\tThing {sku}\t{sku}"
            f"\t{'Cancelled' if price == '' else 'Shipped'}\t{0 if price == '' else 1}\tUSD"
            f"\t{price}\t\t\t\t\t\tWA\tUS"
        )

    rows = [
        row("A", "1", "Shipped", "10.00"),
        row("A", "2", "Shipped", ""),  # cancelled
        row("B", "1", "Unshipped", ""),  # cancelled: B's only item
        row("C", "1", "Shipped", "20.00"),
        row("C", "2", "Shipped", ""),  # cancelled
        row("C", "3", "Shipped", ""),  # cancelled
    ]
    ds = assembled(HEADER + "\n".join(rows) + "\n").dataset
    # 4 cancelled item rows of 3 orders are out. A and C still count with their other items
    # (10.00 and 20.00); B, with none left, is no order. The note said 'orders that went ahead
    # without some items ... were left out (3, in 4 rows)', as if the 3 orders were.
    assert sorted(ds.tables["lines"]["order_id"]) == ["A", "C"]
    assert ds.tables["lines"]["revenue"].sum() == pytest.approx(30.0)
    said = "cancelled items of orders that went ahead were left out (4 rows, of 3 orders)"
    why = "the buyer did not get those items and was not charged for them"
    orders = "2 of those orders still count with their other items"
    note = note_about(ds, "item-status")
    assert (note.count, note.message) == (
        4,
        f"{said}: {why}; {orders}; 1 had no other item, so it is no order",
    )


def test_vat_marketplaces_take_the_tax_out_of_item_price():
    row = (
        "202-0000001-0000001\t2024-01-05T10:00:00+00:00\tShipped\tAmazon.co.uk\tLid\tB\tShipped"
        "\t1\tGBP\t12.00\t2.00\t0.00\t0.00\t0.00\t0.00\tLondon\tGB\n"
    )
    ds = assembled(HEADER + row).dataset
    assert ds.tables["lines"]["revenue"].to_list() == [10.0]
    assert ds.currency == "GBP"


@pytest.mark.parametrize("name", ["buyer-email", "Buyer-Email"])
def test_a_buyer_email_column_gives_hashed_customers(name):
    """Also under a header re-typed in capitals: the customers came, and a note said the report
    names no buyer."""
    header = HEADER.replace("\tship-country\n", f"\tship-country\t{name}\n")
    rows = [r + ("\tAnn@Example.com" if i < 2 else "\t") for i, r in enumerate(ROWS)]
    ds = assembled(header + "\n".join(rows) + "\n").dataset
    ids = ds.tables["lines"]["customer_id"].drop_nulls().unique()
    assert ids.len() == 1 and "@" not in ids[0]
    assert ds.tables["customers"].height == 1
    assert not [n for n in ds.notes if "names no buyer" in n.message]


@pytest.fixture(scope="module")
def sample() -> demo.Demo:
    return demo.demo("amazon", rows=2000)


def test_the_generated_report_is_recognised_and_its_planted_traps_are_the_notes(sample):
    tables = [io.RawTable(n, n, f) for n, f in sample.files.items()]
    built = formats.assemble(tables)
    ds = built.dataset
    assert [r.kind.format for r in built.recognitions] == ["amazon"]
    assert not built.messages
    planted = sample.planted
    counts = {n.column: n.count for n in ds.notes}
    assert counts["order-status"] == planted["pending_lines"]
    assert counts["sales-channel"] == planted["mcf_lines"]
    assert counts["item-status"] == planted["cancelled_items_lines"]
    assert counts["currency"] == planted["other_currency_lines"]
    assert counts["item-promotion-discount"] == planted["promotion_lines"]
    assert ds.extras[UNSOLD_LINES].height == planted["cancelled_orders_lines"]
    assert ds.extras[UNSOLD_LINES]["order_id"].n_unique() == planted["cancelled_orders_orders"]


def test_the_report_round_trips_through_a_tab_separated_file(sample):
    frame = sample.files["All Orders Report.txt"]
    assert frame.columns == list(demo.COLUMNS["amazon"]["All Orders Report.txt"])
    text = frame.write_csv(separator="\t", quote_style="never")
    table = io.read_file("All Orders Report.txt", text.encode())[0]
    assert table.frame.height == frame.height
    assert formats.recognise(table).kind.format == "amazon"


def test_the_demo_command_writes_the_report_tab_separated(sample, tmp_path):
    """`python -m lib demo --kind amazon` wrote "All Orders Report.txt" comma-separated, where
    Amazon's report (and this demo's description of it) is tab-separated."""
    (path,) = io.write_csv_tables(sample.files, tmp_path)
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert header == "\t".join(demo.COLUMNS["amazon"]["All Orders Report.txt"])
    table = io.read_file(path.name, path.read_bytes())[0]
    assert table.frame.height == sample.files["All Orders Report.txt"].height
    assert formats.recognise(table).kind.format == "amazon"


@pytest.mark.parametrize(
    "page", ["overview", "data", "quality", "sales", "categories", "regions", "rfm"]
)
def test_each_page_renders_on_the_report(page, sample):
    apptest.files_page(sample.files, page, "amazon")
