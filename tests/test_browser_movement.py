"""The RFM page's Movement view in a browser: move the earlier date, see the flows change."""

import re

import pytest

from tests.browser import browser_page, full_page_screenshot, require_chromium, wait_for_app

pytestmark = pytest.mark.browser

require_chromium()


def _caption(page, text: str | re.Pattern) -> str:
    return page.locator('[data-testid="stCaptionContainer"]', has_text=text).inner_text()


def _gone(reading: str) -> tuple[int, int]:
    """(gone, earlier customers) as the reading prints them."""
    found = re.search(r"([\d,]+) of the ([\d,]+) earlier customers placed no order", reading)
    assert found, reading
    return int(found[1].replace(",", "")), int(found[2].replace(",", ""))


def test_moving_the_earlier_date_changes_the_flows(server, tmp_path):
    with browser_page() as page:
        page.goto(f"{server}/rfm?demo=retail")
        wait_for_app(page)
        page.locator(".st-key-rfm_view button", has_text="Movement").click()
        wait_for_app(page)
        chart = page.locator('[data-testid="stVegaLiteChart"]').first
        chart.wait_for(timeout=60_000)
        reading = _caption(page, "earlier customers placed no order")
        assert "From 10 Sep 2023 to 10 Dec 2023:" in reading
        assert "\\" not in reading  # names escaped once: no backslash shows
        # The caption under the flows on the largest move: between segments, or of new customers.
        move = re.compile(r"customers (went from|first bought between the dates)")
        first_move = _caption(page, move)
        before = _gone(reading)

        # The earlier date's month three down: 10 Sep 2023 becomes 10 Jun 2023.
        month = page.locator('.st-key-rfm_move_from [aria-label="month, Compare with"]')
        month.scroll_into_view_if_needed()
        month.click()
        for _ in range(3):
            page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        page.locator('[data-testid="stMain"] h1').click()
        wait_for_app(page)
        assert month.inner_text() == "06"
        assert "rfm_move_from=2023-06-10" in page.url

        reading = _caption(page, "earlier customers placed no order")
        assert "From 10 Jun 2023 to 10 Dec 2023:" in reading
        after = _gone(reading)
        # Six months of window instead of three: fewer earlier customers, fewer of them gone.
        assert after[1] < before[1] and after[0] < before[0]
        assert _caption(page, move) != first_move
        full_page_screenshot(page, tmp_path / "rfm_movement.png")
        assert chart.is_visible()
