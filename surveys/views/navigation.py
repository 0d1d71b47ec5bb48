"""The menu of each role and the page each role lands on after logging in.

surveyor: the form, its outbox, my submissions · staff: dashboard, map, review (with the number
waiting), targets, exports, administration, audit of their commune · staff of a province or group
of communes: its dashboard, map, report and targets · partner: uploads, formats ·
administrator: communes, partners, users (and the staff menu of the commune being looked at).
Every page of the site is one tap from this menu (docs/administration.md, "Finding your way").
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from surveys.db import get_session
from surveys.models import Commune, Submission, User


@dataclass(frozen=True)
class Item:
    url: str
    label: str
    key: str
    count: int | None = None


def home_for(user: User) -> str:
    """Where a role lands after logging in."""
    if user.role == "surveyor":
        return url_for("survey_form.form", name="household")
    if user.role == "partner":
        return url_for("coverage_pages.index")
    if user.role == "staff" and user.commune is not None:
        return url_for("dashboard.dashboard", slug=user.commune.slug)
    area = _own_area(user)
    if user.role == "staff" and area is not None:  # staff of a province or group of communes
        return url_for("areas.dashboard", slug=area)
    if user.role == "admin" and user.commune is not None:
        return url_for("dashboard.dashboard", slug=user.commune.slug)
    return url_for("pages.index")  # an administrator without a commune picks one there


def _own_area(user: User) -> str | None:
    """The slug of the province or group of communes a staff member belongs to."""
    place = user.province or user.group
    return place.slug if place is not None else None


def _commune_in_view(user: User) -> Commune | None:
    """The commune the menu is about: the user's own, or for an administrator the one on screen."""
    slug = (request.view_args or {}).get("slug") if request else None
    if user.role == "admin" and isinstance(slug, str):
        found = get_session().scalar(select(Commune).where(Commune.slug == slug))
        if found is not None:
            return found
    return user.commune


def waiting_for_review(commune: Commune) -> int:
    return get_session().scalar(
        select(func.count()).select_from(Submission)
        .where(Submission.commune_id == commune.id, Submission.review_status == "received")) or 0


def menu(user: User) -> list[Item]:
    if user.role == "surveyor":
        form = url_for("survey_form.form", name="household")
        return [Item(form, _("Household survey"), "form"),
                Item(form + "#outbox", _("Outbox"), "outbox"),
                Item(url_for("review.my_submissions"), _("My submissions"), "mine")]
    if user.role == "partner":
        return [Item(url_for("coverage_pages.index"), _("Coverage uploads"), "uploads"),
                Item(url_for("coverage_pages.formats_doc"), _("File formats"), "formats")]
    items: list[Item] = []
    if user.role == "admin":
        items += [Item(url_for("pages.index"), _("Communes"), "communes"),
                  Item(url_for("admin.partners"), _("Partners"), "partners")]
    area = _own_area(user)
    if area is not None:
        items += [Item(url_for("areas.dashboard", slug=area), _("Dashboard"), "area-dashboard"),
                  Item(url_for("areas.area_map", slug=area), _("Map"), "area-map"),
                  Item(url_for("areas.report", slug=area), _("Report"), "area-report"),
                  Item(url_for("area_targets.index", slug=area), _("Plan targets"),
                       "area-targets")]
    commune = _commune_in_view(user)
    if commune is None:
        return items
    slug = commune.slug
    if user.role == "admin":
        items.append(Item(url_for("admin.users", slug=slug), _("Users"), "users"))
    items += [
        Item(url_for("dashboard.dashboard", slug=slug), _("Dashboard"), "dashboard"),
        Item(url_for("maps.commune_map", slug=slug), _("Map"), "map"),
        Item(url_for("review.queue", slug=slug), _("Review"), "review",
             count=waiting_for_review(commune)),
        Item(url_for("targets.index", slug=slug), _("Plan targets"), "targets"),
        Item(url_for("exports.index", slug=slug), _("Exports"), "exports"),
        Item(url_for("admin.home", slug=slug), _("Administration"), "admin"),
        Item(url_for("exports.audit_log", slug=slug), _("Audit log"), "audit"),
    ]
    if user.commune is not None:  # the form collects for the user's own commune
        items.append(Item(url_for("survey_form.form", name="household"), _("Household survey"),
                          "form"))
    return items


def current(items: list[Item]) -> Item | None:
    """The menu item of the page on screen: the longest URL that starts its path."""
    path = request.path
    found = [i for i in items if "#" not in i.url
             and (path == i.url or (i.url != "/" and path.startswith(i.url.rstrip("/") + "/")))]
    return max(found, key=lambda i: len(i.url), default=None)
