"""A surveyor on a phone with no signal: the household waits on the phone and arrives exactly once."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import func, select

from surveys.models import Submission
from tests.e2e.conftest import fill_household, log_in, screenshot
from tests.factories import PASSWORD, household_answers, make_commune, make_user

pytestmark = pytest.mark.browser
LAT, LON = 16.7612, 106.9631  # nearest to Thôn 2 of the factory commune


def rows(db) -> list[Submission]:  # type: ignore[no-untyped-def]
    db.expire_all()
    return list(db.scalars(select(Submission).order_by(Submission.id)))


def waiting(driver) -> str | None:  # type: ignore[no-untyped-def]
    return driver.find_element(By.ID, "outbox").get_attribute("data-waiting")


def set_offline(driver, offline: bool) -> None:  # type: ignore[no-untyped-def]
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})


def test_offline_submission_is_queued_survives_reload_and_arrives_once(
        browser_factory, server, db):  # type: ignore[no-untyped-def]
    make_user(db, "surveyor1", commune=make_commune(db))
    db.commit()
    driver = browser_factory()
    wait = WebDriverWait(driver, 30)
    driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": server.url,
                                                        "permissions": ["geolocation"]})
    driver.execute_cdp_cmd("Emulation.setGeolocationOverride",
                           {"latitude": LAT, "longitude": LON, "accuracy": 15})
    log_in(driver, server.url, "surveyor1", PASSWORD)
    assert driver.current_url.endswith("/surveys/household")

    # One online visit is enough: the service worker controls the page and holds the form.
    wait.until(lambda d: d.execute_script("return !!navigator.serviceWorker.controller"))
    assert driver.execute_async_script(
        "const done = arguments[0];"
        "caches.match('/surveys/household').then(r => done(!!r), () => done(false));")
    wait.until(lambda d: d.find_element(By.NAME, "lat").get_attribute("value"))
    assert float(driver.find_element(By.NAME, "lat").get_attribute("value")) == pytest.approx(LAT)
    assert driver.find_element(By.ID, "village").get_attribute("value") == "thon-2"
    assert driver.find_element(By.ID, "q-members_total").is_displayed() is False  # consent first
    screenshot(driver, "form-phone")

    answers = household_answers(household_code=None, fixed_speed_mbps=None,
                                speedtest_download_mbps=None, speedtest_upload_mbps=None,
                                speedtest_latency_ms=None)
    fill_household(driver, answers)
    assert driver.find_element(By.ID, "q-fiber_available").is_displayed() is False  # on fibre

    # No signal at all: DevTools offline for the page, and the server itself unreachable.
    set_offline(driver, True)
    server.stop()
    driver.find_element(By.ID, "submit").click()
    wait.until(lambda d: waiting(d) == "1")
    assert "1" in driver.find_element(By.ID, "outbox").text
    screenshot(driver, "queued-offline")
    assert rows(db) == []

    driver.refresh()  # still offline: the page comes from the service worker, the outbox from IndexedDB
    wait.until(lambda d: d.find_element(By.ID, "survey-form") and waiting(d) == "1")

    server.start()
    set_offline(driver, False)
    wait.until(lambda d: waiting(d) == "0")
    stored = rows(db)
    assert len(stored) == 1
    record = stored[0]
    assert record.answers == answers
    assert record.village.slug == "thon-2"
    assert (record.lat, record.lon) == (pytest.approx(LAT), pytest.approx(LON))
    assert record.location_source == "gps"

    # Next household, with a nervous double tap on the button.
    wait.until(lambda d: not d.find_element(By.ID, "q-members_total").is_displayed())
    fill_household(driver, {"consent": "no"})
    driver.execute_script("const b = document.getElementById('submit'); b.click(); b.click();")
    wait.until(lambda d: len(rows(db)) == 2 and waiting(d) == "0")
    assert [r.answers for r in rows(db)][1] == {"consent": "no"}
    assert len({r.instance_id for r in rows(db)}) == 2


def test_rules_show_as_you_type(browser_factory, server, db):  # type: ignore[no-untyped-def]
    make_user(db, "surveyor1", commune=make_commune(db))
    db.commit()
    driver = browser_factory()
    log_in(driver, server.url, "surveyor1", PASSWORD)
    fill_household(driver, {"consent": "yes", "members_total": 2, "members_adult": 5})
    driver.find_element(By.ID, "members_total").click()  # leave the field: change fires
    error = driver.find_element(By.ID, "err-members_adult")
    WebDriverWait(driver, 10).until(lambda d: error.text)
    assert error.text == "Không được lớn hơn số người trong hộ."
    driver.find_element(By.ID, "submit").click()
    WebDriverWait(driver, 10).until(
        lambda d: d.find_element(By.ID, "err-mobile_best_technology").text)
    assert driver.find_element(By.ID, "err-mobile_best_technology").text == "Câu hỏi này bắt buộc."
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Submission)) == 0
