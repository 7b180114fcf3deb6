"""The Cohorts page as a user drives it, through streamlit_app.py with AppTest."""

from datetime import timedelta

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from lib import demo, fmt, formats, measures
from tests import apptest
from tests.apptest import metric, texts

PAGE = "pages/cohorts.py"


def page(source: str) -> AppTest:
    return apptest.page(source, PAGE)


def purchases(kind: str, every: str) -> tuple[pl.DataFrame, pl.DataFrame, object]:
    """Purchase lines with their period, each buyer's first period, and the data's last day."""
    lines = formats.assemble_demo(kind).dataset.tables["lines"]
    buys = lines.filter(
        pl.col("customer_id").is_not_null() & ~pl.col("is_return") & (pl.col("revenue") >= 0)
    ).with_columns(pl.col("ordered_at").dt.truncate(every).dt.date().alias("period"))
    first = buys.group_by("customer_id").agg(pl.col("period").min().alias("cohort"))
    return buys, first, lines["ordered_at"].max().date()


def back_in_period_one(kind: str, every: str, last: int) -> float:
    """Customers of the `last` most recent cohorts who buy again in the period after their first,
    pooled over the cohorts whose next period the data covers to its last day."""
    buys, first, end = purchases(kind, every)
    shown = first["cohort"].unique().sort().tail(last)
    nxt = pl.col("cohort").dt.offset_by(every)
    eligible = first.filter(
        pl.col("cohort").is_in(shown.implode())
        & (nxt.dt.offset_by(every) - timedelta(days=1) <= end)
    ).with_columns(nxt.alias("next"))
    back = (
        buys.join(eligible, on="customer_id")
        .filter(pl.col("period") == pl.col("next"))["customer_id"]
        .n_unique()
    )
    return back / eligible.height


@pytest.mark.parametrize("kind", demo.KINDS)
def test_customers_cohorts_and_month_one_return_match_the_demo(kind):
    at = page(kind)
    _, first, _ = purchases(kind, "1mo")
    assert metric(at, "Customers").value == fmt.count(first.height)
    assert metric(at, "Cohorts").value == fmt.count(first["cohort"].n_unique())
    assert metric(at, "Back month 1").value == fmt.pct(back_in_period_one(kind, "1mo", 24))
    assert measures.DEFINITIONS["purchase"] in texts(at)
    assert len(at.get("vega_lite_chart")) == 2


def test_retail_page_says_how_many_lines_have_no_customer():
    at = page("retail")
    lines = formats.assemble_demo("retail").dataset.tables["lines"]
    missing = lines["customer_id"].null_count()
    assert missing > 0
    assert f"{missing:,} of {lines.height:,} lines" in texts(at)


def test_fewer_cohorts_change_the_month_one_figure():
    at = page("webshop")
    at.slider(key="cohort_last_month").set_value(3).run()
    assert not at.exception
    assert metric(at, "Back month 1").value == fmt.pct(back_in_period_one("webshop", "1mo", 3))


@pytest.mark.parametrize("kind", demo.KINDS)
def test_quarterly_cohorts_of_net_revenue_in_absolute_amounts(kind):
    at = page(kind)
    at.segmented_control(key="cohort_grain").set_value("quarter").run()
    at.segmented_control(key="cohort_metric").set_value("revenue").run()
    at.toggle(key="cohort_relative").set_value(False).run()
    assert not at.exception
    _, first, _ = purchases(kind, "1q")
    assert metric(at, "Cohorts").value == fmt.count(first["cohort"].n_unique())
    assert "Quarter 1 vs first" in [m.label for m in at.metric]
    assert len(at.get("vega_lite_chart")) >= 1


def test_weekly_cohorts_of_orders_render():
    at = page("marketplace")
    at.segmented_control(key="cohort_grain").set_value("week").run()
    at.segmented_control(key="cohort_metric").set_value("orders").run()
    assert not at.exception
    _, first, _ = purchases("marketplace", "1w")
    assert metric(at, "Cohorts").value == fmt.count(first["cohort"].n_unique())


def test_the_page_explains_what_is_missing_without_data():
    at = page("files")
    assert "needs a lines table with customer_id" in texts(at)
    assert not at.metric
