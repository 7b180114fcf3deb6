"""What the demo generators share: the anomaly rules they plant and count, the Demo they return,
helpers for epoch times and text columns, and customers drawn from a known process.

Every generator writes its export files as String frames (the text a CSV export holds), counts
the anomalies it planted per rule in RULES from those files (so a count is what a check finds,
not what the generator meant), and reports the parameters it drew from as `truth`. Customers
whose purchases follow a known BG/NBD + Gamma-Gamma process (`_bgnbd_invoices`) let the CLV
views be checked against the parameters that made the data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

RULES: tuple[str, ...] = (
    "delivered_before_purchase",
    "delivered_before_pickup",
    "delivered_without_date",
    "payment_mismatch",
    "deal_before_contact",
    "unknown_origin",
    "thin_months",
    "duplicate_rows",
    "missing_customer",
    "non_positive_price",
    "extreme_quantity",
    "future_dates",
    "cancellations",
    "non_product_codes",
    "paid_before_created",
    "orders_after_deletion",
    "catalogue_price_mismatch",
    "empty_days",
    "misspelled_parameter",
)
FUTURE = "2026-01-01 00:00:00"


@dataclass(frozen=True)
class Demo:
    """One demo data set: export files as text frames, the anomalies planted, the true parameters.

    `files` maps an export file name to a frame with exactly that export's columns, every column
    pl.String holding the text a CSV export holds (None = empty cell). `planted` maps every rule
    id in RULES to the exact number of offending units in `files`. `truth` holds the known
    generating parameters (see `demo`).
    """

    kind: str
    files: dict[str, pl.DataFrame]
    planted: dict[str, int]
    truth: dict[str, float]


# ---------------------------------------------------------------------------------------------
# Shared helpers: epoch seconds and days in numpy, text columns in polars.

_DAY = 86_400
_NA = np.iinfo(np.int64).min
_ISO = "%Y-%m-%d %H:%M:%S"
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _day(y: int, m: int, d: int) -> int:
    return (date(y, m, d) - date(1970, 1, 1)).days


def _year_of(day: int) -> int:
    return (date(1970, 1, 1) + timedelta(days=int(day))).year


def _black_friday(year: int) -> int:
    nov1 = date(year, 11, 1)
    fourth_thursday = 1 + (3 - nov1.weekday()) % 7 + 21
    return _day(year, 11, fourth_thursday + 1)


def _p(weights: np.ndarray | list[float] | tuple[float, ...]) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    return w / w.sum()


def _day_weights(
    day0: int,
    day1: int,
    growth: float,
    month_factor: tuple[float, ...],
    weekday_factor: tuple[float, ...],
    *,
    black_friday: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(epoch days in [day0, day1), probability of each) with growth, season and Black Friday."""
    days = np.arange(day0, day1, dtype=np.int64)
    month = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    w = np.exp(growth * (days - day0) / 365.25)
    w *= np.asarray(month_factor)[month] * np.asarray(weekday_factor)[weekday]
    for year in range(_year_of(day0), _year_of(day1 - 1) + 1):
        bf = _black_friday(year)
        w[(days >= bf - 1) & (days <= bf + 3)] *= 1.8  # the long weekend through Cyber Monday
        w[days == bf] *= black_friday
    return days, w / w.sum()


def _times(
    rng: np.random.Generator, days: np.ndarray, p: np.ndarray, size: int, hours: np.ndarray
) -> np.ndarray:
    """Epoch seconds: a day drawn with probabilities p, an hour from `hours`, a uniform second."""
    day = days[rng.choice(days.size, size=size, p=p)]
    hour = rng.choice(24, size=size, p=hours)
    return day * _DAY + hour * 3600 + rng.integers(0, 3600, size=size)


def _hex_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """n random 32-hex ids (as numpy bytes, S32)."""
    raw = np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16)
    chars = np.empty((n, 32), dtype=np.uint8)
    chars[:, 0::2] = _HEX[raw >> 4]
    chars[:, 1::2] = _HEX[raw & 15]
    return chars.view("S32").ravel()


def _text(values: np.ndarray) -> pl.Series:
    """Ids (S32 bytes), integers or strings as a String column."""
    return pl.Series(values).cast(pl.String)


def _where_text(keep: np.ndarray, values: pl.Series, other: str | None = None) -> pl.Series:
    """values where keep, else `other` (None = empty cell)."""
    frame = pl.DataFrame({"keep": np.asarray(keep, dtype=bool), "v": values})
    return frame.select(pl.when("keep").then("v").otherwise(pl.lit(other, pl.String))).to_series()


def _ts_text(seconds: np.ndarray, fmt: str = _ISO) -> pl.Series:
    """Epoch seconds as text in `fmt`; _NA becomes an empty cell."""
    frame = pl.DataFrame({"s": np.asarray(seconds, dtype=np.int64)})
    valid = pl.when(pl.col("s") != _NA).then(pl.col("s"))
    return frame.select(pl.from_epoch(valid, time_unit="s").dt.strftime(fmt)).to_series()


def _decimal_text(units: np.ndarray, per: int = 100) -> pl.Series:
    """Integer cents (or other units) as shortest decimal text: 5890 -> '58.9', 14400 -> '144.0'."""
    # numpy division is correctly rounded; polars may multiply by 1/per and print 8.120000000000001
    return pl.Series(np.asarray(units, dtype=np.int64) / per).cast(pl.String)


def _pick_text(
    rng: np.random.Generator, pool: tuple[str, ...], size: int, p: np.ndarray | None = None
) -> np.ndarray:
    return np.asarray(pool, dtype=object)[rng.choice(len(pool), size=size, p=p)]


def _frame(columns: dict[str, pl.Series | np.ndarray | list]) -> pl.DataFrame:
    """A frame of String columns named in order."""
    out = {}
    for name, values in columns.items():
        if isinstance(values, np.ndarray) and values.dtype == object:
            # via a list: polars infers an object array from its first value, and None defeats it
            out[name] = pl.Series(values.tolist(), dtype=pl.String)
        else:
            series = values if isinstance(values, pl.Series) else pl.Series(values)
            out[name] = series.cast(pl.String)
    return pl.DataFrame(out)


def _distinct_within(
    group: np.ndarray,
    values: np.ndarray,
    draw: Callable[[int], np.ndarray],
) -> np.ndarray:
    """values with repeats inside a group redrawn (draw(k) gives k fresh values) until none."""
    values = values.copy()
    for _ in range(50):
        order = np.lexsort((values, group))
        g, v = group[order], values[order]
        repeat = np.zeros(values.size, dtype=bool)
        repeat[1:] = (g[1:] == g[:-1]) & (v[1:] == v[:-1])
        bad = order[repeat]
        if bad.size == 0:
            break
        values[bad] = draw(bad.size)
    return values


def _thin_month_count(moments: pl.Series) -> int:
    """Months from the first to the last with fewer than 10% of the median monthly count."""
    moments = moments.drop_nulls()
    if moments.len() == 0:
        return 0
    month = (moments.dt.year().cast(pl.Int64) * 12 + moments.dt.month().cast(pl.Int64)).to_numpy()
    counts = np.bincount(month - month.min())
    return int((counts < 0.1 * np.median(counts)).sum())


def _future_count(frame: pl.DataFrame, columns: tuple[str, ...], fmt: str = _ISO) -> int:
    """Rows with any of `columns` later than FUTURE (text compared through datetimes)."""
    limit = pl.lit(FUTURE).str.to_datetime(_ISO)
    parsed = [pl.col(c).str.to_datetime(fmt, strict=False) > limit for c in columns]
    return frame.filter(pl.any_horizontal(parsed).fill_null(False)).height


# ---------------------------------------------------------------------------------------------
# Customers from a known process: BG/NBD purchases, Gamma-Gamma invoice values.

_BGNBD = {"r": 0.6, "alpha": 8.0, "a": 0.7, "b": 3.0}
_GG = {"p": 6.0, "q": 4.0, "v": 150.0}


def _bgnbd_invoices(
    rng: np.random.Generator, m: int, period_weeks: float, join_weeks: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(customer, weeks since period start, invoice value) for m BG/NBD + Gamma-Gamma customers.

    Each joins uniformly in [0, join_weeks) with a first purchase; repeat purchases are Poisson
    with rate lambda per week; after each repeat purchase the customer drops out with prob p.
    Purchases on the same day merge (one invoice per customer per day).
    """
    join = rng.uniform(0, join_weeks, m)
    horizon = period_weeks - join
    lam = rng.gamma(_BGNBD["r"], 1 / _BGNBD["alpha"], m)
    p = rng.beta(_BGNBD["a"], _BGNBD["b"], m)
    arrivals = rng.poisson(lam * horizon)
    survives = rng.geometric(p)  # the repeat purchase after which the customer drops out
    repeats = np.minimum(arrivals, survives)
    who = np.repeat(np.arange(m), arrivals)
    u = rng.random(who.size) * horizon[who]
    order = np.lexsort((u, who))
    who, u = who[order], u[order]
    rank = np.arange(who.size) - np.repeat(np.cumsum(arrivals) - arrivals, arrivals)
    keep = rank < repeats[who]
    customer = np.concatenate([np.arange(m), who[keep]])
    weeks = np.concatenate([join, join[who[keep]] + u[keep]])
    day = np.floor(weeks * 7).astype(np.int64)
    order = np.lexsort((weeks, day, customer))
    customer, weeks, day = customer[order], weeks[order], day[order]
    first = np.ones(customer.size, dtype=bool)
    first[1:] = (customer[1:] != customer[:-1]) | (day[1:] != day[:-1])
    customer, weeks = customer[first], weeks[first]
    nu = rng.gamma(_GG["q"], 1 / _GG["v"], m)
    value = rng.gamma(_GG["p"], 1 / nu[customer])
    return customer, weeks, value
