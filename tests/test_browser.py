"""The app in a real browser (Debian's chromium via Playwright): upload, navigation, offline."""

from urllib.parse import parse_qs, urlparse

import pytest

from lib.catalog import PAGES
from tests.browser import browser_page, external_requests, require_chromium, wait_for_app

pytestmark = pytest.mark.browser

require_chromium()

CSV = (
    "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
    "1001,A1,MUG,2,12/1/2010 8:26,2.50,17850,United Kingdom\n"
    "1001,A1,MUG,2,12/1/2010 8:26,2.50,17850,United Kingdom\n"
    "C1002,A1,MUG,-1,12/2/2010 9:00,2.50,17850,United Kingdom\n"
    "1003,POST,POSTAGE,1,12/3/2010 10:00,18.00,,France\n"
)


def test_uploaded_file_shows_up_in_the_quality_report(server, tmp_path):
    upload = tmp_path / "my_invoices.csv"
    upload.write_text(CSV)
    with browser_page() as page:
        page.goto(f"{server}/data")
        wait_for_app(page)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(upload))
        page.get_by_text("Online Retail: lines").first.wait_for(timeout=60_000)
        wait_for_app(page)
        page.locator('[data-testid="stSidebarNav"] a', has_text="Data quality").click()
        wait_for_app(page)
        page.locator(
            '[data-testid="stMarkdownContainer"]', has_text="Exact duplicate rows"
        ).first.wait_for(timeout=60_000)
        body = page.locator('[data-testid="stMain"]').inner_text()
        page.screenshot(path=str(tmp_path / "quality.png"), full_page=True)
    assert "Cancelled or returned lines" in body
    assert "Non-product stock codes" in body
    assert "Lines without a customer" in body


def test_every_page_is_in_the_sidebar_and_overview_has_its_own_link(server):
    with browser_page() as page:
        page.goto(f"{server}/overview?demo=retail")
        wait_for_app(page)
        titles = page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()
        shown = [t.split("\n")[-1] for t in titles]  # each link reads "icon\n\nTitle"
        url = page.url
        main = page.locator('[data-testid="stMain"]').inner_text()
        dialogs = page.locator('[role="dialog"]').count()
        more = page.locator('[data-testid="stSidebarNavViewButton"]').count()
    assert sorted(shown) == sorted(p.title for p in PAGES if p.built)
    assert more == 0
    # /overview lands on the Overview, served at the root, with its query kept: no pop-up.
    assert dialogs == 0
    assert urlparse(url).path == "/" and parse_qs(urlparse(url).query) == {"demo": ["retail"]}
    assert "Online retail demo" in main


def test_the_app_asks_nothing_of_the_internet(server):
    with browser_page() as page:
        outside = external_requests(page)
        for path in ("", "regions?demo=marketplace", "sales?demo=webshop"):
            page.goto(f"{server}/{path}")
            wait_for_app(page)
        favicon = page.evaluate("() => document.querySelector(\"link[rel='shortcut icon']\").href")
    assert outside == []
    assert favicon.startswith(f"{server}/media/")


def test_the_running_indicator_has_its_toolbar(server):
    """toolbarMode "minimal" hides the toolbar, and with it the running indicator."""
    with browser_page() as page:
        page.goto(f"{server}/quality?demo=webshop")
        wait_for_app(page)
        toolbar = page.locator('[data-testid="stToolbar"]').count()
        developer = page.locator('[data-testid="stAppDeployButton"]').count()
    assert toolbar == 1
    assert developer == 0


def test_wait_for_app_returns_after_the_rerun_a_widget_asked_for(server):
    with browser_page() as page:
        page.goto(f"{server}/data?demo=marketplace")
        wait_for_app(page)
        picker = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
        picker.locator("[role='combobox']").click()
        page.get_by_role("option", name="Online retail demo").click()
        wait_for_app(page)
        # No waiting of its own: the rerun must be over and drawn when wait_for_app returns.
        status = page.locator('[data-testid="stSidebar"] [data-testid="stCaptionContainer"]')
        text = status.first.inner_text()
    assert text.startswith("Online retail demo")
