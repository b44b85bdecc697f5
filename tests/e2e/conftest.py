"""Fixtures of the end-to-end tests: live servers over copies of the demo, and a browser.

The machinery lives in tests/support (`live`, `worlds`, `browser`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.browser import chromium, launched
from tests.support.live import LiveServer, serving
from tests.support.worlds import DEMO_PG, demo_database, seed_demo

KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    DEMO_PG.drop()


@pytest.fixture(scope="session")
def demo_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded demo database, made once; servers start from copies of it."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    seed_demo(f"sqlite:///{path}")
    return path


def _live(
    kind: str, template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    here = tmp_path_factory.mktemp("live")
    with demo_database(kind, template, here) as url, serving(url, here / "server.log") as server:
        yield server


@pytest.fixture(scope="module")
def live_server(
    demo_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A server over a fresh copy of the demo database (SQLite), one per test module."""
    yield from _live("sqlite", demo_sqlite_template, tmp_path_factory)


@pytest.fixture(scope="module", params=KINDS)
def live_server_any(
    request: pytest.FixtureRequest,
    demo_sqlite_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveServer]:
    """A demo server on SQLite and, when it answers, on PostgreSQL."""
    yield from _live(request.param, demo_sqlite_template, tmp_path_factory)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = chromium()
    if path is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[object]:
    with launched(chromium_path) as b:
        yield b
