"""Teams (Tổ công nghệ số cộng đồng): their members and the villages they survey.

A surveyor in a team that has villages is offered only those villages on the household form
(`assigned_villages`); a surveyor in no team, or only in teams without villages, is offered every
village of the commune. Takes a Session; never imports Flask; never commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from surveys import audit
from surveys.errors import Problem, Text
from surveys.models import Commune, Role, Team, TeamMember, TeamVillage, User, Village

MAX_NAME = 200
MEMBER_ROLES = (Role.SURVEYOR, Role.STAFF)


def members_of(session: Session, team_id: int) -> list[User]:
    return list(session.scalars(select(User).join(TeamMember, TeamMember.user_id == User.id)
                                .where(TeamMember.team_id == team_id).order_by(User.username)))


def villages_of(session: Session, team_id: int) -> list[Village]:
    return list(session.scalars(select(Village).join(TeamVillage, TeamVillage.village_id == Village.id)
                                .where(TeamVillage.team_id == team_id).order_by(Village.name)))


def team_json(session: Session, team: Team) -> dict[str, Any]:
    return {"id": team.id, "name": team.name,
            "members": [u.username for u in members_of(session, team.id)],
            "villages": [v.slug for v in villages_of(session, team.id)]}


def teams_of(session: Session, commune_id: int) -> list[Team]:
    return list(session.scalars(select(Team).where(Team.commune_id == commune_id)
                                .order_by(Team.name)))


def commune_team(session: Session, commune: Commune, team_id: int) -> Team:
    team = session.get(Team, team_id)
    if team is None or team.commune_id != commune.id:
        raise Problem("404.1")
    return team


def _record(session: Session, actor: User | None, action: str, team: Team,
            before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    details: dict[str, Any] = {}
    if before is not None:
        details["before"] = before
    if after is not None:
        details["after"] = after
    audit.record(session, action, actor=actor, commune_id=team.commune_id, target_type="team",
                 target_id=team.id, details=details)


def _name(session: Session, commune_id: int, name: object, team_id: int | None) -> str:
    text = str(name or "").strip()
    if not text or len(text) > MAX_NAME:
        raise Problem("422.1", errors={"name": Text(
            f"Cần tên tổ (tối đa {MAX_NAME} ký tự).", f"name is required (at most {MAX_NAME} characters).")})
    taken = session.scalar(select(Team.id).where(Team.commune_id == commune_id, Team.name == text))
    if taken is not None and taken != team_id:
        raise Problem("422.1", errors={"name": Text("Xã đã có tổ tên này.",
                                                    "The commune already has a team of this name.")})
    return text


def create_team(session: Session, actor: User | None, commune: Commune, name: str) -> Team:
    team = Team(commune_id=commune.id, name=_name(session, commune.id, name, None))
    session.add(team)
    session.flush()
    _record(session, actor, "team.create", team, None, team_json(session, team))
    return team


def update_team(session: Session, actor: User | None, team: Team, *, name: str,
                member_ids: Iterable[int], village_ids: Iterable[int]) -> Team:
    """Rename the team and set its members (active surveyors and staff of the commune) and
    villages (of the commune) to exactly those given."""
    members, villages = set(member_ids), set(village_ids)
    errors: dict[str, Text] = {}
    allowed_members = set(session.scalars(select(User.id).where(
        User.commune_id == team.commune_id, User.role.in_(MEMBER_ROLES), User.active.is_(True))))
    if members - allowed_members:
        errors["members"] = Text("Thành viên phải là điều tra viên hoặc cán bộ đang hoạt động của xã.",
                                 "Members must be active surveyors or staff of the commune.")
    allowed_villages = set(session.scalars(select(Village.id).where(
        Village.commune_id == team.commune_id)))
    if villages - allowed_villages:
        errors["villages"] = Text("Thôn phải thuộc xã này.", "Villages must be of this commune.")
    if errors:
        raise Problem("422.1", errors=errors)
    before = team_json(session, team)
    team.name = _name(session, team.commune_id, name, team.id)
    session.execute(delete(TeamMember).where(TeamMember.team_id == team.id))
    session.execute(delete(TeamVillage).where(TeamVillage.team_id == team.id))
    session.add_all([TeamMember(team_id=team.id, user_id=u) for u in sorted(members)])
    session.add_all([TeamVillage(team_id=team.id, village_id=v) for v in sorted(villages)])
    session.flush()
    _record(session, actor, "team.update", team, before, team_json(session, team))
    return team


def delete_team(session: Session, actor: User | None, team: Team) -> None:
    before = team_json(session, team)
    _record(session, actor, "team.delete", team, before, None)
    session.execute(delete(TeamMember).where(TeamMember.team_id == team.id))
    session.execute(delete(TeamVillage).where(TeamVillage.team_id == team.id))
    session.delete(team)
    session.flush()


def assigned_villages(session: Session, user: User) -> list[Village]:
    """The villages a surveyor is offered: their teams' villages, or all of the commune's when
    their teams have none (or they are in no team). Staff and admins are offered all."""
    everything = select(Village).where(Village.commune_id == user.commune_id)
    if user.role == Role.SURVEYOR:
        assigned = list(session.scalars(
            everything.where(Village.id.in_(
                select(TeamVillage.village_id).join(TeamMember, TeamMember.team_id == TeamVillage.team_id)
                .join(Team, Team.id == TeamVillage.team_id)
                .where(TeamMember.user_id == user.id, Team.commune_id == user.commune_id)))
            .order_by(Village.name)))
        if assigned:
            return assigned
    return list(session.scalars(everything.order_by(Village.name)))
