"""Engines and the unit of work.

SQLite gets two engines on the same file: reads begin a plain (deferred) transaction, writes begin
IMMEDIATE so a read-then-write service takes the write lock up front and cannot lose a race to a
stale snapshot. PostgreSQL needs no such split; services lock rows with SELECT ... FOR UPDATE.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, create_engine

from market.errors import Conflict

T = TypeVar("T")
P = ParamSpec("P")


def unique_violation(exc: IntegrityError) -> str | None:
    """The unique constraint (or its columns, on SQLite) a failed insert ran into, or None."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "23505":
        diag = getattr(orig, "diag", None)
        return getattr(diag, "constraint_name", None) or "unique"
    text = str(orig)
    if text.startswith("UNIQUE constraint failed"):
        return text.partition(": ")[2] or "unique"
    return None


class Database:
    def __init__(self, url: str, *, pool_size: int = 20, echo: bool = False) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite:
            database = parsed.database or ""
            memory = database in ("", ":memory:") or "mode=memory" in url
            if not memory:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
            if memory:
                from sqlalchemy.pool import StaticPool

                kwargs["poolclass"] = StaticPool
            base = create_engine(url, echo=echo, **kwargs)
            _configure_sqlite(base, wal=not memory)
            self.read_engine: Engine = base
            self.write_engine: Engine = base.execution_options(sqlite_begin="IMMEDIATE")
        else:
            # Connections are kept, not churned: a new PostgreSQL backend costs more than most
            # requests. No pre-ping either (a round trip per checkout); a dropped connection
            # invalidates the pool on first use, that request answers 503 and the next reconnects.
            # The listings join six or seven tables: planning them took 5 ms, running them 0.7.
            # Statements are prepared on their second use and keep their generic plan.
            base = create_engine(
                url,
                echo=echo,
                pool_size=pool_size,
                max_overflow=10,
                connect_args={
                    "prepare_threshold": 1,
                    "options": "-c plan_cache_mode=force_generic_plan",
                },
            )
            # Reads run in autocommit: under READ COMMITTED each statement sees its own
            # snapshot inside a transaction too, so BEGIN and ROLLBACK around a listing bought
            # nothing but two round trips.
            self.read_engine = base.execution_options(isolation_level="AUTOCOMMIT")
            self.write_engine = base

    def read_session(self) -> Session:
        return Session(self.read_engine, expire_on_commit=False)

    def unit_of_work(self, *, batch: bool = False) -> UnitOfWork:
        return UnitOfWork(self, batch=batch)

    def read(self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kw: P.kwargs) -> T:
        """`fn(session, *args, **kw)` in a read session; its type is `fn`'s."""
        with self.read_session() as session:
            return fn(session, *args, **kw)

    def run(self, fn: Callable[Concatenate[UnitOfWork, P], T], *args: P.args, **kw: P.kwargs) -> T:
        """`fn(uow, *args)` in a unit of work, once more if it lost a race to a unique constraint.

        Two requests can both find a manifest number, an idempotency key or a site name free and
        both insert it; the database lets one through and refuses the other (IntegrityError,
        which was a 500). Run again, the loser finds the winner's row and refuses (or replays)
        the way the service always does. A second loss is a conflict, not an error.
        """
        for attempt in (1, 2):
            try:
                with self.unit_of_work() as uow:
                    return fn(uow, *args, **kw)
            except IntegrityError as exc:
                constraint = unique_violation(exc)
                if constraint is None:
                    raise
                if attempt == 2:
                    raise Conflict(
                        "{field}: another request changed the same thing at the "
                        "same time; try again",
                        field=constraint,
                    ) from None
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        self.read_engine.dispose()


def _configure_sqlite(engine: Engine, *, wal: bool) -> None:
    # pysqlite's own transaction handling begins lazily and only before DML; take it over
    # (the SQLAlchemy-documented recipe) so every transaction is explicit and can be IMMEDIATE.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


class UnitOfWork:
    """One business transaction: commit explicitly, roll back on anything else.

    In `batch` mode each service's commit only flushes and `finish()` commits once: loading the
    demo data set goes through the same services, yet lands whole or not at all.
    """

    def __init__(self, db: Database, *, batch: bool = False) -> None:
        self.db = db
        self.session: Session = Session(db.write_engine, expire_on_commit=False)
        self.batch = batch
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed:
            self.session.rollback()
        self.session.close()

    @property
    def is_postgres(self) -> bool:
        return not self.db.is_sqlite

    def commit(self) -> None:
        if self.batch:
            self.session.flush()
            return
        self.session.commit()
        self._committed = True

    def finish(self) -> None:
        self.session.commit()
        self._committed = True

    def flush(self) -> None:
        self.session.flush()
