"""Every role against every administration and review endpoint, one test per cell.

Roles: anonymous, a surveyor of Cam Lộ, a partner user, staff of Cam Lộ (staff_own), staff of Kon
Chiêng (staff_other), an administrator, and staff of the areas above Cam Lộ (issue 16): of the province
of Quảng Trị (staff_province) and of a group of communes holding Cam Lộ (staff_group). Objects
belong to Cam Lộ unless the row says `kc_` (Kon Chiêng's), which tests reaching another commune's
data through one's own commune's URLs.

Expected cells: "login" (302 to the login page), "json401", 403, 404, 422 (a rule of the role), 200,
201, or 302 (done,
redirected onward). Every request carries a valid CSRF token, so a refusal is the access rule's.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from werkzeug.security import generate_password_hash

from surveys.models import (
    ApiToken,
    Commune,
    CommuneGroup,
    Partner,
    Province,
    Submission,
    SurveyRound,
    Target,
    Team,
    User,
    Village,
)
from tests.conftest import csrf_from, login
from tests.factories import PASSWORD, household_answers

ROLES = ("anonymous", "surveyor", "partner", "staff_own", "staff_other", "admin", "staff_province",
         "staff_group")
USERNAMES = {"surveyor": "sv-cl", "partner": "viettel-1", "staff_own": "staff-cl",
             "staff_other": "staff-kc", "admin": "root", "staff_province": "staff-qt",
             "staff_group": "staff-nhom"}
PASSWORD_HASH = generate_password_hash(PASSWORD)  # once for the module: scrypt is slow on purpose

L, J = "login", "json401"
# (method, path, body, {role: expected}) — body: a dict of form fields, "csv" (an import file),
# "json:<status>" (a PATCH body), or None.
MATRIX: list[tuple[str, str, Any, dict[str, int | str]]] = [
    # commune administration: pages
    ("GET", "/communes/cam-lo/admin", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=302, staff_other=403, admin=302)),
    ("GET", "/communes/cam-lo/admin/villages", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=200, staff_other=403, admin=200)),
    ("GET", "/communes/nowhere/admin/villages", None,
     dict(anonymous=L, surveyor=404, partner=404, staff_own=404, staff_other=404, admin=404)),
    ("GET", "/communes/cam-lo/admin/villages/{village}", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=200, staff_other=403, admin=200)),
    ("GET", "/communes/cam-lo/admin/villages/{kc_village}", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=404, staff_other=403, admin=404)),
    ("GET", "/communes/kon-chieng/admin/villages/{village}", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=404, admin=404)),
    ("GET", "/communes/cam-lo/admin/users", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=200, staff_other=403, admin=200)),
    ("GET", "/communes/cam-lo/admin/users/{surveyor}", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=200, staff_other=403, admin=200)),
    ("GET", "/communes/cam-lo/admin/users/{kc_surveyor}", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=404, staff_other=403, admin=404)),
    ("GET", "/communes/cam-lo/admin/users/{partner_user}", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=404, staff_other=403, admin=404)),
    ("GET", "/communes/cam-lo/admin/teams", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=200, staff_other=403, admin=200)),
    ("GET", "/communes/cam-lo/admin/teams/{team}", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=200, staff_other=403, admin=200)),
    ("GET", "/communes/cam-lo/admin/teams/{kc_team}", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=404, staff_other=403, admin=404)),
    ("GET", "/communes/cam-lo/admin/rounds", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=200, staff_other=403, admin=200)),
    ("GET", "/communes/cam-lo/admin/rounds/{round}", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=200, staff_other=403, admin=200)),
    ("GET", "/communes/cam-lo/admin/rounds/{kc_round}", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=404, staff_other=403, admin=404)),
    # commune administration: changes
    ("POST", "/communes/cam-lo/admin/villages", {"slug": "thon-moi", "name": "Thôn Mới"},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=302, staff_other=403, admin=302)),
    ("POST", "/communes/cam-lo/admin/villages/import", "csv",
     dict(anonymous=L, surveyor=403, partner=403, staff_own=302, staff_other=403, admin=302)),
    ("POST", "/communes/cam-lo/admin/villages/{village}", {"name": "Thôn Một"},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=302, staff_other=403, admin=302)),
    ("POST", "/communes/cam-lo/admin/villages/{kc_village}", {"name": "Làng Một"},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=404, staff_other=403, admin=404)),
    ("POST", "/communes/cam-lo/admin/users",
     {"username": "sv-new", "role": "surveyor", "password": "long-enough-1"},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=302, staff_other=403, admin=302)),
    ("POST", "/communes/cam-lo/admin/users",
     {"username": "root-new", "role": "admin", "password": "long-enough-1"},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=422, staff_other=403, admin=302)),
    ("POST", "/communes/cam-lo/admin/users/{surveyor}", {"role": "surveyor", "display_name": "A"},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=302, staff_other=403, admin=302)),
    ("POST", "/communes/cam-lo/admin/users/{surveyor}/password", {"password": "long-enough-2"},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=302, staff_other=403, admin=302)),
    ("POST", "/communes/cam-lo/admin/users/{kc_surveyor}/password", {"password": "long-enough-2"},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=404, staff_other=403, admin=404)),
    ("POST", "/communes/cam-lo/admin/users/{surveyor}/active", {"active": "0"},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=302, staff_other=403, admin=302)),
    ("POST", "/communes/cam-lo/admin/users/{kc_surveyor}/active", {"active": "0"},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=404, staff_other=403, admin=404)),
    ("POST", "/communes/cam-lo/admin/teams", {"name": "Tổ mới"},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=302, staff_other=403, admin=302)),
    ("POST", "/communes/cam-lo/admin/teams/{team}", {"name": "Tổ 1"},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=302, staff_other=403, admin=302)),
    ("POST", "/communes/cam-lo/admin/teams/{team}/delete", {},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=302, staff_other=403, admin=302)),
    ("POST", "/communes/cam-lo/admin/teams/{kc_team}/delete", {},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=404, staff_other=403, admin=404)),
    ("POST", "/communes/cam-lo/admin/rounds",
     {"name": "Đợt mới", "starts_on": "2030-01-01", "ends_on": "2030-01-31"},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=302, staff_other=403, admin=302)),
    ("POST", "/communes/cam-lo/admin/rounds/{round}",
     {"name": "Đợt 1", "starts_on": "2029-01-01", "ends_on": "2029-01-31"},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=302, staff_other=403, admin=302)),
    ("POST", "/communes/cam-lo/admin/rounds/{round}/delete", {},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=302, staff_other=403, admin=302)),
    ("POST", "/communes/cam-lo/admin/rounds/{kc_round}/delete", {},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=404, staff_other=403, admin=404)),
    # partner organisations: administrators only
    ("GET", "/admin/partners", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=200)),
    ("POST", "/admin/partners", {"slug": "vnpt", "name": "VNPT"},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=302)),
    ("GET", "/admin/partners/{partner}", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=200)),
    ("POST", "/admin/partners/{partner}", {"name": "Viettel Quảng Trị"},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=302)),
    ("POST", "/admin/partners/{partner}/users", {"username": "viettel-2", "password": "long-enough-1"},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=302)),
    ("POST", "/admin/partners/{partner}/users/{partner_user}/active", {"active": "0"},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=302)),
    ("POST", "/admin/partners/{partner}/tokens", {"user": "{partner_user}", "label": "máy đo"},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=201)),
    ("POST", "/admin/partners/{partner}/tokens/{token}/revoke", {},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=302)),
    # review (surveys/views/review.py, PATCH /api/v1/submissions/ID)
    ("GET", "/communes/cam-lo/review", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=200, staff_other=403, admin=200)),
    ("GET", "/communes/cam-lo/review/{submission}", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=200, staff_other=403, admin=200)),
    ("GET", "/communes/cam-lo/review/{kc_submission}", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=404, staff_other=403, admin=404)),
    ("POST", "/communes/cam-lo/review/{submission}", {"review_status": "approved"},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=302, staff_other=403, admin=302)),
    ("PATCH", "/api/v1/submissions/{submission}", "json:approved",
     dict(anonymous=J, surveyor=403, partner=403, staff_own=200, staff_other=404, admin=200)),
    ("PATCH", "/api/v1/submissions/{kc_submission}", "json:approved",
     dict(anonymous=J, surveyor=403, partner=403, staff_own=404, staff_other=200, admin=200)),
]

# Staff of a province or group holding Cam Lộ read under their area but change nothing in a commune
# (no administration, no review): the rows above answer them as they answer staff of another
# commune, except where that staff's own commune (Kon Chiêng) made the difference.
AREA_ROLES = ("staff_province", "staff_group")
AREA_EXCEPTIONS = {("GET", "/communes/kon-chieng/admin/villages/{village}"): 403,
                   ("PATCH", "/api/v1/submissions/{kc_submission}"): 404}
for _method, _path, _body, _expected in MATRIX:
    for _role in AREA_ROLES:
        _expected.setdefault(_role, AREA_EXCEPTIONS.get((_method, _path), _expected["staff_other"]))

TARGET = {"indicator": "hh_4g_home", "comparator": ">=", "value": 80, "target_year": 2030}
# Areas of every level: reading them, and targets at each level (body ("json", {...})).
MATRIX += [
    ("GET", "/api/v1/areas", None,
     dict(anonymous=J, surveyor=200, partner=200, staff_own=200, staff_other=200, admin=200,
          staff_province=200, staff_group=200)),
    ("GET", "/api/v1/areas/quang-tri", None,
     dict(anonymous=J, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=200,
          staff_province=200, staff_group=403)),
    ("GET", "/api/v1/areas/nhom-cam-lo", None,
     dict(anonymous=J, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=200,
          staff_province=200, staff_group=200)),
    ("GET", "/api/v1/areas/cam-lo", None,
     dict(anonymous=J, surveyor=200, partner=403, staff_own=200, staff_other=403, admin=200,
          staff_province=200, staff_group=200)),
    ("GET", "/api/v1/areas/kon-chieng", None,
     dict(anonymous=J, surveyor=403, partner=403, staff_own=403, staff_other=200, admin=200,
          staff_province=403, staff_group=403)),
    ("GET", "/api/v1/indicators?area=quang-tri", None,
     dict(anonymous=J, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=200,
          staff_province=200, staff_group=403)),
    ("GET", "/api/v1/indicators/communes?area=nhom-cam-lo&code=hh_4g_home", None,
     dict(anonymous=J, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=200,
          staff_province=200, staff_group=200)),
    ("GET", "/api/v1/indicators?commune=cam-lo", None,
     dict(anonymous=J, surveyor=200, partner=403, staff_own=200, staff_other=403, admin=200,
          staff_province=200, staff_group=200)),
    ("GET", "/communes/cam-lo/dashboard", None,
     dict(anonymous=L, surveyor=200, partner=403, staff_own=200, staff_other=403, admin=200,
          staff_province=200, staff_group=200)),
    ("POST", "/api/v1/targets", ("json", {"area": "quang-tri", **TARGET}),
     dict(anonymous=J, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=201,
          staff_province=201, staff_group=403)),
    ("POST", "/api/v1/targets", ("json", {"area": "nhom-cam-lo", **TARGET}),
     dict(anonymous=J, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=201,
          staff_province=403, staff_group=201)),
    ("POST", "/api/v1/targets", ("json", {"commune": "cam-lo", **TARGET}),
     dict(anonymous=J, surveyor=403, partner=403, staff_own=201, staff_other=403, admin=201,
          staff_province=403, staff_group=403)),
]

TARGET_FORM = {"indicator": "hh_4g_home", "comparator": ">=", "value": "80", "target_year": "2030"}
AREA_USER = {"username": "can-bo-moi", "display_name": "Cán bộ mới", "password": "long-enough-1"}
# The pages of a province's or group's targets (its readers see them, those who may set targets at
# that level change them) and of its staff accounts (administrators only).
MATRIX += [
    ("GET", "/areas/quang-tri/targets", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=200,
          staff_province=200, staff_group=403)),
    ("GET", "/areas/nhom-cam-lo/targets", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=200,
          staff_province=200, staff_group=200)),
    ("POST", "/areas/quang-tri/targets", TARGET_FORM,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=302,
          staff_province=302, staff_group=403)),
    ("POST", "/areas/nhom-cam-lo/targets", TARGET_FORM,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=302,
          staff_province=403, staff_group=302)),
    ("GET", "/areas/quang-tri/targets/{province_target}", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=200,
          staff_province=200, staff_group=403)),
    ("POST", "/areas/quang-tri/targets/{province_target}", TARGET_FORM,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=302,
          staff_province=302, staff_group=403)),
    ("POST", "/areas/nhom-cam-lo/targets/{group_target}", TARGET_FORM,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=302,
          staff_province=403, staff_group=302)),
    ("GET", "/areas/nhom-cam-lo/targets/{province_target}", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=404,
          staff_province=403, staff_group=404)),
    ("POST", "/areas/quang-tri/targets/{province_target}/delete", {},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=302,
          staff_province=302, staff_group=403)),
    ("POST", "/areas/nhom-cam-lo/targets/{group_target}/delete", {},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=302,
          staff_province=403, staff_group=302)),
    ("POST", "/areas/quang-tri/targets/{commune_target}/delete", {},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=404,
          staff_province=404, staff_group=403)),
    # An area's own audit log: those who may change it (its staff, admins); a commune's slug leads
    # to the commune's log.
    ("GET", "/areas/quang-tri/audit", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=200,
          staff_province=200, staff_group=403)),
    ("GET", "/areas/nhom-cam-lo/audit", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=200,
          staff_province=403, staff_group=200)),
    ("GET", "/areas/cam-lo/audit", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=302, staff_other=403, admin=302,
          staff_province=403, staff_group=403)),
    ("GET", "/areas/quang-tri/admin/users", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=200,
          staff_province=403, staff_group=403)),
    ("GET", "/areas/nhom-cam-lo/admin/users", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=200,
          staff_province=403, staff_group=403)),
    ("POST", "/areas/quang-tri/admin/users", AREA_USER,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=302,
          staff_province=403, staff_group=403)),
    ("POST", "/areas/nhom-cam-lo/admin/users", AREA_USER,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=302,
          staff_province=403, staff_group=403)),
    ("GET", "/areas/quang-tri/admin/users/{province_staff}", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=200,
          staff_province=403, staff_group=403)),
    ("GET", "/areas/quang-tri/admin/users/{group_staff}", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=404,
          staff_province=403, staff_group=403)),
    ("GET", "/areas/nhom-cam-lo/admin/users/{surveyor}", None,
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=404,
          staff_province=403, staff_group=403)),
    ("POST", "/areas/nhom-cam-lo/admin/users/{group_staff}", {"display_name": "B"},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=302,
          staff_province=403, staff_group=403)),
    ("POST", "/areas/quang-tri/admin/users/{province_staff}/password", {"password": "long-enough-2"},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=302,
          staff_province=403, staff_group=403)),
    ("POST", "/areas/nhom-cam-lo/admin/users/{group_staff}/active", {"active": "0"},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=302,
          staff_province=403, staff_group=403)),
    ("POST", "/areas/quang-tri/admin/users/{group_staff}/active", {"active": "0"},
     dict(anonymous=L, surveyor=403, partner=403, staff_own=403, staff_other=403, admin=404,
          staff_province=403, staff_group=403)),
]

CELLS = [pytest.param(method, path, body, role, expected[role], id=f"{method} {path} {role}")
         for method, path, body, expected in MATRIX for role in ROLES]


def test_every_role_has_an_expected_cell() -> None:
    assert all(set(expected) == set(ROLES) for *_rest, expected in MATRIX)


def _user(db, username: str, role: str, **where: Any) -> User:
    user = User(username=username, password_hash=PASSWORD_HASH, role=role, **where)
    db.add(user)
    return user


def _submission(db, commune: Commune, village: Village, surveyor: User, n: int) -> Submission:
    submission = Submission(
        instance_id=f"00000000-0000-4000-8000-00000000000{n}", survey="household",
        survey_version="1", commune_id=commune.id, village=village, surveyor=surveyor,
        collected_at=datetime(2026, 11, 20, 2, 30, tzinfo=UTC), location_source="gps",
        lat=village.lat, lon=village.lon, answers=household_answers(), content_hash=f"{n:064d}")
    db.add(submission)
    return submission


def _world(db) -> dict[str, int]:
    quang_tri = Province(slug="quang-tri", name="Tỉnh Quảng Trị", code="44")
    cam_lo = Commune(slug="cam-lo", name="Xã Cam Lộ", province="Quảng Trị", parent=quang_tri)
    group = CommuneGroup(slug="nhom-cam-lo", name="Nhóm Cam Lộ", province=quang_tri,
                         communes=[cam_lo])
    kon_chieng = Commune(slug="kon-chieng", name="Xã Kon Chiêng", province="Gia Lai")
    village = Village(commune=cam_lo, slug="thon-1", name="Thôn 1", lat=16.75, lon=106.95,
                      household_count=120)
    kc_village = Village(commune=kon_chieng, slug="lang-1", name="Làng 1", lat=14.2, lon=108.3)
    partner = Partner(slug="viettel", name="Viettel")
    db.add_all([quang_tri, cam_lo, group, kon_chieng, village, kc_village, partner])
    surveyor = _user(db, USERNAMES["surveyor"], "surveyor", commune=cam_lo)
    kc_surveyor = _user(db, "sv-kc", "surveyor", commune=kon_chieng)
    partner_user = _user(db, USERNAMES["partner"], "partner", partner=partner)
    _user(db, USERNAMES["staff_own"], "staff", commune=cam_lo)
    _user(db, USERNAMES["staff_other"], "staff", commune=kon_chieng)
    _user(db, USERNAMES["admin"], "admin")
    province_staff = _user(db, USERNAMES["staff_province"], "staff", province=quang_tri)
    group_staff = _user(db, USERNAMES["staff_group"], "staff", group=group)
    db.flush()
    targets = [Target(indicator="hh_4g_home", comparator=">=", value=80, target_year=2030, **place)
               for place in ({"province_id": quang_tri.id}, {"group_id": group.id},
                             {"commune_id": cam_lo.id})]
    team, kc_team = Team(commune_id=cam_lo.id, name="Tổ 1"), Team(commune_id=kon_chieng.id, name="Tổ 1")
    rounds = [SurveyRound(commune_id=c.id, name="Đợt 1", starts_on=date(2026, 11, 1),
                          ends_on=date(2026, 11, 30)) for c in (cam_lo, kon_chieng)]
    token = ApiToken(user=partner_user, token_hash="0" * 64, prefix="ps_0000000", label="cũ")
    db.add_all([team, kc_team, *rounds, token, *targets])
    submission = _submission(db, cam_lo, village, surveyor, 1)
    kc_submission = _submission(db, kon_chieng, kc_village, kc_surveyor, 2)
    db.commit()
    return {"village": village.id, "kc_village": kc_village.id, "surveyor": surveyor.id,
            "kc_surveyor": kc_surveyor.id, "partner_user": partner_user.id, "team": team.id,
            "kc_team": kc_team.id, "round": rounds[0].id, "kc_round": rounds[1].id,
            "partner": partner.id, "token": token.id, "submission": submission.id,
            "kc_submission": kc_submission.id, "province_staff": province_staff.id,
            "group_staff": group_staff.id, "province_target": targets[0].id,
            "group_target": targets[1].id, "commune_target": targets[2].id}


def _token(client) -> str:
    """A CSRF token of this client's session: every page (error pages too) carries one."""
    return csrf_from(client.get("/communes/cam-lo/admin/villages", follow_redirects=True)
                     .get_data(as_text=True))


@pytest.mark.parametrize(("method", "path", "body", "role", "expected"), CELLS)
def test_cell(client, db, method: str, path: str, body: Any, role: str,
              expected: int | str) -> None:
    ids = _world(db)
    if role != "anonymous":
        login(client, USERNAMES[role], PASSWORD)
    csrf = _token(client)
    url = path.format(**ids)
    if body is None:
        response = client.open(url, method=method)
    elif body == "csv":
        response = client.post(url, content_type="multipart/form-data", data={
            "csrf_token": csrf, "file": (io.BytesIO(b"slug,name\nthon-moi,Th\xc3\xb4n M\xe1\xbb\x9bi\n"),
                                         "thon.csv")})
    elif isinstance(body, tuple):
        response = client.open(url, method=method, json=body[1], headers={"X-CSRFToken": csrf})
    elif isinstance(body, str) and body.startswith("json:"):
        response = client.open(url, method=method, json={"review_status": body[5:]},
                               headers={"X-CSRFToken": csrf})
    else:
        data = {k: v.format(**ids) for k, v in body.items()}
        response = client.open(url, method=method, data={"csrf_token": csrf, **data})
    if expected == "login":
        assert (response.status_code, response.location.split("?")[0]) == (302, "/login")
    elif expected == "json401":
        assert response.status_code == 401 and response.get_json()["code"] == "401.1"
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:300]
        if expected == 302:
            assert not response.location.startswith("/login")
