"""The filters every sales view shares: date range, categories, regions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time

import polars as pl


def since(start: date, column: str = "ordered_at") -> pl.Expr:
    """Times in `column` on or after the day `start` (null where the time is)."""
    return pl.col(column) >= datetime.combine(start, time.min)


def until(end: date, column: str = "ordered_at") -> pl.Expr:
    """Times in `column` on or before the day `end` (null where the time is)."""
    return pl.col(column) <= datetime.combine(end, time.max)


def before(day: date, column: str = "ordered_at") -> pl.Expr:
    """Times in `column` before the day `day` (its midnight; null where the time is)."""
    return pl.col(column) < datetime.combine(day, time.min)


def in_days(start: date, end: date) -> pl.Expr:
    """Rows (lines or orders) placed on the days `start`..`end`, both included, compared as
    times: no date is computed for each row."""
    return since(start) & until(end)


def filter_lines(
    lines: pl.DataFrame,
    start: date | None = None,
    end: date | None = None,
    categories: Sequence[str] = (),
    regions: Sequence[str] = (),
) -> pl.DataFrame:
    """Lines ordered from `start` to `end` (both days included), in the given categories and
    regions (empty: all). Same columns as the input."""
    conditions = []
    if start is not None:
        conditions.append(since(start))
    if end is not None:
        conditions.append(until(end))
    if categories and "category" in lines.columns:
        conditions.append(pl.col("category").is_in(list(categories)))
    if regions and "region" in lines.columns:
        conditions.append(pl.col("region").is_in(list(regions)))
    return lines.filter(*conditions) if conditions else lines
