"""The account surface of /api/v1: tokens, the caller, passwords and the operator's users."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from market import fields, schemas
from market.auth import Actor, token_digest
from market.schemas import bodies
from market.services import users
from web.api.common import acting, body, db_of, path_id, run_read, run_uow, settings_of
from web.routing import Routes
from web.security import SESSION_EPOCH
from web.security import _bearer as _bearer_of

routes = Routes()

# ----------------------------------------------------------------------------- auth and me


@routes.post("/auth/token")
async def issue_token(request: Request) -> Response:
    given = schemas.each(bodies.TokenRequest, await body(request))
    settings = settings_of(request)
    name = "api" if given["name"] is None else given["name"]
    from web.login import log_in

    actor = await log_in(request, given["username"], given["password"])

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


@routes.get("/auth/tokens")
async def list_tokens(request: Request) -> Response:
    actor = await acting(request)
    from sqlmodel import col, select

    from market.tables import ApiToken

    def read(session: Session) -> list[dict[str, Any]]:
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


@routes.post("/auth/tokens/{id:int}/revoke")
async def revoke_token(request: Request) -> Response:
    actor = await acting(request)
    token = await run_uow(request, users.revoke_token, actor, path_id(request))
    request.app.state.callers.forget_token(token.id)
    return JSONResponse({"id": token.id, "revoked": True})


@routes.get("/me")
async def me(request: Request) -> Response:
    return JSONResponse(_me(await acting(request)))


# ----------------------------------------------------------------------------- accounts


def _announce(request: Request) -> None:
    """Every worker forgets the callers it remembers: a deactivation or a reset is at once."""
    request.app.state.callers.announce()


@routes.post("/me/password")
async def my_password(request: Request) -> Response:
    actor = await acting(request)
    data = await body(request)
    fields.reject_unknown(data, schemas.names(bodies.PasswordChange))
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


@routes.get("/me/logins")
async def my_logins(request: Request) -> Response:
    actor = await acting(request)
    return JSONResponse(
        {"logins": await run_read(request, users.login_history, actor, actor.user_id)}
    )


@routes.route("/users", methods=["GET", "POST"])
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
    return next(r for r in rows if r["id"] == user_id)


async def _set_active(request: Request, active: bool) -> Response:
    actor = await acting(request)
    user_id = path_id(request)
    await run_uow(request, users.set_active, actor, user_id, active)
    _announce(request)
    return JSONResponse(await _user_row(request, actor, user_id))


@routes.post("/users/{id:int}/deactivate")
async def user_deactivate(request: Request) -> Response:
    return await _set_active(request, False)


@routes.post("/users/{id:int}/activate")
async def user_activate(request: Request) -> Response:
    return await _set_active(request, True)


@routes.post("/users/{id:int}/reset-password")
async def user_reset_password(request: Request) -> Response:
    actor = await acting(request)
    user_id = path_id(request)
    _user, one_time = await run_uow(request, users.reset_password, actor, user_id)
    _announce(request)
    return JSONResponse(await _user_row(request, actor, user_id) | {"one_time_password": one_time})


@routes.get("/users/{id:int}/logins")
async def user_logins(request: Request) -> Response:
    actor = await acting(request)
    return JSONResponse(
        {"logins": await run_read(request, users.login_history, actor, path_id(request))}
    )
