"""Seed data: the materials catalogue, policy parameters, Yunnan regions and the demo data set.

The files beside this module are the source of truth; this module only reads and checks them.
It imports nothing from the rest of the project, so `geo`, `matching` and `market` may all use it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REGIONS_DIR = HERE / "regions"


class SeedDataError(ValueError):
    """A seed file breaks its own schema; the message names the file and the path."""


def _read(name: str) -> Any:
    with (HERE / name).open(encoding="utf-8") as f:
        return json.load(f)


# --------------------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class Parameter:
    code: str
    name_zh: str
    name_en: str
    unit: str
    physical_min: float
    physical_max: float
    standard: str


@dataclass(frozen=True)
class Bound:
    """A limit on a quality parameter, either end open (None) and both inclusive: a catalogue
    use's, a demo offer's and a matching problem's spec (`matching.Bound` is this class)."""

    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Use:
    """A typical (not normative) end use with the limits it usually asks of the residue."""

    code: str
    name_zh: str
    name_en: str
    standard: str
    spec: dict[str, Bound]


@dataclass(frozen=True)
class Material:
    code: str
    name_zh: str
    name_en: str
    family: str
    priority: int
    parameters: tuple[str, ...]
    uses: tuple[Use, ...]
    substitutes_zh: str
    substitutes_en: str
    avoided_co2_kg_per_t: float
    waste_code: str = ""
    """The code of the national 固体废物分类与代码目录 (2024), or "" where not yet verified."""


@dataclass(frozen=True)
class Catalogue:
    parameters: dict[str, Parameter]
    materials: dict[str, Material]

    def material(self, code: str) -> Material:
        return self.materials[code]

    def use(self, material: str, use_code: str) -> Use:
        for use in self.materials[material].uses:
            if use.code == use_code:
                return use
        raise KeyError(f"{material}: no use {use_code!r}")


def _bound(raw: dict[str, Any], where: str) -> Bound:
    unknown = set(raw) - {"min", "max"}
    if unknown:
        raise SeedDataError(f"{where}: unknown keys {sorted(unknown)}")
    lo, hi = raw.get("min"), raw.get("max")
    if lo is not None and hi is not None and lo > hi:
        raise SeedDataError(f"{where}: min {lo} > max {hi}")
    return Bound(None if lo is None else float(lo), None if hi is None else float(hi))


_WASTE_CODE = re.compile(r"[0-9]{3}-0[0-9]{2}-S(0[1-79]|[1-5][0-9])", re.ASCII)


def _waste_code(raw: Any, material: str) -> str:
    """An industrial solid waste's code of the 2024 catalogue (`NNN-0NN-SNN`, S01–S59 but S08),
    or "" for a code not verified yet: never a guess."""
    if raw in ("", None):
        return ""
    if not isinstance(raw, str) or not _WASTE_CODE.fullmatch(raw):
        raise SeedDataError(f"materials.json: {material}.waste_code: {raw!r} is not a code")
    return raw


@cache
def load_catalogue() -> Catalogue:
    raw = _read("materials.json")
    params: dict[str, Parameter] = {}
    for code, p in raw["parameters"].items():
        params[code] = Parameter(
            code=code,
            name_zh=p["name_zh"],
            name_en=p["name_en"],
            unit=p["unit"],
            physical_min=float(p["physical_min"]),
            physical_max=float(p["physical_max"]),
            standard=p["standard"],
        )
    materials: dict[str, Material] = {}
    for m in raw["materials"]:
        code = m["code"]
        for pc in m["parameters"]:
            if pc not in params:
                raise SeedDataError(f"materials.json: {code}.parameters: unknown {pc!r}")
        uses = []
        for u in m.get("uses", []):
            spec = {}
            for pc, b in u["spec"].items():
                where = f"materials.json: {code}.uses[{u['code']}].spec.{pc}"
                if pc not in m["parameters"]:
                    raise SeedDataError(f"{where}: not a parameter of {code}")
                spec[pc] = _bound(b, where)
            uses.append(Use(u["code"], u["name_zh"], u["name_en"], u["standard"], spec))
        materials[code] = Material(
            code=code,
            name_zh=m["name_zh"],
            name_en=m["name_en"],
            family=m["family"],
            priority=int(m["priority"]),
            parameters=tuple(m["parameters"]),
            uses=tuple(uses),
            substitutes_zh=m.get("substitutes_zh", ""),
            substitutes_en=m.get("substitutes_en", ""),
            avoided_co2_kg_per_t=float(m.get("avoided_co2_kg_per_t", 0.0)),
            waste_code=_waste_code(m.get("waste_code", ""), code),
        )
    return Catalogue(params, materials)


# --------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class TrajectoryPoint:
    year: int
    min_consumption_ratio: float
    """Minimum consumption ÷ generation for phosphogypsum producers in that year."""


@dataclass(frozen=True)
class Policy:
    circuity: float
    cost_per_t_km: float
    co2_kg_per_t_km: float
    pg_ratio_default: float
    pg_ratio_min: float
    pg_ratio_max: float
    generation_tolerance: float
    """|G − P×r| ÷ (P×r) above this flags generation_inconsistent."""
    receipt_tolerance: float
    """|received − dispatched| ÷ dispatched above this marks a delivery disputed."""
    consumption_kinds: tuple[str, ...]
    utilisation_kinds: tuple[str, ...]
    treatment_kinds: tuple[str, ...]
    trajectory: tuple[TrajectoryPoint, ...]
    utilisation_target: float
    utilisation_baseline: float
    target_year: int
    pg_utilisation_target: float
    report_due_day: int = 10
    """A month's report is due on this day of the next month (China Standard Time)."""
    extra: dict[str, Any] = field(default_factory=dict)

    def min_consumption_ratio(self, year: int) -> float | None:
        """The trajectory's floor for `year`: the latest point at or before it."""
        best: float | None = None
        for point in self.trajectory:
            if point.year <= year:
                best = point.min_consumption_ratio
        return best


@cache
def load_policy() -> Policy:
    raw = _read("policy.json")
    return Policy(
        circuity=float(raw["circuity"]),
        cost_per_t_km=float(raw["cost_per_t_km"]),
        co2_kg_per_t_km=float(raw["co2_kg_per_t_km"]),
        pg_ratio_default=float(raw["phosphogypsum"]["ratio_default"]),
        pg_ratio_min=float(raw["phosphogypsum"]["ratio_min"]),
        pg_ratio_max=float(raw["phosphogypsum"]["ratio_max"]),
        generation_tolerance=float(raw["phosphogypsum"]["generation_tolerance"]),
        receipt_tolerance=float(raw["receipt_tolerance"]),
        consumption_kinds=tuple(raw["phosphogypsum"]["consumption_kinds"]),
        utilisation_kinds=tuple(raw["phosphogypsum"]["utilisation_kinds"]),
        treatment_kinds=tuple(raw["phosphogypsum"]["treatment_kinds"]),
        trajectory=tuple(
            TrajectoryPoint(int(p["year"]), float(p["min_consumption_ratio"]))
            for p in sorted(raw["phosphogypsum"]["trajectory"], key=lambda p: p["year"])
        ),
        utilisation_target=float(raw["targets"]["utilisation_rate"]),
        utilisation_baseline=float(raw["targets"]["utilisation_rate_2020"]),
        target_year=int(raw["targets"]["year"]),
        pg_utilisation_target=float(raw["targets"]["phosphogypsum_utilisation_rate"]),
        report_due_day=int(raw["reporting"]["due_day_of_next_month"]),
        extra={k: v for k, v in raw.items() if k.startswith("x_")},
    )


# --------------------------------------------------------------------------- demo data set


@dataclass(frozen=True)
class DemoOrganisation:
    key: str
    name: str
    kind: str  # producer | recycler | regulator | operator | evaluator
    pg_ratio: float | None = None
    evaluates: tuple[str, ...] = ()
    """For an evaluator (第三方评价机构): the producers it is linked to."""


@dataclass(frozen=True)
class DemoStream:
    """One material stockpiled at a yard, with the figures the 24-month history is drawn from."""

    material: str
    opening_t: float
    monthly_generation_t: float
    monthly_own_use_t: float = 0.0
    monthly_treatment_t: float = 0.0
    monthly_p2o5_t: float = 0.0
    monthly_delivered_t: float = 0.0
    """Historical deliveries to nearby plants under framework contracts, received in full."""


@dataclass(frozen=True)
class DemoSite:
    key: str
    organisation: str
    name: str
    kind: str  # yard | plant
    town: str
    lat: float
    lon: float
    streams: tuple[DemoStream, ...] = ()


@dataclass(frozen=True)
class DemoLot:
    site: str
    material: str
    tonnes: float
    quality: dict[str, float]
    asking_price_cny_t: float
    max_haul_km: float | None
    lab_report: str


@dataclass(frozen=True)
class DemoOffer:
    site: str
    material: str
    use: str
    capacity_t: float
    price_cny_t: float
    max_haul_km: float | None
    spec: dict[str, Bound]


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    organisation: str


@dataclass(frozen=True)
class DemoDataSet:
    label_zh: str
    label_en: str
    history_months: int
    history_end: date
    """The last day of the last month of history."""
    seed: int
    organisations: tuple[DemoOrganisation, ...]
    sites: tuple[DemoSite, ...]
    lots: tuple[DemoLot, ...]
    offers: tuple[DemoOffer, ...]
    users: tuple[DemoUser, ...]
    password: str


@cache
def load_demo() -> DemoDataSet:
    raw = _read("demo.json")
    catalogue = load_catalogue()
    orgs = tuple(
        DemoOrganisation(**{**o, "evaluates": tuple(o.get("evaluates", ()))})
        for o in raw["organisations"]
    )
    org_keys = {o.key for o in orgs}
    sites = []
    for s in raw["sites"]:
        if s["organisation"] not in org_keys:
            raise SeedDataError(f"demo.json: site {s['key']}: unknown organisation")
        streams = tuple(DemoStream(**st) for st in s.get("streams", []))
        for st in streams:
            if st.material not in catalogue.materials:
                raise SeedDataError(f"demo.json: site {s['key']}: unknown material {st.material}")
        sites.append(DemoSite(**{**s, "streams": streams}))
    site_keys = {s.key for s in sites}
    lots = []
    for i, lot in enumerate(raw["lots"]):
        if lot["site"] not in site_keys or lot["material"] not in catalogue.materials:
            raise SeedDataError(f"demo.json: lots[{i}]: unknown site or material")
        lots.append(DemoLot(**lot))
    offers = []
    for i, o in enumerate(raw["offers"]):
        if o["site"] not in site_keys:
            raise SeedDataError(f"demo.json: offers[{i}]: unknown site {o['site']}")
        use = catalogue.use(o["material"], o["use"])
        spec = dict(use.spec)
        for pc, b in o.get("spec", {}).items():
            spec[pc] = _bound(b, f"demo.json: offers[{i}].spec.{pc}")
        offers.append(DemoOffer(**{**o, "spec": spec}))
    users = tuple(DemoUser(**u) for u in raw["users"])
    return DemoDataSet(
        label_zh=raw["label_zh"],
        label_en=raw["label_en"],
        history_months=int(raw["history_months"]),
        history_end=date.fromisoformat(raw["history_end"]),
        seed=int(raw["seed"]),
        organisations=orgs,
        sites=tuple(sites),
        lots=tuple(lots),
        offers=tuple(offers),
        users=users,
        password=raw["password"],
    )
