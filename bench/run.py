"""Times loads, page reruns and model fits on generated data sets and prints peak memory.

Run: `make bench` or `.venv/bin/python bench/run.py --rows 1000000`. Budgets: DESIGN.md section 7.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lib.memory import tune_allocators  # noqa: E402

tune_allocators()  # as the app does, before polars is imported

import polars as pl  # noqa: E402

from lib import demo, formats, io, quality  # noqa: E402


def timed(label: str, fn, results: list[tuple[str, float]]):
    start = time.perf_counter()
    value = fn()
    results.append((label, time.perf_counter() - start))
    return value


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
    links = timed(
        "sales: order links (cached per filter)", lambda: sales.order_links(history), results
    )
    cube = timed("sales: item cube (cached per data set)", lambda: sales.item_cube(lines), results)
    first, last = lines["ordered_at"].min().date(), lines["ordered_at"].max().date()
    start = first + timedelta(days=30)

    days = timed("sales: daily sums (cached per filter)", lambda: sales.daily(history), results)
    slots = timed(
        "sales: weekday-hour slots (cached per filter)",
        lambda: sales.weekday_slots(history),
        results,
    )

    def sales_rerun() -> None:
        days["day"].is_between(start, last).any()  # the page's check for an empty range
        sales.kpis(history, start, last, links)
        sales.revenue_over_time(days, start, last, "month", 3)
        sales.rank_items(cube, "units", start=start, end=last, categories=(), regions=())
        sales.weekday_hour(slots, start, last)

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

    by_grain = timed(
        "cohorts: tables of every grain (cached per data set)",
        lambda: cohorts.cohorts_by_grain(
            cohorts.purchases(lines), lines["ordered_at"].max().date()
        ),
        results,
    )

    def cohorts_rerun() -> None:
        matrix = cohorts.cohort_matrix(by_grain["week"], "customers", True)
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

    def categories_rerun(months: int = 4) -> None:
        table = categories.combined_table(categories.category_sales(m_lines, months), service)
        categories.potential_scores(
            categories.with_quadrants(table), dict.fromkeys(categories.COMPONENTS, 1.0)
        )

    # The page's first render, on the default window, comes before a move: a first call in
    # this process takes about twice as long as later ones, which the page's first visit pays,
    # not a window move.
    timed(
        "categories: first render's tables (default window, not budgeted)",
        lambda: categories_rerun(categories.MONTHS),
        results,
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


def changes(results: list[tuple[str, float]]) -> None:
    """Segment movement, revenue bridge, lateness follow-up and churn window (issue #17) on about
    1M retail lines and 990k marketplace lines: the cached per-data-set step timed apart from
    what a control move (a date, a period, the months followed, the quantile) recomputes."""
    from lib.analyses import bridge, churn, lateness, movement

    retail = formats.assemble_demo("retail", rows=1_000_000).dataset
    lines = retail.tables["lines"]
    results.append((f"  (retail demo with {lines.height:,} lines)", 0.0))
    orders = timed(
        "purchase orders (cached per data set; movement, lateness and churn read it)",
        lambda: movement.purchase_orders(lines),
        results,
    )
    first_date, second_date = movement.default_dates(orders) or (None, None)
    assert first_date is not None and second_date is not None
    timed(
        "= movement rerun after an as-of date change (budget 0.3 s)",
        lambda: movement.segment_movement(lines, first_date - timedelta(days=7), second_date),
        results,
    )
    purchases = timed(
        "bridge: purchases (cached per data set or filter)",
        lambda: bridge.bridge_purchases(lines),
        results,
    )
    previous, current = bridge.periods_for(purchases)
    timed(
        "= bridge rerun after a period change (budget 0.3 s)",
        lambda: bridge.revenue_bridge(purchases, previous.shifted(-1), current),
        results,
    )
    base = timed(
        "churn: purchase days + base (cached per data set)",
        lambda: churn.churn_base(churn.days_of(orders)),
        results,
    )
    timed(
        "= churn rerun after a quantile change (budget 0.3 s)",
        lambda: churn.churn(base, 0.8),
        results,
    )

    market = formats.assemble_demo("marketplace", rows=850_000).dataset
    m_lines, m_orders = market.tables["lines"], market.tables["orders"]
    results.append((f"  (marketplace demo with {m_lines.height:,} lines)", 0.0))
    first = timed(
        "lateness: purchase orders + first orders (cached per data set)",
        lambda: lateness.first_orders(movement.purchase_orders(m_lines), m_orders),
        results,
    )

    timed(
        "= lateness rerun after a months change (budget 0.3 s)",
        lambda: lateness.follow_ups(first, 12),
        results,
    )


def slowest(label: str, steps: dict[str, object], results: list[tuple[str, float]]) -> None:
    """Time each step (a callable) and report the slowest under `label`, naming it."""
    times: list[tuple[str, float]] = []
    for name, step in steps.items():
        timed(name, step, times)
    worst, seconds = max(times, key=lambda t: t[1])
    results.append((f"{label}: slowest is {worst}", seconds))


def operations(results: list[tuple[str, float]], scale: int = 10) -> None:
    """Delivery and Seller funnel at `scale` x the marketplace demo, as their pages compute them.

    The cached per-data-set steps are timed apart; a rerun is what a control move recomputes.
    The Delivery page caches each breakdown on first view, so a view switch is timed uncached.
    """
    from lib.analyses import delivery as dv
    from lib.analyses import funnel

    rows = scale * demo.DEFAULT_ROWS["marketplace"]
    market = timed(
        f"generate + load the marketplace demo x{scale} (not budgeted)",
        lambda: formats.assemble_demo("marketplace", rows=rows).dataset,
        results,
    )
    orders, leads = market.tables["orders"], market.tables["leads"]
    results.append((f"  ({orders.height:,} orders, {leads.height:,} leads)", 0.0))

    def delivery_setup() -> tuple[pl.DataFrame, pl.DataFrame]:
        facts = dv.delivery_facts(dv.delivery_orders(market))
        return facts, dv.keyed_facts(facts, dv.order_keys(market))

    facts, keyed = timed("delivery: facts + keys (cached per data set)", delivery_setup, results)
    summary = dv.kpis(facts)
    overall = dv.kpi(summary, "late rate") or 0.0
    sellers = dv.seller_table(keyed, overall)
    slowest(
        "= delivery first view of a breakdown (budget 0.3 s)",
        {
            "kpis": lambda: dv.kpis(facts),
            "stages": lambda: dv.stage_durations(facts),
            "customer region": lambda: dv.performance_by(keyed, "customer_region"),
            "seller region": lambda: dv.performance_by(keyed, "seller_region"),
            "month": lambda: dv.by_month(facts),
            "category": lambda: dv.performance_by(keyed, "category"),
            "sellers": lambda: dv.seller_table(keyed, overall),
            "route": lambda: dv.performance_by(keyed, "route"),
            "reviews": lambda: dv.reviews_by_lateness(facts),
        },
        results,
    )
    timed(
        "= delivery rerun after a min-orders change (budget 0.3 s)",
        lambda: dv.worst_sellers(sellers, 25),
        results,
    )

    def funnel_setup() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        outcomes = funnel.lead_outcomes(leads, market.tables["deals"])
        closed = funnel.closed_deals(outcomes, market.tables["deals"])
        return outcomes, closed, funnel.seller_sales(closed, market.tables["lines"])

    outcomes, closed, sales = timed(
        "funnel: outcomes + deals + sellers' sales (cached per data set)", funnel_setup, results
    )

    def funnel_top_rerun() -> None:
        funnel.overall_conversion(outcomes)
        funnel.conversion_by(outcomes, "landing_page", top=20)

    def funnel_count_rerun() -> None:
        tables = {}
        for rep, (attribute, _) in funnel.MATCHES.items():
            funnel.rep_table(closed, rep, sales)
            tables[rep] = funnel.match_table(closed, rep, attribute, min_count=3)
        funnel.routing(tables, closed)

    timed("= funnel rerun after a landing-pages change (budget 0.3 s)", funnel_top_rerun, results)
    timed("= funnel rerun after a min-deals change (budget 0.3 s)", funnel_count_rerun, results)
    slowest(
        "= funnel first view (budget 0.3 s)",
        {
            "origin": lambda: funnel.conversion_by(outcomes, "origin"),
            "cohorts": lambda: funnel.lead_cohorts(outcomes),
            "days to close": lambda: funnel.days_to_close_by(outcomes, "origin"),
            "deal mix": lambda: funnel.deal_mix(closed, "lead_type"),
        },
        results,
    )


def web_events(results: list[tuple[str, float]], rows: int = 1_520_000) -> None:
    """The Web events page's analyses on the web-shop demo with `rows` order lines (~5M events).

    Cached steps are done once per data set (or per picked funnel); a rerun is what the
    conversion window, the minimum support or the picked item recomputes.
    """
    from lib.analyses import events as ev

    shop = timed(
        "generate + load the webshop demo for ~5M events (not budgeted)",
        lambda: formats.assemble_demo("webshop", rows=rows).dataset,
        results,
    )
    events, lines, items = shop.tables["events"], shop.tables["lines"], shop.tables["items"]
    results.append((f"  ({events.height:,} events, {lines.height:,} lines)", 0.0))
    steps = ("search", "view_item", "add_to_cart")
    slowest(
        "events: first view of a chart (cached per data set)",
        {
            "daily status": lambda: ev.daily_status(events),
            "per day": lambda: ev.events_per_day(events, "platform"),
            "mix": lambda: ev.event_mix(events),
            "active users": lambda: ev.active_users(events, "week"),
        },
        results,
    )
    lags = timed(
        "events: view lags (cached per data set)", lambda: ev.view_lags(events, lines), results
    )
    per_item_lags = timed(
        "events: item lags (cached per data set)", lambda: ev.item_lags(lags), results
    )
    names = ev.item_names(lines, items)
    paths = timed(
        "events: funnel paths (cached per picked steps)",
        lambda: ev.funnel_paths(events, steps),
        results,
    )
    pairs = timed("events: co-views (cached per data set)", lambda: ev.co_views(events), results)

    def window_rerun() -> None:
        ev.conversion_by_platform(ev.converted(lags, 14))
        per_item = ev.converted(per_item_lags, 14)
        ev.conversion_by_category(per_item, names)
        ev.mismatched_items(ev.conversion_by_item(per_item, lines, items), min_viewers=20)
        ev.funnel_steps(paths, steps, 14)

    def pairs_rerun() -> None:
        best = ev.top_pairs(pairs, 10, "cosine")
        ev.recommendations(pairs, best["item_a"][0], 10, "cosine")

    timed("= events rerun after a window change (budget 1 s)", window_rerun, results)
    timed("= events rerun after a support or item change (budget 1 s)", pairs_rerun, results)


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
    """Cluster diagnostics and the CLV fit on `customers` synthetic buyers, imports warm: the app
    imports the model libraries (lifetimes, scikit-learn) once its first page is drawn."""
    from lib import warm
    from lib.analyses import clusters, clv

    warm.wait()
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


def loads(results: list[tuple[str, float]], rows: int, seed: int) -> None:
    """Read + map + quality report of `rows` generated retail lines from CSV and parquet, imports
    warm (pyarrow reads parquet metadata): the app imports them as it starts."""
    from lib import warm

    warm.wait(warm.TABLES)
    generated = timed(
        f"generate {rows:,} retail lines (not budgeted)",
        lambda: demo.demo("retail", rows=rows, seed=seed),
        results,
    )
    with tempfile.TemporaryDirectory() as tmp:
        [csv_path] = io.write_csv_tables(generated.files, tmp)
        parquet_path = Path(tmp) / "online_retail.parquet"
        io.read_path(csv_path, budget=io.machine_budget())[0].frame.write_parquet(parquet_path)
        size_mb = csv_path.stat().st_size / 1e6
        for label, path in ((f"CSV, {size_mb:.0f} MB", csv_path), ("parquet", parquet_path)):
            tables = timed(
                f"read {label}", lambda p=path: io.read_path(p, budget=io.machine_budget()), results
            )
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
            f"load the {kind} demo (budget 3 s)", lambda k=kind: formats.assemble_demo(k), results
        )


def scale_lines(rows: int, folder: Path, seed: int = 1, per_file: int = 2_000_000) -> None:
    """`rows` Online Retail lines as parquet files of `per_file` lines in `folder`, generated
    with numpy directly (the demo generator builds every line in Python): invoices of about
    20 lines, one customer and time each, a customer per 50 lines (a fifth without id), 2% of
    invoices cancellations, 1% of lines an exact repeat of the line before."""
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    customers = max(rows // 50, 10)
    start = np.datetime64("2022-01-01T00:00", "m")
    invoice = 500_000
    for done, k in enumerate(range(0, rows, per_file)):
        n = min(per_file, rows - k)
        invoices = max(n // 20, 1)
        size = rng.multinomial(n, np.full(invoices, 1 / invoices))
        ids = np.repeat(np.arange(invoice, invoice + invoices), size)
        invoice += invoices
        who = rng.integers(0, customers, invoices).astype(np.float64)
        who[rng.random(invoices) < 0.2] = np.nan
        when = start + rng.integers(0, 730 * 24 * 60, invoices).astype("timedelta64[m]")
        cancelled = rng.random(invoices) < 0.02
        item = rng.integers(0, 4_000, n)
        quantity = rng.integers(1, 13, n)
        quantity[np.repeat(cancelled, size)] *= -1
        price = np.round(rng.gamma(2.0, 2.0, n), 2)
        repeat = np.flatnonzero(rng.random(n) < 0.01)
        repeat = repeat[(repeat > 0) & (ids[repeat] == ids[repeat - 1])]
        item[repeat], quantity[repeat], price[repeat] = (
            item[repeat - 1],
            quantity[repeat - 1],
            price[repeat - 1],
        )
        prefix = np.where(np.repeat(cancelled, size), "C", "")
        pl.DataFrame(
            {
                "InvoiceNo": np.char.add(prefix, ids.astype(str)),
                "StockCode": (item + 10_000).astype(str),
                "Description": np.char.add("ITEM ", item.astype(str)),
                "Quantity": quantity,
                "InvoiceDate": np.repeat(when, size).astype("datetime64[us]"),
                "UnitPrice": price,
                "CustomerID": np.repeat(who + 12_000, size),
                "Country": np.where(np.repeat(who, size) % 7 == 0, "France", "United Kingdom"),
            }
        ).write_parquet(folder / f"part-{done:03d}.parquet")


def _child_scale(engine: str, folder: str) -> None:
    """In a child process: rfm, then cohorts from the summaries of `folder` (one source: the
    order days rfm computes, cohorts reuses); prints seconds."""
    import json

    from lib import engines

    seconds = {}
    source = engines.source_of([folder], engine)
    for name, frames in (("rfm", engines.rfm_frames), ("cohorts", engines.cohort_frames)):
        start = time.perf_counter()
        frames(source)
        seconds[name] = time.perf_counter() - start
    print(json.dumps(seconds))


def scale(results: list[tuple[str, float]], sizes: tuple[int, ...]) -> None:
    """RFM and cohorts on `sizes` retail lines in parquet, summarised by polars and by DuckDB
    (a share of the customers at a time, lib/engines.py), each in a child process whose peak
    memory and CPU time are reported."""
    import json
    import os
    import shutil
    import subprocess

    root = Path(tempfile.gettempdir()) / "scale"
    for rows in sizes:
        folder = root / f"retail_{rows}"
        if not folder.exists():
            # In a child too: a child's peak would start at this process's size when it forks.
            command = [sys.executable, __file__, "--child-generate", str(rows), str(folder)]
            timed(
                f"generate {rows:,} retail lines in parquet",
                lambda c=command: subprocess.run(c, check=True),
                results,
            )
        for engine in ("polars", "duckdb"):
            child = subprocess.Popen(
                [sys.executable, __file__, "--child-scale", engine, str(folder)],
                stdout=subprocess.PIPE,
                text=True,
            )
            out = child.stdout.read() if child.stdout else ""
            _, status, usage = os.wait4(child.pid, 0)
            if status:
                raise SystemExit(f"scale child {engine} {rows:,} failed ({status})")
            seconds = json.loads(out)
            for name, spent in seconds.items():
                results.append((f"{name} from summaries, {engine}, {rows:,} lines", spent))
            # CPU seconds too: on a shared machine the time waited for a core is not the work.
            cpu = usage.ru_utime + usage.ru_stime
            peak = f"peak {usage.ru_maxrss / 1024:,.0f} MB, CPU {cpu:,.0f} s"
            results.append(
                (f"= rfm + cohorts, {engine}, {rows:,} lines ({peak})", sum(seconds.values()))
            )
        shutil.rmtree(folder)


ONLINE_RETAIL = ROOT.parent / "shared" / "data" / "online_retail" / "online_retail.parquet"
# Online Retail's columns as the UCI file's parquet types them (see ../shared/data/SOURCES.md).
RETAIL_SCHEMA = {
    "InvoiceNo": pl.String,
    "StockCode": pl.String,
    "Description": pl.String,
    "Quantity": pl.Int64,
    "InvoiceDate": pl.String,
    "UnitPrice": pl.Float64,
    "CustomerID": pl.Float64,
    "Country": pl.String,
}


def retail_parquet(rows: int, path: Path) -> None:
    """`rows` lines of the retail demo (the CSV `python -m lib demo --kind retail` writes) as a
    parquet file at `path`, typed as the UCI file's parquet."""
    generated = demo.demo("retail", rows=rows)
    [csv_path] = io.write_csv_tables(generated.files, path.parent)
    del generated
    pl.scan_csv(csv_path, schema=RETAIL_SCHEMA).sink_parquet(path)
    csv_path.unlink()


def _storelens_in_process(path: str) -> dict[str, float]:
    """What `python -m lib rfm PATH` and `python -m lib cohorts PATH` compute, in one process,
    the way those commands take: from summaries of the file when engines.summarises it (one
    source for both), else read + map (once, lines only, as those commands map) and both
    analyses; default options."""
    from lib import __main__ as cli
    from lib import engines
    from lib.analyses import cohorts, rfm

    if engines.summarises([path]):
        source = engines.source_of([path])
        customers = engines.rfm_frames(source)["customers"]
        retention = engines.cohort_frames(source)["retention"]
    else:
        dataset = cli.load([path], needs=cli.tables_read("rfm")).dataset
        customers = rfm.headless(dataset)["customers"]
        retention = cohorts.headless(dataset)["retention"]
    return {
        "customers": customers.height,
        "cohorts": retention["cohort"].n_unique(),
        "revenue": customers["monetary"].sum(),
    }


def _pandas_in_process(path: str) -> dict[str, float]:
    import pandas_recipe

    rfm, retention = pandas_recipe.recipe(path)
    return {"customers": len(rfm), "cohorts": len(retention), "revenue": rfm["Monetary"].sum()}


def _polars_in_process(path: str) -> dict[str, float]:
    import polars_recipe

    rfm, retention = polars_recipe.recipe(path)
    return {"customers": rfm.height, "cohorts": retention.height, "revenue": rfm["Monetary"].sum()}


def _child_pandas(tool: str, path: str) -> None:
    """In a child process: `tool` (storelens, pandas, or polars: the pandas recipe in plain
    polars) run 3 times on `path` once its modules are imported; prints the seconds and CPU
    seconds of each run and what the last one found."""
    import json

    if tool == "pandas":
        sys.path.insert(0, str(ROOT / "bench"))
        import pandas_recipe  # noqa: F401  (imports pandas)

        run = _pandas_in_process
    elif tool == "polars":
        sys.path.insert(0, str(ROOT / "bench"))
        run = _polars_in_process
    else:
        from lib import __main__  # noqa: F401
        from lib.analyses import cohorts, rfm  # noqa: F401

        run = _storelens_in_process
    seconds, cpu = [], []
    for _ in range(3):
        start, used = time.perf_counter(), time.process_time()
        found = run(path)
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - used)
    print(json.dumps({"seconds": seconds, "cpu": cpu, **found}))


def _process(command: list[str], capture: bool = False) -> tuple[str, float, float, float]:
    """Run `command`; its stdout (discarded unless `capture`), seconds, CPU seconds (user +
    system, every thread) and peak memory in MB."""
    import os
    import subprocess

    start = time.perf_counter()
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE if capture else subprocess.DEVNULL, text=True
    )
    out = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if status:
        raise SystemExit(f"{' '.join(command)} failed ({status})")
    return out, seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def pandas_comparison(results: list[tuple[str, float]], big: bool) -> None:
    """The headless rfm + cohorts against the pandas notebook recipe (bench/pandas_recipe.py) on
    Online Retail (when present) and generated retail parquet of 1M (and with `big`, 10M)
    lines: in process, best of 3 with imports warm, and as whole processes, best of 3 rounds
    run back to back, with CPU seconds, peak memory and the load average (1 minute) before and
    after. Each run is a child of this small process: a child's peak starts at its parent's, so
    this section runs first."""
    import json
    import os

    recipe = str(ROOT / "bench" / "pandas_recipe.py")
    commands = ("rfm", "cohorts")
    with tempfile.TemporaryDirectory() as tmp:
        sets = [("Online Retail", ONLINE_RETAIL)] if ONLINE_RETAIL.exists() else []
        for rows in (1_000_000, 10_000_000) if big else (1_000_000,):
            path = Path(tmp) / f"retail_{rows}.parquet"
            timed(
                f"generate {rows:,} retail lines in parquet (not budgeted)",
                lambda p=path, r=rows: _process(
                    [sys.executable, __file__, "--child-retail", str(r), str(p)]
                ),
                results,
            )
            sets.append((f"{rows // 1_000_000}M generated lines", path))
        for name, path in sets:
            found = {}
            load = os.getloadavg()[0]
            for tool in ("storelens", "pandas", "polars"):
                command = [sys.executable, __file__, "--child-pandas", tool, str(path)]
                out, _, _, peak = _process(command, capture=True)
                found[tool] = {**json.loads(out), "peak": peak}
            ours, theirs, plain = found["storelens"], found["pandas"], found["polars"]
            best, baseline = min(ours["seconds"]), min(theirs["seconds"])
            results.append(
                (
                    f"= {name}, in process: Storelens (CPU {min(ours['cpu']):.2f} s; pandas "
                    f"{baseline:.2f} s, CPU {min(theirs['cpu']):.2f} s, {baseline / best:.1f}x; "
                    f"the pandas recipe in plain polars {min(plain['seconds']):.2f} s; peaks "
                    f"{ours['peak']:,.0f} / {theirs['peak']:,.0f} MB; load "
                    f"{load:.1f}-{os.getloadavg()[0]:.1f})",
                    best,
                )
            )
            rounds = []
            load = os.getloadavg()[0]
            for _ in range(3):
                pair = [_process([sys.executable, "-m", "lib", c, str(path)]) for c in commands]
                ran = _process([sys.executable, recipe, str(path)])
                rounds.append(
                    (sum(p[1] for p in pair), sum(p[2] for p in pair), max(p[3] for p in pair))
                    + ran[1:]
                )
            # Best of the rounds for seconds and CPU seconds, the highest peaks.
            best, cpu, our_peak, baseline, their_cpu, their_peak = (
                pick(r[i] for r in rounds) for i, pick in enumerate((min, min, max) * 2)
            )
            results.append(
                (
                    f"= {name}, whole processes: rfm + cohorts (CPU {cpu:.2f} s; pandas script "
                    f"{baseline:.2f} s, CPU {their_cpu:.2f} s, {baseline / best:.1f}x; peaks "
                    f"{our_peak:,.0f} / {their_peak:,.0f} MB; load "
                    f"{load:.1f}-{os.getloadavg()[0]:.1f})",
                    best,
                )
            )
            if name == "Online Retail":
                results.append(
                    (
                        f"  (found: Storelens {ours['customers']:,} customers, "
                        f"{ours['cohorts']} cohorts, revenue {ours['revenue']:,.0f}; pandas "
                        f"{theirs['customers']:,}, {theirs['cohorts']}, {theirs['revenue']:,.0f})",
                        0.0,
                    )
                )


# pandas first: its children's peak memory would start at what the other sections hold.
SECTIONS = ("pandas", "loads", "reruns", "changes", "operations", "events", "models", "scale")


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--rows", type=int, default=1_000_000, help="retail lines for the loads")
    args.add_argument("--seed", type=int, default=1)
    args.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections to run, of {', '.join(SECTIONS)} (default: all)",
    )
    args.add_argument(
        "--big", action="store_true", help="scale: also 30M and 100M lines; pandas: also 10M"
    )
    args.add_argument(
        "--child-scale", nargs=2, metavar=("ENGINE", "FOLDER"), help=argparse.SUPPRESS
    )
    args.add_argument(
        "--child-generate", nargs=2, metavar=("ROWS", "FOLDER"), help=argparse.SUPPRESS
    )
    args.add_argument("--child-pandas", nargs=2, metavar=("TOOL", "PATH"), help=argparse.SUPPRESS)
    args.add_argument("--child-retail", nargs=2, metavar=("ROWS", "PATH"), help=argparse.SUPPRESS)
    opts = args.parse_args()
    if opts.child_pandas:
        _child_pandas(*opts.child_pandas)
        return
    if opts.child_retail:
        retail_parquet(int(opts.child_retail[0]), Path(opts.child_retail[1]))
        return
    if opts.child_scale:
        _child_scale(*opts.child_scale)
        return
    if opts.child_generate:
        scale_lines(int(opts.child_generate[0]), Path(opts.child_generate[1]))
        return
    chosen = [s.strip() for s in opts.only.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        args.error(f"unknown section(s) {', '.join(unknown)}; pick from {', '.join(SECTIONS)}")

    results: list[tuple[str, float]] = []
    runs = {
        "pandas": lambda: pandas_comparison(results, opts.big),
        "loads": lambda: loads(results, opts.rows, opts.seed),
        "reruns": lambda: reruns(results),
        "changes": lambda: changes(results),
        "operations": lambda: operations(results),
        "events": lambda: web_events(results),
        "models": lambda: customer_models(results),
        "scale": lambda: scale(
            results,
            (1_000_000, 10_000_000, 30_000_000, 100_000_000)
            if opts.big
            else (1_000_000, 10_000_000),
        ),
    }
    for section in SECTIONS:
        if section in chosen:
            runs[section]()
    width = max(len(label) for label, _ in results)
    for label, seconds in results:
        print(f"{label:<{width}}  {seconds:7.2f} s")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak memory (RSS)':<{width}}  {peak_mb:7.0f} MB")


if __name__ == "__main__":
    main()
