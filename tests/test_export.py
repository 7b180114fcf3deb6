"""Exports people open in a spreadsheet: formula cells are inert, JSON is valid."""

import csv
import io as stdio
import json

import polars as pl

from lib import __main__ as cli
from lib import io
from tests.test_cli import run


def test_cells_a_spreadsheet_would_run_get_a_leading_quote_and_numbers_stay_numbers():
    frame = pl.DataFrame(
        {
            "name": ["=1+1", "+x", "-2", "@SUM(A1)", "\tx", "\rq", "ok", "a-b", None],
            "=n": [-1, 2, 3, 4, 5, 6, 7, 8, 9],
        }
    )
    rows = list(csv.reader(stdio.StringIO(io.export_csv(frame), newline="")))
    assert rows[0] == ["name", "'=n"]
    assert [r[0] for r in rows[1:]] == ["'=1+1", "'+x", "'-2", "'@SUM(A1)", "'\tx", "'\rq"] + [
        "ok",
        "a-b",
        "",
    ]
    assert [r[1] for r in rows[1:]] == ["-1", "2", "3", "4", "5", "6", "7", "8", "9"]
    assert io.csv_bytes(frame) == io.export_csv(frame).encode("utf-8")


def test_formulas_behind_white_space_or_in_full_width_forms_get_a_leading_quote_too():
    """' =1' (a spreadsheet may trim it), '\n=1' and the full-width '＝1' (typed by an East Asian
    input method) went out as they came; a dash or a space inside a cell is no formula."""
    cells = [" =1+1", "\n=HYPERLINK(x)", "＝1+1", "\u3000＠SUM(A1)", "\u00a0+x", " －2", "\nok"]
    frame = pl.DataFrame({"name": [*cells, "a =b", "ok -", " x"], " =n": list(range(10))})
    rows = list(csv.reader(stdio.StringIO(io.export_csv(frame), newline="")))
    assert rows[0] == ["name", "' =n"]
    assert [r[0] for r in rows[1:]] == [f"'{c}" for c in cells] + ["a =b", "ok -", " x"]


def test_a_header_made_inert_may_be_another_columns_name():
    """'=a' made inert is "'=a", which another column already had: the export failed (polars'
    DuplicateError on the rename)."""
    frame = pl.DataFrame({"=a": ["x"], "'=a": ["y"], "b,c": ["z"], "\r=z": ["q"]})
    rows = list(csv.reader(stdio.StringIO(io.export_csv(frame), newline="")))
    # A name with a line break in it stays one quoted name, as a cell would.
    assert rows == [["'=a", "'=a", "b,c", "'\r=z"], ["x", "y", "z", "q"]]
    assert io.export_csv(pl.DataFrame()) == pl.DataFrame().write_csv()


def test_categorical_and_enum_cells_are_neutralised_as_text_is():
    frame = pl.DataFrame({"cat": ["=1+1", "ok"], "enum": ["@SUM(A1)", "ok"]}).with_columns(
        pl.col("cat").cast(pl.Categorical), pl.col("enum").cast(pl.Enum(["@SUM(A1)", "ok"]))
    )
    rows = list(csv.reader(stdio.StringIO(io.export_csv(frame))))
    assert rows == [["cat", "enum"], ["'=1+1", "'@SUM(A1)"], ["ok", "ok"]]


def test_the_headless_csv_neutralises_formulas_from_the_data(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_id,customer_id,order_date,amount,sku\n"
        '1,c1,2024-01-05,10.0,=HYPERLINK("http://x")\n'
        "2,c2,2024-01-06,20.0,plain\n"
        "3,c1,2024-02-06,5.0,plain\n",
        encoding="utf-8",
    )
    done = run("sales", str(path), "--format", "csv", "--table", "top_items")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(stdio.StringIO(done.stdout)))
    names = {r["item_name"] for r in rows if r.get("item_name")}
    assert '\'=HYPERLINK("http://x")' in names
    assert not any(v.startswith("=") for r in rows for v in r.values())


def test_the_headless_json_has_no_bare_nan(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_id,customer_id,order_date,amount\n1,c1,2024-01-05,10.0\n",
        encoding="utf-8",
    )
    done = run("sales", str(path), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert "NaN" not in done.stdout
    json.loads(done.stdout)  # strict parsing below: NaN would be accepted by json.loads
    json.loads(done.stdout, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))


def test_floats_are_written_to_15_significant_digits_without_a_sums_last_bit_noise(tmp_path):
    """A customer's revenue of 10.1, 20.2 and 30.3 was written 60.599999999999994 (0.1 + 0.2 as
    0.30000000000000004) in the CLI's JSON and every CSV export."""
    # 9855.890000000005 is 9855.8900000000048...: polars' round_sig_figs made it 9855.89000000001.
    sums = [0.1 + 0.2, 10.1 + 20.2 + 30.3, 1 / 3, 1e-20, None, 9855.890000000005]
    frame = pl.DataFrame({"revenue": sums, "n": [1, 2, 3, 4, 5, 6]})
    assert 0.1 + 0.2 != 0.3 and 10.1 + 20.2 + 30.3 != 60.6  # the noise, in Python too
    rows = list(csv.reader(stdio.StringIO(io.export_csv(frame))))
    written = ["0.3", "60.6", "0.333333333333333", "1e-20", "", "9855.89"]
    assert [r[0] for r in rows[1:]] == written
    # A document of nested values (as inspect prints) rounds as the rows of a table do.
    document = "".join(cli._json({"kpis": {"revenue": sums}, "rows": frame}))
    assert json.loads(document)["kpis"]["revenue"] == [
        0.3,
        60.6,
        0.333333333333333,
        1e-20,
        None,
        9855.89,
    ]
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_id,customer_id,order_date,amount\n"
        "1,c1,2024-01-05,10.1\n2,c1,2024-01-06,20.2\n3,c1,2024-01-07,30.3\n",
        encoding="utf-8",
    )
    for command in ("rfm", "sales"):
        done = run(command, str(path), "--format", "json")
        assert done.returncode == 0, done.stderr
        noise = ("60.599999999999994", "9999999999", "0000000001", "0000000004")
        assert not any(n in done.stdout for n in noise)
    customers = json.loads(run("rfm", str(path)).stdout)["customers"]
    assert customers[0]["monetary"] == 60.6
