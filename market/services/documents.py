"""Evidence: documents uploaded once and cited by ledger entries, corrections and receipts.

A document is stored with its SHA-256; an entry that cites it records that hash in its own
(hashed) content, so a file swapped in the database afterwards is found by the tamper check.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from market.auth import Actor
from market.db import UnitOfWork
from market.documents import ACCEPTED, safe_filename, sniff
from market.errors import InvalidInput, NotFound
from market.services.common import MAX_ID, OVERSEERS
from market.tables import Document, EvaluatorLink

MAX_EVIDENCE = 10


def upload(
    uow: UnitOfWork, actor: Actor, *, content: bytes, filename: str | None, max_bytes: int
) -> Document:
    if not content:
        raise InvalidInput("file: is empty", field="file")
    if len(content) > max_bytes:
        raise InvalidInput(
            "file: {n_content} bytes, at most {max_bytes} allowed",
            field="file",
            value=None,
            n_content=len(content),
            max_bytes=max_bytes,
        )
    media_type = sniff(content)
    if media_type is None:
        raise InvalidInput(
            "file: {value!r} is not a {ACCEPTED} file (judged by its content)",
            field="file",
            value=safe_filename(filename),
            ACCEPTED=ACCEPTED,
        )
    doc = Document(
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        media_type=media_type,
        filename=safe_filename(filename),
        content=content,
        organisation_id=actor.organisation_id,
        uploaded_by=actor.user_id,
    )
    uow.session.add(doc)
    uow.commit()
    return doc


def public(doc: Document) -> dict[str, Any]:
    return {
        "id": doc.id,
        "sha256": doc.sha256,
        "size": doc.size,
        "media_type": doc.media_type,
        "filename": doc.filename,
        "uploaded_at": doc.uploaded_at.isoformat(),
    }


def evaluates(session: Session, evaluator_org_id: int, producer_org_id: int) -> bool:
    return (
        session.get(EvaluatorLink, (evaluator_org_id, producer_org_id)) is not None
        if evaluator_org_id and producer_org_id
        else False
    )


def readable(session: Session, actor: Actor, doc_id: int) -> Document:
    """The uploader's organisation, regulators and operators, and an evaluator linked to the
    uploader read a document; to anyone else it does not exist."""
    doc = session.get(Document, doc_id) if 0 < doc_id <= MAX_ID else None
    if doc is None or not (
        actor.role in OVERSEERS
        or doc.organisation_id == actor.organisation_id
        or (
            actor.role == "evaluator"
            and evaluates(session, actor.organisation_id, doc.organisation_id)
        )
    ):
        raise NotFound("document: {value} does not exist", field="document", value=doc_id)
    return doc


def cite(
    session: Session, actor: Actor, raw: Any, *, field: str = "evidence"
) -> list[dict[str, Any]]:
    """Document ids as given in a request → [{"id", "sha256"}], each the actor's own upload."""
    if raw is None or raw == "" or raw == []:
        return []
    if isinstance(raw, int | str) and not isinstance(raw, bool):
        raw = [raw]
    if not isinstance(raw, list):
        raise InvalidInput.about(field, raw, "must be a list of document ids")
    if len(raw) > MAX_EVIDENCE:
        raise InvalidInput.about(
            field, len(raw), "documents cited; at most {MAX_EVIDENCE}", MAX_EVIDENCE=MAX_EVIDENCE
        )
    ids: list[int] = []
    for item in raw:
        text = str(item).strip() if not isinstance(item, bool) else ""
        if not (text.isascii() and text.isdigit() and 0 < len(text) <= 10):
            raise InvalidInput.about(field, item, "is not a document id")
        if int(text) not in ids:
            ids.append(int(text))
    docs = _own(session, actor, ids)
    missing = [i for i in ids if i not in docs]
    if missing:
        raise InvalidInput.about(field, missing[0], "is not a document your organisation uploaded")
    return [{"id": i, "sha256": docs[i].sha256} for i in ids]


def _own(session: Session, actor: Actor, ids: Sequence[int]) -> dict[int, Document]:
    wanted = [i for i in ids if 0 < i <= MAX_ID]
    if not wanted:
        return {}
    rows = session.exec(
        select(Document).where(
            col(Document.id).in_(wanted), Document.organisation_id == actor.organisation_id
        )
    ).all()
    return {d.id: d for d in rows if d.id is not None}
