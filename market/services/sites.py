from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import select

from geo.regions import load_regions
from market import schemas
from market.auth import Actor
from market.db import UnitOfWork
from market.errors import Conflict, InvalidInput, NotAllowed, Refusals
from market.schemas.bodies import SiteCreate
from market.tables import Site

SITE_FIELDS = schemas.names(SiteCreate)
KIND_FOR_ROLE = {"producer": "yard", "recycler": "plant"}


def post_site(uow: UnitOfWork, actor: Actor, data: Mapping[str, Any]) -> Site:
    """Register a yard (producer) or plant (recycler); the region is found from the point."""
    actor.require("producer", "recycler")
    bad = Refusals()  # every bad field at once
    values = schemas.parse(SiteCreate, data, bad)
    name, lat, lon = values["name"], values["lat"], values["lon"]
    kind = values["kind"] or KIND_FOR_ROLE[actor.role]
    # the role's own kind of site comes first: a wrong one is refused whatever lat and lon say
    if kind != KIND_FOR_ROLE[actor.role] and not (bad.bad("name") or bad.bad("kind")):
        raise NotAllowed(
            "kind: a {role} registers {site_kind}s, not {value}s",
            field="kind",
            value=kind,
            role=actor.role,
            site_kind=KIND_FOR_ROLE[actor.role],
            given_site_kind=kind,
        )
    bad.done()
    assert lat is not None and lon is not None and name is not None and kind is not None
    location = load_regions().locate(lat, lon)
    if location is None:
        raise InvalidInput(
            "lat/lon: ({value:g}, {lon:g}) is outside Yunnan province",
            field="lat",
            value=lat,
            lon=lon,
        )
    clash = uow.session.exec(
        select(Site).where(Site.organisation_id == actor.organisation_id, Site.name == name)
    ).first()
    if clash is not None:
        raise Conflict("name: {value!r} is already one of your sites", field="name", value=name)
    site = Site(
        organisation_id=actor.organisation_id,
        name=name,
        kind=kind,
        lat=round(lat, 6),
        lon=round(lon, 6),
        prefecture=location.prefecture,
        prefecture_code=location.prefecture_code,
        county=location.county,
        county_code=location.county_code,
    )
    uow.session.add(site)
    uow.commit()
    return site
