"""A site's stock ledger: entries, running stock, and stock by site."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    and_,
    case,
    false,
)
from sqlmodel import Session, col, func, select

from market.auth import Actor
from market.errors import NotFound
from market.ledger import STOCK_SIGN, stock_effect
from market.services.common import OVERSEERS
from market.tables import (
    LedgerEntry,
    Site,
    User,
)
from market.views.common import _known, count_of, site_public


def entry_public(e: LedgerEntry, usernames: dict[int, str]) -> dict[str, Any]:
    return {
        "id": e.id,
        "seq": e.seq,
        "site_id": e.site_id,
        "kind": e.kind,
        "material": e.material,
        "tonnes": e.tonnes,
        "occurred_on": e.occurred_on.isoformat(),
        "document": e.document,
        "delivery_id": e.delivery_id,
        "recorded_by": usernames.get(e.recorded_by, str(e.recorded_by)),
        "recorded_at": e.recorded_at.isoformat(),
        "prev_hash": e.prev_hash,
        "hash": e.hash,
        "evidence": [d["id"] for d in e.evidence or []],
        "attestation": e.attestation,
        "correction_id": e.correction_id,
    }


def usernames(session: Session, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(select(User.id, User.username).where(col(User.id).in_(set(ids)))).all()
    return {uid: name for uid, name in rows if uid is not None}


LEDGER_KINDS = tuple(STOCK_SIGN)


def site_ledger(
    session: Session,
    actor: Actor,
    site_id: int,
    *,
    material: str | None = None,
    kind: str | None = None,
    month: tuple[date, date] | None = None,
    limit: int = 500,
    offset: int = 0,
) -> dict[str, Any]:
    """A yard's ledger, newest first (by day, then by sequence), with each entry's stock of its
    material after it (`running_t`, in day order over the whole ledger, whatever the filter);
    filtered by material, kind and month (first day, first day of the next); `count` is how
    many entries the filter selects."""
    site = session.get(Site, site_id)
    if site is None or (
        actor.role not in OVERSEERS and site.organisation_id != actor.organisation_id
    ):
        raise NotFound("site_id: {value} does not exist", field="site_id", value=site_id)
    running = (
        func.sum(_stock_effect_sql() * LedgerEntry.tonnes)
        .over(
            partition_by=col(LedgerEntry.material),
            order_by=(col(LedgerEntry.occurred_on), col(LedgerEntry.seq)),
        )
        .label("running_t")
    )
    stock = (
        select(col(LedgerEntry.id).label("entry_id"), running)
        .where(LedgerEntry.site_id == site_id)
        .subquery()
    )
    q = (
        select(LedgerEntry, stock.c.running_t)
        .join(stock, stock.c.entry_id == LedgerEntry.id)
        .where(LedgerEntry.site_id == site_id)
    )
    if material:
        q = q.where(LedgerEntry.material == material if _known(material) else false())
    if kind:
        q = q.where(LedgerEntry.kind == kind if kind in STOCK_SIGN else false())
    if month is not None:
        day = col(LedgerEntry.occurred_on)
        q = q.where(day >= month[0], day < month[1])
    total = count_of(session, q.with_only_columns(col(LedgerEntry.id)))
    rows = session.exec(
        q.order_by(col(LedgerEntry.occurred_on).desc(), col(LedgerEntry.seq).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    names = usernames(session, [e.recorded_by for e, _ in rows])
    entries = []
    for e, run in rows:
        row = entry_public(e, names)
        row["stock_effect_t"] = round(stock_effect(e.kind, e.tonnes, e.delivery_id), 3)
        row["running_t"] = round(float(run or 0.0), 3)
        entries.append(row)
    return {
        "site": site_public(site),
        "balance_t": stock_by_site(session, [site_id]).get(site_id, {}),
        "count": total,
        "total": total,
        "limit": limit,
        "offset": offset,
        "entries": entries,
    }


_KINDS_WITH_SIGN = {
    sign: tuple(k for k, s in STOCK_SIGN.items() if s == sign) for sign in (-1, 0, 1)
}


def stock_by_site(session: Session, site_ids: Sequence[int]) -> dict[int, dict[str, float]]:
    """Balances per site and material, summed in the database (one query for many sites)."""
    if not site_ids:
        return {}
    sign = _stock_effect_sql()
    rows = session.exec(
        select(LedgerEntry.site_id, LedgerEntry.material, func.sum(sign * LedgerEntry.tonnes))
        .where(col(LedgerEntry.site_id).in_(set(site_ids)), LedgerEntry.kind != "p2o5_output")
        .group_by(col(LedgerEntry.site_id), col(LedgerEntry.material))
    ).all()
    out: dict[int, dict[str, float]] = {}
    for sid, mat, total in rows:
        out.setdefault(sid, {})[mat] = round(float(total or 0.0), 3)
    return out


def _stock_effect_sql() -> Any:
    """`stock_effect`'s sign as SQL: a receipt's utilisation moves no stock."""
    return case(
        (
            and_(col(LedgerEntry.kind) == "utilisation", col(LedgerEntry.delivery_id).is_not(None)),
            0.0,
        ),
        (col(LedgerEntry.kind).in_(_KINDS_WITH_SIGN[1]), 1.0),
        (col(LedgerEntry.kind).in_(_KINDS_WITH_SIGN[-1]), -1.0),
        else_=0.0,
    )
