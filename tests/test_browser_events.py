"""The Web events page in a real browser: pick a funnel and an item, see the results change."""

import re

import pytest

from lib import demo, fmt
from tests.browser import browser_page, require_chromium, wait_for_app

pytestmark = pytest.mark.browser

require_chromium()


def _reading(page, text: str) -> str:
    return page.locator('[data-testid="stCaptionContainer"]', has_text=text).first.inner_text()


def _overall(page) -> str:
    metric = page.locator('[data-testid="stMetric"]', has_text="Overall:")
    return metric.inner_text()


def test_picking_funnel_steps_and_an_item_shows_their_results(server, tmp_path):
    with browser_page() as page:
        page.goto(f"{server}/events?demo=webshop")
        wait_for_app(page)
        page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=60_000)
        assert "View item → Add to cart" in _overall(page)

        # The funnel: clear the default steps, then pick login, view_item, add_to_cart in order.
        steps = page.locator(".st-key-events_steps")
        steps.scroll_into_view_if_needed()
        steps.locator(
            '[aria-label="Clear all"], [data-testid="stMultiSelectClearAll"]'
        ).first.click()
        wait_for_app(page)
        for name in ("login", "view_item", "add_to_cart"):
            steps.locator("input").click()
            page.keyboard.type(fmt.value_words(name))
            page.get_by_role("option", name=fmt.value_words(name), exact=True).click()
            wait_for_app(page)
        page.locator('[data-testid="stMain"] h1').click()
        wait_for_app(page)
        assert "Login → Add to cart" in _overall(page)
        reading = _reading(page, "users who did Login")
        assert re.search(r"reached Add to cart within 7 days", reading)
        assert "the biggest loss is before" in reading

        # The item: pick the first item of a planted pair; its partner leads the list.
        a, b = demo.CO_VIEWED_PAIRS[2]
        box = page.locator(".st-key-events_item")
        box.scroll_into_view_if_needed()
        box.click()
        page.keyboard.type(f"({a})")
        page.get_by_role("option", name=re.compile(rf"\({a}\)$")).first.click()
        wait_for_app(page)
        reading = _reading(page, "as often as chance would have it")
        assert f"({a}) also viewed" in reading
        assert f"({b}) the same day" in reading
        chart = page.locator('[data-testid="stVegaLiteChart"]').last
        chart.scroll_into_view_if_needed()
        assert chart.is_visible()
        page.screenshot(path=str(tmp_path / "events.png"), full_page=True)
