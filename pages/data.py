"""Data: load a demo or your own exports, see what was recognised, map unknown columns."""

import logging

import polars as pl
import streamlit as st

from lib import fmt, io, local, measures, parse, recipe, state
from lib.formats import FORMAT_LABELS, KINDS, base, generic
from pages.common import columns, settings, ui

ACCEPTED = ["csv", "gz", "tsv", "txt", "zip", "parquet", "xlsx", "xls"]
NO_COLUMN = ui.labelled({None: "— none —"})
NO_CURRENCY = ui.labelled({None: "— not stated —"})
DATE_ORDER = ui.labelled({None: "as the dates say", **parse.DATE_ORDERS})


def _where(note) -> str:
    """A note's file, and its column when it names one: 'sales.csv · price'."""
    return f"{note.file} · {note.column}" if note.column else note.file


def _fingerprint(frame: pl.DataFrame) -> tuple:
    """What keys a table's cached guess and checks: its names, height and a sample's hash."""
    sample = pl.concat([frame.head(500), frame.tail(500)])
    return tuple(frame.columns), frame.height, int(sample.hash_rows().sum())


@st.cache_data(max_entries=20, show_spinner="Guessing which column holds what…")
def _guess(key: tuple, _frame: pl.DataFrame) -> generic.ColumnMapping:
    return generic.guess_mapping(_frame)


@st.cache_data(max_entries=50, show_spinner="Checking the mapping…")
def _checks(
    key: tuple, fields: tuple, currency: str | None, dates: str | None, _frame: pl.DataFrame
) -> tuple[list[str], list[str], pl.DataFrame]:
    """(problems, warnings, preview) of one mapping: every rerun of the page shows them."""
    mapping = generic.ColumnMapping(dict(fields), currency, dates)
    problems, warnings = generic.mapping_checks(_frame, mapping)
    return problems, warnings, generic.preview(_frame, mapping)


def _apply_recipe(text: str) -> dict:
    """Restore a recipe: the data set it names, the mapping of each uploaded file, every page's
    settings and the segment rules. Returns what to tell the user (escaped Markdown)."""
    try:
        made = recipe.from_toml(text)
    except recipe.RecipeError as exc:
        return {"error": f"This is not a recipe Storelens can read: {fmt.plain(exc)}"}
    tables = state.uploaded_tables()
    done, warnings, notes = [], [], []
    if made.demo in state.DEMO_LABELS:
        if state.source() != made.demo:
            state.use_source(made.demo)
            done.append(f"switched to the {state.DEMO_LABELS[made.demo]}")
    elif made.demo:
        warnings.append(f"The recipe names an unknown demo ({fmt.plain(made.demo)}).")
    elif tables:
        if state.source() != state.FILES:
            state.use_source(state.FILES)
            done.append("switched to your files")
        frames = {t.name: t.frame for t in tables}
        mapped = []
        for name, mapping in recipe.mappings_for(made, tables).items():
            problems = generic.mapping_problems(frames[name], mapping)
            if problems:
                notes.append(
                    f"{fmt.plain(name)}: the recipe's mapping does not fit "
                    f"({fmt.plain(problems[0])}); map it below"
                )
            else:
                state.set_mapping(name, mapping)
                mapped.append(name)
        if mapped:
            done.append(f"the column mapping of {', '.join(fmt.plain(n) for n in mapped)}")
        notes += [fmt.plain(n) for n in recipe.mapping_notes(made, tables)]
    differ = recipe.differences(made, tables) if not made.demo else []
    if made.files and not tables:
        names = ", ".join(fmt.plain(p.file or p.name) for p in made.files)
        warnings.append(
            f"The recipe was made on files that are not loaded: {names}. Upload them above, then "
            "upload the recipe again to restore their mapping."
        )
    elif differ:
        warnings.append(
            "These files are not the ones the recipe was made on, so its figures may differ: "
            + "; ".join(fmt.plain(d) for d in differ)
            + "."
        )
    ds = state.dataset()
    restored = settings.restore(made.settings, ds if ds.tables else None)
    settings.restore_rules(made.rules_frame(), made.settings)
    done.append(
        f"the settings and views of every page ({len(restored.pages)} set by the recipe, the "
        "rest at their defaults)"
    )
    if made.rules is not None:
        done.append(f"{len(made.rules)} segment rules")
    notes += list(restored.notes)
    return {"done": done, "warnings": warnings, "notes": notes}


def _local_folder(assembly) -> None:
    """The folder the app was started on: what its summary holds, its memory, and the cache."""
    st.subheader("Folder given at start")
    for message in assembly.messages:  # paths and column names from the files
        st.error(fmt.plain(message), icon=":material/error:")
    ds = assembly.dataset
    if ds.tables:
        dropped = base.dropped(ds.notes)
        for note in ds.notes:
            if note in dropped:  # lines the summary could not use
                st.warning(fmt.plain(f"{note.message}."), icon=":material/filter_alt_off:")
            else:
                st.success(fmt.plain(f"{note.message}."), icon=":material/check_circle:")
        held = io.size_text(ds.tables["lines"].estimated_size())
        st.caption(
            f"The summary takes {held} in memory, shared by every tab. Sales, Regions, RFM, "
            "Cohorts and Lifetime value give the figures of the whole lines. Data quality's "
            "findings on lines and what RFM, Cohorts and Lifetime value say of lines left out "
            "were counted on the lines as they were summarised. What else counts lines counts "
            "the summary's rows instead: basket sizes in lines, Clusters' return share, and "
            "Sales' and Clusters' captions on lines without a customer, which say order rows."
        )
    root = local.cache_dir()
    kept = local.cached_bytes()
    st.caption(
        fmt.plain(
            f"Summaries are kept in {root} ({io.size_text(kept)}): the next start on the same "
            "files opens from there, and a changed file is summarised again. Delete them here "
            f"or with rm -rf {root}; the data set stays open until the app stops."
        )
    )
    st.button(
        "Delete the cached summaries",
        key="data_local_clear",
        on_click=local.clear_cache,
        disabled=not kept,
        icon=":material/delete:",
    )


st.title("Data")
st.markdown(
    "Drop one or more exports: **Olist** marketplace files (orders, items, customers, sellers, "
    "products, payments, reviews, geolocation, category translation, leads, closed deals), a "
    "**web shop** export (events, items, orders, users), **Online Retail** invoice lines, or the "
    "orders exports of **Shopify**, **WooCommerce**, **Stripe** (payments), **PayPal** (activity "
    "download) and **Amazon Seller Central** (All Orders report). Any other transactions table "
    "can be mapped column by column. "
    "Files: csv, csv.gz, tsv, txt, zip (several files inside), parquet, xlsx or xls."
)

uploaded = st.file_uploader(
    "Drop export files", type=ACCEPTED, accept_multiple_files=True, key=state.uploader_key()
)
new_files = [f for f in uploaded or [] if not state.seen(f.file_id)]
for file in new_files:
    try:
        budget = io.session_budget().holding(state.uploaded_tables())
        state.add_tables(io.read_file(file.name, file.getvalue(), budget=budget), file.file_id)
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

for name in state.replaced_tables():  # the upload before this run's rerun replaced them
    st.info(
        fmt.plain(
            f"{name} replaced the table of the same name loaded before, with its column "
            "mapping: upload the earlier file again to bring it back."
        ),
        icon=":material/swap_horiz:",
    )
for name, free in state.kept_tables():  # an unknown file did not replace a known one
    st.info(
        fmt.plain(
            f"The new {name} is not a known export, so the {name} loaded before stays as it was; "
            f"the new one is listed as {free}: map its columns below, or remove it."
        ),
        icon=":material/file_copy:",
    )
for name, message in state.errors().items():
    left, right = st.columns([6, 1])
    left.error(fmt.plain(message), icon=":material/error:")  # file and column names are data
    right.button("Dismiss", key=f"data_dismiss_{name}", on_click=state.dismiss_error, args=(name,))

if state.source() != state.FILES:
    st.info(
        f"You are looking at the **{fmt.plain(state.source_label(state.source()))}**. Uploading "
        "files switches to *My files*; the other data sets stay one click away in the sidebar."
    )

assembly = state.assembly()
if state.source() == state.LOCAL:
    _local_folder(assembly)
st.subheader("What was recognised")
if not assembly.recognitions:
    st.caption("Nothing uploaded yet.")
else:
    notes = {t.name: "; ".join(t.notes) for t in state.uploaded_tables() if t.notes}
    recognised = pl.DataFrame(
        {
            "table": [r.name for r in assembly.recognitions],
            "recognised as": [
                f"the same rows as {r.same_as}: read once"
                if r.same_as
                else r.kind.label
                if r.kind
                else "unknown: map it below"
                for r in assembly.recognitions
            ],
            "rows": [r.rows for r in assembly.recognitions],
            "columns": [r.columns for r in assembly.recognitions],
            "how it was read": [notes.get(r.name, "") for r in assembly.recognitions],
        }
    )
    st.dataframe(
        recognised if notes else recognised.drop("how it was read"),
        hide_index=True,
        height="content",  # every file in view: an Olist upload has 11
        column_config={
            "table": "File",
            "recognised as": "Recognised as",
            "rows": st.column_config.NumberColumn("Rows", format="localized"),
            "columns": "Columns",
            "how it was read": st.column_config.TextColumn("How it was read", width="large"),
        },
    )
    ds = assembly.dataset
    dropped = base.dropped(ds.notes)
    emptied = base.emptied(ds.notes)  # columns none of whose values could be read
    if ds.tables:
        formats = " + ".join(FORMAT_LABELS.get(f, f) for f in ds.source_format.split("+"))
        notes = ui.cached(measures.count_notes)(ds.key, ds)
        counts = ", ".join(
            f"{t} {n:,}" + (f" ({notes[t]})" if t in notes else "")
            for t, n in ds.row_counts().items()
        )
        left = sum(n.count for n in dropped)
        if left or emptied or 0 in ds.row_counts().values():  # not all was read: no green tick
            gone = fmt.counted(left, "row was", "rows were")
            also = f" {gone} left out, as said below." if left else ""
            if emptied:
                none = fmt.counted(len(emptied), "column has", "columns have")
                also += f" {none} no value that could be read, as said below."
            st.warning(f"{formats}: {counts}.{also}", icon=":material/warning:")
        else:
            st.success(f"{formats}: {counts}.", icon=":material/check_circle:")
    for note in dropped:  # rows left out, said where the counts are, with the column
        st.warning(fmt.plain(f"{_where(note)}: {note.message}"), icon=":material/filter_alt_off:")
    for note in emptied:
        st.warning(fmt.plain(f"{_where(note)}: {note.message}"), icon=":material/block:")
    fixed = [n for n in ds.notes if n not in dropped and n not in emptied]
    if fixed:
        with st.expander(
            # As Overview and Data quality name them: "Notes" there are the quality findings.
            f"What the loader had to fix: {fmt.counted(len(fixed), 'thing')}, also on Data quality"
        ):
            for note in fixed:
                st.caption(fmt.plain(f"{_where(note)}: {note.message}"))
    for message in assembly.messages:  # file names, columns and values from the files
        st.warning(fmt.plain(message))

if state.source() == state.FILES and state.uploaded_tables():
    with st.popover("Remove files"):
        for table in state.uploaded_tables():
            st.button(
                f"Remove {fmt.plain(table.name)}",  # a label is Markdown; a name is the user's
                key=f"data_remove_{table.name}",
                on_click=state.remove_table,
                args=(table.name,),
            )
        st.button("Remove all", key="data_remove_all", on_click=state.clear_files, type="primary")

tables = {t.name: t for t in state.uploaded_tables()}
# A copy of another table is read once: its mapping would be the other's.
unknown = [
    r for r in assembly.recognitions if r.kind is None and r.name in tables and not r.same_as
]
if state.source() == state.FILES and unknown:
    st.subheader("Map your columns")
    st.markdown(
        "Tell Storelens which column holds what. Each field starts with a guess from the column "
        "names and values; correct any of them and check the preview before you confirm."
    )
# Forms shown at once: each holds a dozen widgets, and a rerun's cost grows with the square of a
# page's widgets (300 sheets of a workbook took 212 s a click); the rest wait their turn.
MAX_FORMS = 5
waiting = [r for r in unknown if state.mapping(r.name) is None][MAX_FORMS:]
if state.source() == state.FILES and waiting:
    st.info(
        f"{fmt.counted(len(waiting), 'more table waits', 'more tables wait')} for a mapping "
        f"({fmt.plain(', '.join(r.name for r in waiting[:3]))}"
        f"{', …' if len(waiting) > 3 else ''}): map the {MAX_FORMS} below first, or remove the "
        "files you do not need (Remove files).",
        icon=":material/hourglass:",
    )
for rec in [r for r in unknown if r not in waiting] if state.source() == state.FILES else []:
    frame = tables[rec.name].frame
    current = state.mapping(rec.name)
    with st.expander(f"{fmt.plain(rec.name)} as order lines", expanded=current is None):
        if current is not None:
            mapped = ", ".join(
                f"{generic.FIELD_LABELS[k]} ← {v}" for k, v in current.used().items()
            )
            money = f" Amounts in {current.currency}." if current.currency else ""
            if current.dates:
                money += f" Dates read {parse.DATE_ORDERS[current.dates]} where either fits."
            st.success(fmt.plain(f"Mapped: {mapped}.{money}"))
            st.button(
                "Change the mapping",
                key=f"data_unmap_{rec.name}",
                on_click=state.clear_mapping,
                args=(rec.name,),
            )
            continue
        if hint := base.near_miss(rec.name, frame.columns, KINDS):
            st.info(fmt.plain(hint), icon=":material/help:")
        key = _fingerprint(frame)
        guess = _guess(key, frame)
        options = [None, *frame.columns]
        chosen = {}
        grid = st.columns(3)
        for i, field in enumerate(generic.FIELDS):
            default = guess.fields.get(field)
            chosen[field] = grid[i % 3].selectbox(
                generic.FIELD_LABELS[field],
                options,
                index=options.index(default) if default in options else 0,
                format_func=NO_COLUMN,
                key=f"data_map_{rec.name}_{field}",
                help=f"{generic.FIELD_HELP[field]} (called {field} in the checks below and in "
                "recipes).",
            )
        # The currency the amounts name, when they name one (guess_mapping), first chosen.
        currencies = [None, *generic.CURRENCIES]
        if guess.currency not in currencies:
            currencies.append(guess.currency)
        currency = grid[len(generic.FIELDS) % 3].selectbox(
            "Currency",
            currencies,
            index=currencies.index(guess.currency),
            format_func=NO_CURRENCY,
            accept_new_options=True,
            key=f"data_map_{rec.name}_currency",
            help="Currency of the amounts, as three letters (EUR, USD...): pages show its symbol",
        )
        dates = grid[(len(generic.FIELDS) + 1) % 3].selectbox(
            "Date order",
            [None, *parse.DATE_ORDERS],
            format_func=DATE_ORDER,
            key=f"data_map_{rec.name}_dates",
            help="How to read dates such as 05/01/2023, whose day and month could be either, "
            "when no date of the column tells (a day above 12 settles it)",
        )
        mapping = generic.ColumnMapping(chosen, generic.currency_code(currency), dates)
        problems, warnings, preview = _checks(
            key, tuple(chosen.items()), mapping.currency, dates, frame
        )
        st.caption("Preview of the first mapped rows")
        # As every table shows them: dates as dates (with the time of day when the file has
        # one), money with separators and its currency, empty cells as "—".
        when = preview.get_column("ordered_at", default=None)
        timed = when is not None and bool(((when.dt.hour() > 0) | (when.dt.minute() > 0)).any())
        preview_config = {
            "ordered_at": (columns.moment if timed else columns.day)("Order date"),
            **{
                field: columns.money(generic.FIELD_LABELS[field], mapping.currency, 2)
                for field in generic.MONEY
            },
            "status": generic.FIELD_LABELS["status"],
            "is_return": "Return",
        }
        columns.table(
            preview,
            {c: v for c, v in preview_config.items() if c in preview.columns},
            hide_index=True,
        )
        # Problems and warnings quote column names and values from the file.
        for problem in problems:
            st.error(fmt.plain(problem), icon=":material/block:")
        for warning in warnings:
            st.warning(fmt.plain(warning), icon=":material/warning:")
        st.button(
            "Use this mapping",
            key=f"data_confirm_{rec.name}",
            disabled=bool(problems),
            type="primary",
            on_click=state.set_mapping,
            args=(rec.name, mapping),
        )

# --- recipe -----------------------------------------------------------------------------------
st.subheader("Restore a recipe")
st.caption(
    "A recipe (Download recipe, in the sidebar) holds the column mapping of each uploaded file, "
    "every page's settings, the segment rules and the data's fingerprint. Load the same files "
    "first, then upload the recipe: it restores all of it and says what differs."
)
with st.popover("Upload a recipe", icon=":material/receipt_long:"):
    recipe_file = st.file_uploader("Recipe (.toml)", type=["toml"], key="data_recipe")
if recipe_file is not None and not state.recipe_applied(recipe_file.file_id):
    outcome = _apply_recipe(recipe_file.getvalue().decode("utf-8", errors="replace"))
    state.keep_recipe(recipe_file.file_id, outcome)
    st.rerun()  # the sidebar and the pages take the restored data set and settings
if recipe_file is not None and (outcome := state.recipe_outcome()) is not None:
    if "error" in outcome:
        st.error(outcome["error"], icon=":material/error:")
    else:
        st.success("Recipe applied: " + "; ".join(outcome["done"]) + ".", icon=":material/check:")
        for warning in outcome["warnings"]:
            st.warning(warning, icon=":material/difference:")
        for note in outcome["notes"]:
            st.caption(f":material/info: {note}")
