"""Charts of the Categories page: growth x share quadrants, potential parts, monthly trends."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import polars as pl

from lib import measures
from lib.analyses.categories import placed_quadrant
from lib.charts import (
    MUTED,
    PALETTE,
    by_order,
    in_order,
    money_axis,
    money_title,
    month_axis,
    pct_axis,
)
from lib.charts.memo import memo

QUADRANT_COLOURS = {
    "leaders": "#0f766e",
    "rising": "#0ea5e9",
    "established": "#f59e0b",
    "niche": "#8b5cf6",
}
# A bubble whose growth rests on too few orders: drawn, but in no quadrant (cat.placed_quadrant).
NOT_PLACED = "not placed"
NOT_PLACED_COLOUR = "#9ca3af"
COMPONENT_COLOURS = {
    "growth": PALETTE[0],
    "revenue share": PALETTE[2],
    "review score": PALETTE[1],
    "late-delivery rate": PALETTE[6],
}


@memo
def growth_share_chart(
    table: pl.DataFrame,
    currency: str,
    labelled: int = 6,
    height: int = 460,
    first: Sequence[str] = (),
) -> alt.LayerChart:
    """Bubbles at (share, growth) sized by orders and coloured by quadrant, with the dividing lines
    (median share, growth of measures.FLAT: +2%), the quadrant names in the corners and the
    categories `first` names (those the reading names) and the largest, `labelled` at least,
    named. Rows without growth are left out; unreliable growth is drawn faint and grey, in no
    quadrant (NOT_PLACED), as the reading counts it apart: Olist's Cool stuff, 24 orders, had
    read "established" in its tooltip under a reading saying it cannot be placed.

    The growth axis spans the reliable figures (when two or more have one): a category of a few
    orders that doubled would otherwise squash every other bubble onto the 0% line. Faint
    bubbles beyond it sit at its edge; their tooltips give their growth."""
    placed = table.filter(pl.col("growth").is_not_null() & pl.col("quadrant").is_not_null())
    median = float(table["share"].median() or 0.0)
    reliable = placed.filter(pl.col("growth_reliable"))
    spread = reliable if reliable.height >= 2 else placed
    y_lo = min(float(spread["growth"].min() or 0.0), 0.0)
    y_hi = max(float(spread["growth"].max() or 0.0), measures.FLAT)
    pad = (y_hi - y_lo) * 0.15 or 0.1
    y_lo, y_hi = y_lo - pad, y_hi + pad
    placed = placed.with_columns(
        pl.col("growth").alias("actual"), pl.col("growth").clip(y_lo, y_hi)
    )
    frame = placed.select(
        "label",
        "revenue",
        "share",
        "growth",
        "actual",
        "growth_low",
        "growth_high",
        "orders",
        placed_quadrant().fill_null(NOT_PLACED),
        pl.when(pl.col("growth_reliable"))
        .then(pl.lit("enough orders"))
        .otherwise(pl.lit("too few orders"))
        .alias("growth basis"),
    )
    # Domains with headroom, so that the quadrant names sit in the margins, clear of bubbles:
    # the names are drawn at the corners (0, y_lo) to (x_hi, y_hi), and every bubble lies within,
    # so the data's extent is the domain (and the spec stays the same when it moves: ORDER).
    x_hi = max(float(placed["share"].max() or 0.0), median) * 1.1 or 1.0
    base = alt.Chart(frame)
    share_axis = alt.X(
        "share:Q",
        title="Share of net revenue",
        axis=pct_axis(0.0, x_hi),
        scale=alt.Scale(nice=False),
    )
    growth_axis = alt.Y(
        "growth:Q",
        title="Revenue growth",
        axis=pct_axis(y_lo, y_hi, sign=True),
        scale=alt.Scale(nice=False),
    )
    bubbles = base.mark_circle(stroke="white", strokeWidth=0.8).encode(
        x=share_axis,
        y=growth_axis,
        size=alt.Size(
            "orders:Q",
            title="Orders",
            scale=alt.Scale(range=[40, 1400]),
            legend=alt.Legend(orient="bottom", tickCount=3),
        ),
        color=alt.Color(
            "quadrant:N",
            title="Quadrant",
            scale=alt.Scale(
                domain=[*QUADRANT_COLOURS, NOT_PLACED],
                range=[*QUADRANT_COLOURS.values(), NOT_PLACED_COLOUR],
            ),
            legend=alt.Legend(orient="bottom"),
        ),
        opacity=alt.Opacity(
            "growth basis:N",
            title="Growth figure",
            scale=alt.Scale(domain=["enough orders", "too few orders"], range=[0.85, 0.3]),
            legend=alt.Legend(orient="bottom"),
        ),
        tooltip=[
            alt.Tooltip("label:N", title="Category"),
            alt.Tooltip("revenue:Q", title=money_title("Net revenue", currency), format=",.0f"),
            alt.Tooltip("share:Q", title="Share", format=".1%"),
            alt.Tooltip("actual:Q", title="Growth", format="+.1%"),
            alt.Tooltip("growth_low:Q", title="Growth, 95% low", format="+.1%"),
            alt.Tooltip("growth_high:Q", title="Growth, 95% high", format="+.1%"),
            alt.Tooltip("orders:Q", title="Orders", format=","),
            alt.Tooltip("quadrant:N", title="Quadrant"),
            alt.Tooltip("growth basis:N", title="Growth figure"),
        ],
    )
    named = alt.Chart(
        frame.filter(
            pl.col("label").is_in(
                clear_labels(
                    placed, labelled, (0.0, x_hi), (y_lo, y_hi), (700, height), first=first
                )
            )
        )
    )
    text = {"align": "left", "dx": 10, "dy": -8, "fontSize": 11}
    names = [
        # A white outline under each name keeps it legible where it crosses a bubble.
        named.mark_text(**text, stroke="white", strokeWidth=3, strokeOpacity=0.9).encode(
            x="share:Q", y="growth:Q", text="label:N"
        ),
        named.mark_text(**text, color="#1e293b").encode(x="share:Q", y="growth:Q", text="label:N"),
    ]
    rules = [
        alt.Chart(pl.DataFrame({"share": [median]}))
        .mark_rule(color=MUTED, strokeDash=[4, 4])
        .encode(x="share:Q"),
        alt.Chart(pl.DataFrame({"growth": [measures.FLAT]}))
        .mark_rule(color=MUTED, strokeDash=[4, 4])
        .encode(y="growth:Q"),
    ]
    corners = []
    for name, share, growth, align, baseline in (
        ("leaders", x_hi, y_hi, "right", "top"),
        ("rising", 0.0, y_hi, "left", "top"),
        ("established", x_hi, y_lo, "right", "bottom"),
        ("niche", 0.0, y_lo, "left", "bottom"),
    ):
        corner = alt.Chart(pl.DataFrame({"share": [share], "growth": [growth], "name": [name]}))
        place = {
            "align": align,
            "baseline": baseline,
            "dx": 6 if align == "left" else -6,
            "dy": 4 if baseline == "top" else -4,
            "fontSize": 13,
            "fontWeight": "bold",
        }
        # Over the bubbles, on a white outline: faint bubbles held at the chart's edge sit there.
        corners += [
            corner.mark_text(**place, stroke="white", strokeWidth=4, strokeOpacity=0.9).encode(
                x="share:Q", y="growth:Q", text=alt.value(name.capitalize())
            ),
            corner.mark_text(**place, opacity=0.8, color=QUADRANT_COLOURS[name]).encode(
                x="share:Q", y="growth:Q", text=alt.value(name.capitalize())
            ),
        ]
    return alt.layer(*rules, bubbles, *corners, *names).properties(height=height)


def clear_labels(
    placed: pl.DataFrame,
    limit: int,
    x_domain: tuple[float, float],
    y_domain: tuple[float, float],
    size: tuple[int, int],
    *,
    first: Sequence[str] = (),
) -> list[str]:
    """The labels of the categories `first` names, then of the largest, (`limit` at least, and
    all of `first`) whose names, drawn right of their bubble, do not overlap a name already
    placed: the first placed wins, the other stays in its tooltip. Positions are estimated on a
    chart of `size` pixels (names: 7 px per character)."""
    (x0, x1), (y0, y1), (width, height) = x_domain, y_domain, size
    boxes: list[tuple[float, float, float, float]] = []
    kept: list[str] = []
    rank = {label: i for i, label in enumerate(first)}
    ordered = placed.sort(
        pl.col("label").replace_strict(rank, default=len(rank), return_dtype=pl.Int64),
        pl.col("revenue"),
        descending=[False, True],
    )
    for row in ordered.iter_rows(named=True):
        if len(kept) >= max(limit, len(first)):
            break
        x = (row["share"] - x0) / ((x1 - x0) or 1.0) * width + 10
        y = (y1 - row["growth"]) / ((y1 - y0) or 1.0) * height - 8
        box = (x, y - 8, x + 7 * len(row["label"]), y + 8)
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in boxes):
            continue
        boxes.append(box)
        kept.append(row["label"])
    return kept


@memo
def potential_chart(contributions: pl.DataFrame, limit: int) -> alt.Chart:
    """Horizontal stacked bars: each category's potential (0..1) split into what each weighted
    component adds, in rank order (potential_scores: those scored on every component first), at
    most `limit` categories."""
    best = contributions.select("category", "rank").unique("category").sort("rank").head(limit)
    # Flag categories whose growth was too thin to count: their score rests on the rest.
    frame = contributions.join(best.select("category"), on="category", how="semi").with_columns(
        pl.when(pl.col("growth_reliable"))
        .then(pl.col("label"))
        .otherwise(pl.col("label") + " (growth not counted)")
        .alias("label")
    )
    order = frame.unique("label").sort("rank")["label"]
    frame = in_order(frame, "label", order)
    present = [c for c in COMPONENT_COLOURS if c in set(frame["component"].to_list())]
    # Stacked as the legend lists them (an order by name stacked late delivery second).
    frame = frame.with_columns(
        pl.col("component").replace_strict({c: i for i, c in enumerate(present)}).alias("stack")
    )
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            # Room for Olist's longest name with its flag ("Construction tools construction
            # (growth not counted)" was cut at 220 px).
            y=alt.Y("label:N", sort=by_order(), title=None, axis=alt.Axis(labelLimit=340)),
            x=alt.X(
                "sum(contribution):Q",
                title="Potential score (0 to 1)",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format=".1f", values=[0, 0.2, 0.4, 0.6, 0.8, 1.0]),
            ),
            color=alt.Color(
                "component:N",
                title="From",
                scale=alt.Scale(domain=present, range=[COMPONENT_COLOURS[c] for c in present]),
                legend=alt.Legend(orient="bottom"),
            ),
            order=alt.Order("stack:Q"),
            tooltip=[
                alt.Tooltip("label:N", title="Category"),
                alt.Tooltip("component:N", title="Component"),
                alt.Tooltip("contribution:Q", title="Adds", format=".2f"),
                alt.Tooltip("potential:Q", title="Potential", format=".2f"),
            ],
        )
        .properties(height=alt.Step(22))
    )


@memo
def trend_chart(monthly: pl.DataFrame, currency: str, columns: int = 3) -> alt.FacetChart:
    """Small multiples of monthly net revenue, one panel per category (largest first), each on its
    own scale; partial months are drawn as hollow grey points off the line."""
    order = monthly.select("label", "rank").unique().sort("rank")["label"].to_list()
    frame = monthly.with_columns(
        pl.when(pl.col("partial"))
        .then(pl.lit("partial month"))
        .otherwise(pl.lit("full month"))
        .alias("month kind")
    )
    # Labelled once a month at most (a panel is narrow): Vega's own ticks repeat 'Jan 22' five
    # times across a range of two months.
    x = alt.X("month:T", title=None, axis=month_axis(frame["month"], 3))
    y = alt.Y(
        "revenue:Q",
        title=money_title("Net revenue", currency),
        axis=money_axis(currency, tickCount=4),
    )
    line = (
        alt.Chart()
        .transform_filter(~alt.datum.partial)
        .mark_line(color=PALETTE[0], strokeWidth=2)
        .encode(x=x, y=y)
    )
    points = (
        alt.Chart()
        .mark_point(size=28, filled=True)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "month kind:N",
                title=None,
                scale=alt.Scale(domain=["full month", "partial month"], range=[PALETTE[0], MUTED]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("label:N", title="Category"),
                alt.Tooltip("month:T", title="Month", format="%b %Y"),
                alt.Tooltip("revenue:Q", title=money_title("Net revenue", currency), format=",.0f"),
                alt.Tooltip("month kind:N", title="Covers"),
            ],
        )
    )
    return (
        alt.layer(line, points, data=frame)
        .properties(width=230, height=130)
        .facet(
            facet=alt.Facet("label:N", sort=order, title=None, header=alt.Header(labelFontSize=13)),
            columns=columns,
        )
        .resolve_scale(y="independent")
    )
