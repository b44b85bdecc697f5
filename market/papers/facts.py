"""What a transfer manifest and a contract say, read once and checked for who may read them.

A delivery's papers are read by the yard's producer, the plant's recycler, regulators and
operators; to anyone else the delivery does not exist (404), as everywhere in the market.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from market import catalogue as catalogue_mod
from market import clock
from market.auth import Actor
from market.errors import NotFound
from market.services.common import MAX_ID, OVERSEERS
from market.tables import (
    Contract,
    Delivery,
    DeliveryPapers,
    Document,
    Lot,
    Offer,
    Organisation,
    Site,
    User,
)

UNVERIFIED_CODE = "（未核实）"
"""Printed where a material's waste code has not been checked against the catalogue yet."""

_PAYERS = {
    -1: ("产废单位（甲方）向利用单位（乙方）支付处置利用费", "the producer pays the recycler"),
    1: ("利用单位（乙方）向产废单位（甲方）支付货款", "the recycler pays the producer"),
    0: ("双方互不支付费用", "no payment either way"),
}
"""Who pays whom, (Chinese, English), by the sign of the contract's price."""


def _sign(price: float) -> int:
    return (price > 0) - (price < 0)


@dataclass(frozen=True)
class Party:
    organisation_id: int
    organisation: str
    site_id: int
    site: str
    prefecture: str
    county: str
    lat: float
    lon: float

    @property
    def place(self) -> str:
        return f"云南省{self.prefecture}{self.county}"


@dataclass(frozen=True)
class ContractFacts:
    id: int
    status: str
    material: str
    material_zh: str
    material_en: str
    waste_code: str
    use_zh: str
    tonnes: float
    price_cny_t: float
    signed_at: datetime
    closed_at: datetime | None
    period_start: str
    period_end: str
    lot_id: int
    offer_id: int
    producer: Party
    recycler: Party
    max_haul_km: float | None
    quality: dict[str, float]
    dispatched_t: float
    received_t: float

    @property
    def code_text(self) -> str:
        return self.waste_code or UNVERIFIED_CODE

    @property
    def value_cny(self) -> float:
        return round(self.tonnes * self.price_cny_t, 2)

    @property
    def payer_zh(self) -> str:
        """Who pays whom: a negative price means the producer pays the recycler to take it."""
        return _PAYERS[_sign(self.price_cny_t)][0]

    @property
    def payer_en(self) -> str:
        return _PAYERS[_sign(self.price_cny_t)][1]


@dataclass(frozen=True)
class DeliveryFacts:
    id: int
    manifest_no: str
    status: str
    tonnes: float
    truck_plate: str
    driver: str
    dispatched_at: datetime
    dispatched_by: str
    received_tonnes: float | None
    received_at: datetime | None
    received_by: str
    settled_tonnes: float | None
    ticket_document_id: int | None
    contract: ContractFacts


def _party(org: Organisation, site: Site) -> Party:
    assert org.id is not None and site.id is not None
    return Party(
        org.id, org.name, site.id, site.name, site.prefecture, site.county, site.lat, site.lon
    )


def _may_read(actor: Actor, producer_org: int, recycler_org: int) -> bool:
    return actor.role in OVERSEERS or actor.organisation_id in (producer_org, recycler_org)


def _contract(session: Session, contract: Contract) -> ContractFacts:
    lot = session.get(Lot, contract.lot_id)
    offer = session.get(Offer, contract.offer_id)
    assert lot is not None and offer is not None
    yard = session.get(Site, lot.site_id)
    plant = session.get(Site, offer.site_id)
    assert yard is not None and plant is not None
    producer = session.get(Organisation, yard.organisation_id)
    recycler = session.get(Organisation, plant.organisation_id)
    assert producer is not None and recycler is not None and contract.id is not None
    cat = catalogue_mod.catalogue()
    mat = cat.materials.get(lot.material)
    use_zh = ""
    if mat is not None and offer.use_code:
        use_zh = next((u.name_zh for u in mat.uses if u.code == offer.use_code), "")
    sums = session.exec(
        select(Delivery.tonnes, Delivery.received_tonnes, Delivery.status).where(
            Delivery.contract_id == contract.id
        )
    ).all()
    return ContractFacts(
        id=contract.id,
        status=contract.status,
        material=lot.material,
        material_zh=mat.name_zh if mat else lot.material,
        material_en=mat.name_en if mat else lot.material,
        waste_code=mat.waste_code if mat else "",
        use_zh=use_zh,
        tonnes=contract.tonnes,
        price_cny_t=contract.price_cny_t,
        signed_at=contract.created_at,
        closed_at=contract.closed_at,
        period_start=max(offer.period_start, clock.china_day(contract.created_at)).isoformat(),
        period_end=offer.period_end.isoformat(),
        lot_id=contract.lot_id,
        offer_id=contract.offer_id,
        producer=_party(producer, yard),
        recycler=_party(recycler, plant),
        max_haul_km=offer.max_haul_km,
        quality=dict(lot.quality or {}),
        dispatched_t=round(sum(t for t, _r, _s in sums), 3),
        received_t=round(sum(r or 0.0 for _t, r, s in sums if s == "received"), 3),
    )


def contract_facts(session: Session, actor: Actor, contract_id: int) -> ContractFacts:
    contract = session.get(Contract, contract_id) if 0 < contract_id <= MAX_ID else None
    if contract is None:
        raise NotFound(
            "contract: {contract_id} does not exist", field="contract", contract_id=contract_id
        )
    facts = _contract(session, contract)
    if not _may_read(actor, facts.producer.organisation_id, facts.recycler.organisation_id):
        raise NotFound(
            "contract: {contract_id} does not exist", field="contract", contract_id=contract_id
        )
    return facts


def _username(session: Session, user_id: int | None) -> str:
    if user_id is None:
        return ""
    user = session.get(User, user_id)
    return user.username if user else ""


def delivery_facts(session: Session, actor: Actor, delivery_id: int) -> DeliveryFacts:
    delivery = session.get(Delivery, delivery_id) if 0 < delivery_id <= MAX_ID else None
    if delivery is None:
        raise NotFound(
            "delivery: {delivery_id} does not exist", field="delivery", delivery_id=delivery_id
        )
    contract = session.get(Contract, delivery.contract_id)
    assert contract is not None and delivery.id is not None
    facts = _contract(session, contract)
    if not _may_read(actor, facts.producer.organisation_id, facts.recycler.organisation_id):
        raise NotFound(
            "delivery: {delivery_id} does not exist", field="delivery", delivery_id=delivery_id
        )
    papers = session.get(DeliveryPapers, delivery.id)
    return DeliveryFacts(
        id=delivery.id,
        manifest_no=delivery.manifest_no,
        status=delivery.status,
        tonnes=delivery.tonnes,
        truck_plate=delivery.truck_plate,
        driver=papers.driver if papers else "",
        dispatched_at=delivery.dispatched_at,
        dispatched_by=_username(session, delivery.dispatched_by),
        received_tonnes=delivery.received_tonnes,
        received_at=delivery.received_at,
        received_by=_username(session, delivery.received_by),
        settled_tonnes=delivery.settled_tonnes,
        ticket_document_id=papers.ticket_document_id if papers else None,
        contract=facts,
    )


def ticket_of(session: Session, delivery_id: int) -> dict[str, Any] | None:
    papers = session.get(DeliveryPapers, delivery_id)
    if papers is None or papers.ticket_document_id is None:
        return None
    doc = session.exec(
        select(Document.id, Document.filename, Document.media_type, Document.sha256).where(
            col(Document.id) == papers.ticket_document_id
        )
    ).first()
    if doc is None:
        return None
    return {"id": doc[0], "filename": doc[1], "media_type": doc[2], "sha256": doc[3]}


def cst(moment: datetime | None) -> str:
    if moment is None:
        return ""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(clock.CHINA).strftime("%Y-%m-%d %H:%M")
