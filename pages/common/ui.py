"""Small rendering helpers every page shares (no analysis here)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from lib import io


def reading(text: str) -> None:
    """The one-sentence plain-language reading under a chart."""
    st.caption(f":material/lightbulb: {text}")


def download(frame: pl.DataFrame, name: str, key: str, label: str = "Download CSV") -> None:
    """A CSV download of `frame`, built only when clicked."""
    st.download_button(
        label,
        data=lambda: io.csv_bytes(frame),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=key,
        on_click="ignore",
        icon=":material/download:",
    )


def cached(fn):
    """`fn(frame, **params)` cached at the page edge with st.cache_data.

    The call names the data it gets with `key` (the data set key plus any filters applied), so
    that the frame itself is never hashed: hashing a million rows would cost more than most
    analyses. Different analyses never share entries: the function's name is part of the key.
    """
    name = f"{fn.__module__}.{fn.__qualname__}"

    def call(key: str, frame: pl.DataFrame, **params):
        return _run(name, key, tuple(sorted(params.items())), fn, frame)

    return call


@st.cache_data(max_entries=64, show_spinner=False)
def _run(name: str, key: str, params: tuple, _fn, _frame: pl.DataFrame):
    return _fn(_frame, **dict(params))
