from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import select

from geo.regions import load_regions
from market import fields
from market.auth import Actor
from market.db import UnitOfWork
from market.errors import Conflict, InvalidInput, NotAllowed, Refusals
from market.tables import Site

SITE_FIELDS = ("name", "kind", "lat", "lon")
KIND_FOR_ROLE = {"producer": "yard", "recycler": "plant"}


def post_site(uow: UnitOfWork, actor: Actor, data: Mapping[str, Any]) -> Site:
    """Register a yard (producer) or plant (recycler); the region is found from the point."""
    actor.require("producer", "recycler")
    fields.reject_unknown(data, SITE_FIELDS)
    bad = Refusals()  # every bad field at once
    name = bad.check(fields.text, data, "name", required=True)
    kind = bad.check(
        fields.text, data, "kind", default=KIND_FOR_ROLE[actor.role], choices=("yard", "plant")
    )
    if kind is not None and kind != KIND_FOR_ROLE[actor.role] and not bad.errors:
        raise NotAllowed(
            "kind: a {role} registers {site_kind}s, not {value}s",
            field="kind",
            value=kind,
            role=actor.role,
            site_kind=KIND_FOR_ROLE[actor.role],
            given_site_kind=kind,
        )
    lat = bad.check(fields.number, data, "lat", minimum=-90, maximum=90)
    lon = bad.check(fields.number, data, "lon", minimum=-180, maximum=180)
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
