"""Data: load a demo or your own exports, see what was recognised, map unknown columns."""

import logging

import polars as pl
import streamlit as st

from lib import io, state
from lib.formats import FORMAT_LABELS, generic

ACCEPTED = ["csv", "gz", "tsv", "txt", "zip", "parquet", "xlsx"]

st.title("Data")
st.markdown(
    "Drop one or more exports: **Olist** marketplace files (orders, items, customers, sellers, "
    "products, payments, reviews, geolocation, category translation, leads, closed deals), a "
    "**web shop** export (events, items, orders, users) or **Online Retail** invoice lines. Any "
    "other transactions table can be mapped column by column. Files: csv, csv.gz, tsv, txt, zip "
    "(several files inside), parquet, xlsx."
)

uploaded = st.file_uploader(
    "Drop export files", type=ACCEPTED, accept_multiple_files=True, key=state.uploader_key()
)
new_files = [f for f in uploaded or [] if not state.seen(f.file_id)]
for file in new_files:
    try:
        state.add_tables(io.read_file(file.name, file.getvalue()), file.file_id)
    except io.LoadError as exc:
        state.add_error(file.name, str(exc), file.file_id)
    except Exception:  # an unexpected reader failure still names the file and keeps the rest
        logging.getLogger("storelens").exception("reading %s failed", file.name)
        state.add_error(
            file.name,
            f"{file.name}: could not be read. Save it again as UTF-8 CSV or parquet and retry.",
            file.file_id,
        )
if new_files:
    state.files_read([f.file_id for f in new_files])

for name, message in state.errors().items():
    left, right = st.columns([6, 1])
    left.error(message, icon=":material/error:")
    right.button("Dismiss", key=f"data_dismiss_{name}", on_click=state.dismiss_error, args=(name,))

if state.source() != state.FILES:
    st.info(
        f"You are looking at the **{state.SOURCE_LABELS[state.source()]}**. Uploading files "
        "switches to *My files*; the demos stay one click away in the sidebar."
    )

assembly = state.assembly()
st.subheader("What was recognised")
if not assembly.recognitions:
    st.caption("Nothing uploaded yet.")
else:
    notes = {t.name: "; ".join(t.notes) for t in state.uploaded_tables() if t.notes}
    recognised = pl.DataFrame(
        {
            "table": [r.name for r in assembly.recognitions],
            "recognised as": [
                r.kind.label if r.kind else "unknown: map it below" for r in assembly.recognitions
            ],
            "rows": [r.rows for r in assembly.recognitions],
            "columns": [r.columns for r in assembly.recognitions],
            "how it was read": [notes.get(r.name, "") for r in assembly.recognitions],
        }
    )
    st.dataframe(
        recognised if notes else recognised.drop("how it was read"),
        hide_index=True,
        column_config={"rows": st.column_config.NumberColumn(format="localized")},
    )
    ds = assembly.dataset
    if ds.tables:
        formats = " + ".join(FORMAT_LABELS.get(f, f) for f in ds.source_format.split("+"))
        counts = ", ".join(f"{t} {n:,}" for t, n in ds.row_counts().items())
        st.success(f"{formats}: {counts}.", icon=":material/check_circle:")
    for message in assembly.messages:
        st.warning(message)

if state.source() == state.FILES and state.uploaded_tables():
    with st.popover("Remove files"):
        for table in state.uploaded_tables():
            st.button(
                f"Remove {table.name}",
                key=f"data_remove_{table.name}",
                on_click=state.remove_table,
                args=(table.name,),
            )
        st.button("Remove all", key="data_remove_all", on_click=state.clear_files, type="primary")

tables = {t.name: t for t in state.uploaded_tables()}
unknown = [r for r in assembly.recognitions if r.kind is None and r.name in tables]
if state.source() == state.FILES and unknown:
    st.subheader("Map your columns")
    st.markdown(
        "Tell Storelens which column holds what. Each field starts with a guess from the column "
        "names and values; correct any of them and check the preview before you confirm."
    )
for rec in unknown if state.source() == state.FILES else []:
    frame = tables[rec.name].frame
    current = state.mapping(rec.name)
    with st.expander(f"{rec.name} as order lines", expanded=current is None):
        if current is not None:
            st.success(f"Mapped: {', '.join(f'{k} ← {v}' for k, v in current.used().items())}.")
            st.button(
                "Change the mapping",
                key=f"data_unmap_{rec.name}",
                on_click=state.clear_mapping,
                args=(rec.name,),
            )
            continue
        guess = generic.guess_mapping(frame)
        options = [None, *frame.columns]
        chosen = {}
        grid = st.columns(3)
        for i, field in enumerate(generic.FIELDS):
            default = guess.fields.get(field)
            chosen[field] = grid[i % 3].selectbox(
                field,
                options,
                index=options.index(default) if default in options else 0,
                format_func=lambda c: "— none —" if c is None else c,
                key=f"data_map_{rec.name}_{field}",
                help=generic.FIELD_HELP[field],
            )
        mapping = generic.ColumnMapping(chosen)
        problems = generic.mapping_problems(frame, mapping)
        st.caption("Preview of the first mapped rows")
        st.dataframe(generic.preview(frame, mapping), hide_index=True)
        for problem in problems:
            st.error(problem, icon=":material/block:")
        for warning in generic.mapping_warnings(frame, mapping):
            st.warning(warning)
        st.button(
            "Use this mapping",
            key=f"data_confirm_{rec.name}",
            disabled=bool(problems),
            type="primary",
            on_click=state.set_mapping,
            args=(rec.name, mapping),
        )
