"""Chart of the revenue bridge: a waterfall from one period's revenue to the next."""

from __future__ import annotations

import altair as alt
import polars as pl

from lib.charts import PALETTE, money_axis, money_expr, money_title
from lib.charts.memo import memo

TOTAL = "#475569"
RISE = PALETTE[4]
FALL = PALETTE[3]
_MONEY = ",.0f"


@memo
def waterfall_chart(steps: pl.DataFrame, currency: str = "") -> alt.LayerChart:
    """revenue_bridge steps as a waterfall, left to right in their order: the two totals as
    bars from zero, each step as a floating bar from the running total before it to the one
    after it (green up, red down), labelled with its signed amount."""
    order = steps["label"].to_list()
    data = steps.select(
        "label",
        "kind",
        "value",
        "start",
        "end",
        "customers",
        pl.max_horizontal("start", "end").alias("top"),
        pl.when(pl.col("kind") == "total")
        .then(pl.lit("total"))
        .when(pl.col("value") >= 0)
        .then(pl.lit("up"))
        .otherwise(pl.lit("down"))
        .alias("way"),
    )
    title = money_title("Net revenue", currency)
    # Two-word lines under each bar: "Returning: buying more" would not fit a bar's width.
    x = alt.X(
        "label:N",
        title=None,
        sort=order,
        axis=alt.Axis(labelAngle=0, labelExpr="split(datum.label, ' ')", labelLimit=120),
    )
    tooltip = [
        alt.Tooltip("label:N", title="Step"),
        alt.Tooltip("value:Q", title=title, format=_MONEY),
        alt.Tooltip("end:Q", title="Running total", format=_MONEY),
        alt.Tooltip("customers:Q", title="Customers", format=","),
    ]
    base = alt.Chart(data).encode(x=x)
    bars = base.mark_bar(size=46).encode(
        y=alt.Y("start:Q", title=title, axis=money_axis(currency)),
        y2="end:Q",
        color=alt.Color(
            "way:N",
            scale=alt.Scale(domain=["total", "up", "down"], range=[TOTAL, RISE, FALL]),
            legend=None,
        ),
        tooltip=tooltip,
    )
    amount = money_expr(currency, "datum.value")
    labels = (
        base.transform_calculate(
            text=f"(datum.kind == 'step' && datum.value > 0 ? '+' : '') + {amount}"
        )
        .mark_text(dy=-7, fontSize=11, color="#334155")
        .encode(y="top:Q", text="text:N", tooltip=tooltip)
    )
    return alt.layer(bars, labels).properties(height=340)
