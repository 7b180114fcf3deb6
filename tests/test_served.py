"""Map layers of public boundaries served as files (pages/common/served.py)."""

import json
import time

import polars as pl
import pytest

from lib.charts import maps
from pages.common import served


def two_states(revenue: tuple[float, float]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "place": ["São Paulo", "Rio de Janeiro"],
            "label": ["SP", "RJ"],
            "lat": [-22.19, -22.25],
            "lon": [-48.79, -42.66],
            "revenue": list(revenue),
            "title": ["São Paulo (SP)", "Rio de Janeiro (RJ)"],
            "tooltip": [f"Revenue R$ {revenue[0]:g}", f"Revenue R$ {revenue[1]:g}"],
        }
    )


@pytest.fixture
def serving(monkeypatch):
    monkeypatch.setattr(served.st, "get_option", lambda name: True)


def spec_of(deck) -> dict:
    return json.loads(deck.to_json())


def test_the_land_and_outlines_are_files_the_regions_and_labels_stay_in_the_chart(
    serving, tmp_path
):
    deck = maps.region_deck(two_states((400.0, 144.0)), "revenue")
    before = deck.to_json()
    shown = spec_of(served.served(deck, tmp_path))
    inline = json.loads(before)
    assert deck.to_json() == before  # the memoised deck is not changed
    for drawn, original in zip(shown["layers"], inline["layers"], strict=True):
        if drawn["id"] in ("land", "outlines"):
            assert drawn["data"].startswith(served.URL)
            file = tmp_path / drawn["data"].removeprefix(served.URL)
            assert json.loads(file.read_text(encoding="utf-8")) == original["data"]
        else:
            assert drawn == original
    # The files hold boundaries and names, nothing of the figures (titles with codes, tooltips).
    text = "".join(p.read_text(encoding="utf-8") for p in tmp_path.glob("*.json"))
    assert len(list(tmp_path.glob("*.json"))) == 2
    assert "R$" not in text and "(SP)" not in text and "Minas Gerais" in text


def test_another_metric_or_rerun_keeps_the_urls_and_a_removed_file_comes_back(serving, tmp_path):
    first = spec_of(
        served.served(maps.region_deck(two_states((400.0, 144.0)), "revenue"), tmp_path)
    )
    other = spec_of(served.served(maps.region_deck(two_states((10.0, 900.0)), "revenue"), tmp_path))
    urls = [x["data"] for x in first["layers"] if x["id"] in maps.PUBLIC_LAYERS]
    assert urls == [x["data"] for x in other["layers"] if x["id"] in maps.PUBLIC_LAYERS]
    regions = [x for x in first["layers"] if x["id"] == "regions"]
    assert regions != [x for x in other["layers"] if x["id"] == "regions"]
    for file in tmp_path.glob("*.json"):
        file.unlink()
    again = spec_of(
        served.served(maps.region_deck(two_states((400.0, 144.0)), "revenue"), tmp_path)
    )
    assert [x["data"] for x in again["layers"] if x["id"] in maps.PUBLIC_LAYERS] == urls
    assert sorted(p.name for p in tmp_path.glob("*.json")) == sorted(
        u.removeprefix(served.URL) for u in urls
    )


def test_the_folder_keeps_at_most_max_files_the_newest(serving, tmp_path, monkeypatch):
    monkeypatch.setattr(served, "MAX_FILES", 3)
    names = []
    for k in range(4):  # four framings: four outline files
        data = [[[float(k), 0.0], [1.0, 1.0]]]
        names.append(served._file(data, tmp_path))
        time.sleep(0.02)  # apart in the file system's clock (a few ms)
    assert sorted(p.name for p in tmp_path.glob("*.json")) == sorted(names[1:])


def test_without_static_serving_or_a_folder_to_write_the_data_stays_in_the_chart(
    monkeypatch, tmp_path
):
    deck = maps.region_deck(two_states((400.0, 144.0)), "revenue")
    monkeypatch.setattr(served.st, "get_option", lambda name: False)
    assert served.served(deck, tmp_path) is deck
    monkeypatch.setattr(served.st, "get_option", lambda name: True)
    blocked = tmp_path / "a file"
    blocked.write_text("", encoding="utf-8")
    assert spec_of(served.served(deck, blocked / "maps")) == spec_of(deck)
