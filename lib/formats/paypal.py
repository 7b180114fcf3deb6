"""PayPal activity download (Activity -> Download, CSV): one row per movement of the balance:
payments received, refunds, reversals, fees, currency conversions, holds, withdrawals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from lib.formats.base import (
    DATE,
    ID,
    LEFT_OUT,
    NUMBER,
    TEXT,
    Converter,
    FormatResult,
    Kind,
)
from lib.formats.shop import counted, customers_of, main_currency, person_ids, set_apart
from lib.model import Note, conform

FORMAT = "paypal"
FILE_KIND = "activity"

KINDS = (
    Kind(
        FORMAT,
        FILE_KIND,
        "PayPal activity download",
        (
            "Date",
            "Time",
            "TimeZone",
            "Type",
            "Status",
            "Currency",
            "Gross",
            "Net",
            "Transaction ID",
        ),
        aliases={"TimeZone": ("Time Zone",)},
    ),
)

# Types of money received for a sale (lower case, as PayPal names them in its activity download
# and its older history log): a row is a sale when its type has one of these words and none of
# NOT_SALE, and its gross is above zero (a payment sent to a supplier is negative).
SALE_WORDS = ("payment", "received")
NOT_SALE = ("refund", "reversal", "chargeback", "hold", "conversion", "withdraw", "transfer")
NOT_SALE += ("fee", "cancel", "sent", "deposit", "authori", "adjustment", "item", "update")
NOT_SALE += ("debit card", "mass pay")  # card cashback, payouts to the account
# Rows that take money back from a sale (or give it back: a chargeback reversed), found by their
# Reference Txn ID; never a fee (a chargeback's or its reversal) nor a hold and its release.
TAKEN_BACK = ("refund", "reversal", "chargeback")
NOT_TAKEN = ("fee", "hold")
# Statuses of a payment that moved no money (yet): left out, each counted.
NO_MONEY = {
    "pending": "pending payments",
    "denied": "denied payments",
    "failed": "failed payments",
    "canceled": "cancelled payments",
    "cancelled": "cancelled payments",
    "unclaimed": "unclaimed payments",
    "uncleared": "uncleared payments",
}
# A payment reversed (a chargeback the buyer won) kept no money: set apart as unsold.
REVERSED = ("reversed", "refunded")


def build(
    found: dict[str, pl.DataFrame],
    files: dict[str, str],
    parts: Mapping[str, Sequence[tuple[str, int]]] | None = None,
) -> FormatResult:
    """Canonical lines (one per payment received, with its item where the row names one),
    orders and customers.

    A sale is a payment received (SALE_WORDS, none of NOT_SALE, gross above zero) that moved
    money: pending, denied, failed, cancelled and unclaimed ones are left out and counted, and
    so are rows marked 'Memo' in Balance Impact (no balance moved). Its revenue is the item
    revenue: gross less its shipping, sales tax and insurance (reported as the order's
    freight), less what refunds, reversals and chargebacks referring to it (Reference Txn ID)
    took back; a payment refunded or reversed in full is set apart as unsold. Fees are not taken
    off (a note gives their sum). Currency conversions, withdrawals, holds, transfers and
    payments sent are no sales: a note counts them by type; rows repeated field for field
    (overlapping downloads) count once. Payments in other currencies than
    the main one are left out (main_currency). The customer is the hashed From Email Address,
    else the name; the region is the buyer's country code, else their country. Times are in
    the account's time zone, as the file's TimeZone says.
    """
    file = files.get(FILE_KIND, FILE_KIND)
    raw = KINDS[0].rename(found[FILE_KIND])
    conv = Converter(file, (parts or {}).get(FILE_KIND, ()))
    stamp = pl.concat_str(
        [pl.col("Date").cast(pl.String), pl.col("Time").cast(pl.String)], separator=" "
    )
    raw = raw.with_columns(stamp.alias("Date and Time"))
    rows = conv.select(
        raw,
        order_id=(ID, "Transaction ID"),
        reference=(ID, "Reference Txn ID"),
        ordered_at=(DATE, "Date and Time"),
        type=(TEXT, "Type"),
        status=(TEXT, "Status"),
        impact=(TEXT, "Balance Impact"),
        currency=(TEXT, "Currency"),
        gross=(NUMBER, "Gross"),
        fee=(NUMBER, "Fee"),
        shipping=(NUMBER, "Shipping and Handling Amount"),
        tax=(NUMBER, "Sales Tax"),
        insurance=(NUMBER, "Insurance Amount"),
        name=(TEXT, "Name"),
        email=(TEXT, "From Email Address"),
        item_id=(ID, "Item ID"),
        item_name=(TEXT, "Item Title"),
        quantity=(NUMBER, "Quantity"),
        country_code=(TEXT, "Country Code"),
        country=(TEXT, "Country"),
        zone=(TEXT, "TimeZone"),
    ).with_columns(
        pl.col("type").str.to_lowercase().str.strip_chars().fill_null(""),
        pl.col("status").str.to_lowercase().str.strip_chars(),
        pl.col("currency").str.to_uppercase(),
    )
    # The address itself goes as soon as it has given its person's id.
    rows = rows.with_columns(person_ids(rows["email"], rows["name"]).alias("customer_id")).drop(
        "email"
    )

    kind = pl.col("type")
    sale = (
        pl.any_horizontal(kind.str.contains(w, literal=True) for w in SALE_WORDS)
        & ~pl.any_horizontal(kind.str.contains(w, literal=True) for w in NOT_SALE)
        & (pl.col("gross") > 0)
    )
    back = pl.any_horizontal(kind.str.contains(w, literal=True) for w in TAKEN_BACK) & ~(
        pl.any_horizontal(kind.str.contains(w, literal=True) for w in NOT_TAKEN)
    )
    rows = rows.with_columns(sale.fill_null(False).alias("_sale"), back.alias("_back"))
    rows, notes = _repeats(rows, raw, file)
    notes += _other_rows(rows, file)
    sales = conv.drop_missing(
        rows.filter("_sale"), "ordered_at", "a payment needs its date and time"
    )
    for what in dict.fromkeys(NO_MONEY.values()):
        sales, noted = set_apart(
            sales,
            pl.col("status").is_in([s for s, w in NO_MONEY.items() if w == what]),
            (file, "Status"),
            what=what,
            why="they moved no money yet and may still fail"
            if what == NO_MONEY["pending"]
            else "they moved no money",
        )
        notes += noted
    sales, noted = set_apart(
        sales,
        pl.col("impact").str.to_lowercase().str.strip_chars() == "memo",
        (file, "Balance Impact"),
        what="payments marked 'Memo'",
        why="PayPal lists them for information: they moved no balance",
    )
    notes += noted
    sales, currency, noted = main_currency(sales, file, "Currency", "order_id")
    notes += noted
    taken = rows.filter(
        pl.col("_back") & pl.col("reference").is_not_null() & (pl.col("currency") == currency)
    )

    refunds = taken.group_by(pl.col("reference").alias("order_id")).agg(
        pl.col("gross").sum().alias("refunded")  # negative: money back to the buyer
    )
    matched = refunds.join(sales.select("order_id"), on="order_id", how="semi")
    notes += _orphans(refunds, matched, taken, file, currency)
    extras = pl.sum_horizontal(
        pl.col(c).fill_null(0.0).clip(lower_bound=0.0) for c in ("shipping", "tax", "insurance")
    )
    # Shipping, tax and insurance come off only where they leave something of the gross.
    freight = pl.when(extras < pl.col("gross")).then(extras).otherwise(0.0)
    sales = (
        sales.join(matched, on="order_id", how="left")
        .with_columns(
            freight.alias("freight"),
            (-pl.col("refunded").fill_null(0.0)).clip(lower_bound=0.0).alias("refunded"),
        )
        .with_columns(
            (pl.col("gross") - pl.col("freight") - pl.col("refunded"))
            .clip(lower_bound=0.0)
            .alias("revenue"),
            pl.when(
                pl.col("status").is_in(REVERSED) | (pl.col("refunded") >= pl.col("gross") - 0.005)
            )
            .then(pl.lit("refunded"))
            .otherwise(pl.lit("completed"))
            .alias("status"),
            pl.coalesce("country_code", "country").alias("region"),
            pl.coalesce("item_id", "item_name").alias("item_id"),
            pl.when(pl.col("quantity") > 0).then("quantity").alias("quantity"),
            pl.lit(False).alias("is_return"),
        )
        .with_columns((pl.col("revenue") / pl.col("quantity")).alias("unit_price"))
    )
    notes += _summary_notes(sales, file, currency)
    orders = sales.select("order_id", "customer_id", "ordered_at", "status", "revenue", "freight")
    return FormatResult(
        {
            "lines": conform("lines", sales),
            "orders": conform("orders", orders),
            "customers": conform("customers", customers_of(sales)),
        },
        notes=(*conv.notes, *notes),
        currency=currency or "",
    )


def _repeats(rows: pl.DataFrame, raw: pl.DataFrame, file: str) -> tuple[pl.DataFrame, list[Note]]:
    """`rows` without the rows of `raw` (the same rows, as the file wrote them) that repeat an
    earlier one field for field, balance included, and a note counting them: two downloads whose
    ranges overlap hold the same rows. (A shopping cart's item rows share their payment's
    Transaction ID, so the id alone tells no repeat.)"""
    first = raw.select(pl.struct(pl.all()).is_first_distinct()).to_series()
    repeats = rows.height - int(first.sum())
    if not repeats:
        return rows, []
    note = Note(
        file,
        "Transaction ID",
        f"{repeats:,} rows repeat an earlier row field for field (downloads whose dates "
        f"overlap) and {LEFT_OUT}: each transaction counts once",
        count=repeats,
        rows=rows.height,
    )
    return rows.filter(first), [note]


def _other_rows(rows: pl.DataFrame, file: str) -> list[Note]:
    """One note counting the rows that are no sales and take nothing back from one, by type
    (currency conversions, withdrawals, holds, payments sent, fees...)."""
    other = rows.filter(~pl.col("_sale") & ~pl.col("_back"))
    if other.height == 0:
        return []
    kinds = (
        other.with_columns(pl.col("type").replace("", "no type"))
        .group_by("type")
        .len()
        .sort(["len", "type"], descending=[True, False])
    )
    listed = ", ".join(f"{t} ({n:,})" for t, n in kinds.iter_rows())
    return [
        Note(
            file,
            "Type",
            f"{other.height:,} rows are no sales and {LEFT_OUT}: {listed}. Only payments "
            "received are sales; refunds and reversals are taken off the payments they name",
            count=other.height,
            rows=rows.height,
        )
    ]


def _orphans(
    refunds: pl.DataFrame, matched: pl.DataFrame, taken: pl.DataFrame, file: str, currency: str
) -> list[Note]:
    """A note on refunds and reversals whose payment is not among the file's sales (made before
    its first day, or set apart): not counted."""
    # A refund the shop received (of a payment it sent) is no sale's.
    lost = refunds.join(matched.select("order_id"), on="order_id", how="anti").filter(
        pl.col("refunded") < 0
    )
    if lost.height == 0:
        return []
    rows = taken.join(lost.select(pl.col("order_id").alias("reference")), on="reference").height
    amount = -float(lost["refunded"].sum())
    return [
        Note(
            file,
            "Reference Txn ID",
            f"{rows:,} refunds or reversals ({amount:,.2f} {currency}) name a payment that is "
            "not a sale of this file (made before its first day, in another currency, or left "
            "out): they were not counted",
            count=rows,
            rows=taken.height,
        )
    ]


def _summary_notes(sales: pl.DataFrame, file: str, currency: str) -> list[Note]:
    """Refunds netted, payments refunded in full, fees kept apart, no customer, shipping and tax
    apart, the time zone."""
    if sales.height == 0:
        return []
    full = pl.col("status") == "refunded"
    partial = (pl.col("refunded") > 0) & ~full
    stats = sales.select(
        full.sum().alias("full"),
        partial.sum().alias("partial"),
        pl.col("refunded").filter(partial).sum().alias("partial_amount"),
        pl.col("fee").sum().alias("fees"),
        (pl.col("customer_id").is_null() & ~full).sum().alias("anonymous"),
        pl.col("freight").sum().alias("freight"),
        pl.col("zone").drop_nulls().mode().first().alias("zone"),
    ).row(0, named=True)
    notes = counted(
        file,
        sales.height,
        [
            (
                "Reference Txn ID",
                stats["partial"],
                f"{stats['partial']:,} payments were partly refunded or reversed "
                f"({stats['partial_amount']:,.2f} {currency}): it is taken off their revenue",
            ),
            (
                "Reference Txn ID",
                stats["full"],
                f"{stats['full']:,} payments were refunded or reversed in full: they are no sales",
            ),
            (
                "From Email Address",
                stats["anonymous"],
                f"{stats['anonymous']:,} payments have neither an e-mail address nor a name: "
                "they count for revenue but for no customer",
            ),
        ],
    )
    notes.append(
        Note(
            file,
            "Fee",
            f"PayPal's fees ({-(stats['fees'] or 0):,.2f} {currency}) are not taken off revenue",
        )
    )
    notes.append(
        Note(
            file,
            "Gross",
            "a payment's revenue is its gross less its shipping, sales tax and insurance "
            f"({(stats['freight'] or 0):,.2f} {currency} in all, reported as freight), as the "
            "other exports give item prices",
        )
    )
    if stats["zone"]:
        notes.append(
            Note(
                file,
                "TimeZone",
                f"times are in the account's time zone as the file gives it ({stats['zone']}): "
                "hours of the day (Sales' weekday x hour) are its hours",
            )
        )
    return notes
