"""Fixtures: an app built through create_app(test_config) on a real, migrated database.

SQLite by default (a fresh file per run); TEST_DATABASE_URL points the whole suite at PostgreSQL.
Each test starts from empty tables. Under CI=true a skipped test is a failure: a browser or database
test must never pass by not running.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from app import create_app
from surveys import migrate
from surveys.db import Base, make_engine

CI = os.environ.get("CI", "").lower() == "true"


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def _empty_tables(app: Flask) -> None:
    """Empty every table a test may have written, and restart its ids. Only the tables that hold
    rows or whose ids were drawn are emptied (one query finds them): a test writes a handful of
    the ~50 tables, and emptying all of them cost ~100 ms per test on PostgreSQL (TRUNCATE gives
    every table and index new files) — minutes over the suite."""
    engine = app.extensions["phusong.engine"]
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        holding = " UNION ALL ".join(
            f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {name})" for name in tables)
        used = set(connection.execute(text(holding)).scalars())
        if engine.dialect.name == "postgresql":
            used.update(connection.execute(text(
                "SELECT t.relname FROM pg_class s JOIN pg_depend d ON d.objid = s.oid "
                "AND d.deptype IN ('a', 'i') JOIN pg_class t ON t.oid = d.refobjid "
                "WHERE CASE WHEN s.relkind = 'S' THEN pg_sequence_last_value(s.oid) END IS NOT NULL"
            )).scalars())
            used &= set(tables)
            if used:
                connection.execute(text(
                    f"TRUNCATE {', '.join(sorted(used))} RESTART IDENTITY CASCADE"))
        else:
            # Append-only tables (audit_events) refuse DELETE through triggers: lift them for the
            # reset only, and put them back exactly as stored. (TRUNCATE bypasses them on PostgreSQL.)
            triggers = connection.execute(text(
                "SELECT name, sql, tbl_name FROM sqlite_master WHERE type = 'trigger'")).all()
            triggers = [t for t in triggers if t.tbl_name in used]
            for name, _sql, _table in triggers:
                connection.execute(text(f'DROP TRIGGER "{name}"'))
            for table in tables:
                if table in used:
                    connection.execute(text(f"DELETE FROM {table}"))
            for _name, sql, _table in triggers:
                connection.execute(text(sql))


def make_test_app(database_url: str, tmp_path: Path, **overrides: object) -> Flask:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "SESSION_COOKIE_SECURE": False,
        "ALLOW_DEMO_DATA": True,
        **overrides,
    }
    return create_app(config)


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_test_app(database_url, tmp_path)
    _empty_tables(app)
    yield app
    app.extensions["phusong.engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session for arranging and checking data; commit what the app must see."""
    session = app.extensions["phusong.sessionmaker"]()
    yield session
    session.close()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served over real HTTP by a threaded server on a free loopback port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "no csrf_token in the page"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str) -> None:
    page = client.get("/login")
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not CI:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"CI=true: {len(skipped)} test(s) skipped; a skip is a failure in CI.",
                            red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
