"""Quality flags computed on arrival (surveys/collection/quality.py): each flag on a realistic submission sent
through the API (and the form page), and the near-miss that must stay clean."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from surveys.models import Submission, SurveyRound, Village
from tests.conftest import csrf_from, login
from tests.factories import (
    PASSWORD,
    auth,
    household_answers,
    make_commune,
    make_token,
    make_user,
    submission_payload,
)

# Cam Lộ as a small box around its two villages (Thôn 1 at 16.75, 106.95; Thôn 2 at 16.76, 106.96).
BOUNDARY = {"type": "Polygon", "coordinates": [[
    [106.94, 16.74], [106.98, 16.74], [106.98, 16.78], [106.94, 16.78], [106.94, 16.74]]]}


@pytest.fixture
def surveyor(db):
    commune = make_commune(db)
    commune.boundary = BOUNDARY
    user = make_user(db, "surveyor1", commune=commune)
    token = make_token(db, user)
    db.commit()
    return token


_numbers = itertools.count(100)


def answers(**overrides):
    """A household with a code of its own (unless given), so it is nobody's duplicate."""
    overrides.setdefault("household_code", f"CL-T1-{next(_numbers)}")
    return household_answers(**overrides)


def send(client, token, **kwargs):
    """Store a household; by default a new house 45 m north of the previous one."""
    kwargs.setdefault("answers", answers())
    kwargs.setdefault("location", at(16.7512 + 0.0004 * (next(_numbers) % 10), 106.9531))
    response = client.post("/api/v1/submissions", json=submission_payload(**kwargs),
                           headers=auth(token))
    assert response.status_code == 201, response.json
    return response.json


def at(lat: float, lon: float, accuracy: float | None = 12.0) -> dict[str, float | None]:
    return {"lat": lat, "lon": lon, "accuracy_m": accuracy}


def test_a_clean_household_has_no_flag(client, surveyor):
    body = send(client, surveyor)
    assert body["flags"] == [] and body["flag_details"] == {}
    assert client.get(f"/api/v1/submissions/{body['id']}", headers=auth(surveyor)).json["flags"] == []


def test_gps_mock_on_an_accuracy_of_exactly_zero(client, surveyor):
    body = send(client, surveyor, location=at(16.7512, 106.9531, 0))
    assert body["flags"] == ["gps_mock"]
    assert body["flag_details"]["gps_mock"] == {"accuracy_m": 0}
    assert send(client, surveyor, location=at(16.7530, 106.9531, 3))["flags"] == []  # next door


def test_gps_inaccurate_beyond_the_configured_limit(client, surveyor, app):
    body = send(client, surveyor, location=at(16.7512, 106.9531, 250))
    assert body["flags"] == ["gps_inaccurate"]
    assert body["flag_details"]["gps_inaccurate"] == {"accuracy_m": 250, "limit_m": 100.0}
    assert send(client, surveyor, location=at(16.7530, 106.9531, 95))["flags"] == []
    app.config["QUALITY_GPS_MAX_ACCURACY_M"] = 300.0  # the setting, not a constant, decides
    assert send(client, surveyor, location=at(16.7550, 106.9531, 250))["flags"] == []


def test_outside_the_commune_boundary(client, surveyor, db):
    # 100 m inside the southern edge (16.74), then 200 m outside it: 1.3 km from Thôn 1's centre,
    # so only outside_commune.
    assert send(client, surveyor, location=at(16.7410, 106.9500))["flags"] == []
    body = send(client, surveyor, location=at(16.7380, 106.9500))
    assert body["flags"] == ["outside_commune"]
    assert body["flag_details"]["outside_commune"] == {"lat": 16.738, "lon": 106.95}


def test_far_from_the_chosen_village(client, surveyor, db):
    # Inside the commune, but 2.8 km north of Thôn 1's centre (limit 2 km).
    body = send(client, surveyor, location=at(16.7750, 106.9500), village="thon-1")
    assert body["flags"] == ["far_from_village"]
    details = body["flag_details"]["far_from_village"]
    assert details["measured_to"] == "centroid" and details["limit_km"] == 2.0
    assert 2.7 < details["distance_km"] < 2.9
    # The same place is 1.7 km from Thôn 2's centre: no flag when Thôn 2 is chosen.
    assert send(client, surveyor, location=at(16.7750, 106.9500), village="thon-2")["flags"] == []
    # With a boundary stored, a household inside the village's polygon is never far from it.
    village = db.query(Village).filter_by(slug="thon-1").one()
    village.boundary = {"type": "Polygon", "coordinates": [[
        [106.94, 16.74], [106.96, 16.74], [106.96, 16.78], [106.94, 16.78], [106.94, 16.74]]]}
    db.commit()
    assert send(client, surveyor, location=at(16.7700, 106.9480), village="thon-1")["flags"] == []
    body = send(client, surveyor, location=at(16.7750, 106.9790), village="thon-1")
    assert body["flags"] == ["far_from_village"]
    assert body["flag_details"]["far_from_village"]["measured_to"] == "boundary"
    assert 2.0 < body["flag_details"]["far_from_village"]["distance_km"] < 2.1  # to the east edge


def test_duplicate_by_household_code_in_the_village(client, surveyor):
    first = send(client, surveyor, answers=household_answers(household_code="CL-T1-017"))
    # Typed differently on another phone, at another spot of the village: the same house.
    second = send(client, surveyor, location=at(16.7530, 106.9550),
                  answers=household_answers(household_code="cl t1 017", members_total=5))
    assert second["flags"] == ["duplicate_household"]
    assert second["flag_details"]["duplicate_household"] == {
        "submission_ids": [first["id"]], "household_code": "cl t1 017"}
    # The same code in another village, or another code, is another house.
    assert send(client, surveyor, village="thon-2", location=at(16.7601, 106.9602),
                answers=household_answers(household_code="CL-T1-017"))["flags"] == []
    assert send(client, surveyor, location=at(16.7540, 106.9560),
                answers=household_answers(household_code="CL-T1-018"))["flags"] == []


def test_duplicate_by_place_and_near_identical_answers(client, surveyor):
    same = household_answers(household_code=None)
    first = send(client, surveyor, location=at(16.752000, 106.953000), answers=same)
    # 5 m away, same answers but another speed test and note: the same visit entered twice.
    twin = household_answers(household_code=None, speedtest_download_mbps=60.2, notes="lần 2")
    body = send(client, surveyor, location=at(16.752045, 106.953000), answers=twin)
    assert body["flags"] == ["duplicate_household"]
    nearby = body["flag_details"]["duplicate_household"]["nearby"]
    assert nearby[0]["id"] == first["id"] and 4 < nearby[0]["distance_m"] < 6
    assert nearby[0]["similarity"] == 1.0
    # The neighbours' house 5 m away answers differently: not a duplicate.
    other = household_answers(household_code=None, members_total=6, members_adult=5,
                              smartphone_users=4, fixed_broadband="none", fixed_provider=None,
                              fixed_speed_mbps=None, fiber_available="no", online_shopping="no",
                              online_platforms=None)
    assert send(client, surveyor, location=at(16.751955, 106.953000), answers=other)["flags"] == []
    # 40 m away with the same answers: two similar homes, not flagged.
    assert send(client, surveyor, location=at(16.752360, 106.953000),
                answers=same)["flags"] == []


def test_a_rejected_submission_is_nobody_s_twin(client, surveyor, db):
    first = send(client, surveyor, answers=household_answers(household_code="CL-T1-050"))
    db.get(Submission, first["id"]).review_status = "rejected"
    db.commit()
    assert send(client, surveyor, answers=household_answers(household_code="CL-T1-050"))["flags"] == []


def test_implausible_answers(client, surveyor):
    # 12 adults in one household, and 1,000 Mbps on ADSL: each allowed by the form's rules.
    household = answers(members_total=14, members_adult=12, fixed_broadband="adsl", fiber_available="no",
                                fixed_speed_mbps=1000)
    body = send(client, surveyor, answers=household)
    assert body["flags"] == ["implausible"]
    rules = {r["rule"]: r for r in body["flag_details"]["implausible"]["rules"]}
    assert set(rules) == {"many_adults", "plan_faster_than_line"}
    assert rules["many_adults"] == {"rule": "many_adults", "question": "members_adult",
                                    "value": 12, "limit": 10}
    assert rules["plan_faster_than_line"]["limit"] == 24
    # 300 Mbps measured in a home with only 3G and no fixed line; bars with "no signal".
    body = send(client, surveyor, answers=answers(
        mobile_best_technology="3g", fixed_broadband="none", fixed_provider=None,
        fixed_speed_mbps=None, fiber_available="no", speedtest_download_mbps=300.0))
    assert [r["rule"] for r in body["flag_details"]["implausible"]["rules"]] == [
        "measured_faster_than_home"]
    body = send(client, surveyor, answers=answers(mobile_best_technology="none",
                                                            mobile_signal_bars=2))
    assert [r["rule"] for r in body["flag_details"]["implausible"]["rules"]] == [
        "bars_without_signal"]
    # A big family (9 people, 7 adults) on a 24 Mbps ADSL line is fine.
    assert send(client, surveyor, answers=answers(
        members_total=9, members_adult=7, fixed_broadband="adsl", fixed_speed_mbps=24, fiber_available="no",
        speedtest_download_mbps=19.5))["flags"] == []


def test_too_fast_needs_the_time_the_form_was_opened(client, surveyor):
    collected = datetime.now(UTC) - timedelta(hours=1)
    body = send(client, surveyor, collected_at=collected,
                started_at=(collected - timedelta(seconds=45)).isoformat())
    assert body["flags"] == ["too_fast"]
    assert body["flag_details"]["too_fast"] == {"seconds": 45, "limit_seconds": 120}
    assert send(client, surveyor, collected_at=collected,
                started_at=(collected - timedelta(minutes=9)).isoformat())["flags"] == []
    # A refusal takes seconds by nature; older clients send no started_at.
    assert send(client, surveyor, collected_at=collected, answers={"consent": "no"},
                started_at=(collected - timedelta(seconds=20)).isoformat())["flags"] == []
    assert send(client, surveyor, collected_at=collected)["flags"] == []


def test_started_at_is_checked(client, surveyor):
    response = client.post("/api/v1/submissions", headers=auth(surveyor),
                           json=submission_payload(started_at="yesterday"))
    assert response.status_code == 422 and set(response.json["errors"]) == {"started_at"}


def test_time_out_of_range_in_the_future_or_long_before_the_round(client, surveyor, db):
    body = send(client, surveyor, collected_at=datetime.now(UTC) + timedelta(minutes=5))
    assert body["flags"] == ["time_out_of_range"]
    assert body["flag_details"]["time_out_of_range"]["reason"] == "future"
    today = date.today()
    commune_id = db.get(Submission, body["id"]).commune_id
    db.add(SurveyRound(commune_id=commune_id, name="Đợt 2", starts_on=today - timedelta(days=5),
                       ends_on=today + timedelta(days=30)))
    db.commit()
    body = send(client, surveyor, collected_at=datetime.now(UTC) - timedelta(days=60))
    assert body["flags"] == ["time_out_of_range"]
    details = body["flag_details"]["time_out_of_range"]
    assert details["reason"] == "before_round" and details["round"] == "Đợt 2"
    assert 54 <= details["days_before"] <= 56 and details["limit_days"] == 30
    # Collected 10 days before the round began (a pilot week): within the 30-day allowance.
    assert send(client, surveyor,
                collected_at=datetime.now(UTC) - timedelta(days=15))["flags"] == []


def test_flags_are_computed_once_and_a_replay_keeps_them(client, surveyor, db):
    payload = submission_payload(location=at(16.7512, 106.9531, 0))
    first = client.post("/api/v1/submissions", json=payload, headers=auth(surveyor))
    replay = client.post("/api/v1/submissions", json=payload, headers=auth(surveyor))
    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json["flags"] == first.json["flags"] == ["gps_mock"]
    assert db.query(Submission).count() == 1


def test_the_form_page_flags_too(client, surveyor, db):
    login(client, "surveyor1", PASSWORD)
    page = client.get("/surveys/household").get_data(as_text=True)
    data = {"csrf_token": csrf_from(page), "instance_id": str(uuid.uuid4()),
            "collected_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "started_at": (datetime.now(UTC) - timedelta(seconds=30)).isoformat(timespec="seconds"),
            "lat": "16.7512", "lon": "106.9531", "accuracy_m": "0", "village": "thon-1",
            **{k: v for k, v in household_answers().items()}}
    response = client.post("/surveys/household", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    stored = db.query(Submission).one()
    assert stored.flags == ["gps_mock", "too_fast"]
    assert stored.started_at is not None
