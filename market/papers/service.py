"""Trucks, tickets and lab reports: the services behind the papers.

- `dispatch_trucks`: a day's trucks under one contract at once (plate, driver, tonnes each),
  all of them or none: each truck is an ordinary dispatch (its own manifest, ledger entry and
  checks), run inside one transaction that commits only when every row went through.
- `set_driver`: the driver named on a delivery's manifest (the producer's, before receipt).
- `attach_ticket`: the recycler's weighbridge ticket (a picture or a PDF, judged by content).
- `attach_lab_report`: the lab report behind a lot's assay (the lot's producer).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel import col, select

from market import clock, fields
from market.auth import Actor
from market.db import UnitOfWork
from market.documents import MEDIA_TYPES
from market.errors import DomainError, InvalidInput, NotFound
from market.services import deliveries, documents
from market.services.common import MAX_ID, get
from market.tables import (
    Contract,
    Delivery,
    DeliveryPapers,
    Document,
    Lot,
    LotLabReport,
    Offer,
    Site,
    utcnow,
)

MAX_TRUCKS = 60
"""A day's trucks under one contract: at 35 t a load, 2 100 t."""
TRUCK_LOAD_T = 35.0
"""A typical load of a tipper truck (30–40 t); the dispatch form's default."""
TICKET_TYPES = frozenset({MEDIA_TYPES["pdf"], MEDIA_TYPES["jpeg"], MEDIA_TYPES["png"]})
LAB_REPORT_TYPES = TICKET_TYPES | {MEDIA_TYPES["xlsx"]}
_TRUCK_FIELDS = ("truck_plate", "driver", "tonnes", "manifest_no")
_PLATE = re.compile(r"[\w·\-. ]{2,20}")


def default_load(remaining_t: float) -> float:
    """One truck's load, or what is left on the contract when that is less."""
    return round(min(TRUCK_LOAD_T, max(remaining_t, 0.0)), 3)


def _papers(uow: UnitOfWork, delivery_id: int) -> DeliveryPapers:
    row = uow.session.get(DeliveryPapers, delivery_id)
    if row is None:
        row = DeliveryPapers(delivery_id=delivery_id)
    return row


def parse_trucks_csv(text: str) -> list[dict[str, Any]]:
    """`plate, driver, tonnes[, manifest_no]` per line (a header line is skipped), as pasted."""
    rows: list[dict[str, Any]] = []
    for n, cells in enumerate(csv.reader(io.StringIO(text.strip())), start=1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if n == 1 and cells and cells[0].lower() in ("plate", "truck_plate", "车牌", "车牌号"):
            continue
        if len(cells) < 3 or len(cells) > 4:
            raise InvalidInput.about(
                f"trucks line {n}", ",".join(cells), "must be: plate, driver, tonnes[, manifest]"
            )
        row: dict[str, Any] = {"truck_plate": cells[0], "driver": cells[1], "tonnes": cells[2]}
        if len(cells) == 4 and cells[3]:
            row["manifest_no"] = cells[3]
        rows.append(row)
    return rows


def _manifest_no(uow: UnitOfWork, actor: Actor, contract_id: int, n: int) -> str:
    """A manifest number for a truck given none: contract, day, and a count that is free."""
    day = clock.today().strftime("%Y%m%d")
    while True:
        candidate = f"C{contract_id}-{day}-{n:03d}"
        taken = uow.session.exec(
            select(Delivery.id).where(
                Delivery.producer_org_id == actor.organisation_id,
                Delivery.manifest_no == candidate,
            )
        ).first()
        if taken is None:
            return candidate
        n += 1


def dispatch_trucks(
    uow: UnitOfWork, actor: Actor, contract_id: int, data: Mapping[str, Any]
) -> list[Delivery]:
    """`{"trucks": [{truck_plate, driver, tonnes, manifest_no?}, ...], "dispatched_at"?}` or
    `{"csv": "plate,driver,tonnes\\n..."}`: every truck dispatched, or none (the first refusal
    names its row)."""
    actor.require("producer")
    fields.reject_unknown(data, ("trucks", "csv", "dispatched_at"))
    raw = data.get("trucks")
    if raw is None and isinstance(data.get("csv"), str):
        raw = parse_trucks_csv(data["csv"])
    if not isinstance(raw, list) or not raw:
        raise InvalidInput.about("trucks", raw, "must be a non-empty list of trucks (or a csv)")
    if len(raw) > MAX_TRUCKS:
        raise InvalidInput.about(
            "trucks", len(raw), "trucks at once; at most {MAX_TRUCKS}", MAX_TRUCKS=MAX_TRUCKS
        )
    at = data.get("dispatched_at") or None
    made: list[Delivery] = []
    batch, uow.batch = uow.batch, True  # each dispatch only flushes; one commit at the end
    try:
        used: set[str] = set()
        for i, row in enumerate(raw):
            where = f"trucks[{i}]"
            if not isinstance(row, Mapping):
                raise InvalidInput.about(where, row, "must be an object")
            fields.reject_unknown(row, _TRUCK_FIELDS, prefix=f"{where}.")
            plate = fields.text(row, "truck_plate", required=True, max_length=20)
            if not _PLATE.fullmatch(plate):
                raise InvalidInput.about(f"{where}.truck_plate", plate, "is not a plate number")
            driver = fields.text(row, "driver", required=True, max_length=60)
            manifest = fields.text(row, "manifest_no", max_length=60) or _manifest_no(
                uow, actor, contract_id, len(made) + 1
            )
            if manifest in used:
                raise InvalidInput.about(f"{where}.manifest_no", manifest, "appears twice")
            used.add(manifest)
            one: dict[str, Any] = {
                "tonnes": row.get("tonnes"),
                "manifest_no": manifest,
                "truck_plate": plate,
            }
            if at:
                one["dispatched_at"] = at
            try:
                delivery, created = deliveries.dispatch_delivery(uow, actor, contract_id, one)
            except DomainError as exc:
                raise type(exc)(
                    f"{where}: {exc}",
                    field=f"{where}.{exc.field or ''}".rstrip("."),
                    value=getattr(exc, "value", None),
                ) from None
            if not created:
                raise InvalidInput.about(f"{where}.manifest_no", manifest, "is already dispatched")
            assert delivery.id is not None
            papers = _papers(uow, delivery.id)
            papers.driver = driver
            uow.session.add(papers)
            made.append(delivery)
    finally:
        uow.batch = batch
    uow.commit()
    return made


def dispatch_with_driver(
    uow: UnitOfWork, actor: Actor, contract_id: int, data: Mapping[str, Any], driver: Any
) -> tuple[Delivery, bool]:
    """One dispatch as `deliveries.dispatch_delivery` takes it, with the driver named on its
    manifest; both land together or neither does."""
    name = fields.text({"driver": driver}, "driver", max_length=60)
    batch, uow.batch = uow.batch, True
    try:
        delivery, created = deliveries.dispatch_delivery(uow, actor, contract_id, data)
        if created and name:
            assert delivery.id is not None
            papers = _papers(uow, delivery.id)
            papers.driver = name
            uow.session.add(papers)
    finally:
        uow.batch = batch
    uow.commit()
    return delivery, created


def set_driver(uow: UnitOfWork, actor: Actor, delivery_id: int, driver: Any) -> DeliveryPapers:
    actor.require("producer")
    delivery = get(uow.session, Delivery, delivery_id, what="delivery", lock=True)
    if delivery.producer_org_id != actor.organisation_id:
        raise NotFound(
            "delivery: {delivery_id} does not exist", field="delivery", delivery_id=delivery_id
        )
    name = fields.text({"driver": driver}, "driver", required=True, max_length=60)
    papers = _papers(uow, delivery_id)
    papers.driver = name
    uow.session.add(papers)
    uow.commit()
    return papers


def _recyclers_delivery(uow: UnitOfWork, actor: Actor, delivery_id: int) -> Delivery:
    delivery = get(uow.session, Delivery, delivery_id, what="delivery", lock=True)
    contract = get(uow.session, Contract, delivery.contract_id, what="contract")
    offer = get(uow.session, Offer, contract.offer_id, what="offer")
    plant = get(uow.session, Site, offer.site_id, what="site")
    if plant.organisation_id != actor.organisation_id:
        raise NotFound(
            "delivery: {delivery_id} does not exist", field="delivery", delivery_id=delivery_id
        )
    return delivery


def attach_ticket(
    uow: UnitOfWork, actor: Actor, delivery_id: int, document_id: Any
) -> DeliveryPapers:
    """The weighbridge ticket: a picture or a PDF the recycler's organisation uploaded."""
    actor.require("recycler")
    _recyclers_delivery(uow, actor, delivery_id)
    cited = documents.cite(uow.session, actor, document_id, field="ticket")
    if len(cited) != 1:
        raise InvalidInput.about("ticket", document_id, "must be one document id")
    doc = uow.session.get(Document, cited[0]["id"])
    assert doc is not None
    if doc.media_type not in TICKET_TYPES:
        raise InvalidInput.about(
            "ticket", doc.filename, "is not a picture or a PDF (judged by its content)"
        )
    papers = _papers(uow, delivery_id)
    papers.ticket_document_id = doc.id
    papers.ticket_sha256 = doc.sha256
    papers.ticket_by = actor.user_id
    papers.ticket_at = utcnow()
    uow.session.add(papers)
    uow.commit()
    return papers


def receive_with_ticket(
    uow: UnitOfWork,
    actor: Actor,
    delivery_id: int,
    receipt: Mapping[str, Any],
    ticket_id: int | None,
    settings: Any,
) -> Delivery:
    """The weighbridge clerk's one step: the tonnes confirmed and the ticket attached, or
    neither (a refused ticket leaves the delivery unreceived)."""
    batch, uow.batch = uow.batch, True
    try:
        delivery, _created = deliveries.confirm_receipt(uow, actor, delivery_id, receipt, settings)
        if ticket_id is not None:
            attach_ticket(uow, actor, delivery_id, ticket_id)
    finally:
        uow.batch = batch
    uow.commit()
    return delivery


def attach_lab_report(uow: UnitOfWork, actor: Actor, lot_id: int, document_id: Any) -> LotLabReport:
    actor.require("producer")
    lot = get(uow.session, Lot, lot_id, what="lot", lock=True)
    yard = get(uow.session, Site, lot.site_id, what="site")
    if yard.organisation_id != actor.organisation_id:
        raise NotFound("lot: {lot_id} does not exist", field="lot", lot_id=lot_id)
    cited = documents.cite(uow.session, actor, document_id, field="lab_report")
    if len(cited) != 1:
        raise InvalidInput.about("lab_report", document_id, "must be one document id")
    doc = uow.session.get(Document, cited[0]["id"])
    assert doc is not None and doc.id is not None
    if doc.media_type not in LAB_REPORT_TYPES:
        raise InvalidInput.about("lab_report", doc.filename, "is not a PDF, picture or workbook")
    row = uow.session.get(LotLabReport, lot_id)
    if row is None:
        row = LotLabReport(
            lot_id=lot_id, document_id=doc.id, sha256=doc.sha256, attached_by=actor.user_id
        )
    else:
        row.document_id, row.sha256 = doc.id, doc.sha256
        row.attached_by, row.attached_at = actor.user_id, utcnow()
    uow.session.add(row)
    uow.commit()
    return row


def lab_report_of(session: Any, lot_id: int) -> dict[str, Any] | None:
    if not 0 < lot_id <= MAX_ID:
        return None
    row = session.exec(
        select(LotLabReport, Document.filename, Document.media_type)
        .join(Document, col(Document.id) == LotLabReport.document_id)
        .where(LotLabReport.lot_id == lot_id)
    ).first()
    if row is None:
        return None
    report, filename, media_type = row
    return {
        "document_id": report.document_id,
        "sha256": report.sha256,
        "filename": filename,
        "media_type": media_type,
        "attached_at": report.attached_at.isoformat(),
    }


def may_read_lab_report(session: Any, actor: Actor, lot_id: int) -> bool:
    """The lot's producer, overseers, and any recycler (the market shows open lots to recyclers,
    who consider a lot on its assay and the report behind it)."""
    lot = session.get(Lot, lot_id) if 0 < lot_id <= MAX_ID else None
    if lot is None:
        return False
    yard = session.get(Site, lot.site_id)
    if actor.role in ("regulator", "operator", "recycler", "evaluator"):
        return True
    return yard is not None and yard.organisation_id == actor.organisation_id


def trucks_from_form(values: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """The page's table of trucks (`plate_N`, `driver_N`, `tonnes_N`), blank rows skipped."""
    by_row: dict[int, dict[str, Any]] = {}
    for key, value in values:
        name, _, idx = key.rpartition("_")
        if name in ("plate", "driver", "tonnes", "manifest") and idx.isdigit() and len(idx) < 3:
            target = {"plate": "truck_plate", "manifest": "manifest_no"}.get(name, name)
            by_row.setdefault(int(idx), {})[target] = value.strip()
    return [r for _, r in sorted(by_row.items()) if any(v for v in r.values())]
