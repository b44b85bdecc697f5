"""The JSON API of trusted figures: reporting months, corrections, evidence, attestation,
settlements and seals. Handlers parse, call one service, and answer JSON."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from market import clock, views
from market.documents import MEDIA_TYPES
from market.errors import InvalidInput
from market.services import corrections, deliveries, documents, reports
from market.settings import Settings
from market.tables import Document
from web import openapi
from web.api import (
    acting,
    body,
    paging,
    path_id,
    run_read,
    run_uow,
    seal_key_of,
    settings_of,
)
from web.errors import BadRequest

# the form's boundary and headers on top of the file itself
UPLOAD_OVERHEAD = 64_000
MAX_DOCUMENT_BODY = Settings.max_upload_bytes + UPLOAD_OVERHEAD
"""A request carrying one document (the setting's default size); the service checks the file."""


def _due_day(request: Request) -> int:
    return settings_of(request).report_due_day


def _report_public(request: Request, report: Any) -> dict[str, Any]:
    return reports.public(report, report.site_id, report.period, _due_day(request), clock.today())


# ----------------------------------------------------------------------------- months


async def site_reports(request: Request) -> Response:
    actor = await acting(request)
    site_id = path_id(request)
    if request.method == "POST":
        data = await body(request)
        report = await run_uow(request, reports.submit, actor, site_id, data, _due_day(request))
        return JSONResponse(_report_public(request, report), status_code=201)
    return JSONResponse(
        await run_read(request, reports.list_reports, actor, site_id, _due_day(request))
    )


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


async def report_item(request: Request) -> Response:
    actor = await acting(request)
    return JSONResponse(
        await run_read(request, reports.review, actor, path_id(request), _due_day(request))
    )


async def report_approve(request: Request) -> Response:
    actor = await acting(request)
    data = await body(request)
    report = await run_uow(
        request, reports.approve, actor, path_id(request), data, seal_key_of(request)
    )
    return JSONResponse(_report_public(request, report))


async def report_return(request: Request) -> Response:
    actor = await acting(request)
    data = await body(request)
    report = await run_uow(request, reports.return_report, actor, path_id(request), data)
    return JSONResponse(_report_public(request, report))


async def report_seal(request: Request) -> Response:
    actor = await acting(request)
    return JSONResponse(await run_read(request, reports.seal_export, actor, path_id(request)))


async def seal_key(request: Request) -> Response:
    return Response(seal_key_of(request).public_pem(), media_type="application/x-pem-file")


# ----------------------------------------------------------------------------- corrections


async def site_corrections(request: Request) -> Response:
    actor = await acting(request)
    site_id = path_id(request)
    if request.method == "POST":
        data = await body(request)
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


async def corrections_queue(request: Request) -> Response:
    actor = await acting(request)
    status = _status(request, ("pending", "approved", "rejected"), "pending")
    items = await run_read(
        request, corrections.list_corrections, actor, status=status, **paging(request, 200, 1000)
    )
    return JSONResponse({"status": status, "corrections": items})


async def correction_approve(request: Request) -> Response:
    actor = await acting(request)
    data = await body(request)
    row = await run_uow(
        request, corrections.approve, actor, path_id(request), data, seal_key_of(request)
    )
    return JSONResponse(corrections.public(row))


async def correction_reject(request: Request) -> Response:
    actor = await acting(request)
    data = await body(request)
    row = await run_uow(request, corrections.reject, actor, path_id(request), data)
    return JSONResponse(corrections.public(row))


# ----------------------------------------------------------------------------- attestation


async def attest(request: Request) -> Response:
    actor = await acting(request)
    data = await body(request)
    entry = await run_uow(
        request, corrections.attest, actor, path_id(request, "entry_id"), data, seal_key_of(request)
    )
    return JSONResponse(
        {"entry_id": entry.id, "attestation": entry.attestation, "kind": entry.kind}
    )


async def attestations_queue(request: Request) -> Response:
    actor = await acting(request)
    status = _status(request, ("pending", "attested", "rejected"), "pending")
    items = await run_read(
        request, corrections.claims, actor, status=status, **paging(request, 200, 1000)
    )
    return JSONResponse({"status": status, "claims": items})


# ----------------------------------------------------------------------------- documents


async def read_upload(request: Request, max_bytes: int) -> tuple[bytes, str | None]:
    """The multipart field `file`, refused by its declared length before it is read."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes + UPLOAD_OVERHEAD:
        raise InvalidInput(
            "file: {declared} bytes sent, at most {max_bytes} allowed",
            field="file",
            declared=declared,
            max_bytes=max_bytes,
        )
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise BadRequest("body: send the file as multipart/form-data in the field 'file'")
    async with request.form(max_files=1, max_fields=4, max_part_size=64_000) as form:
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidInput(
                "file: is required (a multipart file field named 'file')", field="file"
            )
        content = await upload.read(max_bytes + 1)
        return content, upload.filename


async def documents_collection(request: Request) -> Response:
    actor = await acting(request)
    limit = settings_of(request).max_upload_bytes
    try:
        content, filename = await read_upload(request, limit)
    except (ValueError, KeyError) as exc:  # a malformed multipart body
        raise BadRequest("body: not a readable multipart form ({exc})", exc=exc) from None
    doc = await run_uow(
        request,
        lambda uow, a: documents.upload(
            uow, a, content=content, filename=filename, max_bytes=limit
        ),
        actor,
    )
    return JSONResponse(documents.public(doc), status_code=201)


async def document_item(request: Request) -> Response:
    actor = await acting(request)
    doc: Document = await run_read(request, documents.readable, actor, path_id(request))
    return Response(
        doc.content,
        media_type=doc.media_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(doc.filename)}",
            "X-Content-SHA256": doc.sha256,
        },
    )


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


# ----------------------------------------------------------------------------- settlements


async def delivery_settlement(request: Request) -> Response:
    actor = await acting(request)
    data = await body(request)
    delivery, agreed = await run_uow(
        request, deliveries.propose_settlement, actor, path_id(request), data
    )
    return JSONResponse(views.delivery_public(delivery) | {"agreed": agreed})


async def delivery_arbitrate(request: Request) -> Response:
    actor = await acting(request)
    data = await body(request)
    delivery = await run_uow(request, deliveries.arbitrate, actor, path_id(request), data)
    return JSONResponse(views.delivery_public(delivery) | {"agreed": True})


def routes() -> list[Route]:
    return [
        Route("/sites/{id:int}/reports", site_reports, methods=["GET", "POST"]),
        Route("/reports", reports_queue, methods=["GET"]),
        Route("/reports/{id:int}", report_item, methods=["GET"]),
        Route("/reports/{id:int}/approve", report_approve, methods=["POST"]),
        Route("/reports/{id:int}/return", report_return, methods=["POST"]),
        Route("/reports/{id:int}/seal", report_seal, methods=["GET"]),
        Route("/sites/{id:int}/corrections", site_corrections, methods=["GET", "POST"]),
        Route("/corrections", corrections_queue, methods=["GET"]),
        Route("/corrections/{id:int}/approve", correction_approve, methods=["POST"]),
        Route("/corrections/{id:int}/reject", correction_reject, methods=["POST"]),
        Route("/documents", documents_collection, methods=["POST"]),
        Route("/documents/{id:int}", document_item, methods=["GET"]),
        Route("/ledger/{entry_id:int}/attest", attest, methods=["POST"]),
        Route("/attestations", attestations_queue, methods=["GET"]),
        Route("/deliveries/{id:int}/settlement", delivery_settlement, methods=["POST"]),
        Route("/deliveries/{id:int}/arbitrate", delivery_arbitrate, methods=["POST"]),
        Route("/audit/seal-key", seal_key, methods=["GET"]),
    ]


# ----------------------------------------------------------------------------- OpenAPI

_ID = [openapi.path_id()]
_MONTH = {"type": "string", "pattern": r"^20[0-9]{2}-(0[1-9]|1[0-2])$"}
_NOTE = {"type": "string", "maxLength": 1000}
_SIGNED_T = {"type": "number", "minimum": -1e9, "maximum": 1e9}
_DOC_IDS = {"type": "array", "items": {"type": "integer", "minimum": 1}, "maxItems": 10}


def _file_download() -> dict[str, Any]:
    """A document answers with its own media type, whichever of the four it is."""
    operation = openapi.op(
        "A document as uploaded",
        "its organisation; regulator, operator; an evaluator linked to it",
        params=_ID,
    )
    operation["responses"]["200"]["content"] = {
        media: {"schema": {"type": "string", "format": "binary"}} for media in MEDIA_TYPES.values()
    }
    return operation


def _status_query(*choices: str) -> dict[str, Any]:
    return openapi.query("status", {"type": "string", "enum": list(choices)})


openapi.register(
    {
        "/sites/{id}/reports": {
            "get": openapi.op(
                "A yard's reporting months with their state and due day",
                "the yard's producer; regulator, operator; a linked evaluator",
                openapi.ref("ReportList"),
                params=_ID,
            ),
            "post": openapi.op(
                "Submit an ended month (months are submitted in order)",
                "producer (the yard's)",
                openapi.ref("Report"),
                body="ReportSubmit",
                status=201,
                params=_ID,
            ),
        },
        "/reports": {
            "get": openapi.op(
                "The review queue: reports in a state, or the overdue months of every yard",
                "regulator, operator",
                params=[
                    _status_query("submitted", "approved", "returned", "overdue"),
                    *openapi.PAGING,
                ],
            )
        },
        "/reports/{id}": {
            "get": openapi.op(
                "One month for review: its entries, what changed since the month before, "
                "pending claims, history",
                "the yard's producer; regulator, operator; a linked evaluator",
                params=_ID,
            )
        },
        "/reports/{id}/approve": {
            "post": openapi.op(
                "Approve a submitted month: it locks and is sealed",
                "regulator",
                openapi.ref("Report"),
                body="ReportApprove",
                params=_ID,
            )
        },
        "/reports/{id}/return": {
            "post": openapi.op(
                "Return a submitted month with a reason",
                "regulator",
                openapi.ref("Report"),
                body="ReportReturn",
                params=_ID,
            )
        },
        "/reports/{id}/seal": {
            "get": openapi.op(
                "The latest seal of an approved month, to verify offline with the public key",
                "the yard's producer; regulator, operator; a linked evaluator",
                params=_ID,
            )
        },
        "/sites/{id}/corrections": {
            "get": openapi.op(
                "Corrections asked for a yard",
                "the yard's producer; regulator",
                params=[*_ID, *openapi.PAGING],
            ),
            "post": openapi.op(
                "Ask for a correction to a submitted or approved month",
                "producer (the yard's)",
                openapi.ref("Correction"),
                body="CorrectionRequest",
                status=201,
                params=_ID,
            ),
        },
        "/corrections": {
            "get": openapi.op(
                "Corrections in a state (default: pending), newest first",
                "regulator, operator; a producer sees its own",
                params=[_status_query("pending", "approved", "rejected"), *openapi.PAGING],
            )
        },
        "/corrections/{id}/approve": {
            "post": openapi.op(
                "Approve a correction: the entry is appended and the month sealed again",
                "regulator",
                openapi.ref("Correction"),
                body="CorrectionApprove",
                params=_ID,
            )
        },
        "/corrections/{id}/reject": {
            "post": openapi.op(
                "Reject a correction with a reason",
                "regulator",
                openapi.ref("Correction"),
                body="ReportReturn",
                params=_ID,
            )
        },
        "/documents": {
            "post": {
                **openapi.op(
                    "Upload a document (PDF, JPEG, PNG or XLSX, judged by content; 10 MB at most)",
                    "any user",
                    openapi.ref("Document"),
                    status=201,
                ),
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": openapi.obj(
                                {"file": {"type": "string", "format": "binary"}}, ["file"]
                            )
                        }
                    },
                },
            }
        },
        "/documents/{id}": {"get": _file_download()},
        "/ledger/{entry_id}/attest": {
            "post": openapi.op(
                "Attest or reject a producer's own-use or treatment claim",
                "regulator; an evaluator linked to the producer",
                body="Attest",
                params=[openapi.path_id("entry_id")],
            )
        },
        "/attestations": {
            "get": openapi.op(
                "Own-use and treatment claims in a state (default: pending)",
                "regulator, operator; an evaluator (its producers)",
                params=[_status_query("pending", "attested", "rejected"), *openapi.PAGING],
            )
        },
        "/deliveries/{id}/settlement": {
            "post": openapi.op(
                "Propose the tonnes a disputed delivery settles at; the same figure from the "
                "other party settles it",
                "the delivery's producer or recycler",
                openapi.ref("Delivery"),
                body="Settlement",
                params=_ID,
            )
        },
        "/deliveries/{id}/arbitrate": {
            "post": openapi.op(
                "Decide the tonnes of a disputed delivery",
                "regulator",
                openapi.ref("Delivery"),
                body="Settlement",
                params=_ID,
            )
        },
        "/audit/seal-key": {
            "get": {
                **openapi.op(
                    "The public key (PEM) that seals approved months", "anyone", public=True
                ),
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/x-pem-file": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
    },
    {
        "Report": openapi.obj(
            {
                "id": {"type": ["integer", "null"]},
                "site_id": {"type": "integer"},
                "period": {"type": "string"},
                "status": {"type": "string", "enum": ["open", "submitted", "approved", "returned"]},
                "due_on": {"type": "string", "format": "date"},
                "submitted_at": {"type": ["string", "null"]},
                "approved_at": {"type": ["string", "null"]},
                "approved_by": {"type": ["string", "null"]},
                "note": {"type": "string"},
            },
            ["site_id", "period", "status", "due_on"],
            closed=False,
        ),
        "ReportList": openapi.obj(
            {"reports": {"type": "array", "items": openapi.ref("Report")}},
            ["reports"],
            closed=False,
        ),
        "ReportSubmit": openapi.obj({"period": _MONTH}, ["period"]),
        "ReportApprove": openapi.obj({"note": _NOTE}),
        "ReportReturn": openapi.obj({"reason": {**_NOTE, "minLength": 1}}, ["reason"]),
        "Correction": openapi.obj(
            {
                "id": {"type": "integer"},
                "status": {"type": "string", "enum": ["pending", "approved", "rejected"]},
            },
            ["id", "status"],
            closed=False,
        ),
        "CorrectionRequest": openapi.obj(
            {
                "period": _MONTH,
                "material": {"type": "string"},
                "kind": {"type": "string", "enum": list(corrections.CORRECTION_KINDS)},
                "tonnes": _SIGNED_T,
                "reason": {**_NOTE, "minLength": 1},
                "evidence": _DOC_IDS,
            },
            ["period", "material", "kind", "tonnes", "reason"],
        ),
        "CorrectionApprove": openapi.obj({"note": _NOTE}),
        "Document": openapi.obj(
            {
                "id": {"type": "integer"},
                "sha256": {"type": "string"},
                "size": {"type": "integer"},
                "media_type": {"type": "string"},
                "filename": {"type": "string"},
            },
            ["id", "sha256", "size", "media_type", "filename"],
            closed=False,
        ),
        "Attest": openapi.obj(
            {"decision": {"type": "string", "enum": list(corrections.DECISIONS)}, "note": _NOTE},
            ["decision"],
        ),
        "Settlement": openapi.obj(
            {
                "settled_tonnes": {"type": "number", "minimum": 0, "maximum": 1e9},
                "note": {"type": "string", "maxLength": 500},
            },
            ["settled_tonnes"],
        ),
    },
)
