"""Region maps as pydeck decks that render offline (no basemap tiles, labels drawn as text)."""

from __future__ import annotations

import math

import polars as pl
import pydeck as pdk

from lib import fmt

# Sequential teal ramp (low -> high) and a diverging red -> grey -> teal ramp for growth.
LOW, HIGH = (204, 236, 230), (15, 118, 110)
NEGATIVE, NEUTRAL, POSITIVE = (239, 68, 68), (203, 213, 225), (15, 118, 110)
BAD_HIGH = (239, 68, 68)  # late rate: more is worse
TEXT = [31, 41, 51, 255]

MAX_BUBBLE_PX = 42.0
LABEL_PX = 12  # label font size; a character is about 0.6 of it wide


def _mix(low: tuple[int, int, int], high: tuple[int, int, int], t: pl.Expr) -> list[pl.Expr]:
    return [
        (pl.lit(a) + (pl.lit(b - a) * t)).round().cast(pl.Int64).alias(c)
        for a, b, c in zip(low, high, ("r", "g", "b"), strict=True)
    ]


def coloured(points: pl.DataFrame, metric: str) -> pl.DataFrame:
    """`points` plus r, g, b (0..255) and size (0..1, by the metric's magnitude) columns.

    Growth is diverging (red below 0, teal above, by |growth| relative to the largest);
    late rate goes from pale to red; everything else from pale to teal. Unknown values are grey.
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
        # sqrt keeps small regions visible next to one that dominates (a capital, the UK).
        t = size.sqrt()
        high = BAD_HIGH if metric == "late_rate" else HIGH
        colour = [
            c.fill_null(grey).alias(name)
            for c, grey, name in zip(
                _mix(LOW, high, t), (pl.lit(v) for v in NEUTRAL), ("r", "g", "b"), strict=True
            )
        ]
    return points.with_columns(*colour, size.alias("size"))


def view_of(points: pl.DataFrame, weight: str | None = None, core: float = 0.95) -> pdk.ViewState:
    """A view framing the points that hold `core` of `weight` (all points without one).

    Framing the core keeps a continent readable when a few far-away regions are tiny (Online
    Retail: Europe, not the world because of Australia); the user can still pan to them.
    """
    framed = points
    if weight is not None and weight in points.columns and points.height > 3:
        ordered = points.with_columns(pl.col(weight).abs().fill_null(0.0).alias("_w")).sort(
            "_w", descending=True
        )
        total = ordered["_w"].sum()
        if total > 0:
            before = ordered["_w"].cum_sum() - ordered["_w"]
            framed = ordered.filter((before < core * total) | (pl.int_range(pl.len()) < 3))
    lat_min, lat_max = framed["lat"].min(), framed["lat"].max()
    lon_min, lon_max = framed["lon"].min(), framed["lon"].max()
    # The map is about twice as wide as high, and Mercator stretches latitudes away from the
    # equator: a degree of latitude needs 1.8 / cos(lat) degrees of width.
    stretch = 1.8 / max(0.3, math.cos(math.radians((lat_min + lat_max) / 2)))
    span = max(lon_max - lon_min, (lat_max - lat_min) * stretch, 4.0)
    zoom = max(0.5, min(7.0, math.log2(360 / span) + 0.3))
    return pdk.ViewState(
        latitude=(lat_min + lat_max) / 2, longitude=(lon_min + lon_max) / 2, zoom=zoom
    )


def readable_labels(records: list[dict], zoom: float) -> list[dict]:
    """The records (biggest first) whose labels do not overlap a bigger region's label at the
    opening `zoom`; the others keep their bubble and tooltip, and a zoom shows where they are.

    Positions are Web Mercator pixels at that zoom (256 px span the world at zoom 0); a label is
    LABEL_PX high and 0.6 x LABEL_PX wide per character, centred on its region.
    """
    scale = 256 * 2**zoom / 360  # pixels per degree of longitude
    kept: list[dict] = []
    boxes: list[tuple[float, float, float]] = []
    for record in records:
        lat = math.radians(max(-85.0, min(85.0, record["lat"])))
        x = record["lon"] * scale
        y = math.degrees(math.log(math.tan(math.pi / 4 + lat / 2))) * scale
        width = 0.6 * LABEL_PX * len(record["label"])
        if all(abs(x - bx) * 2 > width + bw or abs(y - by) > LABEL_PX for bx, by, bw in boxes):
            kept.append(record)
            boxes.append((x, y, width))
    return kept


def extent_km(points: pl.DataFrame) -> float:
    """Rough diagonal of the points' bounding box in km (at least 300)."""
    lat_span = (points["lat"].max() - points["lat"].min()) * 111
    mid = math.radians((points["lat"].max() + points["lat"].min()) / 2)
    lon_span = (points["lon"].max() - points["lon"].min()) * 111 * math.cos(mid)
    return max(300.0, math.hypot(lat_span, lon_span))


def region_deck(
    points: pl.DataFrame,
    metric: str,
    density: pl.DataFrame | None = None,
    height: int = 520,
) -> pdk.Deck:
    """A deck with one bubble per region at its centroid, coloured and sized by `metric`.

    `points` needs lat, lon, label, tooltip and the metric column (one row per region);
    `density` (lat, lon per customer) adds a hexagon density layer underneath.
    No map provider: the deck carries no basemap URL, so it renders offline; a text layer
    names the regions instead, as many as fit without overlapping (readable_labels).
    """
    data = coloured(points, metric)
    km = extent_km(points)
    data = data.with_columns(
        # Bubbles in screen pixels, area in proportion to the value: readable at any zoom.
        (pl.lit(MAX_BUBBLE_PX) * pl.col("size").sqrt()).clip(4.0, MAX_BUBBLE_PX).alias("radius"),
    )
    # Biggest first, so that small regions are drawn on top and stay visible.
    records = (
        data.sort("size", descending=True)
        .select("lat", "lon", "label", "tooltip", "r", "g", "b", "radius")
        .to_dicts()
    )
    view = view_of(points, metric)
    layers = []
    if density is not None and density.height:
        layers.append(
            pdk.Layer(
                "HexagonLayer",
                id="density",
                data=density.select("lat", "lon").to_dicts(),
                get_position="[lon, lat]",
                radius=max(5_000, int(km * 1000 / 60)),
                extruded=False,  # flat: the density sits under the bubbles without hiding them
                coverage=0.9,
                opacity=0.45,
                pickable=False,
            )
        )
    layers.append(
        pdk.Layer(
            "ScatterplotLayer",
            id="regions",
            data=records,
            get_position="[lon, lat]",
            get_radius="radius",
            radius_units="'pixels'",
            get_fill_color="[r, g, b, 190]",
            get_line_color=[255, 255, 255, 255],
            line_width_min_pixels=1,
            stroked=True,
            radius_min_pixels=4,
            pickable=True,
            auto_highlight=True,
        )
    )
    layers.append(
        pdk.Layer(
            "TextLayer",
            id="labels",
            data=readable_labels(records, view.zoom),
            get_position="[lon, lat]",
            get_text="label",
            get_size=LABEL_PX,
            get_color=TEXT,
            get_alignment_baseline="'bottom'",
            get_pixel_offset=[0, -6],
            # pydeck reads bare strings as JS expressions; quoted ones stay strings.
            character_set="'auto'",
            font_family="'\"Source Sans Pro\", Arial, sans-serif'",
            font_weight=600,
            pickable=False,
        )
    )
    return pdk.Deck(
        layers=layers,
        initial_view_state=view,
        # map_provider=None leaves pydeck's "__MAP_STYLE__" marker, which Streamlit reads as
        # "no basemap": nothing is fetched from Carto or Mapbox, so the map works offline.
        map_provider=None,
        tooltip={
            "html": "{tooltip}",
            "style": {"backgroundColor": "#1f2933", "color": "white", "fontSize": "12px"},
        },
        height=height,
    )


def tooltips(points: pl.DataFrame, currency: str) -> pl.DataFrame:
    """`points` (a regional table with place) plus a tooltip column of HTML with the figures."""
    rows = []
    for row in points.iter_rows(named=True):  # one row per region: a few dozen at most
        parts = [
            f"<b>{row['place']}</b>"
            + (f" ({row['region']})" if row["region"] != row["place"] else ""),
            f"Revenue {fmt.money(row['revenue'], currency)} · {fmt.pct(row['share'])} of total",
            f"{fmt.count(row['customers'])} customers · {fmt.count(row['orders'])} orders",
            f"Growth {fmt.change(row['growth'])} · AOV {fmt.money(row['aov'], currency)}",
        ]
        if row.get("late_rate") is not None:
            parts.append(f"Late {fmt.pct(row['late_rate'])}")
        if row.get("score") is not None:
            parts.append(f"Priority #{row['rank']}: {row['action']}")
        rows.append("<br/>".join(parts))
    return points.with_columns(pl.Series("tooltip", rows, dtype=pl.String))


def delivery_deck(points: pl.DataFrame, metric: str, height: int = 460) -> pdk.Deck:
    """Delivery performance per region (points: lat, lon, label, tooltip and `metric`).

    Delivery metrics (late rate, severe delays, days to deliver) are all worse when higher, so
    they share the late-rate ramp (pale to red); the volume of orders keeps the teal one.
    """
    shown = "late_rate" if metric != "orders" else "orders"
    return region_deck(points.with_columns(pl.col(metric).alias(shown)), shown, height=height)


def delivery_tooltips(points: pl.DataFrame, region: str) -> pl.DataFrame:
    """`points` (delivery performance per `region` with place) plus an HTML tooltip column."""
    rows = []
    for row in points.iter_rows(named=True):  # one row per state: a few dozen at most
        days = row["median_days"]
        review = row["review"]
        rows.append(
            "<br/>".join(
                [
                    f"<b>{row['place']}</b> ({row[region]})",
                    f"{fmt.count(row['orders'])} delivered orders",
                    f"Late {fmt.pct(row['late_rate'])}",
                    f"More than 7 days late {fmt.pct(row['severe_rate'])}",
                    "Median days to deliver " + (f"{days:.1f}" if days is not None else "n/a"),
                    "Mean review " + (f"{review:.2f}" if review is not None else "n/a"),
                ]
            )
        )
    return points.with_columns(pl.Series("tooltip", rows, dtype=pl.String))
