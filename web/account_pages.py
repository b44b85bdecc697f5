"""Account pages: change my password (any user), and the operator's users page."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market.errors import DomainError, InvalidInput
from market.services import users
from market.tables import ROLES
from web import flash
from web.api import db_of, path_id, run_read
from web.i18n import refusal
from web.render import lang_of, render
from web.routing import Routes
from web.security import SESSION_EPOCH, check_csrf, require_actor

routes = Routes()


@routes.route("/account/password", methods=["GET", "POST"])
async def password_page(request: Request) -> Response:
    actor = await require_actor(request)
    context: dict[str, Any] = {}
    if request.method == "POST":
        form = await request.form()
        check_csrf(request, form)
        new = str(form.get("new_password", ""))
        try:
            if new != str(form.get("new_password_again", "")):
                raise InvalidInput(
                    "new_password_again: differs from new_password", field="new_password_again"
                )
            user = await run_in_threadpool(
                db_of(request).run,
                users.change_password,
                actor,
                str(form.get("current_password", "")),
                new,
            )
        except DomainError as exc:
            context["error"] = refusal(exc, lang_of(request))
        else:
            request.app.state.callers.announce()
            request.session[SESSION_EPOCH] = user.session_epoch  # this browser stays signed in
            return RedirectResponse("/account/password?done=1", status_code=303)
    context["done"] = request.query_params.get("done") == "1"
    context["logins"] = await run_read(request, users.login_history, actor, actor.user_id)
    return render(
        request, "account/password.html", context, status_code=400 if "error" in context else 200
    )


@routes.get("/account/users")
async def users_page(request: Request, extra: dict[str, Any] | None = None) -> Response:
    actor = await require_actor(request)
    actor.require("operator")
    rows = await run_read(request, users.list_users, actor)
    by_org = [(org, list(group)) for org, group in groupby(rows, key=lambda r: r["organisation"])]
    context = {"by_org": by_org, "roles": ROLES} | (extra or {})
    return render(
        request, "account/users.html", context, status_code=400 if "error" in context else 200
    )


async def _act(request: Request, call: Any, args: Any) -> Any:
    actor = await require_actor(request)
    actor.require("operator")
    form = await request.form()
    check_csrf(request, form)
    result = await run_in_threadpool(db_of(request).run, call, actor, *args(form))
    request.app.state.callers.announce()
    return result


@routes.post("/account/users")
async def users_post(request: Request) -> Response:
    try:
        user, one_time = await _act(
            request,
            users.create_user,
            lambda form: (
                {
                    k: str(form.get(k, "")).strip()
                    for k in ("username", "role", "organisation", "email")
                },
            ),
        )
    except DomainError as exc:
        return await users_page(request, {"error": refusal(exc, lang_of(request))})
    return await users_page(
        request, {"one_time": {"username": user.username, "password": one_time}}
    )


@routes.post("/account/users/{id:int}/{action:str}")
async def user_action(request: Request) -> Response:
    action = request.path_params["action"]
    user_id = path_id(request)
    try:
        if action == "reset-password":
            user, one_time = await _act(request, users.reset_password, lambda form: (user_id,))
            return await users_page(
                request, {"one_time": {"username": user.username, "password": one_time}}
            )
        await _act(request, users.set_active, lambda form: (user_id, action == "activate"))
    except DomainError as exc:
        if exc.code in ("forbidden", "unauthenticated"):
            raise
        return await users_page(request, {"error": refusal(exc, lang_of(request))})
    flash.remember(request, "/account/users")
    return RedirectResponse("/account/users", status_code=303)
