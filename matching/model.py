"""A matching problem and its result, as frozen values; `check` holds the rules on values."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from matching import defaults
from matching.errors import (
    BoundsReversed,
    DuplicateId,
    Negative,
    NotAChoice,
    NotFinite,
    OutOfRange,
    ProblemError,
    TooLarge,
    WrongType,
)

Mode = Literal["divisible", "min_shipment"]
MODES: tuple[str, ...] = ("divisible", "min_shipment")
Status = Literal["optimal", "feasible", "infeasible"]

MAX_TONNES = 1e12
"""Per lot or capacity; keeps every sum of tonnes far inside int64."""
MAX_PRIORITY = 1000
"""Keeps the weighted objective's integer penalty inside int64 for national-scale problems."""


@dataclass(frozen=True)
class Bound:
    min: float | None = None
    max: float | None = None


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
        _check_id(lot.id, f"{path}.id", first_lot)
        _check_name(lot.material, f"{path}.material")
        _check_tonnes(lot.tonnes, f"{path}.tonnes")
        _check_point(lot.lat, lot.lon, path)
        for code, value in lot.quality.items():
            _check_finite(value, f"{path}.quality.{code}")
        _check_optional_distance(lot.max_haul_km, f"{path}.max_haul_km")
        if lot.asking_price_cny_t is not None:
            _check_finite(lot.asking_price_cny_t, f"{path}.asking_price_cny_t")
    first_facility: dict[str, str] = {}
    first_accept: dict[str, str] = {}
    for j, facility in enumerate(problem.facilities):
        path = f"facilities[{j}]"
        _check_id(facility.id, f"{path}.id", first_facility)
        _check_point(facility.lat, facility.lon, path)
        if facility.capacity_t is not None:
            _check_tonnes(facility.capacity_t, f"{path}.capacity_t")
        _check_optional_distance(facility.max_haul_km, f"{path}.max_haul_km")
        for k, accept in enumerate(facility.accepts):
            apath = f"{path}.accepts[{k}]"
            _check_name(accept.material, f"{apath}.material")
            if accept.id is not None:
                _check_id(accept.id, f"{apath}.id", first_accept)
            if accept.capacity_t is not None:
                _check_tonnes(accept.capacity_t, f"{apath}.capacity_t")
            if accept.price_cny_t is not None:
                _check_finite(accept.price_cny_t, f"{apath}.price_cny_t")
            for code, bound in accept.spec.items():
                _check_bound(bound, f"{apath}.spec.{code}")


def _check_params(params: Params) -> None:
    _check_non_negative(params.cost_per_t_km, "params.cost_per_t_km")
    if params.circuity is not None:
        _check_positive(params.circuity, "params.circuity")
    if params.co2_kg_per_t_km is not None:
        _check_non_negative(params.co2_kg_per_t_km, "params.co2_kg_per_t_km")
    for material, priority in params.priorities.items():
        path = f"params.priorities.{material}"
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise WrongType(path, priority, "a whole number")
        if not 1 <= priority <= MAX_PRIORITY:
            raise OutOfRange(path, priority, 1, MAX_PRIORITY)
    if params.mode not in MODES:
        raise NotAChoice("params.mode", params.mode, MODES)
    _check_tonnes(params.min_shipment_t, "params.min_shipment_t")
    _check_positive(params.time_limit_s, "params.time_limit_s")


def _check_id(value: str, path: str, first: dict[str, str]) -> None:
    _check_name(value, path)
    if value in first:
        raise DuplicateId(path, value, first[value])
    first[value] = path.removesuffix(".id")


def _check_name(value: str, path: str) -> None:
    if not isinstance(value, str):
        raise WrongType(path, value, "a string")
    if not value.strip():
        raise ProblemError(path, "must not be empty")


def _check_finite(value: float, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WrongType(path, value, "a number")
    if not math.isfinite(value):
        raise NotFinite(path, value)


def _check_non_negative(value: float, path: str) -> None:
    _check_finite(value, path)
    if value < 0:
        raise Negative(path, value)


def _check_positive(value: float, path: str) -> None:
    _check_non_negative(value, path)
    if value == 0:
        raise ProblemError(path, "0 must be positive")


def _check_tonnes(value: float, path: str) -> None:
    _check_non_negative(value, path)
    if value > MAX_TONNES:
        raise TooLarge(
            path,
            "{tonnes:g} t is above the maximum {maximum:g} t",
            tonnes=value,
            maximum=MAX_TONNES,
        )


def _check_optional_distance(value: float | None, path: str) -> None:
    if value is not None:
        _check_non_negative(value, path)


def _check_point(lat: float, lon: float, path: str) -> None:
    _check_finite(lat, f"{path}.lat")
    _check_finite(lon, f"{path}.lon")
    if not -90 <= lat <= 90:
        raise OutOfRange(f"{path}.lat", lat, -90, 90)
    if not -180 <= lon <= 180:
        raise OutOfRange(f"{path}.lon", lon, -180, 180)


def _check_bound(bound: Bound, path: str) -> None:
    if bound.min is not None:
        _check_finite(bound.min, f"{path}.min")
    if bound.max is not None:
        _check_finite(bound.max, f"{path}.max")
    if bound.min is not None and bound.max is not None and bound.min > bound.max:
        raise BoundsReversed(path, bound.min, bound.max)
