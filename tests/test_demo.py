"""Tests of the demo data sets: formats, determinism, planted anomalies and realism."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from lib import demo, formats, io
from lib.demo import (
    CO_VIEWED_PAIRS,
    DEFAULT_ROWS,
    FAST_SR_ID,
    KINDS,
    MIN_ROWS,
    RULES,
    SLOW_SR_ID,
    _retail_counts,
    _thin_month_count,
)
from lib.demo.retail import _customer_codes, _invoice_numbers

ISO = "%Y-%m-%d %H:%M:%S"
MAIN_FILE = {
    "marketplace": "olist_orders_dataset.csv",
    "webshop": "orders.csv",
    "retail": "online_retail.csv",
}
EXPECTED_COLUMNS = {
    "marketplace": {
        "olist_orders_dataset.csv": [
            "order_id",
            "customer_id",
            "order_status",
            "order_purchase_timestamp",
            "order_approved_at",
            "order_delivered_carrier_date",
            "order_delivered_customer_date",
            "order_estimated_delivery_date",
        ],
        "olist_order_items_dataset.csv": [
            "order_id",
            "order_item_id",
            "product_id",
            "seller_id",
            "shipping_limit_date",
            "price",
            "freight_value",
        ],
        "olist_customers_dataset.csv": [
            "customer_id",
            "customer_unique_id",
            "customer_zip_code_prefix",
            "customer_city",
            "customer_state",
        ],
        "olist_sellers_dataset.csv": [
            "seller_id",
            "seller_zip_code_prefix",
            "seller_city",
            "seller_state",
        ],
        "olist_products_dataset.csv": [
            "product_id",
            "product_category_name",
            "product_name_lenght",
            "product_description_lenght",
            "product_photos_qty",
            "product_weight_g",
            "product_length_cm",
            "product_height_cm",
            "product_width_cm",
        ],
        "olist_order_payments_dataset.csv": [
            "order_id",
            "payment_sequential",
            "payment_type",
            "payment_installments",
            "payment_value",
        ],
        "olist_order_reviews_dataset.csv": [
            "review_id",
            "order_id",
            "review_score",
            "review_comment_title",
            "review_comment_message",
            "review_creation_date",
            "review_answer_timestamp",
        ],
        "olist_geolocation_dataset.csv": [
            "geolocation_zip_code_prefix",
            "geolocation_lat",
            "geolocation_lng",
            "geolocation_city",
            "geolocation_state",
        ],
        "product_category_name_translation.csv": [
            "product_category_name",
            "product_category_name_english",
        ],
        "olist_marketing_qualified_leads_dataset.csv": [
            "mql_id",
            "first_contact_date",
            "landing_page_id",
            "origin",
        ],
        "olist_closed_deals_dataset.csv": [
            "mql_id",
            "seller_id",
            "sdr_id",
            "sr_id",
            "won_date",
            "business_segment",
            "lead_type",
            "lead_behaviour_profile",
            "has_company",
            "has_gtin",
            "average_stock",
            "business_type",
            "declared_product_catalog_size",
            "declared_monthly_revenue",
        ],
    },
    "webshop": {
        "users.csv": [
            "id",
            "parent_user_id",
            "created_at",
            "deleted_at",
            "merged_at",
            "first_name",
            "last_name",
            "email_address",
        ],
        "items.csv": ["id", "name", "category", "price", "created_at", "adjective", "modifier"],
        "orders.csv": [
            "invoice_id",
            "line_item_id",
            "user_id",
            "item_id",
            "item_name",
            "item_category",
            "price",
            "created_at",
            "paid_at",
        ],
        "events.csv": [
            "event_id",
            "event_time",
            "user_id",
            "event_name",
            "platform",
            "parameter_name",
            "parameter_value",
        ],
    },
    "retail": {
        "online_retail.csv": [
            "InvoiceNo",
            "StockCode",
            "Description",
            "Quantity",
            "InvoiceDate",
            "UnitPrice",
            "CustomerID",
            "Country",
        ]
    },
}
PLANTED_BY_KIND = {
    "marketplace": {
        "delivered_before_purchase",
        "delivered_before_pickup",
        "delivered_without_date",
        "payment_mismatch",
        "deal_before_contact",
        "unknown_origin",
        "thin_months",
    },
    "webshop": {
        "paid_before_created",
        "orders_after_deletion",
        "duplicate_rows",
        "catalogue_price_mismatch",
        "empty_days",
        "misspelled_parameter",
    },
    "retail": {
        "cancellations",
        "missing_customer",
        "non_product_codes",
        "non_positive_price",
        "duplicate_rows",
        "extreme_quantity",
    },
}
NON_PRODUCT = [
    "POST",
    "DOT",
    "M",
    "D",
    "S",
    "B",
    "C2",
    "CRUK",
    "PADS",
    "BANK CHARGES",
    "AMAZONFEE",
    "ADJUST",
]


@pytest.fixture(scope="module")
def demos() -> dict[str, demo.Demo]:
    return {kind: demo.demo(kind) for kind in KINDS}


@pytest.fixture(scope="module")
def olist(demos: dict[str, demo.Demo]) -> dict[str, pl.DataFrame]:
    return demos["marketplace"].files


def _ts(column: str, fmt: str = ISO) -> pl.Expr:
    return pl.col(column).str.to_datetime(fmt)


def _monthly_counts(moments: pl.Series) -> pl.DataFrame:
    """Orders per calendar month from the first month to the last, empty months as 0."""
    months = moments.dt.truncate("1mo")
    calendar = pl.DataFrame(
        {"month": pl.datetime_range(months.min(), months.max(), "1mo", eager=True)}
    )
    counted = months.value_counts(name="n").rename({months.name: "month"})
    return calendar.join(counted, on="month", how="left").with_columns(pl.col("n").fill_null(0))


def _thin(moments: pl.Series) -> int:
    counts = _monthly_counts(moments)
    return counts.filter(pl.col("n") < 0.1 * counts["n"].median()).height


# Shape and determinism --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_demo_files_have_exactly_the_export_columns(demos: dict, kind: str) -> None:
    files = demos[kind].files
    assert {name: frame.columns for name, frame in files.items()} == EXPECTED_COLUMNS[kind]


@pytest.mark.parametrize("kind", KINDS)
def test_every_demo_column_is_text(demos: dict, kind: str) -> None:
    for name, frame in demos[kind].files.items():
        assert set(frame.schema.values()) == {pl.String}, name


@pytest.mark.parametrize("kind", KINDS)
def test_same_kind_rows_and_seed_give_identical_frames(kind: str) -> None:
    first, second = demo.demo(kind, 1000, seed=7), demo.demo(kind, 1000, seed=7)
    assert first.files.keys() == second.files.keys()
    for name in first.files:
        assert first.files[name].equals(second.files[name]), name
    assert first.planted == second.planted
    assert first.truth == second.truth


@pytest.mark.parametrize("kind", KINDS)
def test_another_seed_gives_other_data(kind: str) -> None:
    main = MAIN_FILE[kind]
    assert (
        not demo.demo(kind, 1000, seed=1).files[main].equals(demo.demo(kind, 1000, 2).files[main])
    )


@pytest.mark.parametrize("kind", KINDS)
def test_rows_sets_the_height_of_the_main_table(kind: str) -> None:
    main = MAIN_FILE[kind]
    assert demo.demo(kind, 1000).files[main].height == 1000
    assert demo.demo(kind, 2500).files[main].height == 2500


@pytest.mark.parametrize("kind", KINDS)
def test_default_rows_size_the_main_table(demos: dict, kind: str) -> None:
    assert demos[kind].files[MAIN_FILE[kind]].height == DEFAULT_ROWS[kind]


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown demo kind"):
        demo.demo("shop")


def test_too_few_rows_are_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        demo.demo("retail", MIN_ROWS - 1)


@pytest.mark.parametrize("kind", KINDS)
def test_planted_names_every_rule_and_only_the_kinds_own_are_nonzero(
    demos: dict, kind: str
) -> None:
    planted = demos[kind].planted
    assert set(planted) == set(RULES)
    assert len(RULES) == 19
    assert {rule for rule, n in planted.items() if n} == PLANTED_BY_KIND[kind]
    assert all(
        planted[rule] >= (2 if rule == "thin_months" else 4) for rule in PLANTED_BY_KIND[kind]
    )


@pytest.mark.parametrize("kind", KINDS)
def test_the_demo_lives_in_the_past(demos: dict, kind: str) -> None:
    assert demos[kind].planted["future_dates"] == 0
    assert demos[kind].planted["thin_months"] == (2 if kind == "marketplace" else 0)


# Planted counts, recomputed from the raw frames ---------------------------------------------------


def test_marketplace_planted_delivery_anomalies_match_the_orders(demos: dict, olist: dict) -> None:
    orders = olist["olist_orders_dataset.csv"].select(
        "order_status",
        purchase=_ts("order_purchase_timestamp"),
        carrier=_ts("order_delivered_carrier_date"),
        delivered=_ts("order_delivered_customer_date"),
    )
    planted = demos["marketplace"].planted
    before_purchase = orders.filter(pl.col("delivered") < pl.col("purchase"))
    before_pickup = orders.filter(pl.col("delivered") < pl.col("carrier"))
    without = orders.filter((pl.col("order_status") == "delivered") & pl.col("delivered").is_null())
    assert planted["delivered_before_purchase"] == before_purchase.height
    assert planted["delivered_before_pickup"] == before_pickup.height
    assert planted["delivered_without_date"] == without.height
    # each planted order breaks one rule only
    assert before_purchase["carrier"].null_count() == before_purchase.height
    assert before_pickup.filter(pl.col("delivered") < pl.col("purchase")).height == 0


def test_marketplace_payments_sum_to_items_except_the_planted_mismatches(
    demos: dict, olist: dict
) -> None:
    due = (
        olist["olist_order_items_dataset.csv"]
        .with_columns(pl.col("price", "freight_value").cast(pl.Float64))
        .group_by("order_id")
        .agg(due=(pl.col("price") + pl.col("freight_value")).sum())
    )
    paid = (
        olist["olist_order_payments_dataset.csv"]
        .group_by("order_id")
        .agg(paid=pl.col("payment_value").cast(pl.Float64).sum())
    )
    both = due.join(paid, on="order_id", how="inner")
    off = both.filter((pl.col("due") - pl.col("paid")).abs() > 0.01)
    assert demos["marketplace"].planted["payment_mismatch"] == off.height
    exact = both.filter((pl.col("due") - pl.col("paid")).abs() <= 0.01)
    assert (exact["due"] - exact["paid"]).abs().max() < 1e-6


def test_marketplace_planted_funnel_anomalies_match_leads_and_deals(
    demos: dict, olist: dict
) -> None:
    leads = olist["olist_marketing_qualified_leads_dataset.csv"]
    deals = olist["olist_closed_deals_dataset.csv"].join(leads, on="mql_id")
    early = deals.filter(_ts("won_date") < pl.col("first_contact_date").str.to_datetime("%Y-%m-%d"))
    unknown = leads.filter(pl.col("origin").is_null() | (pl.col("origin") == "unknown"))
    assert demos["marketplace"].planted["deal_before_contact"] == early.height
    assert demos["marketplace"].planted["unknown_origin"] == unknown.height
    assert 0 < leads["origin"].null_count() < unknown.height


def test_marketplace_has_one_thin_month_at_each_end(demos: dict, olist: dict) -> None:
    purchase = olist["olist_orders_dataset.csv"].select(_ts("order_purchase_timestamp"))
    counts = _monthly_counts(purchase.to_series())
    thin = counts.filter(pl.col("n") < 0.1 * counts["n"].median())
    assert demos["marketplace"].planted["thin_months"] == thin.height == 2
    assert thin["month"].to_list() == [counts["month"].min(), counts["month"].max()]


def test_webshop_planted_order_anomalies_match_orders_users_and_items(demos: dict) -> None:
    files, planted = demos["webshop"].files, demos["webshop"].planted
    orders = files["orders.csv"]
    invoices = orders.select(
        "invoice_id", "user_id", created=_ts("created_at"), paid=_ts("paid_at")
    ).unique()
    assert (
        planted["paid_before_created"] == invoices.filter(pl.col("paid") < pl.col("created")).height
    )
    users = files["users.csv"].with_columns(
        pl.col("parent_user_id", "deleted_at").replace("NULL", None)
    )
    person = users.select(user_id="id", person=pl.coalesce("parent_user_id", "id")).join(
        users.select(person="id", deleted=_ts("deleted_at")), on="person"
    )
    late = invoices.join(person, on="user_id").filter(pl.col("created") > pl.col("deleted"))
    assert planted["orders_after_deletion"] == late.height
    assert (
        planted["duplicate_rows"] == orders.filter(~pl.struct(pl.all()).is_first_distinct()).height
    )
    catalogue = files["items.csv"].select(item_id="id", catalogue="price")
    mismatched = orders.join(catalogue, on="item_id").filter(
        (pl.col("price").cast(pl.Float64) - pl.col("catalogue").cast(pl.Float64)).abs() > 0.005
    )
    assert planted["catalogue_price_mismatch"] == mismatched.height
    copies = orders.filter(orders.is_duplicated())
    assert copies.join(mismatched, on="line_item_id").height == 0


def test_webshop_planted_event_anomalies_match_the_events(demos: dict) -> None:
    events = demos["webshop"].files["events.csv"]
    days = events.select(
        pl.col("event_time").str.to_datetime("%Y-%m-%d %H-%M-%S").dt.date().unique()
    ).to_series()
    span = pl.date_range(days.min(), days.max(), "1d", eager=True)
    assert demos["webshop"].planted["empty_days"] == span.len() - days.len() == 4
    misspelled = events.filter(pl.col("parameter_name").is_in(["itme_id", "item_Id", "refferer"]))
    assert demos["webshop"].planted["misspelled_parameter"] == misspelled.height
    names = events["parameter_name"].value_counts()
    assert set(names["parameter_name"]) == {
        "item_id",
        "referrer",
        "search_query",
        "viewed_user_id",
        "itme_id",
        "item_Id",
        "refferer",
    }


def test_webshop_months_are_never_thin(demos: dict) -> None:
    created = demos["webshop"].files["orders.csv"].unique("invoice_id").select(_ts("created_at"))
    assert _thin(created.to_series()) == 0


def test_retail_planted_counts_match_the_invoice_lines(demos: dict) -> None:
    lines = demos["retail"].files["online_retail.csv"]
    planted = demos["retail"].planted
    quantity = pl.col("Quantity").cast(pl.Int64).abs()
    limit = max(100.0, 50 * lines.select(quantity.median()).item())
    assert planted["cancellations"] == lines.filter(pl.col("InvoiceNo").str.starts_with("C")).height
    assert planted["missing_customer"] == lines["CustomerID"].null_count()
    assert (
        planted["non_product_codes"]
        == lines.filter(pl.col("StockCode").str.to_uppercase().is_in(NON_PRODUCT)).height
    )
    assert (
        planted["non_positive_price"]
        == lines.filter(pl.col("UnitPrice").cast(pl.Float64) <= 0).height
    )
    assert (
        planted["duplicate_rows"] == lines.filter(~pl.struct(pl.all()).is_first_distinct()).height
    )
    assert planted["extreme_quantity"] == lines.filter(quantity > limit).height
    invoices = lines.unique("InvoiceNo").select(_ts("InvoiceDate", "%m/%d/%Y %H:%M"))
    assert _thin(invoices.to_series()) == 0


def test_retail_missing_customers_are_about_a_fifth_of_lines(demos: dict) -> None:
    share = demos["retail"].planted["missing_customer"] / DEFAULT_ROWS["retail"]
    assert 0.2 <= share <= 0.25


def test_retail_counts_follow_the_rule_definitions_on_a_hand_made_file() -> None:
    header = "InvoiceNo StockCode Description Quantity InvoiceDate UnitPrice CustomerID Country"
    rows = [
        ("536365", "85123A", "HEART", "6", "12/1/2022 8:26", "2.55", "17850", "UK"),
        ("536365", "85123A", "HEART", "6", "12/1/2022 8:26", "2.55", "17850", "UK"),
        ("C536379", "22556", "CUP", "-2", "12/1/2022 9:41", "4.25", "17850", "UK"),
        ("536380", "POST", "POSTAGE", "1", "12/1/2022 9:45", "18.0", "12583", "France"),
        ("536381", "dot", "DOTCOM POSTAGE", "1", "12/1/2022 9:57", "11.5", "14001", "UK"),
        ("536382", "21000", "BOWL", "5", "12/2/2022 10:03", "0.0", "17000", "UK"),
        ("536383", "21001", "JUG", "3", "12/2/2022 11:20", "1.0", None, "UK"),
        ("536384", "21002", "TIN", "500", "12/3/2022 12:00", "0.5", "17001", "UK"),
    ]
    frame = pl.DataFrame(rows, schema=header.split(), orient="row")
    # |Quantity| sorted 1 1 2 3 5 6 6 500: median 4, limit max(100, 200) = 200
    assert _retail_counts({"online_retail.csv": frame}) == {
        "cancellations": 1,
        "missing_customer": 1,
        "non_product_codes": 2,
        "non_positive_price": 1,
        "duplicate_rows": 1,
        "extreme_quantity": 1,
        "thin_months": 0,
        "future_dates": 0,
    }


def test_thin_months_count_empty_and_tiny_months_between_the_ends() -> None:
    # Jan 1 order, Feb-Apr 20 each, May none, Jun 20: median 20, so Jan and May are thin.
    stamps = ["2023-01-15"] + [f"2023-0{m}-10" for m in (2, 3, 4, 6) for _ in range(20)]
    moments = pl.Series(stamps).str.to_datetime("%Y-%m-%d")
    assert _thin_month_count(moments) == 2
    assert _thin_month_count(moments.filter(moments.dt.month() != 1)) == 1


# Formats of values ------------------------------------------------------------------------------


def test_olist_values_look_like_the_export(olist: dict) -> None:
    orders = olist["olist_orders_dataset.csv"]
    stamp = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"
    assert orders["order_purchase_timestamp"].str.contains(stamp).all()
    assert orders["order_estimated_delivery_date"].str.ends_with(" 00:00:00").all()
    assert orders["order_id"].str.contains(r"^[0-9a-f]{32}$").all()
    assert orders["order_id"].n_unique() == orders.height
    zips = olist["olist_customers_dataset.csv"]["customer_zip_code_prefix"]
    assert zips.str.contains(r"^\d{5}$").all()
    assert zips.str.starts_with("0").any()
    prices = olist["olist_order_items_dataset.csv"]["price"]
    assert prices.str.contains(r"^\d+\.\d{1,2}$").all()
    assert prices.str.ends_with(".0").any()


def test_olist_non_delivered_orders_have_no_delivery_date(olist: dict) -> None:
    orders = olist["olist_orders_dataset.csv"]
    others = orders.filter(pl.col("order_status") != "delivered")
    assert others["order_delivered_customer_date"].null_count() == others.height
    share = (orders["order_status"] == "delivered").mean()
    assert 0.95 < share < 0.99
    assert set(orders["order_status"]) == {
        "delivered",
        "shipped",
        "canceled",
        "unavailable",
        "invoiced",
        "processing",
    }


def test_webshop_event_times_use_dashes_in_the_time(demos: dict) -> None:
    times = demos["webshop"].files["events.csv"]["event_time"]
    assert times.str.contains(r"^\d{4}-\d{2}-\d{2} \d{2}-\d{2}-\d{2}$").all()


def test_webshop_users_write_missing_values_as_null_text(demos: dict) -> None:
    users = demos["webshop"].files["users.csv"]
    for column in ("parent_user_id", "deleted_at", "merged_at"):
        assert users[column].null_count() == 0
        assert (users[column] == "NULL").mean() > 0.9
    merged = users.filter(pl.col("parent_user_id") != "NULL")
    assert (merged["merged_at"] != "NULL").all()
    assert 0.02 <= merged.height / users.height <= 0.04
    assert 0.01 <= (users["deleted_at"] != "NULL").mean() <= 0.04


def test_retail_values_look_like_the_uci_csv(demos: dict) -> None:
    lines = demos["retail"].files["online_retail.csv"]
    assert lines["InvoiceDate"].str.contains(r"^[1-9]\d?/[1-9]\d?/\d{4} [1-9]?\d:\d{2}$").all()
    known = lines["CustomerID"].drop_nulls()
    assert known.str.contains(r"^\d{5}$").all()
    assert (lines["Description"] == lines["Description"].str.to_uppercase()).mean() > 0.99
    codes = lines["StockCode"].unique()
    assert 2000 <= codes.len() <= 3100
    assert codes.str.contains(r"^\d{5}[A-G]$").any()
    assert (lines["Country"] == "United Kingdom").mean() > 0.85


def test_retail_cancellations_start_with_c_and_return_goods(demos: dict) -> None:
    lines = demos["retail"].files["online_retail.csv"]
    quantity = pl.col("Quantity").cast(pl.Int64)
    cancelled = lines.filter(pl.col("InvoiceNo").str.starts_with("C"))
    assert cancelled.height > 0
    assert cancelled.filter(quantity >= 0).height == 0
    assert lines.filter(~pl.col("InvoiceNo").str.starts_with("C") & (quantity < 0)).height == 0


# Id spaces past the sizes of the UCI file: a bench may ask for 10M retail lines -----------------


def test_retail_customer_codes_stay_five_digit_while_they_fit_and_grow_past_87654() -> None:
    rng = np.random.default_rng(7)
    for n, digits in ((1_107, r"^\d{5}$"), (87_654, r"^\d{5}$"), (400_000, r"^\d{5,7}$")):
        codes = _customer_codes(rng, n)
        assert codes.size == n
        assert np.unique(codes).size == n
        assert (np.diff(codes) > 0).all()  # in increasing order, as customers are numbered
        assert codes.min() >= 12346
        assert pl.Series(codes).cast(pl.String).str.contains(digits).all()
    assert codes.max() >= 1_000_000  # 400,000 customers need seven digits
    # 87,654 customers take every five-digit code from 12346 on
    assert _customer_codes(rng, 87_654).tolist() == list(range(12346, 100_000))


def test_retail_invoice_numbers_keep_six_digits_up_to_900000_invoices_and_grow_past() -> None:
    rng = np.random.default_rng(7)
    for n, first, digits in (
        (2_000, 536365, r"^C?\d{6}$"),
        (463_635, 536365, r"^C?\d{6}$"),  # the most that fit from the UCI file's first number
        (740_000, 260_000, r"^C?\d{6}$"),  # about 10M lines
        (1_500_000, 100_000, r"^C?\d{6,7}$"),
    ):
        rank = rng.permutation(n)
        cancelled = rng.random(n) < 0.05
        number = _invoice_numbers(rank, cancelled)
        assert number.len() == n
        assert number.str.contains(digits).all()
        assert (number.str.starts_with("C") == pl.Series(cancelled)).all()
        value = number.str.strip_prefix("C").cast(pl.Int64)
        assert value.n_unique() == n  # a cancellation has a number of its own
        assert (value - first == pl.Series(rank)).all()  # numbered in time order
    assert value.max() == 1_599_999


def test_the_retail_reader_takes_ids_past_the_uci_ranges() -> None:
    customer = _customer_codes(np.random.default_rng(3), 400_000)[[0, -1, -1]]
    rank = np.arange(1_300_001)
    number = _invoice_numbers(rank, rank == 1_300_000)  # numbered from 100000 on
    frame = pl.DataFrame(
        {
            "InvoiceNo": number.gather([0, 1_199_999, 1_300_000]),
            "StockCode": ["85123A", "71053", "71053"],
            "Description": ["HEART", "LANTERN", "LANTERN"],
            "Quantity": ["6", "2", "-1"],
            "InvoiceDate": ["12/1/2022 8:26", "12/9/2023 9:41", "12/9/2023 11:02"],
            "UnitPrice": ["2.55", "3.39", "3.39"],
            "CustomerID": pl.Series(customer).cast(pl.String),
            "Country": ["United Kingdom"] * 3,
        }
    )
    lines = formats.assemble([io.RawTable("r.csv", "r.csv", frame)]).dataset.tables["lines"]
    assert lines["order_id"].to_list() == ["100000", "1299999", "C1400000"]
    assert lines["is_return"].to_list() == [False, False, True]
    assert lines["customer_id"].to_list() == [str(c) for c in customer]


def test_retail_duplicate_count_is_that_of_a_full_unique(demos: dict) -> None:
    lines = demos["retail"].files["online_retail.csv"]
    copies = lines.filter(pl.col("CustomerID").is_null()).head(3)
    for frame in (lines, pl.concat([lines, copies, copies])):
        counted = _retail_counts({"online_retail.csv": frame})["duplicate_rows"]
        assert counted == frame.height - frame.unique().height


# Keys and realism -------------------------------------------------------------------------------


def test_olist_keys_join_across_files(olist: dict) -> None:
    orders = olist["olist_orders_dataset.csv"]
    items = olist["olist_order_items_dataset.csv"]
    customers = olist["olist_customers_dataset.csv"]
    assert items.join(orders, on="order_id", how="anti").height == 0
    assert orders.join(customers, on="customer_id", how="anti").height == 0
    assert customers["customer_id"].n_unique() == customers.height == orders.height
    products = olist["olist_products_dataset.csv"]
    assert items.join(products, on="product_id", how="anti").height == 0
    sellers = olist["olist_sellers_dataset.csv"]
    assert items.join(sellers, on="seller_id", how="anti").height == 0
    deals = olist["olist_closed_deals_dataset.csv"]
    leads = olist["olist_marketing_qualified_leads_dataset.csv"]
    assert deals.join(leads, on="mql_id", how="anti").height == 0
    assert deals.join(sellers, on="seller_id", how="anti").height == 0
    reviews = olist["olist_order_reviews_dataset.csv"]
    assert reviews.join(orders, on="order_id", how="anti").height == 0
    zips = pl.concat(
        [customers["customer_zip_code_prefix"], sellers["seller_zip_code_prefix"]]
    ).unique()
    geo = olist["olist_geolocation_dataset.csv"]["geolocation_zip_code_prefix"].unique()
    assert zips.sort().equals(geo.sort())


def test_some_olist_persons_order_more_than_once(olist: dict) -> None:
    per_person = olist["olist_customers_dataset.csv"].group_by("customer_unique_id").len()
    assert 0.03 <= (per_person["len"] >= 2).mean() <= 0.05


def test_late_olist_orders_get_lower_reviews(olist: dict) -> None:
    orders = olist["olist_orders_dataset.csv"].filter(
        pl.col("order_status") == "delivered",
        pl.col("order_delivered_customer_date").is_not_null(),
    )
    late = orders.select(
        "order_id",
        late=_ts("order_delivered_customer_date").dt.date()
        > _ts("order_estimated_delivery_date").dt.date(),
    )
    scores = (
        late.join(olist["olist_order_reviews_dataset.csv"], on="order_id")
        .group_by("late")
        .agg(pl.col("review_score").cast(pl.Int64).mean())
    )
    mean = dict(scores.iter_rows())
    assert mean[False] - mean[True] > 1
    assert 0.06 <= late["late"].mean() <= 0.10


def test_north_east_olist_customers_wait_longer_than_sao_paulo(olist: dict) -> None:
    states = io.read_reference("br_states.csv")
    days = (
        olist["olist_orders_dataset.csv"]
        .join(olist["olist_customers_dataset.csv"], on="customer_id")
        .join(states.select(customer_state="state", region="region"), on="customer_state")
        .select(
            "customer_state",
            "region",
            days=(
                _ts("order_delivered_customer_date") - _ts("order_purchase_timestamp")
            ).dt.total_hours()
            / 24,
        )
        .drop_nulls()
    )
    sp = days.filter(pl.col("customer_state") == "SP")["days"].median()
    north_east = days.filter(pl.col("region") == "Nordeste")["days"].median()
    assert north_east > sp + 3
    biggest = days.group_by("customer_state").len().sort("len", descending=True)
    assert biggest["customer_state"][0] == "SP"


def test_every_olist_november_sells_more_than_the_average_month(olist: dict) -> None:
    revenue = (
        olist["olist_order_items_dataset.csv"]
        .join(olist["olist_orders_dataset.csv"], on="order_id")
        .group_by(_ts("order_purchase_timestamp").dt.truncate("1mo").alias("month"))
        .agg(pl.col("price").cast(pl.Float64).sum())
    )
    novembers = revenue.filter(pl.col("month").dt.month() == 11)
    assert novembers.height == 2
    assert (novembers["price"] > revenue["price"].mean()).all()


def test_olist_orders_with_several_items_and_sellers_exist(olist: dict) -> None:
    per_order = (
        olist["olist_order_items_dataset.csv"]
        .group_by("order_id")
        .agg(pl.len(), pl.col("seller_id").n_unique().alias("sellers"))
    )
    assert 0.05 <= (per_order["len"] > 1).mean() <= 0.2
    assert (per_order["sellers"] > 1).mean() > 0.02


def test_deal_sellers_sell_only_after_the_deal_was_won(olist: dict) -> None:
    deals = olist["olist_closed_deals_dataset.csv"]
    planted_early = deals.join(
        olist["olist_marketing_qualified_leads_dataset.csv"], on="mql_id"
    ).filter(_ts("won_date") < pl.col("first_contact_date").str.to_datetime("%Y-%m-%d"))
    sales = (
        olist["olist_order_items_dataset.csv"]
        .join(olist["olist_orders_dataset.csv"], on="order_id")
        .join(deals.join(planted_early, on="mql_id", how="anti"), on="seller_id")
    )
    assert sales["seller_id"].n_unique() > 50
    assert sales.filter(_ts("order_purchase_timestamp") < _ts("won_date")).height == 0


def test_sales_reps_differ_in_speed_on_lead_types(olist: dict) -> None:
    leads = olist["olist_marketing_qualified_leads_dataset.csv"]
    deals = olist["olist_closed_deals_dataset.csv"].join(leads, on="mql_id")
    speed = deals.with_columns(
        days=(
            _ts("won_date") - pl.col("first_contact_date").str.to_datetime("%Y-%m-%d")
        ).dt.total_days()
    )
    median = speed.group_by("sr_id", "lead_type").agg(pl.col("days").median(), pl.len())
    big = median.filter(pl.col("lead_type") == "online_big", pl.col("len") >= 8).sort("days")
    industry = median.filter(pl.col("lead_type") == "industry", pl.col("len") >= 8).sort("days")
    assert big["sr_id"][0] == FAST_SR_ID
    assert industry["sr_id"][-1] == SLOW_SR_ID
    assert 0.09 <= deals.height / leads.height <= 0.12
    assert speed["sdr_id"].n_unique() == 8
    assert speed["sr_id"].n_unique() == 10


def test_webshop_invoice_lines_share_user_and_times(demos: dict) -> None:
    per_invoice = (
        demos["webshop"]
        .files["orders.csv"]
        .group_by("invoice_id")
        .agg(pl.col("line_item_id", "user_id", "created_at", "paid_at").n_unique())
    )
    assert per_invoice["line_item_id"].min() == 1
    assert per_invoice["line_item_id"].max() == 4
    assert per_invoice.select(pl.col("user_id", "created_at", "paid_at").max()).row(0) == (1, 1, 1)


def test_webshop_iphone_views_convert_about_twice_as_often_as_web(demos: dict) -> None:
    files = demos["webshop"].files
    views = files["events.csv"].filter(
        pl.col("event_name") == "view_item", pl.col("parameter_name") == "item_id"
    )
    ordered = files["orders.csv"].select("user_id", "item_id", ordered=pl.lit(True)).unique()
    rate = (
        views.join(
            ordered,
            left_on=["user_id", "parameter_value"],
            right_on=["user_id", "item_id"],
            how="left",
        )
        .group_by("platform")
        .agg(pl.col("ordered").is_not_null().mean())
    )
    by_platform = dict(rate.iter_rows())
    assert 1.6 <= by_platform["iphone"] / by_platform["web"] <= 2.5


def test_webshop_planted_item_pairs_are_the_most_co_viewed(demos: dict) -> None:
    views = (
        demos["webshop"]
        .files["events.csv"]
        .filter(pl.col("event_name") == "view_item", pl.col("parameter_name") == "item_id")
        .select("user_id", item=pl.col("parameter_value").cast(pl.Int64))
        .unique()
    )
    pairs = (
        views.join(views, on="user_id")
        .filter(pl.col("item") < pl.col("item_right"))
        .group_by("item", "item_right")
        .len()
        .sort("len", "item", "item_right", descending=[True, False, False])
    )
    top = {tuple(p) for p in pairs.head(len(CO_VIEWED_PAIRS)).select("item", "item_right").rows()}
    assert top == {tuple(sorted(p)) for p in CO_VIEWED_PAIRS}
    assert pairs["len"][len(CO_VIEWED_PAIRS)] * 1.5 < pairs["len"][len(CO_VIEWED_PAIRS) - 1]


def test_retail_customers_buy_at_most_once_a_day(demos: dict) -> None:
    lines = (
        demos["retail"]
        .files["online_retail.csv"]
        .filter(pl.col("CustomerID").is_not_null(), ~pl.col("InvoiceNo").str.starts_with("C"))
    )
    per_day = lines.group_by(
        "CustomerID", _ts("InvoiceDate", "%m/%d/%Y %H:%M").dt.date().alias("day")
    ).agg(pl.col("InvoiceNo").n_unique())
    assert per_day["InvoiceNo"].max() == 1
    repeaters = per_day.group_by("CustomerID").len()
    assert 0.2 <= (repeaters["len"] > 1).mean() <= 0.8


def test_retail_truth_holds_the_generating_parameters(demos: dict) -> None:
    truth = demos["retail"].truth
    assert {k: truth[k] for k in ("bgnbd_r", "bgnbd_alpha", "bgnbd_a", "bgnbd_b")} == {
        "bgnbd_r": 0.6,
        "bgnbd_alpha": 8.0,
        "bgnbd_a": 0.7,
        "bgnbd_b": 3.0,
    }
    assert (truth["gg_p"], truth["gg_q"], truth["gg_v"]) == (6.0, 4.0, 150.0)
    customers = demos["retail"].files["online_retail.csv"]["CustomerID"].drop_nulls().n_unique()
    assert truth["customers"] == customers


def test_br_states_lists_the_27_units_with_centroids_inside_brazil() -> None:
    states = io.read_reference("br_states.csv")
    assert states.columns == ["state", "name", "lat", "lon", "region"]
    assert states.height == states["state"].n_unique() == 27
    assert states["lat"].is_between(-34, 6).all()
    assert states["lon"].is_between(-74, -34).all()
    regions = dict(states.group_by("region").len().iter_rows())
    assert regions == {"Norte": 7, "Nordeste": 9, "Centro-Oeste": 4, "Sudeste": 4, "Sul": 3}
    sp = states.filter(pl.col("state") == "SP").row(0, named=True)
    assert (sp["name"], sp["region"]) == ("São Paulo", "Sudeste")


def test_demo_never_names_a_date_after_the_period(demos: dict) -> None:
    purchases = demos["marketplace"].files["olist_orders_dataset.csv"]["order_purchase_timestamp"]
    assert purchases.min() >= "2022-01-01" and purchases.max() < "2024-09-01"
    created = demos["webshop"].files["orders.csv"]["created_at"]
    assert created.min() >= "2023-01-01" and created.max() < "2024-07-01"
    dates = (
        demos["retail"]
        .files["online_retail.csv"]
        .select(_ts("InvoiceDate", "%m/%d/%Y %H:%M").alias("at"))["at"]
    )
    assert str(dates.min().date()) == "2022-12-01"
    assert str(dates.max().date()) == "2023-12-09"
