"""Table presentation every analysis page shares: one formatting rule for st.dataframe columns.

The numbers stay numbers in the frame (so a column still sorts); the column config formats them:
money with its currency and separators, shares in percent with one decimal (as lib.fmt.pct
prints them in sentences), dates as dates, months as "Jan 2022", empty cells as "—", headers in
words. Exports keep the raw values and canonical names: only the shown copy changes.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

import polars as pl
import streamlit as st

from lib import fmt, measures

EMPTY = "—"
DAY_FORMAT = "D MMM YYYY"
MONTH_FORMAT = "MMM YYYY"


# The money patterns `money` handed out, with their currency and decimals: `table` reprints a
# column that holds negative amounts, whose printf pattern would read "R$ -286".
_MONEY: dict[str, tuple[str, int]] = {}
# Above this many cells a Styler costs more than a rerun's budget (about 0.1 s per 1,000 rows of
# 10 columns): the symbol moves to the header instead and the cells read "-286".
STYLED_CELLS = 20_000


def money(label: str, currency: str = "", digits: int = 0, **kw) -> st.column_config.Column:
    """Money with the data's currency symbol and thousands separators: '£12,371'; negative
    amounts read '-£286' (see `table`)."""
    pattern = fmt.money_format(currency, digits)
    _MONEY[pattern] = (currency, digits)
    return st.column_config.NumberColumn(label, format=pattern, **kw)


def percent(label: str, digits: int = 1, **kw) -> st.column_config.Column:
    """A share, for a column already multiplied by 100 (see `in_percent`): '49.0%'."""
    return st.column_config.NumberColumn(label, format=f"%.{digits}f%%", **kw)


def change(label: str, digits: int = 1, **kw) -> st.column_config.Column:
    """A relative change, for a column already multiplied by 100: '+4.1%'."""
    return st.column_config.NumberColumn(label, format=f"%+.{digits}f%%", **kw)


# Why an interval clear of flat may not make a row growing: the verdicts weigh every row.
ALONE = (
    f"A row whose interval clears ±{measures.FLAT:.0%} alone is counted growing or shrinking "
    "only if it does so beyond chance across all the rows compared."
)


# Why a growth interval may be empty (growth_shown).
UNRELIABLE = "Empty where the growth is not reliable: from so few orders it spans almost anything."


def growth() -> dict[str, st.column_config.Column]:
    """A growth figure and its 95% interval (growth, growth_low, growth_high: columns already
    multiplied by 100, the interval as growth_shown leaves it), as Categories and Regions show
    them."""
    return {
        "growth": change("Growth"),
        "growth_low": change(
            "Growth, low", help=f"Low end of its own 95% interval. {ALONE} {UNRELIABLE}"
        ),
        "growth_high": change(
            "Growth, high", help=f"High end of its own 95% interval. {ALONE} {UNRELIABLE}"
        ),
    }


def growth_shown(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with its growth interval (growth_low, growth_high) left empty where the growth
    rests on too few orders (growth_reliable false): from a window of an order or two the
    interval spans almost anything (on an Olist sample, 'Fashion underwear beach' up to
    +7,643,433,000.0%)."""
    if "growth_reliable" not in frame.columns:
        return frame
    bounds = [c for c in ("growth_low", "growth_high") if c in frame.columns]
    return frame.with_columns(
        pl.when(pl.col("growth_reliable")).then(pl.col(c)).alias(c) for c in bounds
    )


def count(label: str, **kw) -> st.column_config.Column:
    """A whole count with separators: '12,371'."""
    return st.column_config.NumberColumn(label, format="%,d", **kw)


def number(label: str, digits: int = 1, **kw) -> st.column_config.Column:
    """A measured figure with separators and fixed decimals, never in scientific notation."""
    return st.column_config.NumberColumn(label, format=f"%,.{digits}f", **kw)


def day(label: str, **kw) -> st.column_config.Column:
    """A date without its time of day: '1 Jan 2022'."""
    return st.column_config.DateColumn(label, format=DAY_FORMAT, **kw)


def moment(label: str, **kw) -> st.column_config.Column:
    """A date with its time of day: '1 Dec 2010, 08:26'."""
    return st.column_config.DatetimeColumn(label, format=f"{DAY_FORMAT}, HH:mm", **kw)


def month(label: str, **kw) -> st.column_config.Column:
    """A month: 'Jan 2022'."""
    return st.column_config.DateColumn(label, format=MONTH_FORMAT, **kw)


def text(label: str, wide: bool = False, **kw) -> st.column_config.Column:
    """A text column; `wide` gives sentences the room they need (400 px). Text wraps only in
    rows taller than 64 px (`table(..., row_height=68)` for two lines)."""
    if wide:
        kw["width"] = "large"
    return st.column_config.TextColumn(label, **kw)


# Wrapped text in a wide column (text(..., wide=True) in a stretched table at 1440 px): about
# this many characters a line (70 measured), this many pixels a line, and a row's padding.
WRAP_CHARS, LINE_PX, ROW_PAD_PX = 64, 18, 12


def wrapped_rows(texts: Sequence[str | None], least: int = 68, chars: int = WRAP_CHARS) -> int:
    """A row height (px) that shows the longest of `texts` whole in a wide text column (or one
    of `chars` characters a line), at least `least`; every row of a table has the same height."""
    lines = max((math.ceil(len(t) / chars) for t in texts if t), default=1)
    return max(least, lines * LINE_PX + ROW_PAD_PX)


def one_line(texts: Sequence[str], least: int, most: int) -> int:
    """A column width (px) that holds the longest of `texts` on one line (a file name broken
    mid-word reads as two names), between `least` and `most`."""
    return min(most, max(least, 8 * max(map(len, texts), default=0) + 24))


def texts(values: pl.Series, to_text: Callable[[object], str], name: str = "shown") -> pl.Series:
    """`to_text` of each of `values` (None included) as a text column `name`, for the few rows of
    a shown table. Made here, not with map_elements: polars keeps the last 64 functions handed to
    it, and a function defined in a page holds that run's globals, with every frame in them, past
    the run and the session (on Lifetime value, four new columns of 1.7M customers, 54 MB, per
    horizon change at 100M lines)."""
    return pl.Series(name, [to_text(v) for v in values], dtype=pl.String)


def key(label: str, **kw) -> st.column_config.Column:
    """The identifier of a row, pinned so that it stays in view while the table scrolls."""
    return st.column_config.TextColumn(label, pinned=True, **kw)


def in_percent(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """`frame` with these share columns (0..1) multiplied by 100, for `percent`/`change`."""
    present = [c for c in columns if c in frame.columns]
    return frame.with_columns(pl.col(present) * 100) if present else frame


def with_short_ids(frame: pl.DataFrame, *columns: str) -> tuple[pl.DataFrame, dict[str, str]]:
    """`frame` with a readable label column next to each long-hash id column ('7bc7cb84…').

    Returns the frame (label columns named `<column>__short`) and {id column: label column} for
    the columns that do hold hashes. The full id stays in its own column (and in exports).
    """
    added: dict[str, str] = {}
    for column in columns:
        if column not in frame.columns or frame[column].dtype != pl.String:
            continue
        if not frame[column].drop_nulls().map_elements(fmt.is_hash, return_dtype=pl.Boolean).any():
            continue
        added[column] = f"{column}__short"
    if not added:
        return frame, added
    return (
        frame.with_columns(
            pl.col(c).map_elements(fmt.short_id, return_dtype=pl.String).alias(s)
            for c, s in added.items()
        ),
        added,
    )


def _fallback(name: str, dtype: pl.DataType) -> st.column_config.Column | str:
    """A config for a column the page did not configure: words for the header, and dates,
    months and fractional numbers shown as people read them."""
    label = fmt.words(name)
    if dtype == pl.Date:
        return day(label)
    if isinstance(dtype, pl.Datetime):
        return day(label)
    if dtype.is_float():
        return number(label, 2)
    if dtype.is_integer():
        return st.column_config.NumberColumn(label, format="%d" if name in ("k", "rank") else "%,d")
    return label


def table(
    frame: pl.DataFrame,
    config: dict | None = None,
    *,
    ids: tuple[str, ...] = (),
    pin_ids: bool = True,
    codes: tuple[str, ...] = (),
    order: list[str] | None = None,
    where=None,
    styled=None,
    **kw,
):
    """st.dataframe of `frame` under the house rule.

    `config` maps columns to st.column_config entries (a string is a header). Every column it
    leaves out gets its name in words and a readable number or date format; None shows as "—".
    `ids` name identifier columns: a long hash id gets a short readable label in its place
    (pinned unless `pin_ids` is false: pinned columns move to the left), the full id stays as
    the last column (its header says so). `codes` name columns whose values are codes
    ('online_medium'), shown in words (fmt.words_expr; the CSV download keeps them). `order`
    puts columns first (the key and evidence columns), the rest follow. `styled(frame) ->
    Styler` styles the shown frame; `where` is the container (st by default).
    """
    config = dict(config or {})
    shown, short = with_short_ids(frame, *ids)
    shown = shown.with_columns(
        fmt.words_expr(pl.col(c).cast(pl.String)).alias(c) for c in codes if c in shown.columns
    )
    for column, label_column in short.items():
        base = config.get(column)
        title = (
            base
            if isinstance(base, str)
            else (base or {}).get("label")
            if isinstance(base, dict)
            else None
        ) or fmt.words(column)
        config[label_column] = st.column_config.TextColumn(
            title,
            width=110,
            pinned=pin_ids,
            help=f"Shortened to its first {fmt.SHORT_ID} characters; the full id is in the "
            f"last column and in the CSV download.",
        )
        config[column] = st.column_config.TextColumn(f"{title} (full id)")
    for name, dtype in shown.schema.items():
        if name not in config:
            config[name] = _fallback(name, dtype)
        elif config[name] is not None and not isinstance(config[name], str):
            entry = config[name]
            if isinstance(entry, dict) and entry.get("label") is None:
                entry = {**entry, "label": fmt.words(name)}
                config[name] = entry
    first = [c for c in (order or []) if c in shown.columns]
    columns = [short.get(c, c) for c in first]
    labels = set(short.values())
    columns += [short.get(c, c) for c in shown.columns if c not in first and c not in labels]
    columns = [c for c in columns if config.get(c, "") is not None]
    columns += [c for c in short if c not in columns]  # the full ids, last
    kw.setdefault("hide_index", True)
    kw.setdefault("placeholder", EMPTY)
    negative = _negative_money(shown, config)
    if negative and shown.height * shown.width > STYLED_CELLS:
        for column, (currency, digits) in negative.items():
            entry = config[column]
            symbol = fmt.SYMBOLS[currency]
            config[column] = st.column_config.NumberColumn(
                f"{entry.get('label') or fmt.words(column)} ({symbol})",
                format=fmt.money_format("", digits),
                **{k: entry.get(k) for k in ("width", "help", "pinned")},
            )
        negative = {}
    for column in negative:  # printed by the Styler below: the pattern would win over it
        entry = config[column]
        config[column] = {**entry, "type_config": {**entry["type_config"], "format": None}}
    if kw.get("row_height") and "height" not in kw and frame.height <= 30:
        # Tall rows wrap long text; show every row then, none hidden below a scroll.
        kw["height"] = 38 + frame.height * kw["row_height"] + 2
    data = styled(shown) if styled is not None else shown
    if negative:
        data = (data if styled is not None else shown.to_pandas().style).format(
            {
                c: functools.partial(_amount, currency=currency, digits=digits)
                for c, (currency, digits) in negative.items()
            }
        )
    return (where or st).dataframe(data, column_config=config, column_order=columns, **kw)


def _negative_money(frame: pl.DataFrame, config: dict) -> dict[str, tuple[str, int]]:
    """{column: (currency, digits)} of the money columns whose pattern puts the currency symbol
    before the number and that hold an amount that prints negative."""
    found = {}
    for column, entry in config.items():
        pattern = (
            ((entry or {}).get("type_config") or {}).get("format")
            if isinstance(entry, dict)
            else None
        )
        if pattern not in _MONEY or column not in frame.columns:
            continue
        if not frame[column].dtype.is_numeric():
            continue
        currency, digits = _MONEY[pattern]
        lowest = frame[column].min()
        if currency in fmt.SYMBOLS and lowest is not None and round(lowest, digits) < 0:
            found[column] = (currency, digits)
    return found


def _amount(value: object, currency: str, digits: int) -> str:
    """A Styler cell of a money column: as fmt.whole_money prints it, "—" when empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return EMPTY
    return fmt.whole_money(float(value), currency, digits)
