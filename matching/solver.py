"""`solve`: a matching problem in, every lot allocated to every plant at once, explained."""

from __future__ import annotations

import math
from collections.abc import Callable
from time import perf_counter
from typing import Any, Literal

import numpy as np

from geo.distance import CircuityRoadDistance, RoadDistance, great_circle_km_bulk
from matching.eligibility import Arcs, eligible_arcs
from matching.explain import Explainer, margins
from matching.index import IntArray, ProblemIndex
from matching.model import Match, MatchingProblem, MatchingResult, Status, Totals, check
from matching.network import build_network, run_network

Engine = Literal["auto", "reference", "dense"]
Progress = Callable[[float, str], None]
"""`progress(fraction, stage)`: told at each stage; it may raise to stop the work there."""

DENSE_MIN_ARCS = 1_000_000
DENSE_MIN_PER_LOT = 100
"""`engine="auto"` takes the dense path (`matching.dense`) when a sample of lots suggests at
least this many (lot, facility) pairs within haul in all and per lot. Where lots reach only a
few dozen plants (the national case: 21 arcs a lot) the nearest arcs are most of them, pricing
saves nothing and its second solve costs double: the reference path is faster there."""
SAMPLE = 64, 4096
"""Lots and facilities (evenly spaced) in that estimate."""


def solve(
    problem: MatchingProblem,
    road: RoadDistance | None = None,
    *,
    engine: Engine = "auto",
    progress: Progress | None = None,
) -> MatchingResult:
    """Allocate lots to plants, lexicographically optimal (docs/matching-format.md).

    `road` replaces the default road distance (geodesic × circuity). Raises `ProblemError` when
    the problem breaks the contract; never prints, never exits.

    `engine`: "reference" builds every eligible arc with its exact geodesic and solves one
    min-cost flow over all of them; "dense" (divisible mode with the default road only, else the
    reference) builds the same arcs with cheaper distances and proves the same optimum on a
    network of the nearest arcs priced against the rest (`matching.dense`); "auto" takes the
    dense path for large divisible problems whose lots reach many plants. Both give the same
    weighted tonnes and the same integer haul cost; where several flows reach that optimum they
    may return different ones.

    `progress` is called between stages (building, solving, explaining) with the fraction of
    the work done, roughly; an exception it raises stops the solve there.
    """
    report = progress or _silent
    check(problem)
    started = perf_counter()
    report(0.0, "building")
    index = ProblemIndex.build(problem, road)
    if _dense_applies(index, engine):
        return _solve_dense(index, started, report)
    arcs = eligible_arcs(index)
    network = build_network(index, arcs)
    built = perf_counter()
    report(0.4, "solving")
    outcome = run_network(network)
    flow, status = outcome.haul_flow, outcome.status
    stats: dict[str, Any] = {
        "lots": index.num_lots,
        "facilities": len(problem.facilities),
        "accepts": index.num_accepts,
        "arcs": arcs.size,
        "candidate_pairs": arcs.candidate_pairs,
        "nodes": network.num_nodes,
        "network_arcs": network.num_arcs,
        "mode": problem.params.mode,
        "solver": "min_cost_flow",
        "solver_status": outcome.solver_status,
        "cost_resolution_cny_t": network.integer.cny_per_unit,
        "engine": "reference",
    }
    min_shipment: int | None = None
    if problem.params.mode == "min_shipment" and status != "infeasible":
        from matching.cpsat import solve_min_shipment

        min_shipment = math.floor(problem.params.min_shipment_t)
        shipment = solve_min_shipment(
            index, arcs, network, flow, min_shipment, problem.params.time_limit_s
        )
        flow, status = shipment.flow, shipment.status
        stats["solver"] = "cp_sat"
        stats.update(shipment.stats)
    solved = perf_counter()
    report(0.85, "explaining")
    return _result(index, arcs, flow, status, min_shipment, stats, (started, built, solved))


def _silent(_fraction: float, _stage: str) -> None:
    pass


def _dense_applies(index: ProblemIndex, engine: Engine) -> bool:
    if engine == "reference" or index.problem.params.mode != "divisible":
        return False
    if type(index.road) is not CircuityRoadDistance:
        return False
    if engine == "dense":
        return True
    per_lot = _pairs_per_lot(index, index.road.circuity)
    return per_lot >= DENSE_MIN_PER_LOT and per_lot * index.num_lots >= DENSE_MIN_ARCS


def _pairs_per_lot(index: ProblemIndex, circuity: float) -> float:
    """Plants taking its material within haul of a lot, on average: estimated on evenly spaced
    lots and facilities by great circle (it only picks the path)."""
    num_facilities = len(index.problem.facilities)
    if index.num_lots == 0 or num_facilities == 0:
        return 0.0
    takes = np.zeros((num_facilities, len(index.materials)), dtype=np.bool_)
    takes[index.acc_facility, index.acc_material] = True
    lots = np.unique(np.linspace(0, index.num_lots - 1, SAMPLE[0]).astype(np.int64))
    plants = np.unique(np.linspace(0, num_facilities - 1, SAMPLE[1]).astype(np.int64))
    road = circuity * great_circle_km_bulk(
        index.lot_lat[lots][:, None],
        index.lot_lon[lots][:, None],
        index.fac_lat[plants][None, :],
        index.fac_lon[plants][None, :],
    )
    limit = np.minimum(index.lot_limit[lots][:, None], index.fac_limit[plants][None, :])
    reach = (road <= limit) & takes[plants][:, index.lot_material[lots]].T
    return float(reach.sum()) / lots.size * num_facilities / plants.size


def _solve_dense(index: ProblemIndex, started: float, report: Progress) -> MatchingResult:
    from matching.dense import refine_for_report, solve_dense

    assert isinstance(index.road, CircuityRoadDistance)
    report(0.1, "solving")
    solution = solve_dense(index, index.road.circuity)
    report(0.8, "explaining")
    built = solution.built
    arcs, network = solution.dense.arcs, solution.network
    stats: dict[str, Any] = {
        "lots": index.num_lots,
        "facilities": len(index.problem.facilities),
        "accepts": index.num_accepts,
        "arcs": arcs.size,
        "candidate_pairs": arcs.candidate_pairs,
        "nodes": network.num_nodes,
        "network_arcs": solution.full_network_arcs,
        "mode": index.problem.params.mode,
        "solver": "min_cost_flow",
        "solver_status": solution.solver_status,
        "cost_resolution_cny_t": network.integer.cny_per_unit,
        "engine": "dense",
        "pricing_rounds": solution.rounds,
        "priced_network_arcs": network.num_arcs,
    }
    refine_for_report(index, solution.dense, solution.flow)
    stats["exact_road_pairs"] = int(solution.dense.exact.sum())
    solved = perf_counter()
    status: Status = solution.status
    return _result(index, arcs, solution.flow, status, None, stats, (started, built, solved))


def _result(
    index: ProblemIndex,
    arcs: Arcs,
    flow: IntArray,
    status: Status,
    min_shipment: int | None,
    stats: dict[str, Any],
    times: tuple[float, float, float],
) -> MatchingResult:
    started, built, solved = times
    matches = _matches(index, arcs, flow)
    unmatched = Explainer(index, arcs, flow, status, min_shipment).unmatched()
    explained = perf_counter()

    if isinstance(index.road, CircuityRoadDistance):
        stats["circuity"] = index.road.circuity
    stats["cost_per_t_km"] = index.cost_per_t_km
    stats["co2_kg_per_t_km"] = index.co2_kg_per_t_km
    stats["build_ms"] = round((built - started) * 1000, 1)
    stats["solve_ms"] = round((solved - built) * 1000, 1)
    stats["explain_ms"] = round((explained - solved) * 1000, 1)
    return MatchingResult(
        status=status,
        matches=matches,
        unmatched=unmatched,
        totals=_totals(index, arcs, flow, matches),
        stats=stats,
    )


def _matches(index: ProblemIndex, arcs: Arcs, flow: IntArray) -> tuple[Match, ...]:
    problem = index.problem
    out = []
    for arc in np.flatnonzero(flow > 0):
        lot = problem.lots[int(arcs.lot[arc])]
        a = int(arcs.accept[arc])
        facility = index.facility_of(a)
        accept = index.accept(a)
        tonnes = int(flow[arc])
        # Reported to the metre; cost and CO2 follow from the reported figure, so that
        # haul_cost = tonnes × road_km × cost_per_t_km holds in the output itself.
        road_km = round(float(arcs.road_km[arc]), 3)
        out.append(
            Match(
                lot=lot.id,
                facility=facility.id,
                material=lot.material,
                tonnes=tonnes,
                road_km=road_km,
                haul_cost=round(tonnes * road_km * index.cost_per_t_km, 2),
                co2_kg=round(tonnes * road_km * index.co2_kg_per_t_km, 3),
                accept=accept.id,
                margins=margins(lot, accept),
            )
        )
    return tuple(out)


def _totals(index: ProblemIndex, arcs: Arcs, flow: IntArray, matches: tuple[Match, ...]) -> Totals:
    matched = int(flow.sum())
    total = int(index.lot_tonnes.sum())
    weighted = int((flow * index.lot_weight[arcs.lot]).sum()) if arcs.size else 0
    return Totals(
        matched_t=matched,
        unmatched_t=total - matched,
        weighted_matched_t=weighted,
        haul_cost=round(math.fsum(m.haul_cost for m in matches), 2),
        t_km=round(math.fsum(m.tonnes * m.road_km for m in matches), 3),
        co2_kg=round(math.fsum(m.co2_kg for m in matches), 3),
    )
