"""Small builders for matching problems: Kunming-ish points and sensible defaults."""

from __future__ import annotations

import math
from typing import Any

from matching import Accept, Bound, Facility, Lot, MatchingProblem, Params
from matching.model import Mode

ORIGIN = (25.0, 102.7)
KM_PER_DEG_LAT = 110.7  # near 25° N, close enough for placing points in tests


def north(km: float, of: tuple[float, float] = ORIGIN) -> tuple[float, float]:
    """A point `km` geodesic kilometres (about) due north of `of`."""
    return (of[0] + km / KM_PER_DEG_LAT, of[1])


def east(km: float, of: tuple[float, float] = ORIGIN) -> tuple[float, float]:
    return (of[0], of[1] + km / (111.3 * math.cos(math.radians(of[0]))))


def lot(
    id: str,
    tonnes: float = 1000,
    at: tuple[float, float] = ORIGIN,
    material: str = "phosphogypsum",
    quality: dict[str, float] | None = None,
    **kwargs: Any,
) -> Lot:
    return Lot(
        id=id,
        material=material,
        tonnes=tonnes,
        lat=at[0],
        lon=at[1],
        quality={"caso4_2h2o_pct": 90.0} if quality is None else quality,
        **kwargs,
    )


def accept(
    material: str = "phosphogypsum",
    capacity_t: float | None = 10_000,
    spec: dict[str, tuple[float | None, float | None]] | None = None,
    **kwargs: Any,
) -> Accept:
    bounds = {code: Bound(lo, hi) for code, (lo, hi) in (spec or {}).items()}
    return Accept(material=material, capacity_t=capacity_t, spec=bounds, **kwargs)


def plant(
    id: str,
    at: tuple[float, float] = ORIGIN,
    *accepts: Accept,
    **kwargs: Any,
) -> Facility:
    return Facility(id=id, lat=at[0], lon=at[1], accepts=accepts or (accept(),), **kwargs)


def problem(
    lots: list[Lot],
    facilities: list[Facility],
    mode: Mode = "divisible",
    **params: Any,
) -> MatchingProblem:
    params.setdefault("circuity", 1.4)
    params.setdefault("cost_per_t_km", 0.6)
    return MatchingProblem(
        lots=tuple(lots), facilities=tuple(facilities), params=Params(mode=mode, **params)
    )


PRIORITIES = {"phosphogypsum": 3, "red_mud": 2}


def priority_contest(
    far_km: float, ids: tuple[str, str, str] = ("red", "pg", "F")
) -> tuple[list[Lot], list[Facility]]:
    """(lots, facilities): 1,000 t of red mud 5 km east of ORIGIN and 1,000 t of phosphogypsum
    `far_km` east, for a plant at ORIGIN (ids: red mud, phosphogypsum, plant) that takes either
    but only 1,000 t in all; under PRIORITIES the phosphogypsum comes first."""
    red, pg, plant_id = ids
    lots = [
        lot(red, 1000, at=east(5), material="red_mud", quality={}),
        lot(pg, 1000, at=east(far_km)),
    ]
    either = (accept("red_mud", capacity_t=None), accept("phosphogypsum", capacity_t=None))
    return lots, [plant(plant_id, ORIGIN, *either, capacity_t=1000)]


def contract_example() -> dict[str, Any]:
    """The example problem of docs/matching-format.md, verbatim."""
    return {
        "params": {
            "cost_per_t_km": 0.6,
            "circuity": 1.35,
            "priorities": {"phosphogypsum": 3, "red_mud": 2},
            "mode": "divisible",
            "min_shipment_t": 0,
            "time_limit_s": 30,
        },
        "lots": [
            {
                "id": "L1",
                "material": "phosphogypsum",
                "tonnes": 40000,
                "lat": 24.92,
                "lon": 102.48,
                "quality": {"caso4_2h2o_pct": 88.1, "p2o5_ws_pct": 0.42, "moisture_pct": 14.0},
                "max_haul_km": 250,
            }
        ],
        "facilities": [
            {
                "id": "F1",
                "lat": 25.03,
                "lon": 102.71,
                "max_haul_km": 300,
                "capacity_t": 60000,
                "accepts": [
                    {
                        "material": "phosphogypsum",
                        "capacity_t": 50000,
                        "spec": {"caso4_2h2o_pct": {"min": 85}, "p2o5_ws_pct": {"max": 0.8}},
                    }
                ],
            }
        ],
    }
