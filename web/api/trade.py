"""The trade surface of /api/v1: proposals, bids, contracts and deliveries."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from market import views
from market.errors import InvalidInput
from market.services import deliveries, trade
from web import paging as pages
from web.api.common import (
    act_on_item,
    acting,
    body,
    item_view,
    list_request,
    listed,
    on_item,
    path_id,
    run_read,
    run_uow,
    settings_of,
    whole,
)
from web.routing import Routes

routes = Routes()

# ----------------------------------------------------------------------------- trade


@routes.get("/proposals")
async def proposals_collection(request: Request) -> Response:
    actor = await acting(request)
    run = request.query_params.get("run")
    run_id = None if run is None else whole(run)
    if run is not None and run_id is None:
        raise InvalidInput.about("run", run, "is not a whole number")
    pg, f = list_request(request, sorts=views.PROPOSAL_SORTS, default_sort="run")
    rows, total = await run_read(
        request,
        views.page_proposals,
        actor,
        run_id,
        material=f.material,
        sort=pg.sort,
        **pg.window(),
    )
    return JSONResponse(pages.answer("proposals", rows, total, pg))


@routes.route("/proposals/{id:int}/bids", methods=["GET", "POST"])
async def proposal_bids(request: Request) -> Response:
    actor, proposal_id, data = await on_item(request)
    if data is not None:
        bid = await run_uow(request, trade.place_bid, actor, proposal_id, data)
        return JSONResponse(views.bid_public(bid), status_code=201)
    return JSONResponse(
        {"bids": await run_read(request, views.bids_for_proposal, actor, proposal_id)}
    )


@routes.get("/bids")
async def bids_collection(request: Request) -> Response:
    return await listed(
        request, "bids", lambda s, actor, f, pg: views.page_bids(s, actor, f, **pg.window())
    )


@routes.post("/bids/{id:int}/accept")
async def bid_accept(request: Request) -> Response:
    actor = await acting(request)
    await body(request)
    contract = await run_uow(request, trade.accept_bid, actor, path_id(request))
    return JSONResponse(views.contract_public(contract), status_code=201)


@routes.post("/bids/{id:int}/reject")
async def bid_reject(request: Request) -> Response:
    actor = await acting(request)
    bid = await run_uow(request, trade.reject_bid, actor, path_id(request))
    return JSONResponse(views.bid_public(bid))


@routes.post("/bids/{id:int}/withdraw")
async def bid_withdraw(request: Request) -> Response:
    actor = await acting(request)
    bid = await run_uow(request, trade.withdraw_bid, actor, path_id(request))
    return JSONResponse(views.bid_public(bid))


@routes.get("/contracts")
async def contracts_collection(request: Request) -> Response:
    return await listed(
        request,
        "contracts",
        lambda s, actor, f, pg: views.page_contracts(s, actor, f, **pg.window()),
    )


@routes.get("/contracts/{id:int}")
async def contract_item(request: Request) -> Response:
    return await item_view(request, views.get_contract)


@routes.post("/contracts/{id:int}/cancel")
async def contract_cancel(request: Request) -> Response:
    actor = await acting(request)
    contract = await run_uow(request, trade.cancel_contract, actor, path_id(request))
    return JSONResponse(views.contract_public(contract))


@routes.route("/contracts/{id:int}/deliveries", methods=["GET", "POST"])
async def contract_deliveries(request: Request) -> Response:
    actor, contract_id, data = await on_item(request)
    if data is not None:
        key = request.headers.get("idempotency-key")
        if key and "idempotency_key" not in data:
            data["idempotency_key"] = key
        delivery, created = await run_uow(
            request, deliveries.dispatch_delivery, actor, contract_id, data
        )
        return JSONResponse(views.delivery_public(delivery), status_code=201 if created else 200)
    return JSONResponse(
        {"deliveries": await run_read(request, views.list_deliveries, actor, contract_id)}
    )


@routes.get("/deliveries")
async def deliveries_collection(request: Request) -> Response:
    return await listed(
        request,
        "deliveries",
        lambda s, actor, f, pg: views.page_deliveries(s, actor, None, f, **pg.window()),
    )


@routes.post("/deliveries/{id:int}/receipt")
async def delivery_receipt(request: Request) -> Response:
    delivery, created = await act_on_item(request, deliveries.confirm_receipt, settings_of(request))
    return JSONResponse(views.delivery_public(delivery), status_code=201 if created else 200)


@routes.post("/deliveries/{id:int}/resolve")
async def delivery_resolve(request: Request) -> Response:
    delivery = await act_on_item(request, deliveries.resolve_dispute)
    return JSONResponse(views.delivery_public(delivery))
