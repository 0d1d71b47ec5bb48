"""/communes/SLUG/admin/teams: survey teams, their members and villages
(surveys/administration/teams.py)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from forms.admin import TeamEditForm, TeamForm
from surveys.administration import teams as team_service
from surveys.administration import users as user_service
from surveys.db import get_session
from surveys.places import villages as village_service
from surveys.views.admin.common import acting_user, admin_commune, bp, render_page
from surveys.views.use_cases import run


@bp.route("/communes/<slug>/admin/teams", methods=["GET", "POST"])
@login_required
def teams(slug: str) -> ResponseReturnValue:
    commune = admin_commune(slug)
    db = get_session()
    form = TeamForm()
    ok = True
    if form.validate_on_submit():
        created = run(team_service.create_team, acting_user(), commune, form.name.data or "",
                      form=form).value
        if created is not None:
            flash(_("Team created; now choose its members and villages."))
            return redirect(url_for("admin.team", slug=slug, team_id=created.id))
        ok = False
    rows = [(t, team_service.members_of(db, t.id), team_service.villages_of(db, t.id))
            for t in team_service.teams_of(db, commune.id)]
    return render_page("admin/teams.html", commune, ok=ok, tab="teams", form=form, teams=rows)


@bp.route("/communes/<slug>/admin/teams/<int:team_id>", methods=["GET", "POST"])
@login_required
def team(slug: str, team_id: int) -> ResponseReturnValue:
    commune = admin_commune(slug)
    db = get_session()
    found = team_service.commune_team(db, commune, team_id)
    form = TeamEditForm()
    people = [u for u in user_service.users_of(db, commune.id) if u.active]
    form.members.choices = [(u.id, f"{u.display_name or u.username} ({u.username})") for u in people]
    form.villages.choices = [(v.id, v.name) for v in village_service.villages_of(db, commune.id)]
    ok = True
    if form.validate_on_submit():
        if run(team_service.update_team, acting_user(), found, name=form.name.data or "",
               member_ids=form.members.data or [], village_ids=form.villages.data or [],
               form=form).ok:
            flash(_("Team saved."))
            return redirect(url_for("admin.teams", slug=slug))
        ok = False
    elif request.method == "GET":
        form.name.data = found.name
        form.members.data = [u.id for u in team_service.members_of(db, found.id)]
        form.villages.data = [v.id for v in team_service.villages_of(db, found.id)]
    return render_page("admin/team_edit.html", commune, ok=ok, tab="teams", form=form, team=found)


@bp.post("/communes/<slug>/admin/teams/<int:team_id>/delete")
@login_required
def team_delete(slug: str, team_id: int) -> ResponseReturnValue:
    commune = admin_commune(slug)
    db = get_session()
    run(team_service.delete_team, acting_user(), team_service.commune_team(db, commune, team_id))
    flash(_("Team removed."))
    return redirect(url_for("admin.teams", slug=slug))


