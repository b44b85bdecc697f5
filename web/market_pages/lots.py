"""A producer's lots: posting, the assay fields, one lot's page, editing and withdrawing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from market import clock, listings, views
from market.auth import Actor
from market.services import (
    lots,
    matching,
)
from market.services.common import OVERSEERS
from web.api import run_read, settings_of
from web.market_pages.forms import (
    BLANK,
    Form,
    ItemButton,
    ItemForm,
    as_is,
    chosen_material,
    listing,
    material_fragment,
    on_form,
    page,
    pick,
    post_item_forms,
    quality_of,
    serves,
)
from web.routing import Routes

routes = Routes()

# the service's fields, in its order; `quality` comes from the assay inputs
LOT_EDIT_FIELDS = tuple(f for f in lots.LOT_FIELDS if f in lots.EDITABLE)


def _lot_data(names: tuple[str, ...]) -> Callable[[Mapping[str, str]], dict[str, Any]]:
    """A lot form's fields: the named ones, the assay (`quality`) made of the `quality.*`
    inputs."""
    return lambda values: pick(values, names) | {"quality": quality_of(values)}


@serves(routes, "/my/lots", "producer")
async def _my_lots_page(request: Request, actor: Actor, form: Form = BLANK) -> Response:
    ls = listing(request, views.LOT_STATUSES)

    def read(session: Session) -> dict[str, Any]:
        found = views.page_lots(session, actor, ls.filter, mine=True, **ls.paging.window())
        return ls.shown("/my/lots", "lots", found, views.LOT_STATUSES) | {
            "yards": views.list_sites(session, actor, kind="yard")
        }

    ctx = await run_read(request, read)
    ctx |= {"material": chosen_material(request, form), "quality": {}}
    ctx["today"] = clock.today().isoformat()
    return page(request, "market/my_lots.html", ctx, form=form, block="lot_form")


@routes.post("/my/lots")
async def my_lots_post(request: Request) -> Response:
    return await on_form(
        request,
        _lot_data(lots.LOT_FIELDS),
        lots.post_lot,
        then=lambda lot: f"/lots/{lot.id}",
        refused=_my_lots_page,
    )


@material_fragment(routes, "/my/lots/assay", "/my/lots")
async def _assay_fields(request: Request, material: str) -> Response:
    """The assay inputs of the chosen material."""
    return page(request, "market/_assay.html", {"material": material, "quality": {}})


@serves(routes, "/lots/{id:int}")
async def _lot_page(
    request: Request, actor: Actor, lot_id: int, form: Form = BLANK, alert: str = ""
) -> Response:
    settings = settings_of(request)

    def read(session: Session) -> dict[str, Any]:
        lot = views.get_lot(session, actor, lot_id)
        owner = actor.role == "producer" and lot["organisation_id"] == actor.organisation_id
        ctx: dict[str, Any] = {"lot": lot, "owner": owner, "history": [], "bids": []}
        ctx["options"] = None
        if owner or actor.role in OVERSEERS:
            ctx["history"] = listings.lot_history(session, actor, lot_id)
            ctx["options"] = matching.lot_options(session, actor, lot_id, settings)
        if owner:
            ctx["bids"] = views.page_bids(session, actor, lot_id=lot_id, limit=200)[0]
        return ctx

    ctx = await run_read(request, read)
    ctx |= {"material": ctx["lot"]["material"], "quality": ctx["lot"]["quality"]}
    return page(request, "market/lot.html", ctx, form=form, block="edit_form", alert=alert)


post_item_forms(
    routes,
    ItemForm(
        "/lots/{id:int}/edit",
        "lot_edit",
        "",
        _lot_data(LOT_EDIT_FIELDS),
        as_is(lots.update_lot),
        then="/lots/{id}",
        refused=_lot_page,
    ),
    ItemButton(
        "/lots/{id:int}/withdraw",
        "lot_withdraw",
        lots.withdraw_lot,
        then="/lots/{id}",
        refused=lambda request, actor, lot_id, message: _lot_page(
            request, actor, lot_id, alert=message
        ),
    ),
)
