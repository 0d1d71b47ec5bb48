"""GET /api/v1/coverage/hexes and /api/v1/indicators/map, and the map page, on small real data:
a commune with a boundary, measurements imported like a partner's file, households sent by the API."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime

import h3
import pytest
from sqlalchemy import select

from surveys.coverage.hexes import commune_hexes
from surveys.coverage.uploads import import_upload
from surveys.models import Commune, Partner, Target
from tests.factories import (
    auth,
    household_answers,
    make_commune,
    make_partner,
    make_user,
    role_tokens,
    submission_payload,
)

BOUNDARY = {"type": "Polygon", "coordinates": [[[106.93, 16.73], [106.99, 16.73], [106.99, 16.79],
                                                [106.93, 16.79], [106.93, 16.73]]]}
A = (16.7512, 106.9531)  # a drive test and two households with 4G
B = (16.7650, 106.9650)  # one household with 3G only, nothing measured
C = (16.7750, 106.9400)  # one 2G speed test in October, nobody surveyed
HEADER = ("measured_at,lat,lon,operator,technology,rsrp_dbm,download_mbps,upload_mbps\n")
ROWS = (
    "2026-11-18 08:01:10,16.7512,106.9531,viettel,4g,-84,62.5,21.3\n"      # great
    "2026-11-18 08:01:40,16.7515,106.9536,viettel,4g,-97,31.2,10.1\n"      # moderate
    "2026-11-18 08:02:40,16.7523,106.9545,vinaphone,4g,-109,8.4,2.2\n"     # poor
    "2026-11-18 08:02:10,16.7519,106.9540,viettel,5g,-78,412.0,60.4\n"     # good (NR)
    "2026-10-05 09:00:00,16.7750,106.9400,viettel,2g,,0.2,0.1\n"           # a 2G page loads
)


def cell(point: tuple[float, float], resolution: int = 8) -> str:
    return h3.latlng_to_cell(*point, resolution)


@pytest.fixture
def place(client, db):
    commune = make_commune(db)
    commune.boundary = BOUNDARY
    other = make_commune(db, "kon-chieng", name="Xã Kon Chiêng", province="Gia Lai",
                         villages=(("lang-1", "Làng 1", 50),))
    partner = make_partner(db)
    uploader = make_user(db, "viettel-up", role="partner", partner=partner)
    tokens = role_tokens(db, commune, other=other, partner_user=uploader)
    db.add(Target(commune_id=commune.id, indicator="hh_4g_home", comparator=">=", value=90.0,
                  target_year=2030, source_document="Kế hoạch thử"))
    result = import_upload(db, partner, uploader, "drive.csv", io.BytesIO((HEADER + ROWS).encode()),
                           format_name=None, now=datetime(2026, 11, 30, tzinfo=UTC))
    assert result.upload.accepted == 5
    db.commit()
    for point, village, technology in ((A, "thon-1", "4g"), (A, "thon-1", "4g"),
                                       (B, "thon-2", "3g")):
        payload = submission_payload(village=village, answers=household_answers(
            mobile_best_technology=technology),
            location={"lat": point[0], "lon": point[1], "accuracy_m": 8.0},
            collected_at=datetime(2026, 11, 20, 3, tzinfo=UTC))
        response = client.post("/api/v1/submissions", json=payload, headers=auth(tokens["surveyor"]))
        assert response.status_code == 201, response.json
    refused = submission_payload(village="thon-2", answers={"consent": "no"},
                                 location={"lat": B[0], "lon": B[1], "accuracy_m": 8.0})
    assert client.post("/api/v1/submissions", json=refused,
                       headers=auth(tokens["surveyor"])).status_code == 201  # never counted
    return tokens


def hexes(client, token, **params):
    response = client.get("/api/v1/coverage/hexes", query_string={"commune": "cam-lo", **params},
                          headers=auth(token))
    assert response.status_code == 200, response.json
    assert response.mimetype == "application/geo+json"
    return {f["properties"]["h3"]: f for f in response.json["features"]}


def test_hexes_counts_medians_and_best_technology(client, place):
    found = hexes(client, place["staff"])
    assert set(found) == {cell(A), cell(B), cell(C)}
    a = found[cell(A)]["properties"]
    assert (a["n"], a["estimated"], a["households"]) == (4, 0, 2)
    assert a["best_technology"] == "5g"  # one NR measurement, of a usable class
    assert a["signal_class"] == "good"  # classes poor, moderate, good, great: half reach good
    assert a["median_rsrp_dbm"] == -97.0  # 2 dB bins: −98…−96
    assert a["median_download_mbps"] == 29.34  # the bin of 31.2 (2^¼ bins)
    assert a["median_upload_mbps"] == 10.37
    assert a["operators"] == ["viettel", "vinaphone"] and a["gap"] is False
    b = found[cell(B)]["properties"]
    assert (b["n"], b["households"], b["best_technology"], b["signal_class"], b["gap"]) == (
        0, 1, "3g", None, True)
    c = found[cell(C)]["properties"]
    assert (c["n"], c["households"], c["best_technology"], c["gap"]) == (1, 0, "2g", False)
    assert c["median_download_mbps"] == 0.19
    polygon = found[cell(A)]["geometry"]
    assert polygon["type"] == "Polygon" and len(polygon["coordinates"][0]) == 7  # closed hexagon
    assert h3.latlng_to_cell(*reversed(polygon["coordinates"][0][0]), 8) in (
        cell(A), *h3.grid_ring(cell(A), 1))


def test_median_rsrp_is_of_4g_and_5g_only(client, db, place):
    """A 3G row's rsrp_dbm is not an RSRP (a tool may write RSCP there): it is stored as sent but
    stays out of the cell's median RSRP, which is of LTE RSRP and NR SS-RSRP."""
    partner = db.scalar(select(Partner))
    result = import_upload(db, partner, None, "umts.csv", io.BytesIO(
        (HEADER + "2026-11-18 08:03:10,16.7513,106.9532,viettel,3g,-50,5.0,1.0\n"
                  "2026-11-18 08:03:40,16.7514,106.9533,viettel,3g,-52,4.0,1.0\n").encode()),
        format_name=None, now=datetime(2026, 11, 30, tzinfo=UTC))
    assert result.upload.accepted == 2
    db.commit()
    a = hexes(client, place["staff"])[cell(A)]["properties"]
    assert a["n"] == 6 and a["median_rsrp_dbm"] == -97.0  # as without the 3G rows
    assert hexes(client, place["staff"], technology="4g")[cell(A)]["properties"][
        "median_rsrp_dbm"] == -97.0


def test_hexes_filters(client, place):
    four = hexes(client, place["staff"], technology="4g")[cell(A)]["properties"]
    assert (four["n"], four["best_technology"], four["signal_class"], four["median_rsrp_dbm"],
            four["median_download_mbps"]) == (3, "4g", "moderate", -97.0, 29.34)
    five = hexes(client, place["staff"], technology="5g")
    assert five[cell(A)]["properties"]["best_technology"] == "5g"
    assert five[cell(B)]["properties"]["best_technology"] is None  # a 3G household is no 5G
    vina = hexes(client, place["staff"], operator="vinaphone")
    # One poor measurement; household answers do not say which operator: not counted.
    assert (vina[cell(A)]["properties"]["n"], vina[cell(A)]["properties"]["best_technology"],
            vina[cell(A)]["properties"]["gap"]) == (1, None, True)
    assert set(hexes(client, place["staff"], period="2026-10")) == {cell(C)}
    assert set(hexes(client, place["staff"], period="2026-Q4")) == {cell(A), cell(B), cell(C)}
    assert set(hexes(client, place["staff"], period="2026-11")) == {cell(A), cell(B)}
    fine = hexes(client, place["staff"], resolution="10")
    assert fine[cell(A, 10)]["properties"]["n"] == 1
    assert sum(f["properties"]["n"] for f in fine.values()) == 5


def test_the_service_reads_rollups_not_rows(db, place):
    from sqlalchemy import delete, select

    from surveys.models import Measurement

    commune = db.scalar(select(Commune).where(Commune.slug == "cam-lo"))
    before = commune_hexes(db, commune, resolution=9)
    db.execute(delete(Measurement))  # the rollups alone answer
    assert commune_hexes(db, commune, resolution=9) == before
    db.rollback()


def test_readers_outside_the_commune_see_no_small_household_counts(client, place):
    for who in ("partner", "other_staff"):
        found = hexes(client, place[who])
        assert set(found) == {cell(A), cell(C)}  # B holds one household and nothing measured
        a = found[cell(A)]["properties"]
        assert (a["households"], a["best_technology"], a["gap"]) == (None, "5g", False)


def test_etag_and_cache_headers(client, place):
    for path, params in (("/api/v1/coverage/hexes", {"commune": "cam-lo"}),
                         ("/api/v1/indicators/map", {"commune": "cam-lo", "code": "hh_4g_home"})):
        first = client.get(path, query_string=params, headers=auth(place["staff"]))
        assert first.status_code == 200 and first.headers["ETag"]
        assert first.headers["Cache-Control"] == "private, max-age=60"
        again = client.get(path, query_string=params, headers={
            **auth(place["staff"]), "If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.get_data() == b""
        stale = client.get(path, query_string=params, headers={
            **auth(place["staff"]), "If-None-Match": '"something-else"'})
        assert stale.status_code == 200 and stale.get_data() == first.get_data()


def test_etag_changes_with_the_data(client, place):
    first = client.get("/api/v1/coverage/hexes?commune=cam-lo", headers=auth(place["staff"]))
    payload = submission_payload(village="thon-2", answers=household_answers(),
                                 location={"lat": B[0], "lon": B[1], "accuracy_m": 5.0})
    assert client.post("/api/v1/submissions", json=payload,
                       headers=auth(place["surveyor"])).status_code == 201
    second = client.get("/api/v1/coverage/hexes?commune=cam-lo", headers={
        **auth(place["staff"]), "If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200 and second.headers["ETag"] != first.headers["ETag"]


def test_a_window_answers_its_cells_alone(client, place):
    """bbox: the cells whose centres lie in the window, each exactly as in the whole commune's
    answer (a map at street zoom asks for what it shows)."""
    for resolution in ("8", "10"):
        whole = hexes(client, place["staff"], resolution=resolution)
        lat, lon = A
        box = f"{lon - 0.004},{lat - 0.004},{lon + 0.004},{lat + 0.004}"
        window = hexes(client, place["staff"], resolution=resolution, bbox=box)
        inside = {c for c in whole if abs(h3.cell_to_latlng(c)[0] - lat) < 0.004
                  and abs(h3.cell_to_latlng(c)[1] - lon) < 0.004}
        assert set(window) == inside and cell(A, int(resolution)) in window
        assert all(window[c] == whole[c] for c in window)
        far = hexes(client, place["staff"], resolution=resolution,
                    bbox="106.0,17.0,106.01,17.01")
        assert far == {}
    area = client.get("/api/v1/coverage/hexes", query_string={
        "area": "cam-lo", "resolution": "10", "bbox": box}, headers=auth(place["staff"]))
    assert area.status_code == 200 and {f["id"] for f in area.json["features"]} == set(window)
    assert area.json["bbox"] == [float(v) for v in box.split(",")]


@pytest.mark.parametrize("box", ["1,2,3", "a,b,c,d", "106.9,16.7,106.8,16.8", "106.9,16.8,107.0,16.7",
                                 "nan,16.7,107,16.8", "-200,16.7,107,16.8",
                                 "106.0,16.0,107.0,17.0"])  # ~12,000 km²: too many cells at r10
def test_a_window_is_checked(client, place, box):
    response = client.get("/api/v1/coverage/hexes", query_string={
        "commune": "cam-lo", "resolution": "10", "bbox": box},
        headers={**auth(place["staff"]), "Accept-Language": "en"})
    assert response.status_code == 422, response.json
    assert set(response.json["errors"]) == {"bbox"}
    assert "bbox" in response.json["errors"]["bbox"]


@pytest.mark.parametrize(("params", "fields"), [
    ({"resolution": "11"}, {"resolution"}), ({"resolution": "x"}, {"resolution"}),
    ({"technology": "3g"}, {"technology"}), ({"operator": "telstra"}, {"operator"}),
    ({"period": "2026-13"}, {"period"}),
    ({"resolution": "5", "technology": "6g", "period": "soon"}, {"resolution", "technology", "period"}),
])
def test_hexes_validation_names_the_field(client, place, params, fields):
    response = client.get("/api/v1/coverage/hexes", query_string={"commune": "cam-lo", **params},
                          headers={**auth(place["staff"]), "Accept-Language": "en"})
    assert response.status_code == 422
    assert set(response.json["errors"]) == fields


def test_indicator_map_validation_and_access(client, place):
    url = "/api/v1/indicators/map"
    bad = client.get(url, query_string={"commune": "cam-lo", "code": "nope", "period": "2026-Q5"},
                     headers=auth(place["staff"]))
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"code", "period"}
    missing = client.get(url, query_string={"code": "hh_fiber"}, headers=auth(place["staff"]))
    assert missing.status_code == 422 and set(missing.json["errors"]) == {"commune"}
    for who in ("other_staff", "partner"):
        response = client.get(url, query_string={"commune": "cam-lo", "code": "hh_fiber"},
                              headers=auth(place[who]))
        assert response.status_code == 403
    assert client.get(url, query_string={"commune": "nowhere", "code": "hh_fiber"},
                      headers=auth(place["staff"])).status_code == 404
    assert client.get(url, query_string={"commune": "cam-lo", "code": "hh_fiber"}).status_code == 401
    assert client.get("/api/v1/coverage/hexes?commune=nowhere",
                      headers=auth(place["partner"])).status_code == 404
    assert client.get("/api/v1/coverage/hexes?commune=cam-lo").status_code == 401


def test_indicator_map_per_village(client, place):
    response = client.get("/api/v1/indicators/map", query_string={
        "commune": "cam-lo", "code": "hh_4g_home"}, headers=auth(place["surveyor"]))
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    body = response.json
    assert body["type"] == "FeatureCollection" and body["code"] == "hh_4g_home"
    by_slug = {f["properties"]["slug"]: f for f in body["features"]}
    one, two = by_slug["thon-1"], by_slug["thon-2"]
    assert one["geometry"] == {"type": "Point", "coordinates": [106.95, 16.75]}
    # 2 of 2 households: t on 2 − 1 = 1 degree of freedom (12.71), not z; so small a sample gets
    # Korn–Graubard's interval, 2·(1.96/12.71)² = 0.048 of 0.048: lower 0.025^(1/0.048) ≈ 0
    # (Wilson's gave 1.24 before issue 13's seed follow-up).
    assert {k: one["properties"][k] for k in ("name", "value", "ci_low", "ci_high", "n", "status",
                                              "below_target", "target")} == {
        "name": "Thôn 1", "value": 100.0, "ci_low": 0.0, "ci_high": 100.0, "n": 2,
        "status": "insufficient_data", "below_target": False, "target": 90.0}
    assert (two["properties"]["value"], two["properties"]["n"], two["properties"]["below_target"]) == (
        0.0, 1, True)
    assert one["properties"]["census"] is False and two["properties"]["gap"] == 90.0
    # The same numbers as the indicator table of that village.
    table = client.get("/api/v1/indicators?commune=cam-lo&village=thon-1",
                       headers=auth(place["surveyor"])).json
    row = next(r for r in table["indicators"] if r["code"] == "hh_4g_home")
    assert (row["value"], row["ci_low"], row["ci_high"], row["n"], row["status"]) == (
        100.0, 0.0, 100.0, 2, "insufficient_data")
    october = client.get("/api/v1/indicators/map", query_string={
        "commune": "cam-lo", "code": "hh_4g_home", "period": "2026-10"},
        headers=auth(place["surveyor"])).json
    assert [f["properties"]["n"] for f in october["features"]] == [0, 0]
    assert october["period"] == "2026-10"


def test_map_page(client, place):
    from tests.conftest import login
    from tests.factories import PASSWORD

    assert client.get("/communes/cam-lo/map").status_code == 302  # log in first
    login(client, "staff1", PASSWORD)
    page = client.get("/communes/cam-lo/map")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "vendor/leaflet-1.9.4/leaflet.js" in html and "js/map.js" in html
    data = json.loads(re.search(r'<script type="application/json" id="map-data">(.*?)</script>',
                                html, re.S).group(1))
    assert data["hexes_url"] == "/api/v1/coverage/hexes"
    assert data["tile_url"].startswith("https://tile.openstreetmap.org/")
    assert data["boundary"] == BOUNDARY
    assert len(data["points"]) == 3
    assert set(data["points"][0]) == {"lat", "lon", "village", "village_name", "date"}  # no answers
    assert data["points"][0]["date"] == "2026-11-20"
    assert client.get("/communes/kon-chieng/map").status_code == 403
    assert client.get("/communes/nowhere/map").status_code == 404


def test_survey_points_of_a_surveyor_are_their_own(client, db, place):
    from sqlalchemy import select

    from tests.conftest import login
    from tests.factories import PASSWORD

    commune = db.scalar(select(Commune).where(Commune.slug == "cam-lo"))
    make_user(db, "surveyor2", commune=commune)
    db.commit()
    login(client, "surveyor2", PASSWORD)
    html = client.get("/communes/cam-lo/map").get_data(as_text=True)
    data = json.loads(re.search(r'id="map-data">(.*?)</script>', html, re.S).group(1))
    assert data["points"] == []
