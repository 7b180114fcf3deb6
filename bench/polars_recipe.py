"""The pandas notebook recipe (bench/pandas_recipe.py) written in plain polars: a floor for the
in-process comparison of bench/run.py (issue #16), not part of the app.

The same steps and cleaning as the notebooks (lines without CustomerID, C invoices, and quantities
or prices not above zero dropped; no exact duplicates, no cancellation netting, no text cleaned;
RFM quintiles by rank, monthly cohorts), each a polars expression: what reading the file and
computing those two tables costs when nothing else is done.

Reads parquet with Online Retail's columns, times as text in the UCI file's ISO form or as the
retail demo writes them (month first); bench/run.py runs it in process.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

QUINTILES = 5


def _quintile(column: str) -> pl.Expr:
    """1-5 by rank (ties by row order, as pandas' rank(method="first")), cut as pandas' qcut
    cuts ranks 1..n: at 1 + k (n - 1) / 5, each bin up to and with its upper edge. In whole
    numbers: a float division puts the top rank of 106 customers at 5.000000000000001, in a
    sixth bin."""
    above = (pl.col(column).rank("ordinal").cast(pl.Int64) - 1) * QUINTILES
    edges = pl.len().cast(pl.Int64) - 1
    return ((above + edges - 1) // edges).clip(lower_bound=1)


def recipe(path: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rfm, retention) of `path`: one row per customer with Recency, Frequency, Monetary, R, F,
    M and RFM_Score; one row per cohort month, one column per month since."""
    dates = pl.col("InvoiceDate")
    df = (
        pl.scan_parquet(path)
        .filter(
            pl.col("CustomerID").is_not_null()
            & ~pl.col("InvoiceNo").str.starts_with("C")
            & (pl.col("Quantity") > 0)
            & (pl.col("UnitPrice") > 0)
        )
        .with_columns(
            pl.coalesce(
                dates.str.to_datetime(f, strict=False)
                for f in ("%Y-%m-%d %H:%M:%S", "%m/%d/%Y %H:%M")
            ).alias("InvoiceDate"),
            (pl.col("Quantity") * pl.col("UnitPrice")).alias("TotalPrice"),
        )
        .collect()
    )
    snapshot = df["InvoiceDate"].max() + timedelta(days=1)
    rfm = (
        df.group_by("CustomerID")
        .agg(
            (snapshot - dates.max()).dt.total_days().alias("Recency"),
            pl.col("InvoiceNo").n_unique().alias("Frequency"),
            pl.col("TotalPrice").sum().alias("Monetary"),
        )
        .sort("CustomerID")  # ties ranked in pandas' groupby order
        .with_columns(
            (QUINTILES + 1 - _quintile("Recency")).alias("R"),  # recent is 5
            _quintile("Frequency").alias("F"),
            _quintile("Monetary").alias("M"),
        )
        .with_columns((pl.col("R") + pl.col("F") + pl.col("M")).alias("RFM_Score"))
    )
    month = dates.dt.truncate("1mo")
    cohort = month.min().over("CustomerID")
    index = (month.dt.year() - cohort.dt.year()) * 12 + month.dt.month() - cohort.dt.month() + 1
    counts = (
        df.select("CustomerID", cohort.alias("CohortMonth"), index.alias("CohortIndex"))
        .group_by("CohortMonth", "CohortIndex")
        .agg(pl.col("CustomerID").n_unique())
        .sort("CohortIndex")
        .pivot(on="CohortIndex", index="CohortMonth", values="CustomerID")
        .sort("CohortMonth")
    )
    first = counts["1"]
    retention = counts.select("CohortMonth", pl.exclude("CohortMonth") / first)
    return rfm, retention
