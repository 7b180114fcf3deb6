"""Lifetime value: BG/NBD purchases and Gamma-Gamma spend per customer, with trust checks."""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import polars as pl
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import ConvergenceError
from scipy.special import hyp2f1

from lib import fmt
from lib.model import Dataset, columns_of
from lib.quality import first_occurrences

DAYS_PER_UNIT = {"days": 1, "weeks": 7}
# lifetimes' own month lengths (customer_lifetime_value's `factor`): using the same ones keeps our
# expected purchases and our CLV consistent with what lifetimes would compute.
UNITS_PER_MONTH = {"days": 30.0, "weeks": 4.345}
HORIZON_UNITS = ("weeks", "months")
MIN_REPEAT_BUYERS = 10
MIN_SPEND_BUYERS = 10
FREQUENCY_GROUPS = 7  # holdout groups 0, 1, ..., 6 and "7+"
SUMMARY_SCHEMA = {
    "customer_id": pl.String,
    "frequency": pl.Float64,
    "recency": pl.Float64,
    "T": pl.Float64,
    "monetary_value": pl.Float64,
    "spent": pl.Float64,
    "first_purchase": pl.Date,
    "last_purchase": pl.Date,
}


class _BoundedBetaGeoFitter(BetaGeoFitter):
    """BetaGeoFitter with its log-parameters kept within [-12, 12], which makes scipy use
    L-BFGS-B. lifetimes' default (BFGS, unbounded) stops with "precision loss" when a parameter
    runs to zero, as the dropout parameter a does on Online Retail; this is the retry."""

    def _fit(self, minimizing_function_args, initial_params, params_size, disp, tol=1e-7, **kw):
        kw["bounds"] = [(-12.0, 12.0)] * params_size
        return super()._fit(minimizing_function_args, initial_params, params_size, disp, tol, **kw)


class FitError(Exception):
    """A model that could not be fitted, with what to try instead (`hint`)."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Purchases:
    """Cleaned purchase lines and what the cleaning took out.

    `lines`: customer_id, ordered_at, revenue: the kept lines summed per customer and purchase
    time (an invoice), sorted by both.
    `dropped`: one row per reason with reason, lines, revenue (revenue the dropped lines carried).
    """

    lines: pl.DataFrame
    dropped: pl.DataFrame


def purchase_lines(lines: pl.DataFrame) -> Purchases:
    """The order lines the models learn from, cleaned the way published analyses clean Online
    Retail: lines without a customer, cancellations and returns (is_return or negative revenue),
    lines with zero or negative quantity or unit price, and exact duplicate lines are left out.

    A cancellation invoice cannot be tied to the purchase it reverses, so returns are dropped
    rather than netted against a purchase period.
    """
    # Exact duplicates are found over whole lines, once: every other rule looks at one line at a
    # time, so a duplicate's first occurrence is kept exactly when its repeats would be.
    frame = (
        columns_of(
            lines, "customer_id", "ordered_at", "revenue", "is_return", "quantity", "unit_price"
        )
        .with_columns(first_occurrences(lines).alias("_first"))
        .lazy()
    )
    steps: list[tuple[str, pl.Expr]] = [("no customer id", pl.col("customer_id").is_not_null())]
    is_return = pl.col("revenue") < 0
    if "is_return" in lines.columns:
        is_return = is_return | pl.col("is_return").fill_null(False)
    steps.append(("cancellation or return", ~is_return))
    positive = pl.col("revenue") > 0
    for column in ("quantity", "unit_price"):
        if column in lines.columns:
            positive = positive & (pl.col(column).fill_null(1.0) > 0)
    steps.append(("zero or negative quantity, price or revenue", positive))
    counts = []
    for reason, keep in steps:
        out = frame.filter(~keep).select(
            pl.lit(reason).alias("reason"),
            pl.len().cast(pl.Int64).alias("lines"),
            pl.col("revenue").fill_null(0.0).sum().alias("revenue"),
        )
        counts.append(out)
        frame = frame.filter(keep)
    kept = frame.collect()
    deduped = kept.filter(pl.col("_first"))
    dup_revenue = float(kept["revenue"].sum() - deduped["revenue"].sum())
    dropped = pl.concat(
        [
            *pl.collect_all(counts),
            pl.DataFrame(
                {
                    "reason": ["exact duplicate line"],
                    "lines": [kept.height - deduped.height],
                    "revenue": [dup_revenue],
                },
                schema={"reason": pl.String, "lines": pl.Int64, "revenue": pl.Float64},
            ),
        ]
    )
    # The models count purchases per day or week, so an invoice's lines can be one row.
    purchases = (
        deduped.group_by("customer_id", "ordered_at")
        .agg(pl.col("revenue").sum())
        .sort("customer_id", "ordered_at")
    )
    return Purchases(purchases, dropped)


def _period(unit: str) -> pl.Expr:
    day = pl.col("ordered_at").dt.date()
    # Weeks start on Monday, as pandas' weekly periods (lifetimes' freq="W") do.
    return day.dt.truncate("1w") if unit == "weeks" else day


def _period_of(day: date, unit: str) -> date:
    return day - timedelta(days=day.weekday()) if unit == "weeks" else day


def _check_unit(unit: str) -> None:
    if unit not in DAYS_PER_UNIT:
        raise ValueError(f"unit must be one of {', '.join(DAYS_PER_UNIT)}")


def customer_summary(
    purchases: pl.DataFrame,
    unit: str = "weeks",
    observation_end: date | None = None,
    count_days: bool = False,
) -> pl.DataFrame:
    """The BG/NBD inputs per customer, as lifetimes' summary_data_from_transaction_data.

    purchases: customer_id, ordered_at, revenue. A customer's purchases in one period (a day or a
    Monday-to-Sunday week) count as one purchase worth their sum. With `count_days` periods are
    days while times are still measured in `unit` (lifetimes' freq="D", freq_multiplier=7).
    Purchases after `observation_end` (default: the last purchase) are left out.

    One row per customer: customer_id, frequency (repeat periods), recency and T (in `unit`, from
    the first period to the last, and to the observation end), monetary_value (mean period value
    of the repeat periods, 0 without any), spent (all periods), first_purchase, last_purchase.
    """
    _check_unit(unit)
    period_unit = "days" if count_days else unit
    days = DAYS_PER_UNIT[unit]
    if purchases.height == 0:
        return pl.DataFrame(schema=SUMMARY_SCHEMA)
    frame = purchases.lazy()
    if observation_end is not None:
        frame = frame.filter(pl.col("ordered_at").dt.date() <= observation_end)
    else:
        observation_end = purchases["ordered_at"].max().date()
    end = _period_of(observation_end, period_unit)
    periods = (
        frame.group_by("customer_id", _period(period_unit).alias("period"))
        .agg(pl.col("revenue").sum().alias("value"), pl.col("ordered_at").dt.date().max())
        .sort("customer_id", "period")
    )
    first = pl.col("period").min()
    summary = periods.group_by("customer_id").agg(
        (pl.len() - 1).cast(pl.Float64).alias("frequency"),
        ((pl.col("period").max() - first).dt.total_days() / days).alias("recency"),
        ((pl.lit(end) - first).dt.total_days() / days).alias("T"),
        pl.col("value")
        .filter(pl.col("period") != first)
        .mean()
        .fill_null(0.0)
        .alias("monetary_value"),
        pl.col("value").sum().alias("spent"),
        first.alias("first_purchase"),
        pl.col("ordered_at").max().alias("last_purchase"),
    )
    return summary.sort("customer_id").collect().cast(SUMMARY_SCHEMA)


@dataclass(frozen=True)
class Fit:
    """Fitted parameters (plain floats, so that a fit caches and pickles).

    `purchases`: r, alpha, a, b of BG/NBD in the summary's unit; `spend`: p, q, v of
    Gamma-Gamma, or None with `spend_problem` saying why.
    """

    unit: str
    penalizer: float
    purchases: dict[str, float]
    spend: dict[str, float] | None
    spend_problem: str
    customers: int
    repeat_buyers: int
    spend_buyers: int


def _quiet(call):
    # lifetimes prints the optimizer's output before raising and numpy warns on overflow while
    # the optimizer explores: neither is for the user.
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call()


def _spend_rows(summary: pl.DataFrame) -> pl.DataFrame:
    return summary.filter((pl.col("frequency") > 0) & (pl.col("monetary_value") > 0))


def fit_models(summary: pl.DataFrame, unit: str = "weeks", penalizer: float = 0.001) -> Fit:
    """BG/NBD on the (frequency, recency, T) rows and Gamma-Gamma on repeat buyers with a
    positive spend. Identical (frequency, recency, T) rows are fitted once with a weight (the
    likelihood is a weighted sum, so the estimates are the same and the fit is faster).

    Raises FitError (message and what to try) when BG/NBD cannot be fitted. A Gamma-Gamma that
    cannot be fitted leaves `spend` None and says why in `spend_problem`.
    """
    _check_unit(unit)
    repeat = int((summary["frequency"] > 0).sum()) if summary.height else 0
    if repeat < MIN_REPEAT_BUYERS:
        raise FitError(
            f"Only {repeat} customer(s) bought more than once: BG/NBD needs at least "
            f"{MIN_REPEAT_BUYERS} repeat buyers to learn how often customers come back.",
            "Load a longer history, or data where customers are identified across orders.",
        )
    grouped = summary.group_by("frequency", "recency", "T").agg(pl.len().alias("weight"))
    columns = [grouped[c].to_numpy() for c in ("frequency", "recency", "T")]
    bgf = None
    for model in (BetaGeoFitter, _BoundedBetaGeoFitter):
        candidate = model(penalizer_coef=penalizer)
        try:
            _quiet(lambda m=candidate: m.fit(*columns, weights=grouped["weight"].to_numpy()))
        except (ConvergenceError, ValueError, FloatingPointError):
            continue
        bgf = candidate
        break
    if bgf is None:
        raise FitError(
            "The purchase model did not converge.",
            "Raise the penalizer (e.g. 0.01 or 0.1), switch the time unit, or use a longer "
            "history.",
        )
    params = {k: float(v) for k, v in bgf.params_.items()}
    if not all(math.isfinite(v) and v > 0 for v in params.values()):
        raise FitError(
            "The purchase model gave unusable parameters.",
            "Raise the penalizer (e.g. 0.01 or 0.1) and fit again.",
        )
    spend_rows = _spend_rows(summary)
    spend, problem = _fit_spend(spend_rows, penalizer)
    return Fit(unit, penalizer, params, spend, problem, summary.height, repeat, spend_rows.height)


def _fit_spend(rows: pl.DataFrame, penalizer: float) -> tuple[dict[str, float] | None, str]:
    if rows.height < MIN_SPEND_BUYERS:
        return None, (
            f"only {rows.height} repeat buyer(s) with a positive spend: Gamma-Gamma needs at "
            f"least {MIN_SPEND_BUYERS}"
        )
    # lifetimes penalizes p, q and v themselves, and v carries the currency's scale (v = 150
    # for purchases of about 300 weighs 22.5 at penalizer 0.001, more than the likelihood):
    # fitting spend in units of its median makes the penalizer mean the same on any data, as
    # BetaGeoFitter's own rescaling of alpha does. Unpenalized estimates are unchanged.
    scale = float(rows["monetary_value"].median())
    ggf = GammaGammaFitter(penalizer_coef=penalizer)
    try:
        _quiet(
            lambda: ggf.fit(rows["frequency"].to_numpy(), rows["monetary_value"].to_numpy() / scale)
        )
    except (ConvergenceError, ValueError, FloatingPointError):
        return None, "the spend model did not converge: raise the penalizer"
    params = {k: float(v) for k, v in ggf.params_.items()}
    params["v"] *= scale
    if not all(math.isfinite(v) and v > 0 for v in params.values()):
        return None, "the spend model gave unusable parameters: raise the penalizer"
    if params["q"] <= 1:
        return None, (
            f"q = {params['q']:.2f} is not above 1, so the average spend is unbounded: raise the "
            "penalizer"
        )
    return params, ""


def _bgf(fit: Fit) -> BetaGeoFitter:
    model = BetaGeoFitter(penalizer_coef=fit.penalizer)
    model.params_ = pd.Series(fit.purchases)[["r", "alpha", "a", "b"]]
    return model


def _ggf(fit: Fit) -> GammaGammaFitter:
    model = GammaGammaFitter(penalizer_coef=fit.penalizer)
    model.params_ = pd.Series(fit.spend)[["p", "q", "v"]]
    return model


def horizon_in_units(horizon: float, horizon_unit: str, unit: str) -> float:
    """The horizon in the model's time unit: months as lifetimes counts them (30 days, 4.345
    weeks), weeks as 7 days."""
    _check_unit(unit)
    if horizon_unit == "months":
        return horizon * UNITS_PER_MONTH[unit]
    if horizon_unit == "weeks":
        return horizon * 7 / DAYS_PER_UNIT[unit]
    raise ValueError(f"horizon_unit must be one of {', '.join(HORIZON_UNITS)}")


def expected_purchases(fit: Fit, summary: pl.DataFrame, t: float) -> np.ndarray:
    """Expected repeat purchases of each summary row in the next `t` units (the model's unit).

    BetaGeoFitter.conditional_expected_number_of_purchases_up_to_time (Fader, Hardie and Lee
    2005, eq. 10) without its logarithm: lifetimes takes log(2F1), which is NaN where 2F1 is
    negative, as it is for one-time buyers when a + b < 1 (scipy 1.17 returns those negative
    values correctly). Identical to lifetimes wherever lifetimes is finite.
    """
    if t <= 0:
        return np.zeros(summary.height)
    x, recency, big_t = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    r, alpha, a, b = (fit.purchases[k] for k in ("r", "alpha", "a", "b"))
    _a, _b, _c = r + x, b + x, a + b + x - 1
    z = t / (alpha + big_t + t)
    with np.errstate(all="ignore"):
        term = hyp2f1(_a, _b, _c, z)
        # Euler's transformation where the series overflows, as lifetimes does.
        euler = hyp2f1(_c - _a, _c - _b, _c, z) * (1 - z) ** (_c - _a - _b)
        term = np.where(np.isfinite(term), term, euler)
        ratio = ((alpha + big_t) / (alpha + t + big_t)) ** (r + x)
        numerator = (a + b + x - 1) / (a - 1) * (1 - term * ratio)
        denominator = 1 + (x > 0) * (a / (b + x - 1)) * ((alpha + big_t) / (alpha + recency)) ** (
            r + x
        )
        return numerator / denominator


def expected_spend(fit: Fit, summary: pl.DataFrame) -> np.ndarray | None:
    """Gamma-Gamma expected average spend per purchase of each row (None without a spend fit).

    Rows without a usable spend (one-time buyers, non-positive spend) get the population mean.
    """
    if fit.spend is None:
        return None
    usable = (summary["frequency"] > 0) & (summary["monetary_value"] > 0)
    f = np.where(usable.to_numpy(), summary["frequency"].to_numpy(), 0.0)
    m = np.where(usable.to_numpy(), summary["monetary_value"].to_numpy(), 0.0)
    return np.asarray(_ggf(fit).conditional_expected_average_profit(f, m), dtype=float)


def discounted_value(
    fit: Fit, summary: pl.DataFrame, spend: np.ndarray, t: float, discount: float
) -> np.ndarray:
    """Discounted value of each row's expected purchases over the next `t` units: purchases of
    month k (by lifetimes' month length) are discounted by (1 + discount) ** k, the last,
    partial month at its own fraction. For a whole number of months this is lifetimes'
    customer_lifetime_value."""
    per_month = UNITS_PER_MONTH[fit.unit]
    months = t / per_month
    ends = [float(k) for k in range(1, math.ceil(months - 1e-9))] + [months]
    total = np.zeros(summary.height)
    before = np.zeros(summary.height)
    for month in ends:
        upto = expected_purchases(fit, summary, month * per_month)
        total += spend * (upto - before) / (1 + discount) ** month
        before = upto
    return total


def customer_values(
    summary: pl.DataFrame,
    fit: Fit,
    horizon: float = 12,
    horizon_unit: str = "months",
    discount: float = 0.01,
) -> pl.DataFrame:
    """Per customer: the summary plus expected_purchases over the horizon, p_alive,
    expected_spend (per purchase) and clv (discounted expected spend over the horizon, monthly
    `discount`); expected_spend and clv are null without a spend fit. Sorted by clv, then
    expected purchases, descending."""
    t = horizon_in_units(horizon, horizon_unit, fit.unit)
    f, r, big_t = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    alive = _quiet(lambda: _bgf(fit).conditional_probability_alive(f, r, big_t))
    spend = expected_spend(fit, summary)
    out = summary.with_columns(
        pl.Series("expected_purchases", expected_purchases(fit, summary, t)),
        pl.Series("p_alive", np.asarray(alive, dtype=float)),
        pl.Series("expected_spend", spend, dtype=pl.Float64),
        pl.Series(
            "clv",
            None if spend is None else discounted_value(fit, summary, spend, t, discount),
            dtype=pl.Float64,
        ),
    )
    return out.sort(["clv", "expected_purchases"], descending=True, nulls_last=True)


def parameter_table(fit: Fit, currency: str = "") -> pl.DataFrame:
    """One row per fitted parameter: model, parameter, value, reading (plain language)."""
    u = fit.unit[:-1]
    r, alpha, a, b = (fit.purchases[k] for k in ("r", "alpha", "a", "b"))
    per_month = r / alpha * UNITS_PER_MONTH[fit.unit]
    spread = "very unequal" if r < 1 else "fairly even"
    rows = [
        (
            "BG/NBD",
            "r",
            r,
            f"Shape of purchase rates across customers: r < 1 means rates are {spread}, a few "
            "heavy buyers and many occasional ones."
            if r < 1
            else f"Shape of purchase rates across customers: r ≥ 1 means rates are {spread}.",
        ),
        (
            "BG/NBD",
            "alpha",
            alpha,
            f"Scale of purchase rates: while active, a customer buys {r / alpha:.3f} times a "
            f"{u} on average (about {per_month:.2f} times a month).",
        ),
        (
            "BG/NBD",
            "a",
            a,
            f"With b: after each repeat purchase a customer stops buying for good with "
            f"probability {fmt.pct(a / (a + b))} on average.",
        ),
        (
            "BG/NBD",
            "b",
            b,
            "With a: the larger b against a, the longer customers stay; "
            f"about {fmt.pct(b / (a + b))} of repeat purchases are followed by more.",
        ),
    ]
    if fit.spend is not None:
        p, q, v = (fit.spend[k] for k in ("p", "q", "v"))
        mean = p * v / (q - 1)
        rows += [
            (
                "Gamma-Gamma",
                "p",
                p,
                f"A customer's purchases vary by about {fmt.pct(1 / math.sqrt(p), 0)} around "
                "their own average spend.",
            ),
            (
                "Gamma-Gamma",
                "q",
                q,
                "Spread of average spend between customers: the larger q, the more alike "
                "customers are.",
            ),
            (
                "Gamma-Gamma",
                "v",
                v,
                f"With p and q: the average spend per purchase across customers is "
                f"{fmt.money(mean, currency, 2)} (p·v/(q−1)).",
            ),
        ]
    return pl.DataFrame(
        rows,
        schema={
            "model": pl.String,
            "parameter": pl.String,
            "value": pl.Float64,
            "reading": pl.String,
        },
        orient="row",
    )


def sufficiency(
    summary: pl.DataFrame,
    dropped: pl.DataFrame,
    horizon: float = 12,
    horizon_unit: str = "months",
    unit: str = "weeks",
) -> pl.DataFrame:
    """Checks before fitting, one row each: check, value (text), verdict ("good", "caution" or
    "problem") and note (what it means for the model)."""
    _check_unit(unit)
    n = summary.height
    repeat = int((summary["frequency"] > 0).sum()) if n else 0
    one_time = 1 - repeat / n if n else 1.0
    rows: list[tuple[str, str, str, str]] = []
    if n < 100:
        verdict, note = "problem", "Too few customers for population estimates."
    elif n < 1000:
        verdict, note = "caution", "Enough to fit, but parameters will be uncertain."
    else:
        verdict, note = "good", "Enough customers for stable population estimates."
    rows.append(("Customers", fmt.count(n), verdict, note))
    if repeat < MIN_REPEAT_BUYERS:
        verdict = "problem"
        note = f"Fewer than {MIN_REPEAT_BUYERS} repeat buyers: the models cannot be fitted."
    elif one_time > 0.9:
        verdict = "caution"
        note = (
            f"{fmt.pct(one_time)} bought only once: BG/NBD has little to learn about repeat "
            "buying, so expect predictions close to zero for most and wide uncertainty."
        )
    else:
        verdict = "good"
        note = f"{fmt.count(repeat)} repeat buyers to learn purchase rates and dropout from."
    rows.append(("One-time buyers", fmt.pct(one_time), verdict, note))
    if n:
        first, last = summary["first_purchase"].min(), summary["last_purchase"].max()
        history = ((last - first).days + 1) / DAYS_PER_UNIT[unit]
        wanted = horizon_in_units(horizon, horizon_unit, unit)
        text = f"{history:,.0f} {unit} of history, horizon {wanted:,.0f} {unit}"
        if wanted > history:
            verdict = "caution"
            note = "The horizon is longer than the history: predictions extrapolate far."
        else:
            verdict, note = "good", "The history covers the horizon."
        rows.append(("History vs horizon", text, verdict, note))
    spenders = _spend_rows(summary)
    if spenders.height >= 3:
        corr = spenders.select(pl.corr("frequency", "monetary_value")).item()
        corr = 0.0 if corr is None or not math.isfinite(corr) else float(corr)
        strong = abs(corr) >= 0.3
        rows.append(
            (
                "Frequency vs spend correlation",
                f"{corr:+.2f}",
                "caution" if strong else "good",
                "Gamma-Gamma assumes spend does not depend on how often one buys; "
                + ("this data says it does, so treat spend estimates with care." if strong else "")
                + ("" if strong else "the data agrees."),
            )
        )
    non_positive = int(((summary["frequency"] > 0) & (summary["monetary_value"] <= 0)).sum())
    rows.append(
        (
            "Repeat buyers with non-positive spend",
            fmt.count(non_positive),
            "good" if non_positive == 0 else "caution",
            "Excluded from the spend model (it needs positive amounts)."
            if non_positive
            else "None: every repeat buyer has a positive spend.",
        )
    )
    no_customer = dropped.filter(pl.col("reason") == "no customer id")
    if no_customer.height and no_customer["lines"][0] > 0:
        rows.append(
            (
                "Lines without a customer",
                fmt.count(no_customer["lines"][0]),
                "caution",
                "Left out: a purchase without a customer cannot be tied to anyone's history.",
            )
        )
    return pl.DataFrame(
        rows,
        schema={"check": pl.String, "value": pl.String, "verdict": pl.String, "note": pl.String},
        orient="row",
    )


def default_calibration_end(purchases: pl.DataFrame) -> date | None:
    """Two thirds into the purchase history (None without purchases)."""
    if purchases.height == 0:
        return None
    first = purchases["ordered_at"].min().date()
    last = purchases["ordered_at"].max().date()
    return first + timedelta(days=(last - first).days * 2 // 3)


@dataclass(frozen=True)
class Holdout:
    """Holdout validation of a fit on the calibration period.

    `customers`: customer_id, frequency (calibration), predicted_purchases, actual_purchases,
    predicted_spend, actual_spend (mean per holdout purchase, null without one).
    `groups`: one row per calibration frequency group ("0".."6", "7+") and a last row "all":
    group, customers, predicted_purchases, actual_purchases (means), mae_purchases,
    total_error (predicted total / actual total - 1), predicted_spend, actual_spend (means over
    customers who bought in the holdout).
    """

    calibration_end: date
    holdout_units: float
    fit: Fit
    customers: pl.DataFrame
    groups: pl.DataFrame


def holdout_validation(
    purchases: pl.DataFrame,
    calibration_end: date,
    unit: str = "weeks",
    penalizer: float = 0.001,
) -> Holdout:
    """Fit on purchases up to `calibration_end` (included) and compare predictions with what the
    same customers did afterwards, up to the last purchase; holdout purchases are counted in
    periods as in the summary. Raises FitError when the calibration data cannot be fitted or
    leaves no holdout."""
    _check_unit(unit)
    last = purchases["ordered_at"].max().date() if purchases.height else None
    if last is None or calibration_end >= last:
        raise FitError(
            "The calibration period leaves no holdout period to compare predictions with.",
            "Pick an earlier calibration end date.",
        )
    calibration = customer_summary(purchases, unit, calibration_end)
    fit = fit_models(calibration, unit, penalizer)
    days = DAYS_PER_UNIT[unit]
    t = (_period_of(last, unit) - _period_of(calibration_end, unit)).days / days
    later = (
        purchases.lazy()
        .filter(pl.col("ordered_at").dt.date() > calibration_end)
        .group_by("customer_id", _period(unit).alias("period"))
        .agg(pl.col("revenue").sum().alias("value"))
        .group_by("customer_id")
        .agg(
            pl.len().cast(pl.Float64).alias("actual_purchases"),
            pl.col("value").mean().alias("actual_spend"),
        )
        .collect()
    )
    spend = expected_spend(fit, calibration)
    customers = (
        calibration.select("customer_id", "frequency")
        .with_columns(
            pl.Series("predicted_purchases", expected_purchases(fit, calibration, t)),
            pl.Series("predicted_spend", spend, dtype=pl.Float64),
        )
        .join(later, on="customer_id", how="left")
        .with_columns(pl.col("actual_purchases").fill_null(0.0))
        .select(
            "customer_id",
            "frequency",
            "predicted_purchases",
            "actual_purchases",
            "predicted_spend",
            "actual_spend",
        )
    )
    return Holdout(calibration_end, t, fit, customers, holdout_groups(customers))


def holdout_groups(customers: pl.DataFrame) -> pl.DataFrame:
    """Holdout.groups from Holdout.customers (see Holdout)."""
    top = FREQUENCY_GROUPS
    group = (
        pl.when(pl.col("frequency") >= top)
        .then(pl.lit(f"{top}+"))
        .otherwise(pl.col("frequency").cast(pl.Int64).cast(pl.String))
    )
    bought = pl.col("actual_spend").is_not_null()
    aggs = [
        pl.len().cast(pl.Int64).alias("customers"),
        pl.col("predicted_purchases").mean(),
        pl.col("actual_purchases").mean(),
        (pl.col("predicted_purchases") - pl.col("actual_purchases"))
        .abs()
        .mean()
        .alias("mae_purchases"),
        (pl.col("predicted_purchases").sum() / pl.col("actual_purchases").sum() - 1).alias(
            "total_error"
        ),
        pl.col("predicted_spend").filter(bought).mean(),
        pl.col("actual_spend").filter(bought).mean(),
    ]
    by_group = (
        customers.with_columns(group.alias("group"), pl.col("frequency").clip(0, top).alias("k"))
        .group_by("group", "k")
        .agg(aggs)
        .sort("k")
        .drop("k")
    )
    overall = customers.select(pl.lit("all").alias("group"), *aggs)
    return pl.concat([by_group, overall]).with_columns(
        pl.when(pl.col("total_error").is_infinite())
        .then(None)
        .otherwise(pl.col("total_error"))
        .alias("total_error")
    )


def most_valuable(values: pl.DataFrame, n: int = 20) -> pl.DataFrame:
    """The n customers of highest CLV (values: customer_values), highest first."""
    return values.filter(pl.col("clv").is_not_null()).sort("clv", descending=True).head(n)


def at_risk(values: pl.DataFrame, n: int = 20, top_share: float = 0.2) -> pl.DataFrame:
    """Valuable customers who may have left: among the `top_share` who spent most so far, those
    with P(alive) under one half, least likely alive first (then most spent)."""
    top = max(1, round(values.height * top_share))
    return (
        values.sort("spent", descending=True)
        .head(top)
        .filter(pl.col("p_alive") < 0.5)
        .sort(["p_alive", "spent"], descending=[False, True])
        .head(n)
    )


def clv_by_segment(values: pl.DataFrame, segments: pl.DataFrame) -> pl.DataFrame:
    """CLV per RFM segment (segments: customer_id, segment): segment, customers, clv (total),
    mean_clv, share (of the total CLV), p_alive (mean); by total CLV descending. Customers
    without a segment fall under "no segment"."""
    joined = values.join(segments.select("customer_id", "segment"), on="customer_id", how="left")
    table = (
        joined.with_columns(pl.col("segment").fill_null("no segment"))
        .group_by("segment")
        .agg(
            pl.len().cast(pl.Int64).alias("customers"),
            pl.col("clv").sum().alias("clv"),
            pl.col("clv").mean().alias("mean_clv"),
            pl.col("p_alive").mean(),
        )
    )
    total = table["clv"].sum()
    return table.with_columns(
        (pl.col("clv") / total if total else pl.lit(None, pl.Float64)).alias("share")
    ).sort("clv", descending=True)


def _date(text: str) -> date | None:
    return datetime.strptime(text, "%Y-%m-%d").date() if text else None


def headless(
    ds: Dataset,
    *,
    unit: str = "weeks",
    horizon: float = 12,
    horizon_unit: str = "months",
    penalizer: float = 0.001,
    discount: float = 0.01,
    calibration_end: str = "",
) -> dict[str, pl.DataFrame]:
    """The page without the UI: `customers` (customer_values), `parameters` (parameter_table),
    `holdout` (Holdout.groups; calibration_end ISO, empty: two thirds into the history) and
    `sufficiency`. Raises ValueError with what to try when the data cannot be fitted."""
    if not ds.has("lines", "customer_id"):
        raise ValueError(
            "needs order lines with a customer id: upload an export with a customer column, "
            "or map one"
        )
    _check_unit(unit)
    if horizon_unit not in HORIZON_UNITS:
        raise ValueError(f"horizon_unit must be one of {', '.join(HORIZON_UNITS)}")
    bought = purchase_lines(ds.tables["lines"])
    summary = customer_summary(bought.lines, unit)
    checks = sufficiency(summary, bought.dropped, horizon, horizon_unit, unit)
    cal_end = _date(calibration_end) or default_calibration_end(bought.lines)
    try:
        fit = fit_models(summary, unit, penalizer)
        holdout = holdout_validation(bought.lines, cal_end, unit, penalizer)
    except FitError as error:
        raise ValueError(f"{error.message} {error.hint}") from None
    return {
        "customers": customer_values(summary, fit, horizon, horizon_unit, discount),
        "parameters": parameter_table(fit, ds.currency),
        "holdout": holdout.groups,
        "sufficiency": checks,
    }


def holdout_reading(groups: pl.DataFrame, holdout_units: float, unit: str) -> str:
    """One sentence comparing predicted and actual holdout purchases (groups: Holdout.groups)."""
    row = groups.filter(pl.col("group") == "all").row(0, named=True)
    error = row["total_error"]
    if error is None:
        return "Nobody bought in the holdout period, so the predictions cannot be checked."
    direction = "over" if error > 0 else "under"
    trust = "close enough to plan with" if abs(error) <= 0.15 else "use the figures with care"
    return (
        f"Over the {holdout_units:,.0f}-{unit[:-1]} holdout the model predicted "
        f"{row['predicted_purchases']:.2f} purchases per customer against "
        f"{row['actual_purchases']:.2f} made: it {direction}estimates the total by "
        f"{fmt.pct(abs(error))} ({trust}); per customer it is off by "
        f"{row['mae_purchases']:.2f} purchases on average."
    )


def spend_reading(groups: pl.DataFrame, currency: str = "") -> str:
    """One sentence comparing predicted and actual holdout spend per purchase."""
    row = groups.filter(pl.col("group") == "all").row(0, named=True)
    if row["actual_spend"] is None or row["predicted_spend"] is None:
        return "No spend prediction to check: the spend model was not fitted or nobody bought."
    error = row["predicted_spend"] / row["actual_spend"] - 1
    return (
        f"Customers who bought again spent {fmt.money(row['actual_spend'], currency, 2)} per "
        f"purchase against {fmt.money(row['predicted_spend'], currency, 2)} predicted "
        f"({fmt.change(error)})."
    )


def concentration_reading(values: pl.DataFrame, currency: str = "", top: float = 0.1) -> str:
    """One sentence on how much of the expected value the most valuable customers hold."""
    ranked = values.filter(pl.col("clv").is_not_null()).sort("clv", descending=True)
    total = ranked["clv"].sum()
    if ranked.height == 0 or not total:
        return "No customer value to rank."
    k = max(1, round(ranked.height * top))
    share = ranked["clv"].head(k).sum() / total
    return (
        f"The top {fmt.pct(top, 0)} of customers ({fmt.count(k)}) hold {fmt.pct(share)} of the "
        f"expected value of {fmt.money(total, currency)}: look after them first."
    )


def segment_reading(table: pl.DataFrame, currency: str = "") -> str:
    """One sentence on the RFM segment holding most expected value (table: clv_by_segment)."""
    if table.height == 0:
        return "No segment to compare."
    top = table.row(0, named=True)
    per = table.sort("mean_clv", descending=True, nulls_last=True).row(0, named=True)
    return (
        f"{top['segment'].capitalize()} hold {fmt.pct(top['share'])} of the expected value; "
        f"per customer, {per['segment']} are worth most "
        f"({fmt.money(per['mean_clv'], currency, 2)} each)."
    )
