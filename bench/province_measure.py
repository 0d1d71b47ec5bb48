"""`python -m bench province --measure`: the kept full-size database (bench/province.py `--keep`)
and its `_half` copy timed again with the code of now, without loading.

Each database is timed in a process of its own, twice, in the order half, all, all, half, and each
figure is the lower of its two p50s. A process that has already served one database holds that
database's objects (the indicators' kept summaries, the cells' outlines, ~56,000 objects), and
Python's collector walks them in every full collection: timed in one process, the second database
answered 1.5–2× slower than the same database timed alone (Cẩm Xuyên at r10 53 against 40 ms, the
province's indicator table 225 against 127 ms, 2026-12-04), which the comparison read as growth. The
ABBA order and the lower of two spread the machine's drift and its neighbours' bursts over both.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.province_report import report

ORDER = ("half", "all", "all", "half")
RESULT = "RESULT "  # the line a child prints its figures on


def measure_kept(url: str) -> int:
    """Time `url` (all) and `url`_half, each in its own process, twice; print the comparison."""
    rounds: dict[str, list[dict[str, float]]] = {"half": [], "all": []}
    for label in ORDER:
        database = url if label == "all" else f"{url}_half"
        child = subprocess.run(
            [sys.executable, "-c", "import sys; from bench.province_measure import child; "
             "child(sys.argv[1], sys.argv[2])", database, label],
            stdout=subprocess.PIPE, text=True, check=True)
        lines = child.stdout.splitlines()
        print("\n".join(line for line in lines if not line.startswith(RESULT)), flush=True)
        rounds[label].append(json.loads(next(
            line for line in lines if line.startswith(RESULT))[len(RESULT):]))
    print(f"  each figure below: the lower of its two p50s ({', '.join(ORDER)}, a process each)")
    half, full = ({key: min(r[key] for r in rounds[label]) for key in rounds[label][0]}
                  for label in ("half", "all"))
    return report(half, full)


def child(database: str, label: str) -> None:
    """One database timed in this new process (`province._measure`); its figures as JSON."""
    from sqlalchemy import select, text

    from app import create_app
    from bench.province import _measure
    from surveys import migrate
    from surveys.models import User
    from tests.factories import make_token

    with tempfile.TemporaryDirectory() as tmpdir:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": database,
                          "UPLOAD_DIR": str(Path(tmpdir) / "uploads")})
        migrate.upgrade(app.extensions["phusong.engine"])  # kept under older code
        with app.extensions["phusong.engine"].begin() as connection:
            connection.execute(text("ANALYZE"))  # a load stopped before its own
        with app.extensions["phusong.sessionmaker"]() as session:
            admin = session.scalars(select(User).where(User.username == "bench-admin")).one()
            token = make_token(session, admin)
            session.commit()
        figures = _measure(app, app.test_client(), token, label)
        app.extensions["phusong.engine"].dispose()
    print(RESULT + json.dumps(figures), flush=True)
