"""Tampering behind the app's back (raw SQL on the database) is detected and located: site,
entry number and entry id, on SQLite and PostgreSQL; and the regulator's API reports it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from market import audit
from market.ledger import Content, content_of, digest
from market.tables import LedgerEntry, LedgerHead
from tests.support import builders as b
from tests.support.ledger import (
    FEBRUARY,
    JANUARY,
    SECOND_YARD,
    entries_of,
    post_all,
    raw,
    rechain,
    verified,
)


@pytest.fixture
def yard(db, settings):
    """Two yards; the first has 7 entries, a dispatch and its receipt among them."""
    producer = b.actor(db, "producer")
    recycler = b.actor(db, "recycler")
    regulator = b.actor(db, "regulator")
    site = b.site(db, producer, b.ANNING)
    other = b.site(db, producer, b.JINNING)
    post_all(db, producer, site.id, JANUARY)
    plant = b.site(db, recycler, b.KUNMING)
    lot = b.lot(db, producer, site.id, tonnes=500)
    offer = b.offer(db, recycler, plant.id)
    contract = b.framework_contract(db, producer, lot.id, offer.id, 100, 1, "2025-01-15")
    b.deliver(
        db,
        settings,
        producer,
        recycler,
        contract.id,
        {"tonnes": 100, "manifest_no": "T-1", "dispatched_at": "2025-02-01T02:00:00Z"},
        {"received_tonnes": 100, "received_at": "2025-02-01T06:00:00Z"},
    )
    post_all(db, producer, site.id, FEBRUARY)
    post_all(db, producer, other.id, SECOND_YARD)
    return {"site": site, "other": other, "regulator": regulator, "producer": producer}


def located(report) -> list[tuple[int, int | None, int | None]]:
    return [(br["site_id"], br["seq"], br["entry_id"]) for br in report["breaks"]]


def test_an_untouched_ledger_verifies(db, yard):
    report = verified(db, yard["regulator"])
    assert report["ok"] is True and report["breaks"] == []
    assert report["sites_checked"] == 2 and report["entries_checked"] == 9


def test_altered_tonnes_are_located_at_their_entry(db, yard):
    site = yard["site"].id
    third = entries_of(db, site)[2]
    raw(db, "UPDATE ledger_entry SET tonnes = 5 WHERE id = :id", id=third.id)
    report = verified(db, yard["regulator"])
    assert report["ok"] is False
    assert located(report) == [(site, 3, third.id)]
    assert "altered" in report["breaks"][0]["problem"]


def test_tonnes_altered_below_the_hashs_rounding_are_still_caught(db, yard):
    site = yard["site"].id
    second = entries_of(db, site)[1]
    raw(db, "UPDATE ledger_entry SET tonnes = 200.0004 WHERE id = :id", id=second.id)
    report = verified(db, yard["regulator"])
    assert located(report) == [(site, 2, second.id)]
    assert "finer than the hash covers" in report["breaks"][0]["problem"]


def test_a_deleted_middle_entry_is_located_by_its_number_and_the_entry_after_it(db, yard):
    site = yard["site"].id
    entries = entries_of(db, site)
    raw(db, "DELETE FROM ledger_entry WHERE id = :id", id=entries[2].id)
    report = verified(db, yard["regulator"])
    assert {(s, seq, eid) for s, seq, eid in located(report)} == {(site, 4, entries[3].id)}
    problems = " | ".join(br["problem"] for br in report["breaks"])
    assert "#3 are missing" in problems and "prev_hash" in problems


def test_a_deleted_last_entry_is_caught_by_the_head(db, yard):
    site = yard["site"].id
    entries = entries_of(db, site)
    raw(db, "DELETE FROM ledger_entry WHERE id = :id", id=entries[-1].id)
    report = verified(db, yard["regulator"])
    assert located(report) == [(site, len(entries), None)]
    assert f"#{len(entries)}" in report["breaks"][0]["problem"]
    assert "head" in report["breaks"][0]["problem"]


def test_a_forged_entry_with_a_well_made_hash_is_caught_by_the_head(db, yard):
    site = yard["site"].id
    last = entries_of(db, site)[-1]
    at = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    content = Content(
        site, last.seq + 1, "utilisation", "phosphogypsum", 5000.0, at.date(), "forged", None,
        last.recorded_by, at, last.hash,
    )  # fmt: skip
    with db.write_engine.begin() as conn:
        conn.execute(
            LedgerEntry.__table__.insert().values(  # type: ignore[attr-defined]
                site_id=site,
                seq=last.seq + 1,
                kind="utilisation",
                material="phosphogypsum",
                tonnes=5000.0,
                occurred_on=at.date(),
                document="forged",
                delivery_id=None,
                recorded_by=last.recorded_by,
                recorded_at=at,
                prev_hash=last.hash,
                hash=digest(content),
            )
        )
    forged = entries_of(db, site)[-1]
    assert digest(content_of(forged)) == forged.hash  # the chain itself holds
    report = verified(db, yard["regulator"])
    assert located(report) == [(site, last.seq + 1, forged.id)]
    assert "added outside the app" in report["breaks"][0]["problem"]


def test_a_forged_entry_with_a_made_up_hash_is_caught_twice(db, yard):
    site = yard["other"].id
    last = entries_of(db, site)[-1]
    raw(
        db,
        "INSERT INTO ledger_entry (site_id, seq, kind, material, tonnes, occurred_on, document,"
        " recorded_by, recorded_at, prev_hash, hash) VALUES (:site, :seq, 'treatment',"
        " 'phosphogypsum', 40, :on, 'forged', :by, :at, :prev, :hash)",
        site=site,
        seq=last.seq + 1,
        on=last.occurred_on,
        by=last.recorded_by,
        at=last.recorded_at,
        prev=last.hash,
        hash="f" * 64,
    )
    forged = entries_of(db, site)[-1]
    report = verified(db, yard["regulator"])
    assert set(located(report)) == {(site, last.seq + 1, forged.id)}
    problems = " | ".join(br["problem"] for br in report["breaks"])
    assert "altered" in problems and "added outside the app" in problems


def test_a_whole_chain_rewritten_without_a_dispatch_is_caught_by_its_manifest(db, yard):
    """A forger who deletes a dispatch, renumbers and rehashes the rest and moves the head leaves
    a chain that holds; the transfer manifest still names the missing entry."""
    site = yard["site"].id
    entries = entries_of(db, site)
    dispatch = next(e for e in entries if e.kind == "dispatch")
    raw(db, "DELETE FROM ledger_entry WHERE id = :id", id=dispatch.id)
    prev = next(e for e in entries if e.seq == dispatch.seq - 1).hash
    later = [e for e in entries if e.seq > dispatch.seq]
    rechain(db, site, later, prev, lambda e: {"seq": e.seq - 1})
    report = verified(db, yard["regulator"])
    assert report["ok"] is False
    assert [(br["site_id"], br["problem"]) for br in report["breaks"]] == [
        (site, f"manifest T-1 (delivery {dispatch.delivery_id}) has no dispatch entry")
    ]


def test_one_producers_yards_can_be_checked_alone(db, yard, settings):
    site = yard["site"].id
    third = entries_of(db, site)[2]
    raw(db, "UPDATE ledger_entry SET tonnes = 5 WHERE id = :id", id=third.id)
    other = b.actor(db, "producer")
    b.site(db, other, b.QUJING)
    with db.read_session() as s:
        mine = audit.verify(s, yard["regulator"], yard["producer"].organisation_id)
        theirs = audit.verify(s, yard["regulator"], other.organisation_id)
    assert located(mine) == [(site, 3, third.id)] and mine["sites_checked"] == 2
    assert theirs["ok"] is True and theirs["entries_checked"] == 0


def test_a_deleted_head_record_is_reported(db, yard):
    site = yard["other"].id
    raw(db, "DELETE FROM ledger_head WHERE site_id = :site", site=site)
    report = verified(db, yard["regulator"])
    assert located(report) == [(site, None, None)]


def test_the_regulators_api_reports_the_break_and_others_are_refused(db, yard, settings):
    import asyncio

    import httpx

    from market.services.users import create_token
    from web.app import create_app

    site = yard["site"].id
    third = entries_of(db, site)[2]
    raw(db, "UPDATE ledger_entry SET tonnes = 5 WHERE id = :id", id=third.id)
    with db.unit_of_work() as uow:
        _, regulator_token = create_token(uow, yard["regulator"])
    with db.unit_of_work() as uow:
        _, producer_token = create_token(uow, yard["producer"])

    async def calls() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(settings, db))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            regulator = {"Authorization": f"Bearer {regulator_token}"}
            producer = {"Authorization": f"Bearer {producer_token}"}
            return [
                await client.get("/api/v1/audit/verify", headers=regulator),
                await client.get("/api/v1/audit/verify?format=csv", headers=regulator),
                await client.get("/api/v1/audit/verify", headers=producer),
            ]

    answer, csv, refused = asyncio.run(calls())
    assert answer.status_code == 200
    body = answer.json()
    assert body["ok"] is False
    assert [(br["site_id"], br["seq"], br["entry_id"]) for br in body["breaks"]] == [
        (site, 3, third.id)
    ]
    assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf")
    assert "altered" in csv.content.decode("utf-8-sig")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"


def test_heads_are_kept_in_the_report(db, yard):
    report = verified(db, yard["regulator"])
    with db.read_session() as s:
        heads = {h.site_id: (h.seq, h.hash) for h in s.exec(select(LedgerHead)).all()}
    assert {h["site_id"]: (h["seq"], h["hash"]) for h in report["heads"]} == heads
    assert len(report["heads_fingerprint"]) == 64
