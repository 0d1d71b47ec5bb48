"""Commune administration pages (villages, users, teams, rounds), /admin/partners and the staff of
a province or group (/areas/SLUG/admin/users): one blueprint, `admin`, whose routes live in the
modules of this package (each imported here)."""

from surveys.views.admin import area_people, partners, people, rounds, teams, villages
from surveys.views.admin.common import bp

__all__ = ["area_people", "bp", "partners", "people", "rounds", "teams", "villages"]
