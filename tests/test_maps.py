"""Region maps: choropleth colours, outlines, framing, names, legend and the shipped geometry."""

import functools
import hashlib
import json
import math
import re
import time
from pathlib import Path

import polars as pl
import pytest

from lib import fmt, formats
from lib.analyses import regions
from lib.charts import maps
from pages.common import served
from tests.apptest import page

DATA = Path(__file__).resolve().parents[1] / "data"


def layer(spec: dict, kind: str) -> dict:
    return next(x for x in spec["layers"] if x["@@type"] == kind)


def by_id(spec: dict, name: str) -> dict:
    return next(x for x in spec["layers"] if x["id"] == name)


def features(spec: dict) -> list[dict]:
    """The features a map shows: each outline's land feature, or the feature of the regions'
    layer drawn over it (the same geometry)."""
    key = functools.partial(json.dumps, sort_keys=True)
    over = {key(f["geometry"]): f for f in by_id(spec, "regions")["data"]["features"]}
    land = by_id(spec, "land")["data"]["features"]
    return [over.get(key(f["geometry"]), f) for f in land]


def features_by_title(spec: dict) -> dict[str, dict]:
    return {f["properties"]["title"]: f["properties"] for f in features(spec)}


def two_states(revenue: tuple[float, float] = (400.0, 144.0)) -> pl.DataFrame:
    """São Paulo and Rio de Janeiro as map_points gives them, with their tooltips."""
    return pl.DataFrame(
        {
            "region": ["SP", "RJ"],
            "place": ["São Paulo", "Rio de Janeiro"],
            "label": ["SP", "RJ"],
            "lat": [-22.19, -22.25],
            "lon": [-48.79, -42.66],
            "revenue": list(revenue),
            "title": ["São Paulo (SP)", "Rio de Janeiro (RJ)"],
            "tooltip": ["Revenue R$ 400", "Revenue R$ 144"],
        }
    )


# --- colours ----------------------------------------------------------------------------------


def test_two_brazilian_states_are_filled_by_revenue_and_the_other_25_drawn_grey():
    spec = json.loads(maps.region_deck(two_states(), "revenue").to_json())
    states = features_by_title(spec)
    assert len(states) == 27  # every state's outline, for context
    # 144 / 400 = 0.36, sqrt 0.6 of the way from LOW (204, 236, 230) to HIGH (15, 118, 110):
    # 204 - 0.6 * 189 = 90.6, 236 - 0.6 * 118 = 165.2, 230 - 0.6 * 120 = 158.
    assert states["São Paulo (SP)"]["fill"] == [15, 118, 110, 235]
    assert states["Rio de Janeiro (RJ)"]["fill"] == [91, 165, 158, 235]
    assert states["Minas Gerais"]["fill"] == [241, 245, 249, 235]
    assert states["Minas Gerais"]["tooltip"] == "no data"
    assert states["São Paulo (SP)"]["tooltip"] == "Revenue R$ 400"
    # Every state has an outline, so no bubble; labels name the two states.
    kinds = [(x["@@type"], x["id"]) for x in spec["layers"]]
    assert kinds == [
        ("GeoJsonLayer", "land"),
        ("GeoJsonLayer", "regions"),
        ("LineLayer", "outlines"),
        ("TextLayer", "labels"),
    ]
    # The land holds every outline in NO_DATA, the regions layer the two states alone.
    assert len(by_id(spec, "land")["data"]["features"]) == 27
    land = by_id(spec, "land")["data"]["features"]
    assert {tuple(f["properties"]["fill"][:3]) for f in land} == {maps.NO_DATA}
    assert len(by_id(spec, "regions")["data"]["features"]) == 2
    assert {r["label"] for r in layer(spec, "TextLayer")["data"]} == {"SP", "RJ"}
    assert spec.get("mapStyle") in (None, "__MAP_STYLE__")


def test_values_spanning_a_hundredfold_or_more_are_coloured_on_a_log_scale():
    points = pl.DataFrame({"revenue": [1.0, 10.0, 1000.0]})
    assert maps.log_scaled(points["revenue"], "revenue")
    got = maps.coloured(points, "revenue").select("r", "g", "b").rows()
    # log10: 0, 1, 3 -> a third of the way for 10: 204 - 189 / 3 = 141, 236 - 118 / 3 = 196.7,
    # 230 - 120 / 3 = 190.
    assert got == [(204, 236, 230), (141, 197, 190), (15, 118, 110)]
    assert not maps.log_scaled(pl.Series([0.0, 1000.0]), "revenue")  # zero: sqrt scale
    assert not maps.log_scaled(pl.Series([-0.5, 2.0]), "growth")


def test_late_rate_goes_from_pale_to_red_and_a_missing_figure_is_grey():
    points = pl.DataFrame({"late_rate": [0.2, 0.0, None]})
    got = maps.coloured(points, "late_rate").select("r", "g", "b").rows()
    assert got == [maps.BAD_HIGH, maps.BAD_LOW, maps.NEUTRAL]


# --- outlines and names -----------------------------------------------------------------------


def retail_points(names: list[str]) -> pl.DataFrame:
    """A tiny Online Retail regional table for `names`, with places and tooltips."""
    n = len(names)
    table = pl.DataFrame(
        {
            "region": names,
            "customers": [10 * (i + 1) for i in range(n)],
            "orders": [20 * (i + 1) for i in range(n)],
            "revenue": [1000.0 * (i + 1) for i in range(n)],
            "share": [(i + 1) / (n * (n + 1) / 2) for i in range(n)],
            "growth": [0.1] * n,
            "aov": [50.0] * n,
        }
    )
    match = regions.match_regions(table["region"])
    return maps.tooltips(regions.map_points(table, match), "GBP")


def test_tooltips_count_a_single_customer_or_order_in_the_singular():
    table = pl.DataFrame(
        {
            "region": ["USA", "France"],
            "customers": [1, 12],
            "orders": [1, 30],
            "revenue": [391.0, 5000.0],
            "share": [0.07, 0.93],
            "growth": [None, 0.1],
            "aov": [391.0, 166.67],
        }
    )
    tips = maps.tooltips(regions.map_points(table, regions.match_regions(table["region"])), "GBP")
    text = dict(zip(tips["region"], tips["tooltip"], strict=True))
    assert "\n1 customer · 1 order\n" in text["USA"]
    assert "\n12 customers · 30 orders\n" in text["France"]
    delivered = pl.DataFrame(
        {
            "customer_region": ["SP", "RJ"],
            "place": ["São Paulo", "Rio de Janeiro"],
            "orders": [1, 40],
            "late_rate": [0.0, 0.1],
            "severe_rate": [0.0, 0.05],
            "median_days": [5.0, 9.0],
            "review": [4.0, 3.5],
        }
    )
    tips = maps.delivery_tooltips(delivered, "customer_region")["tooltip"].to_list()
    assert tips[0].startswith("1 delivered order\n") and tips[1].startswith("40 delivered orders")


def test_eire_shows_as_ireland_with_its_raw_name_on_the_map():
    points = retail_points(["United Kingdom", "EIRE", "France"])
    spec = json.loads(maps.region_deck(points, "revenue").to_json())
    countries = features_by_title(spec)
    assert "Ireland (EIRE)" in countries
    assert countries["Ireland (EIRE)"]["tooltip"].startswith(
        "Revenue £2.0k · 33.3% of total\n20 customers"
    )
    assert countries["United Kingdom"]["fill"][:3] != list(maps.NO_DATA)  # the place is the name
    assert countries["Germany"]["fill"][:3] == list(maps.NO_DATA)
    assert "Ireland" in {r["label"] for r in layer(spec, "TextLayer")["data"]}


def test_a_region_without_outline_keeps_a_bubble_and_a_tiny_country_gets_a_dot():
    points = retail_points(["United Kingdom", "European Community", "Malta", "Australia"])
    spec = json.loads(maps.region_deck(points, "revenue").to_json())
    dots = {d["title"]: d for d in layer(spec, "ScatterplotLayer")["data"]}
    # The EU has no outline: a bubble sized by its value (2nd of 4: sqrt(2000/4000) of the max).
    assert dots["European Community"]["radius"] == pytest.approx(
        maps.MAX_BUBBLE_PX * math.sqrt(0.5)
    )
    # Malta's outline is under SMALL_PX at a zoom that shows Europe and Australia: a dot too.
    assert dots["Malta"]["radius"] == maps.DOT_PX
    assert set(dots) == {"European Community", "Malta"}


def test_channel_islands_colour_both_jersey_and_guernsey():
    points = retail_points(["United Kingdom", "Channel Islands"])
    spec = json.loads(maps.region_deck(points, "revenue").to_json())
    channel = [f for f in features(spec) if f["properties"]["title"] == "Channel Islands"]
    assert len(channel) == 2


def test_the_geography_is_inferred_from_the_places():
    assert maps.geography_of(pl.Series(["São Paulo", "Bahia"])) == "br_states"
    assert maps.geography_of(["Lisboa", "Porto", "Açores"]) == "pt_districts"
    assert maps.geography_of(["Ireland", "France"]) == "countries"
    assert maps.geography_of(["California", "Texas"]) == "us_states"
    assert maps.geography_of(["Atlantis"]) == ""


def test_every_code_of_the_references_has_an_outline():
    for reference in maps.GEO_FILES:
        codes = {c for cs in maps.place_codes(reference).values() for c in cs}
        shipped = {o.code for o in maps.outlines(reference)}
        missing = codes - shipped
        # Gibraltar is not mapped apart at 1:50m; the EU is not a country.
        assert missing <= {"GI", "EU"}, (reference, missing)


# --- framing ----------------------------------------------------------------------------------


def test_a_box_twenty_degrees_square_on_the_equator_opens_at_zoom_four():
    view = maps.framed_view((-10.0, -10.0, 10.0, 10.0), width=940, height=520)
    # Height binds: Mercator y of 10 degrees is ln(tan 50°) = 0.17543, so the box is
    # 2 * 0.17543 / (2 pi) = 0.05584 of the world high; 520 px less 6% padding each side is
    # 457.6 px, and 457.6 / (512 * 0.05584) = 16.006 = 2^4.0005.
    assert view.latitude == pytest.approx(0.0, abs=1e-9)
    assert view.longitude == pytest.approx(0.0, abs=1e-9)
    assert view.zoom == pytest.approx(4.0005, abs=1e-4)


def test_the_map_opens_framed_on_the_outlines_of_the_regions_with_data():
    view = maps.region_deck(two_states(), "revenue").initial_view_state
    # SP spans -53.116..-44.168 E, -25.290..-19.791 N; RJ -44.864..-40.968, -23.354..-20.776.
    # Together 12.148 degrees wide = 0.033744 of the world; 820 px less padding is 721.6 px:
    # 721.6 / (512 * 0.033744) = 41.77 = 2^5.384 (the height would allow 2^5.758).
    assert view.longitude == pytest.approx((-53.116 - 40.968) / 2)
    assert view.zoom == pytest.approx(5.384, abs=1e-3)
    # The middle in Mercator y: ln tan(45° - 19.791° / 2) = -0.35249 and ln tan(45° - 25.29° / 2)
    # = -0.45651, halfway -0.40450; 2 atan(e^-0.40450) - 90° = -22.568 degrees (not -22.54,
    # the middle in degrees).
    assert view.latitude == pytest.approx(-22.568, abs=1e-3)


def test_main_bounds_leave_out_far_small_parts_and_join_across_the_antimeridian():
    square = [[[170.0, 60.0], [180.0, 60.0], [180.0, 70.0], [170.0, 70.0], [170.0, 60.0]]]
    across = [[[-180.0, 60.0], [-175.0, 60.0], [-175.0, 70.0], [-180.0, 70.0], [-180.0, 60.0]]]
    islet = [[[0.0, 0.0], [0.1, 0.0], [0.1, 0.1], [0.0, 0.1], [0.0, 0.0]]]
    geometry = {"type": "MultiPolygon", "coordinates": [square, across, islet]}
    # The islet is far below MAIN_PART of the square; the part west of -180 is half the
    # square, so it counts, and moves east of 180 next to the bigger side.
    assert maps.main_bounds(geometry) == (170.0, 60.0, 185.0, 70.0)
    us = {o.code: o for o in maps.outlines("countries")}["US"]
    west, south, east, north = us.bounds
    assert -170 < west < -165 and east == pytest.approx(-67.107)  # Alaska, not the Aleutians
    assert south == pytest.approx(25.138)  # Hawaii (further south) is too small to frame


def test_online_retail_countries_from_brazil_to_japan_are_all_in_view():
    points = retail_points(["United Kingdom", "Brazil", "Japan", "Australia", "USA"])
    deck = maps.region_deck(points, "revenue")
    view = deck.initial_view_state
    half_width_deg = maps.MAP_WIDTH / 2 / (maps.TILE_PX * 2**view.zoom) * 360
    assert view.longitude - half_width_deg <= -73.99  # Brazil's westernmost point
    assert view.longitude + half_width_deg >= 153.6  # Australia's east coast
    labels = {r["label"] for r in json.loads(deck.to_json())["layers"][-1]["data"]}
    assert {"Brazil", "Australia"} <= labels


def test_a_label_keeps_a_line_and_a_half_from_a_bigger_one_above_or_below():
    """Screenshot review: United Kingdom, Belgium and France stacked 13 px apart, touching."""
    zoom = 3.0
    top = {"lat": 50.0, "lon": 0.0, "label": "Big"}
    _, y = maps._pixels(50.0, 0.0, zoom)
    # Latitudes whose labels sit 13 and 19 px below (y grows northwards).
    lat_at = {
        px: next(
            lat / 1000
            for lat in range(50_000, 40_000, -1)
            if y - maps._pixels(lat / 1000, 0.0, zoom)[1] >= px
        )
        for px in (13, 19)
    }
    near = {"lat": lat_at[13], "lon": 0.0, "label": "Near"}
    far = {"lat": lat_at[19], "lon": 0.0, "label": "Far"}
    assert [r["label"] for r in maps.readable_labels([top, near], zoom)] == ["Big"]
    assert [r["label"] for r in maps.readable_labels([top, far], zoom)] == ["Big", "Far"]


def test_labels_that_would_leave_the_map_are_left_off():
    view = maps.framed_view((-10.0, -10.0, 10.0, 10.0), width=940, height=520)
    records = [
        {"lat": 0.0, "lon": 0.0, "label": "Centre"},
        {"lat": 0.0, "lon": 40.0, "label": "Far east"},  # 40 degrees east: off the map
    ]
    assert [r["label"] for r in maps.readable_labels(records, view.zoom, view)] == ["Centre"]


# --- payload, legend and credit ---------------------------------------------------------------


def test_the_deck_json_is_compact_and_offline():
    points = retail_points(["United Kingdom", "EIRE"])
    text = maps.region_deck(points, "revenue").to_json()
    assert "\n" not in text and ": " not in text[:200]
    # The world's 239 outlines, twice: as fills and as the sides of the outline layer.
    assert len(text) < 800_000
    assert "mapbox" not in text.lower() and "http" not in text


def test_a_ring_loses_only_the_points_closer_than_the_tolerance_to_its_outline():
    # A 10° square whose bottom edge has a point 0.05° off the line, and its left edge one 2° off.
    ring = [[0, 0], [5, 0.05], [10, 0], [10, 10], [0, 10], [-2, 5], [0, 0]]
    assert maps._simplify_ring(ring, 0.1) == [[0, 0], [10, 0], [10, 10], [0, 10], [-2, 5], [0, 0]]
    assert maps._simplify_ring(ring, 0.01) == ring
    # A ring under the tolerance is less than a triangle: gone, unless it is all there is.
    islet = [[20, 20], [20.01, 20], [20.01, 20.01], [20, 20]]
    assert maps._simplify_ring(islet, 0.1) is None
    multi = {"type": "MultiPolygon", "coordinates": [[ring], [islet]]}
    assert maps.simplified(multi, 0.1)["coordinates"] == [[ring[:1] + ring[2:]]]
    alone = {"type": "Polygon", "coordinates": [islet]}
    assert maps.simplified(alone, 0.1) == alone
    # Coordinates keep a tenth of the tolerance: 0.1° -> two decimals, 0.01° -> three.
    near = {"type": "Polygon", "coordinates": [[[0, 0], [1.23456, 0], [1.2, 1.98765], [0, 0]]]}
    assert maps.simplified(near, 0.1)["coordinates"] == [[[0, 0], [1.23, 0], [1.2, 1.99], [0, 0]]]
    assert maps.simplified(near, 0.01)["coordinates"][0][1] == [1.235, 0]


def test_outlines_are_drawn_once_per_side_as_segments():
    # Two unit squares side by side share the side x = 1: seven sides, not eight.
    left = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    right = {"type": "Polygon", "coordinates": [[[1, 0], [2, 0], [2, 1], [1, 1], [1, 0]]]}
    sides = {tuple(sorted((tuple(a), tuple(b)))) for a, b in maps.edges([left, right])}
    assert len(maps.edges([left, right])) == len(sides) == 7
    assert ((1, 0), (1, 1)) in sides
    # On a map, every side of every region drawn is one segment of the outline layer.
    spec = json.loads(maps.region_deck(two_states(), "revenue").to_json())
    drawn = {
        tuple(sorted((tuple(a), tuple(b))))
        for f in features(spec)
        for part in (
            [f["geometry"]["coordinates"]]
            if f["geometry"]["type"] == "Polygon"
            else f["geometry"]["coordinates"]
        )
        for ring in part
        for a, b in zip(ring, ring[1:], strict=False)
        if a != b
    }
    lines = layer(spec, "LineLayer")
    assert len(lines["data"]) == len(drawn) > 1_000
    assert {tuple(sorted((tuple(a), tuple(b)))) for a, b in lines["data"]} == drawn
    assert lines["getColor"] == maps.OUTLINE and lines["widthUnits"] == "pixels"
    # No second outline underneath.
    assert by_id(spec, "land")["stroked"] is by_id(spec, "regions")["stroked"] is False


def test_outlines_keep_every_region_with_fewer_points_at_a_world_zoom():
    full, world = maps.outlines("countries"), maps.outlines_at("countries", 1)
    assert len(world) == len(full) == 239

    def points(geometry) -> int:
        parts = (
            [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        )
        return sum(len(ring) for part in parts for ring in part)

    assert sum(points(g) for g in world) < 0.6 * sum(points(o.geometry) for o in full)
    # A map that opens on the world sends the simplified outlines; one on Europe the full ones.
    world_deck = maps.region_deck(retail_points(["Brazil", "Japan", "United Kingdom"]), "revenue")
    assert math.floor(world_deck.initial_view_state.zoom) == 1
    assert len(world_deck.to_json()) < 700_000
    # Opened on the British Isles (zoom 4): Europe's outlines at that zoom's detail, the far
    # side of the world (seen only by panning) at world detail.
    europe = json.loads(
        maps.region_deck(retail_points(["United Kingdom", "EIRE"]), "revenue").to_json()
    )
    sent = {f["properties"]["title"]: f["geometry"] for f in features(europe)}
    names = [o.name for o in full]
    zoom_four = maps.outlines_at("countries", 4)
    france, brazil = names.index("France"), names.index("Brazil")
    assert sent["France"] == zoom_four[france] != world[france]
    assert sent["Brazil"] == world[brazil] != zoom_four[brazil]


def test_the_legend_shows_the_lowest_and_highest_values_as_the_tables_print_them():
    chart = maps.legend(two_states(), "revenue", "Revenue", "BRL").to_dict()
    text = json.dumps(chart, ensure_ascii=False)
    assert "R$ 144" in text and "R$ 400" in text and "no data" in text
    # The middle of the colour bar is sqrt-halfway: ((12 + 20) / 2)^2 = 256.
    assert "R$ 256" in text
    values = maps.legend_values(pl.Series([1.0, 10.0, 1000.0]), "revenue", 4)
    assert values == pytest.approx([1.0, 10.0, 100.0, 1000.0])


def test_one_region_or_regions_alike_label_the_legend_once():
    """Audit: the Amazon demo's one region labelled its colour bar '$301.0k' three times."""
    one = two_states().head(1)
    text = json.dumps(maps.legend(one, "revenue", "Revenue", "BRL").to_dict())
    assert text.count(maps.value_text("revenue", one["revenue"][0], "BRL")) == 1
    # Two values that print alike: one label; two apart: both ends (and the middle).
    alike = pl.DataFrame({"growth": [0.101, 0.102]})
    assert json.dumps(maps.legend(alike, "growth", "Growth").to_dict()).count('"+10%"') == 1
    apart = json.dumps(maps.legend(pl.DataFrame({"growth": [0.1, 0.3]}), "growth", "G").to_dict())
    assert all(f'"+{p}%"' in apart for p in (10, 20, 30))


def test_growth_legend_marks_zero_where_the_colours_turn():
    points = pl.DataFrame({"growth": [-0.25, 0.75]})
    text = json.dumps(maps.legend(points, "growth", "Growth").to_dict())
    assert "-25%" in text and "+75%" in text and "+0%" in text


def test_the_shipped_boundary_files_are_those_of_the_sources_with_their_notices():
    sources = (DATA / "GEO_SOURCES.md").read_text(encoding="utf-8")
    for name in maps.GEO_FILES.values():
        digest = hashlib.sha256((DATA / name).read_bytes()).hexdigest()
        assert re.search(rf"{re.escape(name)} \|.*\| {digest} \|", sources), name
    assert "Copyright (c) 2012 Mark DiMarco" in sources and "Natural Earth" in sources
    assert "MIT" in maps.attribution("pt_districts")
    assert "Natural Earth" in maps.attribution("countries")
    assert maps.attribution("") == ""


def test_delivery_maps_colour_states_by_late_rate():
    points = two_states().with_columns(
        pl.Series("late_rate", [0.1, 0.2]), pl.Series("orders", [30, 40])
    )
    spec = json.loads(maps.delivery_deck(points, "late_rate").to_json())
    states = features_by_title(spec)
    assert states["Rio de Janeiro (RJ)"]["fill"][:3] == list(maps.BAD_HIGH)


# --- served as files (pages/common/served.py) -------------------------------------------------


@pytest.fixture
def serving(monkeypatch):
    monkeypatch.setattr(served.st, "get_option", lambda name: True)


def spec_of(deck) -> dict:
    return json.loads(deck.to_json())


def test_the_land_and_outlines_are_files_the_regions_and_labels_stay_in_the_chart(
    serving, tmp_path
):
    deck = maps.region_deck(two_states(), "revenue")
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
    first = spec_of(served.served(maps.region_deck(two_states(), "revenue"), tmp_path))
    other = spec_of(served.served(maps.region_deck(two_states((10.0, 900.0)), "revenue"), tmp_path))
    urls = [x["data"] for x in first["layers"] if x["id"] in maps.PUBLIC_LAYERS]
    assert urls == [x["data"] for x in other["layers"] if x["id"] in maps.PUBLIC_LAYERS]
    regions = [x for x in first["layers"] if x["id"] == "regions"]
    assert regions != [x for x in other["layers"] if x["id"] == "regions"]
    for file in tmp_path.glob("*.json"):
        file.unlink()
    again = spec_of(served.served(maps.region_deck(two_states(), "revenue"), tmp_path))
    assert [x["data"] for x in again["layers"] if x["id"] in maps.PUBLIC_LAYERS] == urls
    assert sorted(p.name for p in tmp_path.glob("*.json")) == sorted(
        u.removeprefix(served.URL) for u in urls
    )


def test_a_map_without_outlines_writes_no_file(serving, tmp_path):
    # Places with no shipped boundaries: bubbles alone, nothing to serve.
    points = two_states().with_columns(pl.Series("place", ["Atlantis", "Lemuria"]))
    deck = maps.region_deck(points, "revenue")
    inline = spec_of(deck)
    public = [x for x in inline["layers"] if x["id"] in maps.PUBLIC_LAYERS]
    assert [x["id"] for x in public] == ["land", "outlines"]
    assert public[0]["data"]["features"] == [] and public[1]["data"] == []
    assert spec_of(served.served(deck, tmp_path)) == inline
    assert list(tmp_path.iterdir()) == []


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
    deck = maps.region_deck(two_states(), "revenue")
    monkeypatch.setattr(served.st, "get_option", lambda name: False)
    assert served.served(deck, tmp_path) is deck
    monkeypatch.setattr(served.st, "get_option", lambda name: True)
    blocked = tmp_path / "a file"
    blocked.write_text("", encoding="utf-8")
    assert spec_of(served.served(deck, blocked / "maps")) == spec_of(deck)


# --- the pages --------------------------------------------------------------------------------


def deck_spec(at) -> dict:
    """The page's map, its public layers read back from their files when they are served (AppTest
    reads the app's config when run from the project's folder)."""
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    for drawn in spec["layers"]:
        if isinstance(drawn["data"], str):
            assert drawn["id"] in maps.PUBLIC_LAYERS and drawn["data"].startswith(served.URL)
            name = drawn["data"].removeprefix(served.URL)
            drawn["data"] = json.loads((served.FOLDER / name).read_text(encoding="utf-8"))
    return spec


@pytest.mark.parametrize(
    ("kind", "reference"), [("marketplace", "br_states"), ("retail", "countries")]
)
def test_the_regions_page_draws_the_outlines_of_each_demo(kind, reference):
    at = page(kind, "pages/regions.py")
    spec = deck_spec(at)
    shown = features(spec)
    assert len(shown) == len(maps.outlines(reference))
    coloured = [f for f in shown if f["properties"]["fill"][:3] != list(maps.NO_DATA)]
    ds = formats.assemble_demo(kind).dataset
    placed = regions.match_regions(regions.regional_lines(ds)["region"].unique()).places
    assert len(coloured) >= placed.height - 3  # a few places have no outline (the EU, ...)
    captions = " ".join(c.value for c in at.caption)
    assert "Natural Earth" in captions


def test_the_delivery_page_draws_brazils_states():
    at = page("marketplace", "pages/delivery.py")
    spec = deck_spec(at)
    assert len(features(spec)) == 27


@pytest.mark.browser
@pytest.mark.parametrize("kind", ["marketplace", "retail"])
def test_the_regions_map_draws_outlines_and_fills_in_chromium(server, tmp_path, kind):
    import numpy as np
    from PIL import Image

    from tests.browser import browser_page, require_chromium, wait_for_app

    require_chromium()
    with browser_page() as browser:
        fetched = []  # the land and outlines, served as files (the app's config serves them)
        browser.on(
            "response",
            lambda r: fetched.append((r.url, r.status)) if f"/{served.URL}" in r.url else None,
        )
        browser.goto(f"{server}/regions?demo={kind}")
        wait_for_app(browser)
        deck = browser.locator('[data-testid="stDeckGlJsonChart"]').first
        deck.scroll_into_view_if_needed()
        browser.wait_for_timeout(1000)
        shot = tmp_path / f"{kind}_regions_map.png"
        deck.screenshot(path=str(shot))
    # Two files (a rerun that mounts the map again may fetch them again), every one found.
    assert len({url for url, _ in fetched}) == 2
    assert {status for _, status in fetched} == {200}
    rgb = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    # Outlines: slate grey lines (OUTLINE over the fills), blue above red.
    assert ((r >= 80) & (r < 190) & (b > r + 10) & (abs(g - r) < 40)).mean() > 0.003
    # Teal fills of the regions with data (green well above red).
    assert (g > r + 25).mean() > 0.01
    if kind == "retail":  # the countries without data, NO_DATA nearly opaque on white
        assert (abs(rgb - np.array(maps.NO_DATA)).max(axis=-1) <= 2).mean() > 0.05


def test_portuguese_districts_frame_the_azores_too():
    points = pl.DataFrame(
        {
            "region": ["Lisbon", "Acores"],
            "place": ["Lisboa", "Açores"],
            "label": ["Lisboa", "Açores"],
            "lat": [38.95, 37.8],
            "lon": [-9.15, -25.5],
            "revenue": [300.0, 100.0],
        }
    )
    spec = json.loads(maps.region_deck(points, "revenue").to_json())
    districts = features_by_title(spec)
    assert len(districts) == 20 and districts["Açores"]["fill"][:3] != list(maps.NO_DATA)
    view = maps.region_deck(points, "revenue").initial_view_state
    half_width_deg = maps.MAP_WIDTH / 2 / (maps.TILE_PX * 2**view.zoom) * 360
    assert view.longitude - half_width_deg < -31.0  # Flores, the westernmost island
    assert view.longitude + half_width_deg > -8.0  # Lisbon's district reaches -8.7 E


def test_a_metric_without_any_figure_gets_a_legend_that_says_so():
    points = two_states().with_columns(pl.lit(None, pl.Float64).alias("growth"))
    text = json.dumps(maps.legend(points, "growth", "Growth").to_dict())
    assert "no region has a figure" in text
    spec = json.loads(maps.region_deck(points, "growth").to_json())
    assert features_by_title(spec)["São Paulo (SP)"]["fill"][:3] == list(maps.NEUTRAL)


def test_a_missing_value_reads_as_every_empty_figure_does():
    assert maps.value_text("late_rate", None) == "—" == fmt.pct(None)
    assert maps.value_text("late_rate", 0.125) == fmt.pct(0.125)
