"""Log in and out; choose the page language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from forms.auth import LoginForm
from surveys import audit
from surveys.accounts import attempt_login
from surveys.db import get_session
from surveys.i18n import LOCALES

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def home_for(user) -> str:  # type: ignore[no-untyped-def]
    from surveys.views.navigation import home_for as landing

    return landing(user)


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        db = get_session()
        attempt = attempt_login(db, form.username.data or "", form.password.data or "")
        user = attempt.user
        if user is None:  # the name tried and why, never the password
            account = attempt.account
            audit.record(db, "login.failure", commune_id=account.commune_id if account else None,
                         target_type="user" if account else None,
                         target_id=account.id if account else None,
                         details={"username": (form.username.data or "")[:80],
                                  "reason": attempt.failure})
            db.commit()
        else:
            session.clear()  # a fresh session on login: no fixation
            login_user(user, remember=True)
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
        error = _("Wrong username or password.")
    status = 401 if error else 200
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
def logout():  # type: ignore[no-untyped-def]
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):  # type: ignore[no-untyped-def]
    if code in LOCALES:
        session["locale"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            get_session().commit()
    return redirect(_safe_next(request.form.get("next")) or url_for("pages.index"))
