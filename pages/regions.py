"""Regions: where customers and revenue are, on a map, and where marketing should go first."""

import polars as pl
import streamlit as st

from lib import fmt, state
from lib.analyses import regions
from lib.catalog import PAGE_BY_KEY
from lib.charts import maps, money_title
from pages.common import ui


@st.cache_data(max_entries=10, show_spinner="Summing up the regions…")
def cached_base(key: str, _ds) -> regions.RegionalBase | None:
    # Only the per-region summary is cached: the lines with their region are as big as the data.
    lines = regions.regional_lines(_ds)
    return None if lines is None else regions.regional_base(lines, _ds.tables.get("orders"))


@st.cache_data(max_entries=10, show_spinner=False)
def cached_match(key: str, _regions: pl.Series) -> regions.Match:
    return regions.match_regions(_regions)


@st.cache_data(max_entries=5, show_spinner=False)
def cached_density(key: str, _ds) -> pl.DataFrame | None:
    return regions.customer_points(_ds)


ds = state.dataset()
st.title("Regions")
st.caption(PAGE_BY_KEY["regions"].answers)

base = cached_base(ds.key, ds)
if base is None:
    if not ds.has("lines"):
        what = "order lines and a region per customer"
    else:
        what = "a region per customer (customers.region) or per order line (lines.region)"
    st.info(
        f"This page needs {what}, which {ds.name} does not have. Upload "
        "olist_customers_dataset.csv with the orders, an Online Retail export (its Country "
        "column), or map a country/state column of your transactions on the Data page."
    )
    st.stop()

left, mid = st.columns(2)
months = left.slider(
    "Growth window (months)",
    1,
    12,
    3,
    key="regions_months",
    help="Growth compares the last N months up to the latest order with the N months before.",
)
table = regions.windowed_table(base, months)
metric_options = [m for m in regions.METRICS if m in table.columns]
metric = mid.selectbox(
    "Colour and size by",
    metric_options,
    format_func=regions.METRICS.get,
    key="regions_metric",
)
# Weights first: the map's tooltips carry each region's priority.
with st.expander("Priority weights: what matters most for where to market", expanded=False):
    cols = st.columns(5)
    labels = {
        "size": ("Revenue", "Big markets first"),
        "growth": ("Growth", f"Revenue growth over the last {months} months"),
        "value": ("Order value", "Average net revenue per order"),
        "repeat": ("Repeat rate", "Share of customers with 2+ orders"),
        "delivery": ("On-time delivery", "Low late rate (needs delivery dates)"),
    }
    defaults = regions.Weights()
    weights = {}
    for col, (name, (label, why)) in zip(cols, labels.items(), strict=True):
        weights[name] = col.slider(
            label,
            0.0,
            5.0,
            float(getattr(defaults, name)),
            0.5,
            key=f"regions_w_{name}",
            help=why,
            disabled=regions.CRITERIA[name][0] not in table.columns,
        )
ranked = regions.priority_table(table, regions.Weights(**weights))
match = cached_match(ds.key, table["region"])

total = table["revenue"].sum()
top = table.row(0, named=True)
kpis = st.columns(4)
kpis[0].metric("Regions", f"{table.height:,}", help=f"Matched as {match.label or 'nothing known'}")
kpis[1].metric(
    "Top region",
    str(top["region"]),
    f"{fmt.pct(top['share'])} of revenue",
    delta_color="off",
)
kpis[2].metric(f"Net revenue ({ds.currency or 'n/a'})", fmt.money(total, ds.currency))
first = regions.market_first(ranked)
kpis[3].metric(
    "Market first",
    str(first["region"]),
    first["action"],
    delta_color="off",
    help="The best-ranked region whose recommended action calls for marketing.",
)
st.caption(
    "Revenue is net: returns and cancellations (negative revenue) are subtracted. Customers "
    "without an id count for revenue but not for customer figures."
)

st.subheader(f"Map: {regions.METRICS[metric].lower()} by region")
if match.places.height == 0:
    st.warning(
        "None of the region values names a Brazilian state, Portuguese district or country the "
        "app knows, so there is no map; the table below still ranks every region."
    )
else:
    density = None
    if ds.has("customers", "lat", "lon") and st.toggle(
        "Customer density (hexagons)",
        value=False,
        key="regions_density",
        help="Where customers live, from their coordinates, in hexagons under the regions.",
    ):
        density = cached_density(ds.key, ds)
    points = maps.tooltips(regions.map_points(ranked, match), ds.currency)
    st.pydeck_chart(
        maps.region_deck(points, metric, density=density),
        height=520,
        key="regions_map",
        alt=f"Map of {regions.METRICS[metric].lower()} by {match.label}",
    )
    ui.reading(regions.metric_reading(table, metric, ds.currency, months))
    st.caption(
        f"Regions read as {match.label}; bubble area and colour follow "
        f"{regions.METRICS[metric].lower()}. Names are shown where they fit: hover a bubble for "
        "any region. No basemap is loaded, so the map works offline."
    )
    if match.unmatched:
        missing = table.filter(pl.col("region").is_in(list(match.unmatched)))
        listed = ", ".join(
            f"{r} ({fmt.money(v, ds.currency)})"
            for r, v in missing.select("region", "revenue").iter_rows()
        )
        st.caption(
            f":material/location_off: Not on the map ({len(match.unmatched)}, no known place): "
            f"{listed}. They are still in the table below."
        )

st.subheader("Where to market first")
money = money_title("{}", ds.currency)
config = {
    "rank": st.column_config.NumberColumn("#", width="small"),
    "score": st.column_config.ProgressColumn("priority", format="%.0f", min_value=0, max_value=100),
    "action": st.column_config.TextColumn("recommended action", width="medium"),
    "customers": st.column_config.NumberColumn(format="localized"),
    "orders": st.column_config.NumberColumn(format="localized"),
    "revenue": st.column_config.NumberColumn(money.format("revenue"), format="%,.0f"),
    "share": st.column_config.NumberColumn("share", format="percent"),
    "revenue_last": st.column_config.NumberColumn(
        money.format(f"last {months} mo"), format="%,.0f"
    ),
    "revenue_prev": st.column_config.NumberColumn(
        money.format(f"{months} mo before"), format="%,.0f"
    ),
    "growth": st.column_config.NumberColumn("growth", format="percent"),
    "aov": st.column_config.NumberColumn(money.format("avg order"), format="%.2f"),
    "repeat_rate": st.column_config.NumberColumn("repeat rate", format="percent"),
    "repeat_change": st.column_config.NumberColumn(
        "returning orders Δ",
        format="percent",
        help="Change in the share of orders placed by "
        "returning customers, last period against the one before",
    ),
    "delivered_orders": None,
    "late_orders": None,
    "late_rate": st.column_config.NumberColumn("late rate", format="percent"),
    "review": st.column_config.NumberColumn("review", format="%.2f"),
    "freight_share": st.column_config.NumberColumn(
        "freight share", format="percent", help="Freight over revenue + freight"
    ),
}
st.dataframe(ranked, hide_index=True, column_config=config)
ui.reading(regions.priority_reading(ranked))
st.caption(
    "Priority: each criterion becomes a percentile among regions (best = 1), weighted by the "
    "sliders above. Actions: fewer than "
    f"{regions.MIN_ORDERS} orders → watch; late rate ≥ {regions.LATE_FACTOR:.0f}x average → fix "
    "delivery first; large (above-average share) with falling returning-customer orders → "
    "retain; large and growing faster than the whole → grow; large otherwise → defend; small "
    "and growing → test; small and shrinking → deprioritise."
)
ui.download(ranked, "regions", key="regions_download")
