from __future__ import annotations

import time

from benchmarks.generate import synthetic_problem
from matching import result_to_json, solve

from .builders import accept, east, lot, plant, problem


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
