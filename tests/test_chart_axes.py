"""Month axes: one label a month, evenly spaced, never the same month twice."""

from datetime import date, datetime

import polars as pl

from lib.charts import funnel, month_axis


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
