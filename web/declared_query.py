"""Every /api/v1 route refuses query parameters its operation does not declare.

The declared names come from the OpenAPI document (`web/openapi/` and the paths other modules
register there), read once when the app is made, so what is served and what is documented cannot
drift: a handler that reads a parameter must declare it there, or every request with it is
refused. The check runs once Starlette has matched the route and method, before the handler:
before authentication and before any id is looked up, so a typo is named even on a missing id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from starlette.datastructures import QueryParams
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from market.errors import InvalidInput

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_CONVERTOR = re.compile(r"\{(\w+):\w+\}")


def declared_query(document: Mapping[str, Any]) -> dict[tuple[str, str], frozenset[str]]:
    """(METHOD, path template) → the query parameter names the document declares for it."""
    out: dict[tuple[str, str], frozenset[str]] = {}
    for path, item in document["paths"].items():
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            params = [*shared, *operation.get("parameters", [])]
            out[(method.upper(), path)] = frozenset(
                p["name"] for p in params if p.get("in") == "query"
            )
    return out


def refuse_unknown(params: Mapping[str, str], allowed: Iterable[str]) -> None:
    """`colour: 'red' is not a known query parameter` for the first name not in `allowed`."""
    known = set(allowed)
    for name in params:
        if name not in known:
            raise InvalidInput.about(name, params[name], "is not a known query parameter")


class DeclaredQuery:
    """ASGI wrapper of one route's app: refuses the names its method does not declare."""

    def __init__(self, app: ASGIApp, allowed: Mapping[str, frozenset[str]]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("query_string"):
            method = "GET" if scope["method"] == "HEAD" else scope["method"]
            # the same decoding as `Request.query_params`, which the handlers read
            params = QueryParams(scope["query_string"])
            refuse_unknown(params, self.allowed.get(method, frozenset()))
        await self.app(scope, receive, send)


def template(path: str) -> str:
    """A route's path as the document writes it: `/lots/{id:int}` → `/lots/{id}`."""
    return _CONVERTOR.sub(r"{\1}", path)


def checked(routes: Sequence[BaseRoute], document: Mapping[str, Any]) -> list[BaseRoute]:
    """The routes, each refusing the query parameters the document does not declare for it
    (a route or method missing from the document takes none)."""
    declared = declared_query(document)
    for route in routes:
        if not isinstance(route, Route):
            raise TypeError(f"{route!r}: only plain routes can be checked against the document")
        path = template(route.path)
        allowed = {m: declared.get((m, path), frozenset()) for m in route.methods or ()}
        # wrapped inside the route, as Route(middleware=...) does: the 405 check stays first
        route.app = DeclaredQuery(route.app, allowed)
    return list(routes)
