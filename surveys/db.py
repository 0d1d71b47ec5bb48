"""Engine and session setup. The HTTP layer owns the transaction: one session per request."""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from sqlalchemy import (
    JSON,
    MetaData,
    String,
    Table,
    any_,
    bindparam,
    create_engine,
    event,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

if TYPE_CHECKING:
    from flask import Flask

# Stable constraint names so Alembic migrations stay reproducible on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # Every model maps one Table (no mapped joins or selects), so say so to the type checker.
    __table__: ClassVar[Table]


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "do_connect", _sqlite_folder)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # psycopg prepares a statement run five times, and PostgreSQL then keeps a generic plan when
    # it estimates it no costlier than the plans made for the values. For the map's reads over a
    # list of cells bound as one array that estimate cannot see the list: a street window's
    # households in a period went from 62 buffers (1 ms) to 46,877 (462 ms) once generic. Plans
    # are made for the values of each call (the statements stay prepared: parsed once).
    return create_engine(url, pool_pre_ping=True,
                         connect_args={"options": "-c plan_cache_mode=force_custom_plan"}, **kwargs)


def _sqlite_folder(dialect: Any, _record: Any, cargs: Any, _cparams: Any) -> None:
    """The SQLite file's folder (instance/ on a fresh clone) is made on the first connection, so
    `flask --app app init-db` works before anything else has created it."""
    database = cargs[0] if cargs else None
    if isinstance(database, str) and database not in ("", ":memory:") and \
            not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers work while one writer writes; busy_timeout makes concurrent writers wait
    # instead of failing, which concurrent replays of one submission rely on.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # 64 MiB of page cache (the default is 2 MiB): a large coverage import inserts into indexes
    # that outgrow a small cache, and then every row costs a page read.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def conflict_insert(session: Session, table: Any) -> Any:
    """An INSERT that supports ON CONFLICT, for the session's database (PostgreSQL or SQLite):
    the idempotent inserts of submissions, attachments, measurements and rollups use it."""
    return INSERTS[session.get_bind().dialect.name](table)


def driver_marker(dialect: Any) -> str:
    """The driver's own positional parameter: `?` for sqlite3, `%s` for psycopg."""
    return "?" if dialect.paramstyle == "qmark" else "%s"


def driver_insert_sql(dialect: Any, table: str, columns: Sequence[str], suffix: str = "") -> str:
    """An INSERT of positional parameters for the driver's own executemany: the hot paths of an
    import (measurements, rollups) skip the statement machinery, whose per-row cost is more than
    the database's."""
    marker = driver_marker(dialect)
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
            f"({', '.join([marker] * len(columns))}){suffix}")


def among(column: Any, values: Sequence[str], dialect: Any) -> Any:
    """`column IN (values)` as one bound parameter however many values (an array on PostgreSQL,
    a JSON list on SQLite): a province's thousands of cells as separate parameters cost more to
    render and send than the query does to run."""
    if dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(String)))
    return column.in_(select(literal_column("value")).select_from(
        func.json_each(bindparam(None, json.dumps(list(values)), type_=String))))


def among_sql(dialect: Any, column: str) -> str:
    """`among` for the driver's own SQL (`driver_rows`): `column` in the values bound as one
    parameter, `among_parameter`."""
    if dialect.name == "postgresql":
        return f"{column} = ANY({driver_marker(dialect)})"
    return f"{column} IN (SELECT value FROM json_each({driver_marker(dialect)}))"


def among_parameter(dialect: Any, values: Sequence[object]) -> Any:
    """The one parameter of `among_sql`: a list (an array) on PostgreSQL, a JSON list on SQLite."""
    return list(values) if dialect.name == "postgresql" else json.dumps(list(values))


def driver_rows(connection: Connection, sql: str, parameters: Sequence[Any]) -> list[Any]:
    """The rows of a read as the driver's own tuples, on the connection's transaction: the hot
    reads of the maps (thousands of small rows) skip SQLAlchemy's Row, whose per-row work cost
    more than the query (on PostgreSQL in psycopg's binary format, whose numbers need no
    parsing). `sql` uses the driver's markers (`driver_marker`). Not seen by engine events."""
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor(binary=True) if connection.dialect.name == "postgresql" \
        else dbapi.cursor()
    try:
        cursor.execute(sql, parameters)
        return list(cursor.fetchall())
    finally:
        cursor.close()


# PostgreSQL's serialization_failure and deadlock_detected: the transaction was aborted as a whole
# and the same work can simply run again.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})
RETRY_ATTEMPTS = 4
RETRY_BASE_SECONDS = 0.02
T = TypeVar("T")


def is_transient(error: DBAPIError) -> bool:
    """A failure of the moment, not of the work: an aborted transaction, or SQLite still locked
    after its busy timeout."""
    original = error.orig
    if getattr(original, "sqlstate", None) in TRANSIENT_SQLSTATES:
        return True
    return isinstance(original, sqlite3.OperationalError) and "locked" in str(original)


def run_in_transaction(session: Session, work: Callable[[], T], *,
                       attempts: int = RETRY_ATTEMPTS) -> T:
    """Run `work` and commit, once. If the database aborts the transaction for a reason of the
    moment (a deadlock, a serialization failure) roll back and run it again, a bounded number of
    times with a random (jittered) pause that doubles each time, so colliding writers spread out
    instead of colliding again. The write path is designed not to get there (the rollups are
    upserts in key order); this is the net under it, so a client never sees a 500 for it."""
    for attempt in range(attempts):
        try:
            result = work()
            session.commit()
            return result
        except DBAPIError as error:
            session.rollback()
            if not is_transient(error) or attempt == attempts - 1:
                raise
            time.sleep(random.uniform(0, RETRY_BASE_SECONDS * 2 ** attempt))
    raise AssertionError("unreachable")


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["phusong.engine"] = engine
    app.extensions["phusong.sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def get_session() -> Session:
    """The request's session, created on first use."""
    from flask import current_app, g

    if "db_session" not in g:
        g.db_session = current_app.extensions["phusong.sessionmaker"]()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    from flask import g

    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def session_scope(app: Flask) -> Iterator[Session]:
    """A session for CLI commands and jobs: commits on success, rolls back on error."""
    session = app.extensions["phusong.sessionmaker"]()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
