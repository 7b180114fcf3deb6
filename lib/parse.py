"""Raw column values to typed values: dates, numbers, ids and text, with failures counted."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import narwhals as nw
import polars as pl

from lib.fmt import counted, plural
from lib.io import NULL_TOKENS

DATETIME = pl.Datetime("us")
SAMPLE_SIZE = 1000
# Parsed dates outside these years are treated as failures: they come from a wrong format
# (two-digit years read as year 0010) or from placeholders such as 9999-12-31.
MIN_YEAR, MAX_YEAR = 1900, 2100
# Numbers beyond this (and infinities) are no amounts or counts: overflowed cells, placeholders
# such as 1e308, or ids in the wrong column. Summed, they would swamp every real value.
MAX_MAGNITUDE = 1e15
# What an out-of-range value is, for one value and for several.
OUT_OF_RANGE = {
    "dates": (
        f"is a date outside the years {MIN_YEAR} to {MAX_YEAR - 1}",
        f"are dates outside the years {MIN_YEAR} to {MAX_YEAR - 1}",
    ),
    "numbers": (
        f"is not finite (inf, NaN) or beyond ±{MAX_MAGNITUDE:.0e}".replace("e+", "e"),
        f"are not finite (inf, NaN) or beyond ±{MAX_MAGNITUDE:.0e}".replace("e+", "e"),
    ),
}


@dataclass(frozen=True)
class Parsed:
    """A typed column, with how many non-null inputs could not be parsed and a few of them.

    `invalid` of the failures did read (as a date or number) but out of range: see OUT_OF_RANGE.
    `examples` holds a few unreadable values, then a few invalid ones (`invalid_examples`).
    """

    values: pl.Series
    failures: int
    examples: tuple[str, ...]
    detail: str = ""
    invalid: int = 0
    invalid_examples: tuple[str, ...] = ()

    def problem(self, what: str) -> str:
        """What failed, as a clause: '2 values could not be read as dates (e.g. ...)'.

        `what` is "dates" or "numbers"; empty when nothing failed.
        """
        parts = []
        unread = self.failures - self.invalid
        if unread:
            shown = [e for e in self.examples if e not in self.invalid_examples] or self.examples
            unread_values = counted(unread, "value")
            parts.append(f"{unread_values} could not be read as {what} (e.g. {_quote(shown)})")
        if self.invalid:
            parts.append(
                f"{counted(self.invalid, 'value')} "
                f"{plural(self.invalid, *OUT_OF_RANGE[what])} "
                f"(e.g. {_quote(self.invalid_examples)})"
            )
        return "; ".join(parts)


def _quote(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"'{v}'" for v in values[:3])


# --- shared helpers ---------------------------------------------------------------------------


def _cleaned(text: pl.Expr) -> pl.Expr:
    """Text stripped, null tokens null: what every string parser reads (an expression, for files
    read lazily; _clean_strings for a column in memory)."""
    return _tokens_missing(text.str.strip_chars())


def _tokens_missing(stripped):
    """Stripped text (a Series or an expression) with null tokens null."""
    return stripped.replace(list(NULL_TOKENS), None)


def _clean_strings(s: pl.Series) -> pl.Series:
    """_cleaned text of a column (the input of every string parser).

    Text that needs neither is returned as it is: the typed column then shares the raw column's
    memory instead of holding a second copy of a million strings.
    """
    text = s.cast(pl.String)
    stripped = text.str.strip_chars()
    unchanged = (stripped.str.len_bytes() == text.str.len_bytes()).all()
    if unchanged and not text.is_in(NULL_TOKENS).any():
        return text.alias(s.name)
    return _tokens_missing(stripped).alias(s.name)


def _evaluated(s: pl.Series, expression: Callable[[Any], Any], *, portable: bool = False):
    """`expression` of a column (polars', or with `portable` narwhals'), computed on the
    Series `s` (named as `s`)."""
    # A fixed name: the column's own may read as a pattern ("^id$").
    if portable:
        frame = nw.from_native(s.to_frame("v"))
        return frame.select(expression(nw.col("v"))).to_native().to_series().alias(s.name)
    return s.to_frame("v").select(expression(pl.col("v"))).to_series().alias(s.name)


def _sample(s: pl.Series, size: int = SAMPLE_SIZE) -> pl.Series:
    """Up to `size` non-null values spread evenly over the column (deterministic)."""
    values = s.drop_nulls()
    if values.len() <= size:
        return values
    return values.gather_every(-(-values.len() // size))


def _examples_of(raw: pl.Series, mask: pl.Series) -> tuple[str, ...]:
    bad = raw.filter(mask).cast(pl.String).unique(maintain_order=True).head(3)
    return tuple(str(v)[:60] for v in bad.to_list())


def _parsed(
    raw: pl.Series, values: pl.Series, detail: str = "", unchecked: pl.Series | None = None
) -> Parsed:
    """A Parsed whose failures are the raw non-nulls that came out null.

    `unchecked`: the values before out-of-range ones were nulled, to count those apart.
    """
    failed = raw.is_not_null() & values.is_null()
    count = int(failed.sum())
    if not count:
        return Parsed(values.alias(raw.name), 0, (), detail)
    if unchecked is None:
        return Parsed(values.alias(raw.name), count, _examples_of(raw, failed), detail)
    out = failed & unchecked.is_not_null()
    invalid = int(out.sum())
    invalid_examples = _examples_of(raw, out) if invalid else ()
    unread = _examples_of(raw, failed & ~out) if invalid < count else ()
    examples = unread + invalid_examples
    return Parsed(values.alias(raw.name), count, examples, detail, invalid, invalid_examples)


def _is_float(dtype: pl.DataType) -> bool:
    return dtype in (pl.Float32, pl.Float64)


def _is_text(dtype: pl.DataType) -> bool:
    """String-like columns, and all-null columns that have no type yet."""
    return dtype in (pl.String, pl.Categorical, pl.Null) or isinstance(dtype, pl.Enum)


def _without_nan(s: pl.Series) -> pl.Series:
    return s.fill_nan(None) if _is_float(s.dtype) else s


# --- dates ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Format:
    format: str
    order: str  # "ymd", "mdy", "dmy" or "text": formats of one order may share a column
    guard: str = ""  # regex a value must match first, where chrono is too lenient


_TIMES = (" %H:%M:%S%.f", " %H:%M", " %I:%M:%S %p", " %I:%M %p", "")
_ISO = (
    _Format("%Y-%m-%d %H:%M:%S%.f", "ymd"),
    _Format("%Y-%m-%dT%H:%M:%S%.f", "ymd"),
    _Format("%Y-%m-%d %H:%M", "ymd"),
    _Format("%Y-%m-%dT%H:%M", "ymd"),
    _Format("%Y-%m-%d", "ymd"),
    _Format("%Y-%m-%d %H-%M-%S", "ymd"),
    *(_Format(f"%Y/%m/%d{t}", "ymd") for t in _TIMES),
    *(_Format(f"%Y.%m.%d{t}", "ymd") for t in _TIMES),
    _Format("%Y%m%d", "ymd", guard=r"^\d{8}$"),
)
_NAMED_MONTHS = tuple(
    _Format(f"{day}{time}", "text")
    for day in (
        "%d %b %Y",
        "%d-%b-%Y",
        "%d-%b-%y",
        "%d %B %Y",
        "%b %d, %Y",  # Magento: 'Jan 8, 2024 4:38:08 PM'
        "%B %d, %Y",
        "%b-%d-%y",  # eBay: 'Jan-08-24'
        "%b-%d-%Y",
    )
    for time in _TIMES
)
_MONTH_NAME = r"(?i)(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
# Months as Portuguese, Spanish, French, German, Dutch and Italian exports write them, in full
# and abbreviated ('3 de marzo de 2024', '2 mrt. 2024', '05-Mär-25'): read as English ones.
_MONTHS: dict[str, tuple[str, ...]] = {
    "jan": ("janeiro", "janvier", "januar", "jänner", "januari", "gennaio", "enero", "janv"),
    "feb": ("fevereiro", "février", "fevrier", "februar", "februari", "febbraio", "febrero"),
    "mar": ("março", "marco", "mars", "märz", "marz", "maart", "marzo", "mrt", "mär"),
    "apr": ("abril", "avril", "aprile", "abr", "avr"),
    "may": ("maio", "mai", "mei", "maggio", "mayo", "mag"),
    "jun": ("junho", "juin", "juni", "giugno", "junio", "giu"),
    "jul": ("julho", "juillet", "juli", "luglio", "julio", "juil", "lug"),
    "aug": ("agosto", "août", "aout", "augustus", "ago", "aoû"),
    "sep": ("setembro", "septembre", "settembre", "septiembre", "set", "sept"),
    "oct": ("outubro", "octobre", "oktober", "ottobre", "octubre", "out", "okt", "ott"),
    "nov": ("novembro", "novembre", "noviembre"),
    "dec": ("dezembro", "décembre", "decembre", "dezember", "dicembre", "diciembre", "dez"),
}
_MONTHS["jan"] += ("ene", "gen")
_MONTHS["feb"] += ("fev", "fév", "févr", "fevr")
_MONTHS["dec"] += ("déc", "dic")
_LOCAL_MONTH = r"(?i)\b(" + "|".join(n for names in _MONTHS.values() for n in names) + r")\b"


def _english_months(text: pl.Series) -> pl.Series:
    """`text` with other languages' month names as English abbreviations, and their dates'
    words around them gone: '3 de marzo de 2024 14:03 hs.' -> '3 mar 2024 14:03', '2. März
    2024' -> '2 mar 2024', '1er avril 2024' -> '1 apr 2024'."""
    out = text
    for english, names in _MONTHS.items():
        out = out.str.replace_all(r"(?i)\b(" + "|".join(names) + r")\b\.?", english)
    return (
        out.str.replace_all(r"(?i)\b(de|del|da|do)\b", " ")
        .str.replace(r"(?i)\s+hs?\.?\s*$", "")
        .str.replace(r"(?i)^(\d{1,2})(\.|er)\s", "${1} ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


_DAY_MONTH = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})[/.\-]\d{2,4}\b")
_DAY_MONTH_PATTERN = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{2,4}"


def _numeric_date_formats(order: str, separator: str) -> tuple[_Format, ...]:
    first, second = ("%m", "%d") if order == "mdy" else ("%d", "%m")
    formats = []
    for year, guard in (("%Y", r"\d{4}"), ("%y", r"\d{2}")):
        full_guard = rf"^\d{{1,2}}\{separator}\d{{1,2}}\{separator}{guard}(\D|$)"
        for time in _TIMES:
            fmt = f"{first}{separator}{second}{separator}{year}{time}"
            formats.append(_Format(fmt, order, guard=full_guard))
    return tuple(formats)


def day_month_undecided(values: pl.Series) -> bool:
    """Whether `values` (text) are numeric dates some of which could be either day and month
    with no value of the column to tell (every one ambiguous), or with both orders in it:
    to_datetime would read those by convention or by the most that tell, and say so, and a
    chosen order decides (read as it reads them: stripped, null tokens missing)."""
    text = _clean_strings(values).drop_nulls()
    return "ambiguous" in _day_month_order(text, text)[2]


# The two orders of numeric day/month dates, in words.
DATE_ORDERS = {"dmy": "day first", "mdy": "month first"}


def _convention(separator: str) -> str:
    """The order of dates no value tells: slashes month first (US exports), dots and dashes day
    first."""
    return "mdy" if separator == "/" else "dmy"


def _day_month_order(
    values: pl.Series, whole: pl.Series, prefer: str | None = None
) -> tuple[str, str, str]:
    """(order, separator, note) for D/M/Y-or-M/D/Y dates, decided from the sample, else the column.

    A first field above 12 means day first; a second above 12 means month first. When no value
    tells, `prefer` ("dmy" or "mdy") decides; without it slashes default to month first (US
    exports) and dots or dashes to day first. When both orders occur (stacked exports), the
    values that could be either are read by `prefer`, else by the order more values show, else
    by that convention, and the note says how many (helper 165: 11 day-first, 9 month-first and
    10 of '05/06/2023' had been read month first whatever the user chose).
    """
    separator = ""
    for value in values.head(50).to_list():
        match = _DAY_MONTH.match(value)
        if match:
            separator = match.group(2)
            break
    if not separator:
        return "", "", ""
    # A chosen order is for the dates that could be either: where both orders occur in the
    # column, beyond the sample too (review, helper 167: 40 month-first dates past a day-first
    # sample left the choice unheard), those are read by it.
    for source in (values, whole) if prefer is None else (whole,):
        fields = (
            source.str.extract_groups(_DAY_MONTH_PATTERN)
            .struct.unnest()
            .select(pl.all().cast(pl.Int32, strict=False).max())
            .row(0)
        )
        first_max, second_max = (v or 0 for v in fields)
        if first_max > 12 >= second_max:
            return "dmy", separator, ""
        if second_max > 12 >= first_max:
            return "mdy", separator, ""
        if first_max > 12 and second_max > 12:
            # Both orders occur (stacked exports): those that tell are read by their style.
            return _mixed_order(whole, separator, prefer)
    order = prefer or _convention(separator)
    which = DATE_ORDERS[order] + (", as chosen" if prefer else "")
    return order, separator, f"day and month are ambiguous in every value: read as {which}"


def _mixed_order(whole: pl.Series, separator: str, prefer: str | None) -> tuple[str, str, str]:
    """_day_month_order of a column where both orders occur: the order for the values that
    could be either, `prefer`'s, else that of the most values that tell, else the convention,
    with a note counting them when there are any."""
    first, second = (
        whole.str.extract_groups(_DAY_MONTH_PATTERN)
        .struct.unnest()
        .select(pl.all().cast(pl.Int32, strict=False))
        .get_columns()
    )
    day_first = int(((first > 12) & (second <= 12)).sum())
    month_first = int(((second > 12) & (first <= 12)).sum())
    either = int(((first <= 12) & (second <= 12)).sum())
    if prefer:
        order, why = prefer, "as chosen"
    elif day_first != month_first:
        order, why = ("dmy" if day_first > month_first else "mdy"), "as most that tell"
    else:
        order, why = _convention(separator), f"as '{separator}' dates usually are"
    if not either:
        return order, separator, ""
    return (
        order,
        separator,
        f"day-first and month-first dates both occur ({day_first:,} day first, "
        f"{month_first:,} month first): the {either:,} where day and month are ambiguous are "
        f"read as {DATE_ORDERS[order]}, {why}",
    )


def _parsing(text: pl.Expr, fmt: _Format) -> pl.Expr:
    """`text` parsed with one format: naive microseconds, null where it does not fit."""
    parsed = text.str.to_datetime(fmt.format, time_unit="us", strict=False)
    return pl.when(text.str.contains(fmt.guard)).then(parsed) if fmt.guard else parsed


def _parse_with(values: pl.Series, fmt: _Format) -> pl.Series:
    """`values` parsed with one format (_parsing)."""
    return _evaluated(values, lambda text: _parsing(text, fmt))


def in_years(times: nw.Expr) -> nw.Expr:
    """Times (an expression of any engine's) within MIN_YEAR..MAX_YEAR - 1; null otherwise.
    Compared with the first and the end instant: no year is extracted (15x faster)."""
    first, end = datetime(MIN_YEAR, 1, 1), datetime(MAX_YEAR, 1, 1)
    return nw.when((times >= first) & (times < end)).then(times)


def _in_range(parsed: pl.Series) -> pl.Series:
    return _evaluated(parsed, in_years, portable=True)


def _datetime_plan(
    sample: pl.Series,
    whole: pl.Series,
    order: tuple[str, str] | None = None,
    prefer: str | None = None,
) -> tuple[list[_Format], str]:
    """The formats to try, best first (all of one day/month order), and a note on ambiguity.

    `order` (order, separator) imposes the day/month order instead of judging it; `prefer` is
    the order of values that do not tell (_day_month_order). Formats are
    ranked by the values they read within MIN_YEAR..MAX_YEAR, then by those they read at all,
    so that a column of year-2999 placeholders still finds its format (and fails on the range).
    """
    if order is None:
        order = _day_month_order(sample, whole, prefer)
        note = order[2]
    else:
        note = ""
    named = sample.str.contains(_MONTH_NAME).any()  # else no named-month format reads any
    candidates = list(_ISO) + (list(_NAMED_MONTHS) if named else [])
    if order[0]:
        numeric = list(_numeric_date_formats(order[0], order[1]))
        # When every value starts day/month/year, an ISO format reads only those of two-digit
        # years, as years before 100 (out of range, where a numeric format reads them within
        # it), and a named month none: the numeric formats alone rank the same first.
        every = sample.str.contains(_DAY_MONTH_PATTERN).all()
        candidates = numeric if every else candidates + numeric
    # Every candidate read in one query, stacked into one column for the range check: a query
    # per format cost more than its parse (Online Retail's sample planned in 3 ms, not 9).
    parsed = sample.to_frame("v").select(
        _parsing(pl.col("v"), fmt).alias(str(rank)) for rank, fmt in enumerate(candidates)
    )
    stacked = pl.concat(parsed.get_columns())
    reads, within = (_block_counts(s, len(candidates)) for s in (stacked, _in_range(stacked)))
    scored = []
    complete = None  # the order of the first format that reads the whole sample within range
    for rank, (fmt, read, in_range) in enumerate(zip(candidates, reads, within, strict=True)):
        if complete is not None and fmt.order != complete:
            continue  # it can neither rank first nor join the first's order
        if read:
            scored.append((-in_range, -read, rank, fmt))
            if complete is None and in_range == sample.len():
                complete = fmt.order
    if not scored:
        return [], note
    scored.sort(key=lambda item: item[:3])
    best = scored[0][3]
    # Other formats of the same order catch mixed values ("2017-07-09" beside a full timestamp).
    chosen = [best] + [item[3] for item in scored[1:] if item[3].order == best.order][:3]
    return chosen, note


def _block_counts(values: pl.Series, blocks: int) -> list[int]:
    """The values other than null in each of `blocks` equal runs of `values`, in order."""
    size = values.len() // blocks
    return [values.slice(k * size, size).count() for k in range(blocks)]


def _apply_plan(values: pl.Series, plan: list[_Format]) -> tuple[pl.Series, pl.Series]:
    """(dates within MIN_YEAR..MAX_YEAR, dates before that check) of `values` read by `plan`."""
    if not plan:
        empty = pl.Series(values.name, [None] * values.len(), dtype=DATETIME)
        return empty, empty
    combined = _parse_with(values, plan[0])
    for fmt in plan[1:]:  # each next format reads only what the ones before left unread
        missed = combined.is_null() & values.is_not_null()
        if not missed.any():
            break
        rows = missed.arg_true()
        combined = combined.scatter(rows, _parse_with(values.gather(rows), fmt))
    combined = combined.cast(DATETIME).alias(values.name)
    return _in_range(combined).alias(values.name), combined


# Excel writes a date as its day number counted from 1899-12-30 (45,000 is 15 Mar 2023): the
# numbers of 1954 to 2119 are read so when a date column holds nothing else.
EXCEL_EPOCH = datetime(1899, 12, 30)
EXCEL_DAYS = (20_000, 80_000)
EXCEL_NOTE = "Excel day numbers (days since 1899-12-30)"


def _excel_days(s: pl.Series) -> pl.Series:
    """Excel day numbers (a fraction is the time of day) as times, null outside the years."""
    micros = (s.cast(pl.Float64) * _DAY_MICROS).round().cast(pl.Int64)
    times = pl.select(pl.lit(EXCEL_EPOCH) + pl.duration(microseconds=micros)).to_series()
    return _in_range(times.cast(DATETIME))


_DAY_MICROS = 86_400_000_000


def _excel_times(values: pl.Series) -> bool:
    """Numbers that are Excel day numbers with a time of day: some with a fraction, most of
    them within EXCEL_DAYS (the whole numbers alone are read by _integer_dates)."""
    sample = _sample(values)
    median = sample.median()
    return (
        median is not None
        and EXCEL_DAYS[0] <= float(median) <= EXCEL_DAYS[1]
        and bool((sample != sample.floor()).any())
    )


def _integer_dates(s: pl.Series) -> tuple[pl.Series, str]:
    """Integers as YYYYMMDD, Excel day numbers, or unix seconds or milliseconds, judged by their
    magnitude."""
    sample = _sample(s)
    if sample.is_empty():
        return pl.Series(s.name, [None] * s.len(), dtype=DATETIME), ""
    median = float(sample.median() or 0)
    if EXCEL_DAYS[0] <= median <= EXCEL_DAYS[1]:
        return _excel_days(s), EXCEL_NOTE
    if 19_000_101 <= median <= 21_001_231:
        text = s.cast(pl.Int64).cast(pl.String)
        parsed = _parse_with(text, _Format("%Y%m%d", "ymd", guard=r"^\d{8}$"))
        return _in_range(parsed), "format %Y%m%d"
    if 1e8 <= median < 4.2e9:
        return _in_range(pl.from_epoch(s.cast(pl.Int64), time_unit="s").cast(DATETIME)), (
            "unix seconds"
        )
    if 1e11 <= median < 4.2e12:
        return _in_range(pl.from_epoch(s.cast(pl.Int64), time_unit="ms").cast(DATETIME)), (
            "unix milliseconds"
        )
    return pl.Series(s.name, [None] * s.len(), dtype=DATETIME), ""


# A UTC offset after a time of day ('2023-01-01T00:20:00+01:00', '10:05:00Z', '10:05 UTC'): dropped
# and the time read as written, the shop's wall-clock time. Converted to UTC, a Berlin shop's
# order at 00:20 on 1 Jan would fall on 31 Dec, in another month, and its hours would move.
OFFSET = r"(\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?)\s*([+-]\d{2}:?\d{2}|Z|UTC)$"
OFFSETS_DROPPED = (
    "times carry UTC offsets: read as the local time written, offset left aside (converted "
    "to UTC, days, months and hours would shift)"
)


def offsets(detail: str) -> str | None:
    """The note on times whose UTC offsets, other than zero, were left aside (a detail of
    to_datetime)."""
    return OFFSETS_DROPPED if OFFSETS_DROPPED in detail else None


def numbered(detail: str) -> str | None:
    """The note on dates written as numbers (a detail of to_datetime), read by their size."""
    if detail in (EXCEL_NOTE, "unix seconds", "unix milliseconds"):
        return f"dates written as numbers, read as {detail}: check a few against the source"
    return None


def ambiguity(detail: str) -> str | None:
    """The note on dates whose day and month could be either (a detail of to_datetime), with
    what to do about it; None when the values say which is which."""
    said = next((d for d in detail.split("; ") if "ambiguous" in d), None)
    return None if said is None else f"{said}: check a few dates against the source"


def to_datetime(s: pl.Series, prefer: str | None = None, *, numbers: bool = True) -> Parsed:
    """Naive Datetime("us") values; the format is detected on a sample, then per style.
    `prefer` ("dmy" or "mdy"): how to read dates whose day and month could be either, when no
    value of the column tells (by default slashes month first, dots and dashes day first).
    `numbers`: whole numbers written as text are read by their size (_integer_dates) when no
    format fits; not when guessing which column holds dates (looks_like_datetime), where ids
    and amounts are whole numbers too.

    A column usually holds one style, read with one format found on a sample. Stacked exports
    mix styles (ISO beside 12/25/2022, or day-first beside month-first): the values the first
    format leaves unread are read again, each style they tell apart with its own format.
    """
    dtype = s.dtype
    if isinstance(dtype, pl.Datetime) or dtype == pl.Date:
        values = s
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            values = s.dt.replace_time_zone(None)  # its zone's wall-clock time, as text is read
        values = values.cast(DATETIME)
        return _parsed(s, _in_range(values), unchecked=values)  # the years text may have
    if dtype.is_integer() or _is_float(dtype):
        clean = _without_nan(s)
        if _is_float(dtype) and _excel_times(clean):
            return _parsed(clean, _excel_days(clean).alias(s.name), EXCEL_NOTE)
        whole = clean.cast(pl.Int64, strict=False)
        if _is_float(dtype):  # only whole numbers can be day stamps or epochs
            whole = pl.select(
                pl.when(clean == clean.floor()).then(whole).otherwise(None)
            ).to_series()
        values, detail = _integer_dates(whole)
        return _parsed(clean, values.alias(s.name), detail)
    if not _is_text(dtype):
        empty = pl.Series(s.name, [None] * s.len(), dtype=DATETIME)
        return _parsed(s, empty, f"{dtype} values are not dates")
    text = _clean_strings(s)
    shifted = False
    if text.str.contains(OFFSET).any():
        # Said only where the offset moves the time: "+00:00" or "Z" written is UTC read.
        shifted = text.str.extract(OFFSET, 2).str.contains("[1-9]").any()
        text = text.str.replace(OFFSET, "${1}")
    if text.head(SAMPLE_SIZE).str.contains(_LOCAL_MONTH).any():  # a column has one style
        text = _english_months(text)
    values, unchecked, detail = _read_dates(text, prefer=prefer)
    if numbers and values.is_null().all() and text.str.contains(r"^\d+$").all():
        # Whole numbers written as text (a CSV): day stamps, Excel day numbers or epochs.
        numbers, said = _integer_dates(text.cast(pl.Int64, strict=False))
        if numbers.is_not_null().any():
            return _parsed(text, numbers.alias(s.name), said)
    elif numbers and values.is_null().all() and text.str.contains(r"^\d+(?:\.\d+)?$").all():
        written = text.cast(pl.Float64, strict=False)  # Excel day numbers with times of day?
        if _excel_times(written):
            return _parsed(text, _excel_days(written).alias(s.name), EXCEL_NOTE)
    if shifted:
        detail = f"{detail}; {OFFSETS_DROPPED}"
    missed = values.is_null() & unchecked.is_null() & text.is_not_null()
    if missed.any():  # other styles, or garbage: read what is left style by style
        rows = missed.arg_true()
        rest = text.gather(rows)
        styles = _styles(rest)
        kinds = set(styles.drop_nulls().unique().to_list())
        if kinds - {"text"} or len(rows) < text.is_not_null().sum():
            more, more_unchecked, more_detail = _read_styles(rest, styles, prefer)
            if more_unchecked.is_not_null().any():
                values = values.scatter(rows, more)
                unchecked = unchecked.scatter(rows, more_unchecked)
                detail = f"{detail}; the rest in several date styles: {more_detail}"
    return _parsed(text, values, detail, unchecked)


def _read_dates(
    text: pl.Series, order: tuple[str, str] | None = None, prefer: str | None = None
) -> tuple[pl.Series, pl.Series, str]:
    """(dates, dates before the range check, detail) of text in one style (`order`,
    `prefer`: see _datetime_plan)."""
    plan, note = _datetime_plan(_sample(text), text, order, prefer)
    values, unchecked = _apply_plan(text, plan)
    if plan:
        detail = "; ".join(p for p in ("format " + " or ".join(f.format for f in plan), note) if p)
    else:
        detail = "no date format fits" if text.is_not_null().any() else ""
    return values, unchecked, detail


_ISO_START = r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"


def _styles(text: pl.Series) -> pl.Series:
    """Each value's date style, for columns that mix styles (stacked exports).

    Styles: 'ymd' (ISO-like), 'compact' (YYYYMMDD), 'text' (anything else, named months
    included), and for numeric day/month dates their separator followed by 'dmy' (first field
    above 12), 'mdy' (second above 12) or '?' (both 12 or less).
    """
    fields = pl.col("v").str.extract_groups(r"^(\d{1,2})([/.\-])(\d{1,2})[/.\-]\d{2,4}")
    first = fields.struct.field("1").cast(pl.Int32)
    second = fields.struct.field("3").cast(pl.Int32)
    order = (
        pl.when(first > 12)
        .then(pl.lit("dmy"))
        .when(second > 12)
        .then(pl.lit("mdy"))
        .otherwise(pl.lit("?"))
    )
    style = (
        pl.when(pl.col("v").is_null())
        .then(None)
        .when(pl.col("v").str.contains(_ISO_START))
        .then(pl.lit("ymd"))
        .when(pl.col("v").str.contains(r"^\d{8}$"))
        .then(pl.lit("compact"))
        .when(fields.struct.field("2").is_not_null())
        .then(fields.struct.field("2") + order)
        .otherwise(pl.lit("text"))
    )
    return pl.DataFrame({"v": text}).select(style.alias("style")).to_series()


def _read_styles(
    text: pl.Series, styles: pl.Series, prefer: str | None = None
) -> tuple[pl.Series, pl.Series, str]:
    """Dates of a column that mixes styles, each style read on its own (`prefer`: the order of
    a separator's dates that do not tell, when none of that separator's other dates do)."""
    values = pl.Series(text.name, [None] * text.len(), dtype=DATETIME)
    unchecked = values.clone()
    counts = dict(styles.drop_nulls().value_counts().iter_rows())
    details = []
    for style in sorted(counts):
        rows = (styles == style).arg_true()
        part = text.gather(rows)
        order = None
        if style[0] in "/.-":
            separator, said = style[0], style[1:]
            dmy, mdy = counts.get(f"{separator}dmy", 0), counts.get(f"{separator}mdy", 0)
            if said == "?":  # ambiguous: read like most values with this separator say
                convention = prefer or _convention(separator)
                said = "dmy" if dmy > mdy else "mdy" if mdy > dmy else convention
                if not dmy and not mdy:
                    details.append(
                        f"day and month are ambiguous in every '{separator}' date: read as "
                        f"{DATE_ORDERS[said]}"
                    )
            order = (said, separator)
        read, raw, detail = _read_dates(part, order)
        values = values.scatter(rows, read)
        unchecked = unchecked.scatter(rows, raw)
        name = _STYLE_NAMES.get(style) or f"'{style[0]}' {_STYLE_NAMES[style[1:]]}"
        details.append(f"{counts[style]:,} {name} dates: {detail}")
    return values, unchecked, "; ".join(details)


_STYLE_NAMES = {
    "ymd": "year-first",
    "compact": "YYYYMMDD",
    "text": "other",
    "dmy": "day-first",
    "mdy": "month-first",
    "?": "day/month",
}


def looks_like_datetime(s: pl.Series) -> float:
    """Share (0..1) of a sample of non-null values that parse as dates."""
    dtype = s.dtype
    if isinstance(dtype, pl.Datetime) or dtype == pl.Date:
        return 1.0 if s.drop_nulls().len() else 0.0
    if dtype.is_integer():
        sample = _sample(s)
        if sample.is_empty():
            return 0.0
        values, said = _integer_dates(sample.cast(pl.Int64))
        if said == EXCEL_NOTE:  # numbers of 20,000 to 80,000 are ids or amounts as often
            return 0.0
        return float(values.is_not_null().mean() or 0.0)
    if not _is_text(dtype):
        return 0.0
    sample = _sample(_clean_strings(s))
    if sample.is_empty() or not sample.str.contains(_DATE_SHAPE).any():
        return 0.0
    return float(to_datetime(sample, numbers=False).values.is_not_null().mean() or 0.0)


# What any supported date looks like at its start: three numeric fields, eight digits, or a
# named month beside a day. Columns with no such value skip trying every format.
_DATE_SHAPE = r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|^\d{8}|^\d{1,2}[ -]\pL{3}|^\pL{3,9}\.? \d{1,2}"


# --- numbers ----------------------------------------------------------------------------------

# Currency: a symbol possibly led by a country prefix (R$, US$, C$), or a 3-letter ISO code.
_CURRENCY = r"(?:[A-Z]{0,3}\p{Sc}|[A-Z]{3}|kr|Rs\.?)"
_NUMBER = rf"^\(?[-+−]?{_CURRENCY}?[-+−]?(\d[\d.,']*|[.,]\d+)[-−]?{_CURRENCY}?\)?$"
_NEGATIVE = r"[-−]|^\(.*\)$"
_COMMA_DECIMAL_VOTE = r"^\d+,\d{1,2}$|^\d+,\d{4,}$|^\d{4,},\d+$|\.\d{3},|^\d{1,3}(\.\d{3}){2,}$"
_POINT_DECIMAL_VOTE = r"^\d+\.\d{1,2}$|^\d+\.\d{4,}$|^\d{4,}\.\d+$|,\d{3}\.|^\d{1,3}(,\d{3}){2,}$"
_POINT_THOUSANDS = r"^\d{1,3}(,\d{2,3})*,\d{3}(\.\d*)?$"
_COMMA_THOUSANDS = r"^\d{1,3}(\.\d{3})+(,\d*)?$"


def _compact(text):
    """Text (a Series or an expression) without its blanks."""
    return text.str.replace_all(r"\s+", "")


def _digits(text: pl.Expr) -> pl.Expr:
    """The digits and separators of a number written with currency, signs and blanks."""
    return _compact(text).str.extract(_NUMBER, 1)


# A number a decimal mark and a thousands separator read alike: '1.000', '2,037'.
_EITHER_MARK = r"^\d{1,3}[.,]\d{3}$"
_UNDECIDED = "decimal mark undecided"


def _decimal_votes(text: pl.Series) -> tuple[int, int, pl.Series]:
    """The votes of cleaned text's unambiguous values for a decimal comma and a decimal point,
    and the values that could be read either way (_EITHER_MARK)."""
    digits = _evaluated(text, _digits).drop_nulls()
    comma = int(digits.str.contains(_COMMA_DECIMAL_VOTE).sum())
    point = int(digits.str.contains(_POINT_DECIMAL_VOTE).sum())
    return comma, point, digits.filter(digits.str.contains(_EITHER_MARK))


def _decimal_comma(text: pl.Series) -> bool:
    """Whether cleaned text's numbers use a decimal comma, by votes of the unambiguous values."""
    comma, point, _ = _decimal_votes(text)
    return comma > point


def undecided_mark(detail: str) -> str | None:
    """The note on numbers whose decimal mark no value of their column tells (a detail of
    to_float), with what to do; None otherwise."""
    said = next((d for d in detail.split("; ") if d.startswith(_UNDECIDED)), None)
    return None if said is None else f"{said}: check a few against the source"


def _written_number(text: pl.Expr, comma: bool) -> pl.Expr:
    """Floats from cleaned text with currency, signs, blanks and thousands separators, the
    decimal mark a comma or a point; null where the text is no number."""
    digits = _digits(text).str.replace_all("'", "", literal=True)
    if comma:
        normal = (
            pl.when(digits.str.contains(_COMMA_THOUSANDS))
            .then(digits.str.replace_all(".", "", literal=True))
            .otherwise(digits)
            .str.replace(",", ".", literal=True)
        )
    else:
        normal = (
            pl.when(digits.str.contains(_POINT_THOUSANDS))
            .then(digits.str.replace_all(",", "", literal=True))
            .otherwise(digits)
        )
    value = normal.cast(pl.Float64, strict=False)
    negative = _compact(text).str.contains(_NEGATIVE)
    return pl.when(negative).then(-value).otherwise(value)


def _text_to_float(text: pl.Series) -> tuple[pl.Series, str]:
    """Floats from cleaned text; direct casts first, the slow path only for the rest."""
    votes, against, either = _decimal_votes(_sample(text))
    comma = votes > against
    detail = "decimal comma" if comma else ""
    if not votes and not against and either.len():
        # Nothing tells (hostile-upload audit, helper 165: prices '1.000' and '2.037' in a
        # semicolon file of day-first dates read 1,000 times too small, unsaid): read as
        # written, a point a decimal mark and a comma a thousands separator, and said so.
        detail = (
            f"{_UNDECIDED}: no value tells whether '{either[0]}' and the like hold a decimal "
            "mark or a thousands separator, so a point is read as the decimal mark and a comma "
            "as thousands"
        )
    if comma:
        return _evaluated(text, lambda t: _written_number(t, comma=True)), detail
    fast = text.cast(pl.Float64, strict=False)
    missed = fast.is_null() & text.is_not_null()
    if not missed.any():
        return fast, detail
    slow = _evaluated(text.filter(missed), lambda t: _written_number(t, comma=False))
    return fast.scatter(missed.arg_true(), slow), detail


def text_numbers(text: pl.Expr, sample: pl.Series) -> pl.Expr:
    """to_float's values of a text column as an expression (for files read lazily), but for
    the bounds (in_bounds): `text` cleaned, its decimal mark found on `sample` (some of its
    values) as to_float finds it on the column's."""
    clean = _cleaned(text)
    if _decimal_comma(_sample(_clean_strings(sample))):
        return _written_number(clean, comma=True)
    return pl.coalesce(clean.cast(pl.Float64, strict=False), _written_number(clean, comma=False))


def in_bounds(values: nw.Expr) -> nw.Expr:
    """Numbers (an expression of any engine's) that are finite and within MAX_MAGNITUDE;
    null otherwise."""
    return nw.when(values.is_finite() & (values.abs() <= MAX_MAGNITUDE)).then(values)


def _finite(values: pl.Series) -> pl.Series:
    """Null where a value is NaN, infinite or beyond MAX_MAGNITUDE."""
    return _evaluated(values, in_bounds, portable=True)


def to_float(s: pl.Series) -> Parsed:
    """Float64 values from numbers written in any common way (see the module's tests).

    Infinities, NaN written out and magnitudes beyond MAX_MAGNITUDE count as failures (invalid);
    NaN in a typed float column means missing, as pandas writes it, and is no failure.
    """
    dtype = s.dtype
    if dtype.is_numeric() or dtype == pl.Boolean:
        raw = _without_nan(s)
        floats = raw.cast(pl.Float64)
        return _parsed(raw, _finite(floats), unchecked=floats)
    if not _is_text(dtype):
        empty = pl.Series(s.name, [None] * s.len(), dtype=pl.Float64)
        return _parsed(s, empty, f"{dtype} values are not numbers")
    text = _clean_strings(s)
    values, detail = _text_to_float(text)
    values = values.alias(s.name)
    return _parsed(text, _finite(values), detail, unchecked=values)


def to_int(s: pl.Series) -> Parsed:
    """Int64 values; whole-valued decimals ("3.0") are accepted, fractions ("3.5") fail."""
    dtype = s.dtype
    if dtype.is_integer() or dtype == pl.Boolean:
        return _parsed(s, s.cast(pl.Int64, strict=False))
    if _is_text(dtype):
        text = _clean_strings(s)
        exact = text.cast(pl.Int64, strict=False)  # keeps precision beyond 2**53
        missed = exact.is_null() & text.is_not_null()
        if not missed.any():
            return _parsed(text, exact)
        floats = to_float(text.filter(missed))
        rest = _whole(floats.values)
        return _parsed(text, exact.scatter(missed.arg_true(), rest), floats.detail)
    if dtype.is_numeric():
        clean = _without_nan(s)
        return _parsed(clean, _whole(clean.cast(pl.Float64)))
    empty = pl.Series(s.name, [None] * s.len(), dtype=pl.Int64)
    return _parsed(s, empty, f"{dtype} values are not whole numbers")


def is_whole(values):
    """Where a float (a Series or an expression) is a whole number within Int64's range."""
    return (values == values.floor()) & (values.abs() < 2.0**63)


def _whole(values: pl.Series) -> pl.Series:
    """Int64 where a float is a whole number within range, else null."""
    ok = is_whole(values)
    return pl.select(
        pl.when(ok).then(values).otherwise(None).cast(pl.Int64, strict=False)
    ).to_series()


# Currency marks that name one currency; "$", "¥", "kr" and the like name several.
_MARKS = {"€": "EUR", "£": "GBP", "R$": "BRL", "US$": "USD", "C$": "CAD", "A$": "AUD", "₹": "INR"}


def stated_currency(s: pl.Series, codes: Collection[str]) -> str | None:
    """The currency that amounts written as text name ('€12,50', '12.50 EUR'), when every one
    that names a currency names the same, by a mark of one currency (_MARKS) or one of `codes`
    (three letters: any other, '12 PCS', may be no currency); None otherwise (no mark, marks
    that differ, or one several currencies use: '$')."""
    if not _is_text(s.dtype):
        return None
    compact = _compact(_sample(_clean_strings(s)))
    marks = compact.filter(compact.str.contains(_NUMBER)).str.extract(f"({_CURRENCY})", 1)
    found = marks.drop_nulls().unique().to_list()
    if len(found) != 1:
        return None
    mark = found[0]
    return mark if mark in codes else _MARKS.get(mark)


def named_currency(header: str, codes: Collection[str]) -> str | None:
    """The currency a column's header names ('Price (EUR)', 'Betrag in €', 'Total [usd]'): one
    of `codes` as a word of its own, or a mark of one currency (_MARKS); None when it names
    none, or several."""
    words = set(re.findall(r"[A-Za-z]+", header.upper())) & set(codes)
    marks = {code for mark, code in _MARKS.items() if mark in header}
    found = words | marks
    return found.pop() if len(found) == 1 else None


def looks_like_number(s: pl.Series) -> float:
    """Share (0..1) of a sample of non-null values that parse as numbers."""
    dtype = s.dtype
    if dtype.is_numeric():
        return 1.0 if _without_nan(s).drop_nulls().len() else 0.0
    if not _is_text(dtype):
        return 0.0
    sample = _sample(_clean_strings(s))
    if sample.is_empty():
        return 0.0
    values, _ = _text_to_float(sample)
    return float(values.is_not_null().mean() or 0.0)


# --- ids and text -----------------------------------------------------------------------------


def to_id(s: pl.Series) -> pl.Series:
    """Identifiers as text: stripped, "17850.0" -> "17850", numbers without a decimal tail."""
    dtype = s.dtype
    if dtype.is_integer():
        return s.cast(pl.String)
    if _is_float(dtype):
        # One expression: whole numbers as integers, NaN as null, the rest as floats' text.
        return _evaluated(
            s,
            lambda value: (
                pl.when(is_whole(value))
                .then(value.cast(pl.Int64, strict=False).cast(pl.String))
                .otherwise(value.fill_nan(None).cast(pl.String))
            ),
        )
    text = to_text(s)
    if not text.str.contains(".", literal=True).any():  # the common case skips the regex
        return text
    return _evaluated(text, without_tail, portable=True)


# An id written as a whole number with a decimal tail ("17850.0": a float column saved as
# text), and that tail.
WHOLE_ID, ID_TAIL = r"^[-+]?\d+\.0+$", r"\.0+$"


def without_tail(text: nw.Expr) -> nw.Expr:
    """Ids written as whole numbers with a decimal tail without it: "17850.0" -> "17850" (an
    expression of any engine's: to_id's and engines.canonical's)."""
    tailless = text.str.replace_all(ID_TAIL, "")
    return nw.when(text.str.contains(WHOLE_ID)).then(tailless).otherwise(text)


def to_text(s: pl.Series) -> pl.Series:
    """Text stripped of surrounding blanks; empty strings and null tokens become null."""
    return _clean_strings(_without_nan(s) if _is_float(s.dtype) else s)
