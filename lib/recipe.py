"""A recipe: column mappings, page settings, segment rules and the data's fingerprint."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import polars as pl

from lib import catalog, fmt
from lib.formats import generic
from lib.io import RawTable
from lib.model import Dataset

VERSION = 1
# The entry of a page's settings that holds its views: the page's bound widgets with no headless
# option (which view is shown, a chart's kind, a display filter), widget key -> value. The
# CLI reads and ignores it; the app restores it; a report follows the views it can draw.
VIEWS_KEY = "views"
# The pages with an analysis module (lib/analyses/<key>.py with a `headless`), in menu order.
ANALYSIS_PAGES: tuple[str, ...] = tuple(
    p.key for p in catalog.PAGES if p.key not in ("overview", "data", "quality")
)
HASH_CHARS = 16  # of a file's content hash in a recipe
SHORT_CHARS = 12  # of a data set's fingerprint in a report or a link

# What each headless option accepts, as the page's control does: (low, high) for a number, the
# name of the analysis module's constant listing the choices, or a kind of text ("date",
# "names:<column>" for a comma-separated list of a column's values, "features" for the cluster
# features the app has, "period" for a revenue bridge period). Options not listed take any
# value of their default's type.
LIMITS: dict[str, dict[str, object]] = {
    "sales": {
        "start": "date",
        "end": "date",
        "categories": "names:category",
        "regions": "names:region",
        "grain": "GRAINS",
        "window": (0, 60),
        "topn": (5, 50),
        "rank_by": "RANK_BY",
        "basket": "BASKET_MEASURES",
        "bridge_previous": "period",
        "bridge_current": "period",
    },
    "categories": {
        "months": (1, 12),
        "against": "AGAINST",
        "min_orders": (1, 10_000),
        "top": (6, 9),
        "weight_growth": (0.0, 1.0),
        "weight_share": (0.0, 1.0),
        "weight_review": (0.0, 1.0),
        "weight_late": (0.0, 1.0),
    },
    "regions": {
        "metric": "METRICS",
        "months": (1, 12),
        "against": "AGAINST",
        "w_size": (0.0, 5.0),
        "w_growth": (0.0, 5.0),
        "w_value": (0.0, 5.0),
        "w_repeat": (0.0, 5.0),
        "w_delivery": (0.0, 5.0),
    },
    "delivery": {"min_orders": (1, 1000), "metric": "METRICS", "follow_months": (1, 12)},
    "funnel": {"top": (3, 30), "min_count": (1, 30)},
    "rfm": {
        "bins": (3, 5),
        "recency_ties": "TIES",
        "frequency_ties": "TIES",
        "monetary_ties": "TIES",
        "as_of": "date",
        "compare_as_of": "date",
        "across": ("frequency", "monetary"),
    },
    "cohorts": {
        "grain": "GRAINS",
        "metric": "METRICS",
        "shown": (0, 10_000),
        "churn_quantile": "CHURN_CHOICES",
    },
    "clusters": {
        "k": (0, 10),
        "margin": (0.0, 100.0),
        # A billion a customer: past it no cost is real, and 1e308 printed 300 digits.
        "cost": (-1.0, 1e9),
        "features": "features",
    },
    "clv": {
        "unit": "DAYS_PER_UNIT",
        "horizon": (1, 120),
        "horizon_unit": "HORIZON_UNITS",
        "penalizer": "PENALIZERS",
        "discount": (0.0, 0.1),
        "calibration_end": "date",
        "model": "MODELS",
    },
    "events": {
        "window_days": (1, 30),
        "steps": "names:event_name",
        "min_support": (2, 50),
        "score": "SCORES",
    },
}
# The Sales page's moving-average slider runs from 2 to this many periods per grain (0: default).
SALES_WINDOW_MAX = {"day": 60, "week": 26, "month": 12}


# A recipe names files, mappings and settings: a few kilobytes. Far past that it is no recipe.
MAX_RECIPE_CHARS = 1_000_000
# Segment rules a recipe may hold: at most one per combination of the three scores at the most
# bins (5 x 5 x 5) can be the first to match it (10,000 rules held a page for minutes).
MAX_RULES = LIMITS["rfm"]["bins"][1] ** 3


class RecipeError(ValueError):
    """A recipe that cannot be read: one line saying where and why."""


@dataclass(frozen=True)
class FilePrint:
    """What a recipe remembers of one loaded table: its name, file, size and content hash."""

    name: str
    rows: int
    columns: int
    hash: str
    file: str = ""


@dataclass(frozen=True)
class Recipe:
    """Everything needed to rebuild an analysis from the same files.

    mappings: table name -> {canonical field: source column, and the currency under
    generic.CURRENCY_KEY when stated} (generic.ColumnMapping.entries of the tables mapped by
    hand; older recipes have no currency); mapped_columns: table name -> its columns, for each
    mapped table, so that its mapping also maps a file of another name with the same columns
    (next month's export; older recipes have none); settings: page -> {headless option: value, and
    under VIEWS_KEY the page's views, {widget key: value} (older recipes have none)}; rules:
    the RFM segment rules as rows in rfm.default_rules' columns (None: the default rules); demo:
    the built-in demo kind when the data was a demo; pages: the pages a report shows.
    """

    files: tuple[FilePrint, ...] = ()
    mappings: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    mapped_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    settings: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    rules: tuple[Mapping[str, object], ...] | None = None
    dataset: str = ""
    demo: str = ""
    pages: tuple[str, ...] = ()
    version: int = VERSION

    def column_mappings(self) -> dict[str, generic.ColumnMapping]:
        """The mappings as formats.assemble takes them."""
        return {name: generic.ColumnMapping.from_entries(m) for name, m in self.mappings.items()}

    def rules_frame(self) -> pl.DataFrame | None:
        """The segment rules as rfm.default_rules returns them, or None for the defaults."""
        if self.rules is None:
            return None
        from lib.analyses import rfm

        rows = [{c: row.get(c) for c in rfm.RULE_COLUMNS} for row in self.rules]
        return pl.DataFrame(rows, schema=rfm.RULE_COLUMNS, orient="row")


@dataclass(frozen=True)
class Applied:
    """A page's headless options after checking (every option, defaults filled in) and a note
    for each setting that was ignored or changed."""

    options: dict[str, object]
    notes: tuple[str, ...] = ()


# --- fingerprints --------------------------------------------------------------------------------


def content_hash(frame: pl.DataFrame, chars: int = HASH_CHARS) -> str:
    """A hex digest of a table's column names, types and every row (row order counts).

    Row hashes come from polars (hash_rows with a fixed seed): equal for equal tables read by
    the same polars version on any machine.
    """
    digest = hashlib.sha256()
    for name, dtype in frame.schema.items():
        digest.update(f"{name}\x1f{dtype}\x1e".encode())
    if frame.height and frame.width:
        rows = frame.hash_rows(seed=0)
        digest.update(rows.to_numpy().tobytes())
    return digest.hexdigest()[:chars]


def fingerprint(tables: Sequence[RawTable]) -> tuple[FilePrint, ...]:
    """Name, rows, columns and content hash of each raw table, as loaded."""
    return tuple(
        FilePrint(t.name, t.frame.height, t.frame.width, content_hash(t.frame), t.file)
        for t in tables
    )


def table_hashes(ds: Dataset) -> dict[str, str]:
    """Content hash of each canonical table of a data set, in the data set's order."""
    return {name: content_hash(frame) for name, frame in ds.tables.items()}


def short_fingerprint(hashes: Mapping[str, str] | Sequence[FilePrint]) -> str:
    """One short hex code for a whole data set: SHORT_CHARS of the sha256 of its tables' hashes
    (table_hashes, or a recipe's FilePrints), independent of the order they were loaded in."""
    pairs = (
        sorted((p.name, p.hash) for p in hashes)
        if not isinstance(hashes, Mapping)
        else sorted(hashes.items())
    )
    text = "\n".join(f"{name}\t{h}" for name, h in pairs)
    return hashlib.sha256(text.encode()).hexdigest()[:SHORT_CHARS]


def differences(recipe: Recipe, tables: Sequence[RawTable]) -> list[str]:
    """What differs between the files a recipe was made from and the loaded `tables`, one
    sentence per file (empty: the same data). A recipe of a demo, or without a fingerprint,
    has nothing to compare."""
    if not recipe.files:
        return []
    now = {p.name: p for p in fingerprint(tables)}
    then = {p.name: p for p in recipe.files}
    by_hash = {p.hash: p for p in now.values()}
    out: list[str] = []
    renamed: set[str] = set()
    for name, old in then.items():
        new = now.get(name)
        if new is None:
            twin = by_hash.get(old.hash)
            if twin is not None and twin.name not in then:
                renamed.add(twin.name)
                out.append(f"{name}: loaded as {twin.name} (same content, another name)")
            else:
                out.append(
                    f"{name}: the recipe was made with this file ({old.rows:,} rows); "
                    "it is not loaded"
                )
            continue
        if new.rows != old.rows or new.columns != old.columns:
            out.append(
                f"{name}: {new.rows:,} rows and {new.columns} columns, the recipe's file had "
                f"{old.rows:,} rows and {old.columns} columns"
            )
        elif new.hash != old.hash:
            out.append(
                f"{name}: same size ({new.rows:,} rows, {new.columns} columns) but different "
                f"content (fingerprint {new.hash[:8]}, the recipe's {old.hash[:8]})"
            )
    out += [
        f"{name}: loaded, but the recipe was not made with it"
        for name in now
        if name not in then and name not in renamed
    ]
    return out


def _same_columns(recipe: Recipe, tables: Sequence[RawTable]) -> dict[str, str]:
    """Loaded tables the recipe maps by their columns: table name -> the recipe's mapped table
    with the same set of columns (the first in the recipe), for tables it has no mapping of."""
    by_columns: dict[frozenset[str], str] = {}
    for name, columns in recipe.mapped_columns.items():
        if name in recipe.mappings:
            by_columns.setdefault(frozenset(columns), name)
    return {
        t.name: by_columns[columns]
        for t in tables
        if t.name not in recipe.mappings and (columns := frozenset(t.frame.columns)) in by_columns
    }


def mapping_notes(recipe: Recipe, tables: Sequence[RawTable]) -> list[str]:
    """Which loaded table took the mapping of the recipe's table with the same columns, and the
    mapped columns the loaded tables lack (the field is left unmapped), one sentence each."""
    out = [
        f"{name}: mapped as {source} in the recipe (same columns)"
        for name, source in _same_columns(recipe, tables).items()
    ]
    frames = {t.name: t.frame for t in tables}
    for name, fields in recipe.mappings.items():
        if name not in frames:
            continue
        columns = generic.ColumnMapping.from_entries(fields).used()
        missing = [f"{f} ({c})" for f, c in columns.items() if c not in frames[name].columns]
        if missing:
            out.append(f"{name}: no column for {', '.join(missing)}; left unmapped")
    return out


def mappings_for(recipe: Recipe, tables: Sequence[RawTable]) -> dict[str, generic.ColumnMapping]:
    """The recipe's mappings of the loaded tables, by name, or by columns for a table of another
    name with the same columns as a mapped one (see mapping_notes); without columns a table
    lacks."""
    frames = {t.name: t.frame for t in tables}
    sources = {name: name for name in recipe.mappings if name in frames}
    mappings = {
        name: generic.ColumnMapping.from_entries(recipe.mappings[source])
        for name, source in (sources | _same_columns(recipe, tables)).items()
    }
    return {
        name: replace(
            m, fields={f: (c if c in frames[name].columns else None) for f, c in m.fields.items()}
        )
        for name, m in mappings.items()
    }


def make(
    tables: Sequence[RawTable] = (),
    *,
    mappings: Mapping[str, generic.ColumnMapping] | None = None,
    settings: Mapping[str, Mapping[str, object]] | None = None,
    rules: pl.DataFrame | None = None,
    dataset: str = "",
    demo: str = "",
    pages: Sequence[str] = (),
) -> Recipe:
    """A recipe of the current analysis: `tables` as loaded (for the fingerprint; leave empty for
    a demo), the mappings of hand-mapped tables, each page's settings (headless option names,
    and its views under VIEWS_KEY; None values are left out) and the RFM segment rules (None:
    the defaults)."""
    rows = None
    if rules is not None:
        rows = tuple(
            {k: v for k, v in row.items() if v is not None} for row in rules.iter_rows(named=True)
        )
    return Recipe(
        files=() if demo else fingerprint(tables),
        mappings={name: m.entries() for name, m in (mappings or {}).items()},
        mapped_columns={
            t.name: tuple(t.frame.columns) for t in tables if t.name in (mappings or {})
        },
        settings={page: _kept(values) for page, values in (settings or {}).items()},
        rules=rows,
        dataset=dataset,
        demo=demo,
        pages=tuple(pages),
    )


def _kept(values: Mapping[str, object]) -> dict[str, object]:
    """A page's settings without None values, its views likewise (left out when none is set)."""
    out = {k: v for k, v in values.items() if v is not None and k != VIEWS_KEY}
    views = {k: v for k, v in views_of(values).items() if v is not None}
    return out | ({VIEWS_KEY: views} if views else {})


def views_of(settings: Mapping[str, object] | None) -> Mapping[str, object]:
    """A page's views (widget key -> value) in its settings; empty when it has none."""
    views = (settings or {}).get(VIEWS_KEY)
    return views if isinstance(views, Mapping) else {}


# --- TOML ---------------------------------------------------------------------------------------

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _string(text: str) -> str:
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _key(name: str) -> str:
    return name if _BARE.fullmatch(name) else _string(name)


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return _string(str(value))


def _pairs(values: Mapping[str, object]) -> list[str]:
    return [f"{_key(k)} = {_value(v)}" for k, v in values.items() if v is not None]


def to_toml(recipe: Recipe) -> str:
    """The recipe as a small TOML file that `from_toml` (and tomllib) reads back."""
    lines = [
        "# Storelens recipe: load the same files and upload this on the Data page, or run",
        "#   python -m lib report --recipe recipe.toml FILES... --out report.html",
        f"version = {recipe.version}",
    ]
    top = {"dataset": recipe.dataset, "demo": recipe.demo}
    lines += _pairs({k: v for k, v in top.items() if v})
    if recipe.pages:
        lines.append(f"pages = {_value(list(recipe.pages))}")
    for p in recipe.files:
        lines += ["", "[[files]]"]
        lines += _pairs(
            {"name": p.name, "file": p.file or None, "rows": p.rows, "columns": p.columns}
            | {"hash": p.hash}
        )
    for name, fields in recipe.mappings.items():
        lines += ["", f"[mappings.{_key(name)}]", *_pairs(fields)]
    if recipe.mapped_columns:
        columns = {name: list(names) for name, names in recipe.mapped_columns.items()}
        lines += ["", "[mapped_columns]", *_pairs(columns)]
    for page, values in recipe.settings.items():
        options = {k: v for k, v in values.items() if k != VIEWS_KEY}
        if options or not views_of(values):
            lines += ["", f"[settings.{_key(page)}]", *_pairs(options)]
        if views_of(values):
            lines += ["", f"[settings.{_key(page)}.{VIEWS_KEY}]", *_pairs(views_of(values))]
    for row in recipe.rules or ():
        lines += ["", "[[rules]]", *_pairs(row)]
    return "\n".join(lines) + "\n"


def _table(value: object, where: str) -> dict:
    if not isinstance(value, dict):
        raise RecipeError(f"{where} must be a table of keys and values")
    return value


def _plain(value: object) -> object:
    """A TOML value as settings hold it: dates and times as ISO text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _page_settings(values: dict, where: str) -> dict[str, object]:
    out = {str(k): _plain(v) for k, v in values.items() if k != VIEWS_KEY}
    if VIEWS_KEY in values:
        views = _table(values[VIEWS_KEY], f"{where}.{VIEWS_KEY}")
        out[VIEWS_KEY] = {str(k): _plain(v) for k, v in views.items()}
    return out


def from_toml(text: str) -> Recipe:
    """The recipe in `text` (written by to_toml, or by hand). Raises RecipeError naming what is
    wrong; unknown top-level keys are ignored. A byte-order mark (Windows Notepad saves one)
    is no part of it."""
    text = text.removeprefix("\ufeff")
    if len(text) > MAX_RECIPE_CHARS:
        raise RecipeError(
            f"not a recipe: {len(text):,} characters, where a recipe takes a few thousand (at "
            f"most {MAX_RECIPE_CHARS:,})"
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RecipeError(f"not a recipe: {exc}") from None
    except RecursionError:
        raise RecipeError("not a recipe: its tables nest too deep") from None
    if not isinstance(data.get("files", []), list):
        raise RecipeError("files must be an array of tables ([[files]])")
    version = data.get("version", VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise RecipeError(f"version must be a whole number from 1 to {VERSION}, not {version!r}")
    if version > VERSION:
        raise RecipeError(f"recipe version {version} is newer than this app reads ({VERSION})")
    files = []
    for i, entry in enumerate(data.get("files", [])):
        item = _table(entry, f"files[{i}]")
        try:
            files.append(
                FilePrint(
                    str(item["name"]),
                    int(item["rows"]),
                    int(item["columns"]),
                    str(item["hash"]),
                    str(item.get("file", "")),
                )
            )
        except KeyError as exc:
            raise RecipeError(f"files[{i}] needs name, rows, columns and hash: no {exc}") from None
        except (TypeError, ValueError, OverflowError) as exc:
            raise RecipeError(
                f"files[{i}]: rows and columns must be whole numbers ({exc})"
            ) from None
    mappings = {
        str(name): {str(f): str(c) for f, c in _table(fields, f"mappings.{name}").items()}
        for name, fields in _table(data.get("mappings", {}), "mappings").items()
    }
    mapped_columns = {}
    for name, columns in _table(data.get("mapped_columns", {}), "mapped_columns").items():
        if not isinstance(columns, list):
            raise RecipeError(f"mapped_columns.{name} must be a list of column names")
        mapped_columns[str(name)] = tuple(str(c) for c in columns)
    settings = {
        str(page): _page_settings(_table(values, f"settings.{page}"), f"settings.{page}")
        for page, values in _table(data.get("settings", {}), "settings").items()
    }
    rules = data.get("rules")
    if rules is not None:
        if not isinstance(rules, list):
            raise RecipeError("rules must be an array of tables ([[rules]])")
        if len(rules) > MAX_RULES:
            raise RecipeError(
                f"rules holds {len(rules):,} segment rules: at most {MAX_RULES} can each be the "
                f"first to match a combination of three scores of {LIMITS['rfm']['bins'][1]}, so "
                "no more are read"
            )
        rules = tuple(_rule(_table(r, f"rules[{i}]"), f"rules[{i}]") for i, r in enumerate(rules))
    pages = data.get("pages", [])
    if not isinstance(pages, list):
        raise RecipeError("pages must be a list of page names")
    pages = list(dict.fromkeys(str(p) for p in pages))  # a page named twice is reported once
    return Recipe(
        files=tuple(files),
        mappings=mappings,
        mapped_columns=mapped_columns,
        settings=settings,
        rules=rules,
        dataset=str(data.get("dataset", "")),
        demo=str(data.get("demo", "")),
        pages=tuple(pages),
        version=version,
    )


def _rule(row: Mapping[str, object], where: str) -> dict[str, object]:
    """A segment rule of a recipe with its values as rfm.RULE_COLUMNS types them: text for the
    segment and action, scores (whole numbers from 1 to the most bins, or their text, '1') for
    the bounds. Raises RecipeError naming the rule and the value (a bound past 64 bits failed
    in polars, a traceback in the CLI)."""
    from lib.analyses import rfm

    out = dict(row)
    for column, dtype in rfm.RULE_COLUMNS.items():
        value = row.get(column)
        if value is None:
            continue
        if dtype == pl.String:
            if not isinstance(value, str):
                raise RecipeError(f"{where}.{column} must be text, not {value!r}")
            continue
        number = value.strip() if isinstance(value, str) else value
        if isinstance(number, float) and number.is_integer():
            number = int(number)
        most = LIMITS["rfm"]["bins"][1]
        try:
            if isinstance(number, bool) or not isinstance(number, int | str):
                raise ValueError
            out[column] = int(number)
            if not 1 <= out[column] <= most:
                raise ValueError
        except ValueError:
            raise RecipeError(
                f"{where}.{column} must be a score from 1 to {most}, not {fmt.clipped(repr(value))}"
            ) from None
    return out


# --- settings -----------------------------------------------------------------------------------


def analysis(page: str):
    """The analysis module behind a page (lib.analyses.<page>), imported when first asked for."""
    if page not in ANALYSIS_PAGES:
        raise KeyError(f"no page {page}: choose from {', '.join(ANALYSIS_PAGES)}")
    return importlib.import_module(f"lib.analyses.{page}")


def defaults(page: str) -> dict[str, object]:
    """Every headless option of a page with its default (what the page opens on)."""
    params = list(inspect.signature(analysis(page).headless).parameters.values())[1:]
    return {p.name: p.default for p in params if p.default is not inspect.Parameter.empty}


def _number(value: object, like: object) -> float | int | None:
    """`value` as the default's number type, or None when it is no number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if not isinstance(value, int | float) or math.isnan(value):
        return None
    if isinstance(like, int) and not isinstance(like, bool):
        return round(value) if math.isfinite(value) else None
    return float(value)


def _bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.lower() in ("true", "1", "yes")
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None


def _iso(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def _choices(module, spec: object) -> tuple | None:
    if isinstance(spec, tuple) and spec and isinstance(spec[0], str):
        return spec
    if isinstance(spec, str) and spec.isupper():
        choices = tuple(getattr(module, spec))
        return choices if all(isinstance(c, str) for c in choices) else None
    return None


# What a kind of text in LIMITS accepts, in words (accepts).
ACCEPTED_TEXT = {
    "date": "a date, YYYY-MM-DD",
    "period": "a quarter (2011Q3), a month (2011-07), a year (2011) or days "
    "(2011-07-01..2011-09-30)",
}


def accepts(page: str, name: str) -> str:
    """What a headless option accepts (LIMITS), in words for the CLI's help; empty for an option
    LIMITS does not list (any value of its default's type)."""
    spec = LIMITS.get(page, {}).get(name)
    if spec is None:
        return ""
    module = analysis(page)
    choices = _choices(module, spec)
    if choices is not None:
        return f"one of {', '.join(choices)}"
    if isinstance(spec, tuple):
        low, high = spec
        return f"{low:g} or more" if high == math.inf else f"{low:g} to {high:g}"
    if spec.isupper():  # the numbers the page's control offers
        return f"one of {', '.join(f'{v:g}' for v in getattr(module, spec))}"
    if spec.startswith("names:"):
        return f"values of {spec[6:]}, comma-separated"
    if spec == "features":
        from lib.analyses import clusters

        return f"comma-separated, of {', '.join(clusters.BASE_FEATURES)} or platform_<name>"
    return ACCEPTED_TEXT[spec]


_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def plain_text(note: str) -> str:
    """A note as plain text (for a terminal): the Markdown escapes of fmt.plain removed, and its
    word joiners."""
    return fmt.printable(_ESCAPED.sub(r"\1", note).replace(fmt.JOINER, ""))


def _typed(raw: object, default: object) -> object:
    """`raw` as the type of the option's default (None when it cannot be): text for options
    whose default is text or None (dates as ISO text)."""
    if isinstance(default, bool):
        return _bool(raw)
    if isinstance(default, int | float):
        return _number(raw, default)
    if isinstance(raw, bool | list | dict) or raw is None:
        return None
    return str(_plain(raw))


def _day_range(ds: Dataset | None) -> tuple[date, date] | None:
    if ds is None:
        return None
    for table, column in (("lines", "ordered_at"), ("events", "event_at")):
        if ds.has(table, column):
            col = ds.tables[table][column]
            return col.min().date(), col.max().date()
    return None


def _values(ds: Dataset | None, column: str) -> set[str] | None:
    if ds is None:
        return None
    table = "events" if column == "event_name" else "lines"
    frame = ds.tables.get(table)
    if frame is None or column not in frame.columns:
        return set()
    values = set(frame[column].drop_nulls().unique().to_list())
    if column == "event_name" and ds.has("lines", "customer_id"):  # a funnel may end in an order
        values.add(analysis("events").ORDERED)
    return values


def _date_bounds(page: str, ds: Dataset | None) -> tuple[date, date] | None:
    days = _day_range(ds)
    if days is None:
        return None
    first, last = days
    if page == "rfm":  # as of the day after the first order at the earliest: someone has ordered
        return first + timedelta(days=1), date.max
    if page == "clv":  # a calibration period and a holdout of a day at least
        return first + timedelta(days=1), last - timedelta(days=1)
    return first, last


def apply_settings(
    page: str, settings: Mapping[str, object] | None, ds: Dataset | None = None
) -> Applied:
    """A page's headless options from saved settings (a recipe's, a link's): unknown names and
    values of the wrong kind are ignored, numbers out of the page control's range and dates
    outside the data are moved to the nearest allowed value, each with a note. With `ds`,
    dates and names (categories, regions, event names) are checked against the data. The
    page's views (VIEWS_KEY) are no option: they are passed over."""
    module = analysis(page)
    options = defaults(page)
    limits = LIMITS.get(page, {})
    notes: list[str] = []
    title = catalog.PAGE_BY_KEY[page].title
    for name, raw in (settings or {}).items():
        if name == VIEWS_KEY:  # the app's views: no headless option
            continue
        if name not in options:
            notes.append(f"{title}: unknown setting {fmt.plain(name)} ignored")
            continue
        default, spec = options[name], limits.get(name)
        value = _typed(raw, default)
        choices = _choices(module, spec)
        if value is None or (choices is not None and value not in choices):
            allowed = f" (one of {', '.join(map(str, choices))})" if choices else ""
            notes.append(
                f"{title}: {name} = {fmt.quoted(raw)} is not a valid value{allowed}; kept "
                f"{fmt.quoted(default)}"
            )
            continue
        note = None
        if isinstance(spec, str) and spec.isupper() and choices is None:  # numbers: nearest
            value, note = _nearest(name, value, tuple(getattr(module, spec)))
        elif isinstance(spec, tuple) and not isinstance(spec[0], str):
            value, note = _clamped(name, value, spec)
        elif spec == "date":
            value, note = _clamped_date(name, str(value), _date_bounds(page, ds), default)
        elif isinstance(spec, str) and spec.startswith("names:"):
            value, note = _known_names(name, str(value), _values(ds, spec[6:]), default)
        elif spec == "period" and value:
            value, note = _period(name, str(value), default, _day_range(ds))
        elif spec == "features":
            known = _feature_names(str(value))
            missing = "not among the app's features"
            value, note = _known_names(name, str(value), known, default, missing)
        if note:
            notes.append(f"{title}: {note}")
        options[name] = value
    _dependent(page, options, notes, title)
    return Applied(options, tuple(notes))


def _nearest(name: str, value: float, allowed: tuple[float, ...]) -> tuple[float, str | None]:
    nearest = min(allowed, key=lambda a: abs(a - value))
    if nearest == value:
        return value, None
    return nearest, f"{name} = {value:g} moved to the nearest offered value, {nearest:g}"


def _clamped(name: str, value: float, span: tuple[float, float]) -> tuple[float, str | None]:
    low, high = span
    moved = type(value)(min(max(value, low), high))
    if moved == value:
        return value, None
    return (
        moved,
        f"{name} = {fmt.quoted(value)} is outside {low:g}..{high:g}; used {fmt.quoted(moved)}",
    )


def _clamped_date(
    name: str, text: str, bounds: tuple[date, date] | None, default: object
) -> tuple[object, str | None]:
    if not text.strip():
        return default, None
    day = _iso(text)
    if day is None:
        return default, f"{name} = {fmt.plain(text)} is not a date (YYYY-MM-DD); ignored"
    if bounds is None:
        return day.isoformat(), None
    moved = min(max(day, bounds[0]), bounds[1])
    if moved == day:
        return day.isoformat(), None
    upto = "" if bounds[1] == date.max else f" to {bounds[1].isoformat()}"
    return moved.isoformat(), (
        f"{name} = {day.isoformat()} is outside the data (from {bounds[0].isoformat()}{upto}); "
        f"used {moved.isoformat()}"
    )


def _known_names(
    name: str, text: str, known: set[str] | None, default: object, missing: str = "not in the data"
) -> tuple[object, str | None]:
    wanted = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in wanted if known is not None and n not in known]
    if not unknown:
        return ",".join(wanted), None
    kept = [n for n in wanted if n not in unknown]
    note = f"{name} {missing}, ignored: {', '.join(fmt.plain(n) for n in unknown)}"
    return (",".join(kept) if kept else default), note


def _period(
    name: str, text: str, default: object, days: tuple[date, date] | None
) -> tuple[object, str | None]:
    """A revenue bridge period (bridge.parse_period) as its code, or the default with a note:
    saying how to write one, or that it does not touch the data's days `days`."""
    from lib.analyses import bridge

    try:
        period = bridge.parse_period(text)
    except ValueError:
        return default, (
            f"{name} = {fmt.quoted(text)} is not a period: write {bridge.PERIOD_FORMS}; kept the "
            "default"
        )
    if days is not None and (period.end < days[0] or period.start > days[1]):
        return default, (
            f"{name} = {fmt.quoted(text)} is outside the data (from {days[0].isoformat()} to "
            f"{days[1].isoformat()}); kept the default"
        )
    return period.code, None


def _feature_names(text: str) -> set[str]:
    """The cluster features a setting may name: the app's own, and a platform's share of a
    customer's events (platform_<name>, as the data's platforms make them)."""
    from lib.analyses import clusters

    named = {n.strip() for n in text.split(",")}
    return set(clusters.BASE_FEATURES) | {n for n in named if n.startswith("platform_")}


def _dependent(page: str, options: dict[str, object], notes: list[str], title: str) -> None:
    """Ranges that depend on another option, as the page's controls have them."""
    if page == "sales":
        window, high = int(options["window"]), SALES_WINDOW_MAX[str(options["grain"])]
        moved = 0 if window == 0 else min(max(window, 2), high)
        if moved != window:
            notes.append(
                f"{title}: window = {window} is outside 2..{high} for grain {options['grain']}; "
                f"used {moved}"
            )
            options["window"] = moved
        start, end = options.get("start"), options.get("end")
        if start and end and str(start) > str(end):
            notes.append(f"{title}: start {start} is after end {end}; swapped")
            options["start"], options["end"] = end, start
    elif page == "clusters" and options["k"] == 1:
        notes.append(f"{title}: k = 1 is no clustering; used 2")
        options["k"] = 2


# --- RFM segment rules ---------------------------------------------------------------------------


def apply_rules(
    frames: Mapping[str, pl.DataFrame], rules: pl.DataFrame, bins: int, across: str = "frequency"
) -> dict[str, pl.DataFrame]:
    """The RFM page's headless tables re-segmented with `rules` (rfm.default_rules' columns):
    customers' segment, the segment summary and the grid's segments follow the rules."""
    from lib.analyses import rfm

    degenerate = [
        rfm.Degenerate(
            row["dimension"],
            row["value"],
            row["share"],
            tuple(int(s) for s in str(row["scores"]).split(",") if s),
            row["ties"],
        )
        for row in frames["degenerate"].iter_rows(named=True)
    ]
    customers = rfm.segmented(frames["customers"].drop("segment"), rules)
    return {
        **frames,
        "customers": customers,
        "segments": rfm.segment_summary(customers, rules, degenerate),
        "grid": rfm.rf_grid(customers, bins, across),
    }


def page_frames(
    ds: Dataset, page: str, options: Mapping[str, object], rules: pl.DataFrame | None = None
) -> dict[str, pl.DataFrame]:
    """A page's headless tables for checked options (apply_settings), with the recipe's segment
    rules on the RFM page (its segments, and its movement when compare_as_of asks for one).
    Raises what the analysis raises (ValueError, KeyError)."""
    frames = dict(analysis(page).headless(ds, **options))
    if page == "rfm" and rules is not None:
        frames = apply_rules(frames, rules, int(options["bins"]), str(options["across"]))
        if "movements" in frames:
            frames.update(_movement_with_rules(ds, frames["customers"], rules, options))
    return frames


def _movement_with_rules(
    ds: Dataset, customers: pl.DataFrame, rules: pl.DataFrame, options: Mapping[str, object]
) -> dict[str, pl.DataFrame]:
    """rfm's movement tables (rfm.headless with compare_as_of) redone with `rules` between the
    same two dates, as apply_rules redoes the page's segments."""
    from lib.analyses import movement

    if customers.height == 0:  # no one to follow: the tables are empty whatever the rules
        return {}
    first = date.fromisoformat(str(options["compare_as_of"]))
    # The as-of date rfm used: every customer's last order plus their recency.
    row = customers.row(0, named=True)
    second = row["last_order"] + timedelta(days=row["recency_days"])
    moves = movement.segment_movement(ds.table("lines"), first, second, rules, int(options["bins"]))
    flows = [
        movement.movement_flows(moves.movements, m, rules).select(
            pl.lit(m).alias("measure"), pl.all()
        )
        for m in movement.MEASURES
    ]
    return {
        "movements": moves.movements,
        "movement_customers": moves.customers,
        "flows": pl.concat(flows),
    }


# The views (pages/common/settings.VIEWS keys) a report follows, with the words of their
# controls: the revenue chart's kind and the movement's measure. The other views change nothing
# in it.
FOLLOWED_VIEWS: dict[str, dict[str, str]] = {
    "sales": {"sales_chart": "Revenue shown as"},
    "rfm": {"rfm_move_measure": "Movement: flows of"},
}


def followed_views(page: str, settings: Mapping[str, object] | None) -> dict[str, object]:
    """The views in a page's settings (VIEWS_KEY) that its report follows."""
    views = views_of(settings)
    return {k: views[k] for k in FOLLOWED_VIEWS.get(page, {}) if views.get(k) is not None}


def followed(settings: Mapping[str, Mapping[str, object]]) -> dict[str, dict[str, object]]:
    """`settings` (page -> options and views) with only the views a report follows: what the
    report of these settings depends on (a view switch that changes nothing in it keeps it)."""
    out = {}
    for page, values in settings.items():
        views = followed_views(page, values)
        options = {k: v for k, v in values.items() if k != VIEWS_KEY}
        out[page] = options | ({VIEWS_KEY: views} if views else {})
    return out
