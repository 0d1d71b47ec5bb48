"""Commune administration flows: users, teams (and what their surveyors are offered), survey rounds
(and the progress line on the form), partner organisations and their tokens."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from surveys.administration.rounds import today_in_vietnam
from surveys.models import ApiToken, AuditEvent, RoundSample, SurveyRound, Team, User
from tests.conftest import csrf_from, login
from tests.factories import (
    PASSWORD,
    auth,
    household_answers,
    make_commune,
    make_token,
    make_user,
    submission_payload,
)


def setup(db):
    commune = make_commune(db)  # thon-1 (120 households), thon-2 (80)
    other = make_commune(db, "kon-chieng", name="Xã Kon Chiêng", province="Gia Lai",
                         villages=(("lang-1", "Làng 1", 60),))
    make_user(db, "staff1", role="staff", commune=commune)
    make_user(db, "sv1", commune=commune)
    make_user(db, "sv2", commune=commune)
    make_user(db, "staff2", role="staff", commune=other)
    make_user(db, "sv-kc", commune=other)
    make_user(db, "root", role="admin")
    db.commit()
    return commune, other


def _csrf(client, path: str) -> str:
    return csrf_from(client.get(path).get_data(as_text=True))


def _user(db, username: str) -> User:
    db.expire_all()
    return db.scalar(select(User).where(User.username == username))


def _events(db, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)
                           .order_by(AuditEvent.id)))


def _login_fails(app, username: str, password: str) -> bool:
    fresh = app.test_client()
    page = fresh.get("/login").get_data(as_text=True)
    response = fresh.post("/login", data={"username": username, "password": password,
                                          "csrf_token": csrf_from(page)})
    return response.status_code == 401


# -- users ----------------------------------------------------------------------------------------

def test_staff_manage_the_communes_accounts(app, client, db) -> None:
    setup(db)
    login(client, "staff1", PASSWORD)
    token = _csrf(client, "/communes/cam-lo/admin/users")
    created = client.post("/communes/cam-lo/admin/users", data={
        "csrf_token": token, "username": "Sv3", "display_name": "Nguyễn Văn Ba",
        "role": "surveyor", "password": "mat-khau-moi-1"})
    assert created.status_code == 302
    sv3 = _user(db, "sv3")
    assert (sv3.role, sv3.commune.slug, sv3.display_name) == ("surveyor", "cam-lo", "Nguyễn Văn Ba")
    assert sv3.password_hash != "mat-khau-moi-1" and sv3.password_hash.startswith(("scrypt:", "pbkdf2:"))
    assert _events(db, "user.create")[0].details["after"]["username"] == "sv3"

    # Only admins make admins; a short password is refused by the field.
    admin_attempt = client.post("/communes/cam-lo/admin/users", data={
        "csrf_token": token, "username": "boss", "role": "admin", "password": "long-enough-1"})
    assert admin_attempt.status_code == 422
    assert "Chỉ quản trị viên mới tạo được" in admin_attempt.get_data(as_text=True)
    short = client.post("/communes/cam-lo/admin/users", data={
        "csrf_token": token, "username": "sv4", "role": "surveyor", "password": "short"})
    assert short.status_code == 422 and "Mật khẩu cần ít nhất 8 ký tự." in short.get_data(as_text=True)
    assert _user(db, "boss") is None and _user(db, "sv4") is None

    # Promote, give a new password, deactivate, reactivate: each in the audit log.
    page = client.get(f"/communes/cam-lo/admin/users/{sv3.id}").get_data(as_text=True)
    assert 'value="Nguyễn Văn Ba"' in page
    client.post(f"/communes/cam-lo/admin/users/{sv3.id}", data={
        "csrf_token": token, "display_name": "Nguyễn Văn Ba", "role": "staff"})
    assert _user(db, "sv3").role == "staff"
    change = _events(db, "user.update")[0].details
    assert (change["before"]["role"], change["after"]["role"]) == ("surveyor", "staff")

    reset = client.post(f"/communes/cam-lo/admin/users/{sv3.id}/password",
                        data={"csrf_token": token, "password": "mat-khau-thu-2"})
    assert reset.status_code == 302
    assert _login_fails(app, "sv3", "mat-khau-moi-1")
    assert not _login_fails(app, "sv3", "mat-khau-thu-2")
    event = _events(db, "user.password_reset")[0]
    assert "mat-khau" not in str(event.details) and "scrypt" not in str(event.details)

    client.post(f"/communes/cam-lo/admin/users/{sv3.id}/active",
                data={"csrf_token": token, "active": "0"})
    assert _user(db, "sv3").active is False
    assert _login_fails(app, "sv3", "mat-khau-thu-2")
    off = _events(db, "user.deactivate")[0].details
    assert (off["before"]["active"], off["after"]["active"]) == (True, False)
    client.post(f"/communes/cam-lo/admin/users/{sv3.id}/active",
                data={"csrf_token": token, "active": "1"})
    assert _user(db, "sv3").active is True

    # Not oneself; not another commune's account (404 through this commune's pages).
    me = _user(db, "staff1")
    selfie = client.post(f"/communes/cam-lo/admin/users/{me.id}/active",
                         data={"csrf_token": token, "active": "0"})
    assert selfie.status_code == 422 and _user(db, "staff1").active is True
    stranger = _user(db, "sv-kc")
    assert client.post(f"/communes/cam-lo/admin/users/{stranger.id}/active",
                       data={"csrf_token": token, "active": "0"}).status_code == 404
    assert client.get(f"/communes/cam-lo/admin/users/{stranger.id}").status_code == 404
    assert _user(db, "sv-kc").active is True


def test_admins_create_admins_without_a_commune(client, db) -> None:
    setup(db)
    login(client, "root", PASSWORD)
    token = _csrf(client, "/communes/cam-lo/admin/users")
    response = client.post("/communes/cam-lo/admin/users", data={
        "csrf_token": token, "username": "root2", "role": "admin", "password": "long-enough-1"})
    assert response.status_code == 302
    root2 = _user(db, "root2")
    assert (root2.role, root2.commune_id) == ("admin", None)


# -- teams and what surveyors are offered ---------------------------------------------------------

def _village_options(client) -> list[str]:
    html = client.get("/surveys/household").get_data(as_text=True)
    select_html = html.split('id="village"')[1].split("</select>")[0]
    return [v for v in re.findall(r'<option[^>]*value="([^"]*)"', select_html) if v]


def test_teams_set_the_villages_surveyors_are_offered(app, client, db) -> None:
    commune, _other = setup(db)
    login(client, "staff1", PASSWORD)
    token = _csrf(client, "/communes/cam-lo/admin/teams")
    created = client.post("/communes/cam-lo/admin/teams",
                          data={"csrf_token": token, "name": "Tổ CNSCĐ thôn 2"})
    team = db.scalar(select(Team))
    assert created.status_code == 302 and created.location.endswith(f"/teams/{team.id}")
    duplicate = client.post("/communes/cam-lo/admin/teams",
                            data={"csrf_token": token, "name": "Tổ CNSCĐ thôn 2"})
    assert duplicate.status_code == 422 and "Xã đã có tổ tên này." in duplicate.get_data(as_text=True)

    sv1, stranger = _user(db, "sv1"), _user(db, "sv-kc")
    thon_2 = next(v for v in commune.villages if v.slug == "thon-2")
    refused = client.post(f"/communes/cam-lo/admin/teams/{team.id}", data={
        "csrf_token": token, "name": "Tổ CNSCĐ thôn 2", "members": [str(sv1.id), str(stranger.id)],
        "villages": [str(thon_2.id)]})
    assert refused.status_code == 422
    assert "Thành viên phải là điều tra viên" in refused.get_data(as_text=True)
    saved = client.post(f"/communes/cam-lo/admin/teams/{team.id}", data={
        "csrf_token": token, "name": "Tổ CNSCĐ thôn 2", "members": [str(sv1.id)],
        "villages": [str(thon_2.id)]})
    assert saved.status_code == 302
    change = _events(db, "team.update")[0].details
    assert change["before"] == {"id": team.id, "name": "Tổ CNSCĐ thôn 2", "members": [], "villages": []}
    assert change["after"]["members"] == ["sv1"] and change["after"]["villages"] == ["thon-2"]
    listing = client.get("/communes/cam-lo/admin/teams").get_data(as_text=True)
    assert "sv1" in listing and "Thôn 2" in listing

    member, outsider = app.test_client(), app.test_client()
    login(member, "sv1", PASSWORD)
    login(outsider, "sv2", PASSWORD)
    assert _village_options(member) == ["thon-2"]
    assert _village_options(outsider) == ["thon-1", "thon-2"]  # in no team: every village
    assert _village_options(client) == ["thon-1", "thon-2"]  # staff: every village

    client.post(f"/communes/cam-lo/admin/teams/{team.id}/delete", data={"csrf_token": token})
    assert db.scalar(select(Team)) is None
    assert _events(db, "team.delete")[0].details["before"]["members"] == ["sv1"]
    assert _village_options(member) == ["thon-1", "thon-2"]


# -- survey rounds --------------------------------------------------------------------------------

def test_rounds_validate_and_show_progress_on_the_form(app, client, db) -> None:
    commune, _other = setup(db)
    ids = {v.slug: v.id for v in commune.villages}
    today = today_in_vietnam()
    login(client, "staff1", PASSWORD)
    token = _csrf(client, "/communes/cam-lo/admin/rounds")

    def post(path: str, **fields: str):
        return client.post(path, data={"csrf_token": token, **fields})

    backwards = post("/communes/cam-lo/admin/rounds", name="Đợt 1", starts_on="2026-12-10",
                     ends_on="2026-12-01")
    assert backwards.status_code == 422
    assert "Ngày kết thúc không được trước ngày bắt đầu." in backwards.get_data(as_text=True)
    too_many = post("/communes/cam-lo/admin/rounds", name="Đợt 1", starts_on="2026-12-01",
                    ends_on="2026-12-10", **{f"target_{ids['thon-2']}": "81"})
    assert too_many.status_code == 422
    assert "Cỡ mẫu lớn hơn số hộ của thôn (80)." in too_many.get_data(as_text=True)
    not_a_date = post("/communes/cam-lo/admin/rounds", name="Đợt 1", starts_on="01/12/2026",
                      ends_on="2026-12-10")
    assert "Ngày phải có dạng 2026-12-01." in not_a_date.get_data(as_text=True)

    created = post("/communes/cam-lo/admin/rounds", name="Đợt 1",
                   starts_on=(today - timedelta(days=5)).isoformat(),
                   ends_on=(today + timedelta(days=5)).isoformat(),
                   **{f"target_{ids['thon-1']}": "40", f"target_{ids['thon-2']}": "3"})
    assert created.status_code == 302
    survey_round = db.scalar(select(SurveyRound))
    assert {s.village_id: s.target_households for s in db.scalars(select(RoundSample))} == {
        ids["thon-1"]: 40, ids["thon-2"]: 3}
    assert _events(db, "round.create")[0].details["after"]["targets"] == {"thon-1": 40, "thon-2": 3}
    overlap = post("/communes/cam-lo/admin/rounds", name="Đợt 2",
                   starts_on=(today + timedelta(days=5)).isoformat(),
                   ends_on=(today + timedelta(days=20)).isoformat())
    assert overlap.status_code == 422 and "Trùng thời gian với đợt “Đợt 1”" in overlap.get_data(
        as_text=True)

    # Two consenting households and a refusal in thôn 2: 2 of the 3 in the sample.
    surveyor_token = make_token(db, _user(db, "sv1"))
    db.commit()
    for answers in (household_answers(), household_answers(household_code="CL-T2-002"),
                    {"consent": "no"}):
        response = client.post("/api/v1/submissions", headers=auth(surveyor_token),
                               json=submission_payload(village="thon-2", answers=answers))
        assert response.status_code == 201, response.get_json()
    surveyor = app.test_client()
    login(surveyor, "sv1", PASSWORD)
    surveyor.post("/lang/en", data={"csrf_token": _csrf(surveyor, "/surveys/household")})
    form = surveyor.get("/surveys/household").get_data(as_text=True)
    progress = form.split('id="round-progress"')[1].split("</ul>")[0]
    assert "Thôn 1: 0/40 households" in progress and "Thôn 2: 2/3 households" in progress

    listing = client.get("/communes/cam-lo/admin/rounds").get_data(as_text=True)
    assert "Đợt 1" in listing and '<progress max="43" value="2">' in listing

    edit = post(f"/communes/cam-lo/admin/rounds/{survey_round.id}", name="Đợt 1 (sửa)",
                starts_on=(today - timedelta(days=5)).isoformat(),
                ends_on=(today + timedelta(days=6)).isoformat(), **{f"target_{ids['thon-2']}": "5"})
    assert edit.status_code == 302
    change = _events(db, "round.update")[0].details
    assert change["before"]["targets"] == {"thon-1": 40, "thon-2": 3}
    assert change["after"]["targets"] == {"thon-2": 5} and change["after"]["name"] == "Đợt 1 (sửa)"

    post(f"/communes/cam-lo/admin/rounds/{survey_round.id}/delete")
    assert db.scalar(select(SurveyRound)) is None and db.scalar(select(RoundSample)) is None
    assert 'id="round-progress"' not in surveyor.get("/surveys/household").get_data(as_text=True)


# -- partner organisations ------------------------------------------------------------------------

def test_admin_manages_partners_users_and_tokens(app, client, db) -> None:
    setup(db)
    login(client, "root", PASSWORD)
    token = _csrf(client, "/admin/partners")
    bad = client.post("/admin/partners", data={"csrf_token": token, "slug": "Mobi Fone", "name": ""})
    assert bad.status_code == 422
    assert client.post("/admin/partners", data={"csrf_token": token, "slug": "mobifone",
                                                 "name": "MobiFone"}).status_code == 302
    partner_page = client.get("/admin/partners").get_data(as_text=True)
    link = re.search(r'href="(/admin/partners/\d+)"', partner_page)
    assert link and "MobiFone" in partner_page
    base = link.group(1)

    created = client.post(f"{base}/users", data={"csrf_token": token, "username": "mobi-qt",
                                                 "display_name": "MobiFone Quảng Trị",
                                                 "password": "long-enough-1"})
    assert created.status_code == 302
    person = _user(db, "mobi-qt")
    assert (person.role, person.partner.slug, person.commune_id) == ("partner", "mobifone", None)

    made = client.post(f"{base}/tokens", data={"csrf_token": token, "user": str(person.id),
                                               "label": "máy chủ đo"})
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    plain = re.search(r'<code id="new-token">(ps_[^<]+)</code>', made.get_data(as_text=True))
    assert plain
    session = app.test_client().get("/api/v1/session", headers=auth(plain.group(1)))
    assert session.status_code == 200 and session.get_json()["role"] == "partner"
    assert plain.group(1) not in client.get(base).get_data(as_text=True)  # shown once
    record = db.scalar(select(ApiToken))
    assert record.prefix in client.get(base).get_data(as_text=True)
    assert _events(db, "token.create")[0].actor == "root"

    revoked = client.post(f"{base}/tokens/{record.id}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 302
    assert app.test_client().get("/api/v1/session", headers=auth(plain.group(1))).status_code == 401
    assert _events(db, "token.revoke")[0].details["after"] == {"revoked": True}

    client.post(base, data={"csrf_token": token, "name": "Tổng công ty MobiFone"})
    rename = _events(db, "partner.update")[0].details
    assert (rename["before"]["name"], rename["after"]["name"]) == ("MobiFone", "Tổng công ty MobiFone")
    client.post(f"{base}/users/{person.id}/active", data={"csrf_token": token, "active": "0"})
    assert _user(db, "mobi-qt").active is False
