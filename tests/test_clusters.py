"""Customer clusters on tiny hand-made frames, separated blobs and the demos."""

from datetime import datetime

import numpy as np
import polars as pl
import pytest

from lib import demo, formats, io
from lib.analyses import clusters as cl


def at(day: int) -> datetime:
    return datetime(2024, 1, day, 12, 0)


def tiny_lines() -> pl.DataFrame:
    # a: two orders (o1 with two lines) and one return; b: one order; c: a return only;
    # one line without a customer.
    return pl.DataFrame(
        {
            "order_id": ["o1", "o1", "o2", "o3", "o4", "o5", "o6"],
            "customer_id": ["a", "a", "a", "a", "b", "c", None],
            "ordered_at": [at(1), at(1), at(11), at(12), at(21), at(5), at(15)],
            "revenue": [10.0, 20.0, 30.0, -15.0, 100.0, -5.0, 7.0],
            "category": ["x", "y", "x", "x", "z", "x", "x"],
            "is_return": [False, False, False, True, False, True, False],
        }
    )


def tiny_events() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "event_id": ["e1", "e2", "e3", "e4"],
            "user_id": ["a", "a", "a", "zz"],
            "event_at": [at(1)] * 4,
            "event_name": ["view_item"] * 4,
            "platform": ["web", "web", "ios", "web"],
        }
    )


def tiny_orders() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "order_id": ["o1", "o2", "o4"],
            "customer_id": ["a", "a", "b"],
            "ordered_at": [at(1), at(11), at(21)],
            "review_score": [4.0, 5.0, None],
        }
    )


def test_customer_features_match_hand_counts():
    built = cl.customer_features(tiny_lines(), tiny_events(), tiny_orders())
    rows = {r["customer_id"]: r for r in built.table.to_dicts()}
    assert sorted(rows) == ["a", "b"]
    a, b = rows["a"], rows["b"]
    # the data ends on 21 Jan: a last bought on 11 Jan, first on 1 Jan
    assert (a["recency_days"], a["tenure_days"], a["frequency"]) == (10, 10, 2)
    assert a["monetary"] == pytest.approx(45.0)  # 10 + 20 + 30 - 15
    assert a["avg_order_value"] == pytest.approx(22.5)
    assert a["categories"] == 2
    assert a["return_share"] == pytest.approx(0.25)  # 15 returned of 60 gross
    assert (b["recency_days"], b["tenure_days"], b["frequency"], b["categories"]) == (0, 0, 1, 1)
    assert (b["monetary"], b["avg_order_value"], b["return_share"]) == (100.0, 100.0, 0.0)
    assert a["platform_web"] == pytest.approx(2 / 3)
    assert a["platform_ios"] == pytest.approx(1 / 3)
    assert a["review_score"] == pytest.approx(4.5)
    # b has no events and no review: the mean of the customers who have them
    assert b["platform_web"] == pytest.approx(2 / 3)
    assert b["review_score"] == pytest.approx(4.5)
    assert dict(built.imputed) == {"platform mix": 1, "average review": 1}
    assert built.lines_without_customer == 1
    assert built.revenue_without_customer == 7.0
    assert built.returns_only_customers == 1
    assert built.missing == ()
    assert built.available[:5] == cl.DEFAULT_FEATURES + ("tenure_days",)


def test_features_the_data_lacks_are_named_with_what_would_enable_them():
    lines = tiny_lines().drop("category", "is_return")
    built = cl.customer_features(lines)
    assert [what for what, _ in built.missing] == [
        "distinct categories",
        "share of returns",
        "platform mix",
        "average review",
    ]
    assert "olist_order_reviews_dataset.csv" in dict(built.missing)["average review"]
    assert "categories" not in built.table.columns
    assert "return_share" not in built.available


def test_scaling_logs_only_non_negative_skewed_features_then_standardises():
    table = pl.DataFrame(
        {
            "skewed": [1.0, 1.0, 1.0, 1.0, 100.0],
            "negative": [-5.0, 1.0, 1.0, 1.0, 100.0],
            "even": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    scaled = cl.scaled_features(table, ["skewed", "negative", "even"])
    assert scaled.logged == ("skewed",)
    np.testing.assert_allclose(scaled.matrix.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(scaled.matrix.std(axis=0), 1.0)
    # log1p: 1 -> 0.693, 100 -> 4.615; standardised, the four equal values sit at -0.5
    np.testing.assert_allclose(scaled.matrix[:, 0], [-0.5, -0.5, -0.5, -0.5, 2.0])
    np.testing.assert_allclose(scaled.matrix[:, 2], np.array([-2, -1, 0, 1, 2]) / np.sqrt(2))
    assert cl.scaled_features(table, ["skewed"], log=False).logged == ()


def blobs() -> tuple[np.ndarray, np.ndarray]:
    """Four tight, far-apart groups of 80, 60, 40 and 20 points."""
    rng = np.random.default_rng(7)
    centres = np.array([[0, 0], [20, 0], [0, 20], [20, 20]], float)
    sizes = [80, 60, 40, 20]
    truth = np.repeat(np.arange(4), sizes)
    return centres[truth] + rng.normal(scale=0.5, size=(truth.size, 2)), truth


def test_k_means_on_separated_blobs_recovers_the_groups_largest_first():
    points, truth = blobs()
    fit = cl.fit_clusters(points, 4)
    # renumbered largest first, so the labels equal the truth exactly
    np.testing.assert_array_equal(fit.labels, truth)


def test_diagnostics_on_separated_blobs_suggest_four_clusters():
    points, _ = blobs()
    diag = cl.cluster_diagnostics(points)
    assert diag.table["k"].to_list() == list(range(2, 11))
    assert diag.suggested_k == 4
    assert diag.elbow_k == 4
    best = diag.table.sort("silhouette", descending=True).row(0, named=True)
    assert best["k"] == 4 and best["silhouette"] > 0.9
    assert diag.table.sort("davies_bouldin")["k"][0] == 4
    assert diag.reason.startswith("k = 4 has the best silhouette")
    assert diag.silhouette_sample == points.shape[0]


def test_diagnostics_sample_the_silhouette_when_customers_are_many():
    points, _ = blobs()
    diag = cl.cluster_diagnostics(points, ks=(2, 3, 4), sample=100)
    assert diag.silhouette_sample == 100
    assert "sample of 100 customers" in diag.method


def test_silhouette_scores_match_a_hand_computed_example():
    points = np.array([[0.0], [1.0], [10.0], [11.0]])
    two_pairs = np.array([0, 0, 1, 1])
    singleton = np.array([0, 0, 0, 1])
    got = cl.silhouette_scores(points, [two_pairs, singleton], chunk=3)
    # pairs: (10.5 - 1) / 10.5 and (9.5 - 1) / 9.5, twice each
    assert got[0] == pytest.approx((9.5 / 10.5 + 8.5 / 9.5) / 2, rel=1e-6)
    # {0, 1, 10} and {11}: 0.5, 0.5, (1 - 9.5) / 9.5, and 0 for the singleton
    assert got[1] == pytest.approx((0.5 + 0.5 - 8.5 / 9.5 + 0.0) / 4, rel=1e-6)


def diagnostics_table(silhouettes: list[float]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "k": list(range(2, 8)),
            "inertia": [100.0, 30.0, 25.0, 22.0, 20.0, 18.0],
            "silhouette": silhouettes,
            "davies_bouldin": [1.0, 0.9, 0.8, 0.85, 0.9, 1.0],
        }
    )


def test_the_elbow_is_where_inertia_falls_farthest_below_the_straight_line():
    # scaled to 0..1, the distances below the line are 0, .654, .515, .351, .176, 0
    assert cl.elbow_k(diagnostics_table([0.5] * 6)) == 3


def test_a_silhouette_tie_goes_to_the_k_nearest_the_elbow():
    k, elbow, why = cl.suggest_k(diagnostics_table([0.40, 0.49, 0.50, 0.30, 0.30, 0.30]))
    assert (k, elbow) == (3, 3)
    assert why.startswith("k = 3 has a silhouette of 0.49, within 0.02 of the best (k = 4: 0.50)")


def test_a_clear_best_silhouette_wins_over_the_elbow():
    k, elbow, why = cl.suggest_k(diagnostics_table([0.40, 0.30, 0.60, 0.30, 0.30, 0.30]))
    assert (k, elbow) == (4, 3)
    assert why == (
        "k = 4 has the best silhouette (0.60); the inertia curve bends at k = 3; "
        "its Davies-Bouldin index (0.80) is the lowest."
    )


FEATURES = {f: cl.BASE_FEATURES[f] for f in ("frequency", "monetary", "recency_days")}


def test_drivers_have_the_sign_and_rank_of_each_cluster_mean():
    matrix = np.array([[1.0, 0.2], [1.0, 0.4], [-1.0, -0.3], [-1.0, -0.3]])
    scaled = cl.Scaled(matrix, ("frequency", "monetary"), ())
    drivers = cl.cluster_drivers(scaled, np.array([0, 0, 1, 1]), FEATURES)
    assert drivers.select("cluster", "feature", "direction", "rank").rows() == [
        (1, "frequency", "higher", 1),
        (1, "monetary", "higher", 2),
        (2, "frequency", "lower", 1),
        (2, "monetary", "lower", 2),
    ]
    assert drivers["z"].to_list() == pytest.approx([1.0, 0.3, -1.0, -0.3])
    assert drivers["label"].to_list() == ["Orders", "Net revenue"] * 2
    names = cl.cluster_names(drivers, FEATURES)
    assert names == {1: "high-spending regulars", 2: "low-spending one-timers"}


def test_cluster_names_stay_unique_and_weak_drivers_read_as_typical():
    drivers = pl.DataFrame(
        {
            "cluster": [1, 1, 2, 2, 3, 3, 4, 4],
            "feature": ["frequency", "monetary"] * 4,
            "z": [1.0, 0.5, 1.0, 0.5, 0.1, 0.05, 0.1, -0.05],
            "rank": [1, 2] * 4,
        }
    )
    names = cl.cluster_names(drivers, FEATURES)
    assert names == {
        1: "high-spending regulars",
        2: "frequent high spenders",
        3: "typical customers",
        4: "typical customers (4)",
    }


def test_profiles_count_customers_revenue_and_feature_statistics():
    table = pl.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            "frequency": [1, 1, 4, 2, 3],
            "monetary": [10.0, 30.0, 100.0, 40.0, 20.0],
        }
    )
    labels = np.array([0, 0, 1, 1, 0])
    features = {f: cl.BASE_FEATURES[f] for f in ("frequency", "monetary")}
    profiles = cl.cluster_profiles(table, labels, features, {1: "one", 2: "two"})
    one, two = profiles.to_dicts()
    assert (one["cluster"], one["name"], one["customers"]) == (1, "one", 3)
    assert one["customer_share"] == pytest.approx(0.6)
    assert one["revenue"] == 60.0 and two["revenue"] == 140.0
    assert one["revenue_share"] == pytest.approx(0.3)
    assert one["revenue_per_customer"] == pytest.approx(20.0)
    assert two["revenue_per_customer"] == pytest.approx(70.0)
    assert one["mean_frequency"] == pytest.approx(5 / 3)
    assert one["median_frequency"] == 1.0
    assert two["median_monetary"] == 70.0
    assignments = cl.cluster_assignments(table, labels, {1: "one", 2: "two"})
    assert assignments.rows() == [
        ("a", 1, "one"),
        ("b", 1, "one"),
        ("c", 2, "two"),
        ("d", 2, "two"),
        ("e", 1, "one"),
    ]


def roi_profiles() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "cluster": [1, 2, 3],
            "name": ["small", "rich", "poor"],
            "customers": [20, 10, 5],
            "revenue_per_customer": [50.0, 100.0, 20.0],
        }
    )


def test_roi_is_margin_profit_over_cost_best_first():
    roi = cl.cluster_roi(roi_profiles(), margin=30.0, cost=10.0)
    assert roi["cluster"].to_list() == [2, 1, 3]
    assert roi["rank"].to_list() == [1, 2, 3]
    # 100 x 30% = 30, less 10 = 20 per customer, 200% of the cost; 50 -> 5, 50%; 20 -> -4, -40%
    assert roi["gross_profit_per_customer"].to_list() == pytest.approx([30.0, 15.0, 6.0])
    assert roi["profit_per_customer"].to_list() == pytest.approx([20.0, 5.0, -4.0])
    assert roi["roi"].to_list() == pytest.approx([2.0, 0.5, -0.4])
    assert roi["total_profit"].to_list() == pytest.approx([200.0, 100.0, -20.0])
    assert "lose money" in cl.roi_reading(roi, "GBP", 10.0)


def test_without_a_cost_roi_is_blank_and_profit_ranks():
    roi = cl.cluster_roi(roi_profiles(), margin=50.0, cost=0.0)
    assert roi["cluster"].to_list() == [2, 1, 3]
    assert roi["profit_per_customer"].to_list() == pytest.approx([50.0, 25.0, 10.0])
    assert roi["roi"].null_count() == 3


def test_crosstab_counts_cluster_customers_per_rfm_segment():
    assignments = pl.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            "cluster": [1, 1, 1, 2, 2],
            "name": ["x", "x", "x", "y", "y"],
        }
    )
    segments = pl.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "z"],
            "segment": ["Champions", "Champions", "Lost", "Lost", "Lost"],
        }
    )
    cross = cl.segment_crosstab(assignments, segments)
    assert cross.select("cluster", "segment", "customers").rows() == [
        (1, "Champions", 2),
        (1, "Lost", 1),
        (2, "Lost", 1),
    ]
    assert cross["share"].to_list() == pytest.approx([2 / 3, 1 / 3, 1.0])
    assert cl.crosstab_reading(cross).startswith("100% of “y” (cluster 2) are RFM “Lost”")


def retail() -> formats.Dataset:
    files = demo.demo("retail").files
    return formats.assemble([io.RawTable(n, n, f) for n, f in files.items()]).dataset


def test_headless_clusters_every_retail_customer_with_a_purchase():
    ds = retail()
    out = cl.headless(ds, k=3, margin=40.0, cost=5.0)
    lines = ds.tables["lines"]
    buyers = lines.filter(pl.col("customer_id").is_not_null() & ~pl.col("is_return"))
    assert out["assignments"].height == buyers["customer_id"].n_unique()
    profiles = out["profiles"]
    assert profiles["cluster"].to_list() == [1, 2, 3]
    assert profiles["customers"].sum() == buyers["customer_id"].n_unique()
    with_customer = lines.filter(
        pl.col("customer_id").is_in(out["assignments"]["customer_id"].implode())
    )
    assert profiles["revenue"].sum() == pytest.approx(with_customer["revenue"].sum())
    assert profiles["profit_per_customer"].to_list() == pytest.approx(
        (profiles["revenue_per_customer"] * 0.4 - 5.0).to_list()
    )
    assert out["diagnostics"]["suggested"].sum() == 1
    assert profiles["name"].n_unique() == 3


def test_headless_rejects_a_feature_the_data_lacks():
    with pytest.raises(ValueError, match="review_score"):
        cl.headless(retail(), features="recency_days,review_score")
