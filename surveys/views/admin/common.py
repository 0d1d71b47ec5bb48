"""Commune administration pages (/communes/SLUG/admin/...: villages, users, teams, rounds) for the
commune's staff and administrators, and /admin/partners for administrators.

Every page checks access before anything else (surveys/administration/access.py: staff of the
commune or an admin; 403 for anyone else, 404 for an unknown commune or for an object of another
commune), then parses the form, calls a service of surveys/administration/, commits once and redirects.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_babel import format_date
from flask_login import current_user

from forms.admin import ROLE_LABELS
from surveys.administration.access import commune_for
from surveys.db import get_session
from surveys.models import Commune, User

bp = Blueprint("admin", __name__)

INVALID = 422


def acting_user() -> User:
    return current_user._get_current_object()


def admin_commune(slug: str) -> Commune:
    """The commune whose administration the user may do: its staff, or an admin."""
    return commune_for(get_session(), acting_user(), slug, write=True)


def render_page(template: str, commune: Commune | None, *, ok: bool = True,
                     **context: Any) -> tuple[str, int]:
    status = 200 if ok else INVALID
    return render_template(template, commune=commune, format_date=format_date,
                           role_label=lambda role: ROLE_LABELS.get(role, role), **context), status
