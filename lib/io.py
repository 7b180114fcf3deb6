"""Uploaded bytes to raw polars tables: the only module that reads or writes files."""

from __future__ import annotations

import array
import base64
import binascii
import codecs
import csv
import functools
import gzip
import io
import json
import os
import re
import xml.parsers.expat
import zipfile
import zlib
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

import polars as pl

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
NULL_TOKENS = ("", "None", "NULL", "null", "NaN", "nan", "N/A", "#N/A")
# Compressed uploads may unpack to this many times the upload limit; beyond it we suspect a bomb.
UNPACKED_FACTOR = 5

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
DATA_SUFFIXES = (*TEXT_SUFFIXES, ".parquet", *EXCEL_SUFFIXES)
SEPARATORS = (",", ";", "\t", "|")
SNIFF_BYTES = 64 * 1024
SNIFF_RECORDS = 200
MAX_PREAMBLE = 10
_MB = 1024 * 1024
_SEPARATOR_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}
_NOT_DATA_STEMS = ("readme", "license", "licence", "notice", "changelog")
_NUMBERISH = re.compile(r"^[+-]?(\d[\d.,:/ -]*)$")
_EXPORT_HINT = "export the data as CSV, Excel (.xlsx) or parquet and upload that instead"
_SIGNATURES = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"BM", "a bitmap image"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
)


@dataclass(frozen=True)
class RawTable:
    """One table as read from a file: text columns stay text, nothing is interpreted yet."""

    name: str
    file: str
    frame: pl.DataFrame
    notes: tuple[str, ...] = ()


class LoadError(Exception):
    """One line for the user: the file (and column where relevant), the cause and what to do."""

    def __init__(self, file: str, message: str) -> None:
        super().__init__(f"{file}: {message}")
        self.file = file
        self.message = message

    def __reduce__(self) -> tuple[type[LoadError], tuple[str, str]]:
        return (LoadError, (self.file, self.message))  # picklable despite the two-argument init


# --- memory budgets ---------------------------------------------------------------------------

# Streamlit Community Cloud gives all sessions together 690 MB to 2.7 GB; by default the server is
# assumed to have the larger and to serve three sessions that hold a large upload at once.
SERVER_MEMORY_MB = 2700
SESSIONS = 3
# Reading, typing and building the canonical tables peak at about four times the raw tables:
# a million Online Retail lines are 183 MB of raw text columns and peak 755 MB above the idle
# process. A session's raw tables get a quarter of its budget, so its peak stays inside it.
LOAD_FACTOR = 4
# ... and about 750 bytes per line of a mapped table at that peak: the row limit per table.
ROW_PEAK_BYTES = 750
MAX_COLUMNS = 2_000
MAX_FIRST_LINE = 1024 * 1024
MAX_ZIP_MEMBERS = 100
# Polars keeps each text cell as a 16-byte view; strings longer than 12 bytes also in a buffer.
_VIEW_BYTES, _INLINE_BYTES = 16, 12
# Calamine holds a worksheet as a dense grid of cells, each about 80 bytes until polars has it.
_SHEET_CELL_BYTES = 80


@dataclass(frozen=True)
class Budget:
    """How much memory what a session (or one command-line run) reads may take.

    `total_bytes` is the session's whole budget: its raw tables may take a quarter of it
    (LOAD_FACTOR) and each table about total / ROW_PEAK_BYTES rows. `held_bytes` is what the
    session's tables already take. `scope` and `remedy` finish the refusal message.
    """

    total_bytes: int
    scope: str = "per session on this server"
    remedy: str = (
        "upload a shorter date range or only the columns you need, or run the headless "
        "command line on your own computer (python -m lib inspect FILE), which can use all of "
        "its memory"
    )
    held_bytes: int = 0

    @property
    def table_bytes(self) -> int:
        return self.total_bytes // LOAD_FACTOR

    def remedy_for(self, file: str) -> str:
        """`remedy`, naming the file where it says FILE."""
        return self.remedy.replace("FILE", PurePosixPath(file).name.split("/")[0])

    @property
    def rows(self) -> int:
        return self.total_bytes // ROW_PEAK_BYTES

    def holding(self, tables: Iterable[RawTable]) -> Budget:
        """This budget for a session that already holds `tables`."""
        return replace(self, held_bytes=sum(memory_bytes(t.frame) for t in tables))


def _env_mb(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def session_budget() -> Budget:
    """The app's budget per session: STORELENS_SESSION_BUDGET_MB, else the server's memory
    (STORELENS_SERVER_MEMORY_MB, default 2700) shared by STORELENS_SESSIONS (default 3) sessions.
    """
    server = _env_mb("STORELENS_SERVER_MEMORY_MB", SERVER_MEMORY_MB)
    sessions = _env_mb("STORELENS_SESSIONS", SESSIONS)
    mb = _env_mb("STORELENS_SESSION_BUDGET_MB", server / sessions)
    return Budget(int(mb * _MB))


def machine_budget() -> Budget:
    """The command line's budget: STORELENS_CLI_BUDGET_MB, else half of this machine's memory."""
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX: assume 8 GB
        physical = 8 * 1024 * _MB
    mb = _env_mb("STORELENS_CLI_BUDGET_MB", physical / 2 / _MB)
    return Budget(
        int(mb * _MB),
        scope="for the command line on this machine",
        remedy="read a shorter date range or fewer columns, or raise STORELENS_CLI_BUDGET_MB "
        "on a machine with more memory",
    )


def file_stem(text: str) -> str:
    """`text` (a data set's name, an item id) as the stem of a downloaded file's name: lower-case
    letters and digits joined by _, at most 40 characters ("data" when nothing is left)."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:40] or "data"


def memory_bytes(frame: pl.DataFrame) -> int:
    """About how many bytes `frame` takes (polars' own estimate leaves out text cells' views),
    its categorical text counted as text: a parquet file's dictionary-encoded column reads as
    one, each row a number, but every step after the read writes each row's own text (a 100 KB
    file of 50,000 rows sharing one 20,000-byte text became a 1 GB table)."""
    total = 0
    for name, dtype in frame.schema.items():
        column = frame.get_column(name)
        if dtype in (pl.String, pl.Binary):
            lengths = column.str.len_bytes() if dtype == pl.String else column.bin.size()
            long = int(lengths.filter(lengths > _INLINE_BYTES).sum() or 0)
            total += _VIEW_BYTES * column.len() + long
        elif isinstance(dtype, (pl.Categorical, pl.Enum)):
            counts = column.value_counts(name="_rows")
            lengths = counts.get_column(name).cast(pl.String).str.len_bytes().fill_null(0)
            long = (lengths > _INLINE_BYTES).cast(pl.Int64) * lengths
            total += _VIEW_BYTES * column.len() + int((long * counts["_rows"]).sum() or 0)
        else:
            total += column.estimated_size()
    return total


def _quantity(count: float) -> str:
    if count >= 1e9:
        return f"{count / 1e9:,.1f} billion"
    if count >= 1e6:
        return f"{count / 1e6:,.1f} million"
    return f"{count:,.0f}"


def read_file(
    name: str, data: bytes, max_bytes: int = DEFAULT_MAX_BYTES, budget: Budget | None = None
) -> list[RawTable]:
    """Every table in one uploaded file; raises LoadError with a user-facing message.

    Nothing larger than `budget` (default: session_budget()) is allocated: compressed parts are
    unpacked with a running count, and each table's size is estimated before it is read.
    """
    if len(data) > max_bytes:
        raise LoadError(name, _too_big(len(data), max_bytes))
    spend = _Spend(budget or session_budget(), max_bytes * UNPACKED_FACTOR)
    try:
        return _read_any(name, name, bytes(data), spend, allow_zip=True)
    except LoadError:
        raise
    except (MemoryError, RecursionError):
        raise LoadError(name, "is too large or too deeply nested to read here") from None
    except Exception as exc:  # noqa: BLE001 - the user sees one line, never a traceback
        raise LoadError(name, f"could not be read: {_short(exc)}") from None
    except BaseException as exc:
        # A Rust reader's panic (pyo3's PanicException) is no Exception: said as one.
        if type(exc).__name__ != "PanicException":
            raise
        raise LoadError(name, f"could not be read: {_short(exc)}") from None


def read_path(
    path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES, budget: Budget | None = None
) -> list[RawTable]:
    """Every table in the file at `path`, named by its file name (see read_file)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise LoadError(str(path), "is a folder: pick the data files inside it")
        if size > max_bytes:
            raise LoadError(path.name, _too_big(size, max_bytes))
        data = path.read_bytes()
    except FileNotFoundError:
        raise LoadError(str(path), "does not exist: check the path") from None
    except PermissionError:
        raise LoadError(str(path), "cannot be opened (permission denied)") from None
    return read_file(path.name, data, max_bytes, budget)


def write_csv_tables(tables: Mapping[str, pl.DataFrame], out_dir: str | Path) -> list[Path]:
    """Each frame written as UTF-8 CSV to out_dir/name, tab-separated where the name ends in
    .txt (as Amazon's reports are); the paths written, in order."""
    out = Path(out_dir)
    paths = []
    for name, frame in tables.items():
        relative = PurePosixPath(name.replace("\\", "/"))
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise ValueError(f"table name {name!r} is not a plain relative file name")
        path = out.joinpath(*relative.parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.write_csv(path, separator="\t" if path.suffix.lower() == ".txt" else ",")
        paths.append(path)
    return paths


# A spreadsheet may run a cell as a formula (OWASP: CSV injection) when it starts with a tab or
# a line break, or with = + - @ after any white space, full-width forms too ('＝1', which an East
# Asian input method types and some spreadsheets read as '=1').
FORMULA_START = r"^(?:[\t\r\n]|\s*[=+\-@＝＋－＠])"


# Significant digits a float is written with: what a double holds faithfully, so that a sum's
# noise in its last bits (209.99999999999997) is written as the number it stands for (210.0).
DIGITS = 15


def rounded(value: float) -> float:
    """`value` to DIGITS significant digits, correctly rounded (Python's own formatting, from
    the float's exact value). polars' round_sig_figs multiplies, rounds and divides: one unit
    off in the last digit for 2-3% of values, and 9855.890000000005 became 9855.89000000001."""
    return float(f"{value:.{DIGITS}g}")


def written(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with its float columns `rounded`, as exports write them (export_csv, the CLI's
    JSON): about 0.6 s a million values, paid when an export is made."""
    return frame.with_columns(
        pl.Series(name, [v if v is None else rounded(v) for v in frame[name]], dtype=dtype)
        for name, dtype in frame.schema.items()
        if dtype.is_float()
    )


def export_csv(frame: pl.DataFrame) -> str:
    """The frame as CSV text for people to open: every export of the app and the CLI.

    Text cells (and header names) that a spreadsheet would run as a formula get a leading quote,
    as OWASP recommends; numeric columns stay numbers, floats to DIGITS significant digits.
    """

    def inert(name: str) -> pl.Expr:
        text = pl.col(name).cast(pl.String)
        return (
            pl.when(text.str.contains(FORMULA_START)).then("'" + text).otherwise(text).alias(name)
        )

    textual = (pl.String, pl.Categorical, pl.Enum)  # a category is text in the file too
    safe = written(frame).with_columns(
        inert(name) for name, dtype in frame.schema.items() if isinstance(dtype, textual)
    )
    # The header written apart (as a row, quoted as cells are): a name made inert may be another
    # column's ('=a' and "'=a").
    if not frame.width:
        return frame.write_csv()
    names = [f"'{n}" if re.match(FORMULA_START, n) else n for n in frame.columns]
    header = pl.DataFrame([names], schema=[f"c{i}" for i in range(len(names))], orient="row")
    return header.write_csv(include_header=False) + safe.write_csv(include_header=False)


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """The frame as UTF-8 CSV bytes with a header row, for download buttons (export_csv)."""
    return export_csv(frame).encode("utf-8")


# --- dispatch ---------------------------------------------------------------------------------


@dataclass
class _Spend:
    """What one upload has used of its budget: bytes unpacked, estimated bytes of its tables."""

    budget: Budget
    unpack_limit: int  # the upload limit's share; the budget's table share bounds it too
    unpacked: int = 0
    tables: int = 0

    @property
    def limit(self) -> int:
        return min(self.unpack_limit, self.budget.table_bytes)

    @property
    def left(self) -> int:
        return self.limit - self.unpacked

    @property
    def memory_left(self) -> int:
        return self.budget.table_bytes - self.budget.held_bytes - self.tables

    def check(self, file: str, rows: float, size: float | None, what: str = "") -> None:
        """Refuse a table of about `rows` rows and `size` bytes when it does not fit.

        size None: only rows are known so far, and they are a lower bound.
        """
        if rows <= self.budget.rows and (size or 0) <= self.memory_left:
            return
        held = self.budget.held_bytes + self.tables
        already = (
            f" (the files already loaded take {size_text(held)} of it)"
            if held and (size or 0) <= self.budget.table_bytes
            else ""
        )
        counted = f"{_quantity(rows)} {'row' if round(rows) == 1 else 'rows'}"
        large = (
            f"over {counted}"
            if size is None
            else f"about {counted} and {size_text(size)} in memory once read"
        )
        raise LoadError(
            file,
            f"is too large to analyse here: it would be {large}{what}; the limit "
            f"{self.budget.scope} is {size_text(self.budget.table_bytes)} of tables and "
            f"{_quantity(self.budget.rows)} rows per table{already}. To fit, "
            + self.budget.remedy_for(file),
        )

    def add(self, frame: pl.DataFrame) -> None:
        self.tables += memory_bytes(frame)


def _read_any(name: str, file: str, data: bytes, spend: _Spend, allow_zip: bool) -> list[RawTable]:
    if _is_blank(data):
        raise LoadError(file, "is empty: export it again or pick another file")
    kind = _kind(name, data)
    if kind == "gzip":
        inner_name = name[:-3] if name.lower().endswith(".gz") else name
        text = _suffix(inner_name) in ("", *TEXT_SUFFIXES)
        inner = _gunzip(file, data, spend, text=text)
        return _read_any(inner_name, file, inner, spend, allow_zip)
    if kind == "zip":
        if not allow_zip:
            raise LoadError(file, "is a zip inside a zip: unpack the inner zip and upload it")
        return _read_zip(name, file, data, spend)
    if kind == "parquet":
        tables = [_read_parquet(name, file, data, spend)]
    elif kind == "excel":
        tables = _read_excel(name, file, data, spend)
    elif _is_json(data):
        raise LoadError(
            file,
            "holds JSON, not a table: export the data as CSV, Excel or parquet, then upload it",
        )
    else:
        tables = [_read_text_table(name, file, data, spend)]
    for table in tables:
        spend.add(table.frame)
    return tables


def _read_text_table(name: str, file: str, data: bytes, spend: _Spend) -> RawTable:
    suffix = _suffix(name)
    try:
        table = _read_text(name, file, data, spend)
    except LoadError as exc:
        if suffix not in _BINARY_SUFFIXES:
            raise
        # Text under a parquet, zip or gzip name that is no table either: say what it is not.
        kind = _BINARY_SUFFIXES[suffix]
        said = f"is no {kind} file: it holds text, which read as CSV {exc.message}"
        raise LoadError(exc.file, said) from None
    if suffix in EXCEL_SUFFIXES:
        note = "named like an Excel workbook but it is text: read as CSV"
        table = RawTable(table.name, table.file, table.frame, (note, *table.notes))
    elif suffix in _BINARY_SUFFIXES:
        note = f"named {suffix} but it is text: read as CSV"
        table = RawTable(table.name, table.file, table.frame, (note, *table.notes))
    return table


def _suffix(name: str) -> str:
    lower = name.lower()
    for suffix in (*DATA_SUFFIXES, ".zip", ".gz"):
        if lower.endswith(suffix):
            return suffix
    return ""


def _kind(name: str, data: bytes) -> str:
    """What the bytes are: content signatures first, because renamed files are common."""
    head = data[:8]
    suffix = _suffix(name)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        if suffix in EXCEL_SUFFIXES or _zip_is_workbook(data):
            return "excel"
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: an old .xls workbook
        return "excel"
    # A "workbook" without a workbook's signature is usually a CSV saved under an Excel name; so
    # is text under a parquet, zip or gzip name (renamed, or a .csv.gz never compressed). Binary
    # bytes without the signature are a damaged file of that kind, and said so.
    named = _BINARY_SUFFIXES.get(suffix)
    return named if named and _looks_binary(data[:1024]) else "text"


_BINARY_SUFFIXES = {".parquet": "parquet", ".zip": "zip", ".gz": "gzip"}
# A table of column names alone: what the user can do about it.
NO_ROWS = "has column names but no rows: export it again with its rows, or pick another file"


def _zip_is_workbook(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return "xl/workbook.xml" in names or "content.xml" in names and "mimetype" in names


def _too_big(size: int, limit: int) -> str:
    return (
        f"is {size_text(size)}; the limit is {size_text(limit)}: "
        "upload it compressed (.csv.gz or .zip) or as parquet"
    )


def size_text(size: float) -> str:
    """Bytes in words, in units of 1,024: 870 KB, 3.4 MB, 120 MB, 3.1 GB."""
    if size >= 1024**4:
        return f"{size / 1024**4:,.0f} TB"
    if size >= 1024 * _MB:
        return f"{size / 1024 / _MB:.1f} GB"
    if size >= 10 * _MB:
        return f"{size / _MB:.0f} MB"
    if size >= _MB:
        return f"{size / _MB:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


def _short(exc: BaseException) -> str:
    """The first line of an error message, without library prefixes, short enough for one line."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = re.sub(r"^(calamine error|parquet|polars\w*|error):\s*", "", text, flags=re.I)
    return text[:160].rstrip(". ")


def _unpack_error(file: str, spend: _Spend, lines: int = 0, size: int = 0) -> LoadError:
    unpacked = f"unpacks to {size_text(size)}, more than" if size else "unpacks to more than"
    counted = f" (over {_quantity(lines)} lines)" if lines > 1 else ""
    return LoadError(
        file,
        f"{unpacked} {size_text(spend.limit)}{counted}, the most this app unpacks from one "
        "upload: upload a shorter date range or only the columns you need, split it into smaller "
        "files, or convert it to parquet",
    )


# --- compressed containers --------------------------------------------------------------------

_CHUNK = 1024 * 1024


def _gunzip(file: str, data: bytes, spend: _Spend, *, text: bool) -> bytes:
    """The unpacked bytes, once a first pass that keeps nothing has counted them.

    A bomb is refused by that count, before anything is allocated: past the unpack limit, or,
    for text, past more lines than a table may have rows.
    """
    size = lines = 0
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                lines += chunk.count(b"\n") if text else 0
                if size > spend.left:
                    raise _unpack_error(file, spend, lines)
                if lines > spend.budget.rows + MAX_PREAMBLE + 1:
                    spend.check(file, lines, None, f" ({size_text(size)} of text so far)")
            del chunk
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            inner = stream.read(size + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise LoadError(
            file, f"could not be unpacked as gzip ({_short(exc)}): the file is damaged or cut short"
        ) from None
    spend.unpacked += len(inner)
    return inner


def _member_skip_reason(member: str) -> str | None:
    path = PurePosixPath(member)
    if member.endswith("/"):
        return f"skipped folder {member}"
    if path.parts and (path.parts[0] == "__MACOSX" or any(p.startswith(".") for p in path.parts)):
        return f"skipped {member} (system file)"
    base = path.name.lower()
    inner = base[:-3] if base.endswith(".gz") else base
    if path.stem.lower().split(".")[0] in _NOT_DATA_STEMS:
        return f"skipped {member} (not data)"
    if inner.endswith(".zip"):
        return f"skipped nested zip {member}: unpack it and upload it separately"
    if not inner.endswith(DATA_SUFFIXES):
        return f"skipped {member} (not a data file)"
    return None


def _unzip(file: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo, spend: _Spend) -> bytes:
    """One member's bytes, read a chunk at a time against the budget."""
    if info.file_size > spend.left:  # zipfile never returns more than the declared size
        raise _unpack_error(file, spend, size=info.file_size)
    # bzip2 and lzma turn a few bytes into megabytes at once: feed them little at a time.
    step = _CHUNK if info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) else 1024
    chunks: list[bytes] = []
    size = 0
    with archive.open(info) as stream:
        while chunk := stream.read(step):
            size += len(chunk)
            if size > spend.left:
                raise _unpack_error(file, spend)
            chunks.append(chunk)
    spend.unpacked += size
    return b"".join(chunks)


def _read_zip(name: str, file: str, data: bytes, spend: _Spend) -> list[RawTable]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise LoadError(
            file, f"could not be read as a zip archive ({_short(exc)}): it is damaged or cut short"
        ) from None
    with archive:
        infos = archive.infolist()
        skipped = [
            (info.filename, reason)
            for info in infos
            if (reason := _member_skip_reason(info.filename)) is not None
        ]
        skipped_names = {member for member, _ in skipped}
        members = [i for i in infos if i.filename not in skipped_names]
        if not members:
            listed = ", ".join(i.filename for i in infos[:6]) + (", ..." if len(infos) > 6 else "")
            content = f"only {listed}" if infos else "nothing"
            inner = [i for i in infos if i.filename.lower().endswith(".zip")]
            what = (
                "unpack the inner zip and upload it, or its files"
                if inner
                else "put the CSV, Excel or parquet files in the zip"
            )
            raise LoadError(file, f"contains no data files ({content}): {what}")
        if len(members) > MAX_ZIP_MEMBERS:
            raise LoadError(
                file,
                f"contains {len(members):,} data files; this app reads at most "
                f"{MAX_ZIP_MEMBERS} from one zip: zip the files you need, or stack them into one",
            )
        declared = sum(i.file_size for i in members)
        if declared > spend.left:  # zipfile never unpacks more than a member declares
            raise _unpack_error(file, spend, size=declared)
        base_counts = Counter(PurePosixPath(i.filename).name for i in members)
        notes = tuple(reason for _, reason in skipped)
        tables: list[RawTable] = []
        failures: list[LoadError] = []
        for info in members:
            base = PurePosixPath(info.filename).name
            member_name = base if base_counts[base] == 1 else info.filename
            member_file = f"{file}/{info.filename}"
            try:
                content = _unzip(file, archive, info, spend)
            except RuntimeError:
                raise LoadError(
                    file, "is password-protected: upload a zip without a password"
                ) from None
            except NotImplementedError:
                cause = "uses a compression method this app cannot unpack (e.g. Deflate64)"
                failures.append(LoadError(member_file, f"{cause}: zip it again with defaults"))
                continue
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
                cause = f"could not be unpacked ({_short(exc)}): the zip is damaged"
                failures.append(LoadError(member_file, f"{cause}; zip the files again"))
                continue
            try:
                read = _read_any(f"{name}/{member_name}", member_file, content, spend, False)
            except LoadError as exc:
                if exc.message.startswith(("unpacks to more than", "is too large")):
                    raise LoadError(file, f"{info.filename} {exc.message}") from None
                failures.append(exc)
                continue
            finally:
                del content
            # `file` is what the user uploaded: the zip, not the member inside it.
            tables.extend(RawTable(t.name, file, t.frame, t.notes) for t in read)
    if not tables:
        raise failures[0]
    extra = notes + tuple(f"skipped {e.file}: {e.message}" for e in failures)
    if not extra:
        return tables
    # The zip's own notes ride on its first table so that they are shown once.
    first = tables[0]
    tables[0] = RawTable(first.name, first.file, first.frame, extra + first.notes)
    return tables


# --- binary formats ---------------------------------------------------------------------------


_PARQUET_WIDTHS = {"BOOLEAN": 1, "INT32": 4, "FLOAT": 4, "INT64": 8, "DOUBLE": 8, "INT96": 8}


def _parquet_size(file: str, data: bytes) -> tuple[int, int, int]:
    """(rows, estimated bytes in memory, columns) from the file's metadata, before reading any
    data."""
    import pyarrow as pa  # only parquet needs it, and it loads slowly
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(pa.BufferReader(data)).metadata
    except Exception as exc:  # noqa: BLE001 - corrupt files raise many kinds of errors
        raise LoadError(file, unreadable_parquet(_short(exc))) from None
    size = 0
    groups = [meta.row_group(i) for i in range(meta.num_row_groups)]
    for j in range(meta.num_columns):
        kind = meta.schema.column(j).physical_type
        values = sum(g.column(j).num_values for g in groups)  # more than rows when nested
        if kind in _PARQUET_WIDTHS:
            size += values * _PARQUET_WIDTHS[kind]
        elif kind == "FIXED_LEN_BYTE_ARRAY":
            size += values * meta.schema.column(j).length
        else:  # text and binary: a view per value plus the bytes themselves
            size += values * _VIEW_BYTES + sum(g.column(j).total_uncompressed_size for g in groups)
    return meta.num_rows, size, meta.num_columns


def unreadable_parquet(detail: str) -> str:
    """What to do with a file that polars or pyarrow could not read as parquet (`detail`: the
    first words of their error)."""
    return (
        f"could not be read as parquet ({detail}): it is damaged, cut short or no parquet file: "
        "export it again"
    )


def _read_parquet(name: str, file: str, data: bytes, spend: _Spend) -> RawTable:
    if not data.startswith(b"PAR1") or not data.endswith(b"PAR1"):
        cause = (
            "it does not start and end with the parquet signature: it is damaged or cut short, "
            "export it again"
        )
        raise LoadError(file, f"could not be read as parquet: {cause}")
    rows, size, width = _parquet_size(file, data)
    _check_width(file, width)
    spend.check(file, rows, size)
    try:
        frame, header = _parquet_frame(file, data)
    except LoadError:
        raise
    # Corrupt files raise many kinds of errors; polars panics on a few (a BaseException).
    except (Exception, pl.exceptions.PanicException) as exc:  # noqa: BLE001
        raise LoadError(file, unreadable_parquet(_short(exc))) from None
    # The metadata counts a dictionary-encoded text column by its dictionary: 4 texts of 2,000
    # bytes on 50,000 rows read as 4 MB. Read, the rows share that dictionary (a small
    # allocation), but every step after it writes each row's own copy: checked as read.
    # Binary that is no UTF-8 text is written in hex: twice its bytes, beside them (a 35 KB file
    # of 220 MB of binary took 421 MB once read); binary that is text is read as text.
    hexed = _not_text(frame)
    added = 2 * sum(int(frame.get_column(c).bin.size().sum() or 0) for c in hexed)
    spend.check(file, frame.height, memory_bytes(frame) + added)
    frame, notes = _with_clean_names(_as_csv_text(frame, hexed), header)
    if frame.height == 0:
        raise LoadError(file, NO_ROWS)
    return RawTable(name, file, frame, tuple(notes))


# A time zone written as a fixed offset from UTC ('+05:30', as pandas stores times parsed from
# '2024-01-01T10:00+05:30'): polars knows zones by name only, and panics on one.
_FIXED_OFFSET = re.compile(r"^[+-]\d{2}:?\d{2}$")
# Such an offset anywhere in a file's Arrow schema (its footer's ARROW:schema, which alone holds
# a time zone's text): a column name may match too, so a match is only a reason to look closer.
_OFFSET_BYTES = re.compile(rb"[+-]\d{2}:?\d{2}")


def _parquet_frame(file: str, data: bytes) -> tuple[pl.DataFrame, list[str]]:
    """A parquet file's table and its column names: read by polars; through pyarrow where a
    time column carries a fixed UTC offset (its times then the local time written, the offset
    left aside, as parse.to_datetime reads text times) or two columns share a name (read as
    column_N, the names then made unique as a CSV header's are). Extension columns as plain
    values (_plain_extensions). Raises LoadError for columns that nest values."""
    import pyarrow as pa  # only parquet needs it, and it loads slowly
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    schema = pq.read_schema(pa.BufferReader(data))
    # Decimals wider than 38 digits no reader here takes: said of the column, not as damage
    # (hostile-upload audit, helper 165: 'precision must be between 1 and 38 … damaged').
    wide = [
        f"'{f.name}' ({f.type.precision} digits)"
        for f in schema
        if pa.types.is_decimal(f.type) and f.type.precision > 38
    ]
    if wide:
        raise LoadError(
            file,
            f"has decimal columns of more than 38 digits, which cannot be read here: "
            f"{', '.join(wide[:5])}; export them as numbers (floats) or as text",
        )
    if not _polars_problem(schema):
        if nested := nested_columns_message(pl.read_parquet_schema(io.BytesIO(data))):
            raise LoadError(file, nested)
        return _plain_extensions(pl.read_parquet(io.BytesIO(data))), []
    table = pq.ParquetFile(pa.BufferReader(data)).read()  # read_table refuses repeated names
    for i in _offset_times(schema):
        table = table.set_column(i, schema.field(i).name, pc.local_timestamp(table.column(i)))
    table = table.rename_columns([f"column_{i + 1}" for i in range(table.num_columns)])
    frame = pl.from_arrow(table)
    unique = _clean_names(schema.names)[0]
    if nested := nested_columns_message(dict(zip(unique, frame.dtypes, strict=True))):
        raise LoadError(file, nested)
    return _plain_extensions(frame), list(schema.names)


def _offset_times(schema: Any) -> list[int]:
    """The positions of a pyarrow schema's time columns stored with a fixed UTC offset."""
    import pyarrow as pa

    return [
        i
        for i, field in enumerate(schema)
        if pa.types.is_timestamp(field.type) and _FIXED_OFFSET.match(field.type.tz or "")
    ]


def lazy_parquet_problem(path: str | Path) -> str:
    """What keeps polars from scanning a parquet file as it is ("" when nothing): columns that
    share a name, or times stored with a fixed UTC offset (it panics on one). The app's reader
    reads both (_parquet_frame); a lazy scan cannot. Told from the footer by polars; pyarrow,
    whose import alone holds some 60 MB more at the peak of `python -m lib rfm`, reads the
    schema only where the footer may name an offset, or polars refuses it (repeated names, a
    damaged file: pyarrow's error then says why)."""
    try:
        arrow = pl.read_parquet_metadata(path).get("ARROW:schema", "")
        if not _OFFSET_BYTES.search(base64.b64decode(arrow)):
            pl.read_parquet_schema(path)
            return ""
    except (OSError, binascii.Error, pl.exceptions.PolarsError):
        pass
    import pyarrow.parquet as pq

    return _polars_problem(pq.read_schema(path))


def _polars_problem(schema: Any) -> str:
    """lazy_parquet_problem of a pyarrow schema."""
    repeated = [n for n, count in Counter(schema.names).items() if count > 1]
    if repeated:
        return f"two columns are named '{repeated[0]}'"
    if offsets := _offset_times(schema):
        field = schema.field(offsets[0])
        return f"column '{field.name}' holds times with a fixed UTC offset ({field.type.tz})"
    return ""


def _plain_extensions(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with its columns of an extension type (one a library registers in the file, which
    polars can neither cast nor print) as plain values: pandas' periods as the time each starts
    (a monthly '2024-01': 1 Jan 2024), which the date parser reads; any other as the values it
    stores."""
    plain = []
    for name, dtype in frame.schema.items():
        if not isinstance(dtype, pl.Extension):
            continue
        stored = frame[name].ext.storage()
        if dtype.ext_name() == "pandas.period" and stored.dtype.is_integer():
            freq = json.loads(dtype.ext_metadata() or "{}").get("freq")
            stored = _period_starts(stored, freq)
        plain.append(stored.alias(name))
    return frame.with_columns(plain) if plain else frame


def _period_starts(ordinals: pl.Series, freq: str | None) -> pl.Series:
    """pandas periods (their ordinals, of `freq`) as the time each starts; the ordinals as they
    are when pandas cannot read them."""
    import pandas as pd

    missing = -(2**63)  # pandas' ordinal of a missing period (NaT)
    try:
        periods = pd.PeriodIndex.from_ordinals(ordinals.fill_null(missing).to_numpy(), freq=freq)
        starts = pl.Series(ordinals.name, periods.to_timestamp(how="start"))
    except (ValueError, TypeError, OverflowError):
        return ordinals
    return starts.cast(pl.Datetime("us"))


_INT64_MAX = 2**63 - 1


def _not_text(frame: pl.DataFrame) -> list[str]:
    """The binary columns of `frame` that are no UTF-8 text (an older writer's strings are)."""
    hexed = []
    for name, dtype in frame.schema.items():
        if dtype == pl.Binary:
            try:
                frame.get_column(name).cast(pl.String)
            except pl.exceptions.ComputeError:  # not UTF-8
                hexed.append(name)
    return hexed


def _as_csv_text(frame: pl.DataFrame, hexed: Collection[str]) -> pl.DataFrame:
    """`frame` with the parquet types no field of the data model is as the text a CSV export
    would hold, so that mapped to a field the parsers say what they find there, as of any text:
    durations ('1d 2h', where polars cannot cast a duration to text for them), binary (its
    UTF-8 text, or its bytes in hex in the `hexed` columns, _not_text) and whole numbers past
    the largest signed 64-bit one (ids hashed to 64 bits: no count or amount is that large)."""
    cast = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.Duration):
            cast.append(column.dt.to_string("polars"))
        elif dtype == pl.Binary:
            cast.append(column.bin.encode("hex") if name in hexed else column.cast(pl.String))
        elif dtype == pl.UInt64 and (frame.get_column(name).max() or 0) > _INT64_MAX:
            cast.append(column.cast(pl.String))
    return frame.with_columns(cast)


def nested_columns_message(schema: Mapping[str, pl.DataType]) -> str:
    """What to do about columns holding lists or records instead of one value per cell ('' if none).

    The app reads tables of single values; parquet (and frames built in code) can nest.
    """
    kinds = {
        name: "records (several fields in one cell)" if isinstance(dtype, pl.Struct) else "lists"
        for name, dtype in schema.items()
        if dtype.is_nested()
    }
    if not kinds:
        return ""
    one = len(kinds) == 1
    if len(set(kinds.values())) == 1:
        names = ", ".join(f"'{name}'" for name in kinds)
        what = f"column {names} holds" if one else f"columns {names} hold"
        what += f" {next(iter(kinds.values()))}"
    else:
        what = " and ".join(f"column '{name}' holds {kind}" for name, kind in kinds.items())
    fix = "it flat (one value per cell) or drop the column"
    if not one:
        fix = "them flat (one value per cell) or drop those columns"
    return f"{what}, not single values: export {fix}, then upload the file again"


_CALAMINE_UNNAMED = re.compile(r"^__UNNAMED__\d+$")


def _excel_header(columns: list[str]) -> list[str]:
    """Calamine's header back to the sheet's own cells (it renames blanks and repeats itself)."""
    raw: list[str] = []
    seen: Counter[str] = Counter()
    for column in columns:
        name = "" if _CALAMINE_UNNAMED.match(column) else column
        match = re.match(r"^(.*)_(\d+)$", name)
        if match and seen[match.group(1)] == int(match.group(2)):
            name = match.group(1)
        seen[name] += 1
        raw.append(name)
    return raw


_ROW_NUMBER = re.compile(rb'<row r="(\d{1,7})"')
_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# A worksheet's XML takes some 36 bytes per cell; more than this per budget byte is padding.
_XML_PER_BUDGET_BYTE = 8


@functools.cache
def _refs_beyond(columns: int) -> re.Pattern[bytes]:
    """Cell references in a column past `columns` (every two- and three-letter one past Z)."""
    single = b"|[" + _LETTERS[columns:] + b"]" if columns < 25 else b"|Z" * (columns == 25)
    return re.compile(rb'<c r="([A-Z]{2,3}' + single + rb")\d")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _worksheet_grid(stream: io.BufferedIOBase, limit: int) -> tuple[int, int, int, int]:
    """(rows, columns, cells, inline) of one worksheet's XML, streamed: the grid calamine will
    build, and the bytes of XML of a sheet that writes text in its cells (inline strings and
    formulas' text, each held as long as it is written; 0 for a sheet with none).

    Counts are bytes.count passes at memory speed; a regular expression looks only for cells
    beyond the widest column seen so far, which after the first rows are few or none.
    """
    row_tags = last_row = columns = cells = seen = 0
    inline = False
    tail = b""
    while chunk := stream.read(_CHUNK):
        seen += len(chunk)
        if seen > limit:
            return max(row_tags, last_row), columns, max(cells, seen // 16), seen
        # A tag cut at the chunk's edge is left for the next round, with this chunk's tail.
        text = tail + chunk
        start = text.rfind(b"<")
        cut = start if start >= len(text) - 32 else len(text)
        text, tail = text[:cut], text[cut:]
        row_tags += text.count(b"<row ") + text.count(b"<row>")
        cells += text.count(b"<c ") + text.count(b"<c>")
        inline = inline or b"<is>" in text or b't="str"' in text  # a formula's text too
        if (last := text.rfind(b"<row r=")) >= 0 and (row := _ROW_NUMBER.match(text, last)):
            last_row = max(last_row, int(row.group(1)))  # rows come in order
        if wider := _refs_beyond(columns).findall(text):
            columns = max(columns, *(_column_number(w) for w in wider))
    return max(row_tags, last_row), columns, cells, seen if inline else 0


_STRING_TAGS = re.compile(rb"<si[ >]|</si>|<si/>")
_SHARED_CELL = re.compile(rb'<c [^>]*t="s"[^>]*>\s*<v>(\d{1,9})</v>')


# What calamine holds per shared string besides its text (22 million empty ones took 564 MB).
_SHARED_STRING_BYTES = 32
# The fewest bytes a shared string takes in the XML ("<si/>").
_SHARED_STRING_XML = 5


def _string_sizes(stream: io.BufferedIOBase, limit: int, most: int) -> array.array | None:
    """The size in bytes of each shared string (xl/sharedStrings.xml), in order, streamed; None
    past `limit` bytes or `most` strings (the caller counts as many as the file can hold then)."""
    sizes = array.array("q")
    seen, start, tail = 0, -1, b""
    while chunk := stream.read(_CHUNK):
        if seen > limit or len(sizes) > most:
            return None
        text = tail + chunk
        base = seen - len(tail)
        for tag in _STRING_TAGS.finditer(text):
            if tag.group() == b"<si/>":  # an empty string, written as one tag
                sizes.append(len(tag.group()))
            elif tag.group() == b"</si>":
                if start >= 0:
                    sizes.append(base + tag.end() - start)
                start = -1
            else:
                start = base + tag.start()
        seen += len(chunk)
        # A tag cut at the edge is found whole with the next chunk. An opening tag wholly in
        # these 4 bytes is found twice, at the same offset; a closing one (5 bytes) never is.
        tail = text[-4:]
    return sizes


def _shared_bytes(stream: io.BufferedIOBase, sizes: array.array, limit: int) -> int:
    """The bytes the cells of one worksheet take as copies of the shared strings they refer to
    (calamine copies a shared string into every cell that names it: one 1 MB string named by
    2,000 cells is 2 GB)."""
    counts: Counter[int] = Counter()
    seen, tail = 0, b""
    while chunk := stream.read(_CHUNK):
        seen += len(chunk)
        if seen > limit:
            break
        text = tail + chunk
        cut = text.rfind(b"<c ")  # a cell cut at the edge waits for the next chunk
        text, tail = (text[:cut], text[cut:]) if cut >= 0 else (text, b"")
        counts.update(_SHARED_CELL.findall(text))
    return sum(sizes[int(i)] * n for i, n in counts.items() if int(i) < len(sizes))


# What calamine builds of an OpenDocument sheet at most: rows and columns past these are dropped.
_ODS_ROWS, _ODS_COLUMNS = 1_048_576, 16_384
_ODS_CELLS = frozenset(("table:table-cell", "table:covered-table-cell"))
# A repeat count as calamine reads one; more digits than a 64-bit count has are refused there.
_ODS_COUNT = re.compile(r"\+?[0-9]+")
_ODS_COUNT_DIGITS = 20
# Content expat has not reached the end of (a text, a tag, a comment) past this many bytes
# is refused: calamine holds it whole (1 GB of text in a number's cell took 1 GB), and expat
# scans it again with each chunk (a 300 MB attribute took 45 s).
_ODS_TOKEN_BYTES = 16 * _MB
# Reading stops past this many bytes of XML per byte of the table budget (a sheet takes about
# as much XML as memory: 82 MB for 113 MB), and past this many tags: a cell takes four or so
# ("<table:table-cell", "<text:p>" and their ends) and 80 bytes and more of the budget (100,000
# rows of 8 cells held 3.4 million for 113 MB), and each costs a call in Python (1.8 GB of
# "<a/>", a 1.8 MB upload, took 195 s to measure).
_ODS_XML_PER_BUDGET_BYTE = 2
_ODS_TAGS_PER_BUDGET_BYTE = 1 / 24
_ODS_COLUMNS_REPEATED = "table:number-columns-repeated"
# A cell's attributes that give it a value (calamine reads the first), or a formula.
_ODS_VALUES = frozenset(
    (
        "office:value",
        "office:string-value",
        "office:date-value",
        "office:time-value",
        "office:boolean-value",
        "table:formula",
    )
)
# Those calamine holds as text (the others as numbers, in the grid's own bytes).
_ODS_TEXTS = frozenset(
    ("office:string-value", "office:date-value", "office:time-value", "table:formula")
)
# Calamine's peak while it reads an OpenDocument sheet's text, per byte of it: one text of 20 MB
# took 150 MB, 100 of 200 KB 60 MB, 50 MB of repeated spaces 290 MB.
_ODS_TEXT_COPIES = 3


@dataclass
class _OdsSheet:
    """What calamine builds of one OpenDocument sheet (_ods_sheets)."""

    rows: int = 0  # to the last row with a value
    columns: int = 0  # to the last cell with a value, in any row
    cells: int = 0  # cells with a value
    text: int = 0  # bytes their text can take
    # Bytes of XML of its largest cell: calamine holds a cell's content whole to read past it
    # (1 GB of text in a number's cell took 1 GB), once at a time.
    widest: int = 0

    @property
    def grid(self) -> int:
        return self.rows * max(self.columns, 1)

    @property
    def size(self) -> int:
        """Bytes calamine takes to read the sheet, about."""
        return self.grid * _SHEET_CELL_BYTES + self.text * _ODS_TEXT_COPIES + self.widest


def _ods_repeat(attrs: dict[str, str], key: str) -> int:
    """The count `key` gives (1 without it), read as calamine reads it (Rust's unsigned
    integers: an optional +, ASCII digits, leading zeros however many); ValueError for what it
    refuses (the reviewer's 4,400 leading zeros were no number to int() and read as 1)."""
    value = attrs.get(key)
    if value is None:
        return 1
    digits = value.removeprefix("+").lstrip("0")
    if not _ODS_COUNT.fullmatch(value) or len(digits) > _ODS_COUNT_DIGITS:
        raise ValueError(f"a count it cannot read ({key}={value[:20]!r})")
    return max(1, int(digits or "0"))


def _ods_sheets(stream: io.BufferedIOBase, budget: int, bound: int) -> tuple[list[_OdsSheet], str]:
    """The grid calamine builds of each sheet of an OpenDocument spreadsheet's content.xml,
    parsed as a stream (expat), and why reading stopped before the end ("" when it did not):
    past the XML or the tags a table budget of `budget` bytes can take, or once the sheets take
    more than `bound` bytes (_OdsSheet.size).

    Calamine repeats a row or cell as often as its table:number-rows-repeated or
    table:number-columns-repeated says (an 880-byte file held 712 MB) and a space as often as a
    text:s's text:c says, up to its caps; empty rows and cells after the last value are not
    built (LibreOffice writes them to the sheet's end). Elements are matched by their names as
    written, prefix and all, as calamine matches them; a sheet ends at the first table's end, as
    calamine's does. A cell's text is counted as the bytes of its content's XML when it is a
    string (its text and its paragraphs' tags) and of the attributes calamine holds as text,
    with its repeated spaces, times its repeats.
    Raises expat.ExpatError for XML that is not well-formed, ValueError for what LibreOffice
    and Excel never write and calamine reads its own way or not at all: a document type
    (entities), a table within a sheet, a row within a row or a cell, a repeat count it cannot
    read, content of more than _ODS_TOKEN_BYTES in one piece.

    A handler per element name, looked up once per element: 100,000 rows of 8 cells (83 MB of
    XML) in about 2.6 s, where calamine reads them in 0.6 s.
    """
    parser = xml.parsers.expat.ParserCreate()
    sheets: list[_OdsSheet] = []
    # In a sheet, in a row, in a cell (of a row); empty rows since the last with a value; the
    # row's repeats, next column, end of its last value, cells and text; the cell with a value
    # being read (its first column, -1 for none; where its content starts, or -1 when it is
    # not a string; the bytes of its text attributes and repeated spaces); where the cell
    # being read starts.
    sheet = in_row = in_cell = False
    pending = column = last = row_cells = row_text = cell_at = extra = opened = 0
    repeat, cell = 1, -1

    def odd(what: str) -> None:
        raise ValueError(f"it has {what}")

    def table(name: str, attrs: dict[str, str]) -> None:
        nonlocal sheet, pending
        if sheet:
            odd("a table within a sheet")
        sheet, pending = True, 0
        sheets.append(_OdsSheet())

    def row(name: str, attrs: dict[str, str]) -> None:
        nonlocal in_row, repeat, column, last, row_cells, row_text
        if not sheet:
            return
        if in_row or in_cell:
            odd("a row within a cell" if in_cell else "a row within a row")
        in_row, repeat = True, _ods_repeat(attrs, "table:number-rows-repeated")
        column = last = row_cells = row_text = 0

    def spaces(name: str, attrs: dict[str, str]) -> None:
        nonlocal extra
        if cell >= 0 and cell_at >= 0:
            extra += _ods_repeat(attrs, "text:c")

    def row_end() -> None:
        nonlocal in_row, pending
        if not in_row:
            return
        in_row, measured = False, sheets[-1]
        rows = max(0, min(repeat, _ODS_ROWS - measured.rows - pending))
        if last:
            measured.rows += pending + rows
            measured.columns = max(measured.columns, last)
            measured.cells += row_cells * rows
            measured.text += row_text * rows
            pending = 0
        else:
            pending += rows

    def table_end() -> None:
        nonlocal sheet, in_row, in_cell
        sheet = in_row = in_cell = False

    starts = {"table:table": table, "table:table-row": row, "text:s": spaces}
    ends = {"table:table": table_end, "table:table-row": row_end}

    # Cells, most of the elements, are read here, not in a handler of their own (100,000 rows
    # of 8 cells 0.4 s sooner).
    def started(name: str, attrs: dict[str, str]) -> None:
        nonlocal in_cell, column, cell, cell_at, extra, opened
        if name not in _ODS_CELLS:
            if (handle := starts.get(name)) is not None:
                handle(name, attrs)
            return
        if not in_row:
            return  # calamine reads no cell outside a row
        if in_cell:
            odd("a cell within a cell")
        in_cell, first, opened = True, column, parser.CurrentByteIndex
        column += (
            1 if _ODS_COLUMNS_REPEATED not in attrs else _ods_repeat(attrs, _ODS_COLUMNS_REPEATED)
        )
        string = attrs.get("office:value-type") == "string"
        if string or not _ODS_VALUES.isdisjoint(attrs):
            cell, cell_at, extra = first, -1, 0
            if texts := _ODS_TEXTS.intersection(attrs):
                extra = sum(len(attrs[key]) for key in texts)
            if string:  # its content starts after its tag: `<{name}>`, ` {key}="{value}"`s
                tag = len(name) + 2 + len("".join(attrs)) + len("".join(attrs.values()))
                cell_at = parser.CurrentByteIndex + tag + 4 * len(attrs)

    def ended(name: str) -> None:
        nonlocal in_cell, last, row_cells, row_text, cell
        if name not in _ODS_CELLS:
            if (handle := ends.get(name)) is not None:
                handle()
            return
        if not in_cell:
            return
        in_cell, measured = False, sheets[-1]
        measured.widest = max(measured.widest, parser.CurrentByteIndex - opened)
        if cell >= 0:
            through = min(column, _ODS_COLUMNS)
            if (built := through - cell) > 0:
                content = max(0, parser.CurrentByteIndex - cell_at) if cell_at >= 0 else 0
                row_text += (content + extra) * built
                row_cells += built
                last = through
            cell = -1

    parser.StartElementHandler = started
    parser.EndElementHandler = ended
    parser.StartDoctypeDeclHandler = lambda *_: odd("a document type declaration")
    seen = tags = 0
    limit, most = budget * _ODS_XML_PER_BUDGET_BYTE, budget * _ODS_TAGS_PER_BUDGET_BYTE
    while chunk := stream.read(_CHUNK):
        seen, tags = seen + len(chunk), tags + chunk.count(b"<")
        if seen > limit:
            return sheets, f"more than {size_text(limit)} of XML"
        if tags > most:
            return sheets, f"more than {_quantity(most)} tags"
        parser.Parse(chunk, False)
        if seen - max(parser.CurrentByteIndex, 0) > _ODS_TOKEN_BYTES:
            raise ValueError(f"more than {size_text(_ODS_TOKEN_BYTES)} of content in one piece")
        if sum(sheet.size for sheet in sheets) > bound:
            return sheets, "sheets larger than the limit"
    parser.Parse(b"", True)
    return sheets, ""


def _check_workbook(file: str, data: bytes, spend: _Spend) -> None:
    """Refuse a workbook whose sheets would not fit, from their XML, before calamine reads them.

    Calamine holds each sheet as a dense grid from A1 to its farthest cell, so two cells far
    apart take gigabytes: the grid's size counts, not the number of cells.
    """
    if not data.startswith(b"PK"):  # an old .xls: its records take at least 8 bytes per cell
        spend.check(file, len(data) / 8, len(data) / 8 * _SHEET_CELL_BYTES)
        return
    limit = spend.budget.table_bytes * _XML_PER_BUDGET_BYTE
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            # A part renamed in an extra field (Info-ZIP's Unicode path) is read by that name
            # by calamine's zip reader, by its own by Python's: it would go unmeasured.
            if any(_UNICODE_PATH in _extra_ids(i.extra) for i in infos):
                raise zipfile.BadZipFile("a part is renamed in an extra field")
            shared = [i for i in infos if i.filename == "xl/sharedStrings.xml"]
            strings = sum(i.file_size for i in shared)
            sizes = None
            if shared:
                most = spend.budget.table_bytes // _SHARED_STRING_BYTES
                with archive.open(shared[0]) as stream:
                    sizes = _string_sizes(stream, limit, most)
            # Each shared string is held once, text and all, however few cells name it.
            count = len(sizes) if sizes is not None else strings // _SHARED_STRING_XML
            strings += count * _SHARED_STRING_BYTES
            for info in infos:
                name = info.filename
                if name == "content.xml":  # an OpenDocument spreadsheet's sheets
                    with archive.open(info) as stream:
                        _check_ods(file, stream, spend)
                    continue
                if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                    continue
                with archive.open(info) as stream:
                    rows, columns, cells, inline = _worksheet_grid(stream, limit)
                grid = max(rows * max(columns, 1), cells)
                # Text written in the cells themselves (inline strings) is held as long as its
                # XML: 2.4 MB of workbook held 859 MB of such text.
                size = grid * _SHEET_CELL_BYTES + strings + inline
                _check_sheet(
                    file, spend, rows=rows, columns=columns, cells=cells, grid=grid, size=size
                )
                if sizes:
                    with archive.open(info) as stream:
                        copies = _shared_bytes(stream, sizes, limit)
                    spend.check(file, rows, size + copies, " (its cells repeat long texts)")
    except (
        zipfile.BadZipFile,
        OSError,
        EOFError,
        zlib.error,
        NotImplementedError,
        RuntimeError,
    ) as exc:
        # Unmeasured, it would be read blind (calamine's zip reader reads some of these: a
        # local name other than the directory's, a damaged part it reads to the end).
        raise LoadError(
            file,
            f"could not be read as an Excel workbook: its zip archive is damaged ({_short(exc)}); "
            "save it again as .xlsx",
        ) from None


# Info-ZIP's Unicode path extra field.
_UNICODE_PATH = 0x7075


def _extra_ids(extra: bytes) -> list[int]:
    """The ids of a zip entry's extra fields."""
    ids, at = [], 0
    while at + 4 <= len(extra):
        ids.append(int.from_bytes(extra[at : at + 2], "little"))
        at += 4 + int.from_bytes(extra[at + 2 : at + 4], "little")
    return ids


def _check_ods(file: str, stream: io.BufferedIOBase, spend: _Spend) -> None:
    """Refuse an OpenDocument spreadsheet whose sheets (_ods_sheets: calamine reads them all at
    once) would not fit together, or whose XML cannot be measured."""
    try:
        sheets, cut = _ods_sheets(stream, spend.budget.table_bytes, spend.memory_left)
    except (xml.parsers.expat.ExpatError, ValueError) as exc:
        raise LoadError(
            file,
            f"could not be read as a spreadsheet: its content ({_short(exc)}) is not as "
            "LibreOffice or Excel write it. Open it in one of them and save it again as .xlsx",
        ) from None
    total = 0
    for sheet in sheets:
        total += sheet.size
        _check_sheet(
            file,
            spend,
            rows=sheet.rows,
            columns=sheet.columns,
            cells=sheet.cells,
            grid=sheet.grid,
            size=total,
        )
    if cut:  # read no further: more than any sheet within the budget takes
        raise LoadError(
            file,
            f"is too large to analyse here: its sheets hold {cut}, more than "
            f"{size_text(spend.budget.table_bytes)} of tables take (the limit "
            f"{spend.budget.scope}). To fit, " + spend.budget.remedy_for(file),
        )


def _check_sheet(
    file: str, spend: _Spend, *, rows: int, columns: int, cells: int, grid: int, size: int
) -> None:
    """Refuse a sheet before calamine reads it: cells spread far apart (_refuse_stray_cells),
    more columns than the app reads (_check_width), or `size` bytes (with the sheets held
    beside it) past the budget."""
    _refuse_stray_cells(
        file, rows=rows, columns=columns, cells=cells, limit=spend.budget.table_bytes
    )
    _check_width(file, columns)
    spend.check(file, rows, size, f" (a sheet of {_quantity(grid)} cells)")


def _refuse_stray_cells(file: str, *, rows: int, columns: int, cells: int, limit: int) -> None:
    """A sheet too large only for the span of its cells, not their number (a cell typed far
    below or right of the table: calamine builds the grid from A1 to it): say so, where a
    shorter date range would not help."""
    grid = rows * max(columns, 1)
    if grid * _SHEET_CELL_BYTES <= limit or cells * 100 > grid:
        return
    corner = f"{_column_letters(max(columns, 1))}{rows}"
    raise LoadError(
        file,
        f"is too large to read as it is: a sheet's {cells:,} cells reach cell {corner}, read as "
        f"a grid of {_quantity(grid)} cells from A1. A cell far below or right of your table "
        "does that: delete the rows and columns past the table (or save the table alone as "
        "CSV) and upload it again",
    )


def _column_letters(number: int) -> str:
    """A spreadsheet column's letters from its number (1: A, 16,384: XFD)."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _read_excel(name: str, file: str, data: bytes, spend: _Spend) -> list[RawTable]:
    _check_workbook(file, data, spend)
    try:
        sheets = pl.read_excel(
            io.BytesIO(data), sheet_id=0, engine="calamine", raise_if_empty=False
        )
    except Exception as exc:  # noqa: BLE001 - corrupt files raise many kinds of errors
        raise LoadError(
            file, f"could not be read as an Excel workbook: {_short(exc)}; save it again as .xlsx"
        ) from None
    if isinstance(sheets, pl.DataFrame):
        sheets = {"Sheet1": sheets}
    tables: list[RawTable] = []
    skipped: list[str] = []
    header_only: list[str] = []
    # A sheet of one column beside sheets of several (a cover, notes) holds no table of lines,
    # which takes a date and an amount at least: it would only wait for a mapping.
    wide = any(frame.width > 1 for frame in sheets.values())
    for sheet, frame in sheets.items():
        if frame.width == 0:
            skipped.append(f"skipped empty sheet '{sheet}'")
            continue
        if frame.width == 1 and wide:
            skipped.append(f"skipped sheet '{sheet}': one column only, no table of orders")
            continue
        below, header, above = _below_title_rows(data, sheet, frame)
        if below.height == 0:
            header_only.append(sheet)
            skipped.append(f"skipped sheet '{sheet}': it has column names but no rows")
            continue
        cleaned, notes = _with_clean_names(below, header)
        notes = [_skipped_note(above)] + notes if above else notes
        tables.append(RawTable(f"{name}/{sheet}", file, cleaned, tuple(notes)))
    if not tables:
        if header_only:
            raise LoadError(file, NO_ROWS)
        raise LoadError(
            file, "is empty: every sheet is blank. Export it again or pick another file"
        )
    if skipped:
        first = tables[0]
        tables[0] = RawTable(first.name, first.file, first.frame, tuple(skipped) + first.notes)
    return tables


def _sheet_records(rows: Iterable[Sequence[object]]) -> list[_Record]:
    """A sheet's rows as the text path's records: blank rows left out, trailing blank cells cut
    (a CSV line of a title has one field, its row in a sheet is as wide as the sheet)."""
    records: list[_Record] = []
    for line, cells in enumerate(rows):
        fields = ["" if cell is None else str(cell) for cell in cells]
        while fields and not fields[-1].strip():
            fields.pop()
        if fields:
            records.append(_Record(line, fields))
            if len(records) >= SNIFF_RECORDS:
                break
    return records


def _as_text_rows(frame: pl.DataFrame) -> list[tuple[object, ...]]:
    return frame.head(SNIFF_RECORDS).select(pl.all().cast(pl.String)).rows()


def _below_title_rows(
    data: bytes, sheet: str, frame: pl.DataFrame
) -> tuple[pl.DataFrame, list[str], int]:
    """A sheet read from its real header when title rows ("Sales report") sit above it.

    The text path's rule (_preamble_length) says where the header starts. Calamine takes the
    sheet's first row for the header, so only a sheet that rule finds titles in is read again:
    once without a header, for the rows' numbers in the sheet, then from the header's row.
    Returns the frame, its header cells and how many rows of the sheet were above the header.
    """
    header = _excel_header(frame.columns)
    if not _preamble_length(_sheet_records([header, *_as_text_rows(frame)])):
        return frame, header, 0
    grid = _read_sheet(
        data,
        sheet,
        {"header_row": None, "skip_rows": 0, "n_rows": 2 * SNIFF_RECORDS},
        drop_empty_rows=False,
        drop_empty_cols=False,
    )
    records = _sheet_records(_as_text_rows(grid) if grid is not None else [])
    skip = _preamble_length(records)
    if not skip:
        return frame, header, 0
    line = records[skip].line
    again = _read_sheet(data, sheet, {"header_row": line})
    if again is None:
        return frame, header, 0
    again_header = _excel_header(again.columns)
    named = [f for f in records[skip].fields if f.strip()]
    if sum(1 for n in again_header if n.strip()) != len(named):  # not the row we meant
        return frame, header, 0
    return again, again_header, line


def _read_sheet(
    data: bytes, sheet: str, options: dict[str, object], **kwargs: bool
) -> pl.DataFrame | None:
    """One sheet read again with calamine's `options`; None when that fails (keep the first)."""
    try:
        frame = pl.read_excel(
            io.BytesIO(data),
            sheet_name=sheet,
            engine="calamine",
            read_options=options,
            raise_if_empty=False,
            **kwargs,
        )
    except Exception:  # noqa: BLE001 - the sheet was read once already: keep that reading
        return None
    return frame if isinstance(frame, pl.DataFrame) else None


# --- text -------------------------------------------------------------------------------------


class _NotUtf8(Exception):
    """Polars met invalid UTF-8 after the prefix that looked like UTF-8."""


def _read_text(name: str, file: str, data: bytes, spend: _Spend) -> RawTable:
    notes: list[str] = []
    data = _utf8(file, data, notes)
    try:
        return _parse_text(name, file, data, notes, spend)
    except _NotUtf8:
        return _parse_text(name, file, _latin1_to_utf8(data), [_LATIN1_NOTE], spend)


def _refuse_long_first_line(file: str, data: bytes) -> None:
    """A first line over MAX_FIRST_LINE is no header: polars would make a column per field."""
    if len(data) > MAX_FIRST_LINE and data.find(b"\n", 0, MAX_FIRST_LINE) < 0:
        raise LoadError(
            file,
            f"is not a table of rows: its first line is longer than "
            f"{size_text(MAX_FIRST_LINE)} (one line of {size_text(len(data))} or more). "
            f"Check that it has line breaks, or {_EXPORT_HINT}",
        )


def _refuse_long_lines(file: str, data: bytes) -> None:
    """A line over MAX_FIRST_LINE further down is no row either: one field of hundreds of MB
    (a 200 KB gzip of a 215 MB field took 1.5 GB to read) that the sniffed start cannot show."""
    length, number = _longest_line(data)
    if length > MAX_FIRST_LINE:
        long, most = size_text(length), size_text(MAX_FIRST_LINE)
        if long == most:  # "1.0 MB long, longer than 1.0 MB": in bytes
            long, most = f"{length:,} bytes", f"{MAX_FIRST_LINE:,} bytes"
        raise LoadError(
            file,
            f"is not a table of rows: its line {number:,} is {long} long, longer than any row "
            f"of orders ({most} at most). Check that line, or {_EXPORT_HINT}",
        )


def _longest_line(data: bytes, chunk: int = 8 * 1024 * 1024) -> tuple[int, int]:
    """(bytes, number from 1) of the longest line of `data` without its line break (a "\r\n"
    counts as one), its line ends found a chunk at a time (a copy of the text would double its
    memory)."""
    import numpy as np  # only text uploads need it here

    best = (0, 1)
    start, number = 0, 1  # where the current line starts, and its number
    text = np.frombuffer(data, np.uint8)  # a view: no copy
    for offset in range(0, len(data), chunk):
        count = min(chunk, len(data) - offset)
        ends = np.flatnonzero(text[offset : offset + count] == 10) + offset
        if ends.size:
            returns = text[np.maximum(ends - 1, 0)] == 13
            lengths = np.diff(ends, prepend=start - 1) - 1 - returns
            at = int(lengths.argmax())
            best = max(best, (int(lengths[at]), number + at), key=lambda b: b[0])
            number, start = number + ends.size, int(ends[-1]) + 1
    return max(best, (len(data) - start, number), key=lambda b: b[0])


def _check_width(file: str, width: int) -> None:
    """Refuse a table of more than MAX_COLUMNS columns (each holds a value per row, however
    few the rows)."""
    if width > MAX_COLUMNS:
        raise LoadError(
            file,
            f"has {width:,} columns; this app reads at most {MAX_COLUMNS:,}: keep only the "
            "columns you need (order, customer, date, amount, item, category, region)",
        )


def _check_text(
    file: str,
    data: bytes,
    text: str,
    records: list[_Record],
    *,
    width: int,
    spend: _Spend,
    above: int = 0,
    factor: int = 1,
) -> None:
    """Refuse text whose table would not fit, estimated before polars allocates it.

    Rows are counted exactly (line ends, an upper bound with quoted line breaks); each cell
    takes a view, and the sniffed records say what share of the text is in long strings.
    """
    _check_width(file, width)
    lines = data.count(b"\n") + (not data.endswith(b"\n")) - above
    long = sum(len(f) for r in records for f in r.fields if len(f) > _INLINE_BYTES)
    sniffed = sum(len(f) + 1 for r in records for f in r.fields)
    share = min(1.0, long / max(sniffed, 1))
    size = factor * (lines * width * _VIEW_BYTES + share * len(data))
    spend.check(file, lines, size, f" (from {size_text(len(data))} of text)")


# What a file of empty cells holds: separators, quotes and blanks.
_EMPTY_CELLS = b'",;|\t \r\n'


def _parse_text(name: str, file: str, data: bytes, notes: list[str], spend: _Spend) -> RawTable:
    if _is_blank(data):
        raise LoadError(file, "is empty: export it again or pick another file")
    if not data[:SNIFF_BYTES].translate(None, _EMPTY_CELLS) and not data.translate(
        None, _EMPTY_CELLS
    ):
        raise LoadError(
            file, "holds no values, only empty cells: export it again or pick another file"
        )
    prefix = data[:SNIFF_BYTES]
    if b"\n" not in prefix and b"\r" in prefix:  # classic Mac line endings
        data = data.replace(b"\r", b"\n")
        prefix = data[:SNIFF_BYTES]
        notes.append("line endings were carriage returns only")
    elif (lone := data.count(b"\r") - data.count(b"\r\n")) > 0:
        # Mixed endings (rows pasted from another file): a carriage return alone is a line end
        # too, else it glues two rows into one cell and the next row is lost unsaid.
        data = re.sub(rb"\r(?!\n)", b"\n", data)
        prefix = data[:SNIFF_BYTES]
        one = lone == 1
        notes.append(
            f"{lone:,} carriage return{'' if one else 's'} alone among the line ends "
            f"{'was' if one else 'were'} read as {'a line end' if one else 'line ends'} too"
        )
    _refuse_markup(file, prefix)
    _refuse_long_first_line(file, data)
    _refuse_long_lines(file, data)
    truncated = len(data) > len(prefix)
    text = _decode_prefix(prefix, truncated)
    records = _records_by_separator(text, truncated)
    separator = _best_separator(records)
    if separator is None and (width := _whitespace_columns(text)) > 1:
        # Each line is read whole, then split into a list: about twice a table's memory.
        _check_text(file, data, text, [], width=width, spend=spend, factor=2)
        return _read_whitespace(name, file, data, text, notes)
    separator = separator or _unused_separator(text)
    rows = records[separator]
    hint = re.match(r"sep=(.)\r?\n", text)  # Excel's separator hint line
    if hint and hint.group(1) in SEPARATORS:
        separator, rows = hint.group(1), records[hint.group(1)]
        skip = 1 if len(rows) > 1 else 0
    else:
        skip = _preamble_length(rows)
    if skip:
        rows = rows[skip:]
        notes.append(_skipped_note(rows[0].line))
    first = rows[0].fields if rows else []
    has_header = not _all_numberish(first)
    width = max(len(first), _usual_width(len(r.fields) for r in rows)[0] if rows else 1)
    if truncated and b"\n" not in prefix:  # the first line goes on past the prefix
        width = max(width, data[: data.find(b"\n")].count(separator.encode()) + 1)
    above = (rows[0].line if skip and rows else 0) + has_header
    _check_text(file, data, text, rows, width=width, spend=spend, above=above)
    if separator != ",":
        notes.append(f"separator {_SEPARATOR_NAMES[separator]}")
    if any(len(r.fields) != len(first) for r in rows):
        notes.append(_ragged_note())
    skip_lines = rows[0].line if skip else 0
    # Tab-separated flat files (Amazon's reports) quote nothing and their text holds inch marks
    # ('Skillet 12"'): quotes count only where a field of the sniffed text opens with one.
    quote = '"' if separator != "\t" or re.search(r'(^|\t)"', text, re.MULTILINE) else None
    frame = _polars_csv(
        file, data, separator, has_header, skip_lines=skip_lines, notes=notes, quote=quote
    )
    if has_header:
        header = first if len(first) == frame.width else frame.columns
        frame, name_notes = _with_clean_names(frame, header)
        notes.extend(name_notes)
    else:
        frame = frame.rename({c: f"column_{i + 1}" for i, c in enumerate(frame.columns)})
        notes.append(f"no header row: columns named column_1..column_{frame.width}")
    if frame.height == 0:
        raise LoadError(file, NO_ROWS)
    return RawTable(name, file, frame, tuple(dict.fromkeys(notes)))


def _utf8(file: str, data: bytes, notes: list[str]) -> bytes:
    """The text as UTF-8 without BOM; the encoding is judged on a prefix, polars checks the rest."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:]
    # Before UTF-16: UTF-32's little-endian BOM (FF FE 00 00) starts with UTF-16's (FF FE).
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        notes.append("read as UTF-32")
        return _transcode(file, data, "utf-32")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        notes.append("read as UTF-16")
        return _transcode(file, data, "utf-16")
    _refuse_known_binary(file, data)
    utf16 = _bomless_utf16(data[:1024])
    if utf16:
        notes.append("read as UTF-16")
        return _transcode(file, data, utf16)
    if _looks_binary(data[:1024]):
        raise LoadError(
            file, f"is not a table: it looks like a binary file, not text; {_EXPORT_HINT}"
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data[:SNIFF_BYTES], final=False)
    except UnicodeDecodeError:
        notes.append(_LATIN1_NOTE)
        return _latin1_to_utf8(data)
    return data


_LATIN1_NOTE = (
    "read as latin-1 (Windows-1252): the file is not UTF-8. If its names or texts look garbled "
    "(written in another encoding: Japanese Shift-JIS, Chinese GB18030...), save it as UTF-8 "
    "CSV and upload it again"
)
# Control characters that no text table holds (tab, line ends and form feed are text).
_CONTROLS = bytes(c for c in [*range(32), 127] if c not in b"\t\n\r\x0c")


def _looks_binary(head: bytes) -> bool:
    """Whether the file's first bytes are no text: a NUL byte (text never holds one, except as
    UTF-16, read before), or control characters making 1 byte in 16 or more (random bytes: 1 in
    9; text: none, a stray DOS end-of-file mark, or terminal colour codes in a description, 1
    in 28 in the corpus's file of them)."""
    controls = len(head) - len(head.translate(None, _CONTROLS))
    return b"\x00" in head or (controls >= 4 and controls * 16 >= len(head))


def _is_json(data: bytes) -> bool:
    """Whether text starts as JSON does: an object with a quoted key, or an array of objects,
    texts or nothing (a JSON export read as CSV gave 'column names but no rows')."""
    head = data[:SNIFF_BYTES].removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"["):
        head = head[1:].lstrip()
        return head.startswith((b"{", b'"', b"]"))
    return head.startswith(b"{") and head[1:].lstrip().startswith(b'"')


def _is_blank(data: bytes) -> bool:
    return not data or (data[:SNIFF_BYTES].isspace() and data.isspace())


def _bomless_utf16(head: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when every other byte is NUL, as in UTF-16 text without a BOM."""
    if len(head) < 8:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _transcode(file: str, data: bytes, encoding: str) -> bytes:
    try:
        return data.decode(encoding).lstrip("\ufeff").encode("utf-8")
    except UnicodeDecodeError:
        family = encoding.upper()[:6]  # UTF-16 or UTF-32
        raise LoadError(
            file, f"looks like {family} text but is damaged: export it again as UTF-8 CSV"
        ) from None


def _latin1_to_utf8(data: bytes) -> bytes:
    # cp1252 is what Excel writes as "latin-1"; five bytes are undefined in it, latin-1 maps all.
    try:
        return data.decode("cp1252").encode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1").encode("utf-8")


def _refuse_known_binary(file: str, data: bytes) -> None:
    head = data[:1024]
    for magic, what in _SIGNATURES:
        if head.startswith(magic) and (magic != b"BM" or b"\x00" in head):
            raise LoadError(file, f"is not a table: it looks like {what}; {_EXPORT_HINT}")


def _refuse_markup(file: str, prefix: bytes) -> None:
    start = prefix.lstrip()[:15].lower()
    if start.startswith((b"<!doctype html", b"<html", b"<table")):
        raise LoadError(
            file,
            f"is not a table: it is a web page (HTML), as some systems save as .xls; "
            f"{_EXPORT_HINT}",
        )
    if start.startswith(b"<?xml"):
        raise LoadError(file, f"is not a table: it is an XML document; {_EXPORT_HINT}")


def _decode_prefix(prefix: bytes, truncated: bool) -> str:
    if truncated:  # cut at the last line end so that no line is half-read
        cut = prefix.rfind(b"\n")
        prefix = prefix[: cut + 1] if cut > 0 else prefix
    return prefix.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class _Record:
    """One record of the sniffed prefix: its fields and the physical lines before it."""

    line: int
    fields: list[str]


def _records_by_separator(text: str, truncated: bool) -> dict[str, list[_Record]]:
    """The first non-blank records of the prefix split by each candidate, quotes respected."""
    out: dict[str, list[_Record]] = {}
    for separator in SEPARATORS:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, quotechar='"')
        records: list[_Record] = []
        line = 0
        try:
            for fields in reader:
                if any(field.strip() for field in fields):
                    records.append(_Record(line, fields))
                line = reader.line_num
                if len(records) > SNIFF_RECORDS:
                    break
        except csv.Error:
            pass
        if truncated and 1 < len(records) <= SNIFF_RECORDS:
            records = records[:-1]  # the last one may be cut inside a quoted field
        out[separator] = records[:SNIFF_RECORDS]
    return out


def _usual_width(counts: Iterable[int]) -> tuple[int, int]:
    """The most common number of fields of some records and how many have it; of counts as
    common, the widest (two title lines over a header and one row: 2 records of 1 field, 2 of
    6, are 6 wide)."""
    hits, mode = max((hits, mode) for mode, hits in Counter(counts).items())
    return mode, hits


def _best_separator(records: dict[str, list[_Record]]) -> str | None:
    """The separator whose field counts are most consistent (with more than one field)."""
    best: tuple[float, int] = (0.0, 0)
    chosen: str | None = None
    for separator, rows in records.items():
        counts = [len(r.fields) for r in rows]
        if not counts:
            continue
        mode, hits = _usual_width(counts)
        score = (hits / len(counts), mode)
        if mode > 1 and score > best:
            best, chosen = score, separator
    return chosen


def _preamble_length(rows: list[_Record]) -> int:
    """Leading title lines ("Sales report", "sep=;") before the real header: how many.

    The header is the first row as wide as most rows (or wider: a last column mostly empty
    leaves a sheet's rows shorter than its header), unless a shorter row names several columns,
    or it is a row of group names over a few columns each ('Order info,,,,Money,,,': under
    half its cells named) above a row that names every column with no number among them.
    The one rule for text (_parse_text) and workbooks (_below_title_rows).
    """
    if len(rows) < 3:
        return 0
    width = _usual_width(len(r.fields) for r in rows)[0]
    for skip, row in enumerate(rows[: MAX_PREAMBLE + 1]):
        below = rows[skip + 1].fields if skip + 1 < len(rows) else []
        if len(row.fields) >= width:
            if skip < MAX_PREAMBLE and _groups_over(row.fields, below, width):
                return skip + 1
            return skip
        if sum(1 for f in row.fields if f.strip()) > 1:
            # A short header with several names is a header, not a title, unless it names
            # groups of the columns below (a sheet's merged cells end blank, so short).
            return skip + 1 if _groups_over(row.fields, below, width) else 0
    return 0


def _groups_over(fields: Sequence[str], below: Sequence[str], width: int) -> bool:
    """Whether `fields` name groups of the columns `below` names (hostile-upload audit, helper
    165: 'Order info,,,,Money,,,' above the real header read as the header, six columns named
    column_2 and on): under half of it named, and every one of `width` cells below it named,
    none a number or a date."""
    named = sum(1 for f in fields if f.strip())
    names = [f.strip() for f in below]
    return (
        0 < named < width / 2
        and len(names) >= width
        and all(names)
        and not any(_NUMBERISH.match(n) for n in names)
    )


def _skipped_note(lines: int) -> str:
    return f"skipped {lines} line{'s' if lines > 1 else ''} above the column names"


def _unused_separator(text: str) -> str:
    """For a one-column file: a separator that does not occur, so values are never split."""
    return next((s for s in SEPARATORS if s not in text), ",")


def _whitespace_columns(text: str) -> int:
    """Columns of a whitespace-aligned file (0 when lines are not consistently split, or are
    quoted values: a column of '"a, b, 0"' is one column, not three split at its blanks)."""
    rows = [line.strip() for line in text.splitlines()[:SNIFF_RECORDS] if line.strip()]
    quoted = sum(len(r) > 1 and r[0] == r[-1] == '"' for r in rows)
    if quoted and quoted >= 0.9 * (len(rows) - 1):  # the header may be bare
        return 0
    lines = [row.split() for row in rows]
    if len(lines) < 2:
        return 0
    mode, hits = _usual_width(len(fields) for fields in lines)
    return mode if mode > 1 and hits >= 0.9 * len(lines) else 0


def _all_numberish(fields: list[str]) -> bool:
    """True when a first row is data, not names: every non-blank field is a number or date."""
    values = [f.strip() for f in fields if f.strip()]
    return len(values) > 1 and all(_NUMBERISH.match(v) for v in values)


def _ragged_note() -> str:
    return (
        "some rows have a different number of fields than the header: "
        "extra fields were dropped, missing ones left empty"
    )


def _polars_csv(
    file: str,
    data: bytes,
    separator: str,
    has_header: bool,
    *,
    skip_lines: int,
    notes: list[str],
    quote: str | None = '"',
) -> pl.DataFrame:
    options = {
        "separator": separator,
        "has_header": has_header,
        "skip_lines": skip_lines,
        "infer_schema": False,
        "null_values": list(NULL_TOKENS),
        "quote_char": quote,
        "raise_if_empty": False,
    }
    try:
        return _polars_read(file, data, **options)
    except _Ragged:
        notes.append(_ragged_note())
    except _Malformed:
        if quote is None:
            raise LoadError(file, _unmatched_quote(data)) from None
        # An unquoted field with a quote mark in it (an inch mark: 'Skillet 12" pan') opens a
        # quote that runs on over the lines after it: read quote marks as text instead, when
        # every line then has the header's fields (no field was quoted for its separators).
        try:
            frame = _polars_read(file, data, **(options | {"quote_char": None}))
        except (_Ragged, _Malformed):
            raise LoadError(file, _unmatched_quote(data)) from None
        notes.append('quote marks read as text: a field holds one alone (an inch mark: 12")')
        return _unquoted(frame)
    return _polars_read(file, data, truncate_ragged_lines=True, **options)


def _unquoted(frame: pl.DataFrame) -> pl.DataFrame:
    """Values of a file read with quote marks as text that are whole quoted fields ('"Pan"')
    without their quotes, a doubled quote inside read as one, as a CSV reader reads them."""
    wrapped = pl.col(frame.columns).str.starts_with('"') & pl.col(frame.columns).str.ends_with('"')
    inner = pl.col(frame.columns).str.slice(1, pl.col(frame.columns).str.len_chars() - 2)
    return frame.with_columns(
        pl.when(wrapped & (pl.col(frame.columns).str.len_chars() >= 2))
        .then(inner.str.replace_all('""', '"', literal=True))
        .otherwise(pl.col(frame.columns))
        .name.keep()
    )


def _unmatched_quote(data: bytes) -> str:
    """Why a file whose quotes do not pair up cannot be read, naming its first such line."""
    for number, line in enumerate(data.splitlines(), start=1):
        if line.count(b'"') % 2:
            shown = line.decode("utf-8", errors="replace").strip()
            shown = shown if len(shown) <= 60 else shown[:57] + "…"
            return (
                f"line {number:,} has a quote mark that opens a field and never closes it "
                f"({shown}): put quotes around that whole field, or remove the quote mark, and "
                "upload the file again"
            )
    return "its quote marks do not pair up: export it again with every text field quoted"


class _Ragged(Exception):
    """A row has more fields than the header."""


class _Malformed(Exception):
    """A quote that opens a field runs on past its line (polars: 'CSV malformed', 'not properly
    escaped')."""


def _polars_read(file: str, data: bytes, **options: object) -> pl.DataFrame:
    try:
        return pl.read_csv(data, **options)  # type: ignore[arg-type]
    except pl.exceptions.ComputeError as exc:
        message = str(exc)
        if "utf-8" in message.lower() or "utf8" in message.lower():
            raise _NotUtf8 from None
        if "more fields" in message:
            raise _Ragged from None
        # polars 1 said 'CSV malformed'; polars 2 says a field 'is not properly escaped'.
        if "malformed" in message.lower() or "not properly escaped" in message:
            raise _Malformed from None
        raise LoadError(file, f"could not be read as a table: {_short(exc)}") from None


def _read_whitespace(name: str, file: str, data: bytes, text: str, notes: list[str]) -> RawTable:
    """A whitespace-aligned file (e.g. CDNOW_sample.txt): split each line on runs of blanks."""
    width = _whitespace_columns(text)
    first_line = next(line for line in text.splitlines() if line.strip())
    has_header = not _all_numberish(first_line.split())
    lines = _polars_read(
        file,
        data,
        separator="\x1f",
        has_header=False,
        quote_char=None,
        infer_schema=False,
        new_columns=["line"],
        raise_if_empty=False,
    )
    fields = lines.select(pl.col("line").str.extract_all(r"\S+").alias("f")).filter(
        pl.col("f").list.len() > 0
    )
    if has_header:
        header, fields = fields["f"][0].to_list()[:width], fields.slice(1)
        header += [""] * (width - len(header))
    else:
        header = [f"column_{i + 1}" for i in range(width)]
        notes.append(f"no header row: columns named column_1..column_{width}")
    if (fields["f"].list.len() != width).any():
        notes.append(_ragged_note())
    frame = fields.select(
        pl.col("f").list.get(i, null_on_oob=True).alias(f"column_{i + 1}") for i in range(width)
    )
    frame = frame.with_columns(
        pl.when(pl.col(c).is_in(NULL_TOKENS)).then(None).otherwise(pl.col(c)).alias(c)
        for c in frame.columns
    )
    frame, name_notes = _with_clean_names(frame, header)
    notes.append("columns separated by spaces")
    notes.extend(name_notes)
    if frame.height == 0:
        raise LoadError(file, NO_ROWS)
    return RawTable(name, file, frame, tuple(dict.fromkeys(notes)))


# --- column names -----------------------------------------------------------------------------


def _with_clean_names(frame: pl.DataFrame, header: list[str]) -> tuple[pl.DataFrame, list[str]]:
    """The frame renamed to clean, unique names taken from `header` (default: its own names)."""
    names, notes = _clean_names(list(header) if header else frame.columns)
    if names == frame.columns:
        return frame, notes
    return frame.rename(dict(zip(frame.columns, names, strict=True))), notes


def _clean_names(raw: list[str]) -> tuple[list[str], list[str]]:
    """Names stripped of blanks and BOM; blanks become column_N, repeats name_2, name_3."""
    stripped = [str(n).replace("\ufeff", "").strip() for n in raw]
    notes: list[str] = []
    blanks = [i for i, n in enumerate(stripped) if not n]
    taken = {n for n in stripped if n}
    for i in blanks:
        candidate, k = f"column_{i + 1}", 2
        while candidate in taken:
            candidate, k = f"column_{i + 1}_{k}", k + 1
        stripped[i] = candidate
        taken.add(candidate)
    if blanks:
        named = ", ".join(stripped[i] for i in blanks)
        noun = "a blank column name" if len(blanks) == 1 else f"{len(blanks)} blank column names"
        notes.append(f"{noun}: named {named}")
    counts = Counter(stripped)
    final = list(stripped)
    for name, count in counts.items():
        if count < 2:
            continue
        positions = [i for i, n in enumerate(stripped) if n == name]
        renamed = [name]
        k = 2
        for i in positions[1:]:
            while f"{name}_{k}" in taken:
                k += 1
            final[i] = f"{name}_{k}"
            taken.add(final[i])
            renamed.append(final[i])
        notes.append(f"{count} columns named '{name}': renamed {', '.join(renamed)}")
    return final, notes


REFERENCE_DIR = Path(__file__).resolve().parent.parent / "data"


def read_reference(name: str) -> pl.DataFrame:
    """A reference table bundled with the app in data/ (e.g. br_states.csv: state centroids)."""
    return pl.read_csv(REFERENCE_DIR / name, infer_schema_length=None)


def read_geojson(name: str) -> dict:
    """A GeoJSON file bundled with the app in data/ (e.g. brazil_states.geojson: state outlines)."""
    return json.loads((REFERENCE_DIR / name).read_text(encoding="utf-8"))
