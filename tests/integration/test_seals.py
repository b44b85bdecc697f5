"""Seals make an approved month tamper-evident with no checkpoint kept anywhere: a consistent
rewrite of an approved month, or a chain cut back with an older head put back, is found and
located to the yard and the month, on SQLite and PostgreSQL; an exported seal is checked offline
with only the public key."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from market import audit
from market.audit import signatures
from market.seals import load_or_create, signature_holds
from market.services import reports
from market.tables import Report, Seal
from tests import builders as b
from tests.integration.test_checkpoint import rehash_from
from tests.integration.test_tamper import entries_of, raw
from web.cli import main


@pytest.fixture
def key(tmp_path):
    return load_or_create(tmp_path / "seal.pem")


@pytest.fixture
def sealed(db, key):
    """A yard with three approved months (January to March 2025) and an open April."""
    producer = b.actor(db, "producer")
    regulator = b.regulator(db)
    yard = sealed_yard(db, producer, regulator, key)
    return {"producer": producer, "regulator": regulator, "yard": yard}


def sealed_yard(db, producer, regulator, key) -> int:
    """A new yard of `producer`'s with January to March 2025 approved and sealed."""
    yard = b.site(db, producer, b.ANNING).id
    b.entry(db, producer, yard, "opening", 100_000, "2025-01-01")
    for month, day in (("01", 31), ("02", 28), ("03", 31)):
        b.entry(db, producer, yard, "generation", 1_000 * int(month), f"2025-{month}-{day}")
        b.entry(db, producer, yard, "treatment", 100 * int(month), f"2025-{month}-{day}")
    for period in ("2025-01", "2025-02", "2025-03"):
        with db.unit_of_work() as uow:
            r = reports.submit(uow, producer, yard, {"period": period}, 10)
        with db.unit_of_work() as uow:
            reports.approve(uow, regulator, r.id, {}, key)
    b.entry(db, producer, yard, "generation", 4_000, "2025-04-30")
    return yard


def check(db, who, key):
    with db.read_session() as s:
        return audit.verify(s, who, seal_key=key)


def named(report) -> list[tuple[int, str | None]]:
    return sorted({(br["site_id"], br.get("period")) for br in report["breaks"]})


def test_every_approved_month_is_sealed_and_verifies(db, sealed, key):
    report = check(db, sealed["regulator"], key)
    assert report["ok"] is True
    assert (report["seals_checked"], report["months_sealed"]) == (3, 3)


def test_a_consistent_rewrite_of_an_approved_month_is_located_to_the_yard_and_month(
    db, sealed, key
):
    yard = sealed["yard"]
    february = next(
        e for e in entries_of(db, yard) if e.kind == "generation" and e.occurred_on.month == 2
    )
    rehash_from(db, yard, february.seq, tonnes=200.0)
    report = check(db, sealed["regulator"], key)
    # the chains alone hold: every hash and the head were recomputed
    assert all(br.get("period") for br in report["breaks"])
    assert report["ok"] is False
    assert named(report)[0] == (yard, "2025-02")
    assert (yard, "2025-01") not in named(report)
    feb = [br for br in report["breaks"] if br["period"] == "2025-02"]
    assert any("entries changed since it was sealed" in br["problem"] for br in feb)
    assert any("no longer has the hash sealed" in br["problem"] for br in feb)


def test_a_chain_cut_back_with_an_older_head_put_back_is_located(db, sealed, key):
    yard = sealed["yard"]
    entries = entries_of(db, yard)
    cut = next(e for e in entries if e.occurred_on.month == 2).seq  # keep January and one entry
    raw(
        db,
        "DELETE FROM attestation WHERE entry_id IN "
        "(SELECT id FROM ledger_entry WHERE site_id = :site AND seq > :seq)",
        site=yard,
        seq=cut,
    )
    raw(db, "DELETE FROM ledger_entry WHERE site_id = :site AND seq > :seq", site=yard, seq=cut)
    raw(
        db,
        "UPDATE ledger_head SET seq = :seq, hash = :h WHERE site_id = :site",
        seq=cut,
        h=entries[cut - 1].hash,
        site=yard,
    )
    report = check(db, sealed["regulator"], key)
    assert report["ok"] is False
    assert (yard, "2025-01") not in named(report)
    assert named(report)[0] == (yard, "2025-02")
    assert any(
        "the chain's head when the month was sealed, is missing" in br["problem"]
        for br in report["breaks"]
        if br["period"] == "2025-03"
    )


def test_a_seal_rewritten_in_the_database_fails_its_signature(db, sealed, key):
    with db.read_session() as s:
        seal = s.exec(select(Seal).where(Seal.period == "2025-02")).one()
    forged = seal.statement.replace('"entries":2', '"entries":3')
    assert forged != seal.statement
    raw(db, "UPDATE seal SET statement = :st WHERE id = :id", st=forged, id=seal.id)
    report = check(db, sealed["regulator"], key)
    assert [(br["period"], br["problem"]) for br in report["breaks"]] == [
        ("2025-02", "seal v1: the signature does not hold")
    ]


def test_an_approved_month_whose_seal_was_deleted_is_reported(db, sealed, key):
    raw(db, "DELETE FROM seal WHERE period = '2025-03'")
    report = check(db, sealed["regulator"], key)
    assert [(br["period"], br["problem"]) for br in report["breaks"]] == [
        ("2025-03", "approved, but its seal is missing")
    ]


def test_a_seal_made_with_another_key_is_not_trusted(db, sealed, tmp_path):
    other = load_or_create(tmp_path / "other.pem")
    report = check(db, sealed["regulator"], other)
    assert report["ok"] is False
    assert {br["period"] for br in report["breaks"]} == {"2025-01", "2025-02", "2025-03"}
    assert all("unknown key" in br["problem"] for br in report["breaks"])


def test_an_exported_seal_is_verified_offline_with_only_the_public_key(
    db, sealed, key, tmp_path, capsys
):
    with db.read_session() as s:
        report = s.exec(select(Report).where(Report.period == "2025-02")).one()
        exported = reports.seal_export(s, sealed["producer"], report.id)
    pem = tmp_path / "seal-key.pem"
    pem.write_text(key.public_pem())
    seal_file = tmp_path / "seal.json"
    seal_file.write_text(json.dumps(exported))
    assert main(["seals", "verify", "--public-key", str(pem), "--seal", str(seal_file)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("seal holds:") and "2025-02" in out
    statement = json.loads(exported["statement"])
    assert statement["head"]["seq"] > 0 and statement["totals"]["phosphogypsum"]
    seal_file.write_text(
        json.dumps(exported | {"statement": exported["statement"].replace("2025-02", "2025-03")})
    )
    assert main(["seals", "verify", "--public-key", str(pem), "--seal", str(seal_file)]) == 1
    assert "does NOT hold" in capsys.readouterr().out
    seal_file.write_text("not json")
    assert main(["seals", "verify", "--public-key", str(pem), "--seal", str(seal_file)]) == 2


def test_the_key_file_is_made_once_and_read_by_every_worker(tmp_path):
    from market import seals

    path = tmp_path / "k" / "seal.pem"
    first = load_or_create(path)
    seals._KEYS.clear()  # a second worker process reads the same file
    second = load_or_create(path)
    assert first.key_id == second.key_id
    assert oct(path.stat().st_mode)[-3:] == "600"


def test_a_signature_is_judged_the_same_with_or_without_the_private_key_at_hand(tmp_path):
    key = load_or_create(tmp_path / "a.pem")
    other = load_or_create(tmp_path / "b.pem")
    text, signature = key.sign({"period": "2025-01"})
    _, others = other.sign({"period": "2025-01"})
    for signer in (None, key.private):
        assert signature_holds(key.public, text, signature, signer)
        assert not signature_holds(key.public, text.replace("01", "02"), signature, signer)
        assert not signature_holds(key.public, text, others, signer)
    # a private key offered for another public key is not taken for it
    seal = (1, 1, "2025-01", 1, text, signature, other.key_id)
    signatures._held.clear()
    assert signatures.check({other.key_id: other.public}, [seal], {other.key_id: key.private}) == {
        1: False
    }
