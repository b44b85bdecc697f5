"""The market surface of /api/v1: the catalogue, sites and their ledgers, lots, offers and
match runs."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from market import views
from market.catalogue import catalogue
from market.errors import InvalidInput
from market.services import ledger, lots, matching, offers, sites
from web import paging as pages
from web.api.common import (
    acting,
    body,
    created,
    db_of,
    item_view,
    listed,
    on_item,
    path_id,
    query_int,
    run_read,
    run_uow,
    settings_of,
    stored_id,
)
from web.routing import Routes

routes = Routes()

# ----------------------------------------------------------------------------- catalogue


@routes.get("/materials")
async def materials(request: Request) -> Response:
    await acting(request)
    cat = catalogue()
    return JSONResponse(
        {
            "parameters": [
                {
                    "code": p.code,
                    "name_zh": p.name_zh,
                    "name_en": p.name_en,
                    "unit": p.unit,
                    "min": p.physical_min,
                    "max": p.physical_max,
                    "standard": p.standard,
                }
                for p in cat.parameters.values()
            ],
            "materials": [
                {
                    "code": m.code,
                    "name_zh": m.name_zh,
                    "name_en": m.name_en,
                    "family": m.family,
                    "priority": m.priority,
                    "parameters": list(m.parameters),
                    "uses": [
                        {
                            "code": u.code,
                            "name_zh": u.name_zh,
                            "name_en": u.name_en,
                            "standard": u.standard,
                            "typical": True,
                            "spec": {
                                k: {
                                    kk: vv
                                    for kk, vv in (("min", b.min), ("max", b.max))
                                    if vv is not None
                                }
                                for k, b in u.spec.items()
                            },
                        }
                        for u in m.uses
                    ],
                }
                for m in cat.materials.values()
            ],
        }
    )


# ----------------------------------------------------------------------------- sites


@routes.route("/sites", methods=["GET", "POST"])
async def sites_collection(request: Request) -> Response:
    actor = await acting(request)
    if request.method == "POST":
        actor.require("producer", "recycler")
        data = await body(request)
        site = await run_uow(request, sites.post_site, actor, data)
        return JSONResponse(views.site_public(site), status_code=201)
    actor.require("producer", "recycler", "regulator", "operator")
    kind = request.query_params.get("kind")
    return JSONResponse({"sites": await run_read(request, views.list_sites, actor, kind=kind)})


# ----------------------------------------------------------------------------- ledger


@routes.route("/sites/{id:int}/ledger", methods=["GET", "POST"])
async def site_ledger(request: Request) -> Response:
    actor, site_id, data = await on_item(request)
    if data is not None:
        entry = await run_uow(request, ledger.post_entry, actor, site_id, data)
        names = {actor.user_id: actor.username}
        return JSONResponse(views.entry_public(entry, names), status_code=201)
    q = request.query_params
    pg = pages.parse(q, default_limit=500, max_limit=5000, min_limit=0)
    kind = pages.choice(q, "kind", views.LEDGER_KINDS)
    return JSONResponse(
        await run_read(
            request,
            views.site_ledger,
            actor,
            site_id,
            material=q.get("material"),
            kind=kind,
            month=pages.month(q, "month"),
            **pg.window(),
        )
    )


# ----------------------------------------------------------------------------- lots


@routes.route("/lots", methods=["GET", "POST"])
async def lots_collection(request: Request) -> Response:
    if request.method == "POST":
        return await created(request, lots.post_lot, views.get_lot)
    mine = request.query_params.get("mine") in ("1", "true")
    return await listed(
        request,
        "lots",
        lambda s, actor, f, pg: views.page_lots(s, actor, f, mine=mine, **pg.window()),
        default=200,
    )


@routes.route("/lots/{id:int}", methods=["GET", "PATCH", "DELETE"])
async def lot_item(request: Request) -> Response:
    actor = await acting(request)
    lot_id = path_id(request)
    if request.method == "PATCH":
        data = await body(request)
        await run_uow(request, lots.update_lot, actor, lot_id, data)
    elif request.method == "DELETE":
        await run_uow(request, lots.withdraw_lot, actor, lot_id)
    return JSONResponse(await run_read(request, views.get_lot, actor, lot_id))


@routes.get("/lots/{id:int}/options")
async def lot_options(request: Request) -> Response:
    return await item_view(request, matching.lot_options, settings_of(request))


# ----------------------------------------------------------------------------- offers


@routes.route("/offers", methods=["GET", "POST"])
async def offers_collection(request: Request) -> Response:
    if request.method == "POST":
        return await created(request, offers.post_offer, views.get_offer)
    return await listed(
        request, "offers", lambda s, actor, f, pg: views.page_offers(s, actor, f, **pg.window())
    )


@routes.route("/offers/{id:int}", methods=["GET", "DELETE"])
async def offer_item(request: Request) -> Response:
    actor = await acting(request)
    offer_id = path_id(request)
    if request.method == "DELETE":
        await run_uow(request, offers.withdraw_offer, actor, offer_id)
    return JSONResponse(await run_read(request, views.get_offer, actor, offer_id))


# ----------------------------------------------------------------------------- matching


@routes.post("/match-runs")
async def match_runs(request: Request) -> Response:
    actor = await acting(request)
    actor.require("operator", "regulator")
    data = await body(request)
    unknown = set(data) - {"params"}
    if unknown:
        raise InvalidInput.about(
            sorted(unknown)[0], data[sorted(unknown)[0]], "is not a known field"
        )
    params = data.get("params")
    if params is not None and not isinstance(params, dict):
        raise InvalidInput.about("params", params, "is not an object")
    from market.services import jobs
    from web.jobs_api import queued

    db, settings = db_of(request), settings_of(request)
    if await run_in_threadpool(jobs.is_large, db, settings):
        # too large to answer at once: a worker solves it (202 with the job to follow)
        return queued(await run_in_threadpool(jobs.start_match_run, db, actor, settings, params))
    run = await run_in_threadpool(matching.run_match, db, actor, settings, params)
    return JSONResponse(
        await run_read(request, views.match_run_public, actor, stored_id(run)), status_code=201
    )


@routes.get("/match-runs/{id:int}")
async def match_run_item(request: Request) -> Response:
    actor = await acting(request)
    q = request.query_params
    proposals = pages.parse(q, default_limit=500, max_limit=1000, min_limit=0)
    unmatched = pages.Paging(
        query_int(request, "unmatched_limit", 500, 1000),
        query_int(request, "unmatched_offset", 0, pages.MAX_OFFSET),
    )
    return JSONResponse(
        await run_read(
            request,
            views.match_run_public,
            actor,
            path_id(request),
            proposals=(proposals.limit, proposals.offset),
            unmatched=(unmatched.limit, unmatched.offset),
        )
    )
