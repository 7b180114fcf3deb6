"""Numbers as people read them: money with its currency, shares, counts, compact magnitudes."""

from __future__ import annotations

import math

SYMBOLS = {"BRL": "R$", "GBP": "£", "USD": "$", "EUR": "€"}


def compact(value: float | None, digits: int = 1) -> str:
    """1234 -> '1.2k', 5_600_000 -> '5.6M'; small numbers keep their integer form."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    sign = "-" if value < 0 else ""
    value = abs(value)
    for limit, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if value >= limit:
            return f"{sign}{value / limit:.{digits}f}{suffix}"
    return f"{sign}{value:,.0f}" if value >= 100 else f"{sign}{value:,.2f}".rstrip("0").rstrip(".")


def money(value: float | None, currency: str = "", digits: int = 1) -> str:
    """'R$ 1.2M', '£530', or '1.2M' with the code when no symbol is known ('1.2M CHF')."""
    text = compact(value, digits)
    if text == "—" or not currency:
        return text
    symbol = SYMBOLS.get(currency)
    if symbol is None:
        return f"{text} {currency}"
    if text.startswith("-"):
        return f"-{symbol}{'' if len(symbol) == 1 else ' '}{text[1:]}"
    return f"{symbol}{'' if len(symbol) == 1 else ' '}{text}"


def pct(share: float | None, digits: int = 1) -> str:
    """0.093 -> '9.3%'."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "—"
    return f"{share * 100:.{digits}f}%"


def change(ratio: float | None, digits: int = 0) -> str:
    """Relative change 0.41 -> '+41%', -0.05 -> '-5%'; None -> 'n/a'."""
    if ratio is None or (isinstance(ratio, float) and (math.isnan(ratio) or math.isinf(ratio))):
        return "n/a"
    return f"{ratio * 100:+.{digits}f}%"


def count(value: int | float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"
