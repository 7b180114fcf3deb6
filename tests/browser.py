"""A real Streamlit server and Debian's headless chromium, for browser tests and screenshots."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
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
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
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


@contextmanager
def browser_page(width: int = 1400, height: int = 1000):
    """A Playwright page in Debian's chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()


def wait_for_app(page, timeout_ms: int = 60_000) -> None:
    """Wait until the page's script has rendered something and has stopped running."""
    page.wait_for_selector('[data-testid="stMain"] [data-testid="stHeading"]', timeout=timeout_ms)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout_ms
    )
    # Maps load their component lazily: wait until each one has drawn its canvas.
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=\"stDeckGlJsonChart\"]')]"
        ".every(d => d.querySelector('canvas'))",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(1000)


def screenshots(out: Path, demos: tuple[str, ...], pages: tuple[str, ...]) -> list[Path]:
    """Full-page screenshots of each page on each demo, for looking at and for the README."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with streamlit_server() as url, browser_page() as page:
        for kind in demos:
            for name in pages:
                path = "" if name == "overview" else name  # the default page lives at /
                page.goto(f"{url}/{path}?demo={kind}")
                wait_for_app(page)
                path = out / f"{kind}_{name}.png"
                page.screenshot(path=str(path), full_page=True)
                written.append(path)
    return written


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Screenshots of the running app.")
    parser.add_argument("--out", default="screenshots")
    parser.add_argument("--demos", default="marketplace,webshop,retail")
    parser.add_argument("--pages", default="overview,data,quality")
    args = parser.parse_args()
    for path in screenshots(
        Path(args.out), tuple(args.demos.split(",")), tuple(args.pages.split(","))
    ):
        print(path)
