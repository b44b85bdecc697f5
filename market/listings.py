"""Reads the marketplace pages need beyond `views`: a lot's history and one proposal.

Like `views`, who may see a row is decided in the query (or by raising NotFound), never left to
the page.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from market.auth import Actor
from market.errors import NotFound
from market.services.common import OVERSEERS
from market.tables import Lot, LotRevision, Proposal, Site
from market.views import proposal_rows, usernames

HISTORY_FIELDS = (
    "tonnes",
    "asking_price_cny_t",
    "available_from",
    "available_until",
    "max_haul_km",
    "lab_report",
    "sampled_on",
    "quality",
)


def lot_history(session: Session, actor: Actor, lot_id: int) -> list[dict[str, Any]]:
    """Earlier versions of a lot, newest first: for its owner and overseers only (a rival
    producer sees the open lot, not the prices it was offered at before)."""
    row = session.exec(
        select(Lot, Site).join(Site, col(Site.id) == Lot.site_id).where(Lot.id == lot_id)
    ).first()
    if row is None:
        raise NotFound("lot: {value} does not exist", field="lot", value=lot_id)
    _lot, site = row
    if actor.role not in OVERSEERS and site.organisation_id != actor.organisation_id:
        raise NotFound("lot: {value} does not exist", field="lot", value=lot_id)
    revisions = session.exec(
        select(LotRevision)
        .where(LotRevision.lot_id == lot_id)
        .order_by(col(LotRevision.version).desc())
    ).all()
    names = usernames(session, [r.changed_by for r in revisions])
    return [
        {
            "version": r.version,
            "change": r.change,
            "changed_by": names.get(r.changed_by, str(r.changed_by)),
            "changed_at": r.changed_at.isoformat(),
            "was": {k: r.snapshot.get(k) for k in HISTORY_FIELDS},
        }
        for r in revisions
    ]


def proposal_for(session: Session, actor: Actor, proposal_id: int) -> dict[str, Any]:
    """One proposal, for the recycler whose plant it names, the producer whose lot it names, or
    an overseer; anyone else is told it does not exist."""
    rows = proposal_rows(session, Proposal.id == proposal_id)
    if rows and (
        actor.role in OVERSEERS
        or (actor.role == "recycler" and rows[0]["recycler_id"] == actor.organisation_id)
        or (actor.role == "producer" and rows[0]["producer_id"] == actor.organisation_id)
    ):
        return rows[0]
    raise NotFound("proposal: {value} does not exist", field="proposal", value=proposal_id)
