"""Maps filtered by operator or period read the cells' month totals (one row per cell, technology,
operator and month, summed over the uploads) instead of the uploads' own rollup rows: the answers
are the same to the byte, and the month totals are always the uploads' rows summed, through
imports, deletes and a rebuild. Maps filtered by operator alone read each cell's stored operator
summary instead: the same answers, and the summaries always what the uploads' rows make of them."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import h3
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.coverage import cell_views, hexes, kept_reads, month_totals, operator_views, totals
from surveys.coverage.cell_views import EVERY, MAP_TECHNOLOGIES, VIEWS, Cell, block_of
from surveys.coverage.histograms import ANY
from surveys.coverage.uploads import delete_upload, import_upload
from surveys.models import (
    Commune,
    CoverageCellMonthTotal,
    CoverageCellOperatorSummary,
    CoverageRollup,
    CoverageUpload,
    Partner,
    User,
)
from tests.factories import make_commune, make_partner, make_user

BOUNDARY = {"type": "Polygon", "coordinates": [[[106.93, 16.73], [106.99, 16.73], [106.99, 16.79],
                                                [106.93, 16.79], [106.93, 16.73]]]}
OPERATORS = ("viettel", "vinaphone", "mobifone")
TECHNOLOGIES = ("2g", "3g", "4g", "4g", "5g", "5g")
MONTHS = ("2026-08", "2026-09", "2026-10", "2026-11")
NOW = datetime(2026, 12, 1, tzinfo=UTC)
OPENCELLID = Path(__file__).parents[1] / "data" / "coverage" / "opencellid-452.csv"
FILTERS: list[dict[str, Any]] = [
    {"operator": "viettel"}, {"operator": "mobifone"}, {"operator": "nobody"},
    {"first_period": "2026-09", "last_period": "2026-09"},
    {"first_period": "2026-09", "last_period": "2026-11"},
    {"first_period": "2026-10"}, {"last_period": "2026-09"},
    {"operator": "vinaphone", "first_period": "2026-08", "last_period": "2026-10"},
    {"operator": "viettel", "last_period": "2026-12"},
]


def from_each_upload(session: Session, cells: Iterable[str], *, technology: str | None,
                     operator: str | None, first_period: str | None, last_period: str | None
                     ) -> dict[str, Cell]:
    """What hexes._rollups answered before the month totals: every upload's detailed rollup rows
    of the cells, merged per request."""
    table = CoverageRollup.__table__
    wanted = sorted(cells)
    technologies = (technology,) if technology else MAP_TECHNOLOGIES
    found: dict[str, Cell] = {}
    for start in range(0, len(wanted), 500):
        query = select(table.c.h3_cell, table.c.technology, table.c.operator,
                       *totals.sums_columns(table)).where(
            table.c.h3_cell.in_(wanted[start:start + 500]), table.c.technology.in_(technologies),
            table.c.operator != ANY)
        if operator:
            query = query.where(table.c.operator == operator)
        if first_period:
            query = query.where(table.c.period >= first_period)
        if last_period:
            query = query.where(table.c.period <= last_period)
        for cell, tech, who, n, estimated, *texts in session.connection().execute(query):
            sums = totals.parsed_sums(n, estimated, texts)
            found.setdefault(cell, Cell()).add([str(who)], tech, *sums[:6])
    return found


def stored_before(session: Session, cells: set[str], view: str, operator: str | None,
                  blocks: Iterable[str], keep: bool) -> dict[str, Any]:
    """What hexes._stored answered before the operator summaries and before anything was kept
    (surveys/coverage/kept_reads.py): the cells' summaries read afresh, and one operator's month
    totals merged per request (through hexes._rollups, which the comparison replaces by every
    upload's rows)."""
    if operator is None:
        return cell_views.read(session, cells, view, blocks)
    return hexes._merged(session, cells, technology=None if view == EVERY else view,
                         operator=operator, first_period=None, last_period=None)


def every_cell_outside(session: Session, cells: Iterable[str], **filters: Any) -> set[str]:
    """What the map did before it read from the summaries the cells whose measurements all fall
    in the period: every cell merged (hexes._merged)."""
    return set(cells)


def operator_summaries_state(session: Session) -> set[tuple[Any, ...]]:
    session.expire_all()
    table = CoverageCellOperatorSummary.__table__
    return {tuple(row) for row in session.connection().execute(select(table))}


def operator_summaries_from_uploads(session: Session) -> set[tuple[Any, ...]]:
    """What the operator summaries must hold: for each cell, operator and view, the map's summary
    of every upload's detailed rows of that operator merged (all months)."""
    table = CoverageRollup.__table__
    cells: dict[str, set[str]] = {}
    for cell, operator in session.connection().execute(
            select(table.c.h3_cell, table.c.operator).where(table.c.operator != ANY).distinct()):
        cells.setdefault(operator, set()).add(cell)
    expected = set()
    for operator, theirs in cells.items():
        for view in VIEWS:
            for cell, found in from_each_upload(
                    session, theirs, technology=None if view == EVERY else view,
                    operator=operator, first_period=None, last_period=None).items():
                n, estimated, usable, signal_class, rsrp, down, up, names = found.summary()
                expected.add((cell, operator, view, h3.get_resolution(cell), block_of(cell), n,
                              estimated, usable, signal_class, rsrp, down, up, ",".join(names)))
    return expected


def month_totals_state(session: Session) -> dict[tuple[str, ...], tuple[Any, ...]]:
    session.expire_all()
    table = CoverageCellMonthTotal.__table__  # Core rows: the ORM's identity map costs seconds here
    return {(t.h3_cell, t.technology, t.operator, t.period, str(t.resolution)):
            (t.n, t.estimated, t.classes, t.rsrp, t.down, t.up)
            for t in session.connection().execute(select(table))}


def summed_uploads(session: Session) -> dict[tuple[str, ...], tuple[Any, ...]]:
    """What the month totals must hold: every upload's detailed rows summed per cell, technology,
    operator and month, and per cell, technology and operator over all months."""
    session.expire_all()
    state: dict[tuple[str, ...], list[Any]] = {}
    table = CoverageRollup.__table__
    for r in session.connection().execute(select(table).where(table.c.operator != ANY)):
        for period in (r.period, ANY):
            key = (r.h3_cell, r.technology, r.operator, period, str(r.resolution))
            into = state.setdefault(key, [0, 0, [0] * 5, {}, {}, {}])
            into[0] += r.n
            into[1] += r.estimated
            into[2] = [a + b for a, b in zip(into[2], r.classes, strict=True)]
            for mine, theirs in zip(into[3:], (r.rsrp, r.down, r.up), strict=True):
                for k, v in theirs.items():
                    mine[k] = mine.get(k, 0) + v
    return {key: tuple(value) for key, value in state.items()}


def drive_test(rng: random.Random, sites: list[tuple[float, float]]) -> bytes:
    lines = ["measured_at,lat,lon,operator,technology,rsrp_dbm,download_mbps,upload_mbps\n"]
    for i in range(rng.randint(40, 120)):
        lat, lon = rng.choice(sites)
        technology = rng.choice(TECHNOLOGIES)
        rsrp = "" if technology in ("2g", "3g") else str(rng.randint(-125, -70))
        lines.append(f"{rng.choice(MONTHS)}-{1 + i % 28:02d} 10:{i % 60:02d},"
                     f"{lat + rng.gauss(0, 0.0004):.6f},{lon + rng.gauss(0, 0.0004):.6f},"
                     f"{rng.choice(OPERATORS)},{technology},{rsrp},"
                     f"{rng.uniform(0.01, 120):.2f},{rng.uniform(0.01, 30):.2f}\n")
    return "".join(lines).encode()


def usable_from_each_upload(session: Session, cells: set[str], first_period: str | None,
                            last_period: str | None) -> dict[str, frozenset[str]]:
    """What totals.usable_cells answered for a period before the month totals."""
    table = CoverageRollup.__table__
    classes: dict[tuple[str, str], list[int]] = {}
    query = select(table.c.h3_cell, table.c.technology, table.c.classes).where(
        table.c.h3_cell.in_(sorted(cells)), table.c.n > 0, table.c.operator != ANY)
    if first_period:
        query = query.where(table.c.period >= first_period)
    if last_period:
        query = query.where(table.c.period <= last_period)
    for cell, technology, counts in session.execute(query):
        total = classes.setdefault((cell, technology), [0] * 5)
        classes[(cell, technology)] = [a + b for a, b in zip(total, counts, strict=True)]
    usable: dict[str, set[str]] = {}
    for (cell, technology), counts in classes.items():
        good = sum(counts[2:])  # moderate or better
        if technology in ("4g", "5g") and good and 2 * good >= sum(counts):
            usable.setdefault(technology, set()).add(cell)
    return {technology: frozenset(found) for technology, found in usable.items()}


def assert_maps_equal_the_uploads_rows(session: Session, monkeypatch: pytest.MonkeyPatch) -> int:
    found = session.scalar(select(Commune))
    assert found is not None
    kept_reads.forget()
    compared = 0
    merged: set[str] = set()  # cells merged from month totals by a map with a period
    real_merged = hexes._merged

    def counting(session: Session, cells: set[str], **filters: Any) -> dict[str, Any]:
        merged.update(cells)
        return real_merged(session, cells, **filters)

    stored_in_period = merged_in_period = 0
    for resolution in (8, 10):
        for technology in (None, "4g", "5g"):
            for filters in FILTERS:
                merged.clear()
                with monkeypatch.context() as patched:
                    patched.setattr(hexes, "_merged", counting)
                    ours = hexes.commune_hexes(session, found, resolution=resolution,
                                               technology=technology, **filters)
                if "first_period" in filters or "last_period" in filters:
                    measured = {cell["h3"] for cell in ours if cell["n"] or cell["estimated"]}
                    stored_in_period += len(measured - merged)
                    merged_in_period += len(measured & merged)
                with monkeypatch.context() as patched:
                    patched.setattr(hexes, "_rollups", from_each_upload)
                    patched.setattr(hexes, "_stored", stored_before)
                    patched.setattr(hexes.filtered_cells, "measured_outside", every_cell_outside)
                    theirs = hexes.commune_hexes(session, found, resolution=resolution,
                                                 technology=technology, **filters)
                assert json.dumps(ours) == json.dumps(theirs), (resolution, technology, filters)
                compared += len(ours)
        cells = hexes.commune_cells(session, found, resolution)
        for first, last in (("2026-09", "2026-10"), (None, "2026-08"), ("2026-11", None)):
            assert totals.usable_cells(session, cells, first_period=first, last_period=last) \
                == usable_from_each_upload(session, cells, first, last)
    # Both ways of a period are compared: cells read from the summaries, and cells merged; and
    # the summaries were read from what the process kept (the same view at the same resolution
    # asked with other filters) as well as from the database.
    assert stored_in_period > 0 and merged_in_period > 0
    assert kept_reads.kept_rows(session.get_bind()) > 0
    return compared


@pytest.mark.parametrize("seed", [16, 61])
def test_filtered_maps_from_month_totals_equal_the_uploads_rows(db, monkeypatch, seed):
    commune = make_commune(db)
    commune.boundary = BOUNDARY
    partners: list[tuple[Partner, User]] = []
    for slug in ("viettel", "vnpt-lab"):
        partner = make_partner(db, slug, slug.upper())
        partners.append((partner, make_user(db, f"{slug}-up", role="partner", partner=partner)))
    db.commit()
    rng = random.Random(seed)
    sites = [(16.74 + rng.uniform(0, 0.045), 106.94 + rng.uniform(0, 0.045)) for _ in range(9)]
    uploads: list[int] = []
    for number in range(6):
        partner, user = rng.choice(partners)
        result = import_upload(db, partner, user, f"drive-{number}.csv",
                               io.BytesIO(drive_test(rng, sites)), format_name=None, now=NOW)
        uploads.append(result.upload.id)
        db.commit()
    partner, user = partners[0]
    discs = import_upload(db, partner, user, "opencellid-452.csv",
                          io.BytesIO(OPENCELLID.read_bytes()), format_name=None, now=NOW)
    uploads.append(discs.upload.id)  # estimated discs: rows with n = 0 count as an operator
    db.commit()
    state = month_totals_state(db)
    assert state == summed_uploads(db)
    assert operator_summaries_state(db) == operator_summaries_from_uploads(db) != set()
    assert any(key[3] == ANY for key in state) and any(key[3] == "2026-09" for key in state)
    assert assert_maps_equal_the_uploads_rows(db, monkeypatch) > 0

    for upload_id in rng.sample(uploads, 3):  # some uploads deleted, discs perhaps among them
        delete_upload(db, db.get(CoverageUpload, upload_id))
        db.commit()
        assert month_totals_state(db) == summed_uploads(db)
    assert operator_summaries_state(db) == operator_summaries_from_uploads(db)
    assert assert_maps_equal_the_uploads_rows(db, monkeypatch) > 0

    before = month_totals_state(db)
    summaries = operator_summaries_state(db)
    month_totals.refill_month_totals(db)  # as `coverage rebuild-rollups` does
    operator_views.refill(db)
    db.commit()
    assert month_totals_state(db) == before != {}
    assert operator_summaries_state(db) == summaries != set()

    for upload in db.scalars(select(CoverageUpload)).all():
        delete_upload(db, upload)
    db.commit()
    assert month_totals_state(db) == {}  # every row that reached zero is gone
    assert operator_summaries_state(db) == set()


def test_month_totals_summed_in_many_chunks_are_still_exact(db, monkeypatch):
    """An upload's rows added and subtracted a few cells at a time (each chunk reads and
    rewrites its cells' rows): the sums must not change."""
    monkeypatch.setattr(month_totals, "CHUNK", 3)
    monkeypatch.setattr(operator_views, "CHUNK", 3)
    commune = make_commune(db)
    commune.boundary = BOUNDARY
    partner = make_partner(db)
    user = make_user(db, "vt-up", role="partner", partner=partner)
    db.commit()
    rng = random.Random(7)
    sites = [(16.75 + rng.uniform(0, 0.03), 106.95 + rng.uniform(0, 0.03)) for _ in range(4)]
    first = import_upload(db, partner, user, "a.csv", io.BytesIO(drive_test(rng, sites)),
                          format_name=None, now=NOW).upload
    alone = month_totals_state(db)
    second = import_upload(db, partner, user, "b.csv", io.BytesIO(drive_test(rng, sites)),
                           format_name=None, now=NOW).upload
    db.commit()
    assert month_totals_state(db) == summed_uploads(db) != alone
    assert operator_summaries_state(db) == operator_summaries_from_uploads(db)
    delete_upload(db, second)
    db.commit()
    assert month_totals_state(db) == alone == summed_uploads(db)
    assert operator_summaries_state(db) == operator_summaries_from_uploads(db)
    delete_upload(db, first)
    db.commit()
    assert month_totals_state(db) == {}
    assert operator_summaries_state(db) == set()
