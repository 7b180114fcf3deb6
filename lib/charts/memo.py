"""Chart builders remembered by what they are given, so that a rerun rebuilds only the charts whose
data or settings changed: altair spends 10-60 ms per chart copying and checking its spec, about
half of a chart-heavy page's rerun.

A builder's inputs are keyed by content (polars frames by their schema and row hashes), never by
identity: a page recomputes its small frames on each run, and equal frames give the same chart.
Charts whose frames hold more than MAX_FRAME_BYTES are built every time; the charts kept hold at
most MAX_BYTES of frames in all, the least recently used going first.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

import polars as pl

MAX_BYTES = 32 * 2**20
MAX_FRAME_BYTES = 4 * 2**20

F = TypeVar("F", bound=Callable)

_kept: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
_lock = threading.Lock()
_held = [0]  # bytes of frames behind the kept charts


class _Unkeyable(Exception):
    """An input that cannot be keyed by content (or is too big to keep)."""


def _digest(hashes: pl.Series) -> bytes:
    return hashlib.blake2b(hashes.to_numpy().tobytes(), digest_size=16).digest()


def _key(value: object, size: list[int]) -> Hashable:
    """A content key for `value`; adds the bytes of its frames to size[0]."""
    if isinstance(value, pl.DataFrame):
        size[0] += value.estimated_size()
        if size[0] > MAX_FRAME_BYTES:
            raise _Unkeyable
        try:
            rows = _digest(value.hash_rows(seed=0)) if value.width else b""
        except Exception as exc:  # noqa: BLE001 - a dtype polars cannot hash
            raise _Unkeyable from exc
        return ("frame", tuple((n, str(t)) for n, t in value.schema.items()), value.height, rows)
    if isinstance(value, pl.Series):
        return ("series", *_key(value.to_frame(), size)[1:])
    if isinstance(value, dict):
        return ("dict", tuple((k, _key(v, size)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(_key(v, size) for v in value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        return (type(value).__qualname__, tuple(_key(getattr(value, f.name), size) for f in fields))
    try:
        hash(value)
    except TypeError as exc:
        raise _Unkeyable from exc
    return (type(value).__qualname__, value)


def memo(builder: F) -> F:
    """`builder`, returning the chart it built before for equal inputs (the same object: callers
    must not change it in place; altair's methods return copies)."""
    name = f"{builder.__module__}.{builder.__qualname__}"

    @functools.wraps(builder)
    def remembered(*args, **kwargs):
        size = [0]
        try:
            key = (name, _key(args, size), _key(tuple(sorted(kwargs.items())), size))
        except _Unkeyable:
            return builder(*args, **kwargs)
        with _lock:
            if key in _kept:
                _kept.move_to_end(key)
                return _kept[key][0]
        chart = builder(*args, **kwargs)
        with _lock:
            if key not in _kept:
                _kept[key] = (chart, size[0])
                _held[0] += size[0]
                while _held[0] > MAX_BYTES or len(_kept) > 1024:
                    _, (_, freed) = _kept.popitem(last=False)
                    _held[0] -= freed
        return chart

    return remembered  # type: ignore[return-value]
