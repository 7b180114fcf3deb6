"""Regions: where customers and revenue are, on a map, and where marketing should go first."""

import polars as pl
import streamlit as st

from lib import fmt, measures, periods, state, stats, trend
from lib.analyses import regions
from lib.catalog import PAGE_BY_KEY
from lib.charts import maps
from pages.common import columns, exports, links, places, served, ui


@ui.memo(max_entries=10, show_spinner="Summing up the regions…")
def cached_base(key: str, _ds) -> regions.RegionalBase | None:
    # Only the per-region summary is cached: the lines with their region are as big as the data.
    lines = regions.regional_lines(_ds)
    return None if lines is None else regions.regional_base(lines, _ds.tables.get("orders"))


@ui.memo(max_entries=5, show_spinner=False)
def cached_density(key: str, _ds) -> pl.DataFrame | None:
    return regions.customer_points(_ds)


ds = state.dataset()
st.title("Regions")
st.caption(PAGE_BY_KEY["regions"].answers)

base = cached_base(ds.key, ds)
if base is None:
    state.require("lines", hint=PAGE_BY_KEY["regions"].hint(ds))
    st.info(f"{PAGE_BY_KEY['regions'].hint(ds)} This data set has neither.")
    st.stop()
ui.definitions(ds, "order", "revenue", "customer", *measures.delivery_terms(ds))
exports.page_tools("regions", ds)
check = links.Checks("regions", ds)

left, right = st.columns(2)
check.number("regions_months", 1, 12, 3, label="Growth window")
months = left.slider(
    "Growth window (months)",
    1,
    12,
    3,
    key="regions_months",
    bind=links.BIND,
    help="Growth compares the last N full calendar months with the N months before or the "
    "same months a year earlier: a partial last month would look like a decline.",
)
ui.check_against(check, "regions_against")
against = (
    right.segmented_control(
        **ui.AGAINST_CONTROL, key="regions_against", required=True, bind=links.BIND
    )
    or "before"
)
table = regions.windowed_table(base, months, against)
st.caption(regions.window_text(base.span, months, against))
# Weights first: the map's tooltips carry each region's priority.
with st.expander("Priority weights: what matters most for where to market", expanded=False):
    cols = st.columns(5)
    why = {
        "size": "Big markets first",
        "growth": f"Revenue growth over {periods.compared(months, against)}",
        "value": "Average net revenue per order",
        "repeat": "Share of customers with 2+ orders",
        "delivery": "Low late rate (needs delivery dates)",
    }
    defaults = regions.Weights()
    weights = {}
    for col, (name, label) in zip(cols, regions.WEIGHT_LABELS.items(), strict=True):
        check.number(
            f"regions_w_{name}",
            0.0,
            5.0,
            float(getattr(defaults, name)),
            label=f"Weight of {label.lower()}",
            whole=False,
        )
        weights[name] = col.slider(
            label,
            0.0,
            5.0,
            float(getattr(defaults, name)),
            0.5,
            key=f"regions_w_{name}",
            bind=links.BIND,
            help=why[name],
            disabled=regions.CRITERIA[name][0] not in table.columns,
        )
ranked = regions.priority_table(table, regions.Weights(**weights))
match = places.match(ds.key, table["region"])
# What the page says and shows names each region as the map does ('Ireland', not 'EIRE').
named = regions.with_names(ranked, match.places)

total = table["revenue"].sum()
top = regions.with_names(regions.top_place(table), match.places).row(0, named=True)
# Wider cards for the two that name a region: "United Kingdom" must not end in "…", down to a
# 1280-pixel screen.
kpis = st.columns([0.6, 1.6, 0.9, 1.6])
kpis[0].metric(
    "Regions",
    f"{regions.places_only(table).height:,}",
    help=f"Read as {match.label}." if match.label else "No region names a place the app knows.",
)
kpis[1].metric(
    "Top region",
    fmt.plain(top["region"]),
    None if top["share"] is None else f"{fmt.pct(top['share'])} of revenue",
    delta_color="off",
    delta_arrow="off",  # a share, not a change
)
kpis[2].metric(
    f"Net revenue ({ds.currency})" if ds.currency else "Net revenue", fmt.money(total, ds.currency)
)
first = regions.market_first(named)
# Regions tied with rank 1 on the shown score are named together, as the reading names them.
leading = regions.leading(named)
tied = leading["region"].to_list()
short, full = regions.first_actions(leading)
alone = regions.places_only(named).height == 1  # a ranking of one region sets no priority
kpis[3].metric(
    "Market first",
    "one region only" if alone else "none now" if first is None else fmt.plain(fmt.listed(tied)),
    "no ranking" if alone else short,
    delta_color="off",
    delta_arrow="off",
    help="Rank 1 of the priority table below, when its action calls for marketing (grow, "
    f"test, retain or defend): {full}."
    + (" Tied on the priority score, in no order of preference." if len(tied) > 1 else ""),
)
st.caption(
    "Revenue is net: returns and cancellations (negative revenue) are subtracted. Customers "
    "without an id count for revenue but not for customer figures."
    + (
        f" {fmt.counted(base.spanning, 'customer')} bought in two regions or more: each of "
        "those regions counts them, so the regions' customers add up to more than the data's."
        if base.spanning
        else ""
    )
)


@exports.fragment
def region_map(
    ranked: pl.DataFrame, table: pl.DataFrame, match: regions.Match, months: int
) -> None:
    """The map, its colour and what it says: its controls (colour, density) change nothing else
    on the page, so they rerun this part alone."""
    if match.places.height == 0:
        st.subheader("Map")
        st.warning(
            "None of the region values"
            + (f" ({fmt.plain(fmt.listed(match.unmatched, most=4))})" if match.unmatched else "")
            + " names a country, a Brazilian or US state or a Portuguese district, so there is "
            "no map; the table below still ranks every region. For a map, map a country or "
            "state column as the region on the Data page."
        )
        return
    heading = st.empty()  # names the colour chosen below
    metric_options = [m for m in regions.METRICS if m in table.columns]
    check.choice(
        "regions_metric",
        metric_options,
        metric_options[0],
        label="Colour by",
        format_func=regions.METRICS.get,
        data=True,
    )
    left, _ = st.columns(2)
    metric = left.selectbox(
        "Colour by",
        metric_options,
        format_func=regions.METRICS.get,
        key="regions_metric",
        bind=links.BIND,
    )
    heading.subheader(f"Map: {regions.METRICS[metric].lower()} by region")
    density = None
    check.flag("regions_density", False, label="Customer density")
    if ds.has("customers", "lat", "lon") and st.toggle(
        "Customer density (hexagons)",
        value=False,
        key="regions_density",
        bind=links.BIND,
        help="Where customers live, from their coordinates, in hexagons over the regions.",
    ):
        density = cached_density(ds.key, ds)
    points = maps.tooltips(regions.map_points(ranked, match), ds.currency)
    if metric == "growth":  # coloured only from enough orders; the tooltips give every figure
        points = regions.reliable_growth(points)
    st.pydeck_chart(
        served.served(maps.region_deck(points, metric, density=density, reference=match.reference)),
        height=520,
        key="regions_map",
        alt=f"Map of {regions.METRICS[metric].lower()} by {match.label}",
    )
    ui.chart(maps.legend(points, metric, regions.METRICS[metric], ds.currency), width="content")
    ui.reading(
        regions.metric_reading(
            regions.with_names(table, match.places), metric, ds.currency, months, against
        )
    )
    st.caption(
        f"Regions read as {match.label}; colour follows {regions.METRICS[metric].lower()}, "
        "light grey regions have no data"
        + (
            f" or growth from too few orders (under {regions.MIN_ORDERS} in a window)"
            if metric == "growth"
            else ""
        )
        + "; circles mark regions without an outline or too small "
        "to see. Names are shown where they fit: hover a region for its figures. No basemap is "
        "loaded, so the map works offline. " + maps.attribution(match.reference)
    )
    unplaced = [r for r in match.unmatched if r != regions.NO_REGION]
    if regions.NO_REGION in match.unmatched:
        nowhere = table.filter(pl.col("region") == regions.NO_REGION)["revenue"].sum()
        st.caption(
            f":material/location_off: Not on the map: {fmt.money(nowhere, ds.currency)} of "
            "revenue with no region (blank, or written as Unspecified or Unknown), in the table "
            f"below as {regions.NO_REGION}."
        )
    if unplaced:
        # The largest first, a dozen at most, each name cut to a line's part: a file of hundreds
        # of unknown places (or names of thousands of characters) stays a caption.
        missing = table.filter(pl.col("region").is_in(unplaced)).sort("revenue", descending=True)
        listed = fmt.listed(
            [
                f"{fmt.plain(r if len(r) <= 40 else r[:39] + '…')} ({fmt.money(v, ds.currency)})"
                for r, v in missing.select("region", "revenue").iter_rows()
            ],
            most=12,
        )
        st.caption(
            f":material/location_off: Not on the map ({len(unplaced)}, no known place): "
            f"{listed}. They are still in the table below."
        )


region_map(ranked, table, match, months)

st.subheader("Where to market first")
currency = ds.currency
config = {
    "rank": st.column_config.NumberColumn("#", width=45, pinned=True),
    "region": columns.key("Region"),
    "code": columns.text("In the data", help="The region as the data writes it"),
    "action": columns.text(
        "Recommended action",
        # The longest action in one line (about 6.3 px a character: 57 fit in 360 px), up to 520
        # px so that the figures behind it stay in view.
        width=min(520, max(200, round(6.6 * (named["action"].str.len_chars().max() or 0)) + 16)),
        help="From the region's own figures; the rule is under the table.",
    ),
    "score": st.column_config.ProgressColumn(
        "Priority",
        format="%.0f",
        min_value=0,
        max_value=100,
        width=100,
        help="The weighted score (0 to 100) of the weights above. The # ranks regions by their "
        f"action first ({regions.tier_order()}) and by this score within an action, so a higher "
        "score can rank lower.",
    ),
    "customers": columns.count("Customers"),
    "orders": columns.count("Orders"),
    "revenue": columns.money("Net revenue", currency),
    "share": columns.percent("Share", help="Share of net revenue."),
    "revenue_last": columns.money(f"Last {months} months", currency),
    "revenue_prev": columns.money(
        f"Same {months} months a year earlier" if against == "year" else f"{months} months before",
        currency,
    ),
    **columns.growth(),
    "growth_reliable": st.column_config.CheckboxColumn(
        "Reliable",
        help=f"Growth from at least {regions.MIN_ORDERS} orders in each compared window; below "
        "that it is noise, and no action, score or reading rests on it.",
    ),
    "aov": columns.money("Avg order", currency, 2),
    "aov_z": None,
    "repeat_rate": columns.percent("Repeat rate"),
    "repeat_change": st.column_config.NumberColumn(
        "Returning orders Δ",
        format="%+.1f pts",
        help="Change in the share of orders placed by "
        "returning customers, the last period against the one it is compared with "
        "(percentage points)",
    ),
    "repeat_change_z": None,
    "delivered_orders": None,
    "late_orders": None,
    "late_rate": columns.percent("Late rate"),
    "review": columns.number("Review", 2),
    "freight_share": columns.percent(
        "Freight share", help="Freight over price + freight: the share of what customers paid."
    ),
}
columns.table(
    columns.in_percent(
        columns.growth_shown(named),
        "share",
        "growth",
        "growth_low",
        "growth_high",
        "repeat_rate",
        "repeat_change",
        "late_rate",
        "freight_share",
    ),
    config,
    # The key and its evidence first; the region as the data writes it (EIRE for Ireland) later.
    order=["rank", "region", "action", "score", "revenue", "share", "growth", "growth_reliable"],
)
ui.reading(regions.priority_reading(named, months, ds.currency, against))
st.caption(
    "One rule gives the action and the rank. Action, from the region's own figures: fewer "
    f"than {regions.MIN_ORDERS} orders or {regions.MIN_CUSTOMERS} customers → watch; late rate "
    f"≥ {regions.LATE_FACTOR:.0f}x average, "
    f"on at least {regions.MIN_ORDERS} delivered orders and above it beyond chance across the "
    "regions compared → fix delivery first; large (share at "
    "least 1/number of regions) with returning-customer "
    f"orders down {regions.REPEAT_DROP * 100:.0f}+ points, beyond chance across the regions "
    "compared → retain; large and growing faster "
    "than the whole → grow; large otherwise → defend; small and growing faster than the whole → "
    "test; small and shrinking → deprioritise; small otherwise → maintain; a late rate above "
    "average beyond chance but under "
    f"{regions.LATE_FACTOR:.0f}x is said after the action ('; late 1.8x': 1.8 times the "
    "average). Growing, shrinking and faster are read beyond chance only, across the regions "
    "compared: the region's growth "
    f"clear of {regions.FLAT:+.0%} (growing), of {-regions.FLAT:+.0%} (shrinking), of the "
    f"whole's growth (faster). {trend.RULE} {stats.MANY} Growth from fewer than "
    f"{regions.MIN_ORDERS} orders in either compared window is no growth figure (large → defend, "
    "small → watch; the score counts it as unknown). Rank: by action first "
    f"({regions.tier_order()}); within each, the priority score (each criterion a percentile "
    "among regions, weighted by the sliders above; growth "
    "counts as measured only where it lies apart from the whole's growth beyond chance, else "
    "as the whole's, tied with every such region (without a whole-data figure, against the "
    "flat band); from too few orders, as unknown, the middle)."
    + (
        f" {regions.NO_REGION.capitalize()}: the lines with none, blank or written as "
        "Unspecified or Unknown; no place to rank, so last, without a rank or a score."
        if regions.NO_REGION in named["region"]
        else ""
    )
)
ui.download(named, "regions", key="regions_download")
