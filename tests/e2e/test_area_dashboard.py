"""The province of the demo in real headless Chromium (issue 16): the demo province user lands on
Hà Tĩnh's dashboard, sees its 69 communes ranked (those with synthetic households first, with their
intervals) on a phone without sideways scrolling, and the map colours all 69 communes."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from surveys.demo import DEMO_PASSWORD, HA_TINH_COMMUNES
from surveys.indicators import CATALOGUE
from surveys.models import Commune, Submission
from tests.e2e.conftest import PHONE, log_in, screenshot

pytestmark = pytest.mark.browser


def test_the_province_user_sees_the_ranking_and_the_map(browser, server, runner) -> None:
    loaded = runner.invoke(args=["load-demo", "--with-data"])
    assert loaded.exit_code == 0, loaded.output
    driver = browser
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**PHONE, "width": 360, "height": 780})
    log_in(driver, server.url, "demo-province", DEMO_PASSWORD)
    wait = WebDriverWait(driver, 30)
    wait.until(lambda d: d.current_url.endswith("/areas/ha-tinh"))
    assert "Hà Tĩnh" in driver.find_element(By.TAG_NAME, "h1").text
    assert driver.execute_script("return document.documentElement.scrollWidth") <= 360
    assert len(driver.find_elements(By.CSS_SELECTOR, "ul.ind-cards > li.ind-card")) == len(CATALOGUE)

    rows = driver.find_elements(By.CSS_SELECTOR, "#ranking tbody tr")
    assert len(rows) == 69
    with_data = {"cam-due", "cam-xuyen", *(c.slug for c in HA_TINH_COMMUNES)}
    ranked = [row.get_attribute("data-commune") for row in rows]
    assert set(ranked[:len(with_data)]) == with_data  # communes with households come first
    first = rows[0].find_elements(By.TAG_NAME, "td")
    assert first[0].text == "1" and "%" in first[1].text and "–" in first[1].text  # an interval
    assert rows[-1].find_elements(By.TAG_NAME, "td")[1].text  # "no data" in words
    screenshot(driver, "province-dashboard-phone")

    # Another indicator re-ranks the communes (a plain GET form).
    driver.find_element(By.CSS_SELECTOR, "#code option[value='adult_vneid']").click()
    driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    wait.until(lambda d: "code=adult_vneid" in d.current_url)
    assert len(driver.find_elements(By.CSS_SELECTOR, "#ranking tbody tr")) == 69

    # The map: every commune drawn and coloured from the ranking API; a tap opens its dashboard.
    driver.get(server.url + "/areas/ha-tinh/map")
    wait.until(lambda d: d.find_element(By.ID, "area-map").get_attribute("data-loaded"))
    paths = driver.find_elements(By.CSS_SELECTOR, "#area-map path[data-commune]")
    assert len({p.get_attribute("data-commune") for p in paths}) == 69
    due = driver.find_element(By.CSS_SELECTOR, "#area-map path[data-commune='cam-due']")
    assert due.get_attribute("fill") != "#c9d1d6"  # coloured: it has data
    screenshot(driver, "province-map-phone")

    # At street zoom the map asks for the finest hexagons of its window alone (bbox), and the
    # view is kept in the address: a link to a village of Cẩm Duệ opens there.
    with server.app.extensions["phusong.sessionmaker"]() as session:
        lat, lon = session.execute(select(Submission.lat, Submission.lon).join(Commune).where(
            Commune.slug == "cam-due", Submission.lat.is_not(None)).limit(1)).one()
    driver.get(server.url + "/areas/ha-tinh")  # a new document, not a jump within the map's
    driver.get(f"{server.url}/areas/ha-tinh/map#16/{lat:.5f}/{lon:.5f}")
    wait.until(lambda d: d.find_element(By.ID, "area-map").get_attribute("data-street-cells"))
    assert int(driver.find_element(By.ID, "area-map").get_attribute("data-street-cells")) >= 1
    hexes = driver.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; })"
        ".filter(function (n) { return n.indexOf('/coverage/hexes') >= 0; })")
    assert any("resolution=10" in url and "bbox=" in url for url in hexes), hexes
    assert driver.execute_script("return window.location.hash").startswith("#16/")
