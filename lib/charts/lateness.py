"""Chart of lateness and what follows: who orders again after a late or on-time first order."""

from __future__ import annotations

import altair as alt
import polars as pl

from lib import fmt
from lib.charts import pct_axis
from lib.charts.delivery import LATE, ON_TIME
from lib.charts.memo import memo

GROUP_LABELS = {"on time": "First order on time", "late": "First order late"}


@memo
def repeat_share_chart(groups: pl.DataFrame, months: int) -> alt.LayerChart:
    """Lateness.groups as one row per group: the share who ordered again within `months` as a
    point, its 95% interval as a bar through it, and the customers behind it as text."""
    data = groups.filter(pl.col("repeat_share").is_not_null()).select(
        pl.col("group").replace_strict(GROUP_LABELS, default=pl.col("group")).alias("label"),
        "group",
        "customers",
        "repeaters",
        "repeat_share",
        "share_low",
        "share_high",
    )
    data = data.with_columns(
        pl.Series(
            "behind",
            [
                f"{fmt.pct(r['repeat_share'])}: {fmt.count(r['repeaters'])} of "
                f"{fmt.count(r['customers'])} customers"
                for r in data.iter_rows(named=True)
            ],
            dtype=pl.String,
        )
    )
    high = float(data["share_high"].max() or 0.0) if data.height else 0.0
    order = [GROUP_LABELS[g] for g in ("on time", "late")]
    y = alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=220))
    x_title = (
        f"Ordered again within {fmt.counted(months, 'month')} of the first order's arrival "
        "(95% interval)"
    )
    color = alt.Color(
        "group:N", scale=alt.Scale(domain=["on time", "late"], range=[ON_TIME, LATE]), legend=None
    )
    tooltip = [
        alt.Tooltip("label:N", title="Customers"),
        alt.Tooltip("repeat_share:Q", title="Ordered again", format=".1%"),
        alt.Tooltip("share_low:Q", title="Interval from", format=".1%"),
        alt.Tooltip("share_high:Q", title="Interval to", format=".1%"),
        alt.Tooltip("repeaters:Q", title="Repeat buyers", format=","),
        alt.Tooltip("customers:Q", title="Customers followed", format=","),
    ]
    base = alt.Chart(data).encode(y=y, color=color, tooltip=tooltip)
    interval = base.mark_rule(strokeWidth=3).encode(
        x=alt.X(
            "share_low:Q",
            title=x_title,
            axis=pct_axis(0.0, high),
            scale=alt.Scale(domain=[0, high * 1.35 or 0.01]),
        ),
        x2="share_high:Q",
    )
    ends = base.mark_tick(thickness=2, size=14).encode(x="share_low:Q") + base.mark_tick(
        thickness=2, size=14
    ).encode(x="share_high:Q")
    point = base.mark_point(filled=True, size=110, opacity=1).encode(x="repeat_share:Q")
    text = base.mark_text(align="left", dx=8, fontSize=11, color="#334155").encode(
        x="share_high:Q", text="behind:N"
    )
    return alt.layer(interval, ends, point, text).properties(height=130)
