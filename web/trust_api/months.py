"""The JSON API of reporting months, corrections and attestation: a producer submits and asks,
the regulator (or a linked evaluator) decides. Handlers parse, call one service, and answer JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from market import clock
from market.errors import InvalidInput
from market.services import corrections, reports
from web.api import (
    act_on_item,
    acting,
    body,
    item_view,
    on_item,
    paging,
    path_id,
    run_read,
    run_uow,
    seal_key_of,
    settings_of,
)
from web.routing import Routes

routes = Routes()
attestation_routes = Routes()
seal_routes = Routes()


def _due_day(request: Request) -> int:
    return settings_of(request).report_due_day


def _report_public(request: Request, report: Any) -> dict[str, Any]:
    return reports.public(report, report.site_id, report.period, _due_day(request), clock.today())


# ----------------------------------------------------------------------------- months


@routes.route("/sites/{id:int}/reports", methods=["GET", "POST"])
async def site_reports(request: Request) -> Response:
    actor, site_id, data = await on_item(request)
    if data is not None:
        report = await run_uow(request, reports.submit, actor, site_id, data, _due_day(request))
        return JSONResponse(_report_public(request, report), status_code=201)
    return JSONResponse(
        await run_read(request, reports.list_reports, actor, site_id, _due_day(request))
    )


@routes.get("/reports")
async def reports_queue(request: Request) -> Response:
    actor = await acting(request)
    status = request.query_params.get("status", "submitted")
    items = await run_read(
        request,
        reports.queue,
        actor,
        _due_day(request),
        status=status,
        **paging(request, 200, 1000),
    )
    return JSONResponse({"status": status, "reports": items})


@routes.get("/reports/{id:int}")
async def report_item(request: Request) -> Response:
    return await item_view(request, reports.review, _due_day(request))


@routes.post("/reports/{id:int}/approve")
async def report_approve(request: Request) -> Response:
    report = await act_on_item(request, reports.approve, seal_key_of(request))
    return JSONResponse(_report_public(request, report))


@routes.post("/reports/{id:int}/return")
async def report_return(request: Request) -> Response:
    report = await act_on_item(request, reports.return_report)
    return JSONResponse(_report_public(request, report))


@routes.get("/reports/{id:int}/seal")
async def report_seal(request: Request) -> Response:
    return await item_view(request, reports.seal_export)


@seal_routes.get("/audit/seal-key")
async def seal_key(request: Request) -> Response:
    return Response(seal_key_of(request).public_pem(), media_type="application/x-pem-file")


# ----------------------------------------------------------------------------- corrections


@routes.route("/sites/{id:int}/corrections", methods=["GET", "POST"])
async def site_corrections(request: Request) -> Response:
    actor, site_id, data = await on_item(request)
    if data is not None:
        row = await run_uow(request, corrections.request, actor, site_id, data)
        return JSONResponse(corrections.public(row), status_code=201)
    await run_read(request, reports.readable_yard, actor, site_id)
    items = await run_read(
        request, corrections.list_corrections, actor, site_id=site_id, **paging(request, 200, 1000)
    )
    return JSONResponse({"corrections": items})


def _status(request: Request, choices: tuple[str, ...], default: str) -> str:
    raw = request.query_params.get("status", default)
    if raw not in choices:
        raise InvalidInput.about(
            "status", raw, "is not one of {choices}", choices=", ".join(choices)
        )
    return raw


async def _queue(
    request: Request, key: str, read: Callable[..., Any], choices: tuple[str, ...]
) -> Response:
    """The items in one state (`status`, default pending), a page of them: {status, key: rows}."""
    actor = await acting(request)
    status = _status(request, choices, "pending")
    items = await run_read(request, read, actor, status=status, **paging(request, 200, 1000))
    return JSONResponse({"status": status, key: items})


@routes.get("/corrections")
async def corrections_queue(request: Request) -> Response:
    choices = ("pending", "approved", "rejected")
    return await _queue(request, "corrections", corrections.list_corrections, choices)


@routes.post("/corrections/{id:int}/approve")
async def correction_approve(request: Request) -> Response:
    row = await act_on_item(request, corrections.approve, seal_key_of(request))
    return JSONResponse(corrections.public(row))


@routes.post("/corrections/{id:int}/reject")
async def correction_reject(request: Request) -> Response:
    row = await act_on_item(request, corrections.reject)
    return JSONResponse(corrections.public(row))


# ----------------------------------------------------------------------------- attestation


@attestation_routes.post("/ledger/{entry_id:int}/attest")
async def attest(request: Request) -> Response:
    actor = await acting(request)
    data = await body(request)
    entry = await run_uow(
        request, corrections.attest, actor, path_id(request, "entry_id"), data, seal_key_of(request)
    )
    return JSONResponse(
        {"entry_id": entry.id, "attestation": entry.attestation, "kind": entry.kind}
    )


@attestation_routes.get("/attestations")
async def attestations_queue(request: Request) -> Response:
    choices = ("pending", "attested", "rejected")
    return await _queue(request, "claims", corrections.claims, choices)
