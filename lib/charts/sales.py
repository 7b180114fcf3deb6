"""Charts of the Sales page: revenue over time, weekday x hour, baskets, repeat gaps, new vs old."""

from __future__ import annotations

import altair as alt
import polars as pl

from lib.charts import (
    ACCENT,
    MUTED,
    PALETTE,
    either,
    money_axis,
    money_title,
    month_axis,
    period_axis,
)
from lib.charts.memo import memo

_MONEY = ",.0f"


@memo
def revenue_chart(
    series: pl.DataFrame, grain: str, currency: str, kind: str = "bars"
) -> alt.LayerChart:
    """Net revenue per period (bars or a line) with its moving average; partial periods are
    drawn lighter, labelled "partial", and kept out of the line so that they never read as a
    collapse. The tooltip gives the period-over-period change."""
    title = money_title("Net revenue", currency)
    every = {"day": "1d", "week": "1w", "month": "1mo"}[grain]
    start = pl.col("period").cast(pl.Datetime("ms"))
    # Bars span 85% of their period on the time axis, so a month bar is as wide as a month, and
    # are centred on the period's start: the axis labels each period at its start, under its bar
    # (a bar drawn from the start sat right of its label, under the gap before the next).
    half = (start.dt.offset_by(every) - start) * 0.425
    data = series.with_columns(
        pl.when(pl.col("partial")).then(pl.lit("partial")).otherwise(pl.lit("")).alias("note"),
        start.alias("period"),
        (start - half).alias("bar_start"),
        (start + half).alias("bar_end"),
    )
    axis = (
        month_axis(series["period"]) if grain == "month" else period_axis(series["period"], every)
    )
    base = alt.Chart(data).encode(x=alt.X("period:T", title=None, axis=axis))
    tooltip = [
        alt.Tooltip("label:N", title="Period"),
        alt.Tooltip("revenue:Q", title=title, format=_MONEY),
        alt.Tooltip("change:Q", title="vs previous period", format="+.1%"),
        alt.Tooltip("orders:Q", title="Orders", format=","),
        alt.Tooltip("moving_avg:Q", title="Moving average", format=_MONEY),
        alt.Tooltip("note:N", title="Note"),
    ]
    y = alt.Y("revenue:Q", title=title, axis=money_axis(currency))
    if kind == "line":
        marks = alt.layer(
            base.transform_filter("!datum.partial")
            .mark_line(color=ACCENT, strokeWidth=2)
            .encode(y=y),
            base.mark_point(filled=True, size=40).encode(
                y=y,
                color=either(alt.ColorValue, "datum.partial", MUTED, ACCENT),
                tooltip=tooltip,
            ),
        )
    else:
        marks = base.mark_bar(color=ACCENT).encode(
            x=alt.X("bar_start:T", title=None, axis=axis),
            x2="bar_end:T",
            y=y,
            y2=alt.datum(0),
            opacity=either(alt.OpacityValue, "datum.partial", 0.35, 1.0),
            tooltip=tooltip,
        )
    average = base.mark_line(color=PALETTE[1], strokeDash=[6, 3], strokeWidth=2).encode(
        y=alt.Y("moving_avg:Q"), tooltip=tooltip
    )
    label = (
        base.transform_filter("datum.partial")
        .mark_text(dy=-8, color="#475569", fontSize=11)
        .encode(y=alt.Y("revenue:Q"), text="note:N")
    )
    return alt.layer(marks, average, label).properties(height=320)


@memo
def weekday_hour_heatmap(grid: pl.DataFrame) -> alt.Chart:
    """Orders per weekday (rows, Monday first) and hour of the day (columns)."""
    return (
        alt.Chart(grid)
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title="Hour of the day", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("day:N", title=None, sort=list(grid["day"].unique(maintain_order=True))),
            color=alt.Color("orders:Q", title="Orders", scale=alt.Scale(scheme="tealblues")),
            tooltip=[
                alt.Tooltip("day:N", title="Day"),
                alt.Tooltip("hour:O", title="Hour"),
                alt.Tooltip("orders:Q", title="Orders", format=","),
            ],
        )
        .properties(height=260)
    )


@memo
def basket_chart(sizes: pl.DataFrame, measure: str) -> alt.Chart:
    """Orders per basket size (lines or units per order); the long tail is binned."""
    word = "Lines" if measure == "lines" else "Units"
    few = sizes.height <= 40
    x = (
        alt.X("size:O", title=f"{word} per order", axis=alt.Axis(labelAngle=0))
        if few
        else alt.X("size:Q", title=f"{word} per order", bin=alt.Bin(maxbins=40))
    )
    return (
        alt.Chart(sizes)
        .mark_bar(color=ACCENT)
        .encode(
            x=x,
            y=alt.Y("sum(orders):Q", title="Orders"),
            tooltip=[
                alt.Tooltip("size:O", title=f"{word} per order")
                if few
                else alt.Tooltip("size:Q", title=f"{word} per order", bin=alt.Bin(maxbins=40)),
                alt.Tooltip("sum(orders):Q", title="Orders", format=","),
            ],
        )
        .properties(height=280)
    )


@memo
def gap_histogram(gaps: pl.DataFrame, median: float | None) -> alt.LayerChart:
    """Days between a customer's consecutive orders, with the median marked."""
    # Counted per number of days here: the browser gets a row per value, not one per gap.
    counts = gaps.group_by("days").agg(pl.len().alias("orders")).sort("days")
    bars = (
        alt.Chart(counts)
        .mark_bar(color=ACCENT)
        .encode(
            x=alt.X("days:Q", bin=alt.Bin(maxbins=40), title="Days to the next order"),
            y=alt.Y("sum(orders):Q", title="Repeat orders"),
            tooltip=[
                alt.Tooltip("days:Q", bin=True, title="Days"),
                alt.Tooltip("sum(orders):Q", title="Repeat orders", format=","),
            ],
        )
    )
    layers = [bars]
    if median is not None:
        rule = pl.DataFrame({"median": [median], "text": [f"median {median:,.0f} days"]})
        layers.append(
            alt.Chart(rule).mark_rule(color=PALETTE[3], strokeDash=[4, 3]).encode(x="median:Q")
        )
        layers.append(
            alt.Chart(rule)
            .mark_text(align="left", dx=4, color=PALETTE[3])
            .encode(x="median:Q", y=alt.value(10), text="text:N")
        )
    return alt.layer(*layers).properties(height=280)


@memo
def new_vs_returning_chart(split: pl.DataFrame, currency: str) -> alt.Chart:
    """Monthly net revenue stacked by new (first-order month) and returning customers."""
    title = money_title("Net revenue", currency)
    return (
        alt.Chart(split)
        .mark_bar()
        .encode(
            x=alt.X(
                "month:T",
                title=None,
                timeUnit="yearmonth",
                axis=month_axis(split["month"], middle=True),
            ),
            y=alt.Y("revenue:Q", title=title, stack=True, axis=money_axis(currency)),
            color=alt.Color(
                "kind:N",
                title="Customers",
                scale=alt.Scale(domain=["new", "returning"], range=[PALETTE[1], ACCENT]),
            ),
            order=alt.Order("kind:N", sort="descending"),
            tooltip=[
                alt.Tooltip("month:T", title="Month", format="%b %Y"),
                alt.Tooltip("kind:N", title="Customers"),
                alt.Tooltip("revenue:Q", title=title, format=_MONEY),
            ],
        )
        .properties(height=300)
    )
