"""Charts of the Clusters page: shares, drivers, diagnostics, ROI, 2-D projection, RFM crosstab."""

from __future__ import annotations

import altair as alt
import polars as pl

from lib.charts import (
    ACCENT,
    MUTED,
    PALETTE,
    by_order,
    either,
    in_order,
    money_axis,
    money_title,
    number_digits,
    pct_axis,
)
from lib.charts.memo import memo


def cluster_label(cluster: pl.Expr | None = None, name: pl.Expr | None = None) -> pl.Expr:
    """'2 · lapsed occasional buyers': the number keeps the order, the name says what it is."""
    cluster = pl.col("cluster") if cluster is None else cluster
    name = pl.col("name") if name is None else name
    return (cluster.cast(pl.String) + " · " + name).alias("cluster_label")


@memo
def share_chart(profiles: pl.DataFrame, height: int = 56) -> alt.Chart:
    """Share of customers against share of net revenue, one pair of bars per cluster."""
    frame = profiles.select(
        "cluster",
        cluster_label(),
        pl.col("customer_share").alias("customers"),
        pl.col("revenue_share").alias("net revenue"),
    ).unpivot(index=["cluster", "cluster_label"], variable_name="measure", value_name="share")
    # Clusters in their number's order, which starts each label (by_order: the spec stays put).
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y(
                "cluster_label:N",
                title=None,
                sort=by_order("cluster"),
                axis=alt.Axis(labelLimit=260),
            ),
            yOffset=alt.YOffset("measure:N", sort=["customers", "net revenue"]),
            x=alt.X(
                "share:Q",
                title="Share of all customers / of net revenue",
                axis=pct_axis(0.0, frame["share"].max()),
            ),
            color=alt.Color(
                "measure:N",
                title=None,
                scale=alt.Scale(domain=["customers", "net revenue"], range=[MUTED, ACCENT]),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("cluster_label:N", title="Cluster"),
                alt.Tooltip("measure:N", title="Share of"),
                alt.Tooltip("share:Q", title="Share", format=".1%"),
            ],
        )
        .properties(height=alt.Step(height // 2))
    )


@memo
def drivers_chart(drivers: pl.DataFrame, names: dict[int, str]) -> alt.LayerChart:
    """Heatmap of clusters x features: how many standard deviations each cluster's mean sits
    above or below the average customer, the value written in each cell, coloured blue where
    that is better for the shop and red where worse (drivers' `better`: fewer days since the
    last order is better; a platform's share is neither, left uncoloured). The colours span ±1
    or the largest distance if more; cells past 55% of it are written in white."""
    reach = max(1.0, float(drivers["z"].abs().max() or 1.0))
    frame = drivers.with_columns(
        (pl.col("z").abs() > reach * 0.55).alias("dark"),
        cluster_label(name=pl.col("cluster").replace_strict(names, return_dtype=pl.String)),
        # rounded, signed above zero: -0.04 and 0.04 read 0.0, not -0.0 or +0.0
        (
            pl.when(pl.col("z").round(1) > 0).then(pl.lit("+")).otherwise(pl.lit(""))
            + pl.when(pl.col("z").round(1) == 0)
            .then(0.0)
            .otherwise(pl.col("z").round(1))
            .cast(pl.String)
        ).alias("z_text"),
    )
    base = alt.Chart(frame).encode(
        x=alt.X(
            "label:N",
            title=None,
            sort=by_order("position"),
            axis=alt.Axis(labelAngle=0, orient="top", labelLimit=150, labelExpr=_wrap()),
        ),
        y=alt.Y(
            "cluster_label:N", title=None, sort=by_order("cluster"), axis=alt.Axis(labelLimit=260)
        ),
    )
    colour = alt.Color(
        "better:Q",
        title="Std. dev. better (blue) or worse (red) than average",
        scale=alt.Scale(scheme="redblue", reverse=False),
        # Unsigned, in words: a cell's own figure is signed by its feature ('+1.5' days since
        # the last order is worse), the colour by what is better for the shop.
        legend=alt.Legend(
            orient="bottom",
            gradientLength=240,
            titleLimit=400,
            labelExpr="datum.value < 0 ? format(-datum.value, '.1~f') + ' worse' : "
            "datum.value > 0 ? format(datum.value, '.1~f') + ' better' : 'average'",
        ),
    )
    # The colour domain is the data's extent: these two ends, drawn nowhere (a transparent rect
    # under the cells, hidden from screen readers), set it to ±reach.
    ends = (
        alt.Chart(pl.DataFrame({"better": [-reach, reach]}))
        .mark_rect(opacity=0, aria=False)
        .encode(color=colour)
    )
    cells = base.mark_rect(stroke="white").encode(
        color=colour,
        tooltip=[
            alt.Tooltip("cluster_label:N", title="Cluster"),
            alt.Tooltip("label:N", title="Feature"),
            alt.Tooltip("z:Q", title="Std. dev. from average", format="+.2f"),
            alt.Tooltip("rank:Q", title="Driver rank"),
        ],
    )
    text = base.mark_text(fontSize=12).encode(
        text=alt.Text("z_text:N"),
        color=either(alt.ColorValue, "datum.dark", "white", "#1e293b"),
    )
    return alt.layer(ends, cells, text).properties(height=alt.Step(38))


def _wrap() -> str:
    """Vega label expression splitting long feature labels over two lines."""
    return (
        "length(datum.label) > 14 ? [slice(datum.label, 0, indexof(datum.label, ' ', 9) > 0 ? "
        "indexof(datum.label, ' ', 9) : 14), slice(datum.label, indexof(datum.label, ' ', 9) > 0 "
        "? indexof(datum.label, ' ', 9) + 1 : 14)] : datum.label"
    )


@memo
def diagnostics_chart(table: pl.DataFrame, suggested_k: int) -> alt.HConcatChart:
    """Inertia (elbow), silhouette (higher is better) and Davies-Bouldin (lower is better) against
    k, the suggested k marked in each panel."""
    panels = []
    # Scores as decimals, as many as the panel's range needs for distinct tick labels.
    digits = {
        c: max(2, number_digits(table[c].min(), table[c].max()))
        for c in ("silhouette", "davies_bouldin")
    }
    for column, title, fmt in (
        ("inertia", "Inertia (look for the elbow)", ",.3~s"),
        ("silhouette", "Silhouette (higher is better)", f".{digits['silhouette']}f"),
        ("davies_bouldin", "Davies-Bouldin (lower is better)", f".{digits['davies_bouldin']}f"),
    ):
        base = alt.Chart(table.with_columns((pl.col("k") == suggested_k).alias("suggested")))
        line = base.mark_line(color=ACCENT, point=alt.OverlayMarkDef(color=ACCENT, size=50)).encode(
            x=alt.X("k:O", title="Clusters (k)", axis=alt.Axis(labelAngle=0)),
            y=alt.Y(
                f"{column}:Q",
                title=None,
                scale=alt.Scale(zero=False),
                axis=alt.Axis(format=fmt, tickCount=5),
            ),
            tooltip=[alt.Tooltip("k:O"), alt.Tooltip(f"{column}:Q", format=fmt)],
        )
        mark = (
            base.transform_filter("datum.suggested")
            .mark_point(color=PALETTE[3], size=220, shape="circle", filled=False, strokeWidth=2.5)
            .encode(x="k:O", y=f"{column}:Q")
        )
        panels.append((line + mark).properties(title=title, width=230, height=200))
    return alt.hconcat(*panels).resolve_scale(y="independent")


@memo
def roi_chart(roi: pl.DataFrame, currency: str) -> alt.LayerChart:
    """Profit per customer of each cluster (margin minus cost), best on top, losses in red."""
    frame = roi.select(
        "cluster", cluster_label(), "profit_per_customer", "roi", "revenue_per_customer"
    )
    frame = in_order(frame, "cluster", roi["cluster"])  # roi's order: best first
    base = alt.Chart(frame).encode(
        y=alt.Y("cluster_label:N", title=None, sort=by_order(), axis=alt.Axis(labelLimit=260)),
        x=alt.X(
            "profit_per_customer:Q",
            title=money_title("Profit per customer", currency),
            # Few enough ticks that every label shows: no hidden 0 between "-$2" and "$2".
            axis=money_axis(currency, tickCount=8),
        ),
    )
    bars = base.mark_bar().encode(
        color=either(alt.ColorValue, "datum.profit_per_customer < 0", PALETTE[3], ACCENT),
        tooltip=[
            alt.Tooltip("cluster_label:N", title="Cluster"),
            alt.Tooltip(
                "revenue_per_customer:Q",
                title=money_title("Revenue per customer", currency),
                format=",.2f",
            ),
            alt.Tooltip(
                "profit_per_customer:Q",
                title=money_title("Profit per customer", currency),
                format=",.2f",
            ),
            alt.Tooltip("roi:Q", title="ROI", format="+.1%"),
        ],
    )
    rule = alt.Chart(pl.DataFrame({"x": [0.0]})).mark_rule(color="#334155").encode(x="x:Q")
    return (bars + rule).properties(height=alt.Step(34))


@memo
def projection_chart(points: pl.DataFrame, explained: tuple[float, float]) -> alt.Chart:
    """Customers on the first two principal components, coloured by cluster."""
    frame = points.with_columns(cluster_label())
    return (
        alt.Chart(frame)
        .mark_circle(size=18, opacity=0.55)
        .encode(
            x=alt.X("pc1:Q", title=f"Component 1 ({explained[0]:.0%} of variation)"),
            y=alt.Y("pc2:Q", title=f"Component 2 ({explained[1]:.0%} of variation)"),
            color=alt.Color(
                "cluster_label:N",
                title="Cluster",
                sort=by_order("cluster"),
                scale=alt.Scale(range=PALETTE),
                legend=alt.Legend(orient="right", labelLimit=260),
            ),
            tooltip=[alt.Tooltip("cluster_label:N", title="Cluster")],
        )
        .properties(height=420)
    )


@memo
def crosstab_chart(cross: pl.DataFrame) -> alt.LayerChart:
    """Heatmap of clusters x RFM segments: share of each cluster's customers in each segment."""
    segments = (
        cross.group_by("segment")
        .agg(pl.col("customers").sum())
        .sort("customers", descending=True)["segment"]
    )
    frame = in_order(cross.with_columns(cluster_label()), "segment", segments)  # largest first
    base = alt.Chart(frame).encode(
        x=alt.X(
            "segment:N",
            title="RFM segment",
            sort=by_order(),
            axis=alt.Axis(labelAngle=-30, labelLimit=140),
        ),
        y=alt.Y(
            "cluster_label:N", title=None, sort=by_order("cluster"), axis=alt.Axis(labelLimit=260)
        ),
    )
    cells = base.mark_rect(stroke="white").encode(
        color=alt.Color(
            "share:Q",
            title="Share of the cluster",
            scale=alt.Scale(scheme="teals", domain=[0, 1]),
            legend=alt.Legend(format="%", orient="bottom"),
        ),
        tooltip=[
            alt.Tooltip("cluster_label:N", title="Cluster"),
            alt.Tooltip("segment:N", title="RFM segment"),
            alt.Tooltip("customers:Q", title="Customers", format=","),
            alt.Tooltip("share:Q", title="Share of the cluster", format=".1%"),
        ],
    )
    text = base.mark_text(fontSize=11).encode(
        text=alt.Text("share:Q", format=".0%"),
        color=either(alt.ColorValue, "datum.share > 0.55", "white", "#1e293b"),
    )
    return (cells + text).properties(height=alt.Step(36))
