"""Lots as the listings show them: pages, one lot, in the API's shape."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    Date,
    bindparam,
)
from sqlmodel import Session, col, func, select
from sqlmodel.sql.expression import SelectOfScalar

from market import clock
from market.auth import Actor
from market.errors import NotFound
from market.tables import (
    Lot,
    Organisation,
    Site,
)
from market.views.common import EVERYTHING, ListFilter, _instant, _known, placed
from market.views.rules import (
    SQL,
    _lot_parts,
    _lot_status_is,
    join_yard,
    lot_columns,
    lot_status,
    lot_visible,
    open_lot_condition,
    shown_open_t,
)
from market.wide import WideSelect, wide


@cache
def _lot_listing() -> tuple[WideSelect, Any]:
    """The same rows as plain columns, for listings: building ORM objects for every row of
    every page view cost more than the query."""
    open_t, active = _lot_parts()
    q = join_yard(
        wide(
            *Lot.__table__.c,  # type: ignore[attr-defined]
            col(Site.name).label("site_name"),
            Site.prefecture,
            Site.county,
            Site.lat,
            Site.lon,
            col(Organisation.id).label("org_id"),
            col(Organisation.name).label("org_name"),
            open_t,
            active,
        ).select_from(Lot)
    )
    return q, open_t


@cache
def _lot_statement(
    role: str,
    mine: bool,
    by_material: bool,
    open_only: bool,
    one: bool,
    status: str | None = None,
    dated: tuple[bool, bool] = (False, False),
) -> WideSelect:
    """Each shape of the lot listing built once, with bind parameters for its values: the
    listing runs on most page views, and building the expression each time cost more than
    running it. Without `one` the statement is unordered and unlimited: `_lot_page` orders
    and pages it, or counts it."""
    q, open_t = _lot_listing()
    today = bindparam("today", type_=Date)
    org: Any = bindparam("org")
    q = q.where(lot_visible(SQL, lot_columns(open_t), today, role, org))
    if mine:
        q = q.where(col(Site.organisation_id) == org)
    if by_material:
        q = q.where(Lot.material == bindparam("material"))
    if open_only:
        q = q.where(open_lot_condition(open_t, today))
    if status is not None:
        q = q.where(_lot_status_is(status, open_t, today))
    if dated[0]:
        q = q.where(col(Lot.created_at) >= bindparam("since"))
    if dated[1]:
        q = q.where(col(Lot.created_at) < bindparam("until"))
    if one:
        return q.where(Lot.id == bindparam("lot_id"))
    return q


@cache
def _lot_paged(*shape: Any) -> tuple[WideSelect, SelectOfScalar[int]]:
    q = _lot_statement(*shape)
    rows = q.order_by(col(Lot.id).desc()).limit(bindparam("limit")).offset(bindparam("offset"))
    counted = select(func.count()).select_from(
        q.with_only_columns(col(Lot.id)).order_by(None).subquery()
    )
    return rows, counted


def _lot_row(row: Any, today: date) -> dict[str, Any]:
    site = SimpleNamespace(
        name=row.site_name, prefecture=row.prefecture, county=row.county, lat=row.lat, lon=row.lon
    )
    org = SimpleNamespace(id=row.org_id, name=row.org_name)
    return lot_public(row, site, org, row.tonnes_open, row.active_contracts, today)


def lot_public(
    lot: Any, site: Any, org: Any, open_t: float, active: int, today: date
) -> dict[str, Any]:
    return {
        **placed(lot, site, org),
        "material": lot.material,
        "tonnes": lot.tonnes,
        "tonnes_open": shown_open_t(open_t),
        "quality": lot.quality,
        "lab_report": lot.lab_report,
        "sampled_on": lot.sampled_on.isoformat() if lot.sampled_on else None,
        "available_from": lot.available_from.isoformat(),
        "available_until": lot.available_until.isoformat() if lot.available_until else None,
        "asking_price_cny_t": lot.asking_price_cny_t,
        "max_haul_km": lot.max_haul_km,
        "status": lot_status(lot, open_t, active > 0, today),
        "version": lot.version,
        "created_at": lot.created_at.isoformat(),
        "updated_at": lot.updated_at.isoformat(),
    }


def page_lots(
    session: Session,
    actor: Actor,
    f: ListFilter = EVERYTHING,
    *,
    mine: bool = False,
    limit: int = 200,
    offset: int = 0,
    today: date | None = None,
    counted: bool = True,
) -> tuple[list[dict[str, Any]], int]:
    """A page of lots, newest first, and how many the filter selects in all (-1 when not
    `counted`)."""
    today = today or clock.today()
    if f.material and not _known(f.material):
        return [], 0
    shape = (
        actor.role,
        mine,
        bool(f.material),
        False,
        False,
        f.status,
        (f.since is not None, f.until is not None),
    )
    rows_q, count_q = _lot_paged(*shape)
    params = {
        "today": today,
        "org": actor.organisation_id,
        "material": f.material,
        "since": _instant(f.since) if f.since else None,
        "until": _instant(f.until + timedelta(days=1)) if f.until else None,
        "limit": limit,
        "offset": offset,
    }
    conn = session.connection()
    rows = conn.execute(rows_q, params).all()
    total = int(conn.execute(count_q, params).scalar_one()) if counted else -1
    return [_lot_row(row, today) for row in rows], total


def get_lot(
    session: Session, actor: Actor, lot_id: int, today: date | None = None
) -> dict[str, Any]:
    today = today or clock.today()
    q = _lot_statement(actor.role, False, False, False, True)
    params = {"today": today, "org": actor.organisation_id, "lot_id": lot_id}
    row = session.connection().execute(q, params).first()
    if row is None:
        raise NotFound("lot: {value} does not exist", field="lot", value=lot_id)
    return _lot_row(row, today)
