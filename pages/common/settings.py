"""Each page's controls as the headless options of lib/analyses/<page>.py, and its views (bound
widgets with no headless option): the one mapping that links, reports and recipes share."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from lib import catalog, fmt, recipe, state
from lib.analyses import bridge, clv, events, funnel, movement, rfm
from lib.analyses import categories as cat
from lib.model import Dataset

# What the Lifetime value page's model control shows -> the headless model name.
CLV_MODEL_KEYS = {label: key for key, label in clv.MODELS.items()}
# The RFM page's rule editor (a data editor: its edits are not a URL value, a recipe keeps them).
RULES_KEY = "rfm_rules"


def _same(value: object) -> object:
    return value


def _iso(value: object) -> str | None:
    return value.isoformat() if isinstance(value, date) else None


def _day(text: object) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def _joined(value: object) -> str | None:
    return ",".join(map(str, value)) if isinstance(value, list | tuple) else None


def _split(text: object) -> list[str]:
    return [part.strip() for part in str(text).split(",") if part.strip()]


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _whole(value: object) -> int | None:
    """`value` rounded to a whole number; None unless it is a finite number (inf has none)."""
    number = _number(value)
    return round(number) if number is not None and math.isfinite(number) else None


@dataclass(frozen=True)
class Control:
    """One widget of a page and the headless option it sets.

    key: the widget key ("{grain}" stands for the page's grain control); read: widget value ->
    option value (None: leave the option at its default); write: (checked options, data set)
    -> widget value (None: the widget opens on its own default). A control whose widget sets
    two options (a date range) reads each and writes once (write None on the second).
    """

    key: str
    option: str
    read: Callable[[object], object] = _same
    write: Callable[[Mapping[str, object], Dataset | None], object] | None = None


def _option(name: str, convert: Callable[[object], object] = _same):
    """A write that takes the option `name` as the widget value, through `convert`."""
    return lambda options, ds: convert(options[name])


def _sales_dates(options: Mapping[str, object], ds: Dataset | None) -> object:
    if not options.get("start") and not options.get("end"):
        return None
    if ds is None or not ds.has("lines", "ordered_at"):
        return None
    stamps = ds.tables["lines"]["ordered_at"]
    first, last = stamps.min().date(), stamps.max().date()
    return (_day(options["start"]) or first, _day(options["end"]) or last)


def _same_control(key: str, option: str, convert: Callable[[object], object] = _same) -> Control:
    return Control(key, option, write=_option(option, convert))


def _whole_control(key: str, option: str) -> Control:
    return Control(key, option, read=_whole, write=_option(option, int))


def _float_control(key: str, option: str) -> Control:
    return Control(key, option, read=_number, write=_option(option, float))


def _list_control(key: str, option: str) -> Control:
    """A multiselect: a comma-separated option."""
    return Control(key, option, read=_joined, write=_option(option, _split))


def _date_control(key: str, option: str) -> Control:
    """A date input: an ISO date option."""
    return Control(key, option, read=_iso, write=_option(option, _day))


CONTROLS: dict[str, tuple[Control, ...]] = {
    "sales": (
        _same_control("sales_bridge_previous", "bridge_previous"),
        _same_control("sales_bridge_current", "bridge_current"),
        Control(
            "sales_dates", "start", read=lambda v: _iso(v[0]) if v else None, write=_sales_dates
        ),
        Control("sales_dates", "end", read=lambda v: _iso(v[1]) if v and len(v) > 1 else None),
        _list_control("sales_categories", "categories"),
        _list_control("sales_regions", "regions"),
        _same_control("sales_grain", "grain"),
        _whole_control("sales_window_{grain}", "window"),
        _whole_control("sales_topn", "topn"),
        _same_control("sales_rank_by", "rank_by"),
        _same_control("sales_basket", "basket"),
    ),
    "categories": (
        _whole_control("categories_months", "months"),
        _same_control("categories_against", "against"),
        _whole_control("categories_min_orders", "min_orders"),
        _whole_control("categories_top", "top"),
        *(_float_control(f"categories_weight_{c}", f"weight_{c}") for c in cat.COMPONENTS),
    ),
    "regions": (
        _same_control("regions_metric", "metric"),
        _whole_control("regions_months", "months"),
        _same_control("regions_against", "against"),
        *(
            _float_control(f"regions_w_{n}", f"w_{n}")
            for n in ("size", "growth", "value", "repeat", "delivery")
        ),
    ),
    "delivery": (
        _whole_control("delivery_min_orders", "min_orders"),
        _same_control("delivery_metric", "metric"),
        _whole_control("delivery_follow_months", "follow_months"),
    ),
    "funnel": (
        _whole_control("funnel_top", "top"),
        _whole_control("funnel_min_count", "min_count"),
    ),
    "rfm": (
        _whole_control("rfm_bins", "bins"),
        *(_same_control(f"rfm_ties_{d}", f"{d}_ties") for d in rfm.DIMENSIONS),
        _date_control("rfm_as_of", "as_of"),
        _date_control("rfm_move_from", "compare_as_of"),
        _same_control("rfm_clean", "clean", bool),
        _same_control("rfm_grid_across", "across"),
    ),
    "cohorts": (
        _same_control("cohort_grain", "grain"),
        _same_control("cohort_metric", "metric"),
        _same_control("cohort_relative", "relative", bool),
        _whole_control("cohort_last_{grain}", "shown"),
        _float_control("cohorts_churn_quantile", "churn_quantile"),
    ),
    "clusters": (
        _list_control("clusters_features", "features"),
        _same_control("clusters_log", "log", bool),
        _whole_control("clusters_k", "k"),
        _float_control("clusters_margin", "margin"),
        _float_control("clusters_cost", "cost"),
    ),
    "clv": (
        _same_control("clv_unit", "unit"),
        Control("clv_horizon", "horizon", read=_whole, write=_option("horizon", round)),
        _same_control("clv_horizon_unit", "horizon_unit"),
        # The page asks for % a month; the option is a fraction.
        Control(
            "clv_discount",
            "discount",
            read=lambda v: None if _number(v) is None else round(float(v) / 100, 6),
            write=_option("discount", lambda v: round(float(v) * 100, 6)),
        ),
        _float_control("clv_penalizer", "penalizer"),
        Control(
            "clv_model", "model", read=CLV_MODEL_KEYS.get, write=_option("model", clv.MODELS.get)
        ),
        _date_control("clv_calibration_end", "calibration_end"),
    ),
    "events": (
        _whole_control("events_window_days", "window_days"),
        _list_control("events_steps", "steps"),
        _same_control("events_item", "item", str),
        _whole_control("events_min_support", "min_support"),
        _same_control("events_score", "score"),
    ),
}
# Widgets with no headless option that a restored recipe resets: its figures are the quantile
# scores the headless RFM computes.
RESET_ON_RESTORE = ("rfm_mode",)


@dataclass(frozen=True)
class View:
    """A bound widget of a page with no headless option: which view is shown, a chart's kind, a
    filter of what is shown. A recipe keeps its value under its key in the page's views
    (recipe.VIEWS_KEY); `kind` is the value's type (list: a multiselect's names). `choices`
    are the values the page offers, defined here once (the page takes them from view_choices;
    a mapping's keys are its values, its values what the page makes of them): a restored
    recipe's other values open the page's default with a note. Empty: the choices depend on
    the data (the page checks them when it opens, links.Checks)."""

    key: str
    kind: type = str
    choices: Sequence[object] | Mapping[object, object] = ()


VIEWS: dict[str, tuple[View, ...]] = {
    "sales": (
        View("sales_chart", choices=("bars", "line")),
        View(
            "sales_pattern",
            choices=(
                "Weekday × hour",
                "Basket size",
                "Repeat buying",
                "New vs returning",
                "Revenue bridge",
            ),
        ),
    ),
    "regions": (View("regions_density", bool),),
    "delivery": (
        View(
            "delivery_side",
            choices={"customer_region": "Customer state", "seller_region": "Seller state"},
        ),
        View("delivery_view", choices=("Month", "Category", "Seller", "Route")),
    ),
    "funnel": (
        View(
            "funnel_view",
            choices=(
                "Conversion",
                "Time to close",
                "Closed deals",
                "Reps",
                "Matching",
                "Data quality",
            ),
        ),
        View("funnel_mix", choices=funnel.DEAL_ATTRIBUTES),
    ),
    "rfm": (
        View("rfm_view", choices=("Segments", "R × F grid", "Profiles", "Customers", "Movement")),
        View("rfm_segment_filter", list),
        View("rfm_move_measure", choices=movement.MEASURES),
        View("rfm_move_pick"),
    ),
    "clusters": (View("clusters_view", choices=("Choosing k", "2-D map", "RFM segments")),),
    "clv": (View("clv_view", choices=("Customers", "Holdout check", "By RFM segment")),),
    "events": (
        View("events_split", choices={"Event name": "event_name", "Platform": "platform"}),
        View("events_mix_view", choices=("Platform × event", "Active users")),
        View("events_grain", choices=events.GRAINS),
        View("events_conv_by", choices=("Platform", "Category", "Item")),
        View("events_min_viewers", int),
    ),
}
_VIEW_BY_KEY = {view.key: view for views in VIEWS.values() for view in views}


def view_choices(key: str) -> Sequence[object] | Mapping[object, object]:
    """The choices the page offers for the view `key`, as VIEWS defines them."""
    return _VIEW_BY_KEY[key].choices


def _view_value(view: View, raw: object) -> object:
    """`raw` as the view's widget takes it, or None when it is not of the view's kind."""
    if view.kind is list:
        fits = isinstance(raw, list | tuple) and all(isinstance(v, str) for v in raw)
        return list(raw) if fits else None
    if view.kind is int:
        return _whole(raw)
    return raw if isinstance(raw, view.kind) else None


# The grain control whose value names a page's per-grain widget ("{grain}" in a key): its key,
# its option and its default.
GRAIN_KEYS = {
    "sales": ("sales_grain", "grain", "month"),
    "cohorts": ("cohort_grain", "grain", "month"),
}


def _key(page: str, control: Control, grain: object = None) -> str:
    if "{grain}" not in control.key:
        return control.key
    grain_key, _, default = GRAIN_KEYS[page]
    chosen = grain if grain is not None else state.value(grain_key) or default
    return control.key.format(grain=chosen)


def current(page: str) -> dict[str, object]:
    """The headless options of the page's controls as they stand in this session (options whose
    control was never shown are left out: the headless default is the page's; so are those left
    at the default the data gave them, the whole date range or the suggested k, so that a recipe
    replayed on next month's export follows its data), and under recipe.VIEWS_KEY the values of
    its views that were shown."""
    out: dict[str, object] = {}
    for control in CONTROLS.get(page, ()):
        key = _key(page, control)
        if not state.has(key) or state.at_data_default(key):
            continue
        value = state.value(key)
        if value is None:
            continue
        option = control.read(value)
        if option is not None:
            out[control.option] = option
    views = {
        view.key: shown
        for view in VIEWS.get(page, ())
        if (shown := _view_value(view, state.value(view.key))) is not None
    }
    if views:
        out[recipe.VIEWS_KEY] = views
    return out


def current_all() -> dict[str, dict[str, object]]:
    """current() of every analysis page that has any setting."""
    return {page: s for page in recipe.ANALYSIS_PAGES if (s := current(page))}


def widget_values(
    page: str, options: Mapping[str, object], ds: Dataset | None = None
) -> dict[str, object]:
    """The widget value of each of the page's controls for checked headless options
    (recipe.apply_settings): None where the option is at its default, so the widget opens on
    the page's own default (the suggested k, the whole date range...)."""
    defaults = recipe.defaults(page)
    grain = options.get(GRAIN_KEYS[page][1]) if page in GRAIN_KEYS else None
    out: dict[str, object] = {}
    by_key: dict[str, list[Control]] = {}
    for control in CONTROLS.get(page, ()):
        by_key.setdefault(_key(page, control, grain), []).append(control)
    for key, controls in by_key.items():
        at_default = all(options.get(c.option) == defaults.get(c.option) for c in controls)
        writer = next((c.write for c in controls if c.write is not None), None)
        out[key] = None if at_default or writer is None else writer(options, ds)
    if page in GRAIN_KEYS:  # the per-grain widgets of the other grains open on their defaults
        for other in _other_grains(page, grain):
            for control in CONTROLS[page]:
                if "{grain}" in control.key:
                    out.setdefault(control.key.format(grain=other), None)
    return out


def _other_grains(page: str, grain: object) -> list[str]:
    from lib.analyses import cohorts, sales

    grains = {"sales": sales.GRAINS, "cohorts": cohorts.GRAINS}.get(page, ())
    return [g for g in grains if g != grain]


@dataclass(frozen=True)
class Restored:
    """What restoring a recipe's settings did: notes (Markdown-escaped) for values moved or
    ignored, and the pages whose settings were set."""

    notes: tuple[str, ...]
    pages: tuple[str, ...]


def restore(settings: Mapping[str, Mapping[str, object]], ds: Dataset | None) -> Restored:
    """Every analysis page's controls and views set to `settings` (page -> headless options and
    views; a page, an option or a view not given goes back to its default), checked against
    the data first."""
    notes: list[str] = []
    unknown = [p for p in settings if p not in recipe.ANALYSIS_PAGES]
    if unknown:
        pages = fmt.plural(len(unknown), "page")
        notes.append(f"Unknown {pages} ignored: {fmt.plain(', '.join(map(str, unknown)))}")
    for page in recipe.ANALYSIS_PAGES:
        applied = recipe.apply_settings(page, settings.get(page), ds)
        notes += [*applied.notes, *_periods_offered(page, applied.options)]
        for key, value in widget_values(page, applied.options, ds).items():
            state.set_value(key, value)
        notes += _restore_views(page, recipe.views_of(settings.get(page)))
    for key in RESET_ON_RESTORE:
        state.set_value(key, None)
    state.forget_scopes()
    return Restored(tuple(notes), tuple(p for p in settings if p in recipe.ANALYSIS_PAGES))


# What a bridge period of another kind than the Sales page offers is, in a note.
_PERIOD_KINDS = {"year": "a year", "days": "a date range"}


def _periods_offered(page: str, options: dict[str, object]) -> list[str]:
    """Notes (Markdown-escaped) for the revenue bridge periods in `options` that the Sales page
    does not offer (it offers quarters and months; headless takes a year or a date range too),
    each put back to its default, on which the page opens."""
    if page != "sales":
        return []
    notes = []
    for name in ("bridge_previous", "bridge_current"):
        value = options.get(name)
        kind = bridge.parse_period(str(value)).kind if value else "quarter"
        if kind in _PERIOD_KINDS:
            notes.append(
                f"Sales: {name} = {fmt.quoted(value)} is {_PERIOD_KINDS[kind]}; the page offers "
                "quarters and months, so it opens on its default"
            )
            options[name] = recipe.defaults(page)[name]
    return notes


def _restore_views(page: str, views: Mapping[str, object]) -> list[str]:
    """The page's views set to `views` (widget key -> value); a note (Markdown-escaped) for
    each unknown view, value of the wrong kind or value the page does not offer, which opens
    the page's default."""
    title = catalog.PAGE_BY_KEY[page].title
    known = {view.key: view for view in VIEWS.get(page, ())}
    notes = [f"{title}: unknown view {fmt.plain(key)} ignored" for key in views if key not in known]
    for key, view in known.items():
        value = None if key not in views else _view_value(view, views[key])
        if key in views and value is None:
            notes.append(
                f"{title}: view {key} = {fmt.plain(views[key])} is not a valid value; the page "
                "opens on its default"
            )
        elif value is not None and view.choices and value not in view.choices:
            offered = ", ".join(fmt.plain(c) for c in view.choices)
            notes.append(
                f"{title}: view {key} = {fmt.plain(value)} is not one of {offered}; the page "
                "opens on its default"
            )
            value = None
        state.set_value(key, value)
    return notes


def restore_rules(rules: pl.DataFrame | None, settings: Mapping[str, Mapping[str, object]]) -> None:
    """The RFM rule editor starts on a recipe's rules (None: the defaults)."""
    bins = settings.get("rfm", {}).get("bins", recipe.defaults("rfm")["bins"])
    try:
        bins = int(bins)
    except (TypeError, ValueError, OverflowError):  # OverflowError: inf
        bins = recipe.defaults("rfm")["bins"]
    state.restore_rules(bins, rules, RULES_KEY)
