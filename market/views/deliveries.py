"""Deliveries under contracts, seen by the two parties and overseers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    or_,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from market.auth import Actor
from market.services.common import OVERSEERS
from market.tables import (
    Contract,
    Delivery,
    Lot,
    Site,
)
from market.views.common import (
    DELIVERY_STATUSES,
    EVERYTHING,
    ListFilter,
    fields,
    filtered,
    newest_first,
)
from market.views.rules import join_deal
from market.wide import WideSelect

DELIVERY_FIELDS = (
    "id contract_id manifest_no tonnes truck_plate dispatched_at received_tonnes received_at"
    " settled_tonnes settled_at status note"
)


def delivery_public(d: Delivery) -> dict[str, Any]:
    return fields(d, DELIVERY_FIELDS)


def _delivery_query(
    actor: Actor,
    contract_id: int | None,
    delivery_id: int | None,
    f: ListFilter,
    to_plants_of: int | None,
) -> WideSelect:
    Plant = aliased(Site)
    q = select(Delivery, Lot, Site, Plant).join(Contract, col(Contract.id) == Delivery.contract_id)
    q = join_deal(q, Contract.lot_id, Contract.offer_id, plant=Plant)
    if contract_id is not None:
        q = q.where(Delivery.contract_id == contract_id)
    if delivery_id is not None:
        q = q.where(Delivery.id == delivery_id)
    if actor.role not in OVERSEERS:
        q = q.where(
            or_(
                col(Site.organisation_id) == actor.organisation_id,
                col(Plant.organisation_id) == actor.organisation_id,
            )
        )
    if to_plants_of is not None:
        q = q.where(Plant.organisation_id == to_plants_of)
    return q.where(
        *filtered(f, Lot.material, Delivery.dispatched_at, Delivery.status, DELIVERY_STATUSES)
    )


def page_deliveries(
    session: Session,
    actor: Actor,
    contract_id: int | None = None,
    f: ListFilter = EVERYTHING,
    *,
    to_plants_of: int | None = None,
    delivery_id: int | None = None,
    limit: int = 500,
    offset: int = 0,
    counted: bool = True,
) -> tuple[list[dict[str, Any]], int]:
    """A page of the deliveries the actor is party to (overseers: all), newest first, and how
    many there are; `to_plants_of` keeps those received at that organisation's plants."""
    q = _delivery_query(actor, contract_id, delivery_id, f, to_plants_of)
    rows, total = newest_first(
        session, q, col(Delivery.id), limit=limit, offset=offset, counted=counted
    )
    out = []
    for d, lot, yard, plant in rows:
        row = delivery_public(d)
        row |= {
            "material": lot.material,
            "yard": yard.name,
            "plant": plant.name,
            "producer_id": yard.organisation_id,
            "recycler_id": plant.organisation_id,
        }
        out.append(row)
    return out, total


def list_deliveries(
    session: Session,
    actor: Actor,
    contract_id: int | None,
    *,
    delivery_id: int | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    return page_deliveries(
        session, actor, contract_id, delivery_id=delivery_id, limit=limit, counted=False
    )[0]
