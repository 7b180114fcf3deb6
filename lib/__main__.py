"""Headless twin of the app: `python -m lib COMMAND FILES... [--options] [--format json|csv]`."""

from __future__ import annotations

import argparse
import importlib
import inspect as introspect
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from lib import demo, formats, io, quality
from lib.formats import generic


class UsageError(Exception):
    """A one-line message for stderr; the command exits with status 2."""


def load(paths: Sequence[str]) -> formats.Assembly:
    """Read files as the app does; unknown tables get the guessed mapping when it is valid."""
    tables: list[io.RawTable] = []
    for path in paths:
        if not Path(path).is_file():
            raise UsageError(f"{path}: no such file")
        tables += io.read_path(path)
    mappings = {}
    for table in tables:
        if formats.recognise(table).kind is None:
            guess = generic.guess_mapping(table.frame)
            problems = generic.mapping_problems(table.frame, guess)
            if problems:
                raise UsageError(f"{table.name}: not a known export and {problems[0]}")
            mappings[table.name] = guess
    return formats.assemble(tables, mappings, name=", ".join(Path(p).name for p in paths))


def inspect(args: argparse.Namespace) -> dict:
    assembly = load(args.files)
    ds = assembly.dataset
    report = quality.report(ds)
    return {
        "format": ds.source_format,
        "currency": ds.currency,
        "tables": ds.row_counts(),
        "recognised": [
            {"table": r.name, "as": r.kind.label if r.kind else None, "rows": r.rows}
            for r in assembly.recognitions
        ],
        "findings": [
            {
                "rule": f.rule,
                "table": f.table,
                "severity": f.info.severity,
                "count": f.count,
                "share": round(f.share, 6),
            }
            for f in report.findings
        ],
        "notes": [{"file": n.file, "column": n.column, "message": n.message} for n in ds.notes],
        "messages": list(assembly.messages),
    }


def write_demo(args: argparse.Namespace) -> dict:
    generated = demo.demo(args.kind, rows=args.rows, seed=args.seed)
    written = io.write_csv_tables(generated.files, args.out)
    return {"kind": args.kind, "files": {p.name: generated.files[p.name].height for p in written}}


# Commands that mirror an analysis page: module lib.analyses.NAME with a `headless(dataset,
# **options) -> dict[str, pl.DataFrame]` whose keyword options become --options.
ANALYSES: dict[str, str] = {
    "sales": "KPIs, revenue over time, top items and purchase patterns",
    "categories": "category performance, growth-share quadrants and potential",
    "regions": "regional table with priority scores and map points",
    "rfm": "RFM scores, segments and the R x F grid",
    "clusters": "customer clusters with a suggested k, profiles, drivers and ROI",
    "cohorts": "retention by first-purchase cohort and the average retention curve",
    "delivery": "on-time rate, stage durations, late orders by region, month, category, seller",
    "events": "events per day, view-to-order conversion, funnels and viewed-together items",
    "funnel": "lead to seller conversion, time to close, rep performance and matching",
    "clv": "BG/NBD + Gamma-Gamma lifetime value with sufficiency checks and holdout validation",
}


def analysis(args: argparse.Namespace) -> dict:
    if args.demo:
        ds = formats.assemble_demo(args.demo).dataset
    elif args.files:
        ds = load(args.files).dataset
    else:
        raise UsageError(f"{args.command}: give files to read, or --demo KIND")
    module = importlib.import_module(f"lib.analyses.{args.command}")
    options = {name: getattr(args, name) for name in _options(module.headless)}
    try:
        frames = module.headless(ds, **options)
    except (KeyError, ValueError) as exc:
        message = exc.args[0] if exc.args else str(exc)  # KeyError's str() adds quotes
        raise UsageError(f"{args.command}: {message}") from None
    return dict(frames)


def _options(fn) -> dict[str, object]:
    params = list(introspect.signature(fn).parameters.values())[1:]
    return {p.name: p.default for p in params if p.default is not introspect.Parameter.empty}


def _emit(result: dict, fmt: str, table: str | None = None) -> None:
    frames = {k: v for k, v in result.items() if isinstance(v, pl.DataFrame)}
    if fmt == "json":
        plain = {k: (v.to_dicts() if isinstance(v, pl.DataFrame) else v) for k, v in result.items()}
        print(json.dumps(plain, indent=2, default=str))
        return
    if frames:
        if table is not None and table not in frames:
            raise UsageError(f"no table {table}: choose one of {', '.join(frames)}")
        sys.stdout.write(frames[table or next(iter(frames))].write_csv())
        return
    # csv of the inspect and demo commands: their main tabular part
    rows = result.get("findings") or [
        {"table": t, "rows": n} for t, n in result.get("tables", result.get("files", {})).items()
    ]
    sys.stdout.write(pl.DataFrame(rows).write_csv())


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m lib", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)
    p = sub.add_parser("inspect", help="detected format, rows per canonical table, findings")
    p.add_argument("files", nargs="+")
    p.add_argument("--format", choices=("json", "csv"), default="json")
    p.set_defaults(run=inspect)
    p = sub.add_parser("demo", help="write a demo data set in its source format")
    p.add_argument("--kind", choices=demo.KINDS, default="marketplace")
    p.add_argument("--rows", type=int, default=None)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True)
    p.add_argument("--format", choices=("json", "csv"), default="json")
    p.set_defaults(run=write_demo)
    for name, summary in ANALYSES.items():
        module = importlib.import_module(f"lib.analyses.{name}")
        p = sub.add_parser(name, help=summary)
        p.add_argument("files", nargs="*")
        p.add_argument("--demo", choices=demo.KINDS, help="use a built-in demo instead of files")
        p.add_argument("--format", choices=("json", "csv"), default="json")
        p.add_argument("--table", help="with --format csv: which result table to print")
        for option, default in _options(module.headless).items():
            kind = type(default) if default is not None else str
            if kind is bool:
                p.add_argument(
                    f"--{option.replace('_', '-')}",
                    dest=option,
                    action=argparse.BooleanOptionalAction,
                    default=default,
                )
            else:
                p.add_argument(
                    f"--{option.replace('_', '-')}", dest=option, type=kind, default=default
                )
        p.set_defaults(run=analysis)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        _emit(args.run(args), args.format, getattr(args, "table", None))
    except (UsageError, io.LoadError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
