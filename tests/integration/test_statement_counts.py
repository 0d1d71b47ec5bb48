"""The pages read their data in a fixed number of SQL statements, whatever the number of rows: a
500-row page of the submissions API, the dashboard (the commune's villages read once)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from surveys.models import Commune, Submission, User, Village
from tests.conftest import login
from tests.factories import PASSWORD, auth, household_answers, make_commune, make_token, make_user

API_PAGE_BOUND = 8  # the token, the count, the page, its photos, the corrected ones' ids
DASHBOARD_BOUND = 30


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """The SQL statements the app's engine runs inside the block."""
    seen: list[str] = []
    engine = app.extensions["phusong.engine"]

    def count(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.append(sql)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _add_submissions(db: Session, commune: Commune, surveyor: User, n: int) -> None:
    """n stored households, every other one a correction of the one before (so each of those
    names what it supersedes)."""
    villages = list(db.scalars(select(Village).where(Village.commune_id == commune.id)))
    start = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)
    previous: Submission | None = None
    for i in range(n):
        row = Submission(instance_id=str(uuid.uuid4()), survey="household", survey_version="1",
                         commune_id=commune.id, village_id=villages[i % len(villages)].id,
                         surveyor_id=surveyor.id, collected_at=start + timedelta(minutes=i),
                         received_at=start + timedelta(minutes=i, seconds=30), lat=16.75,
                         lon=106.95, accuracy_m=8.0, location_source="gps",
                         answers=household_answers(household_code=f"CL-{i}"),
                         content_hash="0" * 64,
                         supersedes_id=previous.id if previous is not None and i % 2 else None)
        db.add(row)
        db.flush()
        previous = row
    db.commit()


def _api_page_statements(app: Flask, client: FlaskClient, token: str, per_page: int) -> int:
    with statements(app) as seen:
        response = client.get(f"/api/v1/submissions?per_page={per_page}", headers=auth(token))
    assert response.status_code == 200
    body = response.get_json()
    assert len(body["items"]) == per_page
    corrections = [item for item in body["items"] if item["supersedes"] is not None]
    assert corrections and all(isinstance(item["supersedes"], str) for item in corrections)
    return len(seen)


def test_a_500_row_api_page_takes_as_many_statements_as_a_10_row_one(
        app: Flask, client: FlaskClient, db: Session) -> None:
    commune = make_commune(db)
    surveyor = make_user(db, "surveyor1", commune=commune)
    token = make_token(db, make_user(db, "staff1", role="staff", commune=commune))
    _add_submissions(db, commune, surveyor, 500)
    small = _api_page_statements(app, client, token, 10)
    large = _api_page_statements(app, client, token, 500)
    assert large == small <= API_PAGE_BOUND


def _dashboard_statements(app: Flask, client: FlaskClient) -> list[str]:
    with statements(app) as seen:
        response = client.get("/communes/cam-lo/dashboard")
    assert response.status_code == 200
    return seen


def test_the_dashboard_reads_the_villages_once_whatever_it_holds(
        app: Flask, client: FlaskClient, db: Session) -> None:
    commune = make_commune(db, villages=tuple((f"thon-{i}", f"Thôn {i}", 100)
                                              for i in range(1, 9)))
    surveyor = make_user(db, "surveyor1", commune=commune)
    make_user(db, "staff1", role="staff", commune=commune)
    db.commit()
    login(client, "staff1", PASSWORD)
    empty = _dashboard_statements(app, client)
    _add_submissions(db, commune, surveyor, 200)
    full = _dashboard_statements(app, client)
    assert len(full) == len(empty) <= DASHBOARD_BOUND
    village_reads = [sql for sql in full if "FROM villages" in sql and "JOIN" not in sql
                     and "villages.household_count" in sql]
    assert len(village_reads) == 1, village_reads
