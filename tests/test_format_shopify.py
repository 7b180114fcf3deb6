"""Shopify exports are recognised with no mapping step, their traps handled and counted."""

from dataclasses import replace

import polars as pl
import pytest

from lib import demo, formats, io, measures, state
from lib.demo.shopify import COLUMNS, CUSTOMERS, ORDERS, PRODUCTS
from lib.formats import shopify
from lib.model import Dataset
from tests import apptest
from tests.test_recipe_roundtrip import downloads  # noqa: F401 - a fixture

# Order fields, given on an order's first row only (Shopify leaves them blank on its other rows).
US_NY = {"Billing Country": "US", "Billing Province": "NY", "Billing Province Name": "New York"}
TINY_ORDERS = [
    # #1001: two line items, 30.00 + 20.00; shipping and taxes are no revenue.
    {
        "Name": "#1001",
        "Email": "a@x.com",
        "Financial Status": "paid",
        "Currency": "USD",
        "Subtotal": "50.00",
        "Shipping": "5.00",
        "Taxes": "4.00",
        "Total": "59.00",
        "Discount Amount": "0.00",
        "Created at": "2024-03-05 14:22:10 -0500",
        "Lineitem quantity": "2",
        "Lineitem name": "Mug",
        "Lineitem price": "15.00",
        "Lineitem sku": "MUG-1",
        "Vendor": "Acme",
        "Billing Name": "Ann Lee",
        "Payment Method": "Shopify Payments",
        "Refunded Amount": "0.00",
        **US_NY,
    },
    {
        "Name": "#1001",
        "Lineitem quantity": "1",
        "Lineitem name": "Tee - M",
        "Lineitem price": "20.00",
        "Lineitem sku": "TEE-M",
        "Vendor": "Acme",
    },
    # #1002: 100.00 of items less a 10% code (90.00), then 48.60 refunded of a 97.20 total: the
    # items' share of the refund is 48.60 x 90 / 97.20 = 45.00, so 45.00 of revenue is left,
    # 27.00 on the lamp (54.00 after its discount) and 18.00 on the tees (36.00).
    {
        "Name": "#1002",
        "Email": "b@x.com",
        "Financial Status": "partially_refunded",
        "Currency": "USD",
        "Subtotal": "90.00",
        "Shipping": "0.00",
        "Taxes": "7.20",
        "Total": "97.20",
        "Discount Code": "SAVE10",
        "Discount Amount": "10.00",
        "Created at": "2024-03-06 10:00:00 -0500",
        "Lineitem quantity": "1",
        "Lineitem name": "Lamp",
        "Lineitem price": "60.00",
        "Lineitem sku": "LAMP",
        "Lineitem discount": "6.00",
        "Vendor": "Brightly",
        "Billing Name": "Bo Kim",
        "Payment Method": "Shopify Payments",
        "Refunded Amount": "48.60",
        **US_NY,
    },
    {
        "Name": "#1002",
        "Lineitem quantity": "2",
        "Lineitem name": "Tee - M",
        "Lineitem price": "20.00",
        "Lineitem sku": "TEE-M",
        "Lineitem discount": "4.00",
        "Vendor": "Acme",
    },
    # #1003: cancelled (and refunded); the customer of #1001, written in capitals.
    {
        "Name": "#1003",
        "Email": "A@X.com",
        "Financial Status": "refunded",
        "Currency": "USD",
        "Subtotal": "20.00",
        "Shipping": "0.00",
        "Taxes": "1.60",
        "Total": "21.60",
        "Created at": "2024-03-07 09:00:00 -0500",
        "Cancelled at": "2024-03-07 12:00:00 -0500",
        "Lineitem quantity": "1",
        "Lineitem name": "Tee - M",
        "Lineitem price": "20.00",
        "Lineitem sku": "TEE-M",
        "Vendor": "Acme",
        "Refunded Amount": "21.60",
        **US_NY,
    },
    # #1004: payment voided.
    {
        "Name": "#1004",
        "Email": "c@x.com",
        "Financial Status": "voided",
        "Currency": "USD",
        "Subtotal": "15.00",
        "Shipping": "5.00",
        "Taxes": "1.20",
        "Total": "21.20",
        "Created at": "2024-03-08 09:00:00 -0500",
        "Lineitem quantity": "1",
        "Lineitem name": "Mug",
        "Lineitem price": "15.00",
        "Lineitem sku": "MUG-1",
        "Vendor": "Acme",
        **US_NY,
    },
    # #1005: a test order (Bogus Gateway).
    {
        "Name": "#1005",
        "Email": "owner@shop.example",
        "Financial Status": "paid",
        "Currency": "USD",
        "Subtotal": "15.00",
        "Total": "15.00",
        "Created at": "2024-03-08 10:00:00 -0500",
        "Lineitem quantity": "1",
        "Lineitem name": "Mug",
        "Lineitem price": "15.00",
        "Lineitem sku": "MUG-1",
        "Payment Method": "bogus",
        **US_NY,
    },
    # #1006: in Canadian dollars, the minority currency.
    {
        "Name": "#1006",
        "Email": "e@x.com",
        "Financial Status": "paid",
        "Currency": "CAD",
        "Subtotal": "80.00",
        "Total": "84.00",
        "Taxes": "4.00",
        "Created at": "2024-03-09 10:00:00 -0500",
        "Lineitem quantity": "1",
        "Lineitem name": "Lamp",
        "Lineitem price": "80.00",
        "Lineitem sku": "LAMP",
        "Billing Country": "CA",
    },
    # #1007: at the shop's till, no email: the customer is the billing name. No SKU.
    {
        "Name": "#1007",
        "Financial Status": "paid",
        "Currency": "USD",
        "Subtotal": "15.00",
        "Shipping": "0.00",
        "Taxes": "0.00",
        "Total": "15.00",
        "Created at": "2024-03-10 11:00:00 -0500",
        "Lineitem quantity": "1",
        "Lineitem name": "Gift card",
        "Lineitem price": "15.00",
        "Billing Name": "Flo Green",
        "Billing Country": "GB",
        "Payment Method": "Cash",
    },
    # #1008: refunded in full (not cancelled).
    {
        "Name": "#1008",
        "Email": "b@x.com",
        "Financial Status": "refunded",
        "Currency": "USD",
        "Subtotal": "60.00",
        "Shipping": "5.00",
        "Taxes": "4.80",
        "Total": "69.80",
        "Created at": "2024-03-11 11:00:00 -0500",
        "Lineitem quantity": "1",
        "Lineitem name": "Lamp",
        "Lineitem price": "60.00",
        "Lineitem sku": "LAMP",
        "Vendor": "Brightly",
        "Refunded Amount": "69.80",
        **US_NY,
    },
    # #1009: awaiting payment, counts as a sale: 45.00.
    {
        "Name": "#1009",
        "Email": "f@x.com",
        "Financial Status": "pending",
        "Currency": "USD",
        "Subtotal": "45.00",
        "Shipping": "5.00",
        "Taxes": "3.60",
        "Total": "53.60",
        "Created at": "2024-03-12 11:00:00 -0400",
        "Lineitem quantity": "3",
        "Lineitem name": "Mug",
        "Lineitem price": "15.00",
        "Lineitem sku": "MUG-1",
        "Vendor": "Acme",
        **US_NY,
    },
    # #1010: the customer of #1001 again (other case, a stray blank): a repeat purchase, 15.00.
    {
        "Name": "#1010",
        "Email": " A@x.COM",
        "Financial Status": "paid",
        "Currency": "USD",
        "Subtotal": "15.00",
        "Shipping": "5.00",
        "Taxes": "1.20",
        "Total": "21.20",
        "Created at": "2024-04-01 08:30:00 -0400",
        "Lineitem quantity": "1",
        "Lineitem name": "Mug",
        "Lineitem price": "15.00",
        "Lineitem sku": "MUG-1",
        "Vendor": "Acme",
        **US_NY,
    },
]
TINY_PRODUCTS = [
    {"Handle": "mug", "Title": "Mug", "Vendor": "Acme", "Type": "Drinkware"}
    | {"Option1 Name": "Title", "Option1 Value": "Default Title"}
    | {"Variant SKU": "MUG-1", "Variant Price": "15.00"},
    {"Handle": "tee", "Title": "Tee", "Vendor": "Acme", "Type": "T-shirts"}
    | {
        "Option1 Name": "Size",
        "Option1 Value": "M",
        "Variant SKU": "TEE-M",
        "Variant Price": "20.00",
    },
    # The tee's second variant: product fields blank, as in the export.
    {"Handle": "tee", "Option1 Value": "L", "Variant SKU": "TEE-L", "Variant Price": "22.00"},
    {"Handle": "lamp", "Title": "Lamp", "Vendor": "Brightly", "Option1 Value": "Default Title"}
    | {"Variant SKU": "LAMP", "Variant Price": "60.00"},
]
TINY_CUSTOMERS = [
    {"First Name": "Ann", "Last Name": "Lee", "Email": "a@x.com", "Total Spent": "80.20"}
    | {"Total Orders": "3", "Default Address Country Code": "IE", "Default Address City": "Cork"},
    # Never ordered: a customer of the shop all the same.
    {"First Name": "Gus", "Last Name": "Ho", "Email": "g@x.com", "Total Spent": "0.00"}
    | {"Total Orders": "0", "Default Address Country Code": "US"},
]
EMAILS = ("a@x.com", "b@x.com", "c@x.com", "e@x.com", "f@x.com", "g@x.com", "owner@shop")


def export(file: str, rows: list[dict], columns: tuple[str, ...] = ()) -> bytes:
    """The rows as Shopify writes the file: every column (of `columns`, by default the export's)
    in its order, blanks empty."""
    columns = columns or COLUMNS[file]
    frame = pl.DataFrame(
        {c: [r.get(c) for r in rows] for c in columns}, schema=dict.fromkeys(columns, pl.String)
    )
    return frame.write_csv().encode()


def assembled(*files: tuple[str, list[dict]]) -> formats.Assembly:
    tables = [t for name, rows in files for t in io.read_file(name, export(name, rows))]
    return formats.assemble(tables)


@pytest.fixture(scope="module")
def tiny() -> formats.Assembly:
    return assembled((ORDERS, TINY_ORDERS))


@pytest.fixture(scope="module")
def tiny_all() -> formats.Assembly:
    return assembled((ORDERS, TINY_ORDERS), (PRODUCTS, TINY_PRODUCTS), (CUSTOMERS, TINY_CUSTOMERS))


def note(ds: Dataset, column: str, words: str):
    found = [n for n in ds.notes if n.column == column and words in n.message]
    assert len(found) == 1, [n.message for n in ds.notes]
    return found[0]


# The tiny orders export, by hand -----------------------------------------------------------------


def test_the_orders_export_is_recognised_with_no_mapping(tiny):
    assert [r.kind.label for r in tiny.recognitions] == ["Shopify orders export"]
    assert tiny.dataset.source_format == "shopify"
    assert tiny.dataset.currency == "USD"
    assert not tiny.messages


def test_revenue_is_item_revenue_net_of_discounts_and_refunds(tiny):
    lines = tiny.dataset.tables["lines"]
    # 50.00 (#1001) + 45.00 (#1002) + 15.00 (#1007) + 45.00 (#1009) + 15.00 (#1010)
    assert lines["revenue"].sum() == pytest.approx(170.0)
    by_line = {(r["order_id"], r["item_id"]): r["revenue"] for r in lines.iter_rows(named=True)}
    assert by_line[("#1001", "MUG-1")] == pytest.approx(30.0)
    assert by_line[("#1001", "TEE-M")] == pytest.approx(20.0)
    assert by_line[("#1002", "LAMP")] == pytest.approx(27.0)
    assert by_line[("#1002", "TEE-M")] == pytest.approx(18.0)
    assert by_line[("#1007", "Gift card")] == pytest.approx(15.0)
    orders = tiny.dataset.tables["orders"]
    freight = dict(zip(orders["order_id"], orders["freight"], strict=True))
    assert freight["#1001"] == pytest.approx(5.0)


def test_orders_and_customers_count_sales_only(tiny):
    lines = tiny.dataset.tables["lines"]
    assert sorted(lines["order_id"].unique()) == ["#1001", "#1002", "#1007", "#1009", "#1010"]
    # Ann (twice, her email written three ways), Bo, Flo Green (by name) and f@x.com.
    assert lines["customer_id"].n_unique() == 4
    per = lines.group_by("customer_id").agg(pl.col("order_id").n_unique().alias("n"))
    assert sorted(per["n"]) == [1, 1, 1, 2]
    # The cancelled, voided and refunded orders' lines are set apart as measures defines.
    apart = tiny.dataset.extras[measures.UNSOLD_LINES]
    assert sorted(apart["order_id"]) == ["#1003", "#1004", "#1008"]
    status = dict(tiny.dataset.tables["orders"].select("order_id", "status").iter_rows())
    assert status["#1003"] == "cancelled"
    assert status["#1004"] == "voided"
    assert status["#1008"] == "refunded"
    assert status["#1002"] == "partially_refunded"


def test_the_continuation_rows_take_their_orders_fields(tiny):
    lines = tiny.dataset.tables["lines"].filter(pl.col("order_id") == "#1002")
    assert lines["customer_id"].n_unique() == 1 and lines["customer_id"].null_count() == 0
    assert lines["ordered_at"].n_unique() == 1
    # The shop's own clock: the offset is dropped, not applied.
    assert str(lines["ordered_at"][0]) == "2024-03-06 10:00:00"
    assert note(tiny.dataset, "Name", "continuation rows").count == 2


def test_each_trap_is_a_note_with_its_count(tiny):
    ds = tiny.dataset
    test = note(ds, "Payment Method", "test orders")
    assert (test.count, "test orders" in test.message, "(1)" in test.message) == (1, True, True)
    currency = note(ds, "Currency", "CAD")
    assert currency.count == 1 and "other currencies than USD were left out (1)" in currency.message
    assert note(ds, "Cancelled at", "cancelled").count == 1
    assert note(ds, "Financial Status", "voided").count == 1
    assert note(ds, "Financial Status", "refunded in full").count == 1
    partial = note(ds, "Refunded Amount", "partially refunded")
    assert partial.count == 1 and "$45" in partial.message
    assert note(ds, "Financial Status", "1 order awaits payment").count == 1
    assert note(ds, "Email", "billing name").count == 1
    # Rows left out are said on the Data page, with their number.
    assert sum(n.count for n in formats.base.dropped(ds.notes)) == 2


def test_an_expired_payment_is_no_sale_like_a_voided_one():
    # #1001 (50.00 of items, paid) and #1011, the same order by z@x.com whose payment was only
    # authorised and expired uncaptured (Shopify's financial status 'expired'): no money came
    # in, as for a voided payment. Before, #1011 counted: 100.00 over 2 orders, 2 customers.
    expired = {"Name": "#1011", "Email": "z@x.com", "Financial Status": "expired"}
    rows = [*TINY_ORDERS[:2], TINY_ORDERS[0] | expired, TINY_ORDERS[1] | {"Name": "#1011"}]
    ds = assembled((ORDERS, rows)).dataset
    from lib.analyses import sales

    kpis = {r["metric"]: r["value"] for r in sales.headless(ds)["kpis"].to_dicts()}
    assert (kpis["revenue"], kpis["orders"], kpis["customers"]) == (50.0, 1, 1)
    assert ds.extras[measures.UNSOLD_LINES]["order_id"].to_list() == ["#1011", "#1011"]
    assert dict(ds.tables["orders"].select("order_id", "status").iter_rows())["#1011"] == "expired"
    said = note(ds, "Financial Status", "expired")
    assert said.count == 1
    assert said.message.startswith("1 order has an expired payment (authorised, never captured")
    assert "it is no sale" in said.message
    # Its shipping and taxes are of no order sold either: only #1001's 5.00 and 4.00, of the
    # one order sold (it said 'of the 1 orders sold').
    assert "shipping ($5) and taxes ($4) of the 1 order sold are not revenue" in (
        note(ds, "Total", "").message
    )


def test_an_order_whose_refunds_take_back_all_its_item_revenue_is_refunded_whatever_its_status():
    # A refund comes off the items in their share of the Total (Refunded Amount may cover
    # shipping and taxes too): 'in full' is when that share takes back all the items' revenue.
    # #1012, 'partially_refunded' by q@x.com: 59.00 refunded of its 59.00 Total (50.00 of items,
    # 5.00 shipping, 4.00 taxes): 59 x 50 / 59 = 50.00, all of it: refunded in full, no order
    # and q@x.com no customer (before: an order of 0.00 and a customer).
    # #1013, 'partially_refunded' by r@x.com: 54.00 refunded, the items and their taxes, but of
    # the 59.00 Total the items' share is 54 x 50 / 59 = 45.76: 4.24 stays, a sale.
    full = {"Name": "#1012", "Email": "q@x.com", "Financial Status": "partially_refunded"}
    part = {"Name": "#1013", "Email": "r@x.com", "Financial Status": "partially_refunded"}
    rows = [
        *TINY_ORDERS[:2],
        TINY_ORDERS[0] | full | {"Refunded Amount": "59.00"},
        TINY_ORDERS[1] | {"Name": "#1012"},
        TINY_ORDERS[0] | part | {"Refunded Amount": "54.00"},
        TINY_ORDERS[1] | {"Name": "#1013"},
    ]
    ds = assembled((ORDERS, rows)).dataset
    from lib.analyses import sales

    kpis = {r["metric"]: r["value"] for r in sales.headless(ds)["kpis"].to_dicts()}
    assert kpis["revenue"] == pytest.approx(50 + 50 - 54 * 50 / 59)
    assert (kpis["orders"], kpis["customers"]) == (2, 2)
    assert ds.extras[measures.UNSOLD_LINES]["order_id"].to_list() == ["#1012", "#1012"]
    status = dict(ds.tables["orders"].select("order_id", "status").iter_rows())
    assert (status["#1012"], status["#1013"]) == ("refunded", "partially_refunded")
    refunded = note(ds, "Financial Status", "refunded in full")
    assert refunded.count == 1
    assert refunded.message.startswith(
        "1 order was refunded in full (by refunds that took back the whole Total, under "
        "financial status partially_refunded); it is no sale"
    )
    # Only #1013's refund is partial: its items' share, 45.76, came off.
    partial = note(ds, "Refunded Amount", "partially refunded")
    assert partial.count == 1 and "$45.76" in partial.message


def test_regions_are_countries_when_the_shop_sells_to_several():
    lines = assembled((ORDERS, TINY_ORDERS)).dataset.tables["lines"]
    assert dict(lines.select("order_id", "region").unique().iter_rows())["#1007"] == "GB"
    # One country: its provinces.
    us_only = [r for r in TINY_ORDERS if r["Name"] not in ("#1006", "#1007")]
    lines = assembled((ORDERS, us_only)).dataset.tables["lines"]
    assert set(lines["region"]) == {"New York"}


def test_no_email_is_kept_anywhere_in_the_data_set(tiny_all):
    ds = tiny_all.dataset
    for frame in [*ds.tables.values(), *ds.extras.values()]:
        text = frame.select(pl.col(pl.String)).write_csv()
        assert "@" not in text
    ids = shopify.person_ids(
        pl.Series(["a@x.com", " A@X.COM ", None]), pl.Series([None, "x", "Ann"])
    )
    assert ids[0] == ids[1] and ids[2] != ids[0] and len(ids[0]) == 12


def test_customers_and_products_exports_fill_regions_and_categories(tiny_all):
    assert {r.kind.label for r in tiny_all.recognitions} == {
        "Shopify orders export",
        "Shopify products export",
        "Shopify customers export",
    }
    ds = tiny_all.dataset
    lines = ds.tables["lines"]
    category = dict(lines.select("item_id", "category").unique().iter_rows())
    # Product type from the products export, the vendor where it has none.
    assert category == {"MUG-1": "Drinkware", "TEE-M": "T-shirts", "LAMP": "Brightly"} | {
        "Gift card": None
    }
    items = ds.tables["items"]
    # Every variant, the tee's second one too, and the gift card sold without a SKU.
    assert sorted(items["item_id"]) == ["Gift card", "LAMP", "MUG-1", "TEE-L", "TEE-M"]
    assert note(ds, "Handle", "continuation rows").count == 1
    customers = ds.tables["customers"]
    ann = shopify.person_ids(pl.Series(["a@x.com"]), pl.Series([None], dtype=pl.String))[0]
    row = customers.filter(pl.col("customer_id") == ann).row(0, named=True)
    assert (row["region"], row["city"]) == ("IE", "Cork")
    assert str(row["created_at"]) == "2024-03-05 14:22:10"
    # Every person the files name: Ann, Bo, c@x.com (only a voided order), Flo Green, f@x.com,
    # and Gus, who never ordered; the figures count only those with a purchase.
    assert customers.height == 6


def test_an_older_export_without_the_newer_columns_reads_alike():
    # Exports before 2020 end at Lineitem discount, and older ones lack it as well.
    older = COLUMNS[ORDERS][: COLUMNS[ORDERS].index("Outstanding Balance")]
    tables = io.read_file(ORDERS, export(ORDERS, TINY_ORDERS, older))
    ds = formats.assemble(tables).dataset
    # The Subtotal still says what the items brought: the same 170.00, #1002 split by line totals.
    assert ds.tables["lines"]["revenue"].sum() == pytest.approx(170.0)
    lines = ds.tables["lines"].filter(pl.col("order_id") == "#1002")
    assert sorted(lines["revenue"]) == pytest.approx([18.0, 27.0])


def test_taxes_included_in_prices_come_off_item_revenue():
    row = {
        "Name": "#2001",
        "Email": "h@x.com",
        "Financial Status": "paid",
        "Currency": "EUR",
        "Subtotal": "120.00",
        "Shipping": "0.00",
        "Taxes": "20.00",
        "Total": "120.00",
        "Created at": "2024-05-01 10:00:00 +0200",
        "Lineitem quantity": "1",
        "Lineitem name": "Chair",
        "Lineitem price": "120.00",
    }
    ds = assembled((ORDERS, [row])).dataset
    assert ds.tables["lines"]["revenue"].sum() == pytest.approx(100.0)
    assert note(ds, "Taxes", "included").count == 1


# The generated demo ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated() -> demo.Demo:
    return demo.demo("shopify")


@pytest.fixture(scope="module")
def read(generated) -> formats.Assembly:
    return formats.assemble_demo("shopify")


def test_the_demo_has_shopifys_columns_in_order_and_its_formats(generated):
    assert {n: tuple(f.columns) for n, f in generated.files.items()} == COLUMNS
    orders = generated.files[ORDERS]
    assert orders.height == demo.DEFAULT_ROWS["shopify"]
    created = orders["Created at"].drop_nulls()
    assert created.str.contains(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}$").all()
    assert set(created.str.slice(-5)) == {"-0500", "-0400"}
    assert orders["Total"].drop_nulls().str.contains(r"^\d+\.\d\d$").all()
    assert (
        demo.demo("shopify", 800, seed=3)
        .files[ORDERS]
        .equals(demo.demo("shopify", 800, seed=3).files[ORDERS])
    )


def test_the_demo_is_recognised_with_no_mapping_into_every_table(read):
    assert all(r.kind is not None and r.kind.format == "shopify" for r in read.recognitions)
    assert set(read.dataset.tables) == {"lines", "orders", "customers", "items"}
    assert not read.messages


def test_the_demos_planted_traps_are_the_notes_counts(generated, read):
    planted, ds = generated.planted, read.dataset
    assert note(ds, "Name", "continuation rows").count == planted["continuation_rows"]
    test = note(ds, "Payment Method", "test orders")
    assert test.count == planted["test_rows"]
    assert f"were left out ({planted['test_orders']:,}, in " in test.message
    currency = note(ds, "Currency", "CAD")
    assert currency.count == planted["other_currency_rows"]
    assert f"were left out ({planted['other_currency_orders']:,}, in " in currency.message
    assert note(ds, "Cancelled at", "cancelled").count == planted["cancelled_orders"]
    assert note(ds, "Financial Status", "voided").count == planted["voided_orders"]
    assert note(ds, "Financial Status", "refunded in full").count == planted["refunded_orders"]
    partial = note(ds, "Refunded Amount", "partially refunded")
    assert partial.count == planted["partially_refunded_orders"]
    assert note(ds, "Financial Status", "await payment").count == planted["awaiting_orders"]
    assert note(ds, "Email", "billing name").count == planted["name_fallback_orders"]
    assert note(ds, "Handle", "continuation rows").count == planted["product_continuation_rows"]
    assert all(planted[trap] >= 4 for trap in set(planted) - set(demo.RULES))


def test_the_demo_sales_are_what_the_file_says_by_a_plain_computation(generated, read):
    """Revenue recomputed from the raw text with plain Python, away from the reader's code."""
    rows = generated.files[ORDERS].to_dicts()
    orders: dict[str, dict] = {}
    for r in rows:
        o = orders.setdefault(r["Name"], {"lines": []})
        if r["Created at"]:
            o |= r
        o["lines"].append(r)
    main = "USD"
    revenue = 0.0
    sold = set()
    for name, o in orders.items():
        if "bogus" in o["Payment Method"] or o["Currency"] != main or o["Cancelled at"]:
            continue
        if o["Financial Status"] in ("voided", "refunded"):
            continue
        items, total = float(o["Subtotal"]), float(o["Total"])
        refund = float(o["Refunded Amount"]) * items / total if total else 0.0
        revenue += items - min(refund, items)
        sold.add(name)
    lines = read.dataset.tables["lines"]
    assert lines["revenue"].sum() == pytest.approx(revenue, rel=1e-9)
    assert set(lines["order_id"]) == sold


# Every page on the demo, and no email shown or written out ----------------------------------------

PAGES = (*apptest.ORDER_PAGES, "delivery", "funnel", "events")


def test_every_page_renders_and_no_email_is_shown_or_downloaded(read, generated, downloads):  # noqa: F811
    emails = set(generated.files[CUSTOMERS]["Email"].to_list())
    at = apptest.app("files")
    at.session_state["app_files_assembly"] = replace(
        read, dataset=replace(read.dataset, key=f"{state.UPLOAD_KEY}shopify")
    )
    at.run()
    offered = 0
    for name in PAGES:
        downloads.clear()
        at.switch_page(f"pages/{name}.py")
        at.run()
        assert not at.exception, (name, at.exception)
        shown = " ".join(d.value.to_csv() for d in at.dataframe)
        shown += " ".join(c.value for c in at.caption) + " ".join(m.value for m in at.markdown)
        assert not any(e in shown for e in emails), name
        for file, data in downloads.items():
            body = data()
            text = body.decode() if isinstance(body, bytes) else str(body)
            assert not any(e in text for e in emails), (name, file)
            offered += 1
    assert offered >= 5  # the pages' tables, the findings' rows, RFM and cluster members...


def test_the_data_page_reads_an_uploaded_orders_export_with_no_mapping():
    at = apptest.page("files", "pages/data.py")
    at.file_uploader[0].upload(ORDERS, export(ORDERS, TINY_ORDERS), "text/csv").run()
    assert not at.exception
    shown = at.dataframe[0].value.to_dict("records")
    assert shown[0]["recognised as"] == "Shopify orders export"
    assert not at.session_state["app_mappings"]
    at.switch_page("pages/quality.py")
    at.run()
    assert not at.exception
    loader = " ".join(d.value.to_csv() for d in at.dataframe)
    assert "test orders" in loader and "partially refunded" in loader
    assert not any(e in loader for e in EMAILS)


def test_a_currency_that_is_no_iso_code_is_never_shown():
    """The currency is written into every page, chart and the HTML report: a script in the
    column must not reach them."""
    hostile = "<IMG SRC=X ONERROR=ALERT(1)>"
    rows = [{**r, "Currency": hostile} if r.get("Currency") else r for r in TINY_ORDERS]
    built = assembled((ORDERS, rows))
    assert built.dataset.currency == ""
    [message] = built.messages
    assert message.startswith("Shopify: the currency '<IMG SRC=X O' is no ISO 4217 code")
