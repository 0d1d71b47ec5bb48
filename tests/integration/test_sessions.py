"""Logins end (issue 14, item 2): the remember cookie is bounded by PERMANENT_SESSION_DAYS, and
logout, a password change or reset and deactivation end every session and remember cookie of the
user (users.session_version is part of every login's id)."""

from __future__ import annotations

from datetime import timedelta

from flask_login.utils import encode_cookie

from surveys.administration import accounts
from surveys.administration import users as user_service
from surveys.models import User, utcnow
from tests.conftest import csrf_from, login
from tests.factories import PASSWORD, make_commune, make_user

PAGE = "/surveys/household"


def _people(db):
    commune = make_commune(db)
    surveyor = make_user(db, "sv1", commune=commune)
    staff = make_user(db, "staff1", role="staff", commune=commune)
    db.commit()
    return surveyor, staff


def _signed_in(client) -> bool:
    return client.get(PAGE).status_code == 200


def _remember_only(app, client):
    """A second client holding only the first one's remember cookie (a browser restarted)."""
    cookie = client.get_cookie("remember_token")
    assert cookie is not None
    other = app.test_client()
    other.set_cookie("remember_token", cookie.value)
    return other


def test_the_remember_cookie_lasts_as_long_as_a_login_may(app, client, db) -> None:
    _people(db)
    login(client, "sv1", PASSWORD)
    cookie = client.get_cookie("remember_token")
    assert cookie is not None and cookie.expires is not None
    days = (cookie.expires - utcnow()).total_seconds() / 86400
    assert app.config["PERMANENT_SESSION_DAYS"] - 1 <= days <= app.config["PERMANENT_SESSION_DAYS"]
    assert _signed_in(_remember_only(app, client))  # a restarted browser stays signed in


def test_a_login_older_than_the_setting_is_over_even_with_a_remember_cookie(app, client, db) -> None:
    surveyor, _staff = _people(db)
    days = app.config["PERMANENT_SESSION_DAYS"]
    with app.test_request_context():
        old = encode_cookie(f"{surveyor.id}.{surveyor.session_version}."
                            f"{int((utcnow() - timedelta(days=days + 10)).timestamp())}")
        fresh = encode_cookie(f"{surveyor.id}.{surveyor.session_version}."
                              f"{int((utcnow() - timedelta(days=days - 1)).timestamp())}")
        bare = encode_cookie(str(surveyor.id))  # the old, unversioned form: a 365-day cookie
    for value, works in ((old, False), (bare, False), (fresh, True)):
        other = app.test_client()
        other.set_cookie("remember_token", value)
        assert _signed_in(other) is works, value


def test_logout_ends_every_session_of_the_user(app, client, db) -> None:
    _people(db)
    login(client, "sv1", PASSWORD)
    phone = app.test_client()
    login(phone, "sv1", PASSWORD)
    restarted = _remember_only(app, phone)
    assert _signed_in(phone) and _signed_in(client)
    page = client.get(PAGE).get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": csrf_from(page)}).status_code == 302
    assert not _signed_in(client)
    assert not _signed_in(phone)  # its session cookie is over
    assert not _signed_in(restarted)  # and so is its remember cookie
    login(phone, "sv1", PASSWORD)  # a new login works
    assert _signed_in(phone)


def test_a_password_reset_ends_every_session(app, client, db) -> None:
    surveyor, staff = _people(db)
    login(client, "sv1", PASSWORD)
    restarted = _remember_only(app, client)
    # The staff member resets it through the admin page.
    admin = app.test_client()
    login(admin, "staff1", PASSWORD)
    page = admin.get(f"/communes/cam-lo/admin/users/{surveyor.id}").get_data(as_text=True)
    response = admin.post(f"/communes/cam-lo/admin/users/{surveyor.id}/password",
                          data={"csrf_token": csrf_from(page), "password": "a-new-password"})
    assert response.status_code == 302
    assert not _signed_in(client) and not _signed_in(restarted)
    assert _signed_in(admin)  # the staff member's own session goes on
    login(client, "sv1", "a-new-password")
    assert _signed_in(client)
    # A password change (the same use case, e.g. from the CLI) ends them again.
    db.expire_all()
    accounts.set_password(db.get(User, surveyor.id), "another-password")
    db.commit()
    assert not _signed_in(client)


def test_deactivation_ends_every_session_and_reactivation_does_not_revive_them(app, client, db) -> None:
    surveyor, staff = _people(db)
    login(client, "sv1", PASSWORD)
    restarted = _remember_only(app, client)
    user_service.set_active(db, staff, surveyor, False)
    db.commit()
    assert not _signed_in(client) and not _signed_in(restarted)
    user_service.set_active(db, staff, surveyor, True)
    db.commit()
    assert not _signed_in(client) and not _signed_in(restarted)
