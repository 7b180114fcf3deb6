"""Raw column values to typed values: dates, numbers, ids and text, with failures counted."""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from lib.io import NULL_TOKENS

DATETIME = pl.Datetime("us")
SAMPLE_SIZE = 1000
# Parsed dates outside these years are treated as failures: they come from a wrong format
# (two-digit years read as year 0010) or from placeholders such as 9999-12-31.
MIN_YEAR, MAX_YEAR = 1900, 2100


@dataclass(frozen=True)
class Parsed:
    """A typed column, with how many non-null inputs could not be parsed and a few of them."""

    values: pl.Series
    failures: int
    examples: tuple[str, ...]
    detail: str = ""


# --- shared helpers ---------------------------------------------------------------------------


def _clean_strings(s: pl.Series) -> pl.Series:
    """Stripped text with null tokens as null (the input of every string parser)."""
    stripped = s.cast(pl.String).str.strip_chars()
    return (
        pl.select(pl.when(stripped.is_in(NULL_TOKENS)).then(None).otherwise(stripped).alias(s.name))
        .to_series()
        .alias(s.name)
    )


def _sample(s: pl.Series, size: int = SAMPLE_SIZE) -> pl.Series:
    """Up to `size` non-null values spread evenly over the column (deterministic)."""
    values = s.drop_nulls()
    if values.len() <= size:
        return values
    return values.gather_every(-(-values.len() // size))


def _parsed(raw: pl.Series, values: pl.Series, detail: str = "") -> Parsed:
    """A Parsed whose failures are the raw non-nulls that came out null."""
    failed = raw.is_not_null() & values.is_null()
    count = int(failed.sum())
    examples: tuple[str, ...] = ()
    if count:
        bad = raw.filter(failed).cast(pl.String).unique(maintain_order=True).head(3)
        examples = tuple(str(v) for v in bad.to_list())
    return Parsed(values.alias(raw.name), count, examples, detail)


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
    zoned: bool = False


_TIMES = (" %H:%M:%S%.f", " %H:%M", " %I:%M:%S %p", " %I:%M %p", "")
_ISO = (
    _Format("%Y-%m-%d %H:%M:%S%.f", "ymd"),
    _Format("%Y-%m-%dT%H:%M:%S%.f", "ymd"),
    _Format("%Y-%m-%d %H:%M", "ymd"),
    _Format("%Y-%m-%dT%H:%M", "ymd"),
    _Format("%Y-%m-%d", "ymd"),
    _Format("%Y-%m-%d %H-%M-%S", "ymd"),
    _Format("%Y-%m-%dT%H:%M:%S%.f%#z", "ymd", zoned=True),
    _Format("%Y-%m-%d %H:%M:%S%.f%#z", "ymd", zoned=True),
    _Format("%Y-%m-%d %H:%M:%S%.f %#z", "ymd", zoned=True),
    *(_Format(f"%Y/%m/%d{t}", "ymd") for t in _TIMES),
    *(_Format(f"%Y.%m.%d{t}", "ymd") for t in _TIMES),
    _Format("%Y%m%d", "ymd", guard=r"^\d{8}$"),
)
_NAMED_MONTHS = tuple(
    _Format(f, "text")
    for f in (
        "%d %b %Y",
        "%d-%b-%Y",
        "%d-%b-%y",
        "%d %B %Y",
        "%b %d, %Y",
        "%B %d, %Y",
        "%d %b %Y %H:%M",
        "%d-%b-%Y %H:%M",
    )
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


def _day_month_order(values: pl.Series, whole: pl.Series) -> tuple[str, str, str]:
    """(order, separator, note) for D/M/Y-or-M/D/Y dates, decided from the sample, else the column.

    A first field above 12 means day first; a second above 12 means month first. When no value
    tells, slashes default to month first (US exports) and dots or dashes to day first.
    """
    separator = ""
    for value in values.head(50).to_list():
        match = _DAY_MONTH.match(value)
        if match:
            separator = match.group(2)
            break
    if not separator:
        return "", "", ""
    for source in (values, whole):
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
            break  # contradictory; fall back to the convention
    order = "mdy" if separator == "/" else "dmy"
    which = "month first" if order == "mdy" else "day first"
    return order, separator, f"day and month are ambiguous in every value: read as {which}"


def _parse_with(values: pl.Series, fmt: _Format) -> pl.Series:
    """`values` parsed with one format: naive microseconds, null where it does not fit."""
    parsed = values.str.to_datetime(fmt.format, time_unit="us", strict=False)
    if fmt.zoned:
        parsed = parsed.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    if fmt.guard:
        parsed = pl.select(
            pl.when(values.str.contains(fmt.guard)).then(parsed).otherwise(None)
        ).to_series()
    return parsed


def _in_range(parsed: pl.Series) -> pl.Series:
    year = parsed.dt.year()
    return pl.select(
        pl.when((year >= MIN_YEAR) & (year < MAX_YEAR)).then(parsed).otherwise(None)
    ).to_series()


def _datetime_plan(sample: pl.Series, whole: pl.Series) -> tuple[list[_Format], str]:
    """The formats to try, best first (all of one day/month order), and a note on ambiguity."""
    order, separator, note = _day_month_order(sample, whole)
    candidates = list(_ISO) + list(_NAMED_MONTHS)
    if order:
        candidates += list(_numeric_date_formats(order, separator))
    scored = []
    for rank, fmt in enumerate(candidates):
        hits = int(_in_range(_parse_with(sample, fmt)).is_not_null().sum())
        if hits:
            scored.append((-hits, rank, fmt))
    if not scored:
        return [], note
    scored.sort(key=lambda item: (item[0], item[1]))
    best = scored[0][2]
    # Other formats of the same order catch mixed values ("2017-07-09" beside a full timestamp).
    chosen = [best] + [f for _, _, f in scored[1:] if f.order == best.order][:3]
    return chosen, note


def _apply_plan(values: pl.Series, plan: list[_Format]) -> pl.Series:
    if not plan:
        return pl.Series(values.name, [None] * values.len(), dtype=DATETIME)
    parsed = [_parse_with(values, fmt) for fmt in plan]
    combined = parsed[0] if len(parsed) == 1 else pl.select(pl.coalesce(parsed)).to_series()
    return _in_range(combined.cast(DATETIME)).alias(values.name)


def _integer_dates(s: pl.Series) -> tuple[pl.Series, str]:
    """Integers as YYYYMMDD, or as unix seconds or milliseconds, judged by their magnitude."""
    sample = _sample(s)
    if sample.is_empty():
        return pl.Series(s.name, [None] * s.len(), dtype=DATETIME), ""
    median = float(sample.median() or 0)
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


def to_datetime(s: pl.Series) -> Parsed:
    """Naive Datetime("us") values; the format is detected once per column from a sample."""
    dtype = s.dtype
    if isinstance(dtype, pl.Datetime):
        values = s
        if dtype.time_zone is not None:
            values = s.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        return _parsed(s, values.cast(DATETIME))
    if dtype == pl.Date:
        return _parsed(s, s.cast(DATETIME))
    if dtype.is_integer() or _is_float(dtype):
        clean = _without_nan(s)
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
    plan, note = _datetime_plan(_sample(text), text)
    values = _apply_plan(text, plan)
    if plan:
        detail = "; ".join(p for p in ("format " + " or ".join(f.format for f in plan), note) if p)
    else:
        detail = "no date format fits" if text.is_not_null().any() else ""
    return _parsed(text, values, detail)


def looks_like_datetime(s: pl.Series) -> float:
    """Share (0..1) of a sample of non-null values that parse as dates."""
    dtype = s.dtype
    if isinstance(dtype, pl.Datetime) or dtype == pl.Date:
        return 1.0 if s.drop_nulls().len() else 0.0
    if dtype.is_integer():
        sample = _sample(s)
        if sample.is_empty():
            return 0.0
        values, _ = _integer_dates(sample.cast(pl.Int64))
        return float(values.is_not_null().mean() or 0.0)
    if not _is_text(dtype):
        return 0.0
    sample = _sample(_clean_strings(s))
    if sample.is_empty():
        return 0.0
    plan, _ = _datetime_plan(sample, sample)
    return float(_apply_plan(sample, plan).is_not_null().mean() or 0.0)


# --- numbers ----------------------------------------------------------------------------------

# Currency: a symbol possibly led by a country prefix (R$, US$, C$), or a 3-letter ISO code.
_CURRENCY = r"(?:[A-Z]{0,3}\p{Sc}|[A-Z]{3}|kr|Rs\.?)"
_NUMBER = rf"^\(?[-+−]?{_CURRENCY}?[-+−]?(\d[\d.,']*|[.,]\d+)[-−]?{_CURRENCY}?\)?$"
_NEGATIVE = r"[-−]|^\(.*\)$"
_COMMA_DECIMAL_VOTE = r"^\d+,\d{1,2}$|^\d+,\d{4,}$|^\d{4,},\d+$|\.\d{3},|^\d{1,3}(\.\d{3}){2,}$"
_POINT_DECIMAL_VOTE = r"^\d+\.\d{1,2}$|^\d+\.\d{4,}$|^\d{4,}\.\d+$|,\d{3}\.|^\d{1,3}(,\d{3}){2,}$"
_POINT_THOUSANDS = r"^\d{1,3}(,\d{2,3})*,\d{3}(\.\d*)?$"
_COMMA_THOUSANDS = r"^\d{1,3}(\.\d{3})+(,\d*)?$"


def _decimal_comma(digits: pl.Series) -> bool:
    """Whether a column's numbers use a decimal comma, by votes of the unambiguous values."""
    comma = int(digits.str.contains(_COMMA_DECIMAL_VOTE).sum())
    point = int(digits.str.contains(_POINT_DECIMAL_VOTE).sum())
    return comma > point


def _number_parts(text: pl.Series) -> tuple[pl.Series, pl.Series]:
    """(digits with separators, is negative) from text with currency, signs and blanks."""
    compact = text.str.replace_all(r"\s+", "")
    digits = compact.str.extract(_NUMBER, 1)
    negative = compact.str.contains(_NEGATIVE)
    return digits, negative


def _digits_to_float(digits: pl.Series, negative: pl.Series, comma: bool) -> pl.Series:
    plain = digits.str.replace_all("'", "", literal=True)
    col = pl.col("d")
    if comma:
        normal = (
            pl.when(col.str.contains(_COMMA_THOUSANDS))
            .then(col.str.replace_all(".", "", literal=True))
            .otherwise(col)
            .str.replace(",", ".", literal=True)
        )
    else:
        normal = (
            pl.when(col.str.contains(_POINT_THOUSANDS))
            .then(col.str.replace_all(",", "", literal=True))
            .otherwise(col)
        )
    value = normal.cast(pl.Float64, strict=False)
    return (
        pl.DataFrame({"d": plain, "n": negative})
        .select(pl.when(pl.col("n")).then(-value).otherwise(value))
        .to_series()
    )


def _text_to_float(text: pl.Series) -> tuple[pl.Series, str]:
    """Floats from cleaned text; direct casts first, the slow path only for the rest."""
    digits_sample, _ = _number_parts(_sample(text))
    comma = _decimal_comma(digits_sample.drop_nulls())
    detail = "decimal comma" if comma else ""
    if comma:
        digits, negative = _number_parts(text)
        return _digits_to_float(digits, negative, comma=True), detail
    fast = text.cast(pl.Float64, strict=False)
    missed = fast.is_null() & text.is_not_null()
    if not missed.any():
        return fast, detail
    rest = text.filter(missed)
    digits, negative = _number_parts(rest)
    slow = _digits_to_float(digits, negative, comma=False)
    return fast.scatter(missed.arg_true(), slow), detail


def to_float(s: pl.Series) -> Parsed:
    """Float64 values from numbers written in any common way (see the module's tests)."""
    dtype = s.dtype
    if dtype.is_numeric() or dtype == pl.Boolean:
        return _parsed(_without_nan(s), _without_nan(s.cast(pl.Float64)))
    if not _is_text(dtype):
        empty = pl.Series(s.name, [None] * s.len(), dtype=pl.Float64)
        return _parsed(s, empty, f"{dtype} values are not numbers")
    text = _clean_strings(s)
    values, detail = _text_to_float(text)
    return _parsed(text, values.alias(s.name), detail)


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


def _whole(values: pl.Series) -> pl.Series:
    """Int64 where a float is a whole number within range, else null."""
    ok = (values == values.floor()) & (values.abs() < 2.0**63)
    return pl.select(
        pl.when(ok).then(values).otherwise(None).cast(pl.Int64, strict=False)
    ).to_series()


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
        clean = _without_nan(s)
        whole = _whole(clean)
        return pl.select(
            pl.when(whole.is_not_null())
            .then(whole.cast(pl.String))
            .otherwise(clean.cast(pl.String))
            .alias(s.name)
        ).to_series()
    text = to_text(s)
    if not text.str.contains(".", literal=True).any():  # the common case skips the regex
        return text
    return text.str.replace(r"^([-+]?\d+)\.0+$", "${1}")


def to_text(s: pl.Series) -> pl.Series:
    """Text stripped of surrounding blanks; empty strings and null tokens become null."""
    return _clean_strings(_without_nan(s) if _is_float(s.dtype) else s)
