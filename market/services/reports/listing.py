"""A yard's reporting months as people read them, with their history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from market import clock
from market.auth import Actor
from market.errors import NotFound
from market.services.common import OVERSEERS, get
from market.services.reports.months import due_on, require_yard, yard_months
from market.tables import Report, ReportEvent, Site, User


def public(
    report: Report | None,
    site_id: int,
    period: str,
    due_day: int,
    today: date,
    names: Mapping[int, str] | None = None,
) -> dict[str, Any]:
    names = names or {}
    status = report.status if report else "open"
    due = due_on(period, due_day)
    ended = clock.month_bounds(period)[1] < today
    return {
        "id": report.id if report else None,
        "site_id": site_id,
        "period": period,
        "status": status,
        "due_on": due.isoformat(),
        "ended": ended,
        "overdue": status in ("open", "returned") and ended and today > due,
        "submitted_at": report.submitted_at.isoformat() if report and report.submitted_at else None,
        "approved_at": report.approved_at.isoformat() if report and report.approved_at else None,
        "approved_by": names.get(report.approved_by) if report and report.approved_by else None,
        "note": report.note if report else "",
    }


def user_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """User id → username, for the ids given (None and 0 skipped)."""
    wanted = [i for i in set(ids) if i]
    if not wanted:
        return {}
    return {
        u.id: u.username
        for u in session.exec(select(User).where(col(User.id).in_(wanted))).all()
        if u.id is not None
    }


def readable_yard(session: Session, actor: Actor, site_id: int) -> Site:
    from market.services.documents import evaluates

    site = get(session, Site, site_id, what="site_id")
    allowed = (
        actor.role in OVERSEERS
        or site.organisation_id == actor.organisation_id
        or (
            actor.role == "evaluator"
            and evaluates(session, actor.organisation_id, site.organisation_id)
        )
    )
    if not allowed:
        raise NotFound("site_id: {value} does not exist", field="site_id", value=site_id)
    require_yard(site, site_id)
    return site


def list_reports(
    session: Session, actor: Actor, site_id: int, due_day: int, today: date | None = None
) -> dict[str, Any]:
    site = readable_yard(session, actor, site_id)
    today = today or clock.today()
    rows = {
        r.period: r for r in session.exec(select(Report).where(Report.site_id == site_id)).all()
    }
    names = user_names(session, [r.approved_by for r in rows.values()])
    months = yard_months(session, site, today)
    events = session.exec(
        select(ReportEvent)
        .where(col(ReportEvent.report_id).in_([r.id for r in rows.values()]))
        .order_by(col(ReportEvent.id))
    ).all()
    names |= user_names(session, [e.by for e in events])
    history: dict[int, list[dict[str, Any]]] = {}
    for e in events:
        history.setdefault(e.report_id, []).append(
            {"action": e.action, "by": names.get(e.by), "at": e.at.isoformat(), "note": e.note}
        )
    out = []
    for period in reversed(months):
        row = rows.get(period)
        item = public(row, site_id, period, due_day, today, names)
        item["history"] = history.get(row.id, []) if row and row.id else []
        out.append(item)
    return {"site_id": site_id, "site": site.name, "reports": out}
