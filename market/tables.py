"""Every table, in one module so that foreign keys never cause import cycles.

Quantities that follow from others are computed in queries, not stored: a lot's open tonnes are its
tonnes less its contracts, an offer's open capacity likewise, a site's stock is the sum of its
ledger. Statuses stored here are the ones a person decides (withdrawn, disputed, ...).
"""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, LargeBinary, UniqueConstraint, text
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Aware UTC; SQLModel stores it as timestamptz on PostgreSQL and as UTC text on SQLite."""
    return datetime.now(UTC)


ORG_KINDS = ("producer", "recycler", "regulator", "operator", "evaluator")
ROLES = ORG_KINDS
SITE_KINDS = ("yard", "plant")


class Organisation(SQLModel, table=True):
    __tablename__ = "organisation"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=20)
    pg_ratio: float | None = None
    """Tonnes of phosphogypsum per tonne of P2O5 for this producer; the policy default if unset."""
    created_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=20)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    is_active: bool = True
    session_epoch: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = Field(default_factory=utcnow)
    email: str | None = Field(default=None, max_length=254)
    must_change_password: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa_false()}
    )
    """Set by an operator's password reset: the one-time password works only to choose a new one."""
    lang: str = Field(default="zh", max_length=5, sa_column_kwargs={"server_default": "zh"})
    """The language of the user's mail (`zh` or `en`); pages follow the browser's choice."""


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    name: str = Field(default="", max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    expires_at: datetime | None = None
    """Past it the token is refused; set at issue (30 days by default, a setting)."""


class LoginAttempt(SQLModel, table=True):
    """Every login attempt: the throttle counts them (in the database, so every worker sees the
    same count) and each user's login history reads them.

    An attempt is written as failed before its password is checked and turned into a success
    after: parallel guesses each take a place in the count, so no more than the limit are ever
    checked.
    """

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_username_at", "username", "attempted_at"),
        Index("ix_login_attempt_address_at", "address", "attempted_at"),
        Index("ix_login_attempt_user_at", "user_id", "attempted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    address: str = Field(default="", max_length=64)
    attempted_at: datetime = Field(default_factory=utcnow)
    succeeded: bool = False


class Material(SQLModel, table=True):
    """A mirror of the catalogue in seed_data, kept in step by `wastematch db upgrade`."""

    __tablename__ = "material"
    code: str = Field(primary_key=True, max_length=40)
    name_zh: str = Field(max_length=80)
    name_en: str = Field(max_length=80)
    family: str = Field(max_length=40)
    priority: int = 1


class Site(SQLModel, table=True):
    __tablename__ = "site"
    __table_args__ = (UniqueConstraint("organisation_id", "name", name="uq_site_org_name"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=10)
    lat: float
    lon: float
    prefecture: str = Field(max_length=40)
    prefecture_code: int
    county: str = Field(max_length=40)
    county_code: int
    created_at: datetime = Field(default_factory=utcnow)


class Lot(SQLModel, table=True):
    __tablename__ = "lot"
    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    material: str = Field(foreign_key="material.code", max_length=40, index=True)
    tonnes: float
    quality: dict[str, float] = Field(default_factory=dict, sa_type=JSON)
    lab_report: str = Field(default="", max_length=200)
    sampled_on: date | None = None
    available_from: date
    available_until: date | None = None
    asking_price_cny_t: float = 0.0
    max_haul_km: float | None = None
    withdrawn_at: datetime | None = None
    version: int = 1
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class LotRevision(SQLModel, table=True):
    """The lot as it was before each edit or withdrawal: a lot's history is never lost."""

    __tablename__ = "lot_revision"
    id: int | None = Field(default=None, primary_key=True)
    lot_id: int = Field(foreign_key="lot.id", index=True)
    version: int
    snapshot: dict[str, Any] = Field(sa_type=JSON)
    changed_by: int = Field(foreign_key="users.id")
    changed_at: datetime = Field(default_factory=utcnow)
    change: str = Field(max_length=20)


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
        Index(
            "uq_bid_live",
            "proposal_id",
            "organisation_id",
            unique=True,
            sqlite_where=text("status IN ('open', 'on_hold')"),
            postgresql_where=text("status IN ('open', 'on_hold')"),
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
        Index(
            "uq_ledger_opening",
            "site_id",
            "material",
            unique=True,
            sqlite_where=text("kind = 'opening'"),
            postgresql_where=text("kind = 'opening'"),
        ),
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


class AppSetting(SQLModel, table=True):
    """Operator-editable configuration (e.g. the match-run schedule)."""

    __tablename__ = "app_setting"
    key: str = Field(primary_key=True, max_length=60)
    value: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    updated_by: int | None = Field(default=None, foreign_key="users.id")
    updated_at: datetime = Field(default_factory=utcnow)


class LedgerHead(SQLModel, table=True):
    """The last entry of each site's chain, written with it: deleting the tail of a chain (which
    the chain alone cannot show) leaves the head pointing past the end."""

    __tablename__ = "ledger_head"
    site_id: int = Field(foreign_key="site.id", primary_key=True)
    seq: int
    hash: str = Field(max_length=64)


class EvaluatorLink(SQLModel, table=True):
    """An evaluator organisation (第三方评价机构) and a producer it evaluates."""

    __tablename__ = "evaluator_link"
    evaluator_org_id: int = Field(foreign_key="organisation.id", primary_key=True)
    producer_org_id: int = Field(foreign_key="organisation.id", primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)


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


class LotLabReport(SQLModel, table=True):
    """The laboratory's report behind a lot's assay, shown to the recyclers who consider it."""

    __tablename__ = "lot_lab_report"
    lot_id: int = Field(foreign_key="lot.id", primary_key=True)
    document_id: int = Field(foreign_key="document.id")
    sha256: str = Field(max_length=64)
    attached_by: int = Field(foreign_key="users.id")
    attached_at: datetime = Field(default_factory=utcnow)
NOTIFICATION_KINDS = (
    "bid_placed",
    "bid_accepted",
    "bid_rejected",
    "delivery_dispatched",
    "delivery_received",
    "delivery_disputed",
    "settlement_proposed",
    "delivery_settled",
    "report_submitted",
    "report_returned",
    "report_approved",
    "correction_requested",
    "correction_decided",
    "proposals_ready",
)


class Notification(SQLModel, table=True):
    """Something that happened and now waits on the user: one row per user of the organisation
    concerned, written in the same transaction as the event. The title is made from `kind` and
    `params` in the reader's language."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")
    kind: str = Field(max_length=40)
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    url: str = Field(max_length=300)
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None


class MailOutbox(SQLModel, table=True):
    """A mail to send, written with its notification; a sender claims it (a lease until
    `claimed_until`), sends it, and marks it sent. A failed attempt is retried after a backoff;
    a mail is never deleted unsent."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_due", "sent_at", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    notification_id: int | None = Field(default=None, foreign_key="notification.id")
    to_addr: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str
    link: str = Field(default="", max_length=300)
    """The page the mail points to; the sender puts the site's address in front of it."""
    created_at: datetime = Field(default_factory=utcnow)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    attempts: int = 0
    last_error: str = Field(default="", max_length=500)
    claimed_until: datetime | None = None
    claim: str = Field(default="", max_length=40)
    """The claiming sender's token: only the sender that holds the lease marks it sent."""
    sent_at: datetime | None = None


class MailPreference(SQLModel, table=True):
    """Which kinds of notification a user also gets by mail; no row: every kind."""

    __tablename__ = "mail_preference"
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    kinds: list[str] = Field(default_factory=list, sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow)
JOB_KINDS = ("match_run", "drawdown", "siting", "verify")
JOB_STATUSES = ("queued", "running", "done", "failed", "cancelled")


class Job(SQLModel, table=True):
    """Long work (a match run, the planner, siting, the full tamper check) done by a worker.

    A worker claims the oldest queued row in a write transaction (FOR UPDATE SKIP LOCKED on
    PostgreSQL, SQLite's IMMEDIATE transaction) and beats `heartbeat_at` while it runs; a
    running row whose heartbeat is older than the limit is put back in the queue (or failed
    after `max_attempts`), never left running (market/jobs.py)."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_status_id", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    status: str = Field(default="queued", max_length=20)
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    """What the worker needs to do the work again from scratch (a retry starts over)."""
    result: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    result_url: str | None = Field(default=None, max_length=200)
    error: str | None = Field(default=None, max_length=2000)
    progress: float = 0.0
    stage: str = Field(default="", max_length=100)
    attempts: int = 0
    max_attempts: int = 3
    cancel_requested: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    created_by: int | None = Field(default=None, foreign_key="users.id", index=True)
    """None for a scheduled run."""
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    heartbeat_at: datetime | None = None
    finished_at: datetime | None = None
    worker: str | None = Field(default=None, max_length=120)
