"""Deterministic synthetic demo data sets, written in each source export format."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from lib import io
from lib.quality import NON_PRODUCT_CODES

KINDS: tuple[str, ...] = ("marketplace", "webshop", "retail")
DEFAULT_ROWS: dict[str, int] = {"marketplace": 20_000, "webshop": 30_000, "retail": 60_000}
MIN_ROWS = 500

RULES: tuple[str, ...] = (
    "delivered_before_purchase",
    "delivered_before_pickup",
    "delivered_without_date",
    "payment_mismatch",
    "deal_before_contact",
    "unknown_origin",
    "thin_months",
    "duplicate_rows",
    "missing_customer",
    "non_positive_price",
    "extreme_quantity",
    "future_dates",
    "cancellations",
    "non_product_codes",
    "paid_before_created",
    "orders_after_deletion",
    "catalogue_price_mismatch",
    "empty_days",
    "misspelled_parameter",
)
FUTURE = "2026-01-01 00:00:00"

COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "marketplace": {
        "olist_orders_dataset.csv": (
            "order_id",
            "customer_id",
            "order_status",
            "order_purchase_timestamp",
            "order_approved_at",
            "order_delivered_carrier_date",
            "order_delivered_customer_date",
            "order_estimated_delivery_date",
        ),
        "olist_order_items_dataset.csv": (
            "order_id",
            "order_item_id",
            "product_id",
            "seller_id",
            "shipping_limit_date",
            "price",
            "freight_value",
        ),
        "olist_customers_dataset.csv": (
            "customer_id",
            "customer_unique_id",
            "customer_zip_code_prefix",
            "customer_city",
            "customer_state",
        ),
        "olist_sellers_dataset.csv": (
            "seller_id",
            "seller_zip_code_prefix",
            "seller_city",
            "seller_state",
        ),
        "olist_products_dataset.csv": (
            "product_id",
            "product_category_name",
            "product_name_lenght",
            "product_description_lenght",
            "product_photos_qty",
            "product_weight_g",
            "product_length_cm",
            "product_height_cm",
            "product_width_cm",
        ),
        "olist_order_payments_dataset.csv": (
            "order_id",
            "payment_sequential",
            "payment_type",
            "payment_installments",
            "payment_value",
        ),
        "olist_order_reviews_dataset.csv": (
            "review_id",
            "order_id",
            "review_score",
            "review_comment_title",
            "review_comment_message",
            "review_creation_date",
            "review_answer_timestamp",
        ),
        "olist_geolocation_dataset.csv": (
            "geolocation_zip_code_prefix",
            "geolocation_lat",
            "geolocation_lng",
            "geolocation_city",
            "geolocation_state",
        ),
        "product_category_name_translation.csv": (
            "product_category_name",
            "product_category_name_english",
        ),
        "olist_marketing_qualified_leads_dataset.csv": (
            "mql_id",
            "first_contact_date",
            "landing_page_id",
            "origin",
        ),
        "olist_closed_deals_dataset.csv": (
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
        ),
    },
    "webshop": {
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
    },
    "retail": {
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
    },
}


def _rep_ids(role: str, n: int) -> tuple[str, ...]:
    # Hashes of fixed names, so rep ids are the same for every seed and tests can name them.
    return tuple(hashlib.md5(f"storelens-demo-{role}-{i}".encode()).hexdigest() for i in range(n))


SDR_IDS: tuple[str, ...] = _rep_ids("sdr", 8)
SR_IDS: tuple[str, ...] = _rep_ids("sr", 10)
FAST_SR_ID = SR_IDS[0]  # closes online_big leads in a fraction of the usual time
SLOW_SR_ID = SR_IDS[3]  # takes several times longer than usual on industry leads
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


@dataclass(frozen=True)
class Demo:
    """One demo data set: export files as text frames, the anomalies planted, the true parameters.

    `files` maps an export file name to a frame with exactly that export's columns, every column
    pl.String holding the text a CSV export holds (None = empty cell). `planted` maps every rule
    id in RULES to the exact number of offending units in `files`. `truth` holds the known
    generating parameters (see `demo`).
    """

    kind: str
    files: dict[str, pl.DataFrame]
    planted: dict[str, int]
    truth: dict[str, float]


def demo(kind: str, rows: int | None = None, seed: int = 1, patterns: bool = True) -> Demo:
    """A demo data set of `kind`, deterministic given (kind, rows, seed, patterns).

    rows counts orders (marketplace), orders.csv line rows (webshop) or invoice lines (retail),
    defaulting to DEFAULT_ROWS; at least MIN_ROWS.

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
    - marketplace: late_share (share of delivered orders with a delivery date that arrived after
      the estimate, measured on the files), late_base_prob (per-order late probability before
      region, seller and season factors), growth_per_year (log growth of daily orders),
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
    if kind not in KINDS:
        raise ValueError(f"unknown demo kind {kind!r}; expected one of {', '.join(KINDS)}")
    rows = DEFAULT_ROWS[kind] if rows is None else int(rows)
    if rows < MIN_ROWS:
        raise ValueError(f"a demo needs at least {MIN_ROWS} rows, got {rows}")
    rng = np.random.default_rng(seed)
    build = {"marketplace": _marketplace, "webshop": _webshop, "retail": _retail}[kind]
    files, truth = build(rows, rng, patterns)
    counts = {"marketplace": _olist_counts, "webshop": _webshop_counts, "retail": _retail_counts}
    planted = dict.fromkeys(RULES, 0) | counts[kind](files)
    return Demo(kind, files, planted, {k: float(v) for k, v in truth.items()})


# ---------------------------------------------------------------------------------------------
# Shared helpers: epoch seconds and days in numpy, text columns in polars.

_DAY = 86_400
_NA = np.iinfo(np.int64).min
_ISO = "%Y-%m-%d %H:%M:%S"
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _day(y: int, m: int, d: int) -> int:
    return (date(y, m, d) - date(1970, 1, 1)).days


def _year_of(day: int) -> int:
    return (date(1970, 1, 1) + timedelta(days=int(day))).year


def _black_friday(year: int) -> int:
    nov1 = date(year, 11, 1)
    fourth_thursday = 1 + (3 - nov1.weekday()) % 7 + 21
    return _day(year, 11, fourth_thursday + 1)


def _p(weights: np.ndarray | list[float] | tuple[float, ...]) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    return w / w.sum()


def _day_weights(
    day0: int,
    day1: int,
    growth: float,
    month_factor: tuple[float, ...],
    weekday_factor: tuple[float, ...],
    *,
    black_friday: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(epoch days in [day0, day1), probability of each) with growth, season and Black Friday."""
    days = np.arange(day0, day1, dtype=np.int64)
    month = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    w = np.exp(growth * (days - day0) / 365.25)
    w *= np.asarray(month_factor)[month] * np.asarray(weekday_factor)[weekday]
    for year in range(_year_of(day0), _year_of(day1 - 1) + 1):
        bf = _black_friday(year)
        w[(days >= bf - 1) & (days <= bf + 3)] *= 1.8  # the long weekend through Cyber Monday
        w[days == bf] *= black_friday
    return days, w / w.sum()


def _times(
    rng: np.random.Generator, days: np.ndarray, p: np.ndarray, size: int, hours: np.ndarray
) -> np.ndarray:
    """Epoch seconds: a day drawn with probabilities p, an hour from `hours`, a uniform second."""
    day = days[rng.choice(days.size, size=size, p=p)]
    hour = rng.choice(24, size=size, p=hours)
    return day * _DAY + hour * 3600 + rng.integers(0, 3600, size=size)


def _hex_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """n random 32-hex ids (as numpy bytes, S32)."""
    raw = np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16)
    chars = np.empty((n, 32), dtype=np.uint8)
    chars[:, 0::2] = _HEX[raw >> 4]
    chars[:, 1::2] = _HEX[raw & 15]
    return chars.view("S32").ravel()


def _text(values: np.ndarray) -> pl.Series:
    """Ids (S32 bytes), integers or strings as a String column."""
    return pl.Series(values).cast(pl.String)


def _where_text(keep: np.ndarray, values: pl.Series, other: str | None = None) -> pl.Series:
    """values where keep, else `other` (None = empty cell)."""
    frame = pl.DataFrame({"keep": np.asarray(keep, dtype=bool), "v": values})
    return frame.select(pl.when("keep").then("v").otherwise(pl.lit(other, pl.String))).to_series()


def _ts_text(seconds: np.ndarray, fmt: str = _ISO) -> pl.Series:
    """Epoch seconds as text in `fmt`; _NA becomes an empty cell."""
    frame = pl.DataFrame({"s": np.asarray(seconds, dtype=np.int64)})
    valid = pl.when(pl.col("s") != _NA).then(pl.col("s"))
    return frame.select(pl.from_epoch(valid, time_unit="s").dt.strftime(fmt)).to_series()


def _decimal_text(units: np.ndarray, per: int = 100) -> pl.Series:
    """Integer cents (or other units) as shortest decimal text: 5890 -> '58.9', 14400 -> '144.0'."""
    # numpy division is correctly rounded; polars may multiply by 1/per and print 8.120000000000001
    return pl.Series(np.asarray(units, dtype=np.int64) / per).cast(pl.String)


def _pick_text(
    rng: np.random.Generator, pool: tuple[str, ...], size: int, p: np.ndarray | None = None
) -> np.ndarray:
    return np.asarray(pool, dtype=object)[rng.choice(len(pool), size=size, p=p)]


def _frame(columns: dict[str, pl.Series | np.ndarray | list]) -> pl.DataFrame:
    """A frame of String columns named in order."""
    out = {}
    for name, values in columns.items():
        if isinstance(values, np.ndarray) and values.dtype == object:
            # via a list: polars infers an object array from its first value, and None defeats it
            out[name] = pl.Series(values.tolist(), dtype=pl.String)
        else:
            series = values if isinstance(values, pl.Series) else pl.Series(values)
            out[name] = series.cast(pl.String)
    return pl.DataFrame(out)


def _distinct_within(
    group: np.ndarray,
    values: np.ndarray,
    draw: Callable[[int], np.ndarray],
) -> np.ndarray:
    """values with repeats inside a group redrawn (draw(k) gives k fresh values) until none."""
    values = values.copy()
    for _ in range(50):
        order = np.lexsort((values, group))
        g, v = group[order], values[order]
        repeat = np.zeros(values.size, dtype=bool)
        repeat[1:] = (g[1:] == g[:-1]) & (v[1:] == v[:-1])
        bad = order[repeat]
        if bad.size == 0:
            break
        values[bad] = draw(bad.size)
    return values


def _thin_month_count(moments: pl.Series) -> int:
    """Months from the first to the last with fewer than 10% of the median monthly count."""
    moments = moments.drop_nulls()
    if moments.len() == 0:
        return 0
    month = (moments.dt.year().cast(pl.Int64) * 12 + moments.dt.month().cast(pl.Int64)).to_numpy()
    counts = np.bincount(month - month.min())
    return int((counts < 0.1 * np.median(counts)).sum())


def _future_count(frame: pl.DataFrame, columns: tuple[str, ...], fmt: str = _ISO) -> int:
    """Rows with any of `columns` later than FUTURE (text compared through datetimes)."""
    limit = pl.lit(FUTURE).str.to_datetime(_ISO)
    parsed = [pl.col(c).str.to_datetime(fmt, strict=False) > limit for c in columns]
    return frame.filter(pl.any_horizontal(parsed).fill_null(False)).height


# ---------------------------------------------------------------------------------------------
# Marketplace (Olist).

# (Portuguese name, English name, share of lines, median price BRL, log growth per year, weight g)
_CATEGORIES = (
    ("cama_mesa_banho", "bed_bath_table", 10.0, 75, 0.00, 1800),
    ("beleza_saude", "health_beauty", 9.0, 95, 0.30, 800),
    ("esporte_lazer", "sports_leisure", 8.0, 90, 0.05, 1500),
    ("moveis_decoracao", "furniture_decor", 7.5, 85, 0.00, 2500),
    ("informatica_acessorios", "computers_accessories", 7.0, 110, -0.25, 900),
    ("utilidades_domesticas", "housewares", 6.0, 65, 0.25, 1500),
    ("relogios_presentes", "watches_gifts", 5.5, 190, 0.45, 500),
    ("telefonia", "telephony", 4.5, 55, -0.35, 300),
    ("ferramentas_jardim", "garden_tools", 3.8, 95, 0.05, 2000),
    ("automotivo", "auto", 3.6, 120, 0.10, 1800),
    ("brinquedos", "toys", 3.6, 100, 0.10, 1000),
    ("cool_stuff", "cool_stuff", 3.2, 160, -0.30, 1800),
    ("perfumaria", "perfumery", 3.0, 105, 0.05, 400),
    ("bebes", "baby", 2.8, 120, 0.30, 1800),
    ("eletronicos", "electronics", 2.6, 60, -0.40, 400),
    ("papelaria", "stationery", 2.2, 70, 0.00, 700),
    ("fashion_bolsas_e_acessorios", "fashion_bags_accessories", 1.9, 65, 0.35, 400),
    ("pet_shop", "pet_shop", 1.7, 80, 0.55, 1800),
    ("moveis_escritorio", "office_furniture", 1.6, 170, -0.50, 9000),
    ("consoles_games", "consoles_games", 1.2, 150, -0.30, 700),
)
_HOLIDAY_CATEGORIES = ("brinquedos", "relogios_presentes", "consoles_games")

# UF -> (share of customers %, share of sellers %, zip prefix range, cities; capital first)
_STATES: dict[str, tuple[float, float, tuple[int, int], tuple[str, ...]]] = {
    "AC": (0.08, 0.02, (69900, 69999), ("rio branco", "cruzeiro do sul")),
    "AL": (0.40, 0.05, (57000, 57999), ("maceio", "arapiraca")),
    "AP": (0.07, 0.02, (68900, 68999), ("macapa", "santana")),
    "AM": (0.15, 0.05, (69000, 69299), ("manaus", "parintins")),
    "BA": (3.40, 0.80, (40000, 48999), ("salvador", "feira de santana", "vitoria da conquista")),
    "CE": (1.30, 0.30, (60000, 63999), ("fortaleza", "caucaia", "juazeiro do norte")),
    "DF": (2.20, 1.00, (70000, 72799), ("brasilia", "taguatinga", "ceilandia")),
    "ES": (2.00, 1.00, (29000, 29999), ("vitoria", "vila velha", "serra", "cariacica")),
    "GO": (2.00, 1.20, (72800, 76799), ("goiania", "aparecida de goiania", "anapolis")),
    "MA": (0.75, 0.05, (65000, 65999), ("sao luis", "imperatriz")),
    "MT": (0.90, 0.20, (78000, 78899), ("cuiaba", "varzea grande", "rondonopolis")),
    "MS": (0.70, 0.20, (79000, 79999), ("campo grande", "dourados")),
    "MG": (11.70, 8.00, (30000, 39999), ("belo horizonte", "uberlandia", "contagem", "betim")),
    "PA": (1.00, 0.05, (66000, 68899), ("belem", "ananindeua", "santarem")),
    "PB": (0.55, 0.10, (58000, 58999), ("joao pessoa", "campina grande")),
    "PR": (5.10, 11.00, (80000, 87999), ("curitiba", "londrina", "maringa", "ponta grossa")),
    "PE": (1.70, 0.50, (50000, 56999), ("recife", "jaboatao dos guararapes", "olinda")),
    "PI": (0.50, 0.05, (64000, 64999), ("teresina", "parnaiba")),
    "RJ": (
        12.90,
        5.00,
        (20000, 28999),
        ("rio de janeiro", "niteroi", "sao goncalo", "nova iguacu"),
    ),
    "RN": (0.50, 0.10, (59000, 59999), ("natal", "mossoro")),
    "RS": (5.50, 4.00, (90000, 99999), ("porto alegre", "caxias do sul", "canoas", "pelotas")),
    "RO": (0.25, 0.05, (76800, 76999), ("porto velho", "ji-parana")),
    "RR": (0.05, 0.02, (69300, 69399), ("boa vista",)),
    "SC": (3.70, 6.00, (88000, 89999), ("florianopolis", "joinville", "blumenau", "sao jose")),
    "SP": (
        41.90,
        60.00,
        (1000, 19999),
        ("sao paulo", "campinas", "guarulhos", "santo andre", "osasco", "ribeirao preto", "santos"),
    ),
    "SE": (0.35, 0.05, (49000, 49999), ("aracaju", "nossa senhora do socorro")),
    "TO": (0.30, 0.05, (77000, 77999), ("palmas", "araguaina")),
}
_LATE_REGION = {"Nordeste": 2.2, "Norte": 1.9, "Centro-Oeste": 1.1, "Sudeste": 1.0, "Sul": 0.8}
_LATE_STATE = {"RJ": 1.6, "ES": 1.3}
_LATE_BASE = 0.048
_OLIST_GROWTH = 0.35
_OLIST_MONTH = (0.9, 0.85, 1.0, 0.95, 1.05, 0.95, 1.0, 1.05, 0.95, 1.0, 1.45, 1.1)
_OLIST_WEEKDAY = (1.12, 1.1, 1.05, 1.0, 0.95, 0.8, 0.85)
_OLIST_HOURS = _p(
    (3, 1.5, 0.7, 0.4, 0.3, 0.4, 1, 2.5, 4.5, 6, 6.5, 6.5, 6, 6.5, 6.5, 6.2, 6.2, 5.8, 5.5, 5.5, 6)
    + (6.3, 5.8, 4.5)
)
_STATUSES = ("delivered", "shipped", "canceled", "unavailable", "invoiced", "processing")
_STATUS_P = _p((0.9697, 0.011, 0.0063, 0.0061, 0.0037, 0.0032))
_PAYMENT_TYPES = ("credit_card", "boleto", "voucher", "debit_card")
_PAYMENT_P = _p((0.74, 0.19, 0.055, 0.015))
_SCORE_P = {
    "on_time": _p((0.06, 0.025, 0.08, 0.21, 0.625)),
    "late": _p((0.40, 0.11, 0.15, 0.14, 0.20)),
    "undelivered": _p((0.62, 0.09, 0.10, 0.07, 0.12)),
}
_REVIEW_TEXT = {
    "bad": (
        ("Não recomendo", "Atrasou", "Péssimo", "Não chegou", "Decepcionado"),
        (
            "Produto ainda não chegou e ninguém responde.",
            "Entrega muito atrasada, não compro mais.",
            "Recebi o produto errado.",
            "Veio com defeito, quero devolver.",
            "Paguei e até agora nada.",
        ),
    ),
    "mid": (
        ("Razoável", "Ok", "Mais ou menos"),
        (
            "Produto bom, mas a embalagem veio amassada.",
            "Atendeu às expectativas.",
            "Demorou um pouco, mas chegou.",
            "Qualidade razoável pelo preço.",
        ),
    ),
    "good": (
        ("Recomendo", "Muito bom", "Ótimo produto", "Super recomendo", "Excelente"),
        (
            "Produto chegou antes do prazo, muito bem embalado.",
            "Gostei muito, recomendo a loja.",
            "Entrega rápida e produto de qualidade.",
            "Tudo certo, comprarei novamente.",
            "Produto conforme o anúncio.",
        ),
    ),
}
# origin -> (share of leads, relative chance of closing); None is an empty cell
_ORIGINS = (
    ("organic_search", 0.29, 1.0),
    ("paid_search", 0.20, 1.1),
    ("social", 0.17, 0.6),
    ("direct_traffic", 0.065, 1.05),
    ("email", 0.06, 0.35),
    ("unknown", 0.03, 0.9),
    ("referral", 0.035, 1.4),
    ("other", 0.02, 0.5),
    ("display", 0.015, 0.45),
    ("other_publicities", 0.008, 0.6),
    (None, 0.007, 0.9),
)
_SEGMENTS = (
    "home_decor",
    "health_beauty",
    "car_accessories",
    "household_utilities",
    "construction_tools_house_garden",
    "audio_video_electronics",
    "computers",
    "pet",
    "sports_leisure",
    "bed_bath_table",
    "food_drink",
    "small_appliances",
    "toys",
    "jewerly",
    "stationery",
)
_LEAD_TYPES = (
    "online_big",
    "online_medium",
    "online_small",
    "online_beginner",
    "online_top",
    "industry",
    "offline",
)
_LEAD_TYPE_P = (0.14, 0.40, 0.09, 0.07, 0.02, 0.15, 0.13)
_LEAD_TYPE_DAYS = (1.0, 1.0, 0.8, 0.7, 1.3, 1.6, 1.4)
_SR_P = (0.19, 0.15, 0.13, 0.11, 0.10, 0.09, 0.08, 0.07, 0.05, 0.03)
_SR_MEDIAN_DAYS = (14, 25, 30, 20, 18, 35, 28, 20, 32, 26)
_SDR_P = (0.22, 0.18, 0.15, 0.13, 0.11, 0.09, 0.07, 0.05)
_FAST_FACTOR, _SLOW_FACTOR = 0.15, 5.0
_PROFILES = ("cat", "eagle", "wolf", "shark", "cat, wolf", None)
_PROFILE_P = (0.49, 0.15, 0.12, 0.03, 0.01, 0.20)


def _distance_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Great-circle distances between state centroids; 150 km within a state."""
    la, lo = np.radians(lat), np.radians(lon)
    h = (
        np.sin((la[:, None] - la[None, :]) / 2) ** 2
        + np.cos(la[:, None]) * np.cos(la[None, :]) * np.sin((lo[:, None] - lo[None, :]) / 2) ** 2
    )
    d = 2 * 6371 * np.arcsin(np.sqrt(h))
    np.fill_diagonal(d, 150.0)
    return d


def _month_index(seconds: np.ndarray, year0: int) -> np.ndarray:
    months = (np.asarray(seconds) // _DAY).astype("datetime64[D]").astype("datetime64[M]")
    return months.astype(np.int64) - (year0 - 1970) * 12


def _marketplace(
    n: int, rng: np.random.Generator, patterns: bool = True
) -> tuple[dict[str, pl.DataFrame], dict]:
    states = io.read_reference("br_states.csv")
    uf = states["state"].to_list()
    if sorted(uf) != sorted(_STATES):
        raise ValueError("br_states.csv must list the 27 Brazilian federative units")
    n_states = len(uf)
    lat, lon = states["lat"].to_numpy(), states["lon"].to_numpy()
    dist = _distance_km(lat, lon)
    late_state = np.array(
        [
            _LATE_REGION[r] * _LATE_STATE.get(s, 1.0)
            for s, r in zip(uf, states["region"], strict=True)
        ]
    )
    cust_p = _p([_STATES[s][0] for s in uf])
    seller_p = _p([_STATES[s][1] for s in uf])

    # Zip prefixes: a pool per state, each with one city (the capital gets the most).
    pool_size = max(200, min(2500, n // 8))
    zip_code, zip_state, zip_city = [], [], []
    for k, s in enumerate(uf):
        lo_zip, hi_zip = _STATES[s][2]
        cities = _STATES[s][3]
        size = min(hi_zip - lo_zip + 1, max(4, round(pool_size * (cust_p[k] + seller_p[k]) / 2)))
        codes = np.sort(rng.choice(hi_zip - lo_zip + 1, size=size, replace=False) + lo_zip)
        city_p = _p([3.0] + [1.0] * (len(cities) - 1))
        zip_code.append(codes)
        zip_state.append(np.full(size, k))
        zip_city.append(np.asarray(cities, dtype=object)[rng.choice(len(cities), size, p=city_p)])
    zip_code = np.concatenate(zip_code)
    zip_state = np.concatenate(zip_state)
    zip_city = np.concatenate(zip_city)
    zips_of_state = [np.flatnonzero(zip_state == k) for k in range(n_states)]

    def zips_for(state_idx: np.ndarray) -> np.ndarray:
        out = np.empty(state_idx.size, dtype=np.int64)
        for k in range(n_states):
            at = np.flatnonzero(state_idx == k)
            out[at] = zips_of_state[k][rng.integers(0, zips_of_state[k].size, at.size)]
        return out

    # Purchase times: a handful of orders in the first and last month (thin months at both ends),
    # the rest with growth, seasonality and Black Friday.
    k_edge = max(1, min(6, n // 2000))
    days, p_day = _day_weights(
        _day(2022, 2, 1),
        _day(2024, 8, 1),
        _OLIST_GROWTH,
        _OLIST_MONTH,
        _OLIST_WEEKDAY,
        black_friday=3.5,
    )
    first_edge = np.arange(_day(2022, 1, 1), _day(2022, 2, 1))
    last_edge = np.arange(_day(2024, 8, 1), _day(2024, 9, 1))
    purchase = np.sort(
        np.concatenate(
            [
                _times(rng, first_edge, _p(np.ones(first_edge.size)), k_edge, _OLIST_HOURS),
                _times(rng, days, p_day, n - 2 * k_edge, _OLIST_HOURS),
                _times(rng, last_edge, _p(np.ones(last_edge.size)), k_edge, _OLIST_HOURS),
            ]
        )
    )
    month = _month_index(purchase, 2022)
    n_months = 32

    # Persons: ~4.5% of them place 2+ orders; customer_id is per order, as in the export.
    per_person = 1 + (rng.random(n) < 0.045) * (1 + rng.poisson(0.25, n))
    cum = np.cumsum(per_person)
    n_persons = int(np.searchsorted(cum, n) + 1)
    per_person = per_person[:n_persons]
    per_person[-1] -= cum[n_persons - 1] - n
    person = rng.permutation(np.repeat(np.arange(n_persons), per_person))
    person_state = rng.choice(n_states, n_persons, p=cust_p)
    person_zip = zips_for(person_state)
    cust_state = person_state[person]

    # Leads and deals come first: a deal's seller sells only after the deal was won.
    leads, deals, deal_won_true, lead_truth = _funnel(n, rng)
    n_deals = deals["mql_id"].len()
    n_base = max(20, n // 30)
    n_sellers = n_base + n_deals
    seller_state = rng.choice(n_states, n_sellers, p=seller_p)
    seller_zip = zips_for(seller_state)
    seller_pop = rng.pareto(1.3, n_sellers) + 1.0
    seller_late = np.where(rng.random(n_sellers) < 0.08, 3.0, 1.0)
    seller_start = np.zeros(n_sellers, dtype=np.int64)
    seller_start[n_base:] = _month_index(deal_won_true, 2022) + 1
    seller_hex = _hex_ids(rng, n_sellers)

    # Products: base sellers carry most; 60% of deal sellers list a few products.
    n_cat = len(_CATEGORIES)
    cat_share = _p([c[2] for c in _CATEGORIES])
    n_base_products = max(300, n // 3)
    deal_counts = np.where(rng.random(n_deals) < 0.6, 1 + rng.poisson(1.2, n_deals), 0)
    product_seller = np.concatenate(
        [
            rng.choice(n_base, n_base_products, p=_p(seller_pop[:n_base])),
            np.repeat(np.arange(n_base, n_sellers), deal_counts),
        ]
    )
    n_products = product_seller.size
    product_cat = rng.choice(n_cat, n_products, p=cat_share)
    product_pop = rng.lognormal(0.0, 1.0, n_products)
    product_pop[n_base_products:] *= 2.0
    median_price = np.array([c[3] for c in _CATEGORIES], dtype=np.float64)
    whole = np.maximum(5, np.floor(median_price[product_cat] * rng.lognormal(0, 0.6, n_products)))
    ending = rng.choice(np.array([90, 99, 0]), n_products, p=(0.6, 0.25, 0.15))
    product_cents = (whole * 100 + ending).astype(np.int64) - np.where(ending > 0, 100, 0)
    median_weight = np.array([c[5] for c in _CATEGORIES], dtype=np.float64)
    product_weight = np.maximum(50, median_weight[product_cat] * rng.lognormal(0, 0.8, n_products))
    product_weight = np.round(product_weight, -1).astype(np.int64)
    product_start = seller_start[product_seller]

    # Order statuses; unavailable orders have no items.
    status = rng.choice(len(_STATUSES), n, p=_STATUS_P)
    status[(month == 0) | (month == n_months - 1)] = 0  # thin months hold ordinary orders
    pay_type = rng.choice(len(_PAYMENT_TYPES), n, p=_PAYMENT_P)

    # Lines: 1-6 items; a repeated item repeats the first product, others are fresh draws by
    # category (growing or fading) and by product among sellers already active that month.
    n_items = rng.choice(np.arange(1, 7), n, p=_p((0.885, 0.08, 0.022, 0.008, 0.003, 0.002)))
    n_items[status == 3] = 0
    line_order = np.repeat(np.arange(n), n_items)
    line_no = np.arange(line_order.size) - np.repeat(np.cumsum(n_items) - n_items, n_items) + 1
    fresh = (line_no == 1) | (rng.random(line_order.size) < 0.5)
    years = (np.arange(n_months) + 0.5) / 12
    growth = np.array([c[4] for c in _CATEGORIES])
    cat_month = np.exp(np.outer(years, growth)) * cat_share
    holiday = np.array([c[0] in _HOLIDAY_CATEGORIES for c in _CATEGORIES])
    for m in range(n_months):
        if m % 12 in (10, 11):
            cat_month[m, holiday] *= 1.6
    fresh_idx = np.flatnonzero(fresh)
    fresh_month = month[line_order[fresh_idx]]
    fresh_cat = np.empty(fresh_idx.size, dtype=np.int64)
    for m in range(n_months):
        at = np.flatnonzero(fresh_month == m)
        fresh_cat[at] = rng.choice(n_cat, at.size, p=_p(cat_month[m]))
    by_cat = []
    for c in range(n_cat):
        members = np.flatnonzero(product_cat == c)
        members = members[np.argsort(product_start[members], kind="stable")]
        by_cat.append((members, product_start[members], np.cumsum(product_pop[members])))
    fresh_product = np.empty(fresh_idx.size, dtype=np.int64)
    group = fresh_month * n_cat + fresh_cat
    order = np.argsort(group, kind="stable")
    bounds = np.flatnonzero(np.diff(group[order])) + 1
    for chunk in np.split(order, bounds):
        if chunk.size == 0:
            continue
        m, c = divmod(int(group[chunk[0]]), n_cat)
        members, start, cum_pop = by_cat[c]
        active = int(np.searchsorted(start, m, side="right"))
        if active == 0:  # no product of this category on sale yet: any base product
            base = product_pop[:n_base_products]
            fresh_product[chunk] = rng.choice(n_base_products, chunk.size, p=_p(base))
            continue
        u = rng.random(chunk.size) * cum_pop[active - 1]
        fresh_product[chunk] = members[np.searchsorted(cum_pop[:active], u, side="right")]
    line_product = np.empty(line_order.size, dtype=np.int64)
    line_product[fresh_idx] = fresh_product
    first_line = np.cumsum(n_items) - n_items
    for k in range(2, 7):  # repeated items copy the order's first product
        at = np.flatnonzero(~fresh & (line_no == k))
        line_product[at] = line_product[first_line[line_order[at]]]
    line_seller = product_seller[line_product]

    # Delivery: promised days grow with distance; lateness depends on region, seller and season.
    first_seller = np.zeros(n, dtype=np.int64)
    has_items = n_items > 0
    first_seller[has_items] = line_seller[first_line[has_items]]
    from_state = np.where(has_items, seller_state[first_seller], uf.index("SP"))
    order_dist = dist[from_state, cust_state]
    promised = np.clip(np.round(7 + order_dist / 120 + rng.normal(0, 2, n)), 5, 60).astype(np.int64)
    estimated = (purchase // _DAY + promised) * _DAY
    season = np.array([1.0, 1.25, 1.25, 1, 1, 1, 1, 1, 1, 1, 1.6, 1.3])[month % 12]
    p_late = _LATE_BASE * late_state[cust_state] * seller_late[first_seller] * season
    delivered_status = status == 0
    late = delivered_status & (rng.random(n) < p_late)
    frac = 0.25 + 0.72 * rng.beta(3, 2, n)
    on_time_at = purchase + (frac * (estimated - purchase)).astype(np.int64)
    late_at = estimated + 7200 + (rng.gamma(1.4, 4.5, n) * _DAY).astype(np.int64)
    delivered = np.where(late, late_at, on_time_at)
    boleto = pay_type == 1
    delay = np.where(
        boleto, rng.gamma(2.0, 0.6, n) * _DAY, 600 + rng.exponential(2 * 3600, n)
    ).astype(np.int64)
    delay = np.where(delivered_status, np.minimum(delay, (delivered - purchase) // 5), delay)
    approved = purchase + delay
    carrier = approved + (rng.uniform(0.1, 0.5, n) * (delivered - approved)).astype(np.int64)
    shipped = status == 1
    carrier = np.where(shipped, approved + (rng.uniform(1, 6, n) * _DAY).astype(np.int64), carrier)
    carrier = np.where(delivered_status | shipped, carrier, _NA)
    approved = np.where((status == 2) & (rng.random(n) < 0.3), _NA, approved)
    delivered = np.where(delivered_status, delivered, _NA)

    # Planted delivery anomalies on distinct delivered orders of ordinary months.
    k_delivery = max(5, round(0.0015 * n))
    eligible = np.flatnonzero(delivered_status & (month > 0) & (month < n_months - 1))
    chosen = rng.choice(eligible, 3 * k_delivery, replace=False)
    before_purchase, before_pickup, without_date = np.split(chosen, 3)
    delivered[before_purchase] = purchase[before_purchase] - (
        rng.uniform(1, 20, k_delivery) * _DAY
    ).astype(np.int64)
    carrier[before_purchase] = _NA  # so it breaks only the purchase rule
    carrier[before_pickup] = delivered[before_pickup] + (
        rng.uniform(0.5, 4, k_delivery) * _DAY
    ).astype(np.int64)
    delivered[without_date] = _NA
    late_final = (delivered != _NA) & (delivered > estimated) & delivered_status

    # Money in integer cents: prices from the catalogue, freight by weight and distance.
    line_cents = product_cents[line_product]
    line_dist = dist[seller_state[line_seller], cust_state[line_order]]
    freight_brl = 9 + product_weight[line_product] / 1000 * 1.2 + line_dist * 0.005
    freight_cents = np.round(freight_brl * rng.lognormal(0, 0.2, line_order.size) * 100)
    freight_cents = freight_cents.astype(np.int64)
    due = np.bincount(line_order, weights=line_cents + freight_cents, minlength=n)
    due = np.round(due).astype(np.int64)
    no_items = ~has_items
    due[no_items] = np.round(rng.lognormal(np.log(120), 0.6, no_items.sum()) * 100).astype(np.int64)
    limit_base = np.where(approved != _NA, approved, purchase)
    shipping_limit = limit_base + (rng.uniform(2, 7, n) * _DAY).astype(np.int64)

    # Payments: split in cents so each order's payments sum to its items plus freight exactly.
    n_pay = np.where(
        pay_type == 2,
        rng.choice([1, 2, 3], n, p=(0.5, 0.3, 0.2)),
        rng.choice([1, 2], n, p=(0.97, 0.03)),
    )
    k_pay = max(5, round(0.002 * n))
    pay_ok = has_items & (n_pay == 1)
    pay_ok[chosen] = False
    mismatched = rng.choice(np.flatnonzero(pay_ok), k_pay, replace=False)
    paid_total = due.copy()
    shift = np.maximum(100, np.round(due[mismatched] * rng.uniform(0.05, 0.3, k_pay)))
    sign = np.where((rng.random(k_pay) < 0.5) & (due[mismatched] > 2 * shift), -1, 1)
    paid_total[mismatched] += (sign * shift).astype(np.int64)
    pay_order = np.repeat(np.arange(n), n_pay)
    pay_seq = np.arange(pay_order.size) - np.repeat(np.cumsum(n_pay) - n_pay, n_pay) + 1
    cuts = np.sort(rng.uniform(0.1, 0.9, (n, 2)), axis=1)
    edges = np.column_stack(
        [
            np.zeros(n),
            np.where(n_pay >= 2, cuts[:, 0], 1.0),
            np.where(n_pay == 3, cuts[:, 1], 1.0),
            np.ones(n),
        ]
    )
    edges_cents = np.round(edges * paid_total[:, None]).astype(np.int64)
    pay_value = edges_cents[pay_order, pay_seq] - edges_cents[pay_order, pay_seq - 1]
    pay_kind = np.where(pay_seq == 1, pay_type[pay_order], 2)  # later payments are vouchers
    installments = np.where(
        pay_kind == 0,
        rng.choice(np.arange(1, 11), pay_order.size, p=_p((45, 12, 11, 8, 6, 4, 3, 4, 2, 5))),
        1,
    )

    # Reviews: late orders score clearly lower; ~1% of orders have none.
    has_review = rng.random(n) > 0.01
    kind = np.where(late_final, 1, np.where(delivered_status, 0, 2))
    score = np.empty(n, dtype=np.int64)
    for k, name in enumerate(("on_time", "late", "undelivered")):
        at = np.flatnonzero(kind == k)
        score[at] = rng.choice(np.arange(1, 6), at.size, p=_SCORE_P[name])
    reviewed_from = np.where(delivered != _NA, np.maximum(delivered, purchase), estimated)
    review_created = (reviewed_from // _DAY + 1) * _DAY
    review_answer = review_created + (rng.uniform(0.1, 5, n) * _DAY).astype(np.int64)
    title, message = _review_texts(rng, score)

    order_hex = _hex_ids(rng, n)
    customer_hex = _hex_ids(rng, n)
    person_hex = _hex_ids(rng, n_persons)
    product_hex = _hex_ids(rng, n_products)
    review_hex = _hex_ids(rng, n)

    files: dict[str, pl.DataFrame] = {}
    files["olist_orders_dataset.csv"] = _frame(
        {
            "order_id": _text(order_hex),
            "customer_id": _text(customer_hex),
            "order_status": np.asarray(_STATUSES, dtype=object)[status],
            "order_purchase_timestamp": _ts_text(purchase),
            "order_approved_at": _ts_text(approved),
            "order_delivered_carrier_date": _ts_text(carrier),
            "order_delivered_customer_date": _ts_text(delivered),
            "order_estimated_delivery_date": _ts_text(estimated),
        }
    )
    files["olist_order_items_dataset.csv"] = _frame(
        {
            "order_id": _text(order_hex[line_order]),
            "order_item_id": _text(line_no),
            "product_id": _text(product_hex[line_product]),
            "seller_id": _text(seller_hex[line_seller]),
            "shipping_limit_date": _ts_text(shipping_limit[line_order]),
            "price": _decimal_text(line_cents),
            "freight_value": _decimal_text(freight_cents),
        }
    )
    files["olist_customers_dataset.csv"] = _frame(
        {
            "customer_id": _text(customer_hex),
            "customer_unique_id": _text(person_hex[person]),
            "customer_zip_code_prefix": pl.Series(zip_code[person_zip[person]])
            .cast(pl.String)
            .str.zfill(5),
            "customer_city": zip_city[person_zip[person]],
            "customer_state": np.asarray(uf, dtype=object)[cust_state],
        }
    )
    files["olist_sellers_dataset.csv"] = _frame(
        {
            "seller_id": _text(seller_hex),
            "seller_zip_code_prefix": pl.Series(zip_code[seller_zip]).cast(pl.String).str.zfill(5),
            "seller_city": zip_city[seller_zip],
            "seller_state": np.asarray(uf, dtype=object)[seller_state],
        }
    )
    files["olist_products_dataset.csv"] = _frame(
        {
            "product_id": _text(product_hex),
            "product_category_name": np.asarray([c[0] for c in _CATEGORIES], dtype=object)[
                product_cat
            ],
            "product_name_lenght": _text(rng.integers(20, 65, n_products)),
            "product_description_lenght": _text(
                np.clip(rng.lognormal(6.5, 0.7, n_products), 30, 3990).astype(np.int64)
            ),
            "product_photos_qty": _text(
                rng.choice(np.arange(1, 7), n_products, p=_p((50, 20, 13, 8, 5, 4)))
            ),
            "product_weight_g": _text(product_weight),
            "product_length_cm": _text(rng.integers(16, 80, n_products)),
            "product_height_cm": _text(rng.integers(2, 60, n_products)),
            "product_width_cm": _text(rng.integers(11, 60, n_products)),
        }
    )
    files["olist_order_payments_dataset.csv"] = _frame(
        {
            "order_id": _text(order_hex[pay_order]),
            "payment_sequential": _text(pay_seq),
            "payment_type": np.asarray(_PAYMENT_TYPES, dtype=object)[pay_kind],
            "payment_installments": _text(installments),
            "payment_value": _decimal_text(pay_value),
        }
    )
    reviewed = np.flatnonzero(has_review)
    files["olist_order_reviews_dataset.csv"] = _frame(
        {
            "review_id": _text(review_hex[reviewed]),
            "order_id": _text(order_hex[reviewed]),
            "review_score": _text(score[reviewed]),
            "review_comment_title": title[reviewed],
            "review_comment_message": message[reviewed],
            "review_creation_date": _ts_text(review_created[reviewed]),
            "review_answer_timestamp": _ts_text(review_answer[reviewed]),
        }
    )
    files["olist_geolocation_dataset.csv"] = _geolocation(
        rng,
        np.union1d(person_zip, seller_zip),
        zip_code=zip_code,
        zip_state=zip_state,
        zip_city=zip_city,
        uf=uf,
        lat=lat,
        lon=lon,
    )
    files["product_category_name_translation.csv"] = _frame(
        {
            "product_category_name": [c[0] for c in _CATEGORIES],
            "product_category_name_english": [c[1] for c in _CATEGORIES],
        }
    )
    deals = deals.with_columns(seller_id=_text(seller_hex[n_base:]))
    files["olist_marketing_qualified_leads_dataset.csv"] = leads
    files["olist_closed_deals_dataset.csv"] = deals.select(
        COLUMNS["marketplace"]["olist_closed_deals_dataset.csv"]
    )

    handed = 0
    if patterns:
        on_time = delivered_status & (delivered != _NA) & ~late_final
        person, handed = _late_churn(rng, person, late_final, on_time, person_state)
        files["olist_customers_dataset.csv"] = files["olist_customers_dataset.csv"].with_columns(
            customer_unique_id=_text(person_hex[person]),
            customer_zip_code_prefix=pl.Series(zip_code[person_zip[person]])
            .cast(pl.String)
            .str.zfill(5),
            customer_city=zip_city[person_zip[person]],
        )
    orders_per_person = np.bincount(person)
    with_date = delivered_status & (delivered != _NA)
    truth = {
        "late_share": late_final.sum() / with_date.sum(),
        "late_base_prob": _LATE_BASE,
        "growth_per_year": _OLIST_GROWTH,
        "repeat_person_share": float((orders_per_person >= 2).mean()),
        "persons": orders_per_person.size,
        "late_first_handed_over": handed,
        **lead_truth,
    }
    return files, truth


LATE_CHURN = 0.8  # chance that a person whose first order came late hands the rest over


def _late_churn(
    rng: np.random.Generator,
    person: np.ndarray,
    late: np.ndarray,
    on_time: np.ndarray,
    state: np.ndarray,
) -> tuple[np.ndarray, int]:
    """(person per order, persons who handed over) for the marketplace pattern. Orders are in
    time order; `state` is each person's state. With probability LATE_CHURN, a person whose
    first order arrived late and who ordered again hands every later order to a one-order person
    of the same state whose only order arrived on time and came before them (drawn at random; a
    person drawn twice takes only the first). Every person keeps as many orders as someone had
    before, so persons, repeat buyers and one-time buyers, and orders per state, are counted as
    without the pattern; only who reorders after what changes."""
    size = int(person.max()) + 1
    counts = np.bincount(person, minlength=size)
    persons, first = np.unique(person, return_index=True)
    first_of = np.zeros(size, dtype=np.int64)
    first_of[persons] = first
    repeaters = persons[(counts[persons] >= 2) & late[first_of[persons]]]
    chosen = repeaters[rng.random(repeaters.size) < LATE_CHURN]
    singles = persons[(counts[persons] == 1) & on_time[first_of[persons]]]
    # Takers sorted by state, then by their order: those of a state before a time are a run.
    span = person.size + 1
    keys = state[singles].astype(np.int64) * span + first_of[singles]
    singles, keys = singles[np.argsort(keys, kind="stable")], np.sort(keys, kind="stable")
    later = np.flatnonzero(np.arange(person.size) != first_of[person])
    second = np.full(size, person.size, dtype=np.int64)
    np.minimum.at(second, person[later], later)
    base = state[chosen].astype(np.int64) * span
    low = np.searchsorted(keys, base)
    room = np.searchsorted(keys, base + second[chosen]) - low
    pick = low + (rng.random(chosen.size) * room).astype(np.int64)
    ok = room > 0
    chosen, taker = chosen[ok], singles[pick[ok]]
    _, once = np.unique(taker, return_index=True)
    chosen, taker = chosen[np.sort(once)], taker[np.sort(once)]
    out = person.copy()
    moving = later[np.isin(person[later], chosen)]
    order = np.argsort(chosen)
    out[moving] = taker[order[np.searchsorted(chosen, person[moving], sorter=order)]]
    return out, int(chosen.size)


def _review_texts(rng: np.random.Generator, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(title, message) per review: mostly empty, otherwise matching the score's mood."""
    n = score.size
    title = np.full(n, None, dtype=object)
    message = np.full(n, None, dtype=object)
    mood = np.where(score <= 2, 0, np.where(score == 3, 1, 2))
    for k, name in enumerate(("bad", "mid", "good")):
        titles, messages = _REVIEW_TEXT[name]
        at = np.flatnonzero(mood == k)
        with_title = at[rng.random(at.size) < 0.12]
        with_message = at[rng.random(at.size) < (0.7 if k == 0 else 0.4)]
        title[with_title] = _pick_text(rng, titles, with_title.size)
        message[with_message] = _pick_text(rng, messages, with_message.size)
    return title, message


def _geolocation(
    rng: np.random.Generator,
    used: np.ndarray,
    *,
    zip_code: np.ndarray,
    zip_state: np.ndarray,
    zip_city: np.ndarray,
    uf: list[str],
    lat: np.ndarray,
    lon: np.ndarray,
) -> pl.DataFrame:
    """1-5 rows per zip prefix in use, scattered around a point near the state's centroid."""
    per_zip = np.minimum(5, 1 + rng.poisson(1.5, used.size))
    anchor_lat = lat[zip_state[used]] + rng.normal(0, 0.8, used.size)
    anchor_lon = lon[zip_state[used]] + rng.normal(0, 0.8, used.size)
    row_zip = np.repeat(used, per_zip)
    rows = row_zip.size
    return _frame(
        {
            "geolocation_zip_code_prefix": pl.Series(zip_code[row_zip])
            .cast(pl.String)
            .str.zfill(5),
            "geolocation_lat": np.repeat(anchor_lat, per_zip) + rng.normal(0, 0.02, rows),
            "geolocation_lng": np.repeat(anchor_lon, per_zip) + rng.normal(0, 0.02, rows),
            "geolocation_city": zip_city[row_zip],
            "geolocation_state": np.asarray(uf, dtype=object)[zip_state[row_zip]],
        }
    )


def _funnel(
    n: int, rng: np.random.Generator
) -> tuple[pl.DataFrame, pl.DataFrame, np.ndarray, dict[str, float]]:
    """(leads file, deals without seller_id, true won times, truth) for an n-order marketplace.

    ~8,000 leads per 20,000 orders over 2023-03..2024-02; ~10.5% close. Reps differ in wins, lead
    type mix and days to close; FAST_SR_ID is fast on online_big, SLOW_SR_ID slow on industry.
    """
    n_leads = max(200, round(8000 * n / 20_000))
    n_deals = max(10, round(0.105 * n_leads))
    lead_days = np.arange(_day(2023, 3, 1), _day(2024, 3, 1))
    weekday = (lead_days + 3) % 7
    w = np.exp(0.5 * (lead_days - lead_days[0]) / 365.25) * np.where(weekday >= 5, 0.35, 1.0)
    contact_day = np.sort(lead_days[rng.choice(lead_days.size, n_leads, p=_p(w))])
    origin_idx = rng.choice(len(_ORIGINS), n_leads, p=_p([o[1] for o in _ORIGINS]))
    n_pages = max(20, n_leads // 40)
    page = rng.choice(n_pages, n_leads, p=_p(rng.pareto(1.2, n_pages) + 1))
    page_factor = rng.lognormal(0, 0.5, n_pages)
    close_w = np.array([o[2] for o in _ORIGINS])[origin_idx] * page_factor[page]
    closed = np.sort(rng.choice(n_leads, n_deals, replace=False, p=_p(close_w)))

    sr = rng.choice(len(SR_IDS), n_deals, p=_p(_SR_P))
    sdr = rng.choice(len(SDR_IDS), n_deals, p=_p(_SDR_P))
    lead_type = np.empty(n_deals, dtype=np.int64)
    for k in range(len(SR_IDS)):
        mix = np.asarray(_LEAD_TYPE_P) * rng.lognormal(0, 0.35, len(_LEAD_TYPES))
        if SR_IDS[k] == FAST_SR_ID:
            mix[0] *= 4.0
        if SR_IDS[k] == SLOW_SR_ID:
            mix[5] *= 4.0
        at = np.flatnonzero(sr == k)
        lead_type[at] = rng.choice(len(_LEAD_TYPES), at.size, p=_p(mix))
    segment = np.empty(n_deals, dtype=np.int64)
    for k in range(len(SDR_IDS)):
        at = np.flatnonzero(sdr == k)
        segment[at] = rng.choice(len(_SEGMENTS), at.size, p=rng.dirichlet(np.full(15, 1.5)))
    factor = np.asarray(_LEAD_TYPE_DAYS)[lead_type]
    factor = np.where((sr == SR_IDS.index(FAST_SR_ID)) & (lead_type == 0), _FAST_FACTOR, factor)
    factor = np.where((sr == SR_IDS.index(SLOW_SR_ID)) & (lead_type == 5), _SLOW_FACTOR, factor)
    days = np.asarray(_SR_MEDIAN_DAYS)[sr] * factor * rng.lognormal(0, 0.5, n_deals)
    days = np.maximum(1, np.ceil(days)).astype(np.int64)
    start = contact_day[closed]
    room = _day(2024, 8, 31) - start
    days = np.where(days <= room, days, 1 + (rng.random(n_deals) * (room - 1)).astype(np.int64))
    tod = rng.integers(8 * 3600, 20 * 3600, n_deals)
    won = (start + days) * _DAY + tod
    k_before = max(5, round(0.006 * n_deals))
    before = rng.choice(n_deals, k_before, replace=False)
    won_text = won.copy()
    won_text[before] = (start[before] - rng.integers(1, 21, k_before)) * _DAY + tod[before]

    mql_hex = _hex_ids(rng, n_leads)
    page_hex = _hex_ids(rng, n_pages)
    leads = _frame(
        {
            "mql_id": _text(mql_hex),
            "first_contact_date": _ts_text(contact_day * _DAY, "%Y-%m-%d"),
            "landing_page_id": _text(page_hex[page]),
            "origin": np.asarray([o[0] for o in _ORIGINS], dtype=object)[origin_idx],
        }
    )

    def sparse(pool: tuple[str, ...], share: float = 0.08) -> np.ndarray:
        out = _pick_text(rng, pool, n_deals)
        out[rng.random(n_deals) >= share] = None
        return out

    revenue = np.where(
        rng.random(n_deals) < 0.06,
        rng.choice([10_000, 20_000, 30_000, 50_000, 100_000, 250_000], n_deals),
        0,
    )
    business_type = _pick_text(
        rng, ("reseller", "manufacturer", "other", ""), n_deals, _p((70, 28.5, 0.5, 1))
    )
    business_type[business_type == ""] = None
    deals = _frame(
        {
            "mql_id": _text(mql_hex[closed]),
            "sdr_id": np.asarray(SDR_IDS, dtype=object)[sdr],
            "sr_id": np.asarray(SR_IDS, dtype=object)[sr],
            "won_date": _ts_text(won_text),
            "business_segment": np.asarray(_SEGMENTS, dtype=object)[segment],
            "lead_type": np.asarray(_LEAD_TYPES, dtype=object)[lead_type],
            "lead_behaviour_profile": _pick_text(rng, _PROFILES, n_deals, _p(_PROFILE_P)),
            "has_company": sparse(("True", "True", "True", "False")),
            "has_gtin": sparse(("True", "True", "False")),
            "average_stock": sparse(("1-5", "5-20", "20-50", "50-200", "200+", "unknown")),
            "business_type": business_type,
            "declared_product_catalog_size": sparse(("10.0", "20.0", "50.0", "100.0", "400.0")),
            "declared_monthly_revenue": _decimal_text(revenue, 1),
        }
    )
    truth = {
        "leads": n_leads,
        "deals": n_deals,
        "conversion": n_deals / n_leads,
        "sr_fast_online_big_factor": _FAST_FACTOR,
        "sr_slow_industry_factor": _SLOW_FACTOR,
    }
    return leads, deals, won, truth


def _olist_counts(files: dict[str, pl.DataFrame]) -> dict[str, int]:
    """Offending units per marketplace rule, by the rule definitions, from the export frames."""

    def ts(column: str) -> pl.Expr:
        return pl.col(column).str.to_datetime(_ISO)

    orders = files["olist_orders_dataset.csv"].select(
        status=pl.col("order_status"),
        purchase=ts("order_purchase_timestamp"),
        carrier=ts("order_delivered_carrier_date"),
        delivered=ts("order_delivered_customer_date"),
    )
    items = (
        files["olist_order_items_dataset.csv"]
        .group_by("order_id")
        .agg((pl.col("price").cast(pl.Float64) + pl.col("freight_value").cast(pl.Float64)).sum())
    )
    payments = (
        files["olist_order_payments_dataset.csv"]
        .group_by("order_id")
        .agg(pl.col("payment_value").cast(pl.Float64).sum())
    )
    paid = items.join(payments, on="order_id", how="inner")
    leads = files["olist_marketing_qualified_leads_dataset.csv"]
    deals = files["olist_closed_deals_dataset.csv"].join(
        leads.select("mql_id", "first_contact_date"), on="mql_id", how="inner"
    )
    origin = pl.col("origin")
    order_file = files["olist_orders_dataset.csv"]
    return {
        "delivered_before_purchase": orders.filter(pl.col("delivered") < pl.col("purchase")).height,
        "delivered_before_pickup": orders.filter(pl.col("delivered") < pl.col("carrier")).height,
        "delivered_without_date": orders.filter(
            (pl.col("status") == "delivered") & pl.col("delivered").is_null()
        ).height,
        "payment_mismatch": paid.filter(
            (pl.col("price") - pl.col("payment_value")).abs() > 0.01
        ).height,
        "deal_before_contact": deals.filter(
            ts("won_date") < pl.col("first_contact_date").str.to_datetime("%Y-%m-%d")
        ).height,
        "unknown_origin": leads.filter(origin.is_null() | (origin == "unknown")).height,
        "thin_months": _thin_month_count(orders["purchase"]),
        "future_dates": _future_count(
            order_file,
            (
                "order_purchase_timestamp",
                "order_approved_at",
                "order_delivered_carrier_date",
                "order_delivered_customer_date",
            ),
        ),
    }


# ---------------------------------------------------------------------------------------------
# Web shop (dsv1069 schema).

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


# ---------------------------------------------------------------------------------------------
# Online retail (UCI layout).

_BGNBD = {"r": 0.6, "alpha": 8.0, "a": 0.7, "b": 3.0}
_GG = {"p": 6.0, "q": 4.0, "v": 150.0}
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
_FIRST_INVOICE = 536365


def _bgnbd_invoices(
    rng: np.random.Generator, m: int, period_weeks: float, join_weeks: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(customer, weeks since period start, invoice value) for m BG/NBD + Gamma-Gamma customers.

    Each joins uniformly in [0, join_weeks) with a first purchase; repeat purchases are Poisson
    with rate lambda per week; after each repeat purchase the customer drops out with prob p.
    Purchases on the same day merge (one invoice per customer per day).
    """
    join = rng.uniform(0, join_weeks, m)
    horizon = period_weeks - join
    lam = rng.gamma(_BGNBD["r"], 1 / _BGNBD["alpha"], m)
    p = rng.beta(_BGNBD["a"], _BGNBD["b"], m)
    arrivals = rng.poisson(lam * horizon)
    survives = rng.geometric(p)  # the repeat purchase after which the customer drops out
    repeats = np.minimum(arrivals, survives)
    who = np.repeat(np.arange(m), arrivals)
    u = rng.random(who.size) * horizon[who]
    order = np.lexsort((u, who))
    who, u = who[order], u[order]
    rank = np.arange(who.size) - np.repeat(np.cumsum(arrivals) - arrivals, arrivals)
    keep = rank < repeats[who]
    customer = np.concatenate([np.arange(m), who[keep]])
    weeks = np.concatenate([join, join[who[keep]] + u[keep]])
    day = np.floor(weeks * 7).astype(np.int64)
    order = np.lexsort((weeks, day, customer))
    customer, weeks, day = customer[order], weeks[order], day[order]
    first = np.ones(customer.size, dtype=bool)
    first[1:] = (customer[1:] != customer[:-1]) | (day[1:] != day[:-1])
    customer, weeks = customer[first], weeks[first]
    nu = rng.gamma(_GG["q"], 1 / _GG["v"], m)
    value = rng.gamma(_GG["p"], 1 / nu[customer])
    return customer, weeks, value


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
    join_weeks = period_weeks * 2 / 3
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
    customer_code = np.sort(
        rng.choice(
            np.arange(12346, 12346 + min(87654, max(6000, 3 * n_customers))), n_customers, False
        )
    )
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
    fee_desc = np.array([_FEES[c][0] for c in fee_code], dtype=object)
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
    number = (_FIRST_INVOICE + rank).astype(str).astype(object)
    number[n_sale:] = "C" + number[n_sale:]
    all_customer = np.concatenate([inv_customer, inv_customer[cancelled]])
    all_country = np.concatenate([inv_country, inv_country[cancelled]])

    # Row table: invoice, position (for order), code text, description, qty, price in mills.
    code_text = np.asarray(codes, dtype=object)
    big = 1000
    segments = [
        (
            line_inv,
            line_pos * 2,
            code_text[line_code],
            descriptions[line_code],
            line_qty,
            line_mills,
        ),
        (
            line_inv[dup_source],
            line_pos[dup_source] * 2 + 1,
            code_text[line_code[dup_source]],
            descriptions[line_code[dup_source]],
            line_qty[dup_source],
            line_mills[dup_source],
        ),
        (fee_inv, np.full(k_fee, 2 * big), fee_code, fee_desc, fee_qty, fee_mills),
        (
            zero_inv,
            np.full(k_zero, 2 * big + 2),
            code_text[zero_code],
            descriptions[zero_code],
            zero_qty,
            np.zeros(k_zero, np.int64),
        ),
        (
            n_sale + np.repeat(np.arange(n_cancel_inv), take),
            np.arange(k_cancel) * 2,
            code_text[line_code[c_source]],
            descriptions[line_code[c_source]],
            c_qty,
            line_mills[c_source],
        ),
    ]
    row_inv = np.concatenate([s[0] for s in segments] + [extreme_inv])
    row_pos = np.concatenate([s[1] for s in segments] + [np.full(k_extreme, 2 * big + 4)])
    row_code = np.concatenate([s[2] for s in segments] + [code_text[extreme_code]])
    row_desc = np.concatenate([s[3] for s in segments] + [descriptions[extreme_code]])
    others_qty = np.concatenate([s[4] for s in segments])
    # Extreme quantities must beat max(100, 50 x median |Quantity|) over all final lines; any
    # value above the natural maximum leaves that median unchanged, so use a placeholder.
    median = np.median(np.concatenate([np.abs(others_qty), np.full(k_extreme, 10**9)]))
    limit = max(100.0, 50 * median)
    extreme_qty = (np.ceil((limit + 1) / 12) + rng.integers(0, 30, k_extreme)).astype(np.int64) * 12
    row_qty = np.concatenate([others_qty, extreme_qty])
    row_mills = np.concatenate([s[5] for s in segments] + [code_mills[extreme_code]])
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
                "InvoiceNo": number[row_inv],
                "StockCode": row_code[order],
                "Description": row_desc[order],
                "Quantity": _text(row_qty[order]),
                "InvoiceDate": inv_date.gather(row_inv),
                "UnitPrice": _decimal_text(row_mills[order], 1000),
                "CustomerID": customer_text.gather(row_inv),
                "Country": np.asarray(all_countries, dtype=object)[all_country[row_inv]],
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
    return {
        "cancellations": lines.filter(pl.col("InvoiceNo").str.starts_with("C")).height,
        "missing_customer": lines.filter(pl.col("CustomerID").is_null()).height,
        "non_product_codes": lines.filter(
            pl.col("StockCode").str.to_uppercase().is_in(NON_PRODUCT_CODES)
        ).height,
        "non_positive_price": lines.filter(pl.col("UnitPrice").cast(pl.Float64) <= 0).height,
        "duplicate_rows": lines.height - lines.unique().height,
        "extreme_quantity": lines.filter(quantity > limit).height,
        "thin_months": _thin_month_count(invoices["at"]),
        "future_dates": invoices.filter(pl.col("at") > pl.lit(FUTURE).str.to_datetime(_ISO)).height,
    }
