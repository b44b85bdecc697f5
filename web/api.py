"""The JSON API under /api/v1. Handlers parse, call one service or view, and answer JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Concatenate

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from market import views
from market.auth import Actor, token_digest
from market.catalogue import catalogue
from market.db import Database, P, T, UnitOfWork
from market.errors import InvalidInput, NotFound
from market.seals import SealKey, load_or_create
from market.services import deliveries, ledger, lots, matching, offers, sites, trade, users
from market.services.common import MAX_ID
from market.settings import Settings
from web import paging as pages
from web.errors import BadRequest
from web.security import SESSION_EPOCH, check_csrf, require_actor
from web.security import _bearer as _bearer_of

MAX_BODY = 1_000_000


async def body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise BadRequest(
            "body: {n_raw} bytes, at most {MAX_BODY} allowed", n_raw=len(raw), MAX_BODY=MAX_BODY
        )
    return json_object(raw)


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


def db_of(request: Request) -> Database:
    return request.app.state.db  # type: ignore[no-any-return]


def settings_of(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def seal_key_of(request: Request) -> SealKey:
    """The key that seals approved months, read (or made) on first use by this worker."""
    return load_or_create(settings_of(request).seal_key_path())


def path_id(request: Request, name: str = "id") -> int:
    raw = request.path_params[name]
    if not isinstance(raw, int) or raw > MAX_ID:
        raise NotFound("{name}: {raw!r} does not exist", name=name, raw=raw)
    return raw


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


def paging(request: Request, default: int = 500, maximum: int = 1000) -> dict[str, int]:
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


# ----------------------------------------------------------------------------- auth and me


async def issue_token(request: Request) -> Response:
    data = await body(request)
    username = data.get("username")
    password = data.get("password")
    if not isinstance(username, str) or not username:
        raise InvalidInput("username: is required", field="username")
    if not isinstance(password, str) or not password:
        raise InvalidInput("password: is required", field="password")
    settings = settings_of(request)
    name = data.get("name") if isinstance(data.get("name"), str) else "api"
    from web.login import log_in

    actor = await log_in(request, username, password)

    def call() -> dict[str, Any]:
        with db_of(request).unit_of_work() as uow:
            token, raw = users.create_token(uow, actor, name, days=settings.token_days)
        return {
            "token": raw,
            "id": token.id,
            "token_type": "bearer",
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        }

    return JSONResponse(await run_in_threadpool(call), status_code=201)


def _me(actor: Actor) -> dict[str, Any]:
    return {
        "id": actor.user_id,
        "username": actor.username,
        "role": actor.role,
        "organisation_id": actor.organisation_id,
        "organisation": actor.organisation,
    }


async def me(request: Request) -> Response:
    return JSONResponse(_me(await acting(request)))


async def list_tokens(request: Request) -> Response:
    actor = await acting(request)
    from sqlmodel import col, select

    from market.tables import ApiToken

    def read(session: Any) -> list[dict[str, Any]]:
        rows = session.exec(
            select(ApiToken).where(ApiToken.user_id == actor.user_id).order_by(col(ApiToken.id))
        ).all()
        return [
            {
                "id": t.id,
                "name": t.name,
                "created_at": t.created_at.isoformat(),
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                "revoked": t.revoked_at is not None,
            }
            for t in rows
        ]

    return JSONResponse({"tokens": await run_read(request, read)})


async def revoke_token(request: Request) -> Response:
    actor = await acting(request)
    token = await run_uow(request, users.revoke_token, actor, path_id(request))
    request.app.state.callers.forget_token(token.id)
    return JSONResponse({"id": token.id, "revoked": True})


# ----------------------------------------------------------------------------- accounts


def _announce(request: Request) -> None:
    """Every worker forgets the callers it remembers: a deactivation or a reset is at once."""
    request.app.state.callers.announce()


async def my_password(request: Request) -> Response:
    actor = await acting(request)
    data = await body(request)
    fields_unknown = set(data) - {"current_password", "new_password"}
    if fields_unknown:
        name = sorted(fields_unknown)[0]
        raise InvalidInput.about(name, data[name], "is not a known field")
    bearer = _bearer_of(request)
    user = await run_uow(
        request,
        users.change_password,
        actor,
        data.get("current_password"),
        data.get("new_password"),
        None if bearer is None else token_digest(bearer),
    )
    _announce(request)
    if not request.state.via_token:
        # this browser stays signed in; every other session and token has ended
        request.session[SESSION_EPOCH] = user.session_epoch
    return JSONResponse({"id": user.id, "password_changed": True})


async def my_logins(request: Request) -> Response:
    actor = await acting(request)
    return JSONResponse(
        {"logins": await run_read(request, users.login_history, actor, actor.user_id)}
    )


async def users_collection(request: Request) -> Response:
    actor = await acting(request)
    actor.require("operator")
    if request.method == "POST":
        data = await body(request)
        user, one_time = await run_uow(request, users.create_user, actor, data)
        rows = await run_read(request, users.list_users, actor)
        out = next(r for r in rows if r["id"] == user.id)
        if one_time:
            out["one_time_password"] = one_time
        return JSONResponse(out, status_code=201)
    return JSONResponse({"users": await run_read(request, users.list_users, actor)})


async def _user_row(request: Request, actor: Actor, user_id: int) -> dict[str, Any]:
    rows = await run_read(request, users.list_users, actor)
    return next(r for r in rows if r["id"] == user_id)  # type: ignore[no-any-return]


async def user_deactivate(request: Request) -> Response:
    actor = await acting(request)
    user = await run_uow(request, users.set_active, actor, path_id(request), False)
    _announce(request)
    return JSONResponse(await _user_row(request, actor, user.id))


async def user_activate(request: Request) -> Response:
    actor = await acting(request)
    user = await run_uow(request, users.set_active, actor, path_id(request), True)
    _announce(request)
    return JSONResponse(await _user_row(request, actor, user.id))


async def user_reset_password(request: Request) -> Response:
    actor = await acting(request)
    user, one_time = await run_uow(request, users.reset_password, actor, path_id(request))
    _announce(request)
    return JSONResponse(await _user_row(request, actor, user.id) | {"one_time_password": one_time})


async def user_logins(request: Request) -> Response:
    actor = await acting(request)
    return JSONResponse(
        {"logins": await run_read(request, users.login_history, actor, path_id(request))}
    )


# ----------------------------------------------------------------------------- catalogue


async def materials(request: Request) -> Response:
    await acting(request)
    cat = catalogue()
    return JSONResponse(
        {
            "parameters": [
                {
                    "code": p.code,
                    "name_zh": p.name_zh,
                    "name_en": p.name_en,
                    "unit": p.unit,
                    "min": p.physical_min,
                    "max": p.physical_max,
                    "standard": p.standard,
                }
                for p in cat.parameters.values()
            ],
            "materials": [
                {
                    "code": m.code,
                    "name_zh": m.name_zh,
                    "name_en": m.name_en,
                    "family": m.family,
                    "priority": m.priority,
                    "parameters": list(m.parameters),
                    "uses": [
                        {
                            "code": u.code,
                            "name_zh": u.name_zh,
                            "name_en": u.name_en,
                            "standard": u.standard,
                            "typical": True,
                            "spec": {
                                k: {
                                    kk: vv
                                    for kk, vv in (("min", b.min), ("max", b.max))
                                    if vv is not None
                                }
                                for k, b in u.spec.items()
                            },
                        }
                        for u in m.uses
                    ],
                }
                for m in cat.materials.values()
            ],
        }
    )


# ----------------------------------------------------------------------------- sites


async def sites_collection(request: Request) -> Response:
    actor = await acting(request)
    if request.method == "POST":
        actor.require("producer", "recycler")
        data = await body(request)
        site = await run_uow(request, sites.post_site, actor, data)
        return JSONResponse(views.site_public(site), status_code=201)
    actor.require("producer", "recycler", "regulator", "operator")
    kind = request.query_params.get("kind")
    return JSONResponse({"sites": await run_read(request, views.list_sites, actor, kind=kind)})


# ----------------------------------------------------------------------------- lots


async def lots_collection(request: Request) -> Response:
    actor = await acting(request)
    if request.method == "POST":
        data = await body(request)
        lot = await run_uow(request, lots.post_lot, actor, data)
        return JSONResponse(await run_read(request, views.get_lot, actor, lot.id), status_code=201)
    pg, f = list_request(request, default=200)
    rows, total = await run_read(
        request,
        views.page_lots,
        actor,
        f,
        mine=request.query_params.get("mine") in ("1", "true"),
        **pg.window(),
    )
    return JSONResponse(pages.answer("lots", rows, total, pg))


async def lot_item(request: Request) -> Response:
    actor = await acting(request)
    lot_id = path_id(request)
    if request.method == "PATCH":
        data = await body(request)
        await run_uow(request, lots.update_lot, actor, lot_id, data)
    elif request.method == "DELETE":
        await run_uow(request, lots.withdraw_lot, actor, lot_id)
    return JSONResponse(await run_read(request, views.get_lot, actor, lot_id))


# ----------------------------------------------------------------------------- offers


async def offers_collection(request: Request) -> Response:
    actor = await acting(request)
    if request.method == "POST":
        data = await body(request)
        offer = await run_uow(request, offers.post_offer, actor, data)
        return JSONResponse(
            await run_read(request, views.get_offer, actor, offer.id), status_code=201
        )
    pg, f = list_request(request)
    rows, total = await run_read(request, views.page_offers, actor, f, **pg.window())
    return JSONResponse(pages.answer("offers", rows, total, pg))


async def offer_item(request: Request) -> Response:
    actor = await acting(request)
    offer_id = path_id(request)
    if request.method == "DELETE":
        await run_uow(request, offers.withdraw_offer, actor, offer_id)
    return JSONResponse(await run_read(request, views.get_offer, actor, offer_id))


# ----------------------------------------------------------------------------- ledger


async def site_ledger(request: Request) -> Response:
    actor = await acting(request)
    site_id = path_id(request)
    if request.method == "POST":
        data = await body(request)
        entry = await run_uow(request, ledger.post_entry, actor, site_id, data)
        names = {actor.user_id: actor.username}
        return JSONResponse(views.entry_public(entry, names), status_code=201)
    q = request.query_params
    pg = pages.parse(q, default_limit=500, max_limit=5000, min_limit=0)
    kind = pages.choice(q, "kind", views.LEDGER_KINDS)
    return JSONResponse(
        await run_read(
            request,
            views.site_ledger,
            actor,
            site_id,
            material=q.get("material"),
            kind=kind,
            month=pages.month(q, "month"),
            **pg.window(),
        )
    )


# ----------------------------------------------------------------------------- matching


async def match_runs(request: Request) -> Response:
    actor = await acting(request)
    actor.require("operator", "regulator")
    data = await body(request)
    unknown = set(data) - {"params"}
    if unknown:
        raise InvalidInput.about(
            sorted(unknown)[0], data[sorted(unknown)[0]], "is not a known field"
        )
    params = data.get("params")
    if params is not None and not isinstance(params, dict):
        raise InvalidInput.about("params", params, "is not an object")
    from market.services import jobs
    from web.jobs_api import queued

    db, settings = db_of(request), settings_of(request)
    if await run_in_threadpool(jobs.is_large, db, settings):
        # too large to answer at once: a worker solves it (202 with the job to follow)
        return queued(await run_in_threadpool(jobs.start_match_run, db, actor, settings, params))
    run = await run_in_threadpool(matching.run_match, db, actor, settings, params)
    return JSONResponse(
        await run_read(request, views.match_run_public, actor, run.id), status_code=201
    )


async def match_run_item(request: Request) -> Response:
    actor = await acting(request)
    q = request.query_params
    proposals = pages.parse(q, default_limit=500, max_limit=1000, min_limit=0)
    unmatched = pages.Paging(
        query_int(request, "unmatched_limit", 500, 1000),
        query_int(request, "unmatched_offset", 0, pages.MAX_OFFSET),
    )
    return JSONResponse(
        await run_read(
            request,
            views.match_run_public,
            actor,
            path_id(request),
            proposals=(proposals.limit, proposals.offset),
            unmatched=(unmatched.limit, unmatched.offset),
        )
    )


async def lot_options(request: Request) -> Response:
    actor = await acting(request)
    return JSONResponse(
        await run_read(request, matching.lot_options, actor, path_id(request), settings_of(request))
    )


# ----------------------------------------------------------------------------- trade


async def proposals_collection(request: Request) -> Response:
    actor = await acting(request)
    run = request.query_params.get("run")
    run_id = None if run is None else whole(run)
    if run is not None and run_id is None:
        raise InvalidInput.about("run", run, "is not a whole number")
    pg, f = list_request(request, sorts=views.PROPOSAL_SORTS, default_sort="run")
    rows, total = await run_read(
        request,
        views.page_proposals,
        actor,
        run_id,
        material=f.material,
        sort=pg.sort,
        **pg.window(),
    )
    return JSONResponse(pages.answer("proposals", rows, total, pg))


async def proposal_bids(request: Request) -> Response:
    actor = await acting(request)
    proposal_id = path_id(request)
    if request.method == "POST":
        data = await body(request)
        bid = await run_uow(request, trade.place_bid, actor, proposal_id, data)
        return JSONResponse(views.bid_public(bid), status_code=201)
    return JSONResponse(
        {"bids": await run_read(request, views.bids_for_proposal, actor, proposal_id)}
    )


async def bid_accept(request: Request) -> Response:
    actor = await acting(request)
    await body(request)
    contract = await run_uow(request, trade.accept_bid, actor, path_id(request))
    return JSONResponse(views.contract_public(contract), status_code=201)


async def bid_reject(request: Request) -> Response:
    actor = await acting(request)
    bid = await run_uow(request, trade.reject_bid, actor, path_id(request))
    return JSONResponse(views.bid_public(bid))


async def bid_withdraw(request: Request) -> Response:
    actor = await acting(request)
    bid = await run_uow(request, trade.withdraw_bid, actor, path_id(request))
    return JSONResponse(views.bid_public(bid))


async def bids_collection(request: Request) -> Response:
    actor = await acting(request)
    pg, f = list_request(request)
    rows, total = await run_read(request, views.page_bids, actor, f, **pg.window())
    return JSONResponse(pages.answer("bids", rows, total, pg))


async def contracts_collection(request: Request) -> Response:
    actor = await acting(request)
    pg, f = list_request(request)
    rows, total = await run_read(request, views.page_contracts, actor, f, **pg.window())
    return JSONResponse(pages.answer("contracts", rows, total, pg))


async def contract_item(request: Request) -> Response:
    actor = await acting(request)
    return JSONResponse(await run_read(request, views.get_contract, actor, path_id(request)))


async def contract_cancel(request: Request) -> Response:
    actor = await acting(request)
    contract = await run_uow(request, trade.cancel_contract, actor, path_id(request))
    return JSONResponse(views.contract_public(contract))


async def contract_deliveries(request: Request) -> Response:
    actor = await acting(request)
    contract_id = path_id(request)
    if request.method == "POST":
        data = await body(request)
        key = request.headers.get("idempotency-key")
        if key and "idempotency_key" not in data:
            data["idempotency_key"] = key
        delivery, created = await run_uow(
            request, deliveries.dispatch_delivery, actor, contract_id, data
        )
        return JSONResponse(views.delivery_public(delivery), status_code=201 if created else 200)
    return JSONResponse(
        {"deliveries": await run_read(request, views.list_deliveries, actor, contract_id)}
    )


async def delivery_receipt(request: Request) -> Response:
    actor = await acting(request)
    data = await body(request)
    delivery, created = await run_uow(
        request, deliveries.confirm_receipt, actor, path_id(request), data, settings_of(request)
    )
    return JSONResponse(views.delivery_public(delivery), status_code=201 if created else 200)


async def delivery_resolve(request: Request) -> Response:
    actor = await acting(request)
    data = await body(request)
    delivery = await run_uow(request, deliveries.resolve_dispute, actor, path_id(request), data)
    return JSONResponse(views.delivery_public(delivery))


async def deliveries_collection(request: Request) -> Response:
    actor = await acting(request)
    pg, f = list_request(request)
    rows, total = await run_read(request, views.page_deliveries, actor, None, f, **pg.window())
    return JSONResponse(pages.answer("deliveries", rows, total, pg))


async def not_found(request: Request) -> Response:
    raise NotFound("path: {url_path} does not exist", url_path=request.url.path)


def routes() -> list[Route]:
    return [
        Route("/auth/token", issue_token, methods=["POST"]),
        Route("/auth/tokens", list_tokens, methods=["GET"]),
        Route("/auth/tokens/{id:int}/revoke", revoke_token, methods=["POST"]),
        Route("/me", me, methods=["GET"]),
        Route("/me/password", my_password, methods=["POST"]),
        Route("/me/logins", my_logins, methods=["GET"]),
        Route("/users", users_collection, methods=["GET", "POST"]),
        Route("/users/{id:int}/deactivate", user_deactivate, methods=["POST"]),
        Route("/users/{id:int}/activate", user_activate, methods=["POST"]),
        Route("/users/{id:int}/reset-password", user_reset_password, methods=["POST"]),
        Route("/users/{id:int}/logins", user_logins, methods=["GET"]),
        Route("/materials", materials, methods=["GET"]),
        Route("/sites", sites_collection, methods=["GET", "POST"]),
        Route("/sites/{id:int}/ledger", site_ledger, methods=["GET", "POST"]),
        Route("/lots", lots_collection, methods=["GET", "POST"]),
        Route("/lots/{id:int}", lot_item, methods=["GET", "PATCH", "DELETE"]),
        Route("/lots/{id:int}/options", lot_options, methods=["GET"]),
        Route("/offers", offers_collection, methods=["GET", "POST"]),
        Route("/offers/{id:int}", offer_item, methods=["GET", "DELETE"]),
        Route("/match-runs", match_runs, methods=["POST"]),
        Route("/match-runs/{id:int}", match_run_item, methods=["GET"]),
        Route("/proposals", proposals_collection, methods=["GET"]),
        Route("/proposals/{id:int}/bids", proposal_bids, methods=["GET", "POST"]),
        Route("/bids", bids_collection, methods=["GET"]),
        Route("/bids/{id:int}/accept", bid_accept, methods=["POST"]),
        Route("/bids/{id:int}/reject", bid_reject, methods=["POST"]),
        Route("/bids/{id:int}/withdraw", bid_withdraw, methods=["POST"]),
        Route("/contracts", contracts_collection, methods=["GET"]),
        Route("/contracts/{id:int}", contract_item, methods=["GET"]),
        Route("/contracts/{id:int}/cancel", contract_cancel, methods=["POST"]),
        Route("/contracts/{id:int}/deliveries", contract_deliveries, methods=["GET", "POST"]),
        Route("/deliveries", deliveries_collection, methods=["GET"]),
        Route("/deliveries/{id:int}/receipt", delivery_receipt, methods=["POST"]),
        Route("/deliveries/{id:int}/resolve", delivery_resolve, methods=["POST"]),
    ]
