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
