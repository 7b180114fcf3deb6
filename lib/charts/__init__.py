"""Chart builders: finished frames in, altair charts (or pydeck decks for maps) out.

One module per page (`lib/charts/sales.py`, ...); shared colours and labels live here.
"""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import polars as pl

from lib.charts import fast
from lib.fmt import MINUS, SYMBOLS

fast.install()

PALETTE = [
    "#0f766e",
    "#f59e0b",
    "#6366f1",
    "#ef4444",
    "#10b981",
    "#8b5cf6",
    "#0ea5e9",
    "#f97316",
    "#64748b",
    "#84cc16",
]
ACCENT = PALETTE[0]
MUTED = "#94a3b8"


# Vega's number formats write a negative with U+2212 ("−286"); lib.fmt writes MINUS ("-286",
# "-R$ 286"). A chart configured with this locale writes its axes and tooltips with the same sign
# as the tables and sentences.
NUMBER_LOCALE = {
    "decimal": ".",
    "thousands": ",",
    "grouping": [3],
    "currency": ["$", ""],
    "minus": MINUS,
}
# What every chart is configured with (`configured`, report.chart_spec): lib.fmt's minus, about
# ten ticks on a quantitative x axis that sets none (Vega's default is one per 40 px: 22 labels
# across a full-width chart, "0 1 2 … 24" days), and every axis label on its tick: Streamlit's
# theme flushes the end labels inward ("0%" halfway to the next gridline, a heatmap's first row
# label half a row low).
UNFLUSHED = {"labelFlush": False}
CONFIG = {
    "locale": {"number": NUMBER_LOCALE},
    "axisXQuantitative": {"tickCount": 10, **UNFLUSHED},
    "axisYQuantitative": UNFLUSHED,
    "axisBand": UNFLUSHED,
    "axisTemporal": UNFLUSHED,
}


def configured(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """A copy of a top-level chart with CONFIG added to the configuration it has (altair's
    configure() alone would replace it)."""
    own = {} if chart.config is alt.Undefined else chart.config.to_dict(validate=False)
    return chart.configure(**{**own, **CONFIG})


def either(channel: type, test: str, then: Any, otherwise: Any) -> Any:
    """A channel set to `then` where the Vega expression `test` holds and to `otherwise` elsewhere:
    what `alt.condition(test, alt.value(then), alt.value(otherwise))` gives, built directly as
    `channel` (alt.ColorValue, alt.OpacityValue, ...). From alt.condition's dict altair finds that
    class by validating the dict against each candidate schema, 5-12 ms a chart."""
    return channel(otherwise, condition={"test": test, "value": then})


# A chart whose spec is the same after a rerun (only its data moved) is updated in place by
# Streamlit's frontend: the dataset is swapped in the Vega view it has. Any other difference in the
# spec (an axis order, a domain, a threshold) makes it compile and draw the chart anew: in
# chromium about 15-25 ms of the main thread a chart (Clusters' three: 0.35-0.36 s of work a move
# against 0.40-0.43 s). So what depends on the data goes into the data: an axis order as a column
# of ranks (`in_order`, `by_order`), a colour threshold as a column of booleans, a domain as the
# extent of the data drawn.
ORDER = "axis_order"


def in_order(frame: pl.DataFrame, column: str, order: Any) -> pl.DataFrame:
    """`frame` with an ORDER column: each `column` value's place in `order` (values not in it
    after the rest), for `by_order()` to sort an axis by."""
    places = {value: place for place, value in enumerate(order)}
    return frame.with_columns(
        pl.col(column)
        .replace_strict(places, default=len(places), return_dtype=pl.Int32)
        .alias(ORDER)
    )


def by_order(field: str = ORDER) -> alt.EncodingSortField:
    """An axis sorted by a column of ranks (`in_order`), smallest first."""
    return alt.EncodingSortField(field=field, op="min", order="ascending")


def money_title(label: str, currency: str) -> str:
    """Axis or legend title for money: 'Revenue (BRL)'."""
    return f"{label} ({currency})" if currency else label


def _symbol(currency: str) -> tuple[str, str]:
    """Prefix and suffix that lib.fmt.money puts around an amount."""
    if not currency:
        return "", ""
    symbol = SYMBOLS.get(currency)
    if symbol is None:
        return "", f" {currency}"
    return symbol + ("" if len(symbol) == 1 else " "), ""


def money_expr(currency: str, field: str = "datum.value") -> str:
    """A Vega expression printing an amount as lib.fmt.money does ('£1.25M', 'R$ 40k', '£12'):
    compact magnitudes (k, M, bn), the currency symbol, never SI 'G' or milli 'm'."""
    prefix, suffix = _symbol(currency)
    a = f"abs({field})"
    number = (
        f"({a} >= 1e9 ? format({a} / 1e9, ',.2~f') + 'bn' : "
        f"{a} >= 1e6 ? format({a} / 1e6, '.2~f') + 'M' : "
        f"{a} >= 1e3 ? format({a} / 1e3, '.2~f') + 'k' : format({a}, ',.2~f'))"
    )
    return f"({field} < 0 ? '{MINUS}' : '') + '{prefix}' + {number} + '{suffix}'"


def money_axis(currency: str = "", **kw):
    """An axis whose labels read like lib.fmt.money ('£1.2M'), with at least 1 unit per tick."""
    kw.setdefault("tickMinStep", 1)
    return alt.Axis(labelExpr=money_expr(currency), **kw)


def number_digits(low: float | None, high: float | None, ticks: int = 5, most: int = 6) -> int:
    """Decimals an axis from `low` to `high` with `ticks` ticks (Vega's tickCount) needs so that
    no two tick labels read the same ('0.34 0.34 0.35'): the decimals of the tick step Vega
    takes, 1, 2, 5 or 10 times the power of ten below span / ticks (d3's tickIncrement)."""
    span = abs((high or 0.0) - (low or 0.0))
    if not span or math.isnan(span):
        return 0
    rough = span / ticks
    power = math.floor(math.log10(rough))
    error = rough / 10**power
    factor = next((f for f, at in ((10, 50), (5, 10), (2, 2)) if error >= math.sqrt(at)), 1)
    return max(0, min(most, -math.floor(math.log10(factor * 10**power))))


def pct_digits(low: float | None, high: float | None, ticks: int = 5) -> int:
    """Decimals a percent axis needs so that no two tick labels read the same ('0% 0% 1% 1%')."""
    span = abs((high or 0.0) - (low or 0.0))
    if not span or math.isnan(span):
        return 0
    step_pct = span * 100 / ticks
    return max(0, min(3, math.ceil(-math.log10(step_pct)))) if step_pct < 1 else 0


def pct_axis(low: float | None, high: float | None, sign: bool = False, ticks: int = 5, **kw):
    """A percent axis (values are shares 0..1) with as many decimals as its ticks need, and no
    tick finer than what the labels can show."""
    digits = pct_digits(low, high, ticks)
    kw.setdefault("tickMinStep", 10 ** -(digits + 2))
    kw.setdefault("tickCount", ticks * 2)
    if sign:  # a plus above zero only: "0%", not "+0%"
        kw.setdefault("labelExpr", "(datum.value > 0 ? '+' : '') + datum.label")
    return alt.Axis(format=f".{digits}%", **kw)


def count_axis(**kw) -> alt.Axis:
    """An axis of counts read as lib.fmt.compact prints them ('800', '1.2k'), whole ticks only."""
    kw.setdefault("tickMinStep", 1)
    return alt.Axis(labelExpr=money_expr(""), **kw)


# At most this many month labels on a time axis: 18 months of "Mar 2023" overlap at 1440 px.
MONTH_LABELS = 12


# How a day or a week (its Monday) is labelled: d3's unpadded day, as fmt.day writes it.
DAY_LABEL = "%-d %b %Y"


def period_axis(starts: pl.Series, every: str, most: int = MONTH_LABELS) -> alt.Axis:
    """A time axis of days or weeks (`every`: "1d" or "1w", their starts in `starts`): on a range
    of at most `most` of them, one label at each one's start; Vega's own ticks fall between
    days there and repeat them ('30 Nov 2010 30 Nov 2010 1 Dec 2010'). On a longer range Vega's
    ticks, their labels thinned where they would overlap."""
    present = starts.drop_nulls().cast(pl.Date)
    axis = {"format": DAY_LABEL, "labelAngle": 0}
    if present.is_empty():
        return alt.Axis(**axis)
    days = pl.date_range(present.min(), present.max(), every, eager=True)
    if days.len() > most:
        return alt.Axis(labelOverlap="greedy", **axis)
    values = [alt.DateTime(year=d.year, month=d.month, date=d.day) for d in days]
    return alt.Axis(values=values, **axis)


def month_axis(months: pl.Series, most: int = MONTH_LABELS, middle: bool = False, **kw) -> alt.Axis:
    """A time axis labelled once a month, every k-th month so that at most `most` labels show
    ('Jan 2023', 'Mar 2023', ...): Vega's own ticks fall between months on a short range ('Dec
    2017 Dec 2017 Jan 2018') and its greedy overlap skips months unevenly. At month starts, or
    with `middle` on the 15th: under the middle of a bar that spans its month (timeUnit
    yearmonth), where a label at the start sat at the bar's left edge."""
    present = months.drop_nulls()
    if present.is_empty():
        return alt.Axis(format="%b %Y", labelAngle=0, **kw)
    first, last = present.min(), present.max()
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    step = math.ceil(count / most)
    values = [
        alt.DateTime(
            year=first.year + (first.month - 1 + k) // 12,
            month=(first.month - 1 + k) % 12 + 1,
            date=15 if middle else 1,
        )
        for k in range(0, count, step)
    ]
    return alt.Axis(format="%b %Y", labelAngle=0, values=values, **kw)
