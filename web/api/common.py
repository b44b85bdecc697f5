"""What every JSON handler (and many page handlers) does: read the body and the query, know the
caller, the database and the settings, and run a service or a view on a worker thread."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Concatenate, Protocol

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from market import views
from market.auth import Actor
from market.db import Database, P, T, UnitOfWork
from market.errors import InvalidInput, NotFound
from market.seals import SealKey, load_or_create
from market.services.common import MAX_ID, OVERSEERS
from market.settings import Settings
from web import paging as pages
from web.errors import BadRequest
from web.security import check_csrf, require_actor

MAX_BODY = 1_000_000

UPLOAD_OVERHEAD = 64_000
"""A form's boundary, part headers, token and other fields on top of the one file it uploads."""


async def body(request: Request) -> dict[str, Any]:
    """The JSON object sent. Its size is refused before it is read, by BodyLimit with the route's
    limit (MAX_BODY unless web.app's BODY_LIMITS names the route)."""
    return json_object(await request.body())


def refuse_large_upload(request: Request, max_bytes: int) -> None:
    """Refuse a request carrying one file of at most `max_bytes` by its declared length, before a
    byte of it is read (the file itself is checked once read)."""
    declared = request.headers.get("content-length", "")
    length = whole(declared)
    if length is not None and length > max_bytes + UPLOAD_OVERHEAD:
        raise InvalidInput(
            "file: {declared} bytes sent, at most {max_bytes} allowed",
            field="file",
            declared=declared,
            max_bytes=max_bytes,
        )


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def json_object(raw: bytes) -> dict[str, Any]:
    """A request body as a JSON object; {} when empty. JSON is UTF-8 (RFC 8259)."""
    if not raw.strip():
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            "body: not UTF-8 text ({exc_reason} at byte {exc_start})",
            exc_reason=exc.reason,
            exc_start=exc.start,
        ) from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise BadRequest("body: not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("body: expected a JSON object, got {got}", got=type(data).__name__)
    if _SURROGATE_ESCAPE.search(text) and not _encodable(data):
        # "\ud800" alone decodes to a string no database, page or JSON answer can hold
        raise BadRequest("body: a string holds a lone surrogate (\\ud800-\\udfff): not Unicode")
    return data


def _encodable(data: Any) -> bool:
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError):
        return False
    return True


async def acting(request: Request) -> Actor:
    """The caller; a browser session (no bearer token) must also send its CSRF token on writes."""
    actor = await require_actor(request)
    if request.method not in ("GET", "HEAD", "OPTIONS") and not request.state.via_token:
        check_csrf(request)
    return actor


async def overseer(request: Request) -> Actor:
    """The caller, who must be a regulator or the operator (`OVERSEERS`)."""
    actor = await acting(request)
    actor.require(*OVERSEERS)
    return actor


def db_of(request: Request) -> Database:
    db: Database = request.app.state.db  # Starlette's State is untyped; create_app sets it
    return db


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings  # set by create_app, as db_of's
    return settings


def seal_key_of(request: Request) -> SealKey:
    """The key that seals approved months, read (or made) on first use by this worker."""
    return load_or_create(settings_of(request).seal_key_path())


def path_id(request: Request, name: str = "id") -> int:
    raw = request.path_params[name]
    if not isinstance(raw, int) or raw > MAX_ID:
        raise NotFound("{name}: {raw!r} does not exist", name=name, raw=raw)
    return raw


class Stored(Protocol):
    id: int | None


def stored_id(row: Stored) -> int:
    """The id of a row its unit of work has written (a table types it `int | None`)."""
    if row.id is None:
        raise RuntimeError(f"{type(row).__name__}: not stored, it has no id yet")
    return row.id


def whole(raw: str) -> int | None:
    """ASCII digits as an int (at most 18 of them); None for anything else. `str.isdigit()`
    also passes "²", which `int()` refuses, and `int()` refuses 4,300 digits and more."""
    if raw.isascii() and raw.isdigit() and len(raw) <= 18:
        return int(raw)
    return None


def query_int(request: Request, name: str, default: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    value = whole(raw)
    if value is None or value > maximum:
        raise InvalidInput.about(
            name, raw, "must be a whole number from 0 to {maximum}", maximum=maximum
        )
    return value


def paging(request: Request, default: int = 500, maximum: int = 1000) -> pages.Window:
    """`?limit=&offset=` of a listing, checked."""
    return {
        "limit": query_int(request, "limit", default, maximum),
        "offset": query_int(request, "offset", 0, 10**9),
    }


def list_request(
    request: Request,
    statuses: tuple[str, ...] = (),
    *,
    default: int = 500,
    maximum: int = 1000,
    sorts: tuple[str, ...] = (),
    default_sort: str = "",
) -> tuple[pages.Paging, views.ListFilter]:
    """A list endpoint's `limit`, `offset`, `sort` and its filters (`status`, `material`,
    `from`, `to`), checked: a limit past `maximum` is refused, not cut."""
    q = request.query_params
    pg = pages.parse(
        q,
        default_limit=default,
        max_limit=maximum,
        min_limit=0,
        sorts=sorts,
        default_sort=default_sort,
    )
    f = views.ListFilter(
        status=(q.get("status") or None) if not statuses else pages.choice(q, "status", statuses),
        material=q.get("material") or None,
        since=pages.day(q, "from"),
        until=pages.day(q, "to"),
    )
    return pg, f


Page = tuple[list[dict[str, Any]], int]
"""A page of a list's rows, and how many rows its filters select."""


async def listed(
    request: Request,
    key: str,
    read: Callable[[Session, Actor, views.ListFilter, pages.Paging], Page],
    *,
    default: int = 500,
) -> Response:
    """A filtered, paged list (`status`, `material`, `from`, `to`, `limit`, `offset`): `key`
    with the rows, and `total`, `limit` and `offset`."""
    actor = await acting(request)
    pg, f = list_request(request, default=default)
    rows, total = await run_read(request, read, actor, f, pg)
    return JSONResponse(pages.answer(key, rows, total, pg))


async def run_uow(
    request: Request, fn: Callable[Concatenate[UnitOfWork, P], T], *args: P.args, **kw: P.kwargs
) -> T:
    """`fn(uow, …)` on a worker thread (`Database.run`); the answer keeps `fn`'s type."""
    db = db_of(request)
    return await run_in_threadpool(lambda: db.run(fn, *args, **kw))


async def run_read(
    request: Request, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kw: P.kwargs
) -> T:
    """`fn(session, …)` on a worker thread (`Database.read`); the answer keeps `fn`'s type."""
    db = db_of(request)
    return await run_in_threadpool(lambda: db.read(fn, *args, **kw))


async def item_view(
    request: Request,
    read: Callable[Concatenate[Session, Actor, int, P], dict[str, Any]],
    *args: P.args,
    **kw: P.kwargs,
) -> Response:
    """A GET of the item the path names: `read(session, caller, id, …)` as JSON."""
    actor = await acting(request)
    return JSONResponse(await run_read(request, read, actor, path_id(request), *args, **kw))


async def created(
    request: Request,
    write: Callable[[UnitOfWork, Actor, dict[str, Any]], Stored],
    read: Callable[[Session, Actor, int], dict[str, Any]],
) -> Response:
    """A POST that makes a row: `write(uow, caller, body)`, answered 201 with the row as
    `read(session, caller, id)` shows it."""
    actor = await acting(request)
    data = await body(request)
    row = await run_uow(request, write, actor, data)
    return JSONResponse(await run_read(request, read, actor, stored_id(row)), status_code=201)


async def on_item(request: Request) -> tuple[Actor, int, dict[str, Any] | None]:
    """The caller, the item the path names and, on a POST, the JSON body: read in that order,
    each refused when bad (a GET has no body: None)."""
    actor = await acting(request)
    item = path_id(request)
    data = await body(request) if request.method == "POST" else None
    return actor, item, data


async def act_on_item(
    request: Request,
    fn: Callable[Concatenate[UnitOfWork, Actor, int, dict[str, Any], P], T],
    *args: P.args,
    **kw: P.kwargs,
) -> T:
    """The usual write on the item the path names: `fn(uow, caller, id, body, …)` in one unit of
    work, after the caller and the JSON body are read (and refused when they are bad)."""
    actor = await acting(request)
    data = await body(request)
    item = path_id(request)
    return await run_uow(request, lambda uow: fn(uow, actor, item, data, *args, **kw))
