"""The Web events page as a user drives it, through streamlit_app.py with AppTest."""

from datetime import timedelta

import polars as pl
import pytest
from scipy.stats import binomtest
from streamlit.testing.v1 import AppTest

from lib import demo, fmt, formats, io, report
from lib.analyses import events as ev
from tests import apptest
from tests.apptest import metric, texts

PAGE = "pages/events.py"


def page(source: str) -> AppTest:
    return apptest.page(source, PAGE)


@pytest.fixture(scope="module")
def webshop():
    return formats.assemble_demo("webshop").dataset


@pytest.fixture(scope="module")
def webshop_page() -> AppTest:
    return page("webshop")


def _funnel_share(events: pl.DataFrame, first: str, second: str, days: int) -> float:
    """Share of users whose first `first` event is followed by `second` within `days`."""
    entry = (
        events.filter(pl.col("event_name") == first)
        .group_by("user_id")
        .agg(pl.col("event_at").min().alias("start"))
    )
    reached = (
        entry.join(events.filter(pl.col("event_name") == second), on="user_id")
        .filter(
            (pl.col("event_at") - pl.col("start")).is_between(timedelta(0), timedelta(days=days))
        )
        .select("user_id")
        .unique()
    )
    return reached.height / entry.height


def test_webshop_headline_figures_match_the_events_table(webshop, webshop_page):
    at = webshop_page
    events = webshop.tables["events"]
    assert metric(at, "Events").value == fmt.count(events.height)
    assert metric(at, "Users").value == fmt.count(events["user_id"].n_unique())
    seen = events["event_at"].dt.date().unique()
    empty = (seen.max() - seen.min()).days + 1 - seen.len()
    assert empty == demo.WEBSHOP_GAP_DAYS > 1
    assert metric(at, "Days flagged").value == fmt.count(empty)
    assert f"{empty} days have no events" in texts(at)
    assert any("Days without events" in w.value for w in at.warning)
    assert any("Misspelled event parameters" in w.value for w in at.warning)


def test_funnel_metric_equals_the_share_of_viewers_who_carted_within_a_week(webshop, webshop_page):
    events = webshop.tables["events"]
    expected = _funnel_share(events, "view_item", "add_to_cart", 7)
    assert metric(webshop_page, "Overall: View item → Add to cart").value == fmt.pct(expected)


def test_moving_the_window_recomputes_conversion_and_funnel(webshop):
    at = page("webshop")
    events, lines = webshop.tables["events"], webshop.tables["lines"]
    at.slider(key="events_window_days").set_value(2).run()
    assert not at.exception, at.exception
    assert metric(at, "Overall: View item → Add to cart").value == fmt.pct(
        _funnel_share(events, "view_item", "add_to_cart", 2)
    )
    views = events.filter(
        (pl.col("event_name") == "view_item") & pl.col("item_id").is_not_null()
    ).select("user_id", "item_id", "platform", "event_at")
    sales = lines.filter(~pl.col("is_return")).select(
        pl.col("customer_id").alias("user_id"), "item_id", "ordered_at"
    )
    keys = ["user_id", "item_id"]  # an item viewed on two platforms is one viewed item
    hit = (
        views.join(sales, on=["user_id", "item_id"])
        .filter(
            (pl.col("ordered_at") - pl.col("event_at")).is_between(timedelta(0), timedelta(days=2))
        )
        .select(keys)
        .unique()
    )
    share = hit.height / views.select(keys).unique().height
    assert metric(at, "Viewed items ordered within 2 days").value == fmt.pct(share)


def test_every_conversion_view_renders_with_a_reading(webshop_page):
    at = webshop_page
    for view in ("Platform", "Category", "Item"):
        at.segmented_control(key="events_conv_by").set_value(view).run()
        assert not at.exception, (view, at.exception)
        readings = [c.value for c in at.caption if c.value.startswith(":material/lightbulb:")]
        assert len(readings) == 5, view  # daily, mix, conversion, funnel, viewed together
    assert "is viewed by" in texts(at)


def test_picking_an_item_lists_its_planted_partner_first(webshop_page):
    at = webshop_page
    a, b = demo.CO_VIEWED_PAIRS[1]
    at.selectbox(key="events_item").set_value(str(a)).run()
    assert not at.exception, at.exception
    reading = next(
        c.value
        for c in at.caption
        if c.value.startswith(":material/lightbulb:") and "also viewed" in c.value
    )
    # names from the data are Markdown-escaped in readings: "Anvil \(A\)"
    assert f"\\({a}\\) also viewed" in reading
    assert f"\\({b}\\) the same day" in reading
    pairs = at.dataframe[-1].value
    assert {str(a), str(b)} in [{r.item_a, r.item_b} for r in pairs.itertuples()]


def test_the_active_users_view_counts_each_weeks_users(webshop, webshop_page):
    at = webshop_page
    at.segmented_control(key="events_mix_view").set_value("Active users").run()
    assert not at.exception, at.exception
    assert "users were active" in texts(at)


@pytest.mark.parametrize("kind", ["marketplace", "retail"])
def test_the_page_explains_what_is_missing_without_events(kind):
    at = page(kind)
    assert "needs an events table" in texts(at)
    assert "events.csv" in texts(at)
    assert not at.metric


def test_the_minimum_support_slider_sets_which_pairs_are_listed(webshop):
    at = page("webshop")
    views = webshop.tables["events"].filter(
        (pl.col("event_name") == "view_item") & pl.col("item_id").is_not_null()
    )
    baskets = views.select("user_id", pl.col("event_at").dt.date(), "item_id").unique()
    pairs = (
        baskets.join(baskets, on=["user_id", "event_at"])
        .filter(pl.col("item_id") < pl.col("item_id_right"))
        .select("user_id", "item_id", "item_id_right")
        .unique()
        .group_by("item_id", "item_id_right")
        .len()
    )
    for support in (50, 2):
        at.slider(key="events_min_support").set_value(support).run()
        assert not at.exception, at.exception
        expected = pairs.filter(pl.col("len") >= support).height
        assert at.dataframe[-1].value.shape[0] == min(expected, 50), support
    assert pairs.filter(pl.col("len") >= 50).height == len(demo.CO_VIEWED_PAIRS)


def test_categories_read_as_the_categories_page_names_them(webshop, webshop_page):
    at = webshop_page
    raw = set(webshop.tables["items"]["category"].drop_nulls())
    assert "gizmo" in raw  # the web shop writes its categories lowercase
    at.segmented_control(key="events_conv_by").set_value("Category").run()
    assert not at.exception
    readings = [c.value for c in at.caption if c.value.startswith(":material/lightbulb:")]
    (said,) = [r for r in readings if "of views ordered" in r]
    # The demo's best (Instrument) stands out only as 1 of 10 by chance: the worst is named.
    named = said.split(":material/lightbulb: ")[1].split(" converts ")[0]
    assert named in {c.capitalize() for c in raw}
    pairs = next(d.value for d in at.dataframe if "category_a" in d.value.columns)
    shown = set(pairs["category_a"]) | set(pairs["category_b"])
    assert shown and shown <= {c.capitalize() for c in raw}


def test_viewed_items_ordered_counts_an_item_viewed_on_two_platforms_once():
    """User 1 views item 7 on the web and on android and never orders it; user 2 views item 8
    and orders it the next day: 1 of 2 viewed items ordered (50%), not 1 of 3 views (33.3%)."""
    events = pl.DataFrame(
        {
            "event_id": ["e1", "e2", "e3"],
            "event_time": ["2023-01-02 10-00-00", "2023-01-03 10-00-00", "2023-01-04 10-00-00"],
            "user_id": [1, 1, 2],
            "event_name": ["view_item"] * 3,
            "platform": ["web", "android", "web"],
            "parameter_name": ["item_id"] * 3,
            "parameter_value": ["7", "7", "8"],
        }
    )
    orders = pl.DataFrame(
        {
            "invoice_id": [1, 2],
            "line_item_id": [1, 1],
            "user_id": [2, 3],
            "item_id": [8, 7],
            "item_name": ["dongle", "gizmo"],
            "item_category": ["dongle", "gizmo"],
            "price": [10.0, 12.0],
            "created_at": ["2023-01-05 09:00:00", "2023-01-05 09:00:00"],
            "paid_at": ["2023-01-05 09:10:00", "2023-01-05 09:10:00"],
        }
    )
    at = apptest.files_page({"events.csv": events, "orders.csv": orders}, "events", "two")
    assert metric(at, "Viewed items ordered within 7 days").value == "50.0%"


def test_eight_users_get_a_caution_not_a_design_recommendation_on_the_page_and_report():
    """Audit (webshop case): 8 users, 22 Web events against 19 on Android, read 'design and
    test changes there first'. By hand: Web's 22 of the 41 events are 53.7%, within chance of
    one half (exact binomial, two-sided p = 0.76), and no event there has more than 4 users."""
    n = {"web": 22, "android": 19}
    platform = ["web"] * n["web"] + ["android"] * n["android"]
    events = pl.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(41)],
            "event_time": [f"2023-01-02 10-{i:02d}-00" for i in range(41)],
            # Users 1-4 on the web, 5-8 on Android.
            "user_id": [1 + i % 4 if i < n["web"] else 5 + i % 4 for i in range(41)],
            "event_name": ["view_item"] * 41,
            "platform": platform,
            "parameter_name": ["item_id"] * 41,
            "parameter_value": ["7"] * 41,
        }
    )
    orders = pl.DataFrame(
        {
            "invoice_id": [1],
            "line_item_id": [1],
            "user_id": [2],
            "item_id": [7],
            "item_name": ["gizmo"],
            "item_category": ["gizmo"],
            "price": [12.0],
            "created_at": ["2023-01-05 09:00:00"],
            "paid_at": ["2023-01-05 09:10:00"],
        }
    )
    files = {"events.csv": events, "orders.csv": orders}
    said = (
        "Web brings 53.7% of events and View item is the most common event (100.0%), but no Web "
        "event has more than 4 users and its 22 events are within chance of Android's 19: too "
        "little to say where changes are seen most."
    )
    at = apptest.files_page(files, "events", "eight")
    assert metric(at, "Users").value == "8"
    assert f":material/lightbulb: {said}" in [c.value for c in at.caption]
    ds = formats.assemble([io.RawTable(k, k, f) for k, f in files.items()], None).dataset
    (section,) = report.report_sections(ds, ["events"], {})
    (block,) = [b for b in section.blocks if b.title == "Platforms and events"]
    assert block.reading == said


def test_the_web_shop_demo_keeps_its_design_recommendation(webshop):
    """Its 34,311 Web events against Android's 30,345, from thousands of users, are far beyond
    chance (two-sided exact binomial, p < 1e-50): the recommendation stands."""
    per = webshop.tables["events"].group_by("platform").len().sort("len", descending=True)
    assert per["platform"][0] == "web"
    assert binomtest(per["len"][0], per["len"][0] + per["len"][1], 0.5).pvalue < 1e-50
    at = page("webshop")  # on its opening view (the shared page's views are moved by others)
    reading = next(c.value for c in at.caption if "brings 34.1% of events" in c.value)
    assert reading.endswith("design and test changes there first, where they are seen most.")


def test_the_headless_twin_recommends_for_the_item_the_page_opens_on(webshop):
    """`python -m lib events` answered for item 1342 where the page opens on 1203: both now
    take the item in the most co-viewing users' pairs."""
    at = page("webshop")
    opened = at.selectbox(key="events_item").value
    out = ev.headless(webshop)
    pairs = out["pairs"]
    users = (
        pl.concat([pairs.select(pl.col(c).alias("item"), "users") for c in ("item_a", "item_b")])
        .group_by("item")
        .agg(pl.col("users").sum())
    )
    most = users.sort(["users", "item"], descending=[True, False])["item"][0]
    assert opened == most
    recs = out["recommendations"]
    partners = set(recs["item_id"].to_list())
    assert all(
        {opened, p} in [{r["item_a"], r["item_b"]} for r in pairs.iter_rows(named=True)]
        for p in partners
    )


def test_the_report_names_the_item_its_recommendations_are_for(webshop):
    """The report headed the web shop's list 'Viewed together with premium tool cleaner (1342)'
    over the figures of item 1203, the one the page and the headless twin recommend for."""
    at = page("webshop")
    opened = at.selectbox(key="events_item").value
    (section,) = report.report_sections(webshop, ["events"], {})
    (block,) = [b for b in section.blocks if b.title.startswith("Viewed together with")]
    assert block.title.endswith(f"({opened})")
    assert f"\\({opened}\\) also viewed" in block.reading  # Markdown-escaped


def test_a_funnel_can_end_in_an_order_placed(webshop):
    """The funnel offers the orders as a last step: viewers who placed an order (a sale order
    of the order lines, its customer the user) within a week of their first view."""
    lines = webshop.tables["lines"]
    sale = pl.col("customer_id").is_not_null() & ~pl.col("is_return").fill_null(False)
    orders = (
        lines.filter(sale & (pl.col("revenue") > 0))
        .group_by("order_id")
        .agg(pl.col("customer_id").first().alias("user_id"), pl.col("ordered_at").min())
        .select(
            "user_id",
            pl.lit("order placed").alias("event_name"),
            pl.col("ordered_at").alias("event_at"),
        )
    )
    events = pl.concat([webshop.tables["events"].select(orders.columns), orders])
    expected = _funnel_share(events, "view_item", "order placed", 7)
    at = page("webshop")
    assert "Order placed" in at.multiselect(key="events_steps").options
    at.multiselect(key="events_steps").set_value(["view_item", ev.ORDERED]).run()
    assert not at.exception
    assert metric(at, "Overall: View item → Order placed").value == fmt.pct(expected)


def test_an_interval_that_clears_the_average_is_set_beside_it_with_as_many_decimals():
    """The web shop by category: 'Instrument's 95% interval (32.20%–34.87%) clears the 32.2% of
    all views' seemed to touch it: the pooled rate is 14,914 of 46,347 views, 32.18% (an
    audit's count), written now with the interval's two decimals."""
    at = apptest.page("webshop", "pages/events.py")
    at.segmented_control(key="events_conv_by").set_value("Category").run()
    assert not at.exception
    said = " ".join(c.value.replace("\\", "") for c in at.caption)
    assert "Instrument's 95% interval (32.20%–34.87%) clears the 32.18% of all views" in said
