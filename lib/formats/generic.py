"""Any transactions table mapped onto canonical lines through a user-checked column mapping."""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import polars as pl

from lib import fmt, measures, parse
from lib.formats.base import CENT, LEFT_OUT, FormatResult, side_by_side
from lib.formats.shop import person_ids
from lib.model import SPECS, Note, conform

FORMAT = "generic"

FIELDS: tuple[str, ...] = (
    "order_id",
    "customer_id",
    "ordered_at",
    "revenue",
    "quantity",
    "unit_price",
    "item_id",
    "item_name",
    "category",
    "region",
    "seller_id",
    "status",
    "discount",
    "refunded",
)

# The fields as the Data page labels them (messages name them so, in lower case: _said;
# recipes name them by their keys).
FIELD_LABELS: dict[str, str] = {
    "order_id": "Order id",
    "customer_id": "Customer id",
    "ordered_at": "Order date",
    "revenue": "Revenue",
    "quantity": "Quantity",
    "unit_price": "Unit price",
    "item_id": "Item id",
    "item_name": "Item name",
    "category": "Category",
    "region": "Region",
    "seller_id": "Seller id",
    "status": "Order status",
    "discount": "Discount",
    "refunded": "Refunded",
}

FIELD_HELP: dict[str, str] = {
    "order_id": (
        "Order or invoice number; leave empty to count each customer's rows on one day as one order"
    ),
    "customer_id": "Who bought (customer number, e-mail, user id); needed for customer pages",
    "ordered_at": "Date (and time) of the order; required",
    "revenue": "Amount paid for the line; leave empty to compute quantity x unit price",
    "quantity": "Units bought on the line; negative quantities count as returns",
    "unit_price": "Price of one unit; used when there is no amount column",
    "item_id": "Product code or SKU",
    "item_name": "Product name or description",
    "category": "Product category or group",
    "region": "Where the customer is: country, state or region",
    "seller_id": "Seller, vendor or store, for marketplaces",
    "status": (
        "Status of the order or line (Completed, Cancelled, Refunded...); lines whose status says "
        f"{measures.UNSOLD_KINDS} are not sales"
    ),
    "discount": (
        "Amount taken off (a coupon), when the revenue is before it; an order's discount written "
        "on each of its lines is taken once"
    ),
    "refunded": (
        "Amount paid back on an order kept (a partial refund), when the file has no return "
        "lines; an order's refund written on each of its lines is taken once"
    ),
}

MONEY = ("revenue", "unit_price")
NUMBERS = ("revenue", "quantity", "unit_price")
IDS = ("order_id", "customer_id", "item_id", "seller_id")

# Written as people name columns; normalised below. Earlier entries win ties between exact matches.
_SYNONYMS: dict[str, str] = {
    "order_id": (
        "order_id, order, order no, order number, order nr, order ref, order code, invoice, "
        "invoice no, invoice number, invoice id, transaction id, transaction, receipt, "
        "receipt no, pedido, id pedido, numero pedido, num pedido, n pedido, codigo pedido, "
        "nota fiscal, factura, numero factura, num factura, id factura, orden, numero orden, "
        "commande, numero commande, no commande, id commande, facture, numero facture, "
        "bestellung, bestellnummer, bestell nr, auftrag, auftragsnummer, rechnung, "
        "rechnungsnummer, rechnungs nr, beleg, belegnummer, bestelling, bestelnummer, "
        "ordernummer, factuur, factuurnummer, ordine, numero ordine, id ordine, fattura, "
        "numero fattura, id venta, numero venta, id compra, id venda, ticket, id ticket, "
        "transaccion, id transaccion, # de venta, n.º de venda, numero de venta, numero de venda"
    ),
    "customer_id": (
        "customer_id, customer, customer no, customer number, customer unique id, "
        "customer code, customer email, client, client id, client no, cliente, id cliente, "
        "codigo cliente, cod cliente, numero cliente, email cliente, kunde, kunden id, "
        "kundennummer, kunden nr, kundennr, klant, klant id, klantnummer, klantnr, user_id, "
        "user, buyer, buyer id, comprador, acheteur, usuario, id usuario, utilisateur, "
        "member id, account id, shopper, buyer username, username, user name, email, e-mail, "
        "nutzername des kaufers, e-mail des kaufers, mitgliedsname, kaufer, kaeufer, koper, "
        "acquirente, customer name"
    ),
    "ordered_at": (
        "ordered_at, order date, order datetime, order time, order timestamp, invoice date, "
        "invoicedate, purchase date, order_purchase_timestamp, created_at, created, "
        "creation date, transaction date, sale date, sales date, date, datetime, timestamp, "
        "verkauft am, verkaufsdatum, datum der transaktionserstellung, fecha de venta, "
        "data da venda, date de vente, data di vendita, date heure, fecha y hora, datum tijd, "
        "data pedido, data do pedido, data compra, data da compra, data venda, data emissao, "
        "data, fecha, fecha pedido, fecha compra, fecha factura, fecha venta, date commande, "
        "date de commande, date achat, date facture, datum, bestelldatum, rechnungsdatum, "
        "kaufdatum, auftragsdatum, belegdatum, besteldatum, orderdatum, factuurdatum, "
        "data ordine, data acquisto, data fattura, data vendita"
    ),
    # Earlier synonyms win where a file has several: the line's amount before tax and
    # shipping (revenue is item price x quantity, freight apart) before the totals that
    # include them ('Nettobetrag' before 'Bruttobetrag', 'Total HT' before 'Total TTC').
    "revenue": (
        "revenue, amount, net sales, net revenue, net amount, subtotal, line_total, "
        "line amount, order value, sku total price, item subtotal, invoice amount net, "
        "amount net, zwischensumme artikel, subtotal do produto, subtotal del producto, "
        "valor do produto, valor dos produtos, receita por produtos, ingresos por productos, "
        "ventas de productos, ventes de produits, verkoop van producten, vendite, ventes nettes, "
        "imponibile, artikelsumme, warenwert, order item total, "
        "nettobetrag, netto, total ht, montant ht, base imponible, "
        "importe neto, valor liquido, sales, total amount, total, totalprice, sales amount, "
        "sale amount, payment value, valor, valor total, total venda, valor venda, receita, "
        "faturamento, preco total, importe, importe total, ventas, venta, monto, total venta, "
        "precio total, montant, montant total, chiffre d'affaires, ca, prix total, umsatz, "
        "betrag, gesamtbetrag, gesamtpreis, summe, bedrag, totaal, totaalbedrag, totaalprijs, "
        "omzet, importo, totale, fatturato, prezzo totale, gross sales, total price, "
        "order total, total ttc, bruttobetrag, brutto, gross"
    ),
    "quantity": (
        "quantity, qty, units, unit count, pieces, quantidade, qtd, qtde, cantidad, cant, "
        "items sold, articles vendus, articulos vendidos, artigos vendidos, unidades vendidas, "
        "verkaufte artikel, "
        "unidades, quantite, qte, menge, anzahl, stuck, stueck, stuckzahl, aantal, stuks, "
        "quantita, qta, pezzi, number of, num of, no of, nr of, item count, items count, "
        "units sold, quantity sold, qty sold, pcs, numero de itens, numero de unidades, "
        "numero de articulos, nombre d'articles"
    ),
    "unit_price": (
        "unit_price, unitprice, price, unit cost, item price, sale price, selling price, "
        "price each, preco, preco unitario, valor unitario, precio, precio unitario, prix, "
        "prix unitaire, preis, einzelpreis, stuckpreis, stueckpreis, verkaufspreis, prijs, "
        "stukprijs, eenheidsprijs, prezzo, prezzo unitario, verkauft fur, preco acordado"
    ),
    "item_id": (
        "item_id, sku, stockcode, stock code, product_id, product code, item code, item no, "
        "item number, article id, article no, artikelnummer, artikel nr, artikelnr, article, "
        "artikel, produto, id produto, codigo produto, cod produto, producto, id producto, "
        "codigo producto, produit, id produit, code produit, reference, ref, articolo, "
        "codice articolo, prodotto, codice prodotto, productcode, productnummer, artikelcode, "
        "asin, ean, gtin, barcode, upc"
    ),
    "item_name": (
        "item_name, angebotstitel, titulo de la publicacion, titulo do anuncio, description, "
        "product name, product, product title, item, item description, "
        "title, name, descricao, nome produto, nome do produto, descripcion, nombre producto, "
        "nombre, designation, libelle, nom produit, bezeichnung, beschreibung, artikelname, "
        "artikelbezeichnung, produktname, omschrijving, productnaam, descrizione, "
        "nome prodotto, titulo, titre, titolo, artikel"
    ),
    "category": (
        "category, product category, product category name, category name, product type, "
        "product group, department, categoria, categoria produto, categoria producto, familia, "
        "categorie, famille, kategorie, warengruppe, produktgruppe, productgroep, "
        "categoria prodotto, product line, product family, gruppo, gruppo merceologico, "
        "famiglia, reparto, grupo, grupo de produtos, groupe, groupe de produits, gruppe, "
        "artikelgruppe"
    ),
    "region": (
        "region, state, province, country, customer state, customer region, customer country, "
        "ship country, shipping country, billing country, country code, state code, territory, "
        "county, estado, uf, regiao, pais, provincia, comunidad, pays, departement, "
        "bundesland, land, staat, provincie, regione"
    ),
    "seller_id": (
        "seller_id, seller, vendor, vendor id, merchant, merchant id, store, store id, shop, "
        "shop id, vendedor, id vendedor, loja, tienda, vendeur, boutique, verkaufer, handler, "
        "haendler, verkoper, winkel, venditore, negozio"
    ),
    "status": (
        "status, order status, order state, financial status, payment status, status pedido, "
        "status do pedido, situacao, situacao pedido, estado pedido, estado del pedido, statut, "
        "statut commande, statut de la commande, etat, etat commande, etat de la commande, "
        "bestellstatus, auftragsstatus, orderstatus, stato, stato ordine"
    ),
    "discount": (
        "discount, discount amount, discounts, order discount, coupon, coupon amount, "
        "coupon discount, desconto, valor desconto, descuento, importe descuento, remise, "
        "montant remise, rabatt, rabattbetrag, nachlass, korting, kortingsbedrag, sconto, "
        "importo sconto, voucher, voucher amount, voucher value, gutschein, gutscheinwert, "
        "cupom, valor do cupom, cupon, bon de reduction"
    ),
    "refunded": (
        "refunded, refund amount, refunded amount, total refunded, amount refunded, refunds, "
        "valor reembolsado, valor estornado, importe reembolsado, montant rembourse, "
        "erstattungsbetrag, erstattet betrag, terugbetaald bedrag, importo rimborsato"
    ),
}

# A column that merely contains a synonym is not a guess when it also names one of these: a
# 'ship_date' is no order date and a 'customer_name' no item name.
_AVOID: dict[str, str] = {
    "ordered_at": (
        "ship deliver entrega envio livraison liefer lever consegna due birth nascimento "
        "paid payment pago paiement approv estimat update modif signup regist cancel return "
        "first last zahlung verschickt versand nascita geburt naissance nacimiento"
    ),
    "revenue": (
        "discount desconto descuento remise rabatt korting sconto tax iva vat mwst btw steuer "
        "taxe tva impost ship freight frete envio versand fee gebuhr cost kosten frais tarifa "
        "comision commission taxa cargo costo profit margin lucro "
        "refund reembolso rembourse erstattung terugbetaling rimborso chargeback insurance "
        "versicher seguro assur assicura einzelpreis einheitspreis stuckpreis stueckpreis "
        "unitprice unitario unitaire eenheidsprijs"
    ),
    "item_name": (
        "customer client kunde klant user buyer seller vendor vend merchant store shop "
        "categor city country state company file billing shipping full first last recipient "
        "contact kaufer comprador acheteur koper acquirente revenue receita ingreso price preis "
        "prix precio preco valor amount betrag importe montant total summe channel"
    ),
    "item_id": (
        "customer client kunde klant user seller vendor order total valor value amount importe "
        "montant betrag summe price preis prix precio preco prezzo payment pagamento paiement "
        "zahlung"
    ),
    "customer_id": (
        "state city zip country region segment type taxa envio frete fee frais tarifa verkauf "
        "verkoop verkoper"
    ),
    # 'Total do Pedido' is an amount, 'Data do Pedido' a date: no order ids.
    "order_id": (
        "total valor value amount importe montant betrag summe data date fecha datum frais fee "
        "gebuhr kosten tarifa comision taxa cargo type typ tipo"
    ),
    "status": (
        "ship deliver fulfil entrega envio livraison liefer verzend spedizion customer verif "
        "authent address adres endereco direccion indirizzo gebuhr fee frais tarifa"
    ),
    # eBay's 'Seller Collected Tax' is an amount, no seller.
    "seller_id": "tax fee cost collected sku credit redeem",
    # A birth place is no region ('Provincia Nascita').
    "region": "nascita nascimento birth geburt naissance nacimiento",
    "discount": "code name type rate percent tax ship",
    "refunded": "date reason status method type id",
}


# Only this much of a column name is read when guessing: real names are short, and a name of
# thousands of characters (a pasted cell, an attack) must not cost more than a short one.
MAX_NAME_CHARS = 120
# A word: capitalised or lower-case letters, a run of capitals not starting the next word, or
# digits (trailing digits stay with their word). Each alternative fails within one character of
# where it stops matching, so the scan is linear in the name's length.
_WORD = re.compile(r"[A-Z]?[a-z]+[0-9]*|[A-Z]+(?![a-z])[0-9]*|[0-9]+")


def _ascii(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()


# A tax named as left out ('Subtotal (ex tax)', 'Preis ohne MwSt'): the name is read without
# these two words, so that the tax words of _AVOID do not turn the guess from it.
_WITHOUT_WORDS = "ex excl excluding before pre without ohne exkl sans hors sin sem zonder senza"
_TAX_WORDS = "tax taxes vat mwst ust iva tva btw imposto impuesto impuestos steuer"
_WITHOUT, _TAXES = frozenset(_WITHOUT_WORDS.split()), frozenset(_TAX_WORDS.split())
# Written in mixed case but one word: 'MwSt' is no 'Mw' and 'St'.
_ONE_WORD = re.compile(r"(?i)\b(mwst|ust)\b")


def _tokens(name: str) -> list[str]:
    """Lowercase words of a column name: 'InvoiceNo' -> invoice, no; 'data_do_pedido' -> 3 words;
    a tax named as left out is no words ('Subtotal (ex tax)' -> subtotal).

    Only the first MAX_NAME_CHARS characters count.
    """
    text = _ONE_WORD.sub(lambda m: m.group().lower(), _ascii(name[:MAX_NAME_CHARS]))
    words = [t.lower() for t in _WORD.findall(text)]
    untaxed = {
        i + k
        for i, pair in enumerate(itertools.pairwise(words))
        if pair[0] in _WITHOUT and pair[1] in _TAXES
        for k in (0, 1)
    }
    return [w for i, w in enumerate(words) if i not in untaxed]


def normalised(name: str) -> str:
    """Lowercase, accents and separators gone: 'Data do Pedido' -> 'datadopedido'."""
    return "".join(_tokens(name))


_SYNONYMS_NORM: dict[str, tuple[str, ...]] = {
    f: tuple(dict.fromkeys(normalised(s) for s in syns.split(","))) for f, syns in _SYNONYMS.items()
}


# Synonyms have at most three words; runs of more cannot match one.
_MAX_RUN = 4


@functools.lru_cache(maxsize=4096)
def _words(column: str) -> tuple[str, dict[str, bool]]:
    """(normalised name, its runs of consecutive words -> whether the run ends the name)."""
    tokens = _tokens(column)
    runs = {
        "".join(tokens[i:j]): j == len(tokens)
        for i in range(len(tokens))
        for j in range(i + 1, min(i + _MAX_RUN, len(tokens)) + 1)
    }
    return "".join(tokens), runs


# A column of rates, not amounts: 'Discount %', 'Rabatt (Prozent)', 'Discount pct'.
_PERCENT = re.compile(
    r"(?i)%|\b(pct|percent|percentage|prozent|pourcentage|porcentaje|porcentagem|percentuale|"
    r"procent|rate)\b"
)


# A column named as a number or id ('# de venta', 'N.º de venda', 'Sale No', 'Invoice ID') holds
# no amounts, however its other words read ('venta' is a sale).
_AMOUNTS = ("revenue", "unit_price", "discount", "refunded")
_NUMBERED = re.compile(
    r"(?i)#|№|\bn\.?\s?[º°]|\b(id|nr|nro|num|numero|número|number|nummer)(\W|$)|\bno(\.|\s*$)"
)


# Words naming an amount as before discounts ('Artikelsumme (nicht rabattiert)').
_UNDISCOUNTED = re.compile(
    r"(?i)[(\[]?\s*\b(nicht\W*rabattiert|unrabattiert|un\W?discounted|before\W+discounts?|"
    r"pre\W?discount|vor\W+rabatt|sin\W+descuentos?|sem\W+descontos?|avant\W+remises?|"
    r"sans\W+remises?|prima\W+dello\W+sconto|non\W+scontato)\b\s*[)\]]?"
)


# A name score at least this high is an exact synonym (_name_score).
_EXACT = 2.99


def _name_score(field: str, column: str) -> float:
    """How surely the name `column` means `field`: 3 exact synonym, 1.5-2.9 contains one, 0 none."""
    if _UNDISCOUNTED.search(column[:MAX_NAME_CHARS]):
        if field in TAKEN_OFF:
            return 0.0  # 'Artikelsumme (nicht rabattiert)': an amount before discounts
        column = _UNDISCOUNTED.sub(" ", column[:MAX_NAME_CHARS])  # 'Artikelsumme', for revenue
    norm, runs = _words(column)
    if not norm or (field in TAKEN_OFF and _PERCENT.search(column[:MAX_NAME_CHARS])):
        return 0.0  # 'Discount %' holds rates, no amounts
    if field in _AMOUNTS and _NUMBERED.search(column[:MAX_NAME_CHARS]):
        return 0.0  # '# de venta', 'N.º de venda': the sale's number, no amount
    synonyms = _SYNONYMS_NORM[field]
    if norm in synonyms:
        return 3.0 - 0.0001 * synonyms.index(norm)
    if any(word in norm for word in _AVOID.get(field, "").split()):
        return 0.0
    best = 0.0
    for syn in synonyms:
        cover = 0.4 * len(syn) / len(norm)
        if syn in runs and len(syn) >= 3:
            # English and German put the head word last ('order_qty', 'Einzelpreis').
            score = (2.5 if runs[syn] else 2.0) + cover
        elif len(syn) >= 5 and syn in norm:
            score = (2.3 if norm.endswith(syn) else 1.6) + cover
        else:
            continue
        best = max(best, score)
    return best


# The key under which a mapping's currency travels with its fields (in recipes); no field has it.
CURRENCY_KEY = "currency"
# The same for how the mapping reads dates whose day and month could be either.
DATES_KEY = "dates"
# Offered first on the Data page; any other three-letter ISO 4217 code can be typed.
CURRENCIES: tuple[str, ...] = (
    "EUR",
    "USD",
    "GBP",
    "BRL",
    "CHF",
    "CAD",
    "AUD",
    "JPY",
    "CNY",
    "INR",
    "MXN",
    "SEK",
    "PLN",
)
_CURRENCY_CODE = re.compile(r"[A-Z]{3}")


def currency_code(text: str | None) -> str | None:
    """`text` as a currency code ('eur ' -> 'EUR'); None when empty. Not checked: see
    mapping_problems."""
    code = (text or "").strip().upper()
    return code or None


@dataclass(frozen=True)
class ColumnMapping:
    """Which source column fills each canonical field of `lines` (None: not in the file), and the
    currency of its amounts (a three-letter code such as EUR; None: not stated)."""

    fields: dict[str, str | None]
    currency: str | None = None
    # How dates whose day and month could be either are read (a key of parse.DATE_ORDERS); None: as
    # parse.to_datetime reads them by default (slashes month first, dots and dashes day first).
    dates: str | None = None

    @classmethod
    def from_entries(cls, entries: Mapping[str, str | None]) -> ColumnMapping:
        """A mapping from `entries()`' form: fields, plus the currency under CURRENCY_KEY and
        the date order under DATES_KEY."""
        fields = {f: c for f, c in entries.items() if f not in (CURRENCY_KEY, DATES_KEY)}
        dates = entries.get(DATES_KEY)
        return cls(
            fields,
            currency_code(entries.get(CURRENCY_KEY)),
            dates if dates in parse.DATE_ORDERS else None,
        )

    def entries(self) -> dict[str, str]:
        """Mapped fields in their own order, then the currency under CURRENCY_KEY and the date
        order under DATES_KEY when set (what a recipe keeps)."""
        code = currency_code(self.currency)
        mapped = {f: c for f, c in self.fields.items() if c}
        return {
            **mapped,
            **({CURRENCY_KEY: code} if code else {}),
            **({DATES_KEY: self.dates} if self.dates else {}),
        }

    def used(self) -> dict[str, str]:
        """Mapped fields only, in canonical field order."""
        ordered = [f for f in FIELDS if f in self.fields] + [
            f for f in self.fields if f not in FIELDS
        ]
        return {f: c for f in ordered if (c := self.fields[f])}

    def with_field(self, field: str, column: str | None) -> ColumnMapping:
        """A copy with one field re-pointed."""
        return replace(self, fields={**self.fields, field: column})

    def with_currency(self, currency: str | None) -> ColumnMapping:
        """A copy with another currency (None: not stated)."""
        return replace(self, currency=currency_code(currency))


# Dataset.extras key: the order ids a mapping made up, as made_up_hashes gives them (one column,
# order_hash). Its lines' line numbers are made up too; Data quality judges their duplicates
# without either.
MADE_UP = "made_up_order_ids"


def made_up_hashes(ids: pl.Expr) -> pl.Expr:
    """Order ids as MADE_UP holds them: 64-bit hashes, 8 bytes an id and quick to look up. A real
    id that shared one with a made-up id (about one chance in 10^7 for a million ids each) would
    be judged as made up too."""
    return ids.hash(seed=13).alias("order_hash")


@dataclass(frozen=True)
class MappedLines:
    """Canonical lines from a mapped table, customers' regions when known, loader notes, the
    currency the mapping states ('' when none), the file's name and the order ids made up for
    it (`made_up`: each once)."""

    lines: pl.DataFrame
    customers: pl.DataFrame | None
    notes: tuple[Note, ...]
    made_up: pl.Series
    currency: str = ""
    file: str = ""
    unsold: pl.DataFrame | None = None  # lines set apart by their status (_set_apart)


@dataclass(frozen=True)
class _Profile:
    """What a sample of one column looks like, for guessing by type."""

    numeric: bool  # a native number dtype (parquet, xlsx), not text that reads as numbers
    datetime_share: float
    number_share: float
    decimals: bool
    mean_abs: float
    median_abs: float
    distinct: int
    distinct_share: float
    spaced_share: float
    padded_share: float  # text numbers with leading zeros ('0042'): codes, not quantities


_SAMPLE = 2000


def _sample(series: pl.Series) -> pl.Series:
    values = series.drop_nulls()
    return values.gather_every(max(1, values.len() // _SAMPLE)).head(_SAMPLE)


def _profile(series: pl.Series) -> _Profile:
    sample = _sample(series)
    n = sample.len()
    dtype = sample.dtype
    if n == 0 or dtype.is_nested() or dtype == pl.Boolean:
        return _Profile(False, 0.0, 0.0, False, 0.0, 0.0, 0, 0.0, 0.0, 0.0)
    dt_share = parse.looks_like_datetime(sample)
    num_share = parse.looks_like_number(sample)
    numbers = parse.to_float(sample).values if num_share > 0.5 else None
    decimals, mean_abs, median_abs = False, 0.0, 0.0
    if numbers is not None:
        numbers = numbers.drop_nulls().drop_nans()
        if numbers.len():
            decimals = bool((numbers != numbers.round(0)).any())
            mean_abs = float(numbers.abs().mean() or 0.0)
            median_abs = float(numbers.abs().median() or 0.0)
    spaced = padded = 0.0
    if dtype == pl.String:
        stripped = sample.str.strip_chars()
        spaced = float(stripped.str.contains(" ", literal=True).mean() or 0.0)
        padded = float(stripped.str.contains(r"^0[0-9]").mean() or 0.0)
    distinct = sample.n_unique()
    return _Profile(
        dtype.is_numeric(),
        dt_share,
        num_share,
        decimals,
        mean_abs,
        median_abs,
        distinct,
        distinct / n,
        spaced,
        padded,
    )


# Amounts taken off a sale line's revenue: a discount, a partial refund.
TAKEN_OFF = ("discount", "refunded")
_VALUED = ("ordered_at", *NUMBERS, *TAKEN_OFF)


def _plausible(field: str, profile: _Profile) -> bool:
    """Whether values of this kind can fill `field` (a date field needs dates, amounts numbers)."""
    if field == "ordered_at":
        return profile.datetime_share >= 0.5
    if field in _VALUED:
        # Text like '20240105' reads as both; native numbers are numbers. A column of zeros
        # (a gift card redeemed, an insurance amount) holds no amounts or quantities.
        return (
            profile.number_share >= 0.5
            and (profile.numeric or profile.datetime_share < 0.5)
            and profile.mean_abs > 0
        )
    return True


class _Profiles(dict):
    """Column profiles, each made when first asked for: wide tables rarely need them all."""

    def __init__(self, frame: pl.DataFrame) -> None:
        super().__init__()
        self.frame = frame

    def __missing__(self, column: str) -> _Profile:
        profile = self[column] = _profile(self.frame[column])
        return profile


# How many nameless columns may be profiled to find a quantity by its values.
_COUNT_COLUMNS = 12


def _counts(profile: _Profile) -> bool:
    """Whether a column's values look like units bought: small whole numbers, mostly 1 to 3 (a
    constant says nothing, and numbers written with leading zeros are codes)."""
    return (
        profile.distinct > 1
        and profile.padded_share < 0.5
        and profile.number_share > 0.9
        and profile.datetime_share < 0.5
        and not profile.decimals
        and profile.mean_abs < 100
        and 1 <= profile.median_abs <= 3
    )


# Ids are judged on whole groups of rows: past this many rows, on the rows of a share of the ids.
_GROUPED_ROWS = 50_000


def _per_id(ids: pl.Series, other: pl.Series) -> pl.DataFrame:
    """rows and n (distinct `other` values) per id, among rows with both values.

    Ids are grouped by their 64-bit hashes, several times faster than by text; a collision
    (about one in 10^7 for a million ids) would merge two ids, which no judgement here notices.
    """
    return (
        pl.DataFrame({"id": ids, "other": other})
        .drop_nulls()
        .select(pl.col("id").hash(seed=7), pl.col("other").hash(seed=11))
        .group_by("id")
        .agg(pl.len().alias("rows"), pl.col("other").n_unique().alias("n"))
    )


def _ids_on_several_days(ids: pl.Series, days: pl.Series) -> tuple[int, int, int]:
    """(ids, ids on more than one row, ids on more than one day) among rows with both values."""
    per = _per_id(ids, days)
    return per.height, int((per["rows"] > 1).sum()), int((per["n"] > 1).sum())


def _recur_on_other_days(several: int, repeated: int) -> bool:
    """Whether ids seen on more than one day are too many for order ids (an order has one date;
    a few may straddle midnight)."""
    return several >= 2 and several >= 0.05 * repeated


def _spans_days(frame: pl.DataFrame, column: str, date_column: str | None) -> bool:
    """Whether many values of `column` recur on different days of `date_column`."""
    if date_column is None:
        return False
    pair = frame.select(column, date_column)
    if pair.height > _GROUPED_ROWS:
        # Whole ids, not sampled rows: a sample of rows would split each id's rows.
        step = pair.height // _GROUPED_ROWS + 1
        pair = pair.filter(pl.col(column).hash(seed=7) % step == 0)
    days = parse.to_datetime(pair[date_column]).values.dt.date()
    _, repeated, several = _ids_on_several_days(pair[column], days)
    return _recur_on_other_days(several, repeated)


# Below this many rows (or customers) a file is too small to say that its columns look wrong.
_JUDGED_ROWS = 10


# Columns whose values repeat like ids but, by their name, are no order or customer ids: a row's
# type, a product's variant, a status, a parcel's tracking code, a payment method, a unit, a
# discount rate; and no
# customers: invoices, their access keys, other codes, cities.
_NO_IDS = ("typ", "tipo", "kind", "variac", "variant", "option", "status", "estado", "etat")
_NO_IDS += ("stato", "tracking", "rastre", "sendung", "suivi", "seguimiento", "method", "metodo")
_NO_IDS += ("payment", "pagamento", "pago", "paiement", "zahlung", "einheit", "unit", "unidad")
_NO_IDS += ("unite", "eenheid", "rabatt", "discount", "desconto", "descuento", "remise", "sconto")
_NO_IDS += ("korting", "percent", "prozent", "rate", "satz", "mwst", "vat", "iva", "tva", "btw")
_NO_CUSTOMERS = ("nfe", "invoice", "rechnung", "factur", "fattura", "chave", "city", "cidade")
_NO_CUSTOMERS += ("ciudad", "ville", "stadt", "citta", "code", "codigo", "codice", "key")
# Amounts as exports write them: two decimals after a point or comma ('0,00', '-1.234,50').
_MONEY_TEXT = r"^\s*[-+]?[\d.,' ]*[.,]\d{2}\s*$"


def _amounts_written(values: pl.Series) -> bool:
    """Whether a column's values are amounts, however few their distinct values: written with
    two decimals, or numbers below zero (a fee's '0,00' and '-1,00' are no ids)."""
    sample = _sample(values)
    if sample.len() == 0:
        return False
    if sample.dtype.is_numeric():
        return bool((sample < 0).any())
    text = sample.cast(pl.String)
    return bool((text.str.contains(_MONEY_TEXT).mean() or 0) >= 0.9)


# An item with its quantity, then a separator and another with its own: 'Polo x2; Gorra x1',
# '2 x Tee, 1 x Cap', 'Mug (2) | Tea (1)' (not 'Socks (3), navy').
_QUANTITY = r"(\bx\s*\d+|\d+\s*x\b|\(\d+\))"
_LISTED = rf"(?i){_QUANTITY}.*[;,|/].*{_QUANTITY}"


def _lists_items(column: pl.Series) -> bool:
    """Whether a tenth or more of a column's values list several items with their quantities
    (a shop's order-level export): no item of its own."""
    values = _sample(column.cast(pl.String, strict=False))
    return values.len() > 0 and float(values.str.contains(_LISTED).mean() or 0.0) >= 0.1


def _sparse_id(frame: pl.DataFrame, column: str, date_column: str | None) -> bool:
    """Whether `column` is blank on half the rows or more, and not as an order id written on
    its order's first line only is: such a file writes it on its first row, and each run of
    blanks after a value has that order's date (or none)."""
    blank = _blank(frame[column])
    if frame.height == 0 or blank.mean() < 0.5:
        return False
    if blank[0]:
        return True
    if date_column is None:
        return False
    runs = pl.DataFrame({"run": (~blank).cum_sum(), "day": frame[date_column].cast(pl.String)})
    days = runs.filter(~_blank(runs["day"])).group_by("run").agg(pl.col("day").n_unique())
    return bool((days["day"] > 1).any())


def _same_groups(frame: pl.DataFrame, column: str, order: str | None) -> bool:
    """Whether `column` pairs one to one with the `order` column's values (an invoice's number
    beside the document it names): no customers, each of whom would have one order alone."""
    if order is None:
        return False
    pairs = frame.select(column, order).drop_nulls()
    return pairs.n_unique() == pairs[column].n_unique() == pairs[order].n_unique()


def _recurs(values: pl.Series) -> bool:
    """Whether some value occurs more than once: ids by their values alone name customers only
    when some come back (a short file's ids, each once, could be anything)."""
    present = values.drop_nulls()
    return present.hash(seed=7).n_unique() < present.len()


def guess_mapping(frame: pl.DataFrame) -> ColumnMapping:
    """The most likely column for each field: by name in seven languages, then by values; the
    currency that the amounts' text names, if any (parse.stated_currency).

    Each column fills at most one field; ties go to the earlier field, then the earlier column.
    """
    columns = list(frame.columns)
    profiles = _Profiles(frame)
    scores = {(f, c): _name_score(f, c) for f in FIELDS for c in columns}
    # Of several columns named as a region ('Region', 'State', 'Country'), the one of the most
    # distinct places: a US export's 49 states map, its 4 sales regions and 1 country do not.
    for c in columns:
        if scores["region", c] >= _EXACT:
            places = profiles[c].distinct
            scores["region", c] += 0.01 * places / (places + 10)
    named = {c for (_, c), s in scores.items() if s > 0}
    chosen: dict[str, str | None] = dict.fromkeys(FIELDS)
    taken: set[str] = set()

    def assign(candidates: list[tuple[float, int, int, str, str]]) -> None:
        for _, _, _, field, column in sorted(candidates):
            if chosen[field] is None and column not in taken:
                chosen[field] = column
                taken.add(column)

    assign(
        [
            (-s, FIELDS.index(f), columns.index(c), f, c)
            for (f, c), s in scores.items()
            # Only amounts, counts and dates are judged by their values (profiles cost).
            if s > 0 and (f not in _VALUED or _plausible(f, profiles[c]))
        ]
    )
    if chosen["customer_id"]:
        fuller = _fuller_customer(
            frame,
            chosen["customer_id"],
            [c for c in columns if scores["customer_id", c] > 0 and c not in taken],
        )
        taken.discard(chosen["customer_id"])
        taken.add(fuller)
        chosen["customer_id"] = fuller

    # By values, only among columns whose names say nothing, and only for fields that matter most.
    free = [c for c in columns if c not in taken and c not in named]
    if chosen["ordered_at"] is None:
        # Native numbers that read as epochs or YYYYMMDD are more often ids or amounts.
        dates = [c for c in free if profiles[c].datetime_share > 0.9 and not profiles[c].numeric]
        if dates:
            best = max(dates, key=lambda c: (profiles[c].datetime_share, -columns.index(c)))
            chosen["ordered_at"] = best
            taken.add(best)
    if all(chosen[f] is None for f in MONEY):
        money = [
            c
            for c in free
            if c not in taken
            and profiles[c].number_share > 0.9
            and profiles[c].datetime_share < 0.5
            and profiles[c].decimals
        ]
        if money:
            best = max(money, key=lambda c: (profiles[c].mean_abs, -columns.index(c)))
            chosen["revenue"] = best
            taken.add(best)
    # An order id blank on most rows, not as an order's later lines are, names no order (an
    # Italian invoice's 'Riferimento ordine', the buyer's purchase order): the values may find
    # one, else it stays.
    sparse = chosen["order_id"]
    if sparse and _sparse_id(frame, sparse, chosen["ordered_at"]):
        chosen["order_id"] = None
        taken.discard(sparse)
    wanted = chosen["order_id"] is None or chosen["customer_id"] is None
    ids = [
        c
        for c in (free if wanted else [])
        if c not in taken
        and profiles[c].datetime_share < 0.5
        and not profiles[c].decimals
        and profiles[c].spaced_share < 0.5
        and profiles[c].distinct > 1
        and profiles[c].distinct_share >= 0.05
        # Small whole numbers are counts, not ids.
        and not _counts(profiles[c])
        # A row's type or a product's variant ('Typ': Bestellung, Erstattung) names no one.
        and not any(word in normalised(c) for word in _NO_IDS)
        and not _amounts_written(frame[c])
    ]
    ids.sort(key=lambda c: (-profiles[c].distinct, columns.index(c)))
    for column in ids:
        # The most varied id is the order, unless it recurs on other days (an order has one
        # date): then it names customers, and the orders are left to be made per customer and day.
        if chosen["order_id"] is None and not _spans_days(frame, column, chosen["ordered_at"]):
            chosen["order_id"] = column
        elif (
            chosen["customer_id"] is None
            and _recurs(frame[column])
            and not any(word in normalised(column) for word in _NO_CUSTOMERS)
            and not _same_groups(frame, column, chosen["order_id"])
        ):
            chosen["customer_id"] = column
        else:
            continue
        taken.add(column)
    if chosen["order_id"] is None and sparse and sparse not in taken:
        chosen["order_id"] = sparse
        taken.add(sparse)
    if chosen["quantity"] is None and any(chosen[f] for f in MONEY):
        # Among the first few nameless columns only: a wide table of metrics would profile them all.
        left = [c for c in free if c not in taken][:_COUNT_COLUMNS]
        counts = [c for c in left if _counts(profiles[c])]
        if counts:
            chosen["quantity"] = counts[0]
            taken.add(counts[0])

    # A named column whose values look wrong is still the best guess when nothing else fits: the
    # problems then say what is wrong with it. Not a second amount: a unit price of text beside
    # the revenue found ('Price Point Name': Regular, Large) would only stop the mapping.
    priced = any(chosen[f] for f in MONEY)
    assign(
        [
            (-s, FIELDS.index(f), columns.index(c), f, c)
            for (f, c), s in scores.items()
            if s > 0 and f in ("ordered_at", "quantity", *([] if priced else MONEY))
        ]
    )
    # Amounts written with a mark of one currency ("€12,50", "12.50 EUR") state it, else their
    # header ("Price (EUR)"), else a currency column holding one code.
    money = [chosen[f] for f in MONEY if chosen[f]]
    stated = (
        *(parse.stated_currency(frame[c], CURRENCIES) for c in money),
        *(parse.named_currency(c, CURRENCIES) for c in money),
        _currency_column(frame),
    )
    if chosen["revenue"] and chosen["unit_price"] and _first_lines_only(frame, chosen)[0]:
        chosen["revenue"] = None  # each line's is quantity x unit price
    if (
        chosen["revenue"]
        and chosen["quantity"]
        and chosen["unit_price"]
        and _above_items(frame, chosen)
    ):
        chosen["revenue"] = None  # a total with shipping or tax: each line's is quantity x price
    if chosen["region"] and _holds_statuses(frame[chosen["region"]]):
        # 'Estado' names a state in Brazil and an order's status in Spain: the values tell (and
        # Mercado Livre's report has both, under one name).
        statuses = chosen["region"]
        chosen["region"] = max(
            (
                c
                for c in columns
                if scores["region", c] > 0
                and c not in taken
                and c != statuses
                and not _holds_statuses(frame[c])
            ),
            key=lambda c: scores["region", c],
            default=None,
        )
        if not chosen["status"]:
            chosen["status"] = statuses
    for field in ("item_id", "item_name"):
        if chosen[field] and _lists_items(frame[chosen[field]]):
            chosen[field] = None  # 'Polo básico x2; Gorra x1': an order's items in one cell
    if chosen["discount"] and not _before_discount(frame, chosen):
        chosen["discount"] = None  # maybe taken off already: taken again, it would count twice
    if chosen["refunded"] and not _before_refunds(frame, chosen):
        chosen["refunded"] = None
    return ColumnMapping(chosen, next((c for c in stated if c), None))


# A revenue column named as net ('Net Sales', 'Nettobetrag', 'Valor líquido') is after discounts.
_NET_WORDS = ("net", "neto", "liquido", "ht")


def _agrees(amount, expected):
    """Where an amount (a Series or an expression) is `expected` within a cent or 1% of it: a
    line amount that is quantity x unit price, as exports round it."""
    return (amount - expected).abs() <= 0.01 * expected.abs() + 0.01


def _numbers(frame: pl.DataFrame, used: Mapping[str, str | None]) -> dict[str, pl.Series]:
    """The revenue, quantity and unit price columns of `used`, read as numbers."""
    return {f: parse.to_float(frame[used[f]]).values for f in NUMBERS}


# A customer column blank on this share of rows or more gives way to one blank on half as many.
_BLANK_CUSTOMERS = 0.2


def _fuller_customer(frame: pl.DataFrame, column: str, others: list[str]) -> str:
    """`column`, or of `others` (named as customers too) the one blank on the fewest rows where
    `column` is blank on many (_BLANK_CUSTOMERS) and it on half as many or fewer: an Austrian
    invoice's 'Kunden-UID' (a VAT number, which consumers have none of) beside 'Kundenname'.
    Only a column that tells at least as many customers apart, and holds no dates, can take
    its place (not a 'Customer Group' of three values, nor a 'Customer Since')."""
    blank = {c: float(_blank(frame[c]).mean() or 0.0) for c in (column, *others)}
    if blank[column] < _BLANK_CUSTOMERS:
        return column
    told = frame[column].drop_nulls().n_unique()
    fit = [
        c
        for c in others
        if blank[c] <= blank[column] / 2
        and frame[c].drop_nulls().n_unique() >= told
        and parse.looks_like_datetime(_sample(frame[c])) < 0.5
    ]
    return min(fit, key=lambda c: blank[c], default=column)


def _above_items(frame: pl.DataFrame, used: Mapping[str, str | None]) -> bool:
    """Whether the revenue column is a total above quantity x unit price: never below it (within
    a cent or 1%) and above it on some rows, as an order total with shipping or tax is (eBay's
    'Gesamtbetrag' beside 'Verkauft für' and 'Anzahl'). Revenue is then each line's quantity x
    unit price, before tax and shipping."""
    read = _numbers(frame, used)
    rows = pl.DataFrame(
        {"items": read["quantity"] * read["unit_price"], "revenue": read["revenue"]}
    ).drop_nulls()
    rows = rows.filter(pl.col("items") > 0)
    if rows.height == 0:
        return False
    items, revenue = pl.col("items"), pl.col("revenue")
    apart = ~_agrees(revenue, items)
    return bool(
        rows.select((apart & (revenue > items)).any() & ~(apart & (revenue < items)).any()).item()
    )


def _against(frame: pl.DataFrame, used: Mapping[str, str | None], field: str) -> str:
    """What the revenue column is, on most rows where the amount `field` (TAKEN_OFF) is taken
    and quantity and unit price are given: 'gross' (quantity x unit price, within a cent or
    1%), 'net' (that less the amount) or '' (neither, or no such row)."""
    read = _numbers(frame, used)
    off = parse.to_float(frame[used[field]]).values.abs()
    gross = read["quantity"] * read["unit_price"]
    rows = pl.DataFrame({"gross": gross, "off": off, "revenue": read["revenue"]}).drop_nulls()
    rows = rows.filter(pl.col("off") > 0)
    if rows.height == 0:
        return ""
    gross, off, revenue = pl.col("gross"), pl.col("off"), pl.col("revenue")
    shares = rows.select(
        _agrees(revenue, gross).mean().alias("gross"),
        _agrees(revenue + off, gross).mean().alias("net"),
    ).row(0, named=True)
    return next((kind for kind, share in shares.items() if share >= REPEATED_TOTALS), "")


def _revenue_source(used: Mapping[str, str | None]) -> str:
    """What the revenue is read from, for a note: its column, else quantity x unit price."""
    return f"'{used['revenue']}'" if used.get("revenue") else "quantity x unit price"


def _named_net(used: Mapping[str, str | None]) -> bool:
    """Whether the revenue column's name says net (_NET_WORDS): after discounts and refunds."""
    return bool(used["revenue"]) and any(t.startswith(_NET_WORDS) for t in _tokens(used["revenue"]))


def _before_discount(frame: pl.DataFrame, used: Mapping[str, str | None]) -> bool:
    """Whether the revenue is before the discount column's discounts, as far as the file shows:
    quantity x unit price, or an amount not named net that is quantity x unit price on most
    discounted rows (_against). Where nothing shows it (no quantity and price to compare), the
    discount is left for the user to map: taken off a revenue net of it, it would count twice.
    A unit price that a list price exceeds by the discount is after it (_listed_above)."""
    if used["quantity"] and used["unit_price"] and used["discount"] and _listed_above(frame, used):
        return False
    if used["revenue"] is None:
        return True  # quantity x unit price: before any discount
    if _UNDISCOUNTED.search(used["revenue"]):
        return True  # 'Artikelsumme (nicht rabattiert)'
    if _named_net(used) or not (used["quantity"] and used["unit_price"]):
        return False
    return _against(frame, used, "discount") == "gross"


# Rows read for a list price above the unit price (_listed_above): the check needs a few orders.
_LISTED_ROWS = 20_000


def _listed_above(frame: pl.DataFrame, used: Mapping[str, str | None]) -> bool:
    """Whether the unit price is after the discount: another number column (a list price, as
    VTEX's 'SKU Value' beside 'SKU Selling Price') exceeds it by the discount on most discounted
    rows (quantity x the gap, per line or summed over the line's order where the discount is the
    order's) and equals it on most rows without one. Read on the file's first rows."""
    head = frame.head(_LISTED_ROWS)
    quantity = parse.to_float(head[used["quantity"]]).values
    price = parse.to_float(head[used["unit_price"]]).values
    off = parse.to_float(head[used["discount"]]).values.abs().fill_null(0.0)
    order = head[used["order_id"]] if used["order_id"] else pl.int_range(head.height, eager=True)
    taken = {c for c in used.values() if c}
    for column in head.columns:
        if column in taken or parse.looks_like_number(_sample(head[column])) < REPEATED_TOTALS:
            continue
        gap = quantity * (parse.to_float(head[column]).values - price)
        rows = pl.DataFrame({"order": order, "off": off, "gap": gap}).drop_nulls()
        rows = rows.with_columns(pl.col("gap").sum().over("order").alias("order_gap"))
        off_, gap_ = pl.col("off"), pl.col("gap")
        shares = rows.select(
            (_agrees(gap_, off_) | _agrees(pl.col("order_gap"), off_))
            .filter(off_ > 0)
            .mean()
            .alias("discounted"),
            _agrees(gap_, pl.lit(0.0)).filter(off_ == 0).mean().alias("others"),
        ).row(0)
        lines, others = shares
        if (
            lines is not None
            and lines >= REPEATED_TOTALS
            and (others is None or others >= REPEATED_TOTALS)
        ):
            return True
    return False


# Words of an order's status that is a sale (with _says_unsold's, what a status column holds).
_SOLD_STATUS = (
    r"(?i)\b(complete|completed|completado|completada|concluido|concluida|pendiente|pendente|"
    r"pending|enviado|enviada|entregado|entregada|pagado|pagada|pago|paid|shipped|delivered|"
    r"processing|procesando|processando|aprovado|aprobado|facturado|faturado)\b"
)


def _holds_statuses(column: pl.Series) -> bool:
    """Whether a column's values are mostly orders' statuses (sold, cancelled, refunded...)."""
    values = _sample(column.cast(pl.String, strict=False)).unique()
    if values.len() == 0:
        return False
    said = pl.DataFrame({"v": values}).select(
        (pl.col("v").str.contains(_SOLD_STATUS) | _says_unsold(pl.col("v"))).mean()
    )
    return said.item() >= 0.5


def _before_refunds(frame: pl.DataFrame, used: Mapping[str, str | None]) -> bool:
    """Whether refunds may be taken off the revenue: a file with no return line (no negative
    amount or quantity: its refunds are not lines of their own, which would take them back
    twice) whose revenue is neither named net nor, where quantity and unit price show it, that
    less the refund (_against)."""
    if _named_net(used):
        return False
    amounts = [used[f] for f in ("revenue", "quantity") if used[f]]
    if any(bool((parse.to_float(frame[c]).values < 0).any()) for c in amounts):
        return False
    priced = used["revenue"] and used["quantity"] and used["unit_price"]
    return not (priced and _against(frame, used, "refunded") == "net")


# An amount left blank on more than this share of the rows whose unit price is given is an
# order's, written on its first line only (Squarespace's Subtotal).
_FIRST_LINES = 0.2


def _blank(column: pl.Series) -> pl.Series:
    """Where a column's value is missing or blank text."""
    if column.dtype == pl.String:
        return column.is_null() | (column.str.strip_chars() == "")
    return column.is_null()


def _first_lines_only(frame: pl.DataFrame, used: Mapping[str, str | None]) -> tuple[int, int]:
    """(rows whose revenue is blank, of the rows whose unit price is given) when that is many
    (_FIRST_LINES) and those blanks are (nearly all) later lines of orders of several lines: an
    order's amount on its first line, where each line has its price; else (0, rows priced).
    Without an order id nothing tells an order's later lines: (0, rows priced)."""
    if not used.get("order_id"):
        return 0, 0
    rows = pl.DataFrame(
        {
            "order": frame[used["order_id"]],
            "priced": ~_blank(frame[used["unit_price"]]),
            "blank": _blank(frame[used["revenue"]]),
        }
    ).filter("priced")
    later = pl.int_range(pl.len()).over("order") > 0
    blanks = rows.filter("blank").height
    later_blanks = rows.filter(pl.col("blank") & later).height if blanks else 0
    many = rows.height >= _JUDGED_ROWS and blanks > _FIRST_LINES * rows.height
    first_lines = blanks and later_blanks >= REPEATED_TOTALS * blanks
    return (blanks if many and first_lines else 0), rows.height


# Names of a column that says each row's currency, in the seven languages of the field names.
_CURRENCY_COLUMN = re.compile(
    r"(?i)^(currency|curr|currency.?code|w(ä|ae|a)hrung|moeda|devise|valuta|moneda|divisa)$"
)


def _currency_column(frame: pl.DataFrame) -> str | None:
    """The code of a currency column whose every value is one code ('EUR' on every row); None
    without one, or when rows name several currencies (their amounts cannot be added)."""
    found = _currency_codes(frame)
    if found and len(found[1]) == 1 and _CURRENCY_CODE.fullmatch(found[1][0]):
        return found[1][0]
    return None


def _currency_codes(frame: pl.DataFrame) -> tuple[str, list[str]] | None:
    """The first column named as a currency column (_CURRENCY_COLUMN) and the codes it holds,
    sorted; None without one."""
    for column in frame.columns:
        if _CURRENCY_COLUMN.match(column.strip()) and frame[column].dtype == pl.String:
            codes = frame[column].str.strip_chars().str.to_uppercase().drop_nulls().unique()
            return column, sorted(codes.to_list())
    return None


def _examples(parsed: parse.Parsed, n: int = 2) -> str:
    return ", ".join(f"'{e}'" for e in parsed.examples[:n])


def _readable(parsed: parse.Parsed) -> tuple[int, int]:
    """(values read, values present) of one parsed column."""
    ok = parsed.values.len() - parsed.values.null_count()
    return ok, ok + parsed.failures


def _structure_problems(frame: pl.DataFrame, mapping: ColumnMapping) -> list[str]:
    """Problems visible without reading any value: missing, unknown or doubly used columns."""
    problems = []
    used = mapping.used()
    for field, column in used.items():
        if field not in FIELDS:
            problems.append(f"'{field}' is not a field of order lines: remove it from the mapping.")
        elif column not in frame.columns:
            problems.append(
                f"Column '{column}' (chosen as the {_said(field)}) is not in the file: pick "
                "another column."
            )
    by_column: dict[str, list[str]] = {}
    for field, column in used.items():
        if field in FIELDS:  # an unknown field is said above, whatever column it names
            by_column.setdefault(column, []).append(field)
    for column, fields in by_column.items():
        if len(fields) > 1:
            problems.append(
                f"Column '{column}' is chosen as "
                f"{fmt.listed([f'the {_said(f)}' for f in fields])}: "
                "a column can fill one field, so pick another column (or none) for all but one."
            )
    if "ordered_at" not in used:
        problems.append(
            "No column is chosen as the order date: pick the column that holds each order's date."
        )
    code = currency_code(mapping.currency)
    if code and not _CURRENCY_CODE.fullmatch(code):
        problems.append(
            f"'{mapping.currency}' is not a currency code: write the three letters of ISO 4217 "
            "(EUR, USD, GBP, BRL...), or leave the currency empty."
        )
    if "revenue" not in used and "unit_price" not in used:
        problems.append(
            "No column is chosen as the revenue or the unit price: pick the amount paid per "
            "line, or the unit price (with quantity) so revenue can be computed."
        )
    return problems


# The fields whose values the checks read (ids and text are read by applying the mapping only).
_CHECKED = ("customer_id", "ordered_at", *NUMBERS)


def mapping_checks(frame: pl.DataFrame, mapping: ColumnMapping) -> tuple[list[str], list[str]]:
    """(mapping_problems, mapping_warnings) of one mapping, reading each column once."""
    used = _valid(frame, mapping)
    read = _read_all(frame, {f: c for f, c in used.items() if f in _CHECKED}, mapping.dates)
    return _problems(frame, mapping, used, read), _warnings(frame, used, read, mapping.dates)


def mapping_problems(frame: pl.DataFrame, mapping: ColumnMapping) -> list[str]:
    """Sentences saying why the mapping cannot be used yet, each naming the column and the fix."""
    used = {f: c for f, c in _valid(frame, mapping).items() if f in ("ordered_at", *NUMBERS)}
    return _problems(frame, mapping, used, _read_all(frame, used, mapping.dates))


def mapping_warnings(frame: pl.DataFrame, mapping: ColumnMapping) -> list[str]:
    """Sentences about columns that look like another field (see _doubts) and what the mapping
    will assume or leave out; confirming is still allowed."""
    used = _valid(frame, mapping)
    checked = {f: c for f, c in used.items() if f in _CHECKED}
    return _warnings(frame, used, _read_all(frame, checked, mapping.dates), mapping.dates)


def _problems(
    frame: pl.DataFrame, mapping: ColumnMapping, used: dict[str, str], read: dict[str, parse.Parsed]
) -> list[str]:
    """mapping_problems, from the mapped fields' columns already read."""
    problems = _structure_problems(frame, mapping)
    if "ordered_at" in used:
        column = used["ordered_at"]
        ok, present = _readable(parsed := read["ordered_at"])
        if present == 0:
            problems.append(f"The date column '{column}' is empty: pick the column with dates.")
        elif ok < 0.5 * present:
            problems.append(
                (f"Only {ok:,} of {present:,} values" if ok else f"None of the {present:,} values")
                + f" in '{column}' (chosen as the order date) "
                + ("are usable dates" if ok else "is a usable date")
                + f"; {parsed.problem('dates')}: pick the column that holds order dates."
            )
    for field in NUMBERS:
        if field not in used:
            continue
        column = used[field]
        ok, present = _readable(parsed := read[field])
        if present and ok < 0.5 * present:
            problems.append(
                f"'{column}' (chosen as the {_said(field)}) holds no usable numbers: only "
                f"{ok:,} of {present:,} values "
                + ("is a number" if ok == 1 else "are numbers")
                + f" ({parsed.problem('numbers')}); pick a column with amounts."
            )
        elif present == 0 and field != "quantity":
            problems.append(
                f"'{column}' (chosen as the {_said(field)}) is empty: pick a column with numbers."
            )
    return problems


def _repeated_totals(orders: pl.Series, revenue: pl.Series, used: dict[str, str]) -> list[str]:
    """A warning when the revenue column repeats one amount on every line of most orders with
    several lines (at least REPEATED_TOTALS of them, and 3): an order's total written on each
    of its lines, which lines would add up once per line."""
    per = (
        pl.DataFrame({"o": orders, "r": revenue})
        .group_by("o")
        .agg(pl.len().alias("n"), pl.col("r").n_unique().alias("u"))
        .filter(pl.col("n") > 1)
    )
    same = int((per["u"] == 1).sum())
    if per.height < 3 or same < REPEATED_TOTALS * per.height:
        return []
    return [
        f"'{used['revenue']}' repeats one amount on every line of {same:,} of the "
        f"{per.height:,} orders with several lines: if it is the order's total, pick the "
        "line's amount (or leave revenue empty and map quantity and unit price), else each "
        "order counts it once per line."
    ]


# Orders of several lines whose lines all carry one amount, from which the revenue column reads
# as an order total repeated (line amounts seldom agree on every line of most orders); the same
# share is what "most" rows or orders means to the other judgements of a file's layout
# (_against, _per_order, _first_lines_only).
REPEATED_TOTALS = 0.8


def _warnings(
    frame: pl.DataFrame,
    used: dict[str, str],
    read: dict[str, parse.Parsed],
    dates: str | None = None,
) -> list[str]:
    """mapping_warnings, from the mapped fields' columns already read (dates in the mapping's
    date order `dates`, when it has one)."""
    warnings = _doubts(frame, used, read)
    if "order_id" in used and "revenue" in read:
        warnings += _repeated_totals(frame[used["order_id"]], read["revenue"].values, used)
    found = _currency_codes(frame)
    codes = [c for c in found[1] if _CURRENCY_CODE.fullmatch(c)] if found else []
    if len(codes) > 1 and ("revenue" in used or "unit_price" in used):
        column = found[0]
        warnings.append(
            f"'{column}' names {len(codes)} currencies ({', '.join(codes[:5])}"
            f"{', ...' if len(codes) > 5 else ''}): their amounts would be added as if one. "
            "Upload one file per currency, or convert the amounts first."
        )
    if "discount" in used and not _before_discount(frame, dict.fromkeys(FIELDS) | used):
        warnings.append(
            f"'{used['discount']}' will come off {_revenue_source(used)}: if that amount is "
            "already after discounts (a net amount), choose no discount column, or each discount "
            "counts twice."
        )
    if "refunded" in used and not _before_refunds(frame, dict.fromkeys(FIELDS) | used):
        warnings.append(
            f"'{used['refunded']}' will come off the revenue, yet the file has return lines or "
            "a net amount: if the refunds are among them, choose no refunded column, or each "
            "refund counts twice."
        )
    if "revenue" in used and "unit_price" in used:
        blank, priced = _first_lines_only(frame, used)
        if blank:
            warnings.append(
                f"'{used['revenue']}' is blank on {blank:,} of the {priced:,} rows with a unit "
                "price, as an order's amount written on its first line only would be: those rows "
                "will be left out. Choose no revenue column to take each line's as quantity x "
                "unit price."
            )
    if "order_id" not in used and "customer_id" in used:
        warnings.append(
            "No order id: each customer's rows on one day will count as one order (a row without "
            "a customer counts as an order of its own)."
        )
    elif "order_id" not in used:
        warnings.append(
            "No order id: each row will count as one order, so orders per customer and basket "
            "sizes count lines."
        )
    if "customer_id" not in used:
        warnings.append(
            "No customer id: sales pages work, but customer pages (RFM, cohorts, clusters, "
            "lifetime value, regions) will be unavailable."
        )
    else:
        column = used["customer_id"]
        missing = int(read["customer_id"].values.null_count())
        if missing:
            guests = _guests(frame[column])
            warnings.append(
                f"{missing:,} of {fmt.counted(frame.height, 'row')} have no customer id in "
                f"'{column}'{f' ({guests:,} written as 0 or as a guest)' if guests else ''}: they "
                "count for revenue but not in customer analyses."
            )
    if "ordered_at" in used:
        column = used["ordered_at"]
        parsed = read["ordered_at"]
        dropped = int(parsed.values.null_count())
        ok, present = _readable(parsed)
        # Mostly unreadable dates are a problem, reported by mapping_problems instead.
        if dropped and ok >= 0.5 * present:
            unread = f" ({parsed.problem('dates')})" if parsed.failures else ""
            warnings.append(
                f"{fmt.counted(dropped, 'row has', 'rows have')} no readable date in "
                f"'{column}'{unread}: they will be "
                "left out."
            )
        if ambiguous := parse.ambiguity(parsed.detail):
            choose = "" if dates else ", or choose the date order"
            warnings.append(f"In '{column}', {ambiguous}{choose}.")
    numbers = {}
    for field in NUMBERS:
        if field in used:
            column = used[field]
            parsed = numbers[field] = read[field]
            ok, present = _readable(parsed)
            if parsed.failures and ok >= 0.5 * present:
                warnings.append(
                    f"In '{column}' (the {_said(field)}), {parsed.problem('numbers')}: "
                    f"{_fate(field, used)}."
                )
    for field in ("revenue", "quantity"):
        if field in numbers:
            negative = int((numbers[field].values < 0).sum())
            if negative:
                warnings.append(
                    f"{fmt.counted(negative, 'row has', 'rows have')} a negative {field} in "
                    f"'{used[field]}': they will be "
                    "treated as returns."
                )
    if "unit_price" in used and "quantity" not in used and "revenue" not in used:
        warnings.append(
            "No quantity: each line counts as one unit, so its revenue is its unit price."
        )
    if "quantity" in used and "unit_price" not in used and "revenue" in used:
        warnings.append(
            "Quantity without unit price: unit prices will be computed as revenue / quantity."
        )
    if all(f in numbers for f in NUMBERS):
        expected = numbers["quantity"].values * numbers["unit_price"].values
        actual = numbers["revenue"].values
        # A return's amount written positive is taken back, as the lines take it (_derived).
        actual = pl.select(_taken_back(numbers["quantity"].values, actual)).to_series()
        off = int((~_agrees(actual, expected)).sum())
        if off:
            warnings.append(
                f"In {fmt.counted(off, 'row')} revenue ('{used['revenue']}') differs from "
                "quantity x unit "
                "price: check that it is the line amount, not the order total."
            )
    if "region" in used and "customer_id" not in used:
        warnings.append(
            f"'{used['region']}' (the region) stays on the lines: without a customer id there is "
            "no "
            "customer map."
        )
    return warnings


def _doubts(frame: pl.DataFrame, used: dict[str, str], read: dict[str, parse.Parsed]) -> list[str]:
    """Sentences about columns that seem to hold something other than their field: an order id
    on several dates, a customer who never comes back, a count as money, money as a count."""
    doubts = []
    days = read["ordered_at"].values.dt.date() if "ordered_at" in used else None
    if "order_id" in used and days is not None:
        column = used["order_id"]
        ids, repeated, several = _ids_on_several_days(frame[column], days)
        if _recur_on_other_days(several, repeated):
            doubts.append(
                f"{several:,} of {ids:,} order ids in '{column}' appear on more than one date, "
                f"but an order has one date: '{column}' looks like a customer id. If so, map it "
                "as the customer id and leave the order id empty (each customer's rows on one day "
                "then "
                "make one order); otherwise pick the column with order numbers."
            )
    if "customer_id" in used:
        doubts += _customer_doubts(frame, used, read["customer_id"].values, days)
    for field in MONEY:
        if field in used and _small_counts(values := read[field].values.drop_nulls()):
            column = used[field]
            doubts.append(
                f"'{column}' (the {_said(field)}) holds only small whole numbers (at least half "
                f"of them 5 or less, the largest {values.max():g}): that looks like a count of "
                f"units, not money. If so, map '{column}' as the quantity and pick the column with "
                f"amounts as the {_said(field)}."
            )
    if "quantity" in used:
        values = read["quantity"].values.drop_nulls()
        fractions = values.filter(values != values.round(0))
        if values.len() >= _JUDGED_ROWS and fractions.len() > 0.5 * values.len():
            column = used["quantity"]
            examples = ", ".join(f"{v:g}" for v in fractions.head(2))
            doubts.append(
                f"{fractions.len():,} of {values.len():,} values in '{column}' (the quantity) have "
                f"decimals (e.g. {examples}): units bought are whole numbers, so this looks like "
                f"money. If so, map '{column}' as the revenue or the unit price (unless it holds "
                "weights or lengths)."
            )
    return doubts


def _small_counts(values: pl.Series) -> bool:
    """Whether amounts are all whole and small (half at most 5) and vary: counts, not money (one
    price of 3.00 on every line is a price)."""
    return (
        values.len() >= _JUDGED_ROWS
        and float((values.abs() <= 5).mean() or 0.0) >= 0.5
        and bool((values == values.round(0)).all())
        and values.n_unique() > 1
    )


def _customer_doubts(
    frame: pl.DataFrame, used: dict[str, str], customers: pl.Series, days: pl.Series | None
) -> list[str]:
    """A customer id that never comes back: unique per row, or one order (or day) per id."""
    column = used["customer_id"]
    if "order_id" in used:
        purchases, unit = frame[used["order_id"]], "order"
    elif days is not None:
        purchases, unit = days, "purchase day"
    else:
        purchases, unit = customers, ""
    per = _per_id(customers, purchases)
    if per.height < _JUDGED_ROWS or int((per["n"] > 1).sum()):
        return []
    if int(per["rows"].max() or 0) == 1:
        return [
            f"Each of the {per.height:,} customer ids in '{column}' appears on one row only, so "
            "no customer ever buys twice (repeat and retention figures would all be 0): "
            f"'{column}' looks like a line or order id. If so, map it as the order id and pick "
            "the column that names the buyer (customer number, e-mail) as the customer id."
        ]
    if not unit:
        return []
    return [
        f"None of the {per.height:,} customers in '{column}' has more than one {unit}, so "
        f"repeat and retention figures would all be 0: '{column}' looks like an id made afresh "
        "for each order. If so, pick the column that names the buyer (customer number, e-mail) "
        "as the customer id."
    ]


def _said(field: str) -> str:
    """A field as a sentence names it: its Data page label in lower case ('unit price')."""
    return FIELD_LABELS[field].lower()


def _fate(field: str, used: dict[str, str]) -> str:
    """What happens to a row whose `field` value is unreadable."""
    if field == "revenue" or "revenue" not in used:
        return "those rows have no revenue and will be left out"
    return f"the {_said(field)} will be left empty on those rows"


def _read(field: str, raw: pl.Series, dates: str | None = None) -> parse.Parsed:
    """One source column read as `field` needs it (ids and text never fail; `dates`:
    ColumnMapping.dates)."""
    if raw.dtype.is_nested():
        # Lists and structs from parquet: the parsers read text, so show them as text (rare, slow).
        raw = pl.Series(raw.name, [None if v is None else str(v) for v in raw.to_list()], pl.String)
    if field == "ordered_at":
        return parse.to_datetime(raw, dates)
    if field in (*NUMBERS, *TAKEN_OFF):
        return parse.to_float(raw)
    if field == "customer_id":
        # A customer '0' or 'Guest' is how exports write a guest (_GUEST): no customer.
        ids = parse.to_id(raw)
        return parse.Parsed(pl.select(pl.when(~_guest(ids)).then(ids)).to_series(), 0, ())
    return parse.Parsed(parse.to_id(raw) if field in IDS else parse.to_text(raw), 0, ())


# A customer id that names nobody: 0 (BigCommerce, WooCommerce), or a guest, walk-in or
# anonymous buyer in the languages of the field names (Lightspeed's 'WALKIN').
_GUEST = (
    r"(?i)^\s*(0+|guest|guests|walk ?-?in|walkin|anonymous|anonym|anonyme|anonimo|an[oó]nimo|"
    r"invitado|convidado|gast|ospite|gastkunde|cash customer|cash sale|no customer)\s*$"
)


def _guest(ids: pl.Series | pl.Expr) -> pl.Series | pl.Expr:
    """Where a customer id (a Series or an expression, read by parse.to_id) names nobody
    (_GUEST): each such buyer would otherwise be one customer buying again and again."""
    return ids.str.contains(_GUEST)


def _guests(raw: pl.Series) -> int:
    """How many customer ids of a source column name nobody (_guest)."""
    return int(_guest(parse.to_id(raw)).sum())


def _read_all(
    frame: pl.DataFrame, used: dict[str, str], dates: str | None = None
) -> dict[str, parse.Parsed]:
    """Each mapped field's column read, keyed by field (`dates`: ColumnMapping.dates); big
    frames read two columns at a time."""
    results = side_by_side(
        lambda job: _read(job[0], frame[job[1]], dates), list(used.items()), frame.height
    )
    return dict(zip(used, results, strict=True))


def _valid(frame: pl.DataFrame, mapping: ColumnMapping) -> dict[str, str]:
    """Mapped fields whose field and column both exist."""
    return {f: c for f, c in mapping.used().items() if f in FIELDS and c in frame.columns}


def _columns(
    frame: pl.DataFrame, mapping: ColumnMapping
) -> tuple[dict[str, pl.Series], dict[str, parse.Parsed], bool]:
    """Typed canonical columns of the mapped fields, the parse results of dates and numbers, and
    whether the customer ids were e-mail addresses (replaced by codes)."""
    read = _read_all(frame, _valid(frame, mapping), mapping.dates)
    spec = SPECS["lines"].columns
    # Fields of no table: read, then used up by apply_mapping.
    types = {**spec, "status": pl.String} | dict.fromkeys(TAKEN_OFF, pl.Float64)
    typed = {f: p.values.cast(types[f]).alias(f) for f, p in read.items()}
    emails = "customer_id" in typed and are_emails(typed["customer_id"])
    if emails:
        # As the shop exports do: one person per address whatever its case, and no address kept.
        typed["customer_id"] = person_ids(typed["customer_id"]).alias("customer_id")
    parsed = {f: p for f, p in read.items() if f == "ordered_at" or f in NUMBERS}
    return typed, parsed, emails


_EMAIL = r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$"
EMAILS_READ = (
    "customer ids are e-mail addresses: one customer per address (trimmed, in lower case), "
    "each shown as a code so that no page, export or report shows an address"
)


def are_emails(ids: pl.Series) -> bool:
    """Whether most known customer ids are e-mail addresses."""
    known = ids.drop_nulls()
    return known.len() > 0 and known.str.contains(_EMAIL).mean() >= 0.5


def _taken_back(quantity, revenue) -> pl.Expr:
    """Revenue (a Series or an expression) with a return's amount negative where the export
    signs only its quantity ('-1, 30.00, 30.00')."""
    return pl.when((quantity < 0) & (revenue > 0)).then(-revenue).otherwise(revenue)


def _derived(lines: pl.DataFrame) -> pl.DataFrame:
    """Revenue (from quantity x unit price when absent), unit price and the return flag. A
    line of negative quantity whose amount is written positive (an export that signs only the
    quantity of a return) takes its amount back."""
    if {"revenue", "quantity"} <= set(lines.columns):
        lines = lines.with_columns(
            _taken_back(pl.col("quantity"), pl.col("revenue")).alias("revenue")
        )
    if "revenue" not in lines.columns and "unit_price" in lines.columns:
        units = pl.col("quantity") if "quantity" in lines.columns else pl.lit(1.0)
        lines = lines.with_columns((units * pl.col("unit_price")).alias("revenue"))
    if "unit_price" not in lines.columns and {"revenue", "quantity"} <= set(lines.columns):
        lines = lines.with_columns(
            pl.when(pl.col("quantity") != 0)
            .then(pl.col("revenue") / pl.col("quantity"))
            .alias("unit_price")
        )
    if "revenue" in lines.columns:
        is_return = pl.col("revenue") < 0
        if "quantity" in lines.columns:
            is_return = is_return | (pl.col("quantity") < 0)
        lines = lines.with_columns(is_return.fill_null(False).alias("is_return"))
    return lines


def preview(frame: pl.DataFrame, mapping: ColumnMapping, rows: int = 8) -> pl.DataFrame:
    """The first `rows` rows as they will be read: mapped fields typed, revenue and returns derived.

    Unreadable values show as empty; never raises, whatever the mapping.
    """
    typed, _, _ = _columns(frame.head(rows), mapping)
    lines = _derived(pl.DataFrame(list(typed.values())) if typed else pl.DataFrame())
    order = [*FIELDS, "is_return"]
    return lines.select(sorted(lines.columns, key=order.index))


def _on_first_lines(lines: pl.DataFrame, no_amount: pl.Series) -> bool:
    """Whether most rows without an amount are lines of orders with an amount on another line
    (an order's amount written on its first line only), not orders or rows of their own."""
    if "order_id" not in lines.columns:
        return False
    priced = lines.filter(~no_amount)["order_id"].drop_nulls().unique()
    shared = lines.filter(no_amount)["order_id"].is_in(priced.implode()).mean()
    return (shared or 0.0) >= 0.5


def apply_mapping(frame: pl.DataFrame, mapping: ColumnMapping, file: str) -> MappedLines:
    """Canonical lines (and customers' regions) from `frame` read through `mapping`.

    Rows without a readable date or amount are left out; every assumption becomes a Note.
    Order ids the mapping makes up (a row's own order, a customer's day) start with `file`, so
    that files stacked together never share one; ids read from the file are kept as they are.
    Raises ValueError when the mapping has a structural problem (see mapping_problems).
    """
    problems = _structure_problems(frame, mapping)
    if problems:
        raise ValueError(" ".join(problems))
    used = mapping.used()
    typed, parsed, emails = _columns(frame, mapping)
    rows = frame.height
    notes: list[Note] = []

    def note(column: str, message: str, count: int = 0) -> None:
        notes.append(Note(file, column, message, count=count, rows=rows))

    # Unreadable quantities or prices only lose their own value when revenue has its own column;
    # otherwise the row has no revenue and is counted with the rows left out below.
    for field in ("quantity", "unit_price") if "revenue" in used else ():
        if field in parsed and parsed[field].failures:
            result = parsed[field]
            note(
                used[field],
                f"{result.problem('numbers')}: they were left empty",
                result.failures,
            )

    if emails:
        note(used["customer_id"], EMAILS_READ)
    missing = "customer_id" in typed and typed["customer_id"].null_count()  # guests among them
    if missing and (guests := _guests(frame[used["customer_id"]])):
        note(
            used["customer_id"],
            fmt.counted(
                guests,
                "row whose customer id is 0 or a guest's (how exports write a guest or walk-in "
                "buyer) is read as no customer",
                "rows whose customer id is 0 or a guest's (how exports write a guest or walk-in "
                "buyer) are read as no customer",
            ),
            guests,
        )
    lines = _derived(
        pl.DataFrame(list(typed.values())).with_columns(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("_row")
        )
    )
    if "revenue" not in used:
        how = "quantity x unit price" if "quantity" in used else "unit price (quantity 1)"
        note(used["unit_price"], f"revenue computed as {how}")
    elif "quantity" in used and "unit_price" not in used:
        note(used["quantity"], "unit price computed as revenue / quantity")

    dates = parsed["ordered_at"]
    for said in (
        parse.ambiguity(dates.detail),
        parse.offsets(dates.detail),
        parse.numbered(dates.detail),
    ):
        if said:
            note(used["ordered_at"], said)
    no_date = lines["ordered_at"].is_null()
    dropped = int(no_date.sum())
    if dropped:
        problem = dates.problem("dates") if dates.failures else ""
        if dropped == rows:
            message = (
                f"all {rows:,} rows {LEFT_OUT}: '{used['ordered_at']}' has no usable date "
                f"({problem or 'it is empty'}): map the column that holds order dates, or fix "
                "the dates and upload the file again"
            )
        else:
            unread = f" ({problem})" if problem else ""
            message = (
                f"{dropped:,} of {rows:,} rows without a readable date{unread} {LEFT_OUT}: fix "
                "the dates "
                "in the source file to include them"
            )
        note(used["ordered_at"], message, dropped)
    no_amount = lines["revenue"].is_null() & ~no_date
    lost = int(no_amount.sum())
    if lost:
        failed = [f for f in ("revenue", "quantity", "unit_price") if f in parsed]
        failed = [f for f in failed if parsed[f].failures]
        # Each column's unreadable values under its name when several have them (the audit's
        # 'two' of a quantity was filed under the unit price).
        problems = "; ".join(
            (f"'{used[f]}': " if len(failed) > 1 else "") + parsed[f].problem("numbers")
            for f in failed
        )
        if problems:
            fix = (
                f"({problems}) {LEFT_OUT}: write the amounts as plain numbers in the source file, "
                "or map another amount column"
            )
        elif _on_first_lines(lines, no_amount):
            fix = (
                f"{LEFT_OUT}: map the column that holds each line's amount (or quantity and unit "
                "price), not one written on an order's first line only"
            )
        else:  # calamine reads a workbook's error cells as empty
            fix = (
                f"{LEFT_OUT}: their amount is empty (or, in a workbook, an error such as #N/A or "
                "#DIV/0!): fill it in the source file, or map another amount column"
            )
        note(
            used[failed[0]] if len(failed) == 1 else used.get("revenue") or used["unit_price"],
            f"{lost:,} of {rows:,} rows without a readable amount {fix}",
            lost,
        )
    if dropped or lost:
        lines = lines.filter(~(no_date | no_amount))

    own_row = pl.lit(f"{file} row ") + pl.col("_row").cast(pl.String)
    if "order_id" in lines.columns:
        # A row with neither an order id nor an amount sold nothing: a fee, a payout, a total.
        empty = pl.col("order_id").is_null() & (pl.col("revenue").fill_null(0.0) == 0)
        if nothing := int(lines.select(empty.sum()).item()):
            note(
                used["order_id"],
                f"rows with neither an order id nor an amount {LEFT_OUT} ({nothing:,}): they "
                "sell nothing (a fee, a payout or a total, as marketplaces' reports list them)",
                nothing,
            )
            lines = lines.filter(~empty)
        made_up = lines.filter(pl.col("order_id").is_null()).select(own_row).to_series()
        if made_up.len():
            note(
                used["order_id"],
                fmt.counted(
                    made_up.len(),
                    "row without an order id was counted as one order",
                    "rows without an order id were each counted as one order",
                ),
                made_up.len(),
            )
            lines = lines.with_columns(pl.coalesce("order_id", own_row))
    elif "customer_id" in lines.columns:
        # A customer's rows of one day are one purchase (as CLV and the CDNOW literature count
        # them): the order is named after both.
        alone = int(lines["customer_id"].null_count())
        alone_rows = fmt.counted(alone, "row")
        also = f"; {alone_rows} without a customer each counted as one order" if alone else ""
        note("order_id", f"no order id: each customer's rows on one day counted as one order{also}")
        day = pl.col("ordered_at").dt.strftime("%Y-%m-%d")
        lines = lines.with_columns(
            pl.coalesce(pl.lit(f"{file} ") + pl.col("customer_id") + " " + day, own_row).alias(
                "order_id"
            )
        )
    else:
        note("order_id", "no order id: each row counted as one order")
        lines = lines.with_columns(own_row.alias("order_id"))
    if "order_id" not in used:
        made_up = lines.get_column("order_id").unique(maintain_order=True)
    if "customer_id" not in lines.columns:
        note("customer_id", "no customer id: customer pages unavailable")
        lines = lines.with_columns(pl.lit(None, dtype=pl.String).alias("customer_id"))

    if "item_id" not in lines.columns and "item_name" in lines.columns:
        # A file that names its products without a code: the name is the item, as a reader
        # would take it (no item was ranked, and each line read as an order's total).
        note(used["item_name"], "no product code mapped: items are told apart by their name")
        lines = lines.with_columns(pl.col("item_name").alias("item_id"))
    if "item_id" in lines.columns and lines["item_id"].null_count():  # else none can be one
        named = lines if "item_name" in lines.columns else lines.with_columns(item_name=None)
        summary = named.select(_summary_row()).to_series()
        if summaries := int(summary.sum()):
            # What the header says of its order (a status, a discount) passes to its lines.
            carried = [c for c in ("status", *TAKEN_OFF) if c in lines.columns]
            lines = lines.with_columns(summary.alias("_summary")).with_columns(
                _from_summary(c) for c in carried
            )
            note(
                used.get("item_id") or used["item_name"],
                fmt.counted(
                    summaries,
                    "row without an item, whose amount is the sum of its order's item rows (an "
                    "order's header or summary row, as Lightspeed and eBay write them), was left "
                    "out: counted, it would count the order twice",
                    "rows without an item, whose amounts are the sums of their orders' item rows "
                    "(orders' header or summary rows, as Lightspeed and eBay write them), were "
                    "left out: counted, they would count their orders twice",
                ),
                summaries,
            )
            lines = lines.filter(~summary).drop("_summary")
    # Unmapped optional fields are present but empty, so every mapped data set has one schema.
    lines = lines.with_columns(
        (pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("order_id")).alias("line_no")
    )
    lines = lines.with_columns(
        pl.lit(None).alias(c) for c in SPECS["lines"].columns if c not in lines.columns
    )
    unsold = None
    if "status" in lines.columns:
        blanks = lines["status"].null_count()
        lines, unsold = _set_apart(lines)
        read = _status_read(lines, unsold, blanks - lines["status"].null_count())
        note(used["status"], read, 0 if unsold is None else unsold.height)
    for field in TAKEN_OFF:
        if field in lines.columns:
            source = _revenue_source(used)
            done = _taken_off(lines, field, source)
            lines = done.lines
            if done.said:
                note(used[field], done.said, done.orders)
            if done.emptied is not None:
                full = measures.unsold_message(done.emptied, whose="refunded in full")
                note(used[field], full, done.emptied.height)
                apart = conform("lines", done.emptied)
                unsold = apart if unsold is None else pl.concat([conform("lines", unsold), apart])

    returns = int(lines["is_return"].sum())
    if returns:
        note(
            used.get("quantity") or used.get("revenue") or used["unit_price"],
            fmt.counted(
                returns,
                "line with a negative amount or quantity was treated as a return",
                "lines with a negative amount or quantity were treated as returns",
            ),
            returns,
        )
    lines = conform("lines", lines)
    customers = None
    if "customer_id" in used and "region" in used:
        customers = conform("customers", _customer_regions(lines))
    return MappedLines(
        lines,
        customers,
        tuple(notes),
        made_up.alias("order_id"),
        currency_code(mapping.currency) or "",
        file,
        None if unsold is None else conform("lines", unsold),
    )


def _sale() -> pl.Expr:
    """A line an amount taken off can come off: no return, and revenue above 0."""
    return ~pl.col("is_return") & (pl.col("revenue") > 0)


def _order_shaped(field: str) -> pl.Expr:
    """Per line, whether its order of several sale lines writes the amount `field` (TAKEN_OFF)
    as an order's: one value repeated on every sale line (Etsy), or a value on the first line
    only, the others blank (Squarespace writes an order's fields so; a line's own amounts leave
    zeros)."""
    sale = _sale()
    lines = sale.sum().over("order_id")
    written = (pl.col(field).is_not_null() & sale).sum().over("order_id")
    values = pl.col(field).abs().filter(sale).n_unique().over("order_id")
    first = pl.col(field).filter(sale).first().over("order_id").is_not_null()
    return (lines > 1) & (((values == 1) & (written == lines)) | ((written == 1) & first))


def _per_order(lines: pl.DataFrame, field: str) -> bool:
    """Whether the file writes an amount taken off (TAKEN_OFF) as orders' (`lines`' _shaped
    column: _order_shaped) in (nearly) all its orders of several sale lines that have one: all
    of them when fewer than 3, REPEATED_TOTALS of them from 3."""
    given = pl.col(field).abs().fill_null(0.0).filter(_sale())
    per = (
        lines.group_by("order_id")
        .agg(_sale().sum().alias("n"), given.max().alias("top"), pl.col("_shaped").first())
        .filter((pl.col("n") > 1) & (pl.col("top") > 0))
    )
    share = REPEATED_TOTALS if per.height >= 3 else 1.0
    return per.height > 0 and int(per["_shaped"].sum()) >= share * per.height


_TAKEN_WORDS = {"discount": "discounts", "refunded": "refunds"}


@dataclass(frozen=True)
class _TakenOff:
    """What _taken_off did: the lines kept (revenue net of the amounts), the note's text ('' when
    nothing was taken), over how many orders, and the lines of orders it took all the revenue of
    (refunded in full: no sale, as a status 'Refunded' says; None when none), as recorded."""

    lines: pl.DataFrame
    said: str
    orders: int
    emptied: pl.DataFrame | None


def _taken_off(lines: pl.DataFrame, field: str, source: str = "revenue") -> _TakenOff:
    """`lines` with an amount taken off (TAKEN_OFF: `field`, then dropped) off the sale lines'
    revenue (never below 0): where the file writes orders' amounts (_per_order), an order's once,
    spread over its sale lines by their revenue; else each line's own, or, where one exceeds its
    line, the order's sum spread so. An order whose refunds take all its revenue is set
    apart. `source` names what the revenue is read from, in the note, as read before them."""
    given = pl.col(field).abs().fill_null(0.0)
    sale = _sale()
    lines = lines.with_columns(_order_shaped(field).alias("_shaped"))  # its windows once
    repeated = _per_order(lines, field)
    sold = pl.col("revenue").filter(sale).sum().over("order_id")
    # An order's amount once where the file writes orders' and this order does; else the sum of
    # its lines' own, each off its line, or spread over the order where one exceeds its line.
    once = pl.lit(repeated) & pl.col("_shaped")
    amount = (
        pl.when(once)
        .then(given.filter(sale).max().over("order_id"))
        .otherwise(given.filter(sale).sum().over("order_id"))
    )
    fits = (~sale | (given <= pl.col("revenue"))).all().over("order_id")
    spread = amount * pl.col("revenue") / sold
    taken = pl.when(sale).then(pl.when(once | ~fits).then(spread).otherwise(given)).otherwise(0.0)
    taken = pl.min_horizontal(taken, pl.when(sale).then(pl.col("revenue")).otherwise(0.0))
    marked = lines.with_columns(taken.fill_null(0.0).alias("_taken")).drop("_shaped")
    emptied = None
    if field == "refunded":
        full = (sold > 0) & (pl.col("_taken").sum().over("order_id") >= sold - CENT)
        marked = marked.with_columns(full.alias("_full"))
        if marked["_full"].any():
            emptied = marked.filter("_full").drop("_taken", "_full", field)
        marked = marked.filter(~pl.col("_full")).drop("_full")
    total = float(marked["_taken"].sum())
    kept = marked.with_columns(pl.col("revenue") - pl.col("_taken")).drop("_taken", field)
    if total <= 0:
        return _TakenOff(kept, "", 0, emptied)
    orders = marked.filter(pl.col("_taken") > 0)["order_id"].n_unique()
    how = (
        "an order's, on each of its lines or its first: taken once, spread over its lines by "
        "revenue"
        if repeated
        else "each line's own"
    )
    said = (
        f"{_TAKEN_WORDS[field]} taken off revenue ({source}, read as before them): "
        f"{fmt.number(total, 2)} over {fmt.counted(orders, 'order')} ({how})"
    )
    return _TakenOff(kept, said, orders, emptied)


def _from_summary(column: str) -> pl.Expr:
    """`column` of an order's lines filled from its summary row (flagged `_summary`) where all
    of them leave it blank: the order's status or amount taken off, said once on its header."""
    header = pl.col(column).filter("_summary").first().over("order_id")
    blank = pl.col(column).filter(~pl.col("_summary")).is_null().all().over("order_id")
    return pl.when(blank).then(header).otherwise(pl.col(column)).alias(column)


def _summary_row() -> pl.Expr:
    """A row without an item (no id, no name: a 'Shipping' row is a line) in an order whose
    other rows name items, its revenue the sum of theirs to the cent: the order's header or
    summary row, not a line of it."""
    bare = pl.col("item_id").is_null() & pl.col("item_name").is_null()
    items = pl.col("revenue").filter(~bare).sum().over("order_id")
    repeats = (pl.col("revenue") - items).abs() <= CENT
    return bare & (~bare).any().over("order_id") & repeats


# Words of a status that says its order sold nothing, in the languages of the field names
# (measures.UNSOLD_STATUSES): cancelled, voided, unavailable or expired (a payment authorised and
# never captured)...
_CANCEL_WORDS = (
    "cancel|canceled|cancelled|cancellation|cancelado|cancelada|cancelacion|cancelamento|anulado|"
    "anulada|anulacion|annule|annulee|annulation|storniert|storno|abgebrochen|annulliert|"
    "geannuleerd|annullato|annullata|cancellato|cancellata|void|voided|unavailable|indisponivel|"
    "indisponible|expired|expirado|expirada|expire|expiree|abgelaufen|verlopen|scaduto|scaduta"
)
# ... refunded or returned ...
_REFUND_WORDS = (
    "refund|refunded|reembolsado|reembolsada|reembolso|estornado|estornada|estorno|rembourse|"
    "remboursee|remboursement|erstattet|ruckerstattet|zuruckerstattet|rueckerstattet|"
    "erstattung|ruckerstattung|rueckerstattung|terugbetaald|terugbetaling|rimborsato|"
    "rimborsata|rimborso|devolvido|devolvida|devolucao|devuelto|devuelta|devolucion|retourne|"
    "retournee|retourniert|retourneerd|reso"
)
# ... or a payment that failed, so no money came in ('Refund failed': the refund failed).
_FAILED_WORDS = (
    "failed|declined|denied|rejected|fehlgeschlagen|abgelehnt|echoue|echouee|erreur|rechazado|"
    "rechazada|recusado|recusada|fallido|fallida|falhou|mislukt|geweigerd|fallito|fallita|"
    "rifiutato|rifiutata"
)
# ... or an order held as suspected fraud (DataCo's SUSPECTED_FRAUD, Magento's 'Suspected Fraud').
_FRAUD_WORDS = "fraud|fraude|fraudulent|betrug|betrugsverdacht|frode"
# A word that says so only in part ('Partially refunded') anywhere, or not at all or not yet
# next to the word it qualifies ('Not refunded', 'Cancellation requested'; 'Cancelled - not
# shipped' is cancelled).
_PARTLY_WORDS = (
    "part|partial|partially|partly|parcial|parcialmente|partiel|partielle|partiellement|"
    "teilweise|teilerstattet|deels|gedeeltelijk|parziale|parzialmente"
)
_NOT_WORDS = "not|no|non|nicht|kein|keine|niet|nao|geen"
_NOT_YET_WORDS = (
    "requested|request|pending|awaiting|angefragt|beantragt|demande|demandee|solicitado|"
    "solicitada|solicitud|pendiente|pendente|richiesto|richiesta|aangevraagd|in attesa"
)


def _says_unsold(status: pl.Expr) -> pl.Expr:
    """Whether a status says its line sold nothing: it is cancelled or refunded (a word of
    _CANCEL_WORDS or _REFUND_WORDS not said to be so in part, not, or not yet), or its payment
    failed (_FAILED_WORDS, unless a refund is what failed), or it is held as suspected fraud
    (_FRAUD_WORDS, not said to be not so or not yet); accents, case, underscores and
    hyphens aside ('order_cancelled')."""
    text = (
        status.str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.to_lowercase()
        .str.replace_all(r"[_\-]", " ")
    )

    def has(pattern: str) -> pl.Expr:
        return text.str.contains(pattern)

    def said(words: str) -> pl.Expr:
        word = rf"({words})"
        qualified = rf"\b({_NOT_WORDS})\s+{word}\b|\b{word}\s+({_NOT_YET_WORDS})\b"
        return has(rf"\b{word}\b") & ~has(qualified) & ~has(rf"\b({_NOT_YET_WORDS})\s+{word}\b")

    refunded = has(rf"\b({_REFUND_WORDS})\b")
    failed = has(rf"\b({_FAILED_WORDS})\b") & ~refunded
    undone = said(_CANCEL_WORDS) | (said(_REFUND_WORDS) & ~has(rf"\b({_FAILED_WORDS})\b"))
    partly = has(rf"\b({_PARTLY_WORDS})\b")
    return ((undone & ~partly) | failed | said(_FRAUD_WORDS)).fill_null(False)


def _set_apart(lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """(lines sold, lines set apart or None) by their status (a text column; a blank one takes
    its order's, as exports that write order fields on an order's first line only leave it): a
    sale line whose status says it sold nothing (_says_unsold) is no sale, nor is a return of
    that status in an order whose sale was set apart (a refund of a sale left out leaves nothing
    to net), nor a return of that status under an order number of its own that takes back, to
    the cent, an order of the same customer set apart (a register's cancelling invoice,
    'Stornorechnung', beside the invoice it cancels, 'storniert'). A return of an order sold
    stays: it takes back part of that sale."""
    if lines["status"].null_count():  # a window over every order costs: only when needed
        lines = lines.with_columns(
            pl.col("status").forward_fill().backward_fill().over("order_id").alias("status")
        )
    statuses = lines.select(pl.col("status").unique()).filter(_says_unsold(pl.col("status")))
    said = pl.col("status").is_in(statuses["status"].implode()).fill_null(False)
    sale_out = said & ~pl.col("is_return")
    out = sale_out
    if lines["is_return"].any():
        out = sale_out | (said & pl.col("is_return") & sale_out.any().over("order_id"))
    flagged = lines.with_columns(out.alias("_out"))
    if not flagged["_out"].any():
        return lines, None
    if flagged["is_return"].any() and flagged["customer_id"].is_not_null().any():
        cents = (pl.col("revenue").sum().over("order_id") * 100).round(0).cast(pl.Int64)
        flagged = flagged.with_columns(cents.alias("_cents"))
        gone = flagged.filter(pl.col("_out") & ~pl.col("is_return")).select("customer_id", "_cents")
        alone = said & pl.col("is_return").all().over("order_id") & ~pl.col("_out")
        undoing = (
            flagged.filter(alone)
            .select("order_id", "customer_id", -pl.col("_cents"))
            .join(gone.unique(), on=["customer_id", "_cents"], how="semi")["order_id"]
        )
        flagged = flagged.with_columns(
            (pl.col("_out") | pl.col("order_id").is_in(undoing.implode())).alias("_out")
        ).drop("_cents")
    return (
        flagged.filter(~pl.col("_out")).drop("_out"),
        flagged.filter(pl.col("_out")).drop("_out"),
    )


def _quoted(statuses: pl.Series, n: int = 4) -> str:
    """The `n` most frequent statuses of `statuses` (ties alphabetically), quoted and cut to 40
    characters each."""
    counted = statuses.drop_nulls().value_counts()
    common = counted.sort(["count", "status"], descending=[True, False]).head(n)["status"]
    return ", ".join(f"'{fmt.clipped(v, 40)}'" for v in common)


def _status_read(lines: pl.DataFrame, unsold: pl.DataFrame | None, blanks: int) -> str:
    """What the status column did: the lines it set apart, the statuses counted as sales, the
    `blanks` that took their order's status, and the returns of orders with no sale (a refund
    under its own number may reverse an order set apart: taken back twice)."""
    kept = _quoted(lines.filter(~pl.col("is_return"))["status"])
    filled = (
        f"; {fmt.counted(blanks, 'blank status took its', 'blank statuses took their')} order's"
        if blanks
        else ""
    )
    if unsold is None:
        return (
            f"no status says {measures.UNSOLD_KINDS}: every line counts as a sale "
            f"({kept or 'no status given'}){filled}"
        )
    whose = f"whose status says {measures.UNSOLD_KINDS} ({_quoted(unsold['status'])})"
    said = measures.unsold_message(unsold, whose=whose)
    if kept:
        said += f"; sales of other statuses stay ({kept}), and so do their orders' returns"
    returns = lines.filter("is_return")
    alone = returns.filter(
        ~pl.col("order_id").is_in(lines.filter(~pl.col("is_return"))["order_id"].implode())
    )
    if alone.height:
        amount = fmt.number(-alone["revenue"].sum(), 2)
        said += (
            "; "
            + fmt.counted(
                alone.height,
                "return under an order number of its own stays",
                "returns under an order number of their own stay",
            )
            + f" (-{amount}): one that reverses an order set apart is taken back twice, so "
            "remove such refunds from the file"
        )
    return said + filled


def stacked(parts: Sequence[MappedLines]) -> tuple[FormatResult, list[str]]:
    """One result from several mapped files (monthly exports of one shop), and a message for
    each file left out because its mapping states another currency than the first that states
    one (amounts in two currencies cannot be added).

    Lines are stacked in the files' order; a customer's region is the most frequent over all
    files; extras[MADE_UP] holds every made-up order id (made_up_hashes).
    """
    stated = [p for p in parts if p.currency]
    main = stated[0] if stated else None
    kept, messages = [], []
    for part in parts:
        if main is None or part.currency in ("", main.currency):
            kept.append(part)
        else:
            messages.append(
                f"{part.file}: its mapping says {part.currency}, that of {main.file} "
                f"{main.currency}; amounts in two currencies cannot be added, so {part.file} "
                "was left out. Load it on its own, or set the same currency in both mappings."
            )
    lines = pl.concat([p.lines for p in kept])
    tables = {"lines": lines}
    if any(p.customers is not None for p in kept):
        tables["customers"] = conform("customers", _customer_regions(lines))
    made_up = (
        pl.concat([p.made_up for p in kept]).to_frame().select(made_up_hashes(pl.col("order_id")))
    )
    unsold = [p.unsold for p in kept if p.unsold is not None]
    apart = {measures.UNSOLD_LINES: pl.concat(unsold)} if unsold else {}
    result = FormatResult(
        tables,
        extras={MADE_UP: made_up, **apart},
        notes=tuple(n for p in kept for n in p.notes),
        currency=main.currency if main else "",
    )
    return result, messages


def _customer_regions(lines: pl.DataFrame) -> pl.DataFrame:
    """customer_id, region: each customer's most frequent region (ties: alphabetically first)."""
    known = lines.filter(pl.col("customer_id").is_not_null())
    counted = (
        known.filter(pl.col("region").is_not_null())
        .group_by("customer_id", "region")
        .len()
        .sort(["customer_id", "len", "region"], descending=[False, True, False])
        .unique("customer_id", keep="first", maintain_order=True)
        .select("customer_id", "region")
    )
    everyone = known.select("customer_id").unique(maintain_order=True)
    return everyone.join(counted, on="customer_id", how="left").sort("customer_id")
