"""The canonical data model every format fills and every analysis reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl

from lib import fmt

DATETIME = pl.Datetime("us")


@dataclass(frozen=True)
class TableSpec:
    """Column names and dtypes of one canonical table; `required` must be present and non-null."""

    name: str
    grain: str
    columns: Mapping[str, pl.DataType]
    required: tuple[str, ...]


def _spec(name: str, grain: str, required: tuple[str, ...], **columns: pl.DataType) -> TableSpec:
    return TableSpec(name, grain, columns, required)


S, F, I, B, T = pl.String(), pl.Float64(), pl.Int64(), pl.Boolean(), DATETIME

SPECS: dict[str, TableSpec] = {
    s.name: s
    for s in (
        _spec(
            "lines",
            "order line",
            ("order_id", "customer_id", "ordered_at", "revenue"),
            order_id=S,
            line_no=I,
            customer_id=S,
            ordered_at=T,
            revenue=F,
            item_id=S,
            item_name=S,
            category=S,
            quantity=F,
            unit_price=F,
            seller_id=S,
            region=S,
            is_return=B,
        ),
        _spec(
            "orders",
            "order",
            ("order_id", "customer_id", "ordered_at"),
            order_id=S,
            customer_id=S,
            ordered_at=T,
            status=S,
            revenue=F,
            freight=F,
            paid_at=T,
            approved_at=T,
            shipped_at=T,
            delivered_at=T,
            estimated_delivery_at=T,
            review_score=F,
        ),
        _spec(
            "customers",
            "person (a customer once they buy)",
            ("customer_id",),
            customer_id=S,
            region=S,
            city=S,
            zip=S,
            lat=F,
            lon=F,
            created_at=T,
            deleted_at=T,
        ),
        _spec(
            "sellers", "seller", ("seller_id",), seller_id=S, region=S, city=S, zip=S, lat=F, lon=F
        ),
        _spec(
            "items",
            "catalogue item",
            ("item_id",),
            item_id=S,
            item_name=S,
            category=S,
            price=F,
            created_at=T,
        ),
        _spec(
            "events",
            "web event",
            ("event_id", "user_id", "event_at", "event_name"),
            event_id=S,
            user_id=S,
            event_at=T,
            event_name=S,
            platform=S,
            item_id=S,
            params=S,
        ),
        _spec(
            "leads",
            "marketing-qualified lead",
            ("lead_id", "first_contact_at"),
            lead_id=S,
            first_contact_at=T,
            origin=S,
            landing_page=S,
        ),
        _spec(
            "deals",
            "closed deal",
            ("lead_id", "won_at"),
            lead_id=S,
            won_at=T,
            seller_id=S,
            sdr_id=S,
            sr_id=S,
            business_segment=S,
            lead_type=S,
            behaviour_profile=S,
            business_type=S,
            declared_monthly_revenue=F,
        ),
    )
}
TABLE_NAMES: tuple[str, ...] = tuple(SPECS)


def grain(table: str) -> str:
    """What one row of `table` is, in words ('order line'); a table the model does not know is
    named as it is."""
    return SPECS[table].grain if table in SPECS else table


@dataclass(frozen=True)
class Note:
    """Something the loader had to fix or drop, shown in the anomaly report."""

    file: str
    column: str
    message: str
    count: int = 0
    rows: int = 0


@dataclass(frozen=True)
class Dataset:
    """Optional canonical tables plus what the loader learned.

    `extras` holds format-specific side tables that only quality rules read (e.g. Olist payments as
    order_id, payment_value; web-shop event parameter names as parameter_name, events).
    """

    name: str
    source_format: str
    currency: str = ""
    key: str = ""  # identifies this data set's content for caches (unique per load)
    tables: Mapping[str, pl.DataFrame] = field(default_factory=dict)
    extras: Mapping[str, pl.DataFrame] = field(default_factory=dict)
    notes: tuple[Note, ...] = ()

    def has(self, table: str, *columns: str) -> bool:
        """True when `table` is loaded and non-empty and each column has a value."""
        frame = self.tables.get(table)
        if frame is None or frame.height == 0:
            return False
        return all(c in frame.columns and frame[c].null_count() < frame.height for c in columns)

    def table(self, name: str) -> pl.DataFrame:
        """The table, or KeyError naming what is missing."""
        if name not in self.tables:
            raise KeyError(f"the data set has no {name} table")
        return self.tables[name]

    def row_counts(self) -> dict[str, int]:
        return {name: frame.height for name, frame in self.tables.items()}

    def date_range(self) -> tuple[object, object] | None:
        """Earliest and latest order (or event, or lead) timestamp, or None. Leads run to the
        last deal won, when that is later (Olist's deals run six months past the last lead)."""
        for table, column in (
            ("lines", "ordered_at"),
            ("orders", "ordered_at"),
            ("events", "event_at"),
            ("leads", "first_contact_at"),
        ):
            if self.has(table, column):
                col = self.tables[table][column]
                ends = [col.max()]
                if table == "leads" and self.has("deals", "won_at"):
                    ends.append(self.tables["deals"]["won_at"].max())
                return col.min(), max((t for t in ends if t is not None), default=None)
        return None

    def with_tables(self, **tables: pl.DataFrame) -> Dataset:
        return replace(self, tables={**self.tables, **tables})


def conform(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Select and cast the canonical columns of `name` that `frame` has, in canonical order.

    Raises ValueError naming the missing required columns.
    """
    spec = SPECS[name]
    missing = [c for c in spec.required if c not in frame.columns]
    if missing:
        columns = fmt.plural(len(missing), "column")
        raise ValueError(f"{name} needs the {columns} {', '.join(missing)}")
    return frame.select(
        pl.col(c).cast(dtype) for c, dtype in spec.columns.items() if c in frame.columns
    )


def columns_of(frame: pl.DataFrame, *names: str) -> pl.DataFrame:
    """The columns of `frame` among `names`, in that order, without copying any.

    Analyses narrow a million lines to the columns they use before they filter, so that the
    filtered copies leave out item names and other wide text they never read.
    """
    return frame.select(c for c in names if c in frame.columns)


def first_occurrences(frame: pl.DataFrame) -> pl.Series:
    """True for each row's first occurrence, False for an exact repeat of an earlier row.

    The same as `pl.struct(pl.all()).is_first_distinct()` at a fraction of its memory (that one
    encodes every whole row at once): rows are hashed, and whole rows are compared only among
    the rows whose hash occurs more than once, so a hash collision never merges two rows. The
    repeated hashes are found by sorting the hashes alone (no index: polars sorts values on
    every core), then looked up; a hash table over every row would take more memory.
    """
    first = np.ones(frame.height, dtype=bool)
    if frame.height > 1:
        hashes = frame.hash_rows()
        ordered = hashes.sort()
        later = ordered.slice(1)
        repeats = later.filter(later == ordered.slice(0, frame.height - 1))
        rows = hashes.is_in(repeats.implode()).arg_true()
        if rows.len():
            first[rows.to_numpy()] = (
                frame[rows].select(pl.struct(pl.all()).is_first_distinct()).to_series().to_numpy()
            )
    return pl.Series("first", first)


def empty_dataset(name: str = "No data") -> Dataset:
    return Dataset(name=name, source_format="none")
