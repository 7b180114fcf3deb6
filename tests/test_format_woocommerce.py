"""WooCommerce orders exports: recognised with no mapping in each layout, their traps counted."""
# ruff: noqa: E501 (export rows are kept verbatim, one a line)

import re
import subprocess
import sys

import polars as pl
import pytest

from lib import catalog, demo, formats, io
from lib.measures import UNSOLD_LINES
from tests import apptest

HEADER = (
    "Order Number,Order Status,Order Date,Billing First Name,Billing Last Name,"
    "Billing Email Address,Billing Country,Order Currency,Cart Discount,Order Shipping,Order Tax,"
    "Order Refund,Order Total,Item Name,SKU,Product Categories,Quantity,Item Cost\n"
)
ROWS = """\
101,Completed,2024-01-05 10:00,Ann,Lee,ann@example.com,DE,EUR,10.00,4.90,18.00,0.00,102.90,Gizmo,G-1,Gadgets|Sale,2,30.00
101,,,,,,,,,,,,,Widget,W-1,Widgets,1,40.00
102,Processing,2024-01-20 09:30,Ann,Lee,ANN@example.com,DE,EUR,0.00,0.00,8.00,10.00,48.00,Widget,W-1,Widgets,1,40.00
103,Refunded,2024-02-01 12:00,Bob,Roe,bob@example.com,FR,EUR,0.00,4.90,6.00,40.90,40.90,Gizmo,G-1,Gadgets,1,30.00
104,Cancelled,2024-02-02 12:00,Cy,Poe,cy@example.com,FR,EUR,0.00,0.00,8.00,0.00,48.00,Widget,W-1,Widgets,1,40.00
105,Pending payment,2024-02-03 12:00,Dee,Fox,dee@example.com,NL,EUR,0.00,0.00,8.00,0.00,48.00,Widget,W-1,Widgets,1,40.00
106,Failed,2024-02-04 12:00,Dee,Fox,dee@example.com,NL,EUR,0.00,0.00,8.00,0.00,48.00,Widget,W-1,Widgets,1,40.00
107,Completed,2024-02-05 12:00,Test,Test,test@shop.example,DE,EUR,0.00,0.00,6.00,0.00,36.00,Gizmo,G-1,Gadgets,1,30.00
108,Completed,2024-02-10 12:00,Eve,Ng,eve@example.com,GB,GBP,0.00,0.00,6.00,0.00,36.00,Gizmo,G-1,Gadgets,1,30.00
109,On hold,2024-02-12 12:00,Fay,Orr,,NL,EUR,0.00,0.00,5.00,0.00,30.00,Doohickey,D-1,Tools,1,25.00
110,wc-completed,2024-02-15 12:00,Ann,Lee,ann@example.com,DE,EUR,0.00,0.00,4.00,0.00,24.00,Gizmo,G-1,Gadgets,1,20.00
"""


def assembled(data: bytes, name: str = "orders-export.csv") -> formats.Assembly:
    return formats.assemble(io.read_file(name, data))


def of_rows(rows: str):
    """The data set of `rows` under HEADER, and its Sales figures by metric."""
    from lib.analyses import sales

    ds = assembled((HEADER + rows).encode()).dataset
    return ds, {r["metric"]: r["value"] for r in sales.headless(ds)["kpis"].to_dicts()}


def note_about(ds, column: str, containing: str = ""):
    return next(n for n in ds.notes if n.column == column and containing in n.message)


def test_rows_per_item_are_filled_down_and_netted_of_coupons_and_partial_refunds():
    built = assembled((HEADER + ROWS).encode())
    assert built.recognitions[0].kind.label == "WooCommerce orders export"
    ds = built.dataset
    lines = ds.tables["lines"]
    # 101: 60 + 40 less a 10.00 coupon in proportion (6, 4); 102: 40 less the items' share of
    # a 10.00 refund of its 48.00 total (8.00 tax): 40 - 10 x 40 / 48; 109: 25; 110: 20.
    # Refunded 103 and cancelled 104 are apart; 105-108 are left out.
    by_order = dict(lines.group_by("order_id").agg(pl.col("revenue").sum()).iter_rows())
    assert by_order == pytest.approx(
        {"101": 90.0, "102": 40 - 10 * 40 / 48, "109": 25.0, "110": 20.0}
    )
    assert lines.filter(pl.col("order_id") == "101")["revenue"].to_list() == pytest.approx(
        [54.0, 36.0]
    )
    assert sorted(ds.extras[UNSOLD_LINES]["order_id"]) == ["103", "104"]
    assert ds.currency == "EUR"
    # Ann (three orders, the email's case aside) and Fay (no email: her name) are the customers.
    people = lines.group_by("customer_id").agg(pl.col("order_id").n_unique())
    assert sorted(people["order_id"].to_list()) == [1, 3]
    assert not any("@" in v for v in lines["customer_id"])
    assert set(lines["category"]) == {"Gadgets", "Widgets", "Tools"}
    assert lines.filter(pl.col("order_id") == "101")["unit_price"].to_list() == [30.0, 40.0]
    orders = ds.tables["orders"]
    assert orders.filter(pl.col("order_id") == "101")["freight"].to_list() == [4.9]


def test_a_refund_of_the_whole_order_under_a_sale_status_sets_it_apart_as_ordered():
    rows = (
        "111,Completed,2024-03-01 10:00,Gil,Ray,gil@example.com,DE,EUR,0.00,0.00,0.00,99.00,2.75,A,A-1,Tools,1,0.10\n"
        "111,,,,,,,,,,,,,B,B-1,Tools,1,0.30\n"
        "111,,,,,,,,,,,,,C,C-1,Tools,1,2.35\n"
        "112,Completed,2024-03-02 10:00,Gil,Ray,gil@example.com,DE,EUR,0.00,0.00,0.00,0.00,0.70,C,C-1,Tools,1,0.70\n"
    )
    ds = assembled((HEADER + rows).encode()).dataset
    # 99.00 refunded of 0.10 + 0.30 + 2.35: the whole order, so it is no sale (it was a sale of
    # exactly 0.00 on each line). Set apart, its lines keep what was ordered, exactly, as a
    # refunded order's do.
    assert ds.tables["lines"]["revenue"].to_list() == [0.7]
    apart = ds.extras[UNSOLD_LINES].sort("item_id")
    assert apart["order_id"].to_list() == ["111"] * 3
    assert apart["revenue"].to_list() == [0.1, 0.3, 2.35]


def test_an_order_whose_refund_takes_back_all_its_item_revenue_is_refunded_whatever_its_status():
    rows = (
        "201,Completed,2024-03-01 10:00,Ann,Lee,ann@example.com,DE,EUR,0.00,5.00,0.00,55.00,55.00,Gizmo,G-1,Gadgets,1,50.00\n"
        "202,Completed,2024-03-02 10:00,Bob,Roe,bob@example.com,DE,EUR,0.00,5.00,0.00,50.00,55.00,Gizmo,G-1,Gadgets,1,50.00\n"
        "203,Processing,2024-03-03 10:00,Cy,Poe,cy@example.com,DE,EUR,0.00,0.00,0.00,0.00,30.00,Widget,W-1,Widgets,1,30.00\n"
    )
    ds, kpis = of_rows(rows)
    # A refund comes off the items in their share of the Order Total (the rest was shipping and
    # tax): 'in full' is when that share takes back all the items' revenue.
    # 201: 55.00 of a 55.00 total (50.00 of items, 5.00 shipping): 55 x 50 / 55 = 50.00, all of
    # it: refunded in full although 'Completed', so no order and Ann no customer (before: an
    # order of 0.00, Ann a customer, and the note said 'partly refunded').
    # 202: 50.00 refunded, as much as the items cost, but of the 55.00 total the items' share
    # is 50 x 50 / 55 = 45.45: 4.55 of revenue stays, a sale, partly refunded.
    # 203: 30.00, no refund.
    assert ds.extras[UNSOLD_LINES]["order_id"].to_list() == ["201"]
    assert kpis["revenue"] == pytest.approx(50 - 50 * 50 / 55 + 30)
    assert (kpis["orders"], kpis["customers"]) == (2, 2)
    assert dict(ds.tables["orders"].select("order_id", "status").iter_rows())["201"] == "refunded"
    partly = note_about(ds, "Order Refund", "partly")
    assert partly.count == 1 and "(50.00 EUR)" in partly.message  # 202's refund alone
    whole = note_about(ds, "Order Refund", "in full")
    assert whole.count == 1
    assert whole.message == (
        "1 order was refunded in full under status completed: its refund (55.00 EUR) took back "
        "all its item revenue, so it is no sale, as a refunded order is none"
    )


def test_each_trap_is_counted_in_a_note():
    ds = assembled((HEADER + ROWS).encode()).dataset
    assert note_about(ds, "Order Number").count == 1  # the continuation row filled
    assert note_about(ds, "Billing Email").count == 1  # the test order
    assert note_about(ds, "Order Status", "pending").count == 1
    assert note_about(ds, "Order Status", "failed").count == 1
    assert note_about(ds, "Order Currency").count == 1  # the GBP order
    assert note_about(ds, "Cart Discount").count == 1
    assert "10.00 EUR" in note_about(ds, "Order Refund").message
    shipping = note_about(ds, "Order Shipping").message
    # Sold orders 101, 102, 109, 110 (refunded 103 and cancelled 104 are set apart): shipping
    # 4.90, taxes 18 + 8 + 5 + 4.
    assert "shipping (4.90 EUR)" in shipping and "taxes (35.00 EUR)" in shipping
    assert "of the 4 orders sold" in shipping


def test_a_status_the_app_reads_as_no_sale_is_not_said_to_count_as_one():
    rows = (
        "121,Completed,2024-03-01 10:00,Gil,Ray,gil@example.com,DE,EUR,0.00,0.00,0.00,0.00,20.00,A,A-1,Tools,1,20.00\n"
        "122,Expired,2024-03-02 10:00,Hal,Ray,hal@example.com,DE,EUR,0.00,5.00,0.00,0.00,35.00,A,A-1,Tools,1,30.00\n"
        "123,Special,2024-03-03 10:00,Ida,Ray,ida@example.com,DE,EUR,0.00,0.00,0.00,0.00,10.00,A,A-1,Tools,1,10.00\n"
    )
    ds, kpis = of_rows(rows)
    assert (kpis["revenue"], kpis["orders"]) == (30.0, 2)  # 121 and 123
    # 'expired' is a status of no sale (measures.UNSOLD_STATUSES: a payment that expired
    # uncaptured), so 122 is set apart; the note on statuses WooCommerce does not define names
    # only 'special', which counts as a sale (before, it named 'expired' too, as a sale).
    assert ds.extras[UNSOLD_LINES]["order_id"].to_list() == ["122"]
    other = note_about(ds, "Order Status", "does not define")
    assert other.count == 1 and "(special)" in other.message
    # 122's 5.00 of shipping is of no order sold.
    assert "shipping (0.00 EUR)" in note_about(ds, "Order Shipping").message


PACKED = (
    "order_id,order_number,date,status,billing_email,order_currency,cart_discount,"
    "shipping_total,tax_total,order_total,{items}\n"
    "7,101,2024-01-05 10:00,completed,ann@example.com,EUR,10.00,4.90,18.00,112.90,{values}\n"
)
SKYVERGE = (
    "line_items",
    '"name:Gizmo|sku:G-1|quantity:2|subtotal:60.00|total:54.00;'
    'name:Widget|sku:W-1|quantity:1|subtotal:40.00|total:36.00"',
)
WEBTOFFEE = (
    "line_item_1,line_item_2",
    "name:Gizmo|sku:G-1|quantity:2|total:54.00|sub_total:60.00,"
    "name:Widget|sku:W-1|quantity:1|total:36.00|sub_total:40.00",
)


@pytest.mark.parametrize(("items", "values"), [SKYVERGE, WEBTOFFEE])
def test_items_packed_in_the_order_row_become_lines_discounted_once(items, values):
    ds = assembled(PACKED.format(items=items, values=values).encode()).dataset
    lines = ds.tables["lines"]
    # Item totals are after the coupon already: 54 + 36, not less 10 again.
    assert lines["revenue"].to_list() == pytest.approx([54.0, 36.0])
    assert lines["item_id"].to_list() == ["G-1", "W-1"]
    assert lines["unit_price"].to_list() == pytest.approx([30.0, 40.0])


def test_unknown_keys_of_a_packed_item_never_become_columns():
    """Hostile upload (helper 166): a cell of 10,000 entries, each a key other than name, sku,
    quantity and totals, made a column of each for every entry, 1.7 GB from a 79 KB file. The
    item is read as ever, and the assembly, in a fresh process, peaks far below that."""
    extra = ";".join(f"k{i}:1" for i in range(10_000))
    values = f'"name:Gizmo|sku:G-1|quantity:2|subtotal:60.00|total:54.00;{extra}"'
    text = PACKED.format(items="line_items", values=values).encode()
    ds = assembled(text).dataset
    lines = ds.tables["lines"]
    assert lines["item_id"].to_list() == ["G-1"]
    assert lines["revenue"].to_list() == pytest.approx([54.0])
    # The entries of none of the keys read are no items (review, helper 167: they had become
    # 10,000 lines of quantity 1), counted in a note.
    (note,) = [n for n in ds.notes if n.column == "Line items"]
    assert note.count == 10_000 and note.message.startswith("10,000 packed item entries held")
    # An order whose entries all are such keeps one line, as an order without items.
    only = PACKED.format(items="line_items", values='"k1:1;k2:1"').encode()
    assert assembled(only).dataset.tables["lines"]["order_id"].to_list() == ["101"]
    # The peak as the kernel counts it for this process's own memory (VmHWM, in kB): the
    # child's ru_maxrss starts at its parent's, a test worker's hundreds of MB.
    script = (
        "import re, sys\n"
        "from tests.test_format_woocommerce import assembled\n"
        "assembled(sys.stdin.buffer.read())\n"
        "status = open('/proc/self/status').read()\n"
        "print(int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1)) // 1024)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], input=text, capture_output=True, check=True
    )
    assert int(run.stdout) < 600  # MB: it peaked at 1.8 GB


def test_an_export_without_items_gives_one_line_per_order():
    text = (
        b"Order Number,Order Status,Order Date,Billing Email,Order Shipping,Order Tax,Order Total\n"
        b"1,Completed,2024-01-05 10:00,a@x.com,5.00,10.00,115.00\n"
        b"2,Completed,2024-01-06 10:00,a@x.com,0.00,4.00,24.00\n"
    )
    ds = assembled(text).dataset
    assert ds.tables["lines"]["revenue"].to_list() == pytest.approx([100.0, 20.0])
    assert "items" not in ds.tables
    enabled = {p.key for p in catalog.PAGES if p.enabled(ds)}
    assert {"sales", "rfm", "cohorts"} <= enabled and "categories" not in enabled


ANALYTICS = """\
Date,Order #,N. Revenue (formatted),Status,Customer,Customer type,Product(s),Items sold,Coupon(s),Net Sales,Attribution
2024-01-05 10:00:00,101,"€90.00",Completed,Ann Lee,new,"2× Gizmo, Widget",3,save10,90.00,Direct
2024-01-20 09:30:00,102,"€30.00",Processing,Ann Lee,returning,Widget,1,,30.00,Direct
2024-02-01 12:00:00,103,"€40.00",Refunded,Bob Roe,new,Gizmo,1,,40.00,Direct
2024-02-02 12:00:00,104,"€25.00",Completed,Fay Orr,new,Doohickey,1,,25.00,Organic
"""


def test_the_analytics_orders_report_gives_one_line_per_order_of_its_net_sales():
    built = assembled(ANALYTICS.encode(), "wc-orders-report-export.csv")
    assert built.recognitions[0].kind.label == "WooCommerce Analytics orders report"
    ds = built.dataset
    lines = ds.tables["lines"]
    assert dict(zip(lines["order_id"], lines["revenue"], strict=True)) == {
        "101": 90.0,
        "102": 30.0,
        "104": 25.0,
    }
    assert ds.extras[UNSOLD_LINES]["order_id"].to_list() == ["103"]
    # Customers by name: Ann's two orders are one person.
    assert lines["customer_id"].n_unique() == 2
    assert "item_id" not in lines.columns


@pytest.fixture(scope="module")
def sample() -> demo.Demo:
    return demo.demo("woocommerce", rows=2500)


def test_the_generated_export_is_recognised_and_its_planted_traps_are_the_notes(sample):
    built = formats.assemble([io.RawTable(n, n, f) for n, f in sample.files.items()])
    ds = built.dataset
    assert [r.kind.format for r in built.recognitions] == ["woocommerce"]
    assert sample.files["orders-export.csv"].columns == list(
        demo.COLUMNS["woocommerce"]["orders-export.csv"]
    )
    planted = sample.planted

    def orders_in(note) -> int:
        return int(re.search(r"were left out \(([\d,]+)", note.message)[1].replace(",", ""))

    assert note_about(ds, "Order Number").count == planted["continuation_rows"]
    assert orders_in(note_about(ds, "Billing Email")) == planted["test_orders"]
    assert orders_in(note_about(ds, "Order Status", "pending")) == planted["pending_orders"]
    assert orders_in(note_about(ds, "Order Status", "failed")) == planted["failed_orders"]
    assert orders_in(note_about(ds, "Order Currency")) == planted["other_currency_orders"]
    assert note_about(ds, "Cart Discount").count == planted["discounted_orders"]
    assert note_about(ds, "Order Refund").count == planted["partly_refunded_orders"]
    unsold = ds.extras[UNSOLD_LINES]["order_id"].n_unique()
    assert unsold == planted["cancelled_orders"] + planted["refunded_orders"]


@pytest.mark.parametrize("page", apptest.ORDER_PAGES)
def test_each_page_its_data_allows_renders_with_no_email_shown(page, sample):
    assert not apptest.tables_show(apptest.files_page(sample.files, page, "woocommerce"), "@")
