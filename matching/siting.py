"""Siting: where would a new plant of N t a year for material M absorb the most stock?

Pure, like the rest of `matching`. Each candidate site is scored by re-solving the matching
(`matching.solve`, the engine a match run uses) with the candidate added as one more facility
accepting M within a spec and a haul radius:

* `extra_matched_t`: tonnes of M matched with the candidate that were not matched without it —
  the stock the new plant absorbs. The ranking's first key.
* `total_haul_cost`: the whole matching's haulage for M with the candidate; with equal extra
  tonnes, the candidate that also shortens other hauls ranks first.
* `absorbed_t`: what the candidate itself takes (it may also take lots from dearer hauls).

Fast enough for a county-by-county sweep: the problem is cut down to M (lots and plants of other
materials never interact with M unless a plant shares one capacity across materials, and such
materials are kept), candidates inside or near a protected zone are screened out before any
solve, and a candidate that reaches no eligible lot of M within the haul limits absorbs nothing
and is not solved either.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from time import perf_counter
from typing import Any, Literal

import numpy as np

from geo.distance import CircuityRoadDistance, RoadDistance
from geo.regions import load_regions
from geo.zones import ProtectedZones, ZoneHit
from matching.checks import MAX_TONNES, check_finite, check_point
from matching.eligibility import eligible_arcs
from matching.errors import Negative, ProblemError, TooLarge
from matching.index import ProblemIndex
from matching.model import (
    Accept,
    Bound,
    Facility,
    MatchingProblem,
    MatchingResult,
    Status,
    check,
)
from matching.solver import solve

DEFAULT_BUFFER_KM = 5.0
DEFAULT_MAX_HAUL_KM = 150.0
"""Economic haul for gypsum or slag to a cement plant is about 100–200 km (docs/design.md)."""
MAX_CANDIDATES = 2000
TOP_SOURCES = 5

SiteStatus = Literal["ranked", "unreachable", "excluded"]


@dataclass(frozen=True)
class Candidate:
    name: str
    lat: float
    lon: float
    region: str | None = None
    """Where it is, for people (e.g. the prefecture of a county centre)."""


@dataclass(frozen=True)
class SitingParams:
    material: str
    capacity_t: float
    """What the new plant takes over the problem's period (the offers' period: a year)."""
    spec: Mapping[str, Bound] = field(default_factory=dict)
    max_haul_km: float | None = DEFAULT_MAX_HAUL_KM
    buffer_km: float = DEFAULT_BUFFER_KM


@dataclass(frozen=True)
class Source:
    lot: str
    tonnes: int
    road_km: float


@dataclass(frozen=True)
class SiteScore:
    candidate: Candidate
    status: SiteStatus
    rank: int | None
    extra_matched_t: int
    absorbed_t: int
    haul_cost: float
    """Haulage of what the candidate takes."""
    mean_road_km: float | None
    total_haul_cost: float
    """Haulage of the whole matching of the material, with the candidate."""
    lots_in_reach: int
    tonnes_in_reach: int
    sources: tuple[Source, ...]
    """The lots that would send the most to the candidate (at most `TOP_SOURCES`)."""
    zones: tuple[ZoneHit, ...]
    """For an excluded candidate: the zones it is inside or within the buffer of, nearest first."""
    solver_status: Status | None


@dataclass(frozen=True)
class SitingResult:
    material: str
    capacity_t: float
    baseline_matched_t: int
    baseline_unmatched_t: int
    baseline_haul_cost: float
    sites: tuple[SiteScore, ...]
    """Ranked first (best first), then unreachable, then excluded."""
    stats: Mapping[str, Any]


def county_centres() -> tuple[Candidate, ...]:
    """Yunnan's 129 county centres (a label point inside each county), in the seed's order."""
    return tuple(
        Candidate(c.name, c.center_lat, c.center_lon, c.prefecture)
        for c in load_regions().counties()
    )


def material_subproblem(problem: MatchingProblem, material: str) -> MatchingProblem:
    """The lots and accept entries that can affect how `material` is matched.

    Accept entries of one facility compete only through the facility's overall capacity, so a
    material is linked to another only by a capacitated facility accepting both; the closure of
    those links is kept, everything else dropped.
    """
    linked = {material}
    changed = True
    while changed:
        changed = False
        for f in problem.facilities:
            kinds = {a.material for a in f.accepts}
            if f.capacity_t is not None and kinds & linked and not kinds <= linked:
                linked |= kinds
                changed = True
    facilities = []
    for f in problem.facilities:
        accepts = tuple(a for a in f.accepts if a.material in linked)
        if accepts:
            facilities.append(replace(f, accepts=accepts))
    lots = tuple(x for x in problem.lots if x.material in linked)
    return replace(problem, lots=lots, facilities=tuple(facilities))


def check_siting(params: SitingParams, candidates: Sequence[Candidate]) -> None:
    if not isinstance(params.material, str) or not params.material.strip():
        raise ProblemError("material", "must not be empty")
    check_finite(params.capacity_t, "capacity_t")
    if params.capacity_t <= 0:
        raise ProblemError(
            "capacity_t",
            "{capacity_t:g} must be positive",
            capacity_t=params.capacity_t,
        )
    if params.capacity_t > MAX_TONNES:
        raise TooLarge(
            "capacity_t",
            "{capacity_t:g} t is above {maximum:g} t",
            capacity_t=params.capacity_t,
            maximum=MAX_TONNES,
        )
    if params.max_haul_km is not None:
        check_finite(params.max_haul_km, "max_haul_km")
        if params.max_haul_km < 0:
            raise Negative("max_haul_km", params.max_haul_km)
    check_finite(params.buffer_km, "buffer_km")
    if params.buffer_km < 0:
        raise Negative("buffer_km", params.buffer_km)
    if len(candidates) > MAX_CANDIDATES:
        raise TooLarge(
            "candidates",
            "{n} candidates, at most {most}",
            n=len(candidates),
            most=MAX_CANDIDATES,
        )
    for i, c in enumerate(candidates):
        if not isinstance(c.name, str) or not c.name.strip():
            raise ProblemError(f"candidates[{i}].name", "must not be empty")
        check_point(c.lat, c.lon, f"candidates[{i}]")


def _free_id(problem: MatchingProblem) -> str:
    taken = {f.id for f in problem.facilities} | {
        a.id for f in problem.facilities for a in f.accepts if a.id is not None
    }
    name, n = "candidate", 1
    while name in taken:
        n += 1
        name = f"candidate-{n}"
    return name


def _reach(
    sub: MatchingProblem, params: SitingParams, candidates: Sequence[Candidate], road: RoadDistance
) -> tuple[np.ndarray[Any, np.dtype[np.int64]], np.ndarray[Any, np.dtype[np.int64]]]:
    """Per candidate: the eligible lots of the material within the haul limits, and their tonnes.

    The matching engine's own eligibility, with every candidate posed as a facility at once.
    """
    lots = tuple(x for x in sub.lots if x.material == params.material)
    facilities = tuple(
        Facility(
            id=str(i),
            lat=c.lat,
            lon=c.lon,
            accepts=(Accept(params.material, spec=params.spec),),
            max_haul_km=params.max_haul_km,
        )
        for i, c in enumerate(candidates)
    )
    index = ProblemIndex.build(MatchingProblem(lots, facilities, sub.params), road)
    arcs = eligible_arcs(index)
    count = np.bincount(arcs.accept, minlength=len(candidates)).astype(np.int64)
    tonnes = np.bincount(
        arcs.accept, weights=index.lot_tonnes[arcs.lot], minlength=len(candidates)
    ).astype(np.int64)
    return count, tonnes


def evaluate_sites(
    problem: MatchingProblem,
    params: SitingParams,
    candidates: Sequence[Candidate] | None = None,
    *,
    zones: ProtectedZones | None = None,
    road: RoadDistance | None = None,
) -> SitingResult:
    """Score and rank candidate sites for a new plant (see the module's docstring).

    `candidates` defaults to Yunnan's county centres. Raises `ProblemError` for bad input.
    """
    started = perf_counter()
    check(problem)
    cands = tuple(county_centres() if candidates is None else candidates)
    check_siting(params, cands)
    if road is None:
        road = CircuityRoadDistance(problem.params.effective_circuity())
    sub = material_subproblem(problem, params.material)
    base = solve(sub, road)
    base_matched = _matched(base, params.material)
    t_base = perf_counter()

    hits: list[list[ZoneHit]] = [[] for _ in cands]
    if zones is not None and len(zones) and cands:
        hits = zones.screen_many([c.lat for c in cands], [c.lon for c in cands], params.buffer_km)
    open_idx = [i for i, h in enumerate(hits) if not h]
    t_screen = perf_counter()
    count = np.zeros(len(cands), dtype=np.int64)
    tonnes = np.zeros(len(cands), dtype=np.int64)
    if open_idx:
        c_open, t_open = _reach(sub, params, [cands[i] for i in open_idx], road)
        count[open_idx] = c_open
        tonnes[open_idx] = t_open
    t_reach = perf_counter()

    cid = _free_id(sub)
    scores: list[SiteScore] = []
    solved = 0
    for i, cand in enumerate(cands):
        if hits[i]:
            scores.append(_empty(cand, "excluded", 0, 0, tuple(hits[i])))
            continue
        if count[i] == 0:
            scores.append(_empty(cand, "unreachable", 0, 0, ()))
            continue
        facility = Facility(
            id=cid,
            lat=cand.lat,
            lon=cand.lon,
            accepts=(Accept(params.material, params.capacity_t, params.spec, id=cid),),
            max_haul_km=params.max_haul_km,
        )
        result = solve(replace(sub, facilities=(*sub.facilities, facility)), road)
        solved += 1
        mine = [m for m in result.matches if m.facility == cid]
        absorbed = sum(m.tonnes for m in mine)
        haul = math.fsum(m.haul_cost for m in mine)
        top = sorted(mine, key=lambda m: (-m.tonnes, m.road_km, m.lot))[:TOP_SOURCES]
        scores.append(
            SiteScore(
                candidate=cand,
                status="ranked",
                rank=None,
                extra_matched_t=_matched(result, params.material) - base_matched,
                absorbed_t=absorbed,
                haul_cost=round(haul, 2),
                mean_road_km=(
                    round(math.fsum(m.tonnes * m.road_km for m in mine) / absorbed, 1)
                    if absorbed
                    else None
                ),
                total_haul_cost=round(
                    math.fsum(m.haul_cost for m in result.matches if m.material == params.material),
                    2,
                ),
                lots_in_reach=int(count[i]),
                tonnes_in_reach=int(tonnes[i]),
                sources=tuple(Source(m.lot, m.tonnes, m.road_km) for m in top),
                zones=(),
                solver_status=result.status,
            )
        )
    t_solve = perf_counter()

    order = {"ranked": 0, "unreachable": 1, "excluded": 2}
    keyed = sorted(
        enumerate(scores),
        key=lambda e: (
            order[e[1].status],
            -e[1].extra_matched_t,
            e[1].total_haul_cost,
            -e[1].absorbed_t,
            e[1].candidate.name,
            e[0],
        ),
    )
    ranked: list[SiteScore] = []
    for _, score in keyed:
        if score.status == "ranked":
            score = replace(score, rank=sum(1 for s in ranked if s.status == "ranked") + 1)
        ranked.append(score)
    base_haul = math.fsum(m.haul_cost for m in base.matches if m.material == params.material)
    stats = {
        "candidates": len(cands),
        "excluded": sum(1 for s in scores if s.status == "excluded"),
        "unreachable": sum(1 for s in scores if s.status == "unreachable"),
        "solved": solved,
        "lots": sum(1 for x in sub.lots if x.material == params.material),
        "facilities": len(sub.facilities),
        "baseline_ms": round((t_base - started) * 1000, 1),
        "screen_ms": round((t_screen - t_base) * 1000, 1),
        "reach_ms": round((t_reach - t_screen) * 1000, 1),
        "solve_ms": round((t_solve - t_reach) * 1000, 1),
        "total_ms": round((perf_counter() - started) * 1000, 1),
    }
    return SitingResult(
        material=params.material,
        capacity_t=params.capacity_t,
        baseline_matched_t=base_matched,
        baseline_unmatched_t=sum(u.tonnes for u in base.unmatched if u.material == params.material),
        baseline_haul_cost=round(base_haul, 2),
        sites=tuple(ranked),
        stats=stats,
    )


def _matched(result: MatchingResult, material: str) -> int:
    return sum(m.tonnes for m in result.matches if m.material == material)


def _empty(
    cand: Candidate, status: SiteStatus, lots: int, tonnes: int, zones: tuple[ZoneHit, ...]
) -> SiteScore:
    return SiteScore(
        candidate=cand,
        status=status,
        rank=None,
        extra_matched_t=0,
        absorbed_t=0,
        haul_cost=0.0,
        mean_road_km=None,
        total_haul_cost=0.0,
        lots_in_reach=lots,
        tonnes_in_reach=tonnes,
        sources=(),
        zones=zones,
        solver_status=None,
    )
