"""The form says so before saving when the phone's position is outside the surveyor's commune or far
from the chosen village, and picks the village from the position only inside the commune."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.e2e.conftest import log_in, screenshot
from tests.factories import PASSWORD, make_commune, make_user

pytestmark = pytest.mark.browser
# The factory commune's villages: Thôn 1 at (16.75, 106.95), Thôn 2 at (16.76, 106.96).
BOUNDARY = {"type": "Polygon", "coordinates": [[[106.90, 16.70], [107.00, 16.70], [107.00, 16.80],
                                                [106.90, 16.80], [106.90, 16.70]]]}
CAM_DUE = (18.27, 105.62)  # Hà Tĩnh, about 190 km away
INSIDE_FAR = (16.715, 106.915)  # inside the commune, about 5 km from Thôn 1
NEAR_THON_2 = (16.7612, 106.9631)


def open_form(driver, server, where):
    driver.execute_cdp_cmd("Emulation.setGeolocationOverride",
                           {"latitude": where[0], "longitude": where[1], "accuracy": 10})
    driver.get(server.url + "/surveys/household")
    WebDriverWait(driver, 20).until(lambda d: d.find_element(By.NAME, "lat").get_attribute("value"))


def warning(driver) -> str:
    element = driver.find_element(By.ID, "gps-warning")
    return element.text if element.is_displayed() else ""


def test_position_outside_the_commune_or_far_from_the_village_is_said_before_saving(
        browser, server, db):
    commune = make_commune(db)
    commune.boundary = BOUNDARY
    make_user(db, "surveyor1", commune=commune)
    db.commit()
    driver = browser
    driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": server.url, "permissions": ["geolocation"]})
    log_in(driver, server.url, "surveyor1", PASSWORD)

    open_form(driver, server, CAM_DUE)
    text = warning(driver)
    assert "ngoài Xã Cam Lộ" in text and "km" in text
    assert driver.find_element(By.ID, "village").get_attribute("value") == ""  # nothing chosen silently
    screenshot(driver, "form-outside-commune")

    open_form(driver, server, INSIDE_FAR)  # inside: the nearest village is chosen, and it is far
    assert driver.find_element(By.ID, "village").get_attribute("value") == "thon-1"
    assert "Thôn 1" in warning(driver) and "Có đúng thôn này không?" in warning(driver)

    open_form(driver, server, NEAR_THON_2)
    assert driver.find_element(By.ID, "village").get_attribute("value") == "thon-2"
    assert warning(driver) == ""
    Select(driver.find_element(By.ID, "village")).select_by_value("thon-1")  # 1.5 km: within 2 km
    assert warning(driver) == ""
