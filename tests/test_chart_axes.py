"""Month axes: one label a month, evenly spaced, never the same month twice."""

from datetime import date, datetime

import polars as pl
import pytest

from lib.charts import (
    categories,
    clusters,
    delivery,
    funnel,
    month_axis,
    pct_axis,
    period_axis,
)


def _labels(axis) -> list[tuple[int, int, int]]:
    return [(v["year"], v["month"], v["date"]) for v in axis.to_dict()["values"]]


def test_a_short_range_labels_each_month_once():
    # Olist's lead cohorts, Dec 2017 to Apr 2018: Vega's own ticks read "Dec 2017 Dec 2017 ...".
    months = pl.Series([date(2017, 12, 1), date(2018, 2, 1), date(2018, 4, 1)])
    assert _labels(month_axis(months)) == [
        (2017, 12, 1),
        (2018, 1, 1),
        (2018, 2, 1),
        (2018, 3, 1),
        (2018, 4, 1),
    ]


def test_a_long_range_labels_every_kth_month_and_bars_in_their_middle():
    # 18 months, at most 12 labels: every other month, from the first.
    months = pl.Series([datetime(2023, 1, 1), datetime(2024, 6, 1)])
    labels = _labels(month_axis(months, middle=True))
    assert labels == [(2023, m, 15) for m in (1, 3, 5, 7, 9, 11)] + [
        (2024, m, 15) for m in (1, 3, 5)
    ]
    assert _labels(month_axis(months, 8))[:3] == [(2023, 1, 1), (2023, 4, 1), (2023, 7, 1)]


def test_a_few_days_or_weeks_are_labelled_once_each_at_their_start():
    # Three days of orders: Vega's own ticks read "30 Nov 2010 30 Nov 2010 1 Dec 2010 ...".
    days = pl.Series([datetime(2010, 12, 1), datetime(2010, 12, 3)])
    assert _labels(period_axis(days, "1d")) == [(2010, 12, 1), (2010, 12, 2), (2010, 12, 3)]
    assert period_axis(days, "1d").to_dict()["format"] == "%-d %b %Y"
    # One week, from its Monday: one label, under its bar.
    assert _labels(period_axis(pl.Series([date(2010, 11, 29)]), "1w")) == [(2010, 11, 29)]
    # A long range: Vega's ticks, thinned where labels would overlap.
    long = period_axis(pl.Series([date(2010, 1, 1), date(2010, 3, 1)]), "1d").to_dict()
    assert "values" not in long and long["labelOverlap"] == "greedy"


def test_the_lead_cohort_chart_labels_its_months_once():
    cohorts = pl.DataFrame(
        {
            "month": [date(2017, 12, 1), date(2018, 1, 1), date(2018, 2, 1)],
            "leads": [100, 120, 90],
            "deals": [10, 12, 9],
            "conversion": [0.1, 0.1, 0.1],
            "conversion_low": [0.05, 0.05, 0.05],
            "conversion_high": [0.15, 0.15, 0.15],
            "within_30d": [0.05, 0.05, 0.05],
            "observed_days": [300, 270, 240],
            "before_deals": [False, False, False],
        }
    )
    spec = funnel.cohort_chart(cohorts).to_dict()
    axis = spec["layer"][0]["encoding"]["x"]["axis"]
    assert [(v["year"], v["month"]) for v in axis["values"]] == [(2017, 12), (2018, 1), (2018, 2)]


def test_the_category_trend_panels_label_two_months_once_each():
    # Two months of data (2 Jan to 3 Feb): Vega's ticks read "Jan 22" five times.
    monthly = pl.DataFrame(
        {
            "category": ["a", "a"],
            "label": ["A", "A"],
            "rank": [1, 1],
            "month": [date(2022, 1, 1), date(2022, 2, 1)],
            "revenue": [10.0, 20.0],
            "partial": [True, True],
        }
    )
    spec = categories.trend_chart(monthly, "BRL").to_dict()
    axis = spec["spec"]["layer"][0]["encoding"]["x"]["axis"]
    assert [(v["year"], v["month"]) for v in axis["values"]] == [(2022, 1), (2022, 2)]


def test_the_reviews_chart_keeps_a_slot_for_every_day_and_labels_every_fifth():
    # A few reviewed orders: days -17, -11 and -5 only. Each day of the range is a slot (the
    # bars stand at their distance) and the labels every 5 days are all there, not only "-5".
    reviews = pl.DataFrame(
        {
            "offset_days": [-17, -11, -5],
            "late": [False, False, False],
            "review": [5.0, 3.0, 4.0],
            "low_share": [0.0, 0.5, 0.0],
            "orders": [1, 2, 3],
        }
    )
    x = delivery.reviews_chart(reviews).to_dict()["encoding"]["x"]
    assert x["scale"]["domain"] == list(range(-17, -4))
    assert x["axis"]["values"] == [-15, -10, -5]
    # Ten days or fewer: each one labelled.
    x = delivery.reviews_chart(reviews.head(0).vstack(reviews.tail(1))).to_dict()["encoding"]["x"]
    assert x["scale"]["domain"] == x["axis"]["values"] == [-5]


def test_a_signed_percent_axis_writes_no_plus_before_zero():
    """'+0%' read as a gain of nothing: the plus is added above zero only, by the label
    expression, to the number format's label (whose minus is lib.fmt's)."""
    axis = pct_axis(-0.25, 0.5, sign=True).to_dict()
    assert axis["format"] == ".0%"
    assert axis["labelExpr"] == "(datum.value > 0 ? '+' : '') + datum.label"
    assert "+" not in pct_axis(0.0, 0.5).to_dict()["format"]


def test_the_cluster_heatmap_writes_its_values_signed_above_zero_only():
    drivers = pl.DataFrame(
        {
            "cluster": [1, 1, 1, 1],
            "feature": ["a", "b", "c", "d"],
            "label": ["A", "B", "C", "D"],
            "position": [0, 1, 2, 3],
            "z": [-0.04, 0.04, 1.26, -1.26],
            "rank": [4, 3, 1, 2],
        }
    )
    spec = clusters.drivers_chart(drivers, {1: "one"}).to_dict()
    [values] = [v for v in spec["datasets"].values() if "z_text" in v[0]]
    assert [v["z_text"] for v in values] == ["0.0", "0.0", "+1.3", "-1.3"]


def test_the_value_concentration_chart_ends_both_share_axes_at_100_percent():
    """Shares of a whole: Vega's nice ticks ran the value axis to 110% (Olist's CLV page)."""
    from lib.charts import clv

    values = pl.DataFrame({"clv": [50.0, 30.0, 15.0, 5.0]})
    spec = clv.concentration_chart(values).to_dict()
    line = spec["layer"][1]["encoding"]
    for channel in ("x", "y"):
        assert line[channel]["scale"] == {"domain": [0.0, 1.0], "nice": False}
    # The curve itself: the top quarter of customers (1 of 4) hold 50% of the value, all 100%.
    curve = pl.DataFrame(spec["datasets"][spec["layer"][1]["data"]["name"]])
    assert curve["value"].to_list() == pytest.approx([0.0, 0.5, 0.8, 0.95, 1.0], abs=1e-12)
