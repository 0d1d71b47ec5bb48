"""A partner sends a big coverage file through the page over a link that drops, in real headless
Chromium: the file goes up in pieces with the vendored tus client, the network is cut mid-way
(DevTools offline emulation) and restored, the upload resumes where it stopped, a worker imports
it while the page shows the progress, and exactly one upload is stored.

The issue's figure is a 50 MB file; CI sends about 3 MB (the same code path: more pieces than one,
with a cut between two of them) with requests capped at 256 kB so the file needs a dozen pieces."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from surveys.coverage import jobs
from surveys.models import CoverageUpload, ResumableUpload
from tests.e2e.conftest import log_in, screenshot
from tests.factories import PASSWORD, make_partner, make_user
from tests.integration.test_import_jobs import drive_test

pytestmark = pytest.mark.browser
PIECE = 256 * 1024


def throttle(driver, *, offline: bool) -> None:
    """A slow uplink (about 1 Mbit/s, a weak 3G link), or none at all."""
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": offline, "latency": 20, "downloadThroughput": 1_000_000,
        "uploadThroughput": 160_000})


def test_a_big_file_resumes_after_the_network_is_cut_and_is_imported_once(
        app, browser, server, db, tmp_path):
    app.config["MAX_CONTENT_LENGTH"] = PIECE  # one request carries at most this: the rest in pieces
    content = drive_test(36_000)
    assert len(content) > 10 * PIECE
    path = tmp_path / "drive-month.csv"
    path.write_bytes(content)
    make_user(db, "viettel-up", role="partner", partner=make_partner(db, "viettel", "Viettel"))
    db.commit()

    driver = browser
    log_in(driver, server.url, "viettel-up", PASSWORD)
    driver.get(f"{server.url}/coverage/uploads")
    wait = WebDriverWait(driver, 120)
    wait.until(lambda d: d.find_element(By.ID, "dz-resumable").is_displayed())  # the client loaded
    driver.execute_cdp_cmd("Network.enable", {})
    throttle(driver, offline=False)
    driver.find_element(By.ID, "file").send_keys(str(path))
    driver.find_element(By.ID, "upload-submit").click()
    bar = driver.find_element(By.ID, "upload-progress")
    text = driver.find_element(By.ID, "upload-text")
    wait.until(lambda d: 25 <= int(bar.get_attribute("value")) < 75)

    throttle(driver, offline=True)  # the link drops mid-way
    wait.until(lambda d: "Mất kết nối" in text.text)
    db.expire_all()
    [session] = db.scalars(select(ResumableUpload)).all()
    held = (Path(app.config["UPLOAD_DIR"]) / "coverage-resumable" / session.key).stat().st_size
    assert 0 < held < len(content)  # part of the file is on the server, kept
    screenshot(driver, "coverage-resumable-offline")

    throttle(driver, offline=False)  # and comes back: the upload goes on from the server's offset
    wait.until(lambda d: "chờ nhập" in text.text)  # every byte is in; the bar now follows the import
    db.expire_all()
    [upload] = db.scalars(select(CoverageUpload)).all()
    assert upload.status == "queued" and upload.size_bytes == len(content)
    assert upload.content_sha256 == hashlib.sha256(content).hexdigest()  # every byte, once

    settings = jobs.WorkerSettings(upload_dir=Path(app.config["UPLOAD_DIR"]))
    assert jobs.work_once(app.extensions["phusong.sessionmaker"], settings)[1] == "done"
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#upload-result [data-count]"))
    counts = {e.get_attribute("data-count"): e.text
              for e in driver.find_elements(By.CSS_SELECTOR, "#upload-result [data-count]")}
    db.expire_all()
    [upload] = db.scalars(select(CoverageUpload)).all()
    assert upload.status == "done" and upload.rows == 36_000
    assert counts["rows"].replace(".", "") == "36000"
    assert counts["accepted"].replace(".", "") == str(upload.accepted)
    screenshot(driver, "coverage-resumable-done")
