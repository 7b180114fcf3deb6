"""The Delivery page as a user drives it, through streamlit_app.py with AppTest."""

import polars as pl
import pytest

from lib import demo
from tests.apptest import metric, page
from tests.test_delivery import delivered_raw_orders, olist_paths

PATH = "pages/delivery.py"


@pytest.fixture(scope="module")
def delivered() -> pl.DataFrame:
    """The marketplace demo's delivered orders, straight from its orders file."""
    orders = demo.demo("marketplace").files["olist_orders_dataset.csv"]
    stamp = "%Y-%m-%d %H:%M:%S"
    return orders.with_columns(
        pl.col("order_delivered_customer_date").str.strptime(pl.Datetime, stamp),
        pl.col("order_estimated_delivery_date").str.strptime(pl.Datetime, stamp),
    ).filter(
        (pl.col("order_status") == "delivered")
        & pl.col("order_delivered_customer_date").is_not_null()
    )


@pytest.fixture(scope="module")
def marketplace_page():
    return page("marketplace", PATH)


def test_marketplace_page_shows_the_on_time_rate_of_the_demo_files(marketplace_page, delivered):
    at = marketplace_page
    late = (
        delivered["order_delivered_customer_date"] > delivered["order_estimated_delivery_date"]
    ).mean()
    assert metric(at, "On-time rate").value == f"{1 - late:.1%}"
    assert metric(at, "Delivered orders").value == f"{delivered.height:,}"
    planted = demo.demo("marketplace").planted
    impossible = planted["delivered_before_purchase"] + planted["delivered_before_pickup"]
    assert metric(at, "Impossible dates").value == f"{impossible:,}"


def test_marketplace_page_reads_every_view_and_offers_downloads(marketplace_page):
    at = marketplace_page
    readings = [c.value for c in at.caption if "lightbulb" in c.value]
    assert len(readings) >= 5
    assert any("Most time is lost in" in r for r in readings)
    assert any("of late orders get 1-2 stars" in r for r in readings)
    assert len(at.get("download_button")) >= 4


def test_raising_the_seller_minimum_shortens_the_worst_sellers_table(marketplace_page):
    at = marketplace_page
    at.segmented_control(key="delivery_view").set_value("Seller").run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "excess_late" in d.value.columns)
    assert table["orders"].min() >= 20
    at.number_input(key="delivery_min_orders").set_value(100).run()
    fewer = next(d.value for d in at.dataframe if "excess_late" in d.value.columns)
    assert fewer["orders"].min() >= 100
    assert len(fewer) < len(table)


def test_seller_states_replace_customer_states_in_the_region_table(marketplace_page):
    at = marketplace_page
    at.segmented_control(key="delivery_side").set_value("seller_region").run()
    assert not at.exception
    assert any("seller_region" in d.value.columns for d in at.dataframe)


@pytest.mark.parametrize("kind", ["webshop", "retail"])
def test_the_page_explains_what_is_missing(kind):
    at = page(kind, PATH)
    text = " ".join(i.value for i in at.info)
    assert "Needs delivery dates: a delivery date and an estimated delivery date" in text
    assert not at.metric


def test_the_page_runs_on_uploaded_real_olist_files_and_shows_their_late_share():
    paths = olist_paths()
    at = page("files", "pages/data.py")
    for path in paths.values():
        at.file_uploader[0].upload(path.name, path.read_bytes(), "application/gzip").run()
    assert not at.exception
    at.switch_page(PATH).run()
    assert not at.exception, at.exception

    delivered = delivered_raw_orders(paths["orders"])
    late = delivered["is_late"].mean()
    assert metric(at, "On-time rate").value == f"{1 - late:.1%}"
    assert metric(at, "Delivered orders").value == f"{delivered.height:,}"
