"""Maps filtered by operator or period as uploads accumulate: a commune's hexagons with
`operator=` and `period=` read the uploads' detailed rollup rows (one per upload, cell, operator,
technology and month) and merge them per request, while the map without filters reads one summary
row per cell. This measures how the filtered maps grow when the same area is driven again and
again (each upload covers the same villages in the same month), against the map without filters in
the same run.

    python -m bench filtered_maps

BENCH_FILTERED_UPLOADS (default 8) uploads of BENCH_FILTERED_MEASUREMENTS (default 20,000)
measurements each, on SQLite, generated with their rollups as bench/maps.py does; timed after 1,
2, 4 … uploads (best of 3). Prints the growth from one upload to all; a report, not a pass/fail:
docs/maps.md keeps the figures.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text

UPLOADS = int(os.environ.get("BENCH_FILTERED_UPLOADS", "8"))
PER_UPLOAD = int(os.environ.get("BENCH_FILTERED_MEASUREMENTS", "20000"))
REPEAT = 3
PERIOD = "2026-06"  # bench/maps.py's measurements all fall in June 2026
CASES: dict[str, dict[str, Any]] = {
    "no filter": {},
    "operator": {"operator": "viettel"},
    "period": {"first_period": PERIOD, "last_period": PERIOD},
    "operator+period": {"operator": "viettel", "first_period": PERIOD, "last_period": PERIOD},
}


def _best(action: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(REPEAT):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return min(times), result


def main() -> int:
    from app import create_app
    from bench.maps import _measurements
    from surveys import migrate
    from surveys.coverage.hexes import commune_hexes
    from surveys.demo import commune_geometry, stored_boundary, village_sites
    from surveys.models import Commune, Partner
    from tests.factories import make_commune

    figures: dict[tuple[str, int], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        app = create_app({"TESTING": True, "SECRET_KEY": "bench",
                          "DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
                          "UPLOAD_DIR": str(tmp / "uploads")})
        migrate.upgrade(app.extensions["phusong.engine"])
        sites = [(p.y, p.x) for p in village_sites("cam-lo", 7)]
        with app.extensions["phusong.sessionmaker"]() as session:
            commune = make_commune(session)
            commune.boundary = stored_boundary(commune_geometry("cam-lo")[0])
            partner = Partner(slug="viettel", name="Viettel")
            session.add(partner)
            session.commit()
            commune_id, partner_id = commune.id, partner.id
        rng = random.Random(16)
        print(f"filtered_maps: {UPLOADS} uploads of {PER_UPLOAD:,} measurements over the same "
              "villages and month, SQLite")
        checkpoints = {n for n in (1, 2, 4, 8, 16, 32) if n <= UPLOADS} | {UPLOADS}
        for number in range(1, UPLOADS + 1):
            _measurements(app, rng, (number - 1) * PER_UPLOAD, PER_UPLOAD, commune_id,
                          partner_id, sites)
            if number not in checkpoints:
                continue
            with app.extensions["phusong.sessionmaker"]() as session:
                rows = session.execute(text("SELECT COUNT(*) FROM coverage_rollups")).scalar_one()
                found = session.get(Commune, commune_id)
                assert found is not None
                line = []
                for resolution in (8, 10):
                    for name, filters in CASES.items():
                        seconds, cells = _best(lambda: commune_hexes(  # noqa: B023
                            session, found, resolution=resolution, **filters))  # noqa: B023
                        figures.setdefault((name, resolution), []).append(seconds)
                        line.append(f"r{resolution} {name} {seconds * 1e3:.0f} ms")
            print(f"  {number} upload(s), {rows:,} rollup rows: " + ", ".join(line), flush=True)
        app.extensions["phusong.engine"].dispose()
    print(f"  growth from 1 to {UPLOADS} uploads: " + ", ".join(
        f"r{resolution} {name} {times[-1] / times[0]:.2f}x"
        for (name, resolution), times in figures.items()))
    return 0
