"""PostgreSQL for tests: is it there (and if not, why the test skips), and databases made and
dropped per test, empty or copied from a template."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import Any

import pytest

PG_ADMIN_URL = os.environ.get(
    "WASTEMATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _connect(**options: Any) -> Any:
    """A psycopg connection to the admin database."""
    return connect_admin(PG_ADMIN_URL, **options)


def connect_admin(admin_url: str, **options: Any) -> Any:
    """A psycopg connection to the database of `admin_url` (an SQLAlchemy URL), as its user."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(admin_url)
    return psycopg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        dbname=url.database,
        password=url.password,
        **options,
    )


def _pg_unavailable_reason() -> str | None:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install -e '.[test]')"
    try:
        conn = _connect(connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 - any failure means "not available here"
        from sqlalchemy.engine import make_url

        url = make_url(PG_ADMIN_URL)
        return f"PostgreSQL at {url.host}:{url.port} does not answer ({type(exc).__name__}: {exc})"
    conn.close()
    return None


_PG_REASON: str | None | bool = False


def pg_reason() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when PostgreSQL answers (asked once)."""
    global _PG_REASON
    if _PG_REASON is False:
        _PG_REASON = _pg_unavailable_reason()
    return _PG_REASON  # type: ignore[return-value]


def skip_without_postgres() -> None:
    """Skip the calling test, saying why, when PostgreSQL does not answer."""
    reason = pg_reason()
    if reason:
        pytest.skip(f"PostgreSQL tests skipped: {reason}")


def fresh_pg_database(template: str | None = None) -> tuple[str, str]:
    """Create a database (empty, or a copy of `template`); returns (url, name)."""
    from sqlalchemy.engine import make_url

    name = f"wm_test_{uuid.uuid4().hex[:12]}"
    with _connect(autocommit=True) as conn:
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{suffix}')
    url = make_url(PG_ADMIN_URL).set(database=name)
    return url.render_as_string(hide_password=False), name


def drop_pg_database(name: str) -> None:
    with _connect(autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Template:
    """A database made once (by `fill`, given its url) on first use, copied for every test
    that asks, and dropped by `drop` at the end of the session."""

    def __init__(self, fill: Callable[[str], None]) -> None:
        self.fill = fill
        self.name: str | None = None

    def copy(self) -> tuple[str, str]:
        """A fresh copy of the template: (url, name)."""
        if self.name is None:
            url, name = fresh_pg_database()
            self.fill(url)
            self.name = name
        return fresh_pg_database(template=self.name)

    def drop(self) -> None:
        if self.name is not None:
            drop_pg_database(self.name)
            self.name = None


def migrate(url: str) -> None:
    """Bring a database to the latest schema with the catalogue synced."""
    from market.db import Database
    from market.migrate import upgrade
    from market.seed import sync_catalogue

    upgrade(url)
    database = Database(url)
    sync_catalogue(database)
    database.dispose()


# every test's PostgreSQL `db` starts as a copy of this
MIGRATED = Template(migrate)
