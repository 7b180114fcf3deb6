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
