"""Webhooks: a commune's HTTPS URLs receive a signed JSON POST when a submission is accepted or
reviewed, with retries and a delivery log (ODK Central has none; users ask for them).

Deliveries are written in the same transaction as the event that causes them (an outbox): a
delivery exists if and only if its submission or review was committed. A worker
(`flask --app app webhooks deliver [--watch]`) posts the due ones and retries failures with
exponential backoff. Receivers check `X-Phusong-Signature: sha256=HMAC(secret, timestamp + "." +
body)` against `X-Phusong-Timestamp` (docs/webhooks.md).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, object_session

from surveys import audit
from surveys.errors import Problem, Text
from surveys.models import Commune, Submission, User, Webhook, WebhookDelivery, utcnow

EVENTS = ("submission.accepted", "submission.reviewed", "coverage.imported")
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=6)
USER_AGENT = "phusong-webhooks/1"


@dataclass(frozen=True)
class Response:
    status: int
    error: str | None = None


# (url, body, headers, timeout, address): `address` is the IP the URL's host was resolved to and
# checked against; the poster connects there and nowhere else (no second DNS lookup).
Poster = Callable[[str, bytes, dict[str, str], float, str], Response]


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved \
        or ip.is_multicast or ip.is_unspecified


def check_url(url: str, *, allow_loopback_http: bool) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    host = parts.hostname or ""
    loopback_allowed = allow_loopback_http and _loopback(host)
    ok = (parts.scheme == "https" or (parts.scheme == "http" and loopback_allowed)) and host
    try:
        literal_internal = _internal(host) and not loopback_allowed
    except ValueError:  # a name, not an address: checked when delivering
        literal_internal = False
    if not ok or len(url) > 500 or literal_internal:
        raise Problem("422.1", errors={"url": Text(
            "Cần một địa chỉ https:// đầy đủ, ra Internet (tối đa 500 ký tự).",
            "A full https:// URL on the Internet is required (at most 500 characters).")})
    return url


def resolve(url: str) -> tuple[str | None, bool]:
    """The one address a delivery will connect to, and whether the host resolves (any of its
    addresses) inside: a webhook must not reach the server's own network (the database, the
    metadata service) on a staff member's say-so. (None, False) when the name does not resolve."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80),
                                   type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        return None, False  # unresolvable: the attempt itself fails and says so
    addresses = [str(info[4][0]) for info in infos]
    return (addresses[0] if addresses else None), any(_internal(a) for a in addresses)


def resolves_inside(url: str) -> bool:
    return resolve(url)[1]


def create_webhook(session: Session, commune: Commune, user: User | None, url: str,
                   events: list[str] | None, *, allow_loopback_http: bool = False
                   ) -> tuple[Webhook, str]:
    """The webhook and its signing secret (shown once)."""
    url = check_url(url, allow_loopback_http=allow_loopback_http)
    chosen = list(dict.fromkeys(events or EVENTS))
    unknown = [e for e in chosen if e not in EVENTS]
    if unknown or not chosen:
        raise Problem("422.1", errors={"events": Text(
            "Sự kiện không hợp lệ: {bad}. Chọn trong: {known}.",
            "Unknown events: {bad}. Choose from: {known}.").format(
            bad=", ".join(unknown) or "-", known=", ".join(EVENTS))})
    secret = secrets.token_urlsafe(32)
    webhook = Webhook(commune_id=commune.id, url=url, secret=secret, events=chosen, active=True,
                      created_by_id=user.id if user else None)
    session.add(webhook)
    session.flush()
    audit.record(session, "webhook.create", actor=user, commune_id=commune.id,
                 target_type="webhook", target_id=webhook.id,
                 details={"url": url, "events": chosen})
    return webhook, secret


def delete_webhook(session: Session, webhook: Webhook, user: User | None) -> None:
    audit.record(session, "webhook.delete", actor=user, commune_id=webhook.commune_id,
                 target_type="webhook", target_id=webhook.id,
                 details={"url": webhook.url, "events": webhook.events})
    session.delete(webhook)
    session.flush()


_ACTIVE_WEBHOOKS = select(Webhook).where(Webhook.commune_id == bindparam("commune"),
                                         Webhook.active.is_(True))


def enqueue(session: Session, commune_id: int, event: str, data: dict[str, Any],
            now: datetime | None = None) -> list[WebhookDelivery]:
    """One pending delivery per active webhook of the commune that asked for this event."""
    assert event in EVENTS, event
    now = now or utcnow()
    deliveries = []
    for webhook in session.scalars(_ACTIVE_WEBHOOKS, {"commune": commune_id}):
        if event in webhook.events:
            delivery = WebhookDelivery(webhook_id=webhook.id, event=event, payload=data,
                                       status="pending", attempts=0, next_attempt_at=now)
            session.add(delivery)
            deliveries.append(delivery)
    session.flush()
    return deliveries


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps({"delivery": delivery.id, "event": delivery.event,
                       "created_at": delivery.created_at.isoformat(), "data": delivery.payload},
                      ensure_ascii=False, sort_keys=True).encode()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Speaks to `host` (Host header) over a socket to the already checked `address`."""

    def __init__(self, host: str, port: int | None, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked `address`, with the certificate verified for `host` (SNI too)."""

    def __init__(self, host: str, port: int | None, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(url: str, body: bytes, headers: dict[str, str], timeout: float, address: str) -> Response:
    """One POST to `address`; redirects are not followed (a 3xx is a failed attempt)."""
    parts = urlsplit(url)
    kind = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection = kind(parts.hostname or "", parts.port, address, timeout)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read(65536)
            status = response.status
        finally:
            connection.close()
    except (OSError, http.client.HTTPException, ValueError) as error:
        return Response(0, str(error)[:500] or type(error).__name__)
    if 300 <= status < 400:
        return Response(status, f"HTTP {status}: redirect not followed")
    if not 200 <= status < 300:
        return Response(status, f"HTTP {status}")
    return Response(status)


def deliver_due(session: Session, *, now: datetime | None = None, timeout: float = 10,
                max_attempts: int = 8, limit: int = 100, poster: Poster = post,
                allow_loopback_http: bool = False) -> int:
    """Attempt every delivery that is due; return how many were attempted. Commits nothing."""
    now = now or utcnow()
    due = session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit)).all()
    for delivery in due:
        webhook = session.get(Webhook, delivery.webhook_id)
        if webhook is None or not webhook.active:
            delivery.status, delivery.last_error = "failed", "webhook removed or inactive"
            continue
        body = body_of(delivery)
        timestamp = str(int(now.timestamp()))
        address, inside = resolve(webhook.url)
        if inside and not (allow_loopback_http and _loopback(urlsplit(webhook.url).hostname or "")):
            result = Response(0, "refused: the host resolves to an internal address")
        elif address is None:
            result = Response(0, "the host name does not resolve")
        else:
            result = poster(webhook.url, body, {
                "Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
                "X-Phusong-Event": delivery.event, "X-Phusong-Delivery": str(delivery.id),
                "X-Phusong-Timestamp": timestamp,
                "X-Phusong-Signature": signature(webhook.secret, timestamp, body)}, timeout,
                address)
        delivery.attempts += 1
        delivery.last_status_code = result.status or None
        if 200 <= result.status < 300:
            delivery.status, delivery.delivered_at, delivery.last_error = "delivered", now, None
            delivery.next_attempt_at = None
        else:
            delivery.last_error = result.error or f"HTTP {result.status}"
            if delivery.attempts >= max_attempts:
                delivery.status, delivery.next_attempt_at = "failed", None
            else:
                wait = min(FIRST_RETRY * 2 ** (delivery.attempts - 1), LONGEST_WAIT)
                delivery.next_attempt_at = now + wait
    session.flush()
    return len(due)


def webhook_json(webhook: Webhook) -> dict[str, Any]:
    return {"id": webhook.id, "url": webhook.url, "events": webhook.events,
            "active": webhook.active, "created_at": webhook.created_at.isoformat()}


def delivery_json(delivery: WebhookDelivery) -> dict[str, Any]:
    return {"id": delivery.id, "event": delivery.event, "status": delivery.status,
            "attempts": delivery.attempts, "last_status_code": delivery.last_status_code,
            "last_error": delivery.last_error,
            "next_attempt_at": delivery.next_attempt_at.isoformat()
            if delivery.next_attempt_at else None,
            "delivered_at": delivery.delivered_at.isoformat() if delivery.delivered_at else None,
            "created_at": delivery.created_at.isoformat()}


def submission_event(submission: Any, *,
                     supersedes_instance_id: str | None = None) -> dict[str, Any]:
    """What a receiver learns of a submission: identity, place, time, review — never answers.

    `supersedes` is the corrected submission's integer `id` (this payload's contract since it was
    first sent); `supersedes_instance_id` is its `instance_id`, the meaning `supersedes` has in the
    API (docs/webhooks.md). Pass it when known; else it is read (one query, corrections only)."""
    village = submission.village
    if submission.supersedes_id is not None and supersedes_instance_id is None:
        session = object_session(submission)
        supersedes_instance_id = session.scalar(
            select(Submission.instance_id).where(Submission.id == submission.supersedes_id)
        ) if session is not None else None
    return {"id": submission.id, "instance_id": submission.instance_id,
            "survey": submission.survey, "commune": village.commune.slug if village else None,
            "village": village.slug if village else None,
            "collected_at": submission.collected_at.isoformat(),
            "review_status": submission.review_status, "review_reason": submission.review_reason,
            "flags": list(submission.flags or []), "supersedes": submission.supersedes_id,
            "supersedes_instance_id": (supersedes_instance_id if submission.supersedes_id
                                       is not None else None)}
