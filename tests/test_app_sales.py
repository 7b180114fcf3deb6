"""The Sales page as a user drives it, through streamlit_app.py with AppTest."""

from dataclasses import replace
from datetime import date, datetime, time, timedelta

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from lib import demo, fmt, formats, measures, state
from lib.quality import NON_PRODUCT_CODES
from tests import apptest
from tests.apptest import demo_lines, metric, texts

PAGE = "pages/sales.py"


def page(source: str) -> AppTest:
    return apptest.page(source, PAGE)


# Lines that move units: all but those at no price that are no return (free lines, stock
# adjustments).
MOVED = ~((pl.col("unit_price") == 0).fill_null(value=False) & ~pl.col("is_return"))


@pytest.mark.parametrize("kind", demo.KINDS)
def test_revenue_and_orders_metrics_equal_the_sums_of_the_whole_demo(kind):
    at = page(kind)
    lines, currency = demo_lines(kind)
    assert metric(at, "Net revenue").value == fmt.money(lines["revenue"].sum(), currency)
    sale_orders = lines.filter(~pl.col("is_return") & (pl.col("revenue") >= 0))
    assert metric(at, "Orders").value == fmt.count(sale_orders["order_id"].n_unique())
    # Units, not lines: net quantity (returns subtract) per sale order, none of a line at no
    # price that is no return (Online Retail: 266, was 259 with its stock adjustments).
    units = lines.filter(MOVED)["quantity"].sum() / sale_orders["order_id"].n_unique()
    assert metric(at, "Units/order").value == f"{units:,.1f}"
    assert "returns and cancellations subtract" in texts(at)


@pytest.mark.parametrize("kind", demo.KINDS)
def test_top_items_table_leads_with_the_item_of_most_net_units(kind):
    at = page(kind)
    lines, _ = demo_lines(kind)
    units = (
        lines.filter(~pl.col("item_id").str.to_uppercase().is_in(list(NON_PRODUCT_CODES)) & MOVED)
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


@pytest.mark.parametrize(("kind", "id_columns"), [("marketplace", []), ("retail", ["item_id"])])
def test_top_items_show_an_id_column_only_where_the_item_names_do_not_carry_the_id(
    kind, id_columns
):
    at = page(kind)
    table = at.dataframe[0]
    names, ids = table.value["item_name"], table.value["item_id"]
    # Marketplace names end in the id's first six characters ("Perfumery · 2028bf"); retail's
    # are descriptions.
    carried = [i[:6] in n for n, i in zip(names, ids, strict=True)]
    assert all(carried) == (kind == "marketplace")
    shown = list(table.proto.column_order)
    assert [c for c in shown if c.startswith("item_id")] == id_columns
    assert ("full item ids are in the CSV download" in texts(at)) == (kind == "marketplace")


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
    for view in (
        "Weekday × hour",
        "Basket size",
        "Repeat buying",
        "New vs returning",
        "Revenue bridge",
    ):
        at.segmented_control(key="sales_pattern").set_value(view).run()
        assert not at.exception, (view, at.exception)
        readings = [c.value for c in at.caption if c.value.startswith(":material/lightbulb:")]
        assert len(readings) == 3, view  # revenue, top items, the pattern view


def test_stripe_charges_show_no_units_and_no_basket_size():
    """Stripe's charges name no item and no quantity: each is an order's total, so Units/order
    is unknown (it read 1.0) and the basket view says why it has no chart (it charted every
    order as one line and advised on bundles)."""
    at = apptest.files_page(demo.demo("stripe", rows=500).files, "sales", "stripe")
    assert metric(at, "Units/order").value == "—"
    at.segmented_control(key="sales_pattern").set_value("Basket size").run()
    assert not at.exception
    assert "each line is an order's total" in " ".join(i.value for i in at.info)
    assert not [c for c in at.caption if "median order has" in c.value]
    assert not [w for w in at.get("button_group") if w.key == "sales_basket"]


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


def _ireland(region: str) -> str:
    return "Ireland" if region == "EIRE" else region


def _in_words(category: str) -> str:
    return category.replace("_", " ").capitalize()


@pytest.mark.parametrize(
    ("source", "key", "column", "value", "named"),
    [
        # The map's name for Online Retail's EIRE, in the order of those names.
        ("retail", "sales_regions", "region", "EIRE", _ireland),
        # The Categories page's name for Olist's health_beauty ("Health beauty").
        ("marketplace", "sales_categories", "category", "health_beauty", _in_words),
    ],
)
def test_a_filter_names_values_as_their_page_does_and_filters_by_the_data_value(
    source, key, column, value, named
):
    at = page(source)
    lines, currency = demo_lines(source)
    values = lines[column].drop_nulls().unique().to_list()
    assert value in values and named(value) != value
    shown = sorted((named(v) for v in values), key=str.casefold)
    assert at.multiselect(key=key).options == shown
    at.multiselect(key=key).set_value([value]).run()
    assert not at.exception
    expected = lines.filter(pl.col(column) == value)["revenue"].sum()
    assert metric(at, "Net revenue").value == fmt.money(expected, currency)
    # A link names the value either way (the page writes the name it shows).
    for name in (named(value), value):
        linked = apptest.app(source)
        linked.query_params[key] = name
        linked.run()
        linked.switch_page(PAGE).run()
        assert linked.multiselect(key=key).value == [value]
        assert metric(linked, "Net revenue").value == fmt.money(expected, currency)


def test_the_region_filter_groups_lines_without_a_region_as_the_regions_page_does():
    """'Unspecified', blank and missing countries are one choice, '(no region)', listed last."""
    countries = ["France", "Unspecified", "", None, "Germany", "France"]
    lines = pl.DataFrame(
        {
            "InvoiceNo": [str(536365 + i) for i in range(6)],
            "StockCode": ["21001"] * 6,
            "Description": ["MUG"] * 6,
            "Quantity": [1, 2, 3, 4, 5, 6],
            "InvoiceDate": [f"2023-01-0{1 + i} 10:00:00" for i in range(6)],
            "UnitPrice": [1.0] * 6,
            "CustomerID": [float(17850 + i) for i in range(6)],
            "Country": countries,
        }
    )
    at = apptest.files_page({"Online Retail.csv": lines}, "sales", "regions")
    assert at.multiselect(key="sales_regions").options == ["France", "Germany", "(no region)"]
    at.multiselect(key="sales_regions").set_value(["(no region)"]).run()
    assert not at.exception
    assert metric(at, "Net revenue").value == fmt.money(2.0 + 3.0 + 4.0, "GBP")


def test_the_page_explains_what_is_missing_without_order_lines():
    at = page("files")
    assert "needs a lines table" in texts(at)
    assert not at.metric


# --- revenue bridge -------------------------------------------------------------------------------


def known_purchases(lines: pl.DataFrame) -> pl.DataFrame:
    """Purchase lines of known customers as the published Online Retail recipe cleans them,
    computed here apart from lib: no returns, exact duplicates once, quantity and unit price
    above zero; each cancellation takes its share of units back from the latest earlier purchase
    of the same customer and item."""
    known = lines.filter(pl.col("customer_id").is_not_null())
    sold = (
        known.filter(~pl.col("is_return") & (pl.col("revenue") >= 0))
        .unique(maintain_order=True)
        .filter((pl.col("quantity") > 0) & (pl.col("unit_price") > 0))
        .with_row_index("row")
    )
    back = (
        known.filter(pl.col("is_return") | (pl.col("revenue") < 0))
        .select("customer_id", "item_id", "ordered_at", pl.col("quantity").abs().alias("back"))
        .sort("ordered_at")
        .join_asof(
            sold.select("customer_id", "item_id", "ordered_at", "row", "quantity").sort(
                "ordered_at"
            ),
            on="ordered_at",
            by=["customer_id", "item_id"],
            strategy="backward",
            check_sortedness=False,
        )
        .drop_nulls("row")
        .group_by("row")
        .agg((1 - pl.col("back").sum() / pl.col("quantity").first()).clip(0, 1).alias("kept"))
    )
    return sold.join(back, on="row", how="left").with_columns(
        pl.col("revenue") * pl.col("kept").fill_null(1.0)
    )


def quarter(code: str) -> tuple[datetime, datetime]:
    """[start, end) of a quarter written '2024Q1' or a month written '2024-01'."""
    if "Q" in code:
        year, q = code.split("Q")
        start = datetime(int(year), 3 * int(q) - 2, 1)
        months = 3
    else:
        year, month = code.split("-")
        start, months = datetime(int(year), int(month), 1), 1
    end_month = start.month - 1 + months
    return start, datetime(start.year + end_month // 12, end_month % 12 + 1, 1)


def bridge_page(kind: str) -> AppTest:
    at = page(kind)
    at.segmented_control(key="sales_pattern").set_value("Revenue bridge").run()
    assert not at.exception, at.exception
    return at


def shown_steps(at: AppTest) -> dict[str, tuple[float, int]]:
    """The bridge table as shown: step -> (amount, customers)."""
    table = next(d.value for d in at.dataframe if "step" in d.value.columns)
    return {
        r.step: (r.value, r.customers) for r in table[["step", "value", "customers"]].itertuples()
    }


def expected_bridge(kind: str, previous: str, current: str) -> dict[str, tuple[float, int]]:
    """The totals, new and lost customers of the bridge from `previous` to `current`."""
    lines, _ = demo_lines(kind)
    bought = known_purchases(lines)
    (p0, p1), (c0, c1) = quarter(previous), quarter(current)

    def per_customer(a: datetime, b: datetime) -> pl.DataFrame:
        inside = bought.filter((pl.col("ordered_at") >= a) & (pl.col("ordered_at") < b))
        return inside.group_by("customer_id").agg(pl.col("revenue").sum())

    before, now = per_customer(p0, p1), per_customer(c0, c1)
    earlier = bought.filter(pl.col("ordered_at") < c0)["customer_id"].unique()
    new = now.filter(~pl.col("customer_id").is_in(earlier.implode()))
    lost = before.join(now, on="customer_id", how="anti")
    return {
        "previous": (before["revenue"].sum(), before.height),
        "current": (now["revenue"].sum(), now.height),
        "new": (new["revenue"].sum(), new.height),
        "lost": (-lost["revenue"].sum(), lost.height),
    }


@pytest.mark.parametrize("kind", demo.KINDS)
def test_bridge_steps_add_up_to_the_change_between_the_last_two_full_quarters(kind):
    at = bridge_page(kind)
    previous = at.selectbox(key="sales_bridge_previous").value
    current = at.selectbox(key="sales_bridge_current").value
    lines, currency = demo_lines(kind)
    last = lines["ordered_at"].max()
    # The last two full quarters: the data reaches the current one's last day.
    assert quarter(current)[1] <= last + timedelta(days=1) < quarter(current)[1] + timedelta(92)
    assert quarter(previous)[1] == quarter(current)[0]

    steps = shown_steps(at)
    expected = expected_bridge(kind, previous, current)
    for step, (amount, customers) in expected.items():
        assert steps[step][0] == pytest.approx(amount, rel=1e-9, abs=1e-6), step
        assert steps[step][1] == customers, step
    moves = [v for s, (v, _) in steps.items() if s not in ("previous", "current")]
    change = expected["current"][0] - expected["previous"][0]
    assert sum(moves) == pytest.approx(change, rel=1e-9, abs=1e-6)
    assert {"price", "volume", "mix"} <= steps.keys()  # every demo has items
    direction = "rose" if change > 0 else "fell"
    said = f"Revenue {direction} by {fmt.plain(fmt.whole_money(abs(change), currency))}"
    assert any(said in c.value for c in at.caption if "lightbulb" in c.value)
    assert len(at.get("vega_lite_chart")) >= 2  # revenue over time and the waterfall
    # Its totals are the purchases' (exact duplicates once), which the caption says, not the
    # revenue chart's sum of every line (the web shop's 2024 Q2: $239,297 against $239,791).
    captions = " ".join(c.value for c in at.caption)
    assert measures.DEFINITIONS["purchase"] in captions
    assert "can differ from the revenue chart's, which sums every line" in captions


def test_bridge_between_two_chosen_months_and_a_partial_quarter_is_named():
    at = bridge_page("marketplace")
    at.selectbox(key="sales_bridge_previous").set_value("2024-05").run()
    at.selectbox(key="sales_bridge_current").set_value("2024-06").run()
    assert not at.exception, at.exception
    assert not at.warning
    steps = shown_steps(at)
    for step, (amount, customers) in expected_bridge("marketplace", "2024-05", "2024-06").items():
        assert steps[step] == (pytest.approx(amount, rel=1e-9), customers), step
    # The data ends on 30 Aug 2024: its third quarter is partial, and the page says so.
    at.selectbox(key="sales_bridge_previous").set_value("2024Q2").run()
    at.selectbox(key="sales_bridge_current").set_value("2024Q3").run()
    assert not at.exception, at.exception
    assert "2024 Q3 reaches beyond the data" in at.warning[0].value
    assert any("2024 Q3 is partial" in c.value for c in at.caption if "lightbulb" in c.value)
    # A previous period after the current one is refused in words.
    at.selectbox(key="sales_bridge_previous").set_value("2024-08").run()
    assert not at.exception, at.exception
    assert "must end before the current one" in at.warning[0].value


def test_bridge_periods_follow_a_link_and_a_bad_one_falls_back_to_the_default():
    at = apptest.app("retail")
    at.query_params["sales_pattern"] = "Revenue bridge"
    at.query_params["sales_bridge_previous"] = "2023 Q1"
    at.query_params["sales_bridge_current"] = "2031 Q1"
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert at.selectbox(key="sales_bridge_previous").value == "2023Q1"
    assert at.selectbox(key="sales_bridge_current").value == "2023Q3"
    assert "2031 Q1 is not in this data" in texts(at)


def uploaded(kind: str, lines: pl.DataFrame) -> AppTest:
    """The Sales page on a demo whose order lines are replaced, given as an upload is."""
    built = formats.assemble_demo(kind)
    tables = {**built.dataset.tables, "lines": lines}
    data = replace(built.dataset, tables=tables, key=f"{state.UPLOAD_KEY}{kind}-lines")
    at = apptest.app("files")
    at.session_state["app_files_assembly"] = replace(built, dataset=data)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def test_the_bridge_explains_when_purchases_fall_in_one_month_or_have_no_customer():
    lines, _ = demo_lines("retail")
    june = lines.filter(pl.col("ordered_at").dt.month() == 6)
    at = uploaded("retail", june)
    at.segmented_control(key="sales_pattern").set_value("Revenue bridge").run()
    assert not at.exception, at.exception
    assert "needs purchases in at least two months" in texts(at)
    assert not [s for s in at.selectbox if s.key == "sales_bridge_previous"]
    at = uploaded("retail", lines.with_columns(pl.lit(None, pl.String).alias("customer_id")))
    at.segmented_control(key="sales_pattern").set_value("Revenue bridge").run()
    assert not at.exception, at.exception
    assert "needs a customer per order line" in texts(at)


def test_kpis_without_a_previous_period_say_which_dates_would_give_one():
    """Audit: on the whole range every card read "No change shown", in its help only. The retail
    demo runs from 1 Dec 2022 to 9 Dec 2023 (test_app_regions checks its dates): its last three
    full months are Sep-Nov 2023, against Jun-Aug 2023."""
    at = page("retail")
    said = " ".join(c.value for c in at.caption)
    assert (
        "No change shown: the data does not cover the whole previous period of equal length. "
        "Narrow the dates to compare: Sep–Nov 2023, say, against Jun–Aug 2023."
    ) in said


def test_every_reading_starts_with_a_capital_where_a_name_opens_it():
    """Audit: the web shop's top items read "organic doohickey charger leads narrowly", its
    generated names being lower case."""
    at = page("webshop")
    readings = [c.value.removeprefix(":material/lightbulb: ") for c in at.caption]
    opened = [r for r in readings if r and r[0].isalpha()]
    assert any(" leads" in r for r in opened)
    assert [r for r in opened if r[0].islower()] == []
