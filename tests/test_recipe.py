"""Recipes: TOML round trip, fingerprints and their differences, checked settings, CLI replay."""

import json
import re
import subprocess
import sys
import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from lib import demo, formats, recipe
from lib.analyses import movement, rfm
from lib.formats import generic
from lib.io import RawTable
from lib.model import Dataset

ROOT = Path(__file__).resolve().parents[1]
# The retail demo under a shop's own column names: a generic file the guess maps in full.
RENAMED = {
    "InvoiceNo": "Receipt",
    "StockCode": "Sku",
    "Description": "Product name",
    "Quantity": "Units",
    "InvoiceDate": "Sold on",
    "UnitPrice": "Price each",
    "CustomerID": "Shopper",
    "Country": "Land",
}
MAPPING = {
    "order_id": "Receipt",
    "customer_id": "Shopper",
    "ordered_at": "Sold on",
    "quantity": "Units",
    "unit_price": "Price each",
    "item_id": "Sku",
    "item_name": "Product name",
    "region": "Land",
}


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lib", *args],
        check=False,
        cwd=cwd,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def same_json(left: str, right: str) -> bool:
    """Equal JSON documents, floats to 1e-9: polars sums floats in parallel, so the last digit
    of a sum can differ from one run of the same command to the next."""

    def close(a, b) -> bool:
        if isinstance(a, dict) and isinstance(b, dict):
            return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
        if isinstance(a, list) and isinstance(b, list):
            return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
        if isinstance(a, float) or isinstance(b, float):
            return a == pytest.approx(b, rel=1e-9, abs=1e-12)
        return a == b

    return close(json.loads(left), json.loads(right))


def export(rows: int = 3000) -> pl.DataFrame:
    return demo.demo("retail", rows=rows).files["online_retail.csv"].rename(RENAMED)


def returns_note(rows: int = 3000) -> str:
    """What a command says on stderr of the shop export of `rows` lines, before any note of its
    own (lib.__main__._said): its lines of negative quantity, counted here, are returns."""
    returns = export(rows).filter(pl.col("Units").cast(pl.Float64) < 0).height
    assert returns > 0  # the note is about something
    return (
        f"note: sales_export.csv: {returns} lines with a negative amount or quantity were "
        "treated as returns"
    )


@pytest.fixture
def shop_file(tmp_path) -> Path:
    path = tmp_path / "sales_export.csv"
    export().write_csv(path)
    return path


def saved(path: Path, rec: recipe.Recipe) -> Path:
    out = path.parent / "recipe.toml"
    out.write_text(recipe.to_toml(rec), encoding="utf-8")
    return out


def shop_recipe(path: Path, settings: dict, rules: pl.DataFrame | None = None) -> recipe.Recipe:
    table = RawTable(path.name, path.name, export())
    return recipe.make(
        [table],
        mappings={path.name: generic.ColumnMapping(dict(MAPPING))},
        settings=settings,
        rules=rules,
        dataset="Shop export",
    )


def test_to_toml_and_from_toml_round_trip_every_part():
    rules = rfm.default_rules(4).with_columns(
        pl.when(pl.col("segment") == "champions")
        .then(pl.lit('best "ones" \\ ünïcode\n'))
        .otherwise(pl.col("segment"))
        .alias("segment")
    )
    rec = recipe.make(
        [RawTable("a.csv", "bundle.zip", pl.DataFrame({"x": ["1", "2"]}))],
        mappings={"odd name.csv": generic.ColumnMapping({"order_id": 'Nº "id"', "region": None})},
        settings={
            "rfm": {"bins": 4, "as_of": "2023-10-01", "clean": False},
            "clv": {"discount": 0.015, "penalizer": 0.001, "calibration_end": None},
            "sales": {"categories": "a,b", "window": 0},
        },
        rules=rules,
        dataset="My \t shop",
        pages=("sales", "rfm"),
    )
    text = recipe.to_toml(rec)
    assert tomllib.loads(text)["settings"]["rfm"]["bins"] == 4
    back = recipe.from_toml(text)
    assert back == rec
    assert back.mappings == {"odd name.csv": {"order_id": 'Nº "id"'}}
    assert back.settings["clv"] == {"discount": 0.015, "penalizer": 0.001}
    assert back.rules_frame().equals(rules)
    assert back.column_mappings()["odd name.csv"].fields == {"order_id": 'Nº "id"'}


def test_views_travel_in_a_section_of_their_own_per_page_and_read_back():
    views = {"rfm_view": "R × F grid", "rfm_segment_filter": ["champions", 'a "b"']}
    rec = recipe.make(
        settings={
            "rfm": {"bins": 4, recipe.VIEWS_KEY: views | {"rfm_move_pick": None}},
            "events": {recipe.VIEWS_KEY: {"events_min_viewers": 40, "events_split": "Platform"}},
            "clv": {"horizon": 6, recipe.VIEWS_KEY: {}},
        },
        demo="retail",
    )
    text = recipe.to_toml(rec)
    assert "[settings.rfm.views]" in text and "[settings.events.views]" in text
    assert "[settings.events]\n" not in text  # a page with views only: no empty table
    data = tomllib.loads(text)["settings"]
    assert data["rfm"] == {"bins": 4, "views": views}  # None values are left out
    assert data["events"] == {"views": {"events_min_viewers": 40, "events_split": "Platform"}}
    assert data["clv"] == {"horizon": 6}  # no views set: no views table
    back = recipe.from_toml(text)
    assert back == rec
    assert recipe.views_of(back.settings["rfm"]) == views
    assert recipe.views_of(back.settings["clv"]) == {}


def test_a_recipe_written_before_views_reads_with_none():
    rec = recipe.from_toml('[settings.rfm]\nbins = 4\n\n[settings.sales]\ngrain = "week"\n')
    assert rec.settings == {"rfm": {"bins": 4}, "sales": {"grain": "week"}}
    assert all(recipe.views_of(values) == {} for values in rec.settings.values())


def test_views_are_no_headless_option_the_cli_notes_or_uses(shop_file):
    settings = {"rfm": {"bins": 4, recipe.VIEWS_KEY: {"rfm_view": "Movement"}}}
    assert recipe.apply_settings("rfm", settings["rfm"]) == recipe.apply_settings(
        "rfm", {"bins": 4}
    )
    path = saved(shop_file, shop_recipe(shop_file, settings))
    replayed = run("rfm", str(shop_file), "--recipe", str(path))
    direct = run("rfm", str(shop_file), "--bins", "4")
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stderr.splitlines() == [returns_note()]  # the data's, none of the recipe's
    assert same_json(replayed.stdout, direct.stdout)


def test_a_mapping_currency_travels_in_the_recipe_beside_its_columns():
    frame = pl.DataFrame({"when": ["2024-01-02"], "amount": ["3.50"], "who": ["a"]})
    mapping = generic.ColumnMapping({"ordered_at": "when", "revenue": "amount"}, "eur")
    rec = recipe.make([RawTable("till.csv", "till.csv", frame)], mappings={"till.csv": mapping})
    text = recipe.to_toml(rec)
    assert tomllib.loads(text)["mappings"]["till.csv"] == {
        "ordered_at": "when",
        "revenue": "amount",
        "currency": "EUR",
    }
    back = recipe.from_toml(text)
    restored = back.column_mappings()["till.csv"]
    assert restored.fields == {"ordered_at": "when", "revenue": "amount"}
    assert restored.currency == "EUR"
    table = RawTable("till.csv", "till.csv", frame)
    assert recipe.mappings_for(back, [table])["till.csv"].currency == "EUR"
    assert recipe.mapping_notes(back, [table]) == []  # the currency is no missing column


def test_a_recipe_written_before_currencies_reads_with_none():
    old = '[mappings."till.csv"]\nordered_at = "when"\nrevenue = "amount"\n'
    mapping = recipe.from_toml(old).column_mappings()["till.csv"]
    assert mapping.fields == {"ordered_at": "when", "revenue": "amount"}
    assert mapping.currency is None


def test_a_hand_written_recipe_reads_dates_as_iso_text():
    rec = recipe.from_toml("[settings.rfm]\nas_of = 2023-10-01\nbins = 3\n")
    assert rec.settings == {"rfm": {"as_of": "2023-10-01", "bins": 3}}
    assert rec.rules is None and rec.files == () and rec.version == recipe.VERSION


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("version = [", "not a recipe"),
        ("version = 99", "newer"),
        ("[[files]]\nname = 'a.csv'", "files[0] needs name, rows, columns and hash: no 'rows'"),
        ("settings = 3", "settings must be a table"),
        ("[settings.rfm]\nviews = 'Movement'", "settings.rfm.views must be a table"),
        # A stranger's file: wrong types, tables nested past Python's recursion, a huge file.
        ("files = 5", "files must be an array of tables ([[files]])"),
        ("x = " + "[" * 5_000 + "]" * 5_000, "not a recipe: its tables nest too deep"),
        ("# " + "x" * 1_000_000, "not a recipe: 1,000,002 characters"),
        # Found by fuzzing: each raised a traceback (OverflowError, polars' ComputeError) or
        # said "version 1 is newer" of the text '1'.
        (
            "[[files]]\nname = 'a.csv'\nrows = inf\ncolumns = 1\nhash = 'x'",
            "files[0]: rows and columns must be whole numbers",
        ),
        ("[[rules]]\nsegment = 'x'\nr_from = 'one'", "rules[0].r_from must be a score from 1"),
        ("[[rules]]\nsegment = 'x'\nm_to = inf", "rules[0].m_to must be a score from 1 to 5"),
        ("[[rules]]\nsegment = 'x'\nf_to = [1]", "rules[0].f_to must be a score from 1 to 5"),
        # Past 64 bits: polars failed on the rules (a traceback in the CLI, the Data page
        # stopped); out of any score: no rule to read.
        (
            "[[rules]]\nsegment = 'x'\nr_from = 99999999999999999999",
            "rules[0].r_from must be a score from 1 to 5, not 99999999999999999999",
        ),
        ("[[rules]]\nsegment = 'x'\nm_from = 0", "rules[0].m_from must be a score from 1 to 5"),
        ("[[rules]]\nsegment = 'x'\nr_to = 6", "rules[0].r_to must be a score from 1 to 5"),
        # More rules than combinations of three scores of 5 to be first on (10,000 held the RFM
        # page for minutes).
        (
            "[[rules]]\nsegment = 'x'\n" * 126,
            "rules holds 126 segment rules: at most 125 can each be the first to match",
        ),
        ("[[rules]]\nsegment = ['x']", "rules[0].segment must be text"),
        ("version = '1'", "version must be a whole number from 1 to"),
        ("version = true", "version must be a whole number from 1 to"),
        ("version = 0", "version must be a whole number from 1 to"),
    ],
)
def test_a_broken_recipe_is_one_readable_error(text, words):
    with pytest.raises(recipe.RecipeError, match=re.escape(words)):
        recipe.from_toml(text)


def test_rule_scores_written_as_text_or_whole_floats_are_read_as_numbers_and_a_bom_is_no_text():
    """'1' and 2.0 are scores as a hand-edited recipe may write them; Windows Notepad saves a
    byte-order mark, which read as 'Invalid statement (at line 1, column 1)'."""
    text = "\ufeff[[rules]]\nsegment = 'x'\nr_from = '1'\nr_to = 2.0\naction = 'call'\n"
    rules = recipe.from_toml(text).rules_frame()
    assert rules.row(0, named=True) == {
        "segment": "x",
        "r_from": 1,
        "r_to": 2,
        "f_from": None,
        "f_to": None,
        "m_from": None,
        "m_to": None,
        "action": "call",
    }


def test_the_cli_says_a_recipe_that_is_no_text_or_has_a_bad_rule_in_one_line(tmp_path, shop_file):
    """A binary file printed Python's 'utf-8 codec can't decode byte 0xb3'; a rule with a
    score of 'one' printed a traceback (exit 1)."""
    binary = tmp_path / "recipe.toml"
    binary.write_bytes(b"\x00\xb3\xff junk")
    done = run("report", "--recipe", str(binary), "--out", str(tmp_path / "r.html"), str(shop_file))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().endswith(
        "not a recipe: it is not UTF-8 text (a recipe is the small TOML file the app's Download "
        "recipe button writes)"
    )
    rule = tmp_path / "rule.toml"
    rule.write_text("[[rules]]\nsegment = 'x'\nr_from = 'one'\n")
    done = run("rfm", "--recipe", str(rule), str(shop_file))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "rules[0].r_from must be a score from 1 to 5, not 'one'" in done.stderr


def test_content_hash_follows_every_cell_and_the_fingerprint_ignores_file_order():
    frame = pl.DataFrame({"a": ["1", "2"], "b": ["x", "y"]})
    assert recipe.content_hash(frame) == recipe.content_hash(frame.clone())
    assert recipe.content_hash(frame) != recipe.content_hash(frame.with_columns(b=pl.lit("x")))
    assert recipe.content_hash(frame) != recipe.content_hash(frame.rename({"b": "c"}))
    prints = recipe.fingerprint([RawTable("a", "a", frame), RawTable("b", "b", frame.head(1))])
    assert recipe.short_fingerprint(prints) == recipe.short_fingerprint(prints[::-1])
    assert len(recipe.short_fingerprint(prints)) == 12


def test_differences_name_the_file_and_what_differs():
    frame = export(600)
    rec = recipe.make([RawTable("orders.csv", "orders.csv", frame)])
    assert recipe.differences(rec, [RawTable("orders.csv", "orders.csv", frame)]) == []
    edited = frame.with_columns(pl.col("Units").str.replace("^1$", "2"))
    (same_size,) = recipe.differences(rec, [RawTable("orders.csv", "orders.csv", edited)])
    assert same_size.startswith("orders.csv: same size (600 rows, 8 columns) but different content")
    (shorter,) = recipe.differences(rec, [RawTable("orders.csv", "x", frame.head(500))])
    assert shorter == (
        "orders.csv: 500 rows and 8 columns, the recipe's file had 600 rows and 8 columns"
    )
    renamed = recipe.differences(rec, [RawTable("orders_2024.csv", "x", frame)])
    assert renamed == ["orders.csv: loaded as orders_2024.csv (same content, another name)"]
    other = recipe.differences(rec, [RawTable("notes.csv", "x", frame.head(3))])
    assert other == [
        "orders.csv: the recipe was made with this file (600 rows); it is not loaded",
        "notes.csv: loaded, but the recipe was not made with it",
    ]
    assert recipe.differences(recipe.Recipe(demo="retail"), []) == []


def test_a_notes_quote_of_a_setting_is_short_whatever_its_value():
    """-1e308 as a whole-number window was quoted with its 309 digits; 500 characters whole."""
    window = recipe.apply_settings("sales", {"window": -1e308})
    assert window.notes == ("Sales: window = -1e+308 is outside 0..60; used 0",)
    grain = recipe.apply_settings("sales", {"grain": "x" * 500})
    assert grain.notes == (
        f"Sales: grain = {'x' * 79}… is not a valid value (one of day, week, month); kept month",
    )


def test_a_bridge_period_that_is_no_period_is_noted_and_the_default_kept():
    """'2018-13' was dropped without a word in the app (the CLI's bridge raised on it)."""
    applied = recipe.apply_settings(
        "sales", {"bridge_previous": "2018-13", "bridge_current": "2018Q2"}
    )
    assert (
        applied.options["bridge_previous"] == "" and applied.options["bridge_current"] == "2018Q2"
    )
    assert applied.notes == (
        "Sales: bridge_previous = 2018\\-13 is not a period: write a quarter (2011Q3), a month "
        "(2011-07), a year (2011) or ISO dates (2011-07-01..2011-09-30); kept the default",
    )


def test_a_bridge_period_outside_the_data_is_noted_and_the_default_kept():
    """1999Q1 on data of 2023 was dropped without a word by the app (its choices are the data's
    quarters and months); '2023 q2' is kept as the code the page's choice reads (2023Q2)."""
    ds = formats.assemble_demo("retail").dataset
    days = ds.tables["lines"]["ordered_at"]
    first, last = days.min().date().isoformat(), days.max().date().isoformat()
    applied = recipe.apply_settings(
        "sales", {"bridge_previous": "1999Q1", "bridge_current": "2023 q2"}, ds
    )
    assert (
        applied.options["bridge_previous"] == "" and applied.options["bridge_current"] == "2023Q2"
    )
    assert applied.notes == (
        f"Sales: bridge_previous = 1999Q1 is outside the data (from {first} to {last}); kept "
        "the default",
    )
    # Without the data (a recipe read alone), a period is only checked for its form.
    alone = recipe.apply_settings("sales", {"bridge_previous": "1999Q1"})
    assert alone.options["bridge_previous"] == "1999Q1" and alone.notes == ()


def test_cluster_features_the_app_does_not_have_are_noted_and_left_out():
    """'nope,recency' opened the Clusters page with no feature chosen and no note (recency is
    recency_days); a platform's share is a feature whatever the platform is called."""
    applied = recipe.apply_settings("clusters", {"features": "nope,recency"})
    assert applied.options["features"] == recipe.defaults("clusters")["features"]
    assert applied.notes == (
        "Clusters: features not among the app's features, ignored: nope, recency",
    )
    kept = recipe.apply_settings("clusters", {"features": "frequency, platform_ios,nope"})
    assert kept.options["features"] == "frequency,platform_ios"


def test_apply_settings_ignores_unknown_and_clamps_out_of_range_with_notes():
    ds = formats.assemble_demo("retail").dataset
    applied = recipe.apply_settings(
        "sales",
        {"topn": 80, "window": 30, "grain": "month", "regions": "Atlantis,France", "shade": 2},
        ds,
    )
    assert applied.options["topn"] == 50 and applied.options["window"] == 12
    assert applied.options["regions"] == "France"
    assert applied.notes == (
        "Sales: topn = 80 is outside 5..50; used 50",
        "Sales: regions not in the data, ignored: Atlantis",
        "Sales: unknown setting shade ignored",
        "Sales: window = 30 is outside 2..12 for grain month; used 12",
    )
    clv = recipe.apply_settings("clv", {"penalizer": 0.002, "unit": "years", "horizon": "6"}, ds)
    assert clv.options["penalizer"] == 0.001 and clv.options["unit"] == "weeks"
    assert clv.options["horizon"] == 6
    assert len(clv.notes) == 2
    first = ds.tables["lines"]["ordered_at"].min().date()
    as_of = recipe.apply_settings("rfm", {"as_of": "1999-01-01"}, ds).options["as_of"]
    assert as_of == (first + timedelta(days=1)).isoformat()
    assert recipe.apply_settings("rfm", {}, ds).options == recipe.defaults("rfm")


def test_a_recipe_keeps_a_funnel_step_of_orders_only_where_orders_name_their_users():
    """The Web events funnel may end in "order placed" (the orders, not an event): a recipe
    keeps it on the web shop demo, whose orders name their users, and drops it on events alone."""
    ds = formats.assemble_demo("webshop").dataset
    steps = "view_item,order placed"
    assert recipe.apply_settings("events", {"steps": steps}, ds).options["steps"] == steps
    alone = Dataset("events", "generic", tables={"events": ds.tables["events"]})
    applied = recipe.apply_settings("events", {"steps": steps}, alone)
    assert applied.options["steps"] == "view_item"
    assert applied.notes == ("Web events: steps not in the data, ignored: order placed",)


def test_a_recipe_with_a_generic_mapping_replays_to_the_json_of_the_same_explicit_options(
    shop_file,
):
    settings = {
        "rfm": {"bins": 4, "as_of": "2023-10-01", "frequency_ties": "value"},
        "sales": {"grain": "week", "window": 6, "topn": 15, "rank_by": "revenue"},
        "cohorts": {"grain": "quarter", "metric": "revenue", "relative": False},
    }
    path = saved(shop_file, shop_recipe(shop_file, settings, rules=rfm.default_rules(4)))
    explicit = {
        "rfm": ["--bins", "4", "--as-of", "2023-10-01", "--frequency-ties", "value"],
        "sales": ["--grain", "week", "--window", "6", "--topn", "15", "--rank-by", "revenue"],
        "cohorts": ["--grain", "quarter", "--metric", "revenue", "--no-relative"],
    }
    for page, options in explicit.items():
        replayed = run(page, str(shop_file), "--recipe", str(path))
        direct = run(page, str(shop_file), *options)
        assert replayed.returncode == 0 and direct.returncode == 0, replayed.stderr + direct.stderr
        assert same_json(replayed.stdout, direct.stdout), page
        # Same file, known settings: nothing to say but what the data holds.
        assert replayed.stderr.splitlines() == [returns_note()]
        assert not same_json(replayed.stdout, run(page, str(shop_file)).stdout)  # they did change


def test_an_option_on_the_command_line_beats_the_recipe(shop_file):
    path = saved(shop_file, shop_recipe(shop_file, {"rfm": {"bins": 4, "as_of": "2023-10-01"}}))
    replayed = run("rfm", str(shop_file), "--recipe", str(path), "--bins", "3")
    direct = run("rfm", str(shop_file), "--bins", "3", "--as-of", "2023-10-01")
    assert replayed.returncode == 0 and same_json(replayed.stdout, direct.stdout)


def test_the_recipe_mapping_is_what_maps_the_file(tmp_path):
    # A customer column no guess recognises: only the recipe knows it holds the customer.
    frame = export().rename({"Shopper": "Ref B"})
    path = tmp_path / "till_rolls.csv"
    frame.write_csv(path)
    mapping = MAPPING | {"customer_id": "Ref B"}
    rec = recipe.make(
        [RawTable(path.name, path.name, frame)],
        mappings={path.name: generic.ColumnMapping(mapping)},
    )
    recipe_path = saved(path, rec)
    assert run("rfm", str(path)).returncode == 2
    replayed = run("rfm", str(path), "--recipe", str(recipe_path))
    assert replayed.returncode == 0, replayed.stderr
    assert len(json.loads(replayed.stdout)["customers"]) > 10


def test_unknown_and_out_of_range_settings_are_notes_on_stderr(shop_file):
    rec = shop_recipe(shop_file, {"rfm": {"bins": 8, "colour": "red", "as_of": "2023-10-01"}})
    out = run("rfm", str(shop_file), "--recipe", str(saved(shop_file, rec)))
    assert out.returncode == 0
    assert out.stderr.splitlines() == [
        returns_note(),
        "note: RFM: bins = 8 is outside 3..5; used 5",
        "note: RFM: unknown setting colour ignored",
    ]
    direct = run("rfm", str(shop_file), "--bins", "5", "--as-of", "2023-10-01")
    assert same_json(out.stdout, direct.stdout)


def test_a_recipe_of_other_files_still_applies_with_a_warning_naming_what_differs(shop_file):
    rec = shop_recipe(shop_file, {"rfm": {"bins": 3}})
    path = saved(shop_file, rec)
    export(2500).write_csv(shop_file)  # the shop exported again, with fewer lines
    out = run("rfm", str(shop_file), "--recipe", str(path))
    assert out.returncode == 0, out.stderr
    assert out.stderr.splitlines() == [
        "warning: sales_export.csv: 2,500 rows and 8 columns, the recipe's file had 3,000 rows "
        "and 8 columns",
        returns_note(2500),
    ]
    assert same_json(out.stdout, run("rfm", str(shop_file), "--bins", "3").stdout)


def test_recipe_segment_rules_regroup_the_rfm_customers(shop_file):
    rules = pl.DataFrame(
        [
            ("recent", 3, 3, None, None, None, None, "Thank them."),
            ("the rest", None, None, None, None, None, None, "Wait."),
        ],
        schema=rfm.RULE_COLUMNS,
        orient="row",
    )
    rec = shop_recipe(shop_file, {"rfm": {"bins": 3}}, rules=rules)
    out = run("rfm", str(shop_file), "--recipe", str(saved(shop_file, rec)))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert [s["segment"] for s in result["segments"]] == ["recent", "the rest"]
    recent = [c for c in result["customers"] if c["segment"] == "recent"]
    assert recent and all(c["r_score"] == 3 for c in recent)


def test_report_replays_a_recipe_with_its_pages_and_notes_what_differs(shop_file, tmp_path):
    rec = shop_recipe(shop_file, {"sales": {"topn": 12}})
    rec = recipe.Recipe(**{**rec.__dict__, "pages": ("sales",)})
    path = saved(shop_file, rec)
    export(2000).write_csv(shop_file)
    out = run("report", str(shop_file), "--recipe", str(path), "--out", str(tmp_path / "r.html"))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["pages"] == ["sales"]
    assert result["notes"] == [
        "sales_export.csv: 2,000 rows and 8 columns, the recipe's file had 3,000 rows and 8 columns"
    ]
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Shop export" in text and "Top 12 items by units" in text
    assert "the recipe&#x27;s file had 3,000 rows" in text


def test_a_recipe_of_a_demo_replays_without_files(tmp_path):
    path = tmp_path / "demo.toml"
    path.write_text(
        recipe.to_toml(recipe.Recipe(demo="retail", settings={"cohorts": {"grain": "week"}})),
        encoding="utf-8",
    )
    replayed = run("cohorts", "--recipe", str(path))
    assert replayed.returncode == 0, replayed.stderr
    assert same_json(replayed.stdout, run("cohorts", "--demo", "retail", "--grain", "week").stdout)


RECENT_RULES = pl.DataFrame(
    [
        ("recent", 3, 3, None, None, None, None, "Thank them."),
        ("the rest", None, None, None, None, None, None, "Wait."),
    ],
    schema=rfm.RULE_COLUMNS,
    orient="row",
)


def test_page_frames_redo_the_rfm_movement_with_the_recipes_rules():
    ds = formats.assemble_demo("retail").dataset
    options = recipe.apply_settings(
        "rfm", {"bins": 3, "as_of": "2023-10-01", "compare_as_of": "2023-07-01"}, ds
    ).options
    frames = recipe.page_frames(ds, "rfm", options, RECENT_RULES)
    # The movement as the Movement view computes it, called directly with the rules and dates.
    direct = movement.segment_movement(
        ds.table("lines"), date(2023, 7, 1), date(2023, 10, 1), RECENT_RULES, bins=3
    )
    assert_frame_equal(frames["movements"], direct.movements)
    assert_frame_equal(frames["movement_customers"], direct.customers)
    for measure in movement.MEASURES:
        flows = frames["flows"].filter(pl.col("measure") == measure).drop("measure")
        assert_frame_equal(flows, movement.movement_flows(direct.movements, measure, RECENT_RULES))
    named = {"recent", "the rest"}
    assert set(frames["movements"]["to_segment"]) <= named | {movement.GONE}
    assert set(frames["movements"]["from_segment"]) <= named | {movement.NEW}
    # Customers ordering from July to September are "recent" on 1 October with 3 bins: at least
    # the last third by recency, so every customer who ordered in the last days of September.
    lines = ds.table("lines").filter(pl.col("customer_id").is_not_null())
    late_september = set(
        lines.filter(pl.col("ordered_at").is_between(datetime(2023, 9, 25), datetime(2023, 10, 1)))[
            "customer_id"
        ]
    )
    now_recent = frames["movement_customers"].filter(pl.col("to_segment") == "recent")
    assert late_september and late_september <= set(now_recent["customer_id"])
    # Without rules the movement keeps rfm's default segments.
    plain = recipe.page_frames(ds, "rfm", options)
    assert not set(plain["movements"]["to_segment"]) & named


def test_the_cli_replays_a_recipes_rules_on_the_movement_too(tmp_path):
    path = tmp_path / "rules.toml"
    settings = {"rfm": {"bins": 3, "as_of": "2023-10-01", "compare_as_of": "2023-07-01"}}
    made = recipe.make(settings=settings, rules=RECENT_RULES, demo="retail")
    path.write_text(recipe.to_toml(made), encoding="utf-8")
    out = run("rfm", "--recipe", str(path))
    assert out.returncode == 0, out.stderr
    ds = formats.assemble_demo("retail").dataset
    direct = movement.segment_movement(
        ds.table("lines"),
        date(2023, 7, 1),
        date(2023, 10, 1),
        RECENT_RULES,
        bins=3,
    )
    assert same_json(
        json.dumps(json.loads(out.stdout)["movements"]),
        json.dumps(direct.movements.to_dicts(), default=str),
    )


# Two monthly exports of one till: "Ref B" names the customer, which no guess recognises.
TILL_JANUARY = "when,Ref B,amount\n2024-01-05,c1,10.00\n2024-01-05,c1,5.00\n2024-01-09,c3,7.00\n"
TILL_FEBRUARY = "amount,when,Ref B\n20.00,2024-02-01,c2\n4.00,2024-02-03,c1\n"
TILL_MAPPING = {"ordered_at": "when", "customer_id": "Ref B", "revenue": "amount"}


def _till(name: str, text: str) -> RawTable:
    return RawTable(name, name, pl.read_csv(text.encode(), infer_schema=False))


def test_a_recipes_mapping_maps_next_months_export_by_its_columns_with_a_note():
    january = _till("orders_2024_01.csv", TILL_JANUARY)
    mapping = generic.ColumnMapping(dict(TILL_MAPPING), "EUR")
    made = recipe.make([january], mappings={january.name: mapping})
    back = recipe.from_toml(recipe.to_toml(made))
    assert back.mapped_columns == {"orders_2024_01.csv": ("when", "Ref B", "amount")}
    # Same columns in another order, another name: the recipe's mapping applies, and says so.
    february = _till("orders_2024_02.csv", TILL_FEBRUARY)
    other = RawTable("stock.csv", "stock.csv", pl.DataFrame({"when": ["2024-02-01"], "sku": ["a"]}))
    chosen = recipe.mappings_for(back, [february, other])
    assert list(chosen) == ["orders_2024_02.csv"]
    assert (chosen["orders_2024_02.csv"].used(), chosen["orders_2024_02.csv"].currency) == (
        mapping.used(),
        "EUR",
    )
    assert recipe.mapping_notes(back, [february, other]) == [
        "orders_2024_02.csv: mapped as orders_2024_01.csv in the recipe (same columns)"
    ]
    # Loaded beside the file it was made on, both are mapped, each under its own name.
    both = recipe.mappings_for(back, [january, february])
    assert set(both) == {"orders_2024_01.csv", "orders_2024_02.csv"}


def test_a_recipe_written_before_mapped_columns_maps_by_file_name_only():
    old = '[mappings."orders_2024_01.csv"]\nordered_at = "when"\nrevenue = "amount"\n'
    rec = recipe.from_toml(old)
    assert rec.mapped_columns == {}
    january = _till("orders_2024_01.csv", TILL_JANUARY)
    february = _till("orders_2024_02.csv", TILL_FEBRUARY)
    assert list(recipe.mappings_for(rec, [january, february])) == ["orders_2024_01.csv"]


def test_the_cli_stacks_two_monthly_exports_mapped_by_one_recipe(tmp_path):
    january = tmp_path / "orders_2024_01.csv"
    february = tmp_path / "orders_2024_02.csv"
    january.write_text(TILL_JANUARY)
    february.write_text(TILL_FEBRUARY)
    made = recipe.make(
        [_till(january.name, TILL_JANUARY)],
        mappings={january.name: generic.ColumnMapping(dict(TILL_MAPPING))},
    )
    path = saved(january, made)
    out = run("sales", str(january), str(february), "--recipe", str(path))
    assert out.returncode == 0, out.stderr
    assert "orders_2024_02.csv: mapped as orders_2024_01.csv in the recipe" in out.stderr
    kpis = {k["metric"]: k["value"] for k in json.loads(out.stdout)["kpis"]}
    # By hand: orders are customers' days (c1 5 Jan, c3 9 Jan, c2 1 Feb, c1 3 Feb), 3 customers.
    assert (kpis["orders"], kpis["customers"], kpis["revenue"]) == (4, 3, pytest.approx(46.0))


def test_a_page_named_twice_is_reported_once():
    """Audit: pages = ['rfm', 'rfm', 'rfm'] wrote three RFM sections, and 150,000 of them (a
    1 MB recipe) ran for minutes; `--pages rfm,rfm` did the same."""
    assert recipe.from_toml("pages = ['rfm', 'sales', 'rfm', 'rfm']").pages == ("rfm", "sales")


def test_the_report_writes_a_page_given_twice_once(tmp_path, shop_file):
    done = run("report", "--pages", "rfm,rfm", "--out", str(tmp_path / "r.html"), str(shop_file))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["pages"] == ["rfm"]
