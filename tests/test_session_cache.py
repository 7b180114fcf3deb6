"""Results of uploaded data live in the session: reused on reruns, gone with the data set."""

from streamlit.testing.v1 import AppTest


def _script():
    import streamlit as st

    from lib import state

    st.session_state.setdefault("app_source", "files")  # as streamlit_app.py's state.init() does
    calls = st.session_state.setdefault("calls", [])
    key = st.session_state.get("data_key", "files:a")

    def compute(tag):
        calls.append(tag)
        return f"{tag}@{key}"

    first = state.session_cached(key, ("sales", 1), lambda: compute("sales"))
    again = state.session_cached(key, ("sales", 1), lambda: compute("sales"))
    other = state.session_cached(key, ("rfm", 5), lambda: compute("rfm"))
    st.write(f"{first}|{again}|{other}|{','.join(calls)}")


def test_a_result_is_computed_once_per_data_set_and_dropped_when_the_data_set_changes():
    at = AppTest.from_function(_script, default_timeout=30).run()
    assert at.markdown[0].value == "sales@files:a|sales@files:a|rfm@files:a|sales,rfm"
    at.run()  # a rerun reuses both results
    assert at.markdown[0].value.endswith("|sales,rfm")
    at.session_state["data_key"] = "files:b"
    at.run()  # a new upload: the old results are gone, the new ones computed once
    assert at.markdown[0].value == "sales@files:b|sales@files:b|rfm@files:b|sales,rfm,sales,rfm"
    held_key, results = at.session_state["app_results"]
    assert held_key == "files:b" and len(results) == 2


def test_a_closed_session_drops_its_uploaded_data_once_it_can_no_longer_reconnect(monkeypatch):
    from lib import state

    kept = {"app_uploads": {"orders": 1}, "app_results": ("files:a", {}), "rfm_bins": 5}
    back = {"app_uploads": {"orders": 2}, "rfm_bins": 4}
    monkeypatch.setattr(state, "_held", {"gone": [kept, None], "back": [back, None]})
    active = {"gone": False, "back": False}
    assert state.reap(100.0, active.get, grace=30) == []  # both first seen disconnected at 100
    active["back"] = True  # this tab reconnects: its clock starts over
    assert state.reap(120.0, active.get, grace=30) == []
    active["back"] = False
    assert state.reap(129.9, active.get, grace=30) == []  # 29.9 s: it could still reconnect
    assert state.reap(130.0, active.get, grace=30) == ["gone"]
    # The data is dropped, the small settings stay (the session object itself is Streamlit's).
    assert kept == {"rfm_bins": 5}
    assert back == {"app_uploads": {"orders": 2}, "rfm_bins": 4}
    assert list(state._held) == ["back"]
    # "back" was seen disconnected again at 129.9: 30 s from then.
    assert state.reap(159.8, active.get, grace=30) == []
    assert state.reap(159.9, active.get, grace=30) == ["back"]
    assert back == {"rfm_bins": 4}
