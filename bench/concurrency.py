"""Many sessions at once: render times under load, the server's peak memory, and whether the
memory comes back once every session is closed (issue #13).

Run: `make bench-concurrency` (needs the dev requirements and Debian's chromium). Budgets,
DESIGN.md section 7: first visit of any page < 3 s (on the demos, one session); peak memory of
the app < 1 GB (1M lines loaded); memory after every session closed within 150 MB of a fresh
server within a minute (the config drops a closed session after
server.disconnectedSessionTTL = 30 s).

What it does, on one real server (localhost only) and one headless chromium:
1. records the server's resident memory once the first page has rendered (a fresh server);
2. opens 20 browser contexts on the demos (spread over marketplace, web shop and retail), each
   visiting Overview, Sales, RFM and Cohorts, and 2 contexts that upload 1M retail lines on the
   Data page and visit Sales, RFM and Clusters, all at the same time (asyncio, one browser);
3. samples the server's resident set (VmRSS of the server and its child processes) every
   0.25 s for the peak;
4. closes every context, samples every 5 s for 90 s and says whether memory came within
   150 MB of the fresh server within 60 s;
5. diagnostics: what Streamlit's shared caches hold (/_stcore/metrics), then one more short
   session opened and closed (a disconnect makes Streamlit's session storage drop the sessions
   whose TTL has run out: it only does so when written to) and memory sampled for 30 s more.

Times per page visit: "done" is from the click in the sidebar (or the URL opened, for the
first page) until the script's run state (`data-test-script-state`) says it has stopped, on
the page's own clock: the app's time, as in bench/app_memory.py. "settled" is the wall time
until the page has also stayed idle for 0.4 s and drawn its maps and charts (tests/browser.py's
wait_for_app): an upper bound of what a user waits. When a run was never seen running (too
quick, or the browser too busy), "done" is the server's last message instead (note "last
message"). A page that shows "This page needs ..." or an error is noted. The CPU line splits
the seconds used between the server and the browser: 22 tabs of one chromium on a small
machine load it as much as the server.

The server runs without Streamlit's file watcher (STREAMLIT_SERVER_FILE_WATCHER_TYPE=none): in
a working tree that is being edited, a saved file would make Streamlit reload the app's modules
under the running sessions. Every loop is bounded; the run stops itself (default cap 40 min).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lib import demo, io  # noqa: E402
from tests.browser import (  # noqa: E402
    _DONE,
    CHROMIUM_ARGS,
    NEEDS,
    NEEDS_TEXT,
    TRACKER,
    chromium_path,
    server_pid,
    streamlit_server,
)

DEMO_PAGES = (("overview", "Overview"), ("sales", "Sales"), ("rfm", "RFM"), ("cohorts", "Cohorts"))
UPLOAD_PAGES = (("sales", "Sales"), ("rfm", "RFM"), ("clusters", "Clusters"))
# A page that raised: streamlit_app.py's "could not finish" error, or Streamlit's traceback.
FAILED = (
    '[data-testid="stMain"] [data-testid="stAlert"]:has-text("could not finish"), '
    '[data-testid="stMain"] [data-testid="stException"]'
)
# The Data page's uploader of data files (keyed data_upload_<round>; not the recipe's).
UPLOADER = '[class*="st-key-data_upload"] [data-testid="stFileUploaderDropzoneInput"]'
CLOSE_MARGIN_MB = 150
PEAK_BUDGET_MB = 1024
FIRST_VISIT_BUDGET_S = 3.0
STEP_TIMEOUT_MS = 600_000  # one page visit or one upload, on a busy 2-core machine


# --- the server's memory -----------------------------------------------------------------------


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo and len(found) < 1000:  # bounded: a process tree, not a loop
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:  # the process ended meanwhile
            pass
    return found


def _status_kb(pid: int, name: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{name}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_s(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes `pids` have used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def cpu_split(server: int) -> tuple[float, float]:
    """CPU seconds so far of (the server and its children, the browser and Playwright's
    driver: every other process below this one)."""
    ours = set(_descendants(server))
    others = [p for p in _descendants(os.getpid()) if p not in ours and p != os.getpid()]
    return cpu_s(sorted(ours)), cpu_s(others)


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` and every process below it, in MB."""
    return sum(_status_kb(p, "VmRSS") for p in _descendants(pid)) / 1024


class Sampler(threading.Thread):
    """Samples rss_mb(pid) every `every` seconds until stopped (at most `limit` samples)."""

    def __init__(self, pid: int, every: float = 0.25, limit: int = 40 * 60 * 4) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.limit = pid, every, limit
        self.samples: list[tuple[float, float]] = []  # (monotonic time, MB)
        self.children = 0  # most child processes seen at once
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set() and len(self.samples) < self.limit:
            self.samples.append((time.monotonic(), rss_mb(self.pid)))
            self.children = max(self.children, len(_descendants(self.pid)) - 1)
            self._halt.wait(self.every)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)

    def peak(self) -> tuple[float, float]:
        """(MB, monotonic time) of the highest sample."""
        t, mb = max(self.samples, key=lambda s: s[1])
        return mb, t


def cache_metrics(url: str) -> dict[str, float]:
    """Streamlit's own cache figures (/_stcore/metrics): cache_memory_bytes summed per
    (cache type, function). Without server.enableExpensiveMemoryStats, st.cache_resource and
    session state report entry counts, not bytes; st.cache_data reports bytes."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/metrics", timeout=30) as r:
            text = r.read().decode()
    except OSError as exc:
        return {f"(metrics unavailable: {exc})": 0}
    sums: dict[str, float] = {}
    for line in text.splitlines():
        m = re.match(r"cache_memory_bytes\{(.*)\}\s+(\S+)", line)
        if not m:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        name = f"{labels.get('cache_type', '?')} {labels.get('cache', '?')}"
        sums[name] = sums.get(name, 0) + float(m.group(2))
    return sums


# --- browser sessions --------------------------------------------------------------------------


@dataclass
class Session:
    name: str
    kind: str  # a demo, or "upload"
    visits: list[tuple[str, float, float, str]] = field(default_factory=list)
    # (page title, done s, settled s, note)
    upload: list[float] | None = None  # [done s, settled s]
    error: str = ""
    dropped: int = 0  # websocket connections the browser saw close (it then reconnects)


def _local(url: str) -> bool:
    return urlparse(url).hostname in ("127.0.0.1", "localhost", None) or url.startswith(
        ("data:", "blob:", "about:")
    )


async def _new_context(browser, blocked: list[str]):
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(STEP_TIMEOUT_MS)
    context.set_default_navigation_timeout(STEP_TIMEOUT_MS)
    await context.add_init_script(RECEIVED)
    await context.add_init_script(TRACKER)

    async def refuse(route) -> None:  # the app runs offline: nothing leaves localhost
        blocked.append(route.request.url)
        await route.abort()

    await context.route(lambda url: not _local(url), refuse)
    return context


# The time of the last message the server sent: when a run is too quick (or the browser too
# busy) for the page to ever show it as "running", the tracker cannot say when it stopped.
RECEIVED = """
(() => {
  if (window.__bench) return;
  const b = window.__bench = { received: 0, opened: 0, closed: 0 };
  const Socket = window.WebSocket;
  window.WebSocket = class extends Socket {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", () => { b.received = performance.now(); });
      this.addEventListener("open", () => { b.opened += 1; });
      this.addEventListener("close", () => { b.closed += 1; });
    }
  };
})();
"""


async def _idle_at(page, timeout_ms: int) -> tuple[float, float]:
    """Wait until the script has run and stayed idle: the monotonic times it last stopped
    running and the server last sent a message."""
    await page.evaluate(TRACKER)
    await page.evaluate("() => { window.__storelens.since = performance.now(); }")
    await page.wait_for_function(_DONE, arg=[400, 5_000], timeout=timeout_ms, polling=100)
    now, idle, received = await page.evaluate(
        "() => [performance.now(), window.__storelens.idleAt, window.__bench.received]"
    )
    wall = time.monotonic()
    return wall - (now - idle) / 1000, wall - (now - received) / 1000


async def _settled(page, timeout_ms: int) -> None:
    """Maps have drawn their canvas; charts get 0.3 s to draw (as tests/browser.wait_for_app)."""
    await page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=\"stDeckGlJsonChart\"]')]"
        ".every(d => d.querySelector('canvas'))",
        timeout=timeout_ms,
    )
    await page.wait_for_timeout(300)


async def _timed(page, act, timeout_ms: int = STEP_TIMEOUT_MS) -> tuple[float, float, str]:
    """(done, settled) seconds of `act` (see the module's docstring), and "" or "last message"
    when the run was never seen running and `done` is the server's last message instead."""
    began = time.monotonic()
    await act()
    idle, received = await _idle_at(page, timeout_ms)
    await _settled(page, timeout_ms)
    settled = time.monotonic() - began
    if idle > began:
        return idle - began, settled, ""
    return max(received - began, 0.0), settled, "last message"


STARTED = time.monotonic()


def _log(session: Session, what: str, done: float, settled: float, how: str = "") -> None:
    print(
        f"  [{time.monotonic() - STARTED:6.0f} s] {session.name:<8} {session.kind:<11} {what:<16}"
        f" done {done:5.1f} s, settled {settled:5.1f} s {how}",
        file=sys.stderr,
        flush=True,
    )


async def _first(session: Session, page, url: str) -> None:
    done, settled, how = await _timed(page, lambda: page.goto(url, timeout=STEP_TIMEOUT_MS))
    session.visits.append(("Overview", done, settled, how))
    _log(session, "Overview", done, settled, how)


async def _visit(session: Session, page, key: str, title: str, record: bool = True) -> None:
    path = "" if key == "overview" else f"/{key}"

    async def click() -> None:
        await page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
        await page.wait_for_url(
            lambda u: urlparse(u).path.rstrip("/") == path, timeout=STEP_TIMEOUT_MS
        )

    done, settled, how = await _timed(page, click)
    if await page.locator(NEEDS, has_text=NEEDS_TEXT).count():
        how = ", ".join(filter(None, (how, "page not enabled")))
    if await page.locator(FAILED).count():  # the app's last line of defence, or a traceback
        how = ", ".join(filter(None, (how, "PAGE FAILED")))
    if record:
        session.visits.append((title, done, settled, how))
    _log(session, title, done, settled, how)


_WHERE = """() => [location.pathname, window.__storelens && window.__storelens.state,
  window.__bench && window.__bench.opened, window.__bench && window.__bench.closed]"""


async def _failed(session: Session, page, exc: Exception) -> None:
    """Say what failed and where the page was: path, run state, websocket opens and closes."""
    try:
        path, run_state, opened, closed = await page.evaluate(_WHERE)
        where = f" [at {path}, run state {run_state}, websocket opened {opened}x closed {closed}x]"
    except Exception:  # the page itself is gone
        where = ""
    session.error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:100]}{where}"
    print(f"  {session.name} failed: {session.error}", file=sys.stderr, flush=True)


async def _count_drops(session: Session, page) -> None:
    with contextlib.suppress(Exception):  # the page itself is gone
        session.dropped = await page.evaluate("() => window.__bench.closed")


@dataclass
class Run:
    """What every session shares: the browser, the server and what they opened or refused."""

    browser: object
    url: str
    blocked: list[str] = field(default_factory=list)
    contexts: list = field(default_factory=list)

    async def page(self, delay: float):
        await asyncio.sleep(delay)
        context = await _new_context(self.browser, self.blocked)
        self.contexts.append(context)
        return await context.new_page()


async def demo_session(session: Session, run: Run, delay: float) -> None:
    page = await run.page(delay)
    try:
        await _first(session, page, f"{run.url}/?demo={session.kind}")
        for key, title in DEMO_PAGES[1:]:
            await _visit(session, page, key, title)
    except Exception as exc:  # one failed session is reported, the others go on
        await _failed(session, page, exc)
    await _count_drops(session, page)


async def upload_session(session: Session, run: Run, csv_path: Path, delay: float) -> None:
    page = await run.page(delay)
    try:
        await _first(session, page, run.url)
        await _visit(session, page, "data", "Data", record=False)  # the way to the upload

        async def drop() -> None:
            await page.locator(UPLOADER).set_input_files(str(csv_path))
            await page.get_by_text("Online Retail: lines").first.wait_for(timeout=STEP_TIMEOUT_MS)

        *session.upload, how = await _timed(page, drop)
        _log(session, "upload + read", *session.upload, how)
        for key, title in UPLOAD_PAGES:
            await _visit(session, page, key, title)
    except Exception as exc:
        await _failed(session, page, exc)
    await _count_drops(session, page)


async def open_and_render(browser, url: str, blocked) -> tuple[object, float]:
    """A context whose first page has rendered; the seconds that took."""
    context = await _new_context(browser, blocked)
    page = await context.new_page()
    done, _, _ = await _timed(page, lambda: page.goto(url, timeout=STEP_TIMEOUT_MS))
    return context, done


# --- the run -----------------------------------------------------------------------------------


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """A plain-text table with aligned columns."""
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def _stats(values: list[float]) -> str:
    if not values:
        return "—"
    return f"{statistics.median(values):.1f} / {max(values):.1f}"


def _render_table(sessions: list[Session]) -> str:
    groups: dict[tuple[str, str], list[tuple[float, float, str]]] = {}
    for s in sessions:
        group = "uploads" if s.kind == "upload" else "demos"
        for title, done, settled, note in s.visits:
            groups.setdefault((group, title), []).append((done, settled, note))
        if s.upload:
            groups.setdefault((group, "(upload + read)"), []).append((*s.upload, ""))
    rows = []
    for (group, title), got in groups.items():
        done = [d for d, _, _ in got]
        notes = [
            f"{n} {sum(x == n for _, _, x in got)}x" for n in sorted({n for *_, n in got if n})
        ]
        over = sum(d > FIRST_VISIT_BUDGET_S for d in done)
        rows.append(
            (
                group,
                title,
                str(len(got)),
                _stats(done),
                _stats([s for _, s, _ in got]),
                f"{over}/{len(got)}" if group == "demos" else "",
                ", ".join(notes),
            )
        )
    return table(
        ("sessions", "page", "n", "done med / max s", "settled med / max s", "> 3 s", "note"),
        rows,
    )


async def run(opts, csv_path: Path) -> None:
    from playwright.async_api import async_playwright

    blocked: list[str] = []
    summary: list[tuple[str, str]] = []
    with streamlit_server() as url:
        pid = server_pid()
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            try:
                first, seconds = await open_and_render(browser, url, blocked)
                at_render = rss_mb(pid)
                await asyncio.sleep(opts.settle)  # the app's warm-up imports finish
                fresh = rss_mb(pid)
                await first.close()
                summary += [
                    ("first page rendered after start", f"{seconds:.1f} s"),
                    ("fresh server, at first render", f"{at_render:.0f} MB"),
                    (f"fresh server, {opts.settle:g} s later (the baseline)", f"{fresh:.0f} MB"),
                ]

                sampler = Sampler(pid)
                sampler.start()
                kinds = demo.KINDS
                sessions = [
                    Session(f"demo{i + 1}", kinds[i % len(kinds)]) for i in range(opts.sessions)
                ]
                uploads = [Session(f"upload{i + 1}", "upload") for i in range(opts.uploads)]
                shared = Run(browser, url, blocked)
                began = time.monotonic()
                cpu_before = cpu_split(pid)
                tasks = [
                    upload_session(s, shared, csv_path, i * opts.stagger)
                    for i, s in enumerate(uploads)
                ] + [
                    demo_session(s, shared, (i + len(uploads)) * opts.stagger)
                    for i, s in enumerate(sessions)
                ]
                try:
                    await asyncio.wait_for(asyncio.gather(*tasks), timeout=opts.cap)
                except TimeoutError:
                    summary.append(("!! run cut off", f"after {opts.cap:.0f} s"))
                took = time.monotonic() - began
                cpu = [b - a for a, b in zip(cpu_before, cpu_split(pid), strict=True)]
                load_after = _load()
                sampler.stop()
                peak, peak_at = sampler.peak()
                hwm = _status_kb(pid, "VmHWM") / 1024
                summary += [
                    (
                        f"{opts.sessions} demo + {opts.uploads} upload sessions, all done",
                        f"{took:.0f} s (load average then {load_after})",
                    ),
                    (
                        f"peak memory, sampled every 0.25 s (budget {PEAK_BUDGET_MB:,} MB)",
                        f"{peak:.0f} MB at +{peak_at - began:.0f} s"
                        + (" !" if peak > PEAK_BUDGET_MB else ""),
                    ),
                    ("server's own high-water mark (VmHWM)", f"{hwm:.0f} MB"),
                    (
                        "CPU used meanwhile: server / chromium + driver",
                        f"{cpu[0]:.0f} s / {cpu[1]:.0f} s (of {took * os.cpu_count():.0f} s)",
                    ),
                    ("child processes seen at once", str(sampler.children)),
                    (
                        "websocket connections dropped (browser side)",
                        f"{sum(s.dropped for s in uploads + sessions)} in "
                        f"{sum(s.dropped > 0 for s in uploads + sessions)} sessions",
                    ),
                    ("memory with every session still open", f"{rss_mb(pid):.0f} MB"),
                ]

                for context in shared.contexts:
                    await context.close()
                closed = time.monotonic()
                after: list[tuple[float, float]] = []
                for step in range(opts.after // 5 + 1):  # 0, 5, ..., 90 s
                    await asyncio.sleep(max(0.0, closed + step * 5 - time.monotonic()))
                    after.append((step * 5, rss_mb(pid)))
                within = [t for t, mb in after if t <= 60 and mb <= fresh + CLOSE_MARGIN_MB]
                for mark in (30, 60, 90):
                    got = [mb for t, mb in after if t == mark]
                    if got:
                        summary.append(
                            (
                                f"after every session closed, +{mark} s",
                                f"{got[0]:.0f} MB ({got[0] - fresh:+.0f} MB vs fresh)",
                            )
                        )
                summary.append(
                    (
                        f"within {CLOSE_MARGIN_MB} MB of fresh within a minute",
                        f"yes, from +{within[0]} s" if within else "NO",
                    )
                )
                caches = cache_metrics(url)

                # One more session, opened and closed: its disconnect writes to the session
                # storage, which is when Streamlit drops the sessions whose TTL has run out.
                nudge, _ = await open_and_render(browser, url, blocked)
                await nudge.close()
                nudged = time.monotonic()
                later: list[tuple[float, float]] = []
                for step in range(opts.nudge // 5 + 1):
                    await asyncio.sleep(max(0.0, nudged + step * 5 - time.monotonic()))
                    later.append((step * 5, rss_mb(pid)))
            finally:
                await browser.close()

    print(
        f"\nPage visits under load: median / max seconds, {len(sessions)} demo sessions "
        f"({', '.join(kinds)}) and {len(uploads)} sessions with {opts.rows:,} uploaded lines\n"
    )
    print(_render_table(uploads + sessions))
    failed = [s for s in uploads + sessions if s.error]
    for s in failed:
        print(f"  {s.name} ({s.kind}) failed: {s.error}")
    print(f"\nMemory (server's VmRSS plus child processes; {os.cpu_count()} CPUs)\n")
    print(table(("point in the run", "figure"), summary))
    print("\nAfter close, every 5 s (MB): " + ", ".join(f"+{t}s {mb:.0f}" for t, mb in after))
    print(
        "After one more session opened and closed at +"
        f"{nudged - closed:.0f} s (MB): " + ", ".join(f"+{t}s {mb:.0f}" for t, mb in later)
    )
    print("\nStreamlit's caches after close (/_stcore/metrics, cache_memory_bytes):")
    for name, value in sorted(caches.items(), key=lambda kv: -kv[1])[:12]:
        counted = name.startswith(("st_cache_resource", "st_session_state"))
        shown = f"{value:.0f} entries" if counted else f"{value / 1e6:.1f} MB"
        print(f"  {name}: {shown}")
    if blocked:
        print(f"\nrequests outside localhost, refused: {len(blocked)} (first: {blocked[0]})")


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("--sessions", type=int, default=20, help="demo sessions")
    args.add_argument("--uploads", type=int, default=2, help="sessions that upload --rows")
    args.add_argument("--rows", type=int, default=1_000_000, help="retail lines to upload")
    args.add_argument("--stagger", type=float, default=0.25, help="seconds between opens")
    args.add_argument("--settle", type=float, default=10, help="seconds before the baseline")
    args.add_argument("--after", type=int, default=90, help="seconds sampled after close")
    args.add_argument("--nudge", type=int, default=30, help="seconds sampled after the nudge")
    args.add_argument("--cap", type=float, default=40 * 60, help="cap on the sessions' run, s")
    opts = args.parse_args()
    print(f"load average at start: {_load()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        generated = demo.demo("retail", rows=opts.rows)
        [csv_path] = io.write_csv_tables(generated.files, tmp)
        del generated
        print(f"{opts.rows:,} retail lines: {csv_path.stat().st_size / 1e6:.0f} MB CSV", flush=True)
        asyncio.run(run(opts, csv_path))
    print(f"\nload average at end: {_load()}")


if __name__ == "__main__":
    main()
