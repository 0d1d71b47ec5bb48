"""Webhooks of a commune: /api/v1/communes/SLUG/webhooks and /api/v1/webhooks/ID (staff, admins)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from surveys import webhooks
from surveys.administration.access import commune_for
from surveys.db import get_session
from surveys.errors import Problem, Text
from surveys.models import Commune, Webhook, WebhookDelivery
from surveys.views.api import api_user, json_body
from surveys.views.use_cases import run

bp = Blueprint("api_webhooks", __name__, url_prefix="/api/v1")


def _editable(webhook_id: int) -> Webhook:
    """A webhook the caller may manage: 404 when it does not exist, 403 outside their commune."""
    user = api_user()
    db = get_session()
    webhook = db.get(Webhook, webhook_id)
    if webhook is None:
        raise Problem("404.1")
    commune = db.get(Commune, webhook.commune_id)
    commune_for(db, user, commune.slug if commune else None, write=True)
    return webhook


@bp.get("/communes/<slug>/webhooks")
def list_webhooks(slug: str) -> ResponseReturnValue:
    db = get_session()
    commune = commune_for(db, api_user(), slug, write=True)
    rows = db.scalars(select(Webhook).where(Webhook.commune_id == commune.id).order_by(Webhook.id))
    return {"webhooks": [webhooks.webhook_json(w) for w in rows], "events": list(webhooks.EVENTS)}


@bp.post("/communes/<slug>/webhooks")
def create_webhook(slug: str) -> ResponseReturnValue:
    db = get_session()
    user = api_user()
    commune = commune_for(db, user, slug, write=True)
    body = json_body()
    if not isinstance(body, dict):
        raise Problem("400.2")
    events = body.get("events")
    if events is not None and not (isinstance(events, list) and all(isinstance(e, str) for e in events)):
        raise Problem("422.1", errors={"events": Text("Cần một danh sách sự kiện.",
                                                      "events must be a list of event names.")})
    webhook, secret = run(webhooks.create_webhook, commune, user, str(body.get("url") or ""), events,
                          allow_loopback_http=current_app.config["WEBHOOK_ALLOW_LOOPBACK_HTTP"])
    return jsonify({**webhooks.webhook_json(webhook), "secret": secret}), 201


@bp.delete("/webhooks/<int:webhook_id>")
def delete_webhook(webhook_id: int) -> ResponseReturnValue:
    run(webhooks.delete_webhook, _editable(webhook_id), api_user())
    return "", 204


@bp.get("/webhooks/<int:webhook_id>/deliveries")
def deliveries(webhook_id: int) -> ResponseReturnValue:
    webhook = _editable(webhook_id)
    rows = get_session().scalars(select(WebhookDelivery).where(
        WebhookDelivery.webhook_id == webhook.id).order_by(WebhookDelivery.id.desc()).limit(200))
    return {"webhook": webhooks.webhook_json(webhook),
            "deliveries": [webhooks.delivery_json(d) for d in rows]}
