"""Charts of the Lifetime value page: holdout checks, purchase tracking, CLV by segment and rank."""

from __future__ import annotations

from datetime import date

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
    pct_axis,
)
from lib.charts.memo import memo

_SERIES = {"predicted": PALETTE[0], "actual": PALETTE[1]}


def _paired(groups: pl.DataFrame, predicted: str, actual: str) -> pl.DataFrame:
    data = groups.filter(pl.col("group") != "all")
    return pl.concat(
        [
            data.select("group", "customers", pl.col(predicted).alias("value")).with_columns(
                pl.lit("predicted").alias("series")
            ),
            data.select("group", "customers", pl.col(actual).alias("value")).with_columns(
                pl.lit("actual").alias("series")
            ),
        ]
    )


def _grouped_bars(
    data: pl.DataFrame, title: str | list[str], value_format: str, axis: alt.Axis | None = None
) -> alt.Chart:
    """Predicted and actual bars side by side per calibration group; `title` of the values'
    axis, in lines where one would not fit the chart's 300 px."""
    order = list(data["group"].unique(maintain_order=True))
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(
                "group:N",
                sort=order,
                title="Repeat purchases in the calibration period",
                axis=alt.Axis(labelAngle=0),
            ),
            xOffset=alt.XOffset("series:N", sort=list(_SERIES)),
            y=alt.Y("value:Q", title=title, axis=axis or alt.Axis(format=",")),
            color=alt.Color(
                "series:N",
                title=None,
                sort=list(_SERIES),
                scale=alt.Scale(domain=list(_SERIES), range=list(_SERIES.values())),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("group:N", title="Calibration repeat purchases"),
                alt.Tooltip("series:N", title="Series"),
                alt.Tooltip(
                    "value:Q",
                    title=" ".join(title) if isinstance(title, list) else title,
                    format=value_format,
                ),
                alt.Tooltip("customers:Q", title="Customers", format=","),
            ],
        )
        .properties(height=300)
    )


@memo
def holdout_purchases_chart(groups: pl.DataFrame, unit_label: str) -> alt.Chart:
    """Mean predicted and actual purchases per customer in the holdout, side by side per
    calibration frequency group (groups: Holdout.groups)."""
    data = _paired(groups, "predicted_purchases", "actual_purchases")
    title = ["Purchases per customer", f"in the holdout ({unit_label})"]
    return _grouped_bars(data, title, ",.2f")


@memo
def holdout_spend_chart(groups: pl.DataFrame, currency: str) -> alt.Chart:
    """Mean predicted and actual spend per purchase in the holdout per calibration frequency
    group, over customers who bought in the holdout (groups: Holdout.groups)."""
    data = _paired(groups, "predicted_spend", "actual_spend").filter(pl.col("value").is_not_null())
    return _grouped_bars(
        data, money_title("Spend per purchase", currency), ",.2f", money_axis(currency)
    )


@memo
def segment_chart(table: pl.DataFrame, currency: str) -> alt.Chart:
    """Total CLV per RFM segment, largest first (table: clv_by_segment, p_alive optional)."""
    title = money_title("Expected value over the horizon", currency)
    return (
        alt.Chart(table)
        .mark_bar(color=ACCENT)
        .encode(
            y=alt.Y("segment:N", sort="-x", title=None),
            x=alt.X("clv:Q", title=title, axis=money_axis(currency)),
            tooltip=[
                alt.Tooltip("segment:N", title="Segment"),
                alt.Tooltip("customers:Q", title="Customers", format=","),
                alt.Tooltip("clv:Q", title=title, format=",.0f"),
                alt.Tooltip("mean_clv:Q", title="Per customer", format=",.2f"),
                alt.Tooltip("share:Q", title="Share of total", format=".1%"),
                *(
                    [alt.Tooltip("p_alive:Q", title="Mean P(alive)", format=".1%")]
                    if "p_alive" in table.columns
                    else []
                ),
            ],
        )
        .properties(height=max(160, 28 * table.height))
    )


@memo
def concentration_chart(values: pl.DataFrame) -> alt.Chart:
    """Cumulative share of the total CLV against the share of customers ranked by CLV (values:
    customer_values), with the diagonal of an even spread."""
    ranked = values.select(pl.col("clv").drop_nulls().sort(descending=True))
    n = ranked.height
    total = ranked["clv"].sum()
    # 200 points draw the curve as well as 100k would.
    step = max(1, n // 200)
    curve = (
        ranked.with_row_index("rank", offset=1)
        .with_columns(
            (pl.col("rank") / n).alias("customers"),
            (pl.col("clv").cum_sum() / (total if total else 1.0)).alias("value"),
        )
        .filter(((pl.col("rank") - 1) % step == 0) | (pl.col("rank") == n))
        .select("customers", "value")
    )
    curve = pl.concat([pl.DataFrame({"customers": [0.0], "value": [0.0]}), curve], how="vertical")
    # Shares of a whole: both axes end at 100% (Vega's nice ticks ran the value axis to 110%).
    whole = alt.Scale(domain=[0.0, 1.0], nice=False)
    x = alt.X(
        "customers:Q",
        title="Share of customers, most valuable first",
        axis=pct_axis(0.0, 1.0),
        scale=whole,
    )
    y = alt.Y("value:Q", title="Share of expected value", axis=pct_axis(0.0, 1.0), scale=whole)
    line = (
        alt.Chart(curve)
        .mark_line(color=ACCENT, strokeWidth=2)
        .encode(
            x=x,
            y=y,
            tooltip=[
                alt.Tooltip("customers:Q", title="Top customers", format=".1%"),
                alt.Tooltip("value:Q", title="Share of value", format=".1%"),
            ],
        )
    )
    diagonal = (
        alt.Chart(pl.DataFrame({"customers": [0.0, 1.0], "value": [0.0, 1.0]}))
        .mark_line(color=MUTED, strokeDash=[4, 4])
        .encode(x=x, y=y)
    )
    return alt.layer(diagonal, line).properties(height=280)


TRACKING_COLOURS = {"actual": "#334155", "BG/NBD": PALETTE[0], "MBG/NBD": PALETTE[1]}
TRACKING_COLOURS["Pareto/NBD"] = PALETTE[2]


@memo
def tracking_chart(tracking: pl.DataFrame, calibration_end: date) -> alt.Chart:
    """Cumulative repeat purchases, actual against each purchase model, across calibration and
    holdout, with a rule at the calibration end (tracking: lib.analyses.clv.tracking)."""
    series = list(tracking["series"].unique(maintain_order=True))
    colours = [TRACKING_COLOURS.get(s, MUTED) for s in series]
    lines = (
        alt.Chart(tracking)
        .mark_line(strokeWidth=2)
        .encode(
            # Months with their year: Vega's default names a year only on a January tick, and
            # two years of ticks every other month from February show none.
            x=alt.X("day:T", title=None, axis=month_axis(tracking["day"], 8)),
            y=alt.Y("repeat_purchases:Q", title="Cumulative repeat purchases"),
            color=alt.Color(
                "series:N",
                title=None,
                sort=series,
                scale=alt.Scale(domain=series, range=colours),
                legend=alt.Legend(orient="top"),
            ),
            strokeDash=either(alt.StrokeDashValue, "datum.series === 'actual'", [1, 0], [6, 3]),
            tooltip=[
                alt.Tooltip("day:T", title="Through"),
                alt.Tooltip("series:N", title="Series"),
                alt.Tooltip("repeat_purchases:Q", title="Repeat purchases", format=",.0f"),
            ],
        )
    )
    edge = pl.DataFrame({"day": [calibration_end], "label": ["calibration ends"]})
    rule = alt.Chart(edge).mark_rule(color=MUTED, strokeDash=[4, 4]).encode(x="day:T")
    label = (
        alt.Chart(edge)
        .mark_text(align="left", dx=4, dy=-6, color=MUTED, baseline="top")
        .encode(x="day:T", y=alt.value(0), text="label:N")
    )
    return alt.layer(lines, rule, label).properties(height=300)
