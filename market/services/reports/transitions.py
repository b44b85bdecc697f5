"""The steps of a month: the producer submits, a regulator approves (and seals) or returns it;
a restatement of an approved month reseals it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import select

from market import clock, fields, schemas
from market.auth import Actor
from market.db import UnitOfWork
from market.errors import InvalidInput, InvalidState
from market.notifications import notify
from market.schemas import bodies
from market.seals import SealKey
from market.services.common import get, mine
from market.services.reports.months import (
    LOCKED,
    due_on,
    parse_month,
    report_row,
    require_yard,
    yard_months,
)
from market.services.reports.sealing import seal
from market.tables import Report, ReportEvent, Site, utcnow

SUBMIT_FIELDS = schemas.names(bodies.ReportSubmit)
DECIDE_FIELDS = schemas.names(bodies.ReportApprove)
RETURN_FIELDS = schemas.names(bodies.ReportReturn)


def _event(uow: UnitOfWork, report: Report, action: str, actor: Actor, note: str = "") -> None:
    assert report.id is not None
    uow.session.add(ReportEvent(report_id=report.id, action=action, by=actor.user_id, note=note))


def submit(
    uow: UnitOfWork, actor: Actor, site_id: int, data: Mapping[str, Any], due_day: int
) -> Report:
    """The producer submits an ended month; earlier months must be submitted first."""
    actor.require("producer")
    site = mine(uow.session, actor, site_id, lock=True)
    require_yard(site, site_id)
    fields.reject_unknown(data, SUBMIT_FIELDS)
    period = parse_month(data.get("period"))
    today = clock.today()
    if clock.month_bounds(period)[1] >= today:
        raise InvalidState(
            "period: {value} has not ended yet (today is {today}, "
            "China time); a month is submitted once it has ended",
            field="period",
            value=period,
            today=today.isoformat(),
        )
    months = yard_months(uow.session, site, today)
    if not months or period < months[0]:
        first = months[0] if months else None
        if first:
            raise InvalidInput.about(
                "period", period, "is before the yard's first month ({first})", first=first
            )
        raise InvalidInput.about(
            "period", period, "cannot be submitted: the yard has no ledger entries yet"
        )
    rows = {
        r.period: r for r in uow.session.exec(select(Report).where(Report.site_id == site_id)).all()
    }
    for earlier in clock.months_between(months[0], clock.previous_month(period)):
        state = rows[earlier].status if earlier in rows else "open"
        if state not in LOCKED:
            raise InvalidState(
                "period: {earlier} is {state}; months are submitted in "
                "order, so submit {earlier} before {value}",
                field="period",
                value=period,
                earlier=earlier,
                state=state,
            )
    report = rows.get(period)
    if report is not None and report.status in LOCKED:
        raise InvalidState(
            "period: {value} is already {report_state}",
            field="period",
            value=period,
            report_state=report.status,
        )
    if report is None:
        report = Report(site_id=site_id, period=period, due_on=due_on(period, due_day))
    resubmitted = report.status == "returned"
    report.status = "submitted"
    report.submitted_at = utcnow()
    report.submitted_by = actor.user_id
    uow.session.add(report)
    uow.flush()
    _event(uow, report, "resubmitted" if resubmitted else "submitted", actor)
    notify(
        uow,
        "report_submitted",
        url=f"/review/reports/{report.id}",
        roles=["regulator"],
        site=site.name,
        period=period,
    )
    uow.commit()
    return report


def _report_for_decision(uow: UnitOfWork, actor: Actor, report_id: int) -> Report:
    actor.require("regulator")
    report = get(uow.session, Report, report_id, what="report", lock=True)
    get(uow.session, Site, report.site_id, what="site_id", lock=True)
    if report.status != "submitted":
        raise InvalidState(
            "report: {value} ({report_period}) is {report_state}, not submitted",
            field="report",
            value=report_id,
            report_period=report.period,
            report_state=report.status,
        )
    return report


def approve(
    uow: UnitOfWork, actor: Actor, report_id: int, data: Mapping[str, Any], key: SealKey
) -> Report:
    report = _report_for_decision(uow, actor, report_id)
    note = schemas.parse(bodies.ReportApprove, data)["note"]
    report.status = "approved"
    report.approved_at = utcnow()
    report.approved_by = actor.user_id
    report.note = note
    uow.session.add(report)
    uow.flush()
    _event(uow, report, "approved", actor, note)
    seal(uow, report, actor, key, reason="approved")
    tell_yard(uow, report.site_id, "report_approved", report.period)
    uow.commit()
    return report


def return_report(uow: UnitOfWork, actor: Actor, report_id: int, data: Mapping[str, Any]) -> Report:
    report = _report_for_decision(uow, actor, report_id)
    reason = schemas.parse(bodies.ReportReturn, data)["reason"]
    report.status = "returned"
    report.note = reason
    uow.session.add(report)
    uow.flush()
    _event(uow, report, "returned", actor, reason)
    tell_yard(uow, report.site_id, "report_returned", report.period, reason=reason)
    uow.commit()
    return report


def tell_yard(uow: UnitOfWork, site_id: int, kind: str, period: str, **params: Any) -> None:
    """Tell the yard's producer what became of one of its months (a report, a correction)."""
    site = get(uow.session, Site, site_id, what="site_id")
    notify(
        uow,
        kind,
        url=f"/yards/{site.id}/reports",
        orgs=[site.organisation_id],
        site=site.name,
        period=period,
        **params,
    )


def reseal_if_approved(
    uow: UnitOfWork, site_id: int, period: str, actor: Actor, key: SealKey, *, reason: str
) -> None:
    report = report_row(uow.session, site_id, period)
    if report is not None and report.status == "approved":
        _event(uow, report, "restated", actor, reason)
        seal(uow, report, actor, key, reason=reason)
