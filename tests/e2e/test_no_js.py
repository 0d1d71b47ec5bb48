"""With JavaScript off the form is a plain POST and still stores the household, once."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from surveys.models import Submission
from tests.e2e.conftest import fill_household, log_in, screenshot
from tests.factories import PASSWORD, household_answers, make_commune, make_user

pytestmark = pytest.mark.browser


def test_plain_form_without_javascript(browser_factory, server, db):
    make_user(db, "surveyor1", commune=make_commune(db))
    db.commit()
    driver = browser_factory(javascript=False)
    log_in(driver, server.url, "surveyor1", PASSWORD)
    assert driver.current_url == f"{server.url}/surveys/household"
    # JavaScript really is off: form.js would have replaced the server's instance_id.
    rendered = re.search(r'name="instance_id" type="hidden" value="([^"]+)"', driver.page_source)
    instance_id = driver.find_element(By.NAME, "instance_id").get_attribute("value")
    assert rendered and rendered.group(1) == instance_id
    assert driver.find_element(By.ID, "q-members_total").is_displayed()  # nothing hides questions
    assert not driver.find_element(By.ID, "outbox").is_displayed()
    assert driver.find_element(By.ID, "submit").size["height"] >= 44  # a thumb-sized button

    driver.find_element(By.CSS_SELECTOR, "#village option[value='thon-1']").click()
    answers = household_answers(fixed_broadband="none", fixed_provider=None, fixed_speed_mbps=None,
                                fiber_available="no", household_code=None)
    fill_household(driver, answers)
    driver.find_element(By.ID, "submit").click()
    WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.ID, "saved"))
    screenshot(driver, "saved-no-js")
    assert "Đã lưu phiếu khảo sát hộ số" in driver.find_element(By.ID, "saved").text

    db.expire_all()
    stored = db.scalars(select(Submission)).all()
    assert len(stored) == 1
    assert stored[0].answers == answers
    assert stored[0].instance_id == instance_id
    assert stored[0].location_source == "manual"
    assert stored[0].village.slug == "thon-1"
    assert stored[0].lat is None
