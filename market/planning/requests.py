"""What a planning request may ask: the limits, the months, and the parsing of a drawdown or
siting request (refused field by field)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sized
from dataclasses import dataclass
from datetime import date
from typing import Any

from geo.zones import ProtectedZones, ZoneFileError
from market import catalogue, fields
from market.errors import N_, InvalidInput
from matching import planner, siting

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


def _at_most(field: str, raw: Sized, template: str, **limit: Any) -> None:
    """Refuse `raw` longer than the one limit given by name in `limit` (as `template` names it)."""
    (most,) = limit.values()
    if len(raw) > most:
        raise InvalidInput(template, field=field, n_raw=len(raw), **limit)


def _candidates(raw: Any) -> tuple[siting.Candidate, ...] | None:
    if raw is None or raw == "" or raw == []:
        return None
    if isinstance(raw, str):
        raw = _candidate_lines(raw)
    if not isinstance(raw, list):
        raise InvalidInput.about("candidates", raw, "is not a list of {{name, lat, lon}}")
    _at_most(
        "candidates",
        raw,
        N_("candidates: {n_raw} given, at most {MAX_CANDIDATES}"),
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
        _at_most(
            "zones",
            raw,
            N_("zones: {n_raw:,} bytes, at most {MAX_ZONE_BYTES:,} allowed"),
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
