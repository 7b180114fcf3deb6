"""Shared sales filters."""

from datetime import date, datetime

import polars as pl

from lib.filters import filter_lines, named_as, named_values, values_named

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


SHOP = pl.DataFrame(
    {
        "ordered_at": [datetime(2024, 1, d) for d in range(1, 8)],
        "category": ["toys", None, " ", "Uncategorized", "toys", "garden", "UNCATEGORISED"],
        "region": ["FR", "Unspecified", None, "", " unknown ", "FR", "DE"],
    }
)


def test_filters_name_lines_without_a_category_or_region_as_the_pages_do():
    assert sorted(named_values(SHOP["category"].unique())) == ["garden", "toys", "uncategorised"]
    assert sorted(named_values(SHOP["region"].unique())) == ["(no region)", "DE", "FR"]
    # '(no region)' stands for the missing, blank and unspecified regions: lines 2 to 5.
    regions = named_as(SHOP["region"].unique(), ["(no region)"])
    got = filter_lines(SHOP, regions=regions)
    assert got["ordered_at"].dt.day().to_list() == [2, 3, 4, 5]
    # 'Unspecified' asked is no region too; the lines of no other region come with it.
    also = values_named(SHOP, "region", ["Unspecified", "DE"])
    assert filter_lines(SHOP, regions=also)["ordered_at"].dt.day().to_list() == [2, 3, 4, 5, 7]
    uncategorised = values_named(SHOP, "category", ["uncategorised"])
    got = filter_lines(SHOP, categories=uncategorised, regions=regions)
    assert got["ordered_at"].dt.day().to_list() == [2, 3, 4]


def test_a_name_no_value_stands_for_leaves_no_line():
    # An empty list would filter nothing out: the name asked matches no line instead.
    assert values_named(SHOP, "region", ["Atlantis"]) == ["Atlantis"]
    assert filter_lines(SHOP, regions=values_named(SHOP, "region", ["Atlantis"])).height == 0
    assert values_named(SHOP, "region", []) == []
