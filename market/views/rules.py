"""The market's rules for lots and offers, written once: open tonnes, status (as a pure
function and as the SQL condition built beside it), and the joins that carry a lot to its yard
and producer and an offer to its plant and recycler."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    false,
    not_,
    or_,
)
from sqlmodel import col, func, select

from market.tables import (
    Contract,
    Lot,
    Offer,
    Organisation,
    Site,
)
from market.wide import WideSelect, wide


def lot_status(lot: Any, open_t: float, has_active: bool, today: date) -> str:
    if lot.withdrawn_at is not None:
        return "withdrawn"
    expired = lot.available_until is not None and lot.available_until < today
    if open_t > 0 and not expired:
        return "open"
    return "reserved" if has_active else "closed"


def reserved_sql(owner: Any) -> Any:
    """The tonnes under contract (cancelled contracts excepted) of the lot or offer that
    `owner` (`Contract.lot_id == Lot.id` or `Contract.offer_id == Offer.id`) names: a correlated
    sum over its own contracts (index on contract.lot_id and contract.offer_id), so that a page of
    rows reads only their contracts, where a grouped subquery would aggregate the whole market's."""
    return (
        select(func.coalesce(func.sum(Contract.tonnes), 0.0))
        .where(owner, col(Contract.status) != "cancelled")
        .scalar_subquery()
    )


def shown_open_t(open_t: float) -> float:
    """Open tonnes as a listing shows them: never below zero, to the kilogram."""
    return round(max(open_t, 0.0), 3)


@cache
def _lot_parts() -> tuple[Any, Any]:
    reserved = reserved_sql(Contract.lot_id == Lot.id)
    active = (
        select(func.count())
        .select_from(Contract)
        .where(Contract.lot_id == Lot.id, Contract.status == "active")
        .scalar_subquery()
    )
    return (Lot.tonnes - reserved).label("tonnes_open"), active.label("active_contracts")


def join_yard(q: WideSelect, *, yard: Any = Site, producer: Any = Organisation) -> WideSelect:
    """`q`, which selects from Lot, joined to the lot's yard and (unless None) its producer."""
    q = q.join(yard, col(yard.id) == Lot.site_id)
    if producer is not None:
        q = q.join(producer, col(producer.id) == yard.organisation_id)
    return q


def join_plant(q: WideSelect, *, plant: Any = Site, recycler: Any = Organisation) -> WideSelect:
    """`q`, which selects from Offer, joined to the offer's plant and (unless None) its
    recycler."""
    q = q.join(plant, col(plant.id) == Offer.site_id)
    if recycler is not None:
        q = q.join(recycler, col(recycler.id) == plant.organisation_id)
    return q


def join_deal(
    q: WideSelect,
    lot_id: Any,
    offer_id: Any,
    *,
    plant: Any,
    yard: Any = Site,
    producer: Any = None,
    recycler: Any = None,
) -> WideSelect:
    """The six-way join behind every proposal, bid, contract and delivery: the row's lot, its
    yard and producer, the row's offer, its plant and recycler (a producer or recycler left None
    is not joined). `plant` is an alias of Site, as the yard is Site itself unless told."""
    q = join_yard(q.join(Lot, col(Lot.id) == lot_id), yard=yard, producer=producer)
    return join_plant(q.join(Offer, col(Offer.id) == offer_id), plant=plant, recycler=recycler)


@cache
def lots_with_open_tonnes() -> tuple[WideSelect, Any]:
    """Lots as ORM objects with their open tonnes, for services that go on to use them."""
    open_t, active = _lot_parts()
    q = join_yard(wide(Lot, Site, Organisation, open_t, active).select_from(Lot))
    return q, open_t


def _lot_status_is(status: str, open_t: Any, today: Any) -> ColumnElement[bool]:
    """`lot_status` as a condition, so that a status filter is counted and paged in SQL."""
    open_now = open_lot_condition(open_t, today)
    if status == "open":
        return open_now
    if status == "withdrawn":
        return col(Lot.withdrawn_at).is_not(None)
    if status not in ("reserved", "closed"):
        return false()
    active = _lot_parts()[1]
    held = active > 0 if status == "reserved" else active == 0
    return and_(col(Lot.withdrawn_at).is_(None), not_(open_now), held)


def open_lot_condition(open_t: Any, today: date | ColumnElement[date]) -> ColumnElement[bool]:
    return and_(
        col(Lot.withdrawn_at).is_(None),
        open_t > 0,
        or_(col(Lot.available_until).is_(None), col(Lot.available_until) >= today),
    )


@cache
def offers_with_open_capacity() -> tuple[WideSelect, Any]:
    reserved = reserved_sql(Contract.offer_id == Offer.id)
    open_t = (Offer.capacity_t - reserved).label("capacity_open")
    return join_plant(select(Offer, Site, Organisation, open_t)), open_t


def open_offer_condition(open_t: Any, today: date) -> ColumnElement[bool]:
    return and_(col(Offer.withdrawn_at).is_(None), open_t > 0, col(Offer.period_end) >= today)


def offer_status(offer: Offer, open_t: float, today: date) -> str:
    if offer.withdrawn_at is not None:
        return "withdrawn"
    if offer.period_end < today:
        return "expired"
    return "open" if open_t > 0 else "full"


def _offer_status_is(status: str, open_t: Any, today: date) -> ColumnElement[bool]:
    """`offer_status` as a condition, counted and paged in SQL."""
    live = and_(col(Offer.withdrawn_at).is_(None), col(Offer.period_end) >= today)
    if status == "withdrawn":
        return col(Offer.withdrawn_at).is_not(None)
    if status == "expired":
        return and_(col(Offer.withdrawn_at).is_(None), col(Offer.period_end) < today)
    if status == "open":
        return and_(live, open_t > 0)
    if status == "full":
        return and_(live, open_t <= 0)
    return false()
