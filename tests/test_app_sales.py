"""The Sales page as a user drives it, through streamlit_app.py with AppTest."""

from datetime import date, datetime, time

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from lib import demo, fmt
from lib.quality import NON_PRODUCT_CODES
from tests import apptest
from tests.apptest import demo_lines, metric, texts

PAGE = "pages/sales.py"


def page(source: str) -> AppTest:
    return apptest.page(source, PAGE)


@pytest.mark.parametrize("kind", demo.KINDS)
def test_revenue_and_orders_metrics_equal_the_sums_of_the_whole_demo(kind):
    at = page(kind)
    lines, currency = demo_lines(kind)
    assert metric(at, "Net revenue").value == fmt.money(lines["revenue"].sum(), currency)
    sale_orders = lines.filter(~pl.col("is_return") & (pl.col("revenue") >= 0))
    assert metric(at, "Orders").value == fmt.count(sale_orders["order_id"].n_unique())
    assert "returns and cancellations subtract" in texts(at)


@pytest.mark.parametrize("kind", demo.KINDS)
def test_top_items_table_leads_with_the_item_of_most_net_units(kind):
    at = page(kind)
    lines, _ = demo_lines(kind)
    units = (
        lines.filter(~pl.col("item_id").str.to_uppercase().is_in(list(NON_PRODUCT_CODES)))
        .group_by("item_id")
        .agg(pl.col("quantity").sum())
        .sort(["quantity", "item_id"], descending=[True, False])
    )
    table = at.dataframe[0].value
    assert len(table) == 10
    assert table["item_id"].tolist() == units["item_id"].head(10).to_list()
    assert table["units"].tolist() == units["quantity"].head(10).to_list()
    at.slider(key="sales_topn").set_value(25).run()
    assert len(at.dataframe[0].value) == 25


def test_changing_the_dates_recomputes_revenue_and_compares_with_the_previous_period():
    at = page("retail")
    lines, currency = demo_lines("retail")
    start, end = date(2023, 6, 1), date(2023, 6, 30)
    at.date_input(key="sales_dates").set_value((start, end)).run()
    assert not at.exception, at.exception

    def net(a: date, b: date) -> float:
        inside = pl.col("ordered_at").is_between(
            datetime.combine(a, time.min), datetime.combine(b, time.max)
        )
        return lines.filter(inside)["revenue"].sum()

    now, before = net(start, end), net(date(2023, 5, 2), date(2023, 5, 31))
    shown = metric(at, "Net revenue")
    assert shown.value == fmt.money(now, currency)
    assert shown.delta == fmt.change(now / before - 1, 1)


@pytest.mark.parametrize("kind", demo.KINDS)
def test_every_purchase_pattern_view_renders_with_a_reading(kind):
    at = page(kind)
    for view in ("Weekday × hour", "Basket size", "Repeat buying", "New vs returning"):
        at.segmented_control(key="sales_pattern").set_value(view).run()
        assert not at.exception, (view, at.exception)
        readings = [c.value for c in at.caption if c.value.startswith(":material/lightbulb:")]
        assert len(readings) == 3, view  # revenue, top items, the pattern view


def test_customer_views_say_how_many_lines_have_no_customer():
    at = page("retail")
    lines, _ = demo_lines("retail")
    missing = lines["customer_id"].null_count()
    assert missing > 0
    at.segmented_control(key="sales_pattern").set_value("Repeat buying").run()
    assert f"{missing:,} of {lines.height:,} lines" in texts(at)
    repeat = metric(at, "Repeat rate").value
    orders = lines.filter(~pl.col("is_return") & pl.col("customer_id").is_not_null())
    per = orders.group_by("customer_id").agg(pl.col("order_id").n_unique().alias("n"))
    assert repeat == fmt.pct((per["n"] >= 2).sum() / per.height)


def test_region_filter_appears_only_where_the_data_has_regions():
    assert [m.label for m in page("webshop").multiselect] == ["Categories"]
    assert [m.label for m in page("retail").multiselect] == ["Regions"]
    at = page("marketplace")
    assert [m.label for m in at.multiselect] == ["Categories", "Regions"]
    lines, currency = demo_lines("marketplace")
    at.multiselect(key="sales_regions").set_value(["SP"]).run()
    assert not at.exception
    expected = lines.filter(pl.col("region") == "SP")["revenue"].sum()
    assert metric(at, "Net revenue").value == fmt.money(expected, currency)


def test_the_page_explains_what_is_missing_without_order_lines():
    at = page("files")
    assert "needs a lines table" in texts(at)
    assert not at.metric
