"""The RFM page as a user drives it, through streamlit_app.py with AppTest."""

import json
import re
from datetime import date, datetime, time, timedelta

import pandas as pd
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from lib import demo, fmt, formats, io, measures, report
from lib.analyses import movement, rfm
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
    # How ids become people, said only for the formats that resolve them.
    resolved = {
        "marketplace": "One row per person (Olist's per-order customer ids resolved to the "
        "person).",
        "webshop": "One row per person (merged accounts resolved to one person).",
        "retail": "One row per person. Frequency",
    }[kind]
    assert resolved in texts(at)


def test_every_line_counted_says_so_in_its_definitions_and_help():
    """'Purchases only' off: the definitions and the revenue help describe every line counted,
    not the cleaning they described before."""
    at = page("retail")
    at.toggle(key="rfm_clean").set_value(False).run()
    assert not at.exception
    said = texts(at)
    assert measures.DEFINITIONS["order"] in said
    assert measures.DEFINITIONS["purchase"] not in said
    assert "returns subtracted where they happen" in metric(at, "Customers' net revenue").help


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
    caption = next(c.value for c in at.caption if c.value.startswith("One row per person"))
    assert f"{missing.height:,} of {lines.height:,} lines have no customer id" in caption
    # Their revenue is given once, in the unit of the monetary note that adds it up.
    assert caption.count("without a customer id") == 1
    assert caption.count("of revenue") == 0
    amount = re.search(r"less £([\d,.]+)k without a customer id", caption)
    assert amount is not None, caption
    assert float(amount[1].replace(",", "")) == pytest.approx(
        missing["revenue"].sum() / 1000, abs=0.05
    )


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
    assert "The fullest cell is R" in texts(at) or "The fullest cells are R" in texts(at)


def test_the_page_explains_what_is_missing_without_order_lines():
    at = page("files")
    assert "needs a lines table with a customer id, which this data set does not have" in texts(at)
    assert not at.metric


# --- Movement: segments at an earlier date against the as-of date ------------------------------


def movement_table(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "from_segment" in d.value.columns)


def movement_view(at: AppTest) -> AppTest:
    at.segmented_control(key="rfm_view").set_value("Movement").run()
    assert not at.exception, at.exception
    return at


def purchases(lines: pl.DataFrame, kind: str) -> pl.DataFrame:
    """The purchase lines, as the page's first test counts customers from them."""
    if kind == "retail":
        kept = lines.filter(
            pl.col("customer_id").is_not_null() & ~pl.col("order_id").str.starts_with("C")
        )
        return kept.filter((pl.col("quantity") > 0) & (pl.col("unit_price") > 0))
    positive = [pl.col(c) > 0 for c in ("quantity", "unit_price") if c in lines.columns]
    return lines.filter(pl.col("customer_id").is_not_null() & ~pl.col("is_return"), *positive)


def expected_moves(kind: str, first: date, second: date) -> dict[str, int]:
    """Customers followed (a purchase before the as-of date), new (none before the earlier
    date) and gone (one before the earlier date, none between the dates), from the lines."""
    bought = purchases(demo_lines(kind)[0], kind)
    at = pl.col("ordered_at")
    start, end = datetime.combine(first, time.min), datetime.combine(second, time.min)
    now = set(bought.filter(at < end)["customer_id"])
    then = set(bought.filter(at < start)["customer_id"])
    window = set(bought.filter((at >= start) & (at < end))["customer_id"])
    return {"customers": len(now), "new": len(now - then), "gone": len(then - window)}


def shown_moves(table: pd.DataFrame) -> dict[str, int]:
    return {
        "customers": int(table["customers"].sum()),
        "new": int(table.loc[table["from_segment"] == "new", "customers"].sum()),
        "gone": int(table.loc[table["to_segment"] == "gone", "customers"].sum()),
    }


@pytest.mark.parametrize("kind", demo.KINDS)
def test_movement_follows_every_customer_from_a_quarter_before_the_as_of_date(kind):
    at = movement_view(page(kind))
    lines, _ = demo_lines(kind)
    as_of = lines["ordered_at"].max().date() + timedelta(days=1)
    first = at.date_input(key="rfm_move_from").value
    assert at.date_input(key="rfm_as_of").value == as_of
    assert first == movement.segment_movement(lines).first
    assert (as_of - first).days in range(89, 93)
    table = movement_table(at)
    assert shown_moves(table) == expected_moves(kind, first, as_of)
    # The Segments view counts the same customers at the as-of date.
    assert f"{table['customers'].sum():,}" == metric(at, "Customers").value
    assert len(at.get("vega_lite_chart")) == 1
    reading = next(c.value for c in at.caption if c.value.startswith(":material/lightbulb:"))
    assert f"{expected_moves(kind, first, as_of)['gone']:,} of the" in reading


def bought_once_before(kind: str, day: date) -> float:
    """The share of the customers with a purchase before `day` who made it in one order."""
    bought = purchases(demo_lines(kind)[0], kind).filter(
        pl.col("ordered_at") < datetime.combine(day, time.min)
    )
    orders = bought.group_by("customer_id").agg(pl.col("order_id").n_unique())["order_id"]
    return float((orders == 1).mean())


def test_the_gone_customers_action_counts_them():
    """'gone' is no segment at the as-of date: its action read 'Only 0 customers: look at them one
    by one' over the 835 gone customers of the retail demo then.

    From 10 Nov 2023: at the default earlier date (10 Sep) 52.5% of the retail demo's customers
    had bought once, so F could not separate them and the page rightly suggested no action at
    all; from 10 Nov under half had (47.5%), and 990 of the customers who had bought before it
    placed no order between the dates."""
    at = movement_view(page("retail"))
    first = date(2023, 11, 10)
    at.date_input(key="rfm_move_from").set_value(first).run()
    assert not at.exception, at.exception
    lines, _ = demo_lines("retail")
    as_of = lines["ordered_at"].max().date() + timedelta(days=1)
    assert at.date_input(key="rfm_as_of").value == as_of
    # Actions are given: under half of the customers bought once at either date.
    assert max(bought_once_before("retail", first), bought_once_before("retail", as_of)) < 0.49
    gone = expected_moves("retail", first, as_of)["gone"]
    assert gone >= 20
    said = " ".join(m.value for m in at.markdown)
    assert "**gone**:" in said and "Only 0 customers" not in said
    line = next(x for x in said.split("\n") if x.startswith("- **gone**:"))
    assert "Only" not in line  # hundreds of customers: a campaign, no caution


def test_changing_the_earlier_date_changes_the_movements():
    at = movement_view(page("retail"))
    before = movement_table(at)
    as_of = at.date_input(key="rfm_as_of").value
    at.date_input(key="rfm_move_from").set_value(date(2023, 6, 10)).run()
    assert not at.exception, at.exception
    after = movement_table(at)
    assert not after.equals(before)
    assert shown_moves(after) == expected_moves("retail", date(2023, 6, 10), as_of)
    assert shown_moves(after)["gone"] != shown_moves(before)["gone"]
    headers = json.loads(at.dataframe[-1].proto.columns)
    assert headers["from_segment"]["label"] == "At 10 Jun 2023"


def test_the_earlier_date_follows_the_as_of_date_a_quarter_before_it():
    """Moved, the as-of date left 'Compare with' where it was (10 Sep for a 15 Oct as-of: a
    35-day window calling most customers gone); it opens a quarter before each as-of date, as
    a new session at that date does."""
    at = movement_view(page("retail"))
    at.date_input(key="rfm_as_of").set_value(date(2023, 10, 15)).run()
    assert at.date_input(key="rfm_move_from").value == date(2023, 7, 15)
    at.date_input(key="rfm_as_of").set_value(date(2023, 5, 31)).run()
    assert at.date_input(key="rfm_move_from").value == date(2023, 2, 28)
    assert not at.exception, at.exception


def test_the_retail_demos_planted_lapse_shows_as_champions_and_loyal_customers_gone():
    """LAPSE_CUSTOMERS frequent, recent customers stop buying at LAPSE_FROM (lib/demo/retail.py): on
    the page, exactly that many more customers move from champions and loyal customers to gone
    than on the same demo without the pattern; every other movement into gone stays as it was."""
    planted, plain = demo.demo("retail"), demo.demo("retail", patterns=False)
    lapsed = int(planted.truth["lapsed_customers"])
    # Independently: the customers whose later invoices the pattern took the CustomerID off.
    name = "online_retail.csv"
    stopped = plain.files[name].filter(
        planted.files[name]["CustomerID"].is_null() & plain.files[name]["CustomerID"].is_not_null()
    )
    assert stopped["CustomerID"].n_unique() == lapsed == 40
    at = movement_view(page("retail"))
    assert at.date_input(key="rfm_move_from").value == date(*demo.LAPSE_FROM)
    with_plant = movement_table(at)
    other = apptest.app("files")
    other.session_state["app_files_assembly"] = formats.assemble(
        [io.RawTable(n, n, f) for n, f in plain.files.items()], name="Plain retail", key="plain"
    )
    other.run()
    other.switch_page(PAGE).run()
    without = movement_table(movement_view(other))

    def gone(table: pd.DataFrame) -> dict[str, int]:
        rows = table[table["to_segment"] == "gone"]
        return dict(zip(rows["from_segment"], rows["customers"], strict=True))

    top = ("champions", "loyal customers")
    planted_gone, plain_gone = gone(with_plant), gone(without)
    assert sum(planted_gone[s] for s in top) - sum(plain_gone[s] for s in top) == lapsed
    assert {s: n for s, n in planted_gone.items() if s not in top} == {
        s: n for s, n in plain_gone.items() if s not in top
    }
    # The reading names the champions who placed no order, as the table counts them.
    reading = next(c.value for c in at.caption if c.value.startswith(":material/lightbulb:"))
    champions = with_plant[with_plant["from_segment"] == "champions"]["customers"].sum()
    assert f"{planted_gone['champions']:,} of {champions:,} champions placed no order" in reading
    # The customers of that movement are one pick away, for the CSV.
    at.selectbox(key="rfm_move_pick").set_value("champions → gone").run()
    assert (
        f"{planted_gone['champions']:,} customers were champions and bought nothing between the "
        "dates."
    ) in texts(at)


def test_the_movement_uses_the_rules_in_effect_and_the_measure_toggle():
    at = apptest.app("retail")
    at.run()
    at.switch_page(PAGE).run()
    at.session_state["rfm_rules"] = {
        "edited_rows": {9: {"segment": "stars"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    movement_view(at)
    table = movement_table(at)
    assert "stars" in set(table["to_segment"]) and "champions" not in set(table["to_segment"])
    drawn = at.get("vega_lite_chart")[0].proto.SerializeToString()
    at.segmented_control(key="rfm_move_measure").set_value("revenue").run()
    assert not at.exception, at.exception
    assert at.get("vega_lite_chart")[0].proto.SerializeToString() != drawn
    assert movement_table(at).equals(table)


def test_a_comparison_date_not_before_the_as_of_date_is_explained_not_raised():
    at = movement_view(page("retail"))
    as_of = at.date_input(key="rfm_as_of").value
    at.date_input(key="rfm_move_from").set_value(as_of + timedelta(days=5)).run()
    assert not at.exception, at.exception
    assert "Choose a comparison date before the as-of date (10 Dec 2023)" in texts(at)
    assert not [d for d in at.dataframe if "from_segment" in d.value.columns]
    # Both dates after the data: nothing happened between them, and the page says so.
    at.date_input(key="rfm_as_of").set_value(date(2024, 6, 1))
    at.date_input(key="rfm_move_from").set_value(date(2024, 3, 1)).run()
    assert not at.exception, at.exception
    assert "No orders from 1 Mar 2024 on" in texts(at)


def test_lines_without_any_purchase_say_so_instead_of_asking_to_move_the_date():
    """Every line a return (negative quantity): the as-of date is already after every order, so
    moving it cannot help."""
    lines = pl.DataFrame(
        {
            "InvoiceNo": [str(536365 + i) for i in range(6)],
            "StockCode": ["21001"] * 6,
            "Description": ["MUG"] * 6,
            "Quantity": [-1 - i % 3 for i in range(6)],
            "InvoiceDate": [f"2023-0{1 + i % 4}-05 10:00:00" for i in range(6)],
            "UnitPrice": [2.5] * 6,
            "CustomerID": [float(17850 + i % 3) for i in range(6)],
            "Country": ["France"] * 6,
        }
    )
    at = apptest.files_page({"Online Retail.csv": lines}, "rfm", "returns")
    assert [i.value for i in at.info] == [
        "No customer has a purchase in this data (only returns, free lines or lines without a "
        "customer id), so there is no one to score."
    ]


def test_four_customers_are_told_they_cannot_fill_five_scores_not_that_they_share_values():
    """Audit (i_four_repeat): 4 customers on distinct recencies and spends were warned 'many
    customers share the same recency value. Score its ties in row order', which changes
    nothing. By hand: orders of 2, 3, 2 and 5 on distinct days, last 1, 83, 165 and 193 days
    before the day after the last order; 4 ranks in 5 bins take scores 1, 2, 4 and 5."""
    last = date(2023, 6, 30)
    gaps = {"19001": (165, 2), "19002": (193, 3), "19003": (83, 2), "19004": (1, 5)}
    rows = [
        (customer, last + timedelta(days=1 - recency - 7 * k), 1 + n + k)
        for n, (customer, (recency, orders)) in enumerate(gaps.items())
        for k in range(orders)
    ]
    lines = pl.DataFrame(
        {
            "InvoiceNo": [str(536365 + i) for i in range(len(rows))],
            "StockCode": ["21001"] * len(rows),
            "Description": ["MUG"] * len(rows),
            "Quantity": [q for _, _, q in rows],
            "InvoiceDate": [f"{d.isoformat()} 10:00:00" for _, d, _ in rows],
            "UnitPrice": [2.5] * len(rows),
            "CustomerID": [float(c) for c, _, _ in rows],
            "Country": ["France"] * len(rows),
        }
    )
    at = apptest.files_page({"Online Retail.csv": lines}, "rfm", "four")
    assert metric(at, "Customers").value == "4"
    warned = [w.value for w in at.warning]
    assert not any("share the same" in w for w in warned), warned
    said = (
        "Recency, frequency and monetary take only 4 distinct scores of 5 (1, 2, 4, 5) each: 4 "
        "customers cannot fill 5 scores, whatever their values or the tie rule. Set Scores to 4 "
        "or fewer, or look at them one by one."
    )
    assert said in warned
    # The report says it too (it carried only the 'cannot separate' warnings).
    tables = io.read_file("Online Retail.csv", io.csv_bytes(lines))
    (section,) = report.report_sections(formats.assemble(tables).dataset, ["rfm"], {})
    assert [b.reading for b in section.blocks if b.title == "Fewer scores than bins"] == [said]


def _deleted_buyers() -> tuple[int, int]:
    """The web shop demo's buyers (people: an account merged into another is its parent's) and
    how many of them have a deleted account, from the raw users.csv and orders.csv."""
    files = demo.demo("webshop").files
    users = files["users.csv"].with_columns(
        pl.col("parent_user_id", "deleted_at").replace("NULL", None)
    )
    parent = dict(zip(users["id"], users["parent_user_id"], strict=True))

    def person(account: str) -> str:
        while parent.get(account) is not None:
            account = parent[account]
        return account

    deleted = set(users.filter(pl.col("deleted_at").is_not_null())["id"])
    buyers = {person(a) for a in files["orders.csv"]["user_id"]}
    return len(buyers), len(buyers & deleted)


def test_customer_lists_say_how_many_accounts_are_deleted():
    """243 of the web shop demo's 9,554 buyers have a deleted account: the RFM list, Lifetime
    value's download and the clusters' export say so, as a campaign cannot reach them."""
    buyers, deleted = _deleted_buyers()
    assert (buyers, deleted) == (9554, 243)
    said = f"{deleted:,} of the {buyers:,} customers"
    at = page("webshop")
    at.segmented_control(key="rfm_view").set_value("Customers").run()
    assert f"{said} listed have deleted accounts" in texts(at)
    at = apptest.page("webshop", "pages/clv.py")
    assert f"{said} in the download have deleted accounts" in texts(at)
    at = apptest.page("webshop", "pages/clusters.py")
    assert f"{said} in the export have deleted accounts" in texts(at)
    retail = page("retail")  # Online Retail's format has no deletions
    retail.segmented_control(key="rfm_view").set_value("Customers").run()
    assert "customers listed" in texts(retail) and "deleted account" not in texts(retail)


def test_threshold_sliders_open_on_the_quantile_cut_offs_to_the_cent():
    """Money sliders opened on whole pounds (242 for an edge of 242.96) and scored customers in
    between a score higher than the quantile mode: they open on the cut-offs themselves."""
    at = page("retail")
    at.segmented_control(key="rfm_mode").set_value("thresholds").run()
    lines, _ = demo_lines("retail")
    customers = rfm.customer_table(lines, clean=True).customers
    cuts = rfm.default_cuts(customers, 5)["monetary"]
    shown = [at.slider(key=f"rfm_monetary_5_{k}").value for k in range(1, 5)]
    assert shown == pytest.approx(cuts, abs=1e-9)
    assert any(c != int(c) for c in cuts)  # cents to keep
    # And keep them: the next rerun rounded them to whole pounds (a customer at 220.05 went
    # from M1 to M2 with no control touched).
    at.run()
    kept = [at.slider(key=f"rfm_monetary_5_{k}").value for k in range(1, 5)]
    assert kept == pytest.approx(cuts, abs=1e-9)


def test_the_profiles_of_a_segment_of_few_customers_caution_its_action():
    """The segments of a retail demo of 20,000 lines (424 customers) counted by hand from the
    published customers table: those of fewer than 20 customers get their action with a caution,
    the others the action alone. The default demo's smallest segment has 35 customers."""
    raw = demo.demo("retail", rows=20_000, seed=0).files["online_retail.csv"]
    at = apptest.files_page({"online_retail.csv": raw}, "rfm", "retail_20k")
    views = at.segmented_control(key="rfm_view")
    views.set_value(views.options[2]).run()
    assert not at.exception, at.exception
    lines = raw.select(
        pl.col("InvoiceNo").alias("order_id"),
        pl.col("CustomerID").alias("customer_id"),
        pl.col("InvoiceDate").str.to_datetime("%m/%d/%Y %H:%M").alias("ordered_at"),
        pl.col("Quantity").cast(pl.Float64).alias("quantity"),
        pl.col("UnitPrice").cast(pl.Float64).alias("unit_price"),
        "StockCode",
    )
    per = published_customers(lines)
    # Under half bought once (43.6%): F separates customers, so the page gives actions.
    assert (per["frequency"] == 1).mean() < 0.48
    sizes = published_counts(per.to_pandas())
    said = [c.value for c in at.caption if c.value.startswith(":material/campaign:")]
    few = sorted(n for n in sizes.values() if n < rfm.FEW_CUSTOMERS)
    assert few and len(few) < len(sizes), sizes  # segments of both kinds
    assert len(said) == len(sizes)  # every segment's action
    cautioned = [re.search(r"Only (\d+) customers?\\?:", s) for s in said]  # ':' escaped
    assert sorted(int(m[1]) for m in cautioned if m) == few


def test_lines_without_a_customer_are_counted_of_the_lines_before_the_as_of_date():
    """At an earlier as-of date the table reads only the lines before it: the caption counts
    those without a customer among them, not among every line (it read 36,210 of 541,909)."""
    at = page("retail")
    lines, _ = demo_lines("retail")
    day = date(2023, 6, 1)
    at.date_input(key="rfm_as_of").set_value(day).run()
    cut = lines.filter(pl.col("ordered_at") < datetime(2023, 6, 1))
    missing = cut["customer_id"].null_count()
    said = " ".join(c.value for c in at.caption)
    assert f"{missing:,} of {cut.height:,} lines before 1 Jun 2023" in said


def test_an_as_of_date_past_the_data_is_said_to_rank_customers_of_this_data():
    """Audit: as of ten years after the last order the page read "champions ... protect them
    first" of customers whose last order was 3,661 days before, without a word. The retail
    demo's last order is on 9 Dec 2023 (test_app_regions checks its dates): as of 10 Dec 2023
    (the default) nothing is said; as of 10 Jan 2024, 31 days past it."""
    at = page("retail")
    assert at.date_input(key="rfm_as_of").value == date(2023, 12, 10)
    assert not [w for w in at.warning if "past the day after" in w.value]
    at.date_input(key="rfm_as_of").set_value(date(2024, 1, 10)).run()
    (said,) = [w.value for w in at.warning if "past the day after" in w.value]
    assert said.startswith(
        "The as-of date is 31 days past the day after the last order in the data (9 Dec 2023)"
    )
    assert said.endswith("not customers active on 10 Jan 2024.")
