"""Segment movement: where each RFM segment's customers stood one as-of date later."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import polars as pl

from lib import fmt, measures
from lib.analyses import churn, rfm
from lib.measures import purchase_orders
from lib.model import Dataset
from lib.periods import add_months

NEW = "new"  # no purchase before the first date, some before the second
GONE = "gone"  # in the first segmentation, no purchase between the two dates
COMPARE_MONTHS = 3  # the default first date: one quarter before the second
GONE_ACTION = (
    "No order in the window: win back the valuable ones with a personal offer; leave the rest "
    "out of paid campaigns."
)
DEFINITIONS = {
    NEW: "no purchase before the first date, at least one between the dates",
    GONE: "in a segment at the first date, no purchase between the dates",
}


def flows_caption(first: date, second: date, measure: str, same: bool) -> str:
    """The caption under the flow chart, on the page and in the report: the two dates, what the
    bands measure (`measure`: customers or revenue), NEW and GONE, and, unless the other views
    segment as these dates do (`same`), that they may differ."""
    return (
        f"Segments at {fmt.day(first)} (left) and at the as-of date {fmt.day(second)} (right), "
        f"each from the orders before that date; bands as wide as their {measure}. "
        f"New: {DEFINITIONS[NEW]}; gone: {DEFINITIONS[GONE]}."
        + (
            ""
            if same
            else " Both dates are scored by quantiles with the published ties, on purchases "
            "only, so the segments at the as-of date may differ from the other views'."
        )
    )


def moved(source: str, target: str) -> str:
    """What the customers of one movement did, as a verb phrase: 'went from loyal customers to
    at risk'; for NEW, 'first bought between the dates and are now new customers' (not "went from
    new to new customers"); for GONE, 'were loyal customers and bought nothing between the
    dates'."""
    if source == NEW:
        return f"first bought between the dates and are now {target}"
    if target == GONE:
        return f"were {source} and bought nothing between the dates"
    return f"went from {source} to {target}"


_CUSTOMER_SCHEMA = {
    "customer_id": pl.String,
    "from_segment": pl.String,
    "to_segment": pl.String,
    "segment_now": pl.String,
    "first_r_score": pl.Int8,
    "first_f_score": pl.Int8,
    "r_score": pl.Int8,
    "f_score": pl.Int8,
    "orders": pl.Int64,
    "revenue": pl.Float64,
    "revenue_before": pl.Float64,
    "last_order": pl.Date,
}


def default_dates(orders: pl.DataFrame) -> tuple[date, date] | None:
    """(first, second) as-of dates: the day after the last order (rfm.default_as_of) and one
    quarter (COMPARE_MONTHS calendar months) before it; None without orders."""
    second = rfm.default_as_of(orders)
    if second is None:
        return None
    return quarter_before(second), second


def quarter_before(day: date, months: int = COMPARE_MONTHS) -> date:
    """The same day `months` calendar months before `day` (31 May -> 28 Feb for a quarter)."""
    start = add_months(date(day.year, day.month, 1), -months)
    following = add_months(start, 1)
    return start.replace(day=min(day.day, (following - timedelta(days=1)).day))


def _at(day: date) -> datetime:
    return datetime.combine(day, time.min)


def segments_at(
    orders: pl.DataFrame, as_of: date, rules: pl.DataFrame | None = None, bins: int = 5
) -> pl.DataFrame:
    """The RFM page's segments as of `as_of` (orders before it; recency counted to it):
    rfm.customer_table, quantile_scored with the published ties, segmented with `rules`
    (None: rfm.default_rules(bins)). One row per customer in id order with the customer
    table's columns, r_score, f_score, m_score, rf and segment.

    `orders` is purchase_orders(lines): its rows are already the purchases, so the table is the
    one customer_table(lines, as_of, clean=True) gives."""
    table = rfm.customer_table(orders, as_of, clean=False)
    scored = rfm.quantile_scored(table.customers, bins)
    return rfm.segmented(scored, rfm.default_rules(bins) if rules is None else rules)


def _window(orders: pl.DataFrame, start: date, end: date, name: str) -> pl.DataFrame:
    """Per customer: orders and revenue of the purchases in [start, end)."""
    return (
        orders.lazy()
        .filter((pl.col("ordered_at") >= _at(start)) & (pl.col("ordered_at") < _at(end)))
        .group_by("customer_id")
        .agg(
            pl.len().cast(pl.Int64).alias(f"{name}_orders"),
            pl.col("revenue").sum().alias(name),
        )
        .collect()
    )


def customer_movements(
    lines: pl.DataFrame,
    first: date,
    second: date,
    rules: pl.DataFrame | None = None,
    bins: int = 5,
) -> pl.DataFrame:
    """Each customer's move between the segments at `first` and at `second` (as-of dates:
    the lines before the date count, as they stood then, as on the RFM page).

    One row per customer with a purchase before `second`, in from_segment order (NEW first,
    then rule order), then customer id: customer_id, from_segment (the segment at `first`, or
    NEW), to_segment (the segment at `second`, or GONE: no purchase in the second window
    [first, second)), segment_now (the segment at `second` even for gone customers: what the
    RFM page calls them now), first_r_score, first_f_score (null for new customers), r_score,
    f_score (at `second`), orders and revenue (purchases in the second window), revenue_before
    (revenue in the window of the same length before `first`) and last_order (date of the last
    purchase before `second`).
    """
    _check_dates(first, second)
    rules = rfm.default_rules(bins) if rules is None else rules
    orders, known, before, after = _segmented(lines, first, second, rules, bins)
    return _moves(orders, known, before, after, first=first, second=second, rules=rules)


def _segmented(
    lines: pl.DataFrame,
    first: date,
    second: date,
    rules: pl.DataFrame,
    bins: int,
    *,
    every: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The purchase orders as they stood at `second` and as they stood at `first`, and the
    segments at `first` and at `second`, each from the lines before its date. `every`:
    purchase_orders(lines), already made, which they are when every line is before `second`."""
    placed = measures.before(lines, second)
    later = every if every is not None and placed is lines else purchase_orders(placed)
    known = purchase_orders(lines, first)
    before = segments_at(known, first, rules, bins)
    return later, known, before, segments_at(later, second, rules, bins)


def _check_dates(first: date, second: date) -> None:
    if first >= second:
        raise ValueError(
            f"the first as-of date ({first.isoformat()}) must come before the second "
            f"({second.isoformat()})"
        )


def _moves(
    orders: pl.DataFrame,
    known: pl.DataFrame,
    before: pl.DataFrame,
    after: pl.DataFrame,
    *,
    first: date,
    second: date,
    rules: pl.DataFrame,
) -> pl.DataFrame:
    now = _window(orders, first, second, "revenue")
    # The span before the earlier date as it stood then (`known`): a cancellation made after it
    # takes nothing back from it (Online Retail's champions: £50,647, not £50,411).
    earlier = _window(known, first - (second - first), first, "revenue_before")
    order = [NEW, *rfm.segment_order(rules)]
    table = (
        after.select(
            "customer_id",
            "last_order",
            "r_score",
            "f_score",
            pl.col("segment").alias("segment_now"),
        )
        .join(
            before.select(
                "customer_id",
                pl.col("segment").alias("from_segment"),
                pl.col("r_score").alias("first_r_score"),
                pl.col("f_score").alias("first_f_score"),
            ),
            on="customer_id",
            how="left",
        )
        .join(now, on="customer_id", how="left")
        .join(earlier.drop("revenue_before_orders"), on="customer_id", how="left")
        .with_columns(
            pl.col("from_segment").fill_null(NEW),
            pl.when(pl.col("revenue_orders").is_null())
            .then(pl.lit(GONE))
            .otherwise(pl.col("segment_now"))
            .alias("to_segment"),
            pl.col("revenue_orders").fill_null(0).alias("orders"),
            pl.col("revenue").fill_null(0.0),
            pl.col("revenue_before").fill_null(0.0),
        )
        .with_columns(
            pl.col("from_segment")
            .replace_strict(order, list(range(len(order))), default=len(order))
            .alias("_order")
        )
        # A stable sort keeps the id order customer_table gives within a segment.
        .sort("_order", maintain_order=True)
    )
    return table.select(list(_CUSTOMER_SCHEMA)).cast(_CUSTOMER_SCHEMA)


def waiting_action(days: int) -> str:
    """The action for gone customers over a window shorter than the churn window (`days`,
    churn.lapse_days)."""
    return (
        f"No order in the window, shorter than the churn window ({churn.window_words(days)}): "
        f"wait for those within {fmt.count(days)} days of their last order, who may only be "
        "between purchases; win back the valuable ones quiet longer with a personal offer; "
        "leave the rest out of paid campaigns."
    )


def _actions(rules: pl.DataFrame, waiting: int | None = None) -> pl.DataFrame:
    # The first rule's action per segment (as rfm.segment_summary), and the two movement ends.
    action = pl.col("action") if "action" in rules.columns else pl.lit(None, dtype=pl.String)
    named = (
        rules.select(pl.col("segment").cast(pl.String).str.strip_chars(), action.cast(pl.String))
        .filter(pl.col("segment").fill_null("") != "")
        .group_by("segment", maintain_order=True)
        .agg(pl.col("action").drop_nulls().first())
    )
    extra = pl.DataFrame(
        {
            "segment": [rfm.OTHER, GONE],
            "action": [
                rfm.ACTIONS[rfm.OTHER],
                waiting_action(waiting) if waiting else GONE_ACTION,
            ],
        }
    )
    return pl.concat([named, extra]).unique("segment", keep="first", maintain_order=True)


def movement_table(
    customers: pl.DataFrame,
    rules: pl.DataFrame | None = None,
    blind: bool = False,
    waiting: int | None = None,
) -> pl.DataFrame:
    """The movements of customer_movements, one row per (from_segment, to_segment) that has
    customers, in from order (NEW, then rule order) and to order (rule order, then GONE):
    from_segment, to_segment, customers, share (of the from_segment's customers, 0..1),
    revenue (in the second window), revenue_before (in the window of the same length before the
    first date) and action (the segment map's action for the destination, GONE_ACTION for gone,
    waiting_action with `waiting`, the churn window the dates span less than; null for all when
    `blind`: the segments cannot separate customers, see rfm.Degenerate).
    """
    rules = rfm.default_rules(5) if rules is None else rules
    named = rfm.segment_order(rules)
    froms, tos = [NEW, *named], [*named, GONE]
    table = (
        customers.group_by("from_segment", "to_segment")
        .agg(
            pl.len().cast(pl.Int64).alias("customers"),
            pl.col("revenue").sum(),
            pl.col("revenue_before").sum(),
        )
        .with_columns(
            (pl.col("customers") / pl.col("customers").sum().over("from_segment")).alias("share"),
            pl.col("from_segment")
            .replace_strict(froms, list(range(len(froms))), default=len(froms))
            .alias("_from"),
            pl.col("to_segment")
            .replace_strict(tos, list(range(len(tos))), default=len(tos))
            .alias("_to"),
        )
        .join(_actions(rules, waiting), left_on="to_segment", right_on="segment", how="left")
        .sort("_from", "_to", "from_segment", "to_segment")
    )
    if blind:
        table = table.with_columns(pl.lit(None, dtype=pl.String).alias("action"))
    return table.select(
        "from_segment",
        "to_segment",
        "customers",
        "share",
        "revenue",
        "revenue_before",
        "action",
    ).cast({"share": pl.Float64, "revenue": pl.Float64, "revenue_before": pl.Float64})


MEASURES = ("customers", "revenue")


def movement_flows(
    movements: pl.DataFrame, measure: str = "customers", rules: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The flows of a movement table for a Sankey-style or matrix chart: one row per movement
    with a positive value, in the table's order: source, target, value (customers, or revenue
    in the second window), source_rank and target_rank (0, 1, ... down each side among the
    nodes that have a flow: NEW first on the left, GONE last on the right, segments in the
    order of `rules` (None: rfm.default_rules(5)) between)."""
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}")
    named = rfm.segment_order(rfm.default_rules(5) if rules is None else rules)
    flows = movements.filter(pl.col(measure) > 0)
    return flows.select(
        pl.col("from_segment").alias("source"),
        pl.col("to_segment").alias("target"),
        pl.col(measure).cast(pl.Float64).alias("value"),
        _rank("from_segment", [NEW, *named], flows),
        _rank("to_segment", [*named, GONE], flows),
    ).rename({"from_segment": "source_rank", "to_segment": "target_rank"})


def _rank(column: str, order: list[str], flows: pl.DataFrame) -> pl.Expr:
    present = set(flows[column].to_list())
    # Names outside the order (a rule table edited since) go last, alphabetically.
    nodes = [n for n in order if n in present] + sorted(present - set(order))
    if not nodes:  # no flow: replace_strict would keep the names' type, even cast
        return pl.col(column).cast(pl.Int64, strict=False)
    return pl.col(column).replace_strict(nodes, list(range(len(nodes))), return_dtype=pl.Int64)


@dataclass(frozen=True)
class Movement:
    """Segment movement between two as-of dates: `customers` (customer_movements),
    `movements` (movement_table), `degenerate` (dimensions the rules read on which most
    customers share one value at either date: the movements cannot separate customers there)."""

    first: date
    second: date
    customers: pl.DataFrame
    movements: pl.DataFrame
    degenerate: tuple[rfm.Degenerate, ...]
    # The churn window (churn.lapse_days) when the dates span fewer days, else None: a gone
    # customer may only be between purchases (Online Retail: 91 days against 110).
    waiting: int | None = None


def segment_movement(
    lines: pl.DataFrame,
    first: date | None = None,
    second: date | None = None,
    rules: pl.DataFrame | None = None,
    bins: int = 5,
) -> Movement:
    """customer_movements and movement_table of `lines` between `first` and `second` (None:
    default_dates of purchase_orders(lines))."""
    every = purchase_orders(lines)
    defaults = default_dates(every)
    if defaults is None:
        raise ValueError("segment movement needs purchases of known customers")
    first = first or (quarter_before(second) if second is not None else defaults[0])
    second = second or defaults[1]
    _check_dates(first, second)
    rules = rfm.default_rules(bins) if rules is None else rules
    orders, known, before, after = _segmented(lines, first, second, rules, bins, every=every)
    customers = _moves(orders, known, before, after, first=first, second=second, rules=rules)
    degenerate: list[rfm.Degenerate] = []
    for scored, at in ((after, "the as-of date"), (before, fmt.day(first))):
        for d in rfm.blind_dimensions(rfm.degenerate_dimensions(scored), rules):
            if d.dimension not in {seen.dimension for seen in degenerate}:
                degenerate.append(replace(d, at=at))
    lapse = churn.lapse_days(churn.days_of(every))
    waiting = lapse if lapse and (second - first).days < lapse else None
    movements = movement_table(customers, rules, blind=bool(degenerate), waiting=waiting)
    return Movement(first, second, customers, movements, tuple(degenerate), waiting)


# A window between the two dates shorter than this: most customers place no order in it
# whatever their habits, so "gone" says little (Online Retail over one day: 4,303 of 4,337).
SHORT_WINDOW = 30


def movement_reading(movement: Movement, currency: str = "") -> str:
    """Sentences on a movement table, from its figures: how many customers arrived and went,
    the largest move between two different segments, and how many champions placed no order;
    when a dimension is degenerate, what the segments cannot say instead of actions."""
    table = movement.movements
    if table.height == 0:
        return "No customers to follow between the two dates."
    span = f"From {fmt.day(movement.first)} to {fmt.day(movement.second)}"
    new = int(table.filter(pl.col("from_segment") == NEW)["customers"].sum())
    gone = int(table.filter(pl.col("to_segment") == GONE)["customers"].sum())
    known = int(table.filter(pl.col("from_segment") != NEW)["customers"].sum())
    # First-time buyers, not the RFM segment of new customers (R5 F1), as the page names it.
    text = f"{span}: {fmt.counted(new, 'first-time buyer')} bought for the first time" + (
        f" and {fmt.count(gone)} of the {fmt.count(known)} earlier customers placed no order (gone)"
        if known
        else ", and no customer had bought before to follow"
    )
    moves = table.filter(
        (pl.col("from_segment") != pl.col("to_segment"))
        & (pl.col("from_segment") != NEW)
        & (pl.col("to_segment") != GONE)
    )
    if moves.height:
        top = moves.sort(
            ["customers", "from_segment", "to_segment"], descending=[True, False, False]
        ).row(0, named=True)
        back = moves.filter(
            (pl.col("from_segment") == top["to_segment"])
            & (pl.col("to_segment") == top["from_segment"])
        )["customers"].sum()
        pair = f"{fmt.plain(top['from_segment'])} → {fmt.plain(top['to_segment'])}"
        tied = moves.filter(pl.col("customers") == top["customers"])
        if top["customers"] < rfm.FEW_CUSTOMERS:
            # As segment actions: a handful of customers is no shift to act on.
            text += (
                f"; no move between segments reaches {rfm.FEW_CUSTOMERS} customers (the "
                f"largest, {pair}, has {fmt.count(top['customers'])})"
            )
        elif back == top["customers"] and tied.height == 2:
            text += (
                f"; the largest moves between segments, {pair} and back, are "
                f"{fmt.count(top['customers'])} each way: no net shift"
            )
        elif tied.height > 1:
            pairs = [
                f"{fmt.plain(a)} → {fmt.plain(b)}"
                for a, b in tied.sort("from_segment", "to_segment")
                .select("from_segment", "to_segment")
                .iter_rows()
            ]
            text += (
                f"; the largest moves between segments tie at {fmt.count(top['customers'])} "
                f"customers each: {fmt.listed(pairs, most=4)}"
            )
        else:
            text += (
                f"; the largest move between segments is {pair} ({fmt.count(top['customers'])}, "
                f"{fmt.pct(top['share'])} of them"
                + (f", against {fmt.count(back)} the other way)" if back else ")")
            )
    champions = table.filter(pl.col("from_segment") == "champions")
    lost = champions.filter(pl.col("to_segment") == GONE)
    if champions.height and lost.height:
        before = float(lost["revenue_before"].sum())
        text += (
            f"; {fmt.count(int(lost['customers'].sum()))} of "
            f"{fmt.count(int(champions['customers'].sum()))} champions placed no order "
            f"(they spent {fmt.whole_money(before, currency)} in the window before)"
        )
    text += "."
    days = (movement.second - movement.first).days
    if movement.waiting and gone:
        text += _waiting_words(movement)
    elif days < SHORT_WINDOW:
        text += (
            f" Over {fmt.counted(days, 'day')} most customers place no order anyway: gone here "
            "means no order in that window, not lost."
        )
    if movement.degenerate:
        warnings = " ".join(rfm.degenerate_warning(d, currency) for d in movement.degenerate)
        text += f" {warnings} So the moves between segments say little, and no action is suggested."
    return text


def _waiting_words(movement: Movement) -> str:
    """' The dates are 91 days apart, less than the churn window (90% of repeat
    purchases come within 110 days): 167 of the 1,449 gone (73 of the 73 gone champions) were
    within 110 days of their last order as of 9 Dec 2011, waiting rather than lapsed as the churn
    section counts them; gone here means no order in the window, not lost.'
    (`movement.waiting`: the churn window; churn.waiting, as the churn section counts it)."""
    window = movement.waiting
    last_day = movement.second - timedelta(days=1)
    gone = movement.customers.filter(pl.col("to_segment") == GONE)
    recency = (pl.lit(movement.second) - pl.col("last_order")).dt.total_days()
    waiting = gone.filter(churn.waiting(recency, window))
    champions = gone.filter(pl.col("from_segment") == "champions").height
    of_champions = (
        f" ({fmt.count(waiting.filter(pl.col('from_segment') == 'champions').height)} of the "
        f"{fmt.count(champions)} gone champions)"
        if champions
        else ""
    )
    days = (movement.second - movement.first).days
    return (
        f" The dates are {fmt.counted(days, 'day')} apart, less than the churn window "
        f"({churn.window_words(window)}): "
        f"{fmt.count(waiting.height)} of the {fmt.count(gone.height)} gone{of_champions} "
        f"{fmt.plural(waiting.height, 'was', 'were')} within {fmt.count(window)} days of their "
        f"last order as of {fmt.day(last_day)}, waiting rather than lapsed as the churn section "
        "counts them; gone here means no order in the window, not lost."
    )


def _as_of(value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"as-of date {value!r}: write it as YYYY-MM-DD") from None


def headless(ds: Dataset, compare_as_of: str = "", as_of: str = "") -> dict[str, pl.DataFrame]:
    """Segment movement between two as-of dates (ISO; orders before a date count, as on the RFM
    page; as_of empty: the day after the last order, compare_as_of empty: one quarter before
    as_of), with the published RFM scores and the default 5-bin rules.
    movements: movement_table; customers: customer_movements (for export); flows:
    movement_flows by customers and by revenue, with a measure column first."""
    lines = ds.table("lines")
    if "customer_id" not in lines.columns or lines["customer_id"].null_count() == lines.height:
        raise ValueError("segment movement needs a customer id per order line (lines.customer_id)")
    movement = segment_movement(lines, _as_of(compare_as_of), _as_of(as_of))
    flows = pl.concat(
        [
            movement_flows(movement.movements, m).select(pl.lit(m).alias("measure"), pl.all())
            for m in MEASURES
        ]
    )
    return {"movements": movement.movements, "customers": movement.customers, "flows": flows}
