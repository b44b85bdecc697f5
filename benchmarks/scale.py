"""Scale run through the app: a market of N lots and M offers, a match job, the pages after it.

    python -m benchmarks.scale                          # 5,000 lots x 5,000 offers, SQLite
    python -m benchmarks.scale --lots 20000 --offers 20000
    python -m benchmarks.scale --database postgres      # the same on PostgreSQL

Seeds a fresh database (migrated, catalogue synced) with lots and offers spread over Yunnan
(`seed_market`: the seeded generator of benchmarks/generate.py, its points redrawn inside the
province), starts `wastematch serve` on loopback (real HTTP, a job worker thread in the
server), starts a match run through the API (it answers 202 with its job), polls the job to
its end, then times the pages people open after it, each fetched twice (the second is shown):
time and size in KB. The bare solver (`matching.solve`) on the very problem the run solved,
in this process, is the baseline, in the same run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.generate import synthetic_problem

CODES = {
    "copper_tailings": "tailings_copper",
    "blast_furnace_slag": "bf_slag",
    "desulfurisation_gypsum": "fgd_gypsum",
}
PASSWORD = "scale-password"
SECRET = "scale-run-secret-" + "s" * 40


def _points_in_yunnan(rng: np.random.Generator, n: int) -> tuple[np.ndarray, list[Any]]:
    """`n` points drawn uniformly inside Yunnan, with their county."""
    from benchmarks.generate import YUNNAN
    from geo.regions import load_regions

    regions = load_regions()
    lat0, lat1, lon0, lon1 = YUNNAN
    lats: list[float] = []
    lons: list[float] = []
    places: list[Any] = []
    while len(lats) < n:
        lat = np.round(rng.uniform(lat0, lat1, 2 * n), 5)
        lon = np.round(rng.uniform(lon0, lon1, 2 * n), 5)
        found = regions.locate_many(lat, lon)
        for a, b, place in zip(lat, lon, found, strict=True):
            if place is not None and len(lats) < n:
                lats.append(float(a))
                lons.append(float(b))
                places.append(place)
    return np.array([lats, lons]).T, places


def seed_market(
    db: Any,
    lots: int,
    offers: int,
    *,
    seed: int = 7,
    producers: int = 50,
    recyclers: int = 50,
) -> dict[str, Any]:
    """Add `lots` open lots and `offers` open intake offers over Yunnan to a migrated database
    (bulk inserts, one transaction), with an operator, a regulator and one producer and one
    recycler account per organisation (`scale-producer-1`... password PASSWORD)."""
    from sqlalchemy import insert

    from market import clock
    from market.auth import hash_password
    from market.tables import Lot, Offer, Organisation, Site, User

    rng = np.random.default_rng(seed)
    # enough plants that their accepts give `offers` offers (1.55 accepts a plant on average)
    problem = synthetic_problem(lots, max(1, int(offers / 1.4) + 10), seed)
    accepts = [(f, a) for f in problem.facilities for a in f.accepts][:offers]
    if len(accepts) < offers:
        raise ValueError(f"the generator gave {len(accepts)} offers, fewer than {offers}")
    lot_points, lot_places = _points_in_yunnan(rng, lots)
    plant_ids = sorted({f.id for f, _ in accepts})
    plant_points, plant_places = _points_in_yunnan(rng, len(plant_ids))
    plant_index = {fid: i for i, fid in enumerate(plant_ids)}
    today = clock.today()
    pw = hash_password(PASSWORD)
    with db.unit_of_work() as uow:
        s = uow.session

        def orgs(kind: str, n: int) -> list[int]:
            rows = [{"name": f"规模测试{kind}{i + 1}", "kind": kind} for i in range(n)]
            return list(
                s.scalars(
                    insert(Organisation).returning(Organisation.id, sort_by_parameter_order=True),
                    rows,
                )
            )

        def users(kind: str, org_ids: list[int]) -> list[int]:
            rows = [
                {"username": f"scale-{kind}-{i + 1}", "password_hash": pw, "role": kind,
                 "organisation_id": org}
                for i, org in enumerate(org_ids)
            ]
            return list(
                s.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), rows)
            )

        producer_orgs = orgs("producer", producers)
        recycler_orgs = orgs("recycler", recyclers)
        [operator_org] = orgs("operator", 1)
        [regulator_org] = orgs("regulator", 1)
        producer_users = users("producer", producer_orgs)
        recycler_users = users("recycler", recycler_orgs)
        users("operator", [operator_org])
        users("regulator", [regulator_org])

        def sites(kind: str, points: np.ndarray, places: list[Any], owners: list[int]) -> list[int]:
            rows = [
                {
                    "organisation_id": owners[i % len(owners)],
                    "name": f"{'堆场' if kind == 'yard' else '工厂'}{i + 1}",
                    "kind": kind,
                    "lat": float(points[i, 0]),
                    "lon": float(points[i, 1]),
                    "prefecture": place.prefecture,
                    "prefecture_code": place.prefecture_code,
                    "county": place.county,
                    "county_code": place.county_code,
                }
                for i, place in enumerate(places)
            ]
            return list(
                s.scalars(insert(Site).returning(Site.id, sort_by_parameter_order=True), rows)
            )

        yard_ids = sites("yard", lot_points, lot_places, producer_orgs)
        plant_site_ids = sites("plant", plant_points, plant_places, recycler_orgs)
        s.execute(
            insert(Lot),
            [
                {
                    "site_id": yard_ids[i],
                    "material": CODES.get(lot.material, lot.material),
                    "tonnes": lot.tonnes,
                    "quality": dict(lot.quality),
                    "available_from": today - timedelta(days=30),
                    "asking_price_cny_t": lot.asking_price_cny_t,
                    "max_haul_km": lot.max_haul_km,
                    "created_by": producer_users[i % producers],
                }
                for i, lot in enumerate(problem.lots)
            ],
        )
        s.execute(
            insert(Offer),
            [
                {
                    "site_id": plant_site_ids[plant_index[f.id]],
                    "material": CODES.get(a.material, a.material),
                    "capacity_t": a.capacity_t,
                    "period_start": today - timedelta(days=30),
                    "period_end": today + timedelta(days=365),
                    "spec": {
                        k: {side: v for side, v in (("min", b.min), ("max", b.max)) if v is not None}
                        for k, b in a.spec.items()
                    },
                    "price_cny_t": a.price_cny_t,
                    "max_haul_km": f.max_haul_km,
                    "created_by": recycler_users[plant_index[f.id] % recyclers],
                }
                for f, a in accepts
            ],
        )
        uow.commit()
    return {"lots": lots, "offers": offers, "producers": producers, "recyclers": recyclers}
