from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from market import catalogue, clock, fields, schemas
from market.auth import Actor
from market.db import UnitOfWork
from market.errors import N_, InvalidInput, InvalidState, Refusals
from market.schemas.bodies import LotCreate, LotUpdate
from market.services.common import own_listing, own_site_and_material
from market.services.trade import rebalance_bids, reserved
from market.tables import Contract, Lot, LotRevision, utcnow

LOT_FIELDS = schemas.names(LotCreate)
EDITABLE = frozenset(schemas.names(LotUpdate))


def _parse(
    data: Mapping[str, Any], material: str | None, *, today: date, bad: Refusals | None = None
) -> dict[str, Any]:
    """The lot's values; every bad field is refused at once (with those `bad` already holds)."""
    bad = bad if bad is not None else Refusals()
    quality = None
    if material is not None:
        quality = bad.check(lambda: catalogue.quality(material, fields.mapping(data, "quality")))
    # a check on two fields follows them, so the refusals keep the order of the form
    values: dict[str, Any] = {"quality": quality}
    values |= schemas.read(LotCreate, data, bad, "available_from", "available_until")
    start = values["available_from"] = values["available_from"] or today
    if not bad.bad("available_from"):
        end = values["available_until"]
        bad.check(fields.date_order, "available_from", start, "available_until", end)
    values |= schemas.read(LotCreate, data, bad, "sampled_on")
    sampled_on = values["sampled_on"]
    if sampled_on is not None and sampled_on > today:
        bad.add(InvalidInput.about("sampled_on", sampled_on.isoformat(), "is in the future"))
    values |= schemas.read(
        LotCreate, data, bad, "tonnes", "lab_report", "asking_price_cny_t", "max_haul_km"
    )
    bad.done()
    return values


def post_lot(uow: UnitOfWork, actor: Actor, data: Mapping[str, Any]) -> Lot:
    actor.require("producer")
    fields.reject_unknown(data, LOT_FIELDS)
    bad = Refusals()
    site_id, material = own_site_and_material(uow.session, actor, data, bad, kind="yard")
    values = _parse(data, material, today=clock.today(), bad=bad)
    assert site_id is not None and material is not None
    lot = Lot(site_id=site_id, material=material, created_by=actor.user_id, **values)
    uow.session.add(lot)
    uow.commit()
    return lot


def reserved_tonnes(uow: UnitOfWork, lot_id: int) -> float:
    return reserved(uow, Contract.lot_id == lot_id)


def _own_lot(uow: UnitOfWork, actor: Actor, lot_id: int) -> Lot:
    actor.require("producer")
    return own_listing(
        uow.session, actor, Lot, lot_id, what="lot", missing=N_("lot: {value} does not exist")
    )


def _keep_revision(uow: UnitOfWork, actor: Actor, lot: Lot, change: str) -> None:
    """Keep the lot as it stands (its version and every field) before `change` alters it."""
    assert lot.id is not None
    uow.session.add(
        LotRevision(
            lot_id=lot.id,
            version=lot.version,
            snapshot=lot.model_dump(mode="json"),
            changed_by=actor.user_id,
            change=change,
        )
    )


def update_lot(uow: UnitOfWork, actor: Actor, lot_id: int, data: Mapping[str, Any]) -> Lot:
    """Edit an open lot; the previous version is kept as a revision."""
    lot = _own_lot(uow, actor, lot_id)
    if lot.withdrawn_at is not None:
        raise InvalidState(
            "lot: {lot_id} is withdrawn and can no longer be edited", field="lot", lot_id=lot_id
        )
    fields.reject_unknown(data, EDITABLE)
    merged = {k: getattr(lot, k) for k in EDITABLE} | dict(data)
    # dates and quality come back from the row as Python values; the parser takes both forms
    values = _parse(merged, lot.material, today=clock.today())
    reserved = reserved_tonnes(uow, lot_id)
    if values["tonnes"] < reserved:
        raise InvalidInput(
            "tonnes: {values_tonnes:g} is below the {reserved:g} t already under contract",
            field="tonnes",
            value=values["tonnes"],
            values_tonnes=values["tonnes"],
            reserved=reserved,
        )
    _keep_revision(uow, actor, lot, "edit")
    for key, value in values.items():
        setattr(lot, key, value)
    lot.version += 1
    lot.updated_at = utcnow()
    uow.session.add(lot)
    uow.flush()
    rebalance_bids(uow, lot)
    uow.commit()
    return lot


def withdraw_lot(uow: UnitOfWork, actor: Actor, lot_id: int) -> Lot:
    """Withdraw what is not under contract; contracts already made stand."""
    lot = _own_lot(uow, actor, lot_id)
    if lot.withdrawn_at is not None:
        uow.commit()
        return lot
    _keep_revision(uow, actor, lot, "withdraw")
    lot.withdrawn_at = utcnow()
    lot.version += 1
    lot.updated_at = lot.withdrawn_at
    uow.session.add(lot)
    uow.flush()
    rebalance_bids(uow, lot)
    uow.commit()
    return lot
