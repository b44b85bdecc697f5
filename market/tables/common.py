"""What every table module shares: the aware UTC clock for timestamp defaults."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Aware UTC; SQLModel stores it as timestamptz on PostgreSQL and as UTC text on SQLite."""
    return datetime.now(UTC)
