"""Planning for the regulator: the adapter from the tables to the drawdown planner and siting.

Both read one snapshot (stock from the ledger, recent generation and own use, the lots' assays,
the open offers), pose a pure problem (`matching.planner`, `matching.siting`), and answer plain
dicts. Neither writes anything: a plan is advice, computed afresh each time.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

import matching
from geo.regions import load_regions
from geo.zones import ProtectedZones, ZoneFileError
from market import catalogue, clock, fields
from market.auth import Actor
from market.db import Database
from market.errors import InvalidInput, from_problem
from market.services.matching import default_params, lot_key, offer_key, open_market, problem_from
from market.settings import Settings
from market.tables import LedgerEntry, Lot, Offer, Organisation, Site
from market.views import offers_with_open_capacity, open_offer_condition, stock_by_site
from matching import planner, siting

GENERATION_WINDOW_MONTHS = 6
"""Expected generation and own use are the averages of this many complete months before today."""
OWN_USE_KINDS = ("utilisation", "treatment", "disposal")
"""Stock that leaves a yard outside the market (a `utilisation` naming a delivery is a receipt)."""

DEFAULT_HORIZON = planner.DEFAULT_HORIZON
MAX_HORIZON = 120
MAX_CANDIDATES = 500
MAX_ZONE_BYTES = 5_000_000
MAX_ZONE_VERTICES = 100_000
MAX_CAPACITY_T = 1e8
MAX_HAUL_KM = 1000.0
MAX_BUFFER_KM = 100.0
SOURCES = ("lots", "stock")

DRAWDOWN_KEYS = ("horizon_months", "materials", "renew_offers")
SITING_KEYS = (
    "material",
    "capacity_t_per_year",
    "candidates",
    "buffer_km",
    "zones",
    "spec",
    "max_haul_km",
    "source",
)


# --------------------------------------------------------------------------- months


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(first: date, n: int) -> date:
    index = first.year * 12 + first.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def months_between(a: date, b: date) -> int:
    """Whole calendar months from a's month to b's month."""
    return (b.year - a.year) * 12 + b.month - a.month


# --------------------------------------------------------------------------- input


@dataclass(frozen=True)
class DrawdownRequest:
    horizon_months: int = planner.DEFAULT_HORIZON
    materials: tuple[str, ...] = ()
    """Empty: every material with stock or generation."""
    renew_offers: bool = False


@dataclass(frozen=True)
class SitingRequest:
    material: str
    capacity_t_per_year: float
    candidates: tuple[siting.Candidate, ...] | None
    buffer_km: float
    zones: ProtectedZones | None
    spec: dict[str, dict[str, float]]
    max_haul_km: float
    source: str


def _flag(data: Mapping[str, Any], name: str) -> bool:
    raw = data.get(name)
    if raw is None or raw == "":
        return False
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("1", "true", "on", "yes"):
        return True
    if isinstance(raw, str) and raw.strip().lower() in ("0", "false", "off", "no"):
        return False
    raise InvalidInput.about(name, raw, "is not true or false")


def _materials(raw: Any) -> tuple[str, ...]:
    if raw is None or raw == "":
        return ()
    if isinstance(raw, str):
        raw = [part.strip() for part in raw.split(",") if part.strip()]
    if not isinstance(raw, list | tuple):
        raise InvalidInput.about("materials", raw, "is not a list of material codes")
    if len(raw) > 50:
        raise InvalidInput(
            "materials: {n_raw} given, at most 50", field="materials", n_raw=len(raw)
        )
    return tuple(dict.fromkeys(catalogue.material(code, "materials") for code in raw))


def parse_drawdown(data: Mapping[str, Any]) -> DrawdownRequest:
    fields.reject_unknown(data, DRAWDOWN_KEYS)
    horizon = fields.integer(data, "horizon_months", required=False)
    if horizon is None:
        horizon = planner.DEFAULT_HORIZON
    if not 1 <= horizon <= MAX_HORIZON:
        raise InvalidInput.about(
            "horizon_months",
            data.get("horizon_months"),
            "must be from 1 to {MAX_HORIZON}",
            MAX_HORIZON=MAX_HORIZON,
        )
    return DrawdownRequest(
        horizon_months=horizon,
        materials=_materials(data.get("materials")),
        renew_offers=_flag(data, "renew_offers"),
    )


def _candidates(raw: Any) -> tuple[siting.Candidate, ...] | None:
    if raw is None or raw == "" or raw == []:
        return None
    if isinstance(raw, str):
        raw = _candidate_lines(raw)
    if not isinstance(raw, list):
        raise InvalidInput.about("candidates", raw, "is not a list of {{name, lat, lon}}")
    if len(raw) > MAX_CANDIDATES:
        raise InvalidInput(
            "candidates: {n_raw} given, at most {MAX_CANDIDATES}",
            field="candidates",
            n_raw=len(raw),
            MAX_CANDIDATES=MAX_CANDIDATES,
        )
    out = []
    names: set[str] = set()
    for i, item in enumerate(raw):
        where = f"candidates[{i}]"
        if not isinstance(item, Mapping):
            raise InvalidInput.about(where, item, "is not an object {{name, lat, lon}}")
        unknown = sorted(set(item) - {"name", "lat", "lon"})
        if unknown:
            raise InvalidInput.about(
                f"{where}.{unknown[0]}", item[unknown[0]], "is not a known field"
            )
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise InvalidInput("{where}.name: is required", field="candidates", where=where)
        name = name.strip()
        if len(name) > 100 or any(ord(c) < 32 for c in name):
            raise InvalidInput.about(f"{where}.name", name, "is too long or has control characters")
        if name in names:
            raise InvalidInput.about(f"{where}.name", name, "is given twice")
        names.add(name)
        lat = fields.to_number(item.get("lat"), f"{where}.lat", minimum=-90, maximum=90)
        lon = fields.to_number(item.get("lon"), f"{where}.lon", minimum=-180, maximum=180)
        out.append(siting.Candidate(name, lat, lon))
    return tuple(out)


def _candidate_lines(text: str) -> list[dict[str, Any]]:
    """`name, lat, lon` per line (the form's text area); blank lines and # comments skipped."""
    out: list[dict[str, Any]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.replace("，", ",").split(",")]
        if len(parts) != 3:
            raise InvalidInput(
                "candidates: line {n} {line!r} is not 'name, lat, lon'",
                field="candidates",
                n=n,
                line=line[:60],
            )
        out.append({"name": parts[0], "lat": parts[1], "lon": parts[2]})
    return out


def parse_zones(raw: Any) -> ProtectedZones | None:
    """Protected zones as GeoJSON (an object, or its text), capped in size and vertices."""
    if raw is None or raw == "" or raw == b"":
        return None
    if isinstance(raw, str | bytes):
        if len(raw) > MAX_ZONE_BYTES:
            raise InvalidInput(
                "zones: {n_raw:,} bytes, at most {MAX_ZONE_BYTES:,} allowed",
                field="zones",
                n_raw=len(raw),
                MAX_ZONE_BYTES=MAX_ZONE_BYTES,
            )
    elif not isinstance(raw, Mapping):
        raise InvalidInput.about("zones", raw, "is not a GeoJSON object")
    else:
        raw = dict(raw)
    try:
        zones = ProtectedZones.from_geojson(raw, max_vertices=MAX_ZONE_VERTICES)
    except ZoneFileError as exc:
        inner = InvalidInput(exc.template, **exc.params)
        raise InvalidInput("zones: {inner}", field="zones", inner=inner) from None
    return zones


def parse_siting(data: Mapping[str, Any]) -> SitingRequest:
    fields.reject_unknown(data, SITING_KEYS)
    material = catalogue.material(data.get("material"), "material")
    capacity = fields.number(data, "capacity_t_per_year", positive=True, maximum=MAX_CAPACITY_T)
    assert capacity is not None
    buffer_km = fields.number(
        data,
        "buffer_km",
        required=False,
        default=siting.DEFAULT_BUFFER_KM,
        minimum=0,
        maximum=MAX_BUFFER_KM,
    )
    max_haul = fields.number(
        data,
        "max_haul_km",
        required=False,
        default=siting.DEFAULT_MAX_HAUL_KM,
        positive=True,
        maximum=MAX_HAUL_KM,
    )
    raw_spec = data.get("spec")
    if raw_spec is None or raw_spec == "":
        raw_spec = {}
    if isinstance(raw_spec, str):
        try:
            raw_spec = json.loads(raw_spec)
        except ValueError:
            raise InvalidInput.about("spec", raw_spec, "is not JSON") from None
    if not isinstance(raw_spec, Mapping):
        raise InvalidInput.about("spec", raw_spec, "is not an object {{parameter: {{min?, max?}}}}")
    source = fields.text(data, "source", default="lots", choices=SOURCES)
    assert buffer_km is not None and max_haul is not None
    return SitingRequest(
        material=material,
        capacity_t_per_year=capacity,
        candidates=_candidates(data.get("candidates")),
        buffer_km=buffer_km,
        zones=parse_zones(data.get("zones")),
        spec=catalogue.spec(material, raw_spec),
        max_haul_km=max_haul,
        source=source,
    )


# --------------------------------------------------------------------------- the snapshot


@dataclass(frozen=True)
class _Yard:
    site: Site
    organisation: Organisation


@dataclass(frozen=True)
class _Grade:
    quality: dict[str, float]
    weight: float
    max_haul_km: float | None


@dataclass(frozen=True)
class Snapshot:
    today: date
    start: date
    yards: dict[int, _Yard]
    stock: dict[int, dict[str, float]]
    generation: dict[tuple[int, str], float]
    own_use: dict[tuple[int, str], float]
    grades: dict[tuple[int, str], list[_Grade]]
    offers: list[tuple[Offer, Site, Organisation, float]]


def _window_averages(
    session: Session, yard_ids: Sequence[int], start: date
) -> tuple[dict[tuple[int, str], float], dict[tuple[int, str], float]]:
    """Monthly generation and own use per (yard, material): the window's sum ÷ months covered.

    A yard whose ledger for the material began inside the window is averaged over the months
    since its first entry, so a new yard's generation is not diluted by months it did not exist.
    """
    if not yard_ids:
        return {}, {}
    window_start = add_months(start, -GENERATION_WINDOW_MONTHS)
    counted = col(LedgerEntry.kind).in_(("generation", *OWN_USE_KINDS))
    rows = session.exec(
        select(
            LedgerEntry.site_id,
            LedgerEntry.material,
            LedgerEntry.kind,
            func.sum(LedgerEntry.tonnes),
        )
        .where(
            col(LedgerEntry.site_id).in_(set(yard_ids)),
            col(LedgerEntry.occurred_on) >= window_start,
            col(LedgerEntry.occurred_on) < start,
            counted,
            # a receipt's utilisation names its delivery: the dispatch already moved the stock
            ~and_(
                col(LedgerEntry.kind) == "utilisation", col(LedgerEntry.delivery_id).is_not(None)
            ),
        )
        .group_by(col(LedgerEntry.site_id), col(LedgerEntry.material), col(LedgerEntry.kind))
    ).all()
    first = {
        (sid, mat): day
        for sid, mat, day in session.exec(
            select(LedgerEntry.site_id, LedgerEntry.material, func.min(LedgerEntry.occurred_on))
            .where(col(LedgerEntry.site_id).in_(set(yard_ids)))
            .group_by(col(LedgerEntry.site_id), col(LedgerEntry.material))
        ).all()
    }
    generation: dict[tuple[int, str], float] = {}
    own_use: dict[tuple[int, str], float] = {}
    for sid, mat, kind, total in rows:
        began = first.get((sid, mat)) or window_start
        if isinstance(began, str):  # SQLite returns the aggregate as text
            began = date.fromisoformat(began)
        covered = months_between(max(month_start(began), window_start), start)
        months = max(1, min(GENERATION_WINDOW_MONTHS, covered))
        target = generation if kind == "generation" else own_use
        target[(sid, mat)] = target.get((sid, mat), 0.0) + float(total or 0.0) / months
    return generation, own_use


def _grades(
    session: Session, yard_ids: Sequence[int], today: date
) -> dict[tuple[int, str], list[_Grade]]:
    """The assays a yard's stock of a material is taken to have, with their shares.

    The open lots' assays weighted by their open tonnes; for a yard with no open lot of the
    material, the assay of its most recent lot that has one. Lots with the same assay merge.
    """
    if not yard_ids:
        return {}
    lots, _ = open_market(session, today)
    open_by: dict[tuple[int, str], list[_Grade]] = {}
    for lot, site, open_t in lots:
        if site.id in yard_ids and lot.quality:
            open_by.setdefault((site.id, lot.material), []).append(
                _Grade(dict(lot.quality), open_t, lot.max_haul_km)
            )
    latest: dict[tuple[int, str], _Grade] = {}
    for lot in session.exec(
        select(Lot)
        .where(col(Lot.site_id).in_(set(yard_ids)), col(Lot.withdrawn_at).is_(None))
        .order_by(col(Lot.id).desc())
    ).all():
        key = (lot.site_id, lot.material)
        if lot.quality and key not in latest:
            latest[key] = _Grade(dict(lot.quality), 1.0, lot.max_haul_km)
    out: dict[tuple[int, str], list[_Grade]] = {}
    for key in sorted(set(open_by) | set(latest)):
        merged: dict[str, _Grade] = {}
        for g in open_by.get(key) or [latest[key]]:
            tag = json.dumps(g.quality, sort_keys=True)
            if tag in merged:
                m = merged[tag]
                haul = (
                    None
                    if m.max_haul_km is None or g.max_haul_km is None
                    else max(m.max_haul_km, g.max_haul_km)
                )
                merged[tag] = _Grade(m.quality, m.weight + g.weight, haul)
            else:
                merged[tag] = g
        out[key] = list(merged.values())
    return out


def _open_offers(session: Session, today: date) -> list[tuple[Offer, Site, Organisation, float]]:
    """Offers not withdrawn, not ended and with capacity left, including ones not begun yet."""
    q, open_t = offers_with_open_capacity()
    query = q.where(open_offer_condition(open_t, today)).order_by(col(Offer.id))
    rows = session.exec(query).all()  # type: ignore[call-overload]
    return [(offer, site, org, float(cap)) for offer, site, org, cap in rows]


def snapshot(session: Session, today: date) -> Snapshot:
    yards = {
        site.id: _Yard(site, org)
        for site, org in session.exec(
            select(Site, Organisation)
            .join(Organisation, col(Organisation.id) == Site.organisation_id)
            .where(Site.kind == "yard")
            .order_by(col(Site.id))
        ).all()
        if site.id is not None
    }
    ids = list(yards)
    start = month_start(today)
    generation, own_use = _window_averages(session, ids, start)
    return Snapshot(
        today=today,
        start=start,
        yards=yards,
        stock=stock_by_site(session, ids),
        generation=generation,
        own_use=own_use,
        grades=_grades(session, ids, today),
        offers=_open_offers(session, today),
    )


def _yard_streams(snap: Snapshot, materials: Sequence[str]) -> list[tuple[int, str, float]]:
    """(yard, material, stock) for every yard and material with stock or generation."""
    wanted = set(materials)
    out = []
    for sid in snap.yards:
        kinds = set(snap.stock.get(sid, {})) | {m for (s, m) in snap.generation if s == sid}
        for material in sorted(kinds):
            if wanted and material not in wanted:
                continue
            stock = max(0.0, snap.stock.get(sid, {}).get(material, 0.0))
            if stock <= 0 and snap.generation.get((sid, material), 0.0) <= 0:
                continue
            out.append((sid, material, stock))
    return out


# --------------------------------------------------------------------------- drawdown


def _bound(spec: Mapping[str, Mapping[str, float]]) -> dict[str, matching.Bound]:
    return {k: matching.Bound(v.get("min"), v.get("max")) for k, v in spec.items()}


def drawdown_problem(
    snap: Snapshot, req: DrawdownRequest, settings: Settings
) -> tuple[planner.PlanProblem, dict[str, Any]]:
    """The planner's problem for this snapshot, and the names that decode its ids."""
    params = default_params(settings)
    T = req.horizon_months
    labels = tuple(f"{add_months(snap.start, t):%Y-%m}" for t in range(T))
    stocks: list[planner.Stock] = []
    for sid, material, stock in _yard_streams(snap, req.materials):
        yard = snap.yards[sid]
        grades = snap.grades.get((sid, material)) or [_Grade({}, 1.0, None)]
        total_w = sum(g.weight for g in grades) or 1.0
        gen = snap.generation.get((sid, material), 0.0)
        own = snap.own_use.get((sid, material), 0.0)
        for n, g in enumerate(grades):
            share = g.weight / total_w
            stocks.append(
                planner.Stock(
                    id=f"Y{sid}:{material}:{n}",
                    yard=f"Y{sid}",
                    material=material,
                    tonnes=stock * share,
                    lat=yard.site.lat,
                    lon=yard.site.lon,
                    monthly_generation_t=gen * share,
                    monthly_own_use_t=own * share,
                    quality=g.quality,
                    max_haul_km=g.max_haul_km,
                    producer=f"G{yard.organisation.id}",
                )
            )
    wanted = set(req.materials)
    intakes: list[planner.Intake] = []
    for offer, site, _org, open_t in snap.offers:
        if wanted and offer.material not in wanted:
            continue
        first = max(0, months_between(snap.start, max(offer.period_start, snap.today)))
        last = months_between(snap.start, offer.period_end)
        if last < first or math.floor(open_t) <= 0:
            continue
        intakes.append(
            planner.Intake(
                id=offer_key(offer.id or 0),
                plant=f"P{site.id}",
                material=offer.material,
                lat=site.lat,
                lon=site.lon,
                capacity_t=open_t,
                first_month=first,
                last_month=last,
                spec=_bound(offer.spec),
                max_haul_km=offer.max_haul_km,
                price_cny_t=offer.price_cny_t,
            )
        )
    problem = planner.PlanProblem(
        stocks=tuple(stocks),
        intakes=tuple(intakes),
        params=planner.PlanParams(
            horizon_months=T,
            cost_per_t_km=params["cost_per_t_km"],
            circuity=params["circuity"],
            priorities=params["priorities"],
            renew_offers=req.renew_offers,
            month_labels=labels,
        ),
    )
    return problem, {"labels": labels}


def drawdown(
    db: Database,
    actor: Actor,
    settings: Settings,
    raw: Mapping[str, Any],
    *,
    today: date | None = None,
) -> dict[str, Any]:
    """The month-by-month drawdown plan over the open offers, as a plain dict."""
    actor.require("regulator", "operator")
    req = parse_drawdown(raw)
    today = today or clock.today()
    with db.read_session() as session:
        snap = snapshot(session, today)
        plants = _plant_names(session, [o[1].id or 0 for o in snap.offers])
    problem, _ = drawdown_problem(snap, req, settings)
    try:
        result = planner.plan(problem)
    except matching.ProblemError as exc:
        raise from_problem(exc, "horizon_months") from None
    return _plan_dict(result, snap, req, plants)


def _plant_names(session: Session, site_ids: Sequence[int]) -> dict[int, tuple[Site, str]]:
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


def _plan_dict(
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


# --------------------------------------------------------------------------- siting


def _stock_lots(snap: Snapshot, material: str) -> list[dict[str, Any]]:
    """Each yard's ledger stock of the material as lots at the yard, one per grade."""
    out = []
    for sid, mat, stock in _yard_streams(snap, [material]):
        yard = snap.yards[sid]
        grades = snap.grades.get((sid, mat)) or [_Grade({}, 1.0, None)]
        total_w = sum(g.weight for g in grades) or 1.0
        for n, g in enumerate(grades):
            tonnes = math.floor(stock * g.weight / total_w)
            if tonnes <= 0:
                continue
            entry: dict[str, Any] = {
                "id": f"Y{sid}-{n}",
                "material": mat,
                "tonnes": tonnes,
                "lat": yard.site.lat,
                "lon": yard.site.lon,
                "quality": g.quality,
            }
            if g.max_haul_km is not None:
                entry["max_haul_km"] = g.max_haul_km
            out.append(entry)
    return out


def siting_analysis(
    db: Database,
    actor: Actor,
    settings: Settings,
    raw: Mapping[str, Any],
    *,
    today: date | None = None,
) -> dict[str, Any]:
    """Rank candidate sites for a new plant by the stock it would absorb, as a plain dict."""
    actor.require("regulator", "operator")
    req = parse_siting(raw)
    today = today or clock.today()
    params = default_params(settings)
    with db.read_session() as session:
        lots, offers = open_market(session, today)
        lots = [row for row in lots if row[0].material == req.material]
        offers = [row for row in offers if row[0].material == req.material]
        problem_json = problem_from(lots, offers, params)
        names: dict[str, tuple[str, str]]
        if req.source == "stock":
            snap = snapshot(session, today)
            problem_json["lots"] = _stock_lots(snap, req.material)
            names = {
                entry["id"]: (
                    snap.yards[int(entry["id"][1:].split("-")[0])].site.name,
                    snap.yards[int(entry["id"][1:].split("-")[0])].organisation.name,
                )
                for entry in problem_json["lots"]
            }
        else:
            orgs = {
                o.id: o.name
                for o in session.exec(
                    select(Organisation).where(
                        col(Organisation.id).in_({site.organisation_id for _, site, _ in lots})
                    )
                ).all()
            }
            names = {
                lot_key(lot.id or 0): (site.name, orgs.get(site.organisation_id, ""))
                for lot, site, _ in lots
            }
    try:
        problem = matching.problem_from_json(problem_json)
        result = siting.evaluate_sites(
            problem,
            siting.SitingParams(
                material=req.material,
                capacity_t=req.capacity_t_per_year,
                spec=_bound(req.spec),
                max_haul_km=req.max_haul_km,
                buffer_km=req.buffer_km,
            ),
            _located(req.candidates),
            zones=req.zones,
        )
    except matching.ProblemError as exc:
        raise from_problem(exc, exc.path.split(".")[0] or None) from None
    return _siting_dict(result, req, names)


def _located(
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


def _siting_dict(
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
