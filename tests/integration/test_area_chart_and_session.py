"""The area dashboard's ranking chart (one bar per commune with data, none for communes without,
the area's target as a line) and `area` in GET /api/v1/session (issue 16)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from surveys.administration import accounts
from surveys.models import Province, Target
from surveys.places.groups import define_group
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


@pytest.fixture
def world(client, db) -> dict[str, Any]:
    """Hà Tĩnh with three communes: Cẩm Duệ and Cẩm Xuyên surveyed, Thạch Hà not."""
    province = Province(slug="ha-tinh", name="Tỉnh Hà Tĩnh", code="42")
    db.add(province)
    due = make_commune(db, "cam-due", name="Xã Cẩm Duệ", province="Hà Tĩnh")
    xuyen = make_commune(db, "cam-xuyen", name="Xã Cẩm Xuyên", province="Hà Tĩnh",
                         villages=(("thon-1", "Thôn 1", 100),))
    thach_ha = make_commune(db, "thach-ha", name="Xã Thạch Hà", province="Hà Tĩnh",
                            villages=(("thon-1", "Thôn 1", 50),))
    for commune in (due, xuyen, thach_ha):
        commune.parent = province
    db.flush()
    define_group(db, "cam-xuyen-district", "Huyện Cẩm Xuyên (cũ)", ["cam-due", "cam-xuyen"],
                 province=province)
    users = {"province": accounts.create_user(db, "staff-ht", PASSWORD, "staff",
                                              area_slug="ha-tinh"),
             "group": accounts.create_user(db, "staff-cx", PASSWORD, "staff",
                                           area_slug="cam-xuyen-district"),
             "commune": make_user(db, "staff-due", role="staff", commune=due),
             "partner": make_user(db, "viettel1", role="partner", partner=make_partner(db)),
             "admin": make_user(db, "root", role="admin"),
             "sv-due": make_user(db, "sv-due", commune=due),
             "sv-xuyen": make_user(db, "sv-xuyen", commune=xuyen)}
    tokens = {name: make_token(db, user) for name, user in users.items()}
    db.commit()
    for token, village, count in (("sv-due", "thon-1", 4), ("sv-due", "thon-2", 2),
                                  ("sv-xuyen", "thon-1", 3)):
        for _ in range(count):
            response = client.post("/api/v1/submissions", headers=auth(tokens[token]),
                                   json=submission_payload(village=village,
                                                           answers=household_answers()))
            assert response.status_code == 201, response.get_json()
    return {"tokens": tokens, "province": province.id}


def _chart(html: str) -> str:
    figure = html[html.index('<figure class="chart-box" id="ranking-chart">'):]
    return figure[:figure.index("</svg>") + len("</svg>")]


def test_one_bar_per_commune_with_data_and_the_areas_target(client, db, world) -> None:
    login(client, "staff-ht", PASSWORD)
    html = client.get("/areas/ha-tinh?code=hh_4g_home").get_data(as_text=True)
    svg = _chart(html)
    assert 'role="img"' in svg and "<title>" in svg and 'viewBox="0 0 360 ' in svg
    labels = re.findall(r'<text class="label"[^>]*>([^<]*)</text>', svg)
    assert sorted(labels) == ["Xã Cẩm Duệ", "Xã Cẩm Xuyên"]  # Thạch Hà: no data, no bar
    assert svg.count('<g class="row">') == svg.count('<rect class="bar"') == 2
    assert 'class="target"' not in svg  # no target at the province's level yet
    # The text alternative: the ranking table holds every commune, Thạch Hà without a value.
    assert len(re.findall(r'<tr data-commune="', html)) == 3
    assert "Thạch Hà" in html[html.index('id="without-data"'):]

    db.add(Target(province_id=world["province"], indicator="hh_4g_home", comparator=">=",
                  value=90, target_year=2030, source_document="", source_article="",
                  source_text=""))
    db.commit()
    svg = _chart(client.get("/areas/ha-tinh?code=hh_4g_home").get_data(as_text=True))
    assert svg.count('class="target"') == 1 and "Chỉ tiêu 90 %" in svg


def test_no_chart_when_no_commune_has_data(client, db) -> None:
    province = Province(slug="quang-tri", name="Tỉnh Quảng Trị", code="44")
    db.add(province)
    make_commune(db).parent = province
    make_user(db, "root", role="admin")
    db.commit()
    login(client, "root", PASSWORD)
    html = client.get("/areas/quang-tri").get_data(as_text=True)
    assert 'id="ranking-chart"' not in html and '<tr data-commune="cam-lo"' in html


def test_the_session_names_an_area_users_area(client, world) -> None:
    tokens = world["tokens"]
    province = client.get("/api/v1/session", headers=auth(tokens["province"])).get_json()
    assert province["area"] == {"slug": "ha-tinh", "name": "Tỉnh Hà Tĩnh", "level": "province"}
    assert (province["username"], province["role"], province["commune"]) == \
        ("staff-ht", "staff", None)
    assert set(province) == {"username", "role", "commune", "area", "csrf_token"}
    group = client.get("/api/v1/session", headers=auth(tokens["group"])).get_json()
    assert group["area"] == {"slug": "cam-xuyen-district", "name": "Huyện Cẩm Xuyên (cũ)",
                             "level": "group"}
    for name, commune in (("commune", "cam-due"), ("sv-due", "cam-due"), ("partner", None),
                          ("admin", None)):
        body = client.get("/api/v1/session", headers=auth(tokens[name])).get_json()
        assert (body["area"], body["commune"]) == (None, commune), name
        assert body["csrf_token"]


def test_the_openapi_description_has_the_sessions_area(client) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    response = document["paths"]["/api/v1/session"]["get"]["responses"]["200"]
    schema = response["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/Session"}
    session = document["components"]["schemas"]["Session"]
    assert session["properties"]["area"]["properties"]["level"]["enum"] == ["province", "group"]
    assert set(session["required"]) == {"username", "role", "commune", "area", "csrf_token"}


def test_the_targets_page_shows_each_area_targets_status_as_the_dashboard(app, client, db,
                                                                         world) -> None:
    app.config["INDICATOR_MIN_HOUSEHOLDS"] = 5
    db.add(Target(province_id=world["province"], indicator="hh_4g_home", comparator=">=",
                  value=99, target_year=2025, source_document="", source_article="",
                  source_text=""))
    db.commit()
    api = client.get("/api/v1/indicators?area=ha-tinh", headers=auth(world["tokens"]["province"]))
    row = next(r for r in api.get_json()["indicators"] if r["code"] == "hh_4g_home")
    assert row["target"] == 99 and row["status"] not in (None, "insufficient_data")
    login(client, "staff-ht", PASSWORD)
    html = client.get("/areas/ha-tinh/targets").get_data(as_text=True)
    assert re.findall(r'class="status status-(\w+)"', html) == [row["status"]]
