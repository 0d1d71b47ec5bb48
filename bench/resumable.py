"""Resumable upload + import job against `flask coverage import` of the same file, same run.

Generates a drive-test CSV of BENCH_RESUMABLE_MB megabytes (default 30, a minute or two; the issue's figure is
1 GB: BENCH_RESUMABLE_MB=1024, or `python -m bench.resumable --mb 1024`) with bench/coverage_import's
generator, then, each on a fresh SQLite database with the demo communes:

1. the ceiling: `flask --app app coverage import FILE --partner viettel` (wall time, peak RSS);
2. ours: gunicorn on a free loopback port receives the file through the tus API in 16 MiB PATCHes,
   two of which are cut off half-way by closing the socket (a dropped link); the client asks HEAD
   and resumes from the server's offset; then one `flask --app app jobs work --once` imports it.

Prints both wall times, the ratio (goal ≤ 1.2×), and the peak RSS of the gunicorn worker and of the
import worker (the server streams pieces to disk, so its memory stays flat whatever the size).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from bench.coverage_import import generate

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 16 << 20
ROW_BYTES = 105  # about, for the generator's rows


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _env(tmp: Path, name: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / (name + '.db')}",
            "UPLOAD_DIR": str(tmp / f"{name}-uploads"), "SECRET_KEY": "bench",
            "ALLOW_DEMO_DATA": "true", "SESSION_COOKIE_SECURE": "false"}


def _flask(env: dict[str, str], *args: str) -> tuple[float, float, str]:
    """Run a flask command: (wall seconds, peak RSS MB, output)."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{output}")
    return seconds, usage.ru_maxrss / 1024, output


def _prepare(env: dict[str, str]) -> str:
    _flask(env, "init-db")
    _flask(env, "load-demo")
    script = ("from app import create_app\nfrom surveys.db import session_scope\n"
              "from surveys import accounts\nfrom surveys.models import Partner, User, Role\n"
              "app = create_app()\nwith app.app_context(), session_scope(app) as s:\n"
              "    p = s.query(Partner).filter_by(slug='viettel').one()\n"
              "    u = accounts.create_user(s, 'bench-up', 'bench-password-123', 'partner', "
              "partner_slug='viettel')\n"
              "    token, _ = accounts.create_token(s, u, 'bench', actor_label='bench')\n"
              "    print(token)\n")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1]


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _request(port: int, method: str, path: str, headers: dict[str, str],
             body: bytes | BinaryIO | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def _cut_patch(port: int, path: str, headers: dict[str, str], stream: BinaryIO,
               length: int) -> None:
    """Announce `length` bytes, send half of them, and drop the connection (a lost link)."""
    lines = [f"PATCH {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {length}",
             *[f"{k}: {v}" for k, v in headers.items()], "", ""]
    with socket.create_connection(("127.0.0.1", port)) as raw:
        raw.sendall("\r\n".join(lines).encode())
        raw.sendall(stream.read(length // 2))
        raw.shutdown(socket.SHUT_RDWR)


def upload(port: int, token: str, path: Path) -> tuple[int, int]:
    """Send the file with tus, two PATCHes cut off half-way; (coverage upload id, cuts)."""
    size = path.stat().st_size
    auth = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}
    name = base64.b64encode(path.name.encode()).decode()
    created = _request(port, "POST", "/api/v1/coverage/resumable",
                       {**auth, "Upload-Length": str(size), "Upload-Metadata": f"filename {name}"})
    assert created.status == 201, created.status
    location = created.headers["Location"]
    chunk = max(1 << 20, min(CHUNK, -(-size // 6)))  # at least six pieces
    pieces = -(-size // chunk)
    cut_at = {pieces // 3, 2 * pieces // 3}  # two dropped links, a third and two thirds of the way
    cuts = sent = 0
    with path.open("rb") as stream:
        while True:
            offset = int(_request(port, "HEAD", location, auth).headers["Upload-Offset"])
            if offset >= size:
                break
            stream.seek(offset)
            length = min(chunk, size - offset)
            headers = {**auth, "Upload-Offset": str(offset),
                       "Content-Type": "application/offset+octet-stream"}
            if sent in cut_at and cuts < 2:
                _cut_patch(port, location, headers, stream, length)
                cuts += 1
                cut_at.discard(sent)
            else:
                try:
                    response = _request(port, "PATCH", location,
                                        {**headers, "Content-Length": str(length)}, stream.read(length))
                except (OSError, http.client.HTTPException):
                    continue  # refused before the body was read (a 409 below): ask again
                # 409: the server was still storing the cut piece when HEAD asked; ask again.
                assert response.status in (204, 409), response.status
            sent += 1
    answer = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    answer.request("GET", location, headers=auth)
    state = json.loads(answer.getresponse().read())
    answer.close()
    assert state["upload"], state
    return state["upload"], cuts


def run(megabytes: float) -> int:
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        data = tmp / "drive-test.csv"
        rows = int(megabytes * 1e6 / ROW_BYTES)
        # One row every two seconds, ending yesterday: at 1 GB that is half a year of driving,
        # which from a fixed start would run into the future (rejected rows import faster).
        generate(data, rows, start=datetime.now(UTC) - timedelta(seconds=2 * rows, days=1))
        size = data.stat().st_size

        plain = _env(tmp, "cli")
        _prepare(plain)
        cli_seconds, cli_peak, cli_output = _flask(plain, "coverage", "import", str(data),
                                                   "--partner", "viettel")

        ours = _env(tmp, "tus")
        token = _prepare(ours)
        port = _free_port()
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--threads", "4", "--timeout", "600", "wsgi:app"],
            cwd=ROOT, env=ours, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            for _ in range(600):  # until it listens (at most a minute)
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            _request(port, "GET", "/healthz", {})  # the worker has booted and loaded the app
            started = time.perf_counter()
            upload_id, cuts = upload(port, token, data)
            upload_seconds = time.perf_counter() - started
            web_peak = max((_peak_mb(pid) for pid in _children(server.pid)), default=0.0)
        finally:
            server.terminate()
            server.wait(timeout=60)
        job_seconds, job_peak, job_output = _flask(ours, "jobs", "work", "--once")
        assert ": done." in job_output, job_output
    total = upload_seconds + job_seconds
    print(f"resumable upload: {size / 1e6:,.0f} MB drive-test CSV, SQLite, {cuts} forced disconnects")
    print(f"  flask coverage import: {cli_seconds:.1f} s, peak RSS {cli_peak:.0f} MB "
          f"({cli_output.strip().splitlines()[-1][:90]})")
    print(f"  tus upload {upload_seconds:.1f} s + jobs work {job_seconds:.1f} s = {total:.1f} s "
          f"(upload {upload_id})")
    print(f"  ratio (upload + job) / import: {total / cli_seconds:.2f}x (goal ≤ 1.2x)")
    print(f"  peak RSS: gunicorn worker {web_peak:.0f} MB, import worker {job_peak:.0f} MB")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=float(os.environ.get("BENCH_RESUMABLE_MB", "30")),
                        help="size of the generated CSV in MB (default 30; the issue's 1 GB: 1024)")
    return run(parser.parse_args(argv or []).mb)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
