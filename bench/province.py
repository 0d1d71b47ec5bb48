"""A whole province on PostgreSQL: Hà Tĩnh's 69 communes (real boundaries), ~2,000 villages,
households and drive-test measurements loaded through the real import paths, then the maps timed
against a plain SQL aggregate over the same rows, in the same run.

    BENCH_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:55432/phusong_bench \\
        python -m bench province [--full] [--keep]

Without BENCH_POSTGRES_URL it says so and skips. The database named there is emptied (schema
`public` dropped and re-created) and must have "bench" in its name; `--keep` leaves the data.

Loading: the province and its communes from /work/shared/data/provinces/ha-tinh (or
BENCH_PROVINCE_DIR: province.geojson and communes/*.geojson) through `places import-province`'s
service, 29 villages each inside the boundary; households: the first SERVICE_HOUSEHOLDS of each
half through the submission service (`parse_submission` + `record_submission`, commit per batch of
500: quality flags, indicator rollups and the map's households per cell as a surveyor's phone
would cause), the rest parsed by the same `parse_submission`, inserted in bulk and counted by the
rollups' rebuild (`flask --app app indicators rebuild`), as an import of past surveys would be;
measurements through the upload service (`import_upload` of CSV files: placement
by boundary and village, rollups, totals, map summaries).

Sizes: the default is 1/400 and 1/500 of the province — 1,000 households and 40,000 measurements
in 10 uploads, drive tests of ~10 km from the villages, a measurement every ~10 m — in about 3
minutes; --full is 400,000
households and 20,000,000 measurements in 20 uploads (BENCH_PROVINCE_HOUSEHOLDS / BENCH_PROVINCE_MEASUREMENTS
override either). Half is loaded and timed, then the other half (households and measurements
double) and timed again.

Cold start (first half only): a new process's first province map at resolutions 7 and 10, the
boundaries' cells read from `boundary_cells` against computed as before they were stored.
Timed (p50 of REPEAT runs after one warm-up; the warm-up is printed as "cold"): the province's
hexagons at resolution 7 (`area_hexes` over the 69 communes), one commune's hexagons at resolutions
6–10 (`commune_hexes`), a phone's window of it at resolution 10, the commune at 8 and the
window with a period (the first month of data, whose cells have later months too), the hexes API
for that commune at resolution 10 (HTTP through the test client: access, GeoJSON, ETag), and the
ceiling: one `SELECT h3_cell, COUNT(*), AVG(...) … GROUP BY
h3_cell` over the raw measurements of the province and of the commune. Also timed, beside them: the
province's indicator table and the ranking of its communes through the API (HOOKS), and the numbers
of the province's dashboard page (`area_dashboard`).
Pass (bench/province_report.py): every map ≤ CEILING_MS p50 (commune maps ≤ COMMUNE_MS), and
each grows at most FLAT× when the data doubles.

Loading the full size takes hours, so it can be measured again later without loading: `--keep`
also copies the database as it was after the first half into `<name>_half` (PostgreSQL's CREATE
DATABASE … TEMPLATE), and `--measure` times the kept database and its `_half` copy with the code
of now, each in a process of its own (bench/province_measure.py), and prints the same comparison.
"""

from __future__ import annotations

import functools
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench import province_loading as loading
from bench.province_loading import PROVINCE_SLUG, SERVICE_HOUSEHOLDS
from bench.province_report import HOOKS
from bench.province_report import report as _report

FULL = {"households": 400_000, "measurements": 20_000_000}
SMALL = {"households": 1_000, "measurements": 40_000}
UPLOADS = {"small": 10, "full": 20}  # measurements arrive in this many files (half per half)
REPEAT = 7
COMMUNE_CODE = "18673"  # Cẩm Xuyên
CEILING_SQL = """
SELECT h3_cell, COUNT(*), AVG(rsrp_dbm), AVG(download_mbps), AVG(upload_mbps)
FROM measurements WHERE commune_id = ANY(:ids) GROUP BY h3_cell
"""


# The households' ceiling: what one indicator's numerator and denominator per village cost when
# read straight from the stored answers.
HOUSEHOLD_CEILING_SQL = """
SELECT village_id, COUNT(*), SUM(CASE WHEN answers->>'mobile_best_technology' IN ('4g', '5g')
                                      THEN 1 ELSE 0 END)
FROM submissions WHERE commune_id = ANY(:ids) AND survey = 'household' GROUP BY village_id
"""


CPU: dict[str, float] = {}  # label → p50 of this process's CPU seconds (less sensitive to a
# loaded machine than wall time; the database's own work is not in it)


def _p50(action: Callable[[], Any], repeat: int = REPEAT, label: str = "", *,
         fresh: bool = True) -> tuple[float, float, Any]:
    """(cold seconds, p50 wall seconds, last result); the p50 CPU seconds go to CPU[label].
    `fresh`: each run as the first after an import (nothing the maps keep: map_answers.forget)."""
    from surveys.coverage import map_answers

    map_answers.forget()
    started = time.perf_counter()
    result = action()
    cold = time.perf_counter() - started
    times, cpu = [], []
    for _ in range(repeat):
        if fresh:
            map_answers.forget()
        started, cpu_started = time.perf_counter(), time.process_time()
        result = action()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    CPU[label] = statistics.median(cpu)
    return cold, statistics.median(times), result


def _reset(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _cold_start(app: Any) -> None:
    """A new process's first province map at resolutions 7 and 10 (the in-process cell cache
    emptied): the boundaries' cells read from `boundary_cells`, and, in the same run, computed as
    before they were stored (the rows deleted in a transaction rolled back afterwards)."""
    from sqlalchemy import delete, select

    from surveys.coverage import hexes
    from surveys.models import BoundaryCells, Commune

    with app.extensions["phusong.sessionmaker"]() as session:
        for resolution in (7, 10):
            figures = []
            for stored in (True, False):
                communes = list(session.scalars(select(Commune).order_by(Commune.id)))
                if not stored:
                    session.execute(delete(BoundaryCells))
                hexes._boundary_cache.clear()
                started, cpu = time.perf_counter(), time.process_time()
                cells = hexes.area_hexes(session, communes, resolution=resolution)
                figures.append((time.perf_counter() - started, time.process_time() - cpu))
                if stored:  # and once the cells are in this process's cache
                    started = time.perf_counter()
                    hexes.area_hexes(session, communes, resolution=resolution)
                    warm = time.perf_counter() - started
                session.rollback()
            (read, read_cpu), (computed, computed_cpu) = figures
            print(f"    cold start, province hexes at resolution {resolution:2d}: cells stored "
                  f"{read * 1e3:6.0f} ms (CPU {read_cpu * 1e3:5.0f}), computed {computed * 1e3:6.0f} ms "
                  f"(CPU {computed_cpu * 1e3:5.0f}): {computed / read:.1f}x; then cached "
                  f"{warm * 1e3:5.0f} ms; {len(cells):,} cells", flush=True)
    hexes._boundary_cache.clear()


def _measure(app: Any, client: Any, token: str, label: str) -> dict[str, float]:
    from sqlalchemy import select

    from surveys.coverage.hexes import area_hexes, commune_hexes
    from surveys.models import Commune

    result: dict[str, float] = {}
    with app.extensions["phusong.sessionmaker"]() as session:
        communes = list(session.scalars(select(Commune).order_by(Commune.id)))
        commune = next(c for c in communes if c.admin_code == COMMUNE_CODE)
        ids = [c.id for c in communes]
        counts = session.execute(text(
            "SELECT (SELECT COUNT(*) FROM measurements), (SELECT COUNT(*) FROM submissions), "
            "(SELECT COUNT(*) FROM villages), (SELECT COUNT(*) FROM measurements "
            "WHERE commune_id = :c)"), {"c": commune.id}).one()
        size = session.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        tables = session.execute(text(
            "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relkind = 'r' "
            "AND relnamespace = 'public'::regnamespace ORDER BY 2 DESC LIMIT 6")).all()
        print(f"  {label}: {counts[0]:,} measurements ({counts[3]:,} in {commune.name}), "
              f"{counts[1]:,} households, {len(communes)} communes, {counts[2]:,} villages; "
              f"database {size / 2**20:,.0f} MiB (" + ", ".join(
                  f"{name} {n / 2**20:,.0f}" for name, n in tables) + ")")
        cold, result["province7"], cells = _p50(lambda: area_hexes(session, communes,
                                                                   resolution=7), label="province7")
        print(f"    province hexes, resolution 7 (area_hexes):  p50 {result['province7'] * 1e3:7.1f} ms"
              f"  (CPU {CPU['province7'] * 1e3:5.1f})  cold {cold * 1e3:7.0f} ms  {len(cells):,} cells")
        for resolution in (6, 7, 8, 9, 10):
            name = f"commune{resolution}"
            cold, result[name], cells = _p50(
                functools.partial(commune_hexes, session, commune, resolution=resolution),
                label=name)
            print(f"    commune hexes, resolution {resolution:2d}:          "
                  f"p50 {result[name] * 1e3:7.1f} ms  (CPU {CPU[name] * 1e3:5.1f})  "
                  f"cold {cold * 1e3:7.0f} ms  {len(cells):,} cells")
        # After a household alone (the measurements unchanged): the cells' summaries from what
        # the process kept (surveys/coverage/kept_reads.py), the households read again.
        cold, result["commune10_households"], cells = _p50(functools.partial(
            commune_hexes, session, commune, resolution=10), label="commune10_households",
            fresh=False)
        print(f"    commune hexes, resolution 10, after a household (summaries kept):  p50 "
              f"{result['commune10_households'] * 1e3:7.1f} ms  "
              f"(CPU {CPU['commune10_households'] * 1e3:5.1f})  {len(cells):,} cells")
        # What the map asks at street zoom: a phone's window (~3 × 2 km) around a village.
        lat, lon = next((v.lat, v.lon) for v in commune.villages if v.lat is not None)
        box = (lon - 0.015, lat - 0.01, lon + 0.015, lat + 0.01)
        cold, result["window10"], cells = _p50(functools.partial(
            commune_hexes, session, commune, resolution=10, bbox=box), label="window10")
        print(f"    commune hexes, resolution 10, a window:  p50 {result['window10'] * 1e3:7.1f} ms  "
              f"(CPU {CPU['window10'] * 1e3:5.1f})  cold {cold * 1e3:7.0f} ms  {len(cells):,} cells")
        # The same two with a period, as the page asks them when a month is chosen: the first month
        # of data (the same in both halves), whose cells were measured in later months too, so
        # each cell's month totals are merged (surveys/coverage/filtered_cells.py).
        month = session.execute(text("SELECT MIN(period) FROM coverage_cell_month_totals "
                                     "WHERE period <> '*'")).scalar_one()
        for name, resolution, bbox, words in (("period8", 8, None, "the commune"),
                                              ("period_window10", 10, box, "a window")):
            cold, result[name], cells = _p50(functools.partial(
                commune_hexes, session, commune, resolution=resolution, bbox=bbox,
                first_period=month, last_period=month), label=name)
            print(f"    commune hexes, resolution {resolution}, {words}, period {month}:  p50 "
                  f"{result[name] * 1e3:7.1f} ms  (CPU {CPU[name] * 1e3:5.1f})  cold "
                  f"{cold * 1e3:7.0f} ms  {len(cells):,} cells")
        from surveys.coverage.hexes import commune_cells
        result["period_rows"] = session.execute(text(
            "SELECT COUNT(*) FROM coverage_cell_month_totals WHERE h3_cell = ANY(:cells) "
            "AND period = :month"), {"cells": sorted(commune_cells(session, commune, 8)),
                                     "month": month}).scalar_one()
        result.update({f"cpu_{name}": seconds for name, seconds in CPU.items()})
        connection = session.connection()
        _, result["ceiling_province"], groups = _p50(
            lambda: connection.execute(text(CEILING_SQL), {"ids": ids}).all(), 3)
        print(f"    ceiling, SQL GROUP BY h3_cell, province:   p50 "
              f"{result['ceiling_province'] * 1e3:7.1f} ms  {len(groups):,} groups")
        _, result["ceiling_commune"], groups = _p50(
            lambda: connection.execute(text(CEILING_SQL), {"ids": [commune.id]}).all(), 3)
        print(f"    ceiling, SQL GROUP BY h3_cell, commune:    p50 "
              f"{result['ceiling_commune'] * 1e3:7.1f} ms  {len(groups):,} groups")
        slug = commune.slug
    headers = {"Authorization": f"Bearer {token}"}

    def get(url: str) -> Callable[[], Any]:
        return lambda: client.get(url, headers=headers)

    hexes_url = f"/api/v1/coverage/hexes?commune={slug}&resolution=10"
    cold, result["api10"], response = _p50(get(hexes_url))
    print(f"    hexes API, commune, resolution 10 (HTTP):  p50 {result['api10'] * 1e3:7.1f} ms  "
          f"cold {cold * 1e3:7.0f} ms  {len(response.get_data()) / 1e6:.1f} MB (built each time)")
    _cold, result["api10_kept"], _ = _p50(get(hexes_url), fresh=False)
    print(f"    the same, answered from what the process kept: p50 "
          f"{result['api10_kept'] * 1e3:7.1f} ms")
    for template in HOOKS:
        url = template.format(area=PROVINCE_SLUG)
        if client.get(url, headers=headers).status_code == 404:
            print(f"    {url}: not available")
            continue
        _cold, seconds, response = _p50(get(url))  # REPEAT: 3 runs let one burst of the host set the p50
        result[url] = seconds
        print(f"    {url}: p50 {seconds * 1e3:7.1f} ms (status {response.status_code})")
    with app.extensions["phusong.sessionmaker"]() as session:
        from datetime import date

        from sqlalchemy import select

        from surveys.indicators.areas import area_dashboard
        from surveys.models import Commune
        from surveys.places.areas import find_area

        area = find_area(session, PROVINCE_SLUG)
        assert area is not None
        _cold, result["dashboard"], _ = _p50(lambda: area_dashboard(
            session, area, code=None, period=None, today=date.today(), minimum=30,
            h3_resolution=8), 3)
        print(f"    province dashboard's numbers (area_dashboard): p50 {result['dashboard'] * 1e3:7.1f} ms"
              " (no commune changed since the last view)")
        from surveys.indicators import summary_cache
        from surveys.indicators.rollups import bump_versions

        some = session.scalars(select(Commune.id).order_by(Commune.id)).all()

        def changed(count: int) -> Callable[[], None]:
            def before() -> None:  # households stored in `count` communes since the last view
                if count:
                    bump_versions(session, some[:count])
                    session.commit()
                else:
                    summary_cache.forget()
            return before

        for name, count, words in (("dashboard_one", 1, "one commune changed before each view"),
                                   ("dashboard_cold", 0, "nothing kept: a new process's first view")):
            times = []
            for _ in range(REPEAT):
                changed(count)()
                started = time.perf_counter()
                area_dashboard(session, area, code=None, period=None, today=date.today(),
                               minimum=30, h3_resolution=8)
                times.append(time.perf_counter() - started)
            result[name] = statistics.median(times)
            print(f"    province dashboard's numbers, {words}: p50 {result[name] * 1e3:7.1f} ms")
        connection = session.connection()
        ids = [c.id for c in session.scalars(select(Commune))]
        _, result["ceiling_households"], groups = _p50(
            lambda: connection.execute(text(HOUSEHOLD_CEILING_SQL), {"ids": ids}).all(), 3)
        print(f"    ceiling, SQL GROUP BY village over the households (one answer): p50 "
              f"{result['ceiling_households'] * 1e3:7.1f} ms  {len(groups):,} groups")
    print(f"    ratios to the province ceiling: province r7 "
          f"{result['province7'] / result['ceiling_province']:.3f}x; to the commune ceiling: "
          + ", ".join(f"r{r} {result[f'commune{r}'] / result['ceiling_commune']:.2f}x"
                      for r in (6, 7, 8, 9, 10)), flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[2:] if argv is None else argv
    url = os.environ.get("BENCH_POSTGRES_URL")
    if not url:
        print("province: skipped — set BENCH_POSTGRES_URL to a PostgreSQL database it may empty "
              "(its name containing 'bench')")
        return 0
    if "bench" not in url.rsplit("/", 1)[-1]:
        print("province: refused — the database in BENCH_POSTGRES_URL must have 'bench' in its name")
        return 2
    if "--measure" in argv:
        from bench.province_measure import measure_kept

        return measure_kept(url)
    sizes = dict(FULL if "--full" in argv else SMALL)
    sizes["households"] = int(os.environ.get("BENCH_PROVINCE_HOUSEHOLDS", sizes["households"]))
    sizes["measurements"] = int(os.environ.get("BENCH_PROVINCE_MEASUREMENTS",
                                               sizes["measurements"]))
    from app import create_app
    from surveys import migrate
    from surveys.models import Partner
    from tests.factories import make_token, make_user

    _reset(url)
    rng = random.Random(16)
    with tempfile.TemporaryDirectory() as tmpdir:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url,
                          "UPLOAD_DIR": str(Path(tmpdir) / "uploads")})
        migrate.upgrade(app.extensions["phusong.engine"])
        with app.extensions["phusong.sessionmaker"]() as session:
            communes = loading.communes(session, rng)
            session.add(Partner(slug="viettel", name="Viettel"))
            surveyors = {c.id: make_user(session, f"surveyor-{c.admin_code}", commune=c).id
                         for c in communes}
            token = make_token(session, make_user(session, "bench-admin", role="admin"))
            sites = [(v.commune_id, v.slug, v.lat, v.lon) for c in communes for v in c.villages]
            session.commit()
        print(f"province: {len(communes)} communes, {len(sites):,} villages; target "
              f"{sizes['households']:,} households, {sizes['measurements']:,} measurements "
              f"({'--full' if '--full' in argv else 'small'}), half now, half later", flush=True)
        client = app.test_client()
        results = []
        half_h, half_m = sizes["households"] // 2, sizes["measurements"] // 2
        for phase in (0, 1):
            served = min(half_h, SERVICE_HOUSEHOLDS)
            seconds = loading.households(app, surveyors, sites, served, phase * half_h, rng)
            print(f"  {served:,} households via the submission service in {seconds:.0f} s "
                  f"({served / seconds:,.0f}/s)", flush=True)
            if half_h > served:
                seconds = loading.bulk_households(app, surveyors, sites, half_h - served,
                                           phase * half_h + served, rng)
                print(f"  {half_h - served:,} households in bulk (INSERT of what the service "
                      f"stores) in {seconds:.0f} s", flush=True)
                seconds = loading.rebuild(app)
                print(f"  indicator rollups rebuilt from all {(phase + 1) * half_h:,} households "
                      f"in {seconds:.0f} s", flush=True)
            files = UPLOADS["full" if "--full" in argv else "small"] // 2
            seconds = loading.uploads(app, sites, half_m, phase * files, files, rng)
            print(f"  {half_m:,} measurements via the upload service in {seconds:.0f} s "
                  f"({half_m / seconds:,.0f}/s)", flush=True)
            with app.extensions["phusong.engine"].begin() as connection:
                connection.execute(text("ANALYZE"))
            if phase == 0:
                _cold_start(app)
            results.append(_measure(app, client, token, "half" if phase == 0 else "all"))
            if phase == 0 and "--keep" in argv:
                loading.snapshot(app, url)
        app.extensions["phusong.engine"].dispose()
    if "--keep" not in argv:
        _reset(url)
    return _report(*results)
