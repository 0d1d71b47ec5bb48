"""The cells' month totals (CoverageCellMonthTotal): what a map filtered by operator or period reads.

One row per cell, technology, operator and month ("YYYY-MM"), plus one per cell, technology and
operator over all months (period "*"), each summed over every upload: a cell driven by eight
uploads is one row, not eight, so a filtered map reads cells × technologies × operators × months
(× months only with a period filter) whatever the number of uploads. Like the cells' totals
(surveys/coverage/totals.py) they are read, merged and written back once per import at its end,
and a delete subtracts exactly the upload's own detailed rows; a row that reaches zero is removed.
Only what needs a sum is parsed: a cell, technology and operator with one detailed row (most of an
upload's) writes its month row and its row of all months from that row's JSON text as read; the
other groups of a chunk are parsed by one json.loads. Each chunk's cells then have their operator
summaries rewritten from their rows of all months as just written or as stored, without reading
them back (surveys/coverage/operator_views.py `rewrite_from`).
Both are written under the same advisory lock, the totals first and then these, each in the order
of its keys, so imports and deletes ending at once take turns and cannot deadlock.

No rows of all operators per month are kept: a period filter without an operator reads each
operator's row of the month (three or four in Vietnam), a bounded factor that does not grow with
uploads, while such a row would have to carry each operator's contributions (as the totals'
`operators`) to say which operators the cell has.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import h3
from sqlalchemy import ColumnElement, Table, Text, cast, delete, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from surveys.coverage import operator_views
from surveys.coverage.classify import CLASSES
from surveys.coverage.histograms import ANY, _classes_json, _counts_json
from surveys.coverage.totals import _add_sums, _empty_sums, _lock_totals, _Sums, parsed_sums
from surveys.db import driver_insert_sql, driver_marker
from surveys.models import CoverageCellMonthTotal, CoverageRollup, CoverageUpload

CHUNK = 2000
MonthKey = tuple[str, str, str, str]  # cell, technology, operator, period (or ANY)
_Raw = tuple[int, int, str, str, str, str]  # n, estimated, classes, rsrp, down, up (JSON text)
_Change = _Sums | _Raw  # what one upload adds to a month-total row: parsed, or as it was read
_COLUMNS = ("h3_cell", "technology", "operator", "period", "resolution", "n", "estimated",
            "classes", "rsrp", "down", "up")


def month_sums_columns(table: Table) -> list[ColumnElement[Any]]:
    """n, estimated and the histograms as JSON text (what `month_sums` reads)."""
    return [table.c.n, table.c.estimated,
            *(cast(table.c[name], Text) for name in ("classes", "rsrp", "down", "up"))]


def month_sums(n: int, estimated: int, texts: Iterable[str | None]) -> _Sums:
    """A row read with `month_sums_columns` as sums (operators empty)."""
    return parsed_sums(n, estimated, [*texts, None])


def add_to_month_totals(session: Session, upload_id: int, *, sign: int = 1,
                        summaries: bool = True) -> None:
    """Add (sign 1) or subtract (sign -1) an upload's detailed rollup rows (each operator and
    month) to the cells' month totals and to their rows of all months, and rewrite those cells'
    operator summaries from their rows of all months as they now stand (`summaries=False`: only
    the month totals, for `refill_month_totals`). Call it once per upload, after
    `totals.add_to_totals` (an import at its end, a delete before its rows go)."""
    connection = session.connection()
    _lock_totals(connection)  # the totals' lock: one import or delete at a time adds to either
    table = CoverageRollup.__table__
    rows = connection.execute(
        select(table.c.h3_cell, table.c.technology, table.c.operator, table.c.period,
               *month_sums_columns(table))
        .where(table.c.upload_id == upload_id, table.c.operator != ANY)
        .order_by(table.c.h3_cell, table.c.technology, table.c.operator, table.c.period)
        .execution_options(yield_per=CHUNK))
    changes: dict[MonthKey, _Change] = {}
    pending: list[list[Sequence[Any]]] = []  # groups to parse, all of a chunk's at once
    keys = 0  # the changes the chunk's groups make
    group: list[Sequence[Any]] = []  # the rows of one cell, technology and operator
    for row in rows:
        first = group[0] if group else row
        if row[2] != first[2] or row[1] != first[1] or row[0] != first[0]:
            keys += _add_group(changes, pending, group)
            group = []
            if keys >= CHUNK and row[0] != first[0]:  # a chunk holds whole cells
                _apply(connection, changes, _sum_groups(changes, pending), sign, summaries)
                changes, pending, keys = {}, [], 0
        group.append(row)
    if group:
        keys += _add_group(changes, pending, group)
    if keys:
        _apply(connection, changes, _sum_groups(changes, pending), sign, summaries)


def _add_group(changes: dict[MonthKey, _Change], pending: list[list[Sequence[Any]]],
               group: list[Sequence[Any]]) -> int:
    """What one cell, technology and operator's rows (in the order of their months) add to its
    month rows and to its row of all months; returns how many changes. A row alone in its group
    is both changes as it is: its JSON text is kept (`_raw`), not parsed and encoded again.
    Other groups wait in `pending` for `_sum_groups`."""
    if len(group) == 1:
        raw = _raw(group[0][4], group[0][5], group[0][6:])
        if raw is not None:
            cell, technology, operator = group[0][0], group[0][1], group[0][2]
            changes[(cell, technology, operator, group[0][3])] = raw
            changes[(cell, technology, operator, ANY)] = raw
            return 2
    pending.append(group)
    return len({row[3] for row in group}) + 1


def _sum_groups(changes: dict[MonthKey, _Change], pending: list[list[Sequence[Any]]]
                ) -> dict[MonthKey, _Sums]:
    """The changes of the pending groups, their rows' JSON parsed by one json.loads; returns the
    sums of the rows of all months written as text (for the operator summaries)."""
    parsed_rows = iter(json.loads("[" + ",".join([
        f"[{row[6] or 'null'},{row[7] or 'null'},{row[8] or 'null'},{row[9] or 'null'}]"
        for group in pending for row in group]) + "]")) if pending else iter(())
    no_classes = len(CLASSES)
    known: dict[MonthKey, _Sums] = {}
    for group in pending:
        cell, technology, operator = group[0][0], group[0][1], group[0][2]
        parsed: list[tuple[str, _Sums]] = []
        for row in group:  # as `month_sums` of the row
            classes, rsrp, down, up = next(parsed_rows)
            parsed.append((row[3], [row[4], row[5], classes or [0] * no_classes, rsrp or {},
                                    down or {}, up or {}, {}]))
        if all(period == parsed[0][0] for period, _sums in parsed):
            # One month (rows of one key: the upload's tallies outgrew memory and the cell came
            # back): its row of all months is its month's row to the byte, summed and encoded
            # once.
            sums = parsed[0][1]
            for _period, other in parsed[1:]:
                _add_sums(sums, other, 1)
            raw = _encoded(sums)
            changes[(cell, technology, operator, parsed[0][0])] = raw
            changes[(cell, technology, operator, ANY)] = raw
            known[(cell, technology, operator, ANY)] = sums
            continue
        every = _empty_sums()
        for _period, sums in parsed:  # first, while each row's sums are still its own
            _add_sums(every, sums, 1)
        months: dict[str, _Sums] = {}
        for period, sums in parsed:
            if period in months:  # the upload's rows of one key (its tallies outgrew memory)
                _add_sums(months[period], sums, 1)
            else:
                months[period] = sums  # parsed for this row alone: adopted, not copied
        for period, sums in months.items():
            changes[(cell, technology, operator, period)] = sums
        changes[(cell, technology, operator, ANY)] = every
    return known


def _raw(n: int, estimated: int, texts: Sequence[str | None]) -> _Raw | None:
    """A detailed row's sums as the text a month-total row stores, when that text is its own
    (without the spaces PostgreSQL's JSONB puts after separators: histograms' keys are numbers,
    so nothing else has a space); None when a column is empty (then it is parsed)."""
    classes, rsrp, down, up = texts
    if classes is None or rsrp is None or down is None or up is None:
        return None
    if " " in classes + rsrp + down + up:
        classes, rsrp, down, up = (text.replace(" ", "") for text in (classes, rsrp, down, up))
    return n, estimated, classes, rsrp, down, up


def _encoded(sums: _Sums) -> _Raw:
    """Sums as the text a month-total row stores."""
    n, estimated, classes, rsrp, down, up, _operators = sums
    return (n, estimated, _classes_json(classes), _counts_json(rsrp), _counts_json(down),
            _counts_json(up))


def _parsed(change: _Change) -> _Sums:
    if isinstance(change, tuple):
        n, estimated, *texts = change
        return month_sums(n, estimated, texts)
    return change


def refill_month_totals(session: Session) -> None:
    """The cells' month totals summed again from every upload's detailed rows."""
    _lock_totals(session.connection())
    session.execute(delete(CoverageCellMonthTotal))
    for upload_id in session.scalars(select(CoverageUpload.id).order_by(CoverageUpload.id)).all():
        add_to_month_totals(session, upload_id, summaries=False)


def _apply(connection: Connection, changes: dict[MonthKey, _Change],
           known: dict[MonthKey, _Sums], sign: int, summaries: bool) -> None:
    """Read the stored rows of the chunk's cells, add the changes, write them back in the keys'
    order (by the cells: the primary key's first column serves both the read and the writes);
    then the cells' operator summaries from their rows of all months, as written here or as
    stored (not read back; `known`: the sums of rows of all months given as text)."""
    table = CoverageCellMonthTotal.__table__
    cells = sorted({key[0] for key in changes})
    current: dict[MonthKey, _Sums] = {}
    untouched: list[tuple[Any, ...]] = []  # stored rows of all months the upload leaves alone
    stored_cells: set[str] = set()
    for cell, technology, operator, period, n, estimated, *texts in connection.execute(
            select(table.c.h3_cell, table.c.technology, table.c.operator, table.c.period,
                   *month_sums_columns(table)).where(table.c.h3_cell.in_(cells))).all():
        key = (cell, technology, operator, period)
        stored_cells.add(cell)
        if key in changes:
            current[key] = month_sums(n, estimated, texts)
        elif period == ANY:
            untouched.append((cell, technology, operator, n, estimated, *texts))
    if current:
        marker = driver_marker(connection.dialect)
        connection.exec_driver_sql(
            f"DELETE FROM {table.name} WHERE h3_cell = {marker} AND technology = {marker} "
            f"AND operator = {marker} AND period = {marker}", sorted(current))
    inserts: list[tuple[Any, ...]] = []
    every: list[tuple[Any, ...]] = []  # the chunk's rows of all months as they now stand
    for key in sorted(changes):
        change = changes[key]
        sums = current.get(key)
        if sums is not None:
            _add_sums(sums, _parsed(change), sign)
        elif sign < 0:  # subtracting what was never added (a caller's mistake): nothing is written
            continue
        elif isinstance(change, tuple):  # a new row from one row alone: its text as it was read
            if change[0] > 0 or change[1] > 0:
                inserts.append((*key, h3.get_resolution(key[0]), *change))
                if key[3] == ANY:
                    summed = known.get(key)
                    every.append((*key[:3], *change) if summed is None else (*key[:3], summed))
            continue
        else:
            sums = change  # a new row: the change is its sums
        if sums[0] > 0 or sums[1] > 0:  # a row that reaches zero is gone
            inserts.append((*key, h3.get_resolution(key[0]), *_encoded(sums)))
            if key[3] == ANY:
                every.append((*key[:3], sums))
    if inserts:
        connection.exec_driver_sql(
            driver_insert_sql(connection.dialect, table.name, _COLUMNS), inserts)
    if summaries:
        operator_views.rewrite_from(connection, cells, stored_cells, _every_parsed(
            every + untouched))


def _every_parsed(rows: list[tuple[Any, ...]]) -> list[tuple[str, str, str, _Sums]]:
    """(cell, technology, operator, sums) of rows of all months given as (cell, technology,
    operator, sums) or (cell, technology, operator, n, estimated, classes, rsrp, down, up as
    JSON text): the texts of all of them parsed by one json.loads."""
    texts = [row for row in rows if len(row) > 4]
    parsed = iter(json.loads("[" + ",".join([
        f"[{classes or 'null'},{rsrp or 'null'},{down or 'null'},{up or 'null'}]"
        for *_, classes, rsrp, down, up in texts]) + "]")) if texts else iter(())
    no_classes = len(CLASSES)
    found: list[tuple[str, str, str, _Sums]] = []
    for row in rows:
        if len(row) > 4:
            classes, rsrp, down, up = next(parsed)
            found.append((row[0], row[1], row[2], [row[3], row[4], classes or [0] * no_classes,
                                                   rsrp or {}, down or {}, up or {}, {}]))
        else:
            found.append((row[0], row[1], row[2], row[3]))
    return found
