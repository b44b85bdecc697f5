"""The JSON API of evidence and settlement: documents uploaded and read back, and the tonnes a
disputed delivery settles at."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from market import views
from market.errors import InvalidInput
from market.services import deliveries, documents
from market.settings import Settings
from market.tables import Document
from web.api import (
    UPLOAD_OVERHEAD,
    act_on_item,
    acting,
    path_id,
    refuse_large_upload,
    run_read,
    run_uow,
    settings_of,
)
from web.errors import BadRequest
from web.routing import Routes

routes = Routes()
settlement_routes = Routes()

MAX_DOCUMENT_BODY = Settings.max_upload_bytes + UPLOAD_OVERHEAD
"""A request carrying one document (the setting's default size); the service checks the file."""


# ----------------------------------------------------------------------------- documents


async def read_upload(request: Request, max_bytes: int) -> tuple[bytes, str | None]:
    """The multipart field `file`, refused by its declared length before it is read."""
    refuse_large_upload(request, max_bytes)
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


@routes.post("/documents")
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


@routes.get("/documents/{id:int}")
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


@settlement_routes.post("/deliveries/{id:int}/settlement")
async def delivery_settlement(request: Request) -> Response:
    delivery, agreed = await act_on_item(request, deliveries.propose_settlement)
    return JSONResponse(views.delivery_public(delivery) | {"agreed": agreed})


@settlement_routes.post("/deliveries/{id:int}/arbitrate")
async def delivery_arbitrate(request: Request) -> Response:
    delivery = await act_on_item(request, deliveries.arbitrate)
    return JSONResponse(views.delivery_public(delivery) | {"agreed": True})
