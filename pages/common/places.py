"""Region names as the maps show them, for every page that lists regions (one display name)."""

import polars as pl

from lib.analyses import regions
from pages.common import ui


@ui.memo(max_entries=10, show_spinner=False)
def places(key: str, _values: pl.Series) -> pl.DataFrame:
    """regions.match_regions(_values).places (region: the data's value, place, label, lat, lon)
    for the values `key` names."""
    return regions.match_regions(_values).places


def labels(key: str, values: list[str]) -> dict[str, str]:
    """The map's name of each of `values` that the map names otherwise ("EIRE": "Ireland")."""
    named = places(key, pl.Series("region", values, dtype=pl.String))
    return {r: n for r, n in named.select("region", "label").iter_rows() if n and n != r}
