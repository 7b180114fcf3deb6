"""The RFM page in a browser: switch to custom thresholds, move one, see the segments change."""

import pytest

from tests.browser import browser_page, require_chromium, wait_for_app

pytestmark = pytest.mark.browser

require_chromium()


def _segments_reading(page) -> str:
    return page.locator(
        '[data-testid="stCaptionContainer"]', has_text="is the largest segment"
    ).inner_text()


def test_moving_a_threshold_slider_changes_the_segments(server, tmp_path):
    with browser_page() as page:
        page.goto(f"{server}/rfm?demo=retail")
        wait_for_app(page)
        chart = page.locator('[data-testid="stVegaLiteChart"]').first
        chart.wait_for(timeout=60_000)

        page.locator(".st-key-rfm_mode button", has_text="My thresholds").click()
        wait_for_app(page)
        slider = page.locator(".st-key-rfm_frequency_5_3 input[type='range']")
        slider.wait_for(state="attached", timeout=30_000)
        before = _segments_reading(page)
        value_before = int(slider.input_value())

        # The main area scrolls inside its own container: bring the slider into view first.
        slider.scroll_into_view_if_needed()
        slider.focus()
        for _ in range(5):
            page.keyboard.press("ArrowRight")
        wait_for_app(page)
        assert int(slider.input_value()) == value_before + 5
        after = _segments_reading(page)
        page.screenshot(path=str(tmp_path / "rfm.png"), full_page=True)
        assert after != before
        assert chart.is_visible()
