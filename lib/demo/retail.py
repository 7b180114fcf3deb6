"""Online retail demo in the UCI Online Retail layout: one file of invoice lines.

Customers buy by the BG/NBD + Gamma-Gamma process in lib.demo.common, so a CLV fit can be checked
against the drawn parameters; guests buy without a CustomerID. Planted: cancellations (C
invoices), fees and other non-product codes, free items, extreme quantities and duplicate rows.
With `patterns`, LAPSE_CUSTOMERS frequent, recent customers stop buying at LAPSE_FROM.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from lib.demo.common import (
    _BGNBD,
    _DAY,
    _GG,
    _ISO,
    FUTURE,
    _bgnbd_invoices,
    _day,
    _day_weights,
    _decimal_text,
    _distinct_within,
    _frame,
    _p,
    _pick_text,
    _text,
    _thin_month_count,
    _times,
    _ts_text,
    _where_text,
)
from lib.quality import NON_PRODUCT_CODES

# Export file -> its columns, in the export's order.
COLUMNS: dict[str, tuple[str, ...]] = {
    "online_retail.csv": (
        "InvoiceNo",
        "StockCode",
        "Description",
        "Quantity",
        "InvoiceDate",
        "UnitPrice",
        "CustomerID",
        "Country",
    ),
}

_COLOURS = (
    "WHITE",
    "RED",
    "PINK",
    "BLUE",
    "GREEN",
    "IVORY",
    "CREAM",
    "BLACK",
    "SILVER",
    "GOLD",
    "PURPLE",
    "ORANGE",
    "YELLOW",
    "PASTEL",
    "RETRO",
)
_STYLES = (
    "HANGING HEART",
    "VINTAGE",
    "REGENCY",
    "JUMBO",
    "SET OF 3",
    "WOODEN",
    "GLASS",
    "ENAMEL",
    "FELTCRAFT",
    "SPOTTY",
    "PAISLEY",
    "POLKADOT",
    "FLORAL",
    "CHRISTMAS",
    "ANTIQUE",
    "RUSTIC",
    "DOILY",
    "STRIPED",
    "LOVE",
    "RETROSPOT",
)
_NOUNS = (
    "T-LIGHT HOLDER",
    "LUNCH BAG",
    "CAKE STAND",
    "HOT WATER BOTTLE",
    "TEA CUP AND SAUCER",
    "PHOTO FRAME",
    "DOORSTOP",
    "CANDLE",
    "BUNTING",
    "NAPKINS",
    "SHOPPER BAG",
    "MUG",
    "COAT HANGER",
    "WALL CLOCK",
    "STORAGE TIN",
    "JAM JAR",
    "PARASOL",
    "NOTEBOOK",
    "GIFT WRAP",
    "CUSHION COVER",
    "LANTERN",
    "TRINKET BOX",
    "BAKING SET",
    "PLASTERS IN TIN",
    "CHALKBOARD",
    "PEG BAG",
    "SIGN",
    "BIRD ORNAMENT",
    "DRAWER KNOB",
    "SPOON",
    "BOWL",
    "PLATE",
    "JUG",
    "APRON",
    "OVEN GLOVE",
    "PURSE",
    "BEAKER",
    "STICKER SHEET",
    "PAPER CHAIN KIT",
    "PICNIC BASKET",
)
_PRICE_LADDER_MILLS = np.array(
    [390, 420, 550, 650, 720, 850, 1250, 1450, 1650, 1950, 2100, 2550, 2950, 3390, 3750]
    + [4250, 4950, 5950, 6750, 7950, 8500, 9950, 12750, 14950, 16950, 19950]
)
_PACKS = np.array([1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 25, 32, 36, 48])
_COUNTRIES = (
    ("United Kingdom", 0.885),
    ("Germany", 0.025),
    ("France", 0.022),
    ("EIRE", 0.008),
    ("Spain", 0.008),
    ("Netherlands", 0.005),
    ("Belgium", 0.006),
    ("Switzerland", 0.006),
    ("Portugal", 0.006),
    ("Australia", 0.003),
    ("Norway", 0.003),
    ("Italy", 0.004),
    ("Finland", 0.003),
    ("Channel Islands", 0.002),
    ("Denmark", 0.002),
    ("Cyprus", 0.002),
    ("Sweden", 0.002),
    ("Austria", 0.002),
    ("Japan", 0.002),
    ("Poland", 0.002),
    ("USA", 0.001),
    ("Canada", 0.001),
)
_GUEST_COUNTRIES = (("United Kingdom", 0.97), ("EIRE", 0.01), ("France", 0.01), ("Germany", 0.01))
# code -> (description, price in mills or a (low, high) range, max quantity)
_FEES = {
    "POST": ("POSTAGE", 18000, 3),
    "DOT": ("DOTCOM POSTAGE", (5000, 60000), 1),
    "M": ("Manual", (500, 30000), 1),
    "C2": ("CARRIAGE", 50000, 1),
    "BANK CHARGES": ("Bank Charges", 15000, 1),
    "PADS": ("PADS TO MATCH ALL CUSHIONS", 1, 1),
}
_RETAIL_MONTH = (0.7, 0.65, 0.8, 0.75, 0.85, 0.85, 0.85, 0.9, 1.4, 1.6, 2.4, 1.5)
_RETAIL_WEEKDAY = (1.0, 1.1, 1.1, 1.25, 0.9, 0.05, 0.6)
_RETAIL_HOURS = _p(
    (0, 0, 0, 0, 0, 0, 0, 0.5, 5, 8, 12, 13, 15, 14, 12, 10, 6, 2, 1, 0.5, 0.3, 0, 0, 0)
)
_FIRST_INVOICE = 536365  # the UCI file's first invoice number
_FIRST_CUSTOMER = 12346  # and its lowest CustomerID
_FIVE_DIGIT_CUSTOMERS = 100_000 - _FIRST_CUSTOMER  # 87,654 CustomerIDs 12346..99999


def _customer_codes(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct CustomerIDs in increasing order, from _FIRST_CUSTOMER on.

    Drawn from the 3n codes above _FIRST_CUSTOMER (at least 6,000), capped at the five-digit
    ones (up to 99999, as in the UCI file) while n fits in them; past 87,654 customers from
    the 3n codes, which then run to six digits (seven past 329,218 customers). The draws for n
    within the five-digit codes are those the demo always made.
    """
    pool = max(6000, 3 * n)
    if n <= _FIVE_DIGIT_CUSTOMERS:
        pool = min(pool, _FIVE_DIGIT_CUSTOMERS)
    return np.sort(rng.choice(np.arange(_FIRST_CUSTOMER, _FIRST_CUSTOMER + pool), n, False))


def _invoice_numbers(rank: np.ndarray, cancelled: np.ndarray) -> pl.Series:
    """InvoiceNo text of invoices ranked 0..n-1 in time order; C prefix where `cancelled`.

    Six digits as in the UCI file: from _FIRST_INVOICE while the last still has six digits
    (up to 463,635 invoices), else from as high as leaves room for all (up to 900,000
    invoices, about 12M lines); beyond that from 100000 on, running to seven digits or more.
    """
    first = max(100_000, min(_FIRST_INVOICE, 1_000_000 - rank.size))
    frame = pl.DataFrame({"number": first + np.asarray(rank, np.int64), "c": cancelled})
    text = pl.col("number").cast(pl.String)
    return frame.select(pl.when("c").then(pl.lit("C") + text).otherwise(text)).to_series()


def _lines_per_invoice(rng: np.random.Generator, value: np.ndarray) -> np.ndarray:
    return np.clip(np.round(value / 18 * rng.uniform(0.7, 1.3, value.size)), 1, 30).astype(np.int64)


def _quantities(
    wanted: np.ndarray,
    mills: np.ndarray,
    invoice: np.ndarray,
    last: np.ndarray,
    value: np.ndarray,
    *,
    n_invoices: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(quantity, unit price in mills) per line, quantities near `wanted` in 1..48.

    Each invoice's last line takes up the rounding, through its quantity and a unit price within
    30% of the catalogue's (real exports vary prices too), so that invoice totals stay at their
    drawn Gamma-Gamma values.
    """
    # Rounding down leaves the remainder to the last line instead of overshooting the total.
    qty = np.clip(np.floor(wanted), 1, 48).astype(np.int64)
    others = np.bincount(invoice, weights=np.where(last, 0, qty * mills), minlength=n_invoices)
    rest = (value[invoice] * 1000 - others[invoice])[last]
    catalogue = mills[last]
    last_qty = np.clip(np.round(rest / catalogue), 1, 48).astype(np.int64)
    price = np.round(rest / last_qty, -1).astype(np.int64)  # whole pence
    fits = (price >= 0.7 * catalogue) & (price <= 1.3 * catalogue)
    qty[last] = last_qty
    mills = mills.copy()
    mills[np.flatnonzero(last)[fits]] = price[fits]
    return qty, mills


def _retail(
    rows: int, rng: np.random.Generator, patterns: bool = True
) -> tuple[dict[str, pl.DataFrame], dict]:
    start, end = _day(2022, 12, 1), _day(2023, 12, 10)
    start_s = start * _DAY
    period_weeks = (end - start) / 7
    join_weeks = period_weeks
    k_cancel = max(5, round(0.01 * rows))
    k_fee = max(5, round(0.004 * rows))
    k_zero = max(5, round(0.002 * rows))
    k_dup = max(5, round(0.003 * rows))
    k_extreme = max(5, round(0.001 * rows))
    guest_lines = round(0.22 * rows)
    customer_lines = rows - guest_lines - k_cancel - k_fee - k_zero - k_dup - k_extreme

    # Catalogue: ~3,000 stock codes with upper-case descriptions and ladder prices.
    n_codes = 3000
    numbers = rng.choice(
        np.concatenate([np.arange(20600, 24000), np.arange(84000, 86000)]), n_codes, replace=False
    )
    suffix = np.where(rng.random(n_codes) < 0.25, rng.choice(list("ABCDEFG"), n_codes), "")
    codes = numbers.astype(str).astype(object) + suffix.astype(object)
    names = rng.choice(len(_COLOURS) * len(_STYLES) * len(_NOUNS), n_codes, replace=False)
    colour, rest = np.divmod(names, len(_STYLES) * len(_NOUNS))
    style, noun = np.divmod(rest, len(_NOUNS))
    descriptions = (
        np.asarray(_COLOURS, dtype=object)[colour]
        + " "
        + np.asarray(_STYLES, dtype=object)[style]
        + " "
        + np.asarray(_NOUNS, dtype=object)[noun]
    )
    ladder_p = _p(np.exp(-((np.log(_PRICE_LADDER_MILLS / 2500)) ** 2) / (2 * 0.8**2)))
    code_mills = _PRICE_LADDER_MILLS[rng.choice(_PRICE_LADDER_MILLS.size, n_codes, p=ladder_p)]
    code_p = _p(rng.lognormal(0, 1.3, n_codes))

    # Known customers: simulate batches until they hold enough lines, keep a prefix of them.
    parts = []
    simulated = 0
    held = 0
    while held < customer_lines:
        batch = max(200, int((customer_lines - held) / 30 * 1.3))
        cust, weeks, value = _bgnbd_invoices(rng, batch, period_weeks, join_weeks)
        n_lines = _lines_per_invoice(rng, value)
        parts.append((cust + simulated, weeks, value, n_lines))
        simulated += batch
        held += int(n_lines.sum())
    cust = np.concatenate([p[0] for p in parts])
    weeks = np.concatenate([p[1] for p in parts])
    value = np.concatenate([p[2] for p in parts])
    n_lines = np.concatenate([p[3] for p in parts])
    per_customer = np.bincount(cust, weights=n_lines, minlength=simulated).astype(np.int64)
    cum = np.cumsum(per_customer)
    n_customers = int(np.searchsorted(cum, customer_lines, side="right"))
    keep = cust < n_customers
    cust, weeks, value, n_lines = cust[keep], weeks[keep], value[keep], n_lines[keep]
    short = customer_lines - int(n_lines.sum())
    while short > 0:  # top up lines on invoices with room, one line each
        room = np.flatnonzero(n_lines < 30)
        add = rng.choice(room, min(short, room.size), replace=False)
        n_lines[add] += 1
        short -= add.size
    cust_inv_t = start_s + np.floor(weeks * 7).astype(np.int64) * _DAY
    cust_inv_t += _times(rng, np.zeros(1, np.int64), np.ones(1), cust.size, _RETAIL_HOURS)
    customer_code = _customer_codes(rng, n_customers)
    customer_country = rng.choice(len(_COUNTRIES), n_customers, p=_p([c[1] for c in _COUNTRIES]))

    # Guest invoices (no CustomerID): seasonal, with a November peak.
    g_value = rng.gamma(2.0, 120, guest_lines)
    g_lines = _lines_per_invoice(rng, g_value)
    g_cum = np.cumsum(g_lines)
    n_guest = int(np.searchsorted(g_cum, guest_lines) + 1)
    g_value, g_lines = g_value[:n_guest], g_lines[:n_guest]
    g_lines[-1] -= g_cum[n_guest - 1] - guest_lines
    days, p_day = _day_weights(start, end, 0.2, _RETAIL_MONTH, _RETAIL_WEEKDAY, black_friday=2.0)
    g_t = _times(rng, days, p_day, n_guest, _RETAIL_HOURS)
    g_country = rng.choice(len(_GUEST_COUNTRIES), n_guest, p=_p([c[1] for c in _GUEST_COUNTRIES]))

    # Sale invoices: customers' first, then guests'. Lines spread each invoice's value.
    n_sale = cust.size + n_guest
    inv_t = np.concatenate([cust_inv_t, g_t])
    inv_value = np.concatenate([value, g_value])
    inv_lines = np.concatenate([n_lines, g_lines])
    inv_customer = np.concatenate([customer_code[cust], np.full(n_guest, -1)])
    all_countries = tuple(c[0] for c in _COUNTRIES)
    guest_country_idx = np.array([all_countries.index(c[0]) for c in _GUEST_COUNTRIES])
    inv_country = np.concatenate([customer_country[cust], guest_country_idx[g_country]])
    line_inv = np.repeat(np.arange(n_sale), inv_lines)
    n_natural = line_inv.size
    weight = rng.exponential(1.0, n_natural)
    weight /= np.bincount(line_inv, weights=weight, minlength=n_sale)[line_inv]
    line_code = rng.choice(n_codes, n_natural, p=code_p)
    # A line worth more than 40 units of its item takes a pricier item, as big baskets do.
    by_price = np.argsort(code_mills, kind="stable")
    need = inv_value[line_inv] * weight * 1000 / 40
    pricey = np.flatnonzero(need > code_mills[line_code])
    low = np.searchsorted(code_mills[by_price], need[pricey])
    low = np.minimum(low, n_codes - 20)
    line_code[pricey] = by_price[low + (rng.random(pricey.size) * (n_codes - low)).astype(int)]
    line_code = _distinct_within(line_inv, line_code, lambda k: rng.choice(n_codes, k, p=code_p))
    line_mills = code_mills[line_code]
    wanted = inv_value[line_inv] * weight / (line_mills / 1000)
    line_pos = np.arange(n_natural) - np.repeat(np.cumsum(inv_lines) - inv_lines, inv_lines)
    line_qty, line_mills = _quantities(
        wanted,
        line_mills,
        line_inv,
        line_pos == inv_lines[line_inv] - 1,
        inv_value,
        n_invoices=n_sale,
    )

    # Planted extra lines on distinct customer invoices: fees, free items, extreme quantities.
    customer_invoices = np.arange(cust.size)
    extra_inv = rng.choice(customer_invoices, k_fee + k_zero + k_extreme, replace=False)
    fee_inv, zero_inv, extreme_inv = np.split(extra_inv, [k_fee, k_fee + k_zero])
    abroad = inv_country[fee_inv] != 0
    fee_code = np.where(
        abroad & (rng.random(k_fee) < 0.8),
        "POST",
        _pick_text(rng, ("DOT", "M", "C2", "BANK CHARGES", "PADS"), k_fee, _p((4, 6, 3, 2, 1))),
    ).astype(object)
    fee_mills = np.array(
        [
            _FEES[c][1] if isinstance(_FEES[c][1], int) else int(rng.integers(*_FEES[c][1]))
            for c in fee_code
        ],
        dtype=np.int64,
    )
    fee_mills = np.where(fee_mills > 1, np.round(fee_mills, -1), fee_mills)
    fee_qty = np.array([1 + int(rng.integers(0, _FEES[c][2])) for c in fee_code], dtype=np.int64)
    zero_code = rng.choice(n_codes, k_zero, p=code_p)
    zero_qty = rng.choice(_PACKS[:9], k_zero)
    cheap = np.flatnonzero(code_mills <= 850)
    extreme_code = rng.choice(cheap, k_extreme)

    # Planted cancellations: partial returns of customer invoices, dated after the sale.
    shuffled = rng.permutation(customer_invoices)
    take = np.minimum(inv_lines[shuffled], rng.integers(1, 4, shuffled.size))
    n_cancel_inv = int(np.searchsorted(np.cumsum(take), k_cancel) + 1)
    cancelled = shuffled[:n_cancel_inv]
    take = take[:n_cancel_inv]
    take[-1] -= take.sum() - k_cancel
    first_line = np.cumsum(inv_lines) - inv_lines
    c_source = np.repeat(first_line[cancelled], take) + (
        np.arange(k_cancel) - np.repeat(np.cumsum(take) - take, take)
    )
    # A later business day within 20 days when the period allows, else later the same day.
    sale_day = inv_t[cancelled] // _DAY
    later = np.minimum(20, end - 1 - sale_day)
    c_day = sale_day + np.where(later > 0, 1 + (rng.random(n_cancel_inv) * later).astype(int), 0)
    c_inv_t = c_day * _DAY + _times(
        rng, np.zeros(1, np.int64), np.ones(1), c_day.size, _RETAIL_HOURS
    )
    same_day = c_inv_t <= inv_t[cancelled]
    c_inv_t[same_day] = inv_t[cancelled][same_day] + rng.integers(300, 3600, same_day.sum())
    c_qty = -(1 + (rng.random(k_cancel) * line_qty[c_source]).astype(np.int64))

    # Planted duplicates: copies of ordinary customer lines right after the original.
    customer_line = np.flatnonzero(inv_customer[line_inv] >= 0)
    dup_source = rng.choice(customer_line, k_dup, replace=False)

    # All invoices numbered in time order; cancellations get a C prefix.
    n_inv = n_sale + n_cancel_inv
    all_t = np.concatenate([inv_t, c_inv_t])
    rank = np.empty(n_inv, dtype=np.int64)
    rank[np.lexsort((np.arange(n_inv), all_t))] = np.arange(n_inv)
    number = _invoice_numbers(rank, np.arange(n_inv) >= n_sale)
    all_customer = np.concatenate([inv_customer, inv_customer[cancelled]])
    all_country = np.concatenate([inv_country, inv_country[cancelled]])

    # Row table: invoice, position (for order), code (an index into the catalogue's codes, then
    # the fees'), qty, price in mills. Text columns are gathered from the codes at the end.
    fees = tuple(_FEES)
    code_text = pl.Series(list(codes) + list(fees), dtype=pl.String)
    code_desc = pl.Series(list(descriptions) + [_FEES[c][0] for c in fees], dtype=pl.String)
    fee_idx = n_codes + np.array([fees.index(c) for c in fee_code], dtype=np.int64)
    big = 1000
    segments = [
        (line_inv, line_pos * 2, line_code, line_qty, line_mills),
        (
            line_inv[dup_source],
            line_pos[dup_source] * 2 + 1,
            line_code[dup_source],
            line_qty[dup_source],
            line_mills[dup_source],
        ),
        (fee_inv, np.full(k_fee, 2 * big), fee_idx, fee_qty, fee_mills),
        (zero_inv, np.full(k_zero, 2 * big + 2), zero_code, zero_qty, np.zeros(k_zero, np.int64)),
        (
            n_sale + np.repeat(np.arange(n_cancel_inv), take),
            np.arange(k_cancel) * 2,
            line_code[c_source],
            c_qty,
            line_mills[c_source],
        ),
    ]
    row_inv = np.concatenate([s[0] for s in segments] + [extreme_inv])
    row_pos = np.concatenate([s[1] for s in segments] + [np.full(k_extreme, 2 * big + 4)])
    row_code = np.concatenate([s[2] for s in segments] + [extreme_code])
    others_qty = np.concatenate([s[3] for s in segments])
    # Extreme quantities must beat max(100, 50 x median |Quantity|) over all final lines; any
    # value above the natural maximum leaves that median unchanged, so use a placeholder.
    median = np.median(np.concatenate([np.abs(others_qty), np.full(k_extreme, 10**9)]))
    limit = max(100.0, 50 * median)
    extreme_qty = (np.ceil((limit + 1) / 12) + rng.integers(0, 30, k_extreme)).astype(np.int64) * 12
    row_qty = np.concatenate([others_qty, extreme_qty])
    row_mills = np.concatenate([s[4] for s in segments] + [code_mills[extreme_code]])
    order = np.lexsort((row_pos, rank[row_inv]))
    row_inv = row_inv[order]

    lapsed_customers = 0
    if patterns:
        stopped, lapsed_customers = _lapse(rng, cust, inv_t[: cust.size], cancelled)
        all_customer[stopped] = -1

    inv_date = _ts_text(all_t, "%-m/%-d/%Y %-H:%M")
    customer_text = _where_text(all_customer >= 0, _text(all_customer))
    files = {
        "online_retail.csv": _frame(
            {
                "InvoiceNo": number.gather(row_inv),
                "StockCode": code_text.gather(row_code[order]),
                "Description": code_desc.gather(row_code[order]),
                "Quantity": _text(row_qty[order]),
                "InvoiceDate": inv_date.gather(row_inv),
                "UnitPrice": _decimal_text(row_mills[order], 1000),
                "CustomerID": customer_text.gather(row_inv),
                "Country": pl.Series(all_countries, dtype=pl.String).gather(all_country[row_inv]),
            }
        )
    }
    truth = {
        **{f"bgnbd_{k}": v for k, v in _BGNBD.items()},
        **{f"gg_{k}": v for k, v in _GG.items()},
        "period_weeks": period_weeks,
        "join_weeks": join_weeks,
        "customers": n_customers,
        "guest_line_share": files["online_retail.csv"]["CustomerID"].null_count() / rows,
        "lapsed_customers": lapsed_customers,
    }
    return files, truth


LAPSE_FROM = (2023, 9, 10)  # one quarter before the day after the retail demo's last invoice
LAPSE_MIN_ORDERS = 3  # invoices before LAPSE_FROM that make a customer frequent
LAPSE_RECENT_DAYS = 60  # the last of them at most this many days before LAPSE_FROM
LAPSE_CUSTOMERS = 40  # frequent, recent customers who stop buying (fewer when fewer qualify)


def _lapse(
    rng: np.random.Generator, cust: np.ndarray, inv_t: np.ndarray, keep: np.ndarray
) -> tuple[np.ndarray, int]:
    """(invoices that lose their customer, customers stopped) for the retail pattern: of the
    customers with at least LAPSE_MIN_ORDERS invoices before LAPSE_FROM, the last within
    LAPSE_RECENT_DAYS of it, and invoices after it, none of which is in `keep` (a cancelled
    invoice keeps its customer, so that its cancellation still finds the purchase it reverses),
    LAPSE_CUSTOMERS, drawn at random, stop buying. A fixed number, not a share: at millions of
    rows the group stays small next to the BG/NBD customers the CLV fit recovers."""
    cutoff = _day(*LAPSE_FROM) * _DAY
    after = inv_t >= cutoff
    size = int(cust.max()) + 1 if cust.size else 0
    before = np.bincount(cust[~after], minlength=size)
    last = np.full(size, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, cust[~after], inv_t[~after])
    later = np.bincount(cust[after], minlength=size)
    blocked = np.zeros(size, dtype=bool)
    blocked[cust[keep[after[keep]]]] = True
    eligible = np.flatnonzero(
        (before >= LAPSE_MIN_ORDERS)
        & (last >= cutoff - LAPSE_RECENT_DAYS * _DAY)
        & (later > 0)
        & ~blocked
    )
    chosen = np.sort(rng.choice(eligible, min(LAPSE_CUSTOMERS, eligible.size), replace=False))
    return np.flatnonzero(after & np.isin(cust, chosen)), int(chosen.size)


def _retail_counts(files: dict[str, pl.DataFrame]) -> dict[str, int]:
    """Offending units per retail rule, by the rule definitions, from the export frame."""
    lines = files["online_retail.csv"]
    quantity = pl.col("Quantity").cast(pl.Int64).abs()
    limit = max(100.0, 50 * float(lines.select(quantity.median()).item()))
    invoices = lines.select(
        "InvoiceNo", at=pl.col("InvoiceDate").str.to_datetime("%m/%d/%Y %H:%M")
    ).unique("InvoiceNo", maintain_order=True)
    # Sums of conditions rather than heights of filtered copies: a demo may have millions of lines.
    counts = lines.select(
        cancellations=pl.col("InvoiceNo").str.starts_with("C").sum(),
        missing_customer=pl.col("CustomerID").is_null().sum(),
        non_product_codes=pl.col("StockCode").str.to_uppercase().is_in(NON_PRODUCT_CODES).sum(),
        non_positive_price=(pl.col("UnitPrice").cast(pl.Float64) <= 0).sum(),
        extreme_quantity=(quantity > limit).sum(),
    ).row(0, named=True)
    # Only lines whose row hash repeats can be duplicates; count those exactly.
    maybe = lines.filter(pl.struct(pl.all()).hash().is_duplicated())
    return {
        **{rule: int(count) for rule, count in counts.items()},
        "duplicate_rows": maybe.height - maybe.unique().height,
        "thin_months": _thin_month_count(invoices["at"]),
        "future_dates": invoices.filter(pl.col("at") > pl.lit(FUTURE).str.to_datetime(_ISO)).height,
    }
