from __future__ import annotations

import time

import numpy as np

from benchmarks.generate import synthetic_problem
from matching import result_to_json, solve
from matching.cpsat import _best_of, _Phase, _satisfies
from tests.support.problems import accept, east, lot, plant, problem


def test_every_shipment_reaches_the_minimum() -> None:
    # Divisible, 1000 t would split 600/400 between two plants; 500 t is the minimum.
    p = problem(
        [lot("L", 1000)],
        [
            plant("A", east(10), accept(capacity_t=600)),
            plant("B", east(20), accept(capacity_t=400)),
        ],
        mode="min_shipment",
        min_shipment_t=500,
    )
    result = solve(p)
    assert result.status == "optimal"
    assert [(m.facility, m.tonnes) for m in result.matches] in (
        [("A", 600)],
        [
            ("A", 500),
        ],
    ) or all(m.tonnes >= 500 for m in result.matches)
    assert all(m.tonnes >= 500 for m in result.matches)
    assert result.totals.matched_t == 600


def test_a_lot_smaller_than_the_minimum_ships_whole_or_not_at_all() -> None:
    p = problem(
        [lot("small", 300), lot("big", 2000, at=east(40))],
        [
            plant("A", east(10), accept(capacity_t=1000)),
            plant("B", east(30), accept(capacity_t=1500)),
        ],
        mode="min_shipment",
        min_shipment_t=1000,
    )
    result = solve(p)
    small = [m.tonnes for m in result.matches if m.lot == "small"]
    assert small in ([], [300])
    for m in result.matches:
        assert m.tonnes >= (300 if m.lot == "small" else 1000)
    assert result.status == "optimal"


def test_divisible_optimum_that_already_ships_enough_needs_no_search() -> None:
    p = problem(
        [lot("L", 1000)],
        [plant("A", east(10), accept(capacity_t=5000))],
        mode="min_shipment",
        min_shipment_t=500,
    )
    result = solve(p)
    assert result.status == "optimal"
    assert result.stats["solver"] == "cp_sat"
    assert result.stats["cp_sat"].startswith("skipped")
    assert result.stats["gap"] == {"weighted_matched_t": 0.0, "haul_cost": 0.0}
    assert result.matches[0].tonnes == 1000


def test_min_shipment_search_honours_the_time_limit_and_reports_bound_and_gap() -> None:
    p = synthetic_problem(120, 200, seed=3, mode="min_shipment", min_shipment_t=700, time_limit_s=2)
    started = time.perf_counter()
    result = solve(p)
    elapsed = time.perf_counter() - started
    assert result.stats["solve_ms"] < 2000 + 2000  # the limit, plus building the model
    assert elapsed < 2 + 10  # and reading, explaining, on a busy machine
    assert result.status in ("optimal", "feasible")
    assert set(result.stats["bound"]) == {"weighted_matched_t", "haul_cost"}
    assert set(result.stats["gap"]) == {"weighted_matched_t", "haul_cost"}
    assert result.totals.weighted_matched_t <= result.stats["bound"]["weighted_matched_t"]
    tonnes = {x.id: int(x.tonnes) for x in p.lots}
    assert all(m.tonnes >= min(700, tonnes[m.lot]) for m in result.matches)


def test_proven_min_shipment_result_is_deterministic() -> None:
    p = synthetic_problem(30, 40, seed=11, mode="min_shipment", min_shipment_t=1500)
    first, second = solve(p), solve(p)
    assert first.status == "optimal"
    assert result_to_json(first, timings=False) == result_to_json(second, timings=False)


def test_phase_two_keeps_the_cheaper_answer_under_the_higher_bound() -> None:
    scip = _Phase("FEASIBLE", 120, 100.0, 1.0, np.array([5, 0]))
    cp_sat = _Phase("FEASIBLE", 110, 90.0, 1.0, np.array([0, 5]))
    best = _best_of([scip, cp_sat], np.array([24, 22]))
    assert (best.objective, best.bound, best.status) == (110, 100.0, "FEASIBLE")
    assert best.values is not None and best.values.tolist() == [0, 5]


def test_phase_two_is_proven_when_one_answer_meets_the_other_solvers_bound() -> None:
    scip = _Phase("FEASIBLE", 100, 95.0, 1.0, np.array([5, 0]))
    cp_sat = _Phase("FEASIBLE", 104, 100.0, 1.0, np.array([0, 5]))
    assert _best_of([scip, cp_sat], np.array([20, 21])).status == "OPTIMAL"


def test_a_mip_answer_that_breaks_a_row_is_not_used() -> None:
    least, cap = np.array([500, 500]), np.array([800, 800])
    lots = (np.array([0, 0]), np.array([1000.0]))
    weights = np.array([1, 1])
    assert _satisfies(np.array([600, 400]), least, cap, (lots,), weights, 1000) is False  # < min
    assert _satisfies(np.array([600, 600]), least, cap, (lots,), weights, 1000) is False  # > lot
    assert _satisfies(np.array([800, 0]), least, cap, (lots,), weights, 1000) is False  # tonnes
    assert _satisfies(np.array([500, 500]), least, cap, (lots,), weights, 1000) is True


def test_a_hard_min_shipment_run_reports_what_each_phase_two_solver_found() -> None:
    p = synthetic_problem(120, 200, seed=3, mode="min_shipment", min_shipment_t=700, time_limit_s=4)
    result = solve(p)
    phase2 = result.stats.get("phase2")
    if phase2 is None:  # phase 1 proved everything; nothing for phase 2 to do
        assert result.status == "optimal"
        return
    assert set(phase2["solvers"]) <= {"scip", "cp_sat"} and phase2["solvers"]
    cheapest = min(s["haul_cost"] for s in phase2["solvers"].values())
    assert phase2["haul_cost"] == cheapest
    assert (
        phase2["bound_haul_cost"] == max(s["bound_haul_cost"] for s in phase2["solvers"].values())
        or phase2["status"] == "optimal"
    )
