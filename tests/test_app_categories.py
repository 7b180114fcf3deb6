"""The Categories page as a user sees it, per demo, through streamlit_app.py with AppTest."""

from datetime import datetime

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from lib import demo, fmt, formats, measures
from lib.analyses import categories
from tests import apptest, family
from tests.apptest import metric
from tests.conftest import shared_file

PAGE = "pages/categories.py"


def page(source: str) -> AppTest:
    return apptest.page(source, PAGE)


def category_table(at: AppTest):
    return next(d.value for d in at.dataframe if "potential" in d.value.columns)


def readable(name: str) -> str:
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


def marketplace_revenue() -> pl.DataFrame:
    """Item prices per English category, straight from the demo's Olist files."""
    files = demo.demo("marketplace").files
    # Cancelled and unavailable orders sold nothing.
    orders = files["olist_orders_dataset.csv"].filter(
        pl.col("order_purchase_timestamp").is_not_null()
        & ~pl.col("order_status").is_in(["canceled", "unavailable"])
    )
    return (
        files["olist_order_items_dataset.csv"]
        .join(orders.select("order_id"), on="order_id", how="semi")
        .join(files["olist_products_dataset.csv"], on="product_id", how="left")
        .join(
            files["product_category_name_translation.csv"], on="product_category_name", how="left"
        )
        .group_by(english=pl.coalesce("product_category_name_english", "product_category_name"))
        .agg(pl.col("price").cast(pl.Float64).sum().alias("revenue"))
        .sort("revenue", descending=True)
    )


def test_marketplace_page_shows_the_largest_category_and_its_revenue():
    at = page("marketplace")
    expected = marketplace_revenue()
    assert metric(at, "Categories").value == f"{expected.height:,}"
    top = readable(expected["english"][0])
    assert metric(at, "Largest category").value == top
    table = category_table(at)
    assert table["category"].iloc[0] == top
    assert table["revenue"].iloc[0] == pytest.approx(expected["revenue"][0])
    assert {"review_score", "late_rate", "freight_share"} <= set(table.columns)
    # Its late rates are defined where the other figures are (audit: only order and revenue
    # were); the web shop, without delivery dates, shows no late rate and says nothing of it.
    said = next(c.value for c in at.caption if c.value.startswith(":material/menu_book:"))
    for term in ("order", "revenue", "delivered", "late"):
        assert measures.DEFINITIONS[term] in said, term
    webshop = page("webshop")
    said = next(c.value for c in webshop.caption if c.value.startswith(":material/menu_book:"))
    assert measures.DEFINITIONS["late"] not in said


def test_marketplace_potential_reading_names_the_top_ranked_category_with_enough_orders():
    at = page("marketplace")
    table = category_table(at)
    ranked = table[table["potential"].notna()]
    assert (ranked["orders"] >= 30).all()
    assert table[table["orders"] < 30]["potential"].isna().all()
    # Scored on every component first (a score without growth ranks after, whatever it is).
    complete = ranked[ranked["growth_reliable"].astype(bool)]
    top = complete.sort_values("potential", ascending=False).iloc[0]
    readings = [c.value for c in at.caption if "highest potential" in c.value]
    assert len(readings) == 1
    # One scored on fewer components higher than the top is named as ranking after it.
    fewer = ranked[~ranked["growth_reliable"].astype(bool)]
    higher = fewer[fewer["potential"].round(2) > round(top["potential"], 2)]
    assert ("scored on fewer" in readings[0]) == (len(higher) > 0)
    assert (
        f"{top['category']} has the highest potential score ({top['potential']:.2f} of 1)"
        in (readings[0])
    )
    assert f"{len(ranked)} categories with at least 30 orders" in readings[0]
    # Shrinking is said of a fall of 2% or more from enough orders (growth shown in percent).
    falling = top["growth_reliable"] and top["growth"] <= -2.0
    assert ("Its revenue is shrinking" in readings[0]) == bool(falling)
    largest = table.sort_values("revenue", ascending=False).iloc[0]
    text = " ".join(m.value for m in at.markdown)
    verb = "fell" if largest["growth"] < 0 else "grew"
    assert f"{largest['category']} is the largest category" in text
    # the table shows growth in percent (x 100), as the reading prints it
    assert f"its revenue {verb} {abs(largest['growth']):.0f}%" in text
    assert "performs best" not in text


def test_categories_with_the_orders_but_no_growth_to_score_are_said_unranked():
    """Growth the only weight: the reading counted '17 categories with at least 30 orders' where
    20 have them, 3 without reliable growth and so without a score, named nowhere."""
    at = page("marketplace")
    for name in ("share", "review", "late"):
        at.slider(key=f"categories_weight_{name}").set_value(0.0).run()
    table = category_table(at)
    enough = table[table["orders"] >= 30]
    scored, left = enough[enough["potential"].notna()], enough[enough["potential"].isna()]
    assert len(left) > 0 and (~left["growth_reliable"].astype(bool)).all()
    reading = next(c.value for c in at.caption if "highest potential" in c.value)
    assert f"of the {len(scored)} categories scored" in reading
    caption = next(c.value for c in at.caption if "no figure for the weighted" in c.value)
    assert caption.startswith(f"Not ranked, no figure for the weighted components ({len(left)}): ")
    assert all(fmt.plain(name) in caption for name in left["category"])


def test_webshop_page_names_its_largest_category_and_what_the_score_leaves_out():
    at = page("webshop")
    lines = demo.demo("webshop").files["orders.csv"]
    expected = (
        lines.group_by("item_category")
        .agg(pl.col("price").cast(pl.Float64).sum())
        .sort("price", descending=True)
    )
    assert metric(at, "Categories").value == f"{expected.height:,}"
    assert metric(at, "Largest category").value == readable(expected["item_category"][0])
    captions = " ".join(c.value for c in at.caption)
    assert "review score (needs a review score per order)" in captions
    assert "olist" not in captions.lower()  # Olist's files are named to Olist users only
    # The quadrants' names as the chart and the reading name them.
    assert "Established: high share, not growing" in captions and "Steady" not in captions
    assert at.slider(key="categories_weight_review").disabled


def test_too_long_a_growth_window_is_explained_not_drawn():
    at = page("webshop")
    at.slider(key="categories_months").set_value(12).run()
    assert not at.exception
    info = " ".join(i.value for i in at.info)
    assert "needs 24 full months of data; this data has 18" in info


def test_retail_page_explains_that_it_has_no_categories_in_general_words():
    """A UK retailer is told which column would enable the page and where to map it, not to
    upload Olist's products file."""
    at = page("retail")
    info = " ".join(i.value for i in at.info)
    assert "include a category column in a transactions file and map it on the Data page" in info
    assert "olist" not in info.lower()
    assert not at.dataframe


def test_olist_orders_without_their_products_file_are_told_to_upload_it():
    files = apptest.marketplace_without("olist_products_dataset.csv")
    at = apptest.files_page(files, "categories", "olist_without_products")
    info = " ".join(i.value for i in at.info)
    assert "map it on the Data page. With Olist orders, upload olist_products_dataset.csv." in info
    assert not at.dataframe


def test_page_explains_itself_with_no_data():
    at = page("files")
    info = " ".join(i.value for i in at.info)
    assert "needs a lines table with a category, which this data set does not have" in info


def test_growing_categories_count_only_growth_from_enough_orders_beyond_chance():
    """The card counts the categories growing beyond chance across those whose growth the
    table marks reliable: clear of +2% by Holm's step-down at 5% over their intervals (Olist
    had read 24 of 61, counting 17 growth figures from a handful of orders, then 7 of 21
    counting figures up 2% within chance; the demo read 4 of 17 by each one's own interval)."""
    at = page("marketplace")
    table = category_table(at)
    reliable = table[table["growth_reliable"] & table["growth"].notna()]
    # In percent, as the table shows them.
    lows, highs = (reliable[c].div(100).tolist() for c in ("growth_low", "growth_high"))
    # Each interval's degrees of freedom, which the page does not show: the headless table's
    # (the same rows, found by their growth).
    headless = categories.headless(formats.assemble_demo("marketplace").dataset)["categories"]
    df_of = {round(g * 100, 9): df for g, df in headless.select("growth", "growth_df").rows()}
    dfs = [df_of[round(g, 9)] for g in reliable["growth"]]
    grown = reliable[family.growing(lows, highs, dfs)]
    assert (~table["growth_reliable"] & table["growth"].notna()).any()  # some are left out
    assert metric(at, "Growing beyond chance").value == f"{len(grown)} of {len(reliable)}"
    # Up 2% is not enough: Health beauty's +5.7% is within chance.
    assert ((reliable["growth"] >= 2.0) & (reliable["growth_low"] < 2.0)).any()
    # Nor is an interval clear of +2% when 17 are compared: Pet shop (planted at 55% a year)
    # is one of the 4 that would be alone; Watches gifts (45%, the largest) still grows.
    alone = reliable[reliable["growth_low"] > 2.0]
    assert len(alone) == 4 and len(reliable) == 17
    assert set(grown["category"]) == {"Watches gifts"}
    assert "Pet shop" in set(alone["category"])


def test_growth_from_too_few_orders_shows_no_interval():
    """From an order or two a growth interval spans almost anything (an Olist sample showed
    +7,643,433,000.0%): the table leaves it empty where growth is not reliable, and shows the
    headless interval, in percent, where it is."""
    table = category_table(page("marketplace"))
    headless = categories.headless(formats.assemble_demo("marketplace").dataset)["categories"]
    by_label = {r["label"]: r for r in headless.iter_rows(named=True)}
    unreliable = table[~table["growth_reliable"] & table["growth"].notna()]
    assert len(unreliable) > 0
    for _, row in unreliable.iterrows():
        assert by_label[row["category"]]["growth_high"] is not None  # computed, not shown
        assert row[["growth_low", "growth_high"]].isna().all()
    reliable = table[table["growth_reliable"]]
    assert len(reliable) > 0
    for _, row in reliable.iterrows():
        want = by_label[row["category"]]
        assert row["growth_low"] == pytest.approx(want["growth_low"] * 100, rel=1e-9)
        assert row["growth_high"] == pytest.approx(want["growth_high"] * 100, rel=1e-9)


def test_webshop_readings_say_five_categories_clearing_alone_are_no_chance():
    """The web shop demo's categories all grew with the shop: 5 of its 10 clear the flat band
    by their own 95% intervals, none across the 10. One that far out is expected by chance,
    five are not (P = 6e-5): the readings say some grew, not which."""
    at = page("webshop")
    table = category_table(at)
    reliable = table[table["growth_reliable"] & table["growth"].notna()]
    alone = reliable[(reliable["growth_low"] > 2.0) | (reliable["growth_high"] < -2.0)]
    assert (len(alone), len(reliable)) == (5, 10)
    # The card says what it counts: "Growing categories = 0 of 10" read against every bubble
    # above the +2% line.
    assert metric(at, "Growing beyond chance").value == "0 of 10"
    said = " ".join(c.value for c in at.caption)
    assert said.count("though not 5 of the 10: some truly do, but which cannot be told") >= 2


def test_the_table_places_in_a_quadrant_only_categories_with_reliable_growth():
    """The reading counts categories whose growth rests on too few orders apart, "too few orders
    to be placed": the table gives them no quadrant either (it gave Olist's 40 one each)."""
    at = page("marketplace")
    table = category_table(at)
    thin = table[~table["growth_reliable"] & table["growth"].notna()]
    assert len(thin) and thin["quadrant"].isna().all()
    placed = table[table["growth_reliable"] & table["growth"].notna()]
    assert placed["quadrant"].notna().all()
    # So does the headless table (it gave 48 of Olist's 72 a quadrant the page does not).
    headless = categories.headless(formats.assemble_demo("marketplace").dataset)["categories"]
    unplaced = set(headless.filter(pl.col("quadrant").is_null())["label"])
    assert unplaced == set(table.loc[table["quadrant"].isna(), "category"]) != set()
    said = [c.value for c in at.caption if "to be placed" in c.value]
    assert said and f"{len(thin)} categor" in said[0]


def test_olist_orders_without_their_reviews_file_are_told_which_file_scores_reviews():
    files = apptest.marketplace_without("olist_order_reviews_dataset.csv")
    at = apptest.files_page(files, "categories", "olist_without_reviews")
    captions = " ".join(c.value for c in at.caption)
    assert (
        "review score (needs a review score per order (with Olist orders, "
        "olist_order_reviews_dataset.csv))"
    ) in captions


def test_growth_against_a_year_earlier_compares_the_same_months_and_their_revenue():
    """The marketplace demo's sales run from Jan 2022 to 30 Aug 2024, so its last full month is
    Jul 2024: a year on year window compares May-Jul 2024 with May-Jul 2023. Each category's
    growth is the ratio of its item prices in those months, from the demo's Olist files."""
    files = demo.demo("marketplace").files
    orders = files["olist_orders_dataset.csv"].filter(
        ~pl.col("order_status").is_in(["canceled", "unavailable"])
    )
    at = pl.col("order_purchase_timestamp").str.to_datetime()
    assert orders.select(at.max()).item().date().isoformat() == "2024-08-30"
    products = files["olist_products_dataset.csv"]
    english = files["product_category_name_translation.csv"]
    revenue = (
        files["olist_order_items_dataset.csv"]
        .join(orders, on="order_id")
        .join(products, on="product_id")
        .join(english, on="product_category_name")
        .group_by("product_category_name_english")
        .agg(
            family.window_prices(
                at,
                (datetime(2024, 5, 1), datetime(2024, 8, 1)),
                (datetime(2023, 5, 1), datetime(2023, 8, 1)),
            )
        )
    )
    page_ = page("marketplace")
    page_.segmented_control(key="categories_against").set_value("year").run()
    assert not page_.exception
    captions = " ".join(c.value for c in page_.caption)
    assert "Growth compares May–Jul 2024 vs May–Jul 2023." in captions
    table = category_table(page_).set_index("category")
    for name, now, then in revenue.rows():
        growth = table.loc[readable(name), "growth"]
        assert growth == pytest.approx((now / then - 1) * 100, rel=1e-9), name


def test_the_unreliable_growth_card_says_which_categories_it_counts_on_real_olist():
    """Olist's card said 48 'with fewer than 30 orders in either compared window', which is true
    of 60: the 12 categories with no sale from March to May 2018 (an audit's pandas count) have
    no growth figure and are not in it. Its help now says of how many it counts and why the
    others are not."""
    folder = shared_file("olist/subset_cab-g_8135_orders")
    paths = [folder / f"olist_{n}_dataset.csv.gz" for n in ("orders", "order_items", "customers")]
    paths += [folder.parent / "olist_products_dataset.csv.gz"]
    at = apptest.page("files", "pages/data.py")
    for path in paths:
        at.file_uploader[0].upload(path.name, path.read_bytes(), "application/gzip").run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    table = category_table(at)
    judged = table[table["growth"].notna()]
    card = metric(at, "Unreliable growth figures")
    assert card.value == str(int((~judged["growth_reliable"].astype(bool)).sum()))
    none = len(table) - len(judged)
    assert none == 12
    assert card.help.startswith(f"Of the {len(judged)} categories with a growth figure")
    assert card.help.endswith(
        "; 12 categories with no revenue in the earlier window have no growth figure at all"
    )
