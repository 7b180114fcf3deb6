"""Altair without the work our charts never need: three changes to how it builds a chart.

A chart is rebuilt on every rerun whose inputs changed, and altair's own bookkeeping was most of
that time (0.1 s of a Clusters rerun). None of these changes what a chart's spec says; tests
(tests/test_charts_fast.py) compare specs with and without them.

1. Debug mode off: each encoding is not validated when it is built (for friendlier errors while
   writing a chart); the whole spec still is, where the app asks for it.
2. One table of wrapper classes. Every encoding given as a dict or a shorthand string
   (`alt.value(...)`, `alt.condition(...)`, `alt.datum(...)`, `x2="end:T"`) goes through
   `SchemaBase.from_dict`, which builds a new converter each time: the JSON hash of all 570
   wrapper classes' schemas, 5-14 ms per encoding. The table depends only on the classes, so it
   is built once (vega/altair#3547 proposes the same upstream); so is the list of the classes,
   which altair finds by walking every subclass of the schema's root on each call (0.6 ms, 32
   times in a Categories rerun).
3. No parameter bookkeeping without parameters. Each time a layered or concatenated chart is
   made (`a + b`, and again by every `.properties`, `.configure` and `to_dict`), altair deep-copies
   every sub-chart twice to lift selection parameters to the top. With no parameter anywhere
   (Storelens draws none) and no named layer to renumber, those copies come out unchanged, so the
   sub-charts are kept as they are. altair copies a sub-chart before it changes one, so sharing
   them is safe.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import altair as alt
from altair.utils import schemapi
from altair.vegalite.v6 import api
from altair.vegalite.v6.schema import core

_remove_duplicate_params = api._remove_duplicate_params
_combine_subchart_params = api._combine_subchart_params
# altair's own class lists (each root's classmethod), before install() replaces them.
SHIPPED_WRAPPERS = {
    root: root.__dict__["_default_wrapper_classes"]
    for root in (schemapi.SchemaBase, core.VegaLiteSchema)
}


class _WrapperTable(schemapi._FromDict):
    """altair's dict-to-object converter with its class table built once per set of classes."""

    _tables: dict[tuple[type, ...], Any] = {}

    def __init__(self, wrapper_classes: Iterable[type]) -> None:
        classes = tuple(wrapper_classes)
        table = self._tables.get(classes)
        if table is None:
            super().__init__(classes)
            self._tables[classes] = self.class_dict
        else:
            self.class_dict = table


def _listed_once(walk: Any) -> classmethod:
    """A `_default_wrapper_classes` that walks the subclasses once per class: altair defines
    every wrapper class when it is imported, none later."""
    found: dict[type, tuple[type, ...]] = {}

    def wrapper_classes(cls: type) -> tuple[type, ...]:
        classes = found.get(cls)
        if classes is None:
            classes = found[cls] = tuple(walk(cls))
        return classes

    return classmethod(wrapper_classes)


def _has_params(chart: Any) -> bool:
    return not alt.utils.is_undefined(getattr(chart, "params", alt.Undefined))


def _named_layers(chart: Any) -> bool:
    """A layered chart with a named layer, which altair renumbers inside a concatenation."""
    return isinstance(chart, alt.LayerChart) and any(
        isinstance(layer, alt.Chart) and not alt.utils.is_undefined(layer.name)
        for layer in chart.layer
    )


def _unique_params(layer: list) -> list:
    if any(_has_params(chart) for chart in layer):
        return _remove_duplicate_params(layer)
    return list(layer)


def _lifted_params(params: Any, subcharts: Sequence) -> tuple[Any, list]:
    if (
        (alt.utils.is_undefined(params) or len(params) == 0)
        and not any(_has_params(chart) for chart in subcharts)
        and not (len(subcharts) > 1 and any(_named_layers(chart) for chart in subcharts))
    ):
        return alt.Undefined, list(subcharts)
    return _combine_subchart_params(params, subcharts)


def install() -> None:
    """Apply the three changes (idempotent)."""
    schemapi.disable_debug_mode()
    schemapi._FromDict = _WrapperTable
    for root, shipped in SHIPPED_WRAPPERS.items():
        if root.__dict__["_default_wrapper_classes"] is shipped:
            root._default_wrapper_classes = _listed_once(shipped.__func__)
    api._remove_duplicate_params = _unique_params
    api._combine_subchart_params = _lifted_params
