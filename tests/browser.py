"""A real Streamlit server and Debian's headless chromium, for browser tests and screenshots."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A page the data does not enable explains why in an alert: state.require's words, or the
# page's own (Regions: 'Needs a region per order line or per customer: ... has neither.').
NEEDS = '[data-testid="stMain"] [data-testid="stAlert"]'
NEEDS_TEXT = re.compile("This page needs|This data set has neither")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def require_chromium() -> None:
    """At a browser test module's top: skip it without chromium, except in CI, where that fails."""
    import pytest

    if chromium_path() is not None:
        return
    if os.environ.get("STORELENS_REQUIRE_SHARED") == "1" or os.environ.get("CI"):
        pytest.fail("chromium is required in CI (apt-get install chromium)", pytrace=False)
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(timeout: float = 60.0):
    """Start the app on a free localhost port; yield its base URL; stop it afterwards."""
    port = _free_port()
    # No file watcher: a source file saved during the run (a shared working tree) would make
    # Streamlit drop the app's modules from sys.modules while sessions import them (KeyError:
    # 'lib' in their runs). A deployed app's files do not change either.
    env = {
        **os.environ,
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "streamlit_app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the Streamlit server did not start") from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


# Installed in every page before Streamlit's own scripts: follows the app's run state, the
# `data-test-script-state` attribute of the stApp element ("initial" before the first run, then
# "running", "rerunRequested", "notRunning", ...), and counts the rerun requests the page sends
# (a BackMsg whose first byte is 0x5A: field 11, rerun_script). A widget's rerun request reaches
# the server, which only then reports "running": between the two the attribute still says
# "notRunning", so a wait must see a run that started after the last request (or wait `unseen`
# ms). A run quick enough that React draws "running" and "notRunning" in one go never shows in the
# attribute: its end is then the last message the page received (handled after Streamlit's own
# handler), which is what wait_for_run returns.
TRACKER = """
(() => {
  if (window.__storelens) return;
  const t = window.__storelens = {
    state: null, runs: 0, runAt: -1, idleAt: 0, sent: 0, sentAt: -1, sends: [], since: 0,
    recvAt: -1,
  };
  const RUNNING = new Set(["running", "rerunRequested"]);
  t.read = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    const s = app ? app.getAttribute("data-test-script-state") : null;
    if (s === t.state) return s;
    const now = performance.now();
    if (RUNNING.has(s) && !RUNNING.has(t.state)) { t.runs += 1; t.runAt = now; }
    if (!RUNNING.has(s)) t.idleAt = now;
    t.state = s;
    return s;
  };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    try {
      const bytes = ArrayBuffer.isView(data)
        ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        : data instanceof ArrayBuffer ? new Uint8Array(data) : null;
      if (bytes && bytes.length && bytes[0] === 0x5a) {
        t.sent += 1;
        t.sentAt = performance.now();
        t.sends.push(t.sentAt);
        if (t.sends.length > 100) t.sends.shift();
      }
      if (!this.__storelens) {
        this.__storelens = true;
        this.addEventListener("message", () => { t.recvAt = performance.now(); });
      }
    } catch (e) {}
    return send.call(this, data);
  };
  new MutationObserver(t.read).observe(document, {
    subtree: true, attributes: true, attributeFilter: ["data-test-script-state"],
  });
})();
"""

# Done: the script is not running, has run since the last rerun request and since the first
# render, and has stayed idle for `quiet` ms (a page that calls st.rerun or st.switch_page runs
# twice in a row; a widget that sends its value on a short delay gets that delay). A run too
# quick to ever show as "running" is let go `unseen` ms after its request.
_DONE = """
([quiet, unseen]) => {
  const t = window.__storelens;
  const s = t.read();
  if (s !== "notRunning" && s !== "compilationError") return false;
  const now = performance.now();
  if (t.runs === 0 && now - t.since < unseen) return false;
  // No run seen and no page drawn: a cold or busy server has not started the session yet.
  if (t.runs === 0 && !document.querySelector('[data-testid="stMain"] h1')) return false;
  if (t.sentAt > t.runAt && now - t.sentAt < unseen) return false;
  return now - Math.max(t.idleAt, t.sentAt, t.since, t.recvAt) >= quiet;
}
"""


@contextmanager
def browser_page(width: int = 1400, height: int = 1000):
    """A Playwright page in Debian's chromium, following the app's run state (TRACKER)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.add_init_script(TRACKER)
            yield page
        finally:
            browser.close()


def server_pid() -> int:
    """The pid of this process's child running `streamlit run`."""
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        for pid in (task / "children").read_text().split():
            if b"streamlit" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return int(pid)
    raise RuntimeError("no streamlit child process found")


def external_requests(page) -> list[str]:
    """Record (and block) every request the page makes outside localhost: the app runs offline."""
    from urllib.parse import urlparse

    seen: list[str] = []

    def local(url: str) -> bool:
        return urlparse(url).hostname in ("127.0.0.1", "localhost", None) or url.startswith(
            ("data:", "blob:", "about:")
        )

    page.on("request", lambda request: None if local(request.url) else seen.append(request.url))
    page.route(lambda url: not local(url), lambda route: route.abort())
    return seen


def wait_for_run(page, timeout_ms: int = 60_000, quiet_ms: int = 400) -> float:
    """Wait until the app's script has run (after the last rerun request) and is idle.

    Returns the page's clock (performance.now(), ms) when the script last stopped running.
    """
    page.evaluate(TRACKER)  # a page not opened by browser_page: follow it from now on
    page.evaluate("() => { window.__storelens.since = performance.now(); }")
    page.wait_for_function(_DONE, arg=[quiet_ms, 5_000], timeout=timeout_ms, polling=100)
    return page.evaluate(
        "() => { const t = window.__storelens;"
        " return t.runAt >= t.sentAt ? t.idleAt : Math.max(t.idleAt, t.recvAt); }"
    )


def wait_for_app(page, timeout_ms: int = 60_000) -> None:
    """Wait until the script has finished its run and the page has drawn what it sent.

    Waits on the app's run state (`data-test-script-state`), never on a widget that the config
    may hide, such as the running indicator.
    """
    wait_for_run(page, timeout_ms)
    # Maps load their component lazily: wait until each one has drawn its canvas.
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=\"stDeckGlJsonChart\"]')]"
        ".every(d => d.querySelector('canvas'))",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(300)  # charts draw after their data arrives


def open_page(page, key: str, title: str, timeout_ms: int = 300_000) -> None:
    """Open a page from the sidebar, in the same session (a new URL would start a new one)."""
    from urllib.parse import urlparse

    path = "" if key == "overview" else f"/{key}"  # the default page lives at /
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
    page.wait_for_url(lambda url: urlparse(url).path.rstrip("/") == path, timeout=60_000)
    wait_for_app(page, timeout_ms)


def upload(page, files: list[Path], timeout_ms: int = 300_000) -> None:
    """Upload `files` on the Data page and wait until the app has read them (My files)."""
    import re

    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        [str(f) for f in files]
    )
    # The Data page's summary of what the files became, e.g. "Online Retail: lines 541,909, ..."
    page.get_by_text(
        re.compile(r"^(Olist marketplace|Web shop|Online Retail|Mapped)[^:]*: ")
    ).first.wait_for(timeout=timeout_ms)
    # The Data page describes the demo it opened on in the same words: the upload is read when
    # the sidebar names My files (a page opened before that showed the demo).
    page.locator('[data-testid="stSidebar"]').get_by_text(
        re.compile(r"^My files · ")
    ).first.wait_for(timeout=timeout_ms)
    wait_for_app(page, timeout_ms)


def full_page_screenshot(page, path: Path, max_height: int = 16_000) -> None:
    """A screenshot of the whole page.

    Streamlit's main area scrolls inside its own container, so a plain full-page screenshot
    stops at the window's height: the window grows to the content's height first.
    """
    size = page.viewport_size
    height = size["height"]
    for _ in range(3):  # charts and tables may resize once they have more room
        content = page.evaluate(
            "() => Math.ceil(document.querySelector('[data-testid=\"stMain\"]').scrollHeight)"
        )
        if content <= height:
            break
        height = min(content, max_height)
        page.set_viewport_size({"width": size["width"], "height": height})
        page.wait_for_timeout(700)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
