"""The statutory ledger: entries and the chain head, monthly reports, their events and seals,
correction requests and attestations."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from market.tables.common import unique_where, utcnow

LEDGER_KINDS = (
    "opening",
    "generation",
    "dispatch",
    "utilisation",
    "treatment",
    "disposal",
    "correction",
    "p2o5_output",
)


class LedgerEntry(SQLModel, table=True):
    """Append-only; each entry's hash covers its content and the previous entry's hash."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        UniqueConstraint("site_id", "seq", name="uq_ledger_site_seq"),
        UniqueConstraint("delivery_id", "kind", name="uq_ledger_delivery_kind"),
        Index("ix_ledger_site_material_day", "site_id", "material", "occurred_on"),
        # one opening survey per yard and material, held by the database under races too
        unique_where("uq_ledger_opening", "site_id", "material", where="kind = 'opening'"),
    )

    id: int | None = Field(
        default=None, primary_key=True, sa_type=BigInteger().with_variant(Integer(), "sqlite")
    )
    site_id: int = Field(foreign_key="site.id")
    seq: int
    kind: str = Field(max_length=20)
    material: str = Field(foreign_key="material.code", max_length=40)
    tonnes: float
    occurred_on: date
    document: str = Field(default="", max_length=200)
    delivery_id: int | None = Field(default=None, foreign_key="delivery.id")
    recorded_by: int = Field(foreign_key="users.id")
    recorded_at: datetime = Field(default_factory=utcnow)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    evidence: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    """[{"id", "sha256"}] of the documents behind the entry; the hash covers them."""
    correction_id: int | None = Field(default=None, foreign_key="correction_request.id")
    attestation: str = Field(
        default="not_required", max_length=20, sa_column_kwargs={"server_default": "not_required"}
    )
    """`not_required`, or for a producer's own claim `pending` until a regulator or an
    evaluator decides `attested` or `rejected` (each decision is kept in `attestation`)."""


class LedgerHead(SQLModel, table=True):
    """The last entry of each site's chain, written with it: deleting the tail of a chain (which
    the chain alone cannot show) leaves the head pointing past the end."""

    __tablename__ = "ledger_head"
    site_id: int = Field(foreign_key="site.id", primary_key=True)
    seq: int
    hash: str = Field(max_length=64)


REPORT_STATUSES = ("open", "submitted", "approved", "returned")


class Report(SQLModel, table=True):
    """A yard's reporting month (月报). Its state is what the regulator last decided; every
    step is also appended to `report_event`, and every approval to `seal`."""

    __tablename__ = "report"
    __table_args__ = (UniqueConstraint("site_id", "period", name="uq_report_site_period"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    period: str = Field(max_length=7)
    status: str = Field(default="open", max_length=20)
    due_on: date
    submitted_at: datetime | None = None
    submitted_by: int | None = Field(default=None, foreign_key="users.id")
    approved_at: datetime | None = None
    approved_by: int | None = Field(default=None, foreign_key="users.id")
    note: str = Field(default="", max_length=1000)


class ReportEvent(SQLModel, table=True):
    __tablename__ = "report_event"
    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    action: str = Field(max_length=20)
    by: int = Field(foreign_key="users.id")
    at: datetime = Field(default_factory=utcnow)
    note: str = Field(default="", max_length=1000)


class Seal(SQLModel, table=True):
    """A signed statement of an approved month; a restatement adds a new version."""

    __tablename__ = "seal"
    __table_args__ = (UniqueConstraint("site_id", "period", "version", name="uq_seal_version"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    site_id: int = Field(foreign_key="site.id")
    period: str = Field(max_length=7)
    version: int
    statement: str
    """The canonical JSON text that was signed."""
    signature: str = Field(max_length=200)
    key_id: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


CORRECTION_KINDS = ("generation", "utilisation", "treatment", "disposal", "p2o5_output", "stock")


class CorrectionRequest(SQLModel, table=True):
    __tablename__ = "correction_request"
    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    period: str = Field(max_length=7)
    material: str = Field(foreign_key="material.code", max_length=40)
    kind: str = Field(max_length=20)
    tonnes: float
    reason: str = Field(max_length=1000)
    evidence: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    status: str = Field(default="pending", max_length=20)
    requested_by: int = Field(foreign_key="users.id")
    requested_at: datetime = Field(default_factory=utcnow)
    decided_by: int | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime | None = None
    decision_note: str = Field(default="", max_length=1000)


class Attestation(SQLModel, table=True):
    """A decision on a producer's own claim; one per entry, never changed."""

    __tablename__ = "attestation"
    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(
        foreign_key="ledger_entry.id",
        unique=True,
        sa_type=BigInteger().with_variant(Integer(), "sqlite"),
    )
    decision: str = Field(max_length=20)
    note: str = Field(default="", max_length=1000)
    by: int = Field(foreign_key="users.id")
    organisation_id: int = Field(foreign_key="organisation.id")
    at: datetime = Field(default_factory=utcnow)
