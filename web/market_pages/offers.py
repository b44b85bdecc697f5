"""A recycler's offers: posting, the use and specification fields, withdrawing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from market import clock, views
from market.auth import Actor
from market.catalogue import catalogue, use_spec
from market.errors import InvalidInput
from market.services import (
    offers,
)
from web import i18n
from web.api import run_read
from web.market_pages.forms import (
    BLANK,
    Form,
    ItemButton,
    chosen_material,
    listing,
    material_fragment,
    on_form,
    page,
    pick,
    post_item_forms,
    serves,
    spec_of,
)
from web.render import lang_of
from web.routing import Routes

routes = Routes()


def _use_options(request: Request, material: str) -> list[tuple[str, str]]:
    if material not in catalogue().materials:
        return []
    lang = lang_of(request)
    return [
        (u.code, f"{i18n.name_of(u, lang)} ({u.standard})")
        for u in catalogue().materials[material].uses
    ]


def _spec_defaults(material: str, use: str) -> dict[str, str]:
    """The catalogue use's limits as the spec inputs' starting values."""
    if not material or not use:
        return {}
    try:
        spec = use_spec(material, use)
    except InvalidInput:
        return {}
    return {f"spec.{p}.{k}": f"{v:g}" for p, bounds in spec.items() for k, v in bounds.items()}


def _offer_data(values: Mapping[str, str]) -> dict[str, Any]:
    """The offer form's fields (the service's), the `spec` made of the `spec.*.min|max` inputs."""
    return pick(values, offers.OFFER_FIELDS) | {"spec": spec_of(values)}


@serves(routes, "/offers", "recycler")
async def _offers_page(
    request: Request, actor: Actor, form: Form = BLANK, alert: str = ""
) -> Response:
    ls = listing(request, views.OFFER_STATUSES)

    def read(session: Session) -> dict[str, Any]:
        found = views.page_offers(session, actor, ls.filter, **ls.paging.window())
        return ls.shown("/offers", "offers", found, views.OFFER_STATUSES) | {
            "plants": views.list_sites(session, actor, kind="plant")
        }

    ctx = await run_read(request, read)
    material = chosen_material(request, form)
    use = form.values.get("use", "")
    today = clock.today()
    ctx |= {
        "material": material,
        "use": use,
        "spec_defaults": _spec_defaults(material, use),
        "use_options": _use_options(request, material),
        "period_start": today.isoformat(),
        "period_end": (today + timedelta(days=365)).isoformat(),
    }
    return page(request, "market/offers.html", ctx, form=form, block="offer_form", alert=alert)


@routes.post("/offers")
async def offers_post(request: Request) -> Response:
    return await on_form(
        request,
        _offer_data,
        offers.post_offer,
        then="/offers",
        refused=_offers_page,
    )


@material_fragment(routes, "/offers/spec", "/offers")
async def _offer_spec(request: Request, material: str) -> Response:
    """The use choices and the spec inputs of a material, prefilled from the chosen use."""
    use = request.query_params.get("use", "") if material else ""
    ctx = {
        "material": material,
        "use": use,
        "spec_defaults": _spec_defaults(material, use),
        "use_options": _use_options(request, material),
    }
    return page(request, "market/_spec.html", ctx)


post_item_forms(
    routes,
    ItemButton(
        "/offers/{id:int}/withdraw",
        "offer_withdraw",
        offers.withdraw_offer,
        then="/offers",
        refused=lambda request, actor, _offer, message: _offers_page(
            request, actor, BLANK, message
        ),
    ),
)
