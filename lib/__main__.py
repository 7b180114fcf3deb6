"""Headless twin of the app: `python -m lib COMMAND FILES... [--options]`. Analyses print their
tables as JSON or CSV (`--format json|csv`); `report` writes an HTML file (`--out`)."""

from __future__ import annotations

import argparse
import contextlib
import glob
import importlib
import inspect as introspect
import json
import math
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

from lib.memory import tune_allocators

tune_allocators()  # before polars is imported, as the app does (lib/memory.py)

import polars as pl  # noqa: E402

from lib import fmt, formats, io, measures  # noqa: E402
from lib import recipe as recipe_lib  # noqa: E402
from lib.catalog import PAGE_BY_KEY  # noqa: E402
from lib.formats import base, generic  # noqa: E402
from lib.model import Dataset  # noqa: E402


class UsageError(Exception):
    """A one-line message for stderr; the command exits with status 2."""


@contextlib.contextmanager
def _writing(path: str, option: str) -> Iterator[None]:
    """Writes under `path` (given by `option`): a path that cannot take them (a file where a
    folder goes, a folder where a file goes, no permission) is a UsageError naming it."""
    try:
        yield
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UsageError(
            f"{path}: cannot write there ({reason}): choose another {option}"
        ) from None


def _at_least(low: int):
    """An argparse type: a whole number of at least `low`."""

    def whole(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low:
            raise argparse.ArgumentTypeError(f"takes a whole number of at least {low}, not {text}")
        return value

    return whole


def load(paths: Sequence[str], needs: Sequence[str] | None = None) -> formats.Assembly:
    """Read files as the app does; unknown tables get the guessed mapping when it is valid, and
    what looks wrong or is assumed in it goes to stderr, one `warning:` line each. `needs`: the
    tables the command reads, when not all (formats.assemble may skip building the others).

    A table that is neither known nor mappable (a notes sheet beside the data) is skipped with a
    message while others load; alone, it is an error. So is a file all of whose rows were left
    out (every date unreadable, say): the error says which column and why.
    """
    tables: list[io.RawTable] = []
    for path in files_in(paths):
        tables += io.read_path(path, budget=io.machine_budget())
    mappings = {}
    skipped: list[str] = []
    guessed: list[str] = []
    doubts: list[str] = []
    for table in tables:
        if formats.recognise(table).kind is None:
            guess = generic.guess_mapping(table.frame)
            problems, warnings = generic.mapping_checks(table.frame, guess)
            if problems:
                hint = base.near_miss(table.name, table.frame.columns, formats.KINDS)
                why = problems[0][:1].lower() + problems[0][1:]  # within a sentence
                skipped.append(
                    f"{hint}; as order lines: {why}"
                    if hint
                    else f"{table.name}: not a known export and {why}"
                )
            else:
                mappings[table.name] = guess
                used = ", ".join(f"{f} <- {c}" for f, c in guess.used().items())
                stated = (
                    f"; currency {guess.currency}, named by the amounts" if guess.currency else ""
                )
                guessed.append(f"{table.name}: columns mapped by guess: {used}{stated}")
                doubts += [f"{table.name}: {w}" for w in warnings]
    usable = [t for t in tables if formats.recognise(t).kind is not None or t.name in mappings]
    if skipped and not usable:
        raise UsageError(skipped[0])
    name = ", ".join(Path(p).name for p in paths)
    assembly = formats.assemble(usable, mappings, name=name, needs=needs)
    emptied = [n for n in base.dropped(assembly.dataset.notes) if n.count == n.rows]
    if emptied:
        raise UsageError("; ".join(f"{n.file}: {n.message}" for n in emptied))
    # Only once the data loaded: a refusal stays one line.
    _note(guessed)
    _note(doubts, "warning")
    notes = tuple(f"skipped {m}" for m in skipped)
    return replace(assembly, messages=notes + assembly.messages) if notes else assembly


def files_in(paths: Sequence[str]) -> list[str]:
    """The files `paths` name for the loader: a file itself, a folder's files and a glob
    pattern's matches (hidden ones aside, sorted), as an upload of those files. Raises
    UsageError for a path that names none."""
    files: list[str] = []
    for path in paths:
        p = Path(path)
        if p.is_file():
            files.append(path)
            continue
        if p.is_dir():
            found = [str(f) for f in sorted(p.iterdir()) if f.is_file()]
        elif glob.has_magic(path):
            found = sorted(f for f in glob.glob(path) if Path(f).is_file())
        else:
            raise UsageError(f"{path}: no such file")
        found = [f for f in found if not Path(f).name.startswith(".")]
        if not found:
            raise UsageError(f"{path}: no files in it")
        files += found
    return files


def inspect(args: argparse.Namespace) -> dict:
    from lib import quality

    assembly = load(args.files)
    ds = assembly.dataset
    report = quality.report(ds)
    return {
        "format": ds.source_format,
        "currency": ds.currency,
        "tables": ds.row_counts(),
        "recognised": [
            {"table": r.name, "as": r.kind.label if r.kind else None, "rows": r.rows}
            for r in assembly.recognitions
        ],
        "findings": [
            {
                "rule": f.rule,
                "title": f.info.title,
                "table": f.table,
                "severity": f.info.severity,
                "count": f.count,
                "share": round(f.share, 6),
                "share_of": f.share_of,
                "why": f.explained,
            }
            for f in report.findings
        ],
        "notes": [{"file": n.file, "column": n.column, "message": n.message} for n in ds.notes],
        "messages": list(assembly.messages),
    }


# Every demo the CLI writes or reads: the app's, and the shop platforms' exports, and the fewest
# rows a demo has (lib.demo's KINDS, PLATFORM_KINDS and MIN_ROWS, written out: a command on files
# then never imports the demos' generators, 0.02 s; tests/test_cli.py keeps them in step).
DEMO_MIN_ROWS = 500
DEMOS: tuple[str, ...] = (
    "marketplace",
    "webshop",
    "retail",
    "shopify",
    "woocommerce",
    "stripe",
    "amazon",
)


def write_demo(args: argparse.Namespace) -> dict:
    from lib import demo

    generated = demo.demo(args.kind, rows=args.rows, seed=args.seed)
    with _writing(args.out, "--out"):
        written = io.write_csv_tables(generated.files, args.out)
    return {"kind": args.kind, "files": {p.name: generated.files[p.name].height for p in written}}


# Commands that mirror an analysis page: module lib.analyses.NAME with a `headless(dataset,
# **options) -> dict[str, pl.DataFrame]` whose keyword options become --options.
ANALYSES: dict[str, str] = {
    "sales": "KPIs, revenue over time, top items and purchase patterns",
    "bridge": "revenue change between two periods, step by step (new, returning, lost, price)",
    "categories": "category performance, growth-share quadrants and potential",
    "regions": "regional table with priority scores and map points",
    "rfm": "RFM scores, segments and the R x F grid (--compare-as-of: segment movement too)",
    "movement": "customers moving between RFM segments from one as-of date to another",
    "clusters": "customer clusters with a suggested k, profiles, drivers and ROI",
    "cohorts": "retention by first-purchase cohort and the average retention curve",
    "churn": "the gap within which most repeat purchases come; new, repeating, lapsed per month",
    "delivery": "on-time rate, stage durations, late orders by region, month, category, seller",
    "lateness": "repeat orders and revenue after a late versus an on-time first delivery",
    "events": "events per day, view-to-order conversion, funnels and viewed-together items",
    "funnel": "lead to seller conversion, time to close, rep performance and matching",
    "clv": "BG/NBD + Gamma-Gamma lifetime value with sufficiency checks and holdout validation",
}


# Commands that also run on lines too big to load, from summaries (lib/engines.py).
SUMMARISED = ("rfm", "cohorts")
# Commands that run there on the order summary the app opens a folder with (lib/local.py).
ORDER_SUMMARY = ("sales", "bridge", "regions", "movement", "churn", "clv", "clusters")
# The database URL of --db when neither it nor files are given (keeps a password off the
# command line; PostgreSQL also reads PGPASSWORD).
DB_URL_VARIABLE = "STORELENS_DB_URL"


# Said of a folder or glob whose files hold no order lines for the engines: by the names they
# read (a web shop's orders.csv holds an order id, a customer and a time by names of its own).
NO_LINES = (
    "no file is one table of order lines by the names the summaries read (order_id, "
    "customer_id and ordered_at, or Online Retail's InvoiceNo or Invoice, CustomerID or Customer "
    "ID, and InvoiceDate), so its files are loaded as the app loads them (an export of several "
    "tables, such as Olist's)"
)


def analysis(args: argparse.Namespace) -> dict:
    if args.command in SUMMARISED + ORDER_SUMMARY and not args.demo:
        from lib import engines

        if not args.db and not args.files:
            args.db = os.environ.get(DB_URL_VARIABLE, "")
        summarised = args.command in SUMMARISED and not getattr(args, "compare_as_of", "")
        inside = bool(args.db) or args.engine == "duckdb"
        if not inside and engines.is_lazy(args.files) and not engines.holds_lines(args.files):
            # An export of several tables (Olist's), not one table of lines: its files load
            # as the app loads them.
            _note([f"{', '.join(args.files)}: {NO_LINES}"])
        elif inside or engines.is_lazy(args.files):
            if summarised:
                return _summarised(args)
            return _frames(args, _order_summary(args))  # rfm's movement needs the orders
        elif summarised and engines.summarises(args.files):
            return _summarised(args)
    if args.demo:
        ds = formats.assemble_demo(args.demo).dataset
    elif args.files:
        ds = _said(load(args.files, needs=tables_read(args.command)))
    else:
        raise UsageError(f"{args.command}: give files to read, or --demo KIND")
    return _frames(args, ds)


def _said(assembly: formats.Assembly) -> Dataset:
    """The data set of `assembly`, with its messages (a file skipped) and the loader's notes
    about rows (values it could not read, rows it left out or read as returns) said on stderr,
    as the app's Data page says them: an analysis's tables do not. How a column was derived
    (revenue as quantity x unit price) is the mapping's, and is not repeated, unless the files
    made no table: then every note says why (Olist's order items alone ask for the orders)."""
    _note(assembly.messages)
    empty = not assembly.dataset.tables
    _note([f"{n.file}: {n.message}" for n in assembly.dataset.notes if n.count or empty])
    return assembly.dataset


# Commands that read no order lines (Delivery reads the orders: it explains cancelled ones).
WITHOUT_LINES = ("delivery", "events", "funnel")


def tables_read(command: str) -> tuple[str, ...] | None:
    """The tables an analysis command reads, when not all: a summarised command reads nothing
    but lines (its summaries are of lines)."""
    return ("lines",) if command in SUMMARISED else None


def _frames(args: argparse.Namespace, ds: Dataset) -> dict:
    """The command's headless tables on `ds` with the command line's options."""
    if args.command not in WITHOUT_LINES and (why := measures.only_unsold(ds)):
        raise UsageError(f"{args.command}: {why}")
    module = importlib.import_module(f"lib.analyses.{args.command}")
    options = {name: getattr(args, name) for name in _options(module.headless)}
    lines = ds.tables.get("lines")
    if lines is not None and "ordered_at" in lines.columns and lines["ordered_at"].count():
        first, last = lines["ordered_at"].min(), lines["ordered_at"].max()
        if why := outside_data(options, first.date(), last.date()):
            raise UsageError(f"{args.command}: {why}")
    try:
        frames = module.headless(ds, **options)
    except (KeyError, ValueError) as exc:
        message = exc.args[0] if exc.args else str(exc)  # KeyError's str() adds quotes
        raise UsageError(f"{args.command}: {message}") from None
    if hasattr(module, "notes"):  # what its tables leave out
        _note(module.notes(ds, **options))
    return _told(frames)


def _told(frames: Mapping[str, pl.DataFrame]) -> dict:
    """An analysis's tables, its `notes` table (what the tables could not include: clv's
    holdout check) said on stderr instead of printed as a table."""
    frames = dict(frames)
    if "notes" in frames:
        _note(frames.pop("notes")["note"].to_list())
    return frames


def _summarised(args: argparse.Namespace) -> dict:
    """The command's tables from summaries computed by polars' streaming engine over files
    (a folder, a glob, a parquet file engines.summarises), inside DuckDB (--engine duckdb,
    --db duckdb://) or inside PostgreSQL (--db postgresql://)."""
    from lib import engines

    module = importlib.import_module(f"lib.analyses.{args.command}")
    options = {name: getattr(args, name) for name in _options(module.headless)}
    with _engine_errors(args):
        source = engines.source_of(args.files, args.engine, args.db, args.db_table)
        dated = any(options.get(name) for name in DATE_OPTIONS)
        if dated and (span := engines.days(source)) and (why := outside_data(options, *span)):
            raise UsageError(f"{args.command}: {why}")
        frames = engines.FRAMES[args.command](source, **options)
        _note(_left_out(args))  # once the tables are made: a refusal stays one line
        counted = engines.left_out_lines(source)
        if dropped := engines.left_out_lines_note(*counted, lines="lines with a customer id"):
            _note([dropped], "warning")  # as the loader warns of lines it leaves out
        if args.command in engines.NOTES:
            _note(engines.NOTES[args.command](source, **options))
        return frames


# Options that name a day or a period of the data (outside_data checks them).
DATE_OPTIONS = (
    "as_of",
    "compare_as_of",
    "start",
    "end",
    "previous",
    "current",
    "bridge_previous",
    "bridge_current",
    "calibration_end",
)


# Options that name a day (ISO), checked before anything is read.
DAY_OPTIONS = ("as_of", "compare_as_of", "start", "end", "calibration_end")


def outside_data(options: dict[str, object], first: date, last: date) -> str:
    """Why the date options asked cannot be met by data running from `first` to `last` (empty
    when they can): no order before an as-of date, a start after the end, no order between
    them, a bridge period the data does not reach, a calibration end leaving no calibration or
    no holdout period. An as-of date after the data is not one (it is said beside the tables)."""
    from lib.analyses import bridge

    runs = f"the data runs {fmt.day(first)} – {fmt.day(last)}"
    given = {n: str(options[n]) for n in DATE_OPTIONS if options.get(n)}
    days = {n: _iso(text) for n, text in given.items() if n not in ("previous", "current")}
    for name in ("as_of", "compare_as_of"):
        if (day := days.get(name)) is not None and day <= first:
            return f"no order before {fmt.day(day)} ({_flag(name)}): {runs}"
    if (day := days.get("calibration_end")) is not None and not first < day < last:
        period = "calibration period up to" if day <= first else "holdout period after"
        return f"no {period} {fmt.day(day)} (--calibration-end): {runs}"
    start, end = days.get("start"), days.get("end")
    if start is not None and end is not None and start > end:
        return f"the start {fmt.day(start)} is after the end {fmt.day(end)}: {runs}"
    if start is not None and start > last:
        return f"no order from {fmt.day(start)} on (--start): {runs}"
    if end is not None and end < first:
        return f"no order up to {fmt.day(end)} (--end): {runs}"
    for name in ("previous", "current", "bridge_previous", "bridge_current"):
        if name not in given:
            continue
        try:
            period = bridge.parse_period(given[name])
        except ValueError:
            continue  # the analysis says how to write one
        if period.end < first or period.start > last:
            return f"no order in {given[name]} ({_flag(name)}): {runs}"
    return ""


def _iso(text: str) -> date | None:
    """A day written YYYY-MM-DD; None for other text (the analysis says what is wrong)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _flag(option: str) -> str:
    """An option's name on the command line: as_of -> --as-of."""
    return "--" + option.replace("_", "-")


def _order_summary(args: argparse.Namespace) -> Dataset:
    """The data set the app opens a folder with (lib/local.py): the lines summarised per order
    by polars' streaming engine, kept in the app's cache folder and reused while the files are
    unchanged; with --engine duckdb or --db, summarised inside DuckDB or PostgreSQL (not
    kept). What the summary cannot give (items per order, counts of lines) is said on stderr."""
    from lib import engines, local

    with _engine_errors(args):
        if args.db or args.engine == "duckdb":
            source = engines.source_of(args.files, args.engine, args.db, args.db_table)
            name = f"table {args.db_table}" if args.db else ", ".join(args.files)
            inside = args.db.split(":", 1)[0] if args.db else args.engine  # no password
            _note(_left_out(args))
            summary = local.summary_of(source, progress=_progress)
            ds = local.dataset(name, f"{name} ({inside})", summary, "summary")
        else:
            where = local.folder(args.files)
            summary = local.summarise(where, _progress)
            ds = local.dataset(where.name, where.describe(), summary, where.key)
    _note([f"{n.file}: {n.message}" for n in ds.notes])
    _note([summary_limits(args, ds)], "warning")
    return ds


def _left_out(args: argparse.Namespace) -> list[str]:
    """The files of the folders and patterns given that are not read, in words (none for a
    database's lines)."""
    from lib import engines

    said = engines.left_out_note(engines.left_out(args.files)) if args.files else ""
    return [said] if said else []


# What each analysis's options mean, for --help: {accepts} is what the option accepts
# (recipe.accepts); an option not listed gets that alone. Argparse formats the text, so a
# percent sign is written twice.
FILES_HELP = "the data's files (CSV, Excel or parquet), or a folder or glob of them"
FORMAT_HELP = "json: every table (the default); csv: one table, --table chooses which"
_DATE = recipe_lib.ACCEPTED_TEXT["date"]
_PERIOD = recipe_lib.ACCEPTED_TEXT["period"]
_MONTHS = "full months whose growth is compared, {accepts}"
OPTION_HELP: dict[str, dict[str, str]] = {
    "sales": {
        "start": "the first day, {accepts} (empty: the data's first)",
        "end": "the last day, {accepts} (empty: the data's last)",
        "grain": "the period revenue is summed by, {accepts}",
        "categories": "only these categories: {accepts}",
        "regions": "only these regions: {accepts}",
        "window": "periods in the moving average, up to 60 days, 26 weeks or 12 months (0: the "
        "grain's default)",
        "topn": "items in the top list, {accepts}",
        "rank_by": "what ranks the top items, {accepts}",
        "basket": "what a basket's size counts, {accepts}",
        "bridge_previous": "the revenue bridge's earlier period, {accepts}",
        "bridge_current": "the revenue bridge's later period, {accepts}",
    },
    "bridge": {
        "previous": f"the earlier period, {_PERIOD}",
        "current": f"the later period, {_PERIOD}",
    },
    "categories": {
        "months": _MONTHS,
        "against": "what growth compares with, {accepts}",
        "min_orders": "orders a category needs for a potential score, {accepts}",
        "top": "categories in the monthly trend, {accepts}",
        "weight_growth": "weight of growth in the potential score, {accepts}",
        "weight_share": "weight of revenue share in the potential score, {accepts}",
        "weight_review": "weight of review score in the potential score, {accepts}",
        "weight_late": "weight of on-time delivery in the potential score, {accepts}",
    },
    "regions": {
        "metric": "what the map shows, {accepts}",
        "months": _MONTHS,
        "against": "what growth compares with, {accepts}",
        "w_size": "weight of size in the priority score, {accepts}",
        "w_growth": "weight of growth in the priority score, {accepts}",
        "w_value": "weight of order value in the priority score, {accepts}",
        "w_repeat": "weight of repeat buying in the priority score, {accepts}",
        "w_delivery": "weight of on-time delivery in the priority score, {accepts}",
    },
    "delivery": {
        "min_orders": "delivered orders a seller needs to be ranked, {accepts}",
        "metric": "what the map shows, {accepts}",
        "follow_months": "months each customer is followed after the first order, {accepts}",
    },
    "lateness": {"months": "months each customer is followed after the first order"},
    "rfm": {
        "bins": "scores per dimension, {accepts}",
        "recency_ties": "equal recencies: value (one score) or first (row order)",
        "frequency_ties": "equal frequencies: value (one score) or first (row order)",
        "monetary_ties": "equal monetary values: value (one score) or first (row order)",
        "as_of": "orders before this day count, {accepts} (empty: the day after the last order)",
        "clean": "purchases only, as the published analyses clean the lines",
        "across": "the grid's columns, {accepts}",
        "compare_as_of": "also the segment movement from this day, {accepts}",
    },
    "movement": {
        "compare_as_of": f"the earlier day, {_DATE} (empty: one quarter before as-of)",
        "as_of": f"the later day, {_DATE} (empty: the day after the last order)",
    },
    "cohorts": {
        "grain": "the cohorts' period, {accepts}",
        "metric": "what retention counts, {accepts}",
        "relative": "as a share of the cohort's first period (--no-relative: counts)",
        "shown": "the most recent cohorts in the retention table, {accepts} (0: every cohort)",
        "churn_quantile": "share of repeat purchases within the churn window, {accepts}",
    },
    "churn": {"quantile": "share of repeat purchases within the churn window, 0 to 1"},
    "clusters": {
        "k": "clusters, {accepts} (0: the suggested k)",
        "features": "the model's features, {accepts} (empty: the page's)",
        "log": "log-transform skewed features",
        "margin": "gross margin in percent, {accepts}",
        "cost": "cost of reaching one customer (negative: the page's default cost)",
    },
    "clv": {
        "unit": "the purchase model's time unit, {accepts}",
        "horizon": "how far ahead lifetime value is predicted, {accepts}",
        "horizon_unit": "{accepts}",
        "penalizer": "the fit's L2 penalizer, {accepts}",
        "discount": "per month, as a fraction: 0.01 is the page's 1%%",
        "calibration_end": "the holdout's calibration end, {accepts} (empty: the page's)",
        "model": "the purchase model, {accepts}",
    },
    "events": {
        "window_days": "days within which an order counts for a view, and a funnel's steps for its "
        "first, {accepts}",
        "steps": "the funnel's event names in order: {accepts}",
        "item": "the item whose viewed-together items are listed (empty: the page's first)",
        "min_support": "users a pair of items needs, {accepts}",
        "score": "what ranks the pairs, {accepts}",
    },
    "funnel": {
        "top": "landing pages shown by name, {accepts}",
        "min_count": "deals a rep's cell needs to be judged, {accepts}",
    },
}


# What the order summary gives otherwise than the lines (lib/local.py's docstring); {left}:
# what the command's tables leave out for it (summary_limits).
SUMMARY_LIMITS = (
    "the summary keeps no items and no lines per order{left}; and each purchase is net of every "
    "cancellation matched to it, so figures as of an earlier day (rfm --compare-as-of, movement, "
    "clv's holdout) net cancellations made after it"
)
# What the headless tables leave out of a summary (local.summarised), in SUMMARY_LIMITS' words.
BASKETS_LEFT_OUT = "basket_sizes (in lines, every order would be one: --basket units counts units)"
GUESTS_LEFT_OUT = "repeat.lines_without_customer (null: it would count the summary's rows)"
BRIDGE_LEFT_OUT = (
    "the price, volume, mix and postage and fees steps of {steps}, which need items (the "
    "returning customers' change is split into buying more and buying less instead)"
)
RETURNS_LEFT_OUT = "return_share (what a customer returned is netted into the purchase it reverses)"
CLV_GUESTS_LEFT_OUT = (
    "sufficiency's row 'Lines without a customer' (its rows are no lines, and the lines were "
    "not counted where they were summarised)"
)


def summary_limits(args: argparse.Namespace, ds: Dataset) -> str:
    """SUMMARY_LIMITS for the command run on `ds`, a summary: with the tables and fields its
    headless function leaves out, named as its JSON names them."""
    from lib import quality

    left = []
    if args.command == "sales":
        left = [BASKETS_LEFT_OUT] if args.basket == "lines" else []
        left.append(GUESTS_LEFT_OUT)
        if args.bridge_previous or args.bridge_current:
            left.append(BRIDGE_LEFT_OUT.format(steps="bridge_steps"))
    elif args.command == "bridge":
        left = [BRIDGE_LEFT_OUT.format(steps="steps"), "items"]
    elif args.command == "clusters":
        left = [RETURNS_LEFT_OUT]
    elif args.command == "clv" and "missing_customer" not in (quality.line_checks(ds) or {}):
        left = [CLV_GUESTS_LEFT_OUT]
    said = f": {args.command} leaves out {'; '.join(left)}" if left else ""
    return SUMMARY_LIMITS.format(left=said)


def _progress(words: str) -> None:
    """A step of a long summary, on a terminal's stderr (a pipe or a test keeps it clean)."""
    if sys.stderr.isatty():
        print(words, file=sys.stderr, flush=True)


@contextlib.contextmanager
def _engine_errors(args: argparse.Namespace) -> Iterator[None]:
    """Lines read lazily or in a database: a missing client, unusable files or a wrong option
    as a UsageError naming the command."""
    if not args.files and not args.db:
        raise UsageError(f"{args.command}: give files to read, --db URL or {DB_URL_VARIABLE}")
    try:
        yield
    except ImportError as exc:
        missing = exc.name or "a database client"
        raise UsageError(
            f"{missing} is not installed: pip install -r requirements-db.txt"
        ) from None
    except (KeyError, ValueError) as exc:
        message = exc.args[0] if exc.args else str(exc)
        raise UsageError(f"{args.command}: {message}") from None
    except pl.exceptions.PanicException as exc:  # polars on what it cannot read (a BaseException)
        found = re.search(r"ErrString\(\"(.+?)(?:\.|\\n|\")", str(exc))
        what = found.group(1) if found else "a column of a type it cannot read"
        raise UsageError(
            f"{args.command}: polars cannot read these files lazily ({what})"
        ) from None
    except pl.exceptions.PolarsError as exc:  # a file damaged past its footer, say
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(
            f"{args.command}: polars could not read these files ({first}): export the file it "
            "names again, or leave it out"
        ) from None
    except Exception as exc:  # the database's own errors (DuckDB's are no ValueError)
        source = type(exc).__module__.lstrip("_")
        if not source.startswith(("duckdb", "psycopg", "ibis")):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = ""
        if "magic bytes" in first:  # DuckDB names the file
            hint = ": it is damaged, cut short or no parquet file: export it again, or leave it out"
        elif source.startswith("duckdb") and "Conversion Error" in first:
            hint = (
                ". DuckDB reads times typed or written as ISO text (2011-12-09 12:50); read other "
                "text times without --engine duckdb"
            )
        said = f"{args.command}: the database could not read the lines ({first}){hint}"
        raise UsageError(said) from None


def _said_default(default: object) -> str:
    """An option's default as --help shows it: a flag on or off, a number as written."""
    if isinstance(default, bool):
        return "on" if default else "off"
    return f"{default:g}" if isinstance(default, float) else str(default)


def _options(fn) -> dict[str, object]:
    params = list(introspect.signature(fn).parameters.values())[1:]
    return {p.name: p.default for p in params if p.default is not introspect.Parameter.empty}


def _finite(value: object) -> object:
    """`value` with NaN and infinities as null (JSON has no such numbers), other floats
    io.rounded (as io.written rounds a frame's)."""
    if isinstance(value, float):
        return io.rounded(value) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _flat(value: object) -> bool:
    """A frame with columns, none of them nested: its rows are flat objects of scalars."""
    return (
        isinstance(value, pl.DataFrame)
        and value.width > 0
        and not any(dtype.is_nested() for dtype in value.dtypes)
    )


def _rows_json(frame: pl.DataFrame) -> str:
    """The frame's rows as `json.dumps(_finite(rows), indent=2, ...)` writes them one level
    down in a document, by json's C encoder one column at a time (indent takes its pure-Python
    encoder, four times slower on a million lines' RFM): a column's values come apart at the
    item separator NUL, which JSON text never holds (it escapes it). NaN and infinities are
    null and floats rounded, as `_finite` makes them."""
    if frame.height == 0:
        return "[]"
    floats = [name for name, dtype in frame.schema.items() if dtype.is_float()]
    finite = io.written(frame).with_columns(
        pl.when(pl.col(c).is_finite()).then(pl.col(c)).alias(c) for c in floats
    )
    encode = json.JSONEncoder(separators=("\0", ": "), default=str, allow_nan=False).encode
    # Column by column into polars: one column's values are Python strings at a time.
    values = pl.DataFrame(
        [
            pl.Series(name, encode(finite[name].to_list())[1:-1].split("\0"), dtype=pl.String)
            for name in frame.columns
        ]
    )
    items = [
        part
        for i, name in enumerate(frame.columns)
        for part in (pl.lit((",\n      " if i else "") + json.dumps(name) + ": "), pl.col(name))
    ]
    rows = values.select(pl.concat_str(items).str.join("\n    },\n    {\n      ")).item()
    return "[\n    {\n      " + rows + "\n    }\n  ]"


def _json(result: dict) -> Iterator[str]:
    """`result` (frames as lists of rows) as indented JSON, without NaN or infinities, in parts
    (a frame each) to write one after the other: the whole text is never held at once."""
    if result and all(_flat(value) for value in result.values()):
        for i, (name, frame) in enumerate(result.items()):
            yield f"{',' if i else '{'}\n  {json.dumps(name)}: {_rows_json(frame)}"
        yield "\n}\n"
        return
    plain = {k: (v.to_dicts() if isinstance(v, pl.DataFrame) else v) for k, v in result.items()}
    yield json.dumps(_finite(plain), indent=2, default=str, allow_nan=False) + "\n"


def _emit(result: dict, fmt: str, table: str | None = None) -> None:
    frames = {k: v for k, v in result.items() if isinstance(v, pl.DataFrame)}
    if fmt == "json":
        for part in _json(result):
            sys.stdout.write(part)
        return
    if frames:
        if table is not None and table not in frames:
            raise UsageError(f"no table {table}: choose one of {', '.join(frames)}")
        if table is None and len(frames) > 1:  # a script reading it should know which it got
            first = next(iter(frames))
            listed = ", ".join(frames)
            _note([f"printed the table {first}, the first of: {listed}; --table chooses one"])
        sys.stdout.write(io.export_csv(frames[table or next(iter(frames))]))
        return
    # csv of the inspect and demo commands: their main tabular part
    rows = result.get("findings") or [
        {"table": t, "rows": n} for t, n in result.get("tables", result.get("files", {})).items()
    ]
    sys.stdout.write(io.export_csv(pl.DataFrame(rows)))


# --- recipes and reports ----------------------------------------------------------------------


class _Given(argparse.Action):
    """Stores an option and remembers that the command line gave it: it beats a recipe's."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        namespace.given = {*getattr(namespace, "given", ()), self.dest}


class _GivenFlag(argparse.BooleanOptionalAction):
    """--flag/--no-flag that, like _Given, remembers it was given."""

    def __call__(self, parser, namespace, values, option_string=None):
        super().__call__(parser, namespace, values, option_string)
        namespace.given = {*getattr(namespace, "given", ()), self.dest}


def _read_recipe(path: str) -> recipe_lib.Recipe:
    if not Path(path).is_file():
        raise UsageError(f"{path}: no such file")
    try:
        return recipe_lib.from_toml(Path(path).read_text(encoding="utf-8"))
    except recipe_lib.RecipeError as exc:
        raise UsageError(f"{path}: {exc}") from None
    except UnicodeDecodeError:
        raise UsageError(
            f"{path}: not a recipe: it is not UTF-8 text (a recipe is the small TOML file the "
            "app's Download recipe button writes)"
        ) from None


def _note(messages: Sequence[str], label: str = "note") -> None:
    for message in messages:
        print(f"{label}: {recipe_lib.plain_text(message)}", file=sys.stderr)


def load_with_recipe(
    paths: Sequence[str], rec: recipe_lib.Recipe
) -> tuple[formats.Assembly, list[io.RawTable]]:
    """Read files as `load` does, mapping unknown tables with the recipe's mappings (guessed
    when it has none for a table), and say on stderr what differs from the recipe's files."""
    tables: list[io.RawTable] = []
    for path in files_in(paths):
        tables += io.read_path(path, budget=io.machine_budget())
    chosen = recipe_lib.mappings_for(rec, tables)
    mappings = {}
    for table in tables:
        if formats.recognise(table).kind is not None:
            continue
        mapping = chosen.get(table.name) or generic.guess_mapping(table.frame)
        problems = generic.mapping_problems(table.frame, mapping)
        if problems:
            raise UsageError(f"{table.name}: not a known export and {problems[0]}")
        mappings[table.name] = mapping
    _note(recipe_lib.differences(rec, tables), "warning")
    _note(recipe_lib.mapping_notes(rec, tables))
    name = rec.dataset or ", ".join(Path(p).name for p in paths)
    return formats.assemble(tables, mappings, name=name), tables


def _replayed_data(
    args: argparse.Namespace, rec: recipe_lib.Recipe | None
) -> tuple[Dataset, list[io.RawTable]]:
    kind = args.demo or (rec.demo if rec is not None and not args.files else "")
    if kind:
        if kind not in DEMOS:
            raise UsageError(f"recipe demo {kind}: choose one of {', '.join(DEMOS)}")
        return formats.assemble_demo(kind).dataset, []
    if not args.files:
        raise UsageError(f"{args.command}: give files to read, or --demo KIND")
    if rec is None:
        return _said(load(args.files)), []
    assembly, tables = load_with_recipe(args.files, rec)
    return _said(assembly), tables


def replay(args: argparse.Namespace) -> dict:
    """An analysis command with --recipe: the recipe's mapping and settings for this page
    (options given on the command line win); without --recipe, `analysis`."""
    for name in DAY_OPTIONS:
        text = getattr(args, name, "")
        if text and not (re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) and _iso(text)):
            raise UsageError(
                f"{args.command}: {_flag(name)} {text}: write it as YYYY-MM-DD "
                "(2011-09-01 for 1 September 2011)"
            )
    if not args.recipe:
        return analysis(args)
    rec = _read_recipe(args.recipe)
    ds, _ = _replayed_data(args, rec)
    if args.command not in recipe_lib.ANALYSIS_PAGES:
        # A view within a page (movement, bridge, ...): a recipe keeps no settings for it, so it
        # brings the mappings only.
        return _frames(args, ds)
    applied = recipe_lib.apply_settings(args.command, rec.settings.get(args.command), ds)
    _note(applied.notes)
    options = dict(applied.options)
    options.update({name: getattr(args, name) for name in getattr(args, "given", ())})
    rules = rec.rules_frame()
    try:
        return _told(recipe_lib.page_frames(ds, args.command, options, rules))
    except (KeyError, ValueError) as exc:
        message = exc.args[0] if exc.args else str(exc)
        raise UsageError(f"{args.command}: {message}") from None


def write_report(args: argparse.Namespace) -> dict:
    """`report`: the HTML report (and with --pngs, one PNG per chart) of the chosen pages."""
    from lib import quality, report

    rec = _read_recipe(args.recipe) if args.recipe else None
    ds, tables = _replayed_data(args, rec)
    if args.pages:
        pages = list(dict.fromkeys(p.strip() for p in args.pages.split(",") if p.strip()))
    elif rec is not None and rec.pages:
        pages = list(rec.pages)
    else:
        pages = [p for p in recipe_lib.ANALYSIS_PAGES if PAGE_BY_KEY[p].enabled(ds)]
    unknown = [p for p in pages if p not in recipe_lib.ANALYSIS_PAGES]
    if unknown:
        raise UsageError(
            f"no page {', '.join(unknown)}: choose from {', '.join(recipe_lib.ANALYSIS_PAGES)}"
        )
    settings = dict(rec.settings) if rec is not None else {}
    notes = recipe_lib.differences(rec, tables) if rec is not None else []
    findings = quality.report(ds)
    sections = report.report_sections(
        ds, pages, settings, rules=rec.rules_frame() if rec else None, findings=findings
    )
    for section in sections:
        _note(section.notes)
    text = report.render_html(
        ds, sections, files=recipe_lib.fingerprint(tables), notes=notes, findings=findings
    )
    out = Path(args.out)
    with _writing(args.out, "--out"):
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    pngs = {}
    if args.pngs:
        pngs = report.chart_pngs(ds, pages, sections=sections)
        folder = Path(args.pngs)
        with _writing(args.pngs, "--pngs"):
            folder.mkdir(parents=True, exist_ok=True)
            for name, data in pngs.items():
                (folder / name).write_bytes(data)
    return {
        "out": str(out),
        "bytes": len(text.encode("utf-8")),
        "fingerprint": recipe_lib.short_fingerprint(recipe_lib.table_hashes(ds)),
        "pages": [s.page for s in sections if not s.missing],
        "not_available": {s.page: s.missing for s in sections if s.missing},
        "charts": sum(b.chart is not None for s in sections for b in s.blocks),
        "pngs": list(pngs),
        "notes": [*notes, *(n for s in sections for n in s.notes)],
    }


def parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line. Only `command`'s analysis module is imported for its options: building
    every command's options would import every analysis (scikit-learn alone takes seconds)."""
    top = argparse.ArgumentParser(prog="python -m lib", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)
    p = sub.add_parser("inspect", help="detected format, rows per canonical table, findings")
    p.add_argument("files", nargs="+", help=FILES_HELP)
    p.add_argument(
        "--format",
        choices=("json", "csv"),
        default="json",
        help="json: all of it (the default); csv: the findings, else the rows of each table",
    )
    p.set_defaults(run=inspect)
    p = sub.add_parser("demo", help="write a demo data set in its source format")
    p.add_argument(
        "--kind", choices=DEMOS, default="marketplace", help="which (default: marketplace)"
    )
    p.add_argument(
        "--rows",
        type=_at_least(DEMO_MIN_ROWS),
        default=None,
        help=f"how many, at least {DEMO_MIN_ROWS}: orders (marketplace), orders.csv rows "
        "(webshop), invoice lines (retail), orders_export.csv rows (shopify), item rows "
        "(woocommerce, amazon), charges (stripe) (default: the size of the app's demo)",
    )
    p.add_argument(
        "--seed",
        type=_at_least(0),
        default=1,
        help="the random draws' seed: the same seed, kind and rows give the same files "
        "(default: 1)",
    )
    p.add_argument("--out", required=True, help="the folder to write the CSV files into")
    p.add_argument(
        "--format",
        choices=("json", "csv"),
        default="json",
        help="what is printed of the files written (rows per file): json (the default) or csv",
    )
    p.set_defaults(run=write_demo)
    for name, summary in ANALYSES.items():
        p = sub.add_parser(name, help=summary)
        p.set_defaults(run=replay)
        if name != command:  # its options are read only when it is the command run
            continue
        module = importlib.import_module(f"lib.analyses.{name}")
        p.add_argument("files", nargs="*", help=FILES_HELP)
        p.add_argument("--demo", choices=DEMOS, help="use a built-in demo instead of files")
        p.add_argument("--format", choices=("json", "csv"), default="json", help=FORMAT_HELP)
        p.add_argument("--table", help="with --format csv: which result table to print")
        p.add_argument("--recipe", help="a recipe (TOML): its mappings and this page's settings")
        if name in SUMMARISED + ORDER_SUMMARY:
            p.add_argument(
                "--engine",
                choices=("polars", "duckdb"),
                default="polars",
                help="where the summaries of a folder, glob or big parquet file run",
            )
            p.add_argument(
                "--db",
                default="",
                help="lines in a database: duckdb:///path.duckdb or postgresql://user@host/db "
                f"(without files, ${DB_URL_VARIABLE})",
            )
            p.add_argument("--db-table", default="lines", help="with --db: the table of lines")
        for option, default in _options(module.headless).items():
            kind = type(default) if default is not None else str
            accepts = recipe_lib.accepts(name, option)
            said = OPTION_HELP.get(name, {}).get(option, "{accepts}").format(accepts=accepts)
            helped = (
                said if default in ("", None) else f"{said} (default: {_said_default(default)})"
            )
            if kind is bool:
                p.add_argument(
                    f"--{option.replace('_', '-')}",
                    dest=option,
                    action=_GivenFlag,
                    default=default,
                    help=helped,
                )
            else:
                p.add_argument(
                    f"--{option.replace('_', '-')}",
                    dest=option,
                    type=kind,
                    default=default,
                    help=helped,
                    action=_Given,
                )
    p = sub.add_parser("report", help="one self-contained HTML report that opens offline")
    p.add_argument("files", nargs="*", help=FILES_HELP)
    p.add_argument("--out", required=True, help="the HTML file to write")
    p.add_argument("--pages", help="comma-separated pages (default: the recipe's, or all enabled)")
    p.add_argument("--demo", choices=DEMOS, help="use a built-in demo instead of files")
    p.add_argument("--recipe", help="a recipe (TOML): mappings, settings and segment rules")
    p.add_argument("--pngs", help="also write one PNG per chart into this folder")
    p.add_argument("--format", choices=("json",), default="json")
    p.set_defaults(run=write_report)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    command = next((w for w in words if not w.startswith("-")), None)
    args = parser(command).parse_args(words)
    try:
        _emit(args.run(args), args.format, getattr(args, "table", None))
        sys.stdout.flush()  # here, where a reader gone is caught
    except (UsageError, io.LoadError) as exc:
        print(fmt.printable(exc), file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader stopped early (| head -1): nothing to say. What is left in stdout's buffer
        # goes nowhere, so that Python's flush at exit raises nothing either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
