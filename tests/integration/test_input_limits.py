"""Malformed input is a 404 or a 4xx that says what is wrong, never a 500 (issue 14, item 6):
ids beyond the database's integers, `²`, huge pages, JSON nested without end, CSV fields without
end, files without their format's columns, a list where a slug belongs."""

from __future__ import annotations

import io

import pytest

from surveys.parsing import MAX_ID, JsonTooDeep, load_json, parse_int
from tests.conftest import csrf_from, login
from tests.factories import PASSWORD, auth, make_commune, make_partner, make_token, make_user

DEEP = ("[" * 100_000 + "]" * 100_000).encode()


@pytest.fixture
def tokens(db):
    commune = make_commune(db)
    result = {"staff": make_token(db, make_user(db, "staff1", role="staff", commune=commune)),
              "admin": make_token(db, make_user(db, "root", role="admin")),
              "partner": make_token(db, make_user(db, "viettel1", role="partner",
                                                  partner=make_partner(db)))}
    db.commit()
    return result


def test_parse_int_takes_ascii_digits_in_range_only() -> None:
    assert parse_int("42", minimum=1, maximum=MAX_ID) == 42
    assert parse_int(" 7 ", minimum=1, maximum=9) == 7
    for bad in ("²", "٣", "1e3", "", "-", "0x10", "1.0", str(MAX_ID + 1), "9" * 40, None, True):
        assert parse_int(bad, minimum=1, maximum=MAX_ID) is None, bad


@pytest.mark.parametrize("path", [
    "/api/v1/submissions/{n}", "/api/v1/coverage/uploads/{n}", "/api/v1/coverage/uploads/{n}/errors",
    "/api/v1/webhooks/{n}/deliveries", "/coverage/uploads/{n}",
    "/communes/cam-lo/admin/users/{n}", "/admin/partners/{n}"])
@pytest.mark.parametrize("number", [str(2**31), str(2**63), "9" * 30, "%C2%B2"])
def test_ids_beyond_the_database_are_not_found(client, tokens, path, number):
    response = client.get(path.format(n=number), headers=auth(tokens["admin"]))
    assert response.status_code == 404, response.get_data(as_text=True)[:300]


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_writes_to_huge_ids_are_not_found(client, tokens, method):
    for path in (f"/api/v1/targets/{2**63}", f"/api/v1/submissions/{2**40}"):
        response = getattr(client, method)(path, json={}, headers=auth(tokens["staff"]))
        assert response.status_code in (404, 405), path


@pytest.mark.parametrize("query", ["page=%C2%B2", f"page={2**63}", "per_page=%C2%B2",
                                   f"per_page={2**40}", "page=0", "page=-1"])
def test_bad_page_numbers_are_422(client, tokens, query):
    response = client.get(f"/api/v1/submissions?commune=cam-lo&{query}",
                          headers=auth(tokens["staff"]))
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) <= {"page", "per_page"}


def test_html_listings_show_page_one_for_a_bad_page(client, db, tokens):
    login(client, "staff1", PASSWORD)
    for query in ("page=%C2%B2", f"page={2**63}"):
        assert client.get(f"/communes/cam-lo/audit?{query}").status_code == 200
    assert client.get("/api/v1/coverage/hexes?commune=cam-lo&resolution=%C2%B2").status_code == 422


def test_json_nested_without_end_is_a_400(client, tokens) -> None:
    with pytest.raises(JsonTooDeep):
        load_json(DEEP)
    with pytest.raises(JsonTooDeep):
        load_json("[" * 65 + "]" * 65)
    assert load_json("[" * 64 + "]" * 64)
    for path in ("/api/v1/submissions", "/api/v1/targets", "/api/v1/communes/cam-lo/webhooks"):
        response = client.post(path, data=DEEP, content_type="application/json",
                               headers=auth(tokens["staff"]))
        assert response.status_code == 400, path
        assert response.get_json()["code"] == "400.2"


def test_a_list_as_commune_of_a_target_is_a_422(client, tokens) -> None:
    response = client.post("/api/v1/targets", json={"commune": ["cam-lo"], "indicator": "hh_fiber"},
                           headers=auth(tokens["staff"]))
    assert response.status_code == 422
    assert "commune" in response.get_json()["errors"]


def _upload(client, token, content: bytes, name: str, **form):
    return client.post("/api/v1/coverage/uploads", headers=auth(token),
                       data={"file": (io.BytesIO(content), name), **form},
                       content_type="multipart/form-data")


@pytest.mark.parametrize(("fmt", "content", "named"), [
    ("gnettrack", b"a,b,c\n1,2,3\n", "timestamp"),
    ("phusong-csv", b"a,b,c\n1,2,3\n", "measured_at"),
    ("ookla", b"a,b,c\n1,2,3\n", "quadkey"),
    ("opencellid", b"a,b,c\n1,2,3\n", "radio"),
])
def test_a_named_format_without_its_columns_is_a_422_naming_them(client, tokens, fmt, content,
                                                                 named):
    response = _upload(client, tokens["partner"], content, "x.csv", format=fmt)
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert named in response.get_json()["errors"]["file"]


def test_a_csv_field_without_end_is_that_rows_error(client, tokens) -> None:
    good = b"2026-11-02T09:00:00+07:00,16.75,106.95,4g,-95\n"
    content = (b"measured_at,lat,lon,technology,rsrp_dbm\n" + good
               + b"2026-11-02T09:00:00+07:00,16.75," + b"9" * 200_000 + b",4g,-95\n"
               + b'2026-11-02T09:01:00+07:00,16.76,106.95,4g,-90\n')
    response = _upload(client, tokens["partner"], content, "long.csv")
    assert response.status_code == 201, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert (body["rows"], body["accepted"], body["rejected"]) == (3, 2, 1)
    errors = client.get(f"/api/v1/coverage/uploads/{body['id']}/errors",
                        headers=auth(tokens["partner"]))
    assert errors.status_code == 200
    assert "3" in errors.get_data(as_text=True)


def test_geojson_features_that_are_not_objects_and_deep_files(client, tokens) -> None:
    response = _upload(client, tokens["partner"],
                       b'{"type": "FeatureCollection", "features": [1, "x", null, []]}', "p.geojson",
                       format="geojson")
    assert response.status_code == 422
    assert {d["code"] for d in response.get_json()["details"]} == {"not_a_point"}
    response = _upload(client, tokens["partner"], b'{"type": "FeatureCollection", "features": '
                       + DEEP + b"}", "deep.geojson", format="geojson")
    assert response.status_code == 422


def test_village_imports_refuse_deep_json_and_endless_fields(client, db, tokens) -> None:
    login(client, "staff1", PASSWORD)
    for name, content in (("v.geojson", b'{"type": "FeatureCollection", "features": ' + DEEP + b"}"),
                          ("v.csv", b"slug,name\nthon-9," + b"x" * 200_000 + b"\n")):
        page = client.get("/communes/cam-lo/admin/villages").get_data(as_text=True)
        response = client.post("/communes/cam-lo/admin/villages/import",
                               headers={"Accept": "application/json"},
                               data={"csrf_token": csrf_from(page),
                                     "file": (io.BytesIO(content), name)},
                               content_type="multipart/form-data")
        assert response.status_code == 422, (name, response.get_data(as_text=True)[:300])
