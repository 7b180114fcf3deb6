"""Calendar windows shared by analyses: growth compares the last full months with those before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import polars as pl

from lib import fmt

MONTHS = 3  # growth compares the last MONTHS full months with the MONTHS before


def partial(period: pl.Expr, every: str, first: date, last: date) -> pl.Expr:
    """Whether the period starting on `period` (dates; `every` long: "1d", "1w", "1mo") is only
    partly covered by data from `first` to `last`: it starts before the first day or ends after
    the last. One rule for every chart and reading that leaves partial periods out."""
    return (period < first) | (period.dt.offset_by(every).dt.offset_by("-1d") > last)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


# What growth compares the last full months with: the months just before them, or the same
# months a year earlier (a seasonal peak then meets the peak before it, not the quiet months).
AGAINST = {"before": "the months before", "year": "the same months a year earlier"}


@dataclass(frozen=True)
class GrowthWindow:
    """The two runs of full months growth compares: [previous_start, previous_end) and
    [current_start, current_end), the previous one just before the current (`against` "before")
    or a year earlier ("year"). `available` is False (see `reason`) when the data is too short.
    """

    months: int
    last_full_month: date | None
    current_start: date | None
    current_end: date | None
    previous_start: date | None
    previous_end: date | None
    available: bool
    reason: str = ""
    against: str = "before"

    def describe(self) -> str:
        """'Jun–Aug 2024 vs Mar–May 2024' (or the reason growth is unavailable)."""
        if not self.available or self.current_start is None:
            return self.reason
        return " vs ".join(self.spans())

    def remedy(self, smaller: str) -> str:
        """What to try when the window is unavailable: a `smaller` one ('Try a smaller N.'), or
        the months before when it looks a year back."""
        other = " or compare with the months before" if self.against == "year" else ""
        return f"Try a smaller {smaller}{other}."

    def spans(self) -> tuple[str, str]:
        """The compared months in words, current first: ('Jun–Aug 2024', 'Mar–May 2024');
        only of an available window."""
        assert self.current_start is not None and self.current_end is not None
        assert self.previous_start is not None and self.previous_end is not None
        return (
            months_text(self.current_start, add_months(self.current_end, -1)),
            months_text(self.previous_start, add_months(self.previous_end, -1)),
        )


def compared(months: int, against: str = "before") -> str:
    """What a growth figure compares, in words: 'the last 3 months against the 3 before', or
    'against the same 3 a year earlier'."""
    other = f"the same {months} a year earlier" if against == "year" else f"the {months} before"
    return f"the last {fmt.counted(months, 'month')} against {other}"


def months_text(first: date, last: date) -> str:
    """The months from `first` to `last` (their first days): 'Aug–Nov 2011', 'Dec 2010–Feb
    2011', 'Mar 2024'."""
    if first == last:
        return f"{first:%b %Y}"
    if first.year == last.year:
        return f"{first:%b}–{last:%b %Y}"
    return f"{first:%b %Y}–{last:%b %Y}"


def growth_window(
    ordered_at: pl.Series, months: int = MONTHS, against: str = "before"
) -> GrowthWindow:
    """The comparison window ending at the data's last full calendar month, against the
    `months` before it or the same months a year earlier (`against`: AGAINST).

    A month is full when the data reaches its last day (so a partial last month never fakes a
    decline) and the first month counts only when the data starts on its first day.
    """
    if against not in AGAINST:
        raise ValueError(f"against must be one of {', '.join(AGAINST)}")
    first, last = ordered_at.min(), ordered_at.max()
    if first is None or last is None:
        return GrowthWindow(months, None, None, None, None, None, False, "no order dates", against)
    assert isinstance(first, datetime) and isinstance(last, datetime)
    last_month = date(last.year, last.month, 1)
    if (last.date() + timedelta(days=1)).month == last.month:
        last_month = add_months(last_month, -1)
    first_month = date(first.year, first.month, 1)
    if first.day != 1:
        first_month = add_months(first_month, 1)
    current_start = add_months(last_month, 1 - months)
    back = 12 if against == "year" else months
    previous_start = add_months(current_start, -back)
    full = (last_month.year - first_month.year) * 12 + last_month.month - first_month.month + 1
    if previous_start < first_month:
        reason = (
            f"growth over {fmt.counted(months, 'month')} "
            + ("against a year earlier " if against == "year" else "")
            + f"needs {back + months} full months of data; this data has {max(full, 0)}"
        )
        return GrowthWindow(months, last_month, None, None, None, None, False, reason, against)
    return GrowthWindow(
        months,
        last_month,
        current_start,
        add_months(last_month, 1),
        previous_start,
        add_months(previous_start, months),
        True,
        against=against,
    )
