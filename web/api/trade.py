"""The trade surface of /api/v1: proposals, bids, contracts and deliveries."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from market import views
from market.errors import InvalidInput
from market.services import deliveries, trade
from web import paging as pages
from web.api.common import (
    act_on_item,
    acting,
    body,
    list_request,
    listed,
    path_id,
    run_read,
    run_uow,
    settings_of,
    whole,
)

# ----------------------------------------------------------------------------- trade


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


async def proposal_bids(request: Request) -> Response:
    actor = await acting(request)
    proposal_id = path_id(request)
    if request.method == "POST":
        data = await body(request)
        bid = await run_uow(request, trade.place_bid, actor, proposal_id, data)
        return JSONResponse(views.bid_public(bid), status_code=201)
    return JSONResponse(
        {"bids": await run_read(request, views.bids_for_proposal, actor, proposal_id)}
    )


async def bid_accept(request: Request) -> Response:
    actor = await acting(request)
    await body(request)
    contract = await run_uow(request, trade.accept_bid, actor, path_id(request))
    return JSONResponse(views.contract_public(contract), status_code=201)


async def bid_reject(request: Request) -> Response:
    actor = await acting(request)
    bid = await run_uow(request, trade.reject_bid, actor, path_id(request))
    return JSONResponse(views.bid_public(bid))


async def bid_withdraw(request: Request) -> Response:
    actor = await acting(request)
    bid = await run_uow(request, trade.withdraw_bid, actor, path_id(request))
    return JSONResponse(views.bid_public(bid))


async def bids_collection(request: Request) -> Response:
    return await listed(
        request, "bids", lambda s, actor, f, pg: views.page_bids(s, actor, f, **pg.window())
    )


async def contracts_collection(request: Request) -> Response:
    return await listed(
        request,
        "contracts",
        lambda s, actor, f, pg: views.page_contracts(s, actor, f, **pg.window()),
    )


async def contract_item(request: Request) -> Response:
    actor = await acting(request)
    return JSONResponse(await run_read(request, views.get_contract, actor, path_id(request)))


async def contract_cancel(request: Request) -> Response:
    actor = await acting(request)
    contract = await run_uow(request, trade.cancel_contract, actor, path_id(request))
    return JSONResponse(views.contract_public(contract))


async def contract_deliveries(request: Request) -> Response:
    actor = await acting(request)
    contract_id = path_id(request)
    if request.method == "POST":
        data = await body(request)
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


async def delivery_receipt(request: Request) -> Response:
    delivery, created = await act_on_item(request, deliveries.confirm_receipt, settings_of(request))
    return JSONResponse(views.delivery_public(delivery), status_code=201 if created else 200)


async def delivery_resolve(request: Request) -> Response:
    delivery = await act_on_item(request, deliveries.resolve_dispute)
    return JSONResponse(views.delivery_public(delivery))


async def deliveries_collection(request: Request) -> Response:
    return await listed(
        request,
        "deliveries",
        lambda s, actor, f, pg: views.page_deliveries(s, actor, None, f, **pg.window()),
    )


def routes() -> list[Route]:
    # built when the app is made, after web.app registers its bounded `int` convertor
    return [
        Route("/proposals", proposals_collection, methods=["GET"]),
        Route("/proposals/{id:int}/bids", proposal_bids, methods=["GET", "POST"]),
        Route("/bids", bids_collection, methods=["GET"]),
        Route("/bids/{id:int}/accept", bid_accept, methods=["POST"]),
        Route("/bids/{id:int}/reject", bid_reject, methods=["POST"]),
        Route("/bids/{id:int}/withdraw", bid_withdraw, methods=["POST"]),
        Route("/contracts", contracts_collection, methods=["GET"]),
        Route("/contracts/{id:int}", contract_item, methods=["GET"]),
        Route("/contracts/{id:int}/cancel", contract_cancel, methods=["POST"]),
        Route("/contracts/{id:int}/deliveries", contract_deliveries, methods=["GET", "POST"]),
        Route("/deliveries", deliveries_collection, methods=["GET"]),
        Route("/deliveries/{id:int}/receipt", delivery_receipt, methods=["POST"]),
        Route("/deliveries/{id:int}/resolve", delivery_resolve, methods=["POST"]),
    ]
