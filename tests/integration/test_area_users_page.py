"""/areas/SLUG/admin/users (issue 16): an administrator creates, renames, deactivates and gives a
new password to the staff of a province or group of communes — what `create-user NAME --role staff
--area SLUG` does — with the commune users page's password rule and audit events. Nobody else."""

from __future__ import annotations

import re

from sqlalchemy import select

from surveys.models import AuditEvent, Province, User
from tests.conftest import csrf_from, login
from tests.factories import PASSWORD
from tests.integration.area_world import area_world


def test_an_admin_creates_edits_and_deactivates_province_staff(client, db) -> None:
    area_world(db)
    login(client, "root", PASSWORD)
    page = client.get("/areas/quang-tri/admin/users")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Tài khoản — Tỉnh Quảng Trị" in html and 'data-user="can-bo-tinh"' in html
    assert 'data-user="can-bo-nhom"' not in html and 'data-user="staff-cl"' not in html
    assert 'name="role"' not in html  # an area's user is always staff
    response = client.post("/areas/quang-tri/admin/users", data={
        "csrf_token": csrf_from(html), "username": " Can-Bo-So ", "display_name": "Chị Lan",
        "password": "mat-khau-tinh-1"})
    assert response.status_code == 302
    assert response.location.endswith("/areas/quang-tri/admin/users")
    person = db.scalar(select(User).where(User.username == "can-bo-so"))
    province = db.scalar(select(Province))
    assert (person.role, person.province_id, person.group_id, person.commune_id,
            person.display_name) == ("staff", province.id, None, None, "Chị Lan")
    listing = client.get("/areas/quang-tri/admin/users").get_data(as_text=True)
    assert "Đã tạo tài khoản can-bo-so." in listing and 'data-user="can-bo-so"' in listing

    edit = client.get(f"/areas/quang-tri/admin/users/{person.id}").get_data(as_text=True)
    assert client.post(f"/areas/quang-tri/admin/users/{person.id}", data={
        "csrf_token": csrf_from(edit), "display_name": "Nguyễn Thị Lan"}).status_code == 302
    assert client.post(f"/areas/quang-tri/admin/users/{person.id}/password", data={
        "csrf_token": csrf_from(edit), "password": "mat-khau-moi-2"}).status_code == 302
    assert client.post(f"/areas/quang-tri/admin/users/{person.id}/active", data={
        "csrf_token": csrf_from(edit), "active": "0"}).status_code == 302
    db.expire_all()
    assert (person.display_name, person.active) == ("Nguyễn Thị Lan", False)
    events = db.scalars(select(AuditEvent).where(AuditEvent.target_type == "user",
                                                 AuditEvent.target_id == person.id)
                        .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["user.create", "user.update", "user.password_reset",
                                          "user.deactivate"]
    assert {e.actor for e in events} == {"root"}
    assert {e.details["area"] for e in events} == {"quang-tri"}
    assert all("mat-khau" not in str(e.details) for e in events)
    log = client.get("/areas/quang-tri/audit?action=user").get_data(as_text=True)
    assert re.findall(r'data-action="([^"]+)"', log) == [
        "user.deactivate", "user.password_reset", "user.update", "user.create"]


def test_the_new_group_user_lands_on_the_group(client, db) -> None:
    area_world(db)
    login(client, "root", PASSWORD)
    html = client.get("/areas/nhom-cam-lo/admin/users").get_data(as_text=True)
    client.post("/areas/nhom-cam-lo/admin/users", data={
        "csrf_token": csrf_from(html), "username": "can-bo-huyen-cu", "password": "mat-khau-nhom-1"})
    client.post("/logout", data={"csrf_token": csrf_from(html)})
    page = client.get("/login").get_data(as_text=True)
    landing = client.post("/login", data={"username": "can-bo-huyen-cu",
                                          "password": "mat-khau-nhom-1",
                                          "csrf_token": csrf_from(page)})
    assert landing.status_code == 302 and landing.location.endswith("/areas/nhom-cam-lo")


def test_field_errors_are_shown_by_their_fields(client, db) -> None:
    area_world(db)
    login(client, "root", PASSWORD)
    html = client.get("/areas/quang-tri/admin/users").get_data(as_text=True)
    response = client.post("/areas/quang-tri/admin/users", data={
        "csrf_token": csrf_from(html), "username": "can-bo-tinh", "password": "ngan"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for field, message in (("username", "Tên đăng nhập đã tồn tại."),
                           ("password", "Mật khẩu cần ít nhất 8 ký tự.")):
        block = page[page.index(f'id="{field}"'):]
        assert message in block[:block.index("</div>")]
    assert db.scalar(select(User).where(User.username == "ngan")) is None
    person = db.scalar(select(User).where(User.username == "can-bo-tinh"))
    short = client.post(f"/areas/quang-tri/admin/users/{person.id}/password", data={
        "csrf_token": csrf_from(html), "password": "ngan"})
    assert short.status_code == 422 and "Mật khẩu cần ít nhất 8 ký tự." in short.get_data(as_text=True)


def test_only_administrators(client, db) -> None:
    ids = area_world(db)
    for username in ("can-bo-tinh", "can-bo-nhom", "staff-cl", "sv-cl"):
        login(client, username, PASSWORD)
        page = client.get("/communes/cam-lo/targets").get_data(as_text=True)
        assert client.get("/areas/quang-tri/admin/users").status_code == 403, username
        assert client.get("/areas/nhom-cam-lo/admin/users").status_code == 403, username
        assert client.post("/areas/quang-tri/admin/users", data={
            "csrf_token": csrf_from(page), "username": "ke-la",
            "password": "mat-khau-la-1"}).status_code == 403, username
        assert client.post(f"/areas/quang-tri/admin/users/{ids['province']}/active", data={
            "csrf_token": csrf_from(page), "active": "0"}).status_code == 403, username
        client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert db.scalar(select(User).where(User.username == "ke-la")) is None
    login(client, "root", PASSWORD)
    # Another area's user, or a commune's, is not found here; a commune's slug leads to its page.
    assert client.get(f"/areas/quang-tri/admin/users/{ids['group']}").status_code == 404
    assert client.get(f"/areas/nhom-cam-lo/admin/users/{ids['staff']}").status_code == 404
    assert client.get("/areas/nowhere/admin/users").status_code == 404
    assert client.get("/areas/cam-lo/admin/users").location.endswith("/communes/cam-lo/admin/users")
    dashboard = client.get("/areas/quang-tri").get_data(as_text=True)
    assert 'href="/areas/quang-tri/admin/users"' in dashboard
