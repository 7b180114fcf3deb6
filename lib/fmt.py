"""Numbers as people read them: money with its currency, shares, counts, compact magnitudes."""

from __future__ import annotations

import decimal
import functools
import math
import re
from collections.abc import Sequence

import polars as pl

SYMBOLS = {"BRL": "R$", "GBP": "£", "USD": "$", "EUR": "€"}
# The sign of a negative figure, everywhere (sentences, tables, chart labels): the ASCII hyphen,
# written before a currency symbol ("-R$ 286", never "R$ -286").
MINUS = "-"


def compact(value: float | None, digits: int = 1) -> str:
    """1234 -> '1.2k', 5_600_000 -> '5.6M'; small numbers keep their integer form; no number
    (None, NaN, an infinity: a cost of inf read '£infbn') is '—'."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    negative = value < 0
    value = abs(value)
    limit, suffix = _unit(value, digits)
    if suffix:
        text = f"{value / limit:.{digits}f}{suffix}"
    else:
        text = f"{value:,.0f}" if value >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{MINUS}{text}" if negative and text != "0" else text


def _unit(value: float, digits: int = 1) -> tuple[float, str]:
    """The unit `compact` writes a magnitude (`value`, not negative) in: (1e9, "bn"), (1e6,
    "M"), (1e3, "k"), or (1.0, "") below a thousand."""
    for limit, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        # What rounds up to a thousand of a unit is written in the next (999,960: 1.0M).
        if value >= limit or (limit > 1e3 and round(value / limit * 1000, digits) >= 1000):
            return limit, suffix
    return 1.0, ""


def money(value: float | None, currency: str = "", digits: int = 1) -> str:
    """'R$ 1.2M', '£530', or '1.2M' with the code when no symbol is known ('1.2M CHF'); an
    amount under 100 with cents keeps them, as prices are written ('£7.50', not '£7.5')."""
    text = compact(value, digits)
    if text != "—" and text[-1].isdigit() and "." in text:
        text = f"{text}0" if len(text.rsplit(".", 1)[1]) == 1 else text
    if text == "—" or not currency:
        return text
    symbol = SYMBOLS.get(currency)
    if symbol is None:
        return f"{text} {currency}"
    sign, text = (MINUS, text[1:]) if text.startswith(MINUS) else ("", text)
    return f"{sign}{symbol}{'' if len(symbol) == 1 else ' '}{text}"


def fixed(value: float, digits: int) -> str:
    """`value` with `digits` decimals as the page's tables write it (JavaScript's toFixed): a
    value halfway between two, exactly, goes to the one farther from zero, where Python's
    format goes to the even one: 0.625 -> '0.63', as the table shows a score that the reading
    wrote '0.62'."""
    return str(_half_up(value, digits))


def _half_up(value: float, digits: int) -> decimal.Decimal:
    """`value` at `digits` decimals, an exact half going away from zero (`fixed`)."""
    exact = decimal.Decimal(value)
    return exact.quantize(decimal.Decimal(1).scaleb(-digits), decimal.ROUND_HALF_UP)


def pct(share: float | None, digits: int = 1) -> str:
    """0.093 -> '9.3%'."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "—"
    return f"{share * 100:.{digits}f}%"


def pct_above0(share: float | None, digits: int = 1) -> str:
    """pct, where a share above 0 too small for `digits` decimals reads '<0.1%' (two decimals:
    '<0.01%'), never '0.0%'."""
    if share is not None and 0 < share < 0.5 * 10 ** -(digits + 2):
        return f"<{10**-digits:.{digits}f}%"
    return pct(share, digits)


def pct_top(frame: pl.DataFrame, column: str) -> tuple[pl.DataFrame, str]:
    """The rows of `frame` whose share in `column` reads as the largest does (pct: shares that
    read the same are tied, whatever their digits beyond), and that share as written."""
    top = pct(frame[column].max())
    return frame.filter(pl.col(column).map_elements(pct, return_dtype=pl.String) == top), top


def change(ratio: float | None, digits: int = 0) -> str:
    """Relative change 0.41 -> '+41%', -0.05 -> '-5%', 10.1 -> '+1,010%'; None -> 'n/a'."""
    if ratio is None or (isinstance(ratio, float) and (math.isnan(ratio) or math.isinf(ratio))):
        return "n/a"
    return f"{ratio * 100:+,.{digits}f}%"


def count(value: int | float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def plural(value: int | float, one: str, many: str = "") -> str:
    """The word (or words) agreeing with a count of `value`: `one` for 1, else `many`, by default
    `plural_of(one)`: (2, "column") -> 'columns', (1, "was", "were") -> 'was'."""
    return one if value == 1 else many or plural_of(one)


def plural_of(word: str) -> str:
    """A noun's plural by the regular rule: 'origin' -> 'origins', 'category' -> 'categories'
    (a consonant and y), 'day' -> 'days'."""
    if word.endswith("y") and word[-2:-1] not in ("", "a", "e", "i", "o", "u"):
        return word[:-1] + "ies"
    return word + "s"


def counted(value: int | float, one: str, many: str = "") -> str:
    """A count and what it counts, agreeing with it: (1, "row") -> '1 row', (2000, "row") ->
    '2,000 rows'. `many`, the plural, where adding an s is wrong or a verb must agree: (1,
    "check fails", "checks fail") -> '1 check fails'."""
    return f"{count(value)} {plural(value, one, many)}"


def money_alike(values: Sequence[float], currency: str = "") -> list[str]:
    """Amounts that one sentence adds up, each written in the unit `money` gives the smallest
    (not zero) of them, with separators, so that the reader can check the sum: "£1,221.4k less
    £264.4k and £4.1k", where `money` would write "£1.2M less £264.4k and £4.1k" (931.5k).
    Below a thousand, whole units, or cents where the smallest is under 100 and has them."""
    smallest = min((abs(v) for v in values if v), default=0.0)
    limit, suffix = _unit(smallest)
    if suffix:
        return [whole_money(v / limit, currency, 1, suffix) for v in values]
    cents = smallest < 100 and any(not float(v).is_integer() for v in values)
    return [whole_money(v, currency, 2 if cents else 0) for v in values]


def whole_money(value: float | None, currency: str = "", digits: int = 0, unit: str = "") -> str:
    """Money with thousands separators as the tables print it (`money_format`), in whole units
    unless `digits` says otherwise: '£6,123', 'R$ 1,234.50', '1,234 CHF'; the sign comes first,
    '-R$ 286'. `unit`: a magnitude's suffix after the number ('£1,221.4k' for value 1221.4)."""
    if value is None or math.isnan(value):
        return "—"
    number = f"{abs(value):,.{digits}f}"
    sign = MINUS if value < 0 and number.strip("0.,") else ""
    text = number + unit
    symbol = SYMBOLS.get(currency)
    if not currency:
        return sign + text
    if symbol is None:
        return f"{sign}{text} {currency}"
    return f"{sign}{symbol}{'' if len(symbol) == 1 else ' '}{text}"


# Every ASCII punctuation character can be backslash-escaped in Markdown; escaping them all keeps
# text from the data from turning into links, images, emphasis, LaTeX ($), Streamlit colour or
# icon directives (:red[...], :material/...:) or autolinked URLs (http\://, www\.).
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


# GFM turns URLs and e-mail addresses into links after escapes are read ("http\:\/\/x\.io"
# still links): an invisible word joiner after the scheme, "www" or "@" breaks the pattern.
# Text leaving Markdown (a report's HTML, a terminal) drops it again: a copied name must match.
JOINER = "\u2060"
_LINKABLE = re.compile(r"(?i)\b(https?|ftp|mailto|file)(?=:)|\bwww(?=\.)|@")


def clipped(text: object, most: int = 80) -> str:
    """`text` cut to `most` characters, an ellipsis saying so: a value from a stranger's link
    or file, quoted back in a note, is no wall of text."""
    text = str(text)
    return text if len(text) <= most else f"{text[: most - 1]}…"


def named(value: object) -> str:
    """A name from the data (an item, a category, a region, a rep) as a sentence says it:
    escaped to show as itself (plain) and clipped (a 10,000-character name is no wall of text;
    the tables and downloads keep it whole)."""
    return plain(clipped(value))


def quoted(value: object) -> str:
    """A setting's value as a note quotes it (a link's, a recipe's): a number short ('2.5',
    '1,000,000,000', '-1e+308', never a whole number's 309 digits), text escaped and clipped."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 10**12:
        return f"{value:,.0f}"  # '1e+09' read as code
    if isinstance(value, float) or isinstance(value, int) and abs(value) >= 10**12:
        return f"{float(value):g}"
    return named(value)


# Markdown ends a line at any of these: two would end the paragraph (and an indented line after
# them start a code block).
_LINE_END = re.compile(r"\r\n?|\n")


# Control characters a terminal would act on (ESC sequences erase lines or retitle the window).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: object) -> str:
    """`text` for a terminal: control characters other than tab and newline written as escapes
    ('pr\\x1b[2Kice'), so that a column name from a stranger's file cannot act on the terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", str(text))


def plain(text: object) -> str:
    """`text` (a name from the data, a file name) escaped to show as itself in Markdown: no
    emphasis, image, link, autolinked URL or e-mail, LaTeX, colour or icon directive."""
    unlinked = _LINKABLE.sub(lambda m: m.group(0) + JOINER, str(text))
    return _LINE_END.sub(" ", _PUNCTUATION.sub(r"\\\1", unlinked))


def money_format(currency: str = "", digits: int = 0) -> str:
    """The printf pattern a table column uses for money, with the same symbol as `money`:
    '£%,.0f', 'R$ %,.0f', '%,.0f CHF' (st.column_config.NumberColumn(format=...)).

    printf writes a negative amount's sign after the symbol ('R$ -286'): a column that holds
    negative amounts is printed with `whole_money` instead (pages/common/columns.table)."""
    number = f"%,.{digits}f"
    if not currency:
        return number
    symbol = SYMBOLS.get(currency)
    if symbol is None:
        return f"{number} {currency}"
    return f"{symbol}{'' if len(symbol) == 1 else ' '}{number}"


def signed(value: float, digits: int = 2) -> str:
    """A figure with its sign, never '-0.00': -0.001 -> '+0.00', 0.31 -> '+0.31'."""
    return f"{round(value, digits) + 0.0:+.{digits}f}"


def number(value: float | None, digits: int = 1) -> str:
    """A plain figure with separators and never in scientific notation: 1234.5 -> '1,234.5',
    an exact half rounded as the page's tables round it (`fixed`: 0.625 -> '0.63'); a value
    that rounds to zero at `digits` decimals but is not zero -> 'about 0'."""
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return "—"
    if value != 0 and abs(value) < 0.5 * 10**-digits:
        return "about 0"
    return f"{_half_up(value, digits):,}"


_HASH = re.compile(r"[0-9a-fA-F]{20,}")
SHORT_ID = 8


def is_hash(value: object) -> bool:
    """True for machine identifiers such as Olist's 32-character hex ids."""
    return isinstance(value, str) and _HASH.fullmatch(value) is not None


def short_id(value: object, keep: int = SHORT_ID) -> str:
    """A long hex id shortened for reading ('7bc7cb84…'); any other value as text ('—' if None).

    The full id stays in the data, tooltips and exports: the short form is a label only.
    """
    if value is None:
        return "—"
    text = str(value)
    return f"{text[:keep]}…" if is_hash(text) else text


def month(value: object) -> str:
    """A month as people write it: 'Jan 2022' (any date or datetime; None -> '—')."""
    return "—" if value is None else f"{value:%b %Y}"


def day(value: object) -> str:
    """A date as people write it: '1 Jan 2022' (no time of day; None -> '—')."""
    return "—" if value is None else f"{value:%-d %b %Y}"


_ACRONYMS = {"id": "id", "aov": "AOV", "roi": "ROI", "clv": "CLV", "sdr": "SDR", "sr": "SR"}


def words(name: str) -> str:
    """A column name as a header: 'median_days_to_close' -> 'Median days to close'."""
    parts = [_ACRONYMS.get(p, p) for p in str(name).split("_") if p]
    if not parts:
        return str(name)
    text = " ".join(parts)
    return text[0].upper() + text[1:]


def sentence(text: str) -> str:
    """A reading as a sentence: its first letter upper case where it starts with a lower-case
    word (an item's name: 'organic doohickey charger leads narrowly'), not where that word's
    capitals are its own ('iPhone 15 leads'), it is a symbol ('k = 4 has the best ...') or an id
    with digits ('b03fe9c2… converts 14.8%', as the tables write it)."""
    first = text.split(" ", 1)[0]
    if not text[:1].islower() or len(first) == 1 or any(c.isupper() or c.isdigit() for c in first):
        return text
    return text[0].upper() + text[1:]


# Names whose capitals are their own, wherever they stand in a code ('iphone' -> 'iPhone').
_BRANDS = {"iphone": "iPhone", "ipad": "iPad", "ios": "iOS", "macos": "macOS"}


def words_expr(name: pl.Expr) -> pl.Expr:
    """A raw name as words, in polars: 'health_beauty' -> 'Health beauty', 'iphone' -> 'iPhone'.
    The pages show the source's codes this way (categories, lead types, origins, platforms); the
    CSV downloads keep them."""
    text = name.str.replace_all("_", " ").str.strip_chars()
    text = text.str.slice(0, 1).str.to_uppercase() + text.str.slice(1)
    for brand, written in _BRANDS.items():
        text = text.str.replace_all(rf"(?i)\b{brand}\b", written)
    return text


def listed(words: Sequence[str], most: int = 0) -> str:
    """Words as a sentence lists them: 'Mon', 'Mon and Tue', 'Mon, Tue and Wed'; with `most`,
    at most that many and a count of the rest: 'A, B, C, D and 2 more'."""
    words = list(words)
    if most and len(words) > most:
        words = words[:most] + [f"{len(words) - most} more"]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def short_id_expr(name: pl.Expr, other: pl.Expr | None = None) -> pl.Expr:
    """short_id in polars: a long hex id shortened ('7bc7cb84…'), any other value as text (or
    as `other` gives it)."""
    text = name.cast(pl.String)
    return (
        pl.when(text.str.contains(f"^{_HASH.pattern}$"))
        .then(text.str.slice(0, SHORT_ID) + "…")
        .otherwise(text if other is None else other)
    )


def label_expr(name: pl.Expr) -> pl.Expr:
    """A value as a chart labels it, in polars: a long hex id shortened as short_id does
    ('7bc7cb84…'), any other value in words (words_expr)."""
    return short_id_expr(name, words_expr(name.cast(pl.String)))


def value_words(value: object) -> str | None:
    """words_expr of one value, for a sentence: 'online_big' -> 'Online big'; None as None."""
    if value is None:
        return None
    text = str(value)
    # Names of up to 100 characters (what readings name) are kept, 400 KB at most however many
    # sessions come and go; a longer text is worded anew.
    return _words(text) if len(text) <= 100 else _words.__wrapped__(text)


# A polars query per value takes about 0.5 ms; a page's readings name the same few dozen values
# on every rerun (Web events: 33).
@functools.lru_cache(maxsize=4096)
def _words(text: str) -> str:
    return pl.select(words_expr(pl.lit(text))).item()


def significant(value: float | None, figures: int = 3, most: int = 6) -> str:
    """A model figure with `figures` significant digits and never scientific notation:
    0.000123456 -> '0.000123', 174.33 -> '174', 12345.6 -> '12,346'; a value below 10**-most
    -> 'about 0'."""
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return "—"
    if value == 0:
        return "0"
    if abs(value) < 10**-most:
        return "about 0"
    digits = max(0, min(most, figures - 1 - math.floor(math.log10(abs(value)))))
    return f"{value:,.{digits}f}"
