"""Areas: a province, a group of communes or a commune, named by one slug.

Provinces, groups and communes share one namespace of slugs (`slug_taken` keeps it so), so a slug
names exactly one area. An area knows its communes (a province: those whose parent it is; a group:
its members; a commune: itself), its parent and its children. Takes a Session; never imports Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from surveys.models import Commune, CommuneGroup, CommuneGroupMember, Province, Village

LEVELS = ("province", "group", "commune")


@dataclass(frozen=True)
class Area:
    """One area of any level, as readers see it."""

    level: str  # province | group | commune
    id: int
    slug: str
    name: str
    code: str | None
    place: Province | CommuneGroup | Commune

    @property
    def province_id(self) -> int | None:
        """The province the area belongs to (a province: itself)."""
        if isinstance(self.place, Province):
            return self.place.id
        return self.place.province_id


def as_area(place: Province | CommuneGroup | Commune) -> Area:
    if isinstance(place, Province):
        return Area("province", place.id, place.slug, place.name, place.code, place)
    if isinstance(place, CommuneGroup):
        return Area("group", place.id, place.slug, place.name, place.code, place)
    return Area("commune", place.id, place.slug, place.name, place.admin_code, place)


def find_area(session: Session, slug: object) -> Area | None:
    """The area a slug names, of any level; None when there is none (or slug is not a string)."""
    if not isinstance(slug, str) or not slug or len(slug) > 64 or "\x00" in slug:
        return None  # no slug is longer (String(64)), and PostgreSQL refuses NUL in text
    place: Province | CommuneGroup | Commune | None = (
        session.scalar(select(Province).where(Province.slug == slug))
        or session.scalar(select(CommuneGroup).where(CommuneGroup.slug == slug))
        or session.scalar(select(Commune).where(Commune.slug == slug)))
    return as_area(place) if place is not None else None


def slug_taken(session: Session, slug: str) -> bool:
    return find_area(session, slug) is not None


def commune_ids(session: Session, area: Area) -> list[int]:
    """The ids of the area's communes (ordered by name)."""
    return [c.id for c in communes_of(session, area)]


def communes_of(session: Session, area: Area) -> list[Commune]:
    """The communes of the area, by name: a province's own communes, a group's members, or the
    commune itself."""
    if area.level == "province":
        query = select(Commune).where(Commune.province_id == area.id)
    elif area.level == "group":
        query = select(Commune).join(CommuneGroupMember,
                                     CommuneGroupMember.commune_id == Commune.id).where(
            CommuneGroupMember.group_id == area.id)
    else:
        query = select(Commune).where(Commune.id == area.id)
    # The boundaries (~0.5 MB for a province) stay unread unless a caller asks for one: the
    # maps read the stored boundary cells, the outlines their own cache.
    return list(session.scalars(query.options(defer(Commune.boundary))
                                .order_by(Commune.name, Commune.id)))


def groups_of(session: Session, province_id: int) -> list[CommuneGroup]:
    return list(session.scalars(select(CommuneGroup).where(CommuneGroup.province_id == province_id)
                                .order_by(CommuneGroup.name, CommuneGroup.id)))


def groups_containing(session: Session, commune_id: int) -> list[CommuneGroup]:
    return list(session.scalars(select(CommuneGroup).join(
        CommuneGroupMember, CommuneGroupMember.group_id == CommuneGroup.id).where(
        CommuneGroupMember.commune_id == commune_id).order_by(CommuneGroup.slug)))


def parent_of(session: Session, area: Area) -> Area | None:
    """A commune's or group's province; a province has none."""
    if area.level == "province" or area.province_id is None:
        return None
    province = session.get(Province, area.province_id)
    return as_area(province) if province is not None else None


def children_of(session: Session, area: Area) -> list[dict[str, Any]]:
    """A province: its groups, then its communes; a group: its communes; a commune: its villages."""
    if area.level == "commune":
        villages = session.scalars(select(Village).where(Village.commune_id == area.id)
                                   .order_by(Village.name, Village.id))
        return [{"slug": v.slug, "name": v.name, "level": "village"} for v in villages]
    children: list[Area] = []
    if area.level == "province":
        children += [as_area(g) for g in groups_of(session, area.id)]
    children += [as_area(c) for c in communes_of(session, area)]
    return [{"slug": a.slug, "name": a.name, "level": a.level, "code": a.code} for a in children]


def area_json(session: Session, area: Area) -> dict[str, Any]:
    """`GET /api/v1/areas/SLUG`: slug, name, level, code, parent and children (with their slugs)."""
    parent = parent_of(session, area)
    document: dict[str, Any] = {
        "slug": area.slug, "name": area.name, "level": area.level, "code": area.code,
        "parent": parent.slug if parent else None, "children": children_of(session, area)}
    if area.level == "commune":
        document["groups"] = [g.slug for g in groups_containing(session, area.id)]
    return document


def tree(session: Session, readable: list[Area]) -> list[dict[str, Any]]:
    """The areas a reader may read as a tree: each top area with its groups and communes (a
    commune under a province appears once, under the province; groups list their communes' slugs)."""
    result = []
    for area in readable:
        node: dict[str, Any] = {"slug": area.slug, "name": area.name, "level": area.level,
                                "code": area.code}
        if area.level == "province":
            node["groups"] = [{"slug": g.slug, "name": g.name, "level": "group", "code": g.code,
                               "communes": [c.slug for c in g.communes]}
                              for g in groups_of(session, area.id)]
        if area.level in ("province", "group"):
            node["communes"] = [{"slug": c.slug, "name": c.name, "level": "commune",
                                 "code": c.admin_code} for c in communes_of(session, area)]
        result.append(node)
    return result


def all_top_areas(session: Session) -> list[Area]:
    """Every province, then every group without a province, then every commune without one."""
    provinces = [as_area(p) for p in session.scalars(select(Province).order_by(Province.name))]
    groups = [as_area(g) for g in session.scalars(
        select(CommuneGroup).where(CommuneGroup.province_id.is_(None)).order_by(CommuneGroup.name))]
    communes = [as_area(c) for c in session.scalars(
        select(Commune).where(Commune.province_id.is_(None)).order_by(Commune.name))]
    return provinces + groups + communes
