"""One clock for the market: "today", "now" and months are China Standard Time wherever the
server runs, because reporting months, due days and deadlines are Yunnan's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """The current instant, aware, in China Standard Time."""
    return datetime.now(CHINA)


def today() -> date:
    return now().date()


def china_day(moment: datetime) -> date:
    """The calendar day in China of an instant (naive instants are taken as UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(CHINA).date()


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_bounds(period: str) -> tuple[date, date]:
    """First and last day of a `YYYY-MM` month."""
    year, month = int(period[:4]), int(period[5:7])
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def next_month(period: str) -> str:
    _, last = month_bounds(period)
    return month_of(last + timedelta(days=1))


def previous_month(period: str) -> str:
    first, _ = month_bounds(period)
    return month_of(first - timedelta(days=1))


def months_between(first: str, last: str) -> list[str]:
    """Every month from `first` to `last`, both included (empty when first > last)."""
    out = []
    m = first
    while m <= last:
        out.append(m)
        m = next_month(m)
    return out
