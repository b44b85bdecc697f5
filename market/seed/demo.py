"""Loading the demo data set once: the marker, and the organisations, sites, lots and offers."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from sqlmodel import select

from market import clock
from market.auth import UNUSABLE_PASSWORD, Actor, hash_password
from market.db import Database, UnitOfWork
from market.seed.catalogue import sync_catalogue
from market.seed.common import SeedReport, month_starts
from market.seed.history import _history
from market.seed.trust import _evidence, _trust, link_evaluator
from market.services import lots, offers, sites
from market.services.users import ensure_organisation
from market.settings import Settings
from market.tables import AppSetting, User
from seed_data import DemoDataSet, load_demo

DEMO_MARKER = "demo_data_set"


def demo_seeded(db: Database) -> bool:
    with db.read_session() as session:
        return session.get(AppSetting, DEMO_MARKER) is not None


def seed_demo(db: Database, settings: Settings) -> SeedReport:
    if demo_seeded(db):
        return SeedReport(created=False)
    sync_catalogue(db)
    demo = load_demo()
    with db.unit_of_work(batch=True) as uow:
        report = _load(uow, demo, settings)
        uow.session.add(
            AppSetting(
                key=DEMO_MARKER,
                value={"label": demo.label_en, "loaded_at": clock.now().isoformat()},
            )
        )
        uow.finish()
    return report


def _load(uow: UnitOfWork, demo: DemoDataSet, settings: Settings) -> SeedReport:
    report = SeedReport(created=True)
    rng = random.Random(demo.seed)
    demo_users = {u.organisation: u for u in demo.users}
    actors: dict[str, Actor] = {}
    for o in demo.organisations:
        org = ensure_organisation(uow, o.name, o.kind, o.pg_ratio)
        assert org.id is not None
        report.organisations += 1
        du = demo_users.get(o.key)
        if du is not None:
            username, password_hash = du.username, hash_password(demo.password)
        else:
            # staff of the other demo organisations exist so that their records have an author;
            # their hash is not an argon2 hash, so no password ever matches it
            username, password_hash = f"{o.key}-staff", UNUSABLE_PASSWORD
        user = uow.session.exec(select(User).where(User.username == username)).first()
        if user is None:
            user = User(
                username=username,
                password_hash=password_hash,
                role=o.kind,
                organisation_id=org.id,
            )
            uow.session.add(user)
            uow.flush()
        assert user.id is not None
        actors[o.key] = Actor(user.id, username, o.kind, org.id, org.name)

    for o in demo.organisations:
        for producer in o.evaluates:
            link_evaluator(uow, actors[o.key].organisation_id, actors[producer].organisation_id)

    site_ids: dict[str, int] = {}
    for s in demo.sites:
        actor = actors[s.organisation]
        row = sites.post_site(
            uow, actor, {"name": s.name, "kind": s.kind, "lat": s.lat, "lon": s.lon}
        )
        assert row.id is not None
        site_ids[s.key] = row.id
        report.sites += 1

    history_start = month_starts(demo.history_end, demo.history_months)[0]
    current_start = demo.history_end + timedelta(days=1)
    current_end = date(current_start.year + 1, current_start.month, 1) - timedelta(days=1)
    site_by_key = {s.key: s for s in demo.sites}

    offer_rows: list[tuple[str, int, Any]] = []
    for demo_offer in demo.offers:
        site = site_by_key[demo_offer.site]
        posted = offers.post_offer(
            uow,
            actors[site.organisation],
            {
                "site_id": site_ids[demo_offer.site],
                "material": demo_offer.material,
                "use": demo_offer.use,
                "capacity_t": demo_offer.capacity_t,
                "period_start": current_start.isoformat(),
                "period_end": current_end.isoformat(),
                "spec": {
                    k: {kk: vv for kk, vv in (("min", b.min), ("max", b.max)) if vv is not None}
                    for k, b in demo_offer.spec.items()
                },
                "price_cny_t": demo_offer.price_cny_t,
                "max_haul_km": demo_offer.max_haul_km,
            },
        )
        offer_rows.append((demo_offer.site, posted.id or 0, demo_offer))
        report.offers += 1

    for lot in demo.lots:
        site = site_by_key[lot.site]
        lots.post_lot(
            uow,
            actors[site.organisation],
            {
                "site_id": site_ids[lot.site],
                "material": lot.material,
                "tonnes": lot.tonnes,
                "quality": lot.quality,
                "lab_report": lot.lab_report,
                "sampled_on": (current_start - timedelta(days=10)).isoformat(),
                "available_from": current_start.isoformat(),
                "available_until": current_end.isoformat(),
                "asking_price_cny_t": lot.asking_price_cny_t,
                "max_haul_km": lot.max_haul_km,
            },
        )
        report.lots += 1

    months = month_starts(demo.history_end, demo.history_months)
    evidence: dict[str, int] = {}
    for s in demo.sites:
        if s.kind != "yard":
            continue
        evidence[s.key] = _evidence(uow, actors[s.organisation], s, months)
        report.ledger_entries += _history(
            uow,
            rng,
            s,
            site_ids,
            actors,
            months,
            history_start,
            demo,
            offer_rows,
            site_by_key,
            settings,
            report,
            evidence[s.key],
        )
    _trust(uow, demo, actors, site_ids, months, settings)
    return report
