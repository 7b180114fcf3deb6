"""Charts of the Web events page: traffic, mix, users, conversion, funnel, viewed together."""

from __future__ import annotations

import altair as alt
import polars as pl

from lib import fmt
from lib.analyses.events import GRAINS
from lib.charts import ACCENT, DAY_LABEL, MUTED, PALETTE, count_axis, pct_axis, period_axis
from lib.charts.memo import memo

_FLAG = "#ef4444"
# The colours of event names, and apart from them of platforms, in every chart of the page, each
# in one order so that a name keeps its colour from chart to chart and no colour means an event
# in one chart and a platform in another: no red (the flagged days' rules), the two greens apart
# (the teal for events, the emerald for platforms).
_EVENT_COLOURS = [PALETTE[i] for i in (0, 1, 2, 9, 8)]
_PLATFORM_COLOURS = [PALETTE[i] for i in (6, 5, 7, 4)]
_COLOURS = {"event_name": _EVENT_COLOURS, "platform": _PLATFORM_COLOURS}


def _in_words(frame: pl.DataFrame, *codes: str) -> pl.DataFrame:
    """Platforms and event names as the readings name them ('mobile_web' -> 'Mobile web')."""
    return frame.with_columns(fmt.label_expr(pl.col(c)).alias(c) for c in codes)


@memo
def daily_chart(
    per_day: pl.DataFrame, status: pl.DataFrame, split_title: str, by: str = "event_name"
) -> alt.LayerChart:
    """Stacked daily events per group (`by`: event_name or platform), with red rules on days
    without or with too few events."""
    data = _in_words(per_day, "group").with_columns(pl.col("day").cast(pl.Datetime("ms")))
    flagged = status.filter(pl.col("status") != "normal").with_columns(
        pl.col("day").cast(pl.Datetime("ms"))
    )
    axis = period_axis(data["day"], "1d")
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("day:T", title=None, axis=axis),
            y=alt.Y("sum(events):Q", title="Events per day", axis=count_axis()),
            color=alt.Color(
                "group:N",
                title=split_title,
                scale=alt.Scale(range=_COLOURS[by]),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("day:T", title="Day", format=DAY_LABEL),
                alt.Tooltip("group:N", title=split_title),
                alt.Tooltip("sum(events):Q", title="Events", format=","),
            ],
        )
    )
    rules = (
        alt.Chart(flagged)
        .mark_rule(color=_FLAG, strokeWidth=2, strokeDash=[4, 2])
        .encode(
            x="day:T",
            tooltip=[
                alt.Tooltip("day:T", title="Day", format=DAY_LABEL),
                alt.Tooltip("status:N", title="Flag"),
                alt.Tooltip("events:Q", title="Events", format=","),
                alt.Tooltip("typical:Q", title="Typical day", format=",.0f"),
            ],
        )
    )
    return alt.layer(bars, rules).properties(height=300)


@memo
def mix_chart(mix: pl.DataFrame) -> alt.Chart:
    """Events per platform (rows), stacked by event name."""
    mix = _in_words(mix, "platform", "event_name")
    order = (
        mix.group_by("platform")
        .agg(pl.col("events").sum())
        .sort("events", descending=True)["platform"]
        .to_list()
    )
    return (
        alt.Chart(mix)
        .mark_bar()
        .encode(
            y=alt.Y("platform:N", title=None, sort=order),
            x=alt.X("events:Q", title="Events", axis=count_axis()),
            color=alt.Color(
                "event_name:N",
                title="Event",
                scale=alt.Scale(range=_EVENT_COLOURS),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("platform:N", title="Platform"),
                alt.Tooltip("event_name:N", title="Event"),
                alt.Tooltip("events:Q", title="Events", format=","),
                alt.Tooltip("users:Q", title="Users", format=","),
                alt.Tooltip("share:Q", title="Share of all events", format=".1%"),
            ],
        )
        .properties(height=alt.Step(36))
    )


@memo
def active_chart(active: pl.DataFrame, grain: str) -> alt.Chart:
    """Active users per period, stacked new (first event ever) and returning."""
    data = active.unpivot(
        index=["period", "users", "new_share"],
        on=["returning_users", "new_users"],
        variable_name="kind",
        value_name="count",
    ).with_columns(
        pl.col("period").cast(pl.Datetime("ms")),
        pl.col("kind").replace({"new_users": "new", "returning_users": "returning"}),
    )
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(
                "period:T",
                title=None,
                axis=period_axis(data["period"], GRAINS[grain]),
            ),
            y=alt.Y("count:Q", title=f"Active users per {grain}", stack=True),
            color=alt.Color(
                "kind:N",
                title="Users",
                scale=alt.Scale(domain=["returning", "new"], range=[ACCENT, PALETTE[1]]),
                legend=alt.Legend(orient="top"),
            ),
            order=alt.Order("kind:N", sort="descending"),
            tooltip=[
                alt.Tooltip("period:T", title=f"{grain.title()} starting", format=DAY_LABEL),
                alt.Tooltip("kind:N", title="Users"),
                alt.Tooltip("count:Q", title="Count", format=","),
                alt.Tooltip("users:Q", title="All active", format=","),
                alt.Tooltip("new_share:Q", title="New share", format=".1%"),
            ],
        )
        .properties(height=280)
    )


# Conversion bars drawn at most: those with the most viewers (an export may have hundreds of
# categories or platform codes; the table and the CSV keep every one).
CONVERSION_BARS = 20


def conversion_bars_note(frame: pl.DataFrame, what: str) -> str:
    """What conversion_bars leaves out of `frame`, in words ("The chart draws the 20 categories
    with the most viewers of 35; ..."), or nothing when it draws every row. `what`: the rows'
    plural."""
    if frame.height <= CONVERSION_BARS:
        return ""
    return (
        f"The chart draws the {CONVERSION_BARS} {what} with the most viewers of "
        f"{fmt.count(frame.height)}; the CSV has every one."
    )


@memo
def conversion_bars(frame: pl.DataFrame, label: str, title: str) -> alt.LayerChart:
    """Horizontal bars of conversion (0..1) per `label` value (a platform or category, in
    words), best first, labelled in %: the CONVERSION_BARS with the most viewers
    (conversion_bars_note says so)."""
    frame = _in_words(frame.sort(["viewers", label], descending=[True, False]), label).head(
        CONVERSION_BARS
    )
    order = frame.sort("conversion", descending=True, nulls_last=True)[label].to_list()
    base = alt.Chart(frame).encode(
        y=alt.Y(f"{label}:N", title=None, sort=order),
        x=alt.X(
            "conversion:Q",
            title="View → order conversion",
            axis=pct_axis(0.0, frame["conversion"].max()),
        ),
        tooltip=[
            alt.Tooltip(f"{label}:N", title=title),
            alt.Tooltip("viewers:Q", title="Viewed (user-item pairs)", format=","),
            alt.Tooltip("buyers:Q", title="Ordered in the window", format=","),
            alt.Tooltip("conversion:Q", title="Conversion", format=".1%"),
        ],
    )
    bars = base.mark_bar(color=ACCENT)
    text = base.mark_text(align="left", dx=4, color="#334155").encode(
        text=alt.Text("conversion:Q", format=".1%")
    )
    return alt.layer(bars, text).properties(height=alt.Step(30))


def funnel_caption(first: str, window_days: int) -> str:
    """The note under the funnel table (Markdown): where users enter (`first`, the first
    step's event name as a code) and the window each later step must fall in."""
    return (
        f"Users enter at their first {fmt.plain(fmt.value_words(first))}; each later step "
        f"must follow the previous one within {fmt.counted(window_days, 'day')} of entry. "
        "Platform: the one of the entry event."
    )


@memo
def funnel_chart(steps: pl.DataFrame) -> alt.Chart:
    """Share of entrants reaching each step (x), one bar per platform, all platforms first."""
    data = _in_words(steps, "platform", "event_name").with_columns(
        (pl.col("step").cast(pl.String) + ". " + pl.col("event_name")).alias("label")
    )
    platforms = data["platform"].unique(maintain_order=True).to_list()
    everyone = data.filter(steps["platform"] == "all")["platform"].unique().to_list()
    # Each platform in the colour the other charts give it (their domains sort the names).
    others = sorted(p for p in platforms if p not in everyone)
    colours = [
        MUTED if p in everyone else _PLATFORM_COLOURS[others.index(p) % len(_PLATFORM_COLOURS)]
        for p in platforms
    ]
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(
                "label:N",
                title=None,
                sort=data["label"].unique(maintain_order=True).to_list(),
                axis=alt.Axis(labelAngle=0, labelLimit=180),
            ),
            xOffset=alt.XOffset("platform:N", sort=platforms),
            y=alt.Y(
                "overall_conversion:Q",
                title="Share of users entering the funnel",
                axis=pct_axis(0.0, 1.0),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color(
                "platform:N",
                title="Platform (of entry)",
                sort=platforms,
                scale=alt.Scale(domain=platforms, range=colours),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("platform:N", title="Platform"),
                alt.Tooltip("label:N", title="Step"),
                alt.Tooltip("users:Q", title="Users", format=","),
                alt.Tooltip("step_conversion:Q", title="Of the previous step", format=".1%"),
                alt.Tooltip("overall_conversion:Q", title="Of step 1", format=".1%"),
            ],
        )
        .properties(height=300)
    )


@memo
def recommendations_chart(recs: pl.DataFrame, score: str) -> alt.LayerChart:
    """Partner items (rows, best first) by `score` (lift or cosine), labelled with users."""
    data = recs.with_columns(
        (
            pl.col("item_name").fill_null(pl.col("item_id")) + " (" + pl.col("item_id") + ")"
            if "item_name" in recs.columns
            else pl.col("item_id")
        ).alias("label"),
        # The bar is the score; its label the users behind it, in words, not a second scale.
        pl.col("users")
        .map_elements(lambda n: fmt.counted(n, "user"), return_dtype=pl.String)
        .alias("viewers"),
    )
    order = data["label"].to_list()
    base = alt.Chart(data).encode(
        y=alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=260)),
        x=alt.X(
            f"{score}:Q",
            title="Lift (× chance)" if score == "lift" else "Cosine similarity (0..1)",
        ),
        tooltip=[
            alt.Tooltip("label:N", title="Item"),
            alt.Tooltip("users:Q", title="Users who viewed both", format=","),
            alt.Tooltip("lift:Q", title="Lift", format=",.1f"),
            alt.Tooltip("cosine:Q", title="Cosine", format=".3f"),
        ],
    )
    bars = base.mark_bar(color=PALETTE[2])
    text = base.mark_text(align="left", dx=4, color="#334155").encode(text="viewers:N")
    return alt.layer(bars, text).properties(height=alt.Step(30))
