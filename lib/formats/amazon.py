"""Amazon Seller Central "All Orders" report: a tab-separated flat file, one row per order item."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from lib import fmt
from lib.formats import base
from lib.formats.base import DATE, ID, NUMBER, TEXT, Converter, FormatResult, Kind, written
from lib.formats.shop import (
    UTC_TIMES,
    counted,
    customers_of,
    items_of,
    main_currency,
    person_ids,
    set_apart,
)
from lib.model import Note, conform

FORMAT = "amazon"
FILE_KIND = "orders"

KINDS = (
    Kind(
        FORMAT,
        FILE_KIND,
        "Amazon Seller Central order report",
        ("amazon-order-id", "purchase-date", "order-status", "sku", "quantity", "item-price"),
    ),
)

# Marketplaces that show prices with VAT (or GST) included: there item-price includes item-tax.
VAT_INCLUDED = (
    "amazon.co.uk",
    "amazon.de",
    "amazon.fr",
    "amazon.it",
    "amazon.es",
    "amazon.nl",
    "amazon.se",
    "amazon.pl",
    "amazon.com.be",
    "amazon.ie",
    "amazon.in",
)
# The sales channel of Multi-Channel Fulfilment: the seller's own orders that Amazon ships.
NON_AMAZON = "non-amazon"


def build(
    found: dict[str, pl.DataFrame],
    files: dict[str, str],
    parts: Mapping[str, Sequence[tuple[str, int]]] | None = None,
) -> FormatResult:
    """Canonical lines, orders and items (customers when the report has buyer-email).

    item-price is the line total, the item's price times its quantity (Amazon's definition of
    ItemPrice), with VAT where the marketplace shows prices with VAT. A line's revenue is
    item-price less its promotion discount (the report writes discounts as negative or positive
    amounts: either way they lower revenue) and less item-tax where the price includes it.
    Shipping (less its promotion) and taxes are reported apart. Pending orders (no payment yet,
    often no price), Multi-Channel Fulfilment orders, cancelled items of open orders and orders
    in other currencies than the main one are left out, each counted in a note; cancelled orders
    keep status "cancelled", so they are set apart as unsold.
    """
    file = files.get(FILE_KIND, FILE_KIND)
    raw = found[FILE_KIND]
    conv = Converter(file, (parts or {}).get(FILE_KIND, ()))
    rows = conv.select(
        raw,
        order_id=(ID, "amazon-order-id"),
        ordered_at=(DATE, "purchase-date"),
        status=(TEXT, "order-status"),
        channel=(TEXT, "sales-channel"),
        item_id=(ID, "sku"),
        item_name=(TEXT, "product-name"),
        item_status=(TEXT, "item-status"),
        quantity=(NUMBER, "quantity"),
        currency=(TEXT, "currency"),
        price=(NUMBER, "item-price"),
        tax=(NUMBER, "item-tax"),
        discount=(NUMBER, "item-promotion-discount"),
        shipping=(NUMBER, "shipping-price"),
        shipping_tax=(NUMBER, "shipping-tax"),
        ship_discount=(NUMBER, "ship-promotion-discount"),
        region=(TEXT, "ship-country"),
        email=(TEXT, "buyer-email"),
    ).with_columns(pl.col("status").str.to_lowercase(), pl.col("channel").str.to_lowercase())
    has_email = written(raw.columns, "buyer-email") in raw.columns
    # The address itself goes as soon as it has given its person's id.
    rows = rows.with_columns(person_ids(rows["email"]).alias("customer_id")).drop("email")
    rows = conv.drop_missing(rows, "ordered_at", "an order line needs its purchase date")
    rows = conv.drop_missing(rows, "order_id", "an order line needs its amazon-order-id")

    notes: list[Note] = []
    for rule, column, what, why in (
        (
            pl.col("status").str.starts_with("pending"),
            "order-status",
            "pending orders",
            "Amazon has not taken their payment yet and often gives them no price; they count "
            "once the order is unshipped or shipped",
        ),
        (
            pl.col("channel") == NON_AMAZON,
            "sales-channel",
            "Multi-Channel Fulfilment orders (sales channel Non-Amazon)",
            "Amazon shipped them for orders taken elsewhere, which that shop's export counts",
        ),
    ):
        rows, noted = set_apart(rows, rule, (file, column), what=what, why=why)
        notes += noted
    rows, noted = _cancelled_items(rows, file)
    notes += noted
    rows, currency, noted = main_currency(rows, file, "currency", "order_id")
    notes += noted

    vat = pl.col("channel").is_in(VAT_INCLUDED).fill_null(False)
    rows = rows.with_columns(
        (
            pl.col("price").fill_null(0.0)
            - pl.col("discount").abs().fill_null(0.0)
            - pl.when(vat).then(pl.col("tax").fill_null(0.0)).otherwise(0.0)
        ).alias("revenue"),
        pl.when(pl.col("quantity") > 0)
        .then(pl.col("price") / pl.col("quantity"))
        .alias("unit_price"),
        (pl.col("shipping").fill_null(0.0) - pl.col("ship_discount").abs().fill_null(0.0)).alias(
            "freight"
        ),
        pl.lit(False).alias("is_return"),
    )
    notes += _summary_notes(rows, file, currency, has_email)

    orders = rows.group_by("order_id", maintain_order=True).agg(
        pl.col("customer_id").first(),
        pl.col("ordered_at").min(),
        pl.col("status").first(),
        pl.col("revenue").sum(),
        pl.col("freight").sum(),
    )
    items = items_of(rows)
    tables = {
        "lines": conform("lines", rows),
        "orders": conform("orders", orders),
        "items": conform("items", items),
    }
    if has_email:
        tables["customers"] = conform("customers", customers_of(rows))
    return FormatResult(tables, notes=(*conv.notes, *notes), currency=currency)


def _cancelled_items(rows: pl.DataFrame, file: str) -> tuple[pl.DataFrame, list[Note]]:
    """`rows` without the cancelled items of orders that went ahead, and a note counting them:
    the item rows left out, and of their orders those that still count with their other items
    (an order all of whose items were cancelled is left with none, so it is no order)."""
    cancelled = (pl.col("status") != "cancelled") & (
        pl.col("item_status").str.to_lowercase() == "cancelled"
    )
    out = rows.select(cancelled.fill_null(False)).to_series()
    count = int(out.sum())
    if not count:
        return rows, []
    kept = rows.filter(~out)
    ids = rows.filter(out)["order_id"].unique()
    n = ids.len()
    on = int(ids.is_in(kept["order_id"].implode()).sum())
    gone = n - on
    none_left = f"had no other item, so {fmt.plural(gone, 'it is no order', 'they are no orders')}"
    if not gone:
        after = (
            f"{fmt.plural(n, 'the order still counts', 'those orders still count')} with "
            f"{fmt.plural(n, 'its', 'their')} other items"
        )
    elif not on:
        after = f"{fmt.plural(n, 'the order', 'those orders')} {none_left}"
    else:
        after = (
            f"{on:,} of those orders still {fmt.plural(on, 'counts', 'count')} with "
            f"{fmt.plural(on, 'its', 'their')} other items; {gone:,} {none_left}"
        )
    return kept, [
        Note(
            file,
            "item-status",
            f"cancelled items of orders that went ahead {base.LEFT_OUT} "
            f"({fmt.counted(count, 'row')}, of {fmt.counted(n, 'order')}): the buyer did not "
            f"get those items and was not charged for them; {after}",
            count=count,
            rows=rows.height,
        )
    ]


def _summary_notes(rows: pl.DataFrame, file: str, currency: str, has_email: bool) -> list[Note]:
    """What the reader kept but reports apart: shipping and taxes, discounts, the missing buyer."""
    money = rows.select(
        pl.col("freight").sum(),
        (pl.col("tax").fill_null(0.0) + pl.col("shipping_tax").fill_null(0.0)).sum().alias("tax"),
        pl.col("discount").abs().sum().alias("discount"),
        (pl.col("discount").abs() > 0).sum().alias("discounted"),
    ).row(0, named=True)
    notes = [
        Note(
            file,
            "shipping-price",
            f"shipping ({money['freight']:,.2f} {currency}, less shipping promotions) and taxes "
            f"({money['tax']:,.2f} {currency}) are reported apart from item revenue",
        )
    ]
    notes += counted(
        file,
        rows.height,
        [
            (
                "item-promotion-discount",
                money["discounted"],
                f"{fmt.counted(money['discounted'], 'line')} had promotions "
                f"({money['discount']:,.2f} {currency}), taken off "
                f"{fmt.plural(money['discounted'], 'its', 'their')} revenue",
            )
        ],
    )
    notes.append(Note(file, "purchase-date", UTC_TIMES))
    if not has_email:
        notes.append(
            Note(
                file,
                "buyer-email",
                "the report names no buyer (Amazon leaves customer details out of it): Sales and "
                "Regions work, but RFM, Cohorts, Clusters and Lifetime value need a customer per "
                "order and stay off (a report with buyer-email gives them)",
                count=rows.height,
                rows=rows.height,
            )
        )
    return notes
