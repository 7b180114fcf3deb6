"""The Clusters page in a real browser: moving the k slider redraws the profiles."""

import polars as pl
import pytest

from tests.browser import browser_page, require_chromium, wait_for_app

pytestmark = pytest.mark.browser

require_chromium()


def _clusters(page) -> str:
    metric = page.locator('[data-testid="stMetric"]', has_text="Clusters")
    return metric.first.locator('[data-testid="stMetricValue"]').inner_text()


# Glide data grids expose their rows to assistive technology as aria-rowcount (header included).
_ROWS = "el => Number(el.querySelector('[aria-rowcount]').getAttribute('aria-rowcount')) - 1"


def test_moving_the_k_slider_changes_the_profile_table_and_chart(server, tmp_path):
    with browser_page(height=1200) as page:
        page.goto(f"{server}/clusters?demo=retail")
        wait_for_app(page)
        chart = page.locator('[data-testid="stVegaLiteChart"]').first
        chart.wait_for(timeout=90_000)
        wait_for_app(page)
        # the page opens on the suggested k (the demo suggests fewer than 10)
        k = int(_clusters(page))
        assert 2 <= k < 10
        table = page.locator('[data-testid="stDataFrame"]').first
        # The grid inside the table is drawn after the run ends (once failed in a full run).
        table.locator("[aria-rowcount]").wait_for(state="attached", timeout=60_000)
        assert table.evaluate(_ROWS) == k
        chart.scroll_into_view_if_needed()
        before = chart.screenshot()

        slider = page.locator(".st-key-clusters_k input[type='range']")
        slider.scroll_into_view_if_needed()
        slider.focus()
        page.keyboard.press("ArrowRight")
        wait_for_app(page)
        page.wait_for_function(
            "k => [...document.querySelectorAll('[data-testid=stMetric]')]"
            ".some(m => m.innerText.startsWith('Clusters')"
            " && m.innerText.trim().endsWith(String(k)))",
            arg=k + 1,
            timeout=60_000,
        )
        wait_for_app(page)
        assert _clusters(page) == str(k + 1)
        assert page.locator('[data-testid="stDataFrame"]').first.evaluate(_ROWS) == k + 1
        chart = page.locator('[data-testid="stVegaLiteChart"]').first
        chart.scroll_into_view_if_needed()
        assert chart.screenshot() != before
        page.screenshot(path=str(tmp_path / "clusters.png"), full_page=True)

        # The export: every clustered customer once, with the k + 1 clusters' numbers and names.
        with page.expect_download() as saved:
            page.get_by_role("button", name="Download customer → cluster (CSV)").click()
        path = tmp_path / "customer_clusters.csv"
        saved.value.save_as(path)
        export = pl.read_csv(path, schema_overrides={"customer_id": pl.String})
        metric = page.locator('[data-testid="stMetric"]', has_text="Customers clustered").first
        clustered = metric.locator('[data-testid="stMetricValue"]').inner_text()
        assert export.height == export["customer_id"].n_unique() == int(clustered.replace(",", ""))
        assert sorted(export["cluster"].unique()) == list(range(1, k + 2))
        assert export.select("cluster", "name").unique().height == k + 1
