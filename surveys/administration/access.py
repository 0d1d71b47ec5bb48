"""Who may read or change a commune's data. Takes a Session; never imports Flask."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.errors import Problem, Text
from surveys.models import Commune, Role, Target, User


def commune_for(session: Session, user: User, slug: object, *, write: bool = False) -> Commune:
    """The commune a user asks about, if their role lets them (staff write, others read)."""
    if slug is not None and not isinstance(slug, str):
        raise Problem("422.1", errors={"commune": Text("Mã xã (commune) phải là một chuỗi.",
                                                       "commune must be a string (its slug).")})
    if not slug:
        raise Problem("422.1", errors={"commune": Text("Cần mã xã (commune).",
                                                       "commune (its slug) is required.")})
    commune = session.scalar(select(Commune).where(Commune.slug == slug))
    if commune is None:
        raise Problem("404.1")
    if user.role == Role.ADMIN:
        return commune
    allowed = (Role.STAFF,) if write else (Role.STAFF, Role.SURVEYOR)
    if user.role not in allowed or user.commune_id != commune.id:
        raise Problem("403.1")
    return commune


def editable_target(session: Session, user: User, target_id: int, *,
                    commune_slug: str | None = None) -> Target:
    """A target the user may change. With the commune of the URL, permission is checked first
    (403 before anything about the target is revealed) and the target must belong to it."""
    commune = commune_for(session, user, commune_slug, write=True) if commune_slug else None
    target = session.get(Target, target_id)
    if target is None or (commune is not None and target.commune_id != commune.id):
        raise Problem("404.1")
    if commune is None:
        commune_for(session, user, target.commune.slug, write=True)
    return target
