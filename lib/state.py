"""The only module that touches st.session_state: chosen data set, uploaded tables, mappings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import polars as pl
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

from lib import formats
from lib.formats import generic
from lib.io import RawTable
from lib.model import Dataset

DEMO_LABELS = {
    "marketplace": "Marketplace demo (Olist format)",
    "webshop": "Web shop demo",
    "retail": "Online retail demo",
}
FILES = "files"
SOURCE_LABELS = {**DEMO_LABELS, FILES: "My files"}

_SOURCE = "app_source"
_UPLOADS = "app_uploads"  # table name -> Upload
_SEEN = "app_seen_files"  # uploader file ids already read (or rejected)
_ERRORS = "app_upload_errors"  # file name -> message
_MAPPINGS = "app_mappings"  # table name -> generic.ColumnMapping
_ASSEMBLY = "app_files_assembly"
_UPLOAD_ROUND = "app_upload_round"  # bumped to give the uploader a new, empty widget


@dataclass(frozen=True)
class Upload:
    table: RawTable
    file_id: str


@st.cache_data(max_entries=3, show_spinner="Building the demo data set…")
def demo_assembly(kind: str) -> formats.Assembly:
    """The built-in demo of `kind`, read through the same format readers as an upload."""
    return formats.assemble_demo(kind, name=DEMO_LABELS[kind])


def init() -> None:
    """Choose the starting data set: `?demo=webshop` in the URL, else the marketplace demo."""
    if _SOURCE not in st.session_state:
        wanted = st.query_params.get("demo")
        st.session_state[_SOURCE] = wanted if wanted in DEMO_LABELS else "marketplace"
    for key, empty in ((_UPLOADS, {}), (_SEEN, set()), (_ERRORS, {}), (_MAPPINGS, {})):
        st.session_state.setdefault(key, empty)


def _sync_query() -> None:
    chosen = st.session_state[_SOURCE]
    if chosen in DEMO_LABELS:
        st.query_params["demo"] = chosen
    else:
        st.query_params.pop("demo", None)


def source_picker() -> None:
    """The sidebar's data set selector.

    Not bound to a session key: the app itself also switches source (an upload switches to My
    files), which a keyed widget would overwrite with the value the browser still shows.
    """
    current = st.session_state[_SOURCE]
    options = list(SOURCE_LABELS)
    chosen = st.selectbox(
        "Data set",
        options,
        index=options.index(current),
        format_func=SOURCE_LABELS.get,
        help="Three built-in demos, one per export format, or the files you uploaded on the "
        "Data page.",
    )
    if chosen != current:
        st.session_state[_SOURCE] = chosen
        _sync_query()


def _store():
    """st.session_state, once streamlit_app.py has framed this run."""
    if PagesManager.uses_pages_directory or _SOURCE not in st.session_state:
        # With a pages/ folder, Streamlit runs a page alone (no streamlit_app.py, so no sidebar or
        # session set-up) until some run calls st.navigation: a first visit straight to /data, or
        # any AppTest run. Turn that mode off and rerun through the app's navigation.
        PagesManager.uses_pages_directory = False
        st.rerun()
    return st.session_state


# Callbacks (on_click of buttons) run before the script and use st.session_state directly: the
# frame check above would stop them.


def source() -> str:
    return _store()[_SOURCE]


def uploader_key() -> str:
    """The file uploader's widget key: a new one empties the widget once its files are read."""
    return f"data_upload_{_store().get(_UPLOAD_ROUND, 0)}"


def files_read(file_ids: list[str]) -> None:
    """After reading uploaded files: free the uploader's copy of each, switch to the uploaded
    files and rerun, so that the sidebar shows them and the uploader is empty again.

    The tables keep everything the app needs; the uploader would otherwise hold every file's
    bytes (80 MB for a million CSV lines) for the whole session. Removing them goes through the
    upload manager of the script's context, as st.chat_input does with its files.
    """
    ctx = get_script_run_ctx()
    manager = getattr(ctx, "uploaded_file_mgr", None)  # None outside a script run
    if manager is not None:
        for file_id in file_ids:
            manager.remove_file(ctx.session_id, file_id)
    _store()[_UPLOAD_ROUND] = _store().get(_UPLOAD_ROUND, 0) + 1
    _store()[_SOURCE] = FILES
    _sync_query()
    st.rerun()


def assembly() -> formats.Assembly:
    """The assembly of the current source (a demo, or the uploaded files)."""
    chosen = source()
    if chosen in DEMO_LABELS:
        return demo_assembly(chosen)
    built = _store().get(_ASSEMBLY)
    if built is None:
        tables = [u.table for u in _store()[_UPLOADS].values()]
        built = formats.assemble(
            tables, _store()[_MAPPINGS], name="My files", key=f"files:{uuid.uuid4().hex}"
        )
        _store()[_ASSEMBLY] = built
    return built


def dataset() -> Dataset:
    return assembly().dataset


def require(table: str, *columns: str, hint: str = "") -> pl.DataFrame:
    """The table of the current data set; when it or a column is missing, explain and stop."""
    ds = dataset()
    if not ds.has(table, *columns):
        what = f"{table} table" + (f" with {', '.join(columns)}" if columns else "")
        st.info(f"This page needs a {what}, which {ds.name} does not have. {hint}")
        st.stop()
    return ds.tables[table]


def _changed() -> None:
    st.session_state.pop(_ASSEMBLY, None)


def seen(file_id: str) -> bool:
    return file_id in _store()[_SEEN]


def add_tables(tables: list[RawTable], file_id: str) -> None:
    """Store the tables read from one uploaded file (replacing tables of the same name)."""
    _store()[_SEEN].add(file_id)
    for table in tables:
        _store()[_UPLOADS][table.name] = Upload(table, file_id)
        _store()[_MAPPINGS].pop(table.name, None)
        _store()[_ERRORS].pop(table.file, None)
    _changed()


def add_error(file: str, message: str, file_id: str) -> None:
    _store()[_SEEN].add(file_id)
    _store()[_ERRORS][file] = message


def errors() -> dict[str, str]:
    return dict(_store()[_ERRORS])


def dismiss_error(file: str) -> None:
    st.session_state[_ERRORS].pop(file, None)


def uploaded_tables() -> list[RawTable]:
    return [u.table for u in _store()[_UPLOADS].values()]


def remove_table(name: str) -> None:
    st.session_state[_UPLOADS].pop(name, None)
    st.session_state[_MAPPINGS].pop(name, None)
    _changed()


def clear_files() -> None:
    for key in (_UPLOADS, _ERRORS, _MAPPINGS):
        st.session_state[key].clear()
    _changed()


def mapping(name: str) -> generic.ColumnMapping | None:
    return _store()[_MAPPINGS].get(name)


def set_mapping(name: str, value: generic.ColumnMapping) -> None:
    st.session_state[_MAPPINGS][name] = value
    _changed()


def clear_mapping(name: str) -> None:
    st.session_state[_MAPPINGS].pop(name, None)
    _changed()


# Values one page hands to another (e.g. the RFM page's segments, read by Clusters and Lifetime
# value), stored per data set so that a switch of data set never shows stale results.
_SHARED = "app_shared"


def share(name: str, value: object) -> None:
    """Publish `value` under `name` for the current data set."""
    _store().setdefault(_SHARED, {})[(dataset().key, name)] = value


def shared(name: str) -> object | None:
    """What another page published under `name` for the current data set, or None."""
    return _store().get(_SHARED, {}).get((dataset().key, name))
