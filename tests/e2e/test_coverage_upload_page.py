"""A telecom partner uploads a coverage file through the web page, in real headless Chromium:
chosen with the file input or dropped on the zone, sent with a progress bar, counts shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from surveys.models import CoverageUpload
from tests.e2e.conftest import PHONE, log_in, screenshot
from tests.factories import PASSWORD, make_partner, make_user

pytestmark = pytest.mark.browser
DATA = Path(__file__).parents[1] / "data" / "coverage"
DROP = """
    const [text, name] = arguments;
    const dt = new DataTransfer();
    dt.items.add(new File([text], name, {type: 'text/csv'}));
    const zone = document.getElementById('dropzone');
    for (const type of ['dragenter', 'dragover', 'drop']) {
      zone.dispatchEvent(new DragEvent(type, {dataTransfer: dt, bubbles: true, cancelable: true}));
    }
"""


def open_page(driver, server, db):
    make_user(db, "viettel-up", role="partner", partner=make_partner(db, "viettel", "Viettel"))
    db.commit()
    log_in(driver, server.url, "viettel-up", PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "a[href='/coverage/uploads']").click()  # from the home page
    wait = WebDriverWait(driver, 30)
    wait.until(lambda d: d.find_elements(By.ID, "dropzone"))
    return wait


def shown(driver) -> dict[str, str]:
    return {e.get_attribute("data-count"): e.text
            for e in driver.find_elements(By.CSS_SELECTOR, "#upload-result [data-count]")}


def stored(db) -> list[CoverageUpload]:
    db.expire_all()
    return list(db.scalars(select(CoverageUpload)))


def test_partner_uploads_through_the_file_input(browser, server, db):
    driver = browser
    wait = open_page(driver, server, db)
    driver.find_element(By.ID, "file").send_keys(str(DATA / "cam-lo-drive.csv"))
    assert "cam-lo-drive.csv" in driver.find_element(By.ID, "dz-chosen").text
    driver.find_element(By.ID, "upload-submit").click()
    wait.until(lambda d: shown(d))

    [upload] = stored(db)
    assert shown(driver) == {"rows": str(upload.rows), "accepted": str(upload.accepted),
                             "rejected": str(upload.rejected), "duplicates": str(upload.duplicates),
                             "warnings": str(upload.warnings)}
    assert (upload.accepted, upload.rejected) == (7, 6)
    progress = driver.find_element(By.ID, "upload-progress")
    assert progress.is_displayed() and progress.get_attribute("value") == "100"
    assert driver.find_element(By.ID, "upload-text").text == "Đã lưu tệp tải lên."
    screenshot(driver, "coverage-upload-phone")

    driver.find_element(By.LINK_TEXT, "Xem tệp đã tải lên").click()
    wait.until(lambda d: d.current_url.endswith(f"/coverage/uploads/{upload.id}"))
    assert "tọa độ sai" in driver.page_source
    # A 360-px phone: neither page scrolls sideways (the issues table scrolls inside its own box).
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**PHONE, "width": 360, "height": 780})
    for url in (driver.current_url, f"{server.url}/coverage/uploads"):
        driver.get(url)
        assert driver.execute_script("return document.documentElement.scrollWidth") <= 360
    driver.get(f"{server.url}/coverage/uploads/{upload.id}")
    screenshot(driver, "coverage-upload-detail-360")


def test_a_dropped_file_is_uploaded_and_a_refused_one_says_why(browser, server, db):
    driver = browser
    wait = open_page(driver, server, db)
    driver.execute_script(DROP, (DATA / "cam-lo-drive.csv").read_text("utf-8"), "x.csv")
    assert "x.csv" in driver.find_element(By.ID, "dz-chosen").text
    driver.find_element(By.ID, "upload-submit").click()
    wait.until(lambda d: shown(d))
    [upload] = stored(db)
    assert upload.filename == "x.csv"
    assert shown(driver)["accepted"] == str(upload.accepted) == "7"
    assert driver.find_element(By.ID, "upload-progress").get_attribute("value") == "100"

    bad = "measured_at,lat,lon,technology,rsrp_dbm\n2026-11-18 08:00,95,106.9,LTE,-90\n"
    driver.execute_script(DROP, bad, "bad.csv")
    driver.find_element(By.ID, "upload-submit").click()
    status = driver.find_element(By.ID, "upload-text")
    wait.until(lambda d: "error" in status.get_attribute("class"))
    assert status.text == "Dữ liệu chưa hợp lệ, hãy xem các trường được nêu."
    result = driver.find_element(By.ID, "upload-result").text
    assert "Không dòng nào hợp lệ (1 dòng); không lưu gì." in result and "Dòng 2, lat: tọa độ sai" in result
    screenshot(driver, "coverage-upload-refused")
    assert len(stored(db)) == 1
