"""Uploaded bytes to raw polars tables: the only module that reads or writes files."""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

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


def read_file(name: str, data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> list[RawTable]:
    """Every table in one uploaded file; raises LoadError with a user-facing message."""
    if len(data) > max_bytes:
        raise LoadError(name, _too_big(len(data), max_bytes))
    budget = _Budget(max_bytes * UNPACKED_FACTOR)
    try:
        return _read_any(name, name, bytes(data), budget, allow_zip=True)
    except LoadError:
        raise
    except (MemoryError, RecursionError):
        raise LoadError(name, "is too large or too deeply nested to read here") from None
    except Exception as exc:  # noqa: BLE001 - the user sees one line, never a traceback
        raise LoadError(name, f"could not be read: {_short(exc)}") from None


def read_path(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> list[RawTable]:
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
    return read_file(path.name, data, max_bytes)


def write_csv_tables(tables: Mapping[str, pl.DataFrame], out_dir: str | Path) -> list[Path]:
    """Each frame written as UTF-8 CSV to out_dir/name; the paths written, in order."""
    out = Path(out_dir)
    paths = []
    for name, frame in tables.items():
        relative = PurePosixPath(name.replace("\\", "/"))
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise ValueError(f"table name {name!r} is not a plain relative file name")
        path = out.joinpath(*relative.parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.write_csv(path)
        paths.append(path)
    return paths


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """The frame as UTF-8 CSV bytes with a header row, for download buttons."""
    return frame.write_csv().encode("utf-8")


# --- dispatch ---------------------------------------------------------------------------------


@dataclass
class _Budget:
    """How many bytes the compressed parts of one upload may unpack to: a zip-bomb guard."""

    limit: int
    used: int = 0

    @property
    def left(self) -> int:
        return self.limit - self.used


def _read_any(
    name: str, file: str, data: bytes, budget: _Budget, allow_zip: bool
) -> list[RawTable]:
    if _is_blank(data):
        raise LoadError(file, "is empty: export it again or pick another file")
    kind = _kind(name, data)
    if kind == "gzip":
        inner = _gunzip(file, data, budget)
        inner_name = name[:-3] if name.lower().endswith(".gz") else name
        return _read_any(inner_name, file, inner, budget, allow_zip)
    if kind == "zip":
        if not allow_zip:
            raise LoadError(file, "is a zip inside a zip: unpack the inner zip and upload it")
        return _read_zip(name, file, data, budget)
    if kind == "parquet":
        return [_read_parquet(name, file, data)]
    if kind == "excel":
        return _read_excel(name, file, data)
    table = _read_text(name, file, data)
    if _suffix(name) in EXCEL_SUFFIXES:
        note = "named like an Excel workbook but it is text: read as CSV"
        table = RawTable(table.name, table.file, table.frame, (note, *table.notes))
    return [table]


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
    # A "workbook" without a workbook's signature is usually a CSV saved under an Excel name.
    return {".parquet": "parquet", ".zip": "zip", ".gz": "gzip"}.get(suffix, "text")


def _zip_is_workbook(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return "xl/workbook.xml" in names or "content.xml" in names and "mimetype" in names


def _too_big(size: int, limit: int) -> str:
    return (
        f"is {_size_text(size)}; the limit is {_size_text(limit)}: "
        "upload it compressed (.csv.gz or .zip) or as parquet"
    )


def _size_text(size: int) -> str:
    if size >= _MB:
        return f"{size / _MB:.0f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


def _short(exc: BaseException) -> str:
    """The first line of an error message, without library prefixes, short enough for one line."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = re.sub(r"^(calamine error|parquet|polars\w*|error):\s*", "", text, flags=re.I)
    return text[:160].rstrip(". ")


def _unpack_error(file: str, budget: _Budget) -> LoadError:
    return LoadError(
        file,
        f"unpacks to more than {_size_text(budget.limit)}, the most this app reads from a "
        "compressed upload: split it into smaller files or convert it to parquet",
    )


# --- compressed containers --------------------------------------------------------------------


def _gunzip(file: str, data: bytes, budget: _Budget) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            inner = stream.read(budget.left + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise LoadError(
            file, f"could not be unpacked as gzip ({_short(exc)}): the file is damaged or cut short"
        ) from None
    if len(inner) > budget.left:
        raise _unpack_error(file, budget)
    budget.used += len(inner)
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


def _read_zip(name: str, file: str, data: bytes, budget: _Budget) -> list[RawTable]:
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
            raise LoadError(
                file,
                f"contains no data files ({content}): put the CSV, Excel or parquet files "
                "in the zip",
            )
        base_counts = Counter(PurePosixPath(i.filename).name for i in members)
        notes = tuple(reason for _, reason in skipped)
        tables: list[RawTable] = []
        failures: list[LoadError] = []
        for info in members:
            base = PurePosixPath(info.filename).name
            member_name = base if base_counts[base] == 1 else info.filename
            member_file = f"{file}/{info.filename}"
            if info.file_size > budget.left:
                raise _unpack_error(file, budget)
            try:
                with archive.open(info) as stream:
                    content = stream.read(budget.left + 1)
            except RuntimeError:
                raise LoadError(
                    file, "is password-protected: upload a zip without a password"
                ) from None
            except NotImplementedError:
                cause = "uses a compression method this app cannot unpack (e.g. Deflate64)"
                failures.append(LoadError(member_file, f"{cause}: zip it again with defaults"))
                continue
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
                failures.append(LoadError(member_file, f"could not be unpacked: {_short(exc)}"))
                continue
            if len(content) > budget.left:
                raise _unpack_error(file, budget)
            budget.used += len(content)
            try:
                read = _read_any(f"{name}/{member_name}", member_file, content, budget, False)
            except LoadError as exc:
                failures.append(exc)
                continue
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


def _read_parquet(name: str, file: str, data: bytes) -> RawTable:
    if not data.startswith(b"PAR1") or not data.endswith(b"PAR1"):
        cause = "it does not start and end with the parquet signature (damaged or not parquet)"
        raise LoadError(file, f"could not be read as parquet: {cause}")
    try:
        frame = pl.read_parquet(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - corrupt files raise many kinds of errors
        raise LoadError(file, f"could not be read as parquet: {_short(exc)}") from None
    frame, notes = _with_clean_names(frame, [])
    if frame.height == 0:
        raise LoadError(file, "has column names but no rows")
    return RawTable(name, file, frame, tuple(notes))


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


def _read_excel(name: str, file: str, data: bytes) -> list[RawTable]:
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
    for sheet, frame in sheets.items():
        if frame.width == 0:
            skipped.append(f"skipped empty sheet '{sheet}'")
            continue
        if frame.height == 0:
            header_only.append(sheet)
            skipped.append(f"skipped sheet '{sheet}': it has column names but no rows")
            continue
        cleaned, notes = _with_clean_names(frame, _excel_header(frame.columns))
        tables.append(RawTable(f"{name}/{sheet}", file, cleaned, tuple(notes)))
    if not tables:
        if header_only:
            raise LoadError(file, "has column names but no rows")
        raise LoadError(
            file, "is empty: every sheet is blank. Export it again or pick another file"
        )
    if skipped:
        first = tables[0]
        tables[0] = RawTable(first.name, first.file, first.frame, tuple(skipped) + first.notes)
    return tables


# --- text -------------------------------------------------------------------------------------


class _NotUtf8(Exception):
    """Polars met invalid UTF-8 after the prefix that looked like UTF-8."""


def _read_text(name: str, file: str, data: bytes) -> RawTable:
    notes: list[str] = []
    data = _utf8(file, data, notes)
    try:
        return _parse_text(name, file, data, notes)
    except _NotUtf8:
        return _parse_text(name, file, _latin1_to_utf8(data), [_LATIN1_NOTE])


def _parse_text(name: str, file: str, data: bytes, notes: list[str]) -> RawTable:
    if _is_blank(data):
        raise LoadError(file, "is empty: export it again or pick another file")
    prefix = data[:SNIFF_BYTES]
    if b"\n" not in prefix and b"\r" in prefix:  # classic Mac line endings
        data = data.replace(b"\r", b"\n")
        prefix = data[:SNIFF_BYTES]
        notes.append("line endings were carriage returns only")
    _refuse_markup(file, prefix)
    truncated = len(data) > len(prefix)
    text = _decode_prefix(prefix, truncated)
    records = _records_by_separator(text, truncated)
    separator = _best_separator(records)
    if separator is None and _whitespace_columns(text) > 1:
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
        lines = rows[0].line
        notes.append(f"skipped {lines} line{'s' if lines > 1 else ''} above the column names")
    first = rows[0].fields if rows else []
    has_header = not _all_numberish(first)
    if separator != ",":
        notes.append(f"separator {_SEPARATOR_NAMES[separator]}")
    if any(len(r.fields) != len(first) for r in rows):
        notes.append(_ragged_note())
    skip_lines = rows[0].line if skip else 0
    frame = _polars_csv(file, data, separator, has_header, skip_lines=skip_lines, notes=notes)
    if has_header:
        header = first if len(first) == frame.width else frame.columns
        frame, name_notes = _with_clean_names(frame, header)
        notes.extend(name_notes)
    else:
        frame = frame.rename({c: f"column_{i + 1}" for i, c in enumerate(frame.columns)})
        notes.append(f"no header row: columns named column_1..column_{frame.width}")
    if frame.height == 0:
        raise LoadError(file, "has column names but no rows")
    return RawTable(name, file, frame, tuple(dict.fromkeys(notes)))


def _utf8(file: str, data: bytes, notes: list[str]) -> bytes:
    """The text as UTF-8 without BOM; the encoding is judged on a prefix, polars checks the rest."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:]
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        notes.append("read as UTF-16")
        return _transcode(file, data, "utf-16")
    _refuse_known_binary(file, data)
    utf16 = _bomless_utf16(data[:1024])
    if utf16:
        notes.append("read as UTF-16")
        return _transcode(file, data, utf16)
    if b"\x00" in data[:1024]:  # text never holds NUL bytes, except as UTF-16 (handled above)
        raise LoadError(
            file, f"is not a table: it looks like a binary file, not text; {_EXPORT_HINT}"
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data[:SNIFF_BYTES], final=False)
    except UnicodeDecodeError:
        notes.append(_LATIN1_NOTE)
        return _latin1_to_utf8(data)
    return data


_LATIN1_NOTE = "read as latin-1 (Windows-1252): the file is not UTF-8"


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
        raise LoadError(
            file, "looks like UTF-16 text but is damaged: export it again as UTF-8 CSV"
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


def _best_separator(records: dict[str, list[_Record]]) -> str | None:
    """The separator whose field counts are most consistent (with more than one field)."""
    best: tuple[float, int] = (0.0, 0)
    chosen: str | None = None
    for separator, rows in records.items():
        counts = [len(r.fields) for r in rows]
        if not counts:
            continue
        mode, hits = Counter(counts).most_common(1)[0]
        score = (hits / len(counts), mode)
        if mode > 1 and score > best:
            best, chosen = score, separator
    return chosen


def _preamble_length(rows: list[_Record]) -> int:
    """Leading title lines ("Sales report", "sep=;") before the real header: how many."""
    if len(rows) < 3:
        return 0
    width = Counter(len(r.fields) for r in rows).most_common(1)[0][0]
    for skip, row in enumerate(rows[: MAX_PREAMBLE + 1]):
        if len(row.fields) == width:
            return skip
        if sum(1 for f in row.fields if f.strip()) > 1:
            return 0  # a short header with several names is a header, not a title
    return 0


def _unused_separator(text: str) -> str:
    """For a one-column file: a separator that does not occur, so values are never split."""
    return next((s for s in SEPARATORS if s not in text), ",")


def _whitespace_columns(text: str) -> int:
    """Columns of a whitespace-aligned file (0 when lines are not consistently split)."""
    lines = [line.split() for line in text.splitlines()[:SNIFF_RECORDS] if line.strip()]
    if len(lines) < 2:
        return 0
    mode, hits = Counter(len(fields) for fields in lines).most_common(1)[0]
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
    file: str, data: bytes, separator: str, has_header: bool, *, skip_lines: int, notes: list[str]
) -> pl.DataFrame:
    options = {
        "separator": separator,
        "has_header": has_header,
        "skip_lines": skip_lines,
        "infer_schema": False,
        "null_values": list(NULL_TOKENS),
        "quote_char": '"',
        "raise_if_empty": False,
    }
    try:
        return _polars_read(file, data, **options)
    except _Ragged:
        notes.append(_ragged_note())
    return _polars_read(file, data, truncate_ragged_lines=True, **options)


class _Ragged(Exception):
    """A row has more fields than the header."""


def _polars_read(file: str, data: bytes, **options: object) -> pl.DataFrame:
    try:
        return pl.read_csv(data, **options)  # type: ignore[arg-type]
    except pl.exceptions.ComputeError as exc:
        message = str(exc)
        if "utf-8" in message.lower() or "utf8" in message.lower():
            raise _NotUtf8 from None
        if "more fields" in message:
            raise _Ragged from None
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
        raise LoadError(file, "has column names but no rows")
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
