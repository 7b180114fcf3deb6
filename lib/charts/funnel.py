"""Charts of the Seller funnel page: conversion with intervals, cohorts, close times, rep tables."""

from __future__ import annotations

import altair as alt
import polars as pl

from lib import fmt
from lib.analyses.funnel import actionable, before_deals
from lib.charts import ACCENT, MUTED, ORDER, PALETTE, by_order, either, month_axis, pct_axis
from lib.charts.memo import memo


def _in_words(column: str) -> pl.Expr:
    """`label`: the values of `column` as the page shows them: in words, long hex ids
    shortened (fmt.label_expr)."""
    return fmt.label_expr(pl.col(column)).alias("label")


def tied_reps(column: str = "as_fast") -> pl.Expr:
    """The routing table's reps as fast as the fastest (comma-separated), each as the table's
    other reps read ('b76ef374…': fmt.label_expr), joined again; the page and the report show
    them so, the CSV keeps them whole."""
    return pl.col(column).str.split(", ").list.eval(fmt.label_expr(pl.element())).list.join(", ")


# The routing table's first columns, in the page's order (the report's too): the verdict and the
# interval it rests on come before the slowest rep, as they say how far to trust the row; the
# other columns follow.
ROUTING_ORDER = [
    "role",
    "value",
    "verdict",
    "route_to",
    "as_fast",
    "median_days",
    "days_low",
    "days_high",
    "typical_days",
    "deals",
    "reps_judged",
]
# The routing table's headers (short: the page's help has the long words), on the page and in the
# report.
ROUTING_HEADERS = {
    "role": "Role",
    "value": "Lead type / segment",
    "verdict": "Verdict",
    "route_to": "Fastest rep",
    "as_fast": "As fast",
    "median_days": "Their days",
    "days_low": "95% low",
    "days_high": "95% high",
    "typical_days": "All reps' days",
    "deals": "Their deals",
    "reps_judged": "Reps compared",
    "avoid": "Slower beyond chance",
    "avoid_median_days": "Slower's days",
}


@memo
def conversion_chart(table: pl.DataFrame, by: str, overall: float) -> alt.LayerChart:
    """Horizontal bars of conversion per value of `by` with the 95% Wilson interval as a rule
    and the overall rate as a dashed line; values ordered as in `table`. Groups that are no
    channel (unknown, empty origin, other, pooled pages: see `actionable`) are drawn grey."""
    label = by.replace("_", " ").capitalize()
    # Origins are channels; landing pages are pages, the rest pooled (funnel.OTHER_PAGES).
    kinds = (
        ("a channel", "no channel (unknown, empty, other)")
        if by == "origin"
        else ("a page", "pages pooled or unknown")
    )
    data = table.with_columns(
        _in_words(by),
        pl.when(actionable(by)).then(pl.lit(kinds[0])).otherwise(pl.lit(kinds[1])).alias("group"),
        pl.int_range(pl.len(), dtype=pl.Int32).alias(ORDER),
    )
    y = alt.Y("label:N", title=None, sort=by_order(), axis=alt.Axis(labelLimit=220))
    tooltip = [
        alt.Tooltip("label:N", title=label),
        # A shortened id in full, as the table and the download give it.
        *([alt.Tooltip(f"{by}:N", title="Full id")] if any(map(fmt.is_hash, data[by])) else []),
        alt.Tooltip("leads:Q", title="Leads", format=","),
        alt.Tooltip("deals:Q", title="Deals", format=","),
        alt.Tooltip("conversion:Q", title="Conversion", format=".1%"),
        alt.Tooltip("conversion_low:Q", title="95% low", format=".1%"),
        alt.Tooltip("conversion_high:Q", title="95% high", format=".1%"),
    ]
    base = alt.Chart(data).encode(y=y)
    bars = base.mark_bar(opacity=0.75).encode(
        x=alt.X(
            "conversion:Q",
            title="Lead → deal conversion",
            axis=pct_axis(0.0, data["conversion_high"].max()),
        ),
        color=alt.Color(
            "group:N",
            title=None,
            scale=alt.Scale(domain=list(kinds), range=[ACCENT, MUTED]),
            legend=alt.Legend(orient="bottom", labelLimit=400),
        ),
        tooltip=tooltip,
    )
    interval = base.mark_rule(color="#334155", strokeWidth=2).encode(
        x="conversion_low:Q", x2="conversion_high:Q", tooltip=tooltip
    )
    average = (
        alt.Chart(pl.DataFrame({"overall": [overall]}))
        .mark_rule(color=PALETTE[3], strokeDash=[4, 3])
        .encode(x="overall:Q", tooltip=[alt.Tooltip("overall:Q", title="All", format=".1%")])
    )
    return alt.layer(bars, interval, average).properties(height=alt.Step(24))


@memo
def cohort_chart(cohorts: pl.DataFrame) -> alt.LayerChart:
    """Monthly lead cohorts: conversion line with its 95% band and the share closed within 30
    days. Months before the deals file starts (`before_deals`) are not drawn: their deals are
    not in the data, and a first month of 4 leads would stretch the band over half the axis."""
    if 0 < before_deals(cohorts).height < cohorts.height:
        cohorts = cohorts.filter(~pl.col("before_deals"))
    data = cohorts.with_columns(pl.col("month").cast(pl.Datetime("ms")))
    x = alt.X("month:T", title=None, axis=month_axis(data["month"]))
    tooltip = [
        alt.Tooltip("month:T", title="Month", format="%b %Y"),
        alt.Tooltip("leads:Q", title="Leads", format=","),
        alt.Tooltip("deals:Q", title="Deals", format=","),
        alt.Tooltip("conversion:Q", title="Conversion", format=".1%"),
        alt.Tooltip("within_30d:Q", title="Closed within 30 days", format=".1%"),
        alt.Tooltip("observed_days:Q", title="Days observed", format=","),
    ]
    base = alt.Chart(data).encode(x=x)
    band = base.mark_area(color=ACCENT, opacity=0.18).encode(
        y=alt.Y(
            "conversion_low:Q",
            title="Conversion",
            axis=pct_axis(0.0, data["conversion_high"].max()),
        ),
        y2="conversion_high:Q",
    )
    line = base.mark_line(color=ACCENT, point=True).encode(y="conversion:Q", tooltip=tooltip)
    fast = base.mark_line(color=PALETTE[1], strokeDash=[4, 3]).encode(
        y="within_30d:Q", tooltip=tooltip
    )
    return alt.layer(band, line, fast).properties(height=300)


@memo
def days_histogram(outcomes: pl.DataFrame) -> alt.Chart:
    """Distribution of days from first contact to deal (won deals with a valid date); the top 2%
    are folded into the last bar so that a few very slow deals do not flatten the chart."""
    days = outcomes.filter(pl.col("days_to_close").is_not_null()).select("days_to_close")
    cap = days["days_to_close"].quantile(0.98) or 0
    width = max(1, int(round(cap / 30))) if cap else 1
    data = (
        days.with_columns(pl.col("days_to_close").clip(upper_bound=cap))
        .group_by(((pl.col("days_to_close") // width) * width).alias("start"))
        .len("deals")
        .with_columns((pl.col("start") + width).alias("end"))
        .sort("start")
    )
    return (
        alt.Chart(data)
        .mark_bar(color=ACCENT)
        .encode(
            x=alt.X("start:Q", title="Days from first contact to deal", bin="binned"),
            x2="end:Q",
            y=alt.Y("deals:Q", title="Deals"),
            tooltip=[
                alt.Tooltip("start:Q", title="From day"),
                alt.Tooltip("end:Q", title="To day"),
                alt.Tooltip("deals:Q", title="Deals", format=","),
            ],
        )
        .properties(height=260)
    )


@memo
def mix_chart(mix: pl.DataFrame, column: str, title: str) -> alt.Chart:
    """Closed deals per value of a deal attribute, most first."""
    return (
        alt.Chart(mix.with_columns(_in_words(column)))
        .mark_bar(color=ACCENT)
        .encode(
            y=alt.Y("label:N", title=None, sort="-x", axis=alt.Axis(labelLimit=220)),
            x=alt.X("deals:Q", title="Closed deals"),
            tooltip=[
                alt.Tooltip("label:N", title=title),
                alt.Tooltip("deals:Q", title="Deals", format=","),
                alt.Tooltip("share:Q", title="Share", format=".1%"),
                alt.Tooltip("median_days_to_close:Q", title="Median days to close"),
            ],
        )
        .properties(height=alt.Step(22))
    )


@memo
def rep_chart(reps: pl.DataFrame, rep: str) -> alt.Chart:
    """Deals won per rep (bars, most first) coloured by median days to close."""
    data = reps.with_columns(
        pl.col(rep).map_elements(fmt.short_id, return_dtype=pl.String).alias("rep")
    )
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("rep:N", title=rep.removesuffix("_id").upper(), sort="-x"),
            x=alt.X("deals:Q", title="Deals won"),
            color=alt.Color(
                "median_days_to_close:Q",
                title="Median days to close",
                scale=alt.Scale(scheme="orangered"),
            ),
            tooltip=[
                alt.Tooltip(f"{rep}:N", title="Rep"),
                alt.Tooltip("deals:Q", title="Deals", format=","),
                alt.Tooltip("share:Q", title="Share of deals", format=".1%"),
                alt.Tooltip("median_days_to_close:Q", title="Median days to close"),
            ],
        )
        .properties(height=alt.Step(22))
    )


@memo
def match_heatmap(table: pl.DataFrame, rep: str, attribute: str) -> alt.LayerChart:
    """Rep x attribute grid: colour = speed against all reps on that value (green faster, red
    slower, log scale), number = deals; cells with too few deals are grey."""
    data = table.with_columns(
        pl.col(rep).map_elements(fmt.short_id, return_dtype=pl.String).alias("rep"),
        # 0, not null, where too few deals: Vega-Lite drops a mark whose colour field is null
        # (its default for invalid values), even where the condition below gives it grey.
        pl.when(~pl.col("enough"))
        .then(0.0)
        .when(pl.col("speed").is_not_null())
        .then(pl.col("speed").log(2))
        .when(pl.col("typical_days") > 0)  # a same-day median: as fast as the scale goes
        .then(2.0)
        .otherwise(0.0)
        .alias("log_speed"),
        _in_words(attribute),
    )
    base = alt.Chart(data).encode(
        x=alt.X("label:N", title=None, axis=alt.Axis(labelAngle=-35, labelLimit=160)),
        y=alt.Y("rep:N", title=rep.removesuffix("_id").upper()),
    )
    tooltip = [
        alt.Tooltip(f"{rep}:N", title="Rep"),
        alt.Tooltip("label:N", title=attribute.replace("_", " ")),
        alt.Tooltip("deals:Q", title="Deals"),
        alt.Tooltip("share_of_rep:Q", title="Share of rep's wins", format=".1%"),
        alt.Tooltip("median_days_to_close:Q", title="Median days to close"),
        alt.Tooltip("typical_days:Q", title="All reps' median days"),
        alt.Tooltip("enough:N", title="Enough deals to judge"),
    ]
    cells = base.mark_rect(stroke="white").encode(
        color=alt.condition(
            "datum.enough",
            alt.Color(
                "log_speed:Q",
                title="Speed vs all reps (log2)",
                scale=alt.Scale(scheme="redyellowgreen", domain=[-2, 2], clamp=True),
            ),
            alt.value("#d1d5db"),
        ),
        tooltip=tooltip,
    )
    text = base.mark_text(fontSize=11).encode(
        text="deals:Q",
        color=either(alt.ColorValue, "datum.enough", "#0f172a", MUTED),
        tooltip=tooltip,
    )
    return alt.layer(cells, text).properties(height=alt.Step(26))
