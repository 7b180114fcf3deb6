"""Chart builders remembered by content: equal inputs give the chart built before."""

from collections import OrderedDict

import altair as alt
import polars as pl

from lib.charts import memo


@memo.memo
def bars(frame: pl.DataFrame, title: str = "") -> alt.Chart:
    return alt.Chart(frame).mark_bar().encode(x="x", y="y").properties(title=title)


def frame(values: list[float]) -> pl.DataFrame:
    return pl.DataFrame({"x": ["a", "b", "c"][: len(values)], "y": values})


def test_equal_frames_built_apart_give_the_same_chart_and_a_change_gives_another():
    first = bars(frame([1.0, 2.0, 3.0]), title="t")
    assert bars(frame([1.0, 2.0, 3.0]), title="t") is first
    assert bars(frame([1.0, 2.0, 4.0]), title="t") is not first  # one value differs
    assert bars(frame([1.0, 2.0, 3.0]), title="u") is not first  # a setting differs
    assert bars(frame([1.0, 2.0, 3.0]).cast({"y": pl.Float32}), title="t") is not first
    assert bars(frame([1.0, 2.0, 3.0]), title="t").to_dict()["title"] == "t"


def test_a_frame_too_big_to_keep_is_built_every_time(monkeypatch):
    monkeypatch.setattr(memo, "MAX_FRAME_BYTES", 10)
    big = frame([1.0, 2.0, 3.0])  # 3 strings and 3 floats: more than 10 bytes
    assert bars(big) is not bars(big)


def test_the_least_recently_used_charts_go_first_past_the_byte_budget(monkeypatch):
    monkeypatch.setattr(memo, "_kept", OrderedDict())
    monkeypatch.setattr(memo, "_held", [0])
    monkeypatch.setattr(memo, "MAX_BYTES", 2 * frame([5.0, 6.0, 7.0]).estimated_size())
    a, b = bars(frame([5.0, 6.0, 7.0])), bars(frame([5.0, 6.0, 8.0]))
    assert bars(frame([5.0, 6.0, 7.0])) is a  # used again: now the most recent
    bars(frame([5.0, 6.0, 9.0]))  # a third: the least recently used (b) goes
    assert bars(frame([5.0, 6.0, 7.0])) is a
    assert bars(frame([5.0, 6.0, 8.0])) is not b


def test_inputs_that_cannot_be_keyed_by_content_are_built_every_time():
    built = []

    @memo.memo
    def marked(frame: pl.DataFrame, marks) -> alt.Chart:
        built.append(marks)
        return alt.Chart(frame).mark_point()

    marked(frame([1.0]), {"a"})
    marked(frame([1.0]), {"a"})  # a set does not hash: built again
    marked(frame([1.0]), ("a",))
    marked(frame([1.0]), ("a",))  # a tuple does: built once
    assert built == [{"a"}, {"a"}, ("a",)]
