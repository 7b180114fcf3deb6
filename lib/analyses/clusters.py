"""Customer clusters: per-customer features, k-means with diagnostics, profiles, drivers and ROI."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np
import polars as pl
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import davies_bouldin_score

from lib import fmt, measures, stats, threads
from lib.catalog import for_data
from lib.model import Dataset, columns_of

KS = tuple(range(2, 11))
SEED = 0
N_INIT = 4  # the chosen k: four k-means++ starts, the best kept
# The diagnostics compare the very fits the page shows, so that a k's silhouette and inertia are
# those of its clusters and moving k refits nothing: up to this many customers with N_INIT starts
# per k (18,734 customers: ~0.6 s for nine k), above it with LARGE_N_INIT (100k customers within
# 5 s; 1.7M customers fit four starts in 6-8 s per k).
MANY_STARTS_CUSTOMERS = 30_000
LARGE_N_INIT = 1
# silhouette on a fixed random sample: 5,000 customers cost ~0.15 s for all nine k and move the
# score by ~0.004 between samples (well inside TIE); 20,000 cost ~2.5 s
SILHOUETTE_SAMPLE = 5_000
PROJECTION_SAMPLE = 5_000
SKEW = 1.0  # a feature more skewed than this (after capping) is log-transformed
CAP = 0.01  # share of customers winsorised at each end of each feature before the model
TIE = 0.02  # silhouettes this close to the best count as a tie, settled by the elbow
STRONG = 0.3  # a driver weaker than this (standard deviations) does not name a cluster
# Two features correlated this closely as the model sees them are one difference counted twice.
TWINS = 0.95
MARGIN = 30.0
# The headers of the page's "Choosing k" table.
DIAGNOSTIC_HEADERS = {
    "k": "k",
    "inertia": "Inertia",
    "silhouette": "Silhouette",
    "davies_bouldin": "Davies-Bouldin",
    "small_clusters": "Small clusters",
    "suggested": "Suggested",
}
COST_SHARE = 0.10  # the ROI opens on a cost per customer of 10% of the average net revenue
DEFAULT_FEATURES = ("recency_days", "frequency", "monetary", "avg_order_value")


@dataclass(frozen=True)
class Feature:
    """How a feature reads: label, unit, and the words naming a cluster high or low on it."""

    label: str
    unit: str  # days, orders, money, count, share, score
    high: tuple[str, str]  # (adjective, noun)
    low: tuple[str, str]
    # -1 where less is better for the shop (days since the last order), 0 where neither is (a
    # platform's share of a customer's events: Mobile web converted worst on the web shop).
    better: int = 1


BASE_FEATURES: dict[str, Feature] = {
    "recency_days": Feature(
        "Days since last order",
        "days",
        ("lapsed", "lapsed buyers"),
        ("recent", "recent buyers"),
        better=-1,
    ),
    # Low on orders against the others: 'occasional', as such a cluster often holds customers of
    # two to nine orders beside its one-time buyers (Online Retail: 44% of one).
    "frequency": Feature(
        "Orders", "orders", ("frequent", "regulars"), ("occasional", "occasional buyers")
    ),
    "monetary": Feature(
        "Net revenue",
        "money",
        ("high-spending", "high spenders"),
        ("low-spending", "low spenders"),
    ),
    "avg_order_value": Feature(
        "Average order value",
        "money",
        ("big-basket", "big-basket buyers"),
        ("small-basket", "small-basket buyers"),
    ),
    "tenure_days": Feature(
        "Days from first to last order",
        "days",
        ("long-standing", "loyalists"),
        ("short-lived", "newcomers"),
    ),
    "categories": Feature(
        "Distinct categories",
        "count",
        ("multi-category", "explorers"),
        ("single-category", "specialists"),
    ),
    "return_share": Feature(
        "Share of revenue returned",
        "share",
        ("return-prone", "returners"),
        ("low-return", "keepers"),
        better=-1,
    ),
    "review_score": Feature(
        "Average review", "score", ("satisfied", "fans"), ("dissatisfied", "critics")
    ),
}
# What each optional feature needs, for the "not offered" explanation.
NEEDS = {
    "categories": "needs a product category per order line: map a category column on the Data page",
    "return_share": "needs returns: lines of negative quantity, or an Online Retail export's "
    "cancelled invoices",
    "platform": "needs an events table: one row per user action with a platform and a user id, "
    "as in the web shop's events.csv",
    "review_score": "needs a review score per order",
}
NEED_LABELS = {
    "categories": "distinct categories",
    "return_share": "share of returns",
    "platform": "platform mix",
    "review_score": "average review",
}
# What Olist's export adds, said only when Olist files are loaded (catalog.for_data).
OLIST_NEEDS = {
    NEED_LABELS["categories"]: "(with Olist orders, upload olist_products_dataset.csv)",
    NEED_LABELS["review_score"]: "(with Olist orders, upload olist_order_reviews_dataset.csv)",
}


def platform_feature(platform: str) -> tuple[str, Feature]:
    """Column name and description of the share of a customer's web events on `platform`."""
    slug = re.sub(r"[^a-z0-9]+", "_", platform.lower()).strip("_") or "unknown"
    shown = platform.replace("_", " ")
    return f"platform_{slug}", Feature(
        f"Share of {shown} events",
        "share",
        (f"{shown}-first", f"{shown} users"),
        (f"non-{shown}", f"non-{shown} users"),
        better=0,
    )


@dataclass(frozen=True)
class CustomerFeatures:
    """One row per customer (customer_id, then the available feature columns) and what was left
    out: lines without a customer, customers without a purchase, features the data lacks, and
    customers whose event or review features were filled with the mean of the others."""

    table: pl.DataFrame
    features: dict[str, Feature]
    missing: tuple[tuple[str, str], ...]  # (feature group, what would enable it)
    lines_without_customer: int
    revenue_without_customer: float
    # Known customers with no purchase: only returns, free lines or lines of no sale.
    customers_without_purchase: int
    # (feature group, customers given the mean, the group's features)
    imputed: tuple[tuple[str, int, tuple[str, ...]], ...]
    as_of: datetime | None

    @property
    def available(self) -> tuple[str, ...]:
        return tuple(self.features)


def customer_features(
    lines: pl.DataFrame, events: pl.DataFrame | None = None, orders: pl.DataFrame | None = None
) -> CustomerFeatures:
    """Per-customer features from order lines (net of returns), web events and reviews.

    Customers, frequency (distinct orders), monetary (revenue net of the cancellations matched
    to them) and dates come from measures.customer_purchases, as on the RFM page. Recency counts
    calendar days from the customer's last purchase to the last order in the data; tenure, days
    from first to last purchase; return_share, returned / gross revenue of sale lines (at most 1:
    returns of purchases made before the data starts).
    """
    # Orders, spend and dates of purchases as every page counts them (measures, which judge
    # duplicates over whole lines); the return share from the raw lines, returns against what the
    # customer's sale lines were worth.
    bought = measures.customer_purchases(
        lines, ("customer_id", "order_id", "ordered_at", "revenue", "category")
    ).lines
    lines = columns_of(lines, "customer_id", "ordered_at", "revenue", "is_return", "category")
    returned = (
        pl.col("is_return").fill_null(False) if "is_return" in lines.columns else pl.lit(False)
    )
    known = lines.filter(pl.col("customer_id").is_not_null())
    unknown = lines.filter(pl.col("customer_id").is_null())
    has_category = "category" in lines.columns and lines["category"].null_count() < lines.height
    has_returns = known.select(returned.any()).item() if known.height else False
    aggs = [
        pl.col("ordered_at").min().alias("_first"),
        pl.col("ordered_at").max().alias("_last"),
        pl.col("order_id").n_unique().cast(pl.Int64).alias("frequency"),
        pl.col("revenue").sum().alias("monetary"),
    ]
    if has_category:
        aggs.append(pl.col("category").drop_nulls().n_unique().cast(pl.Int64).alias("categories"))
    returns = known.group_by("customer_id").agg(
        pl.col("revenue").filter(~returned).sum().alias("_gross"),
        pl.col("revenue").filter(returned).abs().sum().alias("_returned"),
    )
    buyers = bought.group_by("customer_id").agg(aggs).join(returns, on="customer_id", how="left")
    # Recency as RFM counts it: days from the last purchase to the day after the data's last.
    as_of = known["ordered_at"].max().date() + timedelta(days=1) if known.height else None
    day = pl.col("_last").dt.date()
    table = buyers.with_columns(
        (pl.lit(as_of, pl.Date) - day).dt.total_days().cast(pl.Int64).alias("recency_days"),
        (day - pl.col("_first").dt.date()).dt.total_days().cast(pl.Int64).alias("tenure_days"),
        (pl.col("monetary") / pl.col("frequency")).alias("avg_order_value"),
        pl.when(pl.col("_gross") > 0)
        .then((pl.col("_returned") / pl.col("_gross")).clip(0.0, 1.0))
        .otherwise(0.0)
        .alias("return_share"),
    )
    features = {
        name: BASE_FEATURES[name]
        for name in ("recency_days", "frequency", "monetary", "avg_order_value", "tenure_days")
    }
    missing: list[tuple[str, str]] = []
    if has_category:
        features["categories"] = BASE_FEATURES["categories"]
    else:
        missing.append((NEED_LABELS["categories"], NEEDS["categories"]))
    if has_returns:
        features["return_share"] = BASE_FEATURES["return_share"]
    else:
        missing.append((NEED_LABELS["return_share"], NEEDS["return_share"]))
    table = table.select("customer_id", *features).sort("customer_id")
    imputed: list[tuple[str, int, tuple[str, ...]]] = []

    platforms = _platform_shares(events, table.select("customer_id"))
    if platforms is None:
        missing.append((NEED_LABELS["platform"], NEEDS["platform"]))
    else:
        shares, described = platforms
        table, filled = _join_filled(table, shares)
        features.update(described)
        imputed.append((NEED_LABELS["platform"], filled, tuple(described)))

    reviews = _review_means(orders, table.select("customer_id"))
    if reviews is None:
        missing.append((NEED_LABELS["review_score"], NEEDS["review_score"]))
    else:
        table, filled = _join_filled(table, reviews)
        features["review_score"] = BASE_FEATURES["review_score"]
        imputed.append((NEED_LABELS["review_score"], filled, ("review_score",)))

    return CustomerFeatures(
        table=table,
        features=features,
        missing=tuple(missing),
        lines_without_customer=unknown.height,
        revenue_without_customer=float(unknown["revenue"].sum()) if unknown.height else 0.0,
        customers_without_purchase=returns.height - buyers.height,
        imputed=tuple(imputed),
        as_of=as_of,
    )


# Why a summary's order rows (lib/local.py) give no return share.
SUMMARY_RETURNS = (
    "a folder's summary nets each cancellation into the purchase it reverses, so what a "
    "customer returned is not in it"
)


def dataset_features(ds: Dataset) -> CustomerFeatures:
    """`customer_features` of a data set's lines, events and orders, with what Olist's files would
    add said only when Olist files are loaded. A summary's order rows (local.summarised) give no
    return_share: their purchases are net of the cancellations matched to them."""
    from lib import local

    built = customer_features(ds.table("lines"), ds.tables.get("events"), ds.tables.get("orders"))
    missing = tuple(
        (what, for_data(ds, why, OLIST_NEEDS.get(what, ""))) for what, why in built.missing
    )
    if local.summarised(ds) and "return_share" in built.features:
        kept = {name: f for name, f in built.features.items() if name != "return_share"}
        built = replace(built, table=built.table.drop("return_share"), features=kept)
        missing += ((NEED_LABELS["return_share"], SUMMARY_RETURNS),)
    return replace(built, missing=missing)


def _platform_shares(
    events: pl.DataFrame | None, customers: pl.DataFrame
) -> tuple[pl.DataFrame, dict[str, Feature]] | None:
    """customer_id plus one share column per platform (customers with events only), or None."""
    if events is None or "platform" not in events.columns or "user_id" not in events.columns:
        return None
    counted = (
        events.filter(pl.col("platform").is_not_null())
        .select(pl.col("user_id").alias("customer_id"), "platform")
        .join(customers, on="customer_id", how="semi")
        .group_by("customer_id", "platform")
        .len()
    )
    if counted.height == 0:
        return None
    order = (
        counted.group_by("platform")
        .agg(pl.col("len").sum())
        .sort(["len", "platform"], descending=[True, False])["platform"]
        .to_list()
    )
    described = dict(platform_feature(p) for p in order)
    columns = {p: platform_feature(p)[0] for p in order}
    shares = (
        counted.with_columns(pl.col("len") / pl.col("len").sum().over("customer_id"))
        .pivot(on="platform", index="customer_id", values="len")
        .fill_null(0.0)
        .rename(columns)
        .select("customer_id", *columns.values())
    )
    return shares, described


def _review_means(orders: pl.DataFrame | None, customers: pl.DataFrame) -> pl.DataFrame | None:
    """customer_id, review_score (mean over the customer's reviewed orders), or None."""
    if orders is None or "review_score" not in orders.columns:
        return None
    means = (
        orders.filter(pl.col("review_score").is_not_null())
        .join(customers, on="customer_id", how="semi")
        .group_by("customer_id")
        .agg(pl.col("review_score").mean())
    )
    return means if means.height else None


def _join_filled(table: pl.DataFrame, extra: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """`table` with `extra`'s columns; customers absent from `extra` get the mean of those
    present, so that k-means sees them as typical rather than as zero. Also their count."""
    joined = table.join(extra, on="customer_id", how="left", maintain_order="left")
    columns = [c for c in extra.columns if c != "customer_id"]
    filled = joined[columns[0]].null_count()
    return joined.with_columns(pl.col(c).fill_null(pl.col(c).mean()) for c in columns), filled


# --- model space -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scaled:
    """The model's view of the customers: `matrix` is (customers x features) after capping each
    feature at both ends (`bounds`, in the data's units), the log transform of `logged`, then
    standard scaling of each column to mean 0 and standard deviation 1."""

    matrix: np.ndarray
    features: tuple[str, ...]
    logged: tuple[str, ...]
    capped: tuple[tuple[str, int], ...] = ()  # (feature, customers whose value was capped)
    capped_customers: int = 0  # customers with at least one capped value
    bounds: tuple[tuple[str, float, float], ...] = ()  # (feature, low cap, high cap)
    cap: float = 0.0  # share of customers capped at each end of each feature
    per_end: int = 0  # customers that share is: floor(cap x customers)
    skews: tuple[float | None, ...] = ()  # skewness of each feature after capping


def capped_per_end(customers: int, cap: float = CAP) -> int:
    """How many customers are capped at each end of each feature: floor(cap x customers), none
    when that would leave no customer uncapped."""
    m = int(np.floor(cap * customers + 1e-9))
    return m if customers - 2 * m >= 1 else 0


def capped_columns(
    matrix: np.ndarray, cap: float = CAP
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Winsorised copy of `matrix`: in each column the floor(cap x n) lowest values take the value
    of the next one up, and the floor(cap x n) highest that of the next one down (none below
    1 / cap rows). Also the low and high caps per column and which cells changed."""
    n = matrix.shape[0]
    m = capped_per_end(n, cap)
    ordered = np.sort(matrix, axis=0)
    low, high = ordered[m], ordered[n - 1 - m]
    clipped = np.clip(matrix, low, high)
    return clipped, low, high, clipped != matrix


def signed_log1p(values: np.ndarray) -> np.ndarray:
    """log(1 + x) for x >= 0 and -log(1 + |x|) below: the log's compression of a long right tail,
    kept defined for net revenue that returns made negative."""
    return np.sign(values) * np.log1p(np.abs(values))


def scaled_features(
    table: pl.DataFrame, features: Sequence[str], log: bool = True, cap: float = CAP
) -> Scaled:
    """Winsorise each feature at `cap` of the customers at each end (capped_columns), log-transform
    those whose capped values are skewed beyond SKEW (signed_log1p, when `log`), then standardise.

    Capping keeps a handful of extreme customers (one wholesaler buying 100 times the median)
    from pulling a cluster of their own; the log turns long right tails (spend, orders) into
    spreads k-means can divide. The capped values stand in for the model only: profiles show
    every customer's real figures.
    """
    if not features:
        raise ValueError("choose at least one feature")
    unknown = [f for f in features if f not in table.columns]
    if unknown:
        raise ValueError(f"unknown feature(s): {', '.join(unknown)}")
    if table.height == 0:
        raise ValueError("no customers to cluster")
    raw = table.select(pl.col(f).cast(pl.Float64) for f in features).to_numpy().astype(np.float64)
    values, low, high, changed = capped_columns(raw, cap)
    skews = [
        _finite(pl.Series(values[:, i]).skew()) if table.height > 2 else None
        for i in range(len(features))
    ]
    logged = tuple(
        f
        for f, skew in zip(features, skews, strict=True)
        if log and skew is not None and skew > SKEW
    )
    matrix = values.copy()
    for i, f in enumerate(features):
        if f in logged:
            matrix[:, i] = signed_log1p(matrix[:, i])
    spread = matrix.std(axis=0)
    matrix = (matrix - matrix.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    return Scaled(
        matrix=matrix,
        features=tuple(features),
        logged=logged,
        capped=tuple((f, int(changed[:, i].sum())) for i, f in enumerate(features)),
        capped_customers=int(changed.any(axis=1).sum()),
        bounds=tuple((f, float(low[i]), float(high[i])) for i, f in enumerate(features)),
        cap=cap,
        per_end=capped_per_end(table.height, cap),
        skews=tuple(skews),
    )


def _finite(value: float | None) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None


def model_features(scaled: Scaled, features: dict[str, Feature]) -> pl.DataFrame:
    """How each feature enters the model: one row per feature with feature, label, skewness
    (after capping; null when undefined), logged (bool), low_cap and high_cap (the capping bounds,
    in the data's units) and capped (customers whose value was capped)."""
    capped = dict(scaled.capped)
    bounds = {f: (low, high) for f, low, high in scaled.bounds}
    return pl.DataFrame(
        {
            "feature": list(scaled.features),
            "label": [features[f].label for f in scaled.features],
            "skewness": list(scaled.skews) or [None] * len(scaled.features),
            "logged": [f in scaled.logged for f in scaled.features],
            "low_cap": [bounds.get(f, (None, None))[0] for f in scaled.features],
            "high_cap": [bounds.get(f, (None, None))[1] for f in scaled.features],
            "capped": [capped.get(f, 0) for f in scaled.features],
        },
        schema={
            "feature": pl.String,
            "label": pl.String,
            "skewness": pl.Float64,
            "logged": pl.Boolean,
            "low_cap": pl.Float64,
            "high_cap": pl.Float64,
            "capped": pl.Int64,
        },
    )


@dataclass(frozen=True)
class Clustering:
    """k-means labels (0..k-1, cluster 0 the largest) of each row of the scaled matrix."""

    k: int
    labels: np.ndarray
    inertia: float


def fit_clusters(matrix: np.ndarray, k: int, starts: int = N_INIT) -> Clustering:
    """k-means (random_state=SEED, `starts` k-means++ starts, the best kept), clusters
    renumbered largest first."""
    if matrix.shape[0] < k:
        raise ValueError(f"{matrix.shape[0]} customers cannot form {k} clusters")
    with threads.one_thread():
        model = KMeans(n_clusters=k, random_state=SEED, n_init=starts).fit(matrix)
    return Clustering(k=k, labels=_by_size(model.labels_, k), inertia=float(model.inertia_))


def _by_size(labels: np.ndarray, k: int) -> np.ndarray:
    sizes = np.bincount(labels, minlength=k)
    order = np.argsort(-sizes, kind="stable")
    rank = np.empty(k, dtype=np.int64)
    rank[order] = np.arange(k)
    return rank[labels]


# A cluster of fewer customers than this, or a smaller share of them, is a handful of outliers:
# it is named, never the one to spend on, and no k that makes one is suggested (Online Retail at
# k = 9: 30 customers, 0.7%).
SMALL_CUSTOMERS, SMALL_SHARE = 30, 0.02


def small(customers: pl.Expr, total: int) -> pl.Expr:
    """Whether a cluster of `customers` (of `total`) is too small to plan spending on."""
    return (customers < SMALL_CUSTOMERS) | (customers < SMALL_SHARE * total)


@dataclass(frozen=True)
class Diagnostics:
    """k, inertia, silhouette, davies_bouldin and small_clusters (clusters too `small` to plan
    on) per k; the suggested k and why in one sentence."""

    table: pl.DataFrame
    suggested_k: int
    elbow_k: int
    reason: str
    silhouette_sample: int  # customers the silhouette was computed on
    method: str
    # the fit_clusters at each k the diagnostics were computed from, and their starts
    fits: dict[int, Clustering] = field(default_factory=dict)
    starts: int = N_INIT
    distinct: int = 0  # the customers the model tells apart, counted up to the largest k tried

    @property
    def segments(self) -> bool:
        """Whether some k leaves no cluster too `small` to plan on (else the suggested k is only
        a place to start, and the reason says so)."""
        return bool(self.table.filter(pl.col("small_clusters") == 0).height)

    def marked(self) -> pl.DataFrame:
        """The table with a `suggested` column, true at the suggested k."""
        return self.table.with_columns((pl.col("k") == self.suggested_k).alias("suggested"))

    def fit_at(self, matrix: np.ndarray, k: int) -> Clustering:
        """The clusters at k: the fit the diagnostics kept, else fit_clusters now."""
        return self.fits.get(k) or fit_clusters(matrix, k, self.starts)


def cluster_diagnostics(
    matrix: np.ndarray,
    ks: Sequence[int] = KS,
    sample: int = SILHOUETTE_SAMPLE,
    names: Sequence[str] = (),
) -> Diagnostics:
    """Inertia (elbow), silhouette (on a fixed random sample of `sample` customers when there are
    more) and Davies-Bouldin for each k, of fit_clusters' fits (kept in `fits`): N_INIT starts
    up to MANY_STARTS_CUSTOMERS customers, else LARGE_N_INIT. `names`: the matrix columns' names
    in words, for the reason (default 'feature 1', 'feature 2', ...)."""
    n = matrix.shape[0]
    # k-means cannot make more clusters than there are different customers: 30 identical ones
    # gave 'Clusters 2' of one cluster and a silhouette of nan, sorted as the best.
    distinct = distinct_customers(matrix, max(ks, default=0))
    if distinct < 2 <= n:
        raise ValueError(f"the {n:,} customers are all the same as the model sees them")
    allowed = [k for k in ks if k < n]
    ks = [k for k in allowed if k <= distinct]
    if not ks:
        raise ValueError(f"too few customers to compare cluster counts ({n:,})")
    rows = np.arange(n)
    if n > sample:
        rows = np.sort(np.random.default_rng(SEED).choice(n, sample, replace=False))
    starts = N_INIT if n <= MANY_STARTS_CUSTOMERS else LARGE_N_INIT
    fits = {k: fit_clusters(matrix, k, starts) for k in ks}
    with threads.one_thread():
        silhouettes = silhouette_scores(matrix[rows], [fits[k].labels[rows] for k in ks])
        separation = [
            davies_bouldin_score(matrix, fits[k].labels)
            if np.unique(fits[k].labels).size > 1
            else None
            for k in ks
        ]
    table = pl.DataFrame(
        {
            "k": ks,
            "inertia": [fits[k].inertia for k in ks],
            "silhouette": silhouettes,
            "davies_bouldin": separation,
            "small_clusters": [
                pl.select(small(pl.lit(np.bincount(fits[k].labels)), n).sum()).item() for k in ks
            ],
        },
        schema={
            "k": pl.Int64,
            "inertia": pl.Float64,
            "silhouette": pl.Float64,
            "davies_bouldin": pl.Float64,
            "small_clusters": pl.Int64,
        },
    )
    names = list(names) or [f"feature {i + 1}" for i in range(matrix.shape[1])]
    skews = [_finite(pl.Series(column).skew()) for column in matrix.T]
    sliced = {}
    for k, (column, share) in zip(ks, slicings(matrix, [fits[k].labels for k in ks]), strict=True):
        if share >= SLICE and abs(skews[column] or 0.0) > SKEW:
            sliced[k] = (names[column], share, skews[column])
    suggested, elbow, reason = suggest_k(table, sliced)
    if len(ks) < len(allowed):
        reason += (
            f" The model tells only {distinct} of the {n:,} customers apart (the others repeat "
            f"them on every feature), so no k above {distinct} is tried."
        )
    method = (
        f"k-means with {starts} k-means++ start{'s' if starts > 1 else ''} per k (seed {SEED}; "
        + "the fits the page shows"
        + (
            f"; {N_INIT} starts up to {MANY_STARTS_CUSTOMERS:,} customers"
            if starts != N_INIT
            else ""
        )
        + "); silhouette on "
        + (f"a fixed random sample of {len(rows):,} customers" if n > sample else "all customers")
    )
    return Diagnostics(table, suggested, elbow, reason, len(rows), method, fits, starts, distinct)


def distinct_customers(matrix: np.ndarray, most: int) -> int:
    """How many different rows (customers as the model sees them) `matrix` holds: exactly up to
    `most`, and beyond it at least that many. Rows are first told apart by one fixed random
    combination of the columns (a sort of one column: 0.1 s for 1.7M customers), which can only
    merge different rows; when that leaves `most` or fewer, the rows themselves are compared."""
    if matrix.shape[0] == 0:
        return 0
    weights = np.random.default_rng(SEED).uniform(1.0, 2.0, matrix.shape[1])
    seen = np.unique(matrix @ weights).size
    if seen > most:
        return seen
    return int(np.unique(matrix, axis=0).shape[0])


def identical_note(scaled: Scaled, features: dict[str, Feature]) -> str | None:
    """What to say when every customer is the same on the model's features (after capping), so
    that there is nothing to cluster: no k to suggest, no cluster to profile or rank. None when
    two customers differ."""
    if distinct_customers(scaled.matrix, 1) > 1:
        return None
    customers = scaled.matrix.shape[0]
    labels = fmt.listed([features[f].label.lower() for f in scaled.features])
    capped = " once the most extreme are capped" if scaled.capped_customers else ""
    return (
        f"All {customers:,} customers are the same on {labels}{capped}: there are no groups "
        "to find, so no k is suggested and no cluster is profiled or ranked. Choose other "
        "features, or load data in which customers differ."
    )


# Clusters that ranking customers by one feature alone reproduces for this share of them are
# slices of that feature (Olist with the log off: 99.6% of k = 2 by net revenue).
SLICE = 0.95


def slicings(matrix: np.ndarray, labelings: Sequence[np.ndarray]) -> list[tuple[int, float]]:
    """For each labelling of the rows of `matrix` (cluster numbers from 0): (column, share), the
    column that alone best reproduces the clusters (the first of equals), and the share of rows
    it puts in their own cluster, when rows sorted by it are cut into bands of the clusters'
    sizes, in the order of the clusters' means on it. Each column is sorted once for every
    labelling (1.7M customers, nine k: 1.5 s where sorting it for each k took 7.4 s)."""
    best = [(0, 0.0)] * len(labelings)
    counts = [np.bincount(labels) for labels in labelings]  # each cluster's size, k of them
    for column in range(matrix.shape[1]):
        values = matrix[:, column]
        ranked = np.argsort(values, kind="stable")
        for i, (labels, sizes) in enumerate(zip(labelings, counts, strict=True)):
            k = len(sizes)
            means = np.bincount(labels, weights=values, minlength=k) / np.maximum(sizes, 1)
            order = np.argsort(means, kind="stable")
            bands = np.empty_like(labels)
            bands[ranked] = np.repeat(order, sizes[order])
            share = float((bands == labels).mean())
            if share > best[i][1]:
                best[i] = (column, share)
    return best


def named_diagnostics(scaled: Scaled, features: dict[str, Feature]) -> Diagnostics:
    """cluster_diagnostics of the scaled customers, the reason naming features by their labels."""
    return cluster_diagnostics(
        scaled.matrix, names=[features[f].label.lower() for f in scaled.features]
    )


def elbow_k(table: pl.DataFrame) -> int:
    """The k where the inertia curve bends most: the point farthest below the straight line from
    the first to the last k, both axes scaled to 0..1."""
    ks = table["k"].to_numpy().astype(float)
    inertia = table["inertia"].to_numpy()
    if len(ks) < 3 or inertia[0] == inertia[-1]:
        return int(ks[0])
    x = (ks - ks[0]) / (ks[-1] - ks[0])
    y = (inertia - inertia[-1]) / (inertia[0] - inertia[-1])
    return int(ks[int(np.argmax((1 - x) - y))])


def suggest_k(
    table: pl.DataFrame, sliced: Mapping[int, tuple[str, float, float]] | None = None
) -> tuple[int, int, str]:
    """(suggested k, elbow k, why): the best silhouette of the k that make no `small` cluster (of
    the k that make the fewest when each makes one, said so: on 25 customers every cluster is
    small, and the best silhouette of all k was k = 9, beside "try fewer clusters"); k within
    TIE of it go to the one nearest the elbow (then the smaller). `sliced`: the k whose clusters
    are slices of one skewed feature, with its name, the share of customers its ranking places
    in their cluster and its skewness: for them the silhouette says nothing of structure, and
    the reason says why."""
    elbow = elbow_k(table)
    usable = table.filter(pl.col("small_clusters") == 0)
    fewest = int(table["small_clusters"].min())  # type: ignore[arg-type]
    pool = table.filter(pl.col("small_clusters") == fewest)  # the usable k, when there are
    best = pool.sort(["silhouette", "k"], descending=[True, False]).row(0, named=True)
    close = pool.filter(pl.col("silhouette") >= best["silhouette"] - TIE)
    chosen = close.sort((pl.col("k") - elbow).abs(), pl.col("k")).row(0, named=True)
    k = chosen["k"]
    if not usable.height and pool.height == 1 < table.height:
        # the only k that leaves that few: no best of anything
        why = f"k = {k} has a silhouette of {best['silhouette']:.2f}" + (
            " and sits at the elbow of the inertia curve"
            if k == elbow
            else f"; the inertia curve bends at k = {elbow}"
        )
    elif k == best["k"]:
        why = f"k = {k} has the best silhouette ({best['silhouette']:.2f})"
        why += (
            " and sits at the elbow of the inertia curve"
            if k == elbow
            else f"; the inertia curve bends at k = {elbow}"
        )
    else:
        why = (
            f"k = {k} has a silhouette of {chosen['silhouette']:.2f}, within {TIE} of the best "
            f"(k = {best['k']}: {best['silhouette']:.2f}), and sits "
            + (
                "at the elbow of the inertia curve"
                if k == elbow
                else f"nearer the elbow (k = {elbow})"
            )
        )
    lowest_db = table.drop_nulls("davies_bouldin").sort("davies_bouldin")
    if lowest_db.height and lowest_db["k"][0] == k:
        why += f"; its Davies-Bouldin index ({lowest_db['davies_bouldin'][0]:.2f}) is the lowest"
    why += "."
    handfuls = (
        f"of fewer than {SMALL_CUSTOMERS} customers or under {fmt.pct(SMALL_SHARE, 0)} of them"
    )
    higher = table.filter(pl.col("silhouette") > best["silhouette"])
    if not usable.height:
        why += (
            f" Every k tried leaves at least one cluster {handfuls}: no k splits the customers "
            "into groups big enough to plan on."
        )
        if pool.height < table.height:
            leaves = "leaves" if pool.height == 1 else "is of the k that leave"
            why += (
                f" k = {k} {leaves} the fewest such clusters ({fewest}): suggested as a place to "
                "start, not as segments to plan on"
            )
            if higher.height:
                top = higher.sort(["silhouette", "k"], descending=[True, False]).row(0, named=True)
                why += (
                    f"; other k score up to {top['silhouette']:.2f} (k = {top['k']}) but leave "
                    "more of them."
                )
            else:
                why += "."
    elif higher.height:
        top = higher.sort(["silhouette", "k"], descending=[True, False]).row(0, named=True)
        why += (
            f" Other k score up to {top['silhouette']:.2f} (k = {top['k']}) but leave clusters "
            f"{handfuls}: handfuls, not segments."
        )
    if sliced and k in sliced:
        name, share, skew = sliced[k]
        shown = fmt.plain(name)
        return (
            k,
            elbow,
            why
            + (
                f" Its clusters are slices of one skewed feature, not groups: ranking customers by "
                f"{shown} alone puts {fmt.pct(share)} of them in their cluster, and {shown} is "
                f"skewed (skewness {skew:.1f} as the model sees it). A silhouette of "
                f"{chosen['silhouette']:.2f} then measures how far its tail stretches: one skewed "
                "feature with no groups at all can score as high."
            ),
        )
    alone = "a silhouette" if not usable.height and pool.height == 1 < table.height else ""
    return k, elbow, why + _strength(best["silhouette"], close.height, table.height, alone)


# Kaufman and Rousseeuw's reading of the best silhouette: at or below 0.25 no substantial
# structure, up to 0.50 weak, up to 0.70 reasonable, above strong.
NO_STRUCTURE, WEAK_STRUCTURE, REASONABLE_STRUCTURE = 0.25, 0.50, 0.70


def _strength(best: float, close: int, tried: int, said: str = "") -> str:
    """What the best silhouette says of the clusters, and how loose the choice of k is (`close`
    of the `tried` k within TIE of the best, the best among them). `said`: what to call it
    ('a silhouette' for the only k considered; 'a best silhouette' by default)."""
    said = said or "a best silhouette"
    others = f"{close - 1} other values of k of the {tried} tried come within {TIE} of"
    loose = f"; {others} it" if close >= 3 else ""
    if best <= NO_STRUCTURE:
        return (
            f" No k finds substantial structure ({said} of {best:.2f}; "
            f"{NO_STRUCTURE} or less is none){loose}: the clusters split the customers, they are "
            "not groups the data holds."
        )
    if best <= WEAK_STRUCTURE:
        return (
            f" The structure is weak ({said} of {best:.2f}; {WEAK_STRUCTURE} or less "
            f"is weak){loose}: read the clusters as a useful split of the customers, not as "
            "natural groups."
        )
    if close >= 3:
        return f" The choice of k is loose: {others} the best silhouette."
    return ""


def silhouette_scores(
    matrix: np.ndarray, labelings: Sequence[np.ndarray], chunk: int = 256
) -> list[float]:
    """Mean silhouette of each labelling of the same rows (Euclidean), as sklearn defines it
    (a singleton cluster's point scores 0).

    All labellings share one pass over the pairwise distances (float32, in chunks of `chunk`
    rows: about 20 MB each for 20,000 points): for each row, a matrix product with the one-hot
    labels gives its distance sums to every cluster of every k, so nine k cost about one
    silhouette_score call.
    """
    n = matrix.shape[0]
    points = matrix.astype(np.float32)
    norms = (points * points).sum(axis=1)
    blocks, spans, start = [], [], 0
    for labels in labelings:
        k = int(labels.max()) + 1
        onehot = np.zeros((n, k), np.float32)
        onehot[np.arange(n), labels] = 1.0
        blocks.append(onehot)
        spans.append((start, start + k))
        start += k
    onehots = np.hstack(blocks)
    counts = onehots.sum(axis=0).astype(np.float64)
    sums = np.empty((n, start), np.float64)
    for first in range(0, n, chunk):
        part = points[first : first + chunk]
        dist = norms[first : first + chunk, None] + norms[None, :] - 2.0 * (part @ points.T)
        np.maximum(dist, 0.0, out=dist)
        np.sqrt(dist, out=dist)
        sums[first : first + chunk] = dist @ onehots
    out = []
    rows = np.arange(n)
    for labels, (lo, hi) in zip(labelings, spans, strict=True):
        to_cluster, size = sums[:, lo:hi], counts[lo:hi]
        own_size = size[labels]
        within = to_cluster[rows, labels] / np.maximum(own_size - 1, 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            means = np.where(size > 0, to_cluster / size, np.inf)
        means[rows, labels] = np.inf
        nearest = means.min(axis=1)
        if not np.isfinite(nearest).any():
            out.append(float("nan"))
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            score = np.where(own_size > 1, (nearest - within) / np.maximum(within, nearest), 0.0)
        out.append(float(np.nan_to_num(score).mean()))
    return out


# --- profiles ----------------------------------------------------------------------------------


def cluster_drivers(
    table: pl.DataFrame, scaled: Scaled, labels: np.ndarray, features: dict[str, Feature]
) -> pl.DataFrame:
    """What sets each cluster apart: its mean of each model feature in standard deviations from
    the overall mean (after capping and the log transform, as the model sees it), and on which
    side of the average customer its mean sits in `table`'s real figures, as the profiles show
    them (on skewed data a cluster can sit above average on the log scale and below in money).

    One row per (cluster, feature) with cluster (1..k), feature, position (its place in the
    model's features), label, z, direction ('higher'/'lower'), rank (1 = largest |z| in the
    cluster), side (1, -1 or 0: the cluster's real mean above, below or at the mean of all
    customers) and better (z where more is better for the shop, -z where less is, 0 where
    neither is: Feature's `better`); sorted by cluster then rank.
    """
    k = int(labels.max()) + 1
    counts = np.maximum(np.bincount(labels, minlength=k), 1).astype(float)[:, None]

    def means(matrix: np.ndarray) -> np.ndarray:
        # Per feature, its values summed per cluster in row order (np.add.at's sums, 3x faster).
        sums = [np.bincount(labels, weights=column, minlength=k) for column in matrix.T.copy()]
        return np.stack(sums, axis=1) / counts

    raw = table.select(pl.col(f).cast(pl.Float64) for f in scaled.features).to_numpy()
    signs = {f: features[f].better for f in scaled.features}
    frame = pl.DataFrame(
        {
            "cluster": np.repeat(np.arange(1, k + 1), len(scaled.features)),
            "feature": list(scaled.features) * k,
            "position": list(range(len(scaled.features))) * k,
            "z": means(scaled.matrix).ravel(),
            "side": np.sign(means(raw) - raw.mean(axis=0)).astype(np.int64).ravel(),
        }
    )
    return (
        frame.with_columns(
            pl.col("feature")
            .replace_strict({f: features[f].label for f in scaled.features})
            .alias("label"),
            pl.when(pl.col("z") >= 0)
            .then(pl.lit("higher"))
            .otherwise(pl.lit("lower"))
            .alias("direction"),
            pl.col("z")
            .abs()
            .rank("ordinal", descending=True)
            .over("cluster")
            .cast(pl.Int64)
            .alias("rank"),
            (pl.col("z") * pl.col("feature").replace_strict(signs, return_dtype=pl.Int64)).alias(
                "better"
            ),
        )
        .select(
            "cluster", "feature", "position", "label", "z", "direction", "rank", "side", "better"
        )
        .sort("cluster", "rank")
    )


def told(up: bool, side: int) -> bool:
    """Whether a word saying a cluster is high (`up`) or low on a feature may name or describe
    it: only when its real mean, as the profiles show it, sits on that side of the average
    customer (a drivers row's side), whatever the model's log scale says."""
    return side == (1 if up else -1)


def cluster_names(drivers: pl.DataFrame, features: dict[str, Feature]) -> dict[int, str]:
    """A short name per cluster saying what sets it apart, never the same as another's.

    The noun comes from the cluster's top driver, its largest |z| ('high spenders'); the
    adjective from its next strong driver (|z| >= STRONG). When other clusters share its top
    driver, the adjective is the strong driver that most separates it from them, in a direction
    true both against the average and against them ('occasional high spenders' beside 'frequent
    high spenders'). Two names are never the same, nor speak of the same features in the same
    directions ('big-basket high spenders' rules out 'high-spending big-basket buyers'). With no
    strong driver: 'typical customers', then 'near-average <noun>'. Last resorts: the adjective of
    the feature that differs most from the nearest cluster sharing the top driver, then the
    cluster number. Every word obeys `told`: a driver whose real mean sits on the other side of
    the average customer is passed over for the next (no driver left: 'typical customers').
    Clusters are named strongest top driver first, so that the cluster furthest out takes the
    words that fit it best (Online Retail, k = 10: the cluster of 51.6% of revenue was 'big-basket
    regulars', as a cluster named before it had taken 'frequent high spenders').
    """
    z: dict[int, dict[str, float]] = {}
    side: dict[int, dict[str, int]] = {}
    ranked: dict[int, list[str]] = {}  # the drivers the real figures bear out, strongest first
    for row in drivers.sort("cluster", "rank").iter_rows(named=True):
        c, f = row["cluster"], row["feature"]
        z.setdefault(c, {})[f] = row["z"]
        side.setdefault(c, {})[f] = row["side"]
        ranked.setdefault(c, [])
        if told(row["z"] >= 0, row["side"]):
            ranked[c].append(f)
    clusters = sorted(z)

    def words(feature: str, up: bool) -> tuple[str, str]:
        return features[feature].high if up else features[feature].low

    def top(cluster: int) -> tuple[str, bool] | None:
        if not ranked[cluster]:
            return None
        feature = ranked[cluster][0]
        return feature, z[cluster][feature] >= 0

    taken_names: set[str] = set()
    taken_sets: set[frozenset] = set()
    names: dict[int, str] = {}
    for c in sorted(clusters, key=lambda c: -abs(z[c][ranked[c][0]]) if ranked[c] else 0.0):
        lead = top(c)
        candidates: list[tuple[str, frozenset]] = []
        if lead is None or abs(z[c][lead[0]]) < STRONG:
            candidates.append(("typical customers", frozenset()))
            if lead is not None:
                noun = words(*lead)[1]
                candidates.append((f"near-average {noun}", frozenset({("near", *lead)})))
        else:
            first, up = lead
            noun = words(first, up)[1]
            rivals = [
                o for o in clusters if o != c and top(o) == lead and abs(z[o][first]) >= STRONG
            ]
            strong = [f for f in ranked[c][1:] if abs(z[c][f]) >= STRONG]
            if rivals:
                # how far beyond every rival the cluster sits, in the direction of its own z
                beyond = {
                    f: min((z[c][f] - z[o][f]) * (1 if z[c][f] >= 0 else -1) for o in rivals)
                    for f in strong
                }
                strong = sorted((f for f in strong if beyond[f] > 0), key=beyond.get, reverse=True)
            for f in strong:
                candidates.append(
                    (f"{words(f, z[c][f] >= 0)[0]} {noun}", frozenset({lead, (f, z[c][f] >= 0)}))
                )
            if rivals:
                nearest = min(rivals, key=lambda o: sum((z[c][f] - z[o][f]) ** 2 for f in z[c]))
                apart = [
                    f for f in z[c] if f != first and told(z[c][f] >= z[nearest][f], side[c][f])
                ]
                if apart:
                    f = max(apart, key=lambda f: abs(z[c][f] - z[nearest][f]))
                    more = z[c][f] >= z[nearest][f]
                    candidates.append((f"{words(f, more)[0]} {noun}", frozenset({lead, (f, more)})))
            candidates.append((noun, frozenset({lead})))
        free = [
            (n, used) for n, used in candidates if n not in taken_names and used not in taken_sets
        ]
        name, used = free[0] if free else (f"{candidates[0][0]} ({c})", frozenset({("cluster", c)}))
        taken_names.add(name)
        taken_sets.add(used)
        names[c] = name
    return dict(sorted(names.items()))


def cluster_profiles(
    table: pl.DataFrame,
    labels: np.ndarray,
    features: dict[str, Feature],
    names: dict[int, str],
) -> pl.DataFrame:
    """Size, revenue and every feature of each cluster in business units.

    One row per cluster (1..k) with cluster, name, customers, customer_share, revenue (net),
    revenue_share, revenue_per_customer, then mean_<feature> and median_<feature> for every
    feature in `features`, and revenue_sq (the customers' net revenues squared and summed:
    with customers and revenue, how widely they spread, for the chance test of roi_reading).
    """
    figures = [
        expr
        for f in features
        for expr in (pl.col(f).mean().alias(f"mean_{f}"), pl.col(f).median().alias(f"median_{f}"))
    ]
    grouped = (
        table.with_columns(pl.Series("cluster", labels + 1, dtype=pl.Int64))
        .group_by("cluster")
        .agg(
            pl.len().cast(pl.Int64).alias("customers"),
            pl.col("monetary").sum().alias("revenue"),
            (pl.col("monetary") ** 2).sum().alias("revenue_sq"),
            *figures,
        )
    )
    total_revenue = float(table["monetary"].sum())
    return (
        grouped.with_columns(
            pl.col("cluster").replace_strict(names, return_dtype=pl.String).alias("name"),
            (pl.col("customers") / table.height).alias("customer_share"),
            (
                pl.col("revenue") / total_revenue if total_revenue else pl.lit(None, pl.Float64)
            ).alias("revenue_share"),
            (pl.col("revenue") / pl.col("customers")).alias("revenue_per_customer"),
        )
        .select(
            "cluster",
            "name",
            "customers",
            "customer_share",
            "revenue",
            "revenue_share",
            "revenue_per_customer",
            *[f.meta.output_name() for f in figures],
            "revenue_sq",
        )
        .sort("cluster")
    )


def default_cost(table: pl.DataFrame) -> float:
    """The cost per customer the ROI opens on: COST_SHARE of the average net revenue per customer
    (`table`'s monetary), to two significant figures; 0 when that average is not positive."""
    mean = float(table["monetary"].mean() or 0.0) if table.height else 0.0  # type: ignore[arg-type]
    cost = COST_SHARE * mean
    if cost <= 0 or not np.isfinite(cost):
        return 0.0
    return float(round(cost, 1 - int(np.floor(np.log10(cost)))))


def cluster_roi(profiles: pl.DataFrame, margin: float = MARGIN, cost: float = 0.0) -> pl.DataFrame:
    """Profit and ROI per customer of each cluster, best first.

    One row per cluster with cluster, name, customers, revenue_per_customer, gross_profit_per_
    customer (revenue x margin %), cost_per_customer, profit_per_customer (gross profit - cost),
    roi (profit / cost; null when cost is 0), total_profit, rank (1 = best ROI, or best profit
    per customer when there is no cost) and few (too `small` to plan on: its rank rests on a
    handful); revenue_sq as `profiles` has it (cluster_profiles).
    """
    spread = ["revenue_sq"] if "revenue_sq" in profiles.columns else []
    total = int(profiles["customers"].sum())
    return (
        profiles.select("cluster", "name", "customers", "revenue_per_customer", *spread)
        .with_columns(
            (pl.col("revenue_per_customer") * margin / 100).alias("gross_profit_per_customer"),
            pl.lit(float(cost)).alias("cost_per_customer"),
        )
        .with_columns(
            (pl.col("gross_profit_per_customer") - pl.col("cost_per_customer")).alias(
                "profit_per_customer"
            )
        )
        .with_columns(
            (
                pl.col("profit_per_customer") / pl.col("cost_per_customer")
                if cost > 0
                else pl.lit(None, pl.Float64)
            ).alias("roi"),
            (pl.col("profit_per_customer") * pl.col("customers")).alias("total_profit"),
        )
        .sort(["profit_per_customer", "cluster"], descending=[True, False])
        .with_columns(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("rank"),
            small(pl.col("customers"), total).alias("few"),
        )
    )


def cluster_assignments(
    table: pl.DataFrame, labels: np.ndarray, names: dict[int, str]
) -> pl.DataFrame:
    """customer_id, cluster (1..k), name: one row per customer, for export."""
    return (
        table.select("customer_id")
        .with_columns(
            pl.Series("cluster", labels + 1, dtype=pl.Int64),
        )
        .with_columns(pl.col("cluster").replace_strict(names, return_dtype=pl.String).alias("name"))
    )


@dataclass(frozen=True)
class Projection:
    """pc1, pc2, cluster, name for a sample of customers; the share of variance each axis keeps."""

    points: pl.DataFrame
    explained: tuple[float, float]


@dataclass(frozen=True)
class Basis:
    """The first two principal components of the model space (PCA fitted on every customer),
    for a fixed sample of them: rows (their positions), coords (n × 2) and the share of
    variance each axis keeps. It does not depend on the clusters."""

    rows: np.ndarray
    coords: np.ndarray
    explained: tuple[float, float]


def projection_basis(scaled: Scaled, sample: int = PROJECTION_SAMPLE) -> Basis:
    """Basis of `scaled`: at most `sample` fixed random customers on the first two components."""
    n, width = scaled.matrix.shape
    with threads.one_thread():
        pca = PCA(n_components=min(2, width), random_state=SEED).fit(scaled.matrix)
    rows = np.arange(n)
    if n > sample:
        rows = np.sort(np.random.default_rng(SEED).choice(n, sample, replace=False))
    coords = pca.transform(scaled.matrix[rows])
    if width == 1:
        coords = np.column_stack([coords[:, 0], np.zeros(len(rows))])
    ratios = list(pca.explained_variance_ratio_) + [0.0]
    return Basis(rows, coords, (float(ratios[0]), float(ratios[1])))


def cluster_projection(
    scaled: Scaled,
    labels: np.ndarray,
    names: dict[int, str],
    sample: int = PROJECTION_SAMPLE,
    basis: Basis | None = None,
) -> Projection:
    """The customers on the first two principal components of the model space (PCA fitted on all
    customers; at most `sample` fixed random customers drawn). `basis`: projection_basis of
    `scaled`, when already made (it is the same for every k)."""
    basis = projection_basis(scaled, sample) if basis is None else basis
    points = pl.DataFrame(
        {
            "pc1": basis.coords[:, 0],
            "pc2": basis.coords[:, 1],
            "cluster": (labels[basis.rows] + 1).astype(np.int64),
        }
    ).with_columns(pl.col("cluster").replace_strict(names, return_dtype=pl.String).alias("name"))
    return Projection(points, basis.explained)


def segment_crosstab(assignments: pl.DataFrame, segments: pl.DataFrame) -> pl.DataFrame:
    """How clusters spread over RFM segments (customers in both).

    One row per (cluster, segment) with cluster, name, segment, customers and share (of the
    cluster's customers); sorted by cluster then customers, most first.
    """
    both = assignments.join(
        segments.select("customer_id", pl.col("segment").cast(pl.String)), on="customer_id"
    )
    return (
        both.group_by("cluster", "name", "segment")
        .agg(pl.len().cast(pl.Int64).alias("customers"))
        .with_columns(
            (pl.col("customers") / pl.col("customers").sum().over("cluster")).alias("share")
        )
        .sort(["cluster", "customers", "segment"], descending=[False, True, False])
    )


# --- readings ----------------------------------------------------------------------------------


def _below_small(share: float) -> str:
    """A share as pct writes it, with as many more decimals as it takes not to read as
    SMALL_SHARE or more when it is below (1.96% read '2.0%' beside 'under 2%')."""
    digits = 1
    while share < SMALL_SHARE and round(share * 100, digits) >= SMALL_SHARE * 100 and digits < 4:
        digits += 1
    return fmt.pct(share, digits)


def profile_reading(profiles: pl.DataFrame, currency: str) -> str:
    """Which cluster brings the most revenue for its size, in one sentence (of those not too
    `small` to plan on, while there are any), and which clusters are a handful of outliers."""
    few = profiles.filter(small(pl.col("customers"), int(profiles["customers"].sum())))
    planned = profiles.filter(~pl.col("cluster").is_in(few["cluster"].implode()))
    best = (
        (planned if planned.height else profiles)
        .sort("revenue_share", descending=True, nulls_last=True)
        .row(0, named=True)
    )
    lowest = profiles.filter(pl.col("revenue_per_customer").is_not_null()).sort(
        "revenue_per_customer"
    )
    # The clusters that spend least: the lowest and those within chance of it (revenue_sq).
    least = lowest.filter(_alike_first(lowest))
    text = (
        f"“{fmt.plain(best['name'].capitalize())}” (cluster {best['cluster']}) are "
        f"{fmt.pct(best['customer_share'])} of customers and bring "
        f"{fmt.pct(best['revenue_share'])} of net revenue"
    )
    low, high = (fmt.money(least["revenue_per_customer"][i], currency) for i in (0, -1))
    each = f"{low if low == high else f'{low}–{high}'} per customer"
    others = least.filter(pl.col("cluster") != best["cluster"])["name"].to_list()
    if least.height > 1 and lowest["cluster"][-1] in least["cluster"]:
        # The top spender within chance of the lowest: none can be called the one that spends
        # least (nor the top spender said to spend least).
        text += (
            f"; no cluster can be said to spend least: the lowest and the highest revenue per "
            f"customer, {low} and {high}, are alike within chance."
        )
    elif least.height > len(others):  # the cluster that brings most is among them
        # Many small buyers can bring most.
        text += ", though each spends least" + (
            f", {each}." if not others else f", alike within chance with {_quoted(others)}: {each}."
        )
    else:
        who = _quoted(others)
        text += (
            f"; {who} spend least, {each}."
            if least.height == 1
            else f"; {who} spend least, alike within chance: {each}."
        )
    if few.height:
        listed = fmt.listed(
            [
                f"“{fmt.plain(r['name'])}” ({fmt.counted(r['customers'], 'customer')}, "
                f"{_below_small(r['customer_share'])})"
                for r in few.iter_rows(named=True)
            ]
        )
        text += (
            f" {listed} {'is a handful' if few.height == 1 else 'are handfuls'} of outliers "
            f"rather than a segment: {_fewer(profiles.height, int(few['customers'].sum()))}."
        )
    return text


def _fewer(k: int, customers: int) -> str:
    """What to do about handful clusters of `customers` in all: try fewer clusters, or at k = 2,
    where there are no fewer to try, look at those customers (measures.handful_words)."""
    return "try fewer clusters" if k > 2 else measures.handful_words(customers)


def drivers_reading(
    drivers: pl.DataFrame,
    profiles: pl.DataFrame,
    table: pl.DataFrame,
    features: dict[str, Feature],
    currency: str,
) -> str:
    """The strongest single driver of any cluster that its real figures bear out (`told`), in
    business units, in one sentence; a cluster too `small` to plan on is passed over while
    others are not, and said to be a handful when every cluster is. Its distance is on the
    model's scale (after capping and any log transform), where the ranking is made."""
    borne = [
        row
        for row in drivers.sort(pl.col("z").abs(), descending=True).iter_rows(named=True)
        if told(row["z"] >= 0, row["side"])
    ]
    if not borne:
        return (
            "No cluster stands out: on every feature, each cluster's real mean sits at the "
            "average customer's or on the other side of it from where the model places it."
        )
    handful = ""
    if "customers" in profiles.columns:
        few = set(
            profiles.filter(small(pl.col("customers"), int(profiles["customers"].sum())))["cluster"]
        )
        planned = [row for row in borne if row["cluster"] not in few]
        if planned:
            borne = planned
        else:
            handfuls = profiles.filter(pl.col("cluster").is_in(list(few)))["customers"].sum()
            handful = (
                f" Every cluster standing out is a handful of customers (fewer than "
                f"{SMALL_CUSTOMERS}, or under {fmt.pct(SMALL_SHARE, 0)} of them): no segment to "
                f"plan on; {_fewer(profiles.height, int(handfuls))}."
            )
    top = borne[0]
    feature = features[top["feature"]]
    mean = profiles.filter(pl.col("cluster") == top["cluster"])[f"mean_{top['feature']}"][0]
    overall = table[top["feature"]].mean()
    name = profiles.filter(pl.col("cluster") == top["cluster"])["name"][0]
    return (
        f"“{fmt.plain(name.capitalize())}” (cluster {top['cluster']}) stand out most on "
        f"{fmt.plain(feature.label.lower())}: {abs(top['z']):.1f} standard deviations "
        f"{'above' if top['z'] >= 0 else 'below'} the average customer on the model's scale "
        f"({unit_value(mean, feature.unit, currency)} against "
        # The mean over customers, not the shop's pooled figure (Olist's order value R$ 145
        # per customer, R$ 144 per order on Sales).
        f"{unit_value(overall, feature.unit, currency)} for the average customer)." + handful  # type: ignore[arg-type]
    )


def caps_in_units(model: pl.DataFrame, features: dict[str, Feature], currency: str) -> pl.DataFrame:
    """model_features with its capping bounds as people read them (unit_value: '37 days',
    '2.0 orders', 'R$ 1.2k'), where one number column held days, orders and money alike."""
    units = [features[f].unit for f in model["feature"]]
    return model.with_columns(
        pl.Series(
            column, [unit_value(v, u, currency) for v, u in zip(model[column], units, strict=True)]
        )
        for column in ("low_cap", "high_cap")
    )


def unit_value(value: float | None, unit: str, currency: str) -> str:
    """A feature value as people read it: '123 days', '2 orders', '2.4 orders', 'R$ 1.2k',
    '12.5%'."""
    if value is None:
        return "—"
    if unit == "money":
        return fmt.money(value, currency)
    if unit == "share":
        return fmt.pct(value)
    if unit == "score":
        return f"{value:.2f}"
    digits = 0 if unit == "days" or abs(value) >= 100 or float(value).is_integer() else 1
    noun = unit if unit != "count" else "categories"
    if value == 1:
        noun = "category" if noun == "categories" else noun.removesuffix("s")
    return f"{value:,.{digits}f} {noun}"


def _quoted(names: list[str]) -> str:
    """Cluster names in quotes, listed: “a”, “b” and “c” (three at most, then how many more)."""
    return fmt.listed([f"“{fmt.plain(n)}”" for n in names], most=3)


def roi_reading(roi: pl.DataFrame, currency: str, cost: float) -> str:
    """What the ROI columns are and what they rank, in one or two sentences: a what-if (a
    campaign at `cost` per customer bringing back the margin on as much revenue as each cluster
    spent in the data), not a measured return; with one cost for every cluster its order is
    that of past revenue per customer. The clusters tied for the best are named together; a
    cluster too `small` to plan on is never the best, and said so when it would have been."""
    few = small(pl.col("customers"), int(roi["customers"].sum()))
    judged = roi.filter(~few)
    if judged.height == 0:
        return (
            "Every cluster is a handful of customers: none is a segment to plan spending on. "
            "Try fewer clusters."
        )
    passed = roi.filter(few & (pl.col("profit_per_customer") > judged["profit_per_customer"][0]))
    said = _ranked_reading(judged, currency, cost)
    if passed.height:
        names = _quoted(passed["name"].to_list())
        said += (
            f" {names} {'brought' if cost <= 0 else 'would return'} more per customer but "
            f"{'holds' if passed.height == 1 else 'hold'} too few customers to plan on "
            f"(fewer than {SMALL_CUSTOMERS}, or under {fmt.pct(SMALL_SHARE, 0)} of them)."
        )
    return said


# What the ROI columns are, said with every reading of them.
WHAT_IF = (
    "A what-if, not a measured return: if a campaign costing {cost} per customer brought back "
    "the margin on as much revenue as each cluster spent in the data's period, "
)
SAME_COST = (
    " With one cost for every cluster, this ranks the clusters by their past revenue per "
    "customer, nothing more."
)


def _leading(roi: pl.DataFrame) -> pl.DataFrame:
    """The clusters of `roi` (best first) that tie with the best: to the cent, or, with their
    revenue_sq, whose revenue per customer is within chance of the best's across the clusters
    it is compared with (stats.mean_z, Welch, judged by stats.family): one cost for all makes
    profit per customer a margin of revenue per customer, so this is their difference."""
    best = roi.row(0, named=True)
    cent = pl.col("profit_per_customer").round(2) == round(best["profit_per_customer"], 2)
    return roi.filter(cent | _alike_first(roi))


def _alike_first(profiles: pl.DataFrame) -> pl.Series:
    """For each cluster of `profiles` (customers, revenue_per_customer and revenue_sq, as
    cluster_profiles has them), whether its revenue per customer is within chance of the first
    row's, across the clusters compared with it (stats.mean_z, Welch, judged by stats.family);
    the first row is. Without revenue_sq, only the first row. A cluster the test cannot judge
    (one customer, or no spread on either side: mean_z's NaN) is left out of the comparison,
    alike only when its revenue per customer is the first's to the cent: a lone customer
    spending £23.6k was "alike within chance" with clusters spending £41 each."""
    if "revenue_sq" not in profiles.columns or profiles.height < 2:
        return pl.Series([True] + [False] * (profiles.height - 1))
    first = profiles.row(0, named=True)
    rest = profiles.slice(1)
    n, mean = rest["customers"].to_numpy(), rest["revenue_per_customer"].to_numpy()
    own = (first["customers"], first["customers"] * first["revenue_per_customer"])
    z = stats.mean_z(
        [np.full(len(n), float(v)) for v in (*own, first["revenue_sq"])],
        [n, n * mean, rest["revenue_sq"].to_numpy()],
    )
    found = stats.family(z)
    same = np.round(mean, 2) == round(first["revenue_per_customer"], 2)
    return pl.Series(
        [
            True,
            *(
                bool(equal) or (not np.isnan(v) and not found.beyond(float(v)))
                for v, equal in zip(z, same, strict=True)
            ),
        ]
    )


def _ranked_reading(roi: pl.DataFrame, currency: str, cost: float) -> str:
    """roi_reading of the clusters big enough to plan on (`roi`, best first)."""
    best, worst = roi.row(0, named=True), roi.row(roi.height - 1, named=True)
    # Tied with the best (to the cent, or within chance): ranked apart by the table only.
    leading = _leading(roi)
    names = _quoted(leading["name"].to_list())
    exact = leading["profit_per_customer"].round(2).n_unique() == 1
    low = fmt.money(leading["profit_per_customer"].min(), currency)
    profit = fmt.money(best["profit_per_customer"], currency)
    profits = profit if exact or low == profit else f"{low}–{profit}"
    if cost <= 0:
        if best["profit_per_customer"] <= 0:
            return (
                "No cluster earns a gross profit at this margin: set the gross margin, and a "
                "campaign's cost per customer, for a what-if return."
            )
        first = leading["name"].to_list()
        opening = _quoted([first[0].capitalize(), *first[1:]])  # the sentence's start
        who = (
            f"{opening} brought"
            if leading.height == 1
            else f"{opening} tie for"
            if exact
            else f"{opening}, alike within chance, brought"
        )
        return (
            f"{who} the most gross profit per customer in the data's period ({profits} at this "
            "margin); enter a campaign's cost per customer for a what-if return."
        )
    what_if = WHAT_IF.format(cost=fmt.money(cost, currency))
    if best["profit_per_customer"] < 0:
        loss = fmt.money(-best["profit_per_customer"], currency)
        if roi["profit_per_customer"].round(2).n_unique() == 1:
            return f"{what_if}no cluster would pay it back: each would lose {loss} per customer."
        return (
            f"{what_if}no cluster would pay it back: even {names} "
            f"would lose {loss} per customer (a return of {fmt.change(best['roi'])})." + SAME_COST
        )
    losing = roi.filter(pl.col("profit_per_customer") < 0)
    lost = f"{fmt.money(-worst['profit_per_customer'], currency)} per customer"
    poorest = f"“{fmt.plain(worst['name'])}”"
    tail = (
        f"1 cluster would lose money at this cost: {poorest}, {lost}"
        if losing.height == 1
        else f"{losing.height} clusters would lose money at this cost, {poorest} most ({lost})"
        if losing.height
        else f"even {poorest} would return {fmt.change(worst['roi'])}"
    )
    tied = "" if leading.height == 1 else ", tied" if exact else ", alike within chance"
    returns = (
        fmt.change(best["roi"])
        if exact
        else f"{fmt.change(leading['roi'].min())} to {fmt.change(best['roi'])}"
    )
    return (
        f"{what_if}{names} would return most{tied}: {profits} per customer after the cost, "
        f"{returns} on it; {tail}." + SAME_COST
    )


def transform_note(model: pl.DataFrame, log: bool) -> str:
    """Why and which features are log-transformed (model: model_features), for the page."""
    logged = model.filter("logged").rows(named=True)
    flat = model.filter(~pl.col("logged")).rows(named=True)

    def described(row: dict) -> str:
        skew = row["skewness"]
        return fmt.plain(row["label"].lower()) + (
            f" (skewness {skew:.1f})" if skew is not None else ""
        )

    if logged:
        which = f"Log-transformed here: {', '.join(described(r) for r in logged)}. "
        if flat:
            which += f"Left as they are: {', '.join(described(r) for r in flat)}. "
    else:
        which = "No feature is log-transformed " + (
            "(none is skewed beyond the rule). " if log else "(switched off). "
        )
    return (
        "Why transform: spend and order counts are skewed — a few customers buy far more than "
        "the rest — so without the log, k-means would spend its clusters on those few. Rule: "
        f"log(1 + x) on every feature whose skewness exceeds {SKEW:g} after capping. "
        + which
        + "Standard scaling then gives days, orders and money the same weight (mean 0, standard "
        "deviation 1), so that no feature dominates because of its unit."
    )


def capping_note(
    model: pl.DataFrame, cap: float, per_end: int, customers: int, capped_customers: int
) -> str:
    """How extreme customers were capped, and any feature capping made the same for everyone."""
    text = (
        f"Extreme customers: in each feature the {fmt.pct(cap, 0)} most extreme customers at each "
    )
    if per_end:
        text += (
            f"end ({per_end:,} of {customers:,}) take the value of the next one (winsorised), so "
            f"they join the nearest cluster instead of forming their own; {capped_customers:,} "
            "customers have at least one capped value. Profiles, revenue and ROI use everyone's "
            "real figures."
        )
    else:
        text += (
            f"end would be capped, but with {fmt.counted(customers, 'customer')} that reaches none."
        )
    same = model.filter(pl.col("low_cap") == pl.col("high_cap"))
    flattened = [fmt.plain(label.lower()) for label in same.filter(pl.col("capped") > 0)["label"]]
    if flattened:
        one = len(flattened) == 1
        text += (
            f" Once capped, {', '.join(flattened)} {'is' if one else 'are'} the same for every "
            f"customer (fewer than {fmt.pct(cap, 0)} differ), so {'it does' if one else 'they do'} "
            "not shape the clusters; the profiles still show the real values."
        )
    # The same for everyone before any capping: nothing to separate customers by.
    constant = [fmt.plain(label.lower()) for label in same.filter(pl.col("capped") == 0)["label"]]
    if constant:
        one = len(constant) == 1
        text += (
            f" {fmt.listed(constant).capitalize()} {'is' if one else 'are'} the same for every "
            f"customer in this data, so {'it does' if one else 'they do'} not shape the clusters: "
            f"leave {'it' if one else 'them'} out."
        )
    return text


def twins_note(scaled: Scaled, features: dict[str, Feature]) -> str:
    """The pairs of model features that move together (|r| >= TWINS after capping, the log and
    scaling), which the clusters then weigh twice; "" when none does. Olist, where nearly every
    customer orders once: net revenue and average order value, r = 0.996."""
    spread = scaled.matrix.std(axis=0) > 0
    if spread.sum() < 2 or scaled.matrix.shape[0] < 3:
        return ""
    kept = [f for f, s in zip(scaled.features, spread, strict=True) if s]
    r = np.corrcoef(scaled.matrix[:, spread], rowvar=False)
    pairs = [
        (kept[i], kept[j], r[i, j])
        for i in range(len(kept))
        for j in range(i + 1, len(kept))
        if abs(r[i, j]) >= TWINS
    ]
    if not pairs:
        return ""
    said = fmt.listed(
        [
            f"{fmt.plain(features[a].label.lower())} and {fmt.plain(features[b].label.lower())} "
            f"(r = {value:+.2f})"
            for a, b, value in pairs
        ]
    )
    which = "the two" if len(pairs) == 1 else "each pair"
    return (
        f"{said[:1].upper()}{said[1:]} move together (or one against the other) as the model "
        "sees them, so the clusters weigh what is one difference between customers twice: leave "
        f"one of {which} out to weigh it once."
    )


def projection_reading(projection: Projection, k: int, features: int) -> str:
    """How far the 2-D picture can be trusted, in one sentence."""
    kept = sum(projection.explained)
    return f"The two axes keep {fmt.pct(kept, 0)} of the variation of the {features} features" + (
        f"; clusters that overlap here may still be apart in the rest, so judge the {k} "
        "clusters by the profiles."
        if kept < 0.8
        else f", so the picture shows the {k} clusters faithfully."
    )


def crosstab_reading(cross: pl.DataFrame, blind: bool = False) -> str:
    """The cluster most concentrated in one RFM segment, in one sentence, among clusters big
    enough to plan on (`small`: three customers all champions say nothing of a segment); and,
    where no cluster mostly repeats one segment, how far a customer's segment tells their
    cluster (segment_association): clusters that regroup whole segments add little to RFM,
    clusters that cut across them add what it misses. `blind`: the segments rest on a score
    most customers share (the RFM page's warning): the overlap is said, no verdict
    (the web shop demo's 'occasional lapsed buyers' read 74% 'hibernating', 'largely repeats
    that segment', where ranking its one-time buyers' F in other row orders gives 54-56%)."""
    sizes = cross.group_by("cluster").agg(pl.col("customers").sum().alias("_size"))
    total = int(sizes["_size"].sum())
    judged = cross.join(sizes, on="cluster").filter(~small(pl.col("_size"), total))
    if judged.height == 0:
        return (
            "Every cluster is a handful of customers: none says how clusters and RFM segments "
            "relate. Try fewer clusters."
        )
    top = judged.sort("share", "customers", descending=True).row(0, named=True)
    said = (
        f"{fmt.pct(top['share'], 0)} of “{fmt.plain(top['name'])}” (cluster {top['cluster']}) "
        f"are RFM “{fmt.plain(top['segment'])}”"
    )
    if blind:
        return (
            f"{said}, but the segments rest on a score most customers share (the warning "
            "above), so how far clusters repeat them cannot be told."
        )
    if top["share"] >= 0.6:
        return f"{said}: the cluster largely repeats that segment."
    told, guessed, reduction = segment_association(cross)
    against = f"against {fmt.pct(guessed, 0)} naming the largest cluster for all"
    if reduction >= REGROUPED:
        said += ", but"
        verdict = "the clusters largely regroup whole segments, adding little RFM does not say"
    elif reduction >= CUT_ACROSS:
        said += ";"
        verdict = "the clusters partly follow the segments, partly add what RFM alone misses"
    else:
        said += ";"
        against = f"little more than the {fmt.pct(guessed, 0)} naming the largest cluster for all"
        verdict = "clusters cut across the RFM segments, adding what RFM alone misses"
    return (
        f"{said} a customer's RFM segment tells their cluster for {fmt.pct(told, 0)} of "
        f"customers, {against}: {verdict}."
    )


# Goodman and Kruskal's lambda (segment_association) from which clusters read as regrouping
# whole segments, and below which as cutting across them.
REGROUPED, CUT_ACROSS = 0.5, 0.2


def segment_association(cross: pl.DataFrame) -> tuple[float, float, float]:
    """How far a customer's RFM segment tells their cluster (`cross`: segment_crosstab): the
    share of customers in their segment's largest cluster, the share in the largest cluster
    (what naming one cluster for everyone gets right), and Goodman and Kruskal's lambda, the
    share of the second's misses the segment avoids (0: the segment says nothing of the
    cluster, 1: each segment lies in one cluster)."""
    total = cross["customers"].sum()
    told = cross.group_by("segment").agg(pl.col("customers").max())["customers"].sum() / total
    guessed = cross.group_by("cluster").agg(pl.col("customers").sum())["customers"].max() / total
    reduction = (told - guessed) / (1 - guessed) if guessed < 1 else 0.0
    return told, guessed, reduction


# --- headless ----------------------------------------------------------------------------------


def chosen_features(available: Sequence[str], features: str = "") -> list[str]:
    """Feature names from a comma-separated list (empty: the defaults the data has)."""
    wanted = [f.strip() for f in features.split(",") if f.strip()]
    if not wanted:
        return [f for f in DEFAULT_FEATURES if f in available]
    unknown = [f for f in wanted if f not in available]
    if unknown:
        raise ValueError(
            f"{fmt.plural(len(unknown), 'feature')} {', '.join(unknown)} not "
            f"available; choose from {', '.join(available)}"
        )
    return wanted


def headless(
    ds: Dataset,
    *,
    k: int = 0,
    features: str = "",
    log: bool = True,
    margin: float = MARGIN,
    cost: float = -1.0,
) -> dict[str, pl.DataFrame]:
    """The Clusters page's tables: profiles (with ROI columns), diagnostics (k = 2..10, with a
    suggested flag), suggestion (one row: suggested_k and the reason the page gives for it),
    model (how each feature enters the model: model_features) and assignments (customer_id,
    cluster, name). As the page opens: k of 0 is the suggested k, a negative cost the
    default_cost. A summary's order rows (local.summarised) give no return_share
    (dataset_features)."""
    if not ds.has("lines", "customer_id"):
        raise ValueError("needs order lines with a customer id")
    if k != 0 and not 2 <= k <= 10:
        raise ValueError("k must be from 2 to 10 (0: the suggested k)")
    built = dataset_features(ds)
    names_list = chosen_features(built.available, features)
    scaled = scaled_features(built.table, names_list, log)
    same = identical_note(scaled, built.features)
    if same:
        raise ValueError(same)
    diagnostics = named_diagnostics(scaled, built.features)
    if k > int(diagnostics.table["k"].max()) and k < built.table.height:  # type: ignore[arg-type]
        raise ValueError(
            f"the model tells only {diagnostics.distinct} of the {built.table.height:,} customers "
            f"apart: they cannot form {k} clusters"
        )
    chosen = k or diagnostics.suggested_k
    clustering = diagnostics.fit_at(scaled.matrix, chosen)
    drivers = cluster_drivers(built.table, scaled, clustering.labels, built.features)
    names = cluster_names(drivers, built.features)
    profiles = cluster_profiles(built.table, clustering.labels, built.features, names)
    cost = default_cost(built.table) if cost < 0 else cost
    # The ROI columns alone: the rest are the profiles' own (revenue_sq came back as _right).
    roi = cluster_roi(profiles, margin, cost).drop(
        "name", "customers", "revenue_per_customer", "revenue_sq", strict=False
    )
    return {
        "profiles": profiles.join(roi, on="cluster").sort("cluster"),
        "diagnostics": diagnostics.marked(),
        "suggestion": pl.DataFrame(
            {"suggested_k": [diagnostics.suggested_k], "reason": [diagnostics.reason]}
        ),
        "model": model_features(scaled, built.features),
        "assignments": cluster_assignments(built.table, clustering.labels, names),
    }
