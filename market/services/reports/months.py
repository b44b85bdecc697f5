"""A reporting month: its name, due day, stored state and the yard's span of months."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, func, select

from market import clock
from market.errors import InvalidInput, NotAllowed
from market.tables import LedgerEntry, Report, Site

LOCKED = ("submitted", "approved")


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


def require_yard(site: Site, site_id: int) -> None:
    """Refuse a plant where a yard's reports are asked for: reports are kept for yards only."""
    if site.kind != "yard":
        raise NotAllowed(
            "site_id: {value} is a plant; reports are kept for yards",
            field="site_id",
            value=site_id,
        )


def first_day(session: Session, site_id: int, material: str | None = None) -> date | None:
    q = select(func.min(LedgerEntry.occurred_on)).where(LedgerEntry.site_id == site_id)
    if material is not None:
        q = q.where(LedgerEntry.material == material)
    return session.exec(q).one()


def first_reported_month(session: Session, site_id: int) -> str | None:
    return session.exec(select(func.min(Report.period)).where(Report.site_id == site_id)).one()


def yard_months(session: Session, site: Site, today: date) -> list[str]:
    """The yard's months, from its first entry's to this month."""
    assert site.id is not None
    first = first_day(session, site.id)
    reported = first_reported_month(session, site.id)
    starts = [m for m in (clock.month_of(first) if first else None, reported) if m]
    if not starts:
        return []
    return clock.months_between(min(starts), clock.month_of(today))
