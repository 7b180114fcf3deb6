"""Cohorts: how much of each first-purchase cohort comes back, period by period."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

import polars as pl

from lib import fmt, measures, periods, stats, summaries
from lib.analyses import churn
from lib.model import Dataset

GRAINS = {"week": "1w", "month": "1mo", "quarter": "1q"}
METRICS = ("customers", "orders", "revenue")
METRIC_LABELS = {"customers": "Customers active", "orders": "Orders", "revenue": "Net revenue"}
CHURN_CHOICES = churn.CHOICES  # the churn windows the page offers (a recipe snaps to one)
DEFAULT_SHOWN = 24  # cohorts shown by default: more rows make the heatmap's labels unreadable
MIN_COHORT = 20  # smaller cohorts swing too much to be called best or worst when others exist
MIN_BACK = 5  # a cell where fewer customers came back is no best (Olist's Feb 2018: one buyer)
# A cohort starting within the gap that holds this share of repeat purchases (churn windows) of
# the data's first purchase may hold customers who bought before the data starts and came back
# (Online Retail: 80% within 70 days, so its cohorts up to Feb 2011 are no cohorts of new ones).
EARLY_QUANTILE = 0.8
# A calendar period in which fewer customers bought than this share of the median fully observed
# period's is a calendar effect (Online Retail's week of 27 Dec 2010: nobody bought), not a
# cohort's: its cells are not compared.
QUIET_SHARE = 0.25
# An average on fewer cohorts or customers is no average (the curve greys its points on fewer
# than FEW_COHORTS cohorts: in a 13-month history, month 12 is the first cohort's alone).
FEW_COHORTS = 3
FEW_CUSTOMERS = 50

_CELL = ("active", "orders", "revenue")
PURCHASE_COLUMNS = ("order_id", "customer_id", "ordered_at", "revenue")
_AMOUNT = {"customers": "active", "orders": "orders", "revenue": "revenue"}


def _every(grain: str) -> str:
    """The polars interval of a grain given by name ("month") or interval ("1mo")."""
    if grain in GRAINS:
        return GRAINS[grain]
    if grain in GRAINS.values():
        return grain
    raise ValueError(f"grain must be one of {', '.join(GRAINS)}")


def grain_name(grain: str) -> str:
    """'month' for "month" or "1mo"."""
    every = _every(grain)
    return next(name for name, code in GRAINS.items() if code == every)


# Periods are numbered with integers (summaries.period_number) so that "periods since the first
# purchase" is a subtraction.
def _number_of(day: date, every: str) -> int:
    if every == "1w":
        return ((day - date(1970, 1, 1)).days + 3) // 7
    if every == "1q":
        return day.year * 4 + (day.month - 1) // 3
    return day.year * 12 + day.month - 1


def _start_of(number: int, every: str) -> date:
    if every == "1w":
        return date(1970, 1, 1) + timedelta(days=number * 7 - 3)
    if every == "1q":
        return date(number // 4, number % 4 * 3 + 1, 1)
    return date(number // 12, number % 12 + 1, 1)


def _period_start(number: pl.Expr, every: str) -> pl.Expr:
    if every == "1w":
        return (number * 7 - 3).cast(pl.Date)
    if every == "1q":
        return pl.date(number // 4, number % 4 * 3 + 1, 1)
    return pl.date(number // 12, number % 12 + 1, 1)


def _label(column: str, every: str) -> pl.Expr:
    day = pl.col(column)
    if every == "1w":
        return day.dt.strftime("%-d %b %Y")  # as fmt.day writes a date: "6 Dec 2010"
    if every == "1q":
        return day.dt.year().cast(pl.String) + " Q" + day.dt.quarter().cast(pl.String)
    return day.dt.strftime("%b %Y")


_TABLE_SCHEMA = {
    "cohort": pl.Date,
    "label": pl.String,
    "period_index": pl.Int32,
    "period_start": pl.Date,
    "customers": pl.Int64,
    "active": pl.Int64,
    "orders": pl.Int64,
    "revenue": pl.Float64,
    "observed": pl.Boolean,
    "partial": pl.Boolean,
}


def cohort_table(lines: pl.DataFrame, grain: str = "1mo") -> pl.DataFrame:
    """Every cohort-period cell with all three metrics, in one pass over the lines.

    Purchases are measures.customer_purchases (the customers RFM and CLV count): a customer's
    cohort is the week (from Monday), month or quarter of their first purchase. One row per
    (cohort, period_index) for period_index 0 up to the last period of the data counted from the
    first cohort, sorted by cohort then period_index, with cohort (Date, first day of the period),
    label ("Dec 2010", "2010 Q4", week: its Monday "6 Dec 2010"), period_index (0: the
    first-purchase period), period_start (Date), customers (cohort size), active (customers with
    a purchase in the period), orders (distinct orders with a purchase), revenue (net of the
    cancellations matched to the purchase they reverse, in its period), observed (the period has
    begun by the data's last order) and partial (the data ends inside the period). active, orders
    and revenue are null when not observed and 0 when observed with no activity.
    """
    ordered = lines["ordered_at"]
    if lines.height == 0 or ordered.null_count() == lines.height:
        return pl.DataFrame(schema=_TABLE_SCHEMA)
    return purchase_cohorts(purchases(lines), grain, ordered.dt.date().max())


def purchases(lines: pl.DataFrame) -> pl.DataFrame:
    """The purchases cohorts count (measures.customer_purchases) per order, customer and day
    (summaries.order_days): what every grain groups into periods. Computed once per data set."""
    bought = measures.customer_purchases(lines, PURCHASE_COLUMNS).lines
    return summaries.order_days(summaries.lazy(bought)).collect().to_native()


def purchase_cohorts(days: pl.DataFrame, grain: str, last_day: date) -> pl.DataFrame:
    """cohort_table from `purchases(lines)` and the day the data ends (its last order)."""
    every = _every(grain)
    periods = summaries.customer_periods(summaries.lazy(days), every).collect().to_native()
    return period_cohorts(periods, every, last_day)


def cohorts_by_grain(days: pl.DataFrame, last_day: date) -> dict[str, pl.DataFrame]:
    """purchase_cohorts at every grain (GRAINS' names), their periods grouped in one collect
    (side by side), so that a page switching grains recomputes nothing."""
    lazy = summaries.lazy(days)
    periods = pl.collect_all(
        [summaries.customer_periods(lazy, every).to_native() for every in GRAINS.values()]
    )
    return {
        name: period_cohorts(frame, every, last_day)
        for (name, every), frame in zip(GRAINS.items(), periods, strict=True)
    }


def period_cohorts(periods: pl.DataFrame, grain: str, last_day: date) -> pl.DataFrame:
    """cohort_table from summaries.customer_periods (collected, same grain) and the day
    the data ends (its last order)."""
    every = _every(grain)
    last = _number_of(last_day, every)
    # The data ends inside its last period unless it reaches that period's last day.
    ends_inside = last_day < _start_of(last + 1, every) - timedelta(days=1)
    cells = (
        periods.lazy()
        .select("customer_id", pl.col("period").alias("p"), "revenue", "orders")
        .with_columns(pl.col("p").min().over("customer_id").alias("c"))
        .group_by("c", (pl.col("p") - pl.col("c")).alias("period_index"))
        .agg(
            pl.len().cast(pl.Int64).alias("active"),
            pl.col("orders").sum(),
            pl.col("revenue").sum(),
        )
        .collect()
    )
    if cells.height == 0:
        return pl.DataFrame(schema=_TABLE_SCHEMA)
    sizes = cells.filter(pl.col("period_index") == 0).select("c", customers=pl.col("active"))
    first = sizes["c"].min()
    indices = pl.DataFrame({"period_index": pl.int_range(0, last - first + 1, eager=True)})
    reached = pl.col("c") + pl.col("period_index")
    observed = reached <= last
    return (
        sizes.join(indices.cast(pl.Int32), how="cross")
        .join(cells, on=["c", "period_index"], how="left")
        .with_columns(
            *(
                pl.when(observed).then(pl.col(c).fill_null(0)).otherwise(None).alias(c)
                for c in _CELL
            ),
            observed.alias("observed"),
            (observed & (reached == last) & ends_inside).alias("partial"),
            _period_start(reached, every).alias("period_start"),
            _period_start(pl.col("c"), every).alias("cohort"),
        )
        .with_columns(_label("cohort", every).alias("label"))
        .select(list(_TABLE_SCHEMA))
        .cast(_TABLE_SCHEMA)
        .sort("cohort", "period_index")
    )


def cohort_retention(lines: pl.DataFrame, grain: str = "1mo") -> pl.DataFrame:
    """Share of each first-purchase cohort active in later periods.

    One row per (cohort, period_index) with customers, active, retention (0..1), partial;
    active and retention are null for periods the data does not reach yet.
    """
    return cohort_table(lines, grain).select(
        "cohort",
        "period_index",
        "customers",
        "active",
        (pl.col("active") / pl.col("customers")).alias("retention"),
        "partial",
    )


def _first_period(column: pl.Expr) -> pl.Expr:
    return column.filter(pl.col("period_index") == 0).first().over("cohort")


def _per_customer_and_share(column: str) -> list[pl.Expr]:
    base = _first_period(pl.col(column))
    return [
        (pl.col(column) / pl.col("customers")).alias(f"{column}_per_customer"),
        pl.when(base > 0).then(pl.col(column) / base).alias("share_of_first"),
    ]


def cohort_orders(lines: pl.DataFrame, grain: str = "1mo") -> pl.DataFrame:
    """Orders of each cohort per period.

    One row per (cohort, period_index) with customers, orders, orders_per_customer,
    share_of_first (orders / the cohort's first-period orders), partial; null when unobserved.
    """
    return (
        cohort_table(lines, grain)
        .select("cohort", "period_index", "customers", "orders", "partial")
        .with_columns(_per_customer_and_share("orders"))
    )


def cohort_revenue(lines: pl.DataFrame, grain: str = "1mo") -> pl.DataFrame:
    """Net revenue of each cohort per period (returns subtract).

    One row per (cohort, period_index) with customers, revenue, revenue_per_customer,
    share_of_first (revenue / the cohort's first-period revenue; null when that is not
    positive), partial; null when unobserved.
    """
    return (
        cohort_table(lines, grain)
        .select("cohort", "period_index", "customers", "revenue", "partial")
        .with_columns(_per_customer_and_share("revenue"))
    )


def cohort_matrix(
    table: pl.DataFrame,
    metric: str = "customers",
    relative: bool = True,
    last: int = 0,
    early_until: date | None = None,
) -> pl.DataFrame:
    """The heatmap's cells for one metric, from a cohort_table, for the `last` cohorts (0: all).

    One row per (cohort, period_index) up to the last period the shown cohorts reach, with
    cohort, label, period_index, period_start (the cell's calendar period), customers, active
    (customers buying in the period), amount (active customers, orders or net revenue),
    base (the cohort's first-period amount), share (amount / base; null when base is not
    positive), value (share when relative, else amount), observed and partial. Unobserved cells
    have null amount, share and value. period_buyers counts the customers of every cohort (shown
    or not) buying in the cell's calendar period, and `quiet` marks a fully observed period in
    which fewer bought than QUIET_SHARE of the median fully observed period's (a closure, or the
    data's thin start). `opening` marks the data's first cohort: it starts with the data, so it
    holds every customer already buying then, not only new ones; `early` marks it and every
    cohort starting before `early_until` (early_until()), which may hold such customers too.
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}")
    cohorts = table["cohort"].unique().sort()
    # No cohort (no purchase): nothing is the opening one (a comparison with None warns).
    opening = pl.col("cohort") == cohorts.min() if cohorts.len() else pl.lit(False)
    # Every cohort's buyers per calendar period, before the shown cohorts are picked.
    full = table.filter(pl.col("observed") & ~pl.col("partial"))
    usual = full.group_by("period_start").agg(pl.col("active").sum())["active"].median()
    buyers = pl.col("active").sum().over("period_start")
    table = table.with_columns(pl.when("observed").then(buyers).alias("period_buyers"))
    if last and last < cohorts.len():
        table = table.filter(pl.col("cohort") >= cohorts[-last])
        reach = table.filter("observed")["period_index"].max()
        table = table.filter(pl.col("period_index") <= (reach or 0))
    amount = pl.col(_AMOUNT[metric]).cast(pl.Float64)
    base = _first_period(amount)
    share = pl.when(base > 0).then(amount / base)
    quiet = (
        pl.col("observed")
        & ~pl.col("partial")
        & (pl.col("period_buyers") < QUIET_SHARE * usual if usual is not None else pl.lit(False))
    )
    early = (opening | (pl.col("cohort") < early_until)) if early_until is not None else opening
    return table.select(
        "cohort",
        "label",
        "period_index",
        "period_start",
        "customers",
        "active",
        amount.alias("amount"),
        base.alias("base"),
        share.alias("share"),
        (share if relative else amount).alias("value"),
        "observed",
        "partial",
        "period_buyers",
        quiet.alias("quiet"),
        opening.alias("opening"),
        early.alias("early"),
    )


def early_until(first_day: date | None, windows: pl.DataFrame) -> date | None:
    """The day before which a cohort may hold customers who bought before the data starts: the
    data's first purchase day plus the gap within which EARLY_QUANTILE of repeat purchases came
    (a churn_windows row). None without a first day, or when the gap rests on fewer than
    churn.MIN_GAPS repeat purchases: then only the data's first cohort is taken as early."""
    row = windows.filter(pl.col("quantile") == EARLY_QUANTILE)
    if first_day is None or row.height == 0 or row["repeat_purchases"][0] < churn.MIN_GAPS:
        return None
    return first_day + timedelta(days=int(row["days"][0]))


def left_out_note(first_day: date, until: date | None, grain: str) -> str:
    """What best_worst_reading leaves out and why, for a caption: the `early` cohorts (those
    starting before `until`, early_until(first_day, ...), or the data's first alone) and the
    `quiet` calendar periods."""
    unit = grain_name(grain)
    early = (
        "the data's first cohort, as it also holds customers who bought before the data starts"
        if until is None
        else f"cohorts starting before {fmt.day(until)}, within "
        f"{fmt.counted((until - first_day).days, 'day')} of the data's first purchase "
        f"({fmt.pct(EARLY_QUANTILE, 0)} of repeat purchases come that soon after the previous "
        "one), as they may hold customers who bought before the data starts"
    )
    return (
        f"Best and worst leave out {early}, and {unit}s in which fewer customers bought than "
        f"{fmt.pct(QUIET_SHARE, 0)} of the median {unit}'s (a calendar effect)."
    )


def _curve_flag(matrix: pl.DataFrame) -> str:
    """Which cohorts the curve leaves out: the `early` ones, else (when every cohort shown is
    early) the `opening` one, else none ("")."""
    return next(
        (f for f in ("early", "opening") if f in matrix.columns and not matrix[f].all()), ""
    )


def curve_left_out(matrix: pl.DataFrame) -> str:
    """Which cohorts of `matrix` retention_curve leaves out, for a caption: '' when none."""
    flag = _curve_flag(matrix)
    if not flag or not matrix[flag].any():
        return ""
    if flag == "opening" or matrix.filter(flag)["cohort"].n_unique() == 1:
        return "the data's first cohort (it also holds customers who bought before the data starts)"
    return (
        "the cohorts best and worst leave out as they may hold customers who bought before the "
        "data starts"
    )


def retention_curve(matrix: pl.DataFrame) -> pl.DataFrame:
    """The average cohort's share of its first period, period by period.

    From a cohort_matrix; only fully observed cells count (a partial period would drag the
    average down), and not the cohorts best_worst_reading leaves out as `early` when others are
    shown (curve_left_out): the data's first cohort holds every customer already buying, and as
    the oldest it alone reaches the last periods (Online Retail's Dec 2010 took the curve from
    37% to 50% at month 11); those starting soon after may hold such customers too, so the
    headline share is of the cohorts the reading compares. One row per period_index with
    mean (cohorts pooled: summed amounts over summed first-period amounts, so large cohorts
    weigh more), q25 and q75 (the interquartile range of the cohorts' shares, unweighted),
    cohorts (how many cohorts the period rests on), customers (their customers), active (how
    many of those bought in the period), active_at_1 (how many of those same cohorts' customers
    bought in period 1: a later period rests on fewer, older cohorts, whose change from period
    1 is their own) and first_period and last_period (the calendar periods those cells fall in:
    the first and last cohorts' period of that index).
    """
    left_out = _curve_flag(matrix)
    if left_out:
        matrix = matrix.filter(~pl.col(left_out))
    counted = matrix.filter(pl.col("observed") & ~pl.col("partial") & pl.col("share").is_not_null())
    at_1 = counted.filter(pl.col("period_index") == 1).select(
        "cohort", pl.col("active").alias("_at_1")
    )
    return (
        counted.join(at_1, on="cohort", how="left")
        .group_by("period_index")
        .agg(
            (pl.col("amount").sum() / pl.col("base").sum()).alias("mean"),
            pl.col("share").quantile(0.25, "linear").alias("q25"),
            pl.col("share").quantile(0.75, "linear").alias("q75"),
            pl.len().cast(pl.Int64).alias("cohorts"),
            pl.col("customers").sum().cast(pl.Int64),
            pl.col("active").sum().cast(pl.Int64),
            pl.col("_at_1").sum().cast(pl.Int64).alias("active_at_1"),
            pl.col("period_start").min().alias("first_period"),
            pl.col("period_start").max().alias("last_period"),
        )
        .sort("period_index")
    )


@dataclass(frozen=True)
class Coverage:
    """What the cohorts rest on: lines read, lines left out for lack of a customer, and
    customers (people with at least one purchase)."""

    lines: int
    without_customer: int
    customers: int
    matched: int  # cancellations netted out of the purchase they reverse
    unmatched: int  # cancellations with no earlier purchase to net out of: left out


def coverage(lines: pl.DataFrame) -> Coverage:
    """How many lines have no customer (left out) and how many customers made a purchase."""
    bought = measures.customer_purchases(lines, ("customer_id",))
    return Coverage(
        lines=lines.height,
        without_customer=lines["customer_id"].null_count(),
        customers=bought.lines["customer_id"].n_unique(),
        matched=bought.matched,
        unmatched=bought.unmatched,
    )


_WHAT = {
    "customers": "of a cohort's customers buy again",
    # Orders are not placed again: a later period's orders are counted against the first's.
    "orders": "as many orders as in a cohort's first period come",
    "revenue": "of a cohort's first-period revenue comes back",
}


def _compared(matrix: pl.DataFrame, index: int) -> pl.DataFrame:
    """The cells at period `index` that best and worst compare: fully observed, with a share,
    of cohorts not `early`, in a calendar period not `quiet`."""
    return matrix.filter(
        (pl.col("period_index") == index)
        & pl.col("observed")
        & ~pl.col("partial")
        & pl.col("share").is_not_null()
        & ~pl.col("early")
        & ~pl.col("quiet")
    )


def _extremes(matrix: pl.DataFrame, index: int, metric: str) -> stats.Extremes | None:
    """The best and worst cohorts at period `index`, among the _compared cells of cohorts with
    MIN_COHORT customers or more when at least two have that many (stats.extremes, oldest
    first). For customers (a share of the cohort) a cohort is best or worst only beyond chance
    across the cohorts compared (m: those cells); other measures are no share of a count, so
    the highest and lowest are named. A best cell rests on MIN_BACK customers coming back or
    more."""
    cells = _compared(matrix, index)
    big = cells.filter(pl.col("customers") >= MIN_COHORT)
    cells = big if big.height >= 2 else cells
    if cells.height < 2:
        return None
    found = stats.extremes(cells.sort("cohort"), "amount", "base", chance=metric == "customers")
    enough = pl.col("active") >= MIN_BACK
    return replace(
        found, best=found.best.filter(enough), chance_best=found.chance_best.filter(enough)
    )


def band_note(curve: pl.DataFrame, grain: str) -> str:
    """Where the retention curve's pooled line runs above its band (the middle half of cohorts),
    which reads as a drawing error without a word: in how many of the periods it draws, and
    why (Olist's months where most cohorts have no one back and a few lift the pooled figure);
    empty when it never does."""
    shown = curve.filter(pl.col("period_index") > 0)
    above = shown.filter(pl.col("mean") > pl.col("q75")).height
    if above == 0:
        return ""
    unit = grain_name(grain)
    return (
        f"The line runs above the band in {above} of the {fmt.counted(shown.height, unit)} "
        "drawn: there the middle half of cohorts sits lower, and a few cohorts with more back "
        "lift the pooled figure."
    )


def curve_reading(curve: pl.DataFrame, grain: str, metric: str) -> str:
    """How much of the average cohort comes back in periods 1, 3 and the last one that
    FEW_COHORTS cohorts reach, and, of customers, how many points it loses (or gains) per
    period after period 1, beyond chance (`_moved`); of orders and revenue, which no count
    tests, the range it runs in (`_ranged`). When period 1 rests on fewer than FEW_COHORTS
    cohorts or FEW_CUSTOMERS customers, it is called no average and said so (for customers,
    with its 95% Wilson interval)."""
    unit = grain_name(grain)
    means = dict(zip(curve["period_index"], curve["mean"], strict=True))
    if 1 not in means:
        return (
            f"No cohort has a full {unit} after its first yet, so there is nothing to compare: "
            "choose a shorter grain or load a longer history."
        )
    one = curve.filter(pl.col("period_index") == 1).row(0, named=True)
    few = one["cohorts"] < FEW_COHORTS or one["customers"] < FEW_CUSTOMERS
    # The far end of the curve: the last period that FEW_COHORTS cohorts of FEW_CUSTOMERS
    # customers reach (4 of 112 customers read "gains about 0.14 points a week").
    steady = curve.filter(
        (pl.col("period_index") >= 1)
        & (pl.col("cohorts") >= FEW_COHORTS)
        & (pl.col("customers") >= FEW_CUSTOMERS)
    )
    far = steady["period_index"].max() if steady.height else 1
    shown = [i for i in sorted({1, 3, far}) if i in means and i <= far]
    said = [f"{fmt.pct(means[i])} {_after(i, unit)}" for i in shown[1:]]
    text = f"{'' if few else 'On average '}{fmt.pct(means[1])} {_WHAT[metric]} {_after(1, unit)}"
    if said:
        text += (", " + ", ".join(said[:-1]) if len(said) > 1 else "") + " and " + said[-1]
    if one["cohorts"] > 1:
        text += " (cohorts pooled by size)"
    if far > 1 and metric != "customers":
        text += _ranged(steady, unit)
    elif far > 1:
        end = curve.filter(pl.col("period_index") == far).row(0, named=True)
        # The far end against the same cohorts' period 1, not against every cohort's: Online
        # Retail's month 6 (3 cohorts, 25.2%) read as 1.1 points a month from the 8 cohorts'
        # 19.8% in month 1, where those 3 had 18.0% back then, 1.4 points a month.
        back, of = _back_at_1(end, one)
        start = back / of
        them = (
            f" for the {fmt.counted(end['cohorts'], 'cohort')} that reach {unit} {far}"
            if end["cohorts"] < one["cohorts"] and fmt.pct(start) != fmt.pct(means[1])
            else ""
        )
        slope = (means[far] - start) / (far - 1) * 100
        # Customers coming back are counts: a change from period 1 within chance is no trend.
        moved = _moved(one, steady.filter(pl.col("period_index") > 1))
        against = f"({fmt.pct(start)} against {fmt.pct(means[far])}{them})"
        if not moved:
            text += f": after the first {unit} it moves no further than chance would {against}."
        elif not (moved & {1 if slope > 0 else -1}):
            # Beyond chance only the other way, or both ways: no trend its ends would tell.
            way = {frozenset({1}): "rises", frozenset({-1}): "falls"}.get(moved, "moves")
            text += (
                f": after the first {unit} it {way} beyond chance in between, but ends within "
                f"chance of it {against}."
            )
        elif abs(slope) < 0.01:
            text += f": after the first {unit} it stays about level."
        else:
            verb = "loses" if slope < 0 else "gains"
            points = fmt.significant(abs(slope), 2)
            if "." in points:  # 'about 0.02', not 'about 0.020'
                points = points.rstrip("0").rstrip(".")
            text += f": after the first {unit} it {verb} about {points} points a {unit}" + (
                f" ({fmt.pct(start)} {_after(1, unit)}{them})." if them else "."
            )
            if slope > 0:
                text += (
                    f" The cohorts that reach {unit} {far} do so in "
                    f"{_calendar(end['first_period'], end['last_period'], grain)}: a rise "
                    "this late can come from the season of those months rather than from "
                    "customers growing more loyal."
                )
    else:
        text += "."
    if few:
        interval = stats.wilson(one["active"], one["customers"]) if metric == "customers" else None
        back = (
            f" ({fmt.count(one['active'])} back, 95% interval {fmt.pct(interval[0])} to "
            f"{fmt.pct(interval[1])})"
            if interval
            else ""
        )
        text += (
            f" Only {fmt.counted(one['cohorts'], 'cohort')} of "
            f"{fmt.counted(one['customers'], 'customer')} "
            f"{fmt.plural(one['cohorts'], 'has', 'have')} a full {unit} 1{back}: too few to call "
            "it an average."
        )
    return text


def _ranged(steady: pl.DataFrame, unit: str) -> str:
    """': from 1 to 20 weeks later it runs between 2.9% (1 week later) and 11.1% (12 weeks
    later); with no count of customers to test it by, no trend is read from it': the orders
    or revenue curve over the periods enough cohorts reach (`steady`), whose two ends read as
    a slope had said "gains" of a curve that ran 5.6% at week 3 and 4.3% at week 20 (Online
    Retail's weekly revenue). Customers coming back are counts that curve_reading tests."""
    low = steady.sort("mean", "period_index").row(0, named=True)
    high = steady.sort(pl.col("mean"), -pl.col("period_index"), descending=True).row(0, named=True)
    last = steady["period_index"].max()
    return (
        f": from 1 to {_after(last, unit)} it runs between {fmt.pct(low['mean'])} "
        f"({_after(low['period_index'], unit)}) and {fmt.pct(high['mean'])} "
        f"({_after(high['period_index'], unit)}); with no count of customers to test it by, no "
        "trend is read from it."
    )


def _calendar(first: date, last: date, grain: str) -> str:
    """The calendar periods from `first` to `last` (their first days) as the cohorts' labels
    write them: 'Aug–Nov 2011', '2011 Q3–Q4', 'the weeks of 1 Aug to 28 Nov 2011'."""
    every = _every(grain)
    if every == "1w":
        return f"the weeks of {fmt.day(first)} to {fmt.day(last)}"
    if every == "1q":
        name = [f"{d.year} Q{(d.month - 1) // 3 + 1}" for d in (first, last)]
        return name[0] if first == last else f"{name[0]}–{name[1]}"
    return periods.months_text(first, last)


def _back_at_1(row: Mapping, one: Mapping) -> tuple[int, int]:
    """How many of a curve `row`'s own cohorts' customers came back in period 1, of how many
    (active_at_1, customers); every cohort's (`one`, the period-1 row) for a curve without
    it."""
    if row.get("active_at_1") is None or not row["customers"]:
        return one["active"], one["customers"]
    return row["active_at_1"], row["customers"]


def _moved(one: dict, later: pl.DataFrame) -> frozenset[int]:
    """The ways (1 up, -1 down) the share of customers coming back in the `later` periods of the
    curve differs from period 1's beyond chance across them (stats.shares_z of their counts,
    stats.family; each period against its own cohorts' period 1, `_back_at_1`, two counts of
    the same customers taken as independent, which only widens the test); empty when none
    does. Every period, not the far end alone, which rests on the fewest customers (Online
    Retail's weeks: 8.2% of 122 customers at week 20 against 4.6% of 1,332 at week 1 is within
    chance, 8.5% of 686 at week 9 is not, nor are many weeks between)."""
    z = [
        stats.shares_z_of(row["active"], row["customers"], *_back_at_1(row, one))
        for row in later.iter_rows(named=True)
    ]
    family = stats.family(z)
    return frozenset(1 if v > 0 else -1 for v in z if family.beyond(v))


def _period_name(day: date, every: str) -> str:
    """A calendar period as a sentence names it: 'the week of 27 Dec 2010', 'Dec 2010'."""
    label = pl.DataFrame({"at": [day]}).select(_label("at", every))["at"][0]
    return f"the week of {label}" if every == "1w" else label


def _left_out_early(early: pl.DataFrame, unit: str) -> str:
    """Why the `early` cohorts are not compared: the data's first cohort alone starts with the
    data; later ones start within the EARLY_QUANTILE churn window of it."""
    cohorts = early.unique("cohort").sort("cohort")
    if cohorts["opening"].all():
        first = _cohort(cohorts["label"][0], unit)
        return (
            f" T{first[1:]} is left out: it starts with the data, so it also holds customers "
            "who bought before, not only new ones."
        )
    if cohorts.height <= 2:
        named = _cohorts(cohorts, unit)
    else:
        weeks = "of the weeks " if unit == "week" else ""
        named = f"the cohorts {weeks}from {cohorts['label'][0]} to {cohorts['label'][-1]}"
    one = cohorts.height == 1
    return (
        f" T{named[1:]} {'is' if one else 'are'} left out: {'it starts' if one else 'they start'} "
        f"within the {fmt.pct(EARLY_QUANTILE, 0)} churn window (the gap within which "
        f"{fmt.pct(EARLY_QUANTILE, 0)} of repeat purchases come) of the data's first purchase, so "
        f"customers who bought before the data starts may come back in {'it' if one else 'them'} "
        "and pass for new ones."
    )


def _left_out_quiet(quiet: pl.DataFrame, every: str, unit: str) -> str:
    """Why cells in `quiet` calendar periods are not compared: nobody, or far fewer customers
    than usual, bought in them."""
    periods = quiet.unique("period_start").sort("period_start")
    names = fmt.listed([_period_name(d, every) for d in periods["period_start"]], 3)
    buyers = periods["period_buyers"]
    if buyers.max() == 0:
        why = "nobody bought anything then"
    elif periods.height == 1:
        why = (
            f"only {fmt.counted(buyers[0], 'customer')} bought then, under "
            f"{fmt.pct(QUIET_SHARE, 0)} of the median {unit}'s"
        )
    else:
        why = f"fewer customers bought then than {fmt.pct(QUIET_SHARE, 0)} of the median {unit}'s"
    return (
        f" Cells in {names} are left out: {why}, so a cohort's share there says more about the "
        "calendar than about the cohort."
    )


def _nothing_compared(matrix: pl.DataFrame, unit: str, aside: bool) -> str:
    """Why no two cohorts are compared, and what would compare them: more cohorts shown when
    the data has older ones (the data's first cohort is not among those shown), else a shorter
    grain or a longer history. `aside`: some cohorts or cells are left out (said after)."""
    hidden = not matrix["opening"].any()
    full = _compared(matrix, 1)
    among = " among those shown" if hidden else ""
    rest = ", apart from those left out" if aside else ""
    if full.height == 0:
        lead = (
            f"No cohort{' shown' if hidden else ''} has a full {unit} after its first"
            f"{rest or ' yet'}, so there is nothing to compare"
        )
    else:
        lead = (
            f"Only {_cohort(full['label'][0], unit)} has a full {unit} after its first{among}"
            f"{rest}, so there is no other cohort to compare it with"
        )
    advice = "show more cohorts" if hidden else "choose a shorter grain or load a longer history"
    return f"{lead}: {advice}."


def best_worst_reading(matrix: pl.DataFrame, grain: str, metric: str) -> str:
    """Which cohorts did best and worst at periods 1 and 3, by share of their first period
    (_extremes: ties named together; for customers, only beyond chance), or why no two cohorts
    can be compared (_nothing_compared). The `early` cohorts (the data's first, and those that
    start within the gap of EARLY_QUANTILE of repeat purchases of the data's first purchase) are
    left out, and so are cells in `quiet` calendar periods, each said so: they may hold
    customers who bought before the data, or read the calendar rather than the cohort."""
    unit, every = grain_name(grain), _every(grain)
    notes = ""
    quiet = matrix.filter(~pl.col("early") & pl.col("quiet") & pl.col("period_index").is_in([1, 3]))
    if quiet.height:
        notes += _left_out_quiet(quiet, every, unit)
    early = matrix.filter("early")
    if early.height:
        notes += _left_out_early(early, unit)
    parts, named, when = [], False, []
    for index in (1, 3):
        found = _extremes(matrix, index, metric)
        if found is None:
            continue
        # Orders and revenue are no share of a count: a cohort is named worst only when its
        # share of customers coming back is worst beyond chance too, and best is checked so.
        counted = metric == "customers"
        tested = None if counted else _extremes(_as_customers(matrix), index, "customers")
        if not counted:
            kept = [] if tested is None else tested.worst["label"].to_list()
            found = replace(found, worst=found.worst.filter(pl.col("label").is_in(kept)))
        when += found.best["period_start"].to_list()  # the calendar period of each best cell
        said = [
            f"{_cohorts(cells, unit)} {verb if cells.height == 1 else 'tied ' + extreme} "
            f"({cells['_shown'][0]})"
            for cells, verb, extreme in (
                (found.best, "did best", "best"),
                # "did" said once: "A did best (30%), B worst (20%)"; alone, "B did worst".
                (found.worst, "worst" if found.best.height else "did worst", "worst"),
            )
            if cells.height
        ]
        held = f", beyond chance{stats.across(found.compared, 'cohorts')}"
        if counted:
            backed = True
        elif found.best.height:
            backed, held = _backed(tested, found, metric, unit)
        else:
            backed, held = False, ""
        named = named or (found.best.height > 0 and backed)
        if said:
            parts.append(f"{unit} {index}, " + ", ".join(said) + held)
        elif found.level:
            parts.append(
                f"{unit} {index}, the {found.compared} cohorts compared all read {found.level}"
            )
        elif not counted:
            parts.append(
                f"{unit} {index}, none of the {found.compared} cohorts compared stands out beyond "
                "chance by customers coming back"
            )
        else:
            parts.append(
                f"{unit} {index}, none of the {found.compared} cohorts compared differs from "
                f"their pooled {fmt.pct(found.pooled)} beyond chance"
                + (
                    ", though together they differ more than chance would (a chi-square test "
                    f"across them all, p = {found.together:.3f}): no single one stands out"
                    if found.together is not None and found.together < 0.05
                    else ""
                )
            )
        parts[-1] += _by_chance(found, unit, after=bool(said))
    if not parts:
        return _nothing_compared(matrix, unit, bool(notes)) + notes
    advice = " Look at what brought the best ones in." if named else ""
    if len(when) > 1 and len(set(when)) == 1:  # a calendar effect as much as a cohort's
        advice = (
            f" The best ones all come back in {_period_name(when[0], every)}: that {unit}'s "
            "demand may explain them as much as how the cohorts were won."
        )
    return "In " + "; in ".join(parts) + "." + advice + notes


def _as_customers(matrix: pl.DataFrame) -> pl.DataFrame:
    """A cohort matrix of any metric as its customers coming back: the share chance can judge."""
    return matrix.with_columns(
        pl.col("active").cast(pl.Float64).alias("amount"),
        pl.col("customers").cast(pl.Float64).alias("base"),
        (pl.col("active") / pl.col("customers")).alias("share"),
    )


def _backed(
    tested: stats.Extremes | None, found: stats.Extremes, metric: str, unit: str
) -> tuple[bool, str]:
    """Whether the cohorts that did best on orders or revenue (`found`: no share of a count,
    which no exact test can judge) also have the largest share of customers coming back beyond
    chance across the cohorts compared (`tested`: the same period as customers), and the words
    that say so: a best made of a few customers' orders or spending is no reason to look at how
    the cohort was won."""
    best = set(found.best["label"])
    backed = tested is not None and best <= set(tested.best["label"])
    name, one = _cohorts(found.best, unit), len(best) == 1
    if backed:
        return True, (
            f"; {name} {'also has' if one else 'also have'} the largest share of customers "
            f"coming back, beyond chance{stats.across(tested.compared, 'cohorts')}"
        )
    spent = "orders" if metric == "orders" else "spending"
    return False, (
        f"; by customers coming back {name} {'does' if one else 'do'} not stand out beyond "
        f"chance, so the difference may be a few customers' {spent}"
    )


def _by_chance(found: stats.Extremes, unit: str, after: bool = False) -> str:
    """' (the 95% interval of the Oct 2011 cohort, 19.85%–28.7%, clears their pooled 19.76%,
    but with 8 cohorts compared, one this far out is expected by chance)': the best and worst
    cohorts of `found` whose own interval clears the pooled share (written with as many
    decimals as the intervals need) though that is within chance across the cohorts compared;
    "" when none. `after` a cohort named best or worst, they are said apart, with the side
    they lie on: in brackets after "the Oct 2023 cohort did best ... beyond chance" a low
    cohort's interval read as the best one's."""
    # Tied cohorts of one interval are named together, each interval with its own cohorts.
    digits, sides = stats.by_interval(found)
    if not sides:
        return ""
    named = found.chance_best.height + found.chance_worst.height  # tied cohorts each
    # Their pooled share: of the cells compared (the curve's, less the quiet periods').
    pooled = f"their pooled {fmt.pct(found.pooled, digits)}"

    def intervals(rows: list[tuple[str, int, str]], verb: tuple[str, str]) -> str:
        """'the 95% interval of the Jan 2023 cohort, 10.8%–60.3%, clears', or of several:
        'the 95% intervals of the Jan 2023 cohort (10.8%–60.3%) and ... clear' (`verb`:
        singular, plural)."""
        if len(rows) == 1 and rows[0][1] == 1:
            ((name, _, interval),) = rows
            return f"the 95% interval of {name}, {interval}, {verb[0]}"
        return f"the 95% intervals of {stats.intervals_listed(rows)} {verb[1]}"

    said = [
        (best, [(_cohorts(rows, unit), rows.height, text) for rows, text in groups])
        for best, groups in sides
    ]
    if after:
        # Said apart, with the side each lies on.
        lying = " and ".join(
            f"{intervals(side, ('lies', 'lie'))} {'above' if best else 'below'} {pooled}"
            for best, side in said
        )
        return f", and {lying}, but {stats.expected_among(found, 'cohorts', named)}"
    own = f"{intervals([n for _, side in said for n in side], ('clears', 'clear'))} {pooled}"
    return f" ({own}, but {stats.expected_among(found, 'cohorts', named)})"


def cohort_reading(matrix: pl.DataFrame, curve: pl.DataFrame, grain: str, metric: str) -> str:
    """The curve reading followed by the best and worst cohorts."""
    return (
        f"{curve_reading(curve, grain, metric)} {best_worst_reading(matrix, grain, metric)}".strip()
    )


def _cohort(label: str, unit: str) -> str:
    return f"the cohort of the week of {label}" if unit == "week" else f"the {label} cohort"


def _cohorts(cells: pl.DataFrame, unit: str, most: int = 3) -> str:
    """One cohort as _cohort names it, or several: 'the Jan 2023, Feb 2023 and Jan 2024
    cohorts'."""
    labels = cells["label"].to_list()
    if len(labels) == 1:
        return _cohort(labels[0], unit)
    words = fmt.listed(labels, most)
    return f"the cohorts of the weeks of {words}" if unit == "week" else f"the {words} cohorts"


def _after(index: int, unit: str) -> str:
    return f"{index} {unit}{'s' if index > 1 else ''} later"


def headless(
    ds: Dataset,
    *,
    grain: str = "month",
    metric: str = "customers",
    relative: bool = True,
    shown: int = DEFAULT_SHOWN,
    churn_quantile: float = churn.QUANTILE,
) -> dict[str, pl.DataFrame]:
    """The Cohorts page's tables for the same controls: cohorts (every cohort's size, as the
    page's Customers and Cohorts count them), retention (the heatmap's cells of the `shown` most
    recent cohorts, as the page opens on; 0: every cohort) and curve (the average cohort, from
    fully observed cells); churn_windows and churn_monthly: the churn window section
    (lib.analyses.churn) with `churn_quantile` defining "lapsed"."""
    check_options(grain, metric, churn_quantile)
    if not ds.has("lines", "customer_id"):
        raise ValueError("Cohorts need a customer id per order line (lines.customer_id)")
    lines = ds.table("lines")
    days = purchases(lines)
    table = (
        purchase_cohorts(days, grain, lines["ordered_at"].max().date())
        if days.height
        else pl.DataFrame(schema=_TABLE_SCHEMA)
    )
    window = churn.headless(ds, churn_quantile)
    return table_frames(
        table,
        window["windows"],
        window["monthly"],
        metric=metric,
        relative=relative,
        shown=shown,
        first_day=days["day"].min(),
    )


def check_options(grain: str, metric: str, churn_quantile: float) -> None:
    """Raise ValueError naming the first of headless's options out of its choices."""
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {', '.join(GRAINS)}")
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}")
    if churn_quantile not in churn.CHOICES:
        raise ValueError(f"churn quantile must be one of {', '.join(map(str, churn.CHOICES))}")


def table_frames(
    table: pl.DataFrame,
    windows: pl.DataFrame,
    monthly: pl.DataFrame,
    *,
    metric: str = "customers",
    relative: bool = True,
    shown: int = DEFAULT_SHOWN,
    first_day: date | None = None,
) -> dict[str, pl.DataFrame]:
    """headless's tables from a cohort_table, the churn windows and monthly statuses (built
    from lines in memory, or from summaries computed elsewhere: lib.engines) and the data's
    first purchase day (which, with the windows, says which cohorts are `early`)."""
    early = early_until(first_day, windows)
    matrix = cohort_matrix(table, metric, relative, max(shown, 0), early)
    return {
        "cohorts": table.filter(pl.col("period_index") == 0).select("cohort", "label", "customers"),
        "retention": matrix,
        "curve": retention_curve(matrix),
        "churn_windows": windows,
        "churn_monthly": monthly,
    }
