"""Rollups: rows per H3 cell (resolutions 6–10), operator, technology and month, holding the
number of measurements, of estimated coverage discs, and histograms of signal class, RSRP and
speeds (surveys/coverage/histograms.py: the bins and their precision).

Each upload writes rows of its own (insert only), and a cell's figures are the sum of its rows:
histograms add, so deleting an upload deletes its rows — exactly its contribution, without
rescanning raw rows or rewriting anyone else's rows. An upload has one row per key except when its
tallies outgrow memory (FLUSH_KEYS) and a base cell recurs after a flush.

Measurements count at their base cell and, summed, at its parents. Each cell and technology also
has a row of all operators and all months (operator and period "*", ANY), with the contributions of
each operator; at the end of an import they are summed into the cells' totals and the map's
summaries (surveys/coverage/totals.py), and a delete subtracts them again. Readers of the detailed
rows skip them (`operator != ANY`). An estimated disc (a cell of an OpenCelliD list) counts once in
every cell, at every resolution, whose centre lies within its range, as long as that is at most
MAX_DISC_CELLS cells: at finer resolutions a wide disc says nothing and is left out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from math import floor, log2

import h3
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from surveys.coverage import operator_views
from surveys.coverage.classify import CLASSES
from surveys.coverage.collector import collector_paused
from surveys.coverage.histograms import (
    _DUMPS,
    ANY,
    CLASS_INDEX,
    RSRP_BIN_DB,
    SPEED_BINS_PER_DOUBLING,
    _classes_json,
    _counts_json,
    median_of,
    percentile,
    rsrp_of_bin,
    speed_bin,
    speed_of_bin,
)
from surveys.coverage.month_totals import add_to_month_totals, refill_month_totals
from surveys.coverage.spatial import (
    BASE_RESOLUTION,
    MAX_DISC_CELLS,
    ROLLUP_RESOLUTIONS,
    disc_cells,
)
from surveys.coverage.totals import add_to_totals, refill_totals, usable_cells
from surveys.db import driver_insert_sql
from surveys.models import CoverageRollup, CoverageUpload, Measurement
from surveys.places.months import month_bounds, month_of

# Re-exported: readers of the rollups and the tests know them from here.
__all__ = ["ANY", "CLASS_INDEX", "MAX_DISC_CELLS", "RSRP_BIN_DB", "SPEED_BINS_PER_DOUBLING",
           "disc_cells", "median_of", "percentile", "rsrp_of_bin", "speed_bin", "speed_of_bin",
           "usable_cells"]

# An import writes its base cells' tallies out when it holds this many, and the coarser ones
# when it keeps KEPT_KEYS of them, so its memory is bounded whatever the file's size.
FLUSH_KEYS = 100_000
KEPT_KEYS = 10_000
_WRITE_BATCH = 5_000
Key = tuple[str, str, str, str]  # cell, operator, technology, period


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

    def add(self, signal_class: str | None, rsrp: float | None, down: float | None,
            up: float | None) -> None:
        self.n += 1
        if signal_class is not None:
            self.classes[CLASS_INDEX[signal_class]] += 1
        for histogram, index in ((self.rsrp, None if rsrp is None
                                  else math.floor(rsrp / RSRP_BIN_DB)),
                                 (self.down, None if down is None else speed_bin(down)),
                                 (self.up, None if up is None else speed_bin(up))):
            if index is not None:
                histogram[index] = histogram.get(index, 0) + 1

    def merge(self, other: Tally) -> None:
        self.n += other.n
        self.estimated += other.estimated
        if other.n:  # a disc's tally has only `estimated`
            self.classes = [a + b for a, b in zip(self.classes, other.classes, strict=True)]
        for mine, theirs in ((self.rsrp, other.rsrp), (self.down, other.down),
                             (self.up, other.up)):
            if theirs:
                for index, n in theirs.items():
                    mine[index] = mine.get(index, 0) + n
        if other.operators:
            for name, n in other.operators.items():
                self.operators[name] = self.operators.get(name, 0) + n

    def copy(self) -> Tally:
        """An empty Tally merged with this one, in C: the same bins in the same order."""
        new = Tally.__new__(Tally)
        new.n, new.estimated, new.classes = self.n, self.estimated, self.classes.copy()
        new.rsrp, new.down, new.up = self.rsrp.copy(), self.down.copy(), self.up.copy()
        new.operators = self.operators.copy()
        return new

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tally) and all(
            getattr(self, name) == getattr(other, name) for name in self.__slots__)


def _sum_into(into: dict[Key, Tally], key: Key, tally: Tally) -> None:
    kept = into.get(key)
    if kept is None:
        into[key] = tally.copy()
    else:
        kept.merge(tally)


def _sum_into_every(every: dict[Key, Tally], key: Key, tally: Tally) -> None:
    """Into the row of all operators and months of the key's cell and technology."""
    cell, operator, technology, _period = key
    kept = every.get((cell, ANY, technology, ANY))
    if kept is None:
        kept = every[(cell, ANY, technology, ANY)] = tally.copy()
    else:
        kept.merge(tally)
    kept.operators[operator] = kept.operators.get(operator, 0) + tally.n + tally.estimated


class ContributionCounter:
    """Adds measurements up into rollup rows.

    Measurements are counted at their base cell, compactly: a list of four small numbers per
    measurement (class, RSRP bin, download and upload bins), a few hundred bytes a key where a
    Tally of dictionaries takes over a kilobyte, so an import holds many keys in little memory and
    writes each base cell's row once or twice. drain() turns them into tallies as they are written,
    with their cells' rows of all operators, and sums them into their resolution-9 parents, which
    it keeps: those recur in every flush, and one row per upload keeps the maps' reads short. The
    coarser levels and their rows of all operators are summed from those once, when written (at
    the end, or when what is kept reaches KEPT_KEYS). An estimated disc counts at each resolution
    by itself, never through its parents."""

    def __init__(self) -> None:
        self.base: dict[Key, list[int | None] | Tally] = {}
        self.direct: dict[Key, Tally] = {}  # estimated discs, already at every resolution
        # Kept between drains: resolution-9 sums of the base cells, and discs at coarser
        # resolutions.
        self.parents: dict[Key, Tally] = {}
        self.coarse_discs: dict[Key, Tally] = {}
        self._month = _NO_MONTH  # the last month seen: (its UTC start, end, period)

    def __len__(self) -> int:
        return len(self.base) + len(self.direct)

    def kept(self) -> int:
        return len(self.parents) + len(self.coarse_discs)

    def add(self, cell: str, operator: str, technology: str, measured_at: datetime,
            signal_class: str | None, rsrp: float | None, down: float | None, up: float | None,
            footprint_m: float | None = None) -> None:
        start, end, period = self._month  # month_of(measured_at), which rows share by the thousand
        if not (measured_at.tzinfo is UTC and start <= measured_at < end):
            period = month_of(measured_at)
            self._month = (*month_bounds(period), period)
        if footprint_m is not None:
            for disc_cell in disc_cells(cell, footprint_m):
                key = (disc_cell, operator, technology, period)
                tally = self.direct.get(key)
                if tally is None:
                    tally = self.direct[key] = Tally()
                tally.estimated += 1
            return
        key = (cell, operator, technology, period)
        seen = self.base.get(key)
        if seen is None:
            seen = self.base[key] = []
        elif isinstance(seen, Tally):
            seen.add(signal_class, rsrp, down, up)
            return
        # Offsets keep the usual bins between 0 and 256, numbers Python does not allocate.
        seen += (None if signal_class is None else CLASS_INDEX[signal_class],
                 None if rsrp is None else math.floor(rsrp / RSRP_BIN_DB) + _RSRP_OFFSET,
                 # speed_bin(), inline: max(mbps, 0.001) written out
                 None if down is None else floor(_PER_DOUBLING * log2(0.001 if 0.001 > down else down))
                 + _SPEED_OFFSET,
                 None if up is None else floor(_PER_DOUBLING * log2(0.001 if 0.001 > up else up))
                 + _SPEED_OFFSET)
        if len(seen) >= _COMPACT_LIMIT:  # a probe that stays in one cell: histograms are smaller
            self.base[key] = _tally_of(seen)

    def drain(self, *, final: bool = False) -> Iterator[tuple[Key, Tally]]:
        """The tallies to write now, as they are made; the counter forgets them at once (a key
        may come twice: a base cell's measurements and the discs reaching it)."""
        base, direct = self.base, self.direct
        self.base, self.direct = {}, {}
        return self._drained(base, direct, final)

    def _drained(self, base: dict[Key, list[int | None] | Tally], direct: dict[Key, Tally],
                 final: bool) -> Iterator[tuple[Key, Tally]]:
        parents = self.parents
        # The base cells' rows of all operators go out with the base cells, one cell and
        # technology at a time: keeping them would take a Tally per cell until the end.
        discs_here: dict[tuple[str, str], list[tuple[Key, Tally]]] = {}
        for key, tally in direct.items():
            if h3.get_resolution(key[0]) == BASE_RESOLUTION:
                discs_here.setdefault((key[0], key[2]), []).append((key, tally))
            else:
                _sum_into(self.coarse_discs, key, tally)
        parent_of: dict[str, str] = {}
        group: tuple[str, str] | None = None
        every: dict[Key, Tally] = {}
        for key in sorted(base, key=_cell_and_technology):
            if (key[0], key[2]) != group:
                if group is not None:
                    yield from self._every_of(group, every, discs_here)
                group = (key[0], key[2])
            seen = base.pop(key)  # frees the compact form as the tallies are made
            tally = seen if isinstance(seen, Tally) else _tally_of(seen)
            _sum_into(parents, _parent_key(key, BASE_RESOLUTION - 1, parent_of), tally)
            _sum_into_every(every, key, tally)
            yield key, tally
        if group is not None:
            yield from self._every_of(group, every, discs_here)
        for group in list(discs_here):  # discs in cells without measurements
            yield from self._every_of(group, every, discs_here)
        if final or self.kept() >= KEPT_KEYS:
            yield from self._coarser().items()

    @staticmethod
    def _every_of(group: tuple[str, str], every: dict[Key, Tally],
                  discs_here: dict[tuple[str, str], list[tuple[Key, Tally]]]
                  ) -> Iterator[tuple[Key, Tally]]:
        """The discs of one base cell and technology, then its row of all operators."""
        for key, tally in discs_here.pop(group, ()):
            _sum_into_every(every, key, tally)
            yield key, tally
        yield from every.items()
        every.clear()

    def _coarser(self) -> dict[Key, Tally]:
        """Resolutions 9 to 7, each summed from the level below, the discs at their own level,
        then these cells' rows of all operators; forgets what was kept."""
        result: dict[Key, Tally] = {}
        level = self.parents
        for resolution in range(BASE_RESOLUTION - 1, ROLLUP_RESOLUTIONS[0] - 1, -1):
            result.update(level)
            if resolution == ROLLUP_RESOLUTIONS[0]:
                break
            coarser: dict[Key, Tally] = {}
            parent_of: dict[str, str] = {}
            for key, tally in level.items():
                _sum_into(coarser, _parent_key(key, resolution - 1, parent_of), tally)
            level = coarser
        for key, tally in self.coarse_discs.items():  # after the sums: not through parents
            _sum_into(result, key, tally)
        every: dict[Key, Tally] = {}
        for key, tally in result.items():
            _sum_into_every(every, key, tally)
        result.update(every)
        self.parents, self.coarse_discs = {}, {}
        return result


def _parent_key(key: Key, resolution: int, parent_of: dict[str, str]) -> Key:
    """The key's cell's parent at `resolution`, the rest of the key kept (parent_of caches the
    cells: many keys share one)."""
    cell = key[0]
    parent = parent_of.get(cell)
    if parent is None:
        parent = parent_of[cell] = h3.cell_to_parent(cell, resolution)
    return parent, key[1], key[2], key[3]


def _cell_and_technology(key: Key) -> tuple[str, str]:
    return key[0], key[2]


_NO_MONTH = (datetime.max.replace(tzinfo=UTC), datetime.min.replace(tzinfo=UTC), "")
_PER_DOUBLING = SPEED_BINS_PER_DOUBLING
_COMPACT_LIMIT = 4 * 64  # measurements of one key held compactly, before a Tally holds them
_RSRP_OFFSET = 128  # RSRP bins run from -70 to -22 (-140 to -43 dBm)
_SPEED_OFFSET = 64  # speed bins from -40 (0.001 Mbps) to 53 (10 Gbps)


def _tally_of(seen: list[int | None]) -> Tally:
    tally = Tally()
    tally.n = len(seen) // 4
    classes = tally.classes
    for index in seen[0::4]:
        if index is not None:
            classes[index] += 1
    for histogram, offset, bins in ((tally.rsrp, _RSRP_OFFSET, seen[1::4]),
                                    (tally.down, _SPEED_OFFSET, seen[2::4]),
                                    (tally.up, _SPEED_OFFSET, seen[3::4])):
        for index in bins:
            if index is not None:
                index -= offset
                histogram[index] = histogram.get(index, 0) + 1
    return tally


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


def write(session: Session, upload_id: int, tallies: Iterable[tuple[Key, Tally]]) -> int:
    """Insert an upload's tallies as rows of its own; return how many. Never reads or updates
    another row: imports do not wait for each other, and deleting an upload deletes its rows."""
    table = CoverageRollup.__tablename__
    counts, dumps, classes = _counts_json, _DUMPS, _classes_json
    connection = session.connection()
    sql = driver_insert_sql(connection.dialect, table, (
        "upload_id", "h3_cell", "operator", "technology", "period", "resolution", "n",
        "estimated", "classes", "rsrp", "down", "up", "operators"))
    params = []
    written = 0
    for (cell, operator, technology, period), tally in tallies:
        written += 1
        params.append((upload_id, cell, operator, technology, period, h3.get_resolution(cell),
                       tally.n, tally.estimated, classes(tally.classes), counts(tally.rsrp),
                       counts(tally.down), counts(tally.up),
                       dumps(tally.operators) if operator == ANY else None))
        if len(params) == _WRITE_BATCH:
            # JSON already encoded: the JSON type's per-value processing costs more than the
            # database's insert.
            connection.exec_driver_sql(sql, params)
            params = []
    if params:
        connection.exec_driver_sql(sql, params)
    return written


def finish_upload(session: Session, upload_id: int, counter: ContributionCounter) -> int:
    """How an import ends: the counter's last tallies written, then the upload summed into the
    cells' totals and month totals (without which a map would not see it; the totals first, then
    the month totals and their operator summaries, as a delete: one order); return the rows
    written."""
    with collector_paused():  # chunks of parsed sums, freed by reference counting
        written = write(session, upload_id, counter.drain(final=True))
        add_to_totals(session, upload_id)
        add_to_month_totals(session, upload_id)  # and the operator summaries of its cells
    return written


def remove_upload(session: Session, upload_id: int) -> None:
    """Take an upload's contribution out of the cells' totals and month totals (and rewrite the
    operator summaries of its cells), then delete its rows."""
    with collector_paused():
        add_to_totals(session, upload_id, sign=-1)
        add_to_month_totals(session, upload_id, sign=-1)  # and the operator summaries of its cells
    session.execute(delete(CoverageRollup).where(CoverageRollup.upload_id == upload_id))


def rebuild(session: Session, *, month_totals: bool = True) -> tuple[int, int]:
    """Every upload's rollup rows recounted from its stored measurements, and the cells' totals
    and month totals (and the operator summaries) summed again from them: (uploads, rows).
    `month_totals=False`: only for the migration 20261204_31, which runs before their tables
    exist (20261206_11, 20261207_31)."""
    session.execute(delete(CoverageRollup))
    uploads = session.scalars(select(CoverageUpload.id).order_by(CoverageUpload.id)).all()
    rows = sum(recount_upload(session, upload_id) for upload_id in uploads)
    refill_totals(session)
    if month_totals:
        refill_month_totals(session)
        operator_views.refill(session)
    return len(uploads), rows
