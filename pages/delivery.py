"""Delivery: on-time rate, where time is lost, who delivers late and what lateness costs."""

import polars as pl
import streamlit as st

from lib import fmt, state
from lib.analyses import delivery as dv
from lib.analyses import lateness, movement
from lib.catalog import PAGE_BY_KEY
from lib.charts import delivery as charts
from lib.charts import lateness as lateness_charts
from lib.charts import maps
from pages.common import columns, exports, links, places, served, ui
from pages.common.settings import view_choices


@ui.memo(max_entries=10, show_spinner="Measuring every delivery…")
def cached_facts(key: str, _orders: pl.DataFrame) -> pl.DataFrame:
    return dv.delivery_facts(_orders)


@ui.memo(max_entries=10, show_spinner=False)
def cached_keys(key: str, _ds) -> pl.DataFrame:
    return dv.order_keys(_ds)


@ui.memo(max_entries=10, show_spinner="Linking orders to sellers and categories…")
def cached_keyed(key: str, _facts: pl.DataFrame, _keys: pl.DataFrame) -> pl.DataFrame:
    return dv.keyed_facts(_facts, _keys)


@ui.memo(max_entries=10, show_spinner="Finding each customer's first order…")
def cached_first_orders(key: str, _purchases: pl.DataFrame, _orders: pl.DataFrame):
    return lateness.first_orders(_purchases, _orders)


kpis_of = ui.cached(dv.kpis)
stages_of = ui.cached(dv.stage_durations)
months_of = ui.cached(dv.by_month)
reviews_of = ui.cached(dv.reviews_by_lateness)


@ui.memo(max_entries=20, show_spinner=False)
def performance(key: str, _keyed: pl.DataFrame, column: str) -> pl.DataFrame:
    return dv.performance_by(_keyed, column)


@ui.memo(max_entries=10, show_spinner=False)
def sellers_of(key: str, _keyed: pl.DataFrame, overall: float) -> pl.DataFrame:
    return dv.seller_table(_keyed, overall)


DAYS = columns.number("Days", 1)
RATES = ("late_rate", "late_low", "late_high", "severe_rate", "low_share")
# Short headers, the long words in their help: a dozen columns fit at 1440 px without scrolling.
TABLE_CONFIG = {
    "orders": columns.count(
        "Delivered",
        help="Delivered orders. By seller, seller state, route or category, an order of several "
        "sellers or categories counts in each of theirs, so the rows add up to more than the "
        "delivered orders above.",
    ),
    "late_orders": columns.count(
        "Late", help="Late orders: delivered on a day after the estimated one."
    ),
    "late_rate": columns.percent("Late rate"),
    "late_low": columns.percent(
        "Late, low",
        help="Low end of the late rate's 95% interval (Wilson): a group of a few orders has a wide "
        "one, so its rate says little.",
    ),
    "late_high": columns.percent("Late, high", help="High end of the late rate's 95% interval."),
    "severe_rate": columns.percent(
        "Over 7 days late",
        help="Share delivered more than 7 calendar days after the estimated day (8 or more).",
    ),
    "median_days": columns.number("Median days", 1, help="Median days from purchase to delivery."),
    "mean_days": columns.number("Mean days", 1, help="Mean days from purchase to delivery."),
    "review": columns.number("Review", 2, help="Mean review score (1 to 5 stars)."),
    "review_late": columns.number("Review, late", 2, help="Mean review of late orders."),
    "review_on_time": columns.number(
        "Review, on time", 2, help="Mean review of orders delivered on time."
    ),
    "excess_late": columns.number(
        "Late above average",
        1,
        help="Late orders beyond what the overall late rate would give this many orders.",
    ),
}
# The figures a breakdown's reading quotes ("8.5% late ..., 23 late orders more than average on
# 2,491 orders"), right after the key: in view without scrolling.
LATE = ["orders", "late_orders", "late_rate", "late_low", "late_high"]
EVIDENCE = [*LATE, "excess_late"]
UNIT_TEXT = {
    "share": fmt.pct,
    "days": lambda v: fmt.number(v, 1) + " days",
    "stars": lambda v: fmt.number(v, 2) + " ★",
    "orders": fmt.count,
}


def figures_table(frame: pl.DataFrame, where=None) -> None:
    """The KPI figures with their definitions: each value printed in its own unit (a share as a
    percent, days, stars, orders), the definitions wrapped in the room left (`where`, a half-width
    column, leaves about 250 px)."""
    shown = frame.with_columns(
        pl.col("kpi").str.slice(0, 1).str.to_uppercase() + pl.col("kpi").str.slice(1),
        columns.texts(
            frame.select(pl.struct("value", "unit")).to_series(),
            lambda r: (
                "—" if r["value"] is None else UNIT_TEXT.get(r["unit"], fmt.count)(r["value"])
            ),
        ),
    )
    columns.table(
        shown,
        {
            "kpi": columns.key("Figure", width=150),
            "shown": st.column_config.TextColumn("Value", width="small"),
            "definition": columns.text("Definition", width=650 if where is None else 240),
            "value": None,
            "unit": None,
        },
        order=["kpi", "shown", "definition"],
        where=where,
        row_height=68 if where is None else 78,  # text wraps in rows over 64 px
    )


ds = state.dataset()
st.title("Delivery")
st.caption(PAGE_BY_KEY["delivery"].answers)
orders = state.require(
    "orders",
    "delivered_at",
    "estimated_delivery_at",
    hint="Needs delivery dates: a delivery date and a promised, estimated delivery date per "
    "order, as Olist's olist_orders_dataset.csv has them.",
)
ui.definitions(ds, "delivered", "late")
exports.page_tools("delivery", ds)
check = links.Checks("delivery", ds)
facts = cached_facts(ds.key, orders)
keys = cached_keys(ds.key, ds)
keyed = cached_keyed(ds.key, facts, keys)
summary = kpis_of(ds.key, facts)

# --- KPIs -------------------------------------------------------------------------------------
definitions = dict(summary.select("kpi", "definition").iter_rows())


def _metric(col, label: str, name: str, text: str) -> None:
    col.metric(label, text, help=definitions[name])


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} d"


row = st.columns(5)
_metric(row[0], "On-time rate", "on-time rate", fmt.pct(dv.kpi(summary, "on-time rate")))
_metric(
    row[1],
    "Median days to deliver",
    "median days to deliver",
    _days(dv.kpi(summary, "median days to deliver")),
)
_metric(
    row[2],
    "Mean days to deliver",
    "mean days to deliver",
    _days(dv.kpi(summary, "mean days to deliver")),
)
_metric(row[3], "Mean days late", "mean days late", _days(dv.kpi(summary, "mean days late")))
_metric(
    row[4],
    "More than 7 days late",
    "more than 7 days late",
    fmt.pct(dv.kpi(summary, "more than 7 days late")),
)
never = summary.filter(pl.col("kpi").str.starts_with("not delivered"))
row = st.columns(5)
_metric(
    row[0], "Delivered orders", "delivered orders", fmt.count(dv.kpi(summary, "delivered orders"))
)
row[1].metric(
    "Not delivered",
    fmt.count(never["value"].sum()),
    help="Orders not counted as delivered: those whose status is not delivered (in transit, "
    "cancelled or unavailable; the cancelled and unavailable ones are no sales, which the other "
    "pages leave out) and those delivered without a usable date. By status: "
    + (
        ", ".join(
            f"{fmt.plain(k.removeprefix('not delivered: '))} {v:,.0f}"
            for k, v in never.select("kpi", "value").iter_rows()
        )
        or "none"
    ),
)
_metric(
    row[2], "Impossible dates", "impossible dates", fmt.count(dv.kpi(summary, "impossible dates"))
)
for col, name in zip(row[3:], ("review when late", "review when on time"), strict=True):
    value = dv.kpi(summary, name)
    _metric(col, name.capitalize(), name, "—" if value is None else f"{value:.2f} ★")
impossible = int(dv.kpi(summary, "impossible dates") or 0)
if not dv.kpi(summary, "delivered orders"):
    # Nothing to measure: one message for the whole page, not one per section asking for files
    # that may well be there (reviews, customers, order lines).
    st.info(dv.nothing_delivered(summary), icon=":material/info:")
    with st.expander("Orders not delivered, by status"):
        figures_table(summary)
        ui.download(summary, "delivery_kpis", key="delivery_dl_kpis")
    st.stop()
ui.reading(dv.kpi_reading(summary))
st.caption(
    "Late = delivered on a day after the estimated day (calendar days: a delivery during the "
    "estimated day is on time), on delivered orders; days to deliver are elapsed time in days "
    "of 24 h, weekends included (10.5 is ten and a half days)."
    + (
        f" {fmt.counted(impossible, 'order')} delivered before purchase or before carrier "
        "pickup, or promised for a day before the purchase, cannot be judged late or on time: "
        "left out of every figure (see Data quality)."
        if impossible
        else ""
    )
)
with st.expander("Every figure with its definition, and orders not delivered by status"):
    figures_table(summary)
    ui.download(summary, "delivery_kpis", key="delivery_dl_kpis")

# --- stages -----------------------------------------------------------------------------------
st.subheader("Where the time goes")
stages = stages_of(ds.key, facts)
ui.chart(charts.stages_chart(stages), width="stretch")
ui.reading(dv.stage_reading(stages))
with st.expander("Stage table"):
    columns.table(
        stages,
        {
            "stage": None,
            "label": columns.key(dv.STAGE_HEADERS["label"], width="medium"),
            "orders": columns.count(dv.STAGE_HEADERS["orders"]),
            "median_days": columns.number(dv.STAGE_HEADERS["median_days"], 1),
            "p90_days": columns.number(dv.STAGE_HEADERS["p90_days"], 1),
            "mean_days": columns.number(dv.STAGE_HEADERS["mean_days"], 1),
            "backwards": columns.count(dv.STAGE_HEADERS["backwards"]),
        },
    )
    ui.download(stages, "delivery_stages", key="delivery_dl_stages")

overall = dv.kpi(summary, "late rate") or 0.0
delivered = int(dv.kpi(summary, "delivered orders") or 0)  # whom each group is drawn from

# --- regions ----------------------------------------------------------------------------------
st.subheader("By region")
left, right = st.columns(2)
SIDES = view_choices("delivery_side")
check.choice(
    "delivery_side", list(SIDES), "customer_region", label="Region of", format_func=SIDES.get
)
side = left.segmented_control(
    "Region of",
    list(SIDES),
    default="customer_region",
    format_func=SIDES.get,
    key="delivery_side",
    required=True,
    bind=links.BIND,
)
side = side or "customer_region"
check.choice(
    "delivery_metric",
    list(dv.METRICS),
    next(iter(dv.METRICS)),
    label="Map colour and size",
    format_func=dv.METRICS.get,
)
metric = right.selectbox(
    "Map colour and size",
    list(dv.METRICS),
    format_func=dv.METRICS.get,
    key="delivery_metric",
    bind=links.BIND,
)
by_region = performance(ds.key, keyed, side)
where = "customer" if side == "customer_region" else "seller"
if by_region.filter(pl.col(side) != dv.UNKNOWN).height == 0:
    st.info(
        f"No {where} state or region is known: upload the {where}s with a region column (as "
        f"in olist_{where}s_dataset.csv) to see delivery by region."
    )
else:
    placed = places.match(f"{ds.key}:{side}", by_region[side]).places.rename({"region": side})
    points = by_region.join(placed, on=side, how="inner")
    if points.height:
        points = maps.delivery_tooltips(points, side)
        st.pydeck_chart(
            served.served(maps.delivery_deck(points, metric)),
            height=460,
            key="delivery_map",
            alt=f"Map of {dv.METRICS[metric].lower()} by {where} state",
        )
        ui.chart(maps.legend(points, metric, dv.METRICS[metric], ds.currency), width="content")
        worst = dv.highest(points, metric, side)
        if worst is None:
            top = f"no state has {dv.MIN_ORDERS} delivered orders to name the highest"
        else:
            value = maps.value_text(metric, worst[metric])
            # Its base beside it: 25.0% of 24 orders is 6 late ones, and for a late rate its
            # interval (12.0%-44.9%): the reading under the map says whether it is beyond chance.
            base = (
                "" if metric == "orders" else f" on {fmt.count(worst['orders'])} delivered orders"
            )
            if metric == "late_rate":
                low, high = fmt.pct(worst["late_low"]), fmt.pct(worst["late_high"])
                base += f", 95% interval {low}–{high}"
            top = (
                f"{fmt.plain(worst[side])} highest, {value}{base}, among states with "
                f"{dv.MIN_ORDERS}+ delivered orders"
            )
        st.caption(
            f"Map colour: {dv.METRICS[metric].lower()} ({top}); light "
            "grey states have no delivered order. Names are shown where they fit: hover a state "
            "for its figures. No basemap is loaded, so the map works offline. "
            + maps.attribution(maps.geography_of(points["place"]))
        )
    ui.reading(dv.group_reading(by_region, side, f"{where} state", overall, delivered=delivered))
    columns.table(
        columns.in_percent(by_region, *RATES),
        {side: columns.key(f"{where.capitalize()} state")} | TABLE_CONFIG,
        order=[side, *EVIDENCE],
    )
    ui.download(by_region, f"delivery_by_{side}", key="delivery_dl_region")


# --- breakdowns -------------------------------------------------------------------------------
@exports.fragment
def breakdown() -> None:
    """The breakdown by month, category, seller or route: its controls rerun this part alone."""
    st.subheader("Breakdown")
    BREAKDOWNS = view_choices("delivery_view")
    check.choice("delivery_view", BREAKDOWNS, "Month", label="Break down by")
    view = st.segmented_control(
        "Break down by",
        BREAKDOWNS,
        default="Month",
        key="delivery_view",
        required=True,
        bind=links.BIND,
    )
    view = view or "Month"
    if view == "Month":
        months = months_of(ds.key, facts)
        enough = months.filter(pl.col("orders") >= dv.MIN_ORDERS)
        ui.chart(charts.month_chart(enough), width="stretch")
        ui.reading(dv.month_reading(months))
        thin = months.height - enough.height
        st.caption(
            "Orders by the month they were bought in. Promised = estimate minus purchase; the "
            "cushion (estimate minus delivery) is in the table."
            + (
                f" {fmt.counted(thin, 'month')} with fewer than {dv.MIN_ORDERS} delivered orders "
                "(usually the partial months at the ends of the export) "
                f"{fmt.plural(thin, 'is', 'are')} left off the chart."
                if thin
                else ""
            )
        )
        columns.table(
            columns.in_percent(months, *RATES),
            TABLE_CONFIG
            | {
                "month": columns.month(
                    "Month", pinned=True, help="The month the orders were bought in."
                ),
                "median_promised_days": columns.number(
                    "Promised days", 1, help="Median days from purchase to the estimate."
                ),
                "median_slack_days": columns.number(
                    "Cushion days", 1, help="Median days from delivery to the estimate."
                ),
            },
            # The figures the month reading quotes (days taken against days promised) in view.
            order=[
                "month",
                *LATE,
                "median_days",
                "median_promised_days",
                "median_slack_days",
            ],
        )
        ui.download(months, "delivery_by_month", key="delivery_dl_month")
    elif view == "Category":
        if keys["category"].null_count() == keys.height:
            st.info(
                "No product category is known: upload the products with a category column (as in "
                "olist_products_dataset.csv), or map one on the Data page."
            )
        else:
            table = performance(ds.key, keyed, "category")
            # Names in words, as the Categories page shows them ("Watches gifts", not
            # "watches_gifts"); the CSV keeps the raw names.
            named = table.with_columns(fmt.words_expr(pl.col("category")).alias("category"))
            enough = dv.judged(named, "category")
            ui.chart(
                charts.late_rate_bars(enough, "category", "Category", overall=overall),
                width="stretch",
            )
            drawn = min(charts.BARS, enough.height)
            apart = named.filter(~dv.named_group("category"))["orders"].sum()
            st.caption(
                f"The {fmt.counted(drawn, 'worst category', 'worst categories')} with at least "
                f"{fmt.counted(dv.MIN_ORDERS, 'delivered order')}; the dashed line is the overall "
                "late rate."
                + (
                    f" Items without a category (in {fmt.counted(apart, 'delivered order')}) are "
                    "left out, as Categories leaves them out (the table lists them)."
                    if apart
                    else ""
                )
            )
            ui.reading(
                dv.group_reading(named, "category", "category", overall, delivered=delivered)
            )
            columns.table(
                columns.in_percent(named, *RATES),
                {"category": columns.key("Category")} | TABLE_CONFIG,
                order=["category", *EVIDENCE],
            )
            ui.download(table, "delivery_by_category", key="delivery_dl_category")
    elif view == "Seller":
        check.number(
            "delivery_min_orders", 1, 1000, dv.MIN_ORDERS, label="Minimum delivered orders"
        )
        min_orders = st.number_input(
            "Minimum delivered orders per seller",
            min_value=1,
            max_value=1000,
            value=dv.MIN_ORDERS,
            step=5,
            key="delivery_min_orders",
            bind=links.BIND,
            help="Sellers with fewer delivered orders are left out: their late rate is noise.",
        )
        if keys["seller_id"].null_count() == keys.height:
            st.info(
                "No seller is known: upload order lines with a seller id column (as in "
                "olist_order_items_dataset.csv), or map one on the Data page."
            )
        else:
            sellers = dv.worst_sellers(sellers_of(ds.key, keyed, overall), int(min_orders))
            if sellers.height == 0:
                st.info(f"No seller has {int(min_orders)} delivered orders: lower the minimum.")
            else:
                short = sellers.with_columns(
                    pl.col("seller_id").map_elements(fmt.short_id, return_dtype=pl.String)
                )
                ui.chart(
                    charts.late_rate_bars(short, "seller_id", "Seller", overall=overall),
                    width="stretch",
                )
                ui.reading(
                    dv.group_reading(
                        sellers,
                        "seller_id",
                        "seller",
                        overall,
                        int(min_orders),
                        narrowed=True,
                        delivered=delivered,
                    )
                )
                st.caption(
                    f"{fmt.counted(sellers.height, 'seller')} with at least "
                    f"{fmt.counted(min_orders, 'delivered order')}, worst late rate first: the "
                    f"chart draws the first {fmt.count(min(charts.BARS, sellers.height))} (ids "
                    "shortened), the table all."
                )
                columns.table(
                    columns.in_percent(sellers, *RATES),
                    {"seller_id": "Seller", "seller_region": "Seller state"} | TABLE_CONFIG,
                    ids=("seller_id",),
                    order=["seller_id", "seller_region", *EVIDENCE],
                )
                ui.download(sellers, "delivery_worst_sellers", key="delivery_dl_sellers")
    else:
        routes = performance(ds.key, keyed, "route")
        if routes.filter(pl.col("route") != dv.UNKNOWN).height == 0:
            st.info(
                "Routes need the customer's and the seller's state or region: upload customers and "
                "sellers with a region column (olist_customers_dataset.csv, "
                "olist_sellers_dataset.csv)."
            )
        else:
            ui.chart(
                charts.late_rate_bars(routes, "route", "Route", overall=overall), width="stretch"
            )
            ui.reading(dv.route_reading(routes, dv.route_strata(keyed)))
            columns.table(
                columns.in_percent(routes, *RATES),
                {"route": columns.key("Route (seller → customer state)")} | TABLE_CONFIG,
            )
            ui.download(routes, "delivery_by_route", key="delivery_dl_routes")


breakdown()

# --- cost of lateness -------------------------------------------------------------------------
st.subheader("What lateness costs in reviews")
reviews = reviews_of(ds.key, facts)
if reviews.height == 0:
    st.info(
        "No delivered order has a review: upload reviews with an order id and a score (as in "
        "olist_order_reviews_dataset.csv)."
    )
else:
    ui.chart(charts.reviews_chart(reviews), width="stretch")
    if note := dv.reviews_note(reviews):
        st.caption(note)
    ui.reading(dv.review_reading(summary, reviews))
    gap = summary.filter(pl.col("kpi").str.contains("review when|stars when"))
    left, right = st.columns(2)
    figures_table(gap, where=left)
    columns.table(
        columns.in_percent(reviews, "low_share"),
        {
            "offset_days": st.column_config.NumberColumn(
                "Days after the estimated day",
                format="%+d",
                pinned=True,
                help=f"Calendar days; the ends pool every order {dv.OFFSET_CLIP} days early or "
                "late and beyond.",
            ),
            "late": st.column_config.CheckboxColumn("Late"),
            "orders": columns.count("Orders"),
            "review": columns.number("Mean review", 2),
            "low_share": columns.percent("1-2 stars"),
        },
        where=right,
        height=250,
    )
    ui.download(reviews, "delivery_reviews_by_lateness", key="delivery_dl_reviews")


# --- lateness and what follows ----------------------------------------------------------------
@exports.fragment
def lateness_follow_up() -> None:
    """Repeat buying after a late first order: its slider reruns this part alone."""
    st.subheader("Lateness and what follows")
    if not ds.has("lines", "customer_id"):
        st.info(
            "Following customers after a late first order needs order lines that name their "
            "customer: upload the order lines with a customer id column, or map one on the Data "
            "page."
        )
        return
    check.number("delivery_follow_months", 1, 12, lateness.MONTHS, label="Months followed")
    months = st.slider(
        "Months followed after the first order arrived",
        1,
        12,
        lateness.MONTHS,
        key="delivery_follow_months",
        bind=links.BIND,
        help="Repeat orders and revenue count within this many calendar months of the day a "
        "customer's first order arrived. Customers the data does not follow that long yet are "
        "left out.",
    )
    purchases = ui.cached(movement.purchase_orders)(ds.key, ds.table("lines"))
    first = cached_first_orders(ds.key, purchases, orders)
    result = ui.cached(lateness.follow_ups, "Following each customer after the first order…")(
        ds.key, first, months=months
    )
    groups = result.groups
    reading = fmt.plain(lateness.lateness_reading(result, ds.currency))
    by_group = lateness.by_group(result)
    if groups.filter(pl.col("customers") > 0).height:
        ui.chart(lateness_charts.repeat_share_chart(groups, months), width="stretch")
    # Too few repeat buyers (or none to follow) to tell: a note, not a reading to act on, unless
    # the repeat shares themselves differ beyond chance (an exact test holds on few).
    few_repeaters = min(r["repeaters"] for r in by_group.values()) < lateness.MIN_REPEATERS
    if few_repeaters and not lateness.shares_apart(result):
        st.info(reading, icon=":material/info:")
    else:
        ui.reading(reading)
    headers = lateness.FOLLOW_HEADERS
    columns.table(
        # Shown blank: a median or mean of a handful of repeat buyers reads as a finding.
        columns.in_percent(
            lateness.shown_groups(groups), "repeat_share", "share_low", "share_high"
        ).with_columns(
            pl.col("group").replace_strict(lateness_charts.GROUP_LABELS, default=pl.col("group")),
        ),
        {
            # Short headers, the long words in their help: the table fits without scrolling.
            "group": columns.key(headers["group"]),
            "customers": columns.count(
                headers["customers"],
                help=f"First order delivered, followed for {fmt.counted(months, 'month')} after "
                "it arrived.",
            ),
            "repeaters": columns.count(headers["repeaters"]),
            "repeat_share": columns.percent(
                headers["repeat_share"],
                help="Share of those followed who ordered again within "
                f"{fmt.counted(months, 'month')}.",
            ),
            "share_low": columns.percent(headers["share_low"]),
            "share_high": columns.percent(headers["share_high"]),
            "median_days_to_next": columns.number(
                headers["median_days_to_next"],
                0,
                help="Days from the first order's arrival to the next order, median among those "
                "who ordered again.",
            ),
            "revenue_following": None,  # a group total: the per-customer figures compare groups
            "revenue_per_customer": columns.money(
                headers["revenue_per_customer"],
                ds.currency,
                2,
                help=f"Net revenue of their later orders within {fmt.counted(months, 'month')} "
                "of the first order's arrival, per customer followed (the CSV has the total).",
            ),
            "revenue_per_repeater": columns.money(
                headers["revenue_per_repeater"],
                ds.currency,
                2,
                help="Among those who ordered again.",
            ),
        },
    )
    st.caption(f"{lateness.followed_note(result)} {lateness.FEW_NOTE} The downloads keep them.")
    left, right = st.columns(2)
    with left:
        ui.download(groups, f"lateness_repeat_orders_{months}_months", "delivery_dl_lateness")
    with right:
        ui.download(
            result.customers,
            f"lateness_customers_{months}_months",
            "delivery_dl_lateness_customers",
            "Download customers",
        )


lateness_follow_up()
