"""Phone layout at 360 px: the filter labels of the map and review pages are whole (not cut, not off
screen), the chosen filter values readable, and the administration tabs sit in tidy rows."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.e2e.conftest import PHONE, log_in, screenshot
from tests.factories import PASSWORD, make_commune, make_user

pytestmark = pytest.mark.browser

CUT = """
const out = [];
for (const e of document.querySelectorAll(arguments[0])) {
  const r = e.getBoundingClientRect();
  if (!r.width) continue;
  const own = e.childNodes[0] && e.childNodes[0].nodeType === 3 ? e.childNodes[0] : e;
  const text = own.textContent.trim();
  if (e.scrollWidth > e.clientWidth + 1 || r.left < -1 || r.right > innerWidth + 1) out.push(text);
  // a label's own text on one line or wrapped, never clipped by an ellipsis
  if (getComputedStyle(e).textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth) out.push(text);
  if (e.tagName === 'SELECT' && e.selectedOptions[0]) {  // the chosen value, whole beside the arrow
    const style = getComputedStyle(e), ctx = document.createElement('canvas').getContext('2d');
    ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const room = e.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 20;
    if (ctx.measureText(e.selectedOptions[0].text).width > room) out.push(e.selectedOptions[0].text);
  }
}
return out;"""


def test_filters_and_tabs_fit_a_360px_phone(browser, server, db):
    commune = make_commune(db)
    make_user(db, "staff1", role="staff", commune=commune)
    db.commit()
    driver = browser
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**PHONE, "width": 360, "height": 780})
    log_in(driver, server.url, "staff1", PASSWORD)
    for path, selector in (("/communes/cam-lo/map", ".map-controls label, .map-controls select"),
                           ("/communes/cam-lo/review", ".qfilters label, .qfilters select, .qfilters input")):
        driver.get(server.url + path)
        assert driver.execute_script("return document.documentElement.scrollWidth") <= 360, path
        assert driver.execute_script(CUT, selector) == [], path
        screenshot(driver, "layout-" + path.rsplit("/", 1)[1])

    driver.get(server.url + "/communes/cam-lo/admin/villages")
    assert driver.execute_script("return document.documentElement.scrollWidth") <= 360
    tabs = driver.find_elements(By.CSS_SELECTOR, ".admin-tabs a")
    assert len(tabs) >= 4
    assert driver.execute_script(CUT, ".admin-tabs a") == []
    # Tidy: every tab the same height, in whole rows of equal columns (no orphan squeezed on a line).
    boxes = [t.rect for t in tabs]
    heights = [b["height"] for b in boxes]
    assert max(heights) - min(heights) <= 2
    rows = sorted({round(b["y"]) for b in boxes})
    per_row = [sum(1 for b in boxes if round(b["y"]) == y) for y in rows]
    assert len(set(per_row[:-1] or per_row)) == 1 and len(rows) <= 2
    screenshot(driver, "layout-admin-tabs")
