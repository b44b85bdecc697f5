"""The demo's history: each yard's months of generation, own use, treatment and deliveries
under framework contracts, jittered by a seeded random generator."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from typing import Any

from geo.distance import geodesic_km
from market.auth import Actor
from market.db import UnitOfWork
from market.seed import trucks
from market.seed.common import SeedReport, month_end
from market.services import ledger, lots, offers
from market.settings import Settings
from market.tables import Contract
from seed_data import DemoDataSet, DemoSite


def _jitter(rng: random.Random, value: float, spread: float = 0.1) -> float:
    return round(value * (1 + rng.uniform(-spread, spread)), 1)


def _history(
    uow: UnitOfWork,
    rng: random.Random,
    s: DemoSite,
    site_ids: dict[str, int],
    actors: dict[str, Actor],
    months: list[date],
    history_start: date,
    demo: DemoDataSet,
    offer_rows: list[tuple[str, int, Any]],
    site_by_key: dict[str, DemoSite],
    settings: Settings,
    report: SeedReport,
    evidence_id: int,
) -> int:
    actor = actors[s.organisation]
    site_id = site_ids[s.key]
    written = 0

    def post(kind: str, material: str, tonnes: float, on: date, doc: str) -> None:
        nonlocal written
        if tonnes <= 0:
            return
        data: dict[str, Any] = {
            "kind": kind,
            "material": material,
            "tonnes": tonnes,
            "occurred_on": on.isoformat(),
            "document": doc,
        }
        if kind in ("utilisation", "treatment"):
            data["evidence"] = [evidence_id]
        ledger.post_entry(uow, actor, site_id, data)
        written += 1

    for st in s.streams:
        post(
            "opening",
            st.material,
            st.opening_t,
            history_start,
            f"堆存量测绘 {history_start:%Y-%m} (illustrative)",
        )
        shares = _shares(s, st, offer_rows, site_by_key)
        # tonnes per month and contract, drawn first so each contract is for exactly what its
        # deliveries add up to and closes with the last receipt
        plan = [
            [_jitter(rng, st.monthly_delivered_t * share) for _k, _o, share in shares]
            for _ in months
        ]
        contracts = _framework_contracts(
            uow,
            s,
            st,
            site_ids,
            actors,
            months,
            shares,
            [round(sum(month[j] for month in plan), 3) for j in range(len(shares))],
            site_by_key,
        )
        for i, start in enumerate(months):
            end = month_end(start)
            post(
                "generation",
                st.material,
                _jitter(rng, st.monthly_generation_t),
                end,
                f"月报 {start:%Y-%m}",
            )
            if st.monthly_p2o5_t:
                post(
                    "p2o5_output",
                    st.material,
                    _jitter(rng, st.monthly_p2o5_t, 0.05),
                    end,
                    f"P2O5 产量月报 {start:%Y-%m}",
                )
            post(
                "utilisation",
                st.material,
                _jitter(rng, st.monthly_own_use_t),
                end,
                f"自用记录 {start:%Y-%m}",
            )
            post(
                "treatment",
                st.material,
                _jitter(rng, st.monthly_treatment_t),
                end,
                f"无害化处理记录 {start:%Y-%m}",
            )
            for n, (contract_id, recycler) in enumerate(contracts):
                tonnes = plan[i][n]
                at = datetime(start.year, start.month, 12 + n, 2, 0, tzinfo=UTC)
                rng.randint(10000, 99999)  # the old plate's draw, so later figures stay the same
                received = round(tonnes * (1 - rng.uniform(0, 0.012)), 1)
                loads = trucks.month_loads(
                    f"YN{start:%Y%m}-{site_id:03d}-{contract_id}-{i}",
                    tonnes,
                    received,
                    at,
                    trucks.truck_days(demo.history_end, start, end),
                    trucks.yard_letter(uow, site_id),
                    demo.seed,
                )
                done = trucks.deliver(uow, actor, recycler, contract_id, loads, settings)
                report.deliveries += done
                written += 2 * done
    return written


def _shares(
    s: DemoSite, st: Any, offer_rows: list[tuple[str, int, Any]], site_by_key: dict[str, DemoSite]
) -> list[tuple[str, Any, float]]:
    """The (at most two) nearest plants taking the material, and the share each receives."""
    if st.monthly_delivered_t <= 0:
        return []
    nearest = sorted(
        (geodesic_km(s.lat, s.lon, site_by_key[key].lat, site_by_key[key].lon), key, o)
        for key, _oid, o in offer_rows
        if o.material == st.material
    )[:2]
    split = [0.6, 0.4] if len(nearest) == 2 else [1.0]
    return [(key, o, share) for (_km, key, o), share in zip(nearest, split, strict=False)]


def _framework_contracts(
    uow: UnitOfWork,
    s: DemoSite,
    st: Any,
    site_ids: dict[str, int],
    actors: dict[str, Actor],
    months: list[date],
    shares: list[tuple[str, Any, float]],
    totals: list[float],
    site_by_key: dict[str, DemoSite],
) -> list[tuple[int, Actor]]:
    """Last two years' supply agreements with the nearest plants: a lot and an offer for the
    period (both expired now) and a contract for exactly the tonnes delivered under it."""
    if not shares:
        return []
    start, end = months[0], month_end(months[-1])
    lot = lots.post_lot(
        uow,
        actors[s.organisation],
        {
            "site_id": site_ids[s.key],
            "material": st.material,
            "tonnes": round(sum(totals), 3),
            "lab_report": f"框架协议 {start:%Y}–{end:%Y}",
            "sampled_on": start.isoformat(),
            "available_from": start.isoformat(),
            "available_until": end.isoformat(),
        },
    )
    out = []
    for (key, o, _share), total in zip(shares, totals, strict=True):
        recycler = actors[site_by_key[key].organisation]
        offer = offers.post_offer(
            uow,
            recycler,
            {
                "site_id": site_ids[key],
                "material": st.material,
                "capacity_t": total,
                "period_start": start.isoformat(),
                "period_end": end.isoformat(),
                "price_cny_t": o.price_cny_t,
            },
        )
        contract = Contract(
            lot_id=lot.id or 0,
            offer_id=offer.id or 0,
            tonnes=total,
            price_cny_t=o.price_cny_t,
            created_by=actors[s.organisation].user_id,
            created_at=datetime(start.year, start.month, 1, tzinfo=UTC),
        )
        uow.session.add(contract)
        uow.flush()
        out.append((contract.id or 0, recycler))
    return out
