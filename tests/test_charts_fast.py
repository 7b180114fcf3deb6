"""lib/charts/fast.py changes how altair builds a chart, never what the chart says: every spec here
is compared with the one altair builds as shipped (its own functions put back)."""

from __future__ import annotations

import altair as alt
import polars as pl
import pytest
from altair.utils import schemapi
from altair.vegalite.v6 import api

from lib.charts import either, fast

FRAME = pl.DataFrame({"a": [1, 2, 3], "b": [3.0, 1.5, 2.0], "partial": [False, False, True]})


def _layered() -> alt.LayerChart:
    """Shorthand strings, alt.value, alt.datum and conditions: every path through from_dict."""
    base = alt.Chart(FRAME).encode(x=alt.X("a:Q", title=None))
    bars = base.mark_bar().encode(
        x2="b:Q",
        y=alt.datum(0),
        color=alt.condition("datum.partial", alt.value("grey"), alt.value("teal")),
        opacity=alt.value(0.5),
    )
    text = base.mark_text().encode(y="b:Q", text="a:Q").properties(height=200)
    return (bars + text).properties(width=300)


def _concat() -> alt.HConcatChart:
    line = alt.Chart(FRAME).mark_line().encode(x="a:Q", y="b:Q")
    point = alt.Chart(FRAME).mark_point().encode(x="a:Q", y="b:Q")
    return alt.hconcat(line + point, point).resolve_scale(y="independent")


def _with_params() -> alt.HConcatChart:
    """The same selection on two layers, and a named layer, inside a concatenation: altair's own
    bookkeeping must still run (deduplicated, lifted to the top, layers renumbered)."""
    brush = alt.selection_interval(encodings=["x"])
    points = alt.Chart(FRAME).mark_point().encode(x="a:Q", y="b:Q").add_params(brush)
    named = alt.Chart(FRAME, name="bars").mark_bar().encode(x="a:Q", y="b:Q")
    return alt.hconcat(points + points, named + points)


@pytest.mark.parametrize("build", [_layered, _concat, _with_params])
def test_spec_is_altairs_own(build, monkeypatch):
    fast_spec = build().to_dict()
    with monkeypatch.context() as patch:  # altair's own functions (debug mode changes no spec)
        patch.setattr(schemapi, "_FromDict", fast._WrapperTable.__bases__[0])
        patch.setattr(api, "_remove_duplicate_params", fast._remove_duplicate_params)
        patch.setattr(api, "_combine_subchart_params", fast._combine_subchart_params)
        for root, shipped in fast.SHIPPED_WRAPPERS.items():
            patch.setattr(root, "_default_wrapper_classes", shipped)
        shipped_spec = build().to_dict()
    assert fast_spec == shipped_spec


def test_params_are_still_lifted_and_deduplicated():
    spec = _with_params().to_dict()
    # One selection at the top, naming the views it applies to; none left on the layers.
    assert len(spec["params"]) == 1 and spec["params"][0]["select"]["type"] == "interval"
    assert len(spec["params"][0]["views"]) >= 2
    assert all("params" not in layer for sub in spec["hconcat"] for layer in sub["layer"])


def test_the_class_table_is_built_once():
    alt.Chart(FRAME).mark_bar().encode(x2="b:Q", color=alt.value("red"))
    built = {classes: id(table) for classes, table in fast._WrapperTable._tables.items()}
    alt.Chart(FRAME).mark_bar().encode(text="a:N", opacity=alt.value(1.0), y=alt.datum(0))
    assert schemapi._FromDict is fast._WrapperTable
    assert built  # the first conversion built a table ...
    # ... and the next ones reused it: no new table, the same objects.
    assert {c: id(t) for c, t in fast._WrapperTable._tables.items()} == built


def test_the_wrapper_classes_are_listed_once_and_are_altairs():
    fast.install()
    for root, shipped in fast.SHIPPED_WRAPPERS.items():
        listed = root._default_wrapper_classes()
        assert root._default_wrapper_classes() is listed  # walked once, then kept
        assert set(listed) == set(schemapi._subclasses(root)) == set(shipped.__get__(root)())
        assert len(listed) > 500


@pytest.mark.parametrize(
    ("channel", "name", "then", "otherwise"),
    [
        (alt.ColorValue, "color", "white", "#1e293b"),
        (alt.OpacityValue, "opacity", 0.35, 1.0),
        (alt.StrokeDashValue, "strokeDash", [1, 0], [6, 3]),
    ],
)
def test_either_is_alt_condition(channel, name, then, otherwise):
    test = "datum.b > 1.5"
    direct = alt.Chart(FRAME).mark_line().encode(**{name: either(channel, test, then, otherwise)})
    condition = alt.condition(test, alt.value(then), alt.value(otherwise))
    via_altair = alt.Chart(FRAME).mark_line().encode(**{name: condition})
    assert direct.to_dict()["encoding"] == via_altair.to_dict()["encoding"]
    assert direct.to_dict()["encoding"][name] == {
        "condition": {"test": test, "value": then},
        "value": otherwise,
    }
