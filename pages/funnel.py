"""Seller funnel: lead-to-deal conversion, time to close, rep performance and rep matching."""

import polars as pl
import streamlit as st

from lib import fmt, state, stats
from lib.analyses import funnel
from lib.catalog import PAGE_BY_KEY
from lib.charts import funnel as charts
from pages.common import columns, exports, links, ui
from pages.common.settings import view_choices

VIEWS = view_choices("funnel_view")
RATES = ("conversion", "conversion_low", "conversion_high", "within_30d", "within_90d")
REP_LABELS = {"sdr_id": "SDR", "sr_id": "SR"}


@ui.memo(max_entries=10, show_spinner="Following every lead…")
def cached_base(
    key: str, _ds
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame | None]:
    """Every lead's outcome, those the deals cover (funnel.covered), the closed deals and the
    won sellers' sales."""
    outcomes = funnel.lead_outcomes(_ds.tables["leads"], _ds.tables["deals"])
    closed = funnel.closed_deals(outcomes, _ds.tables["deals"])
    sales = (
        funnel.seller_sales(closed, _ds.tables["lines"]) if _ds.has("lines", "seller_id") else None
    )
    return outcomes, funnel.covered(outcomes), closed, sales


@ui.memo(max_entries=10, show_spinner=False)
def cached_findings(key: str, _ds) -> list:
    return funnel.funnel_findings(_ds)


def rates_config(by: str, label: str) -> dict:
    return {
        by: columns.key(label, width="medium"),
        "leads": columns.count("Leads"),
        "deals": columns.count("Deals"),
        "conversion": columns.percent("Conversion"),
        "conversion_low": columns.percent("95% low"),
        "conversion_high": columns.percent("95% high"),
        "median_days_to_close": columns.number("Median days to close", 1),
    }


def greyed(table: pl.DataFrame):
    """The table as a Styler whose rows with too few deals are grey."""
    return table.to_pandas().style.apply(
        lambda row: ["color: #94a3b8" if not row["enough"] else "" for _ in row], axis=1
    )


def matches(ds, closed: pl.DataFrame, min_count: int) -> dict[str, pl.DataFrame]:
    """The rep x lead-kind tables the deals allow (SR x lead type, SDR x segment)."""
    return {
        rep: ui.cached(funnel.match_table)(
            ds.key, closed, rep=rep, attribute=attribute, min_count=min_count
        )
        for rep, (attribute, _) in funnel.MATCHES.items()
        if ds.has("deals", rep, attribute)
    }


headers = charts.ROUTING_HEADERS
ROUTING_CONFIG = {
    "role": st.column_config.TextColumn(
        headers["role"],
        width="small",
        pinned=True,
        help="SR: sales representative; SDR: sales development representative.",
    ),
    "dimension": None,
    # Short headers, the long words in their help: at 1440 px the columns up to all reps' days
    # are in view.
    "value": columns.key(
        headers["value"],
        width=205,  # "construction tools house garden" whole
        help="The lead type for SRs, the business segment for SDRs.",
    ),
    "verdict": columns.text(
        headers["verdict"],
        width=170,  # "route: faster beyond chance" whole
        help="Route: at least two reps compared and this rep's interval of median days lies "
        "wholly below all reps' median beyond chance across every rep and kind pair compared "
        "(a wider interval than the 95% one shown). Faster, within chance: faster, but the "
        "interval reaches all reps' median (or too few deals give none), so no route. "
        "Catch-all: Unknown or Other, no kind of lead to route.",
    ),
    "route_to": columns.text(
        headers["route_to"],
        help="The fastest rep with enough deals of this kind; where a route is supported, the "
        "fastest of those faster beyond chance. Route to them only where the verdict says so.",
    ),
    "median_days": columns.number(
        headers["median_days"], 1, help="Median days to close of the fastest rep, on these leads."
    ),
    "days_low": columns.number(
        headers["days_low"],
        1,
        help="The distribution-free 95% interval of their median days: order statistics of "
        f"their deals, by the binomial rule; none below {funnel.INTERVAL_DEALS} deals with a "
        "time to close.",
    ),
    "days_high": columns.number(
        headers["days_high"], 1, help="A route needs this below all reps' median days."
    ),
    "typical_days": columns.number(
        headers["typical_days"], 1, help="Median days to close of all reps on these leads."
    ),
    "deals": columns.count(headers["deals"]),
    "avoid": headers["avoid"],
    "avoid_median_days": columns.number(
        headers["avoid_median_days"],
        1,
        help="Median days to close of the slowest rep whose interval lies wholly above all "
        "reps' median beyond chance across the pairs compared; none where no rep's does, where "
        "one rep is compared or on a catch-all.",
    ),
    "reps_judged": columns.count(headers["reps_judged"]),
    "as_fast": columns.text(
        headers["as_fast"],
        width=100,  # one short id whole ("85fc447d…"), as the Fastest rep column shows it
        help="Other reps with the same median and verdict on these leads.",
    ),
    "recommended": None,
    "evidence": None,
}


@exports.fragment
def landing_pages() -> None:
    """Conversion by landing page: its slider reruns this section alone."""
    heading = st.empty()  # above the slider, naming how many pages it shows
    check.number("funnel_top", 3, 30, funnel.TOP, label="Landing pages shown")
    top = st.columns(2)[0].slider(
        "Landing pages shown",
        3,
        30,
        funnel.TOP,
        key="funnel_top",
        bind=links.BIND,
        help="The landing pages with most leads are shown by name; the rest are pooled.",
    )
    heading.subheader(f"Conversion by landing page (top {top})")
    pages = ui.cached(funnel.conversion_by)(ds.key, judged, by="landing_page", top=top)
    ui.chart(
        charts.conversion_chart(pages, "landing_page", rate),
        width="stretch",
    )
    known = ui.cached(funnel.known_origins)(ds.key, judged, by="landing_page")
    ui.reading(funnel.conversion_reading(pages, "landing_page", rate, known=known))
    columns.table(
        columns.in_percent(pages, *RATES),
        rates_config("landing_page", "Landing page"),
        ids=("landing_page",),
    )
    ui.download(pages, "conversion_by_landing_page", "funnel_dl_pages")


ds = state.dataset()
st.title("Seller funnel")
st.caption(PAGE_BY_KEY["funnel"].answers)
state.require(
    "leads",
    hint="Upload olist_marketing_qualified_leads_dataset.csv (marketing-qualified leads)"
    + ("" if ds.has("deals") else " and olist_closed_deals_dataset.csv (closed deals)")
    + ".",
)
state.require("deals", hint="Upload olist_closed_deals_dataset.csv (closed deals).")
exports.page_tools("funnel", ds)
check = links.Checks("funnel", ds)
# funnel.declared_median, as the deal, rep and matching tables show it.
declared = columns.money(
    "Declared revenue (median)",
    ds.currency,
    help="Median monthly revenue the won sellers declared, among the deals that declared one "
    f"(most declare none); empty where fewer than {funnel.MIN_DECLARED} did: one or two "
    "sellers' word is no typical figure.",
)
# Beside it: how many deals its median is of.
declaring = columns.count(
    "Sellers declaring revenue", help="Won sellers who declared a monthly revenue (above 0)."
)
# funnel._with_sales, where the orders name sellers: what the won sellers sold after the win.
SOLD = {
    "selling_sellers": columns.count(
        "Sellers with sales",
        help="Won sellers with an order line on or after their win, in the orders loaded.",
    ),
    "sales_revenue": columns.money("Sales after the win", ds.currency),
}

outcomes, judged, closed, sales = cached_base(ds.key, ds)
overall = funnel.overall_conversion(judged).row(0, named=True)
rate = overall["conversion"]
cohorts = ui.cached(funnel.lead_cohorts)(ds.key, outcomes)
# Leads of months before the deals file starts are counted apart (funnel.coverage_note).
in_file = funnel.in_file(outcomes, judged)

kpis = st.columns(4)
for box, label, value, shown, about in zip(
    kpis[:2],
    ("Leads", "Closed deals"),
    (overall["leads"], overall["deals"]),
    in_file,
    (
        "Marketing-qualified leads; those the deals cover, when the deals file starts later "
        "(the note below)",
        "Leads that became sellers",
    ),
    strict=True,
):
    box.metric(
        label, fmt.count(value), shown or None, delta_color="off", delta_arrow="off", help=about
    )
kpis[2].metric(
    "Conversion",
    fmt.pct(rate),
    f"95% interval {fmt.pct(overall['conversion_low'])}–{fmt.pct(overall['conversion_high'])}",
    delta_color="off",
    delta_arrow="off",
    help="Closed deals / leads; the interval is the Wilson score interval.",
)
kpis[3].metric(
    "Median days to close",
    # One decimal, as the tables write it (a median of 12.5 read "12"), as the report does.
    fmt.number(overall["median_days_to_close"]),
    help="Calendar days from first contact to the deal; deals dated before the first contact "
    "are left out.",
)
if any(in_file):
    st.warning(funnel.coverage_note(cohorts))
# Deals of leads the leads file lacks: the figures above leave them out, the rep views do not.
unknown = next((f for f in cached_findings(ds.key, ds) if f.rule == "orphan_ids"), None)
if unknown is not None:
    st.warning(
        f"{fmt.count(unknown.count)} of the "
        f"{fmt.counted(ds.tables['deals'].height, 'closed deal')} ({unknown.shown_share}) "
        "name a lead the leads file does not have: conversion and days to close count only the "
        "deals of the leads loaded, while the deal, rep and matching views count every deal. "
        "Load the leads file these deals come from (the Data quality view lists them)."
    )
st.caption(
    "Lead type, business segment, behaviour profile and the reps exist only for closed deals, so "
    "conversion rates can be computed only by origin and landing page; the deal and rep views "
    "show who was won and how fast, not which kinds of leads convert best."
)

check.number("funnel_min_count", 1, 30, funnel.MIN_COUNT, label="Minimum deals per cell")
min_count = st.columns(2)[0].slider(
    "Minimum deals per cell",
    1,
    30,
    funnel.MIN_COUNT,
    key="funnel_min_count",
    bind=links.BIND,
    help="Rep x lead type and rep x segment cells with fewer deals (with a time to close) are "
    "greyed in the Matching view and left out of routing; the Reps reading names reps faster "
    f"or slower than all only among reps with this many deals and at least {funnel.MIN_NAMED}. "
    "A route "
    "also needs the rep faster beyond chance, which takes at least "
    f"{funnel.INTERVAL_DEALS} deals, more when many reps and kinds are compared.",
)
# --- routing: the page's recommendation, first -------------------------------------------------
st.subheader("Routing recommendation: which rep for which leads")
tables = matches(ds, closed, min_count)
routes = funnel.routing(tables, closed)
ui.reading(funnel.routing_reading(routes))
# Kinds with a rep to name; those with none are counted in the note and listed in the CSV.
named = routes.filter(pl.col("route_to").is_not_null())
if named.height:
    columns.table(
        named.with_columns(charts.tied_reps()),
        ROUTING_CONFIG,
        ids=("route_to", "avoid"),
        pin_ids=False,
        codes=("value",),
        order=charts.ROUTING_ORDER,
        width="stretch",
    )
if routes.height:
    ui.download(routes, "routing", "funnel_dl_routing")
st.caption(funnel.routing_note(routes, min_count))

check.choice("funnel_view", VIEWS, VIEWS[0], label="View")
view = (
    st.segmented_control(
        "View", VIEWS, default=VIEWS[0], key="funnel_view", required=True, bind=links.BIND
    )
    or VIEWS[0]
)

if view == "Conversion":
    st.subheader("Conversion by origin")
    by_origin = ui.cached(funnel.conversion_by)(ds.key, judged, by="origin")
    ui.chart(charts.conversion_chart(by_origin, "origin", rate), width="stretch")
    ui.reading(funnel.conversion_reading(by_origin, "origin", rate))
    st.caption(
        f"Readings name only groups with at least {funnel.MIN_LEADS} leads that clear the "
        f"average beyond chance across all those compared, not only by their 95% interval, "
        f"and never advise on groups that are no channel: Unknown, {funnel.NO_ORIGIN} (empty "
        f"in the file), Other (and Other …) or pooled pages. {stats.MANY}"
    )
    columns.table(
        columns.in_percent(by_origin, *RATES), rates_config("origin", "Origin"), codes=("origin",)
    )
    ui.download(by_origin, "conversion_by_origin", "funnel_dl_origin")

    landing_pages()

    st.subheader("Monthly lead cohorts")
    ui.chart(charts.cohort_chart(cohorts), width="stretch")
    early = funnel.before_deals(cohorts)
    st.caption(
        "Solid line: share of the month's leads closed so far, with its 95% band; dashed: "
        "share closed within 30 days of first contact."
        + (
            f" Not drawn: {fmt.counted(early.height, 'month')} before the first deal in the "
            "data (the table lists them)."
            if early.height and early.height < cohorts.height
            else ""
        )
    )
    ui.reading(funnel.cohort_reading(cohorts, overall["median_days_to_close"]))
    columns.table(
        columns.in_percent(cohorts, *RATES),
        {
            **rates_config("month", "Month"),
            "month": columns.month("Month", pinned=True),
            "within_30d": columns.percent("Closed within 30 days"),
            "within_90d": columns.percent("Closed within 90 days"),
            "observed_days": columns.count("Days observed"),
            "before_deals": st.column_config.CheckboxColumn(
                "Before the deals",
                help="The month ended before the first deal in the file, which starts too late "
                "for chance: its earlier closes are missing, so the reading leaves it out.",
            ),
        },
        order=["month", "before_deals"],  # beside the month it greys out, not off-screen
    )
    ui.download(cohorts, "lead_cohorts", "funnel_dl_cohorts")

elif view == "Time to close":
    st.subheader("Days from first contact to deal")
    ui.chart(charts.days_histogram(judged), width="stretch")
    days = ui.cached(funnel.days_to_close_by)(ds.key, judged, by="origin")
    ui.reading(funnel.days_reading(days, judged))
    columns.table(
        days,
        {
            "origin": columns.key("Origin", width="medium"),
            "deals": columns.count("Deals"),
            "median_days": columns.number("Median days", 1),
            "p25_days": columns.number("25th percentile (days)", 1),
            "p75_days": columns.number("75th percentile (days)", 1),
            "p90_days": columns.number("90th percentile (days)", 1),
            "mean_days": columns.number("Mean days", 1),
        },
        codes=("origin",),
    )
    ui.download(days, "days_to_close_by_origin", "funnel_dl_days")

elif view == "Closed deals":
    check.choice(
        "funnel_mix",
        list(funnel.DEAL_ATTRIBUTES),
        "business_segment",
        label="Closed deals by",
        format_func=funnel.DEAL_ATTRIBUTES.get,
    )
    column = st.segmented_control(
        "Closed deals by",
        list(funnel.DEAL_ATTRIBUTES),
        default="business_segment",
        format_func=funnel.DEAL_ATTRIBUTES.get,
        key="funnel_mix",
        required=True,
        bind=links.BIND,
    )
    column = column or "business_segment"
    title = funnel.DEAL_ATTRIBUTES[column]
    # Uncached: a few hundred deals, and caching would hash the sales frame on every rerun.
    mix = funnel.deal_mix(closed, column, sales)
    st.subheader(f"Closed deals by {title.lower()}")
    ui.chart(charts.mix_chart(mix, column, title), width="stretch")
    ui.reading(funnel.mix_reading(mix, column))
    columns.table(
        columns.in_percent(mix, "share"),
        {
            column: columns.key(title, width="medium"),
            "deals": columns.count("Deals"),
            "share": columns.percent("Share of deals"),
            "median_days_to_close": columns.number("Median days to close", 1),
            "declared_revenue": declared,
            "sellers_declaring": declaring,
        }
        | SOLD,
        codes=(column,),
    )
    ui.download(mix, f"deals_by_{column}", "funnel_dl_mix")

elif view == "Reps":
    if sales is None:
        st.caption(
            "Load the marketplace orders (olist_order_items_dataset.csv with the orders) to see "
            "the won sellers' actual sales after the deal."
        )
    else:
        st.caption(
            f"Sales after the win: net revenue ({ds.currency}) of each won seller's order lines "
            "dated on or after the deal, joined on seller_id; returns are netted out."
        )
        last_order = ds.tables["lines"]["ordered_at"].max()
        ui.reading(funnel.sales_reading(closed, sales, last_order, ds.currency))
    money = {
        "deals": columns.count("Deals"),
        "share": columns.percent("Share of deals"),
        "median_days_to_close": columns.number("Median days to close", 1),
        "days_low": columns.number(
            "95% low",
            1,
            help="The distribution-free 95% interval of the rep's median days: order statistics "
            f"of their deals, by the binomial rule; none below {funnel.INTERVAL_DEALS} deals "
            "with a time to close.",
        ),
        "days_high": columns.number("95% high", 1),
        "typical_days": None,  # every rep's median, the same on each row: in the reading
        "declared_revenue": declared,
        "sellers_declaring": declaring,
    } | SOLD
    for rep, label in (("sdr_id", "SDR (sales development reps)"), ("sr_id", "SR (sales reps)")):
        st.subheader(label)
        if not ds.has("deals", rep):
            st.info(f"The deals table has no {rep}; upload the complete closed deals file.")
            continue
        # Uncached: a few hundred deals, and caching would hash the sales frame on every rerun.
        reps = funnel.rep_table(closed, rep, sales)
        ui.chart(charts.rep_chart(reps, rep), width="stretch")
        ui.reading(funnel.rep_reading(reps, rep, min_count, closed=closed))
        columns.table(columns.in_percent(reps, "share"), {rep: REP_LABELS[rep]} | money, ids=(rep,))
        ui.download(reps, f"reps_{rep}", f"funnel_dl_{rep}")

elif view == "Matching":
    st.info(
        "Lead type and business segment are recorded only when a deal closes, so these tables "
        "compare reps on the deals they won (how many, what share of their wins, how fast); "
        "they cannot say which rep converts more leads of a kind.",
        icon=":material/info:",
    )
    for rep, (attribute, title) in funnel.MATCHES.items():
        st.subheader(title)
        if rep not in tables:
            st.info(f"The deals table has no {rep} or {attribute}; upload the complete file.")
            continue
        table = tables[rep]
        ui.chart(charts.match_heatmap(table, rep, attribute), width="stretch")
        st.caption(
            "Number: deals won. Colour: how fast the rep closes that kind against all reps "
            f"(green faster, red slower); grey: fewer than {min_count} deals with a time to "
            "close, too few to judge."
        )
        columns.table(
            columns.in_percent(table, "share_of_rep"),
            {
                rep: REP_LABELS[rep],
                attribute: columns.text(funnel.DEAL_ATTRIBUTES[attribute], width="medium"),
                "deals": columns.count("Deals"),
                "share_of_rep": columns.percent("Share of the rep's wins"),
                "median_days_to_close": columns.number("Median days to close", 1),
                "typical_days": columns.number("All reps' median days", 1),
                "speed": st.column_config.NumberColumn(
                    "Speed",
                    format="%.2f×",
                    help="All reps' median days / this rep's: above 1 is faster than usual. "
                    "Empty where this rep's median is 0 days (closed the same day): no ratio "
                    "measures that; the heatmap shows it at the fast end.",
                ),
                "declared_revenue": declared,
                "sellers_declaring": declaring,
                "enough": st.column_config.CheckboxColumn(
                    "Enough deals",
                    help=f"At least {fmt.counted(min_count, 'deal')} with a time to close: "
                    "enough to judge",
                ),
            },
            ids=(rep,),
            codes=(attribute,),
            styled=greyed,
        )
        ui.download(table, f"match_{rep}_{attribute}", f"funnel_dl_match_{rep}")
    st.caption("The routing recommendation drawn from these tables is at the top of the page.")

else:
    st.subheader("Funnel data quality")
    findings = cached_findings(ds.key, ds)
    if not findings:
        st.success(
            "No deal is dated before its first contact or names a lead the leads file does not "
            "have, and every lead has an origin."
        )
    for finding in findings:
        rule = finding.info
        with st.container(border=True):
            st.markdown(
                f"**{rule.title}** in *{finding.table}*: {rule.units(finding.count)} "
                f"({finding.shown_share})"
            )
            st.caption(rule.why)
            columns.table(
                finding.rows.head(5),
                {"lead_id": "Lead", "origin": "Origin", "landing_page": "Landing page"},
                ids=("lead_id", "seller_id", "sdr_id", "sr_id", "landing_page"),
                # Words, as every other funnel table writes them ("Health beauty").
                codes=tuple(funnel.DEAL_ATTRIBUTES) + ("origin",),
                order=["lead_id", "first_contact_at", "won_at"],
            )
            ui.download(finding.rows, f"{finding.rule}", f"funnel_dl_{finding.rule}")
    st.caption(
        "Deals dated before first contact are left out of every days-to-close figure; in "
        f"conversion by origin, leads with an empty origin are shown as {funnel.NO_ORIGIN}, "
        "apart from those the source itself marks 'unknown'."
    )
