"""What the coverage map filtered by one operator (over all months) shows of a cell, worked out
once when the cell's month totals change.

A map with `operator=` and no period used to merge, on every request, each cell's month totals of
that operator over all months (period "*", one row per technology: surveys/coverage/
filtered_cells.py) into its summary: at resolution 10 a commune's rows are tens of thousands of
JSON histograms, 55–150 ms of CPU. The summary depends only on those rows, so it is kept beside
them (CoverageCellOperatorSummary): one row per cell, operator and view ("*", "4g", "5g"), exactly
what `cell_views.summary_rows` makes of them — the map's rules of surveys/coverage/hexes.py, the
same code as the map without filters. Read by `block` like `cell_views.read`.

Written with the month totals (`month_totals.add_to_month_totals`), at the end of an import and
on a delete before the upload's rows go (surveys/coverage/rollups.py `finish_upload`,
`remove_upload`): each chunk of cells whose month totals it has just written has its operator
summaries rewritten from the rows of all months as they now stand — the sums it wrote, and the
stored rows it read and left alone — without reading them back (`rewrite_from`), in the cells'
order and under the totals' advisory lock (the one every writer of the totals takes), so imports
and deletes ending at once take turns and cannot deadlock. `refill` (`coverage rebuild-rollups`)
writes them all again from the month totals as stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from surveys.coverage import cell_views, filtered_cells
from surveys.coverage.cell_views import SummaryRow
from surveys.coverage.classify import CLASSES
from surveys.coverage.histograms import ANY
from surveys.coverage.totals import _lock_totals
from surveys.db import among_parameter, among_sql, driver_insert_sql, driver_marker, driver_rows
from surveys.models import CoverageCellMonthTotal, CoverageCellOperatorSummary

CHUNK = 500  # cells rewritten together: one read of their month totals, one delete, one insert
_COLUMNS = ("h3_cell", "operator", "view", "resolution", "block", "n", "estimated", "usable",
            "signal_class", "median_rsrp_dbm", "median_download_mbps", "median_upload_mbps",
            "operators")
_TECHNOLOGIES = frozenset(t for technologies in cell_views.VIEWS.values() for t in technologies)


def refill(session: Session) -> None:
    """Every operator summary written again from the month totals (after they are refilled)."""
    connection = session.connection()
    _lock_totals(connection)
    connection.execute(delete(CoverageCellOperatorSummary))
    cells = sorted({row[0] for row in driver_rows(connection, (
        f"SELECT DISTINCT h3_cell FROM {CoverageCellMonthTotal.__tablename__} "
        f"WHERE period = {driver_marker(connection.dialect)}"), (ANY,))})
    _rewrite_all(connection, cells)


def _rewrite_all(connection: Connection, cells: Sequence[str]) -> None:
    for start in range(0, len(cells), CHUNK):
        rewrite(connection, cells[start:start + CHUNK])


def rewrite(connection: Connection, cells: Sequence[str]) -> None:
    """Replace the operator summaries of `cells` (at most a few hundred, sorted) by what their
    month totals of all months make of them now, read back (`refill`)."""
    if not cells:
        return
    dialect = connection.dialect
    rows = filtered_cells.month_total_rows(
        connection, [among_sql(dialect, "h3_cell"), f"period = {driver_marker(dialect)}"],
        (among_parameter(dialect, list(cells)), ANY))
    rewrite_from(connection, cells, cells, [
        (cell, technology, operator, [n, estimated, classes or [0] * len(CLASSES), rsrp or {},
                                      down or {}, up or {}])
        for (cell, technology, operator, n, estimated), (classes, rsrp, down, up) in rows])


def rewrite_from(connection: Connection, cells: Sequence[str], stored: Iterable[str],
                 rows: Iterable[tuple[str, str, str, Sequence[Any]]]) -> None:
    """Replace the operator summaries of `cells` (sorted) by what `rows`, all their month totals
    of all months (cell, technology, operator, [n, estimated, classes, rsrp, down, up, …] with
    the histograms parsed), make of them: what `add_to_month_totals` has just written, without
    reading it back. Only the cells of `stored` (those with month totals before) can have
    summaries to delete. The rows' sums are not changed."""
    # (cell, operator) → technology → n, estimated, classes, rsrp, down, up, operators
    totals: dict[tuple[str, str], dict[str, Sequence[Any]]] = {}
    for cell, technology, operator, sums in rows:
        if technology in _TECHNOLOGIES:
            # the operator is the map's only one, with or without counts
            totals.setdefault((cell, operator), {})[technology] = (*sums[:6], {operator: 1})
    inserts = [(cell, operator, *row[1:])
               for (cell, operator), by_technology in sorted(totals.items())
               for row in cell_views.summary_rows(cell, by_technology)]
    table = CoverageCellOperatorSummary.__table__
    gone = sorted(set(stored))
    if gone:
        connection.execute(delete(table).where(table.c.h3_cell.in_(gone)))
    if inserts:
        connection.exec_driver_sql(
            driver_insert_sql(connection.dialect, table.name, _COLUMNS), inserts)


def read(session: Session, cells: set[str] | None, operator: str, view: str,
         blocks: Iterable[str]) -> dict[str, SummaryRow]:
    """`cell_views.read` for one operator's summaries: cell → (n, estimated, usable bits, signal
    class, medians ×3, the operator) for those of `cells` (in `blocks`) that have its
    measurements or discs (`cells` None: every cell of the blocks)."""
    connection = session.connection()
    dialect = connection.dialect
    marker = driver_marker(dialect)
    sql = _READ_SQL.format(blocks=among_sql(dialect, "block"), operator=marker, view=marker)
    found: dict[str, SummaryRow] = {}
    for row in driver_rows(connection, sql,
                           (among_parameter(dialect, sorted(blocks)), operator, view)):
        if cells is None or row[0] in cells:
            found[row[0]] = row[1:]
    return found


_READ_SQL = (f"SELECT h3_cell, n, estimated, usable, signal_class, median_rsrp_dbm, "
             f"median_download_mbps, median_upload_mbps, operators "
             f"FROM {CoverageCellOperatorSummary.__tablename__} "
             f"WHERE {{blocks}} AND operator = {{operator}} AND view = {{view}}")
