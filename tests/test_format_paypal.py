"""PayPal's activity download: recognised with no mapping, payments received are the sales,
refunds taken off the payments they name, every other row counted and left out."""
# ruff: noqa: E501 (export rows are kept verbatim, one a line)

import polars as pl
import pytest

from lib import catalog, formats, io
from lib.formats.base import dropped
from lib.measures import UNSOLD_LINES
from tests import apptest

HEADER = '"Date","Time","TimeZone","Name","Type","Status","Currency","Gross","Fee","Net","From Email Address","To Email Address","Transaction ID","Shipping and Handling Amount","Insurance Amount","Sales Tax","Item Title","Item ID","Reference Txn ID","Quantity","Balance","Country","Country Code","Balance Impact"'
ROWS = [
    # P1: 50.00 with 5.00 shipping: 45.00 of items, 2 mugs.
    '"01/05/2024","10:00:00","PST","Ann Lee","Express Checkout Payment","Completed","USD","50.00","-1.95","48.05","ann@example.com","shop@example.com","P1","5.00","0.00","0.00","Mug","MUG","","2","148.05","United States","US","Credit"',
    # P2: 30.00 with 2.00 sales tax: 28.00.
    '"01/13/2024","11:30:00","PST","Bo Kim","Website Payment","Completed","USD","30.00","-1.20","28.80","bo@example.com","shop@example.com","P2","0.00","0.00","2.00","Plate","PLT","","1","176.85","United Kingdom","GB","Credit"',
    # P3: Ann again (her address in capitals), 40.00, 10.00 refunded by R3: 30.00.
    '"01/20/2024","09:15:00","PST","Ann Lee","Mobile Payment","Partially Refunded","USD","40.00","-1.50","38.50"," ANN@Example.com ","shop@example.com","P3","0.00","0.00","0.00","Bowl","BWL","","1","215.35","United States","US","Credit"',
    '"01/22/2024","08:00:00","PST","Ann Lee","Payment Refund","Completed","USD","-10.00","0.00","-10.00","shop@example.com","ann@example.com","R3","","","","Bowl","BWL","P3","","205.35","","US","Debit"',
    # P4: refunded in full by R4: no sale.
    '"01/25/2024","12:00:00","PST","Cy Dow","Website Payment","Refunded","USD","20.00","-0.80","19.20","cy@example.com","shop@example.com","P4","0.00","0.00","0.00","Mug","MUG","","1","224.55","United States","US","Credit"',
    '"01/27/2024","12:00:00","PST","Cy Dow","Payment Refund","Completed","USD","-20.00","0.00","-20.00","shop@example.com","cy@example.com","R4","","","","Mug","MUG","P4","","204.55","","US","Debit"',
    # P5 pending and P6 denied: no money moved.
    '"01/28/2024","13:00:00","PST","Di Roe","Express Checkout Payment","Pending","USD","15.00","0.00","15.00","di@example.com","shop@example.com","P5","0.00","0.00","0.00","Mug","MUG","","1","204.55","United States","US","Memo"',
    '"01/29/2024","14:00:00","PST","Ed Fox","Website Payment","Denied","USD","12.00","0.00","12.00","ed@example.com","shop@example.com","P6","0.00","0.00","0.00","Plate","PLT","","1","204.55","United States","US","Memo"',
    # P7 in EUR, converted into the USD balance by C1 and C2: left out, as are the conversions.
    '"01/30/2024","15:00:00","PST","Fi Ott","Website Payment","Completed","EUR","25.00","-1.10","23.90","fi@example.de","shop@example.com","P7","0.00","0.00","0.00","Bowl","BWL","","1","23.90","Germany","DE","Credit"',
    '"01/30/2024","15:00:01","PST","","General Currency Conversion","Completed","EUR","-23.90","0.00","-23.90","","","C1","","","","","","P7","","0.00","","","Debit"',
    '"01/30/2024","15:00:01","PST","","General Currency Conversion","Completed","USD","25.99","0.00","25.99","","","C2","","","","","","P7","","230.54","","","Credit"',
    # A withdrawal, a payment sent to a supplier, and a refund of a payment made before the file.
    '"02/01/2024","02:00:00","PST","Bank Account","General Withdrawal","Completed","USD","-100.00","0.00","-100.00","shop@example.com","","W1","","","","","","","","130.54","","","Debit"',
    '"02/02/2024","09:00:00","PST","Clay Supply","General Payment","Completed","USD","-60.00","0.00","-60.00","shop@example.com","sales@clay.example","S1","","","","Clay","","","1","70.54","","","Debit"',
    '"02/03/2024","10:00:00","PST","Gus Hay","Payment Refund","Completed","USD","-5.00","0.00","-5.00","shop@example.com","gus@example.com","R0","","","","Mug","MUG","P0","","65.54","","US","Debit"',
    # P8: no e-mail address, no name: revenue, no customer.
    '"02/14/2024","16:45:00","PST","","Express Checkout Payment","Completed","USD","18.00","-0.70","17.30","","shop@example.com","P8","0.00","0.00","0.00","Plate","PLT","","1","82.84","United States","US","Credit"',
]
ACTIVITY = ("\ufeff" + "\n".join([HEADER, *ROWS]) + "\n").encode()


def assembled(data: bytes = ACTIVITY) -> formats.Assembly:
    return formats.assemble(io.read_file("Download.CSV", data))


def note_about(ds, column: str, words: str = ""):
    return next(n for n in ds.notes if n.column == column and words in n.message)


def test_payments_received_are_the_sales_netted_of_refunds_without_shipping_and_tax():
    built = assembled()
    assert built.recognitions[0].kind.label == "PayPal activity download"
    ds = built.dataset
    lines = ds.tables["lines"].sort("order_id")
    # By hand: P1 50 - 5 shipping, P2 30 - 2 tax, P3 40 - 10 refunded, P8 18.
    assert lines["order_id"].to_list() == ["P1", "P2", "P3", "P8"]
    assert lines["revenue"].to_list() == pytest.approx([45.0, 28.0, 30.0, 18.0])
    assert lines["revenue"].sum() == pytest.approx(121.0)
    assert ds.currency == "USD"
    assert ds.extras[UNSOLD_LINES]["order_id"].to_list() == ["P4"]  # refunded in full
    # Items, quantities and prices as the rows give them: 2 mugs at 22.50.
    p1 = lines.row(0, named=True)
    assert (p1["item_id"], p1["item_name"], p1["quantity"], p1["unit_price"]) == (
        "MUG",
        "Mug",
        2.0,
        pytest.approx(22.5),
    )
    # Ann's two payments are one person (her address trimmed, in lower case); P8 has none.
    people = lines.group_by("customer_id").agg(pl.col("order_id").sort())
    assert sorted(people["order_id"].to_list()) == [["P1", "P3"], ["P2"], ["P8"]]
    assert people.filter(pl.col("order_id").list.first() == "P8")["customer_id"][0] is None
    assert not any("@" in v for v in lines["customer_id"].drop_nulls())
    # Dates month first, as a US account writes them (13, 20, 25... only fit that way).
    assert str(lines["ordered_at"][1]) == "2024-01-13 11:30:00"
    assert lines["region"].to_list() == ["US", "GB", "US", "US"]
    orders = ds.tables["orders"].sort("order_id")
    assert orders.filter(pl.col("order_id") == "P1")["freight"][0] == pytest.approx(5.0)
    assert orders.filter(pl.col("order_id") == "P2")["freight"][0] == pytest.approx(2.0)


def test_every_row_that_is_no_sale_is_counted_in_a_note():
    ds = assembled().dataset
    other = note_about(ds, "Type")
    assert other.count == 4
    # Counted among the rows left out, as the Data page sums them: 4 no sales, 1 pending,
    # 1 denied, 1 in EUR.
    assert sum(n.count for n in dropped(ds.notes)) == 7
    assert (
        "general currency conversion (2), general payment (1), general withdrawal (1)"
        in other.message
    )
    assert note_about(ds, "Status", "pending").count == 1
    assert note_about(ds, "Status", "denied").count == 1
    assert note_about(ds, "Currency").count == 1  # P7, in EUR
    orphan = note_about(ds, "Reference Txn ID", "not a sale of this file")
    assert orphan.count == 1 and "5.00 USD" in orphan.message
    assert note_about(ds, "Reference Txn ID", "partly refunded").count == 1
    assert "10.00 USD" in note_about(ds, "Reference Txn ID", "partly refunded").message
    assert note_about(ds, "Reference Txn ID", "in full").count == 1
    # Fees of the five payments received in USD: 1.95 + 1.20 + 1.50 + 0.80 + 0.70.
    assert "6.15 USD" in note_about(ds, "Fee").message
    assert note_about(ds, "From Email Address").count == 1
    assert "(PST)" in note_about(ds, "TimeZone").message


def kpis(ds) -> dict:
    """The Sales page's figures (its headless twin): revenue, orders, customers..."""
    from lib.analyses import sales

    return {r["metric"]: r["value"] for r in sales.headless(ds)["kpis"].to_dicts()}


def test_the_sales_headless_twin_counts_the_payments_as_orders():
    figures = kpis(assembled().dataset)
    assert figures["revenue"] == pytest.approx(121.0)
    assert figures["orders"] == 4


def test_the_export_enables_the_customer_pages_and_the_item_ones_it_has_items_for():
    ds = assembled().dataset
    enabled = {p.key for p in catalog.PAGES if p.enabled(ds)}
    assert {"sales", "rfm", "cohorts", "clusters", "clv", "regions"} <= enabled
    assert "categories" not in enabled  # items but no categories


@pytest.mark.parametrize("page", apptest.ORDER_PAGES)
def test_each_page_its_data_allows_renders_with_no_email_shown(page):
    frame = io.read_file("Download.CSV", ACTIVITY)[0].frame
    at = apptest.files_page({"Download.CSV": frame}, page, "paypal")
    assert not apptest.tables_show(at, "@")


def row(
    txn,
    kind,
    gross,
    *,
    status="Completed",
    ref="",
    email="x@example.com",
    impact="Credit",
    ship=0.0,
):
    """One activity row in USD, on 15 Jan 2024, with no tax and `ship` of shipping."""
    net = gross
    return (
        f'"01/15/2024","10:00:00","PST","X","{kind}","{status}","USD","{gross:.2f}","0.00",'
        f'"{net:.2f}","{email}","shop@example.com","{txn}","{ship:.2f}","0.00","0.00","","",'
        f'"{ref}","","0.00","United States","US","{impact}"'
    )


def test_fees_holds_and_their_releases_are_not_taken_off_a_payment():
    """Adversarial audit: a chargeback fee, a fee reversal and a hold's release named their
    payment and moved its revenue. By hand: A 60 charged back (-60) and the chargeback reversed
    (+60), a 20 fee apart: 60. B 200 held (-200), released (+200), refunded 50: 150."""
    text = "\n".join(
        [
            HEADER,
            row("A", "Express Checkout Payment", 60.0),
            row("A1", "Chargeback", -60.0, ref="A", impact="Debit"),
            row("A2", "Chargeback Fee", -20.0, ref="A", impact="Debit"),
            row("A3", "Chargeback Reversal", 60.0, ref="A"),
            row("A4", "Fee Reversal", 0.30, ref="A"),
            row("B", "Website Payment", 200.0),
            row("B1", "Hold on Available Balance", -200.0, ref="B", impact="Debit"),
            row("B2", "Reversal of General Account Hold", 200.0, ref="B"),
            row("B3", "Payment Refund", -50.0, ref="B", impact="Debit"),
        ]
    )
    lines = assembled(text.encode()).dataset.tables["lines"].sort("order_id")
    assert lines["revenue"].to_list() == pytest.approx([60.0, 150.0])


def test_old_history_rows_that_are_no_sales_are_not_counted():
    """'Update to eCheck Received' repeats a payment, an uncleared eCheck moved no money yet,
    debit card cashback and a mass payment to the account are no sales: only C (30) is."""
    text = "\n".join(
        [
            HEADER,
            row("C", "Payment Received", 30.0),
            row("C1", "Update to eCheck Received", 30.0, ref="C"),
            row("D", "eCheck Received", 70.0, status="Uncleared"),
            row("E", "Virtual Debit Card Credit Received", 3.5),
            row("F", "Mass Pay Payment", 40.0),
        ]
    )
    ds = assembled(text.encode()).dataset
    assert ds.tables["lines"]["order_id"].to_list() == ["C"]
    assert note_about(ds, "Status", "uncleared").count == 1
    assert note_about(ds, "Type").count == 3


def test_overlapping_downloads_count_each_row_once_and_a_cart_s_item_rows_not_at_all():
    """Two downloads whose ranges overlap hold the same rows: each counts once. A shopping
    cart payment (G, 70) is followed by its item rows under the same Transaction ID: detail, not
    repeats, and no sales. By hand: G 70 + H 25 = 95 from the first file, and with the later
    download's I 5, 100 from both."""
    text = "\n".join(
        [
            HEADER,
            row("G", "Shopping Cart Payment Received", 70.0),
            row("G", "Shopping Cart Item", 30.0),
            row("G", "Shopping Cart Item", 40.0),
            row("H", "Website Payment", 25.0),
        ]
    ).encode()
    once = assembled(text).dataset
    assert once.tables["lines"]["revenue"].sum() == pytest.approx(95.0)
    assert not [n for n in once.notes if n.column == "Transaction ID"]
    # The next download's range (one payment more) overlaps: the same download twice is read
    # once before the format sees it (formats.copies).
    later = text + b"\n" + row("I", "Website Payment", 5.0).encode()
    both = formats.assemble(
        io.read_file("Download.CSV", text) + io.read_file("Download (1).CSV", later)
    ).dataset
    assert sorted(both.tables["lines"]["order_id"]) == ["G", "H", "I"]
    assert both.tables["lines"]["revenue"].sum() == pytest.approx(100.0)
    assert note_about(both, "Transaction ID").count == 4


def test_a_payment_pending_in_one_download_and_completed_in_a_later_one_counts_as_completed():
    """Audit: the same payment pending ('Memo') in Download.CSV and completed in a later,
    overlapping download was dropped as a repeat of the pending copy, then left out as pending
    (revenue 20, 1 order). The copy furthest along is kept, whichever file comes first.
    By hand: A 50 (completed in the later download) + B 20 = 70, 2 orders; C completed in the
    first download and 'Refunded' in the later one (its refund dated after the first's range,
    in neither): no sale."""
    early = "\n".join(
        [
            HEADER,
            row("A", "Website Payment", 50.0, status="Pending", impact="Memo"),
            row("C", "Website Payment", 30.0, email="c@example.com"),
        ]
    ).encode()
    later = "\n".join(
        [
            HEADER,
            row("A", "Website Payment", 50.0),
            row("C", "Website Payment", 30.0, status="Refunded", email="c@example.com"),
            row("B", "Website Payment", 20.0, email="b@example.com"),
        ]
    ).encode()
    for first, second in ((early, later), (later, early)):
        ds = formats.assemble(
            io.read_file("Download.CSV", first) + io.read_file("Download (1).CSV", second)
        ).dataset
        figures = kpis(ds)
        assert (figures["revenue"], figures["orders"]) == (pytest.approx(70.0), 2)
        assert ds.extras[UNSOLD_LINES]["order_id"].to_list() == ["C"]
        assert note_about(ds, "Transaction ID", "repeat").count == 2  # A and C once each
        assert not [n for n in ds.notes if n.column == "Status"]  # nothing pending left


def test_refunds_that_moved_no_money_are_taken_off_nothing():
    """Audit: a refund that failed, is still pending, was denied or is marked 'Memo' (no balance
    moved) was taken off its payment, as payments so are left out. By hand: A, B, C and D 50
    each, their refunds of 20 moved nothing: 50 each; E 40 less a completed 10 = 30."""
    text = "\n".join(
        [
            HEADER,
            row("A", "Website Payment", 50.0),
            row("A1", "Payment Refund", -20.0, ref="A", status="Failed", impact="Memo"),
            row("B", "Website Payment", 50.0),
            row("B1", "Payment Refund", -20.0, ref="B", status="Pending", impact="Memo"),
            row("C", "Website Payment", 50.0),
            row("C1", "Payment Refund", -20.0, ref="C", impact="Memo"),
            row("D", "Website Payment", 50.0),
            row("D1", "Payment Refund", -20.0, ref="D", status="Denied", impact="Debit"),
            row("E", "Website Payment", 40.0),
            row("E1", "Payment Refund", -10.0, ref="E", impact="Debit"),
        ]
    )
    ds = assembled(text.encode()).dataset
    lines = ds.tables["lines"].sort("order_id")
    assert lines["revenue"].to_list() == pytest.approx([50.0, 50.0, 50.0, 50.0, 30.0])
    assert note_about(ds, "Status", "moved no money").count == 4
    partly = note_about(ds, "Reference Txn ID", "partly refunded")
    assert partly.count == 1 and "(10.00 USD)" in partly.message


def test_a_virtual_terminal_transaction_is_a_payment_received():
    """Audit: a card payment the shop keyed in PayPal's Virtual Terminal ('Virtual Terminal
    Transaction', PayPal's T0012) was no sale. By hand: V 50 less a refund of 10 = 40, plus
    W 10: 50 in 2 orders; a virtual debit card's cashback stays no sale."""
    text = "\n".join(
        [
            HEADER,
            row("V", "Virtual Terminal Transaction", 50.0),
            row("V1", "Payment Refund", -10.0, ref="V", impact="Debit"),
            row("W", "Website Payment", 10.0, email="w@example.com"),
            row("E", "Virtual Debit Card Credit Received", 3.5),
        ]
    )
    ds = assembled(text.encode()).dataset
    lines = ds.tables["lines"].sort("order_id")
    assert lines["order_id"].to_list() == ["V", "W"]
    assert lines["revenue"].to_list() == pytest.approx([40.0, 10.0])
    assert "virtual debit card credit received (1)" in note_about(ds, "Type", "no sales").message


def test_a_payment_whose_refunds_took_back_all_its_items_is_no_sale():
    """Audit: refunds were compared with the gross, so a payment refunded of all its items but
    not its shipping stayed an order (and a customer) with no revenue. By hand: A 50 with 5
    shipping refunded 45: its items' 45 all back, unsold; B 50 with 5 shipping refunded 40:
    5; C 10. Revenue 15, 2 orders, 2 customers."""
    text = "\n".join(
        [
            HEADER,
            row("A", "Website Payment", 50.0, ship=5.0, email="a@example.com"),
            row("A1", "Payment Refund", -45.0, ref="A", impact="Debit"),
            row("B", "Website Payment", 50.0, ship=5.0, email="b@example.com"),
            row("B1", "Payment Refund", -40.0, ref="B", impact="Debit"),
            row("C", "Website Payment", 10.0, email="c@example.com"),
        ]
    )
    ds = assembled(text.encode()).dataset
    assert ds.extras[UNSOLD_LINES]["order_id"].to_list() == ["A"]
    figures = kpis(ds)
    assert (figures["revenue"], figures["orders"], figures["customers"]) == (
        pytest.approx(15.0),
        2,
        2,
    )
    assert note_about(ds, "Reference Txn ID", "in full").count == 1
    assert "(40.00 USD)" in note_about(ds, "Reference Txn ID", "partly refunded").message


def test_refunds_of_payments_not_in_the_file_are_counted_in_the_file_s_currency():
    """A refund of a payment made before the file (-5 USD) is noted; a refund the shop
    received of a payment it sent (+25) names no sale and is no refund of one."""
    text = "\n".join(
        [
            HEADER,
            row("K", "Website Payment", 10.0),
            row("K1", "Payment Refund", -5.0, ref="OLD", impact="Debit"),
            row("K2", "Payment Refund", 25.0, ref="SENT"),
        ]
    )
    orphan = note_about(assembled(text.encode()).dataset, "Reference Txn ID", "not a sale")
    assert orphan.count == 1 and "(5.00 USD)" in orphan.message


def test_a_file_without_sales_says_so_without_blank_currencies():
    text = "\n".join([HEADER, row("W", "General Withdrawal", -100.0, impact="Debit")])
    ds = assembled(text.encode()).dataset
    assert ds.tables["lines"].height == 0
    assert not [n for n in ds.notes if " )" in n.message or "(0.00" in n.message]


# PayPal's German activity download, its header verbatim (41 columns).
DE_HEADER = '"Datum","Uhrzeit","Zeitzone","Name","Typ","Status","Währung","Brutto","Gebühr","Netto","Absender E-Mail-Adresse","Empfänger E-Mail-Adresse","Transaktionscode","Lieferadresse","Adress-Status","Artikelbezeichnung","Artikelnummer","Versand- und Bearbeitungsgebühr","Versicherungsbetrag","Umsatzsteuer","Option 1 Name","Option 1 Wert","Option 2 Name","Option 2 Wert","Zugehöriger Transaktionscode","Rechnungsnummer","Zollnummer","Anzahl","Empfangsnummer","Guthaben","Adresszeile 1","Adresszusatz","Ort","Bundesland","PLZ","Land","Telefon","Betreff","Hinweis","Ländervorwahl","Auswirkung auf Guthaben"'


def de_row(
    day,
    txn,
    kind,
    gross,
    *,
    status="Abgeschlossen",
    ref="",
    email="",
    ship="0,00",
    tax="0,00",
    item="",
    qty="",
    impact="Haben",
):
    """One German row in EUR: German numbers, the day first; `gross` as written."""
    return (
        f'"{day}","10:00:00","Europe/Berlin","X","{kind}","{status}","EUR","{gross}","0,00",'
        f'"{gross}","{email}","shop@example.de","{txn}","","","{item}","","{ship}","0,00",'
        f'"{tax}","","","","","{ref}","","","{qty}","","0,00","","","","","","Deutschland","",'
        f'"","","","{impact}"'
    )


def test_a_german_download_reads_as_the_english_one():
    """Audit: a German download (Datum, Typ, Brutto...) was no PayPal export and its guessed
    mapping read the insurance or the VAT column as revenue. By hand: A 50 less 5 shipping = 45
    (2 cups), B 1.234,00 less 34 VAT = 1,200 on 5 March, A again 40 less a 10 refund = 30; D
    refunded in full; E pending; a conversion, a payout, a top-up from the bank and a fee are
    no sales."""
    text = "\n".join(
        [
            DE_HEADER,
            de_row(
                "01.03.2024",
                "Z1",
                "Website-Zahlung",
                "50,00",
                email="anna@example.de",
                ship="5,00",
                item="Tasse",
                qty="2",
            ),
            de_row(
                "05.03.2024",
                "Z2",
                "Express-Zahlung",
                "1.234,00",
                email="bernd@example.de",
                tax="34,00",
            ),
            de_row("06.03.2024", "Z3", "Handyzahlung", "40,00", email="Anna@Example.de"),
            de_row("07.03.2024", "R3", "Rückzahlung", "-10,00", ref="Z3", impact="Soll"),
            de_row(
                "08.03.2024",
                "Z4",
                "Zahlung erhalten",
                "20,00",
                status="Erstattet",
                email="cem@example.de",
            ),
            de_row("09.03.2024", "R4", "Rückzahlung", "-20,00", ref="Z4", impact="Soll"),
            de_row(
                "10.03.2024", "Z5", "Website-Zahlung", "15,00", status="Ausstehend", impact="Memo"
            ),
            de_row("11.03.2024", "U1", "Allgemeine Währungsumrechnung", "-9,15", impact="Soll"),
            de_row("12.03.2024", "W1", "Auszahlung auf das Bankkonto", "-100,00", impact="Soll"),
            de_row("12.03.2024", "G1", "Bankgutschrift auf PayPal-Konto", "60,00"),
            de_row("13.03.2024", "F1", "Rücklastschriftgebühr", "-3,00", impact="Soll"),
        ]
    )
    built = assembled(text.encode())
    assert built.recognitions[0].kind.label == "PayPal activity download"
    ds = built.dataset
    lines = ds.tables["lines"].sort("order_id")
    assert lines["order_id"].to_list() == ["Z1", "Z2", "Z3"]
    assert lines["revenue"].to_list() == pytest.approx([45.0, 1200.0, 30.0])
    assert ds.currency == "EUR"
    assert str(lines["ordered_at"][1]) == "2024-03-05 10:00:00"
    assert (lines["item_name"][0], lines["quantity"][0]) == ("Tasse", 2.0)
    assert lines["customer_id"][0] == lines["customer_id"][2]  # Anna twice
    assert ds.extras[UNSOLD_LINES]["order_id"].to_list() == ["Z4"]
    # Notes name the file's own columns.
    assert note_about(ds, "Status", "pending").count == 1
    assert note_about(ds, "Typ", "no sales").count == 4
    assert note_about(ds, "Zugehöriger Transaktionscode", "partly refunded").count == 1
    assert "(Europe/Berlin)" in note_about(ds, "Zeitzone").message
    assert "(39.00 EUR in all" in note_about(ds, "Brutto").message
    assert not [n for n in ds.notes if n.column == "Gebühr"]  # no fees: no note of 0.00
    assert not [n for n in ds.notes if n.column in ("Type", "Reference Txn ID", "Fee", "Gross")]


def test_the_shorter_activity_report_in_french_english_and_spanish():
    """The newer activity report's shorter layout ('Description' for the type, no status), its
    French and English headers as PayPal writes them, and a Spanish download whose days are
    all 12 or less: read day first (1 and 2 October, not 10 January and 10 February). By hand:
    French 100 less 16,67 TVA less a 20 refund = 63.33; English 30 on 13 January; Spanish
    120 + 90 and a refund that names no payment, counted."""
    fr = "\n".join(
        [
            '"Date","Heure","Fuseau horaire","Description","Devise","Avant commission","Commission","Net","Solde","Numéro de transaction","Adresse email de l\'expéditeur","Nom","Nom de la banque","Compte bancaire","Montant des frais de livraison et de traitement","TVA","Identifiant de facture","Numéro de la transaction de référence"',
            '"03/02/2024","09:00:00","Europe/Paris","Paiement Express Checkout","EUR","100,00","-3,15","96,85","96,85","T1","lea@example.fr","Léa","","","0,00","16,67","",""',
            '"05/02/2024","09:00:00","Europe/Paris","Remboursement de paiement","EUR","-20,00","0,00","-20,00","76,85","T2","","Léa","","","0,00","0,00","","T1"',
            '"06/02/2024","09:00:00","Europe/Paris","Virement standard","EUR","-50,00","0,00","-50,00","26,85","T3","","","Banque","FR76","0,00","0,00","",""',
        ]
    )
    ds = assembled(fr.encode()).dataset
    lines = ds.tables["lines"]
    assert lines["revenue"].to_list() == pytest.approx([63.33])
    assert str(lines["ordered_at"][0]) == "2024-02-03 09:00:00"
    assert note_about(ds, "Description", "no status").message
    assert note_about(ds, "Description", "no sales").count == 1

    en = "\n".join(
        [
            '"Date","Time","Time Zone","Description","Currency","Gross ","Fee ","Net","Balance","Transaction ID","From Email Address","Name","Bank Name","Bank Account","Shipping and Handling Amount","Sales Tax","Invoice ID","Reference Txn ID"',
            '"01/13/2024","10:00:00","PST","Express Checkout Payment","USD","30.00","-1.17","28.83","28.83","E1","al@example.com","Al","","","0.00","0.00","",""',
            '"01/14/2024","10:00:00","PST","General Withdrawal","USD","-28.83","0.00","-28.83","0.00","E2","","","Bank","1234","0.00","0.00","",""',
        ]
    )
    lines = assembled(en.encode()).dataset.tables["lines"]
    assert (lines["revenue"].to_list(), str(lines["ordered_at"][0])) == (
        [30.0],
        "2024-01-13 10:00:00",
    )

    es = "\n".join(
        [
            '"Fecha","Hora","Zona horaria","Nombre","Tipo","Estado","Divisa","Bruto","Tarifa","Neto","Remitente","Destinatario","Id. de transacción"',
            '"01/10/2026","10:00:00","CET","Ana","Pago","Completado","EUR","120,00","-6,22","113,78","ana@mail.com","yo@mail.com","TX1"',
            '"02/10/2026","10:00:00","CET","Beto","Pago","Completado","EUR","90,00","-4,75","85,25","beto@mail.com","yo@mail.com","TX2"',
            '"04/10/2026","10:00:00","CET","Ana","Reembolso","Completado","EUR","-20,00","0,00","-20,00","yo@mail.com","ana@mail.com","TX4"',
            '"05/10/2026","10:00:00","CET","Dani","Pago","Pendiente","EUR","15,00","0,00","15,00","dani@mail.com","yo@mail.com","TX5"',
        ]
    )
    ds = assembled(es.encode()).dataset
    lines = ds.tables["lines"].sort("order_id")
    assert lines["revenue"].to_list() == pytest.approx([120.0, 90.0])
    assert [str(d.date()) for d in lines["ordered_at"]] == ["2026-10-01", "2026-10-02"]
    unnamed = note_about(ds, "Tipo", "names no payment")
    assert unnamed.count == 1 and "1 refund or reversal (20.00 EUR)" in unnamed.message
    assert "'Reference Txn ID' in English" in unnamed.message
    assert note_about(ds, "Estado", "pending").count == 1


ES18_HEADER = '"Fecha","Hora","Zona horaria","Descripción","Divisa","Bruto ","Comisión ","Neto","Saldo","Id. de transacción","Correo electrónico del remitente","Nombre","Nombre del banco","Cuenta bancaria","Importe de envío y manipulación","Impuesto de ventas","Id. de factura","Id. de referencia de trans."'


def test_the_spanish_report_nets_refunds_and_takes_out_the_tax_it_writes_negative():
    """Audit: the Spanish report names its reference 'Id. de referencia de trans.' (refunds were
    never taken off) and writes the VAT included in a payment as a negative amount (it stayed in
    revenue), as in a real report's rows. By hand: E1 160,71 less 27,86 VAT = 132.85; E2 50 with
    4 shipping, refunded 20 = 26; E3 30 refunded in full; a withdrawal is no sale."""
    text = "\n".join(
        [
            ES18_HEADER,
            '"1/7/2025","15:37:32","Europe/Berlin","Pago con Pago exprés","EUR","160,71","-5,01","155,70","606,37","E1","sara@example.es","Sara","","","0,00","-27,86","",""',
            '"2/7/2025","10:00:00","Europe/Berlin","Pago con Pago exprés","EUR","50,00","-1,75","48,25","654,62","E2","luis@example.es","Luis","","","4,00","0,00","",""',
            '"3/7/2025","10:00:00","Europe/Berlin","Pago con Pago exprés","EUR","30,00","-1,20","28,80","683,42","E3","ana@example.es","Ana","","","0,00","0,00","",""',
            '"4/7/2025","10:00:00","Europe/Berlin","Reembolso de pago","EUR","-20,00","0,00","-20,00","663,42","R2","","Luis","","","0,00","0,00","","E2"',
            '"5/7/2025","10:00:00","Europe/Berlin","Reembolso de pago","EUR","-30,00","0,00","-30,00","633,42","R3","","Ana","","","0,00","0,00","","E3"',
            '"29/7/2025","09:23:05","Europe/Berlin","Retirada iniciada por el usuario","EUR","-600,00","0,00","-600,00","33,42","W1","","","CaixaBank, S.A.","3554","0,00","0,00","",""',
        ]
    )
    ds = assembled(text.encode()).dataset
    lines = ds.tables["lines"].sort("order_id")
    assert lines["order_id"].to_list() == ["E1", "E2"]
    assert lines["revenue"].to_list() == pytest.approx([132.85, 26.0])
    assert ds.extras[UNSOLD_LINES]["order_id"].to_list() == ["E3"]
    assert str(lines["ordered_at"][0]) == "2025-07-01 15:37:32"
    partly = note_about(ds, "Id. de referencia de trans.", "partly refunded")
    assert partly.message.startswith("1 payment was partly refunded or reversed (20.00 EUR)")


def test_held_and_released_payments_are_no_sales():
    """Audit: a French 'Déblocage de paiement' (a payment released after a 'Suspension de
    paiement' hold) counted as a new, anonymous sale. By hand: only T1, 96.85."""
    text = "\n".join(
        [
            '"Date","Heure","Fuseau horaire","Description","Devise","Avant commission","Commission","Net","Solde","Numéro de transaction","Adresse email de l\'expéditeur","Nom","Nom de la banque","Compte bancaire","Montant des frais de livraison et de traitement","TVA","Identifiant de facture","Numéro de la transaction de référence"',
            '"03/02/2024","10:00:00","Europe/Paris","Paiement Express Checkout","EUR","96,85","-3,00","93,85","93,85","T1","lea@example.fr","Léa","","","0,00","0,00","",""',
            '"04/02/2024","10:00:01","Europe/Paris","Suspension de paiement","EUR","-96,85","0,00","-96,85","-3,00","T3","","","","","0,00","0,00","","T1"',
            '"16/02/2024","10:00:00","Europe/Paris","Déblocage de paiement","EUR","96,85","0,00","96,85","93,85","T5","","","","","0,00","0,00","","T1"',
        ]
    )
    lines = assembled(text.encode()).dataset.tables["lines"]
    assert lines["order_id"].to_list() == ["T1"]
    assert lines["revenue"].to_list() == pytest.approx([96.85])


def test_two_layouts_stacked_read_each_and_count_a_payment_in_both_once():
    """Audit: the longer download and the shorter report uploaded together (their columns
    'Type' and 'Description', 'TimeZone' and 'Time Zone'): every sale of the second was lost.
    By hand: P1 45, P2 28, P3 30, P8 18 from the longer file; from the shorter, Q1 70 and P8
    again (the same payment in both: once). 191 in all."""
    short = "\n".join(
        [
            '"Date","Time","Time Zone","Description","Currency","Gross ","Fee ","Net","Balance","Transaction ID","From Email Address","Name","Bank Name","Bank Account","Shipping and Handling Amount","Sales Tax","Invoice ID","Reference Txn ID"',
            '"02/14/2024","16:45:00","PST","Express Checkout Payment","USD","18.00","-0.70","17.30","82.84","P8","","","","","0.00","0.00","",""',
            '"03/01/2024","10:00:00","PST","Website Payment","USD","70.00","-2.33","67.67","150.51","Q1","quinn@example.com","Quinn","","","0.00","0.00","",""',
        ]
    ).encode()
    both = formats.assemble(
        io.read_file("Download.CSV", ACTIVITY) + io.read_file("Statement.CSV", short)
    ).dataset
    lines = both.tables["lines"].sort("order_id")
    assert lines["order_id"].to_list() == ["P1", "P2", "P3", "P8", "Q1"]
    assert lines["revenue"].sum() == pytest.approx(191.0)
    assert note_about(both, "Transaction ID", "repeat").count == 1


def test_dates_of_a_european_account_read_day_first_and_the_region_is_the_buyer_s_code():
    """An English download from a European account writes its days first: with every day 12
    or less, its time zone tells (3 February, not 2 March); a US one stays month first. The
    German download's buyer country code is the region, its 'Ländervorwahl' (a dialling code)
    never."""
    uk = "\n".join(
        [
            HEADER,
            row("U1", "Website Payment", 10.0).replace(
                '"01/15/2024","10:00:00","PST"', '"03/02/2024","10:00:00","Europe/London"'
            ),
        ]
    )
    assert (
        str(assembled(uk.encode()).dataset.tables["lines"]["ordered_at"][0])
        == "2024-02-03 10:00:00"
    )
    us = "\n".join(
        [HEADER, row("U2", "Website Payment", 10.0).replace('"01/15/2024"', '"03/02/2024"')]
    )
    assert (
        str(assembled(us.encode()).dataset.tables["lines"]["ordered_at"][0])
        == "2024-03-02 10:00:00"
    )
    header = DE_HEADER.replace('"Ländervorwahl"', '"Ländercode des Käufers","Ländervorwahl"')
    sale = de_row("01.03.2024", "Z1", "Website-Zahlung", "50,00", email="a@example.at")
    sale = sale.replace(
        '"Deutschland","","","","","Haben"', '"Österreich","","","","AT","+43","Haben"'
    )
    region = assembled("\n".join([header, sale]).encode()).dataset.tables["lines"]["region"]
    assert region.to_list() == ["AT"]
    dialling = "\n".join([DE_HEADER, sale.replace('"AT","+43",', '"+43",')])
    region = assembled(dialling.encode()).dataset.tables["lines"]["region"]
    assert region.to_list() == ["Österreich"]


def test_a_header_with_decomposed_accents_is_recognised():
    """Audit: a German download re-saved on a Mac ('Wa' and a combining mark for 'Wä') was no
    PayPal export. By hand: Z1 50."""
    import unicodedata

    header = unicodedata.normalize("NFD", DE_HEADER)
    text = "\n".join([header, de_row("01.03.2024", "Z1", "Website-Zahlung", "50,00")])
    built = assembled(text.encode())
    assert built.recognitions[0].kind.label == "PayPal activity download"
    assert built.dataset.tables["lines"]["revenue"].to_list() == [50.0]
    assert built.dataset.currency == "EUR"
