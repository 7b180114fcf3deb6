"""Cohorts: how many customers of each first-purchase cohort come back, period by period."""

import streamlit as st

from lib import fmt, quality, state
from lib.analyses import churn, cohorts
from lib.catalog import PAGE_BY_KEY
from lib.charts import churn as churn_charts
from lib.charts import cohorts as charts
from pages.common import columns, exports, links, ui

SHARES = ui.labelled({q: fmt.pct(q, 0) for q in churn.CHOICES})


def _churn_base(lines):
    """What the churn window reads whatever the quantile (cached once per data set)."""
    return churn.churn_base(churn.purchase_days(lines))


ds = state.dataset()
st.title("Cohorts")
st.caption(PAGE_BY_KEY["cohorts"].answers)
lines = state.require("lines", "customer_id", hint=PAGE_BY_KEY["cohorts"].hint(ds))
currency = ds.currency
exports.page_tools("cohorts", ds)
check = links.Checks("cohorts", ds)
cover = ui.cached(cohorts.coverage)(ds.key, lines)
st.caption(
    "Customers are grouped by the period of their first purchase (a cohort) and followed period "
    "by period." + (f" Amounts in {currency}." if currency else "")
)
ui.definitions(ds, "purchase", "customer")
checks = quality.line_checks(ds)
if checks is not None:
    st.caption(f":material/info: {quality.checks_note(checks)}")
elif cover.without_customer:
    st.caption(
        f":material/info: {cover.without_customer:,} of {cover.lines:,} {ui.lines_word(ds)} "
        f"({quality.share_text(cover.without_customer / cover.lines)}) have no customer id and "
        "are left out."
    )
if checks is None and (cover.matched or cover.unmatched):
    st.caption(
        f":material/info: {cover.matched:,} cancellation lines are netted out of the purchase they "
        f"reverse; {cover.unmatched:,} match no earlier purchase of the same item and are left out."
    )


# --- cohorts -----------------------------------------------------------------------------------
@exports.fragment
def cohort_tables() -> None:
    """The cohort heatmap and average curve: their controls rerun this part alone."""
    left, middle, right = st.columns([2, 3, 2])
    check.choice("cohort_grain", list(cohorts.GRAINS), "month", label="Cohort by")
    grain = left.segmented_control(
        "Cohort by",
        list(cohorts.GRAINS),
        default="month",
        key="cohort_grain",
        required=True,
        bind=links.BIND,
    )
    check.choice(
        "cohort_metric",
        list(cohorts.METRICS),
        "customers",
        label="Measure",
        format_func=cohorts.METRIC_LABELS.get,
    )
    metric = middle.segmented_control(
        "Measure",
        list(cohorts.METRICS),
        default="customers",
        format_func=cohorts.METRIC_LABELS.get,
        key="cohort_metric",
        required=True,
        bind=links.BIND,
    )
    check.flag("cohort_relative", True, label="% of first period")
    relative = right.toggle(
        "% of first period",
        value=True,
        key="cohort_relative",
        bind=links.BIND,
        help="On: each cell as a share of the cohort's first period (for customers: the retention "
        "rate). Off: absolute counts or amounts.",
    )

    days = ui.cached(cohorts.purchases)(ds.key, lines)
    table = ui.cached(cohorts.cohorts_by_grain, "Grouping the purchases by week, month, quarter…")(
        ds.key, days, last_day=lines["ordered_at"].max().date()
    )[grain]
    if table.height == 0:
        st.info(
            "No customer has a purchase in this data (only returns, or no customer ids), so there "
            "are no cohorts to follow."
        )
        return
    n_cohorts = table["cohort"].n_unique()
    last = n_cohorts
    if n_cohorts > 1:
        shown = min(n_cohorts, cohorts.DEFAULT_SHOWN)
        check.number(f"cohort_last_{grain}", 1, n_cohorts, shown, label="Cohorts shown", data=True)
        last = st.slider(
            "Cohorts shown (the most recent)",
            1,
            n_cohorts,
            shown,
            key=f"cohort_last_{grain}",
            bind=links.BIND,
            help="Older cohorts are left out of the heatmap, the curve and the reading.",
        )
    base = ui.cached(_churn_base, "Measuring the days between purchases…")(ds.key, lines)
    first = days["day"].min()
    early = cohorts.early_until(first, base.windows)
    matrix = cohorts.cohort_matrix(table, metric, relative, last, early)
    curve = cohorts.retention_curve(matrix)
    left_out = cohorts.curve_left_out(matrix)

    cols = st.columns(3)
    cols[0].metric(
        "Customers",
        fmt.count(cover.customers),
        help="People with at least one purchase (all cohorts).",
        border=True,
    )
    cols[1].metric("Cohorts", fmt.count(n_cohorts), help=f"First-purchase {grain}s", border=True)
    first_return = curve.filter(curve["period_index"] == 1)["mean"]
    cols[2].metric(
        f"Back {grain} 1" if metric == "customers" else f"{grain.capitalize()} 1 vs first",
        fmt.pct(first_return[0]) if first_return.len() else "—",
        help="Pooled over the cohorts shown whose next period is fully observed"
        + (f", except {left_out}" if left_out else "")
        + ": "
        + (
            "the share of customers who buy again in the period after their first."
            if metric == "customers"
            else f"{cohorts.METRIC_LABELS[metric].lower()} in the period after the first, as a "
            "share of the first period's."
        ),
        border=True,
    )

    st.subheader("Cohort heatmap")
    ui.chart(charts.retention_heatmap(matrix, metric, relative, grain, currency), width="stretch")
    ui.reading(cohorts.best_worst_reading(matrix, grain, metric))
    st.caption(
        charts.heatmap_caption(matrix, relative, grain, cohorts.left_out_note(first, early, grain))
    )
    ui.download(
        matrix.drop("value"),
        f"cohorts_{grain}_{metric}",
        "cohort_download_matrix",
        "Download cells",
    )

    st.subheader("The average cohort")
    if curve.filter(curve["period_index"] > 0).height == 0:
        st.info("No curve to draw: the reading under the heatmap says why.")
    else:
        ui.chart(charts.retention_curve_chart(curve, metric, grain), width="stretch")
        ui.reading(cohorts.curve_reading(curve, grain, metric))
        st.caption(
            "Line: cohorts pooled (large cohorts weigh more); band: the middle half of cohorts "
            "(25th to 75th percentile); grey points rest on fewer than three cohorts. Left out: "
            "partial periods"
            + (f", and {left_out}" if left_out else "")
            + "."
            + (f" {note}" if (note := cohorts.band_note(curve, grain)) else "")
        )
        ui.download(curve, f"cohort_curve_{grain}_{metric}", "cohort_download_curve")


cohort_tables()


# --- churn window -----------------------------------------------------------------------------
@exports.fragment
def churn_window() -> None:
    """The churn window: its control reruns this part alone."""
    st.subheader("Churn window")
    check.choice(
        "cohorts_churn_quantile",
        churn.CHOICES,
        churn.QUANTILE,
        label="Window covers",
        format_func=SHARES,
    )
    quantile = st.segmented_control(
        "Window covers",
        churn.CHOICES,
        default=churn.QUANTILE,
        format_func=SHARES,
        key="cohorts_churn_quantile",
        required=True,
        bind=links.BIND,
        help="The share of repeat purchases made within the window of the previous purchase. A "
        "customer quiet for longer than the window is lapsed.",
    )
    base = ui.cached(_churn_base, "Measuring the days between purchases…")(ds.key, lines)
    result = ui.cached(churn.churn)(ds.key, base, quantile=quantile or churn.QUANTILE)
    reading = fmt.plain(churn.churn_reading(result))
    if result.days is None:
        st.info(reading, icon=":material/info:")
        return
    repeats = int(result.gaps["repeat_purchases"].sum())
    windows = {row["quantile"]: row["days"] for row in result.windows.iter_rows(named=True)}
    cols = st.columns(len(windows) + 1)
    for col, (share, days) in zip(cols, windows.items(), strict=False):
        col.metric(
            f"{fmt.pct(share, 0)} of repeat purchases within",
            f"{fmt.count(days)} days",
            help=f"The smallest gap within which {fmt.pct(share, 0)} of the {fmt.count(repeats)} "
            "repeat "
            "purchases came after the customer's previous purchase day.",
            border=True,
        )
    cols[-1].metric(
        "Repeat purchases",
        fmt.count(repeats),
        help="Purchase days after a customer's first: the gaps the windows are read from.",
        border=True,
    )
    if churn.rough(result):
        st.warning(reading, icon=":material/warning:")
    else:
        ui.reading(reading)
    ui.chart(churn_charts.status_chart(result.monthly, result.days), width="stretch")
    st.caption(churn_charts.status_caption(result.days))
    ui.chart(churn_charts.gap_chart(result.gaps, result.windows), width="stretch")
    st.caption(churn_charts.GAP_CAPTION)
    with st.expander("Customers by status, month by month"):
        columns.table(
            result.monthly,
            {
                "month": columns.month("Month", pinned=True),
                "month_end": columns.day("Counted at"),
                "new": columns.count("New"),
                "repeating": columns.count("Repeating"),
                "waiting": columns.count("Waiting"),
                "lapsed": columns.count("Lapsed"),
                "customers": columns.count("Customers by then"),
                "partial": st.column_config.CheckboxColumn("Data ends inside"),
            },
        )
        ui.download(
            result.monthly,
            f"churn_status_by_month_{round(result.quantile * 100)}",
            "cohort_download_churn",
        )


churn_window()
