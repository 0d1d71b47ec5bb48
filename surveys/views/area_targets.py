"""Staff of a province or group of communes (and administrators) manage the targets stored at
their area's own level: /areas/SLUG/targets. The same form, rules and audit as a commune's targets
page (views/targets.py), through the same use cases (surveys/indicators/target_changes.py); a
commune's slug leads to the commune's own page."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from surveys.administration.access import area_for, editable_target, writes_area
from surveys.db import get_session
from surveys.indicators import target_changes
from surveys.indicators.area_target_statuses import area_target_statuses
from surveys.indicators.areas import area_targets
from surveys.places import vntime
from surveys.places.areas import Area
from surveys.views.areas import level_labels
from surveys.views.auditing import current_actor
from surveys.views.targets import edit_page, target_form, targets_page
from surveys.views.use_cases import run

bp = Blueprint("area_targets", __name__)


def _area(slug: str, *, write: bool = False) -> Area:
    return area_for(get_session(), current_user._get_current_object(), slug, write=write)


@bp.route("/areas/<slug>/targets", methods=["GET", "POST"])
@login_required
def index(slug: str) -> ResponseReturnValue:
    """Everyone who reads the area sees its targets; those who may set them (an admin, the area's
    own staff) add, edit and remove them."""
    area = _area(slug)
    if area.level == "commune":
        return redirect(url_for("targets.index", slug=area.slug))
    locale = str(get_locale())
    form = target_form(locale)
    if form.validate_on_submit():
        if run(target_changes.create_target, current_actor(), None,
               {**form.payload(), "area": area.slug}, form=form).ok:
            flash(_("Target saved."))
            return redirect(url_for("area_targets.index", slug=area.slug))
    statuses = area_target_statuses(get_session(), area, today=vntime.today(),
                                    minimum=current_app.config["INDICATOR_MIN_HOUSEHOLDS"],
                                    h3_resolution=current_app.config["INDICATOR_H3_RESOLUTION"])
    return targets_page(area, "area_targets", form,
                        can_edit=writes_area(current_user._get_current_object(), area),
                        level_label=level_labels()[area.level],
                        targets=area_targets(get_session(), area), statuses=statuses)


@bp.route("/areas/<slug>/targets/<int:target_id>", methods=["GET", "POST"])
@login_required
def edit(slug: str, target_id: int) -> ResponseReturnValue:
    target = editable_target(get_session(), current_user._get_current_object(), target_id,
                             area_slug=slug)
    return edit_page(_area(slug, write=True), "area_targets", target, slug, area=True)


@bp.route("/areas/<slug>/targets/<int:target_id>/delete", methods=["POST"])
@login_required
def delete(slug: str, target_id: int) -> ResponseReturnValue:
    run(target_changes.delete_target, current_actor(), target_id, area_slug=slug)
    flash(_("Target removed."))
    return redirect(url_for("area_targets.index", slug=slug))
