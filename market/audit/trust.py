"""What the regulator's figures rest on: which months are approved, which were restated, which
reports are late, and whether the seals of approved months still hold.

The audit (`market.audit`) counts a producer's own claims only once attested; this module adds
the reporting months: the allowance and the trajectory use approved months, every 以用定产 row says
how much of its period is approved, and the tamper check verifies every seal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import extract
from sqlmodel import Session, col, func, select

from market import clock
from market.audit.rules import kind_label
from market.services.reports import due_on
from market.tables import (
    CorrectionRequest,
    LedgerEntry,
    Report,
    Site,
    User,
)
from market.wide import wide

# ----------------------------------------------------------------------------- report status


@dataclass
class OrgMonths:
    """One producer's yards and the state of their months, for one period and the previous."""

    sites: dict[int, date] = field(default_factory=dict)
    """site id → the day of its first entry"""
    states: dict[tuple[int, str], str] = field(default_factory=dict)


def months_of(start: date, end: date) -> list[str]:
    return clock.months_between(clock.month_of(start), clock.month_of(end))


def org_months(
    session: Session, org_ids: Sequence[int], material: str, until: date
) -> dict[int, OrgMonths]:
    """Yards of these organisations that hold `material` by `until`, and their months' states."""
    if not org_ids:
        return {}
    with_material = (
        select(col(LedgerEntry.site_id))
        .where(col(LedgerEntry.material) == material, col(LedgerEntry.occurred_on) <= until)
        .distinct()
    )
    rows = session.exec(
        select(col(Site.id), col(Site.organisation_id), func.min(LedgerEntry.occurred_on))
        .join(LedgerEntry, col(LedgerEntry.site_id) == Site.id)
        .where(col(Site.organisation_id).in_(org_ids), col(Site.id).in_(with_material))
        .group_by(col(Site.id), col(Site.organisation_id))
    ).all()
    out: dict[int, OrgMonths] = {}
    by_site: dict[int, int] = {}
    for site_id, org_id, first in rows:
        if site_id is None:
            continue
        out.setdefault(org_id, OrgMonths()).sites[site_id] = first
        by_site[site_id] = org_id
    if by_site:
        for site_id, period, status in session.exec(
            select(col(Report.site_id), col(Report.period), col(Report.status)).where(
                col(Report.site_id).in_(list(by_site))
            )
        ).all():
            out[by_site[site_id]].states[(site_id, period)] = status
    return out


def considered(om: OrgMonths, start: date, end: date, today: date) -> list[tuple[int, str]]:
    """The (yard, month) pairs of a period that a producer must have reported by now: ended
    months from each yard's first."""
    out = []
    for site_id, first in om.sites.items():
        for m in months_of(start, end):
            if m >= clock.month_of(first) and clock.month_bounds(m)[1] < today:
                out.append((site_id, m))
    return out


def report_status(om: OrgMonths, start: date, end: date, today: date) -> str:
    pairs = considered(om, start, end, today)
    approved = sum(1 for p in pairs if om.states.get(p) == "approved")
    if pairs and approved == len(pairs):
        return "approved"
    return "partial" if approved else "missing"


def overdue(om: OrgMonths, start: date, end: date, today: date, due_day: int) -> list[str]:
    late = []
    for site_id, m in considered(om, start, end, today):
        state = om.states.get((site_id, m), "open")
        if state in ("open", "returned") and today > due_on(m, due_day):
            late.append(m)
    return sorted(set(late))


def covered(om: OrgMonths, start: date, end: date, today: date) -> bool:
    """Every month of the period is on the ledger and approved for every yard: only then is
    the period's consumption a sound base for the next period's allowance."""
    if not om.sites or min(om.sites.values()) > start or end >= today:
        return False
    pairs = considered(om, start, end, today)
    return bool(pairs) and all(om.states.get(p) == "approved" for p in pairs)


def approved_sums(
    session: Session, om_by_org: Mapping[int, OrgMonths], material: str, start: date, end: date
) -> dict[int, dict[tuple[str, bool], float]]:
    """Per organisation, the period's sums by kind over approved (yard, month) pairs only."""
    site_org = {s: org for org, om in om_by_org.items() for s in om.sites}
    if not site_org:
        return {}
    day = col(LedgerEntry.occurred_on)
    y, m = extract("year", day), extract("month", day)
    label = kind_label()
    names_delivery = col(LedgerEntry.delivery_id).is_not(None)
    rows = session.exec(
        wide(col(LedgerEntry.site_id), y, m, label, names_delivery, func.sum(LedgerEntry.tonnes))
        .where(
            col(LedgerEntry.site_id).in_(list(site_org)),
            col(LedgerEntry.material) == material,
            day >= start,
            day <= end,
        )
        .group_by(col(LedgerEntry.site_id), y, m, label, names_delivery)
    ).all()
    out: dict[int, dict[tuple[str, bool], float]] = {}
    for site_id, year, month, kind, receipt, tonnes in rows:
        org = site_org[site_id]
        if om_by_org[org].states.get((site_id, f"{int(year):04d}-{int(month):02d}")) != "approved":
            continue
        sums = out.setdefault(org, {})
        key = (kind, bool(receipt))
        sums[key] = sums.get(key, 0.0) + float(tonnes or 0.0)
    return out


def restatements(
    session: Session, site_ids: Iterable[int], start: date, end: date
) -> dict[int, list[dict[str, Any]]]:
    """Approved corrections to months of the period, by yard: who asked, who approved, why."""
    ids = list(site_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(CorrectionRequest, Site)
        .join(Site, col(Site.id) == CorrectionRequest.site_id)
        .where(
            col(CorrectionRequest.site_id).in_(ids),
            CorrectionRequest.status == "approved",
            col(CorrectionRequest.period) >= clock.month_of(start),
            col(CorrectionRequest.period) <= clock.month_of(end),
        )
        .order_by(col(CorrectionRequest.id))
    ).all()
    users = {
        u.id: u.username
        for u in session.exec(
            select(User).where(
                col(User.id).in_(
                    [r.requested_by for r, _ in rows] + [r.decided_by or 0 for r, _ in rows]
                )
            )
        ).all()
    }
    out: dict[int, list[dict[str, Any]]] = {}
    for r, site in rows:
        out.setdefault(site.organisation_id, []).append(
            {
                "correction_id": r.id,
                "site_id": r.site_id,
                "site": site.name,
                "period": r.period,
                "kind": r.kind,
                "material": r.material,
                "tonnes": r.tonnes,
                "reason": r.reason,
                "requested_by": users.get(r.requested_by),
                "approved_by": users.get(r.decided_by or 0),
                "approved_at": r.decided_at.isoformat() if r.decided_at else None,
            }
        )
    return out


def approved_months(session: Session, site_ids: Iterable[int] | None) -> list[tuple[int, str]]:
    """(yard, month) of every approved report, in the database's order."""
    q = select(col(Report.site_id), col(Report.period)).where(Report.status == "approved")
    if site_ids is not None:
        q = q.where(col(Report.site_id).in_(list(site_ids)))
    return [(site_id, period) for site_id, period in session.exec(q).all()]


def approved_pairs(session: Session, site_ids: Iterable[int] | None) -> set[tuple[int, str]]:
    return set(approved_months(session, site_ids))
