"""The area dashboard's ranking chart on a 360-px phone in real headless Chromium (issue 16): one
bar per commune with data, as wide as the screen and no wider, its commune names as large as the
page's small print."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from surveys.demo import DEMO_PASSWORD, HA_TINH_COMMUNES
from tests.e2e.conftest import PHONE, log_in

pytestmark = pytest.mark.browser


def test_the_ranking_chart_reads_on_a_phone(browser, server, runner) -> None:
    loaded = runner.invoke(args=["load-demo", "--with-data"])
    assert loaded.exit_code == 0, loaded.output
    driver = browser
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**PHONE, "width": 360, "height": 780})
    log_in(driver, server.url, "demo-province", DEMO_PASSWORD)
    driver.get(server.url + "/areas/ha-tinh?code=hh_4g_home")
    chart = driver.find_element(By.CSS_SELECTOR, "#ranking-chart svg")
    with_data = {"cam-due", "cam-xuyen", *(c.slug for c in HA_TINH_COMMUNES)}
    assert len(chart.find_elements(By.CSS_SELECTOR, "g.row")) == len(with_data)
    assert driver.execute_script("return document.documentElement.scrollWidth") <= 360
    box = chart.rect
    assert 300 <= box["width"] <= 360
    label = chart.find_element(By.CSS_SELECTOR, "text.label")
    assert label.rect["height"] >= 10  # about the page's small print, not shrunk away
    assert label.text  # a commune's name next to its bar
