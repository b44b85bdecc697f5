"""The audit's SQL: sums by kind, the summary and the 以用定产 table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from geo.distance import CircuityRoadDistance
from market import catalogue as catalogue_mod
from market import clock
from market.audit import trust
from market.audit.periods import Period, containing
from market.audit.rules import (
    PHOSPHOGYPSUM,
    Figures,
    Key,
    figures,
    kind_label,
    merge,
    phosphogypsum_row,
    rules,
)
from market.audit.scope import Scope, check_scope, require_overseer
from market.auth import Actor
from market.tables import (
    Bid,
    Contract,
    Delivery,
    LedgerEntry,
    Offer,
    Organisation,
    Proposal,
    Site,
)
from market.views.rules import join_plant
from market.wide import wide
from seed_data import Policy, load_policy

# ----------------------------------------------------------------------------- queries


@dataclass
class Window:
    """The sums of one group's entries before the period, within it, and within the previous
    period; `first_day` is the group's earliest entry up to the period's end."""

    before: dict[Key, float] = field(default_factory=dict)
    within: dict[Key, float] = field(default_factory=dict)
    previous: dict[Key, float] = field(default_factory=dict)
    first_day: date | None = None


def _tally(
    session: Session,
    period: Period,
    scope: Scope,
    dims: Sequence[Any],
    *,
    previous: Period | None = None,
) -> dict[tuple[Any, ...], Window]:
    """Tonnes by group, kind and receipt, in one grouped scan of the entries up to `period.end`."""
    day = col(LedgerEntry.occurred_on)
    tonnes = col(LedgerEntry.tonnes)
    names_delivery = col(LedgerEntry.delivery_id).is_not(None)
    sums = [
        func.sum(_when(day < period.start, tonnes)),
        func.sum(_when(day >= period.start, tonnes)),
    ]
    if previous is not None:
        sums.append(func.sum(_when(and_(day >= previous.start, day <= previous.end), tonnes)))
    label = kind_label()
    q = (
        wide(*dims, label, names_delivery, func.min(day), *sums)
        .join(Site, col(Site.id) == LedgerEntry.site_id)
        .where(day <= period.end, *scope.conditions())
        .group_by(*dims, label, names_delivery)
    )
    out: dict[tuple[Any, ...], Window] = {}
    n = len(dims)
    for row in session.exec(q).all():
        group = tuple(row[:n])
        kind, receipt, first = row[n], bool(row[n + 1]), row[n + 2]
        w = out.setdefault(group, Window())
        key = (kind, receipt)
        w.before[key] = float(row[n + 3] or 0.0)
        w.within[key] = float(row[n + 4] or 0.0)
        if previous is not None:
            w.previous[key] = float(row[n + 5] or 0.0)
        if first is not None and (w.first_day is None or first < w.first_day):
            w.first_day = first
    return out


def _when(condition: ColumnElement[bool], value: Any) -> Any:
    return case((condition, value), else_=0.0)


def ledger_span(session: Session) -> tuple[date | None, date | None]:
    first, last = session.exec(
        select(func.min(LedgerEntry.occurred_on), func.max(LedgerEntry.occurred_on))
    ).one()
    return first, last


def default_period(session: Session, today: date | None = None) -> Period:
    """The latest calendar year the ledger has reached the end of (2025 for data running into
    2026); without one, the latest complete quarter, then month."""
    today = today or clock.today()
    first, last = ledger_span(session)
    if first is None or last is None:
        return Period.year_of(today.year - 1)
    end = min(last, today)
    for kind in ("year", "quarter", "month"):
        latest = containing(end + timedelta(days=1), kind).previous()
        if latest.end >= first:
            return latest
    return containing(end, "month")


def period_choices(session: Session) -> list[Period]:
    """Every year, quarter and month the ledger has entries in, newest first within each kind."""
    first, last = ledger_span(session)
    if first is None or last is None:
        return []
    out = []
    for kind in ("year", "quarter", "month"):
        p = containing(last, kind)
        while p.end >= first:
            out.append(p)
            p = p.previous()
    return out


def resolve_period(session: Session, period: Period | None) -> Period:
    return period if period is not None else default_period(session)


def overseer_question(
    session: Session, actor: Actor, period: Period | None, scope: Scope | None
) -> tuple[Period, Scope]:
    """The period and scope of an overseer's question, once the actor is known to be an
    overseer and the scope's places to exist (no scope: everything; no period: the default)."""
    require_overseer(actor)
    scope = scope or Scope()
    check_scope(session, scope)
    return resolve_period(session, period), scope


def _targets(policy: Policy, material: str | None, year: int) -> dict[str, Any]:
    if material == PHOSPHOGYPSUM:
        return {
            "utilisation_target": policy.pg_utilisation_target,
            "consumption_target": policy.min_consumption_ratio(year),
        }
    return {"utilisation_target": policy.utilisation_target, "consumption_target": None}


def _breakdown_row(
    f: Figures, policy: Policy, year: int, material: str | None, co2: Mapping[str, float]
) -> dict[str, Any]:
    row = f.public() | _targets(policy, material, year)
    if material == PHOSPHOGYPSUM:
        row["p2o5_t"] = f.p2o5_t
    rate, target = row["utilisation_rate"], row["utilisation_target"]
    row["meets_utilisation_target"] = None if rate is None else rate >= target - 1e-9
    row["transport_co2_t"] = round(co2.get("transport", 0.0) / 1000, 3)
    row["avoided_co2_t"] = round(co2.get("avoided", 0.0) / 1000, 3)
    return row


def summary(
    session: Session,
    actor: Actor,
    period: Period | None = None,
    scope: Scope | None = None,
    *,
    circuity: float | None = None,
    co2_kg_per_t_km: float | None = None,
) -> dict[str, Any]:
    """Generation, utilisation, treatment, consumption, disposal and stock for a period and
    scope, in total and by material, prefecture and county, with targets and carbon."""
    period, scope = overseer_question(session, actor, period, scope)
    policy = load_policy()
    cat = catalogue_mod.catalogue()
    r = rules()
    circuity = policy.circuity if circuity is None else circuity
    co2_rate = policy.co2_kg_per_t_km if co2_kg_per_t_km is None else co2_kg_per_t_km

    dims = (
        col(Site.prefecture_code),
        col(Site.prefecture),
        col(Site.county_code),
        col(Site.county),
        col(LedgerEntry.material),
    )
    groups = _tally(session, period, scope, dims)
    transport = _transport_co2_kg(session, period, scope, circuity, co2_rate)

    def fig(windows: list[Window]) -> Figures:
        return figures(merge(w.before for w in windows), merge(w.within for w in windows), r)

    def carbon(f_by_material: Mapping[str, Figures], keys: Iterable[Any]) -> dict[str, float]:
        return {
            "transport": sum(transport.get(k, 0.0) for k in keys),
            "avoided": sum(
                f.utilised_t * cat.materials[m].avoided_co2_kg_per_t
                for m, f in f_by_material.items()
                if m in cat.materials
            ),
        }

    def block(selected: list[tuple[Any, ...]], material: str | None) -> dict[str, Any]:
        f = fig([groups[g] for g in selected])
        by_m: dict[str, list[tuple[Any, ...]]] = {}
        for g in selected:
            by_m.setdefault(g[4], []).append(g)
        per_material = {m: fig([groups[g] for g in gs]) for m, gs in by_m.items()}
        keys = [(g[2], g[4]) for g in selected]
        return _breakdown_row(f, policy, period.year, material, carbon(per_material, keys))

    def grouped(key_of: Any) -> list[tuple[Any, list[tuple[Any, ...]]]]:
        out: dict[Any, list[tuple[Any, ...]]] = {}
        for g in groups:
            out.setdefault(key_of(g), []).append(g)
        return sorted(out.items(), key=lambda kv: kv[0])

    by_material = []
    for m, selected in sorted(grouped(lambda g: g[4]), key=lambda kv: _material_order(kv[0], cat)):
        mat = cat.materials.get(m)
        names = {"name_zh": mat.name_zh, "name_en": mat.name_en} if mat else {}
        by_material.append({"material": m, "name_zh": m, "name_en": m} | names | block(selected, m))
    by_prefecture = [
        {"prefecture_code": code, "prefecture": name} | block(selected, scope.material)
        for (code, name), selected in grouped(lambda g: (g[0], g[1]))
    ]
    by_county = [
        {"prefecture_code": pcode, "prefecture": pname, "county_code": ccode, "county": cname}
        | block(selected, scope.material)
        for (pcode, pname, ccode, cname), selected in grouped(lambda g: g[:4])
    ]
    all_groups = list(groups)
    totals = block(all_groups, scope.material)
    return {
        "period": period.label,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "scope": scope.public(),
        "targets": {
            "utilisation_rate": policy.utilisation_target,
            "utilisation_rate_2020": policy.utilisation_baseline,
            "target_year": policy.target_year,
            "phosphogypsum_utilisation_rate": policy.pg_utilisation_target,
            "phosphogypsum_min_consumption_rate": policy.min_consumption_ratio(period.year),
            "co2_kg_per_t_km": co2_rate,
            "circuity": circuity,
        },
        "totals": totals,
        "by_material": by_material,
        "by_prefecture": by_prefecture,
        "by_county": by_county,
    }


def _material_order(code: str, cat: Any) -> tuple[int, str]:
    m = cat.materials.get(code)
    return (-(m.priority if m else 0), code)


def _transport_co2_kg(
    session: Session, period: Period, scope: Scope, circuity: float, kg_per_t_km: float
) -> dict[tuple[int, str], float]:
    """kg CO2 of hauling the tonnes dispatched in the period, by (county, material): road km
    from the proposal a contract came from, else geodesic × circuity."""
    Plant = aliased(Site)
    day = col(LedgerEntry.occurred_on)
    dims = (
        col(Site.county_code),
        col(LedgerEntry.material),
        col(Proposal.road_km),
        col(Site.lat),
        col(Site.lon),
        col(Plant.lat),
        col(Plant.lon),
    )
    q = (
        wide(*dims, func.sum(LedgerEntry.tonnes))
        .join(Site, col(Site.id) == LedgerEntry.site_id)
        .join(Delivery, col(Delivery.id) == LedgerEntry.delivery_id)
        .join(Contract, col(Contract.id) == Delivery.contract_id)
        .join(Offer, col(Offer.id) == Contract.offer_id)
    )
    q = (
        join_plant(q, plant=Plant, recycler=None)
        .outerjoin(Bid, col(Bid.id) == Contract.bid_id)
        .outerjoin(Proposal, col(Proposal.id) == Bid.proposal_id)
        .where(
            col(LedgerEntry.kind).in_(rules().dispatch),
            day >= period.start,
            day <= period.end,
            *scope.conditions(),
        )
        .group_by(col(Contract.id), *dims)
    )
    rows = session.exec(q).all()
    if not rows:
        return {}
    import numpy as np

    road = CircuityRoadDistance(circuity)
    arr = np.array([[r[3], r[4], r[5], r[6]] for r in rows], dtype=float)
    estimated = road.road_km_bulk(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3])
    out: dict[tuple[int, str], float] = {}
    for (county, material, proposal_km, *_coords, tonnes), est in zip(rows, estimated, strict=True):
        km = float(proposal_km) if proposal_km is not None else float(est)
        key = (county, material)
        out[key] = out.get(key, 0.0) + float(tonnes) * km * kg_per_t_km
    return out


def _pg_ratio(org: Organisation, policy: Policy) -> float:
    return org.pg_ratio if org.pg_ratio else policy.pg_ratio_default


def phosphogypsum_table(
    session: Session, actor: Actor, period: Period | None = None, *, today: date | None = None
) -> dict[str, Any]:
    """以用定产 per phosphogypsum producer (organisation) for a period.

    Receipts count as the recycler confirmed them, own use and treatment once attested. The
    allowance needs every month of the previous period approved for every yard, and the
    trajectory is judged on approved months; `report_status` says how much of the period is."""
    require_overseer(actor)
    period = resolve_period(session, period)
    today = today or clock.today()
    policy = load_policy()
    r = rules()
    prev = period.previous()
    groups = _tally(
        session,
        period,
        Scope(material=PHOSPHOGYPSUM),
        (col(Site.organisation_id),),
        previous=prev,
    )
    org_ids = [g[0] for g in groups]
    orgs = {
        o.id: o
        for o in session.exec(select(Organisation).where(col(Organisation.id).in_(org_ids))).all()
    }
    months = trust.org_months(session, org_ids, PHOSPHOGYPSUM, period.end)
    approved = trust.approved_sums(session, months, PHOSPHOGYPSUM, period.start, period.end)
    restated = trust.restatements(
        session, [s for om in months.values() for s in om.sites], period.start, period.end
    )
    rows = []
    for (org_id,), w in groups.items():
        org = orgs[org_id]
        om = months.get(org_id, trust.OrgMonths())
        covered = trust.covered(om, prev.start, prev.end, today)
        row = phosphogypsum_row(
            organisation_id=org_id,
            organisation=org.name,
            ratio=_pg_ratio(org, policy),
            before=w.before,
            within=w.within,
            previous=w.previous if covered else None,
            rules=r,
            policy=policy,
            year=period.year,
            approved=approved.get(org_id, {}),
        )
        late = trust.overdue(om, period.start, period.end, today, policy.report_due_day)
        changes = restated.get(org_id, [])
        if late:
            row["flags"].append("report_overdue")
        if changes:
            row["flags"].append("restated")
        pairs = trust.considered(om, period.start, period.end, today)
        rows.append(
            row
            | {
                "ledger_since": w.first_day.isoformat() if w.first_day else None,
                "report_status": trust.report_status(om, period.start, period.end, today),
                "months_approved": sum(1 for p in pairs if om.states.get(p) == "approved"),
                "months_due": len(pairs),
                "overdue_months": late,
                "restatements": changes,
                "previous_period_approved": covered,
            }
        )
    rows.sort(key=lambda row: (-row["generated_t"], row["organisation"]))
    return {
        "period": period.label,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "previous_period": prev.label,
        "min_consumption_rate": policy.min_consumption_ratio(period.year),
        "generation_tolerance": policy.generation_tolerance,
        "ratio_default": policy.pg_ratio_default,
        "rows": rows,
    }


def flags_by_prefecture(session: Session, table: Mapping[str, Any]) -> dict[str, int]:
    """The 以用定产 flags of each producer counted in every prefecture it stockpiles in."""
    org_ids = [row["organisation_id"] for row in table["rows"] if row["flags"]]
    if not org_ids:
        return {}
    pairs = session.exec(
        select(col(Site.organisation_id), col(Site.prefecture))
        .join(LedgerEntry, col(LedgerEntry.site_id) == Site.id)
        .where(col(Site.organisation_id).in_(org_ids), col(LedgerEntry.material) == PHOSPHOGYPSUM)
        .distinct()
    ).all()
    count = {row["organisation_id"]: len(row["flags"]) for row in table["rows"]}
    out: dict[str, int] = {}
    for org_id, prefecture in pairs:
        out[prefecture] = out.get(prefecture, 0) + count[org_id]
    return out
