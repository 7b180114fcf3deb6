"""Regional table, priority score, reference matching and the offline map."""

import json
import math
from datetime import datetime, timedelta
from statistics import NormalDist

import polars as pl
import pytest
from scipy.stats import binom, binomtest, fisher_exact

from lib import demo, fmt, formats, io, trend
from lib.analyses import regions
from lib.charts import maps
from tests.conftest import shared_file
from tests.family import growth_interval, growth_z, window_prices


def d(day: str) -> datetime:
    return datetime.fromisoformat(day)


# Latest order 2024-06-30; with months=3 the last period is after 2024-03-30 and the one before
# is 2023-12-30 .. 2024-03-30.
LINES = pl.DataFrame(
    {
        "order_id": ["o1", "o1", "o2", "o3", "o4", "o5", "r1", "o6", "o7"],
        "customer_id": ["c1", "c1", "c1", "c2", "c3", "c3", "c3", None, "c4"],
        "region": ["A", "A", "A", "A", "B", "B", "B", "B", "B"],
        "ordered_at": [
            d("2024-01-10"),
            d("2024-01-10"),
            d("2024-05-01"),
            d("2024-06-30"),
            d("2024-02-01"),
            d("2024-04-15"),
            d("2024-05-01"),
            d("2024-06-01"),
            d("2023-06-01"),
        ],
        "revenue": [100.0, 50.0, 200.0, 150.0, 80.0, 40.0, -20.0, 60.0, 30.0],
        "is_return": [False, False, False, False, False, False, True, False, False],
    }
)

ORDERS = pl.DataFrame(
    {
        "order_id": ["o1", "o2", "o3", "o4", "o5", "o6"],
        "delivered_at": [
            d("2024-01-15"),
            d("2024-05-10"),
            None,
            d("2024-02-05"),
            d("2024-04-20"),
            d("2024-06-09"),
        ],
        "estimated_delivery_at": [
            d("2024-01-20"),
            d("2024-05-08"),
            d("2024-07-05"),
            d("2024-02-10"),
            d("2024-04-20"),
            d("2024-06-08"),
        ],
        "review_score": [5.0, 2.0, None, 4.0, 4.0, 3.0],
        "freight": [10.0, 20.0, 20.0, 20.0, None, 15.0],
        "revenue": [150.0, 200.0, 150.0, 80.0, 40.0, 60.0],
    }
)


def row(table: pl.DataFrame, region: str) -> dict:
    return table.filter(pl.col("region") == region).row(0, named=True)


def test_regional_table_counts_customers_orders_and_net_revenue_per_region():
    table = regions.regional_table(LINES, months=3)
    assert table["region"].to_list() == ["A", "B"]  # by revenue
    a, b = row(table, "A"), row(table, "B")
    assert (a["customers"], a["orders"], a["revenue"]) == (2, 3, 500.0)
    # B: the return is netted out and is no order; the anonymous order counts for revenue only.
    assert (b["customers"], b["orders"], b["revenue"]) == (2, 4, 190.0)
    assert a["share"] == pytest.approx(500 / 690)
    assert a["aov"] == pytest.approx(500 / 3)
    assert b["aov"] == pytest.approx(47.5)


def test_customers_who_bought_in_two_regions_are_counted_in_each_and_said_to_be():
    # c1 and c2 buy in A only, c3 and c4 in B; a purchase of c1 in B makes c1 count in both.
    assert regions.regional_base(LINES).spanning == 0
    moved = LINES.with_columns(
        pl.when(pl.col("order_id") == "o2").then(pl.lit("B")).otherwise("region").alias("region")
    )
    base = regions.regional_base(moved)
    assert base.spanning == 1
    assert base.table["customers"].sum() == 5  # c1 in A and B, c2, c3, c4: 4 people
    # A return is no purchase: c3's return in A would not make c3 a customer there.
    returned = LINES.with_columns(
        pl.when(pl.col("order_id") == "r1").then(pl.lit("A")).otherwise("region").alias("region")
    )
    assert regions.regional_base(returned).spanning == 0


def test_regional_table_growth_compares_the_last_months_with_the_months_before():
    table = regions.regional_table(LINES, months=3)
    a, b = row(table, "A"), row(table, "B")
    assert (a["revenue_last"], a["revenue_prev"]) == (350.0, 150.0)
    assert a["growth"] == pytest.approx(350 / 150 - 1)
    assert (b["revenue_last"], b["revenue_prev"]) == (80.0, 80.0)
    assert b["growth"] == pytest.approx(0.0)


def test_regional_table_repeat_rate_and_returning_order_change():
    table = regions.regional_table(LINES, months=3)
    a, b = row(table, "A"), row(table, "B")
    assert a["repeat_rate"] == pytest.approx(0.5)  # c1 twice, c2 once
    assert b["repeat_rate"] == pytest.approx(0.5)  # c3 twice (the return is no order), c4 once
    # A: last period o2 (returning) and o3 (new) = 0.5; before: o1 (new) = 0 -> +0.5
    assert a["repeat_change"] == pytest.approx(0.5)
    # B: last period o5 (returning; o6 has no customer) = 1; before: o4 (new) = 0 -> +1
    assert b["repeat_change"] == pytest.approx(1.0)
    # As pooled two-proportion z: A 1 of 2 against 0 of 1 (pooled 1/3), B 1 of 1 against 0 of 1.
    assert a["repeat_change_z"] == pytest.approx(0.5 / math.sqrt(1 / 3 * 2 / 3 * (1 / 2 + 1)))
    assert b["repeat_change_z"] == pytest.approx(1 / math.sqrt(0.25 * 2))


def test_regional_table_adds_late_rate_review_and_freight_share_from_orders():
    table = regions.regional_table(LINES, ORDERS, months=3)
    a, b = row(table, "A"), row(table, "B")
    assert (a["delivered_orders"], a["late_orders"]) == (2, 1)  # o3 not delivered yet
    assert a["late_rate"] == pytest.approx(0.5)
    assert b["late_rate"] == pytest.approx(1 / 3)  # delivered on the estimate is not late
    assert a["review"] == pytest.approx(3.5)
    assert b["review"] == pytest.approx(11 / 3)
    assert a["freight_share"] == pytest.approx(50 / 550)
    assert b["freight_share"] == pytest.approx(35 / 175)  # o5 without freight left out


def test_regional_table_without_orders_has_no_delivery_columns():
    table = regions.regional_table(LINES, ORDERS.select("order_id", "review_score"))
    assert "late_rate" not in table.columns and "freight_share" not in table.columns
    assert "review" in table.columns


def table_of(**changes) -> pl.DataFrame:
    base = {
        "region": ["W", "X", "Y", "Z"],
        "customers": [400, 250, 90, 8],
        "orders": [500, 300, 100, 10],
        "revenue": [600.0, 250.0, 140.0, 10.0],
        "share": [0.6, 0.25, 0.14, 0.01],
        "revenue_last": [300.0, 100.0, 90.0, 5.0],
        "revenue_prev": [200.0, 125.0, 50.0, 5.0],
        "growth": [0.5, -0.2, 0.8, 0.0],
        "aov": [1.2, 250 / 300, 1.4, 1.0],
        "aov_z": [0.0, 0.0, 0.0, 0.0],  # no order value apart from the others'
        "repeat_rate": [0.3, 0.4, 0.2, 0.1],
        "repeat_change": [0.0, -0.05, 0.01, 0.0],
        "repeat_change_z": [0.0, -3.0, 0.2, 0.0],  # X's beyond critical(3) = 2.39 (Z: 10 orders)
        "delivered_orders": [100, 100, 100, 100],
        "late_orders": [5, 30, 5, 0],
        "late_rate": [0.05, 0.3, 0.05, 0.0],
    }
    out = {**base, **changes}
    # Each growth's interval is the figure alone (as sure as it gets) unless given.
    return pl.DataFrame({"growth_low": out["growth"], "growth_high": out["growth"], **out})


ONLY = dict.fromkeys(("size", "growth", "value", "repeat", "delivery"), 0.0)


def growth_only() -> regions.Weights:
    return regions.Weights(**{**ONLY, "growth": 1})


def scores(ranked: pl.DataFrame) -> dict[str, float]:
    return dict(zip(ranked["region"], ranked["score"], strict=True))


def test_priority_score_on_revenue_alone_is_the_revenue_percentile():
    ranked = regions.priority_table(table_of(), regions.Weights(**{**ONLY, "size": 1}))
    got = scores(ranked)
    assert got == pytest.approx({"W": 100.0, "X": 200 / 3, "Y": 100 / 3, "Z": 0.0})
    # Rank follows the action first: W (grow) and Y (test) before X (fix delivery) and Z (watch).
    assert ranked["region"].to_list() == ["W", "Y", "X", "Z"]
    assert ranked["rank"].to_list() == [1, 2, 3, 4]


def test_priority_score_averages_the_weighted_percentiles():
    ranked = regions.priority_table(table_of(), regions.Weights(**{**ONLY, "size": 1, "growth": 1}))
    # growth percentiles: X 0 (-20%), Z 1/3 (flat: within the band), W 2/3 (+50%), Y 1 (+80%);
    # revenue W 1, X 2/3, Y 1/3, Z 0
    assert scores(ranked) == pytest.approx({"W": 250 / 3, "X": 100 / 3, "Y": 200 / 3, "Z": 50 / 3})
    assert ranked["region"].to_list() == ["W", "Y", "X", "Z"]


def test_priority_score_rewards_low_late_rates_and_averages_ties():
    ranked = regions.priority_table(table_of(), regions.Weights(**{**ONLY, "delivery": 1}))
    assert scores(ranked) == pytest.approx({"Z": 100.0, "W": 50.0, "Y": 50.0, "X": 0.0})
    # Z scores best but is to watch (10 orders): it ranks after the regions to market in.
    assert ranked["region"].to_list() == ["W", "Y", "X", "Z"]  # W before Y: more revenue


def test_priority_score_gives_an_unknown_value_the_middle():
    table = table_of(growth=[0.5, -0.2, 0.8, None])
    ranked = regions.priority_table(table, regions.Weights(**{**ONLY, "growth": 1}))
    assert scores(ranked) == pytest.approx({"Y": 100.0, "W": 50.0, "Z": 50.0, "X": 0.0})


def test_priority_ignores_criteria_the_data_lacks():
    table = table_of().drop("delivered_orders", "late_orders", "late_rate")
    ranked = regions.priority_table(table, regions.Weights(**{**ONLY, "size": 1, "delivery": 5}))
    assert scores(ranked)["W"] == pytest.approx(100.0)


def actions(ranked: pl.DataFrame) -> dict[str, str]:
    return dict(zip(ranked["region"], ranked["action"], strict=True))


def test_actions_follow_the_documented_rules():
    got = actions(regions.priority_table(table_of()))
    # Whole growth: (300 + 100 + 90 + 5) / (200 + 125 + 50 + 5) - 1 = +30%; late 40/400 = 10%.
    assert got == {
        "W": "grow: large, growing faster than the whole (+50% vs +30%)",  # share .6 >= 1/4
        "X": "fix delivery first: late rate 3.0x average",  # .3 against .1
        "Y": "test: small, growing faster than the whole (+80% vs +30%)",
        "Z": "watch: too few orders to judge",  # 10 orders
    }


def test_actions_retain_defend_and_deprioritise():
    late = {"late_orders": [5, 5, 5, 0], "late_rate": [0.05, 0.05, 0.05, 0.0]}
    got = actions(regions.priority_table(table_of(**late)))
    # X: share .25 = 1/4 is large; returning orders -5 points; revenue 100 against 125.
    assert got["X"] == "retain: large, shrinking (-20%), returning-customer orders down 5 points"
    steady = table_of(**late, repeat_change=[0.0, 0.0, 0.01, 0.0])
    # A fall reads as shrinking, never as "growing slower than the rest".
    assert actions(regions.priority_table(steady))["X"] == "defend: large, shrinking (-20%)"
    shrinking = table_of(
        **late,
        orders=[500, 300, 100, 30],
        customers=[400, 250, 90, 25],
        growth=[0.5, -0.2, 0.8, -0.1],
    )
    assert (
        actions(regions.priority_table(shrinking))["Z"] == "deprioritise: small, shrinking (-10%)"
    )


def test_a_region_holding_most_delivered_orders_is_judged_late_against_the_rest():
    """W delivers 3,000 of 4,000 orders, 290 late (9.7%), against 8.75% over all: by the
    binomial within chance of an average it makes up (z 1.78, under critical(3)), but the
    others are 6% late (60 of 1,000) and Fisher's exact test of W against them is far beyond
    chance (recounted with scipy): late beyond chance, under twice the average, said after
    its verdict, as the Delivery page names seller state SP."""
    table = table_of(
        delivered_orders=[3000, 400, 400, 200],
        late_orders=[290, 24, 24, 12],
        late_rate=[290 / 3000, 0.06, 0.06, 0.06],
    )
    p = fisher_exact([[290, 2710], [60, 940]], alternative="greater").pvalue
    assert p < 0.05 / 3
    z = (290 / 3000 - 350 / 4000) / math.sqrt(350 / 4000 * (1 - 350 / 4000) / 3000)
    assert 1.7 < z < 1.8
    assert actions(regions.priority_table(table))["W"].endswith("; late 1.1x")


WHOLE = {"growth": 0.20, "late_rate": 0.10, "regions": 4.0}  # large: share >= 25%


def region(**figures) -> dict:
    """A region's figures; its growth interval is the figure alone (as sure as it gets) unless
    given."""
    base = {"region": "R", "orders": 100, "customers": 80, "share": 0.5, "growth": 0.3}
    base["late_rate"] = 0.1
    out = {**base, "repeat_change": 0.0, **figures}
    return {"growth_low": out["growth"], "growth_high": out["growth"], **out}


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        ({"growth": -0.31}, "defend: large, shrinking (-31%)"),
        ({"growth": 0.10}, "defend: large, growing slower than the whole (+10% vs +20%)"),
        ({"growth": 0.01}, "defend: large, flat (+1.0%)"),
        ({"growth": -0.015}, "defend: large, flat (-1.5%)"),
        ({"growth": 0.30}, "grow: large, growing faster than the whole (+30% vs +20%)"),
        (
            {"share": 0.1, "growth": 0.30},
            "test: small, growing faster than the whole (+30% vs +20%)",
        ),
        ({"share": 0.1, "growth": -0.05}, "deprioritise: small, shrinking (-5%)"),
        (
            {"share": 0.1, "growth": 0.05},
            "maintain: small, growing slower than the whole (+5% vs +20%)",
        ),
        ({"share": 0.1, "growth": 0.0}, "maintain: small, flat (+0.0%)"),
        ({"share": 0.1, "growth": None}, "watch: no growth figure"),
        ({"growth": None}, "defend: large, no growth figure"),
        ({"orders": 19, "growth": 2.0}, "watch: too few orders to judge"),
        # 3 wholesalers with 100 orders: their habits, not the region's.
        ({"customers": 3, "growth": 2.0}, "watch: too few customers to judge (3)"),
        ({"customers": 19}, "watch: too few customers to judge (19)"),
        ({"customers": 20}, "grow: large, growing faster than the whole (+30% vs +20%)"),
        (
            {"late_rate": 0.25, "delivered_orders": 100, "late_orders": 25},
            "fix delivery first: late rate 2.5x average",  # 95% interval 17.5%-34.3%
        ),
        # Over 2x the 10% average, but not beyond chance: 5 late of 24 (9.2%-40.5%) reaches
        # below the average; 7 of 19 (19.1%-59.0%) are too few delivered orders to judge.
        (
            {"late_rate": 5 / 24, "delivered_orders": 24, "late_orders": 5},
            "grow: large, growing faster than the whole (+30% vs +20%)",
        ),
        (
            {"late_rate": 7 / 19, "delivered_orders": 19, "late_orders": 7},
            "grow: large, growing faster than the whole (+30% vs +20%)",
        ),
        ({"region": regions.NO_REGION}, "watch: no region recorded"),
        # Olist's SE: 3 orders, then 11: the earlier window is the thin one, not the recent.
        (
            {"share": 0.1, "growth": 2.67, "growth_reliable": False},
            "watch: fewer than 20 orders in a compared window for a growth figure",
        ),
        (
            {"growth": 2.67, "growth_reliable": False},
            "defend: large, fewer than 20 orders in a compared window for a growth figure",
        ),
        (
            {"growth": -0.4, "repeat_change": -0.03, "repeat_change_z": -2.5},
            "retain: large, shrinking (-40%), returning-customer orders down 3 points",
        ),
        # Olist's MG: 7 of 92 against 15 of 112, down 6 points but z = -1.33 alone: chance.
        (
            {"growth": -0.4, "repeat_change": -0.058, "repeat_change_z": -1.33},
            "defend: large, shrinking (-40%)",
        ),
        ({"growth": -0.4, "repeat_change": -0.03}, "defend: large, shrinking (-40%)"),
    ],
)
def test_region_action_words_match_the_figures(figures, expected):
    assert regions.region_action(region(**figures), WHOLE) == expected


def test_a_region_above_a_shrinking_whole_grows_only_when_it_grows_itself():
    falling = {**WHOLE, "growth": -0.27}
    assert regions.region_action(region(share=0.1, growth=0.05), falling) == (
        "test: small, growing faster than the whole (+5% vs -27%)"
    )
    # -10% beats the whole's -27% but is still a fall: no "growing" in its words.
    assert regions.region_action(region(share=0.1, growth=-0.10), falling) == (
        "deprioritise: small, shrinking (-10%)"
    )
    assert regions.region_action(region(growth=-0.10), falling) == "defend: large, shrinking (-10%)"


def test_growth_from_few_effective_orders_is_judged_by_students_t_across_the_regions():
    """Y's log ratio lies 4.5 standard errors above +2%, its interval's width set at 3 degrees
    of freedom. Among four regions Holm's first step needs a tail of 0.00625 or less; t = 4.5
    at 3 degrees of freedom leaves 0.010 (scipy): within chance. Read as a normal interval
    (no degrees of freedom in the table) the same ends would pass, as 'growing'."""
    from scipy.stats import t

    se, t975 = 0.1, t.ppf(0.975, 3)
    centre = math.log(1.02) + 4.5 * se
    assert t.sf(4.5, 3) > 0.00625 and NormalDist().cdf(-4.5 * 1.959964 / t975) < 0.00625
    low, high = math.exp(centre - t975 * se) - 1, math.exp(centre + t975 * se) - 1
    growth = math.exp(centre) - 1
    table = table_of(
        growth=[0.0, 0.0, growth, 0.0],
        growth_low=[0.0, 0.0, low, 0.0],
        growth_high=[0.0, 0.0, high, 0.0],
        growth_df=[50.0, 50.0, 3.0, 50.0],
    )
    exact = regions.families(table)
    words = regions.growth_words(growth, None, low, high, exact, df=3.0)
    # Its own interval clears +2%: within chance across the regions, and said so.
    assert words == (
        f"no clear change across regions: {fmt.change(growth)} ({fmt.change(low)} to "
        f"{fmt.change(high)} alone)"
    )
    normal = regions.families(table.drop("growth_df"))
    assert (
        regions.growth_words(growth, None, low, high, normal) == f"growing ({fmt.change(growth)})"
    )


@pytest.mark.parametrize(
    "growth", [-0.9, -0.31, -0.0201, -0.02, -0.0199, 0.0, 0.0199, 0.02, 0.0201, 0.1, 0.5, 3.0]
)
def test_growth_words_follow_the_sign_and_size_of_growth(growth):
    # Growth known for sure (its interval the figure alone): exactly 2% either way sits on the
    # flat band's edge, neither flat nor clear of it.
    words = regions.growth_words(growth, 0.2, growth, growth)
    assert ("shrinking" in words) == (growth < -0.02)
    assert ("growing" in words) == (growth > 0.02)
    assert ("flat" in words) == (-0.02 < growth < 0.02)
    assert ("slower" in words) == (0.02 < growth < 0.2)


@pytest.mark.parametrize(
    ("growth", "whole", "expected"),
    [
        (0.151681, 0.1524, "growing slower than the whole (+15.17% vs +15.24%)"),
        (0.1544, 0.1512, "growing faster than the whole (+15.4% vs +15.1%)"),
        (0.15, 0.15, "growing, as fast as the whole within chance (+15% vs +15%)"),
    ],
)
def test_growth_words_show_the_two_figures_apart_or_say_about_as_fast(growth, whole, expected):
    assert regions.growth_words(growth, whole, growth, growth) == expected


def test_a_fall_within_chance_of_the_wholes_fall_is_said_to_be_the_wholes():
    # Olist's SP: -31% (its interval well below flat) while every region together fell 27%.
    assert regions.growth_words(-0.31, -0.27, -0.40, -0.20) == (
        "shrinking, as the whole within chance (-31% vs -27%)"
    )
    # Apart from the whole's fall, or while the whole grew: a fall, said alone.
    assert regions.growth_words(-0.31, -0.05, -0.40, -0.20) == "shrinking (-31%)"
    assert regions.growth_words(-0.31, 0.10, -0.40, -0.20) == "shrinking (-31%)"


def test_growth_up_beyond_chance_but_not_clearly_by_two_percent_is_no_clear_change():
    """The marketplace demo's SP: +14%, anywhere from +1% to +28%, was "change within chance",
    though its interval lies above 0; it is only not clearly up by the 2% called flat."""
    assert regions.growth_words(0.14, None, 0.01, 0.28) == (
        "no clear change: +14% (anywhere from +1% to +28%)"
    )


def test_readings_never_name_lines_without_a_region_as_a_region():
    """Z's lines carry no region: they count in the whole (W's 600 is 60.0% of 1,000), but the
    three regions left are all the top three, and nothing is 'to watch' beyond them."""
    unplaced = table_of(region=["W", "X", "Y", regions.NO_REGION])
    assert regions.metric_reading(unplaced, "revenue") == (
        "W has the most revenue (600, 60.0% of the total, among 3 regions)."
    )
    # The most per order, with enough orders (10 each side of MIN_ORDERS), is no region's 5.0:
    # Y's 1.4 leads the regions.
    pricey = table_of(
        region=["W", "X", "Y", regions.NO_REGION],
        orders=[500, 300, 100, 100],
        aov=[1.2, 0.8, 1.4, 5.0],
    )
    assert regions.metric_reading(pricey, "aov").startswith(
        f"Among regions with {regions.MIN_ORDERS} orders or more, Y spends the most per order"
    )
    # Five rows, the fifth without a region: W, X, Y hold 99% of 1,010; past them Z alone.
    five = pl.concat([table_of(), unplaced.tail(1)])
    assert regions.metric_reading(five, "revenue").endswith(
        "the top three regions have 98.0%: concentrated, and no other region is one to grow or "
        "test in the priority table (of the other 1: 1 to watch)."
    )


def test_a_region_named_in_thousands_of_characters_is_clipped_in_the_readings():
    """'RRR…(10,000 characters) has the most revenue'; the table keeps the name whole."""
    long = "R" * 10_000
    named = table_of(region=[long, "X", "Y", regions.NO_REGION])
    assert regions.metric_reading(named, "revenue") == (
        f"{'R' * 79}… has the most revenue (600, 60.0% of the total, among 3 regions)."
    )


def test_lines_without_a_region_come_last_in_the_priority_table_without_a_rank():
    """Every region too small to judge (5 orders each), and the most revenue without a region:
    by score alone that row would rank first and be 'the best placed'."""
    few = table_of(region=[regions.NO_REGION, "X", "Y", "Z"], orders=[5, 5, 5, 5])
    ranked = regions.priority_table(few)
    assert sorted(ranked["region"].head(3)) == ["X", "Y", "Z"]
    assert ranked["region"][3] == regions.NO_REGION
    assert ranked["rank"].to_list() == [1, 2, 3, None]
    # No score either, and no part in the regions' percentiles: theirs are those of the three
    # ranked alone.
    assert ranked["score"][3] is None
    places = few.filter(pl.col("region") != regions.NO_REGION)
    assert scores(ranked.head(3)) == scores(regions.priority_table(places))
    best = ranked["region"][0]
    assert regions.tied_first(ranked)["region"].to_list() == [best]
    assert regions.priority_reading(ranked).startswith(
        f"No region calls for marketing money now: the best placed, {best}, is to watch: too "
        "few orders to judge"
    )
    # One region and lines without one: a ranking of one region.
    one = regions.priority_table(few.head(2))
    assert regions.market_first(one) is None
    assert regions.priority_reading(one).startswith(
        "The data has one region, X: a ranking of one region sets no priority."
    )


def test_concentrated_revenue_points_past_the_top_three_only_to_regions_to_grow_or_test():
    # W 600, X 250, Y 140 hold 99% of 1,000; Z (10 orders) is to watch, so none to test.
    assert regions.metric_reading(table_of(), "revenue").endswith(
        "the top three regions have 99.0%: concentrated, and no other region is one to grow or "
        "test in the priority table (of the other 1: 1 to watch)."
    )
    # Y (+80% against +30%, small) is to test; W, X and Z have 95%.
    fourth = table_of(revenue=[600.0, 200.0, 50.0, 150.0], share=[0.6, 0.2, 0.05, 0.15])
    assert actions(regions.priority_table(fourth))["Y"].startswith("test:")
    assert regions.metric_reading(fourth, "revenue").endswith(
        "the top three regions have 95.0%: concentrated; beyond them the priority table says to "
        "grow or test in Y."
    )
    # Three regions are all the top three: no concentration to read (600 of 990 is 60.6%).
    assert regions.metric_reading(table_of().head(3), "revenue") == (
        "W has the most revenue (600, 60.6% of the total, among 3 regions)."
    )


def test_a_shrinking_small_region_never_outranks_a_region_to_market_in():
    # D scores best on order value and repeat rate, but is small and shrinking (Germany's case).
    table = table_of(
        region=["UK", "NO", "DE", "Z"],
        aov=[1.0, 1.1, 5.0, 0.5],
        repeat_rate=[0.2, 0.1, 0.9, 0.0],
        growth=[-0.15, 0.9, -0.3, 0.0],
        orders=[500, 30, 100, 30],
        share=[0.85, 0.05, 0.09, 0.01],
        late_orders=[5, 5, 5, 5],
        late_rate=[0.05] * 4,
    )
    weights = regions.Weights(**{**ONLY, "value": 1, "repeat": 1})
    ranked = regions.priority_table(table, weights)
    assert max(scores(ranked), key=scores(ranked).get) == "DE"
    got = actions(ranked)
    assert got["DE"] == "deprioritise: small, shrinking (-30%)"
    assert ranked["region"].to_list()[-1] == "DE"
    assert ranked["region"][0] != "DE"
    reading = regions.priority_reading(ranked)
    # UK and NO tie: order value 1/3 + repeat 2/3 against 2/3 + 1/3, both 50.
    assert reading.startswith("Market first in UK and NO, tied (score 50/100")


def tied_ranking(scores: list[float], action: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "rank": [1, 2, 3],
            "region": ["UK", "DE", "FR"],
            "score": scores,
            "action": [action] * 3,
            "share": [0.5, 0.3, 0.2],
            "revenue": [500.0, 300.0, 200.0],
            "orders": [50, 30, 20],
            "growth": [None, None, None],
        }
    )


def test_regions_tied_with_rank_one_on_the_shown_score_are_named_together():
    grow = "grow: large, growing faster than the whole (+30% vs +20%)"
    # 77.4 and 76.6 both show as 77; FR's 76.4 shows as 76.
    assert regions.priority_reading(tied_ranking([77.4, 76.6, 76.4], grow)) == (
        "Market first in UK and DE, tied (score 77/100; their order in the table is no "
        f"preference). UK is to {grow}; 50.0% of revenue (500), 50 orders. DE is to {grow}; "
        "30.0% of revenue (300), 30 orders. Also growing faster than the whole: FR."
    )
    watch = "watch: too few orders to judge"
    assert regions.priority_reading(tied_ranking([40.0, 40.0, 40.0], watch)) == (
        "No region calls for marketing money now: the best placed, UK, DE and FR, tie (score "
        f"40/100; their order in the table is no preference). UK is to {watch}; 50.0% of revenue "
        f"(500), 50 orders. DE is to {watch}; 30.0% of revenue (300), 30 orders. FR is to "
        f"{watch}; 20.0% of revenue (200), 20 orders."
    )
    # Different tiers never tie: rank 1 alone, whatever the score.
    mixed = tied_ranking([40.0, 40.0, 40.0], watch).with_columns(
        pl.Series("action", [grow, watch, watch])
    )
    assert regions.priority_reading(mixed).startswith("Market first in UK (rank 1, score 40/100)")


def test_the_reading_quotes_rank_one_its_action_and_its_figures():
    ranked = regions.priority_table(table_of())
    # W's percentiles: revenue 1 (x 3), growth 2/3 (x 2: above flat Z and falling X, below
    # Y), order value 2/3, repeat rate 2/3, late rate 1/2 (tied with Y): 6.17 / 8 = 77%.
    assert regions.priority_reading(ranked, months=3, currency="GBP") == (
        "Market first in W (rank 1, score 77/100): grow: large, growing faster than the whole "
        "(+50% vs +30%); 60.0% of revenue (£600), 500 orders, revenue +50% in the last 3 months "
        "against the 3 before. Also growing faster than the whole: Y. Fix delivery before "
        "spending in X."
    )


def test_market_first_is_rank_one_only_when_its_action_calls_for_marketing():
    ranked = pl.DataFrame(
        {
            "rank": [1, 2],
            "region": ["UK", "DE"],
            "score": [60.0, 84.0],
            "action": ["defend: large, shrinking (-15%)", "deprioritise: small, shrinking (-30%)"],
            "share": [0.9, 0.03],
            "revenue": [900.0, 30.0],
            "orders": [300, 25],
            "growth": [-0.15, -0.3],
        }
    )
    assert regions.market_first(ranked)["region"] == "UK"
    assert regions.priority_reading(ranked).startswith("Market first in UK (rank 1, score 60/100)")
    only_watch = ranked.with_columns(pl.lit("watch: too few orders to judge").alias("action"))
    assert regions.market_first(only_watch) is None
    assert regions.priority_reading(only_watch).startswith(
        "No region calls for marketing money now: the best placed, UK, is to watch"
    )


def test_brazilian_state_codes_and_names_match_the_states():
    match = regions.match_regions(["SP", "rj", " Minas Gerais", "São Paulo", "XX"])
    assert match.reference == "br_states"
    places = dict(zip(match.places["region"], match.places["label"], strict=True))
    assert places == {"SP": "SP", "rj": "RJ", " Minas Gerais": "MG", "São Paulo": "SP"}
    assert match.unmatched == ("XX",)


def test_us_state_names_and_codes_match_the_states_and_olist_stays_brazilian():
    match = regions.match_regions(["California", "TX", "new york", "Washington DC", "West"])
    assert match.reference == "us_states"
    places = dict(zip(match.places["region"], match.places["label"], strict=True))
    assert places == {"California": "CA", "TX": "TX", "new york": "NY", "Washington DC": "DC"}
    assert match.unmatched == ("West",)
    # AL, MA, MT, PA and SC are Brazilian and US codes alike: 27 UFs are Brazil's.
    brazil = regions.reference_places("br_states")["label"].unique().to_list()
    assert regions.match_regions(brazil).reference == "br_states"


def test_country_names_aliases_and_codes_match_countries_and_unknowns_are_listed():
    match = regions.match_regions(
        ["United Kingdom", "EIRE", "RSA", "France", "USA", "de", "Unspecified", "Atlantis"]
    )
    assert match.reference == "countries"
    places = dict(zip(match.places["region"], match.places["place"], strict=True))
    assert places["EIRE"] == "Ireland"
    assert places["RSA"] == "South Africa"
    assert places["de"] == "Germany"
    assert places["USA"] == "USA"
    assert match.unmatched == ("Atlantis", "Unspecified")


def test_every_online_retail_country_but_unspecified_has_a_place():
    countries = [
        "United Kingdom",
        "EIRE",
        "France",
        "Germany",
        "Spain",
        "Netherlands",
        "Belgium",
        "Switzerland",
        "Portugal",
        "Australia",
        "Norway",
        "Italy",
        "Channel Islands",
        "Finland",
        "Cyprus",
        "Sweden",
        "Austria",
        "Denmark",
        "Japan",
        "Poland",
        "Israel",
        "USA",
        "Hong Kong",
        "Singapore",
        "Iceland",
        "Canada",
        "Greece",
        "Malta",
        "United Arab Emirates",
        "European Community",
        "Lebanon",
        "Lithuania",
        "Brazil",
        "Czech Republic",
        "Bahrain",
        "Saudi Arabia",
        "RSA",
        "Unspecified",
    ]
    match = regions.match_regions(countries)
    assert match.reference == "countries"
    assert match.unmatched == ("Unspecified",)
    assert match.places.height == len(countries) - 1


def test_regions_are_named_as_the_map_names_them_with_the_datas_value_kept():
    table = pl.DataFrame(
        {"region": ["United Kingdom", "EIRE", "Atlantis"], "revenue": [9.0, 2.0, 1.0]}
    )
    named = regions.with_names(table, regions.match_regions(table["region"]).places)
    assert named.columns == ["region", "code", "revenue"]
    assert named.rows() == [
        ("United Kingdom", "United Kingdom", 9.0),
        ("Ireland", "EIRE", 2.0),
        ("Atlantis", "Atlantis", 1.0),  # no place: its own value
    ]
    # Brazilian state codes are the map's labels: nothing to add.
    states = pl.DataFrame({"region": ["SP", "RJ"], "revenue": [2.0, 1.0]})
    places = regions.match_regions(states["region"]).places
    assert regions.with_names(states, places).equals(states)


def test_portuguese_districts_match_with_or_without_accents():
    names = ["Lisboa", "Porto", "Évora", "Acores", "Madeira", "Setubal", "PT-13"]
    match = regions.match_regions(names)
    assert match.reference == "pt_districts"
    assert match.unmatched == ()
    assert dict(zip(match.places["region"], match.places["place"], strict=True))["Acores"] == (
        "Açores"
    )
    assert regions.reference_places("pt_districts")["place"].n_unique() == 20


def test_nothing_known_leaves_every_region_unmatched():
    match = regions.match_regions(["North", "South"])
    assert match.reference == "" and match.places.height == 0
    assert match.unmatched == ("North", "South")


def marketplace():
    return formats.assemble_demo("marketplace").dataset


def test_the_map_deck_builds_offline_with_labels_and_tooltips():
    ds = marketplace()
    table = regions.regional_table(regions.regional_lines(ds), ds.tables["orders"])
    ranked = regions.priority_table(table)
    points = maps.tooltips(
        regions.map_points(ranked, regions.match_regions(table["region"])), "BRL"
    )
    deck = maps.region_deck(points, "revenue", density=regions.customer_points(ds, limit=500))
    text = deck.to_json()
    assert "mapbox" not in text.lower() and "carto" not in text.lower()
    assert "http" not in text
    spec = json.loads(text)
    kinds = [layer["@@type"] for layer in spec["layers"]]
    assert kinds == ["GeoJsonLayer", "GeoJsonLayer", "LineLayer", "HexagonLayer", "TextLayer"]
    labels = {r["label"] for r in spec["layers"][-1]["data"]}
    assert {"SP", "RJ", "MG"} <= labels
    assert spec["layers"][-1]["characterSet"] == "auto"  # accents (Évora) need it
    assert "R$" in points.filter(pl.col("region") == "SP")["tooltip"][0]


def test_labels_that_would_overlap_a_bigger_regions_label_are_left_off():
    records = [  # biggest first, as the deck orders them
        {"lat": 50.0, "lon": 0.0, "label": "Big"},
        {"lat": 50.0, "lon": 0.1, "label": "Near"},  # 0.1 degree east of Big
        {"lat": 30.0, "lon": 0.0, "label": "Far"},  # 20 degrees south
    ]
    # At zoom 3 a degree of longitude is 256 * 8 / 360 = 5.7 px: Near sits 0.6 px from Big.
    assert [r["label"] for r in maps.readable_labels(records, 3.0)] == ["Big", "Far"]
    # At zoom 12 it is 11,650 px per degree: Near is 1,165 px away, wider than both labels.
    assert [r["label"] for r in maps.readable_labels(records, 12.0)] == ["Big", "Near", "Far"]


def test_growth_colours_diverge_around_zero():
    points = pl.DataFrame({"growth": [-0.5, 0.0, 0.5, None]})
    got = maps.coloured(points, "growth")
    assert got.row(0, named=True)["r"] == maps.NEGATIVE[0]  # the largest fall is fully red
    assert got.row(2, named=True)["g"] == maps.POSITIVE[1]
    assert got.row(1, named=True)["r"] == maps.NEUTRAL[0]
    assert got["size"].to_list() == [1.0, 0.0, 1.0, 0.0]


def test_the_growth_map_colours_only_growth_from_enough_orders():
    """Audit (real Olist): SE, 3 orders then 11, saturated the growth map at +388% while SP's
    fall, the only one beyond chance, was drawn nearly neutral: growth from too few orders is
    grey, as without a figure, the scale set by the others, and its tooltip says why."""
    points = pl.DataFrame(
        {
            "region": ["SP", "SE", "RJ"],
            "growth": [-0.31, 3.88, 0.1],
            "growth_reliable": [True, False, True],
        }
    )
    got = maps.coloured(regions.reliable_growth(points), "growth")
    se = got.row(1, named=True)
    assert (se["r"], se["g"], se["b"]) == maps.NEUTRAL
    # SP's fall is now the largest magnitude: fully red, RJ at a third of it.
    assert got.row(0, named=True)["r"] == maps.NEGATIVE[0]
    assert got["size"].to_list() == pytest.approx([1.0, 0.0, 0.1 / 0.31])
    # Without the column nothing changes.
    assert regions.reliable_growth(points.drop("growth_reliable"))["growth"][1] == 3.88
    table = points.with_columns(
        place=pl.col("region"),
        revenue=pl.lit(100.0),
        share=pl.lit(0.1),
        customers=pl.lit(5),
        orders=pl.lit(5),
        aov=pl.lit(20.0),
    )
    tips = maps.tooltips(table, "BRL")["tooltip"].to_list()
    assert "Growth +388% (too few orders) · AOV" in tips[1]
    assert "(too few orders)" not in tips[0] and "Growth -31%" in tips[0]


def test_a_data_set_without_regions_gives_no_regional_lines():
    ds = formats.assemble_demo("webshop").dataset
    assert regions.regional_lines(ds) is None
    with pytest.raises(ValueError, match="region"):
        regions.headless(ds)


def test_a_region_written_as_unknown_or_blank_is_no_region():
    ds = formats.assemble_demo("retail").dataset
    lines = (
        ds.tables["lines"]
        .head(5)
        .with_columns(pl.Series("region", ["France", " Unspecified", "UNKNOWN", "  ", None]))
    )
    got = regions.regional_lines(ds.with_tables(lines=lines))["region"].to_list()
    assert got == ["France", *[regions.NO_REGION] * 4]


def test_real_online_retail_unspecified_country_is_no_place_to_market_in():
    """Online Retail's Country 'Unspecified': 13 invoices, £4,749.79 of lines (none cancelled),
    counted by hand from the file; no region of that name is ranked or named to grow."""
    path = shared_file("online_retail/online_retail.parquet")
    raw = pl.read_parquet(path).filter(pl.col("Country") == "Unspecified")
    out = regions.headless(formats.assemble(io.read_path(path)).dataset)["regions"]
    assert "Unspecified" not in out["region"].to_list()
    row = out.filter(pl.col("region") == regions.NO_REGION).row(0, named=True)
    assert row["orders"] == raw["InvoiceNo"].n_unique() == 13
    assert row["revenue"] == pytest.approx((raw["Quantity"] * raw["UnitPrice"]).sum())
    assert row["action"] == "watch: no region recorded"


def test_headless_returns_the_ranked_regions_with_places():
    out = regions.headless(marketplace(), months=6, w_size=1, w_growth=0)
    assert out["regions"]["rank"].to_list() == list(range(1, 28))
    assert out["regions"]["lat"].null_count() == 0
    assert out["unmatched"].height == 0


OLIST = "olist/subset_cab-g_8135_orders/"


def olist_paths(*more: str) -> list:
    """The real Olist subset's orders, items and customers files (then `more` of its files)."""
    names = (
        "olist_orders_dataset.csv.gz",
        "olist_order_items_dataset.csv.gz",
        "olist_customers_dataset.csv.gz",
        *more,
    )
    return [shared_file(OLIST + name) for name in names]


def raw_olist(paths) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Orders (sales only: cancelled and unavailable orders sold nothing), items, customers."""
    orders = pl.read_csv(paths[0], infer_schema_length=0).filter(
        ~pl.col("order_status").is_in(["canceled", "unavailable"])
    )
    items = pl.read_csv(paths[1], infer_schema_length=0)
    customers = pl.read_csv(paths[2], infer_schema_length=0)
    return orders, items, customers


def window_growth(monthly: pl.DataFrame, last: datetime, months: int = 3) -> pl.DataFrame:
    """Growth per `key` from (key, month, revenue): the last `months` full calendar months up to
    `last` (the latest order) against the `months` before, computed by hand."""
    index = last.year * 12 + last.month - 1
    if (last + timedelta(days=1)).month == last.month:  # the latest month is not complete
        index -= 1
    starts = [datetime(i // 12, i % 12 + 1, 1) for i in range(index - 2 * months + 1, index + 1)]
    previous, current = starts[:months], starts[months:]
    return (
        monthly.group_by("key")
        .agg(
            pl.col("revenue").filter(pl.col("month").is_in(current)).sum().alias("last"),
            pl.col("revenue").filter(pl.col("month").is_in(previous)).sum().alias("prev"),
        )
        .with_columns((pl.col("last") / pl.col("prev") - 1).alias("growth"))
    )


def test_real_olist_revenue_and_customers_per_state_match_the_raw_files():
    paths = olist_paths()
    ds = formats.assemble([t for p in paths for t in io.read_path(p)]).dataset
    table = regions.regional_table(regions.regional_lines(ds), ds.tables["orders"])

    orders, items, customers = raw_olist(paths)
    expected = (
        items.join(orders.select("order_id", "customer_id"), on="order_id")
        .join(customers, on="customer_id")
        .group_by("customer_state")
        .agg(
            pl.col("price").cast(pl.Float64).sum().alias("revenue"),
            pl.col("customer_unique_id").n_unique().alias("customers"),
        )
    )
    for state in ("SP", "RJ", "MG"):
        want = expected.filter(pl.col("customer_state") == state).row(0, named=True)
        got = row(table, state)
        assert got["revenue"] == pytest.approx(want["revenue"], abs=0.01), state
        assert got["customers"] == want["customers"], state


def olist_regions() -> tuple[pl.DataFrame, pl.DataFrame]:
    """The real Olist subset's regions table (headless) and its raw item lines with their order's
    purchase time and customer state, read with plain polars."""
    paths = olist_paths("olist_order_reviews_dataset.csv.gz")
    ds = formats.assemble([t for p in paths for t in io.read_path(p)]).dataset
    orders, items, customers = raw_olist(paths)
    lines = items.join(
        orders.select("order_id", "customer_id", "order_purchase_timestamp"), on="order_id"
    ).join(customers.select("customer_id", "customer_state"), on="customer_id")
    return regions.headless(ds)["regions"], lines


def test_real_olist_sao_paulo_falls_31_percent_and_its_action_says_shrinking():
    ranked, raw = olist_regions()
    lines = raw.select(
        pl.col("customer_state").alias("key"),
        pl.col("order_purchase_timestamp").str.to_datetime().alias("at"),
        pl.col("price").cast(pl.Float64).alias("revenue"),
    )
    monthly = lines.group_by("key", pl.col("at").dt.truncate("1mo").alias("month")).agg(
        pl.col("revenue").sum()
    )
    growth = window_growth(monthly, lines["at"].max())
    sp = growth.filter(pl.col("key") == "SP").row(0, named=True)
    assert sp["growth"] == pytest.approx(-0.314, abs=0.001)  # Jun-Aug 2018 vs Mar-May 2018

    got = row(ranked, "SP")
    assert got["growth"] == pytest.approx(sp["growth"])
    # Every region together fell 27% (the same windows, all lines): SP's fall is the whole's
    # within chance, and said so (audit, helper 164: it read "shrinking" alone, and ranked 6th).
    whole = window_growth(monthly.with_columns(pl.lit("all").alias("key")), lines["at"].max())
    assert whole["growth"].sum() == pytest.approx(-0.27, abs=0.005)
    assert got["action"] == "defend: large, shrinking, as the whole within chance (-31% vs -27%)"
    for r in ranked.filter(pl.col("growth") < -regions.FLAT).iter_rows(named=True):
        assert "growing" not in r["action"], r["region"]
    # Growth from fewer than 20 orders in either compared window is noise: shown, but no action
    # or reading rests on it (SE: 3 orders, then 11, "+388%"; MT: 9, then 13).
    window = raw.with_columns(
        pl.col("order_purchase_timestamp").str.to_datetime().dt.truncate("1mo").alias("month")
    ).filter(pl.col("month").is_between(datetime(2018, 3, 1), datetime(2018, 8, 1)))
    june = pl.col("month") >= datetime(2018, 6, 1)
    per_window = window.group_by("customer_state").agg(
        pl.col("order_id").filter(~june).n_unique().alias("before"),
        pl.col("order_id").filter(june).n_unique().alias("after"),
    )
    counts = {r[0]: min(r[1], r[2]) for r in per_window.rows()}
    few = {r for r in ranked["region"] if counts.get(r, 0) < regions.MIN_ORDERS}
    assert {r[0]: r[1:] for r in per_window.rows()}["MT"] == (9, 13)
    assert {"SE", "MT"} <= few
    assert few == set(ranked.filter(~pl.col("growth_reliable"))["region"])
    for r in ranked.filter(pl.col("region").is_in(few)).iter_rows(named=True):
        assert "growing" not in r["action"] and "shrinking" not in r["action"], r["region"]
    first = ranked.row(0, named=True)
    assert first["action"].split(":")[0] in regions.MARKETING_ACTIONS
    # Growth is scored against the whole's: no region is apart from it beyond chance, so by
    # growth alone every region ties (50), those with too few orders unknown (50 too). Against
    # flat, SP's fall, the only one clear of it, had scored 0 and ranked SP 6th of the six
    # large regions, below MG, RS and SC, which fell further within chance.
    alone = regions.priority_table(ranked.drop("score", "rank", "action"), growth_only())
    assert set(alone["score"]) == {50.0}
    assert regions.leading(ranked)["region"].to_list() == ["MG"]
    assert ranked["region"].to_list()[:2] == ["MG", "SP"]


def test_real_olist_says_faster_than_the_whole_only_beyond_chance():
    """Audit: 'Also growing faster than the whole: DF, ES, CE and MT' came from about 20 orders
    a quarter, every interval including the whole's -27% (one ES order is half of its last
    quarter). PE's +114% lies above the whole by its own 95% interval, though its own growth
    is within chance; but it is 1 of the 11 regions with 20 orders in each window, and Holm's
    step-down over their distances from the whole's growth (recomputed here from the raw
    files) leaves it within chance: no 'test', said so in its action."""
    ranked, raw = olist_regions()
    per_order = (
        raw.with_columns(
            pl.col("order_purchase_timestamp").str.to_datetime().dt.truncate("1mo").alias("m"),
            pl.col("price").cast(pl.Float64),
        )
        .filter(pl.col("m").is_between(datetime(2018, 3, 1), datetime(2018, 8, 1)))
        .group_by("customer_state", "order_id")
        .agg(pl.col("price").sum(), (pl.col("m").min() >= datetime(2018, 6, 1)).alias("late"))
    )

    def interval(state: str) -> tuple[float, float]:
        mine = per_order.filter(pl.col("customer_state") == state)
        cur = mine.filter("late")["price"].to_list()
        prev = mine.filter(~pl.col("late"))["price"].to_list()
        return growth_interval(cur, prev)

    whole = regions.totals(ranked)["growth"]
    assert whole == pytest.approx(-0.27, abs=0.005)
    for state in ("DF", "ES", "CE", "MT"):
        low, high = interval(state)
        assert low < whole < high, state  # the whole's -27% lies inside
        assert row(ranked, state)["action"].split(":")[0] not in ("grow", "test"), state
    low, high = interval("PE")
    pe = row(ranked, "PE")
    assert (pe["growth_low"], pe["growth_high"]) == pytest.approx((low, high))
    assert whole < low < 0.02  # above the whole by its own interval, its own growth within chance

    # The family: states with 20 orders or more in each window, each one's log growth against
    # log(1 + the whole's) in standard errors, Holm at 5% two-sided.
    windows = per_order.group_by("customer_state").agg(
        pl.col("late").sum().alias("after"), (~pl.col("late")).sum().alias("before")
    )
    compared = windows.filter((pl.col("after") >= 20) & (pl.col("before") >= 20))
    everyone = per_order.group_by("late").agg(pl.col("price").sum())
    sums = dict(everyone.iter_rows())
    assert whole == pytest.approx(sums[True] / sums[False] - 1)
    p_values = {}
    for state in compared["customer_state"]:
        mine = per_order.filter(pl.col("customer_state") == state)
        cur = mine.filter("late")["price"].to_list()
        prev = mine.filter(~pl.col("late"))["price"].to_list()
        se = math.sqrt(
            sum(x * x for x in cur) / sum(cur) ** 2 + sum(x * x for x in prev) / sum(prev) ** 2
        )
        gap = (math.log(sum(cur) / sum(prev)) - math.log(1 + whole)) / se
        p_values[state] = 2 * NormalDist().cdf(-abs(gap))
    m = len(p_values)
    assert m == 11 and p_values["PE"] < 0.05  # alone, above the whole beyond chance
    passed, ordered = set(), sorted(p_values, key=p_values.get)
    for k, state in enumerate(ordered):
        if p_values[state] > 0.05 / (m - k):
            break
        passed.add(state)
    assert "PE" not in passed
    assert pe["action"] == "maintain: small, no clear change: +114% (anywhere from -8% to +401%)"
    reading = regions.priority_reading(ranked)
    assert "DF" not in reading and "ES" not in reading and "CE" not in reading
    assert "Also growing faster than the whole" not in reading
    assert (
        ". PE (+114% vs -27%) grows faster than the whole by its own 95% interval, but with 11 "
        "regions compared, one this far out is expected by chance."
    ) in reading


@pytest.mark.parametrize("kind", ["marketplace", "retail"])
def test_each_demo_reading_names_rank_one_and_it_is_a_region_to_market_in(kind):
    ds = formats.assemble_demo(kind).dataset
    ranked = regions.headless(ds)["regions"]
    assert ranked["rank"].to_list() == list(range(1, ranked.height + 1))
    first = ranked.row(0, named=True)
    verb = first["action"].split(":")[0]
    assert verb in regions.MARKETING_ACTIONS and verb != "deprioritise"
    reading = regions.priority_reading(ranked, 3, ds.currency)
    scores = dict(zip(ranked["region"], ranked["score"], strict=True))
    if kind == "marketplace":
        # RS and SP lead, tied, both to defend: the demo plants no regional growth, and PR's
        # +54% (anywhere from +6% to +124%) is not beyond the whole's +15%, so no "grow" (it
        # read "grow ... +54% vs +15%"); nor beyond the flat band across the regions compared,
        # so it scores as unknown (it had put PR in the lead). 14 states have fewer than 20
        # orders in a window.
        assert ranked["region"][:2].to_list() == ["RS", "SP"]
        assert round(scores["RS"]) == round(scores["SP"]) == 72
        assert ranked.filter(~pl.col("growth_reliable")).height == 14
        assert reading.startswith("Market first in RS and SP, tied (score 72/100")
    else:
        assert round(ranked["score"][1]) != round(first["score"])
        assert reading.startswith(f"Market first in {first['region']} (rank 1")
    assert f"{first['action']};" in reading
    # Rank follows the action's tier: no region to deprioritise, watch or fix sits above a
    # region to market in.
    tiers = [regions.ACTION_TIERS[a.split(":")[0]] for a in ranked["action"]]
    assert tiers == sorted(tiers)


def _invoice_interval(raw: pl.DataFrame, country: str, last: datetime) -> tuple[float, float]:
    """A country's growth interval by hand: its invoices' net values in the last 3 full months
    and the 3 before (tests.family.growth_interval)."""
    index = last.year * 12 + last.month - 1 - ((last + timedelta(days=1)).month == last.month)
    start = [datetime(i // 12, i % 12 + 1, 1) for i in (index - 5, index - 2, index + 1)]
    invoices = (
        raw.filter(pl.col("Country") == country)
        .with_columns(pl.col("InvoiceDate").str.to_datetime("%m/%d/%Y %H:%M").alias("at"))
        .group_by("InvoiceNo")
        .agg(
            (pl.col("Quantity").cast(pl.Float64) * pl.col("UnitPrice").cast(pl.Float64)).sum(),
            pl.col("at").min(),
        )
    )
    windows = [
        invoices.filter(pl.col("at").is_between(a, b, "left"))["Quantity"].to_list()
        for a, b in ((start[0], start[1]), (start[1], start[2]))
    ]
    prev, cur = windows
    return growth_interval(cur, prev)


def test_retail_demo_germany_changes_within_chance_and_is_not_ranked_first():
    """The retail demo draws each customer's country with fixed odds (lib.demo.retail), so no
    country's revenue moves apart from the whole's: Germany's +103% (Sep-Nov 2023 against
    Jun-Aug 2023, from 37 invoices against 23) is within chance and must read so. Read as
    growing faster than the whole it would be "test" and rank above the United Kingdom's
    "defend" (regions.ACTION_TIERS). The figures are recomputed here from the demo's file; a
    pandas recount of the written demo (Country, InvoiceDate, Quantity x UnitPrice) gives the
    same: UK +32.7% (+19.4% to +47.5%), Germany +103.5% (-3.4% to +329%), all +36.3%."""
    raw = demo.demo("retail").files["online_retail.csv"]
    lines = raw.select(
        pl.col("Country").alias("key"),
        pl.col("InvoiceDate").str.to_datetime("%m/%d/%Y %H:%M").alias("at"),
        (pl.col("Quantity").cast(pl.Float64) * pl.col("UnitPrice").cast(pl.Float64)).alias(
            "revenue"
        ),
    )
    monthly = lines.group_by("key", pl.col("at").dt.truncate("1mo").alias("month")).agg(
        pl.col("revenue").sum()
    )
    growth = window_growth(monthly, lines["at"].max())
    expected = dict(zip(growth["key"], growth["growth"], strict=True))
    whole = growth["last"].sum() / growth["prev"].sum() - 1
    assert expected["Germany"] > regions.FLAT and expected["United Kingdom"] > regions.FLAT

    ranked = regions.headless(formats.assemble_demo("retail").dataset)["regions"]
    germany, uk = row(ranked, "Germany"), row(ranked, "United Kingdom")
    assert germany["growth"] == pytest.approx(expected["Germany"])
    assert uk["growth"] == pytest.approx(expected["United Kingdom"])
    assert regions.totals(ranked)["growth"] == pytest.approx(whole)
    # +103% from some 30 invoices a window is anywhere from -3% to +329%: no "growing" (nor
    # "faster": the interval holds the whole's +36% too), so no "test" ranked first.
    low, high = _invoice_interval(raw, "Germany", lines["at"].max())
    assert low < -regions.FLAT and high > whole
    assert (germany["growth_low"], germany["growth_high"]) == pytest.approx((low, high))
    assert germany["action"] == (
        f"maintain: small, no clear change: {fmt.change(expected['Germany'])} (anywhere "
        f"from {fmt.change(low)} to {fmt.change(high)})"
    )
    # The UK's rise is beyond chance even against every region at once (its distance above
    # +2% in standard errors, read as a normal z: about 4.9, a two-sided p near 1e-6, under 5%
    # over the 21 regions, Bonferroni, which Holm's step-down never asks more than), but the
    # whole's growth lies inside its interval: as fast as the whole within chance. Large: over
    # 1/21 of the revenue.
    uk_low, uk_high = _invoice_interval(raw, "United Kingdom", lines["at"].max())
    assert (uk["growth_low"], uk["growth_high"]) == pytest.approx((uk_low, uk_high))
    assert 2 * NormalDist().cdf(-growth_z(uk_low, uk_high)) < 0.05 / ranked.height
    assert uk_low < whole < uk_high and uk["share"] >= 1 / ranked.height
    assert uk["action"] == (
        "defend: large, growing, as fast as the whole within chance "
        f"({fmt.change(expected['United Kingdom'])} vs {fmt.change(whole)})"
    )
    assert germany["rank"] > 1
    assert regions.priority_reading(ranked).startswith("Market first in United Kingdom (rank 1")


def test_the_reading_counts_a_single_order_in_the_singular():
    row = {"share": 1.0, "revenue": 10.94, "orders": 1, "growth": None}
    assert regions._figures(row, 3, "GBP") == "100.0% of revenue (£10.94), 1 order"


def test_the_figures_write_growth_within_flat_as_the_action_does():
    """+1.2% is flat's side of 2%: the action quotes it to a tenth, and so do the figures after
    it (they read "+1%", a different number, on Olist's PR)."""
    row = {"share": 0.5, "revenue": 10.0, "orders": 4, "growth": 0.012}
    assert regions._figures(row, 3, "GBP").endswith(
        "revenue +1.2% in the last 3 months against the 3 before"
    )
    assert regions._figures({**row, "growth": 0.5}, 3, "GBP").endswith(
        "revenue +50% in the last 3 months against the 3 before"
    )
    assert trend.spread(0.012, -0.47, 0.92) == "+1.2% (anywhere from -47% to +92%)"


def test_the_late_rate_reading_names_the_highest_rate_among_regions_with_enough_deliveries():
    """Z's 6 late of 10 delivered (60%) is no finding: X's 30 of 100 is the highest rate among
    regions with 20 delivered orders or more, 2.0x the 46 of 310 (14.8%) of them all."""
    table = table_of(
        delivered_orders=[100, 100, 100, 10],
        late_orders=[5, 30, 5, 6],
        late_rate=[0.05, 0.3, 0.05, 0.6],
    )
    # 30 or more late of 100 at 14.8% has an exact chance far under 0.05 / 3 (two-sided), so
    # X is late beyond chance across the 3 regions with 20 delivered orders or more.
    assert binom.sf(29, 100, 46 / 310) < 0.05 / 6
    assert regions.metric_reading(table, "late_rate") == (
        "Among regions with 20 delivered orders or more, X has the highest late rate (30.0% of "
        "its 100 delivered orders, 2.0x the 14.8% average, beyond chance across the 3 regions "
        "compared)."
    )


def test_the_order_value_reading_names_the_highest_among_regions_with_enough_orders():
    """Z's 10 orders at 5.00 each are no finding (Olist's RR: 6 orders at R$ 215): Y's 100 at
    1.40 is the highest among regions with 20 orders or more; overall 1,040 / 910 = 1.14."""
    table = table_of(revenue=[600.0, 250.0, 140.0, 50.0], aov=[1.2, 250 / 300, 1.4, 5.0])
    assert regions.metric_reading(table, "aov", "GBP") == (
        "Among regions with 20 orders or more, Y spends the most per order (£1.40 against £1.14 "
        "overall)."
    )
    few = table_of(orders=[5, 3, 1, 10])
    assert regions.metric_reading(few, "aov", "GBP") == (
        "No region has 20 orders or more to judge its order value by."
    )


def test_the_growth_reading_leaves_out_growth_from_too_few_orders_and_says_so():
    """Z grew +100% on few recent orders: no finding; X is the lowest growth left (-20%)."""
    table = table_of(growth=[0.5, -0.2, 0.8, 1.0], growth_reliable=[True, True, True, False])
    assert regions.metric_reading(table, "growth").endswith(
        "2 grew (Y fastest, +80%) and 1 shrank (X, -20%) beyond chance across the 3 regions "
        "compared; all regions together +30%. 1 region with fewer than 20 orders in either "
        "compared window is left out: its growth is noise."
    )
    # Growth within chance is named by no one: X's +10% is anywhere from -20% to +40%.
    rising = table_of(
        growth=[0.5, 0.1, 0.8, 1.0],
        growth_low=[0.4, -0.2, 0.6, 0.5],
        growth_reliable=[True, True, True, True],
    )
    assert regions.metric_reading(rising, "growth").endswith(
        "3 grew (Z fastest, +100%) and none shrank beyond chance across the 4 regions compared; "
        "all regions together +30%; 1 changed within chance."
    )


def test_the_first_regions_actions_for_a_card_name_each_verb_when_they_differ():
    one = pl.DataFrame({"region": ["PR"], "action": ["grow: large, growing faster (+54% vs +15%)"]})
    assert regions.first_actions(one) == (
        "grow: large, growing faster",
        "grow: large, growing faster (+54% vs +15%)",
    )
    # Olist's SP and PE tie on the score, one to defend, one to test.
    tied = pl.DataFrame(
        {
            "region": ["SP", "PE"],
            "action": ["defend: large, shrinking (-3%)", "test: small, growing (+40% vs +5%)"],
        }
    )
    assert regions.first_actions(tied) == (
        "defend (SP), test (PE)",
        "SP: defend: large, shrinking (-3%); PE: test: small, growing (+40% vs +5%)",
    )


def test_first_regions_that_share_a_verb_are_not_given_one_regions_trend():
    """Olist's MG and SP tie to defend: the card read "defend: large, no clear change: -41%",
    MG's trend and figure, though SP is shrinking (-31%) beyond chance."""
    tied = pl.DataFrame(
        {
            "region": ["MG", "SP"],
            "action": [
                "defend: large, no clear change: -41% (anywhere from -69% to +12%)",
                "defend: large, shrinking (-31%)",
            ],
        }
    )
    assert regions.first_actions(tied) == (
        "defend: large",
        "MG: defend: large, no clear change: -41% (anywhere from -69% to +12%); SP: defend: "
        "large, shrinking (-31%)",
    )
    # A card's action is short: Online Retail's "defend: large, growing, as fast as the whole
    # within chance (...)" was cut off on the card.
    uk = pl.DataFrame(
        {
            "region": ["United Kingdom"],
            "action": ["defend: large, growing, as fast as the whole within chance (+9% vs +8%)"],
        }
    )
    assert regions.first_actions(uk)[0] == "defend: large, growing"
    # The same action word for word is said once.
    same = pl.DataFrame({"region": ["A", "B"], "action": ["grow: large, growing (+9%)"] * 2})
    assert regions.first_actions(same) == ("grow: large, growing", "grow: large, growing (+9%)")


def test_data_naming_no_customer_is_judged_on_orders_and_growth():
    """Amazon's report names no buyer: every region's 0 customers are unknown, not too few."""
    row = {
        "region": "US",
        "orders": 3430,
        "customers": 0,
        "share": 1.0,
        "growth": 0.1,
        "growth_low": 0.08,
        "growth_high": 0.12,
        "growth_reliable": True,
    }
    whole = {"growth": 0.05, "late_rate": None, "regions": 1.0, "customers": 0.0}
    assert (
        regions.region_action(row, whole)
        == "grow: large, growing faster than the whole (+10% vs +5%)"
    )
    known = {**whole, "customers": 100.0}
    assert regions.region_action({**row, "customers": 12}, known) == (
        "watch: too few customers to judge (12)"
    )


def many_regions(late: list[tuple[int, int]], growth: list[tuple[float, float]]) -> pl.DataFrame:
    """Regions R0, R1, ... with (late, delivered) orders and a growth interval (low, high) each,
    the figure its log centre; 100 orders and customers each, equal shares."""
    n = len(late)
    return pl.DataFrame(
        {
            "region": [f"R{i}" for i in range(n)],
            "customers": [100] * n,
            "orders": [100] * n,
            "revenue": [100.0] * n,
            "share": [1 / n] * n,
            "revenue_last": [100.0] * n,
            "revenue_prev": [100.0] * n,
            "growth": [math.sqrt((1 + lo) * (1 + hi)) - 1 for lo, hi in growth],
            "growth_low": [lo for lo, _ in growth],
            "growth_high": [hi for _, hi in growth],
            "growth_reliable": [True] * n,
            "delivered_orders": [d for _, d in late],
            "late_orders": [k for k, _ in late],
            "late_rate": [k / d for k, d in late],
        }
    )


def test_a_region_late_beyond_chance_under_twice_the_average_says_so_after_its_action():
    """Olist's RJ, 80 late of 665 delivered (12.0%, 1.8x the average, far beyond chance), was
    'defend' with no word on its deliveries (the fix rule needs 2x). Here R0: 80 of 600 (13.3%)
    against 440 of 6,000 (7.3%), 1.8x; 80 or more late of 600 at 7.3% has a chance of about
    1e-7, beyond chance across the 10 regions compared (0.25% a side)."""
    late = [(80, 600)] + [(40, 600)] * 9
    assert binom.sf(79, 600, 440 / 6000) < 0.05 / 20
    table = many_regions(late, [(-0.1, 0.1)] * 10)
    actions = regions.region_actions(table)
    assert actions[0].startswith("defend: large, ") and actions[0].endswith("; late 1.8x")
    assert not any(a.endswith("x") for a in actions[1:])  # 6.7% each: below the average
    # The reading names it where the Delivery page would name it to fix first.
    assert (
        ". R0 (1.8x the average) is late beyond chance, under the 2x at which delivery comes "
        "before marketing."
    ) in regions.priority_reading(regions.priority_table(table))


def test_a_region_late_beyond_its_own_interval_is_no_fix_when_chance_explains_it_among_many():
    """R0: 7 late of 24 (29%) against 97 of 924 (10.5%): 2.8x the average, and 7 or more late of
    24 at that rate has an exact binomial chance of 0.97%, under the 2.5% a side of its own 95%
    test, so alone it is 'fix delivery first'; with 10 regions compared, Bonferroni's first
    step needs 0.25% a side: no fix, and the reading says why."""
    late = [(7, 24)] + [(10, 100)] * 9
    average = 97 / 924
    assert 0.05 / 20 < binom.sf(6, 24, average) < 0.025
    assert binomtest(7, 24).proportion_ci(method="wilson").low > average
    table = many_regions(late, [(-0.1, 0.1)] * 10)
    whole = regions.totals(table)
    first = table.row(0, named=True)
    assert regions.region_action(first, whole).startswith("fix delivery first: late rate 2.8x")
    actions = regions.region_actions(table)
    assert not actions[0].startswith("fix delivery")
    reading = regions.priority_reading(regions.priority_table(table))
    assert "Fix delivery" not in reading
    assert reading.endswith(
        ". R0 is late 2.8x the average, and its 95% interval clears it, but with 10 regions "
        "compared, one this far out is expected by chance."
    )
    # The late-rate reading under the map says the same of the highest rate.
    ci = binomtest(7, 24).proportion_ci(method="wilson")
    assert regions.metric_reading(table, "late_rate").endswith(
        "R0 has the highest late rate (29.2% of its 24 delivered orders, 2.8x the 10.5% "
        f"average); its 95% interval ({ci.low:.1%}–{ci.high:.1%}) clears the average, but with "
        "10 regions compared, one this far out is expected by chance."
    )


def test_two_regions_clearing_the_average_by_their_intervals_alone_are_not_one_by_chance():
    """R0 and R1: 5 late of 24 each (20.8%, 2.4x the 8.7% average of 74 of 848). Their Wilson
    intervals clear the average (from 9.2%), the exact tails do not (5 or more of 24 at 8.7%:
    5.3%), so the family counts none alone; the reading names both and said 'one this far out
    is expected by chance'. Two of 10 by chance: 8.6%, within chance."""
    late = [(5, 24), (5, 24)] + [(8, 100)] * 8
    average = 74 / 848
    assert binomtest(5, 24).proportion_ci(method="wilson").low > average
    assert binom.sf(4, 24, average) > 0.025
    assert 1 - 0.95**10 - 10 * 0.05 * 0.95**9 > 0.025
    table = many_regions(late, [(-0.1, 0.1)] * 10)
    reading = regions.priority_reading(regions.priority_table(table))
    assert reading.endswith(
        ". R0 is late 2.4x the average and R1 is late 2.4x the average, and their 95% intervals "
        "clear it, but with 10 regions compared, more than one this far out on their own "
        "intervals is within chance."
    )


def test_a_region_grows_only_beyond_chance_across_the_regions_compared():
    """R0: +58% (anywhere from +5% to +138%) clears +2% by 2.10 standard errors (p = 0.036):
    alone it grows; with 5 regions compared Holm's first step needs p <= 0.01."""
    lo, hi = math.log(1.05), math.log(2.38)
    se = (hi - lo) / (2 * NormalDist().inv_cdf(0.975))
    p = 2 * NormalDist().cdf(-((lo + hi) / 2 - math.log(1.02)) / se)
    assert 0.01 < p < 0.05
    table = many_regions([(10, 100)] * 5, [(0.05, 1.38)] + [(-0.1, 0.1)] * 4)
    whole = regions.totals(table)
    alone = regions.region_action(table.row(0, named=True), {**whole, "growth": None})
    assert alone == "grow: large, growing (+58%)"
    assert regions.region_actions(table)[0] == (
        "defend: large, no clear change across regions: +58% (+5% to +138% alone)"
    )
    assert regions.priority_reading(regions.priority_table(table)).endswith(
        ". R0 (+58% vs +0%) grows faster than the whole by its own 95% interval, but with 5 "
        "regions compared, one this far out is expected by chance."
    )
    assert regions.metric_reading(table, "growth").endswith(
        "none grew and none shrank beyond chance across the 5 regions compared; all regions "
        "together +0%; 5 changed within chance (R0 (+58%): its 95% interval clears the flat "
        "band (-2% to +2%), but with 5 regions compared, one this far out is expected by "
        "chance)."
    )


def test_two_regions_faster_by_their_own_intervals_among_four_are_not_one_by_chance():
    """R0 and R1: +58% each (+5% to +138%), p = 0.028 against the whole's +0% on their own,
    so neither beyond chance across the 4 regions compared (Holm's first step: p <= 0.0125);
    the reading names both and said 'one this far out is expected by chance'."""
    lo, hi = math.log(1.05), math.log(2.38)
    se = (hi - lo) / (2 * NormalDist().inv_cdf(0.975))
    p = 2 * NormalDist().cdf(-((lo + hi) / 2) / se)
    assert 0.05 / 4 < p < 0.05
    table = many_regions([(10, 100)] * 4, [(0.05, 1.38)] * 2 + [(-0.1, 0.1)] * 2)
    assert regions.priority_reading(regions.priority_table(table)).endswith(
        ". R0 (+58% vs +0%) and R1 (+58% vs +0%) grow faster than the whole by their own 95% "
        "intervals, but with 4 regions compared, none of these is beyond chance across them all."
    )


def welch_z(values: list[float], others: list[float]) -> float:
    """scipy's Welch t-test of two samples as a signed normal quantile of its two-sided p."""
    from scipy.stats import ttest_ind

    result = ttest_ind(values, others, equal_var=False)
    return math.copysign(NormalDist().inv_cdf(1 - result.pvalue / 2), result.statistic)


def test_mean_z_is_welchs_t_test_as_a_normal_quantile():
    from lib import stats

    samples = [
        ([150.0, 200.0, 150.0], [80.0, 40.0, 60.0, 30.0]),
        ([12.0, 15.0, 9.0, 30.0, 11.0], [10.0, 14.0, 8.0, 9.0, 13.0, 12.0, 11.0]),
        ([5.0, 7.0], [9.0, 11.0, 10.0]),
    ]
    for values, others in samples:

        def figures(v: list[float]) -> tuple[float, float, float]:
            return len(v), sum(v), sum(x * x for x in v)

        (z,) = stats.mean_z([[f] for f in figures(values)], [[f] for f in figures(others)])
        assert z == pytest.approx(welch_z(values, others), rel=1e-6)
    # One value, or no spread in either group: no statistic.
    assert math.isnan(stats.mean_z(([1], [5.0], [25.0]), ([3], [6.0], [14.0]))[0])
    assert math.isnan(stats.mean_z(([2], [10.0], [50.0]), ([2], [4.0], [8.0]))[0])


def spending(values: dict[str, list[float]]) -> pl.DataFrame:
    """Sale lines, one order per value (the first order of each region in two lines), all in
    June 2024."""
    rows = []
    for region, orders in values.items():
        for i, value in enumerate(orders):
            parts = [value / 2, value / 2] if i == 0 else [value]
            for part in parts:
                rows.append((f"{region}{i}", f"c{region}{i}", region, part))
    return pl.DataFrame(
        {
            "order_id": [r[0] for r in rows],
            "customer_id": [r[1] for r in rows],
            "region": [r[2] for r in rows],
            "ordered_at": [d("2024-06-10")] * len(rows),
            "revenue": [r[3] for r in rows],
            "is_return": [False] * len(rows),
        }
    )


def test_regional_table_says_how_far_each_regions_order_value_lies_from_every_other_order():
    values = {"A": [150.0, 200.0, 150.0], "B": [80.0, 40.0, 60.0, 30.0], "C": [100.0, 120.0]}
    table = regions.regional_table(spending(values))
    for region, own in values.items():
        others = [v for r, vs in values.items() if r != region for v in vs]
        assert row(table, region)["aov_z"] == pytest.approx(welch_z(own, others), rel=1e-6)


def test_the_order_value_reading_names_a_highest_region_beyond_chance_only_across_all():
    steady = [90.0, 110.0] * 15
    # X: 30 orders of 190 and 210 against 60 of 90 and 110: far beyond chance.
    clear = {"X": [190.0, 210.0] * 15, "Y": steady, "Z": steady}
    table = regions.regional_table(spending(clear))
    assert regions.metric_reading(table, "aov", "GBP") == (
        "Among regions with 20 orders or more, X spends the most per order (£200 against £133 "
        "overall, beyond chance across the 3 regions compared)."
    )
    # X: 20 orders of 10 and 390, the same mean: its own 95% clears the others' (z 2.1) but the
    # highest of three must clear 2.39.
    wide = {"X": [10.0, 390.0] * 10, "Y": steady, "Z": steady}
    z = welch_z(wide["X"], steady + steady)
    assert 1.96 < z < NormalDist().inv_cdf(1 - 0.05 / 6)
    table = regions.regional_table(spending(wide))
    assert regions.metric_reading(table, "aov", "GBP") == (
        "Among regions with 20 orders or more, X spends the most per order (£200 against £125 "
        "overall); with 3 regions compared, one this far out is expected by chance."
    )
    # Wider still: within chance on its own.
    wider = {"X": [0.0, 300.0] * 10, "Y": [60.0, 140.0] * 15, "Z": [60.0, 140.0] * 15}
    assert abs(welch_z(wider["X"], wider["Y"] + wider["Z"])) < 1.96
    table = regions.regional_table(spending(wider))
    assert regions.metric_reading(table, "aov", "GBP") == (
        "Among regions with 20 orders or more, X spends the most per order (£150 against £112 "
        "overall), within chance: its orders' values spread too widely to tell it apart."
    )


def test_the_map_reading_names_tied_regions_together_and_no_customers_it_lacks():
    """W and X both have 300 customers: it read 'W has the most customers' (picked by name).
    Amazon's order report names no customer: 'US has the most customers (0)'."""
    tied = table_of(customers=[300, 300, 90, 8])
    assert regions.metric_reading(tied, "customers").startswith(
        "W and X tie for the most customers (300 each, 43.0% of the total); "
    )
    none = table_of(customers=[0, 0, 0, 0])
    assert regions.metric_reading(none, "customers") == (
        "The data names no customers: there is no region to rank by them."
    )


def test_real_olist_growth_against_a_year_earlier_sums_the_same_months_of_2017():
    """Year on year, each state's revenue in Jun-Aug 2018 against Jun-Aug 2017, summed from the
    raw files; the reading says what it compares."""
    paths = olist_paths()
    ds = formats.assemble([t for p in paths for t in io.read_path(p)]).dataset
    ranked = regions.headless(ds, against="year")["regions"]
    orders, items, customers = raw_olist(paths)
    at = pl.col("order_purchase_timestamp").str.to_datetime()
    expected = (
        items.join(
            orders.select("order_id", "customer_id", "order_purchase_timestamp"), on="order_id"
        )
        .join(customers.select("customer_id", "customer_state"), on="customer_id")
        .group_by("customer_state")
        .agg(
            window_prices(
                at,
                (datetime(2018, 6, 1), datetime(2018, 9, 1)),
                (datetime(2017, 6, 1), datetime(2017, 9, 1)),
            )
        )
    )
    for state in ("SP", "RJ", "MG"):
        want = expected.filter(pl.col("customer_state") == state).row(0, named=True)
        got = row(ranked, state)
        assert got["revenue_last"] == pytest.approx(want["now"], abs=0.01), state
        assert got["revenue_prev"] == pytest.approx(want["then"], abs=0.01), state
        assert got["growth"] == pytest.approx(want["now"] / want["then"] - 1, rel=1e-9), state
    reading = regions.metric_reading(ranked, "growth", "BRL", 3, "year")
    assert reading.startswith("Over the last 3 months against the same 3 a year earlier, ")


def test_real_olist_late_states_clearing_alone_beside_four_beyond_chance_are_within_chance():
    """Audit: of the 20 states with 20 delivered orders, four differ from the average late rate
    beyond chance (RJ and BA above, MG and SP below); AL, MA and SE, late 2.5x the average or
    more by their own Wilson intervals, are not, and the reading, naming the three, said 'one
    this far out is expected by chance'. Of the 16 other states, two clear the average alone
    by their exact binomial tails (AL above, PR below), which is within chance (recounted here
    from the raw files, Holm's steps by hand)."""
    from tests.test_delivery import delivered_raw_orders

    paths = olist_paths("olist_order_reviews_dataset.csv.gz")
    customers = pl.read_csv(paths[2], infer_schema_length=0)
    delivered = delivered_raw_orders(paths[0]).join(
        customers.select("customer_id", "customer_state"), on="customer_id"
    )
    states = delivered.group_by("customer_state").agg(
        pl.len().alias("n"), pl.col("is_late").sum().alias("k")
    )
    average = states["k"].sum() / states["n"].sum()
    judged = states.filter(pl.col("n") >= 20)

    def z(k: int, n: int) -> float:  # the exact tail on its side, as a normal quantile
        if k / n >= average:
            return NormalDist().inv_cdf(1 - binom.sf(k - 1, n, average))
        return -NormalDist().inv_cdf(1 - binom.cdf(k, n, average))

    zs = {s: z(k, n) for s, n, k in judged.iter_rows()}
    m = len(zs)
    ranked = sorted(zs, key=lambda s: -abs(zs[s]))
    critical = [NormalDist().inv_cdf(1 - 0.025 / (m - step)) for step in range(m)]
    differ = next(step for step in range(m) if abs(zs[ranked[step]]) <= critical[step])
    assert m == 20 and set(ranked[:differ]) == {"RJ", "BA", "MG", "SP"}
    alone = [s for s in ranked[differ:] if abs(zs[s]) > NormalDist().inv_cdf(0.975)]
    assert set(alone) == {"AL", "PR"}
    tail = 1 - 0.95**16 - 16 * 0.05 * 0.95**15  # at least 2 of the 16 others
    assert tail > 0.025
    table, _ = olist_regions()
    ba = row(table, "BA")
    assert (ba["late_orders"], ba["delivered_orders"]) == judged.filter(
        pl.col("customer_state") == "BA"
    ).select("k", "n").row(0)
    reading = regions.priority_reading(table)
    assert (
        ". AL is late 3.8x the average, MA is late 2.5x the average and SE is late 2.5x the "
        "average, and their 95% intervals clear it, but with 20 regions compared, more than one "
        "this far out on their own intervals is within chance."
    ) in reading
    # Of the two late beyond chance, BA (2x the average or more) has delivery put before
    # marketing, and RJ (under 2x), which the Delivery page says to fix first, is named too.
    ratio = {s: k / n / average for s, n, k in judged.iter_rows() if s in ("RJ", "BA")}
    assert ratio["BA"] >= 2 > ratio["RJ"]
    assert (
        ". Fix delivery before spending in BA. RJ "
        f"({ratio['RJ']:.1f}x the average) is late beyond chance, under the 2x at which "
        "delivery comes before marketing."
    ) in reading
