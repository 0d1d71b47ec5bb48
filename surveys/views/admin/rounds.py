"""/communes/SLUG/admin/rounds: survey rounds and their sample per village
(surveys/administration/rounds.py)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from forms.admin import RoundForm, round_form_class, round_payload
from surveys.administration import rounds as round_service
from surveys.db import get_session
from surveys.models import Commune, SurveyRound, Village
from surveys.places import villages as village_service
from surveys.views.admin.common import acting_user, admin_commune, bp, render_page
from surveys.views.use_cases import run


def _round_form(commune: Commune,
                survey_round: SurveyRound | None = None) -> tuple[RoundForm, list[Village]]:
    villages = village_service.villages_of(get_session(), commune.id)
    form = round_form_class([(v.id, v.name) for v in villages])()
    if survey_round is not None and request.method == "GET":
        form.name.data = survey_round.name
        form.starts_on.data = survey_round.starts_on.isoformat()
        form.ends_on.data = survey_round.ends_on.isoformat()
        for village_id, target in round_service.samples_of(get_session(), survey_round.id).items():
            if f"target_{village_id}" in form:
                form[f"target_{village_id}"].data = str(target)
    return form, villages


@bp.route("/communes/<slug>/admin/rounds", methods=["GET", "POST"])
@login_required
def rounds(slug: str) -> ResponseReturnValue:
    commune = admin_commune(slug)
    db = get_session()
    form, villages = _round_form(commune)
    ok = True
    if form.validate_on_submit():
        if run(round_service.create_round, acting_user(), commune,
               round_payload(form, [v.id for v in villages]), form=form).ok:
            flash(_("Survey round saved."))
            return redirect(url_for("admin.rounds", slug=slug))
        ok = False
    today = round_service.today_in_vietnam()
    rows = []
    for survey_round in round_service.rounds_of(db, commune.id):
        done = round_service.progress(db, survey_round, villages)
        rows.append((survey_round, sum(p.done for p in done), sum(p.target for p in done)))
    return render_page("admin/rounds.html", commune, ok=ok, tab="rounds", form=form, villages=villages,
                       rounds=rows, today=today)


@bp.route("/communes/<slug>/admin/rounds/<int:round_id>", methods=["GET", "POST"])
@login_required
def survey_round(slug: str, round_id: int) -> ResponseReturnValue:
    commune = admin_commune(slug)
    db = get_session()
    found = round_service.commune_round(db, commune, round_id)
    form, villages = _round_form(commune, found)
    ok = True
    if form.validate_on_submit():
        if run(round_service.update_round, acting_user(), found,
               round_payload(form, [v.id for v in villages]), form=form).ok:
            flash(_("Survey round saved."))
            return redirect(url_for("admin.rounds", slug=slug))
        ok = False
    progress = {p.village.id: p for p in round_service.progress(db, found, villages)}
    return render_page("admin/round_edit.html", commune, ok=ok, tab="rounds", form=form,
                       villages=villages, survey_round=found, progress=progress)


@bp.post("/communes/<slug>/admin/rounds/<int:round_id>/delete")
@login_required
def round_delete(slug: str, round_id: int) -> ResponseReturnValue:
    commune = admin_commune(slug)
    db = get_session()
    run(round_service.delete_round, acting_user(),
        round_service.commune_round(db, commune, round_id))
    flash(_("Survey round removed."))
    return redirect(url_for("admin.rounds", slug=slug))


