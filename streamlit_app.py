"""Storelens entry point: page config, navigation and the shared sidebar."""

import logging

from lib.memory import tune_allocators

tune_allocators()  # before polars is imported (by lib.state below; Streamlit does not import it)

import streamlit as st  # noqa: E402

from lib import state  # noqa: E402
from lib.catalog import PAGES  # noqa: E402

st.set_page_config(page_title="Storelens", page_icon=":material/storefront:", layout="wide")
state.init()

SECTIONS = {
    "Start": ("overview", "data", "quality"),
    "What sells": ("sales", "categories", "regions"),
    "Customers": ("rfm", "cohorts", "clusters", "clv"),
    "Operations": ("delivery", "funnel", "events"),
}
built = {p.key: p for p in PAGES if p.built}
navigation = st.navigation(
    {
        section: [
            st.Page(
                f"pages/{key}.py",
                title=built[key].title,
                icon=built[key].icon,
                url_path=key,
                default=key == "overview",
            )
            for key in keys
            if key in built
        ]
        for section, keys in SECTIONS.items()
        if any(k in built for k in keys)
    }
)

with st.sidebar:
    state.source_picker()
    try:
        ds = state.dataset()
        span = ds.date_range()
        st.caption(
            f"**{ds.name}** · {len(ds.tables)} tables"
            + (f" · {ds.currency}" if ds.currency else "")
            + (f"  \n{span[0]:%d %b %Y} – {span[1]:%d %b %Y}" if span else "")
        )
    except Exception:  # a broken data set is explained on the pages, never as a traceback
        logging.getLogger("storelens").exception("sidebar status failed")

try:
    navigation.run()
except Exception:  # the last line of defence: nothing reaches the screen as a traceback
    logging.getLogger("storelens").exception("page %s failed", navigation.title)
    st.error(
        f"The {navigation.title} page could not finish with this data. Your data is still "
        "loaded: check the Data quality page, or try another data set. The details are in the "
        "server log."
    )
