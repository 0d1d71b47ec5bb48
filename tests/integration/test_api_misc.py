"""Communes, survey definitions, health, attachments and the OpenAPI document."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from tests.factories import make_commune, make_token, make_user, submission_payload


def jpeg_with_gps(lat: float = 16.7939, lon: float = 107.0028) -> bytes:
    image = Image.new("RGB", (1200, 900), (30, 120, 200))
    exif = image.getexif()
    exif[0x010F] = "Xiaomi"
    gps = exif.get_ifd(0x8825)

    def dms(value: float) -> tuple[float, float, float]:
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        return (degrees, minutes, round(((value - degrees) * 60 - minutes) * 60, 4))

    gps.update({1: "N", 2: dms(lat), 3: "E", 4: dms(lon)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


@pytest.fixture
def token(db):
    commune = make_commune(db)
    token = make_token(db, make_user(db, "surveyor1", commune=commune))
    db.commit()
    return token


def test_healthz(client) -> None:
    assert client.get("/healthz").status_code == 200


def test_communes_with_villages(client, db) -> None:
    make_commune(db)
    db.commit()
    listing = client.get("/api/v1/communes").json["communes"]
    assert [c["slug"] for c in listing] == ["cam-lo"]
    one = client.get("/api/v1/communes/cam-lo").json
    assert one["villages"][0] == {"slug": "thon-1", "name": "Thôn 1",
                                  "centroid": {"lat": 16.75, "lon": 106.95},
                                  "household_count": 120, "demo": False}
    missing = client.get("/api/v1/communes/nowhere")
    assert missing.status_code == 404 and missing.json["code"] == "404.1"


def test_survey_definition_json_and_etag(client) -> None:
    response = client.get("/api/v1/surveys/household")
    assert response.status_code == 200
    questions = {q["name"]: q for q in response.json["questions"]}
    assert questions["fixed_provider"]["relevant"].endswith("(${fixed_broadband} != 'none')")
    assert questions["members_adult"]["constraint"] == ". >= 0 and . <= ${members_total}"
    assert questions["mobile_operators"]["type"] == "select_multiple"
    again = client.get("/api/v1/surveys/household",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/api/v1/surveys/nope").status_code == 404


def test_photo_attachment_replay_conflict_and_exif_location(client, db, token):
    headers = {"Authorization": f"Bearer {token}"}
    created = client.post("/api/v1/submissions", json=submission_payload(location=None),
                          headers=headers).json
    url = f"/api/v1/submissions/{created['id']}/attachments"
    photo = jpeg_with_gps()

    def upload(data: bytes, question: str = "photo"):
        return client.post(url, data={"question": question, "file": (io.BytesIO(data), "a.jpg")},
                           headers=headers, content_type="multipart/form-data")

    first = upload(photo)
    assert first.status_code == 201, first.json
    assert first.json["content_type"] == "image/jpeg"
    assert upload(photo).status_code == 200
    other = upload(jpeg_with_gps(lat=16.70))
    assert other.status_code == 409 and other.json["code"] == "409.2"

    record = client.get(f"/api/v1/submissions/{created['id']}", headers=headers).json
    assert record["location"]["source"] == "exif"
    assert record["location"]["lat"] == pytest.approx(16.7939, abs=1e-3)

    stored = client.get(f"{url}/photo", headers=headers)
    assert stored.status_code == 200 and stored.mimetype == "image/jpeg"
    assert dict(Image.open(io.BytesIO(stored.data)).getexif()) == {}
    thumb = client.get(f"{url}/photo?variant=thumb", headers=headers)
    assert max(Image.open(io.BytesIO(thumb.data)).size) <= 320


def test_attachment_errors_name_the_field(client, token) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    created = client.post("/api/v1/submissions", json=submission_payload(), headers=headers).json
    url = f"/api/v1/submissions/{created['id']}/attachments"
    not_image = client.post(url, data={"question": "photo", "file": (io.BytesIO(b"hello"), "x.jpg")},
                            headers=headers, content_type="multipart/form-data")
    assert not_image.status_code == 422 and "file" in not_image.json["errors"]
    wrong_q = client.post(url, data={"question": "notes",
                                     "file": (io.BytesIO(jpeg_with_gps()), "x.jpg")},
                          headers=headers, content_type="multipart/form-data")
    assert wrong_q.status_code == 422 and "question" in wrong_q.json["errors"]
    missing = client.post(url, data={}, headers=headers, content_type="multipart/form-data")
    assert missing.status_code == 422 and set(missing.json["errors"]) == {"file", "question"}
    assert client.post("/api/v1/submissions/999999/attachments", data={},
                       headers=headers).status_code == 404


def test_openapi_document(client) -> None:
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    assert "/api/v1/submissions" in document["paths"]


def test_concurrent_uploads_of_one_photo_store_it_once(client, db, token, live_server):
    import threading
    import urllib.request
    import uuid as uuidlib
    from concurrent.futures import ThreadPoolExecutor

    from surveys.models import Attachment

    headers = {"Authorization": f"Bearer {token}"}
    created = client.post("/api/v1/submissions", json=submission_payload(), headers=headers).json
    photo = jpeg_with_gps()
    boundary = uuidlib.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"question\"\r\n\r\nphoto\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + photo + f"\r\n--{boundary}--\r\n".encode()
    barrier = threading.Barrier(8)

    def send(_: int) -> int:
        request = urllib.request.Request(
            f"{live_server}/api/v1/submissions/{created['id']}/attachments", data=body,
            method="POST", headers={**headers,
                                    "Content-Type": f"multipart/form-data; boundary={boundary}"})
        barrier.wait()
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(send, range(8)))
    assert statuses == [200] * 7 + [201]
    db.expire_all()
    assert len(db.scalars(select(Attachment)).all()) == 1


def test_service_worker_is_stamped_with_the_precached_files(client, app) -> None:
    import re
    from pathlib import Path

    from surveys.views.pages import PRECACHED, build_stamp

    response = client.get("/sw.js")
    assert response.status_code == 200 and response.headers["Service-Worker-Allowed"] == "/"
    stamp = re.match(r"self\.PHUSONG_BUILD = '([0-9a-f]{12})';\n", response.get_data(as_text=True))
    assert stamp and stamp.group(1) == build_stamp(app.static_folder)
    sw = Path(app.static_folder, "js/sw.js").read_text()
    for name in PRECACHED:  # the stamp covers exactly what the worker precaches
        assert f"/static/{name}" in sw
