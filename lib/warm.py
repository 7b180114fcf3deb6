"""Heavy libraries imported once per process, in one thread, before pages use them."""

from __future__ import annotations

import gc
import importlib
import threading

# pandas first: the chart libraries and Streamlit's table code use it on nearly every page.
FIRST = ("pandas", "pyarrow", "altair", "pydeck")
# Only the model pages need these (2 s with scipy): they load once a first page has been drawn,
# or at once when a page that needs them is opened first, so they never slow the first page.
REST = ("scipy.special", "sklearn.cluster", "sklearn.decomposition", "lifetimes")

_first_done = threading.Event()
_rest_wanted = threading.Event()
_all_done = threading.Event()
_start_lock = threading.Lock()


def _settle() -> None:
    """Leave what the imports built out of every later full garbage collection.

    Streamlit collects garbage after each run of a page (`runner.postScriptGC`), before the
    browser hears that the run has finished: over the 200,000 objects that the libraries leave
    behind, that took 0.1-0.2 s of every rerun. Imports make no garbage worth freeing later.
    """
    gc.collect()
    gc.freeze()


def _import_all() -> None:
    try:
        for name in FIRST:
            importlib.import_module(name)
        _settle()
        _first_done.set()
        _rest_wanted.wait()
        for name in REST:
            importlib.import_module(name)
        _settle()
    finally:  # a failed import is raised again, readably, where a page imports it
        _first_done.set()
        _all_done.set()


_thread = threading.Thread(target=_import_all, name="storelens-imports", daemon=True)


def start(rest: bool = False) -> None:
    """Begin the imports in a background thread (once per process); `rest`: go on to REST.

    Two sessions that import pandas at the same moment on a cold server can see it partially
    initialised ("module 'pandas' has no attribute 'Timestamp'"); one thread importing them all,
    with every page waiting for it, rules that out.
    """
    with _start_lock:
        if _thread.ident is None:  # not started yet
            _thread.start()
    if rest:
        _rest_wanted.set()


def wait(heavy: bool = True) -> None:
    """Block until the first group (heavy=False) or every library (heavy=True) is imported."""
    start(rest=heavy)
    (_all_done if heavy else _first_done).wait()
