"""Domain errors. Each names the rule it guards and carries the offending field and value.

`web/` maps the classes to HTTP statuses in one place; the CLI prints `message` and exits 2.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, value: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.value = value

    @classmethod
    def about(cls, field: str, value: Any, problem: str) -> DomainError:
        """`tonnes: -5 is negative`: the field, the value as given, what is wrong with it."""
        return cls(f"{field}: {_show(value)} {problem}", field=field, value=value)


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


class InvalidInput(DomainError):
    code = "invalid"


class NotFound(DomainError):
    code = "not_found"


class NotAllowed(DomainError):
    code = "forbidden"


class NotAuthenticated(DomainError):
    code = "unauthenticated"


class Conflict(DomainError):
    code = "conflict"


class LotOverReserved(Conflict):
    code = "lot_over_reserved"


class OfferOverReserved(Conflict):
    code = "offer_over_reserved"


class DuplicateManifest(Conflict):
    code = "duplicate_manifest"


class InvalidState(Conflict):
    code = "invalid_state"


class TooManyAttempts(DomainError):
    code = "too_many_attempts"


class PeriodLocked(Conflict):
    """A date falls in a reporting month that is submitted or approved."""

    code = "period_locked"


class StockNegative(InvalidInput):
    code = "stock_negative"


class DateOutOfRange(InvalidInput):
    code = "date_out_of_range"


class EvidenceRequired(InvalidInput):
    code = "evidence_required"
