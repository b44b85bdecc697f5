"""The papers over the JSON API: transfer manifests and contracts as PDFs, the statutory 台账 as
a workbook, a day's trucks at once, the weighbridge ticket, the lot's lab report."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import quote

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from market import audit, statutory, views
from market.auth import Actor
from market.db import UnitOfWork
from market.documents import MEDIA_TYPES
from market.errors import NotFound
from market.papers import facts, pdf, service
from market.services.common import MAX_ID
from market.tables import Document, LotLabReport
from web import openapi
from web.api import act_on_item, acting, body, path_id, run_read, run_uow
from web.routing import Routes

routes = Routes()

T = TypeVar("T")

XLSX = MEDIA_TYPES["xlsx"]


def receipt_url(request: Request, delivery_id: int) -> str:
    """The page the manifest's QR code opens: the delivery's receipt page on this server."""
    return f"{str(request.base_url).rstrip('/')}/deliveries/{delivery_id}/receipt"


def _file(content: bytes, media_type: str, name: str, *, inline: bool = True) -> Response:
    how = "inline" if inline else "attachment"
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f"{how}; filename*=UTF-8''{quote(name, safe='')}"},
    )


@routes.get("/deliveries/{id:int}/manifest.pdf")
async def manifest(request: Request) -> Response:
    actor = await acting(request)
    delivery_id = path_id(request)
    d = await run_read(request, facts.delivery_facts, actor, delivery_id)
    content = pdf.manifest_pdf(d, receipt_url(request, delivery_id))
    return _file(content, "application/pdf", f"manifest-{d.manifest_no}.pdf")


@routes.get("/contracts/{id:int}/contract.pdf")
async def contract(request: Request) -> Response:
    actor = await acting(request)
    c = await run_read(request, facts.contract_facts, actor, path_id(request))
    return _file(pdf.contract_pdf(c), "application/pdf", f"contract-{c.id}.pdf")


def _period(request: Request) -> audit.Period:
    q = request.query_params
    return statutory.parse_period(q.get("year"), q.get("month"))


def _statutory_ledger(
    scope_of: Callable[[Session, Actor, int], statutory.Scope],
) -> Callable[[Request], Awaitable[Response]]:
    """The handler of the statutory ledger workbook of the scope `scope_of(session, actor, id)`
    names."""

    async def workbook(request: Request) -> Response:
        actor = await acting(request)
        period = _period(request)

        def read(session: Session) -> dict[str, Any]:
            scope = scope_of(session, actor, path_id(request))
            return statutory.build(session, scope, period)

        data = await run_read(request, read)
        return _file(statutory.workbook(data), XLSX, statutory.filename(data), inline=False)

    return workbook


site_ledger = routes.get("/sites/{id:int}/statutory-ledger.xlsx", name="site_workbook")(
    _statutory_ledger(statutory.scope_of_site)
)
organisation_ledger = routes.get(
    "/organisations/{id:int}/statutory-ledger.xlsx", name="organisation_workbook"
)(_statutory_ledger(statutory.scope_of_organisation))


@routes.post("/contracts/{id:int}/trucks")
async def trucks(request: Request) -> Response:
    made = await act_on_item(request, service.dispatch_trucks)
    rows = []
    for d in made:
        rows.append(
            views.delivery_public(d) | {"manifest_url": f"/api/v1/deliveries/{d.id}/manifest.pdf"}
        )
    return JSONResponse({"deliveries": rows}, status_code=201)


@routes.post("/deliveries/{id:int}/driver")
async def driver(request: Request) -> Response:
    actor = await acting(request)
    data = await body(request)
    papers = await run_uow(request, service.set_driver, actor, path_id(request), data.get("driver"))
    return JSONResponse({"delivery_id": papers.delivery_id, "driver": papers.driver})


async def _paper(
    request: Request,
    attach: Callable[[UnitOfWork, Actor, int, Any], T],
    public: Callable[[T], dict[str, Any]],
    stored: Callable[[Session, Actor, int], Document],
) -> Response:
    """A paper of the item the path names (a delivery's ticket, a lot's lab report): POST
    attaches an uploaded document (`{"document": id}`), GET sends the file."""
    actor = await acting(request)
    item = path_id(request)
    if request.method == "POST":
        data = await body(request)
        row = await run_uow(request, attach, actor, item, data.get("document"))
        return JSONResponse(public(row))
    doc = await run_read(request, stored, actor, item)
    return _file(doc.content, doc.media_type, doc.filename)


def _ticket_public(papers: Any) -> dict[str, Any]:
    return {
        "delivery_id": papers.delivery_id,
        "ticket": papers.ticket_document_id,
        "sha256": papers.ticket_sha256,
    }


def _ticket(session: Session, actor: Actor, delivery_id: int) -> Document:
    facts.delivery_facts(session, actor, delivery_id)  # the parties and overseers only
    found = facts.ticket_of(session, delivery_id)
    doc: Document | None = session.get(Document, found["id"]) if found else None
    if doc is None:
        raise NotFound(
            "ticket: delivery {delivery_id} has none", field="ticket", delivery_id=delivery_id
        )
    return doc


@routes.route("/deliveries/{id:int}/ticket", methods=["GET", "POST"])
async def ticket(request: Request) -> Response:
    return await _paper(request, service.attach_ticket, _ticket_public, _ticket)


def _lab_report(session: Session, actor: Actor, lot_id: int) -> Document:
    if not service.may_read_lab_report(session, actor, lot_id):
        raise NotFound("lot: {lot_id} does not exist", field="lot", lot_id=lot_id)
    row = session.get(LotLabReport, lot_id) if 0 < lot_id <= MAX_ID else None
    doc: Document | None = session.get(Document, row.document_id) if row else None
    if doc is None:
        raise NotFound("lab_report: lot {lot_id} has none", field="lab_report", lot_id=lot_id)
    return doc


@routes.route("/lots/{id:int}/lab-report", methods=["GET", "POST"])
async def lab_report(request: Request) -> Response:
    return await _paper(
        request,
        service.attach_lab_report,
        lambda row: {"lot_id": row.lot_id, "document": row.document_id, "sha256": row.sha256},
        _lab_report,
    )


# ----------------------------------------------------------------------------- OpenAPI

_ID = [openapi.path_id()]
_YEAR = openapi.query("year", {"type": "integer", "minimum": 2000, "maximum": 2100})
_MONTH = openapi.query("month", {"type": "integer", "minimum": 1, "maximum": 12})
_DOC_REF = openapi.obj({"document": {"type": "integer", "minimum": 1}}, ["document"])


def _binary(summary: str, roles: str, media: str, params: list[dict[str, Any]]) -> dict[str, Any]:
    operation = openapi.op(summary, roles, params=params)
    operation["responses"]["200"]["content"] = {
        media: {"schema": {"type": "string", "format": "binary"}}
    }
    return operation


def _files(summary: str, roles: str) -> dict[str, Any]:
    operation = openapi.op(summary, roles, params=_ID)
    operation["responses"]["200"]["content"] = {
        media: {"schema": {"type": "string", "format": "binary"}} for media in MEDIA_TYPES.values()
    }
    return operation


def _post(summary: str, roles: str, schema: dict[str, Any], status: int = 200) -> dict[str, Any]:
    operation = openapi.op(summary, roles, status=status, params=_ID)
    operation["requestBody"] = {
        "required": True,
        "content": {"application/json": {"schema": schema}},
    }
    return operation


_TRUCK = openapi.obj(
    {
        "truck_plate": {"type": "string", "minLength": 1, "maxLength": 20},
        "driver": {"type": "string", "minLength": 1, "maxLength": 60},
        "tonnes": {"type": "number", "exclusiveMinimum": 0, "maximum": 1e9},
        "manifest_no": {"type": "string", "maxLength": 60},
    },
    ["truck_plate", "driver", "tonnes"],
)

openapi.register(
    {
        "/deliveries/{id}/manifest.pdf": {
            "get": _binary(
                "The transfer manifest (转移联单) as an A4 PDF: three copies (producer, carrier, "
                "recycler) with a QR code of the delivery's receipt page",
                "the delivery's producer and recycler; regulator, operator",
                "application/pdf",
                _ID,
            )
        },
        "/contracts/{id}/contract.pdf": {
            "get": _binary(
                "The contract as a PDF: parties, waste and code, tonnes, price and who pays, "
                "period, delivery terms, pollution-control duties (Art. 37), signatures",
                "the contract's parties; regulator, operator",
                "application/pdf",
                _ID,
            )
        },
        "/sites/{id}/statutory-ledger.xlsx": {
            "get": _binary(
                "The yard's 一般工业固体废物管理台账 for a year (or one month of it), in the "
                "tables of the 2021 guideline (生态环境部公告 2021年第82号)",
                "the yard's producer; regulator, operator",
                XLSX,
                [*_ID, {**_YEAR, "required": True}, _MONTH],
            )
        },
        "/organisations/{id}/statutory-ledger.xlsx": {
            "get": _binary(
                "A producer's 台账 over all its yards for a year (or one month of it)",
                "the producer itself; regulator, operator",
                XLSX,
                [*_ID, {**_YEAR, "required": True}, _MONTH],
            )
        },
        "/contracts/{id}/trucks": {
            "post": _post(
                "Dispatch a day's trucks at once (all or none): a list of plate, driver, "
                "tonnes (and manifest number), or a CSV of them",
                "producer (the contract's yard)",
                {
                    "type": "object",
                    "properties": {
                        "trucks": {
                            "type": "array",
                            "items": _TRUCK,
                            "minItems": 1,
                            "maxItems": service.MAX_TRUCKS,
                        },
                        "csv": {"type": "string", "maxLength": 20_000},
                        "dispatched_at": {"type": "string", "format": "date-time"},
                    },
                    "additionalProperties": False,
                },
                status=201,
            )
        },
        "/deliveries/{id}/driver": {
            "post": _post(
                "Name the driver on a delivery's manifest",
                "producer (the delivery's)",
                openapi.obj(
                    {"driver": {"type": "string", "minLength": 1, "maxLength": 60}}, ["driver"]
                ),
            )
        },
        "/deliveries/{id}/ticket": {
            "get": _files(
                "The weighbridge ticket attached on receipt",
                "the delivery's producer and recycler; regulator, operator",
            ),
            "post": _post(
                "Attach the weighbridge ticket (an uploaded picture or PDF, judged by content)",
                "recycler (the delivery's plant)",
                _DOC_REF,
            ),
        },
        "/lots/{id}/lab-report": {
            "get": _files(
                "The lab report behind the lot's assay",
                "the lot's producer; recyclers; regulator, operator, evaluator",
            ),
            "post": _post(
                "Attach the lab report behind the lot's assay (an uploaded document)",
                "producer (the lot's)",
                _DOC_REF,
            ),
        },
    }
)
