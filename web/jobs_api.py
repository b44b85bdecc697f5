"""Jobs under /api/v1/jobs: what a queued piece of long work is doing, its result, cancelling it.

`queued(job)` is the 202 answer of the routes that start long work (match runs, the planner,
siting, the full tamper check): `{"job": {"id", "url"}}` with a Location header.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from market import audit
from market.services import jobs as job_service
from market.tables import Job
from web import openapi
from web.api import acting, db_of, overseer, path_id, query_int, run_read, run_uow, settings_of
from web.api_support import item_reader
from web.routing import Routes

routes = Routes()


def queued(job: Job) -> Response:
    url = f"/api/v1/jobs/{job.id}"
    return JSONResponse(
        {"job": {"id": job.id, "url": url, "kind": job.kind, "status": job.status}},
        status_code=202,
        headers={"location": url},
    )


@routes.get("/jobs")
async def job_list(request: Request) -> Response:
    actor = await acting(request)
    limit = query_int(request, "limit", 20, 100)
    return JSONResponse({"jobs": await run_read(request, job_service.list_jobs, actor, limit)})


job_item = routes.get("/jobs/{id:int}")(item_reader(job_service.read_job))
job_result = routes.get("/jobs/{id:int}/result")(item_reader(job_service.job_result))


@routes.post("/jobs/{id:int}/cancel")
async def job_cancel(request: Request) -> Response:
    actor = await acting(request)
    job_id = path_id(request)
    job = await run_uow(request, lambda uow: job_service.cancel(uow, actor, job_id))
    return JSONResponse(job_service.job_public(job))


@routes.post("/audit/verify")
async def verify_job(request: Request) -> Response:
    """POST /audit/verify: the full tamper check as a job (GET answers at once, as before)."""
    actor = await overseer(request)
    q = request.query_params
    organisation = audit.parse_scope({"organisation": q.get("organisation", "")}).organisation_id
    job = await run_in_threadpool(
        job_service.start_verify, db_of(request), actor, settings_of(request), organisation
    )
    return queued(job)


# ----------------------------------------------------------------------------- OpenAPI

_STATUS = {"type": "string", "enum": ["queued", "running", "done", "failed", "cancelled"]}
_NULLABLE_STR: dict[str, Any] = {"type": ["string", "null"]}

openapi.register(
    {
        "/jobs": {
            "get": openapi.op(
                "My jobs (and those of my organisation), newest first",
                "any user",
                openapi.list_of("jobs", "Job"),
                params=[openapi.query("limit", {"type": "integer", "minimum": 0, "maximum": 100})],
            )
        },
        "/jobs/{id}": {
            "get": openapi.op(
                "A job: status, progress 0-1, stage, result_url when done, error when failed",
                "who started it, their organisation; regulators for tamper checks",
                openapi.ref("Job"),
                params=[openapi.path_id()],
            )
        },
        "/jobs/{id}/result": {
            "get": openapi.op(
                "The result of a done planner, siting or tamper-check job (a match run's "
                "result is its run: GET /match-runs/{id})",
                "who may read the job",
                {"type": "object"},
                params=[openapi.path_id()],
            )
        },
        "/jobs/{id}/cancel": {
            "post": openapi.op(
                "Cancel a job: a queued one at once, a running one at its next stage",
                "who started it (an operator, for a scheduled run)",
                openapi.ref("Job"),
                params=[openapi.path_id()],
            )
        },
        "/audit/verify": {
            "post": openapi.op(
                "Queue the full tamper check as a job (GET /audit/verify answers at once); "
                "the result is GET /jobs/{id}/result",
                "regulator, operator",
                openapi.ref("JobAccepted"),
                status=202,
                params=[openapi.query("organisation", {"type": "integer", "minimum": 1})],
            )
        },
    },
    {
        "Job": openapi.obj(
            {
                "id": {"type": "integer"},
                "kind": {
                    "type": "string",
                    "enum": ["match_run", "drawdown", "siting", "verify", "export"],
                },
                "status": _STATUS,
                "progress": {"type": "number", "minimum": 0, "maximum": 1},
                "stage": {"type": "string"},
                "result_url": _NULLABLE_STR,
                "error": _NULLABLE_STR,
                "url": {"type": "string"},
                "attempts": {"type": "integer"},
                "cancel_requested": {"type": "boolean"},
                "created_at": _NULLABLE_STR,
                "started_at": _NULLABLE_STR,
                "finished_at": _NULLABLE_STR,
            },
            ["id", "kind", "status", "progress", "stage", "result_url", "error"],
            closed=False,
        ),
        "JobAccepted": openapi.obj(
            {
                "job": openapi.obj(
                    {
                        "id": {"type": "integer"},
                        "url": {"type": "string"},
                        "kind": {"type": "string"},
                        "status": _STATUS,
                    },
                    ["id", "url"],
                    closed=False,
                )
            },
            ["job"],
        ),
    },
)
for _path in ("/match-runs", "/planning/drawdown", "/planning/siting"):
    openapi.may_queue(_path, "post")
