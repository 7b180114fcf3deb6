"""Clusters: customer groups with a justified k, what sets them apart and what they return."""

import functools

import polars as pl
import streamlit as st

from lib import fmt, quality, recipe, state
from lib.analyses import clusters as cl
from lib.catalog import PAGE_BY_KEY
from lib.charts import clusters as charts
from lib.charts import money_title
from pages.common import columns, exports, links, ui
from pages.common.settings import view_choices

VIEWS = view_choices("clusters_view")


def customer_features(ds) -> cl.CustomerFeatures:
    return cl.dataset_features(ds)


def diagnostics(built: cl.CustomerFeatures, features: tuple, log: bool) -> dict:
    """The k comparison (with the fit at every k) and how each feature enters the model, both
    from the same scaling, kept for the fit at the chosen k."""
    scaled = cl.scaled_features(built.table, features, log)
    same = cl.identical_note(scaled, built.features)
    return {
        "scaled": scaled,
        # None when every customer is the same to the model (`same` says so): nothing to compare
        "diagnostics": None if same else cl.named_diagnostics(scaled, built.features),
        "same": same,
        "model": cl.model_features(scaled, built.features),
        "twins": cl.twins_note(scaled, built.features),
        "capped_customers": scaled.capped_customers,
        "cap": scaled.cap,
        "per_end": scaled.per_end,
    }


@ui.memo(max_entries=20, show_spinner="Fitting the clusters and naming them…")
def model(
    key: str,
    _built: cl.CustomerFeatures,
    _scaled: cl.Scaled,
    _diag: cl.Diagnostics,
    features: tuple,
    log: bool,
    k: int,
) -> dict:
    """Everything that depends on the fit (the diagnostics' at k, or fitted now): labels,
    drivers, names, profiles, map. `_scaled` and `_diag` are diagnostics' for the same
    features and log."""
    fit = _diag.fit_at(_scaled.matrix, k)
    drivers = cl.cluster_drivers(_built.table, _scaled, fit.labels, _built.features)
    names = cl.cluster_names(drivers, _built.features)
    return {
        "drivers": drivers,
        "names": names,
        "profiles": cl.cluster_profiles(_built.table, fit.labels, _built.features, names),
        "labels": fit.labels,
        "projection": cl.cluster_projection(
            _scaled, fit.labels, names, basis=basis(key, _scaled, features=features, log=log)
        ),
    }


@ui.memo(max_entries=10)
def basis(key: str, _scaled: cl.Scaled, features: tuple, log: bool) -> cl.Basis:
    """The 2-D map's axes, made once per data, features and transform (the same for every k;
    PCA over 1.7M customers takes 0.07 s)."""
    return cl.projection_basis(_scaled)


@ui.memo(max_entries=10)
def diagnostics_figure(key: str, _table: pl.DataFrame, suggested_k: int):
    """The diagnostics chart, built once per data, features and transform (a fifth of a rerun
    when k moves, which does not change it)."""
    return charts.diagnostics_chart(_table, suggested_k)


cached_features = ui.cached(customer_features, "Building one row of features per customer…")

ds = state.dataset()
st.title("Clusters")
st.caption(PAGE_BY_KEY["clusters"].answers)
state.require("lines", "customer_id", hint=PAGE_BY_KEY["clusters"].hint(ds))
currency = ds.currency
exports.page_tools("clusters", ds)
check = links.Checks("clusters", ds)
built = cached_features(ds.key, ds)
customers = built.table.height
if customers < 3:
    st.info(
        "No customer has a purchase in this data (only returns, free lines or lines without a "
        "customer id), so there is no one to cluster."
        if customers == 0
        else "Clustering needs at least 3 customers with a purchase; this data set has "
        f"{customers}. Load a longer history or more of your customers' orders."
    )
    st.stop()

left_out = []
if built.lines_without_customer:
    # A summarised folder's lines were counted as it was summarised; its rows sum their revenue.
    without = (quality.line_checks(ds) or {}).get("missing_customer")
    counted = (
        f"{without:,} lines" if without else f"{built.lines_without_customer:,} {ui.lines_word(ds)}"
    )
    money = fmt.money(built.revenue_without_customer, currency)
    left_out.append(f"{counted} without a customer ({money} of net revenue)")
if built.customers_without_purchase:
    left_out.append(
        f"{fmt.counted(built.customers_without_purchase, 'customer')} without a purchase (only "
        "returns, free lines or lines of no sale)"
    )
st.caption(
    "One row per customer (the person behind each line's customer id). Revenue is net, as on "
    "RFM: each cancellation is taken back from the purchase it reverses, and one that reverses "
    "no earlier purchase of the customer's (or more than it was worth) is left out. "
    + (f"Left out: {' and '.join(left_out)}." if left_out else "Every line has a customer.")
)

# --- controls ----------------------------------------------------------------------------------
labels = {name: f.label for name, f in built.features.items()}
defaults = [f for f in cl.DEFAULT_FEATURES if f in built.features]
check.choices(
    "clusters_features",
    list(built.features),
    defaults,
    label="Features",
    format_func=labels.get,
    data=True,
)
chosen = st.multiselect(
    "Features",
    list(built.features),
    default=defaults,
    format_func=labels.get,
    key="clusters_features",
    bind=links.BIND,
    help="What the clusters are built from. Profiles below show every feature either way.",
)
notes = []
if built.missing:
    notes.append(
        "Not offered: " + "; ".join(f"{what} ({why})" for what, why in built.missing) + "."
    )
for what, filled, group in built.imputed:
    if filled and set(group) & set(chosen):  # said only of the features the clusters use
        notes.append(f"{filled:,} customers have no {what} data and get the average of the others.")
if notes:
    st.caption(" ".join(notes))


@exports.fragment
def clustering() -> None:
    """Everything the fit depends on and shows: its controls (transform, k, margin and cost,
    view) rerun this part alone, not the features above."""
    left, right = st.columns([1, 2])
    check.flag("clusters_log", True, label="Log-transform skewed features")
    log = left.toggle(
        "Log-transform skewed features",
        value=True,
        key="clusters_log",
        bind=links.BIND,
        help=f"log(1 + x) on every feature whose skewness exceeds {cl.SKEW:g} after capping; a "
        "negative value (net revenue after returns) keeps its sign: −log(1 + |x|).",
    )
    if len(chosen) < 2:
        st.info("Choose at least two features to cluster on.")
        return

    features = tuple(chosen)
    scaling = ui.cached(
        diagnostics,
        f"Comparing k = 2 to 10 on {customers:,} customers (k-means, silhouette, Davies-Bouldin)…",
    )(ds.key, built, features=features, log=log)
    entered: pl.DataFrame = scaling["model"]
    if scaling["diagnostics"] is None:
        st.caption(
            cl.capping_note(
                entered, scaling["cap"], scaling["per_end"], customers, scaling["capped_customers"]
            )
        )
        st.warning(scaling["same"], icon=":material/warning:")
        return
    diag: cl.Diagnostics = scaling["diagnostics"]
    k_max = int(diag.table["k"].max())  # customers - 1, or the customers the model tells apart
    suggested = min(diag.suggested_k, k_max)
    seeded = (
        f"k-means, {diag.starts} start{'s' if diag.starts > 1 else ''} with a fixed seed "
        f"({cl.SEED}): the same data always gives the same clusters."
    )
    if k_max == 2:  # 3 customers, or 2 told apart: no choice of k (a slider needs two values)
        k = 2
        who = (
            f"with {customers} customers"
            if diag.distinct >= customers
            else f"as the model tells only 2 of the {customers:,} customers apart"
        )
        right.caption(f"Clusters (k): 2, the only choice {who}. {seeded}")
    else:
        # The slider opens on the suggested k, and moves to the new one when a change of data,
        # features or transform changes it.
        check.basis("clusters_k", diag.suggested_k, suggested)
        check.number("clusters_k", 2, k_max, suggested, label="Clusters (k)")
        k = right.slider(
            "Clusters (k)",
            2,
            k_max,
            suggested,
            key="clusters_k",
            bind=links.BIND,
            help=f"Opens on the suggested k ({diag.suggested_k}). {seeded}",
        )
    fitted = model(ds.key, built, scaling["scaled"], diag, features=features, log=log, k=k)
    profiles: pl.DataFrame = fitted["profiles"]
    names: dict[int, str] = fitted["names"]

    # The customers with their cluster, made when needed (a column of text per customer); a
    # partial of the library's function, not a function of this page: the download keeps it
    # after the run, and a page's function would keep that run's globals alive with it.
    assigned = functools.partial(cl.cluster_assignments, built.table, fitted["labels"], names)

    st.caption(cl.transform_note(entered, log))
    st.caption(
        cl.capping_note(
            entered, scaling["cap"], scaling["per_end"], customers, scaling["capped_customers"]
        )
    )
    if scaling["twins"]:
        st.warning(scaling["twins"], icon=":material/warning:")

    at_k = diag.table.filter(pl.col("k") == k)
    cols = st.columns(4)
    cols[0].metric("Customers clustered", f"{customers:,}")
    cols[1].metric("Clusters", f"{k}")
    cols[2].metric("Suggested k", f"{diag.suggested_k}", help=diag.reason)
    cols[3].metric(
        "Silhouette at this k",
        f"{at_k['silhouette'][0]:.2f}" if at_k.height else "—",
        help="From -1 to 1: how much closer customers are to their own cluster than to the next. "
        f"At or below {cl.NO_STRUCTURE} no substantial structure, up to {cl.WEAK_STRUCTURE} weak, "
        f"above it reasonable, above {cl.REASONABLE_STRUCTURE} strong (Kaufman and Rousseeuw's "
        "reading).",
    )
    suggestion = f"Suggested: {diag.reason}"
    if k != diag.suggested_k:
        suggestion += f" Move the slider to {diag.suggested_k} to try it."
    if diag.segments:
        st.markdown(f":material/recommend: {suggestion}")
    else:  # every k leaves a handful: a place to start, said as a warning
        st.warning(suggestion, icon=":material/warning:")

    # --- profiles ---------------------------------------------------------------------------------
    st.subheader("Who is in each cluster")
    ui.chart(charts.share_chart(profiles), width="stretch")
    ui.reading(cl.profile_reading(profiles, currency))

    st.markdown("**What sets each cluster apart**")
    ui.chart(charts.drivers_chart(fitted["drivers"], names), width="stretch")
    st.caption(
        "Each cell: the cluster's mean in standard deviations from the average customer, as "
        f"the model sees it (after capping{' and the log transform' if log else ''}); blue "
        "where that is better for the shop, red where worse (fewer days since the last order "
        "is better; a platform's share is neither, left white). Each "
        "name's noun is the cluster's strongest driver; its adjective, the next strong one "
        "(beyond 0.3 standard deviations) that best tells it apart from clusters with the same "
        "strongest driver. No two names are the same or speak of the same features in the same "
        "directions (two may share a word: each tells one feature); where nothing else tells "
        "two apart, the cluster's number does. A name only calls a cluster high or low on a "
        "feature when its mean in the table below is above or below the average customer's."
    )
    ui.reading(
        cl.drivers_reading(fitted["drivers"], profiles, built.table, built.features, currency)
    )

    column_config = {
        "cluster": st.column_config.NumberColumn("Cluster", width=60, pinned=True),
        "name": columns.key("Name"),
        "customers": columns.count("Customers"),
        "customer_share": columns.percent("Share of customers"),
        "revenue": columns.money("Net revenue", currency),
        "revenue_share": columns.percent("Share of revenue"),
        "revenue_per_customer": columns.money("Revenue per customer", currency, 2),
        "revenue_sq": None,  # for the chance test of the ROI reading, not to read
    }
    shares = ["customer_share", "revenue_share"]
    for name, feature in built.features.items():
        title = feature.label[:1].lower() + feature.label[1:]
        for stat in ("mean", "median"):
            label = f"{stat.capitalize()} {title}"
            column = f"{stat}_{name}"
            if feature.unit == "share":
                shares.append(column)
                column_config[column] = columns.percent(label)
            elif feature.unit == "money":
                column_config[column] = columns.money(label, currency, 2)
            elif feature.unit in ("score", "orders", "count"):
                column_config[column] = columns.number(label, 2)
            else:
                column_config[column] = columns.number(label, 0)
    columns.table(columns.in_percent(profiles, *shares), column_config)
    ui.download(profiles, "cluster_profiles", key="clusters_download_profiles")

    # --- ROI --------------------------------------------------------------------------------------
    st.subheader("Return per cluster")
    left, right, _ = st.columns([1, 1, 2])
    check.number("clusters_margin", 0.0, 100.0, cl.MARGIN, label="Gross margin (%)", whole=False)
    margin = left.number_input(
        "Gross margin (%)",
        min_value=0.0,
        max_value=100.0,
        value=cl.MARGIN,
        step=5.0,
        format="%.1f",
        key="clusters_margin",
        bind=links.BIND,
        help="The share of revenue left after the cost of the goods sold.",
    )
    most = recipe.LIMITS["clusters"]["cost"][1]  # the recipe's and the CLI's top
    # Within the field: a dong or rupiah shop's 10% of revenue per customer can pass its top.
    share_of_revenue = cl.default_cost(built.table)
    opening_cost = min(share_of_revenue, most)
    # Another data set opens on its own default cost.
    check.basis("clusters_cost", round(share_of_revenue * 100), opening_cost)
    check.number("clusters_cost", 0.0, most, opening_cost, label="Cost per customer", whole=False)
    cost = right.number_input(
        money_title("Cost per customer", currency),  # one line beside Gross margin (%)
        min_value=0.0,
        max_value=most,
        value=opening_cost,
        step=1.0,
        key="clusters_cost",
        bind=links.BIND,
        help="What you would spend to serve or market to each customer of a cluster (campaign, "
        "service, discounts). "
        f"Opens on {fmt.pct(cl.COST_SHARE, 0)} of the average net revenue per customer, rounded.",
    )
    if share_of_revenue > most:
        st.caption(
            f"{fmt.pct(cl.COST_SHARE, 0)} of the average net revenue per customer is "
            f"{fmt.money(share_of_revenue, currency)}, above the largest cost this field takes: "
            f"it opens on {fmt.money(most, currency)}."
        )
    roi = cl.cluster_roi(profiles, margin, cost)
    ui.chart(charts.roi_chart(roi, currency), width="stretch")
    ui.reading(cl.roi_reading(roi, currency, cost))
    average = built.table["monetary"].mean()
    st.caption(
        "Profit per customer = revenue per customer × margin − cost; ROI = profit / cost. "
        "Revenue per customer is what the cluster spent over the whole period in the data, not "
        "the result of any campaign: the ROI is a what-if, and with one cost for every cluster "
        "it ranks them as their past revenue per customer does. The cost opens on "
        f"{fmt.pct(cl.COST_SHARE, 0)} of the average net revenue per customer "
        f"({fmt.money(average, currency)} → {fmt.money(share_of_revenue, currency)}"
        f"{'' if share_of_revenue <= most else ', above the field’s top'}): a placeholder, "
        "replace it with what a campaign or service really costs you."
    )
    # The answer first: rank, name, ROI and profit; how they are computed follows.
    columns.table(
        columns.in_percent(roi, "roi"),
        {
            "rank": st.column_config.NumberColumn("Rank", width=55, pinned=True),
            "cluster": st.column_config.NumberColumn("Cluster", width=60),
            "name": columns.key("Name"),
            "customers": columns.count("Customers"),
            # How profit is made, per customer: short headers so that all of it fits in view.
            "revenue_per_customer": columns.money("Revenue per customer", currency, 2),
            "gross_profit_per_customer": columns.money(
                "Gross profit", currency, 2, help="Per customer: revenue × margin."
            ),
            "cost_per_customer": columns.money("Cost", currency, 2, help="Per customer."),
            "profit_per_customer": columns.money("Profit per customer", currency, 2),
            "roi": st.column_config.NumberColumn("ROI", format="%+,.0f%%"),
            "total_profit": columns.money("Total profit", currency),
            "few": st.column_config.CheckboxColumn(
                "Too few",
                help=f"Fewer than {cl.SMALL_CUSTOMERS} customers or under "
                f"{fmt.pct(cl.SMALL_SHARE, 0)} of them: a rank resting on a handful, no segment "
                "to plan spending on.",
            ),
            "revenue_sq": None,
        },
        order=["rank", "name", "few", "roi", "profit_per_customer", "total_profit", "customers"],
    )
    ui.download(roi, "cluster_roi", key="clusters_download_roi")

    # --- closer looks -----------------------------------------------------------------------------
    st.subheader("Look closer")
    check.choice("clusters_view", VIEWS, VIEWS[0], label="View")
    view = st.segmented_control(
        "View", VIEWS, default=VIEWS[0], key="clusters_view", required=True, bind=links.BIND
    )
    if view == "Choosing k":
        marked = diag.marked()
        figure = diagnostics_figure(f"{ds.key}:{features}:{log}", diag.table, diag.suggested_k)
        ui.chart(figure, width="stretch")
        ui.reading(diag.reason)
        st.caption(
            f"Computed for k = 2 to 10 with {diag.method}. Suggested: the best silhouette of the "
            f"k that leave no small cluster (fewer than {cl.SMALL_CUSTOMERS} customers or under "
            f"{fmt.pct(cl.SMALL_SHARE, 0)} of them), or of those that leave the fewest when "
            f"every k leaves one; k within {cl.TIE} of it go to the one nearest the elbow of the "
            "inertia curve."
        )
        columns.table(
            marked,
            {
                "k": st.column_config.NumberColumn(
                    cl.DIAGNOSTIC_HEADERS["k"], format="%d", pinned=True
                ),
                "inertia": columns.number(cl.DIAGNOSTIC_HEADERS["inertia"], 0),
                "silhouette": columns.number(cl.DIAGNOSTIC_HEADERS["silhouette"], 3),
                "davies_bouldin": columns.number(cl.DIAGNOSTIC_HEADERS["davies_bouldin"], 3),
                "small_clusters": columns.count(cl.DIAGNOSTIC_HEADERS["small_clusters"]),
                "suggested": st.column_config.CheckboxColumn(cl.DIAGNOSTIC_HEADERS["suggested"]),
            },
        )
        ui.download(marked, "cluster_diagnostics", key="clusters_download_diagnostics")
        st.markdown("**How each feature enters the model**")
        columns.table(
            cl.caps_in_units(entered, built.features, currency),
            {
                "feature": None,
                "label": columns.key("Feature", width="medium"),
                "skewness": columns.number("Skewness (after capping)", 2),
                "logged": st.column_config.CheckboxColumn("Log-transformed"),
                "low_cap": columns.text("Capped below at"),
                "high_cap": columns.text("Capped above at"),
                "capped": columns.count("Customers capped"),
            },
        )
        ui.download(entered, "cluster_model_features", key="clusters_download_model")
    elif view == "2-D map":
        projection: cl.Projection = fitted["projection"]
        ui.chart(charts.projection_chart(projection.points, projection.explained), width="stretch")
        ui.reading(cl.projection_reading(projection, k, len(features)))
        if projection.points.height < customers:
            st.caption(
                f"A fixed random sample of {projection.points.height:,} of {customers:,} customers."
            )
    elif view == "RFM segments":
        segments, whose, blind = ui.rfm_segments(ds)
        cross = cl.segment_crosstab(assigned(), segments)
        if cross.height == 0:
            st.info("No customer is both in a cluster and in an RFM segment.")
        else:
            st.caption(whose)
            ui.segments_blind(blind)
            ui.chart(charts.crosstab_chart(cross), width="stretch")
            ui.reading(cl.crosstab_reading(cross, blind=bool(blind)))
            ui.download(cross, "clusters_by_rfm_segment", key="clusters_download_crosstab")

    # --- export -----------------------------------------------------------------------------------
    st.subheader("Export")
    st.caption("Every customer with their cluster number and name, for a CRM or a campaign list.")
    ui.download(
        assigned,  # named when the button is clicked: a column of text per customer
        "customer_clusters",
        key="clusters_download_assignments",
        label="Download customer → cluster (CSV)",
    )
    ui.deleted_note(ds, built.table["customer_id"], "in the export")


clustering()
