"""Shared fixtures: real databases (SQLite files, and PostgreSQL when it answers)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from market.db import Database

PG_ADMIN_URL = os.environ.get(
    "WASTEMATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _pg_unavailable_reason() -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install -e '.[test]')"
    from sqlalchemy.engine import make_url

    url = make_url(PG_ADMIN_URL)
    try:
        conn = psycopg.connect(
            host=url.host,
            port=url.port or 5432,
            user=url.username,
            dbname=url.database,
            password=url.password,
            connect_timeout=3,
        )
    except Exception as exc:  # noqa: BLE001 - any failure means "not available here"
        return f"PostgreSQL at {url.host}:{url.port} does not answer ({type(exc).__name__}: {exc})"
    conn.close()
    return None


_PG_REASON: str | None | bool = False


def pg_reason() -> str | None:
    global _PG_REASON
    if _PG_REASON is False:
        _PG_REASON = _pg_unavailable_reason()
    return _PG_REASON  # type: ignore[return-value]


def fresh_pg_database(template: str | None = None) -> tuple[str, str]:
    """Create a database (empty, or a copy of `template`); returns (url, name)."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(PG_ADMIN_URL)
    name = f"wm_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(
        host=admin.host,
        port=admin.port or 5432,
        user=admin.username,
        dbname=admin.database,
        password=admin.password,
        autocommit=True,
    ) as conn:
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{suffix}')
    return admin.set(database=name).render_as_string(hide_password=False), name


def drop_pg_database(name: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(PG_ADMIN_URL)
    with psycopg.connect(
        host=admin.host,
        port=admin.port or 5432,
        user=admin.username,
        dbname=admin.database,
        password=admin.password,
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty database of each kind: a SQLite file, and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    reason = pg_reason()
    if reason:
        pytest.skip(f"PostgreSQL tests skipped: {reason}")
    url, name = fresh_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(name)


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Migrate once per session (per kind of database); each test then starts from a copy."""
    from market.db import Database
    from market.migrate import upgrade
    from market.seed import sync_catalogue

    made: dict[str, str] = {}
    pg_name = None
    path = tmp_path_factory.mktemp("template") / "template.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    database = Database(url)
    sync_catalogue(database)
    database.dispose()
    made["sqlite"] = str(path)
    try:
        yield made
    finally:
        if pg_name:
            drop_pg_database(pg_name)


_PG_TEMPLATE: dict[str, str] = {}


def _pg_template() -> str:
    if "name" not in _PG_TEMPLATE:
        from market.db import Database
        from market.migrate import upgrade
        from market.seed import sync_catalogue

        url, name = fresh_pg_database()
        upgrade(url)
        database = Database(url)
        sync_catalogue(database)
        database.dispose()
        _PG_TEMPLATE["name"] = name
    return _PG_TEMPLATE["name"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if "name" in _PG_TEMPLATE:
        drop_pg_database(_PG_TEMPLATE.pop("name"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(
    request: pytest.FixtureRequest,
    migrated_templates: dict[str, str],
    tmp_path: Path,
) -> Iterator[Database]:
    """A migrated database with the catalogue synced, on SQLite and on PostgreSQL."""
    from market.db import Database

    if request.param == "sqlite":
        target = tmp_path / "test.db"
        shutil.copyfile(migrated_templates["sqlite"], target)
        database = Database(f"sqlite:///{target}")
        try:
            yield database
        finally:
            database.dispose()
        return
    reason = pg_reason()
    if reason:
        pytest.skip(f"PostgreSQL tests skipped: {reason}")
    url, name = fresh_pg_database(template=_pg_template())
    database = Database(url)
    try:
        yield database
    finally:
        database.dispose()
        drop_pg_database(name)


@pytest.fixture
def settings(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from market.settings import Settings

    return Settings.from_env(
        {
            "WASTEMATCH_SECRET_KEY": "test-secret-" + "x" * 40,
            # the key that seals approved months, made on first use: never in the working tree
            "WASTEMATCH_SEAL_KEY_FILE": str(tmp_path_factory.mktemp("seal") / "seal.pem"),
        }
    )
