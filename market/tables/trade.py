"""Trade: offers, match runs and their proposals, bids, contracts, deliveries, their papers,
settlements and documents."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from market.tables.common import unique_where, utcnow


class Offer(SQLModel, table=True):
    __tablename__ = "offer"
    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    material: str = Field(foreign_key="material.code", max_length=40, index=True)
    use_code: str | None = Field(default=None, max_length=40)
    capacity_t: float
    period_start: date
    period_end: date
    spec: dict[str, dict[str, float]] = Field(default_factory=dict, sa_type=JSON)
    price_cny_t: float = 0.0
    max_haul_km: float | None = None
    withdrawn_at: datetime | None = None
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)


class MatchRun(SQLModel, table=True):
    __tablename__ = "match_run"
    id: int | None = Field(default=None, primary_key=True)
    started_by: int | None = Field(default=None, foreign_key="users.id")
    trigger: str = Field(default="manual", max_length=20)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    status: str = Field(default="running", max_length=20)
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    problem: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    """The solver's input exactly as it was sent: a run can be replayed and audited."""
    totals: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    stats: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    unmatched: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)


class Proposal(SQLModel, table=True):
    __tablename__ = "proposal"
    __table_args__ = (
        # a run's proposals counted and paged for one recycler (by offer) or producer (by lot)
        Index("ix_proposal_run_offer", "run_id", "offer_id"),
        Index("ix_proposal_run_lot", "run_id", "lot_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="match_run.id", index=True)
    lot_id: int = Field(foreign_key="lot.id", index=True)
    offer_id: int = Field(foreign_key="offer.id", index=True)
    tonnes: float
    road_km: float
    haul_cost: float
    co2_kg: float = 0.0
    margins: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


BID_STATUSES = ("open", "accepted", "on_hold", "rejected", "withdrawn")


class Bid(SQLModel, table=True):
    __tablename__ = "bid"
    __table_args__ = (
        # one live bid per recycler and proposal: parallel bids cannot leave two open
        unique_where(
            "uq_bid_live", "proposal_id", "organisation_id", where="status IN ('open', 'on_hold')"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    user_id: int = Field(foreign_key="users.id")
    price_cny_t: float
    tonnes: float
    status: str = Field(default="open", max_length=20)
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None


class Contract(SQLModel, table=True):
    __tablename__ = "contract"
    id: int | None = Field(default=None, primary_key=True)
    bid_id: int | None = Field(default=None, foreign_key="bid.id", unique=True)
    lot_id: int = Field(foreign_key="lot.id", index=True)
    offer_id: int = Field(foreign_key="offer.id", index=True)
    tonnes: float
    price_cny_t: float
    status: str = Field(default="active", max_length=20)
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None


class Delivery(SQLModel, table=True):
    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("producer_org_id", "manifest_no", name="uq_delivery_manifest"),
        UniqueConstraint("producer_org_id", "idempotency_key", name="uq_delivery_idem"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    producer_org_id: int = Field(foreign_key="organisation.id")
    manifest_no: str = Field(max_length=60)
    tonnes: float
    truck_plate: str = Field(default="", max_length=20)
    dispatched_at: datetime
    dispatched_by: int = Field(foreign_key="users.id")
    idempotency_key: str | None = Field(default=None, max_length=100)
    received_tonnes: float | None = None
    received_at: datetime | None = None
    received_by: int | None = Field(default=None, foreign_key="users.id")
    status: str = Field(default="dispatched", max_length=20)
    note: str = Field(default="", max_length=500)
    settled_tonnes: float | None = None
    """The figure both parties agreed on (or a regulator decided) for a disputed delivery."""
    settled_at: datetime | None = None


class Document(SQLModel, table=True):
    """An uploaded file, kept in the database so that backups and restores carry it."""

    __tablename__ = "document"
    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, index=True)
    size: int
    media_type: str = Field(max_length=100)
    filename: str = Field(max_length=200)
    content: bytes = Field(sa_type=LargeBinary)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    uploaded_by: int = Field(foreign_key="users.id")
    uploaded_at: datetime = Field(default_factory=utcnow)


class Settlement(SQLModel, table=True):
    """A figure proposed for a disputed delivery by one party (or decided by a regulator)."""

    __tablename__ = "settlement"
    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="delivery.id", index=True)
    side: str = Field(max_length=20)
    """`producer`, `recycler` or `regulator` (arbitration)."""
    settled_tonnes: float
    note: str = Field(default="", max_length=500)
    by: int = Field(foreign_key="users.id")
    at: datetime = Field(default_factory=utcnow)


class DeliveryPapers(SQLModel, table=True):
    """What a truck's paperwork adds to a delivery: the driver named on the transfer manifest,
    and the photo (or PDF) of the weighbridge ticket the recycler's clerk attached on receipt."""

    __tablename__ = "delivery_papers"
    delivery_id: int = Field(foreign_key="delivery.id", primary_key=True)
    driver: str = Field(default="", max_length=60)
    ticket_document_id: int | None = Field(default=None, foreign_key="document.id")
    ticket_sha256: str = Field(default="", max_length=64)
    ticket_by: int | None = Field(default=None, foreign_key="users.id")
    ticket_at: datetime | None = None
