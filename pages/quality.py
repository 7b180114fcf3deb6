"""Data quality: profile of each table and the anomaly report."""

import functools

import polars as pl
import streamlit as st

from lib import fmt, io, measures, quality, state
from pages.common import columns, ui

SEVERITY_BADGE = {
    "error": ":red-badge[:material/error: error]",
    "warning": ":orange-badge[:material/warning: warning]",
    "info": ":blue-badge[:material/info: note]",  # the severity's word (SEVERITY_WORDS)
}


@ui.memo(max_entries=10, show_spinner="Checking the data…")
def cached_report(key: str, _ds) -> quality.Report:
    return quality.report(_ds)


ds = state.dataset()
st.title("Data quality")
if not ds.tables:
    st.info(ui.nothing_loaded(ds))
    st.stop()

report = cached_report(ds.key, ds)
SEVERITY_WORDS = {"error": "Error", "warning": "Warning", "info": "Note"}
by_severity = {
    s: sum(1 for f in report.findings if f.info.severity == s) for s in quality.SEVERITY_ORDER
}
cols = st.columns(4)
cols[0].metric("Tables", len(report.profiles))
cols[1].metric("Errors", by_severity["error"], help="Rules where the data contradicts itself")
cols[2].metric("Warnings", by_severity["warning"], help="Rules that skew results")
cols[3].metric("Notes", by_severity["info"], help="Known quirks the analyses handle")

st.subheader("Tables")
profiles = quality.profile_frame(report.profiles)
nulls_chars = profiles["columns with nulls"].str.len_chars().max() or 0
st.dataframe(
    profiles,
    hide_index=True,
    column_config={
        "table": "Table",
        "rows": st.column_config.NumberColumn("Rows", format="localized"),
        "columns": "Columns",
        "dated_by": "Dated by",
        "from": "From",
        "to": "To",
        "exact duplicates": st.column_config.NumberColumn("Exact duplicates", format="localized"),
        "columns with nulls": st.column_config.TextColumn("Columns with nulls", width=330),
    },
    # A list longer than the column's one line (about 45 characters) wraps on two lines instead
    # of running off the table's edge: Streamlit wraps text only in rows over 64 px. Every table
    # stays in view: the height then counts the taller rows (a 35 px header, 3 px of border).
    row_height=68 if nulls_chars > 45 else None,
    height=35 + 68 * profiles.height + 3 if nulls_chars > 45 else "auto",
)
apart = ds.extras.get(measures.UNSOLD_LINES)
if apart is not None and apart.height:
    st.caption(
        f"The lines row counts every line the files hold, the {apart.height:,} lines of "
        f"{measures.UNSOLD_KINDS} orders included: the other pages leave them out and count "
        f"{ds.tables['lines'].height:,}."
    )

checks = quality.line_checks(ds)
if checks is not None:
    st.caption(
        ":material/info: The lines table is the folder's summary: a few rows per order. "
        + (
            f"The findings on lines below count the {checks['lines']:,} lines of its files, as "
            "they were summarised."
            if "missing_customer" in checks
            else f"Its {checks['lines']:,} lines were summarised inside their database, which "
            "checks none of them: load a sample of them on the Data page to see what is wrong."
        )
    )

if ds.notes:
    st.subheader("What the loader had to fix")
    files, named = [n.file for n in ds.notes], [n.column for n in ds.notes]
    messages = [n.message for n in ds.notes]
    # File and column names on one line; the messages take the rest of the table's 970 px,
    # wrapped over as many lines as the longest needs (8 px a character).
    file_px, column_px = columns.one_line(files, 150, 330), columns.one_line(named, 120, 220)
    message_px = max(360, 970 - file_px - column_px)
    st.dataframe(
        pl.DataFrame(
            {
                "file": files,
                "column": named,
                "what happened": messages,
            }
        ),
        hide_index=True,
        column_config={
            "file": st.column_config.TextColumn("File", width=file_px),
            "column": st.column_config.TextColumn("Column", width=column_px),
            "what happened": st.column_config.TextColumn("What happened", width=message_px),
        },
        row_height=columns.wrapped_rows(messages, chars=(message_px - 24) // 8),
    )

st.subheader("Findings")
if not report.findings:
    st.success("No rule found anything: the data is consistent as far as these checks go.")
    st.stop()
st.dataframe(
    pl.DataFrame(
        {
            # Named as the cards above count them: errors, warnings and notes.
            "severity": [SEVERITY_WORDS[f.info.severity] for f in report.findings],
            "finding": [f.info.title for f in report.findings],
            "table": [f.table for f in report.findings],
            "count": [f.count for f in report.findings],
            "unit": [f.info.unit for f in report.findings],
            "share": [f.share * 100 for f in report.findings],
            "of": [f.share_of for f in report.findings],
        }
    ),
    hide_index=True,
    column_config={
        "severity": st.column_config.TextColumn("Severity", width=75),
        "finding": "Finding",
        "table": st.column_config.TextColumn("Table", width=75),
        "count": st.column_config.NumberColumn("Count", format="localized", width=75),
        "unit": st.column_config.TextColumn("Unit", width=75),
        "share": st.column_config.ProgressColumn(
            "Share", format="%.2f%%", min_value=0, max_value=100, width=150
        ),
        # Of the table's rows, or of what the finding counts in (months, days, orders paid):
        # wide enough for the longest, "orders that have both payments and items".
        "of": st.column_config.TextColumn("Share of", width=290),
    },
)
for i, finding in enumerate(report.findings):
    rule = finding.info
    with st.container(border=True):
        st.markdown(
            f"{SEVERITY_BADGE[rule.severity]} **{rule.title}** in *{finding.table}*: "
            f"{rule.units(finding.count)} ({finding.shown_share})"
        )
        st.caption(finding.explained)
        if finding.rows.is_empty():
            st.caption(
                "Counted as the folder was summarised: its lines are not kept, so no examples."
            )
            continue
        examples = quality.example_rows(finding, currency=ds.currency)
        # Evidence columns first (example_rows); every column holding 32-character ids (Olist's
        # order, customer and lead ids, its landing pages) shortened so that they leave the
        # evidence room, their full form in the last columns and the download.
        columns.table(examples, ids=tuple(examples.columns), pin_ids=False)
        st.download_button(
            f"Download {fmt.counted(finding.rows.height, 'row')} (CSV)",
            # No lambda of this page: Streamlit keeps the callable, and the run's globals too.
            data=functools.partial(io.csv_bytes, finding.rows),
            file_name=f"{finding.rule}_{finding.table}.csv",
            mime="text/csv",
            key=f"quality_download_{i}",
            on_click="ignore",
        )
