"""Small builders for tests: organisations with a user, sites, lots, offers."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from functools import cache
from typing import Any

from market.auth import Actor, actor_for, hash_password
from market.db import Database
from market.services import lots, offers, sites
from market.services.users import ensure_organisation
from market.tables import Lot, Offer, Site, User

_counter = itertools.count(1)
PASSWORD = "a-long-test-password"

# real towns (WGS-84)
ANNING = (24.919, 102.478)
JINNING = (24.667, 102.595)
KUNMING = (25.040, 102.712)
GEJIU = (23.360, 103.155)
WENSHAN = (23.369, 104.244)
QUJING = (25.490, 103.796)
LANPING = (26.453, 99.416)


@cache
def password_hash() -> str:
    # argon2 takes ~0.4 s here; hashing once keeps the suite fast (add_user has its own tests)
    return hash_password(PASSWORD)


def actor(db: Database, role: str, org: str | None = None) -> Actor:
    n = next(_counter)
    org = org or f"{role}-org-{n}"
    with db.unit_of_work() as uow:
        organisation = ensure_organisation(uow, org, role)
        assert organisation.id is not None
        user = User(
            username=f"{role}{n}",
            password_hash=password_hash(),
            role=role,
            organisation_id=organisation.id,
        )
        uow.session.add(user)
        uow.commit()
        return actor_for(uow.session, user)


def site(db: Database, who: Actor, where: tuple[float, float] = ANNING, **extra: Any) -> Site:
    kind = "yard" if who.role == "producer" else "plant"
    data = {"name": f"{kind}-{next(_counter)}", "kind": kind, "lat": where[0], "lon": where[1]}
    with db.unit_of_work() as uow:
        return sites.post_site(uow, who, data | extra)


def lot(db: Database, who: Actor, site_id: int, **extra: Any) -> Lot:
    data: dict[str, Any] = {
        "site_id": site_id,
        "material": "phosphogypsum",
        "tonnes": 10000,
        "quality": {
            "caso4_2h2o_pct": 88.0,
            "p2o5_ws_pct": 0.4,
            "f_ws_pct": 0.2,
            "moisture_pct": 15.0,
            "ira": 0.3,
            "ir": 0.5,
        },
        "available_from": date.today().isoformat(),
        "available_until": (date.today() + timedelta(days=180)).isoformat(),
        "asking_price_cny_t": -5,
    }
    with db.unit_of_work() as uow:
        return lots.post_lot(uow, who, data | extra)


def offer(db: Database, who: Actor, site_id: int, **extra: Any) -> Offer:
    data: dict[str, Any] = {
        "site_id": site_id,
        "material": "phosphogypsum",
        "capacity_t": 20000,
        "spec": {"caso4_2h2o_pct": {"min": 80}, "p2o5_ws_pct": {"max": 0.8}},
        "price_cny_t": 10,
        "max_haul_km": 300,
        "period_start": date.today().isoformat(),
        "period_end": (date.today() + timedelta(days=365)).isoformat(),
    }
    with db.unit_of_work() as uow:
        return offers.post_offer(uow, who, data | extra)
