"""The tamper check."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from market.audit import seals as trust
from market.audit.scope import Scope, check_scope, require_overseer
from market.auth import Actor
from market.integrity import verify_all
from market.seals import SealKey
from market.tables import (
    Contract,
    Delivery,
    LedgerEntry,
    LedgerHead,
    Lot,
    Site,
)

# ----------------------------------------------------------------------------- verification


def verify(
    session: Session,
    actor: Actor,
    organisation_id: int | None = None,
    *,
    seal_key: SealKey | None = None,
) -> dict[str, Any]:
    """The hash chains of every yard (or one producer's), plus a cross-check the chains cannot
    make alone: every manifest has the dispatch entry it wrote, and every received one its
    utilisation entry. Hashing every entry is the cost; one producer's yards check fast."""
    require_overseer(actor)
    check_scope(session, Scope(organisation_id=organisation_id))
    site_ids = None
    if organisation_id is not None:
        site_ids = [
            s.id
            for s in session.exec(select(Site).where(Site.organisation_id == organisation_id))
            if s.id is not None
        ]
    months = trust.MonthRows()
    report = verify_all(session, site_ids, keep=months)
    breaks = list(report["breaks"])
    names = {s.id: s.name for s in session.exec(select(Site)).all()}
    for kind, statuses in (("dispatch", None), ("utilisation", ("received",))):
        entry = aliased(LedgerEntry)
        q = (
            select(Delivery, Lot.site_id)
            .join(Contract, col(Contract.id) == Delivery.contract_id)
            .join(Lot, col(Lot.id) == Contract.lot_id)
            .outerjoin(entry, and_(col(entry.delivery_id) == Delivery.id, col(entry.kind) == kind))
            .where(col(entry.id).is_(None))
        )
        if statuses:
            q = q.where(col(Delivery.status).in_(statuses))
        if organisation_id is not None:
            q = q.where(Delivery.producer_org_id == organisation_id)
        for delivery, site_id in session.exec(q).all():
            breaks.append(
                {
                    "site_id": site_id,
                    "site": names.get(site_id),
                    "seq": None,
                    "entry_id": None,
                    "problem": f"manifest {delivery.manifest_no} (delivery {delivery.id}) has "
                    f"no {kind} entry",
                    "message": f"site {site_id}: manifest {delivery.manifest_no} (delivery "
                    f"{delivery.id}) has no {kind} entry",
                }
            )
    breaks.extend(trust.verify_documents(session, site_ids, names))
    seal_breaks, seal_counts = trust.verify_seals(
        session, trust.seal_keys(seal_key), site_ids, names, months.by_month
    )
    breaks.extend(seal_breaks)
    q_heads = select(LedgerHead).order_by(col(LedgerHead.site_id))
    if site_ids is not None:
        q_heads = q_heads.where(col(LedgerHead.site_id).in_(site_ids))
    heads = session.exec(q_heads).all()
    return (
        report
        | seal_counts
        | {
            "organisation_id": organisation_id,
            "ok": not breaks,
            "breaks": breaks,
            "heads_fingerprint": heads_fingerprint((h.site_id, h.seq, h.hash) for h in heads),
            "heads": [
                {"site_id": h.site_id, "site": names.get(h.site_id), "seq": h.seq, "hash": h.hash}
                for h in heads
            ],
        }
    )


def heads_fingerprint(heads: Iterable[tuple[int, int, str]]) -> str:
    """One hash over every (site, seq, hash) head in site order: short enough to write down
    when a checkpoint is kept, so the file handed in later can be checked against it."""
    lines = (f"{site_id}:{seq}:{digest}" for site_id, seq, digest in sorted(heads))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()
