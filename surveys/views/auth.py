"""Log in and out; choose the page language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy.orm import Session

from forms.auth import LoginForm
from surveys import audit
from surveys.administration import throttle
from surveys.administration.accounts import attempt_login, end_sessions, login_id
from surveys.db import get_session
from surveys.i18n import LOCALES
from surveys.models import User, utcnow

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def home_for(user: User) -> str:
    from surveys.views.navigation import home_for as landing

    return landing(user)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    error = None
    headers: dict[str, str] = {}
    status = 200
    if form.validate_on_submit():
        db = get_session()
        username, address = form.username.data or "", request.remote_addr
        now = utcnow()
        # Refused before any password is hashed: a read by primary key, shared by every worker.
        refusal = throttle.check(db, username, address, now=now)
        if refusal is not None:
            _audit_failure(db, username, None, "throttled")
            db.commit()
            error = _("Too many failed logins. Try again in %(seconds)s seconds.",
                      seconds=refusal.retry_after)
            headers["Retry-After"] = str(refusal.retry_after)
            status = 429
        else:
            attempt = attempt_login(db, username, form.password.data or "")
            user = attempt.user
            if user is None:  # the name tried and why, never the password
                _audit_failure(db, username, attempt.account, attempt.failure)
                throttle.record_failure(db, username, address, now=now)
                db.commit()
                error, status = _("Wrong username or password."), 401
            else:
                throttle.record_success(db, username, address)
                login_id(user, now)
                db.commit()
                session.clear()  # a fresh session on login: no fixation
                login_user(user, remember=True)
                session.permanent = True
                return redirect(_safe_next(request.args.get("next")) or home_for(user))
    return render_template("auth/login.html", form=form, error=error), status, headers


def _audit_failure(db: Session, username: str, account: User | None, reason: str | None) -> None:
    audit.record(db, "login.failure", commune_id=account.commune_id if account else None,
                 target_type="user" if account else None,
                 target_id=account.id if account else None,
                 details={"username": username[:80], "reason": reason})


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    if current_user.is_authenticated:  # every session and remember cookie of the user ends
        end_sessions(current_user._get_current_object())
        get_session().commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str) -> ResponseReturnValue:
    if code in LOCALES:
        session["locale"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            get_session().commit()
    return redirect(_safe_next(request.form.get("next")) or url_for("pages.index"))
