"""Checkpoints: heads of an earlier verify kept outside the database, compared later."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import tuple_
from sqlmodel import Session, col, func, select

from market.audit.scope import require_overseer
from market.audit.verify import heads_fingerprint, verify
from market.auth import Actor
from market.errors import N_, InvalidInput
from market.services.common import MAX_ID
from market.tables import (
    LedgerEntry,
    Site,
)

# ----------------------------------------------------------------------------- checkpoints
#
# The heads are not signed, so someone who can write to the database can rewrite a chain and its
# head consistently, or cut a chain short and put back an older head, and `verify` still passes.
# A checkpoint is the `heads` of an earlier verify answer kept outside the database: since every
# entry's hash covers the one before it, entry #seq still having the checkpoint's hash means
# nothing up to #seq changed since.

MAX_CHECKPOINT_HEADS = 100_000
PROBLEMS = ("rewritten", "truncated", "site_missing")
CHECKPOINT_STATUSES = ("unchanged", "extended", *PROBLEMS, "new")
# a whole verify answer may be handed in: its other keys are ignored, anything else is refused
VERIFY_ANSWER_KEYS = frozenset(
    {
        "ok",
        "sites_checked",
        "entries_checked",
        "breaks",
        "organisation_id",
        "heads_fingerprint",
        "seals_checked",
        "months_sealed",
    }
)
_HEAD_KEYS = ("site_id", "seq", "hash")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}", re.ASCII)
_PAIRS_PER_QUERY = 500


@dataclass(frozen=True)
class Head:
    site_id: int
    seq: int
    hash: str


def _refuse(path: str, value: object, problem: str, **params: object) -> InvalidInput:
    """`heads[3].hash: 'zz' is not 64 hex digits`; arrays and objects are named, not shown."""
    if isinstance(value, list | dict):
        params["shown"] = N_("an array") if isinstance(value, list) else N_("an object")
        value = None
    elif isinstance(value, bool) or value is None:
        params["shown"] = "true" if value is True else "false" if value is False else "null"
    refusal = InvalidInput.about(path, value, problem, **params)
    assert isinstance(refusal, InvalidInput)
    return refusal


def _key(name: object) -> str:
    text = str(name)
    return text if text.isidentifier() and len(text) <= 40 else repr(text[:40])


def _whole(item: Mapping[str, Any], key: str, path: str, lowest: int, what: str) -> int:
    if key not in item:
        raise InvalidInput("{field}: is required", field=f"{path}.{key}")
    value = item[key]
    if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= MAX_ID:
        raise _refuse(
            f"{path}.{key}",
            value,
            "is not {what} (a whole number from {lowest})",
            what=what,
            lowest=lowest,
        )
    return value


def parse_checkpoint(raw: object) -> list[Head]:
    """The `heads` of an earlier verify answer, or the whole answer. Strict: a checkpoint misread
    without a word would hide exactly what it is kept to show."""
    if isinstance(raw, Mapping):
        for key in raw:
            if key != "heads" and key not in VERIFY_ANSWER_KEYS:
                raise InvalidInput(
                    "{key}: is not a key of a verify answer (the checkpoint is its heads)",
                    field=str(key),
                    key=_key(key),
                )
        if "heads" not in raw:
            raise InvalidInput(
                "heads: is required: the heads of an earlier verify answer", field="heads"
            )
        raw = raw["heads"]
    if not isinstance(raw, list):
        raise _refuse("heads", raw, "is not a list of heads")
    if len(raw) > MAX_CHECKPOINT_HEADS:
        raise InvalidInput(
            "heads: {n:,} heads, at most {most:,} are compared at once",
            field="heads",
            n=len(raw),
            most=MAX_CHECKPOINT_HEADS,
        )
    heads: list[Head] = []
    where: dict[int, int] = {}
    for i, item in enumerate(raw):
        path = f"heads[{i}]"
        if not isinstance(item, Mapping):
            raise _refuse(path, item, "is not a head {{site_id, seq, hash}}")
        for key in item:
            if key not in _HEAD_KEYS and key != "site":
                raise InvalidInput(
                    "{head}.{key}: is not a field of a head (site_id, seq, hash)",
                    field=f"{path}.{key}",
                    head=path,
                    key=_key(key),
                )
        site_id = _whole(item, "site_id", path, 1, "a site id")
        seq = _whole(item, "seq", path, 0, "an entry number")
        if "hash" not in item:
            raise InvalidInput("{field}: is required", field=f"{path}.hash")
        digest = item["hash"]
        if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
            raise _refuse(f"{path}.hash", digest, "is not 64 hex digits")
        if site_id in where:
            raise _refuse(
                f"{path}.site_id",
                site_id,
                "appears twice (also heads[{first}])",
                first=where[site_id],
            )
        where[site_id] = i
        heads.append(Head(site_id, seq, digest.lower()))
    return heads


@dataclass(frozen=True)
class Now:
    """What the ledger holds for one site today: its head record and its highest entry."""

    head: tuple[int, str] | None
    last_seq: int | None

    @property
    def seq(self) -> int:
        if self.head is not None:
            return self.head[0]
        return self.last_seq or 0


def compare_head(then: Head, now: Now, hash_at_seq: str | None) -> tuple[str, str]:
    """Pure: one site's status against its checkpoint head, and a sentence saying why.
    `hash_at_seq` is today's hash of entry #then.seq (None when that entry is gone)."""
    last = now.last_seq or 0
    if then.seq == 0:
        # the chain was empty at the checkpoint: whatever is there now was appended
        if now.seq == 0:
            return "unchanged", "empty at the checkpoint and now"
        return "extended", f"empty at the checkpoint; entries #1–#{now.seq} were appended"
    if now.head is None and now.last_seq is None:
        return "site_missing", (
            f"the checkpoint has entry #{then.seq}; no entry and no head remain for this site"
        )
    if hash_at_seq is None:
        if last < then.seq:
            return "truncated", f"entry #{then.seq} is gone: the chain now ends at #{last}"
        return "truncated", f"entry #{then.seq} is gone (the chain goes on to #{last})"
    if hash_at_seq != then.hash:
        return "rewritten", (
            f"entry #{then.seq} now has hash {hash_at_seq}, the checkpoint says {then.hash}: "
            "it or an entry before it was rewritten"
        )
    if now.seq < then.seq:
        return "truncated", (
            f"the head says #{now.seq}, before the checkpoint's #{then.seq}: it was put back"
        )
    if now.seq == then.seq:
        return "unchanged", f"entry #{then.seq} is the head, as at the checkpoint"
    return "extended", f"entries #{then.seq + 1}–#{now.seq} were appended after the checkpoint"


def _hashes_at(session: Session, wanted: Sequence[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """Today's hash of each (site, seq) asked for, by the unique (site_id, seq) index."""
    out: dict[tuple[int, int], str] = {}
    pair = tuple_(col(LedgerEntry.site_id), col(LedgerEntry.seq))
    for start in range(0, len(wanted), _PAIRS_PER_QUERY):
        chunk = wanted[start : start + _PAIRS_PER_QUERY]
        q = select(LedgerEntry.site_id, LedgerEntry.seq, LedgerEntry.hash).where(pair.in_(chunk))
        for site_id, seq, digest in session.exec(q).all():
            out[(site_id, seq)] = digest
    return out


def compare_checkpoint(session: Session, actor: Actor, checkpoint: object) -> dict[str, Any]:
    """The chain check, plus each site against the head it had at an earlier check: what the
    chains alone cannot show (a chain rewritten consistently, or cut short with an older head
    put back). `checkpoint` is the `heads` of an earlier verify answer, or the whole answer."""
    require_overseer(actor)
    then = parse_checkpoint(checkpoint)
    verification = verify(session, actor)
    heads = {h["site_id"]: (h["seq"], h["hash"]) for h in verification["heads"]}
    last_seqs: dict[int, int] = {
        site_id: seq
        for site_id, seq in session.exec(
            select(LedgerEntry.site_id, func.max(LedgerEntry.seq)).group_by(
                col(LedgerEntry.site_id)
            )
        ).all()
    }
    names = dict(session.exec(select(Site.id, Site.name)).all())
    hashes = _hashes_at(session, [(h.site_id, h.seq) for h in then if h.seq > 0])

    def row(
        site_id: int, status: str, message: str, head: Head | None, at: str | None
    ) -> dict[str, Any]:
        now = heads.get(site_id)
        return {
            "site_id": site_id,
            "site": names.get(site_id),
            "status": status,
            "checkpoint_seq": head.seq if head else None,
            "checkpoint_hash": head.hash if head else None,
            "head_seq": now[0] if now else None,
            "head_hash": now[1] if now else None,
            "last_seq": last_seqs.get(site_id),
            "hash_at_seq": at,
            "message": f"site {site_id}: {message}",
        }

    rows = []
    for h in then:
        now = Now(heads.get(h.site_id), last_seqs.get(h.site_id))
        at = hashes.get((h.site_id, h.seq))
        rows.append(row(h.site_id, *compare_head(h, now, at), h, at))
    taken = {h.site_id for h in then}
    for site_id in set(heads) | set(last_seqs):
        if site_id not in taken:
            seq = Now(heads.get(site_id), last_seqs.get(site_id)).seq
            rows.append(
                row(site_id, "new", f"not in the checkpoint; its chain ends at #{seq}", None, None)
            )
    rows.sort(key=lambda r: r["site_id"])
    counts = dict.fromkeys(CHECKPOINT_STATUSES, 0)
    for r in rows:
        counts[r["status"]] += 1
    return {
        "ok": verification["ok"] and not any(counts[p] for p in PROBLEMS),
        "checkpoint": {
            "heads": len(then),
            "fingerprint": heads_fingerprint((h.site_id, h.seq, h.hash) for h in then),
        },
        "counts": counts,
        "sites": rows,
        "verification": verification,
    }
