"""What the coverage map shows of a cell, worked out once when the cell's totals change.

A map without an operator or period filter used to merge, on every request, each cell's totals of
every technology (histograms as JSON) into its summary: at resolution 10 a commune has tens of
thousands of rows, and that merging was most of a second. The summary depends only on the cell's
totals, so it is kept beside them (CoverageCellSummary): one row per cell and view — every mobile
technology ("*", the map without a technology filter), or 4G or 5G alone — holding exactly what
the map's rules (surveys/coverage/hexes.py, docs/maps.md) make of the totals: counts, the median
class and medians, the operators, and which generations the measurements make usable. The totals'
writer (`totals._apply_totals`) rewrites the summaries of the cells it changes, on import and on
delete. Rows are read by `block`, the cell's ancestor three resolutions up (343 cells of the map's
resolution at most), so a commune's or a province's map is a handful of index ranges.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import h3
from sqlalchemy import delete
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from surveys.coverage.classify import CLASSES, USABLE
from surveys.coverage.histograms import median_of, speed_bin
from surveys.db import among_parameter, among_sql, driver_insert_sql, driver_marker, driver_rows
from surveys.models import CoverageCellSummary

GENERATIONS = ("2g", "3g", "4g", "5g")  # oldest first
MAP_TECHNOLOGIES = ("2g", "3g", "4g", "5g", "mobile")  # "fixed" tiles are not mobile coverage
CLASSED = frozenset({"4g", "5g"})
MIN_USABLE_MBPS = 0.1  # a 2G/3G measurement "with a speed": a page (slowly) loads
EVERY = "*"  # the view of every mobile technology
VIEWS = {EVERY: MAP_TECHNOLOGIES, "4g": ("4g",), "5g": ("5g",)}
BLOCK_LEVELS = 3  # a block is the cell's ancestor this many resolutions up (343 cells)
_GENERATION_BITS = {generation: 1 << i for i, generation in enumerate(GENERATIONS)}
_FIRST_USABLE_CLASS = min(CLASSES.index(c) for c in USABLE)
_USABLE_SPEED_BIN = speed_bin(MIN_USABLE_MBPS)
_COLUMNS = ("h3_cell", "view", "resolution", "block", "n", "estimated", "usable", "signal_class",
            "median_rsrp_dbm", "median_download_mbps", "median_upload_mbps", "operators")


class Cell:
    """A cell's measurements summed over rows (totals of technologies, or detailed rollups)."""

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

    def add(self, operators: Iterable[str], technology: str, n: int, estimated: int,
            classes: list[int], rsrp: dict[str, int], down: dict[str, int],
            up: dict[str, int]) -> None:
        self.n += n
        self.estimated += estimated
        self.operators.update(operators)
        classed = any(classes)
        if classed:
            mine = self.classes
            for i, count in enumerate(classes):
                mine[i] += count
        if technology in CLASSED:  # RSRP exists on LTE and NR; a 2G/3G tool's value is not one
            self.rsrp = _summed(self.rsrp, rsrp)
        elif technology in GENERATIONS:  # before `down` may be merged into (adopted below)
            usable_speed = sum([count for key, count in down.items()
                                if int(key) >= _USABLE_SPEED_BIN])
        self.down = _summed(self.down, down)
        self.up = _summed(self.up, up)
        tally = self.by_technology.get(technology)
        if tally is None:
            tally = self.by_technology[technology] = [0, [0] * len(CLASSES), 0]
        tally[0] += n
        if technology in CLASSED:
            if classed:
                counts = tally[1]
                for i, count in enumerate(classes):
                    counts[i] += count
        elif technology in GENERATIONS:
            tally[2] += usable_speed

    def measured_usable(self, technology: str) -> bool:
        tally = self.by_technology.get(technology)
        return tally is not None and _usable(technology, tally[0], tally[1], tally[2])

    def usable_bits(self) -> int:
        """Bit i set: GENERATIONS[i] is usable by the measurements."""
        return sum(1 << i for i, g in enumerate(GENERATIONS) if self.measured_usable(g))

    def summary(self) -> tuple[int, int, int, str | None, float | None, float | None,
                               float | None, list[str]]:
        """n, estimated, usable bits, signal class, medians of RSRP, download and upload, operators:
        what the map shows of the cell's measurements."""
        return (self.n, self.estimated, self.usable_bits(), median_class(self.classes),
                median_of(self.rsrp, "rsrp"), median_of(self.down, "speed"),
                median_of(self.up, "speed"), sorted(self.operators))


def _summed(mine: dict[str, int], theirs: dict[str, int]) -> dict[str, int]:
    if len(mine) < len(theirs):  # the cell's first, or the larger: freshly parsed for this
        mine, theirs = theirs, mine  # cell, so adopted rather than copied, the smaller added in
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


def block_of(cell: str) -> str:
    resolution = h3.get_resolution(cell)
    return h3.cell_to_parent(cell, max(0, resolution - BLOCK_LEVELS))


def summary_rows(cell: str, totals: Mapping[str, Sequence[Any]]) -> list[tuple[Any, ...]]:
    """The summary rows of one cell from its totals (technology → n, estimated, classes, rsrp,
    down, up, operators as `totals.parsed_sums` gives them; none for a view without data).

    The rows `Cell` makes of the view's technologies added one by one (`Cell.summary`), without
    its copies: a view of one technology reads that technology's histograms as they are, the
    view of every technology merges only the histograms it needs, and each technology's usable
    bit is its own (the import writes three views of every cell, and of every cell's operators:
    this is most of what an import's end spends on summaries). The totals are not changed."""
    rows = []
    resolution, block = h3.get_resolution(cell), block_of(cell)
    for view, technologies in VIEWS.items():
        present = [(technology, sums) for technology in technologies
                   if (sums := totals.get(technology)) is not None]
        if present:
            rows.append((cell, view, resolution, block, *_summary(present)))
    return rows


def _summary(present: list[tuple[str, Sequence[Any]]]) -> tuple[Any, ...]:
    """n, estimated, usable bits, signal class, medians ×3, operators joined by commas."""
    if len(present) == 1:
        technology, (n, estimated, classes, rsrp, down, up, operators) = present[0]
        return (n, estimated, _usable_bit(technology, n, classes, down), median_class(classes),
                median_of(rsrp, "rsrp") if technology in CLASSED else None,
                median_of(down, "speed"), median_of(up, "speed"),
                ",".join(sorted([name for name, count in operators.items() if count > 0])))
    n = estimated = usable = 0
    classes = [0] * len(CLASSES)
    rsrps: list[Mapping[str, int]] = []
    downs: list[Mapping[str, int]] = []
    ups: list[Mapping[str, int]] = []
    names: set[str] = set()
    for technology, (t_n, t_estimated, t_classes, rsrp, down, up, operators) in present:
        n += t_n
        estimated += t_estimated
        usable |= _usable_bit(technology, t_n, t_classes, down)  # one bit per generation
        if any(t_classes):
            classes = [a + b for a, b in zip(classes, t_classes, strict=True)]
        if technology in CLASSED:
            rsrps.append(rsrp)
        downs.append(down)
        ups.append(up)
        names.update([name for name, count in operators.items() if count > 0])
    return (n, estimated, usable, median_class(classes), _merged_median(rsrps, "rsrp"),
            _merged_median(downs, "speed"), _merged_median(ups, "speed"), ",".join(sorted(names)))


def _usable_bit(technology: str, n: int, classes: Sequence[int], down: Mapping[str, int]) -> int:
    """The technology's bit of `Cell.usable_bits` (0 when not usable, or not a generation)."""
    bit = _GENERATION_BITS.get(technology)
    if bit is None:
        return 0
    usable_speed = 0 if technology in CLASSED else \
        sum([count for key, count in down.items() if int(key) >= _USABLE_SPEED_BIN])
    return bit if _usable(technology, n, classes, usable_speed) else 0


def _usable(technology: str, n: int, classes: Sequence[int], usable_speed: int) -> bool:
    """The map's rule: 4G/5G usable when at least half of the classed measurements are of a usable
    class; 2G/3G when at least half of the measurements have a usable speed."""
    if n <= 0:
        return False
    if technology in CLASSED:
        good = sum(classes[_FIRST_USABLE_CLASS:])
        return good > 0 and 2 * good >= sum(classes)
    return 2 * usable_speed >= n


def _merged_median(histograms: list[Mapping[str, int]], metric: str) -> float | None:
    """The median of the histograms summed (None when there are none, as of an empty one)."""
    if len(histograms) <= 1:
        return median_of(histograms[0] if histograms else {}, metric)
    merged = dict(histograms[0])
    for other in histograms[1:]:
        for key, count in other.items():
            merged[key] = merged.get(key, 0) + count
    return median_of(merged, metric)


def rewrite(connection: Connection, cells: Iterable[str], rows: list[tuple[Any, ...]]) -> None:
    """Replace the summaries of `cells` by `rows`."""
    gone = list(cells)
    if gone:  # one statement: a chunk of cells is at most a few hundred
        connection.execute(delete(CoverageCellSummary).where(CoverageCellSummary.h3_cell.in_(gone)))
    if rows:
        connection.exec_driver_sql(
            driver_insert_sql(connection.dialect, CoverageCellSummary.__tablename__, _COLUMNS), rows)


SummaryRow = tuple[int, int, int, str | None, float | None, float | None, float | None, str]


def blocks_of(cells: Iterable[str], resolution: int) -> set[str]:
    """The blocks of cells of one resolution."""
    level = max(0, resolution - BLOCK_LEVELS)
    return {h3.cell_to_parent(c, level) for c in cells}


def read(session: Session, cells: set[str] | None, view: str, blocks: Iterable[str]
         ) -> dict[str, SummaryRow]:
    """cell → (n, estimated, usable bits, signal class, medians ×3, operators joined by commas)
    for those of `cells` (all of one resolution, in `blocks`: `blocks_of` them) that have
    measurements or discs. One query whatever the number of blocks (`among`), its rows as the
    driver's tuples (`driver_rows`): at resolution 10 a commune's blocks hold ~10,000 rows, and
    SQLAlchemy's Row cost more than the query. Reading the blocks and keeping the commune's cells
    here costs less than asking the database for each cell: a block is one range of the index,
    a cell one lookup (Cẩm Xuyên at resolution 10, full-size benchmark: 7.7 against 22.5 ms in
    PostgreSQL's EXPLAIN ANALYZE). `cells` None: every cell of the blocks."""
    connection = session.connection()
    dialect = connection.dialect
    sql = _READ_SQL.format(blocks=among_sql(dialect, "block"), view=driver_marker(dialect))
    found: dict[str, SummaryRow] = {}
    for row in driver_rows(connection, sql, (among_parameter(dialect, sorted(blocks)), view)):
        if cells is None or row[0] in cells:
            found[row[0]] = row[1:]
    return found


_READ_SQL = (f"SELECT h3_cell, n, estimated, usable, signal_class, median_rsrp_dbm, "
             f"median_download_mbps, median_upload_mbps, operators "
             f"FROM {CoverageCellSummary.__tablename__} WHERE {{blocks}} AND view = {{view}}")
