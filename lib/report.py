"""The analysis as one self-contained HTML report (charts drawn offline) and as PNGs for slides."""

from __future__ import annotations

import contextlib
import functools
import html
import io as stdio
import json
import math
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import altair as alt
import polars as pl

from lib import catalog, filters, fmt, measures, quality, recipe
from lib.charts import CONFIG
from lib.model import Dataset, columns_of

TABLE_ROWS = 20  # rows of a table in the report: the downloads in the app have them all
VEGA_LITE = "6.4"  # the Vega-Lite version altair 6 writes (alt.SCHEMA_VERSION v6.4.x)
PNG_WIDTH = 720  # charts that fill their container in the report are this wide as a PNG

# The canonical tables each page reads: the data-quality findings on them are shown with it.
PAGE_TABLES: dict[str, tuple[str, ...]] = {
    "sales": ("lines",),
    "categories": ("lines", "orders", "items"),
    "regions": ("lines", "customers", "orders"),
    "delivery": ("orders", "customers", "sellers"),
    "funnel": ("leads", "deals"),
    "rfm": ("lines", "customers"),
    "cohorts": ("lines", "customers"),
    "clusters": ("lines", "customers", "orders"),
    "clv": ("lines", "customers"),
    "events": ("events", "lines", "items"),
}
# The measures (lib.measures.DEFINITIONS) behind each page's figures, as its caption quotes them.
PAGE_MEASURES: dict[str, tuple[str, ...]] = {
    "sales": ("order", "revenue", "customer"),
    "categories": ("order", "revenue"),
    "regions": ("order", "revenue", "customer"),
    "delivery": ("delivered", "late"),
    "funnel": (),
    "rfm": ("purchase", "customer"),
    "cohorts": ("purchase", "customer"),
    # As the pages show none: CLV also counts free purchases (Online Retail: 4,339 customers).
    "clusters": (),
    "clv": (),
    "events": (),
}


@dataclass(frozen=True)
class Said:
    """How the report's settings table writes a headless option: the label of the page's
    control; `unset`, what the page uses for a value that leaves the choice to it (None, empty,
    or below `below`); `values`, the analysis module's constant giving the choices in words;
    `percent`, a fraction written as a percentage."""

    label: str
    unset: str = ""
    below: float | None = None
    values: str = ""
    percent: bool = False


def _weights(page: str, option: str) -> dict[str, Said]:
    """The weight sliders of Categories and Regions, labelled as the pages label them."""
    module = recipe.analysis(page)
    labels = module.COMPONENT_LABELS if page == "categories" else module.WEIGHT_LABELS
    return {option.format(n): Said(f"Weight of {label.lower()}") for n, label in labels.items()}


@functools.cache
def _said() -> dict[str, dict[str, Said]]:
    """Per page, how the report writes each option (Said); made on first use, as the report
    imports an analysis only when it builds its page."""
    dims = recipe.analysis("rfm").DIMENSIONS
    return {
        "sales": {
            "start": Said("From", "the data's first day"),
            "end": Said("To", "the data's last day"),
            "categories": Said("Categories", "all"),
            "regions": Said("Regions", "all"),
            "grain": Said("Revenue per"),
            "window": Said("Moving average (periods)", "the grain's default", below=1),
            "topn": Said("How many items"),
            "rank_by": Said("Rank by"),
            "basket": Said("Basket measured in"),
            "bridge_previous": Said("Bridge: previous period", "the period before the current one"),
            "bridge_current": Said(
                "Bridge: current period",
                "the period after the previous one, or else the data's last full quarter",
            ),
        },
        "categories": {
            "months": Said("Growth months"),
            "against": Said("Compared with", values="AGAINST"),
            "min_orders": Said("Fewest orders"),
            "top": Said("Categories shown"),
            **_weights("categories", "weight_{}"),
        },
        "regions": {
            "metric": Said("Colour by", values="METRICS"),
            "months": Said("Growth window (months)"),
            "against": Said("Compared with", values="AGAINST"),
            **_weights("regions", "w_{}"),
        },
        "delivery": {
            "min_orders": Said("Minimum delivered orders"),
            "metric": Said("Map colour and size", values="METRICS"),
            "follow_months": Said("Months followed"),
        },
        "funnel": {
            "top": Said("Landing pages shown"),
            "min_count": Said("Minimum deals per cell"),
        },
        "rfm": {
            "bins": Said("Scores"),
            **{f"{d}_ties": Said(f"{d.capitalize()} ties", values="TIE_LABELS") for d in dims},
            "as_of": Said("As of", "the day after the last order"),
            "clean": Said("Purchases only"),
            "across": Said("Grid columns", values="ACROSS"),
            "compare_as_of": Said("Compare with", "none"),
        },
        "cohorts": {
            "grain": Said("Cohort by"),
            "metric": Said("Measure", values="METRIC_LABELS"),
            "relative": Said("% of first period"),
            "shown": Said("Cohorts shown (the most recent)", "every cohort", below=1),
            "churn_quantile": Said("Churn window covers", percent=True),
        },
        "clusters": {
            "k": Said("Clusters (k)", "the suggested k", below=1),
            "features": Said("Features", "the default features"),
            "log": Said("Log-transform skewed features"),
            "margin": Said("Gross margin (%)"),
            "cost": Said("Cost per customer", "the default cost", below=0),
        },
        "clv": {
            "unit": Said("Time unit"),
            "horizon": Said("Horizon"),
            "horizon_unit": Said("Horizon unit"),
            "penalizer": Said("Penalizer"),
            "discount": Said("Discount a month", percent=True),
            "calibration_end": Said("Holdout starts", "the page's default split"),
            "model": Said("Purchase model", values="MODELS"),
        },
        "events": {
            "window_days": Said("Conversion window (days)"),
            "steps": Said("Funnel steps"),
            "item": Said("Item", "the first item of the best pair"),
            "min_support": Said("Minimum support"),
            "score": Said("Rank by"),
        },
    }


def setting_words(page: str, name: str, value: object) -> tuple[str, str]:
    """A page's headless option as the report's settings table writes it: the page control's
    label and the value in words (a choice's label, yes or no, a percentage, what the page uses
    when the value leaves the choice to it). KeyError for an option without words."""
    said = _said()[page][name]
    unset = (
        value is None
        or value == ""
        or (said.below is not None and isinstance(value, int | float) and value < said.below)
    )
    if unset:
        return said.label, said.unset or "—"
    if isinstance(value, bool):
        return said.label, "yes" if value else "no"
    labels = getattr(recipe.analysis(page), said.values) if said.values else {}
    if value in labels:
        return said.label, str(labels[value])
    if said.percent and isinstance(value, int | float):
        return said.label, fmt.pct(value, 2).replace(".00%", "%")
    if isinstance(value, float):
        return said.label, f"{value:g}"
    return said.label, str(value)


@dataclass(frozen=True)
class Kpi:
    """One headline figure: `value` as the analysis returned it, `shown` as the page prints it;
    `delta` the line under it, as the page's metric delta (Markdown: a region's name in it
    escaped by fmt.plain)."""

    key: str
    label: str
    value: float | None
    shown: str
    delta: str = ""


@dataclass(frozen=True)
class Block:
    """One view of a page: a chart and/or a table, with the reading under it."""

    title: str
    chart: alt.TopLevelMixin | None = None
    table: pl.DataFrame | None = None
    reading: str = ""
    caption: str = ""
    kinds: Mapping[str, str] = field(default_factory=dict)  # column -> cell kind, see _cell
    labels: Mapping[str, str] = field(default_factory=dict)  # column -> header as the page's


@dataclass(frozen=True)
class Section:
    """One page of the report: its settings, KPIs, views, findings and definitions; `missing`
    says why the page could not be built (and everything else is then empty)."""

    page: str
    title: str
    answers: str
    options: Mapping[str, object] = field(default_factory=dict)
    views: Mapping[str, object] = field(default_factory=dict)  # the followed views set
    notes: tuple[str, ...] = ()
    kpis: tuple[Kpi, ...] = ()
    blocks: tuple[Block, ...] = ()
    findings: tuple[quality.Finding, ...] = ()
    measures: tuple[str, ...] = ()
    missing: str = ""


# --- sections -----------------------------------------------------------------------------------


def report_sections(
    ds: Dataset,
    pages: Sequence[str],
    settings: Mapping[str, Mapping[str, object]] | None = None,
    *,
    rules: pl.DataFrame | None = None,
    findings: quality.Report | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Section, ...]:
    """One Section per analysis page in `pages` (unknown names raise KeyError), built from the
    page's headless figures for `settings` (checked by recipe.apply_settings: bad values are
    noted, never raised). A page the data cannot support says what it needs instead.
    `progress` is told in words which page is being built (a page can take seconds)."""
    unknown = [p for p in pages if p not in recipe.ANALYSIS_PAGES]
    if unknown:
        raise KeyError(
            f"no page {', '.join(unknown)}: choose from {', '.join(recipe.ANALYSIS_PAGES)}"
        )
    report = findings if findings is not None else quality.report(ds)
    out = []
    for page in pages:
        if progress is not None:
            progress(f"Building the {catalog.PAGE_BY_KEY[page].title} page…")
        out.append(_section(ds, page, (settings or {}).get(page, {}), rules, report))
    return tuple(out)


def _section(
    ds: Dataset,
    page: str,
    settings: Mapping[str, object],
    rules: pl.DataFrame | None,
    report: quality.Report,
) -> Section:
    info = catalog.PAGE_BY_KEY[page]
    applied = recipe.apply_settings(page, settings, ds)
    options, notes = applied.options, list(applied.notes)
    views = recipe.followed_views(page, settings)
    try:
        frames = recipe.page_frames(ds, page, options, rules)
    except (KeyError, ValueError) as exc:
        message = exc.args[0] if exc.args else str(exc)
        if options == recipe.defaults(page):
            return Section(
                page, info.title, info.answers, options, views, tuple(notes), missing=message
            )
        # Settings this data cannot take (a feature it lacks, say): the page as it opens.
        notes.append(f"{info.title}: these settings could not be used ({message}); defaults shown")
        options = recipe.defaults(page)
        try:
            frames = recipe.page_frames(ds, page, options, rules)
        except (KeyError, ValueError) as again:
            message = again.args[0] if again.args else str(again)
            return Section(
                page, info.title, info.answers, options, views, tuple(notes), missing=message
            )
    try:
        kpis, blocks = BUILDERS[page](ds, PageInput(frames, options, views, rules))
    except Exception as exc:  # noqa: BLE001 - one page's view must not lose the whole report
        message = f"the page's views could not be built ({type(exc).__name__}: {exc})"
        return Section(
            page, info.title, info.answers, options, views, tuple(notes), missing=message
        )
    tables = PAGE_TABLES[page]
    return Section(
        page,
        info.title,
        info.answers,
        options,
        views,
        tuple(notes),
        tuple(kpis),
        tuple(blocks),
        tuple(f for f in report.findings if f.table in tables),
        _measures(ds, page),
    )


def _measures(ds: Dataset, page: str) -> tuple[str, ...]:
    names = PAGE_MEASURES[page]
    return names + measures.delivery_terms(ds) if page in {"regions", "categories"} else names


Built = tuple[list[Kpi], list[Block]]


@dataclass(frozen=True)
class PageInput:
    """What a page's builder reads: the headless `frames` for the checked `options`, the
    page's views that the report follows (recipe.FOLLOWED_VIEWS: widget key -> value, as
    settings.VIEWS names them) and the RFM segment `rules` (None: the defaults)."""

    frames: Mapping[str, pl.DataFrame]
    options: Mapping[str, object]
    views: Mapping[str, object] = field(default_factory=dict)
    rules: pl.DataFrame | None = None


def _kpi(key: str, label: str, value: float | None, shown: str, delta: str = "") -> Kpi:
    number = None if value is None or not math.isfinite(float(value)) else float(value)
    return Kpi(key, label, number, shown, delta)


def _sales(ds: Dataset, p: PageInput) -> Built:
    from lib.analyses import sales
    from lib.charts import sales as charts

    f, o = p.frames, p.options
    cur = ds.currency
    kpis = []
    for row in f["kpis"].iter_rows(named=True):
        metric, value = row["metric"], row["value"]
        shown = sales.kpi_text(metric, value, cur)
        delta = sales.kpi_delta(metric, value, row["previous"]) or ""
        kpis.append(_kpi(f"sales.{metric}", row["label"], value, shown, delta))
    grain, by, measure = str(o["grain"]), str(o["rank_by"]), str(o["basket"])
    # The top items and the bridge filter alike.
    chosen = filters.scope_named(ds.table("lines"), _names(o["categories"]), _names(o["regions"]))
    series = f["revenue_over_time"]
    blocks = [
        Block(
            f"Revenue per {grain}",
            chart=charts.revenue_chart(series, grain, cur, str(p.views.get("sales_chart"))),
            reading=sales.revenue_reading(
                series, grain, cur, sales.covered_days(ds.table("lines"))
            ),
        )
    ]
    top = f.get("top_items")  # none of order totals (sales.headless)
    if top is not None and top.height:
        kept = ds.extras.get(sales.ITEM_CUBE)
        ranking = sales.rank_items(
            sales.item_cube(ds.tables["lines"]) if kept is None else kept,
            by,
            start=_day(o["start"]),
            end=_day(o["end"]),
            **chosen,
            orders=sales.kpi_orders(f["kpis"]),
        )
        blocks.append(
            Block(
                f"Top {top.height} items by {by}",
                table=top.drop("trend"),
                reading=sales.top_items_reading(
                    ranking, int(o["topn"]), by, cur, sales.kpi_orders(f["kpis"])
                ),
                kinds={"rank": "count", "share": "pct", "units": "count", "item_id": "id"},
            )
        )
    grid = f["weekday_hour"]
    if grid.filter((pl.col("orders") > 0) & (pl.col("hour") > 0)).height:
        blocks.append(
            Block(
                "Orders by weekday and hour",
                chart=charts.weekday_hour_heatmap(grid),
                reading=sales.weekday_hour_reading(grid),
            )
        )
    if "basket_sizes" in f:  # none of order totals (sales.basket_counted)
        sizes = f["basket_sizes"]
        blocks.append(
            Block(
                f"Basket size ({measure})",
                chart=charts.basket_chart(sizes, measure),
                reading=sales.basket_reading(sizes, measure),
            )
        )
    rep = f["repeat"].row(0, named=True)
    summary = sales.Repeat(rep["customers"], rep["repeaters"], rep["median_days_between_orders"])
    gaps = f["days_between_orders"]
    blocks.append(
        Block(
            "Repeat buying",
            chart=charts.gap_histogram(gaps, summary.median_days) if gaps.height else None,
            reading=sales.repeat_reading(summary, gaps),
        )
    )
    split = f["new_vs_returning"]
    blocks.append(
        Block(
            "New vs returning revenue",
            chart=charts.new_vs_returning_chart(split, cur),
            reading=sales.new_vs_returning_reading(split, cur),
        )
    )
    if ds.has("lines", "customer_id"):
        blocks.append(_bridge_block(ds, o, chosen))
    return kpis, blocks


def _bridge_block(
    ds: Dataset, o: Mapping[str, object], chosen: Mapping[str, list[str | None]]
) -> Block:
    """The Sales page's revenue bridge between the options' periods (not set: the page's
    opening ones, bridge.default_periods), over the whole history of the chosen categories and
    regions (`chosen`: filters.scope_named; the dates do not apply), as the page draws it."""
    from lib.analyses import bridge, churn
    from lib.charts import bridge as charts

    scope = filters.filter_lines(ds.table("lines"), **chosen)
    purchases = bridge.bridge_purchases(scope)
    try:
        before, now = bridge.periods_for(
            purchases, str(o["bridge_previous"]), str(o["bridge_current"])
        )
        result = bridge.revenue_bridge(purchases, before, now)
    except ValueError as exc:
        return Block("Revenue bridge", reading=f"No revenue bridge: {fmt.plain(exc)}.")
    first = purchases["ordered_at"].min().date()
    early = [p.label for p in (before, now) if p.start < first]
    steps = result.named_steps
    return Block(
        f"Revenue bridge: {before.label} to {now.label}",
        chart=charts.waterfall_chart(steps, ds.currency),
        table=steps.select("label", "value", "end", "customers"),
        reading=fmt.plain(
            bridge.bridge_reading(result, ds.currency, churn.lines_lapse_days(ds.table("lines")))
        ),
        caption="The bridge compares the two periods over the whole history (the dates above do "
        "not apply; categories and regions do). Each step adds up to the change exactly."
        + (
            f" {' and '.join(early)} starts before the data's first purchase, so its revenue is "
            "short and the change is not like for like."
            if early
            else ""
        ),
        kinds={"value": "money", "end": "money", "customers": "count"},
    )


def _day(value: object) -> date | None:
    return date.fromisoformat(str(value)) if value else None


def _names(value: object) -> tuple[str, ...]:
    return tuple(n.strip() for n in str(value or "").split(",") if n.strip())


def _categories(ds: Dataset, p: PageInput) -> Built:
    from lib.analyses import categories as cat
    from lib.charts import categories as charts

    f, o = p.frames, p.options
    cur = ds.currency
    table = f["categories"].sort("revenue", descending=True)
    window = cat.growth_window(
        ds.tables["lines"]["ordered_at"], int(o["months"]), str(o["against"])
    )
    with_growth = table.filter(pl.col("growth").is_not_null())
    growing, judged = cat.growing_count(table)
    unreliable = with_growth.filter(~pl.col("growth_reliable")).height
    best = table.row(0, named=True)
    kpis = [
        _kpi("categories.categories", "Categories", table.height, f"{table.height:,}"),
        # As the page's card: the category's name (its revenue and share are in the reading).
        _kpi("categories.largest_revenue", "Largest category", best["revenue"], best["label"]),
        _kpi(
            "categories.growing",
            "Growing beyond chance",
            growing,
            f"{growing} of {judged}",
        ),
        _kpi(
            "categories.unreliable_growth", "Unreliable growth figures", unreliable, str(unreliable)
        ),
    ]
    left_out = cat.uncategorised_note(
        cat.category_sales(ds.tables["lines"], int(o["months"]), str(o["against"])), cur
    )
    blocks = [
        Block(
            "Largest category",
            reading=cat.largest_reading(table, window, cur),
            caption=left_out,
        )
    ]
    if window.available and with_growth.height:
        # As the page draws and reads them: every quadrant, those of too few orders faint and
        # counted apart (the headless table leaves their quadrant blank).
        placed = cat.with_quadrants(table)
        blocks.append(
            Block(
                "Growth and share",
                chart=charts.growth_share_chart(placed, cur, first=cat.quadrant_named(placed)),
                reading=cat.quadrant_reading(placed, cur),
                caption=f"Growth compares {window.describe()}.",
            )
        )
    weights = {c: float(o[f"weight_{c}"]) for c in cat.COMPONENTS}
    potential = cat.potential_scores(table, weights, int(o["min_orders"]))
    contributions = cat.potential_contributions(potential)
    blocks.append(
        Block(
            "Potential",
            chart=charts.potential_chart(contributions, cat.CHARTED)
            if contributions.height
            else None,
            reading=cat.potential_reading(potential, window, cur),
            # As the page says under its weights: which components the data cannot give.
            caption=" ".join(
                t for t in (cat.charted_note(potential), cat.left_out_note(table, ds)) if t
            ),
        )
    )
    trend = f["trend"]
    blocks.append(
        Block(
            "Monthly trend of the largest categories",
            chart=charts.trend_chart(trend, cur),
            reading=cat.trend_reading(trend, table, window),
        )
    )
    shown = table.select(
        pl.col("label").alias("category"),
        "revenue",
        "share",
        "orders",
        "growth",
        _reliable_growth_flag(),
        cat.placed_quadrant(),
        "potential",
        "review_score",
        "late_rate",
    )
    blocks.append(
        Block(
            "All categories",
            table=shown.drop(c for c in shown.columns if shown[c].null_count() == shown.height),
            kinds={"potential": "number2", "review_score": "number2"},
            labels={"growth_reliable": "Reliable growth"},
        )
    )
    return kpis, blocks


def _reliable_growth_flag() -> pl.Expr:
    """growth_reliable as the report's tables show it, as the page's Reliable column: blank
    where there is no growth figure to be reliable or not."""
    return pl.when(pl.col("growth").is_not_null()).then("growth_reliable").alias("growth_reliable")


def _value_format(metric: str) -> str:
    """The d3 format of a map metric's legend and tooltip."""
    if metric.endswith(("rate", "growth", "share")):
        return ".1%"
    return ",.1f" if metric.endswith(("days", "aov")) else ",.0f"


def _regions(ds: Dataset, p: PageInput) -> Built:
    from lib.analyses import regions

    f, o = p.frames, p.options
    cur, months, metric = ds.currency, int(o["months"]), str(o["metric"])
    against = str(o["against"])
    ranked = f["regions"]
    # Named as the map names them ('Ireland', not 'EIRE'), as on the page: headless matched them.
    named = regions.with_names(ranked, ranked.select("region", "label"))
    by_revenue = named.sort("revenue", descending=True)
    places = regions.places_only(by_revenue).height
    top = regions.top_place(by_revenue).row(0, named=True)
    # As on the page: a ranking of one region sets no priority.
    alone = places == 1
    first = regions.market_first(named)
    leading = regions.leading(named)
    # The cards as the page labels and fills them: the regions named, their figures in the lines
    # under them (the market-first score and each region's action in full are in the reading).
    kpis = [
        _kpi("regions.regions", "Regions", places, f"{places:,}"),
        _kpi(
            "regions.top_region_share",
            "Top region",
            top["share"],
            str(top["region"]),
            "" if top["share"] is None else f"{fmt.pct(top['share'])} of revenue",
        ),
        _kpi(
            "regions.revenue",
            f"Net revenue ({cur})" if cur else "Net revenue",
            ranked["revenue"].sum(),
            fmt.money(ranked["revenue"].sum(), cur),
        ),
        _kpi(
            "regions.market_first_score",
            "Market first",
            None if first is None else first["score"],
            "one region only"
            if alone
            else "none now"
            if first is None
            else fmt.listed(leading["region"]),
            "no ranking" if alone else regions.first_actions(leading)[0],
        ),
    ]
    flagged = (
        named.with_columns(_reliable_growth_flag()) if "growth_reliable" in named.columns else named
    )
    shown = columns_of(
        flagged,
        "rank",
        "region",
        "code",
        "score",
        "action",
        "customers",
        "orders",
        "revenue",
        "share",
        "growth",
        "growth_reliable",
        "aov",
        "repeat_rate",
        "late_rate",
        "review",
    )
    label = regions.METRICS.get(metric, metric)
    # As the page's map: growth coloured only from enough orders.
    drawn = regions.reliable_growth(ranked) if metric == "growth" else ranked
    few = (
        f" or growth from under {regions.MIN_ORDERS} orders in a window"
        if metric == "growth"
        else ""
    )
    blocks = [
        Block(
            f"Map: {label.lower()} by region",
            chart=region_map(drawn, "region", metric, label, _value_format(metric)),
            reading=regions.metric_reading(by_revenue, metric, cur, months, against),
            caption=f"Grey: no data{few}. Regions without an outline are in the table below.",
        ),
        Block(
            "Where to market first",
            table=shown.drop(c for c in shown.columns if shown[c].null_count() == shown.height),
            reading=regions.priority_reading(named, months, cur, against),
            # The lines' span: regional_lines keeps every line, so its span is theirs.
            caption=regions.window_text(ds.tables["lines"]["ordered_at"], months, against),
            kinds={
                "rank": "count",
                "score": "number0",
                "repeat_change": "pct",
                "aov": "money2",
                "review": "number2",
            },
            labels={"aov": "Avg order", "growth_reliable": "Reliable growth"},
        ),
    ]
    unmatched = f["unmatched"]
    if unmatched.height:
        blocks.append(Block("Regions not on the map (no known place)", table=unmatched))
    return kpis, blocks


def _rounded(coords: object, digits: int = 2) -> object:
    """GeoJSON coordinates to `digits` decimals (about a kilometre): a tenth of the bytes."""
    if isinstance(coords, list | tuple):
        return [_rounded(c, digits) for c in coords]
    return round(coords, digits) if isinstance(coords, float) else coords


def _ring_area(ring: list) -> float:
    return sum(
        x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:], strict=False)
    )


def _d3_polygon(rings: list) -> list:
    """A polygon's rings wound as d3-geo reads them (outer ring clockwise, holes the other way):
    files wound the GeoJSON way otherwise fill the whole globe but the region."""
    out = []
    for i, ring in enumerate(rings):
        clockwise = _ring_area(ring) < 0
        out.append(ring if clockwise == (i == 0) else ring[::-1])
    return out


def _d3_geometry(geometry: Mapping) -> dict:
    """`geometry` (Polygon or MultiPolygon) rounded and wound for d3-geo, as a new dict."""
    coords = _rounded(geometry["coordinates"])
    if geometry["type"] == "Polygon":
        coords = _d3_polygon(coords)
    elif geometry["type"] == "MultiPolygon":
        coords = [_d3_polygon(polygon) for polygon in coords]
    return {"type": geometry["type"], "coordinates": coords}


def region_map(
    points: pl.DataFrame, column: str, metric: str, title: str, value_format: str
) -> alt.Chart | None:
    """A choropleth of `metric` per region (`points`: the region `column`, place and the metric)
    over the same outlines the app's map draws, as Vega-Lite (the app's pydeck map has no
    offline export). Countries without data are left out of a world map; every state or
    district of a country map is drawn, grey without data. None when no place has an outline."""
    from lib.charts import maps

    placed = points.filter(pl.col("place").is_not_null())
    reference = maps.geography_of(placed["place"]) if placed.height else ""
    if reference not in maps.GEO_FILES:
        return None
    codes = maps.place_codes(reference)
    by_code = {}
    for region, place, value in placed.select(column, "place", metric).iter_rows():
        for code in codes.get(place, ()):
            by_code[code] = (str(region), value)
    features = []
    for outline in maps.outlines(reference):
        region, value = by_code.get(outline.code, (None, None))
        if region is None and reference == "countries":
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": _d3_geometry(outline.geometry),
                "properties": {"name": outline.name, "region": region, "value": value},
            }
        )
    if not any(f["properties"]["region"] for f in features):
        return None
    return (
        alt.Chart(alt.InlineData(values=features, format=alt.DataFormat(type="json")))
        .mark_geoshape(stroke="white", strokeWidth=0.6)
        .encode(
            # Places without a value grey (a condition given to the field channel itself:
            # alt.condition's dict costs altair a schema search).
            color=alt.Color(
                "properties.value:Q",
                condition={"test": "datum.properties.value == null", "value": "#e2e8f0"},
                title=title,
                scale=alt.Scale(scheme="teals"),
                legend=alt.Legend(format=value_format),
            ),
            tooltip=[
                alt.Tooltip("properties.name:N", title="Place"),
                alt.Tooltip("properties.region:N", title="Region"),
                alt.Tooltip("properties.value:Q", title=title, format=value_format),
            ],
        )
        .project("mercator")
        .properties(height=420)
    )


DELIVERY_KPIS = (
    ("on-time rate", "On-time rate"),
    ("median days to deliver", "Median days to deliver"),
    ("mean days to deliver", "Mean days to deliver"),
    ("mean days late", "Mean days late"),
    ("more than 7 days late", "More than 7 days late"),
    ("delivered orders", "Delivered orders"),
    ("impossible dates", "Impossible dates"),
    ("review when late", "Review when late"),
    ("review when on time", "Review when on time"),
)


def _delivery(ds: Dataset, p: PageInput) -> Built:
    from lib.analyses import delivery as dv
    from lib.charts import delivery as charts

    f, o = p.frames, p.options
    summary = f["kpis"]
    units = dict(summary.select("kpi", "unit").iter_rows())
    kpis = []
    for name, label in DELIVERY_KPIS:
        value = dv.kpi(summary, name)
        unit = units.get(name, "")
        if value is None:
            shown = "—"
        elif unit == "share":
            shown = fmt.pct(value)
        elif unit == "days":
            shown = f"{value:.1f} d"
        elif name.startswith("review"):
            shown = f"{value:.2f} ★"
        else:
            shown = fmt.count(value)
        kpis.append(_kpi(f"delivery.{name.replace(' ', '_')}", label, value, shown))
    never = summary.filter(pl.col("kpi").str.starts_with("not delivered"))["value"].sum()
    kpis.append(_kpi("delivery.never_delivered", "Not delivered", never, fmt.count(never)))
    overall = dv.kpi(summary, "late rate") or 0.0
    delivered = int(dv.kpi(summary, "delivered orders") or 0)  # whom each group is drawn from
    min_orders = int(o["min_orders"])
    stages = f["stages"]
    blocks = [
        Block("On time or late", reading=dv.kpi_reading(summary)),
        Block(
            "Where the time goes",
            chart=charts.stages_chart(stages),
            reading=dv.stage_reading(stages),
            table=stages.drop("stage"),
            kinds={"median_days": "number1", "p90_days": "number1", "mean_days": "number1"},
            labels=dv.STAGE_HEADERS,
        ),
    ]
    by_region = f["by_customer_region"]
    if by_region.filter(pl.col("customer_region") != dv.UNKNOWN).height:
        metric = str(o["metric"])
        blocks.append(
            Block(
                "By customer state",
                chart=region_map(
                    by_region, "customer_region", metric, dv.METRICS[metric], _value_format(metric)
                ),
                table=by_region.drop("place", "label", "lat", "lon"),
                reading=dv.group_reading(
                    by_region, "customer_region", "customer state", overall, delivered=delivered
                ),
                kinds=DAY_KINDS,
            )
        )
    months = f["by_month"]
    enough = months.filter(pl.col("orders") >= dv.MIN_ORDERS)
    if enough.height:
        blocks.append(
            Block(
                "By month of purchase",
                chart=charts.month_chart(enough),
                reading=dv.month_reading(months),
            )
        )
    # Names in words, as the Delivery and Categories pages show them ("Watches gifts").
    by_category = f["by_category"].with_columns(fmt.words_expr(pl.col("category")))
    if by_category.filter(pl.col("category").is_not_null()).height:
        blocks.append(
            Block(
                "Worst categories",
                chart=charts.late_rate_bars(
                    dv.judged(by_category, "category"),
                    "category",
                    "Category",
                    overall=overall,
                ),
                reading=dv.group_reading(
                    by_category, "category", "category", overall, delivered=delivered
                ),
            )
        )
    sellers = f["sellers"]
    if sellers.height:
        blocks.append(
            Block(
                f"Worst sellers (at least {fmt.counted(min_orders, 'delivered order')})",
                chart=charts.late_rate_bars(
                    sellers.with_columns(pl.col("seller_id").str.slice(0, 8)),
                    "seller_id",
                    "Seller",
                    overall=overall,
                ),
                table=sellers,
                reading=dv.group_reading(
                    sellers,
                    "seller_id",
                    "seller",
                    overall,
                    min_orders,
                    narrowed=True,
                    delivered=delivered,
                ),
                kinds=DAY_KINDS | {"seller_id": "id", "excess_late": "number1"},
            )
        )
    routes = f["routes"]
    if routes.filter(pl.col("route") != dv.UNKNOWN).height:
        blocks.append(
            Block(
                "Routes",
                chart=charts.late_rate_bars(routes, "route", "Route", overall=overall),
                reading=dv.route_reading(routes, f["route_strata"]),
            )
        )
    reviews = f["reviews"]
    if reviews.height:
        blocks.append(
            Block(
                "What lateness costs in reviews",
                chart=charts.reviews_chart(reviews),
                reading=dv.review_reading(summary, reviews),
                caption=dv.reviews_note(reviews),
            )
        )
    if "lateness_customers" in f:
        blocks.append(_lateness_block(ds, f["lateness_customers"], int(o["follow_months"])))
    return kpis, blocks


def _lateness_block(ds: Dataset, customers: pl.DataFrame, months: int) -> Block:
    """The Delivery page's "Lateness and what follows" from the headless follow-ups of each
    customer (lateness.customer_follow_ups for `months`), as the page shows it."""
    from lib.analyses import lateness
    from lib.charts import lateness as charts

    result = lateness.lateness_groups(customers, months)
    groups = result.groups
    return Block(
        f"Lateness and what follows ({months} months)",
        chart=charts.repeat_share_chart(groups, months)
        if groups.filter(pl.col("customers") > 0).height
        else None,
        # As on the page: the timing and spend of a handful of repeat buyers are left blank,
        # the group total of later revenue left out (the per-customer figures compare groups).
        table=lateness.shown_groups(groups)
        .with_columns(pl.col("group").replace_strict(charts.GROUP_LABELS, default=pl.col("group")))
        .drop("revenue_following"),
        reading=fmt.plain(lateness.lateness_reading(result, ds.currency)),
        caption=f"{lateness.followed_note(result)} {lateness.FEW_NOTE}",
        # Per customer and per repeat buyer with cents, as the page's money columns print them.
        kinds={"median_days_to_next": "number0"}
        | dict.fromkeys(("revenue_per_customer", "revenue_per_repeater"), "money2"),
        labels=lateness.FOLLOW_HEADERS,
    )


DAY_KINDS = {
    "median_days": "number1",
    "mean_days": "number1",
    "review": "number2",
    "review_late": "number2",
    "review_on_time": "number2",
}


def _funnel(ds: Dataset, p: PageInput) -> Built:
    from lib.analyses import funnel
    from lib.charts import funnel as charts

    f, o = p.frames, p.options
    overall = f["overall"].row(0, named=True)
    rate, days = overall["conversion"], overall["median_days_to_close"]
    by_origin, pages, cohorts = f["by_origin"], f["by_landing_page"], f["cohorts"]
    deals = ds.table("deals")
    outcomes = funnel.lead_outcomes(ds.table("leads"), deals)
    # Leads of months before the deals file starts are counted apart (funnel.coverage_note).
    judged = funnel.covered(outcomes)
    leads_in, deals_in = funnel.in_file(outcomes, judged)
    kpis = [
        _kpi("funnel.leads", "Leads", overall["leads"], fmt.count(overall["leads"]), leads_in),
        _kpi(
            "funnel.deals", "Closed deals", overall["deals"], fmt.count(overall["deals"]), deals_in
        ),
        _kpi(
            "funnel.conversion",
            "Conversion",
            rate,
            fmt.pct(rate),
            f"95% interval {fmt.pct(overall['conversion_low'])}–"
            f"{fmt.pct(overall['conversion_high'])}",
        ),
        _kpi(
            "funnel.median_days_to_close",
            "Median days to close",
            days,
            fmt.number(days),  # as the page: one decimal (a median of 12.5 read "12")
        ),
    ]
    kinds = {
        "origin": "code",
        "median_days_to_close": "number1",
        "conversion_low": "pct",
        "conversion_high": "pct",
    }
    min_count = int(o["min_count"])
    blocks = [
        Block(
            "Conversion by origin",
            chart=charts.conversion_chart(by_origin, "origin", rate),
            table=by_origin,
            reading=funnel.conversion_reading(by_origin, "origin", rate),
            caption=funnel.coverage_note(cohorts),
            kinds=kinds,
        ),
        Block(
            f"Conversion by landing page (top {int(o['top'])})",
            chart=charts.conversion_chart(pages, "landing_page", rate),
            reading=funnel.conversion_reading(
                pages, "landing_page", rate, known=funnel.known_origins(judged, "landing_page")
            ),
        ),
        Block(
            "Monthly lead cohorts",
            chart=charts.cohort_chart(cohorts),
            reading=funnel.cohort_reading(cohorts, days),
        ),
        Block(
            "Days from first contact to deal",
            table=f["days_to_close"],
            reading=funnel.days_reading(f["days_to_close"], judged),
            kinds={c: "number1" for c in f["days_to_close"].columns if c.endswith("_days")}
            | {"origin": "code"},
        ),
    ]
    closed = funnel.closed_deals(outcomes, deals)
    for rep, label in (("sdr_id", "SDR (sales development reps)"), ("sr_id", "SR (sales reps)")):
        reps = f[f"reps_{rep.removesuffix('_id')}"]
        if reps.height and ds.has("deals", rep):
            blocks.append(
                Block(
                    label,
                    chart=charts.rep_chart(reps, rep),
                    reading=funnel.rep_reading(reps, rep, min_count, closed=closed),
                )
            )
    if "seller_sales" in f:  # the orders name sellers: what the won ones sold, as on the page
        last_order = ds.tables["lines"]["ordered_at"].max()
        blocks.append(
            Block(
                "Won sellers' sales after the win",
                reading=funnel.sales_reading(closed, f["seller_sales"], last_order, ds.currency),
            )
        )
    for rep, (attribute, title) in funnel.MATCHES.items():
        key = "sr_by_lead_type" if rep == "sr_id" else "sdr_by_segment"
        if f[key].height:
            blocks.append(Block(title, chart=charts.match_heatmap(f[key], rep, attribute)))
    routes = f["routing"]
    # The rows and columns the page shows (every kind with a rep to name, each with its
    # verdict), in its order; the CSV keeps the rest, with the evidence.
    named = routes.filter(pl.col("route_to").is_not_null()).drop(
        "dimension", "evidence", "recommended"
    )
    first = [c for c in charts.ROUTING_ORDER if c in named.columns]
    blocks.append(
        Block(
            "Routing recommendation",
            table=named.select(*first, pl.exclude(first)).with_columns(
                charts.tied_reps()  # short, as the page shows them
            ),
            reading=funnel.routing_reading(routes),
            caption=funnel.routing_note(routes, min_count),
            labels=charts.ROUTING_HEADERS,
            kinds={"value": "code", "route_to": "id", "avoid": "id"}
            | dict.fromkeys(
                ("median_days", "days_low", "days_high", "typical_days", "avoid_median_days"),
                "number1",
            ),
        )
    )
    return kpis, blocks


def _rfm(ds: Dataset, p: PageInput) -> Built:
    from lib.analyses import churn, rfm
    from lib.charts import rfm as charts

    f, o = p.frames, p.options
    cur, bins = ds.currency, int(o["bins"])
    customers, summary, grid = f["customers"], f["segments"], f["grid"]
    degenerate = [
        rfm.Degenerate(
            r["dimension"],
            r["value"],
            r["share"],
            tuple(int(s) for s in str(r["scores"]).split(",") if s),
            r["ties"],
        )
        for r in f["degenerate"].iter_rows(named=True)
    ]
    other = summary.filter(pl.col("segment") == rfm.OTHER)["customers"].sum()
    segments = summary.filter(pl.col("segment") != rfm.OTHER).height
    revenue = customers["monetary"].sum()
    kpis = [
        _kpi("rfm.customers", "Customers", customers.height, fmt.count(customers.height)),
        _kpi("rfm.revenue", "Customers' net revenue", revenue, fmt.money(revenue, cur)),
        _kpi("rfm.segments", "Segments", segments, str(segments)),
        _kpi("rfm.not_covered", "Not covered by a rule", other, fmt.count(other)),
    ]
    blocks = [Block("Cannot separate customers", reading=w) for w in f["degenerate"]["warning"]]
    blocks += [Block("Fewer scores than bins", reading=w) for w in f["fewer_scores"]["warning"]]
    blocks += [Block("An as-of date past the data", reading=n) for n in rfm.notes(ds, **o)]
    if o["clean"] and not o["as_of"] and customers.height:  # every line counts, as on the page
        note = rfm.monetary_note(ds.table("lines"), revenue, cur)
        blocks.append(Block("Net revenue of these customers", caption=note))
    blocks += [
        Block(
            "Segments",
            chart=charts.segment_chart(summary, cur),
            table=summary,
            reading=rfm.segments_reading(summary, cur, degenerate),
            kinds={"avg_recency_days": "number0", "avg_frequency": "number1"},
            labels=rfm.SEGMENT_HEADERS,
        ),
        Block(
            f"R × {o['across'][0].upper()} grid",
            chart=charts.grid_heatmap(grid, bins, cur),
            reading=rfm.grid_reading(
                grid,
                bins,
                cur,
                degenerate,
                churn.lines_lapse_days(ds.table("lines")),
            ),
        ),
        _movement_block(ds, p),
    ]
    return kpis, blocks


def _movement_block(ds: Dataset, p: PageInput) -> Block:
    """The RFM page's segment movement from the comparison date (not set: the page's opening
    one, a quarter before the as-of date) to the as-of date, with the page's bins and rules,
    its flows by the measure of the rfm_move_measure view."""
    from lib.analyses import movement, rfm
    from lib.charts import movement as charts

    o, cur, bins = p.options, ds.currency, int(p.options["bins"])
    lines = ds.table("lines")
    first_day, last_day = (d.date() for d in (lines["ordered_at"].min(), lines["ordered_at"].max()))
    second = _day(o["as_of"]) or rfm.default_as_of(lines)
    first = _day(o["compare_as_of"]) or max(
        movement.quarter_before(second), first_day + timedelta(days=1)
    )
    title = f"Segment movement: {fmt.day(first)} to {fmt.day(second)}"
    if first >= second or first > last_day:
        return Block(
            "Segment movement",
            reading=f"No movement to show: the comparison date ({fmt.day(first)}) must come "
            f"before the as-of date ({fmt.day(second)}) and within the data (to "
            f"{fmt.day(last_day)}).",
        )
    rules = rfm.default_rules(bins) if p.rules is None else p.rules
    try:
        moved = movement.segment_movement(lines, first, second, rules, bins)
    except ValueError as exc:
        return Block("Segment movement", reading=f"No segment movement to show: {fmt.plain(exc)}.")
    measure = p.views.get("rfm_move_measure")
    measure = measure if measure in movement.MEASURES else movement.MEASURES[0]
    flows = movement.movement_flows(moved.movements, str(measure), rules)
    ties = {d: o[f"{d}_ties"] for d in rfm.DIMENSIONS}
    same = ties == rfm.PUBLISHED_TIES and o["clean"]
    return Block(
        title,
        chart=charts.flow_chart(
            flows,
            "Customers" if measure == "customers" else "Revenue",
            first=fmt.day(first),
            second=fmt.day(second),
        )
        if flows.height
        else None,
        table=moved.movements,
        reading=movement.movement_reading(moved, cur),
        caption=movement.flows_caption(first, second, measure, same),
        kinds={"revenue_before": "money"},
    )


def _cohorts(ds: Dataset, p: PageInput) -> Built:
    from lib.analyses import cohorts
    from lib.charts import cohorts as charts

    f, o = p.frames, p.options
    grain, metric, relative = str(o["grain"]), str(o["metric"]), bool(o["relative"])
    matrix, curve = f["retention"], f["curve"]
    sizes, n_cohorts = f["cohorts"]["customers"].sum(), f["cohorts"].height  # every cohort
    back = curve.filter(pl.col("period_index") == 1)["mean"]
    first_return = back[0] if back.len() else None
    kpis = [
        _kpi("cohorts.customers", "Customers", sizes, fmt.count(sizes)),
        _kpi("cohorts.cohorts", "Cohorts", n_cohorts, fmt.count(n_cohorts)),
        _kpi(
            "cohorts.period_1",
            f"Back {grain} 1" if metric == "customers" else f"{grain.capitalize()} 1 vs first",
            first_return,
            fmt.pct(first_return),
        ),
    ]
    # The cohorts and periods best and worst leave out, as the page's caption says them.
    first = cohorts.purchases(ds.table("lines"))["day"].min()
    early = cohorts.early_until(first, f["churn_windows"])
    blocks = [
        Block(
            "Cohort heatmap",
            chart=charts.retention_heatmap(matrix, metric, relative, grain, ds.currency),
            reading=cohorts.best_worst_reading(matrix, grain, metric),
            caption=charts.heatmap_caption(
                matrix, relative, grain, cohorts.left_out_note(first, early, grain)
            ),
        )
    ]
    if curve.filter(pl.col("period_index") > 0).height:
        blocks.append(
            Block(
                "The average cohort",
                chart=charts.retention_curve_chart(curve, metric, grain),
                reading=cohorts.curve_reading(curve, grain, metric),
                caption=cohorts.band_note(curve, grain),
            )
        )
    windows, churn_blocks = _churn_blocks(ds, float(o["churn_quantile"]))
    return [*kpis, *windows], blocks + churn_blocks


def _churn_blocks(ds: Dataset, quantile: float) -> tuple[list[Kpi], list[Block]]:
    """The Cohorts page's churn window for `quantile`: its cards (each window shown in days,
    the chosen one keyed cohorts.churn_window_days, and the repeat purchases they are read
    from; none without repeat purchases, as on the page) and its views, as the page shows
    them."""
    from lib.analyses import churn
    from lib.charts import churn as charts

    days = churn.purchase_days(ds.table("lines"))
    result = churn.churn(churn.churn_base(days, (quantile,)), quantile)
    share = fmt.pct(quantile, 0)
    reading = fmt.plain(churn.churn_reading(result))
    if result.days is None:
        return [], [Block("Churn window", reading=reading)]
    repeats = int(result.gaps["repeat_purchases"].sum())
    kpis = [
        _kpi(
            "cohorts.churn_window_days"
            if q == quantile
            else f"cohorts.window_days_{round(q * 100)}",
            f"{fmt.pct(q, 0)} of repeat purchases within",
            window,
            "—" if window is None else f"{fmt.count(window)} days",
        )
        for q, window in result.windows.select("quantile", "days").iter_rows()
    ]
    kpis.append(_kpi("cohorts.repeat_purchases", "Repeat purchases", repeats, fmt.count(repeats)))
    days = fmt.counted(result.days, "day")
    return kpis, [
        Block(
            f"Churn window: {share} of repeat purchases within {days}",
            chart=charts.status_chart(result.monthly, result.days),
            table=result.windows,
            reading=reading,
            caption=charts.status_caption(result.days),
            kinds={"quantile": "pct0", "days": "count"},
        ),
        Block(
            "Days between purchases",
            chart=charts.gap_chart(result.gaps, result.windows),
            caption=charts.GAP_CAPTION,
        ),
        Block(
            "Customers by status, month by month",
            table=result.monthly,
            kinds={"month": "month", "month_end": "date"},
        ),
    ]


def _clusters(ds: Dataset, p: PageInput) -> Built:
    from lib.analyses import clusters as cl
    from lib.charts import clusters as charts

    f, o = p.frames, p.options
    cur = ds.currency
    profiles, diagnostics = f["profiles"], f["diagnostics"]
    k = profiles.height
    suggested = int(diagnostics.filter(pl.col("suggested"))["k"][0])
    at_k = diagnostics.filter(pl.col("k") == k)["silhouette"]
    silhouette = at_k[0] if at_k.len() else None
    kpis = [
        _kpi(
            "clusters.customers",
            "Customers clustered",
            f["assignments"].height,
            f"{f['assignments'].height:,}",
        ),
        _kpi("clusters.k", "Clusters", k, str(k)),
        _kpi("clusters.suggested_k", "Suggested k", suggested, str(suggested)),
        _kpi(
            "clusters.silhouette",
            "Silhouette at this k",
            silhouette,
            "—" if silhouette is None else f"{silhouette:.2f}",
        ),
    ]
    cost = float(profiles["cost_per_customer"][0]) if profiles.height else 0.0
    roi = cl.cluster_roi(profiles, float(o["margin"]), cost)
    blocks = [
        Block(
            "Who is in each cluster",
            chart=charts.share_chart(profiles),
            reading=cl.profile_reading(profiles, cur),
            table=profiles.select(
                "cluster",
                "name",
                "customers",
                "customer_share",
                "revenue",
                "revenue_share",
                "revenue_per_customer",
            ),
            kinds={"cluster": "count", "revenue_per_customer": "money2"},  # cents, as the page's
        ),
        *_drivers(ds, p),
        Block(
            "Return per cluster",
            chart=charts.roi_chart(roi, cur),
            reading=cl.roi_reading(roi, cur, cost),
            caption=f"Margin {float(o['margin']):g}%, cost {fmt.money(cost, cur, 2)} per customer.",
        ),
        Block(
            "Choosing k",
            chart=charts.diagnostics_chart(diagnostics.drop("suggested"), suggested),
            # The page's reason: why this k, and whether the silhouette says any structure.
            reading=f["suggestion"]["reason"][0],
            table=diagnostics,
            kinds={"k": "count", "inertia": "number0", "silhouette": "number3"}
            | {"davies_bouldin": "number3"},
            labels=cl.DIAGNOSTIC_HEADERS,
        ),
    ]
    return kpis, blocks


def _drivers(ds: Dataset, p: PageInput) -> list[Block]:
    """The page's notes on how the features enter the model, and its "What sets each cluster
    apart": its heatmap and reading, from the same library functions on the clusters headless
    fitted (each customer's cluster from its assignments)."""
    from lib.analyses import clusters as cl
    from lib.charts import clusters as charts

    profiles, o = p.frames["profiles"], p.options
    built = cl.dataset_features(ds)
    features = cl.chosen_features(built.available, str(o["features"]))
    scaled = cl.scaled_features(built.table, features, bool(o["log"]))
    assigned = built.table.select("customer_id").join(
        p.frames["assignments"], on="customer_id", how="left", maintain_order="left"
    )
    drivers = cl.cluster_drivers(
        built.table, scaled, assigned["cluster"].to_numpy() - 1, built.features
    )
    names = dict(profiles.select("cluster", "name").iter_rows())
    entered = cl.model_features(scaled, built.features)
    customers = built.table.height
    return [
        # As the page says above its clusters: which features enter, how, and which count twice.
        Block(
            "How the features enter the model",
            caption=" ".join(
                [
                    cl.transform_note(entered, bool(o["log"])),
                    cl.capping_note(
                        entered, scaled.cap, scaled.per_end, customers, scaled.capped_customers
                    ),
                    cl.twins_note(scaled, built.features),
                ]
            ).strip(),
        ),
        Block(
            "What sets each cluster apart",
            chart=charts.drivers_chart(drivers, names),
            reading=cl.drivers_reading(drivers, profiles, built.table, built.features, ds.currency),
        ),
    ]


def _clv(ds: Dataset, p: PageInput) -> Built:
    from lib.analyses import clv
    from lib.charts import clv as charts

    f, o = p.frames, p.options
    cur, unit = ds.currency, str(o["unit"])
    values, checks = f["customers"], f["sufficiency"]
    horizon = f"{o['horizon']:g} {o['horizon_unit']}"
    spend = values["clv"].null_count() < values.height
    alive = values["p_alive"].null_count() < values.height
    # As on the page: where the Dropout check is a caution, P(alive) only ranks customers.
    dropout = checks.filter(pl.col("check") == clv.DROPOUT_CHECK)["verdict"].to_list()
    ranking = dropout == ["caution"]
    purchases = values["expected_purchases"].sum()
    total = values["clv"].sum() if spend else None
    p_alive = values["p_alive"].mean() if alive and not ranking else None
    paying = clv.paying_customers(ds.tables["lines"])
    kpis = [
        _kpi(
            "clv.customers",
            clv.customers_label(values.height, paying),
            values.height,
            fmt.count(values.height),
        ),
        _kpi(
            "clv.expected_purchases",
            f"Expected purchases, {horizon}",
            purchases,
            clv.purchases_text(purchases),
        ),
        _kpi("clv.expected_value", f"Expected value, {horizon}", total, fmt.money(total, cur)),
        _kpi(
            "clv.mean_p_alive",
            "Mean P(alive)",
            p_alive,
            "not identified" if not alive else "a ranking only" if ranking else fmt.pct(p_alive),
        ),
    ]
    bought = clv.purchase_lines(ds.tables["lines"]).lines
    plan = clv.holdout_plan(bought, float(o["horizon"]), str(o["horizon_unit"]))
    cal_end = _day(o["calibration_end"]) or (plan.calibration_end if plan else None)
    last = bought["ordered_at"].max().date()
    units = (last - cal_end).days / clv.DAYS_PER_UNIT[unit] if cal_end else 0.0
    # The holdout check's caution on the totals, as the page gives it under them: the chosen
    # model on the holdout of the default horizon, whatever horizon the totals are for.
    miss = doubt = ""
    checked = clv.holdout_plan(bought, *clv.DEFAULT_HORIZON)
    if checked is not None:
        with contextlib.suppress(clv.FitError):
            check = clv.holdout_validation(
                ds.tables["lines"],
                checked.calibration_end,
                unit,
                float(o["penalizer"]),
                str(o["model"]),
            )
            miss = clv.holdout_miss(check.groups, check.holdout_units, unit, check.fit.label)
            doubt = clv.ranking_doubt(check.groups, check.holdout_units, unit, check.fit.label)
    caution = clv.holdout_caution(miss)
    blocks = [
        *([Block("Use these totals with care", caption=caution)] if caution else []),
        # As under the page's totals: a fit that cannot identify dropout only guesses them.
        *([] if alive else [Block("Expected purchases and value", caption=clv.DEGENERATE_TOTALS)]),
        # The page says why its Customers may exceed the other pages' (free purchases).
        *(
            [Block("Customers", caption=clv.customers_help(values.height, paying))]
            if values.height > paying
            else []
        ),
        Block(
            "Can the model be trusted on this data?",
            table=checks.with_columns(pl.col("verdict").replace(clv.VERDICT_LABELS)),
            reading=clv.trust_reading(checks, miss),
        ),
        Block("Fitted parameters", table=f["parameters"], kinds={"value": "significant"}),
    ]
    if spend:
        # As on the page: P(alive) that only ranks customers is shown as its percentile.
        alive_as = "p_alive_percentile" if ranking else "p_alive"
        shown = ["customer_id", "clv", "expected_purchases", alive_as, "expected_spend"]
        listed = clv.most_valuable(clv.p_alive_percentile(values), TABLE_ROWS).with_columns(
            (pl.col("p_alive_percentile") * 100).round(0)
        )
        blocks.append(
            Block(
                f"Most valuable over the next {horizon}",
                chart=charts.concentration_chart(values),
                table=listed.select(
                    [c for c in shown if c != alive_as or alive] + ["frequency", "spent"]
                ),
                reading=clv.concentration_reading(
                    values, cur, degenerate=not alive, doubted=clv.order_doubted(checks)
                ),
                kinds={"customer_id": "id", "expected_purchases": "number2", "p_alive": "pct"}
                | {"frequency": "count", "p_alive_percentile": "count"}
                | dict.fromkeys(("clv", "expected_spend", "spent"), "money2"),  # as the page's
                labels=clv.HEADERS,
                caption=doubt,  # as the page warns above its list
            )
        )
    blocks.append(
        Block("At risk", reading=clv.at_risk_reading(values, cur, ranking=ranking, checks=checks))
        if alive
        else Block("At risk", caption=clv.NO_AT_RISK)
    )
    comparison = f.get("comparison")  # none where the holdout check cannot be made
    if "holdout" in f:
        holdout = f["holdout"]
        # As on the page: a calibration fit that cannot tell when customers leave reads its
        # holdout as over this window only.
        blind = comparison.filter(
            (pl.col("model") == clv.MODELS[str(o["model"])])
            & (pl.col("dropout") == "not identified")
        )
        blocks.append(
            Block(
                "Holdout check: purchases",
                chart=charts.holdout_purchases_chart(holdout, unit),
                reading=clv.holdout_reading(holdout, units, unit, degenerate=blind.height > 0),
                caption=clv.holdout_plan_note(plan, unit) if plan else "",
                table=holdout,
                # The spend columns in money with cents, as the page's Holdout check prints them.
                kinds=dict.fromkeys(
                    (
                        "predicted_purchases",
                        "actual_purchases",
                        "mae_purchases",
                        "mae_flat",
                        "flat_z",
                        "order_r",
                        "order_z",
                    ),
                    "number2",
                )
                | {"total_error": "change"}
                | dict.fromkeys(("predicted_spend", "actual_spend"), "money2"),
                labels=clv.HEADERS,
            )
        )
        if holdout["actual_spend"].null_count() < holdout.height:
            blocks.append(
                Block(
                    "Holdout check: spend",
                    chart=charts.holdout_spend_chart(holdout, cur),
                    reading=clv.spend_reading(holdout, cur),
                )
            )
    else:  # as the page's Holdout check view: why it has none
        blocks.append(Block("Holdout check", caption=" ".join(f["notes"]["note"])))
    if comparison is not None:  # the models compared, even where the chosen one could not be
        blocks.append(
            Block(
                "Which purchase model predicts best?",
                chart=charts.tracking_chart(f["tracking"], cal_end) if cal_end else None,
                # the reading's paired test, as the page hides it
                table=comparison.drop("worse_z"),
                reading=clv.comparison_reading(
                    comparison, units, unit, chosen=clv.MODELS[str(o["model"])]
                ),
                kinds={"mae_purchases": "number3", "predicted_purchases": "number0"}
                | {"actual_purchases": "number0", "fitted_on": "count"},
                labels=clv.HEADERS,
                caption=clv.calibration_note(cal_end) if cal_end else "",
            )
        )
    return kpis, blocks


def _events(ds: Dataset, p: PageInput) -> Built:
    from lib.analyses import events as ev
    from lib.charts import events as charts

    f, o = p.frames, p.options
    window, score = int(o["window_days"]), str(o["score"])
    daily, steps = f["daily"], f["funnel"]
    flagged = daily.filter(pl.col("status") != "normal").height
    entire = steps.filter(pl.col("platform") == "all")
    overall = entire["overall_conversion"][-1] if entire.height else None
    total = daily["events"].sum()
    events = ds.tables["events"]
    users = events["user_id"].n_unique()
    platforms = events["platform"].n_unique() if "platform" in events.columns else 0
    # The page's viewed items ordered: of every (user, item) viewed, those the user ordered.
    items = f["conversion_by_item"]
    ordered = items["buyers"].sum() / items["viewers"].sum() if items["viewers"].sum() else None
    kpis = [
        _kpi("events.events", "Events", total, fmt.count(total)),
        _kpi("events.users", "Users", users, fmt.count(users)),
        _kpi("events.platforms", "Platforms", platforms, fmt.count(platforms)),
        _kpi("events.days_flagged", "Days flagged", flagged, fmt.count(flagged)),
        _kpi(
            "events.viewed_items_ordered",
            f"Viewed items ordered within {fmt.counted(window, 'day')}",
            ordered,
            fmt.pct(ordered),
        ),
        _kpi(
            "events.funnel_conversion",
            # As the page heads it: "Overall: View item → Add to cart".
            "Overall: "
            + (
                f"{fmt.value_words(entire['event_name'][0])} → "
                f"{fmt.value_words(entire['event_name'][-1])}"
                if entire.height
                else "—"
            ),
            overall,
            fmt.pct(overall),
        ),
    ]
    per_day = ev.events_per_day(ds.tables["events"], "event_name")
    blocks = [
        Block(
            "Events per day",
            chart=charts.daily_chart(per_day, daily, "Event name"),
            reading=ev.daily_reading(daily),
        ),
        Block(
            "Platforms and events",
            chart=charts.mix_chart(f["mix"]),
            reading=ev.mix_reading(f["mix"]),
        ),
        Block(
            "Active users per week",
            chart=charts.active_chart(f["active_users"], "week"),
            reading=ev.active_reading(f["active_users"], "week"),
        ),
    ]
    if "conversion_by_platform" in f:
        by_platform = f["conversion_by_platform"]
        blocks.append(
            Block(
                f"View → order conversion within {fmt.counted(window, 'day')}, by platform",
                chart=charts.conversion_bars(by_platform, "platform", "Platform"),
                caption=charts.conversion_bars_note(by_platform, "platforms"),
                reading=ev.platform_reading(by_platform, window),
            )
        )
    if "conversion_by_category" in f:
        by_category = f["conversion_by_category"]
        blocks.append(
            Block(
                "Conversion by category",
                chart=charts.conversion_bars(
                    by_category.with_columns(fmt.words_expr(pl.col("category"))),
                    "category",
                    "Category",
                ),
                caption=charts.conversion_bars_note(by_category, "categories"),
                reading=ev.category_reading(by_category, window),
            )
        )
    blocks.append(
        Block(
            "Funnel",
            chart=charts.funnel_chart(steps),
            reading=ev.funnel_reading(steps, window),
            table=steps,  # every platform's rows, as the page's table (and its reading) has them
            caption=charts.funnel_caption(entire["event_name"][0], window) if entire.height else "",
            # Codes in words, as the page's table writes them ('view_item' -> 'View item').
            kinds={"step": "count", "platform": "code", "event_name": "code"},
            labels=ev.FUNNEL_HEADERS,
        )
    )
    recs, pairs = f["recommendations"], f["pairs"]
    if recs.height:
        # The item headless recommended for: the one chosen, or the one the page opens on.
        item = str(o["item"]) or next(iter(ev.pair_items(pairs)), "")
        names = {}
        if "item_name_a" in pairs.columns:
            names = dict(pairs.select("item_a", "item_name_a").iter_rows())
            names |= dict(pairs.select("item_b", "item_name_b").iter_rows())
        label = f"{names[item]} ({item})" if names.get(item) else item
        blocks.append(
            Block(
                f"Viewed together with {label}",
                chart=charts.recommendations_chart(recs, score),
                reading=ev.recommendations_reading(
                    recs,
                    label,
                    ev.partners(pairs, item),
                    ev.ordered_items(ds.tables.get("lines")),
                ),
            )
        )
    if pairs.height:
        blocks.append(
            Block(
                "Top pairs viewed together",
                table=pairs,
                kinds={
                    "item_a": "id",
                    "item_b": "id",
                    "lift": "number1",
                    "cosine": "number3",
                    "category_a": "code",
                    "category_b": "code",
                },
            )
        )
    return kpis, blocks


BUILDERS: dict[str, Callable[[Dataset, PageInput], Built]] = {
    "sales": _sales,
    "categories": _categories,
    "regions": _regions,
    "delivery": _delivery,
    "funnel": _funnel,
    "rfm": _rfm,
    "cohorts": _cohorts,
    "clusters": _clusters,
    "clv": _clv,
    "events": _events,
}


# --- charts as Vega-Lite --------------------------------------------------------------------------


def _is_frame(value: object) -> bool:
    return isinstance(value, pl.DataFrame) or type(value).__name__ == "DataFrame"


def _inline(node: object) -> None:
    """Replace every data frame in a copied chart by its values, in place: the spec then never
    goes through altair's global data transformer (which Streamlit swaps on other threads) and
    has no row limit."""
    from altair.utils.data import to_eager_narwhals_dataframe, to_values

    if isinstance(node, alt.SchemaBase):
        for key, value in list(node._kwds.items()):  # the object's own attributes
            if key == "data" and _is_frame(value):
                node._kwds[key] = to_values(to_eager_narwhals_dataframe(value))
            else:
                _inline(value)
    elif isinstance(node, list | tuple):
        for item in node:
            _inline(item)
    elif isinstance(node, dict):
        for item in node.values():
            _inline(item)


def chart_spec(chart: alt.TopLevelMixin, width: int | str = "container") -> dict:
    """The chart as a Vega-Lite spec with its data inline and configured as the pages configure
    charts (charts.CONFIG: numbers signed as they sign them). A single or layered chart without
    a width of its own gets `width` ("container": as wide as the report's column)."""
    copy = chart.copy(deep=True)
    _inline(copy)
    spec = copy.to_dict(validate=False)
    # As charts.configured does (altair cannot configure a chart whose data is already inline).
    spec.setdefault("config", {}).update(CONFIG)
    if ("mark" in spec or "layer" in spec) and "width" not in spec:
        spec["width"] = width
    return spec


def _charts(sections: Sequence[Section]) -> list[tuple[str, str, alt.TopLevelMixin]]:
    """(id, title, chart) of every chart, in report order."""
    out = []
    for section in sections:
        for i, block in enumerate(section.blocks):
            if block.chart is not None:
                out.append(
                    (f"chart-{section.page}-{i}", f"{section.title}: {block.title}", block.chart)
                )
    return out


def chart_pngs(
    ds: Dataset,
    pages: Sequence[str],
    settings: Mapping[str, Mapping[str, object]] | None = None,
    *,
    rules: pl.DataFrame | None = None,
    sections: Sequence[Section] | None = None,
    scale: float = 2.0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, bytes]:
    """One PNG per chart of the report (the same charts), named like
    '01_sales_revenue_per_month.png', in report order. Pass `sections` to reuse built ones."""
    import vl_convert

    if sections is None:
        sections = report_sections(ds, pages, settings, rules=rules, progress=progress)
    charts = _charts(sections)
    out = {}
    for n, (_, title, chart) in enumerate(charts, start=1):
        if progress is not None:
            progress(f"Drawing chart {n} of {len(charts)}…")
        page, _, what = title.partition(": ")
        slug = re.sub(r"[^a-z0-9]+", "_", f"{page} {what}".lower()).strip("_")[:60]
        spec = chart_spec(chart, PNG_WIDTH)
        spec.setdefault("title", what)  # a slide has no heading of its own
        out[f"{n:02d}_{slug}.png"] = vl_convert.vegalite_to_png(spec, VEGA_LITE, scale=scale)
    return out


def zipped(files: Mapping[str, bytes]) -> bytes:
    """The files in one zip archive (for a single download of every chart's PNG)."""
    buffer = stdio.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# --- HTML -------------------------------------------------------------------------------------

_MD = re.compile(r"\\([!-/:-@\[-`{-~])|(\*\*)")


def markdown_html(text: str) -> str:
    """A reading (Markdown as the pages show it: names escaped with backslashes by fmt.plain,
    **bold**) as safe HTML: every character escaped, only bold kept; fmt.plain's word joiners
    dropped (HTML links nothing by itself)."""
    text = text.replace(fmt.JOINER, "")
    out, bold, at = [], False, 0
    for match in _MD.finditer(text):
        out.append(html.escape(text[at : match.start()]))
        if match.group(1) is not None:
            out.append(html.escape(match.group(1)))
        else:
            out.append("</strong>" if bold else "<strong>")
            bold = not bold
        at = match.end()
    out.append(html.escape(text[at:]))
    if bold:
        out.append("</strong>")
    return "".join(out)


_PCT = re.compile(r"(share|rate|conversion|roi|_low|_high|within_\d+d|relative)$")
_CHANGE = re.compile(r"(growth|error)$")  # signed, as the pages' change columns print them
# 'spenders' counts customers: a money word must end its column's name or a part of it.
_MONEY = re.compile(r"(revenue|profit|monetary|clv|spent|spend|aov|price|cost_per_customer)(_|$)")


def _kind(column: str, dtype: pl.DataType) -> str:
    if dtype == pl.Boolean:
        return "bool"
    if isinstance(dtype, pl.Datetime):
        return "datetime"
    if dtype == pl.Date:
        return "date"
    if not dtype.is_numeric():
        return "text"
    if _CHANGE.search(column):
        return "change"
    if _PCT.search(column):
        return "pct"
    if _MONEY.search(column) and not column.startswith(("score_", "sellers_")):
        return "money"
    return "count" if dtype.is_integer() else "number1"


def _cell(value: object, kind: str, currency: str) -> str:
    """One table cell as the pages print it (escaped)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if kind.startswith("pct"):
        return fmt.pct(value, int(kind[3:] or 1))
    if kind.startswith("money"):  # escaped too: the currency comes from the data
        # As the page's money column prints it (columns.money: printf of fmt.money_format, or
        # fmt.whole_money where amounts are negative): 'money' in whole units, its default,
        # 'money2' with cents whatever the amount, where the page asks for 2 decimals.
        return html.escape(fmt.whole_money(value, currency, int(kind[5:] or 0)))
    if kind == "count":
        return fmt.count(value)
    if kind == "change":
        return fmt.change(value, 1)
    if kind == "significant":  # a model's parameter, as the page prints it
        return fmt.significant(value, 4)
    if kind.startswith("number"):
        return fmt.number(value, int(kind[-1]))
    if kind == "bool":
        return "yes" if value else "no"
    if kind == "date":
        return fmt.day(value)
    if kind == "month":
        return fmt.month(value)
    if kind == "datetime":
        return f"{value:%Y-%m-%d %H:%M}" if value.hour or value.minute else fmt.day(value)
    if kind == "id":
        return html.escape(fmt.short_id(value))
    if kind == "code":
        return html.escape(str(fmt.value_words(value)))
    return html.escape(str(value))


_TEXT_KINDS = ("text", "id", "code", "bool")  # cells aligned left


def table_html(
    frame: pl.DataFrame,
    currency: str = "",
    kinds: Mapping[str, str] | None = None,
    rows: int = TABLE_ROWS,
    labels: Mapping[str, str] | None = None,
) -> str:
    """A data frame as an HTML table of its first `rows` rows, numbers formatted, text escaped;
    headers from `labels` (the page's), else the column name in words."""
    kinds = {c: (kinds or {}).get(c) or _kind(c, t) for c, t in frame.schema.items()}
    head = "".join(
        f'<th class="{"num" if kinds[c] not in _TEXT_KINDS else "txt"}">'
        f"{html.escape((labels or {}).get(c) or fmt.words(c))}</th>"
        for c in frame.columns
    )
    body = []
    for row in frame.head(rows).iter_rows():
        cells = "".join(
            f'<td class="{"num" if kinds[c] not in _TEXT_KINDS else "txt"}">'
            f"{_cell(v, kinds[c], currency)}</td>"
            for c, v in zip(frame.columns, row, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    more = (
        f'<p class="more">First {rows} of {frame.height:,} rows; the app downloads them all.</p>'
        if frame.height > rows
        else ""
    )
    return (
        f'<div class="table"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>{more}"
    )


def _script_json(value: object) -> str:
    """JSON that can sit inside a <script> element: no '<', '>' or '&' left as such."""
    text = json.dumps(value, allow_nan=False, default=str, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _finite(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script (from vl-convert, no network)."""
    import vl_convert

    return vl_convert.javascript_bundle(vl_version=VEGA_LITE).replace("</script", "<\\/script")


CSS = """
:root { --ink: #0f172a; --muted: #64748b; --line: #e2e8f0; --accent: #0f766e; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  margin: 0; background: #f8fafc; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 64px; background: #fff; }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 22px; margin: 40px 0 4px; padding-top: 16px; border-top: 3px solid var(--accent); }
h3 { font-size: 17px; margin: 28px 0 8px; }
.meta, .answers, .more, .caption, footer { color: var(--muted); }
.fingerprint { font-family: ui-monospace, Menlo, Consolas, monospace; background: #f1f5f9;
  padding: 1px 6px; border-radius: 4px; }
nav ol { columns: 2; padding-left: 20px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 10px;
  margin: 12px 0; }
.kpi { border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; }
.kpi .label { display: block; color: var(--muted); font-size: 13px; }
.kpi .value { display: block; font-size: 22px; font-weight: 600; }
.kpi .delta { display: block; font-size: 13px; color: var(--muted); }
.reading { border-left: 3px solid #f59e0b; padding: 2px 10px; margin: 8px 0; }
.notes li, .missing { color: #92400e; }
.chart { width: 100%; min-height: 40px; margin: 8px 0; }
.table { overflow-x: auto; } table { border-collapse: collapse; font-size: 13px; margin: 6px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 8px; vertical-align: top; }
th { background: #f1f5f9; text-align: left; } td.num, th.num { text-align: right;
  font-variant-numeric: tabular-nums; white-space: nowrap; } td.txt { max-width: 360px; }
.sev-error { color: #b91c1c; } .sev-warning { color: #b45309; } .sev-info { color: var(--muted); }
details summary { cursor: pointer; color: var(--muted); }
@media print { body { background: #fff; } main { max-width: none; padding: 0; }
  h2 { break-before: page; } .chart, table { break-inside: avoid; } }
"""

RENDER = """
(function () {
  var specs = JSON.parse(document.getElementById("storelens-specs").textContent);
  var options = {renderer: "svg", actions: {export: true, source: false, compiled: false,
    editor: false}};
  Object.keys(specs).forEach(function (id) {
    var el = document.getElementById(id);
    vegaEmbed(el, specs[id], options).then(function () { el.dataset.drawn = "yes"; })
      .catch(function (err) {
        el.dataset.drawn = "error";
        el.textContent = "This chart could not be drawn: " + err.message;
      });
  });
})();
"""


def _settings_html(section: Section) -> str:
    defaults = recipe.defaults(section.page)
    rows = []
    for name, value in section.options.items():
        label, shown = setting_words(section.page, name, value)
        changed = "" if value == defaults.get(name) else " (changed)"
        rows.append(f"<tr><td>{html.escape(label)}</td><td>{html.escape(shown)}{changed}</td></tr>")
    labels = recipe.FOLLOWED_VIEWS.get(section.page, {})
    rows += [
        f"<tr><td>{html.escape(labels[key])}</td><td>{html.escape(str(value))}</td></tr>"
        for key, value in section.views.items()
    ]
    return (
        "<details><summary>Settings used</summary><table><thead><tr><th>Setting</th>"
        f"<th>Value</th></tr></thead><tbody>{''.join(rows)}</tbody></table></details>"
    )


def _findings_html(findings: Sequence[quality.Finding]) -> str:
    rows = "".join(
        f'<tr><td class="sev-{f.info.severity}">{f.info.severity}</td>'
        f"<td>{html.escape(f.info.title)}</td><td>{html.escape(f.table)}</td>"
        f'<td class="num">{html.escape(f.info.units(f.count))}</td>'
        f"<td>{html.escape(f'{f.shown_share} of {f.share_of}')}</td>"
        f"<td>{html.escape(f.explained)}</td></tr>"
        for f in findings
    )
    return (
        '<div class="table"><table><thead><tr><th>Severity</th><th>Finding</th><th>Table</th>'
        '<th class="num">Count</th><th>Share</th><th>Why it matters</th></tr>'
        f"</thead><tbody>{rows}</tbody></table></div>"
    )


def _definitions_html(ds: Dataset, names: Sequence[str]) -> str:
    """The page's definitions (measures.definitions), one item each."""
    items = [
        f"<li><strong>{html.escape(m)}</strong>: {html.escape(text)}</li>"
        if m
        else f"<li>{html.escape(text)}</li>"
        for m, text in measures.definitions(ds, *names)
    ]
    return f"<ul>{''.join(items)}</ul>" if items else ""


def _section_html(ds: Dataset, section: Section, ids: Mapping[tuple[str, int], str]) -> str:
    parts = [
        f'<section id="page-{section.page}" class="page" data-page="{section.page}">',
        f"<h2>{html.escape(section.title)}</h2>",
        f'<p class="answers">{html.escape(section.answers)}</p>',
        _settings_html(section),
    ]
    if section.notes:
        notes = "".join(f"<li>{markdown_html(n)}</li>" for n in section.notes)
        parts.append(f'<ul class="notes">{notes}</ul>')
    if section.missing:
        parts.append(
            f'<p class="missing">Not available for this data: {markdown_html(section.missing)}</p>'
        )
        parts.append("</section>")
        return "\n".join(parts)
    kpis = "".join(
        f'<div class="kpi" data-kpi="{html.escape(k.key)}" data-value="'
        f'{"" if k.value is None else repr(k.value)}">'
        f'<span class="label">{html.escape(k.label)}</span>'
        f'<span class="value">{html.escape(k.shown)}</span>'
        + (f'<span class="delta">{markdown_html(k.delta)}</span>' if k.delta else "")
        + "</div>"
        for k in section.kpis
    )
    parts.append(f'<div class="kpis">{kpis}</div>')
    for i, block in enumerate(section.blocks):
        parts.append(f"<h3>{html.escape(block.title)}</h3>")
        if block.chart is not None:
            parts.append(f'<div class="chart" id="{ids[(section.page, i)]}"></div>')
        if block.reading:
            parts.append(f'<p class="reading">{markdown_html(fmt.sentence(block.reading))}</p>')
        if block.caption:
            parts.append(f'<p class="caption">{markdown_html(block.caption)}</p>')
        if block.table is not None and block.table.height:
            parts.append(table_html(block.table, ds.currency, block.kinds, labels=block.labels))
    if section.findings:
        parts.append("<h3>Data quality findings on the tables this page reads</h3>")
        parts.append(_findings_html(section.findings))
    if section.measures:
        parts.append("<h3>Definitions</h3>")
        parts.append(_definitions_html(ds, section.measures))
    parts.append("</section>")
    return "\n".join(parts)


def render_html(
    ds: Dataset,
    sections: Sequence[Section],
    *,
    files: Sequence[recipe.FilePrint] = (),
    notes: Sequence[str] = (),
    findings: quality.Report | None = None,
    made_at: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> str:
    """The report of built sections as one HTML document with every script inline."""
    hashes = recipe.table_hashes(ds)
    short = recipe.short_fingerprint(hashes)
    made_at = made_at or datetime.now()
    span = ds.date_range()
    dates = "no dates" if span is None else f"{fmt.day(span[0])} to {fmt.day(span[1])}"
    charts = _charts(sections)
    ids = {}
    for section in sections:
        for i, block in enumerate(section.blocks):
            if block.chart is not None:
                ids[(section.page, i)] = f"chart-{section.page}-{i}"
    if progress is not None and charts:
        progress(f"Writing {len(charts)} charts into the report…")
    specs = {cid: _finite(chart_spec(chart)) for cid, _, chart in charts}
    report = findings if findings is not None else quality.report(ds)
    title = f"Storelens report: {ds.name}"
    tables = "".join(
        f"<tr><td>{html.escape(name)}</td><td class='num'>{frame.height:,}</td>"
        f"<td class='num'>{frame.width}</td><td class='fingerprint'>{hashes[name]}</td></tr>"
        for name, frame in ds.tables.items()
    )
    source = "".join(
        f"<tr><td>{html.escape(p.name)}</td><td class='num'>{p.rows:,}</td>"
        f"<td class='num'>{p.columns}</td><td class='fingerprint'>{html.escape(p.hash)}</td></tr>"
        for p in files
    )
    toc = "".join(f'<li><a href="#page-{s.page}">{html.escape(s.title)}</a></li>' for s in sections)
    used = list(dict.fromkeys(m for s in sections for m in s.measures))
    head = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="Storelens">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{CSS}</style></head><body><main>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="meta" id="dataset" data-fingerprint="{short}">'
        f"{html.escape(ds.name)} · {html.escape(dates)}"
        + (f" · amounts in {html.escape(ds.currency)}" if ds.currency else "")
        + f' · fingerprint <span class="fingerprint">{short}</span>'
        f" · made {fmt.day(made_at)} {made_at:%H:%M}</p>",
    ]
    if notes:
        head.append(
            '<ul class="notes">' + "".join(f"<li>{markdown_html(n)}</li>" for n in notes) + "</ul>"
        )
    # Pages the data cannot support, said with what each needs, not left out silently.
    shown = {s.page for s in sections}
    lacking = [
        f"{info.title} (needs {', '.join(info.missing(ds))})"
        for page in recipe.ANALYSIS_PAGES
        if page not in shown and (info := catalog.PAGE_BY_KEY[page]).missing(ds)
    ]
    if lacking:
        head.append(
            f'<p class="missing">Not in this report, for want of data: '
            f"{html.escape('; '.join(lacking))}.</p>"
        )
    head += [
        f"<nav><strong>Pages</strong><ol>{toc}</ol></nav>",
        "<details><summary>The data: tables, rows and fingerprints</summary>",
        "<table><thead><tr><th>Table</th><th class='num'>Rows</th><th class='num'>Columns</th>"
        f"<th>Content hash</th></tr></thead><tbody>{tables}</tbody></table>",
        (
            "<table><thead><tr><th>File</th><th class='num'>Rows</th><th class='num'>Columns</th>"
            f"<th>Content hash</th></tr></thead><tbody>{source}</tbody></table>"
            if files
            else ""
        ),
        "</details>",
    ]
    if report.findings:
        head.append("<details><summary>Every data-quality finding</summary>")
        head.append(_findings_html(report.findings))
        head.append("</details>")
    body = [_section_html(ds, s, ids) for s in sections]
    tail = []
    if used:
        tail += [
            '<section id="definitions"><h2>Definitions</h2>',
            _definitions_html(ds, used),
            "</section>",
        ]
    tail += [
        f"<footer><p>Made with Storelens. Charts drawn in the browser by Vega-Lite {VEGA_LITE} "
        "from the script inside this file: it opens offline.</p></footer></main>",
        f'<script type="application/json" id="storelens-specs">{_script_json(specs)}</script>',
    ]
    if specs:
        tail += [f"<script>{_bundle()}</script>", f"<script>{RENDER}</script>"]
    tail.append("</body></html>")
    return "\n".join(head + body + tail)


def build_report(
    ds: Dataset,
    pages: Sequence[str],
    settings: Mapping[str, Mapping[str, object]] | None = None,
    *,
    rules: pl.DataFrame | None = None,
    files: Sequence[recipe.FilePrint] = (),
    notes: Sequence[str] = (),
    progress: Callable[[str], None] | None = None,
) -> str:
    """One self-contained HTML report of `pages` (analysis page keys, in the order given) for
    `settings` (page -> headless options; checked, bad values noted), with the RFM segment
    `rules` (None: the defaults), the loaded `files`' fingerprints and `notes` (e.g. a recipe's
    differences) at the top. `progress` hears, in words, what is being built."""
    findings = quality.report(ds)
    sections = report_sections(
        ds, pages, settings, rules=rules, findings=findings, progress=progress
    )
    return render_html(ds, sections, files=files, notes=notes, findings=findings, progress=progress)
