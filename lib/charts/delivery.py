"""Charts of the Delivery page: stage durations, monthly trend, breakdowns, reviews by lateness."""

from __future__ import annotations

import altair as alt
import polars as pl

from lib.analyses.delivery import FEW_REVIEWED
from lib.charts import ACCENT, MUTED, PALETTE, month_axis, pct_axis
from lib.charts.memo import memo

LATE = "#ef4444"
ON_TIME = ACCENT


@memo
def stages_chart(stages: pl.DataFrame, height: int = 200) -> alt.LayerChart:
    """Horizontal bars of the median days per stage with a tick at the 90th percentile."""
    frame = stages.filter(pl.col("orders") > 0).select("label", "median_days", "p90_days", "orders")
    order = frame["label"].to_list()
    base = alt.Chart(frame).encode(
        y=alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=260))
    )
    tooltip = [
        alt.Tooltip("label:N", title="stage"),
        alt.Tooltip("median_days:Q", title="median days", format=".1f"),
        alt.Tooltip("p90_days:Q", title="90th percentile", format=".1f"),
        alt.Tooltip("orders:Q", title="orders", format=","),
    ]
    bars = base.mark_bar(color=ACCENT).encode(
        x=alt.X("median_days:Q", title="Days (median bar, 90th percentile tick)"), tooltip=tooltip
    )
    ticks = base.mark_tick(color=LATE, thickness=3, size=22).encode(x="p90_days:Q", tooltip=tooltip)
    return (bars + ticks).properties(height=height)


@memo
def month_chart(months: pl.DataFrame, height: int = 300) -> alt.VConcatChart:
    """Late rate per month (line) above the median days promised and taken (two lines)."""
    frame = months.select(
        pl.col("month").dt.date(), "orders", "late_rate", "median_days", "median_promised_days"
    )
    x = alt.X("month:T", title=None, axis=month_axis(frame["month"], 8))
    late = (
        alt.Chart(frame)
        .mark_line(point=alt.OverlayMarkDef(color=LATE), color=LATE)
        .encode(
            x=x,
            y=alt.Y("late_rate:Q", title="Late rate", axis=pct_axis(0.0, frame["late_rate"].max())),
            tooltip=[
                alt.Tooltip("month:T", title="bought in", format="%B %Y"),
                alt.Tooltip("late_rate:Q", title="late rate", format=".1%"),
                alt.Tooltip("orders:Q", title="delivered orders", format=","),
            ],
        )
        .properties(height=height // 2)
    )
    days = (
        alt.Chart(frame)
        .transform_fold(["median_promised_days", "median_days"], as_=["what", "days"])
        .transform_calculate(
            what="datum.what == 'median_days' ? 'taken (median)' : 'promised (median)'"
        )
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y("days:Q", title="Days"),
            color=alt.Color(
                "what:N",
                title=None,
                scale=alt.Scale(
                    domain=["promised (median)", "taken (median)"], range=[MUTED, PALETTE[2]]
                ),
                # Under the days chart it names: a legend on top of the two charts sat over the
                # late rate's red line, which it does not describe.
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("month:T", format="%B %Y"),
                alt.Tooltip("what:N", title="days"),
                alt.Tooltip("days:Q", format=".1f"),
            ],
        )
        .properties(height=height // 2)
    )
    return alt.vconcat(late, days).resolve_scale(x="shared")


BARS = 15  # late-rate bars drawn at most, the worst first


@memo
def late_rate_bars(
    table: pl.DataFrame, column: str, title: str, top: int = BARS, overall: float | None = None
) -> alt.LayerChart:
    """The `top` rows of `table` (performance_by) as horizontal late-rate bars, worst first,
    with the overall late rate as a rule."""
    frame = table.head(top).select(
        pl.col(column).cast(pl.String).alias("group"),
        "orders",
        "late_rate",
        "median_days",
        "review",
    )
    order = frame["group"].to_list()
    bars = (
        alt.Chart(frame)
        .mark_bar(color=LATE)
        .encode(
            y=alt.Y(
                "group:N",
                title=title,
                sort=order,
                axis=alt.Axis(labelLimit=220, labelOverlap=False),
            ),
            x=alt.X("late_rate:Q", title="Late rate", axis=pct_axis(0.0, frame["late_rate"].max())),
            tooltip=[
                alt.Tooltip("group:N", title=title),
                alt.Tooltip("late_rate:Q", title="late rate", format=".1%"),
                alt.Tooltip("orders:Q", title="delivered orders", format=","),
                alt.Tooltip("median_days:Q", title="median days", format=".1f"),
                alt.Tooltip("review:Q", title="mean review", format=".2f"),
            ],
        )
    )
    chart = bars
    if overall is not None:
        rule = (
            alt.Chart(pl.DataFrame({"late_rate": [overall]}))
            .mark_rule(color=MUTED, strokeDash=[4, 3], size=2)
            .encode(x="late_rate:Q")
        )
        chart = bars + rule
    return chart.properties(height=max(120, 26 * frame.height))


@memo
def reviews_chart(reviews: pl.DataFrame, height: int = 300) -> alt.Chart:
    """Mean review per day early or late, bars coloured late / on time, faint where fewer than
    FEW_REVIEWED orders were reviewed (reviews_note says so)."""
    frame = reviews.with_columns(
        pl.when(pl.col("late")).then(pl.lit("late")).otherwise(pl.lit("on time")).alias("outcome")
    )
    # Every day of the range a slot, those without a reviewed order empty: the labels every 5
    # days stay in place (with only the days present, a few orders left one label, '-5').
    days = frame["offset_days"].drop_nulls()
    slots = list(range(int(days.min()), int(days.max()) + 1)) if days.len() else []
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(
                "offset_days:O",
                title="Days after the estimated day (negative = early; ends pooled)",
                scale=alt.Scale(domain=slots) if slots else alt.Undefined,
                # Every 5th day; each day on a range of ten days or less.
                axis=alt.Axis(
                    labelAngle=0, values=slots if len(slots) <= 10 else slots[(-slots[0]) % 5 :: 5]
                ),
            ),
            y=alt.Y("review:Q", title="Mean review (stars)", scale=alt.Scale(domain=[0, 5])),
            color=alt.Color(
                "outcome:N",
                title=None,
                scale=alt.Scale(domain=["on time", "late"], range=[ON_TIME, LATE]),
                legend=alt.Legend(orient="top"),
            ),
            opacity=alt.condition(alt.datum.orders < FEW_REVIEWED, alt.value(0.35), alt.value(1.0)),
            tooltip=[
                alt.Tooltip("offset_days:O", title="days after the estimated day"),
                alt.Tooltip("review:Q", title="mean review", format=".2f"),
                alt.Tooltip("low_share:Q", title="1-2 stars", format=".1%"),
                alt.Tooltip("orders:Q", format=","),
            ],
        )
        .properties(height=height)
    )
