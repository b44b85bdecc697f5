from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from market import catalogue, clock, fields, schemas
from market.auth import Actor
from market.db import UnitOfWork
from market.errors import EvidenceRequired, InvalidInput, NotAllowed, NotFound
from market.ledger import GENESIS, Content, digest, evidence_pairs, stock_effect
from market.schemas.bodies import LedgerEntryCreate
from market.services.common import OVERSEERS, get
from market.tables import LedgerEntry, LedgerHead, Site, utcnow

ENTRY_FIELDS = schemas.names(LedgerEntryCreate)


def append(
    uow: UnitOfWork,
    *,
    site_id: int,
    kind: str,
    material: str,
    tonnes: float,
    occurred_on: date,
    document: str,
    recorded_by: int,
    delivery_id: int | None = None,
    evidence: list[dict[str, Any]] | None = None,
    correction_id: int | None = None,
    attestation: str = "not_required",
) -> LedgerEntry:
    """Append one entry to a site's chain. The site row is locked so appends never interleave."""
    get(uow.session, Site, site_id, what="site_id", lock=True)
    head = uow.session.get(LedgerHead, site_id)
    seq = head.seq + 1 if head else 1
    prev = head.hash if head else GENESIS
    recorded_at = utcnow()
    content = Content(
        site_id,
        seq,
        kind,
        material,
        round(tonnes, 3),
        occurred_on,
        document,
        delivery_id,
        recorded_by,
        recorded_at,
        prev,
        evidence_pairs(evidence),
        correction_id,
    )
    entry = LedgerEntry(
        site_id=site_id,
        seq=seq,
        kind=kind,
        material=material,
        tonnes=content.tonnes,
        occurred_on=occurred_on,
        document=document,
        delivery_id=delivery_id,
        recorded_by=recorded_by,
        recorded_at=recorded_at,
        prev_hash=prev,
        hash=digest(content),
        evidence=list(evidence or []),
        correction_id=correction_id,
        attestation=attestation,
    )
    uow.session.add(entry)
    if head is None:
        head = LedgerHead(site_id=site_id, seq=seq, hash=entry.hash)
    else:
        head.seq, head.hash = seq, entry.hash
    uow.session.add(head)
    uow.flush()
    return entry


def readable_site(uow: UnitOfWork, actor: Actor, site_id: int) -> Site:
    site = get(uow.session, Site, site_id, what="site_id")
    if actor.role not in OVERSEERS and site.organisation_id != actor.organisation_id:
        raise NotFound("site_id: {value} does not exist", field="site_id", value=site_id)
    return site


def parse_entry(data: Mapping[str, Any], *, today: date) -> dict[str, Any]:
    fields.reject_unknown(data, ENTRY_FIELDS)
    kind = schemas.value(LedgerEntryCreate, data, "kind")
    material = catalogue.material(data.get("material"))
    if kind == "p2o5_output" and material != "phosphogypsum":
        raise InvalidInput.about(
            "material", material, "must be phosphogypsum for a p2o5_output entry"
        )
    if kind == "correction":
        tonnes = fields.number(
            data, "tonnes", minimum=-fields.MAX_TONNES, maximum=fields.MAX_TONNES
        )
        assert tonnes is not None
        if tonnes == 0:
            raise InvalidInput.about("tonnes", tonnes, "must not be 0 for a correction")
        tonnes = round(tonnes, 3)
    else:
        tonnes = fields.tonnes(data, "tonnes")
    occurred_on = schemas.value(LedgerEntryCreate, data, "occurred_on") or today
    document = schemas.value(LedgerEntryCreate, data, "document")
    if kind in ("utilisation", "treatment", "disposal", "correction", "opening") and not document:
        raise InvalidInput(
            "document: is required for a {entry_kind} entry "
            "(the survey, contract or report behind it)",
            field="document",
            entry_kind=kind,
        )
    return {
        "kind": kind,
        "material": material,
        "tonnes": tonnes,
        "occurred_on": occurred_on,
        "document": document,
    }


def post_entry(uow: UnitOfWork, actor: Actor, site_id: int, data: Mapping[str, Any]) -> LedgerEntry:
    """A producer records generation, P2O5 output, own use, treatment, disposal or a correction
    at one of its yards. Dispatches and receipts are written by deliveries, never by hand.

    The yard is locked first, so the checks below (locked months, stock, one opening survey)
    see every entry committed before this one, under races too."""
    from market.services import corrections, documents, reports

    actor.require("producer")
    site = readable_site(uow, actor, site_id)
    if site.kind != "yard":
        raise NotAllowed(
            "site_id: {site_id} is a plant; ledgers are kept at yards", site_id=site_id
        )
    get(uow.session, Site, site_id, what="site_id", lock=True)
    values = parse_entry(data, today=clock.today())
    kind, material, day = values["kind"], values["material"], values["occurred_on"]
    evidence = documents.cite(uow.session, actor, data.get("evidence"))
    claim = corrections.needs_attestation(kind, None)
    if claim and not evidence:
        raise EvidenceRequired(
            "evidence: is required for a {entry_kind} entry a producer "
            "claims itself (upload the record behind it to "
            "/api/v1/documents and cite its id)",
            field="evidence",
            entry_kind=kind,
        )
    reports.check_date(
        uow.session, site_id, material, day, field="occurred_on", opening=kind == "opening"
    )
    if kind == "opening":
        existing = uow.session.exec(
            select(LedgerEntry.id).where(
                LedgerEntry.site_id == site_id,
                LedgerEntry.material == material,
                LedgerEntry.kind == "opening",
            )
        ).first()
        if existing is not None:
            raise _second_opening(material)
    reports.check_stock(
        uow.session,
        site_id,
        material,
        day,
        stock_effect(kind, values["tonnes"], None),
        shown=abs(values["tonnes"]),
    )
    assert site.id is not None
    try:
        entry = append(
            uow,
            site_id=site.id,
            recorded_by=actor.user_id,
            evidence=evidence,
            attestation="pending" if claim else "not_required",
            **values,
        )
        uow.commit()
    except IntegrityError:
        # the unique index on opening surveys, should a race get past the lock above
        uow.session.rollback()
        raise _second_opening(material) from None
    return entry


def _second_opening(material: str) -> InvalidInput:
    return InvalidInput(
        "kind: this yard already has an opening survey for {material}; record a correction instead",
        field="kind",
        value="opening",
        material=material,
    )
