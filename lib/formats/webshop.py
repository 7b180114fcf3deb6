"""Web-shop exports in the events / items / orders / users layout (the dsv1069 schema)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from lib import fmt
from lib.formats.base import DATE, ID, NUMBER, TEXT, Converter, Converters, FormatResult, Kind
from lib.model import Note, conform

FORMAT = "webshop"
CURRENCY = "USD"

KINDS = (
    Kind(
        FORMAT,
        "orders",
        "Web-shop order lines",
        ("invoice_id", "line_item_id", "user_id", "item_id", "price", "created_at"),
    ),
    Kind(FORMAT, "users", "Web-shop users", ("id", "parent_user_id", "created_at")),
    Kind(FORMAT, "items", "Web-shop items", ("id", "name", "category", "price")),
    Kind(
        FORMAT,
        "events",
        "Web-shop events (a row per event parameter)",
        ("event_id", "event_time", "user_id", "event_name", "parameter_name", "parameter_value"),
    ),
)


def _people(users: pl.DataFrame, conv: Converter) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(account -> person map, one row per person).

    Merged accounts point to the surviving one through parent_user_id; the person is
    coalesce(parent_user_id, id), followed through chains of merges.
    """
    accounts = conv.select(
        users,
        user_id=(ID, "id"),
        parent=(ID, "parent_user_id"),
        created_at=(DATE, "created_at"),
        deleted_at=(DATE, "deleted_at"),
    ).unique("user_id", keep="first", maintain_order=True)
    parent = accounts.select("user_id", "parent")
    mapping = parent.with_columns(pl.coalesce("parent", "user_id").alias("customer_id"))
    for _ in range(5):
        step = mapping.join(
            parent.rename({"user_id": "customer_id", "parent": "next"}),
            on="customer_id",
            how="left",
        )
        if step["next"].null_count() == step.height:
            break
        mapping = step.with_columns(pl.coalesce("next", "customer_id").alias("customer_id")).drop(
            "next"
        )
    mapping = mapping.select("user_id", "customer_id")
    people = (
        accounts.join(mapping, on="user_id")
        .group_by("customer_id", maintain_order=True)
        .agg(
            pl.col("created_at").min(),
            # The surviving account's deletion is the person's.
            pl.col("deleted_at").filter(pl.col("user_id") == pl.col("customer_id")).first(),
        )
    )
    return mapping, people


def _person(frame: pl.DataFrame, mapping: pl.DataFrame | None, column: str) -> pl.DataFrame:
    """`column` (an account id) replaced by the person behind it."""
    if mapping is None:
        return frame
    return (
        frame.join(
            mapping.rename({"user_id": column, "customer_id": "_person"}), on=column, how="left"
        )
        .with_columns(pl.coalesce("_person", column).alias(column))
        .drop("_person")
    )


def _events(
    raw: pl.DataFrame, conv: Converter, mapping: pl.DataFrame | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(one row per event, parameter-name counts). Events arrive one row per (event, parameter)."""
    long = conv.select(
        raw,
        event_id=(ID, "event_id"),
        user_id=(ID, "user_id"),
        event_at=(DATE, "event_time"),
        event_name=(TEXT, "event_name"),
        platform=(TEXT, "platform"),
        parameter_name=(TEXT, "parameter_name"),
        parameter_value=(TEXT, "parameter_value"),
    )
    parameters = (
        long.filter(pl.col("parameter_name").is_not_null())
        .group_by("parameter_name")
        .agg(pl.len().alias("rows"))
        .sort("rows", descending=True)
    )
    is_item = pl.col("parameter_name") == "item_id"
    other = pl.col("parameter_name").is_not_null() & ~is_item
    events = long.group_by("event_id", maintain_order=True).agg(
        pl.col("user_id").first(),
        pl.col("event_at").first(),
        pl.col("event_name").first(),
        pl.col("platform").first(),
        pl.col("parameter_value").filter(is_item).first().alias("item_id"),
        (pl.col("parameter_name") + "=" + pl.col("parameter_value").fill_null(""))
        .filter(other)
        .str.join("; ")
        .alias("params"),
    )
    events = _person(events, mapping, "user_id")
    events = conv.drop_missing(events, "event_at", "an event needs its time")
    return conform("events", events.with_columns(pl.col("params").replace("", None))), parameters


def build(
    found: dict[str, pl.DataFrame],
    files: dict[str, str],
    parts: Mapping[str, Sequence[tuple[str, int]]] | None = None,
) -> FormatResult:
    """Canonical tables from whichever web-shop files were found (keyed by kind).

    `parts` (kind -> (file, rows) per stacked file) lets each file's values be read on its own.
    """
    tables: dict[str, pl.DataFrame] = {}
    extras: dict[str, pl.DataFrame] = {}
    c = Converters(files, parts)
    notes: list[Note] = []

    mapping = None
    if "users" in found:
        mapping, people = _people(found["users"], c("users"))
        tables["customers"] = conform("customers", people)
        merged = mapping.filter(pl.col("user_id") != pl.col("customer_id")).height
        if merged:
            notes.append(
                Note(
                    files.get("users", "users"),
                    "parent_user_id",
                    f"{fmt.counted(merged, 'account was', 'accounts were')} merged into another: "
                    "their orders and events count for the person of the account they were "
                    "merged into",
                    count=merged,
                    rows=mapping.height,
                )
            )

    if "items" in found:
        raw = found["items"]
        conv = c("items")
        items = conv.select(
            raw,
            item_id=(ID, "id"),
            item_name=(TEXT, "name"),
            category=(TEXT, "category"),
            price=(NUMBER, "price"),
            created_at=(DATE, "created_at"),
        ).unique("item_id", keep="first", maintain_order=True)
        tables["items"] = conform("items", items)

    if "orders" in found:
        raw = found["orders"]
        conv = c("orders")
        lines = conv.select(
            raw,
            order_id=(ID, "invoice_id"),
            line_no=(NUMBER, "line_item_id"),
            customer_id=(ID, "user_id"),
            ordered_at=(DATE, "created_at"),
            paid_at=(DATE, "paid_at"),
            item_id=(ID, "item_id"),
            item_name=(TEXT, "item_name"),
            category=(TEXT, "item_category"),
            unit_price=(NUMBER, "price"),
        ).with_columns(
            pl.col("line_no").cast(pl.Int64),
            pl.col("unit_price").alias("revenue"),
            pl.lit(1.0).alias("quantity"),
            pl.lit(False).alias("is_return"),
        )
        lines = conv.drop_missing(lines, "ordered_at", "an order line needs its date")
        lines = _person(lines, mapping, "customer_id")
        if mapping is None:
            notes.append(
                Note(
                    files.get("orders", "orders"),
                    "user_id",
                    "without users.csv merged accounts count as separate customers: upload it so "
                    "each person is counted once",
                )
            )
        # An invoice holds several line items; one order per invoice.
        tables["orders"] = conform(
            "orders",
            lines.group_by("order_id", maintain_order=True).agg(
                pl.col("customer_id").first(),
                pl.col("ordered_at").min(),
                pl.col("paid_at").min(),
                pl.col("revenue").sum(),
            ),
        )
        tables["lines"] = conform("lines", lines)

    if "events" in found:
        tables["events"], extras["event_parameters"] = _events(
            found["events"], c("events"), mapping
        )

    notes.extend(c.notes())
    return FormatResult(tables, extras, tuple(notes), CURRENCY)
