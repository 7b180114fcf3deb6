"""Full-page screenshots of every page on every demo and, when ../shared/data exists, real data.

Run: `make screenshots` (or `.venv/bin/python bench/screenshots.py --out DIR`). Writes one PNG per
data set and page, `<data set>_<nn>_<page>.png`, at 1440x900 and the page's full height, to
screenshots/ (ignored by git). The real data sets are the Online Retail parquet and the Olist
subset with products, sellers, payments, category names and the marketing funnel, uploaded
through the Data page as a user would. Needs the dev requirements and Debian's chromium.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lib import demo  # noqa: E402
from lib.catalog import PAGES  # noqa: E402
from tests.browser import (  # noqa: E402
    browser_page,
    full_page_screenshot,
    open_page,
    streamlit_server,
    upload,
    wait_for_app,
)

SHARED = ROOT.parent / "shared" / "data"
WIDTH, HEIGHT = 1440, 900


def real_data_sets(shared: Path) -> dict[str, list[Path]]:
    """The real files to upload, per data set; empty when ../shared/data is absent."""
    if not shared.is_dir():
        return {}
    olist = shared / "olist"
    sets = {
        "real_retail": [shared / "online_retail" / "online_retail.parquet"],
        "real_olist": [
            *sorted((olist / "subset_cab-g_8135_orders").glob("*.csv.gz")),
            olist / "olist_products_dataset.csv.gz",
            olist / "olist_sellers_dataset.csv.gz",
            olist / "olist_order_payments_dataset.parquet",
            olist / "product_category_name_translation.csv",
            *sorted((shared / "olist_marketing_funnel").glob("*.csv.gz")),
        ],
    }
    return {name: files for name, files in sets.items() if all(f.exists() for f in files)}


def shoot(url: str, name: str, files: list[Path] | None, out: Path, keys: list[str]) -> list[Path]:
    """Open a session on a demo (`name`) or on uploaded `files`; screenshot each page."""
    written = []
    with browser_page(width=WIDTH, height=HEIGHT) as page:
        if files is None:
            page.goto(f"{url}/?demo={name}")
            wait_for_app(page, 300_000)
        else:
            page.goto(f"{url}/data")
            wait_for_app(page, 300_000)
            upload(page, files, timeout_ms=600_000)
        pages = [p for p in PAGES if p.built and p.key in keys]
        for i, info in enumerate(pages):
            began = time.perf_counter()
            open_page(page, info.key, info.title, timeout_ms=600_000)
            path = out / f"{name}_{i:02d}_{info.key}.png"
            full_page_screenshot(page, path)
            written.append(path)
            print(f"{path}  ({time.perf_counter() - began:.1f} s)", flush=True)
    return written


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--out", default=str(ROOT / "screenshots"), help="folder for the PNGs")
    args.add_argument("--demos", default=",".join(demo.KINDS), help="demos, comma-separated")
    args.add_argument("--pages", default="", help="page keys (default: every page)")
    args.add_argument("--no-real", action="store_true", help="skip the real data sets")
    opts = args.parse_args()
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    keys = opts.pages.split(",") if opts.pages else [p.key for p in PAGES if p.built]
    sets: dict[str, list[Path] | None] = {k: None for k in opts.demos.split(",") if k}
    if not opts.no_real:
        sets.update(real_data_sets(SHARED))
    written = []
    with streamlit_server() as url:
        for name, files in sets.items():
            written += shoot(url, name, files, out, keys)
    print(f"{len(written)} screenshots in {out}")


if __name__ == "__main__":
    main()
