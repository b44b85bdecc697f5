"""The to-do (待办): what waits on a user now, as pure rules over facts read from the database.

`market.todo_query` reads the facts (counts, disputed deliveries with their proposals, each
yard's months) in a handful of queries; the rules here decide what each means for whom, so they
are tested without a database. Nothing is stored: the to-do is always today's state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from market import clock

EXPIRY_DAYS = 14
"""Offers and lots ending within this many days (today included) show as expiring."""

# every kind, in the order the to-do lists them; (English title, the list page)
KINDS: dict[str, tuple[str, str]] = {
    "bid_to_decide": ("Bids to decide", "/bids"),
    "receipt_to_confirm": ("Receipts to confirm", "/receipts"),
    "settlement_to_answer": ("Disputed deliveries to settle", "/contracts"),
    "dispatch_due": ("Contracts with tonnes still to dispatch", "/contracts"),
    "report_returned": ("Monthly reports returned to you", "/reports"),
    "report_due": ("Monthly reports to submit", "/reports"),
    "report_to_review": ("Monthly reports to review", "/review/reports"),
    "correction_to_review": ("Corrections to review", "/review/corrections"),
    "attestation_to_review": ("Own-use claims to attest", "/review/claims"),
    "offer_expiring": ("Offers ending soon", "/offers"),
    "lot_expiring": ("Lots ending soon", "/my/lots"),
}

ROLE_KINDS: dict[str, tuple[str, ...]] = {
    "producer": (
        "bid_to_decide",
        "settlement_to_answer",
        "dispatch_due",
        "report_returned",
        "report_due",
        "lot_expiring",
    ),
    "recycler": ("receipt_to_confirm", "settlement_to_answer", "offer_expiring"),
    "regulator": ("report_to_review", "correction_to_review", "attestation_to_review"),
    "evaluator": ("attestation_to_review",),
    "operator": (),
}


@dataclass(frozen=True)
class Fact:
    """How many things of a kind wait, and a page narrower than the kind's list when they are
    all on one (the only bid's contract, the one yard's months)."""

    count: int
    single_url: str | None = None


def items(role: str, facts: Mapping[str, Fact]) -> list[dict[str, object]]:
    """The to-do of a role: the kinds it has, in order, those with something waiting; each
    links to the narrowest page that holds all of it."""
    out: list[dict[str, object]] = []
    for kind in ROLE_KINDS.get(role, ()):
        fact = facts.get(kind)
        if fact is None or fact.count <= 0:
            continue
        title, url = KINDS[kind]
        if fact.single_url:
            url = fact.single_url
        out.append({"kind": kind, "count": fact.count, "url": url, "title": title})
    return out


def total(todo: Iterable[Mapping[str, object]]) -> int:
    return sum(int(str(i["count"])) for i in todo)


# ----------------------------------------------------------------------------- rules


def settlement_waits_on(side: str, proposals: Sequence[str]) -> bool:
    """Whether a disputed delivery waits on `side` (`producer` or `recycler`), given the sides
    of its settlement proposals, oldest first. The recycler disputed it by weighing less: the
    first answer is the producer's; after that, whoever did not propose last answers."""
    last = next((p for p in reversed(proposals) if p in ("producer", "recycler")), None)
    if last is None:
        return side == "producer"
    return last != side


def months_to_submit(
    first_month: str | None,
    states: Mapping[str, str],
    today: date,
) -> list[str]:
    """The yard's ended months still to submit: from its first month to last month, those not
    submitted, approved or returned (a returned month is its own kind of to-do)."""
    if first_month is None:
        return []
    last_ended = clock.previous_month(clock.month_of(today))
    return [
        m for m in clock.months_between(first_month, last_ended) if states.get(m, "open") == "open"
    ]


EPS = 1e-6  # tonnes below this are rounding, not tonnes left


def expiring(end: date | None, today: date, days: int = EXPIRY_DAYS) -> bool:
    """Ends within `days` from today (today included), and has not ended yet."""
    return end is not None and today <= end < today + timedelta(days=days)


def remaining(tonnes: float, dispatched: float, eps: float = EPS) -> bool:
    """A contract with tonnes still to dispatch."""
    return tonnes - dispatched > eps
