"""One read of the market for planning: yards with their stock, recent generation and own use
by grade, and the open offers with their capacity left."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from market.planning.requests import add_months, month_start, months_between
from market.services.matching import open_market
from market.tables import LedgerEntry, Lot, Offer, Organisation, Site
from market.views import offers_with_open_capacity, open_offer_condition, stock_by_site

GENERATION_WINDOW_MONTHS = 6
"""Expected generation and own use are the averages of this many complete months before today."""
OWN_USE_KINDS = ("utilisation", "treatment", "disposal")
"""Stock that leaves a yard outside the market (a `utilisation` naming a delivery is a receipt)."""


# --------------------------------------------------------------------------- the snapshot


@dataclass(frozen=True)
class Yard:
    site: Site
    organisation: Organisation


@dataclass(frozen=True)
class Grade:
    quality: dict[str, float]
    weight: float
    max_haul_km: float | None


@dataclass(frozen=True)
class Snapshot:
    today: date
    start: date
    yards: dict[int, Yard]
    stock: dict[int, dict[str, float]]
    generation: dict[tuple[int, str], float]
    own_use: dict[tuple[int, str], float]
    grades: dict[tuple[int, str], list[Grade]]
    offers: list[tuple[Offer, Site, Organisation, float]]


def _window_averages(
    session: Session, yard_ids: Sequence[int], start: date
) -> tuple[dict[tuple[int, str], float], dict[tuple[int, str], float]]:
    """Monthly generation and own use per (yard, material): the window's sum ÷ months covered.

    A yard whose ledger for the material began inside the window is averaged over the months
    since its first entry, so a new yard's generation is not diluted by months it did not exist.
    """
    if not yard_ids:
        return {}, {}
    window_start = add_months(start, -GENERATION_WINDOW_MONTHS)
    counted = col(LedgerEntry.kind).in_(("generation", *OWN_USE_KINDS))
    rows = session.exec(
        select(
            LedgerEntry.site_id,
            LedgerEntry.material,
            LedgerEntry.kind,
            func.sum(LedgerEntry.tonnes),
        )
        .where(
            col(LedgerEntry.site_id).in_(set(yard_ids)),
            col(LedgerEntry.occurred_on) >= window_start,
            col(LedgerEntry.occurred_on) < start,
            counted,
            # a receipt's utilisation names its delivery: the dispatch already moved the stock
            ~and_(
                col(LedgerEntry.kind) == "utilisation", col(LedgerEntry.delivery_id).is_not(None)
            ),
        )
        .group_by(col(LedgerEntry.site_id), col(LedgerEntry.material), col(LedgerEntry.kind))
    ).all()
    first = {
        (sid, mat): day
        for sid, mat, day in session.exec(
            select(LedgerEntry.site_id, LedgerEntry.material, func.min(LedgerEntry.occurred_on))
            .where(col(LedgerEntry.site_id).in_(set(yard_ids)))
            .group_by(col(LedgerEntry.site_id), col(LedgerEntry.material))
        ).all()
    }
    generation: dict[tuple[int, str], float] = {}
    own_use: dict[tuple[int, str], float] = {}
    for sid, mat, kind, total in rows:
        began = first.get((sid, mat)) or window_start
        if isinstance(began, str):  # SQLite returns the aggregate as text
            began = date.fromisoformat(began)
        covered = months_between(max(month_start(began), window_start), start)
        months = max(1, min(GENERATION_WINDOW_MONTHS, covered))
        target = generation if kind == "generation" else own_use
        target[(sid, mat)] = target.get((sid, mat), 0.0) + float(total or 0.0) / months
    return generation, own_use


def _grades(
    session: Session, yard_ids: Sequence[int], today: date
) -> dict[tuple[int, str], list[Grade]]:
    """The assays a yard's stock of a material is taken to have, with their shares.

    The open lots' assays weighted by their open tonnes; for a yard with no open lot of the
    material, the assay of its most recent lot that has one. Lots with the same assay merge.
    """
    if not yard_ids:
        return {}
    lots, _ = open_market(session, today)
    open_by: dict[tuple[int, str], list[Grade]] = {}
    for lot, site, open_t in lots:
        if site.id in yard_ids and lot.quality:
            open_by.setdefault((site.id, lot.material), []).append(
                Grade(dict(lot.quality), open_t, lot.max_haul_km)
            )
    latest: dict[tuple[int, str], Grade] = {}
    for lot in session.exec(
        select(Lot)
        .where(col(Lot.site_id).in_(set(yard_ids)), col(Lot.withdrawn_at).is_(None))
        .order_by(col(Lot.id).desc())
    ).all():
        key = (lot.site_id, lot.material)
        if lot.quality and key not in latest:
            latest[key] = Grade(dict(lot.quality), 1.0, lot.max_haul_km)
    out: dict[tuple[int, str], list[Grade]] = {}
    for key in sorted(set(open_by) | set(latest)):
        merged: dict[str, Grade] = {}
        for g in open_by.get(key) or [latest[key]]:
            tag = json.dumps(g.quality, sort_keys=True)
            if tag in merged:
                m = merged[tag]
                haul = (
                    None
                    if m.max_haul_km is None or g.max_haul_km is None
                    else max(m.max_haul_km, g.max_haul_km)
                )
                merged[tag] = Grade(m.quality, m.weight + g.weight, haul)
            else:
                merged[tag] = g
        out[key] = list(merged.values())
    return out


def _open_offers(session: Session, today: date) -> list[tuple[Offer, Site, Organisation, float]]:
    """Offers not withdrawn, not ended and with capacity left, including ones not begun yet."""
    q, open_t = offers_with_open_capacity()
    query = q.where(open_offer_condition(open_t, today)).order_by(col(Offer.id))
    rows = session.exec(query).all()
    return [(offer, site, org, float(cap)) for offer, site, org, cap in rows]


def snapshot(session: Session, today: date) -> Snapshot:
    yards = {
        site.id: Yard(site, org)
        for site, org in session.exec(
            select(Site, Organisation)
            .join(Organisation, col(Organisation.id) == Site.organisation_id)
            .where(Site.kind == "yard")
            .order_by(col(Site.id))
        ).all()
        if site.id is not None
    }
    ids = list(yards)
    start = month_start(today)
    generation, own_use = _window_averages(session, ids, start)
    return Snapshot(
        today=today,
        start=start,
        yards=yards,
        stock=stock_by_site(session, ids),
        generation=generation,
        own_use=own_use,
        grades=_grades(session, ids, today),
        offers=_open_offers(session, today),
    )


def yard_streams(snap: Snapshot, materials: Sequence[str]) -> list[tuple[int, str, float]]:
    """(yard, material, stock) for every yard and material with stock or generation."""
    wanted = set(materials)
    out = []
    for sid in snap.yards:
        kinds = set(snap.stock.get(sid, {})) | {m for (s, m) in snap.generation if s == sid}
        for material in sorted(kinds):
            if wanted and material not in wanted:
                continue
            stock = max(0.0, snap.stock.get(sid, {}).get(material, 0.0))
            if stock <= 0 and snap.generation.get((sid, material), 0.0) <= 0:
                continue
            out.append((sid, material, stock))
    return out
