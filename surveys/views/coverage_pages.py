"""Telecom partners upload coverage files through a web page: /coverage/uploads.

Works without JavaScript (a plain multipart POST); static/js/coverage-upload.js sends the same form to
POST /api/v1/coverage/uploads with a progress bar. Partners see their own uploads, admins all of them.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from forms.coverage import CoverageUploadForm
from surveys.coverage import jobs, ownership, reasons
from surveys.coverage.formats import formats
from surveys.db import get_session
from surveys.errors import Problem
from surveys.models import CoverageUpload, Partner, Role, UploadIssue, User
from surveys.views import markdown_page
from surveys.views.use_cases import run

bp = Blueprint("coverage_pages", __name__, url_prefix="/coverage")

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
LISTED = 200  # uploads on the list page, newest first
SHOWN_ISSUES = 50  # issues on an upload's page; the errors CSV has them all


def when(moment: datetime) -> str:
    """A stored (UTC) time shown in Vietnam time, in the page's language."""
    return format_datetime(moment.astimezone(VIETNAM), rebase=False)


def _user() -> User:
    user = current_user._get_current_object()
    ownership.require_manager(user)
    return user


def _form(user: User) -> CoverageUploadForm:
    form = CoverageUploadForm()
    partners = (get_session().execute(select(Partner.slug, Partner.name).order_by(Partner.name)).all()
                if user.role == Role.ADMIN else [])
    locale = str(get_locale())
    form.set_choices(((f.name, f.label.get(locale)) for f in formats().values()), partners)
    return form


def _render_list(user: User, form: CoverageUploadForm, *, details: list | None = None,
                 status: int = 200) -> ResponseReturnValue:
    rows = get_session().scalars(ownership.visible_uploads(user)
                                 .order_by(CoverageUpload.id.desc()).limit(LISTED)).all()
    return render_template("coverage/index.html", uploads=rows, form=form, details=details or [],
                           is_admin=user.role == Role.ADMIN, when=when), status


@bp.get("/uploads")
@login_required
def index() -> ResponseReturnValue:
    user = _user()
    return _render_list(user, _form(user))


@bp.post("/uploads")
@login_required
def create() -> ResponseReturnValue:
    user = _user()
    form = _form(user)
    if not form.validate_on_submit():  # only the CSRF token can fail here (no other validators)
        raise Problem("400.3")
    file = form.file.data
    if not file or not file.filename:
        form.file.errors = [_("Choose a file to upload.")]
        return _render_list(user, form, status=422)
    outcome = run(ownership.create_upload, user, form.partner.data, file.filename, file.stream,
                  format_name=form.chosen_format(),
                  max_village_km=current_app.config["COVERAGE_VILLAGE_MAX_KM"],
                  gzip_max_ratio=current_app.config["COVERAGE_GZIP_MAX_RATIO"],
                  missing_partner=ownership.CHOOSE_THE_PARTNER, form=form)
    if outcome.value is None:
        return _render_list(user, form, details=outcome.details, status=422)
    result = outcome.value
    if result.created:
        flash(_("Upload saved."))
    else:
        flash(_("This file was already uploaded; nothing more was stored."))
    return redirect(url_for("coverage_pages.show", upload_id=result.upload.id))


@bp.get("/uploads/<int:upload_id>")
@login_required
def show(upload_id: int) -> ResponseReturnValue:
    db = get_session()
    upload = ownership.get_visible_upload(db, _user(), upload_id)
    locale = str(get_locale())
    issues = [{"line": i.line, "column": i.column, "value": i.value, "severity": i.severity,
               # in the reader's language, as the errors CSV (older rows have only the English text)
               "reason": reasons.render(i.code, i.params, locale) if i.code else i.reason}
              for i in db.scalars(select(UploadIssue).where(UploadIssue.upload_id == upload.id)
                                  .order_by(UploadIssue.line, UploadIssue.id).limit(SHOWN_ISSUES))]
    job = jobs.job_for(db, upload.id)
    progress = jobs.progress(db, Path(current_app.config["UPLOAD_DIR"]), job) if job else None
    error = jobs.error_json(job.error, locale) if job else None
    return render_template("coverage/show.html", upload=upload, issues=issues, shown=SHOWN_ISSUES,
                           when=when, progress=progress, error=error)


@bp.post("/uploads/<int:upload_id>/cancel")
@login_required
def cancel(upload_id: int) -> ResponseReturnValue:
    """The no-JavaScript way to stop a queued or importing job."""
    if not CoverageUploadForm().validate_on_submit():
        raise Problem("400.3")
    upload = run(ownership.cancel_upload, _user(), upload_id, Path(current_app.config["UPLOAD_DIR"]))
    flash(_("Cancel requested; nothing of this file will be kept."))
    return redirect(url_for("coverage_pages.show", upload_id=upload.id))


@bp.post("/uploads/<int:upload_id>/delete")
@login_required
def delete(upload_id: int) -> ResponseReturnValue:
    upload = run(ownership.delete_upload, _user(), upload_id, Path(current_app.config["UPLOAD_DIR"]))
    flash(_("Upload %(name)s deleted, with everything it contributed.", name=upload.filename))
    return redirect(url_for("coverage_pages.index"))


@bp.get("/formats")
@login_required
def formats_doc() -> ResponseReturnValue:
    """docs/coverage-formats.md (English) or .vi.md (Vietnamese) as a page that fits a phone:
    what partners need to prepare a file."""
    _user()
    english = str(get_locale()) == "en"
    doc = Path(current_app.root_path, "docs",
               "coverage-formats.md" if english else "coverage-formats.vi.md")
    if not doc.is_file():
        abort(404)
    return render_template("coverage/formats.html", body=markdown_page.render(doc.read_text("utf-8")))
