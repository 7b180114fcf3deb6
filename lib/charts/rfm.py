"""Charts of the RFM page: segment sizes against revenue share, and the R x F grid."""

from __future__ import annotations

import altair as alt
import polars as pl

from lib import fmt
from lib.charts import ACCENT, PALETTE, by_order, either, in_order, money_title, pct_axis
from lib.charts.memo import memo

MEASURES = {"customer_share": "Share of customers", "revenue_share": "Share of net revenue"}


@memo
def segment_chart(summary: pl.DataFrame, currency: str) -> alt.Chart:
    """Per segment (rows, in the summary's order) two bars: its share of customers and its share
    of net revenue, so that segments worth more than their headcount stand out."""
    revenue_title = money_title("Net revenue", currency)
    long = in_order(
        summary.unpivot(
            index=["segment", "customers", "revenue"],
            on=list(MEASURES),
            variable_name="measure",
            value_name="share",
        ).with_columns(pl.col("measure").replace_strict(MEASURES)),
        "segment",
        summary["segment"],
    )
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("segment:N", title=None, sort=by_order(), axis=alt.Axis(labelLimit=200)),
            yOffset=alt.YOffset("measure:N", sort=list(MEASURES.values())),
            x=alt.X("share:Q", title="Share", axis=pct_axis(0.0, long["share"].max())),
            color=alt.Color(
                "measure:N",
                title=None,
                sort=list(MEASURES.values()),
                scale=alt.Scale(range=[ACCENT, PALETTE[1]]),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("segment:N", title="Segment"),
                alt.Tooltip("measure:N", title="Measure"),
                alt.Tooltip("share:Q", title="Share", format=".1%"),
                alt.Tooltip("customers:Q", title="Customers", format=","),
                alt.Tooltip("revenue:Q", title=revenue_title, format=",.0f"),
            ],
        )
        # Two bars of 14 px a segment (a step is one bar), about 44 px a segment with the axes,
        # 220 px in all for fewer than five: a height in steps follows the count of segments
        # without a change to the spec.
        .properties(height=alt.Step(14) if summary.height >= 5 else 220)
    )


@memo
def grid_heatmap(grid: pl.DataFrame, bins: int, currency: str) -> alt.LayerChart:
    """R (rows, most recent on top) x F or M (columns: the grid's f_score or m_score) cells
    coloured by customers, labelled with the count, its share of customers and the average net
    revenue per customer, printed as the grid reading prints them."""
    scores = list(range(1, bins + 1))
    spend = money_title("Avg net revenue", currency)
    column, title = (
        ("m_score", "Monetary score")
        if "m_score" in grid.columns
        else ("f_score", "Frequency score")
    )
    data = grid.with_columns(
        pl.struct("customers", "share")
        .map_elements(
            lambda c: f"{fmt.count(c['customers'])} · {fmt.pct(c['share'])}",
            return_dtype=pl.String,
        )
        .alias("n"),
        pl.col("avg_monetary")
        .map_elements(lambda v: f"avg {fmt.money(v, currency)}", return_dtype=pl.String)
        .fill_null("")
        .alias("avg"),
        pl.col("segment").fill_null(""),
    )
    base = alt.Chart(data).encode(
        x=alt.X(f"{column}:O", title=title, sort=scores, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("r_score:O", title=f"Recency score ({bins} = most recent)", sort=scores[::-1]),
    )
    tooltip = [
        alt.Tooltip("r_score:O", title="R"),
        alt.Tooltip(f"{column}:O", title=column[0].upper()),
        alt.Tooltip("segment:N", title="Segment"),
        alt.Tooltip("customers:Q", title="Customers", format=","),
        alt.Tooltip("share:Q", title="Share of customers", format=".1%"),
        alt.Tooltip("avg_monetary:Q", title=spend, format=",.0f"),
    ]
    cells = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color("customers:Q", title="Customers", scale=alt.Scale(scheme="tealblues")),
        tooltip=tooltip,
    )
    # Dark cells get white text: the switch sits at half the largest count.
    light = either(
        alt.ColorValue,
        f"datum.customers > {float(grid['customers'].max() or 0) / 2}",
        "white",
        "#1e293b",
    )
    count = base.mark_text(dy=-14, fontSize=13, fontWeight="bold").encode(
        text="n:N", color=light, tooltip=tooltip
    )
    average = base.mark_text(dy=2, fontSize=11).encode(text="avg:N", color=light, tooltip=tooltip)
    segment = base.mark_text(dy=17, fontSize=10, fontStyle="italic").encode(
        text="segment:N", color=light, tooltip=tooltip
    )
    return alt.layer(cells, count, average, segment).properties(height=90 * bins)
