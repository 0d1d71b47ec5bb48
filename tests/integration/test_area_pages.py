"""The pages of a province or group (issue 16): the dashboard with its ranked communes, the map,
the A4 report and the XLSX; where a province user lands; who may see them."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from surveys.demo import DEMO_PASSWORD
from tests.conftest import csrf_from, login


def test_the_province_user_lands_on_the_province_dashboard(runner, client) -> None:
    assert runner.invoke(args=["load-demo"]).exit_code == 0
    page = client.get("/login")
    landing = client.post("/login", data={"username": "demo-province", "password": DEMO_PASSWORD,
                                          "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert landing.status_code == 302 and landing.location.endswith("/areas/ha-tinh")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/areas/ha-tinh"' in home and 'href="/areas/cam-xuyen-district"' in home
    page = client.get("/areas/ha-tinh")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Tỉnh Hà Tĩnh" in html and "Bảng điều khiển" in html  # Vietnamese first
    assert len(re.findall(r'<tr data-commune="', html)) == 69
    assert html.count('class="ind-card card"') >= 10
    assert 'href="/areas/ha-tinh/map' in html and 'href="/areas/ha-tinh/report' in html
    assert "Các xã chưa có dữ liệu:" in html  # nothing surveyed without --with-data
    menu = re.findall(r'<a[^>]+href="(/areas/ha-tinh[^"]*)"', html)
    assert "/areas/ha-tinh/map" in menu


def test_the_group_report_map_and_spreadsheet(runner, client) -> None:
    assert runner.invoke(args=["load-demo"]).exit_code == 0
    login(client, "demo-province", DEMO_PASSWORD)
    report = client.get("/areas/cam-xuyen-district/report?code=area_5g")
    assert report.status_code == 200
    html = report.get_data(as_text=True)
    assert "Huyện Cẩm Xuyên (cũ)" in html and 'data-code="area_5g"' in html
    assert len(re.findall(r'<tr data-commune="', html)) == 8
    page = client.get("/areas/ha-tinh/map")
    assert page.status_code == 200 and 'id="area-map-data"' in page.get_data(as_text=True)
    sheet = client.get("/areas/ha-tinh/report.xlsx")
    assert sheet.status_code == 200
    book = load_workbook(io.BytesIO(sheet.data))
    assert book.worksheets[1].max_row == 2 + 69  # a title, the headers, one row per commune
    assert client.get("/areas/cam-due").location.endswith("/communes/cam-due/dashboard")


def test_commune_staff_see_no_province(runner, client) -> None:
    assert runner.invoke(args=["load-demo"]).exit_code == 0
    login(client, "demo-staff", DEMO_PASSWORD)
    assert client.get("/areas/ha-tinh").status_code == 403
    assert client.get("/areas/ha-tinh/report.xlsx").status_code == 403
    assert client.get("/areas/nowhere").status_code == 404
    anonymous = client.application.test_client()
    assert anonymous.get("/areas/ha-tinh").status_code == 302


def test_a_communes_name_never_becomes_a_formula_in_the_area_spreadsheet(runner, client, db) -> None:
    from sqlalchemy import select

    from surveys.models import Commune

    assert runner.invoke(args=["load-demo"]).exit_code == 0
    commune = db.scalar(select(Commune).where(Commune.slug == "cam-due"))
    commune.name = '=HYPERLINK("http://example.com","x")'
    db.commit()
    login(client, "demo-province", DEMO_PASSWORD)
    book = load_workbook(io.BytesIO(client.get("/areas/ha-tinh/report.xlsx").data))
    cells = [cell for row in book.worksheets[1].iter_rows() for cell in row
             if cell.value == commune.name]
    assert cells and all(cell.data_type == "s" for cell in cells)
