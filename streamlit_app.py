"""Storelens entry point: page config, navigation and the shared sidebar."""

import logging
from pathlib import Path

from lib.memory import tune_allocators

tune_allocators()  # before polars is imported (by lib.state below; Streamlit does not import it)

import streamlit as st  # noqa: E402

from lib import fmt, state, warm  # noqa: E402

warm.start()  # pandas and pyarrow load in one thread while the sidebar renders
from lib.catalog import PAGES  # noqa: E402
from pages.common import exports, links  # noqa: E402

# A local file: a :material/...: favicon is fetched from fonts.gstatic.com; the app runs offline.
ICON = Path(__file__).parent / "assets" / "storefront.png"
st.set_page_config(page_title="Storelens", page_icon=ICON, layout="wide")
first_run = state.init()

SECTIONS = {
    "Start": ("overview", "data", "quality"),
    "What sells": ("sales", "categories", "regions"),
    "Customers": ("rfm", "cohorts", "clusters", "clv"),
    "Operations": ("delivery", "funnel", "events"),
}
built = {p.key: p for p in PAGES if p.built}


def page(key: str) -> st.Page:
    info = built[key]
    if key == "overview":
        # Served at the root. Its url_path is never a URL (Streamlit only reserves the name), so
        # /overview is a separate hidden page below.
        return st.Page(
            "pages/overview.py", title=info.title, icon=info.icon, url_path="home", default=True
        )
    return st.Page(f"pages/{key}.py", title=info.title, icon=info.icon, url_path=key)


pages = {
    section: [page(key) for key in keys if key in built]
    for section, keys in SECTIONS.items()
    if any(k in built for k in keys)
}
home = pages["Start"][0]


def overview_link() -> None:
    """/overview, e.g. a bookmarked or shared link: the Overview lives at the root."""
    st.switch_page(home, query_params=st.query_params.to_dict())


# Hidden: only its URL matters. Without it /overview opens a "Page not found" pop-up.
pages["Start"].append(
    st.Page(overview_link, title="Overview", url_path="overview", visibility="hidden")
)
navigation = st.navigation(pages, expanded=True)  # every page listed, none behind "View n more"
state.open_local()  # a folder given at start: summarised once, its steps shown here
by_path = {p.url_path: p for section in pages.values() for p in section}
links.remember(first_run, navigation.url_path)

with st.sidebar:
    state.source_picker()
    try:
        ds = state.dataset()
        span = ds.date_range()
        tables = len(ds.tables)
        st.caption(
            f"**{fmt.plain(ds.name)}** · {tables} table{'s' if tables != 1 else ''}"
            + (f" · {ds.currency}" if ds.currency else "")
            + (f"  \n{fmt.day(span[0])} – {fmt.day(span[1])}" if span else "")
        )
        exports.sidebar(ds)
    except Exception:  # a broken data set is explained on the pages, never as a traceback
        logging.getLogger("storelens").exception("sidebar status failed")
# Streamlit keeps the last run's module globals: holding the data set here would keep a closed
# session's upload alive until some other session runs.
ds = span = None
try:
    links.sync_url()  # the data set travels in the URL: a copied link says what it needs
except Exception:
    logging.getLogger("storelens").exception("writing the data set into the URL failed")
links.follow(navigation.url_path, by_path, by_path["data"])

# Each page waits for the libraries it uses, imported by one thread: the Overview for pandas
# alone (a server's first page is drawn before the chart libraries load), the other start pages
# for altair and pydeck too, the analysis pages for scikit-learn and lifetimes as well.
warm.wait(
    warm.TABLES
    if navigation.url_path in ("", "home", "overview")
    else warm.CHARTS
    if navigation.url_path in ("data", "quality")
    else warm.MODELS
)
try:
    navigation.run()
except Exception:  # the last line of defence: nothing reaches the screen as a traceback
    logging.getLogger("storelens").exception("page %s failed", navigation.title)
    st.error(
        f"The {navigation.title} page could not finish with this data. Your data is still "
        "loaded: check the Data quality page, or try another data set. The details are in the "
        "server log."
    )
finally:  # also after st.stop(): a page opened from a link set its controls during its run
    exports.settle()
    warm.start(warm.MODELS)  # every heavy library, now that this page is drawn
