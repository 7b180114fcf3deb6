"""Allocator settings: applied before polars loads, never over a setting the user made."""

import gc
import json
import os
import subprocess
import sys
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
