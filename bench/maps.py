"""The map data API on a commune with 1,000,000 measurements and 100,000 households, against a plain
SQL GROUP BY over the raw measurements.

Ours: `GET /api/v1/coverage/hexes` (resolution 8 and 10) and `GET /api/v1/indicators/map` through
the test client (parsing, access, the service, GeoJSON, ETag), and `commune_hexes` alone (r8, r10);
the hexes API is timed as the first request after a change would find it (what the process kept
dropped before each call: surveys/coverage/map_answers.py), and at r10 also answered from it;
at r10 also the first answer of a process, before any cell's outline is kept
(surveys/coverage/geojson.py). Ceiling:
one `SELECT h3_cell, COUNT(*), AVG(rsrp), AVG(down), AVG(up) … GROUP BY h3_cell` over the commune's
raw measurements (resolution 10 only: SQL cannot group by a parent cell, and averages are cheaper
than the medians we serve). Measured twice, at a tenth of the measurements (one upload) and at all
of them (ten uploads of a tenth each, as months of drive tests come; the same households): the
rollups' time must stay flat while the GROUP BY grows with the rows.

BENCH_MAP_MEASUREMENTS (default 1,000,000) and BENCH_MAP_HOUSEHOLDS (default 100,000) set the sizes.
Measurements are generated straight into the database with their rollups (ContributionCounter,
write and finish_upload, as an import does), not through the file import
(bench/coverage_import.py times that).
"""

from __future__ import annotations

import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import insert, text
from werkzeug.test import TestResponse

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from surveys.models import Commune

T = TypeVar("T")
MEASUREMENTS = int(os.environ.get("BENCH_MAP_MEASUREMENTS", "1000000"))
HOUSEHOLDS = int(os.environ.get("BENCH_MAP_HOUSEHOLDS", "100000"))
BATCH = 50_000
REPEAT = 3

CEILING_SQL = """
SELECT h3_cell, COUNT(*), AVG(rsrp_dbm), AVG(download_mbps), AVG(upload_mbps)
FROM measurements WHERE commune_id = :commune GROUP BY h3_cell
"""
HOUSEHOLD_CEILING_SQL = """
SELECT village_id, COUNT(*), SUM(json_extract(answers, '$.mobile_best_technology') IN ('4g', '5g'))
FROM submissions
WHERE commune_id = :commune AND survey = 'household' AND review_status != 'rejected'
  AND json_extract(answers, '$.consent') = 'yes'
GROUP BY village_id
"""


def _best(seconds: list[float]) -> float:
    return min(seconds)


def _timed(action: Callable[[], T], repeat: int = REPEAT) -> tuple[float, T]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return _best(times), result


def _measurements(app: Flask, rng: random.Random, start: int, count: int, commune_id: int,
                  partner_id: int, sites: list[tuple[float, float]],
                  route_seed: int | None = None, route_rows: int | None = None,
                  first: datetime | None = None) -> None:
    """One upload of `count` drive-test measurements around the villages, with its rollups.
    `route_seed`: where, with which technology and operator each measurement is taken comes from
    a generator of that seed, started again every `route_rows` rows (the same drive again, with
    new values from `rng`); without it, from `rng`. `first`: the time of the first measurement
    of all (default 1 June 2026; one every 13 seconds from it)."""
    where = rng if route_seed is None else random.Random(route_seed)
    import h3

    from surveys.coverage import rollups
    from surveys.coverage.classify import signal_class
    from surveys.models import CoverageUpload, Measurement

    with app.extensions["phusong.sessionmaker"]() as session:
        upload = CoverageUpload(partner_id=partner_id, filename=f"bench-{start}.csv",
                                format="phusong-csv", content_sha256=f"{start:064d}")
        session.add(upload)
        session.commit()
        upload_id = upload.id
    first = first or datetime(2026, 6, 1, tzinfo=UTC)
    counter = rollups.ContributionCounter()  # as an import: one counter per upload
    for offset in range(start, start + count, BATCH):
        rows = []
        for i in range(offset, min(offset + BATCH, start + count)):
            if route_seed is None:
                lat0, lon0 = sites[i % len(sites)]
            else:
                step = (i - start) % route_rows if route_rows else i - start
                if route_rows and step == 0:
                    where = random.Random(route_seed)
                lat0, lon0 = sites[step % len(sites)]
            lat, lon = lat0 + where.gauss(0, 0.006), lon0 + where.gauss(0, 0.006)
            technology = where.choice(("4g", "4g", "4g", "5g", "3g"))
            operator = where.choice(("viettel", "vinaphone", "mobifone"))
            rsrp = round(rng.uniform(-125, -70), 1) if technology != "3g" else None
            down, up = round(rng.uniform(0.5, 300), 1), round(rng.uniform(0.2, 60), 1)
            when = first + timedelta(seconds=i * 13)
            cell = h3.latlng_to_cell(lat, lon, 10)
            klass = signal_class(technology, rsrp)
            rows.append({"upload_id": upload_id, "measured_at": when, "lat": lat, "lon": lon,
                         "operator": operator, "technology": technology, "rsrp_dbm": rsrp,
                         "download_mbps": down, "upload_mbps": up, "signal_class": klass,
                         "h3_cell": cell, "commune_id": commune_id, "dedupe_key": str(i)})
            counter.add(cell, operator, technology, when, klass, rsrp, down, up)
        with app.extensions["phusong.sessionmaker"]() as session:
            session.execute(insert(Measurement), rows)
            last = offset + BATCH >= start + count
            if last:
                rollups.finish_upload(session, upload_id, counter)
            elif len(counter) >= rollups.FLUSH_KEYS:
                rollups.write(session, upload_id, counter.drain())
            session.commit()


def _households(app: Flask, rng: random.Random, commune: Commune, surveyor_id: int) -> None:
    from surveys.demo import COMMUNES, _answers
    from surveys.models import Submission

    villages = list(commune.villages)
    now = datetime.now(UTC)
    engine = app.extensions["phusong.engine"]
    for offset in range(0, HOUSEHOLDS, BATCH):
        rows = []
        for index in range(offset, min(offset + BATCH, HOUSEHOLDS)):
            village = villages[index % len(villages)]
            rows.append({"instance_id": str(uuid.UUID(int=index)), "survey": "household",
                         "survey_version": "2026112301", "commune_id": commune.id,
                         "village_id": village.id, "surveyor_id": surveyor_id,
                         "collected_at": now - timedelta(days=rng.uniform(0, 150)),
                         "received_at": now, "lat": (village.lat or 0.0) + rng.gauss(0, 0.003),
                         "lon": (village.lon or 0.0) + rng.gauss(0, 0.003), "accuracy_m": 10.0,
                         "location_source": "gps",
                         "answers": _answers(rng, COMMUNES[0], village, index, rng.uniform(0.6, 1.1)),
                         "content_hash": "0" * 64, "review_status": "received"})
        with engine.begin() as connection:
            connection.execute(insert(Submission), rows)
    # Stored directly (not through the submission service): fill the indicator rollups once, as
    # the migration that introduced them does.
    from surveys.indicators.rollups import rebuild

    with app.extensions["phusong.sessionmaker"]() as session:
        rebuild(session, commune.id)
        session.commit()


def _measure(app: Flask, client: FlaskClient, token: str, commune_id: int,
             label: str) -> dict[str, float]:
    from surveys.coverage.hexes import commune_hexes
    from surveys.models import Commune

    headers = {"Authorization": f"Bearer {token}"}

    def get(url: str) -> Callable[[], TestResponse]:
        def call() -> TestResponse:
            response = client.get(url, headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
            return response
        return call

    def built(call: Callable[[], T]) -> Callable[[], T]:
        """The answer built, as on the first request after a change: nothing kept."""
        def fresh() -> T:
            map_answers.forget()
            return call()
        return fresh

    from surveys.coverage import map_answers
    from surveys.coverage.geojson import _polygon_json

    result: dict[str, float] = {}
    _polygon_json.cache_clear()  # a new process: no cell's outline built yet
    result["hexes10_first"], _ = _timed(
        built(get("/api/v1/coverage/hexes?commune=cam-lo&resolution=10")), repeat=1)
    result["hexes8"], r8 = _timed(built(get("/api/v1/coverage/hexes?commune=cam-lo&resolution=8")))
    result["hexes10"], r10 = _timed(
        built(get("/api/v1/coverage/hexes?commune=cam-lo&resolution=10")))
    result["hexes10_kept"], _ = _timed(get("/api/v1/coverage/hexes?commune=cam-lo&resolution=10"))
    result["map"], rmap = _timed(get("/api/v1/indicators/map?commune=cam-lo&code=hh_4g_home"))
    result["area"], _ = _timed(get("/api/v1/indicators/map?commune=cam-lo&code=area_4g"))
    with app.extensions["phusong.sessionmaker"]() as session:
        commune = session.get(Commune, commune_id)
        result["service"], cells = _timed(built(lambda: commune_hexes(session, commune,
                                                                      resolution=8)))
        result["service10"], cells10 = _timed(built(lambda: commune_hexes(session, commune,
                                                                          resolution=10)))
    engine = app.extensions["phusong.engine"]
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT COUNT(*) FROM measurements")).scalar_one()
        rollup_rows = connection.execute(text("SELECT COUNT(*) FROM coverage_rollups")).scalar_one()
        result["ceiling"], groups = _timed(lambda: connection.execute(
            text(CEILING_SQL), {"commune": commune_id}).all())
        result["households_ceiling"], _ = _timed(lambda: connection.execute(
            text(HOUSEHOLD_CEILING_SQL), {"commune": commune_id}).all())
    print(f"  {label}: {rows:,} measurements ({rollup_rows:,} rollup rows), {HOUSEHOLDS:,} households")
    print(f"    hexes API, resolution 8:  {result['hexes8'] * 1000:8.0f} ms "
          f"({len((r8.json or {})['features']):,} cells, {len(r8.get_data()) / 1e6:.1f} MB)")
    print(f"    hexes API, resolution 10: {result['hexes10'] * 1000:8.0f} ms "
          f"({len((r10.json or {})['features']):,} cells)")
    print(f"    hexes API, resolution 10, the first answer of a process (no cell outline "
          f"built yet): {result['hexes10_first'] * 1000:.0f} ms")
    print(f"    hexes API, resolution 10, answered from what the process kept (nothing changed "
          f"since; the two lines above build it): {result['hexes10_kept'] * 1000:.1f} ms")
    print(f"    commune_hexes alone (r8): {result['service'] * 1000:8.0f} ms ({len(cells):,} cells)")
    print(f"    commune_hexes alone (r10):{result['service10'] * 1000:8.0f} ms "
          f"({len(cells10):,} cells)")
    print(f"    indicators map hh_4g_home:{result['map'] * 1000:8.0f} ms "
          f"({len((rmap.json or {})['features'])} villages); area_4g {result['area'] * 1000:.0f} ms")
    print(f"    ceiling, SQL GROUP BY h3_cell over the raw rows: {result['ceiling'] * 1000:8.0f} ms "
          f"({len(groups):,} cells at resolution 10, averages only)")
    print(f"    households' SQL GROUP BY village (hh_4g_home's counts, no statistics): "
          f"{result['households_ceiling'] * 1000:8.0f} ms; indicators map / that: "
          f"{result['map'] / result['households_ceiling']:.2f}x")
    print(f"    ratio hexes r8/ceiling {result['hexes8'] / result['ceiling']:.2f}x, "
          f"r10/ceiling {result['hexes10'] / result['ceiling']:.2f}x, "
          f"indicators map/ceiling {result['map'] / result['ceiling']:.2f}x")
    return result


def main() -> int:
    from app import create_app
    from surveys import migrate
    from surveys.demo import commune_geometry, stored_boundary, village_sites
    from surveys.models import Partner
    from tests.factories import make_commune, make_token, make_user

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        app = create_app({"TESTING": True, "SECRET_KEY": "bench",
                          "DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
                          "UPLOAD_DIR": str(tmp / "uploads")})
        migrate.upgrade(app.extensions["phusong.engine"])
        sites = [(p.y, p.x) for p in village_sites("cam-lo", 7)]
        with app.extensions["phusong.sessionmaker"]() as session:
            commune = make_commune(session, villages=tuple(
                (f"thon-{i}", f"Thôn {i}", HOUSEHOLDS // 7 * 3) for i in range(1, 8)))
            commune.boundary = stored_boundary(commune_geometry("cam-lo")[0])
            for village, (lat, lon) in zip(commune.villages, sites, strict=True):
                village.lat, village.lon = lat, lon
            partner = Partner(slug="viettel", name="Viettel")
            session.add(partner)
            session.flush()
            staff = make_user(session, "bench-staff", role="staff", commune=commune)
            token = make_token(session, staff)
            session.commit()
            commune_id, partner_id, staff_id = commune.id, partner.id, staff.id
            rng = random.Random(11)
            started = time.perf_counter()
            _households(app, rng, commune, staff_id)
        print(f"maps: {HOUSEHOLDS:,} households stored in {time.perf_counter() - started:.1f} s")
        client = app.test_client()
        tenth = MEASUREMENTS // 10
        started = time.perf_counter()
        _measurements(app, rng, 0, tenth, commune_id, partner_id, sites)
        print(f"  {tenth:,} measurements and their rollups stored in {time.perf_counter() - started:.1f} s"
              f" (one upload)")
        small = _measure(app, client, token, commune_id, "a tenth")
        started = time.perf_counter()
        uploads = 0
        for start in range(tenth, MEASUREMENTS, tenth):
            _measurements(app, rng, start, min(tenth, MEASUREMENTS - start), commune_id,
                          partner_id, sites)
            uploads += 1
        print(f"  {MEASUREMENTS - tenth:,} more stored in {time.perf_counter() - started:.1f} s "
              f"({uploads} more uploads, as months of drive tests would come)")
        full = _measure(app, client, token, commune_id, "all")
        app.extensions["phusong.engine"].dispose()
    print(f"  growth from a tenth to all the rows: hexes r8 {full['hexes8'] / small['hexes8']:.2f}x, "
          f"r10 {full['hexes10'] / small['hexes10']:.2f}x, indicators map "
          f"{full['map'] / small['map']:.2f}x, SQL GROUP BY {full['ceiling'] / small['ceiling']:.2f}x")
    won = full["hexes8"] < full["ceiling"] and full["hexes10"] < full["ceiling"]
    print(f"  rollups {'win' if won else 'DO NOT win'} against the GROUP BY at full size "
          f"(the indicators map reads the indicator rollups; compared above with the households' "
          f"GROUP BY)")
    return 0 if won else 1
