"""Revenue bridge: a change in revenue between two periods, step by step, that adds up exactly."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import polars as pl

from lib import fmt, measures, quality
from lib.analyses import churn
from lib.model import Dataset
from lib.periods import add_months

PURCHASE_COLUMNS = measures.PURCHASE_COLUMNS  # unit price too: units net as revenue is
STATUSES = ("new", "reactivated", "retained", "lost")
DEFINITIONS = {
    "revenue": "net purchase revenue of known customers (measures: cancellations netted out of "
    "the purchase they reverse)",
    "new": "a purchase in the current period and none before it",
    "reactivated": "a purchase in the current period, none in the previous one, some before",
    "retained": "purchases in both periods",
    "lost": "a purchase in the previous period and none in the current one",
    "price": "what retained customers' items cost against the previous period's price per unit, "
    "at current units",
    "volume": "the change in units retained customers bought, at the previous period's average "
    "price per unit",
    "mix": "the shift of retained customers' units between cheaper and dearer items (an item "
    "they did not buy in the previous period counts at its current price, so all of it is mix)",
    "fees": "the change in what retained customers paid on lines that are no product (postage, "
    "fees, manual adjustments: quality.NON_PRODUCT_CODES), kept out of price, volume and mix",
}
STEP_LABELS = {
    "previous": "Previous period",
    "new": "New customers",
    "reactivated": "Reactivated customers",
    "price": "Returning: price",
    "volume": "Returning: volume",
    "mix": "Returning: mix",
    "fees": "Returning: postage and fees",
    "more": "Returning: buying more",
    "less": "Returning: buying less",
    "lost": "Lost customers",
    "current": "Current period",
}
# How a period is written, as the errors that refuse one say it.
PERIOD_FORMS = (
    "a quarter (2011Q3), a month (2011-07), a year (2011) or ISO dates (2011-07-01..2011-09-30)"
)
_QUARTER = re.compile(r"^(\d{4})\s*-?\s*Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*(?:\.\.|/|\s+to\s+)\s*(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class Period:
    """Days `start` to `end`, both included; `kind` is quarter, month, year or days (a range)."""

    start: date
    end: date
    kind: str = "days"

    @property
    def label(self) -> str:
        """'2011 Q3', 'Jul 2011', '2011' or '1 Jul 2011–30 Sep 2011'."""
        if self.kind == "quarter":
            return f"{self.start.year} Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "month":
            return f"{self.start:%b %Y}"
        if self.kind == "year":
            return str(self.start.year)
        return f"{fmt.day(self.start)}–{fmt.day(self.end)}"

    @property
    def code(self) -> str:
        """The text parse_period reads back: '2011Q3', '2011-07', '2011' or 'start..end'."""
        if self.kind == "quarter":
            return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "year":
            return str(self.start.year)
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def shifted(self, steps: int) -> Period:
        """The period `steps` periods of the same kind (and length) later (negative: earlier)."""
        months = {"quarter": 3, "month": 1, "year": 12}.get(self.kind)
        if months is None:
            days = (self.end - self.start).days + 1
            return Period(
                self.start + timedelta(days=days * steps),
                self.end + timedelta(days=days * steps),
                self.kind,
            )
        start = add_months(self.start, months * steps)
        return Period(start, add_months(start, months) - timedelta(days=1), self.kind)


def parse_period(text: str) -> Period:
    """A period from '2011Q3' (also '2011-Q3', '2011 q3'), '2011-07' (a month), '2011' (a year)
    or an ISO date range '2011-07-01..2011-09-30' (also with '/' or ' to ')."""
    value = text.strip()
    if m := _QUARTER.match(value):
        start = date(int(m[1]), 3 * int(m[2]) - 2, 1)
        return Period(start, add_months(start, 3) - timedelta(days=1), "quarter")
    if m := _MONTH.match(value):
        if not 1 <= int(m[2]) <= 12:
            raise ValueError(f"period {text!r}: no month {m[2]}")
        start = date(int(m[1]), int(m[2]), 1)
        return Period(start, add_months(start, 1) - timedelta(days=1), "month")
    if m := _YEAR.match(value):
        return Period(date(int(m[1]), 1, 1), date(int(m[1]), 12, 31), "year")
    if m := _RANGE.match(value):
        try:
            start, end = date.fromisoformat(m[1]), date.fromisoformat(m[2])
        except ValueError as exc:
            raise ValueError(f"period {text!r}: {exc}") from None
        if end < start:
            raise ValueError(f"period {text!r} ends before it starts")
        return Period(start, end)
    raise ValueError(f"period {text!r}: write {PERIOD_FORMS}")


def _quarter_of(day: date) -> Period:
    return parse_period(f"{day.year}Q{(day.month - 1) // 3 + 1}")


def period_choices(first_day: date, last_day: date) -> list[str]:
    """Codes of the quarters, then the months, that the days `first_day` to `last_day` touch,
    newest first."""
    choices = []
    for latest in (_quarter_of(last_day), parse_period(f"{last_day:%Y-%m}")):
        span = latest
        while span.end >= first_day:
            choices.append(span.code)
            span = span.shifted(-1)
    return choices


def default_periods(first_day: date, last_day: date) -> tuple[Period, Period]:
    """The periods a bridge opens on, for data running from `first_day` to `last_day`: the last
    two full quarters (a quarter is full when the data reaches its last day and, for the
    earlier one, starts by its first day); on data that holds fewer, the last two months it
    touches, partial or not. ValueError when the data falls in one month."""
    current = _quarter_of(last_day)
    if last_day < current.end:
        current = current.shifted(-1)
    previous = current.shifted(-1)
    if previous.start >= first_day:
        return previous, current
    month = parse_period(f"{last_day:%Y-%m}")
    if first_day >= month.start:
        raise ValueError(
            "a revenue bridge compares two periods, and these purchases all fall in one month "
            f"({fmt.month(last_day)}): it needs purchases in at least two months"
        )
    return month.shifted(-1), month


def bridge_purchases(lines: pl.DataFrame) -> pl.DataFrame:
    """The purchases the bridge counts (measures.customer_purchases): customer_id, ordered_at,
    revenue (net), item_id and units (the line's quantity net of the cancellations taken back
    from it, as its revenue is: net revenue / unit price, the share a cancellation takes back;
    the quantity without a unit price, 1 without either). item_id is absent when the lines name
    no item (none, or every one missing: a folder's summary rows, a mapped file of order
    totals, whose one null 'item' held price, volume and mix to nothing and fees out).
    Computed once per data set; every pair of periods reuses it."""
    bought = measures.customer_purchases(lines, PURCHASE_COLUMNS).lines
    if "item_id" in bought.columns and bought["item_id"].null_count() == bought.height:
        bought = bought.drop("item_id")
    units = pl.col("quantity").fill_null(1.0) if "quantity" in bought.columns else pl.lit(1.0)
    if "unit_price" in bought.columns:
        # Net units against net revenue: gross units made a cancellation read as a price cut
        # (Online Retail 2011 Q2 -> Q3: price -£70,631 with gross units, -£77,658 net).
        price = pl.col("unit_price")
        units = pl.when(price > 0).then(pl.col("revenue") / price).otherwise(units)
    keep = [c for c in ("customer_id", "ordered_at", "revenue", "item_id") if c in bought.columns]
    return bought.select(*keep, units.cast(pl.Float64).alias("units"))


def _in(period: Period) -> pl.Expr:
    at = pl.col("ordered_at")
    return (at >= datetime.combine(period.start, time.min)) & (
        at < datetime.combine(period.end + timedelta(days=1), time.min)
    )


def customer_changes(purchases: pl.DataFrame, previous: Period, current: Period) -> pl.DataFrame:
    """One row per customer with a purchase in either period, by status then customer id:
    customer_id, status (new, reactivated, retained or lost: see DEFINITIONS), previous_revenue,
    current_revenue, change (current minus previous) and last_order (the day of their last
    purchase up to the current period's end)."""
    _check(previous, current)
    flagged = (
        purchases.lazy()
        .filter(pl.col("ordered_at") < datetime.combine(current.end + timedelta(1), time.min))
        .group_by("customer_id")
        .agg(
            pl.col("revenue").filter(_in(previous)).sum().alias("previous_revenue"),
            pl.col("revenue").filter(_in(current)).sum().alias("current_revenue"),
            _in(previous).any().alias("_previous"),
            _in(current).any().alias("_current"),
            (pl.col("ordered_at") < datetime.combine(current.start, time.min))
            .any()
            .alias("_before"),
            pl.col("ordered_at").max().dt.date().alias("last_order"),
        )
        .filter(pl.col("_previous") | pl.col("_current"))
        .with_columns(
            pl.when(~pl.col("_current"))
            .then(pl.lit("lost"))
            .when(pl.col("_previous"))
            .then(pl.lit("retained"))
            .when(pl.col("_before"))
            .then(pl.lit("reactivated"))
            .otherwise(pl.lit("new"))
            .alias("status")
        )
        .with_columns(
            pl.col("status")
            .replace_strict(STATUSES, list(range(len(STATUSES))), return_dtype=pl.Int8)
            .alias("_order")
        )
        .sort("_order", "customer_id")
        .collect()
    )
    return flagged.select(
        "customer_id",
        "status",
        pl.col("previous_revenue").cast(pl.Float64),
        pl.col("current_revenue").cast(pl.Float64),
        (pl.col("current_revenue") - pl.col("previous_revenue")).cast(pl.Float64).alias("change"),
        "last_order",
    )


def _check(previous: Period, current: Period) -> None:
    if previous.end >= current.start:
        raise ValueError(
            f"the previous period ({previous.label}) must end before the current one "
            f"({current.label}) starts"
        )


def item_effects(
    purchases: pl.DataFrame, customers: pl.DataFrame, previous: Period, current: Period
) -> pl.DataFrame:
    """The retained customers' change split by item (price-volume-mix): one row per item they
    bought in either period, by item id: item_id, previous_units, current_units,
    previous_revenue, current_revenue, previous_price (revenue per unit; for an item new in the
    current period its current price, so that it has no price effect), price_effect (current
    revenue minus current units at the previous price) and mix_effect (current units at the
    item's previous price minus at the previous average price of all items).

    The volume effect is one figure for all items, (current units - previous units) x previous
    average price; price + mix over items + volume is the retained customers' change, exactly
    up to float rounding (the identity holds term by term)."""
    retained = customers.filter(pl.col("status") == "retained").select("customer_id")
    per = (
        purchases.lazy()
        .join(retained.lazy(), on="customer_id", how="semi")
        .filter(_in(previous) | _in(current))
        .group_by("item_id")
        .agg(
            pl.col("units").filter(_in(previous)).sum().alias("previous_units"),
            pl.col("units").filter(_in(current)).sum().alias("current_units"),
            pl.col("revenue").filter(_in(previous)).sum().alias("previous_revenue"),
            pl.col("revenue").filter(_in(current)).sum().alias("current_revenue"),
        )
        .collect()
    )
    total_units = float(per["previous_units"].sum())
    average = float(per["previous_revenue"].sum()) / total_units if total_units else 0.0
    price = (
        pl.when(pl.col("previous_units") > 0)
        .then(pl.col("previous_revenue") / pl.col("previous_units"))
        .when(pl.col("current_units") > 0)
        .then(pl.col("current_revenue") / pl.col("current_units"))
        .otherwise(0.0)
    )
    return (
        per.with_columns(price.alias("previous_price"))
        .with_columns(
            (pl.col("current_revenue") - pl.col("previous_price") * pl.col("current_units")).alias(
                "price_effect"
            ),
            (pl.col("current_units") * (pl.col("previous_price") - average)).alias("mix_effect"),
        )
        .sort("item_id", nulls_last=True)
        .cast({c: pl.Float64 for c in per.columns if c != "item_id"})
    )


def returning_split(customers: pl.DataFrame) -> pl.DataFrame:
    """The retained customers of customer_changes split by direction, whatever the items say:
    one row each for "more" (revenue rose) and "less" (fell or stayed), with customers,
    previous_revenue, current_revenue and change (their sum; the two rows add up to the
    retained customers' change)."""
    kept = customers.filter(pl.col("status") == "retained").with_columns(
        pl.when(pl.col("change") > 0).then(pl.lit("more")).otherwise(pl.lit("less")).alias("way")
    )
    per = kept.group_by("way").agg(
        pl.len().cast(pl.Int64).alias("customers"),
        pl.col("previous_revenue").sum(),
        pl.col("current_revenue").sum(),
        pl.col("change").sum(),
    )
    ways = pl.DataFrame({"direction": ["more", "less"]})
    return (
        ways.join(per, left_on="direction", right_on="way", how="left")
        .with_columns(
            pl.col("customers").fill_null(0), pl.exclude("direction", "customers").fill_null(0.0)
        )
        .cast({"previous_revenue": pl.Float64, "current_revenue": pl.Float64, "change": pl.Float64})
    )


@dataclass(frozen=True)
class Bridge:
    """A revenue bridge: `steps` (see revenue_bridge), `customers` (customer_changes), `items`
    (item_effects; None when the data has no items), the periods, `last_day` (the data's last
    purchase day: a current period that runs past it is partial) and `first_day` (its first: a
    previous period that starts before it is partial too, and its "new" customers may have
    bought before the data)."""

    previous: Period
    current: Period
    steps: pl.DataFrame
    customers: pl.DataFrame
    items: pl.DataFrame | None
    last_day: date | None
    first_day: date | None = None

    @property
    def partial(self) -> bool:
        return self.last_day is not None and self.last_day < self.current.end

    @property
    def early(self) -> bool:
        """Whether the previous period starts before the data's first purchase day."""
        return self.first_day is not None and self.first_day > self.previous.start

    @property
    def named_steps(self) -> pl.DataFrame:
        """`steps` with the two totals named by their periods: "Previous period (2011 Q2)"."""
        names = {
            "previous": f"{STEP_LABELS['previous']} ({self.previous.label})",
            "current": f"{STEP_LABELS['current']} ({self.current.label})",
        }
        return self.steps.with_columns(
            pl.col("step").replace_strict(names, default=pl.col("label")).alias("label")
        )


def revenue_bridge(purchases: pl.DataFrame, previous: Period, current: Period) -> Bridge:
    """The bridge from `previous` to `current` over bridge_purchases(lines).

    steps: one row per waterfall bar, in order: previous (the previous period's revenue), new,
    reactivated, then the retained customers' change as price, volume and mix of their products
    and fees (lines that are no product: quality.non_product; only when they have some) when the
    purchases have items (else as more: the customers whose revenue rose, and less: those whose
    revenue fell), lost (minus their previous revenue), current. Columns: step, label, kind
    ("total" for previous and current, else "step"), value (the bar's amount, signed for
    steps), start and end (the running total before and after it; a total runs from 0),
    customers (behind the bar). The steps add up to current minus previous exactly, up to float
    rounding.
    """
    customers = customer_changes(purchases, previous, current)
    totals = customers.group_by("status").agg(
        pl.len().alias("n"),
        pl.col("previous_revenue").sum(),
        pl.col("current_revenue").sum(),
        pl.col("change").sum(),
    )
    by = {row["status"]: row for row in totals.iter_rows(named=True)}

    def get(status: str, column: str) -> float:
        return float(by[status][column]) if status in by else 0.0

    before = float(customers["previous_revenue"].sum())
    after = float(customers["current_revenue"].sum())
    retained = int(get("retained", "n"))
    rows: list[tuple[str, float, int]] = [
        ("new", get("new", "current_revenue"), int(get("new", "n"))),
        ("reactivated", get("reactivated", "current_revenue"), int(get("reactivated", "n"))),
    ]
    items = None
    if "item_id" in purchases.columns:
        # Postage, fees and manual adjustments are no product: their change is a step of its
        # own, not price or mix (Online Retail's "M" alone made half of 2011 Q2 -> Q3's price).
        fee = quality.non_product(pl.col("item_id")).fill_null(False)
        items = item_effects(purchases.filter(~fee), customers, previous, current)
        units = float(items["previous_units"].sum())
        average = float(items["previous_revenue"].sum()) / units if units else 0.0
        volume = (float(items["current_units"].sum()) - units) * average
        rows += [
            ("price", float(items["price_effect"].sum()), retained),
            ("volume", volume, retained),
            ("mix", float(items["mix_effect"].sum()), retained),
        ]
        fees = (
            purchases.filter(fee & (_in(previous) | _in(current)))
            .join(customers.filter(pl.col("status") == "retained"), on="customer_id", how="semi")
            .select(
                (
                    pl.col("revenue").filter(_in(current)).sum()
                    - pl.col("revenue").filter(_in(previous)).sum()
                ).alias("change"),
                pl.col("customer_id").n_unique().alias("n"),
            )
        )
        if fees["n"][0]:
            rows.append(("fees", float(fees["change"][0]), int(fees["n"][0])))
    else:
        split = returning_split(customers)
        rows += [(r["direction"], r["change"], r["customers"]) for r in split.iter_rows(named=True)]
    rows.append(("lost", -get("lost", "previous_revenue"), int(get("lost", "n"))))
    earlier = int(get("retained", "n") + get("lost", "n"))
    table = [("previous", "total", before, 0.0, before, earlier)]
    running = before
    for step, value, n in rows:
        table.append((step, "step", value, running, running + value, n))
        running += value
    now = customers.height - int(get("lost", "n"))
    table.append(("current", "total", after, 0.0, after, now))
    steps = pl.DataFrame(
        [(s, STEP_LABELS[s], k, v, a, b, n) for s, k, v, a, b, n in table],
        schema={
            "step": pl.String,
            "label": pl.String,
            "kind": pl.String,
            "value": pl.Float64,
            "start": pl.Float64,
            "end": pl.Float64,
            "customers": pl.Int64,
        },
        orient="row",
    )
    first, last = purchases["ordered_at"].min(), purchases["ordered_at"].max()
    return Bridge(
        previous,
        current,
        steps,
        customers,
        items,
        None if last is None else last.date(),
        None if first is None else first.date(),
    )


def bridge_reading(bridge: Bridge, currency: str = "", lapse: int | None = None) -> str:
    """Sentences on a bridge, from its steps: the change, the largest step and how many
    customers are behind it; a partial current period is named, since its revenue is short.
    With `lapse` (churn.lapse_days, the churn window), how many lost customers are still within
    it at the current period's end (churn.waiting, as the churn section counts them): lost
    means no purchase in the current period, and a quarter is shorter than many windows (the
    web shop demo's 2,066 lost all bought within its 277 days)."""
    steps = bridge.steps
    before, after = steps["value"][0], steps["value"][-1]
    change = after - before
    span = f"{bridge.previous.label} to {bridge.current.label}"
    if before == 0 and after == 0:
        return f"No purchases of known customers from {span}."
    direction = "rose" if change > 0 else "fell" if change < 0 else "did not change"
    text = f"Revenue {direction}"
    if change:
        text += f" by {fmt.whole_money(abs(change), currency)}"
        if before > 0 and not bridge.early:  # no growth rate from a partial start
            text += f" ({fmt.change(after / before - 1)})"
    text += f" from {span}"
    moves = steps.filter(pl.col("kind") == "step")
    top = moves.sort(pl.col("value").abs(), descending=True).row(0, named=True)
    if top["value"]:
        sign = "+" if top["value"] > 0 else fmt.MINUS
        text += (
            f"; the largest step is {top['label'].lower()} "
            f"({sign}{fmt.whole_money(abs(top['value']), currency)}, "
            f"{fmt.counted(top['customers'], 'customer')})"
        )
    text += "."
    if bridge.early and bridge.first_day is not None:
        text += (
            f" {bridge.previous.label} is partial: the data starts {fmt.day(bridge.first_day)}, "
            "so its revenue is short and customers who bought before then count as new."
        )
    if bridge.partial and bridge.last_day is not None:
        text += (
            f" {bridge.current.label} is partial: the data ends {fmt.day(bridge.last_day)}, so "
            "its revenue and lost customers are not final."
        )
    if lapse is not None:
        text += _lost_waiting(bridge, lapse)
    # Two months or two quarters differ by a few days by nature; a month against a quarter, or
    # ranges of different lengths, differ by what the comparison means.
    days = [(p.end - p.start).days + 1 for p in (bridge.previous, bridge.current)]
    kinds = {bridge.previous.kind, bridge.current.kind}
    if days[0] != days[1] and (len(kinds) > 1 or kinds == {"days"}):
        text += (
            f" The periods differ in length ({fmt.counted(days[0], 'day')} against "
            f"{fmt.counted(days[1], 'day')}): part of the change is only that."
        )
    return text


def _lost_waiting(bridge: Bridge, lapse: int) -> str:
    """' All 2,066 lost customers were still inside the churn window ...': the lost customers
    within the churn window `lapse` on the current period's last day (that of the purchases the
    bridge reads, its scope's, when they end sooner); empty when none is."""
    lost = bridge.customers.filter(pl.col("status") == "lost")
    end = (
        bridge.current.end if bridge.last_day is None else min(bridge.current.end, bridge.last_day)
    )
    recency = (pl.lit(end + timedelta(days=1)) - pl.col("last_order")).dt.total_days()
    waiting = lost.filter(churn.waiting(recency, lapse)).height
    if not waiting:
        return ""
    if waiting < lost.height:
        who = f"{fmt.count(waiting)} of the {fmt.counted(lost.height, 'lost customer')}"
    else:
        who = "The 1 lost customer" if waiting == 1 else f"All {fmt.count(waiting)} lost customers"
    return (
        f" {who} {'was' if waiting == 1 else 'were'} still inside the churn window on "
        f"{fmt.day(end)} ({churn.window_words(lapse)}): they may only be between purchases; lost "
        f"here means no purchase in {bridge.current.label}, not gone."
    )


def periods_for(
    purchases: pl.DataFrame, previous: str = "", current: str = ""
) -> tuple[Period, Period]:
    """The periods the bridge compares: both given, or one given and the other the period of the
    same kind next to it, or neither: default_periods of the purchases."""
    if previous and current:
        return parse_period(previous), parse_period(current)
    if current:
        now = parse_period(current)
        return now.shifted(-1), now
    if previous:
        before = parse_period(previous)
        return before, before.shifted(1)
    days = purchases["ordered_at"].dt.date()
    first, last = days.min(), days.max()
    if first is None or last is None:
        raise ValueError("a revenue bridge needs purchases of known customers")
    assert isinstance(first, date) and isinstance(last, date)
    return default_periods(first, last)


def lines_bridge(lines: pl.DataFrame, previous: str = "", current: str = "") -> Bridge:
    """revenue_bridge of the purchases in order lines between the periods periods_for names."""
    purchases = bridge_purchases(lines)
    return revenue_bridge(purchases, *periods_for(purchases, previous, current))


def headless(ds: Dataset, previous: str = "", current: str = "") -> dict[str, pl.DataFrame]:
    """The revenue bridge between two periods (see parse_period: '2011Q3', '2011-07', '2011',
    '2011-07-01..2011-09-30'; empty: default_periods, the last two full quarters or on
    shorter data the last two months, or the period next to the one given). steps: the
    waterfall (revenue_bridge); returning: returning_split (retained customers buying more or
    less); customers: customer_changes; items: item_effects (only when the lines have items: a
    summary's order rows name none, and the retained customers' change is then split into
    buying more and less, as for order totals)."""
    lines = ds.table("lines")
    if "customer_id" not in lines.columns or lines["customer_id"].null_count() == lines.height:
        raise ValueError("a revenue bridge needs a customer id per order line (lines.customer_id)")
    bridge = lines_bridge(lines, previous, current)
    out = {
        "steps": bridge.steps,
        "returning": returning_split(bridge.customers),
        "customers": bridge.customers,
    }
    if bridge.items is not None:
        out["items"] = bridge.items
    return out
