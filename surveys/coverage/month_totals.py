"""The cells' month totals (CoverageCellMonthTotal): what a map filtered by operator or period reads.

One row per cell, technology, operator and month ("YYYY-MM"), plus one per cell, technology and
operator over all months (period "*"), each summed over every upload: a cell driven by eight
uploads is one row, not eight, so a filtered map reads cells × technologies × operators × months
(× months only with a period filter) whatever the number of uploads. Like the cells' totals
(surveys/coverage/totals.py) they are read, merged and written back once per import at its end,
and a delete subtracts exactly the upload's own detailed rows; a row that reaches zero is removed.
Both are written under the same advisory lock, the totals first and then these, each in the order
of its keys, so imports and deletes ending at once take turns and cannot deadlock.

No rows of all operators per month are kept: a period filter without an operator reads each
operator's row of the month (three or four in Vietnam), a bounded factor that does not grow with
uploads, while such a row would have to carry each operator's contributions (as the totals'
`operators`) to say which operators the cell has.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import h3
from sqlalchemy import ColumnElement, Table, Text, bindparam, cast, delete, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from surveys.coverage.histograms import ANY, _classes_json, _counts_json
from surveys.coverage.totals import _add_sums, _empty_sums, _lock_totals, _Sums, parsed_sums
from surveys.db import driver_insert_sql
from surveys.models import CoverageCellMonthTotal, CoverageRollup, CoverageUpload

CHUNK = 500
MonthKey = tuple[str, str, str, str]  # cell, technology, operator, period (or ANY)
_COLUMNS = ("h3_cell", "technology", "operator", "period", "resolution", "n", "estimated",
            "classes", "rsrp", "down", "up")


def month_sums_columns(table: Table) -> list[ColumnElement[Any]]:
    """n, estimated and the histograms as JSON text (what `month_sums` reads)."""
    return [table.c.n, table.c.estimated,
            *(cast(table.c[name], Text) for name in ("classes", "rsrp", "down", "up"))]


def month_sums(n: int, estimated: int, texts: Iterable[str | None]) -> _Sums:
    """A row read with `month_sums_columns` as sums (operators empty)."""
    return parsed_sums(n, estimated, [*texts, None])


def add_to_month_totals(session: Session, upload_id: int, *, sign: int = 1) -> None:
    """Add (sign 1) or subtract (sign -1) an upload's detailed rollup rows (each operator and
    month) to the cells' month totals and to their rows of all months. Call it once per upload,
    after `totals.add_to_totals` (an import at its end, a delete before its rows go)."""
    connection = session.connection()
    _lock_totals(connection)  # the totals' lock: one import or delete at a time adds to either
    table = CoverageRollup.__table__
    rows = connection.execute(
        select(table.c.h3_cell, table.c.technology, table.c.operator, table.c.period,
               *month_sums_columns(table))
        .where(table.c.upload_id == upload_id, table.c.operator != ANY)
        .order_by(table.c.h3_cell, table.c.technology, table.c.operator, table.c.period)
        .execution_options(yield_per=CHUNK))
    changes: dict[MonthKey, _Sums] = {}
    last_cell = None
    for cell, technology, operator, period, n, estimated, *texts in rows:
        keys = ((cell, technology, operator, period), (cell, technology, operator, ANY))
        if len(changes) >= CHUNK and cell != last_cell:  # a chunk holds whole cells
            _apply(connection, changes, sign)
            changes = {}
        last_cell = cell
        sums = month_sums(n, estimated, texts)
        month, every = keys
        _add_sums(changes.setdefault(every, _empty_sums()), sums, 1)
        if month in changes:
            _add_sums(changes[month], sums, 1)
        else:
            changes[month] = sums  # parsed for this row alone: adopted, not copied
    if changes:
        _apply(connection, changes, sign)


def refill_month_totals(session: Session) -> None:
    """The cells' month totals summed again from every upload's detailed rows."""
    _lock_totals(session.connection())
    session.execute(delete(CoverageCellMonthTotal))
    for upload_id in session.scalars(select(CoverageUpload.id).order_by(CoverageUpload.id)).all():
        add_to_month_totals(session, upload_id)


def _apply(connection: Connection, changes: dict[MonthKey, _Sums], sign: int) -> None:
    """Read the stored rows of the chunk's cells, add the changes, write them back in the keys'
    order (by the cells: the primary key's first column serves both the read and the writes)."""
    table = CoverageCellMonthTotal.__table__
    keys = sorted(changes)
    current: dict[MonthKey, _Sums] = {}
    for cell, technology, operator, period, n, estimated, *texts in connection.execute(
            select(table.c.h3_cell, table.c.technology, table.c.operator, table.c.period,
                   *month_sums_columns(table)).where(
                table.c.h3_cell.in_(sorted({key[0] for key in keys})))):
        key = (cell, technology, operator, period)
        if key in changes:
            current[key] = month_sums(n, estimated, texts)
    if current:
        connection.execute(delete(table).where(
            table.c.h3_cell == bindparam("c"), table.c.technology == bindparam("t"),
            table.c.operator == bindparam("o"), table.c.period == bindparam("p")),
            [{"c": c, "t": t, "o": o, "p": p} for c, t, o, p in sorted(current)])
    inserts = []
    for key in keys:
        sums = current.get(key)
        if sums is not None:
            _add_sums(sums, changes[key], sign)
        elif sign > 0:
            sums = changes[key]  # a new row: the change is its sums
        else:  # subtracting what was never added (a caller's mistake): nothing is written
            sums = _empty_sums()
            _add_sums(sums, changes[key], sign)
        if sums[0] > 0 or sums[1] > 0:  # a row that reaches zero is gone
            n, estimated, classes, rsrp, down, up, _operators = sums
            inserts.append((*key, h3.get_resolution(key[0]), n, estimated, _classes_json(classes),
                            _counts_json(rsrp), _counts_json(down), _counts_json(up)))
    if inserts:
        connection.exec_driver_sql(
            driver_insert_sql(connection.dialect, table.name, _COLUMNS), inserts)
