"""Rollups: rows per H3 cell (resolutions 7–10), operator, technology and month, holding the
number of measurements, of estimated coverage discs, and histograms of signal class, RSRP and
speeds.

Each upload writes rows of its own (insert only), and a cell's figures are the sum of its rows:
histograms add, so readers merge the few rows a cell has, a median or percentile is read off the
summed bins, and deleting an upload deletes its rows — exactly its contribution, without
rescanning raw rows or rewriting anyone else's rows (only the cells' totals below are rewritten,
once per import and per delete). An upload has one row per key
except when its tallies outgrow memory (FLUSH_KEYS) and a base cell recurs after a flush.
Precision: RSRP in 2 dB bins (a median within ±1 dB; classes are 10–20 dB wide); speeds in
log-scale bins of 2^(1/4) (a median within about ±9 %).

Measurements count at their base cell and, summed, at its parents. Each cell and technology also
has a row of all operators and all months (operator and period "*", ANY), with the contributions of
each operator. At the end of an import they are summed into the cells' totals (CoverageCellTotal,
`add_to_totals`): one row per cell and technology over every upload, which a map without filters
reads, so its reading does not grow with the number of uploads; a delete subtracts them again.
Readers of the detailed rows skip them (`operator != ANY`). An estimated disc (a cell of
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
from typing import Any

import h3
from sqlalchemy import ColumnElement, Table, Text, cast, delete, literal_column, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from surveys.coverage.classify import CLASSES
from surveys.coverage.spatial import BASE_RESOLUTION, ROLLUP_RESOLUTIONS
from surveys.db import driver_insert_sql, driver_marker
from surveys.models import CoverageCellTotal, CoverageRollup, CoverageUpload, Measurement
from surveys.places.months import month_of

SPEED_BINS_PER_DOUBLING = 4
RSRP_BIN_DB = 2
MAX_DISC_CELLS = 2_000
CLASS_INDEX = {name: i for i, name in enumerate(CLASSES)}
# An import writes its base cells' tallies out when it holds this many, and the coarser ones
# when it keeps KEPT_KEYS of them, so its memory is bounded whatever the file's size.
FLUSH_KEYS = 100_000
KEPT_KEYS = 10_000
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
    counts = sorted([(int(k), v) for k, v in bins.items() if v > 0])
    total = sum([v for _, v in counts])
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
                             (self.up, other.up), (self.operators, other.operators)):
            if theirs:
                for index, n in theirs.items():
                    mine[index] = mine.get(index, 0) + n

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tally) and all(
            getattr(self, name) == getattr(other, name) for name in self.__slots__)


def _sum_into(into: dict[Key, Tally], key: Key, tally: Tally) -> None:
    kept = into.get(key)
    if kept is None:
        kept = into[key] = Tally()
    kept.merge(tally)


def _sum_into_every(every: dict[Key, Tally], key: Key, tally: Tally) -> None:
    """Into the row of all operators and months of the key's cell and technology."""
    cell, operator, technology, _period = key
    kept = every.get((cell, ANY, technology, ANY))
    if kept is None:
        kept = every[(cell, ANY, technology, ANY)] = Tally()
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

    def __len__(self) -> int:
        return len(self.base) + len(self.direct)

    def kept(self) -> int:
        return len(self.parents) + len(self.coarse_discs)

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
        seen = self.base.get(key)
        if seen is None:
            seen = self.base[key] = []
        elif seen.__class__ is Tally:
            seen.add(signal_class, rsrp, down, up)
            return
        # Offsets keep the usual bins between 0 and 256, numbers Python does not allocate.
        seen += (None if signal_class is None else CLASS_INDEX[signal_class],
                 None if rsrp is None else math.floor(rsrp / RSRP_BIN_DB) + _RSRP_OFFSET,
                 None if down is None else speed_bin(down) + _SPEED_OFFSET,
                 None if up is None else speed_bin(up) + _SPEED_OFFSET)
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
            tally = seen if seen.__class__ is Tally else _tally_of(seen)
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


def write(session: Session, upload_id: int, tallies: Iterable[tuple[Key, Tally]]) -> int:
    """Insert an upload's tallies as rows of its own; return how many. Never reads or updates
    another row: imports do not wait for each other, and deleting an upload deletes its rows."""
    table = CoverageRollup.__table__
    counts, dumps, classes = _counts_json, _DUMPS, _classes_json
    connection = session.connection()
    sql = driver_insert_sql(connection.dialect, table.name, (
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
    cells' totals (without which an unfiltered map would not see it); return the rows written."""
    written = write(session, upload_id, counter.drain(final=True))
    add_to_totals(session, upload_id)
    return written


def _counts_json(bins: dict[int, int]) -> str:
    # The same text as json.dumps for a histogram's integer bins, at a third of its cost: the
    # import writes three per rollup row.
    return "{" + ",".join([f'"{k}":{v}' for k, v in bins.items()]) + "}"


def _classes_json(classes: list[int]) -> str:
    return "[" + ",".join(map(str, classes)) + "]"


def remove_upload(session: Session, upload_id: int) -> None:
    """Take an upload's contribution out of the cells' totals, then delete its rows."""
    add_to_totals(session, upload_id, sign=-1)
    session.execute(delete(CoverageRollup).where(CoverageRollup.upload_id == upload_id))


def rebuild(session: Session) -> tuple[int, int]:
    """Every upload's rollup rows recounted from its stored measurements, and the cells' totals
    summed again from them: (uploads, rows)."""
    session.execute(delete(CoverageRollup))
    uploads = session.scalars(select(CoverageUpload.id).order_by(CoverageUpload.id)).all()
    rows = sum(recount_upload(session, upload_id) for upload_id in uploads)
    refill_totals(session)
    return len(uploads), rows


# The cells' totals (CoverageCellTotal): one row per cell and technology over every upload, so an
# unfiltered map reads the same number of rows whether one upload covers a cell or a hundred.
# Unlike the upload's own rows they are read, merged and written back, once per import at its
# end (the rows of all operators are a small share of an upload's rows), and on delete the
# upload's own rows of all operators say exactly what to subtract.
_TOTALS_LOCK = 0x7068_7573  # pg_advisory_xact_lock key: concurrent imports take turns there
_TOTALS_CHUNK = 500
_TOTAL_COLUMNS = ("h3_cell", "technology", "resolution", "n", "estimated", "classes", "rsrp",
                  "down", "up", "operators")
# n, estimated, classes, rsrp, down, up, operators; histograms keyed by the bins' JSON text
_Sums = list


def add_to_totals(session: Session, upload_id: int, *, sign: int = 1) -> None:
    """Add (sign 1) or subtract (sign -1) an upload's rows of all operators and months to the
    cells' totals. Call it once per upload, after its last `write` (an import at its end, within
    its transaction: `finish_upload`)."""
    connection = session.connection()
    _lock_totals(connection)
    table = CoverageRollup.__table__
    rows = connection.execute(
        select(table.c.h3_cell, table.c.technology, *sums_columns(table))
        # ANY as a literal, so that SQLite sees the partial index `ix_coverage_rollups_every`
        # serves the query: in that index's order, without a sort of the rows.
        .where(table.c.upload_id == upload_id, table.c.operator == literal_column(f"'{ANY}'"))
        .order_by(table.c.h3_cell, table.c.technology)
        .execution_options(yield_per=_TOTALS_CHUNK))
    changes: dict[tuple[str, str], _Sums] = {}
    for cell, technology, n, estimated, *texts in rows:
        key = (cell, technology)
        if len(changes) >= _TOTALS_CHUNK and key not in changes:
            _apply_totals(connection, changes, sign)
            changes = {}
        _add_sums(changes.setdefault(key, _empty_sums()), parsed_sums(n, estimated, texts), 1)
    if changes:
        _apply_totals(connection, changes, sign)


def refill_totals(session: Session) -> None:
    """The cells' totals summed again from every upload's rows."""
    _lock_totals(session.connection())  # no import may add to what is being emptied
    session.execute(delete(CoverageCellTotal))
    uploads = session.scalars(select(CoverageUpload.id).order_by(CoverageUpload.id)).all()
    for upload_id in uploads:
        add_to_totals(session, upload_id)


def _lock_totals(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Read-merge-write: two imports ending at once would each miss the other's sums. The
        # lock lasts until the transaction ends, which for an import follows at once.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _TOTALS_LOCK})


def sums_columns(table: Table) -> list[ColumnElement[Any]]:
    """What `parsed_sums` reads, the JSON as text: one json.loads per row costs less than the
    JSON type's decoding of each column."""
    return [table.c.n, table.c.estimated,
            *(cast(table.c[name], Text) for name in ("classes", "rsrp", "down", "up", "operators"))]


def _empty_sums() -> _Sums:
    return [0, 0, [0] * len(CLASSES), {}, {}, {}, {}]


def parsed_sums(n: int, estimated: int, texts: list[str | None]) -> _Sums:
    """n, estimated, classes, rsrp, down, up, operators of a rollup or total row read with
    `sums_columns` (operators empty on the detailed rows)."""
    classes, rsrp, down, up, operators = json.loads(f"[{','.join(t or 'null' for t in texts)}]")
    return [n, estimated, classes or [0] * len(CLASSES), rsrp or {}, down or {}, up or {},
            operators or {}]


def _add_sums(into: _Sums, other: _Sums, sign: int) -> None:
    into[0] += sign * other[0]
    into[1] += sign * other[1]
    into[2] = [a + sign * b for a, b in zip(into[2], other[2], strict=True)]
    for mine, theirs in zip(into[3:], other[3:], strict=True):
        for key, count in theirs.items():
            value = mine.get(key, 0) + sign * count
            if value:
                mine[key] = value
            else:
                del mine[key]  # a bin emptied by a delete leaves no trace


def _apply_totals(connection: Connection, changes: dict[tuple[str, str], _Sums],
                  sign: int) -> None:
    table = CoverageCellTotal.__table__
    stored: dict[tuple[str, str], _Sums] = {}
    # At most _TOTALS_CHUNK cells: one query.
    for cell, technology, n, estimated, *texts in connection.execute(
            select(table.c.h3_cell, table.c.technology, *sums_columns(table))
            .where(table.c.h3_cell.in_({cell for cell, _ in changes}))):
        if (cell, technology) in changes:
            stored[(cell, technology)] = parsed_sums(n, estimated, texts)
    marker = driver_marker(connection.dialect)
    if stored:
        connection.exec_driver_sql(
            f"DELETE FROM {table.name} WHERE h3_cell = {marker} AND technology = {marker}",
            list(stored))
    inserts = []
    for (cell, technology), change in changes.items():
        sums = stored.get((cell, technology)) or _empty_sums()
        _add_sums(sums, change, sign)
        if sums[0] > 0 or sums[1] > 0:
            n, estimated, classes, rsrp, down, up, operators = sums
            inserts.append((cell, technology, h3.get_resolution(cell), n, estimated,
                            _classes_json(classes), _DUMPS(rsrp), _DUMPS(down), _DUMPS(up),
                            _DUMPS(operators)))
    if inserts:
        connection.exec_driver_sql(
            driver_insert_sql(connection.dialect, table.name, _TOTAL_COLUMNS), inserts)


def usable_cells(session: Session, cells: Iterable[str], *, first_period: str | None = None,
                 last_period: str | None = None) -> dict[str, frozenset[str]]:
    """technology → those of `cells` where partners' measurements show usable coverage (most of
    the classed measurements moderate or better, all operators and months in the range together).
    Estimated discs of cell lists do not count: they say where a mast is, not what a phone gets."""
    # Over all months the cells' totals hold the same classes in one row per cell and technology.
    every = not first_period and not last_period
    table = CoverageCellTotal.__table__ if every else CoverageRollup.__table__
    wanted = list(dict.fromkeys(cells))
    classes: dict[tuple[str, str], list[int]] = {}
    for start in range(0, len(wanted), 500):
        query = select(table.c.h3_cell, table.c.technology, table.c.classes).where(
            table.c.h3_cell.in_(wanted[start:start + 500]), table.c.n > 0)
        if not every:
            query = query.where(table.c.operator != ANY)
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
