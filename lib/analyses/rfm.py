"""RFM: recency, frequency and monetary scores per customer and rule-based segments."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

from lib import fmt, measures, summaries
from lib.analyses import churn
from lib.model import Dataset, columns_of

BINS = (3, 4, 5)
TIES = {
    "value": "equal values share a score",
    "first": "ties broken in row order",
}
DIMENSIONS = ("recency", "frequency", "monetary")
# The page's words for the ties (TIES) and for the grid's columns.
TIE_LABELS = {"value": "by value", "first": "row order"}
ACROSS = {"frequency": "F (frequency)", "monetary": "M (monetary)"}
# The segments table's headers, as the page writes them.
SEGMENT_HEADERS = {
    "segment": "Segment",
    "customers": "Customers",
    "customer_share": "Share",
    "revenue": "Net revenue",
    "revenue_share": "Revenue share",
    "avg_recency_days": "Avg recency (days)",
    "avg_frequency": "Avg orders",
    "avg_monetary": "Avg net revenue",
}
# The published Online Retail recipe: pd.qcut(recency, 5) and pd.qcut(monetary, 5) on the values,
# pd.qcut(frequency.rank(method="first"), 5) on ranks in row order (customers sorted by id, as
# groupby leaves them).
PUBLISHED_TIES = {"recency": "value", "frequency": "first", "monetary": "value"}
# More than this share of customers on one value and a dimension cannot separate customers.
DEGENERATE_SHARE = 0.5
SCORE_COLUMNS = {"recency": "r_score", "frequency": "f_score", "monetary": "m_score"}
VALUE_COLUMNS = {"recency": "recency_days", "frequency": "frequency", "monetary": "monetary"}
LETTERS = {"recency": "R", "frequency": "F", "monetary": "M"}
# What each dimension's score says about a customer, for readings.
MEANINGS = {
    "recency": "how recently customers bought",
    "frequency": "how often",
    "monetary": "how much they spent",
}
OTHER = "other"
RULE_COLUMNS = {
    "segment": pl.String,
    "r_from": pl.Int64,
    "r_to": pl.Int64,
    "f_from": pl.Int64,
    "f_to": pl.Int64,
    "m_from": pl.Int64,
    "m_to": pl.Int64,
    "action": pl.String,
}

ACTIONS = {
    "champions": "Reward them: early access, loyalty perks; ask for reviews and referrals.",
    "loyal customers": "Upsell higher-value items and invite them into a loyalty programme.",
    "potential loyalists": "Offer membership or a loyalty programme; recommend related items.",
    "new customers": "Onboard well: a welcome series and a reason to place a second order.",
    "promising": "Show them more of the range; a small offer or free shipping on the next order.",
    "need attention": "Time-limited offers based on what they bought, before they slip away.",
    "about to sleep": "Reconnect with popular items and a time-limited discount.",
    "at risk": "Personal win-back messages with offers; find out why they stopped.",
    "can't lose them": "Win them back in person (calls, surveys, best offers) before a rival does.",
    "hibernating": "Low-cost reactivation only; leave them out of paid campaigns.",
    OTHER: "No rule covers these scores: add or widen a rule in the segment table.",
}

# Fewer customers in a segment than this: its action is a lead to check, not a campaign to run.
FEW_CUSTOMERS = 20


def segment_action(action: str | None, customers: int) -> str:
    """A segment's suggested action as the page says it: with a caution for a segment of fewer
    than FEW_CUSTOMERS customers (13 promising customers are no campaign)."""
    if not action:
        return "No action set."
    if customers < FEW_CUSTOMERS:
        return (
            f"{action} Only {fmt.counted(customers, 'customer')}: "
            f"{measures.handful_words(customers)} before running a campaign."
        )
    return action


# The 10-segment R-F map of the widely used Online Retail RFM notebooks, as score ranges:
#   r'[1-2][1-2]' hibernating, r'[1-2][3-4]' at risk, r'[1-2]5' can't lose, r'3[1-2]' about to
#   sleep, r'33' need attention, r'[3-4][4-5]' loyal, r'41' promising, r'51' new customers,
#   r'[4-5][2-3]' potential loyalists, r'5[4-5]' champions.
# On two-digit codes the patterns do not overlap, so the order only matters once a user edits the
# table: a customer takes the first rule that covers the scores, which is what
# Series.replace(map, regex=True) does (after the first match the code is a segment name, which
# the later digit patterns no longer match).
_R_F_RULES: dict[int, tuple[tuple[str, int, int, int, int], ...]] = {
    5: (
        ("hibernating", 1, 2, 1, 2),
        ("at risk", 1, 2, 3, 4),
        ("can't lose them", 1, 2, 5, 5),
        ("about to sleep", 3, 3, 1, 2),
        ("need attention", 3, 3, 3, 3),
        ("loyal customers", 3, 4, 4, 5),
        ("promising", 4, 4, 1, 1),
        ("new customers", 5, 5, 1, 1),
        ("potential loyalists", 4, 5, 2, 3),
        ("champions", 5, 5, 4, 5),
    ),
    # Four scores cannot tell "promising" (R4 of 5) from "new" (R5) apart: one-order recent
    # buyers are new customers; R3 keeps about to sleep and need attention; F3 of 4 reads as F4
    # of 5 (the middle of its quantile band), so R4 F3-4 are champions.
    4: (
        ("hibernating", 1, 2, 1, 2),
        ("at risk", 1, 2, 3, 3),
        ("can't lose them", 1, 2, 4, 4),
        ("about to sleep", 3, 3, 1, 1),
        ("need attention", 3, 3, 2, 2),
        ("loyal customers", 3, 3, 3, 4),
        ("new customers", 4, 4, 1, 1),
        ("potential loyalists", 4, 4, 2, 2),
        ("champions", 4, 4, 3, 4),
    ),
    # Three scores: low / middle / high on each axis, one segment per cell (the 5-bin map read
    # at the middle of each third: 1 -> 1, 2 -> 3, 3 -> 5).
    3: (
        ("hibernating", 1, 1, 1, 1),
        ("at risk", 1, 1, 2, 2),
        ("can't lose them", 1, 1, 3, 3),
        ("about to sleep", 2, 2, 1, 1),
        ("need attention", 2, 2, 2, 2),
        ("loyal customers", 2, 2, 3, 3),
        ("new customers", 3, 3, 1, 1),
        ("potential loyalists", 3, 3, 2, 2),
        ("champions", 3, 3, 3, 3),
    ),
}


@dataclass(frozen=True)
class CustomerTable:
    """Recency, frequency and monetary value per customer, and what was left out.

    `customers`: one row per customer (ordered by customer id, numerically when ids are numbers:
    the "row order" that breaks ties) with customer_id, first_order, last_order (dates of the
    first and last sale order), recency_days (as_of minus last_order), frequency (distinct sale
    orders; cancellation invoices are not orders) and monetary (net revenue: returns subtract).
    """

    customers: pl.DataFrame
    as_of: date | None
    lines_without_customer: int
    revenue_without_customer: float
    without_purchase: int  # customers with lines but no sale order before as_of (returns, free)
    cleaned_lines: int = 0  # lines with a customer that the common cleaning removed


@dataclass(frozen=True)
class Collapse:
    """A dimension whose quantile scores take fewer distinct values than bins."""

    dimension: str
    scores: tuple[int, ...]
    bins: int


@dataclass(frozen=True)
class Degenerate:
    """A dimension on which most customers (more than DEGENERATE_SHARE) share one value, so
    that its quantile scores cannot separate them: `share` of customers (0..1) have `value`, and
    `scores` are the scores they got (several, spread in row order, when `ties` is "first"; one
    when equal values share a score). `at`: the date the customers were scored at, in words
    (segment movement scores an earlier date too)."""

    dimension: str
    value: float
    share: float
    scores: tuple[int, ...]
    ties: str
    at: str = "the as-of date"


def default_as_of(lines: pl.DataFrame) -> date | None:
    """The day after the last order, or None without lines."""
    last = lines["ordered_at"].max()
    return None if last is None else last.date() + timedelta(days=1)


def as_of_note(as_of: date, last_day: date) -> str:
    """What an as-of date past the day after the data's last order (`last_day`) means for the
    scores, in words; "" up to that day."""
    gap = (as_of - last_day).days - 1
    if gap <= 0:
        return ""
    return (
        f"The as-of date is {fmt.counted(gap, 'day')} past the day after the last order in the "
        f"data ({fmt.day(last_day)}): every customer's recency counts those days, in which the "
        "data cannot show who ordered. Scores by quantiles rank customers against each other, so "
        f"the most recent are the latest buyers of this data, not customers active on "
        f"{fmt.day(as_of)}."
    )


def past_data(as_of: str | date | None, last: datetime | None) -> list[str]:
    """as_of_note of `as_of` for data whose latest line is at `last`, in a list (empty when
    there is no as-of date, or it is not past the data)."""
    day = as_of_date(as_of)
    note = as_of_note(day, last.date()) if day is not None and last is not None else ""
    return [note] if note else []


def notes(ds: Dataset, *, as_of: str = "", **_: object) -> list[str]:
    """What the headless tables assume, said beside them (the CLI: on stderr): an as-of date
    past the data (as_of_note), as the page and the report say it."""
    return past_data(as_of, ds.table("lines")["ordered_at"].max())


def _id_order(column: str) -> list[pl.Expr]:
    # Numeric ids sort as numbers ("9" before "10"), as a groupby on a numeric CustomerID does.
    numeric = pl.col(column).str.contains(r"^\d{1,18}$")
    return [pl.when(numeric).then(pl.col(column).cast(pl.Int64, strict=False)), pl.col(column)]


def customer_table(
    lines: pl.DataFrame, as_of: date | None = None, clean: bool = False
) -> CustomerTable:
    """Recency, frequency and monetary value per customer from order lines.

    Lines without a customer are left out and counted first; `clean` then keeps the purchases
    (measures.customer_purchases: the published cleaning, cancellations netted out of monetary).
    Only lines placed before `as_of` count (None: the day after the data's last line, a return
    or a guest's included, as the page and the summaries open on), cleaned as they stood then
    (measures.before: a later cancellation takes nothing back). Customers without a sale order
    (only returns, or free lines) are left out and counted.
    """
    as_of = as_of or default_as_of(lines)
    lines = measures.before(lines, as_of)
    missing = pl.col("customer_id").is_null()
    without_lines, without_revenue = lines.select(
        missing.sum(), pl.col("revenue").filter(missing).fill_null(0.0).sum()
    ).row(0)
    if clean:
        known = measures.customer_purchases(lines, summaries.ORDER_COLUMNS).lines
        cleaned = lines.height - without_lines - known.height
    else:
        known = columns_of(lines, *summaries.ORDER_COLUMNS).filter(~missing)
        cleaned = 0
    days = summaries.order_days(summaries.lazy(known))
    per = summaries.customers(summaries.orders(days, as_of)).collect().to_native()
    return summarised(per, as_of, without_lines, float(without_revenue), cleaned)


def monetary_note(lines: pl.DataFrame, total: float, currency: str = "") -> str:
    """How the customers' monetary values (`total`, their sum, cleaned as the page cleans:
    measures.customer_purchases) follow from the lines' revenue: less what the cleaning left
    out, cancellations netted out of their purchases or, with none to net out of, left out."""

    bought = measures.customer_purchases(lines, ("customer_id",))
    dropped = {r["reason"]: r["revenue"] for r in bought.dropped.iter_rows(named=True)}
    cancelled = -dropped.pop(measures.RETURN, 0.0)
    less = {reason: revenue for reason, revenue in dropped.items() if revenue}
    rest = cancelled - bought.matched_revenue if cancelled > 0 else 0.0
    if fmt.money(rest) == fmt.money(0.0):
        rest = 0.0
    # Every amount in one unit, so that the sum can be checked on the page.
    shown_total, whole, *left, shown_rest, shown_cancelled, matched = fmt.money_alike(
        [total, lines["revenue"].sum(), *less.values(), rest, cancelled, bought.matched_revenue],
        currency,
    )
    text = f"Monetary values add up to {shown_total}: the lines' {whole}" + (
        " (cancellations subtracted)" if cancelled > 0 else ""
    )
    if less:
        text += " less " + " and ".join(
            f"{amount} {_LEFT_OUT_AS.get(reason, f'of lines left out ({reason})')}"
            for reason, amount in zip(less, left, strict=True)
        )
    if cancelled > 0 and not rest:
        text += (
            f"; the {shown_cancelled} of cancellations are netted out of the purchases they reverse"
        )
    elif cancelled > 0:
        # The lines' total subtracts every cancellation: those left out are added back.
        text += (
            f", plus {shown_rest} of the {shown_cancelled} of cancellations, left out: no earlier "
            "purchase of the item to net out of, "
            + (
                "more than it was worth, or an exact repeat of another cancellation line"
                if bought.repeated_returns
                else "or more than it was worth"
            )
            + f" (the other {matched} are netted out of the purchases they reverse)"
        )
    return text + "."


_LEFT_OUT_AS = {
    measures.NO_CUSTOMER: "without a customer id",
    measures.DUPLICATE: "of exact duplicate lines",
}


def summarised(
    per: pl.DataFrame,
    as_of: date | None,
    lines_without_customer: int = 0,
    revenue_without_customer: float = 0.0,
    cleaned_lines: int = 0,
) -> CustomerTable:
    """The CustomerTable of summaries.customers (`per`, collected) at `as_of`: customers with
    no sale order are left out and counted."""
    without_purchase = per.filter(pl.col("orders") == 0).height
    customers = (
        per.filter(pl.col("orders") > 0)
        .with_columns(
            pl.col("first_at").dt.date().alias("first_order"),
            pl.col("last_at").dt.date().alias("last_order"),
            pl.col("orders").cast(pl.Int64).alias("frequency"),
            pl.col("revenue").alias("monetary"),
        )
        .with_columns(
            (pl.lit(as_of, dtype=pl.Date) - pl.col("last_order"))
            .dt.total_days()
            .cast(pl.Int64)
            .alias("recency_days")
        )
        .sort(_id_order("customer_id"), nulls_last=True)
        .select(
            "customer_id",
            "first_order",
            "last_order",
            "recency_days",
            "frequency",
            "monetary",
        )
    )
    return CustomerTable(
        customers,
        as_of,
        lines_without_customer,
        revenue_without_customer,
        without_purchase,
        cleaned_lines,
    )


def quantile_edges(values: pl.Series, bins: int) -> list[float]:
    """The bins + 1 quantile edges pd.qcut(values, bins) uses: np.percentile at
    np.linspace(0, 1, bins + 1) * 100, linear interpolation, so that a value on an edge falls
    where it falls in pandas even when float rounding moves the edge."""
    if values.len() == 0:
        return [0.0] * (bins + 1)
    return np.percentile(
        values.cast(pl.Float64).to_numpy(), np.linspace(0, 1, bins + 1) * 100
    ).tolist()


def quantile_scores(values: pl.Series, bins: int, ties: str = "first") -> pl.Series:
    """Scores 1..bins by quantile (1: lowest values), as pd.qcut(x, bins, labels=False) + 1.

    ties "first": ties broken in row order, pd.qcut(x.rank(method="first"), bins): ordinal
    ranks in equal-count bins. ties "value": equal values share a score, pd.qcut(x, bins); the
    edges are the quantiles of the values themselves, and a score stays the position of its
    quantile band, so a value heaped over several bands skips scores (e.g. 1, 3, 5) rather than
    renumbering them (where pandas would refuse the repeated edges).
    """
    if ties not in TIES:
        raise ValueError(f"ties must be one of {', '.join(TIES)}")
    if values.len() == 0:
        return pl.Series(values.name, [], dtype=pl.Int8)
    basis = values.rank("ordinal") if ties == "first" else values
    edges = quantile_edges(basis, bins)[1:-1]
    frame = pl.DataFrame({"v": basis.cast(pl.Float64)})
    above = pl.sum_horizontal(*(pl.col("v") > e for e in edges)) if edges else pl.lit(0)
    return frame.select((above + 1).cast(pl.Int8).alias(values.name)).to_series()


def threshold_scores(values: pl.Series, cuts: Sequence[float], lower_is_better: bool) -> pl.Series:
    """Scores 1..len(cuts) + 1 from user thresholds (sorted here, so any order works).

    lower_is_better (recency): one point per cut the value is at or below, plus one, so a value
    at or below the smallest cut gets the top score. Otherwise one point per cut the value
    reaches (>=), plus one.
    """
    frame = pl.DataFrame({"v": values.cast(pl.Float64)})
    v = pl.col("v")
    hits = [(v <= c) if lower_is_better else (v >= c) for c in sorted(cuts)]
    points = pl.sum_horizontal(*hits) if hits else pl.lit(0)
    return frame.select((points + 1).cast(pl.Int8).alias(values.name)).to_series()


def _per_combination(
    scored: pl.DataFrame,
    columns: Sequence[str],
    name: str,
    label: Callable[[pl.DataFrame], pl.Series],
) -> pl.Expr:
    """Column `name`: the text `label` gives each combination of the integer score `columns`
    (each below 100; `label` takes them as a frame of those columns, one row per combination),
    computed once per combination of their values (a million customers share a few dozen) and
    looked up, rather than per customer."""
    values = [[v for v in scored[c].unique().to_list() if v is not None] for c in columns]
    grid = pl.DataFrame(list(itertools.product(*values)), schema=list(columns), orient="row")
    code = pl.sum_horizontal(
        pl.col(c).cast(pl.Int32) * 100 ** (len(columns) - 1 - i) for i, c in enumerate(columns)
    )
    named = grid.select(code.alias("code"), label(grid).alias("label"))
    lookup = dict(zip(named["code"], named["label"], strict=True))
    coded = code.replace_strict(lookup, return_dtype=pl.String) if lookup else code
    return coded.cast(pl.String).alias(name)


def _with_code(scored: pl.DataFrame) -> pl.DataFrame:
    # The R and F scores side by side ("54").
    code = _per_combination(
        scored,
        ("r_score", "f_score"),
        "rf",
        lambda grid: grid.select(
            pl.concat_str(pl.col("r_score").cast(pl.String), pl.col("f_score").cast(pl.String))
        ).to_series(),
    )
    return scored.with_columns(code)


def tie_rules(ties: Mapping[str, str] | str) -> dict[str, str]:
    """The tie rule of each dimension (recency, frequency, monetary) from a mapping that names
    all three, or from one rule for all."""
    rules = dict.fromkeys(DIMENSIONS, ties) if isinstance(ties, str) else dict(ties)
    if set(rules) != set(DIMENSIONS):
        raise ValueError(f"ties must name {', '.join(DIMENSIONS)}")
    for dim, rule in rules.items():
        if rule not in TIES:
            raise ValueError(f"{dim} ties must be one of {', '.join(TIES)}")
    return rules


def quantile_scored(
    customers: pl.DataFrame, bins: int = 5, ties: Mapping[str, str] | str = PUBLISHED_TIES
) -> pl.DataFrame:
    """The customer table with r_score, f_score, m_score (1..bins, quantiles; recent = high)
    and rf (the R and F scores as a code, "54"). `ties`: the tie rule per dimension (see
    tie_rules; default: the published recipe, PUBLISHED_TIES)."""
    if bins not in BINS:
        raise ValueError(f"bins must be one of {', '.join(map(str, BINS))}")
    rule = tie_rules(ties)
    # Recency labelled in reverse, as pd.qcut(recency..., labels=[5, 4, 3, 2, 1]) does.
    r = bins + 1 - quantile_scores(customers["recency_days"], bins, rule["recency"])
    f = quantile_scores(customers["frequency"], bins, rule["frequency"])
    m = quantile_scores(customers["monetary"], bins, rule["monetary"])
    return _with_code(
        customers.with_columns(
            r.cast(pl.Int8).alias("r_score"), f.alias("f_score"), m.alias("m_score")
        )
    )


def scored_by_bins(
    customers: pl.DataFrame, ties: Mapping[str, str] | str = PUBLISHED_TIES
) -> dict[int, pl.DataFrame]:
    """quantile_scored at every number of bins offered (BINS), so that a page switching bins
    recomputes nothing; the frames share the customer table's columns rather than copy them."""
    return {bins: quantile_scored(customers, bins, ties) for bins in BINS}


def threshold_scored(customers: pl.DataFrame, cuts: Mapping[str, Sequence[float]]) -> pl.DataFrame:
    """The customer table scored by user thresholds: `cuts` per dimension (recency in days: a
    customer at or below the smallest cut scores highest; frequency in orders and monetary in
    money: one point per cut reached). Same columns as quantile_scored."""
    return _with_code(
        customers.with_columns(
            threshold_scores(customers["recency_days"], cuts["recency"], True).alias("r_score"),
            threshold_scores(customers["frequency"], cuts["frequency"], False).alias("f_score"),
            threshold_scores(customers["monetary"], cuts["monetary"], False).alias("m_score"),
        )
    )


def default_cuts(customers: pl.DataFrame, bins: int) -> dict[str, list[float]]:
    """Thresholds that reproduce the quantile scores with ties by value (a starting point for
    custom thresholds): recency days, order counts and money, bins - 1 each, ascending."""
    cuts: dict[str, list[float]] = {}
    for dim, column in (
        ("recency", "recency_days"),
        ("frequency", "frequency"),
        ("monetary", "monetary"),
    ):
        inner = quantile_edges(customers[column], bins)[1:-1]
        if dim == "recency":
            # Whole days: at or below the edge.
            cuts[dim] = [float(np.floor(e)) for e in inner]
        elif dim == "frequency":
            # Whole orders: above the edge means reaching the next integer.
            cuts[dim] = [float(np.floor(e) + 1) for e in inner]
        else:
            cuts[dim] = [round(e, 2) for e in inner]
    return cuts


def collapsed_dimensions(scored: pl.DataFrame, bins: int) -> list[Collapse]:
    """Dimensions whose scores take fewer distinct values than bins (e.g. frequency, when most
    customers ordered once and share the lowest value)."""
    out = []
    for dim, column in SCORE_COLUMNS.items():
        seen = tuple(sorted(scored[column].unique().to_list()))
        if scored.height and len(seen) < bins:
            out.append(Collapse(dim, seen, bins))
    return out


def collapse_warnings(
    collapsed: Sequence[Collapse], customers: int, ties: Mapping[str, str] | str = PUBLISHED_TIES
) -> list[str]:
    """Why each dimension of `collapsed` (collapsed_dimensions of `customers` customers scored
    with `ties`) takes fewer distinct scores than bins, as the page warns. Fewer customers than
    bins cannot fill them, whatever their values: one warning for every dimension that only
    this empties. Ties (equal values share a score, a heaped value skips scores) leave fewer
    scores than the customers could fill: a warning per dimension, with the fixes that help."""
    rule = tie_rules(ties)
    few, out = [], []
    for c in collapsed:
        scores = f"{fmt.counted(len(c.scores), 'distinct score')} of {c.bins} ({_scores(c)})"
        # With ties broken in row order, or distinct values, n customers take n scores (n below
        # bins): fewer than that is ties.
        tied = len(c.scores) < min(customers, c.bins)
        if not tied:
            few.append(c)
            continue
        if customers >= c.bins:
            why = f"many customers share the same {c.dimension} value"
            fixes = ["score its ties in row order", "set thresholds yourself"]
        else:
            why = (
                f"{_cannot_fill(customers, c.bins)}, and customers who share a {c.dimension} "
                "value share a score"
            )
            fixes = [f for f in (_fewer_scores(customers),) if f] + ["score its ties in row order"]
        if rule[c.dimension] != "value":  # row order already: only thresholds are left
            fixes = [f for f in fixes if f != "score its ties in row order"]
        out.append(
            f"{c.dimension.capitalize()} takes only {scores}: {why}."
            + (f" {fmt.sentence(_or(fixes))}." if fixes else "")
        )
    if few:
        bins, dims = few[0].bins, _listing([c.dimension for c in few])
        # n customers on distinct values take n scores in every dimension, though recency,
        # scored in reverse, may take others (3 customers, 4 bins: 1, 3, 4 against 1, 2, 4).
        alike = len({c.scores for c in few}) == 1
        which = _scores(few[0]) if alike else "; ".join(f"{c.dimension} {_scores(c)}" for c in few)
        taken = (
            f"{dims} take{'s' if len(few) == 1 else ''} only "
            f"{fmt.counted(len(few[0].scores), 'distinct score')} of {bins} ({which})"
            + (" each" if alike and len(few) > 1 else "")
        )
        fix = _fewer_scores(customers)
        look = measures.handful_words(customers)
        advice = f". {fmt.sentence(fix)}, or {look}." if fix else f": {look}."
        out.insert(
            0,
            f"{fmt.sentence(taken)}: {_cannot_fill(customers, bins)}, whatever their "
            f"values or the tie rule{advice}",
        )
    return out


def fewer_scores_warnings(
    collapsed: Sequence[Collapse],
    degenerate: Sequence[Degenerate],
    customers: int,
    ties: Mapping[str, str] | str = PUBLISHED_TIES,
) -> list[str]:
    """The page's warnings on the dimensions of `collapsed` with fewer scores than bins, said as
    computed (too few customers, or ties: collapse_warnings), but for those `degenerate`
    already says cannot separate customers."""
    told = {d.dimension for d in degenerate}
    return collapse_warnings([c for c in collapsed if c.dimension not in told], customers, ties)


def _scores(c: Collapse) -> str:
    return ", ".join(map(str, c.scores))


def _or(fixes: Sequence[str]) -> str:
    """'a, or b': fixes to choose from, as a warning offers them."""
    return ", or ".join([", ".join(fixes[:-1]), fixes[-1]] if len(fixes) > 1 else fixes)


def _cannot_fill(customers: int, bins: int) -> str:
    """'4 customers cannot fill 5 scores'."""
    return f"{fmt.counted(customers, 'customer')} cannot fill {bins} scores"


def _fewer_scores(customers: int) -> str:
    """The fix of too few customers for the scores: as many scores as customers or fewer (the
    page's Scores control), or nothing when no number of scores offered is that small."""
    fitting = [b for b in BINS if b <= customers]
    if not fitting:
        return ""
    most = max(fitting)
    return f"set Scores to {most}" + (" or fewer" if most > min(BINS) else "")


def commonest_values(customers: pl.DataFrame) -> pl.DataFrame:
    """Per dimension (recency, frequency, monetary) of the customer table, its most common
    value (the smallest of equally common ones) and the share of customers on it: one row per
    dimension with dimension, value and share (0..1); none without customers. It does not
    depend on the scores, so that one computation serves every number of bins."""
    rows = []
    for dim, column in VALUE_COLUMNS.items() if customers.height else ():
        # Runs of equal values in sorted order: the first longest run is the smallest of the
        # commonest values (a sort is cheaper than counting a million distinct amounts).
        runs = customers[column].sort().rle()
        longest = runs[runs.struct.field("len").arg_max()]
        rows.append((dim, float(longest["value"]), longest["len"] / customers.height))
    return pl.DataFrame(
        rows,
        schema={"dimension": pl.String, "value": pl.Float64, "share": pl.Float64},
        orient="row",
    )


def heaped_values(commonest: pl.DataFrame, bins: int) -> pl.DataFrame:
    """Dimensions where one value is shared by more than 1/bins of the customers, so that
    breaking ties in row order gives equal customers different scores: the rows of
    `commonest` (commonest_values) whose share is above 1/bins."""
    return commonest.filter(pl.col("share") > 1 / bins)


def lifted_by_order(
    customers: pl.DataFrame, rules: pl.DataFrame, dimension: str, value: float
) -> pl.DataFrame:
    """The customers sharing `value` on `dimension` whom row order put in another segment than
    the lowest score any of them got would (`customers`: segmented by `rules`), per segment:
    segment, customers, most first (an Online Retail one-time buyer became a potential loyalist
    rather than a promising customer by its id's place in the file). Empty when their scores
    do not differ, or differ without changing a segment."""
    score = SCORE_COLUMNS[dimension]
    heap = customers.filter(pl.col(VALUE_COLUMNS[dimension]) == value)
    lowest = heap.with_columns(pl.col(score).min()).drop("segment")
    moved = heap.filter(pl.col("segment") != segmented(lowest, rules)["segment"])
    return (
        moved.group_by("segment")
        .agg(pl.len().alias("customers"))
        .sort(["customers", "segment"], descending=[True, False])
    )


def lifted_note(lifted: pl.DataFrame, dimension: str, value: float) -> str:
    """What lifted_by_order found, as the page's note under the segments' figures."""
    if lifted.height == 0:
        return ""
    named = [fmt.plain(s) for s in lifted["segment"]]
    where = (
        named[0]
        if lifted.height == 1
        else fmt.listed(
            [f"{s} ({n:,})" for s, n in zip(named, lifted["customers"], strict=True)], most=4
        )
    )
    return (
        f"Row order alone put {fmt.counted(lifted['customers'].sum(), 'customer')} with "
        f"{dimension} {value:,.0f} in {where}: with the lowest {dimension} score of their peers "
        f"they would be in another segment. They behave as the others with {dimension} "
        f"{value:,.0f}, and these segments' figures count them."
    )


def degenerate_dimensions(
    scored: pl.DataFrame,
    ties: Mapping[str, str] | str = PUBLISHED_TIES,
    commonest: pl.DataFrame | None = None,
) -> list[Degenerate]:
    """Dimensions of quantile-scored customers (scored with `ties`) on which more than
    DEGENERATE_SHARE of them share one value: their scores there are ties or row order, not
    behaviour. In DIMENSIONS order. `commonest`: commonest_values of the same customers, when
    already computed."""
    rule = tie_rules(ties)
    out = []
    found = commonest_values(scored) if commonest is None else commonest
    for dim, value, share in found.rows():
        if share <= DEGENERATE_SHARE:
            continue
        heap = scored.filter(pl.col(VALUE_COLUMNS[dim]) == value)[SCORE_COLUMNS[dim]]
        scores = tuple(sorted(heap.unique().to_list()))
        out.append(Degenerate(dim, value, share, scores, rule[dim]))
    return out


def _heap(d: Degenerate, currency: str) -> str:
    # What the customers on the heaped value have in common, as a verb phrase.
    if d.dimension == "frequency":
        return "bought once" if d.value == 1 else f"placed {d.value:,.0f} orders"
    if d.dimension == "recency":
        return f"last bought {fmt.counted(round(d.value), 'day')} before {d.at}"
    return f"spent {fmt.whole_money(d.value, currency)}"


def _heap_scores(d: Degenerate) -> str:
    letter = LETTERS[d.dimension]
    if d.ties == "first" and len(d.scores) > 1:
        return (
            f"their {letter} scores {d.scores[0]}–{d.scores[-1]} are arbitrary (row order, not "
            "behaviour)"
        )
    return f"all score {letter}{d.scores[0]}"


def degenerate_warning(d: Degenerate, currency: str) -> str:
    """One sentence on why a degenerate dimension's scores cannot separate customers."""
    text = (
        f"{LETTERS[d.dimension]} cannot separate customers: {fmt.pct(d.share)} "
        f"{_heap(d, currency)}, and {_heap_scores(d)}"
    )
    if d.ties == "first" and len(d.scores) > 1:
        return text + "."
    return text + f", so {LETTERS[d.dimension]} only tells them from the rest."


def rule_dimensions(rules: pl.DataFrame) -> tuple[str, ...]:
    """The dimensions some rule sets a range on, in DIMENSIONS order."""
    table = _as_rules(rules)
    bounded = table.select(pl.col(r"^[rfm]_(from|to)$").is_not_null().any()).row(0, named=True)
    return tuple(
        dim
        for dim, letter in LETTERS.items()
        if bounded[f"{letter.lower()}_from"] or bounded[f"{letter.lower()}_to"]
    )


def _blind(degenerate: Sequence[Degenerate], dimensions: Sequence[str]) -> list[Degenerate]:
    return [d for d in degenerate if d.dimension in dimensions]


def blind_dimensions(degenerate: Sequence[Degenerate], rules: pl.DataFrame) -> list[Degenerate]:
    """Those of `degenerate` that the rules read: when any, the segments cannot separate
    customers on them and get no recommended action."""
    return _blind(degenerate, rule_dimensions(rules))


def default_rules(bins: int = 5) -> pl.DataFrame:
    """The default segment rules for `bins` scores: one row per rule with segment, r_from, r_to,
    f_from, f_to, m_from, m_to (null: any score) and action. For 5 bins this is the published
    10-segment R-F map."""
    rows = [
        (name, r0, r1, f0, f1, None, None, ACTIONS[name])
        for name, r0, r1, f0, f1 in _R_F_RULES[bins]
    ]
    return pl.DataFrame(rows, schema=RULE_COLUMNS, orient="row")


def _as_rules(rules: pl.DataFrame) -> pl.DataFrame:
    """Rules with every rule column, typed; rows without a segment name dropped."""
    filled = rules.with_columns(
        pl.lit(None, dtype=dtype).alias(c) for c, dtype in RULE_COLUMNS.items() if c not in rules
    )
    return (
        filled.select(pl.col(c).cast(dtype, strict=False) for c, dtype in RULE_COLUMNS.items())
        .filter(pl.col("segment").str.strip_chars().fill_null("") != "")
        .with_columns(pl.col("segment").str.strip_chars())
    )


def rule_problems(rules: pl.DataFrame, bins: int) -> list[str]:
    """Plain sentences on rules that can never match (a range from above its to, or outside
    1..bins); empty when every rule can match."""
    problems = []
    for row in _as_rules(rules).iter_rows(named=True):
        for letter in "rfm":
            lo, hi = row[f"{letter}_from"], row[f"{letter}_to"]
            if lo is not None and hi is not None and lo > hi:
                problems.append(
                    f"{fmt.plain(row['segment'])}: {letter.upper()} from {lo} is above to {hi}, "
                    "so the rule never matches"
                )
            elif (lo is not None and lo > bins) or (hi is not None and hi < 1):
                problems.append(
                    f"{fmt.plain(row['segment'])}: {letter.upper()} range is outside 1–{bins}, "
                    "so the rule never matches"
                )
    return problems


def _rule_matches(row: Mapping[str, object], scores: Sequence[int]) -> bool:
    """Whether a rule's R, F and M ranges (an end left empty: any score) all hold `scores`."""
    for letter, score in zip("rfm", scores, strict=True):
        lo, hi = row[f"{letter}_from"], row[f"{letter}_to"]
        if (lo is not None and score < lo) or (hi is not None and score > hi):
            return False
    return True


def segmented(scored: pl.DataFrame, rules: pl.DataFrame) -> pl.DataFrame:
    """The scored customers with a segment: the first rule (top to bottom) whose R, F and M
    ranges all hold, else "other". Same rows, plus segment."""
    rows = list(_as_rules(rules).iter_rows(named=True))

    def first(grid: pl.DataFrame) -> pl.Series:
        # Each combination's first rule, found in Python: one when/then per rule took 156 s to
        # plan on a recipe of 10,000 rules; this reads each rule once per combination.
        return pl.Series(
            [
                next((r["segment"] for r in rows if _rule_matches(r, combination)), OTHER)
                for combination in grid.iter_rows()
            ],
            dtype=pl.String,
        )

    # The rules read the three scores only: each combination is named once, then looked up.
    scores = ("r_score", "f_score", "m_score")
    return scored.with_columns(_per_combination(scored, scores, "segment", first))


def segment_order(rules: pl.DataFrame) -> list[str]:
    """Segment names in rule order (first appearance), then "other"."""
    names = _as_rules(rules)["segment"].unique(maintain_order=True).to_list()
    return [n for n in names if n != OTHER] + [OTHER]


def segment_summary(
    customers: pl.DataFrame, rules: pl.DataFrame, degenerate: Sequence[Degenerate] = ()
) -> pl.DataFrame:
    """One row per segment that has customers, in rule order (then "other"): segment,
    customers, customer_share, revenue (net), revenue_share (of the customers' total; null when
    the total is not positive), avg_recency_days, avg_frequency, avg_monetary and action (the
    first rule's action for the segment; null for all when the rules read a dimension of
    `degenerate`: segments that cannot separate customers get no recommendation)."""
    total_customers = customers.height
    total_revenue = float(customers["monetary"].sum()) if customers.height else 0.0
    order = segment_order(rules)
    actions = (
        _as_rules(rules)
        .group_by("segment", maintain_order=True)
        .agg(pl.col("action").drop_nulls().first())
    )
    actions = pl.concat(
        [actions, pl.DataFrame({"segment": [OTHER], "action": [ACTIONS[OTHER]]})]
    ).unique("segment", keep="first", maintain_order=True)
    if blind_dimensions(degenerate, rules):
        actions = actions.with_columns(pl.lit(None, dtype=pl.String).alias("action"))
    summary = (
        customers.group_by("segment")
        .agg(
            pl.len().cast(pl.Int64).alias("customers"),
            pl.col("monetary").sum().alias("revenue"),
            pl.col("recency_days").mean().alias("avg_recency_days"),
            pl.col("frequency").mean().alias("avg_frequency"),
            pl.col("monetary").mean().alias("avg_monetary"),
        )
        .with_columns(
            (pl.col("customers") / max(total_customers, 1)).alias("customer_share"),
            (pl.col("revenue") / total_revenue if total_revenue > 0 else pl.lit(None))
            .cast(pl.Float64)
            .alias("revenue_share"),
            pl.col("segment")
            .replace_strict(order, list(range(len(order))), default=len(order))
            .alias("_order"),
        )
        .join(actions, on="segment", how="left")
        .sort("_order", "segment")
    )
    return summary.select(
        "segment",
        "customers",
        "customer_share",
        "revenue",
        "revenue_share",
        "avg_recency_days",
        "avg_frequency",
        "avg_monetary",
        "action",
    )


def rf_grid(customers: pl.DataFrame, bins: int, across: str = "frequency") -> pl.DataFrame:
    """Every R x F cell (bins x bins), or R x M with across="monetary": r_score, f_score (or
    m_score), customers (0 when empty), share (of all customers, 0..1), avg_monetary (null when
    empty), segment (the most common segment in the cell; null when empty), repeaters (its
    customers with two orders or more: on heaped frequencies a one-order customer can score
    F3) and quiet_days (the fewest recency_days in it, null when empty)."""
    if across not in ("frequency", "monetary"):
        raise ValueError("across must be frequency or monetary")
    column = SCORE_COLUMNS[across]
    cells = pl.DataFrame(
        {
            "r_score": [r for r in range(1, bins + 1) for _ in range(bins)],
            column: [f for _ in range(bins) for f in range(1, bins + 1)],
        },
        schema={"r_score": pl.Int8, column: pl.Int8},
    )
    per = customers.group_by("r_score", column).agg(
        pl.len().cast(pl.Int64).alias("customers"),
        pl.col("monetary").mean().alias("avg_monetary"),
        pl.col("segment").mode().sort().first().alias("segment"),
        (pl.col("frequency") >= 2).sum().cast(pl.Int64).alias("repeaters"),
        pl.col("recency_days").min().cast(pl.Int64).alias("quiet_days"),
    )
    return (
        cells.join(per, on=["r_score", column], how="left")
        .with_columns(pl.col("customers", "repeaters").fill_null(0))
        .with_columns((pl.col("customers") / max(customers.height, 1)).alias("share"))
        .select(
            "r_score",
            column,
            "customers",
            "share",
            "avg_monetary",
            "segment",
            "repeaters",
            "quiet_days",
        )
        .sort("r_score", column)
    )


def _listing(words: Sequence[str], last: str = "and") -> str:
    return ", ".join(words[:-1]) + f" {last} {words[-1]}" if len(words) > 1 else "".join(words)


def _suggestion(blind: Sequence[Degenerate]) -> str:
    dims = {d.dimension for d in blind}
    compare = (
        "compare customers on R × M (R × F grid view, Columns: M) or set thresholds yourself"
        if not dims & {"recency", "monetary"}
        else "set thresholds yourself"
    )
    return f"{compare} (Score by: My thresholds)"


def segments_reading(
    summary: pl.DataFrame,
    currency: str,
    degenerate: Sequence[Degenerate] = (),
    rules: pl.DataFrame | None = None,
) -> str:
    """One sentence on the segments of `summary` (its figures, formatted as the page's table
    prints them). Normally: the biggest segment by customers, and the one that brings most
    revenue against its share of customers. When the rules (None: the default 5-bin rules) read
    a dimension of `degenerate`: what the segments can and cannot mean, with no recommendation
    per segment."""
    if summary.height == 0:
        return "No customers to segment."
    read = rule_dimensions(default_rules(5) if rules is None else rules)
    blind = _blind(degenerate, read)
    if blind:
        letters = _listing([LETTERS[d.dimension] for d in blind])
        why = "; ".join(
            f"{fmt.pct(d.share)} {_heap(d, currency)}, and {_heap_scores(d)}" for d in blind
        )
        sighted = [MEANINGS[dim] for dim in read if dim not in {d.dimension for d in blind}]
        unseen = _listing([MEANINGS[d.dimension] for d in blind], "or")
        meaning = (
            f"the segments say {_listing(sighted)} but not {unseen}"
            if sighted
            else "the segments do not separate customers"
        )
        return (
            f"{letters} cannot separate customers — {why} — so {meaning}, and no action per "
            f"segment is suggested: {_suggestion(blind)}."
        )
    biggest = summary.sort(["customers", "segment"], descending=[True, False]).row(0, named=True)
    # Segments tied with the largest (or the top earner, as the reading writes its share) are
    # named together, not picked by name.
    largest = summary.filter(pl.col("customers") == biggest["customers"])["segment"]
    size = f"{fmt.counted(biggest['customers'], 'customer')} ({fmt.pct(biggest['customer_share'])}"
    text = (
        f"{fmt.plain(biggest['segment'].capitalize())} is the largest segment: {size})"
        if largest.len() == 1
        else f"{_segments(largest).capitalize()} tie as the largest segments: {size}) each"
    )
    earning = summary.filter(pl.col("revenue_share").is_not_null())
    if earning.height:
        top = earning.sort(["revenue_share", "segment"], descending=[True, False]).row(
            0, named=True
        )
        earners, shown = fmt.pct_top(earning, "revenue_share")
        if earners.height > 1:
            return (
                f"{text}; {_segments(earners['segment'])} tie for the most net revenue, {shown} "
                "each: no one segment stands out."
            )
        text += (
            f"; {fmt.plain(top['segment'])} bring the most net revenue, "
            f"{shown} from {fmt.pct(top['customer_share'])} of customers "
            # The segment's mean spend, as the table's column: not what each of them spent
            # (three champions of £23,562, £78 and £59 read '£7,900 each').
            f"({fmt.whole_money(top['avg_monetary'], currency)}"
            + (" on average)" if top["customers"] > 1 else ")")
        )
        if top["revenue_share"] > top["customer_share"]:
            # As segment_action: a handful of customers is a list to look at, not a programme.
            text += (
                f": only {fmt.counted(top['customers'], 'customer')}, so "
                + measures.handful_words(top["customers"])
                if top["customers"] < FEW_CUSTOMERS
                else ": protect them first"
            )
    return text + "."


def _segments(names: pl.Series) -> str:
    """Segment names as a sentence lists them, escaped: 'champions and loyal customers'."""
    return fmt.listed([fmt.plain(n) for n in names], most=4)


def grid_reading(
    grid: pl.DataFrame,
    bins: int,
    currency: str,
    degenerate: Sequence[Degenerate] = (),
    lapse_days: int | None = None,
) -> str:
    """One sentence on the grid of rf_grid (R x F or R x M), from its cells' figures: the
    fullest cell and the most valuable cell; the repeat buyers of the upper F scores (or the
    customers of the upper M scores) in the lower R scores, gone quiet, to win back, unless a
    dimension of the grid is in `degenerate`, which the sentence then explains. How long they
    have been quiet is weighed against the churn window (`lapse_days`: churn.lapse_days) where
    known: Online Retail's R2 starts at 73 days where 90% of repeat purchases come within 110,
    and "frequent buyers" were 2-order customers scored F3."""
    full = grid.filter(pl.col("customers") > 0)
    if full.height == 0:
        return "No customers in the grid."
    column = "m_score" if "m_score" in grid.columns else "f_score"
    across = "monetary" if column == "m_score" else "frequency"
    x = LETTERS[across]
    fullest = full.filter(pl.col("customers") == pl.col("customers").max()).sort(
        ["r_score", column], descending=True
    )
    # The highest spend among cells of FEW_CUSTOMERS or more: a cell of two is two customers.
    sizable = full.filter(pl.col("customers") >= FEW_CUSTOMERS)
    among = sizable if sizable.height else full
    rich = among.sort(["avg_monetary", "customers"], descending=True).row(0, named=True)
    cells = [f"R{r} {x}{c}" for r, c in fullest.select("r_score", column).iter_rows()]
    crowded = fullest.row(0, named=True)
    held = f"{fmt.counted(crowded['customers'], 'customer')}, {fmt.pct(crowded['share'])}"
    text = (
        f"The fullest cell is {cells[0]} ({held})"
        if len(cells) == 1
        else f"The fullest cells are {fmt.listed(cells, most=3)} ({held} each)"
    )
    where = (
        f" among cells of {FEW_CUSTOMERS}+ customers" if 0 < sizable.height < full.height else ""
    )
    text += (
        f"; the highest spend per customer{where} is in "
        f"R{rich['r_score']} {x}{rich[column]} ({fmt.money(rich['avg_monetary'], currency)} "
        f"across {fmt.counted(rich['customers'], 'customer')}"
        + (", too few to plan on)" if rich["customers"] < FEW_CUSTOMERS else ")")
    )
    blind = _blind(degenerate, ("recency", across))
    if blind:
        for d in blind:
            text += f"; {fmt.pct(d.share)} {_heap(d, currency)}, and {_heap_scores(d)}"
        letters = _listing([LETTERS[d.dimension] for d in blind])
        return text + f", so cells apart in {letters} are not different customers."
    lapsed = full.filter((pl.col("r_score") <= max(1, bins // 2)) & (pl.col(column) > bins // 2))
    # Frequent buyers are customers who came back: a one-order customer scored F3 on heaped
    # frequencies is none (29 of an earlier retail demo's 165 'frequent buyers' had bought once).
    frequent = across == "frequency" and "repeaters" in lapsed.columns
    n = int(lapsed["repeaters" if frequent else "customers"].sum())
    if n:
        who = "repeat buyer" if across == "frequency" else "customer"
        quiet = lapsed["quiet_days"].min() if "quiet_days" in lapsed.columns else None
        since = f": {fmt.count(quiet)}+ days since their last order" if quiet is not None else ""
        # Some still waiting, as the churn section counts them (churn.waiting).
        early = lapse_days is not None and quiet is not None and churn.waiting(quiet, lapse_days)
        # As segment_action: a handful of customers is a list to look at, not a campaign.
        advice = measures.handful_advice(n, "win them back", FEW_CUSTOMERS)
        if early:
            advice = (
                f"{churn.window_words(lapse_days)}, and some have been quiet no longer than "
                f"that, so may only be between purchases: {advice} once past it"
            )
        text += (
            f"; {fmt.counted(n, who)} of the upper {x} scores ({x} > {bins // 2}) "
            f"{'has' if n == 1 else 'have'} gone quiet (R ≤ {max(1, bins // 2)}{since}): " + advice
        )
    return text + "."


def customers_reading(customers: pl.DataFrame, currency: str) -> str:
    """One sentence on a customer list: its size, its revenue and how concentrated it is."""
    if customers.height == 0:
        return "No customers in the chosen segments."
    total = float(customers["monetary"].sum())
    text = (
        f"{fmt.counted(customers.height, 'customer')} listed, worth "
        f"{fmt.money(total, currency)} of net revenue"
    )
    top = measures.top_count(customers.height, 0.1)
    if total > 0 and customers.height >= 10:
        share = float(customers["monetary"].top_k(top).sum()) / total
        text += f"; the top 10% ({fmt.count(top)}) bring {fmt.pct(share)} of it" + (
            f" — {measures.handful_advice(top, 'start with them')}"
            if measures.stands_out(share, top, customers.height)
            else ", less than twice their share of the customers: no small group stands out"
        )
    return text + "."


def as_of_date(value: str | date | None) -> date | None:
    """An as-of date given as ISO text (empty: None, the default)."""
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def check_bins(bins: int) -> None:
    """Raises ValueError naming the numbers of bins offered (BINS) when `bins` is none of them:
    before the lines are read, in memory or from summaries (lib/engines.py)."""
    if bins not in BINS:
        raise ValueError(f"bins must be one of {', '.join(map(str, BINS))}")


def headless(
    ds: Dataset,
    *,
    bins: int = 5,
    recency_ties: str = "value",
    frequency_ties: str = "first",
    monetary_ties: str = "value",
    as_of: str = "",
    clean: bool = True,
    across: str = "frequency",
    compare_as_of: str = "",
) -> dict[str, pl.DataFrame]:
    """The RFM page's tables for the same controls, with quantile scores and the default rules
    (ties per dimension: "value" or "first", by default the published recipe, PUBLISHED_TIES;
    as_of ISO, empty: the day after the last order; clean: the published analyses' cleaning;
    across: the grid's columns, frequency or monetary).
    customers: one row per customer with scores and segment; segments: segment_summary (no
    actions when a dimension the rules read is degenerate); grid: rf_grid; degenerate: one row
    per degenerate dimension with dimension, value, share, ties, scores (those customers'
    scores, comma-separated) and warning (the page's sentence); fewer_scores: the page's
    warnings on the other dimensions with fewer distinct scores than bins
    (fewer_scores_warnings), a row each.
    With compare_as_of (ISO, before as_of), also the page's Movement view between it and as_of,
    with the same bins and rules (lib.analyses.movement: purchases only, published ties):
    movements (movement_table), movement_customers (customer_movements) and flows
    (movement_flows by customers and by revenue, a measure column first)."""
    check_bins(bins)
    ties = tie_rules(
        {"recency": recency_ties, "frequency": frequency_ties, "monetary": monetary_ties}
    )
    lines = ds.table("lines")
    if "customer_id" not in lines.columns or lines["customer_id"].null_count() == lines.height:
        raise ValueError("RFM needs a customer id per order line (lines.customer_id)")
    table = customer_table(lines, as_of_date(as_of), clean)
    frames = table_frames(table, ds.currency, bins, ties, across)
    if compare_as_of:
        frames.update(_movement(lines, table, compare_as_of, bins))
    return frames


def table_frames(
    table: CustomerTable,
    currency: str,
    bins: int = 5,
    ties: Mapping[str, str] | str = PUBLISHED_TIES,
    across: str = "frequency",
) -> dict[str, pl.DataFrame]:
    """headless's customers, segments, grid, degenerate and fewer_scores from a customer table
    (built from lines in memory, or from summaries computed elsewhere: lib.engines)."""
    rules = default_rules(bins)
    scored = quantile_scored(table.customers, bins, ties)
    degenerate = degenerate_dimensions(scored, tie_rules(ties))
    customers = segmented(scored, rules)
    collapsed = collapsed_dimensions(scored, bins)
    return {
        "customers": customers,
        "segments": segment_summary(customers, rules, degenerate),
        "grid": rf_grid(customers, bins, across),
        "degenerate": pl.DataFrame(
            [
                (
                    d.dimension,
                    d.value,
                    d.share,
                    d.ties,
                    ",".join(map(str, d.scores)),
                    degenerate_warning(d, currency),
                )
                for d in degenerate
            ],
            schema={
                "dimension": pl.String,
                "value": pl.Float64,
                "share": pl.Float64,
                "ties": pl.String,
                "scores": pl.String,
                "warning": pl.String,
            },
            orient="row",
        ),
        "fewer_scores": pl.DataFrame(
            {"warning": fewer_scores_warnings(collapsed, degenerate, scored.height, ties)},
            schema={"warning": pl.String},
        ),
    }


def _movement(
    lines: pl.DataFrame, table: CustomerTable, compare_as_of: str, bins: int
) -> dict[str, pl.DataFrame]:
    """headless's movement tables between compare_as_of and the table's as-of date."""
    from lib.analyses import movement  # it imports this module

    try:
        first = date.fromisoformat(compare_as_of)
    except ValueError:
        raise ValueError(f"compare_as_of {compare_as_of!r}: write it as YYYY-MM-DD") from None
    if table.as_of is None or first >= table.as_of:
        raise ValueError(
            f"compare_as_of ({first.isoformat()}) must come before as_of "
            f"({table.as_of.isoformat() if table.as_of else 'no orders'})"
        )
    rules = default_rules(bins)
    moves = movement.segment_movement(lines, first, table.as_of, rules, bins)
    return {
        "movements": moves.movements,
        "movement_customers": moves.customers,
        "flows": pl.concat(
            [
                movement.movement_flows(moves.movements, m, rules).select(
                    pl.lit(m).alias("measure"), pl.all()
                )
                for m in movement.MEASURES
            ]
        ),
    }
