"""Seals: what a seal states of a month's entries, signing it, and exporting the latest seal."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, func, select

from market import clock
from market.auth import Actor
from market.db import UnitOfWork
from market.errors import NotFound
from market.seals import STATEMENT_KIND, SealKey
from market.services.common import get
from market.services.reports.listing import readable_yard
from market.tables import LedgerEntry, Organisation, Report, Seal, Site, User, utcnow


def totals_key(kind: str, delivery_id: int | None, attestation: str) -> str:
    key = kind
    if delivery_id is not None and kind == "utilisation":
        key += ":receipt"
    if attestation != "not_required":
        key += f":{attestation}"
    return key


SEALED_NAMES = (
    "seq",
    "kind",
    "material",
    "tonnes",
    "occurred_on",
    "document",
    "delivery_id",
    "evidence",
    "correction_id",
    "attestation",
)
"""What a seal covers of each entry of its month, in the order `month_figures` reads."""


def sealed_columns() -> list[Any]:
    return [col(getattr(LedgerEntry, name)) for name in SEALED_NAMES]


def month_rows(session: Session, site_id: int, period: str) -> list[Any]:
    first, last = clock.month_bounds(period)
    return list(
        session.exec(
            select(*sealed_columns())
            .where(
                LedgerEntry.site_id == site_id,
                col(LedgerEntry.occurred_on) >= first,
                col(LedgerEntry.occurred_on) <= last,
            )
            .order_by(col(LedgerEntry.seq))
        ).all()
    )


def month_last(session: Session, site_id: int, period: str) -> dict[str, Any] | None:
    """The month's last entry in the chain: its hash covers every entry up to it, so a rewrite
    of this month or an earlier one changes it, and one of a later month does not."""
    first, last = clock.month_bounds(period)
    row = session.exec(
        select(col(LedgerEntry.seq), col(LedgerEntry.hash))
        .where(
            LedgerEntry.site_id == site_id,
            col(LedgerEntry.occurred_on) >= first,
            col(LedgerEntry.occurred_on) <= last,
        )
        .order_by(col(LedgerEntry.seq).desc())
        .limit(1)
    ).first()
    return {"seq": row[0], "hash": row[1]} if row else None


def month_figures(rows: Iterable[Any]) -> dict[str, Any]:
    """What a seal states of a month's entries: totals by material and kind, how many, and a
    digest of their content (not of their hashes, which a rewrite of an earlier month changes)."""
    totals: dict[str, dict[str, float]] = {}
    content = []
    n = 0
    for seq, kind, material, tonnes, on, document, delivery_id, evidence, corr, att in rows:
        n += 1
        key = totals_key(kind, delivery_id, att)
        by_kind = totals.setdefault(material, {})
        by_kind[key] = by_kind.get(key, 0.0) + tonnes
        content.append(
            [
                seq,
                kind,
                material,
                f"{tonnes:.3f}",
                str(on),
                document,
                delivery_id,
                [[d["id"], d["sha256"]] for d in evidence or []],
                corr,
                att,
            ]
        )
    text = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return {
        "entries": n,
        "totals": {
            m: {k: f"{t:.3f}" for k, t in sorted(kinds.items())}
            for m, kinds in sorted(totals.items())
        },
        "content_sha256": hashlib.sha256(text.encode()).hexdigest(),
    }


def seal(uow: UnitOfWork, report: Report, actor: Actor, key: SealKey, *, reason: str) -> Seal:
    """Sign the month as it stands now; a restatement adds the next version."""
    from market.tables import LedgerHead

    session = uow.session
    site = get(session, Site, report.site_id, what="site_id")
    org = session.get(Organisation, site.organisation_id)
    head = session.get(LedgerHead, report.site_id)
    version = (
        session.exec(
            select(func.max(Seal.version)).where(
                Seal.site_id == report.site_id, Seal.period == report.period
            )
        ).one()
        or 0
    ) + 1
    approver = session.get(User, report.approved_by) if report.approved_by else None
    statement = {
        "kind": STATEMENT_KIND,
        "site_id": report.site_id,
        "site": site.name,
        "organisation_id": site.organisation_id,
        "organisation": org.name if org else None,
        "period": report.period,
        "version": version,
        "reason": reason,
        "head": {"seq": head.seq, "hash": head.hash} if head else None,
        "month_last": month_last(session, report.site_id, report.period),
        **month_figures(month_rows(session, report.site_id, report.period)),
        "approved_by": approver.username if approver else None,
        "approved_at": report.approved_at.isoformat() if report.approved_at else None,
        "sealed_by": actor.username,
        "sealed_at": utcnow().isoformat(),
        "key_id": key.key_id,
    }
    text, signature = key.sign(statement)
    assert report.id is not None
    row = Seal(
        report_id=report.id,
        site_id=report.site_id,
        period=report.period,
        version=version,
        statement=text,
        signature=signature,
        key_id=key.key_id,
    )
    session.add(row)
    uow.flush()
    return row


def seal_export(session: Session, actor: Actor, report_id: int) -> dict[str, Any]:
    report = get(session, Report, report_id, what="report")
    readable_yard(session, actor, report.site_id)
    row = session.exec(
        select(Seal).where(Seal.report_id == report_id).order_by(col(Seal.version).desc())
    ).first()
    if row is None:
        raise NotFound(
            "report: {report_id} has no seal (it is {report_state})",
            field="report",
            report_id=report_id,
            report_state=report.status,
        )
    return {
        "report_id": report_id,
        "site_id": row.site_id,
        "period": row.period,
        "version": row.version,
        "key_id": row.key_id,
        "statement": row.statement,
        "signature": row.signature,
        "created_at": row.created_at.isoformat(),
    }
