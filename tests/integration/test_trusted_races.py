"""Rules that must hold when requests race, on PostgreSQL (production) and SQLite: one opening
survey per yard and material, and stock that never goes below zero."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlmodel import func, select

from market.errors import DomainError
from market.services import ledger
from market.tables import LedgerEntry
from tests.support import builders as b
from tests.support.ledger import gypsum


def race(db, who, site_id, data, n):
    barrier = threading.Barrier(n)

    def one(_: int) -> str:
        barrier.wait()
        try:
            with db.unit_of_work() as uow:
                ledger.post_entry(uow, who, site_id, data)
        except DomainError as exc:
            return exc.message
        return "ok"

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def count(db, site_id, kind):
    with db.read_session() as s:
        return s.exec(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.site_id == site_id, LedgerEntry.kind == kind)
        ).one()


def test_twenty_parallel_opening_surveys_leave_exactly_one(db):
    producer = b.actor(db, "producer")
    yard = b.site(db, producer).id
    data = gypsum("opening", 1_000, "2025-01-01", "survey")
    answers = race(db, producer, yard, data, 20)
    assert answers.count("ok") == 1
    assert set(answers) - {"ok"} == {
        "kind: this yard already has an opening survey for phosphogypsum; record a correction "
        "instead"
    }
    assert count(db, yard, "opening") == 1


def test_parallel_disposals_never_take_the_stock_below_zero(db):
    producer = b.actor(db, "producer")
    yard = b.site(db, producer).id
    b.entry(db, producer, yard, "opening", 1_000, "2025-01-01")
    data = gypsum("disposal", 300, "2025-02-01", "landfill ticket")
    answers = race(db, producer, yard, data, 8)
    assert answers.count("ok") == 3
    assert all("stock cannot go below zero" in a for a in answers if a != "ok")
    assert count(db, yard, "disposal") == 3
