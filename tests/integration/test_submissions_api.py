"""POST/GET /api/v1/submissions: the contract outside tools and the offline outbox rely on."""

from __future__ import annotations

import json
import math
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from surveys.models import Submission
from tests.factories import (
    auth,
    household_answers,
    make_commune,
    make_partner,
    make_token,
    make_user,
    submission_payload,
)


@pytest.fixture
def commune(db):
    commune = make_commune(db)
    db.commit()
    return commune


@pytest.fixture
def surveyor_token(db, commune):
    token = make_token(db, make_user(db, "surveyor1", commune=commune))
    db.commit()
    return token


def count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Submission))


def test_created_then_replay_then_conflict(client, db, surveyor_token):
    payload = submission_payload()
    first = client.post("/api/v1/submissions", json=payload, headers=auth(surveyor_token))
    assert first.status_code == 201, first.json
    body = first.json
    assert body["instance_id"] == payload["instance_id"]
    assert body["village"] == "thon-1" and body["commune"] == "cam-lo"
    assert body["answers"]["mobile_operators"] == ["viettel", "vinaphone"]
    assert body["location"]["lat"] == pytest.approx(16.7512)
    assert first.headers["Location"].endswith(f"/api/v1/submissions/{body['id']}")

    replay = client.post("/api/v1/submissions", json=payload, headers=auth(surveyor_token))
    assert replay.status_code == 200
    assert replay.json["id"] == body["id"]

    changed = dict(payload, answers=household_answers(members_total=5))
    conflict = client.post("/api/v1/submissions", json=changed, headers=auth(surveyor_token))
    assert conflict.status_code == 409
    assert conflict.json["code"] == "409.1"
    assert "instance_id" in conflict.json["errors"]
    assert count(db) == 1


def test_select_multiple_order_does_not_make_a_conflict(client, db, surveyor_token):
    payload = submission_payload()
    assert client.post("/api/v1/submissions", json=payload,
                       headers=auth(surveyor_token)).status_code == 201
    reordered = dict(payload, answers=household_answers(mobile_operators=["vinaphone", "viettel"]))
    assert client.post("/api/v1/submissions", json=reordered,
                       headers=auth(surveyor_token)).status_code == 200


def test_eight_concurrent_sends_store_one_record(app, db, surveyor_token, live_server):
    import json
    import urllib.request

    payload = json.dumps(submission_payload()).encode()
    barrier = threading.Barrier(8)

    def send(_: int) -> tuple[int, int]:
        request = urllib.request.Request(
            f"{live_server}/api/v1/submissions", data=payload, method="POST",
            headers={"Content-Type": "application/json", **auth(surveyor_token)})
        barrier.wait()
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())["id"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(send, range(8)))
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 1 and statuses.count(200) == 7, statuses
    assert len({record_id for _, record_id in results}) == 1
    assert count(db) == 1


def test_without_location_the_village_stands_in(client, db, surveyor_token):
    response = client.post("/api/v1/submissions", json=submission_payload(location=None),
                           headers=auth(surveyor_token))
    assert response.status_code == 201
    assert response.json["location"] is None
    stored = db.get(Submission, response.json["id"])
    assert stored.location_source == "manual"


def test_consent_no_ends_the_survey(client, surveyor_token):
    ok = client.post("/api/v1/submissions", json=submission_payload(answers={"consent": "no"}),
                     headers=auth(surveyor_token))
    assert ok.status_code == 201
    assert ok.json["answers"] == {"consent": "no"}
    extra = client.post("/api/v1/submissions",
                        json=submission_payload(answers={"consent": "no", "members_total": 3}),
                        headers=auth(surveyor_token))
    assert extra.status_code == 422
    assert set(extra.json["errors"]) == {"members_total"}


@pytest.mark.parametrize(("change", "field"), [
    ({"location": {"lat": 91, "lon": 106.9}}, "location.lat"),
    ({"location": {"lat": 16.7, "lon": -180.5}}, "location.lon"),
    ({"location": {"lat": "NaN", "lon": 106.9}}, "location.lat"),
    ({"location": {"lat": 16.7, "lon": 106.9, "accuracy_m": -3}}, "location.accuracy_m"),
    ({"instance_id": "not-a-uuid"}, "instance_id"),
    ({"survey": "census"}, "survey"),
    ({"village": "thon-99"}, "village"),
    ({"collected_at": "yesterday"}, "collected_at"),
    ({"collected_at": "2026-11-20T10:00:00"}, "collected_at"),
    ({"collected_at": (datetime.now(UTC) + timedelta(days=2)).isoformat()}, "collected_at"),
    ({"surprise": 1}, "surprise"),
    ({"answers": household_answers(members_total=None)}, "members_total"),
    ({"answers": household_answers(members_adult=5)}, "members_adult"),
    ({"answers": household_answers(egov_users=4)}, "egov_users"),
    ({"answers": household_answers(mobile_signal_bars=6)}, "mobile_signal_bars"),
    ({"answers": household_answers(mobile_operators="viettel")}, "mobile_operators"),
    ({"answers": household_answers(mobile_operators=["viettel", "none"])}, "mobile_operators"),
    ({"answers": household_answers(mobile_best_technology="6g")}, "mobile_best_technology"),
    ({"answers": household_answers(members_total=2.5)}, "members_total"),
    ({"answers": household_answers(members_total=True)}, "members_total"),
    ({"answers": household_answers(fixed_broadband="none")}, "fixed_provider"),
    ({"answers": household_answers(fiber_available="yes")}, "fiber_available"),
    ({"answers": household_answers(online_shopping="no")}, "online_platforms"),
    ({"answers": household_answers(online_platforms=None)}, "online_platforms"),
    ({"answers": household_answers(favourite_colour="blue")}, "favourite_colour"),
    ({"answers": household_answers(speedtest_download_mbps=math.inf)}, "speedtest_download_mbps"),
    ({"answers": []}, "answers"),
])
def test_invalid_input_names_the_field(client, db, surveyor_token, change, field):
    payload = submission_payload()
    payload.update(change)
    response = client.post("/api/v1/submissions", json=payload, headers=auth(surveyor_token))
    assert response.status_code == 422, response.json
    assert response.json["code"] == "422.1"
    assert field in response.json["errors"], response.json
    assert count(db) == 0


def test_nan_in_raw_json_is_a_422_not_a_500(client, surveyor_token):
    body = repr(submission_payload())  # not JSON at all
    response = client.post("/api/v1/submissions", data=body, content_type="application/json",
                           headers=auth(surveyor_token))
    assert response.status_code == 400
    # Python's json module writes NaN; a client built on it can send this.
    raw = json.dumps(submission_payload(location={"lat": math.nan, "lon": 106.9}))
    assert "NaN" in raw
    response = client.post("/api/v1/submissions", data=raw, content_type="application/json",
                           headers=auth(surveyor_token))
    assert response.status_code == 422
    assert "location.lat" in response.json["errors"]


def test_messages_follow_accept_language(client, surveyor_token):
    payload = submission_payload(answers=household_answers(members_total=None))
    vi = client.post("/api/v1/submissions", json=payload, headers=auth(surveyor_token))
    assert vi.json["errors"]["members_total"] == "Câu hỏi này bắt buộc."
    en = client.post("/api/v1/submissions", json=payload,
                     headers={**auth(surveyor_token), "Accept-Language": "en"})
    assert en.json["errors"]["members_total"] == "This question is required."


def test_authentication_and_roles(client, db, commune):
    partner_user = make_user(db, "viettel1", role="partner", partner=make_partner(db))
    partner_token = make_token(db, partner_user)
    db.commit()
    payload = submission_payload()
    assert client.post("/api/v1/submissions", json=payload).status_code == 401
    bad = client.post("/api/v1/submissions", json=payload, headers=auth("ps_nope"))
    assert bad.status_code == 401
    assert bad.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.post("/api/v1/submissions", json=payload,
                       headers=auth(partner_token)).status_code == 403
    assert client.get("/api/v1/submissions", headers=auth(partner_token)).status_code == 403


def test_revoked_token_is_refused(client, db, runner, surveyor_token):
    assert client.get("/api/v1/submissions", headers=auth(surveyor_token)).status_code == 200
    result = runner.invoke(args=["revoke-token", surveyor_token])
    assert result.exit_code == 0, result.output
    assert client.get("/api/v1/submissions", headers=auth(surveyor_token)).status_code == 401


def test_surveyor_cannot_submit_to_another_commune(client, db, surveyor_token):
    make_commune(db, "kon-chieng", name="Xã Kon Chiêng", province="Gia Lai")
    db.commit()
    response = client.post("/api/v1/submissions", json=submission_payload(commune="kon-chieng"),
                           headers=auth(surveyor_token))
    assert response.status_code == 403


def test_listing_scopes_and_order(client, db, commune):
    other = make_commune(db, "nghia-hanh", name="Xã Nghĩa Hành", province="Quảng Ngãi")
    a = make_token(db, make_user(db, "surveyor-a", commune=commune))
    b = make_token(db, make_user(db, "surveyor-b", commune=commune))
    c = make_token(db, make_user(db, "surveyor-c", commune=other))
    staff = make_token(db, make_user(db, "staff-cl", role="staff", commune=commune))
    admin = make_token(db, make_user(db, "root", role="admin"))
    db.commit()
    ids = []
    for token in (a, a, b):
        ids.append(client.post("/api/v1/submissions", json=submission_payload(),
                               headers=auth(token)).json["id"])
    client.post("/api/v1/submissions", json=submission_payload(), headers=auth(c))

    own = client.get("/api/v1/submissions", headers=auth(a)).json
    assert [i["id"] for i in own["items"]] == [ids[1], ids[0]]
    commune_view = client.get("/api/v1/submissions?per_page=2", headers=auth(staff)).json
    assert commune_view["total"] == 3
    assert [i["id"] for i in commune_view["items"]] == [ids[2], ids[1]]
    page2 = client.get(commune_view["next"], headers=auth(staff)).json
    assert [i["id"] for i in page2["items"]] == [ids[0]] and page2["next"] is None
    assert client.get("/api/v1/submissions", headers=auth(admin)).json["total"] == 4
    assert client.get(f"/api/v1/submissions/{ids[2]}", headers=auth(a)).status_code == 404
    assert client.get("/api/v1/submissions?page=0", headers=auth(a)).status_code == 422
    assert client.get("/api/v1/submissions?per_page=9999", headers=auth(a)).status_code == 422


def test_session_calls_need_the_csrf_header(client, db, commune):
    from tests.conftest import login

    make_user(db, "surveyor1", commune=commune, password="correct-horse-battery")
    db.commit()
    login(client, "surveyor1", "correct-horse-battery")
    payload = submission_payload()
    assert client.post("/api/v1/submissions", json=payload).status_code == 400
    token = client.get("/api/v1/session").json["csrf_token"]
    response = client.post("/api/v1/submissions", json=payload, headers={"X-CSRFToken": token})
    assert response.status_code == 201


def test_listing_does_not_load_commune_boundaries(client, db, commune, surveyor_token):
    from sqlalchemy import event

    commune.boundary = {"type": "Polygon", "coordinates": [[[106.9, 16.7], [107.0, 16.7],
                                                           [107.0, 16.8], [106.9, 16.7]]]}
    db.commit()
    client.post("/api/v1/submissions", json=submission_payload(), headers=auth(surveyor_token))
    statements: list[str] = []
    engine = client.application.extensions["phusong.engine"]

    def remember(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", remember)
    try:
        assert client.get("/api/v1/submissions", headers=auth(surveyor_token)).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert statements and not any("boundary" in s for s in statements)


def test_households_saved_on_an_older_form_version_still_arrive(client, db):
    """A phone that saved a household offline before the form changed sends the old version: the
    answers are checked against the current form and stored; a version newer than the server's,
    or not a version at all, is refused by name."""
    from surveys.definitions import get_definition
    from tests.factories import auth, make_commune, make_token, make_user, submission_payload

    token = make_token(db, make_user(db, "sv-old", commune=make_commune(db)))
    db.commit()
    current = get_definition("household").version
    older = str(int(current) - 1)
    response = client.post("/api/v1/submissions", json=submission_payload(survey_version=older),
                           headers=auth(token))
    assert response.status_code == 201, response.json
    assert response.json["survey_version"] == current
    for bad in (str(int(current) + 1), "v2"):
        refused = client.post("/api/v1/submissions", json=submission_payload(survey_version=bad),
                              headers=auth(token))
        assert refused.status_code == 422
        assert set(refused.json["errors"]) == {"survey_version"}
