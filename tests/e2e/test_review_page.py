"""A staff member rejects a household on the review page of a demo commune, on a 360-px phone, and
the dashboard's count of surveyed households of that village drops by one."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select

from surveys.demo import DEMO_PASSWORD
from surveys.models import Commune, Submission
from tests.e2e.conftest import PHONE, log_in, screenshot

pytestmark = pytest.mark.browser


def surveyed(driver, village: str) -> int:
    cell = driver.find_element(By.CSS_SELECTOR, f".progress-table tr[data-village='{village}'] td.num")
    return int(cell.text.replace(".", "").replace(",", ""))


def test_staff_reject_a_household_and_the_dashboard_changes(browser, server, runner, db):
    loaded = runner.invoke(args=["load-demo", "--with-data"])
    assert loaded.exit_code == 0, loaded.output
    target = next(s for s in db.scalars(
        select(Submission).join(Commune, Commune.id == Submission.commune_id)
        .where(Commune.slug == "cam-lo", Submission.review_status == "received")
        .order_by(Submission.id)) if s.answers.get("consent") == "yes")
    village = target.village.slug
    driver = browser
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**PHONE, "width": 360, "height": 780})
    log_in(driver, server.url, "demo-staff", DEMO_PASSWORD)
    wait = WebDriverWait(driver, 30)

    driver.get(f"{server.url}/communes/cam-lo/dashboard")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".progress-table"))
    before = surveyed(driver, village)

    driver.get(f"{server.url}/communes/cam-lo/review")
    # The queue's filters are a plain GET form: choose the village and filter.
    Select(driver.find_element(By.ID, "f-village")).select_by_value(village)
    driver.find_element(By.CSS_SELECTOR, "form.qfilters button[type=submit]").click()
    wait.until(lambda d: f"village={village}" in d.current_url)
    assert driver.execute_script("return document.documentElement.scrollWidth") <= 360
    screenshot(driver, "review-queue-phone")
    driver.find_element(By.CSS_SELECTOR, f"li.sub[data-id='{target.id}'] .head a").click()
    wait.until(lambda d: d.find_elements(By.ID, "review"))
    assert driver.execute_script("return document.documentElement.scrollWidth") <= 360

    Select(driver.find_element(By.ID, "review_status")).select_by_value("rejected")
    driver.find_element(By.ID, "reason").send_keys("Hộ đã khảo sát hai lần")
    driver.find_element(By.ID, "comment").send_keys("Giữ phiếu đầu tiên")
    driver.find_element(By.CSS_SELECTOR, "#review button[type=submit]").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".alert.ok"))
    assert driver.find_element(By.CSS_SELECTOR, "h1 .rstatus").get_attribute("class") \
        == "rstatus rstatus-rejected"
    assert "Hộ đã khảo sát hai lần" in driver.find_element(By.CSS_SELECTOR, ".history").text
    screenshot(driver, "review-detail-phone")

    driver.get(f"{server.url}/communes/cam-lo/dashboard")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".progress-table"))
    assert surveyed(driver, village) == before - 1
