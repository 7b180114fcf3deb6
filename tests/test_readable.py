"""Every page reads as a finished product, and text from the data never renders.

Each page is rendered on each demo through AppTest, every view of it in turn, and the displayed
tables and texts are checked for what a reader should never meet: `None`, snake_case headers, raw
timestamps, scientific notation, unformatted fractions. Then names from the data are planted with
Markdown, LaTeX, colour directives and links, and every rendered text must show them escaped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from lib import demo, fmt, formats
from lib.charts import pct_digits
from lib.io import RawTable
from tests import apptest

# (page, views): each view is (widget key, values) switched in turn, the first value being the
# page's default, so every table and reading a reader can open is checked.
PAGES: dict[str, tuple[tuple[str, tuple], ...]] = {
    "overview": (),
    "data": (),
    "quality": (),
    "sales": (
        (
            "sales_pattern",
            (
                "Weekday × hour",
                "Basket size",
                "Repeat buying",
                "New vs returning",
                "Revenue bridge",
            ),
        ),
    ),
    "categories": (),
    "regions": (),
    "delivery": (("delivery_view", ("Month", "Category", "Seller", "Route")),),
    "funnel": (
        (
            "funnel_view",
            ("Conversion", "Time to close", "Closed deals", "Reps", "Matching", "Data quality"),
        ),
    ),
    "events": (
        ("events_mix_view", ("Platform × event", "Active users")),
        ("events_conv_by", ("Platform", "Category", "Item")),
    ),
    "rfm": (("rfm_view", ("Segments", "R × F grid", "Profiles", "Customers", "Movement")),),
    "cohorts": (("cohorts_churn_quantile", (0.9, 0.75, 0.8, 0.95)),),
    "clusters": (("clusters_view", ("Choosing k", "2-D map", "RFM segments")),),
    "clv": (("clv_view", ("Customers", "By RFM segment")),),
}

TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
# Scientific notation as a number of its own ("1.2e-05"), not hex inside an id ("25e71d0a…").
SCIENTIFIC = re.compile(r"(?<![0-9A-Za-z_.])\d(\.\d+)?e[+-]?\d+(?![0-9A-Za-z_])")
# Text fields of an element proto that Streamlit renders as Markdown.
MARKDOWN_FIELDS = ("body", "label", "help", "caption")


def _views(at: AppTest, page: str) -> Iterator[str]:
    """Switch the page through its views, yielding a name for each rendered state."""
    yield "default"
    for key, values in PAGES[page]:
        if not [w for w in at.segmented_control if w.key == key]:
            continue
        for value in values[1:]:
            at.segmented_control(key=key).set_value(value).run()
            assert not at.exception, (page, key, value, at.exception)
            yield f"{key}={value}"
        at.segmented_control(key=key).set_value(values[0]).run()


def _config(frame_element) -> dict:
    return json.loads(frame_element.proto.columns or "{}")


def table_problems(at: AppTest) -> list[str]:
    """What a reader would trip over in the page's tables."""
    problems = []
    for i, element in enumerate(at.dataframe):
        config = _config(element)
        frame = element.value
        order = list(element.proto.column_order) or [
            c for c in frame.columns if not (config.get(c) or {}).get("hidden")
        ]
        placeholder = element.proto.placeholder
        for column in order:
            entry = config.get(column) or {}
            header = entry.get("label") or column
            where = f"table {i} column {column!r}"
            if "_" in header:
                problems.append(f"{where}: snake_case header {header!r}")
            if column not in frame.columns:
                continue
            values = frame[column]
            if values.isna().any() and placeholder in ("", "None"):
                problems.append(f"{where}: empty cells would show as None")
            kind = (entry.get("type_config") or {}).get("type")
            number_format = (entry.get("type_config") or {}).get("format")
            dtype = str(values.dtype)
            if dtype.startswith("datetime") and not number_format:
                problems.append(f"{where}: a timestamp shown raw (no date format)")
            if dtype.startswith("float") and kind in (None, "number") and not number_format:
                example = values.dropna().head(2).tolist()
                problems.append(f"{where}: fractions shown raw ({example})")
            if number_format in ("scientific", "engineering", "percent"):
                problems.append(f"{where}: format {number_format!r} reads badly or varies")
            if dtype == "object":
                cells = values.dropna().map(str)
                for bad, pattern in (("None", r"^None$|\bNone\.$"), ("timestamp", TIMESTAMP)):
                    hit = cells[cells.str.contains(pattern)]
                    if len(hit):
                        problems.append(f"{where}: {bad} in a cell ({hit.iloc[0]!r})")
    return problems


def _texts(at: AppTest) -> Iterator[tuple[str, str]]:
    """(element type, text) for every text the page renders through Markdown, metric values too."""
    for node in at._tree:
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", type(node).__name__)
        if kind in ("dataframe", "arrow_data_frame", "arrow_vega_lite_chart", "deck_gl_json_chart"):
            continue
        if hasattr(node, "label") and isinstance(node.label, str):
            yield kind, node.label
        if proto is None:
            continue
        if kind == "metric":  # value and delta are Markdown too
            yield "metric value", proto.body
            yield "metric delta", proto.delta
            yield "metric help", proto.help
            continue
        for name in MARKDOWN_FIELDS:
            value = getattr(proto, name, None)
            if isinstance(value, str) and value:
                yield kind, value


def text_problems(at: AppTest) -> list[str]:
    problems = []
    for kind, text in _texts(at):
        for name, pattern in (("timestamp", TIMESTAMP), ("scientific notation", SCIENTIFIC)):
            found = pattern.search(text)
            if found:
                snippet = text[max(0, found.start() - 50) : found.end() + 30]
                problems.append(f"{kind}: {name} in {snippet!r}")
        if kind == "metric value" and text.strip() in ("None", "nan", "NaN"):
            problems.append(f"metric value {text!r}")
    return problems


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("kind", demo.KINDS)
def test_tables_and_texts_read_as_words_and_formatted_figures(kind, page):
    at = apptest.page(kind, f"pages/{page}.py")
    problems = []
    for view in _views(at, page):
        problems += [f"{view}: {p}" for p in table_problems(at) + text_problems(at)]
    assert not problems, "\n".join(dict.fromkeys(problems))


# --- markdown injection ---------------------------------------------------------------------------

PLANTED = (
    "![img](http://127.0.0.1:9/x.png)",
    "**bold**",
    "$x^2$",
    ":red[alert]",
    "http://evil.example",
)
PLANT = " " + " ".join(PLANTED)
AUTOLINKED = ("http://127.0.0.1", "http://evil.example")
# The descriptive text columns of each demo's files: names, categories, places, channels. Ids are
# left alone, so that the files still join.
TEXT_COLUMNS = {
    "marketplace": (
        "product_category_name",
        "product_category_name_english",
        "customer_city",
        "customer_state",
        "seller_city",
        "seller_state",
        "geolocation_city",
        "geolocation_state",
        "origin",
        "business_segment",
        "lead_type",
        "lead_behaviour_profile",
        "business_type",
    ),
    "webshop": ("name", "category", "item_name", "item_category", "platform"),
    "retail": ("Description", "Country"),
}


def planted_dataset(kind: str) -> formats.Assembly:
    """The demo of `kind` with every descriptive text value followed by the planted strings."""
    generated = demo.demo(kind)
    tables = []
    for name, frame in generated.files.items():
        planted = [
            (pl.col(c) + pl.lit(PLANT)).alias(c)
            for c in TEXT_COLUMNS[kind]
            if c in frame.columns and frame[c].dtype == pl.String
        ]
        tables.append(RawTable(name, name, frame.with_columns(planted) if planted else frame))
    return formats.assemble(tables, name=f"Planted {kind}", key=f"planted:{kind}")


def planted_page(kind: str, page: str) -> AppTest:
    """The page run on the planted data set, given to the session as uploaded files are."""
    at = apptest.app("files")
    at.session_state["app_files_assembly"] = planted_dataset(kind)
    at.run()
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def raw_plants(at: AppTest) -> tuple[list[str], int]:
    """Rendered texts that carry a planted string unescaped, and how many carry it escaped."""
    raw, escaped = [], 0
    for kind, text in _texts(at):
        hits = [p for p in PLANTED if p in text]
        # GFM autolinks URLs after reading escapes: "http\:\/\/evil\.example" is still a link.
        unescaped = re.sub(r"\\(.)", r"\1", text)
        hits += [u for u in AUTOLINKED if u in unescaped]
        if hits:
            raw.append(f"{kind}: {hits[0]!r} in {text[:160]!r}")
        elif r"\*\*bold\*\*" in text:
            escaped += 1
    return raw, escaped


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("kind", demo.KINDS)
def test_names_from_the_data_never_render_as_markdown(kind, page):
    at = planted_page(kind, page)
    problems, escaped = [], 0
    for view in _views(at, page):
        raw, shown = raw_plants(at)
        problems += [f"{view}: {p}" for p in raw]
        escaped += shown
    assert not problems, "\n".join(dict.fromkeys(problems))


def test_planted_names_do_reach_the_pages_escaped():
    """The injection test above checks something: planted names are shown, escaped."""
    at = planted_page("retail", "sales")
    assert raw_plants(at)[1] > 0
    at = planted_page("marketplace", "categories")
    assert raw_plants(at)[1] > 0


# --- the formatting rule itself ------------------------------------------------------------------


def test_money_columns_print_the_symbol_fmt_money_prints():
    assert fmt.money_format("GBP") == "£%,.0f"
    assert fmt.money_format("BRL", 2) == "R$ %,.2f"
    assert fmt.money_format("CHF") == "%,.0f CHF"
    assert fmt.money_format("") == "%,.0f"


def test_hash_ids_get_a_short_label_and_other_ids_stay_whole():
    assert fmt.short_id("7bc7cb84c6b10ca5a3d556c816422534") == "7bc7cb84…"
    assert fmt.short_id("85123A") == "85123A"
    assert fmt.short_id(17233) == "17233"
    assert fmt.short_id(None) == "—"


def test_model_figures_never_read_in_scientific_notation():
    assert fmt.significant(0.000123456) == "0.000123"
    assert fmt.significant(4.41358, 4) == "4.414"
    assert fmt.significant(12345.6) == "12,346"
    assert fmt.significant(3e-9) == "about 0"
    assert fmt.number(2e-7, 2) == "about 0"
    assert fmt.number(1234.5, 1) == "1,234.5"


def test_percent_axes_get_enough_decimals_for_distinct_ticks():
    assert pct_digits(0.0, 0.6) == 0  # 0%, 10%, 20%...
    assert pct_digits(0.0, 0.012) == 1  # 0.0%, 0.2%, 0.4%... not 0% 0% 1% 1%
    assert pct_digits(0.0016, 0.0054) == 2  # Olist retention: 0.16%..0.54%


def test_escaped_names_keep_their_words_and_lose_their_links():
    assert fmt.plain("Health & beauty") == "Health \\& beauty"
    shown = re.sub(r"\\(.)", r"\1", fmt.plain("see http://evil.example or www.x.io, a@b.co"))
    assert "http://" not in shown and "www." not in shown and "a@b" not in shown
    assert shown.replace("\u2060", "") == "see http://evil.example or www.x.io, a@b.co"
