"""Categories: which category performs best and which has the most potential."""

import polars as pl
import streamlit as st

from lib import fmt, measures, periods, state, stats, trend
from lib.analyses import categories as cat
from lib.catalog import PAGE_BY_KEY
from lib.charts import categories as charts
from pages.common import columns, exports, links, ui


def _service(ds) -> pl.DataFrame:
    return cat.category_service(ds.tables["lines"], ds.tables.get("orders"))


cached_sales = ui.cached(cat.category_sales)
cached_service = ui.cached(_service)
cached_monthly = ui.cached(cat.monthly_revenue)

ds = state.dataset()
st.title("Categories")
st.caption(PAGE_BY_KEY["categories"].answers)
lines = state.require("lines", "category", hint=PAGE_BY_KEY["categories"].hint(ds))
currency = ds.currency
ui.definitions(ds, "order", "revenue", *measures.delivery_terms(ds))
exports.page_tools("categories", ds)
check = links.Checks("categories", ds)


@exports.fragment
def controlled() -> None:
    """Everything under the controls, with them: they sit at the top and drive all of it, and
    nothing in the sidebar or the navigation, so a control's move reruns this part alone."""
    # --- controls ---------------------------------------------------------------------------------
    left, right = st.columns(2)
    check.number("categories_months", 1, 12, cat.MONTHS, label="Growth months")
    months = left.slider(
        "Growth: the last N full months",
        1,
        12,
        cat.MONTHS,
        key="categories_months",
        bind=links.BIND,
        help="Full calendar months only: a partial last month would look like a decline.",
    )
    ui.check_against(check, "categories_against")
    against = (
        left.segmented_control(
            **ui.AGAINST_CONTROL, key="categories_against", required=True, bind=links.BIND
        )
        or "before"
    )
    check.number("categories_min_orders", 1, 10_000, cat.MIN_ORDERS, label="Fewest orders")
    min_orders = right.number_input(
        "Fewest orders to rank a category",
        min_value=1,
        max_value=10_000,
        value=cat.MIN_ORDERS,
        step=5,
        key="categories_min_orders",
        bind=links.BIND,
        help="A category with fewer orders gets no potential score (a handful of orders gives a "
        "perfect review or a huge growth rate by chance); growth counts only with this many orders "
        "in each of the two compared windows.",
    )

    window = cat.growth_window(lines["ordered_at"], months, against)
    sales = cached_sales(ds.key, lines, months=months, against=against)
    table = cat.with_quadrants(
        cat.combined_table(sales, cached_service(ds.key, ds), min_orders=int(min_orders))
    )
    st.caption(
        "Revenue is net: returns and cancellations are subtracted. "
        + (
            f"Growth compares {window.describe()}."
            if window.available
            else f"No growth figures: {window.reason}."
        )
    )

    if left_out := cat.uncategorised_note(sales, currency):
        st.caption(left_out)
    if table.height == 0:
        st.info(f"{cat.NO_CATEGORY.capitalize()}.")
        st.stop()
    with_growth = table.filter(pl.col("growth").is_not_null())
    best = table.row(0, named=True)
    # The card that names a category is wider: a long name must not end in "…".
    cols = st.columns([0.8, 1.6, 1, 1])
    cols[0].metric("Categories", f"{table.height:,}")
    cols[1].metric(
        "Largest category",
        fmt.plain(best["label"]),
        help=f"{fmt.money(best['revenue'], currency)} net revenue, "
        f"{fmt.pct(best['share'])} of total",
    )
    grown, judged = cat.growing_count(table)
    cols[2].metric(
        "Growing beyond chance",
        f"{grown} of {judged}",
        help=f"Revenue up beyond chance in {periods.compared(months, against)}, across "
        f"the categories compared (those with {int(min_orders)} orders or more in each window): "
        f"its growth clear of +{measures.FLAT:.0%} (as on Regions). {trend.RULE} {stats.MANY}",
    )
    cols[3].metric(
        "Unreliable growth figures",
        f"{with_growth.filter(~pl.col('growth_reliable')).height}",
        help=f"Of the {fmt.counted(with_growth.height, 'category', 'categories')} with a "
        f"growth figure (revenue in the earlier window), those with fewer than {int(min_orders)} "
        "orders in either compared window"
        + (
            "; "
            + fmt.counted(
                none,
                "category with no revenue in the earlier window has",
                "categories with no revenue in the earlier window have",
            )
            + " no growth figure at all"
            if (none := table.height - with_growth.height)
            else ""
        ),
    )
    st.markdown(f":material/leaderboard: {cat.largest_reading(table, window, currency)}")

    # --- growth x share ---------------------------------------------------------------------------
    st.subheader("Growth and share")
    if not window.available:
        st.info(
            f"The growth-share chart needs growth figures: {window.reason}. {window.remedy('N')}"
        )
    elif with_growth.height == 0:
        st.info("No category sold in both compared periods, so none has a growth figure.")
    else:
        ui.chart(
            charts.growth_share_chart(table, currency, first=cat.quadrant_named(table)),
            width="stretch",
        )
        st.caption(
            f"Dividing lines: the median share ({fmt.pct(table['share'].median())}) and "
            f"{fmt.change(measures.FLAT)} growth. A category grows only beyond chance: its growth "
            f"clear of {fmt.change(measures.FLAT)} across all the categories compared, so a bubble "
            f"above the line can be established or niche. {trend.RULE} {stats.MANY} "
            + " · ".join(f"{name.capitalize()}: {what}" for name, what in cat.QUADRANTS.items())
            + ". Bubble size: orders; faint grey bubbles "
            "have too few orders for a reliable growth figure, so no quadrant, and the growth "
            "axis spans the "
            "reliable ones: a faint bubble beyond it sits at its edge (its tooltip gives its "
            "growth)."
        )
        ui.reading(cat.quadrant_reading(table, currency))
        no_growth = table.filter(pl.col("growth").is_null())
        if no_growth.height:
            listed = ", ".join(map(fmt.plain, no_growth["label"]))
            st.caption(f"Not placed (no sales in the earlier period): {listed}.")

    # --- potential --------------------------------------------------------------------------------
    st.subheader("Potential")
    st.markdown(
        f"A score from 0 to 1 for each category with at least {fmt.counted(min_orders, 'order')}: "
        "revenue share is scaled 0–1 across those categories; growth, review score and late "
        "deliveries score 0.5 where a category is within chance of flat or of the average, and "
        "only beyond chance move towards 1 (better: fewer late deliveries) or 0 (worse), by how "
        "far they lie from it. The components are averaged with your weights. Growth counts "
        "only with at least "
        f"{fmt.counted(min_orders, 'order')} in each compared window."
    )
    missing = cat.missing_components(table)
    weight_cols = st.columns(len(cat.COMPONENTS))
    weights = {}
    for column, name in zip(weight_cols, cat.COMPONENTS, strict=True):
        label = f"Weight of {cat.COMPONENT_LABELS[name]}"
        check.number(f"categories_weight_{name}", 0.0, 1.0, 1.0, label=label, whole=False)
        weights[name] = column.slider(
            label,
            0.0,
            1.0,
            1.0,
            0.1,
            key=f"categories_weight_{name}",
            bind=links.BIND,
            disabled=name in missing,
            help="Missing in this data" if name in missing else None,
        )
    if missing:
        st.caption(cat.left_out_note(table, ds))
    potential = cat.potential_scores(table, weights, int(min_orders))
    contributions = cat.potential_contributions(potential)
    if contributions.height == 0:
        st.info(cat.potential_reading(potential, window, currency))
    else:
        ui.chart(charts.potential_chart(contributions, cat.CHARTED), width="stretch")
        ui.reading(cat.potential_reading(potential, window, currency))
        if note := cat.charted_note(potential):
            st.caption(note)
    for why, unranked in (
        (f"fewer than {int(min_orders):,} orders", table.filter(pl.col("orders") < min_orders)),
        ("no figure for the weighted components", cat.unscored(potential)),
    ):
        if unranked.height:
            st.caption(
                f"Not ranked, {why} ({unranked.height}): "
                + ", ".join(map(fmt.plain, unranked["label"].head(10)))
                + (f" and {unranked.height - 10} more" if unranked.height > 10 else "")
                + "."
            )

    # --- trends -----------------------------------------------------------------------------------
    st.subheader("Monthly trend of the largest categories")
    check.number("categories_top", 6, 9, cat.TOP, label="Categories shown")
    top = st.slider("Categories shown", 6, 9, cat.TOP, key="categories_top", bind=links.BIND)
    monthly = cached_monthly(ds.key, lines, top=top)
    ui.chart(charts.trend_chart(monthly, currency), width="content")
    st.caption("Each panel has its own scale, to show the shape of each trend.")
    ui.reading(cat.trend_reading(monthly, table, window))

    # --- table ------------------------------------------------------------------------------------
    st.subheader("All categories")
    shown = potential.table.sort("revenue", descending=True).select(
        pl.col("label").alias("category"),
        "revenue",
        "share",
        "orders",
        "units",
        "avg_price",
        "growth",
        "growth_low",
        "growth_high",
        "growth_reliable",
        cat.placed_quadrant(),
        "potential",
        "review_score",
        "late_rate",
        "freight_share",
    )
    optional = ("units", "avg_price", "review_score", "late_rate", "freight_share")
    shown = shown.drop(c for c in optional if shown[c].null_count() == shown.height)
    columns.table(
        columns.in_percent(
            columns.growth_shown(shown),
            "share",
            "growth",
            "growth_low",
            "growth_high",
            "late_rate",
            "freight_share",
        ),
        {
            "category": columns.key("Category"),
            "revenue": columns.money("Net revenue", currency),
            "share": columns.percent("Share"),
            "orders": columns.count(
                "Orders",
                help="Orders with an item of the category: an order with items of several "
                "categories counts in each, so the rows add up to more than the orders on Sales.",
            ),
            "units": columns.count("Units"),
            "avg_price": columns.money("Avg price", currency, 2),
            **columns.growth(),
            "growth_reliable": st.column_config.CheckboxColumn(
                "Reliable",
                help=f"Growth from at least {fmt.counted(min_orders, 'order')} in each compared "
                "window",
            ),
            "quadrant": st.column_config.TextColumn(
                "Quadrant", help="— where growth rests on too few orders to place the category"
            ),
            "potential": st.column_config.ProgressColumn(
                "Potential", min_value=0.0, max_value=1.0, format="%.2f", width=100
            ),
            "review_score": columns.number(
                "Review", 2, help="Mean review score (1 to 5 stars) of the delivered orders."
            ),
            "late_rate": columns.percent("Late", help="Share of delivered orders delivered late."),
            "freight_share": columns.percent(
                "Freight share",
                help="Freight over price + freight: the share of what customers paid.",
            ),
        },
    )
    with st.container(horizontal=True):  # side by side at their own widths
        ui.download(potential.table, "categories", key="categories_download_table")
        ui.download(
            monthly, "category_trends", key="categories_download_trend", label="Download trends"
        )


controlled()
