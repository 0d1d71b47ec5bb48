"""/admin/partners: telecom partner organisations, their accounts and API tokens (administrators
only; surveys/administration/partners.py)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy.orm import Session

from forms.admin import PartnerForm, PartnerUserForm, TokenForm
from surveys.administration import partners as partner_service
from surveys.administration import users as user_service
from surveys.db import get_session
from surveys.models import Partner, User
from surveys.views.admin.common import acting_user, bp, render_page
from surveys.views.use_cases import run


def _admin() -> User:
    actor = acting_user()
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
        if run(partner_service.create_partner, actor, slug=form.slug.data or "",
               name=form.name.data or "", form=form).ok:
            flash(_("Partner organisation saved."))
            return redirect(url_for("admin.partners"))
        ok = False
    rows = [(p, partner_service.partner_users(db, p.id)) for p in partner_service.all_partners(db)]
    return render_page("admin/partners.html", None, ok=ok, form=form, partners=rows)


def _partner_page(partner: Partner, *, ok: bool = True, form: PartnerForm | None = None,
                  user_form: PartnerUserForm | None = None, token_form: TokenForm | None = None,
                  new_token: str | None = None) -> tuple[str, int]:
    db = get_session()
    people = partner_service.partner_users(db, partner.id)
    if form is None:
        form = PartnerForm(formdata=None, obj=partner)
    token_form = token_form or TokenForm(formdata=None)
    token_form.user.choices = [(u.id, u.username) for u in people if u.active]
    return render_page("admin/partner.html", None, ok=ok, partner=partner, people=people, form=form,
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
        if form.validate_on_submit() and run(partner_service.rename_partner, actor, found,
                                             form.name.data or "", form=form).ok:
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
    if form.validate_on_submit() and run(
            partner_service.create_partner_user, actor, found, username=form.username.data or "",
            password=form.password.data or "", display_name=form.display_name.data, form=form).ok:
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
    run(user_service.set_active, actor, person, active)
    flash(_("Account %(name)s reactivated.", name=person.username) if active
          else _("Account %(name)s deactivated.", name=person.username))
    return redirect(url_for("admin.partner", partner_id=found.id))


def _new_token(session: Session, actor: User, partner: Partner, user_id: int,
               label: str | None) -> str:
    """A token for one of the partner's accounts: the plain token, shown once."""
    person = partner_service.partner_user(session, partner, user_id)
    return partner_service.create_partner_token(session, actor, person, label)[0]


@bp.post("/admin/partners/<int:partner_id>/tokens")
@login_required
def partner_token_create(partner_id: int) -> ResponseReturnValue:
    """Shows the new token on this response only: it is not stored and never shown again."""
    actor = _admin()
    db = get_session()
    found = partner_service.get_partner(db, partner_id)
    form = TokenForm()
    form.user.choices = [(u.id, u.username) for u in partner_service.partner_users(db, found.id)]
    made = run(_new_token, actor, found, form.user.data or 0, form.label.data,
               form=form).value if form.validate_on_submit() else None
    if made is not None:
        response = _partner_page(found, new_token=made)
        return response[0], 201, {"Cache-Control": "no-store"}
    return _partner_page(found, ok=False, token_form=form)


@bp.post("/admin/partners/<int:partner_id>/tokens/<int:token_id>/revoke")
@login_required
def partner_token_revoke(partner_id: int, token_id: int) -> ResponseReturnValue:
    actor = _admin()
    db = get_session()
    found = partner_service.get_partner(db, partner_id)
    token = run(partner_service.revoke_partner_token, actor, found, token_id)
    flash(_("Token %(prefix)s… revoked.", prefix=token.prefix))
    return redirect(url_for("admin.partner", partner_id=found.id))
