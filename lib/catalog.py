"""Every page of the app: what it answers, what data it needs, and what would enable it."""

from __future__ import annotations

from dataclasses import dataclass

from lib.model import Dataset, grain

# What a page needs, in words ("a delivery date on each order", not "delivered at").
NEEDED = {
    "category": "a category",
    "region": "a region",
    "customer_id": "a customer id",
    "delivered_at": "a delivery date",
    "estimated_delivery_at": "an estimated delivery date",
}


@dataclass(frozen=True)
class PageInfo:
    key: str
    title: str
    icon: str
    answers: str
    needs: tuple[tuple[str, tuple[str, ...]], ...]  # (table, columns) that must all be present
    enable_hint: str  # what to upload when the data lacks it, in general words
    built: bool = False
    olist_hint: str = ""  # what Olist's export adds, said only when Olist files are loaded

    def hint(self, ds: Dataset) -> str:
        """What would enable the page, for the data loaded: `olist_hint` only with Olist files."""
        return for_data(ds, self.enable_hint, self.olist_hint)

    def missing(self, ds: Dataset) -> list[str]:
        """Human-readable list of what the loaded data lacks for this page (empty: enabled)."""
        out = []
        for table, columns in self.needs:
            if not ds.has(table):
                out.append(f"{'an' if table[0] in 'aeiou' else 'a'} {table} table")
            else:
                out += [
                    f"{NEEDED.get(c, c.replace('_', ' '))} on each {grain(table)}"
                    for c in columns
                    if not ds.has(table, c)
                ]
        return out

    def enabled(self, ds: Dataset) -> bool:
        return not self.missing(ds)


def for_data(ds: Dataset, general: str, olist: str) -> str:
    """A hint in general words, with what an Olist export adds when Olist files are loaded: a UK
    retailer's file is not told to upload olist_products_dataset.csv."""
    if olist and "olist" in ds.source_format.split("+"):
        # Every Olist table an order's lines join to hangs off the orders file.
        return f"{general} {olist if ds.has('orders') else OLIST_ORDERS}"
    return general


# What an Olist upload without its orders file lacks (order items alone make no order lines).
OLIST_ORDERS = "With Olist files, upload olist_orders_dataset.csv: the orders' dates and buyers."


# What the customer pages need (RFM, Cohorts, Clusters, Lifetime value).
CUSTOMER_HINT = (
    "Needs a customer id per order line: include a customer column in a transactions file and "
    "map it on the Data page."
)
OLIST_CUSTOMERS = "With Olist orders, upload olist_customers_dataset.csv."

PAGES: tuple[PageInfo, ...] = (
    PageInfo(
        "overview",
        "Overview",
        ":material/home:",
        "What is loaded: tables, rows, dates, currency, and which pages it enables.",
        (),
        "",
        built=True,
    ),
    PageInfo(
        "data",
        "Data",
        ":material/upload_file:",
        "Load a demo or your own exports; see what each file was recognised as; map unknown "
        "columns.",
        (),
        "",
        built=True,
    ),
    PageInfo(
        "quality",
        "Data quality",
        ":material/rule:",
        "What is wrong with the data: nulls, duplicates and every anomaly rule, with examples "
        "and downloads.",
        (),
        "Load any file.",
        built=True,
    ),
    PageInfo(
        "sales",
        "Sales",
        ":material/trending_up:",
        "Revenue over time, top items, purchase patterns and repeat buying.",
        (("lines", ()),),
        "Needs order lines: upload a transactions file with an order, a date and an amount per "
        "line (map its columns on the Data page if it is not a known export).",
        built=True,
        olist_hint="With Olist orders, upload olist_order_items_dataset.csv.",
    ),
    PageInfo(
        "categories",
        "Categories",
        ":material/category:",
        "Which categories perform best and which have the most potential.",
        (("lines", ("category",)),),
        "Needs a product category per order line: include a category column in a transactions "
        "file and map it on the Data page.",
        built=True,
        olist_hint="With Olist orders, upload olist_products_dataset.csv.",
    ),
    PageInfo(
        "regions",
        "Regions",
        ":material/map:",
        "Where customers and revenue are, on a map, and where marketing should go first.",
        (("lines", ("region",)),),
        "Needs a region per order line or per customer: include a country or state column in a "
        "transactions file and map it on the Data page.",
        built=True,
        olist_hint=OLIST_CUSTOMERS,
    ),
    PageInfo(
        "delivery",
        "Delivery",
        ":material/local_shipping:",
        "On-time rate, days to deliver and late orders by region, seller and category; what "
        "lateness costs in reviews.",
        (("orders", ("delivered_at", "estimated_delivery_at")),),
        "Needs a delivery date and a promised, estimated delivery date per order, as Olist's "
        "olist_orders_dataset.csv has them.",
        built=True,
    ),
    PageInfo(
        "funnel",
        "Seller funnel",
        ":material/filter_alt:",
        "Lead to seller conversion by origin, and which reps to match with which leads.",
        (("leads", ()), ("deals", ())),
        "Needs seller leads and closed deals: upload the Olist marketing funnel files "
        "(olist_marketing_qualified_leads_dataset.csv and olist_closed_deals_dataset.csv).",
        built=True,
    ),
    PageInfo(
        "rfm",
        "RFM",
        ":material/groups:",
        "Customer segments by recency, frequency and monetary value, with actions.",
        (("lines", ("customer_id",)),),
        CUSTOMER_HINT,
        built=True,
        olist_hint=OLIST_CUSTOMERS,
    ),
    PageInfo(
        "cohorts",
        "Cohorts",
        ":material/grid_on:",
        "How many customers of each first-purchase cohort come back, period by period.",
        (("lines", ("customer_id",)),),
        CUSTOMER_HINT,
        built=True,
        olist_hint=OLIST_CUSTOMERS,
    ),
    PageInfo(
        "clusters",
        "Clusters",
        ":material/scatter_plot:",
        "Customer clusters with a justified k, what drives them and their ROI.",
        (("lines", ("customer_id",)),),
        CUSTOMER_HINT,
        built=True,
        olist_hint=OLIST_CUSTOMERS,
    ),
    PageInfo(
        "clv",
        "Lifetime value",
        ":material/savings:",
        "What each customer is worth: BG/NBD + Gamma-Gamma with holdout validation.",
        (("lines", ("customer_id",)),),
        CUSTOMER_HINT.removesuffix(".") + ", and customers who bought more than once.",
        built=True,
        olist_hint=OLIST_CUSTOMERS,
    ),
    PageInfo(
        "events",
        "Web events",
        ":material/ads_click:",
        "Traffic by day and platform, view-to-order conversion, funnels, viewed-together "
        "recommendations.",
        (("events", ()),),
        "Needs web events: one row per user action with a time and an event name, as in the web "
        "shop's events.csv.",
        built=True,
    ),
)
PAGE_BY_KEY = {p.key: p for p in PAGES}
