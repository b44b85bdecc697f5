"""What the demo's loaders share: the report of what was created and the months of history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass
class SeedReport:
    created: bool
    organisations: int = 0
    sites: int = 0
    lots: int = 0
    offers: int = 0
    ledger_entries: int = 0
    deliveries: int = 0


def month_starts(end: date, months: int) -> list[date]:
    first = date(end.year, end.month, 1)
    out = []
    for _ in range(months):
        out.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(out))


def month_end(start: date) -> date:
    nxt = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return nxt - timedelta(days=1)
