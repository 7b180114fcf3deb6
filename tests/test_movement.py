"""Segment movement on a tiny hand-made shop, the planted shift in the retail demo, and the
movement between 2011-09-09 and 2011-12-09 on Online Retail against the pandas recipe."""

import math
from datetime import date, datetime, timedelta

import pandas as pd
import polars as pl
import pytest

from lib import demo, formats, io
from lib.analyses import movement, rfm
from lib.model import Dataset
from tests.conftest import shared_file
from tests.test_rfm import PUBLISHED_MAP


def at(day: int) -> datetime:
    return datetime(2024, 1, day, 10)


SCHEMA = {
    "order_id": pl.String,
    "customer_id": pl.String,
    "ordered_at": pl.Datetime("us"),
    "revenue": pl.Float64,
    "is_return": pl.Boolean,
}

# Windows of ten days: before [1 Jan, 11 Jan), second [11 Jan, 21 Jan).
SHOP = pl.DataFrame(
    [
        ("o1", "a", at(1), 10.0, False),
        ("o2", "a", at(5), 10.0, False),
        ("o3", "a", at(15), 30.0, False),
        ("C1", "a", at(16), -15.0, True),  # takes half of o3 back
        ("o4", "b", at(2), 20.0, False),
        ("o5", "c", at(8), 5.0, False),
        ("o6", "c", at(9), 5.0, False),
        ("o7", "c", at(20), 7.0, False),
        ("o8", "d", at(3), 8.0, False),
        ("o9", "d", at(12), 4.0, False),
        ("o10", "e", at(14), 50.0, False),
        ("o11", "f", at(1), 3.0, False),
        ("o12", None, at(13), 99.0, False),
    ],
    schema=SCHEMA,
    orient="row",
)
FIRST, SECOND = date(2024, 1, 11), date(2024, 1, 21)


def test_purchase_orders_are_the_purchases_one_row_per_order_cancellations_netted():
    orders = movement.purchase_orders(SHOP).sort("order_id")
    assert orders.height == 11  # no cancellation invoice, no order without a customer
    assert orders.filter(pl.col("order_id") == "o3")["revenue"].item() == 15.0


def test_customer_movements_follow_each_customer_from_one_segment_to_the_next():
    # Three bins. At 11 Jan: recency a 6, b 9, c 2, d 8, f 10 (edges 6.67, 8.67: R3 R1 R3 R2
    # R1); frequency 2 1 2 1 1 ranked in row order b d f a c (F1 F1 F2 F3 F3). So a and c are
    # champions, b hibernating, d about to sleep, f at risk. At 21 Jan: recency a 6, b 19, c 1,
    # d 9, e 7, f 20 (edges 6.67, 12.33: R3 R1 R3 R2 R2 R1); frequency 3 1 3 2 1 1 (F3 F1 F3
    # F2 F1 F2): champions, hibernating, champions, need attention, about to sleep, at risk.
    moved = movement.customer_movements(SHOP, FIRST, SECOND, rfm.default_rules(3), bins=3)
    assert moved.select(
        "customer_id", "from_segment", "to_segment", "segment_now", "orders", "revenue"
    ).rows() == [
        ("e", "new", "about to sleep", "about to sleep", 1, 50.0),
        ("b", "hibernating", "gone", "hibernating", 0, 0.0),
        ("f", "at risk", "gone", "at risk", 0, 0.0),
        ("d", "about to sleep", "need attention", "need attention", 1, 4.0),
        ("a", "champions", "champions", "champions", 1, 15.0),
        ("c", "champions", "champions", "champions", 1, 7.0),
    ]
    assert moved["revenue_before"].to_list() == [0.0, 20.0, 3.0, 8.0, 20.0, 10.0]
    assert moved["first_r_score"].to_list() == [None, 1, 1, 2, 3, 3]
    assert moved["last_order"].to_list()[:2] == [date(2024, 1, 14), date(2024, 1, 2)]


def test_movement_table_counts_customers_and_revenue_per_move_with_the_destination_action():
    rules = rfm.default_rules(3)
    moved = movement.customer_movements(SHOP, FIRST, SECOND, rules, bins=3)
    table = movement.movement_table(moved, rules)
    assert table.drop("action").rows() == [
        ("new", "about to sleep", 1, 1.0, 50.0, 0.0),
        ("hibernating", "gone", 1, 1.0, 0.0, 20.0),
        ("at risk", "gone", 1, 1.0, 0.0, 3.0),
        ("about to sleep", "need attention", 1, 1.0, 4.0, 8.0),
        ("champions", "champions", 2, 1.0, 22.0, 30.0),
    ]
    assert table["action"].to_list() == [
        rfm.ACTIONS["about to sleep"],
        movement.GONE_ACTION,
        movement.GONE_ACTION,
        rfm.ACTIONS["need attention"],
        rfm.ACTIONS["champions"],
    ]
    assert movement.movement_table(moved, rules, blind=True)["action"].null_count() == 5


def test_flows_name_source_target_and_value_with_new_first_and_gone_last():
    rules = rfm.default_rules(3)
    moved = movement.customer_movements(SHOP, FIRST, SECOND, rules, bins=3)
    table = movement.movement_table(moved, rules)
    flows = movement.movement_flows(table, "customers", rules)
    assert flows.rows() == [
        ("new", "about to sleep", 1.0, 0, 0),
        ("hibernating", "gone", 1.0, 1, 3),
        ("at risk", "gone", 1.0, 2, 3),
        ("about to sleep", "need attention", 1.0, 3, 1),
        ("champions", "champions", 2.0, 4, 2),
    ]
    # By revenue, moves without second-window revenue (the gone ones) carry no flow.
    revenue = movement.movement_flows(table, "revenue", rules)
    assert revenue["value"].to_list() == [50.0, 4.0, 22.0]
    with pytest.raises(ValueError, match="measure"):
        movement.movement_flows(table, "orders")
    # No revenue at all (every quantity unreadable): no flow, and ranks typed as with flows,
    # so the customers' and the revenue's flows stack into one table (the CLI's).
    nothing = movement.movement_flows(table.with_columns(pl.lit(0.0).alias("revenue")), "revenue")
    assert nothing.height == 0
    assert pl.concat([flows, nothing]).schema == flows.schema


def test_dates_must_be_in_order_and_default_to_a_quarter_before_the_day_after_the_last_order():
    orders = movement.purchase_orders(SHOP)
    with pytest.raises(ValueError, match="must come before"):
        movement.customer_movements(SHOP, SECOND, FIRST)
    assert movement.default_dates(orders) == (date(2023, 10, 21), date(2024, 1, 21))
    assert movement.default_dates(orders.clear()) is None
    assert movement.quarter_before(date(2024, 5, 31), 3) == date(2024, 2, 29)


def test_reading_counts_arrivals_and_departures_and_names_the_largest_move():
    moved = movement.segment_movement(SHOP, FIRST, SECOND, rfm.default_rules(3), bins=3)
    # One customer moved: no shift to act on; ten days: gone means no order in them.
    assert movement.movement_reading(moved, "GBP") == (
        "From 11 Jan 2024 to 21 Jan 2024: 1 first-time buyer bought for the first time and 2 of "
        "the 5 earlier customers placed no order (gone); no move between segments reaches 20 "
        "customers (the largest, about to sleep → need attention, has 1). Over 10 days most "
        "customers place no order anyway: gone here means no order in that window, not lost. F "
        "cannot separate customers: 60.0% bought once, and their F scores 1–2 are arbitrary (row "
        "order, not behaviour). So the moves between segments say little, and no action is "
        "suggested."
    )
    assert moved.movements["action"].null_count() == moved.movements.height


def test_headless_gives_movements_customers_and_flows_and_checks_its_dates():
    ds = Dataset("tiny", "generic", "GBP", tables={"lines": SHOP})
    out = movement.headless(ds, compare_as_of="2024-01-11", as_of="2024-01-21")
    assert set(out) == {"movements", "customers", "flows"}
    assert out["movements"]["customers"].sum() == 6
    assert set(out["flows"]["measure"]) == {"customers", "revenue"}
    with pytest.raises(ValueError, match="must come before"):
        movement.headless(ds, compare_as_of="2024-01-21", as_of="2024-01-11")
    with pytest.raises(ValueError, match="write it as YYYY-MM-DD"):
        movement.headless(ds, as_of="21/01/2024")
    # Only the second date: the first is one quarter before it.
    only = movement.headless(ds, as_of="2024-01-21")
    assert only["movements"].filter(pl.col("from_segment") == "new")["customers"].sum() == 6


# The demo -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def retail():
    return formats.assemble_demo("retail").dataset


def test_segments_from_purchase_orders_are_the_rfm_pages_segments(retail):
    lines = retail.tables["lines"]
    for day in (date(2023, 9, 10), date(2023, 12, 10)):
        orders = movement.purchase_orders(lines, day)
        page = rfm.segmented(
            rfm.quantile_scored(rfm.customer_table(lines, day, clean=True).customers),
            rfm.default_rules(5),
        )
        got = movement.segments_at(orders, day)
        assert got.drop("monetary").equals(page.drop("monetary"))
        assert got["monetary"].to_list() == pytest.approx(page["monetary"].to_list(), rel=1e-12)


def _lapsed(ds: Dataset) -> dict[str, int]:
    """Customers of each first segment who placed no order in the last quarter."""
    table = movement.headless(ds)["movements"]
    gone = table.filter(pl.col("to_segment") == movement.GONE)
    return dict(gone.select("from_segment", "customers").iter_rows())


def test_the_retail_demos_planted_lapse_of_frequent_customers_shows_as_champions_and_loyal_gone(
    retail,
):
    planted = demo.demo("retail")
    unplanted = demo.demo("retail", patterns=False)
    plain = formats.assemble([io.RawTable(n, n, f) for n, f in unplanted.files.items()]).dataset
    group = int(planted.truth["lapsed_customers"])
    assert group >= 30
    with_plant, without = _lapsed(retail), _lapsed(plain)
    top = ("champions", "loyal customers")
    extra = sum(with_plant.get(s, 0) for s in top) - sum(without.get(s, 0) for s in top)
    # Every planted customer was frequent and recent at the first date and bought nothing after.
    assert extra == group
    others = set(with_plant) - set(top)
    assert all(with_plant.get(s, 0) == without.get(s, 0) for s in others)


# Online Retail ---------------------------------------------------------------------------------


def _published_segments(df: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """The published recipe's segment per customer as of a date (orders before it)."""
    before = df[df["InvoiceDate"] < as_of]
    per = before.groupby("CustomerID").agg(last=("day", "max"), frequency=("InvoiceNo", "nunique"))
    recency = (as_of - per["last"]).dt.days
    r = pd.qcut(recency, 5, labels=[5, 4, 3, 2, 1]).astype(str)
    f = pd.qcut(per["frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(str)
    return (r + f).replace(PUBLISHED_MAP, regex=True)


def _net_revenue(raw: pd.DataFrame, kept: pd.DataFrame) -> pd.Series:
    """Revenue of each kept line net of the cancellations of the same customer and item, each
    taking back its quantity's share of the latest purchase at or before it, no more than the
    money it credits (a cancellation line repeated exactly is one cancellation)."""
    cancelled = raw[raw["InvoiceNo"].astype(str).str.startswith("C") & raw["CustomerID"].notna()]
    cancelled = cancelled.drop_duplicates()
    bought = kept.reset_index().rename(columns={"index": "row"})
    bought = bought.assign(paid=bought["Quantity"] * bought["UnitPrice"])
    bought = bought.sort_values("InvoiceDate", kind="stable")
    cancelled = cancelled.assign(
        back=cancelled["Quantity"].abs(),
        credit=(cancelled["Quantity"] * cancelled["UnitPrice"]).abs(),
    ).sort_values("InvoiceDate", kind="stable")
    matched = pd.merge_asof(
        cancelled[["CustomerID", "StockCode", "InvoiceDate", "back", "credit"]],
        bought[["CustomerID", "StockCode", "InvoiceDate", "row", "Quantity", "paid"]],
        on="InvoiceDate",
        by=["CustomerID", "StockCode"],
        direction="backward",
    ).dropna(subset=["row"])
    by_units = matched["back"] / matched["Quantity"]
    by_money = matched["credit"] / matched["paid"]
    taken = by_units.where(by_units < by_money, by_money)
    share = (1 - taken.groupby(matched["row"]).sum()).clip(0, 1)
    revenue = kept["Quantity"] * kept["UnitPrice"]
    return revenue * share.reindex(kept.index).fillna(1.0)


def test_online_retail_movement_matches_the_published_recipe_in_pandas():
    path = shared_file("online_retail/online_retail.parquet")
    raw = pl.read_parquet(path)
    ds = formats.assemble([io.RawTable("online_retail", path.name, raw)]).dataset
    got = movement.headless(ds)  # defaults: 10 Sep and 10 Dec 2011, days up to 9 Sep / 9 Dec
    customers = got["customers"]

    df = raw.to_pandas()
    df = df.dropna(subset=["CustomerID"])
    df["InvoiceDate"] = pd.to_datetime(df["InvoiceDate"])
    kept = df[~df["InvoiceNo"].astype(str).str.startswith("C")].drop_duplicates()
    kept = kept[(kept["Quantity"] > 0) & (kept["UnitPrice"] > 0)]
    kept = kept.assign(day=kept["InvoiceDate"].dt.normalize(), net=_net_revenue(df, kept))
    first, second = pd.Timestamp("2011-09-10"), pd.Timestamp("2011-12-10")
    before = _published_segments(kept, first)
    after = _published_segments(kept, second)
    window = kept[(kept["InvoiceDate"] >= first) & (kept["InvoiceDate"] < second)]
    bought = window.groupby("CustomerID")["net"].sum()
    expected = pd.DataFrame({"segment_now": after})
    expected["from_segment"] = before.reindex(expected.index).fillna("new")
    expected["revenue"] = bought.reindex(expected.index).fillna(0.0)
    expected["to_segment"] = expected["segment_now"].where(
        expected.index.isin(bought.index), "gone"
    )
    moves = expected.groupby(["from_segment", "to_segment"]).agg(
        customers=("revenue", "size"), revenue=("revenue", "sum")
    )

    table = got["movements"]
    assert table["customers"].sum() == len(expected) == 4338
    shown = {
        (r["from_segment"], r["to_segment"]): (r["customers"], r["revenue"])
        for r in table.iter_rows(named=True)
    }
    assert shown.keys() == set(moves.index)
    for key, row in moves.iterrows():
        assert shown[key][0] == row["customers"], key
        assert shown[key][1] == pytest.approx(row["revenue"], rel=1e-9, abs=1e-6), key
    # Customer by customer, the same segments at both dates.
    ids = [str(int(c)) for c in expected.index]
    reference = pl.DataFrame(
        {
            "customer_id": ids,
            "from_ref": expected["from_segment"].tolist(),
            "now_ref": expected["segment_now"].tolist(),
        }
    )
    joined = customers.join(reference, on="customer_id", how="full")
    assert joined.height == 4338
    assert (joined["from_segment"] == joined["from_ref"]).all()
    assert (joined["segment_now"] == joined["now_ref"]).all()
    # The published figures the quarter produces: who arrived and who placed no order.
    assert (table.filter(pl.col("from_segment") == "new")["customers"].sum(), len(bought)) == (
        int((expected["from_segment"] == "new").sum()),
        int(expected.index.isin(bought.index).sum()),
    )

    # Audit: "73 of 500 champions placed no order" and "win back the valuable ones" over 91
    # days, where the churn section's window is 110: every one of them was still waiting.
    # The window by hand: 90% of the gaps between a customer's consecutive purchase days.
    days = kept.assign(day=kept["InvoiceDate"].dt.normalize())[["CustomerID", "day"]]
    days = days.drop_duplicates().sort_values(["CustomerID", "day"])
    gaps = days.groupby("CustomerID")["day"].diff().dropna().dt.days.sort_values().to_numpy()
    window = int(gaps[math.ceil(0.9 * len(gaps)) - 1])
    assert window == 110
    last = kept[kept["InvoiceDate"] < second].groupby("CustomerID")["InvoiceDate"].max()
    quiet = (pd.Timestamp("2011-12-09") - last.dt.normalize()).dt.days
    gone = expected[expected["to_segment"] == "gone"]
    waiting = gone[quiet.reindex(gone.index) <= window]
    champions = gone[gone["from_segment"] == "champions"]
    assert (len(waiting), len(gone)) == (167, 1449)
    assert len(champions) == len(waiting[waiting["from_segment"] == "champions"]) == 73
    reading = movement.movement_reading(movement.segment_movement(ds.table("lines")), "GBP")
    assert (
        "The dates are 91 days apart, less than the churn window (90% of repeat purchases "
        "come within 110 days): 167 of the 1,449 gone (73 of the 73 gone champions) were within "
        "110 days of their last order as of 9 Dec 2011, waiting rather than lapsed"
    ) in reading
    action = table.filter(pl.col("to_segment") == "gone")["action"].unique().to_list()
    assert action == [movement.waiting_action(110)]
    assert "wait for those within 110 days" in action[0] and "win back the valuable" in action[0]


def test_flow_chart_bands_keep_their_width_from_one_side_to_the_other():
    from lib.charts import movement as charts

    rules = rfm.default_rules(3)
    moved = movement.customer_movements(SHOP, FIRST, SECOND, rules, bins=3)
    flows = movement.movement_flows(movement.movement_table(moved, rules), "customers", rules)
    bands, nodes = charts.flow_geometry(flows)
    widths = bands.group_by("link").agg((pl.col("y2") - pl.col("y")).min(), pl.col("value").first())
    assert widths["y2"].to_list() == pytest.approx(widths["value"].to_list(), abs=1e-9)
    gone = nodes.filter((pl.col("side") == "to") & (pl.col("name") == "gone"))
    assert gone["value"].item() == 2.0
    assert gone["y2"].item() - gone["y"].item() == 2.0
    spec = charts.flow_chart(flows, "Customers", "11 Jan", "21 Jan").to_dict()
    assert len(spec["layer"]) == 5
    assert charts.movement_matrix(movement.movement_table(moved, rules)).to_dict()["layer"]


def test_the_retail_pattern_only_takes_the_lapsed_customers_off_their_later_invoices():
    planted, unplanted = demo.demo("retail"), demo.demo("retail", patterns=False)
    name = "online_retail.csv"
    with_plant, without = planted.files[name], unplanted.files[name]
    assert with_plant.drop("CustomerID").equals(without.drop("CustomerID"))
    changed = with_plant.filter(with_plant["CustomerID"].ne_missing(without["CustomerID"]))
    assert changed["CustomerID"].null_count() == changed.height  # only ids taken away
    stopped = without.filter(with_plant["CustomerID"].ne_missing(without["CustomerID"]))
    assert stopped["CustomerID"].n_unique() == planted.truth["lapsed_customers"] == 40
    dates = stopped["InvoiceDate"].str.to_datetime("%m/%d/%Y %H:%M")
    assert dates.min() >= datetime(2023, 9, 10)
    assert {k: v for k, v in planted.planted.items() if k != "missing_customer"} == {
        k: v for k, v in unplanted.planted.items() if k != "missing_customer"
    }


def test_a_movement_says_what_its_customers_did():
    """Olist's '235 customers went from new to new customers' read as nonsense: customers with no
    purchase before the first date are said to have first bought between the dates."""
    assert movement.moved(movement.NEW, "new customers") == (
        "first bought between the dates and are now new customers"
    )
    assert movement.moved("champions", movement.GONE) == (
        "were champions and bought nothing between the dates"
    )
    assert movement.moved("at risk", "champions") == "went from at risk to champions"


def test_purchases_as_of_a_day_are_netted_only_by_cancellations_before_it():
    """o3 (30.00 on 15 Jan) is half cancelled by C1 on 16 Jan at 10:00: before 16 Jan it is
    worth 30.00, before 17 Jan 15.00; so is customer a's monetary value on the RFM page as of
    those days (10 + 10 + 30 = 50, then 35), as on the lines cut by hand at the day."""
    o3 = pl.col("order_id") == "o3"
    assert movement.purchase_orders(SHOP, date(2024, 1, 16)).filter(o3)["revenue"].item() == 30.0
    assert movement.purchase_orders(SHOP, date(2024, 1, 17)).filter(o3)["revenue"].item() == 15.0
    for day, worth in ((date(2024, 1, 16), 50.0), (date(2024, 1, 17), 35.0)):
        table = rfm.customer_table(SHOP, day, clean=True).customers
        assert table.filter(pl.col("customer_id") == "a")["monetary"].item() == worth
        cut = SHOP.filter(pl.col("ordered_at") < datetime.combine(day, datetime.min.time()))
        by_hand = rfm.customer_table(cut, day, clean=True).customers
        assert table.equals(by_hand)


def test_the_reading_calls_a_move_matched_by_its_reverse_no_shift():
    """Online Retail at the default dates: 177 champions → loyal customers and 177 back, read
    as 'the largest move' (picked from the tie by name); 40 one way and 12 back is a move."""

    def reading(there: int, back: int) -> str:
        table = pl.DataFrame(
            {
                "from_segment": ["champions", "loyal customers", "champions"],
                "to_segment": ["loyal customers", "champions", "champions"],
                "customers": [there, back, 300],
                "share": [there / 500, back / 200, 0.6],
                "revenue_before": [0.0, 0.0, 0.0],
            }
        )
        moved = movement.Movement(date(2011, 9, 10), date(2011, 12, 10), table, table, ())
        return movement.movement_reading(moved, "GBP")

    assert (
        "the largest moves between segments, champions → loyal customers and back, are 177 "
        "each way: no net shift." in reading(177, 177)
    )
    assert (
        "the largest move between segments is champions → loyal customers (40, 8.0% of "
        "them, against 12 the other way)." in reading(40, 12)
    )
    assert "Over" not in reading(40, 12)  # 91 days: long enough for 'gone' to mean something


def test_the_reading_names_tied_moves_together_and_no_gone_without_earlier_customers():
    """40 loyal customers → champions and 40 at risk → hibernating: one was 'the largest move'
    (picked by name). With every customer new there is no '0 of the 0 earlier customers'."""
    rows = [
        ("loyal customers", "champions", 40, 0.4),
        ("loyal customers", "loyal customers", 60, 0.6),
        ("at risk", "hibernating", 40, 0.5),
        ("at risk", "at risk", 40, 0.5),
    ]
    table = pl.DataFrame(
        rows, schema=["from_segment", "to_segment", "customers", "share"], orient="row"
    ).with_columns(revenue_before=pl.lit(0.0))
    moved = movement.Movement(date(2024, 1, 1), date(2024, 4, 1), table, table, ())
    assert (
        "; the largest moves between segments tie at 40 customers each: at risk → hibernating "
        "and loyal customers → champions." in movement.movement_reading(moved, "GBP")
    )
    new = pl.DataFrame(
        {"from_segment": [movement.NEW], "to_segment": ["new customers"], "customers": [25]}
    ).with_columns(share=pl.lit(1.0), revenue_before=pl.lit(0.0))
    fresh = movement.Movement(date(2024, 1, 1), date(2024, 4, 1), new, new, ())
    assert movement.movement_reading(fresh, "GBP") == (
        "From 1 Jan 2024 to 1 Apr 2024: 25 first-time buyers bought for the first time, and no "
        "customer had bought before to follow."
    )


def test_a_score_heaped_at_the_earlier_date_is_said_of_that_date():
    """Compared with 2 Dec 2022 the retail demo's four customers all last bought the day before:
    the warning said '1 day before the as-of date' (10 Dec 2023)."""
    lines = formats.assemble_demo("retail").dataset.tables["lines"]
    moved = movement.segment_movement(lines, date(2022, 12, 2), date(2023, 12, 10))
    said = [rfm.degenerate_warning(d, "GBP") for d in moved.degenerate]
    assert any("last bought 1 day before 2 Dec 2022" in s for s in said), said
    assert not any("before the as-of date" in s and "1 day" in s for s in said)


def test_the_span_before_the_earlier_date_stands_as_it_did_then():
    """a spends 40.00 on 5 Jan and cancels 30.00 of it on 15 Jan: in the span before 11 Jan
    (1 to 11 Jan) a had spent 40.00, as the books stood on 11 Jan; netting the later
    cancellation made it 10.00 (Online Retail's champions: £50,411 where £50,647 stood)."""
    lines = pl.DataFrame(
        [
            ("o1", "a", at(5), 40.0, False),
            ("C1", "a", at(15), -30.0, True),
            ("o2", "b", at(3), 25.0, False),
            ("o3", "b", at(18), 5.0, False),
        ],
        schema=SCHEMA,
        orient="row",
    )
    moved = movement.segment_movement(lines, FIRST, SECOND, rfm.default_rules(3), bins=3)
    spent = dict(moved.customers.select("customer_id", "revenue_before").iter_rows())
    assert spent == {"a": 40.0, "b": 25.0}


def regulars(first_day: int = 0) -> list[tuple]:
    """12 customers buying every 20 days from 1 Jan 2024 to 19 Jul 2024 (11 purchases each,
    120 repeat purchases 20 days apart: a churn window of 20 days), and z, who stops on 29
    Jun."""
    start = datetime(2024, 1, 1, 10)
    rows = [
        (f"{c}-{i}", c, start + timedelta(days=20 * i), 10.0, False)
        for c in [f"c{k:02}" for k in range(12)]
        for i in range(first_day, 11)
    ]
    return rows + [(f"z-{i}", "z", start + timedelta(days=20 * i), 10.0, False) for i in range(10)]


def test_gone_customers_within_the_churn_window_are_said_waiting_in_any_window_length():
    """Over one day (19 Jul), z, last seen 29 Jun, is gone but 20 days quiet on 19 Jul, within
    the 20-day window: waiting. It read "The 1 days between the dates"; with no one gone, "0
    of the 0 gone were within"."""
    lines = pl.DataFrame(regulars(), schema=SCHEMA, orient="row")
    from lib.analyses import churn

    assert churn.lapse_days(churn.purchase_days(lines)) == 20
    moved = movement.segment_movement(lines, date(2024, 7, 19), date(2024, 7, 20))
    assert moved.waiting == 20
    assert (
        " The dates are 1 day apart, less than the churn window (90% of repeat purchases come "
        "within 20 days): 1 of the 1 gone (1 of the 1 gone champions) was within 20 days of "
        "their last order as of 19 Jul 2024, waiting rather than lapsed"
    ) in movement.movement_reading(moved, "GBP")
    # Without z, nobody is gone: nothing to say of them.
    everyone = lines.filter(pl.col("customer_id") != "z")
    moved = movement.segment_movement(everyone, date(2024, 7, 19), date(2024, 7, 20))
    assert "churn window" not in movement.movement_reading(moved, "GBP")


def test_no_churn_window_is_weighed_where_nearly_everyone_buys_once():
    """Review: on Olist 42 of 6,800 customers buy again, and the churn section reads its window
    as how soon those few come back, not as when the others will; movement called 1,782 gone
    customers waiting on it. 13 repeat buyers among 300 customers (4.3%, under 5%): no
    window."""
    from lib.analyses import churn

    once = [(f"o{k}", f"one{k}", datetime(2024, 3, 1, 10), 10.0, False) for k in range(287)]
    lines = pl.DataFrame(regulars() + once, schema=SCHEMA, orient="row")
    assert lines["customer_id"].n_unique() == 300
    assert churn.lapse_days(churn.purchase_days(lines)) is None
    assert movement.segment_movement(lines, date(2024, 7, 19), date(2024, 7, 20)).waiting is None
