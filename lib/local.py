"""A big local folder of order lines as a data set the app opens: the lines are summarised once,
a share of the customers at a time (lib/engines.py, cleaned by lib/measures.py), into a few rows
per order, and the summary is kept in a cache folder so that the next start opens in seconds.

The app is given the folder when it starts (`streamlit run streamlit_app.py -- exports/`, or
STORELENS_DATA), never by a visitor: a deployed app reads no server path from a page.

The summary is the data set's `lines`, a few rows per order and customer (the lines of an
order without a customer are its customer "none"), such that every customer and sales page gives
the figures of the whole lines loaded in memory:

- the purchase row (a customer's orders with a purchase: a sale line): revenue net of the
  cancellations matched to it and exact duplicates once, as measures.customer_purchases counts
  them, quantity its units, ordered_at its first purchase line;
- the free row (only for the few customers with a free line, a unit price of 0): what the
  purchases with free lines (clv.purchase_lines counts them) add to the order, unit_price 0 so
  that only the purchase models count it;
- the rest row (only where the customer's lines of the order hold more than these: returns,
  duplicates, cancellation invoices, and every line without a customer): revenue and units of
  those lines less the rows above, flagged a return unless they had a sale line and no purchase
  row. Its item_id is null, so that the pages' cancellation matching (by customer and item)
  never takes it for a cancellation to net again.

Summed per order they give Sales' order table (revenue and units net, any sale line); the pages'
cleaning keeps exactly the purchase rows (and the free rows, with free purchases). Beside them,
the same engine sums the lines into Sales' item cube (sales.item_cube: per item and day), a part
at a time, so the item ranking is that of the lines. What they cannot give (summarised tells
the pages and the command line, which leave it out and say so): items per order (Categories stay
off; the revenue bridge splits returning customers into buying more and less, as for order
totals), counts of lines (basket sizes in lines) and what a customer returned (Clusters' return
share: each purchase is net of its cancellations). Instead, each share counts what Data quality
finds on its lines as it reads them (quality.LINE_CHECKS): Data quality, Lifetime value's checks
and the captions on lines left out read those counts.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import narwhals as nw
import polars as pl

from lib import engines, io, measures, quality, summaries
from lib.analyses import sales
from lib.model import Dataset, Note, conform

FORMAT = "folder"  # the source_format of a summarised folder
# What a summary cannot do that the lines can: figures as they stood at an earlier day.
LOOK_AHEAD = (
    "This folder is summarised per order, each purchase net of every cancellation matched to "
    "it: at an earlier date its figures also net cancellations made after it. Load the files "
    "themselves for the figures as they stood then."
)
DATA_ENV = "STORELENS_DATA"  # the folder (or glob, or files, os.pathsep between them) to open
CACHE_ENV = "STORELENS_CACHE"  # where summaries are kept (default ~/.cache/storelens)
# Bumped whenever the summary's rows or columns change: older cached summaries are then unused.
# 5: a repeated cancellation line cancels once; 6: the lines left out
VERSION = 6  # 2: the item cube; 3: rows per order and customer; 4: the lines' checks
SUFFIX = ".parquet"
# A rest row is written only when the order's lines differ from its purchases by more than this
# (sums of the same amounts in another order differ in their last digits).
EPSILON = 1e-6

# Lines summarised in one share of the customers (or part of the orders) at most: a share's
# memory grows with its lines. 100M generated lines in shares of 5M, 10M and 16M lines took 167,
# 130 and 122 s and peaked at 3.5, 4.3 and 5.2 GB (the item cube's sums are most of the rest).
PART_LINES = 10_000_000

Progress = Callable[[str], None]
_NO_PRICE = nw.lit(None, nw.Float64).alias("unit_price")


def _quiet(_: str) -> None:
    """Progress nobody reads."""


def cache_dir() -> Path:
    """The folder the summaries are kept in: STORELENS_CACHE, else ~/.cache/storelens."""
    chosen = os.environ.get(CACHE_ENV)
    return Path(chosen).expanduser() if chosen else Path.home() / ".cache" / "storelens"


def configured(args: Sequence[str]) -> tuple[str, ...]:
    """The paths to open: the app's command-line arguments, else STORELENS_DATA (several
    separated by os.pathsep); empty when neither is given."""
    if args:
        return tuple(args)
    return tuple(p for p in os.environ.get(DATA_ENV, "").split(os.pathsep) if p)


@dataclass(frozen=True)
class Folder:
    """The files behind `paths`, and what keys their summary: the files' paths, sizes and
    modification times and VERSION (`key`), under a name per set of paths (`stem`)."""

    paths: tuple[str, ...]
    files: tuple[Path, ...]
    bytes: int
    stem: str
    key: str
    left_out: tuple[Path, ...] = ()  # files beside them that are not read (engines.left_out)

    @property
    def name(self) -> str:
        """What the data set is called: the folder's (or pattern's, or file's) name."""
        names = [Path(p.rstrip("/\\")).name or p for p in self.paths]
        return ", ".join(names)

    @property
    def summary(self) -> Path:
        return cache_dir() / f"{self.stem}-{self.key}{SUFFIX}"

    @property
    def facts(self) -> Path:
        return self.summary.with_suffix(".json")

    @property
    def items(self) -> Path:
        return self.summary.with_suffix(".items.parquet")

    def describe(self) -> str:
        kinds = sorted({(engines.kind_of(f) or f.suffix).lstrip(".") for f in self.files})
        count = len(self.files)
        unread = f"; {engines.left_out_note(self.left_out)}" if self.left_out else ""
        return (
            f"{count:,} {' and '.join(kinds)} file{'s' if count != 1 else ''} "
            f"({io.size_text(self.bytes)}{unread})"
        )


def folder(paths: Sequence[str]) -> Folder:
    """The parquet and CSV files `paths` name (engines.files_of), keyed for the cache, and the
    files beside them left out (engines.left_out). Raises ValueError when there are none."""
    files = engines.files_of(paths)
    stats = [f.stat() for f in files]
    where = [p if glob.has_magic(p) else str(Path(p).resolve()) for p in paths]
    stem = hashlib.sha256(repr(where).encode()).hexdigest()[:12]
    content = [
        (str(f.resolve()), s.st_size, s.st_mtime_ns) for f, s in zip(files, stats, strict=True)
    ]
    key = hashlib.sha256(repr((VERSION, content)).encode()).hexdigest()[:16]
    unread = tuple(engines.left_out(paths))
    return Folder(tuple(paths), tuple(files), sum(s.st_size for s in stats), stem, key, unread)


def order_rows(
    source: engines.Source, parts: int = 1, progress: Progress = _quiet
) -> tuple[pl.DataFrame, pl.DataFrame | None, pl.DataFrame | None]:
    """The purchase and rest rows of every order of `source`'s lines (see the module's
    docstring), with the canonical line columns they fill and `_lines`, the lines read; Sales'
    item cube of the lines (sales.item_cube), computed alongside by the same engine (None
    without items); and what Data quality counts on the lines (quality.LINE_CHECKS; None for
    lines in a database).

    Files (polars) are read `parts` shares of the customers at a time, into memory (_in_shares).
    Lines in a database, and files whose orders _in_shares finds split, are summarised lazily:
    with `parts` above 1 the lines are first written, once, to temporary parquet files, one per
    share of the orders (by a hash of the order id), and each share is summarised apart: the
    exact-duplicate check holds every distinct line it reads in memory. An exact duplicate has
    its original's order id, so each share's orders are whole."""
    if source.engine == "polars" and source.share is not None:
        found = _in_shares(source, parts, progress)
        if found is not None:
            return found
        progress(
            "Some orders hold lines of several customers, or with and without one: summarising "
            "again by order…"
        )
    # A missing order id groups as one order, as the pages' group-bys do; "" keeps it one key.
    lines = source.lines.with_columns(nw.col("order_id").fill_null(""))
    if parts == 1:
        checks = _counted_by_order(lines, [lines], source.engine)
        return (*_order_rows(lines, [lines], source, progress), checks)
    with tempfile.TemporaryDirectory(prefix="storelens-") as folder:
        progress(f"Splitting the lines into {parts} parts by order (temporary files)…")
        share = pl.col("order_id").hash() % parts
        split = pl.PartitionBy(folder, key={"_part": share}, include_key=False)
        lines.to_native().sink_parquet(split, mkdir=True)
        pieces = [
            pl.scan_parquet(d, hive_partitioning=False) for d in sorted(Path(folder).iterdir())
        ]
        every = summaries.lazy(pl.concat(pieces))
        parted = [summaries.lazy(p) for p in pieces]
        checks = _counted_by_order(every, parted, source.engine)
        return (*_order_rows(every, parted, source, progress), checks)


def _in_shares(
    source: engines.Source, n: int, progress: Progress
) -> tuple[pl.DataFrame, pl.DataFrame | None, pl.DataFrame] | None:
    """order_rows of files, read n shares of the customers at a time into memory, each with
    the lines without a customer whose order hashes to it (engines.Source.share): a share's
    purchases are measures.customer_purchases' own (row hashes sorted on every core, where
    the lazy definition groups whole lines). None when an order's lines are in two shares
    (lines of customers of two shares, or with and without a customer): the item cube counts
    an order's cells once, which shares summed apart cannot."""
    names = [c for c in source.lines.collect_schema().names() if c != summaries.LINE]
    priced = "unit_price" in names
    bought, whole, free, checks = [], [], [], []
    quantities = None  # the shares' counts of each absolute quantity so far (_quantities)
    cells = counted = None
    engine = source.engine  # polars' streaming engine, on the shares in memory too
    for k in range(n):
        if n > 1:
            progress(_netting(names, f"share {k + 1} of {n} of the customers"))
        frame = engines.in_order(engines.collect(source.share(n, k, orphans=True), engine))
        frame = frame.with_columns(pl.col("order_id").fill_null(""))
        lines = summaries.lazy(frame.lazy())
        per_order, counted_lines = _bought(frame, names, engine)
        bought.append(per_order)
        checks.append(counted_lines)
        if "quantity" in names:
            quantities = _quantities(frame, quantities)
        whole.append(engines.collect(_whole(lines, names), engine))
        if priced:
            theirs = lines.join(_free_buyers(lines, names), on="customer_id", how="semi")
            bought_free = measures.purchase_lines(engines.collect(theirs, engine), _PURCHASED, True)
            free.append(engines.collect(_per_order(_lazy(bought_free), _units(names)), engine))
        if "item_id" in names:
            cells, counted = _item_sums(lines, cells, counted, engine)
    if pl.concat([w["order_id"].unique() for w in whole]).is_duplicated().any():
        return None
    return *_assembled(
        names,
        _as_text(bought),
        _as_text(whole),
        _as_text(free) if priced else None,
        sums=(cells, counted),
        source=engines.Source(source.lines, "memory"),
        progress=progress,
    ), pl.concat(checks).sum().with_columns(_extremes(quantities))


def _bought(
    frame: pl.DataFrame, names: list[str], engine: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The purchases per order of a share's lines (_per_order), and what Data quality counts on
    them (_checked); the purchase lines themselves are not kept."""
    paid = measures.purchase_lines(frame, _PURCHASED)
    return engines.collect(_per_order(_lazy(paid), _units(names)), engine), _checked(frame, paid)


def _counted_by_order(
    lines: nw.LazyFrame, pieces: list[nw.LazyFrame], engine: str
) -> pl.DataFrame | None:
    """_checked of lines summarised by order, whose orders are each whole in one of `pieces`:
    every rule over all the lines, exact repeats piece by piece, cancellations netted as
    cancellation_shares nets them. Files read by polars only (None for a database's lines)."""
    if engine != "polars":
        return None
    native = lines.to_native().drop(summaries.LINE)
    names = native.collect_schema().names()
    counts = native.select(_rule_counts(names)).collect(engine="streaming")
    wholes = [piece.to_native().drop(summaries.LINE) for piece in pieces]
    repeats = sum(
        w.select(pl.len()).collect().item() - w.unique().select(pl.len()).collect().item()
        for w in wholes
    )
    netted = engines.collect(summaries.netted(lines), engine)
    extremes = _extremes(_quantities(native)) if "quantity" in names else []
    return pl.concat([counts, netted], how="horizontal").with_columns(
        pl.lit(repeats, pl.Int64).alias("duplicate_rows"), *extremes
    )


def _quantities(
    frame: pl.DataFrame | pl.LazyFrame, before: pl.DataFrame | None = None
) -> pl.DataFrame:
    """How many lines of `frame` have each absolute quantity (q, n), added to `before`'s."""
    counts = (
        frame.select(pl.col("quantity").abs().alias("q")).group_by("q").agg(pl.len().alias("n"))
    )
    if isinstance(counts, pl.LazyFrame):
        counts = counts.collect(engine="streaming")
    counts = counts.drop_nulls("q").cast({"n": pl.Int64})
    if before is None:
        return counts
    return pl.concat([before, counts]).group_by("q").agg(pl.col("n").sum())


def _extremes(counts: pl.DataFrame | None = None) -> list[pl.Expr]:
    """The extreme_quantity rule on the lines whose absolute quantities `counts` counts
    (_quantities): its count and threshold, from their median as Data quality takes it in
    memory (the mean of the two middle values of an even count). Nothing without quantities."""
    if counts is None:
        return []
    counts = counts.sort("q")
    total = counts["n"].sum()
    ranks = counts["n"].cum_sum()
    picked = {(total - 1) // 2, total // 2} if total else set()
    middle = [counts["q"][ranks.search_sorted(k + 1)] for k in picked]
    limit = quality.extreme_limit(sum(middle) / len(middle) if middle else 0.0)
    return [
        pl.lit(counts.filter(pl.col("q") > limit)["n"].sum(), pl.Int64).alias("extreme_quantity"),
        pl.lit(limit, pl.Float64).alias("extreme_limit"),
    ]


def _rule_counts(columns: Sequence[str]) -> list[pl.Expr]:
    """The lines, and how many break each of Data quality's rules on single lines."""
    rules = quality.line_rules(columns)
    return [
        pl.len().cast(pl.Int64).alias("lines"),
        *(rule.fill_null(value=False).sum().cast(pl.Int64).alias(r) for r, rule in rules.items()),
    ]


def _checked(frame: pl.DataFrame, paid: measures.Purchases) -> pl.DataFrame:
    """What Data quality counts on a share's lines (`paid`: their purchases), one row
    (quality.LINE_CHECKS): every line is in one share, and an exact repeat in its original's."""
    return frame.select(
        *_rule_counts(frame.columns),
        pl.lit(paid.repeats, pl.Int64).alias("duplicate_rows"),
        pl.lit(paid.matched, pl.Int64).alias("matched"),
        pl.lit(paid.unmatched, pl.Int64).alias("unmatched"),
        pl.lit(paid.repeated_returns, pl.Int64).alias("repeated_returns"),
    )


def _netting(names: list[str], step: str) -> str:
    """The progress message of one share or part of the lines."""
    also = ", summing items" if "item_id" in names else ""
    return f"Netting cancellations and exact duplicates{also}: {step}…"


def _as_text(parts: list[pl.DataFrame]) -> nw.LazyFrame:
    """Per-order parts of shares, stacked, their customer ids as text (engines.as_text)."""
    return engines.as_text(summaries.lazy(pl.concat(parts).lazy()))


# The columns of a share's purchases (measures.purchase_lines) that _per_order reads.
_PURCHASED = ("order_id", "customer_id", "ordered_at", "revenue", "quantity")


def _lazy(bought: measures.Purchases) -> nw.LazyFrame:
    """The purchase lines of a share, revenue net, for _per_order."""
    return summaries.lazy(bought.lines.lazy())


def _units(names: list[str]) -> nw.Expr:
    """A purchase line's units (summaries.line_units of a line that is no return, at a price):
    its quantity (1 when missing); without quantities 1 when it names an item, none for an
    order's total."""
    if "quantity" in names:
        return nw.col("quantity").fill_null(1.0)
    return nw.lit(1.0 if "item_id" in names else None, nw.Float64)


def _whole(lines: nw.LazyFrame, names: list[str]) -> nw.LazyFrame:
    """Every line of each order and customer (none included) summed as Sales' order table sums
    an order's (revenue and units net, any sale line), its lines counted."""
    return (
        lines.with_columns(
            summaries.line_units(names).alias("_units"),
            nw.col("revenue").fill_null(0.0),
            summaries.is_sale(names).alias("_sale"),
        )
        .group_by("order_id", "customer_id")
        .agg(
            nw.col("ordered_at").min(),
            nw.col("revenue").sum(),
            nw.col("_units").sum(),
            nw.col("_sale").max(),
            nw.len().alias("_lines"),
            *([nw.col("region").min()] if "region" in names else []),
        )
    )


def _item_sums(
    lines: nw.LazyFrame, cells: pl.DataFrame | None, counted: pl.DataFrame | None, engine: str
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """sales.item_sums of `lines`, added to those of the parts before."""
    part_cells, part_names = sales.item_sums(lines)
    cells = _added(cells, engines.collect(part_cells, engine))
    if part_names is not None:
        counted = _added(counted, engines.collect(part_names, engine))
    return cells, counted


def _order_rows(
    lines: nw.LazyFrame, pieces: list[nw.LazyFrame], source: engines.Source, progress: Progress
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """order_rows of `lines`, lazily, whose orders are each whole in one of `pieces`."""
    names = [n for n in lines.collect_schema().names() if n != summaries.LINE]
    items = "item_id" in names
    cells = counted = None  # the item cube's sums so far (sales.item_sums), part by part
    units = _units(names)
    progress("Matching cancellations to the purchases they reverse…")
    shares = engines.materialised(summaries.cancellation_shares(lines), source, "shares")
    bought_parts, whole_parts = [], []
    for k, piece in enumerate(pieces):
        if len(pieces) > 1:
            progress(_netting(names, f"part {k + 1} of {len(pieces)}"))
        bought = _per_order(summaries.purchases(piece, shares), units)
        bought_parts.append(engines.materialised(bought, source, "bought"))
        whole_parts.append(engines.materialised(_whole(piece, names), source, "whole"))
        if items:
            cells, counted = _item_sums(piece, cells, counted, source.engine)
    bought = nw.concat(bought_parts, how="vertical")
    free = None
    if "unit_price" in names:
        progress("Adding the free purchases the purchase models count…")
        theirs = engines.materialised(
            lines.join(
                engines.materialised(_free_buyers(lines, names), source, "free_buyers"),
                on="customer_id",
                how="semi",
            ),
            source,
            "free_lines",
        )
        free = _per_order(summaries.purchases(theirs, free=True), units)
    whole = nw.concat(whole_parts, how="vertical")
    return _assembled(
        names, bought, whole, free, sums=(cells, counted), source=source, progress=progress
    )


def _free_buyers(lines: nw.LazyFrame, names: list[str]) -> nw.LazyFrame:
    """The customers with a free purchase line (a unit price of 0): only their purchases differ
    for the purchase models (clv.purchase_lines: measures.customer_purchases with `free`)."""
    free_only = summaries.sells(names, free=True) & ~summaries.sells(names)
    known = ~nw.col("customer_id").is_null() & ~summaries.is_return(names)
    return lines.filter(known & free_only).select("customer_id").unique()


def _assembled(
    names: list[str],
    bought: nw.LazyFrame,
    whole: nw.LazyFrame,
    free: nw.LazyFrame | None,
    *,
    sums: tuple[pl.DataFrame | None, pl.DataFrame | None],
    source: engines.Source,
    progress: Progress,
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """order_rows from the paid purchases per order and customer (`bought`, _per_order), every
    line per order and customer (`whole`, _whole), the purchases counting free lines too (`free`,
    of the customers with a free line; None without prices) and the item sums (cells, names)
    of all the lines."""
    keys = ["order_id", "customer_id"]
    shared = [*keys, "ordered_at", "revenue", "quantity"]
    purchases = bought
    if free is not None:
        # What free purchases add to an order for the purchase models: their orders, and
        # revenue a cancellation takes from a free line instead of a paid one.
        paid = bought.select(
            *keys, nw.col("revenue").alias("_paid"), nw.col("quantity").alias("_paid_units")
        )
        added = (
            free.join(paid, on=keys, how="left")
            .pipe(_taken_off, "_paid", "_paid_units")
            .filter(_left("_paid"))
        )
        added = engines.materialised(added, source, "free").select(shared)
        # A missing price is no evidence against a sale; a free row counts for the purchase
        # models only (a unit price of 0 sells nothing on every other page, and moves no units:
        # summaries.line_units).
        purchases = nw.concat(
            [bought.with_columns(_NO_PRICE), added.with_columns(nw.lit(0.0).alias("unit_price"))],
            how="vertical",
        )
        shared = [*shared, "unit_price"]
    region = ["region"] if "region" in names else []
    item = nw.lit(None, nw.String).alias("item_id")
    kept = [*shared, "is_return", "item_id", *region]
    rows = purchases.join(whole.select(*keys, *region), on=keys).with_columns(
        nw.lit(value=False).alias("is_return"), item
    )
    rest = (
        whole.join(
            purchases.group_by(*keys).agg(
                nw.col("revenue").sum().alias("_taken"),
                # The units the pages count of these rows (none of a free row's).
                summaries.line_units(shared).sum().alias("_taken_units"),
                nw.col("ordered_at").min().alias("_taken_at"),
            ),
            on=keys,
            how="left",
        )
        .pipe(_taken_off, "_taken", "_taken_units", units="_units")
        .filter(_left("_taken") | (nw.col("ordered_at") < nw.col("_taken_at")))
        .with_columns(
            (~nw.col("_taken").is_null() | ~nw.col("_sale")).alias("is_return"),
            item,
            *([_NO_PRICE] if "unit_price" in names else []),
        )
    )
    lines_per_order = whole.select(nw.col("_lines").sum().alias("_lines"))
    every = nw.concat([rows.select(kept), rest.select(kept)], how="vertical")
    summary = engines.collect(every.join(lines_per_order, how="cross"), source.engine)
    if not summaries.tells_units(names):
        # Order totals tell no units: polars sums their missing units to 0, a database to null.
        summary = summary.with_columns(pl.lit(None, pl.Float64).alias("quantity"))
    cells, counted = sums
    if cells is None:
        return summary, None
    progress("Adding up the items per day…")
    return summary, sales.cube_of(cells.lazy(), None if counted is None else counted.lazy())


def _added(total: pl.DataFrame | None, part: pl.DataFrame) -> pl.DataFrame:
    """A part's item sums added to those of the parts before (sales.add_sums)."""
    return part if total is None else sales.add_sums(total, part)


def _per_order(purchases: nw.LazyFrame, units: nw.Expr) -> nw.LazyFrame:
    """Purchase lines (summaries.purchases) summed per order and customer."""
    return (
        purchases.with_columns(units.alias("_units"))
        .group_by("order_id", "customer_id")
        .agg(
            nw.col("ordered_at").min(),
            nw.col("revenue").sum(),
            nw.col("_units").sum().alias("quantity"),
        )
    )


def _taken_off(
    frame: nw.LazyFrame, revenue: str, quantity: str, units: str = "quantity"
) -> nw.LazyFrame:
    """`frame`'s revenue and `units` less the joined `revenue` and `quantity` (none joined:
    nothing taken), as its revenue and quantity."""
    return frame.with_columns(
        (nw.col("revenue") - nw.col(revenue).fill_null(0.0)).alias("revenue"),
        (nw.col(units) - nw.col(quantity).fill_null(0.0)).alias("quantity"),
    )


def _left(taken: str) -> nw.Expr:
    """Rows with something left once `taken` is taken off (or nothing taken)."""
    return (
        nw.col(taken).is_null()
        | (nw.col("revenue").abs() > EPSILON)
        | (nw.col("quantity").abs() > EPSILON)
    )


@dataclass(frozen=True)
class Summary:
    """A folder's order rows (`lines`, canonical) and what summarising found."""

    lines: pl.DataFrame
    read_lines: int  # lines in the files (with a time)
    currency: str
    seconds: float  # what summarising took (when it was computed; kept in the cache)
    cached: bool  # read from the cache this time
    items: pl.DataFrame | None = None  # Sales' item cube of the lines (order_rows)
    # What Data quality counts on the lines (quality.LINE_CHECKS): lines alone where not counted.
    checks: pl.DataFrame | None = None
    # Lines of the files not summarised (engines.canonical: no time, or no quantity or price).
    left_out: int = 0


def summarise(where: Folder, progress: Progress = _quiet) -> Summary:
    """The order rows of `where`: from the cache when it holds them for these files, else
    computed by polars' streaming engine over the files and saved to the cache. Raises
    ValueError (or a polars error) on files that hold no usable lines."""
    if where.summary.is_file() and where.facts.is_file():
        progress(f"Opening the cached summary of {where.describe()}…")
        facts = json.loads(where.facts.read_text())
        lines = pl.read_parquet(where.summary)
        items = pl.read_parquet(where.items) if where.items.is_file() else None
        return Summary(
            lines,
            facts["lines"],
            facts["currency"],
            facts["seconds"],
            cached=True,
            items=items,
            checks=pl.DataFrame([facts["checks"]]),
            left_out=facts["left_out"],
        )
    progress(f"Reading {where.describe()}…")
    source = engines.polars_lines([str(f) for f in where.files])
    count = _count(where.files)
    progress(f"Summarising {count:,} lines into orders (cancellations netted, duplicates once)…")
    summary = summary_of(source, max(1, -(-count // PART_LINES)), progress)
    summary = replace(summary, left_out=count - summary.read_lines)
    progress(f"Saving the summary ({summary.lines.height:,} rows) to the cache…")
    facts = {
        "lines": summary.read_lines,
        "currency": summary.currency,
        "seconds": summary.seconds,
        "checks": summary.checks.row(0, named=True),
        "left_out": summary.left_out,
    }
    _save(where, summary, facts)
    return summary


def summary_of(source: engines.Source, parts: int = 1, progress: Progress = _quiet) -> Summary:
    """The order rows of `source`'s lines (order_rows, in `parts`), computed now: summarise
    keeps those of files in the cache; lines in a database are summarised where they are."""
    start = time.perf_counter()
    rows, items, checks = order_rows(source, parts, progress)
    read = int(rows["_lines"][0]) if rows.height else 0
    lines = conform("lines", rows.drop("_lines")).sort("ordered_at", "order_id")
    seconds = time.perf_counter() - start
    if checks is None:  # lines in a database: only how many
        checks = pl.DataFrame({"lines": [read]}, schema={"lines": pl.Int64})
    return Summary(lines, read, source.currency, seconds, cached=False, items=items, checks=checks)


def _count(files: Sequence[Path]) -> int:
    """The lines of the files: parquet from their metadata, CSV counted (not parsed)."""
    scans = [pl.scan_parquet(f) if f.suffix == ".parquet" else pl.scan_csv(f) for f in files]
    return int(sum(s.select(pl.len()).collect().item() for s in scans))


def _save(where: Folder, summary: Summary, facts: dict) -> None:
    """Write the summary, its item cube and its facts (replacing earlier summaries of the same
    paths), each through a temporary file so that a stopped write leaves no half summary: the
    facts come last, and without them the files are not read."""
    where.summary.parent.mkdir(parents=True, exist_ok=True)
    for old in where.summary.parent.glob(f"{where.stem}-*"):
        old.unlink(missing_ok=True)
    for frame, path in ((summary.lines, where.summary), (summary.items, where.items)):
        if frame is not None:
            part = path.with_suffix(".part")
            frame.write_parquet(part)
            part.replace(path)
    where.facts.write_text(json.dumps(facts))


def cached_bytes() -> int:
    """What the cache folder holds."""
    root = cache_dir()
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file()) if root.is_dir() else 0


def clear_cache() -> None:
    """Delete the cache folder (the next start summarises the files again)."""
    shutil.rmtree(cache_dir(), ignore_errors=True)


def summarised(ds: Dataset) -> bool:
    """Whether `ds` is a summary (`dataset`): its lines are order rows, which name no items and
    count no lines, so what needs either (basket sizes in lines, counts of lines, the revenue
    bridge's price, mix and fees, return shares) cannot be read from them."""
    return ds.source_format == FORMAT


def dataset(name: str, described: str, summary: Summary, key: str) -> Dataset:
    """The data set of the summary of `name`'s lines (`described`: where they are, as
    Folder.describe says it; `key`: its cache key for the pages)."""
    orders = summary.lines["order_id"].n_unique()
    note = Note(
        name,
        "",
        f"{summary.read_lines:,} lines in {described} were summarised into "
        f"{orders:,} orders ({summary.lines.height:,} rows: an order's purchases, and what its "
        "other lines add, as returns)"
        + (
            ", and their items per day (Sales ranks them); Categories stays off"
            if summary.items is not None
            else "; pages about items and categories stay off"
        ),
        rows=summary.read_lines,
    )
    notes = [note]
    if summary.left_out:
        total = summary.read_lines + summary.left_out
        notes.append(
            Note(
                name,
                "",
                engines.left_out_lines_note(summary.left_out, total, where=f"in {described}"),
                count=summary.left_out,
                rows=total,
            )
        )
    return Dataset(
        name=name,
        source_format=FORMAT,
        currency=summary.currency,
        key=key,
        tables={"lines": summary.lines},
        extras={quality.LINE_CHECKS: summary.checks}
        | ({} if summary.items is None else {sales.ITEM_CUBE: summary.items}),
        notes=tuple(notes),
    )
