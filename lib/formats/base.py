"""What every format reader shares: table signatures, typed conversion with notes, results."""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, TypeVar

import polars as pl

from lib import fmt, parse
from lib.model import Note


def normalise(name: str) -> str:
    """Column name as lowercase letters and digits, accents dropped: 'Customer ID' matches
    'customerid', and 'Währung' matches itself however its 'ä' is encoded (one character, or 'a'
    and a combining mark as some Macs save it)."""
    return re.sub(r"[^0-9a-z]", "", unicodedata.normalize("NFKD", name).lower())


def written(columns: Sequence[str], name: str) -> str:
    """The column of `columns` that is `name` (a known export's own), exactly or as the one column
    that differs from it only in case, spaces or punctuation ('name' or 'NAME' for Shopify's
    'Name': a header retyped or lower-cased in a spreadsheet); `name` when there is none."""
    if name in columns:
        return name
    alike = [c for c in columns if normalise(c) == normalise(name)]
    return alike[0] if len(alike) == 1 else name


@dataclass(frozen=True)
class Kind:
    """One table of a known export, recognised when its columns include `signature`."""

    format: str
    kind: str
    label: str
    signature: tuple[str, ...]
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def matches(self, columns: list[str]) -> bool:
        present = {normalise(c) for c in columns}
        return all(
            any(normalise(a) in present for a in (col, *self.aliases.get(col, ())))
            for col in self.signature
        )

    def missing(self, columns: Sequence[str]) -> list[str]:
        """The signature columns (by any alias) that `columns` lacks."""
        present = {normalise(c) for c in columns}
        return [
            col
            for col in self.signature
            if not any(normalise(a) in present for a in (col, *self.aliases.get(col, ())))
        ]

    def rename(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Frame with alias columns renamed to the signature names (e.g. 'Price' -> 'UnitPrice')."""
        by_norm = {normalise(c): c for c in frame.columns}
        renames = {}
        for col, alias in self.aliases.items():
            for name in (col, *alias):
                if normalise(name) in by_norm:
                    renames[by_norm[normalise(name)]] = col
                    break
        for col in self.signature:
            if normalise(col) in by_norm and by_norm[normalise(col)] != col:
                renames.setdefault(by_norm[normalise(col)], col)
        return frame.rename({k: v for k, v in renames.items() if k != v})


def near_miss(name: str, columns: Sequence[str], kinds: Sequence[Kind]) -> str:
    """For a table no kind matched: which known export it resembles and the columns it lacks.

    It resembles a kind when its file is named after it (olist_orders_dataset.csv) and has some
    of its columns, or when it has all of them but one. Empty when it resembles none.
    """
    file = normalise(PurePosixPath(name).name)
    best: tuple[int, Kind, list[str]] | None = None
    for kind in kinds:
        missing = kind.missing(columns)
        have = len(kind.signature) - len(missing)
        named = normalise(kind.format) in file and normalise(kind.kind) in file
        if missing and (named and have or have >= max(3, len(kind.signature) - 1)):
            score = have + 10 * named
            if best is None or score > best[0]:
                best = (score, kind, missing)
    if best is None:
        return ""
    _, kind, missing = best
    names = ", ".join(missing)
    return (
        f"{name} looks like {kind.label} but lacks the {fmt.plural(len(missing), 'column')} "
        f"{names}: upload the export "
        "with its original column names, or map its columns as order lines"
    )


@dataclass(frozen=True)
class FormatResult:
    """Canonical tables a format built, plus side tables for quality rules and loader notes."""

    tables: dict[str, pl.DataFrame]
    extras: dict[str, pl.DataFrame] = field(default_factory=dict)
    notes: tuple[Note, ...] = ()
    currency: str = ""


ID, TEXT, DATE, NUMBER = "id", "text", "date", "number"
# Every note about rows removed from a table says this, so that pages can show them apart.
LEFT_OUT = "were left out"
# As every note about a column none of whose values could be read (in one file) says.
NO_VALUE_LEFT = "so the column has no value left"
# Half a cent: money amounts closer than this are equal (a refund against a total, sums of
# lines against a header, float dust of a split).
CENT = 0.005
_WHAT = {DATE: "dates", NUMBER: "numbers"}


def dropped(notes: Sequence[Note]) -> list[Note]:
    """The notes about rows a format or mapping left out (each with its count and rows)."""
    return [n for n in notes if LEFT_OUT in n.message and n.count]


def emptied(notes: Sequence[Note]) -> list[Note]:
    """The notes about columns left without a value, none of them readable (NO_VALUE_LEFT)."""
    return [n for n in notes if NO_VALUE_LEFT in n.message and n.count]


def _parse(series: pl.Series, kind: str) -> parse.Parsed:
    return parse.to_datetime(series) if kind == DATE else parse.to_float(series)


# Polars reads one string column on one core: from this many rows, columns are read side by side.
PARALLEL_ROWS = 100_000
R = TypeVar("R")


def side_by_side(read: Callable[[Any], R], jobs: Sequence[Any], rows: int) -> list[R]:
    """`read` of each job, in order; several at a time when the columns have `rows` or more."""
    if rows < PARALLEL_ROWS or len(jobs) < 2:
        return [read(job) for job in jobs]
    with ThreadPoolExecutor(max_workers=min(len(jobs), os.cpu_count() or 2)) as pool:
        return list(pool.map(read, jobs))


def _concat(parts: list[parse.Parsed], name: str) -> parse.Parsed:
    """One Parsed of several files' parts, read each on its own (failures summed)."""
    if len(parts) == 1:
        return parts[0]
    return parse.Parsed(
        pl.concat([p.values for p in parts]).alias(name),
        sum(p.failures for p in parts),
        tuple(e for p in parts for e in p.examples)[:3],
        "; ".join(dict.fromkeys(p.detail for p in parts if p.detail)),
        sum(p.invalid for p in parts),
        tuple(e for p in parts for e in p.invalid_examples)[:3],
    )


class Converter:
    """Converts raw columns to typed ones, with a Note for each column with unreadable values.

    `parts` ((file name, rows), ...) says which files a stacked frame's rows come from: each
    file's dates and numbers are then read on their own (their formats may differ) and notes
    name the file they are about. Without it, notes name `file` (all the files, joined).
    """

    def __init__(self, file: str, parts: Sequence[tuple[str, int]] = ()) -> None:
        self.file = file
        self.parts = tuple(parts)
        self.notes: list[Note] = []
        self._sources: dict[str, str] = {}  # canonical column -> raw column
        self._problems: dict[tuple[str, str], str] = {}  # (file, raw column) -> what was wrong

    def _slices(self, height: int) -> list[tuple[str, int, int]]:
        """(file, offset, rows) of each part, or the whole frame as one part."""
        if len(self.parts) < 2 or sum(rows for _, rows in self.parts) != height:
            return [(self.file, 0, height)]
        out, offset = [], 0
        for file, rows in self.parts:
            out.append((file, offset, rows))
            offset += rows
        return out

    def _read(
        self, frame: pl.DataFrame, source: str, kind: str
    ) -> list[tuple[str, int, parse.Parsed]]:
        """(file, rows, values) of raw column `source` read as `kind` (ID, TEXT, DATE or NUMBER):
        per file for dates and numbers, whole for ids and text; none when the column is absent.
        Changes nothing on the converter, so that several columns can be read at once."""
        source = written(frame.columns, source)
        if source not in frame.columns:
            return []
        if kind in (ID, TEXT):
            values = parse.to_id(frame[source]) if kind == ID else parse.to_text(frame[source])
            return [(self.file, frame.height, parse.Parsed(values, 0, ()))]
        return [
            (file, rows, _parse(frame[source].slice(offset, rows), kind))
            for file, offset, rows in self._slices(frame.height)
        ]

    def _column(
        self, height: int, source: str, kind: str, read: list[tuple[str, int, parse.Parsed]]
    ) -> pl.Series:
        """The column `_read` gave, all null when it is absent, with a Note for each file with
        unreadable values."""
        if not read:
            dtype = {DATE: pl.Datetime("us"), NUMBER: pl.Float64}.get(kind, pl.String)
            for file, _, _ in self._slices(height):
                self._problems[file, source] = f"the file has no column '{source}'"
            return pl.Series(source, [None] * height, dtype=dtype)
        for file, rows, result in read:
            notes = (parse.ambiguity, parse.offsets, parse.undecided_mark)
            for said in (note(result.detail) for note in notes):
                if said:
                    self.notes.append(Note(file, source, said))
            if result.failures:
                problem = result.problem(_WHAT[kind])
                self._problems[file, source] = problem
                # None read: what needs the column cannot be shown, said apart (emptied).
                empty = f", {NO_VALUE_LEFT}" if result.values.null_count() == rows else ""
                self.notes.append(
                    Note(
                        file,
                        source,
                        f"{problem}: they were left empty{empty}. Fix them in the source file "
                        "and upload it again",
                        count=result.failures,
                        rows=rows,
                    )
                )
        return _concat([result for _, _, result in read], source).values

    def select(self, frame: pl.DataFrame, **columns: tuple[str, str]) -> pl.DataFrame:
        """Canonical columns from raw ones, given as name=(kind, source column).

        Big frames' columns are read side by side; their notes follow the columns' order.
        """
        self._sources.update({name: source for name, (_, source) in columns.items()})
        specs = list(columns.values())
        read = side_by_side(lambda spec: self._read(frame, spec[1], spec[0]), specs, frame.height)
        return pl.DataFrame(
            [
                self._column(frame.height, source, kind, got).alias(name)
                for (name, (kind, source)), got in zip(columns.items(), read, strict=True)
            ]
        )

    def drop_missing(self, frame: pl.DataFrame, column: str, why: str) -> pl.DataFrame:
        """Rows with `column` null removed, with a note per file saying how many and why.

        When every row of a file goes, the note says so and what was wrong with the column. The
        files' row counts follow, so that a second drop names the right files.
        """
        missing = frame[column].is_null()
        if not missing.any():
            return frame
        source = self._sources.get(column, column)
        slices = self._slices(frame.height)
        if len(slices) > 1:
            self.parts = tuple(
                (file, rows - int(missing.slice(offset, rows).sum()))
                for file, offset, rows in slices
            )
        for file, offset, rows in slices:
            count = int(missing.slice(offset, rows).sum())
            if not count:
                continue
            problem = self._problems.get((file, source), "")
            if count == rows:
                reason = problem or "it is empty in every row"
                message = (
                    f"all {rows:,} rows {LEFT_OUT}: '{source}' has no usable value ({reason}). "
                    f"{why[0].upper()}{why[1:]}: fix the column and upload the file again"
                )
            else:
                because = f" ({problem})" if problem else ""
                message = f"{count:,} of {rows:,} rows without {column} {LEFT_OUT}{because}: {why}"
            self.notes.append(Note(file, source, message, count=count, rows=rows))
        return frame.filter(~missing)


class Converters:
    """One Converter per source table kind, so that every note names the file it comes from."""

    def __init__(
        self, files: Mapping[str, str], parts: Mapping[str, Sequence[tuple[str, int]]] | None = None
    ) -> None:
        self.files = files
        self.parts = parts or {}
        self.made: list[Converter] = []

    def __call__(self, kind: str) -> Converter:
        conv = Converter(self.files.get(kind, kind), self.parts.get(kind, ()))
        self.made.append(conv)
        return conv

    def notes(self) -> list[Note]:
        return [note for conv in self.made for note in conv.notes]
