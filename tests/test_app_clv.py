"""The Lifetime value page as a user drives it, through streamlit_app.py with AppTest."""

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from lib import demo, fmt, formats
from tests import apptest
from tests.apptest import metric

PAGE = "pages/clv.py"


def page(source: str) -> AppTest:
    return apptest.page(source, PAGE)


def texts(at: AppTest) -> str:
    parts = [c.value for c in at.caption] + [i.value for i in at.info]
    return " ".join(parts + [w.value for w in at.warning])


def kept_lines(kind: str) -> pl.DataFrame:
    lines = formats.assemble_demo(kind).dataset.tables["lines"]
    return lines.filter(
        pl.col("customer_id").is_not_null()
        & ~pl.col("is_return")
        & (pl.col("revenue") > 0)
        & (pl.col("quantity") > 0)
        & (pl.col("unit_price") > 0)
    )


@pytest.mark.parametrize("kind", demo.KINDS)
def test_customers_metric_counts_customers_with_a_kept_purchase(kind):
    at = page(kind)
    assert metric(at, "Customers").value == fmt.count(kept_lines(kind)["customer_id"].n_unique())
    assert "Cleaned as the published analyses clean Online Retail" in texts(at)
    assert metric(at, "Expected value, 12 months").value != "—"


def test_retail_page_counts_lines_without_a_customer():
    at = page("retail")
    lines = formats.assemble_demo("retail").dataset.tables["lines"]
    guests = lines.filter(pl.col("customer_id").is_null())
    expected = f"{fmt.count(guests.height)} line(s) without a customer"
    assert expected in texts(at)


def test_marketplace_says_bgnbd_has_little_to_learn_from_one_time_buyers():
    at = page("marketplace")
    kept = kept_lines("marketplace")
    days = kept.select("customer_id", pl.col("ordered_at").dt.truncate("1w")).unique()
    per_customer = days.group_by("customer_id").len()
    one_time = (per_customer["len"] == 1).mean()
    checks = at.dataframe[0].value
    row = checks[checks["check"] == "One-time buyers"].iloc[0]
    assert row["value"] == fmt.pct(one_time)
    assert "BG/NBD has little to learn" in row["note"]


def test_horizon_change_changes_the_expected_value():
    at = page("retail")
    before = metric(at, "Expected value, 12 months").value
    at.number_input(key="clv_horizon").set_value(3).run()
    assert not at.exception
    after = metric(at, "Expected value, 3 months").value
    assert after != before
    at.segmented_control(key="clv_horizon_unit").set_value("weeks").run()
    assert metric(at, "Expected value, 3 weeks").value not in (before, after)


def test_holdout_view_shows_the_error_figures():
    at = page("webshop")
    at.segmented_control(key="clv_view").set_value("Holdout check").run()
    assert not at.exception
    holdout = at.dataframe[-1].value
    overall = holdout[holdout["group"] == "all"].iloc[0]
    assert metric(at, "MAE per customer").value == f"{overall['mae_purchases']:.2f}"
    assert metric(at, "Error on the total").value == fmt.change(overall["total_error"], 1)
    assert "holdout the model predicted" in texts(at)


def test_segment_view_asks_for_the_rfm_page_without_segments():
    at = page("retail")
    at.segmented_control(key="clv_view").set_value("By RFM segment").run()
    assert "Open the RFM page first" in texts(at)


def test_segment_view_sums_value_per_published_rfm_segment():
    at = page("retail")
    ds = formats.assemble_demo("retail").dataset
    customers = kept_lines("retail")["customer_id"].unique().sort()
    segments = pl.DataFrame(
        {
            "customer_id": customers,
            "segment": ["even" if i % 2 == 0 else "odd" for i in range(customers.len())],
        }
    )
    at.session_state["app_shared"] = {(ds.key, "rfm_segments"): segments}
    at.segmented_control(key="clv_view").set_value("By RFM segment").run()
    assert not at.exception
    table = at.dataframe[-1].value
    assert sorted(table["segment"]) == ["even", "odd"]
    assert table["customers"].sum() == customers.len()


def test_page_explains_what_is_missing_without_data():
    at = page("files")
    assert "needs a lines table with customer_id" in texts(at)
