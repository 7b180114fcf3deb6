"""Delivery: on-time rate, where time is lost, who delivers late and what lateness costs."""

import polars as pl
import streamlit as st

from lib import fmt, state
from lib.analyses import delivery as dv
from lib.analyses import regions
from lib.catalog import PAGE_BY_KEY
from lib.charts import delivery as charts
from lib.charts import maps
from pages.common import ui


@st.cache_data(max_entries=10, show_spinner="Measuring every delivery…")
def cached_facts(key: str, _orders: pl.DataFrame) -> pl.DataFrame:
    return dv.delivery_facts(_orders)


@st.cache_data(max_entries=10, show_spinner=False)
def cached_keys(key: str, _ds) -> pl.DataFrame:
    return dv.order_keys(_ds)


@st.cache_data(max_entries=10, show_spinner="Linking orders to sellers and categories…")
def cached_keyed(key: str, _facts: pl.DataFrame, _keys: pl.DataFrame) -> pl.DataFrame:
    return dv.keyed_facts(_facts, _keys)


@st.cache_data(max_entries=10, show_spinner=False)
def cached_places(key: str, _values: pl.Series) -> pl.DataFrame:
    return regions.match_regions(_values).places


kpis_of = ui.cached(dv.kpis)
stages_of = ui.cached(dv.stage_durations)
months_of = ui.cached(dv.by_month)
reviews_of = ui.cached(dv.reviews_by_lateness)


@st.cache_data(max_entries=20, show_spinner=False)
def performance(key: str, _keyed: pl.DataFrame, column: str) -> pl.DataFrame:
    return dv.performance_by(_keyed, column)


@st.cache_data(max_entries=10, show_spinner=False)
def sellers_of(key: str, _keyed: pl.DataFrame, overall: float) -> pl.DataFrame:
    return dv.seller_table(_keyed, overall)


DAYS = st.column_config.NumberColumn(format="%.1f")
STARS = st.column_config.NumberColumn(format="%.2f")
TABLE_CONFIG = {
    "orders": st.column_config.NumberColumn("delivered orders", format="localized"),
    "late_orders": st.column_config.NumberColumn("late orders", format="localized"),
    "late_rate": st.column_config.NumberColumn("late rate", format="percent"),
    "severe_rate": st.column_config.NumberColumn(">7 days late", format="percent"),
    "median_days": st.column_config.NumberColumn("median days", format="%.1f"),
    "mean_days": st.column_config.NumberColumn("mean days", format="%.1f"),
    "review": st.column_config.NumberColumn("review", format="%.2f"),
    "review_late": st.column_config.NumberColumn("review late", format="%.2f"),
    "review_on_time": st.column_config.NumberColumn("review on time", format="%.2f"),
    "excess_late": st.column_config.NumberColumn("late above average", format="%.1f"),
}

ds = state.dataset()
st.title("Delivery")
st.caption(PAGE_BY_KEY["delivery"].answers)
orders = state.require(
    "orders",
    "delivered_at",
    "estimated_delivery_at",
    hint="Needs delivery dates: upload olist_orders_dataset.csv.",
)
facts = cached_facts(ds.key, orders)
keys = cached_keys(ds.key, ds)
keyed = cached_keyed(ds.key, facts, keys)
summary = kpis_of(ds.key, facts)

# --- KPIs -------------------------------------------------------------------------------------
definitions = dict(summary.select("kpi", "definition").iter_rows())


def _metric(col, label: str, name: str, text: str) -> None:
    col.metric(label, text, help=definitions[name])


def _days(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} d"


row = st.columns(5)
_metric(row[0], "On-time rate", "on-time rate", fmt.pct(dv.kpi(summary, "on-time rate")))
_metric(
    row[1],
    "Median days to deliver",
    "median days to deliver",
    _days(dv.kpi(summary, "median days to deliver")),
)
_metric(
    row[2],
    "Mean days to deliver",
    "mean days to deliver",
    _days(dv.kpi(summary, "mean days to deliver")),
)
_metric(row[3], "Mean days late", "mean days late", _days(dv.kpi(summary, "mean days late")))
_metric(
    row[4],
    "More than 7 days late",
    "more than 7 days late",
    fmt.pct(dv.kpi(summary, "more than 7 days late")),
)
never = summary.filter(pl.col("kpi").str.starts_with("not delivered"))
row = st.columns(5)
_metric(
    row[0], "Delivered orders", "delivered orders", fmt.count(dv.kpi(summary, "delivered orders"))
)
row[1].metric(
    "Never delivered",
    fmt.count(never["value"].sum()),
    help="Orders without a usable delivery date, by status: "
    + (
        ", ".join(
            f"{k.removeprefix('not delivered: ')} {v:,.0f}"
            for k, v in never.select("kpi", "value").iter_rows()
        )
        or "none"
    ),
)
_metric(
    row[2], "Impossible dates", "impossible dates", fmt.count(dv.kpi(summary, "impossible dates"))
)
for col, name in zip(row[3:], ("review when late", "review when on time"), strict=True):
    value = dv.kpi(summary, name)
    _metric(col, name.capitalize(), name, "n/a" if value is None else f"{value:.2f} ★")
ui.reading(dv.kpi_reading(summary))
impossible = int(dv.kpi(summary, "impossible dates") or 0)
st.caption(
    "Late = delivered after the estimated date, on delivered orders; days are calendar days "
    f"(24 h, weekends included). {fmt.count(impossible)} orders delivered before purchase or "
    "before carrier pickup are left out of every duration (they still count for the on-time "
    "rate; see Data quality)."
)
with st.expander("Every figure with its definition, and orders never delivered by status"):
    st.dataframe(
        summary,
        hide_index=True,
        column_config={"value": st.column_config.NumberColumn(format="%.3f")},
    )
    ui.download(summary, "delivery_kpis", key="delivery_dl_kpis")

# --- stages -----------------------------------------------------------------------------------
st.subheader("Where the time goes")
stages = stages_of(ds.key, facts)
st.altair_chart(charts.stages_chart(stages), width="stretch")
ui.reading(dv.stage_reading(stages))
with st.expander("Stage table"):
    st.dataframe(
        stages.drop("stage"),
        hide_index=True,
        column_config={
            "label": "stage",
            "median_days": DAYS,
            "p90_days": st.column_config.NumberColumn("90th percentile", format="%.1f"),
            "mean_days": DAYS,
        },
    )
    ui.download(stages, "delivery_stages", key="delivery_dl_stages")

overall = dv.kpi(summary, "late rate") or 0.0

# --- regions ----------------------------------------------------------------------------------
st.subheader("By region")
left, right = st.columns(2)
side = left.segmented_control(
    "Region of",
    ["customer_region", "seller_region"],
    default="customer_region",
    format_func={"customer_region": "Customer state", "seller_region": "Seller state"}.get,
    key="delivery_side",
)
side = side or "customer_region"
metric = right.selectbox(
    "Map colour and size", list(dv.METRICS), format_func=dv.METRICS.get, key="delivery_metric"
)
by_region = performance(ds.key, keyed, side)
where = "customer" if side == "customer_region" else "seller"
if by_region.filter(pl.col(side) != dv.UNKNOWN).height == 0:
    source = "olist_customers_dataset.csv" if where == "customer" else "olist_sellers_dataset.csv"
    st.info(f"No {where} state is known: upload {source} to see delivery by region.")
else:
    places = cached_places(f"{ds.key}:{side}", by_region[side]).rename({"region": side})
    points = by_region.join(places, on=side, how="inner")
    if points.height:
        st.pydeck_chart(
            maps.delivery_deck(maps.delivery_tooltips(points, side), metric),
            height=460,
            key="delivery_map",
            alt=f"Map of {dv.METRICS[metric].lower()} by {where} state",
        )
        worst = points.sort(metric, descending=True).row(0, named=True)
        value = (
            fmt.pct(worst[metric])
            if metric.endswith("rate")
            else f"{worst[metric]:.1f} days"
            if metric == "median_days"
            else fmt.count(worst[metric])
        )
        st.caption(
            f"Bubble size and colour: {dv.METRICS[metric].lower()} ({worst[side]} highest, "
            f"{value}). Names are shown where they fit: hover a bubble for any region. No "
            "basemap is loaded, so the map works offline."
        )
    ui.reading(dv.group_reading(by_region, side, f"{where} state", overall))
    st.dataframe(
        by_region,
        hide_index=True,
        column_config={side: st.column_config.TextColumn(f"{where} state", pinned=True)}
        | TABLE_CONFIG,
    )
    ui.download(by_region, f"delivery_by_{side}", key="delivery_dl_region")

# --- breakdowns -------------------------------------------------------------------------------
st.subheader("Breakdown")
view = st.segmented_control(
    "Break down by",
    ["Month", "Category", "Seller", "Route"],
    default="Month",
    key="delivery_view",
)
view = view or "Month"
if view == "Month":
    months = months_of(ds.key, facts)
    enough = months.filter(pl.col("orders") >= dv.MIN_ORDERS)
    st.altair_chart(charts.month_chart(enough), width="stretch")
    ui.reading(dv.month_reading(months))
    thin = months.height - enough.height
    st.caption(
        "Promised = estimate minus purchase; the cushion (estimate minus delivery) is in the "
        "table."
        + (
            f" {thin} month(s) with fewer than {dv.MIN_ORDERS} delivered orders (usually the "
            "partial months at the ends of the export) are left off the chart."
            if thin
            else ""
        )
    )
    shown = months.with_columns(pl.col("month").dt.strftime("%Y-%m"))
    st.dataframe(
        shown,
        hide_index=True,
        column_config=TABLE_CONFIG
        | {
            "median_promised_days": st.column_config.NumberColumn("days promised", format="%.1f"),
            "median_slack_days": st.column_config.NumberColumn("cushion (days)", format="%.1f"),
        },
    )
    ui.download(shown, "delivery_by_month", key="delivery_dl_month")
elif view == "Category":
    if keys["category"].null_count() == keys.height:
        st.info("No product category is known: upload olist_products_dataset.csv.")
    else:
        table = performance(ds.key, keyed, "category")
        enough = table.filter(pl.col("orders") >= dv.MIN_ORDERS)
        st.altair_chart(
            charts.late_rate_bars(enough, "category", "Category", overall=overall), width="stretch"
        )
        st.caption(
            f"The 15 worst categories with at least {dv.MIN_ORDERS} delivered orders; the dashed "
            "line is the overall late rate."
        )
        ui.reading(dv.group_reading(table, "category", "category", overall))
        st.dataframe(table, hide_index=True, column_config=TABLE_CONFIG)
        ui.download(table, "delivery_by_category", key="delivery_dl_category")
elif view == "Seller":
    min_orders = st.number_input(
        "Minimum delivered orders per seller",
        min_value=1,
        max_value=1000,
        value=dv.MIN_ORDERS,
        step=5,
        key="delivery_min_orders",
        help="Sellers with fewer delivered orders are left out: their late rate is noise.",
    )
    if keys["seller_id"].null_count() == keys.height:
        st.info("No seller is known: upload olist_order_items_dataset.csv.")
    else:
        sellers = dv.worst_sellers(sellers_of(ds.key, keyed, overall), int(min_orders))
        if sellers.height == 0:
            st.info(f"No seller has {int(min_orders)} delivered orders: lower the minimum.")
        else:
            short = sellers.with_columns(pl.col("seller_id").str.slice(0, 8))
            st.altair_chart(
                charts.late_rate_bars(short, "seller_id", "Seller", overall=overall),
                width="stretch",
            )
            ui.reading(dv.group_reading(sellers, "seller_id", "seller", overall, int(min_orders)))
            st.caption(
                f"{fmt.count(sellers.height)} sellers with at least {int(min_orders)} delivered "
                "orders, worst late rate first (ids shortened on the chart)."
            )
            st.dataframe(sellers, hide_index=True, column_config=TABLE_CONFIG)
            ui.download(sellers, "delivery_worst_sellers", key="delivery_dl_sellers")
else:
    routes = performance(ds.key, keyed, "route")
    if routes.filter(pl.col("route") != dv.UNKNOWN).height == 0:
        st.info(
            "Routes need the customer's and the seller's state: upload "
            "olist_customers_dataset.csv and olist_sellers_dataset.csv."
        )
    else:
        st.altair_chart(
            charts.late_rate_bars(routes, "route", "Route", overall=overall), width="stretch"
        )
        ui.reading(dv.route_reading(routes))
        st.dataframe(routes, hide_index=True, column_config=TABLE_CONFIG)
        ui.download(routes, "delivery_by_route", key="delivery_dl_routes")

# --- cost of lateness -------------------------------------------------------------------------
st.subheader("What lateness costs in reviews")
reviews = reviews_of(ds.key, facts)
if reviews.height == 0:
    st.info("No delivered order has a review: upload olist_order_reviews_dataset.csv.")
else:
    st.altair_chart(charts.reviews_chart(reviews), width="stretch")
    ui.reading(dv.review_reading(summary))
    gap = summary.filter(pl.col("kpi").str.contains("review when|stars when"))
    left, right = st.columns(2)
    left.dataframe(
        gap.select("kpi", "value", "definition"),
        hide_index=True,
        column_config={"value": st.column_config.NumberColumn(format="%.3f")},
    )
    right.dataframe(
        reviews,
        hide_index=True,
        column_config={
            "offset_days": st.column_config.NumberColumn("days vs estimate"),
            "orders": st.column_config.NumberColumn(format="localized"),
            "review": STARS,
            "low_share": st.column_config.NumberColumn("1-2 stars", format="percent"),
        },
        height=250,
    )
    ui.download(reviews, "delivery_reviews_by_lateness", key="delivery_dl_reviews")
