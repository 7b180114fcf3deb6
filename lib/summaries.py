"""The grouped tables the customer analyses read, each defined once as a lazy narwhals frame.

The same definitions run on lines in memory (polars), on a folder of parquet files (polars'
streaming engine) and inside DuckDB: only the summaries, never the raw lines, come back.
Sale, return and purchase follow lib/measures.py (see `is_return`, `sells`, `purchases`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import narwhals as nw

LINE = "_line"  # a line's position in its source (file order): ties are broken by it


def lazy(frame: Any) -> nw.LazyFrame:
    """`frame` (a polars DataFrame or LazyFrame, a DuckDB relation...) as a narwhals LazyFrame."""
    return nw.from_native(frame).lazy()


def _names(frame: nw.LazyFrame) -> list[str]:
    return frame.collect_schema().names()


# The rules of lib/measures.py in narwhals (measures.is_return, measures._sells): a test checks
# that both give the same answer on every kind of line.
def is_return(names: list[str]) -> nw.Expr:
    """measures.is_return: flagged by its format, or negative revenue."""
    negative = nw.col("revenue").fill_null(0.0) < 0
    if "is_return" in names:
        return nw.col("is_return").fill_null(value=False) | negative
    return negative


def sells(names: list[str], free: bool = False) -> nw.Expr:
    """measures._sells: quantity and unit price above zero (price at or above zero when `free`)
    where the data has them; a missing value is no evidence against the line."""
    rule = nw.lit(value=True)
    if "quantity" in names:
        rule = rule & (nw.col("quantity").fill_null(1.0) > 0)
    if "unit_price" in names:
        price = nw.col("unit_price").fill_null(1.0)
        rule = rule & ((price >= 0) if free else (price > 0))
    return rule


def tells_units(names: list[str]) -> bool:
    """Whether lines of these columns tell units (line_units): a quantity, or items."""
    return "quantity" in names or "item_id" in names


def line_units(names: list[str]) -> nw.Expr:
    """A line's units, net (Sales' order table and item cube, a folder's summary): its
    quantity (1 when missing); without quantities one unit a line that names an item (Olist
    has one row per unit sold), or one returned; none when it names no item either: such a
    line is an order's total, of units nobody told. None of a line at no price that is no
    return: a free line, or a stock adjustment (Online Retail's 'damaged', 'found' or '?'
    lines at a price of 0 moved 134,354 units that nobody bought)."""
    if "quantity" in names:
        units = nw.col("quantity").fill_null(1.0)
    elif "item_id" in names:
        units = nw.when(is_return(names)).then(-1.0).otherwise(1.0)
    else:
        return nw.lit(None, nw.Float64)
    if "unit_price" not in names:
        return units
    unpriced = (nw.col("unit_price") == 0) & ~is_return(names)
    return nw.when(unpriced).then(0.0).otherwise(units)


def is_sale(names: list[str]) -> nw.Expr:
    """measures.is_sale: no return, and it sells something."""
    return ~is_return(names) & sells(names)


def purchases(
    lines: nw.LazyFrame,
    shares: nw.LazyFrame | None = None,
    free: bool = False,
    judged: bool = False,
) -> nw.LazyFrame:
    """measures.customer_purchases(lines).lines, lazily: lines of known customers that are no
    return and sell something, exact duplicates once (the first, by LINE), revenue net of the
    cancellations matched to them (`shares`: cancellation_shares of the same lines, computed
    here when not given). `lines` holds whole lines and a LINE column, or (`judged`) the
    first_copies of whole lines.

    Columns: those of `lines` but LINE and is_return, with revenue net.
    """
    names = [n for n in _names(lines) if n != LINE]
    shares = cancellation_shares(lines, free, judged) if shares is None else shares
    net = nw.col("revenue").fill_null(0.0) * nw.col("_share").fill_null(1.0)
    return (
        _first_copies(_sold(lines, names, free), names, judged)
        .join(shares, on=LINE, how="left")
        .with_columns(net.alias("revenue"))
        .select([n for n in names if n != "is_return"])
    )


# What is left of a purchase (_share) after the cancellations matched to it (one row each) take
# back their shares: a cancellation's is its quantity's share (_back of the purchase's _size:
# quantity, or revenue without items), never more than what it credits (_credit of what the
# purchase paid, _paid, both above 0): a £60 manual credit of quantity 1 takes back £60 of a
# £1,867.86 manual purchase of quantity 1, not all of it. By quantity alone when it credits
# nothing known.
_BY_SIZE = nw.col("_back") / nw.col("_size")
_TAKEN = (
    nw.when(nw.col("_credit") > 0)
    .then(nw.min_horizontal(_BY_SIZE, nw.col("_credit") / nw.col("_paid")))
    .otherwise(_BY_SIZE)
)
SHARE = (1.0 - _TAKEN.sum()).clip(0.0, 1.0).alias("_share")


# Computes a frame once (a name for it, the columns it is looked up by) and gives it back.
Keep = Callable[[nw.LazyFrame, str, Sequence[str]], nw.LazyFrame]


def cancellation_shares(
    lines: nw.LazyFrame, free: bool = False, judged: bool = False, keep: Keep | None = None
) -> nw.LazyFrame:
    """What is left of each purchase line that cancellations take back (a small table: LINE,
    _share 0..1), as measures.customer_purchases nets them: a cancellation of a known customer
    takes back its quantity's (or amount's) share of the latest purchase of the same customer
    and item (the customer's latest purchase without items) at or before it, never more than it
    credits (SHARE); among purchase lines of the same time, the last by LINE; never a line that
    paid nothing (a free line, with `free`). `judged`: `lines` are first_copies already.
    `keep`: computes the purchases each cancellation may net, looked up by customer, item and
    time, once (a database's indexed table) before the as-of join reads them."""
    names = [n for n in _names(lines) if n != LINE]
    size = _size(names)
    # Each matched line's size read from the lines by LINE, not from targets: used twice, they
    # were computed twice inside DuckDB (half of this summary's time).
    sizes = lines.select(LINE, nw.col(size).abs().alias("_size"), nw.col("revenue").alias("_paid"))
    matched = _matched(lines, names, free, judged, keep)
    return matched.join(sizes, on=LINE).group_by(LINE).agg(SHARE)


def netted(lines: nw.LazyFrame) -> nw.LazyFrame:
    """One row: matched and unmatched, the cancellation lines of known customers that
    cancellation_shares nets out of a purchase and those it cannot, and repeated_returns, exact
    repeats of one of them, which count once (measures.Purchases')."""
    names = [n for n in _names(lines) if n != LINE]
    cancelling = lines.filter(~nw.col("customer_id").is_null() & is_return(names))
    matched = _matched(lines, names, free=False).select(nw.len().cast(nw.Int64).alias("matched"))
    every = _first_copies(cancelling, names).select(nw.len().cast(nw.Int64).alias("returns"))
    lines_of = cancelling.select(nw.len().cast(nw.Int64).alias("all"))
    return (
        matched.join(every, how="cross")
        .join(lines_of, how="cross")
        .select(
            "matched",
            (nw.col("returns") - nw.col("matched")).alias("unmatched"),
            (nw.col("all") - nw.col("returns")).alias("repeated_returns"),
        )
    )


def _size(names: list[str]) -> str:
    """What a cancellation takes back a share of: quantity with items, else revenue."""
    return "quantity" if "item_id" in names and "quantity" in names else "revenue"


def _matched(
    lines: nw.LazyFrame,
    names: list[str],
    free: bool,
    judged: bool = False,
    keep: Keep | None = None,
) -> nw.LazyFrame:
    """Each cancellation of a known customer matched to the purchase it nets (cancellation_shares'
    rule): the purchase's LINE, _back, the size it takes back, and _credit, what it credits."""
    items = "item_id" in names
    size = _size(names)
    keys = ["customer_id", "item_id"] if items else ["customer_id"]
    # Exact repeats of a cancellation line once, as measures.customer_purchases nets them.
    back = (
        _first_copies(
            lines.filter(~nw.col("customer_id").is_null() & is_return(names)), names, judged
        )
        .select(
            *keys,
            "ordered_at",
            nw.col(size).abs().alias("_back"),
            nw.col("revenue").abs().alias("_credit"),
        )
        .drop_nulls([*keys, "ordered_at", "_back"])
    )
    # Only purchases of a customer (and item) with a cancellation can be netted, and only those
    # that paid something: a free line of the same time (which the purchase models keep) would
    # otherwise absorb it, as measures.customer_purchases never lets it.
    paid = _sold(lines, names, free).filter(nw.col("revenue").fill_null(0.0) > 0)
    bought = paid.join(back.select(keys).unique(), on=keys, how="semi")
    targets = (
        _first_copies(bought, names, judged)
        .select(*keys, "ordered_at", LINE, nw.col(size).abs().alias("_size"))
        .drop_nulls()
    )
    latest = targets.group_by(*keys, "ordered_at").agg(nw.col(LINE).max())
    if keep is not None:
        latest = keep(latest, "latest", [*keys, "ordered_at"])
    return (
        back.sort("ordered_at")
        .join_asof(latest.sort("ordered_at"), on="ordered_at", by=keys, strategy="backward")
        .filter(~nw.col(LINE).is_null())
        .select(LINE, "_back", "_credit")
    )


def _one(flag: nw.Expr) -> nw.Expr:
    """1 where `flag` holds, else 0 (Int64): PostgreSQL casts no boolean to a bigint."""
    return nw.when(flag).then(nw.lit(1, nw.Int64)).otherwise(nw.lit(0, nw.Int64))


def _sold(lines: nw.LazyFrame, names: list[str], free: bool) -> nw.LazyFrame:
    """Sale lines of known customers (duplicates included)."""
    return lines.filter(~nw.col("customer_id").is_null() & ~is_return(names) & sells(names, free))


def _first_copies(lines: nw.LazyFrame, names: list[str], judged: bool = False) -> nw.LazyFrame:
    """`lines` with each exact duplicate (equal in every column of `names`) once, the first;
    `lines` as they are when `judged` (first_copies already)."""
    if judged:
        return lines
    return lines.group_by(*names, drop_null_keys=False).agg(nw.col(LINE).min())


def first_copies(lines: nw.LazyFrame, columns: tuple[str, ...]) -> nw.LazyFrame:
    """`lines` (whole, with LINE) with each exact duplicate once, the first, and of their
    columns only `columns` (and LINE): the duplicates judged over the whole lines as they are
    read, for purchases and cancellation_shares with `judged`."""
    names = [n for n in _names(lines) if n != LINE]
    return _first_copies(lines, names).select(*(n for n in names if n in columns), LINE)


# The columns order_days reads (a line at no price is no sale: sells, so an order of free lines
# is none), for analyses that narrow their lines to them first.
ORDER_COLUMNS = (
    "order_id",
    "customer_id",
    "ordered_at",
    "revenue",
    "quantity",
    "unit_price",
    "is_return",
)


def order_days(lines: nw.LazyFrame) -> nw.LazyFrame:
    """Per order, customer and day of its lines (usually one row per order): order_id,
    customer_id, day, first_at and last_at (its lines' earliest and latest time), revenue (sum,
    nulls as 0) and sale_lines (lines that are a sale). Lines without a time are left out.

    Every customer summary below derives from it, for any as-of date (a day boundary) or grain.
    """
    names = _names(lines)
    return (
        lines.filter(~nw.col("ordered_at").is_null())
        .with_columns(
            nw.col("ordered_at").dt.date().alias("day"),
            nw.col("revenue").fill_null(0.0),
            _one(is_sale(names)).alias("_sale"),
        )
        .group_by("order_id", "customer_id", "day", drop_null_keys=False)
        .agg(
            nw.col("ordered_at").min().alias("first_at"),
            nw.col("ordered_at").max().alias("last_at"),
            nw.col("revenue").sum(),
            nw.col("_sale").sum().alias("sale_lines"),
        )
    )


def orders(days: nw.LazyFrame, as_of: date | None = None) -> nw.LazyFrame:
    """Per order of a known customer (sales.order_table over the lines placed before `as_of`):
    order_id, customer_id (the smallest when an order has several, which no known export has;
    order_table takes its first), ordered_at (its first line), last_at (its last line),
    revenue (net) and is_sale (at least one sale line). `days` is `order_days`."""
    if as_of is not None:
        days = days.filter(nw.col("day") < as_of)
    return (
        days.filter(~nw.col("customer_id").is_null())
        .group_by("order_id", drop_null_keys=False)
        .agg(
            nw.col("customer_id").min(),
            nw.col("first_at").min().alias("ordered_at"),
            nw.col("last_at").max(),
            nw.col("revenue").sum(),
            nw.col("sale_lines").sum(),
        )
        .with_columns((nw.col("sale_lines") > 0).alias("is_sale"))
        .drop("sale_lines")
    )


def customers(order_table: nw.LazyFrame) -> nw.LazyFrame:
    """Per customer: customer_id, first_at and last_at (first and last sale order), orders (sale
    orders), revenue (net, every order) and days (distinct days with a sale order). A customer
    whose orders are all returns has orders 0 and null dates. `order_table` is `orders`."""
    sale_at = nw.when(nw.col("is_sale")).then(nw.col("ordered_at"))
    per = order_table.group_by("customer_id").agg(
        sale_at.min().alias("first_at"),
        sale_at.max().alias("last_at"),
        _one(nw.col("is_sale")).sum().alias("orders"),
        nw.col("revenue").sum(),
    )
    days = (
        purchase_days(order_table).group_by("customer_id").agg(nw.col("day").count().alias("days"))
    )
    return per.join(days, on="customer_id", how="left").with_columns(
        nw.col("days").fill_null(0).cast(nw.Int64)
    )


def purchase_days(order_table: nw.LazyFrame) -> nw.LazyFrame:
    """The distinct days (of their first line) on which each customer placed a sale order:
    customer_id, day (unsorted). `order_table` is `orders`."""
    return (
        order_table.filter(nw.col("is_sale"))
        .select("customer_id", nw.col("ordered_at").dt.date().alias("day"))
        .unique()
    )


def period_number(every: str, column: str = "day") -> nw.Expr:
    """The period (week from Monday "1w", month "1mo", quarter "1q") of a Date column as an
    integer, so that "periods since the first purchase" is a subtraction: months year * 12 +
    month - 1, quarters year * 4 + quarter - 1, weeks (days since 1 Jan 1970 + 3) // 7 (that
    day is a Thursday: + 3 puts Mondays on multiples of 7). Integer arithmetic on year and day
    of year, which every backend has."""
    at = nw.col(column)
    year = at.dt.year().cast(nw.Int64)
    if every == "1w":
        before = year - 1
        leap = before // 4 - before // 100 + before // 400 - (1969 // 4 - 1969 // 100 + 1969 // 400)
        epoch_day = (year - 1970) * 365 + leap + at.dt.ordinal_day().cast(nw.Int64) - 1
        return (epoch_day + 3) // 7
    month = at.dt.month().cast(nw.Int64)
    if every == "1q":
        return year * 4 + (month - 1) // 3
    return year * 12 + month - 1


def customer_periods(days: nw.LazyFrame, every: str) -> nw.LazyFrame:
    """Per customer and period of their lines (`period_number`): customer_id, period, orders
    (distinct orders) and revenue. `days` is `order_days`; lines without a customer are left
    out. Orders are counted as the rows of a grouping by order (a missing order id counts as
    one), which every backend runs: narwhals' n_unique casts a boolean PostgreSQL cannot."""
    return (
        days.filter(~nw.col("customer_id").is_null())
        .with_columns(period_number(every).alias("period"))
        .group_by("customer_id", "period", "order_id", drop_null_keys=False)
        .agg(nw.col("revenue").sum())
        .group_by("customer_id", "period")
        .agg(nw.len().cast(nw.Int64).alias("orders"), nw.col("revenue").sum())
    )


def last_time(lines: nw.LazyFrame) -> nw.LazyFrame:
    """One row, one column `last_at`: the time of the latest line."""
    return lines.select(nw.col("ordered_at").max().alias("last_at"))
