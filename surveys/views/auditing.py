"""Who is acting in this request, for the audit log (surveys/audit/__init__.py)."""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask_login import current_user
from sqlalchemy.orm import Session

from surveys import audit
from surveys.errors import Problem
from surveys.models import AuditEvent, User


def request_actor() -> tuple[User | None, str]:
    """The acting user and their label: `token:<prefix>` when a Bearer token authenticated the
    request (api_user() has checked it), else the username, else `anonymous`."""
    user = g.get("user")
    if user is None and current_user.is_authenticated:
        user = current_user._get_current_object()
    if user is None:
        return None, audit.ANONYMOUS
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        # ApiToken.prefix is the token's first 10 characters (surveys/administration/accounts.py).
        return user, f"token:{token.strip()[:10]}"
    return user, user.username


def current_actor() -> audit.Actor:
    """The signed-in user (or the API token's) as a use case takes it; 401 without one."""
    user, label = request_actor()
    if user is None:
        raise Problem("401.1")
    return audit.Actor(user, label)


def record(session: Session, action: str, **fields: Any) -> AuditEvent:
    user, label = request_actor()
    return audit.record(session, action, actor=user, actor_label=label, **fields)
