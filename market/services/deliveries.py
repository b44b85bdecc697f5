"""Deliveries under transfer manifests (转移联单): dispatch at the yard, receipt at the plant.

A dispatch writes the yard's `dispatch` ledger entry; a confirmed receipt writes the
`utilisation` entry that names the delivery. Both are idempotent: the same manifest (or the
same idempotency key) sent twice with the same content returns the first delivery.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import col, func, select

from market import clock, fields, schemas
from market.auth import Actor
from market.clock import china_day
from market.db import UnitOfWork
from market.errors import (
    DateOutOfRange,
    DuplicateManifest,
    InvalidInput,
    InvalidState,
    NotFound,
    Refusals,
)
from market.notifications import notify
from market.schemas import bodies
from market.schemas.bodies import DeliveryCreate, Receipt
from market.services import ledger, reports
from market.services.common import get
from market.settings import Settings
from market.tables import Contract, Delivery, Lot, Offer, Settlement, Site, utcnow

DISPATCH_FIELDS = schemas.names(DeliveryCreate)
RECEIPT_FIELDS = schemas.names(Receipt)
RESOLVE_FIELDS = schemas.names(bodies.Resolve)
SETTLEMENT_FIELDS = schemas.names(bodies.Settlement)
EPS = 1e-6
SKEW = timedelta(minutes=5)
"""How far ahead of the server's clock a device's timestamp may run."""


def _parties(uow: UnitOfWork, contract: Contract) -> tuple[Lot, Site, Offer, Site]:
    lot = get(uow.session, Lot, contract.lot_id, what="lot")
    offer = get(uow.session, Offer, contract.offer_id, what="offer")
    yard = get(uow.session, Site, lot.site_id, what="site")
    plant = get(uow.session, Site, offer.site_id, what="site")
    return lot, yard, offer, plant


def dispatched_t(uow: UnitOfWork, contract_id: int) -> float:
    total = uow.session.exec(
        select(func.coalesce(func.sum(Delivery.tonnes), 0.0)).where(
            Delivery.contract_id == contract_id
        )
    ).one()
    return float(total)


def _same_dispatch(d: Delivery, tonnes: float, contract_id: int) -> bool:
    return d.contract_id == contract_id and abs(d.tonnes - tonnes) < EPS


def dispatch_delivery(
    uow: UnitOfWork, actor: Actor, contract_id: int, data: Mapping[str, Any]
) -> tuple[Delivery, bool]:
    """Returns the delivery and whether it was created now (False: an idempotent replay)."""
    actor.require("producer")
    contract = get(uow.session, Contract, contract_id, what="contract", lock=True)
    lot, yard, _offer, plant = _parties(uow, contract)
    if yard.organisation_id != actor.organisation_id:
        raise NotFound(
            "contract: {contract_id} does not exist", field="contract", contract_id=contract_id
        )
    bad = Refusals()  # every bad field at once
    values = schemas.parse(DeliveryCreate, data, bad)
    tonnes, manifest_no = values["tonnes"], values["manifest_no"]
    key, truck = values["idempotency_key"] or None, values["truck_plate"]
    at = values["dispatched_at"] or utcnow()
    if not bad.bad("dispatched_at"):
        bad.check(_not_ahead, at, "dispatched_at", data)
    bad.done()
    assert tonnes is not None and manifest_no is not None and truck is not None

    if key is not None:
        replay = uow.session.exec(
            select(Delivery).where(
                Delivery.producer_org_id == actor.organisation_id,
                Delivery.idempotency_key == key,
            )
        ).first()
        if replay is not None:
            if replay.manifest_no != manifest_no or not _same_dispatch(replay, tonnes, contract_id):
                raise DuplicateManifest(
                    "idempotency_key: {key!r} was used for manifest {replay_manifest_no}",
                    field="idempotency_key",
                    key=key,
                    replay_manifest_no=replay.manifest_no,
                )
            uow.commit()
            return replay, False
    clash = uow.session.exec(
        select(Delivery).where(
            Delivery.producer_org_id == actor.organisation_id, Delivery.manifest_no == manifest_no
        )
    ).first()
    if clash is not None:
        if _same_dispatch(clash, tonnes, contract_id):
            uow.commit()
            return clash, False
        raise DuplicateManifest(
            "manifest_no: {value!r} is already delivery {clash_id}",
            field="manifest_no",
            value=manifest_no,
            clash_id=clash.id,
        )
    if contract.status != "active":
        raise InvalidState(
            "contract: {contract_id} is {contract_status}; nothing more can be dispatched",
            field="contract",
            contract_id=contract_id,
            contract_status=contract.status,
        )
    day = china_day(at)
    signed = china_day(contract.created_at)
    if day < signed:
        raise DateOutOfRange(
            "dispatched_at: {value} is before contract {contract_id} was made ({signed})",
            field="dispatched_at",
            value=day.isoformat(),
            contract_id=contract_id,
            signed=signed.isoformat(),
        )
    assert yard.id is not None
    get(uow.session, Site, yard.id, what="site_id", lock=True)
    reports.check_date(uow.session, yard.id, lot.material, day, field="dispatched_at")
    remaining = round(contract.tonnes - dispatched_t(uow, contract_id), 3)
    if tonnes > remaining + EPS:
        raise InvalidInput(
            "tonnes: {value:g} is more than the {remaining:g} t left on contract {contract_id}",
            field="tonnes",
            value=tonnes,
            remaining=remaining,
            contract_id=contract_id,
        )
    reports.check_stock(uow.session, yard.id, lot.material, day, -tonnes)
    delivery = Delivery(
        contract_id=contract_id,
        producer_org_id=actor.organisation_id,
        manifest_no=manifest_no,
        tonnes=tonnes,
        truck_plate=truck,
        dispatched_at=at,
        dispatched_by=actor.user_id,
        idempotency_key=key,
    )
    uow.session.add(delivery)
    uow.flush()
    ledger.append(
        uow,
        site_id=yard.id,
        kind="dispatch",
        material=lot.material,
        tonnes=tonnes,
        occurred_on=china_day(at),
        document=f"manifest {manifest_no}",
        recorded_by=actor.user_id,
        delivery_id=delivery.id,
    )
    notify(
        uow,
        "delivery_dispatched",
        url="/receipts",
        orgs=[plant.organisation_id],
        manifest=manifest_no,
        tonnes=tonnes,
        contract=contract_id,
    )
    uow.commit()
    return delivery, True


def _delivery_for(
    uow: UnitOfWork, actor: Actor, delivery_id: int, side: str
) -> tuple[Delivery, Contract, Lot, Site, Offer, Site]:
    delivery = get(uow.session, Delivery, delivery_id, what="delivery", lock=True)
    contract = get(uow.session, Contract, delivery.contract_id, what="contract", lock=True)
    lot, yard, offer, plant = _parties(uow, contract)
    owner = plant.organisation_id if side == "recycler" else yard.organisation_id
    if actor.role not in ("operator", "regulator") and owner != actor.organisation_id:
        raise NotFound(
            "delivery: {delivery_id} does not exist", field="delivery", delivery_id=delivery_id
        )
    return delivery, contract, lot, yard, offer, plant


def _not_ahead(at: datetime, field: str, data: Mapping[str, Any]) -> None:
    if at > utcnow() + SKEW:
        raise DateOutOfRange.about(field, data.get(field), "is in the future")


def _write_utilisation(
    uow: UnitOfWork, delivery: Delivery, lot: Lot, yard: Site, tonnes: float, by: int, on: date
) -> None:
    """The recycler's use of what it received, never more than was dispatched."""
    assert yard.id is not None
    tonnes = min(tonnes, delivery.tonnes)
    if tonnes <= 0:
        return
    ledger.append(
        uow,
        site_id=yard.id,
        kind="utilisation",
        material=lot.material,
        tonnes=tonnes,
        occurred_on=on,
        document=f"manifest {delivery.manifest_no} received",
        recorded_by=by,
        delivery_id=delivery.id,
    )


def _maybe_close(uow: UnitOfWork, contract: Contract) -> None:
    assert contract.id is not None
    pending = uow.session.exec(
        select(func.count())
        .select_from(Delivery)
        .where(
            Delivery.contract_id == contract.id,
            col(Delivery.status).in_(("dispatched", "disputed")),
        )
    ).one()
    if not pending and dispatched_t(uow, contract.id) >= contract.tonnes - EPS:
        contract.status = "closed"
        contract.closed_at = utcnow()
        uow.session.add(contract)


def confirm_receipt(
    uow: UnitOfWork, actor: Actor, delivery_id: int, data: Mapping[str, Any], settings: Settings
) -> tuple[Delivery, bool]:
    """The recycler confirms the weighbridge tonnes; beyond the tolerance the delivery is
    disputed and counts toward utilisation only once resolved."""
    actor.require("recycler")
    delivery, contract, lot, yard, _offer, _plant = _delivery_for(
        uow, actor, delivery_id, "recycler"
    )
    values = schemas.parse(Receipt, data)  # every bad field at once
    received, note = round(values["received_tonnes"], 3), values["note"]
    if delivery.status != "dispatched":
        if delivery.received_tonnes is not None and abs(delivery.received_tonnes - received) < EPS:
            uow.commit()
            return delivery, False
        raise InvalidState(
            "delivery: {delivery_id} is already {delivery_status} "
            "with {delivery_received_tonnes:g} t received",
            field="delivery",
            delivery_id=delivery_id,
            delivery_status=delivery.status,
            delivery_received_tonnes=delivery.received_tonnes,
        )
    at = values["received_at"] or utcnow()
    if at < delivery.dispatched_at:
        raise DateOutOfRange(
            "received_at: {received_at} is before the dispatch ({dispatch_day})",
            field="received_at",
            value=data.get("received_at"),
            received_at=data.get("received_at"),
            dispatch_day=clock.china_day(delivery.dispatched_at).isoformat(),
        )
    _not_ahead(at, "received_at", data)
    assert yard.id is not None
    get(uow.session, Site, yard.id, what="site_id", lock=True)
    reports.check_open(uow.session, yard.id, china_day(at), field="received_at")
    delivery.received_tonnes = received
    delivery.received_at = at
    delivery.received_by = actor.user_id
    delivery.note = note
    gap = abs(received - delivery.tonnes) / delivery.tonnes
    if gap > settings.receipt_tolerance + 1e-12:
        delivery.status = "disputed"
    else:
        delivery.status = "received"
        _write_utilisation(uow, delivery, lot, yard, received, actor.user_id, china_day(at))
    uow.session.add(delivery)
    uow.flush()
    _maybe_close(uow, contract)
    notify(
        uow,
        f"delivery_{delivery.status}",
        url=f"/contracts/{contract.id}",
        orgs=[yard.organisation_id],
        manifest=delivery.manifest_no,
        tonnes=received,
        dispatched=delivery.tonnes,
    )
    uow.commit()
    return delivery, True


def resolve_dispute(
    uow: UnitOfWork, actor: Actor, delivery_id: int, data: Mapping[str, Any]
) -> Delivery:
    """The older form: `accepted_tonnes` proposed as a settlement, which settles only when the
    other party has proposed the same figure."""
    fields.reject_unknown(data, RESOLVE_FIELDS)
    proposal = {"settled_tonnes": data.get("accepted_tonnes"), "note": data.get("note", "")}
    delivery, _agreed = propose_settlement(
        uow, actor, delivery_id, proposal, field="accepted_tonnes"
    )
    return delivery


def _record_settlement(
    uow: UnitOfWork,
    actor: Actor,
    delivery: Delivery,
    side: str,
    data: Mapping[str, Any],
    field: str,
) -> tuple[float, str]:
    """A side's figure for a disputed delivery, recorded; returns the tonnes and the note."""
    assert delivery.id is not None
    if delivery.status != "disputed":
        raise InvalidState(
            "delivery: {value} is {delivery_status}, not disputed",
            field="delivery",
            value=delivery.id,
            delivery_status=delivery.status,
        )
    parsed = fields.number(
        {field: data.get("settled_tonnes")}, field, minimum=0, maximum=delivery.tonnes
    )
    assert parsed is not None
    settled, note = round(parsed, 3), schemas.value(bodies.Settlement, data, "note")
    uow.session.add(
        Settlement(
            delivery_id=delivery.id,
            side=side,
            settled_tonnes=settled,
            note=note,
            by=actor.user_id,
        )
    )
    return settled, note


def propose_settlement(
    uow: UnitOfWork,
    actor: Actor,
    delivery_id: int,
    data: Mapping[str, Any],
    *,
    field: str = "settled_tonnes",
) -> tuple[Delivery, bool]:
    """One party proposes the tonnes a disputed delivery settles at; when the other party's
    latest proposal is the same figure, it is settled and the utilisation written."""
    actor.require("producer", "recycler")
    side = actor.role  # the yard's producer or the plant's recycler: _delivery_for checks which
    delivery, contract, lot, yard, _offer, plant = _delivery_for(uow, actor, delivery_id, side)
    if field == "settled_tonnes":
        fields.reject_unknown(data, SETTLEMENT_FIELDS)
    settled, note = _record_settlement(uow, actor, delivery, side, data, field)
    uow.flush()
    other = "recycler" if side == "producer" else "producer"
    theirs = uow.session.exec(
        select(Settlement)
        .where(Settlement.delivery_id == delivery_id, Settlement.side == other)
        .order_by(col(Settlement.id).desc())
    ).first()
    agreed = theirs is not None and abs(theirs.settled_tonnes - settled) < 5e-4
    if agreed:
        _settle(uow, actor, delivery, contract, lot, yard, settled, f"agreed: {note}")
    notify(
        uow,
        "delivery_settled" if agreed else "settlement_proposed",
        url=f"/contracts/{contract.id}",
        orgs=[plant.organisation_id if other == "recycler" else yard.organisation_id],
        manifest=delivery.manifest_no,
        tonnes=settled,
    )
    uow.commit()
    return delivery, agreed


def arbitrate(uow: UnitOfWork, actor: Actor, delivery_id: int, data: Mapping[str, Any]) -> Delivery:
    """A regulator decides the tonnes of a disputed delivery the parties do not agree on."""
    actor.require("regulator")
    delivery, contract, lot, yard, _offer, plant = _delivery_for(
        uow, actor, delivery_id, "regulator"
    )
    fields.reject_unknown(data, SETTLEMENT_FIELDS)
    settled, note = _record_settlement(uow, actor, delivery, "regulator", data, "settled_tonnes")
    _settle(uow, actor, delivery, contract, lot, yard, settled, f"arbitrated: {note}")
    notify(
        uow,
        "delivery_settled",
        url=f"/contracts/{contract.id}",
        orgs=[yard.organisation_id, plant.organisation_id],
        manifest=delivery.manifest_no,
        tonnes=settled,
    )
    uow.commit()
    return delivery


def _settle(
    uow: UnitOfWork,
    actor: Actor,
    delivery: Delivery,
    contract: Contract,
    lot: Lot,
    yard: Site,
    settled: float,
    note: str,
) -> None:
    """Settled tonnes count as utilisation on the day the recycler received them, as any
    receipt does; when that month has been submitted since, on the day of settlement instead
    (today's month is always open: a month is submitted only once it has ended)."""
    delivery.status = "received"
    delivery.settled_tonnes = settled
    delivery.settled_at = utcnow()
    delivery.note = (delivery.note + " | " + note).strip(" |")[:500]
    uow.session.add(delivery)
    assert yard.id is not None
    get(uow.session, Site, yard.id, what="site_id", lock=True)
    day = china_day(delivery.received_at) if delivery.received_at else clock.today()
    if reports.status_of(uow.session, yard.id, clock.month_of(day)) in reports.LOCKED:
        day = clock.today()
    reports.check_open(uow.session, yard.id, day, field="settled_tonnes")
    _write_utilisation(uow, delivery, lot, yard, settled, actor.user_id, day)
    uow.flush()
    _maybe_close(uow, contract)
