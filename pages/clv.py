"""Lifetime value: which customers will buy again, what they are worth, and how far to trust it."""

import contextlib
import functools
from datetime import timedelta

import polars as pl
import streamlit as st

from lib import fmt, local, quality, state
from lib.analyses import clv
from lib.catalog import PAGE_BY_KEY
from lib.charts import clv as charts
from pages.common import columns, exports, links, ui
from pages.common.settings import view_choices

VIEWS = view_choices("clv_view")
MODEL_KEYS = {label: key for key, label in clv.MODELS.items()}
# The holdout table's purchase figures: headed as the comparison table heads them, to two
# decimals (its error on the total is a change, and its spend money, as the comparison's).
HOLDOUT_FIGURES = ("predicted_purchases", "actual_purchases", "mae_purchases", "mae_flat")
SPEND_FIGURES = ("predicted_spend", "actual_spend")

st.title("Lifetime value")
st.caption(PAGE_BY_KEY["clv"].answers)
st.caption(
    "Which customers will buy again, what they are likely to spend over a horizon, and whether "
    "the model deserves trust on this data (BG/NBD, MBG/NBD or Pareto/NBD for purchases, "
    "Gamma-Gamma for spend)."
)

ds = state.dataset()
lines = state.require("lines", "customer_id", hint=PAGE_BY_KEY["clv"].hint(ds))
currency = ds.currency
exports.page_tools("clv", ds)
check = links.Checks("clv", ds)

bought = ui.cached(clv.purchase_lines)(ds.key, lines)
st.caption(clv.cleaning_note(bought, currency, quality.line_checks(ds)))

# Two rows: in one, the model names of the last control are cut at 1440 px.
c1, c2, c3, c4 = st.columns([1, 0.8, 1.1, 0.9])
check.choice("clv_unit", list(clv.DAYS_PER_UNIT), "weeks", label="Time unit")
unit = (
    c1.segmented_control(
        "Time unit",
        list(clv.DAYS_PER_UNIT),
        default="weeks",
        key="clv_unit",
        required=True,
        bind=links.BIND,
        help="Purchases are always counted per day (several on one day are one purchase, as "
        "Fader and Hardie count them); the unit is the model's clock: recency and age in days, "
        "or in weeks of 7 days.",
    )
    or "weeks"
)
default_horizon, default_unit = clv.DEFAULT_HORIZON
check.number("clv_horizon", 1, 120, default_horizon, label="Horizon")
horizon = c2.number_input(
    "Horizon",
    min_value=1,
    max_value=120,
    value=default_horizon,
    step=1,
    key="clv_horizon",
    bind=links.BIND,
)
check.choice("clv_horizon_unit", list(clv.HORIZON_UNITS), default_unit, label="Horizon unit")
horizon_unit = (
    c3.segmented_control(
        "Horizon unit",
        list(clv.HORIZON_UNITS),
        default=default_unit,
        key="clv_horizon_unit",
        required=True,
        bind=links.BIND,
    )
    or default_unit
)
check.number("clv_discount", 0.0, 10.0, 1.0, label="Discount %/month", whole=False)
discount = (
    c4.number_input(
        "Discount %/month",
        min_value=0.0,
        max_value=10.0,
        value=1.0,
        step=0.5,
        key="clv_discount",
        bind=links.BIND,
        help="Monthly discount rate: a purchase k months ahead counts 1 / (1 + rate)^k.",
    )
    / 100
)
c5, c6, _ = st.columns([1.2, 1.6, 1])
check.choice("clv_penalizer", list(clv.PENALIZERS), 0.0, label="Penalizer")
penalizer = c5.select_slider(
    "Penalizer",
    options=list(clv.PENALIZERS),
    value=0.0,
    key="clv_penalizer",
    bind=links.BIND,
    help="A convergence aid, off by default: 0 gives the maximum-likelihood estimates. A "
    "penalizer adds penalizer × (sum of squared parameters) to the objective, as lifetimes "
    "does, pulling every parameter towards 0: it can rescue a fit that does not converge but "
    "biases the estimates, Gamma-Gamma's most (its v is on the currency's scale, and q falls "
    "as the penalizer rises).",
)
check.choice("clv_model", list(MODEL_KEYS), "BG/NBD", label="Purchase model")
model_label = (
    c6.segmented_control(
        "Purchase model",
        list(MODEL_KEYS),
        default="BG/NBD",
        key="clv_model",
        required=True,
        bind=links.BIND,
        help="BG/NBD lets customers leave only after a repeat purchase; MBG/NBD also right "
        "after their first; Pareto/NBD at any time. The holdout check compares all three.",
    )
    or "BG/NBD"
)
model = MODEL_KEYS[model_label]

summary = ui.cached(clv.customer_summary)(f"{ds.key}:clv", bought.lines, unit=unit)
if summary.height == 0:
    st.info("No purchase with a customer id is left after cleaning: nothing to model.")
    st.stop()

st.subheader("Can the model be trusted on this data?")
fit_error = None
try:
    fit = ui.cached(clv.fit_models, f"Fitting {model_label} and Gamma-Gamma…")(
        f"{ds.key}:clv:{unit}", summary, unit=unit, penalizer=penalizer, model=model
    )
except clv.FitError as error:
    fit, fit_error = None, error
checks = clv.of_lines(
    ds, clv.sufficiency(summary, bought.dropped, horizon, horizon_unit, unit, fit=fit)
)
# Rows as tall as the longest note: the notes wrap instead of being cut.
columns.table(
    checks.with_columns(pl.col("verdict").replace(clv.VERDICT_LABELS)),
    {
        "check": columns.key("Check", width="medium"),
        "value": st.column_config.TextColumn("Value", width="medium"),
        "verdict": st.column_config.TextColumn("Verdict", width="small"),
        "note": columns.text("Note", wide=True),
    },
    width="stretch",
    row_height=columns.wrapped_rows(checks["note"].to_list(), least=84),
)
# The chosen model on the holdout the Holdout check view opens on at the default horizon (0.1 s
# where the three models take 2 s; the same whatever horizon is chosen, so a horizon move refits
# nothing): the trust reading says when it finds the totals far off, and so do they, on every
# view but that one, which gives its own holdout's. A model that cannot be fitted on it is that
# view's to explain.
opening = None
checked = clv.holdout_plan(bought.lines, *clv.DEFAULT_HORIZON)
if fit is not None and checked is not None:
    with contextlib.suppress(clv.FitError):
        opening = ui.cached(clv.holdout_validation, "Checking the model on a holdout period…")(
            f"{ds.key}:clv",
            lines,
            calibration_end=checked.calibration_end,
            unit=unit,
            penalizer=penalizer,
            model=model,
        )


def miss_of(holdout: clv.Holdout | None) -> str:
    """clv.holdout_miss of a holdout check of the chosen model, "" without one."""
    if holdout is None:
        return ""
    return clv.holdout_miss(holdout.groups, holdout.holdout_units, unit, holdout.fit.label)


miss = miss_of(opening)
# The trust reading's place: written once the view is known, so that the Holdout check view's
# reading gives its own holdout's miss, not a second figure from the default one.
trust = st.container()


def say_trust(off: str) -> None:
    """The trust reading under the table, with the holdout check's miss `off` (miss_of)."""
    with trust:
        ui.reading(clv.trust_reading(checks, off))


if fit is None:
    say_trust(miss)
    st.warning(f"{fit_error.message} **What to try:** {fit_error.hint}")
    st.stop()

base = ui.cached(clv.value_base, "Scoring every customer…")(
    f"{ds.key}:clv:{unit}:{model}:{penalizer}", summary, fit=fit
)
values = clv.customer_values(summary, fit, horizon, horizon_unit, discount, base=base)
horizon_text = f"{horizon} {horizon_unit if horizon != 1 else horizon_unit[:-1]}"

st.subheader("Fitted parameters")
if fit.degenerate:
    st.warning(clv.degenerate_warning(fit))
if fit.spend is None:
    st.warning(
        f"The spend model could not be fitted: {fit.spend_problem}. Expected purchases and "
        "P(alive) are shown, spend and value are not."
    )
params = clv.parameter_table(fit, currency)
PARAMETERS = {
    # 130 px: "Gamma-Gamma" on one line.
    "model": st.column_config.TextColumn("Model", width=130, pinned=True),
    "parameter": st.column_config.TextColumn("Parameter", width="small", pinned=True),
    "value": None,
    "shown": st.column_config.TextColumn(
        "Value",
        width="small",
        help="Four significant digits, never in scientific notation: a value below 0.000001 "
        "reads 'about 0' (the fit pushed the parameter to its bound). The CSV has every digit.",
    ),
    "reading": columns.text("What it means", wide=True),
}


def parameter_table(params: pl.DataFrame) -> None:
    shown = params.with_columns(columns.texts(params["value"], lambda v: fmt.significant(v, 4)))
    columns.table(
        shown,
        PARAMETERS,
        order=["model", "parameter", "shown", "reading"],
        width="stretch",
        row_height=68,
    )


parameter_table(params)
if penalizer:
    try:
        unpenalised = ui.cached(clv.fit_models)(
            f"{ds.key}:clv:{unit}", summary, unit=unit, penalizer=0.0, model=model
        )
    except clv.FitError:
        unpenalised = None
    st.caption(clv.penalizer_effect(fit, unpenalised))
ui.download(params, "clv_parameters", key="clv_dl_params")

cols = st.columns(4)
paying = ui.cached(clv.paying_customers)(ds.key, lines)
cols[0].metric(
    clv.customers_label(values.height, paying),
    fmt.count(values.height),
    help=clv.customers_help(values.height, paying),
)
cols[1].metric(
    f"Expected purchases, {horizon_text}",
    clv.purchases_text(values["expected_purchases"].sum()),
    help="Repeat purchases (purchase days) the model expects from these customers over the "
    "horizon.",
)
total_clv = values["clv"].sum() if fit.spend is not None else None
cols[2].metric(
    f"Expected value, {horizon_text}",
    fmt.money(total_clv, currency),
    help=f"Discounted at {fmt.pct(discount)} a month.",
)
cols[3].metric(
    "Mean P(alive)",
    "not identified"
    if fit.degenerate
    else "a ranking only"
    if fit.ranks_only
    else fmt.pct(values["p_alive"].mean()),
    help="Not shown: this data cannot tell when customers leave (see the trust table)."
    if fit.degenerate
    else "Not shown: on this data P(alive) ranks customers but is no probability (the Dropout "
    "check in the trust table), so its average says nothing."
    if fit.ranks_only
    else clv.BGNBD_ONE_TIME
    if model == "bgnbd"
    else "The probability that a customer still buys, averaged over customers.",
)
if fit.degenerate:
    st.caption(clv.DEGENERATE_TOTALS)
# Under the totals: the holdout check's caution on them, when it finds the model far off.
caution = st.container()


def caution_totals(off: str) -> None:
    """The caution under the totals, from how far off the chosen model's holdout check found
    them (`off`: miss_of)."""
    if text := clv.holdout_caution(off):
        caution.warning(text)


check.choice("clv_view", VIEWS, VIEWS[0], label="View")
view = (
    st.segmented_control(
        "View", VIEWS, default=VIEWS[0], key="clv_view", required=True, bind=links.BIND
    )
    or VIEWS[0]
)

COLUMNS = {
    "customer_id": columns.key(clv.HEADERS["customer_id"]),
    "frequency": st.column_config.NumberColumn(clv.HEADERS["frequency"], format="%d"),
    "recency": columns.number(
        f"Buying span ({unit})",
        0,
        help="The time from a customer's first to their last purchase (the model's 'recency', "
        "not the RFM page's days since the last purchase).",
    ),
    "T": columns.number(f"Age ({unit})", 0),
    "monetary_value": columns.money("Avg repeat spend", currency, 2),
    "spent": columns.money(clv.HEADERS["spent"], currency, 2),
    "expected_purchases": columns.number(clv.HEADERS["expected_purchases"], 2),
    # As the Mean P(alive) metric says it: where the Dropout check is a caution, a ranking,
    # shown as one (clv.p_alive_percentile), not as a probability.
    "p_alive_percentile": st.column_config.ProgressColumn(
        clv.HEADERS["p_alive_percentile"],
        min_value=0.0,
        max_value=100.0,
        format="%.0f",
        width=120,  # its header whole
        help="Where the customer ranks by P(alive) among all customers (100: the likeliest "
        "still to buy). On this data P(alive) ranks customers but is no probability: the "
        "Dropout check in the trust table says why.",
    ),
    "p_alive": st.column_config.ProgressColumn(
        clv.HEADERS["p_alive"],
        min_value=0.0,
        max_value=100.0,
        format="%.1f%%",
        width=100,
        help="The probability that the customer still buys.",
    ),
    "expected_spend": columns.money(
        clv.HEADERS["expected_spend"], currency, 2, help="Expected spend per future purchase."
    ),
    "clv": columns.money(clv.HEADERS["clv"], currency, 2),
}
# The key and the evidence first: what a customer is worth, what they have spent (the at-risk
# list picks top spenders), then the model's figures (at 1440 px the last, the age, needs a
# scroll when P(alive) shows).
SHOWN = [
    "customer_id",
    "clv",
    "spent",
    "expected_purchases",
    *([] if fit.degenerate else ["p_alive_percentile" if fit.ranks_only else "p_alive"]),
    "expected_spend",
    "frequency",
    "recency",
    "T",
]

if view != "Holdout check":  # that view's own holdout gives it there
    caution_totals(miss)
    say_trust(miss)

if view == "Customers":
    if fit.spend is not None:
        ui.chart(charts.concentration_chart(values), width="stretch")
        ui.reading(
            clv.concentration_reading(
                values, currency, degenerate=fit.degenerate, doubted=clv.order_doubted(checks)
            )
        )
    st.markdown(f"**Most valuable over the next {horizon_text}**")
    if opening is not None and (
        doubt := clv.ranking_doubt(opening.groups, opening.holdout_units, unit, opening.fit.label)
    ):
        st.warning(doubt, icon=":material/warning:")
    listed = clv.p_alive_percentile(values) if fit.ranks_only else values
    top = clv.most_valuable(listed, 20)
    columns.table(
        columns.in_percent(top.select(SHOWN), "p_alive", "p_alive_percentile"),
        COLUMNS,
        ids=("customer_id",),
        key="clv_top",
    )
    ui.deleted_note(ds, top["customer_id"], "listed")
    st.markdown("**At risk: valuable customers who may have left**")
    if fit.degenerate:
        st.warning(clv.NO_AT_RISK)
    else:
        risky = clv.at_risk(listed, 20, ranking=fit.ranks_only)
        if risky.height:
            columns.table(
                columns.in_percent(risky.select(SHOWN), "p_alive", "p_alive_percentile"),
                COLUMNS,
                ids=("customer_id",),
            )
            ui.download(risky, "clv_at_risk", key="clv_dl_risk")
        said = clv.at_risk_reading(values, currency, ranking=fit.ranks_only, checks=checks)
        if clv.at_risk_doubted(checks):  # a check of the trust table fails: no advice
            st.warning(said)
        else:
            ui.reading(said)
    ui.download(
        # Ranked when the button is clicked, not on every rerun; a partial of the library's
        # function, not a lambda of this page: Streamlit keeps the callable after the run, and
        # a page's function would keep that run's globals (every frame in them) alive with it.
        functools.partial(clv.by_value, values),
        "clv_customers",
        key="clv_dl_customers",
        label="Download all customers",
    )
    ui.deleted_note(ds, values["customer_id"], "in the download")

elif view == "Holdout check":
    if ds.source_format == local.FORMAT:
        st.caption(local.LOOK_AHEAD)
    plan = clv.holdout_plan(bought.lines, horizon, horizon_unit)
    if plan is None:
        say_trust(miss)
        st.info("The history is too short to set a holdout period aside.")
        st.stop()
    bounds = bought.lines.select(pl.col("ordered_at").min(), pl.col("ordered_at").max().alias("m"))
    first, last = bounds.row(0)[0].date(), bounds.row(0)[1].date()
    earliest, latest = first + timedelta(days=1), last - timedelta(days=1)
    # The holdout is as long as the horizon: another horizon opens on its own calibration end.
    check.basis("clv_calibration_end", plan.calibration_end, plan.calibration_end)
    check.dates(
        "clv_calibration_end",
        earliest,
        latest,
        plan.calibration_end,
        label="Calibration ends on",
        data=True,
    )
    cal_end = st.date_input(
        "Calibration ends on",
        value=plan.calibration_end,
        min_value=earliest,
        max_value=latest,
        key="clv_calibration_end",
        bind=links.BIND,
        help="The models are fitted on purchases up to this day and compared with what the same "
        "customers bought afterwards.",
    )
    st.caption(clv.holdout_plan_note(plan, unit))
    try:
        comparison = ui.cached(
            clv.compare_models,
            "Fitting BG/NBD, MBG/NBD and Pareto/NBD on the calibration period (Pareto/NBD can "
            "take several seconds)…",
        )(
            f"{ds.key}:clv",
            lines,
            calibration_end=cal_end,
            unit=unit,
            penalizer=penalizer,
        )
    except clv.FitError as error:
        say_trust("")
        st.warning(f"{error.message} **What to try:** {error.hint}")
        st.stop()
    off = miss_of(comparison.holdouts.get(model))
    caution_totals(off)
    say_trust(off)
    if comparison.scored < comparison.customers:
        st.caption(
            f"Checked on a random {fmt.count(comparison.scored)} of the "
            f"{fmt.count(comparison.customers)} calibration customers (the same for every model), "
            "to stay quick; BG/NBD and MBG/NBD learnt from all of them."
        )
    holdout = comparison.holdouts.get(model)
    if holdout is None:
        note = comparison.table.filter(pl.col("model") == model_label)["note"][0]
        st.warning(f"{model_label} could not be checked on this holdout: {note}.")
    else:
        overall = holdout.groups.filter(pl.col("group") == "all").row(0, named=True)
        m = st.columns(4)
        m[0].metric("Holdout", clv.holdout_length(holdout.holdout_units, unit, noun=True))
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
        if holdout.fit.degenerate:
            st.warning(
                f"On the calibration period too, {model_label} cannot tell when customers leave "
                f"({'; '.join(holdout.fit.problems)}): a close holdout only shows that customers "
                "kept buying over this short a window."
            )
        elif holdout.fit.mean_unknown:
            st.caption(
                f"On the calibration period {model_label} cannot pin down the average chance of "
                f"leaving: the data fits {clv.alike_text(holdout.fit)} about as well as "
                f"{fmt.pct(clv.dropout_share(model, holdout.fit.purchases))}. How far the "
                "predictions below miss shows how much that matters."
            )
        ui.chart(charts.holdout_purchases_chart(holdout.groups, unit), width="stretch")
        ui.reading(
            clv.holdout_reading(
                holdout.groups, holdout.holdout_units, unit, degenerate=holdout.fit.degenerate
            )
        )
        if holdout.fit.spend is not None:
            ui.chart(charts.holdout_spend_chart(holdout.groups, currency), width="stretch")
            ui.reading(clv.spend_reading(holdout.groups, currency))
        columns.table(
            columns.in_percent(holdout.groups, "total_error"),
            {"group": columns.key(clv.HEADERS["group"])}
            | {c: columns.number(clv.HEADERS[c], 2) for c in HOLDOUT_FIGURES}
            | {"total_error": columns.change(clv.HEADERS["total_error"])}
            | {c: columns.money(clv.HEADERS[c], currency, 2) for c in SPEND_FIGURES}
            | {"spenders": columns.count(clv.HEADERS["spenders"])}
            | {c: columns.number(clv.HEADERS[c], 2) for c in ("flat_z", "order_r", "order_z")},
        )
        ui.download(holdout.groups, "clv_holdout", key="clv_dl_holdout")
        with st.expander("Parameters of the calibration fit"):
            parameter_table(clv.parameter_table(holdout.fit, currency))

    st.subheader("Which purchase model predicts best?")
    columns.table(
        columns.in_percent(comparison.table, "total_error"),
        {
            "model": columns.key("Model", width="small"),
            "mae_purchases": columns.number(clv.HEADERS["mae_purchases"], 3),
            "predicted_purchases": columns.number(clv.HEADERS["predicted_purchases"], 0),
            "actual_purchases": columns.number(clv.HEADERS["actual_purchases"], 0),
            "total_error": columns.change(clv.HEADERS["total_error"]),
            "fitted_on": columns.count(clv.HEADERS["fitted_on"]),
            "note": columns.text("Note", wide=True),
            "worse_z": None,  # the reading's paired test; the CSV keeps it
        },
        width="stretch",
        row_height=68,
    )
    st.caption(clv.calibration_note(cal_end))
    ui.reading(
        clv.comparison_reading(
            comparison.table, comparison.holdout_units, unit, chosen=clv.MODELS[model]
        )
    )
    ui.chart(charts.tracking_chart(comparison.tracking, cal_end), width="stretch")
    st.caption(
        "Cumulative repeat purchases of the customers who first bought by the calibration end: "
        "each model's line is what it expects of customers who started buying when they did. "
        f"Pareto/NBD is fitted on a random {fmt.count(clv.PARETO_SAMPLE)} customers when there "
        f"are more, with at most {clv.PARETO_EVALUATIONS} likelihood evaluations, to stay quick."
    )
    ui.download(comparison.table, "clv_model_comparison", key="clv_dl_comparison")

elif fit.spend is None:
    st.info("Needs the spend model, which could not be fitted.")
else:
    segments, whose, blind = ui.rfm_segments(ds)
    st.caption(whose)
    ui.segments_blind(blind)
    table = clv.clv_by_segment(values, segments)
    if fit.degenerate or fit.ranks_only:  # no mean of it, as the Mean P(alive) metric says
        table = table.drop("p_alive")
    ui.chart(charts.segment_chart(table, currency), width="stretch")
    ui.reading(clv.segment_reading(table, currency, degenerate=fit.degenerate, blind=bool(blind)))
    columns.table(
        columns.in_percent(table, "share", "p_alive"),
        {
            "segment": columns.key("RFM segment"),
            "customers": columns.count("Customers"),
            "clv": columns.money("CLV", currency),
            "mean_clv": columns.money("CLV per customer", currency, 2),
            "share": columns.percent("Share of CLV"),
            "p_alive": columns.percent(
                "Mean P(alive)",
                help=f"{clv.BGNBD_ONE_TIME} A segment of one-time buyers reads 100%."
                if model == "bgnbd"
                else None,
            ),
        },
    )
    ui.download(table, "clv_by_segment", key="clv_dl_segments")
