"""The RFM page as a user drives it, through streamlit_app.py with AppTest."""

import re
from datetime import timedelta

import pandas as pd
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from lib import demo, fmt, measures
from lib.analyses import rfm
from tests import apptest
from tests.apptest import demo_lines, metric, texts
from tests.test_rfm import PUBLISHED_MAP

PAGE = "pages/rfm.py"


def page(source: str) -> AppTest:
    return apptest.page(source, PAGE)


def summary_table(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "customer_share" in d.value.columns)


def published_customers(lines: pl.DataFrame) -> pl.DataFrame:
    """Customers as the published recipe counts them: cleaned lines, one row per customer with
    recency in days before the day after the last order, distinct invoices, in id order."""
    kept = (
        lines.filter(pl.col("customer_id").is_not_null() & ~pl.col("order_id").str.starts_with("C"))
        .unique(maintain_order=True)
        .filter((pl.col("quantity") > 0) & (pl.col("unit_price") > 0))
    )
    as_of = kept["ordered_at"].max().date() + timedelta(days=1)
    return (
        kept.group_by("customer_id")
        .agg(
            pl.col("ordered_at").max().dt.date().alias("last"),
            pl.col("order_id").n_unique().alias("frequency"),
        )
        .with_columns((pl.lit(as_of) - pl.col("last")).dt.total_days().alias("recency"))
        .sort(pl.col("customer_id").cast(pl.Int64))
    )


@pytest.mark.parametrize("kind", demo.KINDS)
def test_customers_metric_counts_the_people_with_a_sale_order(kind):
    at = page(kind)
    lines, currency = demo_lines(kind)
    if kind == "retail":  # the published cleaning (purchases only) is on by default
        expected = published_customers(lines).height
    else:  # a purchase: a sale line with a positive quantity and price where the data has them
        positive = [pl.col(c) > 0 for c in ("quantity", "unit_price") if c in lines.columns]
        sales = lines.filter(pl.col("customer_id").is_not_null() & ~pl.col("is_return"), *positive)
        expected = sales["customer_id"].n_unique()
    assert metric(at, "Customers").value == fmt.count(expected)
    table = summary_table(at)
    assert table["customers"].sum() == expected
    assert measures.DEFINITIONS["purchase"] in texts(at)


def published_counts(per: pd.DataFrame, recency_by_order: bool = False) -> dict[str, int]:
    """Customers per segment by the published recipe: R by qcut on the recency values (or on
    their row-order ranks), F by qcut on frequency.rank(method="first")."""
    recency = per["recency"].rank(method="first") if recency_by_order else per["recency"]
    r = pd.qcut(recency, 5, labels=[5, 4, 3, 2, 1]).astype(str)
    f = pd.qcut(per["frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(str)
    return (r + f).replace(PUBLISHED_MAP, regex=True).value_counts().to_dict()


def test_retail_segments_match_the_published_recipe_and_the_left_out_lines_are_counted():
    at = page("retail")
    lines, currency = demo_lines("retail")
    per = published_customers(lines).to_pandas()
    shown = summary_table(at).set_index("segment")["customers"].to_dict()
    assert shown == published_counts(per)
    missing = lines.filter(pl.col("customer_id").is_null())
    assert (
        f"{missing.height:,} of {lines.height:,} lines "
        f"({fmt.money(missing['revenue'].sum(), currency)} of revenue) have no customer id"
    ) in texts(at)


def test_every_view_renders_and_the_segments_are_shared_with_other_pages():
    at = page("webshop")
    for view in ("R × F grid", "Profiles", "Customers"):
        at.segmented_control(key="rfm_view").set_value(view).run()
        assert not at.exception, (view, at.exception)
        assert any(c.value.startswith(":material/lightbulb:") for c in at.caption), view
    listed = at.dataframe[-1].value
    at.multiselect(key="rfm_segment_filter").set_value(["champions"]).run()
    champions = at.dataframe[-1].value
    assert set(champions["segment"]) == {"champions"}
    assert len(champions) == (listed["segment"] == "champions").sum()
    shared = next(v for k, v in at.session_state["app_shared"].items() if k[1] == "rfm_segments")
    assert shared.columns == ["customer_id", "segment"]
    assert shared.height == len(listed)


def test_editing_the_rule_table_regroups_the_customers():
    at = apptest.app("webshop")
    at.run()
    at.switch_page(PAGE).run()
    before = summary_table(at).set_index("segment")["customers"]
    # Rename the first rule (hibernating) and delete champions (the last rule).
    at.session_state["rfm_rules"] = {
        "edited_rows": {0: {"segment": "sleepers"}},
        "added_rows": [],
        "deleted_rows": [9],
    }
    at.run()
    assert not at.exception, at.exception
    after = summary_table(at).set_index("segment")["customers"]
    assert "hibernating" not in after and after["sleepers"] == before["hibernating"]
    assert "champions" not in after and after["other"] == before["champions"]


def test_thresholds_mode_rescores_when_a_slider_moves():
    at = page("retail")
    at.segmented_control(key="rfm_mode").set_value("thresholds").run()
    assert not at.exception, at.exception
    before = summary_table(at).set_index("segment")["customers"].to_dict()
    customers = published_customers(demo_lines("retail")[0])
    # Champions are R5 and F4-5: raise the F4 and F5 cut-offs to the slider's top.
    top = int(at.slider(key="rfm_frequency_5_4").max)
    at.slider(key="rfm_frequency_5_3").set_value(top).run()
    at.slider(key="rfm_frequency_5_4").set_value(top).run()
    after = summary_table(at).set_index("segment")["customers"].to_dict()
    assert after != before
    assert sum(after.values()) == customers.height
    within = at.slider(key="rfm_recency_5_1").value  # R5: last order within this many days
    champions = customers.filter((pl.col("recency") <= within) & (pl.col("frequency") >= top))
    assert after.get("champions", 0) == champions.height


def test_each_dimension_has_its_own_tie_control_defaulting_to_the_published_recipe():
    at = page("retail")
    controls = {d: at.segmented_control(key=f"rfm_ties_{d}").value for d in rfm.DIMENSIONS}
    assert controls == {"recency": "value", "frequency": "first", "monetary": "value"}
    at.segmented_control(key="rfm_ties_recency").set_value("first").run()
    per = published_customers(demo_lines("retail")[0]).to_pandas()
    shown = summary_table(at).set_index("segment")["customers"].to_dict()
    assert shown == published_counts(per, recency_by_order=True)
    assert shown != published_counts(per)


def one_time_share(kind: str) -> float:
    """Share of a demo's customers with exactly one sale order (no cleaning: no cancellations)."""
    lines, _ = demo_lines(kind)
    sales = lines.filter(pl.col("customer_id").is_not_null() & ~pl.col("is_return"))
    orders = sales.group_by("customer_id").agg(pl.col("order_id").n_unique().alias("n"))
    return (orders["n"] == 1).mean()


def test_the_marketplace_warns_that_frequency_cannot_separate_customers_and_recommends_nothing():
    at = page("marketplace")
    share = fmt.pct(one_time_share("marketplace"))
    assert share == "95.7%"
    warnings = " ".join(w.value for w in at.warning)
    assert f"F cannot separate customers: {share} bought once" in warnings
    assert "arbitrary (row order, not behaviour)" in warnings
    reading = next(c.value for c in at.caption if c.value.startswith(":material/lightbulb:"))
    assert share in reading and "no action per segment is suggested" in reading
    assert "R × M" in reading
    assert "protect them first" not in texts(at)
    at.segmented_control(key="rfm_view").set_value("Profiles").run()
    assert not any(c.value.startswith(":material/campaign:") for c in at.caption)
    at.segmented_control(key="rfm_view").set_value("R × F grid").run()
    assert "cells apart in F are not different customers" in texts(at)
    assert "win them back" not in texts(at)
    at.segmented_control(key="rfm_grid_across").set_value("monetary").run()
    assert not at.exception, at.exception
    # Every M5 customer outspends every M4 one, so the richest cell is in the M5 column.
    assert re.search(r"the highest spend per customer is in R\d M5 ", texts(at))
    # Frequency by value: the one-time buyers all score F1.
    at.segmented_control(key="rfm_ties_frequency").set_value("value").run()
    warnings = " ".join(w.value for w in at.warning)
    assert f"{share} bought once, and all score F1" in warnings


def shown_cells(table: pd.DataFrame) -> set[str]:
    """The Segments table's cells as its column formats print them."""
    cells = {f"{n:,}" for n in table["customers"]}
    for column in ("customer_share", "revenue_share"):
        cells |= {f"{v:.1f}%" for v in table[column].dropna()}
    for column in ("avg_monetary", "revenue"):
        cells |= {f"{v:,.0f}" for v in table[column]}
    return cells


def test_every_number_in_the_segments_reading_is_printed_in_the_table_under_it():
    at = page("retail")
    reading = next(c.value for c in at.caption if c.value.startswith(":material/lightbulb:"))
    numbers = re.findall(r"\d[\d,]*(?:\.\d+)?%?", reading)
    assert len(numbers) >= 5, reading  # count and share; revenue share, share, spend each
    table = summary_table(at)
    assert set(numbers) <= shown_cells(table), (numbers, reading)
    assert reading.endswith("protect them first.")  # frequency separates retail customers
    at.segmented_control(key="rfm_view").set_value("Profiles").run()
    actions = {c.value for c in at.caption if c.value.startswith(":material/campaign:")}
    assert f":material/campaign: {fmt.plain(rfm.ACTIONS['champions'])}" in actions
    # The shares are shown in percent: the largest segment's share is its customers / all.
    biggest = table.sort_values("customers").iloc[-1]
    assert biggest["customer_share"] == pytest.approx(
        100 * biggest["customers"] / table["customers"].sum()
    )


def test_bins_change_the_grid_and_the_default_rules():
    at = page("retail")
    at.segmented_control(key="rfm_bins").set_value(3).run()
    assert not at.exception, at.exception
    assert len(at.data_editor[0].value) == 9
    at.segmented_control(key="rfm_view").set_value("R × F grid").run()
    assert not at.exception, at.exception
    assert "Most customers sit in R" in texts(at)


def test_the_page_explains_what_is_missing_without_order_lines():
    at = page("files")
    assert "needs a lines table with customer_id" in texts(at)
    assert not at.metric
