"""Small helpers of the data model."""

import polars as pl

from lib.model import columns_of


def test_columns_of_keeps_the_named_columns_the_frame_has_in_the_order_named():
    frame = pl.DataFrame({"a": [1], "b": ["x"], "c": [2.0]})
    assert columns_of(frame, "c", "missing", "a").columns == ["c", "a"]
    assert columns_of(frame, "missing").width == 0
