"""The app started on a big local folder, in Streamlit's AppTest: the first run (the folder
summarised, or its cached summary opened), then each customer and sales page's first visit and
six moves of its main control, each timed, with the process's memory after each page.

Issue #16's check that every customer and sales page opens on 100M lines and reruns within
budget (README, "The app on a big local folder"). AppTest adds 30-60 ms a run that a server
does not spend. Run:

    .venv/bin/python bench/run.py --child-generate 100000000 /tmp/scale/r100m   # ~2 min
    .venv/bin/python bench/folder_app.py /tmp/scale/r100m [CACHE_FOLDER]

The summary is kept in CACHE_FOLDER (default: a new temporary folder, so the first run
summarises): give the same folder again to time a start from the cache.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Each page's main control (its session-state key) and the values it is moved to; None: from
# the page's own range (Sales' dates, the churn window's other quantiles).
MOVES: tuple[tuple[str, str, list | None], ...] = (
    ("sales", "sales_dates", None),
    ("regions", "regions_months", [1, 6, 2, 12, 4, 3]),
    ("rfm", "rfm_bins", [3, 4, 5, 3, 4, 5]),
    ("cohorts", "cohort_grain", ["week", "quarter", "month", "week", "quarter", "month"]),
    ("cohorts", "cohorts_churn_quantile", None),
    ("clv", "clv_horizon", [6, 18, 24, 3, 9, 12]),
    ("clusters", "clusters_k", [3, 5, 6, 2, 7, 4]),
)


def _values(key: str, now) -> list:
    """Six settings of a control whose values come from the page (`now`: its setting)."""
    if key == "sales_dates":
        first, last = now
        week, month, year = (timedelta(days=d) for d in (7, 30, 365))
        return [
            (last - week, last),
            (first, last),
            (last - year, last),
            (last - month, last),
            (first, last - timedelta(days=100)),
            (first, last),
        ]
    return [q for q in (0.75, 0.8, 0.9, 0.95) if q != now][:3] * 2


def _rss() -> float:
    """The process's resident memory now, in MB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main(folder: str, cache: str) -> None:
    os.environ["STORELENS_DATA"] = folder
    os.environ["STORELENS_CACHE"] = cache
    sys.path.insert(0, str(ROOT))
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=3600)

    def run() -> float:
        start = time.perf_counter()
        app.run()
        seconds = time.perf_counter() - start
        if app.exception or app.error:
            raise SystemExit(f"the page failed: {app.exception or [e.value for e in app.error]}")
        return seconds

    print(f"first run (summarised, or opened from the cache): {run():.1f} s, {_rss():.0f} MB")
    shown = None
    for page, key, values in MOVES:
        first = "-"
        if page != shown:
            app.switch_page(f"pages/{page}.py")
            first, shown = f"{run():.2f} s", page
        moves = []
        for value in values or _values(key, app.session_state[key]):
            app.session_state[key] = value
            moves.append(run())
        print(
            f"{page:9} {key:24} first visit {first}; moves "
            f"{', '.join(f'{m:.2f}' for m in moves)} s; {_rss():.0f} MB",
            flush=True,
        )
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else tempfile.mkdtemp())
