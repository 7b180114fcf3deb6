"""Seller funnel: lead-to-deal conversion, time to close, rep performance and rep matching."""

import polars as pl
import streamlit as st

from lib import fmt, state
from lib.analyses import funnel
from lib.catalog import PAGE_BY_KEY
from lib.charts import funnel as charts
from pages.common import ui

VIEWS = ("Conversion", "Time to close", "Closed deals", "Reps", "Matching", "Data quality")
PCT = st.column_config.NumberColumn(format="percent")
COUNT = st.column_config.NumberColumn(format="localized")
DAYS = st.column_config.NumberColumn(format="%.1f")


@st.cache_data(max_entries=10, show_spinner="Following every lead…")
def cached_base(key: str, _ds) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None]:
    outcomes = funnel.lead_outcomes(_ds.tables["leads"], _ds.tables["deals"])
    closed = funnel.closed_deals(outcomes, _ds.tables["deals"])
    sales = (
        funnel.seller_sales(closed, _ds.tables["lines"]) if _ds.has("lines", "seller_id") else None
    )
    return outcomes, closed, sales


@st.cache_data(max_entries=10, show_spinner=False)
def cached_findings(key: str, _ds) -> list:
    return funnel.funnel_findings(_ds)


def rates_config(by: str) -> dict:
    return {
        by: st.column_config.TextColumn(by.replace("_", " ")),
        "leads": COUNT,
        "deals": COUNT,
        "conversion": PCT,
        "conversion_low": st.column_config.NumberColumn("95% low", format="percent"),
        "conversion_high": st.column_config.NumberColumn("95% high", format="percent"),
        "median_days_to_close": DAYS,
    }


def greyed(table: pl.DataFrame):
    """The table as a Styler whose rows with too few deals are grey."""
    return table.to_pandas().style.apply(
        lambda row: ["color: #94a3b8" if not row["enough"] else "" for _ in row], axis=1
    )


ds = state.dataset()
st.title("Seller funnel")
st.caption(PAGE_BY_KEY["funnel"].answers)
state.require(
    "leads",
    hint="Upload olist_marketing_qualified_leads_dataset.csv (marketing-qualified leads).",
)
state.require("deals", hint="Upload olist_closed_deals_dataset.csv (closed deals).")

outcomes, closed, sales = cached_base(ds.key, ds)
overall = funnel.overall_conversion(outcomes).row(0, named=True)
rate = overall["conversion"]

kpis = st.columns(4)
kpis[0].metric("Leads", fmt.count(overall["leads"]), help="Marketing-qualified leads")
kpis[1].metric("Closed deals", fmt.count(overall["deals"]), help="Leads that became sellers")
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
    "—" if overall["median_days_to_close"] is None else f"{overall['median_days_to_close']:.0f}",
    help="Calendar days from first contact to the deal; deals dated before the first contact "
    "are left out.",
)
st.caption(
    "Lead type, business segment, behaviour profile and the reps exist only for closed deals, so "
    "conversion rates can be computed only by origin and landing page; the deal and rep views "
    "show who was won and how fast, not which kinds of leads convert best."
)

left, right = st.columns(2)
top = left.slider(
    "Landing pages shown",
    3,
    30,
    funnel.TOP,
    key="funnel_top",
    help="The landing pages with most leads are shown by name; the rest are pooled.",
)
min_count = right.slider(
    "Minimum deals per cell",
    1,
    30,
    funnel.MIN_COUNT,
    key="funnel_min_count",
    help="Reps and cells with fewer deals are greyed and left out of recommendations.",
)
view = st.segmented_control("View", VIEWS, default=VIEWS[0], key="funnel_view") or VIEWS[0]

if view == "Conversion":
    st.subheader("Conversion by origin")
    by_origin = ui.cached(funnel.conversion_by)(ds.key, outcomes, by="origin")
    st.altair_chart(charts.conversion_chart(by_origin, "origin", rate), width="stretch")
    ui.reading(funnel.conversion_reading(by_origin, "origin", rate))
    st.dataframe(by_origin, hide_index=True, column_config=rates_config("origin"))
    ui.download(by_origin, "conversion_by_origin", "funnel_dl_origin")

    st.subheader(f"Conversion by landing page (top {top})")
    pages = ui.cached(funnel.conversion_by)(ds.key, outcomes, by="landing_page", top=top)
    st.altair_chart(
        charts.conversion_chart(
            pages.with_columns(
                pl.col("landing_page").map_elements(funnel.short_id, return_dtype=pl.String)
            ),
            "landing_page",
            rate,
        ),
        width="stretch",
    )
    ui.reading(funnel.conversion_reading(pages, "landing_page", rate))
    st.dataframe(pages, hide_index=True, column_config=rates_config("landing_page"))
    ui.download(pages, "conversion_by_landing_page", "funnel_dl_pages")

    st.subheader("Monthly lead cohorts")
    cohorts = ui.cached(funnel.lead_cohorts)(ds.key, outcomes)
    st.altair_chart(charts.cohort_chart(cohorts), width="stretch")
    st.caption(
        "Solid line: share of the month's leads closed so far, with its 95% band; dashed: "
        "share closed within 30 days of first contact."
    )
    ui.reading(funnel.cohort_reading(cohorts, overall["median_days_to_close"]))
    st.dataframe(
        cohorts,
        hide_index=True,
        column_config={
            **rates_config("month"),
            "month": st.column_config.DateColumn(format="MMM YYYY"),
            "within_30d": PCT,
            "within_90d": PCT,
        },
    )
    ui.download(cohorts, "lead_cohorts", "funnel_dl_cohorts")

elif view == "Time to close":
    st.subheader("Days from first contact to deal")
    st.altair_chart(charts.days_histogram(outcomes), width="stretch")
    days = ui.cached(funnel.days_to_close_by)(ds.key, outcomes, by="origin")
    ui.reading(funnel.days_reading(days))
    st.dataframe(
        days,
        hide_index=True,
        column_config={
            "deals": COUNT,
            **{c: DAYS for c in days.columns if c.endswith("_days")},
        },
    )
    ui.download(days, "days_to_close_by_origin", "funnel_dl_days")

elif view == "Closed deals":
    column = st.segmented_control(
        "Closed deals by",
        list(funnel.DEAL_ATTRIBUTES),
        default="business_segment",
        format_func=funnel.DEAL_ATTRIBUTES.get,
        key="funnel_mix",
    )
    column = column or "business_segment"
    title = funnel.DEAL_ATTRIBUTES[column]
    mix = ui.cached(funnel.deal_mix)(ds.key, closed, column=column)
    st.subheader(f"Closed deals by {title.lower()}")
    st.altair_chart(charts.mix_chart(mix, column, title), width="stretch")
    ui.reading(funnel.mix_reading(mix, column))
    st.dataframe(
        mix,
        hide_index=True,
        column_config={
            "deals": COUNT,
            "share": PCT,
            "median_days_to_close": DAYS,
            "declared_revenue": st.column_config.NumberColumn(
                f"declared monthly revenue ({ds.currency})", format="localized"
            ),
        },
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
    money = {
        "deals": COUNT,
        "share": PCT,
        "median_days_to_close": DAYS,
        "declared_revenue": st.column_config.NumberColumn(
            f"declared monthly revenue ({ds.currency})", format="localized"
        ),
        "sellers_declaring": COUNT,
        "selling_sellers": COUNT,
        "sales_revenue": st.column_config.NumberColumn(
            f"sales after win ({ds.currency})", format="localized"
        ),
    }
    for rep, label in (("sdr_id", "SDR (sales development reps)"), ("sr_id", "SR (sales reps)")):
        st.subheader(label)
        if not ds.has("deals", rep):
            st.info(f"The deals table has no {rep}; upload the complete closed deals file.")
            continue
        # Uncached: a few hundred deals, and caching would hash the sales frame on every rerun.
        reps = funnel.rep_table(closed, rep, sales)
        st.altair_chart(charts.rep_chart(reps, rep), width="stretch")
        ui.reading(funnel.rep_reading(reps, rep, min_count))
        st.dataframe(reps, hide_index=True, column_config=money)
        ui.download(reps, f"reps_{rep}", f"funnel_dl_{rep}")

elif view == "Matching":
    st.info(
        "Lead type and business segment are recorded only when a deal closes, so these tables "
        "compare reps on the deals they won (how many, what share of their wins, how fast); "
        "they cannot say which rep converts more leads of a kind.",
        icon=":material/info:",
    )
    tables = {}
    for rep, (attribute, title) in funnel.MATCHES.items():
        st.subheader(title)
        if not ds.has("deals", rep, attribute):
            st.info(f"The deals table has no {rep} or {attribute}; upload the complete file.")
            continue
        table = ui.cached(funnel.match_table)(
            ds.key, closed, rep=rep, attribute=attribute, min_count=min_count
        )
        tables[rep] = table
        st.altair_chart(charts.match_heatmap(table, rep, attribute), width="stretch")
        st.caption(
            "Number: deals won. Colour: how fast the rep closes that kind against all reps "
            f"(green faster, red slower); grey: fewer than {min_count} deals, too few to judge."
        )
        st.dataframe(
            greyed(table),
            hide_index=True,
            column_config={
                "deals": COUNT,
                "share_of_rep": PCT,
                "median_days_to_close": DAYS,
                "typical_days": DAYS,
                "speed": st.column_config.NumberColumn(format="%.2f×"),
                "declared_revenue": st.column_config.NumberColumn(
                    f"declared revenue ({ds.currency})", format="localized"
                ),
            },
        )
        ui.download(table, f"match_{rep}_{attribute}", f"funnel_dl_match_{rep}")
    st.subheader("Routing recommendation")
    routes = funnel.routing(tables)
    ui.reading(funnel.routing_reading(routes))
    st.dataframe(
        routes,
        hide_index=True,
        column_config={"median_days": DAYS, "typical_days": DAYS, "avoid_median_days": DAYS},
    )
    ui.download(routes, "routing", "funnel_dl_routing")

else:
    st.subheader("Funnel data quality")
    findings = cached_findings(ds.key, ds)
    if not findings:
        st.success("No deal is dated before its first contact and every lead has an origin.")
    for finding in findings:
        rule = finding.info
        with st.container(border=True):
            st.markdown(
                f"**{rule.title}** in *{finding.table}*: {finding.count:,} {rule.unit} "
                f"({finding.share:.2%})"
            )
            st.caption(rule.why)
            st.dataframe(finding.rows.head(5), hide_index=True)
            ui.download(finding.rows, f"{finding.rule}", f"funnel_dl_{finding.rule}")
    st.caption(
        "Deals dated before first contact are left out of every days-to-close figure; leads "
        "without an origin are grouped as 'unknown' in conversion by origin."
    )
