"""Partner organisations (telecom operators), their users and API tokens: administrators only.

Tokens are made by surveys/administration/accounts.py (which records token.create): the plain
token is returned once for the page to show and is never stored. Takes a Session; never imports
Flask; never commits.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys import audit
from surveys.administration import accounts
from surveys.administration import users as user_service
from surveys.errors import Problem, Text
from surveys.models import ApiToken, Partner, Role, User, utcnow

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_NAME = 200
MAX_LABEL = 200


def require_admin(user: User) -> None:
    if user.role != Role.ADMIN:
        raise Problem("403.1")


def partner_json(partner: Partner) -> dict[str, Any]:
    return {"id": partner.id, "slug": partner.slug, "name": partner.name}


def all_partners(session: Session) -> list[Partner]:
    return list(session.scalars(select(Partner).order_by(Partner.name)))


def get_partner(session: Session, partner_id: int) -> Partner:
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise Problem("404.1")
    return partner


def partner_users(session: Session, partner_id: int) -> list[User]:
    return list(session.scalars(select(User).where(User.partner_id == partner_id,
                                                   User.role == Role.PARTNER)
                                .order_by(User.username)))


def partner_user(session: Session, partner: Partner, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.partner_id != partner.id or user.role != Role.PARTNER:
        raise Problem("404.1")
    return user


def tokens_of(session: Session, partner_id: int) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).join(User, User.id == ApiToken.user_id)
                                .where(User.partner_id == partner_id)
                                .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))


def _name(name: object, errors: dict[str, Text]) -> str:
    text = str(name or "").strip()
    if not text or len(text) > MAX_NAME:
        errors["name"] = Text(f"Cần tên tổ chức (tối đa {MAX_NAME} ký tự).",
                              f"name is required (at most {MAX_NAME} characters).")
    return text


def _record(session: Session, actor: User, action: str, partner: Partner,
            before: dict[str, Any] | None) -> None:
    details: dict[str, Any] = {"after": partner_json(partner)}
    if before is not None:
        details["before"] = before
    audit.record(session, action, actor=actor, target_type="partner", target_id=partner.id,
                 details=details)


def create_partner(session: Session, actor: User, *, slug: str, name: str) -> Partner:
    require_admin(actor)
    errors: dict[str, Text] = {}
    slug = str(slug or "").strip().lower()
    if not SLUG.match(slug):
        errors["slug"] = Text("Mã gồm 1–64 ký tự: chữ thường không dấu, số và dấu -.",
                              "slug: 1–64 characters of lower-case letters, digits and -.")
    elif session.scalar(select(Partner.id).where(Partner.slug == slug)) is not None:
        errors["slug"] = Text("Mã này đã có.", "This slug is taken.")
    clean_name = _name(name, errors)
    if errors:
        raise Problem("422.1", errors=errors)
    partner = Partner(slug=slug, name=clean_name)
    session.add(partner)
    session.flush()
    _record(session, actor, "partner.create", partner, None)
    return partner


def rename_partner(session: Session, actor: User, partner: Partner, name: str) -> Partner:
    require_admin(actor)
    errors: dict[str, Text] = {}
    clean_name = _name(name, errors)
    if errors:
        raise Problem("422.1", errors=errors)
    before = partner_json(partner)
    partner.name = clean_name
    session.flush()
    _record(session, actor, "partner.update", partner, before)
    return partner


def create_partner_user(session: Session, actor: User, partner: Partner, *, username: str,
                        password: str, display_name: str | None = None) -> User:
    require_admin(actor)
    user = accounts.create_user(session, username or "", password or "", Role.PARTNER,
                                partner_slug=partner.slug,
                                display_name=(display_name or "").strip()[:200] or None)
    user_service.record(session, actor, "user.create", user)
    return user


def create_partner_token(session: Session, actor: User, user: User,
                         label: str | None) -> tuple[str, ApiToken]:
    """The plain token, to show once, and its record (token.create is in the audit log)."""
    require_admin(actor)
    if not user.active:
        raise Problem("422.1", errors={"user": Text("Tài khoản đã bị khoá.",
                                                    "The account is deactivated.")})
    text = (label or "").strip()
    if len(text) > MAX_LABEL:
        raise Problem("422.1", errors={"label": Text(f"Nhãn tối đa {MAX_LABEL} ký tự.",
                                                     f"label: at most {MAX_LABEL} characters.")})
    return accounts.create_token(session, user, text or None, actor=actor)


def revoke_partner_token(session: Session, actor: User, partner: Partner, token_id: int) -> ApiToken:
    require_admin(actor)
    token = session.get(ApiToken, token_id)
    if token is None or token.user.partner_id != partner.id:
        raise Problem("404.1")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
        audit.record(session, "token.revoke", actor=actor, target_type="api_token",
                     target_id=token.id, details={"before": {"revoked": False},
                                                  "after": {"revoked": True},
                                                  "user": token.user.username,
                                                  "prefix": token.prefix})
    return token
