"""Shared fixtures: real databases (SQLite files, and PostgreSQL when it answers)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.pg import (
    MIGRATED,
    drop_pg_database,
    fresh_pg_database,
    migrate,
    skip_without_postgres,
)

if TYPE_CHECKING:
    from market.db import Database

KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=KINDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty database of each kind: a SQLite file, and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    skip_without_postgres()
    url, name = fresh_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(name)


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Migrate once per session (SQLite here; PostgreSQL in `MIGRATED`); each test then starts
    from a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate(f"sqlite:///{path}")
    return {"sqlite": str(path)}


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    MIGRATED.drop()


@pytest.fixture(params=KINDS)
def db(
    request: pytest.FixtureRequest,
    migrated_templates: dict[str, str],
    tmp_path: Path,
) -> Iterator[Database]:
    """A migrated database with the catalogue synced, on SQLite and on PostgreSQL."""
    from market.db import Database

    name = None
    if request.param == "sqlite":
        target = tmp_path / "test.db"
        shutil.copyfile(migrated_templates["sqlite"], target)
        url = f"sqlite:///{target}"
    else:
        skip_without_postgres()
        url, name = MIGRATED.copy()
    database = Database(url)
    try:
        yield database
    finally:
        database.dispose()
        if name:
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
