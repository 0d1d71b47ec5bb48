"""Storing a household: exactly once, at a cost that does not grow with what is stored, and safe
under a team sending into one village at once.

Runs on the suite's database (SQLite, or PostgreSQL with TEST_DATABASE_URL, as .ci/run does): the
incremental rollups must equal a rebuild after any sequence of events, the statements one household
costs must not depend on how many are stored, and eight concurrent senders into one village must all
get a 2xx.
"""

from __future__ import annotations

import io
import json
import random
import threading
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, insert, select, text

from surveys.db import run_in_transaction
from surveys.indicators.rollups import rebuild
from surveys.models import (
    Commune,
    HouseholdCell,
    HouseholdCellTotal,
    IndicatorMoments,
    IndicatorMomentTotal,
    Submission,
    User,
)
from surveys.places import geometries
from tests.factories import (
    auth,
    household_answers,
    make_commune,
    make_token,
    make_user,
    submission_payload,
)
from tests.integration.test_api_misc import jpeg_with_gps

# What one new household costs in statements through POST /api/v1/submissions, however many are
# stored: the token's user; the village with its commune's fingerprint; the neighbours by indexed
# look-up; the survey rounds; the INSERT .. RETURNING; the commune's webhooks; the five rollup
# upserts (moments, cells, and since issue 16 the map's households per cell of every resolution
# 6–10, and the moments and cells over all months, which an area's indicators read instead of
# summing every month), and the commune's new rollup version (one row per commune, so a process
# may keep a province's summaries while they are unchanged: surveys/indicators/summary_cache.py).
# ODK Central issues about 24 for a submission.
STATEMENTS_PER_SUBMISSION = 12


@pytest.fixture
def team(db):
    commune = make_commune(db, villages=(("thon-1", "Thôn 1", 60), ("thon-2", "Thôn 2", None),
                                         ("thon-3", "Thôn 3", 40)))
    tokens = {f"sv{i}": make_token(db, make_user(db, f"sv{i}", commune=commune)) for i in range(8)}
    tokens["staff"] = make_token(db, make_user(db, "st", role="staff", commune=commune))
    db.commit()
    return commune, tokens


def rollup_rows(db):
    db.expire_all()
    return (sorted((r.village_id, r.period, r.code, r.commune_id, r.count, r.sum_y, r.sum_x,
                    r.sum_yy, r.sum_xx, r.sum_xy, r.positive)
                   for r in db.scalars(select(IndicatorMoments))),
            sorted((r.village_id, r.period, r.h3_cell, r.commune_id, r.households, r.with_4g,
                    r.with_5g, r.with_3g, r.with_2g) for r in db.scalars(select(HouseholdCell))),
            sorted((r.village_id, r.code, r.commune_id, r.count, r.sum_y, r.sum_x, r.sum_yy,
                    r.sum_xx, r.sum_xy, r.positive)
                   for r in db.scalars(select(IndicatorMomentTotal))),
            sorted((r.village_id, r.h3_cell, r.commune_id, r.households, r.with_4g, r.with_5g,
                    r.with_3g, r.with_2g) for r in db.scalars(select(HouseholdCellTotal))))


def over_months(rows):
    """Monthly rows (village, period, key, commune, values…) summed to the all-time rows' shape."""
    totals: dict = {}  # type: ignore[type-arg]
    for village, _period, key, commune, *values in rows:
        total = totals.setdefault((village, key, commune), [0] * len(values))
        for i, value in enumerate(values):
            total[i] += value
    return sorted((*key, *values) for key, values in totals.items())


def assert_rollups_equal_a_rebuild(db) -> None:
    incremental = rollup_rows(db)
    # The all-time rows are the monthly rows summed, kept so by the same writes.
    assert incremental[2] == over_months(incremental[0])
    assert incremental[3] == over_months(incremental[1])
    rebuild(db)
    db.commit()
    rebuilt = rollup_rows(db)
    assert incremental == rebuilt
    assert all(row[4] > 0 for row in rebuilt[0]) and all(row[4] > 0 for row in rebuilt[1])
    assert all(row[3] > 0 for row in rebuilt[2]) and all(row[3] > 0 for row in rebuilt[3])


def random_answers(rng: random.Random) -> dict:  # type: ignore[type-arg]
    if rng.random() < 0.1:
        return {"consent": "no"}
    adults = rng.randint(1, 6)
    smart = rng.randint(0, adults)
    shops = rng.choice(("yes", "no"))
    best = rng.choice(("none", "2g", "3g", "4g", "4g", "5g"))
    return household_answers(
        household_code=rng.choice((None, f"T-{rng.randint(1, 400)}")),
        members_adult=adults, members_total=adults + rng.randint(0, 3), smartphone_users=smart,
        egov_users=rng.randint(0, smart), vneid_users=rng.randint(0, adults),
        bank_account_users=rng.randint(0, adults), epayment_users=rng.randint(0, adults),
        digital_signature_users=rng.randint(0, adults), digital_services_users=rng.randint(0, adults),
        mobile_best_technology=best, mobile_signal_bars=0 if best == "none" else rng.randint(1, 5),
        online_shopping=shops, online_selling=rng.choice(("yes", "no")),
        **({} if shops == "yes" else {"online_platforms": None}))


def random_payload(rng: random.Random, **extra):
    location = None if rng.random() < 0.15 else {
        "lat": 16.75 + rng.gauss(0, 0.01), "lon": 106.95 + rng.gauss(0, 0.01), "accuracy_m": 10.0}
    return submission_payload(
        village=rng.choice(("thon-1", "thon-2", "thon-3")), answers=random_answers(rng),
        collected_at=datetime(2026, rng.randint(8, 11), rng.randint(1, 28), rng.randint(0, 23),
                              tzinfo=UTC),
        location=location, **extra)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_rollups_equal_a_rebuild_after_random_events(client, db, team, seed):
    """Submissions, replays, reviews (reject, approve, has issues, back), corrections (also of a
    rejected one, and in another month or village), photos that place an unlocated household."""
    _commune, tokens = team
    rng = random.Random(seed)
    surveyor, staff = auth(tokens["sv0"]), auth(tokens["staff"])
    stored: list[dict] = []  # type: ignore[type-arg]
    for _step in range(90):
        action = rng.random()
        if action < 0.45 or len(stored) < 5:
            payload = random_payload(rng)
            response = client.post("/api/v1/submissions", json=payload, headers=surveyor)
            assert response.status_code == 201, response.json
            stored.append(response.json)
            if rng.random() < 0.2:  # the outbox sends it again
                again = client.post("/api/v1/submissions", json=payload, headers=surveyor)
                assert again.status_code == 200
        elif action < 0.75:
            target = rng.choice(stored)
            status = rng.choice(("approved", "has_issues", "rejected"))
            response = client.patch(f"/api/v1/submissions/{target['id']}", headers=staff,
                                    json={"review_status": status, "reason": "kiểm tra"})
            assert response.status_code in (200, 422), response.json
        elif action < 0.92:
            target = rng.choice(stored)
            correction = random_payload(rng, supersedes=target["instance_id"])
            response = client.post("/api/v1/submissions", json=correction, headers=surveyor)
            assert response.status_code in (201, 422), response.json
            if response.status_code == 201:
                stored.append(response.json)
        else:
            target = rng.choice(stored)
            response = client.post(
                f"/api/v1/submissions/{target['id']}/attachments", headers=surveyor,
                content_type="multipart/form-data",
                data={"question": "photo",
                      "file": (io.BytesIO(jpeg_with_gps(lat=16.75 + rng.random() / 50)), "a.jpg")})
            assert response.status_code in (200, 201, 409), response.json
    counted = db.scalar(select(IndicatorMoments.count).where(IndicatorMoments.code == "hh_fiber")
                        .limit(1))
    assert counted is not None
    assert_rollups_equal_a_rebuild(db)


def test_a_rejection_that_empties_a_group_leaves_no_row(client, db, team):
    _commune, tokens = team
    created = client.post("/api/v1/submissions", json=submission_payload(),
                          headers=auth(tokens["sv0"])).json
    assert rollup_rows(db)[0] and rollup_rows(db)[1]
    assert client.patch(f"/api/v1/submissions/{created['id']}", headers=auth(tokens["staff"]),
                        json={"review_status": "rejected", "reason": "trùng"}).status_code == 200
    assert rollup_rows(db) == ([], [], [], [])
    assert client.patch(f"/api/v1/submissions/{created['id']}", headers=auth(tokens["staff"]),
                        json={"review_status": "approved"}).status_code == 200
    assert len(rollup_rows(db)[1]) == 1
    assert_rollups_equal_a_rebuild(db)


def statements_of(app, send):
    found: list[str] = []
    engine = app.extensions["phusong.engine"]

    def remember(_conn, _cursor, statement, *_args):
        found.append(statement)

    event.listen(engine, "before_cursor_execute", remember)
    try:
        send()
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    return found


def test_one_household_costs_the_same_statements_however_many_are_stored(app, client, db, team):
    commune, tokens = team
    commune.boundary = {"type": "Polygon", "coordinates": [[[106.9, 16.7], [107.0, 16.7],
                                                           [107.0, 16.8], [106.9, 16.8],
                                                           [106.9, 16.7]]]}
    db.commit()
    headers = auth(tokens["sv0"])

    def send() -> None:
        response = client.post("/api/v1/submissions", json=submission_payload(
            answers=household_answers(household_code=f"CL-{uuid.uuid4().hex[:6]}")),
            headers=headers)
        assert response.status_code == 201, response.json

    send()  # the first after the boundary changed parses it once
    first = statements_of(app, send)
    # A village that already holds many households: stored in bulk, as an import or years of
    # surveys would have left it (the same location as every new one, the worst case for the
    # duplicate look-up's box).
    village_id = commune.villages[0].id
    template = db.scalar(select(Submission).where(Submission.village_id == village_id))
    columns = {c.name: getattr(template, c.key) for c in Submission.__table__.columns
               if c.name not in ("id", "instance_id")}
    db.execute(insert(Submission), [
        {**columns, "instance_id": str(uuid.uuid4()),
         "answers": household_answers(household_code=f"old-{i}")} for i in range(2000)])
    db.commit()
    later = statements_of(app, send)
    queries = [s for s in later if not s.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK",
                                                                      "SAVEPOINT", "RELEASE"))]
    assert len(queries) <= STATEMENTS_PER_SUBMISSION, "\n\n".join(queries)
    assert len(first) == len(later), (first, later)
    # The commune's boundary is parsed once per process, not read again for each household.
    assert not any("communes.boundary," in s or "communes.boundary \n" in s for s in later)


def test_an_edited_boundary_is_used_at_once(client, db, team):
    commune, tokens = team
    square = [[106.9, 16.7], [107.0, 16.7], [107.0, 16.8], [106.9, 16.8], [106.9, 16.7]]
    commune.boundary = {"type": "Polygon", "coordinates": [square]}
    db.commit()
    headers = auth(tokens["sv0"])
    inside = client.post("/api/v1/submissions", json=submission_payload(), headers=headers).json
    assert "outside_commune" not in inside["flags"]
    db.get(Commune, commune.id).boundary = {"type": "Polygon", "coordinates": [[
        [lon + 1, lat] for lon, lat in square]]}
    db.commit()
    moved = client.post("/api/v1/submissions", json=submission_payload(), headers=headers).json
    assert "outside_commune" in moved["flags"]


def test_duplicates_are_found_through_the_index(client, db, team):
    _commune, tokens = team
    headers = auth(tokens["sv0"])
    first = client.post("/api/v1/submissions", json=submission_payload(
        answers=household_answers(household_code="CL-T1-099"), location=None), headers=headers).json
    same = client.post("/api/v1/submissions", json=submission_payload(
        answers=household_answers(household_code=" cl t1 099 "), location=None),
        headers=headers).json
    assert same["flags"] == ["duplicate_household"]
    assert same["flag_details"]["duplicate_household"]["submission_ids"] == [first["id"]]
    long_code = "X" * 500
    a = client.post("/api/v1/submissions", json=submission_payload(
        answers=household_answers(household_code=long_code), location=None), headers=headers).json
    b = client.post("/api/v1/submissions", json=submission_payload(
        answers=household_answers(household_code=long_code.lower() + "-"), location=None),
        headers=headers).json
    c = client.post("/api/v1/submissions", json=submission_payload(
        answers=household_answers(household_code=long_code + "Y"), location=None),
        headers=headers).json
    assert "duplicate_household" not in a["flags"]
    assert b["flag_details"]["duplicate_household"]["submission_ids"] == [a["id"]]
    assert "duplicate_household" not in c["flags"]


def test_a_stuck_gps_does_not_make_each_household_read_all_the_others(client, db, team):
    """Forty households sent from one spot with the same answers (a phone whose GPS is stuck): the
    forty-first is flagged with at most MAX_NEIGHBOURS examples of each kind, not all forty."""
    from surveys.collection.quality import MAX_NEIGHBOURS

    _commune, tokens = team
    headers = auth(tokens["sv0"])
    for _ in range(40):
        assert client.post("/api/v1/submissions", json=submission_payload(),
                           headers=headers).status_code == 201
    last = client.post("/api/v1/submissions", json=submission_payload(), headers=headers).json
    details = last["flag_details"]["duplicate_household"]
    assert "nearby" not in details  # the same household code: named as such, not as nearby
    assert MAX_NEIGHBOURS <= len(details["submission_ids"]) <= 2 * MAX_NEIGHBOURS  # two branches
    moved = client.post("/api/v1/submissions", json=submission_payload(
        answers=household_answers(household_code="other")), headers=headers).json
    assert len(moved["flag_details"]["duplicate_household"]["nearby"]) == MAX_NEIGHBOURS


def test_eight_senders_into_one_village_all_succeed(app, db, team, live_server):
    """A team in one village at once: every answer a 2xx (no deadlock, no key violation), every
    household stored once, the rollups equal to a rebuild. On PostgreSQL this is real row locking
    between eight connections; on SQLite, its single writer."""
    _commune, tokens = team
    rng = random.Random(8)
    per_sender = 12
    work = {name: [json.dumps(random_payload(rng) | {"village": "thon-1"}).encode()
                   for _ in range(per_sender)] for name in tokens if name.startswith("sv")}
    start = threading.Barrier(len(work))

    def sender(name: str) -> list[int]:
        start.wait()
        statuses = []
        for body in work[name] + work[name][:2]:  # and two resends, as an outbox does
            request = urllib.request.Request(
                f"{live_server}/api/v1/submissions", data=body, method="POST",
                headers={"Content-Type": "application/json", **auth(tokens[name])})
            with urllib.request.urlopen(request, timeout=60) as response:
                statuses.append(response.status)
        return statuses

    with ThreadPoolExecutor(len(work)) as pool:
        results = dict(zip(work, pool.map(sender, work), strict=True))
    for statuses in results.values():
        assert statuses == [201] * per_sender + [200, 200]
    assert db.scalar(select(Submission.id).order_by(Submission.id.desc()).limit(1)) is not None
    assert len(db.scalars(select(Submission.id)).all()) == len(work) * per_sender
    assert_rollups_equal_a_rebuild(db)


def test_a_transaction_aborted_by_the_database_is_run_again(app, db, tmp_path):
    """A deadlock or serialization failure (PostgreSQL), or SQLite still locked after its busy
    timeout: real errors from the database, rolled back and run again until the work succeeds."""
    from surveys.models import Partner

    attempts: list[int] = []
    engine = app.extensions["phusong.engine"]
    if engine.dialect.name == "postgresql":
        session = app.extensions["phusong.sessionmaker"]()

        def work() -> int:
            attempts.append(1)
            session.add(Partner(slug=f"p{len(attempts)}", name="P"))
            session.flush()
            if len(attempts) == 1:
                session.execute(text("DO $$ BEGIN RAISE EXCEPTION 'deadlock' "
                                     "USING ERRCODE = '40P01'; END $$"))
            if len(attempts) == 2:
                session.execute(text("DO $$ BEGIN RAISE EXCEPTION 'serialization' "
                                     "USING ERRCODE = '40001'; END $$"))
            return len(attempts)
    else:
        # A second connection holds SQLite's write lock; this session's engine waits 50 ms for it.
        blocker = engine.raw_connection()
        blocker.execute("BEGIN IMMEDIATE")
        from sqlalchemy import create_engine
        from sqlalchemy.orm import Session

        quick = create_engine(engine.url, connect_args={"timeout": 0.05})

        session = Session(quick)

        def work() -> int:
            attempts.append(1)
            if len(attempts) == 3:
                blocker.commit()  # the other writer finishes
            session.add(Partner(slug=f"p{len(attempts)}", name="P"))
            session.flush()
            return len(attempts)
    try:
        assert run_in_transaction(session, work) == 3
    finally:
        session.close()
        if engine.dialect.name != "postgresql":
            blocker.close()
            quick.dispose()
    assert [p.slug for p in db.scalars(select(Partner))] == ["p3"]


def test_other_database_errors_are_not_retried(app, db):
    from sqlalchemy.exc import IntegrityError

    from surveys.models import Partner

    db.add(Partner(slug="viettel", name="Viettel"))
    db.commit()
    session = app.extensions["phusong.sessionmaker"]()
    attempts: list[int] = []

    def work() -> None:
        attempts.append(1)
        session.add(Partner(slug="viettel", name="again"))
        session.flush()

    with pytest.raises(IntegrityError):
        run_in_transaction(session, work)
    session.close()
    assert attempts == [1]


def test_geometry_cache_is_keyed_by_content(db) -> None:
    commune = make_commune(db, "cache-test")
    commune.boundary = {"type": "Polygon", "coordinates": [[[1, 1], [2, 1], [2, 2], [1, 1]]]}
    db.commit()
    first = geometries.area(db, Commune, commune.id, commune.boundary_hash)
    assert first is geometries.area(db, Commune, commune.id, commune.boundary_hash)
    commune.boundary = {"type": "Polygon", "coordinates": [[[1, 1], [3, 1], [3, 3], [1, 1]]]}
    db.commit()
    second = geometries.area(db, Commune, commune.id, commune.boundary_hash)
    assert second is not first and second.geometry.area == 2.0
    commune.boundary = None
    assert commune.boundary_hash is None


def test_the_neighbour_look_up_walks_its_two_indexes(db, team) -> None:
    """Whatever the village holds, the duplicate look-up reads through (village, household_key)
    and (village, location_square), never the whole village (docs/quality.md): checked on a
    village of 3,000 households with the database's statistics, as a planner would see it."""
    from surveys.collection.quality import _NEIGHBOURS
    from surveys.places.lookup_keys import grid_square

    commune, _tokens = team
    village = commune.villages[0]
    surveyor = db.scalar(select(User).where(User.username == "sv0"))
    rng = random.Random(3)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    rows = []
    for i in range(3000):
        lat, lon = 16.75 + rng.uniform(-0.02, 0.02), 106.95 + rng.uniform(-0.02, 0.02)
        rows.append({"instance_id": str(uuid.uuid4()), "survey": "household", "survey_version": "1",
                     "commune_id": commune.id, "village_id": village.id, "surveyor_id": surveyor.id,
                     "collected_at": now, "received_at": now, "lat": lat, "lon": lon,
                     "location_source": "gps", "content_hash": "h", "review_status": "received",
                     "answers": {"consent": "yes", "household_code": f"T-{i}"}, "flags": [],
                     "flag_details": {}})
    db.execute(insert(Submission), rows)
    db.commit()
    db.execute(text("ANALYZE"))
    db.commit()
    statement = _NEIGHBOURS.params(village=village.id, survey="household", exclude=-1, key="t17",
                                   squares=[grid_square(16.75, 106.95)], south=16.7499,
                                   north=16.7501, west=106.9499, east=106.9501)
    engine = db.get_bind()
    sql = str(statement.compile(engine, compile_kwargs={"literal_binds": True}))
    explain = "EXPLAIN " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    plan = "\n".join(str(row[-1]) for row in db.execute(text(explain + sql)))
    db.rollback()
    assert "ix_submissions_village_household_key" in plan, plan
    assert "ix_submissions_village_location_square" in plan, plan
