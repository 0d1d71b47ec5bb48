"""/communes/SLUG/admin/users: the commune's accounts (surveys/administration/users.py)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from forms.admin import PasswordForm, UserEditForm, UserForm
from surveys.administration import users as user_service
from surveys.db import get_session
from surveys.models import Commune, User
from surveys.views.admin.common import acting_user, admin_commune, bp, render_page
from surveys.views.use_cases import run


@bp.route("/communes/<slug>/admin/users", methods=["GET", "POST"])
@login_required
def users(slug: str) -> ResponseReturnValue:
    commune = admin_commune(slug)
    db = get_session()
    actor = acting_user()
    form = UserForm()
    form.set_roles(user_service.roles_for(actor))
    ok = True
    if form.validate_on_submit():
        if run(user_service.create_commune_user, actor, commune, username=form.username.data or "",
               password=form.password.data or "", role=form.role.data or "",
               display_name=form.display_name.data, form=form).ok:
            flash(_("Account %(name)s created.", name=(form.username.data or "").strip().lower()))
            return redirect(url_for("admin.users", slug=slug))
        ok = False
    return render_page("admin/users.html", commune, ok=ok, tab="users", form=form,
                       people=user_service.users_of(db, commune.id))


def _user_page(commune: Commune, person: User, form: UserEditForm, password_form: PasswordForm,
               *, ok: bool = True) -> ResponseReturnValue:
    return render_page("admin/user_edit.html", commune, ok=ok, tab="users", person=person, form=form,
                       password_form=password_form)


@bp.route("/communes/<slug>/admin/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user(slug: str, user_id: int) -> ResponseReturnValue:
    commune = admin_commune(slug)
    db = get_session()
    person = user_service.commune_user(db, commune, user_id)
    form = UserEditForm(obj=person)
    form.set_roles(user_service.COMMUNE_ROLES)
    if form.validate_on_submit():
        if run(user_service.update_user, acting_user(), person, role=form.role.data or "",
               display_name=form.display_name.data, form=form).ok:
            flash(_("Account %(name)s saved.", name=person.username))
            return redirect(url_for("admin.users", slug=slug))
        return _user_page(commune, person, form, PasswordForm(formdata=None), ok=False)
    return _user_page(commune, person, form, PasswordForm(formdata=None))


@bp.post("/communes/<slug>/admin/users/<int:user_id>/password")
@login_required
def user_password(slug: str, user_id: int) -> ResponseReturnValue:
    commune = admin_commune(slug)
    db = get_session()
    person = user_service.commune_user(db, commune, user_id)
    form = PasswordForm()
    if form.validate_on_submit() and run(user_service.reset_password, acting_user(), person,
                                         form.password.data or "", form=form).ok:
        flash(_("New password set for %(name)s.", name=person.username))
        return redirect(url_for("admin.users", slug=slug))
    edit = UserEditForm(formdata=None, obj=person)
    edit.set_roles(user_service.COMMUNE_ROLES)
    return _user_page(commune, person, edit, form, ok=False)


@bp.post("/communes/<slug>/admin/users/<int:user_id>/active")
@login_required
def user_active(slug: str, user_id: int) -> ResponseReturnValue:
    commune = admin_commune(slug)
    db = get_session()
    person = user_service.commune_user(db, commune, user_id)
    active = request.form.get("active") == "1"
    run(user_service.set_active, acting_user(), person, active)
    flash(_("Account %(name)s reactivated.", name=person.username) if active
          else _("Account %(name)s deactivated.", name=person.username))
    return redirect(url_for("admin.users", slug=slug))


