"""The match-run schedule: "run every N hours", kept in the `app_setting` row `match_schedule`.

Every app worker checks it once a minute; whichever first locks the row (SELECT ... FOR UPDATE on
PostgreSQL, SQLite's IMMEDIATE write transaction) and finds a run due records `last_started_at`
and queues the run as a job in the same transaction, so the others see the claim and stand down.
A job worker (market/worker.py) then solves it, like any other run.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from market import fields
from market.auth import Actor
from market.db import Database, UnitOfWork
from market.errors import InvalidInput
from market.jobs import enqueue
from market.settings import Settings
from market.tables import AppSetting, Job, MatchRun, utcnow

KEY = "match_schedule"
MAX_EVERY_HOURS = 24 * 31
# a run started by hand resets the clock as a scheduled one does; demo and seed runs do not
COUNTED_TRIGGERS = ("schedule", "manual")

log = logging.getLogger("wastematch.schedule")


def _aware(moment: datetime) -> datetime:
    # SQLite hands timestamps back without a zone; they were written as UTC
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _parse_moment(raw: Any) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        return _aware(datetime.fromisoformat(raw))
    except ValueError:
        return None


def last_counted_start(session: Session, setting: AppSetting | None) -> datetime | None:
    """The later of the last claimed scheduled start and the last manual or scheduled run."""
    latest = session.exec(
        select(func.max(MatchRun.started_at)).where(col(MatchRun.trigger).in_(COUNTED_TRIGGERS))
    ).one()
    moments = [_aware(latest)] if latest is not None else []
    claimed = _parse_moment(setting.value.get("last_started_at")) if setting else None
    if claimed is not None:
        moments.append(claimed)
    return max(moments) if moments else None


def get_schedule(session: Session) -> dict[str, Any]:
    setting = session.get(AppSetting, KEY)
    every = int(setting.value.get("every_hours", 0)) if setting else 0
    last = last_counted_start(session, setting)
    return {
        "every_hours": every,
        "last_started_at": last.isoformat() if last else None,
        "next_due_at": (last + timedelta(hours=every)).isoformat() if every and last else None,
        "updated_at": _aware(setting.updated_at).isoformat() if setting else None,
    }


def set_schedule(uow: UnitOfWork, actor: Actor, every_hours: Any) -> AppSetting:
    """The operator sets the interval in whole hours; 0 turns scheduled runs off."""
    actor.require("operator")
    hours = fields.integer({"every_hours": every_hours}, "every_hours")
    assert hours is not None
    if not 0 <= hours <= MAX_EVERY_HOURS:
        raise InvalidInput.about(
            "every_hours", every_hours, f"must be from 0 (off) to {MAX_EVERY_HOURS}"
        )
    setting = _locked(uow.session) or AppSetting(key=KEY, value={})
    setting.value = {**setting.value, "every_hours": hours}
    setting.updated_by = actor.user_id
    setting.updated_at = utcnow()
    uow.session.add(setting)
    uow.commit()
    return setting


def _locked(session: Session) -> AppSetting | None:
    """The schedule row, locked before it is read so that what we read is the latest."""
    query = select(AppSetting).where(AppSetting.key == KEY)
    # SQLite's IMMEDIATE transaction already holds the database's only write lock
    if session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update()
    return session.exec(query).first()


def _claim(db: Database, settings: Settings, now: datetime) -> Job | None:
    """Lock the schedule row and, when a run is due, record the start and queue the run: the
    job if this caller won."""
    with db.unit_of_work() as uow:
        setting = _locked(uow.session)
        every = int(setting.value.get("every_hours", 0) or 0) if setting else 0
        if setting is None or every <= 0:
            return None
        last = last_counted_start(uow.session, setting)
        if last is not None and now - last < timedelta(hours=every):
            return None
        setting.value = {**setting.value, "last_started_at": now.isoformat()}
        uow.session.add(setting)
        job = enqueue(
            uow,
            "match_run",
            {"params": None, "trigger": "schedule"},
            created_by=None,
            organisation_id=None,
            max_attempts=settings.job_max_attempts,
        )
        uow.commit()
        return job


def run_if_due(db: Database, settings: Settings, now: datetime | None = None) -> Job | None:
    """Queue a scheduled run when the last scheduled or manual one is older than the interval.

    Safe with several app workers: only the one that claims the row queues it. A run whose
    solve fails keeps its claim, so a broken problem is retried one interval later, not every
    minute.
    """
    now = _aware(now) if now else utcnow()
    with db.read_session() as session:
        setting = session.get(AppSetting, KEY)
        if setting is None or not setting.value.get("every_hours"):
            return None  # off: no write lock taken
    job = _claim(db, settings, now)
    if job is not None:
        log.info("scheduled match run queued as job %s", job.id)
    return job
