"""Long work as jobs: starting one (checked and queued), who sees and cancels it, and the work
each kind does when a worker claims it (the queue itself is market/jobs.py).

Kinds: `match_run` (operator, regulator; also the schedule's runs), `drawdown` and `siting`
(the planner; regulator, operator), `verify` (the full tamper check; regulator, operator),
`export` (a large CSV or Excel export: market/services/export_jobs.py).
The request is checked when the job is started, so a bad one is refused at once (4xx) and a
queued job can only fail for reasons of the moment (the market changed, a worker died).

Who sees a job: the user who started it and the rest of their organisation; every regulator
also sees the tamper checks, and regulators and operators see the schedule's runs. Only the
user who started a job may cancel it (an operator, a scheduled one).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from market import clock, jobs, planning
from market.auth import Actor, actor_for
from market.db import Database, UnitOfWork
from market.errors import InvalidInput, NotAllowed, NotFound
from market.jobs import Claim, Progress
from market.services.common import MAX_ID, OVERSEERS
from market.services.export_jobs import do_export
from market.services.matching import check_params, run_match
from market.settings import Settings
from market.tables import Job, Lot, MatchRun, Offer, User
from market.views import (
    lots_with_open_tonnes,
    offers_with_open_capacity,
    open_lot_condition,
    open_offer_condition,
)
from market.wide import WideSelect

KIND_TITLES = {
    "match_run": "Match run",
    "drawdown": "Drawdown plan",
    "siting": "Siting analysis",
    "verify": "Tamper check",
    "export": "Export",
}
PAGE_OF_RESULT = {
    "drawdown": "/audit/planner?job={id}",
    "siting": "/audit/siting?job={id}",
    "verify": "/audit/verify?job={id}",
    "export": "/jobs/{id}/download",
}


# ----------------------------------------------------------------------------- size


def market_pairs(session: Session, today: date | None = None) -> int:
    """Open lots x open offers: the size of a match run (and of a plan or siting) over today's
    market, counted without loading it."""
    today = today or clock.today()
    lq, lot_open = lots_with_open_tonnes()
    oq, offer_open = offers_with_open_capacity()
    lots = _how_many(
        session,
        lq.where(open_lot_condition(lot_open, today), col(Lot.available_from) <= today),
        col(Lot.id),
    )
    offers = _how_many(
        session,
        oq.where(open_offer_condition(offer_open, today), col(Offer.period_start) <= today),
        col(Offer.id),
    )
    return lots * offers


def _how_many(session: Session, q: WideSelect, key: Any) -> int:
    """How many rows `q` selects, counted by the database over `key` alone."""
    return int(
        session.exec(select(func.count()).select_from(q.with_only_columns(key).subquery())).one()
    )


def is_large(db: Database, settings: Settings) -> bool:
    """Whether work over today's market goes to a worker (202) rather than the request."""
    with db.read_session() as session:
        return market_pairs(session) > settings.inline_max_pairs


# ----------------------------------------------------------------------------- starting


def _start(
    db: Database,
    actor: Actor | None,
    settings: Settings,
    kind: str,
    params: dict[str, Any],
) -> Job:
    with db.unit_of_work() as uow:
        job = jobs.enqueue(
            uow,
            kind,
            params,
            created_by=actor.user_id if actor else None,
            organisation_id=actor.organisation_id if actor else None,
            max_attempts=settings.job_max_attempts,
        )
        uow.commit()
    return job


def start_match_run(
    db: Database,
    actor: Actor | None,
    settings: Settings,
    raw_params: Mapping[str, Any] | None = None,
    *,
    trigger: str = "manual",
) -> Job:
    if actor is not None:
        actor.require("operator", "regulator")
    check_params(raw_params, settings)  # refused now, not in the worker
    return _start(
        db,
        actor,
        settings,
        "match_run",
        {"params": dict(raw_params) if raw_params is not None else None, "trigger": trigger},
    )


def start_drawdown(db: Database, actor: Actor, settings: Settings, raw: Mapping[str, Any]) -> Job:
    actor.require(*OVERSEERS)
    planning.parse_drawdown(raw)
    return _start(db, actor, settings, "drawdown", {"request": dict(raw)})


def start_siting(db: Database, actor: Actor, settings: Settings, raw: Mapping[str, Any]) -> Job:
    actor.require(*OVERSEERS)
    request = dict(raw)
    zones = request.get("zones")
    if isinstance(zones, bytes):
        # a page's upload: kept as text in the job (parse_zones reads text as it reads bytes)
        try:
            request["zones"] = zones.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(
                "zones: the file is not UTF-8 text (GeoJSON)", field="zones"
            ) from None
    planning.parse_siting(request)
    return _start(db, actor, settings, "siting", {"request": request})


def start_verify(
    db: Database, actor: Actor, settings: Settings, organisation_id: int | None
) -> Job:
    actor.require(*OVERSEERS)
    from market import audit

    with db.read_session() as session:
        audit.check_scope(session, audit.Scope(organisation_id=organisation_id))
    return _start(db, actor, settings, "verify", {"organisation_id": organisation_id})


# ----------------------------------------------------------------------------- reading


def visible(actor: Actor, job: Job) -> bool:
    if job.created_by == actor.user_id:
        return True
    if job.organisation_id is not None and job.organisation_id == actor.organisation_id:
        return True
    if job.kind == "verify" and actor.role == "regulator":
        return True
    return job.created_by is None and actor.role in OVERSEERS


def get_job(session: Session, actor: Actor, job_id: int) -> Job:
    job = session.get(Job, job_id) if 0 < job_id <= MAX_ID else None
    if job is None or not visible(actor, job):
        raise NotFound("job: {value} does not exist", field="job", value=job_id)
    return job


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    from datetime import UTC

    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def job_public(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "progress": round(job.progress, 4),
        "stage": job.stage,
        "result_url": job.result_url,
        "error": job.error,
        "url": f"/api/v1/jobs/{job.id}",
        "attempts": job.attempts,
        "cancel_requested": job.cancel_requested,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
    }


def read_job(session: Session, actor: Actor, job_id: int) -> dict[str, Any]:
    return job_public(get_job(session, actor, job_id))


def job_result(session: Session, actor: Actor, job_id: int) -> dict[str, Any]:
    """The stored answer of a done planner, siting or tamper-check job."""
    job = get_job(session, actor, job_id)
    if job.status != "done" or job.result is None or job.kind == "match_run":
        raise NotFound(
            "job: {job_id} has no result here (status {job_status})",
            field="job",
            job_id=job_id,
            job_status=job.status,
        )
    return dict(job.result)


def page_of_result(job: Job) -> str | None:
    """Where a person reads a done job's result."""
    if job.status != "done":
        return None
    if job.kind == "match_run":
        run_id = (job.result or {}).get("match_run_id")
        return f"/match-runs/{run_id}" if run_id else None
    return PAGE_OF_RESULT[job.kind].format(id=job.id)


def list_jobs(session: Session, actor: Actor, limit: int = 20) -> list[dict[str, Any]]:
    rows = session.exec(select(Job).order_by(col(Job.id).desc()).limit(500)).all()
    return [job_public(j) for j in rows if visible(actor, j)][:limit]


def cancel(uow: UnitOfWork, actor: Actor, job_id: int) -> Job:
    job = get_job(uow.session, actor, job_id)
    if uow.is_postgres:
        job = uow.session.exec(
            select(Job)
            .where(Job.id == job_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
    own = job.created_by == actor.user_id or (job.created_by is None and actor.role == "operator")
    if not own:
        raise NotAllowed(
            "job: {job_id} was started by someone else; only they may cancel it", job_id=job_id
        )
    return jobs.request_cancel(uow, job)


# ----------------------------------------------------------------------------- the work


def _actor(db: Database, claimed: Claim) -> Actor | None:
    if claimed.created_by is None:
        return None
    with db.read_session() as session:
        user = session.get(User, claimed.created_by)
        if user is None or not user.is_active:
            raise NotAllowed(
                "job: user {claimed_created_by}, who started it, is no longer active",
                claimed_created_by=claimed.created_by,
            )
        return actor_for(session, user)


def _do_match_run(db: Database, settings: Settings, claimed: Claim, progress: Progress) -> None:
    actor = _actor(db, claimed)

    def then(uow: UnitOfWork, run: MatchRun) -> None:
        jobs.finish(
            db,
            claimed,
            result={"match_run_id": run.id, "status": run.status},
            result_url=f"/api/v1/match-runs/{run.id}",
            uow=uow,
        )

    run_match(
        db,
        actor,
        settings,
        claimed.params.get("params"),
        trigger=str(claimed.params.get("trigger") or "manual"),
        progress=progress,
        then=then,
    )


Handler = Callable[[Database, Settings, Claim, Progress], None]


def _planner(stage: str, analysis: planning.Analysis) -> Handler:
    """A job that runs one of the planner's analyses on the request it was queued with."""

    def run(db: Database, settings: Settings, claimed: Claim, progress: Progress) -> None:
        actor = _actor(db, claimed)
        assert actor is not None
        progress(0.05, stage)
        result = analysis(db, actor, settings, claimed.params["request"])
        progress(0.95, "saving")
        jobs.finish(db, claimed, result=result, result_url=f"/api/v1/jobs/{claimed.id}/result")

    return run


def _do_verify(db: Database, settings: Settings, claimed: Claim, progress: Progress) -> None:
    from market import audit
    from market.seals import load_or_create

    actor = _actor(db, claimed)
    assert actor is not None
    key = load_or_create(settings.seal_key_path())
    with db.read_session() as session:
        # the check reports its own stages as 0 to 0.95 of the job; saving its answer is the rest
        result = audit.verify(
            session,
            actor,
            claimed.params.get("organisation_id"),
            seal_key=key,
            progress=lambda fraction, stage: progress(0.95 * fraction, stage),
        )
    progress(0.98, "saving")
    jobs.finish(db, claimed, result=result, result_url=f"/api/v1/jobs/{claimed.id}/result")


HANDLERS: dict[str, Handler] = {
    "match_run": _do_match_run,
    "drawdown": _planner("planning", planning.drawdown),
    "siting": _planner("ranking sites", planning.siting_analysis),
    "verify": _do_verify,
    "export": do_export,
}
