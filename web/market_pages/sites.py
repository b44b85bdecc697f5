"""A producer's yards and a recycler's plants."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from market import views
from market.auth import Actor
from market.services import (
    sites,
)
from web.api import run_read
from web.market_pages.forms import BLANK, Form, page, pick, posted, submit
from web.routing import Routes
from web.security import require_actor

routes = Routes()


async def _sites_page(request: Request, actor: Actor, kind: str, form: Form) -> Response:
    def read(session: Session) -> dict[str, Any]:
        rows = views.list_sites(session, actor, kind=kind)
        if kind == "yard":  # yards keep ledgers; plants post offers
            stock = views.stock_by_site(session, [r["id"] for r in rows])
            for r in rows:
                r["stock"] = stock.get(r["id"], {})
        else:
            counts = views.open_offers_by_site(session, actor)
            for r in rows:
                r["open_offers"] = counts.get(r["id"], 0)
        return {"sites": rows, "kind": kind}

    ctx = await run_read(request, read)
    return page(request, "market/sites.html", ctx, form=form, block="site_form")


@routes.get("/yards")
async def yards(request: Request) -> Response:
    actor = await require_actor(request)
    actor.require("producer")
    return await _sites_page(request, actor, "yard", BLANK)


@routes.post("/yards")
async def yards_post(request: Request) -> Response:
    return await _post_site(request, "yard", "/yards")


async def _post_site(request: Request, kind: str, back: str) -> Response:
    actor = await require_actor(request)
    form = await posted(request)
    data = pick(form.values, ("name", "lat", "lon")) | {"kind": kind}
    return await submit(
        request,
        form,
        lambda uow: sites.post_site(uow, actor, data),
        then=lambda _site: back,
        refused=lambda f: _sites_page(request, actor, kind, f),
    )


@routes.get("/my/plants")
async def plants(request: Request) -> Response:
    actor = await require_actor(request)
    actor.require("recycler")
    return await _sites_page(request, actor, "plant", BLANK)


@routes.post("/my/plants")
async def plants_post(request: Request) -> Response:
    return await _post_site(request, "plant", "/my/plants")
