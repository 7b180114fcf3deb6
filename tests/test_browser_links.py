"""Links in a real browser: a copied URL reopens the same view in a new session, bad parameters
give notes, and a link made on uploaded files opens once they are loaded."""

from __future__ import annotations

import re

import pytest

from tests.browser import (
    TRACKER,
    browser_page,
    open_page,
    require_chromium,
    upload,
    wait_for_app,
)
from tests.test_links import RETAIL_CSV

pytestmark = pytest.mark.browser

require_chromium()

# Every metric card on the page: label -> shown value.
METRICS = """() => Object.fromEntries([...document.querySelectorAll('[data-testid="stMetric"]')]
  .map(m => [m.querySelector('[data-testid="stMetricLabel"]').innerText.trim(),
             m.querySelector('[data-testid="stMetricValue"]').innerText.trim()]))"""


def figures(page, count: int = 1) -> dict[str, str]:
    """The page's metrics, once at least `count` are drawn (a new browser context loads the
    widgets' scripts after the run: the page shows placeholders until then)."""
    page.wait_for_function(
        "n => document.querySelectorAll('[data-testid=\"stMetricValue\"]').length >= n",
        arg=count,
        timeout=60_000,
    )
    return page.evaluate(METRICS)


def fresh_page(page):
    """A page in a new browser context: its own cookies and storage, a new app session."""
    context = page.context.browser.new_context(viewport={"width": 1400, "height": 1000})
    other = context.new_page()
    other.add_init_script(TRACKER)
    return other


def choose(page, key: str, option: str) -> None:
    """Click an option of a segmented control and wait for the rerun."""
    page.locator(f".st-key-{key} button", has_text=re.compile(f"^{re.escape(option)}$")).click()
    wait_for_app(page)


def notes(page) -> list[str]:
    texts = page.locator('[data-testid="stCaptionContainer"]').all_inner_texts()
    return [t for t in texts if "Link adjusted" in t]


def no_errors(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    errors = page.locator('[data-testid="stAlertContentError"]').all_inner_texts()
    assert not errors, errors


def test_links_copied_on_three_pages_reopen_the_same_figures(server):
    views = []
    with browser_page() as page:
        page.goto(f"{server}/sales?demo=retail")
        wait_for_app(page)
        before = figures(page)
        region = page.locator(".st-key-sales_regions input")
        region.click()
        region.fill("France")
        page.keyboard.press("Enter")
        wait_for_app(page)
        page.keyboard.press("Escape")
        choose(page, "sales_grain", "week")
        assert "sales_regions=France" in page.url and "sales_grain=week" in page.url
        assert figures(page) != before  # France alone: other figures
        views.append((page.url, figures(page)))

        open_page(page, "rfm", "RFM")
        choose(page, "rfm_bins", "3")
        choose(page, "rfm_ties_frequency", "by value")
        assert "rfm_bins=3" in page.url
        views.append((page.url, figures(page)))

        open_page(page, "clusters", "Clusters")
        k = int(figures(page)["Clusters"])
        slider = page.locator(".st-key-clusters_k input[type='range']")
        slider.scroll_into_view_if_needed()
        slider.focus()
        page.keyboard.press("ArrowRight")
        wait_for_app(page)
        page.wait_for_function(
            "k => location.search.includes('clusters_k=' + k)", arg=k + 1, timeout=60_000
        )
        wait_for_app(page)
        assert figures(page)["Clusters"] == str(k + 1)
        views.append((page.url, figures(page)))

        for url, seen in views:
            other = fresh_page(page)
            other.goto(url)
            wait_for_app(other)
            assert figures(other, len(seen)) == seen, url
            assert not notes(other)
            no_errors(other)
            other.context.close()


def test_links_with_out_of_range_parameters_give_notes_not_errors(server):
    with browser_page() as page:
        page.goto(
            f"{server}/clusters?demo=retail&clusters_k=50&clusters_margin=250"
            "&clusters_view=Nonsense"
        )
        wait_for_app(page)
        no_errors(page)
        said = " ".join(notes(page))
        seen = page.evaluate("() => JSON.stringify(window.__storelens)")[:300]
        shown = page.locator('[data-testid="stMain"]').inner_text()[:600]
        assert "50 is outside 2 to 10" in said, (page.url, seen, shown)
        assert "250 is outside 0 to 100" in said
        assert "Nonsense is not one of" in said
        # All four cards: a page adjusting its link can still be drawing the later ones.
        assert figures(page, 4)["Clusters"] == "10"
        assert "clusters_k=10" in page.url and "Nonsense" not in page.url

        page.goto(
            f"{server}/sales?demo=retail&sales_dates=2001-01-01&sales_dates=2099-12-31"
            "&sales_topn=-4&sales_categories=Gadgets"
        )
        wait_for_app(page)
        no_errors(page)
        said = " ".join(notes(page))
        assert "is outside the data" in said and "-4 is outside 5 to 50" in said
        assert "sales_topn=5" in page.url and "sales_dates" not in page.url

        page.goto(f"{server}/rfm?demo=retail&rfm_bins=9&rfm_view=Customers&rfm_segment_filter=x")
        wait_for_app(page)
        no_errors(page)
        said = " ".join(notes(page))
        assert "9 is not one of 3, 4, 5" in said and "not in this data, ignored: x" in said


def test_a_link_made_on_uploaded_files_opens_once_they_are_loaded(server, tmp_path):
    csv = tmp_path / "retail.csv"
    csv.write_bytes(RETAIL_CSV)
    with browser_page() as page:
        page.goto(f"{server}/data?demo=marketplace")
        wait_for_app(page)
        upload(page, [csv])
        open_page(page, "sales", "Sales")
        choose(page, "sales_rank_by", "revenue")
        link, seen = page.url, figures(page)
        assert "files=retail.csv" in link and re.search(r"fp=[0-9a-f]{12}", link)

        other = fresh_page(page)
        other.goto(link)
        wait_for_app(other)
        waiting = " ".join(other.locator('[data-testid="stAlert"]').all_inner_texts())
        assert "retail.csv" in waiting and re.search(r"fp=([0-9a-f]{12})", link)[1] in waiting
        open_page(other, "data", "Data")
        other.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files([str(csv)])
        other.wait_for_url(re.compile(r"/sales\?"), timeout=120_000)
        wait_for_app(other)
        assert figures(other, len(seen)) == seen
        assert "sales_rank_by=revenue" in other.url


def test_a_downloaded_recipe_restores_the_figures_in_a_new_session(server, tmp_path):
    with browser_page() as page:
        page.goto(f"{server}/cohorts?demo=retail")
        wait_for_app(page)
        choose(page, "cohort_grain", "quarter")
        choose(page, "cohort_metric", "Orders")
        cohorts = figures(page)
        open_page(page, "rfm", "RFM")
        choose(page, "rfm_bins", "4")
        rfm = figures(page)
        with page.expect_download() as saved:
            page.get_by_role("button", name="Download recipe").click()
        recipe = tmp_path / "recipe.toml"
        saved.value.save_as(recipe)
        text = recipe.read_text()
        assert 'demo = "retail"' in text and "bins = 4" in text and 'grain = "quarter"' in text

        other = fresh_page(page)
        other.goto(f"{server}/data?demo=marketplace")
        wait_for_app(other)
        other.get_by_role("button", name="Upload a recipe").click()
        other.locator(
            '[data-testid="stPopoverBody"] [data-testid="stFileUploaderDropzoneInput"]'
        ).set_input_files([str(recipe)])
        other.get_by_text("Recipe applied").wait_for(timeout=60_000)
        wait_for_app(other)
        other.keyboard.press("Escape")  # close the popover
        open_page(other, "cohorts", "Cohorts")
        assert figures(other, len(cohorts)) == cohorts
        assert "cohort_grain=quarter" in other.url
        open_page(other, "rfm", "RFM")
        assert figures(other, len(rfm)) == rfm
        no_errors(other)


def test_a_recipe_saved_right_after_a_section_reran_alone_has_its_setting(server, tmp_path):
    """The cohort grain reruns its section alone (a fragment), not the sidebar: the recipe saved
    from the sidebar straight after must still carry the new grain."""
    with browser_page() as page:
        page.goto(f"{server}/cohorts?demo=retail")
        wait_for_app(page)
        choose(page, "cohort_grain", "week")
        with page.expect_download() as saved:
            page.get_by_role("button", name="Download recipe").click()
        recipe = tmp_path / "recipe.toml"
        saved.value.save_as(recipe)
        assert 'grain = "week"' in recipe.read_text()


def test_a_report_built_before_a_section_reran_alone_is_offered_again_for_the_new_setting(server):
    """The page's report is built for the settings of its time; once the cohort grain (a section
    that reruns alone) changes, its save button must give way to a new build, not keep offering
    the old file."""
    with browser_page() as page:
        page.goto(f"{server}/cohorts?demo=retail")
        wait_for_app(page)
        main = page.locator('[data-testid="stMain"]')
        main.get_by_role("button", name="Download report").click()
        save = main.get_by_role("button", name=re.compile("^Save the report"))
        save.wait_for(timeout=120_000)
        wait_for_app(page)
        choose(page, "cohort_grain", "week")
        main.get_by_role("button", name="Download report").wait_for(timeout=60_000)
        assert save.count() == 0
        no_errors(page)
