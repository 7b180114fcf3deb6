"""Allocator settings that keep a long-running app's memory near what it actually holds.

A page's analysis allocates a few hundred MB for a moment on a million lines. By default both
allocators keep freed memory for reuse. Polars' jemalloc holds freed pages for 0.5 s, then as
"muzzy" pages, which still count as resident, for 1 s more, and without a background thread it
returns them only when polars next allocates. glibc's malloc (numpy, pandas, Python) keeps them
in per-thread arenas and below a threshold that grows with every large block. Streamlit runs
each rerun in a new thread, so these moments add up, and the process grows well past what it
holds. `tune_allocators` makes both allocators give memory back soon. Call it before polars is
imported: the app and `python -m lib` do, first thing.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import os
import sys

# jemalloc (polars; appended to polars' own defaults, so it wins): purge freed pages after 0.5 s,
# skipping the muzzy stage, from a background thread; one arena for every thread, so that pages
# one thread freed serve the next thread's allocation (by default there are four arenas a core,
# each thread keeping to one): `python -m lib rfm` on 1M lines peaks at 270-281 MB instead of
# 311-323 MB, Sales' first visit on 1M lines in the app at 777-778 MB instead of 796-804 MB, in
# the same time.
JEMALLOC_CONF = "background_thread:true,dirty_decay_ms:500,muzzy_decay_ms:0,narenas:1"
# glibc mallopt parameters (malloc.h) and their values: two arenas for all threads, blocks of
# 1 MB or more mapped on their own (returned on free), the heap trimmed above 1 MB free.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8
GLIBC_SETTINGS = ((M_ARENA_MAX, 2), (M_MMAP_THRESHOLD, 1 << 20), (M_TRIM_THRESHOLD, 1 << 20))


@functools.cache
def tune_allocators() -> dict[str, bool]:
    """Apply the settings above where they apply, once per process; say which were applied.

    "jemalloc": the variable polars' allocator reads is set and polars was not imported yet (it
    reads it once, when loaded). A value already in the environment is left as it is.
    "glibc": the C library is glibc and accepted every setting (False elsewhere, e.g. on macOS,
    where nothing is changed).
    """
    os.environ.setdefault("_RJEM_MALLOC_CONF", JEMALLOC_CONF)
    applied = {"jemalloc": "polars" not in sys.modules, "glibc": False}
    try:
        libc = ctypes.CDLL(None)  # the symbols the process has loaded, the C library's among them
        applied["glibc"] = all(libc.mallopt(p, v) == 1 for p, v in GLIBC_SETTINGS)
    except (OSError, AttributeError):  # nothing to load, or a C library without mallopt
        pass
    return applied


def give_back() -> None:
    """Free what unreachable objects still hold and hand the C heap's free pages to the system.

    After a session's data is dropped: much of it sits in reference cycles (a page's functions
    and their globals), which only a full collection frees, and a quiet server may not run one
    for hours; glibc then keeps the freed pages inside its heaps unless asked to trim them.
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL(None).malloc_trim(0)
