"""What an audit covers (prefecture, county, producer, material) and who may audit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Session, col

from market import catalogue as catalogue_mod
from market.auth import Actor
from market.errors import InvalidInput, NotFound
from market.services.common import OVERSEERS
from market.tables import (
    LedgerEntry,
    Organisation,
    Site,
)

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


def check_scope(session: Session, scope: Scope) -> None:
    org_id = scope.organisation_id
    if org_id is not None and session.get(Organisation, org_id) is None:
        raise NotFound(
            "organisation: {value} does not exist",
            field="organisation",
            value=scope.organisation_id,
        )


def require_overseer(actor: Actor) -> None:
    actor.require(*OVERSEERS)
