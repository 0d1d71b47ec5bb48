"""/areas/SLUG/admin/users: an administrator manages the staff of a province or group of communes
(surveys/administration/area_users.py; a new password and deactivation as on a commune's users page,
surveys/administration/users.py). A commune's slug leads to the commune's own users page."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from forms.admin import AreaUserEditForm, AreaUserForm, PasswordForm
from surveys.administration import area_users
from surveys.administration import users as user_service
from surveys.db import get_session
from surveys.models import User
from surveys.places.areas import Area
from surveys.views.admin.common import acting_user, bp, render_page
from surveys.views.areas import level_labels
from surveys.views.use_cases import run


def _area(slug: str) -> Area:
    return area_users.administered_area(get_session(), acting_user(), slug)


def _page(template: str, area: Area, *, ok: bool = True, **context: object) -> ResponseReturnValue:
    return render_page(template, None, ok=ok, area=area, level_label=level_labels()[area.level],
                       **context)


@bp.route("/areas/<slug>/admin/users", methods=["GET", "POST"])
@login_required
def area_users_page(slug: str) -> ResponseReturnValue:
    area = _area(slug)
    if area.level == "commune":
        return redirect(url_for("admin.users", slug=area.slug))
    form = AreaUserForm()
    ok = True
    if form.validate_on_submit():
        if run(area_users.create_area_user, acting_user(), area,
               username=form.username.data or "", password=form.password.data or "",
               display_name=form.display_name.data, form=form).ok:
            flash(_("Account %(name)s created.", name=(form.username.data or "").strip().lower()))
            return redirect(url_for("admin.area_users_page", slug=area.slug))
        ok = False
    return _page("admin/area_users.html", area, ok=ok, form=form,
                 people=area_users.users_of(get_session(), area))


def _user_page(area: Area, person: User, form: AreaUserEditForm, password_form: PasswordForm,
               *, ok: bool = True) -> ResponseReturnValue:
    return _page("admin/area_user_edit.html", area, ok=ok, person=person, form=form,
                 password_form=password_form)


@bp.route("/areas/<slug>/admin/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def area_user(slug: str, user_id: int) -> ResponseReturnValue:
    area = _area(slug)
    person = area_users.area_user(get_session(), area, user_id)
    form = AreaUserEditForm(obj=person)
    if form.validate_on_submit():
        if run(area_users.rename_area_user, acting_user(), area, person,
               display_name=form.display_name.data, form=form).ok:
            flash(_("Account %(name)s saved.", name=person.username))
            return redirect(url_for("admin.area_users_page", slug=area.slug))
        return _user_page(area, person, form, PasswordForm(formdata=None), ok=False)
    return _user_page(area, person, form, PasswordForm(formdata=None))


@bp.post("/areas/<slug>/admin/users/<int:user_id>/password")
@login_required
def area_user_password(slug: str, user_id: int) -> ResponseReturnValue:
    area = _area(slug)
    person = area_users.area_user(get_session(), area, user_id)
    form = PasswordForm()
    if form.validate_on_submit() and run(user_service.reset_password, acting_user(), person,
                                         form.password.data or "", form=form).ok:
        flash(_("New password set for %(name)s.", name=person.username))
        return redirect(url_for("admin.area_users_page", slug=area.slug))
    return _user_page(area, person, AreaUserEditForm(formdata=None, obj=person), form, ok=False)


@bp.post("/areas/<slug>/admin/users/<int:user_id>/active")
@login_required
def area_user_active(slug: str, user_id: int) -> ResponseReturnValue:
    area = _area(slug)
    person = area_users.area_user(get_session(), area, user_id)
    active = request.form.get("active") == "1"
    run(user_service.set_active, acting_user(), person, active)
    flash(_("Account %(name)s reactivated.", name=person.username) if active
          else _("Account %(name)s deactivated.", name=person.username))
    return redirect(url_for("admin.area_users_page", slug=area.slug))
