"""The regulator's planning under /api/v1/planning: the drawdown plan and the siting analysis.

Regulators and operators only. Both are computations over one snapshot, not changes, so they
write nothing; POST because the siting request may carry a protected-zone file. Over a market
larger than `inline_max_pairs` (open lots x open offers) they are queued as jobs: 202.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from market import planning
from market.auth import Actor
from market.db import Database
from market.services import jobs
from market.settings import Settings
from market.tables import Job
from web import openapi
from web.api import MAX_BODY, body, db_of, overseer, settings_of
from web.jobs_api import queued
from web.routing import Routes

routes = Routes()

_T = TypeVar("_T")

MAX_SITING_BODY = planning.MAX_ZONE_BYTES + MAX_BODY
"""A siting request may carry its protected zones: their cap, plus an ordinary body."""


Work = Callable[[Database, Actor, Settings, Mapping[str, Any]], _T]


async def _plan(request: Request, start: Work[Job], compute: Work[dict[str, Any]]) -> Response:
    """An overseer's planning request: queued as a job (`start`) when the market is large,
    else computed in the planning pool and answered at once."""
    actor = await overseer(request)
    data = await body(request)  # a siting request's limit is MAX_SITING_BODY, in web.app
    db, settings = db_of(request), settings_of(request)
    if await run_in_threadpool(jobs.is_large, db, settings):
        return queued(await run_in_threadpool(start, db, actor, settings, data))
    return JSONResponse(
        await request.app.state.planning_pool.run(compute, db, actor, settings, data)
    )


@routes.post("/planning/drawdown", name="planning_drawdown")
async def drawdown(request: Request) -> Response:
    return await _plan(request, jobs.start_drawdown, planning.drawdown)


@routes.post("/planning/siting")
async def siting(request: Request) -> Response:
    return await _plan(request, jobs.start_siting, planning.siting_analysis)


# ----------------------------------------------------------------------------- OpenAPI

_NUM = {"type": "number"}
_MATERIAL = {"type": "string", "description": "a material code of GET /materials"}
_CANDIDATE = openapi.obj(
    {
        "name": {"type": "string", "minLength": 1, "maxLength": 100},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "lon": {"type": "number", "minimum": -180, "maximum": 180},
    },
    ["name", "lat", "lon"],
)

openapi.register(
    {
        "/planning/drawdown": {
            "post": openapi.op(
                "Month-by-month drawdown plan of the stockpiles over the open intake offers: "
                "stock trajectories, the month each producer's stock reaches zero, bottleneck "
                "plants and what 10 % more capacity there would add",
                "regulator, operator",
                openapi.ref("DrawdownPlan"),
                body="DrawdownRequest",
            )
        },
        "/planning/siting": {
            "post": openapi.op(
                "Rank candidate sites (default: Yunnan's 129 county centres) for a new plant by "
                "the stock it would absorb, excluding those in or near uploaded protected zones",
                "regulator, operator",
                openapi.ref("SitingResult"),
                body="SitingRequest",
            )
        },
    },
    {
        "DrawdownRequest": openapi.obj(
            {
                "horizon_months": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": planning.MAX_HORIZON,
                    "default": 36,
                },
                "materials": {"type": "array", "items": _MATERIAL, "maxItems": 50},
                "renew_offers": {"type": "boolean", "default": False},
            }
        ),
        "DrawdownPlan": openapi.obj(
            {
                "status": {"type": "string", "enum": ["optimal", "feasible", "infeasible"]},
                "horizon_months": {"type": "integer"},
                "months": {"type": "array", "items": {"type": "string"}},
                "materials": {"type": "array", "items": {"type": "object"}},
                "plants": {"type": "array", "items": {"type": "object"}},
                "offers": {"type": "array", "items": {"type": "object"}},
            },
            closed=False,
        ),
        "SitingRequest": openapi.obj(
            {
                "material": _MATERIAL,
                "capacity_t_per_year": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "maximum": planning.MAX_CAPACITY_T,
                },
                "candidates": {
                    "type": "array",
                    "items": _CANDIDATE,
                    "maxItems": planning.MAX_CANDIDATES,
                },
                "buffer_km": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": planning.MAX_BUFFER_KM,
                    "default": 5,
                },
                "zones": {
                    "type": "object",
                    "description": "GeoJSON (WGS-84) FeatureCollection, Feature or (Multi)Polygon "
                    f"of protected zones; at most {planning.MAX_ZONE_VERTICES:,} vertices",
                },
                "spec": openapi.SPEC,
                "max_haul_km": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "maximum": planning.MAX_HAUL_KM,
                    "default": 150,
                },
                "source": {"type": "string", "enum": list(planning.SOURCES), "default": "lots"},
            },
            ["material", "capacity_t_per_year"],
        ),
        "SitingResult": openapi.obj(
            {
                "material": {"type": "string"},
                "baseline": openapi.obj(
                    {"matched_t": _NUM, "unmatched_t": _NUM, "haul_cost": _NUM}, closed=False
                ),
                "candidates": {"type": "array", "items": {"type": "object"}},
            },
            closed=False,
        ),
    },
)
