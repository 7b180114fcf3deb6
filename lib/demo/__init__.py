"""Deterministic synthetic demo data sets, written in each source export format.

`demo(kind, rows=..., seed=..., patterns=...)` builds one; KINDS lists the kinds the app offers,
PLATFORM_KINDS the shop platforms' exports (shopify, ...), built on request. One module per
export format (marketplace: Olist, webshop: dsv1069, retail: UCI Online Retail) draws its files
and counts the anomalies it planted; lib.demo.common holds what they share (the rules, the Demo
result, time and text helpers, customers drawn from a known BG/NBD process).
"""

from __future__ import annotations

import numpy as np

from lib.demo import amazon, marketplace, retail, shopify, stripe, webshop, woocommerce
from lib.demo.amazon import _amazon, _amazon_counts
from lib.demo.common import FUTURE, RULES, Demo, _thin_month_count
from lib.demo.marketplace import (
    FAST_SR_ID,
    LATE_CHURN,
    SDR_IDS,
    SLOW_SR_ID,
    SR_IDS,
    _marketplace,
    _olist_counts,
)
from lib.demo.retail import (
    LAPSE_CUSTOMERS,
    LAPSE_FROM,
    LAPSE_MIN_ORDERS,
    LAPSE_RECENT_DAYS,
    _retail,
    _retail_counts,
)
from lib.demo.shopify import _shopify, _shopify_counts
from lib.demo.stripe import _stripe, _stripe_counts
from lib.demo.webshop import (
    CO_VIEWED_PAIRS,
    MISSPELLINGS,
    WEBSHOP_GAP_DAYS,
    _webshop,
    _webshop_counts,
)
from lib.demo.woocommerce import _woocommerce, _woocommerce_counts

__all__ = [
    "CO_VIEWED_PAIRS",
    "COLUMNS",
    "DEFAULT_ROWS",
    "FAST_SR_ID",
    "FUTURE",
    "KINDS",
    "LAPSE_CUSTOMERS",
    "LAPSE_FROM",
    "LAPSE_MIN_ORDERS",
    "LAPSE_RECENT_DAYS",
    "LATE_CHURN",
    "MIN_ROWS",
    "MISSPELLINGS",
    "PLATFORM_KINDS",
    "RULES",
    "SDR_IDS",
    "SLOW_SR_ID",
    "SR_IDS",
    "WEBSHOP_GAP_DAYS",
    "Demo",
    "demo",
    # private, reached by tests/test_demo.py
    "_retail_counts",
    "_thin_month_count",
]

KINDS: tuple[str, ...] = ("marketplace", "webshop", "retail")
# Shop platforms' exports: built on request, not among the demos the app offers.
PLATFORM_KINDS: tuple[str, ...] = ("shopify", "woocommerce", "stripe", "amazon")
DEFAULT_ROWS: dict[str, int] = {
    "marketplace": 20_000,
    "webshop": 30_000,
    "retail": 60_000,
    "shopify": 12_000,
    "woocommerce": 6_000,
    "stripe": 5_000,
    "amazon": 6_000,
}
MIN_ROWS = 500

# kind -> export file -> its columns, in the export's order
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "marketplace": marketplace.COLUMNS,
    "webshop": webshop.COLUMNS,
    "retail": retail.COLUMNS,
    "shopify": shopify.COLUMNS,
    "woocommerce": woocommerce.COLUMNS,
    "stripe": stripe.COLUMNS,
    "amazon": amazon.COLUMNS,
}


def demo(kind: str, rows: int | None = None, seed: int = 1, patterns: bool = True) -> Demo:
    """A demo data set of `kind`, deterministic given (kind, rows, seed, patterns).

    rows counts orders (marketplace), orders.csv line rows (webshop), invoice lines (retail) or
    orders_export.csv rows (shopify), defaulting to DEFAULT_ROWS; at least MIN_ROWS. For
    woocommerce and amazon it sets about as many item rows (orders are rows / 1.45), for stripe
    the charges. The platforms' `planted` also counts
    each platform trap by name (e.g. test_orders, refunded_charges, pending_lines; see each
    module's _<kind>_counts).

    `patterns` plants behaviour the trend views should find; without it the same draws give the
    same data minus those patterns (to compare against). Their draws come after every other, so
    they change nothing else:
    - retail: a segment shift in the last quarter. LAPSE_CUSTOMERS frequent, recent customers
      (at least LAPSE_MIN_ORDERS invoices before LAPSE_FROM, the last within LAPSE_RECENT_DAYS
      of it, and more after it) stop buying at LAPSE_FROM: their later invoices carry no
      CustomerID (the shop still sold the goods, it no longer knows to whom).
    - marketplace: a late first delivery costs repeat orders. With probability LATE_CHURN, a
      person whose first order arrived late hands the later orders to a one-order person of the
      same state whose only order came on time and earlier: persons, repeat and one-time buyers
      and orders per state stay as they were.

    truth keys (floats):
    - marketplace: late_share (share of delivered orders with a delivery date that arrived on a
      day after the estimated one, measured on the files, the planted impossible dates left
      out),
      late_base_prob (per-order late probability before region, seller and season factors),
      growth_per_year (log growth of daily orders),
      repeat_person_share (persons with 2+ orders), persons, leads, deals, conversion (deals /
      leads), sr_fast_online_big_factor and sr_slow_industry_factor (days-to-close multipliers of
      FAST_SR_ID on online_big and SLOW_SR_ID on industry leads).
    - webshop: conversion_rel_<platform> (view -> order conversion relative to web; iphone 2.0),
      converted_view_share (share of order lines preceded by a view of that item by that user),
      co_viewed_pairs (len(CO_VIEWED_PAIRS)), co_view_users (users per pair), merged_share,
      deleted_share (of users), gap_days (calendar days without events), items.
      late_first_handed_over (late-first persons whose later orders the pattern handed over).
    - retail: bgnbd_r, bgnbd_alpha, bgnbd_a, bgnbd_b (BG/NBD, weeks as the time unit: purchase
      rate lambda ~ Gamma(r, rate alpha), dropout after each repeat purchase with p ~ Beta(a, b)),
      gg_p, gg_q, gg_v (Gamma-Gamma: invoice value z ~ Gamma(p, rate nu), nu ~ Gamma(q, rate v);
      an invoice's lines add up to z except where quantities reach 1 or 48), period_weeks,
      join_weeks (customers join uniformly in [0, join_weeks)), customers (with a CustomerID),
      guest_line_share (lines without one, the lapsed customers' included), lapsed_customers
      (customers the pattern stopped; they bought nothing from LAPSE_FROM on). Planted lines
      (fees, free items, extreme quantities, duplicates) sit on customers' invoices, so clean
      before fitting Gamma-Gamma.
    """
    if kind not in KINDS + PLATFORM_KINDS:
        known = ", ".join(KINDS + PLATFORM_KINDS)
        raise ValueError(f"unknown demo kind {kind!r}; expected one of {known}")
    rows = DEFAULT_ROWS[kind] if rows is None else int(rows)
    if rows < MIN_ROWS:
        raise ValueError(f"a demo needs at least {MIN_ROWS} rows, got {rows}")
    rng = np.random.default_rng(seed)
    build = {
        "marketplace": _marketplace,
        "webshop": _webshop,
        "retail": _retail,
        "shopify": _shopify,
        "woocommerce": _woocommerce,
        "stripe": _stripe,
        "amazon": _amazon,
    }
    files, truth = build[kind](rows, rng, patterns)
    counts = {
        "marketplace": _olist_counts,
        "webshop": _webshop_counts,
        "retail": _retail_counts,
        "shopify": _shopify_counts,
        "woocommerce": _woocommerce_counts,
        "stripe": _stripe_counts,
        "amazon": _amazon_counts,
    }
    planted = dict.fromkeys(RULES, 0) | counts[kind](files)
    return Demo(kind, files, planted, {k: float(v) for k, v in truth.items()})
