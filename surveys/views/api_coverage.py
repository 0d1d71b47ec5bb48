"""Telecom partners' uploads: /api/v1/coverage/uploads (a file in one request, imported in it) and
/api/v1/coverage/resumable (tus 1.0: big files in pieces, imported by a worker)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import ClientDisconnected

from surveys.coverage import jobs, ownership, reasons, resumable, uploads
from surveys.db import get_session
from surveys.errors import Problem
from surveys.exports.spreadsheets import csv_row
from surveys.models import CoverageUpload, ResumableUpload, UploadIssue
from surveys.views.api import api_user
from surveys.views.use_cases import run

bp = Blueprint("api_coverage", __name__, url_prefix="/api/v1/coverage")


def _upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def _json(upload: CoverageUpload) -> dict:
    return uploads.upload_json(upload, url_for("api_coverage.upload_errors", upload_id=upload.id))


def status_json(upload: CoverageUpload) -> dict[str, Any]:
    """An upload with its import's status, progress and (when it failed) the reason by line."""
    data = _json(upload)
    job = jobs.job_for(get_session(), upload.id)
    data["progress"] = None if job is None else jobs.progress(get_session(), _upload_dir(), job)
    data["error"] = None if job is None else jobs.error_json(job.error, str(get_locale()))
    return data


@bp.post("/uploads")
def create_upload() -> ResponseReturnValue:
    user = api_user()
    file = request.files.get("file")
    result = run(ownership.create_upload, user, request.form.get("partner"),
                 file.filename if file is not None else None,
                 file.stream if file is not None else None,
                 format_name=request.form.get("format") or request.args.get("format") or None,
                 max_village_km=current_app.config["COVERAGE_VILLAGE_MAX_KM"],
                 gzip_max_ratio=current_app.config["COVERAGE_GZIP_MAX_RATIO"])
    return jsonify(_json(result.upload)), 201 if result.created else 200


@bp.get("/uploads")
def list_uploads() -> ResponseReturnValue:
    user = api_user()
    rows = get_session().scalars(ownership.visible_uploads(user)
                                 .order_by(CoverageUpload.id.desc()).limit(200))
    return {"uploads": [_json(u) for u in rows]}


@bp.get("/uploads/<int:upload_id>")
def get_upload(upload_id: int) -> ResponseReturnValue:
    return status_json(ownership.get_visible_upload(get_session(), api_user(), upload_id))


@bp.post("/uploads/<int:upload_id>/cancel")
def cancel_upload(upload_id: int) -> ResponseReturnValue:
    """Cancel a queued or importing job (202: the worker stops at its next batch of rows)."""
    upload = run(ownership.cancel_upload, api_user(), upload_id, _upload_dir())
    return status_json(upload), 202


@bp.get("/uploads/<int:upload_id>/errors")
def upload_errors(upload_id: int) -> ResponseReturnValue:
    db = get_session()
    upload = ownership.get_visible_upload(db, api_user(), upload_id)
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
def delete_upload(upload_id: int) -> ResponseReturnValue:
    run(ownership.delete_upload, api_user(), upload_id, _upload_dir())
    return "", 204


# --- tus 1.0: core, creation, termination ------------------------------------------------------

def _limits() -> resumable.Limits:
    return resumable.Limits(max_bytes=current_app.config["COVERAGE_RESUMABLE_MAX_BYTES"],
                            expiry=timedelta(hours=current_app.config["COVERAGE_RESUMABLE_EXPIRY_HOURS"]))


def _tus_version() -> None:
    if request.headers.get("Tus-Resumable") != resumable.TUS_VERSION:
        raise Problem("412.1")


@bp.after_request
def _tus_headers(response: Response) -> Response:
    if "/resumable" in request.path:
        response.headers["Tus-Resumable"] = resumable.TUS_VERSION
        response.headers["Cache-Control"] = "no-store"
        if response.status_code == 412:
            response.headers["Tus-Version"] = resumable.TUS_VERSION
    return response


@bp.route("/resumable", methods=["OPTIONS"], provide_automatic_options=False)
def tus_options() -> ResponseReturnValue:
    return "", 204, {"Tus-Version": resumable.TUS_VERSION, "Tus-Extension": resumable.TUS_EXTENSIONS,
                     "Tus-Max-Size": str(_limits().max_bytes)}


@bp.post("/resumable")
def tus_create() -> ResponseReturnValue:
    _tus_version()
    user = api_user()
    db = get_session()
    record = resumable.create(db, _upload_dir(), user, request.headers.get("Upload-Length"),
                              resumable.parse_metadata(request.headers.get("Upload-Metadata")),
                              _limits())
    db.commit()
    location = url_for("api_coverage.tus_upload", key=record.key)
    return "", 201, {"Location": location, "Upload-Offset": "0",
                     "Upload-Expires": _expires(record)}


def _expires(record: Any) -> str:
    from email.utils import format_datetime

    return format_datetime(resumable.expires_at(_upload_dir(), record, _limits().expiry),
                           usegmt=True)


def _session(key: str) -> Any:
    record = resumable.find(get_session(), api_user(), key)
    resumable.check_alive(_upload_dir(), record, _limits().expiry)
    return record


def _finish(record: Any) -> CoverageUpload | None:
    db = get_session()
    key = record.key
    try:
        upload = resumable.finish(db, _upload_dir(), record)
        db.commit()
    except Problem:
        db.commit()  # a hash mismatch discards the session: keep that
        raise
    except (IntegrityError, OperationalError):
        # Two requests completed the same session at once (the last PATCH and a GET): the other
        # one queued it (or holds SQLite's write lock); answer what it stored.
        db.rollback()
        record = db.scalar(select(ResumableUpload).where(ResumableUpload.key == key))
        if record is not None and record.upload_id is not None:
            return db.get(CoverageUpload, record.upload_id)
        # SQLite busy (a long import holds its one write lock): every byte is kept; the next GET
        # on the session queues the file.
        current_app.logger.warning("resumable upload %s complete but not queued yet: busy", key)
        return None
    return upload


@bp.route("/resumable/<key>", methods=["GET", "HEAD"])
def tus_upload(key: str) -> ResponseReturnValue:
    """HEAD (tus): the offset. GET: the same as JSON, with the coverage upload once complete."""
    if request.method == "HEAD":
        _tus_version()
        record = _session(key)
        return "", 200, {"Upload-Offset": str(resumable.offset(_upload_dir(), record)),
                         "Upload-Length": str(record.length), "Upload-Expires": _expires(record)}
    record = _session(key)
    upload = _finish(record)  # completes a session whose last PATCH could not (e.g. busy database)
    offset = resumable.offset(_upload_dir(), record)
    return {"offset": offset, "length": record.length,
            "upload": upload.id if upload is not None else None,
            "status": upload.status if upload is not None else "receiving",
            "upload_url": url_for("api_coverage.get_upload", upload_id=upload.id) if upload else None}


class _UntilDisconnect:
    """The request body, read until it ends or the client goes away (then what came is kept)."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream

    def read(self, size: int) -> bytes:
        try:
            return self.stream.read(size)
        except ClientDisconnected:
            return b""


@bp.patch("/resumable/<key>")
def tus_patch(key: str) -> ResponseReturnValue:
    _tus_version()
    # A PATCH may carry the whole file; set before anything (the CSRF check of a browser session
    # looks at the form) opens the body with the smaller MAX_CONTENT_LENGTH.
    request.max_content_length = _limits().max_bytes
    record = _session(key)
    offset = resumable.append(_upload_dir(), record, request.headers.get("Upload-Offset"),
                              request.headers.get("Content-Type"),
                              _UntilDisconnect(request.stream),  # type: ignore[arg-type]
                              request.content_length)
    headers = {"Upload-Offset": str(offset), "Upload-Expires": _expires(record)}
    if offset == record.length:
        _finish(record)
    return "", 204, headers


@bp.delete("/resumable/<key>")
def tus_delete(key: str) -> ResponseReturnValue:
    _tus_version()
    db = get_session()
    record = resumable.find(db, api_user(), key)
    resumable.terminate(db, _upload_dir(), record)
    db.commit()
    return "", 204
