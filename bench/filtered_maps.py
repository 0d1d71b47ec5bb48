"""Maps filtered by operator or period as uploads accumulate: a commune's hexagons with
`operator=` and `period=` read the cells' month totals (one row per cell, technology, operator and
month, or all months of an operator, summed over the uploads: surveys/coverage/month_totals.py),
while the map without filters reads one summary row per cell. This measures how the filtered maps
grow when the same area is driven again and again (each upload covers the same villages in the
same month), against the map without filters in the same run.

    python -m bench filtered_maps

BENCH_FILTERED_UPLOADS (default 8) uploads of BENCH_FILTERED_MEASUREMENTS (default 20,000)
measurements each, on SQLite, generated with their rollups as bench/maps.py does. With
BENCH_FILTERED_ROUTE=same (the default) every upload drives the same route again (the same
positions, technologies and operators, new values), so the cells, operators, technologies and
months with data stay the same and only the uploads grow: what "flat" is about. With
BENCH_FILTERED_ROUTE=scattered each upload draws new positions around the villages, so the
commune's cells with data (at resolution 10, their tails) and their combinations of technology and
operator keep growing with the measurements, and the maps' cost with them. Timed at every map
resolution 6–10 after 1, 2, 4 … uploads (p50 of 5), then once more on the same measurements
imported as one upload into a database of their own (the answers must be the same). Each of those
timings runs in a new process of its own (`_timed_apart`): this process grows as it imports, and a
process holding more objects answers slower (Python's full collections walk them all: after eight
imports the same database's r10 took 21–27 against 11–12 ms of CPU), which the comparison would
read as the maps growing with the uploads. Prints the
growth from one upload to all, then PASS or FAIL against "flat", in CPU time (on a shared machine
the wall-clock of a few milliseconds is mostly the neighbours), each case at each resolution at most
FLAT_GROWTH (or less than FLAT_FLOOR_MS more): from 1 upload to all (the data grows too: the
histograms of a cell fill up as its measurements do, up to their number of bins), and with all the
uploads against the same measurements in one upload (nothing differs but the uploads); and against
the goal of issue 16 for a commune, each case at each resolution at most COMMUNE_GOAL_MS p50
wall-clock with all the uploads. With all the uploads the same cases are also timed through the
hexes API (the test client) at resolutions 9 and 10: p50, and the first answer of a process, which
builds the cells' outlines (geojson._polygon_json) that later answers reuse. Last, the route
is driven once more a month later, so that every cell has two months: a map of the first
month then merges each cell's month totals instead of reading its summary (hexes._measured),
timed over the whole commune at resolutions 8–10 and in a phone's window at street zoom, the
goal applied to what the map page asks (the whole commune at 8, a window at 10). docs/maps.md
keeps the figures.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

if TYPE_CHECKING:
    from flask import Flask

UPLOADS = int(os.environ.get("BENCH_FILTERED_UPLOADS", "8"))
PER_UPLOAD = int(os.environ.get("BENCH_FILTERED_MEASUREMENTS", "20000"))
ROUTE = os.environ.get("BENCH_FILTERED_ROUTE", "same")  # or "scattered"
REPEAT = 5
RESOLUTIONS = (6, 7, 8, 9, 10)
FLAT_GROWTH = 1.5  # from one upload to all, in CPU time (the machine may be shared)
FLAT_FLOOR_MS = 5.0  # a case under this much more CPU time is flat whatever its ratio
COMMUNE_GOAL_MS = 50.0  # p50, issue 16: "≤ 50 ms p50 for a commune" at every resolution
PERIOD = "2026-06"  # bench/maps.py's measurements all fall in June 2026
NEXT_MONTH = datetime(2026, 7, 1, tzinfo=UTC)  # the last upload's, driven again a month later
CASES: dict[str, dict[str, Any]] = {
    "no filter": {},
    "operator": {"operator": "viettel"},
    "period": {"first_period": PERIOD, "last_period": PERIOD},
    "operator+period": {"operator": "viettel", "first_period": PERIOD, "last_period": PERIOD},
}


def _p50(action: Callable[[], Any], *, fresh: bool = True) -> tuple[float, float, Any]:
    """p50 of the wall-clock and of the CPU time (SQLite runs in this process), and the result.
    `fresh`: each run as the first after an import (nothing the maps keep: map_answers.forget)."""
    from surveys.coverage import map_answers

    times, cpu, result = [], [], None
    for _ in range(REPEAT):
        if fresh:
            map_answers.forget()
        started, started_cpu = time.perf_counter(), time.process_time()
        result = action()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(times), statistics.median(cpu), result


Figures = dict[tuple[str, int], list[float]]  # (case, resolution) → p50 at each checkpoint


def main() -> int:
    from bench.maps import _measurements

    figures: Figures = {}  # wall-clock
    cpu_figures: Figures = {}
    route = 61 if ROUTE == "same" else None
    print(f"filtered_maps: {UPLOADS} uploads of {PER_UPLOAD:,} measurements over the same "
          f"villages and month ({'the same route' if route else 'scattered'}), SQLite")
    with tempfile.TemporaryDirectory() as tmpdir:
        app, commune_id, partner_id, sites = _database(Path(tmpdir), "accumulated")
        rng = random.Random(16)
        checkpoints = {n for n in (1, 2, 4, 8, 16, 32) if n <= UPLOADS} | {UPLOADS}
        answers = ""  # the SHA-256 of the last checkpoint's answers
        for number in range(1, UPLOADS + 1):
            _measurements(app, rng, (number - 1) * PER_UPLOAD, PER_UPLOAD, commune_id,
                          partner_id, sites, route)
            if number in checkpoints:
                answers = _timed_apart(Path(tmpdir) / "accumulated.db", commune_id,
                                       f"{number} upload(s)", figures, cpu_figures)
        _api(app, commune_id)
        late = _another_month(app, commune_id, partner_id, sites, route)
        app.extensions["phusong.engine"].dispose()
        # The same measurements again in a database of their own, as one upload: what the maps
        # cost when nothing but the number of uploads differs.
        app, commune_id, partner_id, sites = _database(Path(tmpdir), "single")
        _measurements(app, random.Random(16), 0, UPLOADS * PER_UPLOAD, commune_id, partner_id,
                      sites, route, PER_UPLOAD)
        single_figures: Figures = {}
        single_cpu: Figures = {}
        single = _timed_apart(Path(tmpdir) / "single.db", commune_id,
                              "the same measurements in 1 upload", single_figures, single_cpu)
        app.extensions["phusong.engine"].dispose()
    print(f"  growth from 1 to {UPLOADS} uploads: " + ", ".join(
        f"r{resolution} {name} {times[-1] / times[0]:.2f}x"
        for (name, resolution), times in figures.items()))
    print(f"  CPU time from 1 to {UPLOADS} uploads: " + ", ".join(
        f"r{resolution} {name} {times[0] * 1e3:.0f} → {times[-1] * 1e3:.0f} ms"
        for (name, resolution), times in cpu_figures.items()))
    print(f"  same answers from {UPLOADS} uploads and from 1 upload of the same measurements: "
          f"{'yes' if answers == single else 'NO'}")
    against_single = {key: [single_cpu[key][0], times[-1]] for key, times in cpu_figures.items()}
    failed = _flat(cpu_figures, f"from 1 to {UPLOADS} uploads (the data growing with them)")
    failed |= _flat(against_single, f"{UPLOADS} uploads against the same measurements in one")
    return 1 if _goal(figures) or failed or late or answers != single else 0


def _database(tmp: Path, name: str) -> tuple[Flask, int, int, list[tuple[float, float]]]:
    """A migrated SQLite database with Cam Lộ's boundary and one partner."""
    from app import create_app
    from surveys import migrate
    from surveys.demo import commune_geometry, stored_boundary, village_sites
    from surveys.models import Partner
    from tests.factories import make_commune

    app = create_app({"TESTING": True, "SECRET_KEY": "bench",
                      "DATABASE_URL": f"sqlite:///{tmp / f'{name}.db'}",
                      "UPLOAD_DIR": str(tmp / "uploads")})
    migrate.upgrade(app.extensions["phusong.engine"])
    with app.extensions["phusong.sessionmaker"]() as session:
        commune = make_commune(session)
        commune.boundary = stored_boundary(commune_geometry("cam-lo")[0])
        partner = Partner(slug="viettel", name="Viettel")
        session.add(partner)
        session.commit()
        commune_id, partner_id = commune.id, partner.id
    return app, commune_id, partner_id, [(p.y, p.x) for p in village_sites("cam-lo", 7)]


RESULT = "RESULT "  # the line `timed_child` prints its figures on


def _timed_apart(database: Path, commune_id: int, label: str, figures: Figures,
                 cpu_figures: Figures) -> str:
    """`_timed` in a new process on the database file (committed: SQLite's WAL lets both open
    it); its figures added to ours. Returns the SHA-256 of its answers, to compare."""
    child = subprocess.run(
        [sys.executable, "-c", "import sys; from bench.filtered_maps import timed_child; "
         "timed_child(sys.argv[1], int(sys.argv[2]), sys.argv[3])", str(database),
         str(commune_id), label], stdout=subprocess.PIPE, text=True, check=True)
    lines = child.stdout.splitlines()
    print("\n".join(line for line in lines if not line.startswith(RESULT)), flush=True)
    found = json.loads(next(line for line in lines if line.startswith(RESULT))[len(RESULT):])
    for key, wall, cpu in found["figures"]:
        figures.setdefault((key[0], key[1]), []).append(wall)
        cpu_figures.setdefault((key[0], key[1]), []).append(cpu)
    return str(found["answers"])


def timed_child(database: str, commune_id: int, label: str) -> None:
    """`_timed` on the database in this new process; prints RESULT and its figures as JSON."""
    from app import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{database}"})
    figures: Figures = {}
    cpu_figures: Figures = {}
    answers = _timed(app, commune_id, label, figures, cpu_figures)
    app.extensions["phusong.engine"].dispose()
    digest = hashlib.sha256(json.dumps(sorted(answers.items()), sort_keys=True).encode())
    print(RESULT + json.dumps({
        "figures": [(key, wall[0], cpu_figures[key][0]) for key, wall in figures.items()],
        "answers": digest.hexdigest()}), flush=True)


def _timed(app: Flask, commune_id: int, label: str, figures: Figures, cpu_figures: Figures
           ) -> dict[tuple[str, int], Any]:
    """Every case at every resolution timed and printed as one line; the answers."""
    from surveys.coverage.hexes import commune_hexes
    from surveys.models import Commune

    answers = {}
    with app.extensions["phusong.sessionmaker"]() as session:
        rows = session.execute(text("SELECT COUNT(*) FROM coverage_rollups")).scalar_one()
        totals, bins = session.execute(text(
            "SELECT COUNT(*), AVG(LENGTH(rsrp) + LENGTH(down) + LENGTH(up)) "
            "FROM coverage_cell_month_totals")).one()
        found = session.get(Commune, commune_id)
        assert found is not None
        line, sizes = [], []
        for resolution in RESOLUTIONS:
            for name, filters in CASES.items():
                seconds, cpu, cells = _p50(lambda: commune_hexes(  # noqa: B023
                    session, found, resolution=resolution, **filters))  # noqa: B023
                answers[(name, resolution)] = cells
                figures.setdefault((name, resolution), []).append(seconds)
                cpu_figures.setdefault((name, resolution), []).append(cpu)
                line.append(f"r{resolution} {name} {seconds * 1e3:.0f} ms")
                if name == "operator+period":
                    sizes.append(f"r{resolution} {len(cells):,}")
    print(f"  {label}, {rows:,} rollup rows, {totals:,} month-total rows (histograms "
          f"{bins or 0:.0f} characters a row): " + ", ".join(line)
          + "; cells with data (operator+period): " + ", ".join(sizes), flush=True)
    return answers


def _api(app: Flask, commune_id: int) -> None:
    """The same cases through the hexes API (the test client: parsing, access, the service,
    GeoJSON, ETag) at resolutions 9 and 10, p50, and the first answer of a process (no cell's
    outline built yet: geojson._polygon_json), printed as one line."""
    from surveys.coverage import map_answers
    from surveys.coverage.geojson import _polygon_json
    from surveys.models import Commune
    from tests.factories import make_token, make_user

    with app.extensions["phusong.sessionmaker"]() as session:
        commune = session.get(Commune, commune_id)
        assert commune is not None
        token = make_token(session, make_user(session, "bench-staff", role="staff",
                                              commune=commune))
        slug = commune.slug
        session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    query = {"no filter": "", "operator": "&operator=viettel", "period": f"&period={PERIOD}",
             "operator+period": f"&operator=viettel&period={PERIOD}"}
    line = []
    for resolution in (9, 10):
        for name in CASES:
            url = f"/api/v1/coverage/hexes?commune={slug}&resolution={resolution}{query[name]}"

            def get(url: str = url) -> Any:
                response = client.get(url, headers=headers)
                assert response.status_code == 200, response.get_data(as_text=True)[:300]
                return response

            _polygon_json.cache_clear()
            map_answers.forget()
            started = time.perf_counter()
            get()
            first = time.perf_counter() - started
            seconds, _cpu, _ = _p50(get)
            kept, _cpu, _ = _p50(get, fresh=False)
            line.append(f"r{resolution} {name} {seconds * 1e3:.0f} ms (first {first * 1e3:.0f}, "
                        f"kept {kept * 1e3:.1f})")
    print("  hexes API with all the uploads, p50 built as after a change (the first answer of a "
          "process; answered from what the process kept): " + ", ".join(line), flush=True)


def _another_month(app: Flask, commune_id: int, partner_id: int,
                   sites: list[tuple[float, float]], route: int | None) -> bool:
    """The route driven once more a month later: every cell with data now has two months, so a
    map of the first month can no longer show a cell's summary of all months (hexes._measured)
    and merges its month totals. Times the cases with a period over the whole commune at
    resolutions 8–10 and in a phone's window at street zoom around a village (what the map page
    asks: the whole commune at resolution 8, the window at 10); True when one of those two misses
    COMMUNE_GOAL_MS. A whole commune at 9 or 10 is asked only through the API."""
    from bench.maps import _measurements
    from surveys.coverage.hexes import commune_hexes
    from surveys.models import Commune

    _measurements(app, random.Random(7), UPLOADS * PER_UPLOAD, PER_UPLOAD, commune_id,
                  partner_id, sites, route, first=NEXT_MONTH)
    lat, lon = sites[0]
    window = (lon - 0.01, lat - 0.019, lon + 0.01, lat + 0.019)  # ~2 × 4 km: a phone at zoom 15
    line, slow = [], []
    with app.extensions["phusong.sessionmaker"]() as session:
        found = session.get(Commune, commune_id)
        assert found is not None
        for name in ("period", "operator+period"):
            for resolution, bbox in ((8, None), (9, None), (10, None), (10, window)):
                seconds, cpu, cells = _p50(lambda: commune_hexes(  # noqa: B023
                    session, found, resolution=resolution, bbox=bbox,  # noqa: B023
                    **CASES[name]))  # noqa: B023
                where = "window" if bbox else "whole"
                line.append(f"r{resolution} {where} {name} {seconds * 1e3:.0f} ms "
                            f"(CPU {cpu * 1e3:.0f}, {len(cells):,} cells)")
                asked_by_page = resolution == 8 or bbox is not None
                if asked_by_page and seconds * 1e3 > COMMUNE_GOAL_MS:
                    slow.append(f"r{resolution} {where} {name} {seconds * 1e3:.0f} ms")
    print(f"  one more upload of the same route a month later ({NEXT_MONTH:%Y-%m}), maps of "
          f"{PERIOD}, p50: " + ", ".join(line), flush=True)
    print(f"  {'PASS' if not slow else 'FAIL: ' + ', '.join(slow)} the map page's requests with "
          f"a period when every cell also has another month (whole commune at r8, a window at "
          f"r10) within {COMMUNE_GOAL_MS:.0f} ms p50; a whole commune at r9–r10 (API only) is "
          f"printed, not judged")
    return bool(slow)


def _flat(cpu_figures: Figures, what: str) -> bool:
    """PASS/FAIL against flat: the last CPU time at most FLAT_GROWTH times the first (or less
    than FLAT_FLOOR_MS more); True when it fails."""
    steep = [f"r{resolution} {name} {times[-1] / times[0]:.2f}x"
             for (name, resolution), times in cpu_figures.items()
             if times[-1] > FLAT_GROWTH * times[0]
             and (times[-1] - times[0]) * 1e3 > FLAT_FLOOR_MS]
    print(f"  {'PASS' if not steep else 'FAIL: ' + ', '.join(steep)} flat, {what}: every case "
          f"at every resolution at most {FLAT_GROWTH}x in CPU time (or under "
          f"{FLAT_FLOOR_MS:.0f} ms more)")
    return bool(steep)


def _goal(figures: Figures) -> bool:
    """PASS/FAIL per resolution against the commune goal (wall-clock p50, all the uploads); True
    when any fails."""
    failed = False
    for resolution in RESOLUTIONS:
        slow = [f"{name} {times[-1] * 1e3:.0f} ms" for (name, level), times in figures.items()
                if level == resolution and times[-1] * 1e3 > COMMUNE_GOAL_MS]
        print(f"  {'PASS' if not slow else 'FAIL: ' + ', '.join(slow)} r{resolution}: every case "
              f"within {COMMUNE_GOAL_MS:.0f} ms p50 for a commune with {UPLOADS} uploads")
        failed = failed or bool(slow)
    return failed
