"""The coverage map's hexagons as GeoJSON bytes: what the hexes API sends, and what a kept answer
holds (surveys/coverage/map_answers.py)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import h3
import orjson

POLYGON_CACHE = 65_536  # cells' outlines as JSON text (~250 bytes each): a commune at street zoom


def encode(document: Any) -> bytes:
    """Compact UTF-8 JSON, as json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    would read, but written by orjson: a whole commune at resolution 10 is 5,500 cells of
    eleven properties, 20–36 ms in the standard library's encoder against 3–5 ms (its floats are
    the same shortest round-trip digits, written 1e-5 where Python writes 1e-05; NaN is null)."""
    return orjson.dumps(document, option=orjson.OPT_NON_STR_KEYS)


def hex_polygon(cell: str) -> dict[str, Any]:
    ring = [[round(lng, 6), round(lat, 6)] for lat, lng in h3.cell_to_boundary(cell)]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


@lru_cache(maxsize=POLYGON_CACHE)
def _polygon_json(cell: str) -> orjson.Fragment:
    """`hex_polygon` as JSON, kept per cell: a cell's outline never changes, and building and
    serialising it was most of a whole commune's answer at resolution 10."""
    return orjson.Fragment(encode(hex_polygon(cell)))


def hexes_body(head: dict[str, Any], cells: list[dict[str, Any]]) -> bytes:
    """The bytes of `{**head, "features": [one Feature per cell]}` as `encode` would serialise
    them (`hex_polygon` geometries), with each cell's cached outline."""
    return encode({**head, "features": [
        {"type": "Feature", "id": cell["h3"], "geometry": _polygon_json(cell["h3"]),
         "properties": cell} for cell in cells]})
