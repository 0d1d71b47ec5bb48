"""/surveys/household as a plain HTML form (JavaScript off): render, validate, save once."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from sqlalchemy import func, select

from surveys.models import Submission
from tests.conftest import csrf_from, login
from tests.factories import PASSWORD, household_answers, make_commune, make_partner, make_user


@pytest.fixture
def surveyor(db):
    commune = make_commune(db)
    user = make_user(db, "surveyor1", commune=commune)
    db.commit()
    return user


def form_data(page_html: str, **answers_override):
    # Every hidden input, as a browser posts them (instance_id, collected_at, csrf_token, ...).
    data: dict[str, object] = dict(re.findall(
        r'<input id="\w+" name="(\w+)" type="hidden" value="([^"]*)"', page_html))
    data["csrf_token"] = csrf_from(page_html)
    data["village"] = "thon-1"
    for name, value in household_answers(**answers_override).items():
        data[name] = value if isinstance(value, list) else str(value)
    return data


def count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Submission))


def test_login_required(client) -> None:
    response = client.get("/surveys/household")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_page_is_vietnamese_by_default_and_lists_villages(client, surveyor):
    login(client, "surveyor1", PASSWORD)
    html = client.get("/surveys/household").get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert "Hộ gia đình đồng ý trả lời khảo sát?" in html
    assert 'value="thon-1"' in html and "Thôn 2" in html
    assert 'data-relevant="${consent} = &#39;yes&#39;"' in html or "data-relevant" in html


def test_switch_to_english(client, surveyor):
    login(client, "surveyor1", PASSWORD)
    page = client.get("/surveys/household").get_data(as_text=True)
    client.post("/lang/en", data={"csrf_token": csrf_from(page), "next": "/surveys/household"})
    html = client.get("/surveys/household").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Does the household agree to answer the survey?" in html


def test_plain_post_saves_once_even_when_sent_twice(client, db, surveyor):
    login(client, "surveyor1", PASSWORD)
    data = form_data(client.get("/surveys/household").get_data(as_text=True))
    first = client.post("/surveys/household", data=data)
    assert first.status_code == 302, first.get_data(as_text=True)[:2000]
    again = client.post("/surveys/household", data=data)  # the double tap
    assert again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert count(db) == 1
    stored = db.scalar(select(Submission))
    assert stored.answers["mobile_operators"] == ["viettel", "vinaphone"]
    assert stored.location_source == "manual"
    saved_page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert f"số {stored.id}" in saved_page


def test_errors_are_shown_next_to_the_field(client, db, surveyor):
    login(client, "surveyor1", PASSWORD)
    data = form_data(client.get("/surveys/household").get_data(as_text=True), members_adult=7)
    response = client.post("/surveys/household", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="q-members_adult"[^>]*>.*?Không được lớn hơn số người trong hộ',
                     html, re.S)
    assert 'value="7"' in html  # the surveyor's answers are kept
    assert count(db) == 0


def test_non_relevant_fields_from_a_no_js_form_are_dropped(client, db, surveyor):
    login(client, "surveyor1", PASSWORD)
    data = form_data(client.get("/surveys/household").get_data(as_text=True),
                     fixed_broadband="none", fixed_provider="vnpt", fiber_available="no")
    assert client.post("/surveys/household", data=data).status_code == 302
    stored = db.scalar(select(Submission))
    assert "fixed_provider" not in stored.answers


def test_missing_csrf_is_refused(client, db, surveyor):
    login(client, "surveyor1", PASSWORD)
    data = form_data(client.get("/surveys/household").get_data(as_text=True))
    data.pop("csrf_token")
    response = client.post("/surveys/household", data=data)
    assert response.status_code == 400
    assert count(db) == 0


def test_partner_cannot_open_the_form(client, db) -> None:
    make_user(db, "viettel1", role="partner", partner=make_partner(db))
    db.commit()
    login(client, "viettel1", PASSWORD)
    assert client.get("/surveys/household").status_code == 403


def test_photo_posted_with_the_form_is_stripped(client, db, surveyor, app):
    from PIL import Image

    login(client, "surveyor1", PASSWORD)
    data = form_data(client.get("/surveys/household").get_data(as_text=True))
    buffer = io.BytesIO()
    image = Image.new("RGB", (800, 600), "teal")
    exif = image.getexif()
    exif[0x010F] = "PhoneMaker"
    image.save(buffer, "JPEG", exif=exif)
    data["photo"] = (io.BytesIO(buffer.getvalue()), "speedtest.jpg")
    response = client.post("/surveys/household", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    stored = db.scalar(select(Submission))
    assert [a.question for a in stored.attachments] == ["photo"]


def test_wrong_password_is_a_clear_401(client, surveyor) -> None:
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"username": "surveyor1", "password": "nope-nope",
                                           "csrf_token": csrf_from(page)})
    assert response.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu" in response.get_data(as_text=True)


def test_open_redirect_is_refused(client, surveyor) -> None:
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login?next=https://evil.example/", data={
        "username": "surveyor1", "password": PASSWORD, "csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/")


def test_instance_id_is_fresh_on_each_page(client, surveyor):
    login(client, "surveyor1", PASSWORD)
    ids = {form_data(client.get("/surveys/household").get_data(as_text=True))["instance_id"]
           for _ in range(3)}
    assert len(ids) == 3 and all(uuid.UUID(i) for i in ids)
