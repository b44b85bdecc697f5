"""The seals of approved months and the documents entries cite, as the tamper check sees them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlmodel import Session, col, select

from market.audit import signatures
from market.audit.signatures import SealRow
from market.audit.trust import approved_months
from market.integrity import COLUMNS
from market.seals import SealKey
from market.services.reports import SEALED_NAMES, month_figures
from market.tables import (
    Document,
    LedgerEntry,
    Seal,
)
from market.wide import wide

# ----------------------------------------------------------------------------- seals


def seal_rows(session: Session, site_ids: list[int] | None) -> list[SealRow]:
    """Every seal (of `site_ids`' yards) as plain rows, in (yard, month, version) order."""
    q = wide(
        col(Seal.id),
        col(Seal.site_id),
        col(Seal.period),
        col(Seal.version),
        col(Seal.statement),
        col(Seal.signature),
        col(Seal.key_id),
    ).order_by(col(Seal.site_id), col(Seal.period), col(Seal.version))
    if site_ids is not None:
        q = q.where(col(Seal.site_id).in_(site_ids))
    return [tuple(r) for r in session.exec(q).all()]


def verify_seals(
    session: Session,
    public_keys: Mapping[str, Any] | None,
    site_ids: list[int] | None,
    names: Mapping[int | None, str],
    figures_now: Mapping[tuple[int, str], dict[str, Any]],
    *,
    seals: Sequence[SealRow] | None = None,
    held: Mapping[int, bool] | None = None,
    hashes: Mapping[tuple[int, int], str] | None = None,
    parsed: Mapping[int, Any] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Every seal's signature; for the latest seal of each approved month, that the entry at
    its head still has the sealed hash and that the month's entries still add up to what was
    sealed; and that no approved month is without a seal. Breaks name the yard and the month.

    The tamper check passes what it already has: the `seals` it read, whether their signatures
    hold (`held`, checked beside the chains), the `hashes` at the entries seals name and the
    statements it `parsed`."""
    breaks: list[dict[str, Any]] = []
    broken_months: set[tuple[int, str]] = set()

    def broken(site_id: int, period: str, problem: str, seq: int | None = None) -> None:
        broken_months.add((site_id, period))
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

    if seals is None:
        seals = seal_rows(session, site_ids)
    if held is None and public_keys is not None:
        held = signatures.check(public_keys, seals)
    latest: dict[tuple[int, str], SealRow] = {}
    statements: dict[int, dict[str, Any]] = {}
    for s in seals:
        seal_id, site_id, period, version, statement, _signature, key_id = s
        if public_keys is not None and key_id not in public_keys:
            broken(site_id, period, f"seal v{version} names an unknown key {key_id}")
            continue
        if held is not None and not held.get(seal_id, False):
            broken(site_id, period, f"seal v{version}: the signature does not hold")
            continue
        st = parsed[seal_id] if parsed is not None and seal_id in parsed else json.loads(statement)
        if st.get("site_id") != site_id or st.get("period") != period:
            broken(site_id, period, f"seal v{version} states another yard or month")
            continue
        statements[seal_id] = st
        latest[(site_id, period)] = s
    # each month's last entry must still carry its sealed hash (that locates a rewrite to the
    # month), and the chain's head when a yard's latest month was sealed must still be there
    # (that finds a chain cut back, or rewritten, after its last approved month)
    latest_of_site: dict[int, SealRow] = {}
    for s in latest.values():
        if s[1] not in latest_of_site or s[0] > latest_of_site[s[1]][0]:
            latest_of_site[s[1]] = s
    checks: list[tuple[int, str, dict[str, Any], str]] = []
    for (site_id, period), s in latest.items():
        st = statements[s[0]]
        if st.get("month_last"):
            checks.append((site_id, period, st["month_last"], "the month's last entry"))
        if latest_of_site[site_id] is s and st.get("head"):
            checks.append((site_id, period, st["head"], "the chain's head"))
    if hashes is None:
        hashes = _hashes_at(session, {(site_id, ref["seq"]) for site_id, _, ref, _ in checks})
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
        st = statements[s[0]]
        figures = figures_now.get((site_id, period)) or month_figures([])
        if figures["content_sha256"] != st.get("content_sha256") or figures["totals"] != st.get(
            "totals"
        ):
            changed: list[str] = []
            if figures["entries"] != st.get("entries"):
                changed.append(f"{figures['entries']} entries now, {st.get('entries')} sealed")
            if figures["totals"] != st.get("totals"):
                changed.append("totals differ from the sealed totals")
            broken(
                site_id,
                period,
                "the month's entries changed since it was sealed"
                + (f" ({'; '.join(changed)})" if changed else ""),
            )
    # an approved month must have a seal
    for site_id, period in approved_months(session, site_ids):
        if (site_id, period) not in latest and (site_id, period) not in broken_months:
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


Cited = dict[int, list[tuple[int | None, int, int, str]]]
"""Document id → (entry id, site id, seq, SHA-256 recorded) of every entry citing it."""


def cited_documents(session: Session, site_ids: list[int] | None) -> Cited:
    q = select(
        col(LedgerEntry.id),
        col(LedgerEntry.site_id),
        col(LedgerEntry.seq),
        col(LedgerEntry.evidence),
    ).where(col(LedgerEntry.evidence).is_not(None))
    if site_ids is not None:
        q = q.where(col(LedgerEntry.site_id).in_(site_ids))
    cited: Cited = {}
    for entry_id, site_id, seq, evidence in session.exec(q).all():
        for d in evidence or []:
            cited.setdefault(int(d["id"]), []).append((entry_id, site_id, seq, str(d["sha256"])))
    return cited


def verify_documents(
    session: Session,
    site_ids: list[int] | None,
    names: Mapping[int | None, str],
    cited: Cited | None = None,
) -> list[dict[str, Any]]:
    """Every document an entry cites must still be the file whose SHA-256 the entry recorded;
    the tamper check passes the citations it collected while walking the chains."""
    if cited is None:
        cited = cited_documents(session, site_ids)
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


def seal_keys(key: SealKey | None) -> dict[str, Any] | None:
    return {key.key_id: key.public} if key is not None else None


_SEALED = itemgetter(*(COLUMNS.index(name) for name in SEALED_NAMES))
_ON = COLUMNS.index("occurred_on")
_EVIDENCE = COLUMNS.index("evidence")
_HASH = COLUMNS.index("hash")


Figures = dict[tuple[int, str], dict[str, Any]]
"""(yard, month) → `month_figures` of the month's entries as they are now."""


class LedgerRows:
    """Collects, from the rows the chain check reads (`market.integrity.COLUMNS` order), the
    figures of each month a seal covers (`month_figures`, worked out as each yard is walked), the
    documents entries cite, and the hashes at `wanted` entries. All of it is small and plain, so
    a walk in another process can hand it back."""

    def __init__(
        self,
        months: set[tuple[int, str]] | None = None,
        wanted: set[tuple[int, int]] | None = None,
    ) -> None:
        self.months = months
        self.wanted = wanted or set()
        self.figures: Figures = {}
        self.cited: Cited = {}
        self.hashes: dict[tuple[int, int], str] = {}

    def __call__(self, site_id: int, rows: list[tuple[Any, ...]]) -> None:
        months, wanted, sealed = self.months, self.wanted, _SEALED
        by_month: dict[tuple[int, str], list[tuple[Any, ...]]] = {}
        for r in rows:
            key = (site_id, r[_ON][:7])
            if months is None or key in months:
                month = by_month.get(key)
                if month is None:
                    by_month[key] = [sealed(r)]
                else:
                    month.append(sealed(r))
            if r[_EVIDENCE]:
                entry_id, seq = r[0], r[2]
                for d in r[_EVIDENCE]:
                    self.cited.setdefault(int(d["id"]), []).append(
                        (entry_id, site_id, seq, str(d["sha256"]))
                    )
            if wanted and (site_id, r[2]) in wanted:
                self.hashes[(site_id, r[2])] = r[_HASH]
        for key, month_rows in by_month.items():
            self.figures[key] = month_figures(month_rows)


class MonthRows(LedgerRows):
    """The former name."""
