"""Handlers the JSON API writes the same way in several modules, made once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from market.auth import Actor
from web.api import acting, path_id, run_read


def item_reader(
    read: Callable[[Session, Actor, int], Any],
) -> Callable[[Request], Awaitable[Response]]:
    """A GET handler answering `read(session, caller, id)` as JSON, for the item the path names
    (`{id:int}`)."""

    async def answer(request: Request) -> Response:
        actor = await acting(request)
        return JSONResponse(await run_read(request, read, actor, path_id(request)))

    answer.__name__ = getattr(read, "__name__", "answer")
    return answer
