"""The headless twin on awkward input: folders that hold more than one kind of file, damaged
files and dates outside the data, each said in one line (python -m lib, run in this process)."""

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from lib import demo, engines, io, local, quality
from lib.__main__ import NO_LINES, main

ROOT = Path(__file__).resolve().parents[1]
DEMO_TIME = "%m/%d/%Y %H:%M"  # how the retail demo writes InvoiceDate


@pytest.fixture(scope="module")
def retail(tmp_path_factory) -> dict[str, Path]:
    """The retail demo as one CSV, and as a folder holding its first 1,200 lines as parquet
    and the rest as gzipped CSV, beside a workbook and a JSON file that hold no lines."""
    root = tmp_path_factory.mktemp("retail")
    raw = demo.demo("retail", rows=3_000, seed=7).files["online_retail.csv"]
    whole = root / "online_retail.csv"
    raw.write_csv(whole)
    mixed = root / "mixed"
    mixed.mkdir()
    typed = raw.with_columns(
        pl.col("InvoiceDate").str.to_datetime(DEMO_TIME),
        pl.col("Quantity", "UnitPrice").cast(pl.Float64),
    )
    typed.head(1_200).write_parquet(mixed / "part1.parquet")
    with gzip.open(mixed / "part2.csv.gz", "wt", encoding="utf-8") as out:
        out.write(raw.slice(1_200).write_csv())
    (mixed / "notes.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (mixed / "meta.json").write_text("{}")
    return {"csv": whole, "mixed": mixed, "root": root}


def cli(capsys, *args: str) -> tuple[int, dict | None, str]:
    """`python -m lib ARGS` run here: its exit status, its JSON (None when it printed none) and
    its stderr."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out else None), err


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    """Order summaries kept in the test's own folder."""
    monkeypatch.setenv(local.CACHE_ENV, str(tmp_path / "cache"))


def _same(left: dict, right: dict, tables: tuple[str, ...]) -> None:
    for name in tables:
        assert left[name], name
        assert_frame_equal(
            pl.DataFrame(left[name]), pl.DataFrame(right[name]), rel_tol=1e-9, abs_tol=1e-9
        )


LEFT_OUT = (
    "left out 2 files that are not parquet or CSV (.parquet, .csv, .csv.gz): meta.json, notes.xlsx"
)


@pytest.mark.parametrize("command", ["sales", "rfm"])
def test_a_folder_reads_its_gzipped_csv_and_names_the_files_it_leaves_out(retail, capsys, command):
    """A folder of a parquet part and a gzipped CSV part gives the figures of the whole file
    loaded (the gzipped part was dropped without a word: half the revenue); a glob too."""
    code, whole, _ = cli(capsys, command, str(retail["csv"]))
    assert code == 0
    tables = ("kpis", "revenue_over_time") if command == "sales" else ("customers", "segments")
    for given in (str(retail["mixed"]), str(retail["mixed"] / "*")):
        code, folder, err = cli(capsys, command, given)
        assert code == 0, err
        _same(whole, folder, tables)
        assert LEFT_OUT in err


def test_the_apps_folder_says_which_files_it_left_out(retail):
    where = local.folder([str(retail["mixed"])])
    assert [f.name for f in where.files] == ["part1.parquet", "part2.csv.gz"]
    assert where.describe().startswith("2 csv.gz and parquet files (")
    assert where.describe().endswith(f"; {LEFT_OUT})")


@pytest.mark.parametrize("engine", engines.ENGINES)
def test_a_file_saved_twice_in_a_folder_is_read_once_and_said(retail, capsys, tmp_path, engine):
    """'part1 (1).parquet' beside part1.parquet (the same export downloaded again) counted
    every line of it twice; a file of the same size with other bytes is no copy."""
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    folder = tmp_path / "twice"
    folder.mkdir()
    part = retail["mixed"] / "part1.parquet"
    (folder / "part1.parquet").write_bytes(part.read_bytes())
    code, once, _ = cli(capsys, "sales", "--engine", engine, str(folder))
    assert code == 0
    (folder / "part1 (1).parquet").write_bytes(part.read_bytes())
    os.utime(folder / "part1.parquet", (0, 0))  # the first download, modified earlier
    code, twice, err = cli(capsys, "sales", "--engine", engine, str(folder))
    assert code == 0, err
    _same(once, twice, ("kpis", "revenue_over_time"))
    assert "part1 (1).parquet holds the bytes of another file: read once" in err
    assert [f.name for f in local.folder([str(folder)]).files] == ["part1.parquet"]
    other = bytearray(part.read_bytes())
    other[len(other) // 2] ^= 1
    (tmp_path / "other.parquet").write_bytes(bytes(other))
    assert engines.copies([part, tmp_path / "other.parquet"]) == {}


def test_a_folder_of_no_lines_names_what_it_holds(tmp_path):
    (tmp_path / "notes.xlsx").write_bytes(b"PK")
    with pytest.raises(
        ValueError, match=r"^no parquet or CSV files in .+ \(it holds notes.xlsx\)$"
    ):
        engines.files_of([str(tmp_path)])


def test_duckdb_names_the_csv_files_it_does_not_read(retail, capsys):
    pytest.importorskip("duckdb")
    code, out, err = cli(capsys, "rfm", "--engine", "duckdb", str(retail["mixed"]))
    assert (code, out) == (2, None)
    assert err == (
        "rfm: DuckDB reads parquet files here, not part2.csv.gz: leave out --engine duckdb "
        "(polars reads CSV files, gzipped too)\n"
    )


@pytest.fixture(scope="module")
def marketplace(tmp_path_factory) -> Path:
    """The marketplace demo's files (Olist's tables) in a folder."""
    root = tmp_path_factory.mktemp("marketplace")
    files = demo.demo("marketplace", rows=500, seed=3).files
    io.write_csv_tables(files, root)
    return root


@pytest.mark.parametrize("command", ["sales", "rfm", "inspect"])
def test_a_folder_of_several_tables_loads_as_its_files_listed(marketplace, capsys, command):
    """Olist's tables in a folder hold no order lines for the engines (which said 'lines need
    the columns customer_id, ordered_at'), and inspect said 'no such file' of the folder: they
    load as the app loads them, as when the files are listed."""
    listed = sorted(str(f) for f in marketplace.iterdir())
    code, files, _ = cli(capsys, command, *listed)
    assert code == 0
    for given in (str(marketplace), str(marketplace / "*")):
        code, folder, err = cli(capsys, command, given)
        assert code == 0, err
        if command == "inspect":
            assert folder == files
        else:  # sums of money may differ in their last digit (added up in another order)
            assert list(folder) == list(files)
            _same(files, folder, tuple(name for name, rows in files.items() if rows))
        if command != "inspect":
            assert f"note: {given}: {NO_LINES}\n" in err


def test_a_folder_of_lines_and_another_table_names_the_file_that_holds_no_lines(
    retail, marketplace, tmp_path, capsys
):
    both = tmp_path / "both"
    both.mkdir()
    (both / "part1.parquet").symlink_to(retail["mixed"] / "part1.parquet")
    (both / "customers.csv").symlink_to(marketplace / "olist_customers_dataset.csv")
    code, out, err = cli(capsys, "rfm", str(both))
    assert (code, out) == (2, None)
    assert err == (
        "rfm: customers.csv: lines need the columns order_id, ordered_at; a folder or glob is "
        "read as one table of order lines: leave this file out of it, or list the files to load "
        "them as the app does\n"
    )


def test_a_missing_path_or_an_empty_folder_is_said_so(tmp_path, capsys):
    assert cli(capsys, "inspect", str(tmp_path / "nope")) == (
        2,
        None,
        f"{tmp_path / 'nope'}: no such file\n",
    )
    assert cli(capsys, "inspect", str(tmp_path)) == (2, None, f"{tmp_path}: no files in it\n")


@pytest.fixture(scope="module")
def damaged(retail) -> dict[str, Path]:
    """A parquet file cut short (its first half), and a text file named .parquet, each alone and
    in a folder."""
    root = retail["root"] / "damaged"
    root.mkdir()
    data = (retail["mixed"] / "part1.parquet").read_bytes()
    (root / "cut.parquet").write_bytes(data[: len(data) // 2])
    (root / "fake.parquet").write_text("not a parquet\n")
    (root / "folder").mkdir()
    (root / "folder" / "fake.parquet").write_text("not a parquet\n")
    return {"cut": root / "cut.parquet", "fake": root / "fake.parquet", "folder": root / "folder"}


CUT = (
    "cut.parquet: could not be read as parquet: it does not start and end with the parquet "
    "signature: it is damaged or cut short, export it again\n"
)
FAKE = (
    "fake.parquet: is no parquet file: it holds text, which read as CSV has column names but no "
    "rows: export it again with its rows, or pick another file\n"
)
IN_FOLDER = (
    "fake.parquet: could not be read as parquet (Parquet magic bytes not found in footer): it is "
    "damaged, cut short or no parquet file: export it again, or leave it out\n"
)


@pytest.mark.parametrize("command", ["rfm", "cohorts", "sales"])
def test_a_damaged_parquet_file_is_one_line_naming_it_and_what_to_do(damaged, capsys, command):
    """rfm and cohorts gave a 29-line traceback (pyarrow's ArrowInvalid), sales said a text
    file named .parquet 'has column names but no rows'; in a folder the file went unnamed."""
    assert cli(capsys, command, str(damaged["cut"])) == (2, None, CUT)
    assert cli(capsys, command, str(damaged["fake"])) == (2, None, FAKE)
    assert cli(capsys, command, str(damaged["folder"])) == (2, None, f"{command}: {IN_FOLDER}")


def test_duckdb_says_a_damaged_parquet_file_is_damaged_not_how_it_reads_times(damaged, capsys):
    pytest.importorskip("duckdb")
    code, out, err = cli(capsys, "rfm", "--engine", "duckdb", str(damaged["fake"]))
    assert (code, out) == (2, None)
    assert err == (
        "rfm: the database could not read the lines (Invalid Input Error: No magic bytes found "
        f"at end of file '{damaged['fake']}'): it is damaged, cut short or no parquet file: "
        "export it again, or leave it out\n"
    )


def _runs(retail) -> str:
    """'the data runs FIRST – LAST' of the retail demo, read from its CSV here."""
    times = pl.read_csv(retail["csv"], infer_schema=False).select(
        pl.col("InvoiceDate").str.to_datetime(DEMO_TIME)
    )
    first, last = times.to_series().min(), times.to_series().max()
    return f"the data runs {first:%-d %b %Y} – {last:%-d %b %Y}"


@pytest.mark.parametrize(
    ("command", "options", "said"),
    [
        ("rfm", ("--as-of", "1999-01-01"), "no order before 1 Jan 1999 (--as-of)"),
        ("rfm", ("--compare-as-of", "1999-01-01"), "no order before 1 Jan 1999 (--compare-as-of)"),
        (
            "movement",
            ("--compare-as-of", "1999-01-01"),
            "no order before 1 Jan 1999 (--compare-as-of)",
        ),
        ("sales", ("--start", "2030-01-01"), "no order from 1 Jan 2030 on (--start)"),
        ("sales", ("--end", "1999-12-31"), "no order up to 31 Dec 1999 (--end)"),
        (
            "sales",
            ("--start", "2011-06-01", "--end", "2011-01-01"),
            "the start 1 Jun 2011 is after the end 1 Jan 2011",
        ),
        ("bridge", ("--previous", "2030Q1"), "no order in 2030Q1 (--previous)"),
        ("sales", ("--bridge-current", "1999-07"), "no order in 1999-07 (--bridge-current)"),
    ],
)
def test_a_date_outside_the_data_is_one_line_giving_the_datas_range(
    retail, capsys, command, options, said
):
    """Each gave empty tables or zeros with exit status 0 and nothing on stderr: in memory
    (the CSV), from summaries (rfm on a folder) and from the order summary (a folder)."""
    expected = (2, None, f"{command}: {said}: {_runs(retail)}\n")
    assert cli(capsys, command, str(retail["csv"]), *options) == expected
    code, out, err = cli(capsys, command, str(retail["mixed"]), *options)
    assert (code, out) == (2, None)
    assert err.splitlines()[-1] == expected[2].strip()


def test_an_as_of_date_within_the_data_still_runs(retail, capsys):
    code, out, _ = cli(capsys, "rfm", str(retail["csv"]), "--as-of", "2023-06-01")
    assert code == 0 and out["customers"]


@pytest.mark.parametrize("bins", ["7", "2", "0"])
def test_bins_offered_are_said_alike_in_memory_and_from_summaries(retail, capsys, bins):
    """From summaries (a folder) the message was 'rfm: 7' (a KeyError)."""
    said = (2, None, "rfm: bins must be one of 3, 4, 5\n")
    assert cli(capsys, "rfm", str(retail["csv"]), "--bins", bins) == said
    assert cli(capsys, "rfm", str(retail["mixed"]), "--bins", bins) == said


@pytest.mark.parametrize("horizon", ["-3", "0"])
def test_a_lifetime_value_horizon_must_be_above_zero(retail, capsys, horizon):
    """It was taken: every expected purchase and value 0, and a 'good' sufficiency row."""
    said = f"clv: horizon must be above 0 (in months), not {horizon}\n"
    assert cli(capsys, "clv", str(retail["csv"]), "--horizon", horizon) == (2, None, said)


def test_a_reader_that_stops_early_gets_no_traceback(retail, tmp_path):
    """`python -m lib rfm FILE | head -1` printed a BrokenPipeError traceback. Here the reader
    (`true`) is gone before the command, a second to start, writes a byte: the pipe breaks on
    every run."""
    err = tmp_path / "err.txt"
    shell = f"{sys.executable} -m lib rfm {retail['csv']} 2>{err} | true; exit $PIPESTATUS"
    out = subprocess.run(
        ["bash", "-c", shell], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert err.read_text() == ""
    assert out.returncode == 1


@pytest.mark.parametrize(
    ("command", "option", "text"),
    [
        ("rfm", "--as-of", "01/09/2011"),
        ("rfm", "--compare-as-of", "2011-9-1"),
        ("sales", "--start", "yesterday"),
        ("sales", "--end", "2011-02-30"),
        ("clv", "--calibration-end", "20110901"),
    ],
)
def test_a_day_not_written_yyyy_mm_dd_says_how_to_write_it(retail, capsys, command, option, text):
    """It said "Invalid isoformat string: '01/09/2011'"."""
    said = f"{command}: {option} {text}: write it as YYYY-MM-DD (2011-09-01 for 1 September 2011)\n"
    assert cli(capsys, command, str(retail["csv"]), option, text) == (2, None, said)


# --- what the order summary cannot give (D4) ---------------------------------------------------


@pytest.fixture(scope="module")
def retail_lines(retail) -> pl.DataFrame:
    """The retail demo's lines typed, with revenue and whether the line is a cancellation: the
    hand counts below."""
    return pl.read_csv(retail["csv"], infer_schema=False).with_columns(
        pl.col("InvoiceDate").str.to_datetime(DEMO_TIME),
        (pl.col("Quantity").cast(pl.Float64) * pl.col("UnitPrice").cast(pl.Float64)).alias("rev"),
        pl.col("InvoiceNo").str.starts_with("C").alias("cancelled"),
        pl.col("Quantity", "UnitPrice").cast(pl.Float64),
    )


def _said_left_out(err: str, command: str, what: str) -> None:
    """`command`'s summary warning on stderr names `what` among what it leaves out."""
    warning = next(line for line in err.splitlines() if line.startswith("warning: the summary"))
    assert f"{command} leaves out " in warning and what in warning.split(" leaves out ")[1]


def test_a_summary_gives_no_basket_sizes_in_lines(retail, retail_lines, capsys):
    """Every order of the summary was one line (basket_sizes: size 1, all the orders); basket
    sizes in units are those of the lines."""
    sales_lines = retail_lines.filter(
        ~pl.col("cancelled") & (pl.col("Quantity") > 0) & (pl.col("UnitPrice") > 0)
    )
    sizes = sales_lines.group_by("InvoiceNo").agg(pl.len().alias("size"))
    by_hand = sizes.group_by("size").agg(pl.len().alias("orders")).sort("size")
    _, whole, _ = cli(capsys, "sales", str(retail["csv"]))
    assert [(r["size"], r["orders"]) for r in whole["basket_sizes"]] == by_hand.rows()
    code, folder, err = cli(capsys, "sales", str(retail["mixed"]))
    assert code == 0 and "basket_sizes" not in folder
    _said_left_out(err, "sales", "basket_sizes")
    _, whole, _ = cli(capsys, "sales", str(retail["csv"]), "--basket", "units")
    code, folder, err = cli(capsys, "sales", str(retail["mixed"]), "--basket", "units")
    assert folder["basket_sizes"] == whole["basket_sizes"]
    assert "basket_sizes" not in err


def test_a_summary_gives_no_count_of_lines_without_a_customer_in_sales(
    retail, retail_lines, capsys
):
    """It gave the summary's rows without a customer (54) as lines (713)."""
    _, whole, _ = cli(capsys, "sales", str(retail["csv"]))
    assert whole["repeat"][0]["lines_without_customer"] == retail_lines["CustomerID"].null_count()
    code, folder, err = cli(capsys, "sales", str(retail["mixed"]))
    assert code == 0 and folder["repeat"][0]["lines_without_customer"] is None
    _said_left_out(err, "sales", "repeat.lines_without_customer")


def _guests(result: dict) -> list[str]:
    return [r["value"] for r in result["sufficiency"] if r["check"] == "Lines without a customer"]


def test_lifetime_values_count_the_lines_without_a_customer_as_they_were_read(
    retail, retail_lines, capsys, tmp_path
):
    """Sufficiency's 'Lines without a customer' gave the summary's rows (54): now the lines
    counted as the folder was summarised, and no row where none were counted (DuckDB)."""
    by_hand = f"{retail_lines['CustomerID'].null_count():,}"
    _, whole, _ = cli(capsys, "clv", str(retail["csv"]))
    assert _guests(whole) == [by_hand]
    code, folder, err = cli(capsys, "clv", str(retail["mixed"]))
    assert code == 0 and _guests(folder) == [by_hand]
    assert "clv leaves out" not in err
    parts = tmp_path / "parts"
    parts.mkdir()
    retail_lines.drop("rev", "cancelled").write_parquet(parts / "lines.parquet")
    code, inside, err = cli(capsys, "clv", str(parts), "--engine", "duckdb")
    assert code == 0 and _guests(inside) == []
    _said_left_out(err, "clv", "'Lines without a customer'")


def test_a_summary_gives_no_return_share_to_clusters(retail, retail_lines, capsys):
    """Clusters' mean return shares from the summary were about twice those of the lines."""
    _, whole, _ = cli(capsys, "clusters", str(retail["csv"]))
    known = retail_lines.filter(pl.col("CustomerID").is_not_null())
    shares = known.group_by(pl.col("CustomerID").alias("customer_id")).agg(
        pl.col("rev").filter(~pl.col("cancelled")).sum().alias("gross"),
        pl.col("rev").filter(pl.col("cancelled")).abs().sum().alias("returned"),
    )
    share = pl.when(pl.col("gross") > 0).then((pl.col("returned") / pl.col("gross")).clip(0, 1))
    by_hand = (
        pl.DataFrame(whole["assignments"])
        .join(shares, on="customer_id")
        .group_by("cluster")
        .agg(share.otherwise(0.0).mean().alias("share"))
        .sort("cluster")
    )
    assert [r["mean_return_share"] for r in whole["profiles"]] == pytest.approx(
        by_hand["share"].to_list(), rel=1e-9
    )
    code, folder, err = cli(capsys, "clusters", str(retail["mixed"]))
    assert code == 0 and folder["profiles"]
    assert not any("return_share" in column for column in folder["profiles"][0])
    _said_left_out(err, "clusters", "return_share")


def test_a_summarys_revenue_bridge_splits_returning_customers_by_direction_not_by_item(
    retail, retail_lines, capsys
):
    """From the summary the bridge split returning customers into price and volume of one item
    (mix 0) and had no postage and fees step, without a word; the lines' steps still do.

    Two quarters, 2023 Q2 and Q3: this 3,000-line demo, whose customers join all year, has few
    customers buying in two months running (one in May and June, none of them paying postage or
    fees), and the fees step needs returning customers who paid some (three in these quarters)."""
    periods = ("--previous", "2023Q2", "--current", "2023Q3")
    _, whole, _ = cli(capsys, "bridge", str(retail["csv"]), *periods)
    steps = {r["step"]: r for r in whole["steps"]}
    bought = retail_lines.filter(
        ~pl.col("cancelled") & (pl.col("Quantity") > 0) & (pl.col("UnitPrice") > 0)
    ).filter(pl.col("CustomerID").is_not_null())
    quarter = pl.col("InvoiceDate").dt.quarter()
    in_2023 = pl.col("InvoiceDate").dt.year() == 2023
    retained = set(bought.filter(in_2023 & (quarter == 2))["CustomerID"]) & set(
        bought.filter(in_2023 & (quarter == 3))["CustomerID"]
    )
    fees = bought.filter(
        in_2023
        & quarter.is_in([2, 3])
        & pl.col("StockCode").str.to_uppercase().is_in(quality.NON_PRODUCT_CODES)
        & pl.col("CustomerID").is_in(list(retained))
    )
    assert fees["CustomerID"].n_unique() >= 2  # the step has something to add up
    by_hand = fees.filter(quarter == 3)["rev"].sum() - fees.filter(quarter == 2)["rev"].sum()
    assert steps["fees"]["value"] == pytest.approx(by_hand)
    assert steps["fees"]["customers"] == fees["CustomerID"].n_unique()
    assert {"price", "volume", "mix"} <= set(steps) and "items" in whole
    code, folder, err = cli(capsys, "bridge", str(retail["mixed"]), *periods)
    assert code == 0 and "items" not in folder
    split = {r["step"]: r["value"] for r in folder["steps"]}
    assert not {"price", "volume", "mix", "fees"} & set(split)
    moved = sum(steps[s]["value"] for s in ("price", "volume", "mix", "fees"))
    assert split["more"] + split["less"] == pytest.approx(moved)
    assert split["current"] == pytest.approx(steps["current"]["value"])
    _said_left_out(err, "bridge", "postage and fees")
    code, sales, err = cli(capsys, "sales", str(retail["mixed"]), "--bridge-previous", "2023Q2")
    assert code == 0 and sales["bridge_steps"] == folder["steps"]
    _said_left_out(err, "sales", "postage and fees steps of bridge_steps")


def test_csv_without_a_table_says_which_table_it_printed(retail, capsys):
    """`--format csv` printed rfm's first table (customers) of five without a word: a script
    could not tell which it got. Its header is the customers table's, and stderr names it."""
    code = main(["rfm", str(retail["csv"]), "--format", "csv"])
    out, err = capsys.readouterr()
    assert code == 0
    assert out.splitlines()[0].startswith("customer_id,")
    assert err == (
        "note: printed the table customers, the first of: customers, segments, grid, "
        "degenerate, fewer_scores; --table chooses one\n"
    )
    # With --table there is nothing to say.
    assert main(["rfm", str(retail["csv"]), "--format", "csv", "--table", "segments"]) == 0
    assert capsys.readouterr().err == ""
