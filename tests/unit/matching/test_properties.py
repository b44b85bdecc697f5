"""Random problems against independent solvers: HiGHS (scipy) for the lexicographic LP and MILP,
scipy's max-flow for plain tonnes, geopy one pair at a time for eligibility."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_flow

from geo.distance import geodesic_km
from matching import MatchingProblem, MatchingResult, solve
from matching.eligibility import check_pair
from tests.support.problems import accept, lot, plant, problem

MATERIALS = ("phosphogypsum", "red_mud")


@dataclass(frozen=True)
class Reference:
    """Eligible (lot, facility, entry) arcs found one pair at a time, as LP data."""

    arcs: list[tuple[int, int, int]]
    road_km: np.ndarray
    weight: np.ndarray
    lot_rows: np.ndarray
    entry_rows: np.ndarray
    facility_rows: np.ndarray
    caps: np.ndarray

    @classmethod
    def of(cls, p: MatchingProblem) -> Reference:
        circuity = p.params.circuity or 1.4
        arcs, road = [], []
        for i, x in enumerate(p.lots):
            if int(x.tonnes) == 0:
                continue
            for j, f in enumerate(p.facilities):
                km = geodesic_km(x.lat, x.lon, f.lat, f.lon) * circuity
                for k, a in enumerate(f.accepts):
                    if check_pair(x, f, a, km).eligible:
                        arcs.append((i, j, k))
                        road.append(km)
        entries = [(j, k) for j, f in enumerate(p.facilities) for k in range(len(f.accepts))]
        entry_no = {e: n for n, e in enumerate(entries)}
        n_l, n_e, n_f = len(p.lots), len(entries), len(p.facilities)
        lot_rows = np.zeros((n_l, len(arcs)))
        entry_rows = np.zeros((n_e, len(arcs)))
        facility_rows = np.zeros((n_f, len(arcs)))
        for col, (i, j, k) in enumerate(arcs):
            lot_rows[i, col] = 1
            entry_rows[entry_no[j, k], col] = 1
            facility_rows[j, col] = 1
        big = 1e15
        caps = np.concatenate(
            [
                [int(x.tonnes) for x in p.lots],
                [
                    big if a.capacity_t is None else int(a.capacity_t)
                    for f in p.facilities
                    for a in f.accepts
                ],
                [big if f.capacity_t is None else int(f.capacity_t) for f in p.facilities],
            ]
        )
        weight = np.array([p.params.priority(p.lots[i].material) for i, _, _ in arcs], dtype=float)
        return cls(arcs, np.array(road), weight, lot_rows, entry_rows, facility_rows, caps)

    @property
    def rows(self) -> np.ndarray:
        return np.vstack([self.lot_rows, self.entry_rows, self.facility_rows])


def _lexicographic_lp(ref: Reference, cost_per_t_km: float) -> tuple[float, float]:
    """max Σ w·x, then with that held, min Σ cost·x — both as HiGHS LPs."""
    if not ref.arcs:
        return 0.0, 0.0
    cost = ref.road_km * cost_per_t_km
    first = linprog(-ref.weight, A_ub=ref.rows, b_ub=ref.caps, bounds=(0, None), method="highs")
    assert first.status == 0
    best = -first.fun
    rows = np.vstack([ref.rows, -ref.weight])
    caps = np.concatenate([ref.caps, [-(best - 1e-6)]])
    second = linprog(cost, A_ub=rows, b_ub=caps, bounds=(0, None), method="highs")
    assert second.status == 0
    return best, second.fun


def _lexicographic_milp(ref: Reference, p: MatchingProblem) -> tuple[float, float]:
    """The same with semi-continuous shipments (0 or ≥ the minimum, or the whole small lot)."""
    if not ref.arcs:
        return 0.0, 0.0
    n = len(ref.arcs)
    tonnes = np.array([int(p.lots[i].tonnes) for i, _, _ in ref.arcs], dtype=float)
    least = np.minimum(int(p.params.min_shipment_t), tonnes)
    cap = tonnes
    # variables: x (n), y (n)
    a_caps = np.hstack([ref.rows, np.zeros((ref.rows.shape[0], n))])
    low_link = np.hstack([np.eye(n), -np.diag(least)])  # x − least·y ≥ 0
    high_link = np.hstack([np.eye(n), -np.diag(cap)])  # x − cap·y ≤ 0
    constraints = [
        LinearConstraint(a_caps, -np.inf, ref.caps),
        LinearConstraint(low_link, 0, np.inf),
        LinearConstraint(high_link, -np.inf, 0),
    ]
    integrality = np.ones(2 * n)
    bounds = Bounds(np.zeros(2 * n), np.concatenate([cap, np.ones(n)]))
    w = np.concatenate([ref.weight, np.zeros(n)])
    first = milp(-w, constraints=constraints, integrality=integrality, bounds=bounds)
    assert first.status == 0
    best = round(-first.fun)
    constraints.append(LinearConstraint(w[None, :], best, np.inf))
    cost = np.concatenate([ref.road_km * p.params.cost_per_t_km, np.zeros(n)])
    second = milp(cost, constraints=constraints, integrality=integrality, bounds=bounds)
    assert second.status == 0
    return float(best), float(second.fun)


def _assert_feasible(p: MatchingProblem, result: MatchingResult, ref: Reference) -> None:
    lots = {x.id: x for x in p.lots}
    facilities = {f.id: f for f in p.facilities}
    eligible = {(p.lots[i].id, p.facilities[j].id) for i, j, _ in ref.arcs}
    per_lot: dict[str, int] = {}
    per_facility: dict[str, int] = {}
    for m in result.matches:
        assert m.tonnes > 0
        assert (m.lot, m.facility) in eligible
        assert m.material == lots[m.lot].material
        per_lot[m.lot] = per_lot.get(m.lot, 0) + m.tonnes
        per_facility[m.facility] = per_facility.get(m.facility, 0) + m.tonnes
    for lot_id, t in per_lot.items():
        assert t <= int(lots[lot_id].tonnes)
    for fac_id, t in per_facility.items():
        cap = facilities[fac_id].capacity_t
        assert cap is None or t <= int(cap)
    # entry capacities: entries of one material in one facility share no capacity, so check
    # the per-material sum against the sum of that material's entries
    for fac_id, f in facilities.items():
        for material in {a.material for a in f.accepts}:
            caps = [a.capacity_t for a in f.accepts if a.material == material]
            if None in caps:
                continue
            got = sum(
                m.tonnes for m in result.matches if m.facility == fac_id and m.material == material
            )
            assert got <= sum(int(c) for c in caps if c is not None)
    unmatched = {u.lot: u.tonnes for u in result.unmatched}
    for x in p.lots:
        assert per_lot.get(x.id, 0) + unmatched.get(x.id, 0) == int(x.tonnes)
    assert result.totals.matched_t == sum(per_lot.values())


@st.composite
def problems(draw: st.DrawFn, mode: str = "divisible") -> MatchingProblem:
    n_lots = draw(st.integers(1, 8))
    n_plants = draw(st.integers(1, 6))
    point = st.tuples(st.floats(24.0, 26.0), st.floats(101.5, 103.5))
    limit = st.none() | st.floats(40, 400)
    tonnes = st.integers(0, 5000) | st.floats(0, 5000)
    lots = [
        lot(
            f"L{i}",
            draw(tonnes),
            at=draw(point),
            material=draw(st.sampled_from(MATERIALS)),
            quality={"grade": draw(st.integers(0, 10))} if draw(st.booleans()) else {},
            max_haul_km=draw(limit),
        )
        for i in range(n_lots)
    ]
    plants = []
    for j in range(n_plants):
        entries = [
            accept(
                draw(st.sampled_from(MATERIALS)),
                capacity_t=draw(st.none() | st.integers(0, 6000)),
                spec={"grade": (draw(st.integers(0, 10)), None)} if draw(st.booleans()) else {},
            )
            for _ in range(draw(st.integers(1, 2)))
        ]
        plants.append(
            plant(
                f"F{j}",
                draw(point),
                *entries,
                capacity_t=draw(st.none() | st.integers(0, 8000)),
                max_haul_km=draw(limit),
            )
        )
    priorities = {m: draw(st.integers(1, 3)) for m in MATERIALS}
    extra = {}
    if mode == "min_shipment":
        extra = {"min_shipment_t": draw(st.integers(0, 3000)), "time_limit_s": 10.0}
    return problem(lots, plants, mode=mode, priorities=priorities, **extra)  # type: ignore[arg-type]


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(problems())
def test_divisible_result_is_feasible_and_lexicographically_optimal(p: MatchingProblem) -> None:
    result = solve(p)
    ref = Reference.of(p)
    assert result.status == "optimal"
    _assert_feasible(p, result, ref)
    weighted, cost = _lexicographic_lp(ref, p.params.cost_per_t_km)
    assert result.totals.weighted_matched_t == round(weighted)
    assert result.totals.haul_cost == pytest.approx(cost, rel=1e-3, abs=0.05)


@SETTINGS
@given(problems())
def test_matched_tonnes_equal_an_independent_max_flow_when_priorities_are_equal(
    p: MatchingProblem,
) -> None:
    p = problem(list(p.lots), list(p.facilities))  # every priority 1
    result = solve(p)
    ref = Reference.of(p)
    # source → lot → entry → facility → sink, integer capacities
    n_l, n_e, n_f = len(p.lots), ref.entry_rows.shape[0], len(p.facilities)
    source, sink = 0, 1 + n_l + n_e + n_f
    big = 10**9
    edges: dict[tuple[int, int], int] = {}
    for i, x in enumerate(p.lots):
        edges[source, 1 + i] = int(x.tonnes)
    entry = 0
    for j, f in enumerate(p.facilities):
        for a in f.accepts:
            node = 1 + n_l + entry
            edges[node, 1 + n_l + n_e + j] = big if a.capacity_t is None else int(a.capacity_t)
            entry += 1
        edges[1 + n_l + n_e + j, sink] = big if f.capacity_t is None else int(f.capacity_t)
    for col, (i, _, _) in enumerate(ref.arcs):
        node = 1 + n_l + int(np.flatnonzero(ref.entry_rows[:, col])[0])
        edges[1 + i, node] = big
    tails, heads = zip(*edges, strict=True) if edges else ((), ())
    graph = csr_matrix(
        (np.array(list(edges.values()), dtype=np.int32), (tails, heads)), shape=(sink + 1, sink + 1)
    )
    assert result.totals.matched_t == maximum_flow(graph, source, sink).flow_value


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(mode="min_shipment"))
def test_min_shipment_result_respects_the_minimum_and_is_optimal(p: MatchingProblem) -> None:
    result = solve(p)
    ref = Reference.of(p)
    _assert_feasible(p, result, ref)
    tonnes = {x.id: int(x.tonnes) for x in p.lots}
    for m in result.matches:
        assert m.tonnes >= min(int(p.params.min_shipment_t), tonnes[m.lot])
    assert result.status == "optimal"
    weighted, cost = _lexicographic_milp(ref, p)
    assert result.totals.weighted_matched_t == round(weighted)
    # CP-SAT ranks hauls in coarser integer units than the reported cost: allow one unit a tonne
    unit = float(result.stats.get("cp_sat_cost_resolution_cny_t", 0.0))
    slack = 1e-3 * cost + 0.05 + unit * result.totals.matched_t
    assert cost - slack <= result.totals.haul_cost <= cost + slack
