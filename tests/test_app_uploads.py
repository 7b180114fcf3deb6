"""Every analysis page runs on uploaded data, whose results are cached in the session."""

from dataclasses import replace

import pytest

from lib import formats, state
from tests import apptest


def uploaded(kind: str) -> formats.Assembly:
    """A demo's files, given to the session as an upload is (an upload's data set key)."""
    built = formats.assemble_demo(kind)
    return replace(built, dataset=replace(built.dataset, key=f"{state.UPLOAD_KEY}{kind}"))


@pytest.mark.parametrize(
    ("kind", "page"),
    [
        ("retail", "rfm"),
        ("retail", "sales"),
        ("retail", "cohorts"),
        ("retail", "clusters"),
        ("marketplace", "regions"),
        ("marketplace", "delivery"),
        ("marketplace", "funnel"),
    ],
)
def test_a_page_on_uploaded_data_renders_and_keeps_its_results_in_the_session(kind, page):
    at = apptest.app("files")
    at.session_state["app_files_assembly"] = uploaded(kind)
    at.run()
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    assert not [e.value for e in at.error], [e.value for e in at.error]
    held_key, results = at.session_state["app_results"]
    assert held_key == f"{state.UPLOAD_KEY}{kind}"
    assert len(results) > 0
