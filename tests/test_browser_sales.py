"""The Sales page in a real browser: the top-N slider and the date filter change what is shown."""

import re

import pytest

from tests.browser import browser_page, require_chromium, wait_for_app

pytestmark = pytest.mark.browser

require_chromium()


def _top_reading(page) -> str:
    # The top items' reading: '... leads (narrowly) with ...; the top 10 of N items make ...'.
    top = re.compile(r"leads (narrowly )?with")
    return page.locator('[data-testid="stCaptionContainer"]', has_text=top).inner_text()


def _revenue(page) -> str:
    metric = page.locator('[data-testid="stMetric"]', has_text="Net revenue")
    return metric.locator('[data-testid="stMetricValue"]').inner_text()


def test_top_n_slider_and_date_filter_change_the_page(server, tmp_path):
    with browser_page() as page:
        page.goto(f"{server}/sales?demo=retail")
        wait_for_app(page)
        page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=60_000)
        assert re.search(r"the top 10 of", _top_reading(page))
        revenue_before = _revenue(page)

        # The main area scrolls inside its own container: bring the slider into view first.
        slider = page.locator(".st-key-sales_topn input[type='range']")
        slider.scroll_into_view_if_needed()
        slider.focus()
        for _ in range(5):
            page.keyboard.press("ArrowRight")
        wait_for_app(page)
        assert re.search(r"the top 15 of", _top_reading(page))

        # The start date's year one up: 1 Dec 2022 becomes 1 Dec 2023, nine days of data.
        year = page.locator('.st-key-sales_dates [aria-label="year, Dates start date"]')
        year.scroll_into_view_if_needed()
        year.click()
        page.keyboard.press("ArrowUp")
        page.keyboard.press("Enter")
        page.locator('[data-testid="stMain"] h1').click()
        wait_for_app(page)
        assert year.inner_text() == "2023"
        page.screenshot(path=str(tmp_path / "sales.png"), full_page=True)
        assert _revenue(page) != revenue_before
        assert page.locator('[data-testid="stVegaLiteChart"]').first.is_visible()
