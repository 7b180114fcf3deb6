"""Category performance: revenue, share, growth, service quality, quadrants and potential."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import polars as pl

from lib import fmt, measures, periods, stats, trend
from lib.catalog import for_data
from lib.model import Dataset
from lib.periods import MONTHS, GrowthWindow, growth_window

UNCATEGORISED = measures.UNCATEGORISED
AGAINST = periods.AGAINST  # what growth compares with (the option's choices)
MIN_ORDERS = 30  # fewer orders: no potential score; fewer in either compared window: no growth
TOP = 6  # categories in the small-multiples trend
CHARTED = 15  # categories the potential chart shows, the best scored
COMPONENTS = ("growth", "share", "review", "late")
COMPONENT_LABELS = {
    "growth": "growth",
    "share": "revenue share",
    "review": "review score",
    "late": "late-delivery rate",
}
# Which table column each potential component reads, and whether higher is better.
_COMPONENT_SOURCE = {
    "growth": ("growth", True),
    "share": ("share", True),
    "review": ("review_score", True),
    "late": ("late_rate", False),
}
QUADRANTS = {
    "leaders": "high share, growing beyond chance",
    "rising": "low share, growing beyond chance",
    "established": "high share, not growing beyond chance",
    "niche": "low share, not growing beyond chance",
}
ROWS = "categories"  # what the growth readings compare, as they name it
NO_CATEGORY = "no line has a category to compare: fill or map a category column"


def category_label(name: str | None) -> str:
    """Readable label of a raw category name: 'health_beauty' -> 'Health beauty'."""
    text = (name or UNCATEGORISED).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _label_expr(column: str = "category") -> pl.Expr:
    return fmt.words_expr(pl.col(column)).alias("label")


def _at(day: date | None) -> datetime:
    assert day is not None
    return datetime(day.year, day.month, day.day)


def _with_defaults(lines: pl.DataFrame) -> pl.DataFrame:
    """Lines with a non-null category and is_return/quantity columns, whatever the source had."""
    extra = [measures.category()]
    extra.append(
        pl.col("is_return").fill_null(False)
        if "is_return" in lines.columns
        else pl.lit(False).alias("is_return")
    )
    if "quantity" not in lines.columns:
        extra.append(pl.lit(None, pl.Float64).alias("quantity"))
    return lines.with_columns(extra)


def category_sales(
    lines: pl.DataFrame, months: int = MONTHS, against: str = "before"
) -> pl.DataFrame:
    """Sales figures of each category, largest net revenue first.

    One row per category with category, label, revenue (net of returns), share (0..1 of total net
    revenue), orders (distinct orders with a sale in the category), units (net quantity; null
    without quantities), avg_price (revenue / units), revenue_current and revenue_previous (the
    two windows of `growth_window`, the previous one before the current or a year earlier:
    `against`), growth (current / previous - 1; null when the window is
    unavailable or previous <= 0), growth_low, growth_high and growth_df (its 95% interval,
    lib.trend: each window's revenue a compound Poisson sum of the category's order revenues,
    and the degrees of freedom of the t point that set its width) and orders_current and
    orders_previous (orders with a sale in the category in each window).
    """
    lines = _with_defaults(lines)
    window = growth_window(lines["ordered_at"], months, against)
    sale = ~pl.col("is_return")
    if window.available:
        at = pl.col("ordered_at")
        current = (at >= _at(window.current_start)) & (at < _at(window.current_end))
        previous = (at >= _at(window.previous_start)) & (at < _at(window.previous_end))
    else:
        current = previous = pl.lit(False)
    table = lines.group_by("category").agg(
        pl.col("revenue").sum(),
        pl.col("order_id").filter(sale).n_unique().alias("orders"),
        pl.col("quantity").sum().alias("units"),
        pl.col("quantity").null_count().alias("_no_quantity"),
        pl.len().alias("_lines"),
        pl.col("revenue").filter(current).sum().alias("revenue_current"),
        pl.col("revenue").filter(previous).sum().alias("revenue_previous"),
    )
    # Each window's orders and the sum of their squared revenues in the category: the spread
    # that growth's interval reads (one order of half the revenue is no trend).
    in_window = lines.filter(current | previous).with_columns(current.alias("_current"))
    per_order = in_window.group_by("category", "order_id", "_current").agg(
        pl.col("revenue").sum(), sale.any().alias("_sale")
    )
    windows = per_order.group_by("category").agg(
        pl.col("_sale").filter(pl.col("_current")).sum().alias("orders_current"),
        pl.col("_sale").filter(~pl.col("_current")).sum().alias("orders_previous"),
        (pl.col("revenue") ** 2).filter(pl.col("_current")).sum().alias("_sq_current"),
        (pl.col("revenue") ** 2).filter(~pl.col("_current")).sum().alias("_sq_previous"),
    )
    table = table.join(windows, on="category", how="left").with_columns(
        pl.col("orders_current", "orders_previous").fill_null(0).cast(pl.Int64)
    )
    low, high, df = trend.interval_exprs(
        "revenue_current", "_sq_current", "revenue_previous", "_sq_previous"
    )
    total = table["revenue"].sum()
    return (
        table.with_columns(
            _label_expr(),
            (pl.col("revenue") / total if total > 0 else pl.lit(None, pl.Float64)).alias("share"),
            pl.when(pl.col("_no_quantity") < pl.col("_lines")).then(pl.col("units")).alias("units"),
            pl.when(pl.lit(window.available) & (pl.col("revenue_previous") > 0))
            .then(pl.col("revenue_current") / pl.col("revenue_previous") - 1)
            .alias("growth"),
            pl.when(pl.lit(window.available)).then(low).alias("growth_low"),
            pl.when(pl.lit(window.available)).then(high).alias("growth_high"),
            pl.when(pl.lit(window.available)).then(df).alias(trend.DF),
            pl.col("orders").cast(pl.Int64),
        )
        .with_columns(
            pl.when(pl.col("units") != 0)
            .then(pl.col("revenue") / pl.col("units"))
            .alias("avg_price")
        )
        .select(
            "category",
            "label",
            "revenue",
            "share",
            "orders",
            "units",
            "avg_price",
            "revenue_current",
            "revenue_previous",
            "growth",
            "growth_low",
            "growth_high",
            trend.DF,
            "orders_current",
            "orders_previous",
        )
        .sort(["revenue", "category"], descending=[True, False])
    )


def category_service(lines: pl.DataFrame, orders: pl.DataFrame | None) -> pl.DataFrame:
    """Service figures of each category from the orders table.

    One row per category with category, review_score (mean over the delivered orders containing
    it, as on the Delivery and Regions pages; over every order without delivery dates), late_rate
    (0..1: delivered orders delivered on a day after the estimated one, measures.late) and
    freight_share (measures.freight_share: freight over price + freight; an order's freight split
    over its lines by revenue); each is null when `orders` lacks its columns. What the reading's
    chance tests need besides: reviews (the reviews the score is a mean of), review_sq (their
    squares, summed) and delivered (the delivered orders the late rate is a share of).
    """
    return _service(_with_defaults(lines), orders)


def combined_table(
    sales: pl.DataFrame, service: pl.DataFrame, min_orders: int = MIN_ORDERS
) -> pl.DataFrame:
    """`category_sales` joined to `category_service`, plus growth_reliable (at least
    `min_orders` orders in each compared window: 20 and 17 are too few, however many together);
    same row order as `sales`. Lines without a category are no category to compare, rank or
    act on: their row is left out (`uncategorised_note` says what it holds); shares stay
    shares of the whole net revenue."""
    enough = (pl.col("orders_current") >= min_orders) & (pl.col("orders_previous") >= min_orders)
    return (
        sales.filter(pl.col("category") != UNCATEGORISED)
        .join(service, on="category", how="left", maintain_order="left")
        .with_columns(enough.alias("growth_reliable"))
    )


def uncategorised_note(sales: pl.DataFrame, currency: str) -> str:
    """What the lines without a category hold (`sales`: category_sales), left out of the
    categories compared; "" when every line has one."""
    rows = sales.filter(pl.col("category") == UNCATEGORISED)
    if rows.height == 0:
        return ""
    row = rows.row(0, named=True)
    share = f", {fmt.pct(row['share'])} of the total" if row["share"] is not None else ""
    return (
        f"Lines without a category ({fmt.money(row['revenue'], currency)} net revenue{share}, "
        f"{fmt.counted(row['orders'], 'order')}) are left out of the categories compared, "
        "ranked and charted: they are no category to act on. Fill in their items' category (or "
        "map another category column) to place them."
    )


def category_table(
    lines: pl.DataFrame,
    orders: pl.DataFrame | None = None,
    months: int = MONTHS,
    min_orders: int = MIN_ORDERS,
    against: str = "before",
) -> pl.DataFrame:
    """Sales and service figures of each category, largest net revenue first.

    The columns of `category_sales`, then review_score, late_rate, freight_share (see
    `category_service`) and growth_reliable (`min_orders` or more in each compared window).
    """
    return combined_table(
        category_sales(lines, months, against), category_service(lines, orders), min_orders
    )


def _service(lines: pl.DataFrame, orders: pl.DataFrame | None) -> pl.DataFrame:
    """category, review_score, late_rate, freight_share (null where `orders` lacks a column)."""
    cols = set(orders.columns) if orders is not None else set()
    has_review = "review_score" in cols
    has_late = {"delivered_at", "estimated_delivery_at"} <= cols
    has_freight = {"freight", "revenue"} <= cols
    nothing = lines.select("category").unique()
    out = nothing.with_columns(
        *(
            pl.lit(None, pl.Float64).alias(c)
            for c in ("review_score", "late_rate", "freight_share")
        ),
        *(pl.lit(None, pl.Int64).alias(c) for c in ("reviews", "delivered")),
        pl.lit(None, pl.Float64).alias("review_sq"),
    )
    if orders is None or not (has_review or has_late or has_freight):
        return out
    keep = ["order_id"]
    if has_review:
        keep.append("review_score")
    if has_late:
        # What measures.delivered reads: the dates it checks and the status.
        keep += ["delivered_at", "estimated_delivery_at"]
        keep += [c for c in ("ordered_at", "shipped_at", "status") if c in cols]
    if has_freight:
        keep += [pl.col("freight"), pl.col("revenue").alias("order_revenue")]
    per_order = orders.select(keep).unique("order_id", keep="first")
    # An order counts once per category it contains, however many lines it has there.
    pairs = (
        lines.filter(~pl.col("is_return"))
        .group_by("category", "order_id")
        .agg(pl.col("revenue").sum())
        .join(per_order, on="order_id", how="inner")
    )
    # Review and late rate as on the Delivery and Regions pages (measures): of delivered orders.
    delivered = measures.delivered(orders) if has_late else pl.lit(True)
    aggs = []
    if has_review:
        score = pl.col("review_score").filter(delivered)
        aggs += [
            score.mean(),
            score.count().cast(pl.Int64).alias("reviews"),
            (score.cast(pl.Float64) ** 2).sum().alias("review_sq"),
        ]
    if has_late:
        late = measures.late().filter(delivered)
        aggs += [
            late.mean().cast(pl.Float64).alias("late_rate"),
            late.count().cast(pl.Int64).alias("delivered"),
        ]
    if has_freight:
        split = pl.col("order_revenue") > 0
        freight = pl.col("freight") * pl.col("revenue") / pl.col("order_revenue")
        with_freight = split & pl.col("freight").is_not_null()
        aggs.append(
            measures.freight_share(
                freight.filter(with_freight).sum(), pl.col("revenue").filter(with_freight).sum()
            )
            .cast(pl.Float64)
            .alias("freight_share")
        )
    service = pairs.group_by("category").agg(aggs)
    joined = out.select("category", *(c for c in out.columns[1:] if c not in service.columns)).join(
        service, on="category", how="left"
    )
    if not has_late:
        return joined
    # The late rate of every delivered order, the Delivery page's average, that the potential
    # score judges each category's against (_chance), and how many those orders are: each
    # category's are drawn from them, as the Delivery page judges its categories.
    average, every = per_order.select(
        late.mean().cast(pl.Float64).alias("rate"), late.count().cast(pl.Int64).alias("orders")
    ).row(0)
    return joined.with_columns(
        pl.lit(average, pl.Float64).alias("late_average"),
        pl.lit(every, pl.Int64).alias("delivered_all"),
    )


def trends(table: pl.DataFrame) -> tuple[pl.DataFrame, stats.Family]:
    """Which categories grew or fell beyond chance, and the family they were judged in.

    `table` plus _trend: 1 where revenue grew beyond chance across the categories compared, -1
    where it fell, 0 where it changed within chance, null where not compared; and _own: the
    same by the category's own 95% interval alone (trend.rose, trend.fell), which a reading
    names as chance where _trend does not follow it. Compared (the family, m = its `compared`):
    every category with a growth figure from enough orders (growth_reliable); each is judged by
    its clearance of the flat band (trend.clearance) with stats.family, Holm's step-down, so
    that chance alone names any category growing or shrinking at most 5% of the time. Olist:
    12 compared, none grows (Sports leisure's +2.2%, anywhere from -45% to +89%, never did)."""
    compared = trend.compared(table.columns)
    low, high, df = trend.interval(table.columns)
    judged = table.with_columns(pl.when(compared).then(trend.clearance(low, high, df)).alias("_z"))
    found = stats.family(judged["_z"])
    sign = pl.col("_z").sign().cast(pl.Int8)
    own = pl.when(trend.rose(low)).then(1).when(trend.fell(high)).then(-1).otherwise(0)
    return (
        judged.with_columns(
            pl.when(found.beyond(pl.col("_z"))).then(sign).otherwise(0).alias("_trend"),
            own.cast(pl.Int8).alias("_own"),
        )
        .with_columns(pl.when(compared).then(pl.col("_trend", "_own")).name.keep())
        .drop("_z"),
        found,
    )


def growing_count(table: pl.DataFrame) -> tuple[int, int]:
    """How many categories grow beyond chance across those whose growth is compared (`trends`),
    and how many those are: the page's and the report's "Growing beyond chance" (Olist: 0 of 12;
    growth figures up 2% had read 7 of 21)."""
    judged, found = trends(table)
    return judged.filter(pl.col("_trend") == 1).height, found.compared


def with_quadrants(table: pl.DataFrame) -> pl.DataFrame:
    """`table` plus high_share (share >= the median share of all categories) and quadrant
    (leaders, rising, established, niche; null without a growth figure; growing beyond chance
    across the categories compared, `trends`: a category whose growth is within chance, or
    rests on too few orders to be compared, is established or niche)."""
    median = table["share"].median()
    high = (pl.col("share") >= median) if median is not None else pl.lit(None, pl.Boolean)
    growing = pl.col("_trend") == 1
    return (
        trends(table)[0]
        .with_columns(high.alias("high_share"))
        .with_columns(
            pl.when(pl.col("growth").is_null() | pl.col("high_share").is_null())
            .then(None)
            .when(pl.col("high_share") & growing)
            .then(pl.lit("leaders"))
            .when(growing)
            .then(pl.lit("rising"))
            .when(pl.col("high_share"))
            .then(pl.lit("established"))
            .otherwise(pl.lit("niche"))
            .alias("quadrant")
        )
        .drop("_trend", "_own")
    )


def placed_quadrant() -> pl.Expr:
    """A table's quadrant: null where growth rests on too few orders (growth_reliable false),
    which quadrant_reading counts apart as not placed (the chart shows them faint)."""
    return pl.when(pl.col("growth_reliable")).then(pl.col("quadrant")).alias("quadrant")


@dataclass(frozen=True)
class Potential:
    """Categories scored 0..1 for potential, with which components the score could use.

    `table` is the input plus one `score_<component>` column (0..1) per used component and
    `potential` (weighted mean of the scores a row has, weights renormalised; null for a
    category with fewer than `min_orders` orders), best first.
    """

    table: pl.DataFrame
    used: tuple[str, ...]
    missing: tuple[str, ...]  # components the data has no figure for at all
    weights: Mapping[str, float]
    min_orders: int = 0  # fewer orders than this: too few to rank
    # Per used component judged by chance (`_chance`): the centre it was judged against, the
    # categories beyond chance of it, what the centre is the average of, and the categories
    # beyond chance of it on their own test.
    judged: Mapping[str, tuple[float, frozenset[str], str, frozenset[str]]] = field(
        default_factory=dict
    )


def _normalised(column: str, higher_is_better: bool) -> pl.Expr:
    x = pl.col(column)
    spread = x.max() - x.min()
    scaled = (x - x.min()) / spread
    if not higher_is_better:
        scaled = 1 - scaled
    # No spread: the component cannot tell categories apart, so it sits in the middle for all.
    return pl.when(x.is_null()).then(None).when(spread > 0).then(scaled).otherwise(0.5)


def _centred(column: str, centre: float, beyond: pl.Series, higher_is_better: bool) -> pl.Expr:
    """A component judged by chance, scored 0..1: 0.5 where the category lies within chance of
    `centre` (`beyond` false); where beyond it, towards 1 (better) or 0 (worse) by how far its
    figure lies from `centre` against the farthest figure of all the ranked categories (a
    figure only just beyond chance, but nearer than another within it, is not scored 0 or 1
    for being the only one found); null where it has no figure."""
    x = pl.col(column)
    off = (x - centre) * (1 if higher_is_better else -1)
    scale = off.abs().max()
    off = pl.when(pl.lit(beyond)).then(off).otherwise(0.0)
    return (
        pl.when(x.is_null()).then(None).when(scale > 0).then((1 + off / scale) / 2).otherwise(0.5)
    )


def _chance(frame: pl.DataFrame, name: str) -> tuple[float, pl.Series, str, pl.Series] | None:
    """Where each category's `name` component lies beyond chance, for `potential_scores` and
    the reading: the centre it is judged against, per row whether it lies beyond chance of it
    across the categories with a figure (`frame`'s `_src_<name>` column: those ranked; each
    family is Holm's, stats.family), and what the centre is the average of. Growth: against
    flat, as `trends` judges it (the growth family); late-delivery rate: against every
    delivered order's late rate (late_average, the Delivery page's, each category's orders
    drawn from those delivered_all, as the Delivery page judges them; else those categories'
    delivered orders together), by each one's exact tail (stats.share_z); review
    score: against the mean of their reviews together, each category's mean by Welch's t
    against the other categories' reviews (stats.mean_z). Last, per row whether it lies beyond
    chance of the centre on its own test (at 95%), as the reading says of one within chance
    only across the family. None where the table lacks the counts to judge by (share, a
    revenue total, is never judged so)."""
    src = f"_src_{name}"
    if frame[src].drop_nulls().len() < 2:
        return None  # one category is no family: nothing to judge it against but itself
    if name == "growth" and {trend.LOW, trend.HIGH} <= set(frame.columns):
        judged, _ = trends(frame.with_columns(pl.col(src).alias("growth")))
        beyond = judged["_trend"].fill_null(0) != 0
        return 0.0, beyond, "", beyond
    if name == "late" and "delivered" in frame.columns:
        n = pl.when(pl.col(src).is_not_null()).then(pl.col("delivered"))
        k = (pl.col(src) * n).round()
        counts = frame.select(k.alias("k"), n.alias("n"))
        if not counts["n"].sum():
            return None
        given = frame["late_average"].drop_nulls() if "late_average" in frame.columns else []
        population = None
        if len(given):
            centre, of = given[0], "of delivered orders"
            if "delivered_all" in frame.columns and (every := frame["delivered_all"][0]):
                population = stats.drawn_from(centre, int(every))
        else:
            centre, of = counts["k"].sum() / counts["n"].sum(), "of the categories ranked"
        z = counts.select(stats.share_z("k", "n", centre, population)).to_series()
    elif name == "review" and {"reviews", "review_sq"} <= set(frame.columns):
        n = pl.when(pl.col(src).is_not_null()).then(pl.col("reviews")).fill_null(0)
        parts = frame.select(
            n.cast(pl.Float64).alias("n"),
            (n * pl.col(src)).fill_null(0.0).alias("s"),
            pl.when(n > 0).then(pl.col("review_sq")).fill_null(0.0).alias("q"),
        )
        if not parts["n"].sum():
            return None
        centre, of = parts["s"].sum() / parts["n"].sum(), "of the categories ranked"
        group = [parts[c].to_numpy() for c in ("n", "s", "q")]
        z = pl.Series(stats.mean_z(group, [g.sum() - g for g in group]), nan_to_null=True)
    else:
        return None
    found = stats.family(z)
    alone = (z.abs() > stats.Z95).fill_null(False)
    return centre, (z.abs() > found.cutoff).fill_null(False), of, alone


def _source(name: str, columns: Sequence[str] = ()) -> pl.Expr:
    """The figure a potential component reads (_COMPONENT_SOURCE); growth only where it is
    reliable (`columns`: the table's, growth_reliable among them)."""
    column = pl.col(_COMPONENT_SOURCE[name][0])
    if name == "growth" and "growth_reliable" in columns:
        return pl.when(pl.col("growth_reliable")).then(column)
    return column


def _with_sources(table: pl.DataFrame, used: Sequence[str], min_orders: int) -> pl.DataFrame:
    """`table` plus `_src_<component>` of each `used` one: its figure (`_source`) where the
    category has at least `min_orders` orders, those that can be ranked and set each
    component's 0..1 range."""
    enough = (
        pl.col("orders") >= min_orders
        if "orders" in table.columns and min_orders > 0
        else pl.lit(True)
    )
    return table.with_columns(
        pl.when(enough).then(_source(n, table.columns)).alias(f"_src_{n}") for n in used
    )


def missing_components(table: pl.DataFrame) -> tuple[str, ...]:
    """The potential components the table has no figure for at all (growth: no reliable one),
    which drop out of the score whatever their weight."""
    return tuple(
        name
        for name in COMPONENTS
        if _COMPONENT_SOURCE[name][0] not in table.columns
        or table.select(_source(name, table.columns).is_null().all()).item()
    )


# What each service component needs, and the Olist file that has it (said with Olist files).
SERVICE_NEEDS = {
    "review": (
        "a review score per order",
        "(with Olist orders, olist_order_reviews_dataset.csv)",
    ),
    "late": (
        "a delivery date and a promised, estimated date per order",
        "(with Olist orders, olist_orders_dataset.csv)",
    ),
}


def left_out_note(table: pl.DataFrame, ds: Dataset) -> str:
    """Which components the score leaves out for want of data (missing_components), and what
    each needs, as the page says it under its weights and the report under the score; "" when
    none is."""
    why = []
    for name in missing_components(table):
        needs = (
            f"needs {for_data(ds, *SERVICE_NEEDS[name])}"
            if name in SERVICE_NEEDS
            else "no reliable growth figure"
        )
        why.append(f"{COMPONENT_LABELS[name]} ({needs})")
    if not why:
        return ""
    return "Left out of the score, weights shared among the rest: " + "; ".join(why) + "."


def potential_scores(
    table: pl.DataFrame, weights: Mapping[str, float], min_orders: int = 0
) -> Potential:
    """Potential of each category with at least `min_orders` orders: each component scored
    0..1 across those categories (late rate reversed: fewer late is better), then a weighted
    mean. Revenue share, and a component without the counts to judge it by, is min-max
    normalised; growth, review score and late rate are judged by chance (`_chance`, `_centred`):
    0.5 within chance of flat or the average, towards 0 or 1 only beyond it. Olist's
    growth and late components, none but Baby's fall beyond chance, had spanned the whole 0..1
    range and made Health beauty top the ranking on noise (0.70 against 0.695 and 0.684).
    Categories with fewer orders get no score: a handful of orders gives a perfect review or a
    huge growth rate by chance, and would top the ranking.

    Growth counts only where growth_reliable is true (and is normalised across those
    categories only); a component with no value for any category is missing and drops out; a row
    lacking one component is scored on the others with weights renormalised, and ranks after
    every row scored on all of them (`rank`, 1 = best): a score on fewer components is no match
    for a full one (Olist's consoles, growth -26% on too few orders to count, scored 0.67 on its
    other three and topped the ranking).
    """
    missing = missing_components(table)
    used = [n for n in COMPONENTS if n not in missing and weights.get(n, 0) > 0]
    frame = _with_sources(table, used, min_orders)
    scores, judged = [], {}
    for n in used:
        better = _COMPONENT_SOURCE[n][1]
        found = _chance(frame, n)
        if found is None:
            scores.append(_normalised(f"_src_{n}", better).alias(f"score_{n}"))
            continue
        centre, beyond, of, alone = found
        named = (frozenset(frame.filter(mask)["category"]) for mask in (beyond, alone))
        judged[n] = (centre, next(named), of, next(named))
        scores.append(_centred(f"_src_{n}", centre, beyond, better).alias(f"score_{n}"))
    frame = frame.with_columns(scores)
    if used:
        num = pl.sum_horizontal((pl.col(f"score_{n}") * weights[n]).fill_null(0.0) for n in used)
        den = pl.sum_horizontal(
            pl.col(f"score_{n}").is_not_null().cast(pl.Float64) * weights[n] for n in used
        )
        score = pl.when(den > 0).then(num / den)
        complete = _whole(used)
    else:
        score, complete = pl.lit(None, pl.Float64), pl.lit(False)
    frame = frame.with_columns(score.alias("potential"), complete.alias("_complete")).drop(
        *(f"_src_{n}" for n in used)
    )
    frame = frame.sort(
        ["_complete", "potential", "revenue"]
        if "revenue" in frame.columns
        else ["_complete", "potential"],
        descending=True,
        nulls_last=True,
        maintain_order=True,
    )
    rank = pl.when(pl.col("potential").is_not_null()).then(pl.int_range(1, pl.len() + 1))
    frame = frame.with_columns(rank.alias("rank")).drop("_complete")
    return Potential(frame, tuple(used), missing, dict(weights), min_orders, judged)


def potential_contributions(potential: Potential) -> pl.DataFrame:
    """What each component adds to each category's potential (the parts sum to `potential`).

    One row per (category, component) with category, label, growth_reliable, component (its
    readable name), contribution (0..1) and potential; categories without a score are left out.
    """
    if not potential.used:
        return pl.DataFrame(
            schema={
                "category": pl.String,
                "label": pl.String,
                "growth_reliable": pl.Boolean,
                "component": pl.String,
                "contribution": pl.Float64,
                "potential": pl.Float64,
            }
        )
    w = potential.weights
    den = pl.sum_horizontal(
        pl.col(f"score_{n}").is_not_null().cast(pl.Float64) * w[n] for n in potential.used
    )
    scored = potential.table.filter(pl.col("potential").is_not_null())
    if "growth_reliable" not in scored.columns:
        scored = scored.with_columns(pl.lit(True).alias("growth_reliable"))
    parts = scored.select(
        "category",
        "label",
        "growth_reliable",
        "potential",
        "rank",
        *((pl.col(f"score_{n}").fill_null(0.0) * w[n] / den).alias(n) for n in potential.used),
    )
    return (
        parts.unpivot(
            list(potential.used),
            index=["category", "label", "growth_reliable", "potential", "rank"],
            variable_name="component",
            value_name="contribution",
        )
        .with_columns(pl.col("component").replace_strict(COMPONENT_LABELS))
        .select(
            "category", "label", "growth_reliable", "component", "contribution", "potential", "rank"
        )
    )


def monthly_revenue(lines: pl.DataFrame, top: int = TOP) -> pl.DataFrame:
    """Monthly net revenue of the `top` categories by total net revenue (lines without a
    category are none of them: `combined_table`).

    One row per (category, month) with category, label, rank (1 = largest), month (Date, first
    day), revenue and partial (true for a first or last month the data does not fully cover).
    Months without sales in a category are 0, not missing.
    """
    lines = _with_defaults(lines)
    if lines.height == 0:
        return pl.DataFrame(
            schema={
                "category": pl.String,
                "label": pl.String,
                "rank": pl.Int64,
                "month": pl.Date,
                "revenue": pl.Float64,
                "partial": pl.Boolean,
            }
        )
    # One pass over the lines; ranking the (category, month) totals is cheap.
    month = pl.col("ordered_at").dt.truncate("1mo").dt.date().alias("month")
    monthly = lines.group_by("category", month).agg(pl.col("revenue").sum())
    ranked = (
        monthly.filter(pl.col("category") != UNCATEGORISED)
        .group_by("category")
        .agg(pl.col("revenue").sum())
        .sort(["revenue", "category"], descending=[True, False])
        .head(top)
        .with_row_index("rank", offset=1)
        .select("category", pl.col("rank").cast(pl.Int64))
    )
    first, last = lines["ordered_at"].min(), lines["ordered_at"].max()
    assert isinstance(first, datetime) and isinstance(last, datetime)
    months = pl.date_range(
        date(first.year, first.month, 1), date(last.year, last.month, 1), "1mo", eager=True
    ).alias("month")
    grid = ranked.join(months.to_frame(), how="cross")
    last_partial = (last.date() + timedelta(days=1)).month == last.month
    partial = (pl.col("month") == date(first.year, first.month, 1)) & (first.day != 1)
    partial = partial | ((pl.col("month") == date(last.year, last.month, 1)) & last_partial)
    return (
        grid.join(monthly, on=["category", "month"], how="left")
        .with_columns(pl.col("revenue").fill_null(0.0), partial.alias("partial"), _label_expr())
        .select("category", "label", "rank", "month", "revenue", "partial")
        .sort("rank", "month")
    )


# --- readings: one sentence each, computed from the frames above ------------------------------


def _few(row: Mapping) -> str:
    """'only 20 orders, then 17': the two compared windows' orders, when too few to read."""
    return f"only {fmt.counted(row['orders_previous'], 'order')}, then {row['orders_current']:,}"


def _trend_text(row: Mapping, window: GrowthWindow, found: stats.Family) -> str:
    """'its revenue fell 28% (Jun–Aug 2018 vs Mar–May 2018), beyond chance across the 12
    categories compared': the direction in words only when it is beyond chance across the
    categories compared (`trends`: row's _trend, `found` their family), else 'no change beyond
    chance' with the figure and its interval, and why when the interval alone clears the flat
    band (_own); never a direction from too few orders."""
    change = row.get("growth")
    if change is None:
        return "no growth figure" if window.available else f"no growth figure: {window.reason}"
    low, high = row.get("growth_low"), row.get("growth_high")
    if not row.get("growth_reliable", True):
        return (
            f"its revenue changed {fmt.change(change)} ({window.describe()}), from "
            f"{_few(row)}: too few to read as a trend"
        )
    held = f"beyond chance{stats.across(found.compared, ROWS)}"
    if row["_trend"] == -1:
        return f"its revenue fell {-change * 100:.0f}% ({window.describe()}), {held}"
    if row["_trend"] == 1:
        return f"its revenue grew {change * 100:.0f}% ({window.describe()}), {held}"
    text = (
        f"its revenue shows no change beyond chance: {trend.spread(change, low, high)}, "
        f"{window.describe()}"
    )
    return text + (f"; {trend.chance_words(found, ROWS)}" if row["_own"] else "")


def largest_reading(table: pl.DataFrame, window: GrowthWindow, currency: str) -> str:
    """'Watches gifts is the largest category: R$ 96.5k net revenue, 9.7% of the total from 403
    orders; its revenue fell 28% (...)': what it leads on (revenue) and its trend, in words
    that follow the sign of its growth, judged as every category's is (`trends`: the same
    verdict as the quadrants give it)."""
    if table.height == 0:
        return "No category has sales in this data."
    judged, found = trends(table)
    row = judged.sort("revenue", descending=True).row(0, named=True)
    return (
        f"{fmt.named(row['label'])} is the largest category: "
        f"{fmt.money(row['revenue'], currency)} net "
        f"revenue, {fmt.pct(row['share'])} of the total from {row['orders']:,} orders; "
        f"{_trend_text(row, window, found)}."
    )


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


LEAD_LABELS = {
    "growth": "growth",
    "share": "revenue share",
    "review": "review score",
    "late": "on-time delivery",
}


def _component_text(
    name: str, row: Mapping, place: str, window: GrowthWindow, compared: int
) -> str:
    """One component's figure as the table shows it, with its place among ranked categories
    (or, judged within chance, what it is within chance of); growth as a change only beyond
    chance across the `compared` categories (row's _trend)."""
    if name == "growth":
        when = ", ".join(p for p in (place, window.describe()) if p)
        if row["_trend"]:
            return f"growth {fmt.change(row['growth'])} ({when})"
        said = trend.spread(row["growth"], row.get("growth_low"), row.get("growth_high"))
        among = f" with {compared} {ROWS} compared" if row["_own"] else ""
        return f"growth {said}, no clear change{among} ({when})"
    if name == "share":
        return f"{fmt.pct(row['share'])} of revenue ({place})"
    if name == "review":
        return f"review {fmt.fixed(row['review_score'], 2)} ({place})"
    return f"{fmt.pct(row['late_rate'])} delivered late ({place})"


def _centre_words(name: str, centre: float, of: str) -> str:
    """'the 4.13 average of the categories ranked': what `_chance` judged a review score or late
    rate against, and what it is the average `of`, as the reading writes it (the ranked
    categories' reviews together, where an order in two categories counts in each, are not the
    Delivery page's orders); "" for growth (judged against flat, as its own words say)."""
    if name == "review":
        return f"the {fmt.fixed(centre, 2)} average {of}"
    if name == "late":
        return f"the {fmt.pct(centre)} average {of}"
    return ""


def _near_next(table: pl.DataFrame, name: str) -> bool:
    """Whether the first row of `table` (ranked categories) leads on growth, review or late
    deliveries (`name`) only within chance of the category next on it: their growth intervals'
    log ratios apart (trend.apart_z; helper 164: Health beauty "leads on growth", +187%, over
    Housewares' +182%), Welch's test of their review means (stats.mean_z), the two-proportion z
    of their late shares (stats.shares_z_of), at 95% (stats.SINGLE).
    False for share, or without the intervals or counts (category_service) to judge by."""
    if name == "growth":
        return _growth_near_next(table)
    counts = {"review": ("reviews", "review_sq"), "late": ("delivered",)}.get(name, ())
    if not counts or any(c not in table.columns for c in counts):
        return False
    column, higher = _COMPONENT_SOURCE[name]
    first = table.row(0, named=True)
    rest = table.filter(
        pl.col(f"score_{name}").is_not_null() & (pl.col("category") != first["category"])
    ).sort(column, descending=higher)
    if first[counts[0]] is None or rest.height == 0 or rest[counts[0]][0] is None:
        return False
    second = rest.row(0, named=True)
    if name == "late":
        n1, n2 = first["delivered"], second["delivered"]
        k1, k2 = round(first[column] * n1), round(second[column] * n2)
        z = stats.shares_z_of(k1, n1, k2, n2)
    else:
        z = stats.mean_z(
            *(
                [[r["reviews"]], [r["reviews"] * r[column]], [r["review_sq"]]]
                for r in (first, second)
            )
        )[0]
    return not stats.SINGLE.beyond(z)


def _growth_near_next(table: pl.DataFrame) -> bool:
    """_near_next for growth: the first row's growth within chance of the next highest scored."""
    if not {trend.LOW, trend.HIGH} <= set(table.columns):
        return False
    first = table.row(0, named=True)
    rest = table.filter(
        pl.col("score_growth").is_not_null() & (pl.col("category") != first["category"])
    ).sort("growth", descending=True, nulls_last=True)
    if rest.height == 0:
        return False
    second = rest.row(0, named=True)
    z = trend.apart_z(*((r[trend.LOW], r[trend.HIGH], r.get(trend.DF)) for r in (first, second)))
    return z is not None and not stats.SINGLE.beyond(z)


def potential_reading(potential: Potential, window: GrowthWindow, currency: str) -> str:
    """Names the category with the highest potential score (the top of the ranking and of the
    chart; categories tied with it as the reading writes scores are named together, and nothing
    more is said), what it leads on, and each used component's figure with its place among the
    ranked categories (1st = best; for late deliveries, the fewest); says when its revenue
    shrinks.
    Growth it leads on, or shrinks by, only beyond chance across the categories compared
    (`trends`)."""
    if not potential.used:
        return "No category can be scored: set at least one available weight above zero."
    judged, found = trends(potential.table)
    # Scores as the reading and the tables write them (two decimals, fmt.fixed).
    written = pl.Series(
        "_written",
        [None if v is None else fmt.fixed(v, 2) for v in judged["potential"]],
        dtype=pl.String,
    )
    table = judged.with_columns(written).filter(pl.col("potential").is_not_null())
    if table.height == 0:
        return (
            f"No category has the {fmt.counted(potential.min_orders, 'order')} needed to rank "
            "it: lower the "
            "minimum to score the categories."
        )
    row = table.row(0, named=True)
    among = (
        f"of the {fmt.counted(table.height, 'category', 'categories')} with at least "
        f"{fmt.counted(potential.min_orders, 'order')}"
        if potential.min_orders > 0
        else f"of {table.height} categories"
    )
    if unscored(potential).height:  # the orders to rank, but nothing weighted to score
        among = f"of the {fmt.counted(table.height, 'category', 'categories')} scored"
    # Scored on fewer components, ranked after whatever their score (potential_scores).
    whole = _whole(potential.used)
    written = pl.col("_written").cast(pl.Float64)
    part = table.filter(~whole)
    if part.height < table.height:
        higher = part.filter(written > float(row["_written"]))
        if higher.height:
            names = fmt.listed([fmt.named(v) for v in higher["label"]], most=3)
            among = (
                f"among those scored on every component, {among} ({names}, scored on fewer, "
                f"{fmt.plural(higher.height, 'scores', 'score')} higher but "
                f"{fmt.plural(higher.height, 'ranks', 'rank')} after)"
            )
    # Scores that read the same (as the reading writes them) single out no category; one scored
    # on fewer components ranks after, whatever its score.
    rivals = table if part.height == table.height else table.filter(whole)
    tied = rivals.filter(pl.col("_written") == row["_written"])
    if tied.height > 1:
        names = fmt.listed([fmt.named(v) for v in tied["label"]], most=4)
        return (
            f"{names} tie for the highest potential score ({row['_written']} of 1) {among}: "
            "the score singles out none of them; the table gives each one's figures."
        )
    parts, places, shared = [], {}, set()
    for name in potential.used:
        if row[f"score_{name}"] is None:
            if name == "growth" and row.get("growth") is not None:
                parts.append(f"growth {fmt.change(row['growth'])} from {_few(row)}, not counted")
            continue
        # Its place by its figure among the categories scored on it (not by the score, which
        # puts every category within chance at the middle).
        column, higher = _COMPONENT_SOURCE[name]
        figures, value = table.filter(pl.col(f"score_{name}").is_not_null())[column], row[column]
        rank = 1 + int(((figures > value) if higher else (figures < value)).sum())
        place = f"{_ordinal(rank)} of {figures.len()}"
        if name in potential.judged:
            centre, beyond, of, alone = potential.judged[name]
            average = _centre_words(name, centre, of)
            if row["category"] not in beyond:
                # Within chance: scored at the middle, no place to lead from (_centred); said
                # with how many were compared where it is beyond chance on its own (helper
                # 164: Watches gifts' 3.91 is below the 4.13 average alone, z -2.61).
                many = f", with {figures.len()} compared" if row["category"] in alone else ""
                within = f"within chance of {average}{many}" if average else ""
                parts.append(_component_text(name, row, within, window, found.compared))
                continue
            if average:
                place += f", {'above' if value > centre else 'below'} {average} beyond chance"
        places[name] = rank
        if int((figures == value).sum()) > 1:
            shared.add(name)  # a place tied with another category
        parts.append(_component_text(name, row, place, window, found.compared))
    change = row.get("growth")
    # Growth within chance (or a fall) is nothing to lead on, even when every other category
    # fell more: its place is noise.
    led = {n: p for n, p in places.items() if n != "growth" or row["_trend"] == 1}
    leads = [n for n, p in led.items() if p == 1]
    near = {n for n in leads if n not in shared and _near_next(table, n)}
    alone = [LEAD_LABELS[n] for n in leads if n not in shared | near]
    tied_lead = [LEAD_LABELS[n] for n in leads if n in shared]
    close = [LEAD_LABELS[n] for n in leads if n in near]
    lead_words = " and ".join(
        words
        for words in (
            f"leads on {fmt.listed(alone)}" if alone else "",
            f"shares the lead on {fmt.listed(tied_lead)}" if tied_lead else "",
            f"is first in {fmt.listed(close)}, within chance of the next" if close else "",
        )
        if words
    )
    lead_words = f"it {lead_words}" if lead_words else ""
    if not leads and led:
        leads = [min(led, key=lambda n: (led[n], COMPONENTS.index(n)))]
        lead_words = f"its best place is on {LEAD_LABELS[leads[0]]}"
    text = (
        f"{fmt.named(row['label'])} has the highest potential score "
        f"({fmt.fixed(row['potential'], 2)} of 1) {among}"
    )
    text += f": {lead_words}; " if leads else ": "
    text += ", ".join(parts)
    others = [LEAD_LABELS[n] for n in leads if n != "growth"]
    # A fall from too few orders (not counted above) or within chance is no shrinking revenue.
    falling = row["_trend"] == -1
    if falling and others:
        text += (
            f". Its revenue is shrinking ({fmt.change(change)}): the score rests on "
            f"{fmt.listed(others)}, not on growth"
        )
    return text + "."


def _whole(used: Sequence[str]) -> pl.Expr:
    """Whether a category is scored on every `used` component (potential_scores' score_ columns;
    at least one)."""
    return pl.all_horizontal(pl.col(f"score_{n}").is_not_null() for n in used)


def unscored(potential: Potential) -> pl.DataFrame:
    """The categories with the orders to rank that get no score all the same: none of the
    weighted components has a figure for them (growth only: no reliable growth)."""
    enough = pl.col("orders") >= potential.min_orders if potential.min_orders > 0 else True
    return potential.table.filter(enough & pl.col("potential").is_null())


def charted_note(potential: Potential) -> str:
    """What the potential chart leaves out when more categories are scored than it shows, and
    that categories scored without a component rank after those scored on all."""
    scored = potential.table.filter(pl.col("potential").is_not_null())
    said = []
    if scored.height > CHARTED:
        said.append(
            f"The chart shows the {CHARTED} best ranked of the {scored.height} ranked "
            "categories; the table below lists every one with its score."
        )
    part = scored.filter(~_whole(potential.used)).height if potential.used else 0
    if part and part < scored.height:
        said.append(
            f"{fmt.counted(part, 'category', 'categories')} scored without a component (growth "
            f"not counted, or no figure for one) {fmt.plural(part, 'ranks', 'rank')} after those "
            "scored on every one, whatever their score: a score on fewer components is no match "
            "for a full one."
        )
    return " ".join(said)


def quadrant_reading(table: pl.DataFrame, currency: str) -> str:
    """What the growth-share quadrants say (_quadrants)."""
    return _quadrants(table, currency)[0]


def quadrant_named(table: pl.DataFrame) -> list[str]:
    """The categories quadrant_reading names, for the chart to label first."""
    return _quadrants(table, "")[1]


def _quadrants(table: pl.DataFrame, currency: str) -> tuple[str, list[str]]:
    """What the growth-share quadrants say, and the labels of the categories it names. The
    reading gives the revenue at stake in niche categories; categories whose growth rests on
    too few orders (growth_reliable false: faint on the chart) are counted apart, not named in
    a quadrant (a few orders gone read as "falling -100%").
    Leaders and rising categories grow beyond chance (`growing`); a fall is named only beyond
    chance; both across the categories compared (`trends`), and a category whose own interval
    clears the flat band though that is within chance across them is said so (`_by_chance`)."""
    judged, found = trends(table)
    placed = judged.filter(pl.col("quadrant").is_not_null())
    if placed.height == 0:
        return "No category has a growth figure, so none can be placed in a quadrant.", []
    thin = 0
    if "growth_reliable" in placed.columns:
        thin = placed.filter(~pl.col("growth_reliable")).height
        placed = placed.filter(pl.col("growth_reliable"))
    apart = (
        f"{fmt.counted(thin, 'category has', 'categories have')} too few orders in one of the "
        "two compared windows to be placed"
    )
    if placed.height == 0:
        return f"No category can be placed in a quadrant: {apart}.", []
    named: list[str] = []

    def names(quadrant: str, limit: int = 3) -> tuple[int, str, float]:
        rows = placed.filter(pl.col("quadrant") == quadrant).sort("revenue", descending=True)
        named.extend(rows["label"].head(limit))
        listed = ", ".join(map(fmt.named, rows["label"].head(limit).to_list()))
        more = f" and {rows.height - limit} more" if rows.height > limit else ""
        return rows.height, listed + more, float(rows["revenue"].sum())

    def falling(quadrant: str) -> tuple[int, str]:
        """How many of a quadrant fall beyond chance, and ', Baby falling beyond chance (-74%)'
        (of several, the steepest of them: a steeper fall within chance is no "most")."""
        rows = placed.filter((pl.col("quadrant") == quadrant) & (pl.col("_trend") == -1))
        if rows.height == 0:
            return 0, ""
        worst = rows.sort("growth").row(0, named=True)
        named.append(worst["label"])
        name, change = fmt.named(worst["label"]), fmt.change(worst["growth"])
        return rows.height, (
            f", {name} falling beyond chance ({change})"
            if rows.height == 1
            else f", {rows.height} falling beyond chance, {name} the steepest of them ({change})"
        )

    n_lead, lead, _ = names("leaders")
    n_rise, rise, _ = names("rising")
    n_niche, niche, niche_revenue = names("niche")
    parts = []
    if n_lead:
        parts.append(f"{fmt.counted(n_lead, 'leader')} to defend ({lead})")
    if n_rise:
        parts.append(f"{n_rise} rising to back with stock and promotion ({rise})")
    if n_niche:
        # Small and not growing beyond chance: only a fall beyond chance is one to review.
        n_fall, fall = falling("niche")
        review = f": review {'it' if n_fall == 1 else f'the {n_fall} falling'}" if n_fall else ""
        parts.append(
            f"{n_niche} niche, small and not growing beyond chance ({niche}), "
            f"{fmt.money(niche_revenue, currency)} of revenue{fall}{review}"
        )
    n_held, held, held_revenue = names("established")
    if n_held:
        # Large and not growing can mean falling fast: name the steepest fall beyond chance.
        parts.append(
            f"{n_held} established, large but not growing beyond chance ({held}), "
            f"{fmt.money(held_revenue, currency)} of revenue to keep{falling('established')[1]}"
        )
    if chance := _by_chance(placed, found):
        parts.append(chance)
        named.extend(_chance_rows(placed).sort("growth")["label"].head(4))  # as by_chance
    if thin:
        parts.append(apart)
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + ".", list(dict.fromkeys(named))


def _by_chance(rows: pl.DataFrame, found: stats.Family) -> str:
    """'Baby (-74%): its 95% interval clears the flat band (-2% to +2%), but with 12 categories
    compared, one this far out is expected by chance': the `rows` (of `trends`) whose own
    interval clears the flat band but whose change is within chance across the `found`
    family; "" when none."""
    return trend.by_chance(_chance_rows(rows), "label", found, ROWS)


def _chance_rows(rows: pl.DataFrame) -> pl.DataFrame:
    """The `rows` (of `trends`) whose own interval clears the flat band, within chance across
    the family."""
    return rows.filter((pl.col("_own") != 0) & (pl.col("_trend") == 0))


def trend_reading(monthly: pl.DataFrame, table: pl.DataFrame, window: GrowthWindow) -> str:
    """How many of the charted categories grew and fell beyond chance, naming the fastest and
    the steepest, and how many changed within chance: judged across every category compared
    (`trends`: m = those with a growth figure from enough orders, not only the charted ones),
    so that a category reads the same here as in the quadrants; a charted category whose own
    interval clears the flat band though that is within chance is said so (`_by_chance`)."""
    judged, found = trends(table)
    shown = judged.join(monthly.select("category").unique(), on="category", how="semi").filter(
        pl.col("growth").is_not_null()
    )
    if shown.height == 0:
        return f"Growth cannot be compared: {window.reason or 'no growth figures'}."
    if "growth_reliable" in shown.columns:
        shown = shown.with_columns(pl.col("growth_reliable").alias("_read"))
    else:
        shown = shown.with_columns(pl.lit(True).alias("_read"))
    grew = shown.filter((pl.col("_trend") == 1) & pl.col("_read")).sort("growth", descending=True)
    fell = shown.filter((pl.col("_trend") == -1) & pl.col("_read")).sort("growth")

    def named(rows: pl.DataFrame, verb: str) -> str:
        if rows.height == 0:
            return f"none {verb}"
        first = rows.row(0, named=True)
        most = " most" if rows.height > 1 else ""
        return (
            f"{rows.height} {verb} ({fmt.named(first['label'])}{most}, "
            f"{fmt.change(first['growth'])})"
        )

    largest = f"Of the {monthly['category'].n_unique()} largest categories ({window.describe()})"
    held = f"beyond chance{stats.across(found.compared, ROWS)}"
    if grew.height == fell.height == 0:
        text = f"{largest}, none grew or fell {held}"
    else:
        text = f"{largest}, {named(grew, 'grew')} and {named(fell, 'fell')} {held}"
    thin = shown.filter(~pl.col("_read")).height
    within = shown.height - grew.height - fell.height - thin
    # Those whose own interval clears the flat band are among them, said in brackets (as on
    # Regions): after '6 changed by no clear amount', '; Instrument ...: its interval clears the
    # flat band' read as a contradiction.
    chance = _by_chance(shown.filter("_read"), found)
    if within:
        text += f"; {within} changed within chance" + (f" ({chance})" if chance else "")
    elif chance:
        text += f"; {chance}"
    if thin:
        text += f"; {thin} {'rests' if thin == 1 else 'rest'} on too few orders to read"
    return text + "."


def notes(ds: Dataset, **_: object) -> list[str]:
    """What the headless tables leave out, said beside them (the CLI: on stderr)."""
    note = uncategorised_note(category_sales(ds.tables["lines"]), ds.currency)
    return [note] if note else []


def headless(
    ds: Dataset,
    *,
    months: int = MONTHS,
    against: str = "before",
    min_orders: int = MIN_ORDERS,
    top: int = TOP,
    weight_growth: float = 1.0,
    weight_share: float = 1.0,
    weight_review: float = 1.0,
    weight_late: float = 1.0,
) -> dict[str, pl.DataFrame]:
    """The Categories page without the UI: `categories` (the table with quadrant, where growth
    is reliable, and potential)
    and `trend` (monthly revenue of the top categories). Growth compares the last `months` full
    months with the months before or, `against` "year", the same months a year earlier
    (AGAINST). Raises ValueError without categories."""
    if not ds.has("lines", "category"):
        raise ValueError(
            for_data(
                ds,
                "needs order lines with a category: map a category column",
                "(with Olist orders, upload olist_products_dataset.csv)",
            )
        )
    lines = ds.tables["lines"]
    table = with_quadrants(
        category_table(lines, ds.tables.get("orders"), months, min_orders, against)
    )
    if table.height == 0:
        raise ValueError(NO_CATEGORY)
    weights = {
        "growth": weight_growth,
        "share": weight_share,
        "review": weight_review,
        "late": weight_late,
    }
    scored = potential_scores(table, weights, min_orders).table
    # A quadrant only where growth is reliable, as the page's table and the report give it.
    placed = scored.with_columns(placed_quadrant())
    return {"categories": placed, "trend": monthly_revenue(lines, top)}
