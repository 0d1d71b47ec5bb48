"""/communes/SLUG/targets: staff add, edit and remove their plan's targets in the browser."""

from __future__ import annotations

from sqlalchemy import select

from surveys.models import Commune, Target
from tests.conftest import csrf_from, login
from tests.factories import PASSWORD, make_commune, make_user


def setup(db):
    commune = make_commune(db)
    other = make_commune(db, "kon-chieng", name="Xã Kon Chiêng", province="Gia Lai")
    make_user(db, "staff1", role="staff", commune=commune)
    make_user(db, "staff2", role="staff", commune=other)
    make_user(db, "surveyor1", commune=commune)
    db.commit()


def test_staff_add_edit_remove(client, db) -> None:
    setup(db)
    login(client, "staff1", PASSWORD)
    page = client.get("/communes/cam-lo/targets").get_data(as_text=True)
    assert "Chỉ tiêu kế hoạch" in page and "Chưa có chỉ tiêu nào." in page
    response = client.post("/communes/cam-lo/targets", data={
        "csrf_token": csrf_from(page), "indicator": "adult_vneid", "comparator": ">=",
        "value": "85", "target_year": "2030", "source_document": "Nghị quyết HĐND",
        "source_article": "Điều 1, I.2.3",
        "source_text": "Tỷ lệ người dân có tài khoản định danh điện tử VneID đạt ≥ 85"})
    assert response.status_code == 302
    target = db.scalar(select(Target))
    assert (target.indicator, target.value, target.target_year) == ("adult_vneid", 85, 2030)
    listing = client.get("/communes/cam-lo/targets").get_data(as_text=True)
    assert "VneID đạt ≥ 85" in listing and "Đã lưu chỉ tiêu." in listing
    assert "status-insufficient_data" in listing  # no survey yet: each target says so

    edit_page = client.get(f"/communes/cam-lo/targets/{target.id}").get_data(as_text=True)
    assert 'value="85' in edit_page
    client.post(f"/communes/cam-lo/targets/{target.id}", data={
        "csrf_token": csrf_from(edit_page), "indicator": "adult_vneid", "comparator": ">",
        "value": "90", "target_year": "2030"})
    db.expire_all()
    assert (target.comparator, target.value) == (">", 90)

    client.post(f"/communes/cam-lo/targets/{target.id}/delete",
                data={"csrf_token": csrf_from(edit_page)})
    db.expire_all()
    assert db.scalar(select(Target)) is None


def test_an_equals_target_with_a_plan_start_year(client, db) -> None:
    setup(db)
    login(client, "staff1", PASSWORD)
    page = client.get("/communes/cam-lo/targets").get_data(as_text=True)
    assert 'name="start_year"' in page and '<option value="=">=</option>' in page
    response = client.post("/communes/cam-lo/targets", data={
        "csrf_token": csrf_from(page), "indicator": "village_4g", "comparator": "=",
        "value": "100", "target_year": "2025", "start_year": "2021",
        "source_text": "100% thôn có sóng di động 4G"})
    assert response.status_code == 302
    target = db.scalar(select(Target))
    assert (target.comparator, target.value, target.start_year) == ("=", 100, 2021)
    listing = client.get("/communes/cam-lo/targets").get_data(as_text=True)
    assert "= 100% đến năm 2025" in listing and "kế hoạch từ năm 2021" in listing
    edit_page = client.get(f"/communes/cam-lo/targets/{target.id}").get_data(as_text=True)
    assert 'name="start_year" type="text" value="2021"' in edit_page
    html = client.post(f"/communes/cam-lo/targets/{target.id}", data={
        "csrf_token": csrf_from(edit_page), "indicator": "village_4g", "comparator": "=",
        "value": "100", "target_year": "2025", "start_year": "2026"}).get_data(as_text=True)
    assert "Năm bắt đầu kế hoạch phải trước năm chỉ tiêu." in html
    db.expire_all()
    assert target.start_year == 2021


def test_errors_are_shown_by_the_field(client, db) -> None:
    setup(db)
    login(client, "staff1", PASSWORD)
    page = client.get("/communes/cam-lo/targets").get_data(as_text=True)
    response = client.post("/communes/cam-lo/targets", data={
        "csrf_token": csrf_from(page), "indicator": "adult_vneid", "comparator": ">=",
        "value": "85"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Cần năm phải đạt." in html
    assert db.scalar(select(Target)) is None


def test_others_cannot_change(client, db) -> None:
    setup(db)
    login(client, "surveyor1", PASSWORD)
    page = client.get("/communes/cam-lo/targets")
    assert page.status_code == 200 and "Thêm chỉ tiêu" not in page.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    login(client, "staff2", PASSWORD)
    assert client.get("/communes/cam-lo/targets").status_code == 403


def test_typing_mistakes_get_vietnamese_messages(client, db) -> None:
    setup(db)
    login(client, "staff1", PASSWORD)
    page = client.get("/communes/cam-lo/targets").get_data(as_text=True)
    html = client.post("/communes/cam-lo/targets", data={
        "csrf_token": csrf_from(page), "indicator": "adult_vneid", "comparator": ">=",
        "value": "tám lăm", "target_year": "năm 2030"}).get_data(as_text=True)
    assert "Phải là phần trăm từ 0 đến 100." in html and "Năm không hợp lệ." in html
    assert "Not a valid" not in html
    ok = client.post("/communes/cam-lo/targets", data={
        "csrf_token": csrf_from(page), "indicator": "adult_vneid", "comparator": ">=",
        "value": "85,5", "target_year": "2030"})
    assert ok.status_code == 302
    assert db.scalar(select(Target)).value == 85.5


def test_empty_login_says_what_is_missing(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    html = client.post("/login", data={"csrf_token": csrf_from(page)}).get_data(as_text=True)
    assert "Hãy nhập tên đăng nhập." in html and "Hãy nhập mật khẩu." in html


def test_a_target_of_another_commune_is_not_found_under_yours(client, db) -> None:
    setup(db)
    cam_lo = db.scalar(select(Commune).where(Commune.slug == "cam-lo"))
    target = Target(commune=cam_lo, indicator="adult_vneid", comparator=">=", value=85,
                    target_year=2030, source_document="", source_article="", source_text="")
    db.add(target)
    db.commit()
    login(client, "staff2", PASSWORD)  # staff of kon-chieng
    page = client.get("/communes/kon-chieng/targets").get_data(as_text=True)
    assert client.get(f"/communes/kon-chieng/targets/{target.id}").status_code == 404
    assert client.post(f"/communes/kon-chieng/targets/{target.id}/delete",
                       data={"csrf_token": csrf_from(page)}).status_code == 404
    assert client.get(f"/communes/cam-lo/targets/{target.id}").status_code == 403
    db.expire_all()
    assert db.get(Target, target.id) is not None
