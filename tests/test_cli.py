"""The headless twin: `python -m lib inspect|demo` as a script would call it."""

import importlib
import inspect
import json
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from lib import demo, fmt, formats, recipe
from lib.__main__ import DEMO_MIN_ROWS, DEMOS
from lib.analyses import movement, rfm
from tests.apptest import demo_lines, files_page, texts
from tests.conftest import shared_file

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lib", *args],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_inspect_prints_format_tables_and_findings_of_the_real_online_retail():
    out = run(
        "inspect", str(shared_file("online_retail/online_retail.parquet")), "--format", "json"
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["format"] == "retail"
    assert result["tables"]["lines"] == 541_909
    counts = {f["rule"]: f["count"] for f in result["findings"]}
    assert counts["cancellations"] == 9_290  # 9,288 C invoices, 2 bad-debt lines (A563186/7)
    assert counts["missing_customer"] == 135_080
    assert {"rule", "severity", "count", "share", "share_of"} <= set(result["findings"][0])
    assert {f["share_of"] for f in result["findings"] if f["table"] == "lines"} == {"lines"}
    # The title and why it matters, with the finding's detail, as the Data quality page says it
    # (the real-data audit: the CLI gave rule ids and counts only). The limit of an extreme
    # quantity: 50 times the median absolute quantity of every line, 3, in pandas.
    quantity = pd.read_parquet(shared_file("online_retail/online_retail.parquet"))["Quantity"]
    assert quantity.abs().median() == 3
    extreme = next(f for f in result["findings"] if f["rule"] == "extreme_quantity")
    assert extreme["title"] == "Extreme quantities"
    assert extreme["why"].endswith("(a quantity above 150 or below -150).")


def test_demo_writes_the_source_files_that_inspect_reads_back(tmp_path):
    out = run("demo", "--kind", "retail", "--rows", "2000", "--seed", "3", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    expected = demo.demo("retail", rows=2000, seed=3)
    written = tmp_path / "online_retail.csv"
    assert written.exists()
    result = json.loads(run("inspect", str(written)).stdout)
    assert result["tables"]["lines"] == 2000
    counts = {f["rule"]: f["count"] for f in result["findings"]}
    assert counts.get("cancellations", 0) == expected.planted["cancellations"]


def test_an_unreadable_file_is_one_line_on_stderr_and_exit_status_2(tmp_path):
    bad = tmp_path / "orders.csv"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    out = run("inspect", str(bad))
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.count("\n") == 1 and "orders.csv" in out.stderr and "PNG" in out.stderr


def test_a_missing_file_is_named_with_exit_status_2(tmp_path):
    out = run("inspect", str(tmp_path / "nope.csv"))
    assert out.returncode == 2 and "nope.csv: no such file" in out.stderr


def test_control_characters_from_a_file_never_reach_the_terminal(tmp_path):
    """Hostile upload (helper 165): a header 'pr<ESC>[2Kice' was written to stderr as is, an
    escape sequence the terminal acts on (erase the line). Names from files are written with
    their control characters as visible escapes, in notes and in one-line refusals alike."""
    sales = tmp_path / "sales.csv"
    sales.write_text(
        "InvoiceNo,InvoiceDate,CustomerID,Quantity,pr\x1b[2Kice\n"
        + "".join(f"A{i},2023-01-0{1 + i % 9} 10:00,C{i % 5},2,3.5\n" for i in range(40))
    )
    out = run("rfm", str(sales))
    assert "pr\\x1b[2Kice" in out.stderr and "\x1b" not in out.stderr
    missing = run("inspect", str(tmp_path / "no\x1b]0;owned\x07.csv"))
    assert missing.returncode == 2
    assert "no\\x1b]0;owned\\x07.csv: no such file" in missing.stderr
    assert "\x1b" not in missing.stderr and "\x07" not in missing.stderr
    assert fmt.printable("a\tb\nc\rd\x9b") == "a\tb\nc\\x0dd\\x9b"


# --- the analyses of issue #17 and rfm --compare-as-of -----------------------------------------


def run_json(*args: str) -> dict:
    out = run(*args, "--format", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def purchase_lines(lines: pl.DataFrame) -> pl.DataFrame:
    """The purchases the analyses count, by the published cleaning: lines with a customer,
    no cancellation or return, exact duplicates once, positive quantity and unit price."""
    return (
        lines.filter(pl.col("customer_id").is_not_null() & ~pl.col("is_return"))
        .unique(maintain_order=True)
        .filter((pl.col("quantity") > 0) & (pl.col("unit_price") > 0))
    )


def close(rows: list[dict]) -> list:
    """`rows` for an == that allows float sums added in another order."""
    return [pytest.approx(row) for row in rows]


def before(day: date) -> pl.Expr:
    return pl.col("ordered_at") < datetime.combine(day, time.min)


def test_help_lists_each_analysis_command_and_its_options():
    listed = run("--help").stdout
    assert all(c in listed for c in ("movement", "bridge", "lateness", "churn"))
    options = {
        "movement": ("--compare-as-of", "--as-of"),
        "bridge": ("--previous", "--current"),
        "lateness": ("--months",),
        "churn": ("--quantile",),
        "rfm": ("--compare-as-of", "--as-of", "--bins"),
    }
    for command, names in options.items():
        out = run(command, "--help")
        assert out.returncode == 0, out.stderr
        assert all(n in out.stdout for n in names), (command, out.stdout)


def test_every_option_of_every_analysis_says_in_its_help_what_it_takes_and_its_default():
    """--help explains each option: what the page's control accepts (recipe.LIMITS: a range,
    the choices) and the default the command runs with (the headless function's)."""
    from lib.__main__ import ANALYSES, parser

    for command in ANALYSES:
        module = importlib.import_module(f"lib.analyses.{command}")
        defaults = {
            p.name: p.default
            for p in list(inspect.signature(module.headless).parameters.values())[1:]
        }
        actions = {
            a.dest: a
            for a in parser(command)._subparsers._group_actions[0].choices[command]._actions
        }
        for name, default in defaults.items():
            said = actions[name].help
            assert said, (command, name)
            if default not in ("", None) and not isinstance(default, bool):
                assert (
                    f"(default: {default:g})" in said
                    if isinstance(default, float)
                    else (f"(default: {default})" in said)
                ), (command, name, said)
            spec = recipe.LIMITS.get(command, {}).get(name)
            if isinstance(spec, tuple) and isinstance(spec[0], int):  # its top, at least
                assert f"{spec[1]}" in said, (command, name, said)
            elif isinstance(spec, str) and spec.isupper():
                assert all(f"{c}" in said for c in getattr(module, spec)), (command, name, said)
        assert actions["files"].help, command
    rfm_help = run("rfm", "--help").stdout
    assert "--clean, --no-clean" in rfm_help and "(default: on)" in rfm_help


def test_movement_follows_every_customer_with_a_purchase_before_the_later_date():
    first, second = date(2023, 9, 10), date(2023, 12, 10)
    result = run_json(
        "movement", "--demo", "retail", "--compare-as-of", str(first), "--as-of", str(second)
    )
    bought = purchase_lines(demo_lines("retail")[0])
    buyers = set(bought.filter(before(second))["customer_id"])
    earlier = set(bought.filter(before(first))["customer_id"])
    window = set(bought.filter(before(second) & ~before(first))["customer_id"])
    # Every row read before the columns are typed: the new customers come first, and their
    # scores at the earlier date are null (they had no purchase then), so a frame typed from the
    # first 100 rows took those columns for all-null ones.
    customers = pl.DataFrame(result["customers"], infer_schema_length=None)
    assert customers.height == len(buyers) == customers["customer_id"].n_unique()
    moves = pl.DataFrame(result["movements"])
    assert moves["customers"].sum() == len(buyers)
    gone = moves.filter(pl.col("to_segment") == "gone")["customers"].sum()
    assert gone == len(earlier - window)
    new = moves.filter(pl.col("from_segment") == "new")["customers"].sum()
    assert new == len(buyers - earlier) > 0  # the demo's customers join all year
    # Scored at the earlier date: exactly the customers who had bought before it.
    unscored = customers.filter(
        pl.col("first_r_score").is_null() | pl.col("first_f_score").is_null()
    )
    assert set(unscored["customer_id"]) == buyers - earlier
    assert set(customers.filter(pl.col("from_segment") == "new")["customer_id"]) == buyers - earlier
    # Both measures of the flows: customers add up to the table's, revenue to the window's.
    flows = pl.DataFrame(result["flows"])
    assert flows.filter(pl.col("measure") == "customers")["value"].sum() == len(buyers)
    revenue = flows.filter(pl.col("measure") == "revenue")["value"].sum()
    assert revenue == pytest.approx(moves["revenue"].sum(), rel=1e-9)


def test_bridge_steps_add_up_to_the_change_in_revenue_between_the_two_quarters():
    result = run_json(
        "bridge", "--demo", "marketplace", "--previous", "2024Q1", "--current", "2024Q2"
    )
    bought = purchase_lines(demo_lines("marketplace")[0])
    q1 = bought.filter(~before(date(2024, 1, 1)) & before(date(2024, 4, 1)))["revenue"].sum()
    q2 = bought.filter(~before(date(2024, 4, 1)) & before(date(2024, 7, 1)))["revenue"].sum()
    steps = pl.DataFrame(result["steps"])
    totals = dict(steps.filter(pl.col("kind") == "total").select("step", "value").iter_rows())
    assert totals["previous"] == pytest.approx(q1, rel=1e-9)
    assert totals["current"] == pytest.approx(q2, rel=1e-9)
    moved = steps.filter(pl.col("kind") == "step")["value"].sum()
    assert moved == pytest.approx(q2 - q1, rel=1e-9, abs=1e-6)
    # Without periods: the last two full quarters, the same ones here (the data ends in August).
    assert run_json("bridge", "--demo", "marketplace")["steps"] == close(result["steps"])


def test_lateness_groups_count_the_customers_whose_first_order_was_delivered():
    result = run_json("lateness", "--demo", "marketplace", "--months", "3")
    bought = purchase_lines(demo_lines("marketplace")[0])
    customers = pl.DataFrame(result["customers"], infer_schema_length=None)
    assert customers.height == bought["customer_id"].n_unique()
    groups = dict(pl.DataFrame(result["groups"]).select("group", "customers").iter_rows())
    observed = customers.filter(pl.col("observed") & pl.col("group").is_not_null())
    assert groups == dict(observed.group_by("group").len().iter_rows())
    assert groups["late"] > 0 and groups["on time"] > groups["late"]
    # A longer follow-up leaves the customers of the data's last months unobserved.
    longer = pl.DataFrame(run_json("lateness", "--demo", "marketplace")["groups"])
    assert longer["customers"].sum() < sum(groups.values())
    out = run("lateness", "--demo", "retail")
    assert out.returncode == 2 and "needs delivery dates" in out.stderr


def test_a_missing_category_or_region_is_explained_in_general_words_without_olist_files():
    """Olist's file is named only to those who loaded Olist files."""
    out = run("categories", "--demo", "retail")
    assert out.returncode == 2 and "map a category column" in out.stderr
    assert "olist" not in out.stderr.lower()
    out = run("regions", "--demo", "webshop")
    assert out.returncode == 2 and "map a country or state column" in out.stderr
    assert "olist" not in out.stderr.lower()


def test_churn_window_is_the_gap_within_which_the_share_of_repeat_purchases_came():
    result = run_json("churn", "--demo", "marketplace", "--quantile", "0.75")
    days = (
        purchase_lines(demo_lines("marketplace")[0])
        .select("customer_id", pl.col("ordered_at").dt.date().alias("day"))
        .unique()
        .sort("customer_id", "day")
    )
    gaps = (
        days.with_columns(pl.col("day").diff().over("customer_id").dt.total_days().alias("gap"))
        .drop_nulls("gap")["gap"]
        .sort()
        .to_list()
    )
    windows = {w["quantile"]: w for w in result["windows"]}
    assert set(windows) == {0.75, 0.8, 0.9}
    for share, window in windows.items():
        smallest = next(g for g in gaps if sum(x <= g for x in gaps) >= share * len(gaps))
        assert window["days"] == smallest
        assert window["repeat_purchases"] == len(gaps)


def test_rfm_compare_as_of_gives_the_movement_commands_tables():
    result = run_json("rfm", "--demo", "retail", "--compare-as-of", "2023-09-10")
    ds = formats.assemble_demo("retail").dataset
    expected = movement.headless(ds, compare_as_of="2023-09-10")
    assert result["movements"] == close(expected["movements"].to_dicts())
    assert len(result["movement_customers"]) == expected["customers"].height
    assert result["flows"] == close(expected["flows"].to_dicts())
    # The later date is rfm's as-of: the customers rfm scores are the movement's customers.
    assert {c["customer_id"] for c in result["customers"]} == {
        c["customer_id"] for c in result["movement_customers"]
    }
    assert "movements" not in run_json("rfm", "--demo", "retail")
    # With 3 bins, the movement reads the 3-bin rules.
    three = run_json("rfm", "--demo", "retail", "--bins", "3", "--compare-as-of", "2023-09-10")
    named = set(rfm.segment_order(rfm.default_rules(3))) | {"new", "gone"}
    moves = three["movements"]
    assert {m["to_segment"] for m in moves} | {m["from_segment"] for m in moves} <= named


def test_a_calibration_end_leaving_no_calibration_or_holdout_gives_the_datas_range():
    """Before the data, clv said 'No customer bought more than once'; after it, that no holdout
    was left: one line with status 2 giving the data's dates, as the other date options."""
    lines = formats.assemble_demo("retail").dataset.tables["lines"]["ordered_at"]
    first, last = lines.min().date(), lines.max().date()
    runs = f"the data runs {fmt.day(first)} – {fmt.day(last)}"
    for day, said in (
        (first - timedelta(days=30), "no calibration period up to"),
        (last, "no holdout period after"),
    ):
        out = run("clv", "--demo", "retail", "--calibration-end", day.isoformat())
        assert out.returncode == 2, out.stderr
        assert out.stderr == f"clv: {said} {fmt.day(day)} (--calibration-end): {runs}\n"


def test_rfm_as_of_past_the_data_is_said_on_stderr_as_the_page_says_it():
    """An as-of date past the data: the page and the report warned, the command said nothing,
    loaded (the demo) or from summaries (Online Retail's parquet)."""
    last = formats.assemble_demo("retail").dataset.tables["lines"]["ordered_at"].max().date()
    out = run("rfm", "--demo", "retail", "--as-of", str(last + timedelta(days=11)))
    assert out.returncode == 0, out.stderr
    assert "note: The as-of date is 10 days past the day after the last order" in out.stderr
    assert "past the day after" not in run("rfm", "--demo", "retail").stderr
    # Online Retail ends on 9 Dec 2011: from 10 Dec 2011 up to 1 Jan 2013, 22 + 366 days.
    path = shared_file("online_retail/online_retail.parquet")
    out = run("rfm", str(path), "--as-of", "2013-01-01")
    assert out.returncode == 0, out.stderr
    assert "The as-of date is 388 days past the day after the last order in the data (9 Dec " in (
        out.stderr
    )


def test_regions_when_nothing_sold_in_the_last_months_read_every_region_down_100_percent(
    tmp_path,
):
    """Orders from January to mid-June 2024, then one without a region on 20 Oct: the last
    three full months (Jul-Sep) sold nothing, so the whole data's growth is -100%, which
    comparing each region with it took the logarithm of (a 'math domain error' on the page and
    here)."""
    rows = ["order_id,customer_id,order_date,amount,country"]
    previous: dict[str, float] = {}
    for i in range(60):
        day, amount, country = (
            date(2024, 1, 1) + timedelta(days=i * 3 % 170),
            10 + i * 7 % 90,
            ["PT", "ES", "FR"][i % 3],
        )
        rows.append(f"O{i},C{i * 7 % 15},{day},{amount},{country}")
        if date(2024, 4, 1) <= day < date(2024, 7, 1):
            previous[country] = previous.get(country, 0.0) + amount
    rows.append("X0,D0,2024-10-20,1,")
    path = tmp_path / "gap.csv"
    path.write_text("\n".join(rows) + "\n")
    got = {r["region"]: r for r in run_json("regions", str(path))["regions"]}
    for country, revenue in previous.items():
        assert (got[country]["revenue_prev"], got[country]["revenue_last"]) == (revenue, 0.0)
        assert got[country]["growth"] == -1.0
    # The page too (it said "could not finish with this data").
    at = files_page({"gap.csv": pl.read_csv(path)}, "regions", "gap", guessed=True)
    assert "Growth compares Jul–Sep 2024 vs Apr–Jun 2024" in texts(at)


def test_parquet_polars_cannot_scan_is_one_line_on_stderr_in_a_folder_and_read_alone(tmp_path):
    """Repeated column names gave a traceback (polars' DuplicateError); times with a fixed UTC
    offset made polars panic (a Rust backtrace), even where the file was then read whole."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "dup"
    folder.mkdir()
    ids = [pa.array(["O1", "O2"]), pa.array(["c1", "c2"]), pa.array(["2024-01-01", "2024-01-02"])]
    pq.write_table(
        pa.Table.from_arrays(ids, names=["order_id", "order_id", "ordered_at"]),
        folder / "a.parquet",
    )
    out = run("rfm", str(folder))
    assert out.returncode == 2
    assert out.stderr == (
        "rfm: a.parquet: two columns are named 'order_id', which a lazy read cannot take: give "
        "this file alone (read as the app reads it), or write it again without that\n"
    )
    times = pd.to_datetime(["2024-01-01T10:00+05:30"] * 150_000)
    frame = pd.DataFrame({"order_id": range(150_000), "customer_id": "c", "ordered_at": times})
    frame["revenue"] = 1.0
    frame.to_parquet(tmp_path / "offset.parquet")
    out = run("rfm", str(tmp_path / "offset.parquet"), "--format", "json")
    assert out.returncode == 0, out.stderr
    assert "panicked" not in out.stderr
    assert json.loads(out.stdout)["customers"][0]["last_order"] == "2024-01-01"


def test_rfm_compare_as_of_not_before_as_of_is_one_line_on_stderr_and_exit_status_2():
    out = run("rfm", "--demo", "retail", "--as-of", "2023-06-01", "--compare-as-of", "2023-06-01")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr == "rfm: compare_as_of (2023-06-01) must come before as_of (2023-06-01)\n"
    out = run("rfm", "--demo", "retail", "--compare-as-of", "10/09/2023")
    assert out.returncode == 2 and "write it as YYYY-MM-DD" in out.stderr


def test_a_recipes_rules_rename_the_segments_of_the_movement_too(tmp_path):
    rules = rfm.default_rules(5).with_columns(
        pl.when(pl.col("segment") == "champions")
        .then(pl.lit("stars"))
        .otherwise(pl.col("segment"))
        .alias("segment")
    )
    path = tmp_path / "recipe.toml"
    path.write_text(recipe.to_toml(recipe.make(rules=rules, demo="retail")), encoding="utf-8")
    result = run_json("rfm", "--recipe", str(path), "--compare-as-of", "2023-09-10")
    plain = run_json("rfm", "--demo", "retail", "--compare-as-of", "2023-09-10")
    renamed = [
        {**m, **{k: "stars" for k in ("from_segment", "to_segment") if m[k] == "champions"}}
        for m in plain["movements"]
    ]
    assert result["movements"] == close(renamed)
    # A view within a page (no recipe settings of its own) takes the recipe's data.
    replayed = run_json("movement", "--recipe", str(path))
    assert replayed["movements"] == close(run_json("movement", "--demo", "retail")["movements"])


# --- warnings of a guessed mapping (issue #15) --------------------------------------------------


def test_a_guessed_mapping_says_on_stderr_what_it_used_and_what_looks_wrong(tmp_path):
    # 'order' holds customers: a, b, c and d come back on other dates.
    path = tmp_path / "till.csv"
    pl.DataFrame(
        {
            "order": ["a", "a", "a", "b", "b", "c", "c", "d", "d", "e"],
            "date": [f"2024-03-{d:02d}" for d in range(1, 11)],
            "amount": [
                "5.50",
                "3.20",
                "9.99",
                "1.25",
                "7.00",
                "2.50",
                "4.75",
                "8.10",
                "6.60",
                "3.30",
            ],
        }
    ).write_csv(path)
    out = run("inspect", str(path), "--format", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["tables"]["lines"] == 10
    said = out.stderr.splitlines()
    assert said[0] == (
        "note: till.csv: columns mapped by guess: order_id <- order, ordered_at <- date, "
        "revenue <- amount"
    )
    assert said[1].startswith(
        "warning: till.csv: 4 of 5 order ids in 'order' appear on more than one date, but an "
        "order has one date: 'order' looks like a customer id."
    )
    assert all(line.startswith("warning: till.csv: ") for line in said[1:])


def test_an_analysis_says_on_stderr_what_the_loader_skipped_and_left_out(tmp_path):
    """rfm on these files printed its table and nothing else: the skipped notes sheet and the
    line left out for its unreadable date were said only by `inspect` and the Data page."""
    lines = tmp_path / "lines.csv"
    lines.write_text(
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        "1,A,x,2,2011-01-05 10:00,3.5,100,UK\n"
        "2,A,x,1,notadate,3.5,101,UK\n"
        "3,B,y,1,2011-02-05 10:00,2.0,100,UK\n"
        "4,B,y,1,2011-03-05 10:00,2.0,101,UK\n",
        encoding="utf-8",
    )
    sheet = tmp_path / "notes.csv"
    sheet.write_text("note\nhello\n", encoding="utf-8")
    out = run("rfm", str(lines), str(sheet), "--format", "json")
    assert out.returncode == 0, out.stderr
    said = out.stderr.splitlines()
    assert "note: skipped notes.csv: not a known export" in said[0]
    assert any(
        s.startswith("note: lines.csv: 1 of 4 rows without ordered_at were left out") for s in said
    )
    # Customer 100: 2 x 3.5 and 2.0; customer 101: 2.0 (its undated line is left out).
    found = {c["customer_id"]: c for c in json.loads(out.stdout)["customers"]}
    assert {k: (c["frequency"], c["monetary"]) for k, c in found.items()} == {
        "100": (2, 9.0),
        "101": (1, 2.0),
    }


def test_a_command_imports_only_the_analysis_it_runs():
    """rfm and cohorts need neither scikit-learn nor lifetimes: building the other commands'
    options must not import them (seconds of start-up for every run)."""
    code = (
        "import sys, contextlib, io; from lib.__main__ import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['rfm', '--demo', 'retail'])\n"
        "print(sorted(m for m in ('sklearn', 'lifetimes', 'lib.analyses.clusters') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_rfm_on_a_file_builds_only_lines_and_never_imports_the_demos(tmp_path):
    """A summarised command on a file builds only lines (Online Retail's orders, customers and
    items go unbuilt) and never imports the demos' generators (0.02 s of every start)."""
    path = tmp_path / "lines.csv"
    pl.DataFrame(
        {
            "InvoiceNo": ["1", "2", "3"],
            "StockCode": ["A", "B", "A"],
            "Description": ["a", "b", "a"],
            "Quantity": [1, 2, 3],
            "InvoiceDate": ["2010-12-01 08:00", "2010-12-05 09:00", "2011-01-03 10:00"],
            "UnitPrice": [2.0, 1.5, 2.0],
            "CustomerID": [17850.0, 14527.0, 17850.0],
            "Country": ["United Kingdom"] * 3,
        }
    ).write_csv(path)
    code = (
        "import json, sys, contextlib, io\n"
        "from lib import __main__ as cli\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    cli.main(['rfm', {str(path)!r}])\n"
        "rows = json.loads(out.getvalue())['customers']\n"
        "print(sorted((r['customer_id'], r['frequency'], r['monetary']) for r in rows))\n"
        "print('lib.demo' in sys.modules)\n"
        f"print(sorted(cli.load([{str(path)!r}], needs=cli.tables_read('rfm')).dataset.tables))\n"
        f"print(sorted(cli.load([{str(path)!r}]).dataset.tables))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines() == [
        "[('14527', 1, 3.0), ('17850', 2, 8.0)]",  # 1 x 2.0 + 3 x 2.0; 2 x 1.5
        "False",
        "['lines']",
        "['customers', 'items', 'lines', 'orders']",
    ]


def test_the_cli_offers_every_demo_kind():
    assert (*demo.KINDS, *demo.PLATFORM_KINDS) == DEMOS
    assert demo.MIN_ROWS == DEMO_MIN_ROWS


def test_demo_and_inspect_explain_their_options_and_refuse_what_they_cannot_take(tmp_path):
    """`demo --rows 10`, `--seed -1`, `--out` on a file and `report --out` on a folder ended in a
    traceback (ValueError, FileExistsError, IsADirectoryError); demo's and inspect's options had
    no help."""
    from lib.__main__ import parser

    for command in ("demo", "inspect"):
        sub = parser(command)._subparsers._group_actions[0].choices[command]
        assert all(a.help for a in sub._actions), command
    taken = tmp_path / "taken.csv"
    taken.write_text("x\n")
    refused = {
        ("demo", "--rows", "10", "--out", str(tmp_path)): "at least 500, not 10",
        ("demo", "--seed", "-1", "--out", str(tmp_path)): "at least 0, not -1",
        ("demo", "--rows", "many", "--out", str(tmp_path)): "at least 500, not many",
        ("demo", "--rows", "500", "--out", str(taken)): f"{taken}: cannot write there",
        ("report", "--demo", "retail", "--pages", "rfm", "--out", str(tmp_path)): (
            f"{tmp_path}: cannot write there (Is a directory): choose another --out"
        ),
    }
    for words, said in refused.items():
        out = run(*words)
        assert out.returncode == 2 and "Traceback" not in out.stderr, (words, out.stderr)
        assert said in out.stderr, (words, out.stderr)
    assert taken.read_text() == "x\n"


def test_json_output_is_the_indented_json_of_every_row_nan_and_infinity_as_null():
    from lib.__main__ import _json

    odd = pl.DataFrame(
        {
            "text": ['say "hi"\\', "été\n\0", None],
            "number": [float("nan"), float("inf"), -0.5],
            "small": pl.Series([1.5, None, float("-inf")], dtype=pl.Float32),
            "day": [date(2011, 12, 9), None, date(2010, 12, 1)],
            "at": [datetime(2011, 12, 9, 12, 50, 0, 7), None, datetime(2010, 12, 1)],
            "flag": [True, None, False],
            "count": [1, None, -3],
        }
    )
    tables = {"odd": odd, "none": odd.clear(), "nested": pl.DataFrame({"list": [[1, 2]]})}
    rows = [
        {
            "text": 'say "hi"\\',
            "number": None,
            "small": 1.5,
            "day": "2011-12-09",
            "at": "2011-12-09 12:50:00.000007",
            "flag": True,
            "count": 1,
        },
        {k: ("été\n\0" if k == "text" else None) for k in odd.columns},
        {
            "text": None,
            "number": -0.5,
            "small": None,
            "day": "2010-12-01",
            "at": "2010-12-01 00:00:00",
            "flag": False,
            "count": -3,
        },
    ]
    expected = {"odd": rows, "none": [], "nested": [{"list": [1, 2]}]}
    for result in ({"odd": odd, "none": tables["none"]}, tables):
        text = "".join(_json(result))  # written part by part, a line end last
        assert json.loads(text) == {name: expected[name] for name in result}
        assert text == json.dumps(json.loads(text), indent=2) + "\n"


def test_a_file_neither_known_nor_mappable_is_refused_in_one_sentence(tmp_path):
    """It read "not a known export and No column is chosen for ordered_at": a capital mid-
    sentence, and the field's key where the Data page says "Order date"."""
    file = tmp_path / "ab.csv"
    file.write_text("a,b\n1,2\n", encoding="utf-8")
    out = run("sales", str(file))
    assert out.returncode == 2
    assert out.stderr == (
        f"{file.name}: not a known export and no column is chosen as the order date: pick the "
        "column that holds each order's date.\n"
    )


def test_rfm_compare_as_of_learns_nothing_after_its_dates_as_movement_does():
    """1 Mar to 1 Jun 2023 on the retail demo: rfm's movement cleaned every line first, so a
    later cancellation took money from the window (£283,919.45 against £284,059.22)."""
    ds = formats.assemble_demo("retail").dataset
    pair = {"compare_as_of": "2023-03-01", "as_of": "2023-06-01"}
    got = rfm.headless(ds, **pair)["movements"]
    expected = movement.headless(ds, **pair)["movements"]
    # Sums of money add up in another order from run to run: equal to their last digits.
    assert_frame_equal(got, expected, rel_tol=1e-9, abs_tol=1e-9)
    # The window's revenue from the lines before 1 Jun, cleaned as they stood then.
    cut = ds.tables["lines"].filter(pl.col("ordered_at") < datetime(2023, 6, 1))
    window = movement.purchase_orders(cut).filter(pl.col("ordered_at") >= datetime(2023, 3, 1))
    assert got["revenue"].sum() == pytest.approx(window["revenue"].sum())


def test_clv_help_says_the_discount_is_a_monthly_fraction():
    """The page takes 1 (%/month), the CLI 0.01: `--discount 2` read as 200% a month."""
    out = run("clv", "--help")
    assert out.returncode == 0
    assert "per month, as a fraction: 0.01 is the page's 1%" in " ".join(out.stdout.split())


def test_categories_says_on_stderr_what_lines_without_a_category_hold(tmp_path):
    """o1 (10 of 100) has no category: the table holds toys alone, at 90% of the revenue."""
    till = tmp_path / "till.csv"
    till.write_text(
        "order,date,customer,amount,category\n"
        "o1,2024-01-05,c1,10.00,\no2,2024-01-06,c2,30.00,toys\no3,2024-02-07,c1,60.00,toys\n"
    )
    out = run("categories", str(till))
    assert out.returncode == 0, out.stderr
    table = json.loads(out.stdout)["categories"]
    assert [(row["category"], row["share"]) for row in table] == [("toys", 0.9)]
    assert "note: Lines without a category (10 net revenue, 10.0% of the total, 1 order)" in (
        out.stderr
    )


def test_orders_all_cancelled_are_said_to_hold_no_sale(tmp_path):
    files = demo.demo("marketplace").files
    cancelled = pl.lit("canceled").alias("order_status")
    orders = files["olist_orders_dataset.csv"].with_columns(cancelled)
    paths = []
    for name, frame in {**files, "olist_orders_dataset.csv": orders}.items():
        frame.write_csv(tmp_path / name)
        paths.append(str(tmp_path / name))
    lines = files["olist_order_items_dataset.csv"].height
    for command in ("sales", "bridge", "rfm"):
        out = run(command, *paths)
        assert out.returncode == 2
        assert f"{command}: all {lines:,} order lines belong to cancelled" in out.stderr
    # Delivery reads the orders, not their lines: it runs and counts no delivered order.
    kpis = {k["kpi"]: k["value"] for k in run_json("delivery", *paths)["kpis"]}
    assert kpis["delivered orders"] == 0 and kpis["on-time rate"] is None


def test_files_that_make_no_table_say_why_before_the_command_fails(tmp_path):
    """Olist's order items alone: the pages say they ask for the orders file; the command said
    only "the data set has no lines table"."""
    items = tmp_path / "olist_order_items_dataset.csv"
    items.write_text(
        "order_id,order_item_id,product_id,seller_id,shipping_limit_date,price,freight_value\n"
        "0009792311464db532ff765bf7b182ae,1,8cab8abac59158715e0d70a36c807415,"
        "530ec6109d11eaaf87999465c6afee01,2018-08-17 12:15:10,99.9,27.65\n",
        encoding="utf-8",
    )
    done = run("sales", str(items))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "note: olist_order_items_dataset.csv: order items have no purchase dates of their own: "
        "upload olist_orders_dataset.csv to analyse sales",
        "sales: the data set has no lines table",
    ]


def _retail_csv(path: Path, purchases: list[tuple[int, datetime]]) -> Path:
    """A retail CSV of one line per (customer, time), £10 each."""
    frame = pl.DataFrame(
        {
            "InvoiceNo": [str(500000 + i) for i in range(len(purchases))],
            "StockCode": ["A"] * len(purchases),
            "Description": ["thing"] * len(purchases),
            "Quantity": [1] * len(purchases),
            "InvoiceDate": [t.strftime("%Y-%m-%d %H:%M") for _, t in purchases],
            "UnitPrice": [10.0] * len(purchases),
            "CustomerID": [float(c) for c, _ in purchases],
            "Country": ["UK"] * len(purchases),
        }
    )
    frame.write_csv(path)
    return path


def test_clv_says_it_is_the_calibration_period_that_lacks_repeat_buyers(tmp_path):
    """`clv` said "Only 3 customers bought more than once" of data where 12 had, and "No
    customer bought more than once" where all 30 had: it counted the holdout's calibration
    period and spoke of the whole data. Then it refused where the page shows the whole
    history's customers and says why its Holdout check view has none: it gives them too, with
    that note, and leaves out the holdout's tables."""
    # 12 customers buy on 1 March 2023 and again i + 1 days later: the last purchase is on
    # 13 March; 13 days of history allow a holdout of 6 (half), so the calibration ends on
    # 7 March, by which customers 0..5 (second purchase 2..7 March) had bought again. The
    # tenth second purchase is on 11 March.
    start = datetime(2023, 3, 1, 10)
    twelve = [(c, start + timedelta(days=d)) for c in range(12) for d in (0, c + 1)]
    out = run("clv", str(_retail_csv(tmp_path / "twelve.csv", twelve)))
    assert out.returncode == 0, out.stderr
    assert "bought more than once" not in out.stderr
    assert (
        "note: The whole history's 12 repeat buyers are enough to fit BG/NBD, but its holdout "
        "check cannot be made. Up to the calibration end, 7 Mar 2023, "
        "only 6 customers had bought on two days or more (12 had by the last purchase, 13 Mar "
        "2023): the holdout check fits the purchase models on the calibration period alone, "
        "and they need at least 10 repeat buyers there. Set the calibration end on 11 Mar 2023 "
        "or later (before 13 Mar 2023): by then 10 customers had bought again.\n"
    ) in out.stderr
    tables = json.loads(out.stdout)
    assert set(tables) == {"customers", "parameters", "sufficiency"}
    assert sorted(r["customer_id"] for r in tables["customers"]) == sorted(
        str(c) for c in range(12)
    )
    # A recipe's settings read the same data alike: the note on stderr, no table of it.
    recipe_path = tmp_path / "recipe.toml"
    recipe_path.write_text("version = 1\n[settings.clv]\nhorizon = 6\n", encoding="utf-8")
    replayed = run("clv", str(tmp_path / "twelve.csv"), "--recipe", str(recipe_path))
    assert replayed.returncode == 0, replayed.stderr
    assert "note: The whole history's 12 repeat buyers are enough" in replayed.stderr
    assert set(json.loads(replayed.stdout)) == {"customers", "parameters", "sufficiency"}
    # As it says: from 11 March the calibration period has its 10 repeat buyers.
    later = run("clv", str(tmp_path / "twelve.csv"), "--calibration-end", "2023-03-11")
    assert later.returncode == 0, later.stderr
    assert "holdout check cannot be made" not in later.stderr
    assert {"holdout", "comparison"} <= set(json.loads(later.stdout))
    day_before = run("clv", str(tmp_path / "twelve.csv"), "--calibration-end", "2023-03-10")
    assert "only 9 customers had bought on two days or more" in day_before.stderr
    # 30 customers who all buy on 1 February and again on 1 May, the last day: no calibration
    # end before it has a single repeat buyer.
    ties = [(c, datetime(2023, m, 1, 10)) for c in range(30) for m in (2, 5)]
    out = run("clv", str(_retail_csv(tmp_path / "ties.csv", ties)))
    assert out.returncode == 0, out.stderr
    assert "No customer bought more than once" not in out.stderr
    assert "The whole history's 30 repeat buyers are enough to fit BG/NBD" in out.stderr
    assert "no customer had bought on two days or more (30 had by the last purchase, 1 May" in (
        out.stderr
    )
    assert out.stderr.endswith(
        "No calibration end before the last purchase day leaves 10 repeat buyers: the holdout "
        "check needs a longer history.\n"
    )
