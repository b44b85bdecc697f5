"""The tamper check's pass over the ledger and the seals' signatures, split over two processes at
scale.

Walking 288,000 entries (read, re-hash, the sealed months' figures) and checking 41,000
signatures is processor work that holds the interpreter lock, so from `PARALLEL_FROM` entries on
the yards are split in two by id, about half the entries each: this process walks the first half
and checks its yards' seals, a child forked from it does the same for the second half at the same
time on the other core, with its own connection, and hands back only what it found (breaks,
figures, hashes, citations, which signatures hold). Forked, the child starts at once with the
modules and the key already in memory; nothing is written anywhere. If the child cannot be
forked, dies, or does not answer in time, this process walks the second half itself: slower,
never a different answer.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from market import integrity
from market.audit import signatures
from market.audit.seals import Cited, Figures, LedgerRows
from market.audit.signatures import SealRow
from market.ledger import ChainBreak

PARALLEL_FROM = 40_000
"""Entries from which the walk is split over two processes (below, a fork costs more than it
saves)."""

PATIENCE = 30.0
"""Seconds the child may take beyond four times this process's half before it is given up."""


@dataclass
class Walked:
    """What a walk over some yards found."""

    breaks: list[ChainBreak]
    seen: set[int]
    entries: int
    figures: Figures
    cited: Cited
    hashes: dict[tuple[int, int], str]
    held: dict[int, bool] | None

    def then(self, other: Walked) -> Walked:
        """This walk followed by one over later yards: breaks stay in yard order."""
        cited = {k: list(v) for k, v in self.cited.items()}
        for doc_id, refs in other.cited.items():
            cited.setdefault(doc_id, []).extend(refs)
        return Walked(
            self.breaks + other.breaks,
            self.seen | other.seen,
            self.entries + other.entries,
            self.figures | other.figures,
            cited,
            self.hashes | other.hashes,
            None if self.held is None or other.held is None else self.held | other.held,
        )


@dataclass(frozen=True)
class Job:
    """What both halves share: the scope, the heads, what the seals need from the rows."""

    site_ids: list[int] | None
    heads: Mapping[int, tuple[int, str]]
    months: set[tuple[int, str]]
    wanted: set[tuple[int, int]]
    public_keys: Mapping[str, Any] | None
    signers: Mapping[str, Any] | None


def _half(
    session: Session,
    job: Job,
    part: integrity.Part | None,
    seals: Sequence[SealRow],
    tick: Callable[[int], None] | None = None,
) -> Walked:
    rows = LedgerRows(months=job.months, wanted=job.wanted)
    breaks, seen, entries = integrity.walk(
        integrity.rows(session, job.site_ids, part), job.heads, rows, tick
    )
    held = (
        signatures.check(job.public_keys, seals, job.signers)
        if job.public_keys is not None
        else None
    )
    return Walked(breaks, seen, entries, rows.figures, rows.cited, rows.hashes, held)


def _split(job: Job) -> int | None:
    """The yard id at which about half the entries (by the heads) have been passed, or None
    when there are too few entries to split."""
    chains = sorted(
        (site_id, seq)
        for site_id, (seq, _h) in job.heads.items()
        if job.site_ids is None or site_id in job.site_ids
    )
    total = sum(seq for _, seq in chains)
    if total < PARALLEL_FROM or len(chains) < 2:
        return None
    passed = 0
    for site_id, seq in chains:
        passed += seq
        if passed * 2 >= total:
            return site_id
    return None


def _shared(engine: Any) -> bool:
    """Whether a forked child can open the database too (not a private in-memory one)."""
    if not isinstance(engine, Engine) or "fork" not in multiprocessing.get_all_start_methods():
        return False
    url = engine.url
    return url.get_backend_name() != "sqlite" or url.database not in (None, "", ":memory:")


def _in(part: integrity.Part, site_id: int) -> bool:
    return (part[0] is None or site_id > part[0]) and (part[1] is None or site_id <= part[1])


def _child(engine: Engine, out: Connection, job: Job, part: integrity.Part, seals: Any) -> None:
    # the parent's pooled connections are the parent's: a fresh pool, none of them closed here
    engine.dispose(close=False)
    try:
        with Session(engine) as session:
            # the heads as this connection sees them, with the entries it reads after them (on
            # SQLite in the same snapshot): an entry appended since the parent read the heads
            # is not taken for one added outside the app
            mine = replace(job, heads=integrity.heads_of(session))
            out.send(_half(session, mine, part, seals))
    finally:
        out.close()


def walk(
    session: Session,
    job: Job,
    seals: Sequence[SealRow],
    progress: Callable[[float], None] | None = None,
) -> Walked:
    """Every chain of `job`'s yards and the signatures of `seals`; `progress(fraction)` hears
    the share of this process's entries walked."""
    split = _split(job) if _shared(session.get_bind()) else None
    if split is None:
        total = integrity.count_entries(session, job.site_ids) if progress else 0
        return _half(session, job, None, seals, _ticker(progress, total))
    first: integrity.Part = (None, split)
    second: integrity.Part = (split, None)
    mine = [s for s in seals if _in(first, s[1])]
    theirs = [s for s in seals if not _in(first, s[1])]
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child: Any = context.Process(
        target=_child,
        args=(session.get_bind(), send, job, second, theirs),
        name="tamper-check-half",
        daemon=True,
    )
    try:
        child.start()
    except Exception:  # noqa: BLE001 — no child (a daemonic parent, no memory): both halves here
        child = None
    send.close()
    t0 = time.monotonic()
    try:
        total = integrity.count_entries(session, job.site_ids, first) if progress else 0
        walked = _half(session, job, first, mine, _ticker(progress, total))
    except BaseException:
        _collect(child, receive, deadline=0)  # no child left behind, blocked on its answer
        raise
    other = _collect(child, receive, deadline=4 * (time.monotonic() - t0) + PATIENCE)
    if other is None:
        # no answer from the child: the second half here, slower but sure
        other = _half(session, job, second, theirs)
    elif job.public_keys is not None and other.held is not None:
        signatures.remember(job.public_keys, theirs, other.held)
    return walked.then(other)


def _ticker(progress: Callable[[float], None] | None, total: int) -> Callable[[int], None] | None:
    if progress is None:
        return None
    return lambda entries: progress(entries / max(total, 1))


def _collect(child: Any, receive: Connection, deadline: float) -> Walked | None:
    """The child's answer, or None if it died or took longer than `deadline` seconds more."""
    if child is None:
        receive.close()
        return None
    answer: Walked | None = None
    try:
        if receive.poll(deadline):
            answer = receive.recv()
    except (EOFError, OSError):
        answer = None
    finally:
        receive.close()
        if answer is None and child.is_alive():
            child.kill()
        child.join()
    return answer if isinstance(answer, Walked) else None
