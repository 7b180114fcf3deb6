"""Sales: KPIs, revenue over time, top items and purchase patterns from order lines."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import narwhals as nw
import numpy as np
import polars as pl

from lib import fmt, measures, periods, stats, summaries
from lib.analyses import churn
from lib.filters import filter_lines, in_days, in_scope, scope_named, since, until
from lib.model import Dataset
from lib.quality import non_product

GRAINS = {"day": "1d", "week": "1w", "month": "1mo"}
DEFAULT_WINDOW = {"day": 7, "week": 4, "month": 3}  # a week of days, a month of weeks, a quarter
RANK_BY = ("units", "orders", "revenue")
BASKET_MEASURES = ("lines", "units")
KPI_LABELS = {
    "revenue": "Net revenue",
    "orders": "Orders",
    "customers": "Customers",
    "aov": "Avg order",
    "items_per_order": "Units/order",
    "returning_share": "Came back",
}


def kpi_text(metric: str, value: float | None, currency: str = "") -> str:
    """A headline figure (a KPI_LABELS metric) as the Sales page and the report print it:
    money compact ('£1.2M'), the returning share in percent, units per order to a tenth."""
    if metric in ("revenue", "aov"):
        return fmt.money(value, currency)
    if metric == "returning_share":
        return fmt.pct(value)
    if metric == "items_per_order":
        return "—" if value is None else f"{value:,.1f}"
    return fmt.count(value)


def kpi_delta(metric: str, value: float | None, previous: float | None) -> str | None:
    """A headline figure's change against the previous period, as the page and the report print
    it: relative ('+12.3%'), but a share's in percentage points ('-0.6 pts': 76.2% against
    76.8%, where '-0.8%' read as a fall of 0.8 points); None without both figures."""
    if value is None or previous is None:
        return None
    if metric == "returning_share":
        return f"{fmt.signed((value - previous) * 100, 1)} pts"
    return None if not previous else fmt.change(value / previous - 1, 1)


def units_known(lines: pl.DataFrame) -> bool:
    """Whether the lines tell units (summaries.line_units): a quantity column with a value (a
    mapped file of
    order totals may carry an empty one), or, without one, items."""
    if "quantity" in lines.columns:
        return lines["quantity"].null_count() < lines.height
    return summaries.tells_units(lines.columns)


def order_level(ds: Dataset) -> bool:
    """Whether the data set's lines are order totals: they name no item (Stripe's charges, a
    mapped file of orders), and no summarised folder's item cube stands in for its items."""
    return not ds.has("lines", "item_id") and ITEM_CUBE not in ds.extras


def order_table(lines: pl.DataFrame) -> pl.DataFrame:
    """One row per order: order_id, customer_id, ordered_at (first line), revenue (net), units
    (net: summaries.line_units; null where the lines tell none, units_known), lines (sale
    lines), is_sale (at least one sale line: measures.is_sale)
    and first_sale_at (the ordered_at of the customer's first order with a sale line; null
    without a customer or such an order), so that a period's figures can tell returning
    customers from its own rows.

    Cancellation invoices stay as their own rows with negative revenue and is_sale false, so that
    revenue sums net them out while order counts leave them out.
    """
    sale = measures.is_sale(lines)
    known = units_known(lines)
    units = pl.col("_units").sum() if known else pl.lit(None, dtype=pl.Float64)
    with_units = summaries.lazy(lines).with_columns(
        summaries.line_units(lines.columns).alias("_units")
    )
    return (
        with_units.to_native()
        .group_by("order_id")
        .agg(
            pl.col("customer_id").drop_nulls().first(),
            pl.col("ordered_at").min(),
            pl.col("revenue").fill_null(0.0).sum(),
            units.alias("units"),
            sale.sum().cast(pl.Int64).alias("lines"),
            sale.any().alias("is_sale"),
        )
        .with_columns(
            pl.when(pl.col("customer_id").is_not_null())
            .then(pl.col("ordered_at").filter(pl.col("is_sale")).min().over("customer_id"))
            .alias("first_sale_at")
        )
        .collect()
    )


def kpis_kept(
    kept: tuple[pl.DataFrame, pl.DataFrame],
    start: date,
    end: date,
    covered: tuple[date, date] | None = None,
) -> pl.DataFrame:
    """kpis of an order_table and its order_links: the pair a page keeps, passed as the one
    frame it caches the figures by."""
    orders, links = kept
    return kpis(orders, start, end, links, covered)


def _day_bounds(orders: pl.DataFrame) -> tuple[date, date] | None:
    if orders.height == 0:
        return None
    first, last = orders.select(pl.col("ordered_at").min(), pl.col("ordered_at").max().alias("l"))
    return first[0].date(), last[0].date()


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of equal length that ends the day before `start`."""
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)


def _link_key() -> pl.Expr:
    """What order_links sorts customers by before time: a hash of their id."""
    return pl.col("customer_id").hash()


def order_links(orders: pl.DataFrame) -> pl.DataFrame:
    """Each sale order of a known customer (`orders`: an order_table) with that customer's
    previous and next sale order: customer_id, ordered_at, prev_at and next_at (null for the
    first and the last), each customer's orders together in time order. Made once per data set,
    they tell a period's customers, returning customers, repeaters and gaps by comparing times,
    with no group-by per period."""
    known = orders.filter(pl.col("is_sale") & pl.col("customer_id").is_not_null()).select(
        "customer_id", "ordered_at"
    )
    # Sorted by a hash of the id, then time: 3x faster than by the text (5.7M orders: 0.9 s).
    # Two customers with one hash (about 1 in 10^7 at 1.7M customers) go by the text instead.
    linked = known.with_columns(_link_key().alias("_key")).sort("_key", "ordered_at")
    key, who = pl.col("_key"), pl.col("customer_id")
    if linked.select(((key == key.shift(1)) & (who != who.shift(1))).any()).item():
        linked = known.sort("customer_id", "ordered_at")
    at = pl.col("ordered_at")
    return linked.select("customer_id", "ordered_at").with_columns(
        pl.when(who == who.shift(1)).then(at.shift(1)).alias("prev_at"),
        pl.when(who == who.shift(-1)).then(at.shift(-1)).alias("next_at"),
    )


def _firsts(start: date, end: date) -> tuple[pl.Expr, pl.Expr]:
    """Over order_links: a customer's first sale order in `start`..`end` (one row per customer
    of the period), and whether they order again within it."""
    first = in_days(start, end) & (pl.col("prev_at").is_null() | ~since(start, "prev_at"))
    return first, until(end, "next_at").fill_null(False)  # null: no next order


def _period_figures(
    orders: pl.DataFrame, links: pl.DataFrame, start: date, end: date
) -> dict[str, float | None]:
    inside = in_days(start, end)  # summed where they are: no copy of the period's orders
    n_orders, revenue, units, counted = orders.select(
        pl.col("is_sale").filter(inside).sum(),
        pl.col("revenue", "units").filter(inside).sum().cast(pl.Float64),
        pl.col("units").filter(inside).count().alias("counted"),
    ).row(0)
    # Returning: ordered before the period (a previous order) or again within it.
    first, again = _firsts(start, end)
    customers, returning = links.select(
        first.sum(), (first & (pl.col("prev_at").is_not_null() | again)).sum().alias("r")
    ).row(0)
    # Data that names no customer (Amazon's order report) has no customer figure, not zero.
    named = orders["customer_id"].null_count() < orders.height
    return {
        "revenue": revenue,
        "orders": float(n_orders),
        "customers": float(customers) if named else None,
        "aov": revenue / n_orders if n_orders else None,
        "items_per_order": units / n_orders if n_orders and counted else None,
        "returning_share": returning / customers if customers else None,
    }


def kpi_orders(figures: pl.DataFrame) -> int:
    """The sale orders of a kpis frame's period."""
    return int(figures.filter(pl.col("metric") == "orders")["value"][0] or 0)


def kpis(
    orders: pl.DataFrame,
    start: date,
    end: date,
    links: pl.DataFrame | None = None,
    covered: tuple[date, date] | None = None,
) -> pl.DataFrame:
    """Headline figures for `start`..`end` (days included) against the previous equal period.

    `orders` is the order_table of the whole history (so that returning customers can be
    recognised). Returns one row per metric (revenue, orders, customers, aov, items_per_order,
    returning_share) with metric, label, value, previous and change (value / previous - 1).
    previous and change are null when the data does not cover the whole previous period
    (`covered`: covered_days of every line, when `orders` are of a filtered part of them;
    default: the days of `orders`).

    Revenue and units are net: cancellations and returns subtract. Orders exclude cancellation
    invoices. A returning customer is one with an order in the period who also ordered before the
    period start, or who ordered at least twice within it; the share is over customers with an
    order in the period (lines without a customer id are left out). `links`: the
    order_links of `orders` (made here when not given).
    """
    links = order_links(orders) if links is None else links
    now = _period_figures(orders, links, start, end)
    bounds = _day_bounds(orders) if covered is None else covered
    prev_start, prev_end = previous_period(start, end)
    whole = bounds is not None and prev_start >= bounds[0]  # the previous period in the data
    before = _period_figures(orders, links, prev_start, prev_end) if whole else dict.fromkeys(now)
    rows = []
    for metric, label in KPI_LABELS.items():
        value, previous = now[metric], before[metric]
        change = value / previous - 1 if value is not None and previous else None
        rows.append((metric, label, value, previous, change))
    return pl.DataFrame(
        rows,
        schema={
            "metric": pl.String,
            "label": pl.String,
            "value": pl.Float64,
            "previous": pl.Float64,
            "change": pl.Float64,
        },
        orient="row",
    )


def _period_label(grain: str) -> pl.Expr:
    period = pl.col("period")
    if grain == "month":
        return period.dt.strftime("%b %Y")
    if grain == "week":
        return pl.lit("week of ") + period.dt.strftime("%-d %b %Y")
    return period.dt.strftime("%a %-d %b %Y")


def daily(orders: pl.DataFrame) -> pl.DataFrame:
    """Per day with an order (`orders`: an order_table): day, revenue (net, every order),
    orders (sale orders), known (orders of a known customer) and their revenue split into new
    (in the month of the customer's first sale) and returning (any other month: later, or a
    return before the first sale, or by a customer with none, of a purchase made before the
    data), by day. Made once per data set; periods sum their days."""
    month = pl.col("ordered_at").dt.date().dt.truncate("1mo")
    first = pl.col("first_sale_at").dt.date().dt.truncate("1mo")
    later = (month != first).fill_null(True)
    known = pl.col("customer_id").is_not_null()
    return (
        orders.group_by(pl.col("ordered_at").dt.date().alias("day"))
        .agg(
            pl.col("revenue").sum(),
            pl.col("is_sale").sum().cast(pl.Int64).alias("orders"),
            known.sum().cast(pl.Int64).alias("known"),
            pl.col("revenue").filter(known & ~later).sum().alias("new"),
            pl.col("revenue").filter(known & later).sum().alias("returning"),
        )
        .sort("day")
    )


def covered_days(lines: pl.DataFrame) -> tuple[date, date]:
    """The first and last day of the data set's lines (before any filter): what it covers."""
    return lines["ordered_at"].min().date(), lines["ordered_at"].max().date()


def revenue_over_time(
    days: pl.DataFrame,
    start: date,
    end: date,
    grain: str = "month",
    window: int = 0,
    *,
    covered: tuple[date, date] | None = None,
) -> pl.DataFrame:
    """Net revenue per day, week (from Monday) or month within `start`..`end`, from the daily
    sums of an order_table (`days`). `covered`: the days the data set covers (covered_days of
    every line), when `days` are of a filtered part of it: a month a category first sold in
    halfway is no partial month of the data (default: the days of `days`).

    One row per period, empty periods included, with period (Date), label, revenue, orders,
    last_week (orders of the period's last 7 days, for a thin end: revenue_reading), partial
    (the data or the chosen range does not cover the whole period), change (revenue
    against the period before; null when that one is not positive) and moving_avg (mean revenue
    of the last `window` periods, 0: DEFAULT_WINDOW for the grain; partial periods are left out
    of it so that they do not drag it down).
    """
    every = GRAINS[grain]
    window = window or DEFAULT_WINDOW[grain]
    bounds = (days["day"][0], days["day"][-1]) if days.height else None
    if bounds is not None and covered is not None:
        bounds = covered
    schema = {
        "period": pl.Date,
        "label": pl.String,
        "revenue": pl.Float64,
        "orders": pl.Int64,
        "last_week": pl.Int64,
        "partial": pl.Boolean,
        "change": pl.Float64,
        "moving_avg": pl.Float64,
    }
    if bounds is None or max(start, bounds[0]) > min(end, bounds[1]):
        return pl.DataFrame(schema=schema)
    first, last = max(start, bounds[0]), min(end, bounds[1])
    period = pl.col("day").dt.truncate(every)
    ends = period.dt.offset_by(every) - timedelta(days=LAST_DAYS)
    per = (
        days.filter(pl.col("day").is_between(first, last))
        .group_by(period.alias("period"))
        .agg(
            pl.col("revenue", "orders").sum(),
            pl.col("orders").filter(pl.col("day") >= ends).sum().alias("last_week"),
        )
    )
    edges = pl.Series([first, last]).dt.truncate(every)
    calendar = pl.DataFrame({"period": pl.date_range(edges[0], edges[1], every, eager=True)})
    return (
        calendar.join(per, on="period", how="left")
        .with_columns(
            pl.col("revenue").fill_null(0.0),
            pl.col("orders", "last_week").fill_null(0),
            periods.partial(pl.col("period"), every, first, last).alias("partial"),
            _period_label(grain).alias("label"),
        )
        .with_columns(
            pl.when(pl.col("revenue").shift(1) > 0)
            .then(pl.col("revenue") / pl.col("revenue").shift(1) - 1)
            .alias("change"),
            pl.when(~pl.col("partial"))
            .then(pl.col("revenue"))
            .rolling_mean(window, min_samples=window)
            .alias("moving_avg"),
        )
        .select(list(schema))
    )


# A period's last days, and the share of its earlier days' pace below which they say the data
# thins out before its end (Olist's Aug 2018: 19 orders in its last 8 days against about 132).
LAST_DAYS = 7
THIN_END = 0.25
# Orders the last days must be expected to hold before their fall is read: under a quarter of 10
# (2 or fewer) is a Poisson tail of 0.3%.
THIN_END_EXPECTED = 10


def _thin_end(period: dict, grain: str) -> str:
    """', though its last 7 days have 15 orders against about 112 at the pace of its earlier
    days: the data likely thins out before its end, so this is no trend' for a month (`period`:
    a revenue_over_time row) whose last days fall below THIN_END of that pace; ''."""
    if grain != "month":
        return ""
    start = period["period"]
    days = (periods.add_months(start, 1) - start).days
    earlier = period["orders"] - period["last_week"]
    expected = earlier / (days - LAST_DAYS) * LAST_DAYS
    # From fewer expected orders a quiet week is chance (a small category's 1 order a week).
    if expected < THIN_END_EXPECTED or period["last_week"] >= THIN_END * expected:
        return ""
    return (
        f", though its last {LAST_DAYS} days have {fmt.counted(period['last_week'], 'order')} "
        f"against about {expected:,.0f} at the pace of its earlier days: the data likely thins "
        "out before its end, so this is no trend"
    )


def revenue_reading(
    series: pl.DataFrame, grain: str, currency: str, covered: tuple[date, date] | None = None
) -> str:
    """One sentence on the series: the biggest full period, the latest change, partial ends:
    those the data does not cover in full (its days `covered`, covered_days; None: every
    partial one) and those the chosen dates cut."""
    full = series.filter(~pl.col("partial"))
    total = series["revenue"].sum()
    if full.height == 0:
        return "No full period in the selected range: widen the dates to see a trend."
    if total <= 0:
        return (
            f"Revenue in the selected range nets to {fmt.money(total, currency)}: returns and "
            "refunds cancel the sales, so there is no biggest period or share to give."
        )
    top = full.sort(["revenue", "period"], descending=[True, False]).row(0, named=True)
    refunded = series.filter(pl.col("revenue") < 0).height
    # Beside periods of net refunds a share of the net total can pass 100%: none is given.
    share = (
        f"{fmt.pct(top['revenue'] / total)} of the range"
        if refunded == 0
        else f"in a range netting {fmt.money(total, currency)} after "
        f"{fmt.counted(refunded, grain)} of net refunds"
    )
    # One full period is the biggest of nothing: partial ones may hold more.
    text = (
        f"The biggest {grain} was {top['label']} with {fmt.money(top['revenue'], currency)} "
        f"({share})"
        if full.height >= 2
        else f"The only full {grain}, {top['label']}, had {fmt.money(top['revenue'], currency)} "
        f"({share})"
    )
    if full.height >= 2:
        latest = full.row(-1, named=True)
        previous = full.row(-2, named=True)
        before = previous["revenue"]
        text += f"; the last full {grain}, {latest['label']}, "
        change = latest["change"]
        moved = False  # up or down by a share of the period before
        if change is None and before < 0:  # no ratio to a negative net
            text += f"follows a {grain} of net refunds ({fmt.money(before, currency)})"
        elif latest["revenue"] < 0:  # no "down 150%": a fall past zero is no share of it
            text += (
                f"turned to net refunds ({fmt.money(latest['revenue'], currency)}) after "
                f"{fmt.money(before, currency)}"
            )
        elif change is None and latest["revenue"] == 0:  # nothing in either
            text += f"had no revenue, as the {grain} before"
        elif change is None:  # the period before had no revenue: no ratio
            text += f"follows a {grain} without revenue"
        elif round(change * 100) == 0:
            text += f"was level with the {grain} before"
        else:
            move, moved = "up" if change > 0 else "down", True
            text += f"was {move} {fmt.pct(abs(change), 0)} on the {grain} before"
        typical = full["orders"].median() or 0
        if latest["orders"] < measures.THIN * typical:  # the export thins out before its end
            text += (
                f", on {fmt.counted(latest['orders'], 'order')} against a typical "
                f"{typical:,.0f}: the data likely thins out before its end, so this is no trend"
            )
        elif moved and min(latest["orders"], previous["orders"]) < FEW_ORDERS:
            # A move between a handful of orders is a few purchases' chance ('up 33%' on 5
            # orders against 4).
            text += (
                f", on {fmt.counted(latest['orders'], 'order')} against "
                f"{previous['orders']:,}: too few orders to read a trend"
            )
        else:  # or inside its last full period
            text += _thin_end(latest, grain)
    partial = series.filter(pl.col("partial"))
    if covered is not None:
        partial = partial.with_columns(
            periods.partial(pl.col("period"), GRAINS[grain], *covered).alias("partial")
        )
    by_data = partial.filter(pl.col("partial"))["label"].to_list()
    by_dates = [label for label in partial["label"] if label not in by_data]
    # A partial period below the full ones' median is no collapse; one above it needs no word.
    low = set(partial.filter(pl.col("revenue") < full["revenue"].median())["label"])
    for labels, why in (
        (by_data, "the data does not cover the whole period"),
        (by_dates, f"the chosen dates cut {fmt.plural(len(by_dates), 'it', 'them')}"),
    ):
        if labels:
            listed = " and ".join(labels)
            text += f". {listed[0].upper()}{listed[1:]} {'is' if len(labels) == 1 else 'are'} "
            text += f"partial ({why})" + (": not a collapse" if low & set(labels) else "")
    return text + "."


def _product(item: pl.Expr) -> pl.Expr:
    return item.is_not_null() & ~non_product(item)


def item_cube(lines: pl.DataFrame) -> pl.DataFrame:
    """Lines summed per item and day (and category and region, when the lines have them), so that
    any date range, category or region can be ranked without going back to the lines.

    One row per (item_id, day[, category][, region]) with month (of the day), item_name (the
    item's most frequent name on sale lines, else its id; both Categorical), product (false for
    lines without an item and for non-product codes, quality.NON_PRODUCT_CODES), lines, units and
    revenue (net: returns subtract) and orders (distinct orders with a sale line of the item that
    day).
    """
    cells, names = item_sums(summaries.lazy(lines))
    return cube_of(cells.to_native(), None if names is None else names.to_native())


# Dataset.extras key: the item cube of lines a data set no longer holds (a summarised folder).
ITEM_CUBE = "item_cube"
_SUMS = ("lines", "units", "revenue", "orders", "n")


def item_sums(lines: nw.LazyFrame) -> tuple[nw.LazyFrame, nw.LazyFrame | None]:
    """What item_cube sums over `lines` (canonical lines, lazily: in memory, over files or inside
    a database): the cells (its keys, with text keys as text, and lines, units, revenue and
    orders) and the sale lines per item_id and item_name (`n`; None without names). Both add up
    (add_sums) over parts of the lines that keep each order whole, so a folder too big to load
    is summed a part at a time."""
    columns = lines.collect_schema().names()
    ret = summaries.is_return(columns)
    keys = ["item_id", "day", *(c for c in ("category", "region") if c in columns)]
    text = [k for k in keys if k != "day"]
    coded = lines
    if lines.implementation.is_polars():
        # The million-line group-bys run on categorical codes of the text keys and order ids:
        # rows of integers take about half the memory of rows of text. Text again after.
        coded = lines.with_columns(nw.col(*text, "order_id").cast(nw.Categorical))
    # Summed per order first: a cell's distinct orders are then its orders with a line that is no
    # return, where counting them in one aggregation would hold a set of orders per cell.
    cells = (
        coded.with_columns(
            nw.col("ordered_at").dt.date().alias("day"),
            summaries.line_units(columns).alias("units"),
            nw.col("revenue").fill_null(0.0),
            nw.when(summaries.is_sale(columns)).then(1).otherwise(0).alias("orders"),
        )
        .group_by(*keys, "order_id")
        .agg(
            nw.len().alias("lines"),
            nw.col("units").sum(),
            nw.col("revenue").sum(),
            nw.col("orders").max(),
        )
        .group_by(*keys)
        .agg(
            nw.col("lines").sum().cast(nw.Int64),
            nw.col("units", "revenue").sum(),
            nw.col("orders").sum().cast(nw.Int64),
        )
        .with_columns(nw.col(*text).cast(nw.String))
    )
    if "item_name" not in columns:
        return cells, None
    names = (
        lines.filter(~nw.col("item_name").is_null() & ~ret)
        .group_by("item_id", "item_name")
        .agg(nw.len().cast(nw.Int64).alias("n"))
    )
    return cells, names


def add_sums(first: pl.DataFrame, second: pl.DataFrame) -> pl.DataFrame:
    """Two parts' item_sums cells (or name counts) added up by their keys (by polars' streaming
    engine: a third of the default engine's time on millions of cells)."""
    sums = [c for c in first.columns if c in _SUMS]
    keys = [c for c in first.columns if c not in _SUMS]
    added = pl.concat([first, second]).lazy().group_by(keys).agg(pl.col(sums).sum())
    return added.collect(engine="streaming")


def cube_of(cells: pl.LazyFrame, names: pl.LazyFrame | None) -> pl.DataFrame:
    """item_cube from item_sums (of all the lines, or parts of them added up)."""
    if names is None:
        cube = cells.with_columns(pl.lit(None, pl.String).alias("item_name"))
    else:
        named = (
            names.sort(["n", "item_name"], descending=[True, False])
            .group_by("item_id")
            .agg(pl.col("item_name").first())
        )
        cube = cells.join(named, on="item_id", how="left", nulls_equal=True)
    # Categorical ids make the per-rerun group-bys on half a million cube rows about twice as fast.
    return (
        cube.with_columns(
            # An item without a name is its id, a long hex id shortened ('701f08d8…'); the
            # full id stays in item_id (the CSV download).
            pl.col("item_name")
            .fill_null(fmt.short_id_expr(pl.col("item_id")))
            .cast(pl.Categorical),
            _product(pl.col("item_id")).alias("product"),
            pl.col("day").dt.truncate("1mo").alias("month"),
        )
        .with_columns(pl.col("item_id").cast(pl.Categorical))
        .collect()
    )


def _cube_slice(
    cube: pl.DataFrame,
    start: date | None,
    end: date | None,
    categories: Sequence[str],
    regions: Sequence[str],
) -> pl.LazyFrame:
    """The cube's rows in the slice, lazily: the rankings read a few of its columns, and an eager
    group-by would first copy all of them into one chunk."""
    conditions = []
    if start is not None:
        conditions.append(pl.col("day") >= start)
    if end is not None:
        conditions.append(pl.col("day") <= end)
    conditions += in_scope(cube.columns, categories, regions)
    return cube.lazy().filter(*conditions) if conditions else cube.lazy()


def non_product_lines(
    cube: pl.DataFrame,
    *,
    start: date | None = None,
    end: date | None = None,
    categories: Sequence[str] = (),
    regions: Sequence[str] = (),
) -> int:
    """How many lines of the slice are left out of rankings (non-product codes or no item)."""
    part = _cube_slice(cube, start, end, categories, regions)
    return int(part.filter(~pl.col("product")).select(pl.col("lines").sum()).collect().item())


def month_cube(cube: pl.DataFrame) -> pl.DataFrame:
    """An item_cube summed per month (its keys with month for day), first and last the earliest
    and latest day of each row's days: rank_items reads the months a range holds whole from it
    (a few rows per item) and only the days of the months it cuts from the cube."""
    keys = ["item_id", "month", *(c for c in ("category", "region") if c in cube.columns)]
    return (
        cube.lazy()
        .group_by(keys)
        .agg(
            pl.col("item_name", "product").first(),
            pl.col("lines", "units", "revenue", "orders").sum(),
            pl.col("day").min().alias("first"),
            pl.col("day").max().alias("last"),
        )
        .collect()
    )


def _ranked_slice(
    cube: pl.DataFrame,
    months: pl.DataFrame | None,
    *,
    start: date | None,
    end: date | None,
    categories: Sequence[str],
    regions: Sequence[str],
) -> pl.LazyFrame:
    """The products of the slice as rows of item_id, month, item_name, units, revenue, orders,
    first and last (days): the cube's days, or with `months` (month_cube of the cube) the
    months the range holds whole from it and the days of the others from the cube."""
    columns = ["item_id", "month", "item_name", "units", "revenue", "orders", "first", "last"]
    days = _cube_slice(cube, start, end, categories, regions).filter(pl.col("product"))
    if months is None:
        return days.with_columns(first=pl.col("day"), last=pl.col("day")).select(columns)
    # The months the range holds whole run from the first month starting in it to the last
    # month ending in it (compared as their first days).
    whole = pl.lit(value=True)
    if start is not None:
        first = start.replace(day=1)
        whole = whole & (pl.col("month") >= (first if first == start else _next_month(first)))
    if end is not None:
        after = _next_month(end.replace(day=1))
        last = after if after - timedelta(days=1) == end else end.replace(day=1)
        whole = whole & (pl.col("month") < last)
    kept = _cube_slice(months, None, None, categories, regions).filter(pl.col("product") & whole)
    cut = days.filter(~whole).with_columns(first=pl.col("day"), last=pl.col("day"))
    return pl.concat([kept.select(columns), cut.select(columns)])


def _next_month(month: date) -> date:
    """The first day of the month after `month` (a first day)."""
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _trend_months(
    covered: tuple[date | None, date | None], start: date | None, end: date | None
) -> pl.Series:
    """Calendar months of the range `start`..`end` (None: open) within the days the data covers
    (`covered`: the cube's first and last day, before any category or region is chosen: a month
    in which the chosen ones sold nothing is a 0 on their sparkline, not a month left out);
    partial months at either end are dropped (they would read as a collapse on a sparkline)
    when at least two full months remain."""
    first, last = covered
    if first is None or last is None:
        return pl.Series("month", [], pl.Date)
    first, last = max(first, start or first), min(last, end or last)
    if first > last:
        return pl.Series("month", [], pl.Date)
    months = pl.date_range(first.replace(day=1), last.replace(day=1), "1mo", eager=True)
    full = months.filter(~periods.partial(months, "1mo", first, last))
    return (full if full.len() >= 2 else months).alias("month")


def rank_items(
    cube: pl.DataFrame,
    by: str = "units",
    *,
    start: date | None = None,
    end: date | None = None,
    categories: Sequence[str] = (),
    regions: Sequence[str] = (),
    months: pl.DataFrame | None = None,
    orders: int | None = None,
) -> pl.DataFrame:
    """Every product of an item_cube slice (days `start`..`end`, categories, regions; None or
    empty: all) ranked by net units, orders or net revenue (`by`). `months`: month_cube(cube),
    which a page keeps so that a range change sums months instead of days (the same sums).
    `orders`: the slice's sale orders (kpi_orders), what a share of orders is of.

    One row per item with rank, item_id, item_name, units and revenue (net: a cancelled unit
    subtracts), orders (distinct orders with a sale line of the item, counted per day), share (of
    the `by` total over all products; ranked by orders, of the slice's `orders`, null when not
    given: an order holds several items, so the items' orders add up to more than the orders,
    and their shares to more than 100%) and trend (the `by` measure per calendar month of the
    slice, oldest first; partial end months left out when two full ones remain). Non-product
    codes and lines without an item are left out. Ties are ordered by item_id, ascending.
    """
    part = _ranked_slice(cube, months, start=start, end=end, categories=categories, regions=regions)
    # One pass over the slice per (item, month); the totals then sum the much smaller result.
    monthly = (
        part.group_by("item_id", "month")
        .agg(
            pl.col("item_name").first(),
            pl.col("units", "revenue", "orders").sum(),
            pl.col("first").min(),
            pl.col("last").max(),
        )
        .collect()
    )
    totals = monthly.group_by("item_id").agg(
        pl.col("item_name").first(), pl.col("units", "revenue", "orders").sum()
    )
    grand = (orders or 0) if by == "orders" else totals[by].sum()
    covered = (
        cube.select(pl.col("day").min().alias("first"), pl.col("day").max().alias("last"))
        if months is None
        else months.select(pl.col("first").min(), pl.col("last").max())
    ).row(0)
    months = _trend_months(covered, start, end)
    # Each item's months laid out in one flat array, item by item with the months in order, and
    # folded into one list per item: no grid of every (item, month) pair to join.
    cells = monthly.join(
        totals.select("item_id").with_row_index("_item"), on="item_id", how="inner"
    ).join(pl.DataFrame({"month": months}).with_row_index("_month"), on="month", how="inner")
    flat = np.zeros(totals.height * months.len())
    at = cells["_item"].cast(pl.Int64) * months.len() + cells["_month"]
    flat[at.to_numpy()] = cells[by].to_numpy()
    trend = totals.select(
        "item_id",
        pl.Series(flat).reshape((totals.height, months.len())).arr.to_list().alias("trend")
        if totals.height and months.len()
        else pl.lit([], pl.List(pl.Float64)).alias("trend"),
    )
    return (
        totals.join(trend, on="item_id", how="left")
        .with_columns(
            # No share of a total that nets to nothing or less (more came back than sold).
            (pl.col(by) / grand if grand > 0 else pl.lit(None, pl.Float64)).alias("share"),
            pl.col("item_id", "item_name").cast(pl.String),
        )
        # Sums of the same amounts in another order differ in their last digits: ties are
        # equal to a millionth, then ordered by item_id.
        .sort([pl.col(by).round(6), "item_id"], descending=[True, False])
        .with_row_index("rank", offset=1)
        .with_columns(pl.col("rank").cast(pl.Int64))
        .select("rank", "item_id", "item_name", "units", "orders", "revenue", "share", "trend")
    )


def rank_kept(
    kept: tuple[pl.DataFrame, pl.DataFrame], by: str = "units", **slice_: object
) -> pl.DataFrame:
    """rank_items of an item_cube and its month_cube: the pair a page keeps, passed as the one
    frame it caches rankings by (`slice_`: rank_items' start, end, categories, regions)."""
    cube, months = kept
    return rank_items(cube, by, months=months, **slice_)


def top_items(lines: pl.DataFrame, by: str = "units") -> pl.DataFrame:
    """rank_items over all of `lines` (same output; shares of orders of all its sale orders)."""
    return rank_items(item_cube(lines), by, orders=int(order_table(lines)["is_sale"].sum()))


# Fewer sale orders than this in a range: no leading item, peak hour or busiest day is named.
FEW_ORDERS = 20
# Fewer customers than this in a range: their repeat buying is a few people's habits, no advice.
FEW_CUSTOMERS = 20
# A runner-up within this share of the leader's figure: the leader "leads narrowly", and the
# runner-up's figure is given (units and revenue have no chance model to say more with).
NARROW = 0.10


def _few(orders: int) -> str:
    return f"Only {fmt.counted(orders, 'order')} in the selected range, too few to name"


def _two_figures(share: float) -> str:
    """fmt.pct with the decimals (one at least) that give `share` two significant digits, for a
    ratio read from it: 10 of 4,058 items are 0.25% (0.2% made 7.0% of the units 35 times it,
    where they are 28 times), 10 of 25,000 0.040% (0.0% before)."""
    digits = 1 if share <= 0 else max(1, 1 - math.floor(math.log10(share * 100)))
    return fmt.pct(share, digits)


def top_items_reading(ranking: pl.DataFrame, n: int, by: str, currency: str, orders: int) -> str:
    """One sentence: the leader (or the items tied with it), and how concentrated the top n are;
    nothing named from fewer than FEW_ORDERS sale `orders` in the range."""
    if ranking.height == 0:
        return "No item sold in the selected range."
    lead = ranking.row(0, named=True)
    if lead[by] <= 0:
        return (
            f"No item has positive net {by} in the selected range: returns and cancellations "
            "match or outweigh the sales, so there is no leader to name."
        )
    if orders < FEW_ORDERS:
        return f"{_few(orders)} a leading item or advise on stock: widen the dates or filters."
    top = ranking.head(n)
    value = fmt.money(lead[by], currency) if by == "revenue" else fmt.count(lead[by])
    unit = "" if by == "revenue" else f" {fmt.plural(lead[by], by[:-1])}"
    level = pl.col(by).round(2) == round(lead[by], 2)
    tied = ranking.filter(level)["item_name"].to_list()
    after = ranking.filter(~level).head(1)
    close = bool(after.height) and len(tied) == 1 and after[by][0] >= (1 - NARROW) * lead[by]
    leads = (
        f"{fmt.named(tied[0])} leads{' narrowly' if close else ''}"
        if len(tied) == 1
        else f"{fmt.listed([fmt.named(t) for t in tied], most=3)} tie for the lead"
    )
    said = f"{leads} with {value}{unit} ({fmt.pct(lead['share'])}" + (
        "" if len(tied) == 1 else " each"
    )
    runner = ""
    if close:
        second = after.row(0, named=True)
        figure = fmt.money(second[by], currency) if by == "revenue" else fmt.count(second[by])
        runner = f", ahead of {fmt.named(second['item_name'])}'s {figure}"
    # Items as the data keys them: a Shopify SKU is one size or colour of a product.
    items = f"the top {top.height} of {ranking.height:,} items"
    if by == "orders":
        # An order holds several items: shares of orders overlap, and do not add up.
        return (
            f"{said} of the {orders:,} orders){runner}; {items} are each in "
            f"{fmt.pct(top['share'].min())} to {fmt.pct(lead['share'])} of orders. Rank by units "
            "or revenue to see how concentrated sales are."
        )
    if top.height == ranking.height:
        # Every item is in the top: their share is all there is, no finding about stock.
        every = (
            "it is the only item sold in the range, so there is no tail to set it against"
            if top.height == 1
            else f"the {top.height:,} items shown are every item sold in the range, so there is "
            "no tail to set them against"
        )
        return f"{said}){runner}; {every}."
    top_share = top["share"].sum()
    made = _two_figures(top_share)
    text = f"{said}){runner}; {items} make {made} of all {by}: "
    headcount = _two_figures(top.height / ranking.height)
    above = measures.stands_out(top_share, top.height, ranking.height)
    if top_share <= 0.3:
        # Most sales are the other items' whatever the top's share of the items (Olist's health
        # and beauty in SP: 10 of 212 items, 4.7%, made 26.4%, and read as 'spread widely').
        comes = "comes" if by == "revenue" else "come"
        rest = f"most {by} {comes} from the other {ranking.height - top.height:,} items"
        if above:
            # The ratio of the two percentages as written, as a reader divides them (25.0% / 4.3%).
            written = float(made[:-1]) / float(headcount[:-1])
            times = fmt.significant(written, 2)
            return text + f"{times} times their {headcount} of the items, though {rest}."
        return text + f"{rest}, so sales are spread widely."
    if not above:
        return text + (
            f"less than twice their {headcount} of the items, so no few items carry the sales."
        )
    return text + "keep them in stock."


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def has_clock_times(orders: pl.DataFrame) -> bool:
    """Whether any order time carries a time of day (dates alone all read as midnight)."""
    at = pl.col("ordered_at")
    return bool(orders.select(((at.dt.hour() > 0) | (at.dt.minute() > 0)).any()).item())


def weekday_slots(orders: pl.DataFrame) -> pl.DataFrame:
    """Sale orders (not cancellations; `orders`: an order_table) per day and weekday-hour slot:
    day, slot ((weekday - 1) * 24 + hour) and orders. Made once per data set; a range sums
    its days."""
    at = pl.col("ordered_at")
    slot = (at.dt.weekday().cast(pl.Int16) - 1) * 24 + at.dt.hour().cast(pl.Int16)
    return (
        orders.filter(pl.col("is_sale"))
        .group_by(at.dt.date().alias("day"), slot.alias("slot"))
        .agg(pl.len().cast(pl.Int64).alias("orders"))
        .sort("day", "slot")
    )


def weekday_hour(slots: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """Orders (sales, not cancellations) per weekday and hour of `start`..`end` (`slots`:
    weekday_slots): 168 rows with weekday (1 = Monday), day (Mon..Sun), hour (0..23) and
    orders (0 where none)."""
    counts = (
        slots.filter(pl.col("day").is_between(start, end))
        .group_by("slot")
        .agg(pl.col("orders").sum())
        .select(
            (pl.col("slot") // 24 + 1).cast(pl.Int8).alias("weekday"),
            (pl.col("slot") % 24).cast(pl.Int8).alias("hour"),
            "orders",
        )
    )
    grid = pl.DataFrame({"weekday": range(1, 8)}, schema={"weekday": pl.Int8}).join(
        pl.DataFrame({"hour": range(24)}, schema={"hour": pl.Int8}), how="cross"
    )
    return (
        grid.join(counts, on=["weekday", "hour"], how="left")
        .with_columns(
            pl.col("orders").fill_null(0),
            pl.col("weekday").replace_strict(dict(enumerate(WEEKDAYS, 1))).alias("day"),
        )
        .select("weekday", "day", "hour", "orders")
    )


def _alike(counts: pl.DataFrame, orders: int, z: float = stats.Z95) -> pl.DataFrame:
    """The rows of `counts` (days or hours of the week) with orders whose count is within chance
    of `orders`: their difference within `z` standard deviations of two Poisson counts (sqrt of
    their sum)."""
    n = pl.col("orders")
    return counts.filter((n > 0) & ((n - orders).abs() <= z * (n + orders).sqrt()))


def _busiest_first(hours: pl.DataFrame) -> pl.DataFrame:
    """Hours of the week by orders, the most first; ties in the week's order."""
    return hours.sort(["orders", "weekday", "hour"], descending=[True, False, False])


def _peak_text(grid: pl.DataFrame, total: int) -> tuple[str, str]:
    """The peak hour of the week, or the hours alike within chance of it named together, and
    what to time to it ('' when there is no peak to time to: every hour with orders alike, over
    a quarter of the week's hours alike the busiest, or not all of them above the average hour
    with orders beyond chance across those hours, a Poisson tail as stats.count_z judges it: the
    busiest is then no busier beyond chance than hours that are no peak)."""
    selling = grid.filter(pl.col("orders") > 0).height
    alike = _alike(grid, grid["orders"].max())
    if alike.height == selling:
        return "No hour of the week stands out beyond chance", ""
    if alike.height > 1 and 4 * alike.height > grid.height:  # a quarter of the week: no peak
        peaks, timed = alike, ""
    else:
        mean, bar = total / selling, stats.critical(selling)
        peaks = alike.filter([stats.count_z(n, mean) > bar for n in alike["orders"]])
        if peaks.height == 0:
            return "No hour of the week stands out beyond chance", ""
        if peaks.height < alike.height:
            most = _busiest_first(alike.filter(pl.col("orders") == alike["orders"].max()))
            slots = [f"{d} at {h:02d}:00" for d, h in most.select("day", "hour").iter_rows()]
            share = fmt.pct(most["orders"][0] / total)
            others = fmt.counted(alike.height - most.height, "other hour")
            said = (
                f"The busiest hour, {slots[0]} ({share} of all orders), is"
                if most.height == 1
                else f"The busiest hours, {fmt.listed(slots, most=3)} ({share} of all orders "
                "each), are"
            )
            return (
                f"{said} within chance of {others} of the week, some no busier than average "
                "beyond chance: there is no clear peak",
                "",
            )
        timed = "peak" if peaks.height == 1 else "peak hours"
    peaks = _busiest_first(peaks)
    slots = [f"{d} at {h:02d}:00" for d, h in peaks.select("day", "hour").iter_rows()]
    shares = [fmt.pct(n / total) for n in peaks["orders"]]
    spread = shares[0] if shares[0] == shares[-1] else f"{shares[-1]}–{shares[0]}"
    if not timed:
        return (
            f"Orders spread over many hours: {peaks.height} of the week's {grid.height} hours "
            f"are within chance of the busiest, {fmt.listed(slots, most=3)} ({spread} of all "
            "orders each)",
            "",
        )
    if peaks.height == 1:
        return f"Orders peak on {slots[0]} ({shares[0]} of all orders in one hour a week)", timed
    return (
        f"Orders peak in {peaks.height} hours of the week, alike within chance: "
        f"{fmt.listed(slots, most=3)} ({spread} of all orders each)",
        timed,
    )


def _days_text(days: pl.DataFrame, total: int, one: str, many: str) -> str:
    """'Tue is the busiest day (16.1%)' or 'Wed and Thu are the busiest days, alike within
    chance (16.0-16.1% each)'."""
    names = days["day"].to_list()
    shares = [fmt.pct(n / total) for n in days["orders"].sort()]
    if len(names) == 1:
        return f"{names[0]} is {one} ({shares[0]})"
    spread = shares[0] if shares[0] == shares[-1] else f"{shares[0]}–{shares[-1]}"
    return f"{fmt.listed(names)} are {many}, alike within chance ({spread} each)"


def weekday_hour_reading(grid: pl.DataFrame) -> str:
    """The peak hour of the week, the busiest and quietest days (hours and days alike within
    chance named together), and the days without orders."""
    total = grid["orders"].sum()
    if total == 0:
        return "No orders in the selected range."
    if total < FEW_ORDERS:
        return f"{_few(total)} a peak hour or a busiest day: widen the dates or filters."
    peak, timed = _peak_text(grid, total)
    by_day = grid.group_by("day", "weekday").agg(pl.col("orders").sum()).sort("weekday")
    selling = by_day.filter(pl.col("orders") > 0)
    # The busiest and quietest are picked out of every pair of selling days: a pair apart beyond
    # chance across all the pairs (Bonferroni), or seven even days name ends 4 times in 10.
    z = stats.critical(max(1, selling.height * (selling.height - 1) // 2))
    busiest = _alike(by_day, by_day["orders"].max(), z)
    quietest = _alike(by_day, selling["orders"].min(), z) if selling.height else selling
    # Every selling day within chance of the busiest: the days do not differ.
    even = busiest.height == selling.height
    # A day alike both the busiest and the quietest, which differ: no set of days can be named
    # busiest or quietest, only the two ends.
    blurred = not even and bool(set(busiest["day"]) & set(quietest["day"]))
    # A day without any order is no quiet day: the shop does not sell then (Online Retail's Sat).
    empty = by_day.filter(pl.col("orders") == 0)["day"].to_list()
    if selling.height == 1:  # nothing to compare: a range of one day, or a shop open one day
        most = f"every order falls on a {selling['day'][0]}"
    elif even:
        days = fmt.listed(selling["day"].to_list()) if empty else "the days"
        most = f"orders spread about evenly over {days} (differences within chance)"
    elif blurred:
        top, bottom = (
            selling.sort("orders", descending=d).row(0, named=True) for d in (True, False)
        )
        most = (
            f"{top['day']} has the most orders ({fmt.pct(top['orders'] / total)}) and "
            f"{bottom['day']} the fewest ({fmt.pct(bottom['orders'] / total)}), apart beyond "
            "chance, with days between them within chance of both"
        )
    else:
        most = _days_text(busiest, total, "the busiest day", "the busiest days")
    if empty and selling.height > 1:
        least = f"no order falls on {' or '.join(empty) if len(empty) < 3 else ', '.join(empty)}"
    elif even or blurred:
        least = ""
    else:
        least = _days_text(quietest, total, "the quietest", "the quietest")
    advice = f": time campaigns and staffing to the {timed}" if timed else ""
    return f"{peak}; {most}{f' and {least}' if least else ''}{advice}."


def daily_baskets(orders: pl.DataFrame, measure: str = "lines") -> pl.DataFrame:
    """Sale orders (`orders`: an order_table) per day and basket size (`measure`: lines or net
    units per order): day, size, orders. Made once per data set and measure; a range sums its
    days."""
    return (
        orders.filter(pl.col("is_sale"))
        .group_by(
            pl.col("ordered_at").dt.date().alias("day"),
            pl.col(measure).cast(pl.Int64).alias("size"),
        )
        .agg(pl.len().cast(pl.Int64).alias("orders"))
        .sort("day", "size")
    )


def basket_sizes(baskets: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """How many sale orders of `start`..`end` have each basket size (`baskets`: daily_baskets):
    size, orders. Sorted by size; orders whose net units are not positive (fully returned later
    in the same invoice) are left out."""
    return (
        baskets.filter(pl.col("day").is_between(start, end) & (pl.col("size") > 0))
        .group_by("size")
        .agg(pl.col("orders").sum())
        .sort("size")
    )


def basket_counted(ds: Dataset, measure: str) -> bool:
    """Whether orders of `ds` have a basket size in `measure`: not when each line is an order's
    total (order_level), nor in lines when its lines are a summary's order rows
    (local.summarised: they count no lines), nor in units when the lines tell none
    (units_known)."""
    from lib import local

    if order_level(ds):
        return False
    if measure == "lines":
        return not local.summarised(ds)
    return units_known(ds.table("lines"))


def basket_reading(sizes: pl.DataFrame, measure: str) -> str:
    """The median and mean basket and the share of single-line (or -unit) orders, with what they
    suggest; nothing read from fewer than FEW_ORDERS orders."""
    total = sizes["orders"].sum()
    if total == 0:
        return "No orders in the selected range."
    if total < FEW_ORDERS:
        return f"{_few(total)} a typical basket: widen the dates or filters."
    cumulative = sizes.with_columns((pl.col("orders").cum_sum() / total).alias("cum"))
    median = cumulative.filter(pl.col("cum") >= 0.5)["size"][0]
    single = sizes.filter(pl.col("size") == 1)["orders"].sum() / total
    mean = (sizes["size"] * sizes["orders"]).sum() / total
    word = "line" if measure == "lines" else "unit"
    advice = (
        "bundles and cross-sells have room to grow"
        if single > 0.4
        else "baskets are already mixed: reward larger ones"
    )
    return (
        f"The median order has {median:,} {word}{'s' if median != 1 else ''} (mean "
        f"{mean:,.1f}); {fmt.pct(single)} of orders have a single {word}, so {advice}."
    )


@dataclass(frozen=True)
class Repeat:
    """Repeat buying in a period: customers with an order, those with two or more, and the median
    days between a customer's consecutive orders."""

    customers: int
    repeaters: int
    median_days: float | None

    @property
    def rate(self) -> float | None:
        return self.repeaters / self.customers if self.customers else None


def days_between_orders(links: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """Days from each sale order of a customer in `start`..`end` to their next one in it:
    customer_id, days (calendar days between their dates, as the cohorts' repeat gaps count
    them: 0 for two orders on the same day, 1 from 23:00 to 01:00), in the order of `links`
    (order_links); orders without a customer are left out."""
    gap = pl.col("ordered_at").dt.date() - pl.col("prev_at").dt.date()
    return links.filter(in_days(start, end) & since(start, "prev_at")).select(
        "customer_id", gap.dt.total_days().alias("days")
    )


def repeat_summary(links: pl.DataFrame, start: date, end: date, gaps: pl.DataFrame) -> Repeat:
    """Repeat figures of `start`..`end` (see Repeat) from order_links; `gaps` from
    days_between_orders."""
    first, again = _firsts(start, end)
    customers, repeaters = links.select(first.sum(), (first & again).sum().alias("r")).row(0)
    return Repeat(
        customers=customers,
        repeaters=repeaters,
        median_days=gaps["days"].median() if gaps.height else None,
    )


def repeat_reading(rep: Repeat, gaps: pl.DataFrame) -> str:
    """The repeat rate, the typical gap, and how many repeat orders a reminder a little before it
    would come ahead of (`gaps`: days_between_orders), said from the gaps, not assumed; no
    reminder timed from fewer than churn.MIN_GAPS repeat orders, or from a typical gap of the
    same day, and no advice from fewer than FEW_CUSTOMERS customers."""
    if not rep.customers:
        return "No identified customer ordered in the selected range."
    text = (
        f"{fmt.pct(rep.rate)} of {fmt.counted(rep.customers, 'customer')} ordered more than once "
        "in the range"
    )
    if rep.customers < FEW_CUSTOMERS:
        return (
            f"{text}: too few customers to read repeat buying from, so widen the dates or filters."
        )
    if rep.median_days is not None and 0 < gaps.height < churn.MIN_GAPS:
        text += (
            f"; only {fmt.counted(gaps.height, 'repeat order')} in it, too few to time a "
            "reminder by"
        )
    elif rep.median_days is not None and rep.median_days < 1 and gaps.height:
        text += (
            f"; most repeat orders come the same day as the one before "
            f"({fmt.pct((gaps['days'] == 0).mean())}): split or added-on orders rather than "
            "customers coming back, so no reminder can be timed from them"
        )
    elif rep.median_days is not None and gaps.height:
        day = max(1, round(rep.median_days * 0.8))
        later = (gaps["days"] > day).mean()
        same = (gaps["days"] == 0).mean()
        text += (
            f"; a typical repeat comes {fmt.counted(round(rep.median_days), 'day')} after the "
            f"previous order, so a reminder around day {day:,} would come before "
            f"{fmt.pct(later)} of repeat orders"
            + (f" ({fmt.pct(same)} come the same day)" if same >= 0.1 else "")
        )
    else:
        text += ": nobody came back yet, so a second-order offer is the first lever"
    return text + "."


def new_vs_returning(days: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """Net revenue per month of `start`..`end` split by whether it came in the customer's first
    order month (new) or another one (returning: see `daily`), from the daily sums of an
    order_table of the whole history (`days`), so that a customer's first month is their first
    ever.

    One row per (month, kind) with month (Date), kind ('new' or 'returning'), revenue, partial
    (the data or the range does not cover the whole month) and opening (the month of the first
    order of `days`, whose revenue can only be new); months with no revenue of a kind have 0.
    Orders without a customer are left out.
    """
    inside = days.filter(pl.col("day").is_between(start, end) & (pl.col("known") > 0))
    if inside.height == 0:
        schema = {"month": pl.Date, "kind": pl.String, "revenue": pl.Float64}
        return pl.DataFrame(schema=schema | {"partial": pl.Boolean, "opening": pl.Boolean})
    first, last = max(start, days["day"].min()), min(end, days["day"].max())
    split = (
        inside.group_by(pl.col("day").dt.truncate("1mo").alias("month"))
        .agg(pl.col("new", "returning").sum())
        .unpivot(index="month", variable_name="kind", value_name="revenue")
    )
    months = pl.date_range(
        inside["day"][0].replace(day=1), inside["day"][-1].replace(day=1), "1mo", eager=True
    )
    grid = pl.DataFrame({"month": months}).join(
        pl.DataFrame({"kind": ["new", "returning"]}), how="cross"
    )
    return (
        grid.join(split, on=["month", "kind"], how="left")
        .with_columns(
            pl.col("revenue").fill_null(0.0),
            periods.partial(pl.col("month"), "1mo", first, last).alias("partial"),
            # The month of the first order of these lines: nobody can have bought before it.
            (pl.col("month") == days["day"].min().replace(day=1)).alias("opening"),
        )
        .sort("month", "kind")
    )


STALLED_MONTHS = 2  # the last months without a new customer: acquisition has stalled


# The latest full months "now" is read over: one month's share moves by several points by
# chance (the web shop demo's Jun 2024: 50.7%, a bootstrap's 95% from 47.0% to 54.7%).
RECENT_MONTHS = 3
# A share this close to half is no "most" either way.
HALF_BAND = 0.05


def new_vs_returning_reading(split: pl.DataFrame, currency: str) -> str:
    """The returning customers' share of revenue over the range and over its latest
    RECENT_MONTHS full months, and where the room is, read by those months: bringing buyers
    back, keeping them, both about alike (within HALF_BAND of half, as the shares are written),
    or first of all new customers when none has bought in the last STALLED_MONTHS months or more.
    The opening month (`opening`: that of the first order) can hold no returning customer, so
    it is never one of the latest months read; where the range starts with it and reads below
    them, the reading says why."""
    total = split["revenue"].sum()
    if split.height == 0 or total == 0:
        return "No revenue from identified customers in the selected range."
    returning = split.filter(pl.col("kind") == "returning")["revenue"].sum()
    opening = pl.col("opening") if "opening" in split.columns else pl.lit(False)
    # Full months only: a month the data ends inside says nothing of "now".
    full = split.filter(~pl.col("partial") & ~opening)
    months = full["month"].unique().sort().tail(RECENT_MONTHS)
    recent = full.filter(pl.col("month").is_in(months.implode()))
    recent_total = recent["revenue"].sum()
    overall = share = returning / total
    text = (
        f"Returning customers (who had bought in an earlier month) bring "
        f"{fmt.pct(share)} of identified customers' revenue "
        f"({fmt.money(returning, currency)} of {fmt.money(total, currency)})"
    )
    # The latest months apart, unless they are the range (the same months, the same share).
    if recent_total:
        share = recent.filter(pl.col("kind") == "returning")["revenue"].sum() / recent_total
    if recent_total and recent.height < split.height:
        span = f"in {months[-1]:%b %Y}"
        if months.len() > 1:
            since = f"{months[0]:%b}" if months[0].year == months[-1].year else f"{months[0]:%b %Y}"
            span = f"over the last {months.len()} full months ({since} to {months[-1]:%b %Y})"
        text += f", {fmt.pct(share)} {span}"
    start = ""
    first = split.filter(opening)["month"]
    if first.len() and fmt.pct(overall) != fmt.pct(share) and overall < share:
        start = (
            f" The range's share reads lower: it starts with the first month with an order, "
            f"{first[0]:%b %Y}, which can hold no returning customer, and its early months hold "
            "few customers who could have bought before."
        )
    new = split.filter(pl.col("kind") == "new").sort("month")
    bought = new.filter(pl.col("revenue") > 0)["month"]
    quiet = new.height if bought.is_empty() else new.filter(pl.col("month") > bought.max()).height
    if quiet >= STALLED_MONTHS:
        since = "in the range" if bought.is_empty() else f"since {bought.max():%b %Y}"
        return (
            text + f": no new customer has bought {since} ({fmt.counted(quiet, 'month')} "
            "without one), so winning new customers comes first." + start
        )
    # As the shares are written: 45.0% and 55.0% alike are about half (0.55 - 0.5 > 0.05).
    if round(abs(share - 0.5), 9) <= HALF_BAND:
        verdict = "first months and later ones bring about half each"
    elif share < 0.5:
        verdict = (
            "most revenue comes in customers' first month, so bringing buyers back has most room"
        )
    else:
        verdict = "returning customers carry the business, so keeping them buying matters most"
    return f"{text}: {verdict}.{start}"


def _dates(value: str | date | None) -> date | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _names(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return tuple(value)


def headless(
    ds: Dataset,
    *,
    start: str | None = None,
    end: str | None = None,
    categories: str = "",
    regions: str = "",
    grain: str = "month",
    window: int = 0,
    topn: int = 10,
    rank_by: str = "units",
    basket: str = "lines",
    bridge_previous: str = "",
    bridge_current: str = "",
) -> dict[str, pl.DataFrame]:
    """Every table of the Sales page for the same controls (dates ISO, lists comma-separated;
    empty: the whole range, all categories and regions; window 0: the grain's default). With a
    bridge period (a quarter '2011Q3' or a month '2011-07'; the other one next to it when only
    one is given), also the revenue bridge view's bridge_steps and bridge_customers
    (lib.analyses.bridge, over the whole history of the chosen categories and regions). Lines
    without items (an order-level export) have no top_items, as the page has no ranking, and no
    basket_sizes (each line is an order's total); nor in units when the lines tell none. A
    summary's order rows (local.summarised) count no lines: no basket_sizes in lines, a null
    repeat.lines_without_customer, and the bridge without items (bridge.bridge_purchases)."""
    from lib import local

    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {', '.join(GRAINS)}")
    if rank_by not in RANK_BY:
        raise ValueError(f"rank_by must be one of {', '.join(RANK_BY)}")
    if basket not in BASKET_MEASURES:
        raise ValueError(f"basket must be one of {', '.join(BASKET_MEASURES)}")
    lines = ds.table("lines")
    # The values written in the lines that the names asked stand for ('(no region)': blank,
    # missing or 'Unspecified' regions), as the page filters them.
    chosen = scope_named(lines, _names(categories), _names(regions))
    scope = filter_lines(lines, **chosen)
    history = order_table(scope)
    if history.height == 0:
        raise ValueError("no order lines match the chosen categories and regions")
    # The whole range the data covers by default, as the page opens, filtered or not.
    covered = covered_days(lines)
    first, last = _dates(start) or covered[0], _dates(end) or covered[1]
    period_lines = filter_lines(scope, first, last)
    links, days = order_links(history), daily(history)
    gaps = days_between_orders(links, first, last)
    rep = repeat_summary(links, first, last, gaps)
    ranked = {}
    figures = kpis(history, first, last, links, covered)
    kept = ds.extras.get(ITEM_CUBE)  # a summarised folder's: its lines hold no items
    rows = local.summarised(ds)  # order rows, no lines: what counts lines would count them
    without_customer = None if rows else period_lines["customer_id"].null_count()
    if not order_level(ds):  # order totals (Stripe's charges, a mapped file of orders) have none
        sold = kpi_orders(figures)
        # The cube of every line, sliced as the page slices it: a sparkline spans the months
        # the data covers, not those a chosen region happens to start and end in.
        cube = kept if kept is not None else item_cube(lines)
        ranking = rank_items(cube, rank_by, start=first, end=last, orders=sold, **chosen).head(topn)
        ranked["top_items"] = ranking.with_columns(
            pl.col("trend").list.eval(pl.element().round(2).cast(pl.String)).list.join(" ")
        )
    return {
        "kpis": figures,
        "revenue_over_time": revenue_over_time(days, first, last, grain, window, covered=covered),
        **ranked,
        "weekday_hour": weekday_hour(weekday_slots(history), first, last),
        **(
            {"basket_sizes": basket_sizes(daily_baskets(history, basket), first, last)}
            if basket_counted(ds, basket)
            else {}
        ),
        "repeat": pl.DataFrame(
            {
                "customers": [rep.customers],
                "repeaters": [rep.repeaters],
                "repeat_rate": [rep.rate],
                "median_days_between_orders": [rep.median_days],
                "lines_without_customer": pl.Series([without_customer], dtype=pl.Int64),
            }
        ),
        "days_between_orders": gaps,
        "new_vs_returning": new_vs_returning(days, first, last),
    } | (
        _bridge(scope, bridge_previous, bridge_current) if bridge_previous or bridge_current else {}
    )


def _bridge(scope: pl.DataFrame, previous: str, current: str) -> dict[str, pl.DataFrame]:
    from lib.analyses import bridge

    result = bridge.lines_bridge(scope, previous, current)
    return {"bridge_steps": result.steps, "bridge_customers": result.customers}
