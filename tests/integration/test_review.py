"""Review of submissions: every transition and its effect on indicators, forbidden moves, who may
review, the review pages, and the correction flow (no duplicate, history kept)."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from surveys.collection.review import STATUSES, TRANSITIONS
from surveys.models import AuditEvent, ReviewNote, Submission
from tests.conftest import csrf_from, login
from tests.factories import (
    PASSWORD,
    auth,
    household_answers,
    make_commune,
    make_token,
    make_user,
    role_tokens,
    submission_payload,
)

_numbers = itertools.count(1)


@pytest.fixture
def tokens(db):
    commune = make_commune(db)
    result = {**role_tokens(db, commune),
              "surveyor2": make_token(db, make_user(db, "surveyor2", commune=commune))}
    db.commit()
    return result


def send(client, token, fiber=True, **extra):
    """A household of its own (own code, own spot), with or without fibre."""
    n = next(_numbers)
    answers = household_answers(
        household_code=f"CL-T1-{n:03d}", fixed_broadband="fiber" if fiber else "none",
        fixed_provider="vnpt" if fiber else None, fixed_speed_mbps=100 if fiber else None,
        fiber_available=None if fiber else "no")
    extra.setdefault("location", {"lat": 16.75 + (n % 30) * 0.0005, "lon": 106.9531, "accuracy_m": 10.0})
    payload = submission_payload(answers=answers, **extra)
    response = client.post("/api/v1/submissions", json=payload, headers=auth(token))
    assert response.status_code == 201, response.json
    return response.json


def patch(client, token, submission_id, **body):
    return client.patch(f"/api/v1/submissions/{submission_id}", json=body, headers=auth(token))


def fiber(client, token):
    table = client.get("/api/v1/indicators?commune=cam-lo", headers=auth(token)).json
    row = next(r for r in table["indicators"] if r["code"] == "hh_fiber")
    return table["households"], row["numerator"], row["value"]


def reach(client, token, submission_id, status):
    if status != "received":
        response = patch(client, token, submission_id, review_status=status, reason="Kiểm tra")
        assert response.status_code == 200, response.json


ALLOWED = [(a, b) for a, moves in TRANSITIONS.items() for b in moves]
FORBIDDEN = [(a, b) for a in STATUSES if a != "superseded" for b in STATUSES
             if b not in TRANSITIONS[a]]


@pytest.mark.parametrize(("start", "end"), ALLOWED)
def test_each_allowed_transition(client, db, tokens, start, end):
    submission = send(client, tokens["surveyor"])
    reach(client, tokens["staff"], submission["id"], start)
    response = patch(client, tokens["staff"], submission["id"], review_status=end,
                     reason="Số người dùng VNeID chưa khớp", comment="Gọi lại cho hộ")
    assert response.status_code == 200, response.json
    assert response.json["review_status"] == end
    assert response.json["review_reason"] == "Số người dùng VNeID chưa khớp"
    stored = db.get(Submission, submission["id"])
    assert stored.reviewed_at is not None and stored.reviewed_by_id is not None
    last_note = db.scalars(select(ReviewNote).where(ReviewNote.submission_id == stored.id)
                           .order_by(ReviewNote.id.desc())).first()
    assert (last_note.status, last_note.reason, last_note.comment) == (
        end, "Số người dùng VNeID chưa khớp", "Gọi lại cho hộ")
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "submission.review")
                       .order_by(AuditEvent.id.desc())).first()
    assert event.target_id == stored.id and event.actor.startswith("token:")
    assert event.details["before"]["review_status"] == start
    assert event.details["after"] == {"review_status": end,
                                      "review_reason": "Số người dùng VNeID chưa khớp"}


@pytest.mark.parametrize(("start", "end"), FORBIDDEN)
def test_forbidden_transitions_are_422_and_change_nothing(client, db, tokens, start, end):
    submission = send(client, tokens["surveyor"])
    reach(client, tokens["staff"], submission["id"], start)
    notes = db.query(ReviewNote).count()
    response = patch(client, tokens["staff"], submission["id"], review_status=end, reason="x")
    assert response.status_code == 422
    assert "review_status" in response.json["errors"]
    db.expire_all()
    assert db.get(Submission, submission["id"]).review_status == start
    assert db.query(ReviewNote).count() == notes


def test_a_superseded_submission_is_never_reviewed(client, tokens):
    original = send(client, tokens["surveyor"])
    send(client, tokens["surveyor"], supersedes=original["instance_id"])
    for status in ("approved", "has_issues", "rejected", "received"):
        assert patch(client, tokens["staff"], original["id"], review_status=status,
                     reason="x").status_code == 422


@pytest.mark.parametrize("status", ["has_issues", "rejected"])
def test_issues_and_rejections_need_a_reason(client, tokens, status):
    submission = send(client, tokens["surveyor"])
    response = patch(client, tokens["staff"], submission["id"], review_status=status)
    assert response.status_code == 422 and set(response.json["errors"]) == {"reason"}
    assert patch(client, tokens["staff"], submission["id"],
                 review_status="approved").status_code == 200  # approval needs none


def test_bad_review_bodies(client, tokens):
    submission = send(client, tokens["surveyor"])
    for body, field in (({}, "review_status"), ({"review_status": "done"}, "review_status"),
                        ({"review_status": "approved", "colour": "red"}, "colour"),
                        ({"comment": "x" * 2001}, "comment"),
                        ({"review_status": "rejected", "reason": 5}, "reason")):
        response = patch(client, tokens["staff"], submission["id"], **body)
        assert response.status_code == 422 and field in response.json["errors"], body


def test_a_comment_alone_keeps_the_status(client, db, tokens):
    submission = send(client, tokens["surveyor"])
    response = patch(client, tokens["staff"], submission["id"], comment="Ảnh đo tốc độ bị mờ")
    assert response.status_code == 200 and response.json["review_status"] == "received"
    note = db.scalars(select(ReviewNote)).one()
    assert (note.status, note.comment) == (None, "Ảnh đo tốc độ bị mờ")


def test_rejection_drops_out_of_indicators_and_approval_brings_it_back(client, tokens):
    ids = [send(client, tokens["surveyor"], fiber=f)["id"] for f in (True, True, False, False)]
    assert fiber(client, tokens["staff"]) == (4, 2, 50.0)
    assert patch(client, tokens["staff"], ids[0], review_status="rejected",
                 reason="Hộ không tồn tại").status_code == 200
    households, numerator, value = fiber(client, tokens["staff"])
    assert (households, numerator) == (3, 1) and round(value, 2) == 33.33
    # has_issues still counts (it is being checked, not thrown out); approval restores the row.
    assert patch(client, tokens["staff"], ids[1], review_status="has_issues",
                 reason="Kiểm tra lại").status_code == 200
    assert fiber(client, tokens["staff"])[:2] == (3, 1)
    assert patch(client, tokens["staff"], ids[0], review_status="approved").status_code == 200
    assert fiber(client, tokens["staff"]) == (4, 2, 50.0)


@pytest.mark.parametrize(("who", "expected"), [
    (None, 401), ("surveyor", 403), ("partner", 403), ("other_staff", 404), ("staff", 200),
    ("admin", 200)])
def test_who_may_review(client, tokens, who, expected):
    submission = send(client, tokens["surveyor"])
    headers = auth(tokens[who]) if who else {}
    response = client.patch(f"/api/v1/submissions/{submission['id']}", headers=headers,
                            json={"review_status": "approved"})
    assert response.status_code == expected, response.json


def test_patch_of_a_missing_submission_is_404(client, tokens):
    assert patch(client, tokens["staff"], 999999, review_status="approved").status_code == 404


def test_a_browser_session_needs_the_csrf_header(client, db, tokens):
    submission = send(client, tokens["surveyor"])
    login(client, "staff1", PASSWORD)
    response = client.patch(f"/api/v1/submissions/{submission['id']}",
                            json={"review_status": "approved"})
    assert response.status_code == 400
    token = client.get("/api/v1/session").json["csrf_token"]
    response = client.patch(f"/api/v1/submissions/{submission['id']}",
                            json={"review_status": "approved"}, headers={"X-CSRFToken": token})
    assert response.status_code == 200
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "submission.review")).one()
    assert event.actor == "staff1"  # a session acts under the username, a token as token:…


def test_listing_filters(client, db, tokens):
    now = datetime.now(UTC)
    a = send(client, tokens["surveyor"], collected_at=now - timedelta(days=3))
    b = send(client, tokens["surveyor2"], village="thon-2", collected_at=now - timedelta(hours=2))
    c = send(client, tokens["surveyor"], location={"lat": 16.7512, "lon": 106.9531,
                                                   "accuracy_m": 0})
    assert c["flags"] == ["gps_mock"]
    patch(client, tokens["staff"], a["id"], review_status="rejected", reason="Trùng hộ")

    def ids(query: str, token: str = tokens["staff"]) -> set[int]:
        response = client.get(f"/api/v1/submissions?{query}", headers=auth(token))
        assert response.status_code == 200, response.json
        for item in response.json["items"]:
            assert {"review_status", "review_reason", "flags", "supersedes"} <= set(item)
        return {item["id"] for item in response.json["items"]}

    assert ids("") == {a["id"], b["id"], c["id"]}
    assert ids("flag=gps_mock") == ids("flag=any") == {c["id"]}
    assert ids("status=rejected") == {a["id"]}
    assert ids("village=thon-2") == {b["id"]}
    assert ids("surveyor=surveyor2") == {b["id"]}
    day = (now - timedelta(days=1)).astimezone(UTC).date().isoformat()
    assert ids(f"since={day}") == {b["id"], c["id"]}
    assert ids(f"until={(now - timedelta(days=2)).date().isoformat()}") == {a["id"]}
    assert ids("status=received&flag=gps_mock", tokens["surveyor"]) == {c["id"]}  # own only
    rejected = client.get(f"/api/v1/submissions/{a['id']}", headers=auth(tokens["surveyor"])).json
    assert (rejected["review_status"], rejected["review_reason"]) == ("rejected", "Trùng hộ")
    for bad in ("flag=shiny", "status=done", "since=yesterday"):
        assert client.get(f"/api/v1/submissions?{bad}",
                          headers=auth(tokens["staff"])).status_code == 422


def test_correction_supersedes_without_duplicating(client, db, tokens):
    original = send(client, tokens["surveyor"], fiber=False)
    send(client, tokens["surveyor"], fiber=True)
    assert fiber(client, tokens["staff"]) == (2, 1, 50.0)
    patch(client, tokens["staff"], original["id"], review_status="has_issues",
          reason="Hộ có cáp quang, không phải 'không có'")
    # The surveyor sees the feedback on their own submission…
    mine = client.get(f"/api/v1/submissions/{original['id']}",
                      headers=auth(tokens["surveyor"])).json
    assert mine["review_status"] == "has_issues"
    # …and sends a correction: same household code, so nobody's duplicate but its own original.
    payload = submission_payload(
        answers=household_answers(household_code=db.get(Submission, original["id"])
                                  .answers["household_code"]),
        location=original["location"] and {k: original["location"][k]
                                           for k in ("lat", "lon", "accuracy_m")},
        collected_at=datetime.fromisoformat(original["collected_at"]),
        supersedes=original["instance_id"])
    first = client.post("/api/v1/submissions", json=payload, headers=auth(tokens["surveyor"]))
    assert first.status_code == 201, first.json
    correction = first.json
    assert correction["supersedes"] == original["instance_id"]
    assert correction["flags"] == [] and correction["review_status"] == "received"
    # A replay of the same correction (the outbox resending) stores nothing new.
    again = client.post("/api/v1/submissions", json=payload, headers=auth(tokens["surveyor"]))
    assert (again.status_code, again.json["id"]) == (200, correction["id"])
    assert db.query(Submission).count() == 3
    # The original is kept, marked superseded, with the step in its history and the audit log.
    db.expire_all()
    kept = db.get(Submission, original["id"])
    assert kept.review_status == "superseded" and kept.answers["fixed_broadband"] == "none"
    assert [n.status for n in db.scalars(select(ReviewNote).where(
        ReviewNote.submission_id == kept.id).order_by(ReviewNote.id))] == ["has_issues",
                                                                           "superseded"]
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "submission.correct")).one()
    assert event.details == {"before": {"review_status": "has_issues"},
                             "after": {"review_status": "superseded",
                                       "superseded_by": correction["id"]}}
    # Indicators count the latest version only: 2 households, both with fibre now.
    assert fiber(client, tokens["staff"]) == (2, 2, 100.0)
    listed = client.get("/api/v1/submissions?status=superseded", headers=auth(tokens["staff"]))
    assert [i["id"] for i in listed.json["items"]] == [original["id"]]


def test_what_cannot_be_corrected(client, tokens):
    original = send(client, tokens["surveyor"])
    # Someone else's submission, or an unknown one.
    response = client.post("/api/v1/submissions", headers=auth(tokens["surveyor2"]),
                           json=submission_payload(supersedes=original["instance_id"]))
    assert response.status_code == 422 and set(response.json["errors"]) == {"supersedes"}
    response = client.post("/api/v1/submissions", headers=auth(tokens["surveyor"]),
                           json=submission_payload(supersedes="6f1c2a3e-6a0e-4d7e-9b1a-0f5b1c2d3e4f"))
    assert response.status_code == 422
    # A second, different correction of the same original: correct the latest instead.
    first = send(client, tokens["surveyor"], supersedes=original["instance_id"])
    response = client.post("/api/v1/submissions", headers=auth(tokens["surveyor"]),
                           json=submission_payload(supersedes=original["instance_id"]))
    assert response.status_code == 422
    assert first["instance_id"] in response.json["errors"]["supersedes"]
    assert send(client, tokens["surveyor"], supersedes=first["instance_id"])["supersedes"] == \
        first["instance_id"]


# ---- pages ----

def test_staff_review_a_submission_on_the_pages(client, db, tokens):
    flagged = send(client, tokens["surveyor"], location={"lat": 16.7512, "lon": 106.9531,
                                                          "accuracy_m": 0})
    clean = send(client, tokens["surveyor2"])
    login(client, "staff1", PASSWORD)
    page = client.get("/communes/cam-lo/review")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'data-id="{flagged["id"]}"' in html and f'data-id="{clean["id"]}"' in html
    assert 'data-flag="gps_mock"' in html and 'href="/static/css/review.css?v=' in html
    filtered = client.get("/communes/cam-lo/review?flag=gps_mock&village=thon-1&surveyor=surveyor1"
                          ).get_data(as_text=True)
    assert f'data-id="{flagged["id"]}"' in filtered and f'data-id="{clean["id"]}"' not in filtered
    detail = client.get(f"/communes/cam-lo/review/{flagged['id']}").get_data(as_text=True)
    assert "openstreetmap.org/?mlat=16.7512" in detail and 'data-flag="gps_mock"' in detail
    # A rejection without a reason is refused on the page, with the message by the field.
    response = client.post(f"/communes/cam-lo/review/{flagged['id']}", data={
        "csrf_token": csrf_from(detail), "review_status": "rejected", "reason": ""})
    assert response.status_code == 422
    assert 'class="q has-error"' in response.get_data(as_text=True)
    response = client.post(f"/communes/cam-lo/review/{flagged['id']}", data={
        "csrf_token": csrf_from(detail), "review_status": "rejected",
        "reason": "Vị trí giả lập", "comment": "Đo lại GPS tại nhà"})
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Submission, flagged["id"]).review_status == "rejected"
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Vị trí giả lập" in after and "Đo lại GPS tại nhà" in after
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "submission.review")).one()
    assert event.actor == "staff1"


@pytest.mark.parametrize(("who", "expected"), [
    ("surveyor1", 403), ("staff2", 403), ("root", 200)])
def test_who_may_open_the_queue(client, tokens, db, who, expected):
    submission = send(client, tokens["surveyor"])
    login(client, who, PASSWORD)
    assert client.get("/communes/cam-lo/review").status_code == expected
    assert client.get(f"/communes/cam-lo/review/{submission['id']}").status_code == expected


def test_the_queue_needs_a_login(client, tokens):
    response = client.get("/communes/cam-lo/review")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_submission_of_another_commune_is_not_found_through_this_one(client, db, tokens):
    submission = send(client, tokens["surveyor"])
    login(client, "root", PASSWORD)
    assert client.get(f"/communes/kon-chieng/review/{submission['id']}").status_code == 404


def test_surveyor_sees_feedback_and_sends_a_correction_from_the_form(client, db, tokens):
    original = send(client, tokens["surveyor"], fiber=False)
    patch(client, tokens["staff"], original["id"], review_status="has_issues",
          reason="Kiểm tra lại internet cố định")
    login(client, "surveyor1", PASSWORD)
    mine = client.get("/my/submissions").get_data(as_text=True)
    assert "Kiểm tra lại internet cố định" in mine
    link = re.search(r'href="(/surveys/household\?supersedes=[^"]+)"', mine)
    assert link and original["instance_id"] in link.group(1)
    form = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert f'name="supersedes" type="hidden" value="{original["instance_id"]}"' in form
    assert 'id="correcting"' in form
    assert re.search(r'name="household_code"[^>]*value="CL-T1-\d+"', form)
    # The plain POST of the prefilled form, with the answer put right.
    fields = dict(re.findall(r'<input[^>]*name="(\w+)" type="hidden" value="([^"]*)"', form))
    answers = household_answers(household_code=db.get(Submission, original["id"])
                                .answers["household_code"])
    response = client.post("/surveys/household", data={**fields, "village": "thon-1", **answers})
    assert response.status_code == 302, response.get_data(as_text=True)[:600]
    db.expire_all()
    correction = db.scalars(select(Submission).where(Submission.supersedes_id == original["id"])
                            ).one()
    assert correction.answers["fixed_broadband"] == "fiber"
    assert correction.collected_at == db.get(Submission, original["id"]).collected_at
    assert db.get(Submission, original["id"]).review_status == "superseded"
    mine = client.get("/my/submissions").get_data(as_text=True)
    assert mine.count("supersedes=") == 1  # only the correction can be corrected again
    # Someone else's submission cannot be opened for correction: an ordinary new form.
    other = send(client, tokens["surveyor2"])
    form = client.get(f"/surveys/household?supersedes={other['instance_id']}").get_data(
        as_text=True)
    assert 'name="supersedes" type="hidden" value=""' in form and 'id="correcting"' not in form


def test_partners_have_no_submissions_page(client, tokens):
    login(client, "viettel1", PASSWORD)
    assert client.get("/my/submissions").status_code == 403
