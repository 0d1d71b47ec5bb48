"""A surveyor on a phone with no signal: the household waits on the phone and arrives exactly once.

"Offline" here is real: DevTools' offline emulation for the page AND the server stopped with its
connections cut (emulation alone does not stop a service worker's own fetches).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import func, select

from surveys.models import Submission, Village
from tests.e2e.conftest import fill_household, log_in, readme_image, screenshot
from tests.factories import PASSWORD, household_answers, make_commune, make_user

pytestmark = pytest.mark.browser
# The factory commune's villages: Thôn 1 at (16.75, 106.95), Thôn 2 at (16.76, 106.96).
LAT, LON = 16.7612, 106.9631  # nearer Thôn 2, so the preselection is the GPS's doing, not the first option
PRECACHED = ["/surveys/household", "/static/css/app.css", "/static/js/xpath.js", "/static/js/form.js",
             "/static/img/icon.svg", "/static/manifest.webmanifest"]


def rows(db) -> list[Submission]:
    db.expire_all()
    return list(db.scalars(select(Submission).order_by(Submission.id)))


def outbox(driver, key: str = "waiting") -> str | None:
    return driver.find_element(By.ID, "outbox").get_attribute(f"data-{key}")


def set_offline(driver, offline: bool) -> None:
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})


def go_offline(driver, server) -> None:
    set_offline(driver, True)
    server.stop()
    assert not server.reachable()


def reassert_offline(driver) -> None:
    """Chromium 150 does not carry the emulated offline state into a document loaded while
    offline (navigator.onLine is true there, so the network's return fires no `online` event,
    unlike a phone whose signal comes back): toggle it so the new page knows it is offline."""
    set_offline(driver, False)
    set_offline(driver, True)


def come_back(driver, server) -> None:
    server.start()  # the same port, app and database
    set_offline(driver, False)


def open_form(driver, server, db, username: str = "surveyor1"):
    make_user(db, username, commune=make_commune(db))
    db.commit()
    driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": server.url, "permissions": ["geolocation"]})
    driver.execute_cdp_cmd("Emulation.setGeolocationOverride",
                           {"latitude": LAT, "longitude": LON, "accuracy": 15})
    log_in(driver, server.url, username, PASSWORD)
    assert driver.current_url == f"{server.url}/surveys/household"
    return WebDriverWait(driver, 30)


def speedtest_photo(folder: Path) -> Path:
    path = folder / "speedtest.jpg"
    Image.new("RGB", (320, 640), (11, 93, 91)).save(path, "JPEG")
    return path


def test_offline_household_is_queued_survives_reload_and_arrives_once(
        browser, server, db, tmp_path):
    driver = browser
    wait = open_form(driver, server, db)

    # The FIRST visit is enough: no reload, the service worker already controls this page and holds
    # the form and its files.
    wait.until(lambda d: d.execute_script("return !!navigator.serviceWorker.controller"))
    cached = driver.execute_async_script("""
        const [urls, done] = arguments;
        Promise.all(urls.map(u => caches.match(u).then(r => r ? null : u)))
          .then(missing => done(missing.filter(Boolean)));
    """, PRECACHED)
    assert cached == [], f"not precached on the first visit: {cached}"

    wait.until(lambda d: d.find_element(By.NAME, "lat").get_attribute("value"))
    assert float(driver.find_element(By.NAME, "lat").get_attribute("value")) == pytest.approx(LAT)
    assert float(driver.find_element(By.NAME, "lon").get_attribute("value")) == pytest.approx(LON)
    assert driver.find_element(By.NAME, "accuracy_m").get_attribute("value") == "15"
    assert driver.find_element(By.ID, "village").get_attribute("value") == "thon-2"
    assert "15 m" in driver.find_element(By.ID, "gps").text
    assert not driver.find_element(By.ID, "q-members_total").is_displayed()  # consent comes first
    screenshot(driver, "form-phone")
    readme_image("form-phone")

    answers = household_answers(household_code=None, fixed_speed_mbps=None, speedtest_upload_mbps=None,
                                speedtest_latency_ms=None,
                                mobile_operators=["viettel", "vinaphone", "mobifone"])
    fill_household(driver, answers)
    driver.find_element(By.ID, "photo").send_keys(str(speedtest_photo(tmp_path)))
    answers["photo"] = "speedtest.jpg"
    assert not driver.find_element(By.ID, "q-fiber_available").is_displayed()  # they have fibre
    assert driver.find_element(By.ID, "fiber_available-0").get_attribute("disabled")

    # No signal at all, then "Save".
    go_offline(driver, server)
    first_id = driver.find_element(By.NAME, "instance_id").get_attribute("value")
    driver.find_element(By.ID, "submit").click()
    wait.until(lambda d: outbox(d) == "1")
    assert "1" in driver.find_element(By.ID, "outbox").text
    assert driver.find_element(By.ID, "outbox").is_displayed()
    # Ready for the next household: a new instance_id, answers cleared, the village kept.
    assert driver.find_element(By.NAME, "instance_id").get_attribute("value") != first_id
    assert driver.find_element(By.ID, "village").get_attribute("value") == "thon-2"
    assert not driver.find_element(By.ID, "consent-0").is_selected()
    assert driver.execute_script("return document.getElementById('photo').files.length") == 0
    screenshot(driver, "queued-offline")
    assert rows(db) == []

    # Still offline and the server down: the page comes from the service worker's cache, the
    # household from IndexedDB.
    driver.get(f"{server.url}/surveys/household")
    wait.until(lambda d: d.find_elements(By.ID, "survey-form") and outbox(d) == "1")
    assert driver.execute_script("return !!navigator.serviceWorker.controller")
    assert not server.reachable()
    reassert_offline(driver)

    come_back(driver, server)
    wait.until(lambda d: outbox(d) == "0")
    stored = rows(db)
    assert len(stored) == 1
    record = stored[0]
    assert record.instance_id == first_id
    assert record.answers == answers
    assert record.village.slug == "thon-2"
    assert (record.lat, record.lon, record.accuracy_m) == (pytest.approx(LAT), pytest.approx(LON), 15)
    assert record.location_source == "gps"
    # The photo went along, from the bytes kept in IndexedDB while the phone was offline.
    assert [(a.question, a.width, a.height) for a in record.attachments] == [("photo", 320, 640)]
    wait.until(lambda d: str(record.id) in d.find_element(By.ID, "outbox").text)  # "sent (no. N)"

    # The next household: consent refused, then a nervous double tap, and a double submit that
    # gets past the button (the IndexedDB key must hold).
    fill_household(driver, {"consent": "no"})
    assert not driver.find_element(By.ID, "q-members_total").is_displayed()
    assert not driver.find_element(By.CSS_SELECTOR, "fieldset[data-group=answers]").is_displayed()
    second_id = driver.find_element(By.NAME, "instance_id").get_attribute("value")
    driver.execute_script("const b = document.getElementById('submit'); b.click(); b.click();")
    wait.until(lambda d: len(rows(db)) == 2 and outbox(d) == "0")
    assert rows(db)[1].answers == {"consent": "no"}
    assert rows(db)[1].instance_id == second_id

    fill_household(driver, {"consent": "no"})
    third_id = driver.find_element(By.NAME, "instance_id").get_attribute("value")
    driver.execute_script("""
        const f = document.getElementById('survey-form');
        document.getElementById('submit').disabled = false;  // as if the first tap had not landed yet
        f.dispatchEvent(new Event('submit', {cancelable: true}));
        document.getElementById('submit').disabled = false;
        f.dispatchEvent(new Event('submit', {cancelable: true}));""")
    wait.until(lambda d: len(rows(db)) == 3 and outbox(d) == "0")
    assert [r.instance_id for r in rows(db)] == [first_id, second_id, third_id]
    assert driver.current_url == f"{server.url}/surveys/household"  # no plain POST slipped through


def test_a_refused_household_stays_visible_and_is_retried(
        browser, server, db):
    driver = browser
    wait = open_form(driver, server, db)
    wait.until(lambda d: d.execute_script("return !!navigator.serviceWorker.controller"))
    wait.until(lambda d: d.find_element(By.ID, "village").get_attribute("value") == "thon-2")
    fill_household(driver, {"consent": "no"})
    go_offline(driver, server)
    driver.find_element(By.ID, "submit").click()
    wait.until(lambda d: outbox(d) == "1")

    # While the phone was away, the village was renamed: the server refuses the household (422).
    village = db.scalar(select(Village).where(Village.slug == "thon-2"))
    village.slug = "thon-2-moved"
    db.commit()
    come_back(driver, server)
    wait.until(lambda d: outbox(d, "failed") == "1")
    assert outbox(driver) == "0"
    problem = driver.find_element(By.CSS_SELECTOR, "#outbox li.failed").text
    assert "village: Không có thôn thon-2 trong xã." in problem, problem  # in the surveyor's language
    screenshot(driver, "refused-visible")
    assert rows(db) == []

    # Fixed on the server; the next time the form opens the household goes again.
    village.slug = "thon-2"
    db.commit()
    driver.refresh()
    wait.until(lambda d: outbox(d, "failed") == "0" and outbox(d) == "0")
    assert [r.answers for r in rows(db)] == [{"consent": "no"}]


def test_a_household_waits_for_its_surveyor_to_log_in_again(
        browser, server, db):
    driver = browser
    wait = open_form(driver, server, db)
    wait.until(lambda d: d.find_element(By.ID, "village").get_attribute("value") == "thon-2")
    fill_household(driver, {"consent": "no"})
    go_offline(driver, server)
    driver.find_element(By.ID, "submit").click()
    wait.until(lambda d: outbox(d) == "1")

    driver.delete_all_cookies()  # the session ended while the phone was away
    come_back(driver, server)
    wait.until(lambda d: "đăng nhập lại" in d.find_element(By.ID, "outbox").text)
    assert outbox(driver) == "1"
    assert rows(db) == []

    log_in(driver, server.url, "surveyor1", PASSWORD)  # back on the form, which sends what waited
    wait.until(lambda d: d.find_elements(By.ID, "outbox") and outbox(d) == "0")
    assert [r.answers for r in rows(db)] == [{"consent": "no"}]


def test_rules_show_as_you_type(browser, server, db):
    driver = browser
    wait = open_form(driver, server, db)
    wait.until(lambda d: d.find_element(By.ID, "village").get_attribute("value"))  # from the GPS
    fill_household(driver, {"consent": "yes", "members_total": 2, "members_adult": 5})
    driver.find_element(By.ID, "members_total").click()  # leave the field: change fires
    error = driver.find_element(By.ID, "err-members_adult")
    wait.until(lambda d: error.text)
    assert error.text == "Không được lớn hơn số người trong hộ."
    assert driver.find_element(By.ID, "members_adult").get_attribute("aria-invalid") == "true"
    fill_household(driver, {"mobile_operators": ["viettel", "none"]})
    wait.until(lambda d: d.find_element(By.ID, "err-mobile_operators").text)

    driver.find_element(By.ID, "submit").click()
    wait.until(lambda d: d.find_element(By.ID, "err-mobile_best_technology").text)
    assert driver.find_element(By.ID, "err-mobile_best_technology").text == "Câu hỏi này bắt buộc."
    # Focus goes to the first problem, and the summary above the button says why nothing was saved.
    assert driver.switch_to.active_element.get_attribute("id") == "members_adult"
    assert driver.find_element(By.CSS_SELECTOR, "#survey-form > .alert.error").is_displayed()
    screenshot(driver, "rules-errors")
    assert outbox(driver) in (None, "0")

    fill_household(driver, {"members_adult": 2})
    driver.find_element(By.ID, "members_total").click()
    wait.until(lambda d: not error.text)
    assert driver.find_element(By.ID, "members_adult").get_attribute("aria-invalid") is None
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Submission)) == 0
