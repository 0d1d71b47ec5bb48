"""What a whole area's map read of the cells' stored summaries, kept in this process while the
coverage version is unchanged (surveys/coverage/versions.py).

The partners' measurements change when a file is imported or deleted (a few times a day); the
households change whenever a surveyor's phone sends one (every few minutes during a survey). A
map's whole answer is kept until either changes (surveys/coverage/map_answers.py); when only the
households did, the next answer reads its summaries from here and only the households again from
the database: the summaries of a whole commune at resolution 10 are ~9,400 rows of its blocks,
about half of the answer's time on the full-size benchmark.

- Kept per database, view, operator and set of blocks (`cell_views.read` of every cell of the
  blocks, or `operator_views.read`), with the coverage version read before the rows (a write
  committed in between changes the version, so what is kept is never older than it says).
- Nothing kept where the coverage version has no row, and nothing for windows (their blocks
  change at every pan; they are a few hundred rows).
- At most LIMIT_ROWS rows per database, the least recently used dropped first, a read over a
  quarter of it never kept; a lock makes it safe for gunicorn's threads. Rows are tuples of
  numbers and texts, which Python's collector stops tracking; callers get a new dict of their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from surveys.coverage import cell_views, operator_views, versions
from surveys.coverage.cell_views import SummaryRow
from surveys.coverage.kept import Kept

LIMIT_ROWS = 100_000  # per database and process: ~12 whole communes at r10; ~400 bytes a row
_KEPT: Kept[dict[str, SummaryRow]] = Kept()


def summaries(session: Session, cells: set[str], view: str, operator: str | None,
              blocks: Iterable[str], *, keep: bool) -> dict[str, SummaryRow]:
    """The stored summaries of all months of those of `cells` (in `blocks`) that have
    measurements or discs: the cells' (`cell_views.read`) or one operator's
    (`operator_views.read`). `keep`: from what this process kept, or kept for the next time."""
    version = versions.current(session.connection()) if keep else None
    if version is None:
        return _read(session, cells, view, operator, blocks)
    key = (view, operator, frozenset(blocks))
    engine = session.get_bind()
    every = _KEPT.get(engine, key, version)
    if every is None:
        every = _read(session, None, view, operator, key[2])
        _KEPT.put(engine, key, version, every, len(every), LIMIT_ROWS)
    return {cell: row for cell, row in every.items() if cell in cells}


def _read(session: Session, cells: set[str] | None, view: str, operator: str | None,
          blocks: Iterable[str]) -> dict[str, SummaryRow]:
    if operator is None:
        return cell_views.read(session, cells, view, blocks)
    return operator_views.read(session, cells, operator, view, blocks)


def kept_rows(engine: Any) -> int:
    """How many rows this process keeps for the database (tests)."""
    return _KEPT.size(engine)


def forget() -> None:
    """Drop everything kept."""
    _KEPT.clear()
