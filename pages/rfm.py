"""RFM: customer segments by recency, frequency and monetary value, with actions."""

import hashlib
import math
import re
from datetime import timedelta

import polars as pl
import streamlit as st

from lib import fmt, local, measures, quality, state
from lib.analyses import movement, rfm
from lib.catalog import PAGE_BY_KEY
from lib.charts import movement as movement_charts
from lib.charts import rfm as charts
from lib.formats import PERSON_RESOLVED
from pages.common import columns, exports, links, ui
from pages.common.settings import RULES_KEY, view_choices

MODES = {"quantiles": "Quantiles", "thresholds": "My thresholds"}
VIEWS = view_choices("rfm_view")


ds = state.dataset()
st.title("RFM")
st.caption(PAGE_BY_KEY["rfm"].answers)
lines = state.require("lines", "customer_id", hint=PAGE_BY_KEY["rfm"].hint(ds))
currency = ds.currency
exports.page_tools("rfm", ds)
check = links.Checks("rfm", ds)

# --- controls ---------------------------------------------------------------------------------
first_day, last_day = lines["ordered_at"].min().date(), lines["ordered_at"].max().date()
opening = rfm.default_as_of(lines)
# From the day after the first order (someone has ordered) to ten years after the last.
earliest, latest = first_day + timedelta(days=1), opening + timedelta(days=3653)
cols = st.columns([2, 2, 3])
check.dates("rfm_as_of", earliest, latest, opening, label="As of", data=True)
as_of = cols[0].date_input(
    "As of",
    value=opening,
    min_value=earliest,
    max_value=latest,
    key="rfm_as_of",
    bind=links.BIND,
    help="Recency counts days from the last order to this date; only orders before it count, "
    "as they stood then (a later cancellation takes nothing back). Default: the day after the "
    "last order.",
)
check.choice("rfm_bins", list(rfm.BINS), 5, label="Scores")
bins = cols[1].segmented_control(
    "Scores",
    list(rfm.BINS),
    default=5,
    key="rfm_bins",
    required=True,
    help="Bins per dimension",
    bind=links.BIND,
)
if as_of <= last_day and ds.source_format == local.FORMAT:
    st.caption(local.LOOK_AHEAD)
if past := rfm.as_of_note(as_of, last_day):
    st.warning(past, icon=":material/warning:")
check.choice("rfm_mode", list(MODES), "quantiles", label="Score by", format_func=MODES.get)
mode = cols[2].segmented_control(
    "Score by",
    list(MODES),
    default="quantiles",
    format_func=MODES.get,
    key="rfm_mode",
    required=True,
    bind=links.BIND,
    help="Quantiles: equal-sized groups of customers. My thresholds: set the cut-offs yourself.",
)
ties = dict(rfm.PUBLISHED_TIES)
if mode == "quantiles":
    for col, dim in zip(st.columns(3), rfm.DIMENSIONS, strict=True):
        check.choice(
            f"rfm_ties_{dim}",
            list(rfm.TIES),
            rfm.PUBLISHED_TIES[dim],
            label=f"{dim.capitalize()} ties",
            format_func=rfm.TIE_LABELS.get,
        )
        ties[dim] = col.segmented_control(
            f"{dim.capitalize()} ties",
            list(rfm.TIES),
            default=rfm.PUBLISHED_TIES[dim],
            format_func=rfm.TIE_LABELS.get,
            key=f"rfm_ties_{dim}",
            required=True,
            bind=links.BIND,
            help="By value: customers with equal values share a score, pd.qcut(x, bins); a "
            "heaped value can skip scores. Row order: pd.qcut(x.rank(method='first'), bins), "
            "equal customers spread over scores in customer-id order. The defaults are the "
            "published Online Retail recipe: R and M by value, F in row order.",
        )
check.flag("rfm_clean", True, label="Purchases only")
clean = st.toggle(
    "Purchases only",
    value=True,
    key="rfm_clean",
    bind=links.BIND,
    help="On (the definition every page uses): purchases as the published Online Retail RFM "
    "analyses clean them, with no exact duplicate rows and no lines whose quantity or unit price "
    "is not positive; a cancellation is netted out of the purchase it reverses (its quantity at "
    "that purchase's price). Off: every line, "
    "returns subtracted from the customer's revenue where they happen.",
)

table_key = f"{ds.key}|clean={clean}|as_of={as_of}"
table: rfm.CustomerTable = ui.cached(rfm.customer_table)(table_key, lines, as_of=as_of, clean=clean)
customers = table.customers
# A summarised folder's lines, as counted when it was summarised (its rows are no lines).
checks = quality.line_checks(ds) if clean else None
# Every line counts when the as-of date is after the last: the sum then follows from them.
note = (
    rfm.monetary_note(lines, customers["monetary"].sum(), currency)
    if clean and checks is None and as_of > last_day and customers.height
    else ""
)
if checks is not None:
    left_out = f" {quality.checks_note(checks)}"
elif table.lines_without_customer:
    # Of the lines before the as-of date, which are all the table reads.
    placed = measures.placed_before(lines, as_of)
    before = f" before {fmt.day(as_of)}" if placed < lines.height else ""
    # The monetary note, when it follows, gives their revenue (when not 0) in its own unit.
    revenue = (
        ""
        if note and table.revenue_without_customer
        else f" ({fmt.money(table.revenue_without_customer, currency)} of revenue)"
    )
    left_out = (
        f" {table.lines_without_customer:,} of {placed:,} {ui.lines_word(ds)}{before}{revenue} "
        "have no customer id and are left out."
    )
else:
    left_out = ""
extra = []
if table.cleaned_lines and checks is None:
    extra.append(f"cleaning removed {table.cleaned_lines:,} more {ui.lines_word(ds)}")
if table.without_purchase:
    extra.append(
        f"{table.without_purchase:,} customers without a purchase (only returns or free lines) "
        "are left out"
    )
resolved = [PERSON_RESOLVED[f] for f in ds.source_format.split("+") if f in PERSON_RESOLVED]
st.caption(
    "One row per person"
    + (f" ({'; '.join(resolved)})" if resolved else "")
    + ". Frequency counts distinct orders with a purchase; monetary is their revenue, net of "
    "cancellations."
    + (f" Amounts in {currency}." if currency else "")
    + left_out
    + (f" {'; '.join(extra).capitalize()}." if extra else "")
    + (f" {note}" if note else "")
)
# Off, every line of an order counts: an order's and revenue's definitions, not a purchase's.
ui.definitions(ds, *(("purchase", "customer") if clean else ("order", "revenue")))
if customers.height == 0:
    st.info(
        "No customer has a purchase in this data (only returns, free lines or lines without a "
        "customer id), so there is no one to score."
        if as_of > last_day
        else f"No customer ordered before {fmt.day(as_of)}: move the as-of date after the first "
        f"order (the data runs to {fmt.day(last_day)})."
    )
    st.stop()

# --- scores -----------------------------------------------------------------------------------
degenerate: list[rfm.Degenerate] = []
spread: list[tuple[str, float]] = []  # values many customers share, their ties in row order
if mode == "quantiles":
    scored = ui.cached(rfm.scored_by_bins, "Scoring the customers by quantiles…")(
        f"{table_key}|q", customers, ties=ties
    )[bins]
    commonest = ui.cached(rfm.commonest_values)(table_key, customers)
    degenerate = rfm.degenerate_dimensions(scored, ties, commonest)
    for d in degenerate:
        st.warning(rfm.degenerate_warning(d, currency), icon=":material/warning:")
    told = {d.dimension for d in degenerate}
    # Once per scoring: three distinct-value scans of every customer (24 ms at 1.7M).
    collapsed = ui.cached(rfm.collapsed_dimensions)(
        f"{table_key}|q|{bins}|{ties}", scored, bins=bins
    )
    for warning in rfm.fewer_scores_warnings(collapsed, degenerate, scored.height, ties):
        st.warning(warning, icon=":material/warning:")
    for dim, value, share in rfm.heaped_values(commonest, bins).rows():
        if ties[dim] == "first" and dim not in told:
            spread.append((dim, value))
            st.caption(
                f":material/info: {fmt.pct(share)} of customers share the same {dim} "
                f"({value:,.0f}): row order, not behaviour, spreads them over several scores."
            )
else:
    start = ui.cached(rfm.default_cuts)(f"{table_key}|cuts", customers, bins=bins)
    st.caption(
        "Set where each score starts; the sliders start at the quantile cut-offs. Recency: a "
        "customer whose last order is within the days scores that high. Frequency and "
        "monetary: a customer reaching the value scores at least that."
    )

    def _ceiling(value: float) -> int:
        return max(1, int(math.ceil(value)))

    spans = {
        "recency": (0, _ceiling(customers["recency_days"].max()), 1, "days"),
        "frequency": (
            1,
            max(_ceiling(customers["frequency"].quantile(0.99)), 20, bins + 1),
            1,
            "orders",
        ),
    }
    # Money to the cent: the sliders open on the quantile cut-offs themselves (whole pounds
    # moved customers between 242 and 242.96 a score up from the quantile mode's).
    top_spend = _ceiling(customers["monetary"].quantile(0.99) or 1)
    spans["monetary"] = (0.0, float(top_spend), 0.01, currency or "money")
    cuts: dict[str, list[float]] = {}
    slider_cols = st.columns(3)
    for col, dim in zip(slider_cols, rfm.DIMENSIONS, strict=True):
        low, high, step, unit = spans[dim]
        col.markdown(f"**{dim.capitalize()}** ({unit})")
        values = []
        for k, default in enumerate(start[dim], start=1):
            label = (
                f"R{bins - k + 1} if within (days)"
                if dim == "recency"
                else f"{dim[0].upper()}{k + 1} from ({unit})"
            )
            opening_cut = type(low)(min(max(default, low), high))
            key = f"rfm_{dim}_{bins}_{k}"
            whole = isinstance(low, int)  # money moves by the cent
            check.number(key, low, high, opening_cut, label=label, whole=whole, data=True)
            values.append(
                col.slider(label, low, high, opening_cut, step=step, key=key, bind=links.BIND)
            )
        cuts[dim] = values
    scored = rfm.threshold_scored(customers, cuts)

# --- segments ---------------------------------------------------------------------------------
with st.expander(
    "Segment rules — edit to regroup customers (top to bottom, the first rule that matches wins)",
    expanded=False,
):
    restored = state.rules_base(bins)  # rules a recipe brought, else the defaults
    rules = st.data_editor(
        rfm.default_rules(bins) if restored is None else restored,
        key=RULES_KEY,
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        placeholder="any",
        column_config={
            "segment": st.column_config.TextColumn("Segment", required=True, width="medium"),
            **{
                f"{letter}_{end}": st.column_config.NumberColumn(
                    f"{letter.upper()} {end}",
                    min_value=1,
                    max_value=bins,
                    step=1,
                    format="%d",
                    width="small",
                    help="Empty: any score",
                )
                for letter in "rfm"
                for end in ("from", "to")
            },
            "action": st.column_config.TextColumn("Suggested action", width="large"),
        },
    )
    st.caption(
        "The default is the 10-segment R-F map of the published Online Retail RFM analyses "
        "(their regex map on the R and F scores, e.g. '[1-2][1-2]' hibernating, '5[4-5]' "
        "champions; the same first-match order as pandas' replace(regex=True)), scaled for 3 "
        'and 4 bins. Scores no rule covers go to "other".'
    )
rules = pl.DataFrame(rules) if not isinstance(rules, pl.DataFrame) else rules
# The rules in effect, for reports and recipes (None: the defaults).
state.set_rules(None if rules.to_dicts() == rfm.default_rules(bins).to_dicts() else rules)
for problem in rfm.rule_problems(rules, bins):
    st.warning(problem, icon=":material/rule:")
customers = rfm.segmented(scored, rules)
# Which segments row order put equal customers in (one-time buyers scored F 2 or 3).
for dim, value in spread:
    lifted = rfm.lifted_by_order(customers, rules, dim, value)
    if lifted.height:
        st.caption(f":material/info: {rfm.lifted_note(lifted, dim, value)}")
summary = rfm.segment_summary(customers, rules, degenerate)
blind = rfm.blind_dimensions(degenerate, rules)
acting = not blind
state.share("rfm_segments", customers.select("customer_id", "segment"))
# What the segments cannot tell apart, said beside them wherever they are shown (CLV, Clusters).
state.share("rfm_blind", [rfm.degenerate_warning(d, currency) for d in blind])

cols = st.columns(4)
cols[0].metric("Customers", fmt.count(customers.height), border=True)
cols[1].metric(
    "Customers' net revenue",
    fmt.money(customers["monetary"].sum(), currency),
    help=(
        "Net revenue of these customers' purchases before the as-of date, cleaned as the "
        "note above says (lines without a customer id are not in it): it can differ "
        "from the Sales page's net revenue of every line."
        if clean
        else "Net revenue of every line of these customers before the as-of date, returns "
        "subtracted where they happen (lines without a customer id are not in it)."
    ),
    border=True,
)
cols[2].metric(
    "Segments",
    summary.filter(pl.col("segment") != rfm.OTHER).height,
    help="Segments with at least one customer",
    border=True,
)
cols[3].metric(
    "Not covered by a rule",
    fmt.count(summary.filter(pl.col("segment") == rfm.OTHER)["customers"].sum()),
    help='Customers in "other": no rule covers their scores.',
    border=True,
)

check.choice("rfm_view", VIEWS, VIEWS[0], label="View")
view = st.segmented_control(
    "View", VIEWS, default=VIEWS[0], key="rfm_view", required=True, bind=links.BIND
)
if view == VIEWS[0]:
    ui.chart(charts.segment_chart(summary, currency), width="stretch")
    ui.reading(rfm.segments_reading(summary, currency, degenerate, rules))
    # Shares in percent with one decimal, as the reading prints them.
    shown = summary.drop("action").with_columns(pl.col("customer_share", "revenue_share") * 100)
    columns.table(
        shown,
        {
            "segment": columns.key(rfm.SEGMENT_HEADERS["segment"]),
            "customers": columns.count(rfm.SEGMENT_HEADERS["customers"]),
            "customer_share": columns.percent(rfm.SEGMENT_HEADERS["customer_share"]),
            "revenue": columns.money(rfm.SEGMENT_HEADERS["revenue"], currency),
            "revenue_share": columns.percent(rfm.SEGMENT_HEADERS["revenue_share"]),
            "avg_recency_days": columns.number(rfm.SEGMENT_HEADERS["avg_recency_days"], 0),
            "avg_frequency": columns.number(rfm.SEGMENT_HEADERS["avg_frequency"], 1),
            "avg_monetary": columns.money(rfm.SEGMENT_HEADERS["avg_monetary"], currency),
        },
        width="stretch",
    )
    ui.download(summary, "rfm_segments_summary", "rfm_download_summary")
elif view == VIEWS[1]:
    check.choice(
        "rfm_grid_across",
        list(rfm.ACROSS),
        "frequency",
        label="Columns",
        format_func=rfm.ACROSS.get,
    )
    across = st.segmented_control(
        "Columns",
        list(rfm.ACROSS),
        default="frequency",
        format_func=rfm.ACROSS.get,
        key="rfm_grid_across",
        required=True,
        bind=links.BIND,
        help="Recency against frequency, or against monetary value (when F cannot separate "
        "customers).",
    )
    grid = rfm.rf_grid(customers, bins, across)
    ui.chart(charts.grid_heatmap(grid, bins, currency), width="stretch")
    lapse = ui.lapse_days(ds.key, lines)
    ui.reading(rfm.grid_reading(grid, bins, currency, degenerate, lapse))
    ui.download(grid, "rfm_grid", "rfm_download_grid")
elif view == VIEWS[2]:
    per_row = 3
    rows = list(summary.iter_rows(named=True))
    for start_at in range(0, len(rows), per_row):
        for col, row in zip(st.columns(per_row), rows[start_at : start_at + per_row], strict=False):
            with col.container(border=True):
                st.markdown(f"**{fmt.plain(row['segment'].capitalize())}**")
                st.markdown(
                    f"{fmt.counted(row['customers'], 'customer')} "
                    f"({fmt.pct(row['customer_share'])})"
                    f" · {fmt.pct(row['revenue_share'])} of net revenue  \n"
                    f"last order {row['avg_recency_days']:,.0f} days ago · "
                    f"{row['avg_frequency']:,.1f} orders · "
                    f"{fmt.whole_money(row['avg_monetary'], currency)} each (averages)"
                )
                if acting:
                    action = rfm.segment_action(row["action"], row["customers"])
                    st.caption(f":material/campaign: {fmt.plain(action)}")
    ui.reading(rfm.segments_reading(summary, currency, degenerate, rules))
    ui.download(summary, "rfm_segment_profiles", "rfm_download_profiles")
elif view == VIEWS[3]:
    order = summary["segment"].to_list()
    check.choices("rfm_segment_filter", order, label="Segments", data=True)
    picked = st.multiselect(
        "Segments",
        order,
        key="rfm_segment_filter",
        placeholder="All segments",
        bind=links.BIND,
    )
    listed = customers.filter(pl.col("segment").is_in(picked)) if picked else customers
    listed = listed.drop("rf").sort(["monetary", "customer_id"], descending=[True, False])
    columns.table(
        listed,
        {
            "customer_id": columns.key("Customer"),
            "first_order": columns.day("First order"),
            "last_order": columns.day("Last order"),
            "recency_days": columns.count("Recency (days)"),
            "frequency": columns.count("Orders"),
            "monetary": columns.money("Net revenue", currency, 2),
            "r_score": st.column_config.NumberColumn("R", format="%d"),
            "f_score": st.column_config.NumberColumn("F", format="%d"),
            "m_score": st.column_config.NumberColumn("M", format="%d"),
            "segment": st.column_config.TextColumn("Segment"),
        },
        ids=("customer_id",),
        order=["customer_id", "segment", "monetary"],
        width="stretch",
    )
    ui.reading(rfm.customers_reading(listed, currency))
    ui.deleted_note(ds, listed["customer_id"], "listed")
    ui.download(listed, "rfm_customers", "rfm_download_customers")
else:
    # --- movement: the segments at an earlier date against those at the as-of date ---------

    opening_from = max(movement.quarter_before(as_of), earliest)
    cols = st.columns([2, 3])
    check.basis("rfm_move_from", as_of, opening_from)  # a quarter before each as-of date
    check.dates("rfm_move_from", earliest, latest, opening_from, label="Compare with", data=True)
    first = cols[0].date_input(
        "Compare with",
        value=opening_from,
        min_value=earliest,
        max_value=latest,
        key="rfm_move_from",
        bind=links.BIND,
        help="The earlier as-of date: customers' segments then (orders before it) against their "
        "segments at the as-of date above. Default: one quarter before it.",
    )
    check.choice(
        "rfm_move_measure",
        list(movement.MEASURES),
        "customers",
        label="Flows of",
        format_func=str.capitalize,
    )
    measure = cols[1].segmented_control(
        "Flows of",
        list(movement.MEASURES),
        default="customers",
        format_func=str.capitalize,
        key="rfm_move_measure",
        required=True,
        bind=links.BIND,
        help="Band widths: customers, or their revenue between the two dates.",
    )
    if first is None or first >= as_of:
        st.info(
            f"Choose a comparison date before the as-of date ({fmt.day(as_of)}): the movement "
            "shows where the segments of that earlier date stand at the as-of date."
        )
        st.stop()
    if first > last_day:
        st.info(
            f"No orders from {fmt.day(first)} on: the data runs from {fmt.day(first_day)} to "
            f"{fmt.day(last_day)}. Move the comparison date (or the as-of date) into the data."
        )
        st.stop()

    # The rules' full content names the cached result (a DataFrame's repr is cut short).
    ruled = hashlib.sha256(repr(rules.rows()).encode()).hexdigest()[:16]
    try:
        moved: movement.Movement = ui.cached(movement.segment_movement)(
            f"{ds.key}|lines|rules={ruled}",
            lines,
            first=first,
            second=as_of,
            rules=rules,
            bins=bins,
        )
    except ValueError as exc:
        st.info(f"No segment movement to show: {fmt.plain(exc)}.")
        st.stop()

    same = mode == "quantiles" and ties == rfm.PUBLISHED_TIES and clean
    st.caption(movement.flows_caption(first, as_of, measure, same))
    told_warnings = {rfm.degenerate_warning(d, currency) for d in degenerate}
    for d in moved.degenerate:
        warning = rfm.degenerate_warning(d, currency)
        if warning not in told_warnings:
            st.warning(warning, icon=":material/warning:")
    table = moved.movements
    if table.height == 0:
        st.info(f"No customer ordered before {fmt.day(as_of)}.")
        st.stop()

    flows = movement.movement_flows(table, measure, rules)
    if flows.height:
        ui.chart(
            movement_charts.flow_chart(
                flows,
                "Customers" if measure == "customers" else "Revenue",
                first=fmt.day(first),
                second=fmt.day(as_of),
            ),
            width="stretch",
        )
    else:
        st.info(f"No revenue between {fmt.day(first)} and {fmt.day(as_of)} to draw.")
    ui.reading(movement.movement_reading(moved, currency))
    columns.table(
        columns.in_percent(table, "share").drop("action"),
        {
            "from_segment": columns.key(f"At {fmt.day(first)}"),
            "to_segment": columns.text(f"At {fmt.day(as_of)}"),
            "customers": columns.count("Customers"),
            "share": columns.percent(
                "Share", help="Of the customers in the segment at the earlier date."
            ),
            "revenue": columns.money(
                "Revenue between the dates",
                currency,
                help="Net revenue of these customers' purchases between the two dates.",
            ),
            "revenue_before": columns.money(
                "Revenue in the span before",
                currency,
                help="Their net revenue in as many days before the earlier date.",
            ),
        },
        width="stretch",
    )
    # One action per destination segment: a list under the table, not a column cut at its edge.
    actions = table.filter(pl.col("action").is_not_null()).unique(
        "to_segment", keep="first", maintain_order=True
    )
    if actions.height:
        # Each destination's size in the movement (gone included): a handful is no campaign.
        sizes = dict(table.group_by("to_segment").agg(pl.col("customers").sum()).iter_rows())
        st.markdown(
            f"**Suggested action, by segment at {fmt.day(as_of)}**\n\n"
            + "\n".join(
                f"- **{fmt.plain(r['to_segment'])}**: "
                + fmt.plain(rfm.segment_action(r["action"], sizes.get(r["to_segment"], 0)))
                for r in actions.iter_rows(named=True)
            )
        )

    pairs = [f"{a} → {b}" for a, b in table.select("from_segment", "to_segment").iter_rows()]
    check.choice("rfm_move_pick", pairs, pairs[0], label="Customers of", data=True)
    pick = st.selectbox(
        "Customers of",
        pairs,
        index=0,
        key="rfm_move_pick",
        bind=links.BIND,
        help="Download the customers of one movement, with their scores at both dates.",
    )
    source, target = table.row(pairs.index(pick if pick in pairs else pairs[0]))[:2]
    chosen = moved.customers.filter(
        (pl.col("from_segment") == source) & (pl.col("to_segment") == target)
    )
    slug = re.sub(r"[^a-z0-9]+", "_", f"{source} to {target}".lower()).strip("_")
    spent = fmt.whole_money(chosen["revenue"].sum(), currency)
    st.caption(
        f"{fmt.counted(chosen.height, 'customer')} {fmt.plain(movement.moved(source, target))}"
        + ("." if target == movement.GONE else f"; they spent {spent} between the dates.")
    )
    ui.download(chosen, f"rfm_movement_{slug or 'customers'}", "rfm_download_movement")
