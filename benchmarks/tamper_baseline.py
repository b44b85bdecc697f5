"""The tamper check as it was before it was made to scale (git main at 90ca1cf), kept as the
baseline `benchmarks.tamper` compares against: ORM rows and `ledger.verify_chain` entry by entry,
every seal's signature in the one thread, the hashes sealed looked up yard by yard.

Only the benchmark uses it; the app's check is `market.audit.verify`.
"""

# ruff: noqa: E501
# mypy: ignore-errors

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from itertools import groupby
from typing import Any

from sqlalchemy import and_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from market.audit import Scope, check_scope, heads_fingerprint, require_overseer
from market.auth import Actor
from market.ledger import verify_chain
from market.seals import SealKey, signature_holds
from market.services.reports import SEALED_NAMES, month_figures
from market.tables import (
    Contract,
    Delivery,
    Document,
    LedgerEntry,
    LedgerHead,
    Lot,
    Report,
    Seal,
    Site,
)


def seal_keys(key: SealKey | None) -> dict[str, Any] | None:
    return {key.key_id: key.public} if key is not None else None


def verify_all(
    session: Session,
    site_ids: list[int] | None = None,
    *,
    keep: Callable[[int, list[Any]], None] | None = None,
) -> dict[str, Any]:
    """Every chain (or those of `site_ids`); `keep` sees each site's rows, so a check that needs
    them too (the seals) reads the ledger once."""
    heads = {h.site_id: (h.seq, h.hash) for h in session.exec(select(LedgerHead)).all()}
    # plain rows, not ORM objects: building ~30k instances took as long as hashing them
    columns = list(LedgerEntry.__table__.columns)  # type: ignore[attr-defined]
    q = select(*columns).order_by(col(LedgerEntry.site_id), col(LedgerEntry.seq))
    if site_ids is not None:
        q = q.where(col(LedgerEntry.site_id).in_(site_ids))
    breaks = []
    seen: set[int] = set()
    entries = 0
    for site_id, group in groupby(session.exec(q), key=lambda e: e.site_id):
        rows = list(group)
        entries += len(rows)
        seen.add(site_id)
        breaks.extend(verify_chain(site_id, rows, heads.get(site_id)))
        if keep is not None:
            keep(site_id, rows)
    # a site whose every entry was deleted still has its head
    for site_id, head in heads.items():
        if site_id not in seen and (site_ids is None or site_id in site_ids):
            breaks.extend(verify_chain(site_id, [], head))
    names = {s.id: s.name for s in session.exec(select(Site)).all()}
    return {
        "ok": not breaks,
        "sites_checked": len(seen | set(heads)),
        "entries_checked": entries,
        "breaks": [
            {
                "site_id": b.site_id,
                "site": names.get(b.site_id),
                "seq": b.seq,
                "entry_id": b.entry_id,
                "problem": b.problem,
                "message": b.describe(),
            }
            for b in breaks
        ],
    }


def verify_seals(
    session: Session,
    public_keys: Mapping[str, Any] | None,
    site_ids: list[int] | None,
    names: Mapping[int | None, str],
    rows_by_month: Mapping[tuple[int, str], list[Any]],
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Every seal's signature; for the latest seal of each approved month, that the entry at
    its head still has the sealed hash and that the month's entries still add up to what was
    sealed; and that no approved month is without a seal. Breaks name the yard and the month."""
    import json

    breaks: list[dict[str, Any]] = []

    def broken(site_id: int, period: str, problem: str, seq: int | None = None) -> None:
        breaks.append(
            {
                "site_id": site_id,
                "site": names.get(site_id),
                "period": period,
                "seq": seq,
                "entry_id": None,
                "problem": problem,
                "message": f"site {site_id}, {period}: {problem}",
            }
        )

    q = select(Seal).order_by(col(Seal.site_id), col(Seal.period), col(Seal.version))
    if site_ids is not None:
        q = q.where(col(Seal.site_id).in_(site_ids))
    seals = session.exec(q).all()
    latest: dict[tuple[int, str], Seal] = {}
    statements: dict[int, dict[str, Any]] = {}
    for s in seals:
        key = public_keys.get(s.key_id) if public_keys is not None else None
        if public_keys is not None and key is None:
            broken(s.site_id, s.period, f"seal v{s.version} names an unknown key {s.key_id}")
            continue
        if key is not None and not signature_holds(key, s.statement, s.signature):
            broken(s.site_id, s.period, f"seal v{s.version}: the signature does not hold")
            continue
        st = json.loads(s.statement)
        if st.get("site_id") != s.site_id or st.get("period") != s.period:
            broken(s.site_id, s.period, f"seal v{s.version} states another yard or month")
            continue
        statements[s.id or 0] = st
        latest[(s.site_id, s.period)] = s
    # each month's last entry must still carry its sealed hash (that locates a rewrite to the
    # month), and the chain's head when a yard's latest month was sealed must still be there
    # (that finds a chain cut back, or rewritten, after its last approved month)
    latest_of_site: dict[int, Seal] = {}
    for s in latest.values():
        if s.site_id not in latest_of_site or (s.id or 0) > (latest_of_site[s.site_id].id or 0):
            latest_of_site[s.site_id] = s
    checks: list[tuple[int, str, dict[str, Any], str]] = []
    for (site_id, period), s in latest.items():
        st = statements[s.id or 0]
        if st.get("month_last"):
            checks.append((site_id, period, st["month_last"], "the month's last entry"))
        if latest_of_site[site_id] is s and st.get("head"):
            checks.append((site_id, period, st["head"], "the chain's head"))
    hashes = _hashes_at(session, {(site_id, ref["seq"]) for site_id, _, ref, _ in checks})
    month_of_rows = rows_by_month
    for site_id, period, ref, what in sorted(checks, key=lambda c: (c[0], c[1])):
        now = hashes.get((site_id, ref["seq"]))
        if now is None:
            broken(
                site_id,
                period,
                f"entry #{ref['seq']}, {what} when the month was sealed, is missing",
                ref["seq"],
            )
        elif now != ref["hash"]:
            broken(
                site_id,
                period,
                f"entry #{ref['seq']}, {what} when the month was sealed, no longer has the "
                "hash sealed (the chain up to it was rewritten)",
                ref["seq"],
            )
    for (site_id, period), s in sorted(latest.items()):
        st = statements[s.id or 0]
        figures = month_figures(month_of_rows.get((site_id, period), []))
        if figures["content_sha256"] != st.get("content_sha256") or figures["totals"] != st.get(
            "totals"
        ):
            what = []
            if figures["entries"] != st.get("entries"):
                what.append(f"{figures['entries']} entries now, {st.get('entries')} sealed")
            if figures["totals"] != st.get("totals"):
                what.append("totals differ from the sealed totals")
            broken(
                site_id,
                period,
                "the month's entries changed since it was sealed"
                + (f" ({'; '.join(what)})" if what else ""),
            )
    # an approved month must have a seal
    q_rep = select(col(Report.site_id), col(Report.period)).where(Report.status == "approved")
    if site_ids is not None:
        q_rep = q_rep.where(col(Report.site_id).in_(site_ids))
    for site_id, period in session.exec(q_rep).all():
        if (site_id, period) not in latest and not any(
            b["site_id"] == site_id and b["period"] == period for b in breaks
        ):
            broken(site_id, period, "approved, but its seal is missing")
    return breaks, {"seals_checked": len(seals), "months_sealed": len(latest)}


def _hashes_at(session: Session, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], str]:
    out: dict[tuple[int, int], str] = {}
    by_site: dict[int, list[int]] = {}
    for site_id, seq in wanted:
        by_site.setdefault(site_id, []).append(seq)
    for site_id, seqs in by_site.items():
        for i in range(0, len(seqs), 500):
            chunk = seqs[i : i + 500]
            for seq, h in session.exec(
                select(col(LedgerEntry.seq), col(LedgerEntry.hash)).where(
                    LedgerEntry.site_id == site_id, col(LedgerEntry.seq).in_(chunk)
                )
            ).all():
                out[(site_id, seq)] = h
    return out


# ----------------------------------------------------------------------------- documents


def verify_documents(
    session: Session, site_ids: list[int] | None, names: Mapping[int | None, str]
) -> list[dict[str, Any]]:
    """Every document an entry cites must still be the file whose SHA-256 the entry recorded."""
    q = select(
        col(LedgerEntry.id),
        col(LedgerEntry.site_id),
        col(LedgerEntry.seq),
        col(LedgerEntry.evidence),
    ).where(col(LedgerEntry.evidence).is_not(None))
    if site_ids is not None:
        q = q.where(col(LedgerEntry.site_id).in_(site_ids))
    cited: dict[int, list[tuple[int, int, int, str]]] = {}
    for entry_id, site_id, seq, evidence in session.exec(q).all():
        for d in evidence or []:
            cited.setdefault(int(d["id"]), []).append((entry_id, site_id, seq, str(d["sha256"])))
    breaks = []
    ids = list(cited)
    for i in range(0, len(ids), 200):
        chunk = ids[i : i + 200]
        found = {
            doc_id: hashlib.sha256(content).hexdigest()
            for doc_id, content in session.exec(
                select(col(Document.id), col(Document.content)).where(col(Document.id).in_(chunk))
            ).all()
        }
        for doc_id in chunk:
            for entry_id, site_id, seq, sha in cited[doc_id]:
                now = found.get(doc_id)
                if now == sha:
                    continue
                problem = (
                    f"document {doc_id} is missing"
                    if now is None
                    else f"document {doc_id} is not the file the entry recorded (SHA-256 differs)"
                )
                breaks.append(
                    {
                        "site_id": site_id,
                        "site": names.get(site_id),
                        "seq": seq,
                        "entry_id": entry_id,
                        "problem": problem,
                        "message": f"site {site_id}, entry #{seq} (id {entry_id}): {problem}",
                    }
                )
    return breaks


class MonthRows:
    """Collects, from the rows the chain check reads, what each month's seal covers."""

    def __init__(self) -> None:
        self.by_month: dict[tuple[int, str], list[Any]] = {}

    def __call__(self, site_id: int, rows: list[Any]) -> None:
        for r in rows:
            key = (site_id, f"{r.occurred_on.year:04d}-{r.occurred_on.month:02d}")
            self.by_month.setdefault(key, []).append(tuple(getattr(r, n) for n in SEALED_NAMES))


def verify(
    session: Session,
    actor: Actor,
    organisation_id: int | None = None,
    *,
    seal_key: SealKey | None = None,
) -> dict[str, Any]:
    """The hash chains of every yard (or one producer's), plus a cross-check the chains cannot
    make alone: every manifest has the dispatch entry it wrote, and every received one its
    utilisation entry. Hashing every entry is the cost; one producer's yards check fast."""
    require_overseer(actor)
    check_scope(session, Scope(organisation_id=organisation_id))
    site_ids = None
    if organisation_id is not None:
        site_ids = [
            s.id
            for s in session.exec(select(Site).where(Site.organisation_id == organisation_id))
            if s.id is not None
        ]
    months = MonthRows()
    report = verify_all(session, site_ids, keep=months)
    breaks = list(report["breaks"])
    names = {s.id: s.name for s in session.exec(select(Site)).all()}
    for kind, statuses in (("dispatch", None), ("utilisation", ("received",))):
        entry = aliased(LedgerEntry)
        q = (
            select(Delivery, Lot.site_id)
            .join(Contract, col(Contract.id) == Delivery.contract_id)
            .join(Lot, col(Lot.id) == Contract.lot_id)
            .outerjoin(entry, and_(col(entry.delivery_id) == Delivery.id, col(entry.kind) == kind))
            .where(col(entry.id).is_(None))
        )
        if statuses:
            q = q.where(col(Delivery.status).in_(statuses))
        if organisation_id is not None:
            q = q.where(Delivery.producer_org_id == organisation_id)
        for delivery, site_id in session.exec(q).all():
            breaks.append(
                {
                    "site_id": site_id,
                    "site": names.get(site_id),
                    "seq": None,
                    "entry_id": None,
                    "problem": f"manifest {delivery.manifest_no} (delivery {delivery.id}) has "
                    f"no {kind} entry",
                    "message": f"site {site_id}: manifest {delivery.manifest_no} (delivery "
                    f"{delivery.id}) has no {kind} entry",
                }
            )
    breaks.extend(verify_documents(session, site_ids, names))
    seal_breaks, seal_counts = verify_seals(
        session, seal_keys(seal_key), site_ids, names, months.by_month
    )
    breaks.extend(seal_breaks)
    q_heads = select(LedgerHead).order_by(col(LedgerHead.site_id))
    if site_ids is not None:
        q_heads = q_heads.where(col(LedgerHead.site_id).in_(site_ids))
    heads = session.exec(q_heads).all()
    return (
        report
        | seal_counts
        | {
            "organisation_id": organisation_id,
            "ok": not breaks,
            "breaks": breaks,
            "heads_fingerprint": heads_fingerprint((h.site_id, h.seq, h.hash) for h in heads),
            "heads": [
                {"site_id": h.site_id, "site": names.get(h.site_id), "seq": h.seq, "hash": h.hash}
                for h in heads
            ],
        }
    )
