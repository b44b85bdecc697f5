"""The tamper check as it runs at scale: it reports its progress, the half of the ledger and the
seals walked in a forked child finds what this process would, and a signature it remembers as
holding never hides a forged one."""

from __future__ import annotations

import json
import os

import pytest
from sqlmodel import select

from market import audit
from market.audit import signatures, walk
from market.integrity import heads_of
from market.seals import load_or_create
from market.services import jobs as job_service
from market.tables import Job, Seal
from market.worker import Worker
from tests import builders as b
from tests.integration.test_seals import check, key, sealed, sealed_yard  # noqa: F401 — fixtures
from tests.integration.test_tamper import raw


def forge(db, period: str, site_id: int) -> None:
    with db.read_session() as s:
        seal = s.exec(select(Seal).where(Seal.period == period, Seal.site_id == site_id)).one()
    forged = seal.statement.replace('"reason":"approved"', '"reason":"approved!"')
    assert forged != seal.statement
    raw(db, "UPDATE seal SET statement = :st WHERE id = :id", st=forged, id=seal.id)


def test_the_check_reports_its_progress_from_0_to_1_by_stage(db, sealed, key):  # noqa: F811
    heard: list[tuple[float, str]] = []
    with db.read_session() as s:
        report = audit.verify(
            s, sealed["regulator"], seal_key=key, progress=lambda f, st: heard.append((f, st))
        )
    assert report["ok"] is True
    fractions = [f for f, _ in heard]
    assert fractions == sorted(fractions)
    assert (fractions[0], fractions[-1]) == (0.0, 1.0)
    assert [st for _, st in heard][-1] == "done"
    assert {"chains", "deliveries", "documents", "seals"} <= {st for _, st in heard}


def test_signatures_checked_in_the_forked_half_find_a_forged_seal(
    db,
    yards,
    key,  # noqa: F811
    monkeypatch,
):
    monkeypatch.setattr(walk, "PARALLEL_FROM", 1)
    last = yards["yards"][-1]
    signatures._held.clear()
    assert check(db, yards["regulator"], key)["ok"] is True
    forge(db, "2025-02", last)
    signatures._held.clear()
    report = check(db, yards["regulator"], key)
    assert [(br["site_id"], br["period"], br["problem"]) for br in report["breaks"]] == [
        (last, "2025-02", "seal v1: the signature does not hold")
    ]


@pytest.mark.parametrize("parallel_from", [1, 10**9])
def test_a_seal_forged_after_a_check_that_remembered_it_is_still_caught(
    db,
    yards,
    key,  # noqa: F811
    monkeypatch,
    parallel_from,
):
    monkeypatch.setattr(walk, "PARALLEL_FROM", parallel_from)
    first, last = yards["yards"][0], yards["yards"][-1]
    # every signature now remembered, the forked half's too
    assert check(db, yards["regulator"], key)["ok"] is True
    forge(db, "2025-03", first)
    forge(db, "2025-03", last)
    report = check(db, yards["regulator"], key)
    assert [(br["site_id"], br["period"], br["problem"]) for br in report["breaks"]] == [
        (first, "2025-03", "seal v1: the signature does not hold"),
        (last, "2025-03", "seal v1: the signature does not hold"),
    ]


@pytest.fixture
def yards(db, sealed, key):  # noqa: F811
    """`sealed`'s yard and two more of another producer's, each with three sealed months."""
    producer = b.actor(db, "producer")
    more = [sealed_yard(db, producer, sealed["regulator"], key) for _ in range(2)]
    return {"regulator": sealed["regulator"], "yards": [sealed["yard"], *more]}


def test_the_walk_is_split_where_half_the_entries_are_passed(db, yards, monkeypatch):
    monkeypatch.setattr(walk, "PARALLEL_FROM", 1)
    with db.read_session() as s:
        heads = heads_of(s)
    job = walk.Job(None, heads, set(), set(), None, None)
    first, second, _third = yards["yards"]
    assert walk._split(job) == second
    assert walk._split(walk.Job([first], heads, set(), set(), None, None)) is None


def alter_tonnes(db, site_id: int, seq: int) -> None:
    raw(
        db,
        "UPDATE ledger_entry SET tonnes = tonnes + 1 WHERE site_id = :y AND seq = :q",
        y=site_id,
        q=seq,
    )


def check_in_one_process(db, yards, key, monkeypatch):  # noqa: F811
    """The check unsplit, with no signature remembered; the next one splits at the first yard."""
    signatures._held.clear()
    monkeypatch.setattr(walk, "PARALLEL_FROM", 10**9)
    alone = check(db, yards["regulator"], key)
    signatures._held.clear()
    monkeypatch.setattr(walk, "PARALLEL_FROM", 1)
    return alone


def test_a_check_split_over_two_processes_finds_what_one_process_finds(
    db,
    yards,
    key,  # noqa: F811
    monkeypatch,
):
    first, _second, last = yards["yards"]
    alter_tonnes(db, last, 3)
    alter_tonnes(db, first, 5)
    with db.read_session() as s:
        seal_id = s.exec(
            select(Seal.id).where(Seal.site_id == last, Seal.period == "2025-03")
        ).one()
    raw(db, "UPDATE seal SET signature = 'AAAA' || substr(signature, 5) WHERE id = :id", id=seal_id)
    alone = check_in_one_process(db, yards, key, monkeypatch)
    split = check(db, yards["regulator"], key)
    assert split == alone
    assert {(br["site_id"], br.get("period")) for br in split["breaks"]} >= {
        (first, None),
        (last, None),
        (last, "2025-03"),
    }
    assert any(br["problem"] == "seal v1: the signature does not hold" for br in split["breaks"])


def test_when_the_forked_half_dies_this_process_walks_it_with_the_same_answer(
    db,
    yards,
    key,  # noqa: F811
    monkeypatch,
):
    alter_tonnes(db, yards["yards"][-1], 3)
    alone = check_in_one_process(db, yards, key, monkeypatch)
    monkeypatch.setattr(walk, "_child", lambda *args: os._exit(3))
    assert check(db, yards["regulator"], key) == alone
    assert not alone["ok"]


def test_the_verify_job_split_in_a_worker_with_its_heartbeat_thread_finds_the_break(
    db,
    yards,
    settings,
    monkeypatch,
):
    last = yards["yards"][-1]
    alter_tonnes(db, last, 3)
    job_key = load_or_create(settings.seal_key_path())
    alone = check_in_one_process(db, yards, job_key, monkeypatch)
    job = job_service.start_verify(db, yards["regulator"], settings, None)
    assert Worker(db, settings).run_once()
    with db.read_session() as s:
        done = s.get(Job, job.id)
    assert done is not None and done.status == "done", done and done.error
    assert done.result == json.loads(json.dumps(alone))
    assert (last, 3) in {(br["site_id"], br["seq"]) for br in done.result["breaks"]}
