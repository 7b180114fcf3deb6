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
    normalise,
)
from lib.formats.shop import counted, customers_of, main_currency, person_ids, set_apart
from lib.model import Note, conform

FORMAT = "paypal"
FILE_KIND = "activity"

# PayPal writes its downloads in the account's language: the English names, then the German,
# French and Spanish ones (as PayPal writes them; accents and spaces do not count). The shorter
# layout of the newer activity report names the type 'Description' and has no Status.
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
        "Id. de transacción de referencia",
    ),
    "Balance Impact": ("Auswirkung auf Guthaben",),
    "Shipping and Handling Amount": (
        "Versand- und Bearbeitungsgebühr",
        "Montant des frais de livraison et de traitement",
    ),
    "Sales Tax": ("Umsatzsteuer", "TVA"),
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
    "Country Code": ("Code du pays de l'acheteur pour cette transaction",),
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
NOT_SALE = ("refund", "reversal", "chargeback", "hold", "conversion", "withdraw", "transfer")
NOT_SALE += ("fee", "cancel", "sent", "deposit", "authori", "adjustment", "item", "update")
NOT_SALE += ("debit card", "mass pay")  # card cashback, payouts to the account
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
NOT_TAKEN += ("comisi", "retenci")
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
    the account's time zone, as the file's TimeZone says. Downloads in German, French and
    Spanish read the same (NAMES; their dates day first), and notes name the file's own columns.
    """
    file = files.get(FILE_KIND, FILE_KIND)
    raw = found[FILE_KIND]
    said = _own_names(raw.columns)
    conv = Converter(file, (parts or {}).get(FILE_KIND, ()))
    day = pl.col(said["Date"]).cast(pl.String)
    if normalise(said["Time"]) != normalise("Time"):
        # A download in another language than English writes its days first ('01/10/2026').
        day = day.str.replace(r"^\s*(\d{1,2})/(\d{1,2})/", "${1}.${2}.")
    stamp = f"{said['Date']} and {said['Time']}"
    raw = raw.with_columns(
        pl.concat_str([day, pl.col(said["Time"]).cast(pl.String)], separator=" ").alias(stamp)
    )
    rows = conv.select(
        raw,
        order_id=(ID, said["Transaction ID"]),
        reference=(ID, said["Reference Txn ID"]),
        ordered_at=(DATE, stamp),
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
        country_code=(TEXT, said["Country Code"]),
        country=(TEXT, said["Country"]),
        zone=(TEXT, said["TimeZone"]),
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
        pl.col("impact").str.to_lowercase().str.strip_chars() == "memo",
        (file, said["Balance Impact"]),
        what="payments marked 'Memo'",
        why="PayPal lists them for information: they moved no balance",
    )
    notes += noted
    sales, currency, noted = main_currency(sales, file, said["Currency"], "order_id")
    notes += noted
    backs = rows.filter(pl.col("_back") & (pl.col("currency") == currency))
    taken = backs.filter(pl.col("reference").is_not_null())

    refunds = taken.group_by(pl.col("reference").alias("order_id")).agg(
        pl.col("gross").sum().alias("refunded")  # negative: money back to the buyer
    )
    matched = refunds.join(sales.select("order_id"), on="order_id", how="semi")
    notes += _orphans(refunds, matched, taken, file, currency, said=said)
    notes += _unnamed(backs, file, currency, said, listed=said["Reference Txn ID"] in raw.columns)
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
    notes += _summary_notes(sales, file, currency, said)
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


def _own_names(columns: Sequence[str]) -> dict[str, str]:
    """The file's own name of each column the reader uses (NAMES' English name when the file has
    none), so that notes name the columns as the user's file does."""
    by_norm = {normalise(c): c for c in columns}
    return {
        name: next(
            (by_norm[normalise(n)] for n in (name, *others) if normalise(n) in by_norm), name
        )
        for name, others in NAMES.items()
    }


def _repeats(
    rows: pl.DataFrame, raw: pl.DataFrame, file: str, said: Mapping[str, str]
) -> tuple[pl.DataFrame, list[Note]]:
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
        said["Transaction ID"],
        f"{repeats:,} rows repeat an earlier row field for field (downloads whose dates "
        f"overlap) and {LEFT_OUT}: each transaction counts once",
        count=repeats,
        rows=rows.height,
    )
    return rows.filter(first), [note]


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
            f"{other.height:,} rows are no sales and {LEFT_OUT}: {listed}. Only payments "
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
            f"{rows:,} refunds or reversals ({amount:,.2f} {currency}) name a payment that is "
            "not a sale of this file (made before its first day, in another currency, or left "
            "out): they were not counted",
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
    where = said["Reference Txn ID"]
    why = f"'{where}' is empty" if listed else f"the file has no '{where}' column"
    return [
        Note(
            file,
            where,
            f"{count:,} refunds or reversals ({amount:,.2f} {currency}) name no payment ({why}): "
            "they were not taken off any sale, so revenue may be too high by as much",
            count=count,
            rows=backs.height,
        )
    ]


def _summary_notes(
    sales: pl.DataFrame, file: str, currency: str, said: Mapping[str, str]
) -> list[Note]:
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
                said["Reference Txn ID"],
                stats["partial"],
                f"{stats['partial']:,} payments were partly refunded or reversed "
                f"({stats['partial_amount']:,.2f} {currency}): it is taken off their revenue",
            ),
            (
                said["Reference Txn ID"],
                stats["full"],
                f"{stats['full']:,} payments were refunded or reversed in full: they are no sales",
            ),
            (
                said["From Email Address"],
                stats["anonymous"],
                f"{stats['anonymous']:,} payments have neither an e-mail address nor a name: "
                "they count for revenue but for no customer",
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
