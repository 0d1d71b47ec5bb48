"""Rollups: rows per H3 cell (resolutions 7–10), operator, technology and month, holding the
number of measurements, of estimated coverage discs, and histograms of signal class, RSRP and
speeds.

Each upload writes rows of its own (insert only), and a cell's figures are the sum of its rows:
histograms add, so readers merge the few rows a cell has, a median or percentile is read off the
summed bins, and deleting an upload deletes its rows — exactly its contribution, without
rescanning raw rows, locking or rewriting anyone else's rows. An upload has one row per key
except when its tallies outgrow memory (FLUSH_KEYS) and a base cell recurs after a flush.
Precision: RSRP in 2 dB bins (a median within ±1 dB; classes are 10–20 dB wide); speeds in
log-scale bins of 2^(1/4) (a median within about ±9 %).

Measurements count at their base cell and, summed, at its parents. Each cell and technology also
has a row of all operators and all months (operator and period "*", ANY), with the contributions of
each operator: a map without filters reads a few rows per cell instead of one per operator and
month. Readers of the detailed rows skip them (`operator != ANY`). An estimated disc (a cell of
an OpenCelliD list) counts once in every cell, at every resolution, whose centre lies within its
range, as long as that is at most MAX_DISC_CELLS cells: at finer resolutions a wide disc says
nothing and is left out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from functools import partial

import h3
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from surveys.coverage.classify import CLASSES
from surveys.coverage.spatial import BASE_RESOLUTION, ROLLUP_RESOLUTIONS
from surveys.models import CoverageRollup, CoverageUpload, Measurement
from surveys.months import month_of

SPEED_BINS_PER_DOUBLING = 4
RSRP_BIN_DB = 2
MAX_DISC_CELLS = 2_000
CLASS_INDEX = {name: i for i, name in enumerate(CLASSES)}
FLUSH_KEYS = 20_000  # an import writes its tallies out when it holds this many, so memory stays flat
_WRITE_BATCH = 5_000
Key = tuple[str, str, str, str]  # cell, operator, technology, period
ANY = "*"  # operator and period of the rows that sum all operators and months
_DUMPS = partial(json.dumps, separators=(",", ":"))


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
                             (self.up, other.up), (self.operators, other.operators)):
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
        self.pending: dict[Key, Tally] = {}  # coarser cells and all-operator rows, see drain()

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

    def drain(self, *, final: bool = False) -> dict[Key, Tally]:
        """The tallies to write now; the counter forgets them. Base cells' tallies go at once:
        they are most of the keys and a drive test rarely comes back to a cell. The coarser cells'
        and the all-operator rows' are kept and merged until the end (or until they too reach
        FLUSH_KEYS): they recur in every flush, and one row per upload keeps the maps' reads short."""
        out: dict[Key, Tally] = {}
        pending = self.pending
        for key, tally in self.tallies().items():
            if key[1] != ANY and h3.get_resolution(key[0]) == BASE_RESOLUTION:
                out[key] = tally
            elif (kept := pending.get(key)) is None:
                pending[key] = tally
            else:
                kept.merge(tally)
        self.base.clear()
        self.direct.clear()
        if final or len(pending) >= FLUSH_KEYS:
            out.update(pending)
            self.pending = {}
        return out


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


def recount_upload(session: Session, upload_id: int) -> int:
    """Write an upload's rollup rows from its stored measurements (as its import did); return
    how many rows. Memory stays bounded as in an import."""
    counter = ContributionCounter()
    written = 0
    rows = session.execute(select(
        Measurement.h3_cell, Measurement.operator, Measurement.technology,
        Measurement.measured_at, Measurement.signal_class, Measurement.rsrp_dbm,
        Measurement.download_mbps, Measurement.upload_mbps, Measurement.footprint_m)
        .where(Measurement.upload_id == upload_id).execution_options(yield_per=10_000))
    for row in rows:
        counter.add(*row)
        if len(counter) >= FLUSH_KEYS:
            written += write(session, upload_id, counter.drain())
    return written + write(session, upload_id, counter.drain(final=True))


def write(session: Session, upload_id: int, tallies: Mapping[Key, Tally]) -> int:
    """Insert an upload's tallies as rows of its own; return how many. Never reads or updates
    another row: imports do not wait for each other, and deleting an upload deletes its rows."""
    if not tallies:
        return 0
    table = CoverageRollup.__table__
    counts, dumps = _counts_json, _DUMPS
    marker = "?" if session.get_bind().dialect.paramstyle == "qmark" else "%s"
    columns = ("upload_id", "h3_cell", "operator", "technology", "period", "resolution", "n",
               "estimated", "classes", "rsrp", "down", "up", "operators")
    sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "
           f"({', '.join([marker] * len(columns))})")
    connection = session.connection()
    params = []
    for (cell, operator, technology, period), tally in tallies.items():
        params.append((upload_id, cell, operator, technology, period, h3.get_resolution(cell),
                       tally.n, tally.estimated, dumps(tally.classes), counts(tally.rsrp),
                       counts(tally.down), counts(tally.up),
                       dumps(tally.operators) if operator == ANY else None))
        if len(params) == _WRITE_BATCH:
            # The driver's executemany with JSON already encoded: the JSON type's per-value
            # processing costs more than the database's insert.
            connection.exec_driver_sql(sql, params)
            params = []
    if params:
        connection.exec_driver_sql(sql, params)
    return len(tallies)


def _counts_json(bins: dict[int, int]) -> str:
    # The same text as json.dumps for a histogram's integer bins, at a third of its cost: the
    # import writes three per rollup row.
    return "{" + ",".join([f'"{k}":{v}' for k, v in bins.items()]) + "}"


def remove_upload(session: Session, upload_id: int) -> None:
    session.execute(delete(CoverageRollup).where(CoverageRollup.upload_id == upload_id))


def rebuild(session: Session) -> tuple[int, int]:
    """Every upload's rollup rows recounted from its stored measurements: (uploads, rows)."""
    session.execute(delete(CoverageRollup))
    uploads = session.scalars(select(CoverageUpload.id).order_by(CoverageUpload.id)).all()
    rows = sum(recount_upload(session, upload_id) for upload_id in uploads)
    return len(uploads), rows


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
