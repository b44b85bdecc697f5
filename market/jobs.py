"""The job queue: rows of `job`, claimed by exactly one worker, beaten while they run.

The pattern of Oban, Solid Queue and procrastinate, on the two databases the app runs on:

- **claim**: in one write transaction, the oldest `queued` row becomes `running`, with this
  worker's name, `attempts + 1` and a fresh heartbeat. PostgreSQL selects it `FOR UPDATE SKIP
  LOCKED`, so racing workers each take a different row and never wait on each other; SQLite's
  IMMEDIATE transaction (market/db.py) holds the database's only write lock, so the second
  worker reads after the first committed and finds the row taken.
- **fencing**: every later write of a worker (progress, heartbeat, finish, fail) names the job
  *and the attempt it claimed*; a worker that was presumed dead and whose job was claimed again
  writes nothing (its UPDATE matches no row).
- **heartbeat**: a running job's worker writes `heartbeat_at` every `heartbeat_s`. `reap` puts
  a running job whose heartbeat is older than `stale_s` back in the queue, or fails it with the
  reason once it has used its `max_attempts`: no job is left running for a worker that died.
- **cancel**: a queued job is cancelled at once; a running one gets `cancel_requested`, which
  its worker reads at the next progress report and honours between stages.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from market.db import Database, UnitOfWork
from market.errors import Conflict
from market.tables import Job, utcnow

log = logging.getLogger("wastematch.jobs")

DONE_STATUSES = ("done", "failed", "cancelled")
PROGRESS_WRITE_S = 0.5
"""A worker writes its progress at most this often (a change of stage is written at once)."""


class JobCancelled(Exception):
    """Raised by a progress report when the job's owner asked to cancel it."""


class JobLost(Exception):
    """Raised by a progress report when the job is no longer this worker's (it was reaped)."""


def worker_name(suffix: str = "") -> str:
    thread = threading.current_thread().name
    return f"{socket.gethostname()}:{os.getpid()}:{thread}{suffix}"[:120]


@dataclass(frozen=True)
class Claim:
    """A job as its worker claimed it: the attempt number fences every later write."""

    id: int
    kind: str
    params: dict[str, Any]
    attempt: int
    created_by: int | None
    organisation_id: int | None


def enqueue(
    uow: UnitOfWork,
    kind: str,
    params: dict[str, Any],
    *,
    created_by: int | None,
    organisation_id: int | None,
    max_attempts: int = 3,
    stage: str = "queued",
) -> Job:
    job = Job(
        kind=kind,
        params=params,
        created_by=created_by,
        organisation_id=organisation_id,
        max_attempts=max_attempts,
        stage=stage,
    )
    uow.session.add(job)
    uow.flush()
    return job


def claim(db: Database, worker: str, now: datetime | None = None) -> Claim | None:
    """The oldest queued job, now running for `worker`; None when the queue is empty."""
    now = now or utcnow()
    with db.unit_of_work() as uow:
        query = select(Job).where(Job.status == "queued").order_by(col(Job.id)).limit(1)
        if uow.is_postgres:
            query = query.with_for_update(skip_locked=True)
        job = uow.session.exec(query).first()
        if job is None:
            return None
        assert job.id is not None
        job.status = "running"
        job.attempts += 1
        job.worker = worker
        job.started_at = now
        job.heartbeat_at = now
        job.stage = "started"
        job.progress = 0.0
        uow.session.add(job)
        claimed = Claim(
            job.id,
            job.kind,
            dict(job.params),
            job.attempts,
            job.created_by,
            job.organisation_id,
        )
        uow.commit()
    return claimed


def _mine(claimed: Claim) -> Any:
    return (
        (col(Job.id) == claimed.id)
        & (col(Job.attempts) == claimed.attempt)
        & (col(Job.status) == "running")
    )


def _update(db: Database, claimed: Claim, **values: Any) -> bool:
    """Write to the job if it is still this claim's; False if it is not (reaped, taken)."""
    with db.unit_of_work() as uow:
        done = uow.session.execute(update(Job).where(_mine(claimed)).values(**values))
        uow.commit()
    return bool(done.rowcount)  # type: ignore[attr-defined]


def heartbeat(db: Database, claimed: Claim, now: datetime | None = None) -> bool:
    return _update(db, claimed, heartbeat_at=now or utcnow())


def report(db: Database, claimed: Claim, fraction: float, stage: str) -> bool:
    """Write progress and a heartbeat; True if the owner asked to cancel. Raises JobLost."""
    fraction = min(1.0, max(0.0, float(fraction)))
    if not _update(db, claimed, progress=fraction, stage=stage[:100], heartbeat_at=utcnow()):
        raise JobLost(f"job {claimed.id}: no longer running as attempt {claimed.attempt}")
    with db.read_session() as session:
        flag = session.exec(select(Job.cancel_requested).where(Job.id == claimed.id)).first()
    return bool(flag)


def finish(
    db: Database,
    claimed: Claim,
    *,
    result: dict[str, Any] | None = None,
    result_url: str | None = None,
    uow: UnitOfWork | None = None,
) -> bool:
    """Mark the job done; inside `uow` when given, so the result and the job commit together."""
    values = {
        "status": "done",
        "progress": 1.0,
        "stage": "done",
        "result": result,
        "result_url": result_url,
        "error": None,
        "finished_at": utcnow(),
    }
    if uow is not None:
        done = uow.session.execute(update(Job).where(_mine(claimed)).values(**values))
        return bool(done.rowcount)  # type: ignore[attr-defined]
    return _update(db, claimed, **values)


def fail(db: Database, claimed: Claim, error: str) -> bool:
    return _update(db, claimed, status="failed", error=error[:2000], finished_at=utcnow())


def cancelled(db: Database, claimed: Claim) -> bool:
    return _update(
        db, claimed, status="cancelled", stage="cancelled", error=None, finished_at=utcnow()
    )


def request_cancel(uow: UnitOfWork, job: Job) -> Job:
    """A queued job ends now; a running one is asked to stop at its next stage."""
    if job.status in DONE_STATUSES:
        raise Conflict(
            "job: {value} is already {job_status}", field="job", value=job.id, job_status=job.status
        )
    if job.status == "queued":
        job.status = "cancelled"
        job.stage = "cancelled"
        job.finished_at = utcnow()
    else:
        job.cancel_requested = True
    uow.session.add(job)
    uow.commit()
    return job


def reap(db: Database, stale_s: float, now: datetime | None = None) -> list[int]:
    """Running jobs whose worker stopped beating: queued again, or failed after their attempts.

    Cheap when there is nothing to do (one indexed read, no write lock)."""
    now = now or utcnow()
    limit = now - timedelta(seconds=stale_s)
    stale = (col(Job.status) == "running") & (col(Job.heartbeat_at) < limit)
    with db.read_session() as session:
        if session.exec(select(Job.id).where(stale).limit(1)).first() is None:
            return []
    touched = []
    with db.unit_of_work() as uow:
        query = select(Job).where(stale).order_by(col(Job.id))
        if uow.is_postgres:
            query = query.with_for_update(skip_locked=True)
        for job in uow.session.exec(query).all():
            beat = job.heartbeat_at
            silent = (now - _aware(beat)).total_seconds() if beat else stale_s
            reason = (
                f"attempt {job.attempts}: worker {job.worker} stopped answering "
                f"(no heartbeat for {silent:.0f} s)"
            )
            if job.cancel_requested:
                job.status, job.stage, job.finished_at = "cancelled", "cancelled", now
                job.error = reason
            elif job.attempts < job.max_attempts:
                job.status, job.stage, job.progress = "queued", "queued again", 0.0
                job.error = reason + "; queued again"
            else:
                job.status, job.finished_at = "failed", now
                job.error = reason + f"; failed after {job.attempts} attempts"
            job.worker = None
            uow.session.add(job)
            assert job.id is not None
            touched.append(job.id)
            log.warning("job %s: %s", job.id, job.error)
        uow.commit()
    return touched


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Progress:
    """The callback a job's work reports through: `progress(fraction, stage)`.

    Writes at most every PROGRESS_WRITE_S (at once on a new stage), and raises JobCancelled
    when the job's owner asked to cancel: the work stops between stages, where it can.
    Stages of a sub-task map into [start, end] of the whole with `part`.
    """

    def __init__(self, db: Database, claimed: Claim, start: float = 0.0, end: float = 1.0):
        self.db = db
        self.claimed = claimed
        self.start, self.end = start, end
        self._last = (-1.0, "")
        self._last_at = 0.0

    def __call__(self, fraction: float, stage: str) -> None:
        whole = self.start + (self.end - self.start) * min(1.0, max(0.0, fraction))
        now = time.monotonic()
        if stage == self._last[1] and now - self._last_at < PROGRESS_WRITE_S:
            return
        self._last, self._last_at = (whole, stage), now
        if report(self.db, self.claimed, whole, stage):
            raise JobCancelled(f"job {self.claimed.id}: cancelled at {stage!r}")

    def part(self, start: float, end: float) -> Progress:
        span = self.end - self.start
        sub = Progress(self.db, self.claimed, self.start + span * start, self.start + span * end)
        return sub


ProgressFn = Callable[[float, str], None]


def no_progress(_fraction: float, _stage: str) -> None:
    """The callback of work done at once, in the request."""
