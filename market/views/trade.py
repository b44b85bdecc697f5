"""Bids on proposals and the contracts they became."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    and_,
    or_,
    true,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from market.auth import Actor
from market.errors import NotFound
from market.services.common import OVERSEERS
from market.tables import (
    Bid,
    Contract,
    Delivery,
    Lot,
    Offer,
    Organisation,
    Proposal,
    Site,
)
from market.views.common import (
    BID_STATUSES,
    CONTRACT_STATUSES,
    EVERYTHING,
    ListFilter,
    count_of,
    fields,
    filtered,
    paged,
    plain_row,
)
from market.views.deliveries import list_deliveries
from market.views.rules import deal_columns, join_deal
from market.wide import WideSelect, wide


def bid_public(bid: Bid) -> dict[str, Any]:
    return fields(
        bid, "id proposal_id organisation_id price_cny_t tonnes status created_at decided_at"
    )


@cache
def _bid_select() -> WideSelect:
    Recycler = aliased(Organisation)
    Plant = aliased(Site)
    q = (
        wide(
            Bid.id,
            Bid.proposal_id,
            Bid.organisation_id,
            Bid.price_cny_t,
            Bid.tonnes,
            Bid.status,
            Bid.created_at,
            Bid.decided_at,
            *deal_columns(
                "lot_id offer_id material yard producer_id recycler plant",
                plant=Plant,
                recycler=Recycler,
            ),
            col(Proposal.tonnes).label("proposal_tonnes"),
            Proposal.road_km,
            Proposal.haul_cost,
        )
        .join(Proposal, col(Proposal.id) == Bid.proposal_id)
        .join(Recycler, col(Recycler.id) == Bid.organisation_id)
        .order_by(col(Bid.id).desc())
    )
    # the bidder is the recycler named, not looked up through the plant
    return join_deal(q, Proposal.lot_id, Proposal.offer_id, plant=Plant)


def _bid_rows(
    session: Session, where: Any, *, limit: int | None = None, offset: int = 0
) -> list[dict[str, Any]]:
    out = []
    for row in session.execute(paged(_bid_select().where(where), limit, offset)):
        r = plain_row(row)
        haul = r.pop("haul_cost")
        r["haul_cny_t"] = round(haul / r["proposal_tonnes"], 2) if r["proposal_tonnes"] else 0
        out.append(r)
    return out


def _sees_proposal(session: Session, actor: Actor, proposal: Proposal) -> bool:
    """A producer sees the proposals of its lots, a recycler those for its offers."""
    if actor.role == "producer":
        site = select(Lot.site_id).where(Lot.id == proposal.lot_id).scalar_subquery()
    elif actor.role == "recycler":
        site = select(Offer.site_id).where(Offer.id == proposal.offer_id).scalar_subquery()
    else:
        return True
    owner = session.exec(select(Site.organisation_id).where(Site.id == site)).first()
    return owner == actor.organisation_id


def _bid_scope(actor: Actor) -> Any:
    if actor.role == "recycler":
        return Bid.organisation_id == actor.organisation_id
    if actor.role == "producer":
        return Site.organisation_id == actor.organisation_id
    return true()


def page_bids(
    session: Session,
    actor: Actor,
    f: ListFilter = EVERYTHING,
    *,
    lot_id: int | None = None,
    limit: int = 500,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """A page of the bids that concern the actor, newest first, and how many there are."""
    where = and_(
        _bid_scope(actor), *filtered(f, Lot.material, Bid.created_at, Bid.status, BID_STATUSES)
    )
    if lot_id is not None:
        where = and_(where, col(Lot.id) == lot_id)
    rows = _bid_rows(session, where, limit=limit, offset=offset)
    counted = _bid_select().with_only_columns(col(Bid.id)).where(where)
    return rows, count_of(session, counted)


def latest_bids(
    session: Session, actor: Actor, proposal_ids: Sequence[int]
) -> dict[int, dict[str, Any]]:
    """The newest bid the actor sees on each of these proposals (a page of them)."""
    if not proposal_ids:
        return {}
    rows = _bid_rows(session, and_(_bid_scope(actor), col(Bid.proposal_id).in_(set(proposal_ids))))
    out: dict[int, dict[str, Any]] = {}
    for b in rows:  # newest first
        out.setdefault(b["proposal_id"], b)
    return out


def bids_for_proposal(session: Session, actor: Actor, proposal_id: int) -> list[dict[str, Any]]:
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or not _sees_proposal(session, actor, proposal):
        # another organisation's proposal reads as a missing one: ids are not revealed
        raise NotFound(
            "proposal: {proposal_id} does not exist", field="proposal", proposal_id=proposal_id
        )
    return _bid_rows(session, and_(_bid_scope(actor), col(Bid.proposal_id) == proposal_id))


def contract_public(c: Contract) -> dict[str, Any]:
    return fields(c, "id bid_id lot_id offer_id tonnes price_cny_t status created_at closed_at")


@cache
def _contract_select() -> WideSelect:
    Plant = aliased(Site)
    Producer = aliased(Organisation)
    Recycler = aliased(Organisation)
    # correlated sums: with a page of contracts, only their deliveries are read (index on
    # delivery.contract_id), however many deliveries the market has seen
    sent = (
        select(func.coalesce(func.sum(Delivery.tonnes), 0.0))
        .where(Delivery.contract_id == Contract.id)
        .scalar_subquery()
    )
    received = (
        select(func.coalesce(func.sum(Delivery.received_tonnes), 0.0))
        .where(Delivery.contract_id == Contract.id, Delivery.status == "received")
        .scalar_subquery()
    )
    q = wide(
        Contract.id,
        Contract.bid_id,
        Contract.lot_id,
        Contract.offer_id,
        Contract.tonnes,
        Contract.price_cny_t,
        Contract.status,
        Contract.created_at,
        Contract.closed_at,
        *deal_columns(
            "material yard yard_id producer producer_id plant recycler recycler_id",
            plant=Plant,
            producer=Producer,
            recycler=Recycler,
        ),
        sent.label("dispatched_t"),
        received.label("received_t"),
    ).order_by(col(Contract.id).desc())
    return join_deal(
        q,
        Contract.lot_id,
        Contract.offer_id,
        producer=Producer,
        plant=Plant,
        recycler=Recycler,
    )


def _contracts_of(actor: Actor, where: Any) -> WideSelect:
    """The contracts `where` selects that the actor is party to (overseers: all), newest first."""
    q = _contract_select()
    cols = q.selected_columns
    q = q.where(where)
    if actor.role not in OVERSEERS:
        q = q.where(
            or_(
                cols.producer_id == actor.organisation_id, cols.recycler_id == actor.organisation_id
            )
        )
    return q


def _contract_rows(
    session: Session, actor: Actor, where: Any, *, limit: int = 500, offset: int = 0
) -> list[dict[str, Any]]:
    out = []
    for row in session.execute(_contracts_of(actor, where).limit(limit).offset(offset)):
        r = plain_row(row)
        r["dispatched_t"] = round(float(r["dispatched_t"]), 3)
        r["received_t"] = round(float(r["received_t"]), 3)
        r["remaining_t"] = round(r["tonnes"] - r["dispatched_t"], 3)
        out.append(r)
    return out


def page_contracts(
    session: Session,
    actor: Actor,
    f: ListFilter = EVERYTHING,
    *,
    limit: int = 500,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """A page of the contracts the actor is party to (overseers: all), newest first, and how
    many there are."""
    chosen = filtered(f, Lot.material, Contract.created_at, Contract.status, CONTRACT_STATUSES)
    where = and_(true(), *chosen)
    rows = _contract_rows(session, actor, where, limit=limit, offset=offset)
    counted = _contracts_of(actor, where).with_only_columns(col(Contract.id))
    return rows, count_of(session, counted)


def get_contract(session: Session, actor: Actor, contract_id: int) -> dict[str, Any]:
    rows = _contract_rows(session, actor, Contract.id == contract_id)
    if not rows:
        raise NotFound(
            "contract: {contract_id} does not exist", field="contract", contract_id=contract_id
        )
    row = rows[0]
    row["deliveries"] = list_deliveries(session, actor, contract_id)
    return row
