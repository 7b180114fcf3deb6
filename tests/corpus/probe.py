"""One corpus file loaded as the app loads it, after the baseline: `python -m tests.corpus.probe
BASELINE FILE` prints what happened and the process's peak memory as JSON.

The app's path without Streamlit: lib.io.read_file within the session budget (holding the
baseline's tables), then lib.formats.assemble with a guessed mapping for unknown tables, as the
Data page offers it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lib.memory import tune_allocators

tune_allocators()  # as the app does, before polars is imported

import polars as pl  # noqa: E402

from lib import formats, io  # noqa: E402
from lib.formats import base, generic  # noqa: E402


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def baseline_lines(lines: pl.DataFrame | None, first_invoice: int) -> int:
    """Lines of the baseline file among `lines` (its invoices are numbered from first_invoice)."""
    if lines is None:
        return 0
    numbers = lines["order_id"].cast(pl.Int64, strict=False)
    return int((numbers >= first_invoice).sum())


def app_load(baseline: Path, path: Path, first_invoice: int) -> dict:
    """What the app makes of `path` uploaded after `baseline`: messages, tables, lines."""
    held = io.read_file(baseline.name, baseline.read_bytes())
    budget = io.session_budget().holding(held)
    result: dict = {"file": path.name, "refused": None, "texts": [], "unmapped": []}
    try:
        added = io.read_file(path.name, path.read_bytes(), budget=budget)
    except io.LoadError as exc:
        result["refused"] = str(exc)
        added = []
    mappings = {}
    for table in added:
        result["texts"] += [f"{table.name}: {note}" for note in table.notes]
        if formats.recognise(table).kind is None:
            guess = generic.guess_mapping(table.frame)
            problems = generic.mapping_problems(table.frame, guess)
            hint = base.near_miss(table.name, table.frame.columns, formats.KINDS)
            result["texts"] += [f"{table.name}: {p}" for p in problems] + [hint] * bool(hint)
            if problems:
                result["unmapped"].append(table.name)
            else:
                mappings[table.name] = guess
    assembly = formats.assemble(held + added, mappings)
    ds = assembly.dataset
    lines = ds.tables.get("lines")
    # What the Data page shows: what each table was recognised as, each mapping, every message.
    result["texts"] += [r.describe() for r in assembly.recognitions if r.file == path.name]
    for name, mapping in mappings.items():
        used = ", ".join(f"{f} <- {c[:40]}" for f, c in mapping.used().items())
        result["texts"].append(f"{name} mapped: {used}")
    result["texts"] += list(assembly.messages)
    result["texts"] += [f"{n.file}: {n.column}: {n.message}" for n in ds.notes]
    result["dropped"] = [
        {"file": n.file, "count": n.count, "rows": n.rows} for n in base.dropped(ds.notes)
    ]
    result["lines"] = 0 if lines is None else lines.height
    result["baseline_lines"] = baseline_lines(lines, first_invoice)
    return result


def main(argv: list[str]) -> int:
    from tests.corpus.generate import BASELINE_FIRST_INVOICE

    result = app_load(Path(argv[0]), Path(argv[1]), BASELINE_FIRST_INVOICE)
    result["peak_mb"] = peak_mb()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
