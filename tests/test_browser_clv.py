"""The Lifetime value page in a real browser: a new horizon changes the CLV column."""

import polars as pl
import pytest

from tests.browser import browser_page, require_chromium, wait_for_app

pytestmark = pytest.mark.browser

require_chromium()


def _clv_column(page) -> list[str]:
    """The CLV cells of the "Most valuable" table (the grid's accessible table, 2nd column)."""
    table = page.locator('[data-testid="stDataFrame"]').nth(2)
    table.scroll_into_view_if_needed()
    rows = table.locator("tbody tr")
    return [rows.nth(i).locator("td").nth(1).inner_text() for i in range(min(5, rows.count()))]


def test_changing_the_horizon_changes_the_clv_column(server, tmp_path):
    with browser_page() as page:
        page.goto(f"{server}/clv?demo=retail")
        wait_for_app(page)
        page.locator('[data-testid="stDataFrame"]').nth(2).wait_for(timeout=60_000)
        header = page.locator('[data-testid="stDataFrame"]').nth(2).locator("th").nth(1)
        assert header.inner_text().strip().startswith("CLV")
        before = _clv_column(page)
        assert len(before) == 5

        box = page.locator(".st-key-clv_horizon input")
        box.scroll_into_view_if_needed()
        box.fill("3")
        box.press("Enter")
        wait_for_app(page)
        page.locator('[data-testid="stMetric"]', has_text="Expected value, 3 months").wait_for()
        after = _clv_column(page)
        page.screenshot(path=str(tmp_path / "clv.png"), full_page=True)
        assert len(after) == 5
        assert after != before
        # Each customer is worth less over a quarter than over a year, so the top value drops.
        assert float(after[0]) < float(before[0])

        # Every customer, ranked by value when the button is clicked (not on each rerun).
        with page.expect_download() as saved:
            page.get_by_role("button", name="Download all customers").click()
        path = tmp_path / "customers.csv"
        saved.value.save_as(path)
        customers = pl.read_csv(path)
        shown = page.locator('[data-testid="stMetric"]', has_text="Customers").first
        count = shown.locator('[data-testid="stMetricValue"]').inner_text()
        assert customers.height == int(count.replace(",", ""))
        assert customers["clv"].is_sorted(descending=True)
        assert customers["clv"][0] == pytest.approx(float(after[0]), abs=0.01)
