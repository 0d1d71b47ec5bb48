"""What a map filtered by operator or period shows of its cells: the cells' month totals
(surveys/coverage/month_totals.py: one row per cell, technology, operator and month, and per cell,
technology and operator over all months, summed over the uploads) merged per cell by the map's
rules (surveys/coverage/cell_views.py `Cell`, the rules of surveys/coverage/hexes.py).

Unlike the map without filters and the map of one operator over all months, whose summaries are
worked out when an import or a delete changes a cell (`coverage_cell_summaries`,
`coverage_cell_operator_summaries`), this merges the rows on every request: its cost follows the
cells shown × technologies × operators × months, never uploads. The map reaches it with a period
filter, for the cells measured also outside the period (`measured_outside` tells them: the others
show their stored summaries), and the tests, to compare the stored summaries with a merge.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from surveys.coverage.cell_views import MAP_TECHNOLOGIES, Cell
from surveys.coverage.classify import CLASSES
from surveys.coverage.collector import collector_paused
from surveys.coverage.histograms import ANY
from surveys.db import among_parameter, among_sql, driver_marker, driver_rows
from surveys.models import CoverageCellMonthTotal


def month_rollups(session: Session, cells: Iterable[str], *, technology: str | None,
             operator: str | None, first_period: str | None, last_period: str | None
             ) -> dict[str, Cell]:
    """cell → its measurements summed over operators, technologies and months as filtered (an
    operator, a period or both: without either the map reads its summaries), from the cells' month
    totals: one row per cell, technology, operator and month, or per cell, technology and operator
    over all months, whatever the number of uploads. One query (the cells as one parameter), its
    rows as the driver's tuples, and every row's histograms parsed by one `json.loads`."""
    connection = session.connection()
    where, parameters = _filters(connection, cells, technology=technology, operator=operator,
                                 first_period=first_period, last_period=last_period)
    found: dict[str, Cell] = {}
    no_classes = [0] * len(CLASSES)
    with collector_paused():
        for (cell, tech, who, n, estimated), (classes, rsrp, down, up) in month_total_rows(
                connection, where, parameters):
            summed = found.get(cell)
            if summed is None:
                summed = found[cell] = Cell()
            summed.add((who,), tech, n, estimated, classes or no_classes, rsrp or {}, down or {},
                       up or {})
    return found


def measured_outside(session: Session, cells: Iterable[str], *, technology: str | None,
                     operator: str | None, first_period: str | None, last_period: str | None
                     ) -> set[str]:
    """Those of `cells` with measurements or discs (of the technology and operator, as
    `month_rollups` filters them) in a month outside the period. Every other cell measured at
    all has all its measurements in the period, so the map shows it as without the period filter.
    The months are part of the month totals' key, so this reads the index alone."""
    connection = session.connection()
    where, parameters = _filters(connection, cells, technology=technology, operator=operator,
                                 first_period=None, last_period=None, months=True)
    marker = driver_marker(connection.dialect)
    outside = []
    if first_period:
        outside.append(f"period < {marker}")
        parameters.append(first_period)
    if last_period:
        outside.append(f"period > {marker}")
        parameters.append(last_period)
    where.append("(" + " OR ".join(outside) + ")")
    sql = (f"SELECT DISTINCT h3_cell FROM {CoverageCellMonthTotal.__tablename__} "
           f"WHERE {' AND '.join(where)}")
    return {row[0] for row in driver_rows(connection, sql, parameters)}


def _filters(connection: Connection, cells: Iterable[str], *, technology: str | None,
             operator: str | None, first_period: str | None, last_period: str | None,
             months: bool = False) -> tuple[list[str], list[object]]:
    """The month totals' rows of `cells` as filtered, as the driver's SQL and its parameters
    (`months`: the rows of single months, whatever the period)."""
    dialect = connection.dialect
    marker = driver_marker(dialect)
    where = [among_sql(dialect, "h3_cell")]
    parameters: list[object] = [among_parameter(dialect, sorted(cells))]
    if technology:
        where.append(f"technology = {marker}")
        parameters.append(technology)
    else:  # constants, written out: SQLite plans a literal list better than a bound one
        where.append(f"technology IN ({', '.join(repr(t) for t in MAP_TECHNOLOGIES)})")
    if operator:
        where.append(f"operator = {marker}")
        parameters.append(operator)
    if first_period or last_period or months:
        where.append(f"period <> {marker}")  # "*" sorts before every month
        parameters.append(ANY)
        if first_period:
            where.append(f"period >= {marker}")
            parameters.append(first_period)
        if last_period:
            where.append(f"period <= {marker}")
            parameters.append(last_period)
    else:  # an operator over all months: its one row per cell and technology
        where.append(f"period = {marker}")
        parameters.append(ANY)
    return where, parameters


def month_total_rows(connection: Connection, where: list[str], parameters: Sequence[object]
                     ) -> list[tuple[tuple[str, str, str, int, int], list[Any]]]:
    """The month totals matching `where` (the driver's SQL, its markers bound to `parameters`):
    ((cell, technology, operator, n, estimated), [classes, rsrp, down, up]) per row, the
    histograms of every row parsed by one `json.loads` (None where a row has none)."""
    rows = driver_rows(connection, _MONTH_TOTALS_SQL + " AND ".join(where), parameters)
    histograms = json.loads("[" + ",".join([
        f"[{classes or 'null'},{rsrp or 'null'},{down or 'null'},{up or 'null'}]"
        for *_, classes, rsrp, down, up in rows]) + "]")
    return [(tuple(row[:5]), parsed) for row, parsed in zip(rows, histograms, strict=True)]


_MONTH_TOTALS_SQL = (
    f"SELECT h3_cell, technology, operator, n, estimated, CAST(classes AS TEXT), "
    f"CAST(rsrp AS TEXT), CAST(down AS TEXT), CAST(up AS TEXT) "
    f"FROM {CoverageCellMonthTotal.__tablename__} WHERE ")
