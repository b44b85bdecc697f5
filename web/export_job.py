"""Large exports as jobs over HTTP (market/services/export_jobs.py, docs/jobs.md).

- The regulator's entries (`GET /api/v1/audit/entries?format=csv|xlsx`) answer 202 with the job
  when they hold more rows than `inline_max_export_rows`; the entries page then links to
  `/audit/entries/export`, a page with one button (a POST with CSRF) that starts the job and
  opens its progress page.
- The yard's ledger (`/ledger/export.csv|xlsx`): GET of a large export is the same one-button
  page, its POST starts the job.
- `GET /api/v1/jobs/{id}/download` and `/jobs/{id}/download` serve the file a done export wrote,
  to whoever may see the job (404 to anyone else).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from market import audit, exports
from market.auth import Actor
from market.services import export_jobs
from market.tables import Job
from web.api import db_of, path_id, run_read, settings_of
from web.routing import Routes

api_routes = Routes()
page_routes = Routes()

AUDIT_QUERY = ("period", "prefecture", "county", "organisation", "material", "kind")


async def start_if_large(
    request: Request,
    actor: Actor,
    q: Mapping[str, str],
    read: Callable[[int, int], Awaitable[dict[str, Any]]],
    limit: int,
    offset: int,
    lang: str,
) -> Response | None:
    """The entries export as a job (202) when it has more rows than the inline maximum;
    `read(limit, offset)` reads the entries the query asks for (the head here: no rows)."""
    from web.jobs_api import queued

    head = await read(0, 0)
    rows = export_jobs.rows_to_write(head["count"], offset, limit)
    if not export_jobs.is_large(settings_of(request), rows):
        return None
    return queued(await _entries_job(request, actor, q, head, q["format"], lang, limit, offset))


async def _entries_job(
    request: Request,
    actor: Actor,
    q: Mapping[str, str],
    head: Mapping[str, Any],
    fmt: str,
    lang: str,
    limit: int,
    offset: int,
) -> Job:
    """The job that writes the entries the query asks for (`head`: their period, no rows)."""
    return await run_in_threadpool(
        export_jobs.start_export,
        db_of(request),
        actor,
        settings_of(request),
        "audit_entries",
        {k: q[k] for k in AUDIT_QUERY if q.get(k)} | {"limit": limit, "offset": offset},
        fmt=fmt,
        lang=lang,
        filename=f"entries-{head['period']}",
    )


def _start_page(request: Request) -> Response:
    """A large export's page: one button, which posts back to this URL to start the job."""
    from web.jobs_pages import start_page

    return start_page(
        request,
        "Export",
        f"{request.url.path}?{urlencode(list(request.query_params.multi_items()))}",
        "This export is large: it is written in the background, then offered for download.",
        {},
    )


def ledger_query(site_id: int, wanted: Mapping[str, Any]) -> dict[str, Any]:
    month: tuple[date, date] | None = wanted.get("month")
    return {
        "site_id": site_id,
        "material": wanted.get("material"),
        "kind": wanted.get("kind"),
        "month": [month[0].isoformat(), month[1].isoformat()] if month else None,
    }


async def ledger_job(
    request: Request, actor: Actor, site_id: int, wanted: Mapping[str, Any], tail: str
) -> Response:
    """GET: the page with one button; POST (its CSRF checked by the caller): the job, and its
    progress page."""
    from web.jobs_pages import to_job
    from web.render import lang_of

    fmt = request.path_params["fmt"]
    if request.method != "POST":
        return _start_page(request)
    job = await run_in_threadpool(
        export_jobs.start_export,
        db_of(request),
        actor,
        settings_of(request),
        "ledger",
        ledger_query(site_id, wanted),
        fmt=fmt,
        lang=lang_of(request),
        filename=f"ledger-{tail}",
    )
    return to_job(request, job)


def attachment(content: bytes | str, media_type: str, filename: str) -> Response:
    """A file to save, not to show: every export and download answers this way (not cached)."""
    return Response(
        content,
        media_type=media_type,
        headers={
            "content-disposition": f'attachment; filename="{filename}"',
            "cache-control": "no-store",
        },
    )


@api_routes.get("/jobs/{id:int}/download")
@page_routes.get("/jobs/{id:int}/download")
async def download(request: Request) -> Response:
    from web.security import require_actor

    actor = await require_actor(request)
    content, media_type, filename = await run_read(
        request, export_jobs.download, actor, path_id(request)
    )
    csv = media_type.startswith("text/csv")
    return attachment(content, "text/csv; charset=utf-8" if csv else media_type, filename)


@page_routes.route("/audit/entries/export", methods=["GET", "POST"])
async def audit_entries_page(request: Request) -> Response:
    """/audit/entries/export: a large entries export started from the regulator's page."""
    from web.jobs_pages import to_job
    from web.regulator.common import overseer
    from web.render import lang_of
    from web.security import check_csrf

    actor = await overseer(request)
    q = request.query_params
    if request.method != "POST":
        return _start_page(request)
    check_csrf(request, await request.form())
    fmt = q.get("format") or "csv"
    period = audit.parse_period(q["period"]) if q.get("period") else None
    scope = audit.parse_scope(q)
    head = await run_read(
        request, audit.ledger_entries, actor, period, scope, kind=q.get("kind") or None, limit=0
    )
    job = await _entries_job(request, actor, q, head, fmt, lang_of(request), 100_000, 0)
    return to_job(request, job)


# ----------------------------------------------------------------------------- OpenAPI


def _download_operation() -> dict[str, Any]:
    from web import openapi

    operation = openapi.op(
        "The file a done export job wrote (CSV or Excel), as an attachment",
        "who may read the job: who started it and their organisation",
        {"type": "string"},
        params=[openapi.path_id()],
    )
    content = operation["responses"]["200"]["content"]
    del content["application/json"]
    content["text/csv"] = {"schema": {"type": "string"}}
    content[exports.MEDIA["xlsx"]] = {"schema": {"type": "string", "format": "binary"}}
    return operation


def _register() -> None:
    from web import openapi

    openapi.register({"/jobs/{id}/download": {"get": _download_operation()}})
    # over `inline_max_export_rows` rows, `?format=csv|xlsx` answers 202 with the job
    openapi.may_queue("/audit/entries", "get")


_register()
