from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.distance import CircuityRoadDistance
from matching import MatchingProblem, solve
from matching.eligibility import check_pair, eligible_arcs
from matching.index import ProblemIndex
from tests.support.problems import ORIGIN, accept, east, lot, north, plant, problem


def _arcs(p: MatchingProblem) -> set[tuple[str, str]]:
    index = ProblemIndex.build(p)
    arcs = eligible_arcs(index)
    return {
        (p.lots[int(i)].id, index.facility_of(int(a)).id)
        for i, a in zip(arcs.lot, arcs.accept, strict=True)
    }


def test_lot_goes_only_to_plants_that_accept_its_material() -> None:
    p = problem(
        [lot("L1", material="red_mud", quality={})],
        [plant("F1", ORIGIN, accept("phosphogypsum")), plant("F2", ORIGIN, accept("red_mud"))],
    )
    assert _arcs(p) == {("L1", "F2")}


def test_spec_bounds_are_inclusive() -> None:
    p = problem(
        [lot("L1", quality={"caso4_2h2o_pct": 85.0, "p2o5_ws_pct": 0.8})],
        [
            plant("F1", ORIGIN, accept(spec={"caso4_2h2o_pct": (85, None)})),
            plant("F2", ORIGIN, accept(spec={"p2o5_ws_pct": (None, 0.8)})),
            plant("F3", ORIGIN, accept(spec={"caso4_2h2o_pct": (85, 85)})),
        ],
    )
    assert _arcs(p) == {("L1", "F1"), ("L1", "F2"), ("L1", "F3")}


def test_lot_outside_a_spec_bound_is_not_eligible() -> None:
    p = problem(
        [lot("L1", quality={"caso4_2h2o_pct": 84.99, "p2o5_ws_pct": 0.81})],
        [
            plant("F1", ORIGIN, accept(spec={"caso4_2h2o_pct": (85, None)})),
            plant("F2", ORIGIN, accept(spec={"p2o5_ws_pct": (None, 0.8)})),
        ],
    )
    assert _arcs(p) == set()


def test_lot_missing_an_assay_is_not_eligible() -> None:
    p = problem(
        [lot("L1", quality={"caso4_2h2o_pct": 90.0})],
        [
            plant("F1", ORIGIN, accept(spec={"ira": (None, 1.0)})),
            plant("F2", ORIGIN, accept(spec={"ira": (None, None)})),
            plant("F3", ORIGIN, accept(spec={})),
        ],
    )
    assert _arcs(p) == {("L1", "F3")}


def test_assay_the_plant_does_not_limit_does_not_matter() -> None:
    p = problem(
        [lot("L1", quality={"caso4_2h2o_pct": 90.0, "moisture_pct": 40.0})],
        [plant("F1", ORIGIN, accept(spec={"caso4_2h2o_pct": (85, None)}))],
    )
    assert _arcs(p) == {("L1", "F1")}


def _road(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(CircuityRoadDistance(1.4).road_km_bulk(*a, *b)[()])


def test_both_haul_limits_apply_to_the_road_distance() -> None:
    far = north(100)  # about 140 road km at circuity 1.4
    km = _road(ORIGIN, far)
    assert 135 < km < 145
    cases = {
        "lot limit just enough": ({"max_haul_km": km + 0.01}, {}),
        "lot limit short": ({"max_haul_km": km - 0.01}, {}),
        "plant limit just enough": ({}, {"max_haul_km": km + 0.01}),
        "plant limit short": ({}, {"max_haul_km": km - 0.01}),
        "geodesic within but road beyond": ({"max_haul_km": km / 1.4 + 1}, {}),
    }
    eligible = {}
    for name, (lot_kw, plant_kw) in cases.items():
        p = problem([lot("L1", **lot_kw)], [plant("F1", far, **plant_kw)])
        eligible[name] = bool(_arcs(p))
    assert eligible == {
        "lot limit just enough": True,
        "lot limit short": False,
        "plant limit just enough": True,
        "plant limit short": False,
        "geodesic within but road beyond": False,
    }


def test_haul_limit_is_inclusive() -> None:
    km = _road(ORIGIN, east(50))
    p = problem([lot("L1", max_haul_km=km)], [plant("F1", east(50))])
    assert _arcs(p) == {("L1", "F1")}


def test_circuity_comes_from_the_params_or_else_the_policy() -> None:
    from seed_data import load_policy

    km = float(CircuityRoadDistance(1.0).road_km_bulk(*ORIGIN, *east(60))[()])
    for circuity, expected in ((1.2, 1.2), (None, load_policy().circuity)):
        p = problem([lot("L1")], [plant("F1", east(60))], circuity=circuity)
        (match,) = solve(p).matches
        assert match.road_km == pytest.approx(km * expected, abs=0.001)


def test_each_accept_entry_of_a_plant_is_its_own_arc() -> None:
    p = problem(
        [lot("L1", quality={"caso4_2h2o_pct": 95.0})],
        [
            plant(
                "F1",
                ORIGIN,
                accept(spec={"caso4_2h2o_pct": (93, None)}),
                accept("red_mud"),
                accept(spec={"caso4_2h2o_pct": (80, None)}),
            )
        ],
    )
    arcs = eligible_arcs(ProblemIndex.build(p))
    assert arcs.accept.tolist() == [0, 2]


def test_lot_with_no_whole_tonne_has_no_arcs() -> None:
    p = problem([lot("L1", tonnes=0.9)], [plant("F1")])
    assert _arcs(p) == set()


# --------------------------------------------------------------------------- bulk = one pair

codes = st.sampled_from(["a", "b", "c"])
values = st.floats(0, 10, allow_nan=False).map(lambda v: round(v, 1))


@st.composite
def small_problems(draw: st.DrawFn) -> MatchingProblem:
    n_lots = draw(st.integers(1, 7))
    n_plants = draw(st.integers(1, 5))
    lots = []
    for i in range(n_lots):
        lots.append(
            lot(
                f"L{i}",
                material=draw(st.sampled_from(["m1", "m2"])),
                at=(draw(st.floats(24.0, 26.0)), draw(st.floats(101.5, 103.5))),
                quality=draw(st.dictionaries(codes, values, max_size=3)),
                max_haul_km=draw(st.none() | st.floats(20, 300)),
            )
        )
    plants = []
    for j in range(n_plants):
        entries = []
        for _ in range(draw(st.integers(1, 3))):
            spec = {}
            for code in draw(st.sets(codes, max_size=2)):
                lo = draw(st.none() | values)
                hi = draw(st.none() | values)
                if lo is not None and hi is not None and lo > hi:
                    lo, hi = hi, lo
                spec[code] = (lo, hi)
            entries.append(accept(draw(st.sampled_from(["m1", "m2"])), spec=spec))
        plants.append(
            plant(
                f"F{j}",
                (draw(st.floats(24.0, 26.0)), draw(st.floats(101.5, 103.5))),
                *entries,
                max_haul_km=draw(st.none() | st.floats(20, 300)),
            )
        )
    return problem(lots, plants)


@settings(max_examples=80, deadline=None)
@given(small_problems())
def test_bulk_eligibility_agrees_with_the_one_pair_rules(p: MatchingProblem) -> None:
    index = ProblemIndex.build(p)
    arcs = eligible_arcs(index)
    bulk = {(int(i), int(a)) for i, a in zip(arcs.lot, arcs.accept, strict=True)}
    one_by_one = set()
    road = CircuityRoadDistance(1.4)
    for i, x in enumerate(p.lots):
        for a in range(index.num_accepts):
            f = index.facility_of(a)
            km = float(road.road_km_bulk(x.lat, x.lon, f.lat, f.lon)[()])
            if check_pair(x, f, index.accept(a), km).eligible:
                one_by_one.add((i, a))
    assert bulk == one_by_one
    expected_km = road.road_km_bulk(
        index.lot_lat[arcs.lot],
        index.lot_lon[arcs.lot],
        index.fac_lat[index.acc_facility[arcs.accept]],
        index.fac_lon[index.acc_facility[arcs.accept]],
    )
    assert np.allclose(arcs.road_km, expected_km)
