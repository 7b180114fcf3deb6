"""Customer clusters on tiny hand-made frames, separated blobs and the demos."""

from datetime import datetime

import numpy as np
import polars as pl
import pytest
from scipy.stats import ttest_ind_from_stats
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score

from lib import demo, formats, io
from lib.analyses import clusters as cl
from lib.analyses import rfm
from lib.charts import clusters as charts
from tests.conftest import shared_file


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
    # the data ends on 21 Jan: recency counts to 22 Jan, as RFM's does (a last bought on 11 Jan,
    # first on 1 Jan)
    assert (a["recency_days"], a["tenure_days"], a["frequency"]) == (11, 10, 2)
    assert a["monetary"] == pytest.approx(45.0)  # 10 + 20 + 30 - 15
    assert a["avg_order_value"] == pytest.approx(22.5)
    assert a["categories"] == 2
    assert a["return_share"] == pytest.approx(0.25)  # 15 returned of 60 gross
    assert (b["recency_days"], b["tenure_days"], b["frequency"], b["categories"]) == (1, 0, 1, 1)
    assert (b["monetary"], b["avg_order_value"], b["return_share"]) == (100.0, 100.0, 0.0)
    assert a["platform_web"] == pytest.approx(2 / 3)
    assert a["platform_ios"] == pytest.approx(1 / 3)
    assert a["review_score"] == pytest.approx(4.5)
    # b has no events and no review: the mean of the customers who have them
    assert b["platform_web"] == pytest.approx(2 / 3)
    assert b["review_score"] == pytest.approx(4.5)
    assert {what: n for what, n, _ in built.imputed} == {"platform mix": 1, "average review": 1}
    assert built.lines_without_customer == 1
    assert built.revenue_without_customer == 7.0
    assert built.customers_without_purchase == 1
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
    # In general words: Olist's reviews file is named by dataset_features, to Olist users only.
    assert dict(built.missing)["average review"] == "needs a review score per order"
    assert "categories" not in built.table.columns
    assert "return_share" not in built.available


def standardised(values) -> np.ndarray:
    values = np.asarray(values, float)
    return (values - values.mean()) / values.std()


def test_scaling_logs_the_skewed_features_keeping_signs_then_standardises():
    table = pl.DataFrame(
        {
            "skewed": [1.0, 1.0, 1.0, 1.0, 100.0],
            "negative": [-5.0, 1.0, 1.0, 1.0, 100.0],
            "even": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    scaled = cl.scaled_features(table, ["skewed", "negative", "even"])
    # one value apart from four equal ones has a skewness of (5 - 2) / sqrt(4) = 1.5 > 1;
    # 1..5 is symmetric (0): left alone
    assert scaled.logged == ("skewed", "negative")
    assert scaled.skews[0] == pytest.approx(1.5) and scaled.skews[2] == pytest.approx(0.0)
    np.testing.assert_allclose(scaled.matrix.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(scaled.matrix.std(axis=0), 1.0)
    # log1p: 1 -> 0.693, 100 -> 4.615; standardised, the four equal values sit at -0.5
    np.testing.assert_allclose(scaled.matrix[:, 0], [-0.5, -0.5, -0.5, -0.5, 2.0])
    # -5 keeps its sign: -log(1 + 5)
    logged = [-np.log(6), np.log(2), np.log(2), np.log(2), np.log(101)]
    np.testing.assert_allclose(scaled.matrix[:, 1], standardised(logged))
    np.testing.assert_allclose(scaled.matrix[:, 2], np.array([-2, -1, 0, 1, 2]) / np.sqrt(2))
    assert cl.scaled_features(table, ["skewed"], log=False).logged == ()
    # five customers are too few for 1% of them to be capped
    assert scaled.per_end == 0 and scaled.capped_customers == 0


def test_model_features_say_which_features_were_logged_and_capped():
    table = pl.DataFrame(
        {"frequency": [1, 1, 1, 1, 1, 1, 1, 1, 1, 50], "monetary": [float(v) for v in range(1, 11)]}
    )
    scaled = cl.scaled_features(table, ["frequency", "monetary"], cap=0.1)
    model = cl.model_features(scaled, FEATURES)
    # capped at the second value from each end: frequency 50 -> 1 (now constant: no skewness),
    # monetary 1 -> 2 and 10 -> 9
    assert model.rows() == [
        ("frequency", "Orders", None, False, 1.0, 1.0, 1),
        ("monetary", "Net revenue", 0.0, False, 2.0, 9.0, 2),
    ]
    # the last customer is capped on both features, the first on monetary: two customers
    assert scaled.capped_customers == 2
    np.testing.assert_allclose(scaled.matrix[:, 0], 0.0)
    np.testing.assert_allclose(scaled.matrix[:, 1], standardised([2, 2, 3, 4, 5, 6, 7, 8, 9, 9]))


def test_the_notes_name_the_logged_features_and_a_feature_capping_flattened():
    table = pl.DataFrame(
        {
            "frequency": [1, 1, 1, 1, 1, 1, 1, 1, 1, 50],
            "monetary": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 400.0],
            "recency_days": [float(v) for v in range(10)],
        }
    )
    scaled = cl.scaled_features(table, ["frequency", "monetary", "recency_days"], cap=0.1)
    model = cl.model_features(scaled, FEATURES)
    # monetary capped to 1 ... 2: seven 1s and three 2s, skewness (1 - 2 * 0.3) /
    # sqrt(0.3 * 0.7) = 0.87, not logged; recency 0..9 capped to 1..8, symmetric
    assert model["skewness"][1] == pytest.approx(0.4 / np.sqrt(0.21))
    assert (
        cl.transform_note(model, True).count("No feature is log-transformed (none is skewed") == 1
    )
    note = cl.capping_note(model, 0.1, scaled.per_end, 10, scaled.capped_customers)
    # the last customer is capped on all three, the first on recency: two customers
    assert "end (1 of 10) take the value of the next one" in note
    assert "2 customers have at least one capped value" in note
    assert "Once capped, orders is the same for every customer (fewer than 10% differ)" in note
    assert "leave it out" not in note  # no feature was the same for all before capping
    # uncapped, one value far above nine others: skewness (10 - 2) / sqrt(9) = 2.7 (monetary's
    # two 2s move it only in the third decimal)
    logged = cl.scaled_features(table, ["frequency", "monetary"], cap=0.0)
    text = cl.transform_note(cl.model_features(logged, FEATURES), True)
    assert "Log-transformed here: orders (skewness 2.7), net revenue (skewness 2.7). " in text
    assert "Left as they are" not in text


def test_capping_takes_one_percent_of_customers_at_each_end_rounded_down():
    assert [cl.capped_per_end(n) for n in (5, 99, 100, 250, 4_339)] == [0, 0, 1, 2, 43]
    column = np.array([[5.0], [1.0], [2.0], [3.0], [4.0], [100.0], [6.0], [7.0], [8.0], [9.0]])
    capped, low, high, changed = cl.capped_columns(column, cap=0.1)
    assert (low[0], high[0]) == (2.0, 9.0)
    assert capped[:, 0].tolist() == [5.0, 2.0, 2.0, 3.0, 4.0, 9.0, 6.0, 7.0, 8.0, 9.0]
    assert changed[:, 0].tolist() == [False, True] + [False] * 3 + [True] + [False] * 4


def extreme_customers() -> pl.DataFrame:
    # a..e buy once or twice for 20-40; f..i three or four times for 60-80; j, a wholesaler,
    # 300 orders for a million
    return pl.DataFrame(
        {
            "customer_id": list("abcdefghij"),
            "frequency": [1, 1, 2, 1, 2, 3, 4, 3, 4, 300],
            "monetary": [20.0, 30.0, 40.0, 20.0, 40.0, 60.0, 80.0, 60.0, 80.0, 1_000_000.0],
        }
    )


def groups(table: pl.DataFrame, labels: np.ndarray) -> set[frozenset[str]]:
    ids = table["customer_id"].to_list()
    return {
        frozenset(i for i, label in zip(ids, labels, strict=True) if label == c)
        for c in set(labels)
    }


def test_an_extreme_customer_is_capped_into_a_cluster_instead_of_forming_one():
    table = extreme_customers()
    uncapped = cl.scaled_features(table, ["frequency", "monetary"], cap=0.0)
    # even logged, the wholesaler sits so far out that k = 2 spends a cluster on it alone
    assert uncapped.logged == ("frequency", "monetary")
    assert groups(table, cl.fit_clusters(uncapped.matrix, 2).labels) == {
        frozenset("abcdefghi"),
        frozenset("j"),
    }
    capped = cl.scaled_features(table, ["frequency", "monetary"], cap=0.1)
    # with one customer capped at each end, j takes the next-highest values: 4 orders, 80
    assert {f: (lo, hi) for f, lo, hi in capped.bounds} == {
        "frequency": (1.0, 4.0),
        "monetary": (20.0, 80.0),
    }
    assert dict(capped.capped) == {"frequency": 1, "monetary": 1}
    assert groups(table, cl.fit_clusters(capped.matrix, 2).labels) == {
        frozenset("abcde"),
        frozenset("fghij"),
    }


def blobs() -> tuple[np.ndarray, np.ndarray]:
    """Four tight, far-apart groups of 120, 90, 60 and 30 points (none too small to suggest)."""
    rng = np.random.default_rng(7)
    centres = np.array([[0, 0], [20, 0], [0, 20], [20, 20]], float)
    sizes = [120, 90, 60, 30]
    truth = np.repeat(np.arange(4), sizes)
    return centres[truth] + rng.normal(scale=0.5, size=(truth.size, 2)), truth


def test_k_means_on_separated_blobs_recovers_the_groups_largest_first():
    points, truth = blobs()
    fit = cl.fit_clusters(points, 4)
    # renumbered largest first, so the labels equal the truth exactly
    np.testing.assert_array_equal(fit.labels, truth)


def test_diagnostics_compare_the_fits_the_page_shows(monkeypatch):
    points, truth = blobs()
    diag = cl.cluster_diagnostics(points, ks=(3, 4, 5))
    assert sorted(diag.fits) == [3, 4, 5]
    np.testing.assert_array_equal(diag.fits[4].labels, truth)
    inertia = dict(diag.table.select("k", "inertia").iter_rows())
    for k in (3, 5):
        shown = cl.fit_clusters(points, k)
        np.testing.assert_array_equal(diag.fits[k].labels, shown.labels)
        assert inertia[k] == shown.inertia
    assert "4 k-means++ starts per k (seed 0; the fits the page shows)" in diag.method
    assert diag.fit_at(points, 4) is diag.fits[4]
    # Above the limit: one start per k (sklearn's own), kept and shown as well.
    monkeypatch.setattr(cl, "MANY_STARTS_CUSTOMERS", points.shape[0] - 1)
    diag = cl.cluster_diagnostics(points, ks=(3, 4, 5))
    assert sorted(diag.fits) == [3, 4, 5] and diag.starts == 1
    assert diag.fit_at(points, 4) is diag.fits[4]
    np.testing.assert_array_equal(diag.fits[4].labels, truth)
    assert "1 k-means++ start per k (seed 0; the fits the page shows; 4 starts up to" in diag.method
    one = KMeans(n_clusters=5, random_state=0, n_init=1).fit(points)
    assert diag.table.filter(pl.col("k") == 5)["inertia"][0] == pytest.approx(one.inertia_)
    # Renumbered largest first, the same partition as sklearn's.
    sizes = np.bincount(diag.fits[5].labels)
    assert (np.diff(sizes) <= 0).all()
    assert adjusted_rand_score(diag.fits[5].labels, one.labels_) == 1.0
    # A k outside the comparison is fitted with the same number of starts.
    assert diag.fit_at(points, 6).inertia == pytest.approx(
        KMeans(n_clusters=6, random_state=0, n_init=1).fit(points).inertia_
    )


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


def diagnostics_table(silhouettes: list[float], small: list[int] | None = None) -> pl.DataFrame:
    small = small or [0] * len(silhouettes)
    return pl.DataFrame(
        {
            "k": list(range(2, 8)),
            "inertia": [100.0, 30.0, 25.0, 22.0, 20.0, 18.0],
            "silhouette": silhouettes,
            "davies_bouldin": [1.0, 0.9, 0.8, 0.85, 0.9, 1.0],
            "small_clusters": small,
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


@pytest.mark.parametrize(
    ("silhouettes", "said"),
    [
        # Kaufman and Rousseeuw: above 0.5 reasonable structure, one clear best: nothing to add.
        ([0.40, 0.30, 0.60, 0.30, 0.30, 0.30], ""),
        # 0.65 and 0.64 within 0.02 of the best, 0.66 (it counted the best itself among them).
        (
            [0.66, 0.65, 0.64, 0.30, 0.30, 0.30],
            " The choice of k is loose: 2 other values of k of the 6 tried come within 0.02 of "
            "the best silhouette.",
        ),
        (
            [0.33, 0.32, 0.31, 0.30, 0.20, 0.20],
            " The structure is weak (a best silhouette of 0.33; 0.5 or less is weak); 2 other "
            "values of k of the 6 tried come within 0.02 of it: read the clusters as a useful "
            "split of the customers, not as natural groups.",
        ),
        (
            [0.21, 0.18, 0.17, 0.16, 0.15, 0.15],
            " No k finds substantial structure (a best silhouette of 0.21; 0.25 or less is none): "
            "the clusters split the customers, they are not groups the data holds.",
        ),
    ],
)
def test_the_reason_says_how_strong_the_structure_is_and_how_loose_the_choice(silhouettes, said):
    _, _, why = cl.suggest_k(diagnostics_table(silhouettes))
    if said:
        assert why.endswith("." + said)
    else:
        assert "structure" not in why and "loose" not in why


FEATURES = {f: cl.BASE_FEATURES[f] for f in ("frequency", "monetary", "recency_days")}


def test_drivers_colour_fewer_days_since_the_last_order_as_better():
    """Audit: the heatmap drew recent buyers (-0.8 days since last order) in red and lapsed ones
    in blue. Cluster 1: 1 std. dev. more orders and 1 fewer days since the last order than
    average, better on both; cluster 2 worse on both. The cell writes z, the colour `better`."""
    matrix = np.array([[1.0, -1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, 1.0]])
    scaled = cl.Scaled(matrix, ("frequency", "recency_days"), ())
    table = pl.DataFrame({"frequency": [3, 3, 1, 1], "recency_days": [5, 5, 90, 90]})
    drivers = cl.cluster_drivers(table, scaled, np.array([0, 0, 1, 1]), FEATURES)
    got = drivers.sort("cluster", "feature").select("cluster", "feature", "z", "better").rows()
    assert got == [
        (1, "frequency", 1.0, 1.0),
        (1, "recency_days", -1.0, 1.0),
        (2, "frequency", -1.0, -1.0),
        (2, "recency_days", 1.0, -1.0),
    ]
    spec = charts.drivers_chart(drivers, {1: "a", 2: "b"}).to_dict()
    coloured = [layer["encoding"]["color"] for layer in spec["layer"][:2]]
    assert [c["field"] for c in coloured] == ["better", "better"]
    texts = spec["layer"][2]["encoding"]["text"]["field"]
    assert texts == "z_text"


def test_a_platform_share_is_neither_better_nor_worse_for_the_shop():
    """Audit: a cluster of mobile-web users (+1.6 std. dev.) was drawn blue, 'better for the
    shop', though Mobile web converted worst on the web shop (20.3% against iPhone's 49.4%).
    A platform's share has no better side: its cells take no colour (better 0)."""
    column, platform = cl.platform_feature("mobile_web")
    features = {**FEATURES, column: platform}
    matrix = np.array([[1.0, 1.0], [1.0, 1.0], [-1.0, -1.0], [-1.0, -1.0]])
    scaled = cl.Scaled(matrix, ("frequency", column), ())
    table = pl.DataFrame({"frequency": [3, 3, 1, 1], column: [0.9, 0.9, 0.1, 0.1]})
    drivers = cl.cluster_drivers(table, scaled, np.array([0, 0, 1, 1]), features)
    got = drivers.sort("cluster", "feature").select("cluster", "feature", "z", "better").rows()
    assert got == [
        (1, "frequency", 1.0, 1.0),
        (1, column, 1.0, 0.0),
        (2, "frequency", -1.0, -1.0),
        (2, column, -1.0, 0.0),
    ]


def test_drivers_have_the_sign_and_rank_of_each_cluster_mean():
    matrix = np.array([[1.0, 0.2], [1.0, 0.4], [-1.0, -0.3], [-1.0, -0.3]])
    scaled = cl.Scaled(matrix, ("frequency", "monetary"), ())
    table = pl.DataFrame({"frequency": [3, 3, 1, 1], "monetary": [50.0, 70.0, 10.0, 10.0]})
    drivers = cl.cluster_drivers(table, scaled, np.array([0, 0, 1, 1]), FEATURES)
    assert drivers.select("cluster", "feature", "direction", "rank", "side").rows() == [
        (1, "frequency", "higher", 1, 1),
        (1, "monetary", "higher", 2, 1),
        (2, "frequency", "lower", 1, -1),
        (2, "monetary", "lower", 2, -1),
    ]
    assert drivers["z"].to_list() == pytest.approx([1.0, 0.3, -1.0, -0.3])
    assert drivers["label"].to_list() == ["Orders", "Net revenue"] * 2
    names = cl.cluster_names(drivers, FEATURES)
    assert names == {1: "high-spending regulars", 2: "low-spending occasional buyers"}


def drivers_of(
    z: dict[int, dict[str, float]], side: dict[int, dict[str, int]] | None = None
) -> pl.DataFrame:
    """A drivers table from each cluster's z per feature, ranked by |z| as cluster_drivers does;
    each real mean on the side of the average its z says unless `side` tells otherwise."""
    side = side or {}
    return pl.DataFrame(
        [
            {
                "cluster": c,
                "feature": f,
                "z": v,
                "rank": rank,
                "side": side.get(c, {}).get(f, 1 if v > 0 else -1),
            }
            for c, values in z.items()
            for rank, (f, v) in enumerate(
                sorted(values.items(), key=lambda item: -abs(item[1])), start=1
            )
        ]
    )


NAMING = {f: cl.BASE_FEATURES[f] for f in ("frequency", "monetary", "avg_order_value")}


def test_two_clusters_high_on_the_same_two_features_get_names_that_differ_in_substance():
    # the issue's case: both spend a lot in big baskets; the old names were "big-basket high
    # spenders" and "high-spending big-basket buyers"
    drivers = drivers_of(
        {
            1: {"monetary": 2.0, "avg_order_value": 1.5, "frequency": 1.2},
            2: {"avg_order_value": 3.0, "monetary": 2.5, "frequency": -0.6},
        }
    )
    names = cl.cluster_names(drivers, NAMING)
    # 2, furthest out (basket +3.0), is named first: noun of its top driver (basket), adjective
    # of the next (spend: it spends more than 1, too). 1: noun of its top driver (spend); the
    # next, basket, would repeat 2's pair of features, so its third: orders
    assert names == {1: "frequent high spenders", 2: "high-spending big-basket buyers"}


def test_clusters_sharing_a_top_driver_are_named_by_what_separates_them():
    drivers = drivers_of(
        {
            1: {"monetary": 2.0, "avg_order_value": 0.5, "frequency": 1.0},
            2: {"monetary": 1.8, "avg_order_value": 1.5, "frequency": -0.8},
            3: {"monetary": -1.0, "avg_order_value": -0.1, "frequency": -0.2},
        }
    )
    names = cl.cluster_names(drivers, NAMING)
    # 1 and 2 both spend most. 1 out-orders 2 by 1.8 sd and is above average on orders: "frequent";
    # its basket (0.5) is smaller than 2's, so "big-basket" would not tell them apart.
    # 2 orders less than 1 by 1.8 and its basket is larger by 1.0: orders, the wider gap, name it.
    assert names == {
        1: "frequent high spenders",
        2: "occasional high spenders",
        3: "low spenders",
    }


def test_weak_clusters_read_as_typical_and_identical_ones_still_get_unique_names():
    drivers = pl.DataFrame(
        {
            "cluster": [1, 1, 2, 2, 3, 3, 4, 4],
            "feature": ["frequency", "monetary"] * 4,
            "z": [1.0, 0.5, 1.0, 0.5, 0.1, 0.05, 0.1, -0.05],
            "rank": [1, 2] * 4,
            "side": [1, 1, 1, 1, 1, 1, 1, -1],
        }
    )
    names = cl.cluster_names(drivers, FEATURES)
    # 2 is 1's twin: nothing tells them apart, so it keeps the plain noun of its top driver;
    # 3 and 4 are within 0.3 sd of average on everything
    assert names == {
        1: "high-spending regulars",
        2: "regulars",
        3: "typical customers",
        4: "near-average regulars",
    }


def test_when_every_name_is_taken_the_cluster_number_keeps_names_unique():
    drivers = drivers_of({c: {"frequency": 1.0, "monetary": 0.5} for c in (1, 2, 3)})
    names = cl.cluster_names(drivers, FEATURES)
    assert names == {1: "high-spending regulars", 2: "regulars", 3: "high-spending regulars (3)"}


def skewed_clusters(spend: list[float], recency: list[int]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A customer table of 4 customers (cluster 1) then 8 (cluster 2), and its drivers, with net
    revenue logged and recency as it is."""
    table = pl.DataFrame(
        {"customer_id": [f"c{i:02}" for i in range(12)], "monetary": spend, "recency_days": recency}
    )
    scaled = cl.scaled_features(table, ["monetary", "recency_days"])
    assert scaled.logged == ("monetary",)
    labels = np.array([0] * 4 + [1] * 8)
    return table, cl.cluster_drivers(table, scaled, labels, FEATURES)


def test_a_cluster_above_average_only_on_the_log_scale_is_not_named_high_spending():
    # cluster 1: four mid spenders (100); cluster 2: one huge (100,000) and seven tiny (1).
    # Real means: 100 against (400 + 100,007) / 12 = 8,367, below average. Logged (ln(1 + x)):
    # 4.615 against (4 x 4.615 + 11.513 + 7 x 0.693) / 12 = 2.902, above: z = (4.615 - 2.902) /
    # 3.163 (the logs' standard deviation) = +0.54; cluster 2: -0.54 x 4 / 8 = -0.27, its real mean
    # 12,500.9 above. Recency: 20 days against 23.3 (sd 7.45): z = -0.45, and cluster 2 +0.22.
    spend = [100.0] * 4 + [100_000.0] + [1.0] * 7
    table, drivers = skewed_clusters(spend, [20] * 4 + [30] * 6 + [10] * 2)
    assert drivers.select("cluster", "feature", "rank", "side").rows() == [
        (1, "monetary", 1, -1),
        (1, "recency_days", 2, -1),
        (2, "monetary", 1, 1),
        (2, "recency_days", 2, 1),
    ]
    assert drivers["z"].to_list() == pytest.approx([0.5416, -0.4472, -0.2708, 0.2236], abs=1e-4)
    # the old name of cluster 1: "recent high spenders"
    names = cl.cluster_names(drivers, FEATURES)
    assert names == {1: "recent buyers", 2: "typical customers"}
    labels = np.array([0] * 4 + [1] * 8)
    profiles = cl.cluster_profiles(
        table, labels, {f: FEATURES[f] for f in table.columns[1:]}, names
    )
    assert profiles["revenue_per_customer"].to_list() == pytest.approx([100.0, 12_500.875])
    # the reading quotes the strongest driver the real figures bear out: recency, not spend
    # (4 and 8 customers: both clusters are handfuls, and the reading says so; at k = 2 there
    # are no fewer clusters to try: it said to.)
    assert cl.drivers_reading(drivers, profiles, table, FEATURES, "BRL") == (
        "“Recent buyers” (cluster 1) stand out most on days since last order: 0.4 standard "
        "deviations below the average customer on the model's scale (20 days against 23 days for "
        "the average customer). Every cluster standing out is a handful of customers (fewer "
        "than 30, or under 2% of them): no segment to plan on; look at them one by one."
    )
    # A cluster of 500 beside the handful of 4: the handful is passed over; cluster 2's
    # strongest driver its real figures bear out is recency (30 days x 6 and 10 x 2: 25 days).
    big = profiles.with_columns(customers=pl.Series([4, 500]))
    assert cl.drivers_reading(drivers, big, table, FEATURES, "BRL") == (
        "“Typical customers” (cluster 2) stand out most on days since last order: 0.2 standard "
        "deviations above the average customer on the model's scale (25 days against 23 days "
        "for the average customer)."
    )


def test_a_cluster_above_average_on_both_scales_keeps_its_high_spending_name():
    # cluster 1: four at 100; cluster 2: one at 300 and seven at 1. Real means: 100 against
    # 707 / 12 = 58.9, above; logged: 4.615 against 2.418, above too. Cluster 2: 38.4, below.
    table, drivers = skewed_clusters([100.0] * 4 + [300.0] + [1.0] * 7, [10] * 4 + [40] * 8)
    assert drivers.select("cluster", "feature", "side").rows() == [
        (1, "recency_days", -1),
        (1, "monetary", 1),
        (2, "recency_days", 1),
        (2, "monetary", -1),
    ]
    names = cl.cluster_names(drivers, FEATURES)
    assert names == {1: "high-spending recent buyers", 2: "low-spending lapsed buyers"}


def test_names_pass_over_words_the_real_figures_contradict_down_to_typical():
    # 1 and 2 both spend most. 1 has no strong second driver, so the last resort names it by the
    # feature that differs most from 2: orders (-0.2 against -1.0) would say "frequent" of a
    # cluster below average on orders; the basket (0.1 against 0.0) is above on both.
    # 3: every driver's real mean sits on the other side of the average from its z.
    z = {
        1: {"monetary": 2.0, "frequency": -0.2, "avg_order_value": 0.1},
        2: {"monetary": 2.1, "frequency": -1.0, "avg_order_value": 0.0},
        3: {"monetary": -0.9, "frequency": 0.8, "avg_order_value": 0.5},
    }
    side = {2: {"avg_order_value": 1}, 3: {"monetary": 1, "frequency": -1, "avg_order_value": -1}}
    drivers = drivers_of(z, side)
    assert cl.cluster_names(drivers, NAMING) == {
        1: "big-basket high spenders",
        2: "occasional high spenders",
        3: "typical customers",
    }
    # and a reading with no driver the real figures bear out says so
    assert cl.drivers_reading(
        drivers.filter(pl.col("cluster") == 3), pl.DataFrame(), pl.DataFrame(), NAMING, ""
    ) == (
        "No cluster stands out: on every feature, each cluster's real mean sits at the average "
        "customer's or on the other side of it from where the model places it."
    )


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
            "customers": [2000, 1000, 500],  # each big enough to plan spending on
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
    assert roi["total_profit"].to_list() == pytest.approx([20_000.0, 10_000.0, -2_000.0])
    # One cluster (20 -> -4 per customer) loses money.
    assert cl.roi_reading(roi, "GBP", 10.0) == (
        "A what-if, not a measured return: if a campaign costing £10 per customer brought back the "
        "margin on as much revenue as each cluster spent in the data's period, “rich” would "
        "return most: £20 per customer after the cost, +200% on it; 1 cluster would lose money at "
        "this cost: “poor”, £4 per customer. With one cost for every cluster, this ranks the "
        "clusters by their past revenue per customer, nothing more."
    )


def test_roi_reading_advises_no_spending_that_loses_and_names_ties_together():
    """At a 0% margin or a cost above every cluster's gross profit it said "Spend first on
    “recent buyers”: -R$ 15 profit per customer, a return of -100%"; at 0% and no cost, that one
    cluster (of clusters all at 0) "earn the most gross profit per customer (R$ 0)"."""
    # Margin 0, cost 15: every cluster loses 15 per customer.
    roi = cl.cluster_roi(roi_profiles(), margin=0.0, cost=15.0)
    assert cl.roi_reading(roi, "GBP", 15.0).endswith(
        "spent in the data's period, no cluster would pay it back: each would lose £15 per "
        "customer."
    )
    # Margin 30, cost 40: gross 30, 15, 6 per customer; the best, "rich", loses 10 (-25%).
    roi = cl.cluster_roi(roi_profiles(), margin=30.0, cost=40.0)
    assert cl.roi_reading(roi, "GBP", 40.0).endswith(
        "no cluster would pay it back: even “rich” would lose £10 per customer (a return of "
        "-25%). With one cost for every cluster, this ranks the clusters by their past revenue "
        "per customer, nothing more."
    )
    assert cl.roi_reading(cl.cluster_roi(roi_profiles(), 0.0, 0.0), "GBP", 0.0) == (
        "No cluster earns a gross profit at this margin: set the gross margin, and a campaign's "
        "cost per customer, for a what-if return."
    )
    # Two clusters of the same revenue per customer tie for the best.
    even = roi_profiles().with_columns(pl.Series("revenue_per_customer", [100.0, 100.0, 20.0]))
    said = cl.roi_reading(cl.cluster_roi(even, 30.0, 10.0), "GBP", 10.0)
    assert "“small” and “rich” would return most, tied: £20 per customer after the cost" in said
    said = cl.roi_reading(cl.cluster_roi(even, 30.0, 0.0), "GBP", 0.0)
    assert said.startswith(
        "“Small” and “rich” tie for the most gross profit per customer in the data's period (£30"
    )


def test_the_roi_reading_names_together_the_clusters_within_chance_of_the_best():
    """The marketplace demo at k = 5 named "high-spending big-basket buyers" (R$ 321.34 a
    customer) the one that "would return most" against R$ 318.24 (Welch z = 0.38). Here, 1,000
    customers each: 'rich' spends 100 a customer (spread 50), 'near' 99 (spread 50) and
    'small' 50. Welch's t of 100 against 99: 1 / sqrt(2.5 + 2.5) = 0.45, within chance; 100
    against 50, far beyond."""
    n = 1000.0

    def squares(mean: float, sd: float) -> float:  # sum of x^2 from the mean and sample sd
        return (n - 1) * sd * sd + n * mean * mean

    profiles = pl.DataFrame(
        {
            "cluster": [1, 2, 3],
            "name": ["rich", "near", "small"],
            "customers": [1000, 1000, 1000],
            "revenue_per_customer": [100.0, 99.0, 50.0],
            "revenue_sq": [squares(100, 50), squares(99, 50), squares(50, 50)],
        }
    )
    welch = ttest_ind_from_stats(100, 50, 1000, 99, 50, 1000, equal_var=False)
    assert welch.statistic == pytest.approx(1 / 5**0.5) and welch.pvalue > 0.6
    said = cl.roi_reading(cl.cluster_roi(profiles, 30.0, 10.0), "GBP", 10.0)
    assert "“rich” and “near” would return most, alike within chance: £19.70–£20 per " in said
    assert "+197% to +200% on it" in said
    # Ends that print alike read once (Online Retail, log off, k = 10: '£1.7k–£1.7k').
    close = profiles.with_columns(
        pl.Series("revenue_per_customer", [10_000.0, 9_900.0, 50.0]),
        pl.Series("revenue_sq", [squares(10_000, 5000), squares(9_900, 5000), squares(50, 50)]),
    )
    said = cl.roi_reading(cl.cluster_roi(close, 30.0, 10.0), "GBP", 10.0)
    assert "alike within chance: £3.0k per customer after the cost" in said  # 2,990 and 2,960
    without_cost = cl.roi_reading(cl.cluster_roi(profiles, 30.0, 0.0), "GBP", 0.0)
    assert without_cost.startswith("“Rich” and “near”, alike within chance, brought the most")


def test_a_handful_of_customers_is_never_the_cluster_to_spend_on():
    """Online Retail at k = 9: "high spenders", 30 customers (0.7%), led the ROI ("Spend first
    on 'high spenders'"). Here "whales" (25 of 3,525 customers) earns most per customer: the
    reading spends on "rich" and says why not on "whales"; the profiles call them outliers."""
    whales = pl.DataFrame(
        {"cluster": [4], "name": ["whales"], "customers": [25], "revenue_per_customer": [900.0]}
    )
    profiles = pl.concat([roi_profiles(), whales])
    said = cl.roi_reading(cl.cluster_roi(profiles, 30.0, 10.0), "GBP", 10.0)
    assert "“rich” would return most: £20 per customer after the cost" in said
    assert said.endswith(
        "“whales” would return more per customer but holds too few customers to plan on "
        "(fewer than 30, or under 2% of them)."
    )
    shares = profiles.with_columns(
        (pl.col("customers") / 3525).alias("customer_share"),
        pl.lit(0.25).alias("revenue_share"),
    )
    assert cl.profile_reading(shares, "GBP").endswith(
        "“whales” (25 customers, 0.7%) is a handful of outliers rather than a segment: try fewer "
        "clusters."
    )
    alone = cl.cluster_roi(whales, 30.0, 10.0)
    assert cl.roi_reading(alone, "GBP", 10.0).startswith("Every cluster is a handful")
    # The ROI table marks the handful it ranks first (Online Retail, log off, k = 10: 29 and
    # 47 customers ranked 1 and 2, unmarked).
    roi = cl.cluster_roi(profiles, 30.0, 10.0)
    assert roi.select("name", "rank", "few").rows()[:2] == [("whales", 1, True), ("rich", 2, False)]
    # The profile reading opens on the largest share of revenue among clusters to plan on (it
    # opened on a 29-customer cluster's 20.1%): here the whales' 40% beside rich's 30%.
    led = shares.with_columns(pl.Series("revenue_share", [0.2, 0.3, 0.1, 0.4]))
    assert cl.profile_reading(led, "GBP").startswith("“Rich” (cluster 2) are 28.4% of customers")
    # A handful's share below 2% never reads 2.0% beside 'under 2%' (85 of 4,338: 1.96%).
    assert cl._below_small(85 / 4338) == "1.96%" and cl._below_small(0.007) == "0.7%"


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
    # Three customers and one: handfuls, no relation between clusters and segments to read.
    assert cl.crosstab_reading(cross).startswith("Every cluster is a handful of customers")
    # 500 spread over segments (40% at most) and 3 whales all champions: it read "100% of
    # “whales” are RFM “champions”: the cluster largely repeats that segment".
    spread = pl.DataFrame(
        {
            "cluster": [1, 1, 1, 2],
            "name": ["many", "many", "many", "whales"],
            "segment": ["Lost", "At risk", "Champions", "Champions"],
            "customers": [200, 150, 150, 3],
        }
    ).with_columns(share=pl.col("customers") / pl.col("customers").sum().over("cluster"))
    assert cl.crosstab_reading(spread).startswith("40% of “many” (cluster 1) are RFM “Lost”")
    # Segments resting on a score most customers share (the RFM page's warning): the overlap, no
    # verdict (it read "the cluster largely repeats that segment" on the web shop demo, audit).
    mostly = spread.with_columns(pl.Series("customers", [400, 50, 50, 3])).with_columns(
        share=pl.col("customers") / pl.col("customers").sum().over("cluster")
    )
    assert cl.crosstab_reading(mostly).endswith("the cluster largely repeats that segment.")
    assert cl.crosstab_reading(mostly, blind=True) == (
        "80% of “many” (cluster 1) are RFM “Lost”, but the segments rest on a score most "
        "customers share (the warning above), so how far clusters repeat them cannot be told."
    )


def crosstab(cells: dict[tuple[int, str], int]) -> pl.DataFrame:
    """segment_crosstab's table from {(cluster, segment): customers}."""
    return pl.DataFrame(
        {
            "cluster": [c for c, _ in cells],
            "name": [f"c{c}" for c, _ in cells],
            "segment": [s for _, s in cells],
            "customers": list(cells.values()),
        }
    ).with_columns(share=pl.col("customers") / pl.col("customers").sum().over("cluster"))


def test_the_crosstab_reading_says_whether_segments_tell_the_cluster():
    """Audit: Online Retail at k = 2 read "41% of ... are RFM 'hibernating': clusters cut across
    the RFM segments, adding what RFM alone misses" where each segment lay almost whole in one
    cluster. By hand: c1 holds Lost 50, At risk 40, Hibernating 10; c2 Champions 46, Loyal 48,
    Lost 6. Each segment's largest cluster holds 50 + 40 + 10 + 46 + 48 = 194 of 200 (97%);
    naming c1 for all gets 100 (50%) right; lambda = (0.97 - 0.5) / 0.5 = 0.94."""
    regrouped = crosstab(
        {
            (1, "Lost"): 50,
            (1, "At risk"): 40,
            (1, "Hibernating"): 10,
            (2, "Champions"): 46,
            (2, "Loyal"): 48,
            (2, "Lost"): 6,
        }
    )
    assert cl.segment_association(regrouped) == pytest.approx((0.97, 0.5, 0.94))
    assert cl.crosstab_reading(regrouped) == (
        "50% of “c1” (cluster 1) are RFM “Lost”, but a customer's RFM segment tells their "
        "cluster for 97% of customers, against 50% naming the largest cluster for all: the "
        "clusters largely regroup whole segments, adding little RFM does not say."
    )
    # Each segment split evenly over both clusters: told 50%, as naming one cluster: lambda 0.
    across = crosstab(
        {(c, s): 25 for c in (1, 2) for s in ("Lost", "At risk", "Champions", "Loyal")}
    )
    assert cl.segment_association(across) == pytest.approx((0.5, 0.5, 0.0))
    assert cl.crosstab_reading(across).endswith(
        "a customer's RFM segment tells their cluster for 50% of customers, little more than the "
        "50% naming the largest cluster for all: clusters cut across the RFM segments, adding "
        "what RFM alone misses."
    )
    # In between: c1 Lost 30, At risk 30, Loyal 40; c2 Lost 20, At risk 20, Loyal 30,
    # Champions 30, Hibernating 30. Told 30 + 30 + 40 + 30 + 30 = 160 of 230 (70%), naming
    # c2 (130) 57%: lambda = (160 - 130) / (230 - 130) = 0.3.
    partly = crosstab(
        {
            (1, "Lost"): 30,
            (1, "At risk"): 30,
            (1, "Loyal"): 40,
            (2, "Lost"): 20,
            (2, "At risk"): 20,
            (2, "Loyal"): 30,
            (2, "Champions"): 30,
            (2, "Hibernating"): 30,
        }
    )
    assert cl.segment_association(partly) == pytest.approx((160 / 230, 130 / 230, 0.3))
    assert "the clusters partly follow the segments" in cl.crosstab_reading(partly)


def retail() -> formats.Dataset:
    files = demo.demo("retail").files
    return formats.assemble([io.RawTable(n, n, f) for n, f in files.items()]).dataset


def test_headless_clusters_every_retail_customer_with_a_purchase():
    ds = retail()
    out = cl.headless(ds, k=3, margin=40.0, cost=5.0)
    lines = ds.tables["lines"]
    buyers = lines.filter(
        pl.col("customer_id").is_not_null()
        & ~pl.col("is_return")
        & (pl.col("quantity") > 0)
        & (pl.col("unit_price") > 0)
    )
    assert out["assignments"].height == buyers["customer_id"].n_unique()
    profiles = out["profiles"]
    assert profiles["cluster"].to_list() == [1, 2, 3]
    assert profiles["customers"].sum() == buyers["customer_id"].n_unique()
    # the same customers and the same net revenue as the RFM page
    assert profiles["revenue"].sum() == pytest.approx(
        rfm.headless(ds)["customers"]["monetary"].sum()
    )
    assert profiles["profit_per_customer"].to_list() == pytest.approx(
        (profiles["revenue_per_customer"] * 0.4 - 5.0).to_list()
    )
    assert out["diagnostics"]["suggested"].sum() == 1
    assert profiles["name"].n_unique() == 3
    # Each column once: the ROI join gave revenue_sq twice (revenue_sq_right).
    assert not [c for c in profiles.columns if c.endswith("_right")]


def test_default_cost_is_a_tenth_of_the_average_net_revenue_to_two_figures():
    def cost(*monetary: float) -> float:
        return cl.default_cost(pl.DataFrame({"monetary": list(monetary)}))

    assert cost(100.0, 200.0, 300.0, 1234.0) == 46.0  # mean 458.5 -> 45.85
    assert cost(1000.0, 3000.0) == 200.0
    assert cost(3.0, 4.0) == 0.35  # mean 3.5 -> 0.35
    assert cost(-10.0, 5.0) == 0.0  # no positive average revenue: no cost to suggest


def test_headless_opens_on_the_suggested_k_with_the_default_cost():
    ds = retail()
    out = cl.headless(ds)
    suggested = out["diagnostics"].filter("suggested")["k"].item()
    assert out["profiles"]["cluster"].to_list() == list(range(1, suggested + 1))
    lines = ds.tables["lines"].filter(pl.col("customer_id").is_not_null())
    buyers = lines.filter(~pl.col("is_return"))["customer_id"].unique()
    net = lines.filter(pl.col("customer_id").is_in(buyers.implode()))["revenue"].sum()
    tenth = 0.1 * net / buyers.len()
    expected = round(tenth, 1 - int(np.floor(np.log10(tenth))))
    assert out["profiles"]["cost_per_customer"].to_list() == [expected] * suggested
    assert out["profiles"]["roi"].null_count() == 0
    assert out["model"]["feature"].to_list() == list(cl.DEFAULT_FEATURES)


def test_headless_rejects_a_feature_the_data_lacks():
    with pytest.raises(ValueError, match="review_score"):
        cl.headless(retail(), features="recency_days,review_score")


# --- the real Online Retail export ------------------------------------------------------------


@pytest.fixture(scope="module")
def real_retail() -> cl.CustomerFeatures:
    path = shared_file("online_retail/online_retail.parquet")
    return cl.dataset_features(formats.assemble(io.read_path(path)).dataset)


def mentioned(name: str) -> frozenset[tuple[str, bool]]:
    """The (feature, high?) a cluster name speaks of, read back from its words."""
    return frozenset(
        (f, up)
        for f, feature in cl.BASE_FEATURES.items()
        for up, (adjective, noun) in ((True, feature.high), (False, feature.low))
        if adjective in name or noun in name
    )


def test_real_online_retail_spend_is_logged_and_extreme_buyers_form_no_cluster(real_retail):
    table = real_retail.table
    scaled = cl.scaled_features(table, list(cl.DEFAULT_FEATURES))
    # net revenue, orders and basket size are right-skewed (a few wholesalers buy 100x the
    # median); a customer whose only purchase was cancelled in full is worth 0
    assert {"frequency", "monetary", "avg_order_value"} <= set(scaled.logged)
    assert (table["monetary"] == 0).sum() > 0
    # the 4,338 customers with a purchase (as RFM counts them): 43 capped at each end of each
    assert (table.height, scaled.per_end) == (4_338, 43)
    # one customer sat 21.9 standard deviations out; capped and logged, none is beyond 4
    assert np.abs(scaled.matrix).max() < 4
    for k in range(2, 11):
        labels = cl.fit_clusters(scaled.matrix, k).labels
        sizes = np.bincount(labels, minlength=k)
        assert sizes.min() >= 0.01 * table.height, (k, sizes)
        drivers = cl.cluster_drivers(table, scaled, labels, real_retail.features)
        names = cl.cluster_names(drivers, real_retail.features)
        assert len(set(names.values())) == k
        said = [mentioned(names[c + 1]) for c in range(k)]
        assert len(set(said)) == k, names  # no two names speak of the same features
        raw = table.select(scaled.features).to_numpy().astype(float)
        for c in range(k):
            # the cluster's mean position, computed here from the model matrix, and which side
            # of the average customer its real mean sits on, as the profiles show it
            z = scaled.matrix[labels == c].mean(axis=0)
            side = np.sign(raw[labels == c].mean(axis=0) - raw.mean(axis=0))
            for f, up in said[c]:
                assert side[scaled.features.index(f)] == (1 if up else -1), (k, names[c + 1])
            borne = [i for i in np.argsort(-np.abs(z)) if side[i] == (1 if z[i] >= 0 else -1)]
            if borne and abs(z[borne[0]]) >= cl.STRONG:
                top = borne[0]
                assert (scaled.features[top], bool(z[top] >= 0)) in said[c], (k, names[c + 1])


def test_real_online_retail_diagnostics_suggest_a_k_whose_clusters_are_all_substantial(
    real_retail,
):
    for features in (list(cl.DEFAULT_FEATURES), list(real_retail.available)):
        scaled = cl.scaled_features(real_retail.table, features)
        diag = cl.cluster_diagnostics(scaled.matrix)
        assert diag.table["k"].to_list() == list(range(2, 11))
        best = diag.table.sort("silhouette", descending=True)["silhouette"][0]
        chosen = diag.table.filter(pl.col("k") == diag.suggested_k)["silhouette"][0]
        assert chosen >= best - cl.TIE
        sizes = np.bincount(cl.fit_clusters(scaled.matrix, diag.suggested_k).labels)
        assert sizes.min() >= 0.01 * real_retail.table.height


def test_capping_bounds_read_in_each_features_units():
    """One column held days, orders and money alike, as '37.00', '2.00' and '1234.50'."""
    model = pl.DataFrame(
        {
            "feature": ["recency_days", "frequency", "monetary"],
            "low_cap": [37.0, 1.0, 12.5],
            "high_cap": [365.0, 2.5, 1234.5],
        }
    )
    shown = cl.caps_in_units(model, cl.BASE_FEATURES, "BRL")
    assert shown["low_cap"].to_list() == ["37 days", "1 order", "R$ 12.50"]
    assert shown["high_cap"].to_list() == ["365 days", "2.5 orders", "R$ 1.2k"]


def test_no_k_that_leaves_a_small_cluster_is_suggested():
    # k = 7 has the best silhouette but 2 clusters of fewer than 30 customers (or under 2%)
    table = diagnostics_table([0.40, 0.30, 0.35, 0.30, 0.45, 0.60], small=[0, 0, 0, 0, 1, 2])
    k, elbow, why = cl.suggest_k(table)
    # the best of k = 2..5, 0.40, with nothing within 0.02 of it
    assert (k, elbow) == (2, 3)
    assert why.startswith("k = 2 has the best silhouette (0.40); the inertia curve bends at k = 3.")
    assert (
        " Other k score up to 0.60 (k = 7) but leave clusters of fewer than 30 customers or under "
        "2% of them: handfuls, not segments." in why
    )


def test_when_every_k_leaves_a_small_cluster_the_reason_says_none_gives_groups():
    table = diagnostics_table([0.40, 0.30, 0.35, 0.30, 0.45, 0.60], small=[1] * 6)
    k, _, why = cl.suggest_k(table)
    assert k == 7
    assert (
        "Every k tried leaves at least one cluster of fewer than 30 customers or under 2% of "
        "them: no k splits the customers into groups big enough to plan on." in why
    )


def test_when_every_k_leaves_a_small_cluster_the_suggestion_is_the_k_leaving_fewest():
    """Audit: on 25 customers every cluster of every k is under 30 customers, and the suggestion
    fell back to the best silhouette of all k (k = 9) beside "try fewer clusters". Here k
    clusters of 25 customers are k small ones: k = 2 leaves the fewest, 2, though k = 7 scores
    0.60 against its 0.40; the elbow is k = 3 and the lowest Davies-Bouldin k = 4's."""
    table = diagnostics_table([0.40, 0.30, 0.35, 0.30, 0.45, 0.60], small=[2, 3, 4, 5, 6, 7])
    k, elbow, why = cl.suggest_k(table)
    assert (k, elbow) == (2, 3)
    assert why == (
        "k = 2 has a silhouette of 0.40; the inertia curve bends at k = 3. Every k tried leaves "
        "at least one cluster of fewer than 30 customers or under 2% of them: no k splits the "
        "customers into groups big enough to plan on. k = 2 leaves the fewest such clusters (2): "
        "suggested as a place to start, not as segments to plan on; other k score up to 0.60 "
        "(k = 7) but leave more of them. The structure is weak (a silhouette of 0.40; 0.5 or "
        "less is weak): read the clusters as a useful split of the customers, not as natural "
        "groups."
    )
    # k = 2 and 3 leave one small cluster each: the best silhouette of the two, 0.45 at k = 3
    table = diagnostics_table([0.40, 0.45, 0.35, 0.30, 0.45, 0.60], small=[1, 1, 2, 2, 3, 3])
    k, _, why = cl.suggest_k(table)
    assert k == 3
    assert why.startswith("k = 3 has the best silhouette (0.45) and sits at the elbow")
    assert (
        " k = 3 is of the k that leave the fewest such clusters (1): suggested as a place to "
        "start, not as segments to plan on; other k score up to 0.60 (k = 7) but leave more of "
        "them. The structure is weak (a best silhouette of 0.45;" in why
    )


def test_identical_customers_are_told_so_and_get_no_k_to_compare():
    """Audit: 30 identical customers read 'Clusters 2', 'Silhouette nan', "k = 2 has the best
    silhouette (nan)" and an ROI ranking of their one cluster."""
    table = pl.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(30)],
            "recency_days": [1] * 30,
            "frequency": [2] * 30,
            "monetary": [20.0] * 30,
            "avg_order_value": [10.0] * 30,
        }
    )
    scaled = cl.scaled_features(table, list(cl.DEFAULT_FEATURES))
    assert cl.identical_note(scaled, cl.BASE_FEATURES) == (
        "All 30 customers are the same on days since last order, orders, net revenue and average "
        "order value: there are no groups to find, so no k is suggested and no cluster is "
        "profiled or ranked. Choose other features, or load data in which customers differ."
    )
    with pytest.raises(ValueError, match="the 30 customers are all the same as the model sees"):
        cl.cluster_diagnostics(scaled.matrix)
    # One customer apart is enough to compare k = 2 (30 customers, 29 alike: no k above 2).
    varied = table.with_columns(pl.Series("monetary", [20.0] * 29 + [90.0]))
    assert (
        cl.identical_note(cl.scaled_features(varied, ["monetary", "frequency"]), FEATURES) is None
    )


def test_the_model_compares_no_more_clusters_than_customers_it_tells_apart():
    """40 customers of 3 kinds: (0, 0) x 20, (5, 0) x 12 and (0, 5) x 8. k-means cannot make 4
    or more clusters of them (it made 3 and called them 10, each silhouette 1). k = 3 puts
    each kind alone: every customer sits at distance 0 in their cluster, a silhouette of 1. At
    k = 2, merging (0, 0) with (0, 5) costs 20 x 8 / 28 x 25 = 143 against 188 and 240 for the
    other pairs: clusters of 28 and 12, both under 30 customers, as the three of k = 3 are."""
    matrix = np.array([[0.0, 0.0]] * 20 + [[5.0, 0.0]] * 12 + [[0.0, 5.0]] * 8)
    diag = cl.cluster_diagnostics(matrix, names=("x", "y"))
    assert diag.distinct == 3
    assert diag.table["k"].to_list() == [2, 3]
    assert sorted(np.bincount(diag.fits[2].labels)) == [12, 28]
    assert sorted(np.bincount(diag.fits[3].labels)) == [8, 12, 20]
    assert diag.table["silhouette"][1] == pytest.approx(1.0)
    assert diag.table["small_clusters"].to_list() == [2, 3]
    assert diag.suggested_k == 2
    assert diag.reason.endswith(
        " The model tells only 3 of the 40 customers apart (the others repeat them on every "
        "feature), so no k above 3 is tried."
    )
    assert cl.distinct_customers(matrix, 10) == 3 and cl.distinct_customers(matrix, 1) >= 2


def test_the_small_clusters_column_counts_clusters_under_30_customers_or_2_percent():
    points, _ = blobs()  # 120, 90, 60 and 30 points
    diag = cl.cluster_diagnostics(points, ks=(4, 5))
    sizes = {k: np.bincount(diag.fits[k].labels) for k in (4, 5)}
    expected = [int(((s < 30) | (s < 0.02 * 300)).sum()) for s in sizes.values()]
    assert diag.table["small_clusters"].to_list() == expected
    assert expected[0] == 0


def one_lognormal_spend(customers: int = 1000) -> pl.DataFrame:
    """Customers with no groups at all: one order each, a lognormal spend (median 110, log-sd
    0.8, as Olist's), days since their order drawn evenly."""
    rng = np.random.default_rng(3)
    spend = np.exp(rng.normal(4.7, 0.8, customers))
    return pl.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(customers)],
            "recency_days": rng.integers(1, 600, customers),
            "frequency": np.ones(customers, dtype=np.int64),
            "monetary": spend,
            "avg_order_value": spend,
        }
    )


def test_a_high_silhouette_from_one_skewed_feature_is_read_as_slices_not_groups():
    table = one_lognormal_spend()
    features = list(cl.DEFAULT_FEATURES)
    # Independently: each feature winsorised at 10 customers (1%) per end, standardised, then
    # sklearn's k-means at k = 2.
    raw = table.select(features).to_numpy().astype(float)
    ordered = np.sort(raw, axis=0)
    capped = np.clip(raw, ordered[10], ordered[-11])
    spread = capped.std(axis=0)
    matrix = (capped - capped.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    labels = KMeans(n_clusters=2, random_state=0, n_init=4).fit(matrix).labels_
    silhouette = silhouette_score(matrix, labels)
    assert silhouette > 0.5  # above Kaufman and Rousseeuw's 'reasonable' bar, with no groups
    # the smaller cluster is (nearly) the top spenders: the same count ranked by spend
    tail = labels == np.argmin(np.bincount(labels))
    top = np.zeros(len(labels), bool)
    top[np.argsort(-raw[:, 2])[: tail.sum()]] = True
    placed = (top == tail).mean()
    assert placed >= 0.95

    scaled = cl.scaled_features(table, features, log=False)
    diag = cl.named_diagnostics(scaled, cl.BASE_FEATURES)
    assert diag.suggested_k == 2
    assert diag.reason.startswith(f"k = 2 has the best silhouette ({silhouette:.2f})")
    assert "Its clusters are slices of one skewed feature, not groups: ranking customers by " in (
        diag.reason
    )
    # net revenue and average order value are the same figure here: either names the slices
    assert (
        f"net revenue alone puts {placed:.1%} of them in their cluster" in diag.reason
        or f"average order value alone puts {placed:.1%} of them in their cluster" in diag.reason
    )
    # with the log transform the spend is one symmetric hump: no slices of a skewed feature
    logged = cl.named_diagnostics(cl.scaled_features(table, features), cl.BASE_FEATURES)
    assert "slices" not in logged.reason


def test_separated_groups_cut_along_one_symmetric_feature_are_no_slices():
    points, _ = blobs()
    diag = cl.cluster_diagnostics(points, names=("x", "y"))
    assert "slices" not in diag.reason


def test_the_profile_reading_names_a_cluster_once_when_it_brings_most_and_spends_least():
    """Olist at k = 2, log off: “Typical customers” are 93.3% and bring most revenue, and spend
    least each; the reading named them twice ('“Typical customers” … ; “typical customers”
    spend least')."""
    profiles = pl.DataFrame(
        {
            "cluster": [1, 2],
            "name": ["typical customers", "big spenders"],
            "customers": [933, 67],
            "customer_share": [0.933, 0.067],
            "revenue_share": [0.7, 0.3],
            "revenue_per_customer": [75.0, 447.76],
        }
    )
    assert cl.profile_reading(profiles, "GBP") == (
        "“Typical customers” (cluster 1) are 93.3% of customers and bring 70.0% of net revenue, "
        "though each spends least, £75 per customer."
    )
    other = profiles.with_columns(pl.Series("revenue_share", [0.3, 0.7]))
    assert cl.profile_reading(other, "GBP") == (
        "“Big spenders” (cluster 2) are 6.7% of customers and bring 70.0% of net revenue; "
        "“typical customers” spend least, £75 per customer."
    )


def test_the_profile_reading_names_clusters_that_spend_least_alike_within_chance_together():
    """“Bargain hunters” spend £77 each against the typical customers' £75 (sd £30 both, 200 and
    933 customers): Welch's p = 0.39, within chance, so neither alone spends least (the reading
    named the lowest, whatever the gap). At £85 (p < 0.0001) the typical customers do."""

    def profiles(bargain: float) -> pl.DataFrame:
        rows = [  # cluster, name, customers, mean and sd of revenue per customer, revenue share
            (1, "typical customers", 933, 75.0, 30.0, 0.7),
            (2, "bargain hunters", 200, bargain, 30.0, 0.1),
            (3, "big spenders", 67, 447.76, 200.0, 0.2),
        ]
        return pl.DataFrame(
            {
                "cluster": [r[0] for r in rows],
                "name": [r[1] for r in rows],
                "customers": [r[2] for r in rows],
                "customer_share": [r[2] / 1200 for r in rows],
                "revenue_share": [r[5] for r in rows],
                "revenue_per_customer": [r[3] for r in rows],
                # The sum of squares of n revenues of this mean and sample sd.
                "revenue_sq": [(r[2] - 1) * r[4] ** 2 + r[2] * r[3] ** 2 for r in rows],
            }
        )

    def p(bargain: float) -> float:
        return ttest_ind_from_stats(75.0, 30.0, 933, bargain, 30.0, 200, equal_var=False).pvalue

    assert p(77.0) == pytest.approx(0.39, abs=0.01)
    assert cl.profile_reading(profiles(77.0), "GBP") == (
        "“Typical customers” (cluster 1) are 77.8% of customers and bring 70.0% of net revenue, "
        "though each spends least, alike within chance with “bargain hunters”: £75–£77 per "
        "customer."
    )
    assert p(85.0) < 0.0001
    assert cl.profile_reading(profiles(85.0), "GBP") == (
        "“Typical customers” (cluster 1) are 77.8% of customers and bring 70.0% of net revenue, "
        "though each spends least, £75 per customer."
    )
    bigger = profiles(77.0).with_columns(pl.Series("revenue_share", [0.2, 0.1, 0.7]))
    assert cl.profile_reading(bigger, "GBP") == (
        "“Big spenders” (cluster 3) are 5.6% of customers and bring 70.0% of net revenue; "
        "“typical customers” and “bargain hunters” spend least, alike within chance: £75–£77 "
        "per customer."
    )


def spend_profiles(clusters: list[tuple[int, str, list[float]]]) -> pl.DataFrame:
    """Profiles (as cluster_profiles has them) of clusters given each customer's net revenue."""
    total = sum(sum(spent) for _, _, spent in clusters)
    customers = sum(len(spent) for _, _, spent in clusters)
    return pl.DataFrame(
        {
            "cluster": [c for c, _, _ in clusters],
            "name": [n for _, n, _ in clusters],
            "customers": [len(s) for _, _, s in clusters],
            "customer_share": [len(s) / customers for _, _, s in clusters],
            "revenue_share": [sum(s) / total for _, _, s in clusters],
            "revenue_per_customer": [sum(s) / len(s) for _, _, s in clusters],
            "revenue_sq": [sum(v * v for v in s) for _, _, s in clusters],
        }
    )


def test_a_one_customer_cluster_is_never_alike_within_chance_with_those_that_spend_least():
    """Audit: one customer spending £23,562 was "alike within chance" with 30 customers
    spending £41 each ("though each spends least, alike within chance with “high-spending
    big-basket buyers”: £41.32–£23.6k"): one customer has no spread, the Welch test no answer.
    Here 30 customers spend £30 or £50 (£40 each on average), the whale £23,562: 30 of 31
    customers (96.8%) bring 1,200 of 24,762 (4.8%)."""
    profiles = spend_profiles(
        [(1, "typical customers", [30.0] * 15 + [50.0] * 15), (2, "whale", [23_562.0])]
    )
    assert cl.profile_reading(profiles, "GBP") == (
        "“Typical customers” (cluster 1) are 96.8% of customers and bring 4.8% of net revenue, "
        "though each spends least, £40 per customer. “whale” (1 customer, 3.2%) is a handful of "
        "outliers rather than a segment: look at that customer."
    )
    # At k = 2 there are no fewer clusters to try (it said 'try fewer clusters'); at 3 there are.
    three = spend_profiles(
        [(1, "typical customers", [30.0] * 15 + [50.0] * 15), (2, "whale", [23_562.0])]
        + [(3, "regulars", [70.0] * 40)]
    )
    assert cl.profile_reading(three, "GBP").endswith("rather than a segment: try fewer clusters.")


def test_the_cluster_that_spends_most_per_customer_is_never_said_to_spend_least():
    """Audit: of clusters spending £39.47 (2 customers), £100.30 and £67.84 (one each), the
    £100.30 one was said to "spend least": the two lone customers were "alike within chance"
    with the lowest. Here £30 and £50 (2 customers, £40 each), £100 and £70: the £100 cluster
    brings most, 100 of 250 (40%); the lowest, £40, is the only one a test can judge."""
    profiles = spend_profiles(
        [(1, "low spenders", [30.0, 50.0]), (2, "big basket", [100.0]), (3, "regulars", [70.0])]
    )
    assert cl.profile_reading(profiles, "GBP") == (
        "“Big basket” (cluster 2) are 25.0% of customers and bring 40.0% of net revenue; “low "
        "spenders” spend least, £40 per customer. “low spenders” (2 customers, 50.0%), “big "
        "basket” (1 customer, 25.0%) and “regulars” (1 customer, 25.0%) are handfuls of outliers "
        "rather than a segment: try fewer clusters."
    )
    # 40 customers each, £40 and £60 (half each side of the mean by £50: sd 50.6): Welch's
    # p = 0.08, so the top spender is within chance of the lowest and neither spends least.
    spread = [-50.0, 50.0] * 20
    profiles = spend_profiles(
        [(1, "low", [40.0 + d for d in spread]), (2, "high", [60.0 + d for d in spread])]
    )
    sd = float(np.std([50.0, -50.0] * 20, ddof=1))
    welch = ttest_ind_from_stats(40.0, sd, 40, 60.0, sd, 40, equal_var=False)
    assert 0.05 < welch.pvalue < 0.1
    assert cl.profile_reading(profiles, "GBP") == (
        "“High” (cluster 2) are 50.0% of customers and bring 60.0% of net revenue; no cluster "
        "can be said to spend least: the lowest and the highest revenue per customer, £40 and "
        "£60, are alike within chance."
    )


def test_features_that_move_together_are_said_to_count_one_difference_twice():
    """The real-data audit's: on Olist nearly every customer orders once, so net revenue and
    average order value are one figure (r = 0.996 after the log), and the clusters weighed it
    twice unsaid. Ten customers of one order each, spending 10, 20, ... 100: net revenue and
    average order value are equal (r = 1 at any scaling); recency 5, 3, 8, 1, 9, 2, 7, 4, 6, 10
    against spend's ranks 1 to 10: r = 28.5 / 82.5 = 0.35 (both sum 82.5 in squared
    deviations), far from 0.95. With recency equal to spend, every pair: three of them."""
    spend = [10.0 * (i + 1) for i in range(10)]
    recency = [5, 3, 8, 1, 9, 2, 7, 4, 6, 10]
    table = pl.DataFrame(
        {
            "customer_id": [str(i) for i in range(10)],
            "recency_days": recency,
            "frequency": [1] * 10,
            "monetary": spend,
            "avg_order_value": spend,
        }
    )
    assert float(np.corrcoef(recency, spend)[0, 1]) == pytest.approx(28.5 / 82.5)
    scaled = cl.scaled_features(table, cl.DEFAULT_FEATURES, log=False, cap=0.0)
    assert cl.twins_note(scaled, cl.BASE_FEATURES) == (
        "Net revenue and average order value (r = +1.00) move together (or one against the "
        "other) as the model sees them, so the clusters weigh what is one difference between "
        "customers twice: leave one of the two out to weigh it once."
    )
    same = table.with_columns(recency_days=pl.Series(spend))
    scaled = cl.scaled_features(same, cl.DEFAULT_FEATURES, log=False, cap=0.0)
    note = cl.twins_note(scaled, cl.BASE_FEATURES)
    assert note.count("(r = +1.00)") == 3 and "leave one of each pair out" in note
    # An average order value of its own (r = 0.10 with spend, -0.61 with recency): no pair.
    apart = table.with_columns(avg_order_value=pl.Series([3.0, 9, 1, 7, 5, 10, 2, 8, 4, 6]))
    assert (
        cl.twins_note(cl.scaled_features(apart, cl.DEFAULT_FEATURES, False, 0.0), cl.BASE_FEATURES)
        == ""
    )


def test_the_capping_note_names_features_the_same_for_every_customer_before_any_capping():
    # 24 customers who each bought once, all on the last day: orders and recency tell no one apart.
    table = pl.DataFrame(
        {
            "frequency": [1] * 24,
            "monetary": [float(v) for v in range(24)],
            "recency_days": [0.0] * 24,
        }
    )
    scaled = cl.scaled_features(table, ["recency_days", "frequency", "monetary"])
    model = cl.model_features(scaled, FEATURES)
    note = cl.capping_note(model, cl.CAP, scaled.per_end, 24, scaled.capped_customers)
    assert note.endswith(
        " Days since last order and orders are the same for every customer in this data, so they "
        "do not shape the clusters: leave them out."
    )
    assert "Once capped" not in note
