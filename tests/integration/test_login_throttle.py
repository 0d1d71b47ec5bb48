"""Login throttling (issue 14, item 3): per account and per client address, with backoff, a 429
with Retry-After and a Vietnamese message, refused before any password is hashed, failures still
audited, no wait longer than minutes, and shared by every worker (the state is in the database)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from surveys.administration import accounts, throttle
from surveys.models import AuditEvent, LoginThrottle, utcnow
from tests.conftest import csrf_from, make_test_app
from tests.factories import PASSWORD, make_commune, make_user


@pytest.fixture
def surveyor(db):
    user = make_user(db, "sv1", commune=make_commune(db))
    db.commit()
    return user


def _try(client, username: str, password: str, address: str = "127.0.0.1"):
    page = client.get("/login", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_from(page)},
                       environ_base={"REMOTE_ADDR": address})


@pytest.fixture
def hashes(monkeypatch):
    """Counts password checks (scrypt): a refused attempt must not reach one."""
    counted = {"n": 0}
    real = accounts.check_password_hash

    def counting(stored: str, password: str) -> bool:
        counted["n"] += 1
        return real(stored, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting)
    return counted


def test_an_account_is_throttled_with_backoff_then_lets_the_right_password_in(
        app, client, db, surveyor, hashes) -> None:
    for _ in range(throttle.PAIR_THRESHOLD):
        assert _try(client, "sv1", "wrong-password").status_code == 401
    # From the threshold on, the next attempt waits — even with the right password.
    response = _try(client, "sv1", PASSWORD)
    assert response.status_code == 429
    retry = int(response.headers["Retry-After"])
    assert 1 <= retry <= throttle.MAX_WAIT.total_seconds()
    assert "Đăng nhập sai quá nhiều lần" in response.get_data(as_text=True)
    assert hashes["n"] == throttle.PAIR_THRESHOLD  # the refused attempt hashed nothing
    reasons = [e.details["reason"] for e in db.scalars(
        select(AuditEvent).where(AuditEvent.action == "login.failure").order_by(AuditEvent.id))]
    assert reasons == ["wrong_password"] * throttle.PAIR_THRESHOLD + ["throttled"]
    # The surveyor on another address is not locked out by someone else's failures.
    other = _try(client, "sv1", PASSWORD, "10.1.2.3")
    assert other.status_code == 302
    # Time passes (the block ends): the right password gets in and clears the account's counts.
    db.execute(update(LoginThrottle).values(blocked_until=utcnow() - timedelta(seconds=1)))
    db.commit()
    assert _try(app.test_client(), "sv1", PASSWORD).status_code == 302
    assert db.scalars(select(LoginThrottle.key)).all() == ["address:127.0.0.1"]  # it stays


def test_many_addresses_guessing_one_account_are_throttled_too(client, db, surveyor) -> None:
    for n in range(throttle.ACCOUNT_THRESHOLD):
        assert _try(client, "sv1", "wrong-password", f"198.18.0.{n}").status_code == 401
    response = _try(client, "sv1", PASSWORD, "198.18.1.1")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) <= throttle.MAX_WAIT.total_seconds()


def test_waits_double_and_never_exceed_minutes() -> None:
    threshold = throttle.PAIR_THRESHOLD
    assert throttle.wait_after(threshold - 1, threshold) is None
    waits = [throttle.wait_after(threshold + k, threshold) for k in range(4)]
    assert waits == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert throttle.wait_after(10_000, threshold) == throttle.MAX_WAIT <= timedelta(minutes=5)


def test_the_count_is_forgotten_after_the_window(db, surveyor) -> None:
    start = utcnow()
    for _ in range(throttle.PAIR_THRESHOLD + 3):
        throttle.record_failure(db, "sv1", "127.0.0.1", now=start)
    assert throttle.check(db, "sv1", "127.0.0.1", now=start) is not None
    later = start + throttle.WINDOW + timedelta(seconds=1)
    assert throttle.check(db, "sv1", "127.0.0.1", now=later) is None
    throttle.record_failure(db, "sv1", "127.0.0.1", now=later)  # counts afresh
    assert db.get(LoginThrottle, "account:sv1|127.0.0.1", populate_existing=True).failures == 1
    db.commit()


def test_one_address_trying_many_accounts_is_throttled(client, db, surveyor) -> None:
    for n in range(throttle.ADDRESS_THRESHOLD):
        assert _try(client, f"guess{n}", "x-password", "203.0.113.9").status_code == 401
    assert _try(client, "sv1", PASSWORD, "203.0.113.9").status_code == 429
    assert _try(client, "sv1", PASSWORD, "198.51.100.7").status_code == 302  # others are not


def test_the_state_is_shared_by_every_worker(app, client, db, surveyor, database_url, tmp_path) -> None:
    worker = make_test_app(database_url, tmp_path)
    try:
        for _ in range(throttle.PAIR_THRESHOLD):
            assert _try(client, "sv1", "wrong-password").status_code == 401
        assert _try(worker.test_client(), "sv1", PASSWORD).status_code == 429
    finally:
        worker.extensions["phusong.engine"].dispose()
