"""What the shop-platform demos (WooCommerce, Stripe, Amazon) share: orders of customers drawn
from the BG/NBD process in lib.demo.common, a catalogue, buyers with names and emails, baskets,
and money written with two decimals as the platforms write it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from lib.demo.common import _DAY, _bgnbd_invoices, _day, _distinct_within, _p, _times
from lib.demo.webshop import (
    _ADJECTIVES,
    _DOMAINS,
    _FIRST_NAMES,
    _LAST_NAMES,
    _MODIFIERS,
    _WEB_CATEGORIES,
    _WEB_HOURS,
)

START, END = _day(2023, 7, 1), _day(2025, 7, 1)  # the shops' two years of orders
_VALUE_SCALE = 40  # Gamma-Gamma values (mean about 225) to cents of a shop basket (about 90.00)


@dataclass(frozen=True)
class ShopOrders:
    """Orders in time order: the person who placed each (0..n_customers-1), when (epoch
    seconds) and its basket value in cents."""

    customer: np.ndarray
    seconds: np.ndarray
    cents: np.ndarray
    n_customers: int


def shop_orders(rng: np.random.Generator, n_orders: int) -> ShopOrders:
    """n_orders orders of customers who buy by the BG/NBD + Gamma-Gamma process over two years
    (joining at any time in it): the first customers' orders, whole but the last's."""
    weeks = (END - START) / 7
    m = max(50, n_orders // 2)
    while True:
        customer, at, value = _bgnbd_invoices(rng, m, weeks, weeks)
        if customer.size >= n_orders:
            break
        m *= 2
    customer, at, value = customer[:n_orders], at[:n_orders], value[:n_orders]
    seconds = START * _DAY + np.floor(at * 7).astype(np.int64) * _DAY
    seconds += _times(rng, np.zeros(1, np.int64), np.ones(1), n_orders, _WEB_HOURS)
    order = np.argsort(seconds, kind="stable")
    cents = np.maximum(300, np.round(value * _VALUE_SCALE)).astype(np.int64)
    return ShopOrders(customer[order], seconds[order], cents[order], int(customer.max()) + 1)


@dataclass(frozen=True)
class Catalogue:
    """Items: sku, name, category, price in cents and popularity (probabilities)."""

    sku: np.ndarray
    name: np.ndarray
    category: np.ndarray
    cents: np.ndarray
    p: np.ndarray


def catalogue(rng: np.random.Generator, n: int, prefix: str) -> Catalogue:
    """n items named adjective + category + modifier, with SKUs like 'WD-1042'."""
    combos = rng.choice(len(_ADJECTIVES) * len(_WEB_CATEGORIES) * len(_MODIFIERS), n, False)
    adj, rest = np.divmod(combos, len(_WEB_CATEGORIES) * len(_MODIFIERS))
    cat, modifier = np.divmod(rest, len(_MODIFIERS))
    category = np.asarray([c[0] for c in _WEB_CATEGORIES], dtype=object)[cat]
    name = (
        np.asarray(_ADJECTIVES, dtype=object)[adj]
        + " "
        + category
        + " "
        + np.asarray(_MODIFIERS, dtype=object)[modifier]
    )
    name = np.asarray([s.capitalize() for s in name], dtype=object)
    median = np.array([c[1] for c in _WEB_CATEGORIES])[cat]
    dollars = np.maximum(3, np.floor(median * rng.lognormal(0, 0.4, n)))
    cents = (dollars * 100 + rng.choice([99, 95, 0], n, p=(0.6, 0.2, 0.2))).astype(np.int64)
    sku = np.asarray([f"{prefix}-{1000 + i}" for i in range(n)], dtype=object)
    category = np.asarray([c.capitalize() for c in category], dtype=object)
    return Catalogue(sku, name, category, cents, _p(rng.lognormal(0, 1.0, n)))


def buyers(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """first, last and email of n people; emails are unique (a number after the name)."""
    first = np.asarray(_FIRST_NAMES, dtype=object)[rng.integers(0, len(_FIRST_NAMES), n)]
    last = np.asarray(_LAST_NAMES, dtype=object)[rng.integers(0, len(_LAST_NAMES), n)]
    domain = np.asarray(_DOMAINS, dtype=object)[rng.integers(0, len(_DOMAINS), n)]
    email = np.asarray(
        [
            f"{f.lower()}.{s.lower()}{i}@{d}"
            for i, (f, s, d) in enumerate(zip(first, last, domain, strict=True))
        ],
        dtype=object,
    )
    return {"first": first, "last": last, "email": email}


def baskets(
    rng: np.random.Generator, orders: ShopOrders, items: Catalogue
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(order, item, quantity) per line: 1-4 distinct items an order, more in bigger baskets."""
    extra = rng.poisson(np.clip(orders.cents / 12_000, 0.1, 2.5))
    sizes = np.minimum(1 + extra, 4)
    order = np.repeat(np.arange(sizes.size), sizes)
    item = rng.choice(items.sku.size, order.size, p=items.p)
    item = _distinct_within(order, item, lambda k: rng.choice(items.sku.size, k, p=items.p))
    quantity = rng.choice([1, 2, 3], order.size, p=(0.82, 0.14, 0.04))
    return order, item, quantity


def money_text(cents: np.ndarray) -> pl.Series:
    """Cents as text with two decimals ('12.50', '-3.00'), as the platforms write amounts."""
    c = np.asarray(cents, dtype=np.int64)
    return pl.Series(
        [f"{'-' if x < 0 else ''}{abs(x) // 100}.{abs(x) % 100:02d}" for x in c.tolist()],
        dtype=pl.String,
    )
