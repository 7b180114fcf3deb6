"""Customer analyses on data too big to load: summaries (lib/summaries.py) run by polars over
parquet/CSV files one share of the customers at a time, inside DuckDB, or inside PostgreSQL
(through ibis); only the summaries come back."""

from __future__ import annotations

import filecmp
import glob
import itertools
import math
import operator
import re
import string
import tempfile
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial, reduce
from pathlib import Path
from typing import Any

import narwhals as nw
import polars as pl

from lib import fmt, io, measures, parse, summaries
from lib.analyses import churn, cohorts, rfm
from lib.formats import retail
from lib.formats.base import LEFT_OUT
from lib.model import SPECS

ENGINES = ("polars", "duckdb")
# Where a database URL (--db) points: DuckDB's file, or a PostgreSQL server read through ibis.
DUCKDB_URL = "duckdb://"
POSTGRES_URLS = ("postgresql://", "postgres://")
# The files read as lines: parquet, CSV, and gzipped CSV (polars decompresses it as it scans).
SUFFIXES = (".parquet", ".csv", ".csv.gz")
# A single parquet file above this many bytes is summarised lazily instead of loaded.
BIG_PARQUET_BYTES = 256 * 2**20
# Online Retail's columns (old and new names) as canonical lines (lib/formats/retail.py).
RETAIL_COLUMNS = {
    "InvoiceNo": "order_id",
    "Invoice": "order_id",
    "CustomerID": "customer_id",
    "Customer ID": "customer_id",
    "InvoiceDate": "ordered_at",
    "StockCode": "item_id",
    "Description": "item_name",
    "Quantity": "quantity",
    "UnitPrice": "unit_price",
    "Price": "unit_price",
    "Country": "region",
}
# DuckDB's own cap (its default is 80% of the machine): beyond it, it spills to the system's
# temporary folder (not the working directory, its default) or stops.
DUCKDB_MEMORY = "4GB"
# Lines of the source per share of the customers, each share summarised in memory (polars) or in
# a table (DuckDB) at a time: the exact-duplicate check holds every line of its share. On 100M
# generated Online Retail lines (4 in 5 of a known customer; 7 shares) polars peaks near 2.5 GB,
# DuckDB near 2.6 GB; shares of 8M lines took 20% longer (each share reads every file again),
# through DuckDB shares of 25M lines 7% longer (57.0 s against 53.1 s, 3.8 GB).
SHARE_LINES = 16_000_000
# A line's LINE in polars: its row in its file, plus its file's number times this.
FILE_LINES = 1 << 40
_LINES = SPECS["lines"].columns
_FORMATS = re.compile(r"format (.+?)(?:;|$)")


@dataclass(frozen=True)
class Source:
    """Canonical lines, lazily (with summaries.LINE, their position in the source), where they
    run (`engine`: polars, duckdb or postgres), their currency, and what keeps them readable (a
    DuckDB connection, an ibis connection to PostgreSQL)."""

    lines: nw.LazyFrame
    engine: str
    currency: str = ""
    handle: Any = None
    # share(n, k): the lines of the k-th of n shares of the customers (every line of a customer
    # in one share), for summaries computed share by share; `rows`: about how many lines. From
    # files (polars), share(n, k, orphans=True) adds the lines without a customer whose order
    # id hashes to the k-th share.
    share: Callable[..., nw.LazyFrame] | None = field(default=None, compare=False)
    rows: int = 0
    # With `share`: lines in no share (those without a customer; lines also in a share do no
    # harm), read for the time of the latest line with the shares' own (`latest`, one per
    # share: _order_days reads them) instead of every line's time (_last_time): polars files
    # whose times are text, parsed again otherwise.
    unshared: nw.LazyFrame | None = field(default=None, compare=False, repr=False)
    latest: list[datetime | None] = field(default_factory=list, compare=False, repr=False)
    # Summaries already computed from these lines (order days, by `clean`).
    kept: dict[Any, nw.LazyFrame] = field(default_factory=dict, compare=False, repr=False)
    # Lines of known customers canonical leaves out, counted (left_out_lines): polars as it
    # reads each share (lines left out, lines read), a database by a query of `checked`
    # (canonical's lines with UNUSABLE, none left out).
    counted: list[tuple[int, int]] = field(default_factory=list, compare=False, repr=False)
    checked: nw.LazyFrame | None = field(default=None, compare=False, repr=False)


def is_lazy(paths: Sequence[str]) -> bool:
    """Whether `paths` go the lazy way: a folder, a glob pattern, or a parquet file above
    BIG_PARQUET_BYTES. Anything else loads as the app loads it."""
    for path in paths:
        p = Path(path)
        if p.is_dir() or (not p.exists() and glob.has_magic(path)):
            return True
        if p.is_file() and p.suffix == ".parquet" and p.stat().st_size > BIG_PARQUET_BYTES:
            return True
    return False


# A single parquet file of at least this many lines, whose columns canonical reads as typed,
# gives RFM and cohorts from summaries too (summarises): the same tables in less time than
# loading the file, as whole processes on 1 Dec (load 1.8-2.0): Online Retail's 541,909 lines
# 1.54-1.58 s against 1.87-2.09 s for both commands, 1M generated lines 2.3-3.1 s against
# 2.8-4.0 s. Smaller files load as the app loads them.
SUMMARY_LINES = 100_000


def summarises(paths: Sequence[str]) -> bool:
    """Whether rfm and cohorts read `paths` from summaries: is_lazy, or one parquet file of
    SUMMARY_LINES lines or more with Online Retail's or the canonical columns (order,
    customer, time), numbers and flags typed as such, times typed or as text."""
    if is_lazy(paths):
        return True
    if len(paths) != 1 or Path(paths[0]).suffix != ".parquet" or not Path(paths[0]).is_file():
        return False
    try:
        if io.lazy_parquet_problem(paths[0]):
            return False  # the app's loader reads it
        schema = pl.read_parquet_schema(paths[0])
        rows = _rows(Path(paths[0]))
    # pyarrow's ArrowInvalid (a damaged file, or no parquet at all) is a ValueError.
    except (OSError, ValueError, pl.exceptions.PolarsError, pl.exceptions.PanicException):
        return False  # the app's loader reads it, or says what is wrong with it
    kinds = {RETAIL_COLUMNS.get(c, c): dtype for c, dtype in schema.items()}
    if rows < SUMMARY_LINES or not {"order_id", "customer_id", "ordered_at"} <= kinds.keys():
        return False
    for name, dtype in kinds.items():
        kind = _LINES.get(name)
        if kind in (pl.Float64, pl.Int64) and not dtype.is_numeric():
            return False
        if kind == pl.Boolean and dtype != pl.Boolean:
            return False
        if kind == pl.Datetime("us") and not (dtype.is_temporal() or dtype == pl.String):
            return False
    return True


def kind_of(file: Path) -> str | None:
    """Which of SUFFIXES `file` is read as (".csv.gz" for x.csv.gz), None for any other file."""
    return next((s for s in SUFFIXES if file.name.endswith(s) and file.name != s), None)


def _named(paths: Sequence[str]) -> list[Path]:
    """The parquet and CSV files that `paths` (files, folders, glob patterns) name, sorted within
    each path, and any file named alone."""
    found: list[Path] = []
    for path in paths:
        p = Path(path)
        if p.is_dir():
            found += sorted(f for f in p.iterdir() if kind_of(f) and f.is_file())
        elif p.is_file():
            found.append(p)
        else:
            found += sorted(Path(f) for f in glob.glob(path) if kind_of(Path(f)))
    return found


def copies(files: Sequence[Path]) -> dict[Path, Path]:
    """The files of `files` holding the bytes of one modified earlier (an export saved twice, as
    'orders (1).parquet'): file -> that one. Only files of one size are compared, by filecmp,
    which stops at the first byte that differs and remembers what it compared."""
    kept: list[Path] = []
    found: dict[Path, Path] = {}
    for file in sorted(files, key=lambda f: f.stat().st_mtime_ns):
        size = file.stat().st_size
        same = next(
            (k for k in kept if k.stat().st_size == size and filecmp.cmp(k, file, shallow=False)),
            None,
        )
        if same is None:
            kept.append(file)
        else:
            found[file] = same
    return found


def files_of(paths: Sequence[str]) -> list[Path]:
    """The parquet and CSV files (gzipped or not) that `paths` (files, folders, glob patterns)
    name, sorted within each path, each content once (copies). Raises ValueError when there are
    none, or when a file named alone is of another kind; a folder's or a pattern's other files,
    and the copies, are left_out."""
    found = _named(paths)
    if not found:
        others = left_out(paths)
        held = f" (it holds {_names(others)})" if others else ""
        raise ValueError(f"no parquet or CSV files in {', '.join(paths)}{held}")
    odd = [f.name for f in found if not kind_of(f)]
    if odd:
        raise ValueError(
            f"{odd[0]}: big data is read from parquet or CSV files (.parquet, .csv, .csv.gz) only"
        )
    copied = copies(found)
    return [f for f in found if f not in copied]


def holds_lines(paths: Sequence[str]) -> bool:
    """Whether a file that `paths` name has the columns of order lines (an order id, a customer
    id and a time, by canonical or Online Retail names), as the engines read them. True when
    there is no file to read or one cannot be read: the engines then say why."""
    try:
        for file in files_of(paths):
            if file.suffix == ".parquet":
                names = pl.read_parquet_schema(file).keys()
            else:
                names = pl.scan_csv(file, infer_schema=False).collect_schema().names()
            if {"order_id", "customer_id", "ordered_at"} <= {
                RETAIL_COLUMNS.get(c, c) for c in names
            }:
                return True
    except (ValueError, OSError, pl.exceptions.PolarsError, pl.exceptions.PanicException):
        return True
    return False


def left_out(paths: Sequence[str]) -> list[Path]:
    """The files of the folders and glob patterns in `paths` that files_of does not read (not
    parquet or CSV, hidden ones (.name) aside), then the copies it reads once: never left out
    without a word."""
    found: list[Path] = []
    for path in paths:
        p = Path(path)
        if p.is_dir():
            found += sorted(f for f in p.iterdir() if f.is_file() and not kind_of(f))
        elif not p.exists():
            found += sorted(
                Path(f) for f in glob.glob(path) if Path(f).is_file() and not kind_of(Path(f))
            )
    return [f for f in found if not f.name.startswith(".")] + list(copies(_named(paths)))


def _names(files: Sequence[Path], shown: int = 5) -> str:
    """The names of `files`, the first `shown` of them and how many more."""
    names = [f.name for f in files]
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more:,} more" if more > 0 else "")


def left_out_note(files: Sequence[Path]) -> str:
    """`files` (left_out) in words: which were not read, and why; empty for none."""
    others = [f for f in files if not kind_of(f)]
    copied = [f for f in files if kind_of(f)]
    said = []
    if others:
        which = fmt.counted(len(others), "file that is", "files that are")
        said.append(
            f"left out {which} not parquet or CSV (.parquet, .csv, .csv.gz): {_names(others)}"
        )
    if copied:
        holds = fmt.plural(len(copied), "holds", "hold")
        said.append(f"{_names(copied)} {holds} the bytes of another file: read once")
    return "; ".join(said)


def left_out_lines(source: Source) -> tuple[int, int]:
    """How many lines of known customers canonical leaves out (no time, or, as invoice lines,
    no quantity or unit price), of how many: as polars read them for the order days
    (_order_days; (0, 0) before), or asked of the database."""
    if source.checked is None:
        return sum(c for c, _ in source.counted), sum(n for _, n in source.counted)
    known = source.checked.filter(~nw.col("customer_id").is_null())
    got = collect(known.select(nw.col(UNUSABLE).sum(), nw.len()), source.engine)
    return int(got.item(0, 0) or 0), int(got.item(0, 1))


def left_out_lines_note(count: int, total: int, lines: str = "lines", where: str = "") -> str:
    """`count` of the `total` `lines` left out (left_out_lines) in words, `where` they are ("in
    3 parquet files (2 MB)"); empty for none."""
    if not count:
        return ""
    place = f" {where}" if where else ""
    return (
        f"{count:,} of the {total:,} {lines}{place} {LEFT_OUT}: "
        f"{fmt.plural(count, 'it has', 'they have')} no time (or one outside the years "
        f"{parse.MIN_YEAR} to {parse.MAX_YEAR - 1}), or, as invoice lines, no quantity or unit "
        "price; make sure each line has them"
    )


# The whitespace polars' strip_chars() takes from text's ends, as the loader strips it (Unicode's
# White_Space, as Rust reads it: Python's isspace() also takes the separators \x1c-\x1f), for
# the databases to strip alike (a PostgreSQL database not encoded in UTF-8 holds none but
# string.whitespace: postgres_lines). Every one is below "!" or from "\x85" on.
BLANKS = string.whitespace + "\x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
BLANKS += "\u2028\u2029\u202f\u205f\u3000"


def _id(
    column: str,
    dtype: Any,
    backend: nw.Implementation = nw.Implementation.POLARS,
    blanks: str = BLANKS,
) -> nw.Expr:
    """parse.to_id for a typed column: integers as text, whole floats without ".0", text
    stripped of BLANKS (PostgreSQL: of `blanks`; canonical then reads it as _known). In a
    database (`backend` other than polars), only text with whitespace at either end is stripped:
    DuckDB's trim() with a list of characters took 4.5 of the 8.4 s of a share of 11.5M lines
    (four text columns); the values are the same. DuckDB's text is stripped as duckdb_lines
    reads it (_stripped)."""
    col = nw.col(column)
    if dtype.is_integer():
        return col.cast(nw.String)
    if dtype.is_float():
        # NaN and infinities are missing before any cast (DuckDB would cast them and fail).
        known = nw.when(col.is_finite()).then(col)
        whole = known.cast(nw.Int64).cast(nw.String)
        return nw.when(known == known.floor()).then(whole).otherwise(known.cast(nw.String))
    # Stripped; canonical then reads empty text as missing (from the stripped column: an
    # expression written twice is computed twice).
    text = col.cast(nw.String)
    if backend.is_polars():
        return text.str.strip_chars()
    if backend.is_duckdb() and dtype == nw.String:
        return text
    ends = (text.str.slice(0, 1), text.str.slice(-1))
    if backend.is_duckdb():
        # Text of another type (an enum): as _stripped, by narwhals' slices.
        edge = reduce(operator.or_, ((end < "!") | (end >= "\x85") for end in ends))
        return nw.when(edge).then(text.str.strip_chars(BLANKS)).otherwise(text)
    # Elsewhere (PostgreSQL) by the column's collation, which may order a tab apart: equal to
    # one of them; stripped by narwhals' patterns (its strip_chars takes string.whitespace).
    edge = ends[0].is_in(list(blanks)) | ends[1].is_in(list(blanks))
    stripped = text.str.strip_chars_start(blanks).str.strip_chars_end(blanks)
    return nw.when(edge).then(stripped).otherwise(text)


def _known(text: nw.Expr, name: str, backend: nw.Implementation) -> nw.Expr:
    """Stripped text (_id's, computed: an expression written twice is computed twice) as
    the loader reads it (parse.to_text, parse.to_id): null tokens missing; a customer id
    written as a whole number with a decimal tail ("17850.0") without it. Order and item ids
    keep such a tail, unread on every line (at 541,909 lines 6-14 ms a column), as they are
    counted, never shown: only a column holding both "536365" and "536365.0" counts two."""
    if backend.is_polars():
        token = text.is_in(io.NULL_TOKENS)
    else:
        # Token by token (DuckDB, PostgreSQL): DuckDB runs is_in as a join, which it keeps even
        # in a query that reads no text (the latest time of 10M lines in 1.0 s instead of
        # 0.1 s); polars runs is_in faster (4 text columns of 541,909 lines in 2-4 ms, not 10).
        # Only text no longer than the longest token is compared: DuckDB reads a share of
        # 11.4M lines into a table in 0.6 s less (four text columns).
        longest = max(map(len, io.NULL_TOKENS))
        equal = reduce(operator.or_, (text == t for t in io.NULL_TOKENS))
        token = (text.str.len_chars() <= longest) & equal
    known = nw.when(~token).then(text)
    return parse.without_tail(known) if name == "customer_id" else known


# canonical's flag of a line it would leave out (with `unusable`, instead of leaving it out).
UNUSABLE = "_unusable"


def canonical(
    raw: nw.LazyFrame, numbers: bool = False, unusable: bool = False, blanks: str = BLANKS
) -> nw.LazyFrame:
    """Lines of the canonical layout (or Online Retail's columns, whose C invoices are
    returns) with canonical names and types, lines without a time left out, summaries.LINE
    kept. The time must be typed already (a datetime or date); `polars_lines` reads text
    times. With `numbers`, customer ids typed as numbers stay numbers (Int64, or Float64 with
    NaN and infinities missing): equal exactly when their text is, and cheaper to compare;
    `as_text` writes them as text. Unsigned 64-bit ids (hashes, past Int64's top) are text.
    With `unusable`, the lines it would leave out are kept, flagged by UNUSABLE, to count them.
    `blanks`: the whitespace text is stripped of in PostgreSQL (_id)."""
    schema = raw.collect_schema()
    names = {c: RETAIL_COLUMNS.get(c, c) for c in schema.names()}
    retail_layout = any(c in RETAIL_COLUMNS for c in schema.names())
    missing = [c for c in ("order_id", "customer_id", "ordered_at") if c not in names.values()]
    if missing:
        columns = fmt.plural(len(missing), "column")
        raise ValueError(f"lines need the {columns} {', '.join(missing)}")
    exprs = [nw.col(summaries.LINE)] if summaries.LINE in names else []
    blank: list[str] = []  # text columns, read as _known
    for source, name in names.items():
        if name not in _LINES or name == "revenue" and retail_layout:
            continue
        kind = _LINES[name]
        dtype = schema[source]
        if numbers and name == "customer_id" and dtype.is_integer() and dtype != nw.UInt64:
            exprs.append(nw.col(source).cast(nw.Int64).alias(name))
        elif numbers and name == "customer_id" and dtype.is_float():
            number = nw.col(source).cast(nw.Float64)
            exprs.append(nw.when(number.is_finite()).then(number).alias(name))
        elif kind == pl.String:
            exprs.append(_id(source, schema[source], raw.implementation, blanks).alias(name))
            numeric = schema[source].is_integer() or schema[source].is_float()
            blank += [] if numeric else [name]
        elif kind == pl.Boolean:
            exprs.append(nw.col(source).cast(nw.Boolean).alias(name))
        elif kind == pl.Float64:
            # As the loader's numbers (parse.to_float): none beyond its bounds.
            exprs.append(parse.in_bounds(nw.col(source).cast(nw.Float64)).alias(name))
        elif kind == pl.Int64:
            exprs.append(nw.col(source).cast(nw.Int64).alias(name))
        else:
            # As the loader's times (parse.to_datetime): none outside its years.
            exprs.append(parse.in_years(nw.col(source).cast(nw.Datetime("us"))).alias(name))
    usable = ~nw.col("ordered_at").is_null()
    frame = raw.select(exprs) if unusable else raw.select(exprs).filter(usable)
    frame = frame.with_columns(_known(nw.col(c), c, raw.implementation).alias(c) for c in blank)
    got = frame.collect_schema().names()
    if "revenue" not in got:
        if "quantity" not in got or "unit_price" not in got:
            raise ValueError("lines need revenue, or quantity and unit_price")
        # As Online Retail's reader (lib/formats/retail.py): a line without its quantity or
        # unit price sells an unknown amount, and is left out.
        priced = ~nw.col("quantity").is_null() & ~nw.col("unit_price").is_null()
        usable = usable & priced
        frame = (frame if unusable else frame.filter(priced)).with_columns(
            (nw.col("quantity") * nw.col("unit_price")).alias("revenue")
        )
    if retail_layout and "is_return" not in got:
        # Invoice numbers starting with C are cancellations: returns, not sales.
        frame = frame.with_columns(
            nw.col("order_id").str.starts_with("C").fill_null(value=False).alias("is_return")
        )
    order = [c for c in (*_LINES, summaries.LINE) if c in frame.collect_schema().names()]
    if unusable:
        return frame.with_columns((~usable).alias(UNUSABLE)).select(*order, UNUSABLE)
    return frame.select(order)


def as_text(frame: nw.LazyFrame, column: str = "customer_id") -> nw.LazyFrame:
    """`frame` with `column` (ids read with canonical's `numbers`) as the text canonical
    gives them."""
    dtype = frame.collect_schema()[column]
    if dtype == nw.String:
        return frame
    return frame.with_columns(_id(column, dtype).alias(column))


# Text times sampled to find their format: about this many.
SAMPLE_TIMES = 5000


def _text_times(frame: pl.LazyFrame, column: str, file: Path) -> pl.LazyFrame:
    """`column` of text read as times with the formats parse.to_datetime finds on a sample:
    the first values, or values spread over `file` when the first read either day first or
    month first (a big file's first lines are often one day's: 1/12/2022 could be either, and
    13/12/2022 further down, read month first, would be no time and its line left out)."""
    head = frame.select(column).head(SAMPLE_TIMES).collect().to_series()
    # First values that tell no day from a month are not read (1M lines: 8 ms sooner).
    first = None if parse.day_month_undecided(head) else parse.to_datetime(head)
    if first is None or "ambiguous" in first.detail:
        step = max(1, _rows(file) // SAMPLE_TIMES)
        spread = frame.select(column).gather_every(step).collect(engine="streaming")
        first = parse.to_datetime(spread.to_series())
    found = _FORMATS.search(first.detail)
    if found is None:
        raise ValueError(f"{column}: no date format fits its first values")
    text, pad = pl.col(column), " "
    # The offset is found at the stripped end, as the loader finds it.
    if head.str.strip_chars().str.contains(parse.OFFSET).any():
        text, pad = text.str.strip_chars().str.replace(parse.OFFSET, "${1}"), ""
    # A space on either side of the format reads any whitespace there, as strip_chars takes it
    # (chrono's and Rust's whitespace, Unicode's): the same times, without a stripped copy of
    # every value (1M lines read 6 ms sooner).
    return frame.with_columns(
        pl.coalesce(
            text.str.to_datetime(f"{pad}{f}{pad}", time_unit="us", strict=False)
            for f in found.group(1).split(" or ")
        ).alias(column)
    )


def _typed(column: str, dtype: pl.DataType, sample: pl.Series) -> pl.Expr:
    """A CSV column read as text, as `dtype`: a flag from true/false or 1/0, or a number read
    as the loader reads it (parse.text_numbers: with its decimal mark found on `sample`, the
    first values), missing where it is none."""
    if dtype == pl.Boolean:
        text = pl.col(column).str.strip_chars()
        flags = {"true": True, "1": True, "false": False, "0": False}
        return text.str.to_lowercase().replace_strict(flags, default=None, return_dtype=dtype)
    number = parse.text_numbers(pl.col(column), sample)
    if dtype == pl.Int64:
        return pl.when(parse.is_whole(number)).then(number).cast(pl.Int64, strict=False)
    return number


def _read(file: Path, number: int = 0) -> pl.LazyFrame:
    """A parquet or CSV file, gzipped or not (read as text, then numbers and flags typed), each
    line numbered (summaries.LINE: its row, plus `number` × FILE_LINES); times as the file holds
    them."""
    if file.suffix == ".parquet":
        frame = pl.scan_parquet(file, row_index_name=summaries.LINE)
    else:
        frame = pl.scan_csv(file, infer_schema=False, row_index_name=summaries.LINE)
        kinds = {c: _LINES.get(RETAIL_COLUMNS.get(c, c)) for c in frame.collect_schema().names()}
        typed = [c for c, kind in kinds.items() if kind in (pl.Float64, pl.Int64, pl.Boolean)]
        head = frame.select(typed).head(SAMPLE_TIMES).collect()
        frame = frame.with_columns(_typed(c, kinds[c], head[c]) for c in typed)
    return frame.with_columns(pl.col(summaries.LINE).cast(pl.Int64) + number * FILE_LINES)


def _text_time(frame: pl.LazyFrame) -> str | None:
    """The time column of a file as read (every CSV column is text), when it holds text."""
    schema = frame.collect_schema()
    when = _column(schema.names(), "ordered_at")
    return when if when and schema[when] == pl.String else None


def _column(columns: Sequence[str], name: str) -> str | None:
    """The column of a file (Online Retail's or canonical names) that canonical reads as `name`;
    None when it has none."""
    return next((c for c in columns if RETAIL_COLUMNS.get(c, c) == name), None)


def _orphans(frame: pl.LazyFrame, missing: pl.Expr, n: int, k: int) -> pl.Expr:
    """Whether a line of `frame` (a file as read) has no customer (`missing`) and its order id
    hashes to the k-th of n shares: every line of such an order in one share, where the file
    types its order ids alike (the folder summary checks that no order is in two shares)."""
    order = _column(frame.collect_schema().names(), "order_id")
    return missing & (pl.col(order).hash(seed=0) % n == k)


def _hashed_share(frame: pl.LazyFrame, column: str, n: int, k: int, orphans: bool) -> pl.LazyFrame:
    """The lines of `frame` (a file as read) whose customer id, as the text canonical reads it
    (_id), hashes to the k-th of n shares; lines without a customer are in none (with
    `orphans`, those of _orphans in the k-th)."""
    key = "_share_key"
    text = _keyed(summaries.lazy(frame), column, key)
    # A missing id hashes too (to a number of its own): no share holds its lines.
    hashed = pl.when(pl.col(key).is_not_null()).then(pl.col(key).hash(seed=0))
    rule = hashed % n == k
    if orphans:
        rule = rule | _orphans(frame, pl.col(key).is_null(), n, k)
    return text.to_native().filter(rule.fill_null(value=False)).drop(key)


def _keyed(raw: nw.LazyFrame, column: str, key: str) -> nw.LazyFrame:
    """`raw` (lines as read) with `key`: their customer id as canonical reads it (null for
    none)."""
    typed = _id(column, raw.collect_schema()[column], raw.implementation).alias(key)
    known = _known(nw.col(key), "customer_id", raw.implementation)
    return raw.with_columns(typed).with_columns(known.alias(key))


def _cut(cuts: Sequence[float], k: int) -> tuple[float | None, float | None]:
    """The k-th of len(cuts) + 1 ranges that `cuts` (ascending) split the numbers into:
    [low, high), None for an open end."""
    return (cuts[k - 1] if k > 0 else None), (cuts[k] if k < len(cuts) else None)


def _in_range(column: str, integer: bool, cuts: Sequence[float], k: int) -> pl.Expr:
    """Whether a line's customer id (a number, `integer` or float) is in the k-th range: a
    comparison polars checks on that column before it decodes the others."""
    col = pl.col(column)
    low, high = _cut(cuts, k)
    rule = col.is_not_null() if integer else col.is_finite()
    if low is not None:
        rule = rule & (col >= (math.ceil(low) if integer else low))
    if high is not None:
        rule = rule & (col < (math.ceil(high) if integer else high))
    return rule


def _ranged_share(
    frame: pl.LazyFrame,
    column: str,
    integer: bool,
    cuts: Sequence[float],
    *,
    n: int,
    k: int,
    orphans: bool,
) -> pl.LazyFrame:
    """The lines of `frame` (a file as read) whose customer id (a number) is in the k-th range
    (_in_range); with `orphans`, also those without a customer of the k-th share (_orphans)."""
    rule = _in_range(column, integer, cuts, k)
    if not orphans:
        return frame.filter(rule)
    return frame.filter(rule | _orphans(frame, _no_number(column, integer), n, k))


def _no_number(column: str, integer: bool) -> pl.Expr:
    """Whether a line has no customer, its id typed as a number (`integer` or float): missing,
    or for a float not finite."""
    col = pl.col(column)
    return col.is_null() if integer else ~col.is_finite().fill_null(value=False)


def _cuts(ids: pl.Series, n: int) -> list[float]:
    """n - 1 ascending numbers that split `ids` (a sample of the lines' ids) into n shares of
    about as many lines."""
    if ids.is_empty():
        return [0.0] * (n - 1)
    return [float(ids.quantile(j / n, interpolation="nearest")) for j in range(1, n)]


# Customer ids sampled to cut the shares: about this many.
SAMPLE_IDS = 1_000_000


def _rows(file: Path) -> int:
    """About how many lines a file holds: a parquet file's count, a CSV file's size / 64."""
    if file.suffix == ".parquet":
        return pl.scan_parquet(file).select(pl.len()).collect().item()
    if kind_of(file) == ".csv.gz":  # its size says little of its lines: counted
        return pl.scan_csv(file, infer_schema=False).select(pl.len()).collect().item()
    return file.stat().st_size // 64


def _parquet_problem(file: Path) -> str:
    """io.lazy_parquet_problem of `file`. Raises ValueError naming a file that cannot be read as
    parquet (damaged, cut short, or no parquet at all)."""
    try:
        return io.lazy_parquet_problem(file)
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        first = str(exc).strip().split(".")[0] or type(exc).__name__
        raise ValueError(f"{file.name}: {io.unreadable_parquet(first)}, or leave it out") from None


def polars_lines(paths: Sequence[str]) -> Source:
    """The canonical lines of parquet and CSV files, scanned lazily for polars' streaming
    engine (numbered in file order); a share of the customers filters each file as it is read."""
    files = files_of(paths)
    for file in files:
        if file.suffix == ".parquet" and (problem := _parquet_problem(file)):
            raise ValueError(
                f"{file.name}: {problem}, which a lazy read cannot take: give this file alone "
                "(read as the app reads it), or write it again without that"
            )
    read = [_read(f, k) for k, f in enumerate(files)]
    texts = [_text_time(r) for r in read]  # times held as text: read with their format
    scans = [_text_times(r, t, f) if t else r for r, t, f in zip(read, texts, files, strict=True)]
    schemas = [f.collect_schema() for f in scans]
    parts = []
    for file, scan in zip(files, scans, strict=True):
        try:
            parts.append(canonical(summaries.lazy(scan)).to_native())
        except ValueError as exc:
            raise ValueError(
                f"{file.name}: {exc.args[0]}; a folder or glob is read as one table of order "
                "lines: leave this file out of it, or list the files to load them as the app does"
            ) from None
    lines = pl.concat(parts, how="diagonal_relaxed")
    columns = [_column(s.names(), "customer_id") for s in schemas]
    kinds = [s[c] for s, c in zip(schemas, columns, strict=True)]
    rows = sum(_rows(f) for f in files)
    # Customer ids typed as numbers in every file: a share is a range of ids, which the reader
    # checks before it decodes a line's other columns. Else a hash of the ids as text.
    numbers = all(d.is_integer() or d.is_float() for d in kinds)
    # They stay numbers in a share when every file types them alike (all integers or all
    # floats: an integer above 2^53 has no float of its own).
    alike = numbers and len({d.is_integer() for d in kinds}) == 1
    cuts: dict[int, list[float]] = {}

    def share(n: int, k: int, orphans: bool = False, unusable: bool = False) -> nw.LazyFrame:
        if numbers and n == 1:
            cuts[n] = []  # one share holds every id: nothing to cut, no ids to read
        elif numbers and n not in cuts:
            ids = pl.concat(
                f.select(pl.col(c).cast(pl.Float64).alias("id"))
                for f, c in zip(scans, columns, strict=True)
            )
            sample = ids.filter(pl.col("id").is_finite()).gather_every(max(1, rows // SAMPLE_IDS))
            cuts[n] = _cuts(sample.collect(engine="streaming").to_series(), n)
        picked = [
            canonical(
                summaries.lazy(
                    _ranged_share(f, c, d.is_integer(), cuts[n], n=n, k=k, orphans=orphans)
                    if numbers
                    else _hashed_share(f, c, n, k, orphans)
                ),
                alike,
                unusable,
            ).to_native()
            for f, c, d in zip(scans, columns, kinds, strict=True)
        ]
        return summaries.lazy(pl.concat(picked, how="diagonal_relaxed"))

    # Text times: the last time reads those of the lines in no share, rather than parse every
    # line's again (_last_time); typed times are read whole faster than filtered.
    unshared = None
    if any(texts):
        missing = [
            summaries.lazy(f.filter(_no_number(c, d.is_integer())))
            if numbers
            else _keyed(summaries.lazy(f), c, "_key").filter(nw.col("_key").is_null()).drop("_key")
            for f, c, d in zip(scans, columns, kinds, strict=True)
        ]
        unshared = pl.concat((canonical(m).to_native() for m in missing), how="diagonal_relaxed")
    return Source(
        summaries.lazy(lines),
        "polars",
        _currency(schemas[0].names()),
        share=share,
        rows=rows,
        unshared=None if unshared is None else summaries.lazy(unshared),
    )


def duckdb_lines(paths: Sequence[str] = (), db: str = "", table: str = "lines") -> Source:
    """The canonical lines read inside DuckDB: parquet files (`paths`) or the table `table`
    of a DuckDB database (`db`: duckdb:///abs/path.duckdb or duckdb://relative.duckdb),
    numbered by their position in the source."""
    import duckdb

    # narwhals runs some of its DuckDB queries (as-of joins) on the default connection.
    con = duckdb.default_connection()
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
    con.execute("SET enable_progress_bar = false")
    # Results in any order (the lines carry their position): less to hold while reading.
    con.execute("SET preserve_insertion_order = false")
    spill = str(Path(tempfile.gettempdir()) / "storelens-duckdb")
    # Set once per process: DuckDB refuses to move it once it has spilled there.
    if con.sql("SELECT current_setting('temp_directory')").fetchall()[0][0] != spill:
        con.execute(f"SET temp_directory = '{_quoted(spill)}'")
    checked = None
    if db:
        if not db.startswith(DUCKDB_URL):
            raise ValueError(f"{db}: give a DuckDB database as duckdb:///path/to/file.duckdb")
        file = db.removeprefix(DUCKDB_URL)
        if not Path(file).is_file():
            raise ValueError(f"{file}: no such DuckDB database")
        con.execute("DETACH DATABASE IF EXISTS source")
        con.execute(f"ATTACH '{_quoted(file)}' AS source (READ_ONLY)")
        tables = [
            name
            for (name,) in con.sql(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'source'"
            ).fetchall()
        ]
        if _table(table) not in tables:
            held = f" (it holds {', '.join(sorted(tables))})" if tables else " (it holds none)"
            raise ValueError(f"{table}: no such table in the DuckDB database{held}")
        rel = con.sql(
            _stripped(con, f"SELECT *, rowid AS {summaries.LINE} FROM source.{_table(table)}")
        )
        currency = _currency(rel.columns)
    else:
        files = files_of(paths)
        if texts := [f for f in files if f.suffix != ".parquet"]:
            raise ValueError(
                f"DuckDB reads parquet files here, not {_names(texts)}: leave out --engine "
                "duckdb (polars reads CSV files, gzipped too)"
            )
        # Each file's rows numbered apart, as _read numbers them: file k's from k * FILE_LINES.
        parts = [
            _stripped(
                con,
                f"SELECT * EXCLUDE (file_row_number), file_row_number + {k * FILE_LINES} AS "
                f"{summaries.LINE} FROM read_parquet('{_quoted(f)}', file_row_number = true)",
            )
            for k, f in enumerate(files)
        ]
        read = [con.sql(p) for p in parts]
        currency = _currency(read[0].columns)
        kinds = {tuple(sorted(zip(r.columns, map(str, r.types), strict=True))) for r in read}
        if len(kinds) > 1:
            # Files that type a column apart (ids as numbers in one file, as text in another):
            # one type for both would write 101.0 as "101.0". Each file is read as canonical
            # lines first (its ids written as canonical writes them), then stacked.
            parts, flagged = (
                [canonical(summaries.lazy(r), unusable=u).to_native().sql_query() for r in read]
                for u in (False, True)
            )
            checked = summaries.lazy(_stacked(con, flagged))
        rel = _stacked(con, parts)
    raw = summaries.lazy(rel)
    rows = rel.aggregate("count(*)").fetchall()[0][0]
    cuts: dict[int, list[float]] = {}
    return Source(
        canonical(raw),
        "duckdb",
        currency,
        con,
        share=lambda n, k: canonical(summaries.lazy(_duckdb_share(rel, n, k, cuts)), numbers=True),
        rows=rows,
        # Files typed apart are stacked as canonical lines: flagged each before (`checked`).
        checked=checked if checked is not None else canonical(raw, unusable=True),
    )


def _stripped(con: Any, query: str) -> str:
    """DuckDB `query` with its text stripped of BLANKS at either end, as polars strips it, only
    where a character at either end is below "!" or from U+0085 on (every blank is; DuckDB's
    text compares byte by byte, as UTF-8: text starting with another letter than ASCII's is
    trimmed too, unchanged). Text is any column DuckDB stores as text (VARCHAR, and JSON,
    which narwhals reads as text too: read as VARCHAR). In SQL for `text[-1]`, the last
    character: narwhals' slice(-1) counts the characters twice, and reading a share of 11.4M
    lines into a table took 0.5 s longer (four text columns)."""
    rel = con.sql(query)
    text = {
        _name(c): _name(c) if str(kind) == "VARCHAR" else f"CAST({_name(c)} AS VARCHAR)"
        for c, kind in zip(rel.columns, rel.types, strict=True)
        if kind.id == "varchar"
    }
    if not text:
        return query
    # The last character read once (it counts the characters): BETWEEN reads its input once.
    edge = "{t} < '!' OR {t} >= '\x85' OR {t}[-1] NOT BETWEEN '!' AND '\x84'"
    stripped = ", ".join(
        f"CASE WHEN {edge.format(t=t)} THEN trim({t}, '{_quoted(BLANKS)}') ELSE {t} END AS {c}"
        for c, t in text.items()
    )
    return f"SELECT * REPLACE ({stripped}) FROM ({query})"


def _stacked(con: Any, queries: Sequence[str]) -> Any:
    """The rows of DuckDB `queries`, stacked by column name."""
    return con.sql(" UNION ALL BY NAME ".join(f"({q})" for q in queries))


def _duckdb_share(rel: Any, n: int, k: int, cuts: dict[int, list[float]]) -> Any:
    """The lines of `rel` (a DuckDB relation of raw lines) of the k-th of n shares of the
    customers: a range of ids (as in polars: the reader checks it first) for ids typed as
    numbers, cut at quantiles of the ids (kept in `cuts`), else a hash of the id as text.
    Lines without a customer are in none."""
    column = _column(rel.columns, "customer_id")
    kind = str(rel.types[rel.columns.index(column)])
    col = _name(column)
    integer = kind.endswith("INT")
    if not integer and kind not in ("FLOAT", "DOUBLE"):
        keyed = _keyed(summaries.lazy(rel), column, "_share_key").to_native()
        share = f"_share_key IS NOT NULL AND hash(_share_key) % {n} = {k}"
        return keyed.filter(share).project("* EXCLUDE (_share_key)")
    if n not in cuts:
        number = f"CAST({col} AS DOUBLE)"
        points = [j / n for j in range(1, n)]
        found = rel.filter(f"isfinite({number})").aggregate(
            f"approx_quantile({number}, {points}::FLOAT[])" if points else "count(*)"
        )
        got = found.fetchall()[0][0] if points else []
        cuts[n] = [0.0] * (n - 1) if got is None else sorted(float(x) for x in got)
    low, high = _cut(cuts[n], k)
    # Floats finite: NaN sorts above +inf in DuckDB, and they are no customer. Not as bounds
    # (> -inf, < inf): DuckDB 2.0 drops those for a parquet row group whose statistics hold
    # no NaN, as polars writes them, and the last share took every line without a customer.
    rule = [f"{col} IS NOT NULL" if integer else f"isfinite({col})"]
    for bound, op in ((low, ">="), (high, "<")):
        if bound is not None:
            rule.append(f"{col} {op} {math.ceil(bound) if integer else repr(bound)}")
    return rel.filter(" AND ".join(rule))


def postgres_lines(url: str, table: str = "lines") -> Source:
    """The canonical lines of the table `table` of a PostgreSQL database (`url`:
    postgresql://user@host:port/db; a password missing from it comes from libpq's PGPASSWORD or
    ~/.pgpass), read through ibis and numbered in the table's stored order."""
    import ibis
    import psycopg

    try:
        con = ibis.connect(url)
    except psycopg.Error as exc:
        # The message names the server and the user, never the password.
        raise ValueError(f"PostgreSQL: {str(exc).strip().splitlines()[0]}") from None
    # For this session: plan the server-side cursors ibis fetches through for all their rows
    # (not the first tenth: 8 s instead of 0.2 s for the customers of 1M lines), and compile no
    # query to machine code (seconds each, for queries run once).
    for setting in ("cursor_tuple_fraction = 1.0", "jit = off"):
        con.raw_sql(f"SET {setting}").close()
    if _table(table) not in con.list_tables():
        raise ValueError(f"{table}: no such table in the PostgreSQL database")
    # A line's place in the table: its ctid (page, item) as one number, no sort needed.
    place = "(ctid::text::point)"
    line = f"({place}[0]::bigint * 65536 + {place}[1]::bigint) AS {summaries.LINE}"
    rel = con.sql(f'SELECT *, {line} FROM "{table}"')
    raw = summaries.lazy(rel)
    names = raw.collect_schema().names()
    # Unicode's blanks are no text of a database encoded otherwise (LATIN1, SQL_ASCII): there a
    # query naming them fails, and a pattern of their bytes would cut into other characters.
    with con.raw_sql("SHOW server_encoding") as cursor:
        utf8 = cursor.fetchone()[0] == "UTF8"
    blanks = BLANKS if utf8 else string.whitespace
    flagged = canonical(raw, unusable=True, blanks=blanks)
    return Source(canonical(raw, blanks=blanks), "postgres", _currency(names), con, checked=flagged)


def _table(name: str) -> str:
    """`name` when it is a plain table name (letters, digits and _). Raises ValueError."""
    if not re.fullmatch(r"\w+", name):
        raise ValueError(f"{name!r}: a table name is letters, digits and _")
    return name


def _name(column: str) -> str:
    """`column` as a quoted SQL identifier."""
    return '"' + column.replace('"', '""') + '"'


def _quoted(file: Path | str) -> str:
    return str(file).replace("'", "''")


def _currency(columns: Sequence[str]) -> str:
    """Online Retail's currency for its layout; none stated otherwise (as a mapped file)."""
    return retail.CURRENCY if any(c in RETAIL_COLUMNS for c in columns) else ""


def collect(frame: nw.LazyFrame, engine: str) -> pl.DataFrame:
    """A summary as a polars frame: polars' streaming engine, or the database's result."""
    with warnings.catch_warnings():
        # polars cannot check the sortedness of an as-of join by groups; the frames are sorted.
        warnings.filterwarnings("ignore", "Sortedness of columns cannot be checked")
        if engine == "polars":
            return frame.collect(engine="streaming").to_native()
        return frame.collect("polars").to_native()


# Tables a connection keeps are numbered: each stays what it was made from while it is read.
_TABLES = itertools.count()


def materialised(frame: nw.LazyFrame, source: Source, name: str) -> nw.LazyFrame:
    """`frame` computed once, for several summaries to read: in memory for polars, as a table
    of the DuckDB connection for DuckDB (it stays there), as a temporary table of the session
    for PostgreSQL."""
    return _kept(frame, source, name)[0]


def indexed(frame: nw.LazyFrame, name: str, columns: Sequence[str], source: Source) -> nw.LazyFrame:
    """`frame` materialised as a temporary table of a PostgreSQL session, with an index on
    `columns`: an as-of join looks a row up in it per cancellation (summaries.cancellation_shares),
    which without one re-read every purchase each time (a query growing with the square of the
    lines: 76 s on 200k)."""
    kept, table = _kept(frame, source, name)
    listed = ", ".join(f'"{c}"' for c in columns)
    for statement in (f'CREATE INDEX ON "{table}" ({listed})', f'ANALYZE "{table}"'):
        source.handle.raw_sql(statement).close()
    return kept


def _kept(frame: nw.LazyFrame, source: Source, name: str) -> tuple[nw.LazyFrame, str]:
    """materialised, and the name of the table that holds it (DuckDB, PostgreSQL)."""
    # Named apart from the user's tables (which a temporary table would hide), and numbered.
    kept = f"storelens_{name}_{next(_TABLES)}"
    if source.engine == "duckdb":
        frame.to_native().to_table(kept)
        return summaries.lazy(source.handle.table(kept)), kept
    if source.engine == "postgres":
        source.handle.create_table(kept, frame.to_native(), temp=True, overwrite=True)
        return summaries.lazy(source.handle.table(kept)), kept
    return summaries.lazy(collect(frame, source.engine).lazy()), ""


def in_order(frame: pl.DataFrame) -> pl.DataFrame:
    """Lines read into memory (a share) in their source's order (summaries.LINE), without
    LINE: as measures.customer_purchases reads them (ties go to the later line)."""
    return _by_line(frame).drop(summaries.LINE)


def _by_line(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` sorted by summaries.LINE (itself when it is already)."""
    return frame if frame[summaries.LINE].is_sorted() else frame.sort(summaries.LINE)


def _judged(share: nw.LazyFrame, counted: list[tuple[int, int]] | None = None) -> pl.DataFrame:
    """A share of polars lines read into memory, its exact duplicates found over the whole lines
    and then only the columns the summaries read kept (measures.judged_lines), LINE too: the
    item names and regions go before the purchases are summarised (1M lines peak 20-30 MB
    lower). Nothing but this function holds the whole lines.

    The text only duplicates are judged by (item names, categories, sellers, regions: the text
    columns JUDGED_COLUMNS leave out) is read as one 64-bit hash of it, a number per line that is
    equal where the text is: the share never holds that text whole (a 1M-line share is read into
    53 MB instead of 75), as when it was read as categories, which took 15-30 ms longer (session
    38 measured 8 ms). `python -m lib rfm` on 1M lines peaks at 221-231 MiB (four runs; 223-249
    with a hash per column, read into 59 MB). Two lines alike in every other column whose texts
    differ would be judged one only were the hashes of their texts equal: about one such pair
    in 10^19.

    A share read with canonical's UNUSABLE has its flagged lines left out here, and how many of
    how many appended to `counted` (when given): counted as read, not in another pass."""
    kept = (*measures.JUDGED_COLUMNS, summaries.LINE)
    text = [c for c, kind in share.collect_schema().items() if kind == nw.String and c not in kept]
    read = share.to_native()
    if text:  # one hash of them all: a number per line, as their categories were
        read = read.with_columns(pl.struct(text).hash().alias(text[0])).drop(text[1:])
    whole = _by_line(collect(summaries.lazy(read), "polars"))
    if UNUSABLE in whole.columns:
        dropped = int(whole[UNUSABLE].sum())
        if counted is not None:
            counted.append((dropped, whole.height))
        whole = (whole.filter(~pl.col(UNUSABLE)) if dropped else whole).drop(UNUSABLE)
    line = whole[summaries.LINE]
    return measures.judged_lines(whole.drop(summaries.LINE)).with_columns(line)


def _purchased(
    share: nw.LazyFrame,
    source: Source,
    counted: list[tuple[int, int]] | None,
    latest: list[datetime | None] | None,
) -> nw.LazyFrame:
    """summaries.order_days of the purchases of a polars share, read into memory here
    (_judged, `counted` as it counts): no other name holds its lines, so the columns order_days
    reads not, item ids among them, go once the purchases are found (1M lines peak 10 MB
    lower); with `latest`, the time of its latest line appended. Its purchases are
    measures.customer_purchases' own, which finds duplicates by sorting row hashes on every
    core, in half the time of the lazy definition's group-by over whole lines (the same rows:
    a test checks). order_days reads them in place: a line left out has no time, so it passes
    it by; kept as `source` (in memory) keeps it."""
    frame = in_order(_judged(share, counted))
    if latest is not None:
        latest.append(frame["ordered_at"].max())
    rows = measures.purchase_rows(frame)
    frame = frame.select(c for c in summaries.ORDER_COLUMNS if c in frame.columns)
    kept = pl.repeat(False, frame.height, eager=True).scatter(rows["_row"], True)
    net = pl.zeros(frame.height, eager=True).scatter(rows["_row"], rows["revenue"])
    known = frame.lazy().with_columns(
        pl.when(kept).then(pl.col("ordered_at")).alias("ordered_at"), net.alias("revenue")
    )
    return materialised(summaries.order_days(summaries.lazy(known)), source, "order_days")


def _days_of(
    lines: nw.LazyFrame, source: Source, clean: bool, judged: bool = False
) -> nw.LazyFrame:
    """summaries.order_days of the purchases of `lines` (`clean`; `judged`: lines that are
    summaries.first_copies already) or of every line of a known customer (the columns rfm
    reads), computed once. A polars share's purchases: _purchased."""
    if clean:
        keep = partial(indexed, source=source) if source.engine == "postgres" else None
        shares = summaries.cancellation_shares(lines, judged=judged, keep=keep)
        shares = materialised(shares, source, "shares")
        known = summaries.purchases(lines, shares, judged=judged)
    else:
        names = lines.collect_schema().names()
        known = lines.filter(~nw.col("customer_id").is_null()).select(
            [c for c in summaries.ORDER_COLUMNS if c in names]
        )
    return materialised(summaries.order_days(known), source, "order_days")


def _order_days(source: Source, clean: bool, before: date | None = None) -> nw.LazyFrame:
    """_days_of the lines of `source` (`before`: those placed before that day, cleaned as they
    stood then, as measures.before), kept for the next summary of the same lines.

    polars and DuckDB read the lines a share of the customers at a time (SHARE_LINES), into
    memory (a table for DuckDB), and summarise them there: every summary is per customer or
    per order of a customer, so exact within a share; the duplicate check holds only that
    share's lines, and the cancellation matching reads them again from memory, not the files."""
    key = (clean, before)
    if key in source.kept:
        return source.kept[key]
    cut = None if before is None else datetime.combine(before, time.min)

    def placed(lines: nw.LazyFrame) -> nw.LazyFrame:
        return lines if cut is None else lines.filter(nw.col("ordered_at") < cut)

    if source.share is None:
        source.kept[key] = _days_of(placed(source.lines), source, clean)
        return source.kept[key]
    n = max(1, math.ceil(source.rows / SHARE_LINES))
    # polars sums a share in memory with its default engine (faster there than streaming).
    work = source if source.engine != "polars" else Source(source.lines, "memory")
    days, latest = [], []
    # Each share's latest time, beside those of the lines in no share (_last_time), without a cut.
    timed = source.unshared is not None and cut is None
    in_memory = source.engine == "polars" and clean
    for k in range(n):
        judged = False
        # polars flags the lines canonical leaves out, counted as read (_judged), without a cut.
        share = placed(source.share(n, k, unusable=True) if in_memory else source.share(n, k))
        if in_memory:
            counted = source.counted if cut is None else None
            days.append(_purchased(share, work, counted, latest if timed else None))
            continue
        if clean:
            # DuckDB keeps a share's first copies, narrowed, judged as the share is read: a
            # share of 11.4M lines in 6.5 s, against 5.1 s to keep it whole and 3.2 s to judge
            # its duplicates from that table.
            first = summaries.first_copies(share, measures.JUDGED_COLUMNS)
            lines, table = _kept(first, source, "lines")
            judged = True
        else:
            lines, table = _kept(share, source, "lines")
        days.append(_days_of(lines, work, clean, judged))
        if timed:
            latest.append(collect(summaries.last_time(lines), source.engine).item())
        if table:
            source.handle.execute(f"DROP TABLE {table}")
    # Ids stay numbers where they were read as numbers (grouped and sorted faster than text):
    # rfm_frames writes them as text for the customers it shows.
    every = nw.concat(days, how="vertical")
    source.kept[key] = materialised(every, source, "order_days")
    if cut is None:  # the latest times of every line, for cohorts (_last_time)
        source.latest[:] = latest
    return source.kept[key]


def days(source: Source) -> tuple[date, date] | None:
    """The days of the first and the latest line of `source` (None without lines)."""
    times = nw.col("ordered_at")
    span = collect(
        source.lines.select(times.min().alias("a"), times.max().alias("b")), source.engine
    )
    first, last = span.row(0)
    return None if first is None else (first.date(), last.date())


def _last_time(source: Source) -> datetime | None:
    """The time of the latest line of `source`. Read share by share (_order_days), the latest
    of the shares' and of the lines in no share: one column of those few lines read again
    (text times parsed again), not of every line (at 1M lines 0.02 s instead of 0.04)."""
    if source.unshared is None or not source.latest:
        return collect(summaries.last_time(source.lines), source.engine).item()
    rest = collect(summaries.last_time(source.unshared), source.engine).item()
    return max((t for t in (*source.latest, rest) if t is not None), default=None)


def rfm_frames(
    source: Source,
    *,
    bins: int = 5,
    recency_ties: str = "value",
    frequency_ties: str = "first",
    monetary_ties: str = "value",
    as_of: str = "",
    clean: bool = True,
    across: str = "frequency",
    compare_as_of: str = "",
) -> dict[str, pl.DataFrame]:
    """rfm.headless's tables, from the summaries of `source`."""
    rfm.check_bins(bins)
    if compare_as_of:
        raise ValueError("compare_as_of needs the lines in memory: load a single file")
    ties = rfm.tie_rules(
        {"recency": recency_ties, "frequency": frequency_ties, "monetary": monetary_ties}
    )
    day = rfm.as_of_date(as_of)
    days = _order_days(source, clean, day)
    if day is None:
        last = collect(days.select(nw.col("last_at").max()), source.engine).item()
        day = None if last is None else last.date() + timedelta(days=1)
    per = collect(as_text(summaries.customers(summaries.orders(days, day))), source.engine)
    table = rfm.summarised(per, day)
    return rfm.table_frames(table, source.currency, bins, ties, across)


def cohort_frames(
    source: Source,
    *,
    grain: str = "month",
    metric: str = "customers",
    relative: bool = True,
    shown: int = cohorts.DEFAULT_SHOWN,
    churn_quantile: float = churn.QUANTILE,
) -> dict[str, pl.DataFrame]:
    """cohorts.headless's tables, from the summaries of `source`."""
    cohorts.check_options(grain, metric, churn_quantile)
    every = cohorts.GRAINS[grain]
    days = _order_days(source, clean=True)
    last = _last_time(source)
    periods = collect(summaries.customer_periods(days, every), source.engine)
    table = (
        cohorts.period_cohorts(periods, every, last.date())
        if last is not None and periods.height
        else cohorts.cohort_table(pl.DataFrame(schema=_LINES), every)
    )
    bought = collect(summaries.purchase_days(summaries.orders(days)), source.engine)
    base = churn.churn_base(bought.sort("customer_id", "day"), (churn_quantile,))
    window = churn.churn(base, churn_quantile)
    return cohorts.table_frames(
        table,
        window.windows,
        window.monthly,
        metric=metric,
        relative=relative,
        shown=shown,
        first_day=bought["day"].min(),
    )


FRAMES: dict[str, Callable[..., dict[str, pl.DataFrame]]] = {
    "rfm": rfm_frames,
    "cohorts": cohort_frames,
}


def rfm_notes(source: Source, *, as_of: str = "", **_: object) -> list[str]:
    """rfm.notes of `source` (the latest line read only for an as-of date)."""
    return rfm.past_data(as_of, _last_time(source)) if as_of else []


# What a command's summarised tables assume, said beside them (rfm.notes' twins).
NOTES: dict[str, Callable[..., list[str]]] = {"rfm": rfm_notes}


def source_of(
    paths: Sequence[str], engine: str = "polars", db: str = "", table: str = "lines"
) -> Source:
    """The lines to summarise: the table `table` of a database (`db`: a DuckDB or PostgreSQL
    URL), or files read by `engine`."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}")
    if db.startswith(POSTGRES_URLS):
        return postgres_lines(db, table)
    if db and not db.startswith(DUCKDB_URL):
        raise ValueError(
            "give a database as duckdb:///path/to/file.duckdb or postgresql://user@host/db"
        )
    if db or engine == "duckdb":
        return duckdb_lines(paths, db, table)
    return polars_lines(paths)
