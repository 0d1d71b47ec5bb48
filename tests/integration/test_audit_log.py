"""The audit log: each recorded action writes exactly one event with the right fields; the
database refuses to change or remove events; staff see only their own commune's log."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from surveys.models import AuditEvent, Target, User
from tests.conftest import csrf_from, login
from tests.factories import PASSWORD, auth, make_commune, make_partner, make_token, make_user

TARGET = {"indicator": "adult_vneid", "comparator": ">=", "value": 85, "target_year": 2030}


@pytest.fixture
def people(db):
    commune = make_commune(db)
    other = make_commune(db, "kon-chieng", name="Xã Kon Chiêng", province="Gia Lai")
    staff = make_user(db, "staff1", role="staff", commune=commune)
    make_user(db, "staff2", role="staff", commune=other)
    make_user(db, "surveyor1", commune=commune)
    make_user(db, "viettel1", role="partner", partner=make_partner(db))
    token = make_token(db, staff)
    db.commit()
    db.execute(text("SELECT 1"))
    return {"commune": commune, "other": other, "staff": staff, "token": token}


def events(db, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)
                           .order_by(AuditEvent.id)))


def test_cli_token_creation_is_recorded(runner, db, people) -> None:
    result = runner.invoke(args=["create-token", "staff1", "--label", "script"])
    assert result.exit_code == 0, result.output
    found = [e for e in events(db, "token.create") if e.actor == "cli"]
    assert len(found) == 1
    event = found[0]
    assert (event.actor_user_id, event.commune_id, event.target_type) == (
        None, people["commune"].id, "api_token")
    assert event.details["user"] == "staff1" and event.details["label"] == "script"
    assert result.output.strip().splitlines()[-1].startswith(event.details["prefix"])
    assert event.created_at.tzinfo is not None


def test_api_target_changes_record_before_and_after(client, db, people) -> None:
    headers = auth(people["token"])
    created = client.post("/api/v1/targets", json={"commune": "cam-lo", **TARGET}, headers=headers)
    assert created.status_code == 201
    target_id = created.json["id"]
    [create] = events(db, "target.create")
    assert create.actor == f"token:{people['token'][:10]}"
    assert create.actor_user_id == people["staff"].id and create.target_id == target_id
    assert "before" not in create.details and create.details["after"]["value"] == 85

    assert client.patch(f"/api/v1/targets/{target_id}", json={"value": 90},
                        headers=headers).status_code == 200
    [update] = events(db, "target.update")
    assert (update.details["before"]["value"], update.details["after"]["value"]) == (85, 90)
    assert update.commune_id == people["commune"].id and update.target_type == "target"

    assert client.delete(f"/api/v1/targets/{target_id}", headers=headers).status_code == 204
    [delete] = events(db, "target.delete")
    assert delete.details == {"before": update.details["after"]} and delete.target_id == target_id


def test_refused_change_records_nothing(client, db, people) -> None:
    response = client.post("/api/v1/targets", json={"commune": "cam-lo", "indicator": "nope"},
                           headers=auth(people["token"]))
    assert response.status_code == 422
    assert events(db, "target.create") == []


def test_page_target_changes_are_recorded(client, db, people) -> None:
    login(client, "staff1", PASSWORD)
    page = client.get("/communes/cam-lo/targets").get_data(as_text=True)
    client.post("/communes/cam-lo/targets", data={
        "csrf_token": csrf_from(page), "indicator": "adult_vneid", "comparator": ">=",
        "value": "85", "target_year": "2030"})
    target = db.scalar(select(Target))
    edit = client.get(f"/communes/cam-lo/targets/{target.id}").get_data(as_text=True)
    client.post(f"/communes/cam-lo/targets/{target.id}", data={
        "csrf_token": csrf_from(edit), "indicator": "adult_vneid", "comparator": ">",
        "value": "90", "target_year": "2030"})
    client.post(f"/communes/cam-lo/targets/{target.id}/delete", data={"csrf_token": csrf_from(edit)})
    [create], [update], [delete] = (events(db, a) for a in ("target.create", "target.update",
                                                            "target.delete"))
    assert create.actor == update.actor == delete.actor == "staff1"
    assert update.details["before"]["comparator"] == ">=" and update.details["after"]["comparator"] == ">"
    assert delete.details["before"]["value"] == 90


def test_login_failure_records_the_name_and_reason_never_the_password(client, db, people) -> None:
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"username": "staff1", "password": "wrong-password-123",
                                           "csrf_token": csrf_from(page)})
    assert response.status_code == 401
    client.post("/login", data={"username": "nobody", "password": "secret-guess-456",
                                "csrf_token": csrf_from(page)})
    wrong, unknown = events(db, "login.failure")
    assert wrong.details == {"username": "staff1", "reason": "wrong_password"}
    assert (wrong.actor, wrong.actor_user_id, wrong.commune_id, wrong.target_id) == (
        "anonymous", None, people["commune"].id, people["staff"].id)
    assert unknown.details == {"username": "nobody", "reason": "unknown_user"}
    assert unknown.commune_id is None and unknown.target_id is None
    stored = str([e.details for e in db.scalars(select(AuditEvent))])
    assert "wrong-password-123" not in stored and "secret-guess-456" not in stored
    login(client, "staff1", PASSWORD)
    assert len(events(db, "login.failure")) == 2


def test_api_indicator_export_is_recorded(client, db, people) -> None:
    response = client.get("/api/v1/indicators?commune=cam-lo&format=csv&period=2026",
                          headers=auth(people["token"]))
    assert response.status_code == 200
    assert client.get("/api/v1/indicators?commune=cam-lo",
                      headers=auth(people["token"])).status_code == 200  # JSON: not an export
    [event] = events(db, "export.indicators")
    assert event.details == {"format": "csv", "filter": {"village": None, "period": "2026"}}
    assert event.commune_id == people["commune"].id


def test_events_cannot_be_changed_or_removed(db, people) -> None:
    event = db.scalars(select(AuditEvent)).first()
    assert event is not None
    for statement in ("UPDATE audit_events SET actor = 'someone-else'", "DELETE FROM audit_events"):
        with pytest.raises(DatabaseError, match="append-only"):
            db.execute(text(statement))
        db.rollback()
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(AuditEvent)) >= 1
    assert db.get(AuditEvent, event.id).actor == event.actor


def test_audit_page_for_staff_of_the_commune_only(client, db, people) -> None:
    client.post("/api/v1/targets", json={"commune": "cam-lo", **TARGET},
                headers=auth(people["token"]))
    assert client.get("/communes/cam-lo/audit").status_code == 302  # to the login page
    login(client, "staff2", PASSWORD)
    assert client.get("/communes/cam-lo/audit").status_code == 403
    for name in ("surveyor1", "viettel1"):
        client.post("/logout", data={"csrf_token": csrf_from(client.get("/login").get_data(
            as_text=True))})
        login(client, name, PASSWORD)
        assert client.get("/communes/cam-lo/audit").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/login").get_data(as_text=True))})
    login(client, "staff1", PASSWORD)
    html = client.get("/communes/cam-lo/audit").get_data(as_text=True)
    assert "target.create" in html and "token.create" in html and "staff1" in html
    only = client.get("/communes/cam-lo/audit?action=target").get_data(as_text=True)
    assert "target.create" in only and "<code>token.create</code>" not in only
    assert client.get("/communes/cam-lo/audit?action=bogus").status_code == 422


def test_an_areas_own_events_on_its_audit_page(client, db) -> None:
    """A province's (or group's) plan targets, indicator exports and staff accounts have no
    commune: /areas/SLUG/audit shows them to those who may change the area, each area its own."""
    from tests.integration.area_world import area_world

    ids = area_world(db)
    province_staff = db.get(User, ids["province"])
    group_staff = db.get(User, ids["group"])
    province_token, group_token = make_token(db, province_staff), make_token(db, group_staff)
    admin_token = make_token(db, db.get(User, ids["admin"]))
    db.commit()
    made = client.post("/api/v1/targets", json={"area": "quang-tri", **TARGET},
                       headers=auth(province_token))
    assert made.status_code == 201
    assert client.patch(f"/api/v1/targets/{made.json['id']}", json={"value": 90},
                        headers=auth(province_token)).status_code == 200
    assert client.post("/api/v1/targets", json={"area": "nhom-cam-lo", **TARGET},
                       headers=auth(group_token)).status_code == 201
    assert client.get("/api/v1/indicators?area=quang-tri&format=csv",
                      headers=auth(province_token)).status_code == 200
    assert client.post("/api/v1/targets", json={"commune": "cam-lo", **TARGET},
                       headers=auth(admin_token)).status_code == 201  # the commune's own

    login(client, "can-bo-tinh", PASSWORD)
    html = client.get("/areas/quang-tri/audit").get_data(as_text=True)
    shown = re.findall(r'data-action="([^"]+)"', html)
    assert shown == ["export.indicators", "target.update", "target.create"]  # newest first
    assert "Tỉnh Quảng Trị" in html and "can-bo-tinh" in html
    only = client.get("/areas/quang-tri/audit?action=export").get_data(as_text=True)
    assert only.count('data-action="') == 1 and 'data-action="export.indicators"' in only
    assert client.get("/areas/quang-tri/audit?action=bogus").status_code == 422
    assert client.get("/areas/nhom-cam-lo/audit").status_code == 403  # not its level
    assert 'href="/areas/quang-tri/audit"' in client.get("/areas/quang-tri").get_data(as_text=True)

    client.post("/logout", data={"csrf_token": csrf_from(client.get("/login").get_data(as_text=True))})
    login(client, "can-bo-nhom", PASSWORD)
    group_page = client.get("/areas/nhom-cam-lo/audit").get_data(as_text=True)
    assert group_page.count('data-action="') == 1 and 'data-action="target.create"' in group_page
    commune_log = client.get("/communes/cam-lo/audit")
    assert commune_log.status_code == 403
    assert 'href="/areas/quang-tri/audit"' not in client.get("/areas/quang-tri").get_data(
        as_text=True)
