"""Resumable coverage uploads (tus 1.0 at /api/v1/coverage/resumable): creation, HEAD, PATCH in
pieces and resumed after a cut, a wrong offset, termination, limits, the hash; the completed file
becomes a queued upload that a worker imports."""

from __future__ import annotations

import base64
import gzip
import hashlib
import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from surveys.coverage import jobs, resumable
from surveys.models import CoverageUpload, ImportJob, Measurement, Partner, ResumableUpload
from tests.factories import auth, make_partner, make_token, make_user

DATA = Path(__file__).parents[1] / "data" / "coverage"
TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = "application/offset+octet-stream"


@pytest.fixture
def tokens(runner, db):
    assert runner.invoke(args=["load-demo"]).exit_code == 0
    viettel = db.scalar(select(Partner).where(Partner.slug == "viettel"))
    result = {"viettel": make_token(db, make_user(db, "viettel-up", role="partner", partner=viettel)),
              "vnpt": make_token(db, make_user(db, "vnpt-up", role="partner",
                                               partner=make_partner(db, "vnpt-lab", "VNPT Lab"))),
              "admin": make_token(db, make_user(db, "root", role="admin"))}
    db.commit()
    return result


def metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def create(client, token, length, **meta):
    meta.setdefault("filename", "drive.csv")
    return client.post("/api/v1/coverage/resumable", headers={
        **auth(token), **TUS, "Upload-Length": str(length), "Upload-Metadata": metadata(**meta)})


def patch(client, token, location, offset, body):
    return client.patch(location, data=body, headers={
        **auth(token), **TUS, "Upload-Offset": str(offset), "Content-Type": OCTETS})


def head(client, token, location):
    return client.head(location, headers={**auth(token), **TUS})


def worker(app) -> jobs.WorkerSettings:
    return jobs.WorkerSettings(upload_dir=Path(app.config["UPLOAD_DIR"]))


def test_options_announce_the_protocol(client) -> None:
    response = client.options("/api/v1/coverage/resumable")
    assert response.status_code == 204
    assert response.headers["Tus-Version"] == "1.0.0"
    assert set(response.headers["Tus-Extension"].split(",")) == {"creation", "termination"}
    assert int(response.headers["Tus-Max-Size"]) == 2 * 1024 ** 3


def test_upload_in_pieces_resumes_after_a_cut_and_is_imported_by_a_worker(app, client, db, tokens):
    content = (DATA / "cam-lo-drive.csv").read_bytes()
    created = create(client, tokens["viettel"], len(content), format="phusong-csv")
    assert created.status_code == 201, created.json
    location = created.headers["Location"]
    assert location.startswith("/api/v1/coverage/resumable/")
    assert created.headers["Tus-Resumable"] == "1.0.0"
    assert head(client, tokens["viettel"], location).headers["Upload-Offset"] == "0"

    first = patch(client, tokens["viettel"], location, 0, content[:500])
    assert first.status_code == 204 and first.headers["Upload-Offset"] == "500"
    # The connection drops after 300 more bytes: what reached the server is kept.
    key = location.rsplit("/", 1)[1]
    with open(Path(app.config["UPLOAD_DIR"]) / "coverage-resumable" / key, "ab") as partial:
        partial.write(content[500:800])
    offset = int(head(client, tokens["viettel"], location).headers["Upload-Offset"])
    assert offset == 800
    state = client.get(location, headers=auth(tokens["viettel"])).json
    assert state == {"offset": 800, "length": len(content), "upload": None, "status": "receiving",
                     "upload_url": None}

    last = patch(client, tokens["viettel"], location, offset, content[offset:])
    assert last.status_code == 204 and last.headers["Upload-Offset"] == str(len(content))
    state = client.get(location, headers=auth(tokens["viettel"])).json
    assert state["offset"] == state["length"] == len(content) and state["status"] == "queued"
    upload_id = state["upload"]
    queued = client.get(f"/api/v1/coverage/uploads/{upload_id}", headers=auth(tokens["viettel"])).json
    assert queued["status"] == "queued" and queued["rows"] == 0
    assert queued["bytes"] == len(content)
    upload = db.get(CoverageUpload, upload_id)
    assert upload.content_sha256 == hashlib.sha256(content).hexdigest()

    assert jobs.work_once(app.extensions["phusong.sessionmaker"], worker(app)) == (
        db.scalar(select(ImportJob.id)), "done")
    done = client.get(f"/api/v1/coverage/uploads/{upload_id}", headers=auth(tokens["viettel"])).json
    assert done["status"] == "done" and done["rows"] == 14 and done["accepted"] > 0
    assert done["progress"]["rows_read"] == 14 and done["progress"]["seconds_left"] == 0
    assert done["progress"]["rows_accepted"] == done["accepted"]
    assert db.scalar(select(func.count()).select_from(Measurement)) == done["accepted"]
    # The file is gone once imported; the same file again is the same upload (same-file rule).
    assert not (Path(app.config["UPLOAD_DIR"]) / "coverage-resumable" / key).exists()
    again = create(client, tokens["viettel"], len(content)).headers["Location"]
    assert patch(client, tokens["viettel"], again, 0, content).status_code == 204
    assert client.get(again, headers=auth(tokens["viettel"])).json["upload"] == upload_id
    assert db.scalar(select(func.count()).select_from(CoverageUpload)) == 1


def test_a_chunk_at_the_wrong_offset_is_refused_with_409(client, tokens) -> None:
    location = create(client, tokens["viettel"], 100).headers["Location"]
    assert patch(client, tokens["viettel"], location, 0, b"a" * 40).status_code == 204
    wrong = patch(client, tokens["viettel"], location, 10, b"b" * 10)
    assert wrong.status_code == 409 and wrong.json["code"] == "409.3"
    assert "40" in wrong.json["message"]
    assert head(client, tokens["viettel"], location).headers["Upload-Offset"] == "40"
    english = client.patch(location, data=b"c", headers={
        **auth(tokens["viettel"]), **TUS, "Upload-Offset": "0", "Content-Type": OCTETS,
        "Accept-Language": "en"})
    assert "does not match" in english.json["message"]


def test_protocol_errors(client, tokens) -> None:
    location = create(client, tokens["viettel"], 10).headers["Location"]
    wrong_type = client.patch(location, data=b"x", headers={
        **auth(tokens["viettel"]), **TUS, "Upload-Offset": "0", "Content-Type": "text/csv"})
    assert wrong_type.status_code == 415
    old = client.patch(location, data=b"x", headers={
        **auth(tokens["viettel"]), "Tus-Resumable": "0.2.2", "Upload-Offset": "0",
        "Content-Type": OCTETS})
    assert old.status_code == 412 and old.headers["Tus-Version"] == "1.0.0"
    past_the_end = patch(client, tokens["viettel"], location, 0, b"x" * 11)
    assert past_the_end.status_code == 413
    assert head(client, tokens["viettel"], location).headers["Upload-Offset"] == "0"
    no_length = client.post("/api/v1/coverage/resumable", headers={
        **auth(tokens["viettel"]), **TUS, "Upload-Metadata": metadata(filename="a.csv")})
    assert no_length.status_code == 400
    no_name = client.post("/api/v1/coverage/resumable", headers={
        **auth(tokens["viettel"]), **TUS, "Upload-Length": "5"})
    assert no_name.status_code == 422 and "filename" in no_name.json["errors"]
    assert create(client, tokens["viettel"], 5, format="nope").status_code == 422
    assert client.post("/api/v1/coverage/resumable", headers={**TUS, "Upload-Length": "5"}
                       ).status_code == 401
    # Another partner cannot see, append to or end this session.
    assert head(client, tokens["vnpt"], location).status_code == 404
    assert patch(client, tokens["vnpt"], location, 0, b"x").status_code == 404


def test_a_file_over_the_limit_is_refused_at_creation(app, client, tokens) -> None:
    app.config["COVERAGE_RESUMABLE_MAX_BYTES"] = 1000
    refused = create(client, tokens["viettel"], 1001)
    assert refused.status_code == 413 and "file" in refused.json["errors"]
    assert create(client, tokens["viettel"], 1000).status_code == 201


def test_a_declared_hash_that_does_not_match_discards_the_file(client, db, tokens) -> None:
    content = (DATA / "cam-lo-drive.csv").read_bytes()
    location = create(client, tokens["viettel"], len(content), sha256="0" * 64).headers["Location"]
    mismatch = patch(client, tokens["viettel"], location, 0, content)
    assert mismatch.status_code == 422 and "sha256" in mismatch.json["errors"]
    assert head(client, tokens["viettel"], location).status_code == 404
    assert db.scalar(select(func.count()).select_from(CoverageUpload)) == 0
    good = create(client, tokens["viettel"], len(content),
                  sha256=hashlib.sha256(content).hexdigest()).headers["Location"]
    assert patch(client, tokens["viettel"], good, 0, content).status_code == 204
    assert client.get(good, headers=auth(tokens["viettel"])).json["status"] == "queued"


def test_termination_removes_the_session_and_its_bytes(app, client, tokens) -> None:
    location = create(client, tokens["viettel"], 100).headers["Location"]
    patch(client, tokens["viettel"], location, 0, b"x" * 30)
    key = location.rsplit("/", 1)[1]
    assert (Path(app.config["UPLOAD_DIR"]) / "coverage-resumable" / key).exists()
    assert client.delete(location, headers={**auth(tokens["viettel"]), **TUS}).status_code == 204
    assert head(client, tokens["viettel"], location).status_code == 404
    assert not (Path(app.config["UPLOAD_DIR"]) / "coverage-resumable" / key).exists()


def test_an_expired_session_answers_410_then_is_removed(app, client, db, tokens) -> None:
    location = create(client, tokens["viettel"], 100).headers["Location"]
    patch(client, tokens["viettel"], location, 0, b"x" * 30)
    key = location.rsplit("/", 1)[1]
    path = Path(app.config["UPLOAD_DIR"]) / "coverage-resumable" / key
    record = db.scalar(select(ResumableUpload).where(ResumableUpload.key == key))
    long_ago = record.created_at - timedelta(hours=30)
    record.created_at = long_ago
    db.commit()
    os.utime(path, (long_ago.timestamp(), long_ago.timestamp()))
    gone = patch(client, tokens["viettel"], location, 30, b"y")
    assert gone.status_code == 410 and gone.json["code"] == "410.1"
    assert resumable.remove_expired(db, app.config["UPLOAD_DIR"], timedelta(hours=24)) == 1
    db.commit()
    assert not path.exists()
    assert head(client, tokens["viettel"], location).status_code == 404


def test_an_admin_names_the_partner(client, tokens) -> None:
    assert create(client, tokens["admin"], 10).status_code == 422
    assert create(client, tokens["admin"], 10, partner="vnpt-lab").status_code == 201


def test_a_gzip_file_is_read_as_a_stream_and_a_bomb_is_refused(app, client, db, tokens) -> None:
    packed = gzip.compress((DATA / "cam-lo-drive.csv").read_bytes())
    location = create(client, tokens["viettel"], len(packed), filename="drive.csv.gz").headers["Location"]
    assert patch(client, tokens["viettel"], location, 0, packed).status_code == 204
    factory = app.extensions["phusong.sessionmaker"]
    assert jobs.work_once(factory, worker(app))[1] == "done"
    upload_id = client.get(location, headers=auth(tokens["viettel"])).json["upload"]
    assert db.get(CoverageUpload, upload_id).rows == 14

    header = (DATA / "cam-lo-drive.csv").read_bytes().splitlines(keepends=True)[0]
    bomb = gzip.compress(header + b"\n" * (30 << 20))  # 30 MB of nothing in about 30 kB
    location = create(client, tokens["viettel"], len(bomb), filename="bomb.csv.gz").headers["Location"]
    assert patch(client, tokens["viettel"], location, 0, bomb).status_code == 204
    assert jobs.work_once(factory, worker(app))[1] == "failed"
    upload_id = client.get(location, headers=auth(tokens["viettel"])).json["upload"]
    failed = client.get(f"/api/v1/coverage/uploads/{upload_id}",
                        headers={**auth(tokens["viettel"]), "Accept-Language": "en"}).json
    assert failed["status"] == "failed" and "inflates" in failed["error"]["message"]


def test_a_file_without_valid_rows_fails_with_the_reason_by_line(app, client, tokens) -> None:
    content = (DATA / "cam-lo-drive.csv").read_bytes().splitlines(keepends=True)[0] + \
        b"2026-11-18 08:01:10,99.0,106.9,8,Viettel,452,04,LTE,-84,-9,18,62.5,21.3,24,outdoor,x\n"
    location = create(client, tokens["viettel"], len(content)).headers["Location"]
    patch(client, tokens["viettel"], location, 0, content)
    assert jobs.work_once(app.extensions["phusong.sessionmaker"], worker(app))[1] == "failed"
    upload_id = client.get(location, headers=auth(tokens["viettel"])).json["upload"]
    failed = client.get(f"/api/v1/coverage/uploads/{upload_id}", headers=auth(tokens["viettel"])).json
    assert failed["status"] == "failed" and "Không dòng nào hợp lệ" in failed["error"]["message"]
    assert failed["error"]["details"][0]["line"] == 2
    assert failed["error"]["details"][0]["reason"]


def test_a_browser_session_sends_pieces_larger_than_one_form_request(app, client, tokens) -> None:
    from tests.conftest import csrf_from, login
    from tests.factories import PASSWORD

    app.config["MAX_CONTENT_LENGTH"] = 1000  # a form's limit; a tus piece may be larger
    login(client, "viettel-up", PASSWORD)
    csrf = {"X-CSRFToken": csrf_from(client.get("/coverage/uploads").get_data(as_text=True))}
    content = (DATA / "cam-lo-drive.csv").read_bytes()
    assert len(content) > 1000
    created = client.post("/api/v1/coverage/resumable", headers={
        **csrf, **TUS, "Upload-Length": str(len(content)),
        "Upload-Metadata": metadata(filename="drive.csv")})
    assert created.status_code == 201
    sent = client.patch(created.headers["Location"], data=content, headers={
        **csrf, **TUS, "Upload-Offset": "0", "Content-Type": OCTETS})
    assert sent.status_code == 204 and sent.headers["Upload-Offset"] == str(len(content))
    no_token = client.post("/api/v1/coverage/resumable", headers={
        **TUS, "Upload-Length": "5", "Upload-Metadata": metadata(filename="a.csv")})
    assert no_token.status_code == 400 and no_token.json["code"] == "400.3"
