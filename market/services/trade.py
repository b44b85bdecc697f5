"""Bids on proposals and the contracts that accepting them makes.

Tonnes are never reserved twice: accepting locks the lot and the offer rows (FOR UPDATE on
PostgreSQL; SQLite's IMMEDIATE transaction holds the write lock) and re-sums their contracts
before adding one. Whatever no longer fits goes on hold, and comes back when tonnes do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, func, select

from market import schemas
from market.auth import Actor
from market.db import UnitOfWork
from market.errors import (
    N_,
    Conflict,
    InvalidInput,
    InvalidState,
    LotOverReserved,
    NotFound,
    OfferOverReserved,
)
from market.notifications import notify
from market.schemas.bodies import BidCreate
from market.services.common import get
from market.tables import Bid, Contract, Delivery, Lot, Offer, Proposal, Site, utcnow
from market.views.rules import open_tonnes, reserved_sql

BID_FIELDS = schemas.names(BidCreate)
EPS = 1e-6


def reserved(uow: UnitOfWork, owner: Any) -> float:
    """The tonnes held by the contracts of the lot or offer that `owner` names
    (`Contract.lot_id == 7`), by the market's rule (`rules.reserved_sql`)."""
    return float(uow.session.exec(select(reserved_sql(owner))).one())


def _open_to_bid(uow: UnitOfWork, amount: float, withdrawn_at: Any, owner: Any) -> float:
    """What a bid may still take of a lot's tonnes or an offer's capacity: none once it is
    withdrawn (a listing may still show its last figure, but nothing is open to bid on)."""
    if withdrawn_at is not None:
        return 0.0
    left: float = open_tonnes(amount, reserved(uow, owner))
    return round(left, 3)


def lot_open_t(uow: UnitOfWork, lot: Lot) -> float:
    assert lot.id is not None
    return _open_to_bid(uow, lot.tonnes, lot.withdrawn_at, Contract.lot_id == lot.id)


def offer_open_t(uow: UnitOfWork, offer: Offer) -> float:
    assert offer.id is not None
    return _open_to_bid(uow, offer.capacity_t, offer.withdrawn_at, Contract.offer_id == offer.id)


def _refuse_unless_open(
    uow: UnitOfWork,
    lot: Lot,
    offer: Offer,
    tonnes: float,
    lot_message: str,
    offer_message: str,
    *,
    field: str,
    value: Any = None,
    **params: Any,
) -> None:
    """Refuse `tonnes` that the lot, then the offer, has not open: each refusal names the
    side's id, `params`, and the side's open tonnes (`lot_id`, ..., `lot_open`)."""
    sides: tuple[tuple[type[Conflict], str, str, int | None, Callable[[], float]], ...] = (
        (LotOverReserved, lot_message, "lot", lot.id, lambda: lot_open_t(uow, lot)),
        (OfferOverReserved, offer_message, "offer", offer.id, lambda: offer_open_t(uow, offer)),
    )
    for error, message, side, row_id, open_t in sides:
        left = open_t()
        if tonnes > left + EPS:
            named = {f"{side}_id": row_id, **params, f"{side}_open": left}
            raise error(message, field=field, value=value, **named)


def _owner(uow: UnitOfWork, site_id: int) -> int:
    site = uow.session.get(Site, site_id)
    assert site is not None
    return site.organisation_id


def place_bid(uow: UnitOfWork, actor: Actor, proposal_id: int, data: Mapping[str, Any]) -> Bid:
    """A recycler bids for a proposal at its own plant; a new bid replaces its open one."""
    actor.require("recycler")
    # locked: parallel bids of one recycler take turns, each replacing the one before (the
    # unique index uq_bid_live holds the rule if anything else races)
    proposal = get(uow.session, Proposal, proposal_id, what="proposal", lock=True)
    offer = get(uow.session, Offer, proposal.offer_id, what="offer")
    if _owner(uow, offer.site_id) != actor.organisation_id:
        raise NotFound(
            "proposal: {proposal_id} does not exist", field="proposal", proposal_id=proposal_id
        )
    values = schemas.parse(BidCreate, data)  # every bad field at once
    price: float = values["price_cny_t"]  # required: parse refused the body without it
    tonnes: float = values["tonnes"] or proposal.tonnes
    if tonnes > proposal.tonnes + EPS:
        raise InvalidInput(
            "tonnes: {value:g} is more than the {proposal_tonnes:g} t proposed",
            field="tonnes",
            value=tonnes,
            proposal_tonnes=proposal.tonnes,
        )
    lot = get(uow.session, Lot, proposal.lot_id, what="lot")
    _refuse_unless_open(
        uow,
        lot,
        offer,
        tonnes,
        "tonnes: {value:g} asked, lot {lot_id} has {lot_open:g} t open",
        "tonnes: {value:g} asked, offer {offer_id} has {offer_open:g} t of capacity open",
        field="tonnes",
        value=tonnes,
    )
    for old in uow.session.exec(
        select(Bid).where(
            Bid.proposal_id == proposal_id,
            Bid.organisation_id == actor.organisation_id,
            col(Bid.status).in_(("open", "on_hold")),
        )
    ).all():
        old.status = "withdrawn"
        old.decided_at = utcnow()
        uow.session.add(old)
    bid = Bid(
        proposal_id=proposal_id,
        organisation_id=actor.organisation_id,
        user_id=actor.user_id,
        price_cny_t=price,
        tonnes=tonnes,
    )
    uow.session.add(bid)
    notify(
        uow,
        "bid_placed",
        url="/bids",
        orgs=[_owner(uow, lot.site_id)],
        lot=lot.id,
        tonnes=tonnes,
        price=price,
    )
    uow.commit()
    return bid


def _bid_for_producer(uow: UnitOfWork, actor: Actor, bid_id: int) -> tuple[Bid, Proposal]:
    actor.require("producer")
    bid = get(uow.session, Bid, bid_id, what="bid")
    proposal = get(uow.session, Proposal, bid.proposal_id, what="proposal")
    lot = get(uow.session, Lot, proposal.lot_id, what="lot")
    if _owner(uow, lot.site_id) != actor.organisation_id:
        raise NotFound("bid: {value} does not exist", field="bid", value=bid_id)
    return bid, proposal


def accept_bid(uow: UnitOfWork, actor: Actor, bid_id: int) -> Contract:
    bid, proposal = _bid_for_producer(uow, actor, bid_id)
    # lock order is always lot, then offer, so two acceptances cannot deadlock
    lot = get(uow.session, Lot, proposal.lot_id, what="lot", lock=True)
    offer = get(uow.session, Offer, proposal.offer_id, what="offer", lock=True)
    uow.session.refresh(bid)
    if bid.status != "open":
        raise InvalidState(
            "bid: {value} is {bid_status}, only an open bid can be accepted",
            field="bid",
            value=bid_id,
            bid_status=bid.status,
        )
    _refuse_unless_open(
        uow,
        lot,
        offer,
        bid.tonnes,
        "lot {lot_id}: {bid_tonnes:g} t asked, {lot_open:g} t open",
        "offer {offer_id}: {bid_tonnes:g} t asked, {offer_open:g} t of capacity open",
        field="bid",
        bid_tonnes=bid.tonnes,
    )
    contract = Contract(
        bid_id=bid.id,
        lot_id=proposal.lot_id,
        offer_id=proposal.offer_id,
        tonnes=bid.tonnes,
        price_cny_t=bid.price_cny_t,
        created_by=actor.user_id,
    )
    bid.status = "accepted"
    bid.decided_at = utcnow()
    uow.session.add_all([contract, bid])
    uow.flush()
    rebalance_bids(uow, lot, offer)
    notify(
        uow,
        "bid_accepted",
        url=f"/contracts/{contract.id}",
        orgs=[bid.organisation_id],
        bid=bid.id,
        contract=contract.id,
        tonnes=bid.tonnes,
    )
    uow.commit()
    return contract


def reject_bid(uow: UnitOfWork, actor: Actor, bid_id: int) -> Bid:
    bid, proposal = _bid_for_producer(uow, actor, bid_id)
    _close(uow, bid, "rejected", N_("bid: {bid_id} is {bid_status} and cannot be rejected"))
    notify(
        uow,
        "bid_rejected",
        url="/bids",
        orgs=[bid.organisation_id],
        bid=bid.id,
        lot=proposal.lot_id,
    )
    uow.commit()
    return bid


def withdraw_bid(uow: UnitOfWork, actor: Actor, bid_id: int) -> Bid:
    actor.require("recycler")
    bid = get(uow.session, Bid, bid_id, what="bid")
    if bid.organisation_id != actor.organisation_id:
        raise NotFound("bid: {value} does not exist", field="bid", value=bid_id)
    _close(uow, bid, "withdrawn", N_("bid: {bid_id} is {bid_status} and cannot be withdrawn"))
    uow.commit()
    return bid


def _close(uow: UnitOfWork, bid: Bid, status: str, refusal: str) -> None:
    """Reject or withdraw a bid still open or on hold; `refusal` says why a decided one can't."""
    if bid.status not in ("open", "on_hold"):
        raise InvalidState(refusal, field="bid", bid_id=bid.id, bid_status=bid.status)
    bid.status = status
    bid.decided_at = utcnow()
    uow.session.add(bid)


def rebalance_bids(uow: UnitOfWork, lot: Lot, offer: Offer | None = None) -> None:
    """Put on hold the open bids that no longer fit the lot (or offer); revive held ones that do."""
    touched = col(Proposal.lot_id) == lot.id
    if offer is not None:
        touched = or_(touched, col(Proposal.offer_id) == offer.id)
    rows = uow.session.exec(
        select(Bid, Proposal.lot_id, Proposal.offer_id)
        .join(Proposal, col(Proposal.id) == Bid.proposal_id)
        .where(touched, col(Bid.status).in_(("open", "on_hold")))
    ).all()
    if not rows:
        return
    # what is open on every lot and offer concerned, in two grouped queries, not two per bid
    lot_ids = {lot_id for _, lot_id, _ in rows}
    offer_ids = {offer_id for _, _, offer_id in rows}
    lot_open = _open_amounts(uow, Lot, Lot.tonnes, Contract.lot_id, lot_ids)
    offer_open = _open_amounts(uow, Offer, Offer.capacity_t, Contract.offer_id, offer_ids)
    for bid, lot_id, offer_id in rows:
        fits = bid.tonnes <= lot_open[lot_id] + EPS and bid.tonnes <= offer_open[offer_id] + EPS
        new_status = "open" if fits else "on_hold"
        if bid.status != new_status:
            bid.status = new_status
            uow.session.add(bid)


def _open_amounts(
    uow: UnitOfWork, model: Any, amount: Any, contract_key: Any, ids: set[int]
) -> dict[int, float]:
    """Tonnes (or capacity) open to bid on, by id: as `_open_to_bid`, nothing once withdrawn."""
    open_t = open_tonnes(amount, reserved_sql(contract_key == model.id))
    rows = uow.session.exec(
        select(model.id, open_t, model.withdrawn_at).where(col(model.id).in_(ids))
    ).all()
    return {id_: 0.0 if withdrawn is not None else round(left, 3) for id_, left, withdrawn in rows}


def cancel_contract(uow: UnitOfWork, actor: Actor, contract_id: int) -> Contract:
    """Either party may cancel a contract under which nothing has been dispatched yet."""
    actor.require("producer", "recycler")
    contract = get(uow.session, Contract, contract_id, what="contract", lock=True)
    lot = get(uow.session, Lot, contract.lot_id, what="lot", lock=True)
    offer = get(uow.session, Offer, contract.offer_id, what="offer", lock=True)
    parties = {_owner(uow, lot.site_id), _owner(uow, offer.site_id)}
    if actor.organisation_id not in parties:
        raise NotFound(
            "contract: {contract_id} does not exist", field="contract", contract_id=contract_id
        )
    if contract.status != "active":
        raise InvalidState(
            "contract: {contract_id} is {contract_status}",
            field="contract",
            contract_id=contract_id,
            contract_status=contract.status,
        )
    dispatched = uow.session.exec(
        select(func.count()).select_from(Delivery).where(Delivery.contract_id == contract_id)
    ).one()
    if dispatched:
        raise InvalidState(
            "contract: {contract_id} has {dispatched} deliveries and cannot be cancelled",
            field="contract",
            contract_id=contract_id,
            dispatched=dispatched,
        )
    contract.status = "cancelled"
    contract.closed_at = utcnow()
    uow.session.add(contract)
    uow.flush()
    rebalance_bids(uow, lot, offer)
    uow.commit()
    return contract
