"""Submissions over real HTTP: gunicorn as `make run` starts it (2 workers × 4 threads), 1, 4 and 8
concurrent senders on keep-alive connections, all into one village (a team working a village: the
worst case for the rollups) and spread over the commune's villages, starting from an empty database
and again from one whose village already holds PRELOAD households. The ceiling is a minimal Flask
endpoint (bench/minimal_app.py: parse the JSON, answer 201) under the same gunicorn, in the same run.

SQLite always; PostgreSQL when BENCH_POSTGRES_URL names a database the bench may empty
(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/phusong_bench). Sizes: BENCH_HTTP_SUBMISSIONS
(households per case, 2,000), BENCH_PRELOAD (100,000).

Goals (issue 12): no errors anywhere; PostgreSQL, 8 senders, one village ≥ 0.35 of the ceiling with
p99 ≤ 150 ms; the figures with PRELOAD households within 1.2× of the empty database's; one sender
p50 ≤ 10 ms on SQLite. Exits 1 when a goal is missed.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

N = int(os.environ.get("BENCH_HTTP_SUBMISSIONS", "2000"))
PRELOAD = int(os.environ.get("BENCH_PRELOAD", "100000"))
SENDERS = (1, 4, 8)
VILLAGES = 20
ROOT = Path(__file__).resolve().parents[1]
GOAL_CEILING_SHARE = 0.35
GOAL_P99_MS = 150.0
GOAL_GROWTH = 1.2
GOAL_SQLITE_P50_MS = 10.0


@dataclass
class Result:
    rate: float
    p50_ms: float
    p99_ms: float
    errors: Counter[str] = field(default_factory=Counter)

    def line(self) -> str:
        errors = ", ".join(f"{k}×{v}" for k, v in sorted(self.errors.items())) or "0"
        return (f"{self.rate:7.1f}/s  p50 {self.p50_ms:6.1f} ms  p99 {self.p99_ms:6.1f} ms  "
                f"errors {errors}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Gunicorn:
    """gunicorn as `make run` starts it, on a free loopback port."""

    def __init__(self, target: str, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}", "--workers",
             "2", "--threads", "4", "--access-logfile", "-", target],
            cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError as exc:
                if self.process.poll() is not None:
                    raise RuntimeError(f"gunicorn {target} exited with "
                                       f"{self.process.returncode}") from exc
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn {target} did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def drive(port: int, bodies: list[list[bytes]], tokens: list[str]) -> Result:
    """Each sender sends its bodies one after another on one keep-alive connection."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(len(bodies) + 1)

    def sender(index: int) -> None:
        headers = {"Content-Type": "application/json",
                   "Authorization": f"Bearer {tokens[index % len(tokens)]}"}
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine: list[float] = []
        barrier.wait()
        for body in bodies[index]:
            started = time.perf_counter()
            try:
                connection.request("POST", "/api/v1/submissions", body, headers)
                response = connection.getresponse()
                response.read()
                status: int | str = response.status
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            mine.append(time.perf_counter() - started)
            if status != 201:
                with lock:
                    errors[str(status)] += 1
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    latencies.sort()
    return Result(len(latencies) / seconds, statistics.median(latencies) * 1000,
                  latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, errors)


def split(items: list[bytes], senders: int) -> list[list[bytes]]:
    return [items[i::senders] for i in range(senders)]


# ---- the database the app serves ----

def _reset(url: str) -> None:
    from sqlalchemy import text

    from surveys import migrate
    from surveys.db import make_engine

    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine)
    engine.dispose()


@dataclass
class Place:
    commune_id: int
    villages: list[tuple[int, str, float, float]]  # id, slug, lat, lon
    surveyor_id: int
    tokens: list[str]


def _arrange(url: str) -> Place:
    from sqlalchemy.orm import Session

    from surveys.db import make_engine
    from surveys.demo import commune_geometry, stored_boundary, village_sites
    from surveys.models import Commune, Village
    from tests.factories import make_token, make_user

    engine = make_engine(url)
    area, _properties = commune_geometry("cam-due")
    with Session(engine) as session:
        commune = Commune(slug="cam-due", name="Xã Cẩm Duệ", province="Hà Tĩnh",
                          boundary=stored_boundary(area))
        session.add(commune)
        for index, site in enumerate(village_sites("cam-due", VILLAGES)):
            commune.villages.append(Village(slug=f"thon-{index + 1}", name=f"Thôn {index + 1}",
                                            lat=site.y, lon=site.x, household_count=400))
        session.flush()
        users = [make_user(session, f"sv{i}", commune=commune) for i in range(8)]
        tokens = [make_token(session, user) for user in users]
        session.commit()
        place = Place(commune.id, [(v.id, v.slug, site_lat, site_lon) for v in commune.villages
                       if (site_lat := v.lat) is not None and (site_lon := v.lon) is not None],
                      users[0].id, tokens)
    engine.dispose()
    return place


def _answers(rng: random.Random) -> dict[str, object]:
    from tests.factories import household_answers

    adults = rng.randint(1, 6)
    smart = rng.randint(0, adults)
    fixed = {} if rng.random() < 0.7 else {"fixed_broadband": "none", "fixed_provider": None,
                                           "fixed_speed_mbps": None, "fiber_available": "yes"}
    return household_answers(
        household_code=f"CD-{rng.randint(1, 10**9)}", members_adult=adults,
        members_total=adults + rng.randint(0, 3), smartphone_users=smart,
        egov_users=rng.randint(0, smart), vneid_users=rng.randint(0, adults),
        bank_account_users=rng.randint(0, adults), epayment_users=rng.randint(0, adults),
        mobile_best_technology=rng.choice(("3g", "4g", "4g", "5g")), **fixed)


# Houses do not stack: a dense village has about one household per 100 m². The first village, which
# receives the preloaded households, is a disc that holds them at that density (1.8 km across for
# 100,000); the others are discs of 300 m.
SQUARE_METRES_PER_HOUSEHOLD = 100


def _radius_m(village: tuple[int, str, float, float]) -> float:
    if village[1] == "thon-1":
        return max(300.0, math.sqrt(PRELOAD * SQUARE_METRES_PER_HOUSEHOLD / math.pi))
    return 300.0


def _near(rng: random.Random, village: tuple[int, str, float, float]) -> tuple[float, float]:
    """A uniform point of the village's disc."""
    distance = _radius_m(village) * math.sqrt(rng.random()) / 111_195
    angle = rng.uniform(0, 2 * math.pi)
    return (village[2] + distance * math.sin(angle),
            village[3] + distance * math.cos(angle) / math.cos(math.radians(village[2])))


def bodies_for(place: Place, one_village: bool, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    bodies = []
    for _ in range(N):
        village = place.villages[0] if one_village else rng.choice(place.villages)
        lat, lon = _near(rng, village)
        collected = now - timedelta(minutes=rng.randint(5, 600))
        bodies.append(json.dumps({
            "instance_id": str(uuid.uuid4()), "survey": "household", "village": village[1],
            "collected_at": collected.isoformat(),
            "started_at": (collected - timedelta(minutes=6)).isoformat(),
            "location": {"lat": lat, "lon": lon, "accuracy_m": 8.0},
            "answers": _answers(rng)}, ensure_ascii=False).encode())
    return bodies


def _clear(url: str) -> None:
    from sqlalchemy import text

    from surveys.db import make_engine

    engine = make_engine(url)
    with engine.begin() as connection:
        for table in ("household_cells", "indicator_moments", "submissions"):
            connection.execute(text(f"DELETE FROM {table}"))
    engine.dispose()


def _preload(url: str, place: Place) -> float:
    """PRELOAD households in the first village (the one the one-village runs write to), inserted
    in bulk, then the rollups rebuilt: as years of surveys would have left them."""
    from sqlalchemy import insert
    from sqlalchemy.orm import Session

    from surveys.db import make_engine
    from surveys.indicators.rollups import rebuild
    from surveys.models import Submission

    started = time.perf_counter()
    rng = random.Random(100)
    engine = make_engine(url)
    village = place.villages[0]
    base = datetime(2025, 1, 1, tzinfo=UTC)
    with Session(engine) as session:
        for first in range(0, PRELOAD, 5000):
            rows = []
            for _ in range(first, min(PRELOAD, first + 5000)):
                lat, lon = _near(rng, village)
                when = base + timedelta(minutes=rng.randint(0, 600_000))
                rows.append({
                    "instance_id": str(uuid.uuid4()), "survey": "household",
                    "survey_version": "1", "commune_id": place.commune_id,
                    "village_id": village[0], "surveyor_id": place.surveyor_id,
                    "collected_at": when, "received_at": when, "lat": lat, "lon": lon,
                    "accuracy_m": 8.0, "location_source": "gps", "answers": _answers(rng),
                    "content_hash": "0" * 64, "review_status": "received", "flags": [],
                    "flag_details": {}})
            session.execute(insert(Submission), rows)
        session.commit()
        rebuild(session)
        session.commit()
    engine.dispose()
    return time.perf_counter() - started


def run_database(label: str, url: str, tmp: Path) -> dict[tuple[str, str, int], Result]:
    _reset(url)
    place = _arrange(url)
    env = {"DATABASE_URL": url, "SECRET_KEY": "bench", "SESSION_COOKIE_SECURE": "false",
           "UPLOAD_DIR": str(tmp / "uploads")}
    results: dict[tuple[str, str, int], Result] = {}
    seed = 0
    for start in ("empty", f"{PRELOAD:,}"):
        if start != "empty":
            print(f"  {label}: preloading {PRELOAD:,} households into thon-1 "
                  f"({_preload(url, place):.0f} s)")
        server = Gunicorn("wsgi:app", env)
        try:
            for placement in ("one village", "spread"):
                for senders in SENDERS:
                    if start == "empty":
                        _clear(url)
                    seed += 1
                    bodies = bodies_for(place, placement == "one village", seed)
                    # Warm up: each worker parses the boundary once and fills its pools.
                    drive(server.port, split(bodies[:40], 4), place.tokens)
                    result = drive(server.port, split(bodies[40:], senders), place.tokens)
                    results[(start, placement, senders)] = result
                    print(f"  {label:10} {start:>9} {placement:11} {senders} sender(s): "
                          f"{result.line()}", flush=True)
        finally:
            server.stop()
    return results


def ceiling() -> dict[int, Result]:
    server = Gunicorn("bench.minimal_app:app", {})
    results = {}
    try:
        bodies = bodies_for(Place(0, [(0, "thon-1", 18.0, 106.0)], 0, ["x"]), True, 999)
        drive(server.port, split(bodies[:40], 4), ["x"])
        for senders in SENDERS:
            results[senders] = drive(server.port, split(bodies[40:], senders), ["x"])
            print(f"  minimal Flask endpoint, {senders} sender(s): {results[senders].line()}",
                  flush=True)
    finally:
        server.stop()
    return results


def main() -> int:
    print(f"submissions over HTTP: {N:,} households per case, gunicorn 2 workers × 4 threads")
    databases = {}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        roof = ceiling()
        databases["SQLite"] = run_database("SQLite", f"sqlite:///{tmp / 'http.db'}", tmp)
        postgres = os.environ.get("BENCH_POSTGRES_URL")
        if postgres:
            databases["PostgreSQL"] = run_database("PostgreSQL", postgres, tmp)
        else:
            print("  PostgreSQL: not run (set BENCH_POSTGRES_URL to a database the bench may "
                  "empty)")
    return report(roof, databases)


def report(roof: dict[int, Result], databases: dict[str, dict[tuple[str, str, int], Result]]
           ) -> int:
    missed = []
    print("  ratio to the minimal endpoint (same senders):")
    for label, results in databases.items():
        for (start, placement, senders), result in results.items():
            share = result.rate / roof[senders].rate
            print(f"    {label:10} {start:>9} {placement:11} {senders}: {share:.2f} of "
                  f"{roof[senders].rate:.0f}/s")
            if result.errors:
                missed.append(f"{label} {start} {placement} {senders}: errors {dict(result.errors)}")
        for placement in ("one village", "spread"):
            for senders in SENDERS:
                empty = results[("empty", placement, senders)]
                full = results[(f"{PRELOAD:,}", placement, senders)]
                growth = empty.rate / full.rate
                print(f"    {label:10} {placement:11} {senders}: with {PRELOAD:,} stored "
                      f"{growth:.2f}× the empty database's time per household")
                if growth > GOAL_GROWTH:
                    missed.append(f"{label} {placement} {senders}: {growth:.2f}× > {GOAL_GROWTH}×")
    if "PostgreSQL" in databases:
        for start in ("empty", f"{PRELOAD:,}"):
            result = databases["PostgreSQL"][(start, "one village", 8)]
            share = result.rate / roof[8].rate
            if share < GOAL_CEILING_SHARE or result.p99_ms > GOAL_P99_MS:
                missed.append(f"PostgreSQL {start} one village 8 senders: {share:.2f} of the "
                              f"ceiling (goal ≥ {GOAL_CEILING_SHARE}), p99 {result.p99_ms:.0f} ms "
                              f"(goal ≤ {GOAL_P99_MS:.0f})")
    for start in ("empty", f"{PRELOAD:,}"):
        result = databases["SQLite"][(start, "one village", 1)]
        if result.p50_ms > GOAL_SQLITE_P50_MS:
            missed.append(f"SQLite {start} one sender p50 {result.p50_ms:.1f} ms "
                          f"(goal ≤ {GOAL_SQLITE_P50_MS:.0f})")
    for line in missed:
        print(f"  MISSED: {line}")
    if not missed:
        print("  every goal met")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
