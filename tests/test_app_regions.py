"""The Regions page as a user drives it, through streamlit_app.py with AppTest."""

import json
from datetime import date

import polars as pl
import pytest

from lib import demo, fmt, formats, io, report
from lib.analyses import regions
from tests.apptest import files_page, metrics, page
from tests.conftest import shared_file

PATH = "pages/regions.py"


def test_marketplace_regions_rank_sao_paulo_first_by_revenue():
    at = page("marketplace", PATH)
    files = demo.demo("marketplace").files
    items = files["olist_order_items_dataset.csv"]
    # Cancelled and unavailable orders sold nothing: they count for no region's revenue.
    orders = files["olist_orders_dataset.csv"].filter(
        ~pl.col("order_status").is_in(["canceled", "unavailable"])
    )
    customers = files["olist_customers_dataset.csv"]
    by_state = (
        items.join(orders.select("order_id", "customer_id"), on="order_id")
        .join(customers.select("customer_id", "customer_state"), on="customer_id")
        .group_by("customer_state")
        .agg(pl.col("price").cast(pl.Float64).sum())
        .sort("price", descending=True)
    )
    top, revenue = by_state.row(0)
    got = metrics(at)
    assert got["Regions"] == str(by_state.height)
    assert got["Top region"] == top == "SP"
    table = next(d.value for d in at.dataframe if "action" in d.value.columns)
    assert abs(table.set_index("region").loc["SP", "revenue"] - revenue) < 0.01
    captions = " ".join(c.value for c in at.caption)
    assert "Brazilian states" in captions
    # The rule says how the score reads growth, as priority_table scores it: against the
    # whole's growth (screenshot review: it still said "clears the flat band").
    assert "growth counts as measured only where it lies apart from the whole's growth" in (
        captions
    )
    assert "clears the flat band beyond chance, else as flat" not in captions


def test_growth_from_too_few_orders_shows_no_interval():
    """As on Categories: a region's growth interval is empty where its growth is not reliable
    (from so few orders it spans almost anything), the headless one where it is."""
    at = page("marketplace", PATH)
    table = next(d.value for d in at.dataframe if "action" in d.value.columns)
    whole = regions.headless(formats.assemble_demo("marketplace").dataset)["regions"]
    by_region = {r["region"]: r for r in whole.iter_rows(named=True)}
    assert table["growth_reliable"].notna().all()
    unreliable = table[~table["growth_reliable"].astype(bool) & table["growth"].notna()]
    assert len(unreliable) > 0
    for _, row in unreliable.iterrows():
        assert by_region[row["region"]]["growth_high"] is not None  # computed, not shown
        assert row[["growth_low", "growth_high"]].isna().all()
    reliable = table[table["growth_reliable"].astype(bool)]
    assert len(reliable) > 0
    for _, row in reliable.iterrows():
        want = by_region[row["region"]]
        assert row["growth_low"] == pytest.approx(want["growth_low"] * 100, rel=1e-9)
        assert row["growth_high"] == pytest.approx(want["growth_high"] * 100, rel=1e-9)


def test_marketplace_map_metric_can_be_switched_to_late_rate():
    at = page("marketplace", PATH)
    at.selectbox(key="regions_metric").select("late_rate").run()
    assert not at.exception
    readings = " ".join(c.value for c in at.caption)
    assert "has the highest late rate (" in readings


def test_retail_regions_show_net_revenue_of_the_united_kingdom():
    at = page("retail", PATH)
    raw = demo.demo("retail").files["online_retail.csv"]
    uk = raw.filter(pl.col("Country") == "United Kingdom")
    revenue = (uk["Quantity"].cast(pl.Float64) * uk["UnitPrice"].cast(pl.Float64)).sum()
    assert metrics(at)["Top region"] == "United Kingdom"
    table = next(d.value for d in at.dataframe if "action" in d.value.columns)
    assert abs(table.set_index("region").loc["United Kingdom", "revenue"] - revenue) < 0.5


def test_moving_a_weight_reranks_the_regions():
    at = page("retail", PATH)
    at.slider(key="regions_w_size").set_value(0.0).run()
    at.slider(key="regions_w_growth").set_value(0.0).run()
    at.slider(key="regions_w_repeat").set_value(0.0).run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "action" in d.value.columns)
    # Only order value counts now: among the regions to market in (ranked first), the highest
    # average order ranks first.
    verbs = table["action"].str.split(":").str[0]
    marketing = table[verbs.isin(["grow", "test", "retain", "defend"])]
    assert table.iloc[0]["region"] == marketing.iloc[0]["region"]
    assert table.iloc[0]["aov"] == marketing["aov"].max()


def test_every_weight_at_zero_ranks_by_action_then_revenue_and_says_so():
    """All five weights at 0 raised inside the page ("Series score, length 1 doesn't match the
    DataFrame height"): now no region has a score, the table ranks by action, then revenue."""
    for kind in ("marketplace", "retail"):
        at = page(kind, PATH)
        for name in ("size", "growth", "value", "repeat", "delivery"):
            slider = at.slider(key=f"regions_w_{name}")
            if not slider.disabled:
                slider.set_value(0.0).run()
        assert not at.exception and not at.error, kind
        table = next(d.value for d in at.dataframe if "action" in d.value.columns)
        assert table["score"].isna().all()
        verbs = table["action"].str.split(":").str[0]
        marketing = table[verbs.isin(["grow", "test", "retain", "defend"])]
        assert table.iloc[0]["region"] == marketing.iloc[0]["region"]
        assert table.iloc[0]["revenue"] == marketing["revenue"].max()
        reading = next(c.value for c in at.caption if "Every weight is 0" in c.value)
        assert f"Market first in {table.iloc[0]['region']} (rank 1)" in reading
        assert metrics(at)["Market first"] == table.iloc[0]["region"]


def test_retail_reading_names_the_rank_one_region_and_its_action():
    at = page("retail", PATH)
    table = next(d.value for d in at.dataframe if "action" in d.value.columns)
    first = table.iloc[0]
    assert first["rank"] == 1
    assert not first["action"].startswith("deprioritise")
    readings = " ".join(c.value for c in at.caption)
    assert f"Market first in {first['region']} (rank 1" in readings
    assert first["action"] in readings
    assert metrics(at)["Market first"] == first["region"]
    # The card: the action's verb, size and the head of its trend, without the comparison and
    # figures after it, which the help gives in full. The UK is first, growing as fast as the
    # whole within chance (+33% vs +36%, recounted in tests/test_regions.py's
    # test_retail_demo_germany_changes_within_chance_and_is_not_ranked_first).
    card = next(m for m in at.metric if m.label == "Market first")
    assert first["region"] == "United Kingdom"
    assert first["action"].startswith(
        "defend: large, growing, as fast as the whole within chance ("
    )
    assert card.delta == "defend: large, growing"
    assert first["action"] in card.help
    # Germany's rise (+103% in the table) is within chance: its interval reaches below 0, so it
    # is to maintain, not to test as growing faster (the demo plants no rise there), and not
    # first.
    germany = table.set_index("region").loc["Germany"]
    assert germany["growth_low"] < 0 < germany["growth"]
    assert germany["action"].startswith("maintain: small, no clear change")
    assert germany["rank"] > 1


def test_webshop_page_explains_that_regions_are_missing():
    at = page("webshop", PATH)
    text = " ".join(i.value for i in at.info)
    # In general words (what to map, where); Olist's customers file only to Olist users.
    # Once: it read "This page needs a region per order line or per customer, which this data
    # set does not have. Needs a region per order line or per customer: ...".
    assert text == (
        "Needs a region per order line or per customer: include a country or state column in a "
        "transactions file and map it on the Data page. This data set has neither."
    )
    assert "olist" not in text.lower()
    assert not at.dataframe


def test_the_action_column_shows_the_longest_action_in_one_line():
    at = page("marketplace", PATH)
    table = next(t for t in at.dataframe if "action" in t.value.columns)
    width = json.loads(table.proto.columns)["action"]["width"]
    longest = max(len(a) for a in table.value["action"])
    # Measured in chromium at 1440 px: 57 characters of an action fill 360 px (6.3 px each).
    assert longest > 57  # "defend: large, growing slower than the whole (+14% vs +15%)"
    assert width >= 6.3 * longest


def test_the_table_and_the_cards_name_eire_ireland_as_the_map_does():
    at = page("retail", PATH)
    table = next(t for t in at.dataframe if "action" in t.value.columns).value
    assert "EIRE" not in set(table["region"])
    ireland = table[table["region"] == "Ireland"]
    assert ireland["code"].tolist() == ["EIRE"]
    assert (table["code"] == table["region"]).sum() == len(table) - 1  # the others as written


def test_a_file_whose_revenue_nets_to_nothing_opens_without_shares():
    """Every unit price 0: the page once ended in a ZeroDivisionError box under its metrics."""
    lines = pl.DataFrame(
        {
            "InvoiceNo": [str(536365 + i // 2) for i in range(8)],
            "StockCode": ["21001"] * 8,
            "Description": ["MUG"] * 8,
            "Quantity": [1 + i % 3 for i in range(8)],
            "InvoiceDate": [f"2023-0{1 + i % 4}-05 10:00:00" for i in range(8)],
            "UnitPrice": [0.0] * 8,
            "CustomerID": [float(17850 + i % 3) for i in range(8)],
            "Country": ["France", "EIRE"] * 4,
        }
    )
    at = files_page({"Online Retail.csv": lines}, "regions", "free")
    top = next(m for m in at.metric if m.label == "Top region")
    assert not top.delta
    readings = " ".join(c.value for c in at.caption).replace("\\", "")
    assert "all regions together net £0: there is no share to give" in readings
    assert "% of revenue" not in readings


def test_retail_concentration_advice_follows_the_priority_tables_actions():
    at = page("retail", PATH)
    table = next(d.value for d in at.dataframe if "action" in d.value.columns)
    by_revenue = table.sort_values("revenue", ascending=False)
    # Germany and France are second and third and to maintain; the rest are to watch.
    assert by_revenue["region"].iloc[1:3].tolist() == ["Germany", "France"]
    rest = by_revenue["action"].iloc[3:].str.split(":").str[0]
    assert set(rest) == {"watch"}
    readings = " ".join(c.value for c in at.caption).replace("\\", "")
    assert (
        "concentrated, and no other region is one to grow or test in the priority table "
        f"(of the other {len(rest)}: {len(rest)} to watch)." in readings
    )
    assert "test the next regions" not in readings


def test_marketplace_reading_card_and_table_name_the_same_region_first():
    at = page("marketplace", PATH)
    table = next(d.value for d in at.dataframe if "action" in d.value.columns).set_index("region")
    # RS and SP tie on the shown score (72): named together on the card and in the reading.
    assert (table.loc["RS", "rank"], table.loc["SP", "rank"]) == (1, 2)
    assert round(table.loc["SP", "score"]) == round(table.loc["RS", "score"])
    readings = " ".join(c.value for c in at.caption)
    assert "Market first in RS and SP, tied" in readings
    assert metrics(at)["Market first"] == "RS and SP"
    # The card's action is said of both: no part of one region's own.
    card = next(m for m in at.metric if m.label == "Market first")
    assert all(table.loc[r, "action"].startswith(card.delta) for r in ("RS", "SP"))
    # Growth resting on fewer than 20 orders in either window is flagged, not acted on.
    few = table[~table["growth_reliable"]]
    assert len(few) == 14 and not few["action"].str.contains("growing|shrinking").any()
    assert "Growth from fewer than 20 orders in either compared window is no growth figure" in (
        readings
    )


def test_online_retail_says_which_customers_count_in_two_countries():
    """Eight of Online Retail's customers (12370, 12394, 12417, 12422, 12429, 12431, 12455,
    12457) have purchases under two countries: each country counts them."""
    raw = pl.read_parquet(shared_file("online_retail/online_retail.parquet"))
    sold = raw.filter(
        pl.col("CustomerID").is_not_null()
        & ~pl.col("InvoiceNo").cast(pl.String).str.starts_with("C")
        & (pl.col("Quantity") > 0)
    )
    both = (
        sold.group_by("CustomerID").agg(pl.col("Country").n_unique()).filter(pl.col("Country") > 1)
    )
    assert both.height == 8
    at = files_page({"online_retail.parquet": raw}, "regions", "online_retail")
    captions = " ".join(c.value for c in at.caption)
    assert (
        "8 customers bought in two regions or more: each of those regions counts them" in captions
    )
    # Its 38 Country values less "Unspecified" (13 invoices, £4,749.79), which is no region: not
    # counted as one, not on the map, in the table as "(no region)".
    assert raw["Country"].n_unique() == 38
    assert metrics(at)["Regions"] == "37"
    unspecified = raw.filter(pl.col("Country") == "Unspecified")
    money = fmt.money((unspecified["Quantity"] * unspecified["UnitPrice"]).sum(), "GBP")
    assert f"Not on the map: {money} of revenue with no region" in captions
    assert "no known place" not in captions


def test_regions_no_place_knows_are_named_in_the_no_map_warning():
    raw = demo.demo("retail").files["online_retail.csv"]
    lands = raw.with_columns(
        pl.when(pl.col("Country") == "United Kingdom")
        .then(pl.lit("Atlantis"))
        .otherwise(pl.lit("Narnia"))
        .alias("Country")
    )
    at = files_page({"online_retail.csv": lands}, "regions", "lands")
    [warning] = [w.value for w in at.warning if "no map" in w.value]
    assert warning.startswith("None of the region values (Atlantis and Narnia) names a country")
    assert metrics(at)["Regions"] == "2"
    help_text = next(m for m in at.metric if m.label == "Regions").help
    assert help_text == "No region names a place the app knows."


def test_regions_not_on_the_map_are_listed_a_dozen_at_most_with_long_names_cut():
    """A file of 28 places the map does not know beside two it does, one named with 200
    characters: the caption lists the 12 largest and counts the rest (it listed all, whole)."""
    names = ["United Kingdom", "France"] + [f"Nowhere {i:02d}" for i in range(27)] + ["Z" * 200]
    lines = pl.DataFrame(
        {
            "InvoiceNo": [str(536000 + i) for i in range(30)],
            "StockCode": ["A"] * 30,
            "Description": ["THING"] * 30,
            "Quantity": [1] * 30,
            "InvoiceDate": [f"2011-01-{1 + i % 28:02d} 10:00:00" for i in range(30)],
            "UnitPrice": [float(100 + i) for i in range(30)],
            "CustomerID": [float(12000 + i) for i in range(30)],
            "Country": names,
        }
    )
    at = files_page({"Online Retail.csv": lines}, "regions", "unknown_places")
    [said] = [c.value for c in at.caption if "Not on the map" in c.value]
    assert "Not on the map (28, no known place)" in said
    assert said.count("(£") == 12 and "and 16 more" in said
    assert "Z" * 39 + "…" in said and "Z" * 40 not in said  # the largest, cut


def test_a_single_country_gets_no_ranking_and_no_market_first():
    """One country in the whole file: 'Market first in United Kingdom (rank 1, score 50/100)'
    ranked one region against itself; a ranking of one sets no priority."""
    lines = pl.DataFrame(
        {
            "InvoiceNo": [str(536365 + i) for i in range(60)],
            "StockCode": ["21001"] * 60,
            "Description": ["MUG"] * 60,
            "Quantity": [1 + i % 3 for i in range(60)],
            "InvoiceDate": [f"2023-{1 + i % 6:02d}-{5 + i % 20:02d} 10:00:00" for i in range(60)],
            "UnitPrice": [2.5] * 60,
            "CustomerID": [float(17850 + i % 25) for i in range(60)],
            "Country": ["United Kingdom"] * 60,
        }
    )
    at = files_page({"Online Retail.csv": lines}, "regions", "onecountry")
    assert metrics(at)["Market first"] == "one region only"
    readings = " ".join(c.value for c in at.caption).replace("\\", "")
    assert "Market first" not in readings and "rank 1" not in readings
    assert "The data has one region, United Kingdom: a ranking of one region sets no priority" in (
        readings
    )
    # The report's card says the same (it read "Market first: United Kingdom", 50/100), as the
    # page's card labels it.
    built = formats.assemble([io.RawTable("Online Retail.csv", "Online Retail.csv", lines)])
    (section,) = report.report_sections(built.dataset, ["regions"], {})
    (card,) = [k for k in section.kpis if k.key == "regions.market_first_score"]
    assert (card.label, card.shown, card.value) == ("Market first", "one region only", None)
    assert card.delta == "no ranking"


def test_lines_without_a_region_are_the_last_row_unranked_and_no_region_of_the_cards():
    """Three countries and lines 'Unspecified', blank or missing: the Regions card counts the
    three, and the table ends in one '(no region)' row without a rank or a score."""
    countries = ["France", "Unspecified", "", None, "Germany", "EIRE", "France", "Germany"]
    lines = pl.DataFrame(
        {
            "InvoiceNo": [str(536365 + i) for i in range(8)],
            "StockCode": ["21001"] * 8,
            "Description": ["MUG"] * 8,
            "Quantity": [1, 50, 60, 70, 2, 3, 4, 5],
            "InvoiceDate": [f"2023-0{1 + i % 4}-05 10:00:00" for i in range(8)],
            "UnitPrice": [1.0] * 8,
            "CustomerID": [float(17850 + i) for i in range(8)],
            "Country": countries,
        }
    )
    at = files_page({"Online Retail.csv": lines}, "regions", "unplaced")
    assert metrics(at)["Regions"] == "3"
    table = next(t.value for t in at.dataframe if "action" in t.value.columns)
    last = table.iloc[-1]
    assert last["region"] == "(no region)" and last["action"] == "watch: no region recorded"
    assert last[["rank", "score"]].isna().all()
    assert sorted(table["rank"].iloc[:-1]) == [1, 2, 3]
    # The most revenue (180 of 195) is without a region: the top region is Germany's 7 (France
    # 5, Ireland 3).
    assert metrics(at)["Top region"] == "Germany"
    said = "(no region): the lines with none, blank or written as Unspecified or Unknown"
    assert said in " ".join(c.value for c in at.caption)
    assert said not in " ".join(c.value for c in page("marketplace", PATH).caption)


def test_the_regions_page_says_which_months_growth_compares_or_why_there_is_none():
    """Audit: at a window of 12 months every region read "no growth figure" with no word why,
    and the help said "the last N months up to the latest order" of full calendar months. The
    retail demo runs from 1 Dec 2022 to 9 Dec 2023 (a partial last month), so its full months
    are Dec 2022 to Nov 2023: twelve."""
    raw = demo.demo("retail").files["online_retail.csv"]
    when = raw["InvoiceDate"].str.to_datetime("%m/%d/%Y %H:%M").dt.date()
    assert (when.min(), when.max()) == (date(2022, 12, 1), date(2023, 12, 9))
    at = page("retail", PATH)
    captions = " ".join(c.value for c in at.caption)
    assert "Growth compares Sep–Nov 2023 vs Jun–Aug 2023." in captions
    assert "full calendar months" in at.slider(key="regions_months").help
    at.slider(key="regions_months").set_value(12).run()
    captions = " ".join(c.value for c in at.caption)
    assert (
        "No growth figures: growth over 12 months needs 24 full months of data; this data has "
        "12. Try a smaller window."
    ) in captions


def test_growth_against_a_year_earlier_says_why_the_retail_demo_has_none():
    """The retail demo's 12 full months (Dec 2022 to Nov 2023, above) hold no year before a
    3-month window: the page says so and what to do; the growth column has no figure."""
    at = page("retail", PATH)
    at.segmented_control(key="regions_against").set_value("year").run()
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert (
        "No growth figures: growth over 3 months against a year earlier needs 15 full months of "
        "data; this data has 12. Try a smaller window or compare with the months before."
    ) in captions
    table = next(d.value for d in at.dataframe if "action" in d.value.columns)
    assert table["growth"].isna().all()


def test_the_priority_column_says_the_rank_orders_by_action_before_score():
    """Screenshot audit: a region of a higher score ranked below one of a lower (the retail
    demo's EIRE, to watch, below France, to maintain), the rank ordering by action before score,
    said only far under the table: the column's help says it, the actions in the rank's order
    (regions.ACTION_TIERS)."""
    at = page("retail", PATH)
    (table,) = [d for d in at.dataframe if "score" in d.value.columns]
    shown = table.value
    assert (shown["score"].diff().dropna() > 0).any()  # a higher score ranks lower here
    config = json.loads(table.proto.columns)
    said = config["score"]["help"]
    # Each action quoted: 'then fix delivery first' would read as an instruction.
    order = (
        '"grow", "test", "retain", "defend"; then "maintain"; then "fix delivery first"; then '
        '"watch"; then "deprioritise"'
    )
    assert f"ranks regions by their action first ({order}) and by this score within" in said
    # The rule under the table gives the same order, from the same tiers.
    assert any(f"Rank: by action first ({order}); within" in c.value for c in at.caption)
