"""Charts of the Cohorts page: the cohort heatmap and the average retention curve."""

from __future__ import annotations

import altair as alt
import polars as pl

from lib import fmt
from lib.analyses.cohorts import FEW_COHORTS
from lib.charts import ACCENT, MUTED, either, money_expr, money_title, pct_axis, pct_digits
from lib.charts.memo import memo

LABELLED_COLUMNS = 26  # beyond this many periods (or rows) cell labels would overlap: tooltips only
# The colour scale of shares runs to at least this: Olist's highest cell, 1.1% (2 of 176
# customers), would otherwise be the darkest and read as a pattern.
SCALE_FLOOR = 0.1
_ROW_HEIGHT = 22


def _highest(matrix: pl.DataFrame) -> float | None:
    """The highest value after the first period (None when none is observed)."""
    later = matrix.filter((pl.col("period_index") > 0) & pl.col("observed"))
    top = later["value"].max()
    return None if top is None else float(top)


def floored(matrix: pl.DataFrame, relative: bool) -> float | None:
    """The highest share after the first period when the heatmap's colour scale runs past it to
    SCALE_FLOOR (relative values, some observed, all below it), else None."""
    top = _highest(matrix)
    return top if relative and top is not None and top < SCALE_FLOOR else None


def floor_note(matrix: pl.DataFrame, relative: bool) -> str:
    """The caption's sentence on a floored colour scale (`floored`), "" when it is not."""
    pale = floored(matrix, relative)
    if pale is None:
        return ""
    return (
        f"The colours run to {fmt.pct(SCALE_FLOOR, 0)} although the highest cell is "
        f"{fmt.pct(pale)}, so that a few customers coming back look as few as they are."
    )


def heatmap_caption(matrix: pl.DataFrame, relative: bool, grain: str, left_out: str) -> str:
    """The caption under the cohort heatmap, on the page and in the report: blank and partial
    cells, the grey first period, a floored colour scale (floor_note), the cohorts the reading
    leaves out (`left_out`: cohorts.left_out_note) and hidden cell labels."""
    hidden = (
        f"Cell labels are hidden beyond {LABELLED_COLUMNS} {grain}s: hover for values or show "
        "fewer cohorts."
        if matrix["period_index"].n_unique() > LABELLED_COLUMNS
        else ""
    )
    said = (
        f"Blank cells: {grain}s the data does not reach yet for that cohort (unknown, not zero). "
        f"\\* the data ends inside that {grain}, so it is only partly observed. Period 0 is grey: "
        "it is the first purchase itself.",
        floor_note(matrix, relative),
        left_out,
        hidden,
    )
    return " ".join(s for s in said if s)


def _value_format(metric: str, relative: bool, small: bool) -> str:
    if relative:
        return ".1%" if small else ".0%"
    return "," if metric != "revenue" else ",.0f"


def _value_title(metric: str, relative: bool, currency: str) -> str:
    if relative:
        return {
            "customers": "Active customers (% of cohort)",
            "orders": "Orders (% of first period)",
            "revenue": "Net revenue (% of first period)",
        }[metric]
    if metric == "revenue":
        return money_title("Net revenue", currency)
    return {"customers": "Active customers", "orders": "Orders"}[metric]


@memo
def retention_heatmap(
    matrix: pl.DataFrame, metric: str, relative: bool, grain: str, currency: str = ""
) -> alt.LayerChart:
    """Cohorts (rows, oldest on top) by periods since the first purchase (columns), coloured by
    the chosen value, with the cohort size (customers) in a first "Size" column.

    Cells the data does not reach yet are left blank. Period 0 is drawn grey and kept out of
    the colour scale (it is 100% by definition, or the largest amount, and would wash the rest
    out); a scale of shares runs to SCALE_FLOOR at least. Partial periods (the data ends inside
    them) carry an asterisk and a lighter fill.
    Cell labels are dropped beyond LABELLED_COLUMNS periods or rows, where they would overlap.
    """
    later = matrix.filter((pl.col("period_index") > 0) & pl.col("observed"))
    top = _highest(matrix) or 0.0
    bottom = min(0.0, float(later["value"].min() or 0.0))
    small = relative and max(abs(top), abs(bottom)) < 0.1
    top = max(top, SCALE_FLOOR) if relative else top
    fmt = _value_format(metric, relative, small)
    title = _value_title(metric, relative, currency)
    cohorts = matrix["label"].unique(maintain_order=True).to_list()
    periods = matrix["period_index"].n_unique()
    labelled = periods <= LABELLED_COLUMNS and len(cohorts) <= LABELLED_COLUMNS * 2
    size_column = "Size"
    cells = matrix.filter(pl.col("observed")).with_columns(
        pl.col("period_index").cast(pl.String).alias("column"),
        (pl.col("period_index") == 0).alias("first"),
        # Dark cells get white text: the upper part of the sequential scale.
        ((pl.col("period_index") > 0) & (pl.col("value") > bottom + 0.6 * (top - bottom))).alias(
            "dark"
        ),
        pl.when(pl.col("partial"))
        .then(pl.lit("partial: the data ends inside this period"))
        .otherwise(pl.lit(""))
        .alias("note"),
    )
    sizes = cells.filter(pl.col("first")).with_columns(pl.lit(size_column).alias("column"))
    order = [size_column, *(str(i) for i in range(periods))]
    x = alt.X(
        "column:N",
        sort=order,
        scale=alt.Scale(domain=order, paddingInner=0),
        title=f"{grain.capitalize()}s since the first purchase",
        axis=alt.Axis(labelAngle=0, orient="top", labelOverlap=False, ticks=False),
    )
    y = alt.Y(
        "label:N",
        sort=cohorts,
        scale=alt.Scale(domain=cohorts),
        title=f"Cohort (first purchase {grain})",
        axis=alt.Axis(labelLimit=160, ticks=False),
    )
    tooltip = [
        alt.Tooltip("label:N", title="Cohort"),
        alt.Tooltip("period_index:Q", title=f"{grain.capitalize()}s later"),
        alt.Tooltip("customers:Q", title="Cohort size", format=","),
        alt.Tooltip("amount:Q", title=_value_title(metric, False, currency), format=",.0f"),
        alt.Tooltip("share:Q", title="Share of first period", format=".1%"),
        alt.Tooltip("note:N", title="Note"),
    ]
    base = alt.Chart(cells).encode(x=x, y=y)
    rect = base.mark_rect(stroke="white", strokeWidth=1).encode(
        # The first period is 100% by definition: grey, out of the scale (a condition given
        # to the field channel itself: alt.condition's dict costs altair a schema search).
        color=alt.Color(
            "value:Q",
            condition={"test": "datum.first", "value": "#e2e8f0"},
            title=title,
            scale=alt.Scale(scheme="tealblues", domain=[bottom, top or 1.0]),
            legend=alt.Legend(
                orient="bottom",
                gradientLength=220,
                tickCount=4,
                **(
                    {"format": f".{pct_digits(bottom, top, 4)}%"}
                    if relative
                    else {"labelExpr": money_expr(currency)}
                    if metric == "revenue"
                    else {"format": ",~r"}
                ),
            ),
        ),
        opacity=either(alt.OpacityValue, "datum.partial", 0.55, 1.0),
        tooltip=tooltip,
    )
    size_text = (
        alt.Chart(sizes)
        .mark_text(baseline="middle", fontSize=10.5, color="#334155", fontWeight="bold")
        .encode(
            x=x,
            y=y,
            text=alt.Text("customers:Q", format=","),
            tooltip=[
                alt.Tooltip("label:N", title="Cohort"),
                alt.Tooltip("customers:Q", title="Customers", format=","),
            ],
        )
    )
    layers: list[alt.Chart] = [rect, size_text]
    if labelled:
        # Period 0 of a relative view is 100% by definition: a shorter label keeps it legible.
        # A bare 0 for nobody back keeps the eye on the cells where something happened.
        shown = (
            f"datum.first && {str(relative).lower()} ? '100%' : "
            "(datum.value === 0 ? '0' : "
            + (
                money_expr("", "datum.value")
                if metric == "revenue" and not relative
                else f"format(datum.value, '{fmt}')"
            )
            + ") + "
            "(datum.partial ? '*' : '')"
        )
        layers.append(
            base.transform_calculate(shown=shown)
            .mark_text(fontSize=10.5, baseline="middle")
            .encode(
                text="shown:N",
                color=either(alt.ColorValue, "datum.dark", "white", "#1e293b"),
                tooltip=tooltip,
            )
        )
    return (
        alt.layer(*layers)
        # fit-x: the rows keep their height; "fit" would squeeze them to make room for the axis
        # and legend.
        .properties(
            height=max(120, _ROW_HEIGHT * len(cohorts)),
            autosize=alt.AutoSizeParams(type="fit-x", contains="padding"),
        )
        .configure_view(stroke=None)
        .configure_axis(labelFontSize=11, titleFontSize=12, domain=False)
    )


@memo
def retention_curve_chart(curve: pl.DataFrame, metric: str, grain: str) -> alt.LayerChart:
    """The average cohort's share of its first period from period 1 on: the line pools cohorts
    by size, the band spans the middle half of cohorts (25th to 75th percentile)."""
    shown = curve.filter(pl.col("period_index") > 0)
    low = min(float(shown["q25"].min() or 0.0), 0.0)
    high = float(shown["q75"].max() or 0.0)
    what = {
        "customers": "Active customers, % of cohort",
        "orders": "Orders, % of first period",
        "revenue": "Net revenue, % of first period",
    }[metric]
    x = alt.X(
        "period_index:Q",
        title=f"{grain.capitalize()}s since the first purchase",
        axis=alt.Axis(tickMinStep=1, format="d"),
        scale=alt.Scale(domainMin=1, nice=False),
    )
    tooltip = [
        alt.Tooltip("period_index:Q", title=f"{grain.capitalize()}s later"),
        alt.Tooltip("mean:Q", title="Average (pooled)", format=".1%"),
        alt.Tooltip("q25:Q", title="25th percentile", format=".1%"),
        alt.Tooltip("q75:Q", title="75th percentile", format=".1%"),
        alt.Tooltip("cohorts:Q", title="Cohorts", format=","),
    ]
    base = alt.Chart(shown).encode(x=x)
    band = base.mark_area(color=ACCENT, opacity=0.18).encode(
        y=alt.Y("q25:Q", title=what, axis=pct_axis(low, high)), y2="q75:Q", tooltip=tooltip
    )
    line = base.mark_line(
        color=ACCENT, strokeWidth=2.5, point=alt.OverlayMarkDef(color=ACCENT, size=36)
    ).encode(y="mean:Q", tooltip=tooltip)
    few = (
        base.transform_filter(f"datum.cohorts < {FEW_COHORTS}")
        .mark_point(color=MUTED, size=60)
        .encode(y="mean:Q", tooltip=tooltip)
    )
    return alt.layer(band, line, few).properties(height=300)
