"""Clusters: customer groups with a justified k, what sets them apart and what they return."""

import polars as pl
import streamlit as st

from lib import fmt, state
from lib.analyses import clusters as cl
from lib.catalog import PAGE_BY_KEY
from lib.charts import clusters as charts
from lib.charts import money_title
from pages.common import ui

VIEWS = ("Choosing k", "2-D map", "RFM segments")


def customer_features(ds) -> cl.CustomerFeatures:
    return cl.dataset_features(ds)


def diagnostics(built: cl.CustomerFeatures, features: tuple, log: bool) -> cl.Diagnostics:
    return cl.cluster_diagnostics(cl.scaled_features(built.table, features, log).matrix)


def model(built: cl.CustomerFeatures, features: tuple, log: bool, k: int) -> dict:
    """Everything that depends on the fit: scaling, labels, drivers, names, profiles, map."""
    scaled = cl.scaled_features(built.table, features, log)
    fit = cl.fit_clusters(scaled.matrix, k)
    drivers = cl.cluster_drivers(scaled, fit.labels, built.features)
    names = cl.cluster_names(drivers, built.features)
    return {
        "logged": scaled.logged,
        "drivers": drivers,
        "names": names,
        "profiles": cl.cluster_profiles(built.table, fit.labels, built.features, names),
        "assignments": cl.cluster_assignments(built.table, fit.labels, names),
        "projection": cl.cluster_projection(scaled, fit.labels, names),
    }


cached_features = ui.cached(customer_features)
cached_diagnostics = ui.cached(diagnostics)
cached_model = ui.cached(model)

ds = state.dataset()
st.title("Clusters")
state.require("lines", "customer_id", hint=PAGE_BY_KEY["clusters"].enable_hint)
currency = ds.currency
built = cached_features(ds.key, ds)
customers = built.table.height
if customers < 3:
    st.info(
        f"Clustering needs at least 3 customers with a purchase; {ds.name} has {customers}. "
        "Upload order lines with a customer id per line."
    )
    st.stop()

left_out = []
if built.lines_without_customer:
    left_out.append(
        f"{built.lines_without_customer:,} lines without a customer "
        f"({fmt.money(built.revenue_without_customer, currency)} of net revenue)"
    )
if built.returns_only_customers:
    left_out.append(f"{built.returns_only_customers:,} customers with returns only")
st.caption(
    "One row per customer (the person behind lines.customer_id). Revenue is net: returns and "
    "cancellations are subtracted. "
    + (f"Left out: {' and '.join(left_out)}." if left_out else "Every line has a customer.")
)

# --- controls ----------------------------------------------------------------------------------
labels = {name: f.label for name, f in built.features.items()}
defaults = [f for f in cl.DEFAULT_FEATURES if f in built.features]
chosen = st.multiselect(
    "Features",
    list(built.features),
    default=defaults,
    format_func=labels.get,
    key="clusters_features",
    help="What the clusters are built from. Profiles below show every feature either way.",
)
notes = []
if built.missing:
    notes.append(
        "Not offered: " + "; ".join(f"{what} ({why})" for what, why in built.missing) + "."
    )
for what, filled in built.imputed:
    if filled:
        notes.append(f"{filled:,} customers have no {what} data and get the average of the others.")
if notes:
    st.caption(" ".join(notes))

left, right = st.columns([1, 2])
log = left.toggle(
    "Log-transform skewed features",
    value=True,
    key="clusters_log",
    help=f"log(1 + x) on features that are never negative and have a skewness above {cl.SKEW}.",
)
k_max = min(10, customers - 1)
k = right.slider(
    "Clusters (k)",
    2,
    k_max,
    min(cl.K, k_max),
    key="clusters_k",
    help=f"k-means, {cl.N_INIT} starts with a fixed seed ({cl.SEED}): the same data always "
    "gives the same clusters.",
)
if len(chosen) < 2:
    st.info("Choose at least two features to cluster on.")
    st.stop()

features = tuple(chosen)
diag = cached_diagnostics(ds.key, built, features=features, log=log)
fitted = cached_model(ds.key, built, features=features, log=log, k=k)
profiles: pl.DataFrame = fitted["profiles"]
names: dict[int, str] = fitted["names"]
logged = [labels[f].lower() for f in fitted["logged"]]
st.caption(
    "Why transform: spend and order counts are skewed — a few customers buy far more than the "
    "rest — so without the log k-means would spend its clusters on those few. Standard scaling "
    "then gives days, orders and money the same weight (mean 0, standard deviation 1), so that no "
    "feature dominates because of its unit. "
    + (
        f"Log-transformed here: {', '.join(logged)}."
        if logged
        else "No feature is log-transformed"
        + (" (none is skewed and never negative)." if log else " (switched off).")
    )
)

at_k = diag.table.filter(pl.col("k") == k)
cols = st.columns(4)
cols[0].metric("Customers clustered", f"{customers:,}")
cols[1].metric("Clusters", f"{k}")
cols[2].metric("Suggested k", f"{diag.suggested_k}", help=diag.reason)
cols[3].metric(
    "Silhouette at this k",
    f"{at_k['silhouette'][0]:.2f}" if at_k.height else "—",
    help="From -1 to 1: how much closer customers are to their own cluster than to the next. "
    "Above 0.5 is clear structure; below 0.25 the clusters are weakly separated.",
)
suggestion = f":material/recommend: Suggested: {diag.reason}"
if k != diag.suggested_k:
    suggestion += f" Move the slider to {diag.suggested_k} to try it."
st.markdown(suggestion)

# --- profiles ----------------------------------------------------------------------------------
st.subheader("Who is in each cluster")
st.altair_chart(charts.share_chart(profiles), width="stretch")
ui.reading(cl.profile_reading(profiles, currency))

st.markdown("**What sets each cluster apart**")
st.altair_chart(charts.drivers_chart(fitted["drivers"], names), width="stretch")
st.caption(
    "Each cell: the cluster's mean in standard deviations from the average customer, as the "
    "model sees it (after the log transform). Names come from each cluster's two strongest "
    "drivers."
)
ui.reading(cl.drivers_reading(fitted["drivers"], profiles, built.table, built.features, currency))

money_units = {"money"}
column_config = {
    "cluster": st.column_config.NumberColumn("Cluster", pinned=True),
    "name": st.column_config.TextColumn("Name", pinned=True),
    "customers": st.column_config.NumberColumn("Customers", format="localized"),
    "customer_share": st.column_config.NumberColumn("Share of customers", format="percent"),
    "revenue": st.column_config.NumberColumn(money_title("Net revenue", currency), format="%,.0f"),
    "revenue_share": st.column_config.NumberColumn("Share of revenue", format="percent"),
    "revenue_per_customer": st.column_config.NumberColumn(
        money_title("Revenue per customer", currency), format="%,.2f"
    ),
}
for name, feature in built.features.items():
    number = (
        "percent"
        if feature.unit == "share"
        else "%,.2f"
        if feature.unit in money_units | {"score", "orders", "count"}
        else "%,.0f"
    )
    title = money_title(feature.label, currency) if feature.unit == "money" else feature.label
    for stat in ("mean", "median"):
        column_config[f"{stat}_{name}"] = st.column_config.NumberColumn(
            f"{stat.capitalize()} {title[:1].lower() + title[1:]}", format=number
        )
st.dataframe(profiles, hide_index=True, column_config=column_config)
ui.download(profiles, "cluster_profiles", key="clusters_download_profiles")

# --- ROI ---------------------------------------------------------------------------------------
st.subheader("Return per cluster")
left, right, _ = st.columns([1, 1, 2])
margin = left.number_input(
    "Gross margin (%)",
    min_value=0.0,
    max_value=100.0,
    value=cl.MARGIN,
    step=5.0,
    key="clusters_margin",
    help="The share of revenue left after the cost of the goods sold.",
)
cost = right.number_input(
    money_title("Cost to serve or market per customer", currency),
    min_value=0.0,
    value=cl.COST,
    step=1.0,
    key="clusters_cost",
    help="What you would spend on each customer of a cluster (campaign, service, discounts).",
)
roi = cl.cluster_roi(profiles, margin, cost)
st.altair_chart(charts.roi_chart(roi, currency), width="stretch")
ui.reading(cl.roi_reading(roi, currency, cost))
st.caption(
    "Profit per customer = revenue per customer × margin − cost; ROI = profit / cost. "
    "Revenue per customer is over the whole history in the data."
)
st.dataframe(
    roi,
    hide_index=True,
    column_config={
        "rank": st.column_config.NumberColumn("Rank"),
        "cluster": st.column_config.NumberColumn("Cluster"),
        "name": st.column_config.TextColumn("Name"),
        "customers": st.column_config.NumberColumn("Customers", format="localized"),
        "revenue_per_customer": st.column_config.NumberColumn(
            money_title("Revenue per customer", currency), format="%,.2f"
        ),
        "gross_profit_per_customer": st.column_config.NumberColumn(
            money_title("Gross profit per customer", currency), format="%,.2f"
        ),
        "cost_per_customer": st.column_config.NumberColumn(
            money_title("Cost per customer", currency), format="%,.2f"
        ),
        "profit_per_customer": st.column_config.NumberColumn(
            money_title("Profit per customer", currency), format="%,.2f"
        ),
        "roi": st.column_config.NumberColumn("ROI", format="percent"),
        "total_profit": st.column_config.NumberColumn(
            money_title("Total profit", currency), format="%,.0f"
        ),
    },
)
ui.download(roi, "cluster_roi", key="clusters_download_roi")

# --- closer looks ------------------------------------------------------------------------------
st.subheader("Look closer")
view = st.segmented_control("View", VIEWS, default=VIEWS[0], key="clusters_view")
if view == "Choosing k":
    st.altair_chart(charts.diagnostics_chart(diag.table, diag.suggested_k), width="stretch")
    ui.reading(diag.reason)
    st.caption(
        f"Computed for k = 2 to 10 with {diag.method}. Suggested: the best silhouette; k within "
        f"{cl.TIE} of it go to the one nearest the elbow of the inertia curve."
    )
    st.dataframe(
        diag.table,
        hide_index=True,
        column_config={
            "k": st.column_config.NumberColumn("k"),
            "inertia": st.column_config.NumberColumn("Inertia", format="%,.0f"),
            "silhouette": st.column_config.NumberColumn("Silhouette", format="%.3f"),
            "davies_bouldin": st.column_config.NumberColumn("Davies-Bouldin", format="%.3f"),
        },
    )
    ui.download(diag.table, "cluster_diagnostics", key="clusters_download_diagnostics")
elif view == "2-D map":
    projection: cl.Projection = fitted["projection"]
    st.altair_chart(
        charts.projection_chart(projection.points, projection.explained), width="stretch"
    )
    ui.reading(cl.projection_reading(projection, k, len(features)))
    if projection.points.height < customers:
        st.caption(
            f"A fixed random sample of {projection.points.height:,} of {customers:,} customers."
        )
elif view == "RFM segments":
    segments = state.shared("rfm_segments")
    if not isinstance(segments, pl.DataFrame) or not {"customer_id", "segment"} <= set(
        segments.columns
    ):
        st.info("No RFM segments yet: open the RFM page to compare, then come back.")
    else:
        cross = cl.segment_crosstab(fitted["assignments"], segments)
        if cross.height == 0:
            st.info("No customer is both in a cluster and in an RFM segment.")
        else:
            st.altair_chart(charts.crosstab_chart(cross), width="stretch")
            ui.reading(cl.crosstab_reading(cross))
            ui.download(cross, "clusters_by_rfm_segment", key="clusters_download_crosstab")

# --- export ------------------------------------------------------------------------------------
st.subheader("Export")
st.caption("Every customer with their cluster number and name, for a CRM or a campaign list.")
ui.download(
    fitted["assignments"],
    "customer_clusters",
    key="clusters_download_assignments",
    label="Download customer → cluster (CSV)",
)
