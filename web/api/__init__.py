"""The JSON API under /api/v1. Handlers parse, call one service or view, and answer JSON.

`common` holds what every handler does (the body, the query, the caller, a service on a worker
thread); `accounts`, `market` and `trade` hold the handlers of each surface.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from market.errors import NotFound
from web.api import accounts, market, trade
from web.api.common import (
    MAX_BODY,
    UPLOAD_OVERHEAD,
    act_on_item,
    acting,
    body,
    created,
    db_of,
    item_view,
    json_object,
    list_request,
    listed,
    on_item,
    overseer,
    paging,
    path_id,
    query_int,
    refuse_large_upload,
    run_read,
    run_uow,
    seal_key_of,
    settings_of,
    whole,
)

__all__ = [
    "MAX_BODY",
    "UPLOAD_OVERHEAD",
    "act_on_item",
    "acting",
    "body",
    "created",
    "db_of",
    "item_view",
    "json_object",
    "list_request",
    "listed",
    "not_found",
    "on_item",
    "overseer",
    "paging",
    "path_id",
    "query_int",
    "refuse_large_upload",
    "routes",
    "run_read",
    "run_uow",
    "seal_key_of",
    "settings_of",
    "whole",
]


async def not_found(request: Request) -> Response:
    raise NotFound("path: {url_path} does not exist", url_path=request.url.path)


def routes() -> list[Route]:
    return [*accounts.routes(), *market.routes(), *trade.routes()]
