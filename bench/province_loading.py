"""Loading a province for bench/province.py: the communes through `places import-province`,
villages inside their boundaries, households (through the submission service, then in bulk and
counted by the rollups' rebuild) and partners' drive tests through the upload service."""

from __future__ import annotations

import io
import itertools
import math
import os
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PROVINCE_DIR = os.environ.get("BENCH_PROVINCE_DIR", "/work/shared/data/provinces/ha-tinh")
PROVINCE_SLUG = "ha-tinh"
VILLAGES_PER_COMMUNE = 29  # 69 × 29 = 2,001
BATCH = 500  # households per commit
BULK = 5_000  # households per bulk INSERT
SERVICE_HOUSEHOLDS = 1_000  # of each half through the submission service; the rest in bulk
# Drive tests: a measurement every STEP_DEGREES (~10 m: one a second at 36 km/h) along a bending
# road, DRIVE measurements from a village outward (~10 km), as partners' drive-test tools log them.
STEP_DEGREES = 0.00009
DRIVE = 1_000
TECHNOLOGIES = ("4g", "4g", "4g", "5g", "3g", "2g")
OPERATORS = ("viettel", "vinaphone", "mobifone")

def communes(session: Any, rng: random.Random) -> list[Any]:
    """The province and its communes through the real import (`places import-province`), each
    commune with villages inside its boundary."""
    from shapely.geometry import Point, shape
    from sqlalchemy import select

    from surveys.models import Commune, Village
    from surveys.places.province_import import import_province

    started = time.perf_counter()
    result = import_province(session, Path(PROVINCE_DIR), PROVINCE_SLUG)
    print(f"  import-province: {time.perf_counter() - started:.1f} s (with the boundaries' cells)")
    communes = []
    for commune in session.scalars(select(Commune).where(
            Commune.province_id == result.province.id).order_by(Commune.admin_code)):
        polygon = shape(commune.boundary)
        west, south, east, north = polygon.bounds
        placed = 0
        while placed < VILLAGES_PER_COMMUNE:
            lon, lat = rng.uniform(west, east), rng.uniform(south, north)
            if polygon.contains(Point(lon, lat)):
                placed += 1
                session.add(Village(commune=commune, slug=f"thon-{placed}", name=f"Thôn {placed}",
                                    lat=lat, lon=lon, household_count=200))
        communes.append(commune)
    session.flush()
    return communes


def payloads(sites: list[tuple[int, str, float, float]], count: int, start: int,
              rng: random.Random, now: datetime) -> Any:
    """(commune id, village slug, payload) of households start … start + count."""
    from tests.factories import household_answers, submission_payload

    for index in range(start, start + count):
        commune_id, village, lat, lon = sites[index % len(sites)]
        answers = household_answers(
            household_code=f"HT-{index:07d}",
            mobile_best_technology=rng.choice(("4g", "4g", "5g", "3g", "2g", "none")),
            members_total=rng.randint(4, 7))
        yield commune_id, village, submission_payload(
            village=village, answers=answers,
            collected_at=now - timedelta(days=rng.uniform(1, 150)),
            location={"lat": lat + rng.gauss(0, 0.004), "lon": lon + rng.gauss(0, 0.004),
                      "accuracy_m": 10.0})


def households(app: Any, surveyors: dict[int, int], sites: list[tuple[int, str, float, float]],
                count: int, start: int, rng: random.Random) -> float:
    """`count` households through the submission service, committed per BATCH; seconds."""
    from surveys.collection.submissions import parse_submission, record_submission
    from surveys.models import User

    started = time.perf_counter()
    now = datetime.now(UTC)
    generated = payloads(sites, count, start, rng, now)
    done = 0
    while done < count:
        with app.extensions["phusong.sessionmaker"]() as session:
            users: dict[int, Any] = {}
            for commune_id, _village, payload in itertools.islice(generated, BATCH):
                user = users.get(commune_id) or session.get(User, surveyors[commune_id])
                users[commune_id] = user
                record_submission(session, user, parse_submission(payload, now=now), now=now)
            session.commit()
        done = min(count, done + BATCH)
    return time.perf_counter() - started


def bulk_households(app: Any, surveyors: dict[int, int],
                     sites: list[tuple[int, str, float, float]], count: int, start: int,
                     rng: random.Random) -> float:
    """`count` households parsed as the service parses them and inserted in bulk (the columns
    `record_submission` writes; quality flags left empty: they change no indicator), as an
    import of past surveys would; the caller then rebuilds the rollups. Seconds."""
    from sqlalchemy import insert

    from surveys.collection.submissions import parse_submission
    from surveys.models import Submission, Village
    from surveys.places.lookup_keys import grid_square, household_key

    started = time.perf_counter()
    now = datetime.now(UTC)
    with app.extensions["phusong.sessionmaker"]() as session:
        village_ids = {(v.commune_id, v.slug): v.id for v in session.query(Village)}
        rows: list[dict[str, Any]] = []
        for commune_id, village, payload in payloads(sites, count, start, rng, now):
            item = parse_submission(payload, now=now)
            location = item.location
            assert location is not None
            rows.append({
                "instance_id": item.instance_id, "survey": item.definition.name,
                "survey_version": item.definition.version, "commune_id": commune_id,
                "village_id": village_ids[(commune_id, village)],
                "surveyor_id": surveyors[commune_id], "collected_at": item.collected_at,
                "received_at": now, "lat": location.lat, "lon": location.lon,
                "accuracy_m": location.accuracy_m, "location_source": "gps",
                "answers": item.answers, "content_hash": item.content_hash(),
                "household_key": household_key(item.answers),
                "location_square": grid_square(location.lat, location.lon),
                "review_status": "received", "started_at": item.started_at,
                "supersedes_id": None, "flags": [], "flag_details": {}})
            if len(rows) >= BULK:
                session.execute(insert(Submission), rows)
                rows = []
        if rows:
            session.execute(insert(Submission), rows)
        session.commit()
    return time.perf_counter() - started


def rebuild(app: Any) -> float:
    """The indicator rollups and the map's households per cell recomputed from every stored
    household (`flask --app app indicators rebuild`); seconds."""
    from surveys.indicators.rollups import rebuild

    started = time.perf_counter()
    with app.extensions["phusong.sessionmaker"]() as session:
        rebuild(session)
        session.commit()
    return time.perf_counter() - started


def uploads(app: Any, sites: list[tuple[int, str, float, float]], count: int, first: int,
             files: int, rng: random.Random) -> float:
    """`count` measurements in `files` CSV uploads through the upload service; seconds."""
    from surveys.coverage.uploads import import_upload
    from surveys.models import Partner

    started = time.perf_counter()
    per_file = count // files
    for number in range(first, first + files):
        month = 1 + number % 12
        lines = ["measured_at,lat,lon,operator,technology,rsrp_dbm,download_mbps,upload_mbps\n"]
        lat = lon = heading = 0.0
        operator, technology = OPERATORS[0], TECHNOLOGIES[0]
        for i in range(per_file):
            if i % DRIVE == 0:  # a new drive: from a village, one operator's phone
                _commune, _village, lat, lon = sites[rng.randrange(len(sites))]
                heading = rng.uniform(0, 2 * math.pi)
                operator = rng.choice(OPERATORS)
            if i % 60 == 0:  # the phone hands over between generations now and then
                technology = rng.choice(TECHNOLOGIES)
            heading += rng.gauss(0, 0.15)  # a road bends
            lat += STEP_DEGREES * math.cos(heading)
            lon += STEP_DEGREES * math.sin(heading)
            rsrp = "" if technology in ("2g", "3g") else str(rng.randint(-125, -70))
            lines.append(f"2026-{month:02d}-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:{i % 59:02d},"
                         f"{lat:.6f},{lon:.6f},{operator},{technology},{rsrp},"
                         f"{rng.uniform(0.05, 300):.1f},{rng.uniform(0.02, 60):.1f}\n")
        body = "".join(lines).encode()
        del lines
        with app.extensions["phusong.sessionmaker"]() as session:
            partner = session.query(Partner).filter_by(slug="viettel").one()
            result = import_upload(session, partner, None, f"drive-{number:02d}.csv",
                                   io.BytesIO(body), format_name=None,
                                   now=datetime(2027, 1, 1, tzinfo=UTC))
            session.commit()
            assert result.upload.accepted > 0.99 * per_file, result.upload.accepted
        print(f"    upload {number + 1}: {per_file:,} rows, {time.perf_counter() - started:.0f} s "
              "so far", flush=True)
    return time.perf_counter() - started


def snapshot(app: Any, url: str) -> None:
    """Copy the database as it is now into `<name>_half`, for `--measure` (CREATE DATABASE …
    TEMPLATE needs the source without other connections: this process's pool is emptied first)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    app.extensions["phusong.engine"].dispose()
    source = make_url(url).database
    engine = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    started = time.perf_counter()
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{source}_half"'))
        connection.execute(text(f'CREATE DATABASE "{source}_half" TEMPLATE "{source}"'))
    engine.dispose()
    print(f"  copied into {source}_half for --measure in {time.perf_counter() - started:.0f} s",
          flush=True)
