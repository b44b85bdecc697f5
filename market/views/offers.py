"""Recyclers' offers as the listings show them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlmodel import Session, col, func

from market import clock
from market.auth import Actor
from market.errors import NotFound
from market.tables import (
    Offer,
    Organisation,
    Site,
)
from market.views.common import (
    EVERYTHING,
    ListFilter,
    filtered,
    newest_first,
    placed,
)
from market.views.rules import (
    SQL,
    _offer_status_is,
    offer_columns,
    offer_status,
    offer_visible,
    offers_with_open_capacity,
    open_offer_condition,
    shown_open_t,
)


def offer_public(
    offer: Offer, site: Site, org: Organisation, open_t: float, today: date
) -> dict[str, Any]:
    return {
        **placed(offer, site, org),
        "material": offer.material,
        "use": offer.use_code,
        "capacity_t": offer.capacity_t,
        "capacity_open_t": shown_open_t(open_t),
        "period_start": offer.period_start.isoformat(),
        "period_end": offer.period_end.isoformat(),
        "spec": offer.spec,
        "price_cny_t": offer.price_cny_t,
        "max_haul_km": offer.max_haul_km,
        "status": offer_status(offer, open_t, today),
        "created_at": offer.created_at.isoformat(),
    }


def _visible_offers(actor: Actor, today: date) -> tuple[Any, Any]:
    """The offers the actor may see, with their open capacity: recyclers their own, overseers
    all, producers the open ones (the market's demand side is public, as on any exchange)."""
    q, open_t = offers_with_open_capacity()
    seen = offer_visible(SQL, offer_columns(open_t), today, actor.role, actor.organisation_id)
    return q.where(seen), open_t


def page_offers(
    session: Session,
    actor: Actor,
    f: ListFilter = EVERYTHING,
    *,
    limit: int = 500,
    offset: int = 0,
    today: date | None = None,
    counted: bool = True,
) -> tuple[list[dict[str, Any]], int]:
    """Recyclers see their own offers; overseers see all; producers see the open ones (the
    market's demand side is public, as on any exchange). Newest first, with the total."""
    today = today or clock.today()
    q, open_t = _visible_offers(actor, today)
    q = q.where(*filtered(f, Offer.material, Offer.created_at))
    if f.status:
        q = q.where(_offer_status_is(f.status, open_t, today))
    rows, total = newest_first(
        session, q, col(Offer.id), limit=limit, offset=offset, counted=counted
    )
    return [offer_public(o, s, org, t, today) for o, s, org, t in rows], total


def open_offers_at_sites(
    session: Session, actor: Actor, site_ids: Sequence[int], today: date | None = None
) -> dict[int, list[dict[str, Any]]]:
    """What each of these plants takes now, by material: how many open offers the actor may see
    (as `page_offers` decides), their open and offered tonnes and their price range, summed by
    the database: a page of the plant directory stays small however many offers a plant has."""
    today = today or clock.today()
    q, open_t = _visible_offers(actor, today)
    q = (
        q.with_only_columns(
            Offer.site_id,
            Offer.material,
            func.count(),
            func.sum(open_t),
            func.sum(Offer.capacity_t),
            func.min(Offer.price_cny_t),
            func.max(Offer.price_cny_t),
        )
        .where(col(Offer.site_id).in_(list(site_ids)), open_offer_condition(open_t, today))
        .group_by(col(Offer.site_id), col(Offer.material))
        .order_by(col(Offer.site_id), col(Offer.material))
    )
    by_site: dict[int, list[dict[str, Any]]] = {}
    for site_id, material, n, open_sum, offered, low, high in session.exec(q).all():
        by_site.setdefault(site_id, []).append(
            {
                "material": material,
                "offers": int(n),
                "capacity_open_t": shown_open_t(float(open_sum)),
                "capacity_t": float(offered),
                "price_low_cny_t": float(low),
                "price_high_cny_t": float(high),
            }
        )
    return by_site


def open_offers_by_site(session: Session, actor: Actor) -> dict[int, int]:
    """How many open offers each of the actor's plants has, counted by the database."""
    today = clock.today()
    q, open_t = offers_with_open_capacity()
    per_site = (
        q.with_only_columns(col(Offer.site_id), func.count())
        .where(
            col(Site.organisation_id) == actor.organisation_id,
            open_offer_condition(open_t, today),
        )
        .group_by(col(Offer.site_id))
    )
    return {site_id: int(n) for site_id, n in session.execute(per_site).all()}


def get_offer(session: Session, actor: Actor, offer_id: int) -> dict[str, Any]:
    today = clock.today()
    q, _ = _visible_offers(actor, today)
    row = session.exec(q.where(Offer.id == offer_id)).first()
    if row is None:
        raise NotFound("offer: {value} does not exist", field="offer", value=offer_id)
    offer, site, org, open_t = row
    return offer_public(offer, site, org, open_t, today)
