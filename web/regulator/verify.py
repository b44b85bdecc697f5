"""The tamper check: the ledger's hash chains verified (inline, or as a job when the ledger is
large), and compared with an uploaded checkpoint (the JSON of an earlier check)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from market import audit, clock
from market.errors import InvalidInput
from market.services import jobs as job_service
from web import i18n, jobs_pages
from web.api import db_of, json_object, run_read, settings_of
from web.audit_api import MAX_CHECKPOINT_BODY
from web.regulator.common import overseer
from web.render import lang_of, render
from web.routing import Routes
from web.security import check_csrf

routes = Routes()

# the file, plus the form's token and the multipart framing around it (BodyLimit, in web.app,
# refuses a larger body before the form is read)
MAX_CHECKPOINT_UPLOAD = MAX_CHECKPOINT_BODY + 100_000


# ----------------------------------------------------------------------------- verification


@routes.route("/audit/verify", methods=["GET", "POST"])
async def verify_page(request: Request) -> Response:
    """The tamper check; a POST compares the ledger with an uploaded checkpoint (the JSON of an
    earlier check), and a file that cannot be read re-renders the page with one line saying why."""
    actor = await overseer(request)
    raw = request.query_params.get("organisation", "")
    organisation = audit.parse_scope({"organisation": raw}).organisation_id
    refusal = None
    if request.method == "POST":
        try:
            checkpoint = await _checkpoint_upload(request)
            comparison = await run_read(request, audit.compare_checkpoint, actor, checkpoint)
        except InvalidInput as exc:
            refusal = i18n.refusal(exc, lang_of(request))
        else:
            ctx = _verify_context() | {
                "result": comparison["verification"],
                "org": None,
                "comparison": comparison,
                "changed": _changed_first(comparison["sites"]),
            }
            return render(request, "regulator/verify.html", ctx)

    job = await jobs_pages.stored_result(request, actor, "verify")
    if job is None and request.method == "GET" and organisation is None:
        if await run_read(request, _ledger_size) > VERIFY_INLINE_MAX_ENTRIES:
            return jobs_pages.start_page(
                request, "Ledger verification", "/audit/verify/jobs", VERIFY_IN_BACKGROUND, {}
            )

    def read(session: Session) -> dict[str, Any]:
        org = None
        scope = job.params.get("organisation_id") if job else organisation
        if scope is not None:
            org = audit.organisation_of(session, actor, scope)
        if job is not None:
            return {"result": job.result, "org": org}
        return {"result": audit.verify(session, actor, organisation), "org": org}

    ctx = await run_read(request, read) | _verify_context() | {"checkpoint_error": refusal}
    return render(
        request, "regulator/verify.html", ctx, status_code=200 if refusal is None else 422
    )


VERIFY_INLINE_MAX_ENTRIES = 50_000
"""Past this many ledger entries the page checks them as a job (the full check of 288,000
took 27 s in a request)."""
VERIFY_IN_BACKGROUND = (
    "The ledger is large: the full check runs in the background and this page follows it."
)


def _ledger_size(session: Session) -> int:
    from sqlalchemy import func
    from sqlmodel import select

    from market.tables import LedgerEntry

    return int(session.exec(select(func.count()).select_from(LedgerEntry)).one())


@routes.post("/audit/verify/jobs")
async def verify_job(request: Request) -> Response:
    """The full tamper check as a job; its page follows it and shows the result here."""
    actor = await overseer(request)
    check_csrf(request, await request.form())
    raw = request.query_params.get("organisation", "")
    organisation = audit.parse_scope({"organisation": raw}).organisation_id
    job = await run_in_threadpool(
        job_service.start_verify, db_of(request), actor, settings_of(request), organisation
    )
    return jobs_pages.to_job(request, job)


CHECKPOINT_ROWS = 500
STATUS_CLASS = {
    "unchanged": "ok",
    "extended": "ok",
    "new": "reserved",
    "rewritten": "flag",
    "truncated": "flag",
    "site_missing": "flag",
}
STATUS_NAMES = {
    "unchanged": "Unchanged",
    "extended": "Extended",
    "new": "New since the checkpoint",
    "rewritten": "Rewritten",
    "truncated": "Truncated",
    "site_missing": "Site missing",
}


def _changed_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every yard that is not as at the checkpoint, what a regulator must look at first."""
    order = ("rewritten", "truncated", "site_missing", "new", "extended")
    return sorted(
        (r for r in rows if r["status"] != "unchanged"),
        key=lambda r: (order.index(r["status"]), r["site_id"]),
    )


def _verify_context() -> dict[str, Any]:
    return {
        "today": f"{clock.today():%Y%m%d}",
        "status_class": STATUS_CLASS,
        "status_names": STATUS_NAMES,
        "checkpoint_rows": CHECKPOINT_ROWS,
        "checkpoint_error": None,
    }


async def _checkpoint_upload(request: Request) -> dict[str, Any]:
    """The uploaded file as a JSON object, after the form's CSRF token is checked."""
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        raise InvalidInput("file: a Content-Length is required", field="file")
    # leaving the block closes the spooled upload, whether or not it was read
    async with request.form(max_files=1, max_fields=5) as form:
        check_csrf(request, form)
        upload = form.get("checkpoint")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput(
                "file: none chosen; choose the JSON of an earlier check", field="file"
            )
        data = await upload.read(MAX_CHECKPOINT_BODY + 1)
    if len(data) > MAX_CHECKPOINT_BODY:
        raise InvalidInput(
            "file: more than {MAX_CHECKPOINT_BODY:,} bytes",
            field="file",
            MAX_CHECKPOINT_BODY=MAX_CHECKPOINT_BODY,
        )
    if not data.strip():
        raise InvalidInput("file: is empty; choose the JSON of an earlier check", field="file")
    try:
        # a UTF-8 byte-order mark is what some editors put in front of a saved file
        return json_object(data.removeprefix(b"\xef\xbb\xbf"))
    except InvalidInput as exc:
        raise InvalidInput(
            "file: {inner}; choose the JSON of an earlier check, not its CSV or Excel export",
            field="file",
            inner=exc,
        ) from None
