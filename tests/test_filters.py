"""Shared sales filters."""

from datetime import date, datetime

import polars as pl

from lib.filters import filter_lines

LINES = pl.DataFrame(
    {
        "ordered_at": [
            datetime(2024, 1, 1, 0, 0),
            datetime(2024, 1, 31, 23, 59),
            datetime(2024, 2, 1, 0, 0),
            datetime(2024, 3, 5, 12, 0),
        ],
        "category": ["a", "b", "a", None],
        "region": ["SP", "RJ", "RJ", "SP"],
    }
)


def test_end_day_is_included_whole():
    got = filter_lines(LINES, date(2024, 1, 1), date(2024, 1, 31))
    assert got.height == 2


def test_category_and_region_filters_combine():
    got = filter_lines(LINES, categories=["a"], regions=["RJ"])
    assert got["ordered_at"].to_list() == [datetime(2024, 2, 1)]


def test_no_filter_returns_every_line():
    assert filter_lines(LINES).height == 4
