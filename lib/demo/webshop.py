"""Web shop demo in the dsv1069 schema: users, items, orders and the events log.

Order lines (one row per item of an invoice) come with the view events that led to them;
platforms convert differently (iphone twice as often as web), and the same users view each item
pair of CO_VIEWED_PAIRS together. Planted: invoices paid before they were created, invoices after
the user's deletion, order prices that differ from the catalogue, duplicate order lines,
WEBSHOP_GAP_DAYS days without events and misspelled event parameter names (MISSPELLINGS).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

from lib.demo.common import (
    _DAY,
    _ISO,
    _NA,
    _day,
    _day_weights,
    _decimal_text,
    _distinct_within,
    _frame,
    _future_count,
    _hex_ids,
    _p,
    _pick_text,
    _text,
    _thin_month_count,
    _times,
    _ts_text,
    _where_text,
)

# Export file -> its columns, in the export's order.
COLUMNS: dict[str, tuple[str, ...]] = {
    "users.csv": (
        "id",
        "parent_user_id",
        "created_at",
        "deleted_at",
        "merged_at",
        "first_name",
        "last_name",
        "email_address",
    ),
    "items.csv": ("id", "name", "category", "price", "created_at", "adjective", "modifier"),
    "orders.csv": (
        "invoice_id",
        "line_item_id",
        "user_id",
        "item_id",
        "item_name",
        "item_category",
        "price",
        "created_at",
        "paid_at",
    ),
    "events.csv": (
        "event_id",
        "event_time",
        "user_id",
        "event_name",
        "platform",
        "parameter_name",
        "parameter_value",
    ),
}

# Web-shop item ids (items.csv `id`) that the same users view together, for every seed and size.
CO_VIEWED_PAIRS: tuple[tuple[int, int], ...] = (
    (17, 1342),
    (256, 731),
    (88, 1905),
    (1203, 1204),
    (640, 45),
)
WEBSHOP_GAP_DAYS = 4
MISSPELLINGS: dict[str, str] = {"itme_id": "item_id", "item_Id": "item_id", "refferer": "referrer"}


_WEB_CATEGORIES = (
    ("apparatus", 45.0),
    ("contraption", 60.0),
    ("dongle", 15.0),
    ("doohickey", 12.0),
    ("gadget", 35.0),
    ("gizmo", 25.0),
    ("instrument", 80.0),
    ("mechanism", 55.0),
    ("tool", 20.0),
    ("widget", 10.0),
)
_ADJECTIVES = (
    "ergonomic",
    "digital",
    "sleek",
    "rustic",
    "wireless",
    "compact",
    "deluxe",
    "vintage",
    "smart",
    "portable",
    "heavy-duty",
    "miniature",
    "magnetic",
    "solar",
    "waterproof",
    "foldable",
    "electric",
    "ultralight",
    "titanium",
    "bamboo",
    "reusable",
    "glowing",
    "quiet",
    "rugged",
    "modular",
    "classic",
    "premium",
    "handmade",
    "industrial",
    "organic",
)
_MODIFIERS = (
    "holder",
    "charger",
    "cleaner",
    "case",
    "refill",
    "extender",
    "mount",
    "cover",
    "adapter",
    "kit",
)
_FIRST_NAMES = (
    "Anna",
    "Ben",
    "Carla",
    "David",
    "Elena",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kira",
    "Liam",
    "Maya",
    "Noah",
    "Olga",
    "Pedro",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Umar",
    "Vera",
    "Will",
    "Xenia",
    "Yusuf",
    "Zoe",
)
_LAST_NAMES = (
    "Adams",
    "Berg",
    "Costa",
    "Diaz",
    "Evans",
    "Fischer",
    "Garcia",
    "Hill",
    "Ito",
    "Jensen",
    "Khan",
    "Lopez",
    "Meyer",
    "Nowak",
    "Okafor",
    "Park",
    "Quist",
    "Rossi",
    "Singh",
    "Tanaka",
    "Ueda",
    "Varga",
    "Watson",
    "Young",
)
_DOMAINS = ("gmail.com", "hotmail.com", "yahoo.com", "earthlink.net", "outlook.com")
_PLATFORMS = ("web", "iphone", "android", "mobile_web")
_PLATFORM_SHARE = (0.35, 0.20, 0.30, 0.15)
_PLATFORM_CONVERSION = (1.0, 2.0, 1.4, 0.8)  # relative to web
_REFERRERS = ("home", "search", "google", "email", "user_profile", "recommendations")
_WEB_MONTH = (0.9, 0.85, 0.95, 0.95, 1.0, 0.95, 0.95, 1.0, 1.0, 1.05, 1.5, 1.25)
_WEB_WEEKDAY = (1.05, 1.05, 1.0, 1.0, 0.95, 0.9, 1.05)
_WEB_HOURS = _p(
    (2, 1.2, 0.8, 0.5, 0.5, 0.8, 1.5, 3, 4.5, 5, 5.5, 6, 6.2, 6, 5.8, 5.6, 5.6, 5.8, 6.2)
    + (6.8, 7, 6.5, 5, 3.2)
)
_WEB_GROWTH = 0.3
_N_WEB_ITEMS = 2000


def _webshop(
    rows: int, rng: np.random.Generator, patterns: bool = True
) -> tuple[dict[str, pl.DataFrame], dict]:
    del patterns  # the web shop has no planted trend yet
    start, end = _day(2023, 1, 1), _day(2024, 7, 1)
    start_s, end_s = start * _DAY, end * _DAY
    days, p_day = _day_weights(start, end, _WEB_GROWTH, _WEB_MONTH, _WEB_WEEKDAY, black_friday=3.0)
    k_dup = max(5, round(0.002 * rows))
    natural = rows - k_dup

    # Catalogue: ~2,000 items named adjective + category + modifier.
    n_items = _N_WEB_ITEMS
    combos = rng.choice(len(_ADJECTIVES) * len(_WEB_CATEGORIES) * len(_MODIFIERS), n_items, False)
    adj, rest = np.divmod(combos, len(_WEB_CATEGORIES) * len(_MODIFIERS))
    item_cat, modifier = np.divmod(rest, len(_MODIFIERS))
    adjective_text = np.asarray(_ADJECTIVES, dtype=object)[adj]
    category_text = np.asarray([c[0] for c in _WEB_CATEGORIES], dtype=object)[item_cat]
    modifier_text = np.asarray(_MODIFIERS, dtype=object)[modifier]
    item_name = adjective_text + " " + category_text + " " + modifier_text
    median = np.array([c[1] for c in _WEB_CATEGORIES])[item_cat]
    dollars = np.maximum(3, np.floor(median * rng.lognormal(0, 0.5, n_items)))
    item_cents = (dollars * 100 + rng.choice([99, 50, 0], n_items, p=(0.6, 0.2, 0.2))).astype(
        np.int64
    )
    item_pop = rng.lognormal(0, 1.0, n_items)
    item_p = _p(item_pop)
    item_created = rng.integers(_day(2021, 1, 1) * _DAY, start_s, n_items)

    # Invoices of 1-4 lines, in time order.
    sizes = rng.choice([1, 2, 3, 4], natural, p=(0.5, 0.25, 0.15, 0.1))
    cum = np.cumsum(sizes)
    n_inv = int(np.searchsorted(cum, natural) + 1)
    sizes = sizes[:n_inv]
    sizes[-1] -= cum[n_inv - 1] - natural
    inv_t = np.sort(_times(rng, days, p_day, n_inv, _WEB_HOURS))

    # Users, ids in sign-up order; a third signed up before the period.
    n_users = max(150, round(rows * 0.6))
    n_old = round(0.35 * n_users)
    created = np.sort(
        np.concatenate(
            [
                rng.integers(_day(2021, 1, 1) * _DAY, start_s, n_old),
                _times(rng, days, p_day, n_users - n_old, _WEB_HOURS),
            ]
        )
    )
    inv_user = (rng.random(n_inv) * np.searchsorted(created, inv_t, side="right")).astype(np.int64)

    # ~3% of accounts merged into another; their later activity belongs to the survivor.
    n_child = round(0.03 * n_users)
    child = rng.choice(np.flatnonzero(created < end_s - 3 * _DAY), n_child, replace=False)
    is_child = np.zeros(n_users, dtype=bool)
    is_child[child] = True
    parent = rng.choice(np.flatnonzero(~is_child), n_child)
    base = np.maximum(created[child], created[parent])
    merged_at = base + (rng.uniform(0.05, 1, n_child) * np.minimum(end_s - 3600 - base, 300 * _DAY))
    parent_of = np.full(n_users, -1, dtype=np.int64)
    parent_of[child] = parent
    merged_of = np.full(n_users, np.iinfo(np.int64).max, dtype=np.int64)
    merged_of[child] = merged_at.astype(np.int64)
    involved = is_child.copy()
    involved[parent] = True

    def survivor(user: np.ndarray, moment: np.ndarray) -> np.ndarray:
        moved = moment > merged_of[user]
        return np.where(moved, parent_of[user], user)

    inv_user = survivor(inv_user, inv_t)

    # Planted: invoices after the person's deletion, on single-invoice users.
    inv_count = np.bincount(inv_user, minlength=n_users)
    last_inv = np.full(n_users, -1, dtype=np.int64)
    np.maximum.at(last_inv, inv_user, inv_t)
    k_del = max(5, round(0.003 * n_inv))
    single = (inv_count[inv_user] == 1) & ~involved[inv_user]
    single &= inv_t - created[inv_user] > 3 * _DAY
    after_deletion = rng.choice(np.flatnonzero(single), min(k_del, single.sum()), replace=False)
    deleted_at = np.full(n_users, _NA, dtype=np.int64)
    victims = inv_user[after_deletion]
    span = inv_t[after_deletion] - created[victims]
    deleted_at[victims] = created[victims] + (rng.uniform(0.3, 0.9, victims.size) * span).astype(
        np.int64
    )
    # ~2% of users deleted the ordinary way: after their last order.
    last_seen = np.maximum(created, last_inv)
    natural_deleted = last_seen + (rng.uniform(3, 120, n_users) * _DAY).astype(np.int64)
    can_delete = ~involved & (deleted_at == _NA) & (natural_deleted < end_s - 3600)
    n_deleted = min(round(0.02 * n_users), int(can_delete.sum()))
    gone = rng.choice(np.flatnonzero(can_delete), n_deleted, replace=False)
    deleted_at[gone] = natural_deleted[gone]

    # Lines: distinct items within an invoice, at catalogue price.
    line_inv = np.repeat(np.arange(n_inv), sizes)
    line_item = rng.choice(n_items, natural, p=item_p)
    line_item = _distinct_within(line_inv, line_item, lambda k: rng.choice(n_items, k, p=item_p))
    line_cents = item_cents[line_item]
    paid_t = inv_t + np.clip(rng.lognormal(np.log(180), 1.2, n_inv), 20, 3 * _DAY).astype(np.int64)

    # Planted: paid before created (invoices), price mismatches and duplicates (lines).
    taken = np.zeros(n_inv, dtype=bool)
    taken[after_deletion] = True
    k_paid = max(5, round(0.003 * n_inv))
    paid_early = rng.choice(np.flatnonzero(~taken), k_paid, replace=False)
    taken[paid_early] = True
    paid_t[paid_early] = inv_t[paid_early] - rng.integers(60, 7200, k_paid)
    k_price = max(5, round(0.002 * natural))
    mispriced = rng.choice(np.flatnonzero(~taken[line_inv]), k_price, replace=False)
    line_cents = line_cents.copy()
    line_cents[mispriced] = np.round(
        line_cents[mispriced] * rng.uniform(0.7, 0.92, k_price)
    ).astype(np.int64)
    clean = ~taken[line_inv]
    clean[mispriced] = False
    duplicated = np.sort(rng.choice(np.flatnonzero(clean), k_dup, replace=False))
    row_of = np.sort(np.concatenate([np.arange(natural), duplicated]))  # copies follow originals

    # Events.
    events, event_truth = _web_events(
        rng,
        days=days,
        p_day=p_day,
        created=created,
        involved=involved,
        deleted_at=deleted_at,
        survivor=survivor,
        item_p=item_p,
        line_inv=line_inv,
        line_item=line_item,
        inv_t=inv_t,
        inv_user=inv_user,
        skip_invoice=np.isin(np.arange(n_inv), after_deletion),
        natural=natural,
    )

    first = _pick_text(rng, _FIRST_NAMES, n_users)
    last = _pick_text(rng, _LAST_NAMES, n_users)
    email = first + last + _text(rng.integers(1, 100, n_users)).to_numpy().astype(object)
    email = email + "@" + _pick_text(rng, _DOMAINS, n_users)
    user_ids = np.arange(1, n_users + 1)

    parent_text = _text(np.where(parent_of >= 0, parent_of + 1, 0))
    merged_text = _ts_text(np.where(parent_of >= 0, merged_of, _NA))
    files = {
        "users.csv": _frame(
            {
                "id": _text(user_ids),
                "parent_user_id": _where_text(parent_of >= 0, parent_text, "NULL"),
                "created_at": _ts_text(created),
                "deleted_at": _where_text(deleted_at != _NA, _ts_text(deleted_at), "NULL"),
                "merged_at": _where_text(parent_of >= 0, merged_text, "NULL"),
                "first_name": first,
                "last_name": last,
                "email_address": email,
            }
        ),
        "items.csv": _frame(
            {
                "id": _text(np.arange(1, n_items + 1)),
                "name": item_name,
                "category": category_text,
                "price": _decimal_text(item_cents),
                "created_at": _ts_text(item_created),
                "adjective": adjective_text,
                "modifier": modifier_text,
            }
        ),
        "orders.csv": _frame(
            {
                "invoice_id": _text(line_inv[row_of] + 1),
                "line_item_id": _text(row_of + 1),
                "user_id": _text(inv_user[line_inv[row_of]] + 1),
                "item_id": _text(line_item[row_of] + 1),
                "item_name": item_name[line_item[row_of]],
                "item_category": category_text[line_item[row_of]],
                "price": _decimal_text(line_cents[row_of]),
                "created_at": _ts_text(inv_t[line_inv[row_of]]),
                "paid_at": _ts_text(paid_t[line_inv[row_of]]),
            }
        ),
        "events.csv": events,
    }
    truth = {
        **{
            f"conversion_rel_{name}": rel
            for name, rel in zip(_PLATFORMS, _PLATFORM_CONVERSION, strict=True)
        },
        **event_truth,
        "merged_share": n_child / n_users,
        "deleted_share": float((deleted_at != _NA).mean()),
        "items": n_items,
    }
    return files, truth


def _web_events(
    rng: np.random.Generator,
    *,
    days: np.ndarray,
    p_day: np.ndarray,
    created: np.ndarray,
    involved: np.ndarray,
    deleted_at: np.ndarray,
    survivor: Callable[[np.ndarray, np.ndarray], np.ndarray],
    item_p: np.ndarray,
    line_inv: np.ndarray,
    line_item: np.ndarray,
    inv_t: np.ndarray,
    inv_user: np.ndarray,
    skip_invoice: np.ndarray,
    natural: int,
) -> tuple[pl.DataFrame, dict[str, float]]:
    """events.csv in long format (one row per event parameter) and its truth entries."""
    n_users, n_items = created.size, item_p.size
    start_s = int(days[0]) * _DAY

    # A few whole days without events (a logging outage), never adjacent.
    while True:
        gaps = np.sort(rng.choice(np.arange(10, days.size - 10), WEBSHOP_GAP_DAYS, replace=False))
        if np.all(np.diff(gaps) > 2):
            break
    gap_days = days[gaps]
    p_open = p_day.copy()
    p_open[gaps] = 0
    p_open /= p_open.sum()

    def off_gaps(t: np.ndarray) -> np.ndarray:
        return np.where(np.isin(t // _DAY, gap_days), t - _DAY, t)

    stable = np.flatnonzero(~involved & (deleted_at == _NA) & (created < start_s))

    def users_at(t: np.ndarray) -> np.ndarray:
        user = (rng.random(t.size) * np.searchsorted(created, t, side="right")).astype(np.int64)
        user = survivor(user, t)
        gone = (deleted_at[user] != _NA) & (t > deleted_at[user])
        user[gone] = stable[rng.integers(0, stable.size, gone.sum())]
        return user

    # Views that lead to an order line: platform odds follow _PLATFORM_CONVERSION.
    share = np.asarray(_PLATFORM_SHARE)
    rel = np.asarray(_PLATFORM_CONVERSION)
    conv = np.flatnonzero((rng.random(natural) < 0.5) & ~skip_invoice[line_inv])
    n_conv = conv.size
    conv_platform = rng.choice(4, n_conv, p=_p(share * rel))
    order_t = inv_t[line_inv[conv]]
    conv_user = inv_user[line_inv[conv]]
    room = order_t - np.maximum(created[conv_user], start_s)
    lead = np.minimum(60 + rng.exponential(1.5 * _DAY, n_conv), 0.9 * room).astype(np.int64)
    view_t = off_gaps(order_t - lead)
    cart_t = off_gaps(
        view_t + (rng.uniform(0.2, 0.9, n_conv) * (order_t - view_t)).astype(np.int64)
    )
    view_t, cart_t = np.minimum(view_t, cart_t), np.maximum(view_t, cart_t)

    # Views that do not convert: platform counts make per-platform conversion follow `rel`.
    per_platform = np.bincount(conv_platform, minlength=4)
    other_counts = np.maximum(0, np.round(share * 3 * n_conv).astype(np.int64) - per_platform)
    other_platform = np.repeat(np.arange(4), other_counts)
    n_other = other_platform.size
    other_t = _times(rng, days, p_open, n_other, _WEB_HOURS)
    other_user = users_at(other_t)
    other_item = rng.choice(n_items, n_other, p=item_p)
    carted = np.flatnonzero(rng.random(n_other) < 0.08)
    other_cart_t = off_gaps(other_t[carted] + rng.integers(60, 1800, carted.size))
    fix = other_cart_t < other_t[carted]
    other_cart_t[fix] = other_t[carted][fix]

    # Co-viewed pairs: the same users view both items minutes apart.
    per_pair = max(10, round(0.008 * n_users))
    pair_a = np.repeat([a - 1 for a, _ in CO_VIEWED_PAIRS], per_pair)
    pair_b = np.repeat([b - 1 for _, b in CO_VIEWED_PAIRS], per_pair)
    n_pair = pair_a.size
    pair_day = days[rng.choice(days.size, n_pair, p=p_open)]
    pair_t = pair_day * _DAY + rng.integers(8 * 3600, 22 * 3600, n_pair)
    pair_user = stable[rng.integers(0, stable.size, n_pair)]
    pair_platform = rng.choice(4, n_pair, p=share)

    # Searches, logins, profile views; one login on every open day, so that the planted gaps are
    # the only days without events even in a small demo.
    open_days = np.delete(days, gaps)
    n_search, n_login, n_profile = n_conv, n_conv + open_days.size, round(0.4 * n_conv)
    misc_t = _times(rng, days, p_open, n_search + n_login + n_profile, _WEB_HOURS)
    hours = rng.choice(24, open_days.size, p=_WEB_HOURS) * 3600
    misc_t[n_search : n_search + open_days.size] = (
        open_days * _DAY + hours + rng.integers(0, 3600, open_days.size)
    )
    misc_user = users_at(misc_t)
    misc_platform = rng.choice(4, misc_t.size, p=share)
    words = (
        _pick_text(rng, _ADJECTIVES, n_search)
        + " "
        + _pick_text(rng, tuple(c[0] for c in _WEB_CATEGORIES), n_search)
    )
    viewed = (rng.random(n_profile) * n_users).astype(np.int64) + 1

    # Assemble events: (time, user, name, platform) and their parameter rows.
    ev_name = np.concatenate(
        [
            np.full(n_conv, "view_item", dtype=object),
            np.full(n_other, "view_item", dtype=object),
            np.full(2 * n_pair, "view_item", dtype=object),
            np.full(n_conv + carted.size, "add_to_cart", dtype=object),
            np.full(n_search, "search", dtype=object),
            np.full(n_login, "login", dtype=object),
            np.full(n_profile, "view_user_profile", dtype=object),
        ]
    )
    ev_t = np.concatenate([view_t, other_t, pair_t, pair_t + rng.integers(20, 900, n_pair), cart_t])
    ev_t = np.concatenate([ev_t, other_cart_t, misc_t])
    ev_user = np.concatenate(
        [conv_user, other_user, pair_user, pair_user, conv_user, other_user[carted], misc_user]
    )
    ev_platform = np.concatenate(
        [
            conv_platform,
            other_platform,
            pair_platform,
            pair_platform,
            conv_platform,
            other_platform[carted],
            misc_platform,
        ]
    )
    n_views = n_conv + n_other + 2 * n_pair
    view_item = np.concatenate([line_item[conv], other_item, pair_a, pair_b])
    referrer = _pick_text(rng, _REFERRERS, n_views)
    referrer[n_conv + n_other + n_pair :] = "recommendations"
    cart_item = np.concatenate([line_item[conv], other_item[carted]])
    n_events = ev_t.size
    ev_hex = _hex_ids(rng, n_events)
    n_cart = cart_item.size

    # Parameter rows: views have item_id and referrer, the rest one parameter each.
    ev_index = np.concatenate(
        [
            np.arange(n_views),
            np.arange(n_views),
            np.arange(n_views, n_events),
        ]
    )
    param_pos = np.concatenate(
        [
            np.zeros(n_views, np.int64),
            np.ones(n_views, np.int64),
            np.zeros(n_events - n_views, np.int64),
        ]
    )
    login_ref = _pick_text(rng, _REFERRERS[:4], n_login)
    param_name = np.concatenate(
        [
            np.full(n_views, "item_id", dtype=object),
            np.full(n_views, "referrer", dtype=object),
            np.full(n_cart, "item_id", dtype=object),
            np.full(n_search, "search_query", dtype=object),
            np.full(n_login, "referrer", dtype=object),
            np.full(n_profile, "viewed_user_id", dtype=object),
        ]
    )
    param_value = np.concatenate(
        [
            (view_item + 1).astype(str).astype(object),
            referrer,
            (cart_item + 1).astype(str).astype(object),
            words,
            login_ref,
            viewed.astype(str).astype(object),
        ]
    )
    # Planted: misspelled parameter names on ordinary (non-converting) views.
    n_rows = ev_index.size
    k_typo = max(5, round(0.001 * n_rows))
    plain_views = np.arange(n_conv, n_conv + n_other)
    picked = rng.choice(plain_views, k_typo, replace=False)
    typos = np.asarray(list(MISSPELLINGS), dtype=object)[np.arange(k_typo) % len(MISSPELLINGS)]
    as_referrer = typos == "refferer"
    param_name[np.where(as_referrer, picked + n_views, picked)] = typos

    row_t = ev_t[ev_index]
    order = np.lexsort((param_pos, ev_index, row_t))
    idx = ev_index[order]
    events = _frame(
        {
            "event_id": _text(ev_hex[idx]),
            "event_time": _ts_text(row_t[order], "%Y-%m-%d %H-%M-%S"),
            "user_id": _text(ev_user[idx] + 1),
            "event_name": ev_name[idx],
            "platform": np.asarray(_PLATFORMS, dtype=object)[ev_platform[idx]],
            "parameter_name": param_name[order],
            "parameter_value": param_value[order],
        }
    )
    truth = {
        "converted_view_share": n_conv / natural,
        "co_viewed_pairs": len(CO_VIEWED_PAIRS),
        "co_view_users": per_pair,
        "gap_days": WEBSHOP_GAP_DAYS,
    }
    return events, truth


def _edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance (adjacent transpositions count 1)."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def _webshop_counts(files: dict[str, pl.DataFrame]) -> dict[str, int]:
    """Offending units per web-shop rule, by the rule definitions, from the export frames."""

    def ts(column: str) -> pl.Expr:
        return pl.when(pl.col(column) != "NULL").then(pl.col(column)).str.to_datetime(_ISO)

    orders = files["orders.csv"]
    users = files["users.csv"].select(
        "id",
        person=pl.when(pl.col("parent_user_id") != "NULL")
        .then(pl.col("parent_user_id"))
        .otherwise(pl.col("id")),
        deleted=ts("deleted_at"),
    )
    invoices = orders.select("invoice_id", "user_id", created=ts("created_at"), paid=ts("paid_at"))
    invoices = invoices.unique(maintain_order=True)
    person_deleted = users.select(person="id", person_deleted="deleted")
    after = (
        invoices.join(users.select(user_id="id", person="person"), on="user_id", how="left")
        .join(person_deleted, on="person", how="left")
        .filter(pl.col("created") > pl.col("person_deleted"))
    )
    priced = orders.join(
        files["items.csv"].select(item_id="id", catalogue="price"), on="item_id", how="inner"
    ).filter(
        (pl.col("price").cast(pl.Float64) - pl.col("catalogue").cast(pl.Float64)).abs() > 0.005
    )
    event_days = (
        files["events.csv"]["event_time"].str.to_datetime("%Y-%m-%d %H-%M-%S").dt.date().unique()
    )
    span = (event_days.max() - event_days.min()).days + 1 if event_days.len() else 0
    names = files["events.csv"]["parameter_name"].drop_nulls().value_counts()
    common = names.filter(pl.col("count") >= 0.01 * names["count"].sum())[
        "parameter_name"
    ].to_list()
    typos = [
        (name, count)
        for name, count in names.iter_rows()
        if name not in common and any(_edit_distance(name.lower(), c) <= 2 for c in common)
    ]
    return {
        "paid_before_created": invoices.filter(pl.col("paid") < pl.col("created"))[
            "invoice_id"
        ].n_unique(),
        "orders_after_deletion": after["invoice_id"].n_unique(),
        "duplicate_rows": orders.height - orders.unique().height,
        "catalogue_price_mismatch": priced.height,
        "empty_days": span - event_days.len(),
        "misspelled_parameter": sum(count for _, count in typos),
        "thin_months": _thin_month_count(invoices.unique("invoice_id")["created"]),
        "future_dates": _future_count(orders, ("created_at", "paid_at")),
    }
