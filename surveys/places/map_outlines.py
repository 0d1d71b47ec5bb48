"""The outlines of an area's communes for its map (`GET /api/v1/areas/SLUG/boundaries`): each
commune's stored boundary simplified further, to what a map of a province or a group draws.

The stored boundaries keep ~20 m of detail (surveys/places/province_import.py); at the zoom where
the map shows hexagons (level 11, ~75 m a pixel) 55 m is still under a pixel, and it roughly thirds
the bytes (Hà Tĩnh's 69 communes: see docs/maps.md). Communes are simplified one by one, so two
neighbours' shared edge may differ by up to that tolerance: a drawing, not a measure (indicators and
hexagons use the stored boundaries). Simplified outlines are kept in this process by the
boundary's fingerprint, so a changed boundary is simply a new entry.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from shapely.geometry import mapping, shape

from surveys.models import Commune

SIMPLIFY_DEGREES = 0.0005  # ~55 m: under a pixel at the map's hexagon zoom
DECIMALS = 5  # ~1 m
CACHE_SIZE = 1024
_cache: OrderedDict[str, dict[str, Any]] = OrderedDict()
_lock = threading.Lock()


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, DECIMALS)
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def outline(boundary: dict[str, Any]) -> dict[str, Any]:
    """The boundary simplified for the map (topology kept), coordinates rounded to DECIMALS."""
    simple = mapping(shape(boundary).simplify(SIMPLIFY_DEGREES, preserve_topology=True))
    return {"type": simple["type"], "coordinates": _rounded(simple["coordinates"])}


def commune_outline(commune: Commune) -> dict[str, Any] | None:
    """The commune's outline, worked out once per boundary in this process (the boundary itself,
    a deferred column, is read only then: not once per commune on every request)."""
    if commune.boundary_hash is None:
        return None
    with _lock:
        found = _cache.get(commune.boundary_hash)
        if found is not None:
            _cache.move_to_end(commune.boundary_hash)
            return found
    if not commune.boundary:
        return None
    found = outline(commune.boundary)
    with _lock:
        _cache[commune.boundary_hash] = found
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return found


def outlines_collection(slug: str, level: str, communes: Sequence[Commune],
                        dashboard_url: Callable[[str], str]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection: one feature per commune (geometry null without a boundary)
    with its slug, name and the URL of its dashboard."""
    return {"type": "FeatureCollection", "area": slug, "level": level,
            "features": [{"type": "Feature", "geometry": commune_outline(c),
                          "properties": {"slug": c.slug, "name": c.name,
                                         "dashboard_url": dashboard_url(c.slug)}}
                         for c in communes]}
