"""The regulator's side: the queue of months by state (or overdue) and one month for review."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, func, select

from market import clock
from market.auth import Actor
from market.errors import InvalidInput
from market.services.common import OVERSEERS, get
from market.services.reports.listing import list_reports, public, readable_yard, user_names
from market.services.reports.months import due_on
from market.services.reports.sealing import month_figures, month_rows
from market.tables import LedgerEntry, Organisation, Report, Site


def queue(
    session: Session,
    actor: Actor,
    due_day: int,
    *,
    status: str = "submitted",
    today: date | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The regulator's queue: reports in a state (`submitted` to review), or `overdue` months
    (ended, past their due day, not submitted) of every yard."""
    actor.require(*OVERSEERS)
    today = today or clock.today()
    if status not in ("submitted", "approved", "returned", "overdue"):
        raise InvalidInput.about(
            "status", status, "is not one of submitted, approved, returned, overdue"
        )
    sites = {
        s.id: s
        for s in session.exec(select(Site).where(Site.kind == "yard")).all()
        if s.id is not None
    }
    orgs = {o.id: o.name for o in session.exec(select(Organisation)).all()}
    if status != "overdue":
        rows = session.exec(
            select(Report)
            .where(Report.status == status)
            .order_by(col(Report.period), col(Report.site_id))
            .limit(limit)
            .offset(offset)
        ).all()
        names = user_names(session, [r.approved_by for r in rows])
        out = []
        for r in rows:
            site = sites.get(r.site_id)
            item = public(r, r.site_id, r.period, due_day, today, names)
            item["site"] = site.name if site else None
            item["organisation_id"] = site.organisation_id if site else None
            item["organisation"] = orgs.get(site.organisation_id) if site else None
            out.append(item)
        return out
    firsts = dict(
        session.exec(
            select(col(LedgerEntry.site_id), func.min(LedgerEntry.occurred_on)).group_by(
                col(LedgerEntry.site_id)
            )
        ).all()
    )
    states = {
        (s, p): st
        for s, p, st in session.exec(
            select(col(Report.site_id), col(Report.period), col(Report.status))
        ).all()
    }
    late = []
    last_ended = clock.previous_month(clock.month_of(today))
    for site_id, first in sorted(firsts.items()):
        site = sites.get(site_id)
        if site is None:
            continue
        for period in clock.months_between(clock.month_of(first), last_ended):
            state = states.get((site_id, period), "open")
            if state in ("open", "returned") and today > due_on(period, due_day):
                item = public(None, site_id, period, due_day, today)
                item["status"] = state
                item["site"] = site.name
                item["organisation_id"] = site.organisation_id
                item["organisation"] = orgs.get(site.organisation_id)
                late.append(item)
    return late[offset : offset + limit]


def review(session: Session, actor: Actor, report_id: int, due_day: int) -> dict[str, Any]:
    """One month for review: its entries, its totals beside the month before, the evidence
    cited, pending claims and corrections, and the report's history."""
    report = get(session, Report, report_id, what="report")
    site = readable_yard(session, actor, report.site_id)
    today = clock.today()
    rows = month_rows(session, report.site_id, report.period)
    previous = month_rows(session, report.site_id, clock.previous_month(report.period))
    this, before = month_figures(rows), month_figures(previous)
    changes = []
    for material in sorted(set(this["totals"]) | set(before["totals"])):
        kinds = set(this["totals"].get(material, {})) | set(before["totals"].get(material, {}))
        for kind in sorted(kinds):
            now = float(this["totals"].get(material, {}).get(kind, 0))
            then = float(before["totals"].get(material, {}).get(kind, 0))
            changes.append(
                {
                    "material": material,
                    "kind": kind,
                    "tonnes": round(now, 3),
                    "previous_tonnes": round(then, 3),
                    "change_t": round(now - then, 3),
                    "change_rate": round((now - then) / then, 4) if then else None,
                }
            )
    entries = [
        {
            "seq": seq,
            "kind": kind,
            "material": material,
            "tonnes": tonnes,
            "occurred_on": on.isoformat(),
            "document": document,
            "delivery_id": delivery_id,
            "evidence": [d["id"] for d in evidence or []],
            "correction_id": corr,
            "attestation": att,
        }
        for seq, kind, material, tonnes, on, document, delivery_id, evidence, corr, att in rows
    ]
    listed = list_reports(session, actor, report.site_id, due_day, today)["reports"]
    item = next((r for r in listed if r["period"] == report.period), None)
    return {
        "report": item or public(report, report.site_id, report.period, due_day, today),
        "site": {
            "id": site.id,
            "name": site.name,
            "organisation_id": site.organisation_id,
            "organisation": org.name
            if (org := session.get(Organisation, site.organisation_id))
            else None,
        },
        "entries": entries,
        "changes": changes,
        "pending_claims": sum(1 for e in entries if e["attestation"] == "pending"),
    }
