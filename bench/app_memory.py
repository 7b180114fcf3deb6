"""The running app, timed and weighed: page visits and control reruns per demo, then memory.

Run: `make bench-app` (needs the dev requirements and Debian's chromium). Budgets, DESIGN.md
section 7: first page rendered after start < 5 s; first visit of any page < 3 s and a rerun after
its main control moves < 0.3 s, on the demos; peak memory with 1M lines loaded and every page
visited < 1 GB. The first demo's Overview is the server's first page (its imports, the first
run): it is judged by the first render's budget, every later first visit by the 3 s one.

A page's rerun is the median of three moves of its main control, each to a setting the session
has not seen (so nothing comes from a cache), except where the control has fewer settings (RFM's
bins, the cohort grain: two moves).

Times are the app's own: from the rerun request the page sends (a click in the sidebar, a moved
control) until the browser has handled the run's last message (the run state,
`data-test-script-state`, says it has stopped). They include the server's run, the websocket and
whatever the browser's main thread does before it handles that message; charts that draw later
are left out. Memory is the Streamlit server process's resident set (VmRSS, peak
VmHWM). `--sections timing` or `--sections memory` runs one part.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lib import demo, io  # noqa: E402
from lib.catalog import PAGES  # noqa: E402
from tests.browser import (  # noqa: E402
    NEEDS,
    NEEDS_TEXT,
    browser_page,
    server_pid,
    streamlit_server,
    wait_for_app,
    wait_for_run,
)

HEADING = '[data-testid="stMain"] [data-testid="stHeading"]'
FIRST_VISIT_BUDGET_S = 3.0
FIRST_RENDER_BUDGET_S = 5.0  # the server's first page: its imports and first run come with it
RERUN_BUDGET_S = 0.3


# --- the main control of each page -------------------------------------------------------------


def _slider(key: str, press: str) -> Callable:
    def move(page) -> None:
        # Prefix match: some keys carry a suffix (clusters_k_4 is keyed by the suggested k).
        slider = page.locator(f'[class*="st-key-{key}"] input[type="range"]').first
        slider.scroll_into_view_if_needed()
        slider.focus()
        page.keyboard.press(press)

    return move


def _segment(key: str, label: str) -> Callable:
    def pick(page) -> None:
        button = page.locator(f".st-key-{key} button", has_text=label).first
        button.scroll_into_view_if_needed()
        button.click()

    return pick


def _number(key: str, value: str) -> Callable:
    def type_in(page) -> None:
        box = page.locator(f".st-key-{key} input").first
        box.scroll_into_view_if_needed()
        box.fill(value)
        box.press("Enter")

    return type_in


def _next_option(key: str) -> Callable:
    def choose(page) -> None:
        select = page.locator(f".st-key-{key} [role='combobox']").first
        select.scroll_into_view_if_needed()
        select.click()
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")

    return choose


def _sales_start_day(page) -> None:
    # The day, not the month: the start is the data's first day, and a month up can wrap round
    # to January, before it (the date input then sends nothing).
    day = page.locator('.st-key-sales_dates [aria-label="day, Dates start date"]')
    day.scroll_into_view_if_needed()
    day.click()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    page.locator('[data-testid="stMain"] h1').click()


# page key -> (what moves, how to get there first (untimed) or None, the moves in turn)
CONTROLS: dict[str, tuple[str, Callable | None, tuple[Callable, ...]]] = {
    "sales": ("start date +1 day, 3 times", None, (_sales_start_day,) * 3),
    "categories": (
        "growth window +1 month, 3 times",
        None,
        (_slider("categories_months", "ArrowRight"),) * 3,
    ),
    "regions": ("map metric: next, 3 times", None, (_next_option("regions_metric"),) * 3),
    "rfm": ("scores: 4, then 3 bins", None, (_segment("rfm_bins", "4"), _segment("rfm_bins", "3"))),
    "cohorts": (
        "cohort by week, then quarter",
        None,
        (_segment("cohort_grain", "week"), _segment("cohort_grain", "quarter")),
    ),
    "clusters": ("k +1, 3 times", None, (_slider("clusters_k", "ArrowRight"),) * 3),
    "clv": (
        "horizon 6, 9, 3 months",
        None,
        tuple(_number("clv_horizon", months) for months in ("6", "9", "3")),
    ),
    "delivery": (
        "min delivered orders 60, 70, 80",
        _segment("delivery_view", "Seller"),
        tuple(_number("delivery_min_orders", n) for n in ("60", "70", "80")),
    ),
    "funnel": (
        "landing pages shown +1, 3 times",
        None,
        (_slider("funnel_top", "ArrowRight"),) * 3,
    ),
    "events": (
        "conversion window +1 day, 3 times",
        None,
        (_slider("events_window_days", "ArrowRight"),) * 3,
    ),
}


_FIRST_SENT = "since => window.__storelens.sends.find(t => t >= since)"


def _timed(page, act: Callable, timeout_ms: int = 300_000) -> float:
    """Seconds from the first rerun request `act` makes until the script stops running."""
    before = page.evaluate("() => performance.now()")
    act(page)
    idle = wait_for_run(page, timeout_ms)
    sent = page.evaluate(_FIRST_SENT, before)
    if sent is None:
        raise RuntimeError("the control sent no rerun request")
    return max(idle - sent, 0.0) / 1000


def visit(page, key: str, title: str, timeout_ms: int = 300_000) -> float:
    """Open a page from the sidebar, in the same session (a new URL would start a new one).

    Returns the seconds until its script stopped running.
    """
    path = "" if key == "overview" else f"/{key}"  # the default page lives at /

    def click(page) -> None:
        page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
        page.wait_for_url(lambda url: urlparse(url).path.rstrip("/") == path, timeout=60_000)

    seconds = _timed(page, click, timeout_ms)
    wait_for_app(page, timeout_ms)
    return seconds


def _over(seconds: float | None, budget: float) -> str:
    if seconds is None:
        return "—"
    return f"{seconds:.2f}" + (" !" if seconds > budget else "")


def timings(kinds: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Per demo and page: first visit and the median rerun after the main control moves
    (seconds)."""
    rows: list[tuple[str, ...]] = []
    with streamlit_server() as url:
        for kind in kinds:
            with browser_page(width=1440, height=900) as page:
                page.goto(f"{url}/?demo={kind}")
                idle = wait_for_run(page, 300_000)
                opened = (idle - page.evaluate(_FIRST_SENT, 0)) / 1000
                wait_for_app(page)
                for info in (p for p in PAGES if p.built):
                    first = opened if info.key == "overview" else visit(page, info.key, info.title)
                    rerun, what = None, ""
                    control = CONTROLS.get(info.key)
                    enabled = not page.locator(NEEDS, has_text=NEEDS_TEXT).count()
                    if control and enabled:
                        what, setup, moves = control
                        if setup is not None:
                            setup(page)
                            wait_for_app(page)
                        times = []
                        try:
                            for move in moves:
                                times.append(_timed(page, move))
                                wait_for_app(page)
                            rerun = statistics.median(times)
                            what += f" ({', '.join(f'{t:.2f}' for t in times)})"
                        except Exception as exc:  # a control a page no longer has: say so, go on
                            what = f"{what} (failed: {type(exc).__name__})"
                            wait_for_app(page)
                    elif control:
                        what = "page not enabled by this data"
                    # The server's first page is its start: the first render's budget.
                    cold = not rows
                    if cold:
                        what = f"the server's first page (budget {FIRST_RENDER_BUDGET_S:g} s)"
                    rows.append(
                        (
                            kind,
                            info.title,
                            _over(first, FIRST_RENDER_BUDGET_S if cold else FIRST_VISIT_BUDGET_S),
                            _over(rerun, RERUN_BUDGET_S),
                            what,
                        )
                    )
    return rows


# --- memory with a million lines -----------------------------------------------------------------


def memory_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of `pid` in MB, from /proc/PID/status."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return tuple(float(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))


def reset_peak(pid: int) -> None:
    """Restart the peak (VmHWM) count of `pid` from its current resident set."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def memory(rows_wanted: int) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        generated = demo.demo("retail", rows=rows_wanted)
        [csv_path] = io.write_csv_tables(generated.files, tmp)
        size_mb = csv_path.stat().st_size / 1e6
        with browser_page() as page:
            start = time.perf_counter()
            with streamlit_server() as url:
                page.goto(url)
                page.locator(HEADING).first.wait_for(timeout=60_000)
                rows.append(
                    (
                        f"first page rendered after start (budget {FIRST_RENDER_BUDGET_S:g} s)",
                        f"{time.perf_counter() - start:.1f} s",
                    )
                )
                wait_for_app(page)
                pid = server_pid()
                rows.append(("after start, marketplace demo", f"{memory_mb(pid)[0]:.0f} MB"))

                visit(page, "data", "Data")
                began = time.perf_counter()
                page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
                    str(csv_path)
                )
                page.get_by_text("Online Retail: lines").first.wait_for(timeout=300_000)
                wait_for_app(page, timeout_ms=300_000)
                rows.append(
                    (
                        f"upload + load {rows_wanted:,} lines ({size_mb:.0f} MB CSV)",
                        f"{time.perf_counter() - began:.1f} s, {memory_mb(pid)[0]:.0f} MB",
                    )
                )
                peak = memory_mb(pid)[1]
                for info in (p for p in PAGES if p.built):
                    reset_peak(pid)
                    seconds = visit(page, info.key, info.title)
                    now, during = memory_mb(pid)
                    peak = max(peak, during)
                    rows.append(
                        (
                            f"visit {info.title}",
                            f"{seconds:.1f} s, {now:.0f} MB after, {during:.0f} MB peak",
                        )
                    )
                rows.append(("= peak memory (budget 1,024 MB)", f"{peak:.0f} MB"))
    return rows


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """A plain-text table with aligned columns."""
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--rows", type=int, default=1_000_000, help="retail lines to upload")
    args.add_argument("--demos", default=",".join(demo.KINDS), help="demos to time")
    args.add_argument("--sections", default="timing,memory", help="timing, memory or both")
    opts = args.parse_args()
    sections = set(opts.sections.split(","))
    print(f"load average at start: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    if "timing" in sections:
        rows = timings(tuple(opts.demos.split(",")))
        print(
            f"\nPage visits and reruns, seconds (budgets: first visit {FIRST_VISIT_BUDGET_S:g} s, "
            f"rerun {RERUN_BUDGET_S:g} s; ! = over)\n"
        )
        print(
            table(("demo", "page", "first visit", "rerun", "control moved (each rerun)"), rows),
            flush=True,
        )
    if "memory" in sections:
        print(f"\nMemory, {opts.rows:,} uploaded retail lines\n")
        print(table(("point in the run", "figure"), memory(opts.rows)))
    print(f"\nload average at end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
