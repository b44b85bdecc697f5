"""Who is asking (session cookie or bearer token), CSRF, and the headers every response carries."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlmodel import col, update
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from market.auth import Actor, actor_by_id, actor_from_token, token_digest
from market.db import Database
from market.errors import NotAllowed, NotAuthenticated
from market.tables import ApiToken, utcnow

log = logging.getLogger("wastematch.http")

SESSION_USER = "uid"
SESSION_EPOCH = "epoch"
SESSION_CSRF = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def csrf_token(request: Request) -> str:
    token = request.session.get(SESSION_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return str(token)


def check_csrf(request: Request, form: Mapping[str, Any] | None = None) -> None:
    expected = request.session.get(SESSION_CSRF)
    given = request.headers.get(CSRF_HEADER) or (form or {}).get(CSRF_FIELD)
    if not expected or not isinstance(given, str) or not hmac.compare_digest(expected, given):
        raise NotAllowed("csrf_token: missing or wrong; reload the page and try again")


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


TOKEN_TOUCH_EVERY = timedelta(minutes=5)


class CallerCache:
    """Who a bearer token or a session is, remembered for `ttl` seconds per worker.

    Finding the caller was one database round trip on every request, about a tenth of a small
    request's cost on the reference machine. The price is a bound on staleness: a token revoked,
    a logout, or a deactivation takes effect at once in the worker that did it and within `ttl`
    seconds in the others.
    """

    def __init__(self, ttl: float = 2.0, size: int = 10_000, stamp: Path | None = None) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: dict[tuple[Any, ...], tuple[float, Actor, int | None]] = {}
        self.stamp = stamp
        """A file every worker on this host watches: a deactivation, a password change or a
        reset touches it, and each worker then forgets every caller at once (a stat per request,
        about a microsecond), instead of serving a deactivated user for `ttl` seconds more."""
        self._seen = self._stamp_time()

    def _stamp_time(self) -> int:
        if self.stamp is None:
            return 0
        try:
            return self.stamp.stat().st_mtime_ns
        except OSError:
            return 0

    def announce(self) -> None:
        """Tell every worker to forget its callers (see `stamp`)."""
        self._entries.clear()
        if self.stamp is not None:
            with contextlib.suppress(OSError):
                self.stamp.touch()
                now = time.time_ns()
                os.utime(self.stamp, ns=(now, now))
            self._seen = self._stamp_time()

    def get(self, key: tuple[Any, ...]) -> Actor | None:
        if self.stamp is not None:
            seen = self._stamp_time()
            if seen != self._seen:
                self._entries.clear()
                self._seen = seen
        hit = self._entries.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def put(self, key: tuple[Any, ...], actor: Actor, token_id: int | None = None) -> None:
        if len(self._entries) >= self.size:
            now = time.monotonic()
            self._entries = {k: v for k, v in self._entries.items() if v[0] >= now}
            if len(self._entries) >= self.size:
                self._entries.clear()
        self._entries[key] = (time.monotonic() + self.ttl, actor, token_id)

    def forget_token(self, token_id: int) -> None:
        self._entries = {k: v for k, v in self._entries.items() if v[2] != token_id}

    def forget_user(self, user_id: int) -> None:
        self._entries = {k: v for k, v in self._entries.items() if v[1].user_id != user_id}


def _load_actor(
    db: Database, cache: CallerCache, token: str | None, user_id: Any, epoch: Any
) -> Actor | None:
    with db.read_session() as session:
        if token is not None:
            actor, row = actor_from_token(session, token)
            cache.put(("token", token_digest(token)), actor, row.id)
            last = row.last_used_at
            if last is None or utcnow() - last > TOKEN_TOUCH_EVERY:
                # recorded coarsely: a write on every API call would cost more than the call
                _touch_token(db, row.id)
            return actor
        if not isinstance(user_id, int) or not isinstance(epoch, int):
            return None
        found = actor_by_id(session, user_id, epoch)
        if found is not None:
            cache.put(("session", user_id, epoch), found)
        return found


async def current_actor(request: Request) -> Actor | None:
    if "actor" in request.state._state:
        known: Actor | None = request.state.actor  # Starlette's State is untyped
        return known
    token = _bearer(request)
    cache: CallerCache = request.app.state.callers
    user_id = request.session.get(SESSION_USER)
    epoch = request.session.get(SESSION_EPOCH)
    if token is not None:
        actor = cache.get(("token", token_digest(token)))
    else:
        actor = cache.get(("session", user_id, epoch))
    if actor is None and (token is not None or user_id is not None):
        db: Database = request.app.state.db
        actor = await run_in_threadpool(_load_actor, db, cache, token, user_id, epoch)
    request.state.actor = actor
    request.state.via_token = token is not None
    return actor


def _touch_token(db: Database, token_id: int | None) -> None:
    with db.unit_of_work() as uow:
        uow.session.exec(
            update(ApiToken).where(col(ApiToken.id) == token_id).values(last_used_at=utcnow())
        )
        uow.commit()


def stamp_for(database_url: str) -> Path:
    """The callers' stamp file of a database, shared by the workers on this host."""
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"wastematch-callers-{digest}"


# what a user who must change their password (after an operator's reset) may still do
PASSWORD_CHANGE_PATHS = frozenset(
    {"/api/v1/me/password", "/api/v1/me", "/account/password", "/logout", "/"}
)


async def require_actor(request: Request) -> Actor:
    actor = await current_actor(request)
    if actor is None:
        raise NotAuthenticated("authentication required: log in or send a bearer token")
    if actor.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
        raise NotAllowed(
            "password: was reset by an operator; choose a new one first",
            field="password",
        )
    return actor


class SecurityHeaders:
    """Adds the security headers and a request id, and logs one line per request."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = {"code": 500, "started": False}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["started"] = True
                headers = MutableHeaders(scope=message)
                headers.setdefault("content-security-policy", CSP)
                headers.setdefault("x-content-type-options", "nosniff")
                headers.setdefault("x-frame-options", "DENY")
                headers.setdefault("referrer-policy", "same-origin")
                headers.setdefault("permissions-policy", "geolocation=(), camera=(), microphone=()")
                headers.setdefault("cross-origin-opener-policy", "same-origin")
                headers["x-request-id"] = request_id
                if not scope.get("path", "").startswith("/static/"):
                    # pages and answers carry a user's data: no browser or proxy keeps a copy
                    # (the back button after logging out showed the last page)
                    headers.setdefault("cache-control", "no-store")
                if self.hsts:
                    headers.setdefault("strict-transport-security", "max-age=31536000")
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # the last line of defence: log it, never show a stack trace
            log.exception("unhandled error", extra={"request_id": request_id})
            if not status["started"]:
                await _internal_error(scope, send_with_headers, request_id)
        finally:
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status["code"],
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )


async def _internal_error(scope: Scope, send: Send, request_id: str) -> None:
    path = scope.get("path", "")
    if path.startswith("/api/"):
        body = (
            '{"error": {"code": "internal", "message": "internal error (request id '
            + request_id
            + ')"}}'
        ).encode()
        ctype = b"application/json"
    else:
        body = (
            "<!doctype html><meta charset=utf-8><title>500</title>"
            "<p>服务器出错，已记录。Something went wrong on our side; it has been logged. "
            f"({request_id})</p>"
        ).encode()
        ctype = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text: str = value.decode("latin-1")[:64]
            if text.replace("-", "").isalnum():
                return text
    return uuid.uuid4().hex


class BodyLimit:
    """Refuses a request body past its route's limit before reading it, and stops reading a
    streamed (chunked) body at the limit.

    A handler that reads the whole body and then checks its size has already spent the memory:
    a 300 MB body to the login route grew a worker by 500 MB. Here a `Content-Length` over the
    limit is answered 413 unread, and a body without one is cut off as soon as it passes the limit.
    `limits` maps a path, or a pattern of paths (`/ledger/[0-9]+`), to its own limit (the
    uploads); every other path gets `default`.
    """

    def __init__(self, app: ASGIApp, *, default: int, limits: Mapping[str, int]) -> None:
        import re

        self.app = app
        self.default = default
        self.limits = dict(limits)
        self.patterns = [(re.compile(p), n) for p, n in limits.items() if "[" in p]

    def limit_of(self, path: str) -> int:
        if path in self.limits:
            return self.limits[path]
        for pattern, limit in self.patterns:
            if pattern.fullmatch(path):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from web.errors import PayloadTooLarge

        limit = self.limit_of(scope.get("path", ""))
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                declared = value.decode("latin-1")
                if declared.isascii() and declared.isdigit() and int(declared) > limit:
                    await _refuse_too_large(
                        scope, send, f"body: {int(declared):,} bytes, at most {limit:,} allowed"
                    )
                    return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(
                        "body: more than {limit:,} bytes, at most {limit:,} allowed",
                        field="body",
                        limit=limit,
                    )
            return message

        await self.app(scope, limited, send)


async def _refuse_too_large(scope: Scope, send: Send, message: str) -> None:
    import json

    if scope.get("path", "").startswith("/api/"):
        body = json.dumps({"error": {"code": "too_large", "message": message, "field": "body"}})
        ctype = b"application/json"
    else:
        body = f"<!doctype html><meta charset=utf-8><title>413</title><p>请求体过大。{message}</p>"
        ctype = b"text/html; charset=utf-8"
    data = body.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", ctype),
                (b"content-length", str(len(data)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


Endpoint = Callable[[Request], Awaitable[Any]]
