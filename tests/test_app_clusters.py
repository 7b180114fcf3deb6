"""The Clusters page as a user sees it, per demo, through streamlit_app.py with AppTest."""

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from lib import demo, formats
from tests import apptest
from tests.apptest import metric

PAGE = "pages/clusters.py"


def page(source: str) -> AppTest:
    return apptest.page(source, PAGE)


def table_with(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def captions(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption)


def buyers(kind: str) -> pl.DataFrame:
    """Lines of customers with at least one sale, straight from the loaded demo's lines."""
    lines = formats.assemble_demo(kind).dataset.tables["lines"]
    sale = ~pl.col("is_return").fill_null(False)
    known = lines.filter(pl.col("customer_id").is_not_null())
    who = known.filter(sale).select("customer_id").unique()
    return known.join(who, on="customer_id", how="semi")


@pytest.mark.parametrize("kind", demo.KINDS)
def test_page_clusters_every_customer_and_their_net_revenue(kind):
    at = page(kind)
    lines = buyers(kind)
    customers = lines["customer_id"].n_unique()
    assert metric(at, "Customers clustered").value == f"{customers:,}"
    assert metric(at, "Clusters").value == "4"
    profiles = table_with(at, "revenue_per_customer")
    assert len(profiles) == 4
    assert profiles["customers"].sum() == customers
    assert profiles["revenue"].sum() == pytest.approx(lines["revenue"].sum())
    assert profiles["name"].nunique() == 4
    diagnostics = table_with(at, "davies_bouldin")
    assert diagnostics["k"].tolist() == list(range(2, 11))
    assert metric(at, "Suggested k").value in {str(k) for k in range(2, 11)}


def test_retail_page_says_how_many_lines_have_no_customer():
    at = page("retail")
    raw = demo.demo("retail").files["online_retail.csv"]
    missing = raw.filter(pl.col("CustomerID").is_null()).height
    assert f"Left out: {missing:,} lines without a customer" in captions(at)
    assert "share of returns" not in captions(at).split("Not offered:")[1].split(".")[0]
    assert "Share of revenue returned" in at.multiselect(key="clusters_features").options


def test_marketplace_offers_reviews_and_explains_the_missing_platform_mix():
    at = page("marketplace")
    assert "Average review" in at.multiselect(key="clusters_features").options
    text = captions(at)
    assert "platform mix (needs an events table" in text
    assert "share of returns (needs returns" in text


def test_webshop_offers_the_platform_mix_and_explains_the_missing_reviews():
    at = page("webshop")
    options = at.multiselect(key="clusters_features").options
    events = formats.assemble_demo("webshop").dataset.tables["events"]
    for platform in events["platform"].drop_nulls().unique():
        assert f"Share of {platform.replace('_', ' ')} events" in options
    assert "average review (needs orders.review_score" in captions(at)


def test_moving_k_redraws_the_profiles_with_that_many_clusters():
    at = page("webshop")
    at.slider(key="clusters_k").set_value(6).run()
    assert not at.exception
    assert metric(at, "Clusters").value == "6"
    assert len(table_with(at, "revenue_per_customer")) == 6
    assert len(table_with(at, "roi")) == 6


def test_roi_uses_the_margin_and_cost_the_user_enters():
    at = page("retail")
    at.number_input(key="clusters_margin").set_value(50.0)
    at.number_input(key="clusters_cost").set_value(20.0).run()
    roi = table_with(at, "roi")
    assert roi["profit_per_customer"].tolist() == pytest.approx(
        (roi["revenue_per_customer"] * 0.5 - 20.0).tolist()
    )
    assert roi["roi"].tolist() == pytest.approx((roi["profit_per_customer"] / 20.0).tolist())
    assert roi["profit_per_customer"].is_monotonic_decreasing


def test_rfm_view_asks_for_the_rfm_page_until_segments_are_published():
    at = page("retail")
    at.segmented_control(key="clusters_view").set_value("RFM segments").run()
    assert "open the RFM page to compare" in " ".join(i.value for i in at.info)


def test_rfm_view_crosses_clusters_with_published_segments():
    at = apptest.app("retail")
    lines = buyers("retail")
    ids = lines["customer_id"].unique().sort()
    segments = pl.DataFrame(
        {"customer_id": ids, "segment": ["Champions" if i % 2 else "Lost" for i in range(len(ids))]}
    )
    key = formats.assemble_demo("retail").dataset.key
    at.session_state["app_shared"] = {(key, "rfm_segments"): segments}
    at.run()
    at.switch_page(PAGE).run()
    at.segmented_control(key="clusters_view").set_value("RFM segments").run()
    assert not at.exception
    assert not at.info
    assert any("RFM “" in c.value for c in at.caption)


def test_page_explains_what_is_missing_with_no_data():
    at = page("files")
    messages = " ".join(i.value for i in at.info)
    assert "needs a lines table with customer_id" in messages
