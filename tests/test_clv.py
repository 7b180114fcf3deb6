"""Lifetime value analyses: summaries by hand, published CDNOW estimates, lifetimes agreement."""

from datetime import date, datetime

import numpy as np
import pandas as pd
import polars as pl
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data

from lib import demo, formats, io
from lib.analyses import clv
from tests.conftest import shared_file


def _tx(rows: list[tuple[str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "ordered_at": [datetime.fromisoformat(r[1]) for r in rows],
            "revenue": [r[2] for r in rows],
        }
    )


# 1 Jan 2024 is a Monday: weeks are 1-7, 8-14 and 15-21 January.
TX = _tx(
    [
        ("A", "2024-01-01 09:00", 10.0),
        ("A", "2024-01-01 17:00", 5.0),
        ("A", "2024-01-03 10:00", 20.0),
        ("A", "2024-01-15 10:00", 30.0),
        ("B", "2024-01-08 12:00", 50.0),
        ("C", "2024-01-02 08:00", 10.0),
        ("C", "2024-01-07 20:00", 40.0),
    ]
)


def _rows(summary: pl.DataFrame) -> list[tuple]:
    return summary.select("customer_id", "frequency", "recency", "T", "monetary_value").rows()


def test_summary_in_days_counts_one_purchase_per_day_and_averages_repeat_days():
    summary = clv.customer_summary(TX, "days")
    assert _rows(summary) == [
        ("A", 2.0, 14.0, 14.0, 25.0),
        ("B", 0.0, 0.0, 7.0, 0.0),
        ("C", 1.0, 5.0, 13.0, 40.0),
    ]
    assert summary["spent"].to_list() == [65.0, 50.0, 50.0]


def test_summary_in_weeks_merges_a_customers_purchases_within_a_monday_week():
    summary = clv.customer_summary(TX, "weeks")
    assert _rows(summary) == [
        ("A", 1.0, 2.0, 2.0, 30.0),
        ("B", 0.0, 0.0, 1.0, 0.0),
        ("C", 0.0, 0.0, 2.0, 0.0),
    ]


def test_summary_counting_days_measures_time_in_weeks():
    summary = clv.customer_summary(TX, "weeks", count_days=True)
    assert _rows(summary) == [
        ("A", 2.0, 2.0, 2.0, 25.0),
        ("B", 0.0, 0.0, 1.0, 0.0),
        ("C", 1.0, pytest.approx(5 / 7), pytest.approx(13 / 7), 40.0),
    ]


@pytest.mark.parametrize(("unit", "freq"), [("days", "D"), ("weeks", "W")])
def test_summary_equals_lifetimes_summary_data_from_transaction_data(unit, freq):
    expected = summary_data_from_transaction_data(
        TX.to_pandas(), "customer_id", "ordered_at", "revenue", freq=freq
    ).sort_index()
    ours = clv.customer_summary(TX, unit)
    for column in ("frequency", "recency", "T", "monetary_value"):
        assert ours[column].to_list() == pytest.approx(expected[column].tolist()), column


def test_summary_stops_at_the_observation_end():
    summary = clv.customer_summary(TX, "days", observation_end=date(2024, 1, 7))
    assert _rows(summary) == [("A", 1.0, 2.0, 6.0, 20.0), ("C", 1.0, 5.0, 5.0, 40.0)]


def test_purchase_lines_leaves_out_guests_returns_free_lines_and_duplicates_and_counts_them():
    lines = pl.DataFrame(
        {
            "order_id": ["1", "1", "2", "3", "4", "1", "5"],
            "customer_id": ["A", "A", None, "A", "B", "A", "B"],
            "ordered_at": [datetime(2024, 1, 1)] * 7,
            "revenue": [10.0, 4.0, 7.0, -5.0, 0.0, 10.0, 3.0],
            "quantity": [1.0, 2.0, 1.0, -1.0, 1.0, 1.0, 3.0],
            "unit_price": [10.0, 2.0, 7.0, 5.0, 0.0, 10.0, 1.0],
            "is_return": [False, False, False, True, False, False, False],
        }
    )
    out = clv.purchase_lines(lines)
    # A's two kept lines of order 1 (10 + 4) are one purchase; the duplicate 10 is not counted.
    assert out.lines.rows() == [
        ("A", datetime(2024, 1, 1), 14.0),
        ("B", datetime(2024, 1, 1), 3.0),
    ]
    assert out.dropped.rows() == [
        ("no customer id", 1, 7.0),
        ("cancellation or return", 1, -5.0),
        ("zero or negative quantity, price or revenue", 1, 0.0),
        ("exact duplicate line", 1, 10.0),
    ]


@pytest.mark.parametrize(
    ("horizon", "horizon_unit", "unit", "expected"),
    [
        (3, "months", "weeks", 3 * 4.345),
        (3, "months", "days", 90.0),
        (12, "weeks", "weeks", 12.0),
        (12, "weeks", "days", 84.0),
    ],
)
def test_horizon_is_converted_to_the_models_unit(horizon, horizon_unit, unit, expected):
    assert clv.horizon_in_units(horizon, horizon_unit, unit) == pytest.approx(expected)


def _cdnow() -> pd.DataFrame:
    path = shared_file("cdnow/cdnow_customers_summary_with_transactions.csv.gz")
    return pd.read_csv(path)


def _cdnow_summary(frame: pd.DataFrame) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": frame["ID"].astype(str),
            "frequency": frame["x"].astype(float),
            "recency": frame["t_x"].astype(float),
            "T": frame["T"].astype(float),
            "monetary_value": frame["zbar"].astype(float),
        }
    )


def test_bgnbd_on_the_cdnow_summary_gives_the_published_estimates():
    raw = pd.read_csv(shared_file("cdnow/cdnow_customers_summary.csv.gz"))
    summary = pl.DataFrame(
        {
            "customer_id": raw["ID"].astype(str),
            "frequency": raw["frequency"].astype(float),
            "recency": raw["recency"].astype(float),
            "T": raw["T"].astype(float),
            "monetary_value": np.zeros(len(raw)),
        }
    )
    fit = clv.fit_models(summary, "weeks", penalizer=0.0)
    got = {k: round(v, 2) for k, v in fit.purchases.items()}
    assert got == {"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43}
    # The published figures to three decimals: 0.243, 4.414, 0.793, 2.426.
    assert fit.purchases["r"] == pytest.approx(0.243, abs=5e-4)
    assert fit.purchases["alpha"] == pytest.approx(4.414, abs=5e-4)
    assert fit.purchases["a"] == pytest.approx(0.793, abs=5e-4)
    assert fit.purchases["b"] == pytest.approx(2.426, abs=5e-4)


def test_gamma_gamma_on_cdnow_repeat_buyers_gives_the_published_estimates():
    fit = clv.fit_models(_cdnow_summary(_cdnow()), "weeks", penalizer=0.0)
    assert fit.spend_buyers == int((_cdnow()["x"] > 0).sum())
    # Published: p=6.25, q=3.74, v=15.44 (the optimum is v=15.4477, so within 0.01).
    assert fit.spend["p"] == pytest.approx(6.25, abs=0.01)
    assert fit.spend["q"] == pytest.approx(3.74, abs=0.01)
    assert fit.spend["v"] == pytest.approx(15.44, abs=0.01)


def _lifetimes_fitters(fit: clv.Fit) -> tuple[BetaGeoFitter, GammaGammaFitter]:
    bgf, ggf = BetaGeoFitter(), GammaGammaFitter()
    bgf.params_ = pd.Series(fit.purchases)[["r", "alpha", "a", "b"]]
    ggf.params_ = pd.Series(fit.spend)[["p", "q", "v"]]
    bgf.predict = bgf.conditional_expected_number_of_purchases_up_to_time  # as fit() sets it
    return bgf, ggf


@pytest.mark.parametrize("months", [1, 3, 12])
def test_clv_of_cdnow_customers_matches_lifetimes_own_functions(months):
    raw = _cdnow()
    fit = clv.fit_models(_cdnow_summary(raw), "weeks", penalizer=0.0)
    values = clv.customer_values(_cdnow_summary(raw), fit, months, "months", 0.01)
    ours = dict(zip(values["customer_id"], values["clv"], strict=True))
    # lifetimes fitted on its own, then its CLV (time in months, T in weeks) for repeat buyers.
    repeat = raw[raw["x"] > 0]
    bgf = BetaGeoFitter().fit(raw["x"], raw["t_x"], raw["T"])
    ggf = GammaGammaFitter().fit(repeat["x"], repeat["zbar"])
    known = repeat.head(25)

    def lifetimes_clv(bgf: BetaGeoFitter, ggf: GammaGammaFitter) -> list[float]:
        return ggf.customer_lifetime_value(
            bgf,
            known["x"],
            known["t_x"],
            known["T"],
            known["zbar"],
            time=months,
            discount_rate=0.01,
            freq="W",
        ).tolist()

    got = [ours[str(i)] for i in known["ID"]]
    assert got == pytest.approx(lifetimes_clv(bgf, ggf), rel=1e-3)
    # With the very same parameters the agreement is exact: the discounting is lifetimes'.
    assert got == pytest.approx(lifetimes_clv(*_lifetimes_fitters(fit)), rel=1e-9)


@pytest.mark.parametrize(("unit", "freq", "per_month"), [("weeks", "W", 4.345), ("days", "D", 30)])
def test_horizon_in_months_feeds_each_lifetimes_call_in_its_own_unit(unit, freq, per_month):
    raw = _cdnow()
    summary = _cdnow_summary(raw)
    if unit == "days":  # the same customers measured in days
        summary = summary.with_columns(pl.col("recency") * 7, pl.col("T") * 7)
    fit = clv.fit_models(summary, unit, penalizer=0.0)
    values = clv.customer_values(summary, fit, 6, "months", 0.0).sort("customer_id")
    bgf, ggf = _lifetimes_fitters(fit)
    f, r, t = (summary.sort("customer_id")[c].to_numpy() for c in ("frequency", "recency", "T"))
    # Expected purchases take the data's own unit: 6 months are 6 * per_month units.
    expected = bgf.conditional_expected_number_of_purchases_up_to_time(6 * per_month, f, r, t)
    assert values["expected_purchases"].to_numpy() == pytest.approx(expected, rel=1e-9)
    # customer_lifetime_value takes months.
    m = summary.sort("customer_id")["monetary_value"].to_numpy()
    idx = pd.RangeIndex(len(f))
    life = ggf.customer_lifetime_value(
        bgf,
        pd.Series(f, index=idx),
        pd.Series(r, index=idx),
        pd.Series(t, index=idx),
        pd.Series(m, index=idx),
        time=6,
        discount_rate=0.0,
        freq=freq,
    )
    assert values["clv"].to_numpy() == pytest.approx(life.to_numpy(), rel=1e-9)
    # Without discounting, value is expected purchases times expected spend.
    assert values["clv"].to_numpy() == pytest.approx(
        (values["expected_purchases"] * values["expected_spend"]).to_numpy(), rel=1e-9
    )


def test_horizon_in_weeks_discounts_whole_months_then_the_remainder():
    fit = clv.Fit("weeks", 0.0, {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}, None, "", 1, 1, 1)
    summary = pl.DataFrame(
        {"frequency": [2.0], "recency": [20.0], "T": [30.0], "monetary_value": [10.0]}
    )
    bgf = BetaGeoFitter()
    bgf.params_ = pd.Series(fit.purchases)

    def upto(t: float) -> float:
        return float(bgf.conditional_expected_number_of_purchases_up_to_time(t, 2, 20, 30))

    # 6 weeks: month 1 (4.345 weeks) at 1.01, the rest at 1.01 ** (6 / 4.345).
    expected = 10 * (upto(4.345) / 1.01 + (upto(6) - upto(4.345)) / 1.01 ** (6 / 4.345))
    got = clv.discounted_value(fit, summary, np.array([10.0]), 6.0, 0.01)
    assert got[0] == pytest.approx(expected, rel=1e-12)


def test_expected_purchases_stay_finite_where_lifetimes_takes_the_log_of_a_negative():
    # a + b < 1: for a one-time buyer 2F1(r, b; a + b - 1; z) is negative; lifetimes gives NaN.
    params = {"r": 0.77, "alpha": 12.6, "a": 0.14, "b": 0.72}
    fit = clv.Fit("weeks", 0.0, params, None, "", 1, 1, 1)
    summary = pl.DataFrame({"frequency": [0.0], "recency": [0.0], "T": [4.0]})
    bgf = BetaGeoFitter()
    bgf.params_ = pd.Series(params)
    with np.errstate(all="ignore"):
        assert np.isnan(bgf.conditional_expected_number_of_purchases_up_to_time(20, 0, 0, 4))
    # Eq. 10 of Fader, Hardie and Lee with 2F1 summed as its power series.
    r, alpha, a, b = params.values()
    z = 20 / (alpha + 4 + 20)
    term, total = 1.0, 1.0
    for k in range(5000):
        term *= (r + k) * (b + k) / ((a + b - 1 + k) * (k + 1)) * z
        total += term
    expected = (a + b - 1) / (a - 1) * (1 - total * ((alpha + 4) / (alpha + 24)) ** r)
    assert clv.expected_purchases(fit, summary, 20.0)[0] == pytest.approx(expected, rel=1e-9)


def test_too_few_repeat_buyers_give_a_fit_error_with_what_to_try():
    summary = clv.customer_summary(TX, "days")
    with pytest.raises(clv.FitError) as error:
        clv.fit_models(summary, "days")
    assert "Only 2 customer(s) bought more than once" in error.value.message
    assert error.value.hint


def test_holdout_groups_average_predictions_and_errors_per_calibration_frequency():
    customers = pl.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "frequency": [0.0, 0.0, 1.0, 8.0],
            "predicted_purchases": [0.5, 0.5, 1.0, 3.0],
            "actual_purchases": [1.0, 0.0, 2.0, 2.0],
            "predicted_spend": [10.0, 10.0, 20.0, 30.0],
            "actual_spend": [12.0, None, 18.0, 40.0],
        }
    )
    groups = clv.holdout_groups(customers)
    assert groups.rows() == [
        ("0", 2, 0.5, 0.5, 0.5, 0.0, 10.0, 12.0),
        ("1", 1, 1.0, 2.0, 1.0, -0.5, 20.0, 18.0),
        ("7+", 1, 3.0, 2.0, 1.0, 0.5, 30.0, 40.0),
        ("all", 4, 1.25, 1.25, 0.75, 0.0, 20.0, pytest.approx(70 / 3)),
    ]


def test_sufficiency_flags_one_time_buyers_and_a_horizon_longer_than_the_history():
    summary = clv.customer_summary(TX, "days")
    dropped = pl.DataFrame(
        {"reason": ["no customer id"], "lines": [4], "revenue": [12.0]},
        schema={"reason": pl.String, "lines": pl.Int64, "revenue": pl.Float64},
    )
    checks = clv.sufficiency(summary, dropped, 12, "months", "days")
    verdicts = dict(zip(checks["check"], checks["verdict"], strict=True))
    values = dict(zip(checks["check"], checks["value"], strict=True))
    assert values["Customers"] == "3"
    assert verdicts["Customers"] == "problem"
    assert values["One-time buyers"] == "33.3%"
    assert verdicts["One-time buyers"] == "problem"  # 2 repeat buyers, fewer than 10
    assert values["History vs horizon"] == "15 days of history, horizon 360 days"
    assert verdicts["History vs horizon"] == "caution"
    assert values["Lines without a customer"] == "4"
    assert values["Repeat buyers with non-positive spend"] == "0"


def test_clv_by_segment_sums_value_per_segment_with_unsegmented_customers_apart():
    values = pl.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "clv": [10.0, 30.0, 60.0, 0.0],
            "p_alive": [0.5, 1.0, 0.9, 0.1],
        }
    )
    segments = pl.DataFrame({"customer_id": ["a", "b", "c"], "segment": ["x", "x", "y"]})
    table = clv.clv_by_segment(values, segments)
    assert table.rows() == [
        ("y", 1, 60.0, 60.0, 0.9, 0.6),
        ("x", 2, 40.0, 20.0, 0.75, 0.4),
        ("no segment", 1, 0.0, 0.0, 0.1, 0.0),
    ]


def test_at_risk_lists_top_spenders_unlikely_to_be_alive():
    values = pl.DataFrame(
        {
            "customer_id": list("abcdefghij"),
            "spent": [100.0, 90.0, 80.0, 70.0, 60.0, 50.0, 40.0, 30.0, 20.0, 10.0],
            "p_alive": [0.9, 0.2, 0.3, 0.1, 0.05, 0.2, 0.1, 0.1, 0.1, 0.1],
        }
    )
    # Top 20% by spend: a (alive), b; of the top 40%: b, c, d.
    assert clv.at_risk(values, top_share=0.2)["customer_id"].to_list() == ["b"]
    assert clv.at_risk(values, top_share=0.4)["customer_id"].to_list() == ["d", "b", "c"]


def test_the_fit_recovers_the_demos_bgnbd_and_gamma_gamma_parameters():
    # 1M invoice lines hold about 18,000 customers. Days counted as purchases and measured in
    # weeks, as the generator draws them (one invoice per customer per day).
    generated = demo.demo("retail", rows=1_000_000)
    truth = generated.truth
    tables = [io.RawTable(n, n, f) for n, f in generated.files.items()]
    ds = formats.assemble(tables).dataset
    bought = clv.purchase_lines(ds.tables["lines"])
    summary = clv.customer_summary(bought.lines, "weeks", count_days=True)
    fit = clv.fit_models(summary, "weeks", penalizer=0.0)
    # Stated tolerances: r and alpha within 10%, a and b within 15%; spend within 20% (p, q and
    # v trade off against each other, and cleaning changes some invoice totals).
    for name, tol in (("r", 0.10), ("alpha", 0.10), ("a", 0.15), ("b", 0.15)):
        assert fit.purchases[name] == pytest.approx(truth[f"bgnbd_{name}"], rel=tol), name
    for name in ("p", "q", "v"):
        assert fit.spend[name] == pytest.approx(truth[f"gg_{name}"], rel=0.20), name
    mean = truth["gg_p"] * truth["gg_v"] / (truth["gg_q"] - 1)
    fitted_mean = fit.spend["p"] * fit.spend["v"] / (fit.spend["q"] - 1)
    assert fitted_mean == pytest.approx(mean, rel=0.10)


def test_online_retail_runs_end_to_end_with_holdout_errors():
    tables = io.read_path(shared_file("online_retail/online_retail.parquet"))
    ds = formats.assemble(tables).dataset
    lines = ds.tables["lines"]
    bought = clv.purchase_lines(lines)
    # The published cleaning leaves 4,338 customers (computed here with plain polars).
    expected = lines.filter(
        pl.col("customer_id").is_not_null()
        & ~pl.col("is_return")
        & (pl.col("quantity") > 0)
        & (pl.col("unit_price") > 0)
    )["customer_id"].n_unique()
    summary = clv.customer_summary(bought.lines, "weeks")
    assert summary.height == expected == 4338
    fit = clv.fit_models(summary, "weeks", 0.001)
    values = clv.customer_values(summary, fit, 12, "months", 0.01)
    assert values["clv"].is_finite().all() and values["clv"].min() >= 0
    holdout = clv.holdout_validation(bought.lines, date(2011, 9, 1), "weeks", 0.001)
    overall = holdout.groups.filter(pl.col("group") == "all").row(0, named=True)
    actual = bought.lines.filter(pl.col("ordered_at") >= datetime(2011, 9, 2))
    assert (
        overall["customers"]
        == bought.lines.filter(pl.col("ordered_at") < datetime(2011, 9, 2))[
            "customer_id"
        ].n_unique()
    )
    assert overall["actual_purchases"] * overall["customers"] == pytest.approx(
        actual.filter(
            pl.col("customer_id").is_in(
                bought.lines.filter(pl.col("ordered_at") < datetime(2011, 9, 2))["customer_id"]
                .unique()
                .implode()
            )
        )
        .select("customer_id", pl.col("ordered_at").dt.date().dt.truncate("1w"))
        .unique()
        .height
    )
    assert 0 < overall["mae_purchases"] < 5
    assert abs(overall["total_error"]) < 1


def test_headless_returns_the_pages_four_tables():
    ds = formats.assemble_demo("retail").dataset
    out = clv.headless(ds, horizon=6)
    assert set(out) == {"customers", "parameters", "holdout", "sufficiency"}
    assert out["parameters"]["parameter"].to_list() == ["r", "alpha", "a", "b", "p", "q", "v"]
    assert (
        out["customers"].height
        == ds.tables["lines"]
        .filter(
            pl.col("customer_id").is_not_null() & ~pl.col("is_return") & (pl.col("revenue") > 0)
        )["customer_id"]
        .n_unique()
    )
    assert out["holdout"]["group"].to_list()[-1] == "all"
