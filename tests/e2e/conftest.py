"""Live servers for end-to-end tests: real uvicorn processes on loopback, real HTTP.

A demo database is seeded once per session (per kind of database) and each server runs in a
subprocess, so the tests see exactly what a user of `wastematch demo` / `serve` would.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import drop_pg_database, fresh_pg_database, pg_reason

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


def _env(database_url: str) -> dict[str, str]:
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


def _cli(*args: str, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "web.cli", *args], env=env, check=True, capture_output=True
    )


def start_server(
    database_url: str, log: Path, *, workers: int = 1, env: dict[str, str] | None = None
) -> LiveServer:
    port = free_port()
    env = _env(database_url) | (env or {})
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "web.cli",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
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


# A second account in another demo organisation of the same role, for access tests.
OTHER_ACCOUNTS = {
    "producer-other": ("producer", "晋宁磷复肥厂（示例）"),
    "recycler-other": ("recycler", "云岭石膏建材公司（示例）"),
}


def add_other_accounts(database_url: str) -> None:
    env = _env(database_url)
    for username, (role, org) in OTHER_ACCOUNTS.items():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "web.cli",
                "users",
                "add",
                "--username",
                username,
                "--role",
                role,
                "--org",
                org,
                "--password-stdin",
            ],
            env=env,
            check=True,
            capture_output=True,
            input=(DEMO_PASSWORD + "\n").encode(),
        )


_SEEDED_PG: dict[str, str] = {}


def seeded_pg_database() -> tuple[str, str]:
    """A fresh PostgreSQL database holding the demo data set (with the extra accounts).

    The first call seeds a template database; later calls copy it with CREATE DATABASE …
    TEMPLATE, which takes a second instead of a full seed.
    """
    if "name" not in _SEEDED_PG:
        url, name = fresh_pg_database()
        seed(url)
        add_other_accounts(url)
        _SEEDED_PG["name"] = name
    return fresh_pg_database(template=_SEEDED_PG["name"])


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if "name" in _SEEDED_PG:
        drop_pg_database(_SEEDED_PG.pop("name"))


def seed(database_url: str) -> None:
    env = _env(database_url)
    _cli("db", "upgrade", env=env)
    _cli("seed", "--demo", env=env)


@pytest.fixture(scope="session")
def demo_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded demo database, made once; servers start from copies of it."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    seed(f"sqlite:///{path}")
    add_other_accounts(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="module")
def live_server(
    demo_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A server over a fresh copy of the demo database (SQLite), one per test module."""
    here = tmp_path_factory.mktemp("live")
    db_path = here / "demo.db"
    shutil.copyfile(demo_sqlite_template, db_path)
    server = start_server(f"sqlite:///{db_path}", here / "server.log")
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def live_server_any(
    request: pytest.FixtureRequest,
    demo_sqlite_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveServer]:
    """A demo server on SQLite and, when it answers, on PostgreSQL."""
    here = tmp_path_factory.mktemp("live")
    if request.param == "sqlite":
        db_path = here / "demo.db"
        shutil.copyfile(demo_sqlite_template, db_path)
        server = start_server(f"sqlite:///{db_path}", here / "server.log")
        try:
            yield server
        finally:
            stop_server(server)
        return
    reason = pg_reason()
    if reason:
        pytest.skip(f"PostgreSQL tests skipped: {reason}")
    url, name = seeded_pg_database()
    try:
        server = start_server(url, here / "server.log")
        try:
            yield server
        finally:
            stop_server(server)
    finally:
        drop_pg_database(name)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return path


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def log_in_page(page: Any, server: LiveServer, username: str, next_path: str = "/") -> None:
    """Log a Playwright page in through the login form and wait for the landing page."""
    page.goto("/login" if next_path == "/" else f"/login?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(server.url + next_path)
