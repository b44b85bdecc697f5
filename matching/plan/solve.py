"""`plan`: check, split into components, build and run each network, decode."""

from __future__ import annotations

from time import perf_counter
from typing import Any

import numpy as np

from geo.distance import CircuityRoadDistance, RoadDistance
from matching.model import (
    Status,
)
from matching.plan.components import eligible_pairs, split_components
from matching.plan.costs import monthly_capacity
from matching.plan.decode import intake_uses, material_plans, plant_uses, shipments_of
from matching.plan.model import PlanProblem, PlanResult
from matching.plan.network import Solved, plant_capacities, solve_component
from matching.plan.validation import check_plan


def plan(problem: PlanProblem, road: RoadDistance | None = None) -> PlanResult:
    """Plan the drawdown month by month (see the module's docstring).

    `road` replaces the default road distance (geodesic × circuity). Raises `ProblemError` when
    the problem breaks the rules; never prints, never exits.
    """
    check_plan(problem)
    started = perf_counter()
    params = problem.params
    T = params.horizon_months
    if road is None:
        road = CircuityRoadDistance(params.effective_circuity())
    capacity_all = np.array(
        [monthly_capacity(o, T, params.renew_offers) for o in problem.intakes], dtype=np.int64
    ).reshape(len(problem.intakes), T)

    solved: list[Solved] = []
    candidate_pairs = 0
    build_ms = solve_ms = 0.0
    for comp in split_components(problem):
        t0 = perf_counter()
        pairs, candidates = eligible_pairs(problem, comp, road)
        candidate_pairs += candidates
        t1 = perf_counter()
        s = solve_component(
            problem, comp, pairs, capacity_all[comp.intakes], plant_capacities(problem, comp)
        )
        t2 = perf_counter()
        build_ms += (t1 - t0) * 1000
        solve_ms += (t2 - t1) * 1000
        solved.append(s)
    t_marginal = perf_counter()

    plants, resolves, skipped = plant_uses(problem, solved)
    marginal_ms = (perf_counter() - t_marginal) * 1000

    statuses = [s.flows.status for s in solved]
    status: Status = (
        "infeasible"
        if "infeasible" in statuses
        else "feasible"
        if "feasible" in statuses
        else "optimal"
    )
    stats: dict[str, Any] = {
        "stocks": len(problem.stocks),
        "intakes": len(problem.intakes),
        "components": len(solved),
        "pairs": sum(int(s.pairs.stream.size) for s in solved),
        "candidate_pairs": candidate_pairs,
        "nodes": sum(int(s.net.supplies.size) for s in solved),
        "arcs": sum(int(s.net.tails.size) for s in solved),
        "solver": "min_cost_flow",
        "solver_status": sorted({s.flows.solver_status for s in solved}),
        "cost_resolution_cny_t": max((s.net.costs_map.cny_per_unit for s in solved), default=0.0),
        "marginal_resolves": resolves,
        "marginal_skipped": skipped,
        "build_ms": round(build_ms, 1),
        "solve_ms": round(solve_ms, 1),
        "marginal_ms": round(marginal_ms, 1),
        "total_ms": round((perf_counter() - started) * 1000, 1),
    }
    return PlanResult(
        status=status,
        horizon_months=T,
        month_labels=params.month_labels,
        materials=material_plans(problem, solved, capacity_all),
        intakes=intake_uses(problem, solved),
        plants=plants,
        shipments=shipments_of(problem, solved),
        stats=stats,
    )
