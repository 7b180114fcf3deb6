"""What every format reader shares: table signatures, typed conversion with notes, results."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from lib import parse
from lib.model import Note


def normalise(name: str) -> str:
    """Column name as lowercase letters and digits: 'Customer ID' matches 'customerid'."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


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


@dataclass(frozen=True)
class FormatResult:
    """Canonical tables a format built, plus side tables for quality rules and loader notes."""

    tables: dict[str, pl.DataFrame]
    extras: dict[str, pl.DataFrame] = field(default_factory=dict)
    notes: tuple[Note, ...] = ()
    currency: str = ""


ID, TEXT, DATE, NUMBER = "id", "text", "date", "number"


class Converter:
    """Converts raw columns to typed ones, with a Note for each column with unreadable values."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.notes: list[Note] = []

    def column(self, frame: pl.DataFrame, source: str, kind: str) -> pl.Series:
        """Raw column `source` as `kind` (ID, TEXT, DATE or NUMBER); all null when it is absent."""
        if source not in frame.columns:
            dtype = {DATE: pl.Datetime("us"), NUMBER: pl.Float64}.get(kind, pl.String)
            return pl.Series(source, [None] * frame.height, dtype=dtype)
        if kind == ID:
            return parse.to_id(frame[source])
        if kind == TEXT:
            return parse.to_text(frame[source])
        result = parse.to_datetime(frame[source]) if kind == DATE else parse.to_float(frame[source])
        if result.failures:
            examples = ", ".join(f"'{e}'" for e in result.examples)
            what = "dates" if kind == DATE else "numbers"
            self.notes.append(
                Note(
                    self.file,
                    source,
                    f"{result.failures:,} value(s) could not be read as {what} (e.g. {examples}) "
                    "and were left empty: fix them in the source file and upload it again",
                    count=result.failures,
                    rows=frame.height,
                )
            )
        return result.values

    def select(self, frame: pl.DataFrame, **columns: tuple[str, str]) -> pl.DataFrame:
        """Canonical columns from raw ones, given as name=(kind, source column)."""
        return pl.DataFrame(
            [
                self.column(frame, source, kind).alias(name)
                for name, (kind, source) in columns.items()
            ]
        )

    def drop_missing(self, frame: pl.DataFrame, column: str, why: str) -> pl.DataFrame:
        """Rows with `column` null removed, with a note saying how many and why it matters."""
        missing = frame[column].null_count()
        if missing:
            self.notes.append(
                Note(
                    self.file,
                    column,
                    f"{missing:,} row(s) without {column} were left out: {why}",
                    count=missing,
                    rows=frame.height,
                )
            )
            return frame.filter(pl.col(column).is_not_null())
        return frame


class Converters:
    """One Converter per source table kind, so that every note names the file it comes from."""

    def __init__(self, files: Mapping[str, str]) -> None:
        self.files = files
        self.made: list[Converter] = []

    def __call__(self, kind: str) -> Converter:
        conv = Converter(self.files.get(kind, kind))
        self.made.append(conv)
        return conv

    def notes(self) -> list[Note]:
        return [note for conv in self.made for note in conv.notes]
