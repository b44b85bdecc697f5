"""Siting a new plant: ranked by the stock it absorbs, screened against protected zones."""

from __future__ import annotations

import math
from typing import Any

import pytest

from geo.zones import ProtectedZones
from matching import Accept, Bound, Facility, Lot, MatchingProblem, Params, ProblemError
from matching.siting import (
    Candidate,
    SitingParams,
    county_centres,
    evaluate_sites,
    material_subproblem,
)

HOME = (25.0, 102.7)
PG = "phosphogypsum"
PARAMS = Params(cost_per_t_km=0.6, circuity=1.4)


def at_km(north_km: float, east_km: float = 0.0) -> tuple[float, float]:
    """About this many geodesic km north and east of HOME."""
    lat = HOME[0] + north_km / 110.7
    return lat, HOME[1] + east_km / (111.3 * math.cos(math.radians(HOME[0])))


def lot(id: str, tonnes: float, where: tuple[float, float], material: str = PG, **kw: Any) -> Lot:
    quality = kw.pop("quality", {"caso4_2h2o_pct": 88.0})
    return Lot(id, material, tonnes, where[0], where[1], quality=quality, **kw)


def plant(
    id: str, where: tuple[float, float], capacity: float, material: str = PG, **kw: Any
) -> Facility:
    return Facility(id, where[0], where[1], (Accept(material, capacity, id=id),), **kw)


def candidate(name: str, where: tuple[float, float]) -> Candidate:
    return Candidate(name, where[0], where[1])


def square(name: str, centre: tuple[float, float], half_km: float) -> dict[str, Any]:
    dlat = half_km / 110.7
    dlon = half_km / (111.3 * math.cos(math.radians(centre[0])))
    lat, lon = centre
    ring = [
        [lon - dlon, lat - dlat],
        [lon + dlon, lat - dlat],
        [lon + dlon, lat + dlat],
        [lon - dlon, lat + dlat],
        [lon - dlon, lat - dlat],
    ]
    return {
        "type": "Feature",
        "properties": {"name": name},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def zones(*features: dict[str, Any]) -> ProtectedZones:
    return ProtectedZones.from_geojson({"type": "FeatureCollection", "features": list(features)})


def test_the_best_candidate_is_the_one_next_to_the_big_unmatched_stock() -> None:
    problem = MatchingProblem(
        (lot("big", 400_000, at_km(0)), lot("small", 20_000, at_km(0, 90))),
        (),
        PARAMS,
    )
    result = evaluate_sites(
        problem,
        SitingParams(PG, 300_000, max_haul_km=100),
        [
            candidate("by the small yard", at_km(2, 90)),
            candidate("in between", at_km(0, 45)),
            candidate("by the big yard", at_km(3)),
        ],
    )
    assert [s.candidate.name for s in result.sites] == [
        "by the big yard",  # fills up from the big yard, on the shortest haul
        "in between",  # fills up too, hauling further
        "by the small yard",  # can only reach the small one
    ]
    best = result.sites[0]
    assert best.rank == 1 and best.status == "ranked"
    assert best.extra_matched_t == best.absorbed_t == 300_000
    assert best.sources[0].lot == "big"
    assert best.mean_road_km == pytest.approx(3 * 1.4, abs=0.2)
    assert result.sites[2].extra_matched_t == 20_000
    assert result.baseline_matched_t == 0 and result.baseline_unmatched_t == 420_000


def test_only_what_was_unmatched_before_counts_as_absorbed() -> None:
    # an existing plant already takes the near yard; a candidate there merely shortens its haul
    problem = MatchingProblem(
        (lot("taken", 50_000, at_km(0)), lot("left", 30_000, at_km(80))),
        (plant("existing", at_km(10), 50_000, max_haul_km=60),),
        PARAMS,
    )
    result = evaluate_sites(
        problem,
        SitingParams(PG, 100_000, max_haul_km=30),
        [candidate("by the taken yard", at_km(1)), candidate("by the left yard", at_km(79))],
    )
    assert result.baseline_matched_t == 50_000
    first, second = result.sites
    assert first.candidate.name == "by the left yard"
    assert first.extra_matched_t == 30_000
    assert second.extra_matched_t == 0
    assert second.absorbed_t == 50_000  # it would take the lot, but nothing more is used
    assert second.total_haul_cost < result.baseline_haul_cost


def test_candidates_inside_or_near_a_protected_zone_are_excluded_with_its_name() -> None:
    problem = MatchingProblem((lot("yard", 100_000, at_km(0)),), (), PARAMS)
    reserve = zones(square("滇池保护区", at_km(20), 5))
    sites = [
        candidate("inside", at_km(20)),
        candidate("3 km off", at_km(28)),
        candidate("9 km off", at_km(34)),
    ]
    result = evaluate_sites(problem, SitingParams(PG, 50_000), sites, zones=reserve)
    by_name = {s.candidate.name: s for s in result.sites}
    inside, near, clear = by_name["inside"], by_name["3 km off"], by_name["9 km off"]
    assert inside.status == "excluded" and inside.zones[0].inside
    assert inside.zones[0].zone == "滇池保护区"
    assert near.status == "excluded" and not near.zones[0].inside
    assert near.zones[0].distance_km == pytest.approx(3.0, abs=0.3)
    assert clear.status == "ranked" and clear.rank == 1 and clear.extra_matched_t == 50_000
    assert result.sites[-1].status == "excluded"
    assert result.stats["solved"] == 1

    no_buffer = evaluate_sites(problem, SitingParams(PG, 50_000, buffer_km=0), sites, zones=reserve)
    assert [s.candidate.name for s in no_buffer.sites if s.status == "excluded"] == ["inside"]


def test_a_candidate_no_eligible_lot_can_reach_is_unreachable_and_not_solved() -> None:
    problem = MatchingProblem(
        (lot("yard", 10_000, at_km(0)), lot("wet", 10_000, at_km(300), quality={})),
        (),
        PARAMS,
    )
    spec = {"caso4_2h2o_pct": Bound(min=85)}
    result = evaluate_sites(
        problem,
        SitingParams(PG, 50_000, spec=spec, max_haul_km=100),
        [candidate("far from all", at_km(-200)), candidate("by the untested lot", at_km(300))],
    )
    assert {s.status for s in result.sites} == {"unreachable"}
    assert result.stats["solved"] == 0
    assert all(s.rank is None and s.extra_matched_t == 0 for s in result.sites)


def test_lots_of_other_materials_are_left_out_unless_a_shared_capacity_links_them() -> None:
    problem = MatchingProblem(
        (lot("pg", 100, HOME), lot("rm", 100, HOME, "red_mud"), lot("fa", 100, HOME, "fly_ash")),
        (
            Facility(
                "shared",
                *HOME,
                (Accept(PG, 100), Accept("red_mud", 100)),
                capacity_t=150,
            ),
            plant("ash", HOME, 100, "fly_ash"),
        ),
        PARAMS,
    )
    sub = material_subproblem(problem, PG)
    assert [x.id for x in sub.lots] == ["pg", "rm"]
    assert [f.id for f in sub.facilities] == ["shared"]
    alone = material_subproblem(problem, "fly_ash")
    assert [x.id for x in alone.lots] == ["fa"] and [f.id for f in alone.facilities] == ["ash"]


def test_the_default_candidates_are_yunnans_129_county_centres() -> None:
    centres = county_centres()
    assert len(centres) == 129
    assert {c.name for c in centres} >= {"安宁市", "个旧市", "兰坪白族普米族自治县"}
    assert all(21 < c.lat < 29.5 and 97 < c.lon < 106.5 for c in centres)


def test_siting_the_same_problem_twice_gives_the_same_ranking() -> None:
    lots = tuple(lot(f"L{i}", 10_000 * (i + 1), at_km(13 * i, -9 * i)) for i in range(6))
    problem = MatchingProblem(lots, (plant("P", at_km(20, 5), 30_000),), PARAMS)
    first = evaluate_sites(problem, SitingParams(PG, 80_000))
    again = evaluate_sites(problem, SitingParams(PG, 80_000))
    assert first.sites == again.sites


@pytest.mark.parametrize(
    ("params", "candidates", "path"),
    [
        (SitingParams(PG, 0), [], "capacity_t"),
        (SitingParams(PG, 1000, buffer_km=-1), [], "buffer_km"),
        (SitingParams(PG, 1000), [Candidate("x", 91.0, 102.0)], "candidates[0].lat"),
        (SitingParams(PG, 1000), [Candidate(" ", 25.0, 102.0)], "candidates[0].name"),
    ],
)
def test_bad_input_is_refused_naming_the_value(
    params: SitingParams, candidates: list[Candidate], path: str
) -> None:
    problem = MatchingProblem((lot("yard", 1000, HOME),), (), PARAMS)
    with pytest.raises(ProblemError) as err:
        evaluate_sites(problem, params, candidates)
    assert err.value.path == path
