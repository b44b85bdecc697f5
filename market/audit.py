"""Audit figures for the regulator's desk, computed from the ledger alone.

Which ledger kind counts as what is decided once, in `Rules` (from the stock rules of
`market.ledger` and the kinds the policy names); the database only sums tonnes by kind, and the
pure functions below turn those sums into figures and flags. Nothing is stored beside the ledger.

Two readings of stock sit side by side, and they may differ:
- the ledger's stock, the running sum of every entry's stock effect (dispatches leave the yard on
  the day they go, disposal and corrections move it);
- the 以用定产 account, opening + (G − C): consumption counts a delivery when the recycler confirms
  it, so tonnes in transit, weighbridge differences, disposal and corrections open a gap between the
  two. Both are shown; neither is adjusted to fit the other.

An `opening` entry is a survey of stock that predates the ledger, so it is counted into the opening
stock of the period it falls in, never into the period's flows.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, extract, tuple_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from geo.distance import CircuityRoadDistance
from market import audit_trust as trust
from market import catalogue as catalogue_mod
from market import clock
from market.audit_trust import base_kind, kind_label
from market.auth import Actor
from market.errors import N_, InvalidInput, NotFound
from market.integrity import verify_all
from market.ledger import STOCK_SIGN, stock_effect
from market.seals import SealKey
from market.services.common import MAX_ID, OVERSEERS
from market.tables import (
    Bid,
    Contract,
    Delivery,
    LedgerEntry,
    LedgerHead,
    Lot,
    Offer,
    Organisation,
    Proposal,
    Site,
    User,
)
from seed_data import Policy, load_policy

PHOSPHOGYPSUM = "phosphogypsum"
FLAGS = (
    "output_above_allowance",
    "stock_increment_positive",
    "below_trajectory",
    "generation_inconsistent",
    "report_overdue",
    "restated",
)

# ----------------------------------------------------------------------------- periods

_PERIOD = re.compile(r"((?:19|20|21)[0-9]{2})(?:-Q([1-4])|-(0[1-9]|1[0-2]))?", re.ASCII)


@dataclass(frozen=True, order=True)
class Period:
    """A calendar year, quarter or month; `end` is the last day, inclusive."""

    start: date
    end: date
    kind: str

    @classmethod
    def year_of(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31), "year")

    @classmethod
    def quarter_of(cls, year: int, quarter: int) -> Period:
        start = date(year, 3 * quarter - 2, 1)
        return cls(start, _month_end(year, 3 * quarter), "quarter")

    @classmethod
    def month_of(cls, year: int, month: int) -> Period:
        return cls(date(year, month, 1), _month_end(year, month), "month")

    @property
    def year(self) -> int:
        return self.start.year

    @property
    def label(self) -> str:
        if self.kind == "year":
            return f"{self.year}"
        if self.kind == "quarter":
            return f"{self.year}-Q{(self.start.month + 2) // 3}"
        return f"{self.year}-{self.start.month:02d}"

    def previous(self) -> Period:
        before = self.start - timedelta(days=1)
        if self.kind == "year":
            return Period.year_of(before.year)
        if self.kind == "quarter":
            return Period.quarter_of(before.year, (before.month + 2) // 3)
        return Period.month_of(before.year, before.month)

    def __str__(self) -> str:
        return self.label


def _month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def parse_period(raw: object, *, field: str = "period") -> Period:
    """`2025`, `2025-Q2` or `2025-05`, exactly; anything else names the field and the value."""
    match = _PERIOD.fullmatch(raw) if isinstance(raw, str) else None
    if match is None:
        raise InvalidInput.about(
            field, raw, "is not a period: a year (2025), quarter (2025-Q2) or month (2025-05)"
        )
    year = int(match[1])
    if match[2]:
        return Period.quarter_of(year, int(match[2]))
    if match[3]:
        return Period.month_of(year, int(match[3]))
    return Period.year_of(year)


# ----------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Rules:
    """Which ledger kinds make up which figure. Utilisation, treatment and consumption come from
    the policy (seed_data/policy.json); the rest are the ledger's own kinds."""

    utilisation: frozenset[str]
    treatment: frozenset[str]
    consumption: frozenset[str]
    generation: frozenset[str] = frozenset({"generation"})
    disposal: frozenset[str] = frozenset({"disposal"})
    dispatch: frozenset[str] = frozenset({"dispatch"})
    correction: frozenset[str] = frozenset({"correction"})
    output: frozenset[str] = frozenset({"p2o5_output"})
    survey: frozenset[str] = frozenset({"opening"})

    @classmethod
    def from_policy(cls, policy: Policy) -> Rules:
        rules = cls(
            utilisation=frozenset(policy.utilisation_kinds),
            treatment=frozenset(policy.treatment_kinds),
            consumption=frozenset(policy.consumption_kinds),
        )
        for name, kinds in rules.figures().items():
            unknown = kinds - set(STOCK_SIGN)
            if unknown:
                raise ValueError(f"policy: {name} names unknown ledger kinds {sorted(unknown)}")
        return rules

    def figures(self) -> dict[str, frozenset[str]]:
        """Figure name → the kinds it sums; the drill-down accepts these names as `kind`."""
        return {
            "generated": self.generation,
            "utilised": self.utilisation,
            "treated": self.treatment,
            "consumed": self.consumption,
            "disposed": self.disposal,
            "dispatched": self.dispatch,
            "corrected": self.correction,
            "p2o5": self.output,
            "opening": self.survey,
        }


def rules() -> Rules:
    return Rules.from_policy(load_policy())


# ----------------------------------------------------------------------------- sums → figures

Key = tuple[str, bool]
"""(ledger kind, whether the entry names a delivery)."""
Sums = Mapping[Key, float]


def merge(parts: Iterable[Sums]) -> dict[Key, float]:
    out: dict[Key, float] = {}
    for part in parts:
        for key, tonnes in part.items():
            out[key] = out.get(key, 0.0) + tonnes
    return out


def total(sums: Sums, kinds: Iterable[str]) -> float:
    wanted = set(kinds)
    return sum(t for (kind, _), t in sums.items() if kind in wanted)


def stock_change(sums: Sums) -> float:
    # the ledger's own rule: a receipt (a utilisation naming a delivery) moves no stock; a claim
    # not attested (`utilisation:pending`) still moved the yard's stock, as its producer says
    return sum(
        stock_effect(base_kind(kind), tonnes, 1 if names_delivery else None)
        for (kind, names_delivery), tonnes in sums.items()
    )


def _t(value: float) -> float:
    return round(value + 0.0, 3)


def _ratio(num: float, den: float) -> float | None:
    return round(num / den, 6) if den > 0 else None


@dataclass(frozen=True)
class Figures:
    generated_t: float
    utilised_t: float
    treated_t: float
    consumed_t: float
    disposed_t: float
    dispatched_t: float
    corrected_t: float
    p2o5_t: float
    opening_stock_t: float
    ledger_closing_stock_t: float

    @property
    def stock_increment_t(self) -> float:
        return _t(self.generated_t - self.consumed_t)

    @property
    def utilisation_rate(self) -> float | None:
        return _ratio(self.utilised_t, self.generated_t)

    @property
    def consumption_rate(self) -> float | None:
        return _ratio(self.consumed_t, self.generated_t)

    def public(self) -> dict[str, Any]:
        return {
            "generated_t": self.generated_t,
            "utilised_t": self.utilised_t,
            "treated_t": self.treated_t,
            "consumed_t": self.consumed_t,
            "disposed_t": self.disposed_t,
            "dispatched_t": self.dispatched_t,
            "corrected_t": self.corrected_t,
            "stock_increment_t": self.stock_increment_t,
            "opening_stock_t": self.opening_stock_t,
            "closing_stock_t": self.ledger_closing_stock_t,
            "utilisation_rate": self.utilisation_rate,
            "consumption_rate": self.consumption_rate,
        }


def figures(before: Sums, within: Sums, rules: Rules) -> Figures:
    """The figures of one period from the sums of the entries before it and within it."""
    stock_before = stock_change(before)
    return Figures(
        generated_t=_t(total(within, rules.generation)),
        utilised_t=_t(total(within, rules.utilisation)),
        treated_t=_t(total(within, rules.treatment)),
        consumed_t=_t(total(within, rules.consumption)),
        disposed_t=_t(total(within, rules.disposal)),
        dispatched_t=_t(total(within, rules.dispatch)),
        corrected_t=_t(total(within, rules.correction)),
        p2o5_t=_t(total(within, rules.output)),
        opening_stock_t=_t(stock_before + total(within, rules.survey)),
        ledger_closing_stock_t=_t(stock_before + stock_change(within)),
    )


# ----------------------------------------------------------------------------- 以用定产


def allowance(consumed_t: float | None, ratio: float) -> float | None:
    """P2O5 a producer may make in a period: the previous period's consumption ÷ r."""
    if consumed_t is None:
        return None
    return _t(consumed_t / ratio)


def flags(
    *,
    generated_t: float,
    consumed_t: float,
    p2o5_t: float,
    ratio: float,
    allowance_t: float | None,
    floor: float | None,
    tolerance: float,
    trajectory: tuple[float, float] | None = None,
) -> list[str]:
    """The 以用定产 flags, in the contract's order. Figures are compared as rounded to the kilogram
    so that float noise never raises a flag."""
    out = []
    if allowance_t is not None and _t(p2o5_t) > _t(allowance_t):
        out.append("output_above_allowance")
    if _t(generated_t - consumed_t) > 0:
        out.append("stock_increment_positive")
    # the trajectory is judged on (generated, consumed) of approved months when given
    g, c = trajectory if trajectory is not None else (generated_t, consumed_t)
    if floor is not None and g > 0 and c < floor * g - 5e-4:
        out.append("below_trajectory")
    implied = p2o5_t * ratio
    if implied > 0:
        if abs(generated_t - implied) > tolerance * implied + 5e-4:
            out.append("generation_inconsistent")
    elif _t(generated_t) > 0:
        # phosphogypsum comes only from making phosphoric acid: generation with no P2O5 output
        # recorded cannot be checked against it, which is itself the thing to look at
        out.append("generation_inconsistent")
    return out


def phosphogypsum_row(
    *,
    organisation_id: int,
    organisation: str,
    ratio: float,
    before: Sums,
    within: Sums,
    previous: Sums | None,
    rules: Rules,
    policy: Policy,
    year: int,
    approved: Sums | None = None,
) -> dict[str, Any]:
    """One producer's 以用定产 row. `previous` is None when the ledger does not cover the whole
    previous period, and the allowance is then unknown (null), not zero. `approved` are the
    period's sums over approved months only: the trajectory is judged on them (and not at all
    when no month is approved); without it, on the whole period."""
    f = figures(before, within, rules)
    trajectory = None
    if approved is not None:
        g_a = total(approved, rules.generation)
        trajectory = (g_a, total(approved, rules.consumption)) if g_a > 0 else (0.0, 0.0)
    increment = f.stock_increment_t
    previous_c = None if previous is None else _t(total(previous, rules.consumption))
    this_allowance = allowance(previous_c, ratio)
    implied = _t(f.p2o5_t * ratio)
    floor = policy.min_consumption_ratio(year)
    return {
        "organisation_id": organisation_id,
        "organisation": organisation,
        "generated_t": f.generated_t,
        "utilised_t": f.utilised_t,
        "treated_t": f.treated_t,
        "consumed_t": f.consumed_t,
        "stock_increment_t": increment,
        "opening_stock_t": f.opening_stock_t,
        "closing_stock_t": _t(f.opening_stock_t + increment),
        "p2o5_t": f.p2o5_t,
        "implied_generation_t": implied,
        "ratio": ratio,
        "p2o5_allowance_t": this_allowance,
        "next_p2o5_allowance_t": allowance(f.consumed_t, ratio),
        "flags": flags(
            generated_t=f.generated_t,
            consumed_t=f.consumed_t,
            p2o5_t=f.p2o5_t,
            ratio=ratio,
            allowance_t=this_allowance,
            floor=floor,
            tolerance=policy.generation_tolerance,
            trajectory=trajectory,
        ),
        "claimed_unattested_t": _t(total(within, claims(rules, "pending"))),
        # beyond the contract's fields
        "ledger_closing_stock_t": f.ledger_closing_stock_t,
        "generation_gap_t": _t(f.generated_t - implied),
        "generation_gap_rate": _ratio(f.generated_t - implied, implied),
        "consumption_rate": f.consumption_rate,
        "utilisation_rate": f.utilisation_rate,
        "min_consumption_rate": floor,
        "previous_consumed_t": previous_c,
        "disposed_t": f.disposed_t,
        "dispatched_t": f.dispatched_t,
        "corrected_t": f.corrected_t,
        "rejected_claims_t": _t(total(within, claims(rules, "rejected"))),
        "approved_generated_t": None if approved is None else _t(total(approved, rules.generation)),
        "approved_consumed_t": None if approved is None else _t(total(approved, rules.consumption)),
    }


def claims(rules: Rules, state: str) -> list[str]:
    """Labels of own-use and treatment claims in one attestation state (`utilisation:pending`)."""
    return [f"{k}:{state}" for k in rules.consumption]


# ----------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    prefecture_code: int | None = None
    county_code: int | None = None
    organisation_id: int | None = None
    material: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.prefecture_code is not None:
            out.append(col(Site.prefecture_code) == self.prefecture_code)
        if self.county_code is not None:
            out.append(col(Site.county_code) == self.county_code)
        if self.organisation_id is not None:
            out.append(col(Site.organisation_id) == self.organisation_id)
        if self.material is not None:
            out.append(col(LedgerEntry.material) == self.material)
        return out

    def public(self) -> dict[str, Any]:
        return {
            "prefecture": self.prefecture_code,
            "county": self.county_code,
            "organisation": self.organisation_id,
            "material": self.material,
        }


def _code(raw: str | None, name: str) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise InvalidInput.about(name, raw, "is not a whole number")
    return int(raw)


def parse_scope(params: Mapping[str, str]) -> Scope:
    """Scope filters from query parameters; codes are the administrative codes (adcode)."""
    from geo.regions import load_regions

    regions = load_regions()
    prefecture = _code(params.get("prefecture"), "prefecture")
    if prefecture is not None and prefecture not in {p.adcode for p in regions.prefectures()}:
        raise InvalidInput.about("prefecture", prefecture, "is not the code of a Yunnan prefecture")
    county = _code(params.get("county"), "county")
    if county is not None and county not in {c.adcode for c in regions.counties()}:
        raise InvalidInput.about("county", county, "is not the code of a Yunnan county")
    material = params.get("material") or None
    if material is not None:
        catalogue_mod.material(material)
    return Scope(prefecture, county, _code(params.get("organisation"), "organisation"), material)


def _check_scope(session: Session, scope: Scope) -> None:
    org_id = scope.organisation_id
    if org_id is not None and session.get(Organisation, org_id) is None:
        raise NotFound(
            "organisation: {value} does not exist",
            field="organisation",
            value=scope.organisation_id,
        )


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
        select(*dims, label, names_delivery, func.min(day), *sums)
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


def _require(actor: Actor) -> None:
    actor.require(*OVERSEERS)


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
        latest = _containing(end + timedelta(days=1), kind).previous()
        if latest.end >= first:
            return latest
    return _containing(end, "month")


def period_choices(session: Session) -> list[Period]:
    """Every year, quarter and month the ledger has entries in, newest first within each kind."""
    first, last = ledger_span(session)
    if first is None or last is None:
        return []
    out = []
    for kind in ("year", "quarter", "month"):
        p = _containing(last, kind)
        while p.end >= first:
            out.append(p)
            p = p.previous()
    return out


def _containing(day: date, kind: str) -> Period:
    if kind == "year":
        return Period.year_of(day.year)
    if kind == "quarter":
        return Period.quarter_of(day.year, (day.month + 2) // 3)
    return Period.month_of(day.year, day.month)


def _resolve(session: Session, period: Period | None) -> Period:
    return period if period is not None else default_period(session)


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
    _require(actor)
    scope = scope or Scope()
    _check_scope(session, scope)
    period = _resolve(session, period)
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
    q = (
        select(
            col(Site.county_code),
            col(LedgerEntry.material),
            col(Proposal.road_km),
            col(Site.lat),
            col(Site.lon),
            col(Plant.lat),
            col(Plant.lon),
            func.sum(LedgerEntry.tonnes),
        )
        .join(Site, col(Site.id) == LedgerEntry.site_id)
        .join(Delivery, col(Delivery.id) == LedgerEntry.delivery_id)
        .join(Contract, col(Contract.id) == Delivery.contract_id)
        .join(Offer, col(Offer.id) == Contract.offer_id)
        .join(Plant, col(Plant.id) == Offer.site_id)
        .outerjoin(Bid, col(Bid.id) == Contract.bid_id)
        .outerjoin(Proposal, col(Proposal.id) == Bid.proposal_id)
        .where(
            col(LedgerEntry.kind).in_(rules().dispatch),
            day >= period.start,
            day <= period.end,
            *scope.conditions(),
        )
        .group_by(
            col(Contract.id),
            col(Site.county_code),
            col(LedgerEntry.material),
            col(Proposal.road_km),
            col(Site.lat),
            col(Site.lon),
            col(Plant.lat),
            col(Plant.lon),
        )
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
    _require(actor)
    period = _resolve(session, period)
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


# ----------------------------------------------------------------------------- drill-down


def kinds_for(name: str | None, r: Rules) -> frozenset[str] | None:
    """`kind` in the drill-down: a ledger kind, a figure name (`consumed`, ...), or `stock`
    (every entry that moves stock, from the ledger's start to the period's end)."""
    if name is None or name == "":
        return None
    if name in STOCK_SIGN:
        return frozenset({name})
    named = r.figures()
    if name in named:
        return named[name]
    if name == "stock":
        return frozenset(k for k, s in STOCK_SIGN.items() if s != 0)
    choices = sorted(STOCK_SIGN) + sorted(named) + ["stock"]
    raise InvalidInput.about("kind", name, "is not one of {choices}", choices=", ".join(choices))


def ledger_entries(
    session: Session,
    actor: Actor,
    period: Period | None = None,
    scope: Scope | None = None,
    *,
    kind: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> dict[str, Any]:
    """The entries behind a figure: one producer, one kind (or figure), one period."""
    _require(actor)
    scope = scope or Scope()
    _check_scope(session, scope)
    period = _resolve(session, period)
    r = rules()
    kinds = kinds_for(kind, r)
    day = col(LedgerEntry.occurred_on)
    where = [day <= period.end, *scope.conditions()]
    if kind != "stock":
        where.append(day >= period.start)
    if kinds is not None:
        where.append(col(LedgerEntry.kind).in_(kinds))
    base = (
        select(LedgerEntry, Site, Organisation, Delivery)
        .join(Site, col(Site.id) == LedgerEntry.site_id)
        .join(Organisation, col(Organisation.id) == Site.organisation_id)
        .outerjoin(Delivery, col(Delivery.id) == LedgerEntry.delivery_id)
        .where(*where)
    )
    count, tonnes = session.exec(
        select(func.count(), func.coalesce(func.sum(LedgerEntry.tonnes), 0.0))
        .select_from(LedgerEntry)
        .join(Site, col(Site.id) == LedgerEntry.site_id)
        .where(*where)
    ).one()
    rows = session.exec(
        base.order_by(day, col(LedgerEntry.site_id), col(LedgerEntry.seq))
        .limit(limit)
        .offset(offset)
    ).all()
    users = {
        u.id: u.username
        for u in session.exec(
            select(User).where(col(User.id).in_(list({e.recorded_by for e, *_ in rows})))
        ).all()
    }
    entries = []
    for e, site, org, delivery in rows:
        entries.append(
            {
                "id": e.id,
                "site_id": e.site_id,
                "site": site.name,
                "organisation_id": org.id,
                "organisation": org.name,
                "prefecture": site.prefecture,
                "county": site.county,
                "seq": e.seq,
                "kind": e.kind,
                "receipt": e.delivery_id is not None and e.kind in r.utilisation,
                "material": e.material,
                "tonnes": e.tonnes,
                "stock_effect_t": _t(stock_effect(e.kind, e.tonnes, e.delivery_id)),
                "occurred_on": e.occurred_on.isoformat(),
                "document": e.document,
                "delivery_id": e.delivery_id,
                "manifest_no": delivery.manifest_no if delivery else None,
                "recorded_by": users.get(e.recorded_by, str(e.recorded_by)),
                "recorded_at": e.recorded_at.isoformat(),
                "hash": e.hash,
                "evidence": [d["id"] for d in e.evidence or []],
                "attestation": e.attestation,
                "correction_id": e.correction_id,
            }
        )
    return {
        "period": period.label,
        "start": period.start.isoformat() if kind != "stock" else None,
        "end": period.end.isoformat(),
        "scope": scope.public(),
        "kind": kind or None,
        "kinds": sorted(kinds) if kinds is not None else None,
        "count": int(count),
        "tonnes": _t(float(tonnes)),
        "limit": limit,
        "offset": offset,
        "entries": entries,
    }


def organisation_of(session: Session, actor: Actor, org_id: int) -> dict[str, Any]:
    _require(actor)
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("organisation: {value} does not exist", field="organisation", value=org_id)
    sites = session.exec(
        select(Site).where(Site.organisation_id == org_id).order_by(col(Site.id))
    ).all()
    return {
        "id": org.id,
        "name": org.name,
        "kind": org.kind,
        "pg_ratio": org.pg_ratio,
        "sites": [
            {
                "id": s.id,
                "name": s.name,
                "kind": s.kind,
                "prefecture": s.prefecture,
                "county": s.county,
            }
            for s in sites
        ],
    }


# ----------------------------------------------------------------------------- drawdown


def drawdown(
    session: Session, actor: Actor, scope: Scope, *, until: date | None = None
) -> dict[str, Any]:
    """Monthly generation, consumption and ledger stock of one material, with the line the
    policy asks consumption to reach (the trajectory for phosphogypsum, the target otherwise).

    Flows count approved months only: a month no yard in scope has had approved is a gap, never
    a zero (an unreported month is not a month in which nothing happened)."""
    _require(actor)
    if scope.material is None:
        raise InvalidInput("material: is required for the drawdown series", field="material")
    _check_scope(session, scope)
    policy = load_policy()
    r = rules()
    day = col(LedgerEntry.occurred_on)
    y, m = extract("year", day), extract("month", day)
    where = [*scope.conditions()]
    if until is not None:
        where.append(day <= until)
    names_delivery = col(LedgerEntry.delivery_id).is_not(None)
    label = kind_label()
    rows = session.exec(
        select(col(LedgerEntry.site_id), y, m, label, names_delivery, func.sum(LedgerEntry.tonnes))
        .join(Site, col(Site.id) == LedgerEntry.site_id)
        .where(*where)
        .group_by(col(LedgerEntry.site_id), y, m, label, names_delivery)
    ).all()
    approved = trust.approved_pairs(session, {row[0] for row in rows})
    by_month: dict[tuple[int, int], dict[Key, float]] = {}
    all_month: dict[tuple[int, int], dict[Key, float]] = {}
    reported: set[tuple[int, int]] = set()
    for site_id, year, month, kind, receipt, tonnes in rows:
        ym = (int(year), int(month))
        key = (kind, bool(receipt))
        whole = all_month.setdefault(ym, {})
        whole[key] = whole.get(key, 0.0) + float(tonnes or 0)
        if (site_id, f"{ym[0]:04d}-{ym[1]:02d}") in approved:
            reported.add(ym)
            sums = by_month.setdefault(ym, {})
            sums[key] = sums.get(key, 0.0) + float(tonnes or 0)
    return {
        "material": scope.material,
        "scope": scope.public(),
        **monthly_series(
            all_month, r, policy, scope.material, approved=by_month, reported=reported
        ),
    }


def monthly_series(
    by_month: Mapping[tuple[int, int], Sums],
    r: Rules,
    policy: Policy,
    material: str,
    *,
    approved: Mapping[tuple[int, int], Sums] | None = None,
    reported: set[tuple[int, int]] | None = None,
) -> dict[str, Any]:
    """Pure: month sums → the drawdown series, every month from the first to the last.

    With `reported`, flows come from `approved` and months outside `reported` are None (gaps);
    the ledger's stock runs over every entry up to the last reported month."""
    months: list[tuple[int, int]] = []
    if by_month:
        (y, m), last = min(by_month), max(by_month)
        while (y, m) <= last:
            months.append((y, m))
            y, m = (y, m + 1) if m < 12 else (y + 1, 1)
    last_reported = max(reported) if reported else None
    stock = 0.0
    out: dict[str, list[Any]] = {
        "months": [],
        "generated_t": [],
        "utilised_t": [],
        "consumed_t": [],
        "closing_stock_t": [],
        "required_t": [],
        "required_rate": [],
    }
    pg = material == PHOSPHOGYPSUM
    for y, m in months:
        stock += stock_change(by_month.get((y, m), {}))
        rate = policy.min_consumption_ratio(y) if pg else policy.utilisation_target
        out["months"].append(f"{y}-{m:02d}")
        out["required_rate"].append(rate)
        if reported is not None and (y, m) not in reported:
            for k in ("generated_t", "utilised_t", "consumed_t", "required_t"):
                out[k].append(None)
            gap = last_reported is None or (y, m) > last_reported
            out["closing_stock_t"].append(None if gap else _t(stock))
            continue
        sums = (
            (approved or {}).get((y, m), {}) if reported is not None else by_month.get((y, m), {})
        )
        g = total(sums, r.generation)
        out["generated_t"].append(_t(g))
        out["utilised_t"].append(_t(total(sums, r.utilisation)))
        out["consumed_t"].append(_t(total(sums, r.consumption)))
        out["closing_stock_t"].append(_t(stock))
        out["required_t"].append(None if rate is None else _t(rate * g))
    return out | {"required_is": "consumption" if pg else "utilisation"}


# ----------------------------------------------------------------------------- verification


def verify(
    session: Session,
    actor: Actor,
    organisation_id: int | None = None,
    *,
    seal_key: SealKey | None = None,
) -> dict[str, Any]:
    """The hash chains of every yard (or one producer's), plus a cross-check the chains cannot
    make alone: every manifest has the dispatch entry it wrote, and every received one its
    utilisation entry. Hashing every entry is the cost; one producer's yards check fast."""
    _require(actor)
    _check_scope(session, Scope(organisation_id=organisation_id))
    site_ids = None
    if organisation_id is not None:
        site_ids = [
            s.id
            for s in session.exec(select(Site).where(Site.organisation_id == organisation_id))
            if s.id is not None
        ]
    months = trust.MonthRows()
    report = verify_all(session, site_ids, keep=months)
    breaks = list(report["breaks"])
    names = {s.id: s.name for s in session.exec(select(Site)).all()}
    for kind, statuses in (("dispatch", None), ("utilisation", ("received",))):
        entry = aliased(LedgerEntry)
        q = (
            select(Delivery, Lot.site_id)
            .join(Contract, col(Contract.id) == Delivery.contract_id)
            .join(Lot, col(Lot.id) == Contract.lot_id)
            .outerjoin(entry, and_(col(entry.delivery_id) == Delivery.id, col(entry.kind) == kind))
            .where(col(entry.id).is_(None))
        )
        if statuses:
            q = q.where(col(Delivery.status).in_(statuses))
        if organisation_id is not None:
            q = q.where(Delivery.producer_org_id == organisation_id)
        for delivery, site_id in session.exec(q).all():
            breaks.append(
                {
                    "site_id": site_id,
                    "site": names.get(site_id),
                    "seq": None,
                    "entry_id": None,
                    "problem": f"manifest {delivery.manifest_no} (delivery {delivery.id}) has "
                    f"no {kind} entry",
                    "message": f"site {site_id}: manifest {delivery.manifest_no} (delivery "
                    f"{delivery.id}) has no {kind} entry",
                }
            )
    breaks.extend(trust.verify_documents(session, site_ids, names))
    seal_breaks, seal_counts = trust.verify_seals(
        session, trust.seal_keys(seal_key), site_ids, names, months.by_month
    )
    breaks.extend(seal_breaks)
    q_heads = select(LedgerHead).order_by(col(LedgerHead.site_id))
    if site_ids is not None:
        q_heads = q_heads.where(col(LedgerHead.site_id).in_(site_ids))
    heads = session.exec(q_heads).all()
    return (
        report
        | seal_counts
        | {
            "organisation_id": organisation_id,
            "ok": not breaks,
            "breaks": breaks,
            "heads_fingerprint": heads_fingerprint((h.site_id, h.seq, h.hash) for h in heads),
            "heads": [
                {"site_id": h.site_id, "site": names.get(h.site_id), "seq": h.seq, "hash": h.hash}
                for h in heads
            ],
        }
    )


def heads_fingerprint(heads: Iterable[tuple[int, int, str]]) -> str:
    """One hash over every (site, seq, hash) head in site order: short enough to write down
    when a checkpoint is kept, so the file handed in later can be checked against it."""
    lines = (f"{site_id}:{seq}:{digest}" for site_id, seq, digest in sorted(heads))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


# ----------------------------------------------------------------------------- checkpoints
#
# The heads are not signed, so someone who can write to the database can rewrite a chain and its
# head consistently, or cut a chain short and put back an older head, and `verify` still passes.
# A checkpoint is the `heads` of an earlier verify answer kept outside the database: since every
# entry's hash covers the one before it, entry #seq still having the checkpoint's hash means
# nothing up to #seq changed since.

MAX_CHECKPOINT_HEADS = 100_000
PROBLEMS = ("rewritten", "truncated", "site_missing")
CHECKPOINT_STATUSES = ("unchanged", "extended", *PROBLEMS, "new")
# a whole verify answer may be handed in: its other keys are ignored, anything else is refused
VERIFY_ANSWER_KEYS = frozenset(
    {
        "ok",
        "sites_checked",
        "entries_checked",
        "breaks",
        "organisation_id",
        "heads_fingerprint",
        "seals_checked",
        "months_sealed",
    }
)
_HEAD_KEYS = ("site_id", "seq", "hash")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}", re.ASCII)
_PAIRS_PER_QUERY = 500


@dataclass(frozen=True)
class Head:
    site_id: int
    seq: int
    hash: str


def _refuse(path: str, value: object, problem: str, **params: object) -> InvalidInput:
    """`heads[3].hash: 'zz' is not 64 hex digits`; arrays and objects are named, not shown."""
    if isinstance(value, list | dict):
        params["shown"] = N_("an array") if isinstance(value, list) else N_("an object")
        value = None
    elif isinstance(value, bool) or value is None:
        params["shown"] = "true" if value is True else "false" if value is False else "null"
    refusal = InvalidInput.about(path, value, problem, **params)
    assert isinstance(refusal, InvalidInput)
    return refusal


def _key(name: object) -> str:
    text = str(name)
    return text if text.isidentifier() and len(text) <= 40 else repr(text[:40])


def _whole(item: Mapping[str, Any], key: str, path: str, lowest: int, what: str) -> int:
    if key not in item:
        raise InvalidInput("{field}: is required", field=f"{path}.{key}")
    value = item[key]
    if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= MAX_ID:
        raise _refuse(
            f"{path}.{key}",
            value,
            "is not {what} (a whole number from {lowest})",
            what=what,
            lowest=lowest,
        )
    return value


def parse_checkpoint(raw: object) -> list[Head]:
    """The `heads` of an earlier verify answer, or the whole answer. Strict: a checkpoint misread
    without a word would hide exactly what it is kept to show."""
    if isinstance(raw, Mapping):
        for key in raw:
            if key != "heads" and key not in VERIFY_ANSWER_KEYS:
                raise InvalidInput(
                    "{key}: is not a key of a verify answer (the checkpoint is its heads)",
                    field=str(key),
                    key=_key(key),
                )
        if "heads" not in raw:
            raise InvalidInput(
                "heads: is required: the heads of an earlier verify answer", field="heads"
            )
        raw = raw["heads"]
    if not isinstance(raw, list):
        raise _refuse("heads", raw, "is not a list of heads")
    if len(raw) > MAX_CHECKPOINT_HEADS:
        raise InvalidInput(
            "heads: {n:,} heads, at most {most:,} are compared at once",
            field="heads",
            n=len(raw),
            most=MAX_CHECKPOINT_HEADS,
        )
    heads: list[Head] = []
    where: dict[int, int] = {}
    for i, item in enumerate(raw):
        path = f"heads[{i}]"
        if not isinstance(item, Mapping):
            raise _refuse(path, item, "is not a head {{site_id, seq, hash}}")
        for key in item:
            if key not in _HEAD_KEYS and key != "site":
                raise InvalidInput(
                    "{head}.{key}: is not a field of a head (site_id, seq, hash)",
                    field=f"{path}.{key}",
                    head=path,
                    key=_key(key),
                )
        site_id = _whole(item, "site_id", path, 1, "a site id")
        seq = _whole(item, "seq", path, 0, "an entry number")
        if "hash" not in item:
            raise InvalidInput("{field}: is required", field=f"{path}.hash")
        digest = item["hash"]
        if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
            raise _refuse(f"{path}.hash", digest, "is not 64 hex digits")
        if site_id in where:
            raise _refuse(
                f"{path}.site_id",
                site_id,
                "appears twice (also heads[{first}])",
                first=where[site_id],
            )
        where[site_id] = i
        heads.append(Head(site_id, seq, digest.lower()))
    return heads


@dataclass(frozen=True)
class Now:
    """What the ledger holds for one site today: its head record and its highest entry."""

    head: tuple[int, str] | None
    last_seq: int | None

    @property
    def seq(self) -> int:
        if self.head is not None:
            return self.head[0]
        return self.last_seq or 0


def compare_head(then: Head, now: Now, hash_at_seq: str | None) -> tuple[str, str]:
    """Pure: one site's status against its checkpoint head, and a sentence saying why.
    `hash_at_seq` is today's hash of entry #then.seq (None when that entry is gone)."""
    last = now.last_seq or 0
    if then.seq == 0:
        # the chain was empty at the checkpoint: whatever is there now was appended
        if now.seq == 0:
            return "unchanged", "empty at the checkpoint and now"
        return "extended", f"empty at the checkpoint; entries #1–#{now.seq} were appended"
    if now.head is None and now.last_seq is None:
        return "site_missing", (
            f"the checkpoint has entry #{then.seq}; no entry and no head remain for this site"
        )
    if hash_at_seq is None:
        if last < then.seq:
            return "truncated", f"entry #{then.seq} is gone: the chain now ends at #{last}"
        return "truncated", f"entry #{then.seq} is gone (the chain goes on to #{last})"
    if hash_at_seq != then.hash:
        return "rewritten", (
            f"entry #{then.seq} now has hash {hash_at_seq}, the checkpoint says {then.hash}: "
            "it or an entry before it was rewritten"
        )
    if now.seq < then.seq:
        return "truncated", (
            f"the head says #{now.seq}, before the checkpoint's #{then.seq}: it was put back"
        )
    if now.seq == then.seq:
        return "unchanged", f"entry #{then.seq} is the head, as at the checkpoint"
    return "extended", f"entries #{then.seq + 1}–#{now.seq} were appended after the checkpoint"


def _hashes_at(session: Session, wanted: Sequence[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """Today's hash of each (site, seq) asked for, by the unique (site_id, seq) index."""
    out: dict[tuple[int, int], str] = {}
    pair = tuple_(col(LedgerEntry.site_id), col(LedgerEntry.seq))
    for start in range(0, len(wanted), _PAIRS_PER_QUERY):
        chunk = wanted[start : start + _PAIRS_PER_QUERY]
        q = select(LedgerEntry.site_id, LedgerEntry.seq, LedgerEntry.hash).where(pair.in_(chunk))
        for site_id, seq, digest in session.exec(q).all():
            out[(site_id, seq)] = digest
    return out


def compare_checkpoint(session: Session, actor: Actor, checkpoint: object) -> dict[str, Any]:
    """The chain check, plus each site against the head it had at an earlier check: what the
    chains alone cannot show (a chain rewritten consistently, or cut short with an older head
    put back). `checkpoint` is the `heads` of an earlier verify answer, or the whole answer."""
    _require(actor)
    then = parse_checkpoint(checkpoint)
    verification = verify(session, actor)
    heads = {h["site_id"]: (h["seq"], h["hash"]) for h in verification["heads"]}
    last_seqs: dict[int, int] = {
        site_id: seq
        for site_id, seq in session.exec(
            select(LedgerEntry.site_id, func.max(LedgerEntry.seq)).group_by(
                col(LedgerEntry.site_id)
            )
        ).all()
    }
    names = dict(session.exec(select(Site.id, Site.name)).all())
    hashes = _hashes_at(session, [(h.site_id, h.seq) for h in then if h.seq > 0])

    def row(
        site_id: int, status: str, message: str, head: Head | None, at: str | None
    ) -> dict[str, Any]:
        now = heads.get(site_id)
        return {
            "site_id": site_id,
            "site": names.get(site_id),
            "status": status,
            "checkpoint_seq": head.seq if head else None,
            "checkpoint_hash": head.hash if head else None,
            "head_seq": now[0] if now else None,
            "head_hash": now[1] if now else None,
            "last_seq": last_seqs.get(site_id),
            "hash_at_seq": at,
            "message": f"site {site_id}: {message}",
        }

    rows = []
    for h in then:
        now = Now(heads.get(h.site_id), last_seqs.get(h.site_id))
        at = hashes.get((h.site_id, h.seq))
        rows.append(row(h.site_id, *compare_head(h, now, at), h, at))
    taken = {h.site_id for h in then}
    for site_id in set(heads) | set(last_seqs):
        if site_id not in taken:
            seq = Now(heads.get(site_id), last_seqs.get(site_id)).seq
            rows.append(
                row(site_id, "new", f"not in the checkpoint; its chain ends at #{seq}", None, None)
            )
    rows.sort(key=lambda r: r["site_id"])
    counts = dict.fromkeys(CHECKPOINT_STATUSES, 0)
    for r in rows:
        counts[r["status"]] += 1
    return {
        "ok": verification["ok"] and not any(counts[p] for p in PROBLEMS),
        "checkpoint": {
            "heads": len(then),
            "fingerprint": heads_fingerprint((h.site_id, h.seq, h.hash) for h in then),
        },
        "counts": counts,
        "sites": rows,
        "verification": verification,
    }
