"""Times load + map + quality report on generated retail lines and prints peak memory.

Run: `make bench` or `.venv/bin/python bench/run.py --rows 1000000`. Budgets: DESIGN.md section 7.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402

from lib import demo, formats, io, quality  # noqa: E402


def timed(label: str, fn, results: list[tuple[str, float]]):
    start = time.perf_counter()
    value = fn()
    results.append((label, time.perf_counter() - start))
    return value


def _typed_parquet(csv_path: Path, parquet_path: Path) -> None:
    """The CSV as a parquet with native types, as a real parquet export would have."""
    (
        pl.read_csv(
            csv_path,
            schema_overrides={
                "CustomerID": pl.String,
                "InvoiceNo": pl.String,
                "StockCode": pl.String,
            },
        )
        .with_columns(pl.col("InvoiceDate").str.to_datetime("%m/%d/%Y %H:%M"))
        .write_parquet(parquet_path)
    )


def reruns(results: list[tuple[str, float]]) -> None:
    """What a slider move recomputes on each page, on about 1M lines, after the first load.

    Cached steps (done once per data set or filter) are timed apart from the rerun itself, which
    is what the page recomputes when a date, window or weight changes.
    """
    from datetime import timedelta

    from lib.analyses import categories, regions, sales

    retail = formats.assemble_demo("retail", rows=1_000_000).dataset
    lines = retail.tables["lines"]
    history = timed(
        "sales: order table (cached per filter)", lambda: sales.order_table(lines), results
    )
    cube = timed("sales: item cube (cached per data set)", lambda: sales.item_cube(lines), results)
    first, last = lines["ordered_at"].min().date(), lines["ordered_at"].max().date()
    start = first + timedelta(days=30)

    def sales_rerun() -> None:
        period = history.filter(pl.col("ordered_at").dt.date().is_between(start, last))
        sales.kpis(history, start, last)
        sales.revenue_over_time(history, start, last, "month", 3)
        sales.rank_items(cube, "units", start=start, end=last, categories=(), regions=())
        sales.weekday_hour(period)

    timed("= sales rerun after a date change (budget 0.3 s)", sales_rerun, results)

    from lib.analyses import cohorts, rfm

    table = timed(
        "rfm: customer table (cached per data set)",
        lambda: rfm.customer_table(lines, clean=True).customers,
        results,
    )

    def rfm_rerun() -> None:
        rules = rfm.default_rules(5)
        scored = rfm.segmented(rfm.quantile_scored(table, 5, "first"), rules)
        rfm.segment_summary(scored, rules)
        rfm.rf_grid(scored, 5)

    timed("= rfm rerun after a bins or rule change (budget 0.3 s)", rfm_rerun, results)

    def cohorts_rerun() -> None:
        matrix = cohorts.cohort_matrix(cohorts.cohort_table(lines, "1w"), "customers", True)
        cohorts.retention_curve(matrix)

    timed("= cohorts rerun after a grain change (budget 0.3 s)", cohorts_rerun, results)

    market = formats.assemble_demo("marketplace", rows=850_000).dataset
    m_lines, m_orders = market.tables["lines"], market.tables["orders"]
    results.append((f"  (marketplace demo with {m_lines.height:,} lines)", 0.0))
    service = timed(
        "categories: service figures (cached per data set)",
        lambda: categories.category_service(m_lines, m_orders),
        results,
    )

    def categories_rerun() -> None:
        table = categories.combined_table(categories.category_sales(m_lines, 4), service)
        categories.potential_scores(
            categories.with_quadrants(table), dict.fromkeys(categories.COMPONENTS, 1.0)
        )

    timed("= categories rerun after a window change (budget 0.3 s)", categories_rerun, results)
    base = timed(
        "regions: regional lines and base table (cached per data set)",
        lambda: regions.regional_base(regions.regional_lines(market), m_orders),
        results,
    )

    def regions_rerun() -> None:
        table = regions.windowed_table(base, months=4)
        regions.priority_table(table, regions.Weights())

    timed("= regions rerun after a window change (budget 0.3 s)", regions_rerun, results)


def synthetic_lines(customers: int = 100_000) -> pl.DataFrame:
    """Order lines of `customers` buyers, 1 + Poisson purchases each over two years."""
    from datetime import datetime

    import numpy as np

    rng = np.random.default_rng(1)
    purchases = 1 + rng.poisson(rng.gamma(0.6, 3.0, customers))
    who = np.repeat(np.arange(customers), purchases)
    start = np.datetime64(datetime(2022, 1, 1), "us")
    minutes = rng.integers(0, 730 * 24 * 60, who.size).astype("timedelta64[m]")
    revenue = rng.gamma(6.0, 25.0, who.size).round(2)
    return pl.DataFrame(
        {
            "order_id": np.arange(who.size).astype(str),
            "customer_id": who.astype(str),
            "ordered_at": start + minutes,
            "revenue": revenue,
            "quantity": np.ones(who.size),
            "unit_price": revenue,
            "is_return": np.zeros(who.size, dtype=bool),
        }
    )


def customer_models(results: list[tuple[str, float]], customers: int = 100_000) -> None:
    """Cluster diagnostics and the CLV fit on `customers` synthetic buyers."""
    from lib.analyses import clusters, clv

    lines = synthetic_lines(customers)

    def clv_run() -> None:
        summary = clv.customer_summary(clv.purchase_lines(lines).lines)
        clv.customer_values(summary, clv.fit_models(summary))

    timed(
        f"clv: summary + fit + predictions, {customers:,} customers (budget 10 s)", clv_run, results
    )
    features = clusters.customer_features(lines)
    scaled = clusters.scaled_features(features.table, list(clusters.DEFAULT_FEATURES))
    timed(
        f"clusters: diagnostics k=2..10, {customers:,} customers (budget 5 s)",
        lambda: clusters.cluster_diagnostics(scaled.matrix),
        results,
    )


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--rows", type=int, default=1_000_000)
    args.add_argument("--seed", type=int, default=1)
    opts = args.parse_args()

    results: list[tuple[str, float]] = []
    generated = timed(
        f"generate {opts.rows:,} retail lines (not budgeted)",
        lambda: demo.demo("retail", rows=opts.rows, seed=opts.seed),
        results,
    )
    with tempfile.TemporaryDirectory() as tmp:
        [csv_path] = io.write_csv_tables(generated.files, tmp)
        parquet_path = Path(tmp) / "online_retail.parquet"
        io.read_path(csv_path)[0].frame.write_parquet(parquet_path)
        size_mb = csv_path.stat().st_size / 1e6
        for label, path in ((f"CSV, {size_mb:.0f} MB", csv_path), ("parquet", parquet_path)):
            tables = timed(f"read {label}", lambda p=path: io.read_path(p), results)
            assembly = timed(
                f"map onto the model ({label})", lambda t=tables: formats.assemble(t), results
            )
            load = results[-2][1] + results[-1][1]
            results.append(
                (f"= load + map from {label} (budget {'3' if 'CSV' in label else '1'} s)", load)
            )
            timed("quality report", lambda a=assembly: quality.report(a.dataset), results)
        for kind in demo.KINDS:
            timed(
                f"load the {kind} demo (budget 3 s)",
                lambda k=kind: formats.assemble_demo(k),
                results,
            )

    reruns(results)
    customer_models(results)
    width = max(len(label) for label, _ in results)
    for label, seconds in results:
        print(f"{label:<{width}}  {seconds:7.2f} s")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak memory (RSS)':<{width}}  {peak_mb:7.0f} MB")


if __name__ == "__main__":
    main()
