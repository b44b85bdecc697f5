"""Match runs: the one place where tables meet the solver (`problem_from`)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, func, select

import matching
from market import catalogue, clock, fields
from market.auth import Actor
from market.db import Database, UnitOfWork
from market.errors import InvalidInput, NotFound
from market.notifications import notify
from market.settings import Settings
from market.tables import Lot, MatchRun, Offer, Proposal, Site, utcnow
from market.views import (
    lots_with_open_tonnes,
    offers_with_open_capacity,
    open_lot_condition,
    open_offer_condition,
)
from matching.jsonio import PARAM_KEYS

MAX_TIME_LIMIT_S = 300.0


def lot_key(lot_id: int) -> str:
    return f"L{lot_id}"


def offer_key(offer_id: int) -> str:
    return f"O{offer_id}"


def key_id(key: str) -> int:
    return int(key[1:])


def default_params(settings: Settings) -> dict[str, Any]:
    cat = catalogue.catalogue()
    return {
        "cost_per_t_km": settings.cost_per_t_km,
        "circuity": settings.circuity,
        "co2_kg_per_t_km": settings.co2_kg_per_t_km,
        "priorities": {code: m.priority for code, m in sorted(cat.materials.items())},
        "mode": "divisible",
        "min_shipment_t": 0,
        "time_limit_s": settings.match_time_limit_s,
    }


PARAM_RANGES: dict[str, tuple[float, float]] = {
    # wide enough for any real haul, narrow enough that no run can price every pairing out
    # ({"circuity": 1e300} matched nothing and blanked every participant's proposals)
    "cost_per_t_km": (0.0, 20.0),
    "circuity": (1.0, 3.0),
    "co2_kg_per_t_km": (0.0, 5.0),
    "min_shipment_t": (0.0, 100_000.0),
    "time_limit_s": (0.1, MAX_TIME_LIMIT_S),
}
PRIORITY_RANGE = (1, 10)


def check_params(raw: Mapping[str, Any] | None, settings: Settings) -> dict[str, Any]:
    """The run's parameters: the defaults, with what the caller gave, each within its range."""
    params = default_params(settings)
    if raw is None:
        return params
    fields.reject_unknown(raw, PARAM_KEYS, prefix="params.")
    for key, value in raw.items():
        if key in PARAM_RANGES:
            low, high = PARAM_RANGES[key]
            value = fields.to_number(value, f"params.{key}")
            if not low <= value <= high:
                raise InvalidInput.about(
                    f"params.{key}", value, f"must be from {low:g} to {high:g}"
                )
        elif key == "priorities":
            value = _priorities(value)
        elif key == "mode":
            value = fields.text({"mode": value}, "mode", choices=("divisible", "min_shipment"))
        params[key] = value
    return params


def _priorities(raw: Any) -> dict[str, int]:
    if not isinstance(raw, Mapping):
        raise InvalidInput.about("params.priorities", raw, "is not an object")
    materials = catalogue.catalogue().materials
    out = {}
    for code, value in raw.items():
        if code not in materials:
            # named as the value, not in the path: a key may be any text, "\ud800" included
            raise InvalidInput.about(
                "params.priorities", code, "is not a material of the catalogue"
            )
        path = f"params.priorities.{code}"
        number = fields.to_number(value, path)
        low, high = PRIORITY_RANGE
        if not number.is_integer() or not low <= number <= high:
            raise InvalidInput.about(path, value, f"must be a whole number from {low} to {high}")
        out[code] = int(number)
    return {code: m.priority for code, m in sorted(materials.items())} | out


def lot_entry(lot: Lot, site: Site, open_t: float) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": lot_key(lot.id or 0),
        "material": lot.material,
        "tonnes": math.floor(open_t + 1e-9),
        "lat": site.lat,
        "lon": site.lon,
        "quality": dict(lot.quality),
        "asking_price_cny_t": lot.asking_price_cny_t,
    }
    if lot.max_haul_km is not None:
        entry["max_haul_km"] = lot.max_haul_km
    return entry


def facility_entry(offer: Offer, site: Site, open_t: float) -> dict[str, Any]:
    # One facility per offer: offers at the same plant may differ in haul radius, and each
    # proposal must name exactly one offer.
    facility: dict[str, Any] = {
        "id": offer_key(offer.id or 0),
        "lat": site.lat,
        "lon": site.lon,
        "accepts": [
            {
                "id": offer_key(offer.id or 0),
                "material": offer.material,
                "capacity_t": math.floor(open_t + 1e-9),
                "spec": {k: dict(v) for k, v in offer.spec.items()},
                "price_cny_t": offer.price_cny_t,
            }
        ],
    }
    if offer.max_haul_km is not None:
        facility["max_haul_km"] = offer.max_haul_km
    return facility


def problem_from(
    lots: Sequence[tuple[Lot, Site, float]],
    offers: Sequence[tuple[Offer, Site, float]],
    params: Mapping[str, Any],
) -> dict[str, Any]:
    """The matching problem (the JSON of docs/matching-format.md) for these open lots and offers."""
    return {
        "params": dict(params),
        "lots": [lot_entry(*row) for row in lots if math.floor(row[2] + 1e-9) > 0],
        "facilities": [facility_entry(*row) for row in offers if math.floor(row[2] + 1e-9) > 0],
    }


def open_market(session: Session, today: date | None = None) -> tuple[list[Any], list[Any]]:
    today = today or clock.today()
    lq, lot_open = lots_with_open_tonnes()
    lots = session.exec(
        lq.where(open_lot_condition(lot_open, today), col(Lot.available_from) <= today).order_by(
            col(Lot.id)
        )
    ).all()
    oq, offer_open = offers_with_open_capacity()
    offers = session.exec(
        oq.where(
            open_offer_condition(offer_open, today), col(Offer.period_start) <= today
        ).order_by(col(Offer.id))
    ).all()
    return (
        [(lot, site, float(open_t)) for lot, site, _org, open_t, _n in lots],
        [(offer, site, float(open_t)) for offer, site, _org, open_t in offers],
    )


def run_match(
    db: Database,
    actor: Actor | None,
    settings: Settings,
    raw_params: Mapping[str, Any] | None = None,
    *,
    trigger: str = "manual",
    today: date | None = None,
    progress: Callable[[float, str], None] | None = None,
    then: Callable[[UnitOfWork, MatchRun], None] | None = None,
) -> MatchRun:
    """Solve over every open lot and offer and store the run with its proposals.

    The snapshot is read first and the solver runs outside any transaction, so a long solve
    never holds a lock; proposals are advice, and bids re-check what is still open.
    `progress(fraction, stage)` hears of each stage (a job's progress bar; it may raise to
    cancel between stages); `then(uow, run)` runs in the transaction that stores the run (a
    job marks itself done there, so a run and its job's end commit together).
    """
    report = progress or (lambda _f, _s: None)
    if actor is not None:
        actor.require("operator", "regulator")
    params = check_params(raw_params, settings)
    report(0.02, "reading")
    with db.read_session() as session:
        lots, offers = open_market(session, today)
    report(0.08, "preparing")
    problem_json = problem_from(lots, offers, params)
    try:
        problem = matching.problem_from_json(problem_json)
    except matching.ProblemError as exc:
        raise InvalidInput(str(exc), field="params") from None
    started = utcnow()
    t0 = time.perf_counter()
    solved = matching.solve(problem, progress=lambda f, stage: report(0.1 + 0.7 * f, stage))
    result = matching.result_to_dict(solved)
    elapsed_ms = (time.perf_counter() - t0) * 1000
    report(0.85, "saving")
    with db.unit_of_work() as uow:
        run = MatchRun(
            started_by=actor.user_id if actor else None,
            trigger=trigger,
            started_at=started,
            finished_at=utcnow(),
            status=result["status"],
            params=params,
            problem=problem_json,
            totals=result["totals"],
            stats=result["stats"] | {"total_ms": round(elapsed_ms, 1)},
            unmatched=result["unmatched"],
        )
        uow.session.add(run)
        uow.flush()
        assert run.id is not None
        rows = [
            {
                "run_id": run.id,
                "lot_id": key_id(m["lot"]),
                "offer_id": key_id(m.get("accept", m["facility"])),
                "tonnes": m["tonnes"],
                "road_km": m["road_km"],
                "haul_cost": m["haul_cost"],
                "co2_kg": m.get("co2_kg", 0.0),
                "margins": m.get("margins", {}),
            }
            for m in result["matches"]
        ]
        if rows:
            # one executemany, not an ORM object a proposal: 5,000 x 5,000 saved 4 s
            uow.session.execute(insert(Proposal), rows)
        _tell_recyclers(uow, run.id)
        if then is not None:
            then(uow, run)
        uow.commit()
    return run


def _tell_recyclers(uow: UnitOfWork, run_id: int) -> None:
    """Each recycler with proposals at its plants hears of them, with how many."""
    counts = uow.session.exec(
        select(Site.organisation_id, func.count())
        .select_from(Proposal)
        .join(Offer, col(Offer.id) == Proposal.offer_id)
        .join(Site, col(Site.id) == Offer.site_id)
        .where(Proposal.run_id == run_id)
        .group_by(col(Site.organisation_id))
    ).all()
    for org_id, count in counts:
        notify(uow, "proposals_ready", url="/proposals", orgs=[org_id], run=run_id, count=count)


def proposals_of(session: Session, run_id: int) -> list[Proposal]:
    return list(
        session.exec(
            select(Proposal).where(Proposal.run_id == run_id).order_by(col(Proposal.id))
        ).all()
    )


def lot_options(session: Session, actor: Actor, lot_id: int, settings: Settings) -> dict[str, Any]:
    """Where could this lot go? Every open offer, eligible ones by landed cost, the others with
    the rules they break. For the lot's owner and overseers."""
    from market.views import get_lot

    lot_view = get_lot(session, actor, lot_id)
    if actor.role not in ("regulator", "operator") and lot_view["organisation_id"] != (
        actor.organisation_id
    ):
        raise NotFound(f"lot: {lot_id} does not exist", field="lot", value=lot_id)
    lot = session.get(Lot, lot_id)
    site = session.get(Site, lot.site_id) if lot else None
    assert lot is not None and site is not None
    _lots, offers = open_market(session)
    params = default_params(settings)
    # the question stands even for a lot whose tonnes are all under contract
    open_t = max(float(lot_view["tonnes_open"]), 1.0)
    problem = matching.problem_from_json(
        problem_from([(lot, site, open_t)], offers, params) | {"params": params}
    )
    options = matching.options_to_json(matching.rank_options(problem, lot_key(lot_id)))
    by_offer = {offer.id: (offer, plant) for offer, plant, _t in offers}
    from market.tables import Organisation

    orgs = {o.id: o.name for o in session.exec(select(Organisation)).all()}
    rows = []
    for option in options:
        offer, plant = by_offer[key_id(option["accept"] or option["facility"])]
        rows.append(
            option
            | {
                "offer_id": offer.id,
                "plant": plant.name,
                "recycler": orgs.get(plant.organisation_id),
                "prefecture": plant.prefecture,
                "county": plant.county,
                "use": offer.use_code,
                "capacity_open_t": option.get("capacity_t"),
                "co2_kg_per_t": round(option["road_km"] * settings.co2_kg_per_t_km, 2),
            }
        )
    return {
        "lot": lot_view,
        "eligible": sum(1 for r in rows if r["eligible"]),
        "options": rows,
    }
