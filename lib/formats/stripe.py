"""Stripe payments export (Payments > Export): one row per charge, no items."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from lib import fmt
from lib.formats.base import CENT, DATE, ID, NUMBER, TEXT, Converter, FormatResult, Kind, written
from lib.formats.shop import UTC_TIMES, counted, customers_of, main_currency, person_ids, set_apart
from lib.model import Note, conform

FORMAT = "stripe"
FILE_KIND = "payments"

KINDS = (
    Kind(
        FORMAT,
        FILE_KIND,
        "Stripe payments export",
        ("id", "Created (UTC)", "Amount", "Amount Refunded", "Currency", "Status"),
        aliases={"Created (UTC)": ("Created date (UTC)", "Created")},
    ),
)


def build(
    found: dict[str, pl.DataFrame],
    files: dict[str, str],
    parts: Mapping[str, Sequence[tuple[str, int]]] | None = None,
) -> FormatResult:
    """Canonical lines (one per charge: an order without items), orders and customers.

    A charge's revenue is its amount less what was refunded and less what a lost dispute took
    back. Amounts are read in the account's settlement currency (Converted Amount) when the export
    has it, so charges in several currencies add up; otherwise charges in other currencies than
    the main one are left out. Test-mode charges, failed charges and uncaptured ones took no
    money and are left out, each counted in a note; a charge taken back in full, by refunds or
    by a lost dispute, gets status "refunded", so it is set apart as unsold. The customer is the
    hashed Customer Email, else Stripe's Customer ID; the region is the card's billing country,
    else its issuing country.
    """
    file = files.get(FILE_KIND, FILE_KIND)
    raw = KINDS[0].rename(found[FILE_KIND])
    conv = Converter(file, (parts or {}).get(FILE_KIND, ()))
    amounts = written(raw.columns, "Converted Amount")
    converted = amounts in raw.columns and raw[amounts].null_count() < raw.height
    rows = conv.select(
        raw,
        order_id=(ID, "id"),
        ordered_at=(DATE, "Created (UTC)"),
        status=(TEXT, "Status"),
        mode=(TEXT, "Mode"),
        captured=(TEXT, "Captured"),
        amount=(NUMBER, "Amount"),
        refunded=(NUMBER, "Amount Refunded"),
        own_currency=(TEXT, "Currency"),
        converted=(NUMBER, "Converted Amount"),
        converted_refunded=(NUMBER, "Converted Amount Refunded"),
        converted_currency=(TEXT, "Converted Currency"),
        fee=(NUMBER, "Fee"),
        disputed=(NUMBER, "Disputed Amount"),
        dispute=(TEXT, "Dispute Status"),
        customer=(ID, "Customer ID"),
        email=(TEXT, "Customer Email"),
        card_country=(TEXT, "Card Address Country"),
        issue_country=(TEXT, "Card Issue Country"),
    ).with_columns(
        pl.col("status").str.to_lowercase(),
        pl.col("own_currency").str.to_uppercase(),
        pl.col("converted_currency").str.to_uppercase(),
    )
    # The address itself goes as soon as it has given its person's id.
    rows = rows.with_columns(
        pl.coalesce(person_ids(rows["email"]), "customer").alias("customer_id"),
        pl.coalesce("card_country", "issue_country").alias("region"),
    ).drop("email")
    rows = conv.drop_missing(rows, "ordered_at", "a charge needs its creation date")

    notes: list[Note] = []
    for rule, column, what, why in (
        (
            pl.col("mode").str.to_lowercase() == "test",
            "Mode",
            "test-mode charges",
            "they were made with test cards and moved no money",
        ),
        (
            pl.col("status") == "failed",
            "Status",
            "failed charges",
            "the card was declined or the payment failed, so no money moved",
        ),
        (
            pl.col("captured").str.to_lowercase() == "false",
            "Captured",
            "uncaptured charges",
            "the amount was only authorised, never taken",
        ),
    ):
        rows, noted = set_apart(rows, rule, (file, column), what=what, why=why)
        notes += noted

    if converted:
        # What Stripe settled, in the account's currency: refunds at the charge's own rate.
        rate = pl.col("converted") / pl.col("amount")
        rows = rows.with_columns(
            pl.col("converted").alias("amount"),
            pl.coalesce("converted_refunded", pl.col("refunded") * rate).alias("refunded"),
            (pl.col("disputed") * rate).alias("disputed"),
            pl.col("converted_currency").alias("currency"),
        )
        foreign = rows.filter(pl.col("own_currency") != pl.col("currency"))
        currency = rows["currency"].drop_nulls().mode().sort().first() if rows.height else ""
        if foreign.height:
            codes = ", ".join(sorted(foreign["own_currency"].drop_nulls().unique().to_list()))
            notes.append(
                Note(
                    file,
                    "Converted Amount",
                    f"{fmt.counted(foreign.height, 'charge')} in other currencies ({codes}) "
                    f"{fmt.plural(foreign.height, 'is counted at its', 'are counted at their')} "
                    f"Converted Amount in {currency}, as Stripe settled "
                    f"{fmt.plural(foreign.height, 'it', 'them')}",
                    count=foreign.height,
                    rows=rows.height,
                )
            )
    else:
        rows, currency, noted = main_currency(
            rows.with_columns(pl.col("own_currency").alias("currency")),
            file,
            "Currency",
            "order_id",
        )
        notes += noted

    lost = (pl.col("dispute").str.to_lowercase() == "lost").fill_null(False)
    taken = pl.col("refunded").fill_null(0.0) + pl.when(lost).then(
        pl.col("disputed").fill_null(0.0)
    ).otherwise(0.0)
    # Taken back in full, by refunds or a lost dispute (to half a cent: a converted dispute is
    # the charge times a rate), the charge sold nothing: its revenue is 0, not the rate's float
    # residue (113.08 - 104.70 x 113.08 / 104.70 = -1.4e-14), which would read as a return.
    whole = taken >= pl.col("amount") - CENT
    rows = rows.with_columns(
        pl.when(whole).then(0.0).otherwise(pl.col("amount") - taken).alias("revenue"),
        pl.when(whole).then(pl.lit("refunded")).otherwise(pl.col("status")).alias("status"),
        pl.lit(False).alias("is_return"),
    )
    notes += _summary_notes(rows, file, currency)
    orders = rows.select("order_id", "customer_id", "ordered_at", "status", "revenue")
    customers = customers_of(rows)
    return FormatResult(
        {
            "lines": conform("lines", rows),
            "orders": conform("orders", orders),
            "customers": conform("customers", customers),
        },
        notes=(*conv.notes, *notes),
        currency=currency or "",
    )


def _summary_notes(rows: pl.DataFrame, file: str, currency: str) -> list[Note]:
    """Refunds and lost disputes netted, fees kept apart, charges with no customer, no items."""
    unsold = pl.col("status") == "refunded"
    partial = (pl.col("refunded").fill_null(0.0) > 0) & ~unsold
    lost = (pl.col("dispute").str.to_lowercase() == "lost").fill_null(False)
    # Charges no sale because a lost dispute took back what refunds left; the others were
    # refunded in full.
    lost_full = unsold & lost & (pl.col("refunded").fill_null(0.0) < pl.col("amount") - CENT)
    stats = rows.select(
        (unsold & ~lost_full).sum().alias("full"),
        partial.sum().alias("partial"),
        pl.col("refunded").filter(partial).sum().alias("partial_amount"),
        lost.sum().alias("lost"),
        lost_full.sum().alias("lost_full"),
        pl.col("disputed").filter(lost).sum().alias("lost_amount"),
        pl.col("fee").sum().alias("fees"),
        # Every charge kept, as Data quality's 'Lines without a customer' counts them, and of
        # those the ones sold (one taken back in full is no sale), as the pages count them.
        pl.col("customer_id").is_null().sum().alias("anonymous"),
        (pl.col("customer_id").is_null() & ~unsold).sum().alias("anonymous_sold"),
    ).row(0, named=True)
    notes = counted(
        file,
        rows.height,
        [
            (
                "Amount Refunded",
                stats["partial"],
                f"{fmt.counted(stats['partial'], 'charge was', 'charges were')} partly refunded "
                f"({stats['partial_amount']:,.2f} {currency}): "
                f"{fmt.plural(stats['partial'], 'its', 'their')} revenue is what the customer kept "
                "paying",
            ),
            (
                "Amount Refunded",
                stats["full"],
                f"{fmt.counted(stats['full'], 'charge was', 'charges were')} refunded in full: "
                f"{fmt.plural(stats['full'], 'it is no sale', 'they are no sales')}",
            ),
            ("Dispute Status", stats["lost"], _lost_message(stats, currency)),
            ("Customer Email", stats["anonymous"], _anonymous_message(stats)),
        ],
    )
    notes.append(
        Note(
            file,
            "Fee",
            f"Stripe's fees ({(stats['fees'] or 0):,.2f} {currency}) are not taken off revenue; "
            "the export has no items, so pages about items and categories stay off",
        )
    )
    notes.append(Note(file, "Created (UTC)", UTC_TIMES))
    notes.append(
        Note(
            file,
            "Amount",
            "a charge is what the customer paid, so its revenue includes any shipping and tax "
            "(item prices alone, as the other exports give them, are not in a payments export)",
        )
    )
    return notes


def _lost_message(stats: dict, currency: str) -> str:
    """The lost disputes in words: what they took back, and the charges they took back in full
    (no sales, as a charge refunded in full is none)."""
    n, whole = stats["lost"], stats["lost_full"]
    said = (
        f"{fmt.counted(n, 'charge')} lost a dispute ({stats['lost_amount']:,.2f} {currency} "
        "taken back)"
    )
    if not whole:
        return f"{said}: it is taken off {fmt.plural(n, 'its', 'their')} revenue"
    if whole == n:
        return (
            f"{said}, which took back the whole charge: "
            f"{fmt.plural(n, 'it is no sale', 'they are no sales')}, as a charge refunded in "
            "full is none"
        )
    return (
        f"{said}: {fmt.count(whole)} of them, taken back in full, "
        f"{fmt.plural(whole, 'is no sale', 'are no sales')}, as a charge refunded in full is "
        f"none; what the {fmt.plural(n - whole, 'other', 'others')} lost is taken off "
        f"{fmt.plural(n - whole, 'its', 'their')} revenue"
    )


def _anonymous_message(stats: dict) -> str:
    """The charges without a customer in words: all of them, as Data quality's 'Lines without a
    customer' counts them, and which of them count for revenue (the sold ones)."""
    n, sold = stats["anonymous"], stats["anonymous_sold"]
    said = (
        f"{fmt.counted(n, 'charge has', 'charges have')} neither a customer email nor a customer id"
    )
    if sold == n:
        return f"{said}: {fmt.plural(n, 'it counts', 'they count')} for revenue but for no customer"
    if not sold:
        return f"{said}: taken back in full, {fmt.plural(n, 'it is no sale', 'they are no sales')}"
    return (
        f"{said}: the {fmt.count(sold)} sold {fmt.plural(sold, 'counts', 'count')} for revenue "
        f"but for no customer; the {fmt.plural(n - sold, 'other', f'{n - sold:,} others')}, "
        f"taken back in full, {fmt.plural(n - sold, 'is no sale', 'are no sales')}"
    )
