"""The drill-down from a figure to the ledger entries behind it, and one producer's page."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, func, select

from market.audit.periods import Period
from market.audit.queries import overseer_question
from market.audit.rules import Rules, round_t, rules
from market.audit.scope import Scope, require_overseer
from market.auth import Actor
from market.errors import InvalidInput, NotFound
from market.ledger import STOCK_SIGN, stock_effect
from market.tables import (
    Delivery,
    LedgerEntry,
    Organisation,
    Site,
    User,
)

# ----------------------------------------------------------------------------- drill-down


def kinds_for(name: str | None, r: Rules) -> frozenset[str] | None:
    """`kind` in the drill-down: a ledger kind, a figure name (`consumed`, ...), or `stock`
    (every entry that moves stock, from the ledger's start to the period's end)."""
    if name is None or name == "":
        return None
    if name in STOCK_SIGN:
        return frozenset({name})
    named = r.figures()
    if name in named:
        return named[name]
    if name == "stock":
        return frozenset(k for k, s in STOCK_SIGN.items() if s != 0)
    choices = sorted(STOCK_SIGN) + sorted(named) + ["stock"]
    raise InvalidInput.about("kind", name, "is not one of {choices}", choices=", ".join(choices))


def ledger_entries(
    session: Session,
    actor: Actor,
    period: Period | None = None,
    scope: Scope | None = None,
    *,
    kind: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> dict[str, Any]:
    """The entries behind a figure: one producer, one kind (or figure), one period."""
    period, scope = overseer_question(session, actor, period, scope)
    r = rules()
    kinds = kinds_for(kind, r)
    day = col(LedgerEntry.occurred_on)
    where = [day <= period.end, *scope.conditions()]
    if kind != "stock":
        where.append(day >= period.start)
    if kinds is not None:
        where.append(col(LedgerEntry.kind).in_(kinds))
    base = (
        select(LedgerEntry, Site, Organisation, Delivery)
        .join(Site, col(Site.id) == LedgerEntry.site_id)
        .join(Organisation, col(Organisation.id) == Site.organisation_id)
        .outerjoin(Delivery, col(Delivery.id) == LedgerEntry.delivery_id)
        .where(*where)
    )
    count, tonnes = session.exec(
        select(func.count(), func.coalesce(func.sum(LedgerEntry.tonnes), 0.0))
        .select_from(LedgerEntry)
        .join(Site, col(Site.id) == LedgerEntry.site_id)
        .where(*where)
    ).one()
    rows = session.exec(
        base.order_by(day, col(LedgerEntry.site_id), col(LedgerEntry.seq))
        .limit(limit)
        .offset(offset)
    ).all()
    users = {
        u.id: u.username
        for u in session.exec(
            select(User).where(col(User.id).in_(list({e.recorded_by for e, *_ in rows})))
        ).all()
    }
    entries = []
    for e, site, org, delivery in rows:
        entries.append(
            {
                "id": e.id,
                "site_id": e.site_id,
                "site": site.name,
                "organisation_id": org.id,
                "organisation": org.name,
                "prefecture": site.prefecture,
                "county": site.county,
                "seq": e.seq,
                "kind": e.kind,
                "receipt": e.delivery_id is not None and e.kind in r.utilisation,
                "material": e.material,
                "tonnes": e.tonnes,
                "stock_effect_t": round_t(stock_effect(e.kind, e.tonnes, e.delivery_id)),
                "occurred_on": e.occurred_on.isoformat(),
                "document": e.document,
                "delivery_id": e.delivery_id,
                "manifest_no": delivery.manifest_no if delivery else None,
                "recorded_by": users.get(e.recorded_by, str(e.recorded_by)),
                "recorded_at": e.recorded_at.isoformat(),
                "hash": e.hash,
                "evidence": [d["id"] for d in e.evidence or []],
                "attestation": e.attestation,
                "correction_id": e.correction_id,
            }
        )
    return {
        "period": period.label,
        "start": period.start.isoformat() if kind != "stock" else None,
        "end": period.end.isoformat(),
        "scope": scope.public(),
        "kind": kind or None,
        "kinds": sorted(kinds) if kinds is not None else None,
        "count": int(count),
        "tonnes": round_t(float(tonnes)),
        "limit": limit,
        "offset": offset,
        "entries": entries,
    }


def organisation_of(session: Session, actor: Actor, org_id: int) -> dict[str, Any]:
    require_overseer(actor)
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("organisation: {value} does not exist", field="organisation", value=org_id)
    sites = session.exec(
        select(Site).where(Site.organisation_id == org_id).order_by(col(Site.id))
    ).all()
    return {
        "id": org.id,
        "name": org.name,
        "kind": org.kind,
        "pg_ratio": org.pg_ratio,
        "sites": [
            {
                "id": s.id,
                "name": s.name,
                "kind": s.kind,
                "prefecture": s.prefecture,
                "county": s.county,
            }
            for s in sites
        ],
    }
