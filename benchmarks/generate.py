"""Synthetic matching problems, seeded and deterministic: Yunnan-like and national-scale."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching.model import Accept, Bound, Facility, Lot, MatchingProblem, Mode, Params

YUNNAN = (21.0, 29.3, 97.5, 106.2)
"""lat min, lat max, lon min, lon max."""
CHINA = (18.0, 53.5, 73.5, 135.0)


@dataclass(frozen=True)
class Quality:
    code: str
    mean: float
    sd: float
    limit: str
    """"min" or "max": which side plants bound."""


@dataclass(frozen=True)
class MaterialKind:
    code: str
    share: float
    priority: int
    parameters: tuple[Quality, ...]


MATERIALS = (
    MaterialKind(
        "phosphogypsum",
        0.30,
        3,
        (
            Quality("caso4_2h2o_pct", 86.0, 4.0, "min"),
            Quality("p2o5_ws_pct", 0.6, 0.25, "max"),
            Quality("moisture_pct", 16.0, 4.0, "max"),
        ),
    ),
    MaterialKind(
        "red_mud",
        0.10,
        2,
        (
            Quality("na2o_pct", 6.0, 2.0, "max"),
            Quality("fe2o3_pct", 30.0, 6.0, "min"),
        ),
    ),
    MaterialKind(
        "copper_tailings",
        0.12,
        1,
        (
            Quality("as_mgkg", 40.0, 20.0, "max"),
            Quality("pb_mgkg", 200.0, 80.0, "max"),
        ),
    ),
    MaterialKind(
        "steel_slag",
        0.10,
        1,
        (
            Quality("f_cao_pct", 3.0, 1.2, "max"),
            Quality("specific_surface_m2kg", 420.0, 40.0, "min"),
        ),
    ),
    MaterialKind("blast_furnace_slag", 0.08, 1, (Quality("activity_28d_pct", 85.0, 10.0, "min"),)),
    MaterialKind(
        "fly_ash",
        0.15,
        1,
        (
            Quality("loi_pct", 6.0, 2.5, "max"),
            Quality("fineness_45um_pct", 20.0, 8.0, "max"),
        ),
    ),
    MaterialKind("coal_gangue", 0.08, 1, (Quality("loi_pct", 15.0, 5.0, "max"),)),
    MaterialKind(
        "desulfurisation_gypsum",
        0.07,
        2,
        (
            Quality("caso4_2h2o_pct", 90.0, 3.0, "min"),
            Quality("moisture_pct", 12.0, 3.0, "max"),
        ),
    ),
)


def synthetic_problem(
    num_lots: int,
    num_plants: int,
    seed: int,
    *,
    extent: tuple[float, float, float, float] = YUNNAN,
    haul_km: tuple[float, float] = (80.0, 300.0),
    open_haul_share: float = 0.3,
    mode: Mode = "divisible",
    min_shipment_t: float = 0.0,
    time_limit_s: float = 30.0,
    with_ids: bool = True,
) -> MatchingProblem:
    """Lots and plants scattered uniformly over `extent`, with assays, specs, capacities and haul
    limits drawn so that quality rules out some pairs, distance others, and plants compete.

    `haul_km` is the range of the lots' and plants' `max_haul_km`; `open_haul_share` of each side
    has no limit (use 0 for a national run, where every pair must be limited)."""
    rng = np.random.default_rng(seed)
    lat0, lat1, lon0, lon1 = extent
    shares = np.array([m.share for m in MATERIALS])
    shares = shares / shares.sum()

    lot_kind = rng.choice(len(MATERIALS), size=num_lots, p=shares)
    lot_lat = np.round(rng.uniform(lat0, lat1, num_lots), 5)
    lot_lon = np.round(rng.uniform(lon0, lon1, num_lots), 5)
    lot_t = np.round(np.exp(rng.normal(np.log(8000), 0.9, num_lots)).clip(200, 80000))
    lot_haul = rng.uniform(*haul_km, num_lots).round()
    lot_open = rng.random(num_lots) < open_haul_share
    lots = []
    for i in range(num_lots):
        kind = MATERIALS[lot_kind[i]]
        quality = {}
        for q in kind.parameters:
            if rng.random() < 0.04:
                continue  # an assay nobody ran
            quality[q.code] = round(float(rng.normal(q.mean, q.sd)), 3)
        lots.append(
            Lot(
                id=f"L{i + 1}",
                material=kind.code,
                tonnes=float(lot_t[i]),
                lat=float(lot_lat[i]),
                lon=float(lot_lon[i]),
                quality=quality,
                max_haul_km=None if lot_open[i] else float(lot_haul[i]),
                asking_price_cny_t=round(float(rng.normal(5, 15)), 1),
            )
        )

    plant_lat = np.round(rng.uniform(lat0, lat1, num_plants), 5)
    plant_lon = np.round(rng.uniform(lon0, lon1, num_plants), 5)
    plant_haul = rng.uniform(*haul_km, num_plants).round()
    plant_open = rng.random(num_plants) < open_haul_share
    # Supply and intake roughly balance overall, so plants compete for the near lots.
    mean_capacity = float(lot_t.sum()) / max(1, num_plants) / 1.6
    facilities = []
    accept_number = 0
    for j in range(num_plants):
        n_accepts = 1 + int(rng.random() < 0.45) + int(rng.random() < 0.1)
        kinds = rng.choice(len(MATERIALS), size=n_accepts, p=shares)
        accepts = []
        for kind_number in kinds:
            kind = MATERIALS[kind_number]
            spec = {}
            for q in kind.parameters:
                if rng.random() < 0.25:
                    continue
                slack = float(rng.normal(1.0, 0.6)) * q.sd
                if q.limit == "min":
                    spec[q.code] = Bound(min=round(q.mean - slack, 2))
                else:
                    spec[q.code] = Bound(max=round(q.mean + slack, 2))
            accept_number += 1
            accepts.append(
                Accept(
                    material=kind.code,
                    capacity_t=float(round(rng.uniform(0.3, 1.7) * mean_capacity / n_accepts)),
                    spec=spec,
                    id=f"O{accept_number}" if with_ids else None,
                    price_cny_t=round(float(rng.normal(15, 10)), 1),
                )
            )
        overall = float(round(sum(a.capacity_t or 0 for a in accepts) * 0.8))
        facilities.append(
            Facility(
                id=f"F{j + 1}",
                lat=float(plant_lat[j]),
                lon=float(plant_lon[j]),
                accepts=tuple(accepts),
                capacity_t=overall if n_accepts > 1 and rng.random() < 0.5 else None,
                max_haul_km=None if plant_open[j] else float(plant_haul[j]),
            )
        )
    params = Params(
        cost_per_t_km=0.6,
        circuity=1.4,
        priorities={m.code: m.priority for m in MATERIALS},
        mode=mode,
        min_shipment_t=min_shipment_t,
        time_limit_s=time_limit_s,
    )
    return MatchingProblem(lots=tuple(lots), facilities=tuple(facilities), params=params)


def national_problem(num_lots: int, num_plants: int, seed: int) -> MatchingProblem:
    """China's extent, 8 materials, every lot and plant limited to a 300 km haul."""
    return synthetic_problem(
        num_lots, num_plants, seed, extent=CHINA, haul_km=(300.0, 300.0), open_haul_share=0.0
    )
