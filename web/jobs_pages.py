"""A job's page: a progress bar with the stage, polled by htmx, that opens the result when the
job is done (GET /jobs/{id}, its fragment /jobs/{id}/progress, and the cancel button)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market.auth import Actor
from market.errors import NotFound
from market.services import jobs as job_service
from market.tables import Job
from web.api import path_id, run_read, run_uow, whole
from web.render import render
from web.routing import Routes
from web.security import check_csrf, require_actor

routes = Routes()


def _context(job: Job, actor: Any) -> dict[str, Any]:
    own = job.created_by == actor.user_id or (job.created_by is None and actor.role == "operator")
    return {
        "job": job,
        "title": job_service.KIND_TITLES.get(job.kind, job.kind),
        "percent": int(round(job.progress * 100)),
        "result_page": job_service.page_of_result(job),
        "can_cancel": own and job.status in ("queued", "running") and not job.cancel_requested,
    }


async def _job(request: Request) -> tuple[Job, Any]:
    actor = await require_actor(request)
    job = await run_read(request, job_service.get_job, actor, path_id(request))
    return job, actor


@routes.get("/jobs/{id:int}")
async def job_page(request: Request) -> Response:
    job, actor = await _job(request)
    return render(request, "jobs/job.html", _context(job, actor))


@routes.get("/jobs/{id:int}/progress")
async def job_progress(request: Request) -> Response:
    """The bar alone, for htmx; once the job is done, htmx is sent on to the result."""
    job, actor = await _job(request)
    result_page = job_service.page_of_result(job)
    if result_page and job.kind != "export" and request.headers.get("hx-request") == "true":
        return Response(status_code=200, headers={"HX-Redirect": result_page})
    return render(request, "jobs/job.html", _context(job, actor), block="progress")


@routes.post("/jobs/{id:int}/cancel")
async def job_cancel(request: Request) -> Response:
    actor = await require_actor(request)
    check_csrf(request, await request.form())
    job_id = path_id(request)
    await run_uow(request, lambda uow: job_service.cancel(uow, actor, job_id))
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


def to_job(request: Request, job: Job) -> Response:
    """Send the browser to the page that follows a job just started."""
    url = f"/jobs/{job.id}"
    if request.headers.get("hx-request") == "true":
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


async def stored_result(request: Request, actor: Actor, kind: str) -> Job | None:
    """The done job of this kind named by `?job=`, for a page that shows its result; None
    without `?job=`; not found when it is someone else's, of another kind, or not done."""
    raw = request.query_params.get("job")
    if raw is None:
        return None
    job_id = whole(raw)
    job = await run_read(request, job_service.get_job, actor, job_id or 0)
    if job.kind != kind or job.status != "done" or job.result is None:
        raise NotFound("job: {value} has no {kind} result", field="job", value=raw, kind=kind)
    return job


def start_page(
    request: Request, title: str, action: str, explanation: str, fields: dict[str, str]
) -> Response:
    """A page with one button that starts long work in the background (a POST with CSRF)."""
    return render(
        request,
        "jobs/start.html",
        {"title": title, "action": action, "explanation": explanation, "fields": fields},
    )
