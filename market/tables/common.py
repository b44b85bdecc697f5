"""What every table module shares: the aware UTC clock for timestamp defaults, and the partial
unique index both databases hold."""

from datetime import UTC, datetime

from sqlalchemy import Index, text


def utcnow() -> datetime:
    """Aware UTC; SQLModel stores it as timestamptz on PostgreSQL and as UTC text on SQLite."""
    return datetime.now(UTC)


def unique_where(name: str, *columns: str, where: str) -> Index:
    """A unique index over the rows that match `where` (SQL), on SQLite and PostgreSQL alike."""
    return Index(
        name, *columns, unique=True, sqlite_where=text(where), postgresql_where=text(where)
    )
