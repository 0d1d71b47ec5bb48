"""All indicators of a commune with 100,000 households, against a plain SQL aggregate of the same rows.

Ours: `indicator_table` — all 17 indicators with their intervals (stratified, cluster variance,
Wilson, H3 cells) from the indicator rollups (surveys/indicators/rollups.py). Ceiling: one SQL GROUP BY
per village summing the same numerators and denominators over the raw rows in the database (SQLite's
json_extract) — the bare counting, no statistics. Both at a tenth of the households and at all of
them: the rollups must win and stay flat. Also shown: the direct computation from households (what
the table cost before the rollups) and the cost of keeping the rollups up to date per submission.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, text

N = int(os.environ.get("BENCH_HOUSEHOLDS", "100000"))

CEILING_SQL = """
SELECT village_id, COUNT(*),
  SUM(json_extract(answers, '$.fixed_broadband') != 'none'),
  SUM(json_extract(answers, '$.fixed_broadband') = 'fiber'),
  SUM(json_extract(answers, '$.fixed_broadband') = 'fiber'
      OR json_extract(answers, '$.fiber_available') = 'yes'),
  SUM(json_extract(answers, '$.mobile_best_technology') IN ('4g', '5g')),
  SUM(json_extract(answers, '$.mobile_best_technology') = '5g'),
  SUM(json_extract(answers, '$.online_shopping') = 'yes'),
  SUM(json_extract(answers, '$.online_selling') = 'yes'),
  SUM(json_extract(answers, '$.members_adult')), SUM(json_extract(answers, '$.smartphone_users')),
  SUM(json_extract(answers, '$.egov_users')), SUM(json_extract(answers, '$.vneid_users')),
  SUM(json_extract(answers, '$.bank_account_users')), SUM(json_extract(answers, '$.epayment_users')),
  SUM(json_extract(answers, '$.digital_signature_users')),
  SUM(json_extract(answers, '$.digital_services_users'))
FROM submissions
WHERE commune_id = :commune AND survey = 'household' AND review_status != 'rejected'
  AND json_extract(answers, '$.consent') = 'yes'
GROUP BY village_id
"""


def main() -> int:
    from app import create_app
    from surveys import migrate
    from surveys.demo import COMMUNES, _answers
    from surveys.indicators.report import indicator_table, load_households
    from surveys.indicators.rollups import apply, counted, rebuild
    from surveys.models import Commune, Submission
    from tests.factories import make_commune, make_user

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        app = create_app({"TESTING": True, "SECRET_KEY": "bench",
                          "DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
                          "UPLOAD_DIR": str(tmp / "uploads")})
        engine = app.extensions["phusong.engine"]
        migrate.upgrade(engine)
        villages = tuple((f"thon-{i}", f"Thôn {i}", 3000) for i in range(1, 41))
        with app.extensions["phusong.sessionmaker"]() as session:
            commune = make_commune(session, villages=villages)
            surveyor = make_user(session, "bench", commune=commune)
            session.commit()
            village_ids = [v.id for v in commune.villages]
            slugs = {v.id: v for v in commune.villages}
            commune_id, surveyor_id = commune.id, surveyor.id
        rng = random.Random(7)
        now = datetime.now(UTC)
        # Villages on a grid over about 10 × 10 km; their households within a few hundred metres.
        sites = {v: (16.70 + 0.09 * (i // 7) / 6, 106.90 + 0.09 * (i % 7) / 6)
                 for i, v in enumerate(village_ids)}
        results = {}
        for label, upto in (("a tenth", N // 10), ("all", N)):
            started = time.perf_counter()
            rows = []
            for index in range(0 if label == "a tenth" else N // 10, upto):
                village_id = rng.choice(village_ids)
                answers = _answers(rng, COMMUNES[0], slugs[village_id], index, rng.uniform(0.6, 1.1))
                rows.append({"instance_id": str(uuid.UUID(int=index)), "survey": "household",
                             "survey_version": "2026112301", "commune_id": commune_id,
                             "village_id": village_id, "surveyor_id": surveyor_id,
                             "collected_at": now - timedelta(days=rng.uniform(0, 365)),
                             "received_at": now, "lat": sites[village_id][0] + rng.gauss(0, 0.004),
                             "lon": sites[village_id][1] + rng.gauss(0, 0.004), "accuracy_m": 10.0,
                             "location_source": "gps", "answers": answers,
                             "content_hash": "0" * 64, "review_status": "received"})
            with engine.begin() as connection:
                connection.execute(insert(Submission), rows)
            with app.extensions["phusong.sessionmaker"]() as session:
                rebuild(session, commune_id)  # stored directly: fill the rollups as the migration does
                session.commit()
            print(f"indicators: {upto:,} households in 40 villages over a year stored in "
                  f"{time.perf_counter() - started:.1f} s")
            with app.extensions["phusong.sessionmaker"]() as session:
                commune = session.get(Commune, commune_id)
                started = time.perf_counter()
                table = indicator_table(session, commune, today=date.today(), minimum=30,
                                        h3_resolution=8)
                ours = time.perf_counter() - started
                started = time.perf_counter()
                households = load_households(session, commune_id)
                direct = indicator_table(session, commune, today=date.today(), minimum=30,
                                         h3_resolution=8, households=households)
                before = time.perf_counter() - started
                assert [r["value"] for r in direct["indicators"]] == \
                    [r["value"] for r in table["indicators"]], "rollups and households disagree"
                # What storing one more household costs the rollups: one incremental apply().
                one = session.scalars(select(Submission).where(
                    Submission.village_id == village_ids[0]).limit(1)).one()
                started = time.perf_counter()
                apply(session, added=[counted(one)])
                session.flush()
                upkeep = time.perf_counter() - started
                session.rollback()
            with engine.connect() as connection:
                started = time.perf_counter()
                sums = connection.execute(text(CEILING_SQL), {"commune": commune_id}).all()
                ceiling = time.perf_counter() - started
            results[label] = (ours, ceiling)
            print(f"  {label}: all {len(table['indicators'])} indicators from the rollups "
                  f"{ours * 1000:.0f} ms; ceiling, one SQL GROUP BY over the raw rows "
                  f"({len(sums)} villages) {ceiling * 1000:.0f} ms; ratio ours/ceiling "
                  f"{ours / ceiling:.2f}x")
            print(f"    (computed from the households instead: {before * 1000:.0f} ms; keeping the "
                  f"rollups up to date: {upkeep * 1000:.1f} ms per submission)")
    (small, small_ceiling), (full, full_ceiling) = results["a tenth"], results["all"]
    print(f"  growth from a tenth to all: rollups {full / small:.2f}x, GROUP BY "
          f"{full_ceiling / small_ceiling:.2f}x")
    fiber = next(r for r in table["indicators"] if r["code"] == "hh_fiber")
    print(f"  hh_fiber {fiber['value']} % [{fiber['ci_low']}, {fiber['ci_high']}], n={fiber['n']}")
    json.dumps(table)  # the API serialises it: make sure it can
    return 0 if full < full_ceiling else 1
