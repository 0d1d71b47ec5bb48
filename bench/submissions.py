"""Submission throughput: the full API path against a plain executemany of the same rows.

The API path does everything a real submission needs (token lookup, JSON parsing, validation of every
answer against the XLSForm rules, the idempotent insert, one commit per request); the ceiling is the
database inserting the very same final rows with one executemany. Both run on the same fresh SQLite
file (or BENCH_DATABASE_URL). Then replays (the outbox resending) and eight concurrent senders,
then the same path under gunicorn with 1, 4 and 8 senders on SQLite and PostgreSQL
(bench/submissions_http.py).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select

from bench import submissions_http

if TYPE_CHECKING:
    from flask import Flask

N = int(os.environ.get("BENCH_SUBMISSIONS", "2000"))
CONCURRENT_SENDERS = 8


def _setup(tmp: Path) -> tuple[Flask, str]:
    from app import create_app
    from surveys import migrate
    from tests.factories import make_commune, make_token, make_user

    url = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{tmp / 'bench.db'}")
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url,
                      "UPLOAD_DIR": str(tmp / "uploads"), "SESSION_COOKIE_SECURE": False})
    migrate.upgrade(app.extensions["phusong.engine"])
    with app.extensions["phusong.sessionmaker"]() as session:
        token = make_token(session, make_user(session, "bench", commune=make_commune(session)))
        session.commit()
    return app, token


def main() -> int:
    from surveys.models import Submission
    from tests.factories import submission_payload

    with tempfile.TemporaryDirectory() as tmpdir:
        app, token = _setup(Path(tmpdir))
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        payloads = [submission_payload() for _ in range(N)]

        started = time.perf_counter()
        for payload in payloads:
            response = client.post("/api/v1/submissions", json=payload, headers=headers)
            assert response.status_code == 201, response.json
        api_seconds = time.perf_counter() - started

        started = time.perf_counter()
        for payload in payloads[: N // 4]:
            assert client.post("/api/v1/submissions", json=payload,
                               headers=headers).status_code == 200
        replay_seconds = (time.perf_counter() - started) * 4

        engine = app.extensions["phusong.engine"]
        columns = [c.name for c in Submission.__table__.columns if c.name != "id"]
        with engine.connect() as connection:
            rows = [dict(zip(columns, row, strict=True)) for row in connection.execute(
                select(*[Submission.__table__.c[c] for c in columns]))]
        with engine.begin() as connection:
            connection.execute(delete(Submission))
        started = time.perf_counter()
        with engine.begin() as connection:
            connection.execute(insert(Submission), rows)
        ceiling_seconds = time.perf_counter() - started
        with engine.begin() as connection:
            connection.execute(delete(Submission))
        started = time.perf_counter()
        with engine.connect() as connection:
            for row in rows:
                connection.execute(insert(Submission), row)
                connection.commit()
        per_row_seconds = time.perf_counter() - started

        concurrent = _concurrent(app, headers)

    api_rate, ceiling_rate = N / api_seconds, N / ceiling_seconds
    print(f"submissions: {N} via POST /api/v1/submissions: {api_rate:,.0f}/s "
          f"({api_seconds * 1000 / N:.2f} ms each)")
    print(f"  replays (outbox resend): {N / replay_seconds:,.0f}/s")
    print(f"  ceiling, one executemany of the same rows: {ceiling_rate:,.0f}/s")
    print(f"  ratio ceiling/api: {ceiling_rate / api_rate:.1f}x "
          "(one request, validation and commit per household vs one bulk insert)")
    per_row_rate = N / per_row_seconds
    print(f"  ceiling, one INSERT + COMMIT per row: {per_row_rate:,.0f}/s; "
          f"ratio {per_row_rate / api_rate:.1f}x (the cost of HTTP, auth and validation)")
    print(f"  {CONCURRENT_SENDERS} concurrent senders over HTTP, distinct households: "
          f"{concurrent:,.0f}/s")
    return submissions_http.main()


def _concurrent(app: Flask, headers: dict[str, str]) -> float:
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from tests.factories import submission_payload

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    bodies = [json.dumps(submission_payload()).encode() for _ in range(N // 4)]

    def send(body: bytes) -> int:
        request = urllib.request.Request(f"{base}/api/v1/submissions", data=body, method="POST",
                                         headers={"Content-Type": "application/json", **headers})
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status

    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENT_SENDERS) as pool:
        statuses = list(pool.map(send, bodies))
    seconds = time.perf_counter() - started
    server.shutdown()
    assert statuses.count(201) == len(bodies)
    return len(bodies) / seconds
