"""The month totals written at the end of an import and by a delete are the same to the byte as
those the first writer (issue 16e) wrote: that writer parsed every detailed row, merged it in
Python and encoded each month-total row again; this one keeps a lone row's JSON text as it was
read. Each call of `add_to_month_totals` is made twice from the same stored rows, by the writer of
now and by a copy of the first (below), and the stored texts compared; uploads span months, keys
recur within an upload (tallies flushed every few rows), discs add rows with n = 0, and chunks are
small so a cell's stored rows are read back and rewritten."""

from __future__ import annotations

import io
import random
from typing import Any

import h3
import pytest
from sqlalchemy import bindparam, delete, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from surveys.coverage import month_totals, rollups, uploads
from surveys.coverage.histograms import ANY, _classes_json, _counts_json
from surveys.coverage.totals import _add_sums, _empty_sums, _lock_totals
from surveys.coverage.uploads import delete_upload, import_upload
from surveys.db import driver_insert_sql
from surveys.models import CoverageCellMonthTotal, CoverageRollup, CoverageUpload
from tests.factories import make_commune, make_partner, make_user
from tests.integration.test_filtered_maps import (
    BOUNDARY,
    NOW,
    OPENCELLID,
    drive_test,
    month_totals_state,
    summed_uploads,
)

Stored = list[tuple[Any, ...]]


def first_add_to_month_totals(session: Session, upload_id: int, *, sign: int = 1) -> None:
    """month_totals.add_to_month_totals as issue 16e wrote it (commit 3497a03), unchanged."""
    connection = session.connection()
    _lock_totals(connection)
    table = CoverageRollup.__table__
    rows = connection.execute(
        select(table.c.h3_cell, table.c.technology, table.c.operator, table.c.period,
               *month_totals.month_sums_columns(table))
        .where(table.c.upload_id == upload_id, table.c.operator != ANY)
        .order_by(table.c.h3_cell, table.c.technology, table.c.operator, table.c.period)
        .execution_options(yield_per=month_totals.CHUNK))
    changes: dict[tuple[str, str, str, str], list] = {}
    last_cell = None
    for cell, technology, operator, period, n, estimated, *texts in rows:
        keys = ((cell, technology, operator, period), (cell, technology, operator, ANY))
        if len(changes) >= month_totals.CHUNK and cell != last_cell:
            _first_apply(connection, changes, sign)
            changes = {}
        last_cell = cell
        sums = month_totals.month_sums(n, estimated, texts)
        month, every = keys
        _add_sums(changes.setdefault(every, _empty_sums()), sums, 1)
        if month in changes:
            _add_sums(changes[month], sums, 1)
        else:
            changes[month] = sums
    if changes:
        _first_apply(connection, changes, sign)


def _first_apply(connection: Connection, changes: dict[tuple[str, str, str, str], list],
                 sign: int) -> None:
    table = CoverageCellMonthTotal.__table__
    keys = sorted(changes)
    current: dict[tuple[str, str, str, str], list] = {}
    for cell, technology, operator, period, n, estimated, *texts in connection.execute(
            select(table.c.h3_cell, table.c.technology, table.c.operator, table.c.period,
                   *month_totals.month_sums_columns(table)).where(
                table.c.h3_cell.in_(sorted({key[0] for key in keys})))):
        key = (cell, technology, operator, period)
        if key in changes:
            current[key] = month_totals.month_sums(n, estimated, texts)
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
            sums = changes[key]
        else:
            sums = _empty_sums()
            _add_sums(sums, changes[key], sign)
        if sums[0] > 0 or sums[1] > 0:
            n, estimated, classes, rsrp, down, up, _operators = sums
            inserts.append((*key, h3.get_resolution(key[0]), n, estimated, _classes_json(classes),
                            _counts_json(rsrp), _counts_json(down), _counts_json(up)))
    if inserts:
        connection.exec_driver_sql(
            driver_insert_sql(connection.dialect, table.name, month_totals._COLUMNS), inserts)


def stored_texts(session: Session) -> Stored:
    """Every month-total row as the database returns it, its JSON as stored text."""
    table = CoverageCellMonthTotal.__table__
    return [tuple(row) for row in session.connection().execute(
        select(table.c.h3_cell, table.c.technology, table.c.operator, table.c.period,
               table.c.resolution, *month_totals.month_sums_columns(table))
        .order_by(table.c.h3_cell, table.c.technology, table.c.operator, table.c.period))]


def restore(session: Session, rows: Stored) -> None:
    connection = session.connection()
    connection.execute(delete(CoverageCellMonthTotal))
    if rows:
        connection.exec_driver_sql(driver_insert_sql(
            connection.dialect, CoverageCellMonthTotal.__tablename__, month_totals._COLUMNS), rows)


@pytest.fixture
def both_writers(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every add_to_month_totals made by the writer of now and by the first one from the same
    stored rows, their texts compared; returns how many rows each call compared."""
    compared: list[int] = []
    ours = month_totals.add_to_month_totals

    def twice(session: Session, upload_id: int, *, sign: int = 1) -> None:
        before = stored_texts(session)
        first_add_to_month_totals(session, upload_id, sign=sign)
        theirs = stored_texts(session)
        restore(session, before)
        ours(session, upload_id, sign=sign)
        assert stored_texts(session) == theirs, (upload_id, sign)
        compared.append(len(theirs))

    monkeypatch.setattr(rollups, "add_to_month_totals", twice)
    monkeypatch.setattr(month_totals, "CHUNK", 7)  # many chunks: a cell's rows read back
    monkeypatch.setattr(uploads, "BATCH", 15)  # the tallies flushed every few rows: keys recur
    monkeypatch.setattr(rollups, "FLUSH_KEYS", 20)
    monkeypatch.setattr(rollups, "KEPT_KEYS", 30)
    return compared


@pytest.mark.parametrize("seed", [5, 16])
def test_month_totals_are_the_same_bytes_as_the_first_writers(db, both_writers, seed):
    commune = make_commune(db)
    commune.boundary = BOUNDARY
    partner = make_partner(db)
    user = make_user(db, "vt-up", role="partner", partner=partner)
    db.commit()
    rng = random.Random(seed)
    sites = [(16.74 + rng.uniform(0, 0.045), 106.94 + rng.uniform(0, 0.045)) for _ in range(6)]
    uploaded = []
    for number in range(4):
        uploaded.append(import_upload(db, partner, user, f"drive-{number}.csv",
                                      io.BytesIO(drive_test(rng, sites)), format_name=None,
                                      now=NOW).upload.id)
        db.commit()
    uploaded.append(import_upload(db, partner, user, "opencellid-452.csv",
                                  io.BytesIO(OPENCELLID.read_bytes()), format_name=None,
                                  now=NOW).upload.id)
    db.commit()
    assert month_totals_state(db) == summed_uploads(db)
    recurring = db.execute(select(CoverageRollup.upload_id, CoverageRollup.h3_cell,
                                  CoverageRollup.technology, CoverageRollup.operator,
                                  CoverageRollup.period)
                           .where(CoverageRollup.operator != ANY)).all()
    assert len(recurring) > len(set(recurring))  # some keys have two rows in one upload
    rows = stored_texts(db)
    assert any(" " in text for row in rows for text in row[7:]) == (
        db.get_bind().dialect.name == "postgresql")  # JSONB's text has spaces; ours none
    for upload_id in rng.sample(uploaded, 3):
        delete_upload(db, db.get(CoverageUpload, upload_id))
        db.commit()
        assert month_totals_state(db) == summed_uploads(db)
    assert len(both_writers) == 8 and min(both_writers[:5]) > 0
