"""The Delivery page in a browser: change the map metric and the worst sellers' minimum."""

import re

import pytest

from tests.browser import browser_page, require_chromium, wait_for_app

pytestmark = pytest.mark.browser

require_chromium()


def _caption(page, text: str) -> str:
    return page.locator('[data-testid="stCaptionContainer"]', has_text=text).first.inner_text()


def test_map_metric_and_seller_minimum_change_the_page(server, tmp_path):
    with browser_page() as page:
        page.goto(f"{server}/delivery?demo=marketplace")
        wait_for_app(page)
        page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=60_000)
        assert "late rate" in _caption(page, "Map colour:")

        select = page.locator(".st-key-delivery_metric [role='combobox']")
        select.scroll_into_view_if_needed()
        select.click()
        # Chosen by typing: the option list can open outside the viewport when the page has
        # moved since (the full suite, a busy machine), where a click on it never lands.
        page.keyboard.type("Median days to deliver")
        page.get_by_role("option", name="Median days to deliver").wait_for()
        page.keyboard.press("Enter")
        wait_for_app(page)
        assert "median days to deliver" in _caption(page, "Map colour:")
        page.locator('[data-testid="stDeckGlJsonChart"]').first.screenshot(
            path=str(tmp_path / "delivery_map.png")
        )

        view = page.locator(".st-key-delivery_view button", has_text="Seller")
        view.scroll_into_view_if_needed()
        view.click()
        wait_for_app(page)
        before = _caption(page, "delivered orders, worst late rate first")
        assert re.search(r"at least 20 delivered", before)

        box = page.locator(".st-key-delivery_min_orders input")
        box.scroll_into_view_if_needed()
        box.fill("60")
        box.press("Enter")
        wait_for_app(page)
        after = _caption(page, "delivered orders, worst late rate first")
        assert re.search(r"at least 60 delivered", after)
        assert int(after.split()[0].replace(",", "")) < int(before.split()[0].replace(",", ""))
        page.locator('[data-testid="stVegaLiteChart"]').nth(2).screenshot(
            path=str(tmp_path / "delivery_sellers.png")
        )
