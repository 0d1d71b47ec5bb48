"""/areas/SLUG/targets (issue 16): staff of a province or group, and administrators, keep the
targets stored at the area's own level in the browser, through the commune page's form and the
same use cases (surveys/indicators/target_changes.py), with the same audit events."""

from __future__ import annotations

from sqlalchemy import select

from surveys.models import AuditEvent, Commune, CommuneGroup, Province, Target
from tests.conftest import csrf_from, login
from tests.factories import PASSWORD, make_commune, make_user
from tests.integration.area_world import area_world


def _target(db, **place: object) -> Target:
    target = Target(indicator="hh_4g_home", comparator=">=", value=80, target_year=2030,
                    source_document="", source_article="", source_text="", **place)
    db.add(target)
    db.commit()
    return target


def test_province_staff_add_edit_and_remove_a_province_target(client, db) -> None:
    area_world(db)
    login(client, "can-bo-tinh", PASSWORD)
    page = client.get("/areas/quang-tri/targets")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Chỉ tiêu kế hoạch — Tỉnh Quảng Trị" in html and "Chưa có chỉ tiêu nào." in html
    response = client.post("/areas/quang-tri/targets", data={
        "csrf_token": csrf_from(html), "indicator": "hh_4g_home", "comparator": ">=",
        "value": "90", "target_year": "2030", "source_document": "Kế hoạch của tỉnh",
        "source_text": "90% hộ gia đình có sóng 4G tại nhà"})
    assert response.status_code == 302 and response.location.endswith("/areas/quang-tri/targets")
    target = db.scalar(select(Target))
    target_id = target.id
    province = db.scalar(select(Province))
    assert (target.province_id, target.group_id, target.commune_id) == (province.id, None, None)
    assert (target.indicator, target.value, target.target_year) == ("hh_4g_home", 90, 2030)
    listing = client.get("/areas/quang-tri/targets").get_data(as_text=True)
    assert "Đã lưu chỉ tiêu." in listing and "90% hộ gia đình có sóng 4G tại nhà" in listing
    assert f'href="/areas/quang-tri/targets/{target.id}"' in listing

    edit_page = client.get(f"/areas/quang-tri/targets/{target.id}").get_data(as_text=True)
    assert 'value="90"' in edit_page and 'href="/areas/quang-tri/targets"' in edit_page
    assert client.post(f"/areas/quang-tri/targets/{target.id}", data={
        "csrf_token": csrf_from(edit_page), "indicator": "hh_4g_home", "comparator": ">",
        "value": "95", "target_year": "2030"}).status_code == 302
    db.expire_all()
    assert (target.comparator, target.value) == (">", 95)

    assert client.post(f"/areas/quang-tri/targets/{target.id}/delete",
                       data={"csrf_token": csrf_from(edit_page)}).status_code == 302
    db.expire_all()
    assert db.scalar(select(Target)) is None
    events = db.scalars(select(AuditEvent).where(AuditEvent.target_type == "target")
                        .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["target.create", "target.update", "target.delete"]
    assert {e.actor for e in events} == {"can-bo-tinh"}
    assert {e.target_id for e in events} == {target_id}
    assert events[0].details["after"]["area"] == "quang-tri"
    assert events[1].details["before"]["value"] == 90 and events[1].details["after"]["value"] == 95
    assert events[2].details["before"]["comparator"] == ">"


def test_an_admin_keeps_a_groups_targets(client, db) -> None:
    area_world(db)
    login(client, "root", PASSWORD)
    html = client.get("/areas/nhom-cam-lo/targets").get_data(as_text=True)
    assert "Thêm chỉ tiêu" in html
    assert client.post("/areas/nhom-cam-lo/targets", data={
        "csrf_token": csrf_from(html), "indicator": "area_5g", "comparator": ">=",
        "value": "50", "target_year": "2025"}).status_code == 302
    group = db.scalar(select(CommuneGroup))
    assert db.scalar(select(Target)).group_id == group.id
    # A commune's slug leads to the commune's own page.
    assert client.get("/areas/cam-lo/targets").location.endswith("/communes/cam-lo/targets")


def test_a_field_error_is_shown_by_its_field(client, db) -> None:
    area_world(db)
    login(client, "can-bo-nhom", PASSWORD)
    html = client.get("/areas/nhom-cam-lo/targets").get_data(as_text=True)
    response = client.post("/areas/nhom-cam-lo/targets", data={
        "csrf_token": csrf_from(html), "indicator": "hh_4g_home", "comparator": ">=",
        "value": "tám mươi", "target_year": "2030"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    # The message sits in the value field's own block, not at the top of the page.
    field = page[page.index('<input id="value"'):]
    assert field[:field.index("</div>")].count("Phải là phần trăm từ 0 đến 100.") == 1
    assert db.scalar(select(Target)) is None
    assert db.scalar(select(AuditEvent).where(AuditEvent.target_type == "target")) is None


def test_who_may_not(client, db) -> None:
    area_world(db)
    province = db.scalar(select(Province))
    target = _target(db, province_id=province.id)
    for username in ("staff-cl", "sv-cl"):  # a commune's staff and a surveyor
        login(client, username, PASSWORD)
        page = client.get("/communes/cam-lo/targets").get_data(as_text=True)
        assert client.get("/areas/quang-tri/targets").status_code == 403
        assert client.post("/areas/quang-tri/targets", data={
            "csrf_token": csrf_from(page), "indicator": "hh_4g_home", "comparator": ">=",
            "value": "90", "target_year": "2030"}).status_code == 403
        assert client.get(f"/areas/quang-tri/targets/{target.id}").status_code == 403
        assert client.post(f"/areas/quang-tri/targets/{target.id}/delete",
                           data={"csrf_token": csrf_from(page)}).status_code == 403
        client.post("/logout", data={"csrf_token": csrf_from(page)})
    login(client, "can-bo-nhom", PASSWORD)  # staff of a group of the province
    page = client.get("/areas/nhom-cam-lo/targets").get_data(as_text=True)
    assert client.get("/areas/quang-tri/targets").status_code == 403
    assert client.post("/areas/quang-tri/targets", data={
        "csrf_token": csrf_from(page), "indicator": "hh_4g_home", "comparator": ">=",
        "value": "90", "target_year": "2030"}).status_code == 403
    assert client.post(f"/areas/quang-tri/targets/{target.id}", data={
        "csrf_token": csrf_from(page), "indicator": "hh_4g_home", "comparator": ">=",
        "value": "10", "target_year": "2030"}).status_code == 403
    # The province's target is not found under the group the user may write.
    assert client.get(f"/areas/nhom-cam-lo/targets/{target.id}").status_code == 404
    assert client.post(f"/areas/nhom-cam-lo/targets/{target.id}/delete",
                       data={"csrf_token": csrf_from(page)}).status_code == 404
    db.expire_all()
    assert db.get(Target, target.id).value == 80
    assert db.scalar(select(AuditEvent).where(AuditEvent.target_type == "target")) is None


def test_province_staff_read_a_groups_targets_without_changing_them(client, db) -> None:
    area_world(db)
    group = db.scalar(select(CommuneGroup))
    target = _target(db, group_id=group.id)
    login(client, "can-bo-tinh", PASSWORD)
    page = client.get("/areas/nhom-cam-lo/targets")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "≥ 80%" in html and "Thêm chỉ tiêu" not in html
    assert client.get(f"/areas/nhom-cam-lo/targets/{target.id}").status_code == 403
    dashboard = client.get("/areas/quang-tri").get_data(as_text=True)
    assert dashboard.count('href="/areas/quang-tri/targets"') == 2  # the menu's and the page's link
    assert 'data-nav="area-targets"' in dashboard
    assert "/areas/quang-tri/admin/users" not in dashboard  # administrators only


def test_english_second(client, db) -> None:
    area_world(db)
    login(client, "can-bo-tinh", PASSWORD)
    page = client.get("/areas/quang-tri/targets").get_data(as_text=True)
    client.post("/lang/en", data={"csrf_token": csrf_from(page), "next": "/"})
    html = client.get("/areas/quang-tri/targets").get_data(as_text=True)
    assert "Plan targets — Tỉnh Quảng Trị" in html and "Add a target" in html


def test_a_commune_of_its_own_keeps_working(client, db) -> None:
    """The commune page, whose template the area page now shares, is unchanged."""
    commune = make_commune(db, "kon-chieng", name="Xã Kon Chiêng", province="Gia Lai")
    make_user(db, "staff-kc", role="staff", commune=commune)
    db.commit()
    login(client, "staff-kc", PASSWORD)
    html = client.get("/communes/kon-chieng/targets").get_data(as_text=True)
    assert "Chỉ tiêu kế hoạch — Xã Kon Chiêng" in html and "được đặt ở cấp này" not in html
    assert db.scalar(select(Commune).where(Commune.slug == "kon-chieng")) is not None
