"""Where customers and revenue are, by region, and where marketing should go first."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, time

import polars as pl

from lib import fmt, io, measures, periods, stats, summaries, trend
from lib.catalog import for_data
from lib.model import Dataset, columns_of
from lib.periods import growth_window

NO_REGION = measures.NO_REGION

# Metrics the map can draw: column -> label. late_rate only when orders carry delivery dates.
METRICS: dict[str, str] = {
    "revenue": "Revenue",
    "customers": "Customers",
    "orders": "Orders",
    "growth": "Growth",
    "aov": "Average order value",
    "late_rate": "Late rate",
}

# Reference tables in data/, in the order ties are broken: file, label, name column, code columns.
REFERENCES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "br_states": ("br_states.csv", "Brazilian states", "name", ("state",)),
    "pt_districts": ("pt_districts.csv", "Portuguese districts", "district", ("code",)),
    "us_states": ("us_states.csv", "US states", "name", ("state",)),
    "countries": ("countries.csv", "countries", "country", ("iso2", "iso3")),
}

# The priority criteria as the page's weight sliders name them.
WEIGHT_LABELS = {
    "size": "Revenue",
    "growth": "Growth",
    "value": "Order value",
    "repeat": "Repeat rate",
    "delivery": "On-time delivery",
}
MIN_ORDERS = 20  # fewer orders (in either compared window, for growth): rates are noise
MIN_CUSTOMERS = 20  # fewer customers: a few buyers' habits, not the region's (3 wholesalers)
LATE_FACTOR = 2.0  # late rate this many times the average: fix delivery before marketing
REPEAT_DROP = 0.02  # returning-order share down by 2 points or more: retention problem
FLAT = measures.FLAT  # revenue within 2% of the months before: flat
AGAINST = periods.AGAINST  # what growth compares with (the option's choices)

ROWS = "regions"  # what the readings compare, as they name it

# The priority rank orders regions by their action's tier first, then by score: a region the
# rules tell to deprioritise never outranks one to market in, whatever the weights.
MARKETING_ACTIONS = ("grow", "test", "retain", "defend")
ACTION_TIERS: dict[str, int] = {
    **dict.fromkeys(MARKETING_ACTIONS, 0),
    "maintain": 1,
    "fix delivery first": 2,
    "watch": 3,
    "deprioritise": 4,
}


def tier_order() -> str:
    """The actions in the priority rank's order (ACTION_TIERS), each quoted as an action's name
    ("fix delivery first" read bare after "then" would be an instruction): '"grow", "test",
    "retain", "defend"; then "maintain"; then ...'."""
    tiers = sorted(set(ACTION_TIERS.values()))
    return "; then ".join(
        ", ".join(f'"{a}"' for a, t in ACTION_TIERS.items() if t == k) for k in tiers
    )


def normalised(expr: pl.Expr) -> pl.Expr:
    """Lower case, accents and surrounding blanks removed: 'Évora ' -> 'evora'."""
    return (
        expr.str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
        .str.to_lowercase()
    )


def reference_places(name: str) -> pl.DataFrame:
    """The places of one reference (a key of REFERENCES), one row per spelling that names them.

    Columns key (normalised spelling), place (display name), label (short map label), lat, lon.
    Spellings are the name, the codes and the '|'-separated aliases.
    """
    file, _, name_col, code_cols = REFERENCES[name]
    raw = io.read_reference(file)
    if name in ("br_states", "us_states"):
        # Brazilian and US states read better by their two-letter code on a map.
        raw = raw.with_columns(pl.col("state").alias("label"))
    else:
        raw = raw.with_columns(pl.col(name_col).alias("label"))
    aliases = (
        pl.col("aliases").cast(pl.String).fill_null("").str.split("|")
        if "aliases" in raw.columns
        else pl.lit([], dtype=pl.List(pl.String))
    )
    spellings = pl.concat_list(
        pl.col(name_col).cast(pl.String), *(pl.col(c).cast(pl.String) for c in code_cols), aliases
    )
    return (
        raw.select(
            spellings.alias("key"),
            pl.col(name_col).alias("place"),
            "label",
            pl.col("lat").cast(pl.Float64),
            pl.col("lon").cast(pl.Float64),
        )
        .explode("key")
        .with_columns(normalised(pl.col("key")).alias("key"))
        .filter(pl.col("key").is_not_null() & (pl.col("key") != ""))
        .unique("key", keep="first", maintain_order=True)
    )


@dataclass(frozen=True)
class Match:
    """Which reference the region values name, and where each one is.

    `places`: one row per matched region value (region, place, label, lat, lon).
    `unmatched`: region values with no place in the reference, sorted.
    """

    reference: str  # key of REFERENCES, "" when nothing matched
    label: str
    places: pl.DataFrame
    unmatched: tuple[str, ...]


def match_regions(
    regions: Sequence[str] | pl.Series, references: Mapping[str, pl.DataFrame] | None = None
) -> Match:
    """Match region values against every reference and keep the one that places the most.

    Ties go to the earlier reference in REFERENCES (a Brazilian 'SP' is no country code anyway).
    """
    values = pl.Series("region", list(regions), dtype=pl.String).unique().drop_nulls()
    keyed = pl.DataFrame({"region": values}).with_columns(normalised(pl.col("region")).alias("key"))
    refs = references if references is not None else {n: reference_places(n) for n in REFERENCES}
    best_name, best = (
        "",
        keyed.head(0).with_columns(
            place=pl.lit(None, pl.String),
            label=pl.lit(None, pl.String),
            lat=pl.lit(None, pl.Float64),
            lon=pl.lit(None, pl.Float64),
        ),
    )
    for name, places in refs.items():
        found = keyed.join(places, on="key", how="inner")
        if found.height > best.height:
            best_name, best = name, found
    placed = best.select("region", "place", "label", "lat", "lon").sort("region")
    unmatched = tuple(sorted(set(values.to_list()) - set(placed["region"].to_list())))
    label = REFERENCES[best_name][1] if best_name in REFERENCES else ""
    return Match(best_name, label, placed, unmatched)


def regional_lines(ds: Dataset) -> pl.DataFrame | None:
    """Order lines with the customer's region, or None when the data names no region.

    Lines keep their own region when they have one (the region at the time of the order);
    otherwise the customer's region is joined on customer_id. Lines without one get NO_REGION
    (measures.region).
    """
    if not ds.has("lines"):
        return None
    lines = ds.tables["lines"]
    if ds.has("lines", "region"):
        out = lines
    elif ds.has("customers", "region"):
        regions = ds.tables["customers"].select("customer_id", "region").unique("customer_id")
        out = lines.drop("region", strict=False).join(regions, on="customer_id", how="left")
    else:
        return None
    return out.with_columns(measures.region())


def _order_frame(lines: pl.DataFrame) -> pl.DataFrame:
    """One row per sale order (measures.is_sale): order_id, region, customer_id, ordered_at."""
    return (
        lines.lazy()
        .filter(measures.is_sale(lines))
        .group_by("order_id")
        .agg(pl.col("region").first(), pl.col("customer_id").first(), pl.col("ordered_at").min())
        .collect()
    )


@dataclass(frozen=True)
class RegionalBase:
    """What the regional table needs that does not depend on the growth window (cache it).

    `table`: one row per region with customers, orders, revenue, repeat_rate and the orders'
    extras (see regional_table). `monthly`: one row per region and calendar month (`month`, its
    first day as a datetime) with revenue (net), revenue_sq (the sum of its orders' squared net
    revenues), orders (sale orders), known_orders (sale orders with a customer id)
    and returning_orders (of those, placed after the customer's first order). `span`: the first
    and last ordered_at, which fix the growth window. `spanning`: customers with purchases in
    two regions or more, whom each of those regions counts.
    """

    table: pl.DataFrame
    monthly: pl.DataFrame
    span: pl.Series
    spanning: int = 0


def regional_base(lines: pl.DataFrame, orders: pl.DataFrame | None = None) -> RegionalBase:
    """The window-independent part of regional_table, computed once per data set."""
    lines = columns_of(lines, "region", *summaries.ORDER_COLUMNS)
    month = pl.col("ordered_at").dt.truncate("1mo").alias("month")
    # Customers as everywhere: people with a purchase (measures.is_sale) in the region.
    buyer = pl.col("customer_id").filter(measures.is_sale(lines))
    # The group-bys on the lines run lazily: eagerly, each would first copy the columns of a
    # million lines read in several chunks into one.
    table = (
        lines.lazy()
        .group_by("region")
        .agg(
            buyer.drop_nulls().n_unique().cast(pl.Int64).alias("customers"),
            pl.col("revenue").sum().alias("revenue"),
        )
        .collect()
    )
    per_order = _order_frame(lines).with_columns(
        # A returning customer's order: placed after that customer's first order.
        (
            pl.col("customer_id").is_not_null()
            & (pl.col("ordered_at") > pl.col("ordered_at").min().over("customer_id"))
        ).alias("returning")
    )
    known = pl.col("customer_id").is_not_null()
    per_region = per_order.group_by("region").agg(pl.len().cast(pl.Int64).alias("orders"))
    repeaters = (
        per_order.filter(known)
        .group_by("region", "customer_id")
        .agg(pl.len().alias("n"))
        .group_by("region")
        .agg((pl.col("n") >= 2).mean().alias("repeat_rate"))
    )
    table = (
        table.join(per_region, on="region", how="left")
        .join(repeaters, on="region", how="left")
        .with_columns(pl.col("orders").fill_null(0))
    )
    if orders is not None:
        extra = _order_extras(orders, per_order.select("order_id", "region"))
        if extra is not None:
            table = table.join(extra, on="region", how="left")
    # Per order and month, its net revenue: growth's interval reads their squares (lib.trend).
    monthly = (
        lines.lazy()
        .group_by("region", month, "order_id")
        .agg(pl.col("revenue").sum())
        .group_by("region", "month")
        .agg(pl.col("revenue").sum(), (pl.col("revenue") ** 2).sum().alias("revenue_sq"))
        .collect()
        .join(
            per_order.group_by("region", month).agg(
                pl.len().cast(pl.Int64).alias("orders"),
                known.sum().cast(pl.Int64).alias("known_orders"),
                pl.col("returning").sum().cast(pl.Int64).alias("returning_orders"),
            ),
            on=["region", "month"],
            how="full",
            coalesce=True,
        )
        .with_columns(
            pl.col("orders", "known_orders", "returning_orders", "revenue", "revenue_sq").fill_null(
                0
            )
        )
    )
    span = pl.Series("ordered_at", [lines["ordered_at"].min(), lines["ordered_at"].max()])
    spanning = (
        lines.lazy()
        .filter(measures.is_sale(lines) & pl.col("customer_id").is_not_null())
        .group_by("customer_id")
        .agg(pl.col("region").n_unique())
        .filter(pl.col("region") > 1)
        .select(pl.len())
        .collect()
        .item()
    )
    return RegionalBase(table, monthly, span, spanning)


def regional_table(
    lines: pl.DataFrame,
    orders: pl.DataFrame | None = None,
    months: int = 3,
    against: str = "before",
) -> pl.DataFrame:
    """Per region: size, growth, value, loyalty and (when orders allow) delivery and freight.

    `lines` needs region, order_id, customer_id, ordered_at, revenue (is_return optional).
    One row per region, by revenue descending, with
    customers (distinct non-null customer_id), orders (distinct sale orders; returns are not
    orders), revenue (net: returns' negative revenue subtracted), share (of net revenue),
    revenue_last / revenue_prev (net revenue in the last `months` full calendar months and in the
    `months` before, or the same months a year earlier with `against` "year":
    lib.periods.growth_window, so a partial last month never fakes a decline),
    growth (revenue_last / revenue_prev - 1; null without a prior period), growth_low,
    growth_high and growth_df (its 95% interval, lib.trend, and the degrees of freedom of the t
    point that set its width), growth_reliable (MIN_ORDERS orders or more in
    each window), aov (net revenue per order), aov_z (how far aov lies from every other order's,
    as a z: stats.mean_z on each order's net revenue; null under two orders), repeat_rate (share
    of customers with 2+ orders),
    repeat_change (share of orders placed by returning customers, last period minus the one
    before, in 0..1 points), repeat_change_z (that change as a pooled two-proportion z over the
    orders with a customer in each period, stats.shares_z),
    and, when `orders` has them: delivered_orders, late_orders, late_rate (measures.late: on a
    day after the estimated one, among delivered orders), review (mean review_score),
    freight_share (freight over revenue + freight: what share of what customers paid went to
    shipping).
    """
    return windowed_table(regional_base(lines, orders), months, against)


def window_text(span: pl.Series, months: int = 3, against: str = "before") -> str:
    """The months growth compares for order times `span` (growth_window: 'Growth compares
    Sep–Nov 2023 vs Jun–Aug 2023.'), or why no region has a growth figure."""
    window = growth_window(span, months, against)
    if window.available:
        return f"Growth compares {window.describe()}."
    return f"No growth figures: {window.reason}. {window.remedy('window')}"


def windowed_table(base: RegionalBase, months: int = 3, against: str = "before") -> pl.DataFrame:
    """regional_table from its cached base: only the growth window is computed here."""
    window = growth_window(base.span, months, against)
    if window.available:
        current, end, previous, previous_end = (
            datetime.combine(day, time.min)
            for day in (
                window.current_start,
                window.current_end,
                window.previous_start,
                window.previous_end,
            )
        )
        in_last = (pl.col("month") >= current) & (pl.col("month") < end)
        in_prev = (pl.col("month") >= previous) & (pl.col("month") < previous_end)
    else:  # too little history for the window: growth stays empty
        in_last = in_prev = pl.lit(False)

    def returning_share(period: pl.Expr) -> pl.Expr:
        known = pl.col("known_orders").filter(period).sum()
        return pl.when(known > 0).then(pl.col("returning_orders").filter(period).sum() / known)

    window_figures = base.monthly.group_by("region").agg(
        pl.col("revenue").filter(in_last).sum().alias("revenue_last"),
        pl.col("revenue").filter(in_prev).sum().alias("revenue_prev"),
        (returning_share(in_last) - returning_share(in_prev)).alias("repeat_change"),
        stats.shares_z(
            *(
                pl.col(column).filter(period).sum()
                for period in (in_last, in_prev)
                for column in ("returning_orders", "known_orders")
            )
        ).alias("repeat_change_z"),
        pl.col("orders").filter(in_last).sum().alias("_orders_last"),
        pl.col("orders").filter(in_prev).sum().alias("_orders_prev"),
        pl.col("revenue_sq").filter(in_last).sum().alias("_sq_last"),
        pl.col("revenue_sq").filter(in_prev).sum().alias("_sq_prev"),
        pl.col("revenue_sq").sum().alias("_sq_all"),
    )
    low, high, df = trend.interval_exprs("revenue_last", "_sq_last", "revenue_prev", "_sq_prev")
    table = base.table.join(window_figures, on="region", how="left").with_columns(
        # No share of a total that nets to nothing or less (every line refunded).
        pl.when(pl.col("revenue").sum() > 0)
        .then(pl.col("revenue") / pl.col("revenue").sum())
        .alias("share"),
        pl.when(pl.col("revenue_prev") > 0)
        .then(pl.col("revenue_last") / pl.col("revenue_prev") - 1)
        .alias("growth"),
        low.alias("growth_low"),
        high.alias("growth_high"),
        df.alias(trend.DF),
        # Growth from fewer than MIN_ORDERS orders in either compared window is noise (Olist's
        # SE: 3 orders, then 11, "+388%"; MT: 9, then 13): shown, but no action, score or
        # reading rests on it, as on Categories.
        (
            (pl.col("_orders_last").fill_null(0) >= MIN_ORDERS)
            & (pl.col("_orders_prev").fill_null(0) >= MIN_ORDERS)
        ).alias("growth_reliable"),
        pl.when(pl.col("orders") > 0).then(pl.col("revenue") / pl.col("orders")).alias("aov"),
    )
    table = table.with_columns(_aov_z(table))
    columns = [
        "region",
        "customers",
        "orders",
        "revenue",
        "share",
        "revenue_last",
        "revenue_prev",
        "growth",
        "growth_low",
        "growth_high",
        trend.DF,
        "growth_reliable",
        "aov",
        "aov_z",
        "repeat_rate",
        "repeat_change",
        "repeat_change_z",
    ]
    columns += [c for c in base.table.columns if c not in columns]
    return table.select(columns).sort("revenue", "region", descending=[True, False])


def _aov_z(table: pl.DataFrame) -> pl.Series:
    """aov_z of regional_table: each region's net revenue per order against every other order's
    (stats.mean_z on per-order net revenue; `_sq_all` holds its squares summed per region)."""
    n, total, squares = (
        table[c].fill_null(0).cast(pl.Float64).to_numpy() for c in ("orders", "revenue", "_sq_all")
    )
    rest = (n.sum() - n, total.sum() - total, squares.sum() - squares)
    z = stats.mean_z((n, total, squares), rest)
    return pl.Series("aov_z", z, dtype=pl.Float64).fill_nan(None)


def _order_extras(orders: pl.DataFrame, order_regions: pl.DataFrame) -> pl.DataFrame | None:
    """Delivery, review and freight per region from the orders table, or None if it has none."""
    aggs: list[pl.Expr] = []
    cols = orders.columns
    # Delivered, late and review as on the Delivery page (measures): reviews of delivered orders.
    delivered = pl.lit(True)
    if "delivered_at" in cols and "estimated_delivery_at" in cols:
        delivered = measures.delivered(orders)
        aggs += [
            delivered.sum().cast(pl.Int64).alias("delivered_orders"),
            (delivered & measures.late()).sum().cast(pl.Int64).alias("late_orders"),
        ]
    if "review_score" in cols:
        aggs.append(pl.col("review_score").filter(delivered).mean().alias("review"))
    if "freight" in cols and "revenue" in cols:
        paid = pl.col("freight").is_not_null() & pl.col("revenue").is_not_null()
        aggs += [
            pl.col("freight").filter(paid).sum().alias("_freight"),
            pl.col("revenue").filter(paid).sum().alias("_goods"),
        ]
    if not aggs or orders.height == 0:
        return None
    # Orders take their region from their lines, so both tables agree on who is where.
    out = orders.join(order_regions, on="order_id", how="inner").group_by("region").agg(aggs)
    if "delivered_orders" in out.columns:
        if out["delivered_orders"].sum() == 0:
            out = out.drop("delivered_orders", "late_orders")
        else:
            out = out.with_columns(
                pl.when(pl.col("delivered_orders") > 0)
                .then(pl.col("late_orders") / pl.col("delivered_orders"))
                .alias("late_rate")
            )
    if "review" in out.columns and out["review"].null_count() == out.height:
        out = out.drop("review")
    if "_freight" in out.columns:
        out = out.with_columns(
            measures.freight_share(pl.col("_freight"), pl.col("_goods")).alias("freight_share")
        ).drop("_freight", "_goods")
        if out["freight_share"].null_count() == out.height:
            out = out.drop("freight_share")
    return out if out.width > 1 else None


@dataclass(frozen=True)
class Weights:
    """How much each criterion counts in the priority score (any non-negative numbers)."""

    size: float = 3.0  # revenue
    growth: float = 2.0
    value: float = 1.0  # average order value
    repeat: float = 1.0  # repeat rate
    delivery: float = 1.0  # low late rate


# Criterion -> (table column, True when higher is better).
CRITERIA: dict[str, tuple[str, bool]] = {
    "size": ("revenue", True),
    "growth": ("growth", True),
    "value": ("aov", True),
    "repeat": ("repeat_rate", True),
    "delivery": ("late_rate", False),
}


def _percentile(column: str, higher_is_better: bool) -> pl.Expr:
    """0 for the worst region, 1 for the best, average ranks for ties, 0.5 when unknown."""
    col = pl.col(column) if higher_is_better else -pl.col(column)
    n = pl.col(column).count()
    return (
        pl.when(n > 1)
        .then((col.rank("average") - 1) / (n - 1))
        .otherwise(0.5)
        .fill_null(0.5)
        .cast(pl.Float64)
    )


def totals(table: pl.DataFrame) -> dict[str, float | None]:
    """Whole-data figures the rules compare regions with: growth, late_rate, regions and
    customers (0 when the data names none: Amazon's order report), and the late_orders and
    delivered_orders late_rate is made of; growth and late_rate are None, and customers 0,
    when the table lacks their columns."""

    def total(column: str) -> float:
        return float(table[column].sum()) if column in table.columns else 0.0

    prev = total("revenue_prev")
    delivered = total("delivered_orders")
    return {
        "growth": total("revenue_last") / prev - 1 if prev > 0 else None,
        "late_rate": total("late_orders") / delivered if delivered > 0 else None,
        "regions": float(table.height),
        "customers": total("customers"),
        "late_orders": total("late_orders"),
        "delivered_orders": delivered,
    }


def _late_population(whole: Mapping[str, float | None]) -> tuple[int, int] | None:
    """The late and delivered orders a region's are drawn from (stats.share_z's population:
    a region holding most orders is judged against the rest), None where `whole` lacks them."""
    delivered = whole.get("delivered_orders")
    if not delivered:
        return None
    return int(whole.get("late_orders") or 0), int(delivered)


@dataclass(frozen=True)
class Families:
    """The regions an action's verdicts are judged across at once (lib.stats.Family each):
    growth against the flat band (`growth`), growth against the whole data's (`faster`), and
    the late rate against the average (`late`) and the change in returning customers' share of
    orders (`repeat`). `families` gives them for a regional table; ALONE judges one region
    alone, as its own 95% intervals read."""

    growth: stats.Family
    faster: stats.Family
    late: stats.Family
    repeat: stats.Family


ALONE = Families(*(stats.SINGLE for _ in range(4)))


def families(table: pl.DataFrame, min_orders: int = MIN_ORDERS) -> Families:
    """The families of a regional table (`Families`). Growth, against the flat band
    (trend.clearance) and against the whole data's growth (`totals`): the regions with a growth
    figure from enough orders (growth_reliable), as metric_reading names growth; none in a
    table without growth intervals (as `totals` reads a table without its columns). Late rate:
    `_late_family`. Returning customers' share of orders: the regions other than NO_REGION
    with `min_orders` orders or more and a repeat_change_z."""
    whole = totals(table)
    late = _late_family(table, whole, min_orders)
    repeat = stats.family(
        table.filter(pl.col("region") != NO_REGION, pl.col("orders") >= min_orders)[
            "repeat_change_z"
        ]
        if "repeat_change_z" in table.columns
        else []
    )
    if "growth_low" not in table.columns:
        return Families(stats.family([]), stats.family([]), late, repeat)
    judged = table.filter(trend.compared(table.columns))
    low, high, df = trend.interval(table.columns)
    apart = pl.lit(None, pl.Float64)
    if (growth := whole["growth"]) is not None:
        apart = trend.clearance(low, high, df, growth, growth)
    return Families(
        stats.family(judged.select(trend.clearance(low, high, df)).to_series()),
        stats.family(judged.select(apart).to_series()),
        late,
        repeat,
    )


def _late_family(
    table: pl.DataFrame, whole: Mapping[str, float | None], min_orders: int
) -> stats.Family:
    """The regions whose late rate is judged against the average (`whole`'s) at once: those
    other than NO_REGION with at least `min_orders` delivered orders, each by the exact tail of
    its late share drawn from all delivered orders (stats.share_z)."""
    average = whole["late_rate"]
    if average is None or "delivered_orders" not in table.columns:
        return stats.family([])
    rows = table.filter(
        (pl.col("region") != NO_REGION) & (pl.col("delivered_orders") >= min_orders)
    )
    return stats.family(
        rows.select(
            stats.share_z("late_orders", "delivered_orders", average, _late_population(whole))
        ).to_series()
    )


def _trend(low: float | None, high: float | None, among: Families, df: float | None = None) -> int:
    """1 where a region's revenue grew beyond chance across the regions compared (`among`), -1
    where it fell, 0 otherwise (or without an interval; `df`: its degrees of freedom, None for
    a normal one)."""
    z = trend.clearance_of(low, high, df=df)
    return int(math.copysign(1, z)) if among.growth.beyond(z) else 0


def growth_words(
    growth: float | None,
    whole: float | None,
    low: float | None,
    high: float | None,
    among: Families = ALONE,
    *,
    df: float | None = None,
) -> str:
    """The trend of a region's revenue in words that say only what its interval (`low`..`high`
    at `df` degrees of freedom, None for a normal one: lib.trend) supports across the regions
    compared (`among`: their Families; ALONE, its own 95% interval).

    'shrinking (-31%)' when it fell beyond chance ('shrinking, as the whole within chance (-31%
    vs -27%)' where the whole fell too and it is within chance of it); 'growing faster than the
    whole (+54% vs
    +15%)' when it grew beyond chance and lies above the whole data's growth beyond chance
    (plain 'growing (+23%)' without a whole-data figure); 'ahead of the whole (+114% vs -27%;
    on its own no clear change: ...)' when it is above the whole beyond chance and up FLAT or
    more, but its own growth is not clearly beyond FLAT; 'growing slower than the whole (+5% vs
    +12%)' when it lies below the whole's beyond chance; 'growing, as fast as the whole within
    chance (+14% vs +15%)' otherwise when it grew; 'flat (+1.0%)' when the whole interval is
    within FLAT; else 'no clear change: +39% (anywhere from -60% to +378%)' (within chance, or
    beyond it but not clearly beyond FLAT; its own interval may clear FLAT, or the whole's
    growth, where that is within chance across the regions compared: the readings say so,
    `priority_reading` and `metric_reading`). The two
    figures get as many decimals (up to 2) as they need to read differently; 'no growth
    figure' when unknown.
    """
    if growth is None:
        return "no growth figure"
    direction = _trend(low, high, among, df)
    if whole is None:
        if direction < 0:
            return f"shrinking ({fmt.change(growth)})"
        return f"growing ({fmt.change(growth)})" if direction > 0 else _within(growth, low, high)
    # The fewest decimals (up to 2) at which the two figures read differently.
    digits = next((n for n in range(3) if fmt.change(growth, n) != fmt.change(whole, n)), 0)
    pair = f"{fmt.change(growth, digits)} vs {fmt.change(whole, digits)}"
    apart = trend.clearance_of(low, high, whole, whole, df)
    if direction < 0:
        # A fall where the whole fell as much within chance is the whole's, said so (Olist's
        # SP, -31% against -27%: its score ties it with the whole, as every such region).
        if whole < -FLAT and not among.faster.beyond(apart):
            return f"shrinking, as the whole within chance ({pair})"
        return f"shrinking ({fmt.change(growth)})"
    rose = direction > 0
    ahead = growth >= FLAT and among.faster.beyond(apart) and apart > 0
    if ahead and rose:
        return f"growing faster than the whole ({pair})"
    if ahead:
        return f"ahead of the whole ({pair}; on its own {_within(growth, low, high)})"
    if not rose:
        return _within(growth, low, high)
    if among.faster.beyond(apart) and apart < 0:
        return f"growing slower than the whole ({pair})"
    return f"growing, as fast as the whole within chance ({pair})"


def _within(growth: float, low: float | None, high: float | None) -> str:
    """'flat (+1.0%)' when the whole interval lies within FLAT either way, else 'no clear
    change: +39% (anywhere from -60% to +378%)': within chance, or up or down beyond it but
    not clearly by FLAT or more (Olist's SP, +14%, anywhere from +1% to +28%); clear of FLAT
    by its own interval where that is within chance across the regions compared, 'no clear
    change across regions: +58% (+5% to +138% alone)'."""
    if low is not None and high is not None and low > -FLAT and high < FLAT:
        return f"flat ({fmt.change(growth, 1)})"
    if low is not None and high is not None and (low > FLAT or high < -FLAT):
        # Its own interval clears the flat band: the verdict is the family's, said as such
        # ('no clear change: +100% (anywhere from +18% to +241%)' read as a contradiction).
        return (
            f"no clear change across regions: {trend.growth_text(growth)} "
            f"({fmt.change(low)} to {fmt.change(high)} alone)"
        )
    return f"no clear change: {trend.spread(growth, low, high)}"


def _faster(region: Mapping, whole: float | None, among: Families) -> bool:
    """Whether a region's revenue grew faster than the whole's beyond chance across the
    regions compared (`among`): up FLAT or more and above the whole's growth beyond chance
    (without a whole-data figure, growing beyond chance)."""
    growth, low, high = region.get("growth"), region.get("growth_low"), region.get("growth_high")
    df = region.get(trend.DF)
    if growth is None or low is None or growth < FLAT:
        return False
    if whole is None:
        return _trend(low, high, among, df) > 0
    apart = trend.clearance_of(low, high, whole, whole, df)
    return among.faster.beyond(apart) and apart > 0


def _beyond(
    region: Mapping, whole: Mapping[str, float | None], min_orders: int, among: Families
) -> bool:
    """Whether a region's late rate is above the average (`whole`'s) beyond chance across the
    regions compared (`among`): at least `min_orders` delivered orders (as the Delivery page
    names a region) and the exact tail of its late share (stats.share_z, drawn from all
    delivered orders) above the average beyond chance (alone, at 95%: 4 late of 24 against 8%
    is not, a tail of 13%)."""
    delivered = region.get("delivered_orders") or 0
    if delivered < min_orders:
        return False
    z = stats.share_z_of(
        region.get("late_orders") or 0, delivered, whole["late_rate"], _late_population(whole)
    )
    return among.late.beyond(z) and z > 0


def region_action(
    region: Mapping,
    whole: Mapping[str, float | None],
    min_orders: int = MIN_ORDERS,
    among: Families = ALONE,
) -> str:
    """The recommended action of one region (a row of regional_table) against the whole data
    (`totals`), as 'verb: why', each verdict beyond chance across the regions compared
    (`among`: `families` of the table; ALONE, by the region's own 95% intervals). The first
    rule that applies ("large" = revenue share at least 1 / number of regions; "faster" =
    growth at least FLAT and above the whole data's growth beyond chance, `_faster`;
    "shrinking" = down FLAT or more beyond chance, `growth_words`):

    1. the NO_REGION group -> "watch: no region recorded";
    2. fewer than `min_orders` orders -> "watch: too few orders to judge"; fewer than
       MIN_CUSTOMERS customers, in data that names customers -> "watch: too few customers to
       judge (N)";
    3. late rate >= LATE_FACTOR x the overall late rate, above it beyond chance (`_beyond`) ->
       "fix delivery first: late rate Nx average";
    4. no growth figure -> large: "defend: large, no growth figure"; small: "watch: no growth
       figure";
    5. large and returning-order share down REPEAT_DROP or more, beyond chance (its
       repeat_change_z) -> "retain: large, <trend>, returning-customer orders down N points";
    6. large and faster -> "grow: large, <trend>";
    7. large -> "defend: large, <trend>" (slower, flat or shrinking);
    8. small and faster -> "test: small, <trend>";
    9. small and shrinking -> "deprioritise: small, <trend>";
    10. small -> "maintain: small, <trend>" (slower, or a change within chance).
    <trend> is `growth_words`: a fall always reads "shrinking", never "growing slower".
    A late rate above average beyond chance but under LATE_FACTOR x it is said after the
    verdict of rules 4 to 10 ('; late 1.8x', times the average: Olist's RJ, 80 late of 665, read
    as if its deliveries were fine).
    """
    if region["region"] == NO_REGION:
        return "watch: no region recorded"
    if (region.get("orders") or 0) < min_orders:
        return "watch: too few orders to judge"
    # Data that names no customer at all has no customer count to judge by.
    if whole.get("customers", 1) and (region.get("customers") or 0) < MIN_CUSTOMERS:
        return f"watch: too few customers to judge ({region.get('customers') or 0})"
    late, average = region.get("late_rate"), whole.get("late_rate")
    # Late above the average beyond chance (_beyond: only above it).
    behind = late is not None and bool(average) and _beyond(region, whole, min_orders, among)
    if behind and late >= LATE_FACTOR * average:
        return f"fix delivery first: late rate {round(late / average, 1):.1f}x average"
    verdict = _market_action(region, whole, among)
    return verdict + (f"; late {round(late / average, 1):.1f}x" if behind else "")


def _market_action(region: Mapping, whole: Mapping[str, float | None], among: Families) -> str:
    """region_action's rules 4 to 10: what to do with a region whose deliveries need no fixing
    first."""
    regions = whole.get("regions") or 1
    large = (region.get("share") or 0.0) >= 1 / regions
    growth, overall = region.get("growth"), whole.get("growth")
    if growth is not None and region.get("growth_reliable") is False:
        few = f"fewer than {MIN_ORDERS} orders in a compared window for a growth figure"
        return f"defend: large, {few}" if large else f"watch: {few}"
    if growth is None:
        return "defend: large, no growth figure" if large else "watch: no growth figure"
    low, high, df = region.get("growth_low"), region.get("growth_high"), region.get(trend.DF)
    words = growth_words(growth, overall, low, high, among, df=df)
    faster = _faster(region, overall, among)
    repeat, repeat_z = region.get("repeat_change"), region.get("repeat_change_z")
    if (
        large
        and repeat is not None
        and repeat <= -REPEAT_DROP
        and among.repeat.beyond(repeat_z)
        and repeat_z < 0
    ):
        return f"retain: large, {words}, returning-customer orders down {-repeat * 100:.0f} points"
    if large:
        return f"{'grow' if faster else 'defend'}: large, {words}"
    if faster:
        return f"test: small, {words}"
    if _trend(low, high, among, df) < 0:
        return f"deprioritise: small, {words}"
    return f"maintain: small, {words}"


def action_verb(action: pl.Expr) -> pl.Expr:
    """The verb of an action ('grow', 'fix delivery first', ...): the text before the colon."""
    return action.str.extract(r"^([^:]+):")


def _tier(action: pl.Expr) -> pl.Expr:
    """The ACTION_TIERS tier of an action (unknown verbs last)."""
    return action_verb(action).replace_strict(ACTION_TIERS, default=len(ACTION_TIERS))


def region_actions(
    table: pl.DataFrame, min_orders: int = MIN_ORDERS, among: Families | None = None
) -> pl.Series:
    """`region_action` of every row of a regional table against its own totals, each verdict
    judged across the regions compared (`among`: the table's `families`, computed when not
    given): the priority table's action column."""
    whole = totals(table)
    among = among or families(table, min_orders)
    return pl.Series(
        "action",
        [region_action(row, whole, min_orders, among) for row in table.iter_rows(named=True)],
        dtype=pl.String,
    )


def priority_table(
    table: pl.DataFrame, weights: Weights | None = None, min_orders: int = MIN_ORDERS
) -> pl.DataFrame:
    """The regional table with a priority score (0..100), a recommended action and their rank.

    Score: each criterion (CRITERIA: revenue, growth, aov, repeat_rate, low late_rate) becomes
    a percentile among regions (0 worst .. 1 best, ties averaged, 0.5 when the region's value is
    unknown, as growth is from too few orders; growth within chance of the whole data's counts
    as the whole's, tied with every such region, below growth faster than the whole beyond
    chance and above slower; without a whole-data figure, against flat); the score is their
    weighted mean x 100. Criteria the data lacks, or weighted 0,
    do not count; with none left no region has a score (null). Action: `region_action`, from
    the region's own figures.

    Rank (1 = market here first) follows one rule: the action's tier (ACTION_TIERS: grow, test,
    retain and defend first, then maintain, fix delivery first, watch, deprioritise), then the
    score within the tier (ties: revenue, then name). So rank 1 is a region to market in
    whenever any region is. Tied regions keep distinct ranks; `priority_reading` names those
    tied with rank 1 together. NO_REGION's row is no place to rank: it comes last, with no score
    and no rank, and takes no part in the regions' percentiles.
    """
    w = asdict(weights or Weights())
    used = {
        k: v for k, v in w.items() if v > 0 and CRITERIA[k][0] in table.columns
    }  # criteria that count
    total_weight = sum(used.values())
    if total_weight > 0:
        score = (
            pl.sum_horizontal([_percentile(*CRITERIA[k]) * v for k, v in used.items()])
            / total_weight
            * 100
        )
    else:
        score = pl.lit(None, pl.Float64)
    # Growth counts only where it rests on enough orders (growth_reliable), else it is unknown
    # (the middle); and only where it is apart from the whole data's growth beyond chance
    # across the regions compared, as the actions' "faster" reads it, else it is the whole's
    # (tied with every such region): a point estimate within chance would rank regions by
    # noise. Against the whole, not flat: Olist's regions all fell, -27% together, and SP's
    # -31%, the only fall measured clear of flat, ranked it 6th, below regions that fell further
    # within chance; within chance of the whole, it ties with them. Without a whole-data
    # figure, against the flat band.
    basis = reliable_growth(table)
    among = families(table, min_orders)  # for the growth criterion and the actions alike
    if "growth_low" in table.columns:
        whole = totals(table)["growth"]
        low, high, df = trend.interval(table.columns)
        if whole is None:
            beyond, usual = among.growth.beyond(trend.clearance(low, high, df)), 0.0
        else:
            beyond = among.faster.beyond(trend.clearance(low, high, df, whole, whole))
            usual = whole
        known = pl.col("growth").is_not_null()
        basis = basis.with_columns(
            pl.when(beyond).then("growth").when(known).then(usual).alias("growth")
        )
    # Lines without a region are no place: they take no part in the regions' percentiles, and
    # get no score.
    place = pl.col("region") != NO_REGION
    criteria = {CRITERIA[k][0] for k in used}
    basis = basis.with_columns(pl.when(place).then(pl.col(c)).alias(c) for c in criteria)
    scored = basis.select(pl.when(place).then(score).alias("score"))["score"]
    return (
        table.with_columns(scored, region_actions(table, min_orders, among))
        # Scores are rounded for the sort so that float noise never breaks a tie on revenue.
        .with_columns(
            _tier(pl.col("action")).alias("_tier"), pl.col("score").round(9).alias("_score")
        )
        .sort(
            [~place, "_tier", "_score", "revenue", "region"],
            descending=[False, False, True, True, False],
            nulls_last=True,
        )
        .drop("_tier", "_score")
        .with_row_index("rank", offset=1)
        # Lines without a region are no place to rank: last, without a rank.
        .with_columns(pl.when(place).then(pl.col("rank").cast(pl.Int64)).alias("rank"))
        .select("rank", "region", "score", "action", *[c for c in table.columns if c != "region"])
    )


def reliable_growth(table: pl.DataFrame) -> pl.DataFrame:
    """`table` with growth only where it rests on enough orders (growth_reliable; unchanged
    without that column): as the score, the actions and the readings take growth, and as the
    growth map colours it (Olist's SE, 3 orders then 11, had saturated the map at +388% while
    SP's fall, the only one beyond chance, was drawn nearly neutral)."""
    if "growth_reliable" not in table.columns:
        return table
    return table.with_columns(pl.when("growth_reliable").then("growth").alias("growth"))


def places_only(table: pl.DataFrame) -> pl.DataFrame:
    """The rows of a regional table that are regions: NO_REGION's lines are counted in the
    table, never as a region (the Regions and Top region figures)."""
    return table.filter(pl.col("region") != NO_REGION)


def top_place(table: pl.DataFrame) -> pl.DataFrame:
    """The first row of `table` (largest revenue first) that is a region; NO_REGION's when the
    data knows no region."""
    placed = places_only(table)
    return (placed if placed.height else table).head(1)


def with_names(table: pl.DataFrame, places: pl.DataFrame) -> pl.DataFrame:
    """`table` with each region under the name the map shows (its label in `places`, a Match's
    places or a headless table that carries them: 'Ireland' for Online Retail's 'EIRE'; 'SP'
    stays 'SP') and, when any name differs from the data's value, that value in a `code` column
    after `region`. Regions the map does not know keep their value."""
    names = places.select("region", pl.col("label").alias("_name"))
    out = table.join(names, on="region", how="left", maintain_order="left").select(
        pl.coalesce("_name", "region").alias("region"),
        pl.col("region").alias("code"),
        pl.all().exclude("region", "_name"),
    )
    return out.drop("code") if (out["code"] == out["region"]).all() else out


def map_points(table: pl.DataFrame, match: Match) -> pl.DataFrame:
    """The regional table rows that have a place: the table's columns plus place, label, lat,
    lon; one row per placed region (unmatched regions are in `match.unmatched`)."""
    return table.join(match.places, on="region", how="inner")


def customer_points(ds: Dataset, limit: int = 20_000) -> pl.DataFrame | None:
    """Customers' lat/lon (at most `limit`, a fixed sample) for a density layer, or None."""
    if not ds.has("customers", "lat", "lon"):
        return None
    points = ds.tables["customers"].select("lat", "lon").drop_nulls()
    if points.height > limit:
        points = points.sample(limit, seed=0)
    return points


def headless(
    ds: Dataset,
    *,
    metric: str = "revenue",
    months: int = 3,
    against: str = "before",
    w_size: float = 3.0,
    w_growth: float = 2.0,
    w_value: float = 1.0,
    w_repeat: float = 1.0,
    w_delivery: float = 1.0,
) -> dict[str, pl.DataFrame]:
    """The page's tables without the UI (options as the page's controls; `metric` is the map's;
    growth compares the last `months` full months with the months before or, `against` "year",
    the same months a year earlier).

    'regions': the priority table plus place, label, lat, lon (null when unmatched), by rank;
    'unmatched': region values no reference places (one column, region).
    """
    lines = regional_lines(ds)
    if lines is None:
        raise ValueError(
            for_data(
                ds,
                "needs a region per customer or order line: map a country or state column",
                "(with Olist orders, upload olist_customers_dataset.csv)",
            )
        )
    table = regional_table(lines, ds.tables.get("orders"), months=months, against=against)
    ranked = priority_table(
        table, Weights(w_size, w_growth, w_value, w_repeat, w_delivery), MIN_ORDERS
    )
    match = match_regions(ranked["region"])
    out = ranked.join(match.places, on="region", how="left").sort("rank", nulls_last=True)
    if metric not in out.columns:
        raise ValueError(
            f"metric must be one of {', '.join(c for c in METRICS if c in out.columns)}"
        )
    unmatched = pl.DataFrame({"region": list(match.unmatched)}, schema={"region": pl.String})
    return {"regions": out, "unmatched": unmatched}


def metric_reading(
    table: pl.DataFrame, metric: str, currency: str = "", months: int = 3, against: str = "before"
) -> str:
    """One sentence on where `metric` is highest, against the whole data (table: regional_table).
    Lines without a region count in the whole, never as a region (places_only)."""
    known = places_only(table).filter(pl.col(metric).is_not_null())
    few = 0
    if metric == "growth" and "growth_reliable" in known.columns:  # as the actions read growth
        few = known.filter(~pl.col("growth_reliable")).height
        known = known.filter("growth_reliable")
    if known.height == 0:
        return f"No region has a {METRICS.get(metric, metric).lower()} figure yet" + (
            f" from enough orders ({MIN_ORDERS} in each compared window)." if few else "."
        )
    top = known.sort(metric, descending=True).row(0, named=True)
    name = fmt.named(top["region"])
    if metric in ("revenue", "customers", "orders"):
        total = table[metric].sum()
        top3 = known.sort(metric, descending=True).head(3)[metric].sum()
        if total == 0 and metric != "revenue":  # Amazon's order report names no customer
            return f"The data names no {metric}: there is no region to rank by them."
        # Regions tied with the first are named together, not picked by name.
        tied = known.filter(pl.col(metric) == top[metric])
        if tied.height > 1:
            name = fmt.listed([fmt.named(r) for r in tied.sort("region")["region"]], most=4)

        def said(x: float) -> str:
            return fmt.money(x, currency) if metric == "revenue" else fmt.count(x)

        value = said(top[metric]) + (" each" if tied.height > 1 else "")
        has = "has" if tied.height == 1 else "tie for"
        if total <= 0:  # revenue netting to nothing or less: no share to give
            return (
                f"{name} {has} the most {METRICS[metric].lower()} ({value}), but all regions "
                f"together net {said(total)}: there is no share to give."
            )
        share = top3 / total
        if known.height <= 3:  # the top three are every region: no concentration to read
            return (
                f"{name} {has} the most {METRICS[metric].lower()} ({value}, "
                f"{fmt.pct(top[metric] / total)} of the total, among "
                f"{fmt.counted(known.height, 'region')})."
            )
        return (
            f"{name} {has} the most {METRICS[metric].lower()} ({value}, "
            f"{fmt.pct(top[metric] / total)} of the total); the top three "
            f"regions have {fmt.pct(share)}: "
            f"{_beyond_top_three(table, metric) if share > 0.6 else 'spread out'}."
        )
    whole = totals(table)
    if metric == "growth":
        # Only growth beyond chance across the regions compared is named (`families`, as the
        # actions judge it): PE's +114% from 23 orders, then 24, is anywhere from -8% to +401%.
        among = families(table)
        low, high, df = trend.interval(known.columns)
        judged = known.with_columns(trend.clearance(low, high, df).alias("_z"))
        beyond = among.growth.beyond(pl.col("_z"))
        grew = judged.filter(beyond & (pl.col("_z") > 0)).sort(metric, descending=True)
        fell = judged.filter(beyond & (pl.col("_z") < 0)).sort(metric)
        chance = judged.filter(~beyond & (trend.rose(low) | trend.fell(high)))

        def named(rows: pl.DataFrame, verb: str, most: str) -> str:
            if rows.height == 0:
                return f"none {verb}"
            first = rows.row(0, named=True)
            which = f"{fmt.named(first['region'])}{most if rows.height > 1 else ''}"
            return f"{rows.height} {verb} ({which}, {fmt.change(first[metric])})"

        within = known.height - grew.height - fell.height
        by_chance = trend.by_chance(chance, "region", among.growth, ROWS)
        by_chance = f" ({by_chance})" if by_chance else ""
        return (
            f"Over {periods.compared(months, against)}, "
            f"{named(grew, 'grew', ' fastest')} and {named(fell, 'shrank', ' most')} beyond "
            f"chance{stats.across(among.growth.compared, ROWS)}; all regions together "
            f"{fmt.change(whole['growth'])}"
            + (f"; {within} changed within chance{by_chance}" if within else "")
            + (
                f". {fmt.counted(few, 'region')} with fewer than {MIN_ORDERS} orders in either "
                f"compared window {'is' if few == 1 else 'are'} left out: "
                f"{'its' if few == 1 else 'their'} growth is noise."
                if few
                else "."
            )
        )
    if metric == "aov":
        # Among regions with enough orders: RR's 6 orders at R$ 215 are no finding.
        overall = table["revenue"].sum() / table["orders"].sum() if table["orders"].sum() else None
        judged = known.filter(pl.col("orders") >= MIN_ORDERS)
        if judged.height == 0:
            return f"No region has {MIN_ORDERS} orders or more to judge its order value by."
        top = judged.sort(metric, descending=True).row(0, named=True)
        text = (
            f"Among regions with {MIN_ORDERS} orders or more, {fmt.named(top['region'])} spends "
            f"the most per order ({fmt.money(top[metric], currency)} against "
            f"{fmt.money(overall, currency)} overall"
        )
        # Beyond chance across the regions compared (`family`), against every other order.
        spend = stats.family(judged["aov_z"])
        z = top.get("aov_z")
        if z is None or z <= 0:
            return text + ")."
        if spend.beyond(z):
            return text + f", beyond chance{stats.across(spend.compared, ROWS)})."
        if z > stats.Z95:
            return text + f"); {stats.expected_among(spend, ROWS)}."
        return text + "), within chance: its orders' values spread too widely to tell it apart."
    # late_rate: the highest among regions with enough delivered orders (AL's 6 late of 24 is
    # no finding), as a rate, not "the most late deliveries".
    avg = whole["late_rate"]
    judged = known.filter(pl.col("delivered_orders") >= MIN_ORDERS)
    if judged.height == 0:
        return f"No region has {MIN_ORDERS} delivered orders or more to judge its late rate by."
    top = judged.sort(metric, descending=True).row(0, named=True)
    ratio = f", {top[metric] / avg:.1f}x the {fmt.pct(avg)} average" if avg else ""
    text = (
        f"Among regions with {MIN_ORDERS} delivered orders or more, {fmt.named(top['region'])} "
        f"has the highest late rate ({fmt.pct(top[metric])} of its "
        f"{fmt.count(top['delivered_orders'])} delivered orders{ratio}"
    )
    if not avg or top[metric] <= avg:
        return text + ")."
    # Above the average beyond chance across the regions compared, as the actions judge it.
    late = _late_family(table, whole, MIN_ORDERS)
    z = stats.share_z_of(top["late_orders"], top["delivered_orders"], avg, _late_population(whole))
    if late.beyond(z):
        return text + f", beyond chance{stats.across(late.compared, ROWS)})."
    low, high = stats.wilson(top["late_orders"], top["delivered_orders"]) or (0.0, 1.0)
    interval = f"its 95% interval ({fmt.pct(low)}–{fmt.pct(high)})"
    if low > avg:
        return text + f"); {interval} clears the average, but {stats.expected_among(late, ROWS)}."
    return text + f"); {interval} takes in the average: within chance."


def _beyond_top_three(table: pl.DataFrame, metric: str) -> str:
    """Where to look past the top three regions by `metric` when they hold most of it: those
    the priority table's actions (`region_actions`) say to grow or test, by `metric`, or why
    none is worth testing (what the table says of the others instead)."""
    rest = (
        places_only(table.with_columns(region_actions(table)))
        .filter(pl.col(metric).is_not_null())
        .sort(metric, descending=True)
        .slice(3)
        .with_columns(
            action_verb(pl.col("action")).alias("verb"), _tier(pl.col("action")).alias("tier")
        )
    )
    worth = rest.filter(pl.col("verb").is_in(["grow", "test"]))["region"]
    if worth.len():
        return "concentrated; beyond them the priority table says to grow or test in " + fmt.listed(
            [fmt.named(r) for r in worth], most=4
        )
    verbs = rest.group_by("verb", "tier").len().sort("tier", "verb")
    why = ", ".join(f"{n} to {verb}" for verb, _, n in verbs.iter_rows())
    return "concentrated, and no other region is one to grow or test in the priority table" + (
        f" (of the other {rest.height}: {why})" if why else ""
    )


def market_first(ranked: pl.DataFrame) -> dict | None:
    """Rank 1 of a priority_table when its action calls for marketing (MARKETING_ACTIONS), else
    None: the rank puts such regions first, so no region calls for marketing money. None too
    with a single region: a ranking of one sets no priority."""
    if places_only(ranked).height < 2:
        return None
    first = ranked.row(0, named=True)
    verb = (first["action"] or "").split(":", 1)[0]
    return first if verb in MARKETING_ACTIONS else None


def _figures(row: Mapping, months: int, currency: str, against: str = "before") -> str:
    """Share, revenue, orders and growth of a ranked region, as the table shows them."""
    revenue = fmt.money(row.get("revenue"), currency)
    share = row.get("share")
    parts = [
        f"{fmt.pct(share)} of revenue ({revenue})" if share is not None else f"{revenue} revenue",
        fmt.counted(row.get("orders") or 0, "order"),
    ]
    if row.get("growth") is not None:
        parts.append(
            f"revenue {trend.growth_text(row['growth'])} in {periods.compared(months, against)}"
        )
    return ", ".join(parts)


def tied_first(ranked: pl.DataFrame) -> pl.DataFrame:
    """Rank 1 of a priority table and the regions that tie with it: the same action tier and
    the same score as shown (77/100); the rank orders them on revenue or a fraction of a point,
    no preference. Without scores (every weight 0), rank 1 alone."""
    placed = places_only(ranked)
    if placed.height == 0 or placed["score"][0] is None:
        return ranked.head(1)
    shown = pl.col("score").map_elements(lambda x: f"{x:.0f}", return_dtype=pl.String)
    keys = placed.select(_tier(pl.col("action")).alias("tier"), shown.alias("shown"))
    return placed.filter((keys["tier"] == keys["tier"][0]) & (keys["shown"] == keys["shown"][0]))


def leading(ranked: pl.DataFrame) -> pl.DataFrame:
    """The regions a card names first: those tied with rank 1 (tied_first) when it calls for
    marketing (market_first), else rank 1 alone."""
    return ranked.head(1) if market_first(ranked) is None else tied_first(ranked)


def first_actions(leading: pl.DataFrame) -> tuple[str, str]:
    """What the first regions (`leading`: tied_first, or rank 1) are to do, short for a card and
    in full. One action (one region, or the same action word for word): short, its verb, size
    and the head of its trend, without figures (_card: 'grow: large, growing faster'), in full
    the action. Else,
    in full each region's action with its figures; short, what they share ('defend: large'
    when one region is shrinking and the other has no clear change: one region's trend would
    be said of both) or each region's verb ('defend (SP), test (PE)')."""
    regions, actions = leading["region"].to_list(), leading["action"].to_list()
    if len(set(actions)) <= 1:
        return _card(actions[0]), actions[0]
    full = "; ".join(f"{fmt.named(r)}: {a}" for r, a in zip(regions, actions, strict=True))
    verbs = [a.split(":")[0] for a in actions]
    if len(set(verbs)) > 1:
        short = ", ".join(f"{v} ({fmt.named(r)})" for v, r in zip(verbs, regions, strict=True))
        return short, full
    shared = []
    for parts in zip(*(a.split(", ") for a in actions), strict=False):
        if len(set(parts)) > 1:
            break
        shared.append(parts[0])
    return ", ".join(shared) or verbs[0], full


def _card(action: str) -> str:
    """An action short enough for a card: its verb, size and the head of its trend, no figure
    ('defend: large, growing' for 'defend: large, growing, as fast as the whole within chance
    (+14% vs +15%)', which a card cuts off)."""
    verb, _, rest = action.partition(": ")
    size, _, words = rest.partition(", ")
    if size not in ("large", "small"):
        size, words = "", rest
    head = re.split(r",|:| \(| than the whole", words, maxsplit=1)[0]
    return f"{verb}: {', '.join(p for p in (size, head) if p)}" if rest else verb


def priority_reading(
    ranked: pl.DataFrame, months: int = 3, currency: str = "", against: str = "before"
) -> str:
    """One sentence from the priority table: the rank-1 region with its action and figures (or
    the regions tied with it, named together), the other regions to grow or test, and those
    whose delivery needs fixing first."""
    places = places_only(ranked).height
    if places == 0:
        return "No region to rank."

    def figures(row: Mapping) -> str:
        return _figures(row, months, currency, against)

    top = ranked.row(0, named=True)
    if places == 1:
        return (
            f"The data has one region, {fmt.named(top['region'])}: a ranking of one region sets "
            f"no priority. Its figures: {figures(top)}; {top['action']}."
        )
    first = market_first(ranked)
    tied = tied_first(ranked)
    if tied.height > 1:
        names = fmt.listed([fmt.named(r) for r in tied["region"]], most=4)
        text = (
            f"Market first in {names}, tied"
            if first is not None
            else f"No region calls for marketing money now: the best placed, {names}, tie"
        )
        text += f" (score {top['score']:.0f}/100; their order in the table is no preference). "
        text += ". ".join(
            f"{fmt.named(row['region'])} is to {row['action']}; {figures(row)}"
            for row in tied.head(4).iter_rows(named=True)
        )
    elif first is None:
        text = (
            "No region calls for marketing money now: the best placed, "
            f"{fmt.named(top['region'])}, is to "
            f"{top['action']} ({figures(top)})"
        )
    else:
        score = "" if top["score"] is None else f", score {top['score']:.0f}/100"
        text = (
            f"Market first in {fmt.named(top['region'])} (rank 1{score}): "
            f"{top['action']}; {figures(top)}"
        )
    if top["score"] is None:
        text = (
            "Every weight is 0, so no region has a priority score: the table ranks the regions "
            f"by action, then revenue. {text}"
        )
    verbs = ranked.select(action_verb(pl.col("action")).alias("verb"), "region").slice(tied.height)
    grow = [fmt.named(r) for r in verbs.filter(pl.col("verb").is_in(["grow", "test"]))["region"]]
    fix = [fmt.named(r) for r in verbs.filter(pl.col("verb") == "fix delivery first")["region"]]
    if grow:
        text += f". Also growing faster than the whole: {fmt.listed(grow, most=4)}"
    if fix:
        text += f". Fix delivery before spending in {fmt.listed(fix, most=4)}"
    among = families(ranked)
    return (
        text
        + _late_under_factor(ranked, among)
        + _faster_by_chance(ranked, among)
        + _late_by_chance(ranked, among)
        + "."
    )


def _late_under_factor(ranked: pl.DataFrame, among: Families) -> str:
    """'. RJ (1.8x the average) is late beyond chance, under the 2x at which delivery comes
    before marketing': the regions whose late rate is above the average beyond chance
    (`_beyond`, as the Delivery page names the states to fix) but under LATE_FACTOR times it,
    whose action is not to fix delivery first, by the late orders they add beyond the
    average rate (as the Delivery page orders them); "" when none. Olist's Delivery page says to fix
    RJ first (it adds the most late orders) where Regions put delivery first in BA alone."""
    whole = totals(ranked)
    average = whole["late_rate"]
    if not average:
        return ""
    under = [
        f"{fmt.named(row['region'])} ({row['late_rate'] / average:.1f}x the average)"
        for row in ranked.sort(
            measures.excess_late("delivered_orders", average), descending=True
        ).iter_rows(named=True)
        if row["region"] != NO_REGION
        and _beyond(row, whole, MIN_ORDERS, among)
        and row["late_rate"] < LATE_FACTOR * average
    ]
    if not under:
        return ""
    verb = "is" if len(under) == 1 else "are"
    return (
        f". {fmt.listed(under, most=4)} {verb} late beyond chance, under the "
        f"{LATE_FACTOR:g}x at which delivery comes before marketing"
    )


def _faster_by_chance(ranked: pl.DataFrame, among: Families) -> str:
    """'. PE (+114% vs -27%) grows faster than the whole by its own 95% interval, but with 11
    regions compared, one this far out is expected by chance': the regions up FLAT or more
    whose own interval lies above the whole's growth though that is within chance across the
    regions compared (`among`), so that none is to grow or test on it; "" when none."""
    whole = totals(ranked)["growth"]
    if whole is None or "growth_low" not in ranked.columns:
        return ""
    low, high, df = trend.interval(ranked.columns)
    chance = ranked.filter(
        trend.compared(ranked.columns)
        & (pl.col("growth") >= FLAT)
        & (low > whole)
        & ~among.faster.beyond(trend.clearance(low, high, df, whole, whole))
    ).sort("growth", descending=True)
    if chance.height == 0:
        return ""
    said = fmt.listed(
        [
            f"{fmt.named(r['region'])} ({fmt.change(r['growth'])} vs {fmt.change(whole)})"
            for r in chance.iter_rows(named=True)
        ],
        most=4,
    )
    verb = "grows" if chance.height == 1 else "grow"
    own = "its own 95% interval" if chance.height == 1 else "their own 95% intervals"
    return (
        f". {said} {verb} faster than the whole by {own}, but "
        f"{stats.expected_among(among.faster, ROWS, chance.height)}"
    )


def _late_by_chance(ranked: pl.DataFrame, among: Families) -> str:
    """'. MA is late 2.6x the average, and its 95% interval clears it, but with 20 regions
    compared, one this far out is expected by chance': the regions late LATE_FACTOR
    times the average or more, on MIN_ORDERS delivered orders, whose own 95% Wilson interval
    lies above the average though that is within chance across the regions compared
    (`among`), so that no fix is called for; "" when none."""
    whole = totals(ranked)
    average = whole["late_rate"]
    if not average:
        return ""
    late = among.late
    low, _ = stats.wilson_exprs("late_orders", "delivered_orders")
    z = stats.share_z("late_orders", "delivered_orders", average, _late_population(whole))
    chance = ranked.filter(
        (pl.col("region") != NO_REGION)
        & (pl.col("delivered_orders") >= MIN_ORDERS)
        & (pl.col("late_rate") >= LATE_FACTOR * average)
        & (low > average)
        & ~late.beyond(z)
    ).sort("late_rate", descending=True)
    if chance.height == 0:
        return ""
    said = fmt.listed(
        [
            f"{fmt.named(r['region'])} is late {r['late_rate'] / average:.1f}x the average"
            for r in chance.iter_rows(named=True)
        ],
        most=4,
    )
    own = "their 95% intervals clear" if chance.height > 1 else "its 95% interval clears"
    return f". {said}, and {own} it, but {stats.expected_among(late, ROWS, chance.height)}"
