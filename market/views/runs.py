"""Match runs and the proposals they made, scoped to who may see them."""

from __future__ import annotations

import json
from functools import cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    and_,
    false,
    text,
    true,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from market.auth import Actor
from market.errors import NotFound
from market.services.common import OVERSEERS
from market.tables import (
    Lot,
    MatchRun,
    Offer,
    Organisation,
    Proposal,
    Site,
)
from market.views.common import _known, fields, paged, plain_row
from market.views.rules import deal_columns, join_deal
from market.wide import WideSelect, wide


def _require_overseer(actor: Actor) -> None:
    actor.require(*OVERSEERS)


def match_run_summary(run: Any, sizes: tuple[int, int] | None = None) -> dict[str, Any]:
    """A run's headline; `sizes` (lots, offers sent to the solver) when they were counted in
    the database, which spares reading the whole problem."""
    lots, facilities = sizes or (
        len(run.problem.get("lots", [])),
        len(run.problem.get("facilities", [])),
    )
    head = fields(run, "id status trigger started_at finished_at totals stats")
    return head | {"lots": lots, "facilities": facilities}


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
        wide(t.id, t.status, t.trigger, t.started_at, t.finished_at, t.totals, t.stats)
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
def _proposal_select() -> WideSelect:
    # plain columns, not ORM entities: proposals are listed by the hundred on every page view
    Plant = aliased(Site)
    Recycler = aliased(Organisation)
    q = wide(
        *Proposal.__table__.c,  # type: ignore[attr-defined]  # the whole proposal
        Lot.material,
        Lot.asking_price_cny_t,
        col(Lot.created_at).label("lot_created_at"),
        col(Offer.price_cny_t).label("offer_price_cny_t"),
        *deal_columns(
            "producer producer_id yard yard_lat yard_lon recycler recycler_id plant plant_lat"
            " plant_lon",
            plant=Plant,
            producer=Organisation,
            recycler=Recycler,
        ),
    )
    return join_deal(
        q,
        Proposal.lot_id,
        Proposal.offer_id,
        producer=Organisation,
        plant=Plant,
        recycler=Recycler,
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


def proposal_rows(
    session: Session,
    where: Any,
    *,
    limit: int | None = None,
    offset: int = 0,
    sort: str = "run",
) -> list[dict[str, Any]]:
    q = _proposal_select().where(where).order_by(*_proposal_order(sort))
    out = []
    for row in session.execute(paged(q, limit, offset)):
        r = plain_row(row)
        haul_t = r["haul_cost"] / r["tonnes"] if r["tonnes"] else 0.0
        r["haul_cny_t"] = round(haul_t, 2)
        r["landed_cost_cny_t"] = round(r["asking_price_cny_t"] + haul_t, 2)
        out.append(r)
    return out


def _unmatched_page(
    session: Session, run_id: int, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of a run's unmatched lots and how many there are, cut out of the stored list by
    the database: after a national run the list is megabytes of JSON, and parsing it whole took
    most of the run page's time."""
    if session.get_bind().dialect.name == "postgresql":
        rows = (
            "SELECT e::text FROM match_run, json_array_elements(match_run.unmatched)"
            " WITH ORDINALITY AS t(e, n) WHERE match_run.id = :id ORDER BY n"
        )
    else:
        rows = (
            "SELECT j.value FROM match_run, json_each(match_run.unmatched) AS j"
            " WHERE match_run.id = :id ORDER BY j.key"
        )
    conn = session.connection()
    total = conn.execute(
        text("SELECT json_array_length(unmatched) FROM match_run WHERE id = :id"), {"id": run_id}
    ).scalar()
    page = conn.execute(
        text(rows + " LIMIT :limit OFFSET :offset"),
        {"id": run_id, "limit": limit, "offset": offset},
    ).scalars()
    return [json.loads(v) for v in page], int(total or 0)


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
    out["params"] = session.exec(select(MatchRun.params).where(MatchRun.id == run_id)).one()
    out["unmatched"], out["unmatched_total"] = _unmatched_page(session, run_id, *unmatched)
    where = col(Proposal.run_id) == run_id
    out["proposals"] = proposal_rows(session, where, limit=proposals[0], offset=proposals[1])
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
    where = col(Proposal.run_id) == run_id
    if actor.role == "recycler":
        plant_owner = _proposal_select().selected_columns.recycler_id
        where = and_(where, plant_owner == actor.organisation_id)
    elif actor.role == "producer":
        where = and_(where, col(Site.organisation_id) == actor.organisation_id)
    if material:
        where = and_(where, col(Lot.material) == material if _known(material) else false())
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
    rows = proposal_rows(session, where, limit=limit, offset=offset, sort=sort)
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
    return proposal_rows(session, _proposal_scope(actor, run_id), limit=limit, offset=offset)
