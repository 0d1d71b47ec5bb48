"""Rollups: one row per H3 cell (resolutions 7–10), operator, technology and month, holding the
number of measurements, of estimated coverage discs, and histograms of signal class, RSRP and
speeds.

Histograms can be added to and subtracted from, so an import adds its contribution and a delete
removes exactly that contribution, without rescanning raw rows; a median or percentile is read off
the bins. Precision: RSRP in 2 dB bins (a median within ±1 dB; classes are 10–20 dB wide); speeds
in log-scale bins of 2^(1/4) (a median within about ±9 %).

Measurements count at their base cell and, summed, at its parents. Each cell and technology also
has a row of all operators and all months (operator and period "*", ANY), with the contributions of
each operator: a map without filters reads a few rows per cell instead of one per operator and
month. Readers of the detailed rows skip them (`operator != ANY`). An estimated disc (a cell of
an OpenCelliD list) counts once in every cell, at every resolution, whose centre lies within its
range, as long as that is at most MAX_DISC_CELLS cells: at finer resolutions a wide disc says
nothing and is left out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime

import h3
from sqlalchemy import and_, bindparam, delete, select, text
from sqlalchemy.orm import Session

from surveys.coverage.classify import CLASSES
from surveys.coverage.spatial import BASE_RESOLUTION, ROLLUP_RESOLUTIONS
from surveys.db import conflict_insert
from surveys.models import CoverageRollup, Measurement
from surveys.months import month_of

SPEED_BINS_PER_DOUBLING = 4
RSRP_BIN_DB = 2
MAX_DISC_CELLS = 2_000
CLASS_INDEX = {name: i for i, name in enumerate(CLASSES)}
FLUSH_KEYS = 60_000  # an import writes its tallies out when it holds this many, so memory stays flat
_ADVISORY_LOCK = 7_426_001  # PostgreSQL: one rollup writer at a time (read, merge, write back)
Key = tuple[str, str, str, str]  # cell, operator, technology, period
ANY = "*"  # operator and period of the rows that sum all operators and months


def speed_bin(mbps: float) -> int:
    return math.floor(SPEED_BINS_PER_DOUBLING * math.log2(max(mbps, 0.001)))


def speed_of_bin(index: int) -> float:
    return 2 ** ((index + 0.5) / SPEED_BINS_PER_DOUBLING)


def rsrp_of_bin(index: int) -> float:
    return (index + 0.5) * RSRP_BIN_DB


def percentile(bins: Mapping[str, int] | Mapping[int, int], q: float, metric: str) -> float | None:
    """The q-th quantile (0–1) of a histogram, as its bin's centre; None when empty."""
    counts = sorted((int(k), v) for k, v in bins.items() if v > 0)
    total = sum(v for _, v in counts)
    if total <= 0:
        return None
    seen = 0
    for index, n in counts:
        seen += n
        if seen >= q * total:
            return round(rsrp_of_bin(index), 1) if metric == "rsrp" else round(speed_of_bin(index), 2)
    return None


def median_of(bins: Mapping[str, int] | Mapping[int, int], metric: str) -> float | None:
    return percentile(bins, 0.5, metric)


class Tally:
    """What a set of measurements adds to one rollup row (plain dicts: Counter is slower here)."""

    __slots__ = ("n", "estimated", "classes", "rsrp", "down", "up", "operators")

    def __init__(self) -> None:
        self.operators: dict[str, int] = {}  # on the ANY rows only
        self.n = 0
        self.estimated = 0
        self.classes = [0] * len(CLASSES)
        self.rsrp: dict[int, int] = {}
        self.down: dict[int, int] = {}
        self.up: dict[int, int] = {}

    def merge(self, other: Tally) -> None:
        self.n += other.n
        self.estimated += other.estimated
        classes = self.classes
        for i, n in enumerate(other.classes):
            if n:
                classes[i] += n
        for mine, theirs in ((self.rsrp, other.rsrp), (self.down, other.down),
                             (self.up, other.up)):
            for index, n in theirs.items():
                mine[index] = mine.get(index, 0) + n

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tally) and all(
            getattr(self, name) == getattr(other, name) for name in self.__slots__)


class ContributionCounter:
    """Adds measurements up into rollup rows: at their base cell first, the coarser parents summed
    from those tallies when written (a cell has far fewer tallies than rows)."""

    def __init__(self) -> None:
        self.base: dict[Key, Tally] = {}
        self.direct: dict[Key, Tally] = {}  # estimated discs, already at every resolution

    def __len__(self) -> int:
        return len(self.base) + len(self.direct)

    def add(self, cell: str, operator: str, technology: str, measured_at: datetime,
            signal_class: str | None, rsrp: float | None, down: float | None, up: float | None,
            footprint_m: float | None = None) -> None:
        period = month_of(measured_at)
        if footprint_m is not None:
            for disc_cell in disc_cells(cell, footprint_m):
                key = (disc_cell, operator, technology, period)
                tally = self.direct.get(key)
                if tally is None:
                    tally = self.direct[key] = Tally()
                tally.estimated += 1
            return
        key = (cell, operator, technology, period)
        tally = self.base.get(key)
        if tally is None:
            tally = self.base[key] = Tally()
        tally.n += 1
        if signal_class is not None:
            tally.classes[CLASS_INDEX[signal_class]] += 1
        if rsrp is not None:
            index = math.floor(rsrp / RSRP_BIN_DB)
            tally.rsrp[index] = tally.rsrp.get(index, 0) + 1
        if down is not None:
            index = speed_bin(down)
            tally.down[index] = tally.down.get(index, 0) + 1
        if up is not None:
            index = speed_bin(up)
            tally.up[index] = tally.up.get(index, 0) + 1

    def tallies(self) -> dict[Key, Tally]:
        """Every resolution's tallies: the base cells', then each coarser level summed from the
        level below (fewer merges than summing every base cell into each of its parents)."""
        result: dict[Key, Tally] = {}
        level: dict[Key, Tally] = self.base  # every base cell is at BASE_RESOLUTION
        for resolution in range(BASE_RESOLUTION, ROLLUP_RESOLUTIONS[0] - 1, -1):
            result.update(level)
            if resolution == ROLLUP_RESOLUTIONS[0]:
                break
            coarser: dict[Key, Tally] = {}
            parents: dict[str, str] = {}
            for key, tally in level.items():
                cell = key[0]
                parent_cell = parents.get(cell)
                if parent_cell is None:
                    parent_cell = parents[cell] = h3.cell_to_parent(cell, resolution - 1)
                parent = (parent_cell, key[1], key[2], key[3])
                into = coarser.get(parent)
                if into is None:
                    into = coarser[parent] = Tally()
                into.merge(tally)
            level = coarser
        for key, tally in self.direct.items():
            if key in result:
                merged = Tally()
                merged.merge(result[key])
                merged.merge(tally)
                result[key] = merged
            else:
                result[key] = tally
        every: dict[Key, Tally] = {}
        for (cell, operator, technology, _period), tally in result.items():
            into = every.get((cell, ANY, technology, ANY))
            if into is None:
                into = every[(cell, ANY, technology, ANY)] = Tally()
            into.merge(tally)
            into.operators[operator] = into.operators.get(operator, 0) + tally.n + tally.estimated
        result.update(every)
        return result

    def clear(self) -> None:
        self.base.clear()
        self.direct.clear()


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


def contributions_of_upload(session: Session, upload_id: int) -> ContributionCounter:
    counter = ContributionCounter()
    rows = session.execute(select(
        Measurement.h3_cell, Measurement.operator, Measurement.technology,
        Measurement.measured_at, Measurement.signal_class, Measurement.rsrp_dbm,
        Measurement.download_mbps, Measurement.upload_mbps, Measurement.footprint_m)
        .where(Measurement.upload_id == upload_id).execution_options(yield_per=10_000))
    for row in rows:
        counter.add(*row)
    return counter


def _histogram(stored: Mapping[str, int] | None, change: Mapping[int, int] | Mapping[str, int],
               sign: int) -> dict[str, int]:
    result = {str(k): v for k, v in (stored or {}).items()}
    for index, n in change.items():
        key = str(index)
        value = result.get(key, 0) + sign * n
        if value:
            result[key] = value
        else:
            result.pop(key, None)
    return result


def apply(session: Session, counter: ContributionCounter, sign: int) -> None:
    """Add (sign=1) or remove (sign=-1) contributions: read the rows they touch, merge, write
    back; rows left empty are deleted."""
    tallies = counter.tallies()
    if not tallies:
        return
    table = CoverageRollup.__table__
    if session.get_bind().dialect.name == "postgresql":
        # Read-merge-write is not atomic: concurrent imports take turns here (until commit).
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})
    by_cell: dict[str, list[Key]] = {}
    for key in tallies:
        by_cell.setdefault(key[0], []).append(key)
    cells = list(by_cell)
    statement = conflict_insert(session, table)
    statement = statement.on_conflict_do_update(
        index_elements=["h3_cell", "operator", "technology", "period"],
        set_={name: statement.excluded[name] for name in
              ("resolution", "n", "estimated", "classes", "rsrp", "down", "up", "operators")})
    removal = delete(table).where(and_(*(table.c[name] == bindparam(f"k_{name}")
                                         for name in ("h3_cell", "operator", "technology", "period"))))
    for start in range(0, len(cells), 500):
        upserts: list[dict] = []  # type: ignore[type-arg]
        removals: list[dict] = []  # type: ignore[type-arg]
        chunk = cells[start:start + 500]
        stored = {(r.h3_cell, r.operator, r.technology, r.period): r
                  for r in session.execute(select(table).where(table.c.h3_cell.in_(chunk)))}
        for cell in chunk:
            for key in by_cell[cell]:
                tally, row = tallies[key], stored.get(key)
                n = (row.n if row else 0) + sign * tally.n
                estimated = (row.estimated if row else 0) + sign * tally.estimated
                identity = dict(zip(("h3_cell", "operator", "technology", "period"), key,
                                    strict=True))
                if n <= 0 and estimated <= 0:
                    if row is not None:
                        removals.append({f"k_{k}": v for k, v in identity.items()})
                    continue
                classes = list(row.classes) if row else [0] * len(CLASSES)
                for i, count in enumerate(tally.classes):
                    classes[i] += sign * count
                upserts.append({**identity, "resolution": h3.get_resolution(key[0]), "n": n,
                                "estimated": estimated, "classes": classes,
                                "rsrp": _histogram(row.rsrp if row else None, tally.rsrp, sign),
                                "down": _histogram(row.down if row else None, tally.down, sign),
                                "up": _histogram(row.up if row else None, tally.up, sign),
                                "operators": _histogram(row.operators if row else None,
                                                        tally.operators, sign)
                                if key[1] == ANY else None})
        # Core table, not the ORM entity: the ORM's bulk path costs more per row than the database.
        if upserts:
            session.execute(statement, upserts)
        if removals:
            session.execute(removal, removals)


def usable_cells(session: Session, cells: Iterable[str], *, first_period: str | None = None,
                 last_period: str | None = None) -> dict[str, frozenset[str]]:
    """technology → those of `cells` where partners' measurements show usable coverage (most of
    the classed measurements moderate or better, all operators and months in the range together).
    Estimated discs of cell lists do not count: they say where a mast is, not what a phone gets."""
    table = CoverageRollup.__table__
    wanted = list(dict.fromkeys(cells))
    classes: dict[tuple[str, str], list[int]] = {}
    for start in range(0, len(wanted), 500):
        query = select(table.c.h3_cell, table.c.technology, table.c.classes).where(
            table.c.h3_cell.in_(wanted[start:start + 500]), table.c.n > 0,
            table.c.operator != ANY)
        if first_period:
            query = query.where(table.c.period >= first_period)
        if last_period:
            query = query.where(table.c.period <= last_period)
        for cell, technology, counts in session.execute(query):
            total = classes.setdefault((cell, technology), [0] * len(CLASSES))
            for i, n in enumerate(counts):
                total[i] += n
    usable: dict[str, set[str]] = {}
    for (cell, technology), counts in classes.items():
        good = sum(counts[CLASS_INDEX["moderate"]:])
        if good and 2 * good >= sum(counts):
            usable.setdefault(technology, set()).add(cell)
    return {technology: frozenset(found) for technology, found in usable.items()}
