"""Shared fixtures: the path to ../shared/data, skipped in a user's clone and required in CI."""

import os
from pathlib import Path

import pytest

# Every chart a page draws in a test is validated against the Vega-Lite schema (pages/common/ui.py).
os.environ["STORELENS_VALIDATE_CHARTS"] = "1"

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_file(relative: str) -> Path:
    """Path of a real data file; skip when absent unless STORELENS_REQUIRE_SHARED=1."""
    path = SHARED / relative
    if not path.exists():
        if os.environ.get("STORELENS_REQUIRE_SHARED") == "1":
            pytest.fail(f"{path} is missing and STORELENS_REQUIRE_SHARED=1")
        pytest.skip(f"{path} is absent (real data sets live in ../shared/data)")
    return path


@pytest.fixture(scope="session")
def server():
    """One running app for every browser test (each page visit is its own session)."""
    from tests.browser import streamlit_server

    with streamlit_server() as url:
        yield url


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`pytest -n 2 --dist loadfile` (make test): a file's tests stay on one worker (its module
    fixtures run once), and the test_browser* files share one worker too, one chromium at a time
    with one app server between them; they go first, being the longest. (xdist_group markers
    cannot do this: pytest-xdist 3.8 renames node ids in a way pytest 9 ignores.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class BrowserFilesTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            return "browser" if Path(scope).name.startswith("test_browser") else scope

        def _assign_work_unit(self, node) -> None:
            if "browser" in self.workqueue:
                self.workqueue.move_to_end("browser", last=False)
            super()._assign_work_unit(node)

    return BrowserFilesTogether(config, log)
