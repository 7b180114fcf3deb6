"""Olist marketplace exports (orders, items, customers, ...) and its seller-recruitment funnel."""

from __future__ import annotations

import polars as pl

from lib.formats.base import Converter, FormatResult, Kind
from lib.model import Note, conform

FORMAT = "olist"
CURRENCY = "BRL"

KINDS = (
    Kind(
        FORMAT,
        "orders",
        "Olist orders",
        ("order_id", "customer_id", "order_status", "order_purchase_timestamp"),
    ),
    Kind(
        FORMAT,
        "order_items",
        "Olist order items",
        ("order_id", "order_item_id", "product_id", "seller_id", "price"),
    ),
    Kind(FORMAT, "customers", "Olist customers", ("customer_id", "customer_unique_id")),
    Kind(
        FORMAT, "sellers", "Olist sellers", ("seller_id", "seller_zip_code_prefix", "seller_state")
    ),
    Kind(FORMAT, "products", "Olist products", ("product_id", "product_category_name")),
    Kind(FORMAT, "payments", "Olist payments", ("order_id", "payment_sequential", "payment_value")),
    Kind(FORMAT, "reviews", "Olist reviews", ("review_id", "order_id", "review_score")),
    Kind(
        FORMAT,
        "geolocation",
        "Olist geolocation",
        ("geolocation_zip_code_prefix", "geolocation_lat", "geolocation_lng"),
    ),
    Kind(
        FORMAT,
        "translation",
        "Olist category translation",
        ("product_category_name", "product_category_name_english"),
    ),
    Kind(
        FORMAT,
        "leads",
        "Olist marketing-qualified leads",
        ("mql_id", "first_contact_date", "origin"),
    ),
    Kind(
        FORMAT,
        "deals",
        "Olist closed deals",
        ("mql_id", "seller_id", "sdr_id", "sr_id", "won_date"),
    ),
)


def _zip_points(geo: pl.DataFrame | None, conv: Converter) -> pl.DataFrame | None:
    """Mean latitude and longitude per zip prefix (geolocation has many rows per prefix)."""
    if geo is None:
        return None
    return (
        pl.DataFrame(
            [
                conv.ident(geo, "geolocation_zip_code_prefix").alias("zip"),
                conv.number(geo, "geolocation_lat").alias("lat"),
                conv.number(geo, "geolocation_lng").alias("lon"),
            ]
        )
        .drop_nulls()
        .group_by("zip")
        .agg(pl.col("lat").mean(), pl.col("lon").mean())
    )


def _with_points(frame: pl.DataFrame, points: pl.DataFrame | None) -> pl.DataFrame:
    return frame if points is None else frame.join(points, on="zip", how="left")


def _categories(
    products: pl.DataFrame, translation: pl.DataFrame | None, conv: Converter
) -> pl.DataFrame:
    """product_id -> category, in English when the translation table is loaded."""
    out = pl.DataFrame(
        [
            conv.ident(products, "product_id").alias("item_id"),
            conv.text(products, "product_category_name").alias("category"),
        ]
    )
    if translation is not None:
        names = pl.DataFrame(
            [
                conv.text(translation, "product_category_name").alias("category"),
                conv.text(translation, "product_category_name_english").alias("english"),
            ]
        ).unique("category", keep="first")
        out = (
            out.join(names, on="category", how="left")
            .with_columns(pl.coalesce("english", "category").alias("category"))
            .drop("english")
        )
    return out.unique("item_id", keep="first")


def build(found: dict[str, pl.DataFrame], files: dict[str, str]) -> FormatResult:
    """Canonical tables from whichever Olist files were found (keyed by kind)."""
    notes: list[Note] = []
    tables: dict[str, pl.DataFrame] = {}
    extras: dict[str, pl.DataFrame] = {}

    convs: list[Converter] = []

    def c(kind: str) -> Converter:
        conv = Converter(files.get(kind, kind))
        convs.append(conv)
        return conv

    points = _zip_points(found.get("geolocation"), c("geolocation"))

    person = None
    if "customers" in found:
        raw = found["customers"]
        conv = c("customers")
        cust = pl.DataFrame(
            [
                conv.ident(raw, "customer_id").alias("order_customer_id"),
                conv.ident(raw, "customer_unique_id").alias("customer_id"),
                conv.text(raw, "customer_state").alias("region"),
                conv.text(raw, "customer_city").alias("city"),
                conv.ident(raw, "customer_zip_code_prefix").alias("zip"),
            ]
        )
        # customer_id in Olist is per order; the person is customer_unique_id.
        person = cust.select("order_customer_id", "customer_id")
        people = cust.drop("order_customer_id").unique(
            "customer_id", keep="last", maintain_order=True
        )
        tables["customers"] = conform("customers", _with_points(people, points))

    if "sellers" in found:
        raw = found["sellers"]
        conv = c("sellers")
        sellers = pl.DataFrame(
            [
                conv.ident(raw, "seller_id").alias("seller_id"),
                conv.text(raw, "seller_state").alias("region"),
                conv.text(raw, "seller_city").alias("city"),
                conv.ident(raw, "seller_zip_code_prefix").alias("zip"),
            ]
        ).unique("seller_id", keep="first", maintain_order=True)
        tables["sellers"] = conform("sellers", _with_points(sellers, points))

    categories = None
    if "products" in found:
        categories = _categories(found["products"], found.get("translation"), c("products"))
        tables["items"] = conform(
            "items",
            categories.with_columns(
                (
                    pl.col("category").fill_null("uncategorised")
                    + " · "
                    + pl.col("item_id").str.slice(0, 6)
                ).alias("item_name")
            ),
        )

    order_lines = None
    if "order_items" in found:
        raw = found["order_items"]
        conv = c("order_items")
        price = conv.number(raw, "price")
        order_lines = pl.DataFrame(
            [
                conv.ident(raw, "order_id").alias("order_id"),
                conv.number(raw, "order_item_id").cast(pl.Int64).alias("line_no"),
                conv.ident(raw, "product_id").alias("item_id"),
                conv.ident(raw, "seller_id").alias("seller_id"),
                price.alias("unit_price"),
                price.alias("revenue"),
                conv.number(raw, "freight_value").alias("freight"),
            ]
        ).with_columns(pl.lit(1.0).alias("quantity"), pl.lit(False).alias("is_return"))

    if "reviews" in found:
        raw = found["reviews"]
        conv = c("reviews")
        review = (
            pl.DataFrame(
                [
                    conv.ident(raw, "order_id").alias("order_id"),
                    conv.number(raw, "review_score").alias("review_score"),
                ]
            )
            .drop_nulls()
            .group_by("order_id")
            .agg(pl.col("review_score").mean())
        )
    else:
        review = None

    if "payments" in found:
        raw = found["payments"]
        conv = c("payments")
        extras["payments"] = (
            pl.DataFrame(
                [
                    conv.ident(raw, "order_id").alias("order_id"),
                    conv.number(raw, "payment_value").alias("paid"),
                ]
            )
            .group_by("order_id")
            .agg(pl.col("paid").sum())
        )

    if "orders" in found:
        raw = found["orders"]
        conv = c("orders")
        orders = pl.DataFrame(
            [
                conv.ident(raw, "order_id").alias("order_id"),
                conv.ident(raw, "customer_id").alias("customer_id"),
                conv.text(raw, "order_status").alias("status"),
                conv.datetime(raw, "order_purchase_timestamp").alias("ordered_at"),
                conv.datetime(raw, "order_approved_at").alias("approved_at"),
                conv.datetime(raw, "order_delivered_carrier_date").alias("shipped_at"),
                conv.datetime(raw, "order_delivered_customer_date").alias("delivered_at"),
                conv.datetime(raw, "order_estimated_delivery_date").alias("estimated_delivery_at"),
            ]
        )
        orders = conv.drop_missing(orders, "ordered_at", "an order needs its purchase date")
        if person is not None:
            orders = (
                orders.rename({"customer_id": "order_customer_id"})
                .join(person, on="order_customer_id", how="left")
                .with_columns(pl.coalesce("customer_id", "order_customer_id").alias("customer_id"))
                .drop("order_customer_id")
            )
        else:
            notes.append(
                Note(
                    files.get("orders", "orders"),
                    "customer_id",
                    "without olist_customers_dataset.csv every order counts as a new customer "
                    "(Olist's customer_id is per order): upload it for repeat rates, RFM, cohorts "
                    "and lifetime value",
                )
            )
        if order_lines is not None:
            per_order = order_lines.group_by("order_id").agg(
                pl.col("revenue").sum(), pl.col("freight").sum()
            )
            orders = orders.join(per_order, on="order_id", how="left")
        if review is not None:
            orders = orders.join(review, on="order_id", how="left")
        tables["orders"] = conform("orders", orders)

        if order_lines is not None:
            regions = tables.get("customers")
            lines = order_lines.join(
                orders.select("order_id", "customer_id", "ordered_at"), on="order_id", how="inner"
            )
            if categories is not None:
                lines = lines.join(categories, on="item_id", how="left")
            if regions is not None:
                lines = lines.join(
                    regions.select("customer_id", "region"), on="customer_id", how="left"
                )
            if "items" in tables:
                lines = lines.join(
                    tables["items"].select("item_id", "item_name"), on="item_id", how="left"
                )
            tables["lines"] = conform("lines", lines)
    elif order_lines is not None:
        notes.append(
            Note(
                files.get("order_items", "order_items"),
                "order_id",
                "order items have no purchase dates of their own: upload olist_orders_dataset.csv "
                "to analyse sales",
            )
        )

    if "leads" in found:
        raw = found["leads"]
        conv = c("leads")
        leads = pl.DataFrame(
            [
                conv.ident(raw, "mql_id").alias("lead_id"),
                conv.datetime(raw, "first_contact_date").alias("first_contact_at"),
                conv.text(raw, "origin").alias("origin"),
                conv.ident(raw, "landing_page_id").alias("landing_page"),
            ]
        )
        tables["leads"] = conform("leads", leads)

    if "deals" in found:
        raw = found["deals"]
        conv = c("deals")
        deals = pl.DataFrame(
            [
                conv.ident(raw, "mql_id").alias("lead_id"),
                conv.datetime(raw, "won_date").alias("won_at"),
                conv.ident(raw, "seller_id").alias("seller_id"),
                conv.ident(raw, "sdr_id").alias("sdr_id"),
                conv.ident(raw, "sr_id").alias("sr_id"),
                conv.text(raw, "business_segment").alias("business_segment"),
                conv.text(raw, "lead_type").alias("lead_type"),
                conv.text(raw, "lead_behaviour_profile").alias("behaviour_profile"),
                conv.text(raw, "business_type").alias("business_type"),
                conv.number(raw, "declared_monthly_revenue").alias("declared_monthly_revenue"),
            ]
        )
        tables["deals"] = conform("deals", deals)

    for conv in convs:
        notes.extend(conv.notes)
    return FormatResult(tables, extras, tuple(notes), CURRENCY)
