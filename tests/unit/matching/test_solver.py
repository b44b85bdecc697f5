from __future__ import annotations

import json

import pytest

from geo.distance import CircuityRoadDistance
from matching import (
    MatchingResult,
    ProblemError,
    problem_from_json,
    result_to_json,
    solve,
)
from tests.support.problems import (
    ORIGIN,
    PRIORITIES,
    accept,
    contract_example,
    east,
    lot,
    north,
    plant,
    priority_contest,
    problem,
)


def _tonnes(result: MatchingResult) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for m in result.matches:
        out[m.lot, m.facility] = out.get((m.lot, m.facility), 0) + m.tonnes
    return out


def test_contract_example_matches_the_whole_lot() -> None:
    result = solve(problem_from_json(contract_example()))
    assert result.status == "optimal"
    (match,) = result.matches
    assert (match.lot, match.facility, match.material, match.tonnes) == (
        "L1",
        "F1",
        "phosphogypsum",
        40000,
    )
    assert 30 < match.road_km < 40
    assert match.haul_cost == pytest.approx(40000 * match.road_km * 0.6, abs=0.01)
    assert result.totals.matched_t == 40000
    assert result.totals.unmatched_t == 0
    assert result.totals.weighted_matched_t == 120000
    assert result.totals.t_km == pytest.approx(40000 * match.road_km)
    assert result.stats["arcs"] == 1


def test_each_lot_goes_to_the_nearest_plant_with_room() -> None:
    p = problem(
        [lot("A", 600, at=ORIGIN), lot("B", 600, at=east(100))],
        [plant("near-A", east(10), accept(capacity_t=600)), plant("near-B", east(90))],
    )
    assert _tonnes(solve(p)) == {("A", "near-A"): 600, ("B", "near-B"): 600}


def test_matching_allocates_everything_at_once_not_greedily() -> None:
    # Nearest-first gives A the plant between them and sends B 140 km the other way; hauling
    # A west instead and B to the middle costs less in all.
    middle = east(50)
    p = problem(
        [lot("A", 1000, at=east(45)), lot("B", 1000, at=east(100))],
        [
            plant("M", middle, accept(capacity_t=1000), max_haul_km=100),
            plant("W", ORIGIN, accept(capacity_t=1000)),
        ],
    )
    result = solve(p)
    assert _tonnes(result) == {("A", "W"): 1000, ("B", "M"): 1000}
    assert result.unmatched == ()


def test_higher_priority_tonnes_win_scarce_capacity_even_when_further() -> None:
    p = problem(*priority_contest(150), priorities=PRIORITIES)
    result = solve(p)
    assert _tonnes(result) == {("pg", "F"): 1000}
    assert result.totals.weighted_matched_t == 3000


def test_equal_priority_capacity_goes_to_the_cheaper_haul() -> None:
    p = problem(
        [lot("far", 1000, at=east(150)), lot("near", 1000, at=east(5))],
        [plant("F", ORIGIN, accept(capacity_t=1000))],
    )
    assert _tonnes(solve(p)) == {("near", "F"): 1000}


def test_accept_and_facility_capacities_both_hold() -> None:
    p = problem(
        [
            lot("pg", 5000),
            lot("fa", 5000, material="fly_ash", quality={}),
        ],
        [
            plant(
                "F",
                east(20),
                accept("phosphogypsum", capacity_t=3000),
                accept("fly_ash", capacity_t=3000),
                capacity_t=4000,
            )
        ],
    )
    result = solve(p)
    by_lot = {m.lot: m.tonnes for m in result.matches}
    assert sum(by_lot.values()) == 4000
    assert max(by_lot.values()) <= 3000
    assert result.totals.unmatched_t == 6000


def test_a_lot_may_split_across_plants() -> None:
    p = problem(
        [lot("L", 5000)],
        [plant("A", east(10), accept(capacity_t=2000)), plant("B", east(30))],
    )
    assert _tonnes(solve(p)) == {("L", "A"): 2000, ("L", "B"): 3000}


def test_fractional_tonnes_and_capacities_are_floored() -> None:
    p = problem([lot("L", 1000.9)], [plant("F", east(10), accept(capacity_t=700.99))])
    result = solve(p)
    assert _tonnes(result) == {("L", "F"): 700}
    assert result.totals.unmatched_t == 300
    assert result.unmatched[0].tonnes == 300


def test_match_names_its_accept_entry_when_the_entry_has_an_id() -> None:
    p = problem(
        [lot("L", 100, quality={"caso4_2h2o_pct": 95.0})],
        [
            plant(
                "F",
                east(10),
                accept(capacity_t=50, id="OFFER-1"),
                accept(capacity_t=50),
            )
        ],
    )
    accepts = sorted((m.accept or "") for m in solve(p).matches)
    assert accepts == ["", "OFFER-1"]
    doc = json.loads(result_to_json(solve(p)))
    assert [m.get("accept") for m in doc["matches"]] == ["OFFER-1", None]


def test_match_explains_itself_with_margins_cost_and_co2() -> None:
    p = problem(
        [lot("L", 1000, quality={"caso4_2h2o_pct": 88.1, "p2o5_ws_pct": 0.42})],
        [
            plant(
                "F",
                north(50),
                accept(
                    spec={
                        "caso4_2h2o_pct": (85, None),
                        "p2o5_ws_pct": (None, 0.8),
                    }
                ),
            )
        ],
        co2_kg_per_t_km=0.1,
    )
    (match,) = solve(p).matches
    assert match.co2_kg == pytest.approx(1000 * match.road_km * 0.1, abs=0.001)
    assert match.margins["caso4_2h2o_pct"].margin == pytest.approx(3.1)
    assert match.margins["caso4_2h2o_pct"].min == 85
    assert match.margins["caso4_2h2o_pct"].max is None
    assert match.margins["p2o5_ws_pct"].margin == pytest.approx(0.38)
    doc = json.loads(result_to_json(solve(p)))
    assert doc["matches"][0]["margins"]["p2o5_ws_pct"] == {
        "value": 0.42,
        "max": 0.8,
        "margin": 0.38,
    }


def test_margin_is_the_distance_to_the_nearer_bound() -> None:
    p = problem(
        [lot("L", 10, quality={"caso4_2h2o_pct": 90.0})],
        [plant("F", ORIGIN, accept(spec={"caso4_2h2o_pct": (85, 91)}))],
    )
    (match,) = solve(p).matches
    assert match.margins["caso4_2h2o_pct"].margin == pytest.approx(1.0)


def test_co2_factor_defaults_to_the_policy() -> None:
    from seed_data import load_policy

    (match,) = solve(problem([lot("L", 10)], [plant("F", east(20))])).matches
    factor = load_policy().co2_kg_per_t_km
    assert match.co2_kg == pytest.approx(10 * match.road_km * factor, abs=0.001)


def test_cost_per_tonne_km_defaults_to_the_contract_half_yuan() -> None:
    doc = contract_example()
    del doc["params"]["cost_per_t_km"]
    (match,) = solve(problem_from_json(doc)).matches
    assert match.haul_cost == pytest.approx(40000 * match.road_km * 0.5, abs=0.01)


def test_a_road_provider_can_replace_the_circuity() -> None:
    class Winding:
        min_circuity = 2.0

        def road_km_bulk(self, lat1, lon1, lat2, lon2):  # type: ignore[no-untyped-def]
            return CircuityRoadDistance(2.0).road_km_bulk(lat1, lon1, lat2, lon2)

    geodesic = float(CircuityRoadDistance(1.0).road_km_bulk(*ORIGIN, *east(60))[()])
    p = problem([lot("L", 10, max_haul_km=100)], [plant("F", east(60))])
    (match,) = solve(p).matches
    assert match.road_km == pytest.approx(1.4 * geodesic, abs=0.001)
    result = solve(p, road=Winding())
    assert not result.matches
    assert result.unmatched[0].details[0]["road_km"] == pytest.approx(2.0 * geodesic, abs=0.001)


def test_same_problem_gives_the_same_bytes() -> None:
    from benchmarks.generate import synthetic_problem

    p = synthetic_problem(60, 40, seed=5)
    first = result_to_json(solve(p), timings=False)
    second = result_to_json(solve(p), timings=False)
    assert first == second


def test_empty_problem_is_optimal_and_empty() -> None:
    result = solve(problem([], []))
    assert result.status == "optimal"
    assert result.matches == () and result.unmatched == ()
    assert result.totals.matched_t == 0


def test_solve_checks_problems_built_in_code_too() -> None:
    with pytest.raises(ProblemError, match=r"lots\[1\]\.id"):
        solve(problem([lot("L"), lot("L")], []))


def test_a_road_provider_that_knows_no_road_leaves_the_lot_unmatched() -> None:
    import numpy as np

    class Nowhere:
        min_circuity = 1.0

        def road_km_bulk(self, lat1, lon1, lat2, lon2):  # type: ignore[no-untyped-def]
            return np.full(np.broadcast(lat1, lon1, lat2, lon2).shape, np.inf)

    result = solve(problem([lot("L", 10)], [plant("F", east(5))]), road=Nowhere())
    assert result.matches == ()
    (detail,) = result.unmatched[0].details
    assert detail["code"] == "beyond_haul_limit"
    assert detail["road_km"] is None and detail["limit_km"] is None
    json.loads(result_to_json(result))
