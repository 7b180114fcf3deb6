"""Every control a page binds to the URL travels in a recipe: as a headless option
(pages/common/settings.CONTROLS) or as a view (settings.VIEWS), unless listed below with why."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from lib import recipe
from lib.analyses import cohorts, sales
from pages.common import settings
from tests import apptest
from tests.test_links import upload_recipe

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "pages"
# Bound widgets a recipe does not carry ("{}" stands for a computed part of the key).
NOT_CARRIED = {
    # RFM's "Score by" (quantiles or my thresholds) and the threshold sliders (one per dimension,
    # bin count and score): the headless RFM, so the CLI and the report, scores by quantiles
    # only. A restored recipe sets the page back to quantiles (settings.RESET_ON_RESTORE), so
    # that its figures are the ones the CLI replays; the report says so when thresholds are on.
    "rfm_mode",
    "rfm_{}_{}_{}",
}
GRAINS = {"sales": sales.GRAINS, "cohorts": cohorts.GRAINS}


def _template(node: ast.expr) -> str | None:
    """A key written as a string or an f-string, with "{}" for each computed part."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else "{}" for part in node.values
        )
    return None


def _named(tree: ast.Module, name: str) -> list[str]:
    """The keys a variable holds: assigned a (f-)string, or a loop over tuples of them."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            out.append(_template(node.value))
        elif isinstance(node, ast.For) and isinstance(node.target, ast.Tuple):
            slots = [isinstance(t, ast.Name) and t.id == name for t in node.target.elts]
            if any(slots) and isinstance(node.iter, ast.Tuple | ast.List):
                at = slots.index(True)
                out += [_template(row.elts[at]) for row in node.iter.elts]
    assert out and None not in out, f"cannot tell the keys of {name}"
    return out


def bound_keys() -> dict[str, set[str]]:
    """Page file -> the keys of every widget it binds to the URL (bind=...), as templates."""
    found: dict[str, set[str]] = {}
    for path in sorted(PAGES.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            kw = {k.arg: k.value for k in node.keywords}
            if "bind" not in kw:
                continue
            assert "key" in kw, f"{path.name}:{node.lineno}: a bound widget needs a key"
            key = kw["key"]
            keys = _named(tree, key.id) if isinstance(key, ast.Name) else [_template(key)]
            assert None not in keys, f"{path.name}:{node.lineno}: a key we cannot read"
            found.setdefault(path.stem, set()).update(keys)
    return found


def carried() -> dict[str, str]:
    """Every widget key a recipe carries (per-grain keys for each grain) -> how."""
    out = {}
    for page, controls in settings.CONTROLS.items():
        for control in controls:
            for grain in GRAINS.get(page, ("",)):
                out[control.key.format(grain=grain)] = f"option {page}.{control.option}"
    for page, views in settings.VIEWS.items():
        for view in views:
            assert view.key not in out, f"{view.key} is both a control and a view"
            out[view.key] = f"view of {page}"
    return out


def _covers(template: str, key: str) -> bool:
    pattern = "[A-Za-z0-9]+".join(re.escape(part) for part in template.split("{}"))
    return re.fullmatch(pattern, key) is not None


def test_the_enumeration_finds_the_known_bound_widgets():
    keys = bound_keys()
    assert {"rfm_view", "rfm_move_measure", "rfm_{}_{}_{}", "sales_window_{}"} <= keys["rfm"] | (
        keys["sales"]
    )
    assert {"sales_bridge_previous", "sales_bridge_current"} <= keys["sales"]  # from a loop
    assert set(keys) >= set(recipe.ANALYSIS_PAGES)


def test_every_bound_widget_of_every_page_is_in_recipes_or_listed_as_not_carried():
    kept = carried()
    missing = sorted(
        f"{page}: {template}"
        for page, templates in bound_keys().items()
        for template in templates
        if template not in NOT_CARRIED and not any(_covers(template, k) for k in kept)
    )
    assert missing == [], "bound widgets a recipe does not carry: " + ", ".join(missing)


def test_every_key_a_recipe_carries_is_a_bound_widget_of_its_page():
    bound = bound_keys()
    stale = [
        (key, how)
        for key, how in carried().items()
        if not any(_covers(t, key) for templates in bound.values() for t in templates)
    ]
    assert stale == []
    assert set(settings.VIEWS) <= set(recipe.ANALYSIS_PAGES)
    assert all(recipe.VIEWS_KEY not in recipe.defaults(p) for p in recipe.ANALYSIS_PAGES)


# --- the app ------------------------------------------------------------------------------------


def test_a_recipe_restores_each_pages_views_and_notes_bad_ones():
    made = recipe.make(
        settings={
            "sales": {
                "grain": "week",
                recipe.VIEWS_KEY: {"sales_chart": "line", "sales_pattern": "Revenue bridge"},
            },
            "rfm": {
                recipe.VIEWS_KEY: {
                    "rfm_view": "Movement",
                    "rfm_move_measure": "revenue",
                    "rfm_segment_filter": 3,
                    "rfm_colour": "red",
                }
            },
        },
        demo="retail",
    )
    at = upload_recipe(apptest.page("retail", "pages/data.py"), recipe.to_toml(made))
    told = " ".join(c.value for c in at.caption).replace("\\", "")
    assert "RFM: view rfm_segment_filter = 3 is not a valid value" in told
    assert "RFM: unknown view rfm_colour ignored" in told
    at.switch_page("pages/sales.py").run()
    assert not at.exception, at.exception
    assert at.segmented_control(key="sales_grain").value == "week"
    assert at.segmented_control(key="sales_chart").value == "line"
    assert at.segmented_control(key="sales_pattern").value == "Revenue bridge"
    assert at.selectbox(key="sales_bridge_previous").value  # the bridge view is drawn
    at.switch_page("pages/rfm.py").run()
    assert not at.exception, at.exception
    assert at.segmented_control(key="rfm_view").value == "Movement"
    assert at.segmented_control(key="rfm_move_measure").value == "revenue"


def test_infinite_numbers_in_a_recipe_are_noted_not_a_failed_data_page():
    """A view or the RFM bins given as inf raised OverflowError in the Data page (its generic
    'could not finish' message), after the pages before it were restored."""
    text = (
        'demo = "retail"\n[settings.rfm]\nbins = inf\n[settings.sales]\ntop_n = 25\n'
        "[settings.events.views]\nevents_min_viewers = inf\n"
    )
    at = upload_recipe(apptest.page("retail", "pages/data.py"), text)
    assert not at.exception, at.exception
    assert not [e.value for e in at.error], [e.value for e in at.error]
    told = " ".join(c.value for c in at.caption).replace("\\", "")
    assert "Web events: view events_min_viewers = inf is not a valid value" in told
    assert "bins = inf" in told


def test_a_recipe_without_views_opens_every_view_on_its_default():
    at = apptest.page("retail", "pages/rfm.py")
    at.segmented_control(key="rfm_view").set_value("Movement").run()
    assert at.segmented_control(key="rfm_view").value == "Movement"
    at.switch_page("pages/data.py").run()
    upload_recipe(at, 'demo = "retail"\n\n[settings.rfm]\nbins = 4\n')
    at.switch_page("pages/rfm.py").run()
    assert not at.exception, at.exception
    assert at.segmented_control(key="rfm_bins").value == 4
    assert at.segmented_control(key="rfm_view").value == "Segments"


def test_a_view_value_the_page_does_not_offer_is_noted_and_opens_the_default():
    made = recipe.make(
        settings={
            "sales": {recipe.VIEWS_KEY: {"sales_chart": "pie", "sales_pattern": "Basket size"}},
            "rfm": {recipe.VIEWS_KEY: {"rfm_view": "Heatmap", "rfm_move_measure": "orders"}},
            "delivery": {recipe.VIEWS_KEY: {"delivery_side": "Customer state"}},  # a label
        },
        demo="retail",
    )
    at = upload_recipe(apptest.page("retail", "pages/data.py"), recipe.to_toml(made))
    told = " ".join(c.value for c in at.caption).replace("\\", "")
    assert "Sales: view sales_chart = pie is not one of bars, line" in told
    assert (
        "RFM: view rfm_view = Heatmap is not one of Segments, R × F grid, Profiles, Customers, "
        "Movement; the page opens on its default" in told
    )
    assert "RFM: view rfm_move_measure = orders is not one of customers, revenue" in told
    # The side is kept by its key; the label is what the control shows, not its value.
    assert "view delivery_side = Customer state is not one of customer_region, seller_region" in (
        told
    )
    assert "sales_pattern" not in told  # an offered value: restored without a word
    at.switch_page("pages/sales.py").run()
    assert not at.exception, at.exception
    assert at.segmented_control(key="sales_chart").value == "bars"
    assert at.segmented_control(key="sales_pattern").value == "Basket size"
    at.switch_page("pages/rfm.py").run()
    assert not at.exception, at.exception
    assert at.segmented_control(key="rfm_view").value == "Segments"


def _literal(tree: ast.Module, node: ast.expr) -> bool:
    """A list, tuple or dict written out, directly, through list(...) or through a name."""
    if isinstance(node, ast.Call) and node.args:
        return _literal(tree, node.args[0])
    if isinstance(node, ast.Name):
        values = [
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == node.id for t in n.targets)
        ]
        return any(_literal(tree, v) for v in values)
    return isinstance(node, ast.List | ast.Tuple | ast.Dict)


def test_the_pages_take_each_views_choices_from_settings_and_keep_no_copy():
    offered = {v.key for views in settings.VIEWS.values() for v in views if v.choices}
    checked = set()
    for path in sorted(PAGES.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            kw = {k.arg: k.value for k in node.keywords}
            key = kw.get("key", node.args[0])  # a widget's key=, or a check's first argument
            if isinstance(key, ast.Constant) and key.value in offered:
                choices = node.args[1]
                assert not _literal(tree, choices), f"{path.name}:{node.lineno}: {key.value}"
                checked.add(key.value)
    assert checked == offered
