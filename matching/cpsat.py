"""Minimum-shipment matching with CP-SAT, warm-started from the divisible optimum.

Each eligible arc ships 0 or at least the minimum shipment (the whole lot, when the lot is
smaller). Phase 1 minimises haul cost − M × weighted tonnes, lexicographic because M exceeds any
haul cost; phase 2, if phase 1 did not prove optimality, minimises haul cost while holding the
weighted tonnes phase 1 found.

Phase 2 runs on SCIP first (OR-Tools' linear-solver wrapper, bundled in the same wheel), warm-
started from phase 1's best, then on CP-SAT from SCIP's best; the cheaper answer under the higher
of the two bounds is kept. With the tonnes held, cost is a fixed-charge network flow: SCIP's cuts
and heuristics usually get within a few percent where CP-SAT alone stayed 10–17 % away, yet on
some instances CP-SAT's local search does better, so each gets its turn
(`python -m benchmarks.matching --only min-shipment`; benchmarks/README.md has the figures).
Phase 1 stays on CP-SAT: M × weighted needs exact integers, which a floating-point MIP does not
give.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from time import perf_counter
from typing import Any

import numpy as np
from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from matching.eligibility import Arcs
from matching.index import FloatArray, IntArray, ProblemIndex
from matching.model import Status
from matching.network import Network, integer_costs, run_network

CP_SAT_MAX_UNIT = 1_000_000
CP_SAT_MIN_UNIT = 1_000
"""Haul-cost resolution in the CP-SAT objective: the dearest arc costs this many units a tonne
(as many as fit, see below, within these bounds)."""
NUM_WORKERS = 2
"""The machines this runs on have two cores; more workers only contend."""
RANDOM_SEED = 20210101
REPAIR_SHARE = 0.2
"""Most of the time limit the warm start may take."""
PHASE_ONE_SHARE = 0.25
"""Most of the time limit phase 1 may take, so that phase 2 always gets its turn."""
SCIP_SHARE = 0.75
"""Phase 2's time: SCIP takes this share first, CP-SAT the rest from SCIP's best. Neither
dominates: SCIP's cuts close the bound and its heuristics usually find the cheaper haul, but on
some instances CP-SAT's local search does better. With half each, SCIP was sometimes still at its
root when its turn ended (gaps of 7 % against 1–3 %)."""
EXACT_IN_DOUBLE = 2**53
"""Above this the one-objective form could lose precision in CP-SAT's LP; fall back to
maximising weighted tonnes alone in phase 1."""


@dataclass(frozen=True)
class ShipmentOutcome:
    status: Status
    flow: IntArray
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Phase:
    status: str
    objective: int
    bound: float
    wall_s: float
    values: IntArray | None


def solve_min_shipment(
    index: ProblemIndex,
    arcs: Arcs,
    network: Network,
    divisible_flow: IntArray,
    min_shipment_t: int,
    time_limit_s: float,
) -> ShipmentOutcome:
    started = perf_counter()
    lot_t = index.lot_tonnes[arcs.lot]
    least = np.minimum(min_shipment_t, lot_t)
    acc_cap = index.acc_capacity[arcs.accept]
    fac_cap = index.fac_capacity[index.acc_facility[arcs.accept]]
    cap = np.minimum(np.minimum(lot_t, acc_cap), fac_cap).astype(np.int64)
    usable = (cap >= least) & (cap > 0)
    weights = index.lot_weight[arcs.lot]
    upper = int((divisible_flow * weights).sum())
    # As fine a haul resolution as lets phase 1's M × weighted (M ≈ supply × resolution) stay
    # exact in a double: fewer ties between near-equal hauls, so fewer equally optimal answers
    # for parallel workers to pick between.
    supply = int(index.lot_tonnes[np.unique(arcs.lot[usable])].sum())
    fit = (EXACT_IN_DOUBLE // max(1, upper) - 1) // max(1, supply)
    haul = integer_costs(
        arcs.road_km,
        index.cost_per_t_km,
        num_nodes=0,
        cycle_arcs=1,
        max_weight=1,
        max_unit=int(min(CP_SAT_MAX_UNIT, max(fit, CP_SAT_MIN_UNIT))),
    )
    unit = haul.cny_per_unit
    stats: dict[str, Any] = {
        "min_shipment_t": min_shipment_t,
        "cp_sat_cost_resolution_cny_t": unit,
    }
    if not ((divisible_flow > 0) & (divisible_flow < least)).any():
        stats["cp_sat"] = "skipped: the divisible optimum already ships no less than the minimum"
        haul_cny = float((divisible_flow * arcs.road_km).sum()) * index.cost_per_t_km
        stats["bound"] = {"weighted_matched_t": upper, "haul_cost": round(haul_cny, 2)}
        stats["gap"] = {"weighted_matched_t": 0.0, "haul_cost": 0.0}
        return ShipmentOutcome("optimal", divisible_flow, stats)
    hint, rounds = _repair(network, divisible_flow, least, started + REPAIR_SHARE * time_limit_s)
    stats["repair_rounds"] = rounds

    arc_ids = np.flatnonzero(usable)
    model = cp_model.CpModel()
    x = [model.new_int_var(0, int(cap[e]), f"x{e}") for e in arc_ids]
    y = [model.new_bool_var(f"y{e}") for e in arc_ids]
    for xe, ye, e in zip(x, y, arc_ids, strict=True):
        model.add(xe >= int(least[e]) * ye)
        model.add(xe <= int(cap[e]) * ye)
    groups = (
        (arcs.lot[arc_ids], index.lot_tonnes.astype(np.float64)),
        (arcs.accept[arc_ids], index.acc_capacity),
        (index.acc_facility[arcs.accept[arc_ids]], index.fac_capacity),
    )
    for group, capacity in groups:
        _limit(model, x, y, least[arc_ids], group, capacity)
    _hint(model, x, y, hint[arc_ids])
    w = weights[arc_ids]
    c = haul.haul[arc_ids]
    weighted = cp_model.LinearExpr.weighted_sum(x, w.tolist())
    cost = cp_model.LinearExpr.weighted_sum(x, c.tolist())

    # Phase 1: cost − M × weighted, with M above any haul cost a solution can have, is
    # lexicographic in one objective: a weighted tonne more always beats every cost saving,
    # yet among equal tonnes the search already prefers cheap hauls.
    most_per_lot = np.zeros(index.num_lots, dtype=np.int64)
    np.maximum.at(most_per_lot, arcs.lot[arc_ids], c)
    m = int((most_per_lot * index.lot_tonnes).sum()) + 1
    one_objective = m * upper <= EXACT_IN_DOUBLE
    if one_objective:
        model.minimize(cost - m * weighted)
    else:
        model.maximize(weighted)
    one = _run(model, x, PHASE_ONE_SHARE * time_limit_s, m if one_objective else None)
    best = one.values if one.values is not None else hint[arc_ids]
    found = int((best * w).sum())
    if one.status == "OPTIMAL":
        w_bound = found
    elif one.values is None:
        w_bound = upper
    elif one_objective:
        w_bound = min(upper, (m - 1 - math.ceil(one.bound - 1e-6)) // m)
    else:
        w_bound = min(upper, math.floor(one.bound + 1e-6))
    stats["phase1"] = {
        "objective": "lexicographic" if one_objective else "weighted_matched_t",
        "status": one.status.lower(),
        "weighted_matched_t": found,
        "haul_cost": round(float((best * c).sum()) * unit, 2),
        "bound_weighted_matched_t": int(w_bound),
        "solve_ms": round(one.wall_s * 1000, 1),
    }

    # Phase 2: the cheapest haul that keeps the weighted tonnes phase 1 found. Only needed when
    # phase 1 proved nothing, or proved only the tonnes.
    two: _Phase | None = None
    if not (one.status == "OPTIMAL" and one_objective):
        # Both solvers overshoot their limit by a last presolve or LP round; keep a little back.
        slack = min(1.0, 0.05 * time_limit_s)
        runs: dict[str, _Phase] = {}
        remaining = time_limit_s - (perf_counter() - started) - slack
        if remaining > 0.05:
            bounds = (least[arc_ids], cap[arc_ids])
            mip = _run_mip(bounds, groups, w, c, found, best, SCIP_SHARE * remaining)
            if mip is not None:
                runs["scip"] = mip
                if mip.objective < int((best * c).sum()):
                    best = mip.values if mip.values is not None else best
        if "scip" not in runs or runs["scip"].status != "OPTIMAL":
            model.clear_hints()  # type: ignore[no-untyped-call]
            _hint(model, x, y, best)
            model.add(weighted >= found)
            model.minimize(cost)
            remaining = time_limit_s - (perf_counter() - started) - slack
            if remaining > 0.05:
                cp = _run(model, x, remaining)
                if cp.values is not None:
                    runs["cp_sat"] = cp
        if runs:
            two = _best_of(list(runs.values()), c)
            best = two.values if two.values is not None else best
            stats["phase2"] = {
                "status": two.status.lower(),
                "haul_cost": round(float((best * c).sum()) * unit, 2),
                "bound_haul_cost": round(math.ceil(two.bound - 1e-6) * unit, 2),
                "solve_ms": round(two.wall_s * 1000, 1),
                "solvers": {
                    name: {
                        "status": run.status.lower(),
                        "haul_cost": round(run.objective * unit, 2),
                        "bound_haul_cost": round(math.ceil(run.bound - 1e-6) * unit, 2),
                        "solve_ms": round(run.wall_s * 1000, 1),
                    }
                    for name, run in runs.items()
                },
            }
    cost_found = int((best * c).sum())
    if two is not None and two.values is not None:
        cost_bound = math.ceil(two.bound - 1e-6)
    elif one.status == "OPTIMAL" and one_objective:
        cost_bound = cost_found
    else:
        cost_bound = 0
    # Proven when the tonnes are (phase 1 optimal, or its bound met) and then the cost is.
    proven = found == w_bound and (
        (one.status == "OPTIMAL" and one_objective) or (two is not None and two.status == "OPTIMAL")
    )
    flow = np.zeros(arcs.size, dtype=np.int64)
    flow[arc_ids] = best
    stats["bound"] = {
        "weighted_matched_t": int(w_bound),
        "haul_cost": round(cost_bound * unit, 2),
    }
    stats["gap"] = {
        "weighted_matched_t": _gap(found, w_bound),
        "haul_cost": _gap(cost_found, cost_bound),
    }
    return ShipmentOutcome("optimal" if proven else "feasible", flow, stats)


def _repair(
    network: Network, flow: IntArray, least: IntArray, deadline: float
) -> tuple[IntArray, int]:
    """A feasible warm start near the divisible optimum: forbid the arcs that carry less than
    their minimum and solve the min-cost flow again, until none does (or time runs short).
    Whatever is still short at the end is dropped, which keeps it feasible."""
    capacities = network.capacities.copy()
    rounds = 0
    while perf_counter() < deadline:
        small = (flow > 0) & (flow < least)
        if not small.any():
            break
        capacities[: network.num_haul_arcs][small] = 0
        outcome = run_network(replace(network, capacities=capacities))
        if outcome.status == "infeasible":
            break
        flow = outcome.haul_flow
        rounds += 1
    return np.where(flow >= least, flow, 0).astype(np.int64), rounds


def _limit(
    model: cp_model.CpModel,
    x: list[cp_model.IntVar],
    y: list[cp_model.IntVar],
    least: IntArray,
    group: IntArray,
    capacity: FloatArray,
) -> None:
    """Per group (a lot, an accept entry, a facility): Σ x ≤ its capacity, and the number of
    shipments ≤ capacity ÷ the smallest minimum among them. The count is implied, but without
    it the LP relaxation spreads tonnes over fractional shipments and proves almost nothing."""
    for members, cap, most in _group_rows(group, capacity, least):
        model.add(cp_model.LinearExpr.sum([x[int(m)] for m in members]) <= cap)
        if most is not None:
            model.add(cp_model.LinearExpr.sum([y[int(m)] for m in members]) <= most)


def _group_rows(
    group: IntArray, capacity: FloatArray, least: IntArray
) -> Iterator[tuple[IntArray, int, int | None]]:
    """Each group with a finite capacity: its arcs, the capacity, and the most shipments it can
    take when that is fewer than its arcs (else None: the count row would bind nothing)."""
    order = np.argsort(group, kind="stable")
    for members in np.split(order, np.flatnonzero(np.diff(group[order])) + 1):
        if members.size == 0:
            continue
        cap = float(capacity[int(group[members[0]])])
        if not math.isfinite(cap):
            continue
        most = int(cap // max(1, int(least[members].min())))
        yield members, int(cap), most if most < members.size else None


def _hint(
    model: cp_model.CpModel, x: list[cp_model.IntVar], y: list[cp_model.IntVar], values: IntArray
) -> None:
    for xe, ye, value in zip(x, y, values.tolist(), strict=True):
        model.add_hint(xe, value)
        model.add_hint(ye, value > 0)


class _TonnesProven(cp_model.CpSolverSolutionCallback):
    """Stops a one-objective phase 1 once its weighted tonnes are proven maximal.

    With objective cost − m × weighted and 0 ≤ cost < m, a solution's weighted tonnes are
    −⌊objective / m⌋ and no solution has more than ⌊(m − 1 − bound) / m⌋. Once those meet,
    what is left is only cost, which phase 2 minimises much faster on its own.
    """

    def __init__(self, solver: cp_model.CpSolver, m: int) -> None:
        super().__init__()
        self._solver = solver
        self._m = m
        self._found: int | None = None

    def on_solution_callback(self) -> None:
        self._found = -math.floor(self.objective_value / self._m)
        self.check(self.best_objective_bound)

    def check(self, bound: float) -> None:
        if self._found is not None and (self._m - 1 - bound) // self._m <= self._found:
            self._solver.stop_search()


def _run(
    model: cp_model.CpModel,
    x: list[cp_model.IntVar],
    seconds: float,
    weight_scale: int | None = None,
) -> _Phase:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, seconds)
    solver.parameters.num_workers = NUM_WORKERS
    solver.parameters.random_seed = RANDOM_SEED
    callback = None
    if weight_scale is not None:
        callback = _TonnesProven(solver, weight_scale)
        solver.best_bound_callback = callback.check
    started = perf_counter()
    status = solver.solve(model, callback)
    wall = perf_counter() - started
    name = solver.status_name(status)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        values = np.array([solver.value(v) for v in x], dtype=np.int64)
        return _Phase(
            name,
            round(solver.objective_value),
            solver.best_objective_bound,
            wall,
            values,
        )
    # INFEASIBLE cannot happen (the hint is feasible); UNKNOWN means no solution in time and
    # MODEL_INVALID would be a bug: either way the caller keeps what it had.
    return _Phase(name, 0, 0, wall, None)


def _best_of(runs: list[_Phase], c: IntArray) -> _Phase:
    """Phase 2 over both solvers: the cheaper answer, under the higher of their bounds (each is
    a valid bound of the same model), proven when the two meet."""
    cheapest = min(runs, key=lambda r: r.objective)
    bound = max(r.bound for r in runs)
    proven = any(r.status == "OPTIMAL" for r in runs) or cheapest.objective <= math.ceil(
        bound - 1e-6
    )
    return _Phase(
        "OPTIMAL" if proven else "FEASIBLE",
        cheapest.objective,
        cheapest.objective if proven else bound,
        sum(r.wall_s for r in runs),
        cheapest.values,
    )


def _run_mip(
    bounds: tuple[IntArray, IntArray],
    groups: tuple[tuple[IntArray, FloatArray], ...],
    w: IntArray,
    c: IntArray,
    found: int,
    hint: IntArray,
    seconds: float,
) -> _Phase | None:
    """Phase 2 as a MIP on SCIP: the cheapest haul with at least `found` weighted tonnes.

    The same model as CP-SAT's (semi-continuous x with an on/off y per arc, capacity and
    shipment-count rows per group), in the same integer units, so the bound is comparable. The
    answer is checked against every row again in exact integers before it is used; None when
    SCIP is missing, finds nothing, or returns something that does not check out.
    """
    least, cap = bounds
    solver = pywraplp.Solver.CreateSolver("SCIP")
    if solver is None:
        return None
    n = len(w)
    x = [solver.IntVar(0, int(cap[e]), "") for e in range(n)]
    y = [solver.BoolVar("") for _ in range(n)]
    for e in range(n):
        solver.Add(x[e] >= int(least[e]) * y[e])
        solver.Add(x[e] <= int(cap[e]) * y[e])
    for group, capacity in groups:
        for members, limit, most in _group_rows(group, capacity, least):
            solver.Add(solver.Sum([x[int(m)] for m in members]) <= limit)
            if most is not None:
                solver.Add(solver.Sum([y[int(m)] for m in members]) <= most)
    solver.Add(solver.Sum([int(w[e]) * x[e] for e in range(n)]) >= found)
    solver.Minimize(solver.Sum([int(c[e]) * x[e] for e in range(n)]))
    solver.SetHint(x + y, [float(v) for v in hint.tolist()] + [float(v > 0) for v in hint.tolist()])
    solver.SetNumThreads(1)
    solver.SetTimeLimit(max(50, int(seconds * 1000)))
    # The wrapper's default stops within 0.01 % of the bound; "optimal" here means proven.
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(pywraplp.MPSolverParameters.RELATIVE_MIP_GAP, 0.0)
    started = perf_counter()
    status = solver.Solve(params)
    wall = perf_counter() - started
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return None
    values = np.array([round(v.solution_value()) for v in x], dtype=np.int64)
    if not _satisfies(values, least, cap, groups, w, found):
        return None
    objective = int((values * c).sum())
    bound = min(float(objective), solver.Objective().BestBound())
    name = "OPTIMAL" if objective <= math.ceil(bound - 1e-6) else "FEASIBLE"
    return _Phase(name, objective, bound, wall, values)


def _satisfies(
    values: IntArray,
    least: IntArray,
    cap: IntArray,
    groups: tuple[tuple[IntArray, FloatArray], ...],
    w: IntArray,
    found: int,
) -> bool:
    """Every arc 0 or within [least, cap], every group within its capacity, tonnes kept."""
    shipped = values > 0
    if (values < 0).any() or (values > cap).any() or (values[shipped] < least[shipped]).any():
        return False
    for group, capacity in groups:
        used = np.bincount(group, weights=values, minlength=len(capacity))
        if (used > capacity[: len(used)] + 1e-9).any():
            return False
    return int((values * w).sum()) >= found


def _gap(found: float, bound: float) -> float:
    if found == bound:
        return 0.0
    return round(abs(found - bound) / max(abs(found), abs(bound), 1e-9), 6)
