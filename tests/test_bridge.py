"""Revenue bridge on a tiny hand-made shop, on the demos, and Q3 against Q4 2011 on Online Retail
against an independent pandas computation."""

import math
from datetime import date, datetime

import pandas as pd
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from lib import demo, formats, io
from lib.analyses import bridge, churn, sales
from lib.model import Dataset
from tests.conftest import shared_file
from tests.test_movement import _net_revenue

SCHEMA = {
    "order_id": pl.String,
    "customer_id": pl.String,
    "ordered_at": pl.Datetime("us"),
    "item_id": pl.String,
    "quantity": pl.Float64,
    "unit_price": pl.Float64,
    "revenue": pl.Float64,
    "is_return": pl.Boolean,
}


def line(order: str, who: str | None, day: date, bought: tuple[str, float, float]):
    """A sale line of `bought`: (item, units, unit price)."""
    item, units, price = bought
    at = datetime(day.year, day.month, day.day, 12)
    return (order, who, at, item, units, price, units * price, False)


DEC, JAN, FEB = date(2023, 12, 5), date(2024, 1, 10), date(2024, 2, 10)
SHOP = pl.DataFrame(
    [
        line("1", "a", JAN, ("X", 2, 5.0)),
        line("1", "a", JAN, ("Y", 1, 10.0)),
        line("2", "a", FEB, ("X", 3, 6.0)),
        line("2", "a", FEB, ("Y", 1, 10.0)),
        line("3", "b", JAN, ("X", 1, 5.0)),
        line("4", "b", FEB, ("Z", 1, 20.0)),  # an item new in February
        line("5", "c", JAN, ("Y", 2, 10.0)),  # c is lost
        line("6", "d", FEB, ("X", 1, 6.0)),  # d is new
        line("7", "e", DEC, ("X", 1, 5.0)),
        line("8", "e", FEB, ("Y", 1, 10.0)),  # e comes back
        line("9", "f", DEC, ("X", 1, 5.0)),  # f bought in neither period
        line("10", "g", JAN, ("Y", 1, 10.0)),
        line("11", "g", FEB, ("X", 1, 6.0)),  # g buys less
        line("12", None, FEB, ("X", 9, 6.0)),  # no customer: not in the bridge
    ],
    schema=SCHEMA,
    orient="row",
)
PREVIOUS, CURRENT = bridge.parse_period("2024-01"), bridge.parse_period("2024-02")
ORDERED_IN_FEB = pl.col("ordered_at").dt.month() == 2


def test_periods_parse_quarters_months_years_and_date_ranges():
    q3 = bridge.parse_period("2011Q3")
    assert (q3.start, q3.end, q3.label) == (date(2011, 7, 1), date(2011, 9, 30), "2011 Q3")
    assert bridge.parse_period("2011-q4") == bridge.parse_period("2011 Q4") == q3.shifted(1)
    assert bridge.parse_period("2011-02").end == date(2011, 2, 28)
    assert bridge.parse_period("2012").label == "2012"
    days = bridge.parse_period("2011-07-01..2011-07-10")
    assert days.shifted(-1) == bridge.Period(date(2011, 6, 21), date(2011, 6, 30))
    assert bridge.parse_period("2011-07-01/2011-07-10") == days
    for bad in ("2011Q5", "Q3", "2011-13", "2011-07-10..2011-07-01", "2011-02-30..2011-03-01"):
        with pytest.raises(ValueError, match="period"):
            bridge.parse_period(bad)


def test_a_period_code_reads_back_as_the_same_period():
    for text in ("2011Q3", "2011-07", "2011", "2011-07-01..2011-07-10"):
        assert bridge.parse_period(text).code == text
        assert bridge.parse_period(bridge.parse_period(text).code) == bridge.parse_period(text)


def test_period_choices_are_the_quarters_then_the_months_touched_newest_first():
    choices = bridge.period_choices(date(2011, 5, 20), date(2011, 8, 3))
    assert choices == ["2011Q3", "2011Q2", "2011-08", "2011-07", "2011-06", "2011-05"]


def test_default_periods_are_the_last_two_full_quarters_or_else_the_last_two_months():
    q2, q3 = bridge.parse_period("2011Q2"), bridge.parse_period("2011Q3")
    assert bridge.default_periods(date(2010, 12, 1), date(2011, 12, 9)) == (q2, q3)
    assert bridge.default_periods(date(2011, 1, 1), date(2011, 9, 30)) == (q2, q3)
    # From 2 April, Q2 is not full: August and September.
    aug, sep = date(2011, 8, 1), date(2011, 9, 1)
    assert bridge.default_periods(date(2011, 4, 2), date(2011, 9, 30)) == (
        bridge.Period(aug, date(2011, 8, 31), "month"),
        bridge.Period(sep, date(2011, 9, 30), "month"),
    )
    # A day of July and three of August: both months, partial as they are.
    assert bridge.default_periods(date(2011, 7, 31), date(2011, 8, 3)) == (
        bridge.Period(date(2011, 7, 1), date(2011, 7, 31), "month"),
        bridge.Period(aug, date(2011, 8, 31), "month"),
    )
    with pytest.raises(ValueError, match="all fall in one month \\(Aug 2011\\)"):
        bridge.default_periods(aug, date(2011, 8, 31))


def test_customers_are_new_reactivated_retained_or_lost():
    changes = bridge.customer_changes(bridge.bridge_purchases(SHOP), PREVIOUS, CURRENT)
    assert changes.rows() == [
        ("d", "new", 0.0, 6.0, 6.0, FEB),
        ("e", "reactivated", 0.0, 10.0, 10.0, FEB),
        ("a", "retained", 20.0, 28.0, 8.0, FEB),
        ("b", "retained", 5.0, 20.0, 15.0, FEB),
        ("g", "retained", 10.0, 6.0, -4.0, FEB),
        ("c", "lost", 20.0, 0.0, -20.0, JAN),
    ]
    with pytest.raises(ValueError, match="must end before"):
        bridge.customer_changes(bridge.bridge_purchases(SHOP), CURRENT, PREVIOUS)


def test_price_volume_and_mix_split_the_retained_customers_change_by_item():
    purchases = bridge.bridge_purchases(SHOP)
    changes = bridge.customer_changes(purchases, PREVIOUS, CURRENT)
    items = bridge.item_effects(purchases, changes, PREVIOUS, CURRENT)
    # Retained a, b, g. X: 3 units for 15 -> 4 for 24; Y: 2 for 20 -> 1 for 10; Z: new, 1 for
    # 20. Previous average price 35 / 5 = 7.
    assert items.select("item_id", "previous_price", "price_effect", "mix_effect").rows() == [
        ("X", 5.0, 4.0, -8.0),  # 24 - 4 x 5; 4 x (5 - 7)
        ("Y", 10.0, 0.0, 3.0),  # 10 - 1 x 10; 1 x (10 - 7)
        ("Z", 20.0, 0.0, 13.0),  # a new item has no price effect, all mix: 1 x (20 - 7)
    ]


def test_bridge_steps_add_up_exactly_to_the_change_and_run_as_a_waterfall():
    result = bridge.revenue_bridge(bridge.bridge_purchases(SHOP), PREVIOUS, CURRENT)
    assert result.steps.select("step", "value", "start", "end", "customers").rows() == [
        ("previous", 55.0, 0.0, 55.0, 4),
        ("new", 6.0, 55.0, 61.0, 1),
        ("reactivated", 10.0, 61.0, 71.0, 1),
        ("price", 4.0, 71.0, 75.0, 3),
        ("volume", 7.0, 75.0, 82.0, 3),  # one more unit at 7
        ("mix", 8.0, 82.0, 90.0, 3),
        ("lost", -20.0, 90.0, 70.0, 1),
        ("current", 70.0, 0.0, 70.0, 5),
    ]
    steps = result.steps.filter(pl.col("kind") == "step")["value"].sum()
    assert steps == 70.0 - 55.0
    assert bridge.bridge_reading(result, "GBP") == (
        "Revenue rose by £15 (+27%) from Jan 2024 to Feb 2024; the largest step is lost customers "
        "(-£20, 1 customer). Feb 2024 is partial: the data ends 10 Feb 2024, so its revenue and "
        "lost customers are not final."
    )


def test_a_previous_period_that_starts_before_the_data_is_said_to_be_partial():
    """Online Retail starts on 1 Dec 2010: 2010 Q4 against 2011 Q1 read "Revenue rose by
    £927,177 (+167%) ... the largest step is new customers", of one month against three, with
    customers who bought before the data counted as new. Here the data starts 5 Dec 2023 and
    the quarter before 2024 Q1 is 2023 Q4."""
    result = bridge.revenue_bridge(
        bridge.bridge_purchases(SHOP), bridge.parse_period("2023Q4"), bridge.parse_period("2024Q1")
    )
    said = bridge.bridge_reading(result, "GBP")
    assert said.startswith("Revenue rose by ") and "%)" not in said.split(";")[0]
    assert (
        "2023 Q4 is partial: the data starts 5 Dec 2023, so its revenue is short and customers "
        "who bought before then count as new."
    ) in said
    # From 2023-12 (the data's first month, from its first day on) nothing is partial at the start.
    full = bridge.revenue_bridge(
        bridge.bridge_purchases(SHOP),
        bridge.parse_period("2023-12-05..2023-12-31"),
        bridge.parse_period("2024-01"),
    )
    assert "starts" not in bridge.bridge_reading(full, "GBP")


def test_without_items_the_returning_customers_split_into_buying_more_and_less():
    purchases = bridge.bridge_purchases(SHOP.drop("item_id"))
    result = bridge.revenue_bridge(purchases, PREVIOUS, CURRENT)
    assert result.items is None
    assert result.steps.select("step", "value", "customers").rows()[3:5] == [
        ("more", 23.0, 2),
        ("less", -4.0, 1),
    ]
    assert result.steps["value"][-1] - result.steps["value"][0] == 15.0


def test_a_current_period_past_the_data_is_called_partial():
    purchases = bridge.bridge_purchases(SHOP)
    result = bridge.revenue_bridge(purchases, PREVIOUS.shifted(-1), PREVIOUS)
    assert not result.partial
    result = bridge.revenue_bridge(
        purchases, bridge.parse_period("2023Q4"), bridge.parse_period("2024Q1")
    )
    assert result.partial
    assert bridge.bridge_reading(result).endswith(
        "2024 Q1 is partial: the data ends 10 Feb 2024, so its revenue and lost customers are "
        "not final."
    )


def test_headless_takes_periods_or_finds_the_last_two_full_quarters():
    ds = Dataset("tiny", "generic", "GBP", tables={"lines": SHOP})
    out = bridge.headless(ds, previous="2024-01", current="2024-02")
    assert set(out) == {"steps", "returning", "customers", "items"}
    # Whatever the items say, retained customers a and b bought more, g less.
    assert out["returning"].rows() == [("more", 2, 25.0, 48.0, 23.0), ("less", 1, 10.0, 6.0, -4.0)]
    assert out["steps"]["value"].to_list()[-1] == 70.0
    assert bridge.headless(ds, current="2024-02")["steps"].equals(out["steps"])
    assert bridge.headless(ds, previous="2024-01")["steps"].equals(out["steps"])
    # December to February holds no full quarter: the last two months, as the page opens on.
    assert bridge.headless(ds)["steps"].equals(out["steps"])
    february = Dataset("feb", "generic", "GBP", tables={"lines": SHOP.filter(ORDERED_IN_FEB)})
    with pytest.raises(ValueError, match="needs purchases in at least two months"):
        bridge.headless(february)


def test_the_named_steps_name_the_two_periods_and_keep_every_figure():
    result = bridge.revenue_bridge(bridge.bridge_purchases(SHOP), PREVIOUS, CURRENT)
    named = result.named_steps
    assert named["label"].to_list() == [
        "Previous period (Jan 2024)",
        *result.steps["label"].to_list()[1:-1],
        "Current period (Feb 2024)",
    ]
    assert named.drop("label").equals(result.steps.drop("label"))
    # a: 10 + 10, b: 5, c: 20, g: 10 in January; a: 18 + 10, b: 20, d: 6, e: 10, g: 6 in February
    assert named.filter(pl.col("kind") == "total")["value"].to_list() == [55.0, 70.0]


@pytest.mark.parametrize("kind", demo.KINDS)
def test_demo_bridges_add_up_to_the_change(kind):
    ds = formats.assemble_demo(kind).dataset
    out = bridge.headless(ds)
    steps = out["steps"]
    change = steps["value"][-1] - steps["value"][0]
    assert steps.filter(pl.col("kind") == "step")["value"].sum() == pytest.approx(
        change, rel=1e-9, abs=1e-9
    )
    assert steps["end"][-2] == pytest.approx(steps["value"][-1], rel=1e-9)


def test_lost_customers_still_inside_the_churn_window_are_said_to_be_so():
    """The web shop audit's: "the largest step is lost customers (-$169,505, 2,066 customers)",
    all of whom had bought within its 277-day churn window. SHOP's one lost customer, c, last
    bought 10 Jan 2024: 31 days before 10 Feb, the data's last day (the current period runs
    on to 29 Feb): inside a window of 31 days or more, outside one of 30 (churn.waiting: quiet
    at most that long)."""
    result = bridge.revenue_bridge(bridge.bridge_purchases(SHOP), PREVIOUS, CURRENT)
    assert (FEB - JAN).days == 31
    assert bridge.bridge_reading(result, "GBP", 31).endswith(
        " The 1 lost customer was still inside the churn window on 10 Feb 2024 (90% of repeat "
        "purchases come within 31 days): they may only be between purchases; lost here means no "
        "purchase in Feb 2024, not gone."
    )
    assert bridge.bridge_reading(result, "GBP", 30) == bridge.bridge_reading(result, "GBP")
    assert "churn window" not in bridge.bridge_reading(result, "GBP")


def test_online_retail_q3_to_q4_2011_matches_a_pandas_computation():
    path = shared_file("online_retail/online_retail.parquet")
    raw = pl.read_parquet(path)
    ds = formats.assemble([io.RawTable("online_retail", path.name, raw)]).dataset
    got = bridge.headless(ds, previous="2011Q3", current="2011Q4")
    steps = dict(zip(got["steps"]["step"], got["steps"]["value"], strict=True))
    behind = dict(zip(got["steps"]["step"], got["steps"]["customers"], strict=True))

    df = raw.to_pandas().dropna(subset=["CustomerID"])
    df["InvoiceDate"] = pd.to_datetime(df["InvoiceDate"])
    kept = df[~df["InvoiceNo"].astype(str).str.startswith("C")].drop_duplicates()
    kept = kept[(kept["Quantity"] > 0) & (kept["UnitPrice"] > 0)]
    kept = kept.assign(net=_net_revenue(df, kept))
    # Units net of cancellations as revenue is: a cancellation takes back its quantity's share.
    kept = kept.assign(units=kept["net"] / kept["UnitPrice"])
    q3 = kept[(kept["InvoiceDate"] >= "2011-07-01") & (kept["InvoiceDate"] < "2011-10-01")]
    q4 = kept[(kept["InvoiceDate"] >= "2011-10-01") & (kept["InvoiceDate"] < "2012-01-01")]
    earlier = set(kept.loc[kept["InvoiceDate"] < "2011-10-01", "CustomerID"])
    in3, in4 = set(q3["CustomerID"]), set(q4["CustomerID"])
    retained = in3 & in4
    new = in4 - earlier
    reactivated = (in4 & earlier) - in3
    lost = in3 - in4
    by3 = q3.groupby("CustomerID")["net"].sum()
    by4 = q4.groupby("CustomerID")["net"].sum()

    r3, r4 = q3[q3["CustomerID"].isin(retained)], q4[q4["CustomerID"].isin(retained)]
    # Postage, fees and manual lines (DESIGN's non-product codes) are a step of their own.
    codes = {"POST", "DOT", "M", "D", "S", "B", "C2", "CRUK", "PADS", "BANK CHARGES", "AMAZONFEE"}
    fee3 = r3["StockCode"].astype(str).str.upper().isin(codes | {"ADJUST"})
    fee4 = r4["StockCode"].astype(str).str.upper().isin(codes | {"ADJUST"})
    fees = r4.loc[fee4, "net"].sum() - r3.loc[fee3, "net"].sum()
    paying = set(r3.loc[fee3, "CustomerID"]) | set(r4.loc[fee4, "CustomerID"])
    r3, r4 = r3[~fee3], r4[~fee4]
    items = pd.DataFrame(
        {
            "q0": r3.groupby("StockCode")["units"].sum(),
            "r0": r3.groupby("StockCode")["net"].sum(),
            "q1": r4.groupby("StockCode")["units"].sum(),
            "r1": r4.groupby("StockCode")["net"].sum(),
        }
    ).fillna(0.0)
    p0 = (items["r0"] / items["q0"]).where(items["q0"] > 0, items["r1"] / items["q1"])
    average = items["r0"].sum() / items["q0"].sum()
    price = (items["r1"] - p0 * items["q1"]).sum()
    volume = (items["q1"].sum() - items["q0"].sum()) * average
    mix = (items["q1"] * (p0 - average)).sum()

    expected = {
        "previous": q3["net"].sum(),
        "new": by4[list(new)].sum(),
        "reactivated": by4[list(reactivated)].sum(),
        "price": price,
        "volume": volume,
        "mix": mix,
        "fees": fees,
        "lost": -by3[list(lost)].sum(),
        "current": q4["net"].sum(),
    }
    assert steps.keys() == expected.keys()
    for step, value in expected.items():
        assert steps[step] == pytest.approx(value, rel=1e-9), step
    assert (behind["new"], behind["reactivated"], behind["price"], behind["lost"]) == (
        len(new),
        len(reactivated),
        len(retained),
        len(lost),
    )
    assert behind["fees"] == len(paying)
    change = steps["current"] - steps["previous"]
    moved = sum(v for k, v in steps.items() if k not in ("previous", "current"))
    assert moved == pytest.approx(change, rel=1e-9)
    reading = bridge.bridge_reading(
        bridge.revenue_bridge(
            bridge.bridge_purchases(ds.tables["lines"]),
            bridge.parse_period("2011Q3"),
            bridge.parse_period("2011Q4"),
        ),
        ds.currency,
        churn.lines_lapse_days(ds.tables["lines"]),
    )
    # The churn window in pandas: the kept lines' orders (their first line's time), each
    # customer's distinct order days, the gaps between them; the smallest gap within which 90%
    # of them fall (the ceil(0.9 n)-th smallest).
    orders = kept.groupby("InvoiceNo").agg(c=("CustomerID", "first"), t=("InvoiceDate", "min"))
    days = orders.assign(d=orders["t"].dt.normalize())[["c", "d"]].drop_duplicates()
    gaps = days.sort_values(["c", "d"]).groupby("c")["d"].diff().dt.days.dropna().sort_values()
    assert int(gaps.iloc[math.ceil(0.9 * len(gaps)) - 1]) == 110
    assert "2011 Q4 is partial: the data ends 9 Dec 2011" in reading
    # Lost customers whose last purchase (in Q3: none in Q4) is at most 110 days before the
    # data's last day, 9 Dec 2011: inside the churn window, maybe only between purchases.
    last = q3[q3["CustomerID"].isin(lost)].groupby("CustomerID")["InvoiceDate"].max().dt.normalize()
    waiting = int(((pd.Timestamp("2011-12-09") - last).dt.days <= 110).sum())
    assert 0 < waiting < len(lost)
    assert (
        f" {waiting:,} of the {len(lost):,} lost customers were still inside the churn window on "
        "9 Dec 2011 (90% of repeat purchases come within 110 days)"
    ) in reading


def test_the_sales_command_gives_the_bridge_of_the_periods_its_view_shows():
    ds = formats.assemble_demo("marketplace").dataset
    own = bridge.headless(ds, previous="2024Q1", current="2024Q2")
    on_sales = sales.headless(ds, bridge_previous="2024Q1", bridge_current="2024Q2")
    assert_frame_equal(on_sales["bridge_steps"], own["steps"])
    steps = own["steps"]
    change = steps.filter(pl.col("kind") == "step")["value"].sum()
    ends = dict(zip(steps["step"], steps["value"], strict=True))
    assert change == pytest.approx(ends["current"] - ends["previous"])
    assert "bridge_steps" not in sales.headless(ds)  # no period asked: no bridge


def test_a_cancellation_takes_back_units_as_well_as_revenue_so_it_is_no_price_cut():
    """a buys 10 X at 2.00 in January and again in February, then cancels 4 of February's:
    February nets 12.00 for 6 units, the same price. Counted in gross units (10) it read as a
    price cut of 8.00; it is a volume fall of 4 units at 2.00."""
    cancel = ("c1", "a", datetime(2024, 2, 20, 12), "X", -4.0, 2.0, -8.0, True)
    shop = pl.DataFrame(
        [line("1", "a", JAN, ("X", 10, 2.0)), line("2", "a", FEB, ("X", 10, 2.0)), cancel],
        schema=SCHEMA,
        orient="row",
    )
    purchases = bridge.bridge_purchases(shop)
    assert purchases.sort("ordered_at")["units"].to_list() == [10.0, 6.0]
    changes = bridge.customer_changes(purchases, PREVIOUS, CURRENT)
    items = bridge.item_effects(purchases, changes, PREVIOUS, CURRENT)
    assert items.select("item_id", "price_effect", "mix_effect").rows() == [("X", 0.0, 0.0)]
    steps = dict(
        bridge.revenue_bridge(purchases, PREVIOUS, CURRENT).steps.select("step", "value").rows()
    )
    assert (steps["price"], steps["volume"], steps["mix"]) == (0.0, -8.0, 0.0)


def test_periods_of_different_kinds_are_said_to_differ_in_length():
    """Online Retail's Dec 2010 against 2011 Q4 read '+346%' with nothing on a month against a
    quarter; two months (31 and 29 days) are alike enough to say nothing."""
    purchases = bridge.bridge_purchases(SHOP)
    quarter = bridge.revenue_bridge(
        purchases, bridge.parse_period("2023-12"), bridge.parse_period("2024Q1")
    )
    assert bridge.bridge_reading(quarter).endswith(
        "The periods differ in length (31 days against 91 days): part of the change is only that."
    )
    months = bridge.revenue_bridge(purchases, PREVIOUS, CURRENT)
    assert "differ in length" not in bridge.bridge_reading(months)


def test_postage_is_a_step_of_its_own_not_price_or_mix():
    """a buys 2 X at 5.00 in both months and pays postage (POST) of 5.00, then 8.00: the 3.00
    more is postage, not a price rise, and no item's mix."""
    shop = pl.DataFrame(
        [
            line("1", "a", JAN, ("X", 2, 5.0)),
            line("1", "a", JAN, ("POST", 1, 5.0)),
            line("2", "a", FEB, ("X", 2, 5.0)),
            line("2", "a", FEB, ("post", 1, 8.0)),  # any case
        ],
        schema=SCHEMA,
        orient="row",
    )
    steps = bridge.revenue_bridge(bridge.bridge_purchases(shop), PREVIOUS, CURRENT).steps
    values = dict(steps.select("step", "value").rows())
    assert (values["price"], values["volume"], values["mix"], values["fees"]) == (0, 0, 0, 3.0)
    assert steps.filter(pl.col("step") == "fees")["label"][0] == "Returning: postage and fees"
    # Without such lines there is no such step.
    plain = bridge.revenue_bridge(bridge.bridge_purchases(SHOP), PREVIOUS, CURRENT).steps
    assert "fees" not in plain["step"].to_list()
