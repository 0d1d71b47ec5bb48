"""Commune administration pages (/communes/SLUG/admin/...: villages, users, teams, rounds) for the
commune's staff and administrators, and /admin/partners for administrators.

Every page checks access before anything else (surveys/administration/access.py: staff of the
commune or an admin; 403 for anyone else, 404 for an unknown commune or for an object of another
commune), then parses the form, calls a service of surveys/administration/, commits once and redirects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forms.admin import (
    ROLE_LABELS,
    PartnerForm,
    PartnerUserForm,
    PasswordForm,
    RoundForm,
    TeamEditForm,
    TeamForm,
    TokenForm,
    UserEditForm,
    UserForm,
    VillageForm,
    VillageImportForm,
    round_form_class,
    round_payload,
)
from surveys.administration import partners as partner_service
from surveys.administration import rounds as round_service
from surveys.administration import teams as team_service
from surveys.administration import users as user_service
from surveys.administration.access import commune_for
from surveys.db import get_session
from surveys.errors import Problem, Text
from surveys.models import Commune, SurveyRound, User, Village
from surveys.places import village_imports
from surveys.places import villages as village_service
from surveys.views.errors import wants_json

bp = Blueprint("admin", __name__)

INVALID = 422


def _user() -> User:
    return current_user._get_current_object()


def _commune(slug: str) -> Commune:
    """The commune whose administration the user may do: its staff, or an admin."""
    return commune_for(get_session(), _user(), slug, write=True)


def _save(form: Any, apply: Callable[[], object]) -> bool:
    """Run the service; on a Problem roll back and put its field errors on the form."""
    try:
        apply()
    except Problem as problem:
        if problem.status != INVALID:
            raise
        get_session().rollback()
        locale = str(get_locale())
        for name, message in problem.errors.items():
            field = form._fields.get(name) if name != "csrf_token" else None
            (field.errors if field is not None else form.form_errors).append(message.get(locale))
        return False
    get_session().commit()
    return True


def _render(template: str, commune: Commune | None, *, ok: bool = True,
            **context: Any) -> ResponseReturnValue:
    status = 200 if ok else INVALID
    return render_template(template, commune=commune, format_date=format_date,
                           role_label=lambda role: ROLE_LABELS.get(role, role), **context), status


# -- villages -------------------------------------------------------------------------------------

def _villages_page(commune: Commune, form: VillageForm, import_form: VillageImportForm, *,
                   ok: bool = True, issues: list[dict[str, Any]] | None = None,
                   import_message: str | None = None) -> ResponseReturnValue:
    villages = village_service.villages_of(get_session(), commune.id, with_boundary=True)
    return _render("admin/villages.html", commune, ok=ok, tab="villages", villages=villages,
                   form=form, import_form=import_form, issues=issues or [],
                   import_message=import_message)


@bp.route("/communes/<slug>/admin")
@login_required
def home(slug: str) -> ResponseReturnValue:
    commune = _commune(slug)
    return redirect(url_for("admin.villages", slug=commune.slug))


@bp.route("/communes/<slug>/admin/villages", methods=["GET", "POST"])
@login_required
def villages(slug: str) -> ResponseReturnValue:
    commune = _commune(slug)
    form = VillageForm()
    if form.validate_on_submit():
        db = get_session()
        if _save(form, lambda: village_service.create_village(db, commune, form.payload(),
                                                              actor=_user())):
            flash(_("Village saved."))
            return redirect(url_for("admin.villages", slug=slug))
        return _villages_page(commune, form, VillageImportForm(formdata=None), ok=False)
    return _villages_page(commune, form, VillageImportForm(formdata=None))


def _is_geojson(filename: str, head: bytes) -> bool:
    if filename.lower().endswith((".geojson", ".json")):
        return True
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


@bp.post("/communes/<slug>/admin/villages/import")
@login_required
def import_villages(slug: str) -> ResponseReturnValue:
    commune = _commune(slug)
    db = get_session()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        problem = Problem("422.1", errors={"file": Text("Hãy chọn một tệp CSV hoặc GeoJSON.",
                                                        "Choose a CSV or GeoJSON file.")})
        if wants_json():
            raise problem
        import_form = VillageImportForm()
        import_form.file.errors = [problem.errors["file"].get(str(get_locale()))]
        return _villages_page(commune, VillageForm(formdata=None), import_form, ok=False)
    filename = upload.filename
    try:
        head = upload.stream.read(64)
        upload.stream.seek(0)
        if _is_geojson(filename, head):
            result = village_imports.import_geojson(db, commune, upload.stream.read(),
                                                    actor=_user(), filename=filename)
        else:
            result = village_imports.import_csv(db, commune, upload.stream, actor=_user(),
                                                filename=filename)
    except Problem as problem:
        db.rollback()
        if wants_json() or problem.status != INVALID:
            raise
        locale = str(get_locale())
        issues = [{k: v.get(locale) if isinstance(v, Text) else v for k, v in d.items()}
                  for d in problem.details or []]
        import_form = VillageImportForm()
        if problem.errors and not issues:
            import_form.file.errors = [m.get(locale) for m in problem.errors.values()]
        return _villages_page(commune, VillageForm(formdata=None), import_form, ok=False,
                              issues=issues, import_message=problem.message.get(locale))
    db.commit()
    if wants_json():
        return {"created": result.created, "updated": result.updated,
                "ignored_columns": result.ignored_columns}
    flash(_("Imported: %(created)s new and %(updated)s updated villages.",
            created=len(result.created), updated=len(result.updated)))
    if result.ignored_columns:
        flash(_("Columns not used: %(columns)s.", columns=", ".join(result.ignored_columns)))
    return redirect(url_for("admin.villages", slug=slug))


@bp.route("/communes/<slug>/admin/villages/<int:village_id>", methods=["GET", "POST"])
@login_required
def village(slug: str, village_id: int) -> ResponseReturnValue:
    commune = _commune(slug)
    db = get_session()
    found = village_service.commune_village(db, commune, village_id)
    form = VillageForm()
    if form.validate_on_submit():
        if _save(form, lambda: village_service.update_village(db, found, form.payload(),
                                                              actor=_user())):
            flash(_("Village saved."))
            return redirect(url_for("admin.villages", slug=slug))
        return _render("admin/village_edit.html", commune, ok=False, tab="villages", form=form,
                       village=found)
    form.fill(found)
    return _render("admin/village_edit.html", commune, tab="villages", form=form, village=found)


# -- users ----------------------------------------------------------------------------------------

@bp.route("/communes/<slug>/admin/users", methods=["GET", "POST"])
@login_required
def users(slug: str) -> ResponseReturnValue:
    commune = _commune(slug)
    db = get_session()
    actor = _user()
    form = UserForm()
    form.set_roles(user_service.roles_for(actor))
    ok = True
    if form.validate_on_submit():
        if _save(form, lambda: user_service.create_commune_user(
                db, actor, commune, username=form.username.data or "",
                password=form.password.data or "", role=form.role.data or "",
                display_name=form.display_name.data)):
            flash(_("Account %(name)s created.", name=(form.username.data or "").strip().lower()))
            return redirect(url_for("admin.users", slug=slug))
        ok = False
    return _render("admin/users.html", commune, ok=ok, tab="users", form=form,
                   people=user_service.users_of(db, commune.id))


def _user_page(commune: Commune, person: User, form: UserEditForm, password_form: PasswordForm,
               *, ok: bool = True) -> ResponseReturnValue:
    return _render("admin/user_edit.html", commune, ok=ok, tab="users", person=person, form=form,
                   password_form=password_form)


@bp.route("/communes/<slug>/admin/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user(slug: str, user_id: int) -> ResponseReturnValue:
    commune = _commune(slug)
    db = get_session()
    person = user_service.commune_user(db, commune, user_id)
    form = UserEditForm(obj=person)
    form.set_roles(user_service.COMMUNE_ROLES)
    if form.validate_on_submit():
        if _save(form, lambda: user_service.update_user(db, _user(), person, role=form.role.data or "",
                                                        display_name=form.display_name.data)):
            flash(_("Account %(name)s saved.", name=person.username))
            return redirect(url_for("admin.users", slug=slug))
        return _user_page(commune, person, form, PasswordForm(formdata=None), ok=False)
    return _user_page(commune, person, form, PasswordForm(formdata=None))


@bp.post("/communes/<slug>/admin/users/<int:user_id>/password")
@login_required
def user_password(slug: str, user_id: int) -> ResponseReturnValue:
    commune = _commune(slug)
    db = get_session()
    person = user_service.commune_user(db, commune, user_id)
    form = PasswordForm()
    if form.validate_on_submit() and _save(form, lambda: user_service.reset_password(
            db, _user(), person, form.password.data or "")):
        flash(_("New password set for %(name)s.", name=person.username))
        return redirect(url_for("admin.users", slug=slug))
    edit = UserEditForm(formdata=None, obj=person)
    edit.set_roles(user_service.COMMUNE_ROLES)
    return _user_page(commune, person, edit, form, ok=False)


@bp.post("/communes/<slug>/admin/users/<int:user_id>/active")
@login_required
def user_active(slug: str, user_id: int) -> ResponseReturnValue:
    commune = _commune(slug)
    db = get_session()
    person = user_service.commune_user(db, commune, user_id)
    active = request.form.get("active") == "1"
    user_service.set_active(db, _user(), person, active)
    db.commit()
    flash(_("Account %(name)s reactivated.", name=person.username) if active
          else _("Account %(name)s deactivated.", name=person.username))
    return redirect(url_for("admin.users", slug=slug))


# -- teams ----------------------------------------------------------------------------------------

@bp.route("/communes/<slug>/admin/teams", methods=["GET", "POST"])
@login_required
def teams(slug: str) -> ResponseReturnValue:
    commune = _commune(slug)
    db = get_session()
    form = TeamForm()
    ok = True
    if form.validate_on_submit():
        created: list[Any] = []
        if _save(form, lambda: created.append(team_service.create_team(
                db, _user(), commune, form.name.data or ""))):
            flash(_("Team created; now choose its members and villages."))
            return redirect(url_for("admin.team", slug=slug, team_id=created[0].id))
        ok = False
    rows = [(t, team_service.members_of(db, t.id), team_service.villages_of(db, t.id))
            for t in team_service.teams_of(db, commune.id)]
    return _render("admin/teams.html", commune, ok=ok, tab="teams", form=form, teams=rows)


@bp.route("/communes/<slug>/admin/teams/<int:team_id>", methods=["GET", "POST"])
@login_required
def team(slug: str, team_id: int) -> ResponseReturnValue:
    commune = _commune(slug)
    db = get_session()
    found = team_service.commune_team(db, commune, team_id)
    form = TeamEditForm()
    people = [u for u in user_service.users_of(db, commune.id) if u.active]
    form.members.choices = [(u.id, f"{u.display_name or u.username} ({u.username})") for u in people]
    form.villages.choices = [(v.id, v.name) for v in village_service.villages_of(db, commune.id)]
    ok = True
    if form.validate_on_submit():
        if _save(form, lambda: team_service.update_team(
                db, _user(), found, name=form.name.data or "", member_ids=form.members.data or [],
                village_ids=form.villages.data or [])):
            flash(_("Team saved."))
            return redirect(url_for("admin.teams", slug=slug))
        ok = False
    elif request.method == "GET":
        form.name.data = found.name
        form.members.data = [u.id for u in team_service.members_of(db, found.id)]
        form.villages.data = [v.id for v in team_service.villages_of(db, found.id)]
    return _render("admin/team_edit.html", commune, ok=ok, tab="teams", form=form, team=found)


@bp.post("/communes/<slug>/admin/teams/<int:team_id>/delete")
@login_required
def team_delete(slug: str, team_id: int) -> ResponseReturnValue:
    commune = _commune(slug)
    db = get_session()
    team_service.delete_team(db, _user(), team_service.commune_team(db, commune, team_id))
    db.commit()
    flash(_("Team removed."))
    return redirect(url_for("admin.teams", slug=slug))


# -- survey rounds --------------------------------------------------------------------------------

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
    commune = _commune(slug)
    db = get_session()
    form, villages = _round_form(commune)
    ok = True
    if form.validate_on_submit():
        if _save(form, lambda: round_service.create_round(
                db, _user(), commune, round_payload(form, [v.id for v in villages]))):
            flash(_("Survey round saved."))
            return redirect(url_for("admin.rounds", slug=slug))
        ok = False
    today = round_service.today_in_vietnam()
    rows = []
    for survey_round in round_service.rounds_of(db, commune.id):
        done = round_service.progress(db, survey_round, villages)
        rows.append((survey_round, sum(p.done for p in done), sum(p.target for p in done)))
    return _render("admin/rounds.html", commune, ok=ok, tab="rounds", form=form, villages=villages,
                   rounds=rows, today=today)


@bp.route("/communes/<slug>/admin/rounds/<int:round_id>", methods=["GET", "POST"])
@login_required
def survey_round(slug: str, round_id: int) -> ResponseReturnValue:
    commune = _commune(slug)
    db = get_session()
    found = round_service.commune_round(db, commune, round_id)
    form, villages = _round_form(commune, found)
    ok = True
    if form.validate_on_submit():
        if _save(form, lambda: round_service.update_round(
                db, _user(), found, round_payload(form, [v.id for v in villages]))):
            flash(_("Survey round saved."))
            return redirect(url_for("admin.rounds", slug=slug))
        ok = False
    progress = {p.village.id: p for p in round_service.progress(db, found, villages)}
    return _render("admin/round_edit.html", commune, ok=ok, tab="rounds", form=form,
                   villages=villages, survey_round=found, progress=progress)


@bp.post("/communes/<slug>/admin/rounds/<int:round_id>/delete")
@login_required
def round_delete(slug: str, round_id: int) -> ResponseReturnValue:
    commune = _commune(slug)
    db = get_session()
    round_service.delete_round(db, _user(), round_service.commune_round(db, commune, round_id))
    db.commit()
    flash(_("Survey round removed."))
    return redirect(url_for("admin.rounds", slug=slug))


# -- partner organisations (administrators) -------------------------------------------------------

def _admin() -> User:
    actor = _user()
    partner_service.require_admin(actor)
    return actor


@bp.route("/admin/partners", methods=["GET", "POST"])
@login_required
def partners() -> ResponseReturnValue:
    actor = _admin()
    db = get_session()
    form = PartnerForm()
    ok = True
    if form.validate_on_submit():
        if _save(form, lambda: partner_service.create_partner(
                db, actor, slug=form.slug.data or "", name=form.name.data or "")):
            flash(_("Partner organisation saved."))
            return redirect(url_for("admin.partners"))
        ok = False
    rows = [(p, partner_service.partner_users(db, p.id)) for p in partner_service.all_partners(db)]
    return _render("admin/partners.html", None, ok=ok, form=form, partners=rows)


def _partner_page(partner, *, ok: bool = True, form: PartnerForm | None = None,  # type: ignore[no-untyped-def]
                  user_form: PartnerUserForm | None = None, token_form: TokenForm | None = None,
                  new_token: str | None = None):
    db = get_session()
    people = partner_service.partner_users(db, partner.id)
    if form is None:
        form = PartnerForm(formdata=None, obj=partner)
    token_form = token_form or TokenForm(formdata=None)
    token_form.user.choices = [(u.id, u.username) for u in people if u.active]
    return _render("admin/partner.html", None, ok=ok, partner=partner, people=people, form=form,
                   user_form=user_form or PartnerUserForm(formdata=None), token_form=token_form,
                   tokens=partner_service.tokens_of(db, partner.id), new_token=new_token)


@bp.route("/admin/partners/<int:partner_id>", methods=["GET", "POST"])
@login_required
def partner(partner_id: int) -> ResponseReturnValue:
    actor = _admin()
    db = get_session()
    found = partner_service.get_partner(db, partner_id)
    if request.method == "POST":
        form = PartnerForm()
        if form.validate_on_submit() and _save(form, lambda: partner_service.rename_partner(
                db, actor, found, form.name.data or "")):
            flash(_("Partner organisation saved."))
            return redirect(url_for("admin.partner", partner_id=found.id))
        return _partner_page(found, ok=False, form=form)
    return _partner_page(found)


@bp.post("/admin/partners/<int:partner_id>/users")
@login_required
def partner_user_create(partner_id: int) -> ResponseReturnValue:
    actor = _admin()
    db = get_session()
    found = partner_service.get_partner(db, partner_id)
    form = PartnerUserForm()
    if form.validate_on_submit() and _save(form, lambda: partner_service.create_partner_user(
            db, actor, found, username=form.username.data or "", password=form.password.data or "",
            display_name=form.display_name.data)):
        flash(_("Account %(name)s created.", name=(form.username.data or "").strip().lower()))
        return redirect(url_for("admin.partner", partner_id=found.id))
    return _partner_page(found, ok=False, user_form=form)


@bp.post("/admin/partners/<int:partner_id>/users/<int:user_id>/active")
@login_required
def partner_user_active(partner_id: int, user_id: int) -> ResponseReturnValue:
    actor = _admin()
    db = get_session()
    found = partner_service.get_partner(db, partner_id)
    person = partner_service.partner_user(db, found, user_id)
    active = request.form.get("active") == "1"
    user_service.set_active(db, actor, person, active)
    db.commit()
    flash(_("Account %(name)s reactivated.", name=person.username) if active
          else _("Account %(name)s deactivated.", name=person.username))
    return redirect(url_for("admin.partner", partner_id=found.id))


@bp.post("/admin/partners/<int:partner_id>/tokens")
@login_required
def partner_token_create(partner_id: int) -> ResponseReturnValue:
    """Shows the new token on this response only: it is not stored and never shown again."""
    actor = _admin()
    db = get_session()
    found = partner_service.get_partner(db, partner_id)
    form = TokenForm()
    form.user.choices = [(u.id, u.username) for u in partner_service.partner_users(db, found.id)]
    made: list[str] = []
    if form.validate_on_submit() and _save(form, lambda: made.append(
            partner_service.create_partner_token(
                db, actor, partner_service.partner_user(db, found, form.user.data or 0),
                form.label.data)[0])):
        response = _partner_page(found, new_token=made[0])
        return response[0], 201, {"Cache-Control": "no-store"}
    return _partner_page(found, ok=False, token_form=form)


@bp.post("/admin/partners/<int:partner_id>/tokens/<int:token_id>/revoke")
@login_required
def partner_token_revoke(partner_id: int, token_id: int) -> ResponseReturnValue:
    actor = _admin()
    db = get_session()
    found = partner_service.get_partner(db, partner_id)
    token = partner_service.revoke_partner_token(db, actor, found, token_id)
    db.commit()
    flash(_("Token %(prefix)s… revoked.", prefix=token.prefix))
    return redirect(url_for("admin.partner", partner_id=found.id))
