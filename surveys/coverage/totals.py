"""The cells' totals (CoverageCellTotal) and what the map makes of them (CoverageCellSummary).

One row per cell and technology over every upload, so an unfiltered map reads the same number of
rows whether one upload covers a cell or a hundred. Unlike the upload's own rows they are read,
merged and written back, once per import at its end (the rows of all operators are a small share
of an upload's rows), and on delete the upload's own rows of all operators say exactly what to
subtract. Whenever a cell's totals change, its summaries for the map are worked out again from all
of its totals (surveys/coverage/cell_views.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import h3
from sqlalchemy import (
    ColumnElement,
    Table,
    Text,
    cast,
    delete,
    literal_column,
    select,
    text,
    tuple_,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from surveys.coverage import cell_views, versions
from surveys.coverage.classify import CLASSES
from surveys.coverage.histograms import _DUMPS, ANY, CLASS_INDEX, _classes_json, _counts_json
from surveys.db import among, driver_insert_sql
from surveys.models import (
    CoverageCellMonthTotal,
    CoverageCellSummary,
    CoverageCellTotal,
    CoverageRollup,
    CoverageUpload,
)

_TOTALS_LOCK = 0x7068_7573  # pg_advisory_xact_lock key: concurrent imports take turns there
_TOTALS_CHUNK = 500
_TOTAL_COLUMNS = ("h3_cell", "technology", "resolution", "n", "estimated", "classes", "rsrp",
                  "down", "up", "operators")
# n, estimated, classes, rsrp, down, up, operators; histograms keyed by the bins' JSON text
_Sums = list


def add_to_totals(session: Session, upload_id: int, *, sign: int = 1,
                  summaries: bool = True) -> None:
    """Add (sign 1) or subtract (sign -1) an upload's rows of all operators and months to the
    cells' totals, and rewrite those cells' map summaries (`summaries=False`: only for the
    migration that made the totals, before the summaries' table existed). Call it once per
    upload, after its last `write` (an import at its end, within its transaction:
    `finish_upload`)."""
    connection = session.connection()
    _lock_totals(connection, bump=summaries)
    table = CoverageRollup.__table__
    rows = connection.execute(
        select(table.c.h3_cell, table.c.technology, *sums_columns(table))
        # ANY as a literal, so that SQLite sees the partial index `ix_coverage_rollups_every`
        # serves the query: in that index's order, without a sort of the rows.
        .where(table.c.upload_id == upload_id, table.c.operator == literal_column(f"'{ANY}'"))
        .order_by(table.c.h3_cell, table.c.technology)
        .execution_options(yield_per=_TOTALS_CHUNK))
    chunk: list[Any] = []  # the rows of at most _TOTALS_CHUNK keys (a key's rows follow)
    keys = 0
    last: tuple[str, str] | None = None
    for row in rows:
        key = (row[0], row[1])
        if key != last:
            if keys >= _TOTALS_CHUNK:
                _apply_totals(connection, _changes(chunk), sign, summaries)
                chunk, keys = [], 0
            keys += 1
            last = key
        chunk.append(row)
    if chunk:
        _apply_totals(connection, _changes(chunk), sign, summaries)


def _changes(rows: list[Any]) -> dict[tuple[str, str], _Sums]:
    """(cell, technology) → the sums of its rows (read with `sums_columns`): the first row's
    sums adopted, any further ones added to them."""
    changes: dict[tuple[str, str], _Sums] = {}
    for (cell, technology, *_), sums in zip(rows, _all_parsed(rows, 2), strict=True):
        found = changes.get((cell, technology))
        if found is None:
            changes[(cell, technology)] = sums
        else:
            _add_sums(found, sums, 1)
    return changes


def refill_totals(session: Session, *, summaries: bool = True) -> None:
    """The cells' totals (and their map summaries) summed again from every upload's rows."""
    _lock_totals(session.connection(), bump=summaries)  # no import may add to what is emptied
    session.execute(delete(CoverageCellTotal))
    if summaries:
        session.execute(delete(CoverageCellSummary))
    uploads = session.scalars(select(CoverageUpload.id).order_by(CoverageUpload.id)).all()
    for upload_id in uploads:
        add_to_totals(session, upload_id, summaries=summaries)


def _lock_totals(connection: Connection, *, bump: bool = True) -> None:
    """Taken first by every writer of the cells' totals, month totals and summaries: the turn
    (PostgreSQL), then a new coverage version (surveys/coverage/versions.py), so that no process
    goes on serving a map's answer kept from before this write. `bump=False`: only the totals
    change, which no map reads (the migration that made them, before the versions' table)."""
    if connection.dialect.name == "postgresql":
        # Read-merge-write: two imports ending at once would each miss the other's sums. The
        # lock lasts until the transaction ends, which for an import follows at once.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _TOTALS_LOCK})
    if bump:
        versions.bump(connection)


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


def _all_parsed(rows: Sequence[Sequence[Any]], first: int) -> list[_Sums]:
    """`parsed_sums` of each row (n at `first`, then estimated and the five JSON texts), their
    JSON parsed by one json.loads: a call per row cost more than the parsing."""
    texts = json.loads("[" + ",".join([
        f"[{row[first + 2] or 'null'},{row[first + 3] or 'null'},{row[first + 4] or 'null'},"
        f"{row[first + 5] or 'null'},{row[first + 6] or 'null'}]" for row in rows]) + "]")
    no_classes = len(CLASSES)
    return [[row[first], row[first + 1], classes or [0] * no_classes, rsrp or {}, down or {},
             up or {}, operators or {}]
            for row, (classes, rsrp, down, up, operators) in zip(rows, texts, strict=True)]


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
                  sign: int, summaries: bool) -> None:
    table = CoverageCellTotal.__table__
    cells = {cell for cell, _ in changes}
    current: dict[str, dict[str, _Sums]] = {cell: {} for cell in cells}
    # At most _TOTALS_CHUNK cells: one query, every technology of them (their summaries need all).
    stored_rows = connection.execute(
        select(table.c.h3_cell, table.c.technology, *sums_columns(table))
        .where(table.c.h3_cell.in_(cells))).all()
    for (cell, technology, *_), sums in zip(stored_rows, _all_parsed(stored_rows, 2),
                                            strict=True):
        current[cell][technology] = sums
    stored_cells = {cell for cell, sums in current.items() if sums}
    stored = [key for key in changes if key[1] in current[key[0]]]
    if stored:  # one statement for the chunk
        connection.execute(delete(table).where(
            tuple_(table.c.h3_cell, table.c.technology).in_(stored)))
    inserts = []
    for (cell, technology), change in changes.items():
        found = current[cell].get(technology)
        if found is None and sign > 0:
            sums = change  # a new row: the change is its sums (parsed for it alone)
        else:
            sums = found or _empty_sums()
            _add_sums(sums, change, sign)
        if sums[0] > 0 or sums[1] > 0:
            current[cell][technology] = sums
            n, estimated, classes, rsrp, down, up, operators = sums
            # The bins' keys are the numbers' JSON text: _counts_json writes what json.dumps does.
            inserts.append((cell, technology, h3.get_resolution(cell), n, estimated,
                            _classes_json(classes), _counts_json(rsrp), _counts_json(down),
                            _counts_json(up), _DUMPS(operators)))
        else:
            current[cell].pop(technology, None)
    if inserts:
        connection.exec_driver_sql(
            driver_insert_sql(connection.dialect, table.name, _TOTAL_COLUMNS), inserts)
    if summaries:
        rows = [row for cell in sorted(cells) for row in cell_views.summary_rows(cell, current[cell])]
        # A cell without totals before has no summaries to delete.
        cell_views.rewrite(connection, sorted(stored_cells), rows)


def usable_cells(session: Session, cells: Iterable[str], *, first_period: str | None = None,
                 last_period: str | None = None) -> dict[str, frozenset[str]]:
    """technology → those of `cells` where partners' measurements show usable coverage (most of
    the classed measurements moderate or better, all operators and months in the range together).
    Estimated discs of cell lists do not count: they say where a mast is, not what a phone gets."""
    if not first_period and not last_period:
        return _usable_from_summaries(session, cells)
    # A period: the cells' month totals (one row per operator and month, whatever the uploads).
    table = CoverageCellMonthTotal.__table__
    classes: dict[tuple[str, str], list[int]] = {}
    query = select(table.c.h3_cell, table.c.technology, table.c.classes).where(
        among(table.c.h3_cell, list(dict.fromkeys(cells)), session.get_bind().dialect),
        table.c.n > 0, table.c.period != ANY)
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
        if technology not in cell_views.CLASSED:
            continue  # 2G/3G carry no class
        good = sum(counts[CLASS_INDEX["moderate"]:])
        if good and 2 * good >= sum(counts):
            usable.setdefault(technology, set()).add(cell)
    return {technology: frozenset(found) for technology, found in usable.items()}


def _usable_from_summaries(session: Session, cells: Iterable[str]) -> dict[str, frozenset[str]]:
    """`usable_cells` over all months, read from the map's summaries: one small row per cell,
    whose usable bits for 4G and 5G follow the same rule from the same classes (a province's
    populated cells are thousands; their totals would be several JSON rows each). Read by the
    cells' blocks with the map's own reader (`cell_views.read`): with thousands of cells bound as
    one list PostgreSQL priced a scan of the whole table below the primary key on the half-size
    province benchmark (80 against 14 ms), while a province's blocks are a few dozen index ranges
    (6 ms)."""
    wanted = set(cells)
    if not wanted:
        return {}
    bits = {technology: 1 << cell_views.GENERATIONS.index(technology)
            for technology in sorted(cell_views.CLASSED)}
    blocks = {cell_views.block_of(cell) for cell in wanted}
    usable: dict[str, set[str]] = {}
    for cell, (_n, _estimated, found, *_rest) in cell_views.read(
            session, wanted, cell_views.EVERY, blocks).items():
        for technology, bit in bits.items():
            if found & bit:
                usable.setdefault(technology, set()).add(cell)
    return {technology: frozenset(found) for technology, found in usable.items()}
