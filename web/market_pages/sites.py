"""A producer's yards and a recycler's plants."""

from __future__ import annotations

from functools import partial
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
from web.market_pages.forms import BLANK, Form, on_form, page, pick, serves
from web.routing import Routes

routes = Routes()


async def _sites_page(request: Request, actor: Actor, kind: str, form: Form = BLANK) -> Response:
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


# a producer's yards and a recycler's plants: one page each, the same form
SITE_PAGES = (
    ("yard", "/yards", "producer", "yards_page"),
    ("plant", "/my/plants", "recycler", "my_plants_page"),
)
for _kind, _path, _role, _name in SITE_PAGES:
    serves(routes, _path, _role, name=_name)(partial(_sites_page, kind=_kind))


@routes.post("/yards")
async def yards_post(request: Request) -> Response:
    return await _post_site(request, "yard", "/yards")


@routes.post("/my/plants")
async def plants_post(request: Request) -> Response:
    return await _post_site(request, "plant", "/my/plants")


async def _post_site(request: Request, kind: str, back: str) -> Response:
    return await on_form(
        request,
        lambda values: pick(values, ("name", "lat", "lon")) | {"kind": kind},
        sites.post_site,
        then=back,
        refused=lambda request, actor, f: _sites_page(request, actor, kind, f),
    )
