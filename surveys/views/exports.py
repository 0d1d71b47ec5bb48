"""Staff exports of a commune's submissions and indicators, and the commune's audit log:
/communes/SLUG/export/..., /communes/SLUG/audit. Staff of the commune and admins only: surveyors
and partners never receive raw rows (Decree 13/2023/NĐ-CP, docs/privacy.md)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys import audit
from surveys.administration.access import area_for, commune_for
from surveys.collection import exports as submission_exports
from surveys.collection.review import STATUSES
from surveys.db import get_session
from surveys.definitions import get_definition
from surveys.errors import Problem, Text
from surveys.indicators.exports import EXPORTERS
from surveys.indicators.report import indicator_table, parse_period
from surveys.models import Commune, User, Village
from surveys.places import vntime
from surveys.views import login_manager
from surveys.views.api import api_user
from surveys.views.auditing import record
from surveys.views.params import page_arg
from surveys.views.review import STATUS_LABELS

bp = Blueprint("exports", __name__)

ACTION_LABELS = {
    "export.submissions": _l("Export of submissions"),
    "export.indicators": _l("Export of indicators"),
    "token.create": _l("API token created"),
    "target.create": _l("Target added"),
    "target.update": _l("Target changed"),
    "target.delete": _l("Target removed"),
    "login.failure": _l("Failed login"),
    "submission.review": _l("Submission reviewed"),
    "submission.correct": _l("Correction sent"),
    "village.create": _l("Village added"),
    "village.update": _l("Village changed"),
    "village.import": _l("Villages imported"),
    "user.create": _l("Account created"),
    "user.update": _l("Account changed"),
    "user.activate": _l("Account reactivated"),
    "user.deactivate": _l("Account deactivated"),
    "user.password_reset": _l("Password set by staff"),
    "team.create": _l("Team added"),
    "team.update": _l("Team changed"),
    "team.delete": _l("Team removed"),
    "round.create": _l("Survey round added"),
    "round.update": _l("Survey round changed"),
    "round.delete": _l("Survey round removed"),
    "partner.create": _l("Partner organisation added"),
    "partner.update": _l("Partner organisation renamed"),
    "token.revoke": _l("API token revoked"),
}
# What the audit log names in words instead of codes: the kind of record acted on, and the facts
# and fields of an entry (an unknown key is shown as it is).
TARGET_LABELS = {
    "api_token": _l("API token"), "commune": _l("commune"), "partner": _l("partner organisation"),
    "submission": _l("household"), "survey_round": _l("survey round"), "target": _l("plan target"),
    "team": _l("team"), "user": _l("account"), "village": _l("village"), "webhook": _l("webhook"),
}
FIELD_LABELS = {
    "created": _l("created"), "events": _l("events"), "filename": _l("file name"),
    "filter": _l("filter"), "format": _l("format"), "ignored_columns": _l("ignored columns"),
    "label": _l("label"), "period": _l("period"), "prefix": _l("token start"),
    "reason": _l("reason"), "review_status": _l("review status"), "revoked": _l("revoked"),
    "superseded_by": _l("replaced by"), "updated": _l("updated"), "url": _l("address"),
    "user": _l("account"), "username": _l("username"), "village": _l("village"),
    "status": _l("review status"), "since": _l("from"), "until": _l("to"),
    "surveyor": _l("surveyor"), "commune": _l("commune"), "code": _l("indicator"),
    "name": _l("name"), "role": _l("role"), "active": _l("active"), "value": _l("value"),
}
PER_PAGE = 50


def actor_text(actor: str) -> str:
    """Who acted, in words: a username stays; the command line, a token and a visitor are named."""
    if actor == "cli":
        return str(_l("command line (server)"))
    if actor == audit.ANONYMOUS:
        return str(_l("not logged in"))
    if actor.startswith("token:"):
        return str(_l("API token %(prefix)s…", prefix=actor[6:]))
    return actor


def field_text(key: str) -> str:
    return " · ".join(str(FIELD_LABELS.get(part, part)) for part in key.split("."))


def target_text(target_type: str | None, target_id: int | None) -> str:
    if not target_type:
        return ""
    return f"{TARGET_LABELS.get(target_type, target_type)} #{target_id}"


def _caller() -> User | None:
    """A Bearer token (scripts) or the logged-in session; None when neither."""
    if request.headers.get("Authorization"):
        return api_user()
    if current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def _staff_commune(slug: str) -> Commune:
    user = _caller()
    if user is None:
        raise _LoginNeeded
    return commune_for(get_session(), user, slug, write=True)


class _LoginNeeded(Exception):
    pass


@bp.errorhandler(_LoginNeeded)
def _login(_exc: _LoginNeeded) -> ResponseReturnValue:
    return login_manager.unauthorized()


def _village(commune: Commune) -> Village | None:
    slug = request.args.get("village")
    if not slug:
        return None
    village = get_session().scalar(select(Village).where(Village.commune_id == commune.id,
                                                         Village.slug == slug))
    if village is None:
        raise Problem("422.1", errors={"village": Text("Không có thôn này trong xã.",
                                                       "No such village in the commune.")})
    return village


def _filename(stem: str, commune: Commune, parts: dict[str, str | None], fmt: str) -> str:
    suffix = "".join(f"-{v}" for v in parts.values() if v)
    return f"{stem}-{commune.slug}{suffix}.{fmt}"


def _closing(chunks: Iterator[bytes], session: Session) -> Iterator[bytes]:
    """The stream reads with the request's session after the view has returned (and after the
    request's teardown closed it once): close it again when the stream ends or the client goes,
    so no connection stays checked out in an open transaction."""
    try:
        yield from chunks
    finally:
        session.close()


def _download(body: Any, mimetype: str, filename: str) -> Response:
    response = Response(body, content_type=mimetype)  # the type names its charset already
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"  # personal data: never kept by a cache
    response.headers["X-Accel-Buffering"] = "no"  # let nginx pass the stream on as it comes
    return response


@bp.get("/communes/<slug>/export")
def index(slug: str) -> ResponseReturnValue:
    commune = _staff_commune(slug)
    return render_template("exports/index.html", commune=commune,
                           villages=sorted(commune.villages, key=lambda v: v.name),
                           statuses=[(s, STATUS_LABELS[s]) for s in STATUSES])


@bp.get("/communes/<slug>/export/submissions.<any(csv, xlsx, geojson):fmt>")
def submissions(slug: str, fmt: str) -> ResponseReturnValue:
    commune = _staff_commune(slug)
    db = get_session()
    definition = get_definition("household")
    assert definition is not None
    where = submission_exports.ExportFilter(
        village=_village(commune), period=parse_period(request.args.get("period")),
        status=submission_exports.parse_status(request.args.get("status")))
    body = submission_exports.export(db, commune, definition, where, fmt,
                                     sheet_name="Phiếu hộ" if str(get_locale()) != "en"
                                     else "Household surveys")
    record(db, "export.submissions", commune_id=commune.id,
           details={"format": fmt, "filter": where.as_dict()})
    db.commit()
    return _download(stream_with_context(_closing(body, db)),
                     submission_exports.FORMATS[fmt].mimetype,
                     _filename("phieu-ho", commune, where.as_dict(), fmt))


@bp.get("/communes/<slug>/export/indicators.<any(csv, xlsx):fmt>")
def indicators(slug: str, fmt: str) -> ResponseReturnValue:
    commune = _staff_commune(slug)
    db = get_session()
    village = _village(commune)
    period = parse_period(request.args.get("period"))
    table = indicator_table(db, commune, village=village, period=period, today=vntime.today(),
                            minimum=current_app.config["INDICATOR_MIN_HOUSEHOLDS"],
                            h3_resolution=current_app.config["INDICATOR_H3_RESOLUTION"])
    where = {"village": table["village"], "period": table["period"]}
    record(db, "export.indicators", commune_id=commune.id,
           details={"format": fmt, "filter": where})
    db.commit()
    exporter = EXPORTERS[fmt]
    return _download(exporter.render(table, str(get_locale())), exporter.mimetype,
                     _filename("chi-tieu", commune, where, fmt))


def _changes(details: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for what a change touched; every field of a create or delete."""
    before, after = details.get("before") or {}, details.get("after") or {}
    fields = [k for k in (*before, *(k for k in after if k not in before)) if k not in ("id",)]
    if before and after:
        fields = [k for k in fields if before.get(k) != after.get(k)]
    return [(k, before.get(k), after.get(k)) for k in fields]


def _facts(details: dict[str, Any]) -> list[tuple[str, Any]]:
    facts: list[tuple[str, Any]] = []
    for key, value in details.items():
        if key in ("before", "after"):
            continue
        if isinstance(value, dict):
            facts.extend((f"{key}.{k}", v) for k, v in value.items() if v not in (None, ""))
        elif value not in (None, ""):
            facts.append((key, value))
    return facts


@bp.get("/communes/<slug>/audit")
def audit_log(slug: str) -> ResponseReturnValue:
    commune = _staff_commune(slug)
    action = _action_arg()
    log = audit.commune_log(get_session(), commune.id, action=action, page=page_arg(),
                            per_page=PER_PAGE)
    return _audit_page(log, action, commune.name, commune=commune,
                       page_url=lambda number: url_for("exports.audit_log", slug=commune.slug,
                                                       action=action, page=number))


@bp.get("/areas/<slug>/audit")
def area_audit_log(slug: str) -> ResponseReturnValue:
    """The province's or group's own events, for its staff and admins (those who may change it)."""
    user = _caller()
    if user is None:
        raise _LoginNeeded
    area = area_for(get_session(), user, slug, write=True)
    if area.level == "commune":
        return redirect(url_for("exports.audit_log", slug=area.slug))
    action = _action_arg()
    log = audit.area_log(get_session(), area.slug, action=action, page=page_arg(),
                         per_page=PER_PAGE)
    return _audit_page(log, action, area.name, area=area,
                       page_url=lambda number: url_for("exports.area_audit_log", slug=area.slug,
                                                       action=action, page=number))


def _action_arg() -> str | None:
    action = request.args.get("action") or None
    if action is not None and action not in ACTION_LABELS and action.split(".")[0] not in {
            a.split(".")[0] for a in ACTION_LABELS}:
        raise Problem("422.1", errors={"action": Text("Không có loại thao tác này.",
                                                      "No such action.")})
    return action


def _audit_page(log: audit.LogPage, action: str | None, place_name: str,
                **context: Any) -> ResponseReturnValue:
    entries = [{"event": e, "label": ACTION_LABELS.get(e.action, e.action),
                "changes": _changes(e.details or {}), "facts": _facts(e.details or {})}
               for e in log.events]
    return render_template("exports/audit.html", log=log, entries=entries, action=action,
                           actions=ACTION_LABELS, place_name=place_name, actor_text=actor_text,
                           field_text=field_text, target_text=target_text, **context)
