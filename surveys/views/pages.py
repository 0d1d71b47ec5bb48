"""Home page, health check and the service worker (served from / so it controls the whole site)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Blueprint, Response, current_app, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select, text

from surveys.administration.access import readable_areas
from surveys.db import get_session
from surveys.models import Commune
from surveys.places.areas import Area, as_area, groups_of

bp = Blueprint("pages", __name__)


@bp.route("/")
def index() -> ResponseReturnValue:
    if current_user.is_authenticated and current_user.role in ("surveyor",):
        from surveys.views.auth import home_for

        return redirect(home_for(current_user))
    communes = get_session().scalars(select(Commune).order_by(Commune.name)).all()
    return render_template("index.html", communes=communes, areas=_areas())


def _areas() -> list[Area]:
    """The provinces and groups of communes the user reads (with a province's groups)."""
    if not current_user.is_authenticated:
        return []
    db = get_session()
    result = []
    for area in readable_areas(db, current_user._get_current_object()):
        if area.level == "commune":
            continue
        result.append(area)
        if area.level == "province":
            result += [as_area(group) for group in groups_of(db, area.id)]
    return result


@bp.route("/healthz")
def healthz() -> ResponseReturnValue:
    get_session().execute(text("SELECT 1"))
    return {"status": "ok"}


# The files the service worker precaches (ASSETS in static/js/sw.js), served cache-first on phones.
PRECACHED = ("css/app.css", "js/xpath.js", "js/form.js", "img/icon.svg", "manifest.webmanifest")


def build_stamp(static_folder: str) -> str:
    """A hash of the precached files and of every stylesheet and script: any change makes /sw.js
    byte-different, so phones install the new worker and fetch the new files, whether or not
    VERSION in sw.js was bumped (the worker keys static files by path, so a file changed under the
    same path must come with a new worker)."""
    digest = hashlib.sha256()
    names = sorted(set(PRECACHED) | {str(p.relative_to(static_folder)) for folder in ("css", "js")
                                     for p in Path(static_folder, folder).rglob("*") if p.is_file()})
    for name in names:
        digest.update(name.encode() + b"\0" + Path(static_folder, name).read_bytes())
    return digest.hexdigest()[:12]


@bp.route("/sw.js")
def service_worker() -> ResponseReturnValue:
    static = current_app.static_folder
    assert static is not None
    stamp = current_app.extensions.get("phusong.sw_stamp")
    if stamp is None or current_app.debug:
        stamp = current_app.extensions["phusong.sw_stamp"] = build_stamp(static)
    body = f"self.PHUSONG_BUILD = '{stamp}';\n" + Path(static, "js/sw.js").read_text("utf-8")
    # Browsers check /sw.js on almost every page: an ETag makes that check a 304 of a few bytes.
    # The tag is the stamp itself; Flask-Compress may add its encoding to it, so compare by stamp.
    headers = {"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"}
    etag = "sw-" + hashlib.sha256(body.encode()).hexdigest()[:16]
    if any(etag in tag for tag in request.if_none_match.as_set()):
        response = Response(status=304, headers=headers)
        response.set_etag(etag)
        return response
    response = Response(body, mimetype="text/javascript", headers=headers)
    response.set_etag(etag)
    return response
