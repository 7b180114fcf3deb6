"""The app started on a local folder of parquet files (lib/local.py): the order summary gives
the figures of the whole lines in memory, every customer and sales page opens on it, and the
summary is cached on disk, reused, and made again when a file changes."""

import os
from dataclasses import replace
from datetime import timedelta

import pandas as pd
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from streamlit.testing.v1 import AppTest

from lib import demo, formats, io, local, measures, quality, state
from lib.__main__ import load
from lib.analyses import clv, cohorts, rfm, sales
from lib.model import Dataset
from pages.common.settings import view_choices
from tests import apptest
from tests.conftest import shared_file

# The pages a folder of order lines enables (no items per order: Categories stays off).
PAGES = ("overview", "data", "quality", "sales", "regions", "rfm", "cohorts", "clusters", "clv")
# Pages whose headline figures (their metrics) are those of the whole lines.
SAME_FIGURES = ("sales", "regions", "rfm", "cohorts", "clv")


@pytest.fixture(scope="module")
def retail(tmp_path_factory):
    """The retail demo as one CSV (read the normal way) and as three typed parquet parts."""
    root = tmp_path_factory.mktemp("local")
    raw = demo.demo("retail", rows=20_000, seed=5).files["online_retail.csv"]
    csv = io.write_csv_tables({"online_retail.csv": raw}, root / "csv")[0]
    typed = raw.with_columns(
        pl.col("InvoiceDate").str.to_datetime("%m/%d/%Y %H:%M"),
        pl.col("Quantity", "UnitPrice").cast(pl.Float64),
    )
    (root / "parts").mkdir()
    for k, (start, rows) in enumerate([(0, 6_000), (6_000, 7_000), (13_000, 7_000)]):
        typed.slice(start, rows).write_parquet(root / "parts" / f"part{k}.parquet")
    return {"csv": csv, "parts": root / "parts", "root": root}


@pytest.fixture
def started(retail, tmp_path, monkeypatch):
    """The app's environment as `STORELENS_DATA=parts/ streamlit run ...` sets it, with an empty
    cache of its own; counts the summaries computed (not read from the cache)."""
    monkeypatch.setenv(local.DATA_ENV, str(retail["parts"]))
    monkeypatch.setenv(local.CACHE_ENV, str(tmp_path / "cache"))
    computed = []
    real = local.order_rows
    monkeypatch.setattr(local, "order_rows", lambda *args: computed.append(1) or real(*args))
    state._local.clear()  # a fresh server: nothing summarised yet
    yield computed
    state._local.clear()


def _first_run() -> AppTest:
    """The app as started (on the folder, no source chosen), run once."""
    at = AppTest.from_file("../streamlit_app.py", default_timeout=apptest.TIMEOUT)
    return at.run()


def _open(page: str, errors: bool = False) -> AppTest:
    """The app as started, switched to pages/<page>.py; it fails on an exception, and on an
    error box unless `errors`."""
    at = _first_run()
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    assert errors or not [e.value for e in at.error]
    return at


def _same(left: dict[str, pl.DataFrame], right: dict[str, pl.DataFrame]) -> None:
    assert list(left) == list(right)
    for name, frame in left.items():
        assert_frame_equal(frame, right[name], rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.parametrize(("files", "part_lines"), [("parts", 7_000), ("real", local.PART_LINES)])
def test_the_summary_gives_the_figures_of_the_lines_in_memory(
    retail, tmp_path, monkeypatch, files, part_lines
):
    """The retail demo in three parquet parts, summarised in three shares of the customers (as
    big folders are); the real Online Retail file (free lines, cancellations of items bought
    free) in one. Each share is read into memory once: nothing is summarised by order."""
    monkeypatch.setenv(local.CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(local, "PART_LINES", part_lines)
    if files == "real":
        path = shared_file("online_retail/online_retail.parquet")
        paths, lines = [str(path)], load([str(path)]).dataset
    else:
        paths, lines = [str(retail["parts"])], load([str(retail["csv"])]).dataset
    steps = _same_as_in_memory(paths, lines)
    shares = [s for s in steps if "share" in s]
    assert len(shares) == (3 if files == "parts" else 0)
    assert not [s for s in steps if "by order" in s or "Splitting" in s]


def test_orders_with_lines_without_a_customer_are_summarised_by_order(tmp_path, monkeypatch):
    """Orders that a share of the customers cannot hold whole: ten invoices with every other
    line's customer missing (those lines go to the share their order hashes to, the others to
    their customer's: each such order lands whole in one of three shares only by chance). The
    shares find them and the lines are summarised again, by order, to the figures in memory
    (the item cube counts each of these orders once)."""
    raw = demo.demo("retail", rows=20_000, seed=5).files["online_retail.csv"]
    known = raw.filter(pl.col("CustomerID").is_not_null())["InvoiceNo"].unique().sort()
    halves = known.gather_every(40).head(10)
    half = pl.col("InvoiceNo").is_in(halves.implode()) & (pl.int_range(pl.len()) % 2 == 0)
    mixed = raw.with_columns(pl.when(half).then(None).otherwise("CustomerID").alias("CustomerID"))
    both = mixed.group_by("InvoiceNo").agg(pl.col("CustomerID").null_count().alias("missing"))
    assert both.filter(pl.col("InvoiceNo").is_in(halves.implode()))["missing"].min() > 0
    csv = io.write_csv_tables({"online_retail.csv": mixed}, tmp_path / "csv")[0]
    typed = mixed.with_columns(
        pl.col("InvoiceDate").str.to_datetime("%m/%d/%Y %H:%M"),
        pl.col("Quantity", "UnitPrice", "CustomerID").cast(pl.Float64),
    )
    (tmp_path / "parts").mkdir()
    typed.head(9_000).write_parquet(tmp_path / "parts" / "a.parquet")
    typed.tail(typed.height - 9_000).write_parquet(tmp_path / "parts" / "b.parquet")
    monkeypatch.setenv(local.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(local, "PART_LINES", 7_000)
    steps = _same_as_in_memory([str(tmp_path / "parts")], load([str(csv)]).dataset)
    assert [s for s in steps if "share 3 of 3" in s]
    assert [s for s in steps if "summarising again by order" in s]


def _same_as_in_memory(paths: list[str], lines: Dataset) -> list[str]:
    """The folder's summary (computed, then read from the cache) against `lines` in memory:
    RFM, cohorts, Sales' orders and item cube, the purchase models' purchases. Returns the
    summary's progress messages."""
    where = local.folder(paths)
    steps: list[str] = []
    summary = local.summarise(where, steps.append)
    folder = local.dataset(where.name, where.describe(), summary, "folder")
    assert summary.read_lines == lines.tables["lines"].height
    assert folder.currency == lines.currency
    _same(rfm.headless(lines), rfm.headless(folder))
    _same(rfm.headless(lines, clean=False, bins=4), rfm.headless(folder, clean=False, bins=4))
    _same(cohorts.headless(lines), cohorts.headless(folder))
    weeks = {"grain": "week", "metric": "revenue"}
    _same(cohorts.headless(lines, **weeks), cohorts.headless(folder, **weeks))
    # Sales' orders: revenue and units net, any sale line (its count of sale lines excepted).
    whole, summed = (
        sales.order_table(d.tables["lines"]).drop("lines").sort("order_id") for d in (lines, folder)
    )
    assert_frame_equal(whole, summed, rel_tol=1e-9, abs_tol=1e-6)
    # Sales' item cube: the lines' own, summed a part at a time; the same read from the cache.
    keys = ["item_id", "day", "region"]
    text = pl.col("item_id", "item_name").cast(pl.String)
    whole_cube = sales.item_cube(lines.tables["lines"]).with_columns(text).sort(keys)
    for kept in (summary, local.summarise(where)):
        cube = kept.items.with_columns(text).sort(keys)
        assert_frame_equal(whole_cube, cube, rel_tol=1e-9, abs_tol=1e-9)
    assert local.summarise(where).cached
    assert folder.extras[sales.ITEM_CUBE] is summary.items
    # The purchase models count free purchases too.
    bought, summed = (clv.purchase_lines(d.tables["lines"]).lines for d in (lines, folder))
    per_day = [
        b.group_by("customer_id", pl.col("ordered_at").dt.date())
        .agg(pl.col("revenue").sum())
        .sort("customer_id", "ordered_at")
        for b in (bought, summed)
    ]
    assert_frame_equal(*per_day, rel_tol=1e-9, abs_tol=1e-9)
    _same_checks(folder, lines)
    return steps


def _same_checks(folder: Dataset, lines: Dataset) -> None:
    """Data quality's findings on the folder's lines, counted as they were summarised (share
    by share, or by order), against its report on the lines in memory."""
    checks = folder.extras[quality.LINE_CHECKS].row(0, named=True)
    assert checks["lines"] == lines.tables["lines"].height
    found = {f.rule: f for f in quality.report(folder).findings if f.table == "lines"}
    expected = {f.rule: f for f in quality.report(lines).findings if f.table == "lines"}
    assert {r: f.count for r, f in found.items()} == {r: f.count for r, f in expected.items()}
    assert {r: f.detail for r, f in found.items()} == {r: f.detail for r, f in expected.items()}
    assert {r: f.share for r, f in found.items()} == pytest.approx(
        {r: f.share for r, f in expected.items()}
    )


def test_lines_without_items_quantities_or_prices_give_the_same_figures(
    retail, tmp_path, monkeypatch
):
    """Canonical lines with an amount alone (a return is a negative amount, matched by customer):
    the summary of two parquet parts against the same lines as a data set in memory."""
    monkeypatch.setenv(local.CACHE_ENV, str(tmp_path / "cache"))
    lines = load([str(retail["csv"])]).dataset.tables["lines"]
    plain = lines.select("order_id", "customer_id", "ordered_at", "revenue", "region")
    (tmp_path / "amounts").mkdir()
    plain.head(9_000).write_parquet(tmp_path / "amounts" / "a.parquet")
    plain.tail(plain.height - 9_000).write_parquet(tmp_path / "amounts" / "b.parquet")
    where = local.folder([str(tmp_path / "amounts")])
    folder = local.dataset(where.name, where.describe(), local.summarise(where), "folder")
    whole = Dataset("amounts", "generic", tables={"lines": plain})
    _same(rfm.headless(whole), rfm.headless(folder))
    _same(cohorts.headless(whole), cohorts.headless(folder))
    orders = [sales.order_table(d.tables["lines"]).sort("order_id") for d in (whole, folder)]
    assert_frame_equal(*(o.drop("lines") for o in orders), rel_tol=1e-9, abs_tol=1e-6)
    # Order totals tell no units, in memory and summarised alike (the folder's read one a line).
    assert orders[1]["units"].null_count() == orders[1].height > 0


def test_every_customer_and_sales_page_opens_on_the_folder_with_the_figures_of_the_lines(
    retail, started
):
    lines = load([str(retail["csv"])]).dataset
    upload = replace(lines, key=f"{state.UPLOAD_KEY}retail-csv")
    for page in PAGES:
        at = _open(page)
        assert state.source_label(state.LOCAL) in at.sidebar.selectbox[0].options
        if page not in SAME_FIGURES:
            continue
        # The same page on the same lines read the normal way (an upload, in memory).
        normal = apptest.app("files")
        normal.session_state["app_files_assembly"] = formats.Assembly(upload, (), ())
        normal.run()
        normal.switch_page(f"pages/{page}.py")
        normal.run()
        assert not normal.exception, normal.exception
        assert apptest.metrics(at), page
        assert apptest.metrics(at) == apptest.metrics(normal), page
        if page == "sales":  # the top items, from the item cube summed with the summary
            ranked = [d.value for d in at.dataframe if "item_name" in d.value.columns]
            expected = [d.value for d in normal.dataframe if "item_name" in d.value.columns]
            assert len(ranked) == 1 and len(ranked[0]) == 10
            pd.testing.assert_frame_equal(ranked[0], expected[0], check_exact=False, rtol=1e-9)
    assert len(started) == 1  # summarised once, for every page and session


def test_the_summary_is_cached_reused_and_made_again_when_a_file_changes(retail, started):
    opening = _first_run()
    assert len(started) == 1
    assert "summarised in" in opening.status[0].label
    at = _open("rfm")
    where = local.folder([str(retail["parts"])])
    assert where.summary.is_file()
    first = apptest.metrics(at)
    state._local.clear()  # the app started again
    assert "from the cache" in _first_run().status[0].label
    at = _open("rfm")
    assert len(started) == 1, "read from the cache, not summarised again"
    assert apptest.metrics(at) == first
    part = retail["parts"] / "part2.parquet"
    stat = part.stat()
    os.utime(part, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    at = _open("rfm")
    assert len(started) == 2, "a changed file is summarised again"
    assert not where.summary.exists()  # the old summary of these paths is replaced
    assert local.folder([str(retail["parts"])]).summary.is_file()
    # The Data page's button empties the cache; the data set stays open.
    at = _open("data")
    at.button(key="data_local_clear").click().run()
    assert local.cached_bytes() == 0
    assert not at.exception


@pytest.mark.parametrize("bad", ["empty", "columns"])
def test_a_folder_without_usable_lines_is_explained_not_raised(bad, tmp_path, monkeypatch):
    folder = tmp_path / "exports"
    folder.mkdir()
    if bad == "columns":
        pl.DataFrame({"sku": ["a"], "price": [1.0]}).write_parquet(folder / "items.parquet")
    monkeypatch.setenv(local.DATA_ENV, str(folder))
    monkeypatch.setenv(local.CACHE_ENV, str(tmp_path / "cache"))
    state._local.clear()
    try:
        at = _open("data", errors=True)
        message = " ".join(e.value for e in at.error)
        assert "Give the app a folder of parquet or CSV files" in message
        at.switch_page("pages/rfm.py").run()
        assert not at.exception
        assert "needs" in apptest.texts(at)
    finally:
        state._local.clear()


def test_lines_of_a_folder_without_a_time_or_a_price_are_said_to_be_left_out(
    retail, tmp_path, monkeypatch
):
    """The summary left out lines without a time (missing, or in the year 9999) or, as invoice
    lines, without a quantity or unit price, and said nothing: the Data page showed a green tick.
    By hand: 3 + 2 + 4 = 9 of the 6,000 lines of part0."""
    part = pl.read_parquet(retail["parts"] / "part0.parquet")
    row = pl.int_range(pl.len())
    undated = pl.when(row < 3).then(None).otherwise(pl.col("InvoiceDate"))
    placeholder = pl.datetime(9999, 12, 31)
    folder = tmp_path / "exports"
    folder.mkdir()
    part.with_columns(
        pl.when(row.is_between(3, 4)).then(placeholder).otherwise(undated).alias("InvoiceDate"),
        pl.when(row.is_between(5, 8)).then(None).otherwise(pl.col("UnitPrice")).alias("UnitPrice"),
    ).write_parquet(folder / "part0.parquet")
    monkeypatch.setenv(local.DATA_ENV, str(folder))
    monkeypatch.setenv(local.CACHE_ENV, str(tmp_path / "cache"))
    state._local.clear()
    try:
        for run in ("computed", "cached"):
            at = _open("data")
            said = [w.value.replace("\\", "") for w in at.warning]  # Markdown escapes
            assert any(
                "9 of the 6,000 lines in" in w
                and "were left out: they have no time (or one outside the years 1900 to 2099)" in w
                for w in said
            ), (run, said)
            state._local.clear()  # the next start reads the cache
    finally:
        state._local.clear()


def test_counts_of_the_summary_rows_say_order_rows_not_lines(started):
    # The folder's lines are a few summary rows per order and customer: a count of them is no
    # count of lines.
    for page in ("sales",):
        at = _open(page)
        if page == "sales":  # said in the views of customers
            at.session_state["sales_pattern"] = view_choices("sales_pattern")[2]
            at.run()
        said = [
            c.value
            for c in [*at.caption, *at.markdown]
            if "without a customer" in c.value or "no customer id" in c.value
        ]
        assert said, page
        for text in said:
            assert "order rows" in text, (page, text)
            assert " lines " not in text, (page, text)


def test_baskets_of_a_folder_are_counted_in_units_not_in_its_order_rows(started):
    """The summary keeps no lines per order: in lines, every order read as a basket of one
    (the command line's basket_sizes said so too); it says to count them in units, which the
    rows keep."""
    at = _open("sales")
    at.session_state["sales_pattern"] = view_choices("sales_pattern")[1]
    at.run()
    assert "count them in units" in " ".join(i.value for i in at.info)
    at.segmented_control(key="sales_basket").set_value("units").run()
    assert not at.exception
    assert not at.info and at.get("vega_lite_chart")
    # Nor are a customer's returns in its rows (each purchase is net of its cancellations): the
    # clusters have no return share, and say why (it read about twice the lines' share).
    said = " ".join(c.value for c in _open("clusters").caption)
    assert "share of returns (a folder's summary nets each cancellation" in said


def test_data_quality_cohorts_and_lifetime_value_count_the_lines_of_the_folder(retail, started):
    """Lines left out, cancellations netted and exact repeats, counted on the folder's lines as
    they were summarised: the counts of the lines themselves (the CSV's blank CustomerIDs and C
    invoices counted here; the rest as Data quality finds them on the lines in memory), not of
    the summary's rows."""
    raw = pl.read_csv(retail["csv"], infer_schema=False)
    blank = raw["CustomerID"].is_null().sum()
    cancelled = raw["InvoiceNo"].str.starts_with("C").sum()
    lines = load([str(retail["csv"])]).dataset
    repeats = {f.rule: f.count for f in quality.report(lines).findings if f.table == "lines"}
    netted = measures.customer_purchases(lines.tables["lines"], ("customer_id",))
    assert blank and cancelled and repeats["duplicate_rows"] and netted.matched
    at = _open("quality")
    [findings] = [d.value for d in at.dataframe if "finding" in d.value.columns]
    counts = dict(zip(findings["finding"], findings["count"], strict=True))
    titles = {rule: quality.RULES[rule].title for rule in repeats}
    assert counts[titles["missing_customer"]] == blank
    assert counts[titles["cancellations"]] == cancelled
    assert counts[titles["duplicate_rows"]] == repeats["duplicate_rows"]
    said = " ".join(c.value for c in at.caption)
    assert f"{netted.matched:,} lines of known customers are netted" in said
    assert "Counted as the folder was summarised" in said
    expected = (
        f"{blank:,} lines without a customer, {cancelled:,} cancellation or return lines (of "
        f"known customers, {netted.matched:,} netted out of the purchase they reverse, "
        f"{netted.unmatched:,} matching none) and {repeats['duplicate_rows']:,} exact repeats"
    )
    for page in ("rfm", "cohorts", "clv"):
        said = " ".join(c.value for c in _open(page).caption)
        assert expected in said, page
        assert "order rows" not in said, page
    # Lifetime value's checks count the lines too, not the summary's rows without a customer.
    checks = next(d.value for d in _open("clv").dataframe if "check" in d.value.columns)
    row = checks[checks["check"] == "Lines without a customer"]
    assert row["value"].tolist() == [f"{blank:,}"]
    said = " ".join(c.value for c in _open("clusters").caption)
    assert f"Left out: {blank:,} lines without a customer (" in said
    # The Overview's table of tables says what a row of the summary is, and its card counts
    # summary rows, not 'Order lines' (it gave the rows as lines).
    overview = _open("overview")
    [tables] = [d.value for d in overview.dataframe if "one row per" in d.value.columns]
    assert list(tables["one row per"]) == ["order and customer (a summary of the lines)"]
    labels = [m.label for m in overview.metric]
    assert "Summary rows" in labels and "Order lines" not in labels


def test_extreme_quantities_of_a_folder_take_the_median_of_every_line():
    # |quantity| over two shares: 1, 2, 3, 120 (and a missing one): median 2.5, threshold
    # max(100, 50 x 2.5) = 125, so 120 is not extreme (the lower middle value alone, 2, would
    # give 100 and count it). Five lines 1, 2, 2, 3, 130: median 2, threshold 100, 130 counts.
    first = local._quantities(pl.DataFrame({"quantity": [1.0, -120.0]}))
    both = local._quantities(pl.DataFrame({"quantity": [3.0, 2.0, None]}), first)
    assert pl.select(local._extremes(both)).row(0) == (0, 125.0)
    odd = local._quantities(pl.DataFrame({"quantity": [1.0, 2.0, 3.0, 130.0, 2.0]}))
    assert pl.select(local._extremes(odd)).row(0) == (1, 100.0)
    assert pl.select(local._extremes(None)).width == 0


def test_rfm_at_an_earlier_date_on_a_folder_says_it_nets_later_cancellations(started):
    """A summary's purchases carry every cancellation matched to them: at the default as-of
    date nothing is said, at an earlier one the page says so (the lines loaded would not)."""
    at = _open("rfm")
    assert local.LOOK_AHEAD not in [c.value for c in at.caption]
    day = at.date_input(key="rfm_as_of")
    day.set_value(day.value - timedelta(days=60)).run()
    assert local.LOOK_AHEAD in [c.value for c in at.caption]
