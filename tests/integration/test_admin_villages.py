"""Villages of a commune: the form, and CSV / GeoJSON imports that store everything or nothing."""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import undefer

from surveys.models import AuditEvent, Village
from tests.conftest import csrf_from, login
from tests.factories import PASSWORD, make_commune, make_user

DATA = Path(__file__).resolve().parents[1] / "data" / "admin"


def setup(db):
    commune = make_commune(db)  # thon-1 (120 households), thon-2 (80)
    make_user(db, "staff1", role="staff", commune=commune)
    db.commit()
    return commune


def _import(client, path: Path | None = None, *, content: bytes | None = None,
            name: str | None = None, json_reply: bool = False):
    page = client.get("/communes/cam-lo/admin/villages").get_data(as_text=True)
    body = content if content is not None else path.read_bytes()  # type: ignore[union-attr]
    headers = {"Accept": "application/json"} if json_reply else {}
    return client.post("/communes/cam-lo/admin/villages/import", headers=headers,
                       data={"csrf_token": csrf_from(page),
                             "file": (io.BytesIO(body), name or path.name)},  # type: ignore[union-attr]
                       content_type="multipart/form-data")


def _villages(db) -> dict[str, Village]:
    db.expire_all()
    return {v.slug: v for v in db.scalars(select(Village).options(undefer(Village.boundary)))}


def _events(db, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)
                           .order_by(AuditEvent.id)))


def test_csv_import_with_bom_semicolons_and_decimal_commas(client, db) -> None:
    setup(db)
    login(client, "staff1", PASSWORD)
    # English first: a flashed message is worded in the language of the request that made it.
    client.post("/lang/en", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    response = _import(client, DATA / "villages_ok.csv")
    assert response.status_code == 302
    listing = client.get("/communes/cam-lo/admin/villages").get_data(as_text=True)
    assert "Imported: 2 new and 1 updated villages." in listing
    villages = _villages(db)
    assert set(villages) == {"thon-1", "thon-2", "thon-3", "ban-ra-ly"}
    one = villages["thon-1"]  # updated: its counts and position from the file
    assert (one.name, one.lat, one.lon, one.household_count, one.population, one.counts_year) == (
        "Thôn 1", 16.7512, 106.9531, 130, 512, 2025)
    ra_ly = villages["ban-ra-ly"]
    assert (ra_ly.name, ra_ly.lat, ra_ly.household_count, ra_ly.population) == (
        "Bản Ra Ly", None, 60, None)
    update = _events(db, "village.update")[0]
    assert update.details["before"]["household_count"] == 120
    assert update.details["after"]["household_count"] == 130
    assert update.actor == "staff1"
    assert len(_events(db, "village.create")) == 2
    summary = _events(db, "village.import")[0].details
    assert summary["format"] == "csv" and summary["created"] == ["thon-3", "ban-ra-ly"]


def test_csv_bad_rows_name_line_and_column_and_store_nothing(client, db) -> None:
    setup(db)
    login(client, "staff1", PASSWORD)
    response = _import(client, DATA / "villages_bad.csv")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Chưa nhập gì: tệp có 7 lỗi." in html
    rows = html.split('id="import-errors"')[1]
    for line, column, why in (
            (3, "lon", "Vĩ độ và kinh độ đi cùng nhau"),
            (3, "household_count", "Phải là số nguyên không âm."),
            (4, "slug", "Mã thôn gồm 1–64 ký tự"),
            (4, "name", "Cần tên thôn"),
            (4, "population", "Số dân không thể ít hơn số hộ."),
            (5, "counts_year", "Năm số liệu phải là năm từ 1990 đến 2100."),
            (5, "slug", "Mã thôn thon-4 lặp lại (dòng 2 đã có).")):
        assert f"<td>dòng {line}</td>\n      <td>{column}</td>" in rows, (line, column)
        assert why in rows
    assert set(_villages(db)) == {"thon-1", "thon-2"}  # line 2 was fine, yet not stored
    assert _events(db, "village.create") == [] and _events(db, "village.import") == []


def test_csv_bad_rows_as_json(client, db) -> None:
    setup(db)
    login(client, "staff1", PASSWORD)
    response = _import(client, DATA / "villages_bad.csv", json_reply=True)
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "422.1"
    assert body["errors"]["line 3: household_count"] == "Phải là số nguyên không âm."
    assert {"line": 5, "where": "dòng 5", "column": "counts_year", "value": "1890",
            "message": "Năm số liệu phải là năm từ 1990 đến 2100."} in body["details"]
    assert set(_villages(db)) == {"thon-1", "thon-2"}


def test_csv_header_without_required_column(client, db) -> None:
    setup(db)
    login(client, "staff1", PASSWORD)
    response = _import(client, content=b"slug,households\nthon-9,12\n", name="v.csv",
                       json_reply=True)
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"line 1: name": "Thiếu cột name ở dòng tiêu đề."}
    # Counts without the year they refer to are refused too.
    response = _import(client, content=b"slug,name,household_count\nthon-9,X,12\n", name="v.csv",
                       json_reply=True)
    assert response.get_json()["errors"] == {
        "line 2: counts_year": "Số hộ và số dân cần năm mà số liệu đó thuộc về."}
    assert set(_villages(db)) == {"thon-1", "thon-2"}


def test_geojson_import_with_boundaries_and_centroids(client, db) -> None:
    setup(db)
    login(client, "staff1", PASSWORD)
    response = _import(client, DATA / "villages_ok.geojson", json_reply=True)
    assert response.status_code == 200
    assert response.get_json() == {"created": ["thon-7"], "updated": ["thon-1"],
                                   "ignored_columns": ["OBJECTID"]}
    villages = _villages(db)
    seven = villages["thon-7"]
    assert (round(seven.lat, 4), round(seven.lon, 4)) == (16.76, 106.96)  # the square's centroid
    assert seven.boundary["type"] == "Polygon" and seven.household_count == 140
    one = villages["thon-1"]
    assert (one.lat, one.lon) == (16.7512, 106.9531)  # given, kept
    assert one.boundary["type"] == "MultiPolygon" and one.household_count == 125
    update = _events(db, "village.update")[0].details
    assert update["before"]["boundary_sha256"] is None and update["after"]["boundary_sha256"]


def test_geojson_bad_features_store_nothing(client, db) -> None:
    setup(db)
    login(client, "staff1", PASSWORD)
    response = _import(client, DATA / "villages_bad.geojson", json_reply=True)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert errors["feature 2: geometry"] == "Ranh giới thôn phải là Polygon hoặc MultiPolygon."
    assert errors["feature 3: household_count"] == "Phải là số nguyên không âm."
    assert errors["feature 3: geometry"].startswith("Ranh giới không hợp lệ: Self-intersection")
    assert set(errors) == {"feature 2: geometry", "feature 3: household_count",
                           "feature 3: geometry"}
    assert set(_villages(db)) == {"thon-1", "thon-2"}

    page = _import(client, DATA / "villages_bad.geojson")
    assert page.status_code == 422
    assert "<td>đối tượng 2</td>" in page.get_data(as_text=True)

    not_geojson = _import(client, content=b'{"type": "Feature"}', name="x.geojson",
                          json_reply=True)
    assert not_geojson.status_code == 422
    assert "FeatureCollection" in not_geojson.get_json()["message"] + str(
        not_geojson.get_json()["errors"])


def test_create_and_edit_a_village(client, db) -> None:
    setup(db)
    login(client, "staff1", PASSWORD)
    page = client.get("/communes/cam-lo/admin/villages").get_data(as_text=True)
    token = csrf_from(page)
    taken = client.post("/communes/cam-lo/admin/villages", data={
        "csrf_token": token, "slug": "thon-1", "name": "Thôn Một"})
    assert taken.status_code == 422 and "Xã đã có thôn với mã này." in taken.get_data(as_text=True)
    created = client.post("/communes/cam-lo/admin/villages", data={
        "csrf_token": token, "slug": "lang-moi", "name": "Làng Mới", "lat": "16,8", "lon": "106,9",
        "household_count": "45", "population": "170", "counts_year": "2025"})
    assert created.status_code == 302
    village = _villages(db)["lang-moi"]
    assert (village.lat, village.lon, village.population) == (16.8, 106.9, 170)

    edit = client.get(f"/communes/cam-lo/admin/villages/{village.id}").get_data(as_text=True)
    assert 'value="Làng Mới"' in edit and 'value="16.8"' in edit
    bad = client.post(f"/communes/cam-lo/admin/villages/{village.id}", data={
        "csrf_token": token, "name": "Làng Mới", "household_count": "45", "counts_year": ""})
    assert bad.status_code == 422 and "cần năm mà số liệu" in bad.get_data(as_text=True)
    client.post(f"/communes/cam-lo/admin/villages/{village.id}", data={
        "csrf_token": token, "name": "Làng Mới B", "lat": "16.8", "lon": "106.9",
        "household_count": "50", "population": "180", "counts_year": "2026"})
    village = _villages(db)["lang-moi"]
    assert (village.name, village.household_count, village.counts_year) == ("Làng Mới B", 50, 2026)
    event = _events(db, "village.update")[-1].details
    assert event["before"]["name"] == "Làng Mới" and event["after"]["name"] == "Làng Mới B"
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == 2


def test_geojson_is_recognised_by_content(client, db) -> None:
    setup(db)
    login(client, "staff1", PASSWORD)
    content = json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"slug": "thon-2", "name": "Thôn 2"},
        "geometry": {"type": "Polygon", "coordinates": [[[106.96, 16.76], [106.97, 16.76],
                                                          [106.97, 16.77], [106.96, 16.76]]]}}]})
    response = _import(client, content=content.encode(), name="ranh-gioi.txt", json_reply=True)
    assert response.status_code == 200 and response.get_json()["updated"] == ["thon-2"]
