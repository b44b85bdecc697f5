"""Deliveries under transfer manifests (转移联单): dispatch at the yard, receipt at the plant.

A dispatch writes the yard's `dispatch` ledger entry; a confirmed receipt writes the
`utilisation` entry that names the delivery. Both are idempotent: the same manifest (or the
same idempotency key) sent twice with the same content returns the first delivery.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlmodel import col, func, select

from market import fields
from market.auth import Actor
from market.db import UnitOfWork
from market.errors import DuplicateManifest, InvalidInput, InvalidState, NotFound
from market.services import ledger
from market.services.common import get
from market.settings import Settings
from market.tables import Contract, Delivery, Lot, Offer, Site, utcnow

DISPATCH_FIELDS = ("tonnes", "manifest_no", "dispatched_at", "truck_plate", "idempotency_key")
RECEIPT_FIELDS = ("received_tonnes", "received_at", "note")
RESOLVE_FIELDS = ("accepted_tonnes", "note")
CST = timezone(timedelta(hours=8))
EPS = 1e-6


def china_day(moment: datetime) -> date:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(CST).date()


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
    lot, yard, _offer, _plant = _parties(uow, contract)
    if yard.organisation_id != actor.organisation_id:
        raise NotFound(f"contract: {contract_id} does not exist", field="contract")
    fields.reject_unknown(data, DISPATCH_FIELDS)
    tonnes = fields.tonnes(data, "tonnes")
    assert tonnes is not None
    manifest_no = fields.text(data, "manifest_no", required=True, max_length=60)
    key = fields.text(data, "idempotency_key", max_length=100) or None
    truck = fields.text(data, "truck_plate", max_length=20)
    at = fields.moment(data, "dispatched_at", required=False) or utcnow()
    if at > utcnow() + timedelta(hours=1):
        raise InvalidInput.about("dispatched_at", data.get("dispatched_at"), "is in the future")

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
                    f"idempotency_key: {key!r} was used for manifest {replay.manifest_no}",
                    field="idempotency_key",
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
            f"manifest_no: {manifest_no!r} is already delivery {clash.id}",
            field="manifest_no",
            value=manifest_no,
        )
    if contract.status != "active":
        raise InvalidState(
            f"contract: {contract_id} is {contract.status}; nothing more can be dispatched",
            field="contract",
        )
    remaining = round(contract.tonnes - dispatched_t(uow, contract_id), 3)
    if tonnes > remaining + EPS:
        raise InvalidInput(
            f"tonnes: {tonnes:g} is more than the {remaining:g} t left on contract {contract_id}",
            field="tonnes",
            value=tonnes,
        )
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
    assert yard.id is not None
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
    uow.commit()
    return delivery, True


def _delivery_for(
    uow: UnitOfWork, actor: Actor, delivery_id: int, side: str
) -> tuple[Delivery, Contract, Lot, Site, Offer, Site]:
    delivery = get(uow.session, Delivery, delivery_id, what="delivery", lock=True)
    contract = get(uow.session, Contract, delivery.contract_id, what="contract", lock=True)
    lot, yard, offer, plant = _parties(uow, contract)
    owner = plant.organisation_id if side == "recycler" else yard.organisation_id
    if actor.role != "operator" and owner != actor.organisation_id:
        raise NotFound(f"delivery: {delivery_id} does not exist", field="delivery")
    return delivery, contract, lot, yard, offer, plant


def _write_utilisation(
    uow: UnitOfWork, delivery: Delivery, lot: Lot, yard: Site, tonnes: float, by: int
) -> None:
    assert yard.id is not None and delivery.received_at is not None
    ledger.append(
        uow,
        site_id=yard.id,
        kind="utilisation",
        material=lot.material,
        tonnes=tonnes,
        occurred_on=china_day(delivery.received_at),
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
    fields.reject_unknown(data, RECEIPT_FIELDS)
    received = fields.number(data, "received_tonnes", minimum=0, maximum=fields.MAX_TONNES)
    assert received is not None
    received = round(received, 3)
    note = fields.text(data, "note", max_length=500)
    if delivery.status != "dispatched":
        if delivery.received_tonnes is not None and abs(delivery.received_tonnes - received) < EPS:
            uow.commit()
            return delivery, False
        raise InvalidState(
            f"delivery: {delivery_id} is already {delivery.status} with "
            f"{delivery.received_tonnes:g} t received",
            field="delivery",
        )
    at = fields.moment(data, "received_at", required=False) or utcnow()
    if at < delivery.dispatched_at:
        raise InvalidInput.about("received_at", data.get("received_at"), "is before the dispatch")
    delivery.received_tonnes = received
    delivery.received_at = at
    delivery.received_by = actor.user_id
    delivery.note = note
    gap = abs(received - delivery.tonnes) / delivery.tonnes
    if gap > settings.receipt_tolerance + 1e-12:
        delivery.status = "disputed"
    else:
        delivery.status = "received"
        _write_utilisation(uow, delivery, lot, yard, received, actor.user_id)
    uow.session.add(delivery)
    uow.flush()
    _maybe_close(uow, contract)
    uow.commit()
    return delivery, True


def resolve_dispute(
    uow: UnitOfWork, actor: Actor, delivery_id: int, data: Mapping[str, Any]
) -> Delivery:
    """The producer (or the operator) settles a disputed delivery on the tonnes both accept."""
    actor.require("producer", "operator")
    delivery, contract, lot, yard, _offer, _plant = _delivery_for(
        uow, actor, delivery_id, "producer"
    )
    if delivery.status != "disputed":
        raise InvalidState(f"delivery: {delivery_id} is {delivery.status}, not disputed")
    fields.reject_unknown(data, RESOLVE_FIELDS)
    accepted = fields.number(data, "accepted_tonnes", minimum=0, maximum=delivery.tonnes)
    assert accepted is not None
    delivery.status = "received"
    delivery.note = (delivery.note + " | resolved: " + fields.text(data, "note")).strip(" |")[:500]
    delivery.received_tonnes = round(accepted, 3)
    uow.session.add(delivery)
    _write_utilisation(uow, delivery, lot, yard, delivery.received_tonnes, actor.user_id)
    uow.flush()
    _maybe_close(uow, contract)
    uow.commit()
    return delivery
