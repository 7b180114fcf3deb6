"""WooCommerce orders exports: the exporter plugins' layouts, with one row per line item (order
fields repeated or left blank after an order's first row), items packed in one field, or none."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import polars as pl

from lib import fmt
from lib.formats.base import CENT, DATE, ID, NUMBER, TEXT, Converter, FormatResult, Kind, normalise
from lib.formats.shop import (
    counted,
    customers_of,
    items_of,
    main_currency,
    person_ids,
    set_apart,
    spread,
)
from lib.measures import UNSOLD_STATUSES
from lib.model import Note, conform

FORMAT = "woocommerce"
FILE_KIND = "orders"
ANALYTICS_KIND = "analytics_orders"

KINDS = (
    Kind(
        FORMAT,
        FILE_KIND,
        "WooCommerce orders export",
        ("Order Number", "Order Status", "Order Date", "Billing Email", "Order Total"),
        aliases={
            "Order Number": ("Order #", "Order ID"),
            "Order Status": ("Status",),
            "Order Date": ("Date", "Date Created"),
            "Billing Email": ("Billing Email Address", "Email (Billing)", "Customer Email"),
            "Order Total": ("Order Total Amount", "Total"),
            "Paid Date": ("Date Paid",),
            "Billing First Name": ("First Name (Billing)",),
            "Billing Last Name": ("Last Name (Billing)",),
            "Billing Country": ("Country Code (Billing)",),
            "Order Shipping": ("Shipping Total", "Order Shipping Amount"),
            "Order Tax": ("Tax Total", "Order Total Tax Amount"),
            "Cart Discount": ("Cart Discount Amount", "Discount Total"),
            "Order Currency": ("Currency",),
            "Order Refund": ("Refunded", "Refunded Total", "Order Refund Amount"),
            "Order Subtotal": ("Order Subtotal Amount",),
            "Item Name": ("Product Name",),
            "SKU": ("Item SKU",),
            "Quantity": ("Item Quantity", "Qty"),
            "Item Cost": ("Item Price",),
            "Product Categories": ("Category", "Categories"),
            "Line items": ("Items", "Products"),
        },
    ),
    # WooCommerce's own Analytics > Orders > Download: one row per order, the customer by name.
    Kind(
        FORMAT,
        ANALYTICS_KIND,
        "WooCommerce Analytics orders report",
        ("Date", "Order #", "Status", "Customer", "Net Sales"),
        aliases={"Net Sales": ("N. Revenue",)},
    ),
)
# The Analytics report's columns under the exporter plugins' names.
ANALYTICS_NAMES = {
    "Date": "Order Date",
    "Order #": "Order Number",
    "Status": "Order Status",
    "Customer": "Billing First Name",
    "Net Sales": "Order Subtotal",
}
ITEM_COLUMNS = (
    "Item #",
    "Item ID",
    "Item Name",
    "SKU",
    "Quantity",
    "Item Cost",
    "Item Subtotal",
    "Item Total",
    "Product Categories",
    "Product ID",
    "Variation ID",
)
# Statuses (their slugs) that are sales, and those that never took money.
SALE_STATUSES = ("completed", "processing", "on-hold")
NOT_PAID = {
    "pending": "the customer never paid (pending payment)",
    "failed": "the payment failed",
    "trash": "the order was deleted (in the trash)",
    "checkout-draft": "the checkout was never finished (a draft)",
    "draft": "the order is a draft",
    "auto-draft": "the order is a draft",
}
_TEST = r"^test([0-9._+-].*)?@|^(test|testing)$"


def status_slug(status: pl.Expr) -> pl.Expr:
    """'Pending payment', 'wc-on-hold', 'On hold' -> 'pending', 'on-hold', 'on-hold'."""
    slug = status.str.to_lowercase().str.strip_chars().str.strip_prefix("wc-")
    slug = slug.str.replace_all(r"[\s_]+", "-")
    return pl.when(slug == "pending-payment").then(pl.lit("pending")).otherwise(slug)


def _fill_down(raw: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Order fields copied onto an order's later rows where the export left them blank (one row
    per item, order fields on the first only), and how many rows that filled."""
    blank = raw["Order Date"].cast(pl.String).str.strip_chars().replace("", None).is_null()
    number = pl.col("Order Number").cast(pl.String).str.strip_chars().replace("", None)
    frame = raw.with_columns(number.forward_fill().alias("Order Number"))
    if not blank.any():
        return frame, 0
    order_level = [c for c in frame.columns if c not in ITEM_COLUMNS and c != "Order Number"]
    frame = frame.with_columns(
        pl.col(c).cast(pl.String).replace("", None).forward_fill().over("Order Number")
        for c in order_level
    )
    return frame, int(blank.sum())


def _packed_items(raw: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """One row per item from items packed in the order's row: a 'Line items' field with
    'name:…|sku:…|quantity:…|total:…' entries separated by ';', or numbered line_item_1, … fields
    with one entry each; and how many entries held none of those keys, left out (an order whose
    entries all are keeps its first, as an order without items)."""
    by_norm = {normalise(c): c for c in raw.columns}
    numbered = sorted(
        (c for n, c in by_norm.items() if re.fullmatch(r"lineitem\d+", n)),
        key=lambda c: int(re.sub(r"\D", "", c)),
    )
    fields = numbered or ["Line items"]
    entries = (
        raw.with_row_index("_row")
        .select("_row", pl.concat_list([pl.col(c).cast(pl.String).str.split(";") for c in fields]))
        .explode(fields[0])
        .rename({fields[0]: "_entry"})
        .filter(pl.col("_entry").str.strip_chars().str.len_chars() > 0)
    )
    pairs = (
        entries.with_row_index("_item")
        .with_columns(pl.col("_entry").str.split("|"))
        .explode("_entry")
        .with_columns(
            pl.col("_entry").str.extract(r"^\s*([^:]+):").str.to_lowercase().alias("key"),
            pl.col("_entry").str.extract(r"^[^:]+:(.*)$").alias("value"),
        )
    )
    names = {"name": "Item Name", "sku": "SKU", "quantity": "Quantity", "qty": "Quantity"}
    names |= {"subtotal": "Item Subtotal", "sub_total": "Item Subtotal", "total": "Item Total"}
    # Only the keys read become columns (the rest one column, dropped): a cell of 10,000 other
    # keys made a column of each for every item, 1.7 GB from a 79 KB file.
    known = pl.col("key").is_in(list(names))
    pairs = pairs.with_columns(pl.when(known).then("key").otherwise(pl.lit("_other")).alias("key"))
    wide = pairs.pivot("key", index=["_item", "_row"], values="value", aggregate_function="first")
    wide = wide.rename(
        {k: v for k, v in names.items() if k in wide.columns and v not in wide.columns}
    )
    keep = [c for c in ITEM_COLUMNS if c in wide.columns]
    # An entry of none of the keys read is no item (helper 167: 'k1:1;k2:1' became lines of
    # quantity 1 and no revenue, counted as units and lines).
    read = pl.any_horizontal(pl.col(c).is_not_null() for c in keep) if keep else pl.lit(False)
    first = pl.col("_item") == pl.col("_item").min().over("_row")
    kept = wide.filter(read | (~read.any().over("_row") & first))
    order = raw.drop([c for c in (*ITEM_COLUMNS, *fields) if c in raw.columns]).with_row_index(
        "_row"
    )
    items = (
        kept.select("_item", "_row", *keep)
        .join(order, on="_row")
        .sort("_item")
        .drop("_item", "_row")
    )
    return items, wide.height - kept.height


def _typed(frame: pl.DataFrame, conv: Converter) -> pl.DataFrame:
    """Typed columns, with NUMBER columns absent from the export read as null."""
    return conv.select(
        frame,
        order_id=(ID, "Order Number"),
        status=(TEXT, "Order Status"),
        ordered_at=(DATE, "Order Date"),
        paid_at=(DATE, "Paid Date"),
        email=(TEXT, "Billing Email"),
        first=(TEXT, "Billing First Name"),
        last=(TEXT, "Billing Last Name"),
        region=(TEXT, "Billing Country"),
        currency=(TEXT, "Order Currency"),
        total=(NUMBER, "Order Total"),
        subtotal=(NUMBER, "Order Subtotal"),
        shipping=(NUMBER, "Order Shipping"),
        tax=(NUMBER, "Order Tax"),
        discount=(NUMBER, "Cart Discount"),
        refund=(NUMBER, "Order Refund"),
        item_id=(ID, "SKU"),
        item_name=(TEXT, "Item Name"),
        category=(TEXT, "Product Categories"),
        quantity=(NUMBER, "Quantity"),
        cost=(NUMBER, "Item Cost"),
        item_subtotal=(NUMBER, "Item Subtotal"),
        item_total=(NUMBER, "Item Total"),
    )


def build(
    found: dict[str, pl.DataFrame],
    files: dict[str, str],
    parts: Mapping[str, Sequence[tuple[str, int]]] | None = None,
) -> FormatResult:
    """Canonical lines, orders, customers and items from a WooCommerce orders export.

    A line's revenue is its item revenue (Item Subtotal, else Item Cost × Quantity) less its
    share of the order's Cart Discount (or WooCommerce's Item Total, which is after discounts)
    and less its share of a partial refund's item part (the refund in proportion to the items'
    share of the Order Total), shares in proportion to the lines' revenue; an
    export without items gives one line per order (Order Subtotal less discount, else Order
    Total less shipping and tax). Shipping and taxes are reported apart. Completed, processing
    and on-hold orders are sales; refunded and cancelled ones keep that status, so they are set
    apart as unsold, and so is an order whose refund takes back all its item revenue; pending,
    failed, draft and trashed orders never took money and are left out, as are test orders and
    orders in other currencies than the main one, each counted in a note. Customers are hashed
    billing emails, else hashed billing names; the region is the billing country; an item's
    category is the first of its Product Categories.

    WooCommerce's own Analytics orders report (one row per order, the customer by name, Net
    Sales already net of coupons and refunds) gives one line per order with its Net Sales; it is
    read only when no exporter plugin's file is loaded beside it.
    """
    kind = FILE_KIND if FILE_KIND in found else ANALYTICS_KIND
    file = files.get(kind, kind)
    conv = Converter(file, (parts or {}).get(kind, ()))
    if kind == FILE_KIND:
        raw = KINDS[0].rename(found[kind])
    else:
        raw = KINDS[1].rename(found[kind]).rename(ANALYTICS_NAMES)
    raw, filled = _fill_down(raw)
    packed = "Line items" in raw.columns or any(
        re.fullmatch(r"lineitem\d+", normalise(c)) for c in raw.columns
    )
    unread = 0
    if packed:
        raw, unread = _packed_items(raw)
    rows = _typed(raw, conv)
    has_items = (
        rows["item_name"].null_count() < rows.height or rows["item_id"].null_count() < rows.height
    )
    names = rows.select(pl.concat_str("first", "last", separator=" ", ignore_nulls=True))
    rows = rows.with_columns(
        status_slug(pl.col("status")).alias("status"),
        person_ids(rows["email"], names.to_series()),
        pl.col("category")
        .str.split("|")
        .list.first()
        .str.split(",")
        .list.first()
        .str.strip_chars(),
    )
    rows = conv.drop_missing(rows, "ordered_at", "an order needs its date")

    notes: list[Note] = []
    if kind == FILE_KIND and ANALYTICS_KIND in found:
        notes.append(
            Note(
                files.get(ANALYTICS_KIND, ANALYTICS_KIND),
                "Net Sales",
                f"not read: {file} holds the same orders with their items and emails",
            )
        )
    if unread:
        notes.append(
            Note(
                file,
                "Line items",
                f"{fmt.counted(unread, 'packed item entry', 'packed item entries')} held none of "
                "name, sku, quantity or totals: left out, as no item",
                count=unread,
            )
        )
    if filled:
        notes.append(
            Note(
                file,
                "Order Number",
                f"{filled:,} item rows left the order's fields blank (one row per item, order "
                "fields on the first): they were filled from the order's first row",
                count=filled,
                rows=rows.height,
            )
        )
    test = pl.any_horizontal(
        pl.col("email").str.to_lowercase().str.contains(_TEST),
        pl.col("first").str.to_lowercase().str.contains(_TEST),
        pl.col("last").str.to_lowercase().str.contains(_TEST),
    )
    rows, noted = set_apart(
        rows,
        test,
        (file, "Billing Email"),
        what="test orders",
        why="their buyer is named or addressed 'test', so the shop placed them to try its checkout",
    )
    notes += noted
    for slug, why in NOT_PAID.items():
        rows, noted = set_apart(
            rows, pl.col("status") == slug, (file, "Order Status"), what=f"{slug} orders", why=why
        )
        notes += noted
    rows, currency, noted = main_currency(rows, file, "Order Currency", "order_id")
    notes += noted

    rows = _revenue(rows, has_items)
    if not has_items:
        rows = rows.drop("item_id", "item_name", "category", "quantity")
    notes += _summary_notes(rows, file, currency)
    orders = rows.group_by("order_id", maintain_order=True).agg(
        pl.col("customer_id").first(),
        pl.col("ordered_at").min(),
        pl.col("paid_at").min(),
        pl.col("status").first(),
        pl.col("revenue").sum(),
        pl.col("shipping").first().alias("freight"),
    )
    customers = customers_of(rows)
    tables = {
        "lines": conform("lines", rows),
        "orders": conform("orders", orders),
        "customers": conform("customers", customers),
    }
    if has_items:
        tables["items"] = conform("items", items_of(rows, "category"))
    return FormatResult(tables, notes=(*conv.notes, *notes), currency=currency)


def _revenue(rows: pl.DataFrame, has_items: bool) -> pl.DataFrame:
    """Lines with revenue net of discounts and partial refunds, unit price, is_return."""
    order = "order_id"
    if has_items:
        quantity = pl.col("quantity").fill_null(1.0)
        gross = pl.coalesce("item_subtotal", pl.col("cost") * quantity, "item_total")
        discounted = pl.coalesce(
            "item_total", gross - spread(pl.col("discount").first().over(order), gross, order)
        )
        rows = rows.with_columns(
            gross.alias("_gross"),
            discounted.alias("_net"),
            (gross / quantity).alias("unit_price"),
            quantity.alias("quantity"),
        )
    else:
        net = pl.coalesce(
            pl.col("subtotal") - pl.col("discount").fill_null(0.0),
            pl.col("total") - pl.col("shipping").fill_null(0.0) - pl.col("tax").fill_null(0.0),
        )
        rows = rows.with_columns(net.alias("_net"))
    # A partial refund comes off the lines in proportion to their revenue (never below zero);
    # an order refunded in full keeps its revenue and its status sets it apart. The refund is of
    # the order's total: the items' part of it is their share of that total (the rest was
    # shipping and tax, reported apart), as Shopify's refunds give it line by line. A refund
    # whose items' part leaves less than half a cent of the items' revenue (Order Refund
    # reaching the Order Total) refunded the order in full under a status of a sale: it becomes
    # refunded, so it is set apart (`refunded_whole` marks it), keeping what was ordered.
    refund = pl.col("refund").abs().first().over(order)
    partial = (pl.col("status") != "refunded") & (refund.fill_null(0.0) > 0)
    net = pl.col("_net").sum().over(order)
    total = pl.col("total").first().over(order)
    items = pl.when(total > net).then(refund * net / total).otherwise(refund)
    back = spread(pl.min_horizontal(items, net), pl.col("_net"), order)
    whole = partial & ~pl.col("status").is_in(UNSOLD_STATUSES) & (net > 0) & (net - items < CENT)
    rows = rows.with_columns(whole.fill_null(False).alias("refunded_whole"))
    return rows.with_columns(
        # A refund of all the items of an order not set apart above (cancelled, or without
        # item revenue) leaves exactly nothing: the split would leave float dust (±1e-14) whose
        # sum, near zero, turns every share upside down.
        pl.when("refunded_whole")
        .then(pl.col("_net"))
        .when(partial & (items >= net))
        .then(0.0)
        .when(partial)
        .then(pl.col("_net") - back)
        .otherwise(pl.col("_net"))
        .alias("revenue"),
        pl.when("refunded_whole").then(pl.lit("refunded")).otherwise("status").alias("status"),
        pl.col("status").alias("status_said"),
        pl.lit(False).alias("is_return"),
    )


def _summary_notes(rows: pl.DataFrame, file: str, currency: str) -> list[Note]:
    """Shipping and taxes apart, discounts and partial refunds netted, unknown statuses kept."""
    per_order = rows.group_by("order_id").agg(
        pl.col("status").first(),
        pl.col("shipping").first(),
        pl.col("tax").first(),
        pl.col("discount").first(),
        pl.col("refund").first().abs(),
        pl.col("refunded_whole").first(),
        pl.col("status_said").first(),
    )
    # Of the orders sold, as Shopify's notes count them: refunded and cancelled orders (any
    # status measures.UNSOLD_STATUSES names) are set apart, their coupons, shipping and taxes in
    # no figure.
    sold = per_order.filter(~pl.col("status").is_in(UNSOLD_STATUSES))
    partial = pl.col("refund").fill_null(0.0) > 0
    stats = sold.select(
        pl.col("shipping").sum(),
        pl.col("tax").sum(),
        (pl.col("discount").fill_null(0.0) > 0).sum().alias("discounted"),
        pl.col("discount").sum().alias("discount_amount"),
        partial.sum().alias("partial"),
        pl.col("refund").filter(partial).sum().alias("partial_amount"),
    ).row(0, named=True)
    notes = []
    if per_order["shipping"].null_count() + per_order["tax"].null_count() < 2 * per_order.height:
        notes.append(
            Note(
                file,
                "Order Shipping",
                f"shipping ({stats['shipping']:,.2f} {currency}) and taxes ({stats['tax']:,.2f} "
                f"{currency}) of the {sold.height:,} orders sold are reported apart from item "
                "revenue",
            )
        )
    notes += counted(
        file,
        sold.height,
        [
            (
                "Cart Discount",
                stats["discounted"],
                f"{fmt.counted(stats['discounted'], 'order')} had coupons "
                f"({stats['discount_amount']:,.2f} {currency}), taken off "
                f"{fmt.plural(stats['discounted'], 'its', 'their')} lines' revenue",
            ),
            (
                "Order Refund",
                stats["partial"],
                f"{fmt.counted(stats['partial'], 'order was', 'orders were')} partly refunded "
                f"({stats['partial_amount']:,.2f} "
                f"{currency}): the items' share of each refund is taken off their lines' revenue, "
                "the rest was shipping and tax",
            ),
        ],
    )
    whole = per_order.filter("refunded_whole")
    n = whole.height
    said = ", ".join(sorted(whole["status_said"].drop_nulls().unique().to_list()))
    notes += counted(
        file,
        per_order.height,
        [
            (
                "Order Refund",
                n,
                f"{fmt.counted(n, 'order was', 'orders were')} refunded in full under status "
                f"{said}: {fmt.plural(n, 'its refund', 'their refunds')} "
                f"({whole['refund'].sum():,.2f} {currency}) took back all "
                f"{fmt.plural(n, 'its', 'their')} item revenue, so "
                f"{fmt.plural(n, 'it is no sale', 'they are no sales')}, as a refunded order "
                "is none",
            )
        ],
    )
    other = per_order.filter(~pl.col("status").is_in([*SALE_STATUSES, *UNSOLD_STATUSES]))
    if other.height:
        names = ", ".join(sorted(other["status"].drop_nulls().unique().to_list()))
        notes.append(
            Note(
                file,
                "Order Status",
                f"{fmt.counted(other.height, 'order has a status', 'orders have statuses')} "
                f"WooCommerce does not define ({names}): "
                f"{fmt.plural(other.height, 'it counts as a sale', 'they count as sales')}",
                count=other.height,
                rows=per_order.height,
            )
        )
    return notes
