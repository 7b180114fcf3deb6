"""Small helpers of the data model."""

import polars as pl

from lib.model import columns_of, first_occurrences


def test_columns_of_keeps_the_named_columns_the_frame_has_in_the_order_named():
    frame = pl.DataFrame({"a": [1], "b": ["x"], "c": [2.0]})
    assert columns_of(frame, "c", "missing", "a").columns == ["c", "a"]
    assert columns_of(frame, "missing").width == 0


def test_first_occurrences_compares_whole_rows_when_hashes_collide(monkeypatch):
    frame = pl.DataFrame({"a": ["x", "y", "x", "y", "z"], "b": [1, 1, 1, 2, 1]})
    # Every row hashing alike leaves the decision to the rows themselves.
    monkeypatch.setattr(
        pl.DataFrame,
        "hash_rows",
        lambda self, *a, **k: pl.Series([7] * self.height, dtype=pl.UInt64),
    )
    assert first_occurrences(frame).to_list() == [True, True, False, True, True]
