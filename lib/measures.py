"""One definition per measure: what counts as a sale, a purchase, revenue, a delivered order."""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time

import narwhals as nw
import polars as pl

from lib import filters, fmt, summaries
from lib.model import Dataset, Note, columns_of, first_occurrences

# Order statuses whose lines are no sale (Olist: the order was cancelled or never available;
# Shopify: the payment was voided, its authorisation expired uncaptured, or refunded in full).
UNSOLD_STATUSES = ("canceled", "cancelled", "unavailable", "voided", "expired", "refunded")
UNSOLD_LINES = "unsold_lines"  # Dataset.extras key: the lines set apart by `split_unsold`
UNCATEGORISED = "uncategorised"  # the category of lines without one, on every page
# Written in a category column, these say "no category" as an empty cell does (any case).
NO_CATEGORY_WORDS = ("uncategorised", "uncategorized")
NO_REGION = "(no region)"  # the region of lines without one, on every page
# Written as a region, these say "no region" as an empty cell does (any case): Online Retail's
# Country "Unspecified" is no place to market in.
NO_REGION_WORDS = ("unspecified", "unknown")


def says_none(column: str, words: Sequence[str]) -> pl.Expr:
    """Whether a text cell names nothing: empty, blank, or one of `words` (in any case). The
    text is read once per distinct value, not per line (a category column of 990k lines holds
    some 70): 0.03 s instead of 0.10 s, on every Categories rerun."""
    values = pl.col(column).unique(maintain_order=True)  # the same order each time it is read
    text = values.str.strip_chars()
    nones = values.filter((text == "") | text.str.to_lowercase().is_in(words)).implode()
    return pl.col(column).is_null() | pl.col(column).is_in(nones)


def category(column: str = "category") -> pl.Expr:
    """A line's category, UNCATEGORISED where it has none: empty, blank, or written as
    NO_CATEGORY_WORDS (a shop's own 'Uncategorized' is no category either)."""
    none = says_none(column, NO_CATEGORY_WORDS)
    return pl.when(none).then(pl.lit(UNCATEGORISED)).otherwise(pl.col(column)).alias(column)


def region(column: str = "region") -> pl.Expr:
    """A line's region, NO_REGION where it has none: empty, blank, or written as
    NO_REGION_WORDS."""
    none = says_none(column, NO_REGION_WORDS)
    return pl.when(none).then(pl.lit(NO_REGION)).otherwise(pl.col(column)).alias(column)


DEFINITIONS = {
    "order": "an order with at least one sale line; an order of returns only (a cancellation "
    "invoice) is no order",
    "revenue": "the sum of line revenue (item price × quantity, freight apart), returns and "
    "cancellations subtracted",
    "purchase": "a sale line of a known customer, with quantity and unit price above zero, "
    "exact duplicate lines once; a cancellation is netted out of the purchase it reverses (its "
    "quantity at that purchase's price, never more than it credits)",
    "customer": "a person with at least one purchase",
    "delivered": "an order with a delivery date and an estimate, whose status (if any) is "
    "delivered and whose dates are possible (an order delivered before its purchase or its "
    "carrier pickup, or promised for a day before its purchase, cannot be judged late or on "
    "time: Data quality counts it)",
    "late": "a delivered order delivered on a day after its estimated day (calendar days: "
    "delivered during the estimated day is on time)",
}
# A purchase on a mapped file: its lines carry line numbers made up for them, so no line repeats
# another exactly (quality.MAPPED_DUPLICATES).
MAPPED_PURCHASE = (
    "a sale line of a known customer, with quantity and unit price above zero, every line of a "
    "mapped file counted, exact repeats too (a repeated row may be a second identical purchase: "
    "Data quality counts them); a cancellation is netted out of the purchase it reverses (its "
    "quantity at that purchase's price, never more than it credits)"
)
# What the statuses of orders that sold nothing say, in words (UNSOLD_STATUSES; a mapped file's
# statuses, lib.formats.generic, also a payment that failed).
UNSOLD_KINDS = "cancelled, unavailable, voided, expired, refunded, failed or suspected-fraud"
UNSOLD_DEFINITION = (
    f"lines of {UNSOLD_KINDS} orders are not sales: every page leaves them out and Data quality "
    "counts them"
)


def definitions(ds: Dataset, *measures: str) -> list[tuple[str, str]]:
    """The definitions behind a page's figures on `ds`, as (measure, definition), and ('', the
    rule for unsold lines) where some were set apart: a mapped file's purchases count every
    line (MAPPED_PURCHASE)."""
    # Imported here: lib.formats imports this module.
    from lib.formats.generic import MADE_UP

    mapped = MADE_UP in ds.extras
    said = [
        (m, MAPPED_PURCHASE if m == "purchase" and mapped else DEFINITIONS[m]) for m in measures
    ]
    return said + ([("", UNSOLD_DEFINITION)] if UNSOLD_LINES in ds.extras else [])


def delivery_terms(ds: Dataset) -> tuple[str, ...]:
    """('delivered', 'late') where `ds`'s orders have delivery and estimated dates, else (): the
    definitions a page of late rates beside other figures quotes (Regions, Categories)."""
    dated = ds.has("orders", "delivered_at", "estimated_delivery_at")
    return ("delivered", "late") if dated else ()


def caption(ds: Dataset, *measures: str) -> str:
    """The definitions behind a page's figures, as one sentence for its caption."""
    parts = [f"**{m}**: {text}" if m else text for m, text in definitions(ds, *measures)]
    return "Definitions. " + "; ".join(parts) + "."


# Revenue within 2% of the period before, either way: flat, neither growing nor shrinking. One
# threshold for every page that calls a region or a category growing.
FLAT = 0.02
# A period with fewer orders than this share of a typical one is thin: the export likely ends or
# starts inside it (Data quality's nearly empty months; Sales reads no trend from it).
THIN = 0.1


def without_lines(ds: Dataset) -> pl.Expr:
    """Where an order of `ds` (its orders table) has no line at all, set apart ones
    (UNSOLD_LINES) included: an Olist order unavailable or cancelled before any item."""
    unsold = ds.extras.get(UNSOLD_LINES)
    named = ds.tables["lines"]["order_id"]
    if unsold is not None:
        named = pl.concat([named, unsold["order_id"]])
    return ~pl.col("order_id").is_in(named.implode())


def no_sale_orders(ds: Dataset) -> dict[str, int]:
    """Orders of `ds` that Sales does not count, by why, as the Data page names them: "set
    apart" (their lines were: UNSOLD_LINES), "without items" (no line at all: an Olist order
    cancelled before any item), "with returns only" (a cancellation invoice) and
    "without a sale line" (lines, none of which sells: free or zero-quantity lines). Reasons
    with no order are left out; empty without an orders table."""
    orders, lines = ds.tables.get("orders"), ds.tables.get("lines")
    if orders is None:
        return {}
    unsold = ds.extras.get(UNSOLD_LINES)
    apart = pl.Series("order_id", [], pl.String) if unsold is None else unsold["order_id"]
    counts = {"set apart": apart.n_unique()}
    if lines is not None:
        counts["without items"] = orders.select(without_lines(ds).sum()).item()
        unsold_orders = (
            lines.lazy()
            .group_by("order_id")
            .agg(
                is_sale(lines).any().alias("sells"), is_return(lines.columns).all().alias("returns")
            )
            .filter(~pl.col("sells") & pl.col("order_id").is_in(orders["order_id"].implode()))
            .collect()
        )
        returns = int(unsold_orders["returns"].sum())
        counts["with returns only"] = returns
        counts["without a sale line"] = unsold_orders.height - returns
    return {why: n for why, n in counts.items() if n}


def count_notes(ds: Dataset) -> dict[str, str]:
    """Per table whose rows the pages count fewer of, what the rest are: "orders" -> "5,940 of
    them no sale: 3,838 with returns only, 2,102 without a sale line" (no_sale_orders),
    "customers" -> "34 of them without a purchase" (customers_without_purchase). The Data page
    and the Overview say it next to their row counts."""
    notes = {}
    reasons = no_sale_orders(ds)
    if len(reasons) == 1:  # "420 of them no sale: 420 set apart" said the number twice
        [(why, n)] = reasons.items()
        notes["orders"] = f"{n:,} of them no sale, {why}"
    elif reasons:
        said = ", ".join(f"{n:,} {why}" for why, n in reasons.items())
        notes["orders"] = f"{sum(reasons.values()):,} of them no sale: {said}"
    idle = customers_without_purchase(ds)
    if idle:
        notes["customers"] = f"{idle:,} of them without a purchase"
    return notes


def deleted_customers(ds: Dataset) -> pl.Series | None:
    """The ids of customers whose account was deleted (the customers table's deleted_at: the web
    shop's users.csv), who cannot be contacted; None when the data does not say."""
    customers = ds.tables.get("customers")
    if customers is None or "deleted_at" not in customers.columns:
        return None
    return customers.filter(pl.col("deleted_at").is_not_null())["customer_id"]


def customers_without_purchase(ds: Dataset) -> int:
    """People in the customers table with no sale line (who never bought, or only returned or
    had orders set apart): the customers table counts them, the pages' customers do not."""
    customers, lines = ds.tables.get("customers"), ds.tables.get("lines")
    if customers is None or "customer_id" not in customers.columns:
        return 0
    if lines is None or "customer_id" not in lines.columns:
        return customers["customer_id"].n_unique()
    # The one column, not the filtered lines: a million lines' copy would take 150 MB.
    bought = lines.select(pl.col("customer_id").filter(is_sale(lines)).drop_nulls().implode())
    return int((~customers["customer_id"].is_in(bought.to_series())).sum())


def is_return(columns: Collection[str]) -> pl.Expr:
    """A line that takes money back (of lines with `columns`): flagged by its format (Online
    Retail's C invoices), or with negative revenue (a generic file may carry returns as negative
    amounts without a flag; Online Retail's bad-debt adjustments)."""
    negative = pl.col("revenue").fill_null(0.0) < 0
    if "is_return" in columns:
        return pl.col("is_return").fill_null(False) | negative
    return negative


def _sells(lines: pl.DataFrame, free: bool = False) -> pl.Expr:
    """Quantity above zero and unit price above zero (at or above zero when `free`), where the
    data has them; a missing value is no evidence against the line."""
    rules = [pl.lit(True)]
    if "quantity" in lines.columns:
        rules.append(pl.col("quantity").fill_null(1.0) > 0)
    if "unit_price" in lines.columns:
        price = pl.col("unit_price").fill_null(1.0)
        rules.append(price >= 0 if free else price > 0)
    return pl.all_horizontal(rules)


def is_sale(lines: pl.DataFrame) -> pl.Expr:
    """A line that sells something: no return, and quantity and unit price above zero where the
    data has them (a free line or a bad-debt adjustment sells nothing)."""
    return ~is_return(lines.columns) & _sells(lines)


def split_unsold(ds: Dataset) -> Dataset:
    """The data set whose `lines` are sales only: sale lines of orders with an unsold status (see
    UNSOLD_STATUSES) move to `extras[UNSOLD_LINES]`, with a note saying how many. Return lines
    stay (a cancellation invoice is a return that nets out the purchase it reverses)."""
    lines, orders = ds.tables.get("lines"), ds.tables.get("orders")
    if lines is None or orders is None or "status" not in orders.columns:
        return ds
    unsold = orders.filter(pl.col("status").str.to_lowercase().is_in(UNSOLD_STATUSES))["order_id"]
    if unsold.len() == 0:
        return ds
    out = pl.col("order_id").is_in(unsold.implode()) & ~is_return(lines.columns)
    apart = lines.filter(out)
    if apart.height == 0:
        return ds
    note = Note(
        file="orders",
        column="status",
        message=unsold_message(apart, UNSOLD_KINDS),
        count=apart.height,
        rows=lines.height,
    )
    earlier = ds.extras.get(UNSOLD_LINES)  # a mapped file's, set apart by their own status
    if earlier is not None:
        apart = pl.concat([earlier, apart])
    return replace(
        ds,
        tables={**ds.tables, "lines": lines.filter(~out)},
        extras={**ds.extras, UNSOLD_LINES: apart},
        notes=(*ds.notes, note),
    )


def unsold_message(apart: pl.DataFrame, kind: str = "", whose: str = "") -> str:
    """What a note says of the lines set apart as unsold: '12 lines of 5 cancelled, unavailable,
    voided, expired, refunded, failed or suspected-fraud orders are not sales: ...' (`kind` before
    'orders', `whose` after)."""
    n = apart["order_id"].n_unique()
    orders = " ".join(filter(None, (f"{n:,}", kind, fmt.plural(n, "order"), whose)))
    one = apart.height == 1
    return (
        f"{fmt.counted(apart.height, 'line')} of {orders} "
        + ("is no sale: it is" if one else "are not sales: they are")
        + " left out of every page's revenue, orders and customers"
    )


def only_unsold(ds: Dataset) -> str:
    """Why `ds` has no order line although its files hold some: every line read belongs to an
    order of an unsold status (split_unsold set them apart), in words; '' otherwise."""
    apart = ds.extras.get(UNSOLD_LINES)
    if apart is None or apart.height == 0 or ds.has("lines"):
        return ""
    return (
        f"all {apart.height:,} order lines belong to {UNSOLD_KINDS} orders "
        f"({apart['order_id'].n_unique():,} orders), which are not sales: there is no sale to "
        "analyse"
    )


def as_recorded(ds: Dataset) -> Dataset:
    """The data set with every line its files hold (what Data quality inspects)."""
    apart = ds.extras.get(UNSOLD_LINES)
    if apart is None:
        return ds
    return ds.with_tables(lines=pl.concat([ds.tables["lines"], apart]))


def recorded_delivery(orders: pl.DataFrame) -> pl.Expr:
    """An order recorded as delivered: delivery date and estimate present, status delivered
    when known (whether or not its dates are possible)."""
    done = pl.col("delivered_at").is_not_null() & pl.col("estimated_delivery_at").is_not_null()
    if "status" in orders.columns:
        done = done & (pl.col("status").is_null() | (pl.col("status") == "delivered"))
    return done


def impossible_date_rules(orders: pl.DataFrame) -> dict[str, pl.Expr]:
    """Delivery dates that cannot all be true, by the Data quality rule that counts them (null
    where a date to compare is missing), for the columns `orders` has: delivered before the
    purchase or before the carrier pickup, or an estimate on a day before the purchase day (an
    estimate is a day: Olist's are at midnight, so one on the purchase day is possible)."""
    cols = set(orders.columns)
    rules = {}
    if {"delivered_at", "ordered_at"} <= cols:
        rules["delivered_before_purchase"] = pl.col("delivered_at") < pl.col("ordered_at")
    if {"delivered_at", "shipped_at"} <= cols:
        rules["delivered_before_pickup"] = pl.col("delivered_at") < pl.col("shipped_at")
    if {"estimated_delivery_at", "ordered_at"} <= cols:
        estimate = pl.col("estimated_delivery_at").dt.date()
        rules["estimate_before_purchase"] = estimate < pl.col("ordered_at").dt.date()
    return rules


def impossible_dates(orders: pl.DataFrame) -> pl.Expr:
    """Whether any of an order's delivery dates is impossible (impossible_date_rules)."""
    rules = impossible_date_rules(orders).values()
    return pl.any_horizontal(pl.lit(False), *(r.fill_null(False) for r in rules))


def delivered(orders: pl.DataFrame) -> pl.Expr:
    """A delivered order: recorded as delivered, with possible dates (an impossible date
    leaves nothing to judge it late or on time by)."""
    return recorded_delivery(orders) & ~impossible_dates(orders)


def days_late() -> pl.Expr:
    """Calendar days from the estimated day to the delivery day (negative = early; 0 = on the
    estimated day). An estimate is a day: Olist's sit at midnight, and a delivery during that
    day keeps the promise (reviewed as on time: 4.02 stars on 72 such Olist orders, 4.28 before
    the day, 2.18 on a later day)."""
    delivered, estimate = (
        pl.col("delivered_at").dt.date(),
        pl.col("estimated_delivery_at").dt.date(),
    )
    return (delivered - estimate).dt.total_days().cast(pl.Float64)


def late() -> pl.Expr:
    """Delivered on a day after the estimated one (days_late above 0; only meaningful among
    delivered orders)."""
    return days_late() > 0


def excess_late(delivered: str, average: float) -> pl.Expr:
    """Late orders above what the `average` late rate gives a group's `delivered` orders (a
    column): how many late orders it adds, which ranks the groups to fix first on the
    Delivery page and the regions late beyond chance on Regions."""
    return pl.col("late_orders") - pl.col(delivered) * average


def top_count(n: int, share: float) -> int:
    """How many of `n` customers make the top `share` (0.1: "the top 10%"): rounded, at least
    one. One rule for every page that names its top customers (4,338 customers: 434)."""
    return max(1, round(n * share))


# Top customers are worth putting first when they hold at least this many times their share of
# the customers (the top 10%: 20% of the value or more); nearer their headcount share, value is
# spread evenly and no small group stands out.
CONCENTRATED = 2.0


# Fewer customers than this are a handful: named to look at one by one, never a group to plan on.
HANDFUL = 5


def handful_advice(n: int, advice: str, few: int = HANDFUL) -> str:
    """`advice` for a group of `n` customers, or, below `few` (a campaign may ask more than
    HANDFUL), what a handful allows (handful_words)."""
    return advice if n >= few else handful_words(n)


def handful_words(n: int) -> str:
    """What `n` customers known to be a handful allow: 'look at that customer' or 'look at them
    one by one'."""
    return "look at that customer" if n == 1 else "look at them one by one"


def stands_out(value_share: float, top: int, n: int) -> bool:
    """Whether the `top` of `n` customers, holding `value_share` (0..1) of the value, hold
    enough more than their headcount for advice to put them first (CONCENTRATED)."""
    return value_share >= CONCENTRATED * top / n


def freight_share(freight: pl.Expr, goods: pl.Expr) -> pl.Expr:
    """The share of what customers paid that went to freight: freight over goods + freight
    (sums of a group's orders), null when nothing was paid."""
    total = freight + goods
    return pl.when(total > 0).then(freight / total)


# Reasons Purchases.dropped names, which pages word as they need.
NO_CUSTOMER, RETURN, DUPLICATE = "no customer id", "cancellation or return", "exact duplicate line"
NOT_SOLD = "zero or negative quantity or unit price"
NOT_SOLD_FREE = "zero or negative quantity, or negative unit price"  # free purchases counted


@dataclass(frozen=True)
class Purchases:
    """The lines that count as purchases of known customers, and what was left out.

    `lines`: the requested columns of the kept lines in their original order, `revenue` net of
    the cancellations matched to them (a line cancelled in full keeps its row with revenue 0, so
    order counts and recency follow the published recipes).
    `dropped`: reason, lines, revenue (what the dropped lines carried), one row per reason.
    `matched` / `unmatched`: cancellation lines of known customers tied to the purchase they
    reverse, and those with no earlier purchase of the same item to tie to; `repeated_returns`:
    exact repeats of one of those lines, which count once (in neither).
    `repeats`: exact repeats of an earlier line among all the lines cleaned (of any customer or
    none, any kind), as Data quality counts them.
    """

    lines: pl.DataFrame
    dropped: pl.DataFrame
    matched: int
    unmatched: int
    matched_revenue: float
    repeats: int = 0
    repeated_returns: int = 0


PURCHASE_COLUMNS = (
    "order_id",
    "customer_id",
    "ordered_at",
    "revenue",
    "item_id",
    "quantity",
    "unit_price",
)
# The columns of a purchase order (purchase_orders).
ORDER_COLUMNS = ("order_id", "customer_id", "ordered_at", "revenue")
# What purchases are cleaned from once exact duplicates are judged over the whole lines.
JUDGED_COLUMNS = (*PURCHASE_COLUMNS, "is_return")


def before(lines: pl.DataFrame, day: date | None) -> pl.DataFrame:
    """The lines placed before `day` (None: every line): the data as it stood that day, so that
    a figure as of a day learns nothing after it (a cancellation a month later does not net out
    of a purchase made before the day, as it would cleaning every line). `lines` itself when
    every dated line is before `day`, so that the cleaning of the whole lines is shared."""
    if day is None:
        return lines
    last = lines["ordered_at"].max()
    if last is None or last < datetime.combine(day, time.min):
        return lines
    return lines.filter(filters.before(day))


def placed_before(lines: pl.DataFrame, day: date) -> int:
    """How many lines `before` keeps, counted without copying them."""
    return int(lines.select(filters.before(day).sum()).item())


def customer_purchases(
    lines: pl.DataFrame, columns: tuple[str, ...] = PURCHASE_COLUMNS, free: bool = False
) -> Purchases:
    """Purchases as the published Online Retail analyses clean them: lines without a customer,
    returns and cancellations, exact duplicate lines (first kept) and lines whose quantity or
    unit price is zero or negative (when the data has them) are left out. A cancellation of a
    known customer is then matched to the latest purchase of the same customer and item (the
    customer's latest purchase when there are no items) at or before it, and takes back its
    quantity's (or amount's) share of that purchase's revenue, no more than it credits, never
    below zero.

    With `free`, lines with a unit price of 0 count too (the purchase models count a free
    purchase as a purchase; the published recipes, and so every other page, do not).

    `lines` must be whole lines (exact duplicates are judged over all their columns); `lines`
    of the result holds those of `columns` the input has. The cleaning runs once for the
    latest `lines` (per `free`): the analyses of one data set (RFM, cohorts and their churn
    window, movement...) share it, each taking its own columns.
    """
    cleaned = _cleaned(lines, free)
    return replace(cleaned, lines=_gathered(lines, cleaned.lines, columns))


def purchase_orders(lines: pl.DataFrame, day: date | None = None) -> pl.DataFrame:
    """The purchases (customer_purchases) as one row per order: order_id, customer_id,
    ordered_at (its first line), revenue (net of matched cancellations). `day`: of the lines
    placed before that day, as they stood then (`before`: a cancellation after it takes
    nothing back); None: of every line. What segment movement, the churn window and lateness
    read."""
    bought = customer_purchases(before(lines, day), ORDER_COLUMNS).lines
    return (
        bought.lazy()
        .group_by("order_id")
        .agg(
            pl.col("customer_id").first(),
            pl.col("ordered_at").min(),
            pl.col("revenue").sum(),
        )
        .collect()
    )


def _gathered(lines: pl.DataFrame, kept: pl.DataFrame, columns: tuple[str, ...]) -> pl.DataFrame:
    """The kept rows of `lines` (`kept`: their `_row` and net `revenue`), with those of
    `columns` that `lines` has, revenue net."""
    present = [c for c in columns if c in lines.columns]
    # Gathered by row: one chunk per column (a filter would leave the lines' many chunks).
    picked = lines.select(pl.col(present).gather(kept["_row"]))
    if "revenue" in present:
        picked = picked.with_columns(kept["revenue"])
    return picked


# A column of lines whose exact duplicates were judged already, over the whole lines: True for
# each line's first occurrence (first_occurrences). Lines that carry it may leave out the columns
# no measure reads (item names, regions), which a big file's share then need not hold.
FIRST = "_first"


def judged_lines(lines: pl.DataFrame) -> pl.DataFrame:
    """`lines` (whole) narrowed to the columns purchase_rows reads, with FIRST: the wider text
    goes as soon as the duplicates are found (1M lines: 27 of their 71 MB). FIRST is cut as the
    other columns are (a share read in parts): a frame whose columns are cut apart is copied
    whole into one part by the next operation that needs them alike."""
    first = first_occurrences(lines).alias(FIRST)
    if lines.width and lines.n_chunks() > 1:
        lengths = lines.to_series(0).chunk_lengths()
        starts = itertools.accumulate(lengths[:-1], initial=0)
        parts = [first.slice(start, n) for start, n in zip(starts, lengths, strict=True)]
        first = pl.concat(parts, rechunk=False)
    return columns_of(lines, *JUDGED_COLUMNS).with_columns(first)


def purchase_rows(lines: pl.DataFrame, free: bool = False) -> pl.DataFrame:
    """The lines customer_purchases keeps, as their row numbers in `lines` (`_row`, ascending)
    and net `revenue`, for lines read once (a share of a big file's customers): not kept for
    the next call, nor replacing the lines kept last. `lines` whole, or judged_lines."""
    return _clean(lines, free).lines


def purchase_lines(lines: pl.DataFrame, columns: tuple[str, ...], free: bool = False) -> Purchases:
    """customer_purchases(lines, columns, free) for lines read once, as purchase_rows: not kept
    for the next call."""
    cleaned = _clean(lines, free)
    return replace(cleaned, lines=_gathered(lines, cleaned.lines, columns))


# The lines cleaned last, per `free`, latest first (weak references: they never keep a data set
# alive), and their Purchases with lines holding the kept rows' numbers and net revenue. Two:
# a data set's lines and those before an as-of date (before) are cleaned in turn.
_LAST: dict[bool, list[tuple[weakref.ref[pl.DataFrame], Purchases]]] = {}
_KEPT = 2


def _cleaned(lines: pl.DataFrame, free: bool) -> Purchases:
    """customer_purchases of `lines` with, as lines, their kept row numbers (`_row`, ascending)
    and net revenue: computed once for the latest lines."""
    kept = _LAST.setdefault(free, [])
    for ref, cleaned in kept:
        if ref() is lines:
            return cleaned
    cleaned = _clean(lines, free)
    kept[:] = [(weakref.ref(lines), cleaned), *(k for k in kept if k[0]() is not None)][:_KEPT]
    return cleaned


def _clean(lines: pl.DataFrame, free: bool) -> Purchases:
    """_cleaned, computed."""
    # Duplicates are judged over whole lines, once: every other rule looks at one line at a time,
    # so a duplicate's first occurrence is kept exactly when its repeats would be.
    first = lines[FIRST] if FIRST in lines.columns else first_occurrences(lines)
    frame = columns_of(lines, *JUDGED_COLUMNS).with_columns(
        is_return(lines.columns).alias("_return"),
        first.alias("_first"),
        pl.int_range(pl.len()).alias("_row"),
    )
    steps = [
        (NO_CUSTOMER, pl.col("customer_id").is_not_null()),
        (RETURN, ~pl.col("_return")),
        (DUPLICATE, pl.col("_first")),
        (
            NOT_SOLD_FREE if free else NOT_SOLD,
            _sells(frame, free),
        ),
    ]
    counts, keep = [], pl.lit(True)
    for reason, rule in steps:
        counts.append(
            frame.lazy()
            .filter(keep & ~rule)
            .select(
                pl.lit(reason).alias("reason"),
                pl.len().cast(pl.Int64).alias("lines"),
                pl.col("revenue").fill_null(0.0).sum().alias("revenue"),
            )
        )
        keep = keep & rule
    dropped = pl.concat(pl.collect_all(counts))  # before the kept lines exist: a lower peak
    # Only the kept lines' numbers and revenue: customer_purchases gathers the other columns an
    # analysis asks for, and the netting reads its own from the few purchases it can match.
    kept = frame.select(pl.col("_row").filter(keep), pl.col("revenue").filter(keep).fill_null(0.0))
    wanted = [c for c in _NETTING if c in frame.columns]
    # A cancellation line repeated exactly is one cancellation, as a repeated sale is one sale.
    cancelling = pl.col("_return") & pl.col("customer_id").is_not_null()
    returns = frame.lazy().filter(cancelling & pl.col("_first")).select(wanted).collect()
    # A cancellation takes money back from a priced purchase, never from a free one (which the
    # purchase models keep: a free line at the same time would otherwise absorb it).
    priced = keep & (pl.col("revenue").fill_null(0.0) > 0)
    net, matched, matched_revenue = _netted(
        frame.lazy().filter(priced).select(wanted), kept, returns
    )
    return Purchases(
        lines=kept.with_columns(net),
        dropped=dropped,
        matched=matched,
        unmatched=returns.height - matched,
        matched_revenue=matched_revenue,
        repeats=frame.height - int(frame["_first"].sum()),
        repeated_returns=int(frame.select(cancelling.sum()).item()) - returns.height,
    )


_NETTING = ("customer_id", "item_id", "ordered_at", "quantity", "revenue", "_row")


def _netted(
    purchases: pl.LazyFrame, kept: pl.DataFrame, returns: pl.DataFrame
) -> tuple[pl.Series, int, float]:
    """Net revenue of each kept line (`kept`: _row and revenue of `purchases`, the kept lines
    with the netting's columns), cancellation lines matched, revenue they took back."""
    revenue = kept["revenue"]
    if returns.height == 0 or kept.height == 0:
        return revenue, 0, 0.0
    # A cancellation takes back its share of the purchase of the same item (of the customer's
    # latest purchase when the data has no items), by quantity where the data has one, never
    # more than it credits (summaries.SHARE).
    items = "item_id" in returns.columns
    size = "quantity" if items and "quantity" in returns.columns else "revenue"
    keys = ["customer_id", "item_id"] if items else ["customer_id"]
    cancelled = returns.select(
        *keys,
        "ordered_at",
        pl.col(size).abs().alias("_back"),
        pl.col("revenue").abs().alias("_credit"),
    ).drop_nulls([*keys, "ordered_at", "_back"])
    # Only purchases of a customer and item with a cancellation can be matched: the others are
    # left out before the sort (order kept, so that ties resolve as among all purchases).
    bought = (
        # First a cheap test on the customer alone (a number in most exports).
        purchases.filter(pl.col("customer_id").is_in(cancelled["customer_id"].unique().implode()))
        .select(
            *keys,
            "ordered_at",
            "_row",
            pl.col(size).abs().alias("_size"),
            pl.col("revenue").alias("_paid"),
        )
        .drop_nulls()
        .join(cancelled.lazy().select(keys).unique(), on=keys, how="semi", maintain_order="left")
        .sort("ordered_at", maintain_order=True)
        .collect()
    )
    cancelled = (
        cancelled.sort("ordered_at")
        .join_asof(bought, on="ordered_at", by=keys, strategy="backward", check_sortedness=False)
        .filter(pl.col("_row").is_not_null())
    )
    if cancelled.height == 0:
        return revenue, 0, 0.0
    share = nw.from_native(cancelled).group_by("_row").agg(summaries.SHARE).to_native()
    # The kept rows ascend: each matched purchase is found by a binary search.
    at = kept["_row"].search_sorted(share["_row"])
    net = revenue.clone().scatter(at, revenue.gather(at) * share["_share"]).alias("revenue")
    return net, cancelled.height, float(revenue.sum() - net.sum())
