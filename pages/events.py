"""Web events: traffic and outages, mix, view-to-order conversion, funnels, viewed together."""

import polars as pl
import streamlit as st

from lib import fmt, state
from lib.analyses import events as ev
from lib.catalog import PAGE_BY_KEY
from lib.charts import events as charts
from lib.model import columns_of
from pages.common import columns, exports, links, ui
from pages.common.settings import view_choices

SPLITS = view_choices("events_split")
MIX_VIEWS = view_choices("events_mix_view")
CONVERSION_VIEWS = view_choices("events_conv_by")
SEVERITY_BOX = {"error": st.error, "warning": st.warning, "info": st.info}


def _event_names(events: pl.DataFrame) -> list[str]:
    return events["event_name"].value_counts(sort=True)["event_name"].drop_nulls().to_list()


ds = state.dataset()
st.title("Web events")
st.caption(PAGE_BY_KEY["events"].answers)
events = state.require("events", hint=PAGE_BY_KEY["events"].hint(ds))
exports.page_tools("events", ds)
check = links.Checks("events", ds)
first, last = events["event_at"].min(), events["event_at"].max()
st.caption(
    f"{events.height:,} events by {events['user_id'].n_unique():,} users from {fmt.day(first)} to "
    f"{fmt.day(last)}."
)

status = ui.cached(ev.daily_status)(ds.key, events)
outages = status.filter(pl.col("status") != "normal")
cols = st.columns(4)
cols[0].metric("Events", fmt.count(events.height), border=True)
cols[1].metric("Users", fmt.count(events["user_id"].n_unique()), border=True)
cols[2].metric(
    "Platforms",
    fmt.count(events["platform"].n_unique() if "platform" in events.columns else 0),
    border=True,
)
cols[3].metric(
    "Days flagged",
    fmt.count(outages.height),
    help="Calendar days in the range with no events, or with under "
    f"{ev.LOW_DAY_SHARE:.0%} of the median of the {ev.TYPICAL_DAYS} days around them.",
    border=True,
)

# --- tracking checks ----------------------------------------------------------------------------
findings = ui.cached(ev.event_findings)(ds.key, ds)
for finding in findings:
    rule = finding.info
    SEVERITY_BOX[rule.severity](
        f"**{rule.title}**: {rule.units(finding.count)} ({finding.shown_share}"
        + (f", {finding.detail}" if finding.detail else "")
        + f"). {rule.why}",
        icon=":material/rule:",
    )
if findings:
    with st.expander("The tracking problems, row by row", icon=":material/table:"):
        for i, finding in enumerate(findings):
            st.markdown(f"**{finding.info.title}**")
            columns.table(
                finding.rows.head(20),
                {"day": columns.day("Day", pinned=True), "events": columns.count("Events")},
                ids=("user_id", "item_id"),
                width="content",
            )
            ui.download(finding.rows, f"{finding.rule}_events", f"events_download_finding_{i}")

# --- traffic ------------------------------------------------------------------------------------
st.subheader("Events per day")
check.choice("events_split", list(SPLITS), "Event name", label="Split by")
split_label = st.segmented_control(
    "Split by",
    list(SPLITS),
    default="Event name",
    key="events_split",
    required=True,
    bind=links.BIND,
)
per_day = ui.cached(ev.events_per_day)(ds.key, events, by=SPLITS[split_label])
ui.chart(charts.daily_chart(per_day, status, split_label, SPLITS[split_label]), width="stretch")
ui.reading(ev.daily_reading(status))
st.caption(
    f"Red dashed lines mark days with no events or under {ev.LOW_DAY_SHARE:.0%} of the median of "
    f"the {ev.TYPICAL_DAYS} days around them."
)
ui.download(status, "events_per_day", "events_download_daily")

# --- mix and users ------------------------------------------------------------------------------
st.subheader("Platforms, events and users")
check.choice("events_mix_view", MIX_VIEWS, MIX_VIEWS[0], label="Platforms, events and users")
mix_view = st.segmented_control(
    "View", MIX_VIEWS, default=MIX_VIEWS[0], key="events_mix_view", required=True, bind=links.BIND
)
if mix_view == MIX_VIEWS[0]:
    mix = ui.cached(ev.event_mix)(ds.key, events)
    ui.chart(charts.mix_chart(mix), width="stretch")
    ui.reading(ev.mix_reading(mix))
    ui.download(mix, "event_mix", "events_download_mix")
else:
    check.choice("events_grain", list(ev.GRAINS), "week", label="Active users per")
    grain = st.segmented_control(
        "Per", list(ev.GRAINS), default="week", key="events_grain", required=True, bind=links.BIND
    )
    active = ui.cached(ev.active_users)(ds.key, events, grain=grain)
    ui.chart(charts.active_chart(active, grain), width="stretch")
    ui.reading(ev.active_reading(active, grain))
    st.caption(
        f"New: the user's first {grain} with any event in this export (users active before the "
        "export starts count as new in its first periods)."
    )
    ui.download(active, f"active_users_per_{grain}", "events_download_active")


# --- view -> order conversion -------------------------------------------------------------------
items = ds.tables.get("items")


@exports.fragment
def conversion_and_funnel() -> None:
    """View → order conversion and the funnel: the conversion window they share, and their own
    controls, change nothing else on the page, so they rerun these two sections alone."""
    st.subheader("View → order conversion")
    check.number("events_window_days", 1, 30, 7, label="Conversion window")
    window_days = st.slider(
        "Conversion window (days)",
        1,
        30,
        7,
        key="events_window_days",
        bind=links.BIND,
        help="An order counts for a view when it follows the view within this many days; the "
        "funnel below uses the same window from its first step.",
    )
    has_orders = ds.has("lines", "customer_id", "item_id")
    if not has_orders:
        st.info(
            "Conversion needs order lines with a customer and an item, whose customer ids are the "
            "events' user ids: upload the web shop's orders.csv next to events.csv."
        )
    else:
        lines = ds.tables["lines"]
        st.caption(
            "A view converts when the same user orders that item within the window after viewing "
            "it. Only sale lines count: returned or cancelled lines are not orders."
        )
        # The lags are window-free: moving the window only re-thresholds them.
        lags = ui.cached(ev.view_lags)(ds.key, events, lines=lines)
        units = ev.converted(lags, window_days)
        # Per (user, item), as the Item and Category views count: a user's views of an item on two
        # platforms are one viewed item here and one on each platform in the Platform view.
        per_item = ev.converted(ui.cached(ev.item_lags)(ds.key, lags), window_days)
        st.metric(
            f"Viewed items ordered within {fmt.counted(window_days, 'day')}",
            fmt.pct(per_item["converted"].mean() if per_item.height else None),
            help="Share of the items each user viewed (on any platform) that the user ordered "
            "within the window. Per platform, an item viewed on two platforms counts on each.",
        )
        check.choice("events_conv_by", CONVERSION_VIEWS, "Platform", label="Conversion per")
        conv_by = st.segmented_control(
            "Per",
            CONVERSION_VIEWS,
            default="Platform",
            key="events_conv_by",
            required=True,
            bind=links.BIND,
        )
        names = ui.cached(ev.item_names)(ds.key, lines, items=items)
        if conv_by == "Platform":
            by_platform = ev.conversion_by_platform(units)
            ui.chart(charts.conversion_bars(by_platform, "platform", "Platform"), width="stretch")
            if note := charts.conversion_bars_note(by_platform, "platforms"):
                st.caption(note)
            ui.reading(ev.platform_reading(by_platform, window_days))
            ui.download(by_platform, "conversion_by_platform", "events_download_conv_platform")
        elif conv_by == "Category":
            if "category" not in names.columns or names["category"].null_count() == names.height:
                st.info(
                    "Conversion per category needs an item category, on the items or on the order "
                    "lines: upload the web shop's items.csv."
                )
            else:
                by_category = ev.conversion_by_category(per_item, names)
                # Named as the Categories page names them ("Gizmo"); the CSV keeps the raw names.
                ui.chart(
                    charts.conversion_bars(by_category, "category", "Category"), width="stretch"
                )
                if note := charts.conversion_bars_note(by_category, "categories"):
                    st.caption(note)
                ui.reading(ev.category_reading(by_category, window_days))
                ui.download(by_category, "conversion_by_category", "events_download_conv_category")
        else:
            by_item = ui.cached(ev.conversion_by_item)(
                f"{ds.key}|w={window_days}", per_item, lines=lines, items=items
            )
            check.number("events_min_viewers", 5, 200, 20, label="Least viewers")
            min_viewers = st.slider(
                "Least viewers for an item to be judged",
                5,
                200,
                20,
                key="events_min_viewers",
                bind=links.BIND,
                help="Items with fewer viewers have too noisy a conversion rate to rank.",
            )
            browsed, unviewed = ev.mismatched_items(by_item, min_viewers=min_viewers)
            left, right = st.columns(2)
            item_columns = {
                "item_id": st.column_config.TextColumn("Item id", width="small"),
                "item_name": columns.key("Item", width="medium"),
            }
            left.markdown("**Viewed often, rarely bought**")
            columns.table(
                columns.in_percent(
                    columns_of(browsed, "item_id", "item_name", "viewers", "buyers", "conversion"),
                    "conversion",
                ),
                item_columns
                | {
                    "viewers": columns.count("Viewers"),
                    "buyers": columns.count("Ordered"),
                    "conversion": columns.percent("Conversion"),
                },
                ids=("item_id",),
                order=["item_name"],
                where=left,
                width="stretch",
            )
            right.markdown("**Bought without a view in the window**")
            columns.table(
                columns_of(unviewed, "item_id", "item_name", "customers", "without_view"),
                item_columns
                | {
                    "customers": columns.count("Customers"),
                    "without_view": columns.count("Without a view"),
                },
                ids=("item_id",),
                order=["item_name"],
                where=right,
                width="stretch",
            )
            ui.reading(ev.items_reading(by_item, unviewed, min_viewers))
            ui.download(by_item, "conversion_by_item", "events_download_conv_item")

    # --- funnel ---------------------------------------------------------------------------------
    st.subheader("Funnel")
    names_by_count = ui.cached(_event_names)(ds.key, events)
    # An order is no event, but a funnel may end in one where the orders name their users.
    ordered = [ev.ORDERED] if ds.has("lines", "customer_id") else []
    names_by_count = [*names_by_count, *ordered]
    default_steps = [s for s in ("view_item", "add_to_cart") if s in names_by_count]
    check.choices(
        "events_steps",
        names_by_count,
        default_steps,
        label="Funnel steps",
        format_func=fmt.value_words,
        data=True,
    )
    picked = st.multiselect(
        "Steps, in order",
        names_by_count,
        default=default_steps,
        key="events_steps",
        bind=links.BIND,
        help="Pick event names in the order users should do them; the funnel follows that order."
        + (
            f" “{fmt.value_words(ev.ORDERED)}” is an order of the order lines, placed by the "
            "user as a customer."
            if ordered
            else ""
        ),
        format_func=fmt.value_words,
    )
    if not picked:
        st.info("Pick at least one event name for the funnel's first step.")
    else:
        # The paths are window-free: moving the window only cuts them.
        source = events
        if ev.ORDERED in picked:
            source = ui.cached(ev.funnel_events, "Adding the orders to the events…")(ds.key, ds)
        # Keyed by the data set: the steps tell the two sources apart (orders only with ORDERED).
        paths = ui.cached(ev.funnel_paths)(ds.key, source, steps=tuple(picked))
        steps = ev.funnel_steps(paths, tuple(picked), window_days)
        shown = steps.filter(pl.col("platform") == "all")
        st.metric(
            f"Overall: {fmt.plain(fmt.value_words(picked[0]))} → "
            f"{fmt.plain(fmt.value_words(picked[-1]))}",
            fmt.pct(shown["overall_conversion"][-1]),
            help="Share of users entering the funnel who reached its last step within the window.",
        )
        ui.chart(charts.funnel_chart(steps), width="stretch")
        ui.reading(ev.funnel_reading(steps, window_days))
        st.caption(charts.funnel_caption(picked[0], window_days))
        headers = ev.FUNNEL_HEADERS
        columns.table(
            columns.in_percent(steps, "step_conversion", "overall_conversion"),
            {
                "platform": columns.key(headers["platform"]),
                "step": st.column_config.NumberColumn(headers["step"], width="small"),
                "event_name": st.column_config.TextColumn(headers["event_name"]),
                "users": columns.count(headers["users"]),
                "step_conversion": columns.percent(headers["step_conversion"]),
                "overall_conversion": columns.percent(headers["overall_conversion"]),
            },
            codes=("platform", "event_name"),
            width="stretch",
        )
        ui.download(steps, "funnel", "events_download_funnel")


conversion_and_funnel()

# --- viewed together ----------------------------------------------------------------------------
st.subheader("Viewed together: a recommendation data product")
st.caption(
    "For an item, the items most often viewed by the same users on the same day: the list a "
    'product page could show as "customers also viewed". It needs only item views with a user '
    "id and an item id. Limits: new items and new users have no history (cold start), and "
    "popular items co-occur with everything (lift corrects for that; cosine less so). A minimum "
    "support leaves out the rarest pairs; the reading recommends a partner only when more users "
    "viewed both than chance explains (a Poisson test of their count against independent "
    "viewing, across the item's partners compared)."
)
pairs = ui.cached(ev.co_views)(ds.key, events)
left, right = st.columns([3, 2])
check.number("events_min_support", 2, 50, 5, label="Minimum support")
min_support = left.slider(
    "Minimum support (users who viewed both)",
    2,
    50,
    5,
    key="events_min_support",
    bind=links.BIND,
    help="Pairs seen by fewer users are left out: with few users a high score is luck.",
)
check.choice("events_score", list(ev.SCORES), "lift", label="Rank by")
score = right.segmented_control(
    "Rank by",
    list(ev.SCORES),
    default="lift",
    key="events_score",
    required=True,
    bind=links.BIND,
    help="Lift: how many times more often than if views were independent. Cosine: overlap of "
    "the two items' viewers, 0..1.",
)
best = ev.top_pairs(pairs, min_support, score)
if best.height == 0:
    st.info(
        f"No item pair is viewed together by {min_support} or more users: lower the minimum "
        "support."
    )
    st.stop()
item_names = ui.cached(ev.item_names)(ds.key, ds.tables.get("lines"), items=items)
candidates = ev.pair_items(best)
labels = dict(
    zip(
        item_names["item_id"].to_list(),
        item_names["item_name"].to_list() if "item_name" in item_names.columns else [],
        strict=False,
    )
)


item_label = ui.labelled({i: f"{labels[i]} ({i})" if labels.get(i) else i for i in candidates})
check.choice(
    "events_item", candidates, candidates[0], label="Item", format_func=item_label, data=True
)
item = st.selectbox(
    "Item",
    candidates,
    format_func=item_label,
    key="events_item",
    bind=links.BIND,
    help="Items with at least one pair above the minimum support, most co-viewed first.",
)
if item not in candidates:
    item = candidates[0]
recs = ev.with_names(ev.recommendations(pairs, item, min_support, score), item_names)
ui.chart(charts.recommendations_chart(recs, score), width="stretch")
ordered = ui.cached(ev.ordered_items)(ds.key, ds.tables.get("lines"))
ui.reading(ev.recommendations_reading(recs, item_label(item), ev.partners(best, item), ordered))
ui.download(recs, f"viewed_with_{item}", "events_download_recs")

st.markdown("**Top pairs overall**")
named = ev.with_names(ev.with_names(best, item_names, "item_a"), item_names, "item_b")
columns.table(
    named.head(50),
    {
        "item_a": st.column_config.TextColumn("Item A", width="small"),
        "item_name_a": columns.text("Name A", pinned=True),
        "category_a": "Category A",
        "item_b": st.column_config.TextColumn("Item B", width="small"),
        "item_name_b": columns.text("Name B", pinned=True),
        "category_b": "Category B",
        "users": columns.count("Users (both)"),
        "users_a": columns.count("Viewers A"),
        "users_b": columns.count("Viewers B"),
        "lift": columns.number("Lift", 1),
        "cosine": columns.number("Cosine", 3),
    },
    ids=("item_a", "item_b"),
    codes=("category_a", "category_b"),
    # Each item with its category, then the evidence (who viewed both, how far above chance);
    # the item ids last.
    order=["item_name_a", "category_a", "item_name_b", "category_b", "users", "lift", "cosine"],
    width="stretch",
)
ui.download(named, "viewed_together_pairs", "events_download_pairs")
