"""Format recognition and the canonical tables each known export becomes."""

import json
from datetime import datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from lib import demo, formats, io, recipe
from lib.__main__ import main
from lib.formats import base, generic, retail
from lib.formats.base import dropped, near_miss
from tests.conftest import shared_file


def raw(name: str, **columns: list) -> io.RawTable:
    return io.RawTable(name, name, pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String)))


def olist_tables() -> list[io.RawTable]:
    return [
        raw(
            "olist_orders_dataset.csv",
            order_id=["o1", "o2", "o3"],
            customer_id=["c1", "c2", "c3"],
            order_status=["delivered", "delivered", "canceled"],
            order_purchase_timestamp=[
                "2018-01-02 10:00:00",
                "2018-03-05 12:30:00",
                "2018-03-06 09:00:00",
            ],
            order_approved_at=["2018-01-02 11:00:00", None, None],
            order_delivered_carrier_date=["2018-01-03 10:00:00", "2018-03-06 10:00:00", None],
            order_delivered_customer_date=["2018-01-10 10:00:00", "2018-03-20 10:00:00", None],
            order_estimated_delivery_date=[
                "2018-01-15 00:00:00",
                "2018-03-15 00:00:00",
                "2018-03-25 00:00:00",
            ],
        ),
        raw(
            "olist_customers_dataset.csv",
            customer_id=["c1", "c2", "c3"],
            customer_unique_id=["p1", "p1", "p2"],
            customer_zip_code_prefix=["01012", "01012", "20231"],
            customer_city=["sao paulo", "sao paulo", "rio de janeiro"],
            customer_state=["SP", "SP", "RJ"],
        ),
        raw(
            "olist_order_items_dataset.csv",
            order_id=["o1", "o1", "o2"],
            order_item_id=["1", "2", "1"],
            product_id=["pr1", "pr2", "pr1"],
            seller_id=["s1", "s2", "s1"],
            shipping_limit_date=["2018-01-05 00:00:00"] * 3,
            price=["58.9", "10.0", "144.0"],
            freight_value=["5.1", "2.0", "8.77"],
        ),
        raw(
            "olist_products_dataset.csv",
            product_id=["pr1", "pr2"],
            product_category_name=["beleza_saude", "sem_traducao"],
        ),
        raw(
            "product_category_name_translation.csv",
            product_category_name=["beleza_saude"],
            product_category_name_english=["health_beauty"],
        ),
        raw(
            "olist_order_reviews_dataset.csv",
            review_id=["r1", "r2", "r3"],
            order_id=["o1", "o2", "o2"],
            review_score=["5", "2", "3"],
        ),
        raw(
            "olist_geolocation_dataset.csv",
            geolocation_zip_code_prefix=["01012", "01012"],
            geolocation_lat=["-23.5", "-23.7"],
            geolocation_lng=["-46.6", "-46.8"],
        ),
    ]


def test_olist_orders_are_recognised_by_their_columns():
    rec = formats.recognise(olist_tables()[0])
    assert rec.kind is not None and rec.kind.label == "Olist orders"
    assert rec.describe() == "olist_orders_dataset.csv → Olist orders, 3 rows"
    one = formats.recognise(io.RawTable("notes.csv", "notes.csv", pl.DataFrame({"a": [1]})))
    assert one.describe() == "notes.csv → not a known export (1 row, 1 column)"


def test_online_retail_new_column_names_are_recognised():
    table = raw(
        "x.csv",
        Invoice=["1"],
        StockCode=["A"],
        Description=["d"],
        Quantity=["1"],
        InvoiceDate=["2010-12-01 08:26:00"],
        Price=["2.5"],
        **{"Customer ID": ["1"]},
        Country=["UK"],
    )
    rec = formats.recognise(table)
    assert rec.kind is not None and rec.kind.format == "retail"


def test_an_unknown_table_is_not_recognised():
    assert formats.recognise(raw("sales.csv", date=["x"], amount=["1"])).kind is None


def test_olist_customer_is_the_person_not_the_per_order_id():
    ds = formats.assemble(olist_tables()).dataset
    orders = ds.tables["orders"].sort("order_id")
    assert orders["customer_id"].to_list() == ["p1", "p1", "p2"]
    assert ds.tables["customers"].height == 2
    assert ds.tables["lines"]["customer_id"].unique().to_list() == ["p1"]


def test_repeated_olist_ids_never_multiply_the_lines():
    """Hostile upload (helper 165): 3,000 customers rows of one order's customer_id and 3,000
    lines of that order made 9M lines (1.6 GB) from a 16 KB zip, the square of the rows; so did
    3,000 copies of one order's row. Each joins by its first row: 300 lines stay 300."""
    n = 300
    order = {
        "order_status": ["delivered"],
        "order_purchase_timestamp": ["2018-01-02 10:00:00"],
        "order_approved_at": [None],
        "order_delivered_carrier_date": [None],
        "order_delivered_customer_date": [None],
        "order_estimated_delivery_date": [None],
    }
    items = raw(
        "olist_order_items_dataset.csv",
        order_id=["o1"] * n,
        order_item_id=[str(i) for i in range(n)],
        product_id=["pr1"] * n,
        seller_id=["s1"] * n,
        shipping_limit_date=["2018-01-05 00:00:00"] * n,
        price=["10.0"] * n,
        freight_value=["1.0"] * n,
    )
    customers = raw(
        "olist_customers_dataset.csv",
        customer_id=["c1"] * n,
        customer_unique_id=[f"u{i}" for i in range(n)],
        customer_zip_code_prefix=["01000"] * n,
        customer_city=["sp"] * n,
        customer_state=["SP"] * n,
    )
    once = raw("olist_orders_dataset.csv", order_id=["o1"], customer_id=["c1"], **order)
    result = formats.assemble([once, customers, items])
    lines = result.dataset.tables["lines"]
    assert lines.height == n and lines["customer_id"].unique().to_list() == ["u0"]
    assert result.dataset.tables["orders"].height == 1
    (note,) = [x for x in result.dataset.notes if x.file == "olist_customers_dataset.csv"]
    assert (note.column, note.count, note.rows) == ("customer_id", n - 1, n)
    assert note.message.startswith(f"{n - 1} rows repeat a value already read")
    copies = raw(
        "olist_orders_dataset.csv",
        order_id=["o1"] * n,
        customer_id=["c1"] * n,
        **{k: v * n for k, v in order.items()},
    )
    result = formats.assemble([copies, items])
    assert result.dataset.tables["lines"].height == n
    assert result.dataset.tables["orders"].height == n  # kept whole, for Data quality to count
    (note,) = [x for x in result.dataset.notes if x.column == "order_id" and x.count]
    assert (note.file, note.count) == ("olist_orders_dataset.csv", n - 1)


def test_an_undecided_decimal_mark_is_a_note_on_its_file_and_column():
    lines = raw(
        "orders.csv",
        InvoiceNo=["536365", "536366"],
        StockCode=["85123A", "71053"],
        Description=["MUG", "LANTERN"],
        Quantity=["6", "8"],
        InvoiceDate=["01.12.2010 08:26", "01.12.2010 08:28"],
        UnitPrice=["1.000", "2.037"],
        CustomerID=["17850", "17850"],
        Country=["United Kingdom", "United Kingdom"],
    )
    ds = formats.assemble([lines]).dataset
    (note,) = [n for n in ds.notes if n.message.startswith("decimal mark undecided")]
    assert (note.file, note.column) == ("orders.csv", "UnitPrice")


def test_repeated_olist_leads_and_deals_are_read_once():
    """Hostile upload (helper 166): 300 leads rows and 300 deals rows of one mql_id made the
    funnel's and Data quality's joins of deals to leads 90,000 rows (9M from an 8 KB zip at
    3,000 each), and a repeated lead counts twice in every conversion rate."""
    from lib.analyses import funnel

    n = 300
    leads = raw(
        "olist_marketing_qualified_leads_dataset.csv",
        mql_id=["L"] * n,
        first_contact_date=["2018-01-01"] * n,
        landing_page_id=["p"] * n,
        origin=["social"] * n,
    )
    deals = raw(
        "olist_closed_deals_dataset.csv",
        mql_id=["L"] * n,
        seller_id=[f"s{i}" for i in range(n)],
        sdr_id=["a"] * n,
        sr_id=["b"] * n,
        won_date=["2018-02-01"] * n,
    )
    ds = formats.assemble([leads, deals]).dataset
    assert (ds.tables["leads"].height, ds.tables["deals"].height) == (1, 1)
    # Blank ids are no repeats (review, helper 167: 5 blank among 8,000 made 4 "repeats").
    blank = raw(
        "olist_marketing_qualified_leads_dataset.csv",
        mql_id=["L1", None, None, "L2", None],
        first_contact_date=["2018-01-01"] * 5,
        landing_page_id=["p"] * 5,
        origin=["social"] * 5,
    )
    kept = formats.assemble([blank]).dataset
    assert kept.tables["leads"].height == 5
    assert not [x for x in kept.notes if x.column == "mql_id" and x.count]
    assert ds.tables["deals"]["seller_id"].to_list() == ["s0"]  # the first row
    said = {(x.file, x.column, x.count) for x in ds.notes if x.count}
    assert said >= {
        ("olist_marketing_qualified_leads_dataset.csv", "mql_id", n - 1),
        ("olist_closed_deals_dataset.csv", "mql_id", n - 1),
    }
    outcomes = funnel.lead_outcomes(ds.tables["leads"], ds.tables["deals"])
    assert funnel.closed_deals(outcomes, ds.tables["deals"]).height == 1


def test_olist_items_keep_the_products_files_order_so_the_data_sets_fingerprint_holds():
    """The items table came out in another order on each load (a unique without its order),
    so the same files gave the report a new fingerprint every time."""
    files = demo.demo("marketplace").files
    ds = formats.assemble([io.RawTable(n, n, f) for n, f in files.items()]).dataset
    products = files["olist_products_dataset.csv"]["product_id"].unique(maintain_order=True)
    assert ds.tables["items"]["item_id"].to_list() == products.to_list()
    again = formats.assemble([io.RawTable(n, n, f) for n, f in files.items()]).dataset
    assert recipe.table_hashes(again) == recipe.table_hashes(ds)


@pytest.mark.parametrize("kind", [*demo.KINDS, "shopify", "woocommerce", "stripe", "amazon"])
def test_the_same_files_give_the_same_tables_row_for_row(kind):
    """Shopify's customers came out in another order on each load (a full join and a sort of
    tied times, neither keeping its order): a new fingerprint for the same data."""
    files = demo.demo(kind).files
    hashes = [
        recipe.table_hashes(
            formats.assemble([io.RawTable(n, n, f) for n, f in files.items()]).dataset
        )
        for _ in range(4)
    ]
    assert all(h == hashes[0] for h in hashes[1:])


def test_olist_order_revenue_is_item_prices_and_freight_is_separate():
    orders = formats.assemble(olist_tables()).dataset.tables["orders"].sort("order_id")
    assert orders["revenue"].to_list()[:2] == pytest.approx([68.9, 144.0])
    assert orders["freight"].to_list()[:2] == pytest.approx([7.1, 8.77])
    assert orders["revenue"][2] is None  # o3 has no items


def test_olist_reviews_are_averaged_per_order_and_dates_parsed():
    orders = formats.assemble(olist_tables()).dataset.tables["orders"].sort("order_id")
    assert orders["review_score"].to_list() == [5.0, 2.5, None]
    assert orders["delivered_at"][0] == datetime(2018, 1, 10, 10)
    assert orders["status"].to_list() == ["delivered", "delivered", "canceled"]


def test_olist_review_scores_outside_one_to_five_stars_are_left_out_and_said_so():
    """The hostile-uploads audit: scores of 99 and -1 were averaged (Delivery read 'Review when
    late 47.88' and counted the -1s as 1-2 stars). o1's 99 and o2's -1 go, o2 keeps its 2."""
    tables = olist_tables()
    tables[-2] = raw(
        "olist_order_reviews_dataset.csv",
        review_id=["r1", "r2", "r3", "r4"],
        order_id=["o1", "o2", "o2", "o1"],
        review_score=["99", "2", "-1", "4"],
    )
    built = formats.assemble(tables)
    orders = built.dataset.tables["orders"].sort("order_id")
    assert orders["review_score"].to_list() == [4.0, 2.0, None]
    [note] = [n for n in built.dataset.notes if n.column == "review_score"]
    assert note.file == "olist_order_reviews_dataset.csv"
    assert note.message == (
        "2 review scores are outside 1 to 5 stars (-1, 99): left out; check the column holds "
        "the stars given"
    )


def test_olist_categories_are_translated_where_a_translation_exists():
    lines = formats.assemble(olist_tables()).dataset.tables["lines"].sort("order_id", "line_no")
    assert lines["category"].to_list() == ["health_beauty", "sem_traducao", "health_beauty"]
    assert lines["region"].to_list() == ["SP", "SP", "SP"]


def test_olist_customer_location_is_the_mean_of_its_zip_prefix():
    customers = formats.assemble(olist_tables()).dataset.tables["customers"].sort("customer_id")
    assert customers["lat"][0] == pytest.approx(-23.6)
    assert customers["lon"][0] == pytest.approx(-46.7)
    assert customers["lat"][1] is None


def test_olist_orders_without_customers_file_say_repeat_rates_need_it():
    tables = [t for t in olist_tables() if "customers" not in t.name]
    ds = formats.assemble(tables).dataset
    assert ds.tables["orders"]["customer_id"].to_list() == [None, None, None]
    assert ds.tables["lines"]["customer_id"].null_count() == ds.tables["lines"].height
    assert any("olist_customers_dataset.csv" in n.message for n in ds.notes)


def test_olist_orders_without_their_items_file_say_which_file_gives_the_lines():
    tables = [t for t in olist_tables() if "order_items" not in t.name]
    ds = formats.assemble(tables).dataset
    assert "lines" not in ds.tables
    [note] = [n for n in ds.notes if "olist_order_items_dataset.csv" in n.message]
    assert note.message.startswith("without olist_order_items_dataset.csv the orders have no lines")


def test_only_the_funnel_files_give_only_leads_and_deals():
    tables = [
        raw(
            "leads.csv",
            mql_id=["m1", "m2"],
            first_contact_date=["2018-01-01", "2018-01-05"],
            landing_page_id=["lp", "lp"],
            origin=["social", None],
        ),
        raw(
            "deals.csv",
            mql_id=["m1"],
            seller_id=["s1"],
            sdr_id=["d1"],
            sr_id=["r1"],
            won_date=["2018-02-01 10:00:00"],
            business_segment=["pet"],
            lead_type=["online_big"],
            lead_behaviour_profile=["cat"],
            business_type=["reseller"],
            declared_monthly_revenue=["0.0"],
        ),
    ]
    ds = formats.assemble(tables).dataset
    assert ds.row_counts() == {"leads": 2, "deals": 1}
    assert ds.tables["deals"]["behaviour_profile"].to_list() == ["cat"]


def webshop_tables() -> list[io.RawTable]:
    return [
        raw(
            "users.csv",
            id=["1", "2", "3", "4"],
            parent_user_id=["NULL", "1", "2", "NULL"],
            created_at=[
                "2014-01-01 00:00:00",
                "2014-02-01 00:00:00",
                "2014-03-01 00:00:00",
                "2014-01-05 00:00:00",
            ],
            deleted_at=["NULL", "NULL", "NULL", "2014-06-01 00:00:00"],
            merged_at=["NULL", "2014-04-01 00:00:00", "2014-04-01 00:00:00", "NULL"],
        ),
        raw(
            "orders.csv",
            invoice_id=["i1", "i1", "i2", "i3"],
            line_item_id=["1", "2", "3", "4"],
            user_id=["3", "3", "4", "1"],
            item_id=["a", "b", "a", "b"],
            item_name=["A", "B", "A", "B"],
            item_category=["x", "y", "x", "y"],
            price=["10.0", "5.5", "10.0", "5.5"],
            created_at=[
                "2014-05-01 10:00:00",
                "2014-05-01 10:00:00",
                "2014-07-01 09:00:00",
                "2014-05-03 08:00:00",
            ],
            paid_at=["2014-05-01 10:05:00", "2014-05-01 10:05:00", "2014-07-01 09:01:00", "NULL"],
        ),
        raw(
            "events.csv",
            event_id=["e1", "e1", "e2"],
            event_time=["2014-12-20 07-07-45", "2014-12-20 07-07-45", "2014-12-21 08-00-00"],
            user_id=["3", "3", "4"],
            event_name=["view_item", "view_item", "login"],
            platform=["iphone", "iphone", "web"],
            parameter_name=["item_id", "referrer", "NULL"],
            parameter_value=["a", "home", "NULL"],
        ),
    ]


def test_webshop_merged_accounts_resolve_to_the_surviving_person_through_chains():
    ds = formats.assemble(webshop_tables()).dataset
    assert sorted(ds.tables["customers"]["customer_id"].to_list()) == ["1", "4"]
    assert ds.tables["lines"].sort("line_no")["customer_id"].to_list() == ["1", "1", "4", "1"]
    # Accounts 2 and 3 were merged (3 through 2 into 1): the Data page says how many.
    [merged] = [n for n in ds.notes if n.column == "parent_user_id"]
    assert (merged.file, merged.count, merged.rows) == ("users.csv", 2, 4)
    assert merged.message.startswith("2 accounts were merged into another")


def test_webshop_orders_are_counted_by_invoice():
    orders = formats.assemble(webshop_tables()).dataset.tables["orders"].sort("order_id")
    assert orders["order_id"].to_list() == ["i1", "i2", "i3"]
    assert orders["revenue"].to_list() == [15.5, 10.0, 5.5]
    assert orders["paid_at"][2] is None


def test_webshop_events_are_pivoted_one_row_per_event():
    events = formats.assemble(webshop_tables()).dataset.tables["events"].sort("event_id")
    assert events.height == 2
    assert events["item_id"].to_list() == ["a", None]
    assert events["params"].to_list() == ["referrer=home", None]
    assert events["event_at"][0] == datetime(2014, 12, 20, 7, 7, 45)
    assert events["user_id"].to_list() == ["1", "4"]


def test_retail_cancellations_are_returns_and_customer_ids_lose_the_float_suffix():
    table = io.RawTable(
        "r.parquet",
        "r.parquet",
        pl.DataFrame(
            {
                "InvoiceNo": ["536365", "536365", "C536379"],
                "StockCode": ["85123A", "71053", "D"],
                "Description": ["HEART", "LANTERN", "Discount"],
                "Quantity": [6, 2, -1],
                "InvoiceDate": ["2010-12-01 08:26:00"] * 3,
                "UnitPrice": [2.55, 3.39, 27.5],
                "CustomerID": [17850.0, 17850.0, None],
                "Country": ["United Kingdom"] * 3,
            }
        ),
    )
    ds = formats.assemble([table]).dataset
    lines = ds.tables["lines"]
    assert lines["is_return"].to_list() == [False, False, True]
    assert lines["revenue"].to_list() == pytest.approx([15.3, 6.78, -27.5])
    assert lines["customer_id"].to_list() == ["17850", "17850", None]
    assert ds.tables["orders"].height == 2
    assert ds.tables["customers"].row(0, named=True)["region"] == "United Kingdom"
    assert ds.currency == "GBP"


def test_retail_needing_only_lines_builds_the_same_lines_and_nothing_else():
    table = raw(
        "r.csv",
        InvoiceNo=["536365", "C536379", "536366"],
        StockCode=["85123A", "D", "71053"],
        Description=["HEART", "Discount", "LANTERN"],
        Quantity=["6", "-1", "2"],
        InvoiceDate=["2010-12-01 08:26:00", "2010-12-01 09:41:00", "soon"],
        UnitPrice=["2.55", "27.5", "3.39"],
        CustomerID=["17850.0", "14527.0", "17850.0"],
        Country=["United Kingdom"] * 3,
    )
    every = formats.assemble([table]).dataset
    lines_only = formats.assemble([table], needs=("lines",)).dataset
    assert set(every.tables) == {"lines", "orders", "customers", "items"}
    assert set(lines_only.tables) == {"lines"}
    assert lines_only.tables["lines"]["revenue"].to_list() == pytest.approx([15.3, -27.5])
    assert_frame_equal(lines_only.tables["lines"], every.tables["lines"])
    assert lines_only.notes == every.notes  # the unreadable date's line left out, said once
    assert [n.count for n in lines_only.notes] == [1, 1]
    with_items = formats.assemble([table], needs=("lines", "items")).dataset
    assert set(with_items.tables) == {"lines", "items"}
    assert_frame_equal(with_items.tables["items"], every.tables["items"])


def test_two_formats_with_the_same_table_keep_the_first_and_say_so():
    retail = raw(
        "r.csv",
        InvoiceNo=["1"],
        StockCode=["A"],
        Description=["d"],
        Quantity=["1"],
        InvoiceDate=["2010-12-01 08:26:00"],
        UnitPrice=["2.5"],
        CustomerID=["1"],
        Country=["UK"],
    )
    assembly = formats.assemble([*webshop_tables(), retail])
    assert any("kept the one from Web shop" in m for m in assembly.messages)


def test_a_mapped_unknown_table_becomes_lines():
    table = raw(
        "sales.csv",
        date=["2024-01-01", "2024-01-02"],
        amount=["10.5", "4"],
        client=["a", "b"],
        ticket=["t1", "t2"],
    )
    mapping = generic.ColumnMapping(
        {"ordered_at": "date", "revenue": "amount", "customer_id": "client", "order_id": "ticket"}
    )
    ds = formats.assemble([table], {"sales.csv": mapping}).dataset
    assert ds.tables["lines"]["revenue"].to_list() == [10.5, 4.0]
    assert ds.source_format == "generic"


def test_a_mapped_file_whose_lines_lose_to_a_known_export_leaves_no_made_up_ids_behind():
    table = raw("till.csv", date=["2024-01-01"], amount=["3"])
    mapping = generic.ColumnMapping({"ordered_at": "date", "revenue": "amount"})
    assembly = formats.assemble([*webshop_tables(), table], {"till.csv": mapping})
    assert any("kept the one from Web shop" in m for m in assembly.messages)
    # The made-up ids would name lines that are not there, and web shop line numbers are real.
    assert generic.MADE_UP not in assembly.dataset.extras


def test_real_online_retail_parquet_is_recognised_with_every_line():
    tables = io.read_path(shared_file("online_retail/online_retail.parquet"))
    assert formats.recognise(tables[0]).kind.label == "Online Retail invoice lines"
    ds = formats.assemble(tables).dataset
    assert ds.tables["lines"].height == 541_909
    assert ds.tables["orders"].height == 25_900  # distinct InvoiceNo in the UCI data
    assert ds.tables["customers"].height == 4_372


def test_real_funnel_files_give_8000_leads_and_842_deals():
    tables = [
        *io.read_path(
            shared_file("olist_marketing_funnel/olist_marketing_qualified_leads_dataset.csv.gz")
        ),
        *io.read_path(shared_file("olist_marketing_funnel/olist_closed_deals_dataset.csv.gz")),
    ]
    ds = formats.assemble(tables).dataset
    assert ds.row_counts() == {"leads": 8_000, "deals": 842}
    assert ds.tables["deals"]["lead_id"].is_in(ds.tables["leads"]["lead_id"].implode()).all()


OLIST_SUBSET = [
    "olist/subset_cab-g_8135_orders/olist_orders_dataset.csv.gz",
    "olist/subset_cab-g_8135_orders/olist_order_items_dataset.csv.gz",
    "olist/subset_cab-g_8135_orders/olist_customers_dataset.csv.gz",
    "olist/subset_cab-g_8135_orders/olist_order_reviews_dataset.csv.gz",
    "olist/subset_cab-g_8135_orders/olist_geolocation_dataset.csv.gz",
    "olist/olist_products_dataset.csv.gz",
    "olist/olist_sellers_dataset.csv.gz",
    "olist/olist_order_payments_dataset.parquet",
    "olist/product_category_name_translation.csv",
]


@pytest.fixture(scope="module")
def olist_real():
    tables = [t for f in OLIST_SUBSET for t in io.read_path(shared_file(f))]
    return formats.assemble(tables)


def test_real_olist_subset_files_are_each_recognised(olist_real):
    labels = {r.kind.label for r in olist_real.recognitions if r.kind}
    assert len(labels) == len(OLIST_SUBSET)
    assert olist_real.dataset.source_format == "olist"


def test_real_olist_names_the_categories_its_translation_table_lacks(olist_real):
    """Two of the subset's product categories have no row in the translation table: the loader
    says which, as they stay in Portuguese on every page."""
    products = pl.read_csv(shared_file("olist/olist_products_dataset.csv.gz"))
    translated = pl.read_csv(shared_file("olist/product_category_name_translation.csv"))
    names = products["product_category_name"].drop_nulls()
    missing = sorted(set(names) - set(translated[translated.columns[0]]))
    assert missing == ["pc_gamer", "portateis_cozinha_e_preparadores_de_alimentos"]
    said = [n.message for n in olist_real.dataset.notes if "no English name" in n.message]
    assert said == [
        "2 categories have no English name in the translation table (pc_gamer and "
        "portateis_cozinha_e_preparadores_de_alimentos): they keep their name as the products "
        "file writes it"
    ]


def test_real_olist_subset_loads_as_one_marketplace_whose_keys_join(olist_real):
    ds = olist_real.dataset
    orders, lines = ds.tables["orders"], ds.tables["lines"]
    assert orders.height == 8_135
    # 8,365 item rows, of which 549 belong to 467 canceled or unavailable orders: not sales.
    assert lines.height == 8_365 - 549
    unsold = ds.extras["unsold_lines"]
    assert (unsold.height, unsold["order_id"].n_unique()) == (549, 467)
    assert unsold["revenue"].sum() == pytest.approx(97_242.96)
    assert ds.tables["customers"].height == 8_016  # distinct customer_unique_id
    assert orders["customer_id"].is_in(ds.tables["customers"]["customer_id"].implode()).all()
    assert lines["item_id"].is_in(ds.tables["items"]["item_id"].implode()).all()
    assert lines["seller_id"].is_in(ds.tables["sellers"]["seller_id"].implode()).all()
    assert lines["order_id"].n_unique() == 7_360 - 467  # the sold orders that have items
    assert lines["category"].is_in(["health_beauty", "bed_bath_table"]).any()


def test_real_olist_payments_are_summed_per_order(olist_real):
    raw_payments = pl.read_parquet(shared_file("olist/olist_order_payments_dataset.parquet"))
    expected = raw_payments.group_by("order_id").agg(pl.col("payment_value").sum())
    got = olist_real.dataset.extras["payments"].join(expected, on="order_id")
    assert got.height == expected.height == 99_440
    assert (got["paid"] - got["payment_value"]).abs().max() < 1e-9


def test_real_olist_notes_payments_of_orders_not_loaded_and_orders_reviewed_twice(olist_real):
    """The subset's orders beside Olist's whole payments file: 91,305 of the 99,440 orders paid
    for are not loaded, and 87 loaded orders have several reviews (averaged): the Data page said
    neither (an audit's pandas counts, recounted here from the raw files)."""
    payments = pl.read_parquet(shared_file("olist/olist_order_payments_dataset.parquet"))
    orders = pl.read_csv(shared_file(OLIST_SUBSET[0]), columns=["order_id"])
    reviews = pl.read_csv(shared_file(OLIST_SUBSET[3]), columns=["order_id", "review_score"])
    unknown = payments.filter(~pl.col("order_id").is_in(orders["order_id"].implode()))
    twice = reviews.group_by("order_id").len().filter(pl.col("len") > 1).height
    assert (unknown["order_id"].n_unique(), twice) == (91_305, 87)
    said = {n.column: n for n in olist_real.dataset.notes if n.file.startswith("olist_order_")}
    assert said["order_id"].message.startswith(
        "91,305 orders paid for in the payments file are not in olist_orders_dataset.csv"
    )
    assert (said["order_id"].count, said["order_id"].rows) == (91_305, 99_440)
    assert said["review_score"].message == (
        "87 orders have several reviews: an order's review score is the mean of its reviews"
    )


def test_real_olist_orders_without_any_line_are_a_data_quality_finding(olist_real):
    """775 of the subset's 8,135 orders have no item row (an audit's pandas count: 603
    unavailable, 164 canceled, 5 created, 2 invoiced, 1 shipped): Data quality said nothing of
    them (the Data page and Overview did), though they count in no figure."""
    from lib import quality

    orders = pl.read_csv(shared_file(OLIST_SUBSET[0]), columns=["order_id", "order_status"])
    items = pl.read_csv(shared_file(OLIST_SUBSET[1]), columns=["order_id"])
    alone = orders.filter(~pl.col("order_id").is_in(items["order_id"].implode()))
    found = next(
        f for f in quality.report(olist_real.dataset).findings if f.rule == "orders_without_lines"
    )
    assert (found.table, found.count) == ("orders", alone.height) == ("orders", 775)
    by_status = dict(alone["order_status"].value_counts().rows())
    assert dict(found.rows["status"].value_counts().rows()) == by_status
    assert by_status["unavailable"] == 603


def test_only_orders_and_customers_give_only_those_tables():
    tables = [t for t in olist_tables() if "orders_dataset" in t.name or "customers" in t.name]
    ds = formats.assemble(tables).dataset
    assert ds.row_counts() == {"customers": 2, "orders": 3}
    assert "revenue" not in ds.tables["orders"].columns  # no items file: no order values


# --- rows rejected, and files read on their own --------------------------------------------------


def retail_frame(dates: list[str], prices: list[str] | None = None, first: int = 1) -> pl.DataFrame:
    n = len(dates)
    return pl.DataFrame(
        {
            "InvoiceNo": [str(first + i) for i in range(n)],
            "StockCode": ["A"] * n,
            "Description": ["MUG"] * n,
            "Quantity": ["2"] * n,
            "InvoiceDate": dates,
            "UnitPrice": prices or ["1.5"] * n,
            "CustomerID": ["7"] * n,
            "Country": ["UK"] * n,
        }
    )


def test_a_nested_column_that_breaks_a_build_is_named_with_what_to_do():
    frame = retail_frame(["2023-01-01 10:00", "2023-01-02 11:00"])
    nested = frame.with_columns(pl.concat_list("CustomerID").alias("CustomerID"))
    assembly = formats.assemble([io.RawTable("nested.parquet", "nested.parquet", nested)])
    assert assembly.messages == (
        "nested.parquet: column 'CustomerID' holds lists, not single values: export it flat "
        "(one value per cell) or drop the column, then upload the file again",
    )
    assert "lines" not in assembly.dataset.tables


def test_a_parquet_with_a_list_column_is_refused_naming_the_column_before_assembly(tmp_path):
    frame = retail_frame(["2023-01-01 10:00", "2023-01-02 11:00"])
    path = tmp_path / "nested.parquet"
    frame.with_columns(pl.concat_list("CustomerID").alias("CustomerID")).write_parquet(path)
    with pytest.raises(io.LoadError) as caught:
        io.read_path(path)
    assert str(caught.value) == (
        "nested.parquet: column 'CustomerID' holds lists, not single values: export it flat "
        "(one value per cell) or drop the column, then upload the file again"
    )


def test_every_retail_row_with_an_unreadable_date_says_all_rows_were_left_out_and_why():
    result = retail.build({"invoice_lines": retail_frame(["soon", "later", "2999-01-01"])}, {})
    assert result.tables["lines"].height == 0
    [note] = dropped(result.notes)
    assert (note.file, note.column, note.count, note.rows) == ("invoice_lines", "InvoiceDate", 3, 3)
    assert note.message == (
        "all 3 rows were left out: 'InvoiceDate' has no usable value (2 values could not be read "
        "as dates (e.g. 'soon', 'later'); 1 value is a date outside the years 1900 to 2099 "
        "(e.g. '2999-01-01')). A line needs its invoice date: fix the column and upload the file "
        "again"
    )


def test_retail_lines_without_a_quantity_or_price_are_left_out_with_a_note():
    """Revenue is quantity x unit price: a line missing either sells an unknown amount (it was
    kept, worth nothing, and Sales counted its units from line counts)."""
    frame = retail_frame(["2023-01-01 10:00"] * 4, prices=["1.5", "", "2.5", "1e99"])
    frame = frame.with_columns(pl.Series("Quantity", ["2", "3", "", "1"]))
    result = retail.build({"invoice_lines": frame}, {})
    assert result.tables["lines"]["revenue"].to_list() == [3.0]  # 2 x 1.5
    notes = dropped(result.notes)
    assert [(n.column, n.count, n.rows) for n in notes] == [("Quantity", 1, 4), ("UnitPrice", 2, 3)]
    assert notes[0].message.startswith("1 of 4 rows without quantity were left out")
    assert notes[0].message.endswith(": a line's revenue is its quantity x unit price")


def test_an_empty_date_column_says_it_is_empty_in_every_row():
    frame = retail_frame(["", "", ""]).with_columns(pl.lit(None, pl.String).alias("InvoiceDate"))
    [note] = dropped(retail.build({"invoice_lines": frame}, {"invoice_lines": "a.csv"}).notes)
    assert note.message.startswith(
        "all 3 rows were left out: 'InvoiceDate' has no usable value (it is empty in every row)"
    )


def test_stacked_files_with_different_date_orders_are_each_read_and_noted_per_file():
    day_first = retail_frame(["25/12/2022 07:38", "13/01/2022 08:00", "soon"])
    month_first = retail_frame(["12/25/2022 7:38", "1/13/2022 8:00"], first=100)
    stacked = pl.concat([day_first, month_first])
    parts = {"invoice_lines": [("uk.csv", 3), ("us.csv", 2)]}
    result = retail.build({"invoice_lines": stacked}, {"invoice_lines": "uk.csv, us.csv"}, parts)
    lines = result.tables["lines"]
    assert lines["ordered_at"].to_list() == [
        datetime(2022, 12, 25, 7, 38),
        datetime(2022, 1, 13, 8),
        datetime(2022, 12, 25, 7, 38),
        datetime(2022, 1, 13, 8),
    ]
    [note] = dropped(result.notes)
    assert (note.file, note.count, note.rows) == ("uk.csv", 1, 3)
    assert note.message.startswith("1 of 3 rows without ordered_at were left out (1 value could")


def test_a_file_all_of_whose_rows_go_is_named_alone_among_stacked_files():
    good = retail_frame(["2022-01-05 10:00:00"] * 2)
    bad = retail_frame(["not a date"] * 3, first=50)
    parts = {"invoice_lines": [("good.csv", 2), ("bad.csv", 3)]}
    result = retail.build({"invoice_lines": pl.concat([good, bad])}, {}, parts)
    assert result.tables["lines"].height == 2
    [note] = dropped(result.notes)
    assert (note.file, note.count, note.rows) == ("bad.csv", 3, 3)
    assert note.message.startswith("all 3 rows were left out: 'InvoiceDate' has no usable value")


def test_infinite_and_absurd_prices_are_left_empty_with_a_counted_note():
    frame = retail_frame(["2022-01-05"] * 4, prices=["inf", "1e308", "NaN", "2.5"])
    ds = formats.assemble([io.RawTable("p.csv", "p.csv", frame)]).dataset
    # Left empty, then left out with the line: its revenue (quantity x price) is unknown.
    assert ds.tables["lines"]["unit_price"].to_list() == [2.5]
    assert ds.tables["lines"]["revenue"].to_list() == [5.0]
    read, dropped = [n for n in ds.notes if n.column == "UnitPrice"]
    assert (read.file, read.count, read.rows) == ("p.csv", 2, 4)  # NaN is a missing value
    assert "2 values are not finite (inf, NaN) or beyond ±1e15 (e.g. 'inf', '1e308')" in (
        read.message
    )
    assert (dropped.count, dropped.rows) == (3, 4)
    assert dropped.message.startswith("3 of 4 rows without unit_price were left out")


def test_columns_read_side_by_side_give_the_same_lines_and_notes_in_the_same_order(
    monkeypatch: pytest.MonkeyPatch,
):
    uk = retail_frame(["25/12/2022 07:38", "soon"], prices=["inf", "x"])
    us = retail_frame(["12/25/2022 7:38", "1/2/2022"], prices=["2.5", "-"], first=50)
    parts = {"invoice_lines": [("uk.csv", 2), ("us.csv", 2)]}

    def build() -> tuple[pl.DataFrame, tuple]:
        result = retail.build({"invoice_lines": pl.concat([uk, us])}, {}, parts)
        return result.tables["lines"], result.notes

    lines, notes = build()  # 4 rows: one column at a time
    monkeypatch.setattr(base, "PARALLEL_ROWS", 1)
    side_by_side_lines, side_by_side_notes = build()
    assert_frame_equal(side_by_side_lines, lines)
    assert side_by_side_notes == notes
    assert [(n.file, n.column) for n in notes] == [
        ("uk.csv", "InvoiceDate"),
        ("uk.csv", "UnitPrice"),
        ("us.csv", "UnitPrice"),
        ("uk.csv", "InvoiceDate"),
        # The lines left without a price, per file after the undated one went.
        ("uk.csv", "UnitPrice"),
        ("us.csv", "UnitPrice"),
    ]
    assert [(n.count, n.rows) for n in notes[-2:]] == [(1, 1), (1, 2)]


def test_dates_that_could_be_either_order_are_noted_for_the_user_to_check():
    frame = retail_frame(["01/02/2022", "03/04/2022"])
    ds = formats.assemble([io.RawTable("a.csv", "a.csv", frame)]).dataset
    [note] = [n for n in ds.notes if n.column == "InvoiceDate"]
    assert note.message == (
        "day and month are ambiguous in every value: read as month first: check a few dates "
        "against the source"
    )


def test_an_olist_file_with_renamed_columns_names_the_olist_columns_it_lacks():
    table = raw(
        "olist_orders_dataset.csv",
        order_id=["o1"],
        customer_id=["c1"],
        status=["delivered"],
        purchased=["2018-01-02 10:00:00"],
    )
    assert formats.recognise(table).kind is None
    assert near_miss(table.name, table.frame.columns, formats.KINDS) == (
        "olist_orders_dataset.csv looks like Olist orders but lacks the columns order_status, "
        "order_purchase_timestamp: upload the export with its original column names, or map its "
        "columns as order lines"
    )


def test_a_table_missing_one_signature_column_is_a_near_miss_and_a_generic_one_is_not():
    retail_like = ["Invoice", "StockCode", "Quantity", "InvoiceDate", "Price", "Country"]
    assert near_miss("export.csv", retail_like, formats.KINDS).startswith(
        "export.csv looks like Online Retail invoice lines but lacks the column CustomerID:"
    )
    generic_sales = ["order_id", "customer_id", "date", "amount"]
    assert near_miss("sales.csv", generic_sales, formats.KINDS) == ""


# A page each platform's demo enables, to compare --demo with the files written. (Stripe's
# charges have no items, which sales' headless top-item ranking does not yet allow for.)
PLATFORM_PAGES = {
    "shopify": "sales",
    "woocommerce": "sales",
    "stripe": "cohorts",
    "amazon": "sales",
}


@pytest.mark.parametrize("kind", demo.PLATFORM_KINDS)
def test_the_cli_writes_each_platforms_demo_and_reads_it_as_that_platform(kind, tmp_path, capsys):
    assert main(["demo", "--kind", kind, "--out", str(tmp_path)]) == 0
    files = [str(tmp_path / name) for name in json.loads(capsys.readouterr().out)["files"]]
    assert main(["inspect", *files]) == 0
    assert json.loads(capsys.readouterr().out)["format"] == kind
    # --demo reads the same export as the files written: the same figures (to the last digits of
    # a float sum, which polars adds in parallel).
    page = PLATFORM_PAGES[kind]
    tables = []
    for source in (files, ["--demo", kind]):
        assert main([page, *source, "--format", "csv"]) == 0
        tables.append(pl.read_csv(capsys.readouterr().out.encode()))
    assert_frame_equal(tables[0], tables[1], rel_tol=1e-12)


@pytest.mark.parametrize("kind", ["shopify", "stripe", "woocommerce", "amazon", "retail"])
@pytest.mark.parametrize("case", [str.lower, str.upper])
def test_a_known_export_with_its_headers_in_another_case_reads_the_same_tables(kind, case):
    """Shopify's orders with 'name' for 'Name' were recognised and then emptied ("the file has
    no column 'Name'"); Stripe's lost its customers and counted its test-mode charges."""
    files = demo.demo(kind).files
    want = formats.assemble([io.RawTable(n, n, f) for n, f in files.items()]).dataset
    cased = [io.RawTable(n, n, f.rename({c: case(c) for c in f.columns})) for n, f in files.items()]
    got = formats.assemble(cased).dataset
    assert got.tables.keys() == want.tables.keys()
    for name, table in want.tables.items():
        assert got.tables[name].sort(table.columns).equals(table.sort(table.columns)), name


def _mapped_baseline() -> tuple[io.RawTable, dict]:
    frame = pl.DataFrame(
        {
            "order_id": [f"O{i}" for i in range(8)],
            "customer_id": [f"C{i % 3}" for i in range(8)],
            "order_date": [f"2024-01-0{i + 1}" for i in range(8)],
            "amount": [10.0 * (i + 1) for i in range(8)],
        }
    )
    table = io.RawTable("baseline.csv", "baseline.csv", frame)
    return table, {"baseline.csv": generic.guess_mapping(frame)}


def test_a_known_export_none_of_whose_rows_can_be_read_gives_way_to_the_mapped_lines():
    """An Online Retail file of garbage (no quantity, no date readable) beside a mapped file:
    its empty lines table was kept ("kept the one from Online Retail") and every page emptied."""
    baseline, mappings = _mapped_baseline()
    garbage = pl.DataFrame(
        {
            "InvoiceNo": ["1", "2"],
            "StockCode": ["a", "b"],
            "Description": ["x", "y"],
            "Quantity": ["abc", "def"],
            "InvoiceDate": ["bad", "worse"],
            "UnitPrice": ["1", "2"],
            "CustomerID": ["1", "2"],
            "Country": ["UK", "UK"],
        }
    )
    built = formats.assemble([io.RawTable("retail.csv", "retail.csv", garbage), baseline], mappings)
    assert built.dataset.tables["lines"]["revenue"].sum() == 360.0  # 10 + 20 + ... + 80
    assert any("none of its rows could be read; kept the one from" in m for m in built.messages)


def test_the_currency_is_the_one_of_the_lines_kept():
    """Olist's order items alone (no orders: no lines of their own) beside a mapped file turned
    the mapped file's amounts into Brazilian reais."""
    baseline, mappings = _mapped_baseline()
    items = demo.demo("marketplace").files["olist_order_items_dataset.csv"]
    built = formats.assemble(
        [io.RawTable("olist_order_items_dataset.csv", "items.csv", items), baseline], mappings
    )
    assert built.dataset.tables["lines"].height == 8
    assert built.dataset.currency == ""


# --- the same export uploaded twice, and an Olist file under another's name -------------------


def _copy(table: io.RawTable, name: str) -> io.RawTable:
    """`table` as the same file uploaded again under `name` (a browser's second download)."""
    return io.RawTable(name, name, table.frame.clone())


def _lines(assembly: formats.Assembly) -> tuple[int, float]:
    lines = assembly.dataset.tables["lines"]
    return lines.height, lines["revenue"].sum()


def _retail(rows: slice = slice(0, 3000), name: str = "orders.csv") -> io.RawTable:
    frame = demo.demo("retail").files["online_retail.csv"][rows]
    return io.RawTable(name, name, frame)


def test_a_mapped_file_uploaded_twice_is_read_once_and_the_message_names_both():
    """The same export as 'baseline.csv' and 'baseline (1).csv' was stacked: every line twice."""
    baseline, mappings = _mapped_baseline()
    copy = _copy(baseline, "baseline (1).csv")
    once = formats.assemble([baseline], mappings)
    # A file with the columns of one mapped before is mapped alike (state.add_tables).
    both = {**mappings, copy.name: mappings[baseline.name]}
    twice = formats.assemble([baseline, copy], both)
    assert _lines(twice) == _lines(once) == (8, 360.0)
    assert "baseline (1).csv holds the same rows as baseline.csv: read once" in twice.messages
    assert [r.same_as for r in twice.recognitions] == ["", "baseline.csv"]


@pytest.mark.parametrize("mapped", ["baseline.csv", "baseline (1).csv"])
def test_of_a_mapped_file_and_its_copy_one_mapping_reads_it_once_and_none_waits(mapped):
    """Whichever of the two holds the mapping (a recipe may map the copy only), the lines are read
    once and neither is offered for mapping again."""
    baseline, mappings = _mapped_baseline()
    copy = _copy(baseline, "baseline (1).csv")
    given = {mapped: mappings[baseline.name]}
    twice = formats.assemble([baseline, copy], given)
    assert _lines(twice) == (8, 360.0)
    assert twice.unmapped(given) == []
    other = ({"baseline.csv", "baseline (1).csv"} - {mapped}).pop()
    assert f"{other} holds the same rows as {mapped}: read once" in twice.messages


def test_online_retail_uploaded_twice_gives_the_lines_and_revenue_of_one_upload():
    original = _retail()
    once = formats.assemble([original])
    twice = formats.assemble([original, _copy(original, "orders (1).csv")])
    assert _lines(twice) == _lines(once)
    assert twice.dataset.row_counts() == once.dataset.row_counts()
    assert "orders (1).csv holds the same rows as orders.csv: read once" in twice.messages


def test_an_olist_file_uploaded_twice_is_read_once():
    files = demo.demo("marketplace").files
    tables = [io.RawTable(n, n, f) for n, f in files.items()]
    orders = next(t for t in tables if t.name == "olist_orders_dataset.csv")
    once = formats.assemble(tables)
    twice = formats.assemble([*tables, _copy(orders, "olist_orders_dataset (1).csv")])
    assert twice.dataset.row_counts() == once.dataset.row_counts()
    assert _lines(twice) == _lines(once)
    said = "olist_orders_dataset (1).csv holds the same rows as olist_orders_dataset.csv: read once"
    assert said in twice.messages
    # Its name is the orders file's: no word of a misnamed file.
    assert not [m for m in twice.messages if "Olist's" in m]


def test_exports_that_share_some_rows_or_only_their_shape_are_both_read():
    overlapping = [_retail(slice(0, 2000)), _retail(slice(1000, 3000), "orders (1).csv")]
    alike = [_retail(slice(0, 2000)), _retail(slice(2000, 4000), "orders (1).csv")]
    for tables in (overlapping, alike):
        built = formats.assemble(tables)
        assert built.dataset.tables["lines"].height == 4000
        assert not [m for m in built.messages if "same rows" in m]
        assert not [r for r in built.recognitions if r.same_as]


@pytest.mark.parametrize("name", ["olist_orders_dataset.csv", "olist.zip/olist_orders_dataset.csv"])
def test_an_olist_file_named_as_another_is_read_by_its_columns_and_said(name):
    """The reviews saved as olist_orders_dataset.csv were read as reviews silently, and the pages
    asked for olist_orders_dataset.csv, which the user had just uploaded."""
    reviews = demo.demo("marketplace").files["olist_order_reviews_dataset.csv"]
    built = formats.assemble([*olist_tables()[1:], io.RawTable(name, name, reviews)])
    assert built.recognitions[-1].kind.label == "Olist reviews"  # content wins
    assert (
        f"{name} holds Olist's reviews (its columns are those of olist_order_reviews_dataset.csv), "
        "not the orders: upload the orders export (olist_orders_dataset.csv from the Olist "
        "download) in its place"
    ) in built.messages
    # Under their own names, or names of no Olist file, nothing is said of their names.
    assert not formats.assemble(olist_tables()).messages
    renamed = [io.RawTable(f"part{i}.csv", "x.csv", t.frame) for i, t in enumerate(olist_tables())]
    assert not formats.assemble(renamed).messages
