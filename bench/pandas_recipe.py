"""The classic pandas notebook recipe for Online Retail: RFM scores and monthly cohort retention.

A comparison baseline for bench/run.py (issue #16), written as the public notebooks write it
(read, clean, TotalPrice, snapshot date, groupby per customer, quintiles by qcut on ranks, cohort
month, cohort index, pivot, divide by cohort size). It is not part of the app and imports nothing
from it.

Run: `.venv/bin/python bench/pandas_recipe.py FILE` (CSV or parquet with Online Retail's columns).
"""

from __future__ import annotations

import datetime as dt
import sys

import pandas as pd


def get_month(x):
    return dt.datetime(x.year, x.month, 1)


def get_date_int(df, column):
    year = df[column].dt.year
    month = df[column].dt.month
    return year, month


def recipe(path: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read `path` and return (rfm, retention): one row per customer with Recency, Frequency,
    Monetary, R, F, M and RFM_Score; one row per cohort month, one column per month since."""
    if path.endswith(".parquet"):
        df = pd.read_parquet(path)
    else:
        df = pd.read_csv(path, encoding="ISO-8859-1", dtype={"InvoiceNo": str, "StockCode": str})

    # Cleaning
    df = df[df["CustomerID"].notna()]
    df = df[~df["InvoiceNo"].astype(str).str.startswith("C")]
    df = df[(df["Quantity"] > 0) & (df["UnitPrice"] > 0)]
    df["InvoiceDate"] = pd.to_datetime(df["InvoiceDate"])
    df["TotalPrice"] = df["Quantity"] * df["UnitPrice"]

    # RFM
    snapshot_date = df["InvoiceDate"].max() + dt.timedelta(days=1)
    rfm = df.groupby("CustomerID").agg(
        {
            "InvoiceDate": lambda x: (snapshot_date - x.max()).days,
            "InvoiceNo": "nunique",
            "TotalPrice": "sum",
        }
    )
    rfm.rename(
        columns={"InvoiceDate": "Recency", "InvoiceNo": "Frequency", "TotalPrice": "Monetary"},
        inplace=True,
    )
    rfm["R"] = pd.qcut(rfm["Recency"].rank(method="first"), 5, labels=[5, 4, 3, 2, 1])
    rfm["F"] = pd.qcut(rfm["Frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5])
    rfm["M"] = pd.qcut(rfm["Monetary"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5])
    rfm["RFM_Score"] = rfm[["R", "F", "M"]].astype(int).sum(axis=1)

    # Monthly cohorts
    df["InvoiceMonth"] = df["InvoiceDate"].apply(get_month)
    df["CohortMonth"] = df.groupby("CustomerID")["InvoiceMonth"].transform("min")
    invoice_year, invoice_month = get_date_int(df, "InvoiceMonth")
    cohort_year, cohort_month = get_date_int(df, "CohortMonth")
    years_diff = invoice_year - cohort_year
    months_diff = invoice_month - cohort_month
    df["CohortIndex"] = years_diff * 12 + months_diff + 1
    grouping = df.groupby(["CohortMonth", "CohortIndex"])
    cohort_data = grouping["CustomerID"].apply(pd.Series.nunique).reset_index()
    cohort_counts = cohort_data.pivot(
        index="CohortMonth", columns="CohortIndex", values="CustomerID"
    )
    cohort_sizes = cohort_counts.iloc[:, 0]
    retention = cohort_counts.divide(cohort_sizes, axis=0)
    return rfm, retention


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: pandas_recipe.py FILE")
    rfm, retention = recipe(sys.argv[1])
    print(f"{len(rfm)} customers, {len(retention)} cohorts")
    print(rfm["RFM_Score"].value_counts().sort_index().to_string())
    print(retention.round(3).to_string())
