"""The survey form page: rendered from the definition, works with JavaScript off (a plain POST)."""

from __future__ import annotations

import json
import uuid
from typing import Any, BinaryIO, cast

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session

from forms.survey import META_FIELDS, build_survey_form, layout
from surveys.administration import rounds
from surveys.administration.teams import assigned_villages
from surveys.collection import review, submissions
from surveys.db import get_session
from surveys.definitions import get_definition
from surveys.errors import Problem
from surveys.models import Commune, Submission, User, Village, utcnow
from surveys.views.services import future_skew, photo_limits, photo_store, quality_limits
from surveys.views.use_cases import run

bp = Blueprint("survey_form", __name__)


def _villages(user: User) -> list[Village]:
    """The villages offered: a surveyor's teams' villages, else all of the commune's."""
    return assigned_villages(get_session(), user)


def _round_progress(commune: Commune, villages: list[Village]) -> list[rounds.VillageProgress]:
    """Households surveyed toward the current round's sample in the offered villages."""
    current = rounds.current_round(get_session(), commune.id, rounds.today_in_vietnam())
    return rounds.progress(get_session(), current, villages) if current is not None else []


def commune_area(commune: Commune) -> dict[str, object]:
    """What form.js needs to warn before saving: the commune's name, its boundary (simplified to
    about 20 m, coordinates to 5 decimals: a few kB) and the distance at which the quality flag
    `far_from_village` is raised."""
    from shapely.geometry import mapping, shape

    boundary = None
    if commune.boundary:
        simple = shape(commune.boundary).simplify(0.0002, preserve_topology=True)
        boundary = json.loads(json.dumps(mapping(simple)),
                              parse_float=lambda text: round(float(text), 5))
    return {"name": commune.name, "boundary": boundary,
            "village_max_km": current_app.config["QUALITY_VILLAGE_MAX_KM"]}


@bp.route("/surveys/<name>", methods=["GET", "POST"])
@login_required
def form(name: str) -> ResponseReturnValue:
    definition = get_definition(name)
    if definition is None:
        abort(404)
    user = current_user._get_current_object()
    if user.role not in submissions.SUBMITTING_ROLES:
        raise Problem("403.1")
    commune = user.commune
    if commune is None:
        return render_template("surveys/no_commune.html"), 403
    locale = str(get_locale())
    villages = _villages(user)
    form_class = build_survey_form(definition, locale, [(v.slug, v.name, v.lat, v.lon) for v in villages])
    form = form_class()
    general_errors: list[str] = []
    status = 200
    if form.validate_on_submit():
        outcome = run(_save, definition.name, form, user, form=form, retry=True,
                      skip=META_FIELDS, name_unplaced=True)
        if outcome.value is not None:
            return redirect(url_for("survey_form.form", name=name, saved=outcome.value.id))
        general_errors = list(form.form_errors)
        status = 422
    elif request.method == "POST":
        status = 400
    if request.method == "GET":
        # Both stamped when the page is made, so a double-tapped plain POST is an exact replay.
        form.instance_id.data = str(uuid.uuid4())
        form.collected_at.data = utcnow().isoformat(timespec="seconds")
        original = review.correction_source(get_session(), user, request.args.get("supersedes", ""))
        if original is not None and original.survey == definition.name:
            _prefill_correction(form, original)
    saved_id = request.args.get("saved", type=int)
    saved = get_session().get(Submission, saved_id) if saved_id else None
    if saved is not None and saved.surveyor_id != user.id:
        saved = None
    correcting = get_session().scalar(select(Submission).where(
        Submission.instance_id == form.supersedes.data)) if form.supersedes.data else None
    return render_template("surveys/form.html", form=form, definition=definition,
                           correcting=correcting, round_progress=_round_progress(commune, villages),
                           layout=layout(definition),
                           general_errors=general_errors, saved=saved,
                           locale=locale, area=commune_area(commune)), status


def _prefill_correction(form: FlaskForm, original: Submission) -> None:
    """A correction starts from the original: its answers, village, place and time of the visit
    (the household was visited then; only the answers are being put right)."""
    form.supersedes.data = original.instance_id
    form.collected_at.data = original.collected_at.isoformat()
    form.village.data = original.village.slug
    for name in ("lat", "lon", "accuracy_m"):
        value = getattr(original, name)
        form[name].data = "" if value is None else f"{value:g}" if name == "accuracy_m" else str(value)
    for q, field in form.question_fields():
        if q.name in original.answers and q.type != "image":
            value = original.answers[q.name]
            field.data = value if isinstance(value, list | str) else f"{value:g}" \
                if isinstance(value, float) else str(value)


def _save(db: Session, survey: str, form: Any, user: User) -> Submission:
    """Parse the page's answers as the API's JSON and store them with their photos (run again
    as a whole when the database asks for a retry)."""
    payload = {
        "instance_id": form.instance_id.data,
        "survey": survey,
        "village": form.village.data,
        "collected_at": form.collected_at.data or utcnow().isoformat(),
        "location": form.location(),
        "answers": form.answers(),
    }
    for name in ("started_at", "supersedes"):
        if form[name].data:
            payload[name] = form[name].data
    item = submissions.parse_submission(
        payload, future_skew=future_skew(),
        strict_relevance=False)
    limits, store, photos = quality_limits(), photo_store(), photo_limits()
    uploads = {q.name: request.files.get(q.name) for q in item.definition.questions
               if q.type == "image"}
    result = submissions.record_submission(db, user, item, quality=limits)
    for question, upload in uploads.items():
        if upload is not None and upload.filename:
            upload.stream.seek(0)  # read again if the transaction is retried
            submissions.attach_photo(db, store, user, result.submission, question,
                                     cast(BinaryIO, upload.stream), photos)
    return result.submission
