"""Place measurements: an H3 cell at the base resolution, a commune by its boundary, a village by
the nearest centroid within a limit (geopy). Work is cached per cell: a drive test of a million
points crosses a few thousand cells."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import h3
from geopy.distance import geodesic
from shapely.geometry import Point, shape
from shapely.prepared import prep
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.models import Commune, Village
from surveys.places.geometries import FLAT_EARTH_MARGIN, KM_PER_DEGREE

BASE_RESOLUTION = 10  # cells of about 0.015 km² (edge ≈ 66 m)
# From a province (6, cells of about 36 km²) to a street (10): the map's resolutions, each rolled up.
MAP_RESOLUTIONS = (6, 7, 8, 9, 10)
ROLLUP_RESOLUTIONS = MAP_RESOLUTIONS
# An estimated coverage disc wider than this many cells at a resolution says nothing there.
MAX_DISC_CELLS = 2_000


@dataclass(frozen=True)
class _Village:
    id: int
    commune_id: int
    lat: float
    lon: float


class Locator:
    def __init__(self, session: Session, max_village_km: float) -> None:
        self.max_village_km = max_village_km
        self.communes = []
        for commune_id, boundary in session.execute(
                select(Commune.id, Commune.boundary).where(Commune.boundary.is_not(None))):
            geometry = shape(boundary)
            self.communes.append((commune_id, geometry.bounds, prep(geometry)))
        self.villages = [_Village(village_id, commune_id, lat, lon)
                         for village_id, commune_id, lat, lon in session.execute(
                             select(Village.id, Village.commune_id, Village.lat, Village.lon)
                             .where(Village.lat.is_not(None), Village.lon.is_not(None)))
                         if lat is not None and lon is not None]
        self._cache: dict[str, tuple[int | None, int | None]] = {}
        # place(cell) when the cell was placed before (the usual case, looked up without a call),
        # else None.
        self.placed = self._cache.get

    def place(self, cell: str) -> tuple[int | None, int | None]:
        """(commune_id, village_id) of a base cell; None where it lies outside every commune."""
        if cell not in self._cache:
            self._cache[cell] = self._place(*h3.cell_to_latlng(cell))
        return self._cache[cell]

    def _place(self, lat: float, lon: float) -> tuple[int | None, int | None]:
        commune_id = None
        point = Point(lon, lat)
        for candidate, (west, south, east, north), geometry in self.communes:
            if west <= lon <= east and south <= lat <= north and geometry.contains(point):
                commune_id = candidate
                break
        pool = [v for v in self.villages if commune_id is None or v.commune_id == commune_id]
        # Nearest by a flat-earth distance (exact enough to rank villages a few km apart).
        scale = math.cos(math.radians(lat))
        nearest = min(pool, default=None, key=lambda v: (v.lat - lat) ** 2
                      + ((v.lon - lon) * scale) ** 2)
        if nearest is None or not self._within_limit(lat, lon, nearest, scale):
            return commune_id, None
        return commune_id if commune_id is not None else nearest.commune_id, nearest.id

    def _within_limit(self, lat: float, lon: float, village: _Village, scale: float) -> bool:
        # The limit is the geodesic's (geopy), but a geodesic costs ~0.2 ms and a large import
        # places thousands of cells: outside a ±2 % band around the limit the flat-earth distance
        # decides the same (surveys/places/geometries.py); inside the band the geodesic decides.
        flat_km = KM_PER_DEGREE * math.hypot(village.lat - lat, (village.lon - lon) * scale)
        if flat_km < self.max_village_km * (1 - FLAT_EARTH_MARGIN):
            return True
        if flat_km > self.max_village_km * (1 + FLAT_EARTH_MARGIN):
            return False
        return geodesic((lat, lon), (village.lat, village.lon)).km <= self.max_village_km


def base_cell(lat: float, lon: float) -> str:
    return h3.latlng_to_cell(lat, lon, BASE_RESOLUTION)


def disc_cells(center_cell: str, radius_m: float) -> Iterator[str]:
    """The cells of every rollup resolution whose centres lie within radius_m of center_cell's
    centre (at least the cell holding the centre), where that is at most MAX_DISC_CELLS cells."""
    lat, lon = h3.cell_to_latlng(center_cell)
    for resolution in ROLLUP_RESOLUTIONS:
        area_m2 = h3.average_hexagon_area(resolution, unit="m^2")
        if math.pi * radius_m ** 2 / area_m2 > MAX_DISC_CELLS:
            continue
        center = h3.latlng_to_cell(lat, lon, resolution)
        edge = h3.average_hexagon_edge_length(resolution, unit="m")
        k = int(radius_m / (edge * 1.5)) + 1
        yield center
        for cell in h3.grid_disk(center, k):
            if cell != center and h3.great_circle_distance(
                    (lat, lon), h3.cell_to_latlng(cell), unit="m") <= radius_m:
                yield cell
