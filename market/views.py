"""Read-only queries for listings and pages; each returns plain dicts in the API's shape.

Who may see what is decided here for reads, as the services decide it for writes: another
organisation's rows are filtered out in the query, never after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    and_,
    bindparam,
    case,
    false,
    not_,
    or_,
    true,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from market import clock
from market.auth import Actor
from market.catalogue import catalogue
from market.errors import NotFound
from market.ledger import STOCK_SIGN, stock_effect
from market.services.common import OVERSEERS
from market.tables import (
    Bid,
    Contract,
    Delivery,
    LedgerEntry,
    Lot,
    MatchRun,
    Offer,
    Organisation,
    Proposal,
    Site,
    User,
)


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


def list_sites(
    session: Session, actor: Actor, *, kind: str | None = None, everyone: bool = False
) -> list[dict[str, Any]]:
    """Own sites; overseers see all. `everyone` lists every site (names and places are public
    on the market map, but only the owner and overseers see the figures behind them)."""
    q = select(Site, Organisation).join(Organisation, col(Organisation.id) == Site.organisation_id)
    if not everyone and actor.role not in OVERSEERS:
        q = q.where(Site.organisation_id == actor.organisation_id)
    if kind:
        q = q.where(Site.kind == kind if kind in ("yard", "plant") else false())
    rows = session.exec(q.order_by(col(Site.id))).all()
    return [site_public(s, o) for s, o in rows]


def _known(material: str) -> bool:
    # a filter that can match nothing is not sent to the database: PostgreSQL refuses text
    # holding a NUL ("?material=%00" would be a 500)
    return material in catalogue().materials


# ----------------------------------------------------------------------------- paging

LOT_STATUSES = ("open", "reserved", "closed", "withdrawn")
OFFER_STATUSES = ("open", "full", "expired", "withdrawn")
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


def count_of(session: Session, q: Select[Any], params: dict[str, Any] | None = None) -> int:
    """How many rows `q` selects, counted by the database."""
    counted = select(func.count()).select_from(q.order_by(None).subquery())
    return int(session.connection().execute(counted, params or {}).scalar_one())


# ----------------------------------------------------------------------------- lots


def lot_status(lot: Any, open_t: float, has_active: bool, today: date) -> str:
    if lot.withdrawn_at is not None:
        return "withdrawn"
    expired = lot.available_until is not None and lot.available_until < today
    if open_t > 0 and not expired:
        return "open"
    return "reserved" if has_active else "closed"


@cache
def _lot_parts() -> tuple[Any, Any]:
    # Correlated sums over the lot's own contracts (index on contract.lot_id): a page of lots
    # reads only its contracts, where a grouped subquery would aggregate the whole market's.
    reserved = (
        select(func.coalesce(func.sum(Contract.tonnes), 0.0))
        .where(Contract.lot_id == Lot.id, col(Contract.status) != "cancelled")
        .scalar_subquery()
    )
    active = (
        select(func.count())
        .select_from(Contract)
        .where(Contract.lot_id == Lot.id, Contract.status == "active")
        .scalar_subquery()
    )
    return (Lot.tonnes - reserved).label("tonnes_open"), active.label("active_contracts")


def _with_lot_joins(q: Select[Any]) -> Select[Any]:
    return q.join(Site, col(Site.id) == Lot.site_id).join(
        Organisation, col(Organisation.id) == Site.organisation_id
    )


@cache
def lots_with_open_tonnes() -> tuple[Select[Any], Any]:
    """Lots as ORM objects with their open tonnes, for services that go on to use them."""
    open_t, active = _lot_parts()
    q = _with_lot_joins(select(Lot, Site, Organisation, open_t, active).select_from(Lot))
    return q, open_t


@cache
def _lot_listing() -> tuple[Select[Any], Any]:
    """The same rows as plain columns, for listings: building ORM objects for every row of
    every page view cost more than the query."""
    open_t, active = _lot_parts()
    q = _with_lot_joins(
        select(
            *Lot.__table__.c,  # type: ignore[attr-defined]
            Site.name.label("site_name"),  # type: ignore[attr-defined]
            Site.prefecture,
            Site.county,
            Site.lat,
            Site.lon,
            Organisation.id.label("org_id"),  # type: ignore[attr-defined]
            Organisation.name.label("org_name"),  # type: ignore[attr-defined]
            open_t,
            active,
        ).select_from(Lot)
    )
    return q, open_t


@cache
def _lot_statement(
    scope: str,
    mine: bool,
    by_material: bool,
    open_only: bool,
    one: bool,
    status: str | None = None,
    dated: tuple[bool, bool] = (False, False),
) -> Select[Any]:
    """Each shape of the lot listing built once, with bind parameters for its values: the
    listing runs on most page views, and building the expression each time cost more than
    running it. Without `one` the statement is unordered and unlimited: `_lot_page` orders
    and pages it, or counts it."""
    q, open_t = _lot_listing()
    today = bindparam("today", type_=Date)
    open_now = open_lot_condition(open_t, today)
    own = Site.organisation_id == bindparam("org")
    if scope == "producer":
        q = q.where(or_(own, open_now))
    elif scope == "public":
        q = q.where(open_now)
    if mine:
        q = q.where(own)
    if by_material:
        q = q.where(Lot.material == bindparam("material"))
    if open_only:
        q = q.where(open_now)
    if status is not None:
        q = q.where(_lot_status_is(status, open_t, today))
    if dated[0]:
        q = q.where(col(Lot.created_at) >= bindparam("since"))
    if dated[1]:
        q = q.where(col(Lot.created_at) < bindparam("until"))
    if one:
        return q.where(Lot.id == bindparam("lot_id"))
    return q


def _lot_status_is(status: str, open_t: Any, today: Any) -> ColumnElement[bool]:
    """`lot_status` as a condition, so that a status filter is counted and paged in SQL."""
    open_now = open_lot_condition(open_t, today)
    if status == "open":
        return open_now
    if status == "withdrawn":
        return col(Lot.withdrawn_at).is_not(None)
    if status not in ("reserved", "closed"):
        return false()
    active = _lot_parts()[1]
    held = active > 0 if status == "reserved" else active == 0
    return and_(col(Lot.withdrawn_at).is_(None), not_(open_now), held)


@cache
def _lot_paged(*shape: Any) -> tuple[Select[Any], Select[Any]]:
    q = _lot_statement(*shape)
    rows = q.order_by(col(Lot.id).desc()).limit(bindparam("limit")).offset(bindparam("offset"))
    counted = select(func.count()).select_from(
        q.with_only_columns(Lot.id).order_by(None).subquery()
    )
    return rows, counted


def _scope(actor: Actor) -> str:
    if actor.role in OVERSEERS:
        return "all"
    return "producer" if actor.role == "producer" else "public"


def _lot_row(row: Any, today: date) -> dict[str, Any]:
    site = SimpleNamespace(
        name=row.site_name, prefecture=row.prefecture, county=row.county, lat=row.lat, lon=row.lon
    )
    org = SimpleNamespace(id=row.org_id, name=row.org_name)
    return lot_public(row, site, org, row.tonnes_open, row.active_contracts, today)


def open_lot_condition(open_t: Any, today: date) -> ColumnElement[bool]:
    return and_(
        col(Lot.withdrawn_at).is_(None),
        open_t > 0,
        or_(col(Lot.available_until).is_(None), col(Lot.available_until) >= today),
    )


def lot_public(
    lot: Any, site: Any, org: Any, open_t: float, active: int, today: date
) -> dict[str, Any]:
    return {
        "id": lot.id,
        "site_id": lot.site_id,
        "site": site.name,
        "organisation_id": org.id,
        "organisation": org.name,
        "prefecture": site.prefecture,
        "county": site.county,
        "lat": site.lat,
        "lon": site.lon,
        "material": lot.material,
        "tonnes": lot.tonnes,
        "tonnes_open": round(max(open_t, 0.0), 3),
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
        _scope(actor),
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


def list_lots(
    session: Session,
    actor: Actor,
    *,
    material: str | None = None,
    status: str | None = None,
    mine: bool = False,
    limit: int = 200,
    offset: int = 0,
    today: date | None = None,
) -> list[dict[str, Any]]:
    f = ListFilter(status=status or None, material=material or None)
    return page_lots(
        session, actor, f, mine=mine, limit=limit, offset=offset, today=today, counted=False
    )[0]


def get_lot(
    session: Session, actor: Actor, lot_id: int, today: date | None = None
) -> dict[str, Any]:
    today = today or clock.today()
    q = _lot_statement(_scope(actor), False, False, False, True)
    params = {"today": today, "org": actor.organisation_id, "lot_id": lot_id}
    row = session.connection().execute(q, params).first()
    if row is None:
        raise NotFound("lot: {value} does not exist", field="lot", value=lot_id)
    return _lot_row(row, today)


# ----------------------------------------------------------------------------- offers


@cache
def offers_with_open_capacity() -> tuple[Select[Any], Any]:
    reserved = (
        select(func.coalesce(func.sum(Contract.tonnes), 0.0))
        .where(Contract.offer_id == Offer.id, col(Contract.status) != "cancelled")
        .scalar_subquery()
    )
    open_t = (Offer.capacity_t - reserved).label("capacity_open")
    q = (
        select(Offer, Site, Organisation, open_t)
        .join(Site, col(Site.id) == Offer.site_id)
        .join(Organisation, col(Organisation.id) == Site.organisation_id)
    )
    return q, open_t


def open_offer_condition(open_t: Any, today: date) -> ColumnElement[bool]:
    return and_(col(Offer.withdrawn_at).is_(None), open_t > 0, col(Offer.period_end) >= today)


def offer_status(offer: Offer, open_t: float, today: date) -> str:
    if offer.withdrawn_at is not None:
        return "withdrawn"
    if offer.period_end < today:
        return "expired"
    return "open" if open_t > 0 else "full"


def offer_public(
    offer: Offer, site: Site, org: Organisation, open_t: float, today: date
) -> dict[str, Any]:
    return {
        "id": offer.id,
        "site_id": offer.site_id,
        "site": site.name,
        "organisation_id": org.id,
        "organisation": org.name,
        "prefecture": site.prefecture,
        "county": site.county,
        "lat": site.lat,
        "lon": site.lon,
        "material": offer.material,
        "use": offer.use_code,
        "capacity_t": offer.capacity_t,
        "capacity_open_t": round(max(open_t, 0.0), 3),
        "period_start": offer.period_start.isoformat(),
        "period_end": offer.period_end.isoformat(),
        "spec": offer.spec,
        "price_cny_t": offer.price_cny_t,
        "max_haul_km": offer.max_haul_km,
        "status": offer_status(offer, open_t, today),
        "created_at": offer.created_at.isoformat(),
    }


def _offer_status_is(status: str, open_t: Any, today: date) -> ColumnElement[bool]:
    """`offer_status` as a condition, counted and paged in SQL."""
    live = and_(col(Offer.withdrawn_at).is_(None), col(Offer.period_end) >= today)
    if status == "withdrawn":
        return col(Offer.withdrawn_at).is_not(None)
    if status == "expired":
        return and_(col(Offer.withdrawn_at).is_(None), col(Offer.period_end) < today)
    if status == "open":
        return and_(live, open_t > 0)
    if status == "full":
        return and_(live, open_t <= 0)
    return false()


def page_offers(
    session: Session,
    actor: Actor,
    f: ListFilter = EVERYTHING,
    *,
    limit: int = 500,
    offset: int = 0,
    today: date | None = None,
    counted: bool = True,
) -> tuple[list[dict[str, Any]], int]:
    """Recyclers see their own offers; overseers see all; producers see the open ones (the
    market's demand side is public, as on any exchange). Newest first, with the total."""
    today = today or clock.today()
    q, open_t = offers_with_open_capacity()
    if actor.role == "recycler":
        q = q.where(Site.organisation_id == actor.organisation_id)
    elif actor.role == "producer":
        q = q.where(open_offer_condition(open_t, today))
    q = q.where(*_material_is(Offer.material, f), *_dated(col(Offer.created_at), f))
    if f.status:
        q = q.where(_offer_status_is(f.status, open_t, today))
    rows = session.exec(q.order_by(col(Offer.id).desc()).limit(limit).offset(offset)).all()
    total = count_of(session, q.with_only_columns(Offer.id)) if counted else -1
    return [offer_public(*row, today) for row in rows], total


def open_offers_by_site(session: Session, actor: Actor) -> dict[int, int]:
    """How many open offers each of the actor's plants has, counted by the database."""
    today = clock.today()
    q, open_t = offers_with_open_capacity()
    q = (
        q.with_only_columns(Offer.site_id, func.count())
        .where(Site.organisation_id == actor.organisation_id, open_offer_condition(open_t, today))
        .group_by(col(Offer.site_id))
    )
    return {site_id: int(n) for site_id, n in session.exec(q).all()}


def list_offers(
    session: Session,
    actor: Actor,
    *,
    material: str | None = None,
    status: str | None = None,
    limit: int = 500,
    offset: int = 0,
    today: date | None = None,
) -> list[dict[str, Any]]:
    f = ListFilter(status=status or None, material=material or None)
    return page_offers(session, actor, f, limit=limit, offset=offset, today=today, counted=False)[0]


def get_offer(session: Session, actor: Actor, offer_id: int) -> dict[str, Any]:
    today = clock.today()
    q, open_t = offers_with_open_capacity()
    q = q.where(Offer.id == offer_id)
    if actor.role == "recycler":
        q = q.where(Site.organisation_id == actor.organisation_id)
    elif actor.role == "producer":
        q = q.where(open_offer_condition(open_t, today))
    row = session.exec(q).first()
    if row is None:
        raise NotFound("offer: {value} does not exist", field="offer", value=offer_id)
    return offer_public(*row, today)


# ----------------------------------------------------------------------------- ledger


def entry_public(e: LedgerEntry, usernames: dict[int, str]) -> dict[str, Any]:
    return {
        "id": e.id,
        "seq": e.seq,
        "site_id": e.site_id,
        "kind": e.kind,
        "material": e.material,
        "tonnes": e.tonnes,
        "occurred_on": e.occurred_on.isoformat(),
        "document": e.document,
        "delivery_id": e.delivery_id,
        "recorded_by": usernames.get(e.recorded_by, str(e.recorded_by)),
        "recorded_at": e.recorded_at.isoformat(),
        "prev_hash": e.prev_hash,
        "hash": e.hash,
        "evidence": [d["id"] for d in e.evidence or []],
        "attestation": e.attestation,
        "correction_id": e.correction_id,
    }


def usernames(session: Session, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(select(User.id, User.username).where(col(User.id).in_(set(ids)))).all()
    return {uid: name for uid, name in rows if uid is not None}


LEDGER_KINDS = tuple(STOCK_SIGN)


def site_ledger(
    session: Session,
    actor: Actor,
    site_id: int,
    *,
    material: str | None = None,
    kind: str | None = None,
    month: tuple[date, date] | None = None,
    limit: int = 500,
    offset: int = 0,
) -> dict[str, Any]:
    """A yard's ledger, newest first (by day, then by sequence), with each entry's stock of its
    material after it (`running_t`, in day order over the whole ledger, whatever the filter);
    filtered by material, kind and month (first day, first day of the next); `count` is how
    many entries the filter selects."""
    site = session.get(Site, site_id)
    if site is None or (
        actor.role not in OVERSEERS and site.organisation_id != actor.organisation_id
    ):
        raise NotFound("site_id: {value} does not exist", field="site_id", value=site_id)
    running = (
        func.sum(_stock_effect_sql() * LedgerEntry.tonnes)
        .over(
            partition_by=col(LedgerEntry.material),
            order_by=(col(LedgerEntry.occurred_on), col(LedgerEntry.seq)),
        )
        .label("running_t")
    )
    stock = (
        select(col(LedgerEntry.id).label("entry_id"), running)
        .where(LedgerEntry.site_id == site_id)
        .subquery()
    )
    q = (
        select(LedgerEntry, stock.c.running_t)
        .join(stock, stock.c.entry_id == LedgerEntry.id)
        .where(LedgerEntry.site_id == site_id)
    )
    if material:
        q = q.where(LedgerEntry.material == material if _known(material) else false())
    if kind:
        q = q.where(LedgerEntry.kind == kind if kind in STOCK_SIGN else false())
    if month is not None:
        day = col(LedgerEntry.occurred_on)
        q = q.where(day >= month[0], day < month[1])
    total = count_of(session, q.with_only_columns(LedgerEntry.id))
    rows = session.exec(
        q.order_by(col(LedgerEntry.occurred_on).desc(), col(LedgerEntry.seq).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    names = usernames(session, [e.recorded_by for e, _ in rows])
    entries = []
    for e, run in rows:
        row = entry_public(e, names)
        row["stock_effect_t"] = round(stock_effect(e.kind, e.tonnes, e.delivery_id), 3)
        row["running_t"] = round(float(run or 0.0), 3)
        entries.append(row)
    return {
        "site": site_public(site),
        "balance_t": stock_by_site(session, [site_id]).get(site_id, {}),
        "count": total,
        "total": total,
        "limit": limit,
        "offset": offset,
        "entries": entries,
    }


_KINDS_WITH_SIGN = {
    sign: tuple(k for k, s in STOCK_SIGN.items() if s == sign) for sign in (-1, 0, 1)
}


def stock_by_site(session: Session, site_ids: Sequence[int]) -> dict[int, dict[str, float]]:
    """Balances per site and material, summed in the database (one query for many sites)."""
    if not site_ids:
        return {}
    sign = _stock_effect_sql()
    rows = session.exec(
        select(LedgerEntry.site_id, LedgerEntry.material, func.sum(sign * LedgerEntry.tonnes))
        .where(col(LedgerEntry.site_id).in_(set(site_ids)), LedgerEntry.kind != "p2o5_output")
        .group_by(col(LedgerEntry.site_id), col(LedgerEntry.material))
    ).all()
    out: dict[int, dict[str, float]] = {}
    for sid, mat, total in rows:
        out.setdefault(sid, {})[mat] = round(float(total or 0.0), 3)
    return out


def _stock_effect_sql() -> Any:
    """`stock_effect`'s sign as SQL: a receipt's utilisation moves no stock."""
    return case(
        (
            and_(LedgerEntry.kind == "utilisation", col(LedgerEntry.delivery_id).is_not(None)),
            0.0,
        ),
        (col(LedgerEntry.kind).in_(_KINDS_WITH_SIGN[1]), 1.0),
        (col(LedgerEntry.kind).in_(_KINDS_WITH_SIGN[-1]), -1.0),
        else_=0.0,
    )


# ----------------------------------------------------------------------------- match runs


def _require_overseer(actor: Actor) -> None:
    actor.require(*OVERSEERS)


def match_run_summary(run: Any, sizes: tuple[int, int] | None = None) -> dict[str, Any]:
    """A run's headline; `sizes` (lots, offers sent to the solver) when they were counted in
    the database, which spares reading the whole problem."""
    lots, facilities = sizes or (
        len(run.problem.get("lots", [])),
        len(run.problem.get("facilities", [])),
    )
    return {
        "id": run.id,
        "status": run.status,
        "trigger": run.trigger,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "totals": run.totals,
        "stats": run.stats,
        "lots": lots,
        "facilities": facilities,
    }


def _problem_sizes(session: Session) -> tuple[Any, Any]:
    """The number of lots and facilities in a run's stored problem, counted by the database:
    after a national run the problem is megabytes of JSON, read only to be counted."""
    problem = MatchRun.__table__.c.problem  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        return (
            func.json_array_length(problem.op("->")("lots")),
            func.json_array_length(problem.op("->")("facilities")),
        )
    return (
        func.json_array_length(problem, "$.lots"),
        func.json_array_length(problem, "$.facilities"),
    )


def _run_headers(session: Session, where: Any, limit: int, offset: int = 0) -> list[Any]:
    """Runs without their stored problem, each with `sizes`: the lots and offers sent to the
    solver, from the engine's stats, or counted by the database for a run whose stats lack
    them (a national problem is megabytes of JSON, not read to be counted)."""
    t = MatchRun.__table__.c  # type: ignore[attr-defined]
    q = (
        select(t.id, t.status, t.trigger, t.started_at, t.finished_at, t.totals, t.stats)
        .where(where)
        .order_by(t.id.desc())
        .limit(limit)
        .offset(offset)
    )
    rows = [SimpleNamespace(**r._asdict()) for r in session.connection().execute(q)]
    missing = []
    for r in rows:
        stats = r.stats or {}
        if isinstance(stats.get("lots"), int) and isinstance(stats.get("facilities"), int):
            r.sizes = (stats["lots"], stats["facilities"])
        else:
            missing.append(r)
    if missing:
        lots, facilities = _problem_sizes(session)
        counted = dict(
            (run_id, (int(n or 0), int(m or 0)))
            for run_id, n, m in session.connection().execute(
                select(t.id, lots, facilities).where(t.id.in_([r.id for r in missing]))
            )
        )
        for r in missing:
            r.sizes = counted.get(r.id, (0, 0))
    return rows


def list_match_runs(
    session: Session, actor: Actor, limit: int = 50, offset: int = 0
) -> list[dict[str, Any]]:
    _require_overseer(actor)
    rows = _run_headers(session, true(), limit, offset)
    return [match_run_summary(r, r.sizes) for r in rows]


def count_match_runs(session: Session, actor: Actor) -> int:
    _require_overseer(actor)
    return int(session.exec(select(func.count()).select_from(MatchRun)).one())


PROPOSAL_SORTS = ("run", "cost", "-cost", "tonnes", "-tonnes", "distance", "-distance", "date")


@cache
def _proposal_select() -> Select[Any]:
    # plain columns, not ORM entities: proposals are listed by the hundred on every page view
    Plant = aliased(Site)
    Recycler = aliased(Organisation)
    return (
        select(
            Proposal.id,
            Proposal.run_id,
            Proposal.lot_id,
            Proposal.offer_id,
            Proposal.tonnes,
            Proposal.road_km,
            Proposal.haul_cost,
            Proposal.co2_kg,
            Proposal.margins,
            Lot.material,
            Lot.asking_price_cny_t,
            Lot.created_at.label("lot_created_at"),  # type: ignore[attr-defined]
            Offer.price_cny_t.label("offer_price_cny_t"),
            Organisation.name.label("producer"),
            Organisation.id.label("producer_id"),
            Site.name.label("yard"),
            Site.lat.label("yard_lat"),
            Site.lon.label("yard_lon"),
            Recycler.name.label("recycler"),
            Recycler.id.label("recycler_id"),
            Plant.name.label("plant"),
            Plant.lat.label("plant_lat"),
            Plant.lon.label("plant_lon"),
        )
        .join(Lot, col(Lot.id) == Proposal.lot_id)
        .join(Site, col(Site.id) == Lot.site_id)
        .join(Organisation, col(Organisation.id) == Site.organisation_id)
        .join(Offer, col(Offer.id) == Proposal.offer_id)
        .join(Plant, col(Plant.id) == Offer.site_id)
        .join(Recycler, col(Recycler.id) == Plant.organisation_id)
    )


def _proposal_order(sort: str) -> tuple[Any, ...]:
    """A proposals list's order: the run's own (`run`), landed cost per tonne, tonnes, road
    distance (cheapest, largest, nearest first; `-` turns it round), or `date`: newest lot
    first. Ties go by the run's order."""
    cost = Lot.asking_price_cny_t + Proposal.haul_cost / func.nullif(Proposal.tonnes, 0)
    keys: dict[str, Any] = {
        "cost": cost,
        "-cost": cost.desc(),
        "tonnes": col(Proposal.tonnes).desc(),
        "-tonnes": col(Proposal.tonnes),
        "distance": col(Proposal.road_km),
        "-distance": col(Proposal.road_km).desc(),
        "date": col(Lot.created_at).desc(),
    }
    first = keys.get(sort)
    return (col(Proposal.id),) if first is None else (first, col(Proposal.id))


def _proposal_rows(
    session: Session,
    where: Any,
    *,
    limit: int | None = None,
    offset: int = 0,
    sort: str = "run",
) -> list[dict[str, Any]]:
    q = _proposal_select().where(where).order_by(*_proposal_order(sort)).offset(offset)
    if limit is not None:
        q = q.limit(limit)
    out = []
    for row in session.execute(q):
        r = row._asdict()
        haul_t = r["haul_cost"] / r["tonnes"] if r["tonnes"] else 0.0
        r["haul_cny_t"] = round(haul_t, 2)
        r["landed_cost_cny_t"] = round(r["asking_price_cny_t"] + haul_t, 2)
        r["lot_created_at"] = r["lot_created_at"].isoformat()
        out.append(r)
    return out


def match_run_public(
    session: Session,
    actor: Actor,
    run_id: int,
    *,
    proposals: tuple[int, int] = (500, 0),
    unmatched: tuple[int, int] = (500, 0),
) -> dict[str, Any]:
    """A run with one page of its proposals and one of its unmatched lots (limit, offset of
    each), and how many of each there are (`proposals_total`, `unmatched_total`)."""
    _require_overseer(actor)
    header = _run_headers(session, MatchRun.id == run_id, 1)
    if not header:
        raise NotFound("match run: {value} does not exist", field="id", value=run_id)
    h = header[0]
    out = match_run_summary(h, h.sizes)
    extra = session.exec(
        select(MatchRun.params, MatchRun.unmatched).where(MatchRun.id == run_id)
    ).one()
    out["params"] = extra[0]
    left = extra[1] or []
    out["unmatched"] = left[unmatched[1] : unmatched[1] + unmatched[0]]
    out["unmatched_total"] = len(left)
    where = Proposal.run_id == run_id
    out["proposals"] = _proposal_rows(session, where, limit=proposals[0], offset=proposals[1])
    out["proposals_total"] = int(
        session.exec(select(func.count()).select_from(Proposal).where(where)).one()
    )
    return out


def latest_run_id(session: Session) -> int | None:
    """The run whose proposals participants see: the latest that matched something.

    A run that matched nothing (a mistaken parameter, or a solver that gave up) would otherwise
    blank every participant's proposals until the next good run; it stays readable by its id.
    When no run ever matched anything, the latest run.
    """
    recent = session.exec(
        select(MatchRun.id, MatchRun.totals).order_by(col(MatchRun.id).desc()).limit(50)
    ).all()
    for run_id, totals in recent:
        if (totals or {}).get("matched_t", 0) > 0:
            return run_id
    return recent[0][0] if recent else None


def _proposal_scope(actor: Actor, run_id: int, material: str | None = None) -> Any:
    where = Proposal.run_id == run_id
    if actor.role == "recycler":
        plant_owner = _proposal_select().selected_columns.recycler_id
        where = and_(where, plant_owner == actor.organisation_id)
    elif actor.role == "producer":
        where = and_(where, Site.organisation_id == actor.organisation_id)
    if material:
        where = and_(where, Lot.material == material if _known(material) else false())
    return where


def page_proposals(
    session: Session,
    actor: Actor,
    run_id: int | None = None,
    *,
    material: str | None = None,
    sort: str = "run",
    limit: int = 500,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """A page of the proposals of a run (the latest by default) that concern the actor, and
    how many there are."""
    run_id = run_id or latest_run_id(session)
    if run_id is None:
        return [], 0
    where = _proposal_scope(actor, run_id, material)
    rows = _proposal_rows(session, where, limit=limit, offset=offset, sort=sort)
    return rows, _count_proposals(session, actor, run_id, material)


def _count_proposals(session: Session, actor: Actor, run_id: int, material: str | None) -> int:
    """`_proposal_scope`'s rows counted with only the joins the scope needs (an index on
    proposal (run_id, offer_id) and (run_id, lot_id) covers the proposal side)."""
    if material and not _known(material):
        return 0
    q = select(func.count()).select_from(Proposal).where(Proposal.run_id == run_id)
    if actor.role == "recycler":
        q = q.join(Offer, col(Offer.id) == Proposal.offer_id).join(
            Site, col(Site.id) == Offer.site_id
        )
        q = q.where(Site.organisation_id == actor.organisation_id)
    if actor.role == "producer" or material:
        q = q.join(Lot, col(Lot.id) == Proposal.lot_id)
        if material:
            q = q.where(Lot.material == material)
        if actor.role == "producer":
            Yard = aliased(Site)
            q = q.join(Yard, col(Yard.id) == Lot.site_id).where(
                Yard.organisation_id == actor.organisation_id
            )
    return int(session.exec(q).one())


def list_proposals(
    session: Session,
    actor: Actor,
    run_id: int | None = None,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The proposals of a run (the latest by default) that concern the actor: a recycler's
    plants, a producer's lots; overseers see all."""
    run_id = run_id or latest_run_id(session)
    if run_id is None:
        return []
    return _proposal_rows(session, _proposal_scope(actor, run_id), limit=limit, offset=offset)


# ----------------------------------------------------------------------------- bids


def bid_public(bid: Bid) -> dict[str, Any]:
    return {
        "id": bid.id,
        "proposal_id": bid.proposal_id,
        "organisation_id": bid.organisation_id,
        "price_cny_t": bid.price_cny_t,
        "tonnes": bid.tonnes,
        "status": bid.status,
        "created_at": bid.created_at.isoformat(),
        "decided_at": bid.decided_at.isoformat() if bid.decided_at else None,
    }


@cache
def _bid_select() -> Select[Any]:
    Recycler = aliased(Organisation)
    Plant = aliased(Site)
    return (
        select(
            Bid.id,
            Bid.proposal_id,
            Bid.organisation_id,
            Bid.price_cny_t,
            Bid.tonnes,
            Bid.status,
            Bid.created_at,
            Bid.decided_at,
            Lot.id.label("lot_id"),
            Offer.id.label("offer_id"),
            Lot.material,
            Site.name.label("yard"),
            Site.organisation_id.label("producer_id"),
            Recycler.name.label("recycler"),
            Plant.name.label("plant"),
            Proposal.tonnes.label("proposal_tonnes"),
            Proposal.road_km,
            Proposal.haul_cost,
        )
        .join(Proposal, col(Proposal.id) == Bid.proposal_id)
        .join(Lot, col(Lot.id) == Proposal.lot_id)
        .join(Site, col(Site.id) == Lot.site_id)
        .join(Recycler, col(Recycler.id) == Bid.organisation_id)
        .join(Offer, col(Offer.id) == Proposal.offer_id)
        .join(Plant, col(Plant.id) == Offer.site_id)
        .order_by(col(Bid.id).desc())
    )


def _bid_filter(f: ListFilter) -> list[ColumnElement[bool]]:
    out = [*_material_is(Lot.material, f), *_dated(col(Bid.created_at), f)]
    if f.status:
        out.append(Bid.status == f.status if f.status in BID_STATUSES else false())
    return out


def _bid_rows(
    session: Session, where: Any, *, limit: int | None = None, offset: int = 0
) -> list[dict[str, Any]]:
    q = _bid_select().where(where).offset(offset)
    if limit is not None:
        q = q.limit(limit)
    out = []
    for row in session.execute(q):
        r = row._asdict()
        haul = r.pop("haul_cost")
        r["haul_cny_t"] = round(haul / r["proposal_tonnes"], 2) if r["proposal_tonnes"] else 0
        r["created_at"] = r["created_at"].isoformat()
        r["decided_at"] = r["decided_at"].isoformat() if r["decided_at"] else None
        out.append(r)
    return out


def _sees_proposal(session: Session, actor: Actor, proposal: Proposal) -> bool:
    """A producer sees the proposals of its lots, a recycler those for its offers."""
    if actor.role == "producer":
        site = select(Lot.site_id).where(Lot.id == proposal.lot_id).scalar_subquery()
    elif actor.role == "recycler":
        site = select(Offer.site_id).where(Offer.id == proposal.offer_id).scalar_subquery()
    else:
        return True
    owner = session.exec(select(Site.organisation_id).where(Site.id == site)).first()
    return owner == actor.organisation_id


def _bid_scope(actor: Actor) -> Any:
    if actor.role == "recycler":
        return Bid.organisation_id == actor.organisation_id
    if actor.role == "producer":
        return Site.organisation_id == actor.organisation_id
    return true()


def list_bids(
    session: Session, actor: Actor, *, limit: int | None = None, offset: int = 0
) -> list[dict[str, Any]]:
    """Bids that concern the actor: a recycler's own, those on a producer's lots; overseers all."""
    return _bid_rows(session, _bid_scope(actor), limit=limit, offset=offset)


def page_bids(
    session: Session,
    actor: Actor,
    f: ListFilter = EVERYTHING,
    *,
    lot_id: int | None = None,
    limit: int = 500,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """A page of the bids that concern the actor, newest first, and how many there are."""
    where = and_(_bid_scope(actor), *_bid_filter(f))
    if lot_id is not None:
        where = and_(where, Lot.id == lot_id)
    rows = _bid_rows(session, where, limit=limit, offset=offset)
    counted = _bid_select().with_only_columns(Bid.id).where(where)
    return rows, count_of(session, counted)


def latest_bids(
    session: Session, actor: Actor, proposal_ids: Sequence[int]
) -> dict[int, dict[str, Any]]:
    """The newest bid the actor sees on each of these proposals (a page of them)."""
    if not proposal_ids:
        return {}
    rows = _bid_rows(session, and_(_bid_scope(actor), col(Bid.proposal_id).in_(set(proposal_ids))))
    out: dict[int, dict[str, Any]] = {}
    for b in rows:  # newest first
        out.setdefault(b["proposal_id"], b)
    return out


def bids_for_proposal(session: Session, actor: Actor, proposal_id: int) -> list[dict[str, Any]]:
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or not _sees_proposal(session, actor, proposal):
        # another organisation's proposal reads as a missing one: ids are not revealed
        raise NotFound(
            "proposal: {proposal_id} does not exist", field="proposal", proposal_id=proposal_id
        )
    return _bid_rows(session, and_(_bid_scope(actor), Bid.proposal_id == proposal_id))


# ----------------------------------------------------------------------------- contracts


def contract_public(c: Contract) -> dict[str, Any]:
    return {
        "id": c.id,
        "bid_id": c.bid_id,
        "lot_id": c.lot_id,
        "offer_id": c.offer_id,
        "tonnes": c.tonnes,
        "price_cny_t": c.price_cny_t,
        "status": c.status,
        "created_at": c.created_at.isoformat(),
        "closed_at": c.closed_at.isoformat() if c.closed_at else None,
    }


@cache
def _contract_select() -> Select[Any]:
    Plant = aliased(Site)
    Producer = aliased(Organisation)
    Recycler = aliased(Organisation)
    # correlated sums: with a page of contracts, only their deliveries are read (index on
    # delivery.contract_id), however many deliveries the market has seen
    sent = (
        select(func.coalesce(func.sum(Delivery.tonnes), 0.0))
        .where(Delivery.contract_id == Contract.id)
        .scalar_subquery()
    )
    received = (
        select(func.coalesce(func.sum(Delivery.received_tonnes), 0.0))
        .where(Delivery.contract_id == Contract.id, Delivery.status == "received")
        .scalar_subquery()
    )
    return (
        select(
            Contract.id,
            Contract.bid_id,
            Contract.lot_id,
            Contract.offer_id,
            Contract.tonnes,
            Contract.price_cny_t,
            Contract.status,
            Contract.created_at,
            Contract.closed_at,
            Lot.material,
            Site.name.label("yard"),
            Site.id.label("yard_id"),
            Producer.name.label("producer"),
            Producer.id.label("producer_id"),
            Plant.name.label("plant"),
            Recycler.name.label("recycler"),
            Recycler.id.label("recycler_id"),
            sent.label("dispatched_t"),
            received.label("received_t"),
        )
        .join(Lot, col(Lot.id) == Contract.lot_id)
        .join(Site, col(Site.id) == Lot.site_id)
        .join(Producer, col(Producer.id) == Site.organisation_id)
        .join(Offer, col(Offer.id) == Contract.offer_id)
        .join(Plant, col(Plant.id) == Offer.site_id)
        .join(Recycler, col(Recycler.id) == Plant.organisation_id)
        .order_by(col(Contract.id).desc())
    )


def _contract_rows(
    session: Session, actor: Actor, where: Any, *, limit: int = 500, offset: int = 0
) -> list[dict[str, Any]]:
    q = _contract_select()
    cols = q.selected_columns
    q = q.where(where)
    if actor.role not in OVERSEERS:
        q = q.where(
            or_(
                cols.producer_id == actor.organisation_id, cols.recycler_id == actor.organisation_id
            )
        )
    out = []
    for row in session.execute(q.limit(limit).offset(offset)):
        r = row._asdict()
        r["created_at"] = r["created_at"].isoformat()
        r["closed_at"] = r["closed_at"].isoformat() if r["closed_at"] else None
        r["dispatched_t"] = round(float(r["dispatched_t"]), 3)
        r["received_t"] = round(float(r["received_t"]), 3)
        r["remaining_t"] = round(r["tonnes"] - r["dispatched_t"], 3)
        out.append(r)
    return out


def list_contracts(
    session: Session, actor: Actor, *, limit: int = 500, offset: int = 0
) -> list[dict[str, Any]]:
    return _contract_rows(session, actor, true(), limit=limit, offset=offset)


def page_contracts(
    session: Session,
    actor: Actor,
    f: ListFilter = EVERYTHING,
    *,
    limit: int = 500,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """A page of the contracts the actor is party to (overseers: all), newest first, and how
    many there are."""
    where = and_(true(), *_material_is(Lot.material, f), *_dated(col(Contract.created_at), f))
    if f.status:
        where = and_(
            where, Contract.status == f.status if f.status in CONTRACT_STATUSES else false()
        )
    rows = _contract_rows(session, actor, where, limit=limit, offset=offset)
    q = _contract_select()
    cols = q.selected_columns
    counted = q.with_only_columns(Contract.id).where(where)
    if actor.role not in OVERSEERS:
        counted = counted.where(
            or_(
                cols.producer_id == actor.organisation_id, cols.recycler_id == actor.organisation_id
            )
        )
    return rows, count_of(session, counted)


def get_contract(session: Session, actor: Actor, contract_id: int) -> dict[str, Any]:
    rows = _contract_rows(session, actor, Contract.id == contract_id)
    if not rows:
        raise NotFound(
            "contract: {contract_id} does not exist", field="contract", contract_id=contract_id
        )
    row = rows[0]
    row["deliveries"] = list_deliveries(session, actor, contract_id)
    return row


# ----------------------------------------------------------------------------- deliveries


def delivery_public(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "contract_id": d.contract_id,
        "manifest_no": d.manifest_no,
        "tonnes": d.tonnes,
        "truck_plate": d.truck_plate,
        "dispatched_at": d.dispatched_at.isoformat(),
        "received_tonnes": d.received_tonnes,
        "received_at": d.received_at.isoformat() if d.received_at else None,
        "settled_tonnes": d.settled_tonnes,
        "settled_at": d.settled_at.isoformat() if d.settled_at else None,
        "status": d.status,
        "note": d.note,
    }


def _delivery_query(
    actor: Actor,
    contract_id: int | None,
    delivery_id: int | None,
    f: ListFilter,
    to_plants_of: int | None,
) -> Select[Any]:
    Plant = aliased(Site)
    q = (
        select(Delivery, Lot, Site, Plant)
        .join(Contract, col(Contract.id) == Delivery.contract_id)
        .join(Lot, col(Lot.id) == Contract.lot_id)
        .join(Site, col(Site.id) == Lot.site_id)
        .join(Offer, col(Offer.id) == Contract.offer_id)
        .join(Plant, col(Plant.id) == Offer.site_id)
    )
    if contract_id is not None:
        q = q.where(Delivery.contract_id == contract_id)
    if delivery_id is not None:
        q = q.where(Delivery.id == delivery_id)
    if actor.role not in OVERSEERS:
        q = q.where(
            or_(
                Site.organisation_id == actor.organisation_id,
                Plant.organisation_id == actor.organisation_id,
            )
        )
    if to_plants_of is not None:
        q = q.where(Plant.organisation_id == to_plants_of)
    q = q.where(*_material_is(Lot.material, f), *_dated(col(Delivery.dispatched_at), f))
    if f.status:
        q = q.where(Delivery.status == f.status if f.status in DELIVERY_STATUSES else false())
    return q


def page_deliveries(
    session: Session,
    actor: Actor,
    contract_id: int | None = None,
    f: ListFilter = EVERYTHING,
    *,
    to_plants_of: int | None = None,
    delivery_id: int | None = None,
    limit: int = 500,
    offset: int = 0,
    counted: bool = True,
) -> tuple[list[dict[str, Any]], int]:
    """A page of the deliveries the actor is party to (overseers: all), newest first, and how
    many there are; `to_plants_of` keeps those received at that organisation's plants."""
    q = _delivery_query(actor, contract_id, delivery_id, f, to_plants_of)
    rows = session.exec(q.order_by(col(Delivery.id).desc()).limit(limit).offset(offset)).all()
    out = []
    for d, lot, yard, plant in rows:
        row = delivery_public(d)
        row |= {
            "material": lot.material,
            "yard": yard.name,
            "plant": plant.name,
            "producer_id": yard.organisation_id,
            "recycler_id": plant.organisation_id,
        }
        out.append(row)
    total = count_of(session, q.with_only_columns(Delivery.id)) if counted else -1
    return out, total


def list_deliveries(
    session: Session,
    actor: Actor,
    contract_id: int | None,
    *,
    delivery_id: int | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    return page_deliveries(
        session, actor, contract_id, delivery_id=delivery_id, limit=limit, counted=False
    )[0]
