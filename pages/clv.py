"""Lifetime value: which customers will buy again, what they are worth, and how far to trust it."""

from datetime import timedelta

import polars as pl
import streamlit as st

from lib import fmt, state
from lib.analyses import clv
from lib.charts import clv as charts
from lib.charts import money_title
from pages.common import ui

PENALIZERS = [0.0, 0.0001, 0.001, 0.01, 0.1]
VIEWS = ["Customers", "Holdout check", "By RFM segment"]
VERDICT_LABELS = {"good": "OK", "caution": "Caution", "problem": "Problem"}

st.title("Lifetime value")
st.caption(
    "Which customers will buy again, what they are likely to spend over a horizon, and whether "
    "the model deserves trust on this data (BG/NBD for purchases, Gamma-Gamma for spend)."
)

lines = state.require(
    "lines",
    "customer_id",
    hint="Upload order lines with a customer id per line (e.g. the Online Retail export with "
    "CustomerID, or olist_customers_dataset.csv with the orders).",
)
ds = state.dataset()
currency = ds.currency

bought = ui.cached(clv.purchase_lines)(ds.key, lines)
dropped = {row["reason"]: row for row in bought.dropped.iter_rows(named=True)}
no_customer = dropped["no customer id"]
cleaned = sum(r["lines"] for k, r in dropped.items() if k != "no customer id")
st.caption(
    f"Cleaned as the published analyses clean Online Retail: {fmt.count(no_customer['lines'])} "
    f"line(s) without a customer ({fmt.money(no_customer['revenue'], currency)}) left out; "
    f"{fmt.count(cleaned)} cancellation, return, zero-price or duplicate line(s) removed "
    "(a cancellation cannot be tied to the purchase it reverses, so customers are counted on "
    "their kept purchases, net of those lines). Several purchases in one period count once."
)

c1, c2, c3, c4, c5 = st.columns([1.2, 1, 1.2, 1, 1.2])
unit = (
    c1.segmented_control(
        "Time unit",
        list(clv.DAYS_PER_UNIT),
        default="weeks",
        key="clv_unit",
        help="The model's clock: purchases within one day (or one Monday-to-Sunday week) count "
        "as one.",
    )
    or "weeks"
)
horizon = c2.number_input(
    "Horizon", min_value=1, max_value=120, value=12, step=1, key="clv_horizon"
)
horizon_unit = (
    c3.segmented_control(
        "Horizon unit", list(clv.HORIZON_UNITS), default="months", key="clv_horizon_unit"
    )
    or "months"
)
discount = (
    c4.number_input(
        "Discount %/month",
        min_value=0.0,
        max_value=10.0,
        value=1.0,
        step=0.5,
        key="clv_discount",
        help="Monthly discount rate: a purchase k months ahead counts 1 / (1 + rate)^k.",
    )
    / 100
)
penalizer = c5.select_slider(
    "Penalizer",
    options=PENALIZERS,
    value=0.001,
    key="clv_penalizer",
    help="Shrinks the parameters towards zero: raise it when a fit fails or gives extreme "
    "values; 0 gives the plain maximum-likelihood estimates.",
)

summary = ui.cached(clv.customer_summary)(f"{ds.key}:clv", bought.lines, unit=unit)
if summary.height == 0:
    st.info("No purchase with a customer id is left after cleaning: nothing to model.")
    st.stop()

st.subheader("Can the model be trusted on this data?")
checks = clv.sufficiency(summary, bought.dropped, horizon, horizon_unit, unit)
st.dataframe(
    checks.with_columns(pl.col("verdict").replace(VERDICT_LABELS)),
    hide_index=True,
    width="stretch",
    column_config={"note": st.column_config.TextColumn(width="large")},
)
problems = checks.filter(pl.col("verdict") == "problem").height
ui.reading(
    f"{problems} check(s) fail: read the notes before using the figures."
    if problems
    else "The data is usable for BG/NBD; the holdout check below shows how well it predicts."
)

try:
    with st.spinner("Fitting BG/NBD and Gamma-Gamma…"):
        fit = ui.cached(clv.fit_models)(
            f"{ds.key}:clv:{unit}", summary, unit=unit, penalizer=penalizer
        )
except clv.FitError as error:
    st.warning(f"{error.message} **What to try:** {error.hint}")
    st.stop()

values = clv.customer_values(summary, fit, horizon, horizon_unit, discount)
horizon_text = f"{horizon} {horizon_unit if horizon != 1 else horizon_unit[:-1]}"

st.subheader("Fitted parameters")
if fit.spend is None:
    st.warning(
        f"The spend model could not be fitted ({fit.spend_problem}): expected purchases and "
        "P(alive) are shown, value is not. Raise the penalizer or load more repeat buyers."
    )
params = clv.parameter_table(fit, currency)
st.dataframe(
    params,
    hide_index=True,
    width="stretch",
    column_config={
        "value": st.column_config.NumberColumn(format="%.4g"),
        "reading": st.column_config.TextColumn(width="large"),
    },
)
ui.download(params, "clv_parameters", key="clv_dl_params")

cols = st.columns(4)
cols[0].metric("Customers", fmt.count(values.height))
cols[1].metric(
    f"Expected purchases, {horizon_text}",
    fmt.compact(values["expected_purchases"].sum()),
    help="Repeat purchases the model expects from these customers over the horizon.",
)
total_clv = values["clv"].sum() if fit.spend is not None else None
cols[2].metric(
    f"Expected value, {horizon_text}",
    fmt.money(total_clv, currency),
    help=f"Discounted at {fmt.pct(discount)} a month.",
)
cols[3].metric(
    "Mean P(alive)",
    fmt.pct(values["p_alive"].mean()),
    help="BG/NBD lets customers drop out only after a repeat purchase, so it counts every "
    "one-time buyer as alive.",
)

view = st.segmented_control("View", VIEWS, default=VIEWS[0], key="clv_view") or VIEWS[0]

MONEY = st.column_config.NumberColumn(format="%.2f")
COLUMNS = {
    "frequency": st.column_config.NumberColumn(f"repeat {unit}", format="%d"),
    "recency": st.column_config.NumberColumn(f"recency ({unit})", format="%.0f"),
    "T": st.column_config.NumberColumn(f"age ({unit})", format="%.0f"),
    "monetary_value": st.column_config.NumberColumn(
        money_title("avg repeat spend", currency), format="%.2f"
    ),
    "spent": st.column_config.NumberColumn(money_title("spent so far", currency), format="%.2f"),
    "expected_purchases": st.column_config.NumberColumn("expected purchases", format="%.2f"),
    "p_alive": st.column_config.ProgressColumn("P(alive)", min_value=0.0, max_value=1.0),
    "expected_spend": st.column_config.NumberColumn(
        money_title("expected spend/purchase", currency), format="%.2f"
    ),
    "clv": st.column_config.NumberColumn(money_title("CLV", currency), format="%.2f"),
}
SHOWN = [
    "customer_id",
    "clv",
    "expected_purchases",
    "p_alive",
    "expected_spend",
    "frequency",
    "recency",
    "T",
    "spent",
]

if view == "Customers":
    if fit.spend is not None:
        st.altair_chart(charts.concentration_chart(values), width="stretch")
        ui.reading(clv.concentration_reading(values, currency))
    st.markdown(f"**Most valuable over the next {horizon_text}**")
    top = clv.most_valuable(values, 20) if fit.spend is not None else values.head(20)
    st.dataframe(top.select(SHOWN), hide_index=True, column_config=COLUMNS, key="clv_top")
    st.markdown("**At risk: valuable customers who may have left**")
    risky = clv.at_risk(values, 20)
    if risky.height:
        st.dataframe(risky.select(SHOWN), hide_index=True, column_config=COLUMNS)
        ui.reading(
            f"{fmt.count(clv.at_risk(values, values.height).height)} of the top 20% spenders are "
            f"less likely than not to be active; the first, {risky['customer_id'][0]}, spent "
            f"{fmt.money(risky['spent'][0], currency, 2)} and is "
            f"{fmt.pct(risky['p_alive'][0], 0)} likely alive: win them back before they are "
            "gone."
        )
        ui.download(risky, "clv_at_risk", key="clv_dl_risk")
    else:
        st.caption("No top-20% spender is less likely than not to be active.")
    ui.download(values, "clv_customers", key="clv_dl_customers", label="Download all customers")

elif view == "Holdout check":
    bounds = bought.lines.select(pl.col("ordered_at").min(), pl.col("ordered_at").max().alias("m"))
    first, last = bounds.row(0)[0].date(), bounds.row(0)[1].date()
    default = clv.default_calibration_end(bought.lines)
    cal_end = st.date_input(
        "Calibration ends on",
        value=default,
        min_value=first + timedelta(days=1),
        max_value=last - timedelta(days=1),
        key="clv_calibration_end",
        help="The model is fitted on purchases up to this day and compared with what the same "
        "customers bought afterwards.",
    )
    try:
        with st.spinner("Fitting on the calibration period…"):
            holdout = ui.cached(clv.holdout_validation)(
                f"{ds.key}:clv",
                bought.lines,
                calibration_end=cal_end,
                unit=unit,
                penalizer=penalizer,
            )
    except clv.FitError as error:
        st.warning(f"{error.message} **What to try:** {error.hint}")
        st.stop()
    overall = holdout.groups.filter(pl.col("group") == "all").row(0, named=True)
    m = st.columns(4)
    m[0].metric("Holdout", f"{holdout.holdout_units:,.0f} {unit}")
    m[1].metric(
        "MAE per customer",
        f"{overall['mae_purchases']:.2f}",
        help="Mean absolute error of predicted purchases per customer in the holdout.",
    )
    m[2].metric(
        "Error on the total",
        fmt.change(overall["total_error"], 1),
        help="Predicted total holdout purchases / actual total - 1.",
    )
    n_customers = overall["customers"]
    m[3].metric(
        "Purchases predicted / made",
        f"{overall['predicted_purchases'] * n_customers:,.0f} / "
        f"{overall['actual_purchases'] * n_customers:,.0f}",
    )
    st.altair_chart(charts.holdout_purchases_chart(holdout.groups, unit), width="stretch")
    ui.reading(clv.holdout_reading(holdout.groups, holdout.holdout_units, unit))
    if holdout.fit.spend is not None:
        st.altair_chart(charts.holdout_spend_chart(holdout.groups, currency), width="stretch")
        ui.reading(clv.spend_reading(holdout.groups, currency))
    st.dataframe(holdout.groups, hide_index=True)
    ui.download(holdout.groups, "clv_holdout", key="clv_dl_holdout")

else:
    segments = state.shared("rfm_segments")
    if not isinstance(segments, pl.DataFrame) or fit.spend is None:
        st.info(
            "Open the RFM page first: its segments (customer_id, segment) appear here with the "
            "value each holds."
            if fit.spend is not None
            else "Needs the spend model, which could not be fitted."
        )
        st.page_link("pages/rfm.py", label="RFM segments", icon=":material/group:")
    else:
        table = clv.clv_by_segment(values, segments)
        st.altair_chart(charts.segment_chart(table, currency), width="stretch")
        ui.reading(clv.segment_reading(table, currency))
        st.dataframe(
            table,
            hide_index=True,
            column_config={
                "clv": st.column_config.NumberColumn(money_title("CLV", currency), format="%.0f"),
                "mean_clv": MONEY,
                "share": st.column_config.NumberColumn(format="percent"),
                "p_alive": st.column_config.NumberColumn(format="percent"),
            },
        )
        ui.download(table, "clv_by_segment", key="clv_dl_segments")
