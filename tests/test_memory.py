"""Allocator settings: applied before polars loads, never over a setting the user made."""

import functools
import gc
import json
import os
import subprocess
import sys
import time
import types
import weakref
from pathlib import Path

import pytest

from lib import memory

ROOT = Path(__file__).resolve().parents[1]


def _fresh(code: str, env: dict[str, str]) -> dict:
    """Run `code` in a new interpreter (no polars loaded yet); it prints a JSON result."""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


CODE = (
    "import json, os, sys; from lib.memory import tune_allocators; applied = tune_allocators(); "
    "import polars; print(json.dumps({'applied': applied, "
    "'conf': os.environ.get('_RJEM_MALLOC_CONF')}))"
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc settings are Linux-only")
def test_a_fresh_process_gets_both_allocators_tuned():
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    out = _fresh(CODE, env)
    assert out["applied"] == {"jemalloc": True, "glibc": True}
    # polars puts its defaults first; ours come after them, so they win
    assert out["conf"].endswith("," + memory.JEMALLOC_CONF)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc settings are Linux-only")
def test_the_headless_twin_tunes_both_allocators_before_polars_loads():
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    code = (
        "import json, os; import lib.__main__; from lib import memory; "
        "print(json.dumps({'applied': memory.tune_allocators(), "
        "'conf': os.environ.get('_RJEM_MALLOC_CONF')}))"
    )
    out = _fresh(code, env)
    assert out["applied"] == {"jemalloc": True, "glibc": True}
    assert out["conf"].endswith("," + memory.JEMALLOC_CONF)  # after polars' defaults
    assert out["conf"].endswith(",narenas:1")


def test_a_setting_the_user_made_is_kept():
    out = _fresh(CODE, {**os.environ, "_RJEM_MALLOC_CONF": "dirty_decay_ms:5000"})
    assert out["conf"].endswith(",dirty_decay_ms:5000")
    assert memory.JEMALLOC_CONF not in out["conf"]


def test_too_late_for_jemalloc_once_polars_is_loaded_and_applied_once():
    import polars  # noqa: F401  (loaded by the test session anyway)

    assert memory.tune_allocators()["jemalloc"] is False
    # Every rerun of streamlit_app.py calls it: the settings are applied once per process.
    assert memory.tune_allocators() is memory.tune_allocators()


def test_give_back_frees_data_held_only_by_a_reference_cycle():
    class Holder:  # a page's function and its globals, in small
        pass

    holder = Holder()
    holder.me = holder
    gone = weakref.ref(holder)
    gc.disable()  # as on a quiet server: no collection runs by itself
    try:
        del holder
        assert gone() is not None  # the cycle keeps it alive
        memory.give_back()
        assert gone() is None
    finally:
        gc.enable()


def _page_runs(*pages: str) -> list[dict]:
    """The globals of every run of `pages` (file names in pages/) still reachable."""
    gc.collect()
    return [
        o
        for o in gc.get_objects()
        if isinstance(o, dict)
        and Path(str(o.get("__file__", ""))).name in pages
        and Path(str(o.get("__file__", ""))).parent.name == "pages"
    ]


@pytest.mark.parametrize(
    ("kind", "pages"),
    [("marketplace", ("cohorts.py", "clv.py", "delivery.py")), ("webshop", ("events.py",))],
)
def test_a_page_left_keeps_none_of_its_runs_alive(kind, pages):
    """A run's globals hold the page's frames (54 MB of new customer values per Lifetime value run
    on 100M lines). They went on living after the user left the page when a function defined in
    the page was handed to polars' map_elements (polars keeps the last 64, for every session)
    or given to a widget as its format_func (the session keeps it with the widget's value)."""
    from tests import apptest

    before = _page_runs(*pages)  # other tests' sessions, still open on these pages
    at = apptest.app(kind)
    at.run()
    for page in pages:
        at.switch_page(f"pages/{page}")
        at.run()
        at.run()
        assert not at.exception, at.exception
    at.switch_page("pages/overview.py")
    at.run()
    # A run's thread may still be winding down on a busy machine: what it holds goes within a
    # moment, what a leak holds stays.
    deadline = time.monotonic() + 5
    while True:
        alive = [run for run in _page_runs(*pages) if not any(run is old for old in before)]
        if not alive or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert [Path(run["__file__"]).name for run in alive] == [], _holders(alive)


def _page_functions(obj: object, depth: int = 3) -> list[str]:
    """Functions defined in a page (pages/*.py) that `obj` reaches through partials and
    closures, `depth` steps deep."""
    if depth == 0:
        return []
    if isinstance(obj, functools.partial):
        reached = [obj.func, *obj.args, *obj.keywords.values()]
        return [f for r in reached for f in _page_functions(r, depth - 1)]
    if not isinstance(obj, types.FunctionType):
        return []
    file = Path(str(obj.__globals__.get("__file__", "")))
    found = [f"{file.name}: {obj.__qualname__}"] if file.parent.name == "pages" else []
    for cell in obj.__closure__ or ():
        found += _page_functions(cell.cell_contents, depth - 1)
    return found


@pytest.mark.parametrize("kind", ["marketplace", "webshop"])
def test_downloads_made_when_clicked_hold_no_function_of_the_page(kind, monkeypatch):
    """Streamlit keeps a download's callable (made when clicked) until no session shows its
    button, cleaned after some later run: a function of the page in it kept that run's globals
    alive, every frame in them, past the user's visit (what made the test above fail now and
    then on a busy machine: clv.py <- <lambda> <- a closure cell)."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    from tests import apptest

    kept = []
    add = MediaFileManager.add_deferred
    monkeypatch.setattr(
        MediaFileManager,
        "add_deferred",
        lambda self, made, *args, **kw: kept.append(made) or add(self, made, *args, **kw),
    )
    at = apptest.app(kind)
    at.run()
    for page in sorted(p.name for p in (ROOT / "pages").glob("*.py")):
        at.switch_page(f"pages/{page}")
        at.run()
        assert not at.exception, (page, at.exception)
    assert len(kept) > 2  # Data quality's, Clusters' and Lifetime value's among them
    assert [f for made in kept for f in _page_functions(made)] == []


def _holders(runs: list[dict]) -> str:
    """What still refers to each run's globals, two steps back (a failure's message: the test
    fails now and then on a busy machine, and what holds the run tells a leak from a slow end)."""
    seen = {id(runs)}

    def named(obj: object) -> str:
        if isinstance(obj, types.FrameType):
            return f"frame {obj.f_code.co_name} ({obj.f_code.co_filename}:{obj.f_lineno})"
        name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
        return f"{type(obj).__name__}{f' {name}' if name else ''}"

    def referrers(obj: object) -> list[object]:
        return [r for r in gc.get_referrers(obj) if id(r) not in seen]

    lines = []
    for run in runs:
        seen.add(id(run))
        for holder in referrers(run):
            seen.add(id(holder))
            back = sorted({named(r) for r in referrers(holder)})[:8]
            lines.append(f"{Path(run['__file__']).name} <- {named(holder)} <- {back}")
    return "\n".join(lines)
