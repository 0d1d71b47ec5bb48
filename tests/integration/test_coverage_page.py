"""The coverage upload page without JavaScript: /coverage/uploads (a plain multipart POST)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from surveys.models import CoverageUpload, Measurement
from tests.conftest import csrf_from, login
from tests.factories import PASSWORD, make_commune, make_partner, make_user

DATA = Path(__file__).parents[1] / "data" / "coverage"
ALL_BAD = "measured_at,lat,lon,technology,rsrp_dbm\n2026-11-18 08:00,95,106.9,LTE,-90\n"


@pytest.fixture
def people(db):
    viettel, vnpt = make_partner(db, "viettel", "Viettel"), make_partner(db, "vnpt", "VNPT")
    make_user(db, "viettel-up", role="partner", partner=viettel)
    make_user(db, "vnpt-up", role="partner", partner=vnpt)
    make_user(db, "admin1", role="admin")
    make_user(db, "surveyor1", commune=make_commune(db))
    db.commit()


def post_file(client, name: str, content: bytes | None = None, **form: str):
    page = client.get("/coverage/uploads")
    assert page.status_code == 200
    data = {"csrf_token": csrf_from(page.get_data(as_text=True)), "format": "",
            "file": (io.BytesIO(content if content is not None else (DATA / name).read_bytes()), name),
            **form}
    return client.post("/coverage/uploads", data=data, content_type="multipart/form-data")


def shown_counts(html: str) -> dict[str, int]:
    return {k: int(v.replace(".", "")) for k, v in re.findall(r'data-count="(\w+)">([\d.]+)<', html)}


def uploads(db) -> list[CoverageUpload]:
    db.expire_all()
    return list(db.scalars(select(CoverageUpload).order_by(CoverageUpload.id)))


def test_partner_uploads_without_javascript_and_sees_the_counts(client, db, people):
    login(client, "viettel-up", PASSWORD)
    response = post_file(client, "cam-lo-drive.csv")
    assert response.status_code == 302
    [upload] = uploads(db)
    assert response.headers["Location"].endswith(f"/coverage/uploads/{upload.id}")
    assert (upload.partner.slug, upload.rows, upload.accepted, upload.rejected) == ("viettel", 14, 7, 6)

    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Đã lưu tệp tải lên." in html
    assert shown_counts(html) == {"accepted": 7, "rejected": 6}
    assert "tọa độ sai" in html and "ngoài lãnh thổ Việt Nam" in html  # the issues, in Vietnamese
    assert f"/api/v1/coverage/uploads/{upload.id}/errors" in html
    errors = client.get(f"/api/v1/coverage/uploads/{upload.id}/errors")  # the session works there
    assert errors.status_code == 200 and errors.mimetype == "text/csv"

    listing = client.get("/coverage/uploads").get_data(as_text=True)
    assert "cam-lo-drive.csv" in listing and shown_counts(listing) == {"accepted": 7, "rejected": 6}


def test_page_is_vietnamese_by_default_and_linked_from_home(client, people):
    login(client, "viettel-up", PASSWORD)
    html = client.get("/coverage/uploads").get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert "Kéo thả tệp vào đây hoặc chọn tệp" in html and "Tự nhận dạng" in html
    assert 'value="phusong-csv"' in html and 'value="geojson"' in html
    assert "/static/coverage-template.csv" in html
    assert "Chưa có tệp nào được tải lên." in html
    assert 'href="/coverage/uploads"' in client.get("/").get_data(as_text=True)
    doc = client.get("/coverage/formats")
    assert doc.status_code == 200 and "phusong-csv" in doc.get_data(as_text=True)


def test_all_bad_file_shows_the_form_again_with_the_reason(client, db, people):
    login(client, "viettel-up", PASSWORD)
    response = post_file(client, "bad.csv", ALL_BAD.encode())
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Không dòng nào hợp lệ (1 dòng); không lưu gì." in html
    assert "Kéo thả tệp vào đây" in html and 'name="csrf_token"' in html  # the form, ready again
    assert "tọa độ sai" in html and "Text(" not in html  # the first refused lines, in Vietnamese
    assert uploads(db) == [] and db.scalar(select(func.count()).select_from(Measurement)) == 0


def test_unknown_content_and_missing_file_are_422_not_500(client, db, people):
    login(client, "viettel-up", PASSWORD)
    junk = post_file(client, "notes.txt", b"hello, this is not a measurement file\n")
    assert junk.status_code == 422 and "Không nhận ra định dạng tệp" in junk.get_data(as_text=True)
    named = post_file(client, "cam-lo-drive.csv", format="ookla-someday")
    assert named.status_code == 422 and "Định dạng không hỗ trợ" in named.get_data(as_text=True)
    page = client.get("/coverage/uploads")
    empty = client.post("/coverage/uploads", data={"csrf_token": csrf_from(page.get_data(as_text=True))},
                        content_type="multipart/form-data")
    assert empty.status_code == 422 and "Hãy chọn một tệp để tải lên." in empty.get_data(as_text=True)
    assert uploads(db) == []


def test_same_file_twice_lands_on_the_first_upload(client, db, people):
    login(client, "viettel-up", PASSWORD)
    first = post_file(client, "cam-lo-drive.csv")
    second = post_file(client, "cam-lo-drive.csv")
    assert second.status_code == 302 and second.headers["Location"] == first.headers["Location"]
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "Tệp này đã được tải lên trước đó; không lưu thêm gì." in page
    assert len(uploads(db)) == 1 and db.scalar(select(func.count()).select_from(Measurement)) == 7


def test_partners_cannot_see_or_delete_each_others_uploads(client, db, people):
    login(client, "viettel-up", PASSWORD)
    url = post_file(client, "cam-lo-drive.csv").headers["Location"]
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    login(client, "vnpt-up", PASSWORD)
    assert client.get(url).status_code == 404
    token = csrf_from(client.get("/coverage/uploads").get_data(as_text=True))
    assert client.post(f"{url}/delete", data={"csrf_token": token}).status_code == 404
    assert "cam-lo-drive.csv" not in client.get("/coverage/uploads").get_data(as_text=True)
    assert len(uploads(db)) == 1


def test_surveyors_are_refused(client, people):
    login(client, "surveyor1", PASSWORD)
    page = client.get("/coverage/uploads")
    assert page.status_code == 403
    assert "Chỉ đối tác viễn thông và quản trị viên" in page.get_data(as_text=True)
    token = csrf_from(client.get("/surveys/household").get_data(as_text=True))
    refused = client.post("/coverage/uploads", data={
        "csrf_token": token, "file": (io.BytesIO((DATA / "cam-lo-drive.csv").read_bytes()), "x.csv")},
        content_type="multipart/form-data")
    assert refused.status_code == 403


def test_login_is_required(client, people):
    response = client.get("/coverage/uploads")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_delete_removes_the_upload_and_its_measurements(client, db, people):
    login(client, "viettel-up", PASSWORD)
    url = post_file(client, "cam-lo-drive.csv").headers["Location"]
    page = client.get(url).get_data(as_text=True)
    assert 'data-confirm="Xoá cam-lo-drive.csv' in page
    response = client.post(f"{url}/delete", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/coverage/uploads")
    listing = client.get("/coverage/uploads").get_data(as_text=True)
    assert "Đã xoá tệp cam-lo-drive.csv" in listing
    assert uploads(db) == [] and db.scalar(select(func.count()).select_from(Measurement)) == 0
    assert client.get(url).status_code == 404


def test_admin_chooses_the_partner(client, db, people):
    login(client, "admin1", PASSWORD)
    page = client.get("/coverage/uploads").get_data(as_text=True)
    assert '<option value="vnpt">VNPT</option>' in page
    missing = post_file(client, "cam-lo-drive.csv")
    assert missing.status_code == 422
    assert "Hãy chọn đối tác sở hữu các số đo này." in missing.get_data(as_text=True)
    assert uploads(db) == []
    chosen = post_file(client, "cam-lo-drive.csv", partner="vnpt")
    assert chosen.status_code == 302
    [upload] = uploads(db)
    assert upload.partner.slug == "vnpt"
    assert "VNPT" in client.get("/coverage/uploads").get_data(as_text=True)


def test_format_names_in_the_page_language(client, db):
    make_user(db, "vt-page", role="partner", partner=make_partner(db, "vt-page-org", "VT"))
    db.commit()
    login(client, "vt-page", PASSWORD)
    page = client.get("/coverage/uploads").get_data(as_text=True)
    assert "Danh sách trạm OpenCelliD" in page and "Nhật ký G-NetTrack Pro" in page
    assert "OpenCelliD cell list" not in page
