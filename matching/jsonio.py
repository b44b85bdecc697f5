"""The JSON of docs/matching-format.md: read strictly, written deterministically."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping
from typing import Any

from matching.errors import (
    MissingKey,
    NotAChoice,
    NotFinite,
    ProblemError,
    UnknownKey,
    WrongType,
    show,
)
from matching.model import (
    MODES,
    Accept,
    Bound,
    Facility,
    Lot,
    Margin,
    Match,
    MatchingProblem,
    MatchingResult,
    Mode,
    Params,
    Unmatched,
    check,
)

_TOP = ("params", "lots", "facilities")
PARAM_KEYS = (
    "cost_per_t_km",
    "circuity",
    "priorities",
    "mode",
    "min_shipment_t",
    "time_limit_s",
    "co2_kg_per_t_km",
)
_LOT = (
    "id",
    "material",
    "tonnes",
    "lat",
    "lon",
    "quality",
    "max_haul_km",
    "asking_price_cny_t",
)
_FACILITY = ("id", "lat", "lon", "accepts", "capacity_t", "max_haul_km")
_ACCEPT = ("material", "capacity_t", "spec", "id", "price_cny_t")
_BOUND = ("min", "max")

TIMING_SUFFIX = "_ms"
"""Keys in `stats` (at any depth) ending so hold wall-clock figures: the only part of a result
that differs between runs of the same problem."""


def _integer(digits: str) -> int | float:
    """A JSON integer; one longer than Python reads (4,300 digits unless set otherwise) is as
    unbounded as it looks, so the check names its path as not finite instead of `json` raising a
    bare ValueError."""
    limit = sys.get_int_max_str_digits()
    if not limit or len(digits.lstrip("-")) <= limit:
        return int(digits)
    return -math.inf if digits.startswith("-") else math.inf


def problem_from_json(data: str | bytes | Mapping[str, Any]) -> MatchingProblem:
    """Read a problem (JSON text or already-parsed JSON) and check it against the contract.

    Raises `ProblemError` (naming the path of the first bad value) for anything the contract does
    not allow; `json.JSONDecodeError` for text that is not JSON.
    """
    if isinstance(data, str | bytes):
        raw = json.loads(data, object_pairs_hook=unique_keys, parse_int=_integer)
    else:
        raw = data
    top = _object(raw, "", required=("lots", "facilities"), allowed=_TOP)
    params = _params(top.get("params", {}))
    lots = tuple(_lot(v, f"lots[{i}]") for i, v in enumerate(_list(top["lots"], "lots")))
    facilities = tuple(
        _facility(v, f"facilities[{j}]")
        for j, v in enumerate(_list(top["facilities"], "facilities"))
    )
    problem = MatchingProblem(lots=lots, facilities=facilities, params=params)
    check(problem)
    return problem


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """`object_pairs_hook` for `json.loads`: a key given twice is refused, not silently
    overwritten (`{"lots": [...], "lots": []}` would otherwise lose every lot)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ProblemError("", "duplicate key {key} in an object", key=show(key))
            seen.add(key)
    return obj


def _params(raw: Any) -> Params:
    obj = _object(raw, "params", required=(), allowed=PARAM_KEYS)
    kwargs: dict[str, Any] = {}
    for key in ("cost_per_t_km", "circuity", "min_shipment_t", "time_limit_s", "co2_kg_per_t_km"):
        if key in obj:
            kwargs[key] = _number(obj[key], f"params.{key}")
    if "priorities" in obj:
        priorities = _object(obj["priorities"], "params.priorities", required=(), allowed=None)
        kwargs["priorities"] = {
            material: _whole(value, f"params.priorities.{material}")
            for material, value in priorities.items()
        }
    if "mode" in obj:
        kwargs["mode"] = _mode(obj["mode"])
    return Params(**kwargs)


def _mode(raw: Any) -> Mode:
    if raw == "divisible":
        return "divisible"
    if raw == "min_shipment":
        return "min_shipment"
    raise NotAChoice("params.mode", raw, MODES)


def _lot(raw: Any, path: str) -> Lot:
    obj = _object(raw, path, required=("id", "material", "tonnes", "lat", "lon"), allowed=_LOT)
    quality = _object(obj.get("quality", {}), f"{path}.quality", required=(), allowed=None)
    return Lot(
        id=_string(obj["id"], f"{path}.id"),
        material=_string(obj["material"], f"{path}.material"),
        tonnes=_number(obj["tonnes"], f"{path}.tonnes"),
        lat=_number(obj["lat"], f"{path}.lat"),
        lon=_number(obj["lon"], f"{path}.lon"),
        quality={code: _number(v, f"{path}.quality.{code}") for code, v in quality.items()},
        max_haul_km=_optional_number(obj, "max_haul_km", path),
        asking_price_cny_t=_optional_number(obj, "asking_price_cny_t", path),
    )


def _facility(raw: Any, path: str) -> Facility:
    obj = _object(raw, path, required=("id", "lat", "lon", "accepts"), allowed=_FACILITY)
    accepts = _list(obj["accepts"], f"{path}.accepts")
    return Facility(
        id=_string(obj["id"], f"{path}.id"),
        lat=_number(obj["lat"], f"{path}.lat"),
        lon=_number(obj["lon"], f"{path}.lon"),
        accepts=tuple(_accept(a, f"{path}.accepts[{k}]") for k, a in enumerate(accepts)),
        capacity_t=_optional_number(obj, "capacity_t", path),
        max_haul_km=_optional_number(obj, "max_haul_km", path),
    )


def _accept(raw: Any, path: str) -> Accept:
    obj = _object(raw, path, required=("material",), allowed=_ACCEPT)
    spec = _object(obj.get("spec", {}), f"{path}.spec", required=(), allowed=None)
    return Accept(
        material=_string(obj["material"], f"{path}.material"),
        capacity_t=_optional_number(obj, "capacity_t", path),
        spec={code: _bound(b, f"{path}.spec.{code}") for code, b in spec.items()},
        id=_string(obj["id"], f"{path}.id") if "id" in obj else None,
        price_cny_t=_optional_number(obj, "price_cny_t", path),
    )


def _bound(raw: Any, path: str) -> Bound:
    obj = _object(raw, path, required=(), allowed=_BOUND)
    return Bound(
        min=_optional_number(obj, "min", path),
        max=_optional_number(obj, "max", path),
    )


def _object(
    raw: Any, path: str, required: tuple[str, ...], allowed: tuple[str, ...] | None
) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise WrongType(path or "problem", raw, "an object")
    if allowed is not None:
        unknown = [k for k in raw if k not in allowed]
        if unknown:
            raise UnknownKey(path or "problem", unknown, allowed)
    else:
        for key in raw:
            if isinstance(key, str):
                _unicode(key, f"{path} key")
    for key in required:
        if key not in raw:
            raise MissingKey(path or "problem", key)
    return raw


def _list(raw: Any, path: str) -> list[Any]:
    if not isinstance(raw, list):
        raise WrongType(path, raw, "a list")
    return raw


def _string(raw: Any, path: str) -> str:
    if not isinstance(raw, str):
        raise WrongType(path, raw, "a string")
    if not raw.strip():
        raise ProblemError(path, "must not be empty")
    return _unicode(raw, path)


def _unicode(raw: str, path: str) -> str:
    """A lone surrogate (JSON's "\\ud800") is not text: it cannot be written out as UTF-8."""
    if not raw.isascii():
        try:
            raw.encode("utf-8")
        except UnicodeEncodeError:
            raise ProblemError(
                path, "{shown} is not valid Unicode text", shown=show(raw[:40])
            ) from None
    return raw


def _number(raw: Any, path: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise WrongType(path, raw, "a number")
    try:
        value = float(raw)
    except OverflowError:
        raise NotFinite(path, math.inf) from None
    if not math.isfinite(value):
        raise NotFinite(path, value)
    return value


def _whole(raw: Any, path: str) -> int:
    value = _number(raw, path)
    if not value.is_integer():
        raise WrongType(path, raw, "a whole number")
    return int(value)


def _optional_number(obj: dict[str, Any], key: str, path: str) -> float | None:
    if key not in obj or obj[key] is None:
        return None
    return _number(obj[key], f"{path}.{key}")


# --------------------------------------------------------------------------- writing


def problem_to_dict(problem: MatchingProblem) -> dict[str, Any]:
    """The problem as contract JSON (generators and tests write problems with it)."""
    p = problem.params
    params: dict[str, Any] = {"cost_per_t_km": p.cost_per_t_km}
    _put_set(params, p, "circuity")
    if p.priorities:
        params["priorities"] = dict(p.priorities)
    params["mode"] = p.mode
    params["min_shipment_t"] = p.min_shipment_t
    params["time_limit_s"] = p.time_limit_s
    _put_set(params, p, "co2_kg_per_t_km")
    return {
        "params": params,
        "lots": [_lot_dict(lot) for lot in problem.lots],
        "facilities": [_facility_dict(f) for f in problem.facilities],
    }


def _lot_dict(lot: Lot) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": lot.id,
        "material": lot.material,
        "tonnes": lot.tonnes,
        "lat": lot.lat,
        "lon": lot.lon,
        "quality": dict(lot.quality),
    }
    return _put_set(out, lot, "max_haul_km", "asking_price_cny_t")


def _facility_dict(facility: Facility) -> dict[str, Any]:
    out: dict[str, Any] = {"id": facility.id, "lat": facility.lat, "lon": facility.lon}
    _put_set(out, facility, "max_haul_km", "capacity_t")
    accepts = []
    for a in facility.accepts:
        entry = _put_set({"material": a.material}, a, "id", "capacity_t")
        entry["spec"] = {code: _bound_dict(b) for code, b in a.spec.items()}
        accepts.append(_put_set(entry, a, "price_cny_t"))
    out["accepts"] = accepts
    return out


def _bound_dict(bound: Bound) -> dict[str, Any]:
    return _put_set({}, bound, "min", "max")


def _put_set(out: dict[str, Any], obj: object, *names: str) -> dict[str, Any]:
    """`out` with each of `obj`'s attributes `names` that is not None, in that order."""
    for name in names:
        value = getattr(obj, name)
        if value is not None:
            out[name] = value
    return out


def result_to_dict(result: MatchingResult, *, timings: bool = True) -> dict[str, Any]:
    stats = dict(result.stats) if timings else _without_timings(result.stats)
    t = result.totals
    return {
        "status": result.status,
        "matches": [_match_dict(m) for m in result.matches],
        "unmatched": [_unmatched_dict(u) for u in result.unmatched],
        "totals": {
            "matched_t": t.matched_t,
            "unmatched_t": t.unmatched_t,
            "weighted_matched_t": t.weighted_matched_t,
            "haul_cost": t.haul_cost,
            "t_km": t.t_km,
            "co2_kg": t.co2_kg,
        },
        "stats": stats,
    }


def _without_timings(stats: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: _without_timings(value) if isinstance(value, Mapping) else value
        for key, value in stats.items()
        if not key.endswith(TIMING_SUFFIX)
    }


def result_to_json(result: MatchingResult, *, timings: bool = True) -> str:
    """The result as contract JSON. Byte-for-byte the same for the same problem, except the
    wall-clock figures in `stats` (leave them out with `timings=False`)."""
    # No indent: the C encoder only runs without one, and national results run to megabytes.
    text = json.dumps(result_to_dict(result, timings=timings), ensure_ascii=False, allow_nan=False)
    return text + "\n"


def _match_dict(m: Match) -> dict[str, Any]:
    out: dict[str, Any] = {
        "lot": m.lot,
        "facility": m.facility,
        "material": m.material,
        "tonnes": m.tonnes,
        "road_km": m.road_km,
        "haul_cost": m.haul_cost,
        "co2_kg": m.co2_kg,
    }
    _put_set(out, m, "accept")
    out["margins"] = {code: _margin_dict(g) for code, g in m.margins.items()}
    return out


def _margin_dict(g: Margin) -> dict[str, Any]:
    return _put_set({"value": g.value}, g, "min", "max", "margin")


def _unmatched_dict(u: Unmatched) -> dict[str, Any]:
    return {
        "lot": u.lot,
        "material": u.material,
        "tonnes": u.tonnes,
        "reasons": list(u.reasons),
        "details": [dict(d) for d in u.details],
    }
