"""Import jobs of resumable uploads (`flask jobs work`): one worker per job (SKIP LOCKED on
PostgreSQL, a worker lock on SQLite), a crashed worker's job taken up again with nothing left
behind, cancellation, live progress, and the coverage.imported webhook."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from surveys import webhooks
from surveys.coverage import jobs
from surveys.models import (
    Commune,
    CoverageUpload,
    ImportJob,
    Measurement,
    Partner,
    WebhookDelivery,
)
from tests.conftest import csrf_from, login
from tests.factories import PASSWORD, auth, make_token, make_user
from tests.integration.test_coverage_resumable import OCTETS, TUS, metadata

ROOT = Path(__file__).parents[2]
HEADER = ["measured_at", "lat", "lon", "operator", "mcc", "mnc", "technology", "rsrp_dbm",
          "download_mbps", "upload_mbps", "source"]


def drive_test(rows: int, *, seed: int = 0) -> bytes:
    """A drive test around Cam Lộ, one row every two seconds (enough rows for several batches)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    start = datetime(2026, 10, 1, tzinfo=UTC) + timedelta(days=seed)
    for i in range(rows):
        writer.writerow([(start + timedelta(seconds=2 * i)).strftime("%Y-%m-%d %H:%M:%S"),
                         f"{16.7512 + (i % 97) * 0.00002:.6f}", f"{106.9531 + (i % 89) * 0.00002:.6f}",
                         "Viettel", 452, "04", "LTE", -70 - i % 50, 10 + i % 90, 5, "drive-test"])
    return buffer.getvalue().encode()


@pytest.fixture
def token(runner, db):
    assert runner.invoke(args=["load-demo"]).exit_code == 0
    viettel = db.scalar(select(Partner).where(Partner.slug == "viettel"))
    value = make_token(db, make_user(db, "viettel-up", role="partner", partner=viettel))
    db.commit()
    return value


def send(client, token, content: bytes, name: str = "drive.csv") -> int:
    """Upload a file in two pieces; the queued coverage upload's id."""
    created = client.post("/api/v1/coverage/resumable", headers={
        **auth(token), **TUS, "Upload-Length": str(len(content)),
        "Upload-Metadata": metadata(filename=name)})
    location = created.headers["Location"]
    half = len(content) // 2
    for offset, piece in ((0, content[:half]), (half, content[half:])):
        assert client.patch(location, data=piece, headers={
            **auth(token), **TUS, "Upload-Offset": str(offset), "Content-Type": OCTETS}
        ).status_code == 204
    return client.get(location, headers=auth(token)).json["upload"]


def settings(app, **kw) -> jobs.WorkerSettings:
    return jobs.WorkerSettings(upload_dir=Path(app.config["UPLOAD_DIR"]), **kw)


def status(client, token, upload_id):
    return client.get(f"/api/v1/coverage/uploads/{upload_id}", headers=auth(token)).json


CRASHING_WORKER = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from app import create_app
    from surveys.coverage import jobs

    app = create_app({"TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": sys.argv[1],
                      "UPLOAD_DIR": sys.argv[2]})
    settings = jobs.WorkerSettings(upload_dir=Path(sys.argv[2]), worker="doomed")

    def die(done):  # the machine loses power after the first batch of rows
        print(done.rows, flush=True)
        os._exit(9)

    jobs.work_once(app.extensions["phusong.sessionmaker"], settings, on_progress=die)
""")


def test_a_crashed_workers_job_is_taken_up_again_and_imported_once(app, client, db, token):
    upload_id = send(client, token, drive_test(12_000))
    crashed = subprocess.run([sys.executable, "-c", CRASHING_WORKER, app.config["DATABASE_URL"],
                              app.config["UPLOAD_DIR"]], cwd=ROOT, capture_output=True, text=True,
                             timeout=300)
    assert crashed.returncode == 9, crashed.stderr
    assert int(crashed.stdout.split()[0]) == 5000  # it had read and inserted a batch
    db.expire_all()
    job = db.scalar(select(ImportJob))
    assert (job.status, job.attempts, job.worker) == ("importing", 1, "doomed")
    # The import's transaction died with it: nothing of the file is stored.
    assert db.scalar(select(func.count()).select_from(Measurement)) == 0
    assert status(client, token, upload_id)["status"] == "importing"

    factory = app.extensions["phusong.sessionmaker"]
    if db.get_bind().dialect.name == "postgresql":
        # The dead worker's lease still runs: nobody takes the job yet ...
        assert jobs.work_once(factory, settings(app)) is None
        later = datetime.now(UTC) + timedelta(seconds=121)
        taken = jobs.work_once(factory, settings(app), now=later)  # ... then it has run out
    else:
        # SQLite: the worker lock died with the process, so the job is an orphan.
        taken = jobs.work_once(factory, settings(app))
    assert taken == (job.id, "done")
    db.expire_all()
    job = db.get(ImportJob, job.id)
    assert (job.status, job.attempts, job.rows_read) == ("done", 2, 12_000)
    done = status(client, token, upload_id)
    assert done["status"] == "done" and done["rows"] == 12_000
    assert db.scalar(select(func.count()).select_from(Measurement)) == done["accepted"] > 11_000
    assert done["accepted"] + done["duplicates"] + done["rejected"] == 12_000


def test_a_job_whose_workers_keep_dying_fails_with_a_reason(app, client, db, token):
    upload_id = send(client, token, drive_test(20))
    job = db.scalar(select(ImportJob))
    job.status, job.attempts = "importing", 3
    job.lease_until = datetime.now(UTC) - timedelta(seconds=1)
    db.commit()
    assert jobs.work_once(app.extensions["phusong.sessionmaker"], settings(app)) is None
    failed = status(client, token, upload_id)
    assert failed["status"] == "failed" and "3" in failed["error"]["message"]


def test_a_queued_job_can_be_cancelled(app, client, db, token):
    upload_id = send(client, token, drive_test(20))
    cancelled = client.post(f"/api/v1/coverage/uploads/{upload_id}/cancel", headers=auth(token))
    assert cancelled.status_code == 202
    assert cancelled.json["progress"]["cancel_requested"] or cancelled.json["status"] == "cancelled"
    jobs.work_once(app.extensions["phusong.sessionmaker"], settings(app))
    assert status(client, token, upload_id)["status"] == "cancelled"
    assert db.scalar(select(func.count()).select_from(Measurement)) == 0
    assert os.listdir(Path(app.config["UPLOAD_DIR"]) / "coverage-resumable") in ([], [jobs.LOCK_NAME])
    again = client.post(f"/api/v1/coverage/uploads/{upload_id}/cancel", headers=auth(token))
    assert again.status_code == 409


def test_an_importing_job_stops_at_its_next_batch_when_cancelled(app, client, db, token):
    upload_id = send(client, token, drive_test(12_000))
    factory = app.extensions["phusong.sessionmaker"]
    with factory() as session:
        job = jobs.claim(session, settings(app))
        job_id = job.id
    seen = []

    def watch(done) -> None:
        # The partner watches the page, then presses cancel while rows are being read.
        live = status(client, token, upload_id)
        seen.append((live["status"], live["progress"]["rows_read"]))
        if not seen[1:]:
            assert client.post(f"/api/v1/coverage/uploads/{upload_id}/cancel",
                               headers=auth(token)).status_code == 202

    assert jobs.run(factory, settings(app), job_id, on_progress=watch) == "cancelled"
    assert seen == [("importing", 5000)]
    assert status(client, token, upload_id)["status"] == "cancelled"
    assert db.scalar(select(func.count()).select_from(Measurement)) == 0


def test_progress_is_live_with_an_estimate_of_the_time_left(app, client, token):
    upload_id = send(client, token, drive_test(11_000))
    seen = []

    def watch(_done) -> None:
        seen.append(status(client, token, upload_id))

    jobs.work_once(app.extensions["phusong.sessionmaker"], settings(app), on_progress=watch)
    first = seen[0]
    assert first["status"] == "importing"
    assert first["progress"]["rows_read"] == 5000 and first["progress"]["rows_accepted"] > 0
    assert 0 < first["progress"]["bytes_read"] <= first["progress"]["bytes_total"]
    assert first["progress"]["seconds_left"] is not None and first["progress"]["seconds_left"] >= 0
    assert status(client, token, upload_id)["progress"]["rows_read"] == 11_000


def test_two_workers_never_take_the_same_job(app, client, db, token):
    first = send(client, token, drive_test(20, seed=1))
    second = send(client, token, drive_test(20, seed=2))
    factory = app.extensions["phusong.sessionmaker"]
    if db.get_bind().dialect.name == "postgresql":
        # Worker A has locked the first job's row (its claim is still open): B skips it.
        with factory() as a, factory() as b:
            locked = a.scalar(select(ImportJob).order_by(ImportJob.id).limit(1)
                              .with_for_update(skip_locked=True))
            taken = jobs.claim(b, settings(app, worker="b"))
            assert (locked.upload_id, taken.upload_id) == (first, second)
            a.rollback()
        assert jobs.run(factory, settings(app, worker="b"), taken.id) == "done"
    else:
        # SQLite: while one worker holds the worker lock, another takes nothing.
        with jobs._single_writer(settings(app), sqlite=True) as mine:
            assert mine
            assert jobs.work_once(factory, settings(app, worker="b")) is None
    while jobs.work_once(factory, settings(app)) is not None:
        pass
    assert [status(client, token, u)["status"] for u in (first, second)] == ["done", "done"]


def test_the_end_of_an_import_is_told_to_the_communes_webhooks(app, client, db, token):
    commune = db.scalar(select(Commune).where(Commune.slug == "cam-lo"))
    webhooks.create_webhook(db, commune, None, "https://example.org/hook", ["coverage.imported"])
    db.commit()
    upload_id = send(client, token, drive_test(30))
    jobs.work_once(app.extensions["phusong.sessionmaker"], settings(app))
    (delivery,) = db.scalars(select(WebhookDelivery)).all()
    assert delivery.event == "coverage.imported"
    assert delivery.payload["upload"] == upload_id and delivery.payload["status"] == "done"
    assert delivery.payload["accepted"] == db.get(CoverageUpload, upload_id).accepted


def test_the_worker_command_imports_and_says_so(app, client, runner, token):
    upload_id = send(client, token, drive_test(20))
    result = runner.invoke(args=["jobs", "work", "--once"])
    assert result.exit_code == 0 and ": done." in result.output, result.output
    assert status(client, token, upload_id)["status"] == "done"
    assert "No job" in runner.invoke(args=["jobs", "work", "--once"]).output
    assert os.listdir(Path(app.config["UPLOAD_DIR"]) / "coverage-resumable") in (
        [], [jobs.LOCK_NAME])



def test_the_upload_page_shows_the_import_and_cancels_it_without_javascript(app, client, db, token):
    upload_id = send(client, token, drive_test(20))
    login(client, "viettel-up", PASSWORD)
    page = client.get(f"/coverage/uploads/{upload_id}").get_data(as_text=True)
    assert "Đã nhận đủ tệp; đang chờ nhập dữ liệu." in page and 'id="import-status"' in page
    cancelled = client.post(f"/coverage/uploads/{upload_id}/cancel",
                            data={"csrf_token": csrf_from(page)})
    assert cancelled.status_code == 302
    jobs.work_once(app.extensions["phusong.sessionmaker"], settings(app))
    page = client.get(f"/coverage/uploads/{upload_id}").get_data(as_text=True)
    assert "Đã huỷ tệp tải lên; không lưu gì." in page and 'id="import-status"' not in page
    listing = client.get("/coverage/uploads").get_data(as_text=True)
    assert "tus.min.js" in listing and 'data-resumable="/api/v1/coverage/resumable"' in listing


def test_an_upload_being_imported_cannot_be_deleted_but_a_queued_one_can(app, client, db, token):
    upload_id = send(client, token, drive_test(20))
    with app.extensions["phusong.sessionmaker"]() as session:
        jobs.claim(session, settings(app))
    busy = client.delete(f"/api/v1/coverage/uploads/{upload_id}", headers=auth(token))
    assert busy.status_code == 409 and busy.json["code"] == "409.3"
    queued = send(client, token, drive_test(20, seed=3))
    assert client.delete(f"/api/v1/coverage/uploads/{queued}", headers=auth(token)).status_code == 204
    assert db.scalar(select(func.count()).select_from(ImportJob)) == 1
