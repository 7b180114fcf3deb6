"""Web events analyses on tiny hand-made frames, and on the web-shop demo's planted patterns."""

import math
from datetime import date, datetime, timedelta

import altair as alt
import polars as pl
import pytest
from scipy.stats import binom, binomtest, chi2_contingency, norm

from lib import demo, formats, stats
from lib.analyses import events as ev
from lib.charts import events as charts
from lib.model import DATETIME, Dataset


def events_frame(rows: list[tuple[str, str, str, str, str | None]]) -> pl.DataFrame:
    """(user_id, event_at 'YYYY-MM-DD HH:MM', event_name, platform, item_id) rows as events."""
    return pl.DataFrame(
        {
            "event_id": [str(i) for i in range(len(rows))],
            "user_id": [r[0] for r in rows],
            "event_at": [datetime.strptime(r[1], "%Y-%m-%d %H:%M") for r in rows],
            "event_name": [r[2] for r in rows],
            "platform": [r[3] for r in rows],
            "item_id": [r[4] for r in rows],
        },
        schema_overrides={"event_at": DATETIME, "item_id": pl.String},
    )


def lines_frame(rows: list[tuple[str, str, str, bool]]) -> pl.DataFrame:
    """(customer_id, item_id, ordered_at 'YYYY-MM-DD', is_return) rows as order lines."""
    return pl.DataFrame(
        {
            "order_id": [str(i) for i in range(len(rows))],
            "customer_id": [r[0] for r in rows],
            "ordered_at": [datetime.strptime(r[2], "%Y-%m-%d") for r in rows],
            "revenue": [-10.0 if r[3] else 10.0 for r in rows],
            "item_id": [r[1] for r in rows],
            "is_return": [r[3] for r in rows],
        },
        schema_overrides={"ordered_at": DATETIME},
    )


# Views and orders for conversion: u1 orders A 2 days after viewing it; u2 orders A 15 and 18
# days after viewing it on web and iphone; u3's order of B is a return; u4 and u5 buy unviewed.
VIEWS = events_frame(
    [
        ("u1", "2024-01-01 10:00", "view_item", "web", "A"),
        ("u1", "2024-01-01 10:05", "view_item", "web", "B"),
        ("u1", "2024-01-01 10:10", "add_to_cart", "web", "A"),
        ("u2", "2024-01-02 09:00", "view_item", "iphone", "A"),
        ("u2", "2024-01-05 09:00", "view_item", "web", "A"),
        ("u3", "2024-01-03 11:00", "login", "iphone", None),
        ("u3", "2024-01-03 12:00", "view_item", "iphone", "B"),
        ("u4", "2024-01-01 08:00", "view_item", "web", "A"),
    ]
)
ORDERS = lines_frame(
    [
        ("u1", "A", "2024-01-03", False),
        ("u2", "A", "2024-01-20", False),
        ("u3", "B", "2024-01-04", True),
        ("u4", "B", "2024-01-02", False),
        ("u5", "C", "2024-01-02", False),
    ]
)
ITEMS = pl.DataFrame(
    {"item_id": ["A", "B", "C"], "item_name": ["Anvil", "Bell", "Cup"], "category": ["x", "y", "x"]}
)


def test_conversion_by_platform_counts_user_item_views_ordered_within_the_window():
    units = ev.converted_views(VIEWS, ORDERS, window_days=7)
    day = timedelta(days=1)
    assert units.sort("user_id", "item_id", "platform").rows() == [
        ("u1", "A", "web", 2 * day - timedelta(hours=10), True),
        ("u1", "B", "web", None, False),
        ("u2", "A", "iphone", 18 * day - timedelta(hours=9), False),
        ("u2", "A", "web", 15 * day - timedelta(hours=9), False),
        ("u3", "B", "iphone", None, False),  # the order is a return
        ("u4", "A", "web", None, False),
    ]
    table = ev.conversion_by_platform(units)
    assert table.rows() == [("web", 4, 1, 0.25, 0.25 / (1 / 6)), ("iphone", 2, 0, 0.0, 0.0)]


def test_a_longer_window_converts_the_later_order_on_both_platforms():
    table = ev.conversion_by_platform(ev.converted_views(VIEWS, ORDERS, window_days=20))
    # iphone: u2's A (18 days); web: u1's A and u2's A (15 days) of 4.
    assert table.select("platform", "viewers", "buyers", "conversion").rows() == [
        ("iphone", 2, 1, 0.5),
        ("web", 4, 2, 0.5),
    ]


def test_conversion_by_item_counts_viewers_once_across_platforms_and_all_customers():
    units = ev.converted_views(VIEWS, ORDERS, window_days=7)
    table = ev.conversion_by_item(units, ORDERS, ITEMS)
    lags = ev.view_lags(VIEWS, ORDERS)
    assert ev.conversion_by_item(ev.converted(ev.item_lags(lags), 7), ORDERS, ITEMS).equals(table)
    assert table.columns == [
        "item_id",
        "item_name",
        "category",
        "viewers",
        "buyers",
        "conversion",
        "customers",
    ]
    assert table.rows() == [
        ("A", "Anvil", "x", 3, 1, 1 / 3, 2),
        ("B", "Bell", "y", 2, 0, 0.0, 1),  # u3's return is no customer
        ("C", "Cup", "x", 0, 0, None, 1),
    ]


def test_conversion_by_category_adds_up_items_user_item_pairs():
    units = ev.converted_views(VIEWS, ORDERS, window_days=7)
    table = ev.conversion_by_category(units, ITEMS)
    assert table.rows() == [("x", 3, 1, 1 / 3), ("y", 2, 0, 0.0)]


def test_mismatched_items_rank_low_conversion_and_buyers_without_a_view():
    units = ev.converted_views(VIEWS, ORDERS, window_days=7)
    by_item = ev.conversion_by_item(units, ORDERS, ITEMS)
    browsed, unviewed = ev.mismatched_items(by_item, min_viewers=2)
    assert browsed["item_id"].to_list() == ["B", "A"]
    assert unviewed.select("item_id", "without_view").rows() == [("A", 1), ("B", 1), ("C", 1)]
    assert ev.mismatched_items(by_item, min_viewers=3)[0]["item_id"].to_list() == ["A"]


FUNNEL_EVENTS = events_frame(
    [
        ("u1", "2024-01-01 10:00", "view_item", "web", "A"),
        ("u1", "2024-01-01 10:10", "add_to_cart", "web", "A"),
        ("u1", "2024-01-02 10:00", "purchase", "web", None),
        ("u2", "2024-01-02 09:00", "view_item", "iphone", "A"),
        ("u2", "2024-01-05 09:00", "add_to_cart", "web", "A"),
        ("u3", "2024-01-01 09:00", "add_to_cart", "iphone", "A"),  # before entering
        ("u3", "2024-01-03 09:00", "view_item", "iphone", "A"),
        ("u4", "2024-01-01 10:00", "view_item", "web", "A"),
        ("u4", "2024-01-10 10:00", "add_to_cart", "web", "A"),  # 9 days after entry
        ("u5", "2024-01-01 10:00", "login", "web", None),
        ("u7", "2024-01-01 10:00", "view_item", "web", "A"),
        ("u7", "2024-01-02 10:00", "purchase", "web", None),  # before the cart: out of order
        ("u7", "2024-01-03 10:00", "add_to_cart", "web", "A"),
    ]
)
STEPS = ("view_item", "add_to_cart", "purchase")


def test_funnel_follows_the_steps_in_order_within_the_window():
    table = ev.funnel(FUNNEL_EVENTS, STEPS, window_days=7)
    assert table.filter(pl.col("platform") == "all").drop("platform").rows() == [
        (1, "view_item", 5, 1.0, 1.0),
        (2, "add_to_cart", 3, 0.6, 0.6),
        (3, "purchase", 1, 1 / 3, 0.2),
    ]
    # Entry platforms: web for u1, u4, u7; iphone for u2, u3 (u2's cart on web still counts).
    assert table.filter(pl.col("platform") != "all").select("platform", "step", "users").rows() == [
        ("iphone", 1, 2),
        ("iphone", 2, 1),
        ("iphone", 3, 0),
        ("web", 1, 3),
        ("web", 2, 2),
        ("web", 3, 1),
    ]
    assert table.filter((pl.col("platform") == "iphone") & (pl.col("step") == 3)).row(
        0, named=True
    ) | {} == {
        "platform": "iphone",
        "step": 3,
        "event_name": "purchase",
        "users": 0,
        "step_conversion": 0.0,
        "overall_conversion": 0.0,
    }


def test_funnel_paths_reach_each_step_as_early_as_possible_after_the_previous():
    paths = ev.funnel_paths(FUNNEL_EVENTS, STEPS).filter(pl.col("user_id") == "u7")
    assert paths.sort("step").select("platform", "step", "lag").rows() == [
        ("web", 1, timedelta(0)),
        ("web", 2, timedelta(days=2)),  # the purchase before the cart does not count
    ]


def test_a_longer_funnel_window_lets_the_late_cart_count():
    table = ev.funnel(FUNNEL_EVENTS, STEPS[:2], window_days=10)
    assert table.filter(pl.col("platform") == "all")["users"].to_list() == [5, 4]


def test_a_funnel_can_end_in_an_order_of_the_order_lines():
    """Audit: a funnel's steps were event names only, so none could end in a purchase. Of the
    four viewers: u1 orders 2 days after viewing, u4 1 day after, u2 18 days after; u3's only
    order is a return, which places no order; u5 ordered without a view."""
    ds = Dataset("views", "generic", tables={"events": VIEWS, "lines": ORDERS})
    seen = ev.funnel_events(ds)
    ordered = seen.filter(pl.col("event_name") == ev.ORDERED)
    assert sorted(ordered["user_id"]) == ["u1", "u2", "u4", "u5"]
    assert seen.height == VIEWS.height + 4
    steps = ("view_item", ev.ORDERED)
    week = ev.funnel(seen, steps, window_days=7).filter(pl.col("platform") == "all")
    assert week["users"].to_list() == [4, 2]
    month = ev.funnel(seen, steps, window_days=30).filter(pl.col("platform") == "all")
    assert month["users"].to_list() == [4, 3]
    # After the cart: only u1 carts, 10 minutes after the view, and orders 2 days later.
    three = ev.headless(ds, steps=f"view_item,add_to_cart,{ev.ORDERED}")["funnel"]
    assert three.filter(pl.col("platform") == "all")["users"].to_list() == [4, 1, 1]


def test_a_funnel_without_steps_is_empty():
    assert ev.funnel(FUNNEL_EVENTS, (), 7).height == 0


# Same-day views: u1 A B C on day 1; u2 A B on day 1 (and again on day 3), C on day 2; u3 A and B
# on different days; u4 B C; u5 and u6 only D. Six viewing users.
CO_EVENTS = events_frame(
    [
        ("u1", "2024-01-01 10:00", "view_item", "web", "A"),
        ("u1", "2024-01-01 10:01", "view_item", "web", "A"),
        ("u1", "2024-01-01 10:02", "view_item", "web", "B"),
        ("u1", "2024-01-01 10:03", "view_item", "web", "C"),
        ("u2", "2024-01-01 11:00", "view_item", "web", "A"),
        ("u2", "2024-01-01 11:05", "view_item", "iphone", "B"),
        ("u2", "2024-01-02 11:00", "view_item", "web", "C"),
        ("u2", "2024-01-03 11:00", "view_item", "web", "A"),
        ("u2", "2024-01-03 11:01", "view_item", "web", "B"),
        ("u3", "2024-01-01 12:00", "view_item", "web", "A"),
        ("u3", "2024-01-02 12:00", "view_item", "web", "B"),
        ("u4", "2024-01-01 12:00", "view_item", "web", "B"),
        ("u4", "2024-01-01 12:30", "view_item", "web", "C"),
        ("u5", "2024-01-01 12:00", "view_item", "web", "D"),
        ("u6", "2024-01-01 12:00", "add_to_cart", "web", "D"),
    ]
)


def test_co_views_count_users_who_viewed_both_items_on_one_day():
    pairs = ev.co_views(
        CO_EVENTS.vstack(events_frame([("u6", "2024-01-01 12:00", "view_item", "web", "D")]))
    )
    # A: u1 u2 u3; B: u1 u2 u3 u4; C: u1 u2 u4; six users viewed something.
    assert pairs.rows() == [
        ("A", "B", 2, 3, 4, 2 * 6 / 12, 2 / 12**0.5),
        ("B", "C", 2, 4, 3, 2 * 6 / 12, 2 / 12**0.5),
        ("A", "C", 1, 3, 3, 1 * 6 / 9, 1 / 3),
    ]


def test_top_pairs_and_recommendations_respect_the_minimum_support():
    pairs = ev.co_views(CO_EVENTS)  # five viewing users: u6 only carted
    assert pairs.filter(pl.col("item_a") == "A")["lift"].to_list() == [2 * 5 / 12, 1 * 5 / 9]
    assert ev.top_pairs(pairs, min_support=2).select("item_a", "item_b").rows() == [
        ("A", "B"),
        ("B", "C"),
    ]
    recs = ev.recommendations(pairs, "A", min_support=1)
    assert recs.select("item_id", "users").rows() == [("B", 2), ("C", 1)]
    assert ev.recommendations(pairs, "A", min_support=2)["item_id"].to_list() == ["B"]
    assert ev.recommendations(pairs, "D", min_support=1).height == 0
    named = ev.with_names(recs, ITEMS)
    assert named.columns[:3] == ["item_id", "item_name", "category"]
    assert named["item_name"].to_list() == ["Bell", "Cup"]
    # The bars are lift; their labels say the users they rest on, in words (not a bare "2").
    spec = charts.recommendations_chart(named, "lift").to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert [r["viewers"] for r in rows] == ["2 users", "1 user"]
    assert spec["layer"][1]["encoding"]["text"]["field"] == "viewers"


def _on_days(counts: dict[str, int]) -> pl.DataFrame:
    rows = [
        (f"u{i % 2}", f"{day} 1{i % 10}:00", "login", "web", None)
        for day, n in counts.items()
        for i in range(n)
    ]
    return events_frame(rows)


def test_daily_status_flags_empty_days_and_days_far_below_their_neighbours():
    status = ev.daily_status(
        _on_days({"2024-01-01": 8, "2024-01-02": 8, "2024-01-04": 1, "2024-01-05": 8})
    )
    # Typical: the median of the 15 days around, here all five (8, 8, 0, 1, 8) = 8; 1 < 25% of 8.
    assert status.rows() == [
        (date(2024, 1, 1), 8, 2, 8.0, "normal"),
        (date(2024, 1, 2), 8, 2, 8.0, "normal"),
        (date(2024, 1, 3), 0, 0, 8.0, "no events"),
        (date(2024, 1, 4), 1, 1, 8.0, "abnormally few"),
        (date(2024, 1, 5), 8, 2, 8.0, "normal"),
    ]
    assert "1 day has no events and 1 day has abnormally few (3 Jan 2024, 4 Jan 2024)" in (
        ev.daily_reading(status)
    )
    # Without a day of abnormally few events, none is counted: no "and 0 abnormally few".
    empty = ev.daily_status(_on_days({"2024-01-01": 8, "2024-01-02": 8, "2024-01-04": 8}))
    assert ev.daily_reading(empty).startswith("1 day has no events (3 Jan 2024):")


def test_events_per_day_split_by_platform_and_event_mix_shares():
    per_day = ev.events_per_day(VIEWS, by="platform")
    assert per_day.filter(pl.col("day") == date(2024, 1, 1)).rows() == [
        (date(2024, 1, 1), "web", 4)
    ]
    mix = ev.event_mix(VIEWS)
    assert mix.rows() == [
        ("web", "view_item", 4, 3, 0.5),
        ("iphone", "view_item", 2, 2, 0.25),
        ("iphone", "login", 1, 1, 0.125),
        ("web", "add_to_cart", 1, 1, 0.125),
    ]


def test_active_users_split_new_and_returning_per_day():
    table = ev.active_users(
        events_frame(
            [
                ("u1", "2024-01-01 10:00", "login", "web", None),
                ("u1", "2024-01-02 10:00", "login", "web", None),
                ("u2", "2024-01-02 11:00", "login", "web", None),
                ("u2", "2024-01-02 12:00", "login", "web", None),
                ("u3", "2024-01-03 10:00", "login", "web", None),
                ("u1", "2024-01-03 11:00", "login", "web", None),
            ]
        ),
        "day",
    )
    assert table.rows() == [
        (date(2024, 1, 1), 1, 1, 0, 1.0, False),
        (date(2024, 1, 2), 2, 1, 1, 0.5, False),
        (date(2024, 1, 3), 2, 1, 1, 0.5, False),
    ]
    # A day is named as a day ("In the day of 3 Jan 2024" read oddly): on 3 January u3 and u1
    # were active, u3 new (50%); the median day's new share is that of 1, 0.5 and 0.5.
    assert ev.active_reading(table, "day").startswith(
        "On 3 Jan 2024, 2 users were active, 50.0% of them new (median day: 50.0%)"
    )


def test_the_active_users_reading_reads_the_last_week_the_data_covers_in_full():
    """Events from Wednesday 3 January to Sunday 21 January 2024: the week of 1 January starts
    before them (partial); those of 8 and 15 January are whole, the last one included."""
    rows = [("u1", "2024-01-03 10:00", "login", "web", None)]
    rows += [
        (f"u{i}", f"2024-01-{d:02d} 10:00", "login", "web", None)
        for i, d in enumerate((8, 9, 10, 15, 16, 17, 18, 21), start=2)
    ]
    rows += [("u1", "2024-01-19 10:00", "login", "web", None)]
    table = ev.active_users(events_frame(rows), "week")
    assert table.select("period", "users", "new_users", "partial").rows() == [
        (date(2024, 1, 1), 1, 1, True),
        (date(2024, 1, 8), 3, 3, False),
        (date(2024, 1, 15), 6, 5, False),
    ]
    assert ev.active_reading(table, "week").startswith(
        "In the week of 15 Jan 2024, 6 users were active, 83.3% of them new (median week: 91.7%)"
    )
    # Ending on Thursday 18 January instead, the week of 15 January is cut short: one full week.
    cut = ev.active_users(events_frame([r for r in rows if r[1] < "2024-01-19"]), "week")
    assert cut["partial"].to_list() == [True, False, True]
    assert ev.active_reading(cut, "week") == "Too few full weeks to compare active users."


def _active(*weeks: tuple[int, int]) -> pl.DataFrame:
    """active_users' table of whole weeks from 1 Jan 2024, each (users, new users)."""
    return pl.DataFrame(
        {
            "period": [date(2024, 1, 1) + timedelta(weeks=k) for k in range(len(weeks))],
            "users": [u for u, _ in weeks],
            "new_users": [n for _, n in weeks],
            "returning_users": [u - n for u, n in weeks],
            "new_share": [n / u for u, n in weeks],
            "partial": [False] * len(weeks),
        }
    )


def test_the_active_users_reading_says_a_new_share_moved_only_beyond_chance():
    """20 new of 100 against 50 of 100 the week before: chi-squared (no continuity correction)
    p far under 0.05, so it moved; 45 of 100 against 50 is within chance. It was advised on
    ("a low new share means…") whatever the share. A share moves with either count, so both
    counts are said, not why."""
    assert chi2_contingency([[20, 80], [50, 50]], correction=False).pvalue < 1e-4
    assert ev.active_reading(_active((100, 50), (100, 20)), "week") == (
        "In the week of 8 Jan 2024, 100 users were active, 20.0% of them new (median week: "
        "35.0%): fewer of them new than the week before (50.0% of 100), beyond chance; new users "
        "went from 50 to 20 and returning ones from 50 to 80."
    )
    assert chi2_contingency([[45, 55], [50, 50]], correction=False).pvalue > 0.05
    assert ev.active_reading(_active((100, 50), (100, 45)), "week") == (
        "In the week of 8 Jan 2024, 100 users were active, 45.0% of them new (median week: "
        "47.5%), within chance of the week before (50.0% of 100)."
    )


def test_headless_without_order_lines_leaves_out_conversion():
    ds = Dataset("events only", "generic", tables={"events": CO_EVENTS})
    out = ev.headless(ds, steps="view_item,add_to_cart", min_support=2)
    assert "conversion_by_item" not in out
    assert out["pairs"].select("item_a", "item_b").rows() == [("A", "B"), ("B", "C")]
    # For B, in both pairs (4 co-viewing users), as the page opens: A's 2 made it "for A".
    assert ev.pair_items(ev.top_pairs(ev.co_views(CO_EVENTS), 2)) == ["B", "A", "C"]
    assert out["recommendations"]["item_id"].to_list() == ["A", "C"]
    assert out["funnel"].filter(pl.col("platform") == "all")["users"].to_list() == [5, 0]


# --- the web-shop demo's planted patterns ------------------------------------------------------


@pytest.fixture(scope="module")
def webshop() -> Dataset:
    return formats.assemble_demo("webshop").dataset


def test_daily_status_finds_exactly_the_planted_gap_days(webshop):
    events = webshop.tables["events"]
    seen = events["event_at"].dt.date().unique()
    calendar = pl.date_range(seen.min(), seen.max(), "1d", eager=True)
    missing = sorted(set(calendar.to_list()) - set(seen.to_list()))
    status = ev.daily_status(events)
    assert len(missing) == demo.WEBSHOP_GAP_DAYS
    assert status.filter(pl.col("status") == "no events")["day"].to_list() == missing
    assert status.filter(pl.col("status") == "abnormally few").height == 0


def test_event_findings_are_the_quality_reports_event_rules(webshop):
    planted = demo.demo("webshop").planted
    found = {f.rule: f.count for f in ev.event_findings(webshop)}
    assert found == {
        "empty_days": planted["empty_days"],
        "misspelled_parameter": planted["misspelled_parameter"],
    }


def test_iphone_converts_about_twice_as_often_as_web(webshop):
    events, lines = webshop.tables["events"], webshop.tables["lines"]
    table = ev.conversion_by_platform(ev.converted_views(events, lines, window_days=7))
    rate = dict(zip(table["platform"], table["conversion"], strict=True))
    assert 1.7 < rate["iphone"] / rate["web"] < 2.3
    # Independently: iphone views followed by a sale of the item by the user within 7 days.
    # Views whose item_id parameter was misspelled have no item and are left out.
    views = events.filter(
        (pl.col("event_name") == "view_item")
        & (pl.col("platform") == "iphone")
        & pl.col("item_id").is_not_null()
    )
    sales = lines.filter(~pl.col("is_return")).select(
        pl.col("customer_id").alias("user_id"), "item_id", "ordered_at"
    )
    pairs = views.select("user_id", "item_id").unique()
    hit = (
        views.join(sales, on=["user_id", "item_id"])
        .filter(
            (pl.col("ordered_at") - pl.col("event_at")).is_between(timedelta(0), timedelta(days=7))
        )
        .select("user_id", "item_id")
        .unique()
    )
    assert rate["iphone"] == pytest.approx(hit.height / pairs.height)


def test_the_planted_co_viewed_pairs_lead_the_viewed_together_table(webshop):
    top = ev.top_pairs(ev.co_views(webshop.tables["events"]), min_support=5).head(
        len(demo.CO_VIEWED_PAIRS)
    )
    found = {frozenset(p) for p in top.select("item_a", "item_b").rows()}
    assert found == {frozenset((str(a), str(b))) for a, b in demo.CO_VIEWED_PAIRS}
    assert (top["lift"] > 10).all()


def test_readings_name_the_figures_a_manager_acts_on():
    by_platform = ev.conversion_by_platform(ev.converted_views(VIEWS, ORDERS, window_days=20))
    assert ev.platform_reading(by_platform, 20) == (
        "Platforms convert alike: 50.0% of viewed items are ordered within 20 days on each."
    )
    # 1 of 4 views on the web against 0 of 2 on the iphone is chance, not a checkout to fix.
    by_platform = ev.conversion_by_platform(ev.converted_views(VIEWS, ORDERS, window_days=7))
    assert ev.platform_reading(by_platform, 7) == (
        "Platforms convert alike within chance: 0.0% (iPhone) to 25.0% (Web) of viewed items are "
        "ordered within 7 days."
    )
    steps = ev.funnel(FUNNEL_EVENTS, STEPS, window_days=7)
    assert ev.funnel_reading(steps, 7) == (
        # Within 7 days of their first View item (it said "within 7 days", audit).
        "Of 5 users who did View item, 20.0% reached Purchase within 7 days of their first View "
        "item; the biggest loss is "
        "before Purchase (66.7% drop out); no platform converts differently from the rest beyond "
        "chance across the 2 platforms compared."
    )
    recs = ev.with_names(ev.recommendations(ev.co_views(CO_EVENTS), "A", 1), ITEMS)
    # Lift 2 × 5 / (3 × 4) = 0.83 (A and B the same day: u1, u2; A: 3 viewers, B: 4, of 5): less
    # often than chance, so nothing to recommend. Names from the data are Markdown-escaped.
    assert ev.recommendations_reading(recs, "Anvil (A)", 2) == (
        "2 users who viewed Anvil \\(A\\) also viewed Bell \\(B\\) the same day, 0.83× as often "
        "as chance would have it: no more than chance, so nothing to show under it."
    )
    # More users who view only D: A and B's lift 2 × 6 / (3 × 4) = 1.0 with six viewers (still
    # chance); 2 × 7 / 12 = 1.17 with seven, 1.71 users by chance: P(X >= 2) for a Poisson of
    # mean 1.71 is 1 - e^-1.71 × 2.71 = 0.51, nowhere near beyond chance (A's partners: B, C).
    for more, said in (
        (1, "1.00× as often as chance would have it: no more than chance, so nothing to show "),
        (
            2,
            "1.2× as often as chance would have it (1.7 users), but with 2 partner items "
            "compared, one this far out is expected by chance: more views would tell whether to "
            "show it.",
        ),
    ):
        only_d = [(f"d{k}", "2024-01-01 09:00", "view_item", "web", "D") for k in range(more)]
        pairs = ev.co_views(CO_EVENTS.vstack(events_frame(only_d)))
        best = ev.top_pairs(pairs, 1)
        assert ev.partners(best, "A") == 2
        reading = ev.recommendations_reading(ev.recommendations(pairs, "A", 1), "A", 2)
        assert said in reading


def test_viewed_together_is_recommended_only_beyond_chance():
    """Ten users view X and Y the same day, ninety view only Z: lift 10 × 100 / (10 × 10) = 10,
    1 user by chance, P(X >= 10) for a Poisson of mean 1 about 1.1e-7 (z 5.2): beyond chance,
    even across 1,000 partners (critical 4.06). Five of them: lift 5 × 95 / 25 = 19, 0.26 by
    chance, P(X >= 5) = e^-0.26 × 0.26^5 / 5! (1 + ...) = 8.5e-6 (z 4.30): within chance across
    100,000 partners (critical 5.03)."""
    for both, compared, said in (
        (
            10,
            1_000,
            "10 users who viewed X also viewed Y the same day, 10.0× as often as chance would "
            "have it (1.0 users), beyond chance across the 1,000 partner items compared: show "
            'it under "viewed together" on that item\'s page.',
        ),
        (
            5,
            100_000,
            "5 users who viewed X also viewed Y the same day, 19.0× as often as chance would "
            "have it (0.3 users), but with 100,000 partner items compared, one this far out is "
            "expected by chance: more views would tell whether to show it.",
        ),
    ):
        views = [
            (f"b{k}", "2024-01-01 10:00", "view_item", "web", i) for k in range(both) for i in "XY"
        ]
        views += [(f"z{k}", "2024-01-01 10:00", "view_item", "web", "Z") for k in range(90)]
        recs = ev.recommendations(ev.co_views(events_frame(views)), "X", 1)
        assert ev.recommendations_reading(recs, "X", compared) == said
        assert ev.recommendations_reading(recs, "X", compared, frozenset({"X", "Y"})) == said
    # Beyond chance, but nobody ordered Y (the web shop's item 1342 would send views to item
    # 17, never ordered): no advice to show it.
    lines = pl.DataFrame(
        {"customer_id": ["b0"], "item_id": ["X"], "is_return": [False], "ordered_at": [None]}
    )
    assert ev.ordered_items(lines) == frozenset({"X"})
    views = [(f"b{k}", "2024-01-01 10:00", "view_item", "web", i) for k in range(10) for i in "XY"]
    views += [(f"z{k}", "2024-01-01 10:00", "view_item", "web", "Z") for k in range(90)]
    recs = ev.recommendations(ev.co_views(events_frame(views)), "X", 1)
    assert ev.recommendations_reading(recs, "X", 1_000, ev.ordered_items(lines)).endswith(
        "beyond chance across the 1,000 partner items compared, but nobody has ordered it: find "
        "out why (price, stock, its page) before sending more views to it."
    )


def _rates(column: str, rows: list[tuple[str, int, int]]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema=[column, "viewers", "buyers"], orient="row")
    return frame.with_columns(conversion=pl.col("buyers") / pl.col("viewers"))


def test_conversion_readings_name_a_best_or_worst_only_beyond_chance():
    """Wilson 95% intervals against the pooled share, by hand: 500 of 1,000 is 46.9-53.1%, 300
    of 1,000 is 27.2-32.9%, 7 of 20 is 18.1-56.7%, 10 of 20 is 29.9-70.1%. Each named row also
    passes Holm across the 2 or 3 compared: 500 of 1,000 against 40% is 6.5 standard errors out,
    300 of 1,000 against 35.1% 3.4, 500 of 1,000 against 44.9% 3.2 (3 rows: 2.39 needed)."""
    both = _rates("platform", [("iphone", 1000, 500), ("android", 1000, 400), ("web", 1000, 300)])
    assert ev.platform_reading(both, 7) == (  # pooled 40.0%
        "On iPhone, 50.0% of viewed items are ordered within 7 days, 1.7× Web (30.0%), both "
        # It advised "look at what Web lacks at checkout": the order after a view may be placed
        # on any platform, and who uses one differs too (audit).
        "beyond chance across the 3 platforms compared: Web's viewers order less often, for what "
        "the platform lacks or for who uses it."
    )
    best = _rates("platform", [("iphone", 1000, 500), ("android", 1000, 400), ("web", 20, 7)])
    assert ev.platform_reading(best, 7) == (  # pooled 907 / 2,020 = 44.9%; web's 7 of 20 is chance
        "On iPhone, 50.0% of viewed items are ordered within 7 days, above the platforms' average "
        "beyond chance across the 3 platforms compared; none is below it beyond chance."
    )
    worst = _rates("platform", [("iphone", 20, 10), ("android", 1000, 400), ("web", 1000, 300)])
    assert ev.platform_reading(worst, 7) == (  # pooled 710 / 2,020 = 35.1%
        "On Web, only 30.0% of viewed items are ordered within 7 days, below the platforms' "
        "average beyond chance across the 3 platforms compared: its viewers order less often, "
        "for what the platform lacks or for who uses it."
    )
    # Tied worst platforms (the reviewer's): 300 of 1,000 each against a pooled 36.7% are 4.4
    # standard errors below it, beyond chance across 3 (2.39 needed); iPhone 8.7 above.
    pair = _rates("platform", [("iphone", 1000, 500), ("android", 1000, 300), ("web", 1000, 300)])
    assert ev.platform_reading(pair, 7).endswith(
        "both beyond chance across the 3 platforms compared: Android's and Web's viewers order "
        "less often, for what the platforms lack or for who uses them."
    )
    tied = _rates("category", [("a_b", 1000, 500), ("b", 1000, 500), ("c", 2000, 600)])
    assert ev.category_reading(tied, 7) == (  # pooled 1,600 / 4,000 = 40.0%
        "A b and B convert best, tied (50.0% of views ordered within 7 days), C worst (30.0%), "
        "against 40.0% of all views, beyond chance across the 3 categories compared: look at "
        "its items' conversion before its prices, photos and stock (a few items can pull a "
        "category down)."
    )
    small = _rates("category", [("a", 20, 10), ("b", 20, 7)])
    assert ev.category_reading(small, 7) == (
        "No category converts differently from the 42.5% of all views beyond chance across the "
        "2 categories compared (ordered within 7 days)."
    )


def test_a_platform_is_named_only_beyond_chance_across_every_platform_compared():
    """iphone: 230 of 500 (46%) against the pooled 40.6% of 2,000: 2.46 standard errors out (p =
    0.014), so its own 95% interval clears the average; with 4 platforms compared Holm's first
    step needs p <= 0.0125: no best platform, and the reading says why."""
    rows = [("iphone", 500, 230)] + [(name, 500, 194) for name in ("android", "web", "ipad")]
    pooled = 812 / 2000
    z = (0.46 - pooled) / math.sqrt(pooled * (1 - pooled) / 500)
    assert 0.05 / 4 < 2 * norm.sf(z) < 0.05 / 2
    ci = binomtest(230, 500).proportion_ci(method="wilson")
    assert ci.low > pooled
    found = stats.extremes(_rates("platform", rows), "buyers", "viewers")
    assert found.best.height == 0 and found.chance_best["platform"].to_list() == ["iphone"]
    assert ev.platform_reading(_rates("platform", rows), 7) == (
        "Platforms convert alike within chance: 38.8% (Android) to 46.0% (iPhone) of viewed "
        f"items are ordered within 7 days; iPhone's 95% interval ({ci.low:.1%}–{ci.high:.1%}) "
        "clears the 40.6% average, but with 4 platforms compared, one this far out is expected "
        "by chance."
    )


def test_the_items_reading_names_the_worst_item_only_beyond_chance():
    """Item 7: 0 of 145 viewers order it, against 20 of 185 views pooled (10.8%): the chance of
    none is 0.892^145 = 6e-8, beyond chance across the 2 items. Against 2 of 185 (1.1%) it is
    0.989^145 = 0.21: chance, so it is not named worst (it was, with "check its price")."""
    none = pl.DataFrame(schema={"item_id": pl.String, "without_view": pl.Int64})

    def items(buyers: list[int], viewers: list[int] = [145, 40]) -> pl.DataFrame:  # noqa: B006
        return pl.DataFrame(
            {"item_id": ["7", "8"], "viewers": viewers, "buyers": buyers}
        ).with_columns(conversion=pl.col("buyers") / pl.col("viewers"))

    assert ev.items_reading(items([0, 20]), none, 20) == (
        "7 is viewed by 145 users but none order it, against the 10.8% of all their views, "
        "beyond chance across the 2 items with 20 viewers or more: check its price, description "
        "and stock."
    )
    assert (0.892**145 < 1e-6) and (0.989**145 > 0.2)
    assert ev.items_reading(items([0, 2]), none, 20) == (
        "None of the 2 items with 20 viewers or more converts below the 1.1% of all their views "
        "beyond chance."
    )
    # Item 8's 40 viewers are too few at a least of 50: one item alone is compared with nothing.
    assert ev.items_reading(items([0, 20]), none, 50) == (
        "Only 7 has 50 viewers or more: no other item to compare its conversion with."
    )
    assert ev.items_reading(items([0, 20]), none, 200) == "No item has enough views to judge."
    # Two items at 0 of 145 and 0 of 145 against a third's 60 of 145: tied worst.
    three = pl.DataFrame(
        {"item_id": ["5", "6", "9"], "viewers": [145] * 3, "buyers": [0, 0, 60]}
    ).with_columns(conversion=pl.col("buyers") / pl.col("viewers"))
    assert ev.items_reading(three, none, 20).startswith(
        "5 and 6 convert worst, tied (0.0%), against the 13.8% of all their views, beyond chance "
        "across the 3 items with 20 viewers or more: check their prices"
    )


def test_the_funnel_reading_blames_no_step_after_one_nobody_reached():
    """Only views: of the 5 users entering, none adds to cart (0 of 5, 100% drop out), and step
    3 has no conversion (0 of 0). It blamed step 3, whose missing conversion sorted first."""
    views = FUNNEL_EVENTS.filter(pl.col("event_name") == "view_item")
    steps = ev.funnel(views, STEPS, window_days=7)
    overall = steps.filter(pl.col("platform") == "all")
    assert overall["users"].to_list() == [5, 0, 0] and overall["step_conversion"][2] is None
    assert ev.funnel_reading(steps, 7).startswith(
        "Of 5 users who did View item, 0.0% reached Purchase within 7 days of their first View "
        "item; the biggest loss is "
        "before Add to cart (100.0% drop out)"
    )


def test_the_mix_reading_names_ties_together_and_no_platform_it_lacks():
    """Web and iOS with the same events, views and carts alike: it named one of each, picked
    by order, and without a platform column advised 'Unknown brings 100.0% of events ...
    design and test changes there first'."""
    rows = [("web", "view_item"), ("web", "add_to_cart"), ("ios", "view_item")]
    rows += [("ios", "add_to_cart")]
    events = events_frame(
        [
            (f"u{i}", "2024-01-01 10:00", name, platform, None)
            for i, (platform, name) in enumerate(rows)
        ]
    )
    assert ev.mix_reading(ev.event_mix(events)) == (
        "iOS and Web bring 50.0% of events each and Add to cart and View item are the most "
        "common events (50.0% each)."
    )
    assert ev.mix_reading(ev.event_mix(events.drop("platform"))) == (
        "Add to cart and View item are the most common events (50.0% each); no platform is "
        "recorded to design for."
    )


def _mix_of(per_platform: dict[str, tuple[int, int]]) -> pl.DataFrame:
    """Views only: per platform (users, events), each user's events one after another."""
    rows = [
        (f"{platform}{i % users}", "2024-01-01 10:00", "view_item", platform, None)
        for platform, (users, events) in per_platform.items()
        for i in range(events)
    ]
    return ev.event_mix(events_frame(rows))


def test_the_mix_reading_advises_a_platform_only_from_enough_users_beyond_chance():
    """Audit (webshop case): 8 users, 22 Web events against 19 on Android, read 'design and
    test changes there first'. Two-sided exact binomial tests by scipy: 22 of 41 at one half,
    p = 0.76; 40 of 75, p = 0.64 (within chance); 60 of 90, p = 0.0021 (beyond)."""
    assert binomtest(22, 41, 0.5).pvalue > 0.05 and binomtest(40, 75, 0.5).pvalue > 0.05
    assert binomtest(60, 90, 0.5).pvalue < 0.05
    few = _mix_of({"web": (4, 22), "android": (4, 19)})
    assert ev.mix_reading(few) == (
        "Web brings 53.7% of events and View item is the most common event (100.0%), but no Web "
        "event has more than 4 users and its 22 events are within chance of Android's 19: too "
        "little to say where changes are seen most."
    )
    close = _mix_of({"web": (40, 40), "android": (35, 35)})
    assert ev.mix_reading(close) == (
        "Web brings 53.3% of events and View item is the most common event (100.0%), but Web's "
        "40 events are within chance of Android's 35: too little to say where changes are seen "
        "most."
    )
    # Far apart, but from 29 users (at MIN_USERS, 30, it is advice).
    assert ev.MIN_USERS == 30
    apart = _mix_of({"web": (29, 60), "android": (30, 30)})
    assert ev.mix_reading(apart).endswith(
        ", but no Web event has more than 29 users: too little to say where changes are seen most."
    )
    enough = _mix_of({"web": (30, 60), "android": (30, 30)})
    assert ev.mix_reading(enough) == (
        "Web brings 66.7% of events and View item is the most common event (100.0%): design and "
        "test changes there first, where they are seen most."
    )
    # One platform alone: nothing to be within chance of, but its users still count.
    assert ev.mix_reading(_mix_of({"web": (1, 3)})).endswith(
        "but no Web event has more than 1 user: too little to say where changes are seen most."
    )


def test_a_one_day_window_reads_one_day():
    said = ev.funnel_reading(ev.funnel(FUNNEL_EVENTS, STEPS, window_days=1), 1)
    assert "within 1 day" in said and "1 days" not in said


def test_conversion_bars_draw_the_categories_most_viewed_and_say_how_many_are_left_out():
    """An export with 25 categories: the chart draws the 20 with the most viewers (not the
    first 20 by conversion), and the note counts all 25; 20 or fewer are drawn without one."""
    frame = pl.DataFrame(
        {
            "category": [f"c{i:02d}" for i in range(25)],
            "viewers": list(range(1, 26)),
            "buyers": [1] * 25,
        }
    ).with_columns((pl.col("buyers") / pl.col("viewers")).alias("conversion"))
    chart = charts.conversion_bars(frame, "category", "Category")
    drawn = chart.layer[0].data if chart.data is alt.Undefined else chart.data
    assert sorted(drawn["viewers"].to_list()) == list(range(6, 26))
    assert charts.conversion_bars_note(frame, "categories") == (
        "The chart draws the 20 categories with the most viewers of 25; the CSV has every one."
    )
    assert charts.conversion_bars_note(frame.head(20), "categories") == ""


def test_no_group_of_the_daily_chart_is_drawn_in_the_flagged_days_red():
    """Audit: the fourth event name ('View item') was red, as the rules of days without events."""
    days = [date(2024, 1, d) for d in (1, 2)]
    per_day = pl.DataFrame(
        {
            "day": [d for d in days for _ in range(5)],
            "group": [f"e{i}" for _ in days for i in range(5)],
            "events": [10] * 10,
        }
    )
    status = pl.DataFrame(
        {"day": days, "status": ["normal", "no events"], "events": [50, 0], "typical": [50.0] * 2}
    )
    spec = charts.daily_chart(per_day, status, "Event name").to_dict()
    bars, rules = spec["layer"]
    assert rules["mark"]["color"] not in bars["encoding"]["color"]["scale"]["range"]


def test_an_event_name_or_platform_keeps_its_colour_from_chart_to_chart():
    """Screenshot review: 'View item' was green in the events per day and red in the mix
    (the mix kept the red that the daily chart leaves to flagged days), and the funnel coloured
    platforms in its own order. Each chart sorts its names (Vega's default for a domain), so a
    name's colour is the range's at its sorted place: the same range everywhere."""
    days = [date(2024, 1, 1)]
    names = ["view_item", "add_to_cart", "search", "purchase", "view_user_profile"]
    per_day = pl.DataFrame({"day": days * 5, "group": names, "events": [10] * 5})
    status = pl.DataFrame({"day": days, "status": ["normal"], "events": [50], "typical": [50.0]})
    daily = charts.daily_chart(per_day, status, "Event name").to_dict()["layer"][0]
    mix = pl.DataFrame(
        {
            "platform": ["web"] * 5,
            "event_name": names,
            "events": [10] * 5,
            "users": [5] * 5,
            "share": [0.2] * 5,
        }
    )
    mixed = charts.mix_chart(mix).to_dict()
    ranges = [c["encoding"]["color"]["scale"]["range"] for c in (daily, mixed)]
    assert ranges[0] == ranges[1]
    assert "#ef4444" not in ranges[0]
    # The funnel: everyone grey, each platform at its sorted place in the same range.
    steps = pl.DataFrame(
        {
            "platform": ["all", "web", "android"],
            "step": [1, 1, 1],
            "event_name": ["view_item"] * 3,
            "users": [30, 20, 10],
            "overall_conversion": [1.0, 1.0, 1.0],
            "conversion": [1.0, 1.0, 1.0],
        }
    )
    scale = charts.funnel_chart(steps).to_dict()["encoding"]["color"]["scale"]
    colour = dict(zip(scale["domain"], scale["range"], strict=True))
    assert colour["All"] == "#94a3b8"
    # Platforms in colours of their own, the same in the events per day split by platform as in
    # the funnel: a colour meant an event in the mix and a platform in the funnel (screenshot
    # audit).
    by_platform = per_day.head(2).with_columns(group=pl.Series(["web", "android"]))
    daily = charts.daily_chart(by_platform, status, "Platform", "platform").to_dict()["layer"][0]
    platforms = daily["encoding"]["color"]["scale"]["range"]
    assert colour["Android"] == platforms[0] and colour["Web"] == platforms[1]
    assert not set(platforms) & set(ranges[0])
    assert "#ef4444" not in platforms


def test_the_item_most_bought_without_a_view_is_said_beside_the_shop_s_share_without_advice():
    """Audit: "125 buyers who never viewed it shortly before: they know what they want, so make
    it easy to reorder", where none bought it twice and its share (50.6%) was the shop's (50.1%).
    By hand: item 7, 120 customers of whom 60 bought after a view; item 8, 80 of whom 60: 80 of
    200 buyers (40%) did not view what they bought."""
    by_item = pl.DataFrame(
        {
            "item_id": ["7", "8"],
            "viewers": [10, 10],
            "buyers": [60, 60],
            "customers": [120, 80],
        }
    ).with_columns(conversion=pl.col("buyers") / pl.col("viewers"))
    _, unviewed = ev.mismatched_items(by_item, min_viewers=50)
    assert ev.items_reading(by_item, unviewed, 50).endswith(
        "7 has the most buyers who did not view it shortly before ordering: 60 of its 120 "
        "(50.0%), against 40.0% of the buyers of all items."
    )
    # 42 of 100 against 41% (82 of 200): within chance of the shop's share (the web shop's
    # 125 of 247, 50.6%, against 50.1%), so the count says how popular it is, no more.
    alike = by_item.with_columns(pl.Series("buyers", [58, 60]), pl.Series("customers", [100, 100]))
    _, unviewed = ev.mismatched_items(alike, min_viewers=50)
    assert ev.items_reading(alike, unviewed, 50).endswith(
        "7 has the most buyers who did not view it shortly before ordering: 42 of its 100 "
        "(42.0%), against 41.0% of the buyers of all items, within chance of it: many buyers, "
        "not an unusual way of buying it."
    )


def test_a_best_and_a_worst_within_chance_are_excused_once():
    """A (142 of 400) above and B (98 of 400) below the pooled 720 of 2,400 (30.0%), each clear
    of it by its own interval, neither beyond chance across the 6 platforms: one sentence says
    why for both (it was said after each). Two of six clearing alone is within chance by hand:
    P(at least 2 of 6) at 1 in 20 each is 0.033, above the 0.025 of a two-sided 95%."""
    tail = 1 - 0.95**6 - 6 * 0.05 * 0.95**5
    assert 0.025 < tail < 0.034
    rows = pl.DataFrame({"platform": list("ABCDEF"), "k": [142, 98, 120, 120, 120, 120]})
    found = stats.extremes(rows.with_columns(n=pl.lit(400)), "k", "n")
    said = ev._by_chance(found, "platform", "platforms", "the {} average")
    assert said.startswith("; A's 95% interval (")
    assert ") clears the 30.0% average and B's 95% interval (" in said
    assert said.endswith(
        ") clears the 30.0% average, but with 6 platforms compared, more than one this far out on "
        "their own intervals is within chance"
    )


def _tied_by_chance(name: str, second: tuple[int, int] = (3, 10)) -> stats.Extremes:
    """Ten rows: two tied at 3 of 10 and `second` (`name` 'P0' and 'P1', or cohorts' labels),
    eight at 8 of 100, compared by stats.extremes."""
    names = ["Jan 2023", "Feb 2023"] if name == "label" else ["P0", "P1"]
    rows = pl.DataFrame(
        {
            name: names + [f"R{i}" for i in range(8)],
            "hits": [3, second[0]] + [8] * 8,
            "n": [10, second[1]] + [100] * 8,
        }
    )
    return stats.extremes(rows, "hits", "n")


def test_tied_rows_of_other_counts_are_each_said_with_their_own_interval():
    """P0 at 3 of 10 and P1 at 6 of 20 tie at 30.0% and both clear the 8.8% average (73 of
    830) on their own Wilson intervals (scipy), which differ: each is said with its own (the
    first row's was said for both); tied at one interval, 'each'."""
    found = _tied_by_chance("platform", second=(6, 20))
    assert found.chance_best["platform"].to_list() == ["P0", "P1"]
    p0, p1 = (binomtest(k, n).proportion_ci(method="wilson") for k, n in ((3, 10), (6, 20)))
    assert (f"{p0.low:.1%}–{p0.high:.1%}", f"{p1.low:.1%}–{p1.high:.1%}") == (
        "10.8%–60.3%",
        "14.5%–51.9%",
    )
    assert ev._by_chance(found, "platform", "platforms", "the {} average").startswith(
        "; the 95% intervals of P0 (10.8%–60.3%) and P1 (14.5%–51.9%) clear the 8.8% average, "
        "but with 10 platforms compared"
    )
    same = _tied_by_chance("platform")
    assert ev._by_chance(same, "platform", "platforms", "the {} average").startswith(
        "; the 95% intervals of P0 and P1 (10.8%–60.3% each) clear the 8.5% average, but "
    )


def test_the_average_beside_best_and_worst_intervals_is_written_alike():
    """B at 6 of 30 and W at 26 of 400 against 192 of 2,030 (9.458%, by hand): B's interval
    (9.51%–37.31%) needs two decimals beside it, W's one; the average is written with two beside
    both (it read 9.46% beside one and 9.5% beside the other)."""
    rows = pl.DataFrame(
        {
            "platform": ["B", "W"] + [f"R{i}" for i in range(8)],
            "buyers": [6, 26] + [20] * 8,
            "viewers": [30, 400] + [200] * 8,
        }
    )
    found = stats.extremes(rows, "buyers", "viewers")
    assert found.pooled == pytest.approx(192 / 2030)
    assert (found.chance_best["platform"].to_list(), found.chance_worst["platform"].to_list()) == (
        ["B"],
        ["W"],
    )
    said = ev._by_chance(found, "platform", "platforms", "the {} average")
    assert said.count("clears the 9.46% average") == 2, said


def test_two_rows_tied_within_chance_are_not_one_this_far_out():
    """P0 and P1, 3 of 10 each against 70 of 820 (8.5%): their Wilson intervals clear it, the
    exact tails do not (3 or more of 10 at 8.5%: 4.5%), so the family counts none alone; the
    reading names both, and said 'one this far out is expected by chance'."""
    found = _tied_by_chance("platform")
    pooled = 70 / 820
    assert found.pooled == pytest.approx(pooled)
    assert binomtest(3, 10).proportion_ci(method="wilson").low > pooled
    assert binom.sf(2, 10, pooled) > 0.025
    assert found.chance_best["platform"].to_list() == ["P0", "P1"]
    assert ev._by_chance(found, "platform", "platforms", "the {} average").endswith(
        "but with 10 platforms compared, more than one this far out on their own intervals is "
        "within chance"
    )
