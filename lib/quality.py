"""The anomaly report: a profile of each table and every rule's findings."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import polars as pl

from lib import fmt
from lib.measures import (
    THIN,
    UNSOLD_STATUSES,
    as_recorded,
    customer_purchases,
    impossible_date_rules,
    is_return,
    without_lines,
)
from lib.model import Dataset, first_occurrences

EXAMPLES = 5
NON_PRODUCT_CODES = (
    "POST",
    "DOT",
    "M",
    "D",
    "S",
    "B",
    "C2",
    "CRUK",
    "PADS",
    "BANK CHARGES",
    "AMAZONFEE",
    "ADJUST",
)
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: str  # error: the data contradicts itself; warning: skews results; info: handled quirk
    why: str
    unit: str = "rows"  # what `count` counts, plural ('orders'; 'order' for one: units())

    def units(self, count: int) -> str:
        """`count` of what the rule counts, in words: '1 order', '3 orders'."""
        return fmt.counted(count, self.unit.removesuffix("s"), self.unit)


# A date further before its column's median is taken for a placeholder of a missing one.
PLACEHOLDER_YEARS = 20

RULES = {
    r.id: r
    for r in (
        Rule(
            "duplicate_rows",
            "Exact duplicate rows",
            "warning",
            "Rows that repeat an earlier row field for field are usually export or join errors; "
            "they inflate revenue and counts. Sales, Categories and Regions keep them until you "
            "fix the source; on an export in a format the app knows, the customer pages (RFM, "
            "Cohorts, Clusters, Lifetime value) and the revenue bridge count a line and its exact "
            "repeats once.",
        ),
        Rule(
            "future_dates",
            "Dates in the future",
            "error",
            "A timestamp later than today is a typing or time-zone error; it stretches every "
            "time axis and makes recency negative.",
        ),
        Rule(
            "placeholder_dates",
            "Dates long before the rest",
            "error",
            f"A timestamp more than {PLACEHOLDER_YEARS} years before the column's median is "
            "usually a placeholder for a missing date (1900-01-01, 1970-01-01); it stretches "
            "every time axis and puts a first order decades back. Fix or blank it in the source.",
        ),
        Rule(
            "missing_customer",
            "Lines without a customer",
            "warning",
            "They count for revenue but cannot be used for repeat rates, RFM, cohorts, clusters "
            "or lifetime value, which leave them out.",
        ),
        Rule(
            "non_positive_price",
            "Zero or negative unit prices",
            "warning",
            "Free or negative-priced lines are adjustments, samples or bad debt, not sales; "
            "they distort average prices.",
        ),
        Rule(
            "extreme_quantity",
            "Extreme quantities",
            "warning",
            "A quantity over 50 times the typical one (and over 100) is often a typo or a bulk "
            "test order, frequently cancelled right after; one such line can top an item ranking.",
        ),
        Rule(
            "cancellations",
            "Cancelled or returned lines",
            "info",
            "Lines that cancel or return earlier sales: flagged by their format (an invoice "
            "starting with C in Online Retail's, a negative quantity or amount in a file mapped "
            "by its columns), or of a negative amount. They are netted out of revenue as "
            "returns, not counted as sales.",
        ),
        Rule(
            "non_product_codes",
            "Non-product stock codes",
            "info",
            "Postage, fees, manual adjustments and charges (POST, M, BANK CHARGES, AMAZONFEE...) "
            "are not products: leave them out of item rankings and baskets.",
        ),
        Rule(
            "delivered_before_purchase",
            "Delivered before purchase",
            "error",
            "A delivery date earlier than the purchase is impossible; these orders are left out "
            "of every delivery figure (on-time rate, days to deliver, late rates).",
            "orders",
        ),
        Rule(
            "delivered_before_pickup",
            "Delivered before carrier pickup",
            "error",
            "The customer received the parcel before the carrier took it: one of the two dates is "
            "wrong, so these orders are left out of every delivery figure.",
            "orders",
        ),
        Rule(
            "estimate_before_purchase",
            "Estimated delivery before purchase",
            "error",
            "A delivery promised for a day before the order was placed is impossible (often a "
            "placeholder such as 1900-01-01): days late and days promised measured against it "
            "mean nothing, so these orders are left out of every delivery figure.",
            "orders",
        ),
        Rule(
            "stages_backwards",
            "Delivery stages dated backwards",
            "warning",
            "Payment approved before the purchase, or the parcel handed to the carrier before the "
            "payment was approved (Olist records some approvals late): that stage's length means "
            "nothing, so Delivery leaves these orders out of it; every other figure keeps them.",
            "orders",
        ),
        Rule(
            "delivered_without_date",
            "Delivered with no delivery date",
            "warning",
            "The status says delivered but no date was recorded; on-time rates leave these out.",
            "orders",
        ),
        Rule(
            "unsold_but_delivered",
            "Cancelled orders with a delivery date",
            "warning",
            "The status says the order was cancelled or unavailable, yet a delivery date was "
            "recorded: the status or the date is wrong. Every page goes by the status, so these "
            "orders count for neither revenue nor delivery; check them in the source.",
            "orders",
        ),
        Rule(
            "orders_without_lines",
            "Orders without any line",
            "info",
            "Orders the order lines never name (on Olist, mostly orders unavailable or cancelled "
            "before any item was recorded): they count in no revenue, order or customer figure. "
            "Check their status; if they did sell, upload the lines file they come with.",
            "orders",
        ),
        Rule(
            "payment_mismatch",
            "Payments differ from items plus freight",
            "warning",
            "Paid amounts differ by more than a cent from the item prices plus freight (vouchers, "
            "interest on instalments, partial refunds). Revenue figures use item prices; say "
            "which one you report.",
            "orders",
        ),
        Rule(
            "deal_before_contact",
            "Deals won before first contact",
            "error",
            "A seller cannot be won before the lead was first contacted; days to close are "
            "negative for these deals.",
            "deals",
        ),
        Rule(
            "unknown_origin",
            "Leads with unknown origin",
            "info",
            "Leads without a known marketing origin cannot be credited to a channel; conversion "
            "by origin shows them apart: 'unknown' as the file names it, and an empty origin as "
            "no origin.",
            "leads",
        ),
        Rule(
            "thin_months",
            "Nearly empty months",
            "info",
            "Months with under 10% of a typical month's orders (often the partial months at the "
            "ends of an export) look like collapses on a trend chart; treat them as partial.",
            "months",
        ),
        Rule(
            "empty_days",
            "Days without events",
            "warning",
            "Days with no tracked events at all are tracking outages; every daily rate computed "
            "over them is biased.",
            "days",
        ),
        Rule(
            "misspelled_parameter",
            "Misspelled event parameters",
            "warning",
            "Event parameters whose name is a near-copy of a common one (e.g. 'itme_id') are "
            "lost to any analysis that looks for the right name.",
            "event rows",
        ),
        Rule(
            "paid_before_created",
            "Paid before the order was created",
            "error",
            "Payment earlier than order creation means a clock or export error.",
            "orders",
        ),
        Rule(
            "orders_after_deletion",
            "Orders after the customer was deleted",
            "warning",
            "Deleted accounts should not order; the orders are real revenue but the customer "
            "cannot be contacted.",
            "orders",
        ),
        Rule(
            "catalogue_price_mismatch",
            "Prices that disagree with the catalogue",
            "warning",
            "The line price differs from the catalogue price of the same item (discounts or "
            "stale catalogue); revenue uses the line price.",
        ),
        Rule(
            "zero_padded_ids",
            "Customer ids that differ only in leading zeros",
            "warning",
            "Ids such as 00123 and 123 are counted as two customers, with their orders split "
            "between them: one export (often a spreadsheet) dropped the zeros. Keep ids as text "
            "in every export and upload the files again.",
            "customers",
        ),
        Rule(
            "orphan_ids",
            "Ids missing from the table they point to",
            "error",
            "Rows reference an order, customer, item, seller or lead that the other table does "
            "not have, so joins silently drop them; load the complete set of files.",
        ),
    )
}


@dataclass(frozen=True)
class Finding:
    """One rule's result on one table: how many, what share, examples and every offending row."""

    rule: str
    table: str
    count: int
    share: float
    rows: pl.DataFrame
    detail: str = ""

    @property
    def info(self) -> Rule:
        return RULES[self.rule]

    @property
    def shown_share(self) -> str:
        """The share as every page and the report write a finding's: to two decimals, so that
        the smallest findings do not read 0.0% (share_text)."""
        return share_text(self.share)

    @property
    def explained(self) -> str:
        """Why the finding matters, with its detail inside the sentence's end ("... you report
        (share of orders ...).", "... a quantity above 150"): as the Data quality page, the
        report and `python -m lib inspect` say it."""
        why = self.info.why.removesuffix(".")
        return why + (f" ({self.detail})." if self.detail else ".")

    @property
    def share_of(self) -> str:
        """What the share is of: the rows of the finding's table, or what its detail names
        ('share of the months in the range; a typical month ...': 'the months in the range')."""
        said = re.split("[;:]", self.detail)[0]
        return said.removeprefix(SHARE_OF) if said.startswith(SHARE_OF) else self.table


# How a finding's detail begins when its share is not of its table's rows.
SHARE_OF = "share of "


def share_text(share: float) -> str:
    """A finding's share, or the same share said elsewhere (the lines without a customer id on
    Sales and Cohorts), as the pages write it: '24.93%'; a share above 0 too small for two
    decimals reads '<0.01%', never '0.00%'."""
    return fmt.pct_above0(share, 2)


# The column that dates each table's rows: its orders, events, leads or wins, never a derived
# date such as an estimated delivery (which runs weeks past the last order).
DATE_COLUMNS = {
    "lines": "ordered_at",
    "orders": "ordered_at",
    "events": "event_at",
    "leads": "first_contact_at",
    "deals": "won_at",
    "customers": "created_at",
    "items": "created_at",
}
NO_DATE = "—"


@dataclass(frozen=True)
class TableProfile:
    table: str
    rows: int
    columns: int
    first: datetime | None  # earliest and latest value of `dated_by`
    last: datetime | None
    duplicates: int
    nulls: pl.DataFrame  # column, nulls, share
    dated_by: str | None = None  # DATE_COLUMNS[table] when the table has it

    def span(self) -> tuple[str, str]:
        """(from, to) as YYYY-MM-DD, or NO_DATE for a table with no dates."""
        return tuple(  # type: ignore[return-value]
            d.strftime("%Y-%m-%d") if d is not None else NO_DATE for d in (self.first, self.last)
        )


@dataclass(frozen=True)
class Report:
    profiles: tuple[TableProfile, ...]
    findings: tuple[Finding, ...]

    def counts(self) -> dict[str, int]:
        """Total offending units per rule id (every rule present, 0 where nothing was found)."""
        out = dict.fromkeys(RULES, 0)
        for f in self.findings:
            out[f.rule] += f.count
        return out


# The columns that show each finding's problem: example rows put them first.
EVIDENCE = {
    "missing_customer": ("customer_id", "order_id"),
    "non_positive_price": ("unit_price", "quantity"),
    "extreme_quantity": ("quantity",),
    "cancellations": ("order_id", "quantity", "revenue"),
    "non_product_codes": ("item_id", "item_name"),
    "placeholder_dates": ("ordered_at", "event_at", "first_contact_at", "won_at"),
    "delivered_before_purchase": ("ordered_at", "delivered_at"),
    "delivered_before_pickup": ("shipped_at", "delivered_at"),
    "estimate_before_purchase": ("ordered_at", "estimated_delivery_at"),
    "stages_backwards": ("ordered_at", "approved_at", "shipped_at"),
    "delivered_without_date": ("status", "delivered_at"),
    "unsold_but_delivered": ("status", "delivered_at"),
    "deal_before_contact": ("first_contact_at", "won_at"),
    "unknown_origin": ("origin",),
    "paid_before_created": ("ordered_at", "paid_at"),
    "zero_padded_ids": ("customer_id",),
    "orders_after_deletion": ("deleted_at", "ordered_at"),
    "catalogue_price_mismatch": ("unit_price", "catalogue_price"),
    "payment_mismatch": ("paid", "revenue", "freight"),
}
# Money columns of the examples, shown with the data set's currency.
MONEY_COLUMNS = frozenset(
    {
        "revenue",
        "unit_price",
        "price",
        "catalogue_price",
        "freight",
        "paid",
        "declared_monthly_revenue",
    }
)
_IDS = ("order_id", "customer_id", "item_id", "seller_id", "lead_id", "event_id", "user_id")
# A value written as a code: lower-case words joined by underscores.
_CODE = r"^[a-z0-9]+(_[a-z0-9]+)+$"
# Whole numbers that name a row rather than count something: no thousands separator.
_NUMBERS_AS_IDS = frozenset({"line_no"})
# Names as the export writes them (a misspelled parameter is the evidence): never in words.
_AS_WRITTEN = frozenset({"parameter_name", "probably"})


def example_rows(finding: Finding, n: int = EXAMPLES, currency: str = "") -> pl.DataFrame:
    """The first `n` rows of a finding as a person reads them: the evidence columns first, then
    the ids, then the rest; dates to the minute, money with its `currency` and cents, empty
    cells as '—', yes/no, headers in words. (Downloads keep the raw rows.)"""
    rows = finding.rows.head(n)
    first = [c for c in (*EVIDENCE.get(finding.rule, ()), *_IDS) if c in rows.columns]
    rows = rows.select(list(dict.fromkeys([*first, *rows.columns])))

    def shown(name: str, dtype: pl.DataType) -> pl.Expr:
        col = pl.col(name)
        if dtype.is_temporal():
            text = col.dt.strftime(_date_style(name, rows[name]))
        elif dtype == pl.Boolean:
            text = pl.when(col).then(pl.lit("yes")).otherwise(pl.lit("no"))
        elif name in MONEY_COLUMNS and dtype.is_numeric():
            text = col.map_elements(lambda v: fmt.whole_money(v, currency, 2), pl.String)
        elif dtype.is_float():
            text = col.map_elements(lambda v: f"{v:,.2f}".rstrip("0").rstrip("."), pl.String)
        elif dtype.is_integer() and name not in _NUMBERS_AS_IDS:
            text = col.map_elements(lambda v: f"{v:,}", pl.String)
        elif name.endswith("_id") or name in _AS_WRITTEN:  # every one of _IDS, any other id
            text = col.cast(pl.String)
        else:  # a code ('online_medium', 'health_beauty') in words, as the pages show them
            text = col.cast(pl.String)
            text = pl.when(text.str.contains(_CODE)).then(fmt.words_expr(text)).otherwise(text)
        return text.fill_null("—").alias(fmt.words(name))

    return rows.select(shown(name, dtype) for name, dtype in rows.schema.items())


def _date_style(name: str, values: pl.Series) -> str:
    """How example_rows prints a date column: months as 'Jan 2022' (fmt.month), days alone when
    no value has a time of day, else to the minute."""
    if name == "month":
        return "%b %Y"
    if values.dtype == pl.Date or (values.drop_nulls().dt.time() == time(0)).all():
        return "%Y-%m-%d"
    return "%Y-%m-%d %H:%M"


def _datetime_columns(frame: pl.DataFrame) -> list[str]:
    return [c for c, t in frame.schema.items() if isinstance(t, pl.Datetime)]


def profile(table: str, frame: pl.DataFrame, first_rows: pl.Series | None = None) -> TableProfile:
    """Rows, columns, date range of the table's own date (DATE_COLUMNS: order dates for lines
    and orders), exact duplicates and nulls. A table without that column has no date range.

    `first_rows`: first_occurrences(frame), when the caller has it already.
    """
    if first_rows is None:
        first_rows = first_occurrences(frame)
    dated_by = DATE_COLUMNS.get(table)
    if dated_by not in _datetime_columns(frame):
        dated_by = None
    first = last = None
    if dated_by is not None and frame.height:
        first, last = frame.select(
            pl.col(dated_by).min().alias("first"), pl.col(dated_by).max().alias("last")
        ).row(0)
    nulls = frame.null_count().transpose(
        include_header=True, header_name="column", column_names=["nulls"]
    )
    nulls = nulls.with_columns((pl.col("nulls") / max(frame.height, 1)).alias("share"))
    return TableProfile(
        table,
        frame.height,
        frame.width,
        first,
        last,
        frame.height - int(first_rows.sum()),
        nulls,
        dated_by,
    )


def profile_frame(profiles: Sequence[TableProfile]) -> pl.DataFrame:
    """The profiles as the report shows them: one row per table with table, rows, columns,
    dated_by, from and to (YYYY-MM-DD, NO_DATE when the table has no date), exact duplicates and
    columns with nulls in words, each share as a finding's (share_text: 'Customer id 24.93%',
    the missing-customer finding's figure, not '25%' beside it)."""
    return pl.DataFrame(
        {
            "table": [p.table for p in profiles],
            "rows": [p.rows for p in profiles],
            "columns": [p.columns for p in profiles],
            "dated_by": [fmt.words(p.dated_by) if p.dated_by else NO_DATE for p in profiles],
            "from": [p.span()[0] for p in profiles],
            "to": [p.span()[1] for p in profiles],
            "exact duplicates": [p.duplicates for p in profiles],
            "columns with nulls": [
                ", ".join(
                    f"{fmt.words(c)} {share_text(s)}"
                    for c, _, s in p.nulls.filter(pl.col("nulls") > 0).rows()
                )
                for p in profiles
            ],
        },
        schema={
            "table": pl.String,
            "rows": pl.Int64,
            "columns": pl.Int64,
            "dated_by": pl.String,
            "from": pl.String,
            "to": pl.String,
            "exact duplicates": pl.Int64,
            "columns with nulls": pl.String,
        },
    )


def _finding(
    rule: str, table: str, frame: pl.DataFrame, mask: pl.Expr, detail: str = ""
) -> list[Finding]:
    rows = frame.filter(mask.fill_null(False))
    if rows.height == 0:
        return []
    return [Finding(rule, table, rows.height, rows.height / frame.height, rows, detail)]


def _has(ds: Dataset, table: str, *columns: str) -> bool:
    return ds.has(table, *columns)


def duplicate_basis(ds: Dataset, name: str) -> pl.DataFrame:
    """Table `name` as exact duplicates are judged on it: as its files recorded it, so the lines
    of mapped files without the line numbers and order ids the mapping made up (a row's own
    order is new on every row, so repeated rows would never look alike)."""
    # Imported here: lib.formats imports lib.demo, which reads this module's NON_PRODUCT_CODES.
    from lib.formats.generic import MADE_UP, made_up_hashes

    frame = ds.tables[name]
    made_up = ds.extras.get(MADE_UP)
    if name != "lines" or made_up is None:
        return frame
    ids = pl.col("order_id")
    made = made_up_hashes(ids).is_in(made_up["order_hash"].implode())
    return frame.drop("line_no", strict=False).with_columns(
        pl.when(made).then(None).otherwise(ids).alias("order_id")
    )


# What the duplicate finding on a mapped file's lines adds to the rule's reason.
MAPPED_DUPLICATES = (
    "judged on your mapped columns, not on the order ids and line numbers made up for them; "
    "on a mapped file every page keeps these rows, the customer pages too, as a repeated row "
    "may be a second identical purchase: remove them from the file if they are export errors"
)


def _duplicates(
    ds: Dataset, judged: dict[str, pl.DataFrame], firsts: dict[str, pl.Series]
) -> list[Finding]:
    """The duplicate_rows rule, from each table's duplicate_basis (judged) and its
    first_occurrences (shared with the profiles)."""
    out = []
    for name, frame in ds.tables.items():
        # A summarised folder's lines: their repeats were counted as they were read.
        if frame.height and not (name == "lines" and LINE_CHECKS in ds.extras):
            mapped = judged[name] is not frame
            # Every repeat after the first occurrence counts; the first is the original.
            out += _finding(
                "duplicate_rows",
                name,
                frame,
                ~pl.lit(firsts[name]),
                MAPPED_DUPLICATES if mapped else "",
            )
    return out


# Dates no shop sold on, whatever the column's other dates: the year 1900 (Excel's day 0 and
# day-number cells read as dates) and the first instant of 1970 (a Unix time of 0).
_PLACEHOLDER_BEFORE = datetime(1901, 1, 1)
_UNIX_ZERO = datetime(1970, 1, 1)


def _placeholders(ds: Dataset, today: datetime) -> list[Finding]:
    out = []
    for name, frame in ds.tables.items():
        rules = []
        for column in _datetime_columns(frame):
            col = pl.col(column)
            # Absolute: a column of January 1900 dates has no median to stand apart from
            # (hostile-upload audit, helper 165: it passed without a finding).
            rules.append((col < _PLACEHOLDER_BEFORE) | (col == _UNIX_ZERO))
            middle = frame[column].median()
            if middle is not None:
                cutoff = middle - timedelta(days=round(365.25 * PLACEHOLDER_YEARS))
                rules.append(col < cutoff)
        if rules:
            out += _finding(
                "placeholder_dates",
                name,
                frame,
                pl.any_horizontal(rules),
                f"in 1900, at the first instant of 1970, or more than {PLACEHOLDER_YEARS} years "
                "before the column's median date",
            )
    return out


def _future(ds: Dataset, today: datetime) -> list[Finding]:
    out = []
    for name, frame in ds.tables.items():
        # An estimated delivery date in the future is a promise, not an error.
        cols = [c for c in _datetime_columns(frame) if c != "estimated_delivery_at"]
        if cols and frame.height:
            out += _finding(
                "future_dates",
                name,
                frame,
                pl.any_horizontal(pl.col(c) > today for c in cols),
                f"later than {today:%Y-%m-%d}",
            )
    return out


# Where a summarised folder (lib/local.py) keeps what it counted on its lines as it read them:
# one row, a column per rule of line_rules, duplicate_rows and (with quantities)
# extreme_quantity with its extreme_limit, lines (read), matched and unmatched (cancellation
# lines, as cancellation_note words them).
LINE_CHECKS = "line_checks"


def line_rules(columns: Sequence[str]) -> dict[str, pl.Expr]:
    """The rules each line is judged on alone (null: not broken), for lines with `columns`:
    the report's in memory, and what a summarised folder counts share by share."""
    rules = {"missing_customer": pl.col("customer_id").is_null()}
    if "unit_price" in columns:
        rules["non_positive_price"] = pl.col("unit_price") <= 0
    if "is_return" in columns:  # formats that flag returns; counted as purchases net them
        rules["cancellations"] = is_return(columns)
    if "item_id" in columns:
        rules["non_product_codes"] = non_product(pl.col("item_id"))
    return rules


def non_product(item: pl.Expr) -> pl.Expr:
    """Whether an item id is one of NON_PRODUCT_CODES, in any case (null for a missing id)."""
    return item.str.contains(_CODES)


# NON_PRODUCT_CODES in any case, the whole id: a tenth of a second on 8M lines, where
# uppercasing every id took 0.4 s.
_CODES = "(?i)^(?:" + "|".join(re.escape(c) for c in NON_PRODUCT_CODES) + ")$"


def extreme_limit(typical: float) -> float:
    """The extreme_quantity rule's threshold, from the median absolute quantity (`typical`)."""
    return max(100.0, 50 * typical)


def _above(limit: float) -> str:
    """The extreme_quantity finding's detail."""
    return f"a quantity above {limit:,.0f} or below -{limit:,.0f}"


def cancellation_note(matched: int, unmatched: int, repeated: int = 0) -> str:
    """The cancellations finding's detail: how many were netted, how many could not be, and the
    exact repeats of a cancellation line, which count once. No final stop: the page puts the
    detail in brackets."""
    return (
        f"{fmt.counted(matched, 'line')} of known customers {fmt.plural(matched, 'is', 'are')} "
        "netted out of the purchase they reverse (same customer and item, at or before the "
        f"cancellation); {fmt.count(unmatched)} {fmt.plural(unmatched, 'has', 'have')} no such "
        f"purchase and {fmt.plural(unmatched, 'is', 'are')} left out of customer figures"
        + (
            f"; {fmt.counted(repeated, 'line repeats', 'lines repeat')} another exactly and "
            f"{fmt.plural(repeated, 'counts', 'count')} once, as a repeated sale does"
            if repeated
            else ""
        )
    )


def line_checks(ds: Dataset) -> dict[str, int] | None:
    """What a summarised folder counted on its lines (LINE_CHECKS): lines, and unless they are
    a database's, each line rule's count, matched and unmatched. None for lines in memory, which
    the pages count themselves."""
    checks = ds.extras.get(LINE_CHECKS)
    return None if checks is None else checks.row(0, named=True)


def checks_note(checks: dict[str, int]) -> str:
    """line_checks in a sentence, for the pages whose counts of left-out lines would otherwise
    count the summary's rows."""
    if "missing_customer" not in checks:
        return (
            f"The {checks['lines']:,} lines were summarised inside their database, which does "
            "not count the lines left out."
        )
    parts = [fmt.counted(checks["missing_customer"], "line") + " without a customer"]
    if "cancellations" in checks:
        parts.append(
            fmt.counted(checks["cancellations"], "cancellation or return line")
            + f" (of known customers, {checks['matched']:,} netted out of the purchase they "
            f"reverse, {checks['unmatched']:,} matching none"
            + (
                f", {checks['repeated_returns']:,} repeating another"
                if checks.get("repeated_returns")
                else ""
            )
            + ")"
        )
    parts.append(fmt.counted(checks["duplicate_rows"], "exact repeat") + " of an earlier line")
    return (
        f"Counted on the folder's {checks['lines']:,} lines as they were summarised: "
        + ", ".join(parts[:-1])
        + f" and {parts[-1]}, each left out of customer figures."
    )


def _counted_lines(checks: pl.DataFrame) -> list[Finding]:
    """The findings on a summarised folder's lines, from what it counted on them (LINE_CHECKS):
    counts without the rows, which are not kept."""
    row = checks.row(0, named=True)
    empty = pl.DataFrame()
    out = []
    for rule in (r for r in row if r in RULES):
        count = row[rule]
        if count:
            detail = ""
            if rule == "cancellations":
                detail = cancellation_note(
                    row["matched"], row["unmatched"], row.get("repeated_returns") or 0
                )
            elif rule == "extreme_quantity":
                detail = _above(row["extreme_limit"])
            out.append(Finding(rule, "lines", count, count / row["lines"], empty, detail))
    return out


def _lines_rules(ds: Dataset, today: datetime) -> list[Finding]:
    if LINE_CHECKS in ds.extras:
        return _counted_lines(ds.extras[LINE_CHECKS])
    if not _has(ds, "lines"):
        return []
    lines = ds.tables["lines"]
    rules = line_rules(lines.columns)
    out = _finding("missing_customer", "lines", lines, rules["missing_customer"])
    if _has(ds, "lines", "unit_price"):
        out += _finding("non_positive_price", "lines", lines, rules["non_positive_price"])
    if _has(ds, "lines", "quantity"):
        limit = extreme_limit(lines["quantity"].abs().median() or 0.0)
        out += _finding(
            "extreme_quantity",
            "lines",
            lines,
            pl.col("quantity").abs() > limit,
            _above(limit),
        )
    if "cancellations" in rules:
        netted = customer_purchases(lines, ("customer_id",))
        out += _finding(
            "cancellations",
            "lines",
            lines,
            rules["cancellations"],
            cancellation_note(netted.matched, netted.unmatched, netted.repeated_returns),
        )
    if _has(ds, "lines", "item_id"):
        out += _finding("non_product_codes", "lines", lines, rules["non_product_codes"])
    if _has(ds, "lines", "unit_price") and _has(ds, "items", "price"):
        joined = lines.join(
            ds.tables["items"].select("item_id", pl.col("price").alias("catalogue_price")),
            on="item_id",
            how="left",
        )
        out += _finding(
            "catalogue_price_mismatch",
            "lines",
            joined,
            (pl.col("unit_price") - pl.col("catalogue_price")).abs() > 0.005,
        )
    return out


def _orders_rules(ds: Dataset, today: datetime) -> list[Finding]:
    if not _has(ds, "orders"):
        return []
    orders = ds.tables["orders"]
    out = []
    # The dates every delivery figure leaves out (measures.delivered), one rule each.
    for rule, impossible in impossible_date_rules(orders).items():
        out += _finding(rule, "orders", orders, impossible)
    if "approved_at" in orders.columns:
        approved = pl.col("approved_at")
        backwards = approved < pl.col("ordered_at")
        if "shipped_at" in orders.columns:
            backwards = backwards | (pl.col("shipped_at") < approved)
        out += _finding("stages_backwards", "orders", orders, backwards)
    if _has(ds, "orders", "status") and "delivered_at" in orders.columns:
        out += _finding(
            "delivered_without_date",
            "orders",
            orders,
            (pl.col("status") == "delivered") & pl.col("delivered_at").is_null(),
        )
        out += _finding(
            "unsold_but_delivered",
            "orders",
            orders,
            pl.col("status").is_in(UNSOLD_STATUSES) & pl.col("delivered_at").is_not_null(),
        )
    if _has(ds, "orders", "paid_at"):
        out += _finding(
            "paid_before_created", "orders", orders, pl.col("paid_at") < pl.col("ordered_at")
        )
    if _has(ds, "customers", "deleted_at"):
        joined = orders.join(
            ds.tables["customers"].select("customer_id", "deleted_at"), on="customer_id", how="left"
        )
        out += _finding(
            "orders_after_deletion", "orders", joined, pl.col("ordered_at") > pl.col("deleted_at")
        )
    if _has(ds, "lines", "order_id"):
        out += _finding("orders_without_lines", "orders", orders, without_lines(ds))
    if "payments" in ds.extras and _has(ds, "orders", "revenue"):
        joined = orders.join(ds.extras["payments"], on="order_id", how="inner").filter(
            pl.col("revenue").is_not_null()
        )
        due = pl.col("revenue") + pl.col("freight").fill_null(0.0)
        if joined.height:
            # In whole cents: one cent off is rounding, and 0.30 - 0.29 is no more than a cent.
            rows = joined.filter(((pl.col("paid") - due) * 100).round(0).abs() > 1)
            if rows.height:
                out.append(
                    Finding(
                        "payment_mismatch",
                        "orders",
                        rows.height,
                        rows.height / joined.height,
                        rows,
                        "share of orders that have both payments and items",
                    )
                )
    return out


def _thin_months(ds: Dataset, today: datetime) -> list[Finding]:
    table = "orders" if _has(ds, "orders") else "lines" if _has(ds, "lines") else None
    if table is None:
        return []
    frame = ds.tables[table]
    if table == "lines":
        frame = frame.group_by("order_id").agg(pl.col("ordered_at").min())
    monthly = frame.group_by(pl.col("ordered_at").dt.truncate("1mo").alias("month")).agg(
        pl.len().alias("orders")
    )
    months = (
        pl.DataFrame(
            {
                "month": pl.datetime_range(
                    monthly["month"].min(), monthly["month"].max(), "1mo", eager=True
                )
            }
        )
        .join(monthly, on="month", how="left")
        .with_columns(pl.col("orders").fill_null(0))
    )
    median = months["orders"].median() or 0
    thin = months.filter(pl.col("orders") < THIN * median)
    if thin.height == 0:
        return []
    # A share of the months, as empty_days gives a share of the days: "2 months (40%)".
    typical = fmt.number(median, 0 if float(median).is_integer() else 1)
    detail = (
        f"share of the months in the range; a typical month has {typical} "
        f"{fmt.plural(median, 'order')}"
    )
    return [Finding("thin_months", table, thin.height, thin.height / months.height, thin, detail)]


def _events_rules(ds: Dataset, today: datetime) -> list[Finding]:
    out: list[Finding] = []
    if _has(ds, "events"):
        days = (
            ds.tables["events"]
            .group_by(pl.col("event_at").dt.date().alias("day"))
            .agg(pl.len().alias("events"))
        )
        calendar = pl.DataFrame(
            {"day": pl.date_range(days["day"].min(), days["day"].max(), "1d", eager=True)}
        ).join(days, on="day", how="left")
        empty = calendar.filter(pl.col("events").is_null()).with_columns(pl.lit(0).alias("events"))
        if empty.height:
            out.append(
                Finding(
                    "empty_days",
                    "events",
                    empty.height,
                    empty.height / calendar.height,
                    empty,
                    "share of calendar days in the range",
                )
            )
    params = ds.extras.get("event_parameters")
    if params is not None and params.height:
        total = params["rows"].sum()
        names = params.sort("rows", descending=True).rows()
        bad = []
        for name, rows in names:
            if rows >= 0.01 * total:
                continue
            for other, other_rows in names:
                if (
                    other_rows > rows
                    and difflib.SequenceMatcher(None, name.lower(), other.lower()).ratio() >= 0.8
                ):
                    bad.append({"parameter_name": name, "rows": rows, "probably": other})
                    break
        if bad:
            rows = pl.DataFrame(bad)
            count = int(rows["rows"].sum())
            detail = "share of the export's parameter rows: an event has one per parameter"
            out.append(
                Finding("misspelled_parameter", "events", count, count / total, rows, detail)
            )
    return out


def _funnel_rules(ds: Dataset, today: datetime) -> list[Finding]:
    out: list[Finding] = []
    if _has(ds, "leads"):
        leads = ds.tables["leads"]
        origin = pl.col("origin")
        out += _finding(
            "unknown_origin",
            "leads",
            leads,
            origin.is_null() | (origin.str.to_lowercase() == "unknown"),
        )
        if _has(ds, "deals"):
            joined = ds.tables["deals"].join(
                leads.select("lead_id", "first_contact_at"), on="lead_id", how="left"
            )
            out += _finding(
                "deal_before_contact",
                "deals",
                joined,
                pl.col("won_at") < pl.col("first_contact_at"),
            )
    return out


REFERENCES = (
    ("lines", "order_id", "orders"),
    ("orders", "customer_id", "customers"),
    ("lines", "item_id", "items"),
    ("events", "item_id", "items"),
    ("lines", "seller_id", "sellers"),
    ("deals", "lead_id", "leads"),
)


def _orphans(ds: Dataset, today: datetime) -> list[Finding]:
    out = []
    key_of = {
        "orders": "order_id",
        "customers": "customer_id",
        "items": "item_id",
        "sellers": "seller_id",
        "leads": "lead_id",
    }
    for table, column, target in REFERENCES:
        if _has(ds, table, column) and _has(ds, target):
            frame = ds.tables[table]
            known = ds.tables[target][key_of[target]]
            out += _finding(
                "orphan_ids",
                table,
                frame,
                pl.col(column).is_not_null() & ~pl.col(column).is_in(known.implode()),
                f"{table}.{column} not in {target}",
            )
    return out


def _zero_padded(ds: Dataset, today: datetime) -> list[Finding]:
    """Customers whose id, all digits, is another's once leading zeros are dropped."""
    if not _has(ds, "customers", "customer_id"):
        return []
    customers = ds.tables["customers"]
    ids = pl.col("customer_id").cast(pl.String)
    number = pl.when(ids.str.contains(r"^[0-9]+$")).then(
        ids.str.strip_chars_start("0").replace("", "0")
    )
    return _finding(
        "zero_padded_ids",
        "customers",
        customers,
        number.is_not_null() & (ids.n_unique().over(number) > 1),
    )


# Every rule but duplicate_rows, which report() runs on the duplicates its profiles found.
CHECKS: tuple[Callable[[Dataset, datetime], list[Finding]], ...] = (
    _future,
    _placeholders,
    _lines_rules,
    _orders_rules,
    _thin_months,
    _events_rules,
    _funnel_rules,
    _orphans,
    _zero_padded,
)


def report(ds: Dataset, today: datetime | None = None) -> Report:
    """Profile every table and run every rule whose tables are loaded, worst first."""
    today = today or datetime.now()
    ds = as_recorded(ds)  # the rules inspect every line the files hold, sales or not
    judged = {name: duplicate_basis(ds, name) for name in ds.tables}
    firsts = {name: first_occurrences(frame) for name, frame in judged.items()}
    profiles = tuple(profile(name, frame, firsts[name]) for name, frame in ds.tables.items())
    findings = [
        *_duplicates(ds, judged, firsts),
        *(f for check in CHECKS for f in check(ds, today)),
    ]
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.info.severity], -f.count))
    return Report(profiles, tuple(findings))
