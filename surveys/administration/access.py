"""Who may read or change a place's data. Takes a Session; never imports Flask.

A commune's surveyors read it and its staff read and change it. Staff of a province or of a group
of communes (users.province_id / users.group_id) read everything under their area (its groups,
communes and their data) and set targets at their own level; they change nothing below it (no
review, no administration of a commune). Administrators read and change everything.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.errors import Problem, Text
from surveys.models import Commune, CommuneGroupMember, Role, Target, User
from surveys.places.areas import Area, all_top_areas, as_area, find_area


def _reads_under_area(session: Session, user: User, commune: Commune) -> bool:
    """Is the commune under the province or group the user is staff of?"""
    if user.role != Role.STAFF:
        return False
    if user.province_id is not None:
        return commune.province_id == user.province_id
    if user.group_id is not None:
        return session.scalar(select(CommuneGroupMember.commune_id).where(
            CommuneGroupMember.group_id == user.group_id,
            CommuneGroupMember.commune_id == commune.id)) is not None
    return False


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
    if user.role in allowed and user.commune_id == commune.id:
        return commune
    if not write and _reads_under_area(session, user, commune):
        return commune
    raise Problem("403.1")


def own_area(session: Session, user: User) -> Area | None:
    """The area a user belongs to: their province, group or commune (None: admin, partner)."""
    if user.province is not None:
        return as_area(user.province)
    if user.group is not None:
        return as_area(user.group)
    if user.commune is not None:
        return as_area(user.commune)
    return None


def readable_areas(session: Session, user: User) -> list[Area]:
    """The top areas a user may read (each with everything under it)."""
    if user.role == Role.ADMIN:
        return all_top_areas(session)
    if user.role not in (Role.STAFF, Role.SURVEYOR):
        return []
    area = own_area(session, user)
    return [area] if area is not None else []


def reads_area(session: Session, user: User, area: Area) -> bool:
    if user.role == Role.ADMIN:
        return True
    if user.role not in (Role.STAFF, Role.SURVEYOR):
        return False
    if area.level == "commune":
        commune = area.place
        assert isinstance(commune, Commune)
        return user.commune_id == commune.id or _reads_under_area(session, user, commune)
    if user.role != Role.STAFF:
        return False
    if user.province_id is not None:
        return area.province_id == user.province_id
    return area.level == "group" and user.group_id == area.id


def writes_area(user: User, area: Area) -> bool:
    """May the user set targets at this area's level (only at their own level)?"""
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.STAFF:
        return False
    return {"province": user.province_id, "group": user.group_id,
            "commune": user.commune_id}[area.level] == area.id


def area_for(session: Session, user: User, slug: object, *, write: bool = False,
             field: str = "area") -> Area:
    """The area of any level a user asks about, if they may read it (or, write: change it)."""
    if slug is not None and not isinstance(slug, str):
        raise Problem("422.1", errors={field: Text("Mã địa bàn phải là một chuỗi.",
                                                   "area must be a string (its slug).")})
    if not slug:
        raise Problem("422.1", errors={field: Text("Cần mã địa bàn (area).",
                                                   "area (its slug) is required.")})
    area = find_area(session, slug)
    if area is None:
        raise Problem("404.1")
    if not (writes_area(user, area) if write else reads_area(session, user, area)):
        raise Problem("403.1")
    return area


def editable_target(session: Session, user: User, target_id: int, *,
                    commune_slug: str | None = None, area_slug: str | None = None) -> Target:
    """A target the user may change. With the commune (or the province or group: `area_slug`) of
    the URL, permission is checked first (403 before anything about the target is revealed) and the
    target must be stored at that place's own level (404 otherwise)."""
    commune = commune_for(session, user, commune_slug, write=True) if commune_slug else None
    area = area_for(session, user, area_slug, write=True) if area_slug else None
    target = session.get(Target, target_id)
    if target is None or (commune is not None and target.commune_id != commune.id):
        raise Problem("404.1")
    if area is not None:
        place = target.commune or target.group or target.province
        if place is None or (as_area(place).level, place.id) != (area.level, area.id):
            raise Problem("404.1")
    elif commune is None:
        place = target.commune or target.group or target.province
        assert place is not None
        if not writes_area(user, as_area(place)):
            raise Problem("403.1")
    return target
