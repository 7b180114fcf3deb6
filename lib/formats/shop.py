"""What the shop-platform readers share: customers as hashed e-mails (one person has one id in
every platform's export), one currency, order amounts spread over their lines, and the notes that
count what a reader set apart."""

from __future__ import annotations

import hashlib

import polars as pl

from lib import fmt
from lib.formats.base import LEFT_OUT
from lib.model import Note

# Exports whose times are in UTC (Stripe, Amazon): what that means for the hour of day.
UTC_TIMES = (
    "times are in UTC, as the export gives them: hours of the day (Sales' weekday x hour) are "
    "UTC hours, not the shop's local ones"
)


def person_ids(emails: pl.Series, names: pl.Series | None = None) -> pl.Series:
    """A stable 12-hex-digit id per person: a hash of the e-mail address (trimmed, lower case),
    else of the name (when given); null when both are missing. The address itself is never kept,
    so no page, export or report can show it."""
    if names is None:
        names = pl.Series([None] * emails.len(), dtype=pl.String)
    text = pl.DataFrame({"email": emails, "name": names}).select(
        pl.when(pl.col("email").str.strip_chars() != "")
        .then("email:" + pl.col("email").str.strip_chars().str.to_lowercase())
        .when(pl.col("name").str.strip_chars() != "")
        .then(
            "name:"
            + pl.col("name").str.strip_chars().str.to_lowercase().str.replace_all(r"\s+", " ")
        )
        .alias("key")
    )["key"]
    keys = text.unique().drop_nulls().to_list()
    hashed = pl.DataFrame(
        {
            "key": keys,
            "customer_id": [hashlib.blake2b(k.encode(), digest_size=6).hexdigest() for k in keys],
        },
        schema={"key": pl.String, "customer_id": pl.String},
    )
    return text.to_frame().join(hashed, on="key", how="left", maintain_order="left")["customer_id"]


def spread(amount: pl.Expr, weight: pl.Expr, order: str) -> pl.Expr:
    """An order-level amount (the same on each of the order's rows) split over the order's lines
    in proportion to `weight`, in equal parts when the weights add up to zero."""
    total = weight.fill_null(0.0).sum().over(order)
    share = (
        pl.when(total != 0)
        .then(weight.fill_null(0.0) / total)
        .otherwise(1.0 / pl.len().over(order))
    )
    return amount.fill_null(0.0) * share


def set_apart(
    frame: pl.DataFrame,
    rule: pl.Expr,
    where: tuple[str, str],
    *,
    what: str,
    why: str,
    order: str = "order_id",
) -> tuple[pl.DataFrame, list[Note]]:
    """`frame` without the rows where `rule` holds, and a note counting them (rows and orders).

    `where` is the (file, column) the note is about, `what` names the rows ("test orders"),
    `why` says why they are no sales.
    """
    file, column = where
    out = frame.select(rule.fill_null(False)).to_series()
    count = int(out.sum())
    if not count:
        return frame, []
    orders = frame.filter(out)[order].n_unique()
    in_rows = "" if count == orders else f", in {fmt.counted(count, 'row')}"
    note = Note(
        file,
        column,
        f"{what} {LEFT_OUT} ({orders:,}{in_rows}): {why}",
        count=count,
        rows=frame.height,
    )
    return frame.filter(~out), [note]


def main_currency(
    frame: pl.DataFrame, file: str, column: str, order: str
) -> tuple[pl.DataFrame, str, list[Note]]:
    """The rows in the file's main currency (the one of most orders), its code, and a note naming
    each other currency with its orders: amounts in different currencies cannot be added, so
    those rows are left out (export them apart to read them on their own)."""
    codes = frame.select(pl.col("currency").str.to_uppercase()).to_series()
    frame = frame.with_columns(codes.alias("currency"))
    counts = (
        frame.filter(pl.col("currency").is_not_null())
        .group_by("currency")
        .agg(pl.col(order).n_unique().alias("orders"))
        .sort(["orders", "currency"], descending=[True, False])
    )
    if counts.height == 0:
        return frame, "", []
    main = counts["currency"][0]
    if counts.height == 1:
        return frame, main, []
    others = ", ".join(f"{c} ({n:,} orders)" for c, n in counts.slice(1).iter_rows())
    kept, notes = set_apart(
        frame,
        pl.col("currency") != main,
        (file, column),
        what=f"orders in other currencies than {main}",
        why=f"amounts in several currencies cannot be added ({others}); every figure is in "
        f"{main}. Export each currency apart to read it on its own",
        order=order,
    )
    return kept, main, notes


def counted(file: str, rows: int, found: list[tuple[str, int, str]]) -> list[Note]:
    """A Note of `file` for each (column, count, message) whose count is not zero, out of `rows`."""
    return [
        Note(file, column, message, count=count, rows=rows)
        for column, count, message in found
        if count
    ]


def customers_of(lines: pl.DataFrame, *latest: str) -> pl.DataFrame:
    """One row per customer of `lines`: their latest known region (and `latest` columns), and
    created_at, their first order (the exports have no sign-up date)."""
    return (
        lines.filter(pl.col("customer_id").is_not_null())
        .sort("ordered_at", maintain_order=True)
        .group_by("customer_id", maintain_order=True)
        .agg(
            *(pl.col(c).drop_nulls().last() for c in ("region", *latest)),
            pl.col("ordered_at").min().alias("created_at"),
        )
    )


def items_of(lines: pl.DataFrame, *first: str) -> pl.DataFrame:
    """One row per item of `lines`: the first item_name (and `first` columns) each names."""
    return (
        lines.filter(pl.col("item_id").is_not_null())
        .group_by("item_id", maintain_order=True)
        .agg(pl.col(c).drop_nulls().first() for c in ("item_name", *first))
    )
