"""Charts of segment movement: a Sankey-style flow between two dates, and the movement matrix."""

from __future__ import annotations

import altair as alt
import numpy as np
import polars as pl

from lib import fmt
from lib.analyses import rfm
from lib.charts import MUTED, PALETTE, either
from lib.charts.memo import memo

GAP = 0.02  # space between nodes, as a share of the total flow
STEPS = 16  # points along each band: enough for a smooth S curve


def _stack(flows: pl.DataFrame, node: str, rank: str, within: str, gap: float) -> pl.DataFrame:
    """Each flow's band on one side: nodes stacked top-down by `rank` with `gap` between them,
    flows inside a node by `within`."""
    nodes = (
        flows.group_by(node, rank)
        .agg(pl.col("value").sum().alias("size"))
        .sort(rank)
        .with_columns(
            (pl.col("size").cum_sum() - pl.col("size") + pl.int_range(pl.len()) * gap).alias("top")
        )
    )
    return (
        flows.join(nodes.select(node, "top"), on=node)
        .sort(rank, within)
        .with_columns(
            (pl.col("top") + pl.col("value").cum_sum().over(node) - pl.col("value")).alias("y0")
        )
        .with_columns((pl.col("y0") + pl.col("value")).alias("y1"))
    )


def flow_geometry(flows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(bands, nodes) to draw movement_flows as a Sankey: bands has link, source, target,
    value, x (0 to 1), y and y2 (the band's edges at x, top-down); nodes has side ("from" or
    "to"), name, value, y, y2."""
    total = float(flows["value"].sum()) or 1.0
    gap = GAP * total
    flows = flows.with_row_index("link")
    left = _stack(flows, "source", "source_rank", "target_rank", gap)
    right = _stack(flows, "target", "target_rank", "source_rank", gap)
    ends = left.select("link", "source", "target", "value", "y0", "y1").join(
        right.select("link", pl.col("y0").alias("t0"), pl.col("y1").alias("t1")), on="link"
    )
    x = np.linspace(0.0, 1.0, STEPS)
    ease = pl.Series("ease", 3 * x**2 - 2 * x**3)
    bands = (
        ends.join(pl.DataFrame({"x": x, "ease": ease}), how="cross")
        .with_columns(
            (pl.col("y0") + (pl.col("t0") - pl.col("y0")) * pl.col("ease")).alias("y"),
            (pl.col("y1") + (pl.col("t1") - pl.col("y1")) * pl.col("ease")).alias("y2"),
        )
        .select("link", "source", "target", "value", "x", "y", "y2")
    )
    nodes = pl.concat(
        [
            side.group_by(name)
            .agg(
                pl.col("value").sum(),
                pl.col("y0").min().alias("y"),
                pl.col("y1").max().alias("y2"),
            )
            .select(pl.lit(label).alias("side"), pl.col(name).alias("name"), "value", "y", "y2")
            for side, name, label in ((left, "source", "from"), (right, "target", "to"))
        ]
    )
    return bands, nodes


@memo
def flow_chart(
    flows: pl.DataFrame, value_title: str = "Customers", first: str = "", second: str = ""
) -> alt.LayerChart:
    """A Sankey-style chart of movement_flows: segments at the first date on the left, at the
    second on the right, each band as wide as its value (customers or revenue), coloured by
    where it comes from; gone is grey. `first` and `second` label the two sides."""
    bands, nodes = flow_geometry(flows)
    names = flows.sort("source_rank")["source"].unique(maintain_order=True).to_list()
    colours = alt.Scale(domain=names, range=[PALETTE[i % len(PALETTE)] for i in range(len(names))])
    y_scale = alt.Scale(reverse=True, zero=False, nice=False)
    hidden = alt.Axis(labels=False, ticks=False, domain=False, grid=False, title=None)
    x_scale = alt.Scale(domain=[-0.45, 1.45])
    band = (
        alt.Chart(bands)
        .mark_area(opacity=0.55, interpolate="monotone")
        .encode(
            x=alt.X("x:Q", scale=x_scale, axis=None),
            y=alt.Y("y:Q", scale=y_scale, axis=hidden),
            y2="y2:Q",
            detail="link:N",
            color=alt.Color("source:N", scale=colours, legend=None),
            tooltip=[
                alt.Tooltip("source:N", title="From"),
                alt.Tooltip("target:N", title="To"),
                alt.Tooltip("value:Q", title=value_title, format=",.0f"),
            ],
        )
    )
    labelled = nodes.with_columns(
        pl.when(pl.col("side") == "from").then(-0.03).otherwise(1.03).alias("x"),
        pl.when(pl.col("side") == "from").then(0.0).otherwise(1.0).alias("x2"),
        ((pl.col("y") + pl.col("y2")) / 2).alias("middle"),
        pl.struct("name", "value")
        .map_elements(
            lambda n: f"{n['name']} ({fmt.compact(n['value'])})",
            return_dtype=pl.String,
        )
        .alias("label"),
        (pl.col("name") == "gone").alias("gone"),
    )
    bars = (
        alt.Chart(labelled)
        .mark_rect()
        .encode(
            x="x:Q",
            x2="x2:Q",
            y=alt.Y("y:Q", scale=y_scale, axis=hidden),
            y2="y2:Q",
            color=either(alt.ColorValue, "datum.gone", MUTED, "#334155"),
            tooltip=[
                alt.Tooltip("name:N", title="Segment"),
                alt.Tooltip("value:Q", title=value_title, format=",.0f"),
            ],
        )
    )
    text = alt.Chart(labelled).encode(
        y=alt.Y("middle:Q", scale=y_scale, axis=hidden), text="label:N"
    )
    left = text.transform_filter("datum.side == 'from'").mark_text(align="right", dx=-4)
    right = text.transform_filter("datum.side == 'to'").mark_text(align="left", dx=4)
    layers = [
        band,
        bars,
        left.encode(x=alt.X("x:Q", scale=x_scale)),
        right.encode(x=alt.X("x:Q", scale=x_scale)),
    ]
    heads = pl.DataFrame(
        {"x": [-0.03, 1.03], "label": [first or "First date", second or "Second date"]}
    )
    top = float(nodes["y"].min()) if nodes.height else 0.0
    layers.append(
        alt.Chart(heads.with_columns(pl.lit(top).alias("y")))
        .mark_text(fontWeight="bold", dy=-12)
        .encode(x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale), text="label:N")
    )
    return alt.layer(*layers).properties(height=max(320, 28 * nodes.height))


@memo
def movement_matrix(
    movements: pl.DataFrame, measure: str = "customers", rules: pl.DataFrame | None = None
) -> alt.LayerChart:
    """Segments at the first date (rows) against the second (columns, "gone" last), both in the
    order of `rules` (None: the default 5-bin rules), each cell coloured and labelled by its
    customers (or second-window revenue)."""
    named = rfm.segment_order(rfm.default_rules(5) if rules is None else rules)
    froms = [s for s in ["new", *named] if s in set(movements["from_segment"])]
    tos = [s for s in [*named, "gone"] if s in set(movements["to_segment"])]
    base = alt.Chart(movements).encode(
        x=alt.X(
            "to_segment:N", title="At the second date", sort=tos, axis=alt.Axis(labelAngle=-30)
        ),
        y=alt.Y("from_segment:N", title="At the first date", sort=froms),
    )
    title = "Customers" if measure == "customers" else "Revenue"
    cells = base.mark_rect().encode(
        color=alt.Color(f"{measure}:Q", title=title, scale=alt.Scale(scheme="teals")),
        tooltip=[
            alt.Tooltip("from_segment:N", title="From"),
            alt.Tooltip("to_segment:N", title="To"),
            alt.Tooltip("customers:Q", title="Customers", format=","),
            alt.Tooltip("share:Q", title="Share of the from segment", format=".1%"),
            alt.Tooltip("revenue:Q", title="Revenue in the window", format=",.0f"),
        ],
    )
    high = float(movements[measure].max() or 0) * 0.6
    labels = base.mark_text(fontSize=11).encode(
        text=alt.Text(f"{measure}:Q", format=",.0f"),
        color=either(alt.ColorValue, f"datum.{measure} > {high}", "white", "#0f172a"),
    )
    return alt.layer(cells, labels).properties(height=max(220, 30 * len(froms)))
