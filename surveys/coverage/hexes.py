"""The coverage map's hexagons: one summary per H3 cell of a commune, read from the rollups.

Cost follows the commune's area, never the number of raw measurements: the cells come from the
commune's boundary (H3's "overlap" containment: a cell belongs when any part of it lies inside, so
nothing near the edge is lost; without a boundary, disks around the villages' centroids), and
their rows are read by cell in chunks: without
filters the cells' totals (one row per cell and technology however many uploads), with an operator
or period filter the uploads' detailed rollup rows. Households are those
`indicator_report.load_households` counts (accepted, consenting), placed in cells by their GPS: at
resolution 8 from the indicator rollups' households per cell (flat in the number of households), at
other resolutions from the households themselves (`located_households` reads just the two answers
it needs).

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
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import h3
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.coverage.classify import CLASSES, USABLE
from surveys.coverage.rollups import ANY, median_of, parsed_sums, speed_bin, sums_columns
from surveys.coverage.spatial import BASE_RESOLUTION
from surveys.indicators.estimators import NO_CELL
from surveys.indicators.report import Period
from surveys.indicators.rollups import BASE_RESOLUTION as HOUSEHOLD_ROLLUP_RESOLUTION
from surveys.indicators.rollups import COUNTED_OUT
from surveys.models import Commune, CoverageCellTotal, CoverageRollup, HouseholdCell, Submission, Village
from surveys.places.months import month_bounds

GENERATIONS = ("2g", "3g", "4g", "5g")  # oldest first
MAP_TECHNOLOGIES = ("2g", "3g", "4g", "5g", "mobile")  # "fixed" tiles are not mobile coverage
CLASSED = frozenset({"4g", "5g"})
MIN_USABLE_MBPS = 0.1  # a 2G/3G measurement "with a speed": a page (slowly) loads
HOUSEHOLD_SHARE = 0.5  # more than half of the cell's households, as the area indicators
VILLAGE_RADIUS_M = 1_500.0  # without a boundary: the cells within this of a village centroid
CHUNK = 500
_FIRST_USABLE_CLASS = min(CLASSES.index(c) for c in USABLE)
_USABLE_SPEED_BIN = speed_bin(MIN_USABLE_MBPS)


@functools.lru_cache(maxsize=64)
def boundary_cells(boundary_json: str, resolution: int) -> frozenset[str]:
    """The cells that overlap a boundary (GeoJSON text), and the parents of the finest rollup
    cells that overlap it: a measurement is rolled up into its base cell's parent, which near the
    edge may be the neighbour of the cell its point lies in (H3's children are not nested exactly).
    About 60 ms for a 250 km² commune; cached per boundary."""
    shape = h3.geo_to_h3shape(json.loads(boundary_json))
    cells = set(h3.h3shape_to_cells_experimental(shape, resolution, contain="overlap"))
    if resolution < BASE_RESOLUTION:
        cells.update(h3.cell_to_parent(c, resolution) for c in h3.h3shape_to_cells_experimental(
            shape, BASE_RESOLUTION, contain="overlap"))
    return frozenset(cells)


def commune_cells(session: Session, commune: Commune, resolution: int) -> set[str]:
    """The H3 cells of a commune: every cell that overlaps its boundary (so a measurement or a
    household anywhere inside the commune, up to its edge, is in one of them), or, with no
    boundary, the cells near its villages' centroids."""
    if commune.boundary:
        cells = set(boundary_cells(json.dumps(commune.boundary, sort_keys=True), resolution))
    else:
        cells = set()
    edge = h3.average_hexagon_edge_length(resolution, unit="m")
    k = max(1, math.ceil(VILLAGE_RADIUS_M / (edge * 1.5)))
    for lat, lon in session.execute(select(Village.lat, Village.lon).where(
            Village.commune_id == commune.id, Village.lat.is_not(None), Village.lon.is_not(None))):
        centre = h3.latlng_to_cell(lat, lon, resolution)
        cells.add(centre)  # a village always has its own cell, even in a sliver of a commune
        if not commune.boundary:
            cells.update(h3.grid_disk(centre, k))
    return cells


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


class _Cell:
    __slots__ = ("n", "estimated", "classes", "rsrp", "down", "up", "operators", "by_technology")

    def __init__(self) -> None:
        self.n = 0
        self.estimated = 0
        self.classes = [0] * len(CLASSES)
        self.rsrp: dict[str, int] = {}
        self.down: dict[str, int] = {}
        self.up: dict[str, int] = {}
        self.operators: set[str] = set()
        # technology → [measurements, classes, measurements with a usable speed]
        self.by_technology: dict[str, list[Any]] = {}

    def add(self, operators: list[str], technology: str, n: int, estimated: int,
            classes: list[int], rsrp: dict[str, int], down: dict[str, int],
            up: dict[str, int]) -> None:
        self.n += n
        self.estimated += estimated
        self.operators.update(operators)
        if any(classes):
            for i, count in enumerate(classes):
                self.classes[i] += count
        if technology in CLASSED:  # RSRP exists on LTE and NR; a 2G/3G tool's value is not one
            self.rsrp = _summed(self.rsrp, rsrp)
        self.down = _summed(self.down, down)
        self.up = _summed(self.up, up)
        tally = self.by_technology.setdefault(technology, [0, [0] * len(CLASSES), 0])
        tally[0] += n
        if technology in CLASSED:
            for i, count in enumerate(classes):
                tally[1][i] += count
        elif technology in GENERATIONS:
            tally[2] += sum(count for key, count in down.items() if int(key) >= _USABLE_SPEED_BIN)

    def measured_usable(self, technology: str) -> bool:
        tally = self.by_technology.get(technology)
        if tally is None or tally[0] <= 0:
            return False
        if technology in CLASSED:
            classes = tally[1]
            good = sum(classes[_FIRST_USABLE_CLASS:])
            return good > 0 and 2 * good >= sum(classes)
        return 2 * tally[2] >= tally[0]


def _summed(mine: dict[str, int], theirs: dict[str, int]) -> dict[str, int]:
    if not mine:  # the cell's first: freshly parsed for this cell, so adopted rather than copied
        return theirs
    for key, count in theirs.items():
        mine[key] = mine.get(key, 0) + count
    return mine


def median_class(classes: list[int]) -> str | None:
    """The best class that at least half of the classed measurements reach; None when unclassed."""
    total = sum(classes)
    if total <= 0:
        return None
    reached = 0
    for index in range(len(CLASSES) - 1, -1, -1):
        reached += classes[index]
        if 2 * reached >= total:
            return CLASSES[index]
    return None


def _rollups(session: Session, cells: Iterable[str], *, technology: str | None,
             operator: str | None, first_period: str | None, last_period: str | None
             ) -> dict[str, _Cell]:
    found: dict[str, _Cell] = {}
    wanted = sorted(cells)
    technologies = (technology,) if technology else MAP_TECHNOLOGIES
    # Without an operator or a period, the cells' totals (one row per cell and technology over
    # every upload) hold the same sums as the detailed rows, at a fraction of the reading.
    every = operator is None and not first_period and not last_period
    table = CoverageCellTotal.__table__ if every else CoverageRollup.__table__
    # Which operators: the totals count each operator's contributions, a detailed row is one's.
    which = [] if every else [table.c.operator]
    connection = session.connection()  # Core rows: the ORM's per-row work is not needed here
    for start in range(0, len(wanted), CHUNK):
        query = select(table.c.h3_cell, table.c.technology, *which, *sums_columns(table)).where(
            table.c.h3_cell.in_(wanted[start:start + CHUNK]), table.c.technology.in_(technologies))
        if not every:
            query = query.where(table.c.operator != ANY)
        if operator:
            query = query.where(table.c.operator == operator)
        if first_period:
            query = query.where(table.c.period >= first_period)
        if last_period:
            query = query.where(table.c.period <= last_period)
        for cell, tech, *row in connection.execute(query):
            who = None if every else row.pop(0)
            n, estimated, classes, rsrp, down, up, operators = parsed_sums(row[0], row[1], row[2:])
            names = [name for name, count in operators.items() if count > 0] if every else [who]
            found.setdefault(cell, _Cell()).add(names, tech, n, estimated, classes, rsrp, down, up)
    return found


def _household_generations(households: Iterable[tuple[str, str | None]]
                           ) -> tuple[dict[str, int], dict[str, list[int]]]:
    """Per cell: the number of located households, and per generation how many report it or
    a newer one as their best technology at home."""
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


def commune_hexes(session: Session, commune: Commune, *, resolution: int = 8,
                  technology: str | None = None, operator: str | None = None,
                  first_period: str | None = None, last_period: str | None = None,
                  min_households: int = 1) -> list[dict[str, Any]]:
    """One dict per cell of the commune that holds measurements, estimated discs or located
    households (first_period/last_period: "YYYY-MM", inclusive). Cells with fewer located
    households than `min_households` are shown as if nobody had been surveyed there
    (`households` None, household reports unused): what readers outside the commune see."""
    if resolution == HOUSEHOLD_ROLLUP_RESOLUTION:
        counts, reaching = rolled_household_generations(session, commune.id, resolution,
                                                        first_period, last_period)
    else:
        # Streamed: a list of 100,000 households costs more in garbage collection than in reading.
        counts, reaching = _household_generations(
            (h3.latlng_to_cell(lat, lon, resolution), reported) for lat, lon, reported in
            located_households(session, commune.id, month_range(first_period, last_period)))
    cells = commune_cells(session, commune, resolution) | set(counts)
    measured = _rollups(session, cells, technology=technology, operator=operator,
                        first_period=first_period, last_period=last_period)
    wanted = GENERATIONS[GENERATIONS.index(technology):] if technology else GENERATIONS
    result = []
    for cell in sorted(set(measured) | set(counts)):
        data = measured.get(cell) or _Cell()
        surveyed = counts.get(cell, 0)
        disclosed = surveyed >= max(1, min_households)
        best = None
        for generation in reversed(wanted):
            by_households = (disclosed and operator is None and
                             reaching[cell][GENERATIONS.index(generation)] > HOUSEHOLD_SHARE * surveyed)
            if data.measured_usable(generation) or by_households:
                best = technology or generation
                break
        if not disclosed and data.n <= 0 and data.estimated <= 0:
            continue
        result.append({
            "h3": cell, "n": data.n, "estimated": data.estimated,
            "households": surveyed if disclosed else (0 if min_households <= 1 else None),
            "best_technology": best, "signal_class": median_class(data.classes),
            "median_rsrp_dbm": median_of(data.rsrp, "rsrp"),
            "median_download_mbps": median_of(data.down, "speed"),
            "median_upload_mbps": median_of(data.up, "speed"),
            "operators": sorted(data.operators),
            # The gap view: a populated cell with no usable 4G or 5G.
            "gap": disclosed and best not in ("4g", "5g"),
        })
    return result
