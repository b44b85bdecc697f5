"""The tamper check: every chain, every manifest's entries, every cited document, every seal.

At a hundred times the demo (288,000 entries, 41,000 seals) it answers in a few seconds: see
`benchmarks/tamper.py` and the README's performance section."""

from __future__ import annotations

import functools
import gc
import hashlib
import json
from collections.abc import Callable, Iterable
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import and_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from market.audit import seals, walk
from market.audit.scope import Scope, check_scope, require_overseer
from market.audit.signatures import SealRow
from market.auth import Actor
from market.integrity import Progress, chain_report, heads_of
from market.seals import SealKey
from market.tables import (
    Contract,
    Delivery,
    LedgerEntry,
    LedgerHead,
    Lot,
    Site,
)

# ----------------------------------------------------------------------------- verification

P = ParamSpec("P")
R = TypeVar("R")


def _collector_paused(fn: Callable[P, R]) -> Callable[P, R]:
    """`fn` with the cyclic garbage collector paused while it runs: hundreds of thousands of
    small tuples stay alive until the end, and the collector, which would walk them all again
    and again as they pile up, has nothing to find in them."""

    @functools.wraps(fn)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        collecting = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if collecting:
                gc.enable()

    return paused


@_collector_paused
def verify(
    session: Session,
    actor: Actor,
    organisation_id: int | None = None,
    *,
    seal_key: SealKey | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The hash chains of every yard (or one producer's), plus a cross-check the chains cannot
    make alone: every manifest has the dispatch entry it wrote, and every received one its
    utilisation entry; every cited document still has the SHA-256 its entry recorded; every seal
    holds and the months it seals are unchanged.

    The ledger is read once, in batches of plain rows, and at scale in two halves by yard, the
    second in a forked child on the other core, each half checking its yards' seals' signatures
    too (`market.audit.walk`). `progress(fraction, stage)`, if given, hears
    how far the check is (0–1) and which stage it is in: "seals", "chains", "deliveries",
    "documents", "seals", then "done"."""
    require_overseer(actor)
    check_scope(session, Scope(organisation_id=organisation_id))

    def step(fraction: float, stage: str) -> None:
        if progress is not None:
            progress(fraction, stage)

    site_ids = None
    if organisation_id is not None:
        site_ids = [
            site_id
            for site_id in session.exec(
                select(col(Site.id)).where(Site.organisation_id == organisation_id)
            ).all()
            if site_id is not None
        ]
    step(0.0, "seals")
    public_keys = seals.seal_keys(seal_key)
    seal_list = seals.seal_rows(session, site_ids)
    parsed, wanted = _statements(seal_list)
    heads_now = heads_of(session)
    job = walk.Job(
        site_ids=site_ids,
        heads=heads_now,
        months={(s[1], s[2]) for s in seal_list},
        wanted=wanted,
        public_keys=public_keys,
        signers={seal_key.key_id: seal_key.private} if seal_key is not None else None,
    )
    lo, hi = 0.02, 0.85
    walked = walk.walk(
        session,
        job,
        seal_list,
        progress=(lambda f: step(lo + (hi - lo) * f, "chains")) if progress is not None else None,
    )
    step(hi, "chains")
    report = chain_report(
        session, heads_now, site_ids, (walked.breaks, walked.seen, walked.entries)
    )
    breaks = list(report["breaks"])
    names: dict[int | None, str] = dict(session.exec(select(col(Site.id), col(Site.name))).all())
    step(0.85, "deliveries")
    for kind, statuses in (("dispatch", None), ("utilisation", ("received",))):
        entry = aliased(LedgerEntry)
        q = (
            select(col(Delivery.id), col(Delivery.manifest_no), Lot.site_id)
            .join(Contract, col(Contract.id) == Delivery.contract_id)
            .join(Lot, col(Lot.id) == Contract.lot_id)
            .outerjoin(entry, and_(col(entry.delivery_id) == Delivery.id, col(entry.kind) == kind))
            .where(col(entry.id).is_(None))
        )
        if statuses:
            q = q.where(col(Delivery.status).in_(statuses))
        if organisation_id is not None:
            q = q.where(Delivery.producer_org_id == organisation_id)
        for delivery_id, manifest_no, site_id in session.exec(q).all():
            breaks.append(
                {
                    "site_id": site_id,
                    "site": names.get(site_id),
                    "seq": None,
                    "entry_id": None,
                    "problem": f"manifest {manifest_no} (delivery {delivery_id}) has "
                    f"no {kind} entry",
                    "message": f"site {site_id}: manifest {manifest_no} (delivery "
                    f"{delivery_id}) has no {kind} entry",
                }
            )
    step(0.88, "documents")
    breaks.extend(seals.verify_documents(session, site_ids, names, walked.cited))
    step(0.9, "seals")
    seal_breaks, seal_counts = seals.verify_seals(
        session,
        public_keys,
        site_ids,
        names,
        walked.figures,
        seals=seal_list,
        held=walked.held,
        hashes=walked.hashes,
        parsed=parsed,
    )
    breaks.extend(seal_breaks)
    q_heads = select(col(LedgerHead.site_id), col(LedgerHead.seq), col(LedgerHead.hash)).order_by(
        col(LedgerHead.site_id)
    )
    if site_ids is not None:
        q_heads = q_heads.where(col(LedgerHead.site_id).in_(site_ids))
    heads = session.exec(q_heads).all()
    step(1.0, "done")
    return (
        report
        | seal_counts
        | {
            "organisation_id": organisation_id,
            "ok": not breaks,
            "breaks": breaks,
            "heads_fingerprint": heads_fingerprint(heads),
            "heads": [
                {"site_id": site_id, "site": names.get(site_id), "seq": seq, "hash": h}
                for site_id, seq, h in heads
            ],
        }
    )


def _statements(
    seal_list: list[SealRow],
) -> tuple[dict[int, Any], set[tuple[int, int]]]:
    """Each seal's statement, read once, and (yard, seq) of every entry one names: the month's
    last entry and the chain's head, whose hashes the walk over the chains picks up."""
    parsed: dict[int, Any] = {}
    wanted: set[tuple[int, int]] = set()
    for seal_id, site_id, _period, _version, statement, _sig, _kid in seal_list:
        try:
            st = json.loads(statement)
        except ValueError:
            continue
        parsed[seal_id] = st
        if not isinstance(st, dict):
            continue
        for ref in (st.get("month_last"), st.get("head")):
            if isinstance(ref, dict) and isinstance(ref.get("seq"), int):
                wanted.add((site_id, ref["seq"]))
    return parsed, wanted


def heads_fingerprint(heads: Iterable[tuple[int, int, str]]) -> str:
    """One hash over every (site, seq, hash) head in site order: short enough to write down
    when a checkpoint is kept, so the file handed in later can be checked against it."""
    lines = (f"{site_id}:{seq}:{digest}" for site_id, seq, digest in sorted(heads))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()
