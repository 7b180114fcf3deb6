"""RFM analyses on tiny hand-made frames, and the published segment shares on Online Retail."""

import inspect
import itertools
import re
from datetime import date, datetime

import pandas as pd
import polars as pl
import pytest

from lib import io
from lib.analyses import rfm
from lib.model import Dataset
from tests.conftest import shared_file

# The regex map of the published Online Retail RFM notebooks, applied with replace(regex=True).
PUBLISHED_MAP = {
    r"[1-2][1-2]": "hibernating",
    r"[1-2][3-4]": "at risk",
    r"[1-2]5": "can't lose them",
    r"3[1-2]": "about to sleep",
    r"33": "need attention",
    r"[3-4][4-5]": "loyal customers",
    r"41": "promising",
    r"51": "new customers",
    r"[4-5][2-3]": "potential loyalists",
    r"5[4-5]": "champions",
}


def lines(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "order_id": pl.String,
            "customer_id": pl.String,
            "ordered_at": pl.Datetime("us"),
            "revenue": pl.Float64,
            "quantity": pl.Float64,
            "unit_price": pl.Float64,
            "is_return": pl.Boolean,
        },
        orient="row",
    )


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2024, 1, day, hour)


SHOP = lines(
    [
        ("o1", "a", at(1), 10.0, 2.0, 5.0, False),
        ("o1", "a", at(1), 4.0, 1.0, 4.0, False),
        ("o2", "a", at(10), 20.0, 4.0, 5.0, False),
        ("C1", "a", at(12), -5.0, -1.0, 5.0, True),
        ("o3", "b", at(5), 8.0, 1.0, 8.0, False),
        ("C2", "c", at(3), -3.0, -1.0, 3.0, True),
        ("o4", None, at(7), 7.0, 1.0, 7.0, False),
    ]
)


def test_customer_table_counts_sale_orders_nets_returns_and_leaves_out_what_it_cannot_use():
    table = rfm.customer_table(SHOP)
    assert table.as_of == date(2024, 1, 13)  # the day after the last order (12 Jan)
    assert table.lines_without_customer == 1
    assert table.revenue_without_customer == 7.0
    assert table.without_purchase == 1  # c only returned
    assert table.customers.to_dicts() == [
        {
            "customer_id": "a",
            "first_order": date(2024, 1, 1),
            "last_order": date(2024, 1, 10),
            "recency_days": 3,
            "frequency": 2,
            "monetary": 29.0,  # 10 + 4 + 20 - 5
        },
        {
            "customer_id": "b",
            "first_order": date(2024, 1, 5),
            "last_order": date(2024, 1, 5),
            "recency_days": 8,
            "frequency": 1,
            "monetary": 8.0,
        },
    ]


def test_customer_table_as_of_keeps_only_earlier_orders():
    table = rfm.customer_table(SHOP, as_of=date(2024, 1, 6))
    got = table.customers.select("customer_id", "recency_days", "frequency", "monetary")
    assert got.rows() == [("a", 5, 1, 14.0), ("b", 1, 1, 8.0)]


def test_customer_table_with_cleaning_nets_the_cancellation_out_of_the_purchase_it_reverses():
    table = rfm.customer_table(SHOP, clean=True)
    assert table.cleaned_lines == 2  # C1 and C2
    assert table.lines_without_customer == 1
    # The day after the data's last line (C1, 12 Jan), cleaned or not, as the page opens on and
    # the summaries count: cleaned, it was the day after the last purchase (11 Jan), one day
    # less of every recency than the page showed.
    assert table.as_of == date(2024, 1, 13)
    # C1 takes 5 back from a's latest earlier purchase (o2: 20); c bought nothing C2 could reverse.
    assert table.customers.select("customer_id", "monetary").rows() == [("a", 29.0), ("b", 8.0)]


def test_a_free_order_is_no_purchase_cleaned_or_not():
    """A line at a price of 0 is no sale (measures: quantity and unit price above zero), so an
    order of free lines alone adds no order; uncleaned it counted one (Online Retail: customer
    13256's only order, 12,540 units at 0.00, made a promising customer)."""
    free = lines(
        [
            ("o5", "a", at(11), 0.0, 3.0, 0.0, False),
            ("o6", "d", at(4), 0.0, 12.0, 0.0, False),
        ]
    )
    for clean in (False, True):
        table = rfm.customer_table(pl.concat([SHOP, free]), clean=clean)
        got = table.customers.select("customer_id", "frequency", "monetary").rows()
        assert got == [("a", 2, 29.0), ("b", 1, 8.0)], clean


def test_customers_are_in_numeric_id_order_when_ids_are_numbers():
    frame = lines(
        [
            ("1", "10", at(1), 1.0, 1.0, 1.0, False),
            ("2", "9", at(2), 1.0, 1.0, 1.0, False),
            ("3", "x", at(3), 1.0, 1.0, 1.0, False),
            ("4", "100", at(4), 1.0, 1.0, 1.0, False),
        ]
    )
    assert rfm.customer_table(frame).customers["customer_id"].to_list() == ["9", "10", "100", "x"]


VALUES = pl.Series("x", [5, 1, 1, 1, 2, 2, 3, 4, 4, 9])


def test_quantile_scores_break_ties_in_row_order_like_qcut_of_rank_first():
    # Ordinal ranks 9,1,2,3,4,5,6,7,8,10; ten ranks in five bins of two.
    scores = rfm.quantile_scores(VALUES, 5, "first")
    assert scores.to_list() == [5, 1, 1, 2, 2, 3, 3, 4, 4, 5]
    reference = pd.qcut(VALUES.to_pandas().rank(method="first"), 5, labels=False) + 1
    assert scores.to_list() == reference.tolist()


def test_quantile_scores_by_value_give_equal_values_the_same_score_like_qcut():
    # Edges at positions 1.8, 3.6, 5.4, 7.2 of [1,1,1,2,2,3,4,4,5,9]: 1, 2, 3.4, 4.2.
    assert rfm.quantile_scores(VALUES, 5, "value").to_list() == [5, 1, 1, 1, 2, 2, 3, 4, 4, 5]


def test_a_heaped_value_makes_scores_by_value_skip_and_is_reported_as_a_collapse():
    # Six ones: edges 1, 1, 1.4, 2.2, so ones score 1, a two scores 4, three and four score 5.
    frequency = pl.Series("frequency", [1, 1, 1, 1, 1, 1, 2, 2, 3, 4])
    assert rfm.quantile_scores(frequency, 5, "value").to_list() == [1] * 6 + [4, 4, 5, 5]
    customers = pl.DataFrame(
        {
            "customer_id": [str(i) for i in range(10)],
            "recency_days": list(range(1, 11)),
            "frequency": frequency,
            "monetary": [float(v) for v in range(10, 110, 10)],
        }
    )
    scored = rfm.quantile_scored(customers, 5, "value")
    assert rfm.collapsed_dimensions(scored, 5) == [rfm.Collapse("frequency", (1, 4, 5), 5)]
    assert rfm.collapsed_dimensions(rfm.quantile_scored(customers, 5, "first"), 5) == []


def _four(frequency: list[int]) -> pl.DataFrame:
    """Four customers on distinct recencies and spends (audit: i_four_repeat)."""
    return pl.DataFrame(
        {
            "customer_id": list("abcd"),
            "recency_days": [165, 193, 83, 1],
            "frequency": frequency,
            "monetary": [33.09, 100.30, 45.84, 67.84],
        }
    )


def test_four_customers_cannot_fill_five_scores_and_the_warning_says_so_not_ties():
    """Audit: 4 customers on 4 distinct values were told 'many customers share the same recency
    value. Score its ties in row order' (which changes nothing). By hand: 4 ranks in 5 bins put
    positions 0..3 against edges 0, 0.6, 1.2, 1.8, 2.4, 3: bins 1, 2, 4 and 5, in every
    dimension (recency reversed: 5, 4, 2, 1, the same scores)."""
    customers = _four([2, 3, 4, 5])
    collapsed = rfm.collapsed_dimensions(rfm.quantile_scored(customers, 5), 5)
    assert [c.scores for c in collapsed] == [(1, 2, 4, 5)] * 3
    assert rfm.collapse_warnings(collapsed, 4) == [
        "Recency, frequency and monetary take only 4 distinct scores of 5 (1, 2, 4, 5) each: 4 "
        "customers cannot fill 5 scores, whatever their values or the tie rule. Set Scores to 4 "
        "or fewer, or look at them one by one."
    ]
    # Two customers: no number of scores offered (3 to 5) is as small. One: position 0 takes
    # score 1, recency's reversed 3, and there is one customer to look at.
    for n, said in (
        (
            2,
            "Recency, frequency and monetary take only 2 distinct scores of 3 (1, 3) each: 2 "
            "customers cannot fill 3 scores, whatever their values or the tie rule: look at "
            "them one by one.",
        ),
        (
            1,
            "Recency, frequency and monetary take only 1 distinct score of 3 (recency 3; "
            "frequency 1; monetary 1): 1 customer cannot fill 3 scores, whatever their values "
            "or the tie rule: look at that customer.",
        ),
    ):
        collapsed = rfm.collapsed_dimensions(rfm.quantile_scored(customers.head(n), 3), 3)
        assert rfm.collapse_warnings(collapsed, n) == [said]


def test_ties_are_blamed_only_where_they_take_scores_away():
    """Frequencies 2, 2, 3, 5 by value: edges 2, 2, 2.2, 2.8, 3.8, 5 put both twos in score 1,
    the 3 in 4 and the 5 in 5: 3 scores where 4 customers could take 4. In row order they take
    1, 2, 4, 5: too few customers alone."""
    customers = _four([2, 2, 3, 5])
    collapsed = rfm.collapsed_dimensions(rfm.quantile_scored(customers, 5, "value"), 5)
    assert rfm.collapse_warnings(collapsed, 4, "value") == [
        "Recency and monetary take only 4 distinct scores of 5 (1, 2, 4, 5) each: 4 customers "
        "cannot fill 5 scores, whatever their values or the tie rule. Set Scores to 4 or fewer, "
        "or look at them one by one.",
        "Frequency takes only 3 distinct scores of 5 (1, 4, 5): 4 customers cannot fill 5 "
        "scores, and customers who share a frequency value share a score. Set Scores to 4 or "
        "fewer, or score its ties in row order.",
    ]
    first = rfm.collapsed_dimensions(rfm.quantile_scored(customers, 5, "first"), 5)
    assert [c.scores for c in first] == [(1, 2, 4, 5)] * 3
    # Ten customers, six on one frequency (the heaped case above): ties alone, as it read.
    heaped = rfm.Collapse("frequency", (1, 4, 5), 5)
    assert rfm.collapse_warnings([heaped], 10, "value") == [
        "Frequency takes only 3 distinct scores of 5 (1, 4, 5): many customers share the same "
        "frequency value. Score its ties in row order, or set thresholds yourself."
    ]


def test_scores_of_every_number_of_bins_at_once():
    customers = pl.DataFrame(
        {
            "customer_id": list("abcdef"),
            "recency_days": [1, 2, 3, 4, 5, 6],
            "frequency": [1, 1, 2, 2, 3, 9],
            "monetary": [5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
        }
    )
    scored = rfm.scored_by_bins(customers, "first")
    assert list(scored) == [3, 4, 5]
    # Three bins of six customers in row order: two each; recency labelled in reverse.
    assert scored[3]["m_score"].to_list() == [1, 1, 2, 2, 3, 3]
    assert scored[3]["r_score"].to_list() == [3, 3, 2, 2, 1, 1]
    assert scored[3]["rf"].to_list() == ["31", "31", "22", "22", "13", "13"]
    for bins in (4, 5):
        assert scored[bins].equals(rfm.quantile_scored(customers, bins, "first"))


def test_heaped_values_name_a_value_shared_by_more_than_one_bin_of_customers():
    customers = pl.DataFrame(
        {
            "customer_id": list("abcde"),
            "recency_days": [1, 2, 3, 4, 5],
            "frequency": [1, 1, 1, 2, 3],
            "monetary": [5.0, 5.0, 6.0, 7.0, 8.0],
        }
    )
    commonest = rfm.commonest_values(customers)
    # Recency: five values once each, the smallest is named.
    assert commonest.rows() == [
        ("recency", 1.0, 0.2),
        ("frequency", 1.0, 0.6),
        ("monetary", 5.0, 0.4),
    ]
    # Five bins: more than 20% sharing a value. Frequency 1 is 60%, monetary 5.0 is 40%.
    assert rfm.heaped_values(commonest, 5).rows() == [
        ("frequency", 1.0, 0.6),
        ("monetary", 5.0, 0.4),
    ]
    # Three bins: more than a third; 60% and 40% both qualify.
    assert rfm.heaped_values(commonest, 3).rows() == [
        ("frequency", 1.0, 0.6),
        ("monetary", 5.0, 0.4),
    ]
    # Two values shared by two customers each, the larger first in row order: the smaller wins.
    tied = customers.with_columns(monetary=pl.Series([9.0, 9.0, 4.0, 4.0, 6.0]))
    assert rfm.commonest_values(tied).row(2) == ("monetary", 4.0, 0.4)


def test_recency_is_scored_so_that_recent_is_high():
    customers = pl.DataFrame(
        {
            "customer_id": list("abcdef"),
            "recency_days": [1, 50, 10, 100, 5, 30],
            "frequency": [1, 1, 1, 1, 1, 1],
            "monetary": [1.0] * 6,
        }
    )
    scored = rfm.quantile_scored(customers, 3, "first")
    # Recency ranks 1,5,3,6,2,4; six ranks in three bins of two, labelled 3, 2, 1. Equal
    # frequencies rank in row order: 1,1,2,2,3,3.
    assert scored["r_score"].to_list() == [3, 1, 2, 1, 3, 2]
    assert scored["f_score"].to_list() == [1, 1, 2, 2, 3, 3]
    assert scored["rf"].to_list() == ["31", "11", "22", "12", "33", "23"]


TIED = pl.DataFrame(
    {
        "customer_id": list("abcdef"),
        "recency_days": [3, 3, 1, 7, 3, 9],
        "frequency": [1, 1, 1, 2, 2, 3],
        "monetary": [10.0, 10.0, 20.0, 20.0, 30.0, 30.0],
    }
)


def test_each_dimension_takes_its_own_tie_rule():
    published = {"recency": "value", "frequency": "first", "monetary": "value"}
    scored = rfm.quantile_scored(TIED, 3, published)
    # Recency by value: edges 1, 3, 4.33, 9 of [1,3,3,3,7,9]; the threes sit on the first inner
    # edge and score with the one (R3), seven and nine score R1. Frequency in row order: ranks
    # 1..6 in two per bin.
    assert scored["r_score"].to_list() == [3, 3, 3, 1, 3, 1]
    assert scored["f_score"].to_list() == [1, 1, 2, 2, 3, 3]
    assert scored["m_score"].to_list() == [1, 1, 2, 2, 3, 3]
    # Recency in row order: ordinal ranks 2, 3, 1, 5, 4, 6, so the three threes spread.
    by_order = rfm.quantile_scored(TIED, 3, {**published, "recency": "first"})
    assert by_order["r_score"].to_list() == [3, 2, 3, 1, 2, 1]
    assert by_order["f_score"].to_list() == scored["f_score"].to_list()

    frame = TIED.to_pandas()
    labels = [3, 2, 1]
    assert scored["r_score"].to_list() == pd.qcut(frame["recency_days"], 3, labels=labels).tolist()
    assert by_order["r_score"].to_list() == (
        pd.qcut(frame["recency_days"].rank(method="first"), 3, labels=labels).tolist()
    )


def test_tie_rules_take_one_rule_for_all_or_one_per_dimension():
    assert rfm.tie_rules("first") == dict.fromkeys(rfm.DIMENSIONS, "first")
    with pytest.raises(ValueError, match="ties must name recency, frequency, monetary"):
        rfm.tie_rules({"recency": "value"})
    with pytest.raises(ValueError, match="monetary ties must be one of value, first"):
        rfm.tie_rules({"recency": "value", "frequency": "first", "monetary": "shared"})


def test_the_default_tie_rules_are_the_published_recipe_on_the_page_headless_and_cli():
    from lib.__main__ import parser

    published = {"recency": "value", "frequency": "first", "monetary": "value"}
    assert published == rfm.PUBLISHED_TIES
    defaults = inspect.signature(rfm.headless).parameters
    assert {d: defaults[f"{d}_ties"].default for d in rfm.DIMENSIONS} == published
    args = parser("rfm").parse_args(["rfm", "--demo", "retail"])
    assert (args.recency_ties, args.frequency_ties, args.monetary_ties) == (
        "value",
        "first",
        "value",
    )
    args = parser("rfm").parse_args(["rfm", "--demo", "retail", "--frequency-ties", "value"])
    assert args.frequency_ties == "value"


# Seven of ten customers bought once; recency and spend all differ.
ONE_TIMERS = pl.DataFrame(
    {
        "customer_id": [str(i) for i in range(10)],
        "recency_days": list(range(10, 110, 10)),
        "frequency": [1] * 7 + [2, 3, 4],
        "monetary": [float(v) for v in range(5, 105, 10)],
    }
)


def test_a_dimension_most_customers_share_one_value_of_is_degenerate():
    scored = rfm.quantile_scored(ONE_TIMERS, 5, rfm.PUBLISHED_TIES)
    # In row order the seven ones take ranks 1..7, two per score: F1 to F4.
    found = rfm.degenerate_dimensions(scored, rfm.PUBLISHED_TIES)
    assert found == [rfm.Degenerate("frequency", 1.0, 0.7, (1, 2, 3, 4), "first")]
    assert rfm.degenerate_warning(found[0], "GBP") == (
        "F cannot separate customers: 70.0% bought once, and their F scores 1–4 are arbitrary "
        "(row order, not behaviour)."
    )
    # By value every edge below the 80th percentile is 1: all ones score F1.
    by_value = {**rfm.PUBLISHED_TIES, "frequency": "value"}
    found = rfm.degenerate_dimensions(rfm.quantile_scored(ONE_TIMERS, 5, by_value), by_value)
    assert found == [rfm.Degenerate("frequency", 1.0, 0.7, (1,), "value")]
    assert rfm.degenerate_warning(found[0], "GBP") == (
        "F cannot separate customers: 70.0% bought once, and all score F1, so F only tells them "
        "from the rest."
    )
    # Half is not most: five ones of ten leave frequency alone.
    half = ONE_TIMERS.with_columns(pl.Series("frequency", [1] * 5 + [2, 3, 4, 5, 6]))
    assert rfm.degenerate_dimensions(rfm.quantile_scored(half, 5)) == []


def test_segments_of_a_degenerate_dimension_get_no_recommendation_and_the_reading_says_why():
    rules = rfm.default_rules(5)
    scored = rfm.quantile_scored(ONE_TIMERS, 5)
    degenerate = rfm.degenerate_dimensions(scored)
    customers = rfm.segmented(scored, rules)
    summary = rfm.segment_summary(customers, rules, degenerate)
    assert summary["action"].null_count() == summary.height
    reading = rfm.segments_reading(summary, "GBP", degenerate, rules)
    assert reading == (
        "F cannot separate customers — 70.0% bought once, and their F scores 1–4 are arbitrary "
        "(row order, not behaviour) — so the segments say how recently customers bought but not "
        "how often, and no action per segment is suggested: compare customers on R × M (R × F "
        "grid view, Columns: M) or set thresholds yourself (Score by: My thresholds)."
    )
    assert not any(action in reading for action in rfm.ACTIONS.values())
    grid = rfm.grid_reading(rfm.rf_grid(customers, 5), 5, "GBP", degenerate)
    assert "win them back" not in grid
    assert grid.endswith(
        "70.0% bought once, and their F scores 1–4 are arbitrary (row order, not behaviour), so "
        "cells apart in F are not different customers."
    )


def test_a_degenerate_dimension_no_rule_reads_leaves_the_recommendations():
    # Seven of ten spent the same; the default rules read only R and F.
    spenders = ONE_TIMERS.with_columns(
        pl.Series("frequency", list(range(1, 11))),
        pl.Series("monetary", [50.0] * 7 + [60.0, 70.0, 80.0]),
    )
    scored = rfm.quantile_scored(spenders, 5)
    degenerate = rfm.degenerate_dimensions(scored)
    assert [(d.dimension, d.share, d.scores) for d in degenerate] == [("monetary", 0.7, (1,))]
    rules = rfm.default_rules(5)
    assert rfm.rule_dimensions(rules) == ("recency", "frequency")
    summary = rfm.segment_summary(rfm.segmented(scored, rules), rules, degenerate)
    assert summary["action"].null_count() == 0
    assert "cannot separate" not in rfm.segments_reading(summary, "GBP", degenerate, rules)
    whales = pl.DataFrame({"segment": ["whales"], "m_from": [5], "m_to": [5]})
    assert rfm.rule_dimensions(whales) == ("monetary",)
    assert rfm.blind_dimensions(degenerate, whales) == degenerate


def test_threshold_scores_count_the_cuts_reached_in_either_direction():
    recency = pl.Series([0, 7, 8, 30, 31])
    assert rfm.threshold_scores(recency, [7, 30], lower_is_better=True).to_list() == [3, 3, 2, 2, 1]
    frequency = pl.Series([1, 2, 4, 5, 9])
    assert rfm.threshold_scores(frequency, [2, 5], False).to_list() == [1, 2, 2, 3, 3]
    assert rfm.threshold_scores(frequency, [5, 2], False).to_list() == [1, 2, 2, 3, 3]


def test_default_cuts_reproduce_the_quantile_scores_by_value_of_recency_and_frequency():
    customers = pl.DataFrame(
        {
            "customer_id": [str(i) for i in range(10)],
            "recency_days": [3, 40, 7, 7, 90, 12, 1, 60, 25, 7],
            "frequency": [1, 1, 1, 1, 1, 1, 2, 2, 3, 4],
            "monetary": [float(v) for v in range(10)],
        }
    )
    cuts = rfm.default_cuts(customers, 5)
    by_cuts = rfm.threshold_scored(customers, cuts)
    by_quantiles = rfm.quantile_scored(customers, 5, "value")
    assert by_cuts["r_score"].to_list() == by_quantiles["r_score"].to_list()
    assert by_cuts["f_score"].to_list() == by_quantiles["f_score"].to_list()


def every_code(bins: int) -> pl.DataFrame:
    pairs = list(itertools.product(range(1, bins + 1), repeat=2))
    return pl.DataFrame(
        {
            "r_score": [r for r, _ in pairs],
            "f_score": [f for _, f in pairs],
            "m_score": [1] * len(pairs),
        },
        schema={"r_score": pl.Int8, "f_score": pl.Int8, "m_score": pl.Int8},
    ).with_columns(
        pl.concat_str(pl.col("r_score").cast(pl.String), pl.col("f_score").cast(pl.String)).alias(
            "rf"
        )
    )


def test_default_rules_for_five_bins_equal_the_published_regex_map_on_all_25_codes():
    codes = every_code(5)
    got = rfm.segmented(codes, rfm.default_rules(5))["segment"].to_list()
    expected = pd.Series(codes["rf"].to_list()).replace(PUBLISHED_MAP, regex=True).tolist()
    assert got == expected
    assert got[codes["rf"].to_list().index("41")] == "promising"


@pytest.mark.parametrize("bins", [3, 4, 5])
def test_default_rules_cover_every_code_exactly_once(bins):
    segments = rfm.segmented(every_code(bins), rfm.default_rules(bins))["segment"]
    assert rfm.OTHER not in segments.to_list()
    # A partition: no code is covered by two rules, so the rule order does not matter.
    for code in every_code(bins).iter_rows(named=True):
        covering = [
            rule["segment"]
            for rule in rfm.default_rules(bins).iter_rows(named=True)
            if rule["r_from"] <= code["r_score"] <= rule["r_to"]
            and rule["f_from"] <= code["f_score"] <= rule["f_to"]
        ]
        assert len(covering) == 1, (code["rf"], covering)
    top, bottom = f"{bins}{bins}", "11"
    by_code = dict(zip(every_code(bins)["rf"], segments, strict=True))
    assert by_code[top] == "champions" and by_code[bottom] == "hibernating"


def test_the_first_matching_rule_wins_as_with_replace_regex_and_uncovered_codes_are_other():
    rules = pl.DataFrame(
        {
            "segment": ["best", "recent", "never", ""],
            "r_from": [5, 4, None, 1],
            "r_to": [5, 5, None, 5],
            "f_from": [5, None, 9, 1],
            "f_to": [5, None, None, 5],
            "m_from": [None, None, None, None],
            "m_to": [None, None, None, None],
        }
    )
    codes = every_code(5)
    got = dict(zip(codes["rf"], rfm.segmented(codes, rules)["segment"], strict=True))
    as_regex = {r"55": "best", r"[4-5][1-5]": "recent"}
    for code, segment in got.items():
        expected = pd.Series([code]).replace(as_regex, regex=True)[0]
        assert segment == (expected if not re.fullmatch(r"\d\d", expected) else rfm.OTHER)
    assert got["55"] == "best" and got["54"] == "recent" and got["31"] == rfm.OTHER


def test_a_rule_can_require_a_monetary_score():
    scored = pl.DataFrame(
        {"r_score": [5, 5], "f_score": [5, 5], "m_score": [5, 2]},
        schema={"r_score": pl.Int8, "f_score": pl.Int8, "m_score": pl.Int8},
    )
    rules = pl.DataFrame({"segment": ["whales"], "m_from": [4], "m_to": [5]})
    assert rfm.segmented(scored, rules)["segment"].to_list() == ["whales", rfm.OTHER]


def test_rule_problems_name_rules_that_can_never_match():
    rules = pl.DataFrame(
        {"segment": ["upside down", "too high", "fine"], "r_from": [4, 6, 1], "r_to": [2, 7, 5]}
    )
    assert rfm.rule_problems(rules, 5) == [
        "upside down: R from 4 is above to 2, so the rule never matches",
        "too high: R range is outside 1–5, so the rule never matches",
    ]


SEGMENTED = pl.DataFrame(
    {
        "customer_id": list("abcde"),
        "recency_days": [2, 4, 30, 60, 90],
        "frequency": [5, 3, 1, 2, 1],
        "monetary": [100.0, 60.0, 10.0, 20.0, 10.0],
        "r_score": [3, 3, 2, 1, 1],
        "f_score": [3, 3, 1, 2, 1],
        "m_score": [3, 3, 1, 2, 1],
        "segment": ["champions", "champions", "other", "at risk", "hibernating"],
    },
    schema_overrides={"r_score": pl.Int8, "f_score": pl.Int8, "m_score": pl.Int8},
)


def test_segment_summary_gives_sizes_revenue_shares_and_averages_in_rule_order():
    summary = rfm.segment_summary(SEGMENTED, rfm.default_rules(3))
    assert summary["segment"].to_list() == ["hibernating", "at risk", "champions", "other"]
    assert summary["customers"].to_list() == [1, 1, 2, 1]
    assert summary["customer_share"].to_list() == [0.2, 0.2, 0.4, 0.2]
    assert summary["revenue"].to_list() == [10.0, 20.0, 160.0, 10.0]
    assert summary["revenue_share"].to_list() == [0.05, 0.1, 0.8, 0.05]
    champions = summary.row(2, named=True)
    assert champions["avg_recency_days"] == 3.0
    assert champions["avg_frequency"] == 4.0
    assert champions["avg_monetary"] == 80.0
    assert champions["action"] == rfm.ACTIONS["champions"]
    assert summary.row(3, named=True)["action"] == rfm.ACTIONS[rfm.OTHER]


def test_rf_grid_has_every_cell_with_counts_and_average_spend():
    grid = rfm.rf_grid(SEGMENTED, 3)
    assert grid.height == 9
    cell = grid.filter((pl.col("r_score") == 3) & (pl.col("f_score") == 3)).row(0, named=True)
    assert (cell["customers"], cell["avg_monetary"], cell["segment"]) == (2, 80.0, "champions")
    assert cell["share"] == 0.4
    empty = grid.filter((pl.col("r_score") == 3) & (pl.col("f_score") == 1)).row(0, named=True)
    assert (empty["customers"], empty["avg_monetary"], empty["segment"]) == (0, None, None)
    assert grid["customers"].sum() == 5


def test_the_grid_can_set_recency_against_monetary_scores():
    grid = rfm.rf_grid(SEGMENTED, 3, across="monetary")
    assert grid.columns == [
        "r_score",
        "m_score",
        "customers",
        "share",
        "avg_monetary",
        "segment",
        "repeaters",
        "quiet_days",
    ]
    # d: R1 M2, 20.0; e: R1 M1, 10.0.
    cell = grid.filter((pl.col("r_score") == 1) & (pl.col("m_score") == 2)).row(0, named=True)
    assert (cell["customers"], cell["share"], cell["avg_monetary"]) == (1, 0.2, 20.0)
    assert rfm.grid_reading(grid, 3, "GBP") == (
        "The fullest cell is R3 M3 (2 customers, 40.0%); the highest spend per customer is in "
        "R3 M3 (£80 across 2 customers, too few to plan on); 1 customer of the upper M scores "
        "(M > 1) has gone quiet (R ≤ 1: 60+ days since their last order): look at that "
        "customer."
    )


def test_the_grid_reading_advises_winning_back_only_a_group_worth_a_campaign():
    def grid(lapsed: int) -> pl.DataFrame:
        # R1 F3: the lapsed frequent buyers; R3 F1: everyone else.
        return pl.DataFrame(
            {
                "r_score": [1, 3],
                "f_score": [3, 1],
                "customers": [lapsed, 100],
                "share": [lapsed / (lapsed + 100), 100 / (lapsed + 100)],
                "avg_monetary": [50.0, 20.0],
            }
        )

    # 100 of 125 customers (80.0%) in R3 F1; at 100 and 100, two cells tie for the fullest.
    assert rfm.grid_reading(grid(25), 3, "GBP").startswith(
        "The fullest cell is R3 F1 (100 customers, 80.0%); "
    )
    # R1 F3's £50 a customer rests on 25 customers; on 19, the highest among cells of 20 or
    # more is R3 F1's £20.
    assert "; the highest spend per customer is in R1 F3 (£50 across 25 customers); " in (
        rfm.grid_reading(grid(25), 3, "GBP")
    )
    assert (
        "; the highest spend per customer among cells of 20+ customers is in R3 F1 (£20 across "
        "100 customers); "
    ) in rfm.grid_reading(grid(19), 3, "GBP")
    assert rfm.grid_reading(grid(100), 3, "GBP").startswith(
        "The fullest cells are R3 F1 and R1 F3 (100 customers, 50.0% each); "
    )
    assert rfm.grid_reading(grid(25), 3, "GBP").endswith(
        "25 repeat buyers of the upper F scores (F > 1) have gone quiet (R ≤ 1): win them back."
    )
    assert rfm.grid_reading(grid(19), 3, "GBP").endswith(
        "19 repeat buyers of the upper F scores (F > 1) have gone quiet (R ≤ 1): look at them one "
        "by one."
    )
    # Heaped frequencies score one-order customers F3 too: only those who came back are
    # frequent buyers (an earlier retail demo counted 29 one-order customers among 165).
    some = grid(25).with_columns(repeaters=pl.Series([20, 30]))
    assert rfm.grid_reading(some, 3, "GBP").endswith(
        "20 repeat buyers of the upper F scores (F > 1) have gone quiet (R ≤ 1): win them back."
    )
    none = grid(25).with_columns(repeaters=pl.Series([0, 30]))
    assert "gone quiet" not in rfm.grid_reading(none, 3, "GBP")


def test_readings_name_the_largest_segment_and_where_revenue_is():
    summary = rfm.segment_summary(SEGMENTED, rfm.default_rules(3))
    assert rfm.segments_reading(summary, "GBP") == (
        # Their mean spend, not each one's: the two champions spent £100 and £60 (it read
        # "£80 each"; audit finding 11).
        "Champions is the largest segment: 2 customers (40.0%); champions bring the most net "
        "revenue, 80.0% from 40.0% of customers (£80 on average): only 2 customers, so look at "
        "them one by one."
    )
    grid = rfm.rf_grid(SEGMENTED, 3)
    assert rfm.grid_reading(grid, 3, "GBP") == (
        "The fullest cell is R3 F3 (2 customers, 40.0%); the highest spend per customer is in "
        "R3 F3 (£80 across 2 customers, too few to plan on); 1 repeat buyer of the upper F "
        "scores (F > 1) has gone quiet (R ≤ 1: 60+ days since their last order): look at that "
        "customer."
    )


def test_headless_returns_customers_segments_and_grid():
    ds = Dataset("tiny", "generic", "GBP", tables={"lines": SHOP})
    out = rfm.headless(ds, bins=3, recency_ties="first", clean=False)
    assert set(out) == {"customers", "segments", "grid", "degenerate", "fewer_scores"}
    assert out["customers"]["customer_id"].to_list() == ["a", "b"]
    # a: recency 3 (rank 1 -> R3), frequency 2 (rank 2 -> F3); b: R1, F1.
    assert out["customers"]["segment"].to_list() == ["champions", "hibernating"]
    assert out["grid"].height == 9
    assert out["degenerate"].height == 0
    # Two customers in three bins take scores 1 and 3 in every dimension (as in
    # test_four_customers_cannot_fill_five_scores_and_the_warning_says_so_not_ties): said as the
    # page and the report say it.
    assert out["fewer_scores"]["warning"].to_list() == [
        "Recency, frequency and monetary take only 2 distinct scores of 3 (1, 3) each: 2 "
        "customers cannot fill 3 scores, whatever their values or the tie rule: look at them "
        "one by one."
    ]
    with pytest.raises(ValueError, match="bins"):
        rfm.headless(ds, bins=7)
    with pytest.raises(ValueError, match="frequency ties must be one of value, first"):
        rfm.headless(ds, frequency_ties="shared")


def test_headless_names_a_degenerate_dimension_and_drops_the_actions():
    # Customers 0..9 with one order each, but 7, 8, 9 order again (2, 3, 4 orders).
    rows = [(f"o{i}", str(i), at(i + 1), 10.0 + i, 1.0, 10.0 + i, False) for i in range(10)]
    rows += [
        (f"r{i}{k}", str(i), at(20 + k), 1.0, 1.0, 1.0, False)
        for i in (7, 8, 9)
        for k in range(i - 6)
    ]
    ds = Dataset("tiny", "generic", "GBP", tables={"lines": lines(rows)})
    out = rfm.headless(ds, clean=False)
    assert out["degenerate"].select("dimension", "value", "share", "ties", "scores").rows() == [
        ("frequency", 1.0, 0.7, "first", "1,2,3,4")
    ]
    assert out["segments"]["action"].null_count() == out["segments"].height


def test_default_scores_reproduce_the_published_segment_shares_on_online_retail():
    path = shared_file("online_retail/online_retail.parquet")
    raw = pl.read_parquet(path)
    from lib import formats

    ds = formats.assemble([io.RawTable("online_retail", path.name, raw)]).dataset
    got = rfm.headless(ds, clean=True)  # every other control at the page's default

    # The published recipe, in pandas, from the raw file.
    df = raw.to_pandas()
    df = df.dropna(subset=["CustomerID"])
    df = df[~df["InvoiceNo"].astype(str).str.startswith("C")]
    df = df.drop_duplicates()
    df = df[(df["Quantity"] > 0) & (df["UnitPrice"] > 0)]
    day = pd.to_datetime(df["InvoiceDate"]).dt.normalize()
    as_of = day.max() + pd.Timedelta(days=1)
    per = (
        df.assign(day=day)
        .groupby("CustomerID")  # sorted by id: the row order rank(method="first") follows
        .agg(last=("day", "max"), frequency=("InvoiceNo", "nunique"))
    )
    recency = (as_of - per["last"]).dt.days
    r = pd.qcut(recency, 5, labels=[5, 4, 3, 2, 1]).astype(str)
    f = pd.qcut(per["frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(str)
    segments = (r + f).replace(PUBLISHED_MAP, regex=True)
    expected = segments.value_counts(normalize=True).to_dict()

    assert got["customers"].height == len(per) == 4338
    shares = dict(zip(got["segments"]["segment"], got["segments"]["customer_share"], strict=True))
    assert shares.keys() == expected.keys()
    for segment, share in expected.items():
        assert shares[segment] == pytest.approx(share, abs=1e-12), segment
    # The counts the published notebooks print for these five segments.
    counts = dict(zip(got["segments"]["segment"], got["segments"]["customers"], strict=True))
    assert {s: counts[s] for s in ("at risk", "about to sleep", "can't lose them")} == {
        "at risk": 593,
        "about to sleep": 352,
        "can't lose them": 63,
    }
    assert (counts["need attention"], counts["new customers"]) == (187, 42)
    # Customer by customer, the same R and F scores.
    ids = [str(int(c)) for c in per.index]
    reference = pl.DataFrame({"customer_id": ids, "r": r.astype(int), "f": f.astype(int)})
    joined = got["customers"].join(reference, on="customer_id", how="full")
    assert joined.height == 4338
    assert (joined["r_score"] == joined["r"]).all() and (joined["f_score"] == joined["f"]).all()
    # One tie rule for all (R in row order too) moves 11 customers to another segment.
    r_by_order = pd.qcut(recency.rank(method="first"), 5, labels=[5, 4, 3, 2, 1]).astype(str)
    assert ((r_by_order + f).replace(PUBLISHED_MAP, regex=True) != segments).sum() == 11


def test_monetary_note_reconciles_the_customers_sum_with_the_lines_revenue():
    rows = lines(
        [
            ("1", "a", at(1), 10.0, 2.0, 5.0, False),
            ("1", "a", at(1), 10.0, 2.0, 5.0, False),  # an exact duplicate
            ("C2", "a", at(2), -5.0, -1.0, 5.0, True),  # no item: nets out of purchase 1
            ("C3", "b", at(3), -4.0, -1.0, 4.0, True),  # b bought nothing earlier: left out
            ("9", None, at(4), 20.0, 4.0, 5.0, False),  # a guest
        ]
    )
    table = rfm.customer_table(rows, clean=True)
    total = table.customers["monetary"].sum()
    # Lines: 10 + 10 - 5 - 4 + 20 = 31. Less the guest's 20 and the duplicate's 10: 1, which
    # held both cancellations (-9); of those only the 5 netted out of purchase 1 count: the 4
    # left out are added back, 31 - 20 - 10 + 4 = 5.
    assert total == 5.0
    assert rfm.monetary_note(rows, total, "GBP") == (
        "Monetary values add up to £5: the lines' £31 (cancellations subtracted) less £20 "
        "without a customer id and £10 of exact duplicate lines, plus £4 of the £9 of "
        "cancellations, left out: no earlier purchase of the item to net out of, or more than it "
        "was worth (the other £5 are netted out of the purchases they reverse)."
    )
    # Without b's cancellation every cancellation nets out: nothing "other" is left out.
    netted = rows.filter(pl.col("order_id") != "C3")
    total = rfm.customer_table(netted, clean=True).customers["monetary"].sum()
    assert total == 5.0
    assert rfm.monetary_note(netted, total, "GBP") == (
        "Monetary values add up to £5: the lines' £35 (cancellations subtracted) less £20 "
        "without a customer id and £10 of exact duplicate lines; the £5 of cancellations are "
        "netted out of the purchases they reverse."
    )


def test_monetary_note_writes_its_amounts_in_one_unit_so_the_sum_can_be_checked():
    rows = lines(
        [
            ("1", "a", at(1), 1_216_800.0, 1.0, 1_216_800.0, False),
            ("2", None, at(2), 264_400.0, 1.0, 264_400.0, False),  # a guest
        ]
    )
    total = rfm.customer_table(rows, clean=True).customers["monetary"].sum()
    assert total == 1_216_800.0
    # The lines' 1,481,200 less the guest's 264,400: in thousands, as the smallest amount is
    # written (1.5M less 264.4k would read as 1,235.6k).
    assert rfm.monetary_note(rows, total, "GBP") == (
        "Monetary values add up to £1,216.8k: the lines' £1,481.2k less £264.4k without a "
        "customer id."
    )


def test_a_segment_of_a_handful_of_customers_gets_its_action_with_a_caution():
    action = rfm.ACTIONS["promising"]
    assert rfm.segment_action(action, 13) == (
        f"{action} Only 13 customers: look at them one by one before running a campaign."
    )
    assert rfm.segment_action(action, 1) == (
        f"{action} Only 1 customer: look at that customer before running a campaign."
    )
    assert rfm.segment_action(action, rfm.FEW_CUSTOMERS) == action
    assert rfm.segment_action(None, 500) == "No action set."


def test_monetary_note_names_repeated_cancellation_lines_among_those_left_out():
    rows = lines(
        [
            ("1", "a", at(1), 10.0, 2.0, 5.0, False),
            ("C2", "a", at(2), -5.0, -1.0, 5.0, True),  # nets out of purchase 1
            ("C2", "a", at(2), -5.0, -1.0, 5.0, True),  # its exact repeat: cancels nothing more
        ]
    )
    total = rfm.customer_table(rows, clean=True).customers["monetary"].sum()
    assert total == 5.0  # 10 less one cancellation of 5
    assert rfm.monetary_note(rows, total, "GBP").endswith(
        "plus £5 of the £10 of cancellations, left out: no earlier purchase of the item to net "
        "out of, more than it was worth, or an exact repeat of another cancellation line (the "
        "other £5 are netted out of the purchases they reverse)."
    )


def test_the_customer_list_reading_advises_no_group_of_a_handful():
    """Ten customers, one of them 1,000 of 1,090: 'the top 10% (1) bring 91.7% of it — start with
    them' rested on one customer; 50 make a top 10% of 5, a group to start with."""
    ten = pl.DataFrame({"customer_id": list("abcdefghij"), "monetary": [1000.0] + [10.0] * 9})
    assert rfm.customers_reading(ten, "GBP") == (
        "10 customers listed, worth £1.1k of net revenue; the top 10% (1) bring 91.7% of it — "
        "look at that customer."
    )
    fifty = pl.DataFrame(
        {"customer_id": [str(i) for i in range(50)], "monetary": [1000.0] * 5 + [10.0] * 45}
    )
    assert rfm.customers_reading(fifty, "GBP").endswith("— start with them.")
    one = ten.head(1)
    assert rfm.customers_reading(one, "GBP") == "1 customer listed, worth £1.0k of net revenue."


def test_the_segments_reading_names_tied_segments_together():
    """50 champions and 50 loyal customers, half the revenue each: it read 'Champions is the
    largest segment ...; champions bring the most net revenue, 50.0%' (picked by name)."""
    summary = pl.DataFrame(
        {
            "segment": ["loyal customers", "champions"],
            "customers": [50, 50],
            "customer_share": [0.5, 0.5],
            "revenue_share": [0.5, 0.5],
            "avg_monetary": [100.0, 100.0],
        }
    )
    assert rfm.segments_reading(summary, "GBP") == (
        "Loyal customers and champions tie as the largest segments: 50 customers (50.0%) each; "
        "loyal customers and champions tie for the most net revenue, 50.0% each: no one segment "
        "stands out."
    )


def _in_segments(segments: list[str], spends: list[float]) -> pl.DataFrame:
    n = len(segments)
    return pl.DataFrame(
        {
            "customer_id": [str(i) for i in range(n)],
            "recency_days": [10] * n,
            "frequency": [2] * n,
            "monetary": spends,
            "segment": segments,
        }
    )


def test_the_segments_reading_gives_a_segments_mean_spend_as_an_average():
    """Audit (f_whale): three champions who spent £23,562, £78.43 and £59.39 read '£7,900
    each'; none is near it. By hand: their mean is 23,699.82 / 3 = £7,899.94, and their share
    23,699.82 of 23,769.82 (seven more customers at £10) = 99.7%."""
    customers = _in_segments(
        ["champions"] * 3 + ["hibernating"] * 7, [23562.0, 78.43, 59.39] + [10.0] * 7
    )
    summary = rfm.segment_summary(customers, rfm.default_rules(5))
    assert rfm.segments_reading(summary, "GBP") == (
        "Hibernating is the largest segment: 7 customers (70.0%); champions bring the most net "
        "revenue, 99.7% from 30.0% of customers (£7,900 on average): only 3 customers, so look "
        "at them one by one."
    )


def test_segments_of_one_customer_read_in_the_singular():
    """Audit (i_four_repeat): four segments of one customer each read '1 customers (25.0%)
    each' and 'only 1 customer, so look at them one by one'. The top earner's £100 is its one
    customer's spend, not an average: 100 of 100 + 50 + 30 + 20 = 50.0%."""
    customers = _in_segments(
        ["champions", "at risk", "promising", "hibernating"], [100.0, 50.0, 30.0, 20.0]
    )
    summary = rfm.segment_summary(customers, rfm.default_rules(5))
    assert rfm.segments_reading(summary, "GBP") == (
        "Hibernating, at risk, promising and champions tie as the largest segments: 1 customer "
        "(25.0%) each; champions bring the most net revenue, 50.0% from 25.0% of customers "
        "(£100): only 1 customer, so look at that customer."
    )


def test_the_page_names_the_segments_row_order_put_equal_customers_in():
    """Audit: 100 of Online Retail's 484 potential loyalists had one order, put there rather
    than among new customers by their ids' places in the file; the note named no segment. By
    hand (5 bins, the published map): three one-time buyers; a scores R5 F1 (new customers),
    b R5 F2 (potential loyalists: with F1 a new customer), c R1 F2 (hibernating, as with F1)."""
    scored = pl.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "frequency": [1, 1, 1, 4],
            "r_score": [5, 5, 1, 5],
            "f_score": [1, 2, 2, 5],
            "m_score": [3, 3, 3, 5],
        }
    )
    rules = rfm.default_rules(5)
    customers = rfm.segmented(scored, rules)
    assert customers["segment"].to_list() == [
        "new customers",
        "potential loyalists",
        "hibernating",
        "champions",
    ]
    lifted = rfm.lifted_by_order(customers, rules, "frequency", 1)
    assert lifted.rows() == [("potential loyalists", 1)]
    assert rfm.lifted_note(lifted, "frequency", 1) == (
        "Row order alone put 1 customer with frequency 1 in potential loyalists: with the lowest "
        "frequency score of their peers they would be in another segment. They behave as the "
        "others with frequency 1, and these segments' figures count them."
    )
    assert rfm.lifted_by_order(customers, rules, "frequency", 4).height == 0


def test_the_grid_weighs_its_quiet_customers_against_the_churn_window():
    """Audit: Online Retail's grid read "656 frequent buyers have gone quiet (R ≤ 2, F > 2): win
    them back", where F3 holds customers of 2 orders and R2 starts at 73 days, within the 110
    days in which 90% of repeat purchases come. Here d (2 orders, 60 days since its last
    order) is the one repeat buyer in R1 F2: against a window of 70 days it may only be
    between purchases; against 50, it is not. Quiet is counted as the churn section counts
    it, to the last day before the as-of date: 59 days, within a window of 59."""
    grid = rfm.rf_grid(SEGMENTED, 3)
    assert rfm.grid_reading(grid, 3, "GBP", lapse_days=70).endswith(
        "1 repeat buyer of the upper F scores (F > 1) has gone quiet (R ≤ 1: 60+ days since "
        "their last order): 90% of repeat purchases come within 70 days, and some have been "
        "quiet no longer than that, so may only be between purchases: look at that customer once "
        "past it."
    )
    assert rfm.grid_reading(grid, 3, "GBP", lapse_days=50).endswith(
        "(R ≤ 1: 60+ days since their last order): look at that customer."
    )
    assert rfm.grid_reading(grid, 3, "GBP", lapse_days=59).endswith(
        "(R ≤ 1: 60+ days since their last order): 90% of repeat purchases come within 59 "
        "days, and some have been quiet no longer than that, so may only be between purchases: "
        "look at that customer once past it."
    )
