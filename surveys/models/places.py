"""Places: the province, groups of communes, communes and their villages (boundaries, household
counts). A slug names one place of any level: provinces, groups and communes share one namespace
(surveys/places/areas.py keeps it so)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from surveys.db import Base, JSONType
from surveys.models.types import UTCDateTime, utcnow
from surveys.places.lookup_keys import boundary_fingerprint


class Province(Base):
    """A tỉnh / thành phố: the level a province's department oversees (since 1 July 2025 its
    communes and wards sit directly under it)."""

    __tablename__ = "provinces"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(16), unique=True)  # national code, e.g. "42"
    boundary: Mapped[dict[str, Any] | None] = mapped_column(JSONType, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    communes: Mapped[list[Commune]] = relationship(back_populates="parent", order_by="Commune.name")
    groups: Mapped[list[CommuneGroup]] = relationship(back_populates="province",
                                                      order_by="CommuneGroup.name")


class CommuneGroupMember(Base):
    __tablename__ = "commune_group_members"

    group_id: Mapped[int] = mapped_column(ForeignKey("commune_groups.id", ondelete="CASCADE"),
                                          primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"),
                                            primary_key=True, index=True)


class CommuneGroup(Base):
    """Any set of communes a province defines: a former district (e.g. the communes that replaced
    the district of Cẩm Xuyên), a programme's area. Its boundary is the union of its communes' or
    none."""

    __tablename__ = "commune_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(16))  # e.g. a former district's code
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id", ondelete="CASCADE"),
                                                    index=True)
    boundary: Mapped[dict[str, Any] | None] = mapped_column(JSONType, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    province: Mapped[Province | None] = relationship(back_populates="groups")
    communes: Mapped[list[Commune]] = relationship(secondary="commune_group_members",
                                                   order_by="Commune.name")


class Commune(Base):
    __tablename__ = "communes"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    province: Mapped[str] = mapped_column(String(200))  # the province's name, as written
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"), index=True)
    admin_code: Mapped[str | None] = mapped_column(String(16))
    boundary: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # The boundary's fingerprint, set whenever the boundary is: the quality flags keep the parsed
    # geometry in memory and know from this small column, read with the village, that it is current.
    boundary_hash: Mapped[str | None] = mapped_column(String(64))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @validates("boundary")
    def _fingerprint(self, _key: str, boundary: dict[str, Any] | None) -> dict[str, Any] | None:
        self.boundary_hash = boundary_fingerprint(boundary)
        return boundary

    villages: Mapped[list[Village]] = relationship(
        back_populates="commune", order_by="Village.name", cascade="all, delete-orphan"
    )
    parent: Mapped[Province | None] = relationship(back_populates="communes")


class Village(Base):
    """A thôn / làng / bản / tổ dân phố of a commune."""

    __tablename__ = "villages"
    __table_args__ = (
        UniqueConstraint("commune_id", "slug"),
        CheckConstraint("household_count IS NULL OR household_count >= 0", name="household_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"),
                                            index=True)
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    household_count: Mapped[int | None] = mapped_column(Integer)
    population: Mapped[int | None] = mapped_column(Integer)
    counts_year: Mapped[int | None] = mapped_column(Integer)  # the year the counts refer to
    boundary: Mapped[dict[str, Any] | None] = mapped_column(JSONType, deferred=True)  # GeoJSON
    boundary_hash: Mapped[str | None] = mapped_column(String(64))  # as Commune.boundary_hash
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    commune: Mapped[Commune] = relationship(back_populates="villages")

    @validates("boundary")
    def _fingerprint(self, _key: str, boundary: dict[str, Any] | None) -> dict[str, Any] | None:
        self.boundary_hash = boundary_fingerprint(boundary)
        return boundary


class BoundaryCells(Base):
    """The H3 cells of a boundary at one map resolution (surveys/places/boundary_cells.py), worked
    out when the boundary is stored so that no process pays for them on its first map. Keyed by
    the boundary's fingerprint (`Commune.boundary_hash`): an edited boundary is a new key, so a
    row never describes another boundary than the one it is read for."""

    __tablename__ = "boundary_cells"

    boundary_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    resolution: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[int] = mapped_column(Integer)  # boundary_cells.RULE when computed
    cells: Mapped[str] = mapped_column(Text)  # H3's compacted form, comma-separated
