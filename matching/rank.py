"""Every accept entry one lot could go to: cheapest landed first, then the rest with why not."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from geo.distance import CircuityRoadDistance, RoadDistance
from matching.eligibility import PairCheck, check_pair
from matching.errors import UnknownLot
from matching.explain import reason_of
from matching.model import Detail, Lot, MatchingProblem, check


@dataclass(frozen=True)
class Option:
    facility: str
    accept_index: int
    """Position of the entry in the facility's `accepts`."""
    accept: str | None
    material: str
    eligible: bool
    road_km: float
    haul_cost_cny_t: float
    capacity_t: float | None
    asking_price_cny_t: float | None
    price_cny_t: float | None
    landed_cost_cny_t: float
    """What a tonne costs the recycler at the plant gate: asking price (0 when none) + haul."""
    reasons: tuple[str, ...]
    details: tuple[Detail, ...] = ()
    """The same reasons as data, one per reason (matching/explain.py `reason_phrase`)."""


def rank_options(
    problem: MatchingProblem, lot_id: str, road: RoadDistance | None = None
) -> tuple[Option, ...]:
    """All accept entries of all facilities for one lot: the eligible ones by landed cost (then
    road km), then the ineligible ones by road km with the rules they break."""
    check(problem)
    lot = next((x for x in problem.lots if x.id == lot_id), None)
    if lot is None:
        raise UnknownLot(lot_id)
    if road is None:
        road = CircuityRoadDistance(problem.params.effective_circuity())
    facilities = problem.facilities
    road_km = road.road_km_bulk(
        lot.lat,
        lot.lon,
        np.array([f.lat for f in facilities], dtype=np.float64),
        np.array([f.lon for f in facilities], dtype=np.float64),
    )
    cost = problem.params.cost_per_t_km
    ranked = []
    for j, facility in enumerate(facilities):
        for k, accept in enumerate(facility.accepts):
            km = float(road_km[j])
            found = check_pair(lot, facility, accept, km)
            haul = round(km, 3) * cost
            landed = (lot.asking_price_cny_t or 0.0) + haul
            option = Option(
                facility=facility.id,
                accept_index=k,
                accept=accept.id,
                material=accept.material,
                eligible=found.eligible,
                road_km=round(km, 3),
                haul_cost_cny_t=round(haul, 2),
                capacity_t=accept.capacity_t,
                asking_price_cny_t=lot.asking_price_cny_t,
                price_cny_t=accept.price_cny_t,
                landed_cost_cny_t=round(landed, 2),
                reasons=_reasons(details := _details(lot, accept.material, found), found),
                details=details,
            )
            order = (
                (0, landed, km) if found.eligible else (2 if found.material_differs else 1, km, 0.0)
            )
            ranked.append((order, j, k, option))
    ranked.sort(key=lambda r: (r[0], r[1], r[2]))
    return tuple(option for *_, option in ranked)


def _details(lot: Lot, material: str, found: PairCheck) -> tuple[Detail, ...]:
    """Every rule the pair breaks, as data (`code` and params): matching/explain.py words them."""
    if found.material_differs:
        return ({"code": "material_differs", "material": material, "lot_material": lot.material},)
    out: list[Detail] = []
    if found.missing:
        out.append({"code": "missing_assay", "parameters": list(found.missing)})
    for miss in found.quality:
        out.append(
            {
                "code": "quality",
                "parameter": miss.parameter,
                "value": miss.value,
                miss.side: miss.limit,
            }
        )
    if found.beyond_haul:
        out.append(
            {
                "code": "beyond_haul_limit",
                "road_km": round(found.road_km, 3) if math.isfinite(found.road_km) else None,
                "limit_km": found.limit_km,
            }
        )
    return tuple(out)


def _reasons(details: tuple[Detail, ...], found: PairCheck) -> tuple[str, ...]:
    return tuple(reason_of(d, found.road_km)[0] for d in details)


def options_to_json(options: tuple[Option, ...]) -> list[dict[str, Any]]:
    out = []
    for o in options:
        entry: dict[str, Any] = {
            "facility": o.facility,
            "accept_index": o.accept_index,
        }
        if o.accept is not None:
            entry["accept"] = o.accept
        entry.update(
            {
                "material": o.material,
                "eligible": o.eligible,
                "road_km": o.road_km,
                "haul_cost_cny_t": o.haul_cost_cny_t,
                "landed_cost_cny_t": o.landed_cost_cny_t,
            }
        )
        for key in ("capacity_t", "asking_price_cny_t", "price_cny_t"):
            value = getattr(o, key)
            if value is not None and math.isfinite(value):
                entry[key] = value
        entry["reasons"] = list(o.reasons)
        entry["details"] = list(o.details)
        out.append(entry)
    return out
