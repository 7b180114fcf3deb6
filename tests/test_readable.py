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

import pandas as pd
import polars as pl
import pytest
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from lib import demo, fmt, formats
from lib.charts import clusters as cluster_charts
from lib.charts import number_digits, pct_digits
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


def _display(element) -> pd.DataFrame | None:
    """The text a Styler prints in place of each value (None when the table has no Styler)."""
    raw = element.proto.arrow_data.styler.display_values
    if not raw:
        return None
    shown = convert_arrow_bytes_to_pandas_df(raw)
    shown.columns = element.value.columns
    return shown


# How pandas prints a float it was not told how to format ("309618.836000").
UNFORMATTED = r"^-?\d+\.\d+$"


def table_problems(at: AppTest) -> list[str]:
    """What a reader would trip over in the page's tables."""
    problems = []
    for i, element in enumerate(at.dataframe):
        config = _config(element)
        frame = element.value
        display = _display(element)
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
            elif header[:1].islower() and len(header) > 1:  # "k" (clusters) is a symbol
                problems.append(f"{where}: header not in words {header!r}")
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
            printed = display[column].dropna().map(str) if display is not None else None
            if printed is not None and not printed.str.contains(UNFORMATTED).any():
                pass  # the Styler prints this column (a money column holding negatives)
            elif dtype.startswith("float") and kind in (None, "number") and not number_format:
                example = values.dropna().head(2).tolist()
                problems.append(f"{where}: fractions shown raw ({example})")
            if number_format in ("scientific", "engineering", "percent"):
                problems.append(f"{where}: format {number_format!r} reads badly or varies")
            if dtype == "object" and not header.endswith("(full id)"):
                whole = values.dropna().map(fmt.is_hash)
                if whole.any():  # 32 characters for the eye: a short label, the id last
                    problems.append(f"{where}: a whole hash id ({values[whole].iloc[0]!r})")
            if dtype == "object":
                cells = values.dropna().map(str)
                for bad, pattern in (("None", r"^None$|\bNone\.$"), ("timestamp", TIMESTAMP)):
                    hit = cells[cells.str.contains(pattern)]
                    if len(hit):
                        problems.append(f"{where}: {bad} in a cell ({hit.iloc[0]!r})")
    return problems


# A currency symbol followed by a minus: "R$ -286", "£-5" (fmt prints "-R$ 286", "-£5").
SYMBOL_THEN_MINUS = re.compile(r"(?:R\$|£|\$|€)\s*[-\u2212]\s*\d")


def money_problems(at: AppTest) -> list[str]:
    """Table cells that would show a currency symbol followed by a minus sign: a printf money
    pattern ("R$ %,.0f") over a negative amount, or a text or Styler cell that reads so."""
    problems = []
    for i, element in enumerate(at.dataframe):
        config = _config(element)
        frame = element.value
        shown = _display(element)
        shown = frame if shown is None else shown
        for column in frame.columns:
            if (config.get(column) or {}).get("hidden"):
                continue
            pattern = ((config.get(column) or {}).get("type_config") or {}).get("format") or ""
            values = frame[column]
            numeric = str(values.dtype).startswith(("float", "int"))
            where = f"table {i} column {column!r}"
            prefix = pattern.split("%", 1)[0]
            if numeric and "%" in pattern and any(s in prefix for s in fmt.SYMBOLS.values()):
                digits = int(m.group(1)) if (m := re.search(r"\.(\d+)f", pattern)) else 0
                below = values.dropna()[values.dropna().round(digits) < 0]
                if len(below):
                    problems.append(f"{where}: {pattern!r} prints {below.iloc[0]} as 'R$ -…'")
            if shown[column].dtype == "object":
                cells = shown[column].dropna().map(str)
                hit = cells[cells.str.contains(SYMBOL_THEN_MINUS)]
                if len(hit):
                    problems.append(f"{where}: a symbol before the minus ({hit.iloc[0]!r})")
    return problems


def _axes(spec: object) -> Iterator[dict]:
    """Every axis of a Vega-Lite spec, in layers and concatenations too."""
    if isinstance(spec, dict):
        if isinstance(spec.get("axis"), dict):
            yield spec["axis"]
        for value in spec.values():
            yield from _axes(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from _axes(value)


def chart_problems(at: AppTest) -> list[str]:
    """Charts whose axes and tooltips would sign a negative figure with Vega's U+2212 ("−286")
    instead of lib.fmt's minus ("-286", "-R$ 286"), and percent axes whose ticks Vega picks by
    the chart's width alone: one per percent on a wide chart ("0% 1% 2% … 24%"), the same
    label twice on a narrow range ("0% 0% 1% 1%"). lib.charts.pct_axis sets both."""
    problems = []
    for node in at._tree:
        if getattr(node, "type", "") != "vega_lite_chart":
            continue
        spec = json.loads(node.proto.spec)
        title = spec.get("title") or spec.get("description") or "a chart"
        minus = (((spec.get("config") or {}).get("locale") or {}).get("number") or {}).get("minus")
        if minus != fmt.MINUS:
            problems.append(f"{title!r}: numbers signed with {minus or 'U+2212'!r}")
        for axis in _axes(spec):
            percent = re.fullmatch(r"\+?(\.\d+)?%", str(axis.get("format", "")))
            if percent and "tickCount" not in axis:
                problems.append(f"{title!r}: a percent axis with ticks by width ({axis})")
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
    for kind, escaped in _texts(at):
        text = re.sub(r"\\(.)", r"\1", escaped)  # as the reader sees it: "R\$ 5" reads "R$ 5"
        for name, pattern in (
            ("timestamp", TIMESTAMP),
            ("scientific notation", SCIENTIFIC),
            ("a symbol before the minus", SYMBOL_THEN_MINUS),
        ):
            found = pattern.search(text)
            if found:
                snippet = text[max(0, found.start() - 50) : found.end() + 30]
                problems.append(f"{kind}: {name} in {snippet!r}")
        if kind == "metric value" and text.strip() in ("None", "nan", "NaN"):
            problems.append(f"metric value {text!r}")
    for node in at._tree:
        # A delta that is no change ("41.8% of revenue") must not be drawn with an arrow up.
        if getattr(node, "type", "") == "metric" and node.proto.delta:
            change = re.match(rf"[+\-{fmt.MINUS}]", node.proto.delta)
            if not change and node.proto.direction != node.proto.NONE:
                problems.append(f"metric {node.proto.label!r}: arrow on {node.proto.delta!r}")
    return problems


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("kind", demo.KINDS)
def test_tables_and_texts_read_as_words_and_formatted_figures(kind, page):
    at = apptest.page(kind, f"pages/{page}.py")
    problems = []
    for view in _views(at, page):
        found = table_problems(at) + money_problems(at) + chart_problems(at) + text_problems(at)
        problems += [f"{view}: {p}" for p in found]
    assert not problems, "\n".join(dict.fromkeys(problems))


# --- markdown injection ---------------------------------------------------------------------------

PLANTED = (
    "![img](http://127.0.0.1:9/x.png)",
    "**bold**",
    "$x^2$",
    ":red[alert]",
    "http://evil.example",
    "\r\r    indented",  # a paragraph's end (any line ending), then a code block
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


def test_cluster_scores_get_enough_decimals_for_distinct_ticks():
    # The real Olist upload's silhouettes span 0.336..0.361: ticks every 0.005 (0.335, 0.340,
    # ...) read "0.34 0.34 0.35 0.35" with two decimals.
    assert number_digits(0.336, 0.361) == 3
    assert number_digits(0.2, 0.6) == 1  # ticks every 0.1
    table = pl.DataFrame(
        {
            "k": [2, 3, 4],
            "inertia": [12_000.0, 8_000.0, 6_000.0],
            "silhouette": [0.358, 0.336, 0.361],
            "davies_bouldin": [1.05, 0.97, 0.91],
        }
    )
    spec = cluster_charts.diagnostics_chart(table, 4).to_dict()
    formats = [p["layer"][0]["encoding"]["y"]["axis"]["format"] for p in spec["hconcat"]]
    assert formats == [",.3~s", ".3f", ".2f"]


def test_escaped_names_keep_their_words_and_lose_their_links():
    assert fmt.plain("Health & beauty") == "Health \\& beauty"
    shown = re.sub(r"\\(.)", r"\1", fmt.plain("see http://evil.example or www.x.io, a@b.co"))
    assert "http://" not in shown and "www." not in shown and "a@b" not in shown
    assert shown.replace("\u2060", "") == "see http://evil.example or www.x.io, a@b.co"


def _negative_money_table(through_table: bool, rows: int) -> None:
    """A page with one money column holding a negative amount (run by AppTest.from_function)."""
    import polars as pl
    import streamlit as st

    from pages.common import columns

    frame = pl.DataFrame(
        {"segment": ["a", "b"] * (rows // 2), "profit": [-286.4, 1234.5] * (rows // 2)}
    )
    config = {"profit": columns.money("Profit", "BRL")}
    if through_table:
        columns.table(frame, config)
    else:
        st.dataframe(frame, column_config=config)


def _run_negative_money(through_table: bool, rows: int = 2) -> AppTest:
    at = AppTest.from_function(_negative_money_table, args=(through_table, rows))
    at.run()
    assert not at.exception, at.exception
    return at


def test_negative_money_reads_minus_before_the_symbol_in_tables():
    raw = _run_negative_money(through_table=False)  # printf alone: "R$ -286"
    assert money_problems(raw) == ["table 0 column 'profit': 'R$ %,.0f' prints -286.4 as 'R$ -…'"]
    at = _run_negative_money(through_table=True)
    assert money_problems(at) == []
    shown = _display(at.dataframe[0])
    assert list(shown.iloc[:, 1]) == ["-R$ 286", "R$ 1,234"]
    assert at.dataframe[0].value["profit"].tolist() == [-286.4, 1234.5]  # still sorts as numbers


def test_negative_money_in_a_long_table_moves_the_symbol_to_the_header():
    at = _run_negative_money(through_table=True, rows=20_000)  # 40,000 cells: no Styler
    assert money_problems(at) == []
    config = _config(at.dataframe[0])["profit"]
    assert config["label"] == "Profit (R$)"
    assert config["type_config"]["format"] == "%,.0f"


def _one_chart(through_ui: bool) -> None:
    """A page with one chart of a negative figure (run by AppTest.from_function)."""
    import altair as alt
    import polars as pl
    import streamlit as st

    from pages.common import ui

    figure = alt.Chart(pl.DataFrame({"x": [-286.0, 1234.0]})).mark_bar().encode(x="x:Q")
    if through_ui:
        ui.chart(figure)
    else:
        st.altair_chart(figure)


def test_charts_sign_negative_figures_as_the_tables_do():
    raw = AppTest.from_function(_one_chart, args=(False,))
    raw.run()
    assert chart_problems(raw) == ["'a chart': numbers signed with 'U+2212'"]
    at = AppTest.from_function(_one_chart, args=(True,))
    at.run()
    assert not at.exception, at.exception
    assert chart_problems(at) == []


def test_counts_set_to_one_by_a_control_read_in_the_singular():
    """A control at 1 read "in the last 1 months", "within 1 days", "at least 1 such deals"."""
    from lib.analyses import events as ev
    from lib.analyses import funnel, regions

    marketplace = formats.assemble_demo("marketplace").dataset
    ranked = regions.headless(marketplace, months=1)["regions"]
    said = regions.priority_reading(ranked, months=1, currency="BRL")
    assert "in the last 1 month against the 1 before" in said and "1 months" not in said
    rows = pl.DataFrame({"platform": ["web"], "conversion": [0.25], "viewers": [8], "buyers": [2]})
    assert (
        ev.platform_reading(rows, 1) == "All views come from one platform: 25.0% of viewed "
        "items are ordered within 1 day."
    )
    routes = funnel.headless(marketplace, min_count=1)["routing"]
    assert "among reps with at least 1 such deal, " in funnel.routing_note(routes, 1)
