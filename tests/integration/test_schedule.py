"""The match-run schedule on SQLite and PostgreSQL: off by default, due after the interval, and
queued as a job by exactly one of several app workers that check at the same moment; a job
worker then solves it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import col, select

from market.errors import InvalidInput, NotAllowed
from market.services import schedule
from market.services.matching import run_match
from market.tables import Job, MatchRun, utcnow
from market.worker import Worker
from tests.support import builders as b


def work(db, settings) -> None:
    """Run every queued job, as a job worker would."""
    worker = Worker(db, settings)
    while worker.run_once():
        pass


def runs(db, trigger: str | None = None) -> list[MatchRun]:
    with db.read_session() as s:
        q = select(MatchRun).order_by(col(MatchRun.id))
        if trigger:
            q = q.where(MatchRun.trigger == trigger)
        return list(s.exec(q).all())


def set_every(db, hours) -> None:
    operator = b.actor(db, "operator")
    with db.unit_of_work() as uow:
        schedule.set_schedule(uow, operator, hours)


@pytest.fixture
def market(db):
    b.lot_and_offer_that_match(db)
    return db


def test_the_schedule_is_off_until_an_operator_sets_it(market, settings):
    assert schedule.run_if_due(market, settings) is None
    with market.read_session() as s:
        assert schedule.get_schedule(s)["every_hours"] == 0
    assert runs(market) == []


def test_a_due_schedule_starts_one_run_then_waits_for_the_interval(market, settings):
    set_every(market, 6)
    now = utcnow()
    job = schedule.run_if_due(market, settings, now=now)
    assert job is not None
    assert (job.kind, job.status, job.created_by) == ("match_run", "queued", None)
    work(market, settings)
    [run] = runs(market, "schedule")
    assert (run.trigger, run.started_by, run.status) == ("schedule", None, "optimal")
    assert schedule.run_if_due(market, settings, now=now + timedelta(hours=5, minutes=59)) is None
    again = schedule.run_if_due(market, settings, now=now + timedelta(hours=6, minutes=1))
    assert again is not None and again.id != job.id
    work(market, settings)
    assert len(runs(market, "schedule")) == 2
    with market.read_session() as s:
        assert [j.status for j in s.exec(select(Job)).all()] == ["done", "done"]
    with market.read_session() as s:
        shown = schedule.get_schedule(s)
    assert shown["every_hours"] == 6
    assert shown["next_due_at"] is not None


def test_a_recent_manual_run_puts_the_scheduled_one_off(market, settings):
    operator = b.actor(market, "operator")
    run_match(market, operator, settings)
    set_every(market, 2)
    assert schedule.run_if_due(market, settings, now=utcnow() + timedelta(hours=1)) is None
    later = schedule.run_if_due(market, settings, now=utcnow() + timedelta(hours=2, minutes=1))
    assert later is not None and later.params["trigger"] == "schedule"


def test_turning_the_schedule_off_stops_runs_even_when_one_would_be_due(market, settings):
    set_every(market, 1)
    set_every(market, 0)
    assert schedule.run_if_due(market, settings, now=utcnow() + timedelta(days=3)) is None
    assert runs(market) == []


def test_several_workers_checking_at_once_queue_exactly_one_run(market, settings):
    set_every(market, 1)
    now = utcnow()
    workers = 4
    barrier = threading.Barrier(workers)

    def worker() -> Job | None:
        barrier.wait()
        return schedule.run_if_due(market, settings, now=now)

    with ThreadPoolExecutor(workers) as pool:
        started = [r for r in pool.map(lambda _: worker(), range(workers)) if r is not None]
    assert len(started) == 1
    work(market, settings)
    assert len(runs(market, "schedule")) == 1


def test_only_an_operator_sets_the_schedule(db):
    regulator = b.actor(db, "regulator")
    with db.unit_of_work() as uow, pytest.raises(NotAllowed, match="^role: 'regulator'"):
        schedule.set_schedule(uow, regulator, 6)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "every_hours: '-1' must be from 0 (off) to 744"),
        ("1.5", "every_hours: '1.5' is not a whole number"),
        ("", "every_hours: is required"),
        (10_000, "every_hours: 10000 must be from 0 (off) to 744"),
    ],
)
def test_a_bad_interval_is_refused_naming_the_field(db, value, message):
    operator = b.actor(db, "operator")
    with db.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
        schedule.set_schedule(uow, operator, value)
    assert (err.value.message, err.value.field) == (message, "every_hours")
