"""Charts of the churn window: how long customers wait to buy again, who has lapsed each month."""

from __future__ import annotations

import altair as alt
import polars as pl

from lib import fmt
from lib.charts import (
    ACCENT,
    MUTED,
    PALETTE,
    count_axis,
    either,
    month_axis,
    pct_axis,
)
from lib.charts.memo import memo

STATUS_LABELS = {
    "new": "New",
    "repeating": "Repeating",
    "waiting": "Waiting (within the window)",
    "lapsed": "Lapsed (past the window)",
}
STATUS_COLOURS = {"new": PALETTE[1], "repeating": ACCENT, "waiting": "#99d5cf", "lapsed": MUTED}


def status_caption(days: int) -> str:
    """The caption under status_chart, on the page and in the report (`days`: the window)."""
    return (
        "Each month's customers: new (first purchase in the month), repeating (a purchase in the "
        "month and one before), waiting (no purchase in the month, the last one within "
        f"{fmt.counted(days, 'day')} of the month's end) and lapsed (quiet for longer). The month "
        "the data ends inside is lighter: its end is the data's last day."
    )


GAP_CAPTION = (
    "A gap is the days between two consecutive days on which a customer bought. Gaps still open "
    "at the end of the data are not counted, so the windows are if anything too short."
)


@memo
def status_chart(monthly: pl.DataFrame, window: int) -> alt.Chart:
    """Customers per month stacked by status (monthly_counts with a `window` of days): new and
    repeating at the bottom, then waiting and lapsed; a month the data ends inside is lighter."""
    long = (
        monthly.select("month", "partial", "customers", *STATUS_LABELS)
        .unpivot(index=["month", "partial", "customers"], variable_name="status", value_name="n")
        .with_columns(
            pl.col("status").replace_strict(STATUS_LABELS).alias("label"),
            pl.col("status")
            .replace_strict(list(STATUS_LABELS), list(range(len(STATUS_LABELS))))
            .alias("rank"),
            pl.when(pl.col("partial"))
            .then(pl.lit("partial: the data ends inside it"))
            .otherwise(pl.lit(""))
            .alias("note"),
        )
    )
    labels = list(STATUS_LABELS.values())
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X(
                "month:T",
                timeUnit="yearmonth",
                title=None,
                axis=month_axis(monthly["month"], middle=True),
            ),
            y=alt.Y("n:Q", title="Customers", stack=True, axis=count_axis()),
            color=alt.Color(
                "label:N",
                title=f"Status (window {fmt.count(window)} days)",
                scale=alt.Scale(domain=labels, range=[STATUS_COLOURS[s] for s in STATUS_LABELS]),
                legend=alt.Legend(orient="top", labelLimit=260),
            ),
            order=alt.Order("rank:Q"),
            opacity=either(alt.OpacityValue, "datum.partial", 0.45, 1.0),
            tooltip=[
                alt.Tooltip("month:T", title="Month", format="%b %Y"),
                alt.Tooltip("label:N", title="Status"),
                alt.Tooltip("n:Q", title="Customers", format=","),
                alt.Tooltip("customers:Q", title="All customers by then", format=","),
                alt.Tooltip("note:N", title="Note"),
            ],
        )
        .properties(height=320)
    )


@memo
def gap_chart(gaps: pl.DataFrame, windows: pl.DataFrame) -> alt.LayerChart:
    """The share of repeat purchases made within each number of days of the previous one
    (gap_distribution, a step line), with a rule at each window of churn_windows."""
    curve = gaps.select("gap_days", "repeat_purchases", "cumulative_share")
    rules = windows.filter(pl.col("days").is_not_null()).select(
        "days",
        "quantile",
        pl.format("{}%: {} days", (pl.col("quantile") * 100).round(0).cast(pl.Int64), "days").alias(
            "text"
        ),
    )
    x = alt.X("gap_days:Q", title="Days since the customer's previous purchase")
    line = (
        alt.Chart(curve)
        .mark_line(interpolate="step-after", color=ACCENT, strokeWidth=2)
        .encode(
            x=x,
            y=alt.Y(
                "cumulative_share:Q",
                # Two lines: on one, the 240 px chart cut it to "...within that many da".
                title=["Repeat purchases", "within that many days"],
                axis=pct_axis(0.0, 1.0),
            ),
            tooltip=[
                alt.Tooltip("gap_days:Q", title="Days", format=","),
                alt.Tooltip(
                    "cumulative_share:Q",
                    title="Repeat purchases within that many days",
                    format=".1%",
                ),
                alt.Tooltip("repeat_purchases:Q", title="With exactly this gap", format=","),
            ],
        )
    )
    rule = (
        alt.Chart(rules)
        .mark_rule(color=PALETTE[3], strokeDash=[4, 3])
        .encode(x="days:Q", tooltip=[alt.Tooltip("text:N", title="Window")])
    )
    # One label per window, stacked at the top: two windows close together must not overlap.
    texts = [
        alt.Chart(rules.slice(i, 1))
        .mark_text(align="left", dx=4, color=PALETTE[3], fontSize=11)
        .encode(x="days:Q", y=alt.value(10 + 14 * i), text="text:N")
        for i in range(rules.height)
    ]
    return alt.layer(line, rule, *texts).properties(height=240)
