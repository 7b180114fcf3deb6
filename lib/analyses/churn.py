"""Churn window: the gap within which most repeat purchases come, and who has been quiet longer."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from lib import fmt
from lib.measures import purchase_orders
from lib.model import Dataset

QUANTILES = (0.8, 0.9)  # the windows shown: 80% and 90% of repeat purchases
QUANTILE = 0.9  # the window that defines "lapsed" by default
CHOICES = (0.75, 0.8, 0.9, 0.95)  # the windows a user can choose for "lapsed"
MIN_GAPS = 30  # fewer repeat purchases: a window read from them is noise
MIN_REPEATERS = 10  # fewer customers buying again: a window read from them is their habit
# Fewer customers than this share buying on a second day: nearly everyone buys once (Olist's
# 42 of 6,800), and the window describes the few who return, not a return the rest will make.
FEW_REPEATERS = 0.05
STATUSES = ("new", "repeating", "waiting", "lapsed")
DEFINITIONS = {
    "gap": "days between two consecutive days on which a customer made a purchase",
    "new": "first purchase in the month",
    "repeating": "a purchase in the month and an earlier one",
    "waiting": "no purchase in the month, the last one within the window at the month's end",
    "lapsed": "no purchase within the window before the month's end",
}

_MONTHLY_SCHEMA = {
    "month": pl.Date,
    "month_end": pl.Date,
    "new": pl.Int64,
    "repeating": pl.Int64,
    "waiting": pl.Int64,
    "lapsed": pl.Int64,
    "customers": pl.Int64,
    "partial": pl.Boolean,
}


def purchase_days(lines: pl.DataFrame) -> pl.DataFrame:
    """The distinct days on which each customer made a purchase (measures.customer_purchases):
    customer_id, day (Date), sorted by customer then day."""
    return days_of(purchase_orders(lines))


def days_of(orders: pl.DataFrame) -> pl.DataFrame:
    """purchase_days from movement.purchase_orders(lines), the purchases one row per order that
    segment movement and lateness read too: a page caches that table once for all three."""
    return (
        orders.lazy()
        .select("customer_id", pl.col("ordered_at").dt.date().alias("day"))
        .drop_nulls()
        .unique()
        .sort("customer_id", "day")
        .collect()
    )


def _same_customer(step: int) -> pl.Expr:
    # Rows are sorted by customer then day: a neighbour `step` rows away of the same customer.
    return (pl.col("customer_id") == pl.col("customer_id").shift(step)).fill_null(False)


def repeat_gaps(days: pl.DataFrame) -> pl.DataFrame:
    """One row per repeat purchase day: customer_id, day, gap_days (days since the customer's
    previous purchase day, at least 1). `days` is purchase_days (sorted by customer then day,
    which the gaps rely on)."""
    gap = (pl.col("day") - pl.col("day").shift(1)).dt.total_days().cast(pl.Int64)
    return (
        days.lazy()
        .select("customer_id", "day", pl.when(_same_customer(1)).then(gap).alias("gap_days"))
        .filter(pl.col("gap_days").is_not_null())
        .collect()
    )


def window_days(gaps: pl.Series, quantile: float) -> int | None:
    """The smallest gap (days) within which at least `quantile` of the repeat gaps fall; None
    without gaps."""
    if not 0 < quantile <= 1:
        raise ValueError("quantile must be above 0 and at most 1")
    if gaps.len() == 0:
        return None
    ordered = gaps.sort()
    return int(ordered[max(0, math.ceil(quantile * gaps.len() - 1e-9) - 1)])


def lapse_days(days: pl.DataFrame, quantile: float = QUANTILE) -> int | None:
    """The churn window of purchase days (purchase_days, days_of) as the churn section gives
    it by default: the gap within which `quantile` of the repeat purchases come; None where the
    section calls the window a rough guide (`rough`: too few repeat purchases or customers
    making them, or nearly everyone buying once, as on Olist, where it says how soon the few
    who come back do, not that the others will)."""
    gaps = repeat_gaps(days)
    if _rough(gaps.height, gaps["customer_id"].n_unique(), days["customer_id"].n_unique()):
        return None
    return window_days(gaps["gap_days"], quantile)


def lines_lapse_days(lines: pl.DataFrame) -> int | None:
    """lapse_days of the purchase days of order lines: what the readings that weigh a quiet
    spell against the churn window read (RFM grid, revenue bridge)."""
    return lapse_days(purchase_days(lines))


def waiting(recency_days: pl.Expr | int, window: int) -> pl.Expr | bool:
    """Whether a customer `recency_days` after their last order at an as-of date (the RFM
    recency: as-of date minus the last order's day) is still within the churn `window`, as the
    churn section counts them waiting: at most `window` days quiet on the last day before
    the as-of date, the data's last day (monthly_counts' lapse day)."""
    return recency_days - 1 <= window


def window_words(days: int) -> str:
    """'90% of repeat purchases come within 110 days': what the churn window (lapse_days)
    says, as the readings that weigh a quiet spell against it write it."""
    return f"{QUANTILE:.0%} of repeat purchases come within {fmt.count(days)} days"


def churn_windows(gaps: pl.DataFrame, quantiles: tuple[float, ...] = QUANTILES) -> pl.DataFrame:
    """One row per quantile (ascending, duplicates once): quantile, days (window_days),
    repeat_purchases (gaps behind it) and customers (customers with a repeat purchase)."""
    customers = gaps["customer_id"].n_unique()
    ordered = gaps["gap_days"].sort()  # once: window_days finds it sorted
    rows = [(q, window_days(ordered, q), gaps.height, customers) for q in sorted(set(quantiles))]
    return pl.DataFrame(
        rows,
        schema={
            "quantile": pl.Float64,
            "days": pl.Int64,
            "repeat_purchases": pl.Int64,
            "customers": pl.Int64,
        },
        orient="row",
    )


def gap_distribution(gaps: pl.DataFrame) -> pl.DataFrame:
    """How long customers waited before buying again, for a chart: one row per gap length with
    repeat purchases, ascending: gap_days, repeat_purchases, cumulative_share (0..1: the share
    of repeat purchases within that many days)."""
    counts = gaps.group_by("gap_days").agg(pl.len().cast(pl.Int64).alias("repeat_purchases"))
    return counts.sort("gap_days").with_columns(
        (pl.col("repeat_purchases").cum_sum() / max(gaps.height, 1)).alias("cumulative_share")
    )


def _month_start(index: pl.Expr) -> pl.Expr:
    return pl.date(index // 12, index % 12 + 1, 1)


_EPOCH_MONTH = 1970 * 12  # month index (year * 12 + month - 1) of January 1970


def _months_of(day_numbers: np.ndarray) -> np.ndarray:
    """Month index (year * 12 + month - 1) of days counted from 1 Jan 1970: each day of their
    range converted once, then looked up (millions of purchase days span a few thousand)."""
    if day_numbers.size == 0:
        return day_numbers.astype(np.int64)
    first = int(day_numbers.min())
    span = np.arange(first, int(day_numbers.max()) + 1).astype("datetime64[D]")
    return (span.astype("datetime64[M]").astype(np.int64) + _EPOCH_MONTH)[day_numbers - first]


@dataclass(frozen=True)
class ChurnBase:
    """What the churn window reads, whatever the quantile: a page caches it, and choosing
    another quantile only counts the month ranges again.

    `gaps`: repeat_gaps. `buyers`: one row per month index m from the first purchase month to
    the last, with new and repeating (customers who bought in the month, for the first time or
    again). `day`, `lo`, `hi`: per purchase day, its day number (days since 1 Jan 1970) and the
    months (indices, lo to hi) whose ends fall after it and before the customer's next purchase
    day, in which the customer bought nothing. `first_m`, `last_m`: the first and last month;
    `last_day`: the data's last purchase day (None without purchases). `windows`: churn_windows
    of every quantile shown or offered (QUANTILES and churn_base's `offered`); `distribution`:
    gap_distribution; `monthly`: monthly_counts by window (days) of every offered quantile.
    """

    gaps: pl.DataFrame
    buyers: pl.DataFrame
    day: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    first_m: int
    last_m: int
    last_day: date | None
    windows: pl.DataFrame
    distribution: pl.DataFrame
    monthly: dict[int, pl.DataFrame] = field(default_factory=dict)


def _base(gaps: pl.DataFrame, *rest, offered: tuple[float, ...]) -> ChurnBase:
    """ChurnBase of `gaps` and the rest of its fields, with what every `offered` quantile reads
    (windows, distribution, monthly statuses) computed once: choosing one recomputes nothing."""
    windows = churn_windows(gaps, (*QUANTILES, *offered))
    base = ChurnBase(gaps, *rest, windows, gap_distribution(gaps))
    counted = windows.filter(pl.col("quantile").is_in(offered))["days"].drop_nulls()
    base.monthly.update({days: monthly_counts(base, days) for days in counted.unique()})
    return base


def churn_base(days: pl.DataFrame, offered: tuple[float, ...] = CHOICES) -> ChurnBase:
    """ChurnBase from purchase_days (sorted by customer then day), its monthly statuses counted
    for the `offered` quantiles: the page's choices (CHOICES); a headless run, the one asked
    (each window takes a pass over the purchase days, 2-4 ms on a million lines)."""
    if days.height == 0:
        empty = np.zeros(0, dtype=np.int64)
        buyers = pl.DataFrame(schema={"m": pl.Int64, "new": pl.Int64, "repeating": pl.Int64})
        return _base(repeat_gaps(days), buyers, empty, empty, empty, 0, -1, None, offered=offered)
    last_day = days["day"].max()
    assert isinstance(last_day, date)
    # In numpy: a few dozen operations over arrays, where a polars query of the same took 5-7
    # ms whatever the size (Online Retail's 16,763 purchase days in 1 ms).
    day = days["day"].cast(pl.Int64).to_numpy()
    month = _months_of(day)
    first_m, last_m = int(month.min()), int(month.max())
    same = days.select(_same_customer(1)).to_series().to_numpy()
    # Each row's customer's first month, and whether the row opens a month of its customer.
    first_month = month[~same][np.cumsum(~same) - 1]
    opens = ~same
    opens[1:] |= month[1:] != month[:-1]
    is_new = month == first_month
    counts = [
        np.bincount(month[opens & kind] - first_m, minlength=last_m - first_m + 1)
        for kind in (is_new, ~is_new)
    ]
    buyers = pl.DataFrame(
        {"m": np.arange(first_m, last_m + 1), "new": counts[0], "repeating": counts[1]},
        schema={"m": pl.Int64, "new": pl.Int64, "repeating": pl.Int64},
    )
    # A purchase day's months without a purchase: from the next month to the one before the
    # customer's next purchase day (or to the last month).
    hi = np.full(day.size, last_m, dtype=np.int64)
    later = same[1:]
    hi[:-1][later] = month[1:][later] - 1
    return _base(
        repeat_gaps(days),
        buyers,
        day,
        month + 1,
        hi,
        first_m,
        last_m,
        last_day,
        offered=offered,
    )


def _covered(low: np.ndarray, high: np.ndarray, first_m: int, months: int) -> np.ndarray:
    """Per month (first_m onwards, `months` of them) how many of the ranges [low, high] cover
    it: +1 where a range starts, -1 after it ends, summed up."""
    valid = low <= high
    steps = np.bincount(low[valid] - first_m, minlength=months + 1)[: months + 1]
    ends = np.bincount(high[valid] + 1 - first_m, minlength=months + 1)[: months + 1]
    return np.cumsum(steps - ends)[:months]


def monthly_counts(base: ChurnBase, window: int) -> pl.DataFrame:
    """Customers by status at each calendar month from the first purchase to the last.

    One row per month: month (its first day), month_end (its last day, or the data's last
    purchase day for a month the data ends inside), new, repeating (customers who bought in the
    month, for the first time or again), waiting (no purchase in the month, the last one at
    most `window` days before month_end), lapsed (the last one more than `window` days before
    month_end), customers (all four: everyone with a purchase by month_end) and partial (the
    data ends inside the month).
    """
    if base.last_day is None:
        return pl.DataFrame(schema=_MONTHLY_SCHEMA)
    months = base.last_m - base.first_m + 1
    # After a purchase day the customer waits, and is lapsed from the first month whose end
    # lies more than `window` days after it; the last month ends on the data's last day.
    last_number = (base.last_day - date(1970, 1, 1)).days
    lapse_day = base.day + window + 1
    lapse = _months_of(lapse_day)
    lapse[(lapse == base.last_m) & (lapse_day > last_number)] = base.last_m + 1
    lapse = np.clip(lapse, base.first_m, base.last_m + 1)
    waiting = _covered(base.lo, np.minimum(base.hi, lapse - 1), base.first_m, months)
    lapsed = _covered(np.maximum(base.lo, lapse), base.hi, base.first_m, months)
    calendar_end = _month_start(pl.col("m") + 1) - pl.duration(days=1)
    return (
        base.buyers.with_columns(
            pl.Series("waiting", waiting, dtype=pl.Int64),
            pl.Series("lapsed", lapsed, dtype=pl.Int64),
        )
        .with_columns(
            _month_start(pl.col("m")).alias("month"),
            pl.min_horizontal(calendar_end, pl.lit(base.last_day)).alias("month_end"),
            pl.sum_horizontal("new", "repeating", "waiting", "lapsed").alias("customers"),
            (calendar_end > pl.lit(base.last_day)).alias("partial"),
        )
        .select(list(_MONTHLY_SCHEMA))
        .cast(_MONTHLY_SCHEMA)
    )


def monthly_status(days: pl.DataFrame, window: int) -> pl.DataFrame:
    """monthly_counts straight from purchase_days (sorted by customer then day)."""
    return monthly_counts(churn_base(days, ()), window)


@dataclass(frozen=True)
class Churn:
    """The churn window and what it says month by month: `windows` (churn_windows, with the
    chosen quantile among them), `days` (the chosen window; None without repeat purchases),
    `monthly` (monthly_counts with it), `gaps` (gap_distribution)."""

    quantile: float
    days: int | None
    windows: pl.DataFrame
    monthly: pl.DataFrame
    gaps: pl.DataFrame


def churn(base: ChurnBase, quantile: float = QUANTILE) -> Churn:
    """The churn window at `quantile` and the monthly statuses, from churn_base(purchase_days)."""
    shown = (*QUANTILES, quantile)
    windows = (
        base.windows.filter(pl.col("quantile").is_in(shown))
        if quantile in base.windows["quantile"]
        else churn_windows(base.gaps, shown)
    )
    chosen = windows.filter(pl.col("quantile") == quantile)["days"][0]
    if chosen is None:
        monthly = pl.DataFrame(schema=_MONTHLY_SCHEMA)
    else:
        monthly = base.monthly.get(chosen)
        if monthly is None:
            monthly = monthly_counts(base, chosen)
    return Churn(quantile, chosen, windows, monthly, base.distribution)


def _repeaters(result: Churn) -> tuple[int, int, int]:
    """Repeat purchases, the customers who made them, and every customer by the data's end."""
    repeats = int(result.gaps["repeat_purchases"].sum()) if result.gaps.height else 0
    repeaters = int(result.windows["customers"][0]) if result.windows.height else 0
    everyone = int(result.monthly["customers"][-1]) if result.monthly.height else 0
    return repeats, repeaters, everyone


def rough(result: Churn) -> bool:
    """Whether the statuses are no more than a rough guide: fewer than MIN_GAPS repeat
    purchases or MIN_REPEATERS customers making them, or fewer than FEW_REPEATERS of customers
    buying on a second day."""
    return _rough(*_repeaters(result))


def _rough(repeats: int, repeaters: int, everyone: int) -> bool:
    """`rough` from the counts: repeat purchases, the customers making them and every
    customer."""
    return repeats < MIN_GAPS or repeaters < MIN_REPEATERS or repeaters < FEW_REPEATERS * everyone


def churn_reading(result: Churn) -> str:
    """Sentences on the churn window from its figures: the window, how many repeat purchases it
    rests on (and that it is too few to trust below MIN_GAPS, or MIN_REPEATERS customers making
    them), that it is a lower bound, and
    the lapsed customers at the last full month's end. When nearly everyone buys once (fewer
    than FEW_REPEATERS of customers buy on a second day), it says so and how many customers the
    window rests on, and reads no lapsed customers from it: no return is expected of them."""
    repeats, repeaters, everyone = _repeaters(result)
    if result.days is None:
        return "No customer bought on two different days, so there is no churn window to read."
    within = (
        f"{fmt.pct(result.quantile, 0)} of repeat purchases came within "
        f"{fmt.counted(result.days, 'day')} of the customer's previous purchase"
    )
    if repeats >= MIN_GAPS and repeaters < FEW_REPEATERS * everyone:
        once = everyone - repeaters
        return (
            f"Nearly every customer bought on one day only: {fmt.count(once)} of "
            f"{fmt.count(everyone)} ({fmt.pct(once / everyone)}). {within}, but that rests on "
            f"{fmt.count(repeats)} repeat purchases by the other "
            f"{fmt.counted(repeaters, 'customer')}: it says how soon the few who come back do, "
            "not that the others will. "
            "'Waiting' and 'lapsed' below only say how long customers have been quiet."
        )
    text = (
        f"{within} ({fmt.counted(repeats, 'repeat purchase')}, on later days, by "
        f"{fmt.counted(repeaters, 'customer')}"
    )
    if everyone:
        text += f", {fmt.pct(repeaters / everyone)} of all customers"
    text += ")"
    if repeats < MIN_GAPS or repeaters < MIN_REPEATERS:
        return (
            text + f": too few to set a churn window (at least {MIN_GAPS} repeat purchases by "
            f"{MIN_REPEATERS} customers are needed), so 'lapsed' below is only a rough guide."
        )
    text += (
        "; gaps still open at the end of the data are not counted, so the window is if "
        "anything too short"
    )
    full = result.monthly.filter(~pl.col("partial"))
    if full.height:
        last = full.row(-1, named=True)
        if last["customers"]:
            share = fmt.pct(last["lapsed"] / last["customers"])
            text += (
                f". At the end of {fmt.month(last['month'])}, {fmt.count(last['lapsed'])} of "
                f"{fmt.count(last['customers'])} customers ({share}) had not bought for longer "
                "than that"
            )
    return text + "."


def headless(ds: Dataset, quantile: float = QUANTILE) -> dict[str, pl.DataFrame]:
    """The churn window (the gap within which `quantile` of repeat purchases came) and
    customers by status per month. windows: churn_windows (80%, 90% and `quantile`); monthly:
    monthly_status with the window; gaps: gap_distribution."""
    lines = ds.table("lines")
    if "customer_id" not in lines.columns or lines["customer_id"].null_count() == lines.height:
        raise ValueError("a churn window needs a customer id per order line (lines.customer_id)")
    result = churn(churn_base(purchase_days(lines), (quantile,)), quantile)
    return {"windows": result.windows, "monthly": result.monthly, "gaps": result.gaps}
