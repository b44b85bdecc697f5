"""Groups of materials that compete for a plant, and the eligible (stream, intake) pairs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geo.distance import RoadDistance
from matching.eligibility import eligible_arcs
from matching.index import FloatArray, IntArray, ProblemIndex
from matching.model import (
    Accept,
    Facility,
    Lot,
    MatchingProblem,
    Params,
)
from matching.plan.model import PlanProblem

# --------------------------------------------------------------------------- components


@dataclass(frozen=True)
class Component:
    """Materials that compete for some plant's shared capacity (usually one material)."""

    materials: tuple[str, ...]
    streams: IntArray
    intakes: IntArray
    plants: tuple[str, ...]
    """Plants of the component with a shared monthly capacity, in first-appearance order."""


def split_components(problem: PlanProblem) -> list[Component]:
    capped = problem.params.plant_monthly_capacity_t
    parent: dict[str, str] = {}

    def find(m: str) -> str:
        parent.setdefault(m, m)
        while parent[m] != m:
            parent[m] = parent[parent[m]]
            m = parent[m]
        return m

    order: list[str] = []
    for s in problem.stocks:
        if s.material not in parent:
            order.append(s.material)
        find(s.material)
    first_of_plant: dict[str, str] = {}
    for o in problem.intakes:
        if o.material not in parent:
            order.append(o.material)
        find(o.material)
        if o.plant in capped:
            other = first_of_plant.setdefault(o.plant, o.material)
            a, b = find(other), find(o.material)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[str, list[str]] = {}
    for m in order:
        groups.setdefault(find(m), []).append(m)
    out = []
    for root in sorted(groups, key=lambda r: order.index(groups[r][0])):
        materials = tuple(groups[root])
        members = set(materials)
        intakes = np.array(
            [j for j, o in enumerate(problem.intakes) if o.material in members], dtype=np.int64
        )
        plants = tuple(
            dict.fromkeys(
                problem.intakes[int(j)].plant
                for j in intakes
                if problem.intakes[int(j)].plant in capped
            )
        )
        out.append(
            Component(
                materials=materials,
                streams=np.array(
                    [i for i, s in enumerate(problem.stocks) if s.material in members],
                    dtype=np.int64,
                ),
                intakes=intakes,
                plants=plants,
            )
        )
    return out


@dataclass(frozen=True)
class Pairs:
    """Eligible (stream, intake) pairs of a component, in local numbering, by stream then intake."""

    stream: IntArray
    intake: IntArray
    road_km: FloatArray


def eligible_pairs(problem: PlanProblem, comp: Component, road: RoadDistance) -> tuple[Pairs, int]:
    """The matching engine's eligibility, on streams posed as lots and intakes as facilities."""
    stocks = [problem.stocks[int(i)] for i in comp.streams]
    intakes = [problem.intakes[int(j)] for j in comp.intakes]
    lots = tuple(
        Lot(
            id=s.id,
            material=s.material,
            tonnes=1,  # eligibility only: every stream is a candidate whatever its size
            lat=s.lat,
            lon=s.lon,
            quality=s.quality,
            max_haul_km=s.max_haul_km,
        )
        for s in stocks
    )
    facilities = tuple(
        Facility(
            id=o.id,
            lat=o.lat,
            lon=o.lon,
            accepts=(Accept(material=o.material, spec=o.spec, id=o.id),),
            max_haul_km=o.max_haul_km,
        )
        for o in intakes
    )
    index = ProblemIndex.build(MatchingProblem(lots, facilities, Params()), road)
    arcs = eligible_arcs(index)
    # one accept entry per facility, so the accept number is the intake's local number
    return Pairs(arcs.lot, arcs.accept, arcs.road_km), arcs.candidate_pairs
