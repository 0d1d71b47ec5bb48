"""Every time a person reads is Vietnam time in Vietnamese formats, from one helper
(surveys/places/vntime.py); the API keeps ISO 8601 with an offset."""

from __future__ import annotations

from datetime import UTC, date, datetime

from surveys.places import vntime
from tests.conftest import login
from tests.factories import PASSWORD, auth, make_commune, make_token, make_user, submission_payload

COLLECTED = datetime(2026, 11, 23, 1, 5, tzinfo=UTC)  # 08:05 in Vietnam


def test_the_helper_shows_vietnam_wall_time_in_both_languages() -> None:
    assert vntime.format_datetime(COLLECTED) == "08:05, 23/11/2026"
    assert vntime.format_datetime(COLLECTED, "en") == "23 Nov 2026, 08:05"
    late = datetime(2026, 12, 31, 18, 30, tzinfo=UTC)  # already 1 January in Vietnam
    assert vntime.local_date(late) == date(2027, 1, 1)
    assert vntime.today(late) == date(2027, 1, 1)
    assert vntime.format_date(late) == "01/01/2027"
    assert vntime.format_date(late, long=True) == "ngày 1 tháng 1 năm 2027"
    assert vntime.format_date(late, "en", long=True) == "1 January 2027"
    assert vntime.format_period("2026-Q4") == "Quý 4/2026"
    assert vntime.format_period("2026-Q4", "en") == "Q4 2026"
    assert vntime.format_period("2026-03") == "Tháng 3/2026"
    assert vntime.format_period("2026") == "Năm 2026"


def test_review_queue_my_submissions_and_audit_log_show_vietnam_time(client, db) -> None:
    commune = make_commune(db)
    surveyor = make_user(db, "surveyor1", commune=commune)
    make_user(db, "staff1", role="staff", commune=commune)
    token = make_token(db, surveyor)
    db.commit()
    sent = client.post("/api/v1/submissions", json=submission_payload(collected_at=COLLECTED),
                       headers=auth(token))
    assert sent.status_code == 201, sent.json
    # The API keeps ISO 8601 with its offset.
    got = client.get(f"/api/v1/submissions/{sent.json['id']}", headers=auth(token)).json
    assert datetime.fromisoformat(got["collected_at"]) == COLLECTED
    assert got["collected_at"].endswith("+00:00")

    login(client, "surveyor1", PASSWORD)
    mine = client.get("/my/submissions").get_data(as_text=True)
    assert "08:05, 23/11/2026" in mine and "01:05" not in mine

    client.post("/logout")
    login(client, "staff1", PASSWORD)
    queue = client.get("/communes/cam-lo/review").get_data(as_text=True)
    assert "08:05, 23/11/2026" in queue and "01:05" not in queue
    detail = client.get(f"/communes/cam-lo/review/{sent.json['id']}").get_data(as_text=True)
    assert "08:05, 23/11/2026" in detail
    audit = client.get("/communes/cam-lo/audit").get_data(as_text=True)
    assert f", {vntime.format_date(datetime.now(UTC))}</time>" in audit  # "HH:MM, dd/mm/yyyy"
    # The dashboard's range and the report's date are days in Vietnam.
    dashboard = client.get("/communes/cam-lo/dashboard").get_data(as_text=True)
    assert "(23/11/2026 – 23/11/2026)" in dashboard
    report = client.get("/communes/cam-lo/report").get_data(as_text=True)
    assert vntime.format_date(vntime.today(), long=True) in report
    assert "ngày 23 tháng 11 năm 2026" in report
