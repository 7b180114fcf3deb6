"""The Cohorts page as a user drives it, through streamlit_app.py with AppTest."""

import itertools
import json
import math
import re
from dataclasses import replace
from datetime import timedelta
from fractions import Fraction

import numpy as np
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from lib import demo, fmt, formats, measures, report, state
from lib.analyses import cohorts
from tests import apptest
from tests.apptest import metric, texts
from tests.test_churn import olist_purchase_days

PAGE = "pages/cohorts.py"


def page(source: str) -> AppTest:
    return apptest.page(source, PAGE)


def purchases(kind: str, every: str) -> tuple[pl.DataFrame, pl.DataFrame, object]:
    """Purchase lines with their period, each buyer's first period, and the data's last day."""
    lines = formats.assemble_demo(kind).dataset.tables["lines"]
    buys = lines.filter(
        pl.col("customer_id").is_not_null() & ~pl.col("is_return") & (pl.col("revenue") >= 0)
    ).with_columns(pl.col("ordered_at").dt.truncate(every).dt.date().alias("period"))
    first = buys.group_by("customer_id").agg(pl.col("period").min().alias("cohort"))
    return buys, first, lines["ordered_at"].max().date()


def early_until(buys: pl.DataFrame):
    """The day before which a cohort may hold customers who bought before the data starts: the
    first purchase day plus the smallest gap within which 80% of repeat purchases came (the gaps
    between a customer's consecutive purchase days); None from fewer than 30 gaps."""
    days = buys.select("customer_id", pl.col("ordered_at").dt.date().alias("day")).unique()
    gaps = sorted(
        (b - a).days
        for _, group in days.sort("day").group_by("customer_id")
        for a, b in itertools.pairwise(group["day"].to_list())
    )
    if len(gaps) < 30:
        return None
    return days["day"].min() + timedelta(days=gaps[math.ceil(0.8 * len(gaps)) - 1])


def back_in_period_one(kind: str, every: str, last: int) -> float:
    """Customers of the `last` most recent cohorts who buy again in the period after their first,
    pooled over the cohorts whose next period the data covers to its last day, but those that
    may hold customers who bought before the data starts: the data's first cohort, and those
    starting before early_until (unless that leaves none)."""
    buys, first, end = purchases(kind, every)
    every_cohort = first["cohort"].unique().sort()
    recent = every_cohort.tail(last)
    until = early_until(buys)
    late = recent.filter(recent > every_cohort[0])
    if until is not None and (recent >= until).any():
        late = recent.filter(recent >= until)
    shown = late
    nxt = pl.col("cohort").dt.offset_by(every)
    eligible = first.filter(
        pl.col("cohort").is_in(shown.implode())
        & (nxt.dt.offset_by(every) - timedelta(days=1) <= end)
    ).with_columns(nxt.alias("next"))
    back = (
        buys.join(eligible, on="customer_id")
        .filter(pl.col("period") == pl.col("next"))["customer_id"]
        .n_unique()
    )
    return back / eligible.height


@pytest.mark.parametrize("kind", demo.KINDS)
def test_customers_cohorts_and_month_one_return_match_the_demo(kind):
    at = page(kind)
    _, first, _ = purchases(kind, "1mo")
    assert metric(at, "Customers").value == fmt.count(first.height)
    assert metric(at, "Cohorts").value == fmt.count(first["cohort"].n_unique())
    assert metric(at, "Back month 1").value == fmt.pct(back_in_period_one(kind, "1mo", 24))
    assert measures.DEFINITIONS["purchase"] in texts(at)
    assert len(at.get("vega_lite_chart")) == 4  # heatmap, curve, churn statuses and gaps


@pytest.mark.parametrize("kind", demo.KINDS)
def test_the_report_and_the_cli_open_on_the_cohorts_the_page_opens_on(kind):
    """The marketplace demo has 32 monthly cohorts: the page opens on the 24 most recent, and so
    do the report and `python -m lib cohorts` (they had pooled all 32: 0.4% against 0.3%); the
    customers and cohorts counted are every cohort's, as the page counts them."""
    ds = formats.assemble_demo(kind).dataset
    (section,) = report.report_sections(ds, ["cohorts"], {})
    shown = {k.key: k.shown for k in section.kpis}
    _, first, _ = purchases(kind, "1mo")
    assert shown["cohorts.customers"] == fmt.count(first.height)
    assert shown["cohorts.cohorts"] == fmt.count(first["cohort"].n_unique())
    assert shown["cohorts.period_1"] == fmt.pct(back_in_period_one(kind, "1mo", 24))
    curve = cohorts.headless(ds)["curve"]
    month_one = curve.filter(pl.col("period_index") == 1)["mean"][0]
    assert month_one == pytest.approx(back_in_period_one(kind, "1mo", 24))


def test_retail_page_says_how_many_lines_have_no_customer():
    at = page("retail")
    lines = formats.assemble_demo("retail").dataset.tables["lines"]
    missing = lines["customer_id"].null_count()
    # As many as the demo's file leaves CustomerID blank (a guest's line), all its lines read.
    raw = demo.demo("retail").files["online_retail.csv"]
    assert (missing, lines.height) == (raw["CustomerID"].null_count(), raw.height)
    assert missing > 0
    assert f"{missing:,} of {lines.height:,} lines" in texts(at)
    # The share as Data quality writes its finding: two decimals on every page, the same on
    # both. The retail demo's 14,643 of 60,000 is exactly 24.405%, a tie at two decimals that
    # binary floats break either way (100 * 14643 / 60000 formats as 24.41, 14643 / 60000 * 100
    # as 24.40): the share shown must lie within half a hundredth of the exact one, counted
    # in fractions.
    said = re.search(
        rf"{missing:,} of {lines.height:,} lines \((\d+\.\d\d)%\) have no customer id", texts(at)
    )
    assert said, texts(at)
    share = said.group(1)
    assert abs(Fraction(share) - Fraction(100 * missing, lines.height)) <= Fraction(1, 200)
    quality_page = apptest.page("retail", "pages/quality.py")
    cards = " ".join(m.value for m in quality_page.markdown)
    assert f"{missing:,} rows ({share}%)" in cards


def test_fewer_cohorts_change_the_month_one_figure():
    at = page("webshop")
    at.slider(key="cohort_last_month").set_value(3).run()
    assert not at.exception
    assert metric(at, "Back month 1").value == fmt.pct(back_in_period_one("webshop", "1mo", 3))


def test_one_cohort_with_a_full_month_shown_is_read_once_with_its_size_and_the_report_alike():
    """The retail demo by month showing its most recent cohorts down to the latest with a full
    month after its first (Oct 2023: the data ends on 9 Dec 2023, so Nov's and Dec's month 1
    are partial; three cohorts shown), so one cohort alone has a month 1: the heatmap's reading
    had fallen back to the curve's sentence, printed again under the curve, an 'average' of
    one cohort (of 23 customers, on the old demo at the slider's 1: its last cohort was Aug
    2023, as its customers joined in the first two thirds of the year only). Now the
    heatmap says why nothing is compared and to show more cohorts, the curve says what its
    figure rests on (counted here from the lines), no sentence is said twice, and the report
    (and `python -m lib report`) reads the same."""
    buys, first, end = purchases("retail", "1mo")
    # A cohort's month 1 is full when the month after it ends by the data's last day.
    full = first.filter(pl.col("cohort").dt.offset_by("2mo") - timedelta(days=1) <= end)
    last = full["cohort"].max()
    shown = first.filter(pl.col("cohort") >= last)["cohort"].n_unique()
    assert shown > 1  # later cohorts are shown too, none with a full month 1
    at = page("retail")
    at.slider(key="cohort_last_month").set_value(shown).run()
    assert not at.exception
    cohort = first.filter(pl.col("cohort") == last)
    back = buys.join(cohort, on="customer_id").filter(
        pl.col("period") == pl.col("cohort").dt.offset_by("1mo")
    )
    size, returned = cohort.height, back["customer_id"].n_unique()
    lightbulb = ":material/lightbulb: "
    readings = [c.value.removeprefix(lightbulb) for c in at.caption if lightbulb in c.value]
    heatmap, curve = readings[:2]
    label = fmt.month(last)
    assert heatmap == (
        f"Only the {label} cohort has a full month after its first among those shown, so there "
        "is no other cohort to compare it with: show more cohorts."
    )
    assert curve.startswith(
        f"{fmt.pct(returned / size)} of a cohort's customers buy again 1 month later. Only 1 "
        f"cohort of {size} customers has a full month 1 ({returned} back, 95% interval"
    )
    sentences = [x for t in texts(at).split(". ") for x in [t.strip()] if x]
    assert len(sentences) == len(set(sentences)), sentences
    ds = formats.assemble_demo("retail").dataset
    (section,) = report.report_sections(ds, ["cohorts"], {"cohorts": {"shown": shown}})
    assert [b.reading for b in section.blocks[:2]] == [heatmap, curve]
    # The report's heatmap caption says what best and worst leave out, as the page's does.
    said = next(c.value for c in at.caption if "Best and worst leave out" in c.value)
    left_out = said[said.index("Best and worst leave out") :].split(" Cell labels")[0]
    assert left_out in section.blocks[0].caption


@pytest.mark.parametrize("kind", demo.KINDS)
def test_quarterly_cohorts_of_net_revenue_in_absolute_amounts(kind):
    at = page(kind)
    at.segmented_control(key="cohort_grain").set_value("quarter").run()
    at.segmented_control(key="cohort_metric").set_value("revenue").run()
    at.toggle(key="cohort_relative").set_value(False).run()
    assert not at.exception
    _, first, _ = purchases(kind, "1q")
    assert metric(at, "Cohorts").value == fmt.count(first["cohort"].n_unique())
    assert "Quarter 1 vs first" in [m.label for m in at.metric]
    assert len(at.get("vega_lite_chart")) >= 1


def test_weekly_cohorts_of_orders_render():
    at = page("marketplace")
    at.segmented_control(key="cohort_grain").set_value("week").run()
    at.segmented_control(key="cohort_metric").set_value("orders").run()
    assert not at.exception
    _, first, _ = purchases("marketplace", "1w")
    assert metric(at, "Cohorts").value == fmt.count(first["cohort"].n_unique())


def test_the_page_explains_what_is_missing_without_data():
    at = page("files")
    assert "needs a lines table with a customer id, which this data set does not have" in texts(at)
    assert not at.metric


# --- churn window ---------------------------------------------------------------------------------


def purchase_days(lines: pl.DataFrame) -> pl.DataFrame:
    """Each known customer's distinct purchase days: no returns, quantity and price above 0."""
    sold = lines.filter(
        pl.col("customer_id").is_not_null()
        & ~pl.col("is_return")
        & (pl.col("revenue") >= 0)
        & (pl.col("quantity") > 0)
        & (pl.col("unit_price") > 0)
    )
    return sold.select("customer_id", pl.col("ordered_at").dt.date().alias("day")).unique()


def repeat_gaps(lines: pl.DataFrame) -> np.ndarray:
    """Days between each customer's consecutive purchase days."""
    days = purchase_days(lines).sort("customer_id", "day")
    gaps = days.with_columns(pl.col("day").diff().over("customer_id").dt.total_days().alias("gap"))
    return gaps["gap"].drop_nulls().to_numpy()


@pytest.mark.parametrize("kind", demo.KINDS)
def test_churn_windows_are_the_quantiles_of_the_repeat_gaps(kind):
    at = page(kind)
    lines = formats.assemble_demo(kind).dataset.tables["lines"]
    gaps = repeat_gaps(lines)
    for share in (0.8, 0.9):
        # The smallest gap with at least `share` of the gaps at or below it.
        days = int(np.quantile(gaps, share, method="inverted_cdf"))
        label = f"{share:.0%} of repeat purchases within"
        assert metric(at, label).value == f"{days:,} days", share
    assert metric(at, "Repeat purchases").value == fmt.count(gaps.size)
    readings = [c.value for c in at.caption if "lightbulb" in c.value]
    warned = " ".join(w.value for w in at.warning)
    window = int(np.quantile(gaps, 0.9, method="inverted_cdf"))
    assert any(f"within {fmt.plain(fmt.count(window))} days" in r for r in [*readings, warned])
    # Fewer than 1 in 20 customers buying on a second day (the marketplace demo, like Olist):
    # said plainly, as a warning, and no lapsed customers read from the window.
    days = purchase_days(lines)
    everyone = days["customer_id"].n_unique()
    repeaters = days.filter(pl.col("customer_id").is_duplicated())["customer_id"].n_unique()
    nearly = repeaters < 0.05 * everyone
    assert nearly == (kind == "marketplace")
    once = f"Nearly every customer bought on one day only: {everyone - repeaters:,} of {everyone:,}"
    assert (fmt.plain(once) in warned) == nearly
    assert any("had not bought for longer" in r for r in readings) != nearly
    # New customers per month in the table: first purchases in that month.
    table = next(d.value for d in at.dataframe if "lapsed" in d.value.columns)
    firsts = (
        purchase_days(lines)
        .group_by("customer_id")
        .agg(pl.col("day").min().dt.truncate("1mo").alias("month"))
        .group_by("month")
        .len()
    )
    new = dict(zip(firsts["month"], firsts["len"], strict=True))
    assert [new.get(m.date(), 0) for m in table["month"]] == table["new"].tolist()
    assert (table["customers"].diff().dropna() >= 0).all()


def test_another_quantile_moves_the_window_and_the_lapsed_customers():
    at = page("retail")
    lines = formats.assemble_demo("retail").dataset.tables["lines"]
    gaps = repeat_gaps(lines)
    before = next(d.value for d in at.dataframe if "lapsed" in d.value.columns)
    at.segmented_control(key="cohorts_churn_quantile").set_value(0.75).run()
    assert not at.exception, at.exception
    days = int(np.quantile(gaps, 0.75, method="inverted_cdf"))
    assert metric(at, "75% of repeat purchases within").value == f"{days:,} days"
    after = next(d.value for d in at.dataframe if "lapsed" in d.value.columns)
    # A shorter window: more customers past it, the same customers in all.
    assert after["lapsed"].sum() > before["lapsed"].sum()
    assert after["customers"].tolist() == before["customers"].tolist()


def uploaded(lines: pl.DataFrame, name: str) -> AppTest:
    """The Cohorts page on the retail demo with these order lines, given as an upload is."""
    built = formats.assemble_demo("retail")
    tables = {**built.dataset.tables, "lines": lines}
    data = replace(built.dataset, tables=tables, key=f"{state.UPLOAD_KEY}{name}")
    at = apptest.app("files")
    at.session_state["app_files_assembly"] = replace(built, dataset=data)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def test_too_few_repeat_purchases_are_said_plainly():
    lines = formats.assemble_demo("retail").dataset.tables["lines"]
    few = lines["customer_id"].drop_nulls().unique().sort().head(4)
    at = uploaded(lines.filter(pl.col("customer_id").is_in(few.implode())), "few")
    gaps = repeat_gaps(lines.filter(pl.col("customer_id").is_in(few.implode())))
    assert 0 < gaps.size < 30
    warning = " ".join(w.value for w in at.warning)
    assert "too few to set a churn window" in warning
    assert metric(at, "Repeat purchases").value == fmt.count(gaps.size)
    # Nobody buying on two days: no window at all, said so.
    firsts = lines.filter(pl.col("customer_id").is_not_null()).sort("ordered_at")
    once = firsts.filter(pl.col("ordered_at").dt.date() == firsts["ordered_at"].min().date())
    at = uploaded(once, "once")
    assert "no churn window to read" in " ".join(i.value for i in at.info)


@pytest.mark.parametrize(("given", "shown"), [("80%", 0.8), ("85%", 0.9)])
def test_a_link_opens_the_churn_window_on_its_quantile_or_says_why_not(given, shown):
    at = apptest.app("webshop")
    at.query_params["cohorts_churn_quantile"] = given
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert at.segmented_control(key="cohorts_churn_quantile").value == shown
    shown_text = re.sub(r"\\(.)", r"\1", texts(at))  # as read: Markdown escapes dropped
    assert ("85% is not one of 75%, 80%, 90%, 95%; showing 90%" in shown_text) == (given == "85%")


def test_real_olist_page_reads_tiny_retention_as_tiny_and_warns_that_nearly_all_buy_once():
    """The Olist subset by month: the heatmap's colours topped at the highest cell, 1.1% (2 of
    176 customers), so two buyers looked like a pattern; the churn view read 'lapsed' customers
    when 99.4% never bought again. Both recounted from the raw files."""
    days, tables = olist_purchase_days()
    cells = days.with_columns(pl.col("day").dt.truncate("1mo").alias("month")).with_columns(
        pl.col("month").min().over("customer_unique_id").alias("cohort")
    )
    sizes = cells.group_by("cohort").agg(pl.col("customer_unique_id").n_unique().alias("size"))
    later = (
        cells.filter(pl.col("month") > pl.col("cohort"))
        .group_by("cohort", "month")
        .agg(pl.col("customer_unique_id").n_unique().alias("back"))
        .join(sizes, on="cohort")
    )
    top = later.select((pl.col("back") / pl.col("size")).max()).item()
    assert top == pytest.approx(2 / 176)
    at = apptest.files_page({t.name: t.frame for t in tables}, "cohorts", "olist")
    assert f"The colours run to 10% although the highest cell is {fmt.pct(top)}," in texts(at)
    # The report's heatmap caption says it too.
    (section,) = report.report_sections(formats.assemble(tables).dataset, ["cohorts"], {})
    assert f"The colours run to 10% although the highest cell is {fmt.pct(top)}," in (
        section.blocks[0].caption
    )
    per = days.group_by("customer_unique_id").len()
    warned = " ".join(w.value for w in at.warning)
    assert (
        fmt.plain(
            f"Nearly every customer bought on one day only: "
            f"{per.filter(pl.col('len') == 1).height:,} of "
            f"{per.height:,}"
        )
        in warned
    )


def test_the_heatmap_keeps_its_own_configuration_beside_the_apps():
    at = page("retail")
    configs = [json.loads(c.proto.spec).get("config", {}) for c in at.get("vega_lite_chart")]
    # The heatmap draws no frame and no axis lines (lib/charts/cohorts.py); the app adds its
    # minus sign and x-axis tick count to every chart without replacing that.
    heatmap = [c for c in configs if c.get("axis", {}).get("domain") is False]
    assert len(heatmap) == 1
    assert heatmap[0]["view"]["stroke"] is None
    for config in configs:
        assert config["locale"]["number"]["minus"] == fmt.MINUS
        assert config["axisXQuantitative"] == {"tickCount": 10, "labelFlush": False}


def test_a_cohort_only_its_own_interval_sets_apart_is_said_apart_from_the_one_named_best():
    """Screenshot audit: 'the Oct 2023 cohort did best (12.7%), beyond chance across the 10
    cohorts compared (the 95% interval of the Feb 2024 cohort, 2.6%–6.8%, clears their pooled
    7.7%, but ...)': the bracket, about a low cohort, read as the best one's. The web shop demo's
    month 1: Feb 2024's interval lies below the pooled share, said so, after the best."""
    at = page("webshop")
    (reading,) = [
        c.value.replace("\\", "")
        for c in at.caption
        if c.value.startswith(":material/lightbulb: In")
    ]
    month_1 = reading.split("; in month 3")[0]
    assert "did best (12.7%), beyond chance across the 10 cohorts compared, and the 95% " in (
        month_1
    )
    _, high, pooled = re.search(
        r"interval of the Feb 2024 cohort, ([\d.]+)%–([\d.]+)%, lies below their pooled "
        r"([\d.]+)%",
        month_1,
    ).groups()
    assert float(high) < float(pooled)  # below, as it says
    assert "compared (the 95% interval" not in reading
