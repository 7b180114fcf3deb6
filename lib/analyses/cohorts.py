"""Cohorts: how much of each first-purchase cohort comes back, period by period."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import polars as pl

from lib import fmt, measures, stats, summaries
from lib.analyses import churn
from lib.model import Dataset

GRAINS = {"week": "1w", "month": "1mo", "quarter": "1q"}
METRICS = ("customers", "orders", "revenue")
METRIC_LABELS = {"customers": "Customers active", "orders": "Orders", "revenue": "Net revenue"}
CHURN_CHOICES = churn.CHOICES  # the churn windows the page offers (a recipe snaps to one)
DEFAULT_SHOWN = 24  # cohorts shown by default: more rows make the heatmap's labels unreadable
MIN_COHORT = 20  # smaller cohorts swing too much to be called best or worst when others exist
MIN_BACK = 5  # a cell where fewer customers came back is no best (Olist's Feb 2018: one buyer)

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
    table: pl.DataFrame, metric: str = "customers", relative: bool = True, last: int = 0
) -> pl.DataFrame:
    """The heatmap's cells for one metric, from a cohort_table, for the `last` cohorts (0: all).

    One row per (cohort, period_index) up to the last period the shown cohorts reach, with
    cohort, label, period_index, customers, active (customers buying in the period), amount
    (active customers, orders or net revenue),
    base (the cohort's first-period amount), share (amount / base; null when base is not
    positive), value (share when relative, else amount), observed and partial. Unobserved cells
    have null amount, share and value. `opening` marks the data's first cohort: it starts with
    the data, so it holds every customer already buying then, not only new ones.
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}")
    cohorts = table["cohort"].unique().sort()
    opening = pl.col("cohort") == cohorts.min()
    if last and last < cohorts.len():
        table = table.filter(pl.col("cohort") >= cohorts[-last])
        reach = table.filter("observed")["period_index"].max()
        table = table.filter(pl.col("period_index") <= (reach or 0))
    amount = pl.col(_AMOUNT[metric]).cast(pl.Float64)
    base = _first_period(amount)
    share = pl.when(base > 0).then(amount / base)
    return table.select(
        "cohort",
        "label",
        "period_index",
        "customers",
        "active",
        amount.alias("amount"),
        base.alias("base"),
        share.alias("share"),
        (share if relative else amount).alias("value"),
        "observed",
        "partial",
        opening.alias("opening"),
    )


def retention_curve(matrix: pl.DataFrame) -> pl.DataFrame:
    """The average cohort's share of its first period, period by period.

    From a cohort_matrix; only fully observed cells count (a partial period would drag the
    average down), and not the data's first cohort when others are shown (`opening`: it holds
    every customer already buying, and as the oldest it alone reaches the last periods: Online
    Retail's Dec 2010 took the curve from 37% to 50% at month 11). One row per period_index with
    mean (cohorts pooled: summed amounts over summed first-period amounts, so large cohorts
    weigh more), q25 and q75 (the interquartile range of the cohorts' shares, unweighted) and
    cohorts (how many cohorts the period rests on).
    """
    if "opening" in matrix.columns and not matrix["opening"].all():
        matrix = matrix.filter(~pl.col("opening"))
    counted = matrix.filter(pl.col("observed") & ~pl.col("partial") & pl.col("share").is_not_null())
    return (
        counted.group_by("period_index")
        .agg(
            (pl.col("amount").sum() / pl.col("base").sum()).alias("mean"),
            pl.col("share").quantile(0.25, "linear").alias("q25"),
            pl.col("share").quantile(0.75, "linear").alias("q75"),
            pl.len().cast(pl.Int64).alias("cohorts"),
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
    "orders": "of a cohort's first-period orders are placed again",
    "revenue": "of a cohort's first-period revenue comes back",
}


def _extremes(matrix: pl.DataFrame, index: int, metric: str) -> stats.Extremes | None:
    """The best and worst cohorts at period `index`, among fully observed cells of cohorts with
    MIN_COHORT customers or more when at least two have that many (stats.extremes, oldest
    first). For customers (a share of the cohort) a cohort is best or worst only beyond chance;
    other measures are no share of a count, so the highest and lowest are named. A best cell
    rests on MIN_BACK customers coming back or more."""
    cells = matrix.filter(
        (pl.col("period_index") == index)
        & pl.col("observed")
        & ~pl.col("partial")
        & pl.col("share").is_not_null()
    )
    big = cells.filter(pl.col("customers") >= MIN_COHORT)
    cells = big if big.height >= 2 else cells
    if cells.height < 2:
        return None
    found = stats.extremes(cells.sort("cohort"), "amount", "base", chance=metric == "customers")
    return replace(found, best=found.best.filter(pl.col("active") >= MIN_BACK))


def curve_reading(curve: pl.DataFrame, grain: str, metric: str) -> str:
    """How much of the average cohort comes back in periods 1, 3 and the last one that three
    cohorts reach, and how many points it loses (or gains) per period after period 1."""
    unit = grain_name(grain)
    means = dict(zip(curve["period_index"], curve["mean"], strict=True))
    if 1 not in means:
        return (
            f"No cohort has a full {unit} after its first yet, so there is nothing to compare: "
            "choose a shorter grain or load a longer history."
        )
    # The far end of the curve: the last period that at least three cohorts reach.
    steady = curve.filter((pl.col("period_index") >= 1) & (pl.col("cohorts") >= 3))
    far = steady["period_index"].max() if steady.height else 1
    shown = [i for i in sorted({1, 3, far}) if i in means and i <= far]
    said = [f"{fmt.pct(means[i])} {_after(i, unit)}" for i in shown[1:]]
    text = f"On average {fmt.pct(means[1])} {_WHAT[metric]} {_after(1, unit)}"
    if said:
        text += (", " + ", ".join(said[:-1]) if len(said) > 1 else "") + " and " + said[-1]
    text += " (cohorts pooled by size)"
    if far > 1:
        slope = (means[far] - means[1]) / (far - 1) * 100
        if abs(slope) < 0.01:
            text += f": after the first {unit} it stays about level."
        else:
            verb = "loses" if slope < 0 else "gains"
            points = fmt.significant(abs(slope), 2)
            text += f": after the first {unit} it {verb} about {points} points a {unit}."
    else:
        text += "."
    return text


def best_worst_reading(matrix: pl.DataFrame, grain: str, metric: str) -> str:
    """Which cohorts did best and worst at periods 1 and 3, by share of their first period
    (_extremes: ties named together; for customers, only beyond chance); empty when no period
    has two cohorts to compare. The data's first cohort (`opening`) is left out, and said so:
    it holds customers who bought before the data too."""
    unit = grain_name(grain)
    left_out = ""
    if "opening" in matrix.columns and matrix["opening"].any():
        first = _cohort(matrix.filter("opening")["label"][0], unit)
        matrix = matrix.filter(~pl.col("opening"))
        left_out = (
            f" T{first[1:]} is left out: it starts with the data, so it also holds customers "
            "who bought before, not only new ones."
        )
    parts, named, when = [], False, []
    every = _every(grain)
    for index in (1, 3):
        found = _extremes(matrix, index, metric)
        if found is None:
            continue
        # The period each best cell falls in: the cohort's start plus `index` periods.
        when += found.best["cohort"].dt.offset_by(f"{index}{every[1:]}").to_list()
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
        named = named or found.best.height > 0
        if said:
            parts.append(f"{unit} {index}, " + ", ".join(said))
        elif found.level:
            parts.append(
                f"{unit} {index}, the {found.compared} cohorts compared all read {found.level}"
            )
        else:
            parts.append(
                f"{unit} {index}, none of the {found.compared} cohorts compared differs from the "
                f"pooled {fmt.pct(found.pooled)} beyond chance"
            )
    if not parts:
        return ""
    advice = " Look at what brought the best ones in." if named else ""
    if len(when) > 1 and len(set(when)) == 1:  # a calendar effect as much as a cohort's
        at = pl.DataFrame({"at": when[:1]}).select(_label("at", every))["at"][0]
        advice = (
            f" The best ones all come back in {f'the week of {at}' if unit == 'week' else at}: "
            f"that {unit}'s demand may explain them as much as how the cohorts were won."
        )
    return "In " + "; in ".join(parts) + "." + advice + left_out


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
        raise ValueError("cohorts need a lines table with customer_id")
    table = cohort_table(ds.table("lines"), grain)
    window = churn.headless(ds, churn_quantile)
    return table_frames(
        table, window["windows"], window["monthly"], metric=metric, relative=relative, shown=shown
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
) -> dict[str, pl.DataFrame]:
    """headless's tables from a cohort_table and the churn windows and monthly statuses (built
    from lines in memory, or from summaries computed elsewhere: lib.engines)."""
    matrix = cohort_matrix(table, metric, relative, max(shown, 0))
    return {
        "cohorts": table.filter(pl.col("period_index") == 0).select("cohort", "label", "customers"),
        "retention": matrix,
        "curve": retention_curve(matrix),
        "churn_windows": windows,
        "churn_monthly": monthly,
    }
