"""The RFM page as a user drives it, through streamlit_app.py with AppTest."""

from datetime import timedelta

import pandas as pd
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from lib import demo, fmt
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
    if kind == "retail":  # cancellations: the published cleaning is on by default
        expected = published_customers(lines).height
    else:
        sales = lines.filter(pl.col("customer_id").is_not_null() & ~pl.col("is_return"))
        expected = sales["customer_id"].n_unique()
    assert metric(at, "Customers").value == fmt.count(expected)
    table = summary_table(at)
    assert table["customers"].sum() == expected
    assert "returns subtracted" in texts(at)


def test_retail_segments_match_the_published_recipe_and_the_left_out_lines_are_counted():
    at = page("retail")
    lines, currency = demo_lines("retail")
    per = published_customers(lines).to_pandas()
    r = pd.qcut(per["recency"].rank(method="first"), 5, labels=[5, 4, 3, 2, 1]).astype(str)
    f = pd.qcut(per["frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(str)
    expected = (r + f).replace(PUBLISHED_MAP, regex=True).value_counts().to_dict()
    shown = summary_table(at).set_index("segment")["customers"].to_dict()
    assert shown == expected
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


def test_shared_ties_warn_when_frequency_collapses_on_the_marketplace():
    at = page("marketplace")
    assert not at.warning
    at.segmented_control(key="rfm_ties").set_value("shared").run()
    warnings = " ".join(w.value for w in at.warning)
    assert "Frequency takes only 2 distinct scores of 5" in warnings


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
