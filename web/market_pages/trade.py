"""Proposals (list, map, bidding), bids (accept, reject, withdraw) and contracts (list, one
contract, dispatching)."""

from __future__ import annotations

import secrets
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from market import listings, views
from market.auth import Actor
from market.papers import service as papers_service
from market.services import (
    deliveries,
    trade,
)
from market.services.common import OVERSEERS
from web.api import path_id, run_read, run_uow
from web.market_pages.deliveries import _delivery_refused, _disputed_for
from web.market_pages.forms import (
    BLANK,
    REFUSALS,
    Form,
    ItemButton,
    ItemForm,
    as_is,
    done,
    is_htmx,
    listing,
    now_cst_input,
    page,
    pick,
    post_item_forms,
    posted,
    refusal,
    serves,
)
from web.routing import Routes
from web.security import require_actor

routes = Routes()
proposal_routes = Routes()


@serves(routes, "/bids")
async def _bids_page(request: Request, actor: Actor, alert: str = "") -> Response:
    ls = listing(request, views.BID_STATUSES)

    def read(session: Session) -> dict[str, Any]:
        rows, total = views.page_bids(session, actor, ls.filter, **ls.paging.window())
        ctx = ls.shown("/bids", "bids", (rows, total), views.BID_STATUSES) | {"by_lot": []}
        if actor.role != "producer":
            return ctx
        by_lot: dict[int, dict[str, Any]] = {}
        for b in rows:
            group = by_lot.setdefault(b["lot_id"], {"lot": None, "bids": []})
            group["bids"].append(b)
        for lot_id, group in by_lot.items():
            group["lot"] = views.get_lot(session, actor, lot_id)
        return ctx | {"by_lot": list(by_lot.values())}

    return page(request, "market/bids.html", await run_read(request, read), alert=alert)


@routes.post("/bids/{id:int}/accept")
async def bid_accept(request: Request) -> Response:
    actor = await require_actor(request)
    bid_id = path_id(request)
    await posted(request)
    try:
        contract = await run_uow(request, trade.accept_bid, actor, bid_id)
    except REFUSALS as exc:
        return await _bids_page(request, actor, refusal(request, exc))
    return done(request, f"/contracts/{contract.id}", contract)


async def _back_to_bids(request: Request, actor: Actor, _bid: int, message: str) -> Response:
    return await _bids_page(request, actor, message)


# a bid's buttons on the bids page: back to the page, refused or done
post_item_forms(
    routes,
    ItemButton("/bids/{id:int}/reject", "bid_reject", trade.reject_bid, "/bids", _back_to_bids),
    ItemButton(
        "/bids/{id:int}/withdraw", "bid_withdraw", trade.withdraw_bid, "/bids", _back_to_bids
    ),
)


@serves(routes, "/contracts")
async def _contracts_page(request: Request, actor: Actor, form: Form = BLANK) -> Response:
    ls = listing(request, views.CONTRACT_STATUSES)

    def read(session: Session) -> dict[str, Any]:
        found = views.page_contracts(session, actor, ls.filter, **ls.paging.window())
        disputed, _ = views.page_deliveries(
            session, actor, None, views.ListFilter(status="disputed"), limit=200
        )
        return ls.shown("/contracts", "contracts", found, views.CONTRACT_STATUSES) | {
            "disputed": _disputed_for(session, actor, disputed)
        }

    return page(request, "market/contracts.html", await run_read(request, read), form=form)


@serves(routes, "/contracts/{id:int}")
async def _contract_page(
    request: Request, actor: Actor, contract_id: int, form: Form = BLANK
) -> Response:
    def read(session: Session) -> dict[str, Any]:
        c = views.get_contract(session, actor, contract_id)
        return {"c": c, "disputed": _disputed_for(session, actor, c["deliveries"])}

    ctx = await run_read(request, read)
    ctx |= {"now": now_cst_input(), "idempotency_key": secrets.token_urlsafe(16)}
    return page(request, "market/contract.html", ctx, form=form, block="dispatch_form")


DISPATCH_FIELDS = ("manifest_no", "tonnes", "truck_plate", "dispatched_at", "idempotency_key")


post_item_forms(
    routes,
    ItemForm(
        "/contracts/{id:int}/dispatch",
        "contract_dispatch",
        "",
        (*DISPATCH_FIELDS, "driver"),
        as_is(
            lambda uow, actor, contract_id, data: papers_service.dispatch_with_driver(
                uow, actor, contract_id, pick(data, DISPATCH_FIELDS), data["driver"]
            )
        ),
        then="/contracts/{id}",
        refused=_contract_page,
    ),
    ItemForm(
        "/deliveries/{id:int}/resolve",
        "delivery_resolve",
        "resolve-{id}",
        ("accepted_tonnes", "note"),
        as_is(deliveries.resolve_dispute),
        then=lambda d: f"/contracts/{d.contract_id}",
        refused=_delivery_refused("market/_resolve_form.html", _contracts_page),
    ),
)


PROPOSAL_SORTS = ("cost", "-cost", "tonnes", "-tonnes", "distance", "-distance", "date", "run")


@serves(proposal_routes, "/proposals", "recycler", "producer", *OVERSEERS)
async def _proposals_page(request: Request, actor: Actor, form: Form = BLANK) -> Response:
    """A summary table of a page of proposals, sortable, then the same proposals as cards."""
    ls = listing(
        request, default_limit=20, max_limit=100, sorts=PROPOSAL_SORTS, default_sort="cost"
    )

    def read(session: Session) -> dict[str, Any]:
        run_id = views.latest_run_id(session)
        rows, total = views.page_proposals(
            session,
            actor,
            run_id,
            material=ls.filter.material,
            sort=ls.paging.sort,
            **ls.paging.window(),
        )
        latest = views.latest_bids(session, actor, [r["id"] for r in rows])
        for r in rows:
            r["bid"] = latest.get(r["id"])
        return {
            "proposals": rows,
            "run_id": run_id,
            "pager": ls.pager("/proposals", total, len(rows)),
            "filters": ls.kept,
            "sort": ls.paging.sort,
        }

    return page(request, "market/proposals.html", await run_read(request, read), form=form)


async def _bid_refused(request: Request, actor: Actor, proposal_id: int, f: Form) -> Response:
    """A refused bid: htmx swaps just that proposal's form back in, else the whole page."""
    if not is_htmx(request):
        return await _proposals_page(request, actor, f)
    p = await run_read(request, listings.proposal_for, actor, proposal_id)
    return page(request, "market/_bid_form.html", {"p": p}, form=f)


post_item_forms(
    proposal_routes,
    ItemForm(
        "/proposals/{id:int}/bid",
        "proposal_bid",
        "bid-{id}",
        ("price_cny_t", "tonnes"),
        as_is(trade.place_bid),
        then="/bids",
        refused=_bid_refused,
    ),
)


def _zoom_for(span_deg: float) -> float:
    # at zoom 1 a small map shows ~10 degrees (all Yunnan); show about three times the route,
    # and never less than a county or so around it
    return max(1.0, min(9.0, 10.0 / max(span_deg * 3.0, 1.2)))


@proposal_routes.get("/proposals/{id:int}/map.json")
async def proposal_map(request: Request) -> Response:
    """The two ends of one proposal's route, as `drawMap` data; prefectures come separately."""
    actor = await require_actor(request)
    p = await run_read(request, listings.proposal_for, actor, path_id(request))
    ends = [(p["yard_lon"], p["yard_lat"]), (p["plant_lon"], p["plant_lat"])]
    span = max(abs(ends[0][0] - ends[1][0]), abs(ends[0][1] - ends[1][1]))
    return JSONResponse(
        {
            "prefecturesSrc": "/map/prefectures.json",
            "center": [(ends[0][0] + ends[1][0]) / 2, (ends[0][1] + ends[1][1]) / 2],
            "zoom": round(_zoom_for(span), 2),
            "sites": [
                {
                    "name": p["yard"],
                    "organisation": p["producer"],
                    "kind": "yard",
                    "lon": ends[0][0],
                    "lat": ends[0][1],
                },
                {
                    "name": p["plant"],
                    "organisation": p["recycler"],
                    "kind": "plant",
                    "lon": ends[1][0],
                    "lat": ends[1][1],
                },
            ],
            "extraSeries": [
                {
                    "name": "route",
                    "type": "lines",
                    "coordinateSystem": "geo",
                    "zlevel": 1,
                    "data": [
                        {
                            "coords": [list(ends[0]), list(ends[1])],
                            "label": f"{p['yard']} → {p['plant']} · {p['road_km']:.1f} km",
                        }
                    ],
                    "lineStyle": {"color": "#3d4f7a", "width": 2, "curveness": 0.2},
                    "effect": {"show": True, "symbol": "arrow", "symbolSize": 7, "period": 3},
                }
            ],
        }
    )


@proposal_routes.get("/map/prefectures.json")
async def prefectures(request: Request) -> Response:
    """Prefecture outlines alone, cacheable: every small map on a page shares one download."""
    await require_actor(request)
    from geo.regions import load_regions

    return JSONResponse(
        load_regions().prefecture_geojson(), headers={"Cache-Control": "private, max-age=86400"}
    )
