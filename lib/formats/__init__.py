"""Recognise known export formats among raw tables and assemble one canonical Dataset."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

import polars as pl

from lib import measures
from lib.fmt import counted
from lib.formats import (
    amazon,
    generic,
    olist,
    paypal,
    retail,
    shopify,
    stripe,
    webshop,
    woocommerce,
)
from lib.formats.base import FormatResult, Kind
from lib.io import RawTable, nested_columns_message
from lib.model import Dataset, Note

CURRENCY = re.compile(r"[A-Z]{3}")  # ISO 4217: a data set's currency is three letters or none
MODULES = {
    m.FORMAT: m for m in (olist, webshop, retail, shopify, woocommerce, stripe, amazon, paypal)
}
FORMAT_LABELS = {
    "olist": "Olist marketplace",
    "webshop": "Web shop",
    "retail": "Online Retail",
    "shopify": "Shopify",
    "woocommerce": "WooCommerce",
    "stripe": "Stripe",
    "amazon": "Amazon Seller Central",
    "paypal": "PayPal",
    "generic": "Mapped transactions",
}
# How a format's ids become one row per person, where they need resolving (RFM's caption).
PERSON_RESOLVED = {
    "olist": "Olist's per-order customer ids resolved to the person",
    "webshop": "merged accounts resolved to one person",
}
# Formats whose build takes `needs`: it then builds lines and these tables only (see assemble).
NEEDS_AWARE = frozenset({retail.FORMAT})
KINDS: tuple[Kind, ...] = (
    olist.KINDS
    + webshop.KINDS
    + retail.KINDS
    + shopify.KINDS
    + woocommerce.KINDS
    + stripe.KINDS
    + amazon.KINDS
    + paypal.KINDS
)
_OLIST_LABELS = {k.kind: k.label.removeprefix("Olist ") for k in olist.KINDS}


@dataclass(frozen=True)
class Recognition:
    """What one raw table was recognised as (kind None: unknown, needs a column mapping)."""

    name: str
    file: str
    rows: int
    columns: int
    kind: Kind | None
    same_as: str = ""  # the table whose rows this one repeats: left out of the assembly

    def describe(self) -> str:
        """What the table was recognised as, in words (the corpus probe's record of the Data
        page): 'orders.csv → Olist orders, 3 rows'."""
        rows = counted(self.rows, "row")
        if self.same_as:
            return f"{self.name} → the same rows as {self.same_as}: read once ({rows})"
        if self.kind is None:
            return f"{self.name} → not a known export ({rows}, {counted(self.columns, 'column')})"
        return f"{self.name} → {self.kind.label}, {rows}"


def recognise(table: RawTable) -> Recognition:
    """The most specific known table kind whose signature columns `table` has."""
    matches = [k for k in KINDS if k.matches(table.frame.columns)]
    kind = max(matches, key=lambda k: len(k.signature)) if matches else None
    return Recognition(table.name, table.file, table.frame.height, table.frame.width, kind)


def misnamed(rec: Recognition) -> str:
    """For a table named as one Olist file whose columns are another's (the reviews saved as
    olist_orders_dataset.csv): what it holds and what to upload instead; else empty."""
    stem = PurePosixPath(rec.name).name.lower().split(".")[0]
    stem = re.sub(r"\s*\(\d+\)$", "", stem)  # a browser's second download: 'name (1).csv'
    named = next((k for k, f in olist.FILES.items() if f.removesuffix(".csv") == stem), None)
    if named is None or rec.kind is None or rec.kind.format != olist.FORMAT:
        return ""
    held = rec.kind.kind
    if held == named:
        return ""
    wanted = _OLIST_LABELS[named]
    return (
        f"{rec.name} holds Olist's {_OLIST_LABELS[held]} (its columns are those of "
        f"{olist.FILES[held]}), not the {wanted}: upload the {wanted} export "
        f"({olist.FILES[named]} from the Olist download) in its place"
    )


def copies(tables: Sequence[RawTable], mappings: Collection[str] = ()) -> dict[str, str]:
    """Tables holding exactly the rows of another (the same export uploaded twice, as 'orders.csv'
    and 'orders (1).csv'): name -> the name of the table kept. Of identical tables the first
    `mappings` names is kept, else the first. Only the same columns, types and rows in the same
    order make a copy: exports that share some rows are both read."""
    kept: list[RawTable] = []
    found: dict[str, str] = {}
    for table in sorted(tables, key=lambda t: t.name not in mappings):  # stable: mapped first
        frame = table.frame
        if not frame.height:  # no rows to count twice
            continue
        same = next(
            (
                k.name
                for k in kept
                # Shape and schema first: the rows are compared only where they could be equal.
                if k.frame.shape == frame.shape
                and k.frame.schema == frame.schema
                and k.frame.equals(frame)
            ),
            None,
        )
        if same is None:
            kept.append(table)
        else:
            found[table.name] = same
    return found


@dataclass(frozen=True)
class Assembly:
    """The Dataset built from raw tables, what each table was recognised as, and messages."""

    dataset: Dataset
    recognitions: tuple[Recognition, ...]
    messages: tuple[str, ...]

    def unmapped(self, mapped: Mapping[str, object]) -> list[Recognition]:
        """Unknown tables without a mapping, copies of another table aside (read once)."""
        return [
            r
            for r in self.recognitions
            if r.kind is None and r.name not in mapped and not r.same_as
        ]


def _stack(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """Tables of one kind from several files (e.g. two yearly sheets) stacked into one."""
    if len(frames) == 1:
        return frames[0]
    return pl.concat([f.cast(pl.String) for f in frames], how="diagonal_relaxed")


def assemble(
    tables: Sequence[RawTable],
    mappings: Mapping[str, generic.ColumnMapping] | None = None,
    name: str = "My files",
    key: str = "",
    needs: Collection[str] | None = None,
) -> Assembly:
    """One Dataset from every recognised table plus every unknown table with a confirmed mapping.

    Each canonical table comes from one format; when two formats both supply it, the first wins and
    a message says which was ignored. A table that repeats another's rows exactly (copies) is left
    out, and so is its mapping, with a message. Mapped tables stack into one (generic.stacked). A
    message names an Olist file whose columns are another Olist file's (misnamed). A format
    that fails to build is reported, never raised. `needs` (None: all) names the tables the
    caller reads: formats in NEEDS_AWARE then build lines and these only (a headless command that
    reads only lines); the app builds every table.
    """
    mappings = mappings or {}
    copied = copies(tables, mappings)
    recognitions = tuple(replace(recognise(t), same_as=copied.get(t.name, "")) for t in tables)
    messages = [
        f"{r.name} holds the same rows as {r.same_as}: read once" for r in recognitions if r.same_as
    ]
    messages += [m for r in recognitions if (m := misnamed(r))]  # a copy's too: its name misleads
    tables = [t for t in tables if t.name not in copied]
    grouped: dict[str, dict[str, list[RawTable]]] = {}
    for table, rec in zip(tables, (r for r in recognitions if not r.same_as), strict=True):
        if rec.kind is not None:
            grouped.setdefault(rec.kind.format, {}).setdefault(rec.kind.kind, []).append(table)

    results: list[tuple[str, FormatResult]] = []
    for fmt, kinds in grouped.items():
        # A column of lists or records (parquet can nest) breaks stacking and building with an
        # error that names no column: name it and what to do instead.
        nested = [
            f"{t.name}: {message}"
            for ts in kinds.values()
            for t in ts
            if (message := nested_columns_message(t.frame.schema))
        ]
        if nested:
            messages += nested
            continue
        found = {kind: _stack([t.frame for t in ts]) for kind, ts in kinds.items()}
        files = {kind: ", ".join(t.name for t in ts) for kind, ts in kinds.items()}
        try:
            parts = {kind: [(t.name, t.frame.height) for t in ts] for kind, ts in kinds.items()}
            options = {"needs": needs} if needs is not None and fmt in NEEDS_AWARE else {}
            results.append((fmt, MODULES[fmt].build(found, files, parts, **options)))
        except Exception as exc:  # noqa: BLE001 - a broken upload must not break the app
            messages.append(
                f"{', '.join(files.values())}: could not be read as {FORMAT_LABELS[fmt]} "
                f"({exc}); check that the file is a complete, unedited export"
            )
    mapped = [
        generic.apply_mapping(t.frame, mappings[t.name], t.name)
        for t in tables
        if t.name in mappings
    ]
    if mapped:
        # Mapped files (two monthly exports, say) stack into one set of lines.
        stacked, left_out = generic.stacked(mapped)
        results.append(("generic", stacked))
        messages += left_out

    merged: dict[str, pl.DataFrame] = {}
    origin: dict[str, str] = {}
    extras: dict[str, pl.DataFrame] = {}
    notes: list[Note] = []
    currencies: dict[str, str] = {}  # format -> its currency
    formats: list[str] = []
    for fmt, result in results:
        formats.append(fmt)
        notes.extend(result.notes)
        extras.update(result.extras)
        if result.currency and CURRENCY.fullmatch(result.currency):
            currencies[fmt] = result.currency
        elif result.currency:
            # Written into every page, chart and report as it stands: only a code may be.
            messages.append(
                f"{FORMAT_LABELS[fmt]}: the currency '{result.currency[:12]}' is no ISO 4217 "
                "code (three letters, such as EUR or USD): amounts are shown without a currency."
            )
        for table_name, frame in result.tables.items():
            if table_name in merged and (frame.height == 0 or merged[table_name].height):
                messages.append(
                    f"{FORMAT_LABELS[fmt]} also has a {table_name} table; kept the one from "
                    f"{FORMAT_LABELS[origin[table_name]]}. Load one data set at a time to compare."
                )
                continue
            if table_name in merged:  # a table none of whose rows could be read gives way
                messages.append(
                    f"{FORMAT_LABELS[origin[table_name]]} also has a {table_name} table, but "
                    f"none of its rows could be read; kept the one from {FORMAT_LABELS[fmt]}."
                )
            merged[table_name] = frame
            origin[table_name] = fmt
    if origin.get("lines") != "generic":
        # Its ids name lines that were not kept, and so do the lines its statuses set apart.
        extras.pop(generic.MADE_UP, None)
        extras.pop(measures.UNSOLD_LINES, None)
    dataset = measures.split_unsold(
        Dataset(
            name=name,
            key=key,
            source_format="+".join(dict.fromkeys(formats)) or "none",
            # The currency of the lines kept (none stated: none), else the first format's.
            currency=currencies.get(origin["lines"], "")
            if "lines" in origin
            else next(iter(currencies.values()), ""),
            tables=merged,
            extras=extras,
            notes=tuple(notes),
        )
    )
    return Assembly(dataset, recognitions, tuple(messages))


def assemble_demo(kind: str, rows: int | None = None, seed: int = 1, name: str = "") -> Assembly:
    """A built-in demo read through the same format readers as an upload."""
    from lib import demo  # the demos' generators load slowly, and uploads need none

    generated = demo.demo(kind, rows=rows, seed=seed)
    tables = [RawTable(n, n, frame) for n, frame in generated.files.items()]
    return assemble(tables, name=name or kind, key=f"demo:{kind}:{rows}:{seed}")
