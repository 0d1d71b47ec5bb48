"""JSON API v1 (a contract: outside tools build on it; see /api/v1/openapi.json)."""

from __future__ import annotations

from typing import Any, Literal, overload

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from surveys.administration.accounts import user_for_token
from surveys.collection import review, submissions
from surveys.db import get_session
from surveys.definitions import get_definition
from surveys.errors import Problem, Text
from surveys.models import Commune, ReviewNote, User
from surveys.parsing import MAX_PAGE, JsonTooDeep, load_json
from surveys.views import csrf
from surveys.views.auditing import request_actor
from surveys.views.openapi import openapi_document
from surveys.views.params import int_arg
from surveys.views.services import future_skew, photo_limits, photo_store, quality_limits
from surveys.views.use_cases import run

bp = Blueprint("api", __name__, url_prefix="/api/v1")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_PAGE_SIZE = 500


@overload
def api_user() -> User: ...


@overload
def api_user(*, required: Literal[True]) -> User: ...


@overload
def api_user(*, required: bool) -> User | None: ...


def api_user(*, required: bool = True) -> User | None:
    """The caller: a Bearer token, or a browser session (whose writes need the CSRF header)."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        user = user_for_token(get_session(), token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise Problem("401.1")
        g.user = user
        return user
    if current_user.is_authenticated:
        if request.method not in SAFE_METHODS:
            csrf.protect()
        user = current_user._get_current_object()
        assert isinstance(user, User)
        return user
    if required:
        raise Problem("401.1")
    return None


def json_body() -> object:
    if not request.is_json:
        raise Problem("400.2", message=Text("Cần gửi JSON (Content-Type: application/json).",
                                            "Send JSON with Content-Type: application/json."))
    try:
        return load_json(request.get_data(cache=False))
    except JsonTooDeep as error:
        raise Problem("400.2", message=Text(
            f"JSON lồng nhau quá {error.limit} cấp.", f"JSON nested deeper than {error.limit} levels."
        )) from None
    except (ValueError, UnicodeDecodeError):
        raise Problem("400.2") from None


def _commune_json(commune: Commune, *, with_villages: bool) -> dict[str, object]:
    data: dict[str, object] = {"slug": commune.slug, "name": commune.name,
                               "province": commune.province, "code": commune.admin_code,
                               "demo": commune.is_demo}
    if with_villages:
        data["villages"] = [
            {"slug": v.slug, "name": v.name,
             "centroid": None if v.lat is None else {"lat": v.lat, "lon": v.lon},
             "household_count": v.household_count, "demo": v.is_demo}
            for v in commune.villages
        ]
    return data


@bp.get("/communes")
def communes() -> ResponseReturnValue:
    api_user(required=False)
    rows = get_session().scalars(select(Commune).options(selectinload(Commune.villages))
                                 .order_by(Commune.slug)).all()
    return {"communes": [_commune_json(c, with_villages=True) for c in rows]}


@bp.get("/communes/<slug>")
def commune(slug: str) -> ResponseReturnValue:
    api_user(required=False)
    row = get_session().scalar(select(Commune).where(Commune.slug == slug))
    if row is None:
        raise Problem("404.1")
    return _commune_json(row, with_villages=True)


@bp.get("/surveys/<name>")
def survey(name: str) -> ResponseReturnValue:
    api_user(required=False)
    definition = get_definition(name)
    if definition is None:
        raise Problem("404.1")
    response = jsonify(definition.to_json())
    response.set_etag(f"{definition.name}-{definition.version}")
    return response.make_conditional(request)


@bp.get("/session")
def session_info() -> ResponseReturnValue:
    """Who is logged in, and a fresh CSRF token for the offline outbox to send with; `area`: the
    province or group of communes a staff member of one belongs to (null for everyone else)."""
    user = api_user()
    place = user.province or user.group
    return {"username": user.username, "role": user.role,
            "commune": user.commune.slug if user.commune else None,
            "area": None if place is None else {
                "slug": place.slug, "name": place.name,
                "level": "province" if user.province is not None else "group"},
            "csrf_token": generate_csrf()}


@bp.post("/submissions")
def create_submission() -> ResponseReturnValue:
    user = api_user()
    if user.role not in submissions.SUBMITTING_ROLES:
        raise Problem("403.1")
    item = submissions.parse_submission(json_body(), future_skew=future_skew())
    result = run(submissions.record_submission, user, item, quality=quality_limits(), retry=True)
    response = jsonify(submissions.submission_json(result.submission))
    response.status_code = 201 if result.created else 200
    response.headers["Location"] = url_for("api.get_submission", submission_id=result.submission.id)
    return response


def _page_args() -> tuple[int, int]:
    page = int_arg("page", 1, minimum=1, maximum=MAX_PAGE, message=Text(
        f"page phải là số nguyên từ 1 đến {MAX_PAGE}.",
        f"page must be a whole number from 1 to {MAX_PAGE}."))
    per_page = int_arg("per_page", _default_page_size(), minimum=1, maximum=MAX_PAGE_SIZE,
                       message=Text(f"per_page từ 1 đến {MAX_PAGE_SIZE}.",
                                    f"per_page must be between 1 and {MAX_PAGE_SIZE}."))
    return page, per_page


def _default_page_size() -> int:
    return min(current_app.config["API_PAGE_SIZE"], MAX_PAGE_SIZE)


@bp.get("/submissions")
def list_submissions() -> ResponseReturnValue:
    user = api_user()
    page, per_page = _page_args()
    chosen = review.parse_filter(request.args)
    rows, total = submissions.list_submissions(get_session(), user, page=page, per_page=per_page,
                                               conditions=review.filter_conditions(chosen))
    more = page * per_page < total
    following: dict[str, Any] = {"page": page + 1, "per_page": per_page, **chosen.params()}
    return {
        "items": submissions.submissions_json(get_session(), rows),
        "page": page, "per_page": per_page, "total": total,
        "next": url_for("api.list_submissions", **following) if more else None,
    }


@bp.get("/submissions/<int:submission_id>")
def get_submission(submission_id: int) -> ResponseReturnValue:
    user = api_user()
    return submissions.submission_json(
        submissions.get_visible_submission(get_session(), user, submission_id))


@bp.patch("/submissions/<int:submission_id>")
def review_submission(submission_id: int) -> ResponseReturnValue:
    """Staff of the commune (and admins) review: {"review_status", "reason", "comment"}."""
    user = api_user()
    change = review.parse_review(json_body())
    run(_review, user, submission_id, change, request_actor()[1], retry=True)
    return submissions.submission_json(
        submissions.get_visible_submission(get_session(), user, submission_id))


def _review(session: Session, user: User, submission_id: int, change: review.ReviewInput,
            actor_label: str) -> ReviewNote:
    return review.review_submission(session, user,
                                    review.reviewable_submission(session, user, submission_id),
                                    change, actor_label=actor_label)


@bp.post("/submissions/<int:submission_id>/attachments")
def add_attachment(submission_id: int) -> ResponseReturnValue:
    user = api_user()
    db = get_session()
    submission = submissions.get_visible_submission(db, user, submission_id)
    upload = request.files.get("file")
    errors: dict[str, Text] = {}
    if upload is None or not upload.filename:
        errors["file"] = Text("Cần tệp ảnh trong trường file.", "Send the image in field 'file'.")
    question = request.form.get("question", "")
    if not question:
        errors["question"] = Text("Cần tên câu hỏi ảnh (question).",
                                  "Name the image question in field 'question'.")
    if errors or upload is None:
        raise Problem("422.1", errors=errors)
    attachment, created = run(submissions.attach_photo, photo_store(), user, submission, question,
                              upload.stream, photo_limits())
    body = {"submission_id": submission.id, "question": attachment.question,
            "content_type": attachment.content_type, "width": attachment.width,
            "height": attachment.height, "bytes": attachment.size_bytes}
    return body, 201 if created else 200


@bp.get("/submissions/<int:submission_id>/attachments/<question>")
def get_attachment(submission_id: int, question: str) -> ResponseReturnValue:
    user = api_user()
    submission = submissions.get_visible_submission(get_session(), user, submission_id)
    attachment = next((a for a in submission.attachments if a.question == question), None)
    if attachment is None:
        raise Problem("404.1")
    key = attachment.thumb_key if request.args.get("variant") == "thumb" else attachment.key
    response = Response(photo_store().get(key), mimetype=attachment.content_type)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return openapi_document()
