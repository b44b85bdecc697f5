"""From the snapshot to the pure problems (`matching.plan`, `matching.siting`) and back:
`drawdown` and `siting_analysis`, the two entry points, each an `Analysis`."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, Protocol, TypeVar

from sqlmodel import col, select

import matching
from market import clock
from market.audit.scope import require_overseer
from market.auth import Actor
from market.db import Database
from market.errors import from_problem
from market.planning.presentation import located, plan_dict, plant_names, siting_dict
from market.planning.requests import (
    DrawdownRequest,
    SitingRequest,
    add_months,
    months_between,
    parse_drawdown,
    parse_siting,
)
from market.planning.snapshot import Grade, Snapshot, snapshot, yard_streams
from market.services.matching import default_params, lot_key, offer_key, open_market, problem_from
from market.settings import Settings
from market.tables import Organisation
from matching import planner, siting

_Req = TypeVar("_Req")


class Analysis(Protocol):
    """A planning analysis as the API, the pages and the jobs call it: an overseer's raw request
    (form or JSON fields) over the market on `today` (China time when not given), answered as a
    plain dict."""

    def __call__(
        self,
        db: Database,
        actor: Actor,
        settings: Settings,
        raw: Mapping[str, Any],
        *,
        today: date | None = None,
    ) -> dict[str, Any]: ...


def _analysis(
    parse: Callable[[Mapping[str, Any]], _Req],
) -> Callable[[Callable[[Database, Settings, _Req, date], dict[str, Any]]], Analysis]:
    """The one way to run a planning request: an overseer's only, and its fields parsed (so
    refused) before the market is read; `analyse` gets the parsed request and the day."""

    def wrap(analyse: Callable[[Database, Settings, _Req, date], dict[str, Any]]) -> Analysis:
        def run(
            db: Database,
            actor: Actor,
            settings: Settings,
            raw: Mapping[str, Any],
            *,
            today: date | None = None,
        ) -> dict[str, Any]:
            require_overseer(actor)
            req = parse(raw)
            return analyse(db, settings, req, today or clock.today())

        # named and described as the analysis; its signature stays the one callers use
        run.__name__, run.__qualname__ = analyse.__name__, analyse.__qualname__
        run.__doc__ = analyse.__doc__
        return run

    return wrap


# --------------------------------------------------------------------------- drawdown


def _bound(spec: Mapping[str, Mapping[str, float]]) -> dict[str, matching.Bound]:
    return {k: matching.Bound(v.get("min"), v.get("max")) for k, v in spec.items()}


def drawdown_problem(
    snap: Snapshot, req: DrawdownRequest, settings: Settings
) -> tuple[planner.PlanProblem, dict[str, Any]]:
    """The planner's problem for this snapshot, and the names that decode its ids."""
    params = default_params(settings)
    T = req.horizon_months
    labels = tuple(f"{add_months(snap.start, t):%Y-%m}" for t in range(T))
    stocks: list[planner.Stock] = []
    for sid, material, stock in yard_streams(snap, req.materials):
        yard = snap.yards[sid]
        grades = snap.grades.get((sid, material)) or [Grade({}, 1.0, None)]
        total_w = sum(g.weight for g in grades) or 1.0
        gen = snap.generation.get((sid, material), 0.0)
        own = snap.own_use.get((sid, material), 0.0)
        for n, g in enumerate(grades):
            share = g.weight / total_w
            stocks.append(
                planner.Stock(
                    id=f"Y{sid}:{material}:{n}",
                    yard=f"Y{sid}",
                    material=material,
                    tonnes=stock * share,
                    lat=yard.site.lat,
                    lon=yard.site.lon,
                    monthly_generation_t=gen * share,
                    monthly_own_use_t=own * share,
                    quality=g.quality,
                    max_haul_km=g.max_haul_km,
                    producer=f"G{yard.organisation.id}",
                )
            )
    wanted = set(req.materials)
    intakes: list[planner.Intake] = []
    for offer, site, _org, open_t in snap.offers:
        if wanted and offer.material not in wanted:
            continue
        first = max(0, months_between(snap.start, max(offer.period_start, snap.today)))
        last = months_between(snap.start, offer.period_end)
        if last < first or math.floor(open_t) <= 0:
            continue
        intakes.append(
            planner.Intake(
                id=offer_key(offer.id or 0),
                plant=f"P{site.id}",
                material=offer.material,
                lat=site.lat,
                lon=site.lon,
                capacity_t=open_t,
                first_month=first,
                last_month=last,
                spec=_bound(offer.spec),
                max_haul_km=offer.max_haul_km,
                price_cny_t=offer.price_cny_t,
            )
        )
    problem = planner.PlanProblem(
        stocks=tuple(stocks),
        intakes=tuple(intakes),
        params=planner.PlanParams(
            horizon_months=T,
            cost_per_t_km=params["cost_per_t_km"],
            circuity=params["circuity"],
            priorities=params["priorities"],
            renew_offers=req.renew_offers,
            month_labels=labels,
        ),
    )
    return problem, {"labels": labels}


@_analysis(parse_drawdown)
def drawdown(db: Database, settings: Settings, req: DrawdownRequest, today: date) -> dict[str, Any]:
    """The month-by-month drawdown plan over the open offers, as a plain dict."""
    with db.read_session() as session:
        snap = snapshot(session, today)
        plants = plant_names(session, [o[1].id or 0 for o in snap.offers])
    problem, _ = drawdown_problem(snap, req, settings)
    try:
        result = planner.plan(problem)
    except matching.ProblemError as exc:
        raise from_problem(exc, "horizon_months") from None
    return plan_dict(result, snap, req, plants)


# --------------------------------------------------------------------------- siting


def _stock_lots(snap: Snapshot, material: str) -> list[dict[str, Any]]:
    """Each yard's ledger stock of the material as lots at the yard, one per grade."""
    out = []
    for sid, mat, stock in yard_streams(snap, [material]):
        yard = snap.yards[sid]
        grades = snap.grades.get((sid, mat)) or [Grade({}, 1.0, None)]
        total_w = sum(g.weight for g in grades) or 1.0
        for n, g in enumerate(grades):
            tonnes = math.floor(stock * g.weight / total_w)
            if tonnes <= 0:
                continue
            entry: dict[str, Any] = {
                "id": f"Y{sid}-{n}",
                "material": mat,
                "tonnes": tonnes,
                "lat": yard.site.lat,
                "lon": yard.site.lon,
                "quality": g.quality,
            }
            if g.max_haul_km is not None:
                entry["max_haul_km"] = g.max_haul_km
            out.append(entry)
    return out


@_analysis(parse_siting)
def siting_analysis(
    db: Database, settings: Settings, req: SitingRequest, today: date
) -> dict[str, Any]:
    """Rank candidate sites for a new plant by the stock it would absorb, as a plain dict."""
    params = default_params(settings)
    with db.read_session() as session:
        lots, offers = open_market(session, today)
        lots = [row for row in lots if row[0].material == req.material]
        offers = [row for row in offers if row[0].material == req.material]
        problem_json = problem_from(lots, offers, params)
        names: dict[str, tuple[str, str]]
        if req.source == "stock":
            snap = snapshot(session, today)
            problem_json["lots"] = _stock_lots(snap, req.material)
            names = {
                entry["id"]: (
                    snap.yards[int(entry["id"][1:].split("-")[0])].site.name,
                    snap.yards[int(entry["id"][1:].split("-")[0])].organisation.name,
                )
                for entry in problem_json["lots"]
            }
        else:
            orgs = {
                o.id: o.name
                for o in session.exec(
                    select(Organisation).where(
                        col(Organisation.id).in_({site.organisation_id for _, site, _ in lots})
                    )
                ).all()
            }
            names = {
                lot_key(lot.id or 0): (site.name, orgs.get(site.organisation_id, ""))
                for lot, site, _ in lots
            }
    try:
        problem = matching.problem_from_json(problem_json)
        result = siting.evaluate_sites(
            problem,
            siting.SitingParams(
                material=req.material,
                capacity_t=req.capacity_t_per_year,
                spec=_bound(req.spec),
                max_haul_km=req.max_haul_km,
                buffer_km=req.buffer_km,
            ),
            located(req.candidates),
            zones=req.zones,
        )
    except matching.ProblemError as exc:
        raise from_problem(exc, exc.path.split(".")[0] or None) from None
    return siting_dict(result, req, names)
