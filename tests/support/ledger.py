"""Ledgers in tests: entries posted as a producer would, read back in order, and tampered with
behind the app's back (raw SQL), clumsily or as a forger who rehashes the chain."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy import text
from sqlmodel import col, select

from market import audit
from market.db import Database
from market.ledger import content_of, digest
from market.tables import LedgerEntry
from tests.support import builders as b

# The tamper tests' two yards: the first yard's January and February, and the second yard.
JANUARY = (
    ("opening", 1000, "2025-01-01"),
    ("generation", 200, "2025-01-31"),
    ("treatment", 50, "2025-01-31"),
)
FEBRUARY = (("generation", 210, "2025-02-28"), ("utilisation", 30, "2025-02-28"))
SECOND_YARD = (("opening", 500, "2025-01-01"), ("generation", 20, "2025-01-31"))


def post_all(db, who, site_id, rows) -> None:
    """`post` each (kind, tonnes, day) of `rows`, in order."""
    for kind, tonnes, on in rows:
        post(db, who, site_id, kind, tonnes, on)


def post(db, who, site_id, kind, tonnes, on, material="phosphogypsum"):
    """A ledger entry, unattested, whose document names its kind and day."""
    return b.entry(
        db, who, site_id, kind, tonnes, on, material, attest=False, document_text=f"{kind} {on}"
    )


def gypsum(kind, tonnes, occurred_on, document, **more):
    """A ledger entry of phosphogypsum as the form posts it; `more`: e.g. its evidence."""
    return {
        "kind": kind,
        "material": "phosphogypsum",
        "tonnes": tonnes,
        "occurred_on": occurred_on,
        "document": document,
        **more,
    }


def entries_of(db, site_id) -> list[LedgerEntry]:
    with db.read_session() as s:
        return list(
            s.exec(
                select(LedgerEntry)
                .where(LedgerEntry.site_id == site_id)
                .order_by(col(LedgerEntry.seq))
            ).all()
        )


def raw(db, sql: str, **params) -> None:
    with db.write_engine.begin() as conn:
        conn.execute(text(sql), params)


def rehash_from(db, site_id, seq, **changes):
    """Change entry #seq, then recompute its hash and every later one and move the head: a
    forger who can write to the database leaves a chain that holds."""
    entries = entries_of(db, site_id)
    prev = next((e.hash for e in entries if e.seq == seq - 1), "0" * 64)
    later = [e for e in entries if e.seq >= seq]
    rechain(db, site_id, later, prev, lambda e: changes if e.seq == seq else {})


def rechain(db, site_id, entries, prev: str, change: Callable[[LedgerEntry], dict]) -> None:
    """Write `entries` again in order, each with `change(entry)` and chained on `prev` with
    valid hashes, and move the site's head to the last of them (what a forger does)."""
    with db.write_engine.begin() as conn:
        for e in entries:
            content = replace(content_of(e), prev_hash=prev, **change(e))
            prev = digest(content)
            conn.execute(
                text(
                    "UPDATE ledger_entry SET seq = :seq, tonnes = :t, prev_hash = :p, hash = :h "
                    "WHERE id = :id"
                ),
                {
                    "seq": content.seq,
                    "t": content.tonnes,
                    "p": content.prev_hash,
                    "h": prev,
                    "id": e.id,
                },
            )
        conn.execute(
            text("UPDATE ledger_head SET seq = :seq, hash = :h WHERE site_id = :site"),
            {"seq": content.seq, "h": prev, "site": site_id},
        )


def sealed_yard(db: Database, key: Any) -> dict[str, Any]:
    """A yard with three approved months (January to March 2025), sealed with `key`, and an
    open April."""
    from market.services import reports

    producer = b.actor(db, "producer")
    regulator = b.regulator(db)
    yard = b.site(db, producer, b.ANNING).id
    b.entry(db, producer, yard, "opening", 100_000, "2025-01-01")
    for month, day in (("01", 31), ("02", 28), ("03", 31)):
        b.entry(db, producer, yard, "generation", 1_000 * int(month), f"2025-{month}-{day}")
        b.entry(db, producer, yard, "treatment", 100 * int(month), f"2025-{month}-{day}")
    for period in ("2025-01", "2025-02", "2025-03"):
        with db.unit_of_work() as uow:
            r = reports.submit(uow, producer, yard, {"period": period}, 10)
        with db.unit_of_work() as uow:
            reports.approve(uow, regulator, r.id, {}, key)
    b.entry(db, producer, yard, "generation", 4_000, "2025-04-30")
    return {"producer": producer, "regulator": regulator, "yard": yard}


def verified(db: Database, who: Any, seal_key: Any = None) -> dict[str, Any]:
    """The tamper check's answer for `who` (seals checked with `seal_key` when given)."""
    with db.read_session() as s:
        return audit.verify(s, who, seal_key=seal_key)
