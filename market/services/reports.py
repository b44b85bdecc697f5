"""Reporting months (月报): a producer submits each ended month of a yard, a regulator approves
it (the month locks and is sealed) or returns it with a reason.

The states: `open` → `submitted` (producer, once the month has ended, in order) → `approved`
(regulator; locked, sealed) or `returned` (regulator, with a reason; the producer may post into it
again and resubmit). A month without a row is `open`. Every step is appended to `report_event`;
the `report` row holds only the latest state, which is what the locks read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from market import clock, fields
from market.auth import Actor
from market.db import UnitOfWork
from market.errors import (
    DateOutOfRange,
    InvalidInput,
    InvalidState,
    NotAllowed,
    NotFound,
    PeriodLocked,
    StockNegative,
)
from market.ledger import stock_effect
from market.notifications import notify
from market.seals import STATEMENT_KIND, SealKey
from market.services.common import OVERSEERS, get
from market.tables import (
    LedgerEntry,
    Organisation,
    Report,
    ReportEvent,
    Seal,
    Site,
    User,
    utcnow,
)

LOCKED = ("submitted", "approved")
SUBMIT_FIELDS = ("period",)
DECIDE_FIELDS = ("note",)
RETURN_FIELDS = ("reason",)


def parse_month(raw: object, field: str = "period") -> str:
    if not isinstance(raw, str) or len(raw) != 7 or raw[4] != "-":
        raise InvalidInput.about(field, raw, "is not a month written YYYY-MM")
    y, m = raw[:4], raw[5:]
    if not (y.isascii() and y.isdigit() and m.isascii() and m.isdigit()) or not 1 <= int(m) <= 12:
        raise InvalidInput.about(field, raw, "is not a month written YYYY-MM")
    if not 2000 <= int(y) <= 2100:
        raise InvalidInput.about(field, raw, "is not a month from 2000-01 to 2100-12")
    return raw


def due_on(period: str, due_day: int) -> date:
    _, last = clock.month_bounds(period)
    return (last + timedelta(days=1)).replace(day=due_day)


def report_row(session: Session, site_id: int, period: str) -> Report | None:
    return session.exec(
        select(Report).where(Report.site_id == site_id, Report.period == period)
    ).first()


def status_of(session: Session, site_id: int, period: str) -> str:
    row = report_row(session, site_id, period)
    return row.status if row else "open"


def check_open(session: Session, site_id: int, day: date, *, field: str) -> None:
    """Refuse a date in a submitted or approved month of the yard (409 `period_locked`)."""
    period = clock.month_of(day)
    row = report_row(session, site_id, period)
    if row is not None and row.status in LOCKED:
        raise PeriodLocked(
            f"{field}: {day.isoformat()} falls in {period}, which is {row.status} for site "
            f"{site_id}; only a correction approved by a regulator changes it",
            field=field,
            value=day.isoformat(),
        )


def first_day(session: Session, site_id: int, material: str | None = None) -> date | None:
    q = select(func.min(LedgerEntry.occurred_on)).where(LedgerEntry.site_id == site_id)
    if material is not None:
        q = q.where(LedgerEntry.material == material)
    return session.exec(q).one()


def first_reported_month(session: Session, site_id: int) -> str | None:
    return session.exec(select(func.min(Report.period)).where(Report.site_id == site_id)).one()


def check_stock(
    session: Session,
    site_id: int,
    material: str,
    day: date,
    effect: float,
    *,
    field: str = "tonnes",
    shown: float | None = None,
) -> None:
    """Refuse an entry that would take the yard's stock of `material` below zero on its date or
    on any later date (422 `stock_negative`, with the amount and the first such date)."""
    if effect >= 0:
        return
    rows = session.exec(
        select(
            col(LedgerEntry.occurred_on),
            col(LedgerEntry.kind),
            col(LedgerEntry.tonnes),
            col(LedgerEntry.delivery_id),
        )
        .where(LedgerEntry.site_id == site_id, LedgerEntry.material == material)
        .order_by(col(LedgerEntry.occurred_on))
    ).all()
    by_day: dict[date, float] = {}
    for on, kind, tonnes, delivery_id in rows:
        by_day[on] = by_day.get(on, 0.0) + stock_effect(kind, tonnes, delivery_id)
    stock = 0.0
    days = sorted(by_day)
    balance: list[tuple[date, float]] = []
    for d in days:
        stock += by_day[d]
        balance.append((d, stock))
    before = [s for d, s in balance if d <= day]
    checks = [(day, before[-1] if before else 0.0)] + [(d, s) for d, s in balance if d > day]
    for d, s in checks:
        after = round(s + effect, 3)
        if after < 0:
            amount = abs(effect) if shown is None else shown
            raise StockNegative(
                f"{field}: {amount:g} t would leave the stock of {material} at site {site_id} "
                f"at {after:g} t on {d.isoformat()}; stock cannot go below zero",
                field=field,
                value=amount,
            )


def check_date(
    session: Session,
    site_id: int,
    material: str,
    day: date,
    *,
    field: str,
    opening: bool = False,
) -> None:
    """Dates not after today (China), not before the yard's first entry of the material (an
    opening survey may be earlier), never before the first month the yard has reported, and
    never in a locked month."""
    today = clock.today()
    if day > today:
        raise DateOutOfRange(
            f"{field}: {day.isoformat()} is after today ({today.isoformat()}, China time)",
            field=field,
            value=day.isoformat(),
        )
    first_month = first_reported_month(session, site_id)
    if first_month is not None and clock.month_of(day) < first_month:
        raise DateOutOfRange(
            f"{field}: {day.isoformat()} is before {first_month}, the first month site "
            f"{site_id} has reported",
            field=field,
            value=day.isoformat(),
        )
    if not opening:
        first = first_day(session, site_id, material)
        if first is not None and day < first:
            raise DateOutOfRange(
                f"{field}: {day.isoformat()} is before {first.isoformat()}, the first entry of "
                f"{material} at site {site_id}",
                field=field,
                value=day.isoformat(),
            )
    check_open(session, site_id, day, field=field)


# ----------------------------------------------------------------------------- listing


def yard_months(session: Session, site: Site, today: date) -> list[str]:
    """The yard's months, from its first entry's to this month."""
    assert site.id is not None
    first = first_day(session, site.id)
    reported = first_reported_month(session, site.id)
    starts = [m for m in (clock.month_of(first) if first else None, reported) if m]
    if not starts:
        return []
    return clock.months_between(min(starts), clock.month_of(today))


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
        raise NotFound(f"site_id: {site_id} does not exist", field="site_id", value=site_id)
    if site.kind != "yard":
        raise NotAllowed(
            f"site_id: {site_id} is a plant; reports are kept for yards",
            field="site_id",
            value=site_id,
        )
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


# ----------------------------------------------------------------------------- transitions


def _event(uow: UnitOfWork, report: Report, action: str, actor: Actor, note: str = "") -> None:
    assert report.id is not None
    uow.session.add(ReportEvent(report_id=report.id, action=action, by=actor.user_id, note=note))


def submit(
    uow: UnitOfWork, actor: Actor, site_id: int, data: Mapping[str, Any], due_day: int
) -> Report:
    """The producer submits an ended month; earlier months must be submitted first."""
    actor.require("producer")
    site = get(uow.session, Site, site_id, what="site_id", lock=True)
    if site.organisation_id != actor.organisation_id:
        raise NotFound(f"site_id: {site_id} does not exist", field="site_id", value=site_id)
    if site.kind != "yard":
        raise NotAllowed(
            f"site_id: {site_id} is a plant; reports are kept for yards",
            field="site_id",
            value=site_id,
        )
    fields.reject_unknown(data, SUBMIT_FIELDS)
    period = parse_month(data.get("period"))
    today = clock.today()
    if clock.month_bounds(period)[1] >= today:
        raise InvalidState(
            f"period: {period} has not ended yet (today is {today.isoformat()}, China time); "
            "a month is submitted once it has ended",
            field="period",
            value=period,
        )
    months = yard_months(uow.session, site, today)
    if not months or period < months[0]:
        first = months[0] if months else None
        raise InvalidInput.about(
            "period",
            period,
            f"is before the yard's first month ({first})"
            if first
            else "cannot be submitted: the yard has no ledger entries yet",
        )
    rows = {
        r.period: r for r in uow.session.exec(select(Report).where(Report.site_id == site_id)).all()
    }
    for earlier in clock.months_between(months[0], clock.previous_month(period)):
        state = rows[earlier].status if earlier in rows else "open"
        if state not in LOCKED:
            raise InvalidState(
                f"period: {earlier} is {state}; months are submitted in order, so submit "
                f"{earlier} before {period}",
                field="period",
                value=period,
            )
    report = rows.get(period)
    if report is not None and report.status in LOCKED:
        raise InvalidState(
            f"period: {period} is already {report.status}", field="period", value=period
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
            f"report: {report_id} ({report.period}) is {report.status}, not submitted",
            field="report",
            value=report_id,
        )
    return report


def approve(
    uow: UnitOfWork, actor: Actor, report_id: int, data: Mapping[str, Any], key: SealKey
) -> Report:
    report = _report_for_decision(uow, actor, report_id)
    fields.reject_unknown(data, DECIDE_FIELDS)
    note = fields.text(data, "note", max_length=1000)
    report.status = "approved"
    report.approved_at = utcnow()
    report.approved_by = actor.user_id
    report.note = note
    uow.session.add(report)
    uow.flush()
    _event(uow, report, "approved", actor, note)
    seal(uow, report, actor, key, reason="approved")
    _tell_producer(uow, report, "report_approved")
    uow.commit()
    return report


def return_report(uow: UnitOfWork, actor: Actor, report_id: int, data: Mapping[str, Any]) -> Report:
    report = _report_for_decision(uow, actor, report_id)
    fields.reject_unknown(data, RETURN_FIELDS)
    reason = fields.text(data, "reason", required=True, max_length=1000)
    report.status = "returned"
    report.note = reason
    uow.session.add(report)
    uow.flush()
    _event(uow, report, "returned", actor, reason)
    _tell_producer(uow, report, "report_returned", reason=reason)
    uow.commit()
    return report


def _tell_producer(uow: UnitOfWork, report: Report, kind: str, **params: Any) -> None:
    site = get(uow.session, Site, report.site_id, what="site_id")
    notify(
        uow,
        kind,
        url=f"/yards/{site.id}/reports",
        orgs=[site.organisation_id],
        site=site.name,
        period=report.period,
        **params,
    )


# ----------------------------------------------------------------------------- seals


def totals_key(kind: str, delivery_id: int | None, attestation: str) -> str:
    key = kind
    if delivery_id is not None and kind == "utilisation":
        key += ":receipt"
    if attestation != "not_required":
        key += f":{attestation}"
    return key


SEALED_NAMES = (
    "seq",
    "kind",
    "material",
    "tonnes",
    "occurred_on",
    "document",
    "delivery_id",
    "evidence",
    "correction_id",
    "attestation",
)
"""What a seal covers of each entry of its month, in the order `month_figures` reads."""


def sealed_columns() -> list[Any]:
    return [col(getattr(LedgerEntry, name)) for name in SEALED_NAMES]


def month_rows(session: Session, site_id: int, period: str) -> list[Any]:
    first, last = clock.month_bounds(period)
    return list(
        session.exec(
            select(*sealed_columns())
            .where(
                LedgerEntry.site_id == site_id,
                col(LedgerEntry.occurred_on) >= first,
                col(LedgerEntry.occurred_on) <= last,
            )
            .order_by(col(LedgerEntry.seq))
        ).all()
    )


def month_last(session: Session, site_id: int, period: str) -> dict[str, Any] | None:
    """The month's last entry in the chain: its hash covers every entry up to it, so a rewrite
    of this month or an earlier one changes it, and one of a later month does not."""
    first, last = clock.month_bounds(period)
    row = session.exec(
        select(col(LedgerEntry.seq), col(LedgerEntry.hash))
        .where(
            LedgerEntry.site_id == site_id,
            col(LedgerEntry.occurred_on) >= first,
            col(LedgerEntry.occurred_on) <= last,
        )
        .order_by(col(LedgerEntry.seq).desc())
        .limit(1)
    ).first()
    return {"seq": row[0], "hash": row[1]} if row else None


def month_figures(rows: Iterable[Any]) -> dict[str, Any]:
    """What a seal states of a month's entries: totals by material and kind, how many, and a
    digest of their content (not of their hashes, which a rewrite of an earlier month changes)."""
    totals: dict[str, dict[str, float]] = {}
    content = []
    n = 0
    for seq, kind, material, tonnes, on, document, delivery_id, evidence, corr, att in rows:
        n += 1
        key = totals_key(kind, delivery_id, att)
        by_kind = totals.setdefault(material, {})
        by_kind[key] = by_kind.get(key, 0.0) + tonnes
        content.append(
            [
                seq,
                kind,
                material,
                f"{tonnes:.3f}",
                str(on),
                document,
                delivery_id,
                [[d["id"], d["sha256"]] for d in evidence or []],
                corr,
                att,
            ]
        )
    text = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return {
        "entries": n,
        "totals": {
            m: {k: f"{t:.3f}" for k, t in sorted(kinds.items())}
            for m, kinds in sorted(totals.items())
        },
        "content_sha256": hashlib.sha256(text.encode()).hexdigest(),
    }


def seal(uow: UnitOfWork, report: Report, actor: Actor, key: SealKey, *, reason: str) -> Seal:
    """Sign the month as it stands now; a restatement adds the next version."""
    from market.tables import LedgerHead

    session = uow.session
    site = get(session, Site, report.site_id, what="site_id")
    org = session.get(Organisation, site.organisation_id)
    head = session.get(LedgerHead, report.site_id)
    version = (
        session.exec(
            select(func.max(Seal.version)).where(
                Seal.site_id == report.site_id, Seal.period == report.period
            )
        ).one()
        or 0
    ) + 1
    approver = session.get(User, report.approved_by) if report.approved_by else None
    statement = {
        "kind": STATEMENT_KIND,
        "site_id": report.site_id,
        "site": site.name,
        "organisation_id": site.organisation_id,
        "organisation": org.name if org else None,
        "period": report.period,
        "version": version,
        "reason": reason,
        "head": {"seq": head.seq, "hash": head.hash} if head else None,
        "month_last": month_last(session, report.site_id, report.period),
        **month_figures(month_rows(session, report.site_id, report.period)),
        "approved_by": approver.username if approver else None,
        "approved_at": report.approved_at.isoformat() if report.approved_at else None,
        "sealed_by": actor.username,
        "sealed_at": utcnow().isoformat(),
        "key_id": key.key_id,
    }
    text, signature = key.sign(statement)
    assert report.id is not None
    row = Seal(
        report_id=report.id,
        site_id=report.site_id,
        period=report.period,
        version=version,
        statement=text,
        signature=signature,
        key_id=key.key_id,
    )
    session.add(row)
    uow.flush()
    return row


def reseal_if_approved(
    uow: UnitOfWork, site_id: int, period: str, actor: Actor, key: SealKey, *, reason: str
) -> None:
    report = report_row(uow.session, site_id, period)
    if report is not None and report.status == "approved":
        _event(uow, report, "restated", actor, reason)
        seal(uow, report, actor, key, reason=reason)


def seal_export(session: Session, actor: Actor, report_id: int) -> dict[str, Any]:
    report = get(session, Report, report_id, what="report")
    readable_yard(session, actor, report.site_id)
    row = session.exec(
        select(Seal).where(Seal.report_id == report_id).order_by(col(Seal.version).desc())
    ).first()
    if row is None:
        raise NotFound(f"report: {report_id} has no seal (it is {report.status})", field="report")
    return {
        "report_id": report_id,
        "site_id": row.site_id,
        "period": row.period,
        "version": row.version,
        "key_id": row.key_id,
        "statement": row.statement,
        "signature": row.signature,
        "created_at": row.created_at.isoformat(),
    }


# ----------------------------------------------------------------------------- queues


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
