"""The running app's first render and peak memory: start it, upload 1M lines, visit every page.

Run: `make bench-app` (needs the dev requirements and Debian's chromium). Budgets, DESIGN.md
section 7: first page rendered after start < 5 s; peak memory with 1M lines loaded and every page
visited < 1 GB. Memory is the Streamlit server process's resident set (VmRSS, peak VmHWM).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lib import demo, io  # noqa: E402
from lib.catalog import PAGES  # noqa: E402
from tests.browser import browser_page, streamlit_server, wait_for_app  # noqa: E402

HEADING = '[data-testid="stMain"] [data-testid="stHeading"]'


def server_pid() -> int:
    """The pid of this process's child running `streamlit run`."""
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        for pid in (task / "children").read_text().split():
            if b"streamlit" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return int(pid)
    raise RuntimeError("no streamlit child process found")


def memory_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of `pid` in MB, from /proc/PID/status."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return tuple(float(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))


def reset_peak(pid: int) -> None:
    """Restart the peak (VmHWM) count of `pid` from its current resident set."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def visit(page, key: str, title: str) -> None:
    """Open a page from the sidebar, in the same session (a new URL would start a new one)."""
    more = page.locator('[data-testid="stSidebarNavViewButton"]')
    if more.count() and "more" in more.inner_text().lower():
        more.click()
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
    path = "" if key == "overview" else f"/{key}"  # the default page lives at /
    page.wait_for_url(lambda url: urlparse(url).path.rstrip("/") == path, timeout=60_000)
    page.wait_for_timeout(500)  # let the rerun start before waiting for it to end
    wait_for_app(page, timeout_ms=300_000)


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--rows", type=int, default=1_000_000, help="retail lines to upload")
    opts = args.parse_args()

    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        generated = demo.demo("retail", rows=opts.rows)
        [csv_path] = io.write_csv_tables(generated.files, tmp)
        size_mb = csv_path.stat().st_size / 1e6
        with browser_page() as page:
            start = time.perf_counter()
            with streamlit_server() as url:
                page.goto(url)
                page.locator(HEADING).first.wait_for(timeout=60_000)
                rows.append(
                    (
                        "first page rendered after start (budget 5 s)",
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
                        f"upload + load {opts.rows:,} lines ({size_mb:.0f} MB CSV)",
                        f"{time.perf_counter() - began:.1f} s, {memory_mb(pid)[0]:.0f} MB",
                    )
                )
                peak = memory_mb(pid)[1]
                for info in (p for p in PAGES if p.built):
                    reset_peak(pid)
                    began = time.perf_counter()
                    visit(page, info.key, info.title)
                    now, during = memory_mb(pid)
                    peak = max(peak, during)
                    rows.append(
                        (
                            f"visit {info.title}",
                            f"{time.perf_counter() - began:.1f} s, {now:.0f} MB after, "
                            f"{during:.0f} MB peak",
                        )
                    )
                rows.append(("= peak memory (budget 1,024 MB)", f"{peak:.0f} MB"))
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


if __name__ == "__main__":
    main()
