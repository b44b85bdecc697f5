"""The facts behind each user's to-do, read in a few grouped queries (the rules: `market.todo`).

Every query is bounded by the user's organisation (a regulator's by the whole market's queues,
an evaluator's by its linked producers) and counts with indexes the tables already have; the
header asks for it on every page, so nothing here loads a listing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from market import clock, todo
from market.auth import Actor
from market.tables import (
    Bid,
    Contract,
    CorrectionRequest,
    Delivery,
    EvaluatorLink,
    LedgerEntry,
    Lot,
    Offer,
    Proposal,
    Report,
    Settlement,
    Site,
)
from market.todo import Fact
from market.views.rules import open_lot_condition, open_tonnes, reserved_sql


def _fact(ids: list[Any], url: str | None = None) -> Fact:
    return Fact(len(ids), url.format(ids[0]) if url and len(ids) == 1 else None)


def _count(session: Session, query: Any) -> int:
    return int(session.exec(query).one())


def _sums(session: Session, key: Any, amount: Any, keys: list[Any], *where: Any) -> dict[Any, Any]:
    """The sum of `amount` for each of `keys` (in the column `key`) over the rows `where` holds;
    no keys, no query."""
    if not keys:
        return {}
    return dict(
        session.exec(
            select(key, func.sum(amount)).where(col(key).in_(keys), *where).group_by(col(key))
        ).all()
    )


def _producer(session: Session, org: int, today: date) -> dict[str, Fact]:
    facts: dict[str, Fact] = {}
    facts["bid_to_decide"] = Fact(
        _count(
            session,
            select(func.count(col(Bid.id)))
            .join(Proposal, col(Proposal.id) == Bid.proposal_id)
            .join(Lot, col(Lot.id) == Proposal.lot_id)
            .join(Site, col(Site.id) == Lot.site_id)
            .where(Site.organisation_id == org, Bid.status == "open"),
        )
    )
    contracts = session.exec(
        select(Contract.id, Contract.tonnes)
        .join(Lot, col(Lot.id) == Contract.lot_id)
        .join(Site, col(Site.id) == Lot.site_id)
        .where(Site.organisation_id == org, Contract.status == "active")
    ).all()
    sent = _sums(session, Delivery.contract_id, Delivery.tonnes, [c for c, _ in contracts])
    due = [c for c, tonnes in contracts if todo.remaining(tonnes, float(sent.get(c or 0, 0)))]
    facts["dispatch_due"] = _fact(due, "/contracts/{}")
    facts["settlement_to_answer"] = _settlements(
        session,
        "producer",
        select(Delivery.id, Delivery.contract_id).where(Delivery.producer_org_id == org),
    )
    yards = [
        i
        for i in session.exec(
            select(Site.id).where(Site.organisation_id == org, Site.kind == "yard")
        ).all()
        if i is not None
    ]
    if yards:
        firsts = dict(
            session.exec(
                select(col(LedgerEntry.site_id), func.min(LedgerEntry.occurred_on))
                .where(col(LedgerEntry.site_id).in_(yards))
                .group_by(col(LedgerEntry.site_id))
            ).all()
        )
        states: dict[int, dict[str, str]] = {}
        for site_id, period, status in session.exec(
            select(Report.site_id, Report.period, Report.status).where(
                col(Report.site_id).in_(yards)
            )
        ).all():
            states.setdefault(site_id, {})[period] = status
        due_yards = []
        for y in yards:
            first = firsts.get(y)
            months = todo.months_to_submit(
                clock.month_of(first) if first else None, states.get(y, {}), today
            )
            due_yards += [y] * len(months)
        returned = [y for y in yards for s in states.get(y, {}).values() if s == "returned"]
        facts["report_due"] = _one_yard(due_yards)
        facts["report_returned"] = _one_yard(returned)
    # the producer's open lots (by the market's rule) whose last day is near, with tonnes left
    open_t = open_tonnes(Lot.tonnes, reserved_sql(Contract.lot_id == Lot.id))
    ending = session.exec(
        select(col(Lot.id), open_t, col(Lot.available_until))
        .join(Site, col(Site.id) == Lot.site_id)
        .where(
            Site.organisation_id == org,
            open_lot_condition(open_t, today),
            col(Lot.available_until) < today + timedelta(days=todo.EXPIRY_DAYS),
        )
    ).all()
    facts["lot_expiring"] = _fact(
        [
            i
            for i, left, until in ending
            if i is not None and todo.expiring(until, today) and left > todo.EPS
        ],
        "/lots/{}",
    )
    return facts


def _one_yard(yard_ids: list[int]) -> Fact:
    """A count over yards: the yard's months page when they are all of one yard."""
    url = f"/yards/{yard_ids[0]}/reports" if yard_ids and len(set(yard_ids)) == 1 else None
    return Fact(len(yard_ids), url)


def _settlements(session: Session, side: str, deliveries: Any) -> Fact:
    rows = session.exec(deliveries.where(Delivery.status == "disputed")).all()
    if not rows:
        return Fact(0)
    contract_of = dict(rows)
    sides: dict[int, list[str]] = {d: [] for d in contract_of}
    for delivery_id, who in session.exec(
        select(Settlement.delivery_id, Settlement.side)
        .where(col(Settlement.delivery_id).in_(list(contract_of)))
        .order_by(col(Settlement.id))
    ).all():
        sides[delivery_id].append(who)
    waiting = [contract_of[d] for d, s in sides.items() if todo.settlement_waits_on(side, s)]
    return _fact(waiting, "/contracts/{}")


def _recycler(session: Session, org: int, today: date) -> dict[str, Fact]:
    at_my_plants = (
        select(Delivery.id, Delivery.contract_id)
        .join(Contract, col(Contract.id) == Delivery.contract_id)
        .join(Offer, col(Offer.id) == Contract.offer_id)
        .join(Site, col(Site.id) == Offer.site_id)
        .where(Site.organisation_id == org)
    )
    to_confirm = session.exec(at_my_plants.where(Delivery.status == "dispatched")).all()
    offers = session.exec(
        select(col(Offer.id), col(Offer.period_end))
        .join(Site, col(Site.id) == Offer.site_id)
        .where(
            Site.organisation_id == org,
            col(Offer.withdrawn_at).is_(None),
            col(Offer.period_end) >= today,
        )
    ).all()
    return {
        "receipt_to_confirm": Fact(len(to_confirm)),
        "settlement_to_answer": _settlements(session, "recycler", at_my_plants),
        "offer_expiring": Fact(sum(1 for _, end in offers if todo.expiring(end, today))),
    }


def _pending_claims(org: int | None) -> Any:
    q = select(func.count(col(LedgerEntry.id))).where(LedgerEntry.attestation == "pending")
    if org is not None:  # an evaluator: the claims of its producers
        q = q.join(Site, col(Site.id) == LedgerEntry.site_id).join(
            EvaluatorLink,
            (col(EvaluatorLink.producer_org_id) == Site.organisation_id)
            & (col(EvaluatorLink.evaluator_org_id) == org),
        )
    return q


def _regulator(session: Session) -> dict[str, Fact]:
    submitted = list(
        session.exec(select(Report.id).where(Report.status == "submitted").limit(2)).all()
    )
    return {
        "report_to_review": Fact(
            _count(session, select(func.count(col(Report.id))).where(Report.status == "submitted")),
            f"/review/reports/{submitted[0]}" if len(submitted) == 1 else None,
        ),
        "correction_to_review": Fact(
            _count(
                session,
                select(func.count(col(CorrectionRequest.id))).where(
                    CorrectionRequest.status == "pending"
                ),
            )
        ),
        "attestation_to_review": Fact(_count(session, _pending_claims(None))),
    }


def facts_for(session: Session, actor: Actor, today: date | None = None) -> dict[str, Fact]:
    today = today or clock.today()
    org = actor.organisation_id
    if actor.role == "producer":
        return _producer(session, org, today)
    if actor.role == "recycler":
        return _recycler(session, org, today)
    if actor.role == "regulator":
        return _regulator(session)
    if actor.role == "evaluator":
        return {"attestation_to_review": Fact(_count(session, _pending_claims(org)))}
    return {}


def todo_for(session: Session, actor: Actor, today: date | None = None) -> list[dict[str, Any]]:
    """What waits on the actor now: `[{"kind", "count", "url", "title"}]` (title in English)."""
    return todo.items(actor.role, facts_for(session, actor, today))
