"""The OpenAPI document of /api/v1: the account and market surfaces written here, the others
(audit, planning, papers, trust, daily, jobs) added by their API modules through `register`.

The pieces live by job: `schemas` (atoms and component schemas), `operations` (an operation,
its parameters and answers), `account` and `market` (the paths of each surface).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from web.openapi import account, market
from web.openapi.operations import FILTERS, PAGING, list_of, on_item, op, path_id, query
from web.openapi.schemas import (
    DATE,
    DATETIME,
    INT,
    NUM,
    SCHEMAS,
    SPEC,
    STR,
    components,
    nullable,
    obj,
    ref,
    responses,
)
from web.routing import Routes

routes = Routes()

__all__ = [
    "DATE",
    "DATETIME",
    "FILTERS",
    "INT",
    "NUM",
    "PAGING",
    "SPEC",
    "STR",
    "components",
    "document",
    "list_of",
    "may_queue",
    "nullable",
    "obj",
    "on_item",
    "op",
    "path_id",
    "query",
    "ref",
    "register",
    "responses",
    "routes",
]

PATHS: dict[str, Any] = {**account.PATHS, **market.PATHS}

_EXTRA: list[tuple[dict[str, Any], dict[str, Any]]] = []
_QUEUED: set[tuple[str, str]] = set()
"""(path, method) of the operations that may answer 202 with a job (web/jobs_api.py)."""


def may_queue(path: str, method: str) -> None:
    _QUEUED.add((path, method))


def register(paths: dict[str, Any], schemas: dict[str, Any] | None = None) -> None:
    """Other API modules (audit, planning) add their paths and schemas here."""
    _EXTRA.append((paths, schemas or {}))


def document() -> dict[str, Any]:
    paths = dict(PATHS)
    schemas = dict(SCHEMAS)
    for extra_paths, extra_schemas in _EXTRA:
        for path, operations in extra_paths.items():
            paths[path] = {**paths.get(path, {}), **operations}
        schemas.update(extra_schemas)
    for path, method in sorted(_QUEUED):
        if path in paths and method in paths[path]:
            operation = dict(paths[path][method])
            operation["responses"] = {
                **operation["responses"],
                "202": {
                    "description": "queued as a job: follow `job.url` (GET /jobs/{id})",
                    "content": {"application/json": {"schema": ref("JobAccepted")}},
                },
            }
            paths[path] = {**paths[path], method: operation}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "wastematch API",
            "version": "1",
            "description": "Yunnan industrial solid-waste marketplace. Authenticate with POST "
            "/auth/token and send `Authorization: Bearer TOKEN`.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "paths": paths,
    }


@routes.get("/openapi.json")
async def openapi_json(request: Request) -> Response:
    return JSONResponse(document())
