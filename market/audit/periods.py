"""Audit periods: a year, a quarter or a month, parsed from what a person types."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from market.errors import InvalidInput

# ----------------------------------------------------------------------------- periods

_PERIOD = re.compile(r"((?:19|20|21)[0-9]{2})(?:-Q([1-4])|-(0[1-9]|1[0-2]))?", re.ASCII)


@dataclass(frozen=True, order=True)
class Period:
    """A calendar year, quarter or month; `end` is the last day, inclusive."""

    start: date
    end: date
    kind: str

    @classmethod
    def year_of(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31), "year")

    @classmethod
    def quarter_of(cls, year: int, quarter: int) -> Period:
        start = date(year, 3 * quarter - 2, 1)
        return cls(start, _month_end(year, 3 * quarter), "quarter")

    @classmethod
    def month_of(cls, year: int, month: int) -> Period:
        return cls(date(year, month, 1), _month_end(year, month), "month")

    @property
    def year(self) -> int:
        return self.start.year

    @property
    def label(self) -> str:
        if self.kind == "year":
            return f"{self.year}"
        if self.kind == "quarter":
            return f"{self.year}-Q{(self.start.month + 2) // 3}"
        return f"{self.year}-{self.start.month:02d}"

    def previous(self) -> Period:
        before = self.start - timedelta(days=1)
        if self.kind == "year":
            return Period.year_of(before.year)
        if self.kind == "quarter":
            return Period.quarter_of(before.year, (before.month + 2) // 3)
        return Period.month_of(before.year, before.month)

    def __str__(self) -> str:
        return self.label


def _month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def parse_period(raw: object, *, field: str = "period") -> Period:
    """`2025`, `2025-Q2` or `2025-05`, exactly; anything else names the field and the value."""
    match = _PERIOD.fullmatch(raw) if isinstance(raw, str) else None
    if match is None:
        raise InvalidInput.about(
            field, raw, "is not a period: a year (2025), quarter (2025-Q2) or month (2025-05)"
        )
    year = int(match[1])
    if match[2]:
        return Period.quarter_of(year, int(match[2]))
    if match[3]:
        return Period.month_of(year, int(match[3]))
    return Period.year_of(year)


def containing(day: date, kind: str) -> Period:
    if kind == "year":
        return Period.year_of(day.year)
    if kind == "quarter":
        return Period.quarter_of(day.year, (day.month + 2) // 3)
    return Period.month_of(day.year, day.month)
