"""Seller funnel analyses on tiny hand-made frames, the real Olist funnel and the demo's reps."""

from datetime import datetime

import polars as pl
import pytest

from lib import demo, formats, io
from lib.analyses import funnel
from tests.conftest import shared_file

FUNNEL_DIR = "olist_marketing_funnel"


def day(m: int, d: int) -> datetime:
    return datetime(2024, m, d)


def tiny() -> tuple[pl.DataFrame, pl.DataFrame]:
    """10 leads (5 in January, 5 in February), 5 deals; L8 is dated before its first contact."""
    leads = pl.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(1, 11)],
            "first_contact_at": [day(1, i) for i in range(1, 6)] + [day(2, i) for i in range(1, 6)],
            "origin": ["a", "a", "a", "a", "b", "b", "b", None, "unknown", "c"],
            "landing_page": ["p1", "p1", "p1", "p2", "p2", "p3", "p1", "p4", "p5", "p1"],
        }
    )
    deals = pl.DataFrame(
        {
            "lead_id": ["L1", "L2", "L5", "L8", "L10"],
            "won_at": [
                datetime(2024, 1, 11, 15),  # 10 days
                datetime(2024, 1, 22, 9),  # 20 days
                datetime(2024, 1, 10, 12),  # 5 days
                datetime(2024, 2, 1, 8),  # 3 days before contact on 4 Feb
                datetime(2024, 3, 6, 10),  # 30 days
            ],
            "seller_id": ["s1", "s2", "s5", "s8", "s10"],
            "sdr_id": ["S", "S", "T", "T", "T"],
            "sr_id": ["X", "X", "Y", "Y", "Y"],
            "business_segment": ["g1", "g1", "g2", None, "g1"],
            "lead_type": ["t1", "t1", "t2", "t1", "t1"],
            "behaviour_profile": ["cat"] * 5,
            "business_type": ["reseller"] * 5,
            "declared_monthly_revenue": [100.0, 0.0, 0.0, 50.0, 0.0],
        }
    )
    return leads, deals


def outcomes_and_closed() -> tuple[pl.DataFrame, pl.DataFrame]:
    leads, deals = tiny()
    outcomes = funnel.lead_outcomes(leads, deals)
    return outcomes, funnel.closed_deals(outcomes, deals)


def test_wilson_interval_of_five_in_ten_is_24_to_76_percent():
    low, high = funnel.wilson_bounds(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-4)
    assert high == pytest.approx(0.7634, abs=1e-4)
    frame = pl.DataFrame({"k": [5, 0, 0], "n": [10, 10, 0]}).select(
        *funnel.wilson_interval("k", "n")
    )
    assert frame["conversion_low"].to_list()[:2] == pytest.approx([0.2366, 0.0], abs=1e-4)
    assert frame["conversion_high"].to_list()[:2] == pytest.approx([0.7634, 0.2775], abs=1e-4)
    assert frame.row(2) == (None, None)


def test_lead_outcomes_mark_wins_and_drop_impossible_close_times():
    outcomes, _ = outcomes_and_closed()
    assert outcomes.height == 10
    assert outcomes.filter("won")["lead_id"].to_list() == ["L1", "L2", "L5", "L8", "L10"]
    days = dict(outcomes.select("lead_id", "days_to_close").iter_rows())
    assert [days[k] for k in ("L1", "L2", "L5", "L8", "L10")] == [10, 20, 5, None, 30]
    # Null and "unknown" origins are one group, like the quality rule counts them.
    assert outcomes.filter(pl.col("origin") == "unknown").height == 2


def test_lead_outcomes_ignore_deals_of_unknown_leads_and_repeat_deals():
    leads, deals = tiny()
    extra = deals.head(1).with_columns(pl.lit(datetime(2024, 5, 1)).alias("won_at"))
    orphan = deals.head(1).with_columns(pl.lit("L99").alias("lead_id"))
    outcomes = funnel.lead_outcomes(leads, pl.concat([deals, extra, orphan]))
    assert outcomes.height == 10
    assert outcomes["won"].sum() == 5
    assert outcomes.filter(pl.col("lead_id") == "L1")["days_to_close"].item() == 10


def test_overall_conversion_is_five_of_ten_with_median_fifteen_days():
    outcomes, _ = outcomes_and_closed()
    row = funnel.overall_conversion(outcomes).row(0, named=True)
    assert (row["leads"], row["deals"], row["conversion"]) == (10, 5, 0.5)
    assert row["median_days_to_close"] == 15.0
    assert row["conversion_low"] == pytest.approx(0.2366, abs=1e-4)


def test_conversion_by_origin_counts_leads_and_deals_per_origin():
    outcomes, _ = outcomes_and_closed()
    table = funnel.conversion_by(outcomes, "origin")
    assert table.select("origin", "leads", "deals").rows() == [
        ("a", 4, 2),
        ("b", 3, 1),
        ("unknown", 2, 1),
        ("c", 1, 1),
    ]
    assert table["conversion"].to_list() == [0.5, 1 / 3, 0.5, 1.0]


def test_conversion_by_landing_page_pools_pages_beyond_the_top():
    outcomes, _ = outcomes_and_closed()
    table = funnel.conversion_by(outcomes, "landing_page", top=2)
    # p1 has 5 leads (L1 L2 L3 L7 L10), p2 2 (L4 L5); p3, p4, p5 are pooled (3 leads, 1 deal).
    assert table.select("landing_page", "leads", "deals").rows() == [
        ("p1", 5, 3),
        ("p2", 2, 1),
        (funnel.OTHER_PAGES, 3, 1),
    ]


def test_lead_cohorts_give_conversion_and_quick_closes_per_month():
    outcomes, _ = outcomes_and_closed()
    table = funnel.lead_cohorts(outcomes)
    assert table.select("leads", "deals", "within_30d").rows() == [(5, 3, 0.6), (5, 2, 0.2)]
    assert table["median_days_to_close"].to_list() == [10.0, 30.0]
    # The last deal is on 6 March: January observed 65 days, February 34.
    assert table["observed_days"].to_list() == [65, 34]


def test_days_to_close_by_origin_starts_with_all_deals():
    outcomes, _ = outcomes_and_closed()
    table = funnel.days_to_close_by(outcomes, "origin")
    assert table.select("origin", "deals", "median_days").rows() == [
        ("(all)", 4, 15.0),
        ("a", 2, 15.0),
        ("b", 1, 5.0),
        ("c", 1, 30.0),
    ]


def test_deal_mix_shares_closed_deals_by_lead_type_and_names_missing_segments():
    _, closed = outcomes_and_closed()
    by_type = funnel.deal_mix(closed, "lead_type")
    assert by_type.select("lead_type", "deals", "share").rows() == [("t1", 4, 0.8), ("t2", 1, 0.2)]
    by_segment = funnel.deal_mix(closed, "business_segment")
    assert by_segment.select("business_segment", "deals").rows() == [
        ("g1", 3),
        ("g2", 1),
        ("unknown", 1),
    ]
    assert by_type["declared_revenue"].to_list() == [150.0, 0.0]


def test_rep_table_adds_the_sellers_sales_after_the_win():
    _, closed = outcomes_and_closed()
    lines = pl.DataFrame(
        {
            "order_id": ["o1", "o2", "o3", "o4", "o5"],
            "seller_id": ["s1", "s1", "s5", "s5", "zz"],
            "ordered_at": [day(1, 2), day(2, 1), day(1, 20), day(1, 21), day(2, 1)],
            "revenue": [999.0, 50.0, 20.0, -5.0, 7.0],
        }
    )
    sales = funnel.seller_sales(closed, lines)
    assert sorted(sales.rows()) == [("s1", 1, 50.0), ("s5", 2, 15.0)]
    table = funnel.rep_table(closed, "sr_id", sales)
    assert table.select("sr_id", "deals", "selling_sellers", "sales_revenue").rows() == [
        ("Y", 3, 1, 15.0),
        ("X", 2, 1, 50.0),
    ]
    assert table["median_days_to_close"].to_list() == [17.5, 15.0]
    assert table["sellers_declaring"].to_list() == [1, 1]
    assert "sales_revenue" not in funnel.rep_table(closed, "sr_id").columns


def test_match_table_compares_each_rep_with_all_reps_on_the_same_lead_type():
    _, closed = outcomes_and_closed()
    table = funnel.match_table(closed, "sr_id", "lead_type", min_count=2)
    rows = {
        (r["sr_id"], r["lead_type"]): r for r in table.iter_rows(named=True)
    }  # typical t1: median of 10, 20, 30 = 20
    assert rows[("X", "t1")]["median_days_to_close"] == 15.0
    assert rows[("X", "t1")]["speed"] == pytest.approx(20 / 15)
    assert rows[("Y", "t1")]["share_of_rep"] == pytest.approx(2 / 3)
    assert rows[("Y", "t1")]["speed"] == pytest.approx(20 / 30)
    assert [rows[k]["enough"] for k in (("X", "t1"), ("Y", "t1"), ("Y", "t2"))] == [
        True,
        True,
        False,
    ]


def test_routing_sends_a_lead_type_to_the_fastest_rep_with_enough_deals():
    _, closed = outcomes_and_closed()
    matches = {
        "sr_id": funnel.match_table(closed, "sr_id", "lead_type", min_count=2),
        "sdr_id": funnel.match_table(closed, "sdr_id", "business_segment", min_count=2),
    }
    routes = funnel.routing(matches)
    sr = routes.filter(pl.col("role") == "SR")
    assert sr.select("value", "route_to", "median_days", "avoid", "reps_judged").rows() == [
        ("t1", "X", 15.0, "Y", 2)
    ]
    # Only SDR S has 2 deals of g1: recommended, with no rep to avoid.
    sdr = routes.filter(pl.col("role") == "SDR")
    assert sdr.select("value", "route_to", "avoid").rows() == [("g1", "S", None)]
    assert sdr["evidence"].item().startswith("only S has enough g1 deals")


def test_routing_of_no_judged_cells_is_an_empty_table():
    _, closed = outcomes_and_closed()
    table = funnel.match_table(closed, "sr_id", "lead_type", min_count=10)
    assert funnel.routing({"sr_id": table}).height == 0


def test_headless_refuses_a_data_set_without_leads():
    ds = formats.assemble(
        [io.RawTable(n, n, f) for n, f in demo.demo("retail").files.items()]
    ).dataset
    with pytest.raises(ValueError, match="olist_marketing_qualified_leads_dataset.csv"):
        funnel.headless(ds)


# --- the real Olist marketing funnel -------------------------------------------------------


@pytest.fixture(scope="module")
def real():
    folder = shared_file(FUNNEL_DIR)
    leads_path = folder / "olist_marketing_qualified_leads_dataset.csv.gz"
    deals_path = folder / "olist_closed_deals_dataset.csv.gz"
    tables = [t for p in (leads_path, deals_path) for t in io.read_path(p)]
    ds = formats.assemble(tables).dataset
    raw_leads = pl.read_csv(leads_path, infer_schema=False)
    raw_deals = pl.read_csv(deals_path, infer_schema=False)
    return funnel.headless(ds), raw_leads, raw_deals


def test_real_funnel_closes_842_of_8000_leads(real):
    out, raw_leads, raw_deals = real
    row = out["overall"].row(0, named=True)
    assert (raw_leads.height, raw_deals.height) == (8000, 842)
    assert (row["leads"], row["deals"]) == (8000, 842)
    assert row["conversion"] == pytest.approx(842 / 8000)


def test_real_conversion_by_origin_matches_plain_polars(real):
    out, raw_leads, raw_deals = real
    expected = (
        raw_leads.with_columns(
            pl.col("origin").fill_null("unknown"),
            pl.col("mql_id").is_in(raw_deals["mql_id"].implode()).alias("won"),
        )
        .group_by("origin")
        .agg(pl.len().alias("leads"), pl.col("won").sum().alias("deals"))
        .sort("origin")
    )
    got = out["by_origin"].select("origin", "leads", "deals").sort("origin")
    assert got.rows() == expected.rows()


def test_real_median_days_to_close_matches_plain_polars(real):
    out, raw_leads, raw_deals = real
    days = (
        raw_deals.join(raw_leads, on="mql_id")
        .select(
            (
                pl.col("won_date").str.slice(0, 10).str.to_date()
                - pl.col("first_contact_date").str.slice(0, 10).str.to_date()
            )
            .dt.total_days()
            .alias("days")
        )
        .filter(pl.col("days") >= 0)["days"]
    )
    assert out["overall"]["median_days_to_close"].item() == days.median()
    assert out["days_to_close"].row(0, named=True)["deals"] == days.len()


def test_real_wins_per_sr_match_plain_polars(real):
    out, _, raw_deals = real
    expected = raw_deals.group_by("sr_id").len().sort("sr_id")
    got = out["reps_sr"].select("sr_id", "deals").sort("sr_id")
    assert got.rows() == expected.rows()
    assert got["deals"].sum() == 842


# --- the demo's planted rep differences ----------------------------------------------------


def test_demo_matching_recovers_the_fast_and_the_slow_sr():
    ds = formats.assemble(
        [io.RawTable(n, n, f) for n, f in demo.demo("marketplace").files.items()]
    ).dataset
    out = funnel.headless(ds)
    table = out["sr_by_lead_type"]

    def cell(rep: str, lead_type: str) -> dict:
        return table.filter((pl.col("sr_id") == rep) & (pl.col("lead_type") == lead_type)).row(
            0, named=True
        )

    fast = cell(demo.FAST_SR_ID, "online_big")
    slow = cell(demo.SLOW_SR_ID, "industry")
    assert fast["enough"] and slow["enough"]
    # Planted factors: 0.15x on online_big and 5x on industry against a rep's usual pace.
    assert fast["median_days_to_close"] < 0.5 * fast["typical_days"]
    assert slow["median_days_to_close"] > 2 * slow["typical_days"]
    routes = out["routing"].filter(pl.col("role") == "SR")
    by_type = {r["value"]: r for r in routes.iter_rows(named=True)}
    assert by_type["online_big"]["route_to"] == demo.FAST_SR_ID
    assert by_type["industry"]["avoid"] == demo.SLOW_SR_ID
