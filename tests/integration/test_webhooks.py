"""Webhooks: registration, a signed POST to a real receiver on 127.0.0.1, retries with backoff,
the delivery log, and who may manage them."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from surveys import webhooks
from surveys.models import AuditEvent, utcnow
from tests.factories import auth, make_commune, make_token, make_user


class Receiver:
    """A real HTTP receiver on loopback that answers with the statuses it is given, in turn."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def make(statuses: list[int] | None = None) -> Receiver:
        made.append(Receiver(list(statuses or [])))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.fixture
def people(app, db):
    app.config["WEBHOOK_ALLOW_LOOPBACK_HTTP"] = True
    commune = make_commune(db)
    other = make_commune(db, "kon-chieng", name="Xã Kon Chiêng", province="Gia Lai")
    result = {"commune": commune,
              "staff": make_token(db, make_user(db, "staff1", role="staff", commune=commune)),
              "other_staff": make_token(db, make_user(db, "staff2", role="staff", commune=other)),
              "surveyor": make_token(db, make_user(db, "sv1", commune=commune))}
    db.commit()
    return result


def register(client, token, url, **body):
    return client.post("/api/v1/communes/cam-lo/webhooks", json={"url": url, **body},
                       headers=auth(token))


def test_signed_delivery_to_a_real_receiver(client, runner, db, people, receiver):
    hook = receiver()
    created = register(client, people["staff"], hook.url)
    assert created.status_code == 201, created.json
    secret = created.json["secret"]
    assert "secret" not in client.get("/api/v1/communes/cam-lo/webhooks",
                                      headers=auth(people["staff"])).json["webhooks"][0]
    webhooks.enqueue(db, people["commune"].id, "submission.accepted", {"id": 7, "village": "thon-1"})
    db.commit()
    result = runner.invoke(args=["webhooks", "deliver"])
    assert result.exit_code == 0 and "Attempted 1" in result.output, result.output
    (headers, body), = hook.requests
    expected = "sha256=" + hmac.new(secret.encode(), headers["X-Phusong-Timestamp"].encode()
                                    + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Phusong-Signature"] == expected
    assert headers["X-Phusong-Event"] == "submission.accepted"
    payload = json.loads(body)
    assert payload["event"] == "submission.accepted" and payload["data"] == {"id": 7, "village": "thon-1"}
    log = client.get(f"/api/v1/webhooks/{created.json['id']}/deliveries",
                     headers=auth(people["staff"])).json["deliveries"]
    assert [(d["status"], d["attempts"], d["last_status_code"]) for d in log] == [("delivered", 1, 200)]
    # A second pass has nothing to send: delivered once.
    assert "Attempted 0" in runner.invoke(args=["webhooks", "deliver"]).output
    assert len(hook.requests) == 1
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "webhook.create")) is not None


def test_retries_with_backoff_then_fails(db, people, receiver, client):
    hook, dead = receiver([500, 503]), receiver([500] * 10)
    register(client, people["staff"], hook.url, events=["submission.reviewed"])
    register(client, people["staff"], dead.url, events=["submission.accepted"])
    (delivery,) = webhooks.enqueue(db, people["commune"].id, "submission.reviewed", {"id": 1})
    now = utcnow()
    assert webhooks.deliver_due(db, now=now, allow_loopback_http=True) == 1
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at == now + timedelta(seconds=30)
    # not due yet:
    assert webhooks.deliver_due(db, now=now + timedelta(seconds=10), allow_loopback_http=True) == 0
    assert webhooks.deliver_due(db, now=now + timedelta(seconds=30), allow_loopback_http=True) == 1
    assert (delivery.attempts, delivery.next_attempt_at) == (2, now + timedelta(seconds=90))
    assert webhooks.deliver_due(db, now=now + timedelta(seconds=90), allow_loopback_http=True) == 1
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 3, 200)
    assert len(hook.requests) == 3
    # A receiver that never answers well: failed after the last attempt, the error kept.
    (doomed,) = webhooks.enqueue(db, people["commune"].id, "submission.accepted", {"id": 2})
    later = now + timedelta(days=1)
    for _ in range(4):
        webhooks.deliver_due(db, now=later, max_attempts=3, allow_loopback_http=True)
        later += timedelta(hours=7)
    assert (doomed.status, doomed.attempts, doomed.last_error) == ("failed", 3, "HTTP 500")
    assert len(dead.requests) == 3
    db.commit()


def test_only_subscribed_events_and_unreachable_receivers(db, people, client):
    register(client, people["staff"], "http://127.0.0.1:9/closed", events=["submission.reviewed"])
    assert webhooks.enqueue(db, people["commune"].id, "submission.accepted", {"id": 1}) == []
    (delivery,) = webhooks.enqueue(db, people["commune"].id, "submission.reviewed", {"id": 1})
    webhooks.deliver_due(db, allow_loopback_http=True)
    assert delivery.status == "pending" and delivery.last_status_code is None
    assert delivery.last_error  # connection refused, kept in the log
    db.commit()


@pytest.mark.parametrize(("url", "events"), [
    ("http://example.org/hook", None), ("ftp://127.0.0.1/x", None), ("not a url", None),
    ("https://example.org/hook", ["submission.deleted"])])
def test_bad_registrations_name_the_field(client, people, url, events):
    response = register(client, people["staff"], url, **({"events": events} if events else {}))
    assert response.status_code == 422
    assert set(response.json["errors"]) == ({"events"} if events else {"url"})


def test_who_may_manage_webhooks(client, people, receiver):
    hook_id = register(client, people["staff"], "https://example.org/hook").json["id"]
    assert register(client, people["other_staff"], "https://example.org/x").status_code == 403
    assert register(client, people["surveyor"], "https://example.org/x").status_code == 403
    assert client.get("/api/v1/communes/cam-lo/webhooks").status_code == 401
    for token, status in ((people["other_staff"], 403), (people["surveyor"], 403)):
        assert client.get(f"/api/v1/webhooks/{hook_id}/deliveries",
                          headers=auth(token)).status_code == status
        assert client.delete(f"/api/v1/webhooks/{hook_id}", headers=auth(token)).status_code == status
    assert client.delete("/api/v1/webhooks/999999", headers=auth(people["staff"])).status_code == 404
    assert client.delete(f"/api/v1/webhooks/{hook_id}", headers=auth(people["staff"])).status_code == 204


def test_a_real_submission_and_its_review_reach_the_receiver(client, runner, db, people, receiver):
    from tests.factories import submission_payload

    hook = receiver()
    assert register(client, people["staff"], hook.url).status_code == 201
    payload = submission_payload()
    created = client.post("/api/v1/submissions", json=payload, headers=auth(people["surveyor"]))
    assert created.status_code == 201, created.json
    # A replay of the same household is not a new event.
    assert client.post("/api/v1/submissions", json=payload,
                       headers=auth(people["surveyor"])).status_code == 200
    reviewed = client.patch(f"/api/v1/submissions/{created.json['id']}", headers=auth(people["staff"]),
                            json={"review_status": "approved"})
    assert reviewed.status_code == 200, reviewed.json
    assert "Attempted 2" in runner.invoke(args=["webhooks", "deliver"]).output
    events = [json.loads(body) for _headers, body in hook.requests]
    assert [e["event"] for e in events] == ["submission.accepted", "submission.reviewed"]
    accepted, review = (e["data"] for e in events)
    assert accepted["instance_id"] == payload["instance_id"] and accepted["commune"] == "cam-lo"
    assert (accepted["review_status"], review["review_status"]) == ("received", "approved")
    assert "answers" not in accepted  # personal data stays behind the API's access rules


def test_webhooks_cannot_reach_the_servers_own_network(client, db, people):
    # (Loopback itself is allowed in these tests: WEBHOOK_ALLOW_LOOPBACK_HTTP, for the receiver.)
    for url in ("https://10.0.0.5/hook", "https://169.254.169.254/latest", "https://192.168.1.1/",
                "https://[fd00::1]/x"):
        response = register(client, people["staff"], url)
        assert response.status_code == 422, url
    # A name is checked where it leads, when delivering: localhost is the server itself.
    assert register(client, people["staff"], "https://localhost:9/hook").status_code == 201
    (delivery,) = webhooks.enqueue(db, people["commune"].id, "submission.accepted", {"id": 1})
    sent: list[str] = []
    webhooks.deliver_due(db, poster=lambda url, *_: sent.append(url) or webhooks.Response(200),
                         allow_loopback_http=False)
    assert sent == [] and delivery.status == "pending"
    assert delivery.last_error == "refused: the host resolves to an internal address"
    db.commit()


class _Recorder(BaseHTTPRequestHandler):
    """Answers every POST with a 302 to `target` and records every request it gets."""

    seen: list[tuple[str, str, str]] = []
    target = ""

    def _record(self) -> None:
        type(self).seen.append((self.command, self.path, self.headers.get("Host", "")))

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._record()
        if self.path == "/hook":
            self.send_response(302)
            self.send_header("Location", type(self).target)
        else:
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802
        self._record()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def redirector():
    _Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    port = server.server_address[1]
    _Recorder.target = f"http://127.0.0.1:{port}/internal-admin"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield port
    server.shutdown()
    server.server_close()


def test_a_redirect_is_not_followed(client, db, people, redirector):
    register(client, people["staff"], f"http://127.0.0.1:{redirector}/hook")
    (delivery,) = webhooks.enqueue(db, people["commune"].id, "submission.accepted", {"id": 1})
    webhooks.deliver_due(db, allow_loopback_http=True)
    assert [(method, path) for method, path, _host in _Recorder.seen] == [("POST", "/hook")]
    assert delivery.status == "pending" and delivery.delivered_at is None
    assert delivery.last_status_code == 302 and "redirect" in delivery.last_error
    db.commit()


def test_the_post_goes_to_the_checked_address_not_a_second_lookup(redirector):
    # The name does not resolve at all: only the checked address can have been used.
    result = webhooks.post(f"http://receiver.invalid:{redirector}/other", b"{}",
                           {"Content-Type": "application/json"}, 5, "127.0.0.1")
    assert result.status == 200
    assert _Recorder.seen == [("POST", "/other", f"receiver.invalid:{redirector}")]


def test_a_correction_names_what_it_supersedes_both_ways(client: Any, runner: Any, db: Any,
                                                         people: Any, receiver: Any) -> None:
    """`supersedes` is the corrected submission's id (the payload's contract);
    `supersedes_instance_id` its instance_id, what `supersedes` means in the API."""
    from tests.factories import submission_payload

    hook = receiver()
    assert register(client, people["staff"], hook.url).status_code == 201
    original = client.post("/api/v1/submissions", json=submission_payload(),
                           headers=auth(people["surveyor"])).json
    correction = client.post("/api/v1/submissions", headers=auth(people["surveyor"]),
                             json=submission_payload(supersedes=original["instance_id"]))
    assert correction.status_code == 201, correction.json
    assert correction.json["supersedes"] == original["instance_id"]  # the API: an instance_id
    client.patch(f"/api/v1/submissions/{correction.json['id']}", headers=auth(people["staff"]),
                 json={"review_status": "approved"})
    runner.invoke(args=["webhooks", "deliver"])
    events = [json.loads(body)["data"] for _headers, body in hook.requests]
    first, fixed, reviewed = events
    assert (first["supersedes"], first["supersedes_instance_id"]) == (None, None)
    for data in (fixed, reviewed):
        assert data["supersedes"] == original["id"]  # the webhook: the integer id
        assert data["supersedes_instance_id"] == original["instance_id"]
