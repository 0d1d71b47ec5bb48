"""Plan targets and the indicator rollups (moments and cell counts per village and month)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveys.db import Base
from surveys.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from surveys.models.places import Commune, CommuneGroup, Province


class Target(Base):
    """A plan's target for one indicator in one commune, group of communes or province (exactly one
    of them), with the text it comes from."""

    __tablename__ = "targets"
    __table_args__ = (
        CheckConstraint("comparator IS NULL OR comparator IN ('>=', '>', '=')", name="comparator"),
        CheckConstraint("value IS NOT NULL OR baseline_value IS NOT NULL", name="value_or_baseline"),
        CheckConstraint("(CASE WHEN commune_id IS NULL THEN 0 ELSE 1 END)"
                        " + (CASE WHEN group_id IS NULL THEN 0 ELSE 1 END)"
                        " + (CASE WHEN province_id IS NULL THEN 0 ELSE 1 END) = 1", name="one_place"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"),
                                                   index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("commune_groups.id", ondelete="CASCADE"),
                                                 index=True)
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id", ondelete="CASCADE"),
                                                    index=True)
    indicator: Mapped[str] = mapped_column(String(64))
    comparator: Mapped[str | None] = mapped_column(String(2))
    value: Mapped[float | None] = mapped_column(Float)
    target_year: Mapped[int | None] = mapped_column(Integer)
    baseline_value: Mapped[float | None] = mapped_column(Float)
    baseline_year: Mapped[int | None] = mapped_column(Integer)
    start_year: Mapped[int | None] = mapped_column(Integer)  # the plan's first year (issue 13)
    source_document: Mapped[str] = mapped_column(String(300), default="")
    source_article: Mapped[str] = mapped_column(String(200), default="")
    source_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    commune: Mapped[Commune | None] = relationship()
    group: Mapped[CommuneGroup | None] = relationship()
    province: Mapped[Province | None] = relationship()


class MomentSums:
    """The moments of counted households (n, Σy, Σx, Σy², Σx², Σxy, households with x > 0)."""

    count: Mapped[float] = mapped_column(Float)
    sum_y: Mapped[float] = mapped_column(Float)
    sum_x: Mapped[float] = mapped_column(Float)
    sum_yy: Mapped[float] = mapped_column(Float)
    sum_xx: Mapped[float] = mapped_column(Float)
    sum_xy: Mapped[float] = mapped_column(Float)
    positive: Mapped[float] = mapped_column(Float)


class CellCounts:
    """Counted households and how many report each generation or better at home."""

    households: Mapped[int] = mapped_column(Integer)
    with_4g: Mapped[int] = mapped_column(Integer)  # 4G or 5G
    with_5g: Mapped[int] = mapped_column(Integer)
    with_3g: Mapped[int] = mapped_column(Integer)  # 3G or better
    with_2g: Mapped[int] = mapped_column(Integer)  # any mobile signal


class IndicatorMoments(MomentSums, Base):
    """Per village, month (Vietnam time) and indicator: the moments of the counted households
    (n, Σy, Σx, Σy², Σx², Σxy, households with x > 0), from which the estimate and its interval
    follow (surveys/indicators/estimators.py). Kept up to date by surveys/indicators/rollups.py."""

    __tablename__ = "indicator_moments"

    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"),
                                            primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"),
                                            index=True)


class HouseholdCell(CellCounts, Base):
    """Per village, month and H3 cell (resolution 8; "-" for no position): counted households and
    how many report each generation or better at home, for the village and area indicators and
    the map's hexagons."""

    __tablename__ = "household_cells"

    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"),
                                            primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    h3_cell: Mapped[str] = mapped_column(String(16), primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"),
                                            index=True)


class IndicatorMomentTotal(MomentSums, Base):
    """IndicatorMoments summed over every month: what an indicator over all time reads (a
    province's dashboard: one row per village and indicator however many months the surveys
    span), kept in step with the monthly rows by the same writes (surveys/indicators/rollups.py)."""

    __tablename__ = "indicator_moment_totals"

    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"),
                                            primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"),
                                            index=True)


class HouseholdCellTotal(CellCounts, Base):
    """HouseholdCell summed over every month, as IndicatorMomentTotal is IndicatorMoments."""

    __tablename__ = "household_cell_totals"

    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"),
                                            primary_key=True)
    h3_cell: Mapped[str] = mapped_column(String(16), primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"),
                                            index=True)


class HouseholdHexCount(CellCounts, Base):
    """Per commune, month and H3 cell of each map resolution (6–10): the located counted
    households and how many report each generation or better at home — what the coverage map
    needs of the households, kept in step with HouseholdCell (surveys/indicators/household_hexes.py)."""

    __tablename__ = "household_hex_counts"
    __table_args__ = (Index("ix_household_hex_counts_commune", "commune_id", "resolution"),)

    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"),
                                            primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    h3_cell: Mapped[str] = mapped_column(String(16), primary_key=True)
    resolution: Mapped[int] = mapped_column(Integer)


class RollupVersion(Base):
    """A random number that changes, in the same transaction, with every write to a commune's
    indicator rollups (`rollups.apply`, `rollups.rebuild`): a process may keep what it read of
    them while the number is unchanged (surveys/indicators/summary_cache.py)."""

    __tablename__ = "rollup_versions"

    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"),
                                            primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
