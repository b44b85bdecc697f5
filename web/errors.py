"""Domain errors become HTTP answers here, and only here."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from market.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotAllowed,
    NotAuthenticated,
    NotFound,
    TooManyAttempts,
)
from web.i18n import refusal

log = logging.getLogger("wastematch.errors")

STATUS: list[tuple[type[DomainError], int]] = [
    (NotAuthenticated, 401),
    (NotAllowed, 403),
    (NotFound, 404),
    (Conflict, 409),
    (TooManyAttempts, 429),
    (InvalidInput, 422),
]


class BadRequest(InvalidInput):
    """A body that is not JSON at all, or not an object."""

    code = "bad_request"


class PayloadTooLarge(BadRequest):
    """A body past its route's limit: refused by its Content-Length, or cut off at the limit."""

    code = "too_large"


def status_of(exc: DomainError) -> int:
    if isinstance(exc, PayloadTooLarge):
        return 413
    if isinstance(exc, BadRequest):
        return 400
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def error_json(
    code: str,
    message: str,
    status: int,
    field: str | None = None,
    *,
    params: dict[str, object] | None = None,
    errors: list[dict[str, object]] | None = None,
) -> JSONResponse:
    body: dict[str, object] = {"code": code, "message": message}
    if field:
        body["field"] = field
    if params is not None:
        body["params"] = params
    if errors:
        body["errors"] = errors
    return JSONResponse({"error": body}, status_code=status)


def _one(exc: DomainError) -> dict[str, object]:
    out: dict[str, object] = {"field": exc.field} if exc.field else {}
    return out | {"code": exc.code, "message": exc.message, "params": exc.data()}


def refusal_json(exc: DomainError, status: int) -> JSONResponse:
    """`{"error": {code, message, field, params, errors?}}`: `errors` lists every bad field when
    the refusal found several, each `{field, code, message, params}`."""
    several = exc.every() if len(exc.every()) > 1 else None
    return error_json(
        exc.code,
        exc.message,
        status,
        exc.field,
        params=exc.data(),
        errors=[_one(e) for e in several] if several else None,
    )


def wants_json(request: Request) -> bool:
    return (
        request.url.path.startswith("/api/")
        or "application/json" in request.headers.get("accept", "").split(",")[0]
    )


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    status = status_of(exc)
    if wants_json(request):
        return refusal_json(exc, status)
    if status == 401:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    from web.render import lang_of, render

    lang = lang_of(request)
    messages = [refusal(e, lang) for e in exc.every()]
    return render(
        request,
        "error.html",
        {"status": status, "message": messages[0], "messages": messages},
        status_code=status,
    )


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = exc.detail or "error"
    if exc.status_code == 404:
        message = "Page not found"
    if wants_json(request):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_json(code, str(message), exc.status_code)
    from web.render import render

    return render(
        request,
        "error.html",
        {"status": exc.status_code, "message": message},
        status_code=exc.status_code,
    )


async def database_unavailable(request: Request, exc: Exception) -> Response:
    """The database did not answer (down, restarting, locked): say so, and try again later.

    The pool pre-pings connections, so the app recovers by itself once the database is back.
    """
    log.warning(
        "database unavailable",
        extra={"request_id": getattr(request.state, "request_id", ""), "error": type(exc).__name__},
    )
    message = "database unavailable; try again in a moment"
    if wants_json(request):
        response: Response = error_json("unavailable", message, 503)
    else:
        from web.render import render

        response = render(
            request, "error.html", {"status": 503, "message": message}, status_code=503
        )
    response.headers["retry-after"] = "5"
    return response
