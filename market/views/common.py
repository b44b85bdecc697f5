"""Sites, list filters and counting: what every listing of the market shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    false,
)
from sqlmodel import Session, col, func, select

from market import clock
from market.auth import Actor
from market.catalogue import catalogue
from market.services.common import OVERSEERS
from market.tables import (
    Organisation,
    Site,
)
from market.wide import WideSelect


def site_public(site: Site, org: Organisation | None = None) -> dict[str, Any]:
    out = {
        "id": site.id,
        "name": site.name,
        "kind": site.kind,
        "lat": site.lat,
        "lon": site.lon,
        "prefecture": site.prefecture,
        "prefecture_code": site.prefecture_code,
        "county": site.county,
        "county_code": site.county_code,
        "organisation_id": site.organisation_id,
    }
    if org is not None:
        out["organisation"] = org.name
    return out


def placed(row: Any, site: Any, org: Any) -> dict[str, Any]:
    """The head every lot and offer is listed with: its id, its site and where that is, and the
    organisation that owns it."""
    return {
        "id": row.id,
        "site_id": row.site_id,
        "site": site.name,
        "organisation_id": org.id,
        "organisation": org.name,
        "prefecture": site.prefecture,
        "county": site.county,
        "lat": site.lat,
        "lon": site.lon,
    }


def _sites(kind: str | None, organisation_id: int | None) -> Any:
    """Sites with their organisation: of one kind (an unknown kind selects nothing) and of one
    organisation, when given."""
    q = select(Site, Organisation).join(Organisation, col(Organisation.id) == Site.organisation_id)
    if organisation_id is not None:
        q = q.where(Site.organisation_id == organisation_id)
    if kind:
        q = q.where(Site.kind == kind if kind in ("yard", "plant") else false())
    return q


def list_sites(
    session: Session, actor: Actor, *, kind: str | None = None, everyone: bool = False
) -> list[dict[str, Any]]:
    """Own sites; overseers see all. `everyone` lists every site (names and places are public
    on the market map, but only the owner and overseers see the figures behind them)."""
    own = None if everyone or actor.role in OVERSEERS else actor.organisation_id
    rows = session.exec(_sites(kind, own).order_by(col(Site.id))).all()
    return [site_public(s, o) for s, o in rows]


def page_plants(
    session: Session, *, limit: int, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """One page of the plant directory (every plant: names and places are public), oldest first,
    with the total counted by the database."""
    q = _sites("plant", None)
    rows = session.exec(q.order_by(col(Site.id)).limit(limit).offset(offset)).all()
    total = count_of(session, q.with_only_columns(col(Site.id)))
    return [site_public(s, o) for s, o in rows], total


def _known(material: str) -> bool:
    # a filter that can match nothing is not sent to the database: PostgreSQL refuses text
    # holding a NUL ("?material=%00" would be a 500)
    return material in catalogue().materials


BID_STATUSES = ("open", "on_hold", "accepted", "rejected", "withdrawn")


CONTRACT_STATUSES = ("active", "completed", "cancelled")


DELIVERY_STATUSES = ("dispatched", "received", "disputed")


@dataclass(frozen=True)
class ListFilter:
    """What a list is filtered by: a status, a material, and days (China Standard Time) from
    and to, both included. An unknown material or status selects nothing."""

    status: str | None = None
    material: str | None = None
    since: date | None = None
    until: date | None = None


EVERYTHING = ListFilter()


def _instant(day: date) -> datetime:
    """The first instant of a day in China, in UTC (as instants are stored)."""
    return datetime.combine(day, time(), clock.CHINA).astimezone(UTC)


def _dated(column: Any, f: ListFilter) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if f.since is not None:
        out.append(column >= _instant(f.since))
    if f.until is not None:
        out.append(column < _instant(f.until + timedelta(days=1)))
    return out


def _material_is(column: Any, f: ListFilter) -> list[ColumnElement[bool]]:
    if not f.material:
        return []
    return [column == f.material if _known(f.material) else false()]


def filtered(
    f: ListFilter, material: Any, day: Any, status: Any = None, statuses: Sequence[str] = ()
) -> list[ColumnElement[bool]]:
    """The conditions of a list's filter: its material and days and, for a list whose status
    is a column (of `statuses`), its status."""
    out = [*_material_is(material, f), *_dated(col(day), f)]
    if f.status and status is not None:
        out.append(col(status) == f.status if f.status in statuses else false())
    return out


def plain(value: Any) -> Any:
    """A value as the API gives it: a day or an instant as ISO 8601 text."""
    return value.isoformat() if isinstance(value, date) else value


def fields(obj: Any, names: str) -> dict[str, Any]:
    """The fields of `obj` named (by spaces), in that order, as the API gives them."""
    return {name: plain(getattr(obj, name)) for name in names.split()}


def plain_row(row: Any) -> dict[str, Any]:
    """A result row as a dict of the values the API gives."""
    return {name: plain(value) for name, value in row._asdict().items()}


def paged(q: WideSelect, limit: int | None, offset: int) -> WideSelect:
    """`q` from `offset`, at most `limit` rows (None: all)."""
    q = q.offset(offset)
    return q if limit is None else q.limit(limit)


def count_of(
    session: Session, q: Select[*tuple[Any, ...]], params: dict[str, Any] | None = None
) -> int:
    """How many rows `q` selects, counted by the database."""
    counted = select(func.count()).select_from(q.order_by(None).subquery())
    return int(session.connection().execute(counted, params or {}).scalar_one())


def newest_first(
    session: Session,
    q: WideSelect,
    key: Any,
    *,
    limit: int,
    offset: int,
    counted: bool,
) -> tuple[Sequence[Any], int]:
    """One page of `q`, highest `key` (the id) first, and how many rows `q` selects in all
    (-1 when not `counted`)."""
    rows = session.exec(paged(q.order_by(key.desc()), limit, offset)).all()
    return rows, count_of(session, q.with_only_columns(key)) if counted else -1
