"""Telecom partners' uploads: /api/v1/coverage/uploads."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask_babel import get_locale
from sqlalchemy import select

from surveys.coverage import reasons, uploads
from surveys.db import get_session
from surveys.errors import Problem, Text
from surveys.models import CoverageUpload, Partner, Role, UploadIssue
from surveys.spreadsheets import csv_row
from surveys.views.api import api_user

bp = Blueprint("api_coverage", __name__, url_prefix="/api/v1/coverage")


def _json(upload: CoverageUpload) -> dict:  # type: ignore[type-arg]
    return uploads.upload_json(upload, url_for("api_coverage.upload_errors", upload_id=upload.id))


@bp.post("/uploads")
def create_upload():  # type: ignore[no-untyped-def]
    user = api_user()
    db = get_session()
    if user.role == Role.PARTNER and user.partner_id is not None:
        partner = user.partner
    elif user.role == Role.ADMIN:
        partner = db.scalar(select(Partner).where(Partner.slug == request.form.get("partner", "")))
        if partner is None:
            raise Problem("422.1", errors={"partner": Text(
                "Quản trị viên cần nêu đối tác (partner).", "Admins must name the partner.")})
    else:
        uploads.visible_uploads(user)  # raises the 403 with its message
        raise Problem("403.1")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Problem("422.1", errors={"file": Text("Cần tệp trong trường file.",
                                                    "Send the file in field 'file'.")})
    result = uploads.import_upload(
        db, partner, user, upload.filename, upload.stream,
        format_name=request.form.get("format") or request.args.get("format") or None,
        max_village_km=current_app.config["COVERAGE_VILLAGE_MAX_KM"])
    db.commit()
    return jsonify(_json(result.upload)), 201 if result.created else 200


@bp.get("/uploads")
def list_uploads():  # type: ignore[no-untyped-def]
    user = api_user()
    rows = get_session().scalars(uploads.visible_uploads(user)
                                 .order_by(CoverageUpload.id.desc()).limit(200))
    return {"uploads": [_json(u) for u in rows]}


@bp.get("/uploads/<int:upload_id>")
def get_upload(upload_id: int):  # type: ignore[no-untyped-def]
    return _json(uploads.get_visible_upload(get_session(), api_user(), upload_id))


@bp.get("/uploads/<int:upload_id>/errors")
def upload_errors(upload_id: int):  # type: ignore[no-untyped-def]
    db = get_session()
    upload = uploads.get_visible_upload(db, api_user(), upload_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    locale = str(get_locale())
    writer.writerow(["line", "column", "value", "reason", "severity", "code"])
    for issue in db.scalars(select(UploadIssue).where(UploadIssue.upload_id == upload.id)
                            .order_by(UploadIssue.line, UploadIssue.id)):
        reason = reasons.render(issue.code, issue.params, locale) if issue.code else issue.reason
        writer.writerow(csv_row([issue.line, issue.column, issue.value, reason, issue.severity,
                                 issue.code]))
    # The BOM makes Excel read the Vietnamese letters as UTF-8.
    return Response("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="upload-{upload.id}-errors.csv"'})


@bp.delete("/uploads/<int:upload_id>")
def delete_upload(upload_id: int):  # type: ignore[no-untyped-def]
    db = get_session()
    uploads.delete_upload(db, uploads.get_visible_upload(db, api_user(), upload_id))
    db.commit()
    return "", 204
