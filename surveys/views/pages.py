"""Home page, health check and the service worker (served from / so it controls the whole site)."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, send_from_directory
from flask_login import current_user
from sqlalchemy import select, text

from surveys.db import get_session
from surveys.models import Commune

bp = Blueprint("pages", __name__)


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated and current_user.role in ("surveyor",):
        from surveys.views.auth import home_for

        return redirect(home_for(current_user))
    communes = get_session().scalars(select(Commune).order_by(Commune.name)).all()
    return render_template("index.html", communes=communes)


@bp.route("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    get_session().execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.route("/sw.js")
def service_worker():  # type: ignore[no-untyped-def]
    response = send_from_directory(current_app.static_folder, "js/sw.js", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response
