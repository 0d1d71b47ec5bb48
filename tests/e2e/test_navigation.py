"""A new user on a 360-px phone finds every page by tapping: each role lands on its main page, its
menu reaches every page of the role (review with the number waiting), nothing scrolls sideways and
the account name is shown whole."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.conftest import PHONE, log_in, screenshot
from tests.factories import (
    PASSWORD,
    auth,
    make_commune,
    make_partner,
    make_token,
    make_user,
    submission_payload,
)

pytestmark = pytest.mark.browser

MENUS = {
    "surveyor": ["form", "outbox", "mine"],
    "staff": ["dashboard", "map", "review", "targets", "exports", "admin", "audit", "form"],
    "partner": ["uploads", "formats"],
    "admin": ["communes", "partners"],
}
LANDING = {"surveyor": "/surveys/household", "staff": "/communes/cam-lo/dashboard",
           "partner": "/coverage/uploads", "admin": "/"}


@pytest.fixture
def people(db, client):
    commune = make_commune(db)
    surveyor = make_user(db, "surveyor1", commune=commune)
    surveyor.display_name = "Điều tra viên mẫu Nguyễn Thị Hồng Nhung"
    make_user(db, "staff1", role="staff", commune=commune)
    make_user(db, "viettel1", role="partner", partner=make_partner(db))
    make_user(db, "root", role="admin")
    token = make_token(db, surveyor)
    db.commit()
    for _ in range(2):  # two households wait for review
        assert client.post("/api/v1/submissions", json=submission_payload(),
                           headers=auth(token)).status_code == 201
    return {"surveyor": "surveyor1", "staff": "staff1", "partner": "viettel1", "admin": "root"}


def menu_keys(driver) -> list[str]:
    return [a.get_attribute("data-nav") for a in driver.find_elements(By.CSS_SELECTOR, ".site-menu a")]


def open_menu(driver) -> None:
    driver.execute_script("document.querySelector('.site-menu details')?.setAttribute('open', '')")


def fits(driver) -> bool:
    return driver.execute_script("return document.documentElement.scrollWidth") <= 360


def tap_through(driver, base: str, keys: list[str]) -> None:
    """Tap every item of the menu in turn: each page answers (no error page) and fits the phone."""
    for key in keys:
        open_menu(driver)
        link = driver.find_element(By.CSS_SELECTOR, f".site-menu a[data-nav='{key}']")
        href = link.get_attribute("href")
        link.click()
        page = href.split("#")[0]
        WebDriverWait(driver, 20).until(lambda d, p=page: d.current_url.split("#")[0].startswith(p))
        assert not driver.find_elements(By.CSS_SELECTOR, "main .error-page"), key
        assert driver.find_elements(By.CSS_SELECTOR, ".site-menu"), f"{key}: no menu on {href}"
        assert fits(driver), f"{key}: {href} scrolls sideways on a 360-px phone"
        if "#" not in href:
            current = driver.find_elements(By.CSS_SELECTOR, ".site-menu a[aria-current=page]")
            assert [a.get_attribute("data-nav") for a in current] == [key], href


@pytest.mark.parametrize("role", ["surveyor", "staff", "partner", "admin"])
def test_each_role_lands_on_its_page_and_reaches_every_page_by_tapping(
        role, people, browser, server):
    driver = browser
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**PHONE, "width": 360, "height": 780})
    log_in(driver, server.url, people[role], PASSWORD)
    assert driver.current_url == server.url + LANDING[role]
    assert menu_keys(driver)[:len(MENUS[role])] == MENUS[role]
    who = driver.find_element(By.CSS_SELECTOR, ".top .who")
    assert driver.execute_script("const e = arguments[0]; return e.scrollWidth <= e.clientWidth", who)
    if role == "surveyor":
        assert "Nguyễn Thị Hồng Nhung" in who.text  # the whole name, not "Điều tra viên mẫ…"
        assert who.is_displayed()
    if role == "staff":
        review = driver.find_element(By.CSS_SELECTOR, ".site-menu a[data-nav=review] .count")
        assert driver.execute_script("return arguments[0].textContent", review) == "2"
    screenshot(driver, f"menu-{role}")
    tap_through(driver, server.url, MENUS[role])

    if role == "surveyor":  # the outbox answers even when nothing waits
        driver.find_element(By.CSS_SELECTOR, ".site-menu a[data-nav=outbox]").click()
        WebDriverWait(driver, 20).until(lambda d: d.find_element(By.ID, "outbox").is_displayed())
        assert "không có phiếu nào đang chờ" in driver.find_element(By.ID, "outbox").text

    if role == "admin":  # no commune of their own: the home page is the commune picker
        driver.get(server.url + "/")
        driver.find_element(By.CSS_SELECTOR, "a.pick").click()
        WebDriverWait(driver, 20).until(lambda d: d.current_url.endswith("/communes/cam-lo/dashboard"))
        assert menu_keys(driver) == ["communes", "partners", "users", "dashboard", "map", "review",
                                     "targets", "exports", "admin", "audit"]
        tap_through(driver, server.url, ["users", "review", "audit"])
        # The form is for a commune's own people: the administrator is told and shown the way on.
        driver.get(server.url + "/surveys/household")
        driver.find_element(By.CSS_SELECTOR, "main a.button.primary").click()
        WebDriverWait(driver, 20).until(lambda d: d.current_url.startswith(server.url + "/#"))
