"""Commune staff manage their plan's targets: /communes/SLUG/targets."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forms.targets import TargetForm
from surveys.administration.access import commune_for, editable_target
from surveys.db import get_session
from surveys.indicators import CATALOGUE, target_changes
from surveys.indicators import targets as target_service
from surveys.indicators.report import target_statuses
from surveys.models import Target
from surveys.places import vntime
from surveys.views.auditing import current_actor
from surveys.views.use_cases import run

bp = Blueprint("targets", __name__)


def target_form(locale: str, target: Target | None = None) -> TargetForm:
    form = TargetForm(obj=target)
    if target is not None and not form.is_submitted():
        for name in ("value", "target_year", "baseline_value", "baseline_year", "start_year"):
            number = getattr(target, name)
            form[name].data = "" if number is None else f"{number:g}"
    form.set_indicator_choices(locale)
    return form


def _editable_target(slug: str, target_id: int) -> Target:
    return editable_target(get_session(), current_user._get_current_object(), target_id,
                           commune_slug=slug)


@bp.route("/communes/<slug>/targets", methods=["GET", "POST"])
@login_required
def index(slug: str) -> ResponseReturnValue:
    db = get_session()
    user = current_user._get_current_object()
    commune = commune_for(db, user, slug)
    can_edit = user.role == "admin" or (user.role == "staff" and user.commune_id == commune.id)
    locale = str(get_locale())
    form = target_form(locale)
    if form.validate_on_submit():
        if run(target_changes.create_target, current_actor(), slug, form.payload(), form=form).ok:
            flash(_("Target saved."))
            return redirect(url_for("targets.index", slug=slug))
    statuses = target_statuses(db, commune, today=vntime.today(),
                               minimum=current_app.config["INDICATOR_MIN_HOUSEHOLDS"],
                               h3_resolution=current_app.config["INDICATOR_H3_RESOLUTION"])
    return targets_page(commune, "targets", form, can_edit=can_edit, level_label=None,
                        targets=target_service.targets_for(db, commune.id), statuses=statuses)


def targets_page(place: object, pages: str, form: TargetForm, *, can_edit: bool,
                 level_label: str | None, targets: list[Target],
                 statuses: dict[int, Any]) -> ResponseReturnValue:
    """The targets page of a commune or an area (`pages`: the blueprint of its routes)."""
    from surveys.views.dashboard import progress_text, status_labels, target_percent

    return render_template("targets/index.html", place=place, pages=pages, form=form,
                           can_edit=can_edit, level_label=level_label, targets=targets,
                           catalogue=CATALOGUE, locale=str(get_locale()), statuses=statuses,
                           status_labels=status_labels(), target_percent=target_percent,
                           progress_text=lambda t, found: progress_text({
                               **found, "target": t.value, "target_year": t.target_year,
                               "ci_low": None, "ci_low_one_sided": None}))


def edit_page(place: object, pages: str, target: Target, slug: str, *, area: bool = False
              ) -> ResponseReturnValue:
    """Edit one target of the commune (or, `area`, the province or group) named by `slug`."""
    form = target_form(str(get_locale()), target)
    if form.validate_on_submit():
        if run(target_changes.update_target, current_actor(), target.id, form.payload(),
               commune_slug=None if area else slug, area_slug=slug if area else None,
               form=form).ok:
            flash(_("Target saved."))
            return redirect(url_for(f"{pages}.index", slug=slug))
    return render_template("targets/edit.html", place=place, pages=pages, form=form,
                           target=target)


@bp.route("/communes/<slug>/targets/<int:target_id>", methods=["GET", "POST"])
@login_required
def edit(slug: str, target_id: int) -> ResponseReturnValue:
    target = _editable_target(slug, target_id)
    return edit_page(target.commune, "targets", target, slug)


@bp.route("/communes/<slug>/targets/<int:target_id>/delete", methods=["POST"])
@login_required
def delete(slug: str, target_id: int) -> ResponseReturnValue:
    run(target_changes.delete_target, current_actor(), target_id, commune_slug=slug)
    flash(_("Target removed."))
    return redirect(url_for("targets.index", slug=slug))
