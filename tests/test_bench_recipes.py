"""The bench's plain polars recipe (bench/polars_recipe.py, the in-process floor of issue #16's
comparison) computes what the pandas notebook recipe it stands beside computes."""

import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import shared_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import pandas_recipe  # noqa: E402
import polars_recipe  # noqa: E402


def test_the_plain_polars_recipe_finds_the_pandas_recipes_scores_and_retention():
    path = str(shared_file("online_retail/online_retail.parquet"))
    rfm, retention = polars_recipe.recipe(path)
    theirs, their_retention = pandas_recipe.recipe(path)
    ours = rfm.sort("CustomerID")
    theirs = theirs.sort_index()
    assert ours["CustomerID"].to_list() == theirs.index.to_list()
    for column in ("Recency", "Frequency", "RFM_Score"):
        assert ours[column].to_list() == theirs[column].astype(int).to_list(), column
    for letter in "RFM":  # quintiles of ranks, ties by row order: pandas' qcut edges
        assert ours[letter].to_list() == theirs[letter].astype(int).to_list(), letter
    assert ours["Monetary"].to_numpy() == pytest.approx(theirs["Monetary"].to_numpy())
    assert ours["Monetary"].sum() == pytest.approx(8_911_407.904)
    shares = retention.drop("CohortMonth").to_numpy()
    assert shares.shape == their_retention.shape == (13, 13)
    assert np.allclose(shares, their_retention.to_numpy(), equal_nan=True)


@pytest.mark.parametrize("n", [2, 5, 106, 118, 124, 211, 4_338])
def test_the_plain_polars_quintiles_are_pandas_qcuts_of_the_ranks(n):
    """pandas' qcut of ranks 1..n into 5 (the recipe's R, F and M), for sizes where a float
    division put the top rank in a sixth bin (106: 5.000000000000001, the reviewer's)."""
    import pandas as pd
    import polars as pl

    ranks = pd.Series(range(1, n + 1))
    expected = pd.qcut(ranks, 5, labels=[1, 2, 3, 4, 5]).astype(int).tolist()
    frame = pl.DataFrame({"x": list(range(n))})
    assert frame.select(polars_recipe._quintile("x"))["x"].to_list() == expected
