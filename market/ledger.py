"""The stockpile ledger's rules: what each kind of entry does to stock, and the hash chain.

Balances and audit figures are always computed from entries; nothing here is stored beside them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any

GENESIS = "0" * 64

# Sign of each kind's effect on the yard's stock. A `correction` carries its own sign; a
# `utilisation` that names a delivery is the recycler's receipt and moves no stock (the dispatch
# already did); `p2o5_output` is a production record, not waste.
STOCK_SIGN = {
    "opening": 1,
    "generation": 1,
    "dispatch": -1,
    "utilisation": -1,
    "treatment": -1,
    "disposal": -1,
    "correction": 1,
    "p2o5_output": 0,
}
PRODUCER_KINDS = frozenset(STOCK_SIGN) - {"dispatch"}


def stock_effect(kind: str, tonnes: float, delivery_id: int | None) -> float:
    if kind == "utilisation" and delivery_id is not None:
        return 0.0
    return STOCK_SIGN[kind] * tonnes


@dataclass(frozen=True)
class Chained:
    """The columns of an entry its hash always covered, in the order `Content` takes them."""

    site_id: int
    seq: int
    kind: str
    material: str
    tonnes: float
    occurred_on: date
    document: str
    delivery_id: int | None
    recorded_by: int
    recorded_at: datetime
    prev_hash: str


CHAINED = tuple(f.name for f in fields(Chained))


@dataclass(frozen=True)
class Content(Chained):
    """What an entry's hash covers: everything but the database id and the hash itself."""

    evidence: tuple[tuple[int, str], ...] = ()
    """(document id, SHA-256) of each document behind the entry: a swapped file breaks the hash."""
    correction_id: int | None = None


def _instant(value: datetime) -> str:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="microseconds")


def digest(c: Content) -> str:
    payload = {
        "site": c.site_id,
        "seq": c.seq,
        "kind": c.kind,
        "material": c.material,
        "tonnes": f"{c.tonnes:.3f}",
        "on": c.occurred_on.isoformat(),
        "doc": c.document,
        "delivery": c.delivery_id,
        "by": c.recorded_by,
        "at": _instant(c.recorded_at),
        "prev": c.prev_hash,
    }
    # added later: entries without them hash as they always did
    if c.evidence:
        payload["evidence"] = [[doc_id, sha] for doc_id, sha in c.evidence]
    if c.correction_id is not None:
        payload["correction"] = c.correction_id
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    site_id: int
    seq: int | None
    entry_id: int | None
    problem: str

    def describe(self) -> str:
        where = f"site {self.site_id}"
        if self.seq is not None:
            where += f", entry #{self.seq}"
        if self.entry_id is not None:
            where += f" (id {self.entry_id})"
        return f"{where}: {self.problem}"


class EntryLike(Chained):
    """A stored entry as the chain's checks read it: the chained columns and what came later."""

    id: int | None
    hash: str
    evidence: list[dict[str, Any]]
    correction_id: int | None


def evidence_pairs(evidence: Iterable[Mapping[str, Any]] | None) -> tuple[tuple[int, str], ...]:
    return tuple((int(d["id"]), str(d["sha256"])) for d in evidence or ())


def content_of(e: EntryLike) -> Content:
    return Content(
        **{name: getattr(e, name) for name in CHAINED},
        evidence=evidence_pairs(getattr(e, "evidence", None)),
        correction_id=getattr(e, "correction_id", None),
    )


def verify_chain(
    site_id: int,
    entries: Sequence[EntryLike],
    head: tuple[int, str] | None,
) -> list[ChainBreak]:
    """Walk one site's entries in `seq` order; report every place the chain does not hold."""
    breaks: list[ChainBreak] = []
    prev = GENESIS
    expected_seq = 1
    for e in entries:
        if e.seq != expected_seq:
            missing = (
                f"#{expected_seq}" if e.seq == expected_seq + 1 else f"#{expected_seq}–#{e.seq - 1}"
            )
            breaks.append(ChainBreak(site_id, e.seq, e.id, f"entries {missing} are missing"))
        if e.prev_hash != prev:
            breaks.append(
                ChainBreak(site_id, e.seq, e.id, "prev_hash does not match the entry before it")
            )
        if digest(content_of(e)) != e.hash:
            breaks.append(
                ChainBreak(site_id, e.seq, e.id, "content does not match its hash (altered)")
            )
        elif e.tonnes != round(e.tonnes, 3):
            # the hash covers tonnes to the kilogram; finer digits were written behind its back
            breaks.append(
                ChainBreak(site_id, e.seq, e.id, "tonnes are finer than the hash covers (altered)")
            )
        prev = e.hash
        expected_seq = e.seq + 1
    last = (entries[-1].seq, entries[-1].id, entries[-1].hash) if entries else None
    breaks.extend(
        head_breaks(
            site_id,
            head,
            last,
            lambda seq: next(((e.seq, e.id) for e in entries if e.seq > seq), None),
        )
    )
    return breaks


def head_breaks(
    site_id: int,
    head: tuple[int, str] | None,
    last: tuple[int, int | None, str] | None,
    first_after_head: Callable[[int], tuple[int, int | None] | None],
) -> list[ChainBreak]:
    """The checks of a chain against its head record, from the chain's last (seq, id, hash);
    `first_after_head(seq)` finds the (seq, id) of the first entry after `seq`, if any."""
    if head is None:
        return (
            [ChainBreak(site_id, None, None, "the chain's head record is missing")] if last else []
        )
    head_seq, head_hash = head
    last_seq = last[0] if last else 0
    if head_seq > last_seq:
        return [
            ChainBreak(
                site_id,
                last_seq + 1,
                None,
                f"entries #{last_seq + 1}–#{head_seq} are missing (the chain's head "
                f"says #{head_seq})",
            )
        ]
    if head_seq == last_seq and last is not None and head_hash != last[2]:
        return [ChainBreak(site_id, last_seq, last[1], "last entry differs from the head")]
    if head_seq < last_seq:
        extra = first_after_head(head_seq)
        return [
            ChainBreak(
                site_id,
                extra[0] if extra else head_seq + 1,
                extra[1] if extra else None,
                f"entries after the head (#{head_seq}) were added outside the app",
            )
        ]
    return []


def balances(entries: Iterable[EntryLike]) -> dict[str, float]:
    out: dict[str, float] = {}
    for e in entries:
        effect = stock_effect(e.kind, e.tonnes, e.delivery_id)
        if e.kind != "p2o5_output":
            out[e.material] = round(out.get(e.material, 0.0) + effect, 3)
    return out
