"""The running system: stored settings and background jobs."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel

from market.tables.common import utcnow


class AppSetting(SQLModel, table=True):
    """Operator-editable configuration (e.g. the match-run schedule)."""

    __tablename__ = "app_setting"
    key: str = Field(primary_key=True, max_length=60)
    value: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    updated_by: int | None = Field(default=None, foreign_key="users.id")
    updated_at: datetime = Field(default_factory=utcnow)


JOB_KINDS = ("match_run", "drawdown", "siting", "verify")
JOB_STATUSES = ("queued", "running", "done", "failed", "cancelled")


class Job(SQLModel, table=True):
    """Long work (a match run, the planner, siting, the full tamper check) done by a worker.

    A worker claims the oldest queued row in a write transaction (FOR UPDATE SKIP LOCKED on
    PostgreSQL, SQLite's IMMEDIATE transaction) and beats `heartbeat_at` while it runs; a
    running row whose heartbeat is older than the limit is put back in the queue (or failed
    after `max_attempts`), never left running (market/jobs.py)."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_status_id", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    status: str = Field(default="queued", max_length=20)
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    """What the worker needs to do the work again from scratch (a retry starts over)."""
    result: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    result_url: str | None = Field(default=None, max_length=200)
    error: str | None = Field(default=None, max_length=2000)
    progress: float = 0.0
    stage: str = Field(default="", max_length=100)
    attempts: int = 0
    max_attempts: int = 3
    cancel_requested: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    created_by: int | None = Field(default=None, foreign_key="users.id", index=True)
    """None for a scheduled run."""
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    heartbeat_at: datetime | None = None
    finished_at: datetime | None = None
    worker: str | None = Field(default=None, max_length=120)
