"""The people of a commune: surveyors and staff, created, edited, deactivated, given a new password.

Staff of a commune manage its surveyors and staff; only admins create admins and partner users
(partners.py). Passwords are hashed by surveys/administration/accounts.py and never written to the audit log.
Takes a Session; never imports Flask; never commits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys import audit
from surveys.administration import accounts
from surveys.errors import Problem, Text
from surveys.models import Commune, Role, User

COMMUNE_ROLES = (Role.SURVEYOR, Role.STAFF)
MAX_DISPLAY_NAME = 200


def user_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "role": user.role,
            "display_name": user.display_name, "active": user.active,
            "commune": user.commune.slug if user.commune else None,
            "partner": user.partner.slug if user.partner else None}


def record(session: Session, actor: User | None, action: str, user: User,
           before: dict[str, Any] | None = None, **extra: Any) -> None:
    details: dict[str, Any] = {"after": user_json(user), **extra}
    place = user.province or user.group
    if place is not None:  # an area's staff: the event belongs to the area's audit log
        details.setdefault("area", place.slug)
    if before is not None:
        details["before"] = before
    audit.record(session, action, actor=actor, commune_id=user.commune_id, target_type="user",
                 target_id=user.id, details=details)


def roles_for(actor: User) -> tuple[str, ...]:
    """The roles this actor may give on a commune's user page."""
    return (*COMMUNE_ROLES, Role.ADMIN) if actor.role == Role.ADMIN else COMMUNE_ROLES


def users_of(session: Session, commune_id: int) -> list[User]:
    return list(session.scalars(select(User).where(User.commune_id == commune_id)
                                .order_by(User.active.desc(), User.role, User.username)))


def commune_user(session: Session, commune: Commune, user_id: int) -> User:
    """A surveyor or staff member of the commune; 404 for anyone else (another commune's)."""
    user = session.get(User, user_id)
    if user is None or user.commune_id != commune.id or user.role not in COMMUNE_ROLES:
        raise Problem("404.1")
    return user


def display_name_of(text: object, errors: dict[str, Text]) -> str | None:
    name = str(text or "").strip()
    if len(name) > MAX_DISPLAY_NAME:
        errors["display_name"] = Text(f"Tên hiển thị tối đa {MAX_DISPLAY_NAME} ký tự.",
                                      f"display_name: at most {MAX_DISPLAY_NAME} characters.")
    return name or None


def _role(role: object, actor: User, errors: dict[str, Text]) -> str:
    role = str(role or "")
    if role in (Role.ADMIN, Role.PARTNER) and actor.role != Role.ADMIN:
        errors["role"] = Text("Chỉ quản trị viên mới tạo được tài khoản quản trị hoặc đối tác.",
                              "Only administrators can create administrators or partner users.")
    elif role not in roles_for(actor):
        errors["role"] = Text("Vai trò phải là điều tra viên hoặc cán bộ xã.",
                              "role must be surveyor or staff.")
    return role


def create_commune_user(session: Session, actor: User, commune: Commune, *, username: str,
                        password: str, role: str, display_name: str | None = None) -> User:
    """A surveyor or staff member of the commune; an admin (commune-less) when an admin asks."""
    errors: dict[str, Text] = {}
    role = _role(role, actor, errors)
    name = display_name_of(display_name, errors)
    if errors:
        raise Problem("422.1", errors=errors)
    user = accounts.create_user(session, username or "", password or "", role,
                                commune_slug=None if role == Role.ADMIN else commune.slug,
                                display_name=name)
    record(session, actor, "user.create", user)
    return user


def update_user(session: Session, actor: User, user: User, *, role: str,
                display_name: str | None) -> User:
    errors: dict[str, Text] = {}
    before = user_json(user)
    if role != user.role and user.id == actor.id:
        errors["role"] = Text("Không thể tự đổi vai trò của chính mình.",
                              "You cannot change your own role.")
    elif role not in COMMUNE_ROLES:
        errors["role"] = Text("Vai trò phải là điều tra viên hoặc cán bộ xã.",
                              "role must be surveyor or staff.")
    name = display_name_of(display_name, errors)
    if errors:
        raise Problem("422.1", errors=errors)
    user.role, user.display_name = role, name
    session.flush()
    record(session, actor, "user.update", user, before)
    return user


def set_active(session: Session, actor: User, user: User, active: bool) -> User:
    """Deactivate (no login, no token works) or reactivate; never one's own account."""
    if user.id == actor.id:
        raise Problem("422.1", errors={"active": Text(
            "Không thể tự khoá tài khoản của chính mình.", "You cannot deactivate yourself.")})
    before = user_json(user)
    user.active = active
    if not active:
        accounts.end_sessions(user)
    session.flush()
    record(session, actor, "user.activate" if active else "user.deactivate", user, before)
    return user


def reset_password(session: Session, actor: User, user: User, password: str) -> User:
    accounts.set_password(user, password or "")
    session.flush()
    record(session, actor, "user.password_reset", user, user_json(user), changed=["password"])
    return user
