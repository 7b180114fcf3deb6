"""Web-shop exports in the events / items / orders / users layout (the dsv1069 schema)."""

from __future__ import annotations

import polars as pl

from lib.formats.base import Converter, FormatResult, Kind
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
        "Web-shop events",
        ("event_id", "event_time", "user_id", "event_name", "parameter_name", "parameter_value"),
    ),
)


def _people(users: pl.DataFrame, conv: Converter) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(account -> person map, one row per person).

    Merged accounts point to the surviving one through parent_user_id; the person is
    coalesce(parent_user_id, id), followed through chains of merges.
    """
    accounts = pl.DataFrame(
        [
            conv.ident(users, "id").alias("user_id"),
            conv.ident(users, "parent_user_id").alias("parent"),
            conv.datetime(users, "created_at").alias("created_at"),
            conv.datetime(users, "deleted_at").alias("deleted_at"),
        ]
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
    long = pl.DataFrame(
        [
            conv.ident(raw, "event_id").alias("event_id"),
            conv.ident(raw, "user_id").alias("user_id"),
            conv.datetime(raw, "event_time").alias("event_at"),
            conv.text(raw, "event_name").alias("event_name"),
            conv.text(raw, "platform").alias("platform"),
            conv.text(raw, "parameter_name").alias("parameter_name"),
            conv.text(raw, "parameter_value").alias("parameter_value"),
        ]
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


def build(found: dict[str, pl.DataFrame], files: dict[str, str]) -> FormatResult:
    """Canonical tables from whichever web-shop files were found (keyed by kind)."""
    tables: dict[str, pl.DataFrame] = {}
    extras: dict[str, pl.DataFrame] = {}
    convs: list[Converter] = []
    notes: list[Note] = []

    def c(kind: str) -> Converter:
        conv = Converter(files.get(kind, kind))
        convs.append(conv)
        return conv

    mapping = None
    if "users" in found:
        mapping, people = _people(found["users"], c("users"))
        tables["customers"] = conform("customers", people)

    if "items" in found:
        raw = found["items"]
        conv = c("items")
        items = pl.DataFrame(
            [
                conv.ident(raw, "id").alias("item_id"),
                conv.text(raw, "name").alias("item_name"),
                conv.text(raw, "category").alias("category"),
                conv.number(raw, "price").alias("price"),
                conv.datetime(raw, "created_at").alias("created_at"),
            ]
        ).unique("item_id", keep="first", maintain_order=True)
        tables["items"] = conform("items", items)

    if "orders" in found:
        raw = found["orders"]
        conv = c("orders")
        price = conv.number(raw, "price")
        lines = pl.DataFrame(
            [
                conv.ident(raw, "invoice_id").alias("order_id"),
                conv.number(raw, "line_item_id").cast(pl.Int64).alias("line_no"),
                conv.ident(raw, "user_id").alias("customer_id"),
                conv.datetime(raw, "created_at").alias("ordered_at"),
                conv.datetime(raw, "paid_at").alias("paid_at"),
                conv.ident(raw, "item_id").alias("item_id"),
                conv.text(raw, "item_name").alias("item_name"),
                conv.text(raw, "item_category").alias("category"),
                price.alias("unit_price"),
                price.alias("revenue"),
            ]
        ).with_columns(pl.lit(1.0).alias("quantity"), pl.lit(False).alias("is_return"))
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

    for conv in convs:
        notes.extend(conv.notes)
    return FormatResult(tables, extras, tuple(notes), CURRENCY)
