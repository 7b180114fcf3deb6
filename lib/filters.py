"""The filters every sales view shares: date range, categories, regions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time

import polars as pl

from lib import measures


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
    categories: Sequence[str | None] = (),
    regions: Sequence[str | None] = (),
) -> pl.DataFrame:
    """Lines ordered from `start` to `end` (both days included), in the given categories and
    regions (empty: all; in_scope). Same columns as the input."""
    conditions = []
    if start is not None:
        conditions.append(since(start))
    if end is not None:
        conditions.append(until(end))
    conditions += in_scope(lines.columns, categories, regions)
    return lines.filter(*conditions) if conditions else lines


def in_scope(
    columns: Sequence[str],
    categories: Sequence[str | None] = (),
    regions: Sequence[str | None] = (),
) -> list[pl.Expr]:
    """Conditions for rows (lines, or an item cube) whose category and region are among the
    values given (empty: all), as written in the data, None for a missing one: `named_as`
    turns the names the pages show into them."""
    return [
        pl.col(column).is_in(pl.Series(list(values), dtype=pl.String).implode(), nulls_equal=True)
        for column, values in (("category", categories), ("region", regions))
        if values and column in columns
    ]


def _named(values: pl.Series) -> pl.Expr:
    """The rule that names a category or region column's values (the Series' name says which)."""
    return (measures.category if values.name == "category" else measures.region)()


def named_values(values: pl.Series) -> list[str]:
    """The names the pages show for a category or region column's values (measures.category,
    measures.region), each once."""
    return values.to_frame().select(_named(values).unique())[values.name].to_list()


def named_as(values: pl.Series, names: Sequence[str]) -> list[str | None]:
    """The values of a category or region column (`values`: its distinct values, None
    included; the Series' name says which) that the pages show as one of `names`: a line without
    one is in measures.UNCATEGORISED or measures.NO_REGION, and each name asked is read by the
    same rule ('Unspecified' asked is no region too). The names themselves come too: one that
    no value stands for then matches no line, and a filter on it leaves none (an empty list
    would filter nothing out)."""
    asked = pl.DataFrame({values.name: list(names)}, schema={values.name: pl.String})
    wanted = asked.select(_named(values))[values.name].implode()
    kept = values.to_frame().filter(_named(values).is_in(wanted))[values.name].to_list()
    return list(dict.fromkeys([*kept, *names]))


def values_named(lines: pl.DataFrame, column: str, names: Sequence[str]) -> list[str | None]:
    """named_as of `names` over the values of `column` in `lines` (a headless run's filters)."""
    if not names or column not in lines.columns:
        return list(names)
    return named_as(lines[column].unique(), names)


def scope_named(
    lines: pl.DataFrame, categories: Sequence[str], regions: Sequence[str]
) -> dict[str, list[str | None]]:
    """filter_lines' categories and regions for the names asked (values_named of each): a
    headless run's and the report's Sales scope, as the page filters it."""
    return {
        "categories": values_named(lines, "category", categories),
        "regions": values_named(lines, "region", regions),
    }
