"""The staff of a province or of a group of communes, as an administrator manages them on
/areas/SLUG/admin/users: what `flask --app app create-user NAME --role staff --area SLUG` does,
plus the list, the full name, deactivation and a new password (the commune users page's rules,
surveys/administration/users.py, whose set_active and reset_password serve here too).

Only administrators: a province's or group's staff read every household answer of every commune
under the area, a wider grant than any commune's staff can give, so no area user creates another.
Takes a Session; never imports Flask; never commits.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.administration import accounts
from surveys.administration.users import display_name_of, record, user_json
from surveys.errors import Problem, Text
from surveys.models import Role, User
from surveys.places.areas import Area, find_area


def administered_area(session: Session, actor: User, slug: str) -> Area:
    """The province or group an administrator manages the staff of (403 for anyone else, before
    anything about the slug is revealed; 404 for an unknown slug)."""
    if actor.role != Role.ADMIN:
        raise Problem("403.1")
    area = find_area(session, slug)
    if area is None:
        raise Problem("404.1")
    return area


def users_of(session: Session, area: Area) -> list[User]:
    """The staff of the area (a province's or a group's; never those of its communes)."""
    column = User.province_id if area.level == "province" else User.group_id
    return list(session.scalars(select(User).where(column == area.id)
                                .order_by(User.active.desc(), User.username)))


def area_user(session: Session, area: Area, user_id: int) -> User:
    """A staff member of the area; 404 for anyone else (a commune's user, another area's)."""
    user = session.get(User, user_id)
    if user is None:
        raise Problem("404.1")
    own = user.province_id if area.level == "province" else user.group_id
    if area.level == "commune" or own != area.id:
        raise Problem("404.1")
    return user


def create_area_user(session: Session, actor: User, area: Area, *, username: str, password: str,
                     display_name: str | None = None) -> User:
    """A staff member of the province or group (the only role an area's user has)."""
    if actor.role != Role.ADMIN:
        raise Problem("403.1")
    errors: dict[str, Text] = {}
    name = display_name_of(display_name, errors)
    if errors:
        raise Problem("422.1", errors=errors)
    user = accounts.create_user(session, username or "", password or "", Role.STAFF,
                                area_slug=area.slug, display_name=name)
    record(session, actor, "user.create", user, area=area.slug)
    return user


def rename_area_user(session: Session, actor: User, area: Area, user: User, *,
                     display_name: str | None) -> User:
    """Change the full name (an area's user keeps the role staff and the area)."""
    if actor.role != Role.ADMIN:
        raise Problem("403.1")
    errors: dict[str, Text] = {}
    before = user_json(user)
    name = display_name_of(display_name, errors)
    if errors:
        raise Problem("422.1", errors=errors)
    user.display_name = name
    session.flush()
    record(session, actor, "user.update", user, before, area=area.slug)
    return user
