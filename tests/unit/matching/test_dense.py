"""The dense path (`matching.dense`) against the reference path: the same arcs, the same optimum."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.generate import CHINA, YUNNAN, synthetic_problem
from geo.distance import andoyer_lambert_km_bulk, geodesic_km_bulk
from matching import Facility, MatchingProblem, solve
from matching.dense import dense_eligible_arcs, refine_for_report, solve_dense
from matching.eligibility import Arcs, eligible_arcs
from matching.explain import Explainer
from matching.index import IntArray, ProblemIndex
from matching.network import Network, build_network, run_network
from tests.support.problems import accept, lot, plant, problem

CIRCUITY = 1.4


def _index(p: MatchingProblem) -> ProblemIndex:
    return ProblemIndex.build(replace(p, params=replace(p.params, circuity=CIRCUITY)))


def _objective(network: Network, arcs: Arcs, index: ProblemIndex, flow: IntArray) -> int:
    """The reference network's cost of a flow on its haul arcs (unmatched tonnes at penalty)."""
    haul = int((flow * network.costs[: network.num_haul_arcs]).sum())
    matched = np.bincount(arcs.lot, weights=flow, minlength=index.num_lots).astype(np.int64)
    inside = network.unmatched_arcs >= 0
    left = (index.lot_tonnes - matched)[inside]
    return haul + int((left * network.costs[network.unmatched_arcs[inside]]).sum())


def _same_arcs(index: ProblemIndex) -> None:
    exact = eligible_arcs(index)
    dense = dense_eligible_arcs(index, CIRCUITY)
    assert np.array_equal(dense.arcs.lot, exact.lot)
    assert np.array_equal(dense.arcs.accept, exact.accept)
    assert np.array_equal(dense.arcs.road_km[dense.exact], exact.road_km[dense.exact])
    gap = np.abs(dense.arcs.road_km - exact.road_km)
    assert (gap <= dense.band_km(slice(None))).all()


# --------------------------------------------------------------------------- arcs


def _on_the_limit(offsets_m: list[float], seed: int) -> tuple[MatchingProblem, np.ndarray]:
    """Lots whose haul limit is the exact road km to one plant, give or take `offsets_m` metres
    (well inside Andoyer-Lambert's error), and the Andoyer-Lambert road km of those pairs."""
    rng = np.random.default_rng(seed)
    n = len(offsets_m)
    lat = rng.uniform(YUNNAN[0], YUNNAN[1], (2, n))
    lon = rng.uniform(YUNNAN[2], YUNNAN[3], (2, n))
    road = geodesic_km_bulk(lat[0], lon[0], lat[1], lon[1]) * CIRCUITY
    approx = andoyer_lambert_km_bulk(lat[0], lon[0], lat[1], lon[1]) * CIRCUITY
    lots = [
        lot(f"L{i}", at=(lat[0, i], lon[0, i]), max_haul_km=float(road[i]) + offsets_m[i] / 1000)
        for i in range(n)
    ]
    plants = [plant(f"P{i}", (lat[1, i], lon[1, i])) for i in range(n)]
    return problem(lots, plants), approx - road


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.sampled_from([-1.0, -0.001, 0.0, 0.001, 1.0]), min_size=1, max_size=30),
    st.integers(0, 2**32 - 1),
)
def test_arcs_near_the_haul_limit_are_the_exact_ones(offsets_m: list[float], seed: int) -> None:
    p, _ = _on_the_limit(offsets_m, seed)
    _same_arcs(_index(p))


def test_andoyer_lambert_alone_would_decide_every_one_of_these_pairs_wrongly() -> None:
    # Each limit sits halfway between the pair's Andoyer-Lambert road km and its exact one, so
    # the cheap distance alone gets every decision wrong; the exact geodesic must set them right.
    _, error_km = _on_the_limit([0.0] * 40, seed=7)
    p, _ = _on_the_limit([500 * e for e in error_km], seed=7)
    index = _index(p)
    exact = eligible_arcs(index)
    dense = dense_eligible_arcs(index, CIRCUITY)
    own = dense.arcs.accept == dense.arcs.lot  # lot i's pair with its own plant i
    own_exact = exact.accept == exact.lot
    assert own.sum() == own_exact.sum() == int((error_km > 0).sum())
    _same_arcs(index)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(5, 80),
    st.integers(5, 80),
    st.integers(0, 10_000),
    st.sampled_from([(30.0, 120.0), (100.0, 400.0), (400.0, 900.0)]),
    st.sampled_from([YUNNAN, CHINA]),
)
def test_dense_arcs_equal_the_reference_arcs_on_random_problems(
    lots: int,
    plants: int,
    seed: int,
    haul_km: tuple[float, float],
    extent: tuple[float, float, float, float],
) -> None:
    _same_arcs(_index(synthetic_problem(lots, plants, seed, extent=extent, haul_km=haul_km)))


# --------------------------------------------------------------------------- optimum


def _reference_and_dense(p: MatchingProblem, nearest: int, nearest_lots: int) -> tuple[int, int]:
    index = _index(p)
    arcs = eligible_arcs(index)
    network = build_network(index, arcs)
    reference = run_network(network)
    dense = solve_dense(index, CIRCUITY, nearest, nearest_lots)
    assert dense.status == reference.status
    assert np.array_equal(dense.dense.arcs.lot, arcs.lot)
    return (
        _objective(network, arcs, index, reference.haul_flow),
        _objective(network, arcs, index, dense.flow),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(2, 120),
    st.integers(2, 120),
    st.integers(0, 10_000),
    st.sampled_from([(50.0, 150.0), (250.0, 500.0), (600.0, 1200.0)]),
    st.integers(1, 8),
    st.integers(1, 16),
)
def test_the_dense_path_reaches_the_reference_optimum_on_random_problems(
    lots: int,
    plants: int,
    seed: int,
    haul_km: tuple[float, float],
    nearest: int,
    nearest_lots: int,
) -> None:
    # The integer costs and penalties of the reference network, on both flows: equal totals
    # mean the same weighted tonnes (the penalty dominates) and the same integer haul cost.
    reference, dense = _reference_and_dense(
        synthetic_problem(lots, plants, seed, haul_km=haul_km), nearest, nearest_lots
    )
    assert dense == reference


def test_pricing_adds_the_arcs_the_nearest_ones_miss() -> None:
    p = synthetic_problem(150, 120, seed=3, haul_km=(250.0, 500.0))
    index = _index(p)
    first = solve_dense(index, CIRCUITY, nearest=1, nearest_lots=1)
    assert first.rounds >= 2
    assert first.network.num_haul_arcs > int(first.dense.nearest.sum())
    reference, dense = _reference_and_dense(p, 1, 1)
    assert dense == reference


def test_solve_with_the_dense_engine_gives_the_reference_totals_and_exact_road_km() -> None:
    p = synthetic_problem(300, 300, seed=11, haul_km=(250.0, 500.0))
    old = solve(p, engine="reference")
    new = solve(p, engine="dense")
    assert new.stats["engine"] == "dense"
    assert old.stats["engine"] == "reference"
    assert new.status == old.status == "optimal"
    assert new.totals.weighted_matched_t == old.totals.weighted_matched_t
    allowed = old.totals.matched_t * (old.stats["cost_resolution_cny_t"] + 0.001 * 0.6)
    assert abs(new.totals.haul_cost - old.totals.haul_cost) <= allowed + 0.01 * len(old.matches)
    lots = {x.id: x for x in p.lots}
    plants = {f.id: f for f in p.facilities}
    for m in new.matches:
        a, f = lots[m.lot], plants[m.facility]
        exact = float(geodesic_km_bulk(a.lat, a.lon, f.lat, f.lon)) * 1.4
        assert m.road_km == round(exact, 3)
    assert {u.lot for u in new.unmatched} | {m.lot for m in new.matches} == set(lots)


def test_explanations_read_the_same_distances_as_with_every_road_exact() -> None:
    p = synthetic_problem(400, 250, seed=5, haul_km=(250.0, 500.0))
    index = _index(p)
    # Few nearest arcs, so that few roads are exact before the report asks for them.
    solution = solve_dense(index, CIRCUITY, nearest=1, nearest_lots=1)
    refine_for_report(index, solution.dense, solution.flow)
    mixed = solution.dense.arcs
    assert not solution.dense.exact.all()  # some roads stayed approximate
    exact = eligible_arcs(index)
    as_dense = Explainer(index, mixed, solution.flow, "optimal", None).unmatched()
    as_exact = Explainer(index, exact, solution.flow, "optimal", None).unmatched()
    assert as_dense == as_exact
    assert any(d["code"] == "capacity_taken" for u in as_dense for d in u.details)


def test_auto_keeps_small_and_min_shipment_problems_on_the_reference_path() -> None:
    small = problem([lot("L1")], [plant("P1")])
    assert solve(small).stats["engine"] == "reference"
    shipment = replace(small, params=replace(small.params, mode="min_shipment"))
    assert solve(shipment, engine="dense").stats["engine"] == "reference"
    assert solve(small, engine="dense").stats["engine"] == "dense"


def test_a_lot_without_tonnes_or_plants_is_explained_as_on_the_reference_path() -> None:
    lots = [lot("L1", 500), lot("empty", 0), lot("far", 500, at=(28.0, 99.0), max_haul_km=10)]
    p = problem(lots, [plant("P1", (25.0, 102.7), accept(capacity_t=300))])
    old, new = solve(p, engine="reference"), solve(p, engine="dense")
    assert new.stats["engine"] == "dense"
    assert new.unmatched == old.unmatched
    assert new.matches == old.matches


def test_auto_takes_the_dense_path_only_where_lots_reach_many_plants() -> None:
    from benchmarks.generate import national_problem
    from matching.solver import _dense_applies

    dense = synthetic_problem(3000, 3000, seed=2, haul_km=(600.0, 1200.0))
    sparse = national_problem(3000, 3000, seed=7)  # about 20 plants within 300 km of a lot
    assert _dense_applies(_index(dense), "auto")
    assert not _dense_applies(_index(sparse), "auto")
    assert _dense_applies(_index(sparse), "dense")
    assert not _dense_applies(_index(dense), "reference")


EDGE_CASES = {
    "no lots": problem([], [plant("P1")]),
    "no plants": problem([lot("L1")], []),
    "no eligible pair": problem([lot("L1", material="red_mud", quality={})], [plant("P1")]),
    "only an empty lot": problem([lot("L1", 0)], [plant("P1")]),
    "beyond the haul limit": problem([lot("L1", max_haul_km=1)], [plant("P1", (26.0, 103.0))]),
    "a plant with no offers": problem([lot("L1")], [Facility(id="P1", lat=25.0, lon=102.7)]),
    "on the plant, no haul allowed": problem([lot("L1", max_haul_km=0)], [plant("P1")]),
}


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_cases_come_out_as_on_the_reference_path(name: str) -> None:
    p = EDGE_CASES[name]
    old, new = solve(p, engine="reference"), solve(p, engine="dense")
    assert new.stats["engine"] == "dense"
    assert (new.status, new.matches, new.unmatched, new.totals) == (
        old.status,
        old.matches,
        old.unmatched,
        old.totals,
    )


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 10**12)), max_size=200))
def test_sums_by_key_stay_exact_for_the_largest_tonnes(pairs: list[tuple[int, int]]) -> None:
    from matching.network import _sum_by

    keys = np.array([k for k, _ in pairs], dtype=np.int64)
    values = np.array([v for _, v in pairs], dtype=np.int64)
    expected = [sum(v for k, v in pairs if k == key) for key in range(10)]
    assert _sum_by(keys, values, 10).tolist() == expected


def test_sums_past_float_precision_stay_exact() -> None:
    from matching.network import _sum_by

    values = np.full(10_000, 10**12 + 1, dtype=np.int64)  # sums to 10¹⁶ + 10⁴, past 2⁵³
    keys = np.zeros(values.size, dtype=np.int64)
    assert int(np.bincount(keys, weights=values)[0]) != 10**16 + 10**4  # what float would give
    assert int(_sum_by(keys, values, 1)[0]) == 10**16 + 10**4
