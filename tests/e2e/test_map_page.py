"""The coverage map of a demo commune in real headless Chromium: hexagons and villages drawn as the
API serves them, with basemap tiles that cannot load and with no tile URL at all."""

from __future__ import annotations

import re
from pathlib import Path

import h3
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from surveys.coverage.uploads import import_upload
from surveys.models import Partner, User
from tests.e2e.conftest import PHONE, log_in, readme_image, screenshot
from tests.factories import auth, make_token

pytestmark = pytest.mark.browser
ROOT = Path(__file__).parents[2]
DATA = ROOT / "tests" / "data" / "coverage"
UNREACHABLE_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"  # the discard port: connection refused


@pytest.fixture
def demo(runner, db):
    result = runner.invoke(args=["load-demo", "--with-data"])
    assert result.exit_code == 0, result.output
    viettel = db.scalar(select(Partner).where(Partner.slug == "viettel"))
    with (DATA / "cam-lo-drive.csv").open("rb") as stream:
        assert import_upload(db, viettel, None, "cam-lo-drive.csv", stream,
                             format_name=None).upload.accepted == 7
    token = make_token(db, db.scalar(select(User).where(User.username == "demo-staff")))
    db.commit()
    return token


def api_counts(client, token: str) -> tuple[int, int]:
    hexes = client.get("/api/v1/coverage/hexes?commune=cam-lo", headers=auth(token)).json
    villages = client.get("/api/v1/indicators/map?commune=cam-lo&code=hh_4g_home",
                          headers=auth(token)).json
    return len(hexes["features"]), sum(1 for f in villages["features"] if f["geometry"])


def drawn(driver) -> tuple[int, int]:
    return (len(driver.find_elements(By.CSS_SELECTOR, "#map path.hex")),
            len(driver.find_elements(By.CSS_SELECTOR, "#map path.village")))


def open_map(driver, url: str) -> None:
    driver.get(url)
    WebDriverWait(driver, 30).until(
        lambda d: d.find_element(By.ID, "map").get_attribute("data-ready") in ("true", "error"))
    assert driver.find_element(By.ID, "map").get_attribute("data-ready") == "true"


@pytest.mark.parametrize("tiles", [UNREACHABLE_TILES, ""], ids=["tiles-unreachable", "no-tiles"])
def test_map_draws_hexagons_and_villages(app, client, browser, server, demo, tiles):
    app.config["MAP_TILE_URL"] = tiles
    hexes, villages = api_counts(client, demo)
    assert hexes >= 10 and villages == 7  # the demo households' cells and Cam Lộ's seven thôn
    driver = browser
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**PHONE, "width": 360, "height": 780})
    log_in(driver, server.url, "demo-staff", "phusong-demo")
    url = f"{server.url}/communes/cam-lo/map"
    open_map(driver, url)
    assert drawn(driver) == (hexes, villages)
    element = driver.find_element(By.ID, "map")
    assert element.get_attribute("data-hexes") == str(hexes)
    assert len(driver.find_elements(By.CSS_SELECTOR, "#map path.boundary")) == 1
    driver.find_element(By.CSS_SELECTOR, ".map-legend summary").click()  # folded on a phone
    legend = driver.find_element(By.CSS_SELECTOR, ".map-legend").text
    assert "5G" in legend and "4G" in legend and "80–100 %" in legend
    driver.find_element(By.CSS_SELECTOR, ".map-legend summary").click()
    if tiles:
        assert len(driver.find_elements(By.CSS_SELECTOR, "#map img.leaflet-tile")) > 0
    else:
        assert driver.find_elements(By.CSS_SELECTOR, "#map img.leaflet-tile") == []
        assert "no-tiles" in element.get_attribute("class")
    # A 360-px phone: nothing scrolls sideways.
    assert driver.execute_script("return document.documentElement.scrollWidth") <= 360

    # Click a hexagon: its counts and medians, numbers in Vietnamese.
    driver.execute_script("""
        const path = document.querySelector('#map path.hex');
        const box = path.getBoundingClientRect();
        path.dispatchEvent(new MouseEvent('click', {bubbles: true, clientX: box.x + box.width / 2,
                                                    clientY: box.y + box.height / 2}));""")
    popup = WebDriverWait(driver, 10).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".leaflet-popup-content"))[0]
    assert len(popup.find_elements(By.CSS_SELECTOR, "table.map-popup tr")) >= 8
    assert not re.search(r"\d\.\d{1,2}\b", popup.text)  # Vietnamese decimals: 29,34 not 29.34

    # Gap view: the populated cells without usable 4G/5G are outlined in red.
    driver.find_element(By.CSS_SELECTOR, "input[name=gap]").click()
    gaps = client.get("/api/v1/coverage/hexes?commune=cam-lo", headers=auth(demo)).json
    outlined = driver.execute_script(
        "return [...document.querySelectorAll('#map path.hex')]"
        ".filter(p => p.getAttribute('stroke') === '#d50000').length")
    assert outlined == sum(1 for f in gaps["features"] if f["properties"]["gap"])

    # A filter reloads from the API: 4G only.
    four = client.get("/api/v1/coverage/hexes?commune=cam-lo&technology=4g", headers=auth(demo)).json
    driver.find_element(By.CSS_SELECTOR, "select[name=technology] option[value='4g']").click()
    WebDriverWait(driver, 30).until(
        lambda d: d.find_element(By.ID, "map").get_attribute("data-ready") == "true"
        and drawn(d)[0] == len(four["features"]))

    name = "map-phone" if tiles == "" else "map-phone-tiles-unreachable"
    driver.find_element(By.CSS_SELECTOR, "input[name=gap]").click()
    driver.find_element(By.CSS_SELECTOR, "select[name=technology] option[value='']").click()
    WebDriverWait(driver, 30).until(lambda d: drawn(d) == (hexes, villages))
    driver.execute_script("document.querySelector('.leaflet-popup-close-button')?.click()")
    WebDriverWait(driver, 10).until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".leaflet-popup"))
    driver.execute_script("document.activeElement.blur();"
                          "document.getElementById('map').scrollIntoView({block: 'end'})")
    screenshot(driver, name)

    # Survey points (off at first), clustered: every located household is in a bubble or a dot.
    shown = driver.execute_script("""
        const data = JSON.parse(document.getElementById('map-data').textContent);
        const label = [...document.querySelectorAll('.leaflet-control-layers-overlays label')]
          .find(l => l.textContent.includes(data.strings.points));
        label.querySelector('input').click();
        const bubbles = [...document.querySelectorAll('#map .point-cluster span')]
          .map(s => parseInt(s.textContent.replace(/\\D/g, ''), 10));
        return [data.points.length, document.querySelectorAll('#map path.point').length,
                bubbles.reduce((a, b) => a + b, 0), bubbles.length];""")
    points, dots, in_bubbles, bubbles = shown
    assert points > 100 and dots + in_bubbles == points and bubbles > 0
    screenshot(driver, f"{name}-points")
    if name == "map-phone":
        readme_image("map-phone")

    # A desktop window draws the same.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    open_map(driver, url)
    assert drawn(driver) == (hexes, villages)
    screenshot(driver, f"{name.replace('phone', 'desktop')}")


def test_street_zoom_asks_for_the_window_alone(app, client, browser, server, demo):
    """At zoom 15 and closer the map asks for the window's hexagons at resolution 10 (bbox), and
    a link with #zoom/lat/lon opens that place."""
    app.config["MAP_TILE_URL"] = ""
    fine = client.get("/api/v1/coverage/hexes?commune=cam-lo&resolution=10", headers=auth(demo)).json
    cell = next(f["properties"]["h3"] for f in fine["features"] if f["properties"]["n"])
    lat, lon = h3.cell_to_latlng(cell)
    driver = browser
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**PHONE, "width": 360, "height": 780})
    log_in(driver, server.url, "demo-staff", "phusong-demo")
    open_map(driver, f"{server.url}/communes/cam-lo/map#16/{lat:.5f}/{lon:.5f}")
    element = driver.find_element(By.ID, "map")
    assert element.get_attribute("data-resolution") == "10"
    shown = int(element.get_attribute("data-hexes"))
    assert 1 <= shown < len(fine["features"])  # the window, not the commune
    assert drawn(driver)[0] == shown
    asked = driver.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; })"
        ".filter(function (n) { return n.indexOf('/coverage/hexes') >= 0; })")
    assert any("resolution=10" in url and "bbox=" in url for url in asked), asked
    assert driver.execute_script("return window.location.hash").startswith("#16/")

    # Panning asks for the new window's hexagons, not the villages again (they do not depend on it).
    def requests(path: str) -> int:
        return driver.execute_script(
            "var path = arguments[0]; return performance.getEntriesByType('resource')"
            ".filter(function (e) { return e.name.indexOf(path) >= 0; }).length;", path)
    before = requests("/coverage/hexes"), requests("/indicators/map")
    driver.find_element(By.ID, "map").click()
    driver.find_element(By.ID, "map").send_keys(Keys.ARROW_RIGHT)
    WebDriverWait(driver, 30).until(lambda d: requests("/coverage/hexes") > before[0]
                                    and d.find_element(By.ID, "map").get_attribute("data-ready")
                                    == "true")
    assert requests("/indicators/map") == before[1] == 1
    assert not driver.execute_script("return window.location.hash").endswith(f"/{lon:.5f}")
