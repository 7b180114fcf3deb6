"""Overview: what is loaded and which questions it can answer."""

import polars as pl
import streamlit as st

from lib import fmt, local, measures, state
from lib.analyses import sales
from lib.catalog import PAGES
from lib.model import SPECS
from pages.common import ui

ds = state.dataset()
st.title("Storelens")
st.markdown(
    "Drop in your order exports and see what is in them: what is wrong with the data, what "
    "sells, where, to whom, which customers are worth what, and how deliveries and seller "
    "recruitment perform."
)

if not ds.tables:
    st.info(ui.nothing_loaded(ds))
    st.page_link("pages/data.py", label="Upload files", icon=":material/upload_file:")
    st.stop()

span = ds.date_range()
rows = ds.row_counts()
st.subheader(fmt.plain(ds.name))
cols = st.columns(4)
cols[0].metric("Tables", len(rows), help=", ".join(rows))
if "lines" in rows and local.summarised(ds):
    # A folder's summary: its rows are no lines (the note below counts the lines read).
    cols[1].metric(
        "Summary rows",
        f"{rows['lines']:,}",
        help="The folder's lines summarised: per order, a row of its purchases and one of what "
        "its other lines add (returns). The lines themselves are not kept: the note below "
        "counts them.",
    )
elif "lines" in rows:
    # The rows a user recognises: their file's lines, not those plus the tables made from them.
    # A file of order totals (no items) is one line per order: said so, not "order lines".
    totals = sales.order_level(ds)
    # Data quality profiles every line (Olist 8,365), the pages the sale lines (7,816): said here.
    apart = ds.extras.get(measures.UNSOLD_LINES)
    cols[1].metric(
        "Order lines",
        f"{rows['lines']:,}",
        help=(
            "One row per order line here: the data names no items, so a line is an order's total"
            if totals
            else "One row per order line"
        )
        + (
            f", of orders sold: the files hold {apart.height:,} more, of cancelled, unavailable, "
            "voided or refunded orders, which Data quality counts"
            if apart is not None and apart.height
            else ""
        )
        + "; every table's rows are in the table below.",
    )
else:
    cols[1].metric("Rows", f"{sum(rows.values()):,}", help="All tables together")
cols[2].metric("Currency", ds.currency or "not stated")
if span and span[0] is not None:
    days = (span[1].date() - span[0].date()).days + 1  # calendar days, whatever the hours
    # Dataset.date_range reads the order lines first: said so, as other tables may run longer
    # (Olist's orders table runs six weeks past its last line, on orders never paid).
    said = (
        f"{'Order lines from' if rows.get('lines') else 'From'} {fmt.day(span[0])} to "
        f"{fmt.day(span[1])}."
    )
    cols[3].metric("Date range", fmt.counted(days, "day"), help=said)
    st.caption(said)

st.subheader("Tables")
st.dataframe(
    pl.DataFrame(
        {
            "table": list(rows),
            "one row per": [
                "order and customer (a summary of the lines)"
                if t == "lines" and ds.source_format == local.FORMAT
                else SPECS[t].grain
                for t in rows
            ],
            "rows": list(rows.values()),
            "columns": [ds.tables[t].width for t in rows],
        }
    ),
    hide_index=True,
    column_config={
        "table": "Table",
        "one row per": "One row per",
        "rows": st.column_config.NumberColumn("Rows", format="localized"),
        "columns": "Columns",
    },
)
counted = ui.cached(measures.count_notes)(ds.key, ds)  # the Data page's, once per data set
if counted:  # why Sales and the customer pages count fewer orders or customers
    st.caption(  # as the Data page says it beside its counts
        "The pages count orders with a sale and customers with a purchase, fewer than the tables "
        "hold: "
        + ", ".join(f"{t} {rows[t]:,} ({note})" for t, note in counted.items() if t in rows)
        + "."
    )
if ds.notes:
    st.caption(
        f"The loader had to fix {fmt.counted(len(ds.notes), 'thing')} in your files: the Data "
        f"quality page lists {'it' if len(ds.notes) == 1 else 'them'} under “What the loader had "
        "to fix”."
    )

st.subheader("What you can ask of it")
unsold = measures.only_unsold(ds)  # lines read, none a sale: said instead of "a lines table"
for page in PAGES[1:]:
    missing = page.missing(ds)
    if not page.built:
        status = ":grey[planned]"
    elif missing:
        status = ":orange[needs more data]"
    else:
        status = ":green[ready]"
    with st.container(border=True):
        left, right = st.columns([4, 1])
        left.markdown(f"**{page.title}** — {page.answers}")
        right.markdown(status)
        if missing and unsold and any(table == "lines" for table, _ in page.needs):
            left.caption(f"No sales: {unsold}.")
        elif missing:
            left.caption(f"Missing: {', '.join(missing)}. {page.hint(ds)}")
