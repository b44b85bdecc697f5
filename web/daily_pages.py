"""Daily work in the browser: the to-do on the home page, the header's counts, the
notifications page, and the account's mail preferences."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market import notifications, todo, todo_query
from market.errors import DomainError
from market.tables import NOTIFICATION_KINDS
from web.api import path_id, query_int, run_read, run_uow
from web.daily_api import localised_todo, notifications_of
from web.i18n import refusal
from web.market_pages import done, page, posted
from web.render import lang_of, render
from web.routing import Routes
from web.security import check_csrf, require_actor

routes = Routes()

PAGE_SIZE = 30


async def home_context(request: Request, actor: Any) -> dict[str, Any]:
    """The to-do the home page opens on."""
    items = await run_read(request, todo_query.todo_for, actor)
    return {"todo": localised_todo(items, lang_of(request))}


@routes.get("/daily/badge")
async def badge(request: Request) -> Response:
    """The header's counts (loaded after the page, so no page waits on them)."""
    actor = await require_actor(request)

    def read(session: Session) -> dict[str, int]:
        return {
            "todo_total": todo.total(todo_query.todo_for(session, actor)),
            "unread": notifications.unread_count(session, actor.user_id),
        }

    return render(request, "daily/_badge.html", await run_read(request, read))


@routes.get("/notifications")
async def notification_page(request: Request, alert: str = "") -> Response:
    actor = await require_actor(request)
    offset = query_int(request, "offset", 0, 10**6)
    unread_only = request.query_params.get("unread") == "1"
    data = await notifications_of(
        request, actor, unread_only=unread_only, limit=PAGE_SIZE, offset=offset
    )
    return page(
        request,
        "daily/notifications.html",
        data
        | {
            "offset": offset,
            "page_size": PAGE_SIZE,
            "unread_only": unread_only,
            "alert": alert,
        },
    )


def _safe(url: str) -> str:
    return url if url.startswith("/") and not url.startswith("//") else "/"


@routes.post("/notifications/read-all")
async def notifications_read_all(request: Request) -> Response:
    actor = await require_actor(request)
    await posted(request)
    await run_uow(request, notifications.mark_all_read, actor)
    return done(request, "/notifications")


@routes.post("/notifications/{id:int}/read", name="notification_read")
@routes.post("/notifications/{id:int}/open", name="notification_open")
async def notification_action(request: Request) -> Response:
    """`read` marks it read and stays on the list; `open` marks it read and goes to its page."""
    actor = await require_actor(request)
    notification_id = path_id(request)
    action = request.url.path.rsplit("/", 1)[-1]
    await posted(request)
    try:
        row = await run_uow(request, notifications.mark_read, actor, notification_id)
    except DomainError as exc:
        if exc.code != "not_found":
            raise
        return await notification_page(request, refusal(exc, lang_of(request)))
    return done(request, _safe(row.url) if action == "open" else "/notifications")


@routes.route("/account/notifications", methods=["GET", "POST"])
async def preferences_page(request: Request) -> Response:
    actor = await require_actor(request)
    context: dict[str, Any] = {}
    if request.method == "POST":
        form = await request.form()
        check_csrf(request, form)
        data = {
            "lang": str(form.get("lang", "")),
            "mail_kinds": [str(k) for k in form.getlist("mail_kinds")][: len(NOTIFICATION_KINDS)],
        }
        try:
            await run_uow(request, notifications.set_preferences, actor, data)
        except DomainError as exc:
            if exc.code != "invalid":
                raise
            context["error"] = refusal(exc, lang_of(request))
        else:
            return RedirectResponse("/account/notifications?done=1", status_code=303)
    prefs = await run_read(request, notifications.preferences, actor)
    lang = lang_of(request)
    context |= {
        "prefs": prefs,
        "kinds": [(k, notifications.kind_name(k, lang)) for k in NOTIFICATION_KINDS],
        "saved": request.query_params.get("done") == "1",
    }
    return render(
        request,
        "daily/preferences.html",
        context,
        status_code=422 if "error" in context else 200,
    )
