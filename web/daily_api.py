"""Daily work in the API: the to-do, notifications, and which of them come by mail."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from market import notifications, todo_query
from market.auth import Actor
from market.errors import InvalidInput
from market.tables import NOTIFICATION_KINDS
from web import openapi
from web.api import acting, body, paging, path_id, run_read, run_uow
from web.i18n import translate
from web.render import lang_of
from web.routing import Routes

routes = Routes()


def localised_todo(items: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    return [i | {"title": translate(str(i["title"]), lang)} for i in items]


@routes.get("/todo")
async def todo(request: Request) -> Response:
    actor = await acting(request)
    items = await run_read(request, todo_query.todo_for, actor)
    return JSONResponse({"items": localised_todo(items, lang_of(request))})


def _unread_only(request: Request) -> bool:
    raw = request.query_params.get("unread")
    if raw not in (None, "", "0", "1", "true", "false"):
        raise InvalidInput.about("unread", raw, "must be 1 or 0")
    return raw in ("1", "true")


async def notifications_of(
    request: Request, actor: Actor, *, unread_only: bool, limit: int, offset: int
) -> dict[str, Any]:
    """A page of the caller's notifications (newest first), in the request's language."""
    return await run_read(
        request,
        notifications.list_for,
        actor,
        lang_of(request),
        unread_only=unread_only,
        limit=limit,
        offset=offset,
    )


@routes.get("/notifications")
async def notification_list(request: Request) -> Response:
    actor = await acting(request)
    unread_only = _unread_only(request)
    page = paging(request, default=50, maximum=200)
    return JSONResponse(await notifications_of(request, actor, unread_only=unread_only, **page))


@routes.post("/notifications/read-all")
async def notifications_read_all(request: Request) -> Response:
    actor = await acting(request)
    marked = await run_uow(request, notifications.mark_all_read, actor)
    return JSONResponse({"marked": marked})


@routes.post("/notifications/{id:int}/read")
async def notification_read(request: Request) -> Response:
    actor = await acting(request)
    notification_id = path_id(request)
    row = await run_uow(request, notifications.mark_read, actor, notification_id)
    return JSONResponse(notifications.public(row, lang_of(request)))


@routes.route("/me/notification-settings", methods=["GET", "POST"])
async def mail_preferences(request: Request) -> Response:
    actor = await acting(request)
    if request.method == "POST":
        data = await body(request)
        return JSONResponse(await run_uow(request, notifications.set_preferences, actor, data))
    return JSONResponse(await run_read(request, notifications.preferences, actor))


# ----------------------------------------------------------------------------- OpenAPI

_KIND = {"type": "string", "enum": list(NOTIFICATION_KINDS)}

openapi.register(
    {
        "/todo": {
            "get": openapi.op(
                "What waits on the caller now: bids to decide, receipts to confirm, reports to "
                "submit or review ..., each with a count and the page to do it on",
                "any signed-in user",
                openapi.ref("Todo"),
            )
        },
        "/notifications": {
            "get": openapi.op(
                "The caller's notifications, newest first, with the number unread",
                "any signed-in user",
                openapi.ref("NotificationList"),
                params=[
                    openapi.query("unread", {"type": "string", "enum": ["0", "1"]}),
                    openapi.query("limit", {"type": "integer", "minimum": 0, "maximum": 200}),
                    openapi.query("offset", {"type": "integer", "minimum": 0}),
                ],
            )
        },
        "/notifications/read-all": {
            "post": openapi.op("Mark every notification of the caller read", "any signed-in user")
        },
        "/notifications/{id}/read": {
            "post": openapi.op(
                "Mark a notification read",
                "its owner",
                openapi.ref("Notification"),
                params=[openapi.path_id()],
            )
        },
        "/me/notification-settings": {
            "get": openapi.op(
                "The caller's mail language and the kinds of notification that come by mail",
                "any signed-in user",
                openapi.ref("NotificationSettings"),
            ),
            "post": openapi.op(
                "Choose the mail language and the kinds of notification that come by mail",
                "any signed-in user",
                openapi.ref("NotificationSettings"),
                body="NotificationSettingsChange",
            ),
        },
    },
    {
        "Todo": openapi.obj(
            {
                "items": {
                    "type": "array",
                    "items": openapi.obj(
                        {
                            "kind": {"type": "string"},
                            "count": {"type": "integer", "minimum": 1},
                            "url": {"type": "string"},
                            "title": {"type": "string"},
                        },
                        ["kind", "count", "url", "title"],
                        closed=False,
                    ),
                }
            },
            ["items"],
            closed=False,
        ),
        "Notification": openapi.obj(
            {
                "id": {"type": "integer"},
                "kind": _KIND,
                "title": {"type": "string"},
                "url": {"type": "string"},
                "created_at": {"type": "string"},
                "read_at": {"type": ["string", "null"]},
            },
            ["id", "kind", "title", "url", "created_at", "read_at"],
            closed=False,
        ),
        "NotificationList": openapi.obj(
            {
                "notifications": {"type": "array", "items": openapi.ref("Notification")},
                "unread": {"type": "integer"},
                "total": {"type": "integer"},
            },
            ["notifications", "unread"],
            closed=False,
        ),
        "NotificationSettings": openapi.obj(
            {
                "email": {"type": ["string", "null"]},
                "lang": {"type": "string", "enum": ["zh", "en"]},
                "mail_kinds": {"type": "array", "items": _KIND},
            },
            ["lang", "mail_kinds"],
            closed=False,
        ),
        "NotificationSettingsChange": openapi.obj(
            {
                "lang": {"type": "string", "enum": ["zh", "en"]},
                "mail_kinds": {
                    "type": "array",
                    "items": _KIND,
                    "maxItems": len(NOTIFICATION_KINDS),
                },
            }
        ),
    },
)
