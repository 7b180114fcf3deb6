"""Links that reopen a view: every control is bound to the URL (bind="query-params"); the values a
link brings are checked before their widget is made, and a bad one is moved or dropped with a
short note, never an error. A link made on uploaded files waits for them."""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from datetime import date

import streamlit as st

from lib import fmt, recipe, state
from lib.model import Dataset

BIND = "query-params"  # every page control: `bind=links.BIND` (its key names the parameter)


def _text(raw: Sequence[str]) -> str:
    """A link's values as a note quotes them: escaped, and clipped (fmt.clipped)."""
    given = [r for r in raw if r.strip()]
    return fmt.plain(fmt.clipped(", ".join(given))) if given else "an empty value"


def _url_number(value: float | int) -> str:
    """A number as Streamlit writes it in the URL (5.0 -> "5")."""
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return str(int(value))
    return str(value)


class Checks:
    """The checks of one page run, made after its title: notes show under it.

    Each method goes just before the widget of `key` and leaves, in the URL and the session,
    a value that widget accepts: what the link says, moved into range or dropped with a note.
    With `data=True` the control depends on the data set: when another data set replaces the
    one it was set for, it goes back to `default`.
    """

    def __init__(self, page: str, ds: Dataset) -> None:
        self.page = page
        self.fresh = state.changed(f"data:{page}", ds.key)
        self._reset: set[str] = set()  # a fragment's rerun reuses this object: reset once
        self._notes = st.container()

    def note(self, text: str) -> None:
        """A short note under the page title (text already escaped)."""
        self._notes.caption(f":material/link: Link adjusted: {text}")

    def _settle(
        self,
        key: str,
        label: str,
        default: object,
        *,
        parse: Callable[[list[str]], tuple[object, str | None]],
        valid: Callable[[object], object],
        url: Callable[[object], list[str]],
        data: bool,
    ) -> None:
        if data:
            state.remember_default(key, default)
        if data and self.fresh and key not in self._reset and state.has(key):
            self._reset.add(key)
            state.set_value(key, default)
            return
        raw = state.url_values(key)
        if raw:
            # problem None: the widget takes the URL as it is; "": a value it would misread
            # (an option's name, a repeat), rewritten silently; else rewritten with a note
            value, problem = parse(raw)
            if problem is not None:
                if problem:
                    self.note(f"{label}: {problem}")
                state.reseed(key, None if value == default else url(value))
                if state.has(key):  # a widget seen before reads the session, not the URL
                    state.set_value(key, value)
            return
        if state.has(key):
            current = state.value(key)
            fixed = valid(current)
            if fixed != current:
                state.set_value(key, fixed)

    def basis(self, key: str, token: Hashable, default: object) -> None:
        """A control that opens on a computed default (the suggested k): when what it was
        computed from changes, the control moves to the new default."""
        state.remember_default(key, default)
        if state.changed(f"basis:{self.page}:{key}", token) and state.has(key):
            state.set_value(key, default)

    def choice(
        self,
        key: str,
        options: Sequence,
        default: object,
        *,
        label: str,
        format_func: Callable[[object], str] = str,
        data: bool = False,
    ) -> None:
        """Before a single choice (segmented control, selectbox, select slider): the URL holds
        the choice as shown (format_func); an option's own name is taken too."""
        shown = {str(format_func(o)): o for o in options}
        named = {str(o): o for o in options}

        def parse(raw: list[str]) -> tuple[object, str | None]:
            text = raw[-1]
            if text in shown:
                return shown[text], (None if len(raw) == 1 else "")
            if text in named:
                return named[text], ""
            if data:
                return default, f"{_text([text])} is not in this data; ignored"
            return default, (
                f"{_text([text])} is not one of {fmt.plain(', '.join(shown))}; "
                f"showing {fmt.plain(format_func(default))}"
            )

        self._settle(
            key,
            label,
            default,
            parse=parse,
            valid=lambda v: v if v is None or v in options else default,
            url=lambda v: [str(format_func(v))],
            data=data,
        )

    def choices(
        self,
        key: str,
        options: Sequence,
        default: Sequence = (),
        *,
        label: str,
        format_func: Callable[[object], str] = str,
        data: bool = False,
    ) -> None:
        """Before a multiselect: names not among the options are dropped with a note."""
        shown = {str(format_func(o)): o for o in options}
        named = {str(o): o for o in options}
        default = list(default)

        def parse(raw: list[str]) -> tuple[object, str | None]:
            wanted = [t for t in raw if t != ""]
            if not wanted:  # ?key= : an explicit empty choice
                return [], None
            known, unknown = [], []
            for text in wanted:
                option = shown.get(text, named.get(text))
                if option is None:
                    unknown.append(text)
                elif option not in known:
                    known.append(option)
            renamed = [t for t in wanted if t not in shown and t in named]
            if not unknown:
                if renamed or len(known) != len(wanted):
                    return known, ""
                return known, None
            kept = known or default
            return kept, f"not in this data, ignored: {_text(unknown)}"

        self._settle(
            key,
            label,
            default,
            parse=parse,
            valid=lambda v: [o for o in v if o in options] if isinstance(v, list) else default,
            url=lambda v: [str(format_func(o)) for o in v] or [""],
            data=data,
        )

    def number(
        self,
        key: str,
        low: float,
        high: float,
        default: float,
        *,
        label: str,
        whole: bool = True,
        data: bool = False,
    ) -> None:
        """Before a slider or number input from `low` to `high`: moved into range."""

        def typed(value: float) -> float | int:
            return round(value) if whole else float(value)

        def parse(raw: list[str]) -> tuple[object, str | None]:
            text = raw[-1]
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if not math.isfinite(value):
                return default, f"{_text([text])} is not a number; showing {fmt.quoted(default)}"
            clamped = min(max(value, low), high)
            moved = typed(clamped)
            if clamped != value:
                span = (
                    f"below {fmt.quoted(low)}"
                    if math.isinf(high)
                    else f"outside {fmt.quoted(low)} to {fmt.quoted(high)}"
                )
                return moved, f"{_text([text])} is {span}; showing {fmt.quoted(moved)}"
            if moved != value or len(raw) > 1:  # not a whole number, or repeated: rewritten
                return moved, ""
            return moved, None

        def valid(value: object) -> object:
            if not isinstance(value, int | float) or isinstance(value, bool):
                return default
            return typed(min(max(value, low), high))

        self._settle(
            key,
            label,
            default,
            parse=parse,
            valid=valid,
            url=lambda v: [_url_number(v)],
            data=data,
        )

    def dates(
        self,
        key: str,
        low: date,
        high: date,
        default: date | tuple[date, date],
        *,
        label: str,
        data: bool = False,
    ) -> None:
        """Before a date input (a range when `default` is a pair): days moved into the data's
        range, a reversed range put in order."""
        pair = isinstance(default, tuple)

        def parse(raw: list[str]) -> tuple[object, str | None]:
            days = []
            for text in raw:
                try:
                    days.append(date.fromisoformat(text.strip()[:10]))
                except ValueError:
                    return default, f"{_text([text])} is not a date (YYYY-MM-DD); ignored"
            if not days or len(days) > (2 if pair else 1):
                return default, f"{_text(raw)} is not a {'date range' if pair else 'date'}; ignored"
            moved = [min(max(d, low), high) for d in days]
            problems = []
            if moved != days:
                problems.append(
                    f"{_text(raw)} is outside the data ({fmt.day(low)} to {fmt.day(high)})"
                )
            if pair and len(moved) == 2 and moved[0] > moved[1]:
                moved.reverse()
                problems.append("the range was reversed")
            value = tuple(moved) if pair else moved[0]
            if not problems:
                # Read but not as the widget writes it ('2023-03-01T00:00', ' 2023-03-01'): the
                # widget would misread it and open on its default, so it is rewritten.
                canonical = raw == [d.isoformat() for d in days]
                return value, None if canonical else ""
            shown = " to ".join(fmt.day(d) for d in moved)
            return value, f"{'; '.join(problems)}; showing {shown}"

        def valid(value: object) -> object:
            if pair:
                if not isinstance(value, tuple | list) or not value:
                    return value
                return tuple(min(max(d, low), high) for d in value)
            if not isinstance(value, date):
                return value
            return min(max(value, low), high)

        def url(value: object) -> list[str]:
            return [d.isoformat() for d in value] if pair else [value.isoformat()]

        self._settle(
            key,
            label,
            default,
            parse=parse,
            valid=valid,
            url=url,
            data=data,
        )

    def flag(self, key: str, default: bool, *, label: str) -> None:
        """Before a toggle: true or false."""

        def parse(raw: list[str]) -> tuple[object, str | None]:
            text = raw[-1].strip().lower()
            if raw in (["true"], ["false"]):  # as the widget writes it (' true' it misread)
                return text == "true", None
            if text in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                return text in ("true", "1", "yes", "on"), ""
            return default, f"{_text([raw[-1]])} is not on or off; ignored"

        self._settle(
            key,
            label,
            default,
            parse=parse,
            valid=lambda v: v if isinstance(v, bool) else default,
            url=lambda v: [str(v).lower()],
            data=False,
        )


# --- the data set of a link ----------------------------------------------------------------------


def file_names(prints: Sequence[recipe.FilePrint]) -> list[str]:
    """The files a user uploads to get these tables, in load order, once each."""
    return list(dict.fromkeys(p.file or p.name for p in prints))


def files_fingerprint() -> str | None:
    """The short fingerprint of the uploaded files (None when nothing is uploaded)."""
    if not state.uploaded_tables():
        return None
    return recipe.short_fingerprint(state.file_prints())


START_PAGES = ("", "home", "overview", "data", "quality")  # url paths of pages with no controls


def remember(first_run: bool, url_path: str) -> None:
    """A link made on uploaded files (`fp=` on the session's first run) waits for them, with the
    page it opened and its parameters. Opened on a start page, the first analysis page visited
    while waiting becomes the view to open."""
    target = state.link()
    if first_run:
        fingerprint = (state.url_values("fp") or [""])[-1]
        if fingerprint:
            state.wait_for_files(
                state.LinkTarget(
                    fingerprint, tuple(state.url_values("files")), url_path, state.url_params()
                )
            )
    elif target is not None and target.page in START_PAGES and url_path not in START_PAGES:
        state.wait_for_files(
            state.LinkTarget(target.fingerprint, target.files, url_path, state.url_params())
        )


def sync_url() -> None:
    """The data set in the URL: `demo=KIND` for a demo; for uploaded files, their names and
    fingerprint (`files=`, `fp=`), so that a copied link says what it needs."""
    source = state.source()
    if source in state.DEMO_LABELS:
        state.set_url("demo", [source])
        state.set_url("fp", None)
        state.set_url("files", None)
        return
    state.set_url("demo", None)
    fingerprint = files_fingerprint()
    if fingerprint is None:
        if state.link() is None:  # keep a waiting link's own parameters
            state.set_url("fp", None)
            state.set_url("files", None)
        return
    state.set_url("fp", [fingerprint])
    state.set_url("files", file_names(state.file_prints()))


def _describe(target: state.LinkTarget) -> str:
    """The files and fingerprint a link names, as its notes quote them (clipped: a link is
    anyone's text)."""
    names = fmt.clipped(", ".join(target.files), 200) or "the files it was made on"
    return f"{fmt.plain(names)} (fingerprint {fmt.plain(fmt.clipped(target.fingerprint, 40))})"


def follow(url_path: str, pages: dict[str, st.Page], data_page: st.Page) -> None:
    """A link made on uploaded files, opened without them: say which files it needs; once
    matching files are loaded, open the page it was made on with its settings."""
    target = state.link()
    if target is None or state.source() != state.FILES:
        return
    loaded = files_fingerprint()
    if loaded == target.fingerprint:
        state.drop_link()
        page = pages.get(target.page)
        if page is not None and url_path != target.page:
            st.switch_page(page, query_params=target.params)
        return
    if loaded is None:
        st.info(
            f"This link was made on uploaded files: {_describe(target)}. Load them on the Data "
            "page: the view opens as soon as matching files are loaded.",
            icon=":material/link:",
        )
        if url_path != "data":
            st.page_link(data_page, label="Load the files", icon=":material/upload_file:")
            st.stop()
        return
    left, right = st.columns([6, 1])
    left.warning(
        f"This link was made on {_describe(target)}; the files loaded now differ (fingerprint "
        f"{fmt.plain(loaded)}), so its figures may differ.",
        icon=":material/link_off:",
    )
    right.button("Dismiss", key="link_dismiss", on_click=state.drop_link)
