from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, select

from market import catalogue, fields
from market.auth import Actor
from market.db import UnitOfWork
from market.errors import NotAllowed, NotFound, Refusals
from market.tables import Lot, Offer, Site, utcnow

T = TypeVar("T", bound=SQLModel)
L = TypeVar("L", Lot, Offer)

OVERSEERS = ("regulator", "operator")
MAX_ID = 2**31 - 1
"""Ids are INTEGER columns; PostgreSQL refuses to compare one with a larger number."""


def get(session: Session, model: type[T], id_: int, *, what: str, lock: bool = False) -> T:
    if not 0 < id_ <= MAX_ID:
        raise NotFound("{field}: {value} does not exist", field=what, value=id_)
    # SQLite's IMMEDIATE transaction already holds the database's only write lock
    if lock and session.get_bind().dialect.name != "sqlite":
        pk = model.__table__.primary_key.columns.values()[0]  # type: ignore[attr-defined]
        row = session.exec(
            select(model)
            .where(pk == id_)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
    else:
        row = session.get(model, id_)
    if row is None:
        raise NotFound("{field}: {value} does not exist", field=what, value=id_)
    return row


def mine(session: Session, actor: Actor, site_id: int, *, lock: bool = False) -> Site:
    """The actor's own site, of either kind; another organisation's site reads as not found."""
    site = get(session, Site, site_id, what="site_id", lock=lock)
    if site.organisation_id != actor.organisation_id:
        raise NotFound("site_id: {value} does not exist", field="site_id", value=site_id)
    return site


def own_site(
    session: Session, actor: Actor, site_id: int, *, kind: str, lock: bool = False
) -> Site:
    """The actor's own site of the given kind; another organisation's site reads as not found."""
    site = mine(session, actor, site_id, lock=lock)
    if site.kind != kind:
        raise NotAllowed(
            "site_id: {value} is a {site_kind}, not a {wanted_site_kind}",
            field="site_id",
            value=site_id,
            site_kind=site.kind,
            wanted_site_kind=kind,
        )
    return site


def own_listing(
    session: Session, actor: Actor, model: type[L], id_: int, *, what: str, missing: str
) -> L:
    """The lot or offer `id_`, locked, if it stands at one of the actor's sites; another
    organisation's reads as not found, in the words `missing` (`lot: {value} does not exist`)."""
    row = get(session, model, id_, what=what, lock=True)
    site = session.get(Site, row.site_id)
    if site is None or site.organisation_id != actor.organisation_id:
        raise NotFound(missing, field=what, value=id_)
    return row


def own_site_and_material(
    session: Session, actor: Actor, data: Mapping[str, Any], bad: Refusals, *, kind: str
) -> tuple[int | None, str | None]:
    """The `site_id` and `material` a lot or an offer names (None where `bad` holds why); the
    site must be the actor's own of `kind`, which is checked before any other field is read."""
    site_id = bad.check(fields.integer, data, "site_id")
    material = bad.check(catalogue.material, data.get("material"))
    if site_id is not None and not bad.errors:  # whose site: before the other fields
        own_site(session, actor, site_id, kind=kind)
    return site_id, material


def stamp_once(uow: UnitOfWork, row: T, moment: str) -> T:
    """Set the row's `moment` (`read_at`, `revoked_at`) to now unless it is set already, so that
    doing it twice changes nothing, and commit."""
    if getattr(row, moment) is None:
        setattr(row, moment, utcnow())
        uow.session.add(row)
    uow.commit()
    return row
