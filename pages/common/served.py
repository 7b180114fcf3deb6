"""Map layers drawn from the shipped boundaries alone (maps.PUBLIC_LAYERS), served as files.

Streamlit sends a map's whole JSON on every rerun, and the browser parses it, rebuilds every
layer whose data is a new object and draws again. The land under the regions and the outlines
(a world map: 239 countries, 5,500 sides, 300 KB of the 310 KB) do not change with the metric
chosen. Served from `static/maps/` (`server.enableStaticServing`) by a URL that stays the same,
deck.gl fetches, tessellates and uploads them once, and a rerun sends only the regions with data.
The files hold public boundaries and country names, nothing of an upload but which outlines
frame its regions (the detail each is drawn at); each is named by the hash of its content.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import threading
from collections import OrderedDict
from pathlib import Path

import pydeck as pdk
import streamlit as st

from lib.charts import maps

FOLDER = Path(__file__).resolve().parents[2] / "static" / "maps"
# Relative, as Streamlit documents it: it resolves under any base path of the app (a proxy's,
# Community Cloud's).
URL = "app/static/maps/"
# Files kept at most (the oldest go; a map whose file went writes it again on its next rerun):
# a world map's layers at a continent's detail are under 1 MB each.
MAX_FILES = 200
_KEPT = 8  # layer data objects (held) whose file name is remembered: no JSON to hash on a rerun

_lock = threading.Lock()
_names: OrderedDict[int, tuple[object, str]] = OrderedDict()


def served(deck: pdk.Deck, folder: Path = FOLDER) -> pdk.Deck:
    """`deck` (not changed: maps memoises it) with the data of its public layers replaced by
    the URL of a file holding it, when the app serves static files; else `deck` itself. A folder
    that cannot be written leaves the data in the deck."""
    if not st.get_option("server.enableStaticServing"):
        return deck
    shown = copy.copy(deck)
    shown.layers = [_by_url(layer, folder) for layer in deck.layers]
    return shown


def _by_url(layer: pdk.Layer, folder: Path) -> pdk.Layer:
    """A copy of a public layer with its data as a URL; other layers, and a public layer with
    nothing to draw (places with no shipped boundaries: a few bytes), as they are."""
    if getattr(layer, "id", None) not in maps.PUBLIC_LAYERS or isinstance(layer.data, str):
        return layer
    if not (layer.data.get("features") if isinstance(layer.data, dict) else layer.data):
        return layer
    try:
        url = URL + _file(layer.data, folder)
    except OSError:
        return layer
    copied = copy.copy(layer)
    copied.data = url
    return copied


def _file(data: object, folder: Path) -> str:
    """The name of a file in `folder` holding `data` as JSON, written unless it is there."""
    with _lock:
        known = _names.get(id(data))
        if known is not None and known[0] is data:
            _names.move_to_end(id(data))
    if known is not None and known[0] is data and (folder / known[1]).exists():
        return known[1]
    text = json.dumps(data, separators=(",", ":"))
    name = hashlib.sha256(text.encode()).hexdigest()[:32] + ".json"
    path = folder / name
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        _make_room(folder)
        # Written whole under another name, then renamed: a browser never reads half a file.
        temp = folder / f".{name}.{os.getpid()}.{threading.get_ident()}"
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, path)
    with _lock:
        _names[id(data)] = (data, name)  # the object is held: its id is not reused meanwhile
        while len(_names) > _KEPT:
            _names.popitem(last=False)
    return name


def _make_room(folder: Path) -> None:
    """Remove the oldest files of `folder` beyond MAX_FILES - 1."""
    files = []
    for path in folder.glob("*.json"):
        try:
            files.append((path.stat().st_mtime, path))
        except OSError:  # removed meanwhile by another session
            continue
    files.sort()
    for _, path in files[: max(0, len(files) - MAX_FILES + 1)]:
        path.unlink(missing_ok=True)
