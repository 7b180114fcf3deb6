"""The Seller funnel page as a user drives it, through streamlit_app.py with AppTest."""

import polars as pl
import pytest

from lib import demo, formats, io
from lib.analyses import funnel
from tests.apptest import files_page, metrics, page
from tests.conftest import shared_file
from tests.test_recipe_roundtrip import downloads  # noqa: F401 - a fixture

PATH = "pages/funnel.py"


def demo_funnel() -> tuple[pl.DataFrame, pl.DataFrame]:
    files = demo.demo("marketplace").files
    return (
        files["olist_marketing_qualified_leads_dataset.csv"],
        files["olist_closed_deals_dataset.csv"],
    )


def test_marketplace_funnel_shows_leads_deals_and_conversion():
    leads, deals = demo_funnel()
    at = page("marketplace", PATH)
    got = metrics(at)
    assert got["Leads"] == f"{leads.height:,}"
    assert got["Closed deals"] == f"{deals.height:,}"
    assert got["Conversion"] == f"{deals.height / leads.height * 100:.1f}%"
    # Calendar days from first contact to the deal, one decimal as the tables write it (the
    # audit's: a median of 12.5 read "12").
    days = (
        deals.join(leads, on="mql_id")
        .select(
            (
                pl.col("won_date").str.to_datetime().dt.date()
                - pl.col("first_contact_date").str.to_date()
            ).dt.total_days()
        )
        .to_series()
    )
    assert got["Median days to close"] == f"{days.filter(days >= 0).median():.1f}"


def test_marketplace_conversion_by_origin_matches_the_raw_files():
    leads, deals = demo_funnel()
    origin = pl.col("origin").fill_null("(no origin)")  # empty origins, apart from "unknown"
    expected = (
        leads.with_columns(origin, pl.col("mql_id").is_in(deals["mql_id"].implode()).alias("won"))
        .group_by("origin")
        .agg(pl.len().alias("leads"), pl.col("won").sum().alias("deals"))
    )
    at = page("marketplace", PATH)
    table = next(d.value for d in at.dataframe if "origin" in d.value.columns)
    shown = table.set_index("origin")
    for origin, n, won in expected.iter_rows():
        words = origin.replace("_", " ")  # the page writes codes in words: Paid search
        name = words[:1].upper() + words[1:]
        assert shown.loc[name, "leads"] == n
        assert shown.loc[name, "deals"] == won
    assert shown.loc["(no origin)", "leads"] == leads["origin"].null_count() > 0


def test_marketplace_readings_never_fund_unknown_or_empty_origins():
    at = page("marketplace", PATH)
    readings = [c.value for c in at.caption if "lightbulb" in c.value]
    assert readings
    for text in (r.lower() for r in readings):
        funded = text.split("put more budget there")[0] if "put more budget" in text else ""
        assert "unknown" not in funded and "(no origin)" not in funded
        assert "other" not in funded.split(" converts")[0]


def test_marketplace_matching_routes_online_big_leads_to_the_fast_sr():
    at = page("marketplace", PATH)
    at.segmented_control(key="funnel_view").set_value("Matching").run()
    assert not at.exception
    routes = next(d.value for d in at.dataframe if "route_to" in d.value.columns)
    online_big = routes[(routes["role"] == "SR") & (routes["value"] == "Online big")]
    assert online_big["route_to"].tolist() == [demo.FAST_SR_ID]
    industry = routes[(routes["role"] == "SR") & (routes["value"] == "Industry")]
    assert industry["avoid"].tolist() == [demo.SLOW_SR_ID]


def test_marketplace_reps_view_counts_wins_per_sr():
    _, deals = demo_funnel()
    expected = deals.group_by("sr_id").len().sort("len", descending=True)
    at = page("marketplace", PATH)
    at.segmented_control(key="funnel_view").set_value("Reps").run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "sr_id" in d.value.columns)
    shown = table.set_index("sr_id")["deals"].to_dict()
    assert shown == dict(expected.iter_rows())
    assert "sales_revenue" in table.columns


def test_marketplace_reps_view_says_how_many_won_sellers_sold_after_the_win():
    """From the demo's files: each won seller's sale lines (orders neither cancelled nor
    unavailable) bought on or after its win, and the calendar days to the first one."""
    files = demo.demo("marketplace").files
    _, deals = demo_funnel()
    won = deals.group_by("seller_id").agg(pl.col("won_date").str.to_datetime().min())
    orders = files["olist_orders_dataset.csv"].filter(
        ~pl.col("order_status").is_in(["canceled", "unavailable"])
    )
    at = pl.col("order_purchase_timestamp").str.to_datetime()
    sold = (
        files["olist_order_items_dataset.csv"]
        .join(orders.select("order_id", at.alias("at")), on="order_id")
        .join(won, on="seller_id")
        .filter(pl.col("at") >= pl.col("won_date"))
        .group_by("seller_id")
        .agg((pl.col("at").min().dt.date() - pl.col("won_date").min().dt.date()).dt.total_days())
    )
    days = round(sold["at"].median())
    last = orders.select(at.max()).item()  # every seller was won before it: none left out
    assert won.filter(pl.col("won_date") > last).height == 0
    page_ = page("marketplace", PATH)
    page_.segmented_control(key="funnel_view").set_value("Reps").run()
    said = " ".join(c.value for c in page_.caption)
    assert (
        f"In the orders loaded, {sold.height} of the {won.height} sellers won before their last "
        f"line ({last.day} {last:%b %Y}) sold after the win ({sold.height / won.height:.1%})"
    ) in said
    assert f"the median one first appears {days} days after the win" in said


def test_marketplace_quality_view_counts_deals_before_contact():
    planted = demo.demo("marketplace").planted
    at = page("marketplace", PATH)
    at.segmented_control(key="funnel_view").set_value("Data quality").run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert f"{planted['deal_before_contact']:,} deals" in text
    assert f"{planted['unknown_origin']:,} leads" in text


def test_deals_of_leads_not_loaded_are_counted_and_their_effect_said_above_the_figures():
    """Deals whose lead the leads file lacks (a leads export of another period) drop out of
    conversion: the page says how many, above the figures, and its Data quality view lists
    them; the demo as it is says nothing of the kind."""
    files = demo.demo("marketplace").files
    leads = files["olist_marketing_qualified_leads_dataset.csv"]
    deals = files["olist_closed_deals_dataset.csv"]
    # The first 10 deals' leads are not in the leads file the user loaded.
    kept = leads.filter(~pl.col("mql_id").is_in(deals["mql_id"].head(10).implode()))
    names = ("olist_marketing_qualified_leads_dataset.csv", "olist_closed_deals_dataset.csv")
    at = files_page(dict(zip(names, (kept, deals), strict=True)), "funnel", "leads_of_another")
    assert metrics(at)["Closed deals"] == f"{deals.height - 10:,}"
    warnings = " ".join(w.value for w in at.warning)
    assert f"10 of the {deals.height:,} closed deals ({10 / deals.height:.2%}) name a lead" in (
        warnings
    )
    at.segmented_control(key="funnel_view").set_value("Data quality").run()
    text = " ".join(m.value for m in at.markdown)
    assert "**Ids missing from the table they point to** in *deals*: 10 rows" in text
    assert "name a lead" not in " ".join(w.value for w in page("marketplace", PATH).warning)


@pytest.mark.parametrize("view", ["Time to close", "Closed deals"])
def test_marketplace_other_views_render_with_a_reading(view):
    at = page("marketplace", PATH)
    at.segmented_control(key="funnel_view").set_value(view).run()
    assert not at.exception
    assert any("lightbulb" in c.value for c in at.caption)


@pytest.mark.parametrize("kind", ["webshop", "retail", "files"])
def test_the_page_explains_what_is_missing_without_leads(kind):
    at = page(kind, PATH)
    messages = " ".join(i.value for i in at.info)
    assert "leads table" in messages
    # Both files at once, as Overview asks for them (it asked for the leads, then the deals).
    assert (
        "olist_marketing_qualified_leads_dataset.csv (marketing-qualified leads) and "
        "olist_closed_deals_dataset.csv (closed deals)."
    ) in messages
    assert not at.metric


# The columns of the page's tables that hold the source's codes (paid_search, online_medium).
CODED = ("origin", "value", "business_segment", "lead_type", "behaviour_profile", "business_type")


def test_codes_show_in_words_everywhere_on_the_page_and_stay_raw_in_downloads(downloads):  # noqa: F811
    leads, deals = demo_funnel()
    raw = {*leads["origin"].drop_nulls(), *deals["lead_type"].drop_nulls()}
    assert {"paid_search", "online_big"} <= raw  # the demo writes codes as Olist does
    at = page("marketplace", PATH)
    seen: set[str] = set()
    for view in ("Conversion", "Time to close", "Closed deals", "Matching"):
        at.segmented_control(key="funnel_view").set_value(view).run()
        assert not at.exception
        if view == "Closed deals":
            at.segmented_control(key="funnel_mix").set_value("lead_type").run()
        for table in (d.value for d in at.dataframe):
            for column in set(CODED) & set(table.columns):
                values = set(table[column].dropna())
                assert not any("_" in v for v in values), (view, column, values)
                seen |= values
        readings = [c.value.replace("\\", "") for c in at.caption if "lightbulb" in c.value]
        assert readings and not any("_" in r for r in readings), readings
    assert {"Paid search", "Online big"} <= seen
    assert b"SR,lead type,online_big," in downloads["routing.csv"]()


def test_real_funnel_cohort_chart_leaves_out_the_months_before_the_first_deal():
    """Olist's first deal was won on 5 Dec 2017; its leads start in June: the six months before
    December have no deals in the file, so the chart leaves them out and says so."""
    names = ("marketing_qualified_leads", "closed_deals")
    files = [shared_file(f"olist_marketing_funnel/olist_{n}_dataset.csv.gz") for n in names]
    tables = [t for f in files for t in io.read_path(f)]
    at = files_page({t.name: t.frame for t in tables}, "funnel", "olist_funnel")
    captions = " ".join(c.value for c in at.caption)
    assert "Not drawn: 6 months before the first deal in the data (the table lists them)." in (
        captions
    )


def olist_funnel_page():
    """The Seller funnel page on the real Olist funnel files, uploaded, and the data set as the
    headless twin loads them."""
    names = ("marketing_qualified_leads", "closed_deals")
    files = [shared_file(f"olist_marketing_funnel/olist_{n}_dataset.csv.gz") for n in names]
    tables = [t for f in files for t in io.read_path(f)]
    at = files_page({t.name: t.frame for t in tables}, "funnel", "olist_funnel")
    return at, formats.assemble(tables).dataset


def test_real_funnel_counts_conversion_from_the_first_deal_and_says_what_it_leaves_out():
    """Olist's 8,000 leads start in June 2017, its deals in December: the KPIs count the 6,198
    leads from December and their 792 deals (12.8%, test_funnel counts them from the raw
    files), say how many the files hold, and a warning says why; the demo says nothing of the
    kind (test_deals_of_leads_not_loaded…)."""
    at, _ = olist_funnel_page()
    assert not at.exception
    got = {m.label: (m.value, m.delta) for m in at.metric}
    assert got["Leads"] == ("6,198", "of 8,000 in the file")
    assert got["Closed deals"] == ("792", "of 842 in the file")
    assert got["Conversion"][0] == f"{792 / 6198:.1%}"
    warnings = " ".join(w.value for w in at.warning)
    assert "The 1,802 leads of Jun 2017 to Nov 2017 are left out" in warnings
    demo_page = page("marketplace", PATH)
    assert "left out" not in " ".join(w.value for w in demo_page.warning)
    assert [m.delta for m in demo_page.metric[:2]] == ["", ""]


def test_an_error_in_a_section_is_said_there_and_the_rest_of_the_page_stays(monkeypatch):
    """The landing pages fragment failing: Streamlit drew its own error box for a fragment
    before the app's handler saw it. Now the section says so in words, logs it, and the page
    after it (the lead cohorts) still renders."""
    reading = funnel.conversion_reading

    def failing(table, by, overall, *args, **kwargs):
        if by == "landing_page":
            raise RuntimeError("boom")
        return reading(table, by, overall, *args, **kwargs)

    monkeypatch.setattr(funnel, "conversion_reading", failing)
    at = page("marketplace", PATH)
    assert not at.exception
    assert [e.value for e in at.error] == [
        "This part of the page could not finish with this data. Your data is still loaded: try "
        "other settings, or check the Data quality page. The details are in the server log."
    ]
    assert any(s.value == "Monthly lead cohorts" for s in at.subheader)


def test_real_funnel_routes_only_where_beyond_chance_and_labels_the_rest():
    """Olist at the default minimum: 18 lead types and segments have a rep with 5 deals; none
    is beyond chance across the rep and kind pairs compared (Online small to SR fbf4aef3…, 6
    deals, 4 to 11 days against 17, clears it by its own 95% interval only: test_funnel
    recomputes it). They stay in view, labelled, and the reading says no route, as the twin
    does."""
    at, ds = olist_funnel_page()
    assert not at.exception
    routes = next(d.value for d in at.dataframe if "verdict" in d.value.columns)
    assert len(routes) == 18
    assert routes["verdict"].value_counts().to_dict() == {
        funnel.WITHIN_CHANCE: 12,
        funnel.ONE_REP: 5,
        funnel.NOT_FASTER: 1,  # Food supplement: 19 days against 19.5
    }
    small = routes[routes["value"] == "Online small"].iloc[0]
    assert (small["verdict"], small["route_to"]) == (
        funnel.WITHIN_CHANCE,
        "fbf4aef3f6915dc0c3c97d6812522f6a",
    )
    audio = routes[routes["value"] == "Audio video electronics"].iloc[0]
    assert (audio["verdict"], audio["days_low"], audio["days_high"]) == (
        funnel.WITHIN_CHANCE,
        1,
        216,
    )
    readings = [c.value for c in at.caption if "lightbulb" in c.value]
    twin = funnel.headless(ds)["routing"]
    assert any(funnel.routing_reading(twin) in r for r in readings)
    assert any("No route is supported by the data" in r for r in readings)
    assert not any("Route Audio" in r for r in readings)


def test_declared_revenue_medians_come_with_how_many_declared():
    """Closed deals by segment and the Matching tables: beside the median declared revenue,
    the sellers who declared one, and no median from fewer than five of them."""
    _, deals = demo_funnel()
    declared = pl.col("declared_monthly_revenue").cast(pl.Float64) > 0
    expected = dict(
        deals.with_columns(pl.col("business_segment").fill_null("unknown"))
        .group_by("business_segment")
        .agg(declared.sum())
        .iter_rows()
    )
    at = page("marketplace", PATH)
    at.segmented_control(key="funnel_view").set_value("Closed deals").run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "business_segment" in d.value.columns)
    words = {s: s.replace("_", " ").capitalize() for s in expected}
    shown = table.set_index("business_segment")["sellers_declaring"].to_dict()
    assert shown == {words[s]: n for s, n in expected.items()}
    few = table[table["sellers_declaring"] < 5]
    assert len(few) and few["declared_revenue"].isna().all()
    at.segmented_control(key="funnel_view").set_value("Matching").run()
    cells = [d.value for d in at.dataframe if "share_of_rep" in d.value.columns]
    assert cells and all("sellers_declaring" in c.columns for c in cells)
    for c in cells:
        assert c[c["sellers_declaring"] < 5]["declared_revenue"].isna().all()
