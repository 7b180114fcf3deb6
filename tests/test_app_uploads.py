"""Every analysis page runs on uploaded data, whose results are cached in the session."""

from dataclasses import replace

import polars as pl
import pytest

from lib import formats, state
from tests import apptest


def uploaded(kind: str) -> formats.Assembly:
    """A demo's files, given to the session as an upload is (an upload's data set key)."""
    built = formats.assemble_demo(kind)
    return replace(built, dataset=replace(built.dataset, key=f"{state.UPLOAD_KEY}{kind}"))


@pytest.mark.parametrize(
    ("kind", "page"),
    [
        ("retail", "rfm"),
        ("retail", "sales"),
        ("retail", "cohorts"),
        ("retail", "clusters"),
        ("marketplace", "regions"),
        ("marketplace", "delivery"),
        ("marketplace", "funnel"),
    ],
)
def test_a_page_on_uploaded_data_renders_and_keeps_its_results_in_the_session(kind, page):
    at = apptest.app("files")
    at.session_state["app_files_assembly"] = uploaded(kind)
    at.run()
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    assert not [e.value for e in at.error], [e.value for e in at.error]
    held_key, results = at.session_state["app_results"]
    assert held_key == f"{state.UPLOAD_KEY}{kind}"
    assert len(results) > 0


def test_two_pages_whose_cached_functions_share_a_name_keep_their_own_results():
    """Regions and Seller funnel both cache a `cached_base`; on an upload, visited in turn in one
    session, each must get its own (the funnel once got the regions' table and failed)."""
    at = apptest.app("files")
    at.session_state["app_files_assembly"] = uploaded("marketplace")
    at.run()
    for page in ("regions", "funnel", "regions"):
        at.switch_page(f"pages/{page}.py")
        at.run()
        assert not at.exception, (page, at.exception)
        assert not [e.value for e in at.error], (page, [e.value for e in at.error])
    assert at.metric[0].label == "Regions"


JANUARY = b"ticket;fecha;importe;cliente\nT1;02/01/2024;10,50;a\nT2;03/01/2024;4,00;b\n"
FEBRUARY = (
    b"ticket;fecha;importe;cliente\nT3;01/02/2024;8,00;a\nT4;02/02/2024;2,50;c\n"
    b"T5;03/02/2024;1,00;b\n"
)


def test_a_file_with_the_columns_of_one_mapped_before_needs_no_mapping():
    at = apptest.page("files", "pages/data.py")
    at.file_uploader[0].upload("ventas_enero.csv", JANUARY, "text/csv").run()
    at.button(key="data_confirm_ventas_enero.csv").click().run()
    january = at.session_state["app_mappings"]["ventas_enero.csv"]
    assert january.used()["ordered_at"] == "fecha"
    at.file_uploader[0].upload("ventas_febrero.csv", FEBRUARY, "text/csv").run()
    assert not at.exception
    assert at.session_state["app_mappings"]["ventas_febrero.csv"] == january
    shown = [s.value.replace("\\", "") for s in at.success]
    # Both files say how they were mapped; none waits for a mapping.
    assert len([t for t in shown if t.startswith("Mapped: ")]) == 2, shown
    # Another file, other columns: a mapping of its own.
    other = b"nummer;datum;betrag\n1;02/01/2024;3,00\n"
    at.file_uploader[0].upload("umsatz.csv", other, "text/csv").run()
    assert "umsatz.csv" not in at.session_state["app_mappings"]


def test_olist_order_items_alone_say_to_upload_the_orders_file_everywhere():
    """Order items make no order lines without the orders file: Overview said the files were
    "none a known export yet: map their columns", Sales to upload the order items just uploaded
    ("With Olist orders, upload olist_order_items_dataset.csv")."""
    from lib import demo
    from tests.apptest import files_page

    items = {
        "olist_order_items_dataset.csv": demo.demo("marketplace").files[
            "olist_order_items_dataset.csv"
        ]
    }
    overview = " ".join(i.value for i in files_page(items, "overview", "x").info)
    assert "order items have no purchase dates of their own" in overview
    assert "upload olist\\_orders\\_dataset\\.csv" in overview
    assert "none is a known export" not in overview
    quality = " ".join(i.value for i in files_page(items, "quality", "x").info)
    assert "order items have no purchase dates of their own" in quality  # was "Nothing is loaded"
    sales = " ".join(i.value for i in files_page(items, "sales", "x").info)
    assert sales.endswith(
        "With Olist files, upload olist_orders_dataset.csv: the orders' dates and buyers."
    )


def _said(at, kind: str = "warning") -> list[str]:
    """The page's boxes of one kind, unescaped (file names are escaped Markdown)."""
    return [e.value.replace("\\", "") for e in getattr(at, kind)]


def test_a_mapped_file_uploaded_again_under_a_second_name_is_read_once_and_said():
    """'ventas.csv' and 'ventas (1).csv' (a browser's second download of it) were stacked: every
    line counted twice, with nothing said on the Data page."""
    at = apptest.page("files", "pages/data.py")
    at.file_uploader[0].upload("ventas.csv", JANUARY, "text/csv").run()
    at.button(key="data_confirm_ventas.csv").click().run()
    at.file_uploader[0].upload("ventas (1).csv", JANUARY, "text/csv").run()
    assert not at.exception, at.exception
    assert "ventas (1).csv holds the same rows as ventas.csv: read once" in _said(at)
    lines = at.session_state["app_files_assembly"].dataset.tables["lines"]
    assert (lines.height, lines["revenue"].sum()) == (2, 14.5)
    # The copy waits for no mapping: only the first file says how it was mapped.
    assert len([t for t in _said(at, "success") if t.startswith("Mapped: ")]) == 1
    assert not [b for b in at.button if b.key == "data_confirm_ventas (1).csv"]


def test_an_olist_file_holding_another_says_so_on_the_data_page():
    """The reviews under olist_orders_dataset.csv were read as reviews silently, and the pages
    then asked for olist_orders_dataset.csv, which had just been uploaded."""
    from lib import demo
    from lib import io as lio

    files = demo.demo("marketplace").files
    at = apptest.page("files", "pages/data.py")
    for name in ("olist_order_items_dataset.csv", "olist_customers_dataset.csv"):
        at.file_uploader[0].upload(name, lio.csv_bytes(files[name]), "text/csv").run()
    reviews = lio.csv_bytes(files["olist_order_reviews_dataset.csv"])
    at.file_uploader[0].upload("olist_orders_dataset.csv", reviews, "text/csv").run()
    assert not at.exception, at.exception
    said = [t for t in _said(at) if t.startswith("olist_orders_dataset.csv holds Olist's reviews")]
    assert len(said) == 1, _said(at)
    assert "its columns are those of olist_order_reviews_dataset.csv" in said[0]
    assert "upload the orders export (olist_orders_dataset.csv" in said[0]
    # Read by its columns all the same.
    assert at.dataframe[0].value["recognised as"].to_list()[-1] == "Olist reviews"
    # The pages that ask for the orders say what the file under their name holds first.
    for path in ("pages/sales.py", "pages/rfm.py"):
        at.switch_page(path).run()
        (needs,) = [i.value.replace("\\", "") for i in at.info if "needs" in i.value]
        assert "olist_orders_dataset.csv holds Olist's reviews" in needs, needs
        assert needs.index("holds Olist's reviews") < needs.index("upload olist_orders_dataset")


def test_at_most_five_tables_show_a_mapping_form_at_once():
    """The hostile-uploads audit: a workbook of 300 small sheets took 212 s a click, each
    table waiting for a mapping with a dozen widgets (a rerun's cost grows with the square of
    a page's widgets). Eight files of their own columns: five forms, the other three named
    as waiting; one mapped, the next takes its place."""
    import io as stdio
    import zipfile

    buffer = stdio.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(8):
            rows = f"ticket{i};fecha;importe\nT1;02/01/2024;10,50\nT2;03/01/2024;4,00\n"
            archive.writestr(f"ventas_{i}.csv", rows)
    at = apptest.page("files", "pages/data.py")
    at.file_uploader[0].upload("ventas.zip", buffer.getvalue(), "application/zip").run()
    assert not at.exception
    forms = [e.label for e in at.expander if e.label.endswith("as order lines")]
    assert len(forms) == 5
    waiting = [i.value for i in at.info if "wait for a mapping" in i.value]
    assert len(waiting) == 1 and waiting[0].startswith("3 more tables wait for a mapping")
    first = forms[0].removesuffix(" as order lines").replace("\\", "")  # shown as Markdown
    at.button(key=f"data_confirm_{first}").click().run()
    forms = [e.label for e in at.expander if e.label.endswith("as order lines")]
    assert len(forms) == 6  # the mapped one, and five forms
    assert [i.value for i in at.info if "wait for a mapping" in i.value][0].startswith(
        "2 more tables wait"
    )


def test_a_page_says_why_a_table_lost_every_row_as_it_was_read():
    """The hostile-uploads audit: Online Retail's columns with no readable UnitPrice (every line
    left out, as the Data page's note said) read on Sales as 'needs a lines table, which this
    data set does not have ... upload a transactions file', though one was uploaded. It now
    says every row was left out, and the loader's note naming the file and column."""
    raw = pl.DataFrame(
        {
            "InvoiceNo": ["1", "2"],
            "StockCode": ["A", "B"],
            "Description": ["a", "b"],
            "Quantity": [1, 2],
            "InvoiceDate": ["2011-01-01 10:00:00", "2011-01-02 10:00:00"],
            "UnitPrice": [None, None],
            "CustomerID": [1.0, 2.0],
            "Country": ["UK", "UK"],
        },
        schema_overrides={"UnitPrice": pl.Float64},
    )
    at = apptest.files_page({"retail.csv": raw}, "sales", "no_prices")
    said = " ".join(i.value for i in at.info).replace("\\", "")
    assert (
        "This page needs a lines table, and in this data set every one of its rows was left out"
        in said
    )
    assert (
        "retail.csv, UnitPrice: all 2 rows were left out: 'UnitPrice' has no usable value" in said
    )
    assert "upload a transactions file" not in said


def olist_orders(**columns: list[str]) -> pl.DataFrame:
    """Three delivered Olist orders, `columns` replacing theirs."""
    return pl.DataFrame(
        {
            "order_id": ["o1", "o2", "o3"],
            "customer_id": ["c1", "c2", "c3"],
            "order_status": ["delivered"] * 3,
            "order_purchase_timestamp": ["2018-01-02 10:00:00"] * 3,
            "order_approved_at": ["2018-01-02 11:00:00"] * 3,
            "order_delivered_carrier_date": ["2018-01-03 10:00:00"] * 3,
            "order_delivered_customer_date": ["2018-01-05 10:00:00"] * 3,
            "order_estimated_delivery_date": ["2018-01-20 00:00:00"] * 3,
        }
        | columns
    )


def test_a_column_none_of_whose_values_could_be_read_is_said_where_it_is_missed():
    """The hostile-uploads audit: Olist orders whose every delivery date is unreadable ('soon')
    showed a green tick on the Data page (the note sat among the loader's fixes) and Delivery
    said only that the delivery date of every order is empty. Both now name the file, the
    column and the values."""
    orders = olist_orders(order_delivered_customer_date=["soon", "soon", "later"])
    note = (
        "order_delivered_customer_date: 3 values could not be read as dates (e.g. 'soon', "
        "'later'): they were left empty, so the column has no value left. Fix them in the source "
        "file and upload it again"
    )
    at = apptest.files_page({"olist_orders_dataset.csv": orders}, "data", "unreadable")
    warned = [w.value.replace("\\", "") for w in at.warning]
    assert any(
        w.endswith("1 column has no value that could be read, as said below.") for w in warned
    )
    assert f"olist_orders_dataset.csv · {note}" in warned
    assert not [s.value for s in at.success]
    at.switch_page("pages/delivery.py")
    at.run()
    said = " ".join(i.value for i in at.info).replace("\\", "")
    assert (
        f"in this data set the delivery date of every order is empty. olist_orders_dataset.csv, "
        f"{note}." in said
    )


def test_a_table_that_lost_every_row_quotes_its_own_files_notes_not_another_tables():
    """The reviewer's: Olist orders whose every purchase date is unreadable, beside reviews
    with one score out of range (left out): Delivery quoted the reviews' note first."""
    orders = olist_orders(order_purchase_timestamp=["never"] * 3)
    reviews = pl.DataFrame(
        {
            "review_id": ["r1", "r2", "r3"],
            "order_id": ["o1", "o2", "o3"],
            "review_score": [5, 7, 4],
            "review_creation_date": ["2018-01-06 00:00:00"] * 3,
            "review_answer_timestamp": ["2018-01-07 00:00:00"] * 3,
        }
    )
    files = {"olist_order_reviews_dataset.csv": reviews, "olist_orders_dataset.csv": orders}
    at = apptest.files_page(files, "delivery", "unreadable_orders")
    said = " ".join(i.value for i in at.info).replace("\\", "")
    assert (
        "every one of its rows was left out as it was read. olist_orders_dataset.csv, "
        "order_purchase_timestamp: all 3 rows were left out" in said
    )
    assert "review_score" not in said
