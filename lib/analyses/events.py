"""Web behaviour: traffic, view-to-order conversion, funnels and viewed-together items."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import polars as pl

from lib import fmt, measures, periods, quality, stats
from lib.model import Dataset

VIEW = "view_item"
EVENT_RULES = ("empty_days", "misspelled_parameter")
LOW_DAY_SHARE = 0.25  # a day under a quarter of its neighbours' median is a partial outage
TYPICAL_DAYS = 15  # centred window of the typical-day median
# Fewer users doing the leading platform's commonest event: where changes are seen most is a
# few people's habit, not the platform's (a web shop of 8 users), and is not designed for.
MIN_USERS = 30
GRAINS = {"day": "1d", "week": "1w"}
SCORES = ("lift", "cosine")
_DAY_US = 86_400 * 1_000_000


def _days(window_days: float) -> pl.Expr:
    return pl.duration(microseconds=int(window_days * _DAY_US))


def _platform(events: pl.DataFrame) -> pl.Expr:
    if "platform" in events.columns:
        return pl.col("platform").fill_null("unknown")
    return pl.lit("unknown")


# --- traffic ------------------------------------------------------------------------------------


def daily_status(events: pl.DataFrame) -> pl.DataFrame:
    """Events and active users on every calendar day of the range, with outages flagged.

    One row per day (no gaps) with events, users, typical (median events of the TYPICAL_DAYS
    days centred on it, empty days included as 0) and status: "no events", "abnormally few"
    (under LOW_DAY_SHARE of typical) or "normal".
    """
    per_day = events.group_by(pl.col("event_at").dt.date().alias("day")).agg(
        pl.len().alias("events"), pl.col("user_id").n_unique().alias("users")
    )
    if per_day.height == 0:
        return pl.DataFrame(
            schema={
                "day": pl.Date,
                "events": pl.Int64,
                "users": pl.Int64,
                "typical": pl.Float64,
                "status": pl.String,
            }
        )
    calendar = pl.DataFrame(
        {"day": pl.date_range(per_day["day"].min(), per_day["day"].max(), "1d", eager=True)}
    )
    out = (
        calendar.join(per_day, on="day", how="left")
        .with_columns(pl.col("events", "users").fill_null(0).cast(pl.Int64))
        .with_columns(
            pl.col("events")
            .cast(pl.Float64)
            .rolling_median(TYPICAL_DAYS, min_samples=1, center=True)
            .alias("typical")
        )
    )
    return out.with_columns(
        pl.when(pl.col("events") == 0)
        .then(pl.lit("no events"))
        .when(pl.col("events") < LOW_DAY_SHARE * pl.col("typical"))
        .then(pl.lit("abnormally few"))
        .otherwise(pl.lit("normal"))
        .alias("status")
    )


def events_per_day(events: pl.DataFrame, by: str = "event_name") -> pl.DataFrame:
    """Events per day split by `by` (event_name or platform).

    One row per (day, group) that has events: day, group, events; sorted by day and group.
    """
    group = _platform(events) if by == "platform" else pl.col(by).fill_null("unknown")
    return (
        events.group_by(pl.col("event_at").dt.date().alias("day"), group.alias("group"))
        .agg(pl.len().alias("events"))
        .sort("day", "group")
    )


def event_mix(events: pl.DataFrame) -> pl.DataFrame:
    """Events and users per platform and event name.

    One row per (platform, event_name): events, users (distinct), share (of all events, 0..1);
    sorted by events, largest first.
    """
    total = max(events.height, 1)
    return (
        events.group_by(_platform(events).alias("platform"), "event_name")
        .agg(pl.len().alias("events"), pl.col("user_id").n_unique().alias("users"))
        .with_columns(
            pl.col("events", "users").cast(pl.Int64), (pl.col("events") / total).alias("share")
        )
        .sort(["events", "platform", "event_name"], descending=[True, False, False])
    )


def active_users(events: pl.DataFrame, grain: str = "week") -> pl.DataFrame:
    """Users active per day or week, split into new (first event ever in this period) and returning.

    One row per period with an event: period (date of its start), users, new_users,
    returning_users, new_share (0..1), partial (the events' first or last day falls inside the
    period, after its start or before its end: the export cuts it short).
    """
    # Truncating the few (user, day) rows is far cheaper than truncating every event's time.
    # (Lazy: polars plans the distinct step over 5M rows several times faster than eagerly.)
    days = events.lazy().select("user_id", pl.col("event_at").dt.date().alias("day")).unique()
    seen = days.select("user_id", pl.col("day").dt.truncate(GRAINS[grain]).alias("period"))
    if grain != "day":
        seen = seen.unique()
    seen = seen.collect()
    first_day, last_day = (events["event_at"].min().date(), events["event_at"].max().date())
    # Per-period counts straight from the (user, period) rows: no join back to every row.
    active = seen.group_by("period").agg(pl.len().alias("users"))
    first = (
        seen.group_by("user_id")
        .agg(pl.col("period").min())
        .group_by("period")
        .agg(pl.len().alias("new_users"))
    )
    return (
        active.join(first, on="period", how="left")
        .with_columns(pl.col("users", "new_users").fill_null(0).cast(pl.Int64))
        .with_columns(
            (pl.col("users") - pl.col("new_users")).alias("returning_users"),
            (pl.col("new_users") / pl.col("users")).alias("new_share"),
            periods.partial(pl.col("period"), GRAINS[grain], first_day, last_day).alias("partial"),
        )
        .sort("period")
    )


# --- view -> order conversion -------------------------------------------------------------------


def _sales(lines: pl.DataFrame) -> pl.DataFrame:
    keep = pl.col("customer_id").is_not_null() & pl.col("item_id").is_not_null()
    if "is_return" in lines.columns:
        keep &= ~pl.col("is_return").fill_null(False)
    return lines.filter(keep).select(
        pl.col("customer_id").alias("user_id"), "item_id", "ordered_at"
    )


def view_lags(events: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """How soon each viewed (user, item, platform) was followed by an order of that item.

    The window-free part of conversion, computed once: lag is the shortest time from a view of
    the item on that platform to a later (or simultaneous) sale line of it by the same user
    (returns left out), null when none followed. One row per (user_id, item_id, platform)
    viewed: lag (Duration).
    """
    views = (
        events.lazy()
        .filter((pl.col("event_name") == VIEW) & pl.col("item_id").is_not_null())
        .select("user_id", "item_id", _platform(events).alias("platform"), "event_at")
    )
    keys = ["user_id", "item_id", "platform"]
    lags = (
        views.join(_sales(lines).lazy(), on=["user_id", "item_id"])
        .filter(pl.col("ordered_at") >= pl.col("event_at"))
        .group_by(keys)
        .agg((pl.col("ordered_at") - pl.col("event_at")).min().alias("lag"))
    )
    return views.select(keys).unique().join(lags, on=keys, how="left").collect()


def item_lags(lags: pl.DataFrame) -> pl.DataFrame:
    """`view_lags` over all platforms: one row per (user_id, item_id) viewed, lag (shortest)."""
    return lags.group_by("user_id", "item_id").agg(pl.col("lag").min())


def converted(lags: pl.DataFrame, window_days: float = 7) -> pl.DataFrame:
    """`lags` (from view_lags or item_lags) with converted: an order came within the window."""
    return lags.with_columns(
        (pl.col("lag").is_not_null() & (pl.col("lag") <= _days(window_days))).alias("converted")
    )


def converted_views(
    events: pl.DataFrame, lines: pl.DataFrame, window_days: float = 7
) -> pl.DataFrame:
    """Which viewed (user, item, platform) led to an order of that item by that user in time.

    Converted when some sale line (returns left out) of the item by the user falls within
    `window_days` after some view of it on that platform (the view and order may be the same
    moment). One row per (user_id, item_id, platform) viewed: lag, converted (bool).
    """
    return converted(view_lags(events, lines), window_days)


def _rate(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.col("viewers", "buyers").cast(pl.Int64),
        pl.when(pl.col("viewers") > 0)
        .then(pl.col("buyers") / pl.col("viewers"))
        .alias("conversion"),
    )


def conversion_by_platform(units: pl.DataFrame) -> pl.DataFrame:
    """View -> order conversion per platform from `converted_views` rows.

    One row per platform: viewers (user-item pairs viewed there), buyers (of those, ordered in
    the window), conversion (0..1), relative (conversion / the conversion of all platforms);
    sorted by conversion, highest first.
    """
    overall = units["converted"].mean() if units.height else None
    out = _rate(
        units.group_by("platform").agg(
            pl.len().alias("viewers"), pl.col("converted").sum().alias("buyers")
        )
    )
    return out.with_columns(
        (pl.col("conversion") / overall if overall else pl.lit(None, pl.Float64)).alias("relative")
    ).sort(["conversion", "platform"], descending=[True, False])


def _per_item(units: pl.DataFrame) -> pl.DataFrame:
    if "platform" not in units.columns:  # already one row per (user, item): item_lags
        return units
    return units.group_by("user_id", "item_id").agg(pl.col("converted").any())


def conversion_by_item(
    units: pl.DataFrame, lines: pl.DataFrame, items: pl.DataFrame | None = None
) -> pl.DataFrame:
    """View -> order conversion per item, with all of the item's buyers for contrast.

    `units`: `converted_views` rows, or `converted(item_lags(...))` rows (faster on reruns).

    viewers: users who viewed it (any platform); buyers: of those, who ordered it within the
    window; conversion (0..1); customers: everyone with a sale line of it (viewed or not).
    One row per viewed or sold item: item_id, item_name, category (when known), viewers,
    buyers, conversion, customers; sorted by viewers, most first, then item_id.
    """
    viewed = _rate(
        _per_item(units)
        .group_by("item_id")
        .agg(pl.len().alias("viewers"), pl.col("converted").sum().alias("buyers"))
    )
    sold = _sales(lines).group_by("item_id").agg(pl.col("user_id").n_unique().alias("customers"))
    out = viewed.join(sold, on="item_id", how="full", coalesce=True).with_columns(
        pl.col("viewers", "buyers", "customers").fill_null(0).cast(pl.Int64)
    )
    names = item_names(lines, items)
    out = out.join(names, on="item_id", how="left")
    cols = ["item_id", *[c for c in ("item_name", "category") if c in names.columns]]
    return out.select(*cols, "viewers", "buyers", "conversion", "customers").sort(
        ["viewers", "item_id"], descending=[True, False]
    )


def item_names(lines: pl.DataFrame | None, items: pl.DataFrame | None = None) -> pl.DataFrame:
    """item_id with item_name and category where known, from the items table or else the lines.

    One row per item_id (no rows when neither table has items).
    """
    for source in (items, lines):
        if source is not None and source.height and "item_id" in source.columns:
            keep = [c for c in ("item_id", "item_name", "category") if c in source.columns]
            return source.select(keep).drop_nulls("item_id").unique("item_id", keep="first")
    return pl.DataFrame(schema={"item_id": pl.String})


def conversion_by_category(by_item_units: pl.DataFrame, names: pl.DataFrame) -> pl.DataFrame:
    """View -> order conversion per category from converted rows (as conversion_by_item takes).

    `names` has item_id, category. One row per category (null as "unknown"): viewers (user-item
    pairs), buyers, conversion (0..1); sorted by viewers, most first.
    """
    return _rate(
        _per_item(by_item_units)
        .join(names.select("item_id", "category"), on="item_id", how="left")
        .group_by(pl.col("category").fill_null("unknown"))
        .agg(pl.len().alias("viewers"), pl.col("converted").sum().alias("buyers"))
    ).sort(["viewers", "category"], descending=[True, False])


def mismatched_items(
    by_item: pl.DataFrame, *, min_viewers: int = 20, top: int = 10
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Items viewed often but rarely bought, and items bought often but rarely viewed first.

    First: items with at least `min_viewers` viewers, lowest conversion first (ties: most
    viewers). Second: items by customers who did not convert from a view (customers - buyers),
    most first. Both keep `by_item`'s columns, `top` rows each.
    """
    browsed = by_item.filter(pl.col("viewers") >= min_viewers).sort(
        ["conversion", "viewers", "item_id"], descending=[False, True, False]
    )
    unviewed = (
        by_item.with_columns((pl.col("customers") - pl.col("buyers")).alias("without_view"))
        .filter(pl.col("without_view") > 0)
        .sort(["without_view", "item_id"], descending=[True, False])
    )
    return browsed.head(top), unviewed.head(top)


# --- funnel ---------------------------------------------------------------------------------------

# A funnel step that is no event of the events table: the user placing an order (a sale order of
# the order lines, its customer the user), so that a funnel can end in a purchase.
ORDERED = "order placed"
# The funnel table's headers, as the Web events page and the report head them.
FUNNEL_HEADERS = {
    "platform": "Platform (of entry)",
    "step": "Step",
    "event_name": "Event",
    "users": "Users",
    "step_conversion": "Of previous step",
    "overall_conversion": "Of step 1",
}


def funnel_events(ds: Dataset) -> pl.DataFrame:
    """The events a funnel's steps are picked from: the events table, and where the data has
    order lines with a customer, one ORDERED event per sale order (user_id: its customer,
    event_at: its time; no platform or item: a funnel's platform is its entry event's)."""
    events = ds.table("events")
    if not ds.has("lines", "customer_id"):
        return events
    lines = ds.tables["lines"]
    orders = (
        lines.lazy()
        .filter(pl.col("customer_id").is_not_null())
        .group_by("order_id")
        .agg(
            pl.col("customer_id").first().alias("user_id"),
            pl.col("ordered_at").min().alias("event_at"),
            measures.is_sale(lines).any().alias("_sale"),
        )
        .filter("_sale")
        .select(
            pl.col("user_id").cast(events.schema["user_id"]),
            pl.lit(ORDERED).alias("event_name"),
            pl.col("event_at").cast(events.schema["event_at"]),
        )
        .collect()
    )
    # The events' columns stay as they are (no copy): the orders get theirs, empty.
    return pl.concat([events, orders], how="diagonal", rechunk=False)


def funnel_paths(events: pl.DataFrame, steps: tuple[str, ...]) -> pl.DataFrame:
    """How long after entering each user reached each step of a funnel, before any window.

    A user enters at their first event of steps[0]; step k is reached at the first event of
    steps[k] at or after the moment step k-1 was reached. Reaching each step as early as
    possible makes a window a plain cut: step k is in the funnel within w days exactly when its
    lag is at most w. One row per (user, step reached): user_id, platform (of the entry event),
    step (1-based), lag (Duration since entry).
    """
    slim = (
        events.lazy()
        .filter(pl.col("event_name").is_in(list(steps)))
        .select("user_id", "event_name", "event_at", _platform(events).alias("platform"))
        .collect()
    )
    entry = (
        slim.filter(pl.col("event_name") == steps[0])
        .group_by("user_id")
        .agg(
            pl.col("event_at").min().alias("start"),
            pl.col("platform").get(pl.col("event_at").arg_min()),
        )
    )
    current = entry.select("user_id", "start", pl.col("start").alias("at"))
    reached = [current.with_columns(pl.lit(1).alias("step"))]
    for k, name in enumerate(steps[1:], start=2):
        current = (
            current.join(
                slim.filter(pl.col("event_name") == name).select("user_id", "event_at"),
                on="user_id",
            )
            .filter(pl.col("event_at") >= pl.col("at"))
            .group_by("user_id", "start")
            .agg(pl.col("event_at").min().alias("at"))
        )
        reached.append(current.with_columns(pl.lit(k).alias("step")))
    return (
        pl.concat(reached)
        .join(entry.select("user_id", "platform"), on="user_id")
        .select(
            "user_id",
            "platform",
            pl.col("step").cast(pl.Int64),
            (pl.col("at") - pl.col("start")).alias("lag"),
        )
    )


def funnel_steps(
    paths: pl.DataFrame, steps: tuple[str, ...], window_days: float = 7
) -> pl.DataFrame:
    """The funnel table from `funnel_paths`: steps reached within `window_days` of entry.

    One row per (platform, step) with platform "all" first: platform, step (1-based),
    event_name, users, step_conversion (of the previous step, 0..1), overall_conversion (of
    step 1, 0..1).
    """
    counts = (
        paths.filter(pl.col("lag") <= _days(window_days))
        .group_by("platform", "step")
        .agg(pl.len().cast(pl.Int64).alias("users"))
    )
    counts = pl.concat(
        [
            counts.group_by("step").agg(pl.col("users").sum()).with_columns(platform=pl.lit("all")),
            counts,
        ],
        how="diagonal",
    )
    platforms = counts.select("platform").unique()
    step_names = pl.DataFrame(
        {"step": list(range(1, len(steps) + 1)), "event_name": list(steps)},
        schema={"step": pl.Int64, "event_name": pl.String},
    )
    order = (pl.col("platform") != "all").alias("_rest")
    return (
        platforms.join(step_names, how="cross")
        .join(counts, on=["platform", "step"], how="left")
        .with_columns(pl.col("users").fill_null(0).cast(pl.Int64))
        .sort(order, "platform", "step")
        .with_columns(
            (pl.col("users") / pl.col("users").shift(1).over("platform")).alias("step_conversion"),
            (pl.col("users") / pl.col("users").first().over("platform")).alias(
                "overall_conversion"
            ),
        )
        .with_columns(
            pl.when(pl.col("step") == 1)
            .then(1.0)
            .otherwise(pl.col("step_conversion"))
            .fill_nan(None)
            .alias("step_conversion"),
            pl.col("overall_conversion").fill_nan(None),
        )
        .select("platform", "step", "event_name", "users", "step_conversion", "overall_conversion")
    )


def funnel(events: pl.DataFrame, steps: tuple[str, ...], window_days: float = 7) -> pl.DataFrame:
    """A user-defined funnel of event names in order, split by the entry platform.

    `funnel_steps(funnel_paths(events, steps), steps, window_days)`: see those two.
    """
    if not steps:
        return funnel_steps(
            pl.DataFrame(
                schema={
                    "user_id": pl.String,
                    "platform": pl.String,
                    "step": pl.Int64,
                    "lag": pl.Duration("us"),
                }
            ),
            steps,
            window_days,
        )
    return funnel_steps(funnel_paths(events, steps), steps, window_days)


# --- viewed together ----------------------------------------------------------------------------


def co_views(events: pl.DataFrame) -> pl.DataFrame:
    """Item pairs viewed by the same user on the same day, before any threshold.

    One row per unordered pair (item_a < item_b as text) with users (distinct users who viewed
    both on one day), users_a, users_b (distinct users who viewed each at all), lift
    (users * all viewing users / (users_a * users_b)) and cosine (users / sqrt(users_a *
    users_b)); sorted by users, most first, then item_a, item_b.
    """
    views = (
        events.lazy()
        .filter((pl.col("event_name") == VIEW) & pl.col("item_id").is_not_null())
        .select("user_id", pl.col("event_at").dt.date().alias("day"), "item_id")
        .unique()
        .collect()
    )
    baskets = views.lazy()
    viewers = views.lazy().group_by("item_id").agg(pl.col("user_id").n_unique().alias("n"))
    total = views["user_id"].n_unique()
    pairs = (
        baskets.join(baskets, on=["user_id", "day"], suffix="_b")
        .filter(pl.col("item_id") < pl.col("item_id_b"))
        .select("user_id", pl.col("item_id").alias("item_a"), pl.col("item_id_b").alias("item_b"))
        .unique()
        .group_by("item_a", "item_b")
        .agg(pl.len().cast(pl.Int64).alias("users"))
    )
    return (
        pairs.join(viewers.rename({"item_id": "item_a", "n": "users_a"}), on="item_a")
        .join(viewers.rename({"item_id": "item_b", "n": "users_b"}), on="item_b")
        .with_columns(
            pl.col("users_a", "users_b").cast(pl.Int64),
            (pl.col("users") * total / (pl.col("users_a") * pl.col("users_b"))).alias("lift"),
            (pl.col("users") / (pl.col("users_a") * pl.col("users_b")).sqrt()).alias("cosine"),
        )
        .sort(["users", "item_a", "item_b"], descending=[True, False, False])
        .collect()
    )


def top_pairs(pairs: pl.DataFrame, min_support: int = 5, score: str = "lift") -> pl.DataFrame:
    """Pairs with at least `min_support` co-viewing users, best `score` first (ties: users)."""
    return pairs.filter(pl.col("users") >= min_support).sort(
        [score, "users", "item_a", "item_b"], descending=[True, True, False, False]
    )


def pair_items(best: pl.DataFrame) -> list[str]:
    """The items of the pairs `best` (top_pairs), most co-viewed first (users summed over their
    pairs; ties by id): the items a recommendation can be asked for, the first the one the page
    and the headless twin open on."""
    return (
        pl.concat(
            [
                best.select(pl.col("item_a").alias("item_id"), "users"),
                best.select(pl.col("item_b").alias("item_id"), "users"),
            ]
        )
        .group_by("item_id")
        .agg(pl.col("users").sum())
        .sort(["users", "item_id"], descending=[True, False])["item_id"]
        .to_list()
    )


def recommendations(
    pairs: pl.DataFrame, item: str, min_support: int = 5, score: str = "lift", top: int = 10
) -> pl.DataFrame:
    """Items most often viewed with `item` by the same users: the "viewed together" list.

    One row per partner item with at least `min_support` co-viewing users, best `score` first:
    item_id, users, lift, cosine; at most `top` rows.
    """
    kept = pairs.filter(pl.col("users") >= min_support)
    partner = pl.when(pl.col("item_a") == item).then(pl.col("item_b")).otherwise(pl.col("item_a"))
    return (
        kept.filter((pl.col("item_a") == item) | (pl.col("item_b") == item))
        .select(partner.alias("item_id"), "users", "lift", "cosine")
        .sort([score, "users", "item_id"], descending=[True, True, False])
        .head(top)
    )


def with_names(frame: pl.DataFrame, names: pl.DataFrame, column: str = "item_id") -> pl.DataFrame:
    """`frame` with item_name (and category) joined on `column`, placed right after it."""
    extra = [c for c in ("item_name", "category") if c in names.columns]
    if not extra:
        return frame
    renamed = names.select(
        pl.col("item_id").alias(column),
        *[pl.col(c).alias(c if column == "item_id" else f"{c}_{column[-1]}") for c in extra],
    )
    joined = frame.join(renamed, on=column, how="left")
    added = [c for c in renamed.columns if c != column]
    cols = list(frame.columns)
    at = cols.index(column) + 1
    return joined.select(*cols[:at], *added, *cols[at:])


# --- anomalies ----------------------------------------------------------------------------------


def event_findings(ds: Dataset) -> list[quality.Finding]:
    """The anomaly report's findings of the event rules (EVENT_RULES), worst first."""
    return [f for f in quality.report(ds).findings if f.rule in EVENT_RULES]


# --- readings -----------------------------------------------------------------------------------


def daily_reading(status: pl.DataFrame) -> str:
    """One sentence on tracking outages in `daily_status`, or on the busiest day when none."""
    if status.height == 0:
        return "No events in this selection."
    empty = status.filter(pl.col("status") == "no events")
    low = status.filter(pl.col("status") == "abnormally few")
    if empty.height or low.height:
        days = pl.concat([empty, low]).sort("day")["day"]
        shown = ", ".join(fmt.day(d) for d in days.head(4))
        more = f" and {days.len() - 4} more" if days.len() > 4 else ""
        parts = [
            f"{fmt.counted(n.height, 'day has', 'days have')} {what}"
            for n, what in ((empty, "no events"), (low, "abnormally few"))
            if n.height
        ]
        return (
            f"{' and '.join(parts)} ({shown}{more}):"
            " treat them as tracking outages and leave them out of daily rates, or fix the "
            "tracking before trusting day-level comparisons."
        )
    top = status.sort("events", descending=True).row(0, named=True)
    return (
        f"Every day from {fmt.day(status['day'][0])} to {fmt.day(status['day'][-1])} has events; "
        f"the busiest was {fmt.day(top['day'])} with {top['events']:,}, "
        f"{top['events'] / status['events'].median():.1f}× a typical day."
    )


def mix_reading(mix: pl.DataFrame) -> str:
    """One sentence on the leading platform and event name in `event_mix`."""
    if mix.height == 0:
        return "No events in this selection."

    def leading(column: str) -> tuple[list[str], str]:
        """The values of `column` with the largest share of events as written (ties together,
        in name order) and that share."""
        tied, top = fmt.pct_top(mix.group_by(column).agg(pl.col("share").sum()), "share")
        return tied.sort(column)[column].to_list(), top

    platforms, platform_share = leading("platform")
    names, name_share = leading("event_name")
    listed = fmt.listed([_words(n) for n in names], most=3)
    event = (
        f"{listed} is the most common event ({name_share})"
        if len(names) == 1
        else f"{listed} are the most common events ({name_share} each)"
    )
    if platforms == ["unknown"]:  # no platform recorded: none to design for
        return f"{event[:1].upper()}{event[1:]}; no platform is recorded to design for."
    where = fmt.listed([_words(p) for p in platforms], most=3)
    brings = (
        f"{where} brings {platform_share} of events"
        if len(platforms) == 1
        else f"{where} bring {platform_share} of events each"
    )
    if len(platforms) > 1:  # no one platform to put first
        return f"{brings} and {event}."
    doubts = _lead_doubts(mix, platforms[0])
    if doubts:
        return f"{brings} and {event}, but {doubts}: too little to say where changes are seen most."
    return f"{brings} and {event}: design and test changes there first, where they are seen most."


def _lead_doubts(mix: pl.DataFrame, platform: str) -> str:
    """Why the events of `mix` do not put `platform`, the one with the most, first: too few
    users (no event of it done by MIN_USERS users: a lower bound of its users, as `event_mix`
    counts them per event), or its events within chance of the runner-up's (the exact binomial
    of its share of the two at one half, stats.SINGLE); empty when neither. Events come in
    clusters of one user's, which the minimum of users keeps from deciding alone."""
    per = mix.group_by("platform").agg(pl.col("events").sum(), pl.col("users").max())
    lead = per.filter(pl.col("platform") == platform).row(0, named=True)
    rest = per.filter(pl.col("platform") != platform).sort(
        ["events", "platform"], descending=[True, False]
    )
    where = _words(platform)
    doubts = []
    if lead["users"] < MIN_USERS:
        doubts.append(f"no {where} event has more than {fmt.counted(lead['users'], 'user')}")
    if rest.height:
        second = rest.row(0, named=True)
        z = stats.share_z_of(lead["events"], lead["events"] + second["events"], 0.5)
        if not stats.SINGLE.beyond(z):
            whose = "its" if doubts else f"{where}'s"
            doubts.append(
                f"{whose} {lead['events']:,} events are within chance of "
                f"{_words(second['platform'])}'s {second['events']:,}"
            )
    return " and ".join(doubts)


def active_reading(active: pl.DataFrame, grain: str = "week") -> str:
    """One sentence on the last full period's active and new users in `active_users` (periods
    the export cuts short left out), and how its new share compares with the full period
    before: said to have moved only beyond chance (the pooled two-proportion z, stats.SINGLE)."""
    inner = active.filter(~pl.col("partial"))
    if inner.height < 2:
        return f"Too few full {grain}s to compare active users."
    before, last = inner.row(-2, named=True), inner.row(-1, named=True)
    when = f"{'In the week of' if grain == 'week' else 'On'} {fmt.day(last['period'])}"
    text = (
        f"{when}, {last['users']:,} users were active, "
        f"{fmt.pct(last['new_share'])} of them new (median {grain}: "
        f"{fmt.pct(inner['new_share'].median())})"
    )
    z = stats.shares_z_of(last["new_users"], last["users"], before["new_users"], before["users"])
    earlier = f"the {grain} before ({fmt.pct(before['new_share'])} of {before['users']:,})"
    if not stats.SINGLE.beyond(z):
        return f"{text}, within chance of {earlier}."
    # A share moves with either count: both are said, not what moved it.
    return (
        f"{text}: {'fewer' if z < 0 else 'more'} of them new than {earlier}, beyond chance; new "
        f"users went from {before['new_users']:,} to {last['new_users']:,} and returning ones "
        f"from {before['returning_users']:,} to {last['returning_users']:,}."
    )


def _words(value: object) -> str:
    """A category, platform or event name as the charts label it, for a sentence: 'mobile_web'
    -> 'Mobile web', 'add_to_cart' -> 'Add to cart' (the downloads keep the codes)."""
    return fmt.named(fmt.value_words(value))


def _named(rows: pl.DataFrame, column: str) -> str:
    """The rows' values of `column` as a sentence lists them, as the charts label them (_words)."""
    return fmt.listed([_words(v) for v in rows[column]])


def _verb(rows: pl.DataFrame, extreme: str) -> str:
    return f"converts {extreme}" if rows.height == 1 else f"convert {extreme}, tied"


def _items(rows: pl.DataFrame, column: str) -> str:
    """The rows' item names (or ids) of `column` as a sentence lists them, as the tables show
    them (not worded as categories are)."""
    return fmt.listed([fmt.named(v) for v in rows[column]])


def _by_chance(
    found: stats.Extremes,
    column: str,
    rows: str,
    average: str,
    named: Callable[[pl.DataFrame, str], str] = _named,
) -> str:
    """'; iPhone's 95% interval (45.1%–53.8%) clears the 32.2% average, but with 4 platforms
    compared, one this far out is expected by chance': the best and worst of `found` whose own
    interval clears the pooled share (`average`: how the reading names it, '{}' for the share,
    written with as many decimals as the interval: 'clears the 32.18%' beside 32.20%) though
    that is within chance across the `rows` compared (plural); "" when none. `named` lists the
    rows' names (_named, or _items for items)."""
    digits, sides = stats.by_interval(found)
    # The average written alike beside every interval, with the decimals the nearest needs.
    clears = average.format(fmt.pct(found.pooled, digits))
    said = []
    for _, groups in sides:
        if len(groups) == 1 and groups[0][0].height == 1:
            ((cells, text),) = groups
            said.append(f"{named(cells, column)}'s 95% interval ({text}) clears {clears}")
            continue
        # Tied rows: each with its own interval ('A (10.8%–60.3%) and B (14.5%–51.9%)').
        each = stats.intervals_listed([(named(r, column), r.height, t) for r, t in groups])
        said.append(f"the 95% intervals of {each} clear {clears}")
    if not said:
        return ""
    # Why neither counts, once for both.
    named = found.chance_best.height + found.chance_worst.height  # tied rows each
    return f"; {' and '.join(said)}, but {stats.expected_among(found, rows, named)}"


def _order_less(rows: pl.DataFrame, own: bool = False) -> str:
    """Why the `rows` platforms' viewers order less, as far as the data tells: a view is on a
    platform, the order that follows on any (the web shop's orders name none), so not its
    checkout alone. "Web's viewers ...", "Android's and Web's ..." (tied), or with `own` "its"
    or "their"."""
    n = rows.height
    if own:
        whose = fmt.plural(n, "its", "their")
    else:
        whose = fmt.listed([f"{_words(v)}'s" for v in rows["platform"]])
    lack = fmt.plural(n, "the platform lacks", "the platforms lack")
    them = fmt.plural(n, "it", "them")
    return f"{whose} viewers order less often, for what {lack} or for who uses {them}"


def platform_reading(by_platform: pl.DataFrame, window_days: int) -> str:
    """One sentence on the platforms that convert best and worst, each named only when its
    conversion differs from the platforms' average beyond chance across the m compared
    (stats.extremes; m: the platforms with views), or why one whose own 95% interval clears
    the average is not named (`_by_chance`)."""
    rows = by_platform.filter(pl.col("viewers") > 0)
    if rows.height == 0:
        return "No item views to convert."
    ordered = f"of viewed items are ordered within {fmt.counted(window_days, 'day')}"
    if rows.height == 1:
        return f"All views come from one platform: {fmt.pct(rows['conversion'][0])} {ordered}."
    found = stats.extremes(rows, "buyers", "viewers")
    if found.level:
        return f"Platforms convert alike: {found.level} {ordered} on each."
    best, worst = found.best, found.worst
    held = f"beyond chance{stats.across(found.compared, 'platforms')}"
    chance = _by_chance(found, "platform", "platforms", "the {} average")
    if best.height and worst.height:
        return (
            f"On {_named(best, 'platform')}, {best['_shown'][0]} {ordered}, "
            f"{best['conversion'][0] / worst['conversion'][0]:.1f}× {_named(worst, 'platform')} "
            f"({worst['_shown'][0]}), both {held}: {_order_less(worst)}."
            if worst["conversion"][0]
            else f"On {_named(best, 'platform')}, {best['_shown'][0]} {ordered}, while on "
            f"{_named(worst, 'platform')} none are, both {held}: {_order_less(worst)}."
        )
    if best.height:
        return (
            f"On {_named(best, 'platform')}, {best['_shown'][0]} {ordered}, above the platforms' "
            f"average {held}; none is below it beyond chance{chance}."
        )
    if worst.height:
        return (
            f"On {_named(worst, 'platform')}, only {worst['_shown'][0]} {ordered}, below the "
            f"platforms' average {held}: {_order_less(worst, own=True)}{chance}."
        )
    ranked = rows.sort("conversion")
    return (
        f"Platforms convert alike within chance: {fmt.pct(ranked['conversion'][0])} "
        f"({_named(ranked[:1], 'platform')}) to {fmt.pct(ranked['conversion'][-1])} "
        f"({_named(ranked[-1:], 'platform')}) {ordered}{chance}."
    )


def category_reading(by_category: pl.DataFrame, window_days: int) -> str:
    """One sentence on the categories that convert best and worst, each named only when its
    conversion differs from the average of all views beyond chance across the m compared
    (stats.extremes; m: the categories with views), or why one whose own 95% interval clears
    the average is not named (`_by_chance`)."""
    rows = by_category.filter(pl.col("viewers") > 0)
    if rows.height < 2:
        return "Too few categories to compare."
    ordered = f"of views ordered within {fmt.counted(window_days, 'day')}"
    found = stats.extremes(rows, "buyers", "viewers")
    if found.level:
        return f"Every category converts alike: {found.level} {ordered}."
    said: list[str] = []
    for cells, extreme in ((found.best, "best"), (found.worst, "worst")):
        if cells.height:
            # The first names its figure in full, the second after it in short: "C worst (30%)".
            figure = cells["_shown"][0] + ("" if said else f" {ordered}")
            verb = _verb(cells, extreme) if not said else _verb(cells, extreme).split(" ", 1)[1]
            said.append(f"{_named(cells, 'category')} {verb} ({figure})")
    named = "the {} of all views"  # the pooled share's words, for the reading and _by_chance
    average = named.format(fmt.pct(found.pooled))
    chance = _by_chance(found, "category", "categories", named)
    if not said:
        return (
            f"No category converts differently from {average} beyond chance"
            f"{stats.across(found.compared, 'categories')} "
            f"({ordered.removeprefix('of views ')}){chance}."
        )
    advice = (
        ": look at its items' conversion before its prices, photos and stock (a few items can "
        "pull a category down)"
        if found.worst.height
        else ""
    )
    return (
        f"{', '.join(said)}, against {fmt.pct(found.pooled)} of all views, beyond chance"
        f"{stats.across(found.compared, 'categories')}{advice}{chance}."
    )


def items_reading(by_item: pl.DataFrame, unviewed: pl.DataFrame, min_viewers: int) -> str:
    """One sentence naming the items with `min_viewers` viewers or more (mismatched_items) that
    convert worst, only when below the pooled conversion of them all beyond chance across the
    items compared (stats.extremes), and the item most bought without a view, beside the share
    of all items' buyers who did not view what they bought."""
    parts = []
    label = "item_name" if "item_name" in by_item.columns else "item_id"
    judged = by_item.filter(pl.col("viewers") >= min_viewers)
    if judged.height == 1:
        parts.append(
            f"Only {fmt.named(judged[label][0])} has {min_viewers:,} viewers or more: no other "
            "item to compare its conversion with"
        )
    elif judged.height:
        found = stats.extremes(judged, "buyers", "viewers")
        named = "the {} of all their views"  # the pooled share's words, as in category_reading
        average = named.format(fmt.pct(found.pooled))
        items = f"the {found.compared:,} items with {min_viewers:,} viewers or more"
        if found.level:
            parts.append(f"Every one of {items} converts alike ({found.level})")
        elif found.worst.height == 1:
            row = found.worst.row(0, named=True)
            ordered = f"only {row['_shown']} order it" if row["buyers"] else "none order it"
            parts.append(
                f"{fmt.named(row[label])} is viewed by {row['viewers']:,} users but {ordered}, "
                f"against {average}, beyond chance across {items}: check its price, description "
                "and stock"
            )
        elif found.worst.height:
            parts.append(
                f"{_items(found.worst, label)} convert worst, tied ({found.worst['_shown'][0]}), "
                f"against {average}, beyond chance across {items}: check their prices, "
                "descriptions and stock"
            )
        else:
            low = replace(found, chance_best=found.chance_best[:0])
            parts.append(
                f"None of {items} converts below {average} beyond chance"
                f"{_by_chance(low, label, 'items', named, _items)}"
            )
    if unviewed.height:
        # Said as a count beside the shop's share, with no advice: a popular item has many such
        # buyers (the web shop's second item by units: 125 of 247, as 50% of all items' buyers).
        row = unviewed.row(0, named=True)
        shop = 1 - by_item["buyers"].sum() / by_item["customers"].sum()
        z = stats.share_z_of(row["without_view"], row["customers"], shop)
        # Within chance of the shop's share, the count says how popular the item is, no more.
        usual = (
            ", within chance of it: many buyers, not an unusual way of buying it"
            if z is not None and abs(z) <= stats.Z95
            else ""
        )
        parts.append(
            f"{fmt.named(row[label])} has the most buyers who did not view it shortly before "
            f"ordering: {row['without_view']:,} of its {row['customers']:,} "
            f"({fmt.pct(row['without_view'] / row['customers'])}), against {fmt.pct(shop)} of "
            f"the buyers of all items{usual}"
        )
    return ("; ".join(parts) + ".") if parts else "No item has enough views to judge."


def funnel_reading(steps: pl.DataFrame, window_days: int) -> str:
    """One sentence on the funnel's overall conversion, its worst step, and the platforms that
    convert best and worst beyond chance across the m compared (stats.extremes; m: the
    platforms with users at the first step), or why one whose own 95% interval clears the
    pooled conversion is not named."""
    overall = steps.filter(pl.col("platform") == "all")
    if overall.height == 0 or overall["users"][0] == 0:
        return "No user reached the funnel's first step."
    first, last = overall.row(0, named=True), overall.row(-1, named=True)
    text = (
        f"Of {first['users']:,} users who did {_words(first['event_name'])}, "
        f"{fmt.pct(last['overall_conversion'])} reached {_words(last['event_name'])} within "
        f"{fmt.counted(window_days, 'day')} of their first {_words(first['event_name'])}"
    )
    # A step after one nobody reached has no conversion (0 of 0): no loss to blame on it.
    steps_after = overall.slice(1).filter(pl.col("step_conversion").is_not_null())
    if overall.height > 2 and steps_after.height:
        worst = steps_after.sort("step_conversion").row(0, named=True)
        text += (
            f"; the biggest loss is before {_words(worst['event_name'])} "
            f"({fmt.pct(1 - (worst['step_conversion'] or 0))} drop out)"
        )
    per_platform = steps.filter(pl.col("platform") != "all")
    ends = (
        per_platform.filter(pl.col("step") == 1)
        .select("platform", pl.col("users").alias("entered"))
        .join(
            per_platform.filter(pl.col("step") == overall.height).select("platform", "users"),
            on="platform",
        )
        .filter(pl.col("entered") > 0)
        .sort("platform")
    )
    if ends.height > 1:
        found = stats.extremes(ends, "users", "entered")
        said = [
            f"{_named(cells, 'platform')} {_verb(cells, extreme)} ({cells['_shown'][0]})"
            for cells, extreme in ((found.best, "best"), (found.worst, "worst"))
            if cells.height
        ]
        held = f"beyond chance{stats.across(found.compared, 'platforms')}"
        if said:
            text += "; " + ", ".join(said) + f", {held}"
        elif found.level:
            text += f"; every platform converts alike ({found.level})"
        else:
            text += f"; no platform converts differently from the rest {held}"
        text += _by_chance(found, "platform", "platforms", "the {} of all")
    return text + "."


def partners(best: pl.DataFrame, item: str) -> int:
    """How many items `best` (top_pairs) pairs with `item`: the partners its recommendations
    are chosen from, which a reading on the top one compares."""
    return best.filter((pl.col("item_a") == item) | (pl.col("item_b") == item)).height


def ordered_items(lines: pl.DataFrame | None) -> frozenset[str] | None:
    """The items with a sale line (a customer's, not a return), None without order lines."""
    if lines is None or "item_id" not in lines.columns:
        return None
    return frozenset(_sales(lines)["item_id"].unique().to_list())


def recommendations_reading(
    recs: pl.DataFrame, item_label: str, compared: int, ordered: frozenset[str] | None = None
) -> str:
    """One sentence on the chosen item's strongest viewed-together partner, recommended only
    when its users clear what chance gives (users / lift: as many as if the two items' viewers
    were drawn independently) beyond chance across the `compared` partners (partners) it was
    picked from (stats.count_z against stats.critical), and when it has been ordered (`ordered`,
    ordered_items; None: not known): a partner nobody bought is viewed, not sold."""
    item_label = fmt.named(item_label)
    if recs.height == 0:
        return (
            f"No item is viewed with {item_label} by enough users: lower the minimum support or "
            "pick a more viewed item."
        )
    top = recs.row(0, named=True)
    label = fmt.named(
        f"{top['item_name']} ({top['item_id']})" if top.get("item_name") else top["item_id"]
    )
    said = f"{top['users']:,} users who viewed {item_label} also viewed {label} the same day"
    if top["lift"] <= 1:
        return (
            f"{said}, {top['lift']:,.2f}× as often as chance would have it: no more than chance, "
            "so nothing to show under it."
        )
    chance = top["users"] / top["lift"]
    often = f"{said}, {top['lift']:,.1f}× as often as chance would have it ({chance:,.1f} users)"
    if stats.count_z(top["users"], chance) <= stats.critical(compared):
        return (
            f"{often}, but {stats.expected(compared, 'partner items')}: more views would tell "
            "whether to show it."
        )
    if ordered is not None and str(top["item_id"]) not in ordered:
        return (
            f"{often}, beyond chance{stats.across(compared, 'partner items')}, but nobody has "
            "ordered it: find out why (price, stock, its page) before sending more views to it."
        )
    return (
        f"{often}, beyond chance{stats.across(compared, 'partner items')}: show it under "
        '"viewed together" on that item\'s page.'
    )


# --- headless -----------------------------------------------------------------------------------


def headless(
    ds: Dataset,
    *,
    window_days: int = 7,
    steps: str = "view_item,add_to_cart",
    item: str = "",
    min_support: int = 5,
    score: str = "lift",
) -> dict[str, pl.DataFrame]:
    """Every table of the Web events page for `python -m lib events`.

    Keys: daily, mix, active_users (per week), conversion_by_item, conversion_by_category,
    conversion_by_platform, funnel, pairs, recommendations (for `item`, or when empty the item
    the page opens on: the first of pair_items). The conversion keys are left out without order
    lines (with a customer and an item), conversion_by_category without item categories.
    """
    events = ds.table("events")
    out = {
        "daily": daily_status(events),
        "mix": event_mix(events),
        "active_users": active_users(events, "week"),
    }
    if ds.has("lines", "customer_id", "item_id"):
        lines = ds.tables["lines"]
        units = converted_views(events, lines, window_days)
        names = item_names(lines, ds.tables.get("items"))
        out["conversion_by_item"] = conversion_by_item(units, lines, ds.tables.get("items"))
        if "category" in names.columns:
            out["conversion_by_category"] = conversion_by_category(units, names)
        out["conversion_by_platform"] = conversion_by_platform(units)
    else:
        names = item_names(None, ds.tables.get("items"))
    wanted = tuple(s.strip() for s in steps.split(",") if s.strip())
    out["funnel"] = funnel(funnel_events(ds) if ORDERED in wanted else events, wanted, window_days)
    pairs = co_views(events)
    best = top_pairs(pairs, min_support, score)
    out["pairs"] = with_names(with_names(best, names, "item_a"), names, "item_b")
    chosen = item or next(iter(pair_items(best)), "")
    out["recommendations"] = with_names(recommendations(pairs, chosen, min_support, score), names)
    return out
