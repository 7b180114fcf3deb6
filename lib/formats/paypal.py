"""PayPal activity download (Activity -> Download, CSV): one row per movement of the balance:
payments received, refunds, reversals, fees, currency conversions, holds, withdrawals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from lib import fmt
from lib.formats.base import (
    CENT,
    DATE,
    ID,
    LEFT_OUT,
    NUMBER,
    TEXT,
    Converter,
    FormatResult,
    Kind,
    normalise,
)
from lib.formats.shop import counted, customers_of, main_currency, person_ids, set_apart
from lib.model import Note, conform

FORMAT = "paypal"
FILE_KIND = "activity"

# PayPal writes its downloads in the account's language: the English names, then the German,
# French and Spanish ones (as PayPal writes them; accents and spaces do not count). The shorter
# layout of the newer activity report names the type 'Description' and has no Status. Files of
# several layouts or languages stacked have a field under several names: _merged joins them.
NAMES: dict[str, tuple[str, ...]] = {
    "Date": ("Datum", "Fecha"),
    "Time": ("Uhrzeit", "Heure", "Hora"),
    "TimeZone": ("Time Zone", "Zeitzone", "Fuseau horaire", "Zona horaria"),
    "Type": ("Typ", "Tipo", "Description", "Beschreibung", "Descripción"),
    "Status": ("État", "Estado"),
    "Currency": ("Währung", "Devise", "Divisa"),
    "Gross": ("Brutto", "Avant commission", "Bruto"),
    "Fee": ("Gebühr", "Entgelt", "Commission", "Comisión", "Tarifa"),
    "Net": ("Netto", "Neto"),
    "Transaction ID": ("Transaktionscode", "Numéro de transaction", "Id. de transacción"),
    "Reference Txn ID": (
        "Zugehöriger Transaktionscode",
        "Numéro de la transaction de référence",
        "Ref Transaktionscode",
        "Id. de referencia de trans.",
    ),
    "Balance Impact": ("Auswirkung auf Guthaben", "Repercusiones en el saldo"),
    "Shipping and Handling Amount": (
        "Versand- und Bearbeitungsgebühr",
        "Montant des frais de livraison et de traitement",
        "Importe de envío y manipulación",
    ),
    "Sales Tax": ("Umsatzsteuer", "TVA", "Impuesto de ventas"),
    "Insurance Amount": ("Versicherungsbetrag",),
    "Name": ("Nom", "Nombre"),
    "From Email Address": (
        "Absender E-Mail-Adresse",
        "Adresse email de l'expéditeur",
        "De l'adresse email",
        "Correo electrónico del remitente",
        "Remitente",
    ),
    "Item Title": ("Artikelbezeichnung", "Titre de l'objet"),
    "Item ID": ("Artikelnummer", "Numéro de l'objet"),
    "Quantity": ("Anzahl", "Quantité", "Cantidad"),
    # The buyer's country: two letters. The longer layouts' 'Country Code' ('Ländervorwahl' in
    # German: a dialling code) is read only where it holds two letters.
    "Transaction Buyer Country Code": (
        "Ländercode des Käufers",
        "Code du pays de l'acheteur pour cette transaction",
    ),
    "Country Code": ("Ländervorwahl",),
    "Country": ("Land", "Pays", "País"),
}

KINDS = (
    Kind(
        FORMAT,
        FILE_KIND,
        "PayPal activity download",
        ("Date", "Time", "TimeZone", "Type", "Currency", "Gross", "Net", "Transaction ID"),
        aliases=NAMES,
    ),
)

# Types of money received for a sale (lower case, as PayPal names them in its activity download
# and its older history log, in English, German, French and Spanish): a row is a sale when its
# type has one of these words and none of NOT_SALE, and its gross is above zero (a payment sent
# to a supplier is negative).
SALE_WORDS = ("payment", "received", "zahlung", "erhalten", "paiement", "reçu", "pago", "recibido")
# A card payment the shop keyed in PayPal's Virtual Terminal ('Virtual Terminal Transaction';
# PayPal's event code T0012, 'Virtual terminal payment') is a payment received.
SALE_WORDS += ("virtual terminal",)
NOT_SALE = ("refund", "reversal", "chargeback", "hold", "conversion", "withdraw", "transfer")
NOT_SALE += ("fee", "cancel", "sent", "deposit", "authori", "adjustment", "item", "update")
NOT_SALE += ("debit card", "mass pay")  # card cashback, payouts to the account
NOT_SALE += ("release", "suspension", "déblocage", "freigabe", "liberaci")  # holds released
NOT_SALE += ("rückzahl", "erstatt", "rückbuch", "rücklastschrift", "einbehalt", "umrechnung")
NOT_SALE += ("abbuchung", "auszahlung", "gutschrift", "überweisung", "gebühr", "storn")
NOT_SALE += ("autorisierung", "kontobewegung", "aktualisierung", "gesendet")
NOT_SALE += ("rembours", "annul", "rétrofactur", "réserve", "retrait", "virement", "frais")
NOT_SALE += ("commission", "envoy", "autoris", "mise à jour", "dépôt")
NOT_SALE += ("reembolso", "devoluci", "contracargo", "retenci", "conversi", "retir")
NOT_SALE += ("transferencia", "tarifa", "comisi", "enviado", "autoriza", "anula")
NOT_SALE += ("actualiza", "depósito", "masivo")
# Rows that take money back from a sale (or give it back: a chargeback reversed), found by their
# Reference Txn ID; never a fee (a chargeback's or its reversal) nor a hold and its release.
TAKEN_BACK = ("refund", "reversal", "chargeback", "rückzahlung", "erstattung", "rückbuchung")
TAKEN_BACK += ("rembours", "rétrofactur", "reembolso", "devoluci", "contracargo")
NOT_TAKEN = ("fee", "hold", "gebühr", "einbehalt", "frais", "commission", "réserve", "tarifa")
NOT_TAKEN += ("comisi", "retenci", "release", "suspension", "déblocage", "freigabe", "liberaci")
# Statuses of a payment that moved no money (yet): left out, each counted.
NO_MONEY = {
    "pending": "pending payments",
    "ausstehend": "pending payments",
    "en attente": "pending payments",
    "pendiente": "pending payments",
    "denied": "denied payments",
    "abgelehnt": "denied payments",
    "refusé": "denied payments",
    "denegado": "denied payments",
    "rechazado": "denied payments",
    "failed": "failed payments",
    "fehlgeschlagen": "failed payments",
    "échoué": "failed payments",
    "fallido": "failed payments",
    "canceled": "cancelled payments",
    "cancelled": "cancelled payments",
    "storniert": "cancelled payments",
    "abgebrochen": "cancelled payments",
    "annulé": "cancelled payments",
    "cancelado": "cancelled payments",
    "unclaimed": "unclaimed payments",
    "uncleared": "uncleared payments",
}
# A payment reversed (a chargeback the buyer won) kept no money: set apart as unsold.
REVERSED = ("reversed", "refunded", "erstattet", "zurückerstattet", "rückerstattet")
REVERSED += ("rückgängig gemacht", "remboursé", "reembolsado", "revertido")
# A row that moved no money: a status of NO_MONEY, or 'Memo' in Balance Impact (both in lower
# case). A payment so is left out; a refund or reversal so is taken off nothing.
MOVED_NONE = (pl.col("status").is_in(list(NO_MONEY)) | (pl.col("impact") == "memo")).fill_null(
    False
)


def build(
    found: dict[str, pl.DataFrame],
    files: dict[str, str],
    parts: Mapping[str, Sequence[tuple[str, int]]] | None = None,
) -> FormatResult:
    """Canonical lines (one per payment received, with its item where the row names one),
    orders and customers.

    A sale is a payment received (SALE_WORDS, none of NOT_SALE, gross above zero) that moved
    money: pending, denied, failed, cancelled and unclaimed ones are left out and counted, and
    so are rows marked 'Memo' in Balance Impact (no balance moved; MOVED_NONE). Its revenue is
    the item revenue: gross less its shipping, sales tax and insurance (reported as the order's
    freight), less what refunds, reversals and chargebacks referring to it (Reference Txn ID)
    took back, those that moved no money (MOVED_NONE) apart; a payment whose refunds took back
    all its item revenue, or reversed, is set apart as unsold. Fees are not taken off (a note
    gives their sum). Currency conversions, withdrawals, holds, transfers and payments sent are
    no sales: a note counts them by type; rows repeated by overlapping downloads count once
    (_repeats). Payments in other currencies than the main one are left out (main_currency).
    The customer is the hashed From Email Address, else the name; the region is the buyer's
    country code, else their country. Times are in the account's time zone, as the file's
    TimeZone says. Downloads in German, French and Spanish read the same (NAMES; their dates
    day first), and notes name the file's own columns.
    """
    file = files.get(FILE_KIND, FILE_KIND)
    raw, said = _merged(found[FILE_KIND])
    conv = Converter(file, (parts or {}).get(FILE_KIND, ()))
    # The date and time as one value, under the file's name for its date.
    raw = raw.with_columns(
        pl.concat_str(
            [_days_first(raw, said), pl.col(said["Time"]).cast(pl.String)], separator=" "
        ).alias(said["Date"])
    )
    rows = conv.select(
        raw,
        order_id=(ID, said["Transaction ID"]),
        reference=(ID, said["Reference Txn ID"]),
        ordered_at=(DATE, said["Date"]),
        type=(TEXT, said["Type"]),
        status=(TEXT, said["Status"]),
        impact=(TEXT, said["Balance Impact"]),
        currency=(TEXT, said["Currency"]),
        gross=(NUMBER, said["Gross"]),
        fee=(NUMBER, said["Fee"]),
        shipping=(NUMBER, said["Shipping and Handling Amount"]),
        tax=(NUMBER, said["Sales Tax"]),
        insurance=(NUMBER, said["Insurance Amount"]),
        name=(TEXT, said["Name"]),
        email=(TEXT, said["From Email Address"]),
        item_id=(ID, said["Item ID"]),
        item_name=(TEXT, said["Item Title"]),
        quantity=(NUMBER, said["Quantity"]),
        buyer_code=(TEXT, said["Transaction Buyer Country Code"]),
        country_code=(TEXT, said["Country Code"]),
        country=(TEXT, said["Country"]),
        zone=(TEXT, said["TimeZone"]),
    ).with_columns(
        pl.col("type").str.to_lowercase().str.strip_chars().fill_null(""),
        pl.col("status").str.to_lowercase().str.strip_chars(),
        pl.col("impact").str.to_lowercase().str.strip_chars(),
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
    rows, notes = _repeats(rows, raw, file, said)
    notes += _other_rows(rows, file, said)
    sales = conv.drop_missing(
        rows.filter("_sale"), "ordered_at", "a payment needs its date and time"
    )
    for what in dict.fromkeys(NO_MONEY.values()):
        sales, noted = set_apart(
            sales,
            pl.col("status").is_in([s for s, w in NO_MONEY.items() if w == what]),
            (file, said["Status"]),
            what=what,
            why="they moved no money yet and may still fail"
            if what == NO_MONEY["pending"]
            else "they moved no money",
        )
        notes += noted
    if said["Status"] not in raw.columns and sales.height:
        notes.append(
            Note(
                file,
                said["Type"],
                "the file gives no status (the activity report's shorter layout, which lists "
                "what moved the balance): every payment received in it counts as completed",
            )
        )
    sales, noted = set_apart(
        sales,
        pl.col("impact") == "memo",
        (file, said["Balance Impact"]),
        what="payments marked 'Memo'",
        why="PayPal lists them for information: they moved no balance",
    )
    notes += noted
    sales, currency, noted = main_currency(sales, file, said["Currency"], "order_id")
    notes += noted
    backs = rows.filter(pl.col("_back") & (pl.col("currency") == currency))
    notes += _idle(
        backs, file, said["Status"] if said["Status"] in raw.columns else said["Balance Impact"]
    )
    backs = backs.filter(~MOVED_NONE)
    taken = backs.filter(pl.col("reference").is_not_null())

    refunds = taken.group_by(pl.col("reference").alias("order_id")).agg(
        pl.col("gross").sum().alias("refunded")  # negative: money back to the buyer
    )
    matched = refunds.join(sales.select("order_id"), on="order_id", how="semi")
    notes += _orphans(refunds, matched, taken, file, currency, said=said)
    listed = said["Reference Txn ID"] in raw.columns
    notes += _unnamed(backs, file, currency, said, listed=listed)
    extras = pl.sum_horizontal(
        # The shorter layout writes the tax included in a payment as a negative amount.
        pl.col(c).fill_null(0.0).abs()
        for c in ("shipping", "tax", "insurance")
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
            # Refunded in full when the refunds took back all the item revenue (a refund of
            # the items alone leaves the shipping, which is no revenue).
            pl.when(
                pl.col("status").is_in(REVERSED)
                | (
                    (pl.col("refunded") > 0)
                    & (pl.col("refunded") >= pl.col("gross") - pl.col("freight") - CENT)
                )
            )
            .then(pl.lit("refunded"))
            .otherwise(pl.lit("completed"))
            .alias("status"),
            pl.coalesce(
                "buyer_code",
                pl.when(pl.col("country_code").str.contains(r"^\s*[A-Za-z]{2}\s*$")).then(
                    "country_code"
                ),
                "country",
            ).alias("region"),
            pl.coalesce("item_id", "item_name").alias("item_id"),
            pl.when(pl.col("quantity") > 0).then("quantity").alias("quantity"),
            pl.lit(False).alias("is_return"),
        )
        .with_columns((pl.col("revenue") / pl.col("quantity")).alias("unit_price"))
    )
    notes += _summary_notes(
        sales, file, currency, said, said["Reference Txn ID"] if listed else said["Status"]
    )
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


def _merged(raw: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, str]]:
    """`raw` with each field's columns in one, and the file's own name of each field (NAMES'
    English name when the file has none), so that notes name the columns as the user's file does.

    Files of several layouts or languages stacked (an English download and a German one, the
    longer layout and the shorter) hold a field under several names, each empty on the other
    files' rows: they are joined under the first.
    """
    said, joined, gone = {}, [], []
    for name, others in NAMES.items():
        names = {normalise(n) for n in (name, *others)}
        present = [c for c in raw.columns if normalise(c) in names]
        said[name] = present[0] if present else name
        if len(present) > 1:
            joined.append(pl.coalesce(pl.col(c).cast(pl.String) for c in present).alias(present[0]))
            gone += present[1:]
    return raw.with_columns(joined).drop(gone), said


# Time zones of accounts that write their days first ('03/02/2024' is 3 February): Europe,
# Africa, Australia and their abbreviations. An English download's slash dates are read day
# first in these; outside English every download writes its days first.
_DAYS_FIRST = (
    r"(?i)^\s*((europe|africa|australia|atlantic)/.*|gmt|bst|wet|west|cet|cest|met|mest|eet|eest"
    r"|msk|ist|aest|aedt|acst|acdt|awst|nzst|nzdt)\s*$"
)


def _days_first(raw: pl.DataFrame, said: Mapping[str, str]) -> pl.Expr:
    """The file's dates as text, with slash dates of accounts that write their days first
    rewritten with dots ('03/02/2024' -> '03.02.2024'), which parse reads day first."""
    day = pl.col(said["Date"]).cast(pl.String)
    if normalise(said["Time"]) != normalise("Time"):
        first = pl.lit(True)
    elif said["TimeZone"] in raw.columns:
        first = pl.col(said["TimeZone"]).cast(pl.String).str.contains(_DAYS_FIRST)
    else:
        first = pl.lit(False)
    dotted = day.str.replace(r"^\s*(\d{1,2})/(\d{1,2})/", "${1}.${2}.")
    return pl.when(first.fill_null(False)).then(dotted).otherwise(day)


def _repeats(
    rows: pl.DataFrame, raw: pl.DataFrame, file: str, said: Mapping[str, str]
) -> tuple[pl.DataFrame, list[Note]]:
    """`rows` without the rows of `raw` (the same rows, as the file wrote them) that repeat
    another, and a note counting them: two downloads whose ranges overlap hold the same rows,
    field for field (balance included) when of one layout, under the same Transaction ID when of
    two (the longer layout and the shorter) or when the payment moved on between them (pending
    in the first, completed in the second). Of the copies of one id, the one furthest along is
    kept: reversed or refunded since, else one that moved money (MOVED_NONE), else the first. A
    shopping cart's item rows share their payment's Transaction ID, so the id alone tells a
    repeat only among sales and refunds."""
    first = raw.select(pl.struct(pl.all()).is_first_distinct()).to_series()
    rows = rows.filter(first).with_row_index("_at")
    paid = pl.when(pl.col("_sale") | pl.col("_back")).then(pl.col("order_id"))
    state = pl.when(MOVED_NONE).then(0).when(pl.col("status").is_in(REVERSED)).then(2).otherwise(1)
    copies = rows.select("_at", paid.alias("_paid"), state.alias("_state")).drop_nulls("_paid")
    kept = copies.sort(["_state", "_at"], descending=[True, False]).unique("_paid", keep="first")
    keep = pl.col("_at").is_in(kept["_at"].implode()) | ~pl.col("_at").is_in(
        copies["_at"].implode()
    )
    rows = rows.filter(keep).drop("_at")
    repeats = raw.height - rows.height
    if not repeats:
        return rows, []
    note = Note(
        file,
        said["Transaction ID"],
        f"rows that repeat another (downloads whose dates overlap) {LEFT_OUT} "
        f"({repeats:,}): each transaction counts once, in its latest state (completed rather "
        "than pending)",
        count=repeats,
        rows=raw.height,
    )
    return rows, [note]


def _idle(backs: pl.DataFrame, file: str, column: str) -> list[Note]:
    """A note on refunds and reversals that moved no money (pending, denied, failed, 'Memo'):
    taken off no payment, as such payments are no sales; `column` is the one that tells."""
    idle = backs.filter(MOVED_NONE).height
    if not idle:
        return []
    return [
        Note(
            file,
            column,
            f"refunds and reversals that moved no money (pending, denied, failed or 'Memo') "
            f"{LEFT_OUT} ({idle:,}): nothing was taken off the payments they name",
            count=idle,
            rows=backs.height,
        )
    ]


def _other_rows(rows: pl.DataFrame, file: str, said: Mapping[str, str]) -> list[Note]:
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
            said["Type"],
            f"rows that are no sales {LEFT_OUT} ({other.height:,}): {listed}. Only payments "
            "received are sales; refunds and reversals are taken off the payments they name",
            count=other.height,
            rows=rows.height,
        )
    ]


def _orphans(
    refunds: pl.DataFrame,
    matched: pl.DataFrame,
    taken: pl.DataFrame,
    file: str,
    currency: str,
    *,
    said: Mapping[str, str],
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
            said["Reference Txn ID"],
            f"{fmt.counted(rows, 'refund or reversal')} ({amount:,.2f} {currency}) "
            f"{fmt.plural(rows, 'names', 'name')} a payment that is not a sale of this file "
            "(made before its first day, in another currency, or left out): "
            f"{fmt.plural(rows, 'it was', 'they were')} not counted",
            count=rows,
            rows=taken.height,
        )
    ]


def _unnamed(
    backs: pl.DataFrame, file: str, currency: str, said: Mapping[str, str], *, listed: bool
) -> list[Note]:
    """A note on refunds and reversals that name no payment (their Reference Txn ID empty, or
    the file without one): not taken off any sale."""
    money_back = pl.col("reference").is_null() & (pl.col("gross") < 0)
    count, amount = backs.select(money_back.sum(), -pl.col("gross").filter(money_back).sum()).row(0)
    if not count:
        return []
    where = said["Reference Txn ID"] if listed else said["Type"]
    why = (
        f"'{where}' is empty"
        if listed
        else "the file has no column of the payment each refers to, 'Reference Txn ID' in English"
    )
    return [
        Note(
            file,
            where,
            f"{fmt.counted(count, 'refund or reversal')} ({amount:,.2f} {currency}) "
            f"{fmt.plural(count, 'names', 'name')} no payment ({why}): "
            f"{fmt.plural(count, 'it was', 'they were')} not taken off any sale, so revenue may "
            "be too high by as much",
            count=count,
            rows=backs.height,
        )
    ]


def _summary_notes(
    sales: pl.DataFrame, file: str, currency: str, said: Mapping[str, str], refunds: str
) -> list[Note]:
    """Refunds netted, payments refunded in full, fees kept apart, no customer, shipping and tax
    apart, the time zone; `refunds` is the column that tells refunds (the reference, else the
    status)."""
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
                refunds,
                stats["partial"],
                f"{fmt.counted(stats['partial'], 'payment was', 'payments were')} partly refunded "
                f"or reversed ({stats['partial_amount']:,.2f} {currency}): it is taken off "
                f"{fmt.plural(stats['partial'], 'its', 'their')} revenue",
            ),
            (
                refunds,
                stats["full"],
                f"{fmt.counted(stats['full'], 'payment was', 'payments were')} refunded or "
                "reversed in full: "
                f"{fmt.plural(stats['full'], 'it is no sale', 'they are no sales')}",
            ),
            (
                said["From Email Address"],
                stats["anonymous"],
                f"{fmt.counted(stats['anonymous'], 'payment has', 'payments have')} neither an "
                "e-mail address nor a name: "
                f"{fmt.plural(stats['anonymous'], 'it counts', 'they count')} for revenue but for "
                "no customer",
            ),
        ],
    )
    if stats["fees"]:
        notes.append(
            Note(
                file,
                said["Fee"],
                f"PayPal's fees ({-stats['fees']:,.2f} {currency}) are not taken off revenue",
            )
        )
    if stats["freight"]:
        notes.append(
            Note(
                file,
                said["Gross"],
                "a payment's revenue is its gross less its shipping, sales tax and insurance "
                f"({stats['freight']:,.2f} {currency} in all, reported as freight), as the "
                "other exports give item prices",
            )
        )
    if stats["zone"]:
        notes.append(
            Note(
                file,
                said["TimeZone"],
                f"times are in the account's time zone as the file gives it ({stats['zone']}): "
                "hours of the day (Sales' weekday x hour) are its hours",
            )
        )
    return notes
