"""A page's main control moves its charts' data, not their specs.

Streamlit's frontend keys a chart by its spec with each dataset's name (a hash of its content)
replaced by the dataset's position (ArrowVegaLiteChart's `baseSpecKey`). While that key stays the
same across a rerun, it swaps the new data into the Vega view it has; any other change (an axis
order, a domain, a colour threshold written into the spec) makes it compile and draw the chart
anew, about 15-25 ms of chromium's main thread a chart (lib/charts/__init__.py: ORDER).
"""

import datetime as dt
import json
import re

import polars as pl
import pytest
import vl_convert

from lib.charts import ORDER, categories, clusters, in_order
from tests import apptest


def _keyed(proto) -> str:
    """The chart's spec as the frontend keys it: dataset names replaced by their positions."""
    places = {d.name: f"dataset {i}" for i, d in enumerate(proto.datasets) if d.has_name}

    def walk(node):
        if isinstance(node, dict):
            return {
                key: (
                    {**value, "name": places[value["name"]]}
                    if key == "data" and isinstance(value, dict) and value.get("name") in places
                    else walk(value)
                )
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return json.dumps(walk(json.loads(proto.spec)), sort_keys=True)


def _data(proto) -> tuple[bytes, ...]:
    return (proto.data.data, *(d.data.data for d in proto.datasets))


def _slider(prefix: str):
    def move(at) -> None:
        [slider] = [s for s in at.slider if str(s.key).startswith(prefix)]
        slider.set_value(slider.value + 1 if slider.value < slider.max else slider.value - 1)

    return move


def _segment(key: str, option: str):
    return lambda at: at.button_group(key=key).set_value(option)


def _start_day(at) -> None:
    dates = at.date_input(key="sales_dates")
    start, end = dates.value
    dates.set_value((start + dt.timedelta(days=1), end))


def _number(key: str, value: int):
    return lambda at: at.number_input(key=key).set_value(value)


CASES = {
    "categories window, marketplace": ("marketplace", "categories", _slider("categories_months")),
    "categories window, web shop": ("webshop", "categories", _slider("categories_months")),
    "clusters k, marketplace": ("marketplace", "clusters", _slider("clusters_k")),
    "clusters k, retail": ("retail", "clusters", _slider("clusters_k")),
    "rfm bins, marketplace": ("marketplace", "rfm", _segment("rfm_bins", "4")),
    "rfm bins, retail": ("retail", "rfm", _segment("rfm_bins", "4")),
    "funnel pages shown": ("marketplace", "funnel", _slider("funnel_top")),
    "events window": ("webshop", "events", _slider("events_window_days")),
    "sales start": ("retail", "sales", _start_day),
    "clv horizon": ("marketplace", "clv", _number("clv_horizon", 6)),
}


@pytest.mark.parametrize("case", CASES)
def test_the_main_control_changes_the_charts_data_and_not_their_specs(case):
    source, page, move = CASES[case]
    at = apptest.page(source, f"pages/{page}.py")
    before = [c.proto for c in at.get("vega_lite_chart")]
    assert before, "the page draws no chart"
    specs, data = [_keyed(p) for p in before], [_data(p) for p in before]
    move(at)
    at.run()
    assert not at.exception, at.exception
    after = [c.proto for c in at.get("vega_lite_chart")]
    # The move reached the charts: some chart's data is new.
    assert [_data(p) for p in after] != data
    assert [_keyed(p) for p in after] == specs


def test_in_order_numbers_each_value_by_its_place_and_puts_the_rest_last():
    frame = pl.DataFrame({"label": ["b", "a", "c", "b", None]})
    ranked = in_order(frame, "label", ["a", "b"])
    assert ranked[ORDER].to_list() == [1, 0, 2, 1, 2]


def _svg(chart) -> str:
    return vl_convert.vegalite_to_svg(chart.to_dict())


def test_the_potential_chart_lists_categories_by_rank_best_first():
    """Three categories of potentials 0.2, 0.9 and 0.5, ranked 3, 1 and 2 (potential_scores
    ranks by potential among those scored on every component), given in that order, two
    components each: the axis reads B, C, A from the top."""
    rows = [
        (name, potential, rank, component, part)
        for name, potential, rank in (("A", 0.2, 3), ("B", 0.9, 1), ("C", 0.5, 2))
        for component, part in (("growth", potential / 2), ("review score", potential / 2))
    ]
    contributions = pl.DataFrame(
        rows, schema=["category", "potential", "rank", "component", "contribution"], orient="row"
    ).with_columns(pl.col("category").alias("label"), pl.lit(True).alias("growth_reliable"))
    svg = _svg(categories.potential_chart(contributions, 10))
    ticks = re.findall(r"<text[^>]*>([ABC])</text>", svg)
    assert ticks == ["B", "C", "A"]


def test_the_cluster_heatmap_legend_reads_better_and_worse_not_a_sign():
    """Screenshot review: cells wrote '+1.5' days since the last order in red under a legend
    from -1 (red) to +1 (blue): the cell's sign is its feature's, the colour what is better.
    The legend now reads '1 worse', 'average', '1 better'."""
    drivers = pl.DataFrame(
        {
            "cluster": [1, 1],
            "feature": ["days", "orders"],
            "label": ["Days since last order", "Orders"],
            "position": [0, 1],
            "z": [1.5, 0.5],
            "rank": [1, 2],
            "better": [-1.5, 0.5],  # more days since the last order is worse
        }
    )
    svg = _svg(clusters.drivers_chart(drivers, {1: "one"}))
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert {"1 worse", "average", "1 better"} <= set(labels)
    # Signed figures are the cells' own only.
    assert [t for t in labels if re.fullmatch(r"[-−+]?\d+(\.\d+)?", t)] == ["+1.5", "+0.5"]


def test_the_cluster_heatmap_colours_by_the_share_of_its_reach():
    """Colours span ±1 or ±(largest distance): 0.5 with nothing past 1 is coloured as 1.0 where
    the largest is 2.0; values past 55% of the reach are written in white."""

    def cells(z: list[float]) -> tuple[list[str], list[str]]:
        drivers = pl.DataFrame(
            {
                "cluster": [1] * len(z),
                "feature": [f"f{i}" for i in range(len(z))],
                "label": [f"F{i}" for i in range(len(z))],
                "position": list(range(len(z))),
                "z": z,
                "rank": list(range(1, len(z) + 1)),
                "better": z,  # more is better on every feature here
            }
        )
        svg = _svg(clusters.drivers_chart(drivers, {1: "one"}))
        fills = re.findall(r'aria-roledescription="rect mark"[^>]*fill="([^"]+)"', svg)
        texts = re.findall(r'aria-roledescription="text mark"[^>]*fill="([^"]+)"', svg)
        return fills, texts

    (half, small), (half_text, small_text) = cells([0.5, 0.2])
    (one, two), (one_text, two_text) = cells([1.0, 2.0])
    assert half == one and half != two
    assert small != half
    # 0.5 of 1 and 1.0 of 2 are within 55% of the reach: dark text; 2.0 of 2 is past it.
    assert half_text == small_text == one_text != two_text
