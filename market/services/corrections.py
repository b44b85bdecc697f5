"""Corrections to locked months, and attestation of a producer's own claims.

A submitted or approved month changes only through a correction the producer asks for, with a
reason, and a regulator approves: the approval appends an entry (never an edit) dated on the
month's last day, naming the request, and seals the month again. A producer's own-use
`utilisation` and its `treatment` count only once a regulator, or an evaluator linked to the
producer, attests them; a rejected claim stays in the ledger and counts as zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from market import catalogue, clock, fields, schemas
from market.auth import Actor
from market.db import UnitOfWork
from market.errors import InvalidInput, InvalidState, NotFound
from market.ledger import stock_effect
from market.notifications import notify
from market.schemas import bodies
from market.seals import SealKey
from market.services import documents, ledger, reports
from market.services.common import OVERSEERS, get, mine
from market.services.reports import user_names
from market.tables import (
    Attestation,
    CorrectionRequest,
    LedgerEntry,
    Site,
    utcnow,
)

REQUEST_FIELDS = schemas.names(bodies.CorrectionRequest)
APPROVE_FIELDS = schemas.names(bodies.CorrectionApprove)
REJECT_FIELDS = schemas.names(bodies.ReportReturn)
ATTEST_FIELDS = schemas.names(bodies.Attest)
DECISIONS = bodies.DECISIONS
CLAIM_KINDS = ("utilisation", "treatment")


def needs_attestation(kind: str, delivery_id: int | None) -> bool:
    """A producer's own claim of use or treatment; a receipt is confirmed by the recycler."""
    return kind in CLAIM_KINDS and delivery_id is None


# ----------------------------------------------------------------------------- corrections


def request(
    uow: UnitOfWork, actor: Actor, site_id: int, data: Mapping[str, Any]
) -> CorrectionRequest:
    actor.require("producer")
    site = mine(uow.session, actor, site_id, lock=True)
    if site.kind != "yard":
        raise InvalidInput.about("site_id", site_id, "is a plant; ledgers are kept at yards")
    fields.reject_unknown(data, REQUEST_FIELDS)
    period = reports.parse_month(data.get("period"))
    state = reports.status_of(uow.session, site_id, period)
    if state not in reports.LOCKED:
        raise InvalidState(
            "period: {value} is {state}; post the entry to the "
            "ledger directly, corrections are for submitted and "
            "approved months",
            field="period",
            value=period,
            state=state,
        )
    material = catalogue.material(data.get("material"))
    kind = schemas.value(bodies.CorrectionRequest, data, "kind")
    if kind == "p2o5_output" and material != "phosphogypsum":
        raise InvalidInput.about("material", material, "must be phosphogypsum for p2o5_output")
    tonnes = round(schemas.value(bodies.CorrectionRequest, data, "tonnes"), 3)
    if tonnes == 0:
        raise InvalidInput.about("tonnes", tonnes, "must not be 0 for a correction")
    reason = schemas.value(bodies.CorrectionRequest, data, "reason")
    evidence = documents.cite(uow.session, actor, data.get("evidence"))
    row = CorrectionRequest(
        site_id=site_id,
        period=period,
        material=material,
        kind=kind,
        tonnes=tonnes,
        reason=reason,
        evidence=evidence,
        requested_by=actor.user_id,
    )
    uow.session.add(row)
    uow.flush()
    notify(
        uow,
        "correction_requested",
        url="/review/corrections",
        roles=["regulator"],
        correction=row.id,
        site=site.name,
        period=period,
    )
    uow.commit()
    return row


def _pending(uow: UnitOfWork, actor: Actor, correction_id: int) -> CorrectionRequest:
    actor.require("regulator")
    row = get(uow.session, CorrectionRequest, correction_id, what="correction", lock=True)
    if row.status != "pending":
        raise InvalidState(
            "correction: {value} is already {row_state}",
            field="correction",
            value=correction_id,
            row_state=row.status,
        )
    return row


def entry_kind(kind: str) -> str:
    """The ledger kind a corrected figure is written as (a stock correction is a `correction`)."""
    return "correction" if kind == "stock" else kind


def approve(
    uow: UnitOfWork, actor: Actor, correction_id: int, data: Mapping[str, Any], key: SealKey
) -> CorrectionRequest:
    row = _pending(uow, actor, correction_id)
    note = schemas.parse(bodies.CorrectionApprove, data)["note"]
    get(uow.session, Site, row.site_id, what="site_id", lock=True)
    _, last = clock.month_bounds(row.period)
    kind = entry_kind(row.kind)
    reports.check_stock(
        uow.session,
        row.site_id,
        row.material,
        last,
        stock_effect(kind, row.tonnes, None),
        field="tonnes",
        shown=abs(row.tonnes),
    )
    _decide(uow, actor, row, "approved", note)
    uow.flush()
    ledger.append(
        uow,
        site_id=row.site_id,
        kind=kind,
        material=row.material,
        tonnes=row.tonnes,
        occurred_on=last,
        document=f"correction #{row.id}: {row.reason}"[:200],
        recorded_by=actor.user_id,
        evidence=row.evidence,
        correction_id=row.id,
    )
    reports.reseal_if_approved(
        uow, row.site_id, row.period, actor, key, reason=f"correction #{row.id}"
    )
    _tell_producer(uow, row)
    uow.commit()
    return row


def reject(
    uow: UnitOfWork, actor: Actor, correction_id: int, data: Mapping[str, Any]
) -> CorrectionRequest:
    row = _pending(uow, actor, correction_id)
    reason = schemas.parse(bodies.ReportReturn, data)["reason"]
    _decide(uow, actor, row, "rejected", reason)
    _tell_producer(uow, row)
    uow.commit()
    return row


def _decide(uow: UnitOfWork, actor: Actor, row: CorrectionRequest, status: str, note: str) -> None:
    """Record the regulator's decision on a pending request, with its note (or reason)."""
    row.status = status
    row.decided_by = actor.user_id
    row.decided_at = utcnow()
    row.decision_note = note
    uow.session.add(row)


def _tell_producer(uow: UnitOfWork, row: CorrectionRequest) -> None:
    decided = {"correction": row.id, "decision": row.status}
    reports.tell_yard(uow, row.site_id, "correction_decided", row.period, **decided)


def public(row: CorrectionRequest, names: Mapping[int, str] | None = None) -> dict[str, Any]:
    names = names or {}
    return {
        "id": row.id,
        "site_id": row.site_id,
        "period": row.period,
        "material": row.material,
        "kind": row.kind,
        "tonnes": row.tonnes,
        "reason": row.reason,
        "evidence": [d["id"] for d in row.evidence],
        "status": row.status,
        "requested_by": names.get(row.requested_by, row.requested_by),
        "requested_at": row.requested_at.isoformat(),
        "decided_by": names.get(row.decided_by, row.decided_by) if row.decided_by else None,
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        "decision_note": row.decision_note,
    }


def list_corrections(
    session: Session,
    actor: Actor,
    *,
    site_id: int | None = None,
    status: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[dict[str, Any]]:
    q = select(CorrectionRequest, Site).join(Site, col(Site.id) == CorrectionRequest.site_id)
    if actor.role not in OVERSEERS:
        q = q.where(Site.organisation_id == actor.organisation_id)
    if site_id is not None:
        q = q.where(CorrectionRequest.site_id == site_id)
    if status:
        q = q.where(CorrectionRequest.status == status)
    rows = session.exec(
        q.order_by(col(CorrectionRequest.id).desc()).limit(limit).offset(offset)
    ).all()
    names = user_names(session, [r.requested_by for r, _ in rows] + [r.decided_by for r, _ in rows])
    return [
        public(r, names) | {"site": s.name, "organisation_id": s.organisation_id} for r, s in rows
    ]


# ----------------------------------------------------------------------------- attestation


def attest(
    uow: UnitOfWork, actor: Actor, entry_id: int, data: Mapping[str, Any], key: SealKey
) -> LedgerEntry:
    actor.require("regulator", "evaluator")
    entry = get(uow.session, LedgerEntry, entry_id, what="entry", lock=True)
    site = get(uow.session, Site, entry.site_id, what="site_id", lock=True)
    if actor.role == "evaluator" and not documents.evaluates(
        uow.session, actor.organisation_id, site.organisation_id
    ):
        raise NotFound("entry: {value} does not exist", field="entry", value=entry_id)
    fields.reject_unknown(data, ATTEST_FIELDS)
    decision = schemas.value(bodies.Attest, data, "decision")
    note = schemas.value(bodies.Attest, data, "note", required=decision == "rejected")
    if entry.attestation != "pending":
        raise InvalidState(
            "entry: {value} is {attestation_state}; only a pending claim is attested",
            field="entry",
            value=entry_id,
            attestation_state=entry.attestation,
        )
    assert entry.id is not None
    uow.session.add(
        Attestation(
            entry_id=entry.id,
            decision=decision,
            note=note,
            by=actor.user_id,
            organisation_id=actor.organisation_id,
        )
    )
    entry.attestation = decision
    uow.session.add(entry)
    uow.flush()
    reports.reseal_if_approved(
        uow,
        entry.site_id,
        clock.month_of(entry.occurred_on),
        actor,
        key,
        reason=f"attestation of entry {entry.id}",
    )
    uow.commit()
    return entry


def claims(
    session: Session,
    actor: Actor,
    *,
    status: str = "pending",
    limit: int = 200,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Own-use and treatment claims for a regulator (all) or an evaluator (its producers)."""
    from market.tables import EvaluatorLink, Organisation

    actor.require("regulator", "evaluator", "operator")
    q = (
        select(LedgerEntry, Site, Organisation)
        .join(Site, col(Site.id) == LedgerEntry.site_id)
        .join(Organisation, col(Organisation.id) == Site.organisation_id)
        .where(col(LedgerEntry.attestation) == status)
    )
    if actor.role == "evaluator":
        q = q.join(
            EvaluatorLink,
            (col(EvaluatorLink.producer_org_id) == Site.organisation_id)
            & (col(EvaluatorLink.evaluator_org_id) == actor.organisation_id),
        )
    # the queue oldest first (what waits longest comes first); decisions, latest decided first
    if status == "pending":
        q = q.order_by(col(LedgerEntry.occurred_on), col(LedgerEntry.id))
    else:
        q = q.join(Attestation, col(Attestation.entry_id) == LedgerEntry.id).order_by(
            col(Attestation.at).desc(), col(Attestation.id).desc()
        )
    rows = session.exec(q.limit(limit).offset(offset)).all()
    decided = {
        a.entry_id: a
        for a in session.exec(
            select(Attestation).where(col(Attestation.entry_id).in_([e.id for e, _, _ in rows]))
        ).all()
    }
    names = user_names(
        session,
        [e.recorded_by for e, _, _ in rows] + [a.by for a in decided.values()],
    )
    out = []
    for e, site, org in rows:
        a = decided.get(e.id or 0)
        out.append(
            {
                "entry_id": e.id,
                "site_id": e.site_id,
                "site": site.name,
                "organisation_id": org.id,
                "organisation": org.name,
                "kind": e.kind,
                "material": e.material,
                "tonnes": e.tonnes,
                "occurred_on": e.occurred_on.isoformat(),
                "document": e.document,
                "evidence": [d["id"] for d in e.evidence or []],
                "recorded_by": names.get(e.recorded_by),
                "attestation": e.attestation,
                "decided_by": names.get(a.by) if a else None,
                "decided_at": a.at.isoformat() if a else None,
                "note": a.note if a else "",
            }
        )
    return out
