"""Building an operation: its answers (ok and the shared errors), path and query parameters,
paging and filters, and a paged list's answer."""

from __future__ import annotations

from typing import Any

from web.openapi.schemas import DATE, INT, STR, obj, ref

ERRORS = {
    str(code): {"description": text, "content": {"application/json": {"schema": ref("Error")}}}
    for code, text in (
        (400, "malformed request"),
        (401, "not authenticated"),
        (403, "not allowed for this role"),
        (404, "not found (or not yours)"),
        (409, "conflict with the current state"),
        (422, "invalid field value"),
    )
}


def op(
    summary: str,
    roles: str,
    response: dict[str, Any] | None = None,
    *,
    body: str | None = None,
    status: int = 200,
    params: list[dict[str, Any]] | None = None,
    public: bool = False,
    throttled: bool = False,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "summary": summary,
        "description": f"Who: {roles}.",
        "responses": {
            str(status): {
                "description": "ok",
                "content": {"application/json": {"schema": response or {"type": "object"}}},
            },
            **ERRORS,
        },
    }
    if body:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(body)}},
        }
    if params:
        out["parameters"] = params
    if public:
        out["security"] = []
    if throttled:
        out["responses"]["429"] = {
            "description": "too many failed logins for this username; try again later",
            "content": {"application/json": {"schema": ref("Error")}},
        }
    return out


def on_item(
    summary: str,
    roles: str,
    answer: str | None = None,
    *,
    body: str | None = None,
    status: int = 200,
    params: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An operation on one item (`/things/{id}...`), answered with the component `answer`."""
    response = ref(answer) if answer else None
    every = [path_id(), *(params or [])]
    return op(summary, roles, response, body=body, status=status, params=every)


def path_id(name: str = "id") -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }


def query(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema or STR}


PAGING = [
    query("limit", {"type": "integer", "minimum": 0, "maximum": 1000}),
    query("offset", {"type": "integer", "minimum": 0}),
]


# a list's filters; its answer also carries `total` (every row the filters select), `limit`
# and `offset`
FILTERS = [
    query("status"),
    query("material"),
    query("from", {**DATE, "description": "first day (China Standard Time), included"}),
    query("to", {**DATE, "description": "last day (China Standard Time), included"}),
]


def list_of(key: str, item: str) -> dict[str, Any]:
    return obj(
        {
            key: {"type": "array", "items": ref(item)},
            "total": {"type": "integer", "minimum": 0},
            "limit": INT,
            "offset": INT,
        },
        [key],
        closed=False,
    )
