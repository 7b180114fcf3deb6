"""RFM and cohorts from summaries computed lazily, the other customer and sales commands from the
order summary: polars streaming over files, DuckDB, and PostgreSQL
(STORELENS_TEST_POSTGRES=postgresql://...; .ci/run starts one)."""

import contextlib
import io as io_module
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from lib import demo, engines, formats, io, local, measures, summaries
from lib.__main__ import load, main
from lib.analyses import cohorts, rfm, sales
from lib.formats import generic
from tests.conftest import shared_file

ROOT = Path(__file__).resolve().parents[1]
DEMO_TIME = "%m/%d/%Y %H:%M"  # how the retail demo writes InvoiceDate


@pytest.fixture(scope="module")
def retail(tmp_path_factory) -> dict[str, Path]:
    """The retail demo as one CSV, as a folder of three parquet parts (typed times, as a
    warehouse export has them), as three all-text parquet parts, as three parts with customer
    ids as numbers, and as a DuckDB table."""
    root = tmp_path_factory.mktemp("retail")
    raw = demo.demo("retail", rows=20_000, seed=5).files["online_retail.csv"]
    csv = io.write_csv_tables({"online_retail.csv": raw}, root / "csv")[0]
    typed = raw.with_columns(
        pl.col("InvoiceDate").str.to_datetime(DEMO_TIME),
        pl.col("Quantity", "UnitPrice").cast(pl.Float64),
    )
    # Customer ids as numbers, as the UCI file's parquet types them (NaN where missing).
    numbers = typed.with_columns(pl.col("CustomerID").cast(pl.Float64).fill_null(float("nan")))
    thirds = [(0, 6_000), (6_000, 7_000), (13_000, 7_000)]
    for name, frame in (("parquet", typed), ("text", raw), ("numbers", numbers)):
        (root / name).mkdir()
        for k, (start, rows) in enumerate(thirds):
            frame.slice(start, rows).write_parquet(root / name / f"part{k}.parquet")
    return {
        "csv": csv,
        "parquet": root / "parquet",
        "text": root / "text",
        "numbers": root / "numbers",
        "root": root,
    }


def _same(left: dict[str, pl.DataFrame], right: dict[str, pl.DataFrame]) -> None:
    """Equal tables; sums of money may differ in the last digit (they add up in another
    order)."""
    assert list(left) == list(right)
    for name, frame in left.items():
        assert_frame_equal(frame, right[name], rel_tol=1e-9, abs_tol=1e-9)


@pytest.fixture(scope="module")
def in_memory(retail):
    ds = load([str(retail["csv"])]).dataset
    return {
        "rfm": rfm.headless(ds),
        "rfm_raw": rfm.headless(ds, clean=False, as_of="2023-06-01", bins=4),
        "rfm_as_of": rfm.headless(ds, as_of="2023-06-01"),
        "cohorts": cohorts.headless(ds),
        "weeks": cohorts.headless(ds, grain="week", metric="revenue"),
    }


def _frames(source: engines.Source) -> dict[str, dict[str, pl.DataFrame]]:
    return {
        "rfm": engines.rfm_frames(source),
        "rfm_raw": engines.rfm_frames(source, clean=False, as_of="2023-06-01", bins=4),
        "rfm_as_of": engines.rfm_frames(source, as_of="2023-06-01"),
        "cohorts": engines.cohort_frames(source),
        "weeks": engines.cohort_frames(source, grain="week", metric="revenue"),
    }


@pytest.mark.parametrize("folder", ["parquet", "text"])
def test_polars_streaming_over_parquet_parts_equals_the_in_memory_read(retail, in_memory, folder):
    got = _frames(engines.polars_lines([str(retail[folder])]))
    for name, frames in in_memory.items():
        _same(frames, got[name])


def test_a_glob_of_csv_files_equals_the_in_memory_read(retail, in_memory):
    source = engines.polars_lines([str(retail["csv"].parent / "*.csv")])
    _same(in_memory["rfm"], engines.rfm_frames(source))


def test_duckdb_over_parquet_equals_the_in_memory_read(retail, in_memory):
    pytest.importorskip("duckdb")
    got = _frames(engines.duckdb_lines([str(retail["parquet"])]))
    for name, frames in in_memory.items():
        _same(frames, got[name])


def test_a_duckdb_table_equals_the_in_memory_read(retail, in_memory):
    duckdb = pytest.importorskip("duckdb")
    file = retail["root"] / "shop.duckdb"
    with duckdb.connect(str(file)) as con:
        con.execute(
            f"CREATE TABLE orders_lines AS SELECT * FROM read_parquet('{retail['parquet']}/*')"
        )
    source = engines.duckdb_lines(db=f"duckdb://{file}", table="orders_lines")
    _same(in_memory["rfm"], engines.rfm_frames(source))
    _same(in_memory["cohorts"], engines.cohort_frames(source))


def test_a_duckdb_database_without_the_table_named_says_which_it_holds(tmp_path):
    """A mistyped --db-table printed DuckDB's traceback (CatalogException) and exited 1."""
    duckdb = pytest.importorskip("duckdb")
    file = tmp_path / "shop.duckdb"
    with duckdb.connect(str(file)) as con:
        con.execute("CREATE TABLE order_lines (order_id TEXT)")
    out = subprocess.run(
        [sys.executable, "-m", "lib", "rfm", "--db", f"duckdb://{file}", "--db-table", "lines"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 2
    assert out.stderr == (
        "rfm: lines: no such table in the DuckDB database (it holds order_lines)\n"
    )


@pytest.fixture(scope="module")
def postgres():
    """An ibis connection to the test database and its URL (STORELENS_TEST_POSTGRES): skipped
    when unset, failed when STORELENS_REQUIRE_POSTGRES=1. The tables a test loads are dropped
    at the end."""
    url = os.environ.get("STORELENS_TEST_POSTGRES", "")
    required = os.environ.get("STORELENS_REQUIRE_POSTGRES") == "1"
    why = "" if url else "STORELENS_TEST_POSTGRES (postgresql://user@host:port/db) is unset"
    try:
        import ibis
    except ImportError:
        why = why or "ibis is not installed: pip install -r requirements-db.txt"
    if why:
        if required:
            pytest.fail(f"{why} and STORELENS_REQUIRE_POSTGRES=1")
        pytest.skip(why)
    con = ibis.connect(url)
    loaded: list[str] = []
    yield url, con, loaded
    for name in loaded:
        con.drop_table(name, force=True)
    con.disconnect()


def _into_postgres(postgres, name: str, frame: pl.DataFrame) -> engines.Source:
    """`frame` as the table `name` of the test database, read back as canonical lines."""
    url, con, loaded = postgres
    con.create_table(name, frame.to_arrow(), overwrite=True)
    loaded.append(name)
    return engines.source_of([], db=url, table=name)


def _typed_lines(retail) -> pl.DataFrame:
    return pl.read_parquet(retail["parquet"] / "*.parquet")


def test_a_postgres_table_equals_the_in_memory_read(retail, in_memory, postgres):
    got = _frames(_into_postgres(postgres, "retail_lines", _typed_lines(retail)))
    for name, frames in in_memory.items():
        _same(frames, got[name])


def test_the_purchases_a_cancellation_may_net_are_looked_up_in_postgres_through_an_index(
    retail, postgres
):
    """Matching each cancellation to its purchase re-read every purchase per cancellation in
    PostgreSQL (76 s for cohorts on 200k lines, over 13 minutes on 1M): they are kept in a
    temporary table indexed by customer, item and time, and the shares are those of the
    lines read in memory."""
    source = _into_postgres(postgres, "indexed_lines", _typed_lines(retail))
    made = []

    def keep(frame, name, columns):
        made.append(columns)
        return engines.indexed(frame, name, columns, source=source)

    shares = summaries.cancellation_shares(source.lines, keep=keep)
    got = engines.collect(shares, "postgres").sort(summaries.LINE)
    assert made == [["customer_id", "item_id", "ordered_at"]]
    listed = "SELECT indexdef FROM pg_indexes WHERE tablename LIKE 'storelens_latest_%'"
    indexes = source.handle.raw_sql(listed).fetchall()
    assert any("(customer_id, item_id, ordered_at)" in d for (d,) in indexes), indexes
    plain = engines.collect(summaries.cancellation_shares(source.lines), "postgres")
    assert_frame_equal(got, plain.sort(summaries.LINE))


def test_the_cli_reads_a_postgres_table_from_the_url_in_the_environment(retail, postgres):
    url = postgres[0]
    _into_postgres(postgres, "cli_lines", _typed_lines(retail))
    whole = _run("cohorts", str(retail["csv"]), "--grain", "quarter")
    db = _run("cohorts", "--db-table", "cli_lines", "--grain", "quarter", STORELENS_DB_URL=url)
    assert whole.keys() == db.keys()
    for name, rows in whole.items():
        assert_frame_equal(pl.DataFrame(rows), pl.DataFrame(db[name]), rel_tol=1e-9, abs_tol=1e-9)


def _run(*args: str, **env: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "lib", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **env},
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


# Commands run on the order summary, and the tables that are those of the lines (the others
# count items or lines, which the summary does not keep).
ORDER_SUMMARY_TABLES = {
    "sales": ("kpis", "revenue_over_time", "weekday_hour", "new_vs_returning"),
    "churn": ("windows", "monthly"),
    "clv": ("customers", "parameters"),
    "regions": ("regions",),
    "rfm --compare-as-of 2023-03-01": ("customers", "movements", "flows"),
}


def _same_rows(whole: dict, other: dict, tables: Sequence[str], but: Sequence[str] = ()) -> None:
    for name in tables:
        assert whole[name], name
        mine, theirs = pl.DataFrame(whole[name]), pl.DataFrame(other[name])
        kept = [c for c in mine.columns if c not in but]
        assert_frame_equal(mine.select(kept), theirs.select(kept), rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.parametrize("command", list(ORDER_SUMMARY_TABLES))
def test_the_cli_runs_customer_and_sales_commands_on_a_folder_as_on_the_file(
    retail, tmp_path, command
):
    """On a folder, the app's order summary (kept in its cache folder), polars or DuckDB; rfm
    goes there when it also compares two dates (the movement needs the orders)."""
    name, *options = command.split()
    whole = _run(name, str(retail["csv"]), *options)
    cache = {"STORELENS_CACHE": str(tmp_path / "cache")}
    folder = _run(name, str(retail["parquet"]), *options, **cache)
    # A summarised folder nets every cancellation, even one made after the movement's earlier
    # date (local.LOOK_AHEAD, said on stderr): its revenue in the span before that date can only
    # be lower than the file's, which stands as it did then.
    before = ("revenue_before",) if "--compare-as-of" in options else ()
    _same_rows(whole, folder, ORDER_SUMMARY_TABLES[command], but=before)
    if before:
        gap = (
            pl.DataFrame(whole["movements"])["revenue_before"]
            - pl.DataFrame(folder["movements"])["revenue_before"]
        )
        assert gap.min() >= -1e-9
    assert list((tmp_path / "cache").glob("*.parquet")), "the summary is kept for the next run"
    if command == "sales":
        # The top items come from the item cube, summed alongside the summary by each engine.
        _same_rows(whole, folder, ("top_items",))
        pytest.importorskip("duckdb")
        duckdb = _run(command, str(retail["parquet"]), "--engine", "duckdb", **cache)
        _same_rows(whole, duckdb, (*ORDER_SUMMARY_TABLES[command], "top_items"))


def test_the_cli_says_what_the_order_summary_does_not_keep(retail, tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "lib", "sales", str(retail["parquet"]), "--table", "kpis"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "STORELENS_CACHE": str(tmp_path)},
    )
    assert out.returncode == 0, out.stderr
    assert "20,000 lines in 3 parquet files" in out.stderr
    assert (
        "warning: the summary keeps no items and no lines per order: sales leaves out basket_sizes"
        in out.stderr
    )
    assert "figures as of an earlier day" in out.stderr  # a later cancellation still nets


def test_the_cli_summarises_a_postgres_table_per_order_for_sales(retail, postgres):
    url = postgres[0]
    _into_postgres(postgres, "cli_sales_lines", _typed_lines(retail))
    whole = _run("sales", str(retail["csv"]))
    db = _run("sales", "--db-table", "cli_sales_lines", STORELENS_DB_URL=url)
    _same_rows(whole, db, (*ORDER_SUMMARY_TABLES["sales"], "top_items"))


def test_the_cli_summarises_a_folder_and_prints_what_a_single_file_gives(retail):
    whole = _run("rfm", str(retail["csv"]), "--bins", "3")
    parts = _run("rfm", str(retail["parquet"]), "--bins", "3")
    assert whole.keys() == parts.keys()
    for name, rows in whole.items():
        assert_frame_equal(
            pl.DataFrame(rows), pl.DataFrame(parts[name]), rel_tol=1e-9, abs_tol=1e-9
        )


# Customer a: two invoices and a cancellation of one unit of the first; b: one invoice and an
# exact duplicate of its line; c: a cancellation only; a line without a customer (NaN).
HAND = pl.DataFrame(
    {
        "InvoiceNo": ["1", "1", "2", "C3", "4", "4", "C5", "6"],
        "StockCode": ["x", "y", "x", "x", "z", "z", "z", "x"],
        "Description": ["X", "Y", "X", "X", "Z", "Z", "Z", "X"],
        "Quantity": [2, 1, 1, -1, 3, 3, -1, 5],
        "InvoiceDate": [
            datetime(2024, 1, 2, 9),
            datetime(2024, 1, 2, 9),
            datetime(2024, 2, 10, 12),
            datetime(2024, 1, 5, 8),
            datetime(2024, 3, 1, 10),
            datetime(2024, 3, 1, 10),
            datetime(2024, 3, 2, 10),
            datetime(2024, 3, 31, 18),
        ],
        "UnitPrice": [5.0, 3.0, 5.0, 5.0, 2.0, 2.0, 2.0, 1.0],
        "CustomerID": [101.0, 101.0, 101.0, 101.0, 102.0, 102.0, 103.0, float("nan")],
        "Country": ["UK"] * 8,
    }
)


@pytest.fixture(params=engines.ENGINES + ("postgres",))
def hand(request, tmp_path) -> engines.Source:
    """HAND's lines read by each engine: a parquet folder for polars and DuckDB, a table for
    PostgreSQL."""
    return _read_by(request, tmp_path, HAND)


def _read_by(request, tmp_path, frame: pl.DataFrame) -> engines.Source:
    """`frame` read by the engine of `request.param` (hand's)."""
    if request.param == "postgres":
        return _into_postgres(request.getfixturevalue("postgres"), "hand_lines", frame)
    if request.param == "duckdb":
        pytest.importorskip("duckdb")
    folder = tmp_path / "hand"
    folder.mkdir()
    frame.write_parquet(folder / "lines.parquet")
    return engines.source_of([str(folder)], request.param)


@pytest.fixture(params=engines.ENGINES + ("postgres",))
def credited(request, tmp_path) -> engines.Source:
    """HAND with customer 104's manual purchase of 1 unit at 1,867.86 and a manual credit of 1
    unit at 60 (as Online Retail's 17940), read by each engine."""
    manual = pl.DataFrame(
        {
            "InvoiceNo": ["7", "C8"],
            "StockCode": ["M", "M"],
            "Description": ["Manual", "Manual"],
            "Quantity": [1, -1],
            "InvoiceDate": [datetime(2024, 1, 10, 9), datetime(2024, 1, 20, 9)],
            "UnitPrice": [1867.86, 60.0],
            "CustomerID": [104.0, 104.0],
            "Country": ["UK", "UK"],
        }
    )
    return _read_by(request, tmp_path, pl.concat([HAND, manual]))


def test_a_cancellation_takes_back_no_more_than_it_credits_in_every_engine(credited):
    got = engines.rfm_frames(credited)["customers"]
    # By quantity the credit would take back all of invoice 7; it credits 60.
    assert got.filter(pl.col("customer_id") == "104")["monetary"].to_list() == [
        pytest.approx(1807.86)
    ]
    assert got.filter(pl.col("customer_id") == "101")["monetary"].to_list() == [13.0]


@pytest.mark.parametrize("engine", engines.ENGINES)
def test_lines_alike_but_for_their_name_or_region_are_no_duplicates_in_any_engine(engine, tmp_path):
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    # 102's z line (invoice 4, 3 x 2.0) is in HAND twice, an exact duplicate: once. Four more
    # copies, one named apart, one of another region, one with its name and region swapped and
    # one with its name in the region's column, are lines of their own: 6 + 6 + 6 + 6 + 6 (polars
    # reads the two columns as one hash of both).
    z = HAND.slice(4, 1)
    name, region = z["Description"].item(), z["Country"].item()
    apart = pl.concat(
        [
            HAND,
            z.with_columns(Description=pl.lit("Z blue")),
            z.with_columns(Country=pl.lit("FR")),
            z.with_columns(Description=pl.lit(region), Country=pl.lit(name)),
            z.with_columns(Description=pl.lit(None, pl.String), Country=pl.lit(name)),
        ]
    )
    folder = tmp_path / "apart"
    folder.mkdir()
    apart.write_parquet(folder / "lines.parquet")
    got = engines.rfm_frames(engines.source_of([str(folder)], engine))["customers"]
    assert got.select("customer_id", "frequency", "monetary").rows() == [
        ("101", 2, 13.0),
        ("102", 1, 30.0),
    ]


def test_rfm_figures_by_hand_from_every_engine(hand):
    got = engines.rfm_frames(hand)["customers"]
    # As of 2 Mar 2024 (the day after the last purchase). 101: invoices 1 and 2; the
    # cancellation of one x takes half of invoice 1's x (10 -> 5): 5 + 3 + 5 = 13.
    # 102: its duplicate line once, 6. 103 bought nothing.
    assert got.select(
        "customer_id", "last_order", "recency_days", "frequency", "monetary"
    ).rows() == [
        ("101", datetime(2024, 2, 10).date(), 21, 2, 13.0),
        ("102", datetime(2024, 3, 1).date(), 1, 1, 6.0),
    ]


def test_rfm_as_of_a_day_learns_nothing_after_it_from_every_engine(hand):
    # As of 4 Jan 2024: 101's invoice 1 alone, 10 + 3; the cancellation of 5 Jan takes nothing
    # back yet (cleaning every line first made it 5 + 3 = 8).
    before = engines.cohort_frames(hand)
    got = engines.rfm_frames(hand, as_of="2024-01-04")["customers"]
    assert got.select(
        "customer_id", "last_order", "recency_days", "frequency", "monetary"
    ).rows() == [("101", datetime(2024, 1, 2).date(), 2, 1, 13.0)]
    # Cohorts after it still end at the latest of every line, not of those before 4 Jan.
    _same(before, engines.cohort_frames(hand))


def test_cohort_figures_by_hand_from_every_engine(hand):
    got = engines.cohort_frames(hand, metric="revenue", relative=False)["retention"]
    cells = got.filter(pl.col("amount").is_not_null()).select(
        "label", "period_index", "customers", "amount"
    )
    # 101 starts in January (8), buys again in February (5); 102 starts in March (6).
    assert cells.rows() == [
        ("Jan 2024", 0, 1, 8.0),
        ("Jan 2024", 1, 1, 5.0),
        ("Jan 2024", 2, 1, 0.0),
        ("Mar 2024", 0, 1, 6.0),
    ]


def test_cohorts_end_at_the_latest_line_of_a_customer_or_of_none(hand, monkeypatch):
    # Four shares where lines are read a share of the customers at a time.
    monkeypatch.setattr(engines, "SHARE_LINES", 2)
    _ends_on_march_31(engines.cohort_frames(hand)["retention"])


def _ends_on_march_31(retention: pl.DataFrame) -> None:
    # The data ends on 31 Mar 2024 at 18:00, with HAND's line without a customer (the last of
    # the customers' is on 2 Mar): March, the last month, is observed to its last day.
    assert retention.filter("observed").select("label", "period_index", "partial").rows() == [
        ("Jan 2024", 0, False),
        ("Jan 2024", 1, False),
        ("Jan 2024", 2, False),
        ("Mar 2024", 0, False),
    ]


@pytest.mark.parametrize("kind", [pl.Float64, pl.Int64, pl.String])
def test_the_latest_line_without_a_customer_is_found_whatever_the_ids_type(
    tmp_path, monkeypatch, kind
):
    monkeypatch.setattr(engines, "SHARE_LINES", 2)
    ids = pl.col("CustomerID").fill_nan(None).cast(pl.Int64)
    # Text ids: the missing one blank.
    text = ids.cast(pl.String).fill_null("  ")
    typed = {pl.Float64: pl.col("CustomerID"), pl.Int64: ids, pl.String: text}
    # Times as text: polars then reads the latest time of the lines in no share apart (of
    # every line when typed).
    lines = HAND.with_columns(pl.col("InvoiceDate").dt.to_string("%Y-%m-%d %H:%M:%S"), typed[kind])
    assert lines.schema["CustomerID"] == kind
    lines.write_parquet(tmp_path / "lines.parquet")
    source = engines.source_of([str(tmp_path)])
    assert source.unshared is not None
    _ends_on_march_31(engines.cohort_frames(source)["retention"])


def test_sales_figures_by_hand_from_every_engines_order_summary(hand):
    """The order summary the app opens a folder with (lib/local.py), computed by each engine:
    Sales counts every line, duplicates and cancellations included."""
    summary = local.summary_of(hand)
    assert summary.read_lines == 8
    ds = local.dataset("hand", "HAND", summary, "hand")
    kpis = dict(sales.headless(ds)["kpis"].select("metric", "value").rows())
    # 10 + 3 + 5 - 5 + 6 + 6 - 2 + 5 = 28 over the sale orders 1, 2, 4 and 6 (6 without a
    # customer); units 3 + 1 + 6 + 5 - 1 - 1 = 13; 101 and 102 bought, 101 came back.
    assert kpis == {
        "revenue": 28.0,
        "orders": 4.0,
        "customers": 2.0,
        "aov": 7.0,
        "items_per_order": 13 / 4,
        "returning_share": 0.5,
    }
    months = sales.headless(ds)["revenue_over_time"].select("label", "revenue", "orders")
    # January: invoice 1 (13) less C3 (5); March: invoices 4 (12) and 6 (5) less C5 (2).
    assert months.rows() == [("Jan 2024", 8.0, 1), ("Feb 2024", 5.0, 1), ("Mar 2024", 15.0, 2)]
    # The item cube, summed by the same engine: x: 2 + 1 - 1 + 5 units, 10 + 5 - 5 + 5 in
    # orders 1, 2 and 6 (C3 is a return); z: 3 + 3 - 1, 6 + 6 - 2, order 4 only; y: 1, 3.
    items = sales.headless(ds)["top_items"].select("item_id", "item_name", "units", "revenue")
    assert items.rows() == [("x", "X", 7.0, 15.0), ("z", "Z", 5.0, 10.0), ("y", "Y", 1.0, 3.0)]
    assert sales.headless(ds)["top_items"]["orders"].to_list() == [3, 1, 1]


def test_only_folders_globs_and_big_parquet_files_go_the_lazy_way(retail):
    assert engines.is_lazy([str(retail["parquet"])])
    assert engines.is_lazy([str(retail["parquet"] / "*.parquet")])
    assert not engines.is_lazy([str(retail["parquet"] / "part0.parquet")])
    assert not engines.is_lazy([str(retail["csv"])])


def test_rfm_and_cohorts_read_a_parquet_file_of_enough_lines_from_summaries(
    retail, tmp_path, monkeypatch
):
    """A parquet file of SUMMARY_LINES lines or more in Online Retail's layout, numbers typed,
    goes the way of summaries for rfm and cohorts (the same tables as loading it); a smaller
    one, a CSV file, text numbers or a file without customers load as the app loads them."""
    part = retail["parquet"] / "part0.parquet"  # 6,000 lines
    monkeypatch.setattr(engines, "SUMMARY_LINES", 6_000)
    assert engines.summarises([str(part)])
    assert not engines.summarises([str(retail["csv"])])
    text = pl.read_parquet(part).with_columns(pl.col("Quantity").cast(pl.String))
    text.write_parquet(tmp_path / "text.parquet")
    assert not engines.summarises([str(tmp_path / "text.parquet")])
    pl.read_parquet(part).drop("CustomerID").write_parquet(tmp_path / "anonymous.parquet")
    assert not engines.summarises([str(tmp_path / "anonymous.parquet")])
    sources = []
    real = engines.source_of
    monkeypatch.setattr(engines, "source_of", lambda *a: sources.append(a) or real(*a))
    for command in ("rfm", "cohorts"):
        summarised = _cli_tables(command, str(part))
        assert len(sources) == 1
        monkeypatch.setattr(engines, "SUMMARY_LINES", 6_001)
        assert not engines.summarises([str(part)])
        loaded = _cli_tables(command, str(part))
        assert len(sources) == 1  # loaded as the app loads it
        assert list(summarised) == list(loaded)
        for name, frame in loaded.items():
            assert_frame_equal(summarised[name], frame, rel_tol=1e-9, abs_tol=1e-9)
        monkeypatch.setattr(engines, "SUMMARY_LINES", 6_000)
        sources.clear()


def _cli_tables(*args: str) -> dict[str, pl.DataFrame]:
    """`python -m lib ARGS`' tables, run in this process."""
    out = io_module.StringIO()
    with contextlib.redirect_stdout(out):
        main(list(args))
    return {name: pl.DataFrame(rows) for name, rows in json.loads(out.getvalue()).items()}


def test_the_real_online_retail_file_goes_the_way_of_summaries():
    assert engines.summarises([str(shared_file("online_retail/online_retail.parquet"))])


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_text_times_read_day_first_when_only_later_lines_say_so(tmp_path, suffix):
    """A big file's first 6,000 lines are all of 1 December, written 01/12/2022 (day or month
    first); later lines say 13/12/2022 and 25/12/2022: every line is read day first, none left
    out, as a whole-file read would."""
    days = ["01/12/2022 10:00"] * 6_000 + ["13/12/2022 11:00"] * 50 + ["25/12/2022 12:00"] * 50
    lines = pl.DataFrame(
        {
            "order_id": [str(k // 10) for k in range(len(days))],
            "customer_id": ["a"] * len(days),
            "ordered_at": days,
            "revenue": [1.0] * len(days),
        }
    )
    path = tmp_path / f"lines{suffix}"
    if suffix == ".parquet":
        lines.write_parquet(path)
    else:
        lines.write_csv(path)
    got = engines.collect(engines.polars_lines([str(path)]).lines, "polars")
    assert got.height == len(days)
    assert got["ordered_at"].dt.date().value_counts().sort("ordered_at").rows() == [
        (datetime(2022, 12, 1).date(), 6_000),
        (datetime(2022, 12, 13).date(), 50),
        (datetime(2022, 12, 25).date(), 50),
    ]


@pytest.mark.parametrize("end", ["", " ", "\t"])
def test_text_times_with_utc_offsets_read_as_the_local_time_written(tmp_path, end):
    """As a loaded file reads them (parse.OFFSET): 00:20 on 1 Jan at +01:00 stays in January;
    with a blank after the offset too (it went unseen, and every time was none)."""
    days = [f"2023-01-01T00:20:00+01:00{end}", f"2023-07-01T23:50:00+02:00{end}"] * 3_000
    lines = pl.DataFrame(
        {
            "order_id": [str(k) for k in range(len(days))],
            "customer_id": ["a"] * len(days),
            "ordered_at": days,
            "revenue": [1.0] * len(days),
        }
    )
    path = tmp_path / "lines.parquet"
    lines.write_parquet(path)
    got = engines.collect(engines.polars_lines([str(path)]).lines, "polars")
    assert sorted(set(got["ordered_at"].to_list())) == [
        datetime(2023, 1, 1, 0, 20),
        datetime(2023, 7, 1, 23, 50),
    ]


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_text_times_with_whitespace_at_their_ends_read_as_the_loader_reads_them(tmp_path, suffix):
    """Blanks around a text time (space, tab, newlines, a no-break or ideographic space) go, as
    the loader strips them; a blank time is no time, its line left out. By hand."""
    written = [
        "12/01/2022 08:00",
        " 12/02/2022 09:30",
        "12/03/2022 10:00\t",
        "\xa012/04/2022 11:00\u3000",
        "\r\n12/05/2022 12:15\n",
        " \t",
    ]
    lines = pl.DataFrame(
        {
            "order_id": [str(k) for k in range(len(written))],
            "customer_id": ["a"] * len(written),
            "ordered_at": written,
            "revenue": [1.0] * len(written),
        }
    )
    path = tmp_path / f"lines{suffix}"
    lines.write_parquet(path) if suffix == ".parquet" else lines.write_csv(path)
    got = engines.collect(engines.polars_lines([str(path)]).lines, "polars")
    assert got.sort(summaries.LINE)["ordered_at"].to_list() == [
        datetime(2022, 12, 1, 8),
        datetime(2022, 12, 2, 9, 30),
        datetime(2022, 12, 3, 10),
        datetime(2022, 12, 4, 11),
        datetime(2022, 12, 5, 12, 15),
    ]


# Text with blanks at its ends as exports have them: every engine strips the same whitespace.
PADDED = pl.DataFrame(
    {
        "InvoiceNo": [" 1", "1\t", "2\r\n", "\xa03\u3000"],
        "StockCode": ["\x0bx", "y y", "\x01z", "\u2003w\xa0w\u2028"],
        "Description": ["X \x0c", "  ", "Z", "\xa0\u202f"],
        "Quantity": [1, 2, 3, 4],
        "InvoiceDate": [datetime(2024, 1, 2, 9), datetime(2024, 1, 2, 9), datetime(2024, 2, 1)]
        + [datetime(2024, 2, 2)],
        "UnitPrice": [1.0, 2.0, 3.0, 4.0],
        "CustomerID": [" 7 ", "7", "\n8", "8\x85"],
        "Country": ["UK ", " UK", "\tUK\t", "Österreich\u205f"],
    }
)


# Where lines are read from: files by each engine, a DuckDB database's table, PostgreSQL's.
READERS = [*engines.ENGINES, "duckdb table", "postgres"]


def _lines_in(reader: str, frame: pl.DataFrame, tmp_path, request) -> engines.Source:
    """`frame` as lines of `reader` (one of READERS)."""
    if reader == "postgres":
        return _into_postgres(request.getfixturevalue("postgres"), "read_lines", frame)
    if reader.startswith("duckdb"):
        duckdb = pytest.importorskip("duckdb")
    if reader == "duckdb table":
        file = tmp_path / "shop.duckdb"
        with duckdb.connect(str(file)) as con:
            con.execute("CREATE TABLE lines AS SELECT * FROM frame")
        return engines.source_of([], db=f"duckdb://{file}")
    frame.write_parquet(tmp_path / "lines.parquet")
    return engines.source_of([str(tmp_path / "lines.parquet")], reader)


@pytest.mark.parametrize("reader", READERS)
def test_text_is_stripped_alike_by_every_engine_by_hand(reader, tmp_path, request):
    """Leading and trailing whitespace (space, tab, newlines, vertical tab, form feed, and
    Unicode's: no-break, ideographic, em and other spaces, line separators) goes, in polars and
    in SQL (where only values with such an end are trimmed); inner blanks and other control
    characters stay; blank text is missing."""
    source = _lines_in(reader, PADDED, tmp_path, request)
    got = engines.collect(source.lines, source.engine).sort(summaries.LINE)
    assert got.select("order_id", "item_id", "item_name", "customer_id", "region").rows() == [
        ("1", "x", "X", "7", "UK"),
        ("1", "y y", None, "7", "UK"),
        ("2", "\x01z", "Z", "8", "UK"),
        ("3", "w\xa0w", None, "8", "Österreich"),
    ]


def test_enum_text_in_a_duckdb_table_is_stripped_as_its_other_text(tmp_path):
    """Text DuckDB types as an ENUM is stripped by narwhals' slices (engines._id), of the same
    blanks as polars strips: "UK\\t", "\\u3000UK" and "UK" are one region."""
    duckdb = pytest.importorskip("duckdb")
    file = tmp_path / "shop.duckdb"
    padded = PADDED.with_columns(  # noqa: F841  (DuckDB reads it by name)
        pl.Series("Country", ["UK\t", "\u3000UK", "UK", "Österreich\u205f"])
    )
    with duckdb.connect(str(file)) as con:
        con.execute("CREATE TYPE country AS ENUM (SELECT DISTINCT Country FROM padded)")
        con.execute(
            "CREATE TABLE lines AS SELECT * REPLACE (CAST(Country AS country) AS Country) "
            "FROM padded"
        )
    source = engines.source_of([], db=f"duckdb://{file}")
    got = engines.collect(source.lines, source.engine).sort(summaries.LINE)
    assert got["region"].to_list() == ["UK", "UK", "UK", "Österreich"]


def test_a_postgres_database_not_in_utf8_is_read_and_stripped_of_ascii_whitespace(postgres):
    """A LATIN1 database holds none of Unicode's other blanks: a query naming them failed
    (the client cannot encode U+1680) where before it read; its text is stripped of
    string.whitespace, and Latin-1 letters read as written."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    url, _, _ = postgres
    name = f"storelens_latin1_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(
            f"CREATE DATABASE {name} ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' "
            "TEMPLATE template0"
        )
    latin1 = urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    try:
        import ibis

        con = ibis.connect(latin1)
        con.create_table("lines", PADDED.head(3).to_arrow())
        con.raw_sql('UPDATE lines SET "Country" = \'Österreich\t\' WHERE "Quantity" = 3').close()
        con.disconnect()
        source = engines.source_of([], db=latin1)
        got = engines.collect(source.lines, source.engine).sort(summaries.LINE)
        source.handle.disconnect()
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    assert got.select("order_id", "item_id", "item_name", "customer_id", "region").rows() == [
        ("1", "x", "X", "7", "UK"),
        ("1", "y y", None, "7", "UK"),
        ("2", "\x01z", "Z", "8", "Österreich"),
    ]


def test_the_blanks_sql_strips_are_those_polars_strips():
    """engines.BLANKS, which DuckDB and PostgreSQL trim, against every character polars'
    strip_chars() takes from both ends of a text (the loader's strip)."""
    every = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    padded = pl.Series([f"{c}x{c}" for c in every])
    taken = [c for c, s in zip(every, padded.str.strip_chars().to_list(), strict=True) if s == "x"]
    assert "".join(taken) == "".join(sorted(engines.BLANKS))
    assert all(b < "!" or b >= "\x85" for b in engines.BLANKS)


def test_json_text_in_a_duckdb_table_is_stripped_as_its_other_text(tmp_path):
    """DuckDB stores JSON as text, and narwhals reads it as text: its ids are stripped as any
    other text's (" 7 " and "7" are one customer; JSON was once left as read)."""
    duckdb = pytest.importorskip("duckdb")
    file = tmp_path / "shop.duckdb"
    padded = PADDED.head(3)  # noqa: F841  (DuckDB reads it by name; "8\x85" is no JSON)
    with duckdb.connect(str(file)) as con:
        con.execute(
            "CREATE TABLE lines AS SELECT * REPLACE (CAST(CustomerID AS JSON) AS CustomerID) "
            "FROM padded"
        )
        assert con.sql("SELECT typeof(CustomerID) FROM lines LIMIT 1").fetchall() == [("JSON",)]
    source = engines.source_of([], db=f"duckdb://{file}")
    got = engines.collect(source.lines, source.engine).sort(summaries.LINE)
    assert got["customer_id"].to_list() == ["7", "7", "8"]


@pytest.mark.parametrize("reader", READERS)
def test_null_tokens_are_missing_text_in_every_engine_and_longer_text_is_not(
    reader, tmp_path, request
):
    """Each of the loader's null tokens (io.NULL_TOKENS), stripped, is no item name; text that
    only starts as one (SQL compares only text as short as the longest token) stays."""
    names = [*io.NULL_TOKENS, " N/A\t", "NaNa", "NULLS", "#N/A!", "nan "]
    n = len(names)
    frame = pl.DataFrame(
        {
            "InvoiceNo": [str(k) for k in range(n)],
            "StockCode": ["A"] * n,
            "Description": names,
            "Quantity": [1] * n,
            "InvoiceDate": [datetime(2024, 1, 2, 9)] * n,
            "UnitPrice": [1.0] * n,
            "CustomerID": [7.0] * n,
            "Country": ["UK"] * n,
        }
    )
    source = _lines_in(reader, frame, tmp_path, request)
    got = engines.collect(source.lines, source.engine).sort(summaries.LINE)["item_name"]
    assert got.to_list() == [None] * 9 + ["NaNa", "NULLS", "#N/A!", None]


def test_canonical_lines_in_csv_with_text_flags_by_hand(tmp_path):
    pl.DataFrame(
        {
            "order_id": ["1", "2", "R"],
            "customer_id": ["a", "a", "a"],
            "ordered_at": ["2024-01-02 10:00:00", "2024-02-03 11:00:00", "2024-02-04 12:00:00"],
            "revenue": ["5.0", "7.5", "-2"],
            "is_return": ["false", "false", "true"],
        }
    ).write_csv(tmp_path / "lines.csv")
    got = engines.rfm_frames(engines.polars_lines([str(tmp_path / "*.csv")]))["customers"]
    # Without items the return takes 2 of the customer's latest purchase (7.5 -> 5.5); as of
    # 4 Feb, the day after the last purchase.
    assert got.select("customer_id", "recency_days", "frequency", "monetary").rows() == [
        ("a", 1, 2, 10.5)
    ]


@pytest.mark.parametrize("engine", engines.ENGINES)
def test_a_line_without_quantity_or_price_is_left_out_as_when_loaded(tmp_path, engine):
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    lines = pl.DataFrame(
        {
            "InvoiceNo": ["1", "2", "3"],
            "StockCode": ["A", "A", "A"],
            "Description": ["MUG"] * 3,
            "Quantity": [2, None, 1],
            "InvoiceDate": [datetime(2024, 1, d, 10) for d in (2, 3, 4)],
            "UnitPrice": [2.5, 4.0, None],
            "CustomerID": [7.0, 7.0, 7.0],
            "Country": ["UK"] * 3,
        }
    )
    lines.write_parquet(tmp_path / "lines.parquet")
    got = engines.rfm_frames(engines.source_of([str(tmp_path / "lines.parquet")], engine))
    loaded = rfm.headless(formats.assemble(io.read_path(tmp_path / "lines.parquet")).dataset)
    # Invoice 1 only (2 x 2.5): invoices 2 and 3 lack a quantity or a price.
    want = ("7", 1, 5.0)
    assert got["customers"].select("customer_id", "frequency", "monetary").rows() == [want]
    assert loaded["customers"].select("customer_id", "frequency", "monetary").rows() == [want]


@pytest.mark.parametrize("engine", engines.ENGINES)
def test_a_line_dated_outside_the_years_is_left_out_as_when_loaded(tmp_path, engine):
    """A typed time in year 9999 (a 'never' placeholder) crashed the summaries (as of the day
    after it: past the last date Python has); the loader leaves it out, as a text date."""
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    lines = pl.DataFrame(
        {
            "order_id": ["1", "2", "3"],
            "customer_id": ["7", "7", "8"],
            "ordered_at": [datetime(2024, 1, 2), datetime(9999, 12, 31), datetime(1, 1, 1)],
            "revenue": [5.0, 9.0, 4.0],
        }
    )
    lines.write_parquet(tmp_path / "lines.parquet")
    got = engines.rfm_frames(engines.source_of([str(tmp_path / "lines.parquet")], engine))
    tables = io.read_path(tmp_path / "lines.parquet")
    mapped = {t.name: generic.guess_mapping(t.frame) for t in tables}
    loaded = rfm.headless(formats.assemble(tables, mapped).dataset)
    # Order 1 alone, as of 3 Jan 2024.
    want = [("7", 1, 1, 5.0)]
    columns = ("customer_id", "recency_days", "frequency", "monetary")
    assert got["customers"].select(columns).rows() == want
    assert loaded["customers"].select(columns).rows() == want


@pytest.mark.parametrize("engine", engines.ENGINES)
def test_unsigned_ids_past_int64_are_customers_as_the_loader_reads_them(tmp_path, engine):
    """Customer ids hashed to unsigned 64 bits failed the summaries ('conversion from u64 to
    i64 failed'); the loader reads them as their digits."""
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    big = 2**64 - 1
    lines = pl.DataFrame(
        {
            "order_id": ["1", "2", "3"],
            "customer_id": pl.Series([big, big, 5], dtype=pl.UInt64),
            "ordered_at": [datetime(2024, 1, 2), datetime(2024, 1, 5), datetime(2024, 1, 6)],
            "revenue": [5.0, 9.0, 4.0],
        }
    )
    lines.write_parquet(tmp_path / "lines.parquet")
    got = engines.rfm_frames(engines.source_of([str(tmp_path / "lines.parquet")], engine))
    want = [("18446744073709551615", 2, 14.0), ("5", 1, 4.0)]
    columns = ("customer_id", "frequency", "monetary")
    assert got["customers"].select(columns).sort("frequency", descending=True).rows() == want


# Online Retail's lines as a CSV export writes them: ids of a float column ("17850.0"), a
# customer written as NULL, a quantity no number, prices with a currency sign, thousands
# separators and blanks; a second file with decimal commas.
EXPORTED = {
    "points.csv": (
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        "536365,A,MUG, 6 ,12/1/2010 8:26,£2.55,17850.0,UK\n"
        '536366,B,LAMP,1,12/2/2010 8:26,"1,234.50",17850.0,UK\n'
        "536367,C,CUP,8,12/3/2010 8:26,2.75,NULL,UK\n"
        "536369,D,HAT,6,12/5/2010 8:26,3.39, 13047.0 ,UK\n"
        "536370,E,BAG,N/A,12/6/2010 8:26,7.65,13047.0,UK\n"
    ),
    "commas.csv": (
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        '536371,F,BOX,2,12/7/2010 8:26,"1.234,50",99.0,DE\n'
        '536372,G,PEN,4,12/8/2010 8:26,"0,25",99.0,DE\n'
    ),
}
# By hand: 17850 bought 6 x 2.55 and 1 x 1,234.50; 13047 6 x 3.39 (its other line has no
# quantity); 99 2 x 1,234.50 and 4 x 0.25; the NULL line has no customer.
EXPORTED_CUSTOMERS = [("13047", 1, 20.34), ("17850", 2, 1249.8), ("99", 2, 2470.0)]


def _exported_customers(got: dict[str, pl.DataFrame]) -> list[tuple]:
    rows = got["customers"].sort("customer_id").select("customer_id", "frequency", "monetary")
    return [(c, f, pytest.approx(m)) for c, f, m in rows.rows()]


def test_a_folder_of_exported_csv_files_reads_ids_numbers_and_nulls_as_the_loader(tmp_path):
    folder = tmp_path / "exported"
    folder.mkdir()
    for name, text in EXPORTED.items():
        (folder / name).write_text(text, encoding="utf-8")
    got = engines.rfm_frames(engines.source_of([str(folder)]))
    loaded = rfm.headless(load([str(f) for f in sorted(folder.iterdir())]).dataset)
    assert _exported_customers(got) == EXPORTED_CUSTOMERS
    assert _exported_customers(loaded) == EXPORTED_CUSTOMERS


@pytest.fixture(params=engines.ENGINES + ("postgres",))
def exported(request, tmp_path) -> engines.Source:
    """Lines of a parquet file whose ids are text as a CSV export left them ("17850.0", NULL,
    blanks) and one of whose prices is infinite, read by each engine."""
    lines = pl.DataFrame(
        {
            "InvoiceNo": ["536365", "536366", "536367", "536369", "536370"],
            "StockCode": ["A", "B", "C", "D", "E"],
            "Description": ["MUG", "LAMP", "CUP", "HAT", "BAG"],
            "Quantity": [6, 1, 8, 6, 2],
            "InvoiceDate": [datetime(2010, 12, d, 8, 26) for d in (1, 2, 3, 5, 6)],
            "UnitPrice": [2.55, 1234.5, 2.75, 3.39, float("inf")],
            "CustomerID": ["17850.0", "17850", "NULL", " 13047.0 ", "13047.0"],
            "Country": ["UK"] * 5,
        }
    )
    return _read_by(request, tmp_path, lines)


def test_text_ids_and_numbers_beyond_bounds_read_as_the_loader_in_every_engine(exported):
    # 17850.0 and 17850 are one customer, NULL none; the infinite price is no amount: its
    # line is left out, as the loader leaves it out.
    got = engines.rfm_frames(exported)
    assert _exported_customers(got) == EXPORTED_CUSTOMERS[:2]


def test_the_lines_of_known_customers_left_out_are_counted_in_every_engine(exported):
    # Four lines have a customer (NULL is none); the one priced at infinity has no amount.
    engines.rfm_frames(exported)
    assert engines.left_out_lines(exported) == (1, 4)


def _undated_lines(kind=pl.Float64) -> pl.DataFrame:
    """Six lines of known customers, three of which canonical leaves out: no time, a time in
    year 9999, no quantity; then a line without a customer and no time (not counted)."""
    return pl.DataFrame(
        {
            "InvoiceNo": [str(n) for n in range(1, 8)],
            "StockCode": ["A"] * 7,
            "Description": ["MUG"] * 7,
            "Quantity": [1, 2, 1, None, 3, 1, 1],
            "InvoiceDate": [
                datetime(2024, 1, 2),
                None,
                datetime(9999, 12, 31),
                datetime(2024, 1, 3),
                datetime(2024, 1, 4),
                datetime(2024, 1, 5),
                None,
            ],
            "UnitPrice": [2.5] * 7,
            "CustomerID": [7.0, 7.0, 8.0, 8.0, 9.0, 9.0, None],
            "Country": ["UK"] * 7,
        }
    ).with_columns(pl.col("CustomerID").cast(kind))


@pytest.fixture(params=engines.ENGINES + ("postgres",))
def undated(request, tmp_path) -> engines.Source:
    """_undated_lines read by each engine."""
    return _read_by(request, tmp_path, _undated_lines())


@pytest.mark.parametrize("command", ["rfm", "cohorts"])
def test_lines_without_a_time_or_quantity_are_counted_in_every_engine(undated, command):
    engines.FRAMES[command](undated)
    assert engines.left_out_lines(undated) == (3, 6)
    said = engines.left_out_lines_note(3, 6, lines="lines with a customer id")
    assert said.startswith("3 of the 6 lines with a customer id were left out: they have no time")
    assert engines.left_out_lines_note(0, 6) == ""


@pytest.mark.parametrize("engine", engines.ENGINES)
def test_lines_left_out_are_counted_in_files_typing_their_ids_apart(tmp_path, engine):
    """DuckDB stacks files typing a column apart as canonical lines (the lines left out gone):
    it counts each file's before."""
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    lines = _undated_lines()
    lines.slice(0, 4).write_parquet(tmp_path / "p0.parquet")
    as_text = pl.col("CustomerID").cast(pl.Int64).cast(pl.String)
    lines.slice(4).with_columns(as_text).write_parquet(tmp_path / "p1.parquet")
    source = engines.source_of([str(tmp_path)], engine)
    engines.rfm_frames(source)
    # p0: no time, year 9999, no quantity of its 4; p1: none of its 2 with a customer.
    assert engines.left_out_lines(source) == (3, 6)


def test_the_cli_warns_of_lines_of_a_folder_it_left_out(tmp_path, capsys):
    """A folder's lines without a time or a price were left out without a word."""
    header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
    (tmp_path / "a.csv").write_text(
        f"{header}\n1,A,MUG,1,2023-01-05 10:00,2.5,100,UK\n2,A,MUG,2,2023-02-05 10:00,2.5,101,UK\n"
        "3,B,CUP,1,not a date,3.0,100,UK\n4,B,CUP,1,2023-03-05 10:00,,102,UK\n"
        "5,B,CUP,1,not a date,3.0,,UK\n"
    )
    (tmp_path / "b.csv").write_text(f"{header}\n6,A,MUG,1,2023-04-05 10:00,2.5,100,UK\n")
    for command in ("rfm", "cohorts"):
        assert main([command, str(tmp_path)]) == 0
        err = capsys.readouterr().err
        # Invoices 3 (its time) and 4 (its price) of the five lines with a customer; invoice 5
        # has none.
        assert (
            "warning: 2 of the 5 lines with a customer id were left out: they have no time" in err
        )


# DuckDB reads times typed or in ISO text only: the folder of text times is polars' alone.
@pytest.mark.parametrize(
    ("engine", "folder"),
    [
        (engine, folder)
        for engine in engines.ENGINES
        for folder in ("parquet", "text", "numbers")
        if (engine, folder) != ("duckdb", "text")
    ],
)
def test_summaries_computed_a_share_of_the_customers_at_a_time_equal_the_in_memory_read(
    retail, in_memory, engine, folder, monkeypatch
):
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    # 20,000 lines, of which 16,000 of known customers: six shares or more.
    monkeypatch.setattr(engines, "SHARE_LINES", 3_000)
    got = _frames(engines.source_of([str(retail[folder])], engine))
    for name, frames in in_memory.items():
        _same(frames, got[name])


@pytest.mark.parametrize(
    ("engine", "kinds"),
    [
        (engine, kinds)
        for engine in engines.ENGINES
        for kinds in ((pl.Int64, pl.Float64), (pl.String, pl.Float64))
    ],
)
def test_a_customer_typed_apart_in_two_files_stays_in_one_share(
    tmp_path, monkeypatch, engine, kinds
):
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    monkeypatch.setattr(engines, "SHARE_LINES", 2)  # four shares of HAND's 8 lines
    folder = tmp_path / "hand"
    folder.mkdir()
    # Customer 101's invoices 1 and 2 in one file, its cancellation C3 in the other.
    for k, (rows, kind) in enumerate(zip([(0, 3), (3, 5)], kinds, strict=True)):
        part = HAND.slice(*rows)
        if kind == pl.String:
            part = part.with_columns(pl.col("CustomerID").cast(pl.Int64).cast(pl.String))
        part.with_columns(pl.col("CustomerID").cast(kind)).write_parquet(folder / f"p{k}.parquet")
    got = engines.rfm_frames(engines.source_of([str(folder)], engine))["customers"]
    # As test_rfm_figures_by_hand_from_every_engine: the cancellation in the second file
    # still takes half of invoice 1's x (10 -> 5).
    assert got.select("customer_id", "frequency", "monetary").rows() == [
        ("101", 2, 13.0),
        ("102", 1, 6.0),
    ]


@pytest.mark.parametrize("engine", engines.ENGINES)
def test_files_holding_their_columns_in_another_order_are_stacked_by_name(tmp_path, engine):
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    folder = tmp_path / "hand"
    folder.mkdir()
    HAND.slice(0, 3).write_parquet(folder / "p0.parquet")
    HAND.slice(3, 5).select(reversed(HAND.columns)).write_parquet(folder / "p1.parquet")
    got = engines.rfm_frames(engines.source_of([str(folder)], engine))["customers"]
    # As test_a_customer_typed_apart_in_two_files_stays_in_one_share.
    assert got.select("customer_id", "frequency", "monetary").rows() == [
        ("101", 2, 13.0),
        ("102", 1, 6.0),
    ]


def test_duckdb_refusing_text_times_is_one_line_with_what_to_do(tmp_path):
    """Times written month first ('12/1/2010 8:26') are no timestamp to DuckDB: one line on
    stderr and exit status 2, not DuckDB's traceback."""
    pytest.importorskip("duckdb")
    path = tmp_path / "mdy.parquet"
    pl.DataFrame(
        {
            "InvoiceNo": ["1", "2"],
            "StockCode": ["A", "B"],
            "Description": ["x", "y"],
            "Quantity": [1, 2],
            "InvoiceDate": ["12/1/2010 8:26", "12/2/2010 9:00"],
            "UnitPrice": [1.0, 2.0],
            "CustomerID": [1.0, 2.0],
            "Country": ["UK", "UK"],
        }
    ).write_parquet(path)
    out = subprocess.run(
        [sys.executable, "-m", "lib", "rfm", str(path), "--engine", "duckdb"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 2 and out.stdout == ""
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert out.stderr.startswith("rfm: the database could not read the lines (Conversion Error")
    assert out.stderr.rstrip().endswith("read other text times without --engine duckdb")


def test_duckdb_shares_hold_no_line_without_a_customer_when_ids_are_floats_with_nan(tmp_path):
    pytest.importorskip("duckdb")
    # Ids as Online Retail's float CustomerID, NaN for the lines of no customer, written by
    # polars (whose parquet statistics leave NaN out: DuckDB once took them as bounds).
    ids = [1.0, 2.0, float("nan"), 3.0, 4.0, float("nan"), 5.0, 6.0, float("nan"), 7.0]
    n = len(ids)
    pl.DataFrame(
        {
            "InvoiceNo": [str(500 + k) for k in range(n)],
            "StockCode": ["A"] * n,
            "Description": ["a"] * n,
            "Quantity": [1] * n,
            "InvoiceDate": [datetime(2024, 1, 1 + k) for k in range(n)],
            "UnitPrice": [1.0] * n,
            "CustomerID": ids,
            "Country": ["UK"] * n,
        }
    ).write_parquet(tmp_path / "lines.parquet")
    source = engines.source_of([str(tmp_path / "lines.parquet")], "duckdb")
    shares = [engines.collect(source.share(3, k), "duckdb") for k in range(3)]
    # None of the three lines without a customer in any share, every other line in one.
    assert [share["customer_id"].null_count() for share in shares] == [0, 0, 0]
    held = sorted(x for share in shares for x in share["customer_id"].to_list())
    assert held == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]


@pytest.mark.parametrize("engine", engines.ENGINES)
def test_a_cancellation_nets_the_paid_line_not_a_free_one_of_the_same_time(engine, tmp_path):
    """Online Retail's invoice 550188: 8 x 7.65 and 1 x 0.00 of one item in the same minute,
    then 6 of them cancelled. The lazy rule took the last line (the free one) and netted
    nothing; the lines in memory net the paid one: 61.20 x (1 - 6/8) = 15.30 kept."""
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    at = datetime(2011, 4, 26, 12, 34)
    lines = pl.DataFrame(
        {
            "InvoiceNo": ["550188", "550188", "C550668"],
            "StockCode": ["22636", "22636", "22636"],
            "Description": ["PICNIC BOX", "PICNIC BOX", "PICNIC BOX"],
            "Quantity": [8.0, 1.0, -6.0],
            "InvoiceDate": [at, at, datetime(2011, 5, 5, 10)],
            "UnitPrice": [7.65, 0.0, 7.65],
            "CustomerID": [12457.0, 12457.0, 12457.0],
            "Country": ["Switzerland"] * 3,
        }
    )
    (tmp_path / "lines").mkdir()
    lines.write_parquet(tmp_path / "lines" / "lines.parquet")
    source = engines.source_of([str(tmp_path / "lines")], engine)
    bought = engines.collect(summaries.purchases(source.lines, free=True), engine)
    assert sorted(bought["revenue"].to_list()) == [0.0, pytest.approx(15.30)]
    loaded = load([str(tmp_path / "lines" / "lines.parquet")]).dataset.tables["lines"]
    kept = measures.customer_purchases(loaded, free=True).lines
    assert sorted(kept["revenue"].to_list()) == [0.0, pytest.approx(15.30)]
