"""The only module that touches st.session_state: chosen data set, uploaded tables, mappings."""

from __future__ import annotations

import functools
import logging
import sys
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl
import streamlit as st
from streamlit import runtime
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

from lib import catalog, fmt, formats, io, local, measures, memory
from lib.formats import base, generic
from lib.io import RawTable
from lib.model import Dataset, Note, empty_dataset, grain

DEMO_LABELS = {
    "marketplace": "Marketplace demo (Olist format)",
    "webshop": "Web shop demo",
    "retail": "Online retail demo",
}
FILES = "files"
SOURCE_LABELS = {**DEMO_LABELS, FILES: "My files"}
LOCAL = "local"  # the folder the app was started on (lib/local.py)

_SOURCE = "app_source"
_UNKNOWN_DEMO = "app_unknown_demo"  # a link's demo= naming no demo: said until one is picked
_UPLOADS = "app_uploads"  # table name -> Upload
_SEEN = "app_seen_files"  # uploader file ids already read (or rejected)
_ERRORS = "app_upload_errors"  # file name -> message
_MAPPINGS = "app_mappings"  # table name -> generic.ColumnMapping
_ASSEMBLY = "app_files_assembly"
_UPLOAD_ROUND = "app_upload_round"  # bumped to give the uploader a new, empty widget
_REMEMBERED = "app_remembered"  # frozenset of a mapped file's columns -> its mapping
_RESULTS = "app_results"  # (data set key, OrderedDict of cached results of uploaded data)
# Data set keys of uploads, and of the local folder, start with this: pages keep their results in
# the session, where a hit costs no copy (st.cache_data would unpickle millions of rows per call).
UPLOAD_KEY = "files:"
SESSION_RESULTS = 48  # results kept per session, oldest dropped first


@dataclass(frozen=True)
class Upload:
    table: RawTable
    file_id: str


# A resource, not data: the demos are immutable polars frames shared by every session, and
# st.cache_data would unpickle a fresh 15-20 MB copy on each of the 2-4 calls a rerun makes.
@st.cache_resource(max_entries=3, show_spinner="Building the demo data set…")
def demo_assembly(kind: str) -> formats.Assembly:
    """The built-in demo of `kind`, read through the same format readers as an upload."""
    return formats.assemble_demo(kind, name=DEMO_LABELS[kind])


def init() -> bool:
    """Choose the starting data set: `?demo=webshop` in the URL, My files for a link made on
    uploaded files (`?fp=`), else the marketplace demo. True on the session's first run."""
    first = _SOURCE not in st.session_state
    if first:
        wanted = st.query_params.get("demo")
        if wanted is not None and wanted not in DEMO_LABELS:
            st.session_state[_UNKNOWN_DEMO] = wanted  # said under the data set selector
        if wanted in DEMO_LABELS:
            st.session_state[_SOURCE] = wanted
        elif local_paths():
            st.session_state[_SOURCE] = LOCAL
        elif st.query_params.get("fp"):  # a link made on uploaded files: wait for them
            st.session_state[_SOURCE] = FILES
        else:
            st.session_state[_SOURCE] = "marketplace"
    for key, empty in ((_UPLOADS, {}), (_SEEN, set()), (_ERRORS, {}), (_MAPPINGS, {})):
        st.session_state.setdefault(key, empty)
    if first:
        _hold()
    return first


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
    options = [*SOURCE_LABELS, *([LOCAL] if local_paths() else [])]
    chosen = st.selectbox(
        "Data set",
        options,
        index=options.index(current) if current in options else 0,
        format_func=source_label,
        help="Three built-in demos, one per export format, or the files you uploaded on the "
        "Data page" + (", or the folder the app was started on." if local_paths() else "."),
    )
    if chosen != current:
        st.session_state[_SOURCE] = chosen
        st.session_state.pop(_UNKNOWN_DEMO, None)  # said until another data set is chosen
        _sync_query()
    unknown = st.session_state.get(_UNKNOWN_DEMO)
    if unknown is not None:
        st.caption(
            f":material/link: Link adjusted: demo = {fmt.plain(fmt.clipped(unknown))} is no "
            f"demo (one of {', '.join(DEMO_LABELS)}); showing {source_label(current)}"
        )


def source_label(chosen: str) -> str:
    """What the data set selector calls a source."""
    if chosen == LOCAL:
        return f"Folder: {', '.join(local_paths())}"
    return SOURCE_LABELS[chosen]


def local_paths() -> tuple[str, ...]:
    """The folder the app was started on: its arguments (`streamlit run streamlit_app.py --
    exports/`), else STORELENS_DATA; () when none. Never a path from a visitor."""
    started = Path(sys.argv[0]).name == "streamlit_app.py"  # not under pytest's AppTest
    return local.configured(sys.argv[1:] if started else [])


@dataclass
class _Opening:
    """A folder being summarised in a thread of its own: a rerun, a click elsewhere or a closed
    tab stops the script that waits for it, never the summary."""

    steps: list[str]  # what it is doing, in words, step by step
    done: threading.Event
    label: str = ""  # what it did, once done
    failed: bool = False
    result: formats.Assembly | None = None


_local_lock = threading.Lock()
_local: dict[str, _Opening] = {}  # the folder's key -> its opening (one kept)


def open_local() -> None:
    """When the local folder is the source: summarise it (or read its cached summary) once per
    server, with each step in words, before anything reads it."""
    if st.session_state.get(_SOURCE) == LOCAL:
        _local_assembly()


def _local_assembly() -> formats.Assembly:
    """The local folder's data set, shared by every session; a folder that cannot be read gives
    an empty data set with the reason as its message."""
    paths = local_paths()
    try:
        where = local.folder(paths)
    except ValueError as exc:
        return _unreadable(", ".join(paths), str(exc))
    with _local_lock:  # one summary per folder: a second tab waits for the first one's
        opening = _local.get(where.key)
        if opening is None:
            opening = _Opening([], threading.Event())
            _local.clear()
            _local[where.key] = opening
            threading.Thread(
                target=_summarise, args=(where, opening), name="storelens-local", daemon=True
            ).start()
    if not opening.done.is_set():
        with st.status(fmt.plain(f"Opening {where.name}…"), expanded=True) as status:
            shown = 0
            while not opening.done.wait(0.25) or shown < len(opening.steps):
                for words in opening.steps[shown:]:
                    status.write(fmt.plain(words))
                    shown += 1
            status.update(
                label=fmt.plain(opening.label),
                state="error" if opening.failed else "complete",
                expanded=False,
            )
    return opening.result


def _summarise(where: local.Folder, opening: _Opening) -> None:
    """Summarise `where` into `opening` (in its own thread)."""
    try:
        summary = local.summarise(where, opening.steps.append)
        ds = local.dataset(
            where.name, where.describe(), summary, key=f"{UPLOAD_KEY}local:{where.key}"
        )
        how = "from the cache" if summary.cached else f"summarised in {summary.seconds:,.1f} s"
        opening.label = (
            f"{where.name}: {summary.read_lines:,} lines as {summary.lines.height:,} order rows "
            f"({io.size_text(summary.lines.estimated_size())} in memory), {how}"
        )
        opening.result = formats.Assembly(ds, (), ())
    except Exception as exc:  # noqa: BLE001 - files that cannot be read must not stop the app
        logging.getLogger("storelens").exception("summarising %s failed", where.paths)
        opening.label, opening.failed = f"{where.name} could not be read", True
        opening.result = _unreadable(where.name, str(exc).strip().splitlines()[0])
    finally:
        memory.give_back()  # what summarising held (gigabytes on 100M lines)
        opening.done.set()


def _unreadable(name: str, reason: str) -> formats.Assembly:
    message = (
        f"{name}: {reason.rstrip('.')}. Give the app a folder of parquet or CSV files of order "
        "lines (order_id, customer_id, ordered_at, revenue or quantity and unit_price; or Online "
        "Retail's columns) and start it again."
    )
    return formats.Assembly(empty_dataset(name), (), (message,))


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
    if chosen == LOCAL:
        return _local_assembly()
    built = _store().get(_ASSEMBLY)
    if built is None:
        tables = [u.table for u in _store()[_UPLOADS].values()]
        built = formats.assemble(
            tables, _store()[_MAPPINGS], name="My files", key=f"{UPLOAD_KEY}{uuid.uuid4().hex}"
        )
        _store()[_ASSEMBLY] = built
    return built


def dataset() -> Dataset:
    return assembly().dataset


def _quoted(notes: list[Note]) -> list[str]:
    """Loader notes as a page quotes them: file, column and message, escaped."""
    return [fmt.plain(f"{n.file}, {n.column}: {n.message}.") for n in notes]


def require(table: str, *columns: str, hint: str = "") -> pl.DataFrame:
    """The table of the current data set; when it or a column is missing, explain and stop."""
    ds = dataset()
    if table == "lines" and (why := measures.only_unsold(ds)):
        st.info(f"In this data set, {why}.")
        st.stop()
    if not ds.has(table, *columns):
        # In words ("a delivery date"), as the Overview lists what a page lacks; the data set is
        # "this data set", not its name ("which My files does not have").
        named = " and ".join(
            catalog.NEEDED.get(c, f"a {c.replace('_', ' ')} column") for c in columns
        )
        what = f"{table} table" + (f" with {named}" if columns else "")
        article = "an" if table[0] in "aeiou" else "a"
        said = "which this data set does not have"
        # Columns read but without a value are said so, not said to be missing.
        frame = ds.tables.get(table)
        lacking = [c for c in columns if not ds.has(table, c)]
        if frame is not None and frame.height and all(c in frame.columns for c in lacking):
            words = " and ".join(
                catalog.NEEDED.get(c, c.replace("_", " ")).removeprefix("a ").removeprefix("an ")
                for c in lacking
            )
            verb = "is" if len(lacking) == 1 else "are"
            said = f"and in this data set the {words} of every {grain(table)} {verb} empty"
            # None of a column's values could be read: the loader's notes say which and why.
            why = base.emptied(ds.notes)[:2]
            hint = " ".join([*_quoted(why), hint])
        elif frame is not None and frame.height == 0:
            # Read, but every row left out: why (the loader's notes name the file and column)
            # comes first, not a request for a file the user uploaded (audit: Online Retail with
            # no readable UnitPrice was asked for "a transactions file").
            said = "and in this data set every one of its rows was left out as it was read"
            # Notes of files that lost every row (not another table's few: a review score
            # out of range was quoted for orders whose dates were unreadable).
            why = [n for n in base.dropped(ds.notes) if n.count == n.rows][:2]
            hint = " ".join(_quoted(why)) or hint
        # An Olist file under another's name (the reviews as olist_orders_dataset.csv): the
        # hint would ask for the file just uploaded, so what it holds is said first.
        misnamed = [m for r in assembly().recognitions if (m := formats.misnamed(r))]
        if misnamed:
            hint = " ".join(f"{fmt.plain(m)}." for m in misnamed) + f" {hint}"
        # Files read but waiting for their column mapping: the likeliest fix, said first.
        waiting = [fmt.plain(r.name) for r in assembly().unmapped(mappings())]
        if waiting:
            one = len(waiting) == 1
            hint = (
                f"{fmt.listed(waiting)} {'is' if one else 'are'} uploaded but not mapped yet: "
                f"confirm {'its' if one else 'their'} columns on the Data page. {hint}"
            )
        st.info(f"This page needs {article} {what}, {said}. {hint}")
        st.stop()
    return ds.tables[table]


def _changed() -> None:
    st.session_state.pop(_ASSEMBLY, None)


def seen(file_id: str) -> bool:
    return file_id in _store()[_SEEN]


_REPLACED = "app_replaced"  # names of loaded tables the last upload replaced (said once)
_KEPT = "app_kept"  # (loaded, new name) where an unknown upload did not replace a known table


def _known(upload: Upload) -> bool:
    """Whether a loaded table is read: a known export, or mapped."""
    name = upload.table.name
    return formats.recognise(upload.table).kind is not None or name in _store()[_MAPPINGS]


def _free_name(name: str) -> str:
    """'sales (2).csv', 'sales (3).csv', …: the first not loaded."""
    stem, dot, suffix = name.partition(".")
    n = 2
    while (free := f"{stem} ({n}){dot}{suffix}") in _store()[_UPLOADS]:
        n += 1
    return free


def add_tables(tables: list[RawTable], file_id: str) -> None:
    """Store the tables read from one uploaded file, replacing tables of the same name (said by
    replaced_tables on the next run); but a table no format knows, and no mapping was
    remembered for, does not replace one that is read (a known export, or mapped): it is kept
    beside it under a free name (kept_tables says so), and nothing loaded is lost."""
    _store()[_SEEN].add(file_id)
    remembered = _store().get(_REMEMBERED, {})
    renamed = []
    for table in tables:
        loaded = _store()[_UPLOADS].get(table.name)
        unknown = formats.recognise(table).kind is None
        mapped_before = frozenset(table.frame.columns) in remembered
        if loaded is not None and unknown and not mapped_before and _known(loaded):
            free = _free_name(table.name)
            _store().setdefault(_KEPT, []).append((table.name, free))
            table = replace(table, name=free)  # noqa: PLW2901 - stored under its new name
        renamed.append(table)
    tables = renamed
    _store().setdefault(_REPLACED, []).extend(
        t.name for t in tables if t.name in _store()[_UPLOADS]
    )
    for table in tables:
        _store()[_UPLOADS][table.name] = Upload(table, file_id)
        # A file with the columns of one mapped before (next month's export) is mapped alike.
        same = remembered.get(frozenset(table.frame.columns))
        if same is None:
            _store()[_MAPPINGS].pop(table.name, None)
        else:
            _store()[_MAPPINGS][table.name] = same
        _store()[_ERRORS].pop(table.file, None)
    _changed()


def replaced_tables() -> list[str]:
    """The loaded tables that uploads replaced since this was last asked (once each)."""
    return _store().pop(_REPLACED, [])


def kept_tables() -> list[tuple[str, str]]:
    """(name, new name) of the uploads that did not replace a loaded table of their name, kept
    beside it, since this was last asked (once each)."""
    return _store().pop(_KEPT, [])


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
    upload = st.session_state[_UPLOADS].get(name)
    if upload is not None:
        columns = frozenset(upload.table.frame.columns)
        st.session_state.setdefault(_REMEMBERED, {})[columns] = value
    _changed()


def mappings() -> dict[str, generic.ColumnMapping]:
    """Every confirmed column mapping: table name -> mapping."""
    return dict(_store()[_MAPPINGS])


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


def session_cached(key: str, entry: Hashable, compute: Callable[[], object]) -> object:
    """The result of `compute` for `entry`, kept in this session while `key` (the data set's key,
    not a page's derived cache key) names its data set.

    Results of uploaded data live in the session, not in Streamlit's shared cache: nobody else
    can use them, and they go when the data set is replaced or the session ends (the server
    drops a closed session after server.disconnectedSessionTTL), so memory comes back.
    """
    held = _store().get(_RESULTS)
    if held is None or held[0] != key:
        held = (key, OrderedDict())
        _store()[_RESULTS] = held
    results = held[1]
    if entry in results:
        results.move_to_end(entry)
        return results[entry]
    value = compute()
    results[entry] = value
    while len(results) > SESSION_RESULTS:
        results.popitem(last=False)
    return value


# --- controls in the URL, restored settings, built downloads -------------------------------------

_SCOPES = "app_scopes"  # name -> what a page's data-dependent controls were last set for
_BUILT = "app_built"  # slot -> (token, bytes) of a report or zip built on request
_BUILD_REQUESTS = "app_build_requests"  # slots whose build button was pressed
BUILT_KEPT = 3  # built reports and zips a session keeps (a whole report is 1-2 MB)
_RULES = "app_rules"  # the RFM segment rules in effect (None: the defaults)
_RULES_BASE = "app_rules_base"  # (bins, rules) a recipe restored: the rule editor starts on them
_LINK = "app_link"  # a link made on uploaded files, waiting for them: LinkTarget
_PRINTS = "app_prints"  # (data set key, FilePrints of the uploaded tables)
_RECIPE = "app_recipe"  # the last recipe applied: (file id, what it did)
_DATA_DEFAULTS = "app_data_defaults"  # a data-dependent control's key -> its data's default


def has(key: str) -> bool:
    """Whether a widget (or anything) has a value under `key` in this session."""
    return key in _store()


def value(key: str, default: object = None) -> object:
    """A widget's current value by its key (kept for a bound widget after its page is left)."""
    return _store().get(key, default)


def set_value(key: str, new: object) -> None:
    """Give the widget of `key` this value from its next appearance (None: its own default)."""
    if new is None:
        st.session_state.pop(key, None)
    else:
        st.session_state[key] = new


def remember_default(key: str, default: object) -> None:
    """The default a data-dependent control opens on for the data loaded (the whole date range,
    the suggested k), so that a recipe can leave out what the user left there."""
    st.session_state.setdefault(_DATA_DEFAULTS, {})[key] = default


def at_data_default(key: str) -> bool:
    """Whether the control of `key` stands at the default its data gave it (remember_default)."""
    defaults = _store().get(_DATA_DEFAULTS, {})
    return key in defaults and _store().get(key) == defaults[key]


def url_values(key: str) -> list[str]:
    """Every value the URL gives for `key` (repeated parameters in order; [] when absent)."""
    return st.query_params.get_all(key)


def url_params() -> dict[str, list[str]]:
    """The whole query string, repeated parameters kept."""
    return {k: st.query_params.get_all(k) for k in st.query_params}


def set_url(key: str, values: list[str] | None) -> None:
    """Write (None: remove) an unbound parameter of the URL, only when it differs."""
    if values is None:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get_all(key) != values:
        st.query_params[key] = values if len(values) != 1 else values[0]


def reseed(key: str, values: list[str] | None) -> None:
    """What a bound widget reads from the URL when it first appears, and what the address bar
    shows for it: `values` (None: nothing, the widget's default).

    A bound widget seeds itself from the query string the browser sent, before any code of ours
    can change st.query_params (which refuses bound keys anyway), and silently drops values it
    rejects; rewriting that seed lets a page move a bad value to the nearest good one instead.
    Streamlit 1.67 keeps the seed in QueryParams._initial_query_params.
    """
    from streamlit.runtime.state import get_session_state

    try:
        with get_session_state().query_params() as qp:
            seeds = qp._initial_query_params
            if values is None:
                seeds.pop(key, None)
                qp.remove_param(key)
            else:
                seeds[key] = list(values)
                if len(values) == 1:
                    qp.set_corrected_value(key, values[0], "string_value")
                else:
                    qp.set_corrected_value(key, list(values), "string_array_value")
    except (AttributeError, TypeError, KeyError):  # another Streamlit: set_value still applies
        logging.getLogger("storelens").warning("could not rewrite the URL seed of %s", key)


def changed(name: str, token: Hashable) -> bool:
    """Record `token` (e.g. the data set key) for `name`; True when it replaces another one, so
    controls that depend on it go back to their defaults. The first record is no change."""
    scopes = _store().setdefault(_SCOPES, {})
    before = scopes.get(name)
    scopes[name] = token
    return before is not None and before != token


def forget_scopes() -> None:
    """After restored settings: the next visit of each page takes them as they are."""
    st.session_state.pop(_SCOPES, None)


def built(slot: str) -> tuple[str, bytes] | None:
    return _store().get(_BUILT, {}).get(slot)


def keep_built(slot: str, token: str, data: bytes) -> None:
    """Keep a built file for its save button; a session holds the last BUILT_KEPT of them."""
    held = _store().setdefault(_BUILT, {})
    held.pop(slot, None)
    held[slot] = (token, data)
    while len(held) > BUILT_KEPT:
        held.pop(next(iter(held)))


def drop_built(slot: str) -> None:
    _store().get(_BUILT, {}).pop(slot, None)


def has_built() -> bool:
    """Whether a built report or zip waits for its save button in this session."""
    return bool(_store().get(_BUILT))


def fragment_run() -> bool:
    """Whether this run reruns fragments alone (a control inside one moved), not the page."""
    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def request_build(slot: str) -> None:
    """on_click of a build button: build `slot` in this run."""
    st.session_state.setdefault(_BUILD_REQUESTS, set()).add(slot)


def build_requested(slot: str) -> bool:
    """Whether `slot` was asked for (once: the request is taken)."""
    requests = _store().get(_BUILD_REQUESTS, set())
    if slot not in requests:
        return False
    requests.discard(slot)
    return True


def rules() -> pl.DataFrame | None:
    """The RFM segment rules in effect: the RFM page's edit, or restored ones (None: defaults)."""
    return _store().get(_RULES)


def set_rules(frame: pl.DataFrame | None) -> None:
    _store()[_RULES] = frame


def rules_base(bins: int) -> pl.DataFrame | None:
    """Rules a recipe restored for this many score bins, for the rule editor to start on."""
    held = _store().get(_RULES_BASE)
    return held[1] if held is not None and held[0] == bins else None


def restore_rules(bins: int, frame: pl.DataFrame | None, editor_key: str) -> None:
    """Start the rule editor (`editor_key`) afresh on `frame` (None: the defaults)."""
    st.session_state[_RULES_BASE] = None if frame is None else (bins, frame)
    st.session_state[_RULES] = frame
    st.session_state.pop(editor_key, None)


@dataclass(frozen=True)
class LinkTarget:
    """A link opened on uploaded files that this session does not have yet."""

    fingerprint: str
    files: tuple[str, ...]
    page: str  # url path of the page the link opened
    params: dict[str, list[str]]


def link() -> LinkTarget | None:
    return _store().get(_LINK)


def wait_for_files(target: LinkTarget) -> None:
    _store()[_LINK] = target


def drop_link() -> None:
    st.session_state.pop(_LINK, None)


def file_prints() -> tuple:
    """The FilePrints (lib.recipe.fingerprint) of the uploaded tables, once per data set."""
    from lib import recipe

    key = dataset().key
    held = _store().get(_PRINTS)
    if held is None or held[0] != key:
        held = (key, recipe.fingerprint(uploaded_tables()))
        _store()[_PRINTS] = held
    return held[1]


def use_source(chosen: str) -> None:
    """Switch the data set (a demo kind or FILES), as the sidebar picker does."""
    _store()[_SOURCE] = chosen
    _sync_query()


def recipe_applied(file_id: str) -> bool:
    held = _store().get(_RECIPE)
    return held is not None and held[0] == file_id


def keep_recipe(file_id: str, outcome: dict) -> None:
    _store()[_RECIPE] = (file_id, outcome)


def recipe_outcome() -> dict | None:
    """What applying the last recipe of this session did (for the Data page to say)."""
    held = _store().get(_RECIPE)
    return None if held is None else held[1]


# --- memory back when a session ends ------------------------------------------------------------
# Streamlit keeps a closed tab's session for server.disconnectedSessionTTL, so that a reconnecting
# tab finds its state, but removes an expired session only when its session storage is next
# written to (another tab disconnecting), and never shuts it down: on a quiet server the uploads
# of the last visitors, and the data behind their download buttons, would stay in memory for
# hours. Every session registers itself here, and one thread per server drops that data once
# the session has been disconnected for the TTL, when nothing can reconnect to it any more.

HEAVY = (_UPLOADS, _ASSEMBLY, _RESULTS, _SHARED, _BUILT, _PRINTS)  # what a released session drops
REAP_EVERY_S = 5.0
_held: dict[str, list] = {}  # session id -> [its session state, when first seen disconnected]
_held_lock = threading.Lock()


def _hold() -> None:
    """Register the running session for release after it ends (a no-op outside a server)."""
    ctx = get_script_run_ctx()
    if ctx is None or not runtime.exists():
        return
    with _held_lock:
        _held.setdefault(ctx.session_id, [ctx.session_state, None])
    _start_reaper(float(st.get_option("server.disconnectedSessionTTL")))


@functools.cache  # one thread per server process
def _start_reaper(grace: float) -> None:
    threading.Thread(
        target=_reap_forever, args=(grace,), name="storelens-reaper", daemon=True
    ).start()


def _reap_forever(grace: float) -> None:
    while True:
        time.sleep(REAP_EVERY_S)
        if not runtime.exists():
            continue
        try:
            server = runtime.get_instance()
            released = reap(time.monotonic(), server.is_active_session, grace)
            # Downloads built on click keep their data in the server's media manager until
            # the session shuts down, which an expired session never does.
            for session_id in released:
                server.media_file_mgr.clear_session_refs(session_id)
            if released:
                server.media_file_mgr.remove_orphaned_files()
                memory.give_back()
        except Exception:  # never let the thread die: the next round tries again
            logging.getLogger("storelens").exception("releasing closed sessions failed")


def reap(now: float, is_active: Callable[[str], bool], grace: float) -> list[str]:
    """Drop the uploaded data of every registered session that has been disconnected for
    `grace` seconds (seen disconnected at one round, released `grace` later); returns their ids.
    A session seen active again starts over."""
    released = []
    with _held_lock:
        for session_id, entry in list(_held.items()):
            session_state, since = entry
            if is_active(session_id):
                entry[1] = None
            elif since is None:
                entry[1] = now
            elif now - since >= grace:
                for key in HEAVY:
                    if key in session_state:
                        del session_state[key]
                del _held[session_id]
                released.append(session_id)
    return released
