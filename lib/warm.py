"""Heavy libraries imported once per process, in one thread, before pages use them."""

from __future__ import annotations

import gc
import importlib
import threading

# In the order pages need them: Streamlit's tables read pandas (st.dataframe imports it) on
# every page, the Overview included; charts and maps need altair and pydeck; only the model
# pages need the rest (2 s with scipy). A group loads once a page wants it (or, after a first page
# is drawn, every group), so a server's first page is never slowed by what it does not use.
GROUPS = (
    ("pandas", "pyarrow"),
    ("altair", "pydeck"),
    ("scipy.special", "sklearn.cluster", "sklearn.decomposition", "lifetimes"),
)
TABLES, CHARTS, MODELS = range(len(GROUPS))

_done = tuple(threading.Event() for _ in GROUPS)
_wanted = threading.Condition()
_wanted_up_to = [TABLES]  # the last group wanted so far
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
        for level, names in enumerate(GROUPS):
            with _wanted:
                _wanted.wait_for(lambda level=level: _wanted_up_to[0] >= level)
            for name in names:
                importlib.import_module(name)
            _settle()
            _done[level].set()
    finally:  # a failed import is raised again, readably, where a page imports it
        for done in _done:
            done.set()


_thread = threading.Thread(target=_import_all, name="storelens-imports", daemon=True)


def start(level: int = TABLES) -> None:
    """Begin the imports in a background thread (once per process), up to GROUPS[level].

    Two sessions that import pandas at the same moment on a cold server can see it partially
    initialised ("module 'pandas' has no attribute 'Timestamp'"); one thread importing them all,
    with every page waiting for the groups it uses, rules that out.
    """
    with _wanted:
        _wanted_up_to[0] = max(_wanted_up_to[0], level)
        _wanted.notify_all()
    with _start_lock:
        if _thread.ident is None:  # not started yet
            _thread.start()


def wait(level: int = MODELS) -> None:
    """Block until GROUPS[level] and every group before it are imported."""
    start(level)
    _done[level].wait()
