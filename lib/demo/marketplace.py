"""Marketplace demo in the Olist export format: the nine order files and the seller funnel.

Orders, items, customers, sellers, products, payments, reviews, geolocation and the category
translation, plus the marketing-qualified leads and closed deals of the seller funnel (a deal's
seller sells only after the deal was won). Planted: deliveries dated before the purchase or the
pickup, delivered orders without a date, payment mismatches, deals won before first contact,
unknown origins and a thin month at each end. Late deliveries depend on region, seller and
season, and with `patterns` a late first delivery costs repeat orders (LATE_CHURN). FAST_SR_ID
and SLOW_SR_ID are the sales reps the funnel views should single out.
"""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl

from lib import io
from lib.demo.common import (
    _DAY,
    _ISO,
    _NA,
    _day,
    _day_weights,
    _decimal_text,
    _frame,
    _future_count,
    _hex_ids,
    _p,
    _pick_text,
    _text,
    _thin_month_count,
    _times,
    _ts_text,
)

# Export file -> its columns, in the export's order.
COLUMNS: dict[str, tuple[str, ...]] = {
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
}


def _rep_ids(role: str, n: int) -> tuple[str, ...]:
    # Hashes of fixed names, so rep ids are the same for every seed and tests can name them.
    return tuple(hashlib.md5(f"storelens-demo-{role}-{i}".encode()).hexdigest() for i in range(n))


SDR_IDS: tuple[str, ...] = _rep_ids("sdr", 8)
SR_IDS: tuple[str, ...] = _rep_ids("sr", 10)
FAST_SR_ID = SR_IDS[0]  # closes online_big leads in a fraction of the usual time
SLOW_SR_ID = SR_IDS[3]  # takes several times longer than usual on industry leads

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
    # The last on-time deliveries (about 1 in 100) come during the estimated day itself, from
    # 07:00 to 19:00: on time, as an estimate is a day (measures.late).
    same_day = estimated + ((7 + 12 * (frac - 0.94) / 0.03) * 3600).astype(np.int64)
    on_time_at = np.where(frac > 0.94, same_day, on_time_at)
    # Late is on a day after the estimated one (measures.late): from 02:00 the next day.
    late_at = estimated + _DAY + 7200 + (rng.gamma(1.4, 4.5, n) * _DAY).astype(np.int64)
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
    late_final = (delivered != _NA) & (delivered // _DAY > estimated // _DAY) & delivered_status

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
        COLUMNS["olist_closed_deals_dataset.csv"]
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
    # Judged as measures.delivered judges: the planted impossible dates are left out.
    judged = delivered_status & (delivered != _NA)
    judged[np.concatenate([before_purchase, before_pickup])] = False
    truth = {
        "late_share": (late_final & judged).sum() / judged.sum(),
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
