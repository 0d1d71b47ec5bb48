"""The coverage version: a random number that changes with every write to what the map reads of
the partners' measurements, in the writer's transaction (`bump`, called by `totals._lock_totals`,
which every writer of the cells' totals, month totals and summaries takes first).

Random rather than counted, as the indicators' rollup versions (surveys/indicators/rollups.py
`bump_versions`): a database emptied and filled again (tests, a restore) never meets a version a
process kept. One row for the whole database: the cells' summaries are shared by every commune
that a cell touches, and imports end one at a time anyway (the totals' lock), so one row costs
no writer a wait it did not already have.
"""

from __future__ import annotations

import secrets
from weakref import WeakSet

from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

from surveys.db import driver_marker
from surveys.models import CoverageVersion

_TABLE = CoverageVersion.__tablename__
_HAS_TABLE: WeakSet[Engine] = WeakSet()


def bump(connection: Connection) -> None:
    """A new random version, in the caller's transaction. Nothing where the table does not exist
    yet: older migrations rebuild the map's rollups through this code, before 20261208_01."""
    if connection.engine not in _HAS_TABLE:
        if not inspect(connection).has_table(_TABLE):
            return
        _HAS_TABLE.add(connection.engine)  # once there, for good: asked once per engine
    marker = driver_marker(connection.dialect)
    connection.exec_driver_sql(
        f"INSERT INTO {_TABLE} (id, version) VALUES (1, {marker}) "
        f"ON CONFLICT (id) DO UPDATE SET version = excluded.version", (secrets.randbits(62),))


def current(connection: Connection) -> int | None:
    """The version now, or None where no writer has set one (rows written by other means): what
    is read then must not be kept."""
    return connection.exec_driver_sql(f"SELECT version FROM {_TABLE} WHERE id = 1").scalar()
