"""Small builders for tests: organisations with a user, sites, lots, offers."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from functools import cache
from typing import Any

from market import clock
from market.auth import Actor, actor_for, hash_password
from market.db import Database
from market.services import lots, offers, sites
from market.services.users import ensure_organisation
from market.tables import Lot, Offer, Site, User

_counter = itertools.count(1)
PASSWORD = "a-long-test-password"

# real towns (WGS-84)
ANNING = (24.919, 102.478)
JINNING = (24.667, 102.595)
KUNMING = (25.040, 102.712)
GEJIU = (23.360, 103.155)
WENSHAN = (23.369, 104.244)
QUJING = (25.490, 103.796)
LANPING = (26.453, 99.416)


@cache
def password_hash() -> str:
    # argon2 takes ~0.4 s here; hashing once keeps the suite fast (add_user has its own tests)
    return hash_password(PASSWORD)


def actor(db: Database, role: str, org: str | None = None) -> Actor:
    n = next(_counter)
    org = org or f"{role}-org-{n}"
    with db.unit_of_work() as uow:
        organisation = ensure_organisation(uow, org, role)
        assert organisation.id is not None
        user = User(
            username=f"{role}{n}",
            password_hash=password_hash(),
            role=role,
            organisation_id=organisation.id,
        )
        uow.session.add(user)
        uow.commit()
        return actor_for(uow.session, user)


def with_email(db: Database, who: Actor, email: str, lang: str = "zh") -> None:
    """Give the actor's account a mail address and a language for its mail."""
    with db.unit_of_work() as uow:
        user = uow.session.get(User, who.user_id)
        assert user is not None
        user.email, user.lang = email, lang
        uow.session.add(user)
        uow.commit()


PG_QUALITY = {
    "caso4_2h2o_pct": 88.0,
    "p2o5_ws_pct": 0.4,
    "f_ws_pct": 0.2,
    "moisture_pct": 15.0,
    "ira": 0.3,
    "ir": 0.5,
}
"""A phosphogypsum assay every plant's retarder spec takes (the tests' lots, the benchmarks')."""


def site(db: Database, who: Actor, where: tuple[float, float] = ANNING, **extra: Any) -> Site:
    kind = "yard" if who.role == "producer" else "plant"
    data = {"name": f"{kind}-{next(_counter)}", "kind": kind, "lat": where[0], "lon": where[1]}
    with db.unit_of_work() as uow:
        return sites.post_site(uow, who, data | extra)


def lot(db: Database, who: Actor, site_id: int, **extra: Any) -> Lot:
    data: dict[str, Any] = {
        "site_id": site_id,
        "material": "phosphogypsum",
        "tonnes": 10000,
        "quality": dict(PG_QUALITY),
        "available_from": clock.today().isoformat(),
        "available_until": (clock.today() + timedelta(days=180)).isoformat(),
        "asking_price_cny_t": -5,
    }
    with db.unit_of_work() as uow:
        return lots.post_lot(uow, who, data | extra)


def offer(db: Database, who: Actor, site_id: int, **extra: Any) -> Offer:
    data: dict[str, Any] = {
        "site_id": site_id,
        "material": "phosphogypsum",
        "capacity_t": 20000,
        "spec": {"caso4_2h2o_pct": {"min": 80}, "p2o5_ws_pct": {"max": 0.8}},
        "price_cny_t": 10,
        "max_haul_km": 300,
        "period_start": clock.today().isoformat(),
        "period_end": (clock.today() + timedelta(days=365)).isoformat(),
    }
    with db.unit_of_work() as uow:
        return offers.post_offer(uow, who, data | extra)


def lot_and_offer_that_match(db: Database) -> tuple[Lot, Offer]:
    """One lot (at Anning) and one offer (at Kunming) that match, so a run has something to
    solve."""
    producer = actor(db, "producer")
    recycler = actor(db, "recycler")
    the_lot = lot(db, producer, site(db, producer, ANNING).id)
    return the_lot, offer(db, recycler, site(db, recycler, KUNMING).id)


# ----------------------------------------------------------------------------- trusted figures

# the smallest file the upload accepts as a PDF (judged by its content)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# a 1×1 picture: the smallest file the upload accepts as a PNG
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00"
    b"\x00IEND\xaeB`\x82"
)


def document(db: Database, who: Actor, content: bytes = PDF, name: str = "record.pdf") -> int:
    from market.services import documents

    with db.unit_of_work() as uow:
        doc = documents.upload(uow, who, content=content, filename=name, max_bytes=10_000_000)
    assert doc.id is not None
    return doc.id


@cache
def _regulator(db_url: str) -> Actor:
    return actor(_DBS[db_url], "regulator")


_DBS: dict[str, Database] = {}


def regulator(db: Database) -> Actor:
    """One regulator per database, made on first use."""
    _DBS[db.url] = db
    return _regulator(db.url)


def seal_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from market.seals import SealKey

    return _SEAL_KEY.setdefault("key", SealKey(Ed25519PrivateKey.generate()))


_SEAL_KEY: dict[str, Any] = {}


def entry(
    db: Database,
    who: Actor,
    site_id: int,
    kind: str,
    tonnes: float,
    on: str | date,
    material: str = "phosphogypsum",
    *,
    attest: bool = True,
    document_text: str | None = None,
) -> Any:
    """Post a ledger entry as the producer would: an own-use or treatment claim cites an
    uploaded record, and is attested by a regulator unless `attest` is False."""
    from market.services import corrections, ledger

    data: dict[str, Any] = {
        "kind": kind,
        "material": material,
        "tonnes": tonnes,
        "occurred_on": on if isinstance(on, str) else on.isoformat(),
        "document": document_text or f"{kind} record",
    }
    claim = kind in ("utilisation", "treatment")
    if claim:
        data["evidence"] = [document(db, who)]
    with db.unit_of_work() as uow:
        row = ledger.post_entry(uow, who, site_id, data)
    if claim and attest:
        with db.unit_of_work() as uow:
            corrections.attest(
                uow, regulator(db), row.id, {"decision": "attested", "note": "ok"}, seal_key()
            )
    return row


def approve_months(db: Database, who: Actor, site_id: int, first: str, last: str) -> None:
    """Submit (as the yard's producer) and approve (as a regulator) every month first..last."""
    from market import clock
    from market.services import reports

    for period in clock.months_between(first, last):
        with db.unit_of_work() as uow:
            report = reports.submit(uow, who, site_id, {"period": period}, 10)
        with db.unit_of_work() as uow:
            reports.approve(uow, regulator(db), report.id or 0, {}, seal_key())


def backdate_contract(db: Database, contract_id: int, day: str) -> None:
    """A contract made on `day` (a world with history needs contracts older than today)."""
    from datetime import UTC, datetime

    from market.tables import Contract

    with db.unit_of_work() as uow:
        row = uow.session.get(Contract, contract_id)
        assert row is not None
        row.created_at = datetime.fromisoformat(day).replace(tzinfo=UTC)
        uow.session.add(row)
        uow.commit()


def framework_contract(
    db: Database, who: Actor, lot_id: int, offer_id: int, tonnes: float, price: float, day: str
) -> Any:
    """A contract made on `day` without a proposal (as the demo's framework contracts are)."""
    from datetime import UTC, datetime

    from market.tables import Contract

    with db.unit_of_work() as uow:
        contract = Contract(
            lot_id=lot_id,
            offer_id=offer_id,
            tonnes=tonnes,
            price_cny_t=price,
            created_by=who.user_id,
            created_at=datetime.fromisoformat(day).replace(tzinfo=UTC),
        )
        uow.session.add(contract)
        uow.commit()
    return contract


def deliver(
    db: Database,
    settings: Any,
    producer: Actor,
    recycler: Actor,
    contract_id: int,
    dispatch: dict[str, Any],
    receipt: dict[str, Any],
) -> Any:
    """A truck dispatched by the producer and weighed in by the recycler; the delivery as the
    receipt left it."""
    from market.services import deliveries

    with db.unit_of_work() as uow:
        delivery, _ = deliveries.dispatch_delivery(uow, producer, contract_id, dispatch)
    with db.unit_of_work() as uow:
        received, _ = deliveries.confirm_receipt(uow, recycler, delivery.id, receipt, settings)
    return received


def days_ago(n: int) -> str:
    """A day n days before today in China (the market's clock)."""
    from market import clock

    return (clock.today() - timedelta(days=n)).isoformat()


def site_of(db: Database, who: Actor) -> int:
    """The first site of the actor's organisation."""
    from sqlmodel import col, select

    with db.read_session() as s:
        site_id = s.exec(
            select(Site.id)
            .where(Site.organisation_id == who.organisation_id)
            .order_by(col(Site.id))
        ).first()
    assert site_id is not None
    return site_id


# ----------------------------------------------------------------------------- papers


def deal(
    db: Database, settings: Any, *, tonnes: float = 1000, stock: float | None = 50_000
) -> dict:
    """A producer's yard with stock and a lot, a recycler's plant and offer, matched, bid for
    and accepted: a contract ready for trucks. Returns the actors, sites and the contract."""
    from sqlmodel import select

    from market.services import trade
    from market.services.matching import run_match
    from market.tables import Proposal

    producer = actor(db, "producer")
    recycler = actor(db, "recycler")
    operator = actor(db, "operator")
    yard = site(db, producer, ANNING)
    if stock is not None:  # an opening survey forty days ago
        entry(db, producer, yard.id, "opening", stock, days_ago(40))
    the_lot = lot(db, producer, yard.id, tonnes=tonnes)
    plant = site(db, recycler, KUNMING)
    the_offer = offer(db, recycler, plant.id, capacity_t=tonnes * 2)
    run_match(db, operator, settings)
    with db.read_session() as s:
        proposal = s.exec(select(Proposal).where(Proposal.lot_id == the_lot.id)).one()
    with db.unit_of_work() as uow:
        bid = trade.place_bid(
            uow, recycler, proposal.id, {"price_cny_t": -8, "tonnes": proposal.tonnes}
        )
    with db.unit_of_work() as uow:
        contract = trade.accept_bid(uow, producer, bid.id)
    return {
        "producer": producer,
        "recycler": recycler,
        "operator": operator,
        "yard": yard,
        "plant": plant,
        "lot": the_lot,
        "offer": the_offer,
        "contract": contract,
    }
