"""Login throttling, per account and per client address, shared by every worker through the
database (one small table, read by primary key before any password is hashed).

Each failed login counts against three keys: the account from this address (`account:NAME|IP`,
tight), the address (`address:IP`, any accounts) and the account from anywhere (`account:NAME`,
loose: many addresses guessing one password). Below a key's threshold nothing happens; from it on,
each further failure blocks the key for a doubling wait (30 s, 1 min, 2 min, 4 min, then MAX_WAIT,
5 minutes), so a guesser gets a few dozen tries an hour while a surveyor who mistyped waits 30 s.
An attacker elsewhere cannot lock a surveyor out by failing on their account (that blocks the
attacker's own pair) unless they fail ACCOUNT_THRESHOLD times, and even then for at most MAX_WAIT
after their last attempt. Failures older than WINDOW are forgotten; a successful login clears its
account's counts. Takes a Session; never imports Flask; never commits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from surveys.models import LoginThrottle, utcnow

PAIR_THRESHOLD = 5  # failures of one account from one address before waits begin
ADDRESS_THRESHOLD = 20  # failures from one address (any accounts) before waits begin
ACCOUNT_THRESHOLD = 50  # failures of one account from anywhere before waits begin
FIRST_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=5)
WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class Refusal:
    retry_after: int  # whole seconds, for the Retry-After header
    key: str


def keys(username: str, address: str | None) -> dict[str, int]:
    """The keys an attempt counts against, each with its threshold."""
    account = f"account:{username.strip().lower()[:80]}"
    found = {account: ACCOUNT_THRESHOLD}
    if address:
        found[f"{account}|{address[:39]}"] = PAIR_THRESHOLD
        found[f"address:{address[:100]}"] = ADDRESS_THRESHOLD
    return found


def check(session: Session, username: str, address: str | None, *,
          now: datetime | None = None) -> Refusal | None:
    """A refusal when any key of the attempt is blocked now; one primary-key read, no hashing."""
    now = now or utcnow()
    rows = session.scalars(select(LoginThrottle).where(
        LoginThrottle.key.in_(list(keys(username, address))))).all()
    blocked = [(row.blocked_until, row.key) for row in rows
               if row.blocked_until is not None and row.blocked_until > now]
    if not blocked:
        return None
    until, key = max(blocked)
    return Refusal(max(1, math.ceil((until - now).total_seconds())), key)


def wait_after(failures: int, threshold: int) -> timedelta | None:
    if failures < threshold:
        return None
    return min(FIRST_WAIT * 2 ** min(failures - threshold, 20), MAX_WAIT)


def record_failure(session: Session, username: str, address: str | None, *,
                   now: datetime | None = None) -> None:
    """Count a failure against each key (atomic across workers: one upsert per key)."""
    now = now or utcnow()
    session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < now - WINDOW))
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for key, threshold in keys(username, address).items():
        statement = insert(LoginThrottle).values(key=key, failures=1, last_failure_at=now)
        session.execute(statement.on_conflict_do_update(
            index_elements=[LoginThrottle.key],
            set_={"failures": LoginThrottle.failures + 1, "last_failure_at": now}))
        row = session.get(LoginThrottle, key, populate_existing=True)
        assert row is not None
        wait = wait_after(row.failures, threshold)
        if wait is not None:
            row.blocked_until = now + wait
    session.flush()


def record_success(session: Session, username: str, address: str | None) -> None:
    """Clear the account's counts (the address's stay: it may be guessing other accounts)."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(
        [key for key in keys(username, address) if key.startswith("account:")])))
