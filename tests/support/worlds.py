"""Seeded worlds: the demo data set as `wastematch seed --demo` makes it (for live servers),
copied per test from a template made once per session; and worlds built through the services in
process: the hostile world (every text a payload) and the audit scenario."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import select

from market import clock
from market.auth import Actor
from market.db import Database
from market.services import deliveries, ledger, trade
from market.services.matching import run_match
from market.services.users import create_token, ensure_organisation
from market.settings import Settings
from market.tables import MatchRun, Proposal, Site
from tests.support import builders as b
from tests.support.live import DEMO_PASSWORD, cli, server_env
from tests.support.pg import Template, drop_pg_database, skip_without_postgres

# A second account in another demo organisation of the same role, for access tests.
OTHER_ACCOUNTS = {
    "producer-other": ("producer", "晋宁磷复肥厂（示例）"),
    "recycler-other": ("recycler", "云岭石膏建材公司（示例）"),
}


def add_user(
    database_url: str,
    username: str,
    role: str,
    org: str,
    *,
    email: str | None = None,
    password: str = DEMO_PASSWORD,
) -> None:
    """An account (with the demo password unless told), added by the command line as an
    operator would."""
    cli(
        *("users", "add", "--username", username, "--role", role, "--org", org),
        *(("--email", email) if email else ()),
        "--password-stdin",
        env=server_env(database_url),
        stdin=(password + "\n").encode(),
    )


def seed_demo(database_url: str) -> None:
    """Migrate, seed the demo and add `OTHER_ACCOUNTS`."""
    env = server_env(database_url)
    cli("db", "upgrade", env=env)
    cli("seed", "--demo", env=env)
    for username, (role, org) in OTHER_ACCOUNTS.items():
        add_user(database_url, username, role, org)


# The first PostgreSQL demo is seeded into this template; later ones copy it with CREATE
# DATABASE … TEMPLATE, which takes a second instead of a full seed.
DEMO_PG = Template(seed_demo)


@contextmanager
def demo_database(kind: str, sqlite_template: Path | None, here: Path) -> Iterator[str]:
    """The url of a fresh copy of the demo of that kind ("sqlite", a copy of `sqlite_template`
    in `here`, or "postgres"), for the length of the block; skips when PostgreSQL is wanted
    and does not answer."""
    if kind == "sqlite":
        assert sqlite_template is not None
        path = here / "demo.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    skip_without_postgres()
    url, name = DEMO_PG.copy()
    try:
        yield url
    finally:
        drop_pg_database(name)


# ----------------------------------------------------------------------------- the hostile world
# Built through the services; its texts carry the payloads.

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
TEMPLATE = "{{7*7}}"
HOSTILE = f"{SCRIPT} {IMG} {TEMPLATE}"
RAW_MARKERS = ("<script>alert(1)", "<img src=x onerror")
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


@dataclass
class HostileWorld:
    db: Database
    settings: Settings
    actors: dict[str, Actor]
    ids: dict[str, int]
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, who: str) -> str:
        if who not in self.tokens:
            with self.db.unit_of_work() as uow:
                self.tokens[who] = create_token(uow, self.actors[who])[1]
        return self.tokens[who]


def hostile_world(db: Database, settings: Settings) -> HostileWorld:
    """Two organisations of each role whose names, sites, lots, manifests and notes carry
    script, HTML and template syntax; a match run, a contract, a delivery and a disputed one."""
    actors = {
        "producer": b.actor(db, "producer", org=f"产废 {HOSTILE} 1"),
        "producer_other": b.actor(db, "producer", org=f"产废 {HOSTILE} 2"),
        "recycler": b.actor(db, "recycler", org=f"利用 {HOSTILE} 1"),
        "recycler_other": b.actor(db, "recycler", org=f"利用 {HOSTILE} 2"),
        "regulator": b.actor(db, "regulator"),
        "operator": b.actor(db, "operator"),
    }
    p, r = actors["producer"], actors["recycler"]
    yard = b.site(db, p, b.ANNING, name=f"yard {HOSTILE}")
    yard_other = b.site(db, actors["producer_other"], b.JINNING, name=f"yard2 {HOSTILE}")
    plant = b.site(db, r, b.KUNMING, name=f"plant {HOSTILE}")
    plant_other = b.site(db, actors["recycler_other"], b.QUJING, name=f"plant2 {HOSTILE}")
    lot = b.lot(db, p, yard.id, lab_report=f"lab {HOSTILE}"[:200])
    lot_other = b.lot(db, actors["producer_other"], yard_other.id, tonnes=3000)
    offer = b.offer(db, r, plant.id)
    offer_other = b.offer(db, actors["recycler_other"], plant_other.id, capacity_t=500)
    with db.unit_of_work() as uow:
        ledger.post_entry(
            uow,
            p,
            yard.id,
            {
                "kind": "opening",
                "material": "phosphogypsum",
                "tonnes": 50000,
                "occurred_on": clock.today().replace(day=1).isoformat(),
                "document": f"survey {HOSTILE}",
            },
        )
    run = run_match(db, actors["operator"], settings)
    with db.read_session() as session:
        proposal = session.exec(
            select(Proposal).where(Proposal.run_id == run.id, Proposal.lot_id == lot.id)
        ).first()
    assert proposal is not None and proposal.offer_id == offer.id
    with db.unit_of_work() as uow:
        bid = trade.place_bid(uow, r, proposal.id, {"price_cny_t": 5, "tonnes": 200})
    with db.unit_of_work() as uow:
        contract = trade.accept_bid(uow, p, bid.id)
    with db.unit_of_work() as uow:
        open_bid = trade.place_bid(uow, r, proposal.id, {"price_cny_t": 6, "tonnes": 10})
    dispatch: dict[str, Any] = {"tonnes": 20, "truck_plate": '"><b>x</b>'}
    with db.unit_of_work() as uow:
        delivery, _ = deliveries.dispatch_delivery(
            uow, p, contract.id, dispatch | {"manifest_no": "M1 <img src=x onerror=alert(1)>"}
        )
    with db.unit_of_work() as uow:
        disputed, _ = deliveries.dispatch_delivery(
            uow, p, contract.id, dispatch | {"manifest_no": f"M2 {SCRIPT}"}
        )
    with db.unit_of_work() as uow:
        deliveries.confirm_receipt(
            uow, r, disputed.id, {"received_tonnes": 5, "note": f"note {HOSTILE}"}, settings
        )
    ids = {
        "yard": yard.id,
        "yard_other": yard_other.id,
        "plant": plant.id,
        "plant_other": plant_other.id,
        "lot": lot.id,
        "lot_other": lot_other.id,
        "offer": offer.id,
        "offer_other": offer_other.id,
        "run": run.id,
        "proposal": proposal.id,
        "bid": open_bid.id,
        "contract": contract.id,
        "delivery": delivery.id,
        "disputed": disputed.id,
        "org_producer": p.organisation_id,
    }
    return HostileWorld(db, settings, actors, {k: int(v) for k, v in ids.items()})


# ----------------------------------------------------------------------------- the audit world


FLOW = ("generated_t", "utilised_t", "treated_t", "consumed_t")
"""What came in and went out in a period, as the 以用定产 table and the summaries name it."""
STOCK_FLOW = (*FLOW, "stock_increment_t", "opening_stock_t", "closing_stock_t")
"""The 以用定产 table's stock-flow columns, in its order."""


def figures_of(row: dict[str, Any], names: tuple[str, ...]) -> tuple[Any, ...]:
    """`row`'s values of `names`, in that order."""
    return tuple(row[n] for n in names)


@dataclass
class AuditWorld:
    a: Actor
    b: Actor
    c: Actor
    recycler: Actor
    regulator: Actor
    yard_a: Site
    yard_b1: Site
    yard_b2: Site
    yard_c: Site
    plant: Site


def audit_post(
    db: Database,
    who: Actor,
    site: Site,
    kind: str,
    tonnes: float,
    on: str,
    material="phosphogypsum",
):
    b.entry(db, who, site.id, kind, tonnes, on, material, document_text=f"{kind} {on}")


def audit_day(
    db: Database, who: Actor, site: Site, on: str, material="phosphogypsum", **tonnes: float
) -> None:
    """`audit_post` an entry of each kind in `tonnes` (kind=tonnes, in that order) on `on`."""
    for kind, t in tonnes.items():
        audit_post(db, who, site, kind, t, on, material)


def audit_world(db: Database, settings: Settings) -> AuditWorld:
    """Three producers (four yards, two materials), a recycler and a regulator, with half a
    year of ledgers (January to June 2025 approved), two contracts and a settled dispute."""
    with db.unit_of_work() as uow:
        ensure_organisation(uow, "磷化工A", "producer", 4.8)
        uow.commit()
    a = b.actor(db, "producer", "磷化工A")
    bb = b.actor(db, "producer", "磷化工B")
    c = b.actor(db, "producer", "氧化铝C")
    recycler = b.actor(db, "recycler", "水泥R")
    regulator = b.actor(db, "regulator", "主管部门")
    w = AuditWorld(
        a,
        bb,
        c,
        recycler,
        regulator,
        b.site(db, a, b.ANNING),
        b.site(db, bb, b.GEJIU),
        b.site(db, bb, b.QUJING),
        b.site(db, c, b.WENSHAN),
        b.site(db, recycler, b.KUNMING),
    )
    for who, yard, t, material in (
        (a, w.yard_a, 1_000_000, "phosphogypsum"),
        (bb, w.yard_b1, 500_000, "phosphogypsum"),
        (bb, w.yard_b2, 100_000, "phosphogypsum"),
        (c, w.yard_c, 200_000, "red_mud"),
    ):
        audit_post(db, who, yard, "opening", t, "2025-01-01", material)

    # Q1
    q1 = "2025-03-31"
    audit_day(
        db,
        a,
        w.yard_a,
        q1,
        generation=50_000,
        p2o5_output=10_000,
        utilisation=20_000,
        treatment=15_000,
    )
    audit_day(
        db,
        bb,
        w.yard_b1,
        q1,
        generation=30_000,
        p2o5_output=8_000,
        utilisation=10_000,
        treatment=25_000,
    )
    audit_day(db, c, w.yard_c, q1, material="red_mud", generation=10_000, utilisation=7_000)

    # D1 under a contract that came from a proposal of a match run (road 50 km)
    lot1 = b.lot(db, a, w.yard_a.id, tonnes=30_000)
    offer = b.offer(db, recycler, w.plant.id, capacity_t=50_000)
    with db.unit_of_work() as uow:
        run = MatchRun(status="optimal")
        uow.session.add(run)
        uow.flush()
        proposal = Proposal(
            run_id=run.id,
            lot_id=lot1.id,
            offer_id=offer.id,
            tonnes=12_000,
            road_km=50.0,
            haul_cost=0,
        )
        uow.session.add(proposal)
        uow.commit()
    with db.unit_of_work() as uow:
        bid = trade.place_bid(uow, recycler, proposal.id, {"price_cny_t": 10, "tonnes": 12_000})
    with db.unit_of_work() as uow:
        k1 = trade.accept_bid(uow, a, bid.id)
    b.backdate_contract(db, k1.id, "2025-02-01")
    b.deliver(
        db,
        settings,
        a,
        recycler,
        k1.id,
        {"tonnes": 12_000, "manifest_no": "M-1", "dispatched_at": "2025-02-10T02:00:00Z"},
        {"received_tonnes": 11_900, "received_at": "2025-02-10T08:00:00Z"},
    )
    # D2 under a contract made without a proposal (as the demo's framework contracts are)
    k2 = b.framework_contract(db, a, lot1.id, offer.id, 10_000, 8, "2025-03-01")
    disputed = b.deliver(
        db,
        settings,
        a,
        recycler,
        k2.id,
        {"tonnes": 10_000, "manifest_no": "M-2", "dispatched_at": "2025-03-28T02:00:00Z"},
        {"received_tonnes": 9_000, "received_at": "2025-04-02T02:00:00Z"},
    )
    assert disputed.status == "disputed"
    # settled when both sides name the same figure; it counts on the receipt's day
    with db.unit_of_work() as uow:
        _, agreed = deliveries.propose_settlement(
            uow, recycler, disputed.id, {"settled_tonnes": 9_500, "note": "split the difference"}
        )
    assert not agreed
    with db.unit_of_work() as uow:
        agreement = {"accepted_tonnes": 9_500, "note": "agreed"}
        deliveries.resolve_dispute(uow, a, disputed.id, agreement)

    # Q2
    audit_post(db, a, w.yard_a, "disposal", 2_000, "2025-05-15")
    q2 = "2025-06-30"
    audit_day(
        db,
        a,
        w.yard_a,
        q2,
        generation=60_000,
        p2o5_output=12_500,
        utilisation=25_000,
        treatment=30_000,
        correction=-1_500,
    )
    audit_day(
        db,
        bb,
        w.yard_b1,
        q2,
        generation=40_000,
        p2o5_output=8_000,
        utilisation=12_000,
        treatment=20_000,
    )
    audit_day(db, bb, w.yard_b2, "2025-05-31", generation=5_000, utilisation=5_000)
    # the producers report January to June and the regulator approves them
    for who, yard in ((a, w.yard_a), (bb, w.yard_b1), (bb, w.yard_b2), (c, w.yard_c)):
        b.approve_months(db, who, yard.id, "2025-01", "2025-06")
    return w
