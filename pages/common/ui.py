"""Small rendering helpers every page shares (no analysis here)."""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable, Mapping

import polars as pl
import streamlit as st

from lib import fmt, io, local, measures, periods, state
from lib.model import Dataset


def reading(text: str) -> None:
    """The one-sentence plain-language reading under a chart."""
    st.caption(f":material/lightbulb: {fmt.sentence(text)}")


# Altair validates a chart's whole spec against the Vega-Lite schema each time Streamlit converts
# it: a third to a half of a chart-heavy page's rerun. The app skips that; the tests set
# STORELENS_VALIDATE_CHARTS=1 (tests/conftest.py), so every chart a page draws is still validated.
VALIDATE_CHARTS = os.environ.get("STORELENS_VALIDATE_CHARTS") == "1"


def chart(figure, **kwargs):
    """st.altair_chart(figure, **kwargs), its numbers signed as lib.fmt signs them ("-286", not
    Vega's "−286"), without the schema validation unless tests ask for it."""
    # Chart builders return the chart they built before for equal inputs (lib/charts/memo.py):
    # its localised copy is made once and kept on it. Instance attributes set this way beat the
    # class's; altair's own __setattr__ would store them as chart properties instead.
    ready = vars(figure).get("_storelens_ready")
    if ready is None:
        from lib import charts  # altair: a page that draws a chart has it already

        ready = charts.configured(figure)
        if not VALIDATE_CHARTS:
            object.__setattr__(ready, "to_dict", functools.partial(ready.to_dict, validate=False))
        object.__setattr__(figure, "_storelens_ready", ready)
    return st.altair_chart(ready, **kwargs)


def labelled(labels: Mapping) -> Callable[[object], str]:
    """A widget's format_func: the label of an option in `labels`, any other option as text.

    Made here, never in a page: a widget keeps its format_func for as long as the session keeps
    its value, and a function defined in a page holds that run's globals, with every frame in
    them, after the user has left the page."""
    return lambda option: labels[option] if option in labels else str(option)


def lines_word(ds: Dataset) -> str:
    """What a count of the data set's lines counts: lines, or a summarised folder's order rows
    (a few per order and customer, lib/local.py), which are no lines."""
    return "order rows" if local.summarised(ds) else "lines"


def deleted_note(ds: Dataset, ids: pl.Series, listed: str) -> None:
    """A caption when customers among `ids` (those `listed`: 'in this list') have a deleted
    account: a campaign cannot reach them (measures.deleted_customers)."""
    deleted = measures.deleted_customers(ds)
    if deleted is None or deleted.is_empty():
        return
    n = int(ids.is_in(deleted.implode()).sum())
    if n:
        st.caption(
            f":material/person_off: {n:,} of the {ids.len():,} customers {listed} "
            f"{'has a deleted account: it' if n == 1 else 'have deleted accounts: they'} cannot "
            "be contacted, so leave them out of campaigns (Data quality counts their orders after "
            "deletion)."
        )


def definitions(ds: Dataset, *names: str) -> None:
    """The definitions (lib/measures.py) behind the page's figures, as a caption."""
    st.caption(f":material/menu_book: {measures.caption(ds, *names)}")


def download(
    frame: pl.DataFrame | Callable[[], pl.DataFrame],
    name: str,
    key: str,
    label: str = "Download CSV",
) -> None:
    """A CSV download of `frame` (or of what it makes, when a function), built only when
    clicked, named `name` (io.file_stem: it may hold data, an item id)."""
    st.download_button(
        label,
        data=lambda: io.csv_bytes(frame() if callable(frame) else frame),
        file_name=f"{io.file_stem(name)}.csv",
        mime="text/csv",
        key=key,
        on_click="ignore",
        icon=":material/download:",
    )


def nothing_loaded(ds: Dataset) -> str:
    """Why a data set has no table, and what to do: what the loader said of known exports that
    make none alone (Olist's order items), files waiting for a mapping, or nothing loaded."""
    if ds.notes:
        return " ".join(f"{fmt.plain(n.file)}: {fmt.plain(n.message)}." for n in ds.notes)
    if state.uploaded_tables():
        return (
            "Your files are uploaded but none is a known export yet: map their columns on the "
            "Data page."
        )
    return (
        "No data loaded yet. Pick a demo in the sidebar, or upload your exports on the Data page."
    )


def against_label(against: str) -> str:
    """A growth comparison (periods.AGAINST) as its control names it."""
    return periods.AGAINST[against].capitalize()


def check_against(check, key: str) -> None:
    """Check the growth comparison control `key` of a page's links.Checks (`check`)."""
    check.choice(
        key, list(periods.AGAINST), "before", label="Compared with", format_func=against_label
    )


# The control of what growth compares the last full months with: the months before or the same
# months a year earlier. A page adds its key, bind and required=True (checked there by tests).
AGAINST_CONTROL = {
    "label": "Compared with",
    "options": list(periods.AGAINST),
    "default": "before",
    "format_func": against_label,
    "help": "The same months a year earlier compare a season with itself: a November peak "
    "against the quiet months before it would read as growth. It needs a year more history.",
}


def _opening_segments_and_warnings(ds: Dataset) -> tuple[pl.DataFrame, list[str]]:
    """Each customer's segment as the RFM page opens on `ds` (its headless defaults), and the
    warnings of the dimensions its rules read that cannot separate customers (as it says them).
    Named apart from the function that returned the segments alone: a cache entry is named by
    its function, and an entry of that one would not unpack in two."""
    from lib.analyses import rfm

    frames = rfm.headless(ds)
    read = rfm.rule_dimensions(rfm.default_rules(5))  # headless's 5 scores
    blind = frames["degenerate"].filter(pl.col("dimension").is_in(read))["warning"].to_list()
    return frames["customers"].select("customer_id", "segment"), blind


def rfm_segments(ds: Dataset) -> tuple[pl.DataFrame, str, list[str]]:
    """Each customer's RFM segment (customer_id, segment), a caption saying whose, and the RFM
    page's warnings on what the segments cannot tell apart (a score most customers share, such
    as one-time buyers' F): the RFM page's as it last showed them in this session, else those it
    opens on, computed here (a page that reads them needs no visit to the RFM page first)."""
    shown = state.shared("rfm_segments")
    if isinstance(shown, pl.DataFrame):
        blind = state.shared("rfm_blind") or []
        return shown, "RFM segments as the RFM page shows them with its current settings.", blind
    segments, blind = cached(
        _opening_segments_and_warnings, "Scoring the customers' RFM segments…"
    )(ds.key, ds)
    return (
        segments,
        "RFM segments as the RFM page opens (5 scores by quantiles, as of the day after the last "
        "order): settings chosen there follow here.",
        blind,
    )


def segments_blind(blind: list[str]) -> None:
    """The RFM page's warnings on what its segments cannot tell apart (rfm_segments), above a
    view of them (the CDNOW sample's one-time buyers, half its customers, scored F 1 to 3 by
    row order, read as three kinds of customer on CLV without a word)."""
    for warning in blind:
        st.warning(
            f"As the RFM page warns of these segments: {warning}",
            icon=":material/warning:",
        )


def _identity(fn) -> str:
    """What tells a cached function from every other: its file, module and name. The file
    matters for pages: every page runs as the module __main__, so two pages' functions of one
    name (Regions' and Seller funnel's cached_base) would otherwise share their results."""
    return f"{fn.__code__.co_filename}:{fn.__module__}.{fn.__qualname__}"


def cached(fn, label: str | None = None):
    """`fn(frame, **params)` cached at the page edge: with st.cache_data for the demos (shared
    by every session), in the session for uploaded data (state.session_cached).

    The call names the data it gets with `key` (the data set key plus any filters applied), so
    that the frame itself is never hashed: hashing a million rows would cost more than most
    analyses. Different analyses never share entries: the function's name is part of the key.

    While a call computes (a cache miss), the page says so in words: `label`, or words made from
    the function's name ("Computing customer table…"). Streamlit shows that text only once a step
    has taken half a second, so cache hits and quick steps stay silent.
    """
    name = _identity(fn)
    words = label or progress_label(fn.__name__)
    run = _runner(words)

    def call(key: str, frame: pl.DataFrame, **params):
        settings = tuple(sorted(params.items()))
        if key.startswith(state.UPLOAD_KEY):  # one session's data: cached in that session
            # repr: settings may hold dicts or lists (RFM's tie rules), which do not hash
            return state.session_cached(
                state.dataset().key,
                (name, key, repr(settings)),
                lambda: _computing(words, fn, frame, **params),
            )
        return run(name, key, settings, fn, frame)

    return call


def lapse_days(key: str, lines: pl.DataFrame) -> int | None:
    """The churn window of `lines` (churn.lines_lapse_days), computed once per data set: what
    the readings that weigh a quiet spell against it read (RFM grid, revenue bridge)."""
    from lib.analyses import churn

    return cached(churn.lines_lapse_days, "Measuring the days between purchases…")(key, lines)


def memo(max_entries: int = 10, show_spinner: str | bool = False):
    """st.cache_data for a page's own `fn(key, ...)`, whose first argument names the data set
    (arguments starting with "_" are not part of the cache key, as in st.cache_data); results
    of uploaded data are kept in the session instead (see cached)."""

    def wrap(fn):
        shared = st.cache_data(max_entries=max_entries, show_spinner=show_spinner)(fn)
        signature = inspect.signature(fn)
        name = _identity(fn)

        @functools.wraps(fn)
        def call(key: str, *args, **kwargs):
            if not key.startswith(state.UPLOAD_KEY):
                return shared(key, *args, **kwargs)
            bound = signature.bind(key, *args, **kwargs).arguments
            entry = (name, repr([(k, v) for k, v in bound.items() if not k.startswith("_")]))
            words = show_spinner if isinstance(show_spinner, str) else ""
            return state.session_cached(
                state.dataset().key, entry, lambda: _computing(words, fn, key, *args, **kwargs)
            )

        return call

    return wrap


def _computing(words: str, fn, *args, **kwargs):
    if not words:
        return fn(*args, **kwargs)
    with st.spinner(words, show_time=True):
        return fn(*args, **kwargs)


_VERBS = {
    "fit": "Fitting",
    "rank": "Ranking",
    "has": "Checking for",
    "find": "Finding",
    "build": "Building",
    "count": "Counting",
    "sorted": "Sorting",
}
_WORDS = {"kpis": "KPIs", "vs": "vs.", "co": "co-"}


def progress_label(name: str) -> str:
    """Progress words for a function name: `customer_table` -> "Computing customer table…"."""
    words = [_WORDS.get(w, w) for w in name.strip("_").split("_") if w]
    if len(words) > 1 and words[-1] == "by":  # conversion_by(..., by=...): the split is a param
        words.pop()
    if not words:
        return "Computing…"
    if words[0] in _VERBS:
        return " ".join([_VERBS[words[0]], *words[1:]]).replace("- ", "-") + "…"
    if words[0] == "by":  # by_month: figures by month
        words.insert(0, "figures")
    return " ".join(["Computing", *words]).replace("- ", "-") + "…"


@functools.cache
def _runner(label: str):
    """One st.cache_data wrapper of `_run` per progress text.

    Every wrapper wraps the same function, so they share one cache (and its 64 entries): only the
    words shown during a miss differ.
    """
    return st.cache_data(max_entries=64, show_spinner=label, show_time=True)(_run)


def _run(name: str, key: str, params: tuple, _fn, _frame: pl.DataFrame):
    return _fn(_frame, **dict(params))
