from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlmodel import col, select

from market import catalogue, clock, fields, schemas
from market.auth import Actor
from market.db import UnitOfWork
from market.errors import N_, InvalidInput, Refusals
from market.schemas.bodies import OfferCreate
from market.services.common import own_listing, own_site_and_material
from market.tables import Bid, Offer, Proposal, utcnow

OFFER_FIELDS = schemas.names(OfferCreate)
MAX_PERIOD_DAYS = 3 * 366


def post_offer(uow: UnitOfWork, actor: Actor, data: Mapping[str, Any]) -> Offer:
    """An intake offer: what a plant can take of one material over a period, and on what terms.

    Quality limits start from the catalogue use when one is named; `spec` overrides them.
    """
    actor.require("recycler")
    fields.reject_unknown(data, OFFER_FIELDS)
    # every bad field is refused at once
    bad = Refusals()
    site_id, material = own_site_and_material(uow.session, actor, data, bad, kind="plant")
    use_code = schemas.read(OfferCreate, data, bad, "use")["use"] or None
    spec: dict[str, Any] = {}
    if material is not None:
        with bad.field():
            spec = catalogue.use_spec(material, use_code) if use_code else {}
        with bad.field():
            spec |= catalogue.spec(material, fields.mapping(data, "spec"))
    today = clock.today()
    period = schemas.read(OfferCreate, data, bad, "period_start", "period_end")
    start = period["period_start"] or today
    end = period["period_end"] or start + timedelta(days=365)
    if not bad.bad("period_start") and not bad.bad("period_end"):
        bad.check(fields.date_order, "period_start", start, "period_end", end)
        if not bad.bad("period_end") and (end - start).days > MAX_PERIOD_DAYS:
            bad.add(
                InvalidInput.about(
                    "period_end",
                    end.isoformat(),
                    "is more than {MAX_PERIOD_DAYS} days after the start",
                    MAX_PERIOD_DAYS=MAX_PERIOD_DAYS,
                )
            )
    terms = schemas.read(OfferCreate, data, bad, "capacity_t", "price_cny_t", "max_haul_km")
    bad.done()
    # done() raised if a required field was missing; the price defaults to 0.0
    assert site_id is not None and material is not None
    offer = Offer(
        site_id=site_id,
        material=material,
        use_code=use_code,
        period_start=start,
        period_end=end,
        spec=spec,
        created_by=actor.user_id,
        **terms,
    )
    uow.session.add(offer)
    uow.commit()
    return offer


def withdraw_offer(uow: UnitOfWork, actor: Actor, offer_id: int) -> Offer:
    actor.require("recycler")
    offer = own_listing(
        uow.session,
        actor,
        Offer,
        offer_id,
        what="offer",
        missing=N_("offer: {value} does not exist"),
    )
    if offer.withdrawn_at is None:
        offer.withdrawn_at = utcnow()
        uow.session.add(offer)
    # the recycler's bids for this offer go with it: an open bid on a withdrawn offer could
    # still be accepted into a contract for capacity that is no longer offered
    for bid in uow.session.exec(
        select(Bid)
        .join(Proposal, col(Proposal.id) == Bid.proposal_id)
        .where(Proposal.offer_id == offer_id, col(Bid.status).in_(("open", "on_hold")))
    ).all():
        bid.status = "withdrawn"
        bid.decided_at = utcnow()
        uow.session.add(bid)
    uow.commit()
    return offer
