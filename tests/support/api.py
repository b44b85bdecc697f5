"""The JSON API of a live server as the demo's people use it: their first yard or plant, and a
lot, or a plant with an offer, posted with the values most tests do not care about."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from market import clock

# assays of phosphogypsum that the demo's offers accept
CLEAN_ASSAY = {
    "caso4_2h2o_pct": 93.0,
    "p2o5_ws_pct": 0.2,
    "f_ws_pct": 0.1,
    "moisture_pct": 9.0,
    "ira": 0.2,
    "ir": 0.3,
}
GOOD_ASSAY = {
    "caso4_2h2o_pct": 91.0,
    "p2o5_ws_pct": 0.3,
    "f_ws_pct": 0.1,
    "moisture_pct": 12.0,
    "ira": 0.2,
    "ir": 0.4,
}


def first_site(client: httpx.Client, kind: str = "yard") -> dict[str, Any]:
    """The first site of that kind ("yard" or "plant") of the client's organisation."""
    return next(s for s in client.get("/api/v1/sites").json()["sites"] if s["kind"] == kind)


def post_lot(
    producer: httpx.Client,
    site_id: int,
    tonnes: float,
    *,
    quality: dict[str, float] = CLEAN_ASSAY,
    **extra: Any,
) -> dict[str, Any]:
    """A lot of phosphogypsum available from today (`extra` adds or overrides fields)."""
    body = {
        "site_id": site_id,
        "material": "phosphogypsum",
        "tonnes": tonnes,
        "quality": quality,
        "available_from": clock.today().isoformat(),
    }
    r = producer.post("/api/v1/lots", json=body | extra)
    assert r.status_code == 201, r.text
    return dict(r.json())


def selling(days: int = 90, asking_price_cny_t: float = -8) -> dict[str, Any]:
    """The fields of a lot on sale for `days` from today at an asking price."""
    until = clock.today() + timedelta(days=days)
    return {"available_until": until.isoformat(), "asking_price_cny_t": asking_price_cny_t}


def post_plant_and_offer(
    recycler: httpx.Client,
    name: str,
    *,
    at: tuple[float, float] = (24.95, 102.45),
    **offer: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new plant at `at` (near Anning) and its offer for phosphogypsum as cement retarder,
    5,000 t hauled at most 50 km unless `offer` says otherwise (so the demo producer's Anning
    yard is in reach): (plant, offer)."""
    plant = recycler.post("/api/v1/sites", json={"name": name, "lat": at[0], "lon": at[1]})
    assert plant.status_code == 201, plant.text
    body = {
        "site_id": plant.json()["id"],
        "material": "phosphogypsum",
        "use": "cement_retarder",
        "capacity_t": 5000,
        "max_haul_km": 50,
    }
    made = recycler.post("/api/v1/offers", json=body | offer)
    assert made.status_code == 201, made.text
    return dict(plant.json()), dict(made.json())


def post_buying_plant(
    recycler: httpx.Client, name: str, capacity_t: float
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The plant the trading loops sell to: just east of Anning, buying `capacity_t` of
    phosphogypsum at 20 CNY/t from within 60 km: (plant, offer)."""
    return post_plant_and_offer(
        recycler, name, at=(24.93, 102.50), capacity_t=capacity_t, price_cny_t=20, max_haul_km=60
    )
