"""Commune administration pages (villages, users, teams, rounds) and /admin/partners: one
blueprint, `admin`, whose routes live in the modules of this package (each imported here)."""

from surveys.views.admin import partners, people, rounds, teams, villages
from surveys.views.admin.common import bp

__all__ = ["bp", "partners", "people", "rounds", "teams", "villages"]
