"""People and organisations: partners, users, tokens, login throttles, teams, rounds."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveys.db import Base
from surveys.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from surveys.models.places import Commune, CommuneGroup, Province


class Partner(Base):
    """A telecom partner organisation (Viettel, VNPT, MobiFone, ...)."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('surveyor', 'partner', 'staff', 'admin')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("communes.id"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    # Staff of a whole province or group of communes (at most one of commune/province/group).
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("commune_groups.id"), index=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of every login's id (get_id): raising it ends every session and remember cookie of the
    # user (logout, password change or reset, deactivation). surveys/administration/accounts.py end_sessions.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    commune: Mapped[Commune | None] = relationship()
    partner: Mapped[Partner | None] = relationship()
    province: Mapped[Province | None] = relationship()
    group: Mapped[CommuneGroup | None] = relationship()

    # Flask-Login's user protocol, without importing Flask here.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    # The login this object was loaded for (accounts.login_id / the session loader); not a column.
    _login_time = 0

    def get_id(self) -> str:
        """What the session and the remember cookie hold: `id.session_version.login_time` (Unix
        seconds of the login, set by accounts.login_id; 0 outside a login). The loader refuses
        an old version or a login older than PERMANENT_SESSION_DAYS (surveys/views/__init__.py)."""
        return f"{self.id}.{self.session_version}.{self._login_time}"


class LoginThrottle(Base):
    """Recent failed logins of one key (`account:NAME` or `address:IP`), shared by every worker:
    surveys/administration/throttle.py decides from it whether the next attempt may be checked at all."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class Team(Base):
    """A Tổ công nghệ số cộng đồng: members and the villages they survey."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("commune_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"),
                                            index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TeamMember(Base):
    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"),
                                         primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)


class TeamVillage(Base):
    __tablename__ = "team_villages"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"),
                                         primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"),
                                            primary_key=True)


class SurveyRound(Base):
    """A survey round of a commune: a period and a target sample per village."""

    __tablename__ = "survey_rounds"
    __table_args__ = (UniqueConstraint("commune_id", "name"),
                      CheckConstraint("ends_on >= starts_on", name="period"))

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id", ondelete="CASCADE"),
                                            index=True)
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RoundSample(Base):
    __tablename__ = "round_samples"
    __table_args__ = (CheckConstraint("target_households >= 0", name="target_households"),)

    round_id: Mapped[int] = mapped_column(ForeignKey("survey_rounds.id", ondelete="CASCADE"),
                                          primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"),
                                            primary_key=True)
    target_households: Mapped[int] = mapped_column(Integer)
