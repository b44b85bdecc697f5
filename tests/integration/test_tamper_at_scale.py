"""The tamper check as it runs at scale: it reports its progress, checks signatures on another
core the same way as here, and a signature it remembers as holding never hides a forged one."""

from __future__ import annotations

import pytest
from sqlmodel import select

from market import audit
from market.audit import signatures
from market.tables import Seal
from tests.support.ledger import raw, verified


def forge(db, period: str) -> None:
    with db.read_session() as s:
        seal = s.exec(select(Seal).where(Seal.period == period)).one()
    forged = seal.statement.replace('"reason":"approved"', '"reason":"approved!"')
    assert forged != seal.statement
    raw(db, "UPDATE seal SET statement = :st WHERE id = :id", st=forged, id=seal.id)


def test_the_check_reports_its_progress_from_0_to_1_by_stage(db, sealed, seal_key):
    heard: list[tuple[float, str]] = []
    with db.read_session() as s:
        report = audit.verify(
            s, sealed["regulator"], seal_key=seal_key, progress=lambda f, st: heard.append((f, st))
        )
    assert report["ok"] is True
    fractions = [f for f, _ in heard]
    assert fractions == sorted(fractions)
    assert (fractions[0], fractions[-1]) == (0.0, 1.0)
    assert [st for _, st in heard][-1] == "done"
    assert {"chains", "deliveries", "documents", "seals"} <= {st for _, st in heard}


def test_signatures_checked_in_a_child_process_find_a_forged_seal(
    db,
    sealed,
    seal_key,
    monkeypatch,
):
    monkeypatch.setattr(signatures, "PARALLEL_FROM", 1)
    signatures._held.clear()
    assert verified(db, sealed["regulator"], seal_key)["ok"] is True
    forge(db, "2025-02")
    signatures._held.clear()
    report = verified(db, sealed["regulator"], seal_key)
    assert [(br["period"], br["problem"]) for br in report["breaks"]] == [
        ("2025-02", "seal v1: the signature does not hold")
    ]


@pytest.mark.parametrize("parallel_from", [1, 10_000])
def test_a_seal_forged_after_a_check_that_remembered_it_is_still_caught(
    db,
    sealed,
    seal_key,
    monkeypatch,
    parallel_from,
):
    monkeypatch.setattr(signatures, "PARALLEL_FROM", parallel_from)
    assert (
        verified(db, sealed["regulator"], seal_key)["ok"] is True
    )  # every signature now remembered
    forge(db, "2025-03")
    report = verified(db, sealed["regulator"], seal_key)
    assert [(br["period"], br["problem"]) for br in report["breaks"]] == [
        ("2025-03", "seal v1: the signature does not hold")
    ]
