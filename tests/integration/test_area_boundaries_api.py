"""GET /api/v1/areas/SLUG/boundaries (issue 16): the outlines of an area's communes for its map,
cacheable (ETag, 304, gzip), readable by exactly those who may read the area; the map page no
longer carries them."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from shapely.geometry import shape
from sqlalchemy import select

from surveys.administration import accounts
from surveys.models import Commune
from surveys.places.groups import define_group
from surveys.places.province_import import import_province
from tests.conftest import login
from tests.factories import PASSWORD, auth, make_commune, make_partner, make_token, make_user
from tests.integration.test_places_import import _small_copy

URL = "/api/v1/areas/{}/boundaries"


@pytest.fixture
def world(db, tmp_path) -> dict[str, Any]:
    """Hà Tĩnh with three real communes, the group of two, a commune outside, users of each."""
    import_province(db, _small_copy(tmp_path), "ha-tinh")
    define_group(db, "cam-xuyen-district", "Huyện Cẩm Xuyên (cũ)", ["cam-due", "cam-xuyen"])
    cam_lo = make_commune(db, "cam-lo")
    due = db.scalar(select(Commune).where(Commune.slug == "cam-due"))
    staff = {level: make_token(db, accounts.create_user(db, f"staff-{level}", PASSWORD, "staff",
                                                        area_slug=slug))
             for level, slug in (("province", "ha-tinh"), ("group", "cam-xuyen-district"))}
    tokens = {**staff,
              "commune": make_token(db, make_user(db, "staff-due", role="staff", commune=due)),
              "other": make_token(db, make_user(db, "staff-cl", role="staff", commune=cam_lo)),
              "partner": make_token(db, make_user(db, "viettel1", role="partner",
                                                  partner=make_partner(db))),
              "admin": make_token(db, make_user(db, "root", role="admin"))}
    db.commit()
    return tokens


def test_the_outlines_of_the_province_communes(client, db, world) -> None:
    response = client.get(URL.format("ha-tinh"), headers=auth(world["province"]))
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    assert response.headers["Cache-Control"] == "private, max-age=3600"
    assert {"Authorization", "Cookie"} <= set(response.vary)
    body = response.get_json()
    assert (body["type"], body["area"], body["level"]) == ("FeatureCollection", "ha-tinh", "province")
    features = {f["properties"]["slug"]: f for f in body["features"]}
    assert set(features) == {"cam-due", "cam-xuyen", "thach-ha"}
    for commune in db.scalars(select(Commune).where(Commune.province_id.is_not(None))):
        feature = features[commune.slug]
        assert feature["type"] == "Feature"
        assert feature["properties"] == {"slug": commune.slug, "name": commune.name,
                                         "dashboard_url": f"/communes/{commune.slug}/dashboard"}
        outline, stored = shape(feature["geometry"]), shape(commune.boundary)
        assert outline.geom_type in ("Polygon", "MultiPolygon") and outline.is_valid
        # Simplified for the map: lighter, yet the same commune to a few per cent.
        assert len(json.dumps(feature["geometry"])) < len(json.dumps(commune.boundary))
        assert outline.symmetric_difference(stored).area < 0.03 * stored.area


def test_cached_by_etag_and_sent_compressed(client, world) -> None:
    headers = auth(world["province"])
    first = client.get(URL.format("ha-tinh"), headers=headers)
    etag = first.headers["ETag"]
    again = client.get(URL.format("ha-tinh"), headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    zipped = client.get(URL.format("ha-tinh"), headers={**headers, "Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.get_data())) == first.get_json()
    assert len(zipped.get_data()) < len(first.get_data()) / 2
    unchanged = client.get(URL.format("ha-tinh"), headers={
        **headers, "Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]})
    assert unchanged.status_code == 304


def test_a_changed_boundary_changes_the_answer(client, db, world) -> None:
    headers = auth(world["province"])
    before = client.get(URL.format("ha-tinh"), headers=headers)
    due = db.scalar(select(Commune).where(Commune.slug == "cam-due"))
    due.boundary = {"type": "Polygon", "coordinates": [[
        [106.0, 18.2], [106.1, 18.2], [106.1, 18.3], [106.0, 18.2]]]}
    db.commit()
    after = client.get(URL.format("ha-tinh"), headers={**headers,
                                                       "If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    outline = next(f for f in after.get_json()["features"] if f["properties"]["slug"] == "cam-due")
    assert outline["geometry"]["coordinates"] == [[[106.0, 18.2], [106.1, 18.2], [106.1, 18.3],
                                                   [106.0, 18.2]]]


@pytest.mark.parametrize("who", ["province", "group", "commune", "other", "partner", "admin"])
@pytest.mark.parametrize("slug", ["ha-tinh", "cam-xuyen-district"])
def test_readable_by_exactly_who_may_read_the_area(client, world, who, slug) -> None:
    area = client.get(f"/api/v1/areas/{slug}", headers=auth(world[who]))
    outlines = client.get(URL.format(slug), headers=auth(world[who]))
    assert outlines.status_code == area.status_code
    if area.status_code == 200:
        slugs = {f["properties"]["slug"] for f in outlines.get_json()["features"]}
        assert slugs == {c["slug"] for c in area.get_json()["children"]
                         if c["level"] == "commune"}


def test_other_areas_refused_and_unknown_not_found(client, world) -> None:
    assert client.get(URL.format("ha-tinh"), headers=auth(world["other"])).status_code == 403
    assert client.get(URL.format("ha-tinh"), headers=auth(world["group"])).status_code == 403
    assert client.get(URL.format("ha-tinh")).status_code == 401
    assert client.get(URL.format("nowhere"), headers=auth(world["admin"])).status_code == 404


def test_the_map_page_fetches_them_instead_of_embedding_them(client, world) -> None:
    login(client, "staff-province", PASSWORD)
    page = client.get("/areas/ha-tinh/map").get_data(as_text=True)
    assert '"boundaries_url":"/api/v1/areas/ha-tinh/boundaries"' in page.replace(" ", "")
    assert "coordinates" not in page
    outlines = client.get(URL.format("ha-tinh"))  # the page's own session is enough
    assert outlines.status_code == 200 and len(outlines.get_json()["features"]) == 3


def test_outlines_already_worked_out_do_not_read_the_boundaries_again(app, client, db, world):
    """The stored boundaries (a deferred column, ~0.5 MB for a province) are read once per
    boundary in a process, not once per commune on every request."""
    from sqlalchemy import event

    headers = auth(world["province"])
    assert client.get(URL.format("ha-tinh"), headers=headers).status_code == 200
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    engine = app.extensions["phusong.engine"]
    event.listen(engine, "before_cursor_execute", seen)
    try:
        again = client.get(URL.format("ha-tinh"), headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert again.status_code == 200 and again.json["features"]
    assert statements and not any("communes.boundary AS" in s or "communes.boundary \n" in s
                                  or "communes.boundary," in s for s in statements)
