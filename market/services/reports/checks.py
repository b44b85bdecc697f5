"""What every writer of the ledger checks before an entry: the month is open, the date is in
range and the stock stays at or above zero."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from market import clock
from market.errors import DateOutOfRange, PeriodLocked, StockNegative
from market.ledger import stock_effect
from market.services.reports.months import LOCKED, first_day, first_reported_month, report_row
from market.tables import LedgerEntry


def check_open(session: Session, site_id: int, day: date, *, field: str) -> None:
    """Refuse a date in a submitted or approved month of the yard (409 `period_locked`)."""
    period = clock.month_of(day)
    row = report_row(session, site_id, period)
    if row is not None and row.status in LOCKED:
        raise PeriodLocked(
            "{field}: {value} falls in {period}, which is "
            "{row_state} for site {site_id}; only a correction "
            "approved by a regulator changes it",
            field=field,
            value=day.isoformat(),
            period=period,
            row_state=row.status,
            site_id=site_id,
        )


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
                "{field}: {value:g} t would leave the stock of "
                "{material} at site {site_id} at {after:g} t on {d}; "
                "stock cannot go below zero",
                field=field,
                value=amount,
                material=material,
                site_id=site_id,
                after=after,
                d=d.isoformat(),
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
            "{field}: {value} is after today ({today}, China time)",
            field=field,
            value=day.isoformat(),
            today=today.isoformat(),
        )
    first_month = first_reported_month(session, site_id)
    if first_month is not None and clock.month_of(day) < first_month:
        raise DateOutOfRange(
            "{field}: {value} is before {first_month}, the first month site {site_id} has reported",
            field=field,
            value=day.isoformat(),
            first_month=first_month,
            site_id=site_id,
        )
    if not opening:
        first = first_day(session, site_id, material)
        if first is not None and day < first:
            raise DateOutOfRange(
                "{field}: {value} is before {first}, the first entry of "
                "{material} at site {site_id}",
                field=field,
                value=day.isoformat(),
                first=first.isoformat(),
                material=material,
                site_id=site_id,
            )
    check_open(session, site_id, day, field=field)
