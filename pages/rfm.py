"""RFM: customer segments by recency, frequency and monetary value, with actions."""

import math

import polars as pl
import streamlit as st

from lib import fmt, state
from lib.analyses import rfm
from lib.catalog import PAGE_BY_KEY
from lib.charts import money_title
from lib.charts import rfm as charts
from pages.common import ui

MODES = {"quantiles": "Quantiles", "thresholds": "My thresholds"}
VIEWS = ("Segments", "R × F grid", "Profiles", "Customers")
TIE_LABELS = {"first": "broken in row order", "shared": "equal values share"}

ds = state.dataset()
st.title("RFM")
lines = state.require("lines", "customer_id", hint=PAGE_BY_KEY["rfm"].enable_hint)
currency = ds.currency

# --- controls ---------------------------------------------------------------------------------
cancellations = ui.cached(rfm.has_cancellations)(ds.key, lines)
last_day = lines["ordered_at"].max().date()
cols = st.columns([2, 2, 3, 4])
as_of = cols[0].date_input(
    "As of",
    value=rfm.default_as_of(lines),
    key=f"rfm_as_of|{ds.key}",
    help="Recency counts days from the last order to this date; only orders before it count. "
    "Default: the day after the last order.",
)
bins = cols[1].segmented_control(
    "Scores", list(rfm.BINS), default=5, key="rfm_bins", required=True, help="Bins per dimension"
)
mode = cols[2].segmented_control(
    "Score by",
    list(MODES),
    default="quantiles",
    format_func=MODES.get,
    key="rfm_mode",
    required=True,
    help="Quantiles: equal-sized groups of customers. My thresholds: set the cut-offs yourself.",
)
ties = "first"
if mode == "quantiles":
    ties = cols[3].segmented_control(
        "Ties",
        list(rfm.TIES),
        default="first",
        format_func=TIE_LABELS.get,
        key="rfm_ties",
        required=True,
        help='Row order: pd.qcut(x.rank(method="first"), bins), as most published analyses do; '
        "customers are in customer-id order. Shared: customers with equal values get the same "
        "score, so a heaped value (one order) can skip scores.",
    )
clean = st.toggle(
    "Clean as the published analyses do",
    value=cancellations,
    key=f"rfm_clean|{ds.key}",
    help="Drop cancellation invoices, exact duplicate rows, and lines with a quantity or unit "
    "price that is not positive (as the Online Retail RFM notebooks do). Off: returns are "
    "netted out of revenue instead.",
)

table_key = f"{ds.key}|clean={clean}|as_of={as_of}"
table: rfm.CustomerTable = ui.cached(rfm.customer_table)(table_key, lines, as_of=as_of, clean=clean)
customers = table.customers
left_out = (
    f" {table.lines_without_customer:,} of {lines.height:,} lines "
    f"({fmt.money(table.revenue_without_customer, currency)} of revenue) have no customer id and "
    "are left out."
    if table.lines_without_customer
    else ""
)
extra = []
if table.cleaned_lines:
    extra.append(f"cleaning removed {table.cleaned_lines:,} more lines")
if table.return_only_customers:
    extra.append(f"{table.return_only_customers:,} customers with only returns are left out")
st.caption(
    "One row per person (merged accounts and Olist's per-order ids resolved). Frequency counts "
    "distinct orders (cancellation invoices are not orders); monetary is net revenue, returns "
    "subtracted."
    + (f" Amounts in {currency}." if currency else "")
    + left_out
    + (f" {'; '.join(extra).capitalize()}." if extra else "")
)
if customers.height == 0:
    st.info(
        f"No customer ordered before {as_of:%d %b %Y}: move the as-of date after the first order "
        f"(the data runs to {last_day:%d %b %Y})."
    )
    st.stop()

# --- scores -----------------------------------------------------------------------------------
if mode == "quantiles":
    scored = ui.cached(rfm.quantile_scored)(f"{table_key}|q", customers, bins=bins, ties=ties)
    for c in rfm.collapsed_dimensions(scored, bins):
        st.warning(
            f"{c.dimension.capitalize()} takes only {len(c.scores)} distinct scores of {bins} "
            f"({', '.join(map(str, c.scores))}): many customers share the same "
            f"{c.dimension} value. Break ties in row order, or set thresholds yourself.",
            icon=":material/warning:",
        )
    if ties == "first":
        for dim, value, share in ui.cached(rfm.heaped_values)(
            f"{table_key}|heaped", customers, bins=bins
        ).rows():
            st.caption(
                f":material/info: {fmt.pct(share)} of customers share the same {dim} "
                f"({value:,.0f}): row order, not behaviour, spreads them over several scores."
            )
else:
    start = ui.cached(rfm.default_cuts)(f"{table_key}|cuts", customers, bins=bins)
    st.caption(
        "Set where each score starts; the sliders start at the quantile cut-offs. Recency: a "
        "customer whose last order is within the days scores that high. Frequency and "
        "monetary: a customer reaching the value scores at least that."
    )

    def _ceiling(value: float) -> int:
        return max(1, int(math.ceil(value)))

    spans = {
        "recency": (0, _ceiling(customers["recency_days"].max()), 1, "days"),
        "frequency": (
            1,
            max(_ceiling(customers["frequency"].quantile(0.99)), 20, bins + 1),
            1,
            "orders",
        ),
    }
    top_spend = _ceiling(customers["monetary"].quantile(0.99) or 1)
    step = 10 ** max(0, int(math.log10(top_spend)) - 2)
    spans["monetary"] = (0, int(math.ceil(top_spend / step) * step), step, currency or "money")
    cuts: dict[str, list[float]] = {}
    slider_cols = st.columns(3)
    for col, dim in zip(slider_cols, rfm.DIMENSIONS, strict=True):
        low, high, step, unit = spans[dim]
        col.markdown(f"**{dim.capitalize()}** ({unit})")
        values = []
        for k, default in enumerate(start[dim], start=1):
            label = (
                f"R{bins - k + 1} if within (days)"
                if dim == "recency"
                else f"{dim[0].upper()}{k + 1} from ({unit})"
            )
            values.append(
                col.slider(
                    label,
                    low,
                    high,
                    int(min(max(default, low), high)),
                    step=step,
                    key=f"rfm_{dim}_{bins}_{k}",
                )
            )
        cuts[dim] = values
    scored = rfm.threshold_scored(customers, cuts)

# --- segments ---------------------------------------------------------------------------------
with st.expander(
    "Segment rules — edit to regroup customers (top to bottom, the first rule that matches wins)",
    expanded=False,
):
    rules = st.data_editor(
        rfm.default_rules(bins),
        key="rfm_rules",
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        column_config={
            "segment": st.column_config.TextColumn("Segment", required=True, width="medium"),
            **{
                f"{letter}_{end}": st.column_config.NumberColumn(
                    f"{letter.upper()} {end}",
                    min_value=1,
                    max_value=bins,
                    step=1,
                    width="small",
                    help="Empty: any score",
                )
                for letter in "rfm"
                for end in ("from", "to")
            },
            "action": st.column_config.TextColumn("Suggested action", width="large"),
        },
    )
    st.caption(
        "The default is the 10-segment R-F map of the published Online Retail RFM analyses "
        "(their regex map on the R and F scores, e.g. '[1-2][1-2]' hibernating, '5[4-5]' "
        "champions; the same first-match order as pandas' replace(regex=True)), scaled for 3 "
        'and 4 bins. Scores no rule covers go to "other".'
    )
rules = pl.DataFrame(rules) if not isinstance(rules, pl.DataFrame) else rules
for problem in rfm.rule_problems(rules, bins):
    st.warning(problem, icon=":material/rule:")
customers = rfm.segmented(scored, rules)
summary = rfm.segment_summary(customers, rules)
state.share("rfm_segments", customers.select("customer_id", "segment"))

cols = st.columns(4)
cols[0].metric("Customers", fmt.count(customers.height), border=True)
cols[1].metric(
    "Net revenue",
    fmt.money(customers["monetary"].sum(), currency),
    help="Net revenue of these customers before the as-of date.",
    border=True,
)
cols[2].metric(
    "Segments",
    summary.filter(pl.col("segment") != rfm.OTHER).height,
    help="Segments with at least one customer",
    border=True,
)
cols[3].metric(
    "Not covered by a rule",
    fmt.count(summary.filter(pl.col("segment") == rfm.OTHER)["customers"].sum()),
    help='Customers in "other": no rule covers their scores.',
    border=True,
)

view = st.segmented_control("View", VIEWS, default=VIEWS[0], key="rfm_view", required=True)
if view == VIEWS[0]:
    st.altair_chart(charts.segment_chart(summary, currency), width="stretch")
    ui.reading(rfm.segments_reading(summary, currency))
    shown = summary.drop("action")
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "segment": st.column_config.TextColumn("Segment"),
            "customers": st.column_config.NumberColumn("Customers", format="localized"),
            "customer_share": st.column_config.NumberColumn("Share", format="percent"),
            "revenue": st.column_config.NumberColumn(
                money_title("Net revenue", currency), format="%,.0f"
            ),
            "revenue_share": st.column_config.NumberColumn("Revenue share", format="percent"),
            "avg_recency_days": st.column_config.NumberColumn("Avg recency (days)", format="%.0f"),
            "avg_frequency": st.column_config.NumberColumn("Avg orders", format="%.1f"),
            "avg_monetary": st.column_config.NumberColumn(
                money_title("Avg net revenue", currency), format="%,.0f"
            ),
        },
    )
    ui.download(summary, "rfm_segments_summary", "rfm_download_summary")
elif view == VIEWS[1]:
    grid = rfm.rf_grid(customers, bins)
    st.altair_chart(charts.grid_heatmap(grid, bins, currency), width="stretch")
    ui.reading(rfm.grid_reading(grid, bins, currency))
    ui.download(grid, "rfm_grid", "rfm_download_grid")
elif view == VIEWS[2]:
    per_row = 3
    rows = list(summary.iter_rows(named=True))
    for start_at in range(0, len(rows), per_row):
        for col, row in zip(st.columns(per_row), rows[start_at : start_at + per_row], strict=False):
            with col.container(border=True):
                st.markdown(f"**{row['segment'].capitalize()}**")
                st.markdown(
                    f"{fmt.count(row['customers'])} customers ({fmt.pct(row['customer_share'])})"
                    f" · {fmt.pct(row['revenue_share'])} of net revenue  \n"
                    f"last order {row['avg_recency_days']:,.0f} days ago · "
                    f"{row['avg_frequency']:,.1f} orders · "
                    f"{fmt.money(row['avg_monetary'], currency)} each (averages)"
                )
                st.caption(f":material/campaign: {row['action'] or 'No action set.'}")
    ui.reading(rfm.segments_reading(summary, currency))
    ui.download(summary, "rfm_segment_profiles", "rfm_download_profiles")
else:
    order = summary["segment"].to_list()
    picked = st.multiselect("Segments", order, key="rfm_segment_filter", placeholder="All segments")
    listed = customers.filter(pl.col("segment").is_in(picked)) if picked else customers
    listed = listed.drop("rf").sort(["monetary", "customer_id"], descending=[True, False])
    st.dataframe(
        listed,
        hide_index=True,
        width="stretch",
        column_config={
            "customer_id": st.column_config.TextColumn("Customer"),
            "first_order": st.column_config.DateColumn("First order"),
            "last_order": st.column_config.DateColumn("Last order"),
            "recency_days": st.column_config.NumberColumn("Recency (days)"),
            "frequency": st.column_config.NumberColumn("Orders"),
            "monetary": st.column_config.NumberColumn(
                money_title("Net revenue", currency), format="%,.2f"
            ),
            "r_score": st.column_config.NumberColumn("R"),
            "f_score": st.column_config.NumberColumn("F"),
            "m_score": st.column_config.NumberColumn("M"),
            "segment": st.column_config.TextColumn("Segment"),
        },
    )
    ui.reading(rfm.customers_reading(listed, currency))
    ui.download(listed, "rfm_customers", "rfm_download_customers")
