"""What leaves the app: a page's report and chart PNGs, the whole analysis's report, and the
recipe that rebuilds it. Reports take seconds, so they are built on request, with progress in
words, and kept until a setting, or a view the report follows, changes."""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable

import polars as pl
import streamlit as st

from lib import io, recipe, state
from lib.catalog import PAGE_BY_KEY
from lib.model import Dataset
from pages.common import settings

# What the sidebar's recipe is made of, in the session (see sidebar and settle).
_RECIPE_PARTS = "_storelens_recipe_parts"

HTML = "text/html"
ZIP = "application/zip"
TOML = "application/toml"


class NothingToSave(Exception):
    """A build with nothing to put in the file: the message says why."""


def analysis_pages(ds: Dataset) -> list[str]:
    """The analysis pages the data enables, in menu order (the whole analysis's report)."""
    return [p for p in recipe.ANALYSIS_PAGES if PAGE_BY_KEY[p].enabled(ds)]


def _rules_digest(rules: pl.DataFrame | None) -> object:
    return None if rules is None else repr(rules.to_dicts())


def _token(ds: Dataset, chosen: dict, rules: pl.DataFrame | None, pages: list[str]) -> str:
    """What a built report depends on: the data, the settings and the views it follows
    (recipe.followed: switching another view keeps it), the segment rules and its notes."""
    parts = (ds.key, recipe.followed(chosen), _rules_digest(rules), _notes(pages))
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _notes(pages: list[str]) -> list[str]:
    """What the report cannot carry of the pages' current views."""
    out = []
    if "rfm" in pages and state.value("rfm_mode") == "thresholds":
        out.append(
            "RFM: scored by quantiles here; the thresholds set on the page are not in the report."
        )
    return out


def _files() -> tuple[recipe.FilePrint, ...]:
    return state.file_prints() if state.source() == state.FILES else ()


def offer(
    slot: str,
    label: str,
    token: str,
    build: Callable[[Callable[[str], None]], bytes],
    *,
    what: str,
    file_name: str,
    mime: str,
    key: str,
    help: str,
) -> None:
    """A button that builds a file (`build(progress)`, showing progress in words) and then a
    button that saves it ("Save the `what`"); the built file is kept until `token` (the
    settings) changes."""
    held = state.built(slot)
    if held is not None and held[0] != token:
        state.drop_built(slot)
        held = None
    place = st.empty()  # the build button, then the save button in its place
    if held is None:
        # A callback, not the button's return value: it survives the rerun a page run alone
        # makes through the app's navigation (lib/state._store).
        place.button(
            label,
            key=key,
            icon=":material/description:",
            help=help,
            on_click=state.request_build,
            args=(slot,),
        )
        if not state.build_requested(slot):
            return
        with st.status("Starting…", expanded=False) as status:
            try:
                data = build(lambda words: status.update(label=words))
            except NothingToSave as nothing:
                status.update(label=str(nothing), state="error")
                return
            except Exception:  # a failed build says so; the page goes on
                logging.getLogger("storelens").exception("building %s failed", slot)
                status.update(
                    label="It could not be built: the details are in the server log.",
                    state="error",
                )
                return
            status.update(label=f"Ready ({io.size_text(len(data))})", state="complete")
        state.keep_built(slot, token, data)
        held = (token, data)
    place.download_button(
        f"Save the {what} ({io.size_text(len(held[1]))})",
        data=held[1],
        file_name=file_name,
        mime=mime,
        key=f"{key}_save",
        on_click="ignore",
        icon=":material/download:",
        type="primary",
    )


def page_tools(page: str, ds: Dataset) -> None:
    """The page's "Download report" and "Download charts (PNG, zip)", for its current settings."""
    chosen = {page: settings.current(page)}
    rules = state.rules() if page == "rfm" else None
    token = _token(ds, chosen, rules, [page])
    title = PAGE_BY_KEY[page].title

    def html(progress: Callable[[str], None]) -> bytes:
        from lib import report  # with altair: loaded when a file is made, not for every page

        text = report.build_report(
            ds,
            [page],
            chosen,
            rules=rules,
            files=_files(),
            notes=_notes([page]),
            progress=progress,
        )
        return text.encode("utf-8")

    def pngs(progress: Callable[[str], None]) -> bytes:
        from lib import report  # with altair: loaded when a file is made, not for every page

        sections = report.report_sections(ds, [page], chosen, rules=rules, progress=progress)
        files = report.chart_pngs(ds, [page], sections=sections, progress=progress)
        if not files:
            why = sections[0].missing if sections and sections[0].missing else "no chart"
            raise NothingToSave(f"No chart to draw: {why}")
        progress(f"Packing {len(files)} charts…")
        return report.zipped(files)

    # Side by side at their own widths (columns of set widths left a gap after the first).
    with st.container(horizontal=True):
        offer(
            f"report:{page}",
            "Download report",
            token,
            html,
            what="report",
            file_name=f"storelens_{page}_report.html",
            mime=HTML,
            key=f"{page}_export_report",
            help=f"One HTML file of the {title} page as set now: KPIs, charts, readings, key "
            "tables, the data-quality findings that affect them and the definitions. It opens "
            "offline in any browser.",
        )
        offer(
            f"charts:{page}",
            "Download charts (PNG, zip)",
            token,
            pngs,
            what="charts",
            file_name=f"storelens_{page}_charts.zip",
            mime=ZIP,
            key=f"{page}_export_charts",
            help="One PNG per chart of this page, for slides.",
        )


def sidebar(ds: Dataset) -> None:
    """The whole analysis's "Download report" and the "Download recipe", in the sidebar.

    What the recipe is made of is kept in the session for `settle` to bring up to date once the
    page, or a fragment of it, has run: a page opened from a link sets its controls during its
    own run, after the sidebar, and a fragment's rerun does not rerun the sidebar at all.
    """
    pages = analysis_pages(ds)
    held: dict = {"settings": settings.current_all(), "rules": state.rules()}
    st.session_state[_RECIPE_PARTS] = held
    if pages:
        token = _token(ds, held["settings"], held["rules"], pages)

        def html(progress: Callable[[str], None]) -> bytes:
            from lib import report  # with altair: loaded when a file is made

            text = report.build_report(
                ds,
                pages,
                settings.current_all(),
                rules=state.rules(),
                files=_files(),
                notes=_notes(pages),
                progress=progress,
            )
            return text.encode("utf-8")

        offer(
            "report:all",
            "Download report",
            token,
            html,
            what="report",
            file_name=f"storelens_report_{io.file_stem(ds.name)}.html",
            mime=HTML,
            key="app_export_report",
            help=f"The whole analysis in one HTML file: every page this data enables "
            f"({len(pages)}), as set now. It opens offline in any browser.",
        )
    source = state.source()
    demo = source if source in state.DEMO_LABELS else ""
    tables = [] if demo else state.uploaded_tables()
    mappings = state.mappings()
    name = ds.name

    def toml() -> str:
        made = recipe.make(
            tables,
            mappings=mappings,
            settings=held["settings"],
            rules=held["rules"],
            dataset=name,
            demo=demo,
            pages=pages,
        )
        return recipe.to_toml(made)

    if ds.tables:
        st.download_button(
            "Download recipe",
            data=toml,
            file_name="storelens_recipe.toml",
            mime=TOML,
            key="app_export_recipe",
            on_click="ignore",
            icon=":material/receipt_long:",
            help="A small TOML file with the column mappings, every page's settings, the segment "
            "rules and the data's fingerprint. Upload it on the Data page to restore them, or "
            "replay it: python -m lib report --recipe recipe.toml FILES...",
        )


def settle() -> bool:
    """After the page's or a fragment's run: the recipe takes the settings as they stand now.
    True when they changed since the sidebar's run or the last settle."""
    held = st.session_state.get(_RECIPE_PARTS)
    if held is None:
        return False
    now, rules = settings.current_all(), state.rules()
    before = held["rules"]
    same_rules = rules is before or (
        rules is not None and before is not None and rules.equals(before)
    )
    changed = now != held["settings"] or not same_rules
    held["settings"], held["rules"] = now, rules
    return changed


def fragment(body: Callable) -> Callable:
    """st.fragment for a part of a page whose controls rerun it alone. After each of its runs the
    recipe takes the settings as they stand (settle), as after a whole page's run; and when they
    changed while a report or zip built for the old ones waits above the fragment (the page's or
    the sidebar's save button), the whole page reruns, so that the button offers a new build.
    An error in it is logged and said in its place, as streamlit_app does for a page: Streamlit
    would show its own error box for a fragment before the app's handler sees it."""

    @st.fragment
    @functools.wraps(body)
    def run(*args, **kwargs):
        result = None
        try:
            result = body(*args, **kwargs)
        except Exception:  # noqa: BLE001 - the section's last line of defence
            logging.getLogger("storelens").exception("a section (%s) failed", body.__name__)
            st.error(
                "This part of the page could not finish with this data. Your data is still "
                "loaded: try other settings, or check the Data quality page. The details are in "
                "the server log."
            )
        finally:
            changed = settle()
        if changed and state.has_built() and state.fragment_run():
            st.rerun(scope="app")
        return result

    return run
