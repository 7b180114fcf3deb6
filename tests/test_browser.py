"""Upload through a real browser and see the quality report (Debian's chromium via Playwright)."""

import pytest

from tests.browser import browser_page, require_chromium, wait_for_app

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
