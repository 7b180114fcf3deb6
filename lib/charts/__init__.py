"""Chart builders: finished frames in, altair charts (or pydeck decks for maps) out.

One module per page (`lib/charts/sales.py`, ...); shared colours and labels live here.
"""

from __future__ import annotations

PALETTE = [
    "#0f766e",
    "#f59e0b",
    "#6366f1",
    "#ef4444",
    "#10b981",
    "#8b5cf6",
    "#0ea5e9",
    "#f97316",
    "#64748b",
    "#84cc16",
]
ACCENT = PALETTE[0]
MUTED = "#94a3b8"


def money_title(label: str, currency: str) -> str:
    """Axis or legend title for money: 'Revenue (BRL)'."""
    return f"{label} ({currency})" if currency else label
