"""The regulated cannot move the regulator's figures: every attack issue 9 found, on SQLite and
PostgreSQL, now refused or counted as the rules say; reporting months, locks, corrections,
evidence and attestation through the services."""

from __future__ import annotations

import pytest
from sqlmodel import select

from market import audit, clock
from market.errors import (
    DateOutOfRange,
    EvidenceRequired,
    InvalidInput,
    InvalidState,
    NotAllowed,
    NotFound,
    PeriodLocked,
    StockNegative,
)
from market.seed import link_evaluator
from market.services import corrections, deliveries, documents, ledger, reports
from market.tables import Contract, CorrectionRequest, LedgerEntry, Seal
from tests.support import builders as b
from tests.support.ledger import entries_of, gypsum, raw

KEY = b.seal_key()


@pytest.fixture
def world(db, settings):
    producer = b.actor(db, "producer")
    other = b.actor(db, "producer")
    recycler = b.actor(db, "recycler")
    regulator = b.regulator(db)
    evaluator = b.actor(db, "evaluator")
    stranger = b.actor(db, "evaluator")
    with db.unit_of_work() as uow:
        link_evaluator(uow, evaluator.organisation_id, producer.organisation_id)
        uow.commit()
    yard = b.site(db, producer, b.ANNING)
    b.entry(db, producer, yard.id, "opening", 1_000_000, "2025-01-01")
    b.entry(db, producer, yard.id, "generation", 90_000, "2025-01-31")
    b.entry(db, producer, yard.id, "p2o5_output", 18_000, "2025-01-31")
    return {
        "producer": producer,
        "other": other,
        "recycler": recycler,
        "regulator": regulator,
        "evaluator": evaluator,
        "stranger": stranger,
        "yard": yard,
        "settings": settings,
    }


def post(db, who, site_id, data):
    with db.unit_of_work() as uow:
        return ledger.post_entry(uow, who, site_id, data)


def post_at_yard(db, w, data):
    """`data` posted by the producer at its yard."""
    return post(db, w["producer"], w["yard"].id, data)


def march_contract(db, w):
    """3,000 t of the producer's yard sold to a new plant of the recycler, made 2025-03-01."""
    plant = b.site(db, w["recycler"], b.KUNMING)
    lot = b.lot(db, w["producer"], w["yard"].id, tonnes=5_000)
    offer = b.offer(db, w["recycler"], plant.id)
    with db.unit_of_work() as uow:
        contract = Contract(
            lot_id=lot.id, offer_id=offer.id, tonnes=3_000, price_cny_t=1, created_by=1
        )
        uow.session.add(contract)
        uow.commit()
    b.backdate_contract(db, contract.id, "2025-03-01")
    return contract


def pg_row(db, w, period):
    with db.read_session() as s:
        table = audit.phosphogypsum_table(s, w["regulator"], audit.parse_period(period))
    return next(r for r in table["rows"] if r["organisation_id"] == w["producer"].organisation_id)


# ----------------------------------------------------------------------------- the attacks


def test_own_use_with_only_a_free_text_document_is_refused_and_writes_nothing(db, world):
    w = world
    before = len(entries_of(db, w["yard"].id))
    data = gypsum("utilisation", 5_000, "2025-03-31", "trust me")
    with pytest.raises(EvidenceRequired, match="^evidence: is required for a utilisation"):
        post_at_yard(db, w, data)
    assert len(entries_of(db, w["yard"].id)) == before


def test_five_million_tonnes_of_own_use_cannot_take_the_stock_below_zero(db, world):
    w = world
    doc = b.document(db, w["producer"])
    with pytest.raises(StockNegative) as caught:
        post_at_yard(
            db, w, gypsum("utilisation", 5_000_000, "2025-03-31", "own use", evidence=[doc])
        )
    assert caught.value.code == "stock_negative"
    assert "5e+06 t would leave the stock of phosphogypsum" in caught.value.message
    assert "at -3.91e+06 t on 2025-03-31" in caught.value.message


def test_an_own_use_claim_counts_only_once_attested_and_a_rejected_one_never(db, world):
    w = world
    doc = b.document(db, w["producer"])
    claim = {
        "kind": "utilisation",
        "material": "phosphogypsum",
        "occurred_on": "2025-03-31",
        "document": "own use",
        "evidence": [doc],
    }
    first = post_at_yard(db, w, claim | {"tonnes": 40_000})
    second = post_at_yard(db, w, claim | {"tonnes": 25_000})
    assert first.attestation == second.attestation == "pending"
    row = pg_row(db, w, "2025-Q1")
    assert (row["utilised_t"], row["claimed_unattested_t"]) == (0, 65_000)
    with db.unit_of_work() as uow:
        corrections.attest(
            uow, w["evaluator"], first.id, {"decision": "attested", "note": "site visit"}, KEY
        )
    with db.unit_of_work() as uow, pytest.raises(InvalidInput, match="^note: is required"):
        corrections.attest(uow, w["regulator"], second.id, {"decision": "rejected"}, KEY)
    with db.unit_of_work() as uow:
        corrections.attest(
            uow, w["regulator"], second.id, {"decision": "rejected", "note": "no record"}, KEY
        )
    row = pg_row(db, w, "2025-Q1")
    assert (row["utilised_t"], row["claimed_unattested_t"], row["rejected_claims_t"]) == (
        40_000,
        0,
        25_000,
    )
    # the rejected claim stays in the ledger
    assert [e.attestation for e in entries_of(db, w["yard"].id)][-2:] == ["attested", "rejected"]


def test_only_an_evaluator_linked_to_the_producer_attests_and_a_decision_is_final(db, world):
    w = world
    doc = b.document(db, w["producer"])
    claim = post_at_yard(
        db, w, gypsum("treatment", 1_000, "2025-02-28", "backfill", evidence=[doc])
    )
    with db.unit_of_work() as uow, pytest.raises(NotFound):
        corrections.attest(uow, w["stranger"], claim.id, {"decision": "attested"}, KEY)
    with db.unit_of_work() as uow, pytest.raises(NotAllowed):
        corrections.attest(uow, w["producer"], claim.id, {"decision": "attested"}, KEY)
    with db.unit_of_work() as uow:
        corrections.attest(uow, w["evaluator"], claim.id, {"decision": "attested"}, KEY)
    with db.unit_of_work() as uow, pytest.raises(InvalidState, match="is attested"):
        corrections.attest(
            uow, w["regulator"], claim.id, {"decision": "rejected", "note": "x"}, KEY
        )
    with db.read_session() as s:
        mine = corrections.claims(s, w["evaluator"], status="attested")
        theirs = corrections.claims(s, w["stranger"], status="attested")
    assert [c["entry_id"] for c in mine] == [claim.id] and theirs == []


def test_treatment_dated_1990_and_generation_dated_2020_are_out_of_range(db, world):
    w = world
    doc = b.document(db, w["producer"])
    with pytest.raises(DateOutOfRange) as caught:
        post_at_yard(db, w, gypsum("treatment", 1_000_000, "1990-01-01", "x", evidence=[doc]))
    assert caught.value.message == (
        f"occurred_on: 1990-01-01 is before 2025-01-01, the first entry of phosphogypsum at site "
        f"{w['yard'].id}"
    )
    gen = {"kind": "generation", "material": "phosphogypsum", "tonnes": 100, "document": ""}
    with pytest.raises(DateOutOfRange, match="2020-01-01 is before 2025-01-01"):
        post_at_yard(db, w, gen | {"occurred_on": "2020-01-01"})
    with pytest.raises(DateOutOfRange, match=r"2199-01-01 is after today \("):
        post_at_yard(db, w, gen | {"occurred_on": "2199-01-01"})
    # the producer's 2025 row is as clean as before
    assert "output_above_allowance" not in pg_row(db, w, "2025")["flags"]


def test_a_correction_of_minus_a_billion_tonnes_is_refused_by_the_stock(db, world):
    w = world
    with pytest.raises(StockNegative, match="on 2025-02-01; stock cannot go below zero"):
        post_at_yard(db, w, gypsum("correction", -999_999_999, "2025-02-01", "survey"))


def test_an_entry_may_not_empty_the_yard_before_a_later_dispatch(db, world):
    """The stock must hold on the entry's date and every later date."""
    w = world
    b.entry(db, w["producer"], w["yard"].id, "disposal", 1_000_000, "2025-03-15")
    with pytest.raises(StockNegative, match="at -10000 t on 2025-03-15"):
        b.entry(db, w["producer"], w["yard"].id, "disposal", 100_000, "2025-02-15")


def test_a_second_opening_survey_is_refused(db, world):
    w = world
    data = gypsum("opening", 5, "2024-12-01", "survey")
    with pytest.raises(InvalidInput, match="already has an opening survey"):
        post_at_yard(db, w, data)


# ----------------------------------------------------------------------------- months


def submit(db, who, site_id, period):
    with db.unit_of_work() as uow:
        return reports.submit(uow, who, site_id, {"period": period}, 10)


def test_a_month_is_submitted_once_ended_in_order_and_then_locks(db, world):
    w = world
    yard = w["yard"].id
    this_month = clock.month_of(clock.today())
    with pytest.raises(InvalidState, match=f"^period: {this_month} has not ended yet"):
        submit(db, w["producer"], yard, this_month)
    with pytest.raises(InvalidState, match="^period: 2025-01 is open; months are submitted"):
        submit(db, w["producer"], yard, "2025-02")
    with pytest.raises(InvalidInput, match="before the yard's first month"):
        submit(db, w["producer"], yard, "2024-12")
    with pytest.raises(NotFound):
        submit(db, w["other"], yard, "2025-01")
    report = submit(db, w["producer"], yard, "2025-01")
    assert report.status == "submitted" and report.due_on.isoformat() == "2025-02-10"
    gen = {"kind": "generation", "material": "phosphogypsum", "tonnes": 100, "document": ""}
    with pytest.raises(PeriodLocked) as caught:
        post(db, w["producer"], yard, gen | {"occurred_on": "2025-01-20"})
    assert caught.value.message == (
        f"occurred_on: 2025-01-20 falls in 2025-01, which is submitted for site {yard}; only a "
        "correction approved by a regulator changes it"
    )
    # returned with a reason, the producer fixes the month and submits it again
    with db.unit_of_work() as uow, pytest.raises(NotAllowed):
        reports.return_report(uow, w["producer"], report.id, {"reason": "mine"})
    with db.unit_of_work() as uow:
        reports.return_report(uow, w["regulator"], report.id, {"reason": "P2O5 missing a week"})
    post(db, w["producer"], yard, gen | {"occurred_on": "2025-01-20"})
    again = submit(db, w["producer"], yard, "2025-01")
    with db.unit_of_work() as uow:
        approved = reports.approve(uow, w["regulator"], again.id, {"note": "ok"}, KEY)
    assert approved.status == "approved"
    with pytest.raises(PeriodLocked, match="which is approved"):
        post(db, w["producer"], yard, gen | {"occurred_on": "2025-01-31"})
    with db.read_session() as s:
        listed = reports.list_reports(s, w["producer"], yard, 10)["reports"]
        history = next(r for r in listed if r["period"] == "2025-01")["history"]
    assert [h["action"] for h in history] == ["submitted", "returned", "resubmitted", "approved"]
    assert history[1]["note"] == "P2O5 missing a week"
    # every ended month since is open and, past its due day, overdue
    assert next(r for r in listed if r["period"] == "2025-02")["overdue"] is True


def test_dispatch_and_receipt_dates_are_checked_against_the_contract_the_dispatch_and_locks(
    db, world
):
    w = world
    settings = w["settings"]
    yard = w["yard"]
    contract = march_contract(db, w)

    def dispatch(at, manifest="M-1"):
        with db.unit_of_work() as uow:
            return deliveries.dispatch_delivery(
                uow,
                w["producer"],
                contract.id,
                {"tonnes": 1_000, "manifest_no": manifest, "dispatched_at": at},
            )[0]

    with pytest.raises(DateOutOfRange, match="is before contract"):
        dispatch("1990-01-01T00:00:00Z")
    with pytest.raises(DateOutOfRange, match="is in the future"):
        dispatch("2199-01-01T00:00:00Z")
    d = dispatch("2025-03-05T02:00:00Z")

    def receive(at):
        with db.unit_of_work() as uow:
            return deliveries.confirm_receipt(
                uow, w["recycler"], d.id, {"received_tonnes": 1_000, "received_at": at}, settings
            )[0]

    with pytest.raises(DateOutOfRange, match="is before the dispatch"):
        receive("2025-03-01T00:00:00Z")
    with pytest.raises(DateOutOfRange, match="is in the future"):
        receive("2199-03-01T00:00:00Z")
    b.approve_months(db, w["producer"], yard.id, "2025-01", "2025-03")
    with pytest.raises(PeriodLocked, match="received_at: 2025-03-06 falls in 2025-03"):
        receive("2025-03-06T02:00:00Z")
    with pytest.raises(PeriodLocked, match="dispatched_at: 2025-03-10 falls in 2025-03"):
        dispatch("2025-03-10T02:00:00Z", "M-2")
    assert receive("2025-04-02T02:00:00Z").status == "received"


# ----------------------------------------------------------------------------- settlements


def delivered(db, w, received_t: float, manifest: str):
    """A contract made 2025-03-01; 1,000 t dispatched on 03-05 and `received_t` received."""
    return b.deliver(
        db,
        w["settings"],
        w["producer"],
        w["recycler"],
        march_contract(db, w).id,
        {"tonnes": 1_000, "manifest_no": manifest, "dispatched_at": "2025-03-05T02:00:00Z"},
        {"received_tonnes": received_t, "received_at": "2025-03-05T08:00:00Z"},
    )


@pytest.fixture
def disputed(db, world):
    d = delivered(db, world, 800, "D-1")
    assert d.status == "disputed"
    return d


def receipts(db, delivery_id):
    with db.read_session() as s:
        return [
            (e.tonnes, e.occurred_on.isoformat())
            for e in s.exec(
                select(LedgerEntry).where(
                    LedgerEntry.delivery_id == delivery_id, LedgerEntry.kind == "utilisation"
                )
            )
        ]


def settle(db, who, delivery_id, tonnes):
    with db.unit_of_work() as uow:
        return deliveries.propose_settlement(
            uow, who, delivery_id, {"settled_tonnes": tonnes, "note": "n"}
        )


def test_a_producer_alone_cannot_settle_a_weight_dispute(db, world, disputed):
    w = world
    delivery, agreed = settle(db, w["producer"], disputed.id, 1_000)
    assert not agreed and delivery.status == "disputed" and receipts(db, disputed.id) == []
    delivery, agreed = settle(db, w["recycler"], disputed.id, 850)
    assert not agreed and receipts(db, disputed.id) == []
    delivery, agreed = settle(db, w["producer"], disputed.id, 850)
    assert agreed and delivery.status == "received" and delivery.settled_tonnes == 850
    # it counts on the day the recycler received it, as any receipt does
    assert receipts(db, disputed.id) == [(850, "2025-03-05")]
    with pytest.raises(InvalidState, match="is received, not disputed"):
        settle(db, w["recycler"], disputed.id, 850)


def test_settled_tonnes_never_exceed_the_dispatch_and_outsiders_cannot_propose(db, world, disputed):
    w = world
    with pytest.raises(InvalidInput, match="settled_tonnes: 1001 is above the maximum 1000"):
        settle(db, w["recycler"], disputed.id, 1_001)
    with pytest.raises(NotFound):
        settle(db, w["other"], disputed.id, 900)


def test_a_regulator_arbitrates_and_zero_writes_no_utilisation(db, world, disputed):
    w = world
    settle(db, w["producer"], disputed.id, 1_000)
    settle(db, w["recycler"], disputed.id, 0)
    with db.unit_of_work() as uow, pytest.raises(NotAllowed):
        deliveries.arbitrate(uow, w["producer"], disputed.id, {"settled_tonnes": 1_000})
    with db.unit_of_work() as uow:
        d = deliveries.arbitrate(
            uow, w["regulator"], disputed.id, {"settled_tonnes": 0, "note": "load rejected"}
        )
    assert d.status == "received" and d.settled_tonnes == 0
    assert receipts(db, disputed.id) == []


def test_a_receipt_above_the_dispatch_counts_only_what_was_dispatched(db, world):
    d = delivered(db, world, 1_015, "D-9")
    assert receipts(db, d.id) == [(1_000, "2025-03-05")]


# ----------------------------------------------------------------------------- corrections


def test_a_locked_month_changes_only_through_an_approved_correction(db, world):
    w = world
    yard = w["yard"].id
    corr = {
        "period": "2025-01",
        "material": "phosphogypsum",
        "kind": "generation",
        "tonnes": 1_200,
        "reason": "two weighbridge tickets missed",
    }
    with db.unit_of_work() as uow, pytest.raises(InvalidState, match="post the entry"):
        corrections.request(uow, w["producer"], yard, corr)
    b.approve_months(db, w["producer"], yard, "2025-01", "2025-01")
    doc = b.document(db, w["producer"])
    with db.unit_of_work() as uow:
        req = corrections.request(uow, w["producer"], yard, corr | {"evidence": [doc]})
    assert req.status == "pending"
    assert pg_row(db, w, "2025-01")["generated_t"] == 90_000
    with db.unit_of_work() as uow, pytest.raises(NotAllowed):
        corrections.approve(uow, w["producer"], req.id, {}, KEY)
    with db.unit_of_work() as uow:
        corrections.approve(uow, w["regulator"], req.id, {"note": "tickets seen"}, KEY)
    last = entries_of(db, yard)[-1]
    assert (last.kind, last.tonnes, last.occurred_on.isoformat(), last.correction_id) == (
        "generation",
        1_200,
        "2025-01-31",
        req.id,
    )
    assert last.evidence == [{"id": doc, "sha256": last.evidence[0]["sha256"]}]
    row = pg_row(db, w, "2025-01")
    assert row["generated_t"] == 91_200 and "restated" in row["flags"]
    (change,) = row["restatements"]
    assert change["reason"] == "two weighbridge tickets missed"
    assert change["requested_by"] == w["producer"].username
    assert change["approved_by"] == w["regulator"].username
    with db.read_session() as s:
        versions = s.exec(
            select(Seal.version).where(Seal.site_id == yard, Seal.period == "2025-01")
        ).all()
        assert audit.verify(s, w["regulator"], seal_key=KEY)["ok"]
    assert sorted(versions) == [1, 2]
    with db.unit_of_work() as uow, pytest.raises(InvalidState, match="already approved"):
        corrections.approve(uow, w["regulator"], req.id, {}, KEY)


def test_a_rejected_correction_writes_nothing(db, world):
    w = world
    yard = w["yard"].id
    b.approve_months(db, w["producer"], yard, "2025-01", "2025-01")
    with db.unit_of_work() as uow:
        req = corrections.request(
            uow,
            w["producer"],
            yard,
            {
                "period": "2025-01",
                "material": "phosphogypsum",
                "kind": "stock",
                "tonnes": -2_000_000,
                "reason": "resurvey",
            },
        )
    # approving it would leave the stock below zero: refused, and still pending
    with db.unit_of_work() as uow, pytest.raises(StockNegative):
        corrections.approve(uow, w["regulator"], req.id, {}, KEY)
    before = len(entries_of(db, yard))
    with db.unit_of_work() as uow:
        corrections.reject(uow, w["regulator"], req.id, {"reason": "survey not signed"})
    with db.read_session() as s:
        row = s.get(CorrectionRequest, req.id)
    assert (row.status, row.decision_note) == ("rejected", "survey not signed")
    assert len(entries_of(db, yard)) == before


# ----------------------------------------------------------------------------- evidence


def test_a_document_is_judged_by_its_content_and_read_only_by_whom_it_concerns(db, world):
    w = world
    with db.unit_of_work() as uow, pytest.raises(InvalidInput, match="is not a PDF, JPEG"):
        documents.upload(
            uow, w["producer"], content=b"MZ\x90\x00", filename="ticket.pdf", max_bytes=100
        )
    with db.unit_of_work() as uow, pytest.raises(InvalidInput, match="at most 10 allowed"):
        documents.upload(uow, w["producer"], content=b.PDF, filename="a.pdf", max_bytes=10)
    doc = b.document(db, w["producer"])
    with db.read_session() as s:
        assert documents.readable(s, w["regulator"], doc).sha256
        assert documents.readable(s, w["evaluator"], doc).size == len(b.PDF)
        for outsider in (w["other"], w["stranger"], w["recycler"]):
            with pytest.raises(NotFound):
                documents.readable(s, outsider, doc)
    # nobody cites another organisation's document
    theirs = b.site(db, w["other"]).id
    b.entry(db, w["other"], theirs, "opening", 10, "2025-01-01")
    with pytest.raises(InvalidInput, match="is not a document your organisation uploaded"):
        post(
            db,
            w["other"],
            theirs,
            gypsum("treatment", 1, "2025-02-01", "x", evidence=[doc]),
        )


def test_a_swapped_evidence_file_is_found_by_the_tamper_check(db, world):
    w = world
    b.entry(db, w["producer"], w["yard"].id, "treatment", 1_000, "2025-02-28")
    cited = entries_of(db, w["yard"].id)[-1]
    doc_id = cited.evidence[0]["id"]
    with db.read_session() as s:
        assert audit.verify(s, w["regulator"], seal_key=KEY)["ok"]
    raw(db, "UPDATE document SET content = :c WHERE id = :id", c=b"%PDF-1.4 forged", id=doc_id)
    with db.read_session() as s:
        report = audit.verify(s, w["regulator"], seal_key=KEY)
    assert not report["ok"]
    (brk,) = report["breaks"]
    assert (brk["site_id"], brk["seq"], brk["entry_id"]) == (w["yard"].id, cited.seq, cited.id)
    assert "SHA-256 differs" in brk["problem"]
