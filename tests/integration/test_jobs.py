"""The job queue on SQLite and PostgreSQL: a job is claimed once, beaten while it runs, put back
or failed with the reason when its worker dies, cancelled between stages, and a match run done
as a job reports its stages and ends with its run."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import col, select

from market import jobs
from market.db import Database
from market.errors import Conflict, NotAllowed, NotFound
from market.services import jobs as job_service
from market.services.matching import run_match
from market.tables import Job, MatchRun, utcnow
from market.worker import Worker
from tests.support import builders as b


def queue(db: Database, n: int, kind: str = "match_run", **extra) -> list[int]:
    ids = []
    with db.unit_of_work() as uow:
        for _ in range(n):
            job = jobs.enqueue(
                uow, kind, {"params": None}, created_by=None, organisation_id=None, **extra
            )
            ids.append(job.id)
        uow.commit()
    return ids


def row(db: Database, job_id: int) -> Job:
    with db.read_session() as s:
        job = s.get(Job, job_id)
        assert job is not None
        return job


@pytest.fixture
def market(db):
    b.lot_and_offer_that_match(db)
    return db


# ----------------------------------------------------------------------------- claiming


def test_the_oldest_queued_job_is_claimed_first_and_runs_for_its_worker(db):
    first, second = queue(db, 2)
    claimed = jobs.claim(db, "w1")
    assert claimed is not None and (claimed.id, claimed.attempt) == (first, 1)
    job = row(db, first)
    assert (job.status, job.worker, job.attempts) == ("running", "w1", 1)
    assert job.heartbeat_at is not None
    assert row(db, second).status == "queued"


def test_an_empty_queue_gives_no_job(db):
    assert jobs.claim(db, "w1") is None


def test_workers_racing_for_the_queue_claim_each_job_exactly_once(db):
    ids = queue(db, 30)
    workers = 4
    barrier = threading.Barrier(workers)
    claimed: dict[str, list[int]] = {f"w{n}": [] for n in range(workers)}

    def work(name: str) -> None:
        # each worker has its own engine and connections, as a separate process would
        own = Database(db.url)
        try:
            barrier.wait()
            while (got := jobs.claim(own, name)) is not None:
                claimed[name].append(got.id)
        finally:
            own.dispose()

    threads = [threading.Thread(target=work, args=(name,)) for name in claimed]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    taken = [i for got in claimed.values() for i in got]
    assert sorted(taken) == ids  # every job once, none twice
    with db.read_session() as s:
        rows = s.exec(select(Job).order_by(col(Job.id))).all()
    assert {(j.status, j.attempts) for j in rows} == {("running", 1)}
    assert all(j.id in claimed[j.worker] for j in rows)


# ----------------------------------------------------------------------------- heartbeats


def test_a_beating_job_is_left_alone_and_a_silent_one_is_queued_again_with_the_reason(db):
    alive, silent = queue(db, 2)
    mine = jobs.claim(db, "w-alive")
    other = jobs.claim(db, "w-dead")
    assert mine is not None and other is not None
    later = utcnow() + timedelta(seconds=61)
    assert jobs.heartbeat(db, mine, now=later)
    assert jobs.reap(db, stale_s=60, now=later + timedelta(seconds=1)) == [silent]
    assert row(db, alive).status == "running"
    job = row(db, silent)
    assert (job.status, job.worker, job.attempts) == ("queued", None, 1)
    assert "worker w-dead stopped answering (no heartbeat for 62 s)" in job.error
    assert job.error.endswith("queued again")
    again = jobs.claim(db, "w-next")
    assert again is not None and (again.id, again.attempt) == (silent, 2)


def test_a_job_out_of_attempts_is_failed_with_the_reason_never_left_running(db):
    [job_id] = queue(db, 1, max_attempts=2)
    for attempt in (1, 2):
        claimed = jobs.claim(db, f"w{attempt}")
        assert claimed is not None and claimed.attempt == attempt
        jobs.reap(db, stale_s=60, now=utcnow() + timedelta(minutes=5))
    job = row(db, job_id)
    assert job.status == "failed"
    assert job.finished_at is not None
    assert "worker w2 stopped answering" in job.error
    assert job.error.endswith("failed after 2 attempts")
    assert jobs.claim(db, "w3") is None


def test_a_worker_presumed_dead_writes_nothing_once_its_job_was_taken_again(db):
    [job_id] = queue(db, 1)
    zombie = jobs.claim(db, "w-zombie")
    assert zombie is not None
    jobs.reap(db, stale_s=60, now=utcnow() + timedelta(minutes=5))
    fresh = jobs.claim(db, "w-fresh")
    assert fresh is not None and fresh.attempt == 2
    assert not jobs.heartbeat(db, zombie)
    assert not jobs.finish(db, zombie, result={"from": "zombie"})
    assert not jobs.fail(db, zombie, "zombie")
    with pytest.raises(jobs.JobLost):
        jobs.report(db, zombie, 0.5, "solving")
    job = row(db, job_id)
    assert (job.status, job.worker, job.result) == ("running", "w-fresh", None)


# ----------------------------------------------------------------------------- cancelling


def test_a_queued_job_is_cancelled_at_once_and_a_finished_one_cannot_be(market, settings):
    operator = b.actor(market, "operator")
    job = job_service.start_match_run(market, operator, settings)
    with market.unit_of_work() as uow:
        job_service.cancel(uow, operator, job.id)
    assert row(market, job.id).status == "cancelled"
    assert Worker(market, settings).run_once() is False  # nothing left to claim
    with market.unit_of_work() as uow, pytest.raises(Conflict, match="already cancelled"):
        job_service.cancel(uow, operator, job.id)


def test_a_running_match_job_stops_at_its_next_stage_when_cancelled(market, settings):
    operator = b.actor(market, "operator")
    job = job_service.start_match_run(market, operator, settings)
    claimed = jobs.claim(market, "w1")
    assert claimed is not None
    with market.unit_of_work() as uow:
        job_service.cancel(uow, operator, job.id)
    assert row(market, job.id).cancel_requested
    Worker(market, settings).execute(claimed)
    done = row(market, job.id)
    assert (done.status, done.stage, done.error) == ("cancelled", "cancelled", None)
    with market.read_session() as s:
        assert s.exec(select(MatchRun)).all() == []  # stopped before it saved a run


# ----------------------------------------------------------------------------- the work


def test_a_match_run_reports_each_stage_in_order_with_growing_progress(market, settings):
    heard: list[tuple[float, str]] = []
    run_match(market, None, settings, progress=lambda f, stage: heard.append((f, stage)))
    stages = [stage for _f, stage in heard]
    assert stages == ["reading", "preparing", "building", "solving", "explaining", "saving"]
    fractions = [f for f, _stage in heard]
    assert fractions == sorted(fractions) and 0 < fractions[0] and fractions[-1] < 1


def test_a_match_run_job_ends_done_with_its_run_and_where_to_read_it(market, settings):
    operator = b.actor(market, "operator")
    job = job_service.start_match_run(market, operator, settings, {"cost_per_t_km": 0.7})
    assert row(market, job.id).status == "queued"
    assert Worker(market, settings).run_once()
    done = row(market, job.id)
    with market.read_session() as s:
        [run] = s.exec(select(MatchRun)).all()
    assert (done.status, done.progress, done.stage, done.error) == ("done", 1.0, "done", None)
    assert done.result_url == f"/api/v1/match-runs/{run.id}"
    assert job_service.page_of_result(done) == f"/match-runs/{run.id}"
    assert (run.started_by, run.trigger, run.params["cost_per_t_km"]) == (
        operator.user_id,
        "manual",
        0.7,
    )


def test_a_refused_request_is_refused_when_started_not_queued(market, settings):
    operator = b.actor(market, "operator")
    with pytest.raises(Exception, match="params.circuity"):
        job_service.start_match_run(market, operator, settings, {"circuity": 99})
    producer = b.actor(market, "producer")
    with pytest.raises(NotAllowed):
        job_service.start_match_run(market, producer, settings)
    with market.read_session() as s:
        assert s.exec(select(Job)).all() == []


def test_a_job_is_seen_by_its_organisation_and_cancelled_only_by_who_started_it(market, settings):
    operator = b.actor(market, "operator")
    colleague = b.actor(market, "operator", org=operator.organisation)
    stranger = b.actor(market, "operator")  # another operator organisation
    regulator = b.actor(market, "regulator")
    producer = b.actor(market, "producer")
    job = job_service.start_match_run(market, operator, settings)
    with market.read_session() as s:
        assert job_service.read_job(s, operator, job.id)["status"] == "queued"
        assert job_service.read_job(s, colleague, job.id)["id"] == job.id
        for outsider in (regulator, producer, stranger):
            with pytest.raises(NotFound):
                job_service.read_job(s, outsider, job.id)
    check = job_service.start_verify(market, operator, settings, None)
    with market.read_session() as s:
        assert job_service.read_job(s, regulator, check.id)["kind"] == "verify"
    with market.unit_of_work() as uow, pytest.raises(NotAllowed, match="someone else"):
        job_service.cancel(uow, regulator, check.id)
    with market.unit_of_work() as uow, pytest.raises(NotAllowed, match="someone else"):
        job_service.cancel(uow, colleague, job.id)
    assert row(market, check.id).status == "queued"
    assert row(market, job.id).status == "queued"
