"""Exports of a commune's submissions (CSV, XLSX, GeoJSON) and indicators: content, headers,
who may download, and that the response streams (the header leaves before the rows are read)."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from surveys.collection.exports import BASE_COLUMNS
from surveys.models import AuditEvent, Submission, User, Village
from tests.conftest import login
from tests.factories import (
    PASSWORD,
    auth,
    household_answers,
    make_commune,
    role_tokens,
    submission_payload,
)

MAY = datetime(2026, 5, 10, 3, 30, tzinfo=UTC)  # 10:30 in Vietnam


@pytest.fixture
def setup(client, db):
    commune = make_commune(db)
    tokens = role_tokens(db, commune)
    db.commit()
    first = submission_payload(village="thon-1", collected_at=MAY, answers=household_answers(
        notes="=HYPERLINK(\"http://x\")", photo="speedtest.jpg"))
    second = submission_payload(village="thon-2", collected_at=MAY + timedelta(days=200),
                                location=None, answers={"consent": "no"})
    for payload in (first, second):
        response = client.post("/api/v1/submissions", json=payload, headers=auth(tokens["surveyor"]))
        assert response.status_code == 201, response.json
    return {"tokens": tokens, "first": first, "second": second}


def test_csv_columns_and_values(app, client, db, setup) -> None:
    response = client.get("/communes/cam-lo/export/submissions.csv",
                          headers=auth(setup["tokens"]["staff"]))
    assert response.status_code == 200
    body = response.get_data()
    db.close()  # once the stream has ended, no connection stays checked out (in a transaction)
    assert app.extensions["phusong.engine"].pool.checkedout() == 0
    assert response.mimetype == "text/csv" and response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == 'attachment; filename="phieu-ho-cam-lo.csv"'
    assert body.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert list(rows[0])[:len(BASE_COLUMNS)] == list(BASE_COLUMNS)
    assert list(rows[0])[len(BASE_COLUMNS):len(BASE_COLUMNS) + 3] == [
        "consent", "household_code", "members_total"]
    first = rows[0]
    assert first["instance_id"] == setup["first"]["instance_id"]
    assert (first["village"], first["surveyor"], first["review_status"]) == (
        "thon-1", "surveyor1", "received")
    assert first["collected_at"] == "2026-05-10T10:30:00+07:00"
    assert first["received_at"].endswith("+07:00")
    assert (first["lat"], first["lon"], first["accuracy_m"]) == ("16.7512", "106.9531", "12.0")
    assert first["mobile_operators"] == "viettel vinaphone"
    assert first["online_platforms"] == "shopee tiktok_shop"
    assert first["photo"] == "speedtest.jpg"
    assert first["notes"] == "'=HYPERLINK(\"http://x\")"  # never a formula in Excel
    second = rows[1]
    assert (second["consent"], second["lat"], second["members_total"]) == ("no", "", "")


def test_filters_and_their_audit_event(client, db, setup) -> None:
    headers = auth(setup["tokens"]["staff"])
    def ids(query: str) -> list[str]:
        text = client.get(f"/communes/cam-lo/export/submissions.csv?{query}",
                          headers=headers).get_data().decode("utf-8-sig")
        return [row["instance_id"] for row in csv.DictReader(io.StringIO(text))]
    first, second = setup["first"]["instance_id"], setup["second"]["instance_id"]
    assert ids("") == [first, second]
    assert ids("village=thon-2") == [second]
    assert ids("period=2026-05") == [first]
    assert ids("period=2026-Q4") == [second]
    assert ids("status=rejected") == []
    assert ids("status=received&village=thon-1&period=2026") == [first]
    response = client.get("/communes/cam-lo/export/submissions.csv?village=nowhere",
                          headers={**headers, "Accept": "application/json"})
    assert response.status_code == 422 and "village" in response.json["errors"]
    page = client.get("/communes/cam-lo/export/submissions.csv?village=nowhere", headers=headers)
    assert page.status_code == 422 and "Không có thôn này trong xã." in page.get_data(as_text=True)
    assert client.get("/communes/cam-lo/export/submissions.csv?period=May",
                      headers=headers).status_code == 422
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "export.submissions")
                        .order_by(AuditEvent.id)).all()
    assert len(events) == 6  # one per successful export, none for the refused ones
    last = events[-1]
    assert last.details == {"format": "csv", "filter": {"village": "thon-1", "period": "2026",
                                                        "status": "received"}}
    assert last.actor == f"token:{setup['tokens']['staff'][:10]}" and last.commune_id is not None


def test_xlsx_opens_with_openpyxl(client, setup) -> None:
    response = client.get("/communes/cam-lo/export/submissions.xlsx",
                          headers=auth(setup["tokens"]["admin"]))
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert sheet.title == "Phiếu hộ"
    header = [c.value for c in sheet[1]]
    first = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert first["instance_id"] == setup["first"]["instance_id"]
    assert first["collected_at"] == datetime(2026, 5, 10, 10, 30)  # a real date cell, Vietnam time
    assert first["members_total"] == 4 and first["lat"] == 16.7512
    assert first["mobile_operators"] == "viettel vinaphone"
    assert first["notes"] == "=HYPERLINK(\"http://x\")" and sheet["A1"].font.b
    assert sheet.max_row == 3


def test_geojson_feature_collection(client, setup) -> None:
    response = client.get("/communes/cam-lo/export/submissions.geojson",
                          headers=auth(setup["tokens"]["staff"]))
    assert response.mimetype == "application/geo+json"
    data = json.loads(response.get_data())
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 2
    first, second = data["features"]
    assert first["geometry"] == {"type": "Point", "coordinates": [106.9531, 16.7512]}
    assert first["properties"]["instance_id"] == setup["first"]["instance_id"]
    assert "lat" not in first["properties"] and first["properties"]["surveyor"] == "surveyor1"
    assert second["geometry"] is None


def test_indicator_exports(client, db, setup) -> None:
    headers = auth(setup["tokens"]["staff"])
    response = client.get("/communes/cam-lo/export/indicators.csv?period=2026", headers=headers)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="chi-tieu-cam-lo-2026.csv"'
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][0] == "Mã chỉ tiêu" and len(rows) == 18
    xlsx = client.get("/communes/cam-lo/export/indicators.xlsx", headers=headers)
    assert load_workbook(io.BytesIO(xlsx.get_data())).active.max_row == 18
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "export.indicators")
                        .order_by(AuditEvent.id)).all()
    assert [e.details for e in events] == [
        {"format": "csv", "filter": {"village": None, "period": "2026"}},
        {"format": "xlsx", "filter": {"village": None, "period": None}}]


@pytest.mark.parametrize("path", ["submissions.csv", "submissions.xlsx", "submissions.geojson",
                                  "indicators.csv", "indicators.xlsx"])
def test_who_may_export(client, db, setup, path) -> None:
    url = f"/communes/cam-lo/export/{path}"
    tokens = setup["tokens"]
    for who in ("surveyor", "partner", "other_staff"):
        assert client.get(url, headers=auth(tokens[who])).status_code == 403, who
    assert client.get(url, headers=auth("ps_not-a-token")).status_code == 401
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    for who in ("staff", "admin"):
        assert client.get(url, headers=auth(tokens[who])).status_code == 200, who
    login(client, "staff1", PASSWORD)
    assert client.get(url).status_code == 200
    assert client.get(f"/communes/nowhere/export/{path}").status_code == 404
    assert len(db.scalars(select(AuditEvent).where(AuditEvent.action.startswith("export."))).all()) == 3


def _bulk_submissions(db, count: int) -> None:
    village = db.scalar(select(Village).where(Village.slug == "thon-1"))
    surveyor = db.scalar(select(User).where(User.username == "surveyor1"))
    answers = household_answers()
    db.execute(insert(Submission), [
        {"instance_id": str(uuid.uuid4()), "survey": "household", "survey_version": "1",
         "commune_id": village.commune_id, "village_id": village.id, "surveyor_id": surveyor.id,
         "collected_at": MAY, "received_at": MAY, "lat": 16.75, "lon": 106.95, "accuracy_m": 5.0,
         "location_source": "gps", "answers": answers, "content_hash": "x" * 64,
         "review_status": "received"} for _ in range(count)])
    db.commit()


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson"])
def test_exports_stream(client, db, setup, fmt) -> None:
    """The body is a generator; its first piece leaves before the query has even run (a row
    stored after the first piece still appears), and the rows arrive in many pieces."""
    _bulk_submissions(db, 1000)
    response = client.get(f"/communes/cam-lo/export/submissions.{fmt}",
                          headers=auth(setup["tokens"]["staff"]), buffered=False)
    assert response.is_streamed and not isinstance(response.response, (bytes, str, list))
    pieces = iter(response.response)
    first = next(pieces)
    if fmt == "csv":
        assert first.decode("utf-8-sig").startswith(",".join(BASE_COLUMNS) + ",consent,")
        assert first.count(b"\n") == 1  # the header row alone
    if fmt == "geojson":
        assert first.startswith(b'{"type": "FeatureCollection"') and b"Feature\"" not in first
    late = submission_payload(village="thon-2", collected_at=MAY)
    assert client.post("/api/v1/submissions", json=late,
                       headers=auth(setup["tokens"]["surveyor"])).status_code == 201
    rest = list(pieces)
    response.close()
    assert len(rest) >= (3 if fmt == "xlsx" else 5)
    body = first + b"".join(rest)
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(body)).active
        assert sheet.max_row == 1 + 1003
        assert late["instance_id"] in [c.value for c in sheet["B"]]
    else:
        assert late["instance_id"].encode() in body
        if fmt == "geojson":
            assert len(json.loads(body)["features"]) == 1003
