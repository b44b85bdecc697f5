"""`solve`: a matching problem in, every lot allocated to every plant at once, explained."""

from __future__ import annotations

import math
from time import perf_counter
from typing import Any

import numpy as np

from geo.distance import CircuityRoadDistance, RoadDistance
from matching.eligibility import Arcs, eligible_arcs
from matching.explain import Explainer, margins
from matching.index import IntArray, ProblemIndex
from matching.model import Match, MatchingProblem, MatchingResult, Totals, check
from matching.network import build_network, run_network


def solve(problem: MatchingProblem, road: RoadDistance | None = None) -> MatchingResult:
    """Allocate lots to plants, lexicographically optimal (CONTRACT.md).

    `road` replaces the default road distance (geodesic × circuity). Raises `ProblemError` when
    the problem breaks the contract; never prints, never exits.
    """
    check(problem)
    started = perf_counter()
    index = ProblemIndex.build(problem, road)
    arcs = eligible_arcs(index)
    network = build_network(index, arcs)
    built = perf_counter()
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
