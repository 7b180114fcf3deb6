"""WooCommerce demo: an orders export in the exporter plugins' layout, one row per line item with
the order's fields on its first row only (the later rows leave them blank).

A European shop selling in EUR, and in GBP to British customers through a currency switcher.
Planted: blank continuation cells, test orders, pending, failed, cancelled and refunded orders,
partial refunds, coupons, and the GBP orders of a second currency.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from lib.demo.common import _frame, _ts_text
from lib.demo.shop import baskets, buyers, catalogue, money_text, shop_orders

FILE = "orders-export.csv"
COLUMNS: dict[str, tuple[str, ...]] = {
    FILE: (
        "Order Number",
        "Order Status",
        "Order Date",
        "Paid Date",
        "Billing First Name",
        "Billing Last Name",
        "Billing Email Address",
        "Billing Country",
        "Billing State",
        "Payment Method Title",
        "Order Currency",
        "Cart Discount",
        "Order Shipping",
        "Order Tax",
        "Order Refund",
        "Order Total",
        "Item #",
        "Item Name",
        "SKU",
        "Product Categories",
        "Quantity",
        "Item Cost",
    ),
}
_DATE = "%Y-%m-%d %H:%M"
_COUNTRIES = ("DE", "FR", "NL", "BE", "AT", "GB")
_COUNTRY_SHARE = (0.38, 0.2, 0.14, 0.1, 0.1, 0.08)
_VAT = 0.2
_STATUS = {
    "": "Completed",
    "processing": "Processing",
    "on-hold": "On hold",
    "pending": "Pending payment",
    "failed": "Failed",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
    "partial": "Completed",
    "test": "Completed",
}
_TRAP_SHARE = {
    "": 0.855,
    "processing": 0.02,
    "on-hold": 0.01,
    "pending": 0.01,
    "failed": 0.02,
    "cancelled": 0.025,
    "refunded": 0.025,
    "partial": 0.03,
    "test": 0.005,
}


def _woocommerce(
    rows: int, rng: np.random.Generator, patterns: bool = True
) -> tuple[dict[str, pl.DataFrame], dict]:
    del patterns  # no planted trend
    orders = shop_orders(rng, max(50, round(rows / 1.45)))
    items = catalogue(rng, 120, "WC")
    people = buyers(rng, orders.n_customers)
    line_order, line_item, qty = baskets(rng, orders, items)
    n = orders.customer.size
    who = orders.customer
    country = np.asarray(_COUNTRIES, dtype=object)[
        rng.choice(len(_COUNTRIES), orders.n_customers, p=np.asarray(_COUNTRY_SHARE))
    ][who]
    gbp = country == "GB"
    trap = np.asarray(list(_TRAP_SHARE), dtype=object)[
        rng.choice(len(_TRAP_SHARE), n, p=np.asarray(list(_TRAP_SHARE.values())))
    ]
    # The traps sit on EUR orders, so each note counts exactly them.
    trap[gbp & (trap != "")] = ""
    test = trap == "test"
    first, last, email = people["first"][who], people["last"][who], people["email"][who]
    first[test], last[test] = "Test", "Test"
    email[test] = "test@gizmo-shop.example"

    price = items.cents[line_item]
    line_cents = price * qty
    items_cents = np.bincount(line_order, weights=line_cents, minlength=n).astype(np.int64)
    coupon = (rng.random(n) < 0.1) & (trap != "test")
    discount = np.where(coupon, np.round(items_cents * 0.1), 0).astype(np.int64)
    shipping = np.where(items_cents - discount >= 5000, 0, 490)
    tax = np.round((items_cents - discount) * _VAT).astype(np.int64)
    total = items_cents - discount + shipping + tax
    refund = np.where(trap == "refunded", total, 0)
    refund = np.where(trap == "partial", np.round(total * rng.choice([0.2, 0.3, 0.5], n)), refund)
    paid = ~np.isin(trap, ("pending", "failed"))
    paid_at = np.where(paid, orders.seconds + rng.integers(10, 600, n), np.iinfo(np.int64).min)
    # Order numbers in time order, as WooCommerce gives them.
    number = (1000 + np.arange(n)).astype(str).astype(object)

    lo = line_order
    first_row = np.r_[True, lo[1:] != lo[:-1]]

    def head(values: pl.Series | np.ndarray) -> pl.Series:
        """The order's value on its first row, blank on its later rows."""
        series = values if isinstance(values, pl.Series) else pl.Series(values.tolist())
        series = series.cast(pl.String)[lo]
        return series.zip_with(pl.Series(first_row), pl.Series([None], dtype=pl.String))

    position = np.arange(lo.size) - np.repeat(np.flatnonzero(first_row), np.bincount(lo))
    frame = _frame(
        {
            "Order Number": number[lo],
            "Order Status": head(np.asarray([_STATUS[t] for t in trap], dtype=object)),
            "Order Date": head(_ts_text(orders.seconds, _DATE)),
            "Paid Date": head(_ts_text(paid_at, _DATE)),
            "Billing First Name": head(first),
            "Billing Last Name": head(last),
            "Billing Email Address": head(email),
            "Billing Country": head(country),
            "Billing State": head(np.full(n, None, dtype=object)),
            "Payment Method Title": head(
                np.asarray(("Credit card (Stripe)", "PayPal", "Direct bank transfer"), object)[
                    rng.choice(3, n, p=(0.6, 0.3, 0.1))
                ]
            ),
            "Order Currency": head(np.where(gbp, "GBP", "EUR").astype(object)),
            "Cart Discount": head(money_text(discount)),
            "Order Shipping": head(money_text(shipping)),
            "Order Tax": head(money_text(tax)),
            "Order Refund": head(money_text(refund)),
            "Order Total": head(money_text(total)),
            "Item #": position + 1,
            "Item Name": items.name[line_item],
            "SKU": items.sku[line_item],
            "Product Categories": items.category[line_item],
            "Quantity": qty,
            "Item Cost": money_text(price),
        }
    )
    truth = {"orders": n, "customers": orders.n_customers}
    return {FILE: frame}, truth


def _woocommerce_counts(files: dict[str, pl.DataFrame]) -> dict[str, int]:
    """The traps planted in the export, counted from its text (orders, and continuation rows)."""
    f = files[FILE]
    orders = f.filter(pl.col("Order Date").is_not_null())
    status = pl.col("Order Status")
    money = {
        c: pl.col(c).cast(pl.Float64) for c in ("Order Refund", "Order Total", "Cart Discount")
    }
    test = pl.col("Billing Email Address").str.starts_with("test@")
    eur = ~test & (pl.col("Order Currency") == "EUR")
    return {
        "continuation_rows": f.height - orders.height,
        "test_orders": orders.filter(test).height,
        "pending_orders": orders.filter(status == "Pending payment").height,
        "failed_orders": orders.filter(status == "Failed").height,
        "cancelled_orders": orders.filter(eur & (status == "Cancelled")).height,
        "refunded_orders": orders.filter(eur & (status == "Refunded")).height,
        "partly_refunded_orders": orders.filter(
            eur & (status != "Refunded") & (money["Order Refund"] > 0)
        ).height,
        "discounted_orders": orders.filter(
            eur
            & ~status.is_in(["Pending payment", "Failed", "Cancelled", "Refunded"])
            & (money["Cart Discount"] > 0)
        ).height,
        "other_currency_orders": orders.filter(pl.col("Order Currency") == "GBP").height,
    }
