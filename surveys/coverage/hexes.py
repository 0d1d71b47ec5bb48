"""The coverage map's hexagons: one summary per H3 cell of a commune, or of many communes at
once (a province, a group), at any resolution from 6 (province) to 10 (street), read from rollups.

Cost follows the area's cells, never the number of raw measurements nor of uploads: the cells come
from each commune's boundary (H3's "overlap" containment: a cell belongs when any part of it lies
inside, so nothing near the edge is lost; without a boundary, disks around the villages'
centroids; stored with the boundary, surveys/places/boundary_cells.py, and kept in the process per
boundary and resolution). Without an operator or period filter each cell's
measurements are one row of the map's summaries (surveys/coverage/cell_views.py: what the rules
below make of the cell's totals, worked out when an import or a delete changes them), read by
blocks of cells; with an operator filter and no period, one row per cell of that operator's
summaries (surveys/coverage/operator_views.py: the same rules over the operator's month totals of
all months, worked out when an import or a delete changes them). With a period filter, a cell
whose measurements all fall in the period shows what it shows without it (the same sums): its
summary is read as above, and the database tells which cells have months outside the period
from the month totals' index alone; only those cells have their month totals (one row per cell,
technology, operator and month, summed over the uploads: surveys/coverage/month_totals.py) merged
here. Households are those
`indicator_report.load_households` counts (accepted, consenting) with a GPS position, counted per
cell of every map resolution as they are stored (surveys/indicators/household_hexes.py).

The rules (docs/maps.md):
- `best_technology`: the highest generation with usable coverage in the cell. 4G/5G measurements
  count as usable when at least half of their classed measurements are of a usable class
  (moderate or better, `classify.USABLE`) — the rule of `rollups.usable_cells`; 2G/3G carry no
  class, so they count when at least half of them measured a download of at least
  MIN_USABLE_MBPS. Households count when more than half of the cell's located households report
  that generation or better as `mobile_best_technology` (the rule of the area_4g/area_5g
  indicators). Estimated discs of cell lists never count. With an operator filter household
  reports do not count (a household's answer does not say which operator gives it).
  With a technology filter the answer is that technology or None.
- `signal_class`: the median class of the classed measurements: the best class that at least half
  of them reach (so the class is usable exactly when most measurements are).
- Medians of RSRP and speeds are read off the merged histograms (RSRP ±1 dB, speeds ±9 %). Without
  a technology filter they mix 4G and 5G RSRP (a value sent in `rsrp_dbm` on a 2G/3G row is stored
  but is no RSRP, and stays out) and every mobile technology's speeds; fixed broadband tiles are not
  part of this mobile coverage map.
- Over many communes each cell appears once: its measurements once (they belong to the cell, not
  to a commune), its households summed over the communes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import h3
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.coverage import cell_views, filtered_cells, kept_reads
from surveys.coverage.cell_views import EVERY, GENERATIONS, SummaryRow
from surveys.coverage.collector import collector_paused
from surveys.coverage.spatial import BASE_RESOLUTION
from surveys.indicators import household_hexes
from surveys.indicators.estimators import NO_CELL
from surveys.indicators.report import Period
from surveys.indicators.rollups import COUNTED_OUT
from surveys.models import (
    Commune,
    HouseholdCell,
    Submission,
    Village,
)
from surveys.places import boundary_cells
from surveys.places.months import month_bounds

HOUSEHOLD_SHARE = 0.5  # more than half of the cell's households, as the area indicators
VILLAGE_RADIUS_M = 1_500.0  # without a boundary: the cells within this of a village centroid
CHUNK = 500
BOUNDARY_CACHE = 512  # (boundary, resolution) pairs: a province's 69 communes at every resolution
_boundary_cache: dict[tuple[str, int], _Cells] = {}
_EMPTY: SummaryRow = (0, 0, 0, None, None, None, None, "")


class _Cells:
    """A commune's cells at one resolution, and the blocks that hold their map summaries."""

    __slots__ = ("cells", "blocks")

    def __init__(self, cells: frozenset[str], resolution: int,
                 blocks: frozenset[str] | None = None) -> None:
        self.cells = cells
        self.blocks = blocks if blocks is not None else \
            frozenset(cell_views.blocks_of(cells, resolution))

    @classmethod
    def from_compacted(cls, compacted: list[str], resolution: int) -> _Cells:
        """From H3's compacted form (as stored): the blocks straight from it, as a compacted
        cell coarser than the blocks holds whole blocks (H3's index hierarchy is exact)."""
        level = max(0, resolution - cell_views.BLOCK_LEVELS)
        blocks: set[str] = set()
        for cell in compacted:
            if h3.get_resolution(cell) <= level:
                blocks.update(h3.cell_to_children(cell, level))
            else:
                blocks.add(h3.cell_to_parent(cell, level))
        return cls(boundary_cells.uncompact(compacted, resolution), resolution, frozenset(blocks))


def _commune_boundary_cells(session: Session, commune: Commune, resolution: int,
                            stored: Mapping[str, list[str]] | None = None) -> _Cells:
    """The cells of the commune's boundary (`boundary_cells.compute`: those that overlap it, and
    the parents of the finest rollup cells that overlap it). Read from `boundary_cells`, where they
    were stored with the boundary, or worked out here for a boundary not stored (about 60 ms for a
    250 km² commune at resolution 10); kept in this process by the boundary's fingerprint and
    resolution either way. `stored`: what `boundary_cells.load_many` found for the communes
    asked together (None: look this one up)."""
    fingerprint = commune.boundary_hash or json.dumps(commune.boundary, sort_keys=True)
    key = (fingerprint, resolution)
    found = _boundary_cache.get(key)
    if found is None:
        compacted = None
        if commune.boundary_hash is not None:
            compacted = stored.get(commune.boundary_hash) if stored is not None else \
                boundary_cells.load(session, commune.boundary_hash, resolution)
        if compacted is not None:
            found = _Cells.from_compacted(compacted, resolution)
        else:
            finest = _commune_boundary_cells(session, commune, BASE_RESOLUTION).cells \
                if resolution < BASE_RESOLUTION else None
            found = _Cells(boundary_cells.compute(commune.boundary or {}, resolution, finest),
                           resolution)
        while len(_boundary_cache) >= BOUNDARY_CACHE:
            _boundary_cache.pop(next(iter(_boundary_cache)), None)  # the oldest first
        _boundary_cache[key] = found
    return found


def area_cells(session: Session, communes: Sequence[Commune], resolution: int) -> set[str]:
    """The H3 cells of the communes: every cell that overlaps a boundary (so a measurement or a
    household anywhere inside, up to the edge, is in one of them), or, for a commune without a
    boundary, the cells near its villages' centroids; and every village centroid's cell."""
    return _area_cells(session, communes, resolution)[0]


def _area_cells(session: Session, communes: Sequence[Commune], resolution: int,
                window: set[str] | None = None) -> tuple[set[str], set[str]]:
    """`area_cells` and the blocks of the boundaries' cells (cached with them). `window`: only
    those cells, taken from each commune's cached cells (a province holds ~370,000 at resolution
    10; a street-zoom window a few hundred)."""
    cells: set[str] = set()
    blocks: set[str] = set()
    bounded = set()
    stored = boundary_cells.load_many(session, (
        c.boundary_hash for c in communes
        if c.boundary_hash is not None and (c.boundary_hash, resolution) not in _boundary_cache),
        resolution)
    for commune in communes:
        if commune.boundary_hash is not None or commune.boundary:
            found = _commune_boundary_cells(session, commune, resolution, stored)
            if window is not None:
                cells.update(window & found.cells)
            elif cells:
                cells.update(found.cells)
                blocks.update(found.blocks)
            else:
                cells, blocks = set(found.cells), set(found.blocks)
            bounded.add(commune.id)
    edge = h3.average_hexagon_edge_length(resolution, unit="m")
    k = max(1, math.ceil(VILLAGE_RADIUS_M / (edge * 1.5)))
    ids = [commune.id for commune in communes]
    for start in range(0, len(ids), CHUNK):
        for commune_id, lat, lon in session.execute(
                select(Village.commune_id, Village.lat, Village.lon).where(
                    Village.commune_id.in_(ids[start:start + CHUNK]), Village.lat.is_not(None),
                    Village.lon.is_not(None))):
            centre = h3.latlng_to_cell(lat, lon, resolution)
            extra = [centre]  # a village always has its own cell, even in a sliver of a commune
            if commune_id not in bounded:
                extra.extend(h3.grid_disk(centre, k))
            fresh = [cell for cell in extra if cell not in cells and
                     (window is None or cell in window)]
            cells.update(fresh)
            blocks.update(cell_views.blocks_of(fresh, resolution))
    if window is not None:
        blocks = set(cell_views.blocks_of(cells, resolution))
    return cells, blocks


def commune_cells(session: Session, commune: Commune, resolution: int) -> set[str]:
    """The H3 cells of one commune (`area_cells`)."""
    return area_cells(session, [commune], resolution)


def located_households(session: Session, commune_id: int, period: Period | None
                       ) -> Iterable[tuple[float, float, str | None]]:
    """(lat, lon, mobile_best_technology) of the households `load_households` counts (accepted,
    consenting) that have a position. The two answers are read in the database: parsing every
    household's answers costs seconds at 100,000 households, this a tenth of that."""
    consent = Submission.answers["consent"].as_string()
    query = select(Submission.lat, Submission.lon,
                   Submission.answers["mobile_best_technology"].as_string()).where(
        Submission.commune_id == commune_id, Submission.survey == "household",
        Submission.review_status.not_in(COUNTED_OUT), consent == "yes",
        Submission.lat.is_not(None), Submission.lon.is_not(None))
    if period is not None:
        query = query.where(Submission.collected_at >= period.start,
                            Submission.collected_at < period.end)
    return session.connection().execute(query)  # streamed


def month_range(first_period: str | None, last_period: str | None) -> Period | None:
    """The months first..last ("YYYY-MM", Vietnam time) as a Period for the households' query."""
    if not first_period and not last_period:
        return None
    start = month_bounds(first_period)[0] if first_period else datetime(1970, 1, 1, tzinfo=UTC)
    end = month_bounds(last_period)[1] if last_period else datetime(9999, 1, 1, tzinfo=UTC)
    return Period(f"{first_period or ''}..{last_period or ''}", start, end)


# cell → its filtered measurements as a `cell_views.Cell` (the cells' month totals, merged)
_rollups = filtered_cells.month_rollups


def _household_generations(households: Iterable[tuple[str, str | None]]
                           ) -> tuple[dict[str, int], dict[str, list[int]]]:
    """Per cell: the number of located households, and per generation how many report it or
    a newer one as their best technology at home (from the households themselves)."""
    counts: dict[str, int] = {}
    reaching: dict[str, list[int]] = {}
    for cell, reported in households:
        counts[cell] = counts.get(cell, 0) + 1
        tally = reaching.setdefault(cell, [0] * len(GENERATIONS))
        if reported in GENERATIONS:
            for i in range(GENERATIONS.index(reported) + 1):
                tally[i] += 1
    return counts, reaching


def rolled_household_generations(session: Session, commune_id: int, resolution: int,
                                 first_period: str | None, last_period: str | None
                                 ) -> tuple[dict[str, int], dict[str, list[int]]]:
    """The same as `_household_generations` from the indicator rollups' households per cell of
    resolution 8 (surveys/indicators/rollups.py): the cost follows cells and months, not
    households. Resolution 8 only: H3 cells do not nest exactly, so the parent of a household's
    resolution-8 cell is not always the resolution-7 cell that holds the household."""
    table = HouseholdCell.__table__
    query = select(table.c.h3_cell, table.c.households, table.c.with_2g, table.c.with_3g,
                   table.c.with_4g, table.c.with_5g).where(
        table.c.commune_id == commune_id, table.c.h3_cell != NO_CELL)
    if first_period:
        query = query.where(table.c.period >= first_period)
    if last_period:
        query = query.where(table.c.period <= last_period)
    counts: dict[str, int] = {}
    reaching: dict[str, list[int]] = {}
    for cell, households, *generations in session.execute(query):
        counts[cell] = counts.get(cell, 0) + households
        tally = reaching.setdefault(cell, [0] * len(GENERATIONS))
        for i, n in enumerate(generations):
            tally[i] += n
    return counts, reaching


def _measured(session: Session, cells: set[str], blocks: set[str], resolution: int, *,
              technology: str | None, operator: str | None, first_period: str | None,
              last_period: str | None, keep: bool = False) -> dict[str, SummaryRow]:
    """cell → what the map shows of its measurements (`cell_views.SummaryRow`)."""
    view = technology or EVERY
    if view not in cell_views.VIEWS:  # 2G or 3G alone: no summaries of their own
        return _merged(session, cells, technology=technology, operator=operator,
                       first_period=first_period, last_period=last_period)
    if not first_period and not last_period:
        return _stored(session, cells, view, operator, blocks, keep)
    # A period: a cell whose measurements all fall in it shows what it shows without the period
    # (the same sums, so the same summary), read from the summaries; only cells measured also
    # outside the period are merged from their month totals.
    whole = _stored(session, cells, view, operator, blocks, keep)  # every cell measured at all
    outside = filtered_cells.measured_outside(session, whole.keys(), technology=technology,
                                              operator=operator, first_period=first_period,
                                              last_period=last_period)
    result = {cell: row for cell, row in whole.items() if cell not in outside}
    if outside:
        result.update(_merged(session, outside, technology=technology, operator=operator,
                              first_period=first_period, last_period=last_period))
    return result


def _stored(session: Session, cells: set[str], view: str, operator: str | None,
            blocks: set[str], keep: bool) -> dict[str, SummaryRow]:
    """The stored summaries of all months: the cells' (`cell_views`) or one operator's; a whole
    area's (`keep`) from what this process kept while the measurements are unchanged."""
    return kept_reads.summaries(session, cells, view, operator, blocks, keep=keep)


def _merged(session: Session, cells: set[str], *, technology: str | None, operator: str | None,
            first_period: str | None, last_period: str | None) -> dict[str, SummaryRow]:
    """`_measured` from the cells' month totals merged here (`_rollups`): a period filter."""
    found = _rollups(session, cells, technology=technology, operator=operator,
                     first_period=first_period, last_period=last_period)
    result: dict[str, SummaryRow] = {}
    for cell, data in found.items():
        n, estimated, usable, signal_class, rsrp, down, up, names = data.summary()
        result[cell] = (n, estimated, usable, signal_class, rsrp, down, up, ",".join(names))
    return result


Bbox = tuple[float, float, float, float]  # west, south, east, north, in degrees
# The most cells a window may hold at its resolution (a phone's screen at street zoom holds a few
# hundred at resolution 10; a whole commune ~30,000): beyond it the caller asks a coarser one.
MAX_WINDOW_CELLS = 20_000


def window_cells_estimate(bbox: Bbox, resolution: int) -> float:
    """About how many cells of `resolution` the box holds (its area over a cell's)."""
    west, south, east, north = bbox
    middle = math.radians((south + north) / 2)
    km2 = (east - west) * 111.32 * math.cos(middle) * (north - south) * 110.57
    return km2 / h3.average_hexagon_area(resolution, unit="km^2")


def window_cells(bbox: Bbox, resolution: int) -> set[str]:
    """The cells of `resolution` whose centres lie in the box."""
    west, south, east, north = bbox
    shape = h3.LatLngPoly([(south, west), (south, east), (north, east), (north, west)])
    return set(h3.h3shape_to_cells(shape, resolution))


def commune_hexes(session: Session, commune: Commune, *, resolution: int = 8,
                  technology: str | None = None, operator: str | None = None,
                  first_period: str | None = None, last_period: str | None = None,
                  min_households: int = 1, bbox: Bbox | None = None) -> list[dict[str, Any]]:
    """One dict per cell of the commune that holds measurements, estimated discs or located
    households (first_period/last_period: "YYYY-MM", inclusive). Cells with fewer located
    households than `min_households` are shown as if nobody had been surveyed there
    (`households` None, household reports unused): what readers outside the commune see.
    `bbox`: only the cells whose centres lie in it (a map's window at street zoom), read alone."""
    return area_hexes(session, [commune], resolution=resolution, technology=technology,
                      operator=operator, first_period=first_period, last_period=last_period,
                      min_households=min_households, bbox=bbox)


def area_hexes(session: Session, communes: Sequence[Commune], *, resolution: int = 7,
               technology: str | None = None, operator: str | None = None,
               first_period: str | None = None, last_period: str | None = None,
               min_households: int = 1, bbox: Bbox | None = None) -> list[dict[str, Any]]:
    """`commune_hexes` over many communes at once (a province, a group): the same dicts, each
    H3 cell once, its households summed over the communes (`min_households` applies to that sum).
    The collector is paused (`collector_paused`): a commune at resolution 10 makes ~30,000
    lasting rows, tuples and dicts, enough to start a full collection of the whole process on
    almost every such read (half of the read's time: Cẩm Xuyên, full-size benchmark, 45 against
    86 ms)."""
    with collector_paused():
        return _area_hexes(session, communes, resolution=resolution, technology=technology,
                           operator=operator, first_period=first_period,
                           last_period=last_period, min_households=min_households, bbox=bbox)


def _area_hexes(session: Session, communes: Sequence[Commune], *, resolution: int,
                technology: str | None, operator: str | None, first_period: str | None,
                last_period: str | None, min_households: int, bbox: Bbox | None
                ) -> list[dict[str, Any]]:
    window = window_cells(bbox, resolution) if bbox is not None else None
    counts, reaching = household_hexes.load(session, [c.id for c in communes], resolution,
                                            first_period, last_period, cells=window)
    cells, blocks = _area_cells(session, communes, resolution, window)
    fresh = [cell for cell in counts if cell not in cells]
    cells.update(fresh)
    blocks.update(cell_views.blocks_of(fresh, resolution))
    measured = _measured(session, cells, blocks, resolution, technology=technology,
                         operator=operator, first_period=first_period, last_period=last_period,
                         keep=window is None)
    wanted = GENERATIONS[GENERATIONS.index(technology):] if technology else GENERATIONS
    newest_first = [(GENERATIONS.index(g), technology or g) for g in reversed(wanted)]
    threshold = max(1, min_households)
    hidden = 0 if min_households <= 1 else None
    households_count = operator is None  # an answer does not say which operator gives it
    result = []
    for cell in sorted(measured.keys() | counts.keys()):
        n, estimated, usable, signal_class, rsrp, down, up, operators = measured.get(cell, _EMPTY)
        surveyed = counts.get(cell, 0)
        disclosed = surveyed >= threshold
        if not disclosed and n <= 0 and estimated <= 0:
            continue
        tally = reaching[cell] if disclosed and households_count else None
        half = HOUSEHOLD_SHARE * surveyed
        best = None
        for index, name in newest_first:
            if usable >> index & 1 or (tally is not None and tally[index] > half):
                best = name
                break
        result.append({
            "h3": cell, "n": n, "estimated": estimated,
            "households": surveyed if disclosed else hidden,
            "best_technology": best, "signal_class": signal_class,
            "median_rsrp_dbm": rsrp, "median_download_mbps": down, "median_upload_mbps": up,
            "operators": operators.split(",") if operators else [],
            # The gap view: a populated cell with no usable 4G or 5G.
            "gap": disclosed and best not in ("4g", "5g"),
        })
    return result
