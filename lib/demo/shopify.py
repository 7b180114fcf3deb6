"""Shopify demo: the orders export (one row per line item) with the customers and products exports.

A US shop selling in USD (and in CAD to Canada) in Shopify's layout: the exact columns in their
order, dates with the shop's UTC offset ("2024-03-05 14:22:10 -0500"), money as plain decimals,
an order's fields on its first row only (its further line items leave them blank), discount
codes, shipping and state sales taxes. Repeat customers buy by the BG/NBD process of
lib.demo.common; one-time buyers follow the season, with a Black Friday peak. Planted: cancelled,
voided, refunded and partially refunded orders, orders awaiting payment, test orders (Bogus
Gateway), CAD orders and point-of-sale orders without an email, each counted from the files by
`_shopify_counts`.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from lib.demo.common import (
    _DAY,
    _bgnbd_invoices,
    _black_friday,
    _day,
    _day_weights,
    _distinct_within,
    _p,
    _times,
)
from lib.demo.shop import buyers, money_text

ORDERS, CUSTOMERS, PRODUCTS = "orders_export.csv", "customers_export.csv", "products_export.csv"

# Export file -> its columns, in the export's order.
COLUMNS: dict[str, tuple[str, ...]] = {
    ORDERS: (
        "Name",
        "Email",
        "Financial Status",
        "Paid at",
        "Fulfillment Status",
        "Fulfilled at",
        "Accepts Marketing",
        "Currency",
        "Subtotal",
        "Shipping",
        "Taxes",
        "Total",
        "Discount Code",
        "Discount Amount",
        "Shipping Method",
        "Created at",
        "Lineitem quantity",
        "Lineitem name",
        "Lineitem price",
        "Lineitem compare at price",
        "Lineitem sku",
        "Lineitem requires shipping",
        "Lineitem taxable",
        "Lineitem fulfillment status",
        "Billing Name",
        "Billing Street",
        "Billing Address1",
        "Billing Address2",
        "Billing Company",
        "Billing City",
        "Billing Zip",
        "Billing Province",
        "Billing Country",
        "Billing Phone",
        "Shipping Name",
        "Shipping Street",
        "Shipping Address1",
        "Shipping Address2",
        "Shipping Company",
        "Shipping City",
        "Shipping Zip",
        "Shipping Province",
        "Shipping Country",
        "Shipping Phone",
        "Notes",
        "Note Attributes",
        "Cancelled at",
        "Payment Method",
        "Payment Reference",
        "Refunded Amount",
        "Vendor",
        "Outstanding Balance",
        "Employee",
        "Location",
        "Device ID",
        "Id",
        "Tags",
        "Risk Level",
        "Source",
        "Lineitem discount",
        "Tax 1 Name",
        "Tax 1 Value",
        "Tax 2 Name",
        "Tax 2 Value",
        "Tax 3 Name",
        "Tax 3 Value",
        "Tax 4 Name",
        "Tax 4 Value",
        "Tax 5 Name",
        "Tax 5 Value",
        "Phone",
        "Receipt Number",
        "Duties",
        "Billing Province Name",
        "Shipping Province Name",
        "Payment ID",
        "Payment Terms Name",
        "Next Payment Due At",
        "Payment References",
    ),
    CUSTOMERS: (
        "Customer ID",
        "First Name",
        "Last Name",
        "Email",
        "Accepts Email Marketing",
        "Default Address Company",
        "Default Address Address1",
        "Default Address Address2",
        "Default Address City",
        "Default Address Province Code",
        "Default Address Country Code",
        "Default Address Zip",
        "Default Address Phone",
        "Phone",
        "Accepts SMS Marketing",
        "Total Spent",
        "Total Orders",
        "Note",
        "Tax Exempt",
        "Tags",
    ),
    PRODUCTS: (
        "Handle",
        "Title",
        "Body (HTML)",
        "Vendor",
        "Product Category",
        "Type",
        "Tags",
        "Published",
        "Option1 Name",
        "Option1 Value",
        "Option1 Linked To",
        "Option2 Name",
        "Option2 Value",
        "Option2 Linked To",
        "Option3 Name",
        "Option3 Value",
        "Option3 Linked To",
        "Variant SKU",
        "Variant Grams",
        "Variant Inventory Tracker",
        "Variant Inventory Policy",
        "Variant Fulfillment Service",
        "Variant Price",
        "Variant Compare At Price",
        "Variant Requires Shipping",
        "Variant Taxable",
        "Unit Price Total Measure",
        "Unit Price Total Measure Unit",
        "Unit Price Base Measure",
        "Unit Price Base Measure Unit",
        "Variant Barcode",
        "Image Src",
        "Image Position",
        "Image Alt Text",
        "Gift Card",
        "SEO Title",
        "SEO Description",
        "Google Shopping / Google Product Category",
        "Google Shopping / Gender",
        "Google Shopping / Age Group",
        "Google Shopping / MPN",
        "Google Shopping / Condition",
        "Google Shopping / Custom Product",
        "Variant Image",
        "Variant Weight Unit",
        "Variant Tax Code",
        "Cost per item",
        "Status",
    ),
}

SHOP_CURRENCY, OTHER_CURRENCY = "USD", "CAD"
CAD_PER_USD = 1.36

# type -> (one of them, SKU prefix, Shopify product category, price range in dollars, sized)
_TYPES = {
    "T-Shirts": (
        "T-Shirt",
        "TEE",
        "Apparel & Accessories > Clothing > Shirts & Tops",
        (22, 34),
        True,
    ),
    "Hoodies": ("Hoodie", "HOOD", "Apparel & Accessories > Clothing > Activewear", (48, 68), True),
    "Mugs": (
        "Mug",
        "MUG",
        "Home & Garden > Kitchen & Dining > Tableware > Drinkware > Mugs",
        (14, 22),
        False,
    ),
    "Candles": (
        "Candle",
        "CNDL",
        "Home & Garden > Decor > Home Fragrances > Candles",
        (18, 32),
        False,
    ),
    "Posters": (
        "Poster",
        "PSTR",
        "Home & Garden > Decor > Artwork > Posters, Prints, & Visual Artwork",
        (15, 45),
        False,
    ),
    "Tote Bags": (
        "Tote Bag",
        "TOTE",
        "Apparel & Accessories > Handbags, Wallets & Cases > Handbags",
        (16, 26),
        False,
    ),
    "Notebooks": (
        "Notebook",
        "NOTE",
        "Office Supplies > General Office Supplies > Paper Products > Notebooks & Notepads",
        (9, 18),
        False,
    ),
    "Stickers": (
        "Sticker",
        "STKR",
        "Arts & Entertainment > Hobbies & Creative Arts > Arts & Crafts > Stickers",
        (3, 9),
        False,
    ),
}
_TYPE_WEIGHTS = (1.6, 0.7, 1.3, 0.9, 0.6, 0.6, 0.7, 1.2)
_VENDORS = ("Northfold Studio", "Harbor & Pine", "Little Ember Co", "Mapleline")
_MOTIFS = (
    "Mountain", "Ocean", "Forest", "Desert", "Aurora", "Harbor", "Meadow", "Canyon", "Lighthouse",
    "Fox", "Owl", "Whale", "Fern", "Sunset", "Midnight", "Citrus", "Lavender", "Cedar", "Tide",
    "Comet",
)  # fmt: skip
_SIZES = ("S", "M", "L", "XL")
_STREETS = ("Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Park Rd", "Lake St", "Hill Rd")
# country -> weight, (province code, province name, city, sales tax rate, weight)
_PLACES = {
    "US": (
        0.78,
        (
            ("NY", "New York", "Brooklyn", 0.08875, 9),
            ("CA", "California", "Los Angeles", 0.0725, 12),
            ("TX", "Texas", "Austin", 0.0625, 8),
            ("FL", "Florida", "Miami", 0.06, 7),
            ("WA", "Washington", "Seattle", 0.065, 4),
            ("IL", "Illinois", "Chicago", 0.0625, 4),
            ("PA", "Pennsylvania", "Philadelphia", 0.06, 4),
            ("MA", "Massachusetts", "Boston", 0.0625, 3),
            ("GA", "Georgia", "Atlanta", 0.04, 3),
            ("OR", "Oregon", "Portland", 0.0, 3),
            ("CO", "Colorado", "Denver", 0.029, 3),
            ("NC", "North Carolina", "Charlotte", 0.0475, 3),
        ),
    ),
    "CA": (
        0.09,
        (
            ("ON", "Ontario", "Toronto", 0.05, 5),
            ("BC", "British Columbia", "Vancouver", 0.05, 3),
            ("QC", "Quebec", "Montreal", 0.05, 2),
            ("AB", "Alberta", "Calgary", 0.05, 1),
        ),
    ),
    "GB": (0.06, (("", "", "London", 0.0, 3), ("", "", "Manchester", 0.0, 1))),
    "AU": (
        0.04,
        (("NSW", "New South Wales", "Sydney", 0.0, 2), ("VIC", "Victoria", "Melbourne", 0.0, 1)),
    ),
    "DE": (0.03, (("", "", "Berlin", 0.0, 2), ("", "", "Munich", 0.0, 1))),
}
_TAX_NAMES = {"US": "State Tax", "CA": "GST"}
# Discount code -> share of the items taken off; BFCM25 only in the Black Friday week.
_CODES = {"WELCOME10": 0.10, "SPRING15": 0.15, "FREESHIP": 0.0, "BFCM25": 0.25}
_MONTH = (0.75, 0.7, 0.85, 0.85, 0.9, 0.85, 0.8, 0.85, 0.95, 1.05, 1.9, 1.6)
_WEEKDAY = (1.0, 1.05, 1.05, 1.0, 0.95, 0.85, 1.1)
_HOURS = _p(
    (1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2, 3, 4, 5, 5.5, 6, 6, 5.5, 5, 5, 5.5, 6, 6.5, 7, 6, 4, 2)
)
_FIRST_ORDER = 1001
_ORDER_ID0 = 5_100_000_000_000
_CUSTOMER_ID0 = 7_200_000_000_000
_SHIPPING = {"US": 695, "CA": 995, "GB": 1495, "AU": 1495, "DE": 1495}
_FREE_FROM = 7500  # cents: free shipping in the US from this subtotal


def _catalogue(rng: np.random.Generator) -> pl.DataFrame:
    """One row per variant: product, handle, title, type, vendor, size, sku, cents, popularity."""
    types = tuple(_TYPES)
    rows = []
    product = 0
    for t, kind in enumerate(types):
        one, code, category, (low, high), sized = _TYPES[kind]
        motifs = rng.choice(len(_MOTIFS), 9 if kind != "Stickers" else 12, replace=False)
        for m in motifs:
            title = f"{_MOTIFS[m]} {one}"
            cents = int(rng.integers(low, high + 1)) * 100 - 1  # $21.99
            vendor = _VENDORS[int(rng.integers(len(_VENDORS)))]
            weight = float(rng.lognormal(0, 0.9)) * _TYPE_WEIGHTS[t]
            sizes = _SIZES if sized else ("Default Title",)
            for s, size in enumerate(sizes):
                rows.append(
                    {
                        "product": product,
                        "handle": title.lower().replace(" ", "-"),
                        "title": title,
                        "type": kind,
                        "category": category,
                        "vendor": vendor,
                        "size": size,
                        "sku": f"{code}-{m:02d}" + (f"-{size}" if sized else ""),
                        "cents": cents + (200 if size == "XL" else 0),
                        "weight": weight * ((0.6, 1.0, 1.0, 0.5)[s] if sized else 1.0),
                    }
                )
            product += 1
    return pl.DataFrame(rows)


def _in_order(frame: pl.DataFrame, file: str) -> pl.DataFrame:
    """The export's columns in its order, as text; those `frame` lacks are empty."""
    return frame.select(
        (pl.col(c) if c in frame.columns else pl.lit(None, pl.String).alias(c)).cast(pl.String)
        for c in COLUMNS[file]
    )


def _with_money(frame: pl.DataFrame, **cents: pl.Expr) -> pl.DataFrame:
    """`frame` with each given amount in cents added as money text ('58.90'), named by its key."""
    return frame.with_columns(
        money_text(frame.select(expr.fill_null(0)).to_series().to_numpy()).alias(name)
        for name, expr in cents.items()
    )


def _dst(seconds: np.ndarray) -> np.ndarray:
    """True where a New York wall-clock time (epoch seconds as if UTC) falls in summer time:
    from 2:00 on March's second Sunday to 2:00 on November's first Sunday."""
    years = seconds.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970
    out = np.zeros(seconds.size, dtype=bool)
    for year in np.unique(years):
        march = _day(int(year), 3, 1)
        november = _day(int(year), 11, 1)
        start = march + (3 - (march + 3) % 7) % 7 + 7  # 1970-01-01 was a Thursday
        end = november + (3 - (november + 3) % 7) % 7
        start_s, end_s = start * _DAY + 7200, end * _DAY + 7200
        here = years == year
        out[here] = (seconds[here] >= start_s) & (seconds[here] < end_s)
    return out


def _shop_time(seconds: pl.Expr, dst: pl.Expr) -> pl.Expr:
    """Wall-clock epoch seconds as Shopify writes them, with the shop's offset."""
    text = pl.from_epoch(seconds, time_unit="s").dt.strftime("%Y-%m-%d %H:%M:%S")
    return text + pl.when(dst).then(pl.lit(" -0400")).otherwise(pl.lit(" -0500"))


def _buyers(rng: np.random.Generator, n: int) -> pl.DataFrame:
    """n people: names, email, country, province, city, sales tax rate and its name, address."""
    countries = tuple(_PLACES)
    country = rng.choice(len(countries), n, p=_p([_PLACES[c][0] for c in countries]))
    place = np.empty(n, dtype=np.int64)
    for c, name in enumerate(countries):
        here = np.flatnonzero(country == c)
        options = _PLACES[name][1]
        place[here] = rng.choice(len(options), here.size, p=_p([o[4] for o in options]))
    rows: dict[str, list] = {k: [] for k in ("country", "code", "province", "city", "rate", "tax")}
    for c, p in zip(country, place, strict=True):
        code, province, city, rate, _ = _PLACES[countries[c]][1][p]
        tax = _TAX_NAMES.get(countries[c], "")
        rows["country"].append(countries[c])
        rows["code"].append(code or None)
        rows["province"].append(province or None)
        rows["city"].append(city)
        rows["rate"].append(rate)
        rows["tax"].append(f"{code} {tax} {rate * 100:g}%" if rate else None)
    number = rng.integers(1, 9999, size=n)
    return pl.DataFrame(
        {
            **{k: v.tolist() for k, v in buyers(rng, n).items()},
            **rows,
            "street": [f"{int(k) % 900 + 12} {_STREETS[int(k) % len(_STREETS)]}" for k in number],
            "zip": [f"{int(z):05d}" for z in rng.integers(1000, 99999, size=n)],
            "marketing": np.where(rng.random(n) < 0.4, "yes", "no").tolist(),
        }
    )


def _shopify(
    rows: int, rng: np.random.Generator, patterns: bool = True
) -> tuple[dict[str, pl.DataFrame], dict]:
    """The three exports; `rows` is the height of the orders export (patterns: none planted
    beyond the traps, which every Shopify export has)."""
    del patterns
    start, end = _day(2023, 1, 1), _day(2024, 12, 16)
    period_weeks = (end - start) / 7
    catalogue = _catalogue(rng)
    popularity = _p(catalogue["weight"].to_numpy())

    # Orders of repeat customers (BG/NBD) and of one-time buyers (seasonal), more than needed;
    # buyers are then taken in random order until their line items fill `rows`.
    m = rows // 4 + 50
    cust, weeks, _ = _bgnbd_invoices(rng, m, period_weeks, period_weeks * 0.85)
    bg_t = start * _DAY + np.floor(weeks * 7).astype(np.int64) * _DAY
    bg_t += _times(rng, np.zeros(1, np.int64), np.ones(1), cust.size, _HOURS)
    one_off = rows // 2 + 50
    days, p_day = _day_weights(start, end, 0.25, _MONTH, _WEEKDAY, black_friday=3.0)
    one_t = _times(rng, days, p_day, one_off, _HOURS)
    buyer = np.concatenate([cust, m + np.arange(one_off)])
    at = np.concatenate([bg_t, one_t])
    n_lines = 1 + np.minimum(rng.poisson(0.55, buyer.size), 4)
    ranked = rng.permutation(m + one_off)[buyer]  # buyer's place in the random draw order
    order = np.lexsort((at, ranked))
    buyer, at, n_lines = buyer[order], at[order], n_lines[order]
    cum = np.cumsum(n_lines)
    n_orders = int(np.searchsorted(cum, rows) + 1)
    buyer, at, n_lines = buyer[:n_orders], at[:n_orders], n_lines[:n_orders]
    n_lines[-1] -= cum[n_orders - 1] - rows
    people = _buyers(rng, m + one_off)

    # Orders in time order, named #1001 on; traps drawn on disjoint orders.
    by_time = np.argsort(at, kind="stable")
    buyer, at, n_lines = buyer[by_time], at[by_time], n_lines[by_time]
    k = max(4, round(0.012 * n_orders))
    traps = rng.permutation(n_orders)
    is_one_off = buyer >= m
    pos = np.zeros(n_orders, dtype=bool)
    test = np.zeros(n_orders, dtype=bool)
    one_offs = traps[is_one_off[traps]]
    test[one_offs[:k]] = True
    pos[one_offs[k : 2 * k]] = True
    left = traps[~test[traps] & ~pos[traps]]
    status = np.full(n_orders, "paid", dtype=object)
    cancelled = np.zeros(n_orders, dtype=bool)
    sizes = {"cancel": 2 * k, "voided": k, "refunded": 2 * k, "partial": 3 * k}
    sizes |= {"pending": k, "authorized": k}
    offset = 0
    for name, size in sizes.items():
        chosen = left[offset : offset + size]
        offset += size
        if name == "cancel":
            cancelled[chosen] = True
            status[chosen] = np.where(rng.random(size) < 0.5, "refunded", "voided")
        else:
            status[chosen] = name.replace("partial", "partially_refunded")

    orders = pl.DataFrame(
        {
            "o": np.arange(n_orders),
            "buyer": buyer,
            "at": at,
            "n_lines": n_lines,
            "status": status.tolist(),
            "cancelled": cancelled,
            "test": test,
            "pos": pos,
        }
    ).join(
        people.with_row_index("buyer").cast({"buyer": pl.Int64}),
        on="buyer",
        how="left",
        maintain_order="left",
    )
    orders = orders.with_columns(
        pl.when("pos").then(pl.lit("US")).otherwise("country").alias("country"),
        pl.when("pos").then(pl.lit("NY")).otherwise("code").alias("code"),
        pl.when("pos").then(pl.lit("New York")).otherwise("province").alias("province"),
        pl.when("pos").then(pl.lit("Brooklyn")).otherwise("city").alias("city"),
        pl.when("pos").then(pl.lit(0.08875)).otherwise("rate").alias("rate"),
        pl.when("pos").then(pl.lit("NY State Tax 8.875%")).otherwise("tax").alias("tax"),
        pl.when("test")
        .then(pl.lit("owner@shop.example"))
        .when("pos")
        .then(None)
        .otherwise("email")
        .alias("email"),
        pl.when("test").then(pl.lit("Shop")).otherwise("first").alias("first"),
        pl.when("test").then(pl.lit("Owner")).otherwise("last").alias("last"),
    )

    # Line items: distinct variants within an order, mostly one of each.
    line_order = np.repeat(np.arange(n_orders), n_lines)
    variant = rng.choice(catalogue.height, line_order.size, p=popularity)
    variant = _distinct_within(
        line_order, variant, lambda n: rng.choice(catalogue.height, n, p=popularity)
    )
    quantity = rng.choice([1, 2, 3], line_order.size, p=[0.82, 0.14, 0.04])
    cad = (orders["country"] == "CA").to_numpy() & ~orders["test"].to_numpy()
    cents = catalogue["cents"].to_numpy()[variant]
    cents = np.where(cad[line_order], np.round(cents * CAD_PER_USD / 5) * 5 - 1, cents)
    cents = cents.astype(np.int64)

    # Discount codes: BFCM25 in the Black Friday week, others now and then.
    day = at // _DAY
    black = np.zeros(n_orders, dtype=bool)
    for year in (2023, 2024):
        bf = _black_friday(year)
        black |= (day >= bf - 1) & (day <= bf + 3)
    code_draw = rng.random(n_orders)
    code = np.where(
        black & (code_draw < 0.5),
        "BFCM25",
        np.where(
            code_draw < 0.06,
            "WELCOME10",
            np.where(code_draw < 0.11, "SPRING15", np.where(code_draw < 0.14, "FREESHIP", "")),
        ),
    )
    code[pos | test] = ""
    off = {**_CODES, "": 0.0}
    share = np.array([off[c] for c in code])
    gross = quantity * cents
    line_discount = np.round(gross * share[line_order]).astype(np.int64)

    lines = pl.DataFrame(
        {
            "o": line_order,
            "position": np.arange(line_order.size)
            - np.repeat(np.cumsum(n_lines) - n_lines, n_lines),
            "variant": variant,
            "quantity": quantity,
            "cents": cents,
            "gross": gross,
            "line_discount": line_discount,
        }
    ).join(
        catalogue.with_row_index("variant").cast({"variant": pl.Int64}),
        on="variant",
        maintain_order="left",
    )
    sums = lines.group_by("o").agg(
        pl.col("gross").sum().alias("gross"), pl.col("line_discount").sum().alias("discount")
    )
    orders = orders.join(sums, on="o", maintain_order="left").with_columns(
        discount_code=pl.Series(code)
    )
    subtotal = pl.col("gross") - pl.col("discount")
    shipping = (
        pl.when(pl.col("pos") | (pl.col("discount_code") == "FREESHIP"))
        .then(0)
        .when((pl.col("country") == "US") & (subtotal >= _FREE_FROM))
        .then(0)
        .otherwise(pl.col("country").replace_strict(_SHIPPING, return_dtype=pl.Int64))
    )
    orders = orders.with_columns(subtotal.alias("subtotal"), shipping.alias("shipping"))
    orders = orders.with_columns(
        (pl.col("subtotal") * pl.col("rate")).round(0).cast(pl.Int64).alias("taxes")
    ).with_columns((pl.col("subtotal") + pl.col("shipping") + pl.col("taxes")).alias("total"))
    partial_share = pl.Series(rng.uniform(0.15, 0.6, n_orders))
    refunded = (
        pl.when(pl.col("status") == "refunded")
        .then(pl.col("total"))
        .when(pl.col("status") == "partially_refunded")
        .then((pl.col("total") * partial_share).round(0).cast(pl.Int64))
        .otherwise(None)
    )
    paid_s = pl.Series(at + rng.integers(2, 90, n_orders))
    shipped_s = pl.Series(at + (rng.uniform(0.4, 4.0, n_orders) * _DAY).astype(np.int64))
    cancel_s = pl.Series(at + rng.integers(3600, 2 * _DAY, n_orders))
    paid = pl.col("status").is_in(["paid", "partially_refunded", "refunded"])
    fulfilled = ~pl.col("cancelled") & ~pl.col("status").is_in(["voided", "authorized"])
    fulfilled = fulfilled & (pl.lit(shipped_s) < end * _DAY)
    dst = pl.lit(pl.Series(_dst(at)))
    gateway = np.where(rng.random(n_orders) < 0.82, "Shopify Payments", "PayPal Express Checkout")
    gateway = np.where(pos, "Cash", np.where(test, "bogus", gateway))
    orders = orders.with_columns(
        name=("#" + (pl.col("o") + _FIRST_ORDER).cast(pl.String)),
        refunded=refunded,
        paid_at=pl.when(paid).then(_shop_time(pl.lit(paid_s), dst)),
        fulfilled_at=pl.when(fulfilled).then(_shop_time(pl.lit(shipped_s), dst)),
        fulfilled=fulfilled,
        created_at=_shop_time(pl.col("at"), dst),
        cancelled_at=pl.when("cancelled").then(_shop_time(pl.lit(cancel_s), dst)),
        currency=pl.when((pl.col("country") == "CA") & ~pl.col("test"))
        .then(pl.lit(OTHER_CURRENCY))
        .otherwise(pl.lit(SHOP_CURRENCY)),
        gateway=pl.Series(gateway),
        order_id=(pl.col("o") * 7919 + _ORDER_ID0).cast(pl.String),
        billing=pl.concat_str(["first", "last"], separator=" "),
        source=pl.when("pos").then(pl.lit("pos")).otherwise(pl.lit("web")),
    )
    files = {
        ORDERS: _orders_export(orders, lines),
        CUSTOMERS: _customers_export(orders),
        PRODUCTS: _products_export(catalogue, rng),
    }
    truth = {"period_weeks": period_weeks, "orders": n_orders}
    return files, truth


def _orders_export(orders: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """One row per line item, newest order first; order fields on an order's first row only."""
    order_fields = {
        "Email": pl.col("email"),
        "Financial Status": pl.col("status"),
        "Paid at": pl.col("paid_at"),
        "Fulfillment Status": pl.when("fulfilled")
        .then(pl.lit("fulfilled"))
        .otherwise(pl.lit("unfulfilled")),
        "Fulfilled at": pl.col("fulfilled_at"),
        "Accepts Marketing": pl.col("marketing"),
        "Currency": pl.col("currency"),
        "Subtotal": pl.col("subtotal_text"),
        "Shipping": pl.col("shipping_text"),
        "Taxes": pl.col("taxes_text"),
        "Total": pl.col("total_text"),
        "Discount Code": pl.when(pl.col("discount_code") != "").then(pl.col("discount_code")),
        "Discount Amount": pl.col("discount_text"),
        "Shipping Method": pl.when(pl.col("pos"))
        .then(None)
        .when(pl.col("shipping") == 0)
        .then(pl.lit("Free Shipping"))
        .when(pl.col("country") == "US")
        .then(pl.lit("Standard Shipping"))
        .otherwise(pl.lit("International Shipping")),
        "Created at": pl.col("created_at"),
        "Billing Name": pl.col("billing"),
        "Billing Street": pl.col("street"),
        "Billing Address1": pl.col("street"),
        "Billing City": pl.col("city"),
        "Billing Zip": pl.col("zip"),
        "Billing Province": pl.col("code"),
        "Billing Country": pl.col("country"),
        "Shipping Name": pl.when(~pl.col("pos")).then(pl.col("billing")),
        "Shipping Street": pl.when(~pl.col("pos")).then(pl.col("street")),
        "Shipping Address1": pl.when(~pl.col("pos")).then(pl.col("street")),
        "Shipping City": pl.when(~pl.col("pos")).then(pl.col("city")),
        "Shipping Zip": pl.when(~pl.col("pos")).then(pl.col("zip")),
        "Shipping Province": pl.when(~pl.col("pos")).then(pl.col("code")),
        "Shipping Country": pl.when(~pl.col("pos")).then(pl.col("country")),
        "Cancelled at": pl.col("cancelled_at"),
        "Payment Method": pl.col("gateway"),
        "Payment Reference": pl.when(pl.col("gateway") != "Cash").then(
            "c" + pl.col("order_id") + ".1"
        ),
        "Refunded Amount": pl.col("refunded_text"),
        "Outstanding Balance": pl.col("outstanding_text"),
        "Location": pl.when("pos").then(pl.lit("Brooklyn Store")),
        "Id": pl.col("order_id"),
        "Risk Level": pl.lit("Low"),
        "Source": pl.col("source"),
        "Tax 1 Name": pl.when(pl.col("taxes") > 0).then(pl.col("tax")),
        "Tax 1 Value": pl.when(pl.col("taxes") > 0).then(pl.col("taxes_text")),
        "Billing Province Name": pl.col("province"),
        "Shipping Province Name": pl.when(~pl.col("pos")).then(pl.col("province")),
        "Payment References": pl.when(pl.col("gateway") != "Cash").then(
            "c" + pl.col("order_id") + ".1"
        ),
    }
    line_fields = {
        "Name": pl.col("name"),
        "Lineitem quantity": pl.col("quantity").cast(pl.String),
        "Lineitem name": pl.when(pl.col("size") == "Default Title")
        .then(pl.col("title"))
        .otherwise(pl.col("title") + " - " + pl.col("size")),
        "Lineitem price": pl.col("price_text"),
        "Lineitem sku": pl.col("sku"),
        "Lineitem requires shipping": pl.lit("true"),
        "Lineitem taxable": pl.lit("true"),
        "Lineitem fulfillment status": pl.when("fulfilled")
        .then(pl.lit("fulfilled"))
        .otherwise(pl.lit("pending")),
        "Vendor": pl.col("vendor"),
        "Lineitem discount": pl.col("line_discount_text"),
    }
    joined = lines.join(orders, on="o", how="left").sort(
        ["o", "position"], descending=[True, False]
    )
    joined = _with_money(
        joined,
        **{f"{c}_text": pl.col(c) for c in ("subtotal", "shipping", "taxes", "total")},
        discount_text=pl.col("discount"),
        refunded_text=pl.col("refunded"),
        outstanding_text=pl.when(pl.col("status").is_in(["pending", "authorized"]))
        .then(pl.col("total"))
        .otherwise(0),
        price_text=pl.col("cents"),
        line_discount_text=pl.col("line_discount"),
    )
    first = pl.col("position") == 0
    out = joined.select(
        *(expr.alias(name) for name, expr in line_fields.items()),
        *(pl.when(first).then(expr).alias(name) for name, expr in order_fields.items()),
    )
    return _in_order(out, ORDERS)


def _customers_export(orders: pl.DataFrame) -> pl.DataFrame:
    """One row per customer with an email (test orders' shop owner included, as Shopify does)."""
    spent = pl.col("total") - pl.col("refunded").fill_null(0)
    counted = pl.col("status").is_in(["paid", "partially_refunded", "refunded", "pending"])
    people = (
        orders.filter(pl.col("email").is_not_null())
        .group_by("email", maintain_order=True)
        .agg(
            pl.col("first", "last", "marketing", "street", "city", "code", "country", "zip").last(),
            pl.when(counted).then(spent).otherwise(0).sum().alias("spent"),
            pl.len().alias("n"),
            pl.col("o").min().alias("first_order"),
        )
        .sort("first_order")
    )
    people = _with_money(people, spent_text=pl.col("spent"))
    fields = {
        "Customer ID": "'" + (pl.int_range(pl.len()) * 104729 + _CUSTOMER_ID0).cast(pl.String),
        "First Name": pl.col("first"),
        "Last Name": pl.col("last"),
        "Email": pl.col("email"),
        "Accepts Email Marketing": pl.col("marketing"),
        "Default Address Address1": pl.col("street"),
        "Default Address City": pl.col("city"),
        "Default Address Province Code": pl.col("code"),
        "Default Address Country Code": pl.col("country"),
        "Default Address Zip": pl.col("zip"),
        "Accepts SMS Marketing": pl.lit("no"),
        "Total Spent": pl.col("spent_text"),
        "Total Orders": pl.col("n").cast(pl.String),
        "Tax Exempt": pl.lit("no"),
    }
    out = people.select(expr.alias(name) for name, expr in fields.items())
    return _in_order(out, CUSTOMERS)


def _products_export(catalogue: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """One row per variant, product fields on a product's first row; some products have a
    second image, on a row of its own."""
    first = pl.col("handle").is_first_distinct()
    sized = pl.col("size") != "Default Title"
    product_fields = {
        "Title": pl.col("title"),
        "Body (HTML)": "<p>" + pl.col("title") + " from " + pl.col("vendor") + ".</p>",
        "Vendor": pl.col("vendor"),
        "Product Category": pl.col("category"),
        "Type": pl.col("type"),
        "Published": pl.lit("true"),
        "Option1 Name": pl.when(sized).then(pl.lit("Size")).otherwise(pl.lit("Title")),
        "Image Src": "https://cdn.shop.example/files/" + pl.col("handle") + "-1.jpg",
        "Image Position": pl.lit("1"),
        "Gift Card": pl.lit("false"),
        "Status": pl.lit("active"),
    }
    variant_fields = {
        "Handle": pl.col("handle"),
        "Option1 Value": pl.col("size"),
        "Variant SKU": pl.col("sku"),
        "Variant Grams": pl.lit("300"),
        "Variant Inventory Tracker": pl.lit("shopify"),
        "Variant Inventory Policy": pl.lit("deny"),
        "Variant Fulfillment Service": pl.lit("manual"),
        "Variant Price": pl.col("price_text"),
        "Variant Requires Shipping": pl.lit("true"),
        "Variant Taxable": pl.lit("true"),
        "Variant Weight Unit": pl.lit("g"),
        "Cost per item": pl.col("cost_text"),
    }
    catalogue = _with_money(
        catalogue,
        price_text=pl.col("cents"),
        cost_text=(pl.col("cents") * 0.4).round(0).cast(pl.Int64),
    )
    variants = catalogue.select(
        *(e.alias(n) for n, e in variant_fields.items()),
        *(pl.when(first).then(e).alias(n) for n, e in product_fields.items()),
    ).with_columns(pl.lit(0).alias("_pos"))
    handles = catalogue["handle"].unique(maintain_order=True)
    extra = handles.filter(pl.Series(rng.random(handles.len()) < 0.4))
    images = pl.DataFrame({"Handle": extra}).with_columns(
        ("https://cdn.shop.example/files/" + pl.col("Handle") + "-2.jpg").alias("Image Src"),
        pl.lit("2").alias("Image Position"),
        pl.lit(1).alias("_pos"),
    )
    order = pl.DataFrame({"Handle": handles}).with_row_index("_product")
    out = (
        pl.concat([variants, images], how="diagonal")
        .join(order, on="Handle", maintain_order="left")
        .sort(["_product", "_pos"], maintain_order=True)
    )
    return _in_order(out, PRODUCTS)


def _shopify_counts(files: dict[str, pl.DataFrame]) -> dict[str, int]:
    """The traps the Shopify reader notes, counted from the export frames by their definitions:
    rows and orders of test orders (Bogus Gateway) and of the minority currency, then among the
    other orders: cancelled (Cancelled at), voided, refunded in full, partially refunded,
    awaiting payment and without an email; continuation rows of both orders and products."""
    rows = files[ORDERS]
    order_of = pl.col("Name")
    first = rows.filter(pl.col("Created at").is_not_null())
    test_names = first.filter(pl.col("Payment Method").str.contains("(?i)bogus"))["Name"]
    test = order_of.is_in(test_names.implode())
    main = (
        first.filter(~pl.col("Name").is_in(test_names.implode()))
        .group_by("Currency")
        .len()
        .sort(["len", "Currency"], descending=[True, False])["Currency"][0]
    )
    currency_of = rows.filter(~test).join(first.select("Name", "Currency"), on="Name")
    other = currency_of.filter(pl.col("Currency_right") != main)
    kept = first.filter(~pl.col("Name").is_in(test_names.implode()) & (pl.col("Currency") == main))
    status = pl.col("Financial Status")
    counts = kept.select(
        cancelled_orders=pl.col("Cancelled at").is_not_null().sum(),
        voided_orders=(pl.col("Cancelled at").is_null() & (status == "voided")).sum(),
        refunded_orders=(pl.col("Cancelled at").is_null() & (status == "refunded")).sum(),
        partially_refunded_orders=(
            pl.col("Cancelled at").is_null() & (status == "partially_refunded")
        ).sum(),
        awaiting_orders=(
            pl.col("Cancelled at").is_null() & status.is_in(["pending", "authorized"])
        ).sum(),
        name_fallback_orders=(
            pl.col("Email").is_null() & pl.col("Billing Name").is_not_null()
        ).sum(),
    ).row(0, named=True)
    products = files[PRODUCTS]
    return {
        "continuation_rows": rows.height - rows["Name"].n_unique(),
        "test_orders": test_names.len(),
        "test_rows": rows.filter(test).height,
        "other_currency_orders": other["Name"].n_unique(),
        "other_currency_rows": other.height,
        **{key: int(value) for key, value in counts.items()},
        "product_continuation_rows": products.height - products["Handle"].n_unique(),
    }
