"""Region names as the maps show them, for every page that lists regions (one display name)."""

import polars as pl

from lib.analyses import regions
from pages.common import ui


@ui.memo(max_entries=10, show_spinner=False)
def match(key: str, _values: pl.Series) -> regions.Match:
    """regions.match_regions(_values) for the values `key` names: its places are region (the
    data's value), place, label, lat, lon."""
    return regions.match_regions(_values)


def labels(key: str, values: list[str]) -> dict[str, str]:
    """The map's name of each of `values` that the map names otherwise ("EIRE": "Ireland")."""
    named = match(key, pl.Series("region", values, dtype=pl.String)).places
    return {r: n for r, n in named.select("region", "label").iter_rows() if n and n != r}
