"""Large CSV and Excel exports as jobs of kind `export` (docs/jobs.md).

An export of more rows than `Settings.inline_max_export_rows` is not written in the request: it
is queued, and a worker reads its rows in chunks of CHUNK_ROWS, reporting rows written as
progress (a cancel takes effect between chunks), writes the file with the same writer as the
inline export (so the two are byte for byte the same) and keeps it as a `document` row of the
starter's organisation, not in the job's JSON. `GET /api/v1/jobs/{id}/download` serves it to
whoever may see the job.

What can be exported this way (`what` in the job's parameters):
- `audit_entries`: the regulator's drill-down entries (`/api/v1/audit/entries?format=csv|xlsx`);
- `ledger`: a yard's ledger with the page's filters (`/ledger/export.csv|xlsx`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from typing import Any, cast

from sqlmodel import Session

from market import exports, jobs
from market.auth import Actor
from market.db import Database
from market.errors import InvalidInput, NotFound
from market.jobs import Claim, Progress
from market.settings import Settings
from market.tables import Document, Job

CHUNK_ROWS = 20_000
"""Each chunk re-sorts the selection (an OFFSET): fewer, larger chunks cost less in all."""
JOB_MAX_ROWS = 1_000_000
"""An Excel sheet holds 1,048,576 rows: an export as a job stops short of that."""
FORMATS = ("csv", "xlsx")
WHATS = ("audit_entries", "ledger")


def rows_to_write(count: int, offset: int, limit: int) -> int:
    return max(0, min(count - offset, limit))


def is_large(settings: Settings, rows: int) -> bool:
    return rows > settings.inline_max_export_rows


def start_export(
    db: Database,
    actor: Actor,
    settings: Settings,
    what: str,
    query: Mapping[str, Any],
    *,
    fmt: str,
    lang: str,
    filename: str,
) -> Job:
    """Queue an export that was checked in the request (its reader ran once with limit 0)."""
    if what not in WHATS:
        raise InvalidInput.about("what", what, "is not an export")
    if fmt not in FORMATS:
        raise InvalidInput.about("format", fmt, "is not one of {FORMATS}", FORMATS="csv, xlsx")
    with db.unit_of_work() as uow:
        job = jobs.enqueue(
            uow,
            "export",
            {
                "what": what,
                "query": dict(query),
                "format": fmt,
                "lang": lang,
                "filename": filename,
            },
            created_by=actor.user_id,
            organisation_id=actor.organisation_id,
            max_attempts=settings.job_max_attempts,
            stage="queued",
        )
        uow.commit()
    return job


class ChunkedRows:
    """The rows of an export, read `CHUNK_ROWS` at a time while the writer iterates them; each
    chunk first reports the rows written so far (and so stops there when the job is cancelled).
    Its length is known beforehand, as the writers ask for it."""

    def __init__(
        self,
        fetch: Callable[[int, int], list[dict[str, Any]]],
        total: int,
        progress: Callable[[float, str], None],
        chunk: int | None = None,
    ) -> None:
        self.fetch, self.total, self.progress = fetch, total, progress
        self.chunk = chunk or CHUNK_ROWS
        self.written = 0

    def __len__(self) -> int:
        return self.total

    def __bool__(self) -> bool:
        return self.total > 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        done = 0
        while done < self.total:
            self.progress(0.95 * done / self.total, "writing rows")
            rows = self.fetch(done, min(self.chunk, self.total - done))
            if not rows:
                break
            yield from rows
            done += len(rows)
            self.written = done


def _audit_entries(
    session: Session, actor: Actor, query: Mapping[str, Any], progress: Progress
) -> tuple[list[exports.Table], int]:
    from market import audit

    raw = {k: str(v) for k, v in query.items() if v is not None}
    period = audit.parse_period(raw["period"]) if raw.get("period") else None
    scope = audit.parse_scope(raw)
    kind = raw.get("kind") or None
    offset, limit = int(query["offset"]), int(query["limit"])
    data = audit.ledger_entries(session, actor, period, scope, kind=kind, limit=0, offset=0)
    total = rows_to_write(data["count"], offset, limit)

    def fetch(start: int, size: int) -> list[dict[str, Any]]:
        part = audit.ledger_entries(
            session, actor, period, scope, kind=kind, limit=size, offset=offset + start
        )
        return cast(list[dict[str, Any]], part["entries"])

    data["entries"] = ChunkedRows(fetch, total, progress)
    data["limit"], data["offset"] = limit, offset
    return exports.entries_tables(data), total


def _ledger(
    session: Session, actor: Actor, query: Mapping[str, Any], progress: Progress
) -> tuple[list[exports.Table], int]:
    from market import views

    month = query.get("month")
    wanted: dict[str, Any] = {
        "material": query.get("material"),
        "kind": query.get("kind"),
        "month": (date.fromisoformat(month[0]), date.fromisoformat(month[1])) if month else None,
    }
    site_id = int(query["site_id"])
    book = views.site_ledger(session, actor, site_id, **wanted, limit=0, offset=0)
    total = min(int(book["count"]), JOB_MAX_ROWS)

    def fetch(start: int, size: int) -> list[dict[str, Any]]:
        part = views.site_ledger(session, actor, site_id, **wanted, limit=size, offset=start)
        return cast(list[dict[str, Any]], part["entries"])

    rows = ChunkedRows(fetch, total, progress)
    return exports.ledger_tables(cast(Any, rows)), total


READERS = {"audit_entries": _audit_entries, "ledger": _ledger}


def do_export(db: Database, settings: Settings, claimed: Claim, progress: Progress) -> None:
    from market.services.jobs import _actor

    actor = _actor(db, claimed)
    assert actor is not None
    params = claimed.params
    fmt, lang = params["format"], params["lang"]
    progress(0.0, "counting rows")
    with db.read_session() as session:
        tables, total = READERS[params["what"]](session, actor, params["query"], progress)
        body = exports.render(tables, fmt, lang)
    progress(0.97, "saving")
    filename = f"wastematch-{params['filename']}.{fmt}"
    with db.unit_of_work() as uow:
        document = Document(
            sha256=hashlib.sha256(body).hexdigest(),
            size=len(body),
            media_type=exports.MEDIA[fmt],
            filename=filename[:200],
            content=body,
            organisation_id=actor.organisation_id,
            uploaded_by=actor.user_id,
        )
        uow.session.add(document)
        uow.flush()
        jobs.finish(
            db,
            claimed,
            result={
                "document_id": document.id,
                "filename": document.filename,
                "media_type": document.media_type,
                "size": document.size,
                "rows": total,
                "download_url": f"/api/v1/jobs/{claimed.id}/download",
            },
            result_url=f"/api/v1/jobs/{claimed.id}/download",
            uow=uow,
        )
        uow.commit()


def download(session: Session, actor: Actor, job_id: int) -> tuple[bytes, str, str]:
    """The file a done export job wrote: (content, media type, filename)."""
    from market.services.jobs import get_job

    job = get_job(session, actor, job_id)
    document_id = (job.result or {}).get("document_id") if job.kind == "export" else None
    document = session.get(Document, document_id) if job.status == "done" and document_id else None
    if document is None:
        raise NotFound(
            "job: {job_id} has no file to download (status {job_status})",
            field="job",
            job_id=job_id,
            job_status=job.status,
        )
    return document.content, document.media_type, document.filename
