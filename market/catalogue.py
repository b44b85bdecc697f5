"""Checks of materials, assays and specs against the catalogue in seed_data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from market.errors import InvalidInput
from market.fields import to_number
from seed_data import Catalogue, load_catalogue


def catalogue() -> Catalogue:
    return load_catalogue()


def material(code: Any, field: str = "material") -> str:
    known = catalogue().materials
    if not isinstance(code, str) or code not in known:
        raise InvalidInput.about(field, code, "is not a material of the catalogue")
    return code


def waste_code(code: str) -> str:
    """The material's code in the national 固体废物分类与代码目录 (2024), "" where unverified."""
    m = catalogue().materials.get(code)
    return m.waste_code if m is not None else ""


def quality(material_code: str, raw: Mapping[str, Any], field: str = "quality") -> dict[str, float]:
    """An assay: every key a parameter of the material, every value a number in physical range."""
    cat = catalogue()
    allowed = cat.materials[material_code].parameters
    checked: dict[str, float] = {}
    for name, value in raw.items():
        where = f"{field}.{name}"
        if name not in allowed:
            raise InvalidInput.about(where, value, f"is not a parameter of {material_code}")
        param = cat.parameters[name]
        checked[name] = to_number(
            value, where, minimum=param.physical_min, maximum=param.physical_max
        )
    return checked


def spec(
    material_code: str, raw: Mapping[str, Any], field: str = "spec"
) -> dict[str, dict[str, float]]:
    """Quality limits: `{param: {min?, max?}}`, each bound in physical range and min ≤ max."""
    cat = catalogue()
    allowed = cat.materials[material_code].parameters
    checked: dict[str, dict[str, float]] = {}
    for name, bounds in raw.items():
        where = f"{field}.{name}"
        if name not in allowed:
            raise InvalidInput.about(where, bounds, f"is not a parameter of {material_code}")
        if not isinstance(bounds, Mapping) or not bounds or set(bounds) - {"min", "max"}:
            raise InvalidInput.about(where, bounds, "must be an object with min and/or max")
        param = cat.parameters[name]
        out: dict[str, float] = {}
        for key in ("min", "max"):
            if bounds.get(key) is not None and bounds.get(key) != "":
                out[key] = to_number(
                    bounds[key],
                    f"{where}.{key}",
                    minimum=param.physical_min,
                    maximum=param.physical_max,
                )
        if not out:
            continue
        if "min" in out and "max" in out and out["min"] > out["max"]:
            raise InvalidInput(
                f"{where}: min {out['min']:g} is above max {out['max']:g}",
                field=where,
                value=bounds,
            )
        checked[name] = out
    return checked


def use_spec(material_code: str, use_code: str) -> dict[str, dict[str, float]]:
    cat = catalogue()
    try:
        use = cat.use(material_code, use_code)
    except KeyError:
        raise InvalidInput.about("use", use_code, f"is not a use of {material_code}") from None
    out: dict[str, dict[str, float]] = {}
    for name, bound in use.spec.items():
        entry: dict[str, float] = {}
        if bound.min is not None:
            entry["min"] = bound.min
        if bound.max is not None:
            entry["max"] = bound.max
        out[name] = entry
    return out
