"""Boundaries parsed once per process: a commune's boundary is a GeoJSON of up to hundreds of KB,
and parsing it for every household stored would make each submission pay for the whole commune.

Entries are keyed by the boundary's content fingerprint (`boundary_hash`, set by the models whenever
a boundary is), so an edited boundary is simply a new key and nothing is ever stale; the small LRU
bounds the memory a province's worth of communes and villages can take.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.prepared import PreparedGeometry, prep
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.places.lookup_keys import boundary_fingerprint

CACHE_SIZE = 512
KM_PER_DEGREE = 6371.0088 * math.pi / 180  # mean Earth radius (IUGG): 111.195 km a degree
# Over Vietnam the flat-earth distance stays within 0.6 % of the geodesic (the ellipsoid's
# flattening, whatever the distance up to hundreds of km): outside a ±2 % band around a limit it
# decides the same as the geodesic, at a hundredth of its cost.
FLAT_EARTH_MARGIN = 0.02


@dataclass(frozen=True)
class Area:
    """A parsed boundary and its prepared form (fast point-in-polygon tests)."""

    geometry: BaseGeometry
    prepared: PreparedGeometry

    def covers(self, point: BaseGeometry) -> bool:
        return bool(self.prepared.covers(point))


_cache: OrderedDict[str, Area] = OrderedDict()
_lock = threading.Lock()


def parse(boundary: dict[str, Any]) -> Area:
    geometry = shape(boundary)
    return Area(geometry, prep(geometry))


def area(session: Session, model: Any, row_id: int, fingerprint: str | None) -> Area | None:
    """The boundary of a commune or village (`model`), parsed at most once per content."""
    if fingerprint is None:
        return None
    with _lock:
        found = _cache.get(fingerprint)
        if found is not None:
            _cache.move_to_end(fingerprint)
            return found
    boundary = session.scalar(select(model.boundary).where(model.id == row_id))
    if not boundary:
        return None
    parsed = parse(boundary)
    with _lock:
        # Keyed by what was read, not by the fingerprint asked for: a boundary edited in between
        # must not be cached under its old key.
        _cache[boundary_fingerprint(boundary) or fingerprint] = parsed
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return parsed


def flat_km(lat: float, lon: float, other_lat: float, other_lon: float) -> float:
    """The flat-earth distance (an equirectangular projection at the first point's latitude)."""
    scale = math.cos(math.radians(lat))
    return KM_PER_DEGREE * math.hypot(other_lat - lat, (other_lon - lon) * scale)
