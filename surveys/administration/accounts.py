"""Users, passwords and API tokens. Takes a Session; never imports Flask; never commits."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from surveys import audit
from surveys.errors import Problem, Text
from surveys.models import ApiToken, Commune, Partner, Role, User, utcnow
from surveys.parsing import MAX_ID, parse_int
from surveys.places.areas import find_area

USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,79}$")
MIN_PASSWORD_LENGTH = 8
TOKEN_PREFIX = "ps_"
# Compared against when the user does not exist, so a login takes as long either way.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def hash_token(token: str) -> str:
    # Tokens are 256 random bits: a fast hash is safe here, and lookups stay an index probe.
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(session: Session, username: str, password: str, role: str, *,
                commune_slug: str | None = None, partner_slug: str | None = None,
                display_name: str | None = None, area_slug: str | None = None,
                password_hash: str | None = None) -> User:
    """A user with one role: surveyors and staff of a commune (`commune_slug`), staff of a
    province or group of communes (`area_slug`; a commune's slug there works as --commune).
    `password_hash`: `password`'s hash when the caller already has it (the demo's accounts share
    one public password, hashed once per process: scrypt takes ~0.1 s on purpose)."""
    errors: dict[str, Text] = {}
    area = None
    if area_slug:
        area = find_area(session, area_slug)
        if area is None:
            errors["area"] = Text(f"Không có địa bàn {area_slug}.", f"No area {area_slug}.")
        elif commune_slug:
            errors["area"] = Text("Chọn --area hoặc --commune, không cả hai.",
                                  "Give --area or --commune, not both.")
        elif area.level == "commune":
            commune_slug, area = area.slug, None
        elif role != Role.STAFF:
            errors["area"] = Text("Chỉ cán bộ (staff) được gắn với tỉnh hoặc nhóm xã.",
                                  "Only staff can belong to a province or a group of communes.")
    username = username.strip().lower()
    if not USERNAME.match(username):
        errors["username"] = Text(
            "Tên đăng nhập gồm 2–80 ký tự: chữ thường không dấu, số, dấu . _ -",
            "Username: 2–80 characters of lower-case letters, digits, . _ -")
    elif session.scalar(select(User.id).where(User.username == username)) is not None:
        errors["username"] = Text("Tên đăng nhập đã tồn tại.", "Username already exists.")
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = Text(f"Mật khẩu cần ít nhất {MIN_PASSWORD_LENGTH} ký tự.",
                                  f"Password needs at least {MIN_PASSWORD_LENGTH} characters.")
    if role not in set(Role):
        errors["role"] = Text("Vai trò phải là một trong: surveyor, partner, staff, admin.",
                              "Role must be one of: surveyor, partner, staff, admin.")
    commune = partner = None
    if role in (Role.SURVEYOR, Role.STAFF) and not area_slug:
        if not commune_slug:
            errors["commune"] = Text("Vai trò này cần một xã (--commune).",
                                     "This role needs a commune (--commune).")
    if role == Role.PARTNER and not partner_slug:
        errors["partner"] = Text("Đối tác cần một tổ chức (--partner).",
                                 "A partner user needs a partner organisation (--partner).")
    if commune_slug:
        commune = session.scalar(select(Commune).where(Commune.slug == commune_slug))
        if commune is None:
            errors["commune"] = Text(f"Không có xã {commune_slug}.", f"No commune {commune_slug}.")
    if partner_slug:
        partner = session.scalar(select(Partner).where(Partner.slug == partner_slug))
        if partner is None:
            errors["partner"] = Text(f"Không có đối tác {partner_slug}.",
                                     f"No partner organisation {partner_slug}.")
    if errors:
        raise Problem("422.1", errors=errors)
    user = User(username=username, password_hash=password_hash or generate_password_hash(password),
                role=role,
                commune=commune, partner=partner, display_name=display_name)
    if area is not None:
        user.province_id = area.id if area.level == "province" else None
        user.group_id = area.id if area.level == "group" else None
    session.add(user)
    session.flush()
    return user


def set_password(user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Problem("422.1", errors={"password": Text(
            f"Mật khẩu cần ít nhất {MIN_PASSWORD_LENGTH} ký tự.",
            f"Password needs at least {MIN_PASSWORD_LENGTH} characters.")})
    user.password_hash = generate_password_hash(password)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """End every session and remember cookie of the user (they hold the old session_version)."""
    user.session_version = (user.session_version or 1) + 1


def login_id(user: User, now: datetime) -> str:
    """Stamp the login's time on the user object; its get_id() then names this login."""
    user._login_time = int(now.timestamp())
    return user.get_id()


def user_for_login_id(session: Session, login: str, *, now: datetime,
                      max_age_days: int) -> User | None:
    """The active user a session or remember cookie names, if it is still valid: the same
    session_version, and logged in at most `max_age_days` ago (not in the future)."""
    parts = login.split(".")
    if len(parts) != 3:
        return None  # an id from before session versions: log in again
    user_id = parse_int(parts[0], minimum=1, maximum=MAX_ID)
    version = parse_int(parts[1], minimum=1, maximum=MAX_ID)
    logged_in = parse_int(parts[2], minimum=1, maximum=2**40)
    if user_id is None or version is None or logged_in is None:
        return None
    age = now.timestamp() - logged_in
    if not -300 <= age <= max_age_days * 86400:
        return None
    user = session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    user._login_time = logged_in
    return user


@dataclass(frozen=True)
class LoginAttempt:
    user: User | None  # set only when the login succeeded
    failure: str | None = None  # unknown_user, wrong_password or inactive
    account: User | None = None  # the account a failed attempt named, if it exists (audit log)


def attempt_login(session: Session, username: str, password: str) -> LoginAttempt:
    account = session.scalar(select(User).where(User.username == username.strip().lower()))
    if account is None:
        check_password_hash(_DUMMY_HASH, password)
        return LoginAttempt(None, "unknown_user")
    if not check_password_hash(account.password_hash, password):
        return LoginAttempt(None, "wrong_password", account)
    if not account.active:
        return LoginAttempt(None, "inactive", account)
    return LoginAttempt(account)


def create_token(session: Session, user: User, label: str | None = None, *,
                 actor: User | None = None, actor_label: str | None = None
                 ) -> tuple[str, ApiToken]:
    """Return the plain token (shown once, never stored) and its stored record; the audit log
    records who made it (`actor`, or a label such as `cli`) under token.create."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(user=user, token_hash=hash_token(token), prefix=token[:10], label=label)
    session.add(record)
    session.flush()
    audit.record(session, "token.create", actor=actor, actor_label=actor_label,
                 commune_id=user.commune_id, target_type="api_token", target_id=record.id,
                 details={"user": user.username, "prefix": record.prefix, "label": label})
    return token, record


_TOKEN_USER = (select(User).join(ApiToken, ApiToken.user_id == User.id)
               .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None),
                      User.active.is_(True)))


def user_for_token(session: Session, token: str) -> User | None:
    """The active user of an unrevoked token, in one prepared query (every API request makes it)."""
    return session.scalar(_TOKEN_USER, {"token_hash": hash_token(token)})


def revoke_token(session: Session, token_or_prefix: str, *, now: datetime | None = None) -> int:
    """Revoke by the plain token or by its displayed prefix; return how many were revoked."""
    query = select(ApiToken).where(ApiToken.revoked_at.is_(None))
    if token_or_prefix.startswith(TOKEN_PREFIX) and len(token_or_prefix) > 12:
        query = query.where(ApiToken.token_hash == hash_token(token_or_prefix))
    else:
        query = query.where(ApiToken.prefix == token_or_prefix)
    tokens = session.scalars(query).all()
    for record in tokens:
        record.revoked_at = now or utcnow()
    return len(tokens)
