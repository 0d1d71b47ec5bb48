"""Review pages: the staff queue of a commune (/communes/SLUG/review), one submission with its
flags, history and the review form (/communes/SLUG/review/ID), and a surveyor's own submissions
with feedback and a link to send a correction (/my/submissions). Plain GET filters and POST forms:
everything works without JavaScript."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session

from forms.review import ReviewForm
from surveys.administration.access import commune_for
from surveys.collection import quality_flags
from surveys.collection import review as review_service
from surveys.collection.quality_flags import FLAG_CODES
from surveys.collection.submissions import SUBMITTING_ROLES
from surveys.db import get_session
from surveys.definitions import get_definition
from surveys.errors import Problem
from surveys.models import ReviewNote, Role, Submission, User, Village
from surveys.views.auditing import request_actor
from surveys.views.params import page_arg
from surveys.views.use_cases import run

bp = Blueprint("review", __name__)

PER_PAGE = 50

STATUS_LABELS = {
    "received": _l("Received"),
    "approved": _l("Approved"),
    "has_issues": _l("Has issues"),
    "rejected": _l("Rejected"),
    "superseded": _l("Superseded by a correction"),
}


def _number(value: Any) -> str:
    return format_decimal(value) if isinstance(value, int | float) else str(value)


def flag_lines(code: str, details: dict[str, Any]) -> list[str]:
    """What a flag rests on, in the reader's language (surveys/collection/quality_flags.py)."""
    return quality_flags.describe(code, details, str(get_locale()))


def duplicate_ids(submission: Submission) -> list[int]:
    return list((submission.flag_details or {}).get("duplicate_household", {})
                .get("submission_ids", []))


def answer_rows(submission: Submission, locale: str) -> list[tuple[str, str]]:
    """(question label, answer text) in the definition's order; choice names as their labels."""
    definition = get_definition(submission.survey)
    if definition is None:
        return [(k, str(v)) for k, v in submission.answers.items()]
    rows = []
    for q in definition.questions:
        if q.name not in submission.answers:
            continue
        value = submission.answers[q.name]
        labels = {c.name: c.label.get(locale) for c in q.choices}
        if isinstance(value, list):
            text = ", ".join(labels.get(v, str(v)) for v in value)
        elif labels:
            text = labels.get(value, str(value))
        else:
            text = _number(value)
        rows.append((q.label.get(locale), text))
    return rows


def _page() -> int:
    return page_arg()


def _helpers() -> dict[str, Any]:
    locale = str(get_locale())
    flag_labels = {code: quality_flags.label(code, locale) for code in quality_flags.FLAG_CODES}
    return {"status_labels": STATUS_LABELS, "flag_labels": flag_labels, "flag_lines": flag_lines}


@bp.get("/communes/<slug>/review")
@login_required
def queue(slug: str) -> ResponseReturnValue:
    db = get_session()
    commune = commune_for(db, current_user._get_current_object(), slug, write=True)
    chosen = review_service.parse_filter(request.args)
    page = review_service.review_queue(db, commune, chosen, page=_page(), per_page=PER_PAGE)
    villages = list(db.scalars(select(Village).where(Village.commune_id == commune.id)
                               .order_by(Village.name)))
    surveyors = list(db.scalars(select(User.username).where(User.id.in_(
        select(Submission.surveyor_id).where(Submission.commune_id == commune.id)))
        .order_by(User.username)))
    return render_template("review/queue.html", commune=commune, chosen=chosen, page=page,
                           villages=villages, surveyors=surveyors, statuses=review_service.STATUSES,
                           flag_codes=FLAG_CODES, **_helpers())


def _reviewed(slug: str, submission_id: int) -> tuple[Any, Submission]:
    db = get_session()
    user = current_user._get_current_object()
    commune = commune_for(db, user, slug, write=True)
    submission = db.get(Submission, submission_id)
    if submission is None or submission.commune_id != commune.id:
        raise Problem("404.1")
    return commune, submission


def _review(session: Session, user: User, submission: Submission, payload: dict[str, str | None],
            actor_label: str) -> ReviewNote:
    return review_service.review_submission(session, user, submission,
                                            review_service.parse_review(payload),
                                            actor_label=actor_label)


@bp.route("/communes/<slug>/review/<int:submission_id>", methods=["GET", "POST"])
@login_required
def detail(slug: str, submission_id: int) -> ResponseReturnValue:
    db = get_session()
    user = current_user._get_current_object()
    commune, submission = _reviewed(slug, submission_id)
    locale = str(get_locale())
    form = ReviewForm()
    allowed = review_service.TRANSITIONS.get(submission.review_status, ())
    form.set_status_choices([(s, STATUS_LABELS[s]) for s in allowed])
    status = 200
    if form.validate_on_submit():
        if run(_review, user, submission, form.payload(), request_actor()[1], form=form,
               retry=True).ok:
            flash(_("Review saved."))
            return redirect(url_for("review.detail", slug=slug, submission_id=submission_id))
        status = 422
        commune, submission = _reviewed(slug, submission_id)
    elif request.method == "POST":
        status = 400
    original, correction = review_service.versions(db, submission)
    notes = review_service.history(db, [submission.id])[submission.id]
    return render_template("review/detail.html", commune=commune, submission=submission,
                           form=form, answers=answer_rows(submission, locale), notes=notes,
                           original=original, correction=correction,
                           duplicates=duplicate_ids(submission), **_helpers()), status


@bp.get("/my/submissions")
@login_required
def my_submissions() -> ResponseReturnValue:
    db = get_session()
    user = current_user._get_current_object()
    if user.role not in SUBMITTING_ROLES:
        raise Problem("403.1")
    page = _page()
    rows, total = review_service.surveyor_submissions(db, user, page=page, per_page=PER_PAGE)
    notes = review_service.history(db, [s.id for s in rows])
    corrections = {s.supersedes_id: s for s in db.scalars(
        select(Submission).where(Submission.supersedes_id.in_([s.id for s in rows])))}
    pages = max(1, -(-total // PER_PAGE))
    return render_template("review/mine.html", rows=rows, notes=notes, corrections=corrections,
                           page=page, pages=pages, total=total,
                           is_staff=user.role in (Role.STAFF, Role.ADMIN), **_helpers())
