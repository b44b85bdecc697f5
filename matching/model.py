"""A matching problem and its result, as frozen values; `check` holds the rules on values."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from matching import defaults
from matching.checks import (
    MAX_PRIORITY,  # noqa: F401 — `matching.model.MAX_PRIORITY` as before
    MAX_TONNES,  # noqa: F401 — `matching.model.MAX_TONNES` as before
    check_bound,
    check_finite,
    check_id,
    check_located,
    check_name,
    check_non_negative,
    check_optional_distance,
    check_positive,
    check_priorities,
    check_quality,
    check_tonnes,
)
from matching.errors import NotAChoice
from seed_data import Bound as Bound  # a spec's limit is the catalogue's: one class, re-exported

Mode = Literal["divisible", "min_shipment"]
MODES: tuple[str, ...] = ("divisible", "min_shipment")
Status = Literal["optimal", "feasible", "infeasible"]


@dataclass(frozen=True)
class Accept:
    """One intake offer of a facility: a material, how much of it, and the quality it needs."""

    material: str
    capacity_t: float | None = None
    spec: Mapping[str, Bound] = field(default_factory=dict)
    id: str | None = None
    price_cny_t: float | None = None


@dataclass(frozen=True)
class Lot:
    id: str
    material: str
    tonnes: float
    lat: float
    lon: float
    quality: Mapping[str, float] = field(default_factory=dict)
    max_haul_km: float | None = None
    asking_price_cny_t: float | None = None

    @property
    def whole_tonnes(self) -> int:
        return math.floor(self.tonnes)


@dataclass(frozen=True)
class Facility:
    id: str
    lat: float
    lon: float
    accepts: tuple[Accept, ...] = ()
    capacity_t: float | None = None
    max_haul_km: float | None = None


@dataclass(frozen=True)
class Params:
    cost_per_t_km: float = defaults.COST_PER_T_KM
    circuity: float | None = None
    """None: the policy's default (`seed_data`)."""
    priorities: Mapping[str, int] = field(default_factory=dict)
    mode: Mode = "divisible"
    min_shipment_t: float = defaults.MIN_SHIPMENT_T
    time_limit_s: float = defaults.TIME_LIMIT_S
    co2_kg_per_t_km: float | None = None
    """None: the policy's default (`seed_data`)."""

    def priority(self, material: str) -> int:
        return self.priorities.get(material, defaults.PRIORITY)

    def effective_circuity(self) -> float:
        return defaults.policy_circuity() if self.circuity is None else self.circuity

    def effective_co2_kg_per_t_km(self) -> float:
        if self.co2_kg_per_t_km is None:
            return defaults.policy_co2_kg_per_t_km()
        return self.co2_kg_per_t_km


@dataclass(frozen=True)
class MatchingProblem:
    lots: tuple[Lot, ...]
    facilities: tuple[Facility, ...]
    params: Params = field(default_factory=Params)


@dataclass(frozen=True)
class Margin:
    """How far a lot's assay sits inside one spec bound (`margin`: to the nearer bound)."""

    value: float
    min: float | None
    max: float | None
    margin: float | None


@dataclass(frozen=True)
class Match:
    lot: str
    facility: str
    material: str
    tonnes: int
    road_km: float
    haul_cost: float
    co2_kg: float
    accept: str | None = None
    margins: Mapping[str, Margin] = field(default_factory=dict)


Detail = Mapping[str, Any]
"""A structured reason, always with a `code`."""


@dataclass(frozen=True)
class Unmatched:
    lot: str
    material: str
    tonnes: int
    reasons: tuple[str, ...]
    details: tuple[Detail, ...]


@dataclass(frozen=True)
class Totals:
    matched_t: int
    unmatched_t: int
    weighted_matched_t: int
    haul_cost: float
    t_km: float
    co2_kg: float


@dataclass(frozen=True)
class MatchingResult:
    status: Status
    matches: tuple[Match, ...]
    unmatched: tuple[Unmatched, ...]
    totals: Totals
    stats: Mapping[str, Any]


# --------------------------------------------------------------------------- rules on values


def check(problem: MatchingProblem) -> None:
    """Raise a `ProblemError` naming the first value that breaks the contract."""
    _check_params(problem.params)
    first_lot: dict[str, str] = {}
    for i, lot in enumerate(problem.lots):
        path = f"lots[{i}]"
        check_located(lot, path, first_lot, names=("material",), tonnes=("tonnes",))
        check_quality(lot.quality, path)
        check_optional_distance(lot.max_haul_km, f"{path}.max_haul_km")
        if lot.asking_price_cny_t is not None:
            check_finite(lot.asking_price_cny_t, f"{path}.asking_price_cny_t")
    first_facility: dict[str, str] = {}
    first_accept: dict[str, str] = {}
    for j, facility in enumerate(problem.facilities):
        path = f"facilities[{j}]"
        check_located(facility, path, first_facility, names=(), tonnes=())
        if facility.capacity_t is not None:
            check_tonnes(facility.capacity_t, f"{path}.capacity_t")
        check_optional_distance(facility.max_haul_km, f"{path}.max_haul_km")
        for k, accept in enumerate(facility.accepts):
            apath = f"{path}.accepts[{k}]"
            check_name(accept.material, f"{apath}.material")
            if accept.id is not None:
                check_id(accept.id, f"{apath}.id", first_accept)
            if accept.capacity_t is not None:
                check_tonnes(accept.capacity_t, f"{apath}.capacity_t")
            if accept.price_cny_t is not None:
                check_finite(accept.price_cny_t, f"{apath}.price_cny_t")
            for code, bound in accept.spec.items():
                check_bound(bound.min, bound.max, f"{apath}.spec.{code}")


def _check_params(params: Params) -> None:
    check_non_negative(params.cost_per_t_km, "params.cost_per_t_km")
    if params.circuity is not None:
        check_positive(params.circuity, "params.circuity")
    if params.co2_kg_per_t_km is not None:
        check_non_negative(params.co2_kg_per_t_km, "params.co2_kg_per_t_km")
    check_priorities(params.priorities)
    if params.mode not in MODES:
        raise NotAChoice("params.mode", params.mode, MODES)
    check_tonnes(params.min_shipment_t, "params.min_shipment_t")
    check_positive(params.time_limit_s, "params.time_limit_s")
