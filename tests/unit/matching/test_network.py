from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from ortools.graph.python import min_cost_flow

from matching import network, solve
from matching.eligibility import eligible_arcs
from matching.errors import TooLarge
from matching.index import ProblemIndex
from matching.network import INT64_MAX, MAX_UNIT_COST, build_network, integer_costs, run_network
from tests.support.problems import accept, east, lot, plant, problem


@pytest.mark.parametrize("num_nodes", [2, 1_000, 60_000, 250_000, 2_000_000])
@pytest.mark.parametrize("max_weight", [1, 3, 1000])
def test_integer_costs_stay_inside_int64_with_room_for_scaling(
    num_nodes: int, max_weight: int
) -> None:
    rng = np.random.default_rng(num_nodes)
    road_km = rng.uniform(0, 3000, 5000)
    cycle_arcs = min(num_nodes // 2, 50_000)
    try:
        costs = integer_costs(
            road_km, 0.6, num_nodes=num_nodes, cycle_arcs=cycle_arcs, max_weight=max_weight
        )
    except TooLarge:
        assert num_nodes >= 250_000  # only the largest networks may give up
        return
    n = num_nodes + 2  # OR-Tools adds its own source and sink
    largest = max(costs.penalty_per_weight * max_weight, int(costs.haul.max()))
    # OR-Tools refuses costs above INT64_MAX / (2(n + 1)); potentials need about 3n times more.
    assert largest * 2 * (n + 1) <= INT64_MAX
    assert largest * 8 * n * (n + 1) <= INT64_MAX
    assert 0 <= costs.haul.min() and costs.haul.max() <= MAX_UNIT_COST
    assert costs.penalty_per_weight > max(1, cycle_arcs) * int(costs.haul.max())


def test_integer_costs_give_up_rather_than_overflow() -> None:
    with pytest.raises(TooLarge, match="nodes"):
        integer_costs(np.array([10.0]), 0.6, num_nodes=10**8, cycle_arcs=10**7, max_weight=1000)


def test_integer_costs_keep_the_haul_cost_ranking_to_a_millionth() -> None:
    road_km = np.array([0.0, 1.0, 100.0, 100.1, 650.0])
    costs = integer_costs(road_km, 0.6, num_nodes=10, cycle_arcs=5, max_weight=3)
    assert costs.haul.tolist() == sorted(costs.haul.tolist())
    assert costs.haul[3] > costs.haul[2]
    assert costs.haul[-1] == MAX_UNIT_COST
    assert costs.haul * costs.cny_per_unit == pytest.approx(road_km * 0.6, abs=costs.cny_per_unit)


def test_zero_distances_cost_nothing() -> None:
    costs = integer_costs(np.zeros(3), 0.6, num_nodes=5, cycle_arcs=2, max_weight=1)
    assert costs.haul.tolist() == [0, 0, 0]
    assert costs.penalty_per_weight == 1


def _chain(k: int) -> Any:
    """A priority-2 lot H can only reach plant 0; k priority-1 lots each sit on plant i and also
    reach plant i + 1. Matching H forces every one of them one plant along, each 140 km: the
    weighted gain (2) costs k long hauls, the worst trade a penalty has to refuse."""
    lots = [lot("H", 1, at=east(0), max_haul_km=1)]
    lots += [
        lot(f"A{i}", 1, at=east(100 * i), material="red_mud", quality={}, max_haul_km=100 * 1.41)
        for i in range(k)
    ]
    plants = [
        plant(
            f"P{i}",
            east(100 * i),
            accept("phosphogypsum", capacity_t=None),
            accept("red_mud", capacity_t=None),
            capacity_t=1,
        )
        for i in range(k + 1)
    ]
    return problem(lots, plants, priorities={"phosphogypsum": 2, "red_mud": 1})


def test_penalty_never_trades_priority_tonnes_for_haul_cost() -> None:
    k = 6
    result = solve(_chain(k))
    assert result.totals.weighted_matched_t == 2 + k
    assert {(m.lot, m.facility) for m in result.matches} == {("H", "P0")} | {
        (f"A{i}", f"P{i + 1}") for i in range(k)
    }


def test_a_smaller_penalty_would_trade_them_so_the_bound_matters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = network.integer_costs

    def cheap_penalty(*args: Any, **kwargs: Any) -> network.IntegerCosts:
        costs = real(*args, **kwargs)
        return network.IntegerCosts(costs.haul, int(costs.haul.max()), costs.cny_per_unit)

    k = 6
    right = solve(_chain(k))
    monkeypatch.setattr(network, "integer_costs", cheap_penalty)
    wrong = solve(_chain(k))
    # one tonne of priority dropped to save five long hauls
    assert wrong.totals.weighted_matched_t < right.totals.weighted_matched_t
    assert wrong.totals.haul_cost < right.totals.haul_cost


def test_network_index_map_decodes_nodes_and_arcs() -> None:
    p = problem(
        [lot("L1", 100), lot("nowhere", 100, material="slag", quality={}), lot("L2", 50)],
        [
            plant("capped", east(10), accept(capacity_t=80), capacity_t=120),
            plant("open", east(20), accept(capacity_t=None)),
        ],
    )
    index = ProblemIndex.build(p)
    arcs = eligible_arcs(index)
    net = build_network(index, arcs)
    assert net.lot_node.tolist() == [0, -1, 1]
    assert net.accept_node.tolist() == [2, 3]
    assert net.facility_node.tolist() == [4, -1]
    assert net.sink == 5
    assert net.supplies.tolist() == [100, 50, 0, 0, 0, -150]
    # haul arcs first, in Arcs order, then accept → plant/sink, plant → sink, unmatched
    assert net.num_haul_arcs == arcs.size == 4
    assert net.heads[net.unmatched_arcs[[0, 2]]].tolist() == [net.sink, net.sink]
    outcome = run_network(net)
    assert outcome.status == "optimal"
    assert int(outcome.haul_flow.sum()) == 150


_BAD_COST_RANGE = min_cost_flow.SimpleMinCostFlow.BAD_COST_RANGE


class _BrokenSolver:
    def add_arcs_with_capacity_and_unit_cost(self, *args: Any) -> None: ...

    def set_nodes_supplies(self, *args: Any) -> None: ...

    def solve(self) -> Any:
        return _BAD_COST_RANGE


def test_a_solver_failure_becomes_infeasible_and_is_explained(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(network.min_cost_flow, "SimpleMinCostFlow", _BrokenSolver)
    result = solve(problem([lot("L", 100)], [plant("F", east(10))]))
    assert result.status == "infeasible"
    assert result.stats["solver_status"] == "BAD_COST_RANGE"
    assert result.matches == ()
    assert result.unmatched[0].details[0]["code"] == "solver_failed"
