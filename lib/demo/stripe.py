"""Stripe demo: the payments export (Payments > Export, all columns), one row per charge.

A US shop charging in USD, and in EUR for its European customers (Converted Amount in USD).
Planted: test-mode charges, failed and uncaptured charges, refunds in full and in part, lost
disputes, and guest charges with neither a customer id nor an email.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from lib.demo.common import _DAY, _frame, _ts_text
from lib.demo.shop import buyers, money_text, shop_orders

FILE = "unified_payments.csv"
COLUMNS: dict[str, tuple[str, ...]] = {
    FILE: (
        "id",
        "Description",
        "Seller Message",
        "Created (UTC)",
        "Amount",
        "Amount Refunded",
        "Currency",
        "Converted Amount",
        "Converted Amount Refunded",
        "Fee",
        "Tax",
        "Converted Currency",
        "Mode",
        "Status",
        "Statement Descriptor",
        "Customer ID",
        "Customer Description",
        "Customer Email",
        "Captured",
        "Card ID",
        "Card Last4",
        "Card Brand",
        "Card Funding",
        "Card Exp Month",
        "Card Exp Year",
        "Card Name",
        "Card Address Line1",
        "Card Address Line2",
        "Card Address City",
        "Card Address State",
        "Card Address Country",
        "Card Address Zip",
        "Card Issue Country",
        "Card Fingerprint",
        "Card CVC Status",
        "Card AVS Zip Status",
        "Card AVS Line1 Status",
        "Card Tokenization Method",
        "Disputed Amount",
        "Dispute Status",
        "Dispute Reason",
        "Dispute Date (UTC)",
        "Dispute Evidence Due (UTC)",
        "Invoice ID",
        "Payment Source Type",
        "Destination",
        "Transfer",
        "Interchange Costs",
        "Merchant Service Charge",
        "Transfer Group",
        "PaymentIntent ID",
    ),
}
_COUNTRIES = ("US", "CA", "GB", "DE", "FR", "NL", "IE")
_COUNTRY_SHARE = (0.72, 0.08, 0.06, 0.06, 0.04, 0.02, 0.02)
_EUR = ("DE", "FR", "NL", "IE")
_EUR_USD = 1.08
# One trap per charge at most: none, test, failed, uncaptured, refunded, partly refunded, lost.
_TRAPS = ("", "test", "failed", "uncaptured", "refunded", "partial", "lost")
_TRAP_SHARE = (0.885, 0.01, 0.04, 0.005, 0.03, 0.025, 0.005)
_ALNUM = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", np.uint8)


def _stripe_ids(rng: np.random.Generator, prefix: str, n: int, length: int = 24) -> np.ndarray:
    chars = _ALNUM[rng.integers(0, _ALNUM.size, (n, length))]
    return np.asarray([prefix + row.tobytes().decode() for row in chars], dtype=object)


def _stripe(
    rows: int, rng: np.random.Generator, patterns: bool = True
) -> tuple[dict[str, pl.DataFrame], dict]:
    del patterns  # no planted trend
    orders = shop_orders(rng, rows)
    n, who = orders.customer.size, orders.customer
    people = buyers(rng, orders.n_customers)
    country = np.asarray(_COUNTRIES, dtype=object)[
        rng.choice(len(_COUNTRIES), orders.n_customers, p=np.asarray(_COUNTRY_SHARE))
    ]
    eur = np.isin(country, _EUR)[who]
    cus = _stripe_ids(rng, "cus_", orders.n_customers, 14)[who]
    email = people["email"][who]
    guest = rng.random(n) < 0.03
    trap = np.asarray(_TRAPS, dtype=object)[rng.choice(len(_TRAPS), n, p=np.asarray(_TRAP_SHARE))]

    amount = orders.cents  # in the charge's currency
    usd = np.where(eur, np.round(amount * _EUR_USD), amount).astype(np.int64)
    refund = np.where(trap == "refunded", amount, 0)
    partial = np.round(amount * rng.choice([0.2, 0.25, 0.5], n)).astype(np.int64)
    refund = np.where(trap == "partial", partial, refund)
    usd_refund = np.where(eur, np.round(refund * _EUR_USD), refund).astype(np.int64)
    took = ~np.isin(trap, ("failed", "uncaptured"))
    fee = np.where(took, np.round(usd * 0.029) + 30, 0).astype(np.int64)
    status = np.select(
        [trap == "failed", trap == "uncaptured", trap == "refunded"],
        ["Failed", "Uncaptured", "Refunded"],
        "Paid",
    ).astype(object)
    lost = trap == "lost"
    dispute_day = orders.seconds + rng.integers(5, 40, n) * _DAY
    card_country = np.where(rng.random(n) < 0.6, country[who], None)

    def some(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
        return np.where(keep, values, None).astype(object)

    frame = _frame(
        {
            "id": _stripe_ids(rng, "ch_3", n),
            "Description": some(np.char.add("Order #", (5000 + np.arange(n)).astype(str)), True),
            "Seller Message": np.where(took, "Payment complete.", "The card was declined."),
            "Created (UTC)": _ts_text(orders.seconds),
            "Amount": money_text(amount),
            "Amount Refunded": money_text(refund),
            "Currency": np.where(eur, "eur", "usd").astype(object),
            "Converted Amount": money_text(usd),
            "Converted Amount Refunded": money_text(usd_refund),
            "Fee": money_text(fee),
            "Tax": money_text(np.zeros(n, np.int64)),
            "Converted Currency": np.full(n, "usd", dtype=object),
            "Mode": np.where(trap == "test", "Test", "Live").astype(object),
            "Status": status,
            "Statement Descriptor": np.full(n, "GIZMO WORKS", dtype=object),
            "Customer ID": some(cus, ~guest),
            "Customer Description": some(people["first"][who] + " " + people["last"][who], ~guest),
            "Customer Email": some(email, ~guest),
            "Captured": np.where(took, "true", "false").astype(object),
            "Card ID": _stripe_ids(rng, "card_", n),
            "Card Last4": rng.integers(1000, 10000, n).astype(str).astype(object),
            "Card Brand": np.asarray(("Visa", "MasterCard", "American Express"), dtype=object)[
                rng.choice(3, n, p=(0.55, 0.35, 0.1))
            ],
            "Card Funding": np.where(rng.random(n) < 0.7, "credit", "debit").astype(object),
            "Card Exp Month": rng.integers(1, 13, n),
            "Card Exp Year": rng.integers(2025, 2031, n),
            "Card Name": some(people["first"][who] + " " + people["last"][who], ~guest),
            "Card Address Line1": np.full(n, None, dtype=object),
            "Card Address Line2": np.full(n, None, dtype=object),
            "Card Address City": np.full(n, None, dtype=object),
            "Card Address State": np.full(n, None, dtype=object),
            "Card Address Country": card_country.astype(object),
            "Card Address Zip": np.full(n, None, dtype=object),
            "Card Issue Country": country[who],
            "Card Fingerprint": _stripe_ids(rng, "", orders.n_customers, 16)[who],
            "Card CVC Status": np.full(n, "pass", dtype=object),
            "Card AVS Zip Status": np.full(n, "pass", dtype=object),
            "Card AVS Line1 Status": np.full(n, None, dtype=object),
            "Card Tokenization Method": np.full(n, None, dtype=object),
            "Disputed Amount": some(money_text(amount).to_numpy(), lost),
            "Dispute Status": some(np.full(n, "lost", dtype=object), lost),
            "Dispute Reason": some(np.full(n, "fraudulent", dtype=object), lost),
            "Dispute Date (UTC)": _ts_text(np.where(lost, dispute_day, np.iinfo(np.int64).min)),
            "Dispute Evidence Due (UTC)": np.full(n, None, dtype=object),
            "Invoice ID": np.full(n, None, dtype=object),
            "Payment Source Type": np.full(n, "card", dtype=object),
            "Destination": np.full(n, None, dtype=object),
            "Transfer": np.full(n, None, dtype=object),
            "Interchange Costs": np.full(n, None, dtype=object),
            "Merchant Service Charge": np.full(n, None, dtype=object),
            "Transfer Group": np.full(n, None, dtype=object),
            "PaymentIntent ID": _stripe_ids(rng, "pi_3", n),
        }
    )
    truth = {"charges": n, "customers": orders.n_customers}
    return {FILE: frame}, truth


def _stripe_counts(files: dict[str, pl.DataFrame]) -> dict[str, int]:
    """The traps planted in the export, counted from its text; those of charges that took money
    are counted among the charges that did."""
    f = files[FILE]
    money = {c: pl.col(c).cast(pl.Float64) for c in ("Amount", "Amount Refunded")}
    test = pl.col("Mode") == "Test"
    failed = ~test & (pl.col("Status") == "Failed")
    uncaptured = ~test & ~failed & (pl.col("Captured") == "false")
    kept = f.filter(~(test | failed | uncaptured))
    # Taken back in full: by refunds, or by a lost dispute (the demo's dispute the whole Amount).
    undone = (money["Amount Refunded"] >= money["Amount"]) | (
        pl.col("Dispute Status") == "lost"
    ).fill_null(False)
    return {
        "test_charges": f.filter(test).height,
        "failed_charges": f.filter(failed).height,
        "uncaptured_charges": f.filter(uncaptured).height,
        "refunded_charges": kept.filter(money["Amount Refunded"] >= money["Amount"]).height,
        "partly_refunded_charges": kept.filter(
            (money["Amount Refunded"] > 0) & (money["Amount Refunded"] < money["Amount"])
        ).height,
        "lost_disputes": kept.filter(pl.col("Dispute Status") == "lost").height,
        "anonymous_charges": kept.filter(  # of the charges sold: not taken back in full
            pl.col("Customer ID").is_null() & pl.col("Customer Email").is_null() & ~undone
        ).height,
        "foreign_charges": kept.filter(pl.col("Currency") != pl.col("Converted Currency")).height,
    }
