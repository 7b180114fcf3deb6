"""Driving the app through streamlit_app.py with AppTest, as every page test does."""

from dataclasses import replace

import polars as pl
from streamlit.testing.v1 import AppTest

from lib import demo, formats, io, state
from lib.formats import generic

TIMEOUT = 120


def app(source: str = "marketplace") -> AppTest:
    """The app, not yet run, on a demo kind or on "files" (My files, empty)."""
    # Another source (a shop-format demo kind) would silently open the marketplace demo: those
    # are tested through files_page.
    assert source in state.SOURCE_LABELS, f"{source} is no source of the app: use files_page"
    at = AppTest.from_file("../streamlit_app.py", default_timeout=TIMEOUT)
    at.session_state["app_source"] = source
    return at


def page(source: str, path: str) -> AppTest:
    """The app run once, then switched to the page at `path` (e.g. "pages/sales.py")."""
    at = app(source)
    at.run()
    at.switch_page(path)
    at.run()
    assert not at.exception, at.exception
    return at


def metric(at: AppTest, label: str):
    """The metric element with this label (its .value, .delta, .help)."""
    return next(m for m in at.metric if m.label == label)


def metrics(at: AppTest) -> dict[str, str]:
    """Every metric on the page: label -> shown value."""
    return {m.label: m.value for m in at.metric}


def texts(at: AppTest) -> str:
    """The page's captions and info boxes as one string, to look for an explanation in."""
    return " ".join(c.value for c in at.caption) + " ".join(i.value for i in at.info)


def demo_lines(kind: str) -> tuple[pl.DataFrame, str]:
    """The order lines of a demo, read as the app reads them, and their currency."""
    ds = formats.assemble_demo(kind).dataset
    return ds.tables["lines"], ds.currency


def marketplace_without(file: str) -> dict[str, pl.DataFrame]:
    """The marketplace demo's Olist files without `file` (a user who did not upload it)."""
    return {n: f for n, f in demo.demo("marketplace").files.items() if n != file}


def files_page(
    files: dict[str, pl.DataFrame], page: str, name: str, guessed: bool = False
) -> AppTest:
    """The app on `files` read as an upload (assembled, with an upload's key; `guessed`: each
    file mapped as the Data page guesses, confirmed), switched to pages/<page>.py and run once;
    it fails on an exception or an error box."""
    tables = [io.RawTable(n, n, f) for n, f in files.items()]
    mappings = {t.name: generic.guess_mapping(t.frame) for t in tables} if guessed else None
    built = formats.assemble(tables, mappings, name=name)
    built = replace(built, dataset=replace(built.dataset, key=f"{state.UPLOAD_KEY}{name}"))
    at = app("files")
    at.session_state["app_files_assembly"] = built
    at.run()
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    assert not [e.value for e in at.error]
    return at


# The pages an upload of order lines can enable (Delivery, Seller funnel and Web events need
# tables of their own).
ORDER_PAGES = (
    "overview",
    "data",
    "quality",
    "sales",
    "categories",
    "regions",
    "rfm",
    "cohorts",
    "clusters",
    "clv",
)


def tables_show(at: AppTest, text: str) -> bool:
    """Whether any table on the page shows `text` in a cell."""
    return any(
        t.value.astype(str).apply(lambda c: c.str.contains(text, regex=False)).any().any()
        for t in at.dataframe
    )
