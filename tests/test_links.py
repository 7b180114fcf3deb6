"""Links that reopen a view, and recipes that restore one, through streamlit_app.py with AppTest.

A link is the page's URL: its query parameters are the page's controls (bound with
bind="query-params") and the data set (`demo=`, or `files=` and `fp=` for uploaded files). Bad or
stale parameters are moved or ignored with a note under the page title, never an error.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from lib import formats, io, recipe
from lib.analyses import rfm
from pages.common import settings
from tests import apptest
from tests.apptest import metrics

RETAIL_CSV = (
    b"InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
    b"536365,85123A,HEART,6,12/1/2010 8:26,2.55,17850,United Kingdom\n"
    b"536366,71053,LANTERN,2,12/1/2010 9:02,3.39,17850,United Kingdom\n"
    b"536367,84406B,CUPID,8,12/2/2010 10:15,2.75,13047,United Kingdom\n"
    b"536368,22633,HAND WARMER,6,12/3/2010 11:00,1.85,13047,France\n"
    b"536369,22632,POLKADOT,4,12/5/2010 12:30,2.10,12583,France\n"
)


def opened(path: str, params: dict[str, str | list[str]], source: str | None = "retail"):
    """A fresh session that opens `path` from a link with these query parameters."""
    at = AppTest.from_file("../streamlit_app.py", default_timeout=apptest.TIMEOUT)
    if source is not None:
        params = {"demo": source, **params}
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(path)
    at.run()
    assert not at.exception, at.exception
    return at


def notes(at: AppTest) -> list[str]:
    return [c.value for c in at.caption if "Link adjusted" in c.value]


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error] + [str(e.value) for e in at.exception]


def test_a_link_opens_the_sales_page_on_its_dates_grain_and_item_count():
    params = {
        "sales_dates": ["2023-03-01", "2023-08-31"],
        "sales_grain": "week",
        "sales_window_week": "8",
        "sales_topn": "25",
        "sales_pattern": "Basket size",
        "sales_basket": "units",
    }
    at = opened("pages/sales.py", params)
    assert at.date_input(key="sales_dates").value == (date(2023, 3, 1), date(2023, 8, 31))
    assert at.segmented_control(key="sales_grain").value == "week"
    assert at.slider(key="sales_window_week").value == 8
    assert at.slider(key="sales_topn").value == 25
    assert at.segmented_control(key="sales_basket").value == "units"
    assert len(at.dataframe[0].value) == 25
    assert not notes(at)
    # The same figures as a user who set the controls by hand.
    by_hand = apptest.page("retail", "pages/sales.py")
    by_hand.date_input(key="sales_dates").set_value((date(2023, 3, 1), date(2023, 8, 31))).run()
    assert metrics(at) == metrics(by_hand)


def test_a_long_value_in_a_link_is_quoted_back_clipped():
    """20,000 characters of a stranger's link were quoted whole in the note."""
    at = opened("pages/sales.py", {"sales_topn": "x" * 20_000})
    assert not errors(at)
    [said] = notes(at)
    assert "x" * 79 + "…" in said and "x" * 80 not in said
    assert at.slider(key="sales_topn").value == 10


def test_a_link_to_a_demo_that_does_not_exist_says_which_data_set_opens_instead():
    """?demo=<anything> opened the marketplace demo without a word."""
    at = opened("pages/sales.py", {}, source="<b>nope</b>")
    said = [c.value for c in at.sidebar.caption if "Link adjusted" in c.value]
    assert said == [
        ":material/link: Link adjusted: demo = \\<b\\>nope\\<\\/b\\> is no demo (one of "
        "marketplace, webshop, retail); showing Marketplace demo (Olist format)"
    ]
    assert at.session_state["app_source"] == "marketplace"


def test_a_demo_link_reopens_the_same_demo_and_every_page_writes_it_into_the_url():
    at = opened("pages/rfm.py", {"rfm_bins": "3"}, source="webshop")
    assert at.session_state["app_source"] == "webshop"
    assert at.segmented_control(key="rfm_bins").value == 3
    plain = AppTest.from_file("../streamlit_app.py", default_timeout=apptest.TIMEOUT)
    plain.run()  # no demo= in the URL: the app opens on the marketplace demo and says so
    assert plain.query_params["demo"] == "marketplace"


@pytest.mark.parametrize(
    ("path", "params", "key", "expected", "said"),
    [
        ("pages/clusters.py", {"clusters_k": "50"}, "clusters_k", 10, "50 is outside 2 to 10"),
        ("pages/clusters.py", {"clusters_k": "1"}, "clusters_k", 2, "1 is outside 2 to 10"),
        ("pages/sales.py", {"sales_topn": "eleven"}, "sales_topn", 10, "not a number"),
        ("pages/rfm.py", {"rfm_bins": "7"}, "rfm_bins", 5, "7 is not one of 3, 4, 5"),
        (
            "pages/sales.py",
            {"sales_grain": ""},
            "sales_grain",
            "month",
            "an empty value is not one of",
        ),
        (
            "pages/cohorts.py",
            {"cohort_relative": "maybe"},
            "cohort_relative",
            True,
            "not on or off",
        ),
        ("pages/clv.py", {"clv_horizon": "500"}, "clv_horizon", 120, "500 is outside 1 to 120"),
        (
            "pages/sales.py",
            {"sales_dates": ["2001-01-01", "2040-01-01"]},
            "sales_dates",
            (date(2022, 12, 1), date(2023, 12, 9)),
            "is outside the data",
        ),
        (
            "pages/sales.py",
            {"sales_dates": ["2023-06-30", "2023-06-01"]},
            "sales_dates",
            (date(2023, 6, 1), date(2023, 6, 30)),
            "the range was reversed",
        ),
        (
            "pages/rfm.py",
            {"rfm_as_of": "31/12/2023"},
            "rfm_as_of",
            date(2023, 12, 10),
            "not a date",
        ),
    ],
)
def test_a_bad_parameter_is_moved_or_ignored_with_a_note_not_an_error(
    path, params, key, expected, said
):
    at = opened(path, params)
    assert not errors(at)
    assert at.session_state[key] == expected
    assert any(said in n.replace("\\", "") for n in notes(at)), notes(at)
    at.run()  # the URL now holds the moved value: no note the second time
    assert not notes(at)


def test_unknown_segments_categories_and_features_are_dropped_and_named():
    at = opened(
        "pages/rfm.py",
        {"rfm_view": "Customers", "rfm_segment_filter": ["champions", "unicorns"]},
    )
    assert at.multiselect(key="rfm_segment_filter").value == ["champions"]
    assert any("unicorns" in n for n in notes(at))
    at = opened("pages/sales.py", {"sales_categories": ["Nonsense"]}, source="marketplace")
    assert at.multiselect(key="sales_categories").value == []
    assert any("Nonsense" in n for n in notes(at))
    assert not errors(at)


def test_an_option_named_by_its_key_is_taken_silently():
    # "thresholds" is what the page calls the choice shown as "My thresholds"
    at = opened("pages/rfm.py", {"rfm_mode": "thresholds"})
    assert at.segmented_control(key="rfm_mode").value == "thresholds"
    assert not notes(at)
    assert at.query_params["rfm_mode"] == "My thresholds"


def _fingerprint(name: str, data: bytes) -> str:
    tables = io.read_file(name, data)
    return recipe.short_fingerprint(recipe.fingerprint(tables))


def test_a_link_made_on_uploaded_files_waits_for_them_then_opens_its_view():
    fp = _fingerprint("retail.csv", RETAIL_CSV)
    at = opened(
        "pages/sales.py",
        {"fp": fp, "files": "retail.csv", "sales_topn": "5", "sales_rank_by": "revenue"},
        source=None,
    )
    said = " ".join(i.value for i in at.info).replace("\\", "")
    assert "retail.csv" in said and fp in said
    assert not at.slider  # the page waits for the files
    at.switch_page("pages/data.py").run()
    at.file_uploader[0].upload("retail.csv", RETAIL_CSV, "text/csv").run()
    assert not at.exception
    # The matching files are loaded: the app is back on the Sales page with the link's view.
    assert at.segmented_control(key="sales_rank_by").value == "revenue"
    assert at.query_params["fp"] == fp


def test_a_link_whose_files_differ_warns_and_still_opens():
    at = apptest.page("files", "pages/data.py")
    at.file_uploader[0].upload("retail.csv", RETAIL_CSV, "text/csv").run()
    fp = at.query_params["fp"]
    assert fp == _fingerprint("retail.csv", RETAIL_CSV)
    assert at.query_params["files"] == "retail.csv"
    other = opened("pages/overview.py", {"fp": "0123456789ab", "files": "x.csv"}, source=None)
    other.switch_page("pages/data.py").run()
    other.file_uploader[0].upload("retail.csv", RETAIL_CSV, "text/csv").run()
    warned = " ".join(w.value for w in other.warning).replace("\\", "")
    assert "x.csv" in warned and "0123456789ab" in warned


# --- the one mapping of controls to headless options ------------------------------------------

# A setting other than the default for every option of every page.
SAMPLES: dict[str, dict[str, object]] = {
    "sales": {
        "start": "2023-02-01",
        "end": "2023-10-31",
        "regions": "France,Germany",
        "grain": "week",
        "window": 8,
        "topn": 20,
        "rank_by": "revenue",
        "basket": "units",
        "bridge_previous": "2023Q1",
        "bridge_current": "2023Q2",
    },
    "categories": {"months": 6, "min_orders": 20, "top": 8, "weight_review": 0.5},
    "regions": {"metric": "customers", "months": 6, "w_size": 1.5, "w_delivery": 0.0},
    "delivery": {"min_orders": 50, "metric": "median_days", "follow_months": 9},
    "funnel": {"top": 12, "min_count": 7},
    "rfm": {
        "bins": 4,
        "recency_ties": "first",
        "as_of": "2023-06-01",
        "compare_as_of": "2023-03-01",
        "clean": False,
        "across": "monetary",
    },
    "cohorts": {
        "grain": "quarter",
        "metric": "revenue",
        "relative": False,
        "shown": 3,
        "churn_quantile": 0.95,
    },
    "clusters": {"features": "recency_days,frequency", "log": False, "k": 4, "margin": 45.0},
    "clv": {
        "unit": "days",
        "horizon": 6,
        "horizon_unit": "weeks",
        "penalizer": 0.01,
        "discount": 0.02,
        "calibration_end": "2023-06-30",
        "model": "pareto",
    },
    "events": {"window_days": 3, "steps": "view_item,purchase", "min_support": 4},
}


@pytest.mark.parametrize("page", recipe.ANALYSIS_PAGES)
def test_every_control_reads_back_the_option_it_was_set_to(page):
    ds = formats.assemble_demo("retail").dataset
    options = {**recipe.defaults(page), **SAMPLES[page]}
    values = settings.widget_values(page, options, ds)
    read = {}
    for control in settings.CONTROLS[page]:
        key = control.key.format(grain=options.get("grain"))
        if values.get(key) is not None:
            read[control.option] = control.read(values[key])
    assert read == SAMPLES[page]
    assert {c.option for c in settings.CONTROLS[page]} == set(recipe.defaults(page))


# --- recipes ---------------------------------------------------------------------------------


def upload_recipe(at: AppTest, text: str) -> AppTest:
    at.file_uploader(key="data_recipe").upload("recipe.toml", text.encode(), "application/toml")
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_recipe_uploaded_on_the_data_page_restores_every_pages_settings():
    rules = rfm.default_rules(4).with_columns(
        pl.when(pl.col("segment") == "champions")
        .then(pl.lit("stars"))
        .otherwise(pl.col("segment"))
        .alias("segment")
    )
    made = recipe.make(
        settings={
            "sales": {"grain": "week", "topn": 20, "start": "2023-02-01"},
            "rfm": {"bins": 4, "frequency_ties": "value"},
            "clusters": {"k": 5, "margin": 45.0},
            "clv": {"discount": 0.02, "model": "pareto"},
        },
        rules=rules,
        demo="retail",
    )
    at = apptest.page("marketplace", "pages/data.py")
    upload_recipe(at, recipe.to_toml(made))
    assert at.session_state["app_source"] == "retail"  # the recipe's demo
    assert "Recipe applied" in " ".join(s.value for s in at.success)
    at.switch_page("pages/sales.py").run()
    assert at.segmented_control(key="sales_grain").value == "week"
    assert at.slider(key="sales_topn").value == 20
    assert at.date_input(key="sales_dates").value == (date(2023, 2, 1), date(2023, 12, 9))
    at.switch_page("pages/rfm.py").run()
    assert at.segmented_control(key="rfm_bins").value == 4
    assert at.segmented_control(key="rfm_ties_frequency").value == "value"
    summary = next(d.value for d in at.dataframe if "customer_share" in d.value.columns)
    assert "stars" in summary["segment"].tolist()
    at.switch_page("pages/clusters.py").run()
    assert next(s for s in at.slider if s.key == "clusters_k").value == 5
    assert at.number_input(key="clusters_margin").value == 45.0
    at.switch_page("pages/clv.py").run()
    assert at.number_input(key="clv_discount").value == 2.0
    assert at.segmented_control(key="clv_model").value == "Pareto/NBD"
    assert not errors(at)


def test_a_recipe_with_bad_settings_says_what_it_moved_and_ignored():
    text = (
        'version = 1\ndemo = "retail"\n\n[settings.clusters]\nk = 40\n\n'
        '[settings.sales]\ngrain = "fortnight"\ncolour = "red"\n'
    )
    at = upload_recipe(apptest.page("retail", "pages/data.py"), text)
    said = " ".join(c.value for c in at.caption).replace("\\", "")
    assert "k = 40 is outside 0..10; used 10" in said
    assert "grain = fortnight is not a valid value" in said
    assert "unknown setting colour ignored" in said
    assert not errors(at)


def test_a_recipes_bridge_period_the_sales_page_does_not_offer_is_noted():
    """A year or a date range is a period headless, but the page offers quarters and months:
    the page opened on its default without a word. A quarter written loosely is restored."""
    made = recipe.make(
        settings={"sales": {"bridge_previous": "2023", "bridge_current": "2023 q3"}},
        demo="marketplace",
    )
    at = apptest.page("marketplace", "pages/data.py")
    upload_recipe(at, recipe.to_toml(made))
    said = " ".join(c.value for c in at.caption).replace("\\", "")
    assert (
        "Sales: bridge_previous = 2023 is a year; the page offers quarters and months, so it "
        "opens on its default" in said
    )
    assert "bridge_current" not in said
    assert at.session_state["sales_bridge_current"] == "2023Q3"
    assert "sales_bridge_previous" not in at.session_state or (
        at.session_state["sales_bridge_previous"] is None
    )


def test_a_recipe_made_on_other_files_warns_what_differs_and_maps_the_columns():
    csv = b"ticket;fecha;importe;cliente\nT1;02/01/2024;10,50;a\nT2;03/01/2024;4,00;b\n"
    tables = io.read_file("ventas.csv", csv)
    mapping = formats.generic.ColumnMapping(
        {
            "order_id": "ticket",
            "ordered_at": "fecha",
            "revenue": "importe",
            "customer_id": "cliente",
        }
    )
    made = recipe.make(tables, mappings={"ventas.csv": mapping}, settings={"sales": {"topn": 7}})
    changed = csv + b"T3;04/01/2024;8,00;c\n"
    at = apptest.page("files", "pages/data.py")
    at.file_uploader[0].upload("ventas.csv", changed, "text/csv").run()
    upload_recipe(at, recipe.to_toml(made))
    warned = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "ventas.csv" in warned and "3 rows" in warned
    assert at.session_state["app_mappings"]["ventas.csv"].fields["ordered_at"] == "fecha"
    at.switch_page("pages/overview.py").run()
    tables = at.dataframe[0].value.set_index("table")["rows"].to_dict()
    assert tables["lines"] == 3


def test_a_page_report_is_built_on_request_with_the_pages_settings():
    at = opened("pages/cohorts.py", {"cohort_grain": "quarter"})
    at.button(key="cohorts_export_report").click().run()
    assert not at.exception
    token, html = at.session_state["app_built"]["report:cohorts"]
    text = html.decode()
    assert text.startswith("<!doctype html>") and "quarter" in text
    # Unchanged settings: the built report is kept, a new setting drops it.
    at.run()
    assert "report:cohorts" in at.session_state["app_built"]
    at.segmented_control(key="cohort_grain").set_value("month").run()
    assert "report:cohorts" not in at.session_state["app_built"]


@pytest.mark.parametrize(
    ("path", "key", "given", "shown"),
    [
        ("pages/sales.py", "sales_dates", ["2023-03-01T00:00", "2023-08-31"], (3, 8)),
        ("pages/sales.py", "sales_dates", ["20230301", "20230831"], (3, 8)),
        ("pages/sales.py", "sales_dates", ["2023-03-01 ", "2023-08-31"], (3, 8)),
        ("pages/rfm.py", "rfm_clean", " false", False),
        ("pages/regions.py", "regions_density", " TRUE", True),
    ],
)
def test_a_value_read_but_not_written_as_the_widget_writes_it_is_taken_not_dropped(
    path, key, given, shown
):
    """Audit: the checks read '2023-03-01T00:00' (or ' false') and passed it on as it came; the
    widget then misread it and opened on its default, with no note, the value gone from the URL."""
    at = opened(path, {key: given}, "marketplace" if key == "regions_density" else "retail")
    if key == "sales_dates":
        want = (date(2023, shown[0], 1), date(2023, shown[1], 31))
        assert at.date_input(key=key).value == want
        assert at.query_params[key] == [d.isoformat() for d in want]
    else:
        assert at.toggle(key=key).value is shown
    assert not errors(at)
