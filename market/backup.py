"""Backups of the embedded SQLite database (PostgreSQL: use pg_dump, see the README)."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from market.db import Database
from market.errors import N_, InvalidInput
from market.integrity import verify_all


def sqlite_path(url: str) -> Path:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        raise InvalidInput(
            "database: {url} is not a "
            "SQLite file; back up PostgreSQL with pg_dump -Fc (see "
            "the README)",
            field="database",
            url=parsed.render_as_string(hide_password=True),
        )
    return Path(parsed.database)


def backup(url: str, target: Path) -> int:
    """Copy a live SQLite database with its online-backup API; returns the pages copied.

    Writers may go on meanwhile: the copy is a consistent snapshot.
    """
    source = sqlite_path(url)
    if not source.exists():
        raise InvalidInput("database: {source} does not exist", field="database", source=source)
    if target.exists():
        raise InvalidInput(
            "output: {target} exists; choose a new file", field="output", target=target
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".partial")
    pages = _snapshot(source, partial)
    partial.rename(target)
    return pages


@contextmanager
def _refused_if_not_sqlite(template: str, **words: Any) -> Iterator[None]:
    """A file SQLite cannot read as a database is refused in `template`'s words (and `exc`)."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(template, **words, exc=exc) from None


def _snapshot(source: Path, target: Path) -> int:
    """SQLite's online backup: a consistent copy that includes what is still in the -wal file
    (a plain file copy would miss it), written as a single self-contained file."""
    not_sqlite = N_("input: {source} is not a SQLite database ({exc})")
    with (
        closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src,
        closing(sqlite3.connect(target)) as dst,
        _refused_if_not_sqlite(not_sqlite, source=source),
    ):
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
        return int(dst.execute("PRAGMA page_count").fetchone()[0])


def check_backup(path: Path) -> dict[str, object]:
    """SQLite's own integrity check, then every ledger chain, on a copy of the backup."""
    if not path.exists():
        raise InvalidInput("input: {path} does not exist", field="input", path=path)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "check.db"
        _snapshot(path, copy)
        with (
            closing(sqlite3.connect(copy)) as conn,
            _refused_if_not_sqlite(N_("input: {path} is not a SQLite database ({exc})"), path=path),
        ):
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise InvalidInput(
                "input: {path} fails SQLite's integrity check: {result}", path=path, result=result
            )
        db = Database(f"sqlite:///{copy}")
        try:
            with db.read_session() as session:
                report = verify_all(session)
        finally:
            db.dispose()
    if not report["ok"]:
        first = report["breaks"][0]["message"]
        raise InvalidInput(
            "input: {path} has a broken ledger chain: {first}", path=path, first=first
        )
    return report


def restore(source: Path, url: str, *, force: bool = False) -> dict[str, object]:
    """Check a backup, then put it in place of the configured SQLite database."""
    report = check_backup(source)
    target = sqlite_path(url)
    if target.exists() and not force:
        raise InvalidInput(
            "database: {target} exists; pass --force to replace it", field="database", target=target
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_suffix(target.suffix + ".restoring")
    if staging.exists():
        staging.unlink()
    _snapshot(source, staging)
    for suffix in ("-wal", "-shm"):
        stale = target.with_name(target.name + suffix)
        if stale.exists():
            stale.unlink()
    staging.replace(target)
    return report
