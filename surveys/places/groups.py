"""Groups of communes: any set of communes a province defines (a former district, a programme's
area). Its boundary is the union of its communes' boundaries, or none when one of them has none.
Takes a Session; never commits."""

from __future__ import annotations

from collections.abc import Sequence

from shapely.geometry import shape
from shapely.ops import unary_union
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.errors import Problem, Text
from surveys.models import Commune, CommuneGroup, Province
from surveys.places.areas import find_area
from surveys.places.province_import import stored_boundary


def define_group(session: Session, slug: str, name: str, commune_slugs: Sequence[str], *,
                 province: Province | None = None, code: str | None = None) -> CommuneGroup:
    """Create the group `slug`, or make an existing one exactly this (name, code, members)."""
    errors: dict[str, Text] = {}
    other = find_area(session, slug)
    if other is not None and other.level != "group":
        errors["slug"] = Text("Mã {s} đã dùng cho một {l}.", "{s} is already the slug of a {l}.").format(
            s=slug, l=other.level)
    communes = list(session.scalars(select(Commune).where(Commune.slug.in_(commune_slugs))))
    missing = sorted(set(commune_slugs) - {c.slug for c in communes})
    if missing:
        errors["communes"] = Text("Không có xã: {m}.", "No such communes: {m}.").format(
            m=", ".join(missing))
    if province is not None:
        outside = sorted(c.slug for c in communes if c.province_id != province.id)
        if outside:
            errors["communes"] = Text("Xã không thuộc tỉnh: {m}.",
                                      "Communes outside the province: {m}.").format(
                m=", ".join(outside))
    if errors:
        raise Problem("422.1", errors=errors)
    group = session.scalar(select(CommuneGroup).where(CommuneGroup.slug == slug))
    if group is None:
        group = CommuneGroup(slug=slug, name=name)
        session.add(group)
    group.name, group.code, group.province = name, code, province
    group.communes = sorted(communes, key=lambda c: c.name)
    boundaries = [c.boundary for c in communes]
    group.boundary = (stored_boundary(unary_union([shape(b) for b in boundaries]), simplify=0)
                      if boundaries and all(boundaries) else None)
    session.flush()
    return group
