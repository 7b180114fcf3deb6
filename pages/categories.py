"""Categories: which category performs best and which has the most potential."""

import polars as pl
import streamlit as st

from lib import fmt, state
from lib.analyses import categories as cat
from lib.catalog import PAGE_BY_KEY
from lib.charts import categories as charts
from lib.charts import money_title
from pages.common import ui

SERVICE_NEEDS = {
    "review": ("review_score", "upload olist_order_reviews_dataset.csv with the orders"),
    "late": (
        "delivered_at and estimated_delivery_at",
        "upload olist_orders_dataset.csv with delivery dates",
    ),
}


def _service(ds) -> pl.DataFrame:
    return cat.category_service(ds.tables["lines"], ds.tables.get("orders"))


cached_sales = ui.cached(cat.category_sales)
cached_service = ui.cached(_service)
cached_monthly = ui.cached(cat.monthly_revenue)

ds = state.dataset()
st.title("Categories")
lines = state.require("lines", "category", hint=PAGE_BY_KEY["categories"].enable_hint)
currency = ds.currency

left, right = st.columns(2)
months = left.slider(
    "Growth: compare the last N full months with the N before",
    1,
    12,
    cat.MONTHS,
    key="categories_months",
    help="Full calendar months only: a partial last month would look like a decline.",
)
min_orders = right.number_input(
    "Fewest orders for a reliable growth figure",
    min_value=1,
    max_value=10_000,
    value=cat.MIN_ORDERS,
    step=5,
    key="categories_min_orders",
    help="Orders of the category in the compared months. Below this, growth is flagged and "
    "does not count towards potential.",
)

window = cat.growth_window(lines["ordered_at"], months)
sales = cached_sales(ds.key, lines, months=months)
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

with_growth = table.filter(pl.col("growth").is_not_null())
best = table.row(0, named=True)
cols = st.columns(4)
cols[0].metric("Categories", f"{table.height:,}")
cols[1].metric(
    "Largest category",
    best["label"],
    help=f"{fmt.money(best['revenue'], currency)} net revenue, {fmt.pct(best['share'])} of total",
)
cols[2].metric(
    "Growing categories",
    f"{with_growth.filter(pl.col('growth') > 0).height} of {with_growth.height}",
    help="Revenue up in the last N full months against the N before",
)
cols[3].metric(
    "Unreliable growth figures",
    f"{with_growth.filter(~pl.col('growth_reliable')).height}",
    help=f"Categories with fewer than {int(min_orders)} orders in the compared months",
)
st.markdown(f":material/trophy: {cat.best_performer_reading(table, window, currency)}")

# --- growth x share ---------------------------------------------------------------------------
st.subheader("Growth and share")
if not window.available:
    st.info(f"The growth-share chart needs growth figures: {window.reason}. Try a smaller N.")
elif with_growth.height == 0:
    st.info("No category sold in both compared periods, so none has a growth figure.")
else:
    st.altair_chart(charts.growth_share_chart(table, currency), width="stretch")
    st.caption(
        f"Dividing lines: the median share ({fmt.pct(table['share'].median())}) and 0% growth. "
        "Leaders: high share, growing · Rising: low share, growing · Steady: high share, not "
        "growing · Fading: low share, shrinking. Bubble size: orders; faint bubbles have too few "
        "orders for a reliable growth figure."
    )
    ui.reading(cat.quadrant_reading(table, currency))
    no_growth = table.filter(pl.col("growth").is_null())
    if no_growth.height:
        st.caption(f"Not placed (no sales in the earlier period): {', '.join(no_growth['label'])}.")

# --- potential --------------------------------------------------------------------------------
st.subheader("Potential")
st.markdown(
    "A score from 0 to 1: each component is scaled 0–1 across categories (fewer late deliveries "
    "score higher) and averaged with your weights."
)
probe = cat.potential_scores(table, dict.fromkeys(cat.COMPONENTS, 1.0))
weight_cols = st.columns(len(cat.COMPONENTS))
weights = {}
for column, name in zip(weight_cols, cat.COMPONENTS, strict=True):
    weights[name] = column.slider(
        f"Weight of {cat.COMPONENT_LABELS[name]}",
        0.0,
        1.0,
        1.0,
        0.1,
        key=f"categories_weight_{name}",
        disabled=name in probe.missing,
        help="Missing in this data" if name in probe.missing else None,
    )
if probe.missing:
    why = []
    for name in probe.missing:
        if name in SERVICE_NEEDS:
            column, hint = SERVICE_NEEDS[name]
            why.append(f"{cat.COMPONENT_LABELS[name]} (needs orders.{column}: {hint})")
        else:
            why.append(f"{cat.COMPONENT_LABELS[name]} (no reliable growth figure)")
    st.caption("Left out of the score, weights shared among the rest: " + "; ".join(why) + ".")
potential = cat.potential_scores(table, weights)
contributions = cat.potential_contributions(potential)
if contributions.height == 0:
    st.info("Set at least one available weight above zero to score the categories.")
else:
    st.altair_chart(charts.potential_chart(contributions), width="stretch")
    ui.reading(cat.potential_reading(potential, window, currency))

# --- trends -----------------------------------------------------------------------------------
st.subheader("Monthly trend of the largest categories")
top = st.slider("Categories shown", 6, 9, cat.TOP, key="categories_top")
monthly = cached_monthly(ds.key, lines, top=top)
st.altair_chart(charts.trend_chart(monthly, currency), width="content")
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
    "growth_reliable",
    "quadrant",
    "potential",
    "review_score",
    "late_rate",
    "freight_share",
)
optional = ("units", "avg_price", "review_score", "late_rate", "freight_share")
shown = shown.drop(c for c in optional if shown[c].null_count() == shown.height)
st.dataframe(
    shown,
    hide_index=True,
    column_config={
        "category": st.column_config.TextColumn("Category", pinned=True),
        "revenue": st.column_config.NumberColumn(
            money_title("Net revenue", currency), format="%,.0f"
        ),
        "share": st.column_config.NumberColumn("Share", format="percent"),
        "orders": st.column_config.NumberColumn("Orders", format="localized"),
        "units": st.column_config.NumberColumn("Units", format="localized"),
        "avg_price": st.column_config.NumberColumn(
            money_title("Avg price", currency), format="%.2f"
        ),
        "growth": st.column_config.NumberColumn("Growth", format="percent"),
        "growth_reliable": st.column_config.CheckboxColumn(
            "Reliable growth", help=f"At least {int(min_orders)} orders in the compared months"
        ),
        "quadrant": st.column_config.TextColumn("Quadrant"),
        "potential": st.column_config.ProgressColumn(
            "Potential", min_value=0.0, max_value=1.0, format="%.2f"
        ),
        "review_score": st.column_config.NumberColumn("Avg review", format="%.2f"),
        "late_rate": st.column_config.NumberColumn("Late deliveries", format="percent"),
        "freight_share": st.column_config.NumberColumn("Freight / price", format="percent"),
    },
)
left, right, _ = st.columns([1, 1, 3])
with left:
    ui.download(potential.table, "categories", key="categories_download_table")
with right:
    ui.download(
        monthly, "category_trends", key="categories_download_trend", label="Download trends"
    )
