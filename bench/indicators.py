"""All indicators of a commune with 100,000 households, against a plain SQL aggregate of the same rows.

Ours: load the accepted, consenting households and compute all 17 indicators with their intervals
(stratified, cluster variance, Wilson, H3 cells). Ceiling: one SQL GROUP BY per village summing the same
numerators and denominators in the database (SQLite's json_extract) — the bare counting, no statistics.
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

from sqlalchemy import insert, text

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
    from surveys.indicator_report import indicator_table
    from surveys.models import Submission
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
        started = time.perf_counter()
        rows = []
        for index in range(N):
            village_id = rng.choice(village_ids)
            answers = _answers(rng, COMMUNES[0], slugs[village_id], index, rng.uniform(0.6, 1.1))
            rows.append({"instance_id": str(uuid.UUID(int=index)), "survey": "household",
                         "survey_version": "2026112301", "commune_id": commune_id,
                         "village_id": village_id, "surveyor_id": surveyor_id,
                         "collected_at": now - timedelta(days=rng.uniform(0, 60)),
                         "received_at": now, "lat": 16.75 + rng.gauss(0, 0.02),
                         "lon": 106.95 + rng.gauss(0, 0.02), "accuracy_m": 10.0,
                         "location_source": "gps", "answers": answers,
                         "content_hash": "0" * 64, "review_status": "received"})
        with engine.begin() as connection:
            connection.execute(insert(Submission), rows)
        print(f"indicators: {N:,} households in 40 villages generated and stored in "
              f"{time.perf_counter() - started:.1f} s")

        with app.extensions["phusong.sessionmaker"]() as session:
            from surveys.models import Commune

            commune = session.get(Commune, commune_id)
            started = time.perf_counter()
            table = indicator_table(session, commune, today=date.today(), minimum=30,
                                    h3_resolution=8)
            ours = time.perf_counter() - started
        with engine.connect() as connection:
            started = time.perf_counter()
            sums = connection.execute(text(CEILING_SQL), {"commune": commune_id}).all()
            ceiling = time.perf_counter() - started
    fiber = next(r for r in table["indicators"] if r["code"] == "hh_fiber")
    print(f"  all {len(table['indicators'])} indicators with intervals: {ours:.2f} s "
          f"(hh_fiber {fiber['value']} % [{fiber['ci_low']}, {fiber['ci_high']}], n={fiber['n']})")
    print(f"  ceiling, one SQL GROUP BY of the same sums ({len(sums)} villages): {ceiling:.2f} s")
    print(f"  ratio ours/ceiling: {ours / ceiling:.2f}x")
    json.dumps(table)  # the API serialises it: make sure it can
    return 0
