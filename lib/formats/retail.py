"""Online Retail invoice lines (UCI layout, old and new column names)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import polars as pl

from lib.formats.base import DATE, ID, NUMBER, TEXT, Converter, FormatResult, Kind
from lib.model import conform

FORMAT = "retail"
CURRENCY = "GBP"

KINDS = (
    Kind(
        FORMAT,
        "invoice_lines",
        "Online Retail invoice lines",
        ("InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"),
        aliases={
            "InvoiceNo": ("Invoice",),
            "UnitPrice": ("Price",),
            "CustomerID": ("Customer ID",),
        },
    ),
)


def build(
    found: dict[str, pl.DataFrame],
    files: dict[str, str],
    parts: Mapping[str, Sequence[tuple[str, int]]] | None = None,
    needs: Collection[str] | None = None,
) -> FormatResult:
    """Canonical lines, orders (one per invoice), customers and items from invoice lines.

    `parts` (kind -> (file, rows) per stacked file) lets each file's values be read on its own.
    `needs`: the tables the caller reads (None: all); lines are always built. Leaving orders out
    changes no line: a cancelled invoice holds only returns, which the split of unsold orders'
    lines (measures.split_unsold) keeps.
    """
    raw = KINDS[0].rename(found["invoice_lines"])
    conv = Converter(
        files.get("invoice_lines", "invoice_lines"), (parts or {}).get("invoice_lines", ())
    )
    lines = conv.select(
        raw,
        order_id=(ID, "InvoiceNo"),
        customer_id=(ID, "CustomerID"),
        ordered_at=(DATE, "InvoiceDate"),
        item_id=(ID, "StockCode"),
        item_name=(TEXT, "Description"),
        quantity=(NUMBER, "Quantity"),
        unit_price=(NUMBER, "UnitPrice"),
        region=(TEXT, "Country"),
    ).with_columns(
        (pl.col("quantity") * pl.col("unit_price")).alias("revenue"),
        # Invoice numbers starting with C are cancellations: returns, not sales.
        pl.col("order_id").str.starts_with("C").fill_null(False).alias("is_return"),
    )
    lines = conv.drop_missing(lines, "ordered_at", "a line needs its invoice date")
    # Revenue is quantity x unit price: without either a line sells an unknown amount.
    for column in ("quantity", "unit_price"):
        lines = conv.drop_missing(lines, column, "a line's revenue is its quantity x unit price")
    # The group-bys read only the columns they need (lazily: no copy of the other lines' columns),
    # and run at once, side by side.
    orders = (
        lines.lazy()
        .group_by("order_id", maintain_order=True)
        .agg(
            pl.col("customer_id").first(),
            pl.col("ordered_at").min(),
            pl.col("revenue").sum(),
            pl.when(pl.col("is_return").first())
            .then(pl.lit("cancelled"))
            .otherwise(pl.lit("invoiced"))
            .alias("status"),
        )
    )
    customers = (
        lines.lazy()
        .filter(pl.col("customer_id").is_not_null())
        .group_by("customer_id", "region")
        .agg(pl.len().alias("n"), pl.col("ordered_at").min().alias("created_at"))
        .sort(["customer_id", "n", "region"], descending=[False, True, False])
        .group_by("customer_id", maintain_order=True)
        .agg(pl.col("region").first(), pl.col("created_at").min())
    )
    # Every stock code is an item, named by its most frequent description (some have none).
    items = (
        lines.lazy()
        .filter(pl.col("item_id").is_not_null())
        .group_by("item_id", "item_name")
        .agg(pl.len().alias("n"))
        .sort(
            [pl.col("item_id"), pl.col("item_name").is_null(), pl.col("n"), pl.col("item_name")],
            descending=[False, False, True, False],
        )
        .group_by("item_id", maintain_order=True)
        .agg(pl.col("item_name").first())
    )
    derived = {"orders": orders, "customers": customers, "items": items}
    wanted = [name for name in derived if needs is None or name in needs]
    built = pl.collect_all([derived[name] for name in wanted])
    return FormatResult(
        {
            "lines": conform("lines", lines),
            **{name: conform(name, frame) for name, frame in zip(wanted, built, strict=True)},
        },
        notes=tuple(conv.notes),
        currency=CURRENCY,
    )
