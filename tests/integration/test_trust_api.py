"""Trusted figures over HTTP (the app in process, real SQLite and PostgreSQL): the refusal codes
the contract names, uploads judged by content, the review flow, and the public seal key."""

from __future__ import annotations

import json

import pytest

from market.seals import load_public, signature_holds
from market.seed import link_evaluator
from tests.support import builders as b
from tests.support.ledger import gypsum
from tests.support.sessions import bearer, call
from web.app import create_app


@pytest.fixture
def api(db, settings):
    producer = b.actor(db, "producer")
    other = b.actor(db, "producer")
    regulator = b.regulator(db)
    evaluator = b.actor(db, "evaluator")
    with db.unit_of_work() as uow:
        link_evaluator(uow, evaluator.organisation_id, producer.organisation_id)
        uow.commit()
    yard = b.site(db, producer, b.ANNING).id
    b.entry(db, producer, yard, "opening", 10_000, "2025-01-01")
    b.entry(db, producer, yard, "generation", 500, "2025-01-31")
    app = create_app(settings, db)
    heads = {
        "producer": bearer(db, producer),
        "other": bearer(db, other),
        "regulator": bearer(db, regulator),
        "evaluator": bearer(db, evaluator),
    }

    def go(*requests):
        return call(app, *requests)

    return {"go": go, "h": heads, "yard": yard, "db": db}


def test_the_month_flow_and_the_refusal_codes(api):
    go, h, yard = api["go"], api["h"], api["yard"]
    entry = {"kind": "generation", "material": "phosphogypsum", "tonnes": 5, "document": ""}
    (listed, submitted, early, foreign) = go(
        ("GET", f"/api/v1/sites/{yard}/reports", {"headers": h["producer"]}),
        (
            "POST",
            f"/api/v1/sites/{yard}/reports",
            {"json": {"period": "2025-01"}, "headers": h["producer"]},
        ),
        (
            "POST",
            f"/api/v1/sites/{yard}/reports",
            {"json": {"period": "2025-03"}, "headers": h["producer"]},
        ),
        ("GET", f"/api/v1/sites/{yard}/reports", {"headers": h["other"]}),
    )
    assert listed.status_code == 200 and listed.json()["reports"][-1]["period"] == "2025-01"
    assert submitted.status_code == 201
    report = submitted.json()
    assert (report["status"], report["due_on"]) == ("submitted", "2025-02-10")
    assert early.status_code == 409 and early.json()["error"]["code"] == "invalid_state"
    assert foreign.status_code == 404
    (queue, locked, approved_by_producer, approved) = go(
        ("GET", "/api/v1/reports?status=submitted", {"headers": h["regulator"]}),
        (
            "POST",
            f"/api/v1/sites/{yard}/ledger",
            {"json": entry | {"occurred_on": "2025-01-15"}, "headers": h["producer"]},
        ),
        ("POST", f"/api/v1/reports/{report['id']}/approve", {"json": {}, "headers": h["producer"]}),
        (
            "POST",
            f"/api/v1/reports/{report['id']}/approve",
            {"json": {"note": "ok"}, "headers": h["regulator"]},
        ),
    )
    assert [r["period"] for r in queue.json()["reports"]] == ["2025-01"]
    assert locked.status_code == 409
    assert locked.json()["error"] == {
        "code": "period_locked",
        "message": f"occurred_on: 2025-01-15 falls in 2025-01, which is submitted for site {yard}; "
        "only a correction approved by a regulator changes it",
        "field": "occurred_on",
        "params": {
            "field": "occurred_on",
            "value": "2025-01-15",
            "period": "2025-01",
            "row_state": "submitted",
            "site_id": yard,
        },
    }
    assert approved_by_producer.status_code == 403
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    (negative, old, claim) = go(
        (
            "POST",
            f"/api/v1/sites/{yard}/ledger",
            {
                "json": entry
                | {
                    "kind": "disposal",
                    "tonnes": 20_000,
                    "occurred_on": "2025-02-01",
                    "document": "ticket",
                },
                "headers": h["producer"],
            },
        ),
        (
            "POST",
            f"/api/v1/sites/{yard}/ledger",
            {"json": entry | {"occurred_on": "1990-01-01"}, "headers": h["producer"]},
        ),
        (
            "POST",
            f"/api/v1/sites/{yard}/ledger",
            {
                "json": entry
                | {"kind": "utilisation", "occurred_on": "2025-02-01", "document": "own use"},
                "headers": h["producer"],
            },
        ),
    )
    assert negative.status_code == 422 and negative.json()["error"]["code"] == "stock_negative"
    assert old.status_code == 422 and old.json()["error"]["code"] == "date_out_of_range"
    assert claim.status_code == 422 and claim.json()["error"]["code"] == "evidence_required"
    assert claim.json()["error"]["field"] == "evidence"


def test_evidence_upload_cite_attest_and_read(api):
    go, h, yard = api["go"], api["h"], api["yard"]
    (pdf, exe, none, huge) = go(
        (
            "POST",
            "/api/v1/documents",
            {"files": {"file": ("r.pdf", b.PDF, "application/pdf")}, "headers": h["producer"]},
        ),
        (
            "POST",
            "/api/v1/documents",
            {"files": {"file": ("r.pdf", b"MZ\x90", "application/pdf")}, "headers": h["producer"]},
        ),
        ("POST", "/api/v1/documents", {"data": {"x": "1"}, "headers": h["producer"]}),
        (
            "POST",
            "/api/v1/documents",
            {
                "content": b"x",
                "headers": h["producer"]
                | {"content-type": "multipart/form-data; boundary=z", "content-length": "99999999"},
            },
        ),
    )
    assert pdf.status_code == 201, pdf.text
    doc = pdf.json()
    assert (doc["media_type"], doc["size"], doc["filename"]) == (
        "application/pdf",
        len(b.PDF),
        "r.pdf",
    )
    assert exe.status_code == 422 and "judged by its content" in exe.json()["error"]["message"]
    assert none.status_code in (400, 422)
    # refused by its declared length before a byte of it is read
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "too_large"
    claim = gypsum("treatment", 300, "2025-02-10", "backfill", evidence=[doc["id"]])
    (posted, mine, theirs, regulators) = go(
        ("POST", f"/api/v1/sites/{yard}/ledger", {"json": claim, "headers": h["producer"]}),
        ("GET", f"/api/v1/documents/{doc['id']}", {"headers": h["producer"]}),
        ("GET", f"/api/v1/documents/{doc['id']}", {"headers": h["other"]}),
        ("GET", f"/api/v1/documents/{doc['id']}", {"headers": h["regulator"]}),
    )
    assert posted.status_code == 201, posted.text
    entry = posted.json()
    assert mine.content == b.PDF and regulators.status_code == 200
    assert theirs.status_code == 404
    (queue, attested, again) = go(
        ("GET", "/api/v1/attestations", {"headers": h["evaluator"]}),
        (
            "POST",
            f"/api/v1/ledger/{entry['id']}/attest",
            {"json": {"decision": "attested", "note": "seen"}, "headers": h["evaluator"]},
        ),
        (
            "POST",
            f"/api/v1/ledger/{entry['id']}/attest",
            {"json": {"decision": "attested"}, "headers": h["evaluator"]},
        ),
    )
    assert [c["entry_id"] for c in queue.json()["claims"]] == [entry["id"]]
    assert attested.status_code == 200 and attested.json()["attestation"] == "attested"
    assert again.status_code == 409


def test_the_public_key_verifies_an_exported_seal(api):
    go, h, yard = api["go"], api["h"], api["yard"]
    b.approve_months(api["db"], _producer(api), yard, "2025-01", "2025-01")
    (key, queue) = go(
        ("GET", "/api/v1/audit/seal-key", {}),
        ("GET", "/api/v1/reports?status=approved", {"headers": h["regulator"]}),
    )
    assert key.status_code == 200 and key.text.startswith("-----BEGIN PUBLIC KEY-----")
    (report,) = queue.json()["reports"]
    # the builders sealed with their own key; a month approved through the API uses the app's
    (sub,) = go(
        (
            "POST",
            f"/api/v1/sites/{yard}/reports",
            {"json": {"period": "2025-02"}, "headers": h["producer"]},
        )
    )
    (approved, exported, verify) = go(
        (
            "POST",
            f"/api/v1/reports/{sub.json()['id']}/approve",
            {"json": {}, "headers": h["regulator"]},
        ),
        ("GET", f"/api/v1/reports/{sub.json()['id']}/seal", {"headers": h["producer"]}),
        ("GET", "/api/v1/audit/verify", {"headers": h["regulator"]}),
    )
    assert approved.status_code == 200
    seal = exported.json()
    assert signature_holds(load_public(key.text), seal["statement"], seal["signature"])
    assert json.loads(seal["statement"])["period"] == "2025-02"
    # January's seal was made with another key than the app's: the tamper check says so
    breaks = verify.json()["breaks"]
    assert [(br["period"], "unknown key" in br["problem"]) for br in breaks] == [
        (report["period"], True)
    ]


def _producer(api):
    from sqlmodel import select

    from market.auth import actor_for
    from market.tables import Site, User

    with api["db"].read_session() as s:
        site = s.get(Site, api["yard"])
        user = s.exec(select(User).where(User.organisation_id == site.organisation_id)).first()
        return actor_for(s, user)


def test_a_photo_of_several_megabytes_is_uploaded_while_other_bodies_stay_small(api):
    go, h = api["go"], api["h"]
    photo = b"\xff\xd8\xff\xe0" + b"\x00" * 3_000_000
    (uploaded, page_form, other) = go(
        (
            "POST",
            "/api/v1/documents",
            {"files": {"file": ("ticket.jpg", photo, "image/jpeg")}, "headers": h["producer"]},
        ),
        (
            "POST",
            "/yards/1/corrections",
            {"content": photo, "headers": {"content-type": "multipart/form-data; boundary=z"}},
        ),
        (
            "POST",
            "/api/v1/sites",
            {"content": photo, "headers": h["producer"] | {"content-type": "application/json"}},
        ),
    )
    assert uploaded.status_code == 201 and uploaded.json()["media_type"] == "image/jpeg"
    assert page_form.status_code != 413  # past the size check (then refused for no session)
    assert other.status_code == 413
