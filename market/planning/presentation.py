"""The plain dicts the pages and the API show of a plan or a siting analysis."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel import Session, col, select

from geo.regions import load_regions
from market import catalogue
from market.planning.requests import DrawdownRequest, SitingRequest
from market.planning.snapshot import GENERATION_WINDOW_MONTHS, Snapshot
from market.services.matching import offer_key
from market.tables import Organisation, Site
from matching import planner, siting


def plant_names(session: Session, site_ids: Sequence[int]) -> dict[int, tuple[Site, str]]:
    if not site_ids:
        return {}
    rows = session.exec(
        select(Site, Organisation)
        .join(Organisation, col(Organisation.id) == Site.organisation_id)
        .where(col(Site.id).in_(set(site_ids)))
    ).all()
    return {s.id: (s, o.name) for s, o in rows if s.id is not None}


def _label(labels: Sequence[str], month: int | None) -> str | None:
    return None if month is None else labels[month]


def plan_dict(
    result: planner.PlanResult,
    snap: Snapshot,
    req: DrawdownRequest,
    plants: Mapping[int, tuple[Site, str]],
) -> dict[str, Any]:
    labels = result.month_labels
    cat = catalogue.catalogue()
    orgs = {y.organisation.id: y.organisation for y in snap.yards.values()}
    offers = {offer_key(o.id or 0): (o, s) for o, s, _org, _cap in snap.offers}

    def yard_row(y: planner.YardPlan) -> dict[str, Any]:
        sid = int(y.yard[1:])
        yard = snap.yards[sid]
        return {
            "site_id": sid,
            "yard": yard.site.name,
            "organisation_id": yard.organisation.id,
            "producer": yard.organisation.name,
            "prefecture": yard.site.prefecture,
            "county": yard.site.county,
            "lat": yard.site.lat,
            "lon": yard.site.lon,
            "monthly_generation_t": y.generated_t[0] if y.generated_t else 0,
            "monthly_own_use_t": round(snap.own_use.get((sid, y.material), 0.0)),
            "grades": y.streams,
            "stock_t": list(y.stock_t),
            "shipped_t": list(y.shipped_t),
            "drawn_down_t": sum(y.shipped_t),
            "zero_month": _label(labels, y.zero_month),
            "zero_month_index": y.zero_month,
        }

    def producer_row(p: planner.ProducerPlan) -> dict[str, Any]:
        org = orgs[int(p.producer[1:])]
        return {
            "organisation_id": org.id,
            "producer": org.name,
            "yards": [snap.yards[int(y[1:])].site.name for y in p.yards],
            "stock_now_t": p.stock_t[0],
            "stock_end_t": p.stock_t[-1],
            "change_t": p.stock_t[-1] - p.stock_t[0],
            "zero_month": _label(labels, p.zero_month),
            "zero_month_index": p.zero_month,
            "stock_t": list(p.stock_t),
        }

    materials = []
    for m in result.materials:
        entry = cat.materials.get(m.material)
        months = result.horizon_months
        net = (sum(m.generated_t) - sum(m.own_use_t)) / months if months else 0.0
        materials.append(
            {
                "material": m.material,
                "name_zh": entry.name_zh if entry else m.material,
                "name_en": entry.name_en if entry else m.material,
                "priority": m.priority,
                "stock_t": list(m.stock_t),
                "shipped_t": list(m.shipped_t),
                "own_use_t": list(m.own_use_t),
                "generated_t": list(m.generated_t),
                "capacity_t": list(m.capacity_t),
                "stock_now_t": m.stock_t[0],
                "stock_end_t": m.stock_t[-1],
                "drawn_down_t": m.drawn_down_t,
                "zero_month": _label(labels, m.zero_month),
                "zero_month_index": m.zero_month,
                # what the market would have to take each month, on top of own use, to empty the
                # stock by the horizon's end (geography and specs aside)
                "needed_t_per_month": max(0, math.ceil(m.stock_t[0] / months + net))
                if months
                else 0,
                "yards": [yard_row(y) for y in m.yards],
                "producers": sorted(
                    (producer_row(p) for p in m.producers),
                    key=lambda r: (
                        r["zero_month_index"] is None,
                        r["zero_month_index"] or 0,
                        -r["stock_now_t"],
                        r["producer"],
                    ),
                ),
            }
        )

    def plant_row(p: planner.PlantUse) -> dict[str, Any]:
        sid = int(p.plant[1:])
        site, recycler = plants.get(sid, (None, ""))
        return {
            "site_id": sid,
            "plant": site.name if site else p.plant,
            "recycler": recycler,
            "prefecture": site.prefecture if site else None,
            "county": site.county if site else None,
            "materials": list(p.materials),
            "offer_ids": [int(x[1:]) for x in p.intakes],
            "capacity_t": p.capacity_t,
            "shipped_t": p.shipped_t,
            "utilisation": p.utilisation,
            "active_months": p.active_months,
            "saturated_months": p.saturated_months,
            "bottleneck": p.bottleneck,
            "marginal": None
            if p.marginal is None
            else {
                "step": p.marginal.step,
                "extra_capacity_t": p.marginal.extra_capacity_t,
                "extra_drawdown_t": p.marginal.extra_drawdown_t,
                "method": p.marginal.method,
                "tonnes_per_tonne": p.marginal.tonnes_per_tonne,
            },
        }

    def offer_row(u: planner.IntakeUse) -> dict[str, Any]:
        offer, site = offers[u.intake]
        return {
            "offer_id": offer.id,
            "site_id": site.id,
            "plant": site.name,
            "material": u.material,
            "capacity_t": sum(u.capacity_t),
            "shipped_t": sum(u.shipped_t),
            "utilisation": u.utilisation,
            "active_months": u.active_months,
            "saturated_months": u.saturated_months,
            "period_end": offer.period_end.isoformat(),
            "capacity_by_month_t": list(u.capacity_t),
            "shipped_by_month_t": list(u.shipped_t),
        }

    return {
        "status": result.status,
        "today": snap.today.isoformat(),
        "start": labels[0] if labels else None,
        "horizon_months": result.horizon_months,
        "months": ["now", *labels],
        "month_labels": list(labels),
        "materials_requested": list(req.materials),
        "renew_offers": req.renew_offers,
        "assumptions": {
            "stock": "ledger balance today",
            "generation": f"average of the last {GENERATION_WINDOW_MONTHS} complete months",
            "own_use": "own use, treatment and disposal, averaged like generation",
            "capacity": "each open offer's open capacity spread evenly over its remaining months"
            + ("; renewed at the same rate after its period" if req.renew_offers else ""),
            "quality": "the assays of the yard's open lots (else its latest lot), by tonnes",
        },
        "materials": materials,
        "plants": [plant_row(p) for p in result.plants],
        "offers": [offer_row(u) for u in result.intakes],
        "stats": dict(result.stats),
    }


def located(
    candidates: tuple[siting.Candidate, ...] | None,
) -> tuple[siting.Candidate, ...] | None:
    """The regulator's own points, each with the county it falls in (for the table)."""
    if candidates is None:
        return None
    places = load_regions().locate_many([c.lat for c in candidates], [c.lon for c in candidates])
    return tuple(
        siting.Candidate(
            c.name, c.lat, c.lon, f"{p.prefecture} {p.county}" if p is not None else None
        )
        for c, p in zip(candidates, places, strict=True)
    )


def siting_dict(
    result: siting.SitingResult, req: SitingRequest, names: Mapping[str, tuple[str, str]]
) -> dict[str, Any]:
    cat = catalogue.catalogue()
    entry = cat.materials.get(req.material)

    def row(s: siting.SiteScore) -> dict[str, Any]:
        return {
            "rank": s.rank,
            "name": s.candidate.name,
            "region": s.candidate.region,
            "lat": s.candidate.lat,
            "lon": s.candidate.lon,
            "status": s.status,
            "extra_matched_t": s.extra_matched_t,
            "absorbed_t": s.absorbed_t,
            "haul_cost": s.haul_cost,
            "mean_road_km": s.mean_road_km,
            "total_haul_cost": s.total_haul_cost,
            "lots_in_reach": s.lots_in_reach,
            "tonnes_in_reach": s.tonnes_in_reach,
            "sources": [
                {
                    "lot": src.lot,
                    "yard": names.get(src.lot, (src.lot, ""))[0],
                    "producer": names.get(src.lot, ("", ""))[1],
                    "tonnes": src.tonnes,
                    "road_km": src.road_km,
                }
                for src in s.sources
            ],
            "zones": [
                {"zone": z.zone, "inside": z.inside, "distance_km": round(z.distance_km, 3)}
                for z in s.zones
            ],
        }

    return {
        "material": req.material,
        "name_zh": entry.name_zh if entry else req.material,
        "name_en": entry.name_en if entry else req.material,
        "capacity_t_per_year": req.capacity_t_per_year,
        "source": req.source,
        "max_haul_km": req.max_haul_km,
        "buffer_km": req.buffer_km,
        "spec": req.spec,
        "zones": None
        if req.zones is None
        else {
            "count": len(req.zones),
            "names": list(req.zones.names[:50]),
            "repairs": list(req.zones.repairs),
        },
        "baseline": {
            "matched_t": result.baseline_matched_t,
            "unmatched_t": result.baseline_unmatched_t,
            "haul_cost": result.baseline_haul_cost,
        },
        "candidates": [row(s) for s in result.sites],
        "stats": dict(result.stats),
    }
