"""The app as a user drives it, through streamlit_app.py with AppTest."""

import json
import re

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from lib import demo, fmt, formats, quality, recipe
from lib.catalog import PAGE_BY_KEY
from lib.state import DEMO_LABELS
from pages.common import ui
from tests.apptest import TIMEOUT, files_page, marketplace_without, metrics, page
from tests.apptest import metric as metric_of
from tests.test_readable import table_problems


def data_set_name(at: AppTest) -> str:
    """The data set's name as it reads on the page (its markdown escapes, fmt.plain's, undone)."""
    return re.sub(r"\\(.)", r"\1", at.subheader[0].value)


@pytest.mark.parametrize("kind", demo.KINDS)
def test_overview_names_the_demo_and_counts_its_rows(kind):
    at = page(kind, "pages/overview.py")
    generated = demo.demo(kind)
    assert data_set_name(at) == DEMO_LABELS[kind]
    tables = at.dataframe[0].value.set_index("table")["rows"].to_dict()
    if kind == "marketplace":
        assert tables["orders"] == generated.files["olist_orders_dataset.csv"].height
        assert (
            tables["leads"] == generated.files["olist_marketing_qualified_leads_dataset.csv"].height
        )
    elif kind == "webshop":
        assert tables["lines"] == generated.files["orders.csv"].height
        assert tables["items"] == generated.files["items.csv"].height
    else:
        assert tables["lines"] == generated.files["online_retail.csv"].height
        # The headline counts the file's lines, not the orders and customers made from them.
        assert metrics(at)["Order lines"] == f"{tables['lines']:,}"


def test_the_url_opens_the_webshop_demo_directly():
    at = AppTest.from_file("../streamlit_app.py", default_timeout=TIMEOUT)
    at.query_params["demo"] = "webshop"
    at.run()
    assert data_set_name(at) == DEMO_LABELS["webshop"]


def test_overview_says_which_pages_the_webshop_data_cannot_serve():
    at = page("webshop", "pages/overview.py")
    text = " ".join(c.value for c in at.caption)
    assert "Needs a delivery date and a promised, estimated delivery date per order" in text
    assert "Missing: a leads table, a deals table." in text


def test_overview_tells_a_retailer_how_to_enable_categories_in_general_words():
    at = page("retail", "pages/overview.py")
    text = " ".join(c.value for c in at.caption)
    assert (
        "Missing: a category on each order line. Needs a product category per order line: " in text
    )
    assert "map it on the Data page" in text


@pytest.mark.parametrize("path", ["rfm", "cohorts", "clusters", "clv"])
def test_olist_orders_without_their_customers_file_get_no_customer_figures(path):
    """Olist's customer_id names the order: without the customers file every order would be a
    new customer (no repeat buyer, no cohort). The customer pages say which file to upload and
    show no figure; Sales counts the orders and no customer."""
    files = marketplace_without("olist_customers_dataset.csv")
    at = files_page(files, path, "olist_without_customers")
    assert "upload olist_customers_dataset.csv" in " ".join(i.value for i in at.info)
    assert not at.metric
    sales = metrics(files_page(files, "sales", "olist_without_customers"))
    # No customer named: no count.
    assert (sales["Customers"], sales["Came back"]) == ("—", "—")


def test_a_page_names_a_missing_table_with_the_right_article():
    at = page("retail", "pages/events.py")
    info = " ".join(i.value for i in at.info)
    assert "This page needs an events table, which this data set does not have." in info


@pytest.mark.parametrize("kind", demo.KINDS)
def test_data_page_lists_every_demo_file_as_recognised(kind):
    at = page(kind, "pages/data.py")
    table = at.dataframe[0].value
    assert sorted(table["table"]) == sorted(demo.demo(kind).files)
    assert not table["recognised as"].str.startswith("unknown").any()


@pytest.mark.parametrize("kind", demo.KINDS)
def test_quality_page_reports_exactly_the_planted_anomalies(kind):
    at = page(kind, "pages/quality.py")
    summary = next(d.value for d in at.dataframe if "finding" in d.value.columns)
    titles = {r.id: r.title for r in quality.RULES.values()}
    got = summary.groupby("finding")["count"].sum().to_dict()
    for rule, count in demo.demo(kind).planted.items():
        assert got.get(titles[rule], 0) == count, rule
    # Each share says what it is of: its table's rows, or what the finding counts in.
    apart = {
        "thin_months": "the months in the range",
        "payment_mismatch": "orders that have both payments and items",
        "empty_days": "calendar days in the range",
        "misspelled_parameter": "the export's parameter rows",
    }
    rules = {r.title: r.id for r in quality.RULES.values()}
    for finding in summary.itertuples():
        assert finding.of == apart.get(rules[finding.finding], finding.table), finding.finding
    # The table's severities are the cards' words, and as many of each.
    severities = summary["severity"].value_counts().to_dict()
    for card, word in (("Errors", "Error"), ("Warnings", "Warning"), ("Notes", "Note")):
        assert metrics(at)[card] == str(severities.get(word, 0)), card
    # So do the findings' badges below the table ('info' read beside 'Note').
    badges = " ".join(m.value for m in at.markdown)
    assert badges.count(":material/info: note]") == severities.get("Note", 0)
    assert ":material/info: info]" not in badges


def test_quality_says_its_lines_row_counts_the_lines_other_pages_leave_out():
    """The marketplace demo's files hold 23,375 item lines; 175 of them are of cancelled or
    unavailable orders, which every other page leaves out (23,200)."""
    files = demo.demo("marketplace").files
    items = files["olist_order_items_dataset.csv"]
    orders = files["olist_orders_dataset.csv"]
    unsold = orders.filter(pl.col("order_status").is_in(["canceled", "unavailable"]))["order_id"]
    apart = items.filter(pl.col("order_id").is_in(unsold.implode())).height
    at = page("marketplace", "pages/quality.py")
    tables = next(d.value for d in at.dataframe if "dated_by" in d.value.columns)
    assert tables.set_index("table").loc["lines", "rows"] == items.height
    assert (
        f"the {apart:,} lines of cancelled, unavailable, voided, expired, refunded, failed or "
        "suspected-fraud orders "
        f"included: the other pages leave them out and count {items.height - apart:,}."
    ) in " ".join(c.value for c in at.caption)


@pytest.mark.parametrize("path", ["pages/overview.py", "pages/data.py", "pages/quality.py"])
def test_every_page_explains_itself_with_no_data(path):
    at = page("files", path)
    messages = " ".join(i.value for i in at.info) + " ".join(c.value for c in at.caption)
    assert "upload" in messages.lower() or "nothing" in messages.lower()


def test_the_data_page_names_every_export_it_recognises():
    at = page("files", "pages/data.py")
    intro = " ".join(m.value for m in at.markdown).replace("**", "")
    for fmt_name, label in formats.FORMAT_LABELS.items():
        if fmt_name != "generic":  # "Any other transactions table can be mapped"
            assert label.lower() in intro.lower(), label


def test_uploading_a_png_names_the_file_and_keeps_what_was_loaded():
    at = page("files", "pages/data.py")
    csv = b"order,date,amount,client\n1,2024-01-02,10.5,a\n2,2024-01-03,4,b\n"
    at.file_uploader[0].upload("sales.csv", csv, "text/csv").run()
    at.file_uploader[0].upload("photo.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64).run()
    assert not at.exception
    errors = recipe.plain_text(" ".join(e.value for e in at.error))  # as it reads on screen
    assert "photo.csv" in errors and "PNG" in errors
    table = at.dataframe[0].value
    assert table["table"].tolist() == ["sales.csv"]


def test_an_error_box_shows_names_from_the_file_as_themselves():
    """The box of a file refused rendered its name as Markdown: a link, LaTeX, colour, bold."""
    at = page("files", "pages/data.py")
    name = "bad_[x](http://e.x)_$a$_:red[b]_**B**.csv"
    at.file_uploader[0].upload(name, b"", "text/csv").run()
    assert not at.exception
    (shown,) = [e.value for e in at.error]
    assert shown.startswith(fmt.plain(name))  # every Markdown character escaped
    assert recipe.plain_text(shown).startswith(f"{name}: ")  # and read as itself


def test_an_unknown_csv_is_mapped_and_becomes_order_lines():
    at = page("files", "pages/data.py")
    csv = b"ticket;fecha;importe;cliente\nT1;02/01/2024;10,50;a\nT2;03/01/2024;4,00;b\n"
    at.file_uploader[0].upload("ventas.csv", csv, "text/csv").run()
    assert at.selectbox(key="data_map_ventas.csv_ordered_at").value == "fecha"
    assert at.selectbox(key="data_map_ventas.csv_revenue").value == "importe"
    # Fields and the preview's headers in words, not the model's keys.
    assert at.selectbox(key="data_map_ventas.csv_ordered_at").label == "Order date"
    assert at.selectbox(key="data_map_ventas.csv_unit_price").label == "Unit price"
    preview = at.dataframe[-1]
    headers = {c["label"] for c in json.loads(preview.proto.columns).values() if c.get("label")}
    assert {"Order id", "Order date", "Revenue", "Customer id"} <= headers
    # Formatted as every table is: dates as dates (not '2024-01-02 00:00:00'), money, no None.
    assert table_problems(at) == []
    config = json.loads(preview.proto.columns)
    assert config["ordered_at"]["type_config"]["format"] == "D MMM YYYY"  # no time in the file
    at.button(key="data_confirm_ventas.csv").click().run()
    assert "Order date ← fecha" in " ".join(s.value for s in at.success)
    at.switch_page("pages/overview.py").run()
    tables = at.dataframe[0].value.set_index("table")["rows"].to_dict()
    assert tables["lines"] == 2


def test_a_page_says_which_uploaded_file_waits_for_its_mapping():
    at = page("files", "pages/data.py")
    csv = b"ticket;fecha;importe;cliente\nT1;02/01/2024;10,50;a\nT2;03/01/2024;4,00;b\n"
    at.file_uploader[0].upload("ventas.csv", csv, "text/csv").run()
    at.switch_page("pages/sales.py").run()
    info = " ".join(i.value for i in at.info)
    assert (
        "This page needs a lines table, which this data set does not have. "
        f"{fmt.plain('ventas.csv')} is uploaded but not mapped yet: confirm its columns on the "
        "Data page."
    ) in info


def test_the_mapping_preview_shows_the_time_of_day_when_the_file_has_one():
    at = page("files", "pages/data.py")
    csv = b"ticket;fecha;importe;cliente\nT1;02/01/2024 08:26;10,50;a\nT2;03/01/2024 17:05;4;b\n"
    at.file_uploader[0].upload("ventas.csv", csv, "text/csv").run()
    config = json.loads(at.dataframe[-1].proto.columns)
    assert config["ordered_at"]["type_config"]["format"] == "D MMM YYYY, HH:mm"
    assert table_problems(at) == []


def test_amounts_that_name_their_currency_preselect_it_and_the_pages_show_it():
    at = page("files", "pages/data.py")
    csv = "ticket;fecha;importe;cliente\nT1;02/01/2024;10,50 €;a\nT2;03/01/2024;1.204,00 €;b\n"
    at.file_uploader[0].upload("ventas.csv", csv.encode(), "text/csv").run()
    assert at.selectbox(key="data_map_ventas.csv_currency").value == "EUR"
    at.button(key="data_confirm_ventas.csv").click().run()
    at.switch_page("pages/sales.py").run()
    assert not at.exception
    # 10.50 + 1,204.00 euros, written as money in euros.
    assert metrics(at)["Net revenue"] == "€1.2k"


def test_rows_left_out_are_said_with_their_column_and_what_to_do():
    """'ventas.csv: 1 of 3 rows without a readable amount were left out' named no column and
    no fix."""
    at = page("files", "pages/data.py")
    csv = b"ticket;fecha;importe;cliente\nT1;02/01/2024;10,50;a\nT2;03/01/2024;n/a;b\n"
    csv += b"T3;04/01/2024;4,00;c\n"
    at.file_uploader[0].upload("ventas.csv", csv, "text/csv").run()
    at.button(key="data_confirm_ventas.csv").click().run()
    said = [w.value.replace("\\", "") for w in at.warning]
    assert [s for s in said if s.startswith("ventas.csv · importe: 1 of 3 rows without a")]
    (left,) = [s for s in said if "readable amount" in s]
    assert left.endswith(
        "were left out: write the amounts as plain numbers in the source file, or map another "
        "amount column"
    )


def test_a_file_of_the_name_of_one_loaded_says_it_replaced_it():
    """A second sales.csv silently took the place of the first, mapping and all."""
    at = page("files", "pages/data.py")
    csv = b"order,date,amount,client\n1,2024-01-02,10.5,a\n2,2024-01-03,4,b\n"
    at.file_uploader[0].upload("sales.csv", csv, "text/csv").run()
    assert not [i for i in at.info if "replaced" in i.value]
    at.file_uploader[0].upload("sales.csv", b"a,b\n1,2\n3,4\n", "text/csv").run()
    assert not at.exception
    said = recipe.plain_text(" ".join(i.value for i in at.info))
    assert "sales.csv replaced the table of the same name loaded before, with its column " in said


def test_an_unknown_file_of_the_name_of_a_known_one_does_not_replace_it():
    """Hostile upload (helper 165): a sales.csv of Online Retail lines, then a sales.csv of
    'name,colour' rows: the data set became empty, breaking "keeps everything already loaded".
    The known table stays; the new one is kept beside it, to map or remove."""
    at = page("files", "pages/data.py")
    lines = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
    lines += "".join(
        f"5363{i:02d},85123A,MUG,6,2010-12-0{1 + i % 9} 08:26,2.55,1785{i % 4},United Kingdom\n"
        for i in range(40)
    )
    at.file_uploader[0].upload("sales.csv", lines.encode(), "text/csv").run()
    at.file_uploader[0].upload("sales.csv", b"name,colour\nshirt,red\n", "text/csv").run()
    assert not at.exception
    said = recipe.plain_text(" ".join(i.value for i in at.info))
    assert (
        "The new sales.csv is not a known export, so the sales.csv loaded before stays as it "
        "was; the new one is listed as sales (2).csv: map its columns below, or remove it."
    ) in said
    assert "replaced the table of the same name" not in said
    at.switch_page("pages/sales.py").run()
    assert not at.exception
    assert metrics(at)["Orders"] == "40"


def test_a_mapping_reads_dates_that_could_be_either_in_the_order_chosen():
    at = page("files", "pages/data.py")
    csv = b"ticket;fecha;importe;cliente\nT1;05/01/2024;10,50;a\nT2;06/01/2024;4,00;b\n"
    at.file_uploader[0].upload("ventas.csv", csv, "text/csv").run()
    said = " ".join(w.value for w in at.warning).replace("\\", "")  # Markdown escapes
    assert "read as month first: check a few dates against the source, or choose" in said
    at.selectbox(key="data_map_ventas.csv_dates").set_value("dmy").run()
    said = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "read as day first, as chosen: check a few dates against the source." in said
    assert "choose the date order" not in said  # chosen already
    at.button(key="data_confirm_ventas.csv").click().run()
    assert r"Dates read day first where either fits\." in " ".join(s.value for s in at.success)
    at.switch_page("pages/overview.py").run()
    assert "Order lines from 5 Jan 2024 to 6 Jan 2024." in [c.value for c in at.caption]


def test_uploading_while_on_a_demo_switches_to_my_files():
    at = page("marketplace", "pages/data.py")
    csv = (
        b"InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        b"536365,85123A,HEART,6,12/1/2010 8:26,2.55,17850,United Kingdom\n"
    )
    at.file_uploader[0].upload("retail.csv", csv, "text/csv").run()
    assert not at.exception and not at.error
    assert at.session_state["app_source"] == "files"
    assert at.dataframe[0].value["recognised as"].tolist() == ["Online Retail invoice lines"]


def test_the_uploader_is_emptied_once_its_files_are_read():
    at = page("files", "pages/data.py")
    csv = b"InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n1,A,1,1/2/2011,2,7\n"
    at.file_uploader[0].upload("one.csv", csv, "text/csv").run()
    first_key = at.file_uploader[0].key
    # A new, empty uploader: the tables keep the data, the widget no longer holds the file.
    assert first_key != "data_upload_0" and at.file_uploader[0].value in (None, [])
    at.file_uploader[0].upload("two.csv", csv.replace(b"A,1", b"B,3"), "text/csv").run()
    assert at.file_uploader[0].key != first_key
    assert at.dataframe[0].value["table"].tolist() == ["one.csv", "two.csv"]


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("customer_table", "Computing customer table…"),
        ("kpis", "Computing KPIs…"),
        ("fit_models", "Fitting models…"),
        ("conversion_by", "Computing conversion…"),
        ("by_month", "Computing figures by month…"),
        ("_sorted_values", "Sorting values…"),
    ],
)
def test_a_cached_step_says_in_words_what_it_computes(name, words):
    assert ui.progress_label(name) == words


def test_a_cached_step_runs_once_per_key_and_parameters():
    calls = []

    def double(frame, factor=2):
        calls.append(factor)
        return frame.height * factor

    run = ui.cached(double, label="Doubling…")
    frame = pl.DataFrame({"a": [1, 2, 3]})
    assert run("test-key", frame, factor=2) == 6
    assert run("test-key", frame, factor=2) == 6
    assert ui.cached(double)("test-key", frame, factor=3) == 9
    assert calls == [2, 3]


def test_one_day_of_data_is_a_range_of_one_day():
    line = pl.DataFrame(
        {
            "InvoiceNo": ["536365"],
            "StockCode": ["21001"],
            "Description": ["MUG"],
            "Quantity": [2],
            "InvoiceDate": ["2023-01-05 10:00:00"],
            "UnitPrice": [5.47],
            "CustomerID": [17850.0],
            "Country": ["France"],
        }
    )
    at = files_page({"Online Retail.csv": line}, "overview", "one")
    assert metrics(at)["Date range"] == "1 day"
    # 5 Jan at 10:00 to 7 Jan at 09:00 covers three calendar days, not the two whole days between.
    later = line.with_columns(
        pl.lit("537000").alias("InvoiceNo"), pl.lit("2023-01-07 09:00:00").alias("InvoiceDate")
    )
    at = files_page({"Online Retail.csv": pl.concat([line, later])}, "overview", "three")
    assert metrics(at)["Date range"] == "3 days"


def test_the_data_page_says_how_many_of_the_orders_are_no_sale():
    """The orders table holds every order, the lines only sales: the count says how many orders
    were set apart (the marketplace demo's cancelled and unavailable orders with items)."""
    files = demo.demo("marketplace").files
    orders = files["olist_orders_dataset.csv"]
    unsold = orders.filter(pl.col("order_status").is_in(["canceled", "unavailable"]))
    items = files["olist_order_items_dataset.csv"]["order_id"].unique()
    apart = unsold.filter(pl.col("order_id").is_in(items.implode()))["order_id"].n_unique()
    bare = orders.filter(~pl.col("order_id").is_in(items.implode())).height
    assert apart > 0 and bare > 0
    at = page("marketplace", "pages/data.py")
    shown = " ".join(b.value for b in (*at.success, *at.warning)).replace("\\", "")
    no_sale = f"({apart + bare:,} of them no sale: {apart:,} set apart, {bare:,} without items)"
    assert f"orders {orders.height:,} {no_sale}" in shown
    # Sales counts the rest.
    sales = metrics(page("marketplace", "pages/sales.py"))
    assert sales["Orders"] == f"{orders.height - apart - bare:,}"
    # Without the orders that have no items, every order that is no sale was set apart.
    files["olist_orders_dataset.csv"] = orders.filter(pl.col("order_id").is_in(items.implode()))
    at = files_page(files, "data", "olist_with_items")
    shown = " ".join(b.value for b in (*at.success, *at.warning)).replace("\\", "")
    assert f"({apart:,} of them no sale, set apart)" in shown


def test_the_overview_says_which_orders_and_customers_the_pages_leave_out():
    """The marketplace demo's orders with no sale (cancelled or unavailable with items, or
    without items) and its people who never bought, from the raw files."""
    files = demo.demo("marketplace").files
    orders, items = files["olist_orders_dataset.csv"], files["olist_order_items_dataset.csv"]
    with_items = items["order_id"].unique().implode()
    unsold = orders["order_status"].is_in(["canceled", "unavailable"])
    apart = orders.filter(unsold & pl.col("order_id").is_in(with_items)).height
    bare = orders.filter(~pl.col("order_id").is_in(with_items)).height
    sold = orders.filter(~unsold & pl.col("order_id").is_in(with_items))
    people = files["olist_customers_dataset.csv"]
    buyers = people.filter(pl.col("customer_id").is_in(sold["customer_id"].implode()))
    idle = people["customer_unique_id"].n_unique() - buyers["customer_unique_id"].n_unique()
    at = page("marketplace", "pages/overview.py")
    assert (
        f"fewer than the tables hold: orders {orders.height:,} ({apart + bare:,} of them no sale: "
        f"{apart:,} set apart, {bare:,} without items), customers "
        f"{people['customer_unique_id'].n_unique():,} ({idle:,} of them without a purchase)."
    ) in " ".join(c.value for c in at.caption)


def test_the_data_page_says_which_orders_and_customers_have_no_purchase():
    """An Online Retail file: 536365 sells to 17850; C536366 only returns; 536367's one line is
    free (no sale) and is 13047's only order; 536368 sells without a customer. Sales counts 2
    orders and 1 customer: the Data page says why the file holds 4 and 2."""
    lines = pl.DataFrame(
        {
            "InvoiceNo": ["536365", "536365", "C536366", "536367", "536368"],
            "StockCode": ["85123A", "71053", "85123A", "22633", "22632"],
            "Description": ["HEART", "LANTERN", "HEART", "HAND WARMER", "HAND WARMER"],
            "Quantity": [6, 6, -1, 2, 3],
            "InvoiceDate": ["2010-12-01 08:26:00"] * 2 + ["2010-12-02 09:00:00"] * 3,
            "UnitPrice": [2.55, 3.39, 2.55, 0.0, 1.85],
            "CustomerID": [17850.0, 17850.0, 17850.0, 13047.0, None],
            "Country": ["United Kingdom"] * 5,
        }
    )
    at = files_page({"Online Retail.csv": lines}, "data", "no_purchase")
    shown = " ".join(b.value for b in (*at.success, *at.warning)).replace("\\", "")
    assert "orders 4 (2 of them no sale: 1 with returns only, 1 without a sale line)" in shown
    assert "customers 2 (1 of them without a purchase)" in shown
    sales = metrics(files_page({"Online Retail.csv": lines}, "sales", "no_purchase"))
    assert (sales["Orders"], sales["Customers"]) == ("2", "1")


def test_overview_says_a_line_is_an_orders_total_when_the_data_names_no_items():
    card = metric_of(page("retail", "pages/overview.py"), "Order lines")
    assert card.help.startswith("One row per order line;")
    charges = files_page(demo.demo("stripe", rows=500).files, "overview", "stripe")
    assert "a line is an order's total" in metric_of(charges, "Order lines").help


def test_the_overview_says_its_lines_leave_out_those_of_unsold_orders():
    """The marketplace demo's lines of cancelled or unavailable orders, from the raw files: the
    Order lines card counts the others (Data quality profiles all of them)."""
    files = demo.demo("marketplace").files
    orders, items = files["olist_orders_dataset.csv"], files["olist_order_items_dataset.csv"]
    unsold = orders.filter(pl.col("order_status").is_in(["canceled", "unavailable"]))
    apart = items.filter(pl.col("order_id").is_in(unsold["order_id"].implode())).height
    assert apart
    card = metric_of(page("marketplace", "pages/overview.py"), "Order lines")
    assert card.value == f"{items.height - apart:,}"
    assert f"of orders sold: the files hold {apart:,} more, of cancelled" in card.help


def test_the_overview_counts_the_loaders_fixes_apart_from_data_quality_notes():
    """The loader's fixes are listed under their own heading on Data quality, whose Notes card
    counts findings: the overview no longer calls them notes (1 note, against Notes 0)."""
    notes = formats.assemble_demo("webshop").dataset.notes
    assert notes
    at = page("webshop", "pages/overview.py")
    said = " ".join(c.value for c in at.caption)
    assert f"The loader had to fix {fmt.counted(len(notes), 'thing')} in your files" in said
    assert "note about" not in said and "notes about" not in said


def test_the_overview_names_what_delivery_misses_in_words():
    at = page("webshop", "pages/overview.py")
    said = " ".join(c.value for c in at.caption)
    assert (
        "Missing: a delivery date on each order, an estimated delivery date on each order." in said
    )
    assert "delivered at" not in said


def test_every_segmented_control_keeps_a_choice_when_its_choice_is_clicked_again():
    """A segmented control without required=True is cleared by a click on the chosen option:
    Clusters' "Choosing k" then broke its fragment with an error box, Delivery's "Month" too."""
    import ast
    from pathlib import Path

    loose = []
    for path in sorted(Path(__file__).parents[1].joinpath("pages").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "segmented_control"
            ):
                required = [k for k in node.keywords if k.arg == "required"]
                if not (required and getattr(required[0].value, "value", None) is True):
                    loose.append(f"{path.name}:{node.lineno}")
    assert loose == []


PADDED_DAY = re.compile(r"\b0[1-9] (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}")


@pytest.mark.parametrize(
    ("kind", "path"), [("retail", "pages/sales.py"), ("webshop", "pages/events.py")]
)
def test_dates_read_as_the_tables_write_them_in_the_sidebar_and_the_headlines(kind, path):
    """'01 Dec 2022 – 09 Dec 2023' in the sidebar and '03 Jan 2023' in headlines where the
    tables and readings write '1 Dec 2022' (fmt.day)."""
    at = page(kind, path)
    said = " ".join(
        [c.value for c in at.caption]
        + [c.value for c in at.sidebar.caption]
        + [i.value for i in at.info]
        + [m.value for m in at.markdown]
    )
    assert not PADDED_DAY.findall(said), PADDED_DAY.findall(said)
    lines = formats.assemble_demo(kind).dataset.tables["lines"]
    first, last = lines["ordered_at"].min(), lines["ordered_at"].max()
    assert f"{fmt.day(first)} – {fmt.day(last)}" in " ".join(c.value for c in at.sidebar.caption)


def test_overview_of_a_retailer_names_no_olist_file_for_what_a_column_would_enable():
    """Categories and the customer pages are enabled by a mapped column: a UK retailer is told so,
    not to upload Olist's products or customers file (Delivery and the Seller funnel, which only
    Olist's exports feed here, still name them)."""
    text = " ".join(c.value for c in page("retail", "pages/overview.py").caption)
    assert "Needs a product category per order line: include a category column" in text
    assert "olist_products_dataset.csv" not in text and "olist_customers_dataset.csv" not in text


def test_orders_all_cancelled_are_said_to_hold_no_sale_not_to_lack_order_lines():
    """Every order cancelled: the order items were read, so the pages say that none of their
    lines is a sale, not that the data has no lines table (and Delivery still explains itself)."""
    files = demo.demo("marketplace").files
    cancelled = pl.lit("canceled").alias("order_status")
    orders = files["olist_orders_dataset.csv"].with_columns(cancelled)
    files = {**files, "olist_orders_dataset.csv": orders}
    items = files["olist_order_items_dataset.csv"]
    said = (
        f"all {items.height:,} order lines belong to cancelled, unavailable, voided, expired, "
        f"refunded, failed or suspected-fraud orders ({items['order_id'].n_unique():,} orders), "
        "which are not sales"
    )
    for path in ("sales", "regions", "rfm"):
        info = " ".join(i.value for i in files_page(files, path, "all_cancelled").info)
        assert said in info and "needs" not in info
    overview = " ".join(c.value for c in files_page(files, "overview", "all_cancelled").caption)
    assert f"No sales: {said}" in overview
    # The dates are the orders' (no line is left): not said to be the order lines'.
    placed = orders["order_purchase_timestamp"].str.to_datetime()
    assert f"From {fmt.day(placed.min())} to {fmt.day(placed.max())}." in overview
    assert "Order lines from" not in overview
    delivery = files_page(files, "delivery", "all_cancelled")
    assert "No order was delivered" in " ".join(i.value for i in delivery.info)
    # No figure: every KPI reads as empty the same way ("—", as every page writes it).
    empty = {"On-time rate", "Median days to deliver", "Mean days late", "Review when late"}
    shown = {label: value for label, value in metrics(delivery).items() if label in empty}
    assert shown == dict.fromkeys(empty, "—")


def test_a_column_read_without_a_value_is_said_empty_not_missing():
    """The file has the column, every value of it blank: the page says so instead of saying the
    data does not have it."""
    raw = demo.demo("retail").files["online_retail.csv"]
    blank = {"online_retail.csv": raw.with_columns(pl.lit(None, pl.String).alias("CustomerID"))}
    info = " ".join(i.value for i in files_page(blank, "rfm", "no_ids").info)
    assert (
        "This page needs a lines table with a customer id, and in this data set the customer id "
        "of every order line is empty."
    ) in info
    files = demo.demo("marketplace").files
    orders = files["olist_orders_dataset.csv"].with_columns(
        pl.lit(None, pl.String).alias("order_delivered_customer_date")
    )
    undelivered = {**files, "olist_orders_dataset.csv": orders}
    info = " ".join(i.value for i in files_page(undelivered, "delivery", "undelivered").info)
    assert (
        "This page needs an orders table with a delivery date and an estimated delivery date, "
        "and in this data set the delivery date of every order is empty."
    ) in info


@pytest.mark.parametrize(
    ("source", "key"),
    [
        *(("marketplace", k) for k in ("sales", "categories", "regions", "delivery", "funnel")),
        *(("retail", k) for k in ("rfm", "cohorts", "clusters", "clv")),
        ("webshop", "events"),
    ],
)
def test_every_analysis_page_says_under_its_title_what_it_answers(source, key):
    """Regions, Delivery and Seller funnel said it; the seven other analysis pages did not."""
    at = page(source, f"pages/{key}.py")
    assert at.caption[0].value == PAGE_BY_KEY[key].answers
