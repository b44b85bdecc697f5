"""Live servers for end-to-end tests: real uvicorn processes on loopback, real HTTP.

Each server runs in a subprocess (`python -m web.cli serve`), so the tests see exactly what a
user of `wastematch serve` would.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

SECRET = "e2e-secret-" + "k" * 40
# one seal key for this test process: the demo is seeded (and its months sealed) by one command
# and served by others, over copies of the database
SEAL_KEY_FILE = Path(tempfile.mkdtemp(prefix="wastematch-e2e-")) / "seal.pem"
DEMO_PASSWORD = "demo-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)

    def token(self, username: str, password: str = DEMO_PASSWORD) -> str:
        with self.client() as c:
            r = c.post("/api/v1/auth/token", json={"username": username, "password": password})
            r.raise_for_status()
            return str(r.json()["token"])


def server_env(database_url: str) -> dict[str, str]:
    """The environment of a live server (and of the commands run against its database)."""
    env = dict(os.environ)
    env.update(
        {
            "WASTEMATCH_DATABASE_URL": database_url,
            "WASTEMATCH_SECRET_KEY": SECRET,
            "WASTEMATCH_SEAL_KEY_FILE": str(SEAL_KEY_FILE),
            "WASTEMATCH_LOG_LEVEL": "WARNING",
            # the suites log in from 127.0.0.1 far more often than a person would; the login
            # throttle's per-address limits have tests of their own (test_outside_attacker.py)
            "WASTEMATCH_LOGIN_PER_ADDRESS_PER_MIN": "100000",
            "WASTEMATCH_LOGIN_ADDRESS_MAX_FAILURES": "100000",
            # one job worker thread inside each live server instead of a worker process beside
            # it: the suite starts dozens of servers on two cores. The worker process itself is
            # started, killed and stopped by tests/e2e/test_jobs.py.
            "WASTEMATCH_JOB_PROCESSES": "0",
            "WASTEMATCH_JOB_THREADS": "1",
        }
    )
    return env


def cli(*args: str, env: dict[str, str], stdin: bytes | None = None) -> None:
    """Run `python -m web.cli ARGS` and insist that it succeeds."""
    done = subprocess.run(
        [sys.executable, "-m", "web.cli", *args], env=env, capture_output=True, input=stdin
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]


def start_server(
    database_url: str, log: Path, *, workers: int = 1, env: dict[str, str] | None = None
) -> LiveServer:
    port = free_port()
    env = server_env(database_url) | (env or {})
    command = ["serve", "--port", str(port), "--workers", str(workers)]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "web.cli", *command],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return LiveServer(url, database_url, proc, log)
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server did not answer within 60 s: {log.read_text()[-2000:]}")


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()


@contextmanager
def serving(
    database_url: str, log: Path, *, workers: int = 1, env: dict[str, str] | None = None
) -> Iterator[LiveServer]:
    """A live server over `database_url` for the length of the block."""
    server = start_server(database_url, log, workers=workers, env=env)
    try:
        yield server
    finally:
        stop_server(server)
