"""The problem as parallel numpy arrays: what the vectorised steps work on.

Lots, accept entries (every facility's `accepts`, flattened in input order) and facilities are
each numbered by their position; materials by first appearance. Quantities are whole tonnes
(floored); an absent limit or capacity is inf.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from geo.distance import CircuityRoadDistance, RoadDistance
from matching.model import Accept, Facility, MatchingProblem

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _floor_or_inf(value: float | None) -> float:
    return math.inf if value is None else float(math.floor(value))


def _limit(value: float | None) -> float:
    return math.inf if value is None else float(value)


@dataclass(frozen=True)
class ProblemIndex:
    problem: MatchingProblem
    road: RoadDistance
    materials: tuple[str, ...]
    lot_material: IntArray
    lot_tonnes: IntArray
    lot_weight: IntArray
    lot_lat: FloatArray
    lot_lon: FloatArray
    lot_limit: FloatArray
    acc_facility: IntArray
    acc_entry: IntArray
    acc_material: IntArray
    acc_capacity: FloatArray
    fac_lat: FloatArray
    fac_lon: FloatArray
    fac_limit: FloatArray
    fac_capacity: FloatArray
    cost_per_t_km: float
    co2_kg_per_t_km: float

    @classmethod
    def build(cls, problem: MatchingProblem, road: RoadDistance | None = None) -> ProblemIndex:
        params = problem.params
        if road is None:
            road = CircuityRoadDistance(params.effective_circuity())
        code: dict[str, int] = {}
        for lot in problem.lots:
            code.setdefault(lot.material, len(code))
        for facility in problem.facilities:
            for accept in facility.accepts:
                code.setdefault(accept.material, len(code))
        lots = problem.lots
        facilities = problem.facilities
        pairs = [(j, k, a) for j, f in enumerate(facilities) for k, a in enumerate(f.accepts)]
        return cls(
            problem=problem,
            road=road,
            materials=tuple(code),
            lot_material=np.array([code[x.material] for x in lots], dtype=np.int64),
            lot_tonnes=np.array([x.whole_tonnes for x in lots], dtype=np.int64),
            lot_weight=np.array([params.priority(x.material) for x in lots], dtype=np.int64),
            lot_lat=np.array([x.lat for x in lots], dtype=np.float64),
            lot_lon=np.array([x.lon for x in lots], dtype=np.float64),
            lot_limit=np.array([_limit(x.max_haul_km) for x in lots], dtype=np.float64),
            acc_facility=np.array([j for j, _, _ in pairs], dtype=np.int64),
            acc_entry=np.array([k for _, k, _ in pairs], dtype=np.int64),
            acc_material=np.array([code[a.material] for _, _, a in pairs], dtype=np.int64),
            acc_capacity=np.array([_floor_or_inf(a.capacity_t) for _, _, a in pairs]),
            fac_lat=np.array([f.lat for f in facilities], dtype=np.float64),
            fac_lon=np.array([f.lon for f in facilities], dtype=np.float64),
            fac_limit=np.array([_limit(f.max_haul_km) for f in facilities], dtype=np.float64),
            fac_capacity=np.array([_floor_or_inf(f.capacity_t) for f in facilities]),
            cost_per_t_km=params.cost_per_t_km,
            co2_kg_per_t_km=params.effective_co2_kg_per_t_km(),
        )

    @property
    def num_lots(self) -> int:
        return len(self.problem.lots)

    @property
    def num_accepts(self) -> int:
        return int(self.acc_facility.size)

    def facility_of(self, accept: int) -> Facility:
        return self.problem.facilities[int(self.acc_facility[accept])]

    def accept(self, accept: int) -> Accept:
        return self.facility_of(accept).accepts[int(self.acc_entry[accept])]

    @cached_property
    def accepts_of_facility(self) -> tuple[IntArray, IntArray]:
        """CSR: accept numbers of facility j are `order[start[j]:start[j + 1]]`."""
        order = np.argsort(self.acc_facility, kind="stable").astype(np.int64)
        counts = np.bincount(self.acc_facility, minlength=len(self.problem.facilities))
        start = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        return start, order
