"""Sales: KPIs, revenue over time, top items and purchase patterns."""

from datetime import date

import polars as pl
import streamlit as st

from lib import fmt, measures, periods, quality, recipe, state
from lib.analyses import bridge, sales
from lib.catalog import PAGE_BY_KEY
from lib.charts import bridge as bridge_charts
from lib.charts import sales as charts
from lib.filters import filter_lines, in_days, named_as, named_values
from lib.formats.shop import UTC_TIMES
from pages.common import columns, exports, links, places, ui
from pages.common.settings import view_choices

PATTERNS = view_choices("sales_pattern")
CHART_KINDS = view_choices("sales_chart")
BRIDGE = PATTERNS[4]
# What each bridge step counts, in the words of its definition (bridge.DEFINITIONS).
STEP_WORDS = {
    "new": "New customers: " + bridge.DEFINITIONS["new"],
    "reactivated": "Reactivated: " + bridge.DEFINITIONS["reactivated"],
    "price": "Price: " + bridge.DEFINITIONS["price"],
    "volume": "Volume: " + bridge.DEFINITIONS["volume"],
    "mix": "Mix: " + bridge.DEFINITIONS["mix"],
    "fees": "Postage and fees: " + bridge.DEFINITIONS["fees"],
    "more": "Buying more or less: returning customers (purchases in both periods) whose revenue "
    "rose, or fell or stayed",
    "lost": "Lost customers: " + bridge.DEFINITIONS["lost"],
}


def _values(lines: pl.DataFrame, column: str) -> pl.Series:
    return lines[column].unique()


_options = ui.cached(_values)


ds = state.dataset()
st.title("Sales")
st.caption(PAGE_BY_KEY["sales"].answers)
lines = state.require("lines", hint=PAGE_BY_KEY["sales"].hint(ds))
currency = ds.currency
st.caption(
    "Net revenue throughout: returns and cancellations subtract from revenue and units; a line "
    "at no price that returns nothing (a free line, a stock adjustment) moves no units."
    + (f" Amounts in {currency}." if currency else "")
)
ui.definitions(ds, "order", "revenue", "customer")
exports.page_tools("sales", ds)
check = links.Checks("sales", ds)


@exports.fragment
def controlled() -> None:
    """Everything under the controls, with them: they sit at the top and drive all of it, and
    nothing in the sidebar or the navigation. So a control's move reruns this part alone (a
    fragment): no sidebar, no page list sent again (a date move 0.19-0.24 s against 0.21-0.25 s
    in chromium on the retail demo)."""
    # --- controls ---------------------------------------------------------------------------------
    first_day, last_day = sales.covered_days(lines)
    has_category = ds.has("lines", "category")
    has_region = ds.has("lines", "region")
    # The date range whole ("2022/01/14 – 2024/08/30") down to a 1280-pixel screen.
    cols = st.columns([2.4, 2.8, 2.8] if has_category or has_region else [2.4, 5.6])
    check.dates("sales_dates", first_day, last_day, (first_day, last_day), label="Dates", data=True)
    picked = cols[0].date_input(
        "Dates",
        value=(first_day, last_day),
        min_value=first_day,
        max_value=last_day,
        key="sales_dates",
        bind=links.BIND,
        help="Both days included. KPIs compare with the period of equal length just before.",
    )
    start: date = picked[0] if len(picked) > 0 else first_day
    end: date = picked[1] if len(picked) > 1 else last_day
    categories: list[str | None] = []
    regions: list[str | None] = []
    slot = 1
    if has_category:
        category_values = _options(ds.key, lines, column="category")
        # Named as the Categories page groups them: lines without one are "uncategorised".
        offered = named_values(category_values)
        # Named as the Categories page names them ("Health beauty"), in that order; filtered by the
        # value.
        words = pl.DataFrame({"c": offered}, schema={"c": pl.String}).select(
            fmt.words_expr(pl.col("c"))
        )
        names = dict(zip(offered, words["c"], strict=True))
        offered = sorted(offered, key=lambda c: names[c].casefold())
        shown = ui.labelled(names)
        check.choices("sales_categories", offered, label="Categories", format_func=shown, data=True)
        categories = cols[slot].multiselect(
            "Categories",
            offered,
            format_func=shown,
            key="sales_categories",
            bind=links.BIND,
            placeholder="All categories",
        )
        slot += 1
    if has_region:
        region_values = _options(ds.key, lines, column="region")
        # Lines without one are "(no region)", as on the Regions page.
        offered = named_values(region_values)
        # Named as the map names them ("Ireland" for "EIRE"), in that order; filtered by the value.
        names = places.labels(f"{ds.key}:region", offered)
        offered = sorted(
            offered, key=lambda r: (r == measures.NO_REGION, names.get(r, r).casefold())
        )
        shown = ui.labelled(names)
        check.choices("sales_regions", offered, label="Regions", format_func=shown, data=True)
        regions = cols[min(slot, len(cols) - 1)].multiselect(
            "Regions",
            offered,
            format_func=shown,
            key="sales_regions",
            bind=links.BIND,
            placeholder="All regions",
        )

    scope_key = f"{ds.key}|c={sorted(categories)}|r={sorted(regions)}"
    # The values written in the data that the names chosen stand for.
    if categories:
        categories = named_as(category_values, categories)
    if regions:
        regions = named_as(region_values, regions)
    scope = filter_lines(lines, categories=categories, regions=regions)
    if scope.height == 0:
        st.info("No order lines match these categories and regions: clear a filter.")
        st.stop()
    history = ui.cached(sales.order_table)(scope_key, scope)
    period_key = f"{scope_key}|{start}|{end}"
    days = ui.cached(sales.daily, "Summing revenue per day…")(scope_key, history)
    if not days["day"].is_between(start, end).any():
        st.info(f"No orders between {fmt.day(start)} and {fmt.day(end)}: widen the dates.")
        st.stop()

    # --- KPIs -------------------------------------------------------------------------------------
    linked = ui.cached(sales.order_links, "Linking each customer's orders…")(scope_key, history)
    figures = ui.cached(sales.kpis_kept)(
        scope_key, (history, linked), start=start, end=end, covered=(first_day, last_day)
    )
    prev_start, prev_end = sales.previous_period(start, end)
    deltas = [
        sales.kpi_delta(m, v, p) for m, v, p in figures.select("metric", "value", "previous").rows()
    ]
    if any(deltas):
        against = f"Change against {fmt.day(prev_start)} – {fmt.day(prev_end)}."
    elif figures["previous"].is_not_null().any():  # covered, but nothing sold then
        against = (
            f"No change shown: nothing was sold from {fmt.day(prev_start)} to {fmt.day(prev_end)}, "
            "the previous period of equal length."
        )
    else:
        against = (
            "No change shown: the data does not cover the whole previous period of equal length."
        )
        # Where to go for one: the data's last three full months, against the three before.
        window = periods.growth_window(lines["ordered_at"], 3)
        if window.available:
            last, before = window.spans()
            against += f" Narrow the dates to compare: {last}, say, against {before}."
    HELP = {
        "revenue": "Sum of line revenue in the period; returns and cancellations subtract.",
        "orders": "Distinct orders with at least one sale line (orders of returns only, such as "
        "cancellation invoices, left out).",
        "customers": "Distinct customers with an order in the period (lines without a customer id "
        "are left out); — when the data names no customer.",
        "aov": "Net revenue / orders.",
        "items_per_order": "Net units (sum of quantity, returns subtract; a line at no price "
        "that returns nothing, a free line or a stock adjustment, moves none) / orders; — when "
        "the data has no quantities (a file of order totals).",
        "returning_share": "Customers with an order in the period who had also ordered before the "
        "period start, or ordered at least twice within it, as a share of the period's customers "
        "(Repeat customers, under purchase patterns, counts those who ordered twice within it).",
    }
    # Two rows of three: six cards in one row truncate money figures on laptop screens.
    kpi_cols = [*st.columns(3), *st.columns(3)]
    for col, row, delta in zip(kpi_cols, figures.iter_rows(named=True), deltas, strict=True):
        metric, value = row["metric"], row["value"]
        col.metric(
            row["label"],
            sales.kpi_text(metric, value, currency),
            delta=delta,
            help=f"{HELP[metric]} {against}",
            border=True,
        )
    if not any(deltas):  # why the cards show no change, in view (not only in their help)
        st.caption(against)

    # --- revenue over time ------------------------------------------------------------------------
    st.subheader("Revenue over time")
    left, middle, right = st.columns([2, 2, 3])
    check.choice("sales_grain", list(sales.GRAINS), "month", label="Revenue per")
    grain = left.segmented_control(
        "Per",
        list(sales.GRAINS),
        default="month",
        key="sales_grain",
        required=True,
        bind=links.BIND,
    )
    check.choice("sales_chart", CHART_KINDS, "bars", label="Show as")
    kind = middle.segmented_control(
        "Show as", CHART_KINDS, default="bars", key="sales_chart", required=True, bind=links.BIND
    )
    most = recipe.SALES_WINDOW_MAX[grain]
    check.number(
        f"sales_window_{grain}", 2, most, sales.DEFAULT_WINDOW[grain], label="Moving average"
    )
    window = right.slider(
        "Moving average (periods)",
        2,
        most,
        sales.DEFAULT_WINDOW[grain],
        key=f"sales_window_{grain}",
        bind=links.BIND,
        help="The dashed line averages revenue over this many full periods.",
    )
    series = ui.cached(sales.revenue_over_time)(
        scope_key,
        days,
        start=start,
        end=end,
        grain=grain,
        window=window,
        covered=(first_day, last_day),
    )
    ui.chart(charts.revenue_chart(series, grain, currency, kind), width="stretch")
    ui.reading(sales.revenue_reading(series, grain, currency, (first_day, last_day)))
    ui.download(series, f"revenue_by_{grain}", "sales_download_series")

    # --- top items --------------------------------------------------------------------------------
    st.subheader("Top items")
    kept_cube = ds.extras.get(sales.ITEM_CUBE)  # a summarised folder's, made with its summary
    if sales.order_level(ds):
        st.info(
            "Item rankings need an item per order line: map a product, SKU or stock code column "
            "of your order lines on the Data page."
        )
    else:
        left, right = st.columns([3, 2])
        check.number("sales_topn", 5, 50, 10, label="How many items")
        topn = left.slider("How many items", 5, 50, 10, key="sales_topn", bind=links.BIND)
        check.choice("sales_rank_by", list(sales.RANK_BY), "units", label="Rank by")
        rank_by = right.segmented_control(
            "Rank by",
            list(sales.RANK_BY),
            default="units",
            key="sales_rank_by",
            required=True,
            bind=links.BIND,
        )
        cube = ui.cached(sales.item_cube)(ds.key, lines) if kept_cube is None else kept_cube
        months = ui.cached(sales.month_cube)(ds.key, cube)
        ranking = ui.cached(sales.rank_kept)(
            period_key,
            (cube, months),
            by=rank_by,
            start=start,
            end=end,
            categories=tuple(categories),
            regions=tuple(regions),
            orders=sales.kpi_orders(figures),
        )
        shown = columns.in_percent(ranking.head(topn), "share")
        # Room for the longest name shown (Online Retail's run to 35 characters), 200-280 px.
        longest = shown["item_name"].str.len_chars().max() or 0
        name_width = min(280, max(200, 8 * longest))
        # Names that already carry the start of their id (Olist's "Perfumery · 2028bf") need no
        # short id beside them; the full ids are in the CSV download.
        named = shown.select(
            pl.col("item_name")
            .str.contains(pl.col("item_id").str.slice(0, 6), literal=True)
            .fill_null(False)
            .all()
        ).item()
        columns.table(
            shown,
            {
                "rank": st.column_config.NumberColumn("#", width="small", pinned=True),
                "item_id": None if named else st.column_config.TextColumn("Item id", width="small"),
                "item_name": columns.text("Item", width=name_width, pinned=True),
                "units": columns.count("Units (net)"),
                "orders": columns.count("Orders"),
                "revenue": columns.money("Net revenue", currency),
                "share": st.column_config.ProgressColumn(
                    f"Share of {rank_by}",
                    format="%.1f%%",
                    min_value=0.0,
                    max_value=100.0,
                    help="Orders holding the item, of every order in the range: an order holds "
                    "several items, so these shares add up to more than 100%"
                    if rank_by == "orders"
                    else None,
                ),
                "trend": st.column_config.LineChartColumn(
                    f"Monthly {rank_by}",
                    y_min=0,
                    help="One point per calendar month of the range; a month the data or the "
                    "range covers only in part is left out at either end",
                ),
            },
            ids=() if named else ("item_id",),
            order=["rank", "item_name", "item_id"],
            width="stretch",
        )
        left_out = sales.non_product_lines(
            cube, start=start, end=end, categories=tuple(categories), regions=tuple(regions)
        )
        ui.reading(
            sales.top_items_reading(ranking, topn, rank_by, currency, sales.kpi_orders(figures))
        )
        # Name only the non-product codes this data has (POST, DOT... are Online Retail's).
        codes = sorted(
            cube.filter(~pl.col("product"))["item_id"].drop_nulls().cast(pl.String).unique()
        )
        why = (
            f"Non-product codes ({', '.join(fmt.plain(c) for c in codes[:8])}"
            + (f" and {len(codes) - 8} more" if len(codes) > 8 else "")
            + ") and lines without an item are"
            if codes
            else "Lines without an item are"
        )
        st.caption(
            "Returns and cancellations are netted out (a cancelled unit reduces units and "
            "revenue). "
            + (
                f"{why} left out of the ranking: {left_out:,} lines in this selection. "
                if left_out
                else "Every line in this selection names a product. "
            )
            + "Ties are ordered by item id."
            + (" The full item ids are in the CSV download." if named else "")
        )
        ui.download(
            ranking.with_columns(
                pl.col("trend").list.eval(pl.element().cast(pl.String)).list.join(" ")
            ).head(topn),
            f"top_{topn}_items_by_{rank_by}",
            "sales_download_top",
        )

    # --- purchase patterns ------------------------------------------------------------------------
    st.subheader("Purchase patterns")
    check.choice("sales_pattern", PATTERNS, PATTERNS[0], label="Purchase patterns")
    view = st.segmented_control(
        "View", PATTERNS, default=PATTERNS[0], key="sales_pattern", required=True, bind=links.BIND
    )
    if view in PATTERNS[2:]:
        if not ds.has("lines", "customer_id"):
            st.info(
                "This view needs a customer per order line, which this data does not have: "
                "upload a file with customer ids or map one on the Data page."
            )
            st.stop()
        # The bridge compares its own two periods over the whole history, not the dates above.
        # Counted where they are: no copy of the period's lines.
        who = pl.col("customer_id")
        inside = in_days(start, end)
        counted, without_customer = scope.select(
            *(
                (pl.len(), who.null_count())
                if view == BRIDGE
                else (inside.sum(), who.filter(inside).null_count())
            )
        ).row(0)
        if without_customer:
            st.caption(
                f":material/info: {without_customer:,} of {counted:,} {ui.lines_word(ds)} "
                f"({quality.share_text(without_customer / counted)}) have no customer id and are "
                "left out of this view."
            )

    if view == PATTERNS[0]:
        if not ui.cached(sales.has_clock_times)(scope_key, history):
            st.info(
                "The order times carry no time of day (dates only), so there is no hour to chart: "
                "the heatmap needs order timestamps."
            )
        else:
            slots = ui.cached(sales.weekday_slots, "Counting orders per weekday and hour…")(
                scope_key, history
            )
            grid = ui.cached(sales.weekday_hour)(scope_key, slots, start=start, end=end)
            ui.chart(charts.weekday_hour_heatmap(grid), width="stretch")
            ui.reading(sales.weekday_hour_reading(grid))
            if any(note.message == UTC_TIMES for note in ds.notes):
                st.caption("Hours are UTC, as the export gives them, not the shop's local hours.")
            ui.download(grid, "orders_by_weekday_hour", "sales_download_heatmap")
    elif view == PATTERNS[1] and sales.order_level(ds):
        st.info(
            "The data names no items: each line is an order's total, so an order has no basket "
            "size to count."
        )
    elif view == PATTERNS[1]:
        check.choice(
            "sales_basket", list(sales.BASKET_MEASURES), "lines", label="Basket measured in"
        )
        measure = st.segmented_control(
            "Basket measured in",
            list(sales.BASKET_MEASURES),
            default="lines",
            key="sales_basket",
            required=True,
            bind=links.BIND,
        )
        if sales.basket_counted(ds, measure):
            baskets = ui.cached(sales.daily_baskets, "Counting orders per basket size…")(
                f"{scope_key}|{measure}", history, measure=measure
            )
            sizes = ui.cached(sales.basket_sizes)(
                f"{scope_key}|{measure}", baskets, start=start, end=end
            )
            ui.chart(charts.basket_chart(sizes, measure), width="stretch")
            ui.reading(sales.basket_reading(sizes, measure))
            ui.download(sizes, f"basket_sizes_{measure}", "sales_download_baskets")
        elif measure == "lines":
            st.info(
                "A folder's summary keeps no lines per order, so baskets cannot be counted in "
                "lines here: count them in units."
            )
        else:
            st.info(
                "The quantity column has no values, so baskets cannot be counted in units: count "
                "them in lines."
            )
    elif view == PATTERNS[2]:
        gaps = ui.cached(sales.days_between_orders)(scope_key, linked, start=start, end=end)
        rep = sales.repeat_summary(linked, start, end, gaps)
        cols = st.columns(3)
        cols[0].metric(
            "Repeat rate",
            fmt.pct(rep.rate),
            help="Share of customers with an order in the period who placed two or more orders "
            "in it.",
        )
        cols[1].metric(
            "Repeat customers",
            fmt.count(rep.repeaters),
            help="Customers with 2+ orders. Cohorts and Lifetime value count purchase days instead "
            "(orders on one day are one purchase), so they count a few fewer.",
        )
        cols[2].metric(
            "Median days between orders",
            "—" if rep.median_days is None else f"{rep.median_days:,.0f}",
            help="Days from a customer's order to their next one, over every pair of consecutive "
            "orders in the period.",
        )
        if gaps.height:
            ui.chart(charts.gap_histogram(gaps, rep.median_days), width="stretch")
        ui.reading(sales.repeat_reading(rep, gaps))
        ui.download(gaps, "days_between_orders", "sales_download_gaps")
    elif view == PATTERNS[3]:
        split = ui.cached(sales.new_vs_returning)(scope_key, days, start=start, end=end)
        ui.chart(charts.new_vs_returning_chart(split, currency), width="stretch")
        ui.reading(sales.new_vs_returning_reading(split, currency))
        st.caption(
            "New: revenue in the month of a customer's first order (ever, in these categories and "
            "regions); returning: revenue in any later month, and returns of purchases made "
            "before the data starts (before a customer's first order in it). Of every line with a "
            "customer id, returns subtracted where they happen: RFM's customers' revenue, of "
            "purchases cleaned as its note says, can differ."
        )
        ui.download(split, "new_vs_returning_revenue", "sales_download_newret")
    else:
        purchases = ui.cached(bridge.bridge_purchases)(scope_key, scope)
        if purchases.height == 0:
            st.info(
                "No purchases of known customers in these categories and regions, so there is no "
                "revenue to bridge: clear a filter."
            )
            st.stop()
        bought_first = purchases["ordered_at"].min().date()
        bought_last = purchases["ordered_at"].max().date()
        choices = bridge.period_choices(bought_first, bought_last)
        try:
            opening = tuple(p.code for p in bridge.default_periods(bought_first, bought_last))
        except ValueError as exc:  # the purchases fall in one month
            st.info(f"No revenue bridge: {fmt.plain(exc)}.")
            st.stop()
        left, right = st.columns(2)
        period_label = ui.labelled({code: bridge.parse_period(code).label for code in choices})
        picked_periods = []
        for where, key, label, default in (
            (left, "sales_bridge_previous", "Previous period", opening[0]),
            (right, "sales_bridge_current", "Current period", opening[1]),
        ):
            check.choice(key, choices, default, label=label, format_func=period_label, data=True)
            picked_periods.append(
                where.selectbox(
                    label,
                    choices,
                    index=choices.index(default),
                    format_func=period_label,
                    key=key,
                    bind=links.BIND,
                    help="A quarter or a month of the data (newest first). Opens on the last two "
                    "full quarters, or on shorter data the last two months.",
                )
                or default
            )
        before, now = (bridge.parse_period(code) for code in picked_periods)
        st.caption(
            "The bridge compares the two periods chosen here over the whole history (the dates "
            "above do not apply; categories and regions do). Each step adds up to the change "
            "exactly."
        )
        if before.end >= now.start:
            st.warning(
                f"The previous period ({before.label}) must end before the current one "
                f"({now.label}) starts: choose an earlier previous period or a later current one."
            )
            st.stop()
        result = ui.cached(bridge.revenue_bridge)(
            scope_key, purchases, previous=before, current=now
        )
        short = [p.label for p in (before, now) if p.start < bought_first]
        if result.partial:
            short.append(now.label)
        if short:
            st.warning(
                f"{' and '.join(dict.fromkeys(short))} "
                f"{'reaches' if len(set(short)) == 1 else 'reach'} beyond the data (purchases run "
                f"from {fmt.day(bought_first)} to {fmt.day(bought_last)}): a partial period's "
                "revenue is short, so the change is not like for like.",
                icon=":material/warning:",
            )
        steps = result.named_steps
        ui.chart(bridge_charts.waterfall_chart(steps, currency), width="stretch")
        lapse = ui.lapse_days(ds.key, ds.tables["lines"])
        ui.reading(fmt.plain(bridge.bridge_reading(result, currency, lapse)))
        columns.table(
            steps,
            {
                "step": None,
                "kind": None,
                "start": None,
                "label": columns.key("Step", width="medium"),
                "value": columns.money(
                    "Amount", currency, help="Totals for the two periods; signed change for a step."
                ),
                "end": columns.money("Running total", currency),
                "customers": columns.count("Customers", help="Customers behind the bar."),
            },
            order=["label", "value", "end", "customers"],
        )
        shown_steps = set(result.steps["step"])
        words = [w for k, w in STEP_WORDS.items() if k in shown_steps]
        st.caption(
            f"Revenue: the net revenue of purchases ({measures.DEFINITIONS['purchase']}), as the "
            "customer pages count it, so a period's total can differ from the revenue chart's, "
            "which sums every line. " + ". ".join(words) + "."
        )
        cols = st.columns(3)
        with cols[0]:
            ui.download(result.steps, "revenue_bridge_steps", "sales_download_bridge")
        with cols[1]:
            ui.download(
                result.customers,
                "revenue_bridge_customers",
                "sales_download_bridge_customers",
                "Download customers",
            )
        if result.items is not None:
            with cols[2]:
                ui.download(
                    result.items,
                    "revenue_bridge_items",
                    "sales_download_bridge_items",
                    "Download items",
                )


controlled()
