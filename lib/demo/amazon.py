"""Amazon Seller Central demo: the "All Orders" report, tab-separated, one row per order item.

A US seller on Amazon.com with a Canadian storefront (Amazon.ca, in CAD), fulfilled by Amazon
or by the merchant. The report names no buyer. Planted: pending orders (no price yet),
cancelled orders, cancelled items of shipped orders, Multi-Channel Fulfilment orders (sales
channel Non-Amazon, no price), promotions, and the CAD orders of a second currency.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from lib.demo.common import _DAY, _frame, _ts_text
from lib.demo.shop import baskets, catalogue, money_text, shop_orders

COLUMNS: dict[str, tuple[str, ...]] = {
    "All Orders Report.txt": (
        "amazon-order-id",
        "merchant-order-id",
        "purchase-date",
        "last-updated-date",
        "order-status",
        "fulfillment-channel",
        "sales-channel",
        "order-channel",
        "ship-service-level",
        "product-name",
        "sku",
        "asin",
        "item-status",
        "quantity",
        "currency",
        "item-price",
        "item-tax",
        "shipping-price",
        "shipping-tax",
        "gift-wrap-price",
        "gift-wrap-tax",
        "item-promotion-discount",
        "ship-promotion-discount",
        "ship-city",
        "ship-state",
        "ship-postal-code",
        "ship-country",
        "promotion-ids",
        "cpf",
        "is-business-order",
        "purchase-order-number",
        "price-designation",
    ),
}
FILE = "All Orders Report.txt"
_ISO_OFFSET = "%Y-%m-%dT%H:%M:%S+00:00"
# (city, state, postal code, country); the Canadian ones buy on Amazon.ca.
_PLACES = (
    ("Seattle", "WA", "98101", "US"),
    ("Austin", "TX", "78701", "US"),
    ("Brooklyn", "NY", "11201", "US"),
    ("Denver", "CO", "80202", "US"),
    ("San Diego", "CA", "92101", "US"),
    ("Columbus", "OH", "43215", "US"),
    ("Orlando", "FL", "32801", "US"),
    ("Chicago", "IL", "60601", "US"),
    ("Toronto", "ON", "M5V 2T6", "CA"),
    ("Vancouver", "BC", "V6B 1A1", "CA"),
)
_PLACE_SHARE = (0.1, 0.12, 0.13, 0.08, 0.17, 0.08, 0.1, 0.1, 0.08, 0.04)
_TAX = {"US": 0.07, "CA": 0.13}


def _amazon(
    rows: int, rng: np.random.Generator, patterns: bool = True
) -> tuple[dict[str, pl.DataFrame], dict]:
    del patterns  # no planted trend
    orders = shop_orders(rng, max(50, round(rows / 1.45)))
    items = catalogue(rng, 150, "AZ")
    asin = np.asarray([f"B0{rng.integers(10**7, 10**8)}X" for _ in items.sku], dtype=object)
    line_order, line_item, qty = baskets(rng, orders, items)
    n_orders, n_lines = orders.customer.size, line_order.size

    place = rng.choice(len(_PLACES), orders.n_customers, p=np.asarray(_PLACE_SHARE))
    order_place = place[orders.customer]
    country = np.asarray([p[3] for p in _PLACES], dtype=object)[order_place]
    canada = country == "CA"
    channel = np.where(canada, "Amazon.ca", "Amazon.com").astype(object)
    currency = np.where(canada, "CAD", "USD").astype(object)
    # Multi-Channel Fulfilment: 2% of US orders came from the seller's own shop.
    mcf = ~canada & (rng.random(n_orders) < 0.02)
    channel[mcf] = "Non-Amazon"
    # Pending: the latest 1.5% of Amazon.com orders; cancelled: 3% of the other Amazon.com ones.
    dotcom = np.flatnonzero(~canada & ~mcf)
    pending = np.zeros(n_orders, dtype=bool)
    pending[dotcom[-max(3, round(0.015 * dotcom.size)) :]] = True
    cancelled = ~canada & ~mcf & ~pending & (rng.random(n_orders) < 0.03)
    afn = rng.random(n_orders) < 0.7
    status = np.where(cancelled, "Cancelled", "Shipped").astype(object)
    status[pending] = "Pending"

    # Per line: money in cents. A cancelled item of a shipped multi-item order: 5% of such lines.
    unit = items.cents[line_item]
    price = unit * qty
    multi = np.bincount(line_order, minlength=n_orders)[line_order] > 1
    ordinary = ~(cancelled | pending | mcf)[line_order]
    item_cancel = ordinary & multi & (rng.random(n_lines) < 0.05) & ~canada[line_order]
    no_price = (cancelled | pending | mcf)[line_order] | item_cancel
    tax = np.round(price * np.where(canada, _TAX["CA"], _TAX["US"])[line_order]).astype(np.int64)
    promo = ~no_price & (rng.random(n_lines) < 0.08)
    discount = -np.round(price * rng.choice([0.1, 0.15, 0.2], n_lines)).astype(np.int64)
    first_line = np.r_[True, line_order[1:] != line_order[:-1]]
    ship = np.where(first_line & ~afn[line_order], 499, 0)
    ship_promo = np.where((ship > 0) & (orders.cents[line_order] > 3500), -ship, 0)

    def amount(cents: np.ndarray, keep: np.ndarray) -> pl.Series:
        return money_text(cents).zip_with(pl.Series(keep), pl.Series([None], dtype=pl.String))

    order_id = np.asarray(
        [
            f"{'S01' if m else '11' + str(rng.integers(1, 5))}-{rng.integers(10**6, 10**7)}"
            f"-{rng.integers(10**6, 10**7)}"
            for m in mcf
        ],
        dtype=object,
    )
    updated = orders.seconds + rng.integers(3600, 5 * _DAY, n_orders)
    place_text = [np.asarray([p[k] for p in _PLACES], dtype=object)[order_place] for k in range(3)]
    lo = line_order
    line_status = np.where(no_price, "Cancelled", "Shipped").astype(object)
    line_status[pending[lo]] = "Unshipped"
    blank = np.full(n_lines, None, dtype=object)
    frame = _frame(
        {
            "amazon-order-id": order_id[lo],
            "merchant-order-id": np.where(
                mcf[lo], np.char.add("#", (1000 + lo).astype(str)).astype(object), None
            ),
            "purchase-date": _ts_text(orders.seconds[lo], _ISO_OFFSET),
            "last-updated-date": _ts_text(updated[lo], _ISO_OFFSET),
            "order-status": status[lo],
            "fulfillment-channel": np.where(afn[lo], "Amazon", "Merchant").astype(object),
            "sales-channel": channel[lo],
            "order-channel": blank,
            "ship-service-level": np.where(afn[lo], "Expedited", "Standard").astype(object),
            "product-name": items.name[line_item],
            "sku": items.sku[line_item],
            "asin": asin[line_item],
            "item-status": line_status,
            "quantity": np.where(no_price & ~(pending | mcf)[lo], 0, qty),
            "currency": np.where((pending | mcf)[lo], None, currency[lo]),
            "item-price": amount(price, ~no_price),
            "item-tax": amount(tax, ~no_price),
            "shipping-price": amount(ship, ~no_price),
            "shipping-tax": amount(np.zeros(n_lines, np.int64), ~no_price),
            "gift-wrap-price": blank,
            "gift-wrap-tax": blank,
            "item-promotion-discount": amount(np.where(promo, discount, 0), ~no_price),
            "ship-promotion-discount": amount(ship_promo, ~no_price),
            "ship-city": place_text[0][lo],
            "ship-state": place_text[1][lo],
            "ship-postal-code": place_text[2][lo],
            "ship-country": country[lo],
            "promotion-ids": np.where(promo, "Save 15% on gizmos", None),
            "cpf": blank,
            "is-business-order": np.where(rng.random(n_lines) < 0.04, "true", "false"),
            "purchase-order-number": blank,
            "price-designation": blank,
        }
    )
    truth = {"orders": n_orders, "lines": n_lines}
    return {FILE: frame}, truth


def _amazon_counts(files: dict[str, pl.DataFrame]) -> dict[str, int]:
    """The traps planted in the report, counted from its text (orders, and lines where a reader
    sets lines apart)."""
    f = files[FILE]
    order = "amazon-order-id"

    def counted(rule: pl.Expr) -> tuple[int, int]:
        hit = f.filter(rule)
        return hit.height, hit[order].n_unique()

    pending = pl.col("order-status") == "Pending"
    mcf = pl.col("sales-channel") == "Non-Amazon"
    cancelled = pl.col("order-status") == "Cancelled"
    item_cancel = ~cancelled & (pl.col("item-status") == "Cancelled") & ~pending & ~mcf
    cad = (pl.col("currency") == "CAD") & ~item_cancel
    promo = pl.col("item-promotion-discount").cast(pl.Float64, strict=False).fill_null(0) != 0
    out = {}
    for name, rule in (
        ("pending", pending),
        ("mcf", mcf),
        ("cancelled_orders", cancelled & (pl.col("currency") == "USD")),
        ("cancelled_items", item_cancel),
        ("other_currency", cad),
    ):
        out[f"{name}_lines"], out[f"{name}_orders"] = counted(rule)
    out["promotion_lines"] = f.filter(promo & (pl.col("currency") == "USD")).height
    return out
