"""The commune dashboard and report of a demo commune in real headless Chromium: a 360-px phone
without sideways scrolling, one card per indicator, one bar per village; the report prints
without the site's navigation."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import func, select

from surveys.demo import DEMO_PASSWORD
from surveys.indicators import CATALOGUE
from surveys.models import Commune, Village
from tests.e2e.conftest import PHONE, log_in, readme_image, screenshot

pytestmark = pytest.mark.browser


def test_demo_dashboard_on_a_phone_and_the_report_in_print(browser, server, runner, db):
    loaded = runner.invoke(args=["load-demo", "--with-data"])
    assert loaded.exit_code == 0, loaded.output
    villages = db.scalar(select(func.count()).select_from(Village).join(Commune)
                         .where(Commune.slug == "cam-lo"))
    assert villages >= 5
    driver = browser
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**PHONE, "width": 360, "height": 780})
    log_in(driver, server.url, "demo-staff", DEMO_PASSWORD)
    driver.get(server.url + "/")
    driver.find_element(By.CSS_SELECTOR, "a[href='/communes/cam-lo/dashboard']").click()
    wait = WebDriverWait(driver, 30)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".ind-card"))

    assert driver.execute_script("return document.documentElement.scrollWidth") <= 360
    assert len(driver.find_elements(By.CSS_SELECTOR, "ul.ind-cards > li.ind-card")) == len(CATALOGUE)
    assert len(driver.find_elements(By.CSS_SELECTOR, "#by-village + figure svg rect.bar")) == villages
    assert len(driver.find_elements(By.CSS_SELECTOR, ".progress-table tbody tr")) == villages
    assert "%" in driver.find_element(By.CSS_SELECTOR, ".ind-card .ind-value").text
    with_target = driver.find_elements(By.CSS_SELECTOR, ".ind-card:not([data-status=none])")
    assert with_target and all(card.find_element(By.CSS_SELECTOR, ".status").text
                               for card in with_target)  # a word, not colour alone
    driver.execute_script("window.scrollTo(0, 0)")
    screenshot(driver, "dashboard-phone")
    readme_image("dashboard-phone")

    # The indicator select is a plain GET form: choosing another indicator redraws the charts.
    driver.find_element(By.CSS_SELECTOR, "#code option[value='adult_vneid']").click()
    driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    wait.until(lambda d: "code=adult_vneid" in d.current_url)
    assert "VNeID" in driver.find_element(By.ID, "by-village").text
    assert driver.execute_script("return document.documentElement.scrollWidth") <= 360

    driver.find_element(By.CSS_SELECTOR, ".links a[href^='/communes/cam-lo/report?']").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "article.report"))
    assert driver.execute_script("return document.documentElement.scrollWidth") <= 360
    assert driver.find_element(By.CSS_SELECTOR, "header.top").is_displayed()
    assert driver.find_element(By.ID, "print-report").is_displayed()  # JavaScript shows it
    assert driver.find_elements(By.CSS_SELECTOR, "#map svg path.boundary")
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not driver.find_element(By.CSS_SELECTOR, "header.top").is_displayed()
        assert not driver.find_element(By.CSS_SELECTOR, "form.filters").is_displayed()
        assert driver.find_element(By.ID, "targets").is_displayed()
        assert driver.execute_script(
            "return getComputedStyle(document.getElementById('map')).breakBefore") == "page"
        screenshot(driver, "report-print")
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
