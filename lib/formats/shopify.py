"""Shopify exports: orders (one row per line item), with the customers and products exports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from lib import fmt
from lib.formats.base import (
    CENT,
    DATE,
    ID,
    NUMBER,
    TEXT,
    Converter,
    Converters,
    FormatResult,
    Kind,
    written,
)
from lib.formats.shop import customers_of, items_of, main_currency, person_ids, set_apart, spread
from lib.measures import UNSOLD_STATUSES
from lib.model import Note, conform

FORMAT = "shopify"

KINDS = (
    Kind(
        FORMAT,
        "orders",
        "Shopify orders export",
        (
            "Name",
            "Financial Status",
            "Created at",
            "Lineitem quantity",
            "Lineitem name",
            "Lineitem price",
        ),
    ),
    Kind(
        FORMAT,
        "customers",
        "Shopify customers export",
        ("First Name", "Last Name", "Email", "Total Spent", "Total Orders"),
    ),
    Kind(
        FORMAT,
        "products",
        "Shopify products export",
        ("Handle", "Title", "Variant SKU", "Variant Price"),
    ),
)

# Fields only an order's first row carries; the order's other rows (its further line items)
# leave them blank.
_ORDER_FIELDS = (
    "email",
    "billing_name",
    "financial",
    "ordered_at",
    "paid_at",
    "shipped_at",
    "cancelled_at",
    "currency",
    "subtotal",
    "shipping",
    "taxes",
    "total",
    "discount",
    "refunded",
    "duties",
    "gateway",
    "tags",
    "city",
    "country",
    "province",
    "province_code",
)
# Test orders: paid through Shopify's Bogus Gateway, or tagged as tests.
_TEST_GATEWAY = r"(?i)bogus"
_TEST_TAG = r"(?i)(^|,)\s*test( order)?\s*(,|$)"
_AWAITING = ("pending", "authorized", "partially_paid")


def _first_per(frame: pl.DataFrame, key: str, fields: Sequence[str]) -> pl.DataFrame:
    """Each row with `fields` filled from the first non-blank value of its `key` group."""
    firsts = frame.group_by(key).agg(pl.col(fields).drop_nulls().first())
    return frame.drop(fields).join(firsts, on=key, how="left", maintain_order="left")


def _catalogue(raw: pl.DataFrame, conv: Converter, file: str) -> tuple[pl.DataFrame, list[Note]]:
    """One row per variant of the products export: item_id (its SKU, else the name orders give
    it), item_name, category (product type, else vendor), price."""
    rows = conv.select(
        raw,
        handle=(ID, "Handle"),
        title=(TEXT, "Title"),
        vendor=(TEXT, "Vendor"),
        kind=(TEXT, "Type"),
        option=(TEXT, "Option1 Value"),
        option2=(TEXT, "Option2 Value"),
        option3=(TEXT, "Option3 Value"),
        sku=(ID, "Variant SKU"),
        price=(NUMBER, "Variant Price"),
    )
    notes = []
    continued = rows.height - rows["handle"].n_unique()
    if continued:
        notes.append(
            Note(
                file,
                "Handle",
                f"{continued:,} continuation rows (a product's further variants and images) took "
                "the product's title, vendor and type from its first row",
                count=continued,
                rows=rows.height,
            )
        )
    rows = _first_per(rows, "handle", ("title", "vendor", "kind"))
    # Rows with neither a SKU nor a price hold only an extra image.
    variants = rows.filter(pl.col("sku").is_not_null() | pl.col("price").is_not_null())
    options = pl.concat_str(["option", "option2", "option3"], separator=" / ", ignore_nulls=True)
    name = (
        pl.when(pl.col("option").is_null() | (pl.col("option") == "Default Title"))
        .then(pl.col("title"))
        .otherwise(pl.col("title") + " - " + options)
    )
    items = variants.select(
        pl.coalesce("sku", name).alias("item_id"),
        name.alias("item_name"),
        pl.coalesce("kind", "vendor").alias("category"),
        "price",
    ).unique("item_id", keep="first", maintain_order=True)
    return items, notes


def _people(raw: pl.DataFrame, conv: Converter) -> pl.DataFrame:
    """One row per person of the customers export: customer_id (hashed), country, province
    code, city."""
    rows = conv.select(
        raw,
        email=(TEXT, "Email"),
        first=(TEXT, "First Name"),
        last=(TEXT, "Last Name"),
        country=(TEXT, _present(raw, "Default Address Country Code", "Country Code")),
        province=(TEXT, _present(raw, "Default Address Province Code", "Province Code")),
        city=(TEXT, _present(raw, "Default Address City", "City")),
    )
    name = pl.concat_str(["first", "last"], separator=" ", ignore_nulls=True)
    ids = person_ids(rows["email"], rows.select(name).to_series())
    return (
        rows.with_columns(ids)
        .filter(pl.col("customer_id").is_not_null())
        .select("customer_id", "country", "province", "city")
        .unique("customer_id", keep="first", maintain_order=True)
    )


def _present(raw: pl.DataFrame, *names: str) -> str:
    """The first of `names` that `raw` has (the newer layout's name first; base.written: as
    written there), else the first."""
    found = (written(raw.columns, n) for n in names)
    return next((n for n in found if n in raw.columns), names[0])


def _order_rows(raw: pl.DataFrame, conv: Converter) -> pl.DataFrame:
    """Typed rows of the orders export, one per line item, order fields as the file has them."""
    return conv.select(
        # Its dates carry the shop's UTC offset ("2024-03-05 14:22:10 +0100"), which parsing
        # leaves aside (parse.OFFSET): the shop's own clock is what weekday and hours are about.
        raw,
        order_id=(ID, "Name"),
        email=(TEXT, "Email"),
        billing_name=(TEXT, "Billing Name"),
        financial=(TEXT, "Financial Status"),
        ordered_at=(DATE, "Created at"),
        paid_at=(DATE, "Paid at"),
        shipped_at=(DATE, "Fulfilled at"),
        cancelled_at=(DATE, "Cancelled at"),
        currency=(TEXT, "Currency"),
        subtotal=(NUMBER, "Subtotal"),
        shipping=(NUMBER, "Shipping"),
        taxes=(NUMBER, "Taxes"),
        total=(NUMBER, "Total"),
        discount=(NUMBER, "Discount Amount"),
        refunded=(NUMBER, "Refunded Amount"),
        duties=(NUMBER, "Duties"),
        gateway=(TEXT, "Payment Method"),
        tags=(TEXT, "Tags"),
        city=(TEXT, "Billing City"),
        country=(TEXT, "Billing Country"),
        province=(TEXT, "Billing Province Name"),
        province_code=(TEXT, "Billing Province"),
        ship_country=(TEXT, "Shipping Country"),
        ship_province=(TEXT, "Shipping Province Name"),
        ship_province_code=(TEXT, "Shipping Province"),
        quantity=(NUMBER, "Lineitem quantity"),
        item_name=(TEXT, "Lineitem name"),
        unit_price=(NUMBER, "Lineitem price"),
        sku=(ID, "Lineitem sku"),
        line_discount=(NUMBER, "Lineitem discount"),
        vendor=(TEXT, "Vendor"),
    ).with_columns(
        # Billing address first, the shipping address where billing is blank; province names
        # where the export has them (newer exports), else their codes.
        pl.coalesce("country", "ship_country").alias("country"),
        pl.coalesce("province", "ship_province", "province_code", "ship_province_code").alias(
            "province"
        ),
        pl.coalesce("province_code", "ship_province_code").alias("province_code"),
    )


def _order_revenue(orders: pl.DataFrame) -> pl.DataFrame:
    """Orders with `revenue`: item revenue net of discounts, taxes and refunds, `item_refund`
    and `tax_included`. `_after` is the sum of the order's line totals after line discounts.

    Item revenue is the Subtotal (after line and order discounts; without one, the line totals
    less the rest of Discount Amount). Where Total leaves the taxes out (prices include them), the
    items' share of Taxes comes off. A refund comes off in the share of the order's Total the
    items make up (Refunded Amount may cover shipping and taxes too); orders that are no sale
    keep what was ordered. A refund whose items' share leaves less than half a cent of the
    items' revenue (Refunded Amount reaching the Total) refunded the order in full, whatever its
    financial status says: its status becomes refunded (`refunded_whole` marks it), so it is no
    sale and keeps what was ordered, as an order Shopify marks refunded.
    """
    rest = pl.col("discount").fill_null(0.0) - pl.col("_line_off")
    items = pl.coalesce("subtotal", pl.col("_after") - rest.clip(0.0))
    shipping, taxes = pl.col("shipping").fill_null(0.0), pl.col("taxes").fill_null(0.0)
    added = pl.col("_items") + shipping + pl.col("duties").fill_null(0.0)
    included = (
        (taxes > 0)
        & ((pl.col("total") - added).abs() < CENT)
        & ((pl.col("total") - added - taxes).abs() >= CENT)
    ).fill_null(False)
    ex_tax = (
        pl.when(pl.col("tax_included"))
        .then(pl.col("_items") - taxes * pl.col("_items") / (pl.col("_items") + shipping))
        .otherwise(pl.col("_items"))
    )
    refunded = pl.col("refunded").fill_null(0.0)
    refund = (
        pl.when(pl.col("status").is_in(UNSOLD_STATUSES))
        .then(0.0)
        .when(pl.col("total") > 0)
        .then(refunded * pl.col("_ex_tax") / pl.col("total"))
        .otherwise(refunded)
        .clip(0.0, pl.col("_ex_tax"))
    )
    whole = (pl.col("item_refund") > 0) & (pl.col("_ex_tax") - pl.col("item_refund") < CENT)
    return (
        orders.with_columns(items.alias("_items"))
        .with_columns(included.alias("tax_included"))
        .with_columns(ex_tax.alias("_ex_tax"))
        .with_columns(refund.alias("item_refund"))
        .with_columns(whole.fill_null(False).alias("refunded_whole"))
        .with_columns(
            pl.when("refunded_whole").then(pl.lit("refunded")).otherwise("status").alias("status"),
            pl.when("refunded_whole").then(0.0).otherwise("item_refund").alias("item_refund"),
        )
        .with_columns((pl.col("_ex_tax") - pl.col("item_refund")).alias("revenue"))
        .drop("_items", "_ex_tax")
    )


def _status() -> pl.Expr:
    """cancelled when the order was cancelled, else its financial status in Shopify's API
    spelling (paid, pending, authorized, partially_paid, partially_refunded, refunded, voided,
    expired)."""
    return (
        pl.when(pl.col("cancelled_at").is_not_null())
        .then(pl.lit("cancelled"))
        .otherwise(_financial())
        .alias("status")
    )


def _financial() -> pl.Expr:
    """The Financial Status in Shopify's API spelling ('Partially refunded' ->
    'partially_refunded')."""
    return pl.col("financial").str.to_lowercase().str.strip_chars().str.replace_all(" ", "_")


def _whole(orders: pl.DataFrame, refunded: int) -> str:
    """Of the `refunded` orders refunded in full, those whose financial status said otherwise
    (`refunded_whole`), in words: ' (by refunds that took back the whole Total, under financial
    status partially_refunded)'; nothing when none."""
    whole = orders.filter("refunded_whole")
    if not whole.height:
        return ""
    said = whole.select(_financial().unique().sort()).to_series().drop_nulls()
    names = ", ".join(said.to_list()) or "(none)"
    some = "" if whole.height == refunded else f"{whole.height:,} of them "
    return f" ({some}by refunds that took back the whole Total, under financial status {names})"


class _Orders:
    """The orders export read into lines, orders and the people it names, with its notes."""

    def __init__(self, raw: pl.DataFrame, conv: Converter, file: str) -> None:
        self.file = file
        self.notes: list[Note] = []
        rows = _order_rows(raw, conv)
        rows = conv.drop_missing(rows, "order_id", "a line item needs its order's Name")
        continued = rows.height - rows["order_id"].n_unique()
        if continued:
            self.note(
                "Name",
                f"{continued:,} continuation rows (an order's second and later line items, whose "
                "order fields are blank) took their order's email, status, dates, totals and "
                "addresses from its first row",
                continued,
                rows.height,
            )
        rows = _first_per(rows, "order_id", _ORDER_FIELDS)
        rows = conv.drop_missing(rows, "ordered_at", "a line item needs its order's Created at")
        test = pl.col("gateway").str.contains(_TEST_GATEWAY) | pl.col("tags").str.contains(
            _TEST_TAG
        )
        rows, noted = set_apart(
            rows,
            test,
            (file, "Payment Method"),
            what="test orders (paid through the Bogus Gateway or tagged 'test')",
            why="they are no sales",
        )
        self.notes += noted
        self.lines, self.currency, noted = main_currency(rows, file, "Currency", "order_id")
        self.notes += noted

    def note(self, column: str, message: str, count: int = 0, rows: int = 0) -> None:
        self.notes.append(Note(self.file, column, message, count=count, rows=rows))

    def tables(self, catalogue: pl.DataFrame | None) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(lines, orders) in canonical columns, regions by country or by province."""
        after = pl.col("quantity").fill_null(0.0) * pl.col("unit_price").fill_null(0.0)
        rows = self.lines.with_columns(
            (after - pl.col("line_discount").fill_null(0.0)).alias("_after"), _status()
        )
        # Several countries: regions are countries (they can be mapped); one: its provinces.
        self.by_country = rows["country"].n_unique() - rows["country"].null_count() > 1
        region = pl.col("country") if self.by_country else pl.coalesce("province", "country")
        per_order = (*_ORDER_FIELDS, "status")
        orders = rows.group_by("order_id", maintain_order=True).agg(
            pl.col(per_order).first(),
            pl.col("_after").sum(),
            pl.col("line_discount").fill_null(0.0).sum().alias("_line_off"),
        )
        orders = _order_revenue(
            orders.with_columns(
                person_ids(orders["email"], orders["billing_name"]), region.alias("region")
            )
        )
        category = pl.col("vendor")
        if catalogue is not None:
            rows = rows.join(
                catalogue.select("item_id", pl.col("category").alias("_type")),
                left_on=pl.coalesce("sku", "item_name"),
                right_on="item_id",
                how="left",
                maintain_order="left",
            )
            category = pl.coalesce("_type", "vendor")
        lines = rows.join(
            orders.select("order_id", "customer_id", "region", pl.col("revenue").alias("_net")),
            on="order_id",
            how="left",
            maintain_order="left",
        ).with_columns(
            pl.int_range(1, pl.len() + 1).over("order_id").alias("line_no"),
            pl.coalesce("sku", "item_name").alias("item_id"),
            category.alias("category"),
            pl.lit(False).alias("is_return"),
            # Each line gets its share of the order's item revenue by its total after discounts.
            spread(pl.col("_net"), pl.col("_after"), "order_id").alias("revenue"),
        )
        self._status_notes(orders)
        return lines, orders.rename({"shipping": "freight"})

    def _status_notes(self, orders: pl.DataFrame) -> None:
        n = orders.height
        counts = orders.select(
            cancelled=(pl.col("status") == "cancelled").sum(),
            voided=(pl.col("status") == "voided").sum(),
            expired=(pl.col("status") == "expired").sum(),
            refunded=(pl.col("status") == "refunded").sum(),
            partial=(pl.col("status") == "partially_refunded").sum(),
            awaiting=pl.col("status").is_in(_AWAITING).sum(),
            by_name=(pl.col("email").is_null() & pl.col("billing_name").is_not_null()).sum(),
            nobody=pl.col("customer_id").is_null().sum(),
            included=pl.col("tax_included").sum(),
        ).row(0, named=True)
        for key, column, one, many, what in (
            ("cancelled", "Cancelled at", "order was", "orders were", "cancelled"),
            (
                "voided",
                "Financial Status",
                "order has",
                "orders have",
                "a voided payment (never captured)",
            ),
            (
                "expired",
                "Financial Status",
                "order has",
                "orders have",
                "an expired payment (authorised, never captured before the authorisation lapsed)",
            ),
            (
                "refunded",
                "Financial Status",
                "order was",
                "orders were",
                "refunded in full" + _whole(orders, counts["refunded"]),
            ),
        ):
            if k := counts[key]:
                unsold = fmt.plural(k, "it is no sale", "they are no sales")
                self.note(
                    column,
                    f"{fmt.counted(k, one, many)} {what}; {unsold}, so every page leaves "
                    f"{fmt.plural(k, 'it', 'them')} out of revenue, orders and customers",
                    k,
                    n,
                )
        sold = orders.filter(~pl.col("status").is_in(UNSOLD_STATUSES))
        if counts["partial"]:
            back = sold.filter(pl.col("status") == "partially_refunded")["item_refund"].sum()
            self.note(
                "Refunded Amount",
                f"{fmt.counted(counts['partial'], 'order was', 'orders were')} partially "
                f"refunded: {fmt.money(back, self.currency)} of refunds came off "
                f"{fmt.plural(counts['partial'], 'its', 'their')} item revenue (the "
                "items' share of each refund, as they make up the order's total)",
                counts["partial"],
                n,
            )
        if counts["awaiting"]:
            self.note(
                "Financial Status",
                f"{fmt.counted(counts['awaiting'], 'order awaits', 'orders await')} payment "
                "(pending, authorized or partially paid): "
                f"{fmt.plural(counts['awaiting'], 'it counts as a sale', 'they count as sales')}",
                counts["awaiting"],
                n,
            )
        if counts["by_name"]:
            self.note(
                "Email",
                f"{fmt.counted(counts['by_name'], 'order has', 'orders have')} no email: "
                f"{fmt.plural(counts['by_name'], 'its', 'their')} customer is identified by the "
                "billing name",
                counts["by_name"],
                n,
            )
        if counts["nobody"]:
            self.note(
                "Email",
                f"{fmt.counted(counts['nobody'], 'order has', 'orders have')} neither an email "
                f"nor a billing name: {fmt.plural(counts['nobody'], 'it counts', 'they count')} "
                "for revenue, not for customer figures",
                counts["nobody"],
                n,
            )
        if counts["included"]:
            self.note(
                "Taxes",
                f"{fmt.counted(counts['included'], 'order has', 'orders have')} taxes included "
                f"in {fmt.plural(counts['included'], 'its', 'their')} prices: the items' share of "
                f"Taxes came off {fmt.plural(counts['included'], 'its', 'their')} revenue",
                counts["included"],
                n,
            )
        totals = sold.select(
            pl.col("discount").fill_null(0.0).sum(),
            pl.col("item_refund").sum(),
            pl.col("shipping").fill_null(0.0).sum(),
            pl.col("taxes").fill_null(0.0).sum(),
        ).row(0)
        cur = self.currency
        self.note(
            "Total",
            f"Revenue is item revenue after discounts ({fmt.money(totals[0], cur)}) and refunds "
            f"({fmt.money(totals[1], cur)}); shipping ({fmt.money(totals[2], cur)}) and taxes "
            f"({fmt.money(totals[3], cur)}) of the {fmt.counted(sold.height, 'order')} sold are "
            "not revenue. "
            "Customers are identified by a short hash of their email address, which is never "
            "shown or written out",
        )


def _customers(
    orders: pl.DataFrame | None, people: pl.DataFrame | None, by_country: bool
) -> pl.DataFrame:
    """One row per person: region and city from the customers export where it has them, else
    from their latest order; created_at is the first order (the export has no sign-up date)."""
    mine = None
    if orders is not None:
        mine = customers_of(orders, "city")
    if people is None:
        return mine
    # The customers export has province codes; orders name them (NY -> New York).
    names = (
        orders.select(pl.col("province_code").alias("province"), pl.col("province").alias("name"))
        .drop_nulls()
        .unique("province", keep="first")
        if orders is not None
        else pl.DataFrame(schema={"province": pl.String, "name": pl.String})
    )
    province = pl.coalesce("name", "province")
    listed = people.join(names, on="province", how="left").select(
        "customer_id",
        (pl.col("country") if by_country else pl.coalesce(province, "country")).alias("region"),
        "city",
    )
    if mine is None:
        return listed
    joined = mine.join(
        listed,
        on="customer_id",
        how="full",
        coalesce=True,
        suffix="_listed",
        maintain_order="left_right",  # one order, one fingerprint
    )
    return joined.select(
        "customer_id",
        pl.coalesce("region_listed", "region").alias("region"),
        pl.coalesce("city_listed", "city").alias("city"),
        "created_at",
    )


def build(
    found: dict[str, pl.DataFrame],
    files: dict[str, str],
    parts: Mapping[str, Sequence[tuple[str, int]]] | None = None,
) -> FormatResult:
    """Canonical lines, orders, customers and items from whichever Shopify exports were found.

    `parts` (kind -> (file, rows) per stacked file) lets each file's values be read on its own.
    """
    c = Converters(files, parts)
    notes: list[Note] = []
    tables: dict[str, pl.DataFrame] = {}

    catalogue = None
    if "products" in found:
        catalogue, made = _catalogue(
            found["products"], c("products"), files.get("products", "products")
        )
        notes += made
    people = _people(found["customers"], c("customers")) if "customers" in found else None

    currency, by_country, orders = "", True, None
    if "orders" in found:
        read = _Orders(found["orders"], c("orders"), files.get("orders", "orders"))
        lines, orders = read.tables(catalogue)
        currency, by_country = read.currency, read.by_country
        notes += read.notes
        tables["lines"] = conform("lines", lines)
        tables["orders"] = conform("orders", orders)
        from_lines = items_of(lines, "category").with_columns(
            pl.lit(None, pl.Float64).alias("price")
        )
        # Items sold that the products export lacks (deleted products) are items all the same.
        catalogue = (
            from_lines
            if catalogue is None
            else pl.concat(
                [catalogue, from_lines.join(catalogue, on="item_id", how="anti")],
                how="vertical_relaxed",
            )
        )
    elif people is not None:
        by_country = people["country"].n_unique() - people["country"].null_count() > 1
    if catalogue is not None:
        tables["items"] = conform("items", catalogue)
    if people is not None or orders is not None:
        tables["customers"] = conform("customers", _customers(orders, people, by_country))

    notes.extend(c.notes())
    return FormatResult(tables, notes=tuple(notes), currency=currency)
