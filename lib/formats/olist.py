"""Olist marketplace exports (orders, items, customers, ...) and its seller-recruitment funnel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from lib import fmt
from lib.formats.base import DATE, ID, NUMBER, TEXT, Converter, Converters, FormatResult, Kind
from lib.model import Note, conform

# The stars a review gives.
REVIEW_STARS = (1, 5)

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
# The files of Olist's public download, by kind: a file under one's name that holds another's is
# read as what its columns say, and the Data page says so (lib.formats.misnamed).
FILES = {
    "orders": "olist_orders_dataset.csv",
    "order_items": "olist_order_items_dataset.csv",
    "customers": "olist_customers_dataset.csv",
    "sellers": "olist_sellers_dataset.csv",
    "products": "olist_products_dataset.csv",
    "payments": "olist_order_payments_dataset.csv",
    "reviews": "olist_order_reviews_dataset.csv",
    "geolocation": "olist_geolocation_dataset.csv",
    "translation": "product_category_name_translation.csv",
    "leads": "olist_marketing_qualified_leads_dataset.csv",
    "deals": "olist_closed_deals_dataset.csv",
}


def _zip_points(geo: pl.DataFrame | None, conv: Converter) -> pl.DataFrame | None:
    """Mean latitude and longitude per zip prefix (geolocation has many rows per prefix)."""
    if geo is None:
        return None
    return (
        conv.select(
            geo,
            zip=(ID, "geolocation_zip_code_prefix"),
            lat=(NUMBER, "geolocation_lat"),
            lon=(NUMBER, "geolocation_lng"),
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
    out = conv.select(
        products,
        item_id=(ID, "product_id"),
        category=(TEXT, "product_category_name"),
    )
    if translation is not None:
        names = conv.select(
            translation,
            category=(TEXT, "product_category_name"),
            english=(TEXT, "product_category_name_english"),
        ).unique("category", keep="first")
        out = (
            out.join(names, on="category", how="left")
            .with_columns(pl.coalesce("english", "category").alias("category"))
            .drop("english")
        )
    return out.unique("item_id", keep="first", maintain_order=True)  # one order, one hash


def _first_of(
    frame: pl.DataFrame, key: str, file: str, column: str, notes: list[Note]
) -> pl.DataFrame:
    """`frame`'s first row per `key`, for a join that must find one row per key (or a table
    of one row per key); a Note on `file`'s `column` counts the rows left out, when any. Rows
    without a key are kept, each its own (they join nothing; a blank id is no repeat)."""
    first = frame.filter(pl.col(key).is_null() | pl.col(key).is_first_distinct())
    repeated = frame.height - first.height
    if repeated:
        notes.append(
            Note(
                file,
                column,
                fmt.counted(repeated, "row repeats", "rows repeat")
                + " a value already read: the first row of each value is used, so that nothing "
                "is counted twice (two overlapping exports? upload one)",
                count=repeated,
                rows=frame.height,
            )
        )
    return first


def build(
    found: dict[str, pl.DataFrame],
    files: dict[str, str],
    parts: Mapping[str, Sequence[tuple[str, int]]] | None = None,
) -> FormatResult:
    """Canonical tables from whichever Olist files were found (keyed by kind).

    `parts` (kind -> (file, rows) per stacked file) lets each file's values be read on its own.
    """
    notes: list[Note] = []
    tables: dict[str, pl.DataFrame] = {}
    extras: dict[str, pl.DataFrame] = {}

    c = Converters(files, parts)

    points = _zip_points(found.get("geolocation"), c("geolocation"))

    person = None
    if "customers" in found:
        raw = found["customers"]
        conv = c("customers")
        cust = conv.select(
            raw,
            order_customer_id=(ID, "customer_id"),
            customer_id=(ID, "customer_unique_id"),
            region=(TEXT, "customer_state"),
            city=(TEXT, "customer_city"),
            zip=(ID, "customer_zip_code_prefix"),
        )
        # customer_id in Olist is per order; the person is customer_unique_id. One person per
        # order's customer_id: a repeated one (two overlapping exports) joined to the orders
        # would copy each order, and its lines, once per repeat (3,000 rows of one customer_id
        # and 3,000 lines of one order made 9M lines from 16 KB of zip).
        person = _first_of(
            cust.select("order_customer_id", "customer_id"),
            "order_customer_id",
            files.get("customers", "customers"),
            "customer_id",
            notes,
        )
        people = cust.drop("order_customer_id").unique(
            "customer_id", keep="last", maintain_order=True
        )
        tables["customers"] = conform("customers", _with_points(people, points))

    if "sellers" in found:
        raw = found["sellers"]
        conv = c("sellers")
        sellers = conv.select(
            raw,
            seller_id=(ID, "seller_id"),
            region=(TEXT, "seller_state"),
            city=(TEXT, "seller_city"),
            zip=(ID, "seller_zip_code_prefix"),
        ).unique("seller_id", keep="first", maintain_order=True)
        tables["sellers"] = conform("sellers", _with_points(sellers, points))

    categories = None
    if "products" in found:
        categories = _categories(found["products"], found.get("translation"), c("products"))
        if "translation" in found:  # names the table lacks stay in Portuguese: say which
            english = set(found["translation"]["product_category_name_english"].to_list())
            kept = sorted(set(categories["category"].drop_nulls().to_list()) - english - {None})
            if kept:
                notes.append(
                    Note(
                        files.get("translation", "translation"),
                        "product_category_name",
                        f"{fmt.counted(len(kept), 'category has', 'categories have')} no English "
                        f"name in the translation table ({fmt.listed(kept, most=3)}): "
                        f"{'it keeps its' if len(kept) == 1 else 'they keep their'} name as the "
                        "products file writes it",
                    )
                )
        tables["items"] = conform(
            "items",
            categories.with_columns(
                (
                    fmt.words_expr(pl.col("category").fill_null("uncategorised"))
                    + " · "
                    + pl.col("item_id").str.slice(0, 6)
                ).alias("item_name")
            ),
        )

    order_lines = None
    if "order_items" in found:
        raw = found["order_items"]
        conv = c("order_items")
        order_lines = conv.select(
            raw,
            order_id=(ID, "order_id"),
            line_no=(NUMBER, "order_item_id"),
            item_id=(ID, "product_id"),
            seller_id=(ID, "seller_id"),
            unit_price=(NUMBER, "price"),
            freight=(NUMBER, "freight_value"),
        ).with_columns(
            pl.col("line_no").cast(pl.Int64),
            pl.col("unit_price").alias("revenue"),
            pl.lit(1.0).alias("quantity"),
            pl.lit(False).alias("is_return"),
        )

    if "reviews" in found:
        raw = found["reviews"]
        conv = c("reviews")
        scored = conv.select(raw, order_id=(ID, "order_id"), review_score=(NUMBER, "review_score"))
        # Olist's scores are 1 to 5 stars: another number is no score (a 99 or a -1 read as
        # averages of 48 stars and late orders "with 1-2 stars").
        score = pl.col("review_score")
        outside = scored.filter(~score.is_between(*REVIEW_STARS))
        if outside.height:
            values = outside["review_score"].unique().sort()
            shown = ", ".join(fmt.number(v, 0 if float(v).is_integer() else 2) for v in values[:3])
            shown += ", …" if values.len() > 3 else ""
            notes.append(
                Note(
                    files.get("reviews", "reviews"),
                    "review_score",
                    f"{fmt.counted(outside.height, 'review score')} "
                    f"{fmt.plural(outside.height, 'is', 'are')} outside 1 to 5 stars ({shown}): "
                    "left out; check the column holds the stars given",
                    count=outside.height,
                )
            )
        review = (
            scored.filter(score.is_between(*REVIEW_STARS))
            .drop_nulls()
            .group_by("order_id")
            .agg(score.mean(), pl.len().alias("reviews"))
        )
        several = int((review["reviews"] > 1).sum())
        if several:
            notes.append(
                Note(
                    files.get("reviews", "reviews"),
                    "review_score",
                    f"{fmt.counted(several, 'order has', 'orders have')} several reviews: an "
                    "order's review score is the mean of its reviews",
                    count=several,
                )
            )
        review = review.drop("reviews")
    else:
        review = None

    if "payments" in found:
        raw = found["payments"]
        conv = c("payments")
        extras["payments"] = (
            conv.select(
                raw,
                order_id=(ID, "order_id"),
                paid=(NUMBER, "payment_value"),
            )
            .group_by("order_id")
            .agg(pl.col("paid").sum())
        )

    if "orders" in found:
        raw = found["orders"]
        conv = c("orders")
        orders = conv.select(
            raw,
            order_id=(ID, "order_id"),
            customer_id=(ID, "customer_id"),
            status=(TEXT, "order_status"),
            ordered_at=(DATE, "order_purchase_timestamp"),
            approved_at=(DATE, "order_approved_at"),
            shipped_at=(DATE, "order_delivered_carrier_date"),
            delivered_at=(DATE, "order_delivered_customer_date"),
            estimated_delivery_at=(DATE, "order_estimated_delivery_date"),
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
            # Olist's customer_id names an order, not a person: counted as customers, every
            # order would be a new customer (no repeat buyer, no cohort, every RFM score wrong).
            orders = orders.with_columns(pl.lit(None, pl.String).alias("customer_id"))
            notes.append(
                Note(
                    files.get("orders", "orders"),
                    "customer_id",
                    f"without {FILES['customers']} no order has a customer (Olist's "
                    "customer_id names the order, not the person): upload it for customers, "
                    "repeat rates, RFM, cohorts, clusters and lifetime value",
                )
            )
        if order_lines is not None:
            per_order = order_lines.group_by("order_id").agg(
                pl.col("revenue").sum(), pl.col("freight").sum()
            )
            orders = orders.join(per_order, on="order_id", how="left")
        if review is not None:
            orders = orders.join(review, on="order_id", how="left")
        if "payments" in extras:
            paid = extras["payments"]
            unknown = paid.filter(~pl.col("order_id").is_in(orders["order_id"].implode())).height
            if unknown:
                notes.append(
                    Note(
                        files.get("payments", "payments"),
                        "order_id",
                        fmt.counted(
                            unknown,
                            "order paid for in the payments file is",
                            "orders paid for in the payments file are",
                        )
                        + f" not in {files.get('orders', 'the orders file')}: their payments "
                        "are not used (upload the orders file the payments come with to check "
                        "them)",
                        count=unknown,
                        rows=paid.height,
                    )
                )
        tables["orders"] = conform("orders", orders)

        if order_lines is not None:
            regions = tables.get("customers")
            # One order per order_id for its lines, as for its customer above: the orders table
            # keeps every row, for Data quality to count.
            ordered = _first_of(
                orders.select("order_id", "customer_id", "ordered_at"),
                "order_id",
                files.get("orders", "orders"),
                "order_id",
                notes,
            )
            lines = order_lines.join(ordered, on="order_id", how="inner")
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
        else:
            notes.append(
                Note(
                    files.get("orders", "orders"),
                    "order_id",
                    f"without {FILES['order_items']} the orders have no lines (what was "
                    "bought, at what price): upload it for sales, categories, regions and the "
                    "customer pages",
                )
            )
    elif order_lines is not None:
        notes.append(
            Note(
                files.get("order_items", "order_items"),
                "order_id",
                "order items have no purchase dates of their own: upload "
                f"{FILES['orders']} to analyse sales",
            )
        )

    if "leads" in found:
        raw = found["leads"]
        conv = c("leads")
        leads = conv.select(
            raw,
            lead_id=(ID, "mql_id"),
            first_contact_at=(DATE, "first_contact_date"),
            origin=(TEXT, "origin"),
            landing_page=(ID, "landing_page_id"),
        )
        # One row per lead, and one deal per lead below: a repeated mql_id would count a lead
        # twice in every conversion rate, and the funnel's and Data quality's joins of deals
        # to leads multiply repeats on both sides (3,000 each from an 8 KB zip made 9M rows).
        leads = _first_of(leads, "lead_id", files.get("leads", "leads"), "mql_id", notes)
        tables["leads"] = conform("leads", leads)

    if "deals" in found:
        raw = found["deals"]
        conv = c("deals")
        deals = conv.select(
            raw,
            lead_id=(ID, "mql_id"),
            won_at=(DATE, "won_date"),
            seller_id=(ID, "seller_id"),
            sdr_id=(ID, "sdr_id"),
            sr_id=(ID, "sr_id"),
            business_segment=(TEXT, "business_segment"),
            lead_type=(TEXT, "lead_type"),
            behaviour_profile=(TEXT, "lead_behaviour_profile"),
            business_type=(TEXT, "business_type"),
            declared_monthly_revenue=(NUMBER, "declared_monthly_revenue"),
        )
        deals = _first_of(deals, "lead_id", files.get("deals", "deals"), "mql_id", notes)
        tables["deals"] = conform("deals", deals)

    notes.extend(c.notes())
    return FormatResult(tables, extras, tuple(notes), CURRENCY)
