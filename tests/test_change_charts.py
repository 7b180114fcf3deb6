"""Charts of issue #17: the revenue waterfall, repeat orders after lateness, the churn window."""

from datetime import date, datetime

import polars as pl

from lib.analyses import bridge, churn, lateness
from lib.charts import bridge as bridge_charts
from lib.charts import churn as churn_charts
from lib.charts import lateness as lateness_charts

D = datetime


def _values(chart: dict) -> list[dict]:
    """The rows of every data set a chart spec carries, in order."""
    return [row for rows in chart.get("datasets", {}).values() for row in rows]


PURCHASES = pl.DataFrame(
    {
        "customer_id": ["a", "a", "b", "c", "d"],
        "ordered_at": [D(2024, 1, 5), D(2024, 2, 5), D(2024, 1, 9), D(2024, 2, 9), D(2023, 12, 1)],
        "revenue": [100.0, 130.0, 40.0, 25.0, 10.0],
        "units": [1.0, 1.0, 1.0, 1.0, 1.0],
    }
)


def test_the_waterfall_floats_each_step_from_the_running_total_and_signs_its_label():
    result = bridge.revenue_bridge(
        PURCHASES, bridge.parse_period("2024-01"), bridge.parse_period("2024-02")
    )
    spec = bridge_charts.waterfall_chart(result.steps, "GBP").to_dict()
    rows = {r["label"]: r for r in _values(spec)}
    assert [r["label"] for r in _values(spec)] == result.steps["label"].to_list()
    assert rows["New customers"]["start"] == 140.0 and rows["New customers"]["end"] == 165.0
    assert rows["Lost customers"]["way"] == "down"
    assert rows["Current period"]["start"] == 0.0 and rows["Current period"]["end"] == 155.0
    assert rows["Returning: buying more"]["way"] == "up"
    text = spec["layer"][1]["transform"][0]["calculate"]
    assert "'+'" in text and "£" in text


def test_the_repeat_share_chart_shows_each_followed_group_with_its_interval():
    groups = pl.DataFrame(
        {
            "group": ["on time", "late"],
            "customers": [1200, 0],
            "repeaters": [60, 0],
            "repeat_share": [0.05, None],
            "share_low": [0.039, None],
            "share_high": [0.064, None],
        }
    )
    spec = lateness_charts.repeat_share_chart(groups, 6).to_dict()
    rows = _values(spec)
    assert [r["label"] for r in rows] == ["First order on time"]  # nobody late to follow
    assert rows[0]["behind"] == "5.0%: 60 of 1,200 customers"
    assert spec["layer"][0]["encoding"]["x2"]["field"] == "share_high"
    assert lateness.GROUPS == ("on time", "late")


def test_the_status_chart_stacks_four_statuses_per_month_and_the_gap_chart_marks_each_window():
    days = pl.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b", "c"],
            "day": [
                date(2024, 1, 2),
                date(2024, 1, 20),
                date(2024, 3, 1),
                date(2024, 1, 5),
                date(2024, 2, 4),
                date(2024, 3, 9),
            ],
        }
    )
    result = churn.churn(churn.churn_base(days), 0.8)
    spec = churn_charts.status_chart(result.monthly, result.days).to_dict()
    rows = _values(spec)
    assert len(rows) == 4 * result.monthly.height
    assert {r["status"] for r in rows} == set(churn_charts.STATUS_LABELS)
    march = [r for r in rows if r["month"].startswith("2024-03")]
    assert sum(r["n"] for r in march) == 3
    gaps = churn_charts.gap_chart(result.gaps, result.windows).to_dict()
    texts = [layer for layer in gaps["layer"] if layer["mark"]["type"] == "text"]
    assert len(texts) == result.windows.height
