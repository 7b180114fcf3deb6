"""Customer analyses on data too big to load: summaries (lib/summaries.py) run by polars'
streaming engine over parquet/CSV files, inside DuckDB, or inside PostgreSQL (through ibis);
only the summaries come back."""

from __future__ import annotations

import glob
import re
import tempfile
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import narwhals as nw
import polars as pl

from lib import parse, summaries
from lib.analyses import churn, cohorts, rfm
from lib.formats import retail
from lib.model import SPECS

ENGINES = ("polars", "duckdb")
# Where a database URL (--db) points: DuckDB's file, or a PostgreSQL server read through ibis.
DUCKDB_URL = "duckdb://"
POSTGRES_URLS = ("postgresql://", "postgres://")
SUFFIXES = (".parquet", ".csv")
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


def files_of(paths: Sequence[str]) -> list[Path]:
    """The parquet and CSV files that `paths` (files, folders, glob patterns) name, sorted
    within each path. Raises ValueError when there are none."""
    found: list[Path] = []
    for path in paths:
        p = Path(path)
        if p.is_dir():
            found += sorted(f for f in p.iterdir() if f.suffix in SUFFIXES and f.is_file())
        elif p.is_file():
            found.append(p)
        else:
            found += sorted(Path(f) for f in glob.glob(path) if Path(f).suffix in SUFFIXES)
    if not found:
        raise ValueError(f"no parquet or CSV files in {', '.join(paths)}")
    odd = [f.name for f in found if f.suffix not in SUFFIXES]
    if odd:
        raise ValueError(f"{odd[0]}: big data is read from parquet or CSV files only")
    return found


def _id(column: str, dtype: Any) -> nw.Expr:
    """parse.to_id for a typed column: integers as text, whole floats without ".0", text
    stripped with empty text as missing."""
    col = nw.col(column)
    if dtype.is_integer():
        return col.cast(nw.String)
    if dtype.is_float():
        # NaN and infinities are missing before any cast (DuckDB would cast them and fail).
        known = nw.when(col.is_finite()).then(col)
        whole = known.cast(nw.Int64).cast(nw.String)
        return nw.when(known == known.floor()).then(whole).otherwise(known.cast(nw.String))
    text = col.cast(nw.String).str.strip_chars()
    return nw.when(text != "").then(text)


def canonical(raw: nw.LazyFrame) -> nw.LazyFrame:
    """Lines of the canonical layout (or Online Retail's columns, whose C invoices are
    returns) with canonical names and types, lines without a time left out, summaries.LINE
    kept. The time must be typed already (a datetime or date); `polars_lines` reads text
    times."""
    schema = raw.collect_schema()
    names = {c: RETAIL_COLUMNS.get(c, c) for c in schema.names()}
    retail_layout = any(c in RETAIL_COLUMNS for c in schema.names())
    missing = [c for c in ("order_id", "customer_id", "ordered_at") if c not in names.values()]
    if missing:
        raise ValueError(f"lines need column(s) {', '.join(missing)}")
    exprs = [nw.col(summaries.LINE)] if summaries.LINE in names else []
    for source, name in names.items():
        if name not in _LINES or name == "revenue" and retail_layout:
            continue
        kind = _LINES[name]
        if kind == pl.String:
            exprs.append(_id(source, schema[source]).alias(name))
        elif kind == pl.Boolean:
            exprs.append(nw.col(source).cast(nw.Boolean).alias(name))
        elif kind == pl.Float64:
            exprs.append(nw.col(source).cast(nw.Float64).alias(name))
        elif kind == pl.Int64:
            exprs.append(nw.col(source).cast(nw.Int64).alias(name))
        else:
            exprs.append(nw.col(source).cast(nw.Datetime("us")).alias(name))
    frame = raw.select(exprs).filter(~nw.col("ordered_at").is_null())
    got = frame.collect_schema().names()
    if "revenue" not in got:
        if "quantity" not in got or "unit_price" not in got:
            raise ValueError("lines need revenue, or quantity and unit_price")
        frame = frame.with_columns((nw.col("quantity") * nw.col("unit_price")).alias("revenue"))
    if retail_layout and "is_return" not in got:
        # Invoice numbers starting with C are cancellations: returns, not sales.
        frame = frame.with_columns(
            nw.col("order_id").str.starts_with("C").fill_null(value=False).alias("is_return")
        )
    order = [c for c in (*_LINES, summaries.LINE) if c in frame.collect_schema().names()]
    return frame.select(order)


def _text_times(frame: pl.LazyFrame, column: str) -> pl.LazyFrame:
    """`column` of text read as times with the formats parse.to_datetime finds on a sample."""
    sample = frame.select(column).head(5000).collect().to_series()
    found = _FORMATS.search(parse.to_datetime(sample).detail)
    if found is None:
        raise ValueError(f"{column}: no date format fits its first values")
    text = pl.col(column).str.strip_chars()
    return frame.with_columns(
        pl.coalesce(
            text.str.to_datetime(f, time_unit="us", strict=False)
            for f in found.group(1).split(" or ")
        ).alias(column)
    )


def _typed(column: str, dtype: pl.DataType) -> pl.Expr:
    """A CSV column read as text, as `dtype` (a flag from true/false or 1/0)."""
    text = pl.col(column).str.strip_chars()
    if dtype == pl.Boolean:
        flags = {"true": True, "1": True, "false": False, "0": False}
        return text.str.to_lowercase().replace_strict(flags, default=None, return_dtype=dtype)
    return text.cast(dtype)


def _scan(file: Path) -> pl.LazyFrame:
    """A parquet or CSV file (read as text, then numbers and flags typed), its times read when
    they are text."""
    if file.suffix == ".parquet":
        frame = pl.scan_parquet(file)
    else:
        frame = pl.scan_csv(file, infer_schema=False)
        kinds = {c: _LINES.get(RETAIL_COLUMNS.get(c, c)) for c in frame.collect_schema().names()}
        frame = frame.with_columns(
            _typed(c, kind)
            for c, kind in kinds.items()
            if kind in (pl.Float64, pl.Int64, pl.Boolean)
        )
    schema = frame.collect_schema()
    when = next((c for c in schema.names() if RETAIL_COLUMNS.get(c, c) == "ordered_at"), None)
    return _text_times(frame, when) if when and schema[when] == pl.String else frame


def polars_lines(paths: Sequence[str]) -> Source:
    """The canonical lines of parquet and CSV files, scanned lazily for polars' streaming
    engine (numbered in file order)."""
    files = files_of(paths)
    scans = [_scan(f) for f in files]
    parts = [canonical(summaries.lazy(f)).to_native() for f in scans]
    lines = pl.concat(parts, how="diagonal_relaxed").with_row_index(summaries.LINE)
    return Source(summaries.lazy(lines), "polars", _currency(scans[0].collect_schema().names()))


def duckdb_lines(paths: Sequence[str] = (), db: str = "", table: str = "lines") -> Source:
    """The canonical lines read inside DuckDB: parquet files (`paths`) or the table `table`
    of a DuckDB database (`db`: duckdb:///abs/path.duckdb or duckdb://relative.duckdb),
    numbered by their position in the source."""
    import duckdb

    # narwhals runs some of its DuckDB queries (as-of joins) on the default connection.
    con = duckdb.default_connection()
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
    con.execute("SET enable_progress_bar = false")
    spill = str(Path(tempfile.gettempdir()) / "storelens-duckdb")
    # Set once per process: DuckDB refuses to move it once it has spilled there.
    if con.sql("SELECT current_setting('temp_directory')").fetchall()[0][0] != spill:
        con.execute(f"SET temp_directory = '{_quoted(spill)}'")
    if db:
        if not db.startswith(DUCKDB_URL):
            raise ValueError(f"{db}: give a DuckDB database as duckdb:///path/to/file.duckdb")
        file = db.removeprefix(DUCKDB_URL)
        if not Path(file).is_file():
            raise ValueError(f"{file}: no such DuckDB database")
        con.execute("DETACH DATABASE IF EXISTS source")
        con.execute(f"ATTACH '{_quoted(file)}' AS source (READ_ONLY)")
        rel = con.sql(f"SELECT *, rowid AS {summaries.LINE} FROM source.{_table(table)}")
    else:
        files = files_of(paths)
        if any(f.suffix != ".parquet" for f in files):
            raise ValueError("DuckDB reads parquet files here; load CSV files with polars")
        # Each file's rows numbered apart: file k's rows start at k * 2^40.
        parts = [
            f"SELECT * EXCLUDE (file_row_number), file_row_number + {k << 40} AS "
            f"{summaries.LINE} FROM read_parquet('{_quoted(f)}', file_row_number = true)"
            for k, f in enumerate(files)
        ]
        rel = con.sql(" UNION ALL ".join(parts))
    raw = summaries.lazy(rel)
    return Source(canonical(raw), "duckdb", _currency(raw.collect_schema().names()), con)


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
    return Source(canonical(raw), "postgres", _currency(raw.collect_schema().names()), con)


def _table(name: str) -> str:
    """`name` when it is a plain table name (letters, digits and _). Raises ValueError."""
    if not re.fullmatch(r"\w+", name):
        raise ValueError(f"{name!r}: a table name is letters, digits and _")
    return name


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


def materialised(frame: nw.LazyFrame, source: Source, name: str) -> nw.LazyFrame:
    """`frame` computed once, for several summaries to read: in memory for polars, as a table
    of the DuckDB connection for DuckDB (it stays there), as a temporary table of the session
    for PostgreSQL."""
    if source.engine == "duckdb":
        source.handle.execute(f"DROP TABLE IF EXISTS {name}")
        frame.to_native().to_table(name)
        return summaries.lazy(source.handle.table(name))
    if source.engine == "postgres":
        # Named apart from the user's tables, which a temporary table would hide.
        kept = f"storelens_{name}"
        source.handle.create_table(kept, frame.to_native(), temp=True, overwrite=True)
        return summaries.lazy(source.handle.table(kept))
    return summaries.lazy(collect(frame, source.engine).lazy())


def _order_days(source: Source, clean: bool) -> nw.LazyFrame:
    """summaries.order_days of the purchases (`clean`) or of every line of a known customer
    (the columns rfm reads), computed once."""
    lines = source.lines
    if clean:
        shares = materialised(summaries.cancellation_shares(lines), source, "shares")
        known = summaries.purchases(lines, shares)
    else:
        names = lines.collect_schema().names()
        known = lines.filter(~nw.col("customer_id").is_null()).select(
            [c for c in rfm.ORDER_COLUMNS if c in names]
        )
    return materialised(summaries.order_days(known), source, "order_days")


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
    if compare_as_of:
        raise ValueError("compare_as_of needs the lines in memory: load a single file")
    ties = rfm.tie_rules(
        {"recency": recency_ties, "frequency": frequency_ties, "monetary": monetary_ties}
    )
    days = _order_days(source, clean)
    day = rfm.as_of_date(as_of)
    if day is None:
        last = collect(days.select(nw.col("last_at").max()), source.engine).item()
        day = None if last is None else last.date() + timedelta(days=1)
    per = collect(summaries.customers(summaries.orders(days, day)), source.engine)
    table = rfm.summarised(per, day)
    return rfm.table_frames(table, source.currency, bins, ties, across)


def cohort_frames(
    source: Source,
    *,
    grain: str = "month",
    metric: str = "customers",
    relative: bool = True,
    shown: int = 0,
    churn_quantile: float = churn.QUANTILE,
) -> dict[str, pl.DataFrame]:
    """cohorts.headless's tables, from the summaries of `source`."""
    cohorts.check_options(grain, metric, churn_quantile)
    every = cohorts.GRAINS[grain]
    days = _order_days(source, clean=True)
    last = collect(summaries.last_time(source.lines), source.engine).item()
    periods = collect(summaries.customer_periods(days, every), source.engine)
    table = (
        cohorts.period_cohorts(periods, every, last.date())
        if last is not None and periods.height
        else cohorts.cohort_table(pl.DataFrame(schema=_LINES), every)
    )
    bought = collect(summaries.purchase_days(summaries.orders(days)), source.engine)
    window = churn.churn(churn.churn_base(bought.sort("customer_id", "day")), churn_quantile)
    return cohorts.table_frames(
        table, window.windows, window.monthly, metric=metric, relative=relative, shown=shown
    )


FRAMES: dict[str, Callable[..., dict[str, pl.DataFrame]]] = {
    "rfm": rfm_frames,
    "cohorts": cohort_frames,
}


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
